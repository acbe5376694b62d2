/* float TANH, AVX-512 F (see enet_f32_vunary_ukernel): the zmm twin of f32-vtanh-avx2.c,
 * tanh|x| = -m / (2 + m) with m = expm1(-2|x|), and x's sign (tanh(+0) = +0, NaN stays NaN). */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"
#include "f32-exp-avx512.h"

ENET_TARGET_AVX512 static inline __m512 tanh16(__m512 x) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  const __m512 ax = _mm512_andnot_ps(sign, x);
  const __m512 m = enet_expm1_nonpositive_avx512(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  const __m512 t = _mm512_div_ps(_mm512_sub_ps(_mm512_setzero_ps(), m), _mm512_add_ps(_mm512_set1_ps(2.0f), m));
  return _mm512_or_ps(_mm512_andnot_ps(sign, t), _mm512_and_ps(sign, x));
}

ENET_TARGET_AVX512 void enet_f32_vtanh_avx512(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX512(tanh16, n, x, y);
}
#endif
