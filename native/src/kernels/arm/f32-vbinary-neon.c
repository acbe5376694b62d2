/* f32 elementwise add / sub / mul with a clamp, NEON (see enet_f32_vbinary_ukernel).
 * 8 floats per step, then 4, then a scalar tail (no access past n). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#include "../optimized.h"

/* Select rather than vmax/vmin, so a NaN passes through like in the reference. */
#define CLAMP(x) vbslq_f32(vcltq_f32(x, lo), lo, vbslq_f32(vcgtq_f32(x, hi), hi, x))

#define DEFINE_VBINARY(name, OP, SCALAR)                                                                         \
  void name(size_t n, const float* a, const float* b, float* y, float min, float max) {                         \
    const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);                                               \
    size_t i = 0;                                                                                                \
    for (; i + 8 <= n; i += 8) {                                                                                 \
      float32x4_t v0 = OP(vld1q_f32(a + i), vld1q_f32(b + i));                                                   \
      float32x4_t v1 = OP(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));                                           \
      vst1q_f32(y + i, CLAMP(v0));                                                                               \
      vst1q_f32(y + i + 4, CLAMP(v1));                                                                           \
    }                                                                                                            \
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, CLAMP(OP(vld1q_f32(a + i), vld1q_f32(b + i))));                  \
    for (; i < n; i++) {                                                                                         \
      float v = a[i] SCALAR b[i];                                                                                \
      y[i] = v < min ? min : v > max ? max : v;                                                                  \
    }                                                                                                            \
  }

DEFINE_VBINARY(enet_f32_vadd_neon, vaddq_f32, +)
DEFINE_VBINARY(enet_f32_vsub_neon, vsubq_f32, -)
DEFINE_VBINARY(enet_f32_vmul_neon, vmulq_f32, *)
#endif
