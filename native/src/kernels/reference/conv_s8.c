/* Reference int8 convolutions and fully connected (NHWC, symmetric int8 weights,
 * int32 bias, int32 accumulators, per-output-channel requantization). */
#include "reference_s8.h"
#include "../../schema_generated.h" /* ENET_HybridQuantization_* */

/* Sum over the window of output pixel (n, oy, ox), channel oc, of (x - x_zp) * (w - w_zp): padding
 * holds x_zp, so it adds 0. depth_multiplier 0: a conv (OHWI weights); M >= 1: depthwise ((1, KH, KW,
 * C*M) weights; output channel oc reads input channel oc / M). */
static int32_t window_sum(const enet_window* g, int depth_multiplier, const int8_t* x, int32_t x_zp, const int8_t* w,
                          int32_t w_zp, int64_t n, int64_t oy, int64_t ox, int64_t oc) {
  int32_t acc = 0;
  for (int64_t ky = 0; ky < g->k_h; ky++) {
    int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) continue;
    for (int64_t kx = 0; kx < g->k_w; kx++) {
      int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
      if (ix < 0 || ix >= g->in_w) continue;
      const int8_t* xp = x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c;
      if (depth_multiplier) {
        acc += (xp[oc / depth_multiplier] - x_zp) * (w[(ky * g->k_w + kx) * g->out_c + oc] - w_zp);
        continue;
      }
      const int8_t* wp = w + ((oc * g->k_h + ky) * g->k_w + kx) * g->in_c;
      for (int64_t c = 0; c < g->in_c; c++) acc += (xp[c] - x_zp) * (wp[c] - w_zp);
    }
  }
  return acc;
}

static void conv_s8(const enet_window* g, int depth_multiplier, const int8_t* x, int32_t x_zp, const int8_t* w,
                    const int32_t* bias, const enet_requant* requant, const enet_s8_output* out, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t oc = 0; oc < g->out_c; oc++) {
          int32_t acc = (bias ? bias[oc] : 0) + window_sum(g, depth_multiplier, x, x_zp, w, 0, n, oy, ox, oc);
          y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] = enet_clamp_s8(enet_requantize(acc, requant[oc]), out);
        }
}

void enet_ref_conv2d_s8(const enet_window* g, const int8_t* x, int32_t x_zp, const int8_t* w, const int32_t* bias,
                        const enet_requant* requant, const enet_s8_output* out, int8_t* y) {
  conv_s8(g, 0, x, x_zp, w, bias, requant, out, y);
}

void enet_ref_depthwise_conv2d_s8(const enet_window* g, int depth_multiplier, const int8_t* x, int32_t x_zp,
                                  const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                  const enet_s8_output* out, int8_t* y) {
  conv_s8(g, depth_multiplier, x, x_zp, w, bias, requant, out, y);
}

void enet_ref_fully_connected_s8(int64_t rows, int64_t in, int64_t out_features, const int8_t* x, int32_t x_zp,
                                 const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                 const enet_s8_output* out, int8_t* y) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t o = 0; o < out_features; o++) {
      int32_t acc = bias ? bias[o] : 0;
      for (int64_t i = 0; i < in; i++) acc += (x[r * in + i] - x_zp) * w[o * in + i];
      y[r * out_features + o] = enet_clamp_s8(enet_requantize(acc, requant[o]), out);
    }
}

/* ---- hybrid layers (reference_s8.h) ----------------------------------------------------------- */

/* lo = min(x, 0), hi = max(x, 0) over n values (NaN compares false: skipped). */
static void range_with_zero(int64_t n, const float* x, float* lo, float* hi) {
  *lo = 0.0f, *hi = 0.0f;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] < *lo) *lo = x[i];
    if (x[i] > *hi) *hi = x[i];
  }
}

/* v clamped to [lo, hi] as an integer; NaN gives lo (never a float-to-int conversion out of range). */
static int32_t clamp_to_int(float v, float lo, float hi) { return (int32_t)(v > hi ? hi : (v >= lo ? v : lo)); }

/* ONNX_TENSOR: onnxruntime's DynamicQuantizeLinear, uint8 stored shifted to int8 (q - 128). */
static void quantize_onnx(int64_t n, const float* x, int8_t* x_q, float* x_scale, int32_t* x_zp) {
  float lo, hi;
  range_with_zero(n, x, &lo, &hi);
  float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  if (!(scale > 0.0f) || isinf(scale)) scale = 1.0f; /* an infinite value: no finite grid holds it */
  int32_t zp = clamp_to_int(rintf(-lo / scale), 0.0f, 255.0f);
  for (int64_t i = 0; i < n; i++) x_q[i] = (int8_t)(clamp_to_int(rintf(x[i] / scale) + (float)zp, 0.0f, 255.0f) - 128);
  *x_scale = scale;
  *x_zp = zp - 128;
}

/* XNNPACK_ROW / _BATCH: XNNPACK's qd8 (its f32 -> qd8 convert: the quantization parameters, then
 * q = rint(x * m) + zp saturated). */
static void quantize_xnnpack(int64_t n, const float* x, int8_t* x_q, float* x_scale, int32_t* x_zp) {
  float lo, hi;
  range_with_zero(n, x, &lo, &hi);
  float m = lo == hi ? 1.0f : 255.0f / (hi - lo);
  float low = lo * m, high = hi * m;
  float min_error = -128.0f + low, max_error = 127.0f + high;
  int32_t zp = clamp_to_int(rintf(min_error + max_error > 0.0f ? -128.0f - low : 127.0f - high), -128.0f, 127.0f);
  for (int64_t i = 0; i < n; i++) x_q[i] = (int8_t)clamp_to_int(rintf(x[i] * m) + (float)zp, -128.0f, 127.0f);
  *x_scale = 1.0f / m;
  *x_zp = zp;
}

/* TFLITE_BATCH: TFLite's AsymmetricQuantizeFloats (scale and zero point in double, the range in float;
 * TfLiteRound: ties away from zero). */
static void quantize_tflite(int64_t n, const float* x, int8_t* x_q, float* x_scale, int32_t* x_zp) {
  float lo, hi;
  range_with_zero(n, x, &lo, &hi);
  if (lo == hi) {
    for (int64_t i = 0; i < n; i++) x_q[i] = 0;
    *x_scale = 1.0f, *x_zp = 0;
    return;
  }
  double scale = (double)(hi - lo) / 255.0;
  double from_min = -128.0 - lo / scale, from_max = 127.0 - hi / scale;
  double zp_d = 128.0 + fabs(lo / scale) < 127.0 + fabs(hi / scale) ? from_min : from_max;
  int32_t zp = zp_d >= 127.0 ? 127 : (zp_d > -128.0 ? (int32_t)round(zp_d) : -128); /* NaN: -128 */
  float s = (float)scale, inv = 1.0f / s;
  for (int64_t i = 0; i < n; i++) {
    float scaled = x[i] * inv; /* two statements: never contracted into an fma */
    float v = (float)zp + scaled;
    x_q[i] = (int8_t)clamp_to_int(roundf(v), -128.0f, 127.0f);
  }
  *x_scale = s;
  *x_zp = zp;
}

void enet_ref_hybrid_quantize(int mode, int64_t blocks, int64_t block_size, const float* x, int8_t* x_q,
                              float* x_scale, int32_t* x_zp) {
  void (*quantize)(int64_t, const float*, int8_t*, float*, int32_t*) =
      mode == ENET_HybridQuantization_TFLITE_BATCH ? quantize_tflite
      : mode == ENET_HybridQuantization_ONNX_TENSOR ? quantize_onnx
                                                     : quantize_xnnpack;
  for (int64_t b = 0; b < blocks; b++)
    quantize(block_size, x + b * block_size, x_q + b * block_size, &x_scale[b], &x_zp[b]);
}

/* float(acc) scaled back, in each mode's order of float operations (reference_s8.h). */
static float hybrid_output(int mode, int32_t acc, float x_scale, float w_scale, const float* bias, int64_t o,
                           float min, float max) {
  float v = (float)acc;
  if (mode == ENET_HybridQuantization_ONNX_TENSOR) {
    float scale = x_scale * w_scale;
    v = v * scale;
    if (bias) v = v + bias[o];
  } else if (mode == ENET_HybridQuantization_TFLITE_BATCH) {
    v = v * x_scale;
    v = v * w_scale;
    if (bias) v = v + bias[o];
  } else { /* XNNPACK: one rounding for the last multiply and the bias */
    v = v * x_scale;
    v = fmaf(v, w_scale, bias ? bias[o] : 0.0f);
  }
  return v < min ? min : (v > max ? max : v);
}

void enet_ref_fully_connected_hybrid(int64_t begin, int64_t end, int64_t in, int64_t out_features,
                                     const enet_hybrid_input* x, const int8_t* w, const int32_t* w_zp,
                                     const int32_t* w_sum, const float* w_scale, const float* bias, float min,
                                     float max, float* y) {
  for (int64_t r = begin; r < end; r++) {
    const int8_t* xr = x->q + r * in;
    int64_t block = r / x->rows_per_block;
    int32_t x_zp = x->zp[block], x_sum = 0;
    for (int64_t i = 0; i < in; i++) x_sum += xr[i];
    for (int64_t o = 0; o < out_features; o++) {
      const int8_t* wo = w + o * in;
      int32_t dot = 0;
      for (int64_t i = 0; i < in; i++) dot += (int32_t)xr[i] * (int32_t)wo[i];
      /* the zero-point terms in int64: each may exceed int32 while the exact sum does not */
      int64_t acc = (int64_t)dot - (int64_t)x_zp * w_sum[o] - (int64_t)w_zp[o] * x_sum + in * (int64_t)x_zp * w_zp[o];
      y[r * out_features + o] = hybrid_output(x->mode, (int32_t)acc, x->scale[block], w_scale[o], bias, o, min, max);
    }
  }
}

void enet_ref_conv2d_hybrid(int64_t begin, int64_t end, const enet_window* g, int depth_multiplier,
                            const enet_hybrid_input* x, const int8_t* w, const int32_t* w_zp, const float* w_scale,
                            const float* bias, float min, float max, float* y) {
  for (int64_t row = begin; row < end; row++) {
    int64_t n = row / g->out_h, oy = row % g->out_h, block = n / x->rows_per_block;
    for (int64_t ox = 0; ox < g->out_w; ox++)
      for (int64_t oc = 0; oc < g->out_c; oc++) {
        int32_t acc = window_sum(g, depth_multiplier, x->q, x->zp[block], w, w_zp[oc], n, oy, ox, oc);
        y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] =
            hybrid_output(x->mode, acc, x->scale[block], w_scale[oc], bias, oc, min, max);
      }
  }
}
