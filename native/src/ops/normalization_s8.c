/* int8 SOFTMAX: inputs (x int8, table int32 (256,) constant), output scale 1/256,
 * zero point -128. The table holds beta and the input scale (docs/QUANTIZATION.md). */
#include "ops_s8.h"

enet_status enet_softmax_s8_prepare(enet_op_context* ctx, int axis) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_s8_state* st;
  float s_out;
  int32_t zp_out;
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_check_dtype(ctx->outputs[0], ENET_DataType_INT8, "output");
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", &s_out, &zp_out);
  if (s != ENET_OK) return s;
  if (s_out != 1.0f / 256.0f || zp_out != -128)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 softmax output must have scale 1/256 and zero point -128, "
                          "got %g and %d", (double)s_out, (int)zp_out);
  const enet_rt_tensor* table = ctx->num_inputs > 1 ? ctx->inputs[1] : NULL; /* a constant: the loader checks */
  if (!table || table->def->dtype != ENET_DataType_INT32 || table->ndim != 1 || table->shape[0] != 256)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 softmax needs a second input: a constant int32 table of "
                          "shape (256,)");
  const int32_t* t = table->def->data;
  /* T[0] must be 2^16 (exp(0) in 16.16) and the rest in [0, 2^16], so sums stay nonzero and small. */
  if (t[0] != 65536)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 softmax table[0] is %d, expected 65536", (int)t[0]);
  for (int d = 1; d < 256; d++)
    if (t[d] < 0 || t[d] > 65536)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 softmax table[%d] = %d is outside [0, 65536]", d, (int)t[d]);
  if ((s = enet_s8_state_alloc(ctx, 0, &st)) != ENET_OK) return s;
  st->outer = st->inner = 1;
  for (int d = 0; d < axis; d++) st->outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) st->inner *= x->shape[d];
  st->axis_len = x->shape[axis];
  return ENET_OK;
}

void enet_softmax_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  enet_ref_softmax_s8(st->outer, st->axis_len, st->inner, ctx->inputs[1]->data, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
