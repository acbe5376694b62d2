/* float -> int8 quantization, AVX2 (see enet_f32_qs8_vcvt_ukernel), bit-exact with
 * enet_ref_quantize_f32_s8: the same float division x / scale (vdivps, not a
 * reciprocal), then round half away from zero written exactly: t = trunc(v), and
 * v - t (exact: the fraction of a float is a float) decides whether to step away
 * from zero. NaN becomes 0 before the zero point; saturating packs do the final clamp. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

__attribute__((target("avx2"))) static inline __m256i quantize8(__m256 x, __m256 scale, __m256i zp) {
  const __m256 v = _mm256_div_ps(x, scale);
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 frac = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(v, t)); /* |v - t| */
  const __m256 step = _mm256_or_ps(_mm256_and_ps(v, sign_mask), _mm256_set1_ps(1.0f)); /* +-1 like v */
  __m256 r = _mm256_add_ps(t, _mm256_and_ps(step, _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
  r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-512.0f)), _mm256_set1_ps(512.0f));
  r = _mm256_and_ps(r, _mm256_cmp_ps(v, v, _CMP_ORD_Q)); /* NaN -> 0 */
  return _mm256_add_epi32(_mm256_cvtps_epi32(r), zp);
}

__attribute__((target("avx2"))) void enet_f32_qs8_vcvt_avx2(size_t n, const float* x, int8_t* y, float scale,
                                                             int32_t zero_point) {
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7); /* undo the packs' lane interleave */
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = quantize8(_mm256_loadu_ps(x + i), vscale, zp), b = quantize8(_mm256_loadu_ps(x + i + 8), vscale, zp);
    const __m256i c = quantize8(_mm256_loadu_ps(x + i + 16), vscale, zp), d = quantize8(_mm256_loadu_ps(x + i + 24), vscale, zp);
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    _mm256_storeu_si256((__m256i*)(y + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  if (i < n) enet_ref_quantize_f32_s8((int64_t)(n - i), x + i, scale, zero_point, y + i);
}
#endif
