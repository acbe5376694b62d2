/* Prepare-time helpers of the int8 ops: quantization parameters read and checked,
 * real multipliers turned into fixed point (docs/QUANTIZATION.md, "Multipliers"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/optimized.h" /* enet_align64 */
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
  out->float_scale = 0.0f; /* fixed point; enet_use_float32_requantization switches it */
  return ENET_OK;
}

int enet_requantization_fixed_point(const enet_op_context* ctx) {
  return ctx->op->requantization == ENET_Requantization_FIXED_POINT;
}

void enet_use_float32_requantization(const enet_op_context* ctx, float s_in, float s_w, float s_out,
                                     enet_requant* r) {
  /* XNNPACK's scale: input_scale * kernel_scale / output_scale, each step in float32. The volatile
   * stops a compiler from keeping the product in higher precision or fusing the two steps. */
  volatile float product = s_in * s_w;
  if (!enet_requantization_fixed_point(ctx)) r->float_scale = product / s_out;
}

enet_status enet_s8_output_params(const enet_op_context* ctx, enet_s8_output* out) {
  const enet_rt_tensor* y = ctx->outputs[0];
  float scale = 0.0f; /* set by enet_per_tensor_quant on success (gcc cannot tell) */
  int32_t zp = 0;
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

/* ---- hybrid layers: float x and y, constant int8 weights (reference_s8.h) ---- */

int enet_is_hybrid_op(const enet_op_context* ctx) {
  return !enet_is_int8_op(ctx) && ctx->inputs[0]->def->dtype == ENET_DataType_FLOAT32 &&
         ctx->inputs[1]->def->dtype == ENET_DataType_INT8;
}

void enet_invoke_hybrid(const enet_op_context* ctx, enet_task_fn task, size_t count) {
  enet_hybrid_plan* p = ctx->state;
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  enet_ref_hybrid_quantize(p->x.mode, p->blocks, p->block_size, ctx->inputs[0]->data, p->x_q, p->x_scale, p->x_zp);
  p->w = ctx->inputs[1]->data;
  p->bias = bias ? bias->data : NULL;
  p->y = ctx->outputs[0]->data;
  enet_parallel_for(ctx->threadpool, task, p, count, 1);
}

enet_status enet_prepare_hybrid(enet_op_context* ctx, int axis, int64_t blocks, int64_t rows_per_block,
                                enet_hybrid_plan** out) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  const enet_tensor_def* wd = w->def;
  int64_t channels = w->shape[axis], weights = enet_tensor_elements(w), n = enet_tensor_elements(x), inner = 1;
  for (int d = axis + 1; d < w->ndim; d++) inner *= w->shape[d];
  enet_status s;
  if ((s = enet_check_dtype(ctx->outputs[0], ENET_DataType_FLOAT32, "output")) != ENET_OK ||
      (bias && (s = enet_check_dtype(bias, ENET_DataType_FLOAT32, "bias of int8 weights with float input")) != ENET_OK))
    return s;
  if (!wd->data)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 weights with a float input must be a constant tensor "
                          "(the hybrid kernel reads them at prepare)");
  if (!(wd->num_quant == 1 || (wd->num_quant == channels && wd->quant_axis == axis)))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 weights need one scale or one per output channel "
                          "(%lld on axis %d), got %d on axis %d", (long long)channels, axis, wd->num_quant,
                          wd->quant_axis);
  for (int q = 0; q < wd->num_quant; q++)
    if (!(wd->scale[q] > 0.0f) || isinf(wd->scale[q]))
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 weights: scale %g at %d is not positive and finite",
                            (double)wd->scale[q], q);
  if (weights / (channels ? channels : 1) > (1 << 24))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 weights with %lld inputs per output (at most 2^24)",
                          (long long)(weights / channels));
  size_t head = enet_align64(sizeof(enet_hybrid_plan)), per_channel = enet_align64((size_t)channels * 4),
         per_block = enet_align64((size_t)blocks * 4);
  uint8_t* block = enet_alloc_op_state(ctx, head + 3 * per_channel + 2 * per_block + (size_t)n);
  if (!block) return ENET_ERROR_OUT_OF_MEMORY;
  enet_hybrid_plan* p = (enet_hybrid_plan*)block;
  *p = (enet_hybrid_plan){.blocks = blocks, .block_size = blocks ? n / blocks : 0};
  p->w_zp = (int32_t*)(block + head);
  p->w_sum = (int32_t*)(block + head + per_channel);
  p->w_scale = (float*)(block + head + 2 * per_channel);
  p->x_scale = (float*)(block + head + 3 * per_channel);
  p->x_zp = (int32_t*)(block + head + 3 * per_channel + per_block);
  p->x_q = (int8_t*)(block + head + 3 * per_channel + 2 * per_block);
  p->x = (enet_hybrid_input){.mode = ctx->op->hybrid_quantization, .q = p->x_q, .scale = p->x_scale, .zp = p->x_zp,
                             .rows_per_block = rows_per_block > 0 ? rows_per_block : 1};
  enet_activation_range(ctx->op->activation, &p->min, &p->max);
  /* bound every int32 sum a kernel forms: |x_q| <= 128 and |x_q - x_zp| <= 255 */
  int64_t* sums = calloc((size_t)(channels ? channels : 1) * 3, sizeof(int64_t)); /* sum, sum |w|, sum |w - zp| */
  if (!sums) return ENET_ERROR_OUT_OF_MEMORY;
  for (int64_t c = 0; c < channels; c++) {
    int q = wd->num_quant == 1 ? 0 : (int)c;
    p->w_zp[c] = wd->zero_point ? (int32_t)wd->zero_point[q] : 0;
    p->w_scale[c] = wd->scale[q];
  }
  const int8_t* wq = wd->data;
  for (int64_t i = 0; i < weights; i++) {
    int64_t c = (i / inner) % channels, v = wq[i], centered = v - p->w_zp[c];
    sums[3 * c] += v, sums[3 * c + 1] += v < 0 ? -v : v, sums[3 * c + 2] += centered < 0 ? -centered : centered;
  }
  int64_t bad = -1;
  for (int64_t c = 0; c < channels && bad < 0; c++) {
    if (sums[3 * c + 1] * 128 > INT32_MAX || sums[3 * c + 2] * 255 > INT32_MAX) bad = c;
    p->w_sum[c] = (int32_t)sums[3 * c];
  }
  free(sums);
  if (bad >= 0)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 weights of output channel %lld could overflow the int32 "
                          "accumulator", (long long)bad);
  snprintf(ctx->kernel, sizeof ctx->kernel, "reference-hybrid-s8");
  ctx->fused_activation = 1;
  *out = p;
  return ENET_OK;
}
