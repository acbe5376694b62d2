/* float HARD_SWISH y = x * relu6(x + 3) / 6, NEON (A64: vdivq), the twin of
 * x86/f32-vhswish-avx2.c: the reference's operations in its order, bit-identical to it.
 * The clamp selects (not vmaxq, which would keep a NaN x + 3) so the clamp of NaN is 0 as
 * on x86; x * 0 is NaN either way. */
#if defined(__aarch64__)
#include "../optimized.h"
#include "f32-exp-neon.h" /* ENET_F32_VUNARY_NEON */

static inline float32x4_t hswish4(float32x4_t x) {
  const float32x4_t v = vaddq_f32(x, vdupq_n_f32(3.0f)), zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  const float32x4_t r6 = vbslq_f32(vcltq_f32(v, zero), zero, vbslq_f32(vcgtq_f32(v, six), six, v));
  return vdivq_f32(vmulq_f32(x, r6), six);
}

void enet_f32_vhswish_neon(size_t n, const float* x, float* y) { ENET_F32_VUNARY_NEON(hswish4, n, x, y); }
#endif
