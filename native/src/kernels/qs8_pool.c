/*
 * qs8_pool.c — int8 global average pooling: MEAN over the middle dims of
 * (outer, rows, channels) and AVG_POOL_2D whose window is the whole unpadded
 * image (the head of MobileNet-class models).
 *
 *   y[o][c] = clamp(requantize(sum_r (x[o][r][c] - x_zp)) + zero_point)
 *
 * The sums run over contiguous channel rows in plain C loops that compilers
 * vectorize for the target (int8 -> int32 widening adds), in blocks of
 * channels held on the stack (no allocation while running). The int32 sums are
 * the reference's exactly (prepare bounds rows * 255 below 2^31), and the
 * requantization is the shared enet_requantize: bit-exact.
 */
#include "optimized.h"

#define BLOCK 256 /* channels summed at once */

void enet_qs8_global_mean(size_t outer, size_t rows, size_t channels, const int8_t* x, int32_t x_zp,
                          enet_requant requant, const enet_s8_output* out, int8_t* y) {
  int32_t acc[BLOCK];
  const int32_t start = -(int32_t)rows * x_zp; /* the zero point of every row, subtracted once */
  for (size_t o = 0; o < outer; o++)
    for (size_t c0 = 0; c0 < channels; c0 += BLOCK) {
      const size_t n = channels - c0 < BLOCK ? channels - c0 : BLOCK;
      for (size_t c = 0; c < n; c++) acc[c] = start;
      for (size_t r = 0; r < rows; r++) {
        const int8_t* row = x + (o * rows + r) * channels + c0;
        for (size_t c = 0; c < n; c++) acc[c] += row[c];
      }
      int8_t* dst = y + o * channels + c0;
      for (size_t c = 0; c < n; c++) dst[c] = enet_clamp_s8(enet_requantize(acc[c], requant), out);
    }
}
