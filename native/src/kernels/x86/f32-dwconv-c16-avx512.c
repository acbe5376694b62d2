/* f32 depthwise row, 16 channels per vector, AVX-512 F (see enet_f32_dwconv_ukernel): the zmm
 * twin of f32-dwconv-c8-avx2.c. Two channel blocks per step keep two independent FMA chains
 * in flight; the last partial block uses masked loads and stores (no read past `channels`). */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"

/* The row loop, inlined twice: with taps = 9 (3x3, nearly every depthwise layer) as a
 * constant, so the tap loops unroll and a channel block's 9 weight vectors stay in registers
 * while it walks the row's pixels (half the loads of reloading them per pixel), and once for
 * any taps. Channel blocks are the outer loop for that reason. */
ENET_TARGET_AVX512 __attribute__((always_inline)) static inline void dwconv_rows(size_t channels, size_t out_w,
                                                                                 size_t taps, const float** input,
                                                                                 const float* w, float* y,
                                                                                 float min, float max) {
  const __m512 lo = _mm512_set1_ps(min), hi = _mm512_set1_ps(max);
  const size_t block = 16 + taps * 16; /* floats per packed channel block */
  const float* wb = w;
  size_t c = 0;
  for (; c + 32 <= channels; c += 32, wb += 2 * block) {
    const float* wb2 = wb + block;
    const __m512 bias0 = _mm512_loadu_ps(wb), bias1 = _mm512_loadu_ps(wb2);
    /* Local copies: the stores to y could alias the packed weights as far as the compiler
     * knows, so it would reload them after every pixel. (Used when taps is the constant 9.) */
    __m512 w0[9], w1[9];
    if (taps <= 9)
      for (size_t t = 0; t < taps; t++) w0[t] = _mm512_loadu_ps(wb + 16 + t * 16), w1[t] = _mm512_loadu_ps(wb2 + 16 + t * 16);
    const float** in = input;
    for (size_t p = 0; p < out_w; p++, in += taps) {
      __m512 acc0 = bias0, acc1 = bias1;
      for (size_t t = 0; t < taps; t++) {
        const __m512 k0 = taps <= 9 ? w0[t] : _mm512_loadu_ps(wb + 16 + t * 16);
        const __m512 k1 = taps <= 9 ? w1[t] : _mm512_loadu_ps(wb2 + 16 + t * 16);
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(in[t] + c), k0, acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(in[t] + c + 16), k1, acc1);
      }
      /* Clamp with the accumulator second so a NaN passes through unchanged. */
      _mm512_storeu_ps(y + p * channels + c, _mm512_min_ps(hi, _mm512_max_ps(lo, acc0)));
      _mm512_storeu_ps(y + p * channels + c + 16, _mm512_min_ps(hi, _mm512_max_ps(lo, acc1)));
    }
  }
  for (; c < channels; c += 16, wb += block) {
    const size_t n = channels - c < 16 ? channels - c : 16;
    const __mmask16 mask = (__mmask16)(n == 16 ? 0xFFFFu : (1u << n) - 1);
    const __m512 bias = _mm512_loadu_ps(wb);
    __m512 w0[9];
    if (taps <= 9)
      for (size_t t = 0; t < taps; t++) w0[t] = _mm512_loadu_ps(wb + 16 + t * 16);
    const float** in = input;
    for (size_t p = 0; p < out_w; p++, in += taps) {
      __m512 acc = bias;
      for (size_t t = 0; t < taps; t++)
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, in[t] + c), taps <= 9 ? w0[t] : _mm512_loadu_ps(wb + 16 + t * 16),
                              acc);
      _mm512_mask_storeu_ps(y + p * channels + c, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, acc)));
    }
  }
}

ENET_TARGET_AVX512 void enet_f32_dwconv_c16_avx512(size_t channels, size_t out_w, size_t taps, const float** input,
                                                   const float* w, float* y, float min, float max) {
  if (taps == 9)
    dwconv_rows(channels, out_w, 9, input, w, y, min, max);
  else
    dwconv_rows(channels, out_w, taps, input, w, y, min, max);
}
#endif
