/* FULLY_CONNECTED: x (..., In), w (Out, In), bias (Out) or absent -> (..., Out). */
#include "../kernels/reference/reference.h"
#include "ops.h"

enet_status enet_fully_connected_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  enet_status s = enet_check_float(ctx);
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
  return ENET_OK;
}

void enet_fully_connected_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  int64_t rows = 1; /* all leading dims of x */
  for (int d = 0; d + 1 < x->ndim; d++) rows *= x->shape[d];
  int64_t in = w->shape[1], out = w->shape[0];
  enet_ref_fully_connected_f32(rows, in, out, x->data, w->data, bias ? bias->data : NULL, ctx->outputs[0]->data);
}
