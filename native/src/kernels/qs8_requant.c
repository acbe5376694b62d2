/*
 * qs8_requant.c — the per-channel requantization data packed in front of every
 * qs8 weight group (layout in optimized.h), precomputed at prepare time so the
 * SIMD kernels requantize whole vectors bit-exactly with enet_requantize:
 *
 *   r = (acc * multiplier + 2^(shift-1)) >> shift      (64-bit product, floor shift)
 *   y = clamp(r + zero_point, min, max)
 *
 * ARM (arm/qs8-requant-neon.h) does exactly this: vmull_s32 gives the 64-bit
 * product and vrshlq_s64 by -shift is "add 2^(shift-1), arithmetic shift";
 * saturating narrows then keep every value that clamps the same way.
 *
 * x86 has only a logical 64-bit variable shift (vpsrlvq), and narrowing the
 * 64-bit result to int32 must not wrap. Two exact rewrites make that work:
 *  1. acc is first clamped to [-acc_limit, acc_limit], with acc_limit chosen so
 *     that requantize(acc_limit) >= 512: the requantization is monotonic, and any
 *     r with |r| >= 256 clamps to the same int8 (|zero_point| <= 128), so the
 *     clamp never changes an output. It bounds |r| below 2^31 (see acc_limit_for).
 *  2. (p + 2^(shift-1)) >> shift == ((p + 2^62 + 2^(shift-1)) >>> shift) - 2^(62-shift):
 *     adding 2^62 makes the sum non-negative (|p| < 2^62), and 2^62 is a multiple
 *     of 2^shift (shift <= 62). Only the low 32 bits of the result matter, so the
 *     subtraction merges with the zero point into x86_offset (mod 2^32).
 */
#include <string.h>

#include "optimized.h"

/* From shift 32 on (real multipliers below 1/2, as conv layers have) |r| <= 2^31 * 2^31 / 2^32 + 1
 * for any int32 acc, so no clamp (INT32_MAX). Below, the smallest power of two A (or 1) with
 * A * M >= 512, where M = multiplier / 2^shift >= 2^(30 - shift): A = 2^(shift - 21). Then
 * |r| <= A * M + 1 < 2^10 + 1, or < 2^30 + 1 when A = 1 (shift <= 21). */
static int32_t acc_limit_for(int shift) {
  if (shift >= 32) return INT32_MAX;
  if (shift <= 21) return 1;
  return (int32_t)1 << (shift - 21);
}

void enet_qs8_pack_params(void* group, size_t g, size_t valid, const int32_t* bias, const enet_requant* requant,
                          int32_t out_zero_point) {
  int32_t* p32 = group;
  int64_t* p64 = group;
  for (size_t c = 0; c < g; c++) {
    /* Padding channels get a harmless multiplier; their outputs are never stored. */
    enet_requant r = c < valid ? requant[c] : (enet_requant){1 << 30, 31, 0.0f};
    p32[ENET_QS8_BIAS * g + c] = c < valid ? bias[c] : 0;
    p32[ENET_QS8_MULTIPLIER * g + c] = r.multiplier;
    p32[ENET_QS8_ACC_LIMIT * g + c] = acc_limit_for(r.shift);
    /* zero_point - 2^(62 - shift), mod 2^32 (unsigned: wrap-around is defined) */
    uint32_t undo = r.shift >= 31 ? (uint32_t)((uint64_t)1 << (62 - r.shift)) : 0u;
    p32[ENET_QS8_X86_OFFSET * g + c] = (int32_t)((uint32_t)out_zero_point - undo);
    p64[ENET_QS8_SHIFT * g + c] = r.shift;
    p64[ENET_QS8_X86_ROUNDING * g + c] = ((int64_t)1 << 62) + ((int64_t)1 << (r.shift - 1));
  }
}

/* x86 kernels whose accumulators come out of their multiply-adds in another
 * channel order P (the AVX2 GEMM's vphaddd reduction, the AVX2 depthwise
 * vpunpck{l,h}wd pairs) store the group that way, so they requantize without
 * shuffling first (enet_qs8_requant8_ordered_avx2): the int32 fields in order P,
 * and per 8-lane vector the int64 fields in the order vpmuldq consumes them,
 * the even lanes then the odd ones. */
void enet_qs8_reorder_params(void* group, size_t g, const uint8_t* order) {
  int32_t* p32 = group;
  int64_t* p64 = group;
  int32_t n32[64];
  int64_t n64[64]; /* g <= 64 */
  for (int field = ENET_QS8_BIAS; field <= ENET_QS8_X86_OFFSET; field++) {
    memcpy(n32, p32 + field * g, g * sizeof *n32);
    for (size_t i = 0; i < g; i++) p32[field * g + i] = n32[order[i]];
  }
  for (int field = ENET_QS8_SHIFT; field <= ENET_QS8_X86_ROUNDING; field++) {
    memcpy(n64, p64 + field * g, g * sizeof *n64);
    for (size_t v = 0; v < g; v += 8)
      for (size_t i = 0; i < 8; i++) p64[field * g + v + i] = n64[order[v + (i < 4 ? 2 * i : 2 * (i - 4) + 1)]];
  }
}
