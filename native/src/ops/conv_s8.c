/* int8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: x int8 (per tensor), weights
 * int8 symmetric (one scale, or one per output channel), bias int32 or absent,
 * output int8 (per tensor). prepare computes M[c] = s_in * s_w[c] / s_out. */
#include "ops_s8.h"

/* Axis of the weights that indexes output channels. */
enum { CONV_WEIGHT_AXIS = 0, DEPTHWISE_WEIGHT_AXIS = 3, FC_WEIGHT_AXIS = 0 };

/* Shared checks and multipliers. `k` = products summed per output (for the
 * int32 accumulator bound), out_c = output channels. */
static enet_status prepare_s8(enet_op_context* ctx, const enet_window* g, int weight_axis, int64_t k, int64_t out_c) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  enet_s8_state* st;
  enet_s8_output out;
  float s_in, s_out;
  int32_t zp_in, zp_out;
  enet_status s = enet_check_dtype(x, ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_check_dtype(w, ENET_DataType_INT8, "weights");
  if (s == ENET_OK && bias) s = enet_check_dtype(bias, ENET_DataType_INT32, "bias");
  if (s == ENET_OK) s = enet_per_tensor_quant(x, "input", &s_in, &zp_in);
  if (s == ENET_OK) s = enet_s8_output_params(ctx, &out);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", &s_out, &zp_out);
  if (s != ENET_OK) return s;
  const enet_tensor_def* wq = w->def;
  if (wq->num_quant == 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "weights '%s' are int8 but have no quantization parameters",
                          wq->name);
  if (wq->num_quant != 1 && (wq->quant_axis != weight_axis || wq->num_quant != out_c))
    return enet_set_error(ENET_ERROR_UNSUPPORTED,
                          "weights '%s' have %d scales on axis %d; need one, or %lld on axis %d (output channels)",
                          wq->name, wq->num_quant, wq->quant_axis, (long long)out_c, weight_axis);
  for (int c = 0; c < wq->num_quant; c++)
    if (wq->zero_point[c] != 0)
      return enet_set_error(ENET_ERROR_UNSUPPORTED, "weights '%s' zero point[%d] is %lld; int8 weights are symmetric (0)",
                            wq->name, c, (long long)wq->zero_point[c]);
  /* |x - zp| <= 255 and |w| <= 128: the sum of k products plus the bias must fit int32.
   * The bias is a constant (the registry says so and the loader checks), so its data is here. */
  int64_t max_bias = 0;
  for (int64_t c = 0; bias && c < out_c; c++) {
    int64_t b = ((const int32_t*)bias->data)[c];
    if ((b < 0 ? -b : b) > max_bias) max_bias = b < 0 ? -b : b;
  }
  if (k > ((int64_t)1 << 31) / (255 * 128) || k * 255 * 128 + max_bias > INT32_MAX)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 accumulator could overflow int32 (%lld products per output)",
                          (long long)k);
  if ((s = enet_s8_state_alloc(ctx, out_c, &st)) != ENET_OK) return s;
  st->out = out;
  st->in_zp = zp_in;
  if (g) st->window = *g;
  for (int64_t c = 0; c < out_c; c++) {
    float s_w = wq->scale[wq->num_quant == 1 ? 0 : c];
    if ((s = enet_quantize_multiplier((double)s_in * (double)s_w / (double)s_out, &st->requant[c])) != ENET_OK) {
      enet_prefix_error("output channel %lld: ", (long long)c);
      return s;
    }
    enet_use_float32_requantization(ctx, s_in, s_w, s_out, &st->requant[c]);
  }
  return ENET_OK;
}

enet_status enet_conv2d_s8_prepare(enet_op_context* ctx, const enet_window* g) {
  const enet_rt_tensor* w = ctx->inputs[1];
  return prepare_s8(ctx, g, CONV_WEIGHT_AXIS, w->shape[1] * w->shape[2] * w->shape[3], w->shape[0]);
}

enet_status enet_depthwise_conv2d_s8_prepare(enet_op_context* ctx, const enet_window* g) {
  const enet_rt_tensor* w = ctx->inputs[1];
  return prepare_s8(ctx, g, DEPTHWISE_WEIGHT_AXIS, w->shape[1] * w->shape[2], w->shape[3]);
}

enet_status enet_fully_connected_s8_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* w = ctx->inputs[1];
  return prepare_s8(ctx, NULL, FC_WEIGHT_AXIS, w->shape[1], w->shape[0]);
}

static const int32_t* bias_s8(const enet_op_context* ctx) {
  return ctx->num_inputs > 2 && ctx->inputs[2] ? (const int32_t*)ctx->inputs[2]->data : NULL;
}

void enet_conv2d_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  enet_ref_conv2d_s8(&st->window, ctx->inputs[0]->data, st->in_zp, ctx->inputs[1]->data, bias_s8(ctx), st->requant, &st->out,
                     ctx->outputs[0]->data);
}

void enet_depthwise_conv2d_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  enet_ref_depthwise_conv2d_s8(&st->window, ctx->op->options.conv2d.depth_multiplier, ctx->inputs[0]->data, st->in_zp,
                               ctx->inputs[1]->data, bias_s8(ctx), st->requant, &st->out, ctx->outputs[0]->data);
}

void enet_fully_connected_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  int64_t rows = 1; /* all leading dims of x */
  for (int d = 0; d + 1 < x->ndim; d++) rows *= x->shape[d];
  enet_ref_fully_connected_s8(rows, w->shape[1], w->shape[0], x->data, st->in_zp, w->data, bias_s8(ctx), st->requant,
                              &st->out, ctx->outputs[0]->data);
}
