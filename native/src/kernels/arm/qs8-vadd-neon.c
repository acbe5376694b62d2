/* qs8 elementwise add (and sub), NEON (aarch64 and armv7; see enet_qs8_vadd_ukernel):
 * 32-bit multiply-accumulate with the 21-bit multipliers, one arithmetic shift
 * (vshl by -shift; the sum with the folded bias always fits int32). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "qs8-requant-neon.h"

static inline int32x4_t add4(int16x4_t a, int16x4_t b, const enet_qs8_add_params* p, int32x4_t neg_shift) {
  int32x4_t acc = vmlaq_n_s32(vdupq_n_s32(p->bias), vmovl_s16(a), p->a_mult);
  acc = vmlaq_n_s32(acc, vmovl_s16(b), p->b_mult);
  return vshlq_s32(acc, neg_shift);
}

static inline int8x16_t add16(int8x16_t a, int8x16_t b, const enet_qs8_add_params* p) {
  const int32x4_t neg_shift = vdupq_n_s32(-p->shift);
  const int16x8_t al = vmovl_s8(vget_low_s8(a)), ah = vmovl_s8(vget_high_s8(a));
  const int16x8_t bl = vmovl_s8(vget_low_s8(b)), bh = vmovl_s8(vget_high_s8(b));
  const int8x8_t lo = enet_qs8_pack8_neon(add4(vget_low_s16(al), vget_low_s16(bl), p, neg_shift),
                                          add4(vget_high_s16(al), vget_high_s16(bl), p, neg_shift), &p->out);
  const int8x8_t hi = enet_qs8_pack8_neon(add4(vget_low_s16(ah), vget_low_s16(bh), p, neg_shift),
                                          add4(vget_high_s16(ah), vget_high_s16(bh), p, neg_shift), &p->out);
  return vcombine_s8(lo, hi);
}

void enet_qs8_vadd_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_add_params* p) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) vst1q_s8(y + i, add16(vld1q_s8(a + i), vld1q_s8(b + i), p));
  if (i < n) { /* tail through a buffer: never read past n */
    int8_t ta[16] = {0}, tb[16] = {0}, ty[16];
    memcpy(ta, a + i, n - i), memcpy(tb, b + i, n - i);
    vst1q_s8(ty, add16(vld1q_s8(ta), vld1q_s8(tb), p));
    memcpy(y + i, ty, n - i);
  }
}
#endif
