/* qs8 depthwise row, 16 channels per block, AVX2 (see enet_qs8_dwconv_ukernel).
 * Raw int8 inputs times int8 weights fit int16 exactly (|product| <= 128 * 128),
 * so one vpmullw gives 16 products, widened to int32 and summed over the taps;
 * then requantized in registers (qs8-requant-avx2.h). A last partial block
 * copies its inputs to a small buffer, so no row is read past `channels`. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

#define CB 16

__attribute__((target("avx2"))) static inline void accumulate(__m256i* acc0, __m256i* acc1, __m128i x,
                                                              const int16_t* w) {
  const __m256i prod = _mm256_mullo_epi16(_mm256_cvtepi8_epi16(x), _mm256_loadu_si256((const __m256i*)w));
  *acc0 = _mm256_add_epi32(*acc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)));
  *acc1 = _mm256_add_epi32(*acc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
}

__attribute__((target("avx2"))) void enet_qs8_dwconv_c16_avx2(size_t channels, size_t out_w, size_t taps,
                                                               const int8_t** input, const void* w, int8_t* y,
                                                               const enet_s8_output* out) {
  const size_t block = ENET_QS8_PARAMS_BYTES(CB) + taps * CB * sizeof(int16_t);
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const uint8_t* wb = w;
    for (size_t c = 0; c < channels; c += CB, wb += block) {
      const int32_t* bias = enet_qs8_param32(wb, CB, ENET_QS8_BIAS);
      const int16_t* wt = (const int16_t*)(wb + ENET_QS8_PARAMS_BYTES(CB));
      __m256i acc0 = _mm256_loadu_si256((const __m256i*)bias), acc1 = _mm256_loadu_si256((const __m256i*)(bias + 8));
      const size_t n = channels - c < CB ? channels - c : CB;
      if (n == CB) {
        for (size_t t = 0; t < taps; t++)
          accumulate(&acc0, &acc1, _mm_loadu_si128((const __m128i*)(input[t] + c)), wt + t * CB);
      } else {
        int8_t tail[CB] = {0};
        for (size_t t = 0; t < taps; t++) {
          memcpy(tail, input[t] + c, n);
          accumulate(&acc0, &acc1, _mm_loadu_si128((const __m128i*)tail), wt + t * CB);
        }
      }
      const __m256i v0 = enet_qs8_requant8_avx2(acc0, wb, CB, 0), v1 = enet_qs8_requant8_avx2(acc1, wb, CB, 8);
      enet_qs8_store_avx2(y + c, enet_qs8_pack16_avx2(v0, v1, out), n);
    }
  }
}
#endif
