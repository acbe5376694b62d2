/* float SILU y = x / (1 + exp(-x)), AVX2 + FMA (see enet_f32_vunary_ukernel).
 *
 * exp(z) = 2^n * exp(r): n = round(z / ln 2), r = z - n ln 2 (ln 2 split in two
 * parts, so r is nearly exact) in [-ln2/2, ln2/2], and exp(r) by Cephes' degree-6
 * polynomial (about 1 ulp), 2^n built in the exponent bits. z is clamped to
 * [-87, 88] so 2^n stays a normal float: below, SILU is x; above, exp is taken
 * as +inf, so y = x / inf is -0 (the reference: -0 or a subnormal) and -inf gives
 * NaN like the reference's -inf / inf. One division
 * keeps the whole result within a few float ulps of the reference's double
 * formula (tests: rtol 1e-6, atol 1e-7). A NaN x stays NaN through the division.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h> /* INFINITY */
#include <string.h>

#include "../optimized.h"

__attribute__((target("avx2,fma"))) static inline __m256 exp8(__m256 z) {
  const __m256 overflow = _mm256_cmp_ps(z, _mm256_set1_ps(88.0f), _CMP_GT_OQ); /* -> +inf, like the reference */
  z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), z);  /* ln 2, high part (exact product) */
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);      /* and the rest */
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_blendv_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)), _mm256_set1_ps(INFINITY), overflow); /* p * 2^n */
}

__attribute__((target("avx2,fma"))) static inline __m256 silu8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma"))) void enet_f32_vsilu_avx2(size_t n, const float* x, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, silu8(_mm256_loadu_ps(x + i)));
  if (i < n) { /* tail through a buffer: never read or write past n */
    float t[8] = {0};
    memcpy(t, x + i, (n - i) * sizeof(float));
    _mm256_storeu_ps(t, silu8(_mm256_loadu_ps(t)));
    memcpy(y + i, t, (n - i) * sizeof(float));
  }
}
#endif
