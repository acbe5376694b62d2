/* float HARD_SWISH y = x * relu6(x + 3) / 6, AVX2 (see enet_f32_vunary_ukernel).
 *
 * The reference's operations in its order (add, clamp, multiply, divide: no FMA, no
 * reciprocal), so results are bit-identical to it, NaN and infinities included (a NaN x
 * makes the clamp 0 but x * 0 is NaN; -inf * 0 is NaN as in the reference).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "../optimized.h"
#include "f32-exp-avx2.h" /* ENET_F32_VUNARY_AVX2 */

__attribute__((target("avx2"))) static inline __m256 hswish8(__m256 x) {
  const __m256 v = _mm256_add_ps(x, _mm256_set1_ps(3.0f));
  const __m256 r6 = _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(v, _mm256_setzero_ps()));
  return _mm256_div_ps(_mm256_mul_ps(x, r6), _mm256_set1_ps(6.0f));
}

__attribute__((target("avx2"))) void enet_f32_vhswish_avx2(size_t n, const float* x, float* y) {
  ENET_F32_VUNARY_AVX2(hswish8, n, x, y);
}
#endif
