/* float SILU y = x / (1 + exp(-x)), NEON (A64), the twin of x86/f32-vsilu-avx2.c
 * (same formula, exp and limits; see there for the NaN / inf behaviour). */
#if defined(__aarch64__)
#include "../optimized.h"
#include "f32-exp-neon.h"

static inline float32x4_t silu4(float32x4_t x) {
  return vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), enet_exp_neon(vnegq_f32(x))));
}

void enet_f32_vsilu_neon(size_t n, const float* x, float* y) { ENET_F32_VUNARY_NEON(silu4, n, x, y); }
#endif
