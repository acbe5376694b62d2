/* Normalizations added for the ONNX importer (Python side: edgenet/ops/norms.py):
 *   LOG_SOFTMAX     SoftmaxOptions.axis (beta unused)
 *   LAYER_NORM      x, scale, bias or absent (both shaped x.shape[axis:]). LayerNormOptions.
 *   INSTANCE_NORM   x (N,H,W,C), scale (C), bias (C). InstanceNormOptions. */
#include "../kernels/reference/reference.h"
#include "ops.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
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
