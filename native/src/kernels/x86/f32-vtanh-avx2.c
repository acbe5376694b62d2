/* float TANH, AVX2 + FMA (see enet_f32_vunary_ukernel).
 *
 * tanh(x) = sign(x) * -m / (2 + m) with m = expm1(-2|x|) from f32-exp-avx2.h: m is
 * accurate relative to itself near 0, so small |x| keeps full relative precision (the
 * 1 - 2 / (exp(2x) + 1) form would not). Within a few float ulps of the double formula
 * (tests: rtol 1e-6, atol 1e-7); +-inf -> +-1, +-0 -> +-0, NaN -> NaN, as tanhf.
 */
#if defined(__x86_64__)
#include <string.h>

#include "../optimized.h"
#include "f32-exp-avx2.h"

__attribute__((target("avx2,fma"))) static inline __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 m = enet_expm1_nonpositive_avx2(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  const __m256 t = _mm256_div_ps(_mm256_sub_ps(_mm256_setzero_ps(), m), _mm256_add_ps(_mm256_set1_ps(2.0f), m));
  return _mm256_or_ps(_mm256_andnot_ps(sign, t), _mm256_and_ps(sign, x)); /* |t| with x's sign (tanh(+0) = +0) */
}

__attribute__((target("avx2,fma"))) void enet_f32_vtanh_avx2(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX2(tanh8, n, x, y);
}
#endif
