/* Elementwise ops: ADD, SUB, MUL (numpy broadcasting), the activations RELU,
 * RELU6, SIGMOID, TANH, HARD_SWISH, and CLIP. */
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Right-aligns `t`'s shape into `ndim` dims, padding with leading 1s. */
static void aligned_shape(const enet_rt_tensor* t, int ndim, int64_t* out) {
  for (int d = 0; d < ndim; d++) out[d] = 1;
  for (int d = 0; d < t->ndim; d++) out[ndim - t->ndim + d] = t->shape[d];
}

enet_status enet_binary_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  int int8 = enet_is_int8_op(ctx); /* int8 kernels: ops/elementwise_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s != ENET_OK) return s;
  int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS], out[ENET_MAX_DIMS];
  aligned_shape(a, ndim, as);
  aligned_shape(b, ndim, bs);
  for (int d = 0; d < ndim; d++) {
    if (as[d] != bs[d] && as[d] != 1 && bs[d] != 1) {
      char sa[ENET_SHAPE_STR_MAX], sb[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot broadcast shapes %s and %s",
                            enet_format_shape(sa, sizeof sa, a->ndim, a->shape),
                            enet_format_shape(sb, sizeof sb, b->ndim, b->shape));
    }
    out[d] = as[d] == 1 ? bs[d] : as[d];
  }
  enet_set_output_shape(ctx->outputs[0], ndim, out);
  return int8 ? enet_binary_s8_prepare(ctx) : ENET_OK;
}

void enet_binary_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_binary_s8_invoke(ctx);
    return;
  }
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  aligned_shape(a, y->ndim, as);
  aligned_shape(b, y->ndim, bs);
  enet_binary_op op = ctx->op->opcode == ENET_OpCode_ADD   ? ENET_BINARY_ADD
                      : ctx->op->opcode == ENET_OpCode_SUB ? ENET_BINARY_SUB
                                                           : ENET_BINARY_MUL;
  enet_ref_binary_f32(op, y->ndim, y->shape, as, a->data, bs, b->data, y->data);
}

/* Unary ops and CLIP keep the input shape. */
enet_status enet_unary_prepare(enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) return enet_lookup_s8_prepare(ctx); /* int8: a table lookup */
  enet_status s = enet_check_float(ctx);
  if (s != ENET_OK) return s;
  if (ctx->num_inputs != 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "float %s takes one input, got %d",
                          enet_opcode_name(ctx->op->opcode), ctx->num_inputs);
  enet_set_output_shape(ctx->outputs[0], ctx->inputs[0]->ndim, ctx->inputs[0]->shape);
  return ENET_OK;
}

void enet_unary_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_lookup_s8_invoke(ctx);
    return;
  }
  enet_unary_op op;
  switch (ctx->op->opcode) {
    case ENET_OpCode_RELU: op = ENET_UNARY_RELU; break;
    case ENET_OpCode_RELU6: op = ENET_UNARY_RELU6; break;
    case ENET_OpCode_SIGMOID: op = ENET_UNARY_SIGMOID; break;
    case ENET_OpCode_TANH: op = ENET_UNARY_TANH; break;
    default: op = ENET_UNARY_HARD_SWISH; break;
  }
  enet_ref_unary_f32(op, enet_tensor_elements(ctx->inputs[0]), ctx->inputs[0]->data, ctx->outputs[0]->data);
}

enet_status enet_clip_prepare(enet_op_context* ctx) { return enet_unary_prepare(ctx); }

void enet_clip_invoke(const enet_op_context* ctx) {
  enet_ref_clip_f32(enet_tensor_elements(ctx->inputs[0]), ctx->op->options.clip.min, ctx->op->options.clip.max,
                    ctx->inputs[0]->data, ctx->outputs[0]->data);
}
