/* FULLY_CONNECTED: x (..., In), w (Out, In), bias (Out) or absent -> (..., Out). */
#include <math.h>
#include <stdio.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Float fast path: a fully connected layer is a 1x1 convolution over `rows`
 * pixels, so it shares the packed GEMM of conv (weights (Out, In) are OHWI
 * with KH = KW = 1). NULL state (no SIMD kernels, or non-constant weights):
 * the reference kernel runs. */
static enet_status prepare_packed_f32(enet_op_context* ctx, int64_t rows, int64_t in, int64_t out) {
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  if (!k || !ctx->inputs[1]->def->data || (bias && !bias->def->data)) return ENET_OK;
  enet_window g = {.batch = rows, .in_h = 1, .in_w = 1, .in_c = in, .out_h = 1, .out_w = 1, .out_c = out,
                   .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1};
  int threads = enet_threadpool_size(ctx->threadpool);
  float lo, hi;
  enet_activation_range(ctx->op->activation, &lo, &hi);
  void* state = enet_alloc_op_state(ctx, enet_f32_conv_plan_size(k, &g, threads));
  if (!state) return ENET_ERROR_OUT_OF_MEMORY;
  enet_f32_conv_plan* plan =
      enet_f32_conv_plan_init(state, k, &g, threads, ctx->inputs[1]->data, bias ? bias->data : NULL, lo, hi);
  enet_f32_conv_plan_name(plan, ctx->kernel, sizeof ctx->kernel);
  ctx->scratch_bytes = enet_f32_conv_scratch_bytes(plan);
  ctx->fused_activation = 1;
  ctx->optimized = 1;
  return ENET_OK;
}

/* Hybrid: float x and y, constant int8 weights (their dtype says so). Each invoke quantizes x in
 * blocks (Operator.hybrid_quantization: the whole tensor, each row, or each batch item), sums in
 * int32 and scales back to float (kernels/reference/reference_s8.h). */
static enet_status prepare_hybrid(enet_op_context* ctx, int64_t rows) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int mode = ctx->op->hybrid_quantization;
  int64_t blocks = mode == ENET_HybridQuantization_ONNX_TENSOR ? 1
                   : mode == ENET_HybridQuantization_XNNPACK_ROW ? rows
                                                                  : (x->ndim > 1 ? x->shape[0] : 1);
  enet_hybrid_plan* p;
  enet_status s = enet_prepare_hybrid(ctx, 0, blocks, blocks ? rows / blocks : 1, &p);
  if (s == ENET_OK) p->window = (enet_window){.batch = rows, .in_c = ctx->inputs[1]->shape[1],
                                              .out_c = ctx->inputs[1]->shape[0]};
  return s;
}

static void hybrid_task(void* context, size_t begin, size_t end, int thread) { /* rows */
  (void)thread;
  const enet_hybrid_plan* p = context;
  enet_ref_fully_connected_hybrid((int64_t)begin, (int64_t)end, p->window.in_c, p->window.out_c, &p->x, p->w,
                                  p->w_zp, p->w_sum, p->w_scale, p->bias, p->min, p->max, p->y);
}

enet_status enet_fully_connected_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/conv_s8.c */
  int hybrid = enet_is_hybrid_op(ctx);
  enet_status s = int8 || hybrid ? ENET_OK : enet_check_float(ctx);
  if (s == ENET_OK) s = enet_check_rank(ctx, 1, 2, "weights (Out, In)");
  if (s != ENET_OK) return s;
  if (x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1]) {
    char xs[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "input shape %s does not end in In = %lld of weights",
                          enet_format_shape(xs, sizeof xs, x->ndim, x->shape), (long long)w->shape[1]);
  }
  if (bias && (bias->ndim != 1 || bias->shape[0] != w->shape[0]))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "bias must have shape (%lld,)", (long long)w->shape[0]);
  int64_t shape[ENET_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  shape[x->ndim - 1] = w->shape[0];
  enet_set_output_shape(ctx->outputs[0], x->ndim, shape);
  if (int8) {
    s = enet_fully_connected_s8_prepare(ctx);
    if (s != ENET_OK) return s;
    int64_t rows = 1; /* all leading dims of x: a 1x1 conv over rows */
    for (int d = 0; d + 1 < x->ndim; d++) rows *= x->shape[d];
    enet_window g = {.batch = rows, .in_h = 1, .in_w = 1, .in_c = w->shape[1], .out_h = 1, .out_w = 1,
                     .out_c = w->shape[0], .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
                     .dilation_w = 1};
    return enet_prepare_packed_s8_gemm(ctx, &g);
  }
  int64_t rows = 1; /* all leading dims of x */
  for (int d = 0; d + 1 < x->ndim; d++) rows *= x->shape[d];
  if (hybrid) return prepare_hybrid(ctx, rows);
  return prepare_packed_f32(ctx, rows, w->shape[1], w->shape[0]);
}

void enet_fully_connected_invoke(const enet_op_context* ctx) {
  if (ctx->optimized && enet_is_int8_op(ctx)) { /* packed at prepare */
    enet_qs8_conv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data, ctx->scratch);
    return;
  }
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_fully_connected_s8_invoke(ctx);
    return;
  }
  if (enet_is_hybrid_op(ctx)) {
    enet_invoke_hybrid(ctx, hybrid_task, (size_t)((enet_hybrid_plan*)ctx->state)->window.batch);
    return;
  }
  if (ctx->optimized) { /* packed at prepare */
    enet_f32_conv_run(ctx->state, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data, ctx->scratch);
    return;
  }
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  int64_t rows = 1; /* all leading dims of x */
  for (int d = 0; d + 1 < x->ndim; d++) rows *= x->shape[d];
  int64_t in = w->shape[1], out = w->shape[0];
  enet_ref_fully_connected_f32(rows, in, out, x->data, w->data, bias ? bias->data : NULL, ctx->outputs[0]->data);
}
