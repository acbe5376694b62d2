/* Vector exp and expm1 for the float NEON kernels (SILU, SIGMOID, TANH, SOFTMAX), the
 * twins of x86/f32-exp-avx2.h (same range reduction, polynomial, two-step scaling and limits:
 * finite up to ln(FLT_MAX), +inf above, subnormals below -87.3, 0 below -104; NaN stays NaN:
 * vmaxq/vminq propagate it). A64 only (vfmaq, vrndnq, and the vdivq the kernels use);
 * 32-bit ARM keeps the reference kernels.
 * Include only from ARM kernel files inside `#if defined(__aarch64__)`.
 */
#ifndef EDGENET_F32_EXP_NEON_H
#define EDGENET_F32_EXP_NEON_H
#include <arm_neon.h>
#include <math.h> /* INFINITY */
#include <string.h>

#define ENET_EXP_MAX_ARG 88.72283f /* just below ln(FLT_MAX) */
#define ENET_EXP_MIN_ARG -104.0f   /* expf is 0 below -103.98 */

/* exp(z) = 2^n * (1 + q): returns q = r + r^2 P(r) and sets *n (z already clamped). */
static inline float32x4_t enet_exp_parts_neon(float32x4_t z, int32x4_t* n) {
  const float32x4_t nf = vrndnq_f32(vmulq_n_f32(z, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(z, nf, vdupq_n_f32(0.693359375f)); /* ln 2, high part (exact product) */
  r = vfmsq_f32(r, nf, vdupq_n_f32(-2.12194440e-4f));          /* and the rest */
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  *n = vcvtq_s32_f32(nf);
  return vfmaq_f32(r, p, vmulq_f32(r, r));
}

/* 2^n for n in [-126, 127], built in the exponent bits. */
static inline float32x4_t enet_pow2i_neon(int32x4_t n) {
  return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}

static inline float32x4_t enet_exp_neon(float32x4_t z) {
  const uint32x4_t overflow = vcgtq_f32(z, vdupq_n_f32(ENET_EXP_MAX_ARG));
  const uint32x4_t underflow = vcltq_f32(z, vdupq_n_f32(ENET_EXP_MIN_ARG));
  z = vminq_f32(vmaxq_f32(z, vdupq_n_f32(ENET_EXP_MIN_ARG)), vdupq_n_f32(ENET_EXP_MAX_ARG));
  int32x4_t n;
  const float32x4_t q = enet_exp_parts_neon(z, &n);
  const int32x4_t n1 = vshrq_n_s32(n, 1), n2 = vsubq_s32(n, n1); /* n in [-150, 128]: halves normal */
  const float32x4_t e = vmulq_f32(vmulq_f32(vaddq_f32(q, vdupq_n_f32(1.0f)), enet_pow2i_neon(n1)), enet_pow2i_neon(n2));
  const float32x4_t big = vbslq_f32(overflow, vdupq_n_f32(INFINITY), e);
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(big), underflow));
}

/* expm1(z) = 2^n q + (2^n - 1) for z <= 0 (see x86/f32-exp-avx2.h); -1 below -87. */
static inline float32x4_t enet_expm1_nonpositive_neon(float32x4_t z) {
  z = vmaxq_f32(z, vdupq_n_f32(-87.0f));
  int32x4_t n;
  const float32x4_t q = enet_exp_parts_neon(z, &n);
  const float32x4_t two_n = enet_pow2i_neon(n);
  return vfmaq_f32(vsubq_f32(two_n, vdupq_n_f32(1.0f)), two_n, q);
}

/* Applies OP (a float32x4_t -> float32x4_t function of x) to n floats; the tail goes
 * through a buffer so nothing past n is read or written. */
#define ENET_F32_VUNARY_NEON(OP, n, x, y)                                    \
  do {                                                                       \
    size_t i_ = 0;                                                           \
    for (; i_ + 4 <= (n); i_ += 4) vst1q_f32((y) + i_, OP(vld1q_f32((x) + i_))); \
    if (i_ < (n)) {                                                          \
      float t_[4] = {0};                                                     \
      memcpy(t_, (x) + i_, ((n) - i_) * sizeof(float));                      \
      vst1q_f32(t_, OP(vld1q_f32(t_)));                                      \
      memcpy((y) + i_, t_, ((n) - i_) * sizeof(float));                      \
    }                                                                        \
  } while (0)
#endif
