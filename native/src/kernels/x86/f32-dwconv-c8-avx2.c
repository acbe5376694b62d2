/* f32 depthwise row, 8 channels per vector, AVX2 + FMA (see enet_f32_dwconv_ukernel).
 * The last partial block uses masked loads and stores (no read past `channels`). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

#define PIXEL_CHUNK 32

/* The row loop, inlined twice: with taps = 9 (3x3, nearly every depthwise layer) as a
 * constant, so the tap loops unroll and a channel block's 9 weight vectors stay in registers
 * while it walks the row's pixels (instead of being reloaded per pixel), and once for any taps.
 * Channel blocks are the outer loop for that reason; consecutive pixels are independent FMA
 * chains for the out-of-order core. */
__attribute__((target("avx2,fma"), always_inline)) static inline void dwconv_rows(
    size_t channels, size_t out_w, size_t taps, const float** input, const float* w, float* y, float min,
    float max) {
  const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  const size_t block = 8 + taps * 8; /* floats per packed channel block */
  /* Pixels in chunks, so the input a chunk reads stays in L1 while every channel block walks it
   * (a stride-2 row touches twice the input of its output). */
  for (size_t p0 = 0; p0 < out_w; p0 += PIXEL_CHUNK) {
    const size_t p1 = out_w - p0 < PIXEL_CHUNK ? out_w : p0 + PIXEL_CHUNK;
    const float* wb = w;
    for (size_t c = 0; c < channels; c += 8, wb += block) {
      const size_t n = channels - c < 8 ? channels - c : 8;
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      const __m256 bias = _mm256_loadu_ps(wb);
      /* Local copies: the stores to y could alias the packed weights as far as the compiler knows. */
      __m256 k[9];
      for (size_t t = 0; t < taps && t < 9; t++) k[t] = _mm256_loadu_ps(wb + 8 + t * 8);
      const float** in = input + p0 * taps;
      if (n == 8) {
        for (size_t p = p0; p < p1; p++, in += taps) {
          __m256 acc = bias;
          for (size_t t = 0; t < taps; t++)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(in[t] + c), taps <= 9 ? k[t] : _mm256_loadu_ps(wb + 8 + t * 8), acc);
          _mm256_storeu_ps(y + p * channels + c, _mm256_min_ps(hi, _mm256_max_ps(lo, acc)));
        }
      } else {
        for (size_t p = p0; p < p1; p++, in += taps) {
          __m256 acc = bias;
          for (size_t t = 0; t < taps; t++)
            acc = _mm256_fmadd_ps(_mm256_maskload_ps(in[t] + c, mask),
                                  taps <= 9 ? k[t] : _mm256_loadu_ps(wb + 8 + t * 8), acc);
          _mm256_maskstore_ps(y + p * channels + c, mask, _mm256_min_ps(hi, _mm256_max_ps(lo, acc)));
        }
      }
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
