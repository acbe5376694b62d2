/* Three planes of 4-byte elements -> interleaved pixels, NEON (aarch64 and armv7; see
 * enet_x32_interleave3_ukernel): vst3q stores 4 pixels of three planes interleaved. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#include "../optimized.h"

void enet_x32_interleave3_neon(size_t pixels, const uint32_t* x, uint32_t* y) {
  const uint32_t* r = x;
  const uint32_t* g = r + pixels;
  const uint32_t* b = g + pixels;
  size_t i = 0;
  for (; i + 4 <= pixels; i += 4, y += 12) {
    uint32x4x3_t v = {{vld1q_u32(r + i), vld1q_u32(g + i), vld1q_u32(b + i)}};
    vst3q_u32(y, v);
  }
  for (; i < pixels; i++, y += 3) y[0] = r[i], y[1] = g[i], y[2] = b[i];
}
#endif
