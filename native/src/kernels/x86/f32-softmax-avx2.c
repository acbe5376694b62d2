/* float SOFTMAX of one contiguous row, AVX2 + FMA (see enet_f32_softmax_ukernel):
 *   max = the largest non-NaN x (-inf if none), e[i] = exp(beta * (x[i] - max)),
 *   y[i] = e[i] / sum(e)
 * the reference's formula and operation order per element, with exp from f32-exp-avx2.h
 * and the sum kept in 32 float lanes (then added in a fixed order), which rounds less than
 * the reference's one running sum. NaN / inf behave as in the reference: a NaN anywhere
 * makes the row NaN (through the sum), +inf makes inf - inf = NaN.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"
#include "f32-exp-avx2.h"

__attribute__((target("avx2,fma"))) static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

__attribute__((target("avx2,fma"))) void enet_f32_softmax_avx2(size_t n, const float* x, float* y, float beta) {
  /* max, keeping the reference's `x > max ? x : max`: _mm256_max_ps(x, m) is exactly that, NaN skipped */
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(x + i), vmax);
  float lanes[8], max = -INFINITY;
  _mm256_storeu_ps(lanes, vmax);
  for (int l = 0; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
  for (; i < n; i++) max = x[i] > max ? x[i] : max;

  const __m256 vm = _mm256_set1_ps(max), vbeta = _mm256_set1_ps(beta);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 e0 = enet_exp_avx2(_mm256_mul_ps(vbeta, _mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
    const __m256 e1 = enet_exp_avx2(_mm256_mul_ps(vbeta, _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm)));
    const __m256 e2 = enet_exp_avx2(_mm256_mul_ps(vbeta, _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), vm)));
    const __m256 e3 = enet_exp_avx2(_mm256_mul_ps(vbeta, _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), vm)));
    _mm256_storeu_ps(y + i, e0), _mm256_storeu_ps(y + i + 8, e1);
    _mm256_storeu_ps(y + i + 16, e2), _mm256_storeu_ps(y + i + 24, e3);
    s0 = _mm256_add_ps(s0, e0), s1 = _mm256_add_ps(s1, e1), s2 = _mm256_add_ps(s2, e2), s3 = _mm256_add_ps(s3, e3);
  }
  for (; i < n; i += 8) { /* 8 at a time, the last one masked: nothing past n is read or written */
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 e = enet_exp_avx2(_mm256_mul_ps(vbeta, _mm256_sub_ps(_mm256_maskload_ps(x + i, mask), vm)));
    _mm256_maskstore_ps(y + i, mask, e);
    s0 = _mm256_add_ps(s0, _mm256_and_ps(e, _mm256_castsi256_ps(mask)));
  }
  const __m256 vsum = _mm256_set1_ps(hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))));

  i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_div_ps(_mm256_loadu_ps(y + i), vsum));
  if (i < n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, _mm256_div_ps(_mm256_maskload_ps(y + i, mask), vsum));
  }
}
#endif
