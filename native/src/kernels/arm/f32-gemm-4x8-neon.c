/* f32 GEMM tile 4 rows x 8 columns, NEON (aarch64: fused multiply-add; armv7:
 * multiply-accumulate). See enet_f32_gemm_ukernel. */
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

/* Loads the nc (<= 8) partial sums of one row of c. */
static inline void load_row(const float* c, size_t nc, float32x4_t* lo, float32x4_t* hi) {
  if (nc == 8) {
    *lo = vld1q_f32(c), *hi = vld1q_f32(c + 4);
  } else {
    float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(tmp, c, nc * sizeof(float));
    *lo = vld1q_f32(tmp), *hi = vld1q_f32(tmp + 4);
  }
}

/* vmax/vmin would turn NaN into the bound; select keeps a NaN unchanged, like the reference. */
static inline float32x4_t clamp(float32x4_t x, float32x4_t lo, float32x4_t hi) {
  return vbslq_f32(vcltq_f32(x, lo), lo, vbslq_f32(vcgtq_f32(x, hi), hi, x));
}

/* The one-row GEMM (enet_f32_kernels.gemv: a fully connected layer at batch 1). The 4-row tile
 * would run four copies of the row; here k goes round four independent sums instead, which
 * hide the multiply-add latency. */
void enet_f32_gemv_1x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                            const float* bias, float* c, size_t c_stride, float min, float max) {
  (void)mr, (void)a_stride, (void)c_stride;
  float32x4_t l0, h0;
  if (bias)
    l0 = vld1q_f32(bias), h0 = vld1q_f32(bias + 4);
  else
    load_row(c, nc, &l0, &h0);
  float32x4_t l1 = vdupq_n_f32(0.0f), h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
  size_t k = 0;
  for (; k + 4 <= kc; k += 4, w += 32) {
    const float32x4_t v = vld1q_f32(a + k);
#if defined(__aarch64__)
    l0 = vfmaq_laneq_f32(l0, vld1q_f32(w), v, 0), h0 = vfmaq_laneq_f32(h0, vld1q_f32(w + 4), v, 0);
    l1 = vfmaq_laneq_f32(l1, vld1q_f32(w + 8), v, 1), h1 = vfmaq_laneq_f32(h1, vld1q_f32(w + 12), v, 1);
    l2 = vfmaq_laneq_f32(l2, vld1q_f32(w + 16), v, 2), h2 = vfmaq_laneq_f32(h2, vld1q_f32(w + 20), v, 2);
    l3 = vfmaq_laneq_f32(l3, vld1q_f32(w + 24), v, 3), h3 = vfmaq_laneq_f32(h3, vld1q_f32(w + 28), v, 3);
#else
    const float32x2_t v01 = vget_low_f32(v), v23 = vget_high_f32(v);
    l0 = vmlaq_lane_f32(l0, vld1q_f32(w), v01, 0), h0 = vmlaq_lane_f32(h0, vld1q_f32(w + 4), v01, 0);
    l1 = vmlaq_lane_f32(l1, vld1q_f32(w + 8), v01, 1), h1 = vmlaq_lane_f32(h1, vld1q_f32(w + 12), v01, 1);
    l2 = vmlaq_lane_f32(l2, vld1q_f32(w + 16), v23, 0), h2 = vmlaq_lane_f32(h2, vld1q_f32(w + 20), v23, 0);
    l3 = vmlaq_lane_f32(l3, vld1q_f32(w + 24), v23, 1), h3 = vmlaq_lane_f32(h3, vld1q_f32(w + 28), v23, 1);
#endif
  }
  for (; k < kc; k++, w += 8) {
    const float32x4_t v = vld1q_dup_f32(a + k);
    l0 = MULADD(l0, v, vld1q_f32(w)), h0 = MULADD(h0, v, vld1q_f32(w + 4));
  }
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
  l0 = vaddq_f32(vaddq_f32(l0, l1), vaddq_f32(l2, l3));
  h0 = vaddq_f32(vaddq_f32(h0, h1), vaddq_f32(h2, h3));
  store_row(c, nc, clamp(l0, lo, hi), clamp(h0, lo, hi));
}

void enet_f32_gemm_4x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                            const float* bias, float* c, size_t c_stride, float min, float max) {
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  float32x4_t c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h;
  if (bias) {
    c0l = vld1q_f32(bias), c0h = vld1q_f32(bias + 4);
    c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  } else { /* continue the sums of the previous k block; missing rows alias the row above */
    load_row(c, nc, &c0l, &c0h);
    load_row(mr > 1 ? c + c_stride : c, nc, &c1l, &c1h);
    load_row(mr > 2 ? c + 2 * c_stride : c, nc, &c2l, &c2h);
    load_row(mr > 3 ? c + 3 * c_stride : c, nc, &c3l, &c3h);
  }
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
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
#define CLAMP(x) x = clamp(x, lo, hi)
  CLAMP(c0l), CLAMP(c0h), CLAMP(c1l), CLAMP(c1h), CLAMP(c2l), CLAMP(c2h), CLAMP(c3l), CLAMP(c3h);
#undef CLAMP
  store_row(c, nc, c0l, c0h);
  if (mr > 1) store_row(c + c_stride, nc, c1l, c1h);
  if (mr > 2) store_row(c + 2 * c_stride, nc, c2l, c2h);
  if (mr > 3) store_row(c + 3 * c_stride, nc, c3l, c3h);
}
#endif
