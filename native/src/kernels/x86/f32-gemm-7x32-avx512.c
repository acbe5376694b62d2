/* f32 GEMM tile 7 rows x 32 columns, AVX-512 F (see enet_f32_gemm_ukernel): the zmm twin of
 * f32-gemm-6x16-avx2.c. 14 zmm accumulators, 2 for the weight row, broadcasts from memory;
 * partial tiles through lane masks (no read or write past nc columns of c). */
#if defined(__x86_64__)
#include "f32-gemm-avx512.h"

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
  if (nc <= 16) { /* a last panel of at most 16 channels: half the multiply-adds */
    for (size_t k = 0; k < kc; k++, w += 32) {
      const __m512 wl = _mm512_loadu_ps(w);
      c0l = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), wl, c0l);
      c1l = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), wl, c1l);
      c2l = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), wl, c2l);
      c3l = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), wl, c3l);
      c4l = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), wl, c4l);
      c5l = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), wl, c5l);
      c6l = _mm512_fmadd_ps(_mm512_set1_ps(a6[k]), wl, c6l);
    }
    kc = 0; /* the full loop below has nothing left to do */
  }
  for (size_t k = 0; k < kc; k++, w += 32) {
    const __m512 wl = _mm512_loadu_ps(w), wh = _mm512_loadu_ps(w + 16);
    __m512 v = _mm512_set1_ps(a0[k]);
    c0l = _mm512_fmadd_ps(v, wl, c0l), c0h = _mm512_fmadd_ps(v, wh, c0h);
    v = _mm512_set1_ps(a1[k]);
    c1l = _mm512_fmadd_ps(v, wl, c1l), c1h = _mm512_fmadd_ps(v, wh, c1h);
    v = _mm512_set1_ps(a2[k]);
    c2l = _mm512_fmadd_ps(v, wl, c2l), c2h = _mm512_fmadd_ps(v, wh, c2h);
    v = _mm512_set1_ps(a3[k]);
    c3l = _mm512_fmadd_ps(v, wl, c3l), c3h = _mm512_fmadd_ps(v, wh, c3h);
    v = _mm512_set1_ps(a4[k]);
    c4l = _mm512_fmadd_ps(v, wl, c4l), c4h = _mm512_fmadd_ps(v, wh, c4h);
    v = _mm512_set1_ps(a5[k]);
    c5l = _mm512_fmadd_ps(v, wl, c5l), c5h = _mm512_fmadd_ps(v, wh, c5h);
    v = _mm512_set1_ps(a6[k]);
    c6l = _mm512_fmadd_ps(v, wl, c6l), c6h = _mm512_fmadd_ps(v, wh, c6h);
  }
  const __m512 vmin = _mm512_set1_ps(min), vmax = _mm512_set1_ps(max);
  /* Highest row first: an aliased missing row then never overwrites a real one. */
  enet_f32_store_row_avx512(c6, m0, m1, c6l, c6h, vmin, vmax);
  enet_f32_store_row_avx512(c5, m0, m1, c5l, c5h, vmin, vmax);
  enet_f32_store_row_avx512(c4, m0, m1, c4l, c4h, vmin, vmax);
  enet_f32_store_row_avx512(c3, m0, m1, c3l, c3h, vmin, vmax);
  enet_f32_store_row_avx512(c2, m0, m1, c2l, c2h, vmin, vmax);
  enet_f32_store_row_avx512(c1, m0, m1, c1l, c1h, vmin, vmax);
  enet_f32_store_row_avx512(c0, m0, m1, c0l, c0h, vmin, vmax);
}
#endif
