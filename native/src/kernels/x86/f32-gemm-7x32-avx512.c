/* f32 GEMM tile 7 rows x 32 columns, AVX-512 F (see enet_f32_gemm_ukernel): the zmm twin of
 * f32-gemm-6x16-avx2.c. 14 zmm accumulators, 2 for the weight row, broadcasts from memory;
 * partial tiles through lane masks (no read or write past nc columns of c). */
#if defined(__x86_64__)
#include "f32-gemm-avx512.h"

/* The one-row GEMM (enet_f32_kernels.gemv: a fully connected layer at batch 1). The 7-row tile
 * would run seven copies of the row; here k goes round four independent sums instead, which
 * hide the multiply-add latency. */
ENET_TARGET_AVX512 void enet_f32_gemv_1x32_avx512(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                                  const float* w, const float* bias, float* c, size_t c_stride,
                                                  float min, float max) {
  (void)mr, (void)a_stride, (void)c_stride;
  const __mmask16 m0 = enet_f32_half_mask_avx512(nc, 0), m1 = enet_f32_half_mask_avx512(nc, 1);
  __m512 l0 = bias ? _mm512_loadu_ps(bias) : _mm512_maskz_loadu_ps(m0, c);
  __m512 h0 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_maskz_loadu_ps(m1, c + 16);
  __m512 l1 = _mm512_setzero_ps(), h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
  size_t k = 0;
  for (; k + 4 <= kc; k += 4, w += 128) {
    const __m512 v0 = _mm512_set1_ps(a[k]), v1 = _mm512_set1_ps(a[k + 1]);
    const __m512 v2 = _mm512_set1_ps(a[k + 2]), v3 = _mm512_set1_ps(a[k + 3]);
    l0 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w), l0), h0 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(w + 16), h0);
    l1 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(w + 32), l1), h1 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(w + 48), h1);
    l2 = _mm512_fmadd_ps(v2, _mm512_loadu_ps(w + 64), l2), h2 = _mm512_fmadd_ps(v2, _mm512_loadu_ps(w + 80), h2);
    l3 = _mm512_fmadd_ps(v3, _mm512_loadu_ps(w + 96), l3), h3 = _mm512_fmadd_ps(v3, _mm512_loadu_ps(w + 112), h3);
  }
  for (; k < kc; k++, w += 32) {
    const __m512 v = _mm512_set1_ps(a[k]);
    l0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w), l0), h0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w + 16), h0);
  }
  l0 = _mm512_add_ps(_mm512_add_ps(l0, l1), _mm512_add_ps(l2, l3));
  h0 = _mm512_add_ps(_mm512_add_ps(h0, h1), _mm512_add_ps(h2, h3));
  enet_f32_store_row_avx512(c, m0, m1, l0, h0, _mm512_set1_ps(min), _mm512_set1_ps(max));
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
