/* f32 indirect GEMM tile 4 rows x 8 columns, NEON (aarch64: fused multiply-add; armv7:
 * multiply-accumulate). See enet_f32_igemm_ukernel. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "../optimized.h"

#if defined(__aarch64__)
#define MULADD(acc, a, b) vfmaq_f32(acc, a, b)
#else
#define MULADD(acc, a, b) vmlaq_f32(acc, a, b)
#endif

static inline void store_row(float* c, size_t nc, float32x4_t lo, float32x4_t hi) {
  if (nc == 8) {
    vst1q_f32(c, lo);
    vst1q_f32(c + 4, hi);
  } else {
    float tmp[8];
    vst1q_f32(tmp, lo);
    vst1q_f32(tmp + 4, hi);
    memcpy(c, tmp, nc * sizeof(float));
  }
}

void enet_f32_igemm_4x8_neon(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                             const float* bias, float* c, size_t c_stride, float min, float max) {
  const float** r0 = a;
  const float** r1 = mr > 1 ? r0 + ks : r0; /* missing rows alias the row above */
  const float** r2 = mr > 2 ? r1 + ks : r1;
  const float** r3 = mr > 3 ? r2 + ks : r2;
  float32x4_t c0l = vld1q_f32(bias), c0h = vld1q_f32(bias + 4);
  float32x4_t c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  for (size_t s = 0; s < ks; s++) {
    const float *a0 = r0[s], *a1 = r1[s], *a2 = r2[s], *a3 = r3[s];
    for (size_t k = 0; k < kc; k++, w += 8) {
      const float32x4_t wl = vld1q_f32(w), wh = vld1q_f32(w + 4);
      float32x4_t v = vld1q_dup_f32(a0 + k);
      c0l = MULADD(c0l, v, wl), c0h = MULADD(c0h, v, wh);
      v = vld1q_dup_f32(a1 + k);
      c1l = MULADD(c1l, v, wl), c1h = MULADD(c1h, v, wh);
      v = vld1q_dup_f32(a2 + k);
      c2l = MULADD(c2l, v, wl), c2h = MULADD(c2h, v, wh);
      v = vld1q_dup_f32(a3 + k);
      c3l = MULADD(c3l, v, wl), c3h = MULADD(c3h, v, wh);
    }
  }
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
  /* vmax/vmin would turn NaN into the bound; select keeps a NaN unchanged, like the reference. */
#define CLAMP(x) x = vbslq_f32(vcltq_f32(x, lo), lo, vbslq_f32(vcgtq_f32(x, hi), hi, x))
  CLAMP(c0l), CLAMP(c0h), CLAMP(c1l), CLAMP(c1h), CLAMP(c2l), CLAMP(c2h), CLAMP(c3l), CLAMP(c3h);
#undef CLAMP
  store_row(c, nc, c0l, c0h);
  if (mr > 1) store_row(c + c_stride, nc, c1l, c1h);
  if (mr > 2) store_row(c + 2 * c_stride, nc, c2l, c2h);
  if (mr > 3) store_row(c + 3 * c_stride, nc, c3l, c3h);
}
#endif
