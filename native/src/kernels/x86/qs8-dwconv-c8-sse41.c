/* qs8 depthwise row, 8 channels per block, SSE4.1 (see enet_qs8_dwconv_ukernel
 * and qs8-dwconv-c16-avx2.c): int16 products (exact), widened and summed in
 * int32, requantized in registers (qs8-requant-sse41.h). */
#if defined(__x86_64__)
#include <smmintrin.h>
#include <string.h>

#include "qs8-requant-sse41.h"

#define CB 8

__attribute__((target("sse4.1"))) static inline void accumulate(__m128i* acc0, __m128i* acc1, __m128i x,
                                                                const int16_t* w) {
  const __m128i prod = _mm_mullo_epi16(_mm_cvtepi8_epi16(x), _mm_loadu_si128((const __m128i*)w));
  *acc0 = _mm_add_epi32(*acc0, _mm_cvtepi16_epi32(prod));
  *acc1 = _mm_add_epi32(*acc1, _mm_cvtepi16_epi32(_mm_srli_si128(prod, 8)));
}

__attribute__((target("sse4.1"))) void enet_qs8_dwconv_c8_sse41(size_t channels, size_t out_w, size_t taps,
                                                                 const int8_t** input, const void* w, int8_t* y,
                                                                 const enet_s8_output* out) {
  const size_t block = ENET_QS8_PARAMS_BYTES(CB) + taps * CB * sizeof(int16_t);
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const uint8_t* wb = w;
    for (size_t c = 0; c < channels; c += CB, wb += block) {
      const int32_t* bias = enet_qs8_param32(wb, CB, ENET_QS8_BIAS);
      const int16_t* wt = (const int16_t*)(wb + ENET_QS8_PARAMS_BYTES(CB));
      __m128i acc0 = _mm_loadu_si128((const __m128i*)bias), acc1 = _mm_loadu_si128((const __m128i*)(bias + 4));
      const size_t n = channels - c < CB ? channels - c : CB;
      if (n == CB) {
        for (size_t t = 0; t < taps; t++)
          accumulate(&acc0, &acc1, _mm_loadl_epi64((const __m128i*)(input[t] + c)), wt + t * CB);
      } else {
        int8_t tail[CB] = {0};
        for (size_t t = 0; t < taps; t++) {
          memcpy(tail, input[t] + c, n);
          accumulate(&acc0, &acc1, _mm_loadl_epi64((const __m128i*)tail), wt + t * CB);
        }
      }
      const __m128i v0 = enet_qs8_requant4_sse41(acc0, wb, CB, 0), v1 = enet_qs8_requant4_sse41(acc1, wb, CB, 4);
      enet_qs8_store8_sse41(y + c, enet_qs8_pack8_sse41(v0, v1, out), n);
    }
  }
}
#endif
