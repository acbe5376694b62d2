/* SOFTMAX: exp(beta * (x - max)) / sum along SoftmaxOptions.axis (negative counts from the end). */
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
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/softmax_s8.c */
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
