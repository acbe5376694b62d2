/* f32 depthwise row, 4 channels per vector, NEON (see enet_f32_dwconv_ukernel).
 * The last partial block goes through a small buffer (no read past `channels`). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "../optimized.h"

#if defined(__aarch64__)
#define MULADD(acc, a, b) vfmaq_f32(acc, a, b)
#else
#define MULADD(acc, a, b) vmlaq_f32(acc, a, b)
#endif
/* Select rather than vmax/vmin, so a NaN passes through like in the reference. */
#define CLAMP(x, lo, hi) vbslq_f32(vcltq_f32(x, lo), lo, vbslq_f32(vcgtq_f32(x, hi), hi, x))

/* The row loop, inlined twice: with taps = 9 (3x3) as a constant so the tap
 * loop unrolls, and once for any taps. */
__attribute__((always_inline)) static inline void dwconv_rows(size_t channels, size_t out_w, size_t taps,
                                                              const float** input, const float* w, float* y,
                                                              float min, float max) {
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
  const size_t block = 4 + taps * 4;
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const float* wb = w;
    size_t c = 0;
    for (; c + 8 <= channels; c += 8, wb += 2 * block) {
      const float* wb2 = wb + block;
      float32x4_t acc0 = vld1q_f32(wb), acc1 = vld1q_f32(wb2);
      for (size_t t = 0; t < taps; t++) {
        acc0 = MULADD(acc0, vld1q_f32(input[t] + c), vld1q_f32(wb + 4 + t * 4));
        acc1 = MULADD(acc1, vld1q_f32(input[t] + c + 4), vld1q_f32(wb2 + 4 + t * 4));
      }
      vst1q_f32(y + c, CLAMP(acc0, lo, hi));
      vst1q_f32(y + c + 4, CLAMP(acc1, lo, hi));
    }
    for (; c < channels; c += 4, wb += block) {
      size_t n = channels - c < 4 ? channels - c : 4;
      float32x4_t acc = vld1q_f32(wb);
      for (size_t t = 0; t < taps; t++) {
        float xs[4] = {0, 0, 0, 0};
        memcpy(xs, input[t] + c, n * sizeof(float));
        acc = MULADD(acc, vld1q_f32(xs), vld1q_f32(wb + 4 + t * 4));
      }
      float out[4];
      vst1q_f32(out, CLAMP(acc, lo, hi));
      memcpy(y + c, out, n * sizeof(float));
    }
  }
}

void enet_f32_dwconv_c4_neon(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                             float* y, float min, float max) {
  if (taps == 9)
    dwconv_rows(channels, out_w, 9, input, w, y, min, max);
  else
    dwconv_rows(channels, out_w, taps, input, w, y, min, max);
}
#endif
