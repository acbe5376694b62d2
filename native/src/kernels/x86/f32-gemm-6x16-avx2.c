/* f32 GEMM tile 6 rows x 16 columns, AVX2 + FMA (see enet_f32_gemm_ukernel).
 * 12 ymm accumulators, 2 for the weight row, 1 for the broadcast input. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

/* Lanes j < n set (for masked stores of a partial 8-column half). */
__attribute__((target("avx2,fma"))) static inline __m256i lane_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__attribute__((target("avx2,fma"))) static inline void store_row(float* c, size_t nc, __m256 lo, __m256 hi) {
  if (nc == 16) {
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
  } else if (nc > 8) {
    _mm256_storeu_ps(c, lo);
    _mm256_maskstore_ps(c + 8, lane_mask(nc - 8), hi);
  } else {
    _mm256_maskstore_ps(c, lane_mask(nc), lo);
  }
}

/* Loads the nc (<= 16) partial sums of one row of c. */
__attribute__((target("avx2,fma"))) static inline void load_row(const float* c, size_t nc, __m256* lo, __m256* hi) {
  if (nc == 16) {
    *lo = _mm256_loadu_ps(c), *hi = _mm256_loadu_ps(c + 8);
  } else if (nc > 8) {
    *lo = _mm256_loadu_ps(c), *hi = _mm256_maskload_ps(c + 8, lane_mask(nc - 8));
  } else {
    *lo = _mm256_maskload_ps(c, lane_mask(nc)), *hi = _mm256_setzero_ps();
  }
}

/* The one-row GEMM (enet_f32_gemv_ukernel: a fully connected layer at batch 1). The 6-row tile
 * would run six copies of the row with two dependent sums; here four panels go at once, eight
 * independent sums that hide the multiply-add latency, each summed in the tile's order. */
__attribute__((target("avx2,fma"))) void enet_f32_gemv_1x16_avx2(size_t n, size_t kc, const float* a, const float* w,
                                                                  size_t panel_stride, const float* bias, float* c,
                                                                  float min, float max) {
  const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  size_t p = 0, panels = (n + 15) / 16;
  for (; p + 4 <= panels; p += 4, c += 64) {
    const float* w0 = w + p * panel_stride;
    const float *w1 = w0 + panel_stride, *w2 = w1 + panel_stride, *w3 = w2 + panel_stride;
    __m256 s[8];
    for (size_t j = 0; j < 8; j += 2) {
      if (bias)
        s[j] = _mm256_loadu_ps(bias + (p + j / 2) * panel_stride), s[j + 1] = _mm256_loadu_ps(bias + (p + j / 2) * panel_stride + 8);
      else
        load_row(c + 8 * j, n - 16 * p - 8 * j < 16 ? n - 16 * p - 8 * j : 16, &s[j], &s[j + 1]);
    }
    for (size_t k = 0; k < kc; k++, w0 += 16, w1 += 16, w2 += 16, w3 += 16) {
      const __m256 v = _mm256_broadcast_ss(a + k);
      s[0] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0), s[0]), s[1] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + 8), s[1]);
      s[2] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1), s[2]), s[3] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + 8), s[3]);
      s[4] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2), s[4]), s[5] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + 8), s[5]);
      s[6] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3), s[6]), s[7] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + 8), s[7]);
    }
    /* Clamp with the accumulator second so a NaN passes through unchanged. */
    for (size_t j = 0; j < 8; j += 2)
      store_row(c + 8 * j, n - 16 * p - 8 * j < 16 ? n - 16 * p - 8 * j : 16, _mm256_min_ps(hi, _mm256_max_ps(lo, s[j])),
                _mm256_min_ps(hi, _mm256_max_ps(lo, s[j + 1])));
  }
  for (; p < panels; p++, c += 16) { /* the last panels one at a time */
    const size_t nc = n - 16 * p < 16 ? n - 16 * p : 16;
    const float* wp = w + p * panel_stride;
    __m256 l, h;
    if (bias)
      l = _mm256_loadu_ps(bias + p * panel_stride), h = _mm256_loadu_ps(bias + p * panel_stride + 8);
    else
      load_row(c, nc, &l, &h);
    for (size_t k = 0; k < kc; k++, wp += 16) {
      const __m256 v = _mm256_broadcast_ss(a + k);
      l = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp), l), h = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + 8), h);
    }
    store_row(c, nc, _mm256_min_ps(hi, _mm256_max_ps(lo, l)), _mm256_min_ps(hi, _mm256_max_ps(lo, h)));
  }
}

__attribute__((target("avx2,fma"))) void enet_f32_gemm_6x16_avx2(size_t mr, size_t nc, size_t kc, const float* a,
                                                                  size_t a_stride, const float* w, const float* bias,
                                                                  float* c, size_t c_stride, float min, float max) {
  /* Missing rows alias the row above: they compute the same values, and only
   * rows < mr are stored. */
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0;
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  const float* a4 = mr > 4 ? a3 + a_stride : a3;
  const float* a5 = mr > 5 ? a4 + a_stride : a4;
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;
  float* c4 = mr > 4 ? c3 + c_stride : c3;
  float* c5 = mr > 5 ? c4 + c_stride : c4;
  __m256 c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h;
  if (bias) {
    c0l = _mm256_loadu_ps(bias), c0h = _mm256_loadu_ps(bias + 8);
    c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h, c4l = c0l, c4h = c0h, c5l = c0l, c5h = c0h;
  } else { /* continue the sums of the previous k block */
    load_row(c0, nc, &c0l, &c0h), load_row(c1, nc, &c1l, &c1h), load_row(c2, nc, &c2l, &c2h);
    load_row(c3, nc, &c3l, &c3h), load_row(c4, nc, &c4l, &c4h), load_row(c5, nc, &c5l, &c5h);
  }
  if (nc <= 8) { /* the last panel of e.g. 24 channels: half the multiply-adds */
    for (size_t k = 0; k < kc; k++, w += 16) {
      const __m256 wl = _mm256_loadu_ps(w);
      c0l = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k), wl, c0l);
      c1l = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + k), wl, c1l);
      c2l = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + k), wl, c2l);
      c3l = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + k), wl, c3l);
      c4l = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + k), wl, c4l);
      c5l = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + k), wl, c5l);
    }
    kc = 0; /* the full loop below has nothing left to do */
  }
  for (size_t k = 0; k < kc; k++, w += 16) {
    const __m256 wl = _mm256_loadu_ps(w), wh = _mm256_loadu_ps(w + 8);
    __m256 v = _mm256_broadcast_ss(a0 + k);
    c0l = _mm256_fmadd_ps(v, wl, c0l), c0h = _mm256_fmadd_ps(v, wh, c0h);
    v = _mm256_broadcast_ss(a1 + k);
    c1l = _mm256_fmadd_ps(v, wl, c1l), c1h = _mm256_fmadd_ps(v, wh, c1h);
    v = _mm256_broadcast_ss(a2 + k);
    c2l = _mm256_fmadd_ps(v, wl, c2l), c2h = _mm256_fmadd_ps(v, wh, c2h);
    v = _mm256_broadcast_ss(a3 + k);
    c3l = _mm256_fmadd_ps(v, wl, c3l), c3h = _mm256_fmadd_ps(v, wh, c3h);
    v = _mm256_broadcast_ss(a4 + k);
    c4l = _mm256_fmadd_ps(v, wl, c4l), c4h = _mm256_fmadd_ps(v, wh, c4h);
    v = _mm256_broadcast_ss(a5 + k);
    c5l = _mm256_fmadd_ps(v, wl, c5l), c5h = _mm256_fmadd_ps(v, wh, c5h);
  }
  /* Clamp with the accumulator second so a NaN passes through unchanged. */
  const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
#define CLAMP(x) x = _mm256_min_ps(hi, _mm256_max_ps(lo, x))
  CLAMP(c0l), CLAMP(c0h), CLAMP(c1l), CLAMP(c1h), CLAMP(c2l), CLAMP(c2h);
  CLAMP(c3l), CLAMP(c3h), CLAMP(c4l), CLAMP(c4h), CLAMP(c5l), CLAMP(c5h);
#undef CLAMP
  /* Highest row first: an aliased missing row then never overwrites a real one. */
  store_row(c5, nc, c5l, c5h);
  store_row(c4, nc, c4l, c4h);
  store_row(c3, nc, c3l, c3h);
  store_row(c2, nc, c2l, c2h);
  store_row(c1, nc, c1l, c1h);
  store_row(c0, nc, c0l, c0h);
}
#endif
