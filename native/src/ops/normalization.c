/* The normalization family (Python side: edgenet/ops/normalization.py); int8 SOFTMAX in
 * normalization_s8.c.
 *   SOFTMAX         exp(beta * (x - max)) / sum along SoftmaxOptions.axis (negative counts from the end)
 *   LOG_SOFTMAX     SoftmaxOptions.axis (beta unused)
 *   LAYER_NORM      x, scale, bias or absent (both shaped x.shape[axis:]). LayerNormOptions.
 *   INSTANCE_NORM   x (N,H,W,C), scale (C), bias (C). InstanceNormOptions. */
#include <stdio.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_softmax_options(const enet_op_options* options) {
  if (options->softmax.axis < -ENET_MAX_DIMS || options->softmax.axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "SoftmaxOptions.axis %d out of range", options->softmax.axis);
  return ENET_OK;
}

static int softmax_axis(const enet_op_context* ctx) {
  int axis = ctx->op->options.softmax.axis;
  return axis < 0 ? axis + ctx->inputs[0]->ndim : axis;
}

/* Float softmax over the last axis (contiguous rows: classifiers, attention) runs through the
 * vector kernel of the selected family (kernels/f32_elementwise.c), picked once here; other
 * axes keep the reference. */
static enet_status prepare_vector_f32(enet_op_context* ctx, int axis) {
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  if (!k || !k->softmax || axis != ctx->inputs[0]->ndim - 1) return ENET_OK;
  enet_f32_softmax_ukernel* st = enet_alloc_op_state(ctx, sizeof *st);
  if (!st) return ENET_ERROR_OUT_OF_MEMORY;
  *st = k->softmax;
  ctx->optimized = 1;
  snprintf(ctx->kernel, sizeof ctx->kernel, "%s", k->softmax_name);
  return ENET_OK;
}

enet_status enet_softmax_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/normalization_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s != ENET_OK) return s;
  if (!int8 && ctx->num_inputs != 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "float SOFTMAX takes one input, got %d", ctx->num_inputs);
  int axis = softmax_axis(ctx);
  if (axis < 0 || axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d",
                          ctx->op->options.softmax.axis, x->ndim);
  enet_set_output_shape(ctx->outputs[0], x->ndim, x->shape);
  return int8 ? enet_softmax_s8_prepare(ctx, axis) : prepare_vector_f32(ctx, axis);
}

void enet_softmax_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_softmax_s8_invoke(ctx);
    return;
  }
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = softmax_axis(ctx);
  if (ctx->optimized) { /* last axis, vector kernel picked at prepare */
    const enet_f32_softmax_ukernel* kernel = ctx->state;
    size_t n = (size_t)x->shape[axis];
    size_t rows = n ? (size_t)enet_tensor_elements(x) / n : 0;
    enet_f32_softmax_run(*kernel, ctx->threadpool, rows, n, ctx->op->options.softmax.beta, x->data,
                         ctx->outputs[0]->data);
    return;
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
  enet_ref_softmax_f32(outer, x->shape[axis], inner, ctx->op->options.softmax.beta, x->data, ctx->outputs[0]->data);
}

/* ---- LOG_SOFTMAX, LAYER_NORM, INSTANCE_NORM ---- */

enet_status enet_check_layer_norm_options(const enet_op_options* options) {
  if (options->layer_norm.axis < -ENET_MAX_DIMS || options->layer_norm.axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "LayerNormOptions.axis %d out of range", options->layer_norm.axis);
  if (!(options->layer_norm.epsilon >= 0.0f))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "LayerNormOptions.epsilon must be >= 0");
  return ENET_OK;
}

enet_status enet_check_instance_norm_options(const enet_op_options* options) {
  if (!(options->instance_norm.epsilon >= 0.0f))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "InstanceNormOptions.epsilon must be >= 0");
  return ENET_OK;
}

static int normalized_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

/* (outer, axis_len, inner) of x around `axis`. */
static void split_at_axis(const enet_rt_tensor* x, int axis, int64_t* outer, int64_t* inner) {
  *outer = *inner = 1;
  for (int d = 0; d < axis; d++) *outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) *inner *= x->shape[d];
}

enet_status enet_log_softmax_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_status s = enet_check_float(ctx);
  if (s != ENET_OK) return s;
  int axis = normalized_axis(ctx->op->options.softmax.axis, x->ndim);
  if (axis < 0 || axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d",
                          ctx->op->options.softmax.axis, x->ndim);
  enet_set_output_shape(ctx->outputs[0], x->ndim, x->shape);
  return ENET_OK;
}

void enet_log_softmax_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = normalized_axis(ctx->op->options.softmax.axis, x->ndim);
  int64_t outer, inner;
  split_at_axis(x, axis, &outer, &inner);
  enet_ref_log_softmax_f32(outer, x->shape[axis], inner, x->data, ctx->outputs[0]->data);
}

/* scale/bias (when present) must have exactly `ndim` dims equal to `dims`. */
static enet_status check_param(const enet_rt_tensor* t, int ndim, const int64_t* dims, const char* role) {
  int same = t->ndim == ndim;
  for (int d = 0; same && d < ndim; d++) same = t->shape[d] == dims[d];
  if (!same) {
    char want[ENET_SHAPE_STR_MAX], got[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s must have shape %s, got %s", role,
                          enet_format_shape(want, sizeof want, ndim, dims), enet_format_shape(got, sizeof got, t->ndim, t->shape));
  }
  return ENET_OK;
}

enet_status enet_layer_norm_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  enet_status s = enet_check_float(ctx);
  if (s != ENET_OK) return s;
  int axis = normalized_axis(ctx->op->options.layer_norm.axis, x->ndim);
  if (axis < 0 || axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d",
                          ctx->op->options.layer_norm.axis, x->ndim);
  s = check_param(ctx->inputs[1], x->ndim - axis, x->shape + axis, "scale");
  if (s == ENET_OK && bias) s = check_param(bias, x->ndim - axis, x->shape + axis, "bias");
  if (s != ENET_OK) return s;
  enet_set_output_shape(ctx->outputs[0], x->ndim, x->shape);
  return ENET_OK;
}

void enet_layer_norm_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  int axis = normalized_axis(ctx->op->options.layer_norm.axis, x->ndim);
  int64_t inner = 1;
  for (int d = axis; d < x->ndim; d++) inner *= x->shape[d];
  int64_t outer = inner ? enet_tensor_elements(x) / inner : 0;
  enet_ref_layer_norm_f32(outer, inner, ctx->op->options.layer_norm.epsilon, x->data, ctx->inputs[1]->data,
                          bias ? bias->data : NULL, ctx->outputs[0]->data);
}

enet_status enet_instance_norm_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_status s = enet_check_float(ctx);
  if (s == ENET_OK) s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)");
  if (s == ENET_OK) s = check_param(ctx->inputs[1], 1, x->shape + 3, "scale");
  if (s == ENET_OK) s = check_param(ctx->inputs[2], 1, x->shape + 3, "bias");
  if (s != ENET_OK) return s;
  enet_set_output_shape(ctx->outputs[0], x->ndim, x->shape);
  return ENET_OK;
}

void enet_instance_norm_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_ref_instance_norm_f32(x->shape[0], x->shape[1] * x->shape[2], x->shape[3],
                             ctx->op->options.instance_norm.epsilon, x->data, ctx->inputs[1]->data,
                             ctx->inputs[2]->data, ctx->outputs[0]->data);
}
