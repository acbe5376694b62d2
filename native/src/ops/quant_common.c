/* Prepare-time helpers of the int8 ops: quantization parameters read and checked,
 * real multipliers turned into fixed point (docs/QUANTIZATION.md, "Multipliers"). */
#include <math.h>
#include <string.h>

#include "ops_s8.h"

int enet_is_int8_op(const enet_op_context* ctx) {
  return (ctx->num_inputs > 0 && ctx->inputs[0] && ctx->inputs[0]->def->dtype == ENET_DataType_INT8) ||
         ctx->outputs[0]->def->dtype == ENET_DataType_INT8;
}

enet_status enet_s8_state_alloc(enet_op_context* ctx, int64_t num_requant, enet_s8_state** out) {
  if (num_requant < 0 || num_requant > (1 << 24))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 op needs %lld multipliers; at most %d are supported",
                          (long long)num_requant, 1 << 24);
  size_t bytes = sizeof(enet_s8_state) + (size_t)num_requant * sizeof(enet_requant);
  enet_s8_state* state = enet_alloc_op_state(ctx, bytes); /* freed by the interpreter */
  if (!state) return ENET_ERROR_OUT_OF_MEMORY;
  memset(state, 0, bytes);
  state->num_requant = (int)num_requant;
  ctx->fused_activation = 1;
  *out = state;
  return ENET_OK;
}

enet_status enet_check_dtype(const enet_rt_tensor* t, int dtype, const char* what) {
  if (t->def->dtype != dtype)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 op: %s '%s' has dtype %s, expected %s", what, t->def->name,
                          enet_dtype_name(t->def->dtype), enet_dtype_name(dtype));
  return ENET_OK;
}

enet_status enet_per_tensor_quant(const enet_rt_tensor* t, const char* what, float* scale, int32_t* zero_point) {
  const enet_tensor_def* d = t->def;
  if (d->num_quant == 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s '%s' is %s but has no quantization parameters", what, d->name,
                          enet_dtype_name(d->dtype));
  if (d->num_quant != 1)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s '%s' has %d scales; int8 activations need one (per tensor)", what,
                          d->name, d->num_quant);
  if (d->zero_point[0] < -128 || d->zero_point[0] > 127)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s '%s' zero point %lld is outside [-128, 127]", what, d->name,
                          (long long)d->zero_point[0]);
  *scale = d->scale[0];
  *zero_point = (int32_t)d->zero_point[0];
  return ENET_OK;
}

enet_status enet_quantize_multiplier(double m, enet_requant* out) {
  if (!(m > 0.0) || !isfinite(m))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "requantization multiplier %g is not positive and finite", m);
  int e;
  double q = frexp(m, &e); /* m = q * 2^e, q in [0.5, 1) */
  int64_t multiplier = (int64_t)floor(q * 2147483648.0 + 0.5);
  if (multiplier == ((int64_t)1 << 31)) { /* q rounded up to 1.0 */
    multiplier = (int64_t)1 << 30;
    e += 1;
  }
  int shift = 31 - e;
  if (shift < 1 || shift > 62)
    return enet_set_error(ENET_ERROR_UNSUPPORTED,
                          "requantization multiplier %g is out of range (shift %d not in [1, 62]); check the scales", m,
                          shift);
  out->multiplier = (int32_t)multiplier;
  out->shift = shift;
  return ENET_OK;
}

enet_status enet_s8_output_params(const enet_op_context* ctx, enet_s8_output* out) {
  const enet_rt_tensor* y = ctx->outputs[0];
  float scale;
  int32_t zp;
  enet_status s = enet_check_dtype(y, ENET_DataType_INT8, "output");
  if (s == ENET_OK) s = enet_per_tensor_quant(y, "output", &scale, &zp);
  if (s != ENET_OK) return s;
  out->zero_point = zp;
  out->min = -128;
  out->max = 127;
  int activation = ctx->op->activation;
  if (activation == ENET_Activation_RELU || activation == ENET_Activation_RELU6) out->min = zp > -128 ? zp : -128;
  if (activation == ENET_Activation_RELU6) {
    double six = round(6.0 / (double)scale); /* round half away from zero */
    int64_t hi = six > 255.0 ? 127 : zp + (int64_t)six; /* above 255 it saturates anyway */
    out->max = hi < 127 ? (int32_t)hi : 127;
    if (out->max < out->min) out->max = out->min;
  } else if (activation != ENET_Activation_NONE && activation != ENET_Activation_RELU) {
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "fused activation %d has no int8 clamp", activation);
  }
  return ENET_OK;
}

enet_status enet_check_same_quant(const enet_op_context* ctx) {
  const enet_tensor_def *x = ctx->inputs[0]->def, *y = ctx->outputs[0]->def;
  if (x->num_quant == 0 || y->num_quant == 0) return ENET_OK; /* raw int8 data: nothing to disagree on */
  int same = x->num_quant == y->num_quant;
  for (int i = 0; same && i < x->num_quant; i++)
    same = x->scale[i] == y->scale[i] && x->zero_point[i] == y->zero_point[i];
  if (!same)
    return enet_set_error(ENET_ERROR_UNSUPPORTED,
                          "input '%s' and output '%s' must have the same quantization (this op moves data only)",
                          x->name, y->name);
  return ENET_OK;
}
