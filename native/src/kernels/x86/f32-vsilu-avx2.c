/* float SILU y = x / (1 + exp(-x)), AVX2 + FMA (see enet_f32_vunary_ukernel).
 *
 * exp from f32-exp-avx2.h (about 1 ulp, expf's overflow and underflow). For x > 104 the
 * result is x; for x < -88.72, x / inf = -0 (the reference, in double: a subnormal or -0), and -inf gives NaN
 * like the reference's -inf / inf. One division keeps the whole result within
 * a few float ulps of the reference's double formula (tests: rtol 1e-6, atol 1e-7).
 * A NaN x stays NaN through the division.
 */
#if defined(__x86_64__)
#include <string.h>

#include "../optimized.h"
#include "f32-exp-avx2.h"

__attribute__((target("avx2,fma"))) static inline __m256 silu8(__m256 x) {
  const __m256 e = enet_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma"))) void enet_f32_vsilu_avx2(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX2(silu8, n, x, y);
}
#endif
