/* float SIGMOID y = 1 / (1 + exp(-x)), AVX2 + FMA (see enet_f32_vunary_ukernel).
 *
 * The reference's formula with exp from f32-exp-avx2.h: within a few float ulps of the
 * double formula (tests: rtol 1e-6, atol 1e-7 relative to it). -inf -> 0 (exp overflows
 * to +inf), +inf -> 1, NaN -> NaN, as in the reference.
 */
#if defined(__x86_64__)
#include <string.h>

#include "../optimized.h"
#include "f32-exp-avx2.h"

__attribute__((target("avx2,fma"))) static inline __m256 sigmoid8(__m256 x) {
  const __m256 e = enet_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma"))) void enet_f32_vsigmoid_avx2(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX2(sigmoid8, n, x, y);
}
#endif
