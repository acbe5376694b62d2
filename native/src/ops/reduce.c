/* MEAN over ReduceOptions.axes (non-negative), optionally keeping dims. */
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_reduce_options(const enet_op_options* options) {
  const enet_ReduceOptions* o = &options->reduce;
  for (int i = 0; i < o->num_axes; i++)
    if (o->axes[i] < 0 || o->axes[i] >= ENET_MAX_DIMS)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "ReduceOptions.axes[%d] = %lld out of range", i,
                            (long long)o->axes[i]);
  return ENET_OK;
}

enet_status enet_reduced_dims(const enet_op_context* ctx, uint8_t* reduce) {
  const enet_rt_tensor* x = ctx->inputs[0];
  for (int d = 0; d < ENET_MAX_DIMS; d++) reduce[d] = 0;
  for (int i = 0; i < ctx->op->options.reduce.num_axes; i++) {
    int axis = ctx->op->options.reduce.axes[i];
    if (axis >= x->ndim)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d", axis, x->ndim);
    if (reduce[axis]) return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d listed twice", axis);
    reduce[axis] = 1;
  }
  return ENET_OK;
}

enet_status enet_mean_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  uint8_t reduce[ENET_MAX_DIMS];
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/pool_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s == ENET_OK) s = enet_reduced_dims(ctx, reduce);
  if (s != ENET_OK) return s;
  int64_t shape[ENET_MAX_DIMS];
  int ndim = 0;
  for (int d = 0; d < x->ndim; d++) {
    if (!reduce[d])
      shape[ndim++] = x->shape[d];
    else if (ctx->op->options.reduce.keep_dims)
      shape[ndim++] = 1;
  }
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  return int8 ? enet_mean_s8_prepare(ctx, reduce) : ENET_OK;
}

void enet_mean_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_mean_s8_invoke(ctx);
    return;
  }
  uint8_t reduce[ENET_MAX_DIMS];
  enet_reduced_dims(ctx, reduce);
  enet_ref_mean_f32(ctx->inputs[0]->ndim, ctx->inputs[0]->shape, reduce, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
