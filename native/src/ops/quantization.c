/* QUANTIZE (float32 -> int8, or int8 -> int8 to a new scale / zero point) and
 * DEQUANTIZE (int8 -> float32), per-tensor (docs/QUANTIZATION.md). */
#include <stdio.h>

#include "../kernels/optimized.h"
#include "ops_s8.h"

enet_status enet_quantize_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  enet_s8_state* st;
  float s_in = 0.0f, s_out = 0.0f;
  int32_t zp_in = 0, zp_out = 0;
  enet_status s;
  if (ctx->op->opcode == ENET_OpCode_DEQUANTIZE) {
    s = enet_check_dtype(x, ENET_DataType_INT8, "input");
    if (s == ENET_OK) s = enet_check_dtype(y, ENET_DataType_FLOAT32, "output");
    if (s == ENET_OK) s = enet_per_tensor_quant(x, "input", &s_in, &zp_in);
  } else {
    s = x->def->dtype == ENET_DataType_FLOAT32 ? ENET_OK : enet_check_dtype(x, ENET_DataType_INT8, "input");
    if (s == ENET_OK && x->def->dtype == ENET_DataType_INT8) s = enet_per_tensor_quant(x, "input", &s_in, &zp_in);
    if (s == ENET_OK) s = enet_check_dtype(y, ENET_DataType_INT8, "output");
    if (s == ENET_OK) s = enet_per_tensor_quant(y, "output", &s_out, &zp_out);
  }
  if (s == ENET_OK && ctx->op->activation != ENET_Activation_NONE)
    s = enet_set_error(ENET_ERROR_UNSUPPORTED, "%s takes no fused activation", enet_opcode_name(ctx->op->opcode));
  if (s == ENET_OK) s = enet_s8_state_alloc(ctx, 1, &st);
  if (s != ENET_OK) return s;
  st->in_zp = zp_in;
  st->out.zero_point = zp_out, st->out.min = -128, st->out.max = 127;
  if (ctx->op->opcode == ENET_OpCode_QUANTIZE && x->def->dtype == ENET_DataType_INT8)
    s = enet_quantize_multiplier((double)s_in / (double)s_out, &st->requant[0]);
  enet_set_output_shape(ctx->outputs[0], x->ndim, x->shape);
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  int vector = ctx->op->opcode == ENET_OpCode_QUANTIZE && k &&
               (x->def->dtype == ENET_DataType_FLOAT32 ? k->f32_to_qs8 != NULL : k->lut != NULL);
  if (s == ENET_OK && vector)
    snprintf(ctx->kernel, sizeof ctx->kernel, "%s-%s",
             x->def->dtype == ENET_DataType_FLOAT32 ? "f32-qs8-vcvt" : "qs8-requant-lut", enet_isa_name(k->isa));
  return s;
}

void enet_quantize_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  const enet_s8_state* st = ctx->state;
  int64_t n = enet_tensor_elements(x);
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa); /* vector kernels, or NULL */
  if (ctx->op->opcode == ENET_OpCode_DEQUANTIZE)
    enet_ref_dequantize_s8_f32(n, x->data, x->def->scale[0], st->in_zp, y->data);
  else if (x->def->dtype == ENET_DataType_FLOAT32) {
    if (!enet_f32_qs8_quantize_run(k, ctx->threadpool, (size_t)n, x->data, y->data, y->def->scale[0],
                                   st->out.zero_point))
      enet_ref_quantize_f32_s8(n, x->data, y->def->scale[0], st->out.zero_point, y->data);
  } else if (k && k->lut) {
    /* int8 -> int8 is a function of 256 values: requantize each once, then look them up. */
    int8_t levels[256], table[256];
    for (int v = 0; v < 256; v++) levels[v] = (int8_t)(v - 128);
    enet_ref_requantize_s8(256, levels, st->in_zp, st->requant[0], &st->out, table);
    enet_qs8_lut_run(k, ctx->threadpool, (size_t)n, table, x->data, y->data);
  } else {
    enet_ref_requantize_s8(n, x->data, st->in_zp, st->requant[0], &st->out, y->data);
  }
}
