/* int8 table lookup y[i] = table[x[i] + 128], aarch64 NEON (see enet_qs8_lut_ukernel):
 * four 64-byte tbl/tbx lookups cover the 256 entries (tbx keeps the result for
 * an index past its 64 bytes). vqtbl4q is A64-only: armv7 keeps the reference. */
#if defined(__aarch64__)
#include <arm_neon.h>

#include "../optimized.h"

void enet_qs8_lut_neon(size_t n, const int8_t* x, int8_t* y, const int8_t* table, const uint8_t probe[16][16]) {
  (void)probe;
  const uint8_t* t = (const uint8_t*)table;
  const uint8x16x4_t t0 = vld1q_u8_x4(t), t1 = vld1q_u8_x4(t + 64), t2 = vld1q_u8_x4(t + 128),
                     t3 = vld1q_u8_x4(t + 192);
  const uint8x16_t sixty_four = vdupq_n_u8(64), bias = vdupq_n_u8(0x80);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint8x16_t idx = veorq_u8(vreinterpretq_u8_s8(vld1q_s8(x + i)), bias); /* x + 128 */
    uint8x16_t v = vqtbl4q_u8(t0, idx);
    idx = vsubq_u8(idx, sixty_four);
    v = vqtbx4q_u8(v, t1, idx);
    idx = vsubq_u8(idx, sixty_four);
    v = vqtbx4q_u8(v, t2, idx);
    idx = vsubq_u8(idx, sixty_four);
    v = vqtbx4q_u8(v, t3, idx);
    vst1q_s8(y + i, vreinterpretq_s8_u8(v));
  }
  for (; i < n; i++) y[i] = table[x[i] + 128];
}
#endif
