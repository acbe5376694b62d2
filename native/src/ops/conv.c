/* CONV_2D and DEPTHWISE_CONV_2D: x (N,H,W,Ci), bias (Co) or absent.
 * Conv weights are OHWI (Co,KH,KW,Ci); depthwise weights (1,KH,KW,Ci*M). */
#include <stdio.h>
#include <stdlib.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_conv2d_options(const enet_op_options* options) {
  const enet_Conv2DOptions* o = &options->conv2d;
  if (o->stride_h < 1 || o->stride_w < 1 || o->dilation_h < 1 || o->dilation_w < 1 || o->depth_multiplier < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "Conv2DOptions strides (%d, %d), dilations (%d, %d) and depth_multiplier %d must be >= 1",
                          o->stride_h, o->stride_w, o->dilation_h, o->dilation_w, o->depth_multiplier);
  if (o->pad_top < 0 || o->pad_bottom < 0 || o->pad_left < 0 || o->pad_right < 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "Conv2DOptions paddings must be >= 0");
  return ENET_OK;
}

/* Shared shape checks; fills the window geometry from the tensors. */
static enet_status conv_geometry(const enet_op_context* ctx, int depthwise, enet_window* g) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  const enet_op_options* o = &ctx->op->options;
  enet_status s;
  if ((s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)")) != ENET_OK) return s;
  if ((s = enet_check_rank(ctx, 1, 4, depthwise ? "weights (1, KH, KW, C*M)" : "weights (O, KH, KW, I)")) != ENET_OK)
    return s;
  g->batch = x->shape[0], g->in_h = x->shape[1], g->in_w = x->shape[2], g->in_c = x->shape[3];
  g->k_h = w->shape[1], g->k_w = w->shape[2];
  if (depthwise) {
    int64_t channels; /* in_c * depth_multiplier, which a resized input could make overflow */
    g->out_c = w->shape[3];
    if (!enet_mul_i64(g->in_c, o->conv2d.depth_multiplier, &channels))
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "%lld input channels x depth_multiplier %d overflows",
                            (long long)g->in_c, o->conv2d.depth_multiplier);
    if (w->shape[0] != 1 || g->out_c != channels)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "weights shape (%lld, %lld, %lld, %lld) must be (1, KH, KW, %lld) for %lld input channels "
                            "and depth_multiplier %d",
                            (long long)w->shape[0], (long long)w->shape[1], (long long)w->shape[2],
                            (long long)w->shape[3], (long long)channels,
                            (long long)g->in_c, o->conv2d.depth_multiplier);
  } else {
    g->out_c = w->shape[0];
    if (w->shape[3] != g->in_c)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "weights have %lld input channels but the input has %lld",
                            (long long)w->shape[3], (long long)g->in_c);
  }
  if (bias && (bias->ndim != 1 || bias->shape[0] != g->out_c))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "bias must have shape (%lld,)", (long long)g->out_c);
  g->stride_h = o->conv2d.stride_h, g->stride_w = o->conv2d.stride_w;
  g->dilation_h = o->conv2d.dilation_h, g->dilation_w = o->conv2d.dilation_w;
  g->pad_top = o->conv2d.pad_top, g->pad_left = o->conv2d.pad_left;
  if ((s = enet_window_output(g->in_h, o->conv2d.pad_top, o->conv2d.pad_bottom, g->k_h, g->dilation_h, g->stride_h,
                              "height", &g->out_h)) != ENET_OK)
    return s;
  return enet_window_output(g->in_w, o->conv2d.pad_left, o->conv2d.pad_right, g->k_w, g->dilation_w, g->stride_w, "width",
                            &g->out_w);
}

static const float* bias_data(const enet_op_context* ctx) {
  return ctx->num_inputs > 2 && ctx->inputs[2] ? (const float*)ctx->inputs[2]->data : NULL;
}

/* Float fast path: when the CPU has SIMD kernels (cpu.h; EDGENET_KERNELS=reference
 * turns them off) and the weights and bias are constants, pack them once into
 * the microkernels' layout (ctx->state) and fuse the activation into their clamp.
 * Otherwise ctx->state stays NULL and invoke runs the reference kernel. */
static enet_status prepare_packed_f32(enet_op_context* ctx, const enet_window* g, int depthwise) {
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  if (!k || !ctx->inputs[1]->def->data || (bias && !bias->def->data)) return ENET_OK;
  if (depthwise && ctx->op->options.conv2d.depth_multiplier != 1) return ENET_OK; /* rare: reference */
  if (depthwise && g->k_h > 64) return ENET_OK; /* f32_dwconv.c keeps one row pointer per kernel row */
  int threads = enet_threadpool_size(ctx->threadpool);
  float lo, hi;
  enet_activation_range(ctx->op->activation, &lo, &hi);
  size_t bytes = depthwise ? enet_f32_dwconv_plan_size(k, g, threads) : enet_f32_conv_plan_size(k, g, threads);
  void* state = enet_alloc_op_state(ctx, bytes);
  if (!state) return ENET_ERROR_OUT_OF_MEMORY;
  if (depthwise) {
    enet_f32_dwconv_plan_init(state, k, g, threads, ctx->inputs[1]->data, bias_data(ctx), lo, hi);
    snprintf(ctx->kernel, sizeof ctx->kernel, "%s", k->dwconv_name);
  } else {
    const enet_f32_conv_plan* plan =
        enet_f32_conv_plan_init(state, k, g, threads, ctx->inputs[1]->data, bias_data(ctx), lo, hi);
    enet_f32_conv_plan_name(plan, ctx->kernel, sizeof ctx->kernel); /* im2col, igemm or Winograd */
    ctx->scratch_bytes = enet_f32_conv_scratch_bytes(plan);
  }
  ctx->fused_activation = 1;
  ctx->optimized = 1;
  return ENET_OK;
}

/* int8 fast path for CONV_2D and FULLY_CONNECTED (shared with conv_fc.c):
 * after the int8 prepare (ops/conv_s8.c) has checked the quantization and put
 * the multipliers in its enet_s8_state, pack the constant weights for the qs8
 * GEMM microkernels and replace that state with the plan. Bit-exact with the
 * reference kernel. */
enet_status enet_prepare_packed_s8_gemm(enet_op_context* ctx, const enet_window* g) {
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  if (!k || !ctx->state || !ctx->inputs[1]->def->data || (bias && !bias->def->data)) return ENET_OK;
  if (!enet_requantization_fixed_point(ctx)) return ENET_OK; /* FLOAT32: the reference kernel */
  enet_s8_state* st = ctx->state;
  int threads = enet_threadpool_size(ctx->threadpool);
  ctx->state = NULL;
  void* plan = enet_alloc_op_state(ctx, enet_qs8_conv_plan_size(k, g, threads));
  if (!plan) {
    ctx->state = st;
    return ENET_ERROR_OUT_OF_MEMORY;
  }
  const enet_qs8_conv_plan* packed =
      enet_qs8_conv_plan_init(plan, k, g, threads, ctx->inputs[1]->data, bias ? bias->data : NULL, st->in_zp,
                              st->requant, st->out.zero_point, st->out.min, st->out.max);
  ctx->scratch_bytes = enet_qs8_conv_scratch_bytes(packed);
  k = packed->k; /* the plan may pick another GEMM for this shape (enet_qs8_gemm_for): name the one that runs */
  snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-gemm-%zux%zuc%zu-%s", k->mr, k->nr, k->kr,
           enet_isa_name(enet_qs8_gemm_isa(k)));
  free(st);
  ctx->optimized = 1;
  return ENET_OK;
}

/* int8 fast path for DEPTHWISE_CONV_2D with depth_multiplier 1: the same
 * replacement of the int8 state by a packed plan (kernels/qs8_dwconv.c). */
static enet_status prepare_packed_s8_dwconv(enet_op_context* ctx, const enet_window* g) {
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  if (!k || !ctx->state || !ctx->inputs[1]->def->data || (bias && !bias->def->data) ||
      ctx->op->options.conv2d.depth_multiplier != 1 || !enet_requantization_fixed_point(ctx))
    return ENET_OK; /* FLOAT32 requantization: the reference kernel */
  enet_s8_state* st = ctx->state;
  int threads = enet_threadpool_size(ctx->threadpool);
  ctx->state = NULL;
  void* plan = enet_alloc_op_state(ctx, enet_qs8_dwconv_plan_size(k, g, threads));
  if (!plan) {
    ctx->state = st;
    return ENET_ERROR_OUT_OF_MEMORY;
  }
  enet_qs8_dwconv_plan_init(plan, k, g, threads, ctx->inputs[1]->data, bias ? bias->data : NULL, st->in_zp,
                            st->requant, &st->out);
  snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-dwconv-c%zu-%s", k->dwconv_cb, enet_isa_name(enet_qs8_dwconv_isa(k)));
  free(st);
  ctx->optimized = 1;
  return ENET_OK;
}

/* Hybrid: float x and y, constant int8 weights (their dtype says so). Each invoke quantizes x per
 * image or as a whole (Operator.hybrid_quantization), sums in int32 and scales back to float
 * (kernels/reference/reference_s8.h). */
static enet_status prepare_hybrid(enet_op_context* ctx, const enet_window* g, int depthwise) {
  int mode = ctx->op->hybrid_quantization;
  if (mode == ENET_HybridQuantization_XNNPACK_ROW)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "hybrid_quantization XNNPACK_ROW is for fully connected layers: "
                          "a convolution window mixes rows (XNNPACK_BATCH quantizes each image)");
  int64_t blocks = mode == ENET_HybridQuantization_ONNX_TENSOR ? 1 : g->batch;
  enet_hybrid_plan* p;
  enet_status s = enet_prepare_hybrid(ctx, depthwise ? 3 : 0, blocks, blocks ? g->batch / blocks : 1, &p);
  if (s != ENET_OK) return s;
  p->window = *g;
  p->depth_multiplier = depthwise ? ctx->op->options.conv2d.depth_multiplier : 0;
  return ENET_OK;
}

static void hybrid_task(void* context, size_t begin, size_t end, int thread) { /* output rows of all images */
  (void)thread;
  const enet_hybrid_plan* p = context;
  enet_ref_conv2d_hybrid((int64_t)begin, (int64_t)end, &p->window, p->depth_multiplier, &p->x, p->w, p->w_zp,
                         p->w_scale, p->bias, p->min, p->max, p->y);
}

static void invoke_hybrid(const enet_op_context* ctx) {
  const enet_hybrid_plan* p = ctx->state;
  enet_invoke_hybrid(ctx, hybrid_task, (size_t)(p->window.batch * p->window.out_h));
}

static enet_status prepare(enet_op_context* ctx, int depthwise) {
  enet_window g;
  int int8 = enet_is_int8_op(ctx); /* int8 kernels: ops/conv_s8.c */
  int hybrid = enet_is_hybrid_op(ctx);
  enet_status s = int8 || hybrid ? ENET_OK : enet_check_float(ctx);
  if (s == ENET_OK) s = conv_geometry(ctx, depthwise, &g);
  if (s != ENET_OK) return s;
  int64_t shape[4] = {g.batch, g.out_h, g.out_w, g.out_c};
  size_t bytes; /* huge paddings or dilations: checked before the kernel plans multiply these dims */
  if (!enet_shape_bytes(4, shape, ctx->outputs[0]->def->dtype, &bytes))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "output shape (%lld, %lld, %lld, %lld) is too large",
                          (long long)g.batch, (long long)g.out_h, (long long)g.out_w, (long long)g.out_c);
  enet_set_output_shape(ctx->outputs[0], 4, shape);
  if (hybrid) return prepare_hybrid(ctx, &g, depthwise);
  if (int8 && depthwise) {
    s = enet_depthwise_conv2d_s8_prepare(ctx, &g);
    return s == ENET_OK ? prepare_packed_s8_dwconv(ctx, &g) : s;
  }
  if (int8) {
    s = enet_conv2d_s8_prepare(ctx, &g);
    return s == ENET_OK ? enet_prepare_packed_s8_gemm(ctx, &g) : s;
  }
  return prepare_packed_f32(ctx, &g, depthwise);
}

enet_status enet_conv2d_prepare(enet_op_context* ctx) { return prepare(ctx, 0); }
enet_status enet_depthwise_conv2d_prepare(enet_op_context* ctx) { return prepare(ctx, 1); }

void enet_conv2d_invoke(const enet_op_context* ctx) {
  if (enet_is_hybrid_op(ctx)) {
    invoke_hybrid(ctx);
    return;
  }
  if (ctx->optimized && enet_is_int8_op(ctx)) { /* packed at prepare */
    enet_qs8_conv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data, ctx->scratch);
    return;
  }
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_conv2d_s8_invoke(ctx);
    return;
  }
  if (ctx->optimized) { /* packed at prepare */
    enet_f32_conv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data, ctx->scratch);
    return;
  }
  enet_window g;
  conv_geometry(ctx, 0, &g); /* already checked in prepare */
  enet_ref_conv2d_f32(&g, ctx->inputs[0]->data, ctx->inputs[1]->data, bias_data(ctx), ctx->outputs[0]->data);
}

void enet_depthwise_conv2d_invoke(const enet_op_context* ctx) {
  if (enet_is_hybrid_op(ctx)) {
    invoke_hybrid(ctx);
    return;
  }
  if (ctx->optimized && enet_is_int8_op(ctx)) { /* packed at prepare */
    enet_qs8_dwconv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data);
    return;
  }
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_depthwise_conv2d_s8_invoke(ctx);
    return;
  }
  if (ctx->optimized) { /* packed at prepare */
    enet_f32_dwconv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data);
    return;
  }
  enet_window g;
  conv_geometry(ctx, 1, &g);
  enet_ref_depthwise_conv2d_f32(&g, ctx->op->options.conv2d.depth_multiplier, ctx->inputs[0]->data,
                                ctx->inputs[1]->data, bias_data(ctx), ctx->outputs[0]->data);
}
