/* Three planes of bytes -> interleaved pixels, NEON (aarch64 and armv7; see
 * enet_x8_interleave3_ukernel): vst3q stores 16 pixels of three planes interleaved. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#include "../optimized.h"

void enet_x8_interleave3_neon(size_t pixels, const uint8_t* x, uint8_t* y) {
  const uint8_t* r = x;
  const uint8_t* g = r + pixels;
  const uint8_t* b = g + pixels;
  size_t i = 0;
  for (; i + 16 <= pixels; i += 16, y += 48) {
    uint8x16x3_t v = {{vld1q_u8(r + i), vld1q_u8(g + i), vld1q_u8(b + i)}};
    vst3q_u8(y, v);
  }
  for (; i < pixels; i++, y += 3) y[0] = r[i], y[1] = g[i], y[2] = b[i];
}
#endif
