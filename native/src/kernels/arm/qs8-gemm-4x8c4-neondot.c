/* qs8 GEMM tile 4 rows x 8 columns, k in blocks of 4 (c4), aarch64 int8 dot
 * product (sdot). Each column's 4 weights of a block sit together, so one sdot
 * adds a row's 4 products to each of 4 columns. See enet_qs8_gemm_ukernel. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "qs8-requant-neon.h"

#define DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

/* 4 inputs a[0..3] repeated in every 32-bit lane (one 32-bit load). */
DOTPROD static inline int8x16_t input_quad(const int8_t* a) {
  int32_t v;
  memcpy(&v, a, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* a[0..n-1] (n < 4) and zeros, repeated: the k tail. */
DOTPROD static inline int8x16_t input_tail(const int8_t* a, size_t n) {
  int8_t v[4] = {0};
  for (size_t i = 0; i < n; i++) v[i] = a[i];
  return input_quad(v);
}

DOTPROD void enet_qs8_gemm_4x8c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                         const void* packed, int8_t* y, size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = packed;
  int32x4_t c0l = vld1q_s32(bias), c0h = vld1q_s32(bias + 4);
  int32x4_t c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  const int8_t* w = (const int8_t*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(8));
  size_t k = 0;
  if (mr == 1) { /* one row (a fully connected layer at batch 1): not four copies of it. Blocks of k
                  * alternate between two pairs of sums, added at the end (exact: integers). */
    int32x4_t e0 = vdupq_n_s32(0), e1 = e0;
    for (; k + 8 <= kc; k += 8, w += 64) {
      const int8x16_t v0 = input_quad(a0 + k), v1 = input_quad(a0 + k + 4);
      c0l = vdotq_s32(c0l, vld1q_s8(w), v0), c0h = vdotq_s32(c0h, vld1q_s8(w + 16), v0);
      e0 = vdotq_s32(e0, vld1q_s8(w + 32), v1), e1 = vdotq_s32(e1, vld1q_s8(w + 48), v1);
    }
    for (; k < kc; k += 4, w += 32) { /* a last block, and the zero-padded k tail */
      const int8x16_t v = kc - k >= 4 ? input_quad(a0 + k) : input_tail(a0 + k, kc - k);
      c0l = vdotq_s32(c0l, vld1q_s8(w), v), c0h = vdotq_s32(c0h, vld1q_s8(w + 16), v);
    }
    const int32x4_t v0 = enet_qs8_requant4_neon(vaddq_s32(c0l, e0), packed, 8, 0);
    const int32x4_t v1 = enet_qs8_requant4_neon(vaddq_s32(c0h, e1), packed, 8, 4);
    enet_qs8_store8_neon(y, enet_qs8_pack8_neon(v0, v1, out), nc);
    return;
  }
#define BLOCK(in0, in1, in2, in3)                                              \
  do {                                                                         \
    const int8x16_t v0 = (in0), v1 = (in1), v2 = (in2), v3 = (in3);            \
    const int8x16_t wl = vld1q_s8(w), wh = vld1q_s8(w + 16);                   \
    c0l = vdotq_s32(c0l, wl, v0), c0h = vdotq_s32(c0h, wh, v0);                \
    c1l = vdotq_s32(c1l, wl, v1), c1h = vdotq_s32(c1h, wh, v1);                \
    c2l = vdotq_s32(c2l, wl, v2), c2h = vdotq_s32(c2h, wh, v2);                \
    c3l = vdotq_s32(c3l, wl, v3), c3h = vdotq_s32(c3h, wh, v3);                \
  } while (0)
  for (; k + 4 <= kc; k += 4, w += 32)
    BLOCK(input_quad(a0 + k), input_quad(a1 + k), input_quad(a2 + k), input_quad(a3 + k));
  if (k < kc) /* the k tail, zero-padded (im2col rows never have one) */
    BLOCK(input_tail(a0 + k, kc - k), input_tail(a1 + k, kc - k), input_tail(a2 + k, kc - k),
          input_tail(a3 + k, kc - k));
#undef BLOCK
  const int32x4_t rows[4][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}};
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t v0 = enet_qs8_requant4_neon(rows[r][0], packed, 8, 0);
    const int32x4_t v1 = enet_qs8_requant4_neon(rows[r][1], packed, 8, 4);
    enet_qs8_store8_neon(y + r * y_stride, enet_qs8_pack8_neon(v0, v1, out), nc);
  }
}
#endif
