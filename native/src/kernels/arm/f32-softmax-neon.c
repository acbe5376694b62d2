/* float SOFTMAX of one contiguous row, NEON (A64), the twin of x86/f32-softmax-avx2.c
 * (same max, formula and operation order; the sum in 16 float lanes). */
#if defined(__aarch64__)
#include "../optimized.h"
#include "f32-exp-neon.h"

void enet_f32_softmax_neon(size_t n, const float* x, float* y, float beta) {
  /* max, keeping the reference's `x > max ? x : max` (a NaN never becomes the max) */
  float32x4_t vmax = vdupq_n_f32(-INFINITY);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    vmax = vbslq_f32(vcgtq_f32(v, vmax), v, vmax);
  }
  float lanes[4], max = -INFINITY;
  vst1q_f32(lanes, vmax);
  for (int l = 0; l < 4; l++) max = lanes[l] > max ? lanes[l] : max;
  for (; i < n; i++) max = x[i] > max ? x[i] : max;

  const float32x4_t vm = vdupq_n_f32(max);
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t e0 = enet_exp_neon(vmulq_n_f32(vsubq_f32(vld1q_f32(x + i), vm), beta));
    const float32x4_t e1 = enet_exp_neon(vmulq_n_f32(vsubq_f32(vld1q_f32(x + i + 4), vm), beta));
    const float32x4_t e2 = enet_exp_neon(vmulq_n_f32(vsubq_f32(vld1q_f32(x + i + 8), vm), beta));
    const float32x4_t e3 = enet_exp_neon(vmulq_n_f32(vsubq_f32(vld1q_f32(x + i + 12), vm), beta));
    vst1q_f32(y + i, e0), vst1q_f32(y + i + 4, e1), vst1q_f32(y + i + 8, e2), vst1q_f32(y + i + 12, e3);
    s0 = vaddq_f32(s0, e0), s1 = vaddq_f32(s1, e1), s2 = vaddq_f32(s2, e2), s3 = vaddq_f32(s3, e3);
  }
  for (; i < n; i += 4) { /* 4 at a time, the last through a buffer: nothing past n is read or written */
    const size_t valid = n - i < 4 ? n - i : 4;
    float t[4] = {0};
    memcpy(t, x + i, valid * sizeof(float));
    float32x4_t e = enet_exp_neon(vmulq_n_f32(vsubq_f32(vld1q_f32(t), vm), beta));
    const uint32x4_t keep = vcltq_u32((uint32x4_t){0, 1, 2, 3}, vdupq_n_u32((uint32_t)valid));
    e = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), keep));
    vst1q_f32(t, e);
    memcpy(y + i, t, valid * sizeof(float));
    s0 = vaddq_f32(s0, e);
  }
  const float32x4_t vsum = vdupq_n_f32(vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3))));

  i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vdivq_f32(vld1q_f32(y + i), vsum));
  const float sum = vgetq_lane_f32(vsum, 0);
  for (; i < n; i++) y[i] /= sum;
}
#endif
