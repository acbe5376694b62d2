/* float TANH = sign(x) * -m / (2 + m), m = expm1(-2|x|), NEON (A64), the twin of
 * x86/f32-vtanh-avx2.c (see there for accuracy and the NaN / inf behaviour). */
#if defined(__aarch64__)
#include "../optimized.h"
#include "f32-exp-neon.h"

static inline float32x4_t tanh4(float32x4_t x) {
  const float32x4_t m = enet_expm1_nonpositive_neon(vmulq_n_f32(vabsq_f32(x), -2.0f));
  const float32x4_t t = vdivq_f32(vnegq_f32(m), vaddq_f32(vdupq_n_f32(2.0f), m));
  const uint32x4_t sign = vdupq_n_u32(0x80000000u);
  return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(vabsq_f32(t)), vandq_u32(sign, vreinterpretq_u32_f32(x))));
}

void enet_f32_vtanh_neon(size_t n, const float* x, float* y) { ENET_F32_VUNARY_NEON(tanh4, n, x, y); }
#endif
