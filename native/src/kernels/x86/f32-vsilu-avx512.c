/* float SILU y = x / (1 + exp(-x)), AVX-512 F (see enet_f32_vunary_ukernel): the zmm twin of
 * f32-vsilu-avx2.c (same formula, exp from f32-exp-avx512.h, one division). */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"
#include "f32-exp-avx512.h"

ENET_TARGET_AVX512 static inline __m512 silu16(__m512 x) {
  const __m512 e = enet_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

ENET_TARGET_AVX512 void enet_f32_vsilu_avx512(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX512(silu16, n, x, y);
}
#endif
