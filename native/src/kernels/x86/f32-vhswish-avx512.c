/* float HARD_SWISH y = x * min(max(x + 3, 0), 6) / 6, AVX-512 F (see enet_f32_vunary_ukernel):
 * the zmm twin of f32-vhswish-avx2.c, the same operations in the same order (bit-identical to
 * the reference). */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"
#include "f32-exp-avx512.h" /* ENET_F32_VUNARY_AVX512 */

ENET_TARGET_AVX512 static inline __m512 hswish16(__m512 x) {
  const __m512 v = _mm512_add_ps(x, _mm512_set1_ps(3.0f));
  const __m512 r6 = _mm512_min_ps(_mm512_set1_ps(6.0f), _mm512_max_ps(v, _mm512_setzero_ps()));
  return _mm512_div_ps(_mm512_mul_ps(x, r6), _mm512_set1_ps(6.0f));
}

ENET_TARGET_AVX512 void enet_f32_vhswish_avx512(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX512(hswish16, n, x, y);
}
#endif
