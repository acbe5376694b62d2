/* f32 depthwise row, 8 channels per vector, AVX2 + FMA (see enet_f32_dwconv_ukernel).
 * Two channel blocks per step keep two independent FMA chains in flight; the
 * last partial block uses masked loads and stores (no read past `channels`). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

/* The row loop, inlined twice: with taps = 9 (3x3, nearly every depthwise
 * layer) as a constant, so the tap loop unrolls and the input pointers of a
 * pixel stay in registers across its channel blocks, and once for any taps. */
__attribute__((target("avx2,fma"), always_inline)) static inline void dwconv_rows(
    size_t channels, size_t out_w, size_t taps, const float** input, const float* w, float* y, float min,
    float max) {
  const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  const size_t block = 8 + taps * 8; /* floats per packed channel block */
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const float* wb = w;
    size_t c = 0;
    for (; c + 16 <= channels; c += 16, wb += 2 * block) {
      const float* wb2 = wb + block;
      __m256 acc0 = _mm256_loadu_ps(wb), acc1 = _mm256_loadu_ps(wb2);
      for (size_t t = 0; t < taps; t++) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(input[t] + c), _mm256_loadu_ps(wb + 8 + t * 8), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(input[t] + c + 8), _mm256_loadu_ps(wb2 + 8 + t * 8), acc1);
      }
      _mm256_storeu_ps(y + c, _mm256_min_ps(hi, _mm256_max_ps(lo, acc0)));
      _mm256_storeu_ps(y + c + 8, _mm256_min_ps(hi, _mm256_max_ps(lo, acc1)));
    }
    for (; c < channels; c += 8, wb += block) {
      size_t n = channels - c < 8 ? channels - c : 8;
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      __m256 acc = _mm256_loadu_ps(wb);
      for (size_t t = 0; t < taps; t++)
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(input[t] + c, mask), _mm256_loadu_ps(wb + 8 + t * 8), acc);
      _mm256_maskstore_ps(y + c, mask, _mm256_min_ps(hi, _mm256_max_ps(lo, acc)));
    }
  }
}

__attribute__((target("avx2,fma"))) void enet_f32_dwconv_c8_avx2(size_t channels, size_t out_w, size_t taps,
                                                                  const float** input, const float* w, float* y,
                                                                  float min, float max) {
  if (taps == 9)
    dwconv_rows(channels, out_w, 9, input, w, y, min, max);
  else
    dwconv_rows(channels, out_w, taps, input, w, y, min, max);
}
#endif
