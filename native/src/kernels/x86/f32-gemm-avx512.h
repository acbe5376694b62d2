/* Row helpers of the AVX-512 float GEMM tiles (f32-gemm-7x32-avx512.c, f32-igemm-7x32-avx512.c):
 * a row of up to 32 columns in two zmm, partial rows through lane masks. */
#ifndef EDGENET_F32_GEMM_AVX512_H
#define EDGENET_F32_GEMM_AVX512_H
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"

/* Lanes j < n of each half of a 32-column row (n = nc). */
ENET_TARGET_AVX512 static inline __mmask16 enet_f32_half_mask_avx512(size_t nc, size_t half) {
  const size_t n = nc > 16 * half ? nc - 16 * half : 0;
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/* Clamp with the accumulator second so a NaN passes through unchanged, then store nc columns. */
ENET_TARGET_AVX512 static inline void enet_f32_store_row_avx512(float* c, __mmask16 m0, __mmask16 m1, __m512 lo,
                                                                __m512 hi, __m512 vmin, __m512 vmax) {
  _mm512_mask_storeu_ps(c, m0, _mm512_min_ps(vmax, _mm512_max_ps(vmin, lo)));
  _mm512_mask_storeu_ps(c + 16, m1, _mm512_min_ps(vmax, _mm512_max_ps(vmin, hi)));
}

#endif
#endif /* EDGENET_F32_GEMM_AVX512_H */
