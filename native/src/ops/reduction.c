/* The reduction family (Python side: edgenet/ops/reduction.py); MEAN's int8 side is in
 * pooling_s8.c, next to the average pool it shares its accumulator bound with.
 *   MEAN, REDUCE_SUM, REDUCE_MAX, REDUCE_MIN   ReduceOptions (axes non-negative), optionally keeping dims
 *   ARG_MAX, ARG_MIN                           ArgOptions -> INT64 indices */
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
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/pooling_s8.c */
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

/* ---- REDUCE_*, ARG_* ---- */

enet_status enet_check_arg_options(const enet_op_options* options) {
  if (options->arg.axis < 0 || options->arg.axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "ArgOptions.axis %d out of range", options->arg.axis);
  return ENET_OK;
}

/* 0 for an opcode this switch does not know, which prepare rejects (no silent default). */
static int reduce_op(int opcode, enet_reduce_op* op) {
  switch (opcode) {
    case ENET_OpCode_REDUCE_SUM: *op = ENET_REDUCE_SUM; return 1;
    case ENET_OpCode_REDUCE_MAX: *op = ENET_REDUCE_MAX; return 1;
    case ENET_OpCode_REDUCE_MIN: *op = ENET_REDUCE_MIN; return 1;
    default: return 0;
  }
}

enet_status enet_reduce_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  uint8_t reduce[ENET_MAX_DIMS];
  enet_reduce_op op;
  if (!reduce_op(ctx->op->opcode, &op))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s has no kernel in ops/reduction.c", enet_opcode_name(ctx->op->opcode));
  enet_status s = enet_check_float(ctx);
  if (s == ENET_OK) s = enet_reduced_dims(ctx, reduce);
  if (s != ENET_OK) return s;
  int64_t shape[ENET_MAX_DIMS];
  int ndim = 0;
  for (int d = 0; d < x->ndim; d++) {
    /* max/min of nothing has no value (numpy raises); sum of nothing is 0 */
    if (reduce[d] && x->shape[d] == 0 && ctx->op->opcode != ENET_OpCode_REDUCE_SUM)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s over the empty axis %d", enet_opcode_name(ctx->op->opcode), d);
    if (!reduce[d])
      shape[ndim++] = x->shape[d];
    else if (ctx->op->options.reduce.keep_dims)
      shape[ndim++] = 1;
  }
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  return ENET_OK;
}

void enet_reduce_invoke(const enet_op_context* ctx) {
  uint8_t reduce[ENET_MAX_DIMS];
  enet_reduced_dims(ctx, reduce); /* checked in prepare */
  enet_reduce_op op = ENET_REDUCE_SUM;
  reduce_op(ctx->op->opcode, &op); /* known: prepare checked */
  enet_ref_reduce_f32(op, ctx->inputs[0]->ndim, ctx->inputs[0]->shape, reduce, ctx->inputs[0]->data,
                      ctx->outputs[0]->data);
}

enet_status enet_arg_reduce_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = ctx->op->options.arg.axis;
  enet_status s = enet_require_dtype(x, ENET_DataType_FLOAT32, "input x");
  if (s == ENET_OK) s = enet_require_dtype(ctx->outputs[0], ENET_DataType_INT64, "the output");
  if (s != ENET_OK) return s;
  if (axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d", axis, x->ndim);
  if (x->shape[axis] == 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s over the empty axis %d", enet_opcode_name(ctx->op->opcode),
                          axis);
  int64_t shape[ENET_MAX_DIMS];
  int ndim = 0;
  for (int d = 0; d < x->ndim; d++) {
    if (d != axis)
      shape[ndim++] = x->shape[d];
    else if (ctx->op->options.arg.keep_dims)
      shape[ndim++] = 1;
  }
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  return ENET_OK;
}

void enet_arg_reduce_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = ctx->op->options.arg.axis;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
  enet_ref_arg_reduce_f32(ctx->op->opcode == ENET_OpCode_ARG_MAX, ctx->op->options.arg.select_last_index, outer,
                          x->shape[axis], inner, x->data, ctx->outputs[0]->data);
}
