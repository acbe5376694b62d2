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

/* The one-row GEMM (enet_f32_gemv_ukernel: a fully connected layer at batch 1). The 4-row tile
 * would run four copies of the row with two dependent sums; here four panels go at once, eight
 * independent sums that hide the multiply-add latency, each summed in the tile's order. */
void enet_f32_gemv_1x8_neon(size_t n, size_t kc, const float* a, const float* w, size_t panel_stride,
                            const float* bias, float* c, float min, float max) {
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
  size_t p = 0, panels = (n + 7) / 8;
  for (; p + 4 <= panels; p += 4, c += 32) {
    const float* w0 = w + p * panel_stride;
    const float *w1 = w0 + panel_stride, *w2 = w1 + panel_stride, *w3 = w2 + panel_stride;
    float32x4_t s[8];
    for (size_t j = 0; j < 8; j += 2) {
      if (bias)
        s[j] = vld1q_f32(bias + (p + j / 2) * panel_stride), s[j + 1] = vld1q_f32(bias + (p + j / 2) * panel_stride + 4);
      else
        load_row(c + 4 * j, n - 8 * p - 4 * j < 8 ? n - 8 * p - 4 * j : 8, &s[j], &s[j + 1]);
    }
    for (size_t k = 0; k < kc; k++, w0 += 8, w1 += 8, w2 += 8, w3 += 8) {
      const float32x4_t v = vld1q_dup_f32(a + k);
      s[0] = MULADD(s[0], v, vld1q_f32(w0)), s[1] = MULADD(s[1], v, vld1q_f32(w0 + 4));
      s[2] = MULADD(s[2], v, vld1q_f32(w1)), s[3] = MULADD(s[3], v, vld1q_f32(w1 + 4));
      s[4] = MULADD(s[4], v, vld1q_f32(w2)), s[5] = MULADD(s[5], v, vld1q_f32(w2 + 4));
      s[6] = MULADD(s[6], v, vld1q_f32(w3)), s[7] = MULADD(s[7], v, vld1q_f32(w3 + 4));
    }
    for (size_t j = 0; j < 8; j += 2)
      store_row(c + 4 * j, n - 8 * p - 4 * j < 8 ? n - 8 * p - 4 * j : 8, clamp(s[j], lo, hi), clamp(s[j + 1], lo, hi));
  }
  for (; p < panels; p++, c += 8) { /* the last panels one at a time */
    const size_t nc = n - 8 * p < 8 ? n - 8 * p : 8;
    const float* wp = w + p * panel_stride;
    float32x4_t l, h;
    if (bias)
      l = vld1q_f32(bias + p * panel_stride), h = vld1q_f32(bias + p * panel_stride + 4);
    else
      load_row(c, nc, &l, &h);
    for (size_t k = 0; k < kc; k++, wp += 8) {
      const float32x4_t v = vld1q_dup_f32(a + k);
      l = MULADD(l, v, vld1q_f32(wp)), h = MULADD(h, v, vld1q_f32(wp + 4));
    }
    store_row(c, nc, clamp(l, lo, hi), clamp(h, lo, hi));
  }
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
