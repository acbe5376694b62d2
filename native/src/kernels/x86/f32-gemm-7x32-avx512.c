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
  ENET_F32_7X32_MULTIPLY_ADD(nc, kc, w);
  ENET_F32_7X32_STORE(m0, m1, min, max);
}
#endif
