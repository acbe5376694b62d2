/* int8 CONCAT (each input requantized to the output's scale and zero point, copied
 * when they already match) and PAD (the constant quantized with the input's
 * parameters). RESHAPE and TRANSPOSE move int8 data like any dtype; they only
 * check that input and output share their quantization (enet_check_same_quant). */
#include <string.h>

#include "ops_s8.h"

enet_status enet_concat_s8_prepare(enet_op_context* ctx) {
  enet_s8_state* st;
  enet_s8_output out;
  float s_out;
  int32_t zp_out;
  enet_status s = enet_s8_output_params(ctx, &out);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", &s_out, &zp_out);
  if (s == ENET_OK) s = enet_s8_state_alloc(ctx, ctx->num_inputs, &st);
  if (s != ENET_OK) return s;
  st->out = out;
  for (int i = 0; i < ctx->num_inputs; i++) {
    float s_in;
    int32_t zp_in;
    if ((s = enet_per_tensor_quant(ctx->inputs[i], "input", &s_in, &zp_in)) != ENET_OK ||
        (s = enet_quantize_multiplier((double)s_in / (double)s_out, &st->requant[i])) != ENET_OK) {
      enet_prefix_error("input %d: ", i);
      return s;
    }
  }
  return ENET_OK;
}

void enet_concat_s8_invoke(const enet_op_context* ctx) {
  /* As the float concat: for each outer index, each input contributes one row. */
  const enet_s8_state* st = ctx->state;
  int axis = ctx->op->options.concat.axis;
  int64_t outer, inner, out_row, offset = 0;
  enet_concat_rows(ctx, &outer, &inner, &out_row);
  for (int i = 0; i < ctx->num_inputs; i++) {
    const enet_tensor_def* def = ctx->inputs[i]->def;
    int same = def->scale[0] == ctx->outputs[0]->def->scale[0] && def->zero_point[0] == st->out.zero_point;
    int64_t row = ctx->inputs[i]->shape[axis] * inner;
    const int8_t* src = ctx->inputs[i]->data;
    int8_t* dst = (int8_t*)ctx->outputs[0]->data + offset;
    for (int64_t o = 0; o < outer && row; o++) {
      if (same)
        memcpy(dst + o * out_row, src + o * row, (size_t)row);
      else
        enet_ref_requantize_s8(row, src + o * row, (int32_t)def->zero_point[0], st->requant[i], &st->out,
                               dst + o * out_row);
    }
    offset += row;
  }
}

enet_status enet_pad_s8_prepare(enet_op_context* ctx) {
  enet_s8_state* st;
  float scale;
  int32_t zp;
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_check_dtype(ctx->outputs[0], ENET_DataType_INT8, "output");
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[0], "input", &scale, &zp);
  if (s == ENET_OK) s = enet_check_same_quant(ctx);
  if (s == ENET_OK) s = enet_s8_state_alloc(ctx, 0, &st);
  if (s != ENET_OK) return s;
  enet_ref_quantize_f32_s8(1, &ctx->op->options.pad.constant_value, scale, zp, &st->pad_value);
  return ENET_OK;
}

void enet_pad_s8_invoke(const enet_op_context* ctx) {
  enet_ref_pad_s8(ctx->inputs[0]->ndim, ctx->inputs[0]->shape, ctx->op->options.pad.paddings,
                  ((const enet_s8_state*)ctx->state)->pad_value, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
