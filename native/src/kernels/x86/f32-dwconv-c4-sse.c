/* f32 depthwise row, 4 channels per vector, SSE (see enet_f32_dwconv_ukernel).
 * The last partial block goes through a small buffer (no read past `channels`). */
#if defined(__x86_64__)
#include <emmintrin.h>
#include <string.h>

#include "../optimized.h"

void enet_f32_dwconv_c4_sse(size_t channels, size_t out_w, size_t taps, const float** input, const float* w, float* y,
                            float min, float max) {
  const __m128 lo = _mm_set1_ps(min), hi = _mm_set1_ps(max);
  const size_t block = 4 + taps * 4;
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const float* wb = w;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8, wb += 2 * block) {
      const float* wb2 = wb + block;
      __m128 acc0 = _mm_loadu_ps(wb), acc1 = _mm_loadu_ps(wb2);
      for (size_t t = 0; t < taps; t++) {
        acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_loadu_ps(input[t] + c), _mm_loadu_ps(wb + 4 + t * 4)));
        acc1 = _mm_add_ps(acc1, _mm_mul_ps(_mm_loadu_ps(input[t] + c + 4), _mm_loadu_ps(wb2 + 4 + t * 4)));
      }
      _mm_storeu_ps(y + c, _mm_min_ps(hi, _mm_max_ps(lo, acc0)));
      _mm_storeu_ps(y + c + 4, _mm_min_ps(hi, _mm_max_ps(lo, acc1)));
    }
    for (; c < channels; c += 4, wb += block) {
      size_t n = channels - c < 4 ? channels - c : 4;
      __m128 acc = _mm_loadu_ps(wb);
      for (size_t t = 0; t < taps; t++) {
        float xs[4] = {0, 0, 0, 0};
        memcpy(xs, input[t] + c, n * sizeof(float));
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(xs), _mm_loadu_ps(wb + 4 + t * 4)));
      }
      float out[4];
      _mm_storeu_ps(out, _mm_min_ps(hi, _mm_max_ps(lo, acc)));
      memcpy(y + c, out, n * sizeof(float));
    }
  }
}
#endif
