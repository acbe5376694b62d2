/* qs8 depthwise row, 8 channels per block, NEON (aarch64 and armv7; see
 * enet_qs8_dwconv_ukernel). vmull_s8 gives 8 exact int16 products (|product| <=
 * 128 * 128), vaddw widens them into int32 sums over the taps; then requantized
 * in registers (qs8-requant-neon.h). A last partial block copies its inputs to
 * a small buffer, so no row is read past `channels`. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "qs8-requant-neon.h"

#define CB 8

void enet_qs8_dwconv_c8_neon(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                             int8_t* y, const enet_s8_output* out) {
  const size_t block = ENET_QS8_PARAMS_BYTES(CB) + taps * CB;
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const uint8_t* wb = w;
    for (size_t c = 0; c < channels; c += CB, wb += block) {
      const int32_t* bias = enet_qs8_param32(wb, CB, ENET_QS8_BIAS);
      const int8_t* wt = (const int8_t*)(wb + ENET_QS8_PARAMS_BYTES(CB));
      int32x4_t acc0 = vld1q_s32(bias), acc1 = vld1q_s32(bias + 4);
      const size_t n = channels - c < CB ? channels - c : CB;
      int8_t tail[CB] = {0};
      for (size_t t = 0; t < taps; t++) {
        const int8_t* x = input[t] + c;
        if (n < CB) x = memcpy(tail, x, n);
        const int16x8_t prod = vmull_s8(vld1_s8(x), vld1_s8(wt + t * CB));
        acc0 = vaddw_s16(acc0, vget_low_s16(prod));
        acc1 = vaddw_s16(acc1, vget_high_s16(prod));
      }
      const int32x4_t v0 = enet_qs8_requant4_neon(acc0, wb, CB, 0), v1 = enet_qs8_requant4_neon(acc1, wb, CB, 4);
      enet_qs8_store8_neon(y + c, enet_qs8_pack8_neon(v0, v1, out), n);
    }
  }
}
#endif
