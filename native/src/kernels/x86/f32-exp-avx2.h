/* Vector exp and expm1 for the float AVX2 + FMA kernels (SILU, SIGMOID, TANH, SOFTMAX).
 *
 * exp(z) = 2^n * exp(r): n = round(z / ln 2), r = z - n ln 2 (ln 2 split in two parts,
 * so r is nearly exact) in [-ln2/2, ln2/2], and exp(r) = 1 + r + r^2 P(r) with Cephes'
 * degree-5 P (about 1 ulp). 2^n is applied as two normal powers of two 2^(n/2) 2^(n - n/2),
 * so the whole float range comes out as expf gives it: finite up to ln(FLT_MAX) = 88.7228,
 * +inf above, gradual underflow to subnormals below -87.3 and 0 below -104. A NaN z stays
 * NaN: the clamps take the constant first, and max/min return their second operand when
 * one is NaN. Include only from x86 kernel files inside `#if defined(__x86_64__)`.
 */
#ifndef EDGENET_F32_EXP_AVX2_H
#define EDGENET_F32_EXP_AVX2_H
#include <immintrin.h>
#include <math.h> /* INFINITY */

#define ENET_EXP_MAX_ARG 88.72283f /* just below ln(FLT_MAX) */
#define ENET_EXP_MIN_ARG -104.0f   /* expf is 0 below -103.98 */

/* exp(z) = 2^n * (1 + q): returns q = r + r^2 P(r) and sets *n (z already clamped). */
__attribute__((target("avx2,fma"))) static inline __m256 enet_exp_parts_avx2(__m256 z, __m256i* n) {
  const __m256 nf = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(0.693359375f), z); /* ln 2, high part (exact product) */
  r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(-2.12194440e-4f), r);     /* and the rest */
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  *n = _mm256_cvtps_epi32(nf);
  return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
}

/* 2^n for n in [-126, 127], built in the exponent bits. */
__attribute__((target("avx2,fma"))) static inline __m256 enet_pow2i_avx2(__m256i n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

__attribute__((target("avx2,fma"))) static inline __m256 enet_exp_avx2(__m256 z) {
  const __m256 overflow = _mm256_cmp_ps(z, _mm256_set1_ps(ENET_EXP_MAX_ARG), _CMP_GT_OQ);
  const __m256 underflow = _mm256_cmp_ps(z, _mm256_set1_ps(ENET_EXP_MIN_ARG), _CMP_LT_OQ);
  z = _mm256_min_ps(_mm256_set1_ps(ENET_EXP_MAX_ARG), _mm256_max_ps(_mm256_set1_ps(ENET_EXP_MIN_ARG), z));
  __m256i n;
  const __m256 q = enet_exp_parts_avx2(z, &n);
  const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1); /* n in [-150, 128]: halves normal */
  const __m256 e = _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(q, _mm256_set1_ps(1.0f)), enet_pow2i_avx2(n1)),
                                 enet_pow2i_avx2(n2));
  return _mm256_andnot_ps(underflow, _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), overflow));
}

/* expm1(z) = 2^n q + (2^n - 1) for z <= 0, accurate relative to the result near 0 (n = 0
 * there, so the result is q itself); -1 below -87 (2^n stays normal). */
__attribute__((target("avx2,fma"))) static inline __m256 enet_expm1_nonpositive_avx2(__m256 z) {
  z = _mm256_max_ps(_mm256_set1_ps(-87.0f), z);
  __m256i n;
  const __m256 q = enet_exp_parts_avx2(z, &n);
  const __m256 two_n = enet_pow2i_avx2(n);
  return _mm256_fmadd_ps(two_n, q, _mm256_sub_ps(two_n, _mm256_set1_ps(1.0f)));
}

/* Applies OP (an __m256 -> __m256 function of x) to n floats; the tail goes through a
 * buffer so nothing past n is read or written. */
#define ENET_F32_VUNARY_AVX2(OP, n, x, y)                                   \
  do {                                                                      \
    size_t i_ = 0;                                                          \
    for (; i_ + 8 <= (n); i_ += 8) _mm256_storeu_ps((y) + i_, OP(_mm256_loadu_ps((x) + i_))); \
    if (i_ < (n)) {                                                         \
      float t_[8] = {0};                                                    \
      memcpy(t_, (x) + i_, ((n) - i_) * sizeof(float));                     \
      _mm256_storeu_ps(t_, OP(_mm256_loadu_ps(t_)));                        \
      memcpy((y) + i_, t_, ((n) - i_) * sizeof(float));                     \
    }                                                                       \
  } while (0)
#endif
