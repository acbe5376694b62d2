/* float -> int8 quantization, aarch64 NEON (see enet_f32_qs8_vcvt_ukernel), bit-exact with
 * enet_ref_quantize_f32_s8: the same float division, and fcvtas is exactly roundf (half away
 * from zero), saturating, with NaN -> 0; then the +-512 limit, the zero point and saturating
 * narrows. armv7 has neither vdivq nor fcvtas: it keeps the reference. */
#if defined(__aarch64__)
#include <arm_neon.h>

#include "../optimized.h"

static inline int32x4_t quantize4(float32x4_t x, float32x4_t scale, int32_t zero_point) {
  int32x4_t q = vcvtaq_s32_f32(vdivq_f32(x, scale));
  q = vminq_s32(vmaxq_s32(q, vdupq_n_s32(-512)), vdupq_n_s32(512));
  return vaddq_s32(q, vdupq_n_s32(zero_point));
}

void enet_f32_qs8_vcvt_neon(size_t n, const float* x, int8_t* y, float scale, int32_t zero_point) {
  const float32x4_t vscale = vdupq_n_f32(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int16x8_t lo = vcombine_s16(vqmovn_s32(quantize4(vld1q_f32(x + i), vscale, zero_point)),
                                      vqmovn_s32(quantize4(vld1q_f32(x + i + 4), vscale, zero_point)));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(quantize4(vld1q_f32(x + i + 8), vscale, zero_point)),
                                      vqmovn_s32(quantize4(vld1q_f32(x + i + 12), vscale, zero_point)));
    vst1q_s8(y + i, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
  }
  if (i < n) enet_ref_quantize_f32_s8((int64_t)(n - i), x + i, scale, zero_point, y + i);
}
#endif
