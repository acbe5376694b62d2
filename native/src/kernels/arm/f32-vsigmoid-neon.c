/* float SIGMOID y = 1 / (1 + exp(-x)), NEON (A64), the twin of x86/f32-vsigmoid-avx2.c. */
#if defined(__aarch64__)
#include "../optimized.h"
#include "f32-exp-neon.h"

static inline float32x4_t sigmoid4(float32x4_t x) {
  return vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), enet_exp_neon(vnegq_f32(x))));
}

void enet_f32_vsigmoid_neon(size_t n, const float* x, float* y) { ENET_F32_VUNARY_NEON(sigmoid4, n, x, y); }
#endif
