/* qs8 elementwise multiply, NEON (aarch64 and armv7; see enet_qs8_vmul_ukernel):
 * (a - a_zp) * (b - b_zp) exactly with vmull_s16, then the shared 64-bit
 * requantization (qs8-requant-neon.h). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "qs8-requant-neon.h"

static inline int8x8_t mul8(int8x8_t a, int8x8_t b, const enet_qs8_mul_params* p) {
  const int16x8_t da = vsubq_s16(vmovl_s8(a), vdupq_n_s16((int16_t)p->a_zp)); /* in [-255, 255] */
  const int16x8_t db = vsubq_s16(vmovl_s8(b), vdupq_n_s16((int16_t)p->b_zp));
  const int32x4_t lo = vmull_s16(vget_low_s16(da), vget_low_s16(db));
  const int32x4_t hi = vmull_s16(vget_high_s16(da), vget_high_s16(db));
  return enet_qs8_pack8_neon(enet_qs8_requant4_neon(lo, p->group, 8, 0), enet_qs8_requant4_neon(hi, p->group, 8, 4),
                             &p->out);
}

void enet_qs8_vmul_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_mul_params* p) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) vst1_s8(y + i, mul8(vld1_s8(a + i), vld1_s8(b + i), p));
  if (i < n) { /* tail through a buffer: never read past n */
    int8_t ta[8] = {0}, tb[8] = {0};
    memcpy(ta, a + i, n - i), memcpy(tb, b + i, n - i);
    enet_qs8_store8_neon(y + i, mul8(vld1_s8(ta), vld1_s8(tb), p), n - i);
  }
}
#endif
