/*
 * reference_s8.h — portable int8 reference kernels and the fixed-point
 * requantization every int8 kernel (reference and SIMD) shares.
 *
 * The arithmetic is docs/QUANTIZATION.md, bit for bit; the numpy integer
 * reference (edgenet/quant_math.py, reference_int8 in edgenet/ops/) is its
 * oracle. Multipliers are computed once at prepare time (ops/quant_common.c);
 * kernels only take them, so they have no error path. Constant operands (weights,
 * biases, tables) are read in place from the model file's bytes.
 */
#ifndef EDGENET_KERNELS_REFERENCE_S8_H
#define EDGENET_KERNELS_REFERENCE_S8_H

#include <stddef.h>
#include <math.h>
#include <stdint.h>

#include "reference.h" /* enet_window, enet_binary_op */

/* A real multiplier M ~ multiplier * 2^-shift, multiplier in [2^30, 2^31), shift in [1, 62].
 * float_scale != 0: the op's Operator.requantization is FLOAT32 (schema/edgenet.fbs) and
 * enet_requantize uses it instead; only the reference kernels honour it, so kernel selection
 * (enet_requantization_fixed_point) keeps such ops off the SIMD paths. */
typedef struct enet_requant {
  int32_t multiplier;
  int32_t shift;
  float float_scale;
} enet_requant;

/* Where an int8 result goes: add the zero point, clamp to [min, max] (the fused activation). */
typedef struct enet_s8_output {
  int32_t zero_point, min, max;
} enet_s8_output;

/* floor(v / 2^shift) for shift in [1, 62]. Written out so it does not depend on how a
 * compiler shifts negative numbers (implementation-defined in C). */
static inline int64_t enet_floor_shift(int64_t v, int shift) {
  return v >= 0 ? v >> shift : -((-(v + 1)) >> shift) - 1;
}

/* round(acc * M), ties toward +infinity: (acc * multiplier + 2^(shift-1)) >> shift.
 * FLOAT32 requantization (LiteRT's XNNPACK kernels): (float)acc * float_scale in float32,
 * rounded to nearest even (rintf, the default rounding mode), limited first to +-2^20 (any
 * value out there saturates anyway) so the conversion is defined. */
static inline int64_t enet_requantize(int32_t acc, enet_requant r) {
  if (r.float_scale != 0.0f) {
    float v = (float)acc * r.float_scale;
    v = v < -1048576.0f ? -1048576.0f : v > 1048576.0f ? 1048576.0f : v;
    return (int64_t)rintf(v);
  }
  return enet_floor_shift((int64_t)acc * r.multiplier + ((int64_t)1 << (r.shift - 1)), r.shift);
}

static inline int8_t enet_clamp_s8(int64_t v, const enet_s8_output* o) {
  v += o->zero_point;
  return (int8_t)(v < o->min ? o->min : v > o->max ? o->max : v);
}

/* ---- conv / depthwise / fully connected ------------------------------------
 * acc = bias[c] + sum (x - x_zp) * w, requantized with requant[c] (one per output
 * channel; per-tensor weights repeat the same entry). Padding contributes 0.
 * Weights are symmetric (zero point 0). bias may be NULL. */
void enet_ref_conv2d_s8(const enet_window* g, const int8_t* x, int32_t x_zp, const int8_t* w, const int32_t* bias,
                        const enet_requant* requant, const enet_s8_output* out, int8_t* y);
void enet_ref_depthwise_conv2d_s8(const enet_window* g, int depth_multiplier, const int8_t* x, int32_t x_zp,
                                  const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                  const enet_s8_output* out, int8_t* y);
void enet_ref_fully_connected_s8(int64_t rows, int64_t in, int64_t out_features, const int8_t* x, int32_t x_zp,
                                 const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                 const enet_s8_output* out, int8_t* y);

/* ---- hybrid layers: float activations quantized at run time, int8 weights ------------------
 * `mode` is the schema's HybridQuantization (schema/edgenet.fbs, docs/QUANTIZATION.md "Hybrid
 * layers"): how each block of x becomes int8 with its own scale and zero point, and how the exact
 * int32 sum acc = sum (x_q - x_zp) * (w - w_zp[o]) is scaled back:
 *   ONNX_TENSOR    onnxruntime's DynamicQuantizeLinear: scale = (hi - lo) / 255 (1 if hi == lo), uint8
 *                  zp = rint(clamp(-lo / scale)), q = clamp(rint(x / scale) + zp) (stored minus 128);
 *                  y = acc * (x_scale * w_scale[o]) + bias[o].
 *   XNNPACK_*      XNNPACK's qd8: m = 255 / (hi - lo) (1 if hi == lo), x_scale = 1 / m, zp from the end
 *                  with the smaller error, q = clamp(rint(x * m) + zp); y = fmaf(acc * x_scale,
 *                  w_scale[o], bias[o]).
 *   TFLITE_BATCH   TFLite's AsymmetricQuantizeFloats: scale and zp in double from the float range,
 *                  q = clamp(roundf(zp + x * (1 / scale))); y = acc * x_scale * w_scale[o] + bias[o].
 * lo = min(x, 0), hi = max(x, 0) per block; rint ties to even; NaN inputs give the lowest code.
 * Each float operation is its own statement, so no compiler contracts two into an fma. */
typedef struct enet_hybrid_input {
  int mode;               /* ENET_HybridQuantization_* */
  const int8_t* q;        /* x quantized */
  const float* scale;     /* per block */
  const int32_t* zp;      /* per block */
  int64_t rows_per_block; /* fully connected rows (conv: images) sharing one block's parameters */
} enet_hybrid_input;
/* Quantizes `blocks` consecutive blocks of block_size values each. */
void enet_ref_hybrid_quantize(int mode, int64_t blocks, int64_t block_size, const float* x, int8_t* x_q,
                              float* x_scale, int32_t* x_zp);
/* Rows [begin, end) of y (rows, out), clamped to [min, max]. acc is computed as sum x_q * w -
 * x_zp * w_sum[o] - w_zp[o] * sum x_q + in * x_zp * w_zp[o] (w_sum[o] = sum_i w[o][i]; the caller
 * bounds the sums: ops/conv_fc.c). bias may be NULL. */
void enet_ref_fully_connected_hybrid(int64_t begin, int64_t end, int64_t in, int64_t out_features,
                                     const enet_hybrid_input* x, const int8_t* w, const int32_t* w_zp,
                                     const int32_t* w_sum, const float* w_scale, const float* bias, float min,
                                     float max, float* y);
/* Output rows [begin, end) of batch * out_h of a conv (depth_multiplier 0) or depthwise conv
 * (depth_multiplier M >= 1): padding adds 0 (it holds x_zp). bias may be NULL. */
void enet_ref_conv2d_hybrid(int64_t begin, int64_t end, const enet_window* g, int depth_multiplier,
                            const enet_hybrid_input* x, const int8_t* w, const int32_t* w_zp, const float* w_scale,
                            const float* bias, float min, float max, float* y);

/* ---- pooling and mean ------------------------------------------------------
 * avg pool: acc = sum (x - x_zp) over the window's counted cells, requantized with
 * requant_by_count[count - 1] (count = cells counted, 1..k_h*k_w). */
void enet_ref_max_pool2d_s8(const enet_window* g, const int8_t* x, int8_t* y);
void enet_ref_avg_pool2d_s8(const enet_window* g, int count_include_pad, const int8_t* x, int32_t x_zp,
                            const enet_requant* requant_by_count, const enet_s8_output* out, int8_t* y);
void enet_ref_avg_pool2d_s8_tflite(const enet_window* g, const int8_t* x, const enet_s8_output* out, int8_t* y);
/* Mean over dims with reduce[d] != 0: acc = sum (x - x_zp), requantized with M = s_in / (s_out * count). */
void enet_ref_mean_s8(int ndim, const int64_t* shape, const uint8_t* reduce, const int8_t* x, int32_t x_zp,
                      enet_requant requant, const enet_s8_output* out, int8_t* y);

/* ---- elementwise ------------------------------------------------------------
 * add/sub: acc = (a - a_zp) * a_mult +/- (b - b_zp) * b_mult; y = ((acc + 2^(shift-1)) >> shift) + zp, clamped.
 * mul:     acc = (a - a_zp) * (b - b_zp), requantized with mul_requant.
 * Broadcasting as in enet_ref_binary_f32 (all shapes `ndim` dims, 1 broadcasts). */
typedef struct enet_binary_s8_params {
  int32_t a_zp, b_zp;
  int32_t a_mult, b_mult, add_shift; /* add / sub */
  enet_requant mul_requant;          /* mul */
  enet_s8_output out;
} enet_binary_s8_params;
void enet_ref_binary_s8(enet_binary_op op, const enet_binary_s8_params* p, int ndim, const int64_t* out_shape,
                        const int64_t* a_shape, const int8_t* a, const int64_t* b_shape, const int8_t* b, int8_t* y);

/* y = table[x + 128] (sigmoid, tanh, hard_swish). */
void enet_ref_lookup_s8(int64_t n, const int8_t* table, const int8_t* x, int8_t* y);

/* Softmax over the middle dim of (outer, axis_len, inner) with the uint32 table T[d]
 * (d = row max - x): y = clamp((T[d] * 256 + sum / 2) / sum - 128). */
void enet_ref_softmax_s8(int64_t outer, int64_t axis_len, int64_t inner, const int32_t* table, const int8_t* x,
                         int8_t* y);

/* ---- quantize / dequantize / requantize ------------------------------------ */
/* y = clamp(round_half_away(x / scale) + zp); NaN -> zp. */
void enet_ref_quantize_f32_s8(int64_t n, const float* x, float scale, int32_t zero_point, int8_t* y);
/* y = (float)(x - zp) * scale. */
void enet_ref_dequantize_s8_f32(int64_t n, const int8_t* x, float scale, int32_t zero_point, float* y);
/* y = clamp(requantize(x - x_zp) + out_zp): int8 to another scale / zero point. */
void enet_ref_requantize_s8(int64_t n, const int8_t* x, int32_t x_zp, enet_requant requant,
                            const enet_s8_output* out, int8_t* y);

/* Constant padding of int8 data with `value` (the quantized pad constant). */
void enet_ref_pad_s8(int ndim, const int64_t* in_shape, const int64_t* paddings, int8_t value, const int8_t* x,
                     int8_t* y);

#endif /* EDGENET_KERNELS_REFERENCE_S8_H */
