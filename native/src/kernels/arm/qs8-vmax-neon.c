/* int8 running maximum y[i] = max(y[i], x[i]), NEON vmaxq_s8 (aarch64 and armv7; see enet_qs8_vmax_ukernel). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#include "../optimized.h"

void enet_qs8_vmax_neon(size_t n, const int8_t* x, int8_t* y) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) vst1q_s8(y + i, vmaxq_s8(vld1q_s8(x + i), vld1q_s8(y + i)));
  for (; i < n; i++) y[i] = x[i] > y[i] ? x[i] : y[i];
}
#endif
