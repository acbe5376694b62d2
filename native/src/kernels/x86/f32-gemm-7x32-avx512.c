/* f32 GEMM tile 7 rows x 32 columns, AVX-512 F (see enet_f32_gemm_ukernel): the zmm twin of
 * f32-gemm-6x16-avx2.c. 14 zmm accumulators, 2 for the weight row, broadcasts from memory;
 * partial tiles through lane masks (no read or write past nc columns of c). */
#if defined(__x86_64__)
#include "f32-gemm-avx512.h"

/* The one-row GEMM (enet_f32_gemv_ukernel: a fully connected layer at batch 1). The 7-row tile
 * would run seven copies of the row with two dependent sums; here four panels go at once, eight
 * independent sums that hide the multiply-add latency, each summed in the tile's order. */
ENET_TARGET_AVX512 void enet_f32_gemv_1x32_avx512(size_t n, size_t kc, const float* a, const float* w,
                                                  size_t panel_stride, const float* bias, float* c, float min,
                                                  float max) {
  const __m512 vmin = _mm512_set1_ps(min), vmax = _mm512_set1_ps(max);
  size_t p = 0, panels = (n + 31) / 32;
  for (; p + 4 <= panels; p += 4, c += 128) {
    const float* w0 = w + p * panel_stride;
    const float *w1 = w0 + panel_stride, *w2 = w1 + panel_stride, *w3 = w2 + panel_stride;
    __m512 s[8];
    for (int j = 0; j < 8; j++) {
      const __mmask16 m = enet_f32_half_mask_avx512(n - 32 * p - 32 * (size_t)(j / 2), (size_t)(j % 2));
      s[j] = bias ? _mm512_loadu_ps(bias + (p + (size_t)j / 2) * panel_stride + 16 * (j % 2))
                  : _mm512_maskz_loadu_ps(m, c + 16 * j);
    }
    for (size_t k = 0; k < kc; k++, w0 += 32, w1 += 32, w2 += 32, w3 += 32) {
      const __m512 v = _mm512_set1_ps(a[k]);
      s[0] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0), s[0]), s[1] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0 + 16), s[1]);
      s[2] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w1), s[2]), s[3] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w1 + 16), s[3]);
      s[4] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w2), s[4]), s[5] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w2 + 16), s[5]);
      s[6] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w3), s[6]), s[7] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w3 + 16), s[7]);
    }
    for (int j = 0; j < 8; j += 2) {
      const size_t left = n - 32 * p - 16 * (size_t)j;
      enet_f32_store_row_avx512(c + 16 * j, enet_f32_half_mask_avx512(left, 0), enet_f32_half_mask_avx512(left, 1),
                                s[j], s[j + 1], vmin, vmax);
    }
  }
  for (; p < panels; p++, c += 32) { /* the last panels one at a time */
    const size_t left = n - 32 * p;
    const __mmask16 m0 = enet_f32_half_mask_avx512(left, 0), m1 = enet_f32_half_mask_avx512(left, 1);
    const float* wp = w + p * panel_stride;
    __m512 lo = bias ? _mm512_loadu_ps(bias + p * panel_stride) : _mm512_maskz_loadu_ps(m0, c);
    __m512 hi = bias ? _mm512_loadu_ps(bias + p * panel_stride + 16) : _mm512_maskz_loadu_ps(m1, c + 16);
    for (size_t k = 0; k < kc; k++, wp += 32) {
      const __m512 v = _mm512_set1_ps(a[k]);
      lo = _mm512_fmadd_ps(v, _mm512_loadu_ps(wp), lo), hi = _mm512_fmadd_ps(v, _mm512_loadu_ps(wp + 16), hi);
    }
    enet_f32_store_row_avx512(c, m0, m1, lo, hi, vmin, vmax);
  }
}

ENET_TARGET_AVX512 void enet_f32_gemm_7x32_avx512(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                                  const float* w, const float* bias, float* c, size_t c_stride,
                                                  float min, float max) {
  /* Missing rows alias the row above: they compute the same values, and only rows < mr are stored. */
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0;
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  const float* a4 = mr > 4 ? a3 + a_stride : a3;
  const float* a5 = mr > 5 ? a4 + a_stride : a4;
  const float* a6 = mr > 6 ? a5 + a_stride : a5;
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;
  float* c4 = mr > 4 ? c3 + c_stride : c3;
  float* c5 = mr > 5 ? c4 + c_stride : c4;
  float* c6 = mr > 6 ? c5 + c_stride : c5;
  const __mmask16 m0 = enet_f32_half_mask_avx512(nc, 0), m1 = enet_f32_half_mask_avx512(nc, 1);
  __m512 c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h, c6l, c6h;
  if (bias) {
    c0l = _mm512_loadu_ps(bias), c0h = _mm512_loadu_ps(bias + 16);
    c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h, c4l = c0l, c4h = c0h, c5l = c0l, c5h = c0h;
    c6l = c0l, c6h = c0h;
  } else { /* continue the sums of the previous k block */
#define LOAD_ROW(i) c##i##l = _mm512_maskz_loadu_ps(m0, c##i), c##i##h = _mm512_maskz_loadu_ps(m1, c##i + 16)
    LOAD_ROW(0), LOAD_ROW(1), LOAD_ROW(2), LOAD_ROW(3), LOAD_ROW(4), LOAD_ROW(5), LOAD_ROW(6);
#undef LOAD_ROW
  }
  ENET_F32_7X32_MULTIPLY_ADD(nc, kc, w);
  ENET_F32_7X32_STORE(m0, m1, min, max);
}
#endif
