/* int8 ADD / SUB / MUL (per-tensor quantized, numpy broadcasting) and the
 * table-driven unary ops SIGMOID, TANH, HARD_SWISH (x, table) -> table[x + 128]. */
#include <math.h>
#include <stdio.h>

#include "../kernels/optimized.h"
#include "ops_s8.h"

/* add / sub: the largest S in [1, 31] with both multipliers below 2^21 (docs/QUANTIZATION.md). */
static enet_status add_multipliers(float s_a, float s_b, float s_out, enet_binary_s8_params* p) {
  double ra = (double)s_a / (double)s_out, rb = (double)s_b / (double)s_out;
  for (int shift = 31; shift >= 1; shift--) {
    double ma = floor(ra * ldexp(1.0, shift) + 0.5), mb = floor(rb * ldexp(1.0, shift) + 0.5);
    if (ma < (double)(1 << 21) && mb < (double)(1 << 21)) {
      p->a_mult = (int32_t)ma, p->b_mult = (int32_t)mb, p->add_shift = shift;
      return ENET_OK;
    }
  }
  return enet_set_error(ENET_ERROR_UNSUPPORTED, "input scales %g and %g are too large for output scale %g",
                        (double)s_a, (double)s_b, (double)s_out);
}

enet_status enet_binary_s8_prepare(enet_op_context* ctx) {
  enet_s8_state* st;
  enet_s8_output out;
  float s_a, s_b, s_out;
  int32_t zp_a, zp_b, zp_out;
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input a");
  if (s == ENET_OK) s = enet_check_dtype(ctx->inputs[1], ENET_DataType_INT8, "input b");
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[0], "input a", &s_a, &zp_a);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[1], "input b", &s_b, &zp_b);
  if (s == ENET_OK) s = enet_s8_output_params(ctx, &out);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", &s_out, &zp_out);
  if (s == ENET_OK) s = enet_s8_state_alloc(ctx, 0, &st);
  if (s != ENET_OK) return s;
  st->binary.a_zp = zp_a, st->binary.b_zp = zp_b, st->binary.out = out;
  if (ctx->op->opcode == ENET_OpCode_MUL)
    return enet_quantize_multiplier((double)s_a * (double)s_b / (double)s_out, &st->binary.mul_requant);
  return add_multipliers(s_a, s_b, s_out, &st->binary);
}

void enet_binary_s8_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  for (int d = 0; d < y->ndim; d++) as[d] = bs[d] = 1; /* right-align, leading 1s */
  for (int d = 0; d < a->ndim; d++) as[y->ndim - a->ndim + d] = a->shape[d];
  for (int d = 0; d < b->ndim; d++) bs[y->ndim - b->ndim + d] = b->shape[d];
  enet_binary_op op = ctx->op->opcode == ENET_OpCode_ADD   ? ENET_BINARY_ADD
                      : ctx->op->opcode == ENET_OpCode_SUB ? ENET_BINARY_SUB
                                                           : ENET_BINARY_MUL;
  enet_ref_binary_s8(op, &((const enet_s8_state*)ctx->state)->binary, y->ndim, y->shape, as, a->data, bs, b->data,
                     y->data);
}

enet_status enet_lookup_s8_prepare(enet_op_context* ctx) {
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_check_dtype(ctx->outputs[0], ENET_DataType_INT8, "output");
  if (s != ENET_OK) return s;
  const enet_rt_tensor* table = ctx->num_inputs > 1 ? ctx->inputs[1] : NULL;
  if (!table || table->def->dtype != ENET_DataType_INT8 || !table->def->data || table->ndim != 1 ||
      table->shape[0] != 256)
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "int8 %s needs a second input: a constant int8 lookup table of shape (256,)",
                          enet_opcode_name(ctx->op->opcode));
  enet_set_output_shape(ctx->outputs[0], ctx->inputs[0]->ndim, ctx->inputs[0]->shape);
  const enet_qs8_kernels* k = enet_qs8_kernels_for(enet_isa_selected());
  if (k && k->lut) snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-lut-%s", enet_isa_name(k->isa));
  return ENET_OK;
}

void enet_lookup_s8_invoke(const enet_op_context* ctx) {
  /* The vector lookup (kernels/qs8_elementwise.c) when this CPU has one; same bytes as the reference. */
  size_t n = (size_t)enet_tensor_elements(ctx->inputs[0]);
  if (!enet_qs8_lut_run(enet_qs8_kernels_for(enet_isa_selected()), ctx->threadpool, n, ctx->inputs[1]->data,
                        ctx->inputs[0]->data, ctx->outputs[0]->data))
    enet_ref_lookup_s8((int64_t)n, ctx->inputs[1]->data, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
