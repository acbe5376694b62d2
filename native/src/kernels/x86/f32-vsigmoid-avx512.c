/* float SIGMOID y = 1 / (1 + exp(-x)), AVX-512 F (see enet_f32_vunary_ukernel): the zmm twin of
 * f32-vsigmoid-avx2.c. */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"
#include "f32-exp-avx512.h"

ENET_TARGET_AVX512 static inline __m512 sigmoid16(__m512 x) {
  const __m512 e = enet_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

ENET_TARGET_AVX512 void enet_f32_vsigmoid_avx512(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX512(sigmoid16, n, x, y);
}
#endif
