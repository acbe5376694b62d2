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

/* The multiply-adds of the 7x32 tiles over kc values of k, shared by the GEMM and the indirect GEMM:
 * rows a0..a6 (float pointers), accumulators c0l, c0h, .., c6l, c6h, packed weights w (32 per k,
 * advanced past the kc rows). A last panel of at most 16 columns does the low halves only. */
#define ENET_F32_7X32_MULTIPLY_ADD(nc, kc, w)                                  \
  do {                                                                        \
  if ((nc) <= 16) {                                                           \
    for (size_t k = 0; k < (kc); k++, (w) += 32) {                            \
      const __m512 wl = _mm512_loadu_ps(w);                                   \
      c0l = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), wl, c0l);                   \
      c1l = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), wl, c1l);                   \
      c2l = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), wl, c2l);                   \
      c3l = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), wl, c3l);                   \
      c4l = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), wl, c4l);                   \
      c5l = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), wl, c5l);                   \
      c6l = _mm512_fmadd_ps(_mm512_set1_ps(a6[k]), wl, c6l);                   \
    }                                                                         \
  } else {                                                                    \
    for (size_t k = 0; k < (kc); k++, (w) += 32) {                            \
      const __m512 wl = _mm512_loadu_ps(w), wh = _mm512_loadu_ps((w) + 16);   \
      __m512 v = _mm512_set1_ps(a0[k]);                                       \
      c0l = _mm512_fmadd_ps(v, wl, c0l), c0h = _mm512_fmadd_ps(v, wh, c0h);   \
      v = _mm512_set1_ps(a1[k]);                                              \
      c1l = _mm512_fmadd_ps(v, wl, c1l), c1h = _mm512_fmadd_ps(v, wh, c1h);   \
      v = _mm512_set1_ps(a2[k]);                                              \
      c2l = _mm512_fmadd_ps(v, wl, c2l), c2h = _mm512_fmadd_ps(v, wh, c2h);   \
      v = _mm512_set1_ps(a3[k]);                                              \
      c3l = _mm512_fmadd_ps(v, wl, c3l), c3h = _mm512_fmadd_ps(v, wh, c3h);   \
      v = _mm512_set1_ps(a4[k]);                                              \
      c4l = _mm512_fmadd_ps(v, wl, c4l), c4h = _mm512_fmadd_ps(v, wh, c4h);   \
      v = _mm512_set1_ps(a5[k]);                                              \
      c5l = _mm512_fmadd_ps(v, wl, c5l), c5h = _mm512_fmadd_ps(v, wh, c5h);   \
      v = _mm512_set1_ps(a6[k]);                                              \
      c6l = _mm512_fmadd_ps(v, wl, c6l), c6h = _mm512_fmadd_ps(v, wh, c6h);   \
    }                                                                         \
  }                                                                           \
  } while (0)

/* Clamps and stores rows c6..c0 of the tile (highest first: an aliased missing row then never
 * overwrites a real one). */
#define ENET_F32_7X32_STORE(m0, m1, min, max)                                   \
  do {                                                                          \
    const __m512 vmin = _mm512_set1_ps(min), vmax = _mm512_set1_ps(max);        \
    enet_f32_store_row_avx512(c6, m0, m1, c6l, c6h, vmin, vmax);                \
    enet_f32_store_row_avx512(c5, m0, m1, c5l, c5h, vmin, vmax);                \
    enet_f32_store_row_avx512(c4, m0, m1, c4l, c4h, vmin, vmax);                \
    enet_f32_store_row_avx512(c3, m0, m1, c3l, c3h, vmin, vmax);                \
    enet_f32_store_row_avx512(c2, m0, m1, c2l, c2h, vmin, vmax);                \
    enet_f32_store_row_avx512(c1, m0, m1, c1l, c1h, vmin, vmax);                \
    enet_f32_store_row_avx512(c0, m0, m1, c0l, c0h, vmin, vmax);                \
  } while (0)

#endif
#endif /* EDGENET_F32_GEMM_AVX512_H */
