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
#include <stdint.h>

#include "reference.h" /* enet_window, enet_binary_op */

/* A real multiplier M ~ multiplier * 2^-shift, multiplier in [2^30, 2^31), shift in [1, 62]. */
typedef struct enet_requant {
  int32_t multiplier;
  int32_t shift;
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

/* round(acc * M), ties toward +infinity: (acc * multiplier + 2^(shift-1)) >> shift. */
static inline int64_t enet_requantize(int32_t acc, enet_requant r) {
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

/* ---- pooling and mean ------------------------------------------------------
 * avg pool: acc = sum (x - x_zp) over the window's counted cells, requantized with
 * requant_by_count[count - 1] (count = cells counted, 1..k_h*k_w). */
void enet_ref_max_pool2d_s8(const enet_window* g, const int8_t* x, int8_t* y);
void enet_ref_avg_pool2d_s8(const enet_window* g, int count_include_pad, const int8_t* x, int32_t x_zp,
                            const enet_requant* requant_by_count, const enet_s8_output* out, int8_t* y);
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
