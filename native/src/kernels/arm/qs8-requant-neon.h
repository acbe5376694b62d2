/* qs8 requantization of int32 accumulators, NEON (aarch64 and armv7; included by
 * the ARM qs8 microkernels). Exactly docs/QUANTIZATION.md: vmull_s32 forms the
 * 64-bit product and vrshlq_s64 by -shift adds 2^(shift-1) and shifts
 * arithmetically (floor). The saturating narrows that follow only move values
 * that the final clamp to [min, max] within [-128, 127] would move anyway. */
#ifndef EDGENET_QS8_REQUANT_NEON_H
#define EDGENET_QS8_REQUANT_NEON_H
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "../optimized.h"

/* Channels c..c+3 of a parameter group of g channels: r saturated to int32. */
static inline int32x4_t enet_qs8_requant4_neon(int32x4_t acc, const void* group, size_t g, size_t c) {
  const int32x4_t mult = vld1q_s32(enet_qs8_param32(group, g, ENET_QS8_MULTIPLIER) + c);
  const int64_t* shift = enet_qs8_param64(group, g, ENET_QS8_SHIFT) + c;
  const int64x2_t zero = vdupq_n_s64(0);
  int64x2_t p01 = vmull_s32(vget_low_s32(acc), vget_low_s32(mult));
  int64x2_t p23 = vmull_s32(vget_high_s32(acc), vget_high_s32(mult));
  p01 = vrshlq_s64(p01, vsubq_s64(zero, vld1q_s64(shift)));
  p23 = vrshlq_s64(p23, vsubq_s64(zero, vld1q_s64(shift + 2)));
  return vcombine_s32(vqmovn_s64(p01), vqmovn_s64(p23));
}

/* 8 requantized values (channels 0-3 in v0, 4-7 in v1) -> 8 int8 with the zero point added, clamped. */
static inline int8x8_t enet_qs8_pack8_neon(int32x4_t v0, int32x4_t v1, const enet_s8_output* out) {
  int16x8_t h = vqaddq_s16(vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)), vdupq_n_s16((int16_t)out->zero_point));
  int8x8_t b = vqmovn_s16(h);
  return vmin_s8(vmax_s8(b, vdup_n_s8((int8_t)out->min)), vdup_n_s8((int8_t)out->max));
}

/* Stores the first n (<= 8) bytes of v. */
static inline void enet_qs8_store8_neon(int8_t* y, int8x8_t v, size_t n) {
  if (n == 8) {
    vst1_s8(y, v);
  } else {
    int8_t tmp[8];
    vst1_s8(tmp, v);
    memcpy(y, tmp, n);
  }
}

#endif
#endif /* EDGENET_QS8_REQUANT_NEON_H */
