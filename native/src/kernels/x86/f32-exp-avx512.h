/* Vector exp and expm1 for the float AVX-512 F kernels (SILU, SIGMOID, TANH): the zmm twin
 * of f32-exp-avx2.h, with the same reduction and Cephes polynomial (about 1 ulp), the same
 * range (finite up to ln(FLT_MAX), +inf above, gradual underflow, 0 below -104) and NaN
 * handling (the clamps take the constant first). 2^n is applied by vscalefps, which rounds
 * once, subnormal results included. Include only from x86 kernel files inside
 * `#if defined(__x86_64__)`, after x86-intrinsics.h. */
#ifndef EDGENET_F32_EXP_AVX512_H
#define EDGENET_F32_EXP_AVX512_H
#include <math.h> /* INFINITY */

#include "f32-exp-avx2.h" /* ENET_EXP_MAX_ARG, ENET_EXP_MIN_ARG */

/* exp(z) = 2^n * (1 + q): returns q = r + r^2 P(r) and sets *n (as a float; z already clamped). */
ENET_TARGET_AVX512 static inline __m512 enet_exp_parts_avx512(__m512 z, __m512* n) {
  const __m512 nf = _mm512_roundscale_ps(_mm512_mul_ps(z, _mm512_set1_ps(1.44269504088896341f)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(0.693359375f), z); /* ln 2, high part (exact product) */
  r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(-2.12194440e-4f), r);     /* and the rest */
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  *n = nf;
  return _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
}

ENET_TARGET_AVX512 static inline __m512 enet_exp_avx512(__m512 z) {
  const __mmask16 overflow = _mm512_cmp_ps_mask(z, _mm512_set1_ps(ENET_EXP_MAX_ARG), _CMP_GT_OQ);
  const __mmask16 underflow = _mm512_cmp_ps_mask(z, _mm512_set1_ps(ENET_EXP_MIN_ARG), _CMP_LT_OQ);
  z = _mm512_min_ps(_mm512_set1_ps(ENET_EXP_MAX_ARG), _mm512_max_ps(_mm512_set1_ps(ENET_EXP_MIN_ARG), z));
  __m512 n;
  const __m512 q = enet_exp_parts_avx512(z, &n);
  const __m512 e = _mm512_scalef_ps(_mm512_add_ps(q, _mm512_set1_ps(1.0f)), n);
  return _mm512_maskz_mov_ps((__mmask16)~underflow, _mm512_mask_blend_ps(overflow, e, _mm512_set1_ps(INFINITY)));
}

/* expm1(z) = 2^n q + (2^n - 1) for z <= 0, accurate relative to the result near 0; -1 below -87. */
ENET_TARGET_AVX512 static inline __m512 enet_expm1_nonpositive_avx512(__m512 z) {
  z = _mm512_max_ps(_mm512_set1_ps(-87.0f), z);
  __m512 n;
  const __m512 q = enet_exp_parts_avx512(z, &n);
  const __m512 two_n = _mm512_scalef_ps(_mm512_set1_ps(1.0f), n);
  return _mm512_fmadd_ps(two_n, q, _mm512_sub_ps(two_n, _mm512_set1_ps(1.0f)));
}

/* Applies OP (an __m512 -> __m512 function of x) to n floats; the tail through lane masks, so
 * nothing past n is read or written. */
#define ENET_F32_VUNARY_AVX512(OP, n, x, y)                                                              \
  do {                                                                                                   \
    size_t i_ = 0;                                                                                       \
    for (; i_ + 16 <= (n); i_ += 16) _mm512_storeu_ps((y) + i_, OP(_mm512_loadu_ps((x) + i_)));          \
    if (i_ < (n)) {                                                                                      \
      const __mmask16 m_ = (__mmask16)((1u << ((n) - i_)) - 1);                                          \
      _mm512_mask_storeu_ps((y) + i_, m_, OP(_mm512_maskz_loadu_ps(m_, (x) + i_)));                       \
    }                                                                                                    \
  } while (0)
#endif
