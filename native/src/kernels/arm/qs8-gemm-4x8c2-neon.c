/* qs8 GEMM tile 4 rows x 8 columns, NEON widening multiply-accumulate (smlal;
 * aarch64 and armv7). Same c2 int16 weight panels as the x86 kernels: vld2q
 * splits each pair block into the w[k] and w[k+1] rows. See enet_qs8_gemm_ukernel. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#include "qs8-requant-neon.h"

#define ROW(lo, hi, w, x0, x1)                                                        \
  do {                                                                               \
    lo = vmlal_n_s16(vmlal_n_s16(lo, vget_low_s16(w.val[0]), x0), vget_low_s16(w.val[1]), x1);    \
    hi = vmlal_n_s16(vmlal_n_s16(hi, vget_high_s16(w.val[0]), x0), vget_high_s16(w.val[1]), x1); \
  } while (0)

void enet_qs8_gemm_4x8c2_neon(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* packed,
                              int8_t* y, size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = packed;
  int32x4_t c0l = vld1q_s32(bias), c0h = vld1q_s32(bias + 4);
  int32x4_t c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  const int16_t* w = (const int16_t*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(8));
  for (size_t k = 0; k < kc; k += 2, w += 16) {
    const int odd = k + 1 == kc; /* k tail: the second weight row is zero; do not read a[k + 1] */
    const int16x8x2_t ww = vld2q_s16(w);
    ROW(c0l, c0h, ww, a0[k], odd ? 0 : a0[k + 1]);
    ROW(c1l, c1h, ww, a1[k], odd ? 0 : a1[k + 1]);
    ROW(c2l, c2h, ww, a2[k], odd ? 0 : a2[k + 1]);
    ROW(c3l, c3h, ww, a3[k], odd ? 0 : a3[k + 1]);
  }
  const int32x4_t rows[4][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}};
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t v0 = enet_qs8_requant4_neon(rows[r][0], packed, 8, 0);
    const int32x4_t v1 = enet_qs8_requant4_neon(rows[r][1], packed, 8, 4);
    enet_qs8_store8_neon(y + r * y_stride, enet_qs8_pack8_neon(v0, v1, out), nc);
  }
}
#endif
