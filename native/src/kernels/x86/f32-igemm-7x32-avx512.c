/* f32 indirect GEMM tile 7 rows x 32 columns, AVX-512 F (see enet_f32_igemm_ukernel): the
 * 7x32 GEMM tile reading its rows through an indirection buffer instead of an im2col copy. */
#if defined(__x86_64__)
#include "f32-gemm-avx512.h"

ENET_TARGET_AVX512 void enet_f32_igemm_7x32_avx512(size_t mr, size_t nc, size_t kc, size_t ks, const float** a,
                                                   const float* w, const float* bias, float* c, size_t c_stride,
                                                   float min, float max) {
  /* Missing rows alias the row above: they compute the same values, and only rows < mr are stored. */
  const float** r0 = a;
  const float** r1 = mr > 1 ? r0 + ks : r0;
  const float** r2 = mr > 2 ? r1 + ks : r1;
  const float** r3 = mr > 3 ? r2 + ks : r2;
  const float** r4 = mr > 4 ? r3 + ks : r3;
  const float** r5 = mr > 5 ? r4 + ks : r4;
  const float** r6 = mr > 6 ? r5 + ks : r5;
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;
  float* c4 = mr > 4 ? c3 + c_stride : c3;
  float* c5 = mr > 5 ? c4 + c_stride : c4;
  float* c6 = mr > 6 ? c5 + c_stride : c5;
  __m512 c0l = _mm512_loadu_ps(bias), c0h = _mm512_loadu_ps(bias + 16);
  __m512 c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h, c4l = c0l, c4h = c0h, c5l = c0l,
         c5h = c0h, c6l = c0l, c6h = c0h;
  for (size_t s = 0; s < ks; s++) {
    const float *a0 = r0[s], *a1 = r1[s], *a2 = r2[s], *a3 = r3[s], *a4 = r4[s], *a5 = r5[s], *a6 = r6[s];
    ENET_F32_7X32_MULTIPLY_ADD(nc, kc, w);
  }
  const __mmask16 m0 = enet_f32_half_mask_avx512(nc, 0), m1 = enet_f32_half_mask_avx512(nc, 1);
  ENET_F32_7X32_STORE(m0, m1, min, max);
}
#endif
