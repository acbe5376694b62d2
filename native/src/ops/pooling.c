/* MAX_POOL_2D and AVG_POOL_2D on NHWC input, Pool2DOptions. */
#include <stdio.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_pool2d_options(const enet_op_options* options) {
  const enet_Pool2DOptions* o = &options->pool2d;
  if (o->filter_h < 1 || o->filter_w < 1 || o->stride_h < 1 || o->stride_w < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "Pool2DOptions filter (%d, %d) and strides (%d, %d) must be >= 1",
                          o->filter_h, o->filter_w, o->stride_h, o->stride_w);
  if (o->pad_top < 0 || o->pad_bottom < 0 || o->pad_left < 0 || o->pad_right < 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "Pool2DOptions paddings must be >= 0");
  return ENET_OK;
}

static enet_status pool_geometry(const enet_op_context* ctx, enet_window* g) {
  const enet_rt_tensor* x = ctx->inputs[0];
  const enet_op_options* o = &ctx->op->options;
  enet_status s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)");
  if (s != ENET_OK) return s;
  /* A window made only of padding would have nothing to pool. */
  if (o->pool2d.pad_top >= o->pool2d.filter_h || o->pool2d.pad_bottom >= o->pool2d.filter_h ||
      o->pool2d.pad_left >= o->pool2d.filter_w || o->pool2d.pad_right >= o->pool2d.filter_w)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "paddings must be smaller than the filter (%d, %d)",
                          o->pool2d.filter_h, o->pool2d.filter_w);
  /* With H or W = 0 the paddings alone make windows; nothing would be pooled (and int8
   * average pooling has no multiplier for a count of 0). */
  if (x->shape[1] == 0 || x->shape[2] == 0) {
    char xs[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %s has an empty image (H or W is 0): nothing to pool",
                          enet_format_shape(xs, sizeof xs, x->ndim, x->shape));
  }
  g->batch = x->shape[0], g->in_h = x->shape[1], g->in_w = x->shape[2], g->in_c = x->shape[3];
  g->out_c = g->in_c;
  g->k_h = o->pool2d.filter_h, g->k_w = o->pool2d.filter_w;
  g->stride_h = o->pool2d.stride_h, g->stride_w = o->pool2d.stride_w;
  g->dilation_h = g->dilation_w = 1;
  g->pad_top = o->pool2d.pad_top, g->pad_left = o->pool2d.pad_left;
  if ((s = enet_window_output(g->in_h, o->pool2d.pad_top, o->pool2d.pad_bottom, g->k_h, 1, g->stride_h, "height",
                              &g->out_h)) != ENET_OK)
    return s;
  return enet_window_output(g->in_w, o->pool2d.pad_left, o->pool2d.pad_right, g->k_w, 1, g->stride_w, "width", &g->out_w);
}

enet_status enet_pool2d_prepare(enet_op_context* ctx) {
  enet_window g;
  int int8 = enet_is_int8_op(ctx); /* int8 kernels: ops/pooling_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s == ENET_OK) s = pool_geometry(ctx, &g);
  if (s != ENET_OK) return s;
  int64_t shape[4] = {g.batch, g.out_h, g.out_w, g.out_c};
  enet_set_output_shape(ctx->outputs[0], 4, shape);
  if (int8) return enet_pool2d_s8_prepare(ctx, &g);
  /* Float max pool: the threaded, vectorized kernel when the CPU has a kernel family. */
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D && k) {
    ctx->optimized = 1;
    snprintf(ctx->kernel, sizeof ctx->kernel, "f32-maxpool-%s", enet_isa_name(k->isa));
  }
  return ENET_OK;
}

void enet_pool2d_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_pool2d_s8_invoke(ctx);
    return;
  }
  enet_window g;
  pool_geometry(ctx, &g);
  if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D && ctx->optimized)
    enet_f32_maxpool_run(&g, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data);
  else if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D)
    enet_ref_max_pool2d_f32(&g, ctx->inputs[0]->data, ctx->outputs[0]->data);
  else
    enet_ref_avg_pool2d_f32(&g, ctx->op->options.pool2d.count_include_pad, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
