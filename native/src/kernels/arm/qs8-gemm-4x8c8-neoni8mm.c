/* qs8 GEMM tile 4 rows x 8 columns, k in blocks of 8 (c8), aarch64 int8 matrix
 * multiply (smmla; see enet_qs8_gemm_ukernel). One smmla multiplies a 2x8 block
 * of two input rows by an 8x2 block of two weight columns into a 2x2 int32 tile
 * [r0c0 r0c1 r1c0 r1c1]; a column's 8 weights of a block sit together, so the
 * panel holds column pairs as 16 consecutive bytes. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "qs8-requant-neon.h"

#define I8MM __attribute__((target("arch=armv8.2-a+i8mm")))

/* a[0..n-1] (n < 8) and zeros: the k tail. */
I8MM static inline int8x8_t input_tail(const int8_t* a, size_t n) {
  int8_t v[8] = {0};
  for (size_t i = 0; i < n; i++) v[i] = a[i];
  return vld1_s8(v);
}

I8MM void enet_qs8_gemm_4x8c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                       const void* packed, int8_t* y, size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = packed;
  /* acc[rp][cp]: rows 2rp, 2rp+1 x columns 2cp, 2cp+1, starting from the column biases. */
  int32x4_t acc[2][4];
  for (int cp = 0; cp < 4; cp++) {
    const int32x2_t b = vld1_s32(bias + 2 * cp);
    acc[0][cp] = acc[1][cp] = vcombine_s32(b, b);
  }
  const int8_t* w = (const int8_t*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(8));
#define BLOCK(x01, x23)                                     \
  for (int cp = 0; cp < 4; cp++) {                          \
    const int8x16_t wc = vld1q_s8(w + 16 * cp);             \
    acc[0][cp] = vmmlaq_s32(acc[0][cp], x01, wc);           \
    acc[1][cp] = vmmlaq_s32(acc[1][cp], x23, wc);           \
  }
  size_t k = 0;
  if (mr <= 2) /* one row pair (a fully connected layer at batch 1): not the second, a copy of it */
    for (; k + 8 <= kc; k += 8, w += 64) {
      const int8x16_t x01 = vcombine_s8(vld1_s8(a0 + k), vld1_s8(a1 + k));
      for (int cp = 0; cp < 4; cp++) acc[0][cp] = vmmlaq_s32(acc[0][cp], x01, vld1q_s8(w + 16 * cp));
    }
  for (; k + 8 <= kc; k += 8, w += 64) {
    const int8x16_t x01 = vcombine_s8(vld1_s8(a0 + k), vld1_s8(a1 + k));
    const int8x16_t x23 = vcombine_s8(vld1_s8(a2 + k), vld1_s8(a3 + k));
    BLOCK(x01, x23)
  }
  if (k < kc) { /* the k tail, zero-padded (im2col rows never have one) */
    const size_t n = kc - k;
    const int8x16_t x01 = vcombine_s8(input_tail(a0 + k, n), input_tail(a1 + k, n));
    const int8x16_t x23 = vcombine_s8(input_tail(a2 + k, n), input_tail(a3 + k, n));
    BLOCK(x01, x23)
  }
#undef BLOCK
  for (size_t r = 0; r < mr; r++) {
    /* Row r's columns: the low (even row) or high (odd row) halves of its row pair's tiles. */
    const int32x4_t* t = acc[r / 2];
    int32x4_t c03, c47;
    if (r % 2 == 0) {
      c03 = vcombine_s32(vget_low_s32(t[0]), vget_low_s32(t[1]));
      c47 = vcombine_s32(vget_low_s32(t[2]), vget_low_s32(t[3]));
    } else {
      c03 = vcombine_s32(vget_high_s32(t[0]), vget_high_s32(t[1]));
      c47 = vcombine_s32(vget_high_s32(t[2]), vget_high_s32(t[3]));
    }
    const int32x4_t v0 = enet_qs8_requant4_neon(c03, packed, 8, 0);
    const int32x4_t v1 = enet_qs8_requant4_neon(c47, packed, 8, 4);
    enet_qs8_store8_neon(y + r * y_stride, enet_qs8_pack8_neon(v0, v1, out), nc);
  }
}
#endif
