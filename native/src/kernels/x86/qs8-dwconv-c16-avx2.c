/* qs8 depthwise row, 16 channels per block, AVX2 (see enet_qs8_dwconv_ukernel).
 * Taps go in pairs: the widened inputs of taps t and t+1 are interleaved
 * (vpunpck{l,h}wd) so one vpmaddwd multiplies both with their weights and adds
 * the two exact products into an int32 lane per channel. The block's weights are
 * packed to match (qs8_dwconv.c, "tap pairs"): per pair, 8 (w[t][c], w[t+1][c])
 * for channels 0-3 and 8-11, then 8 for channels 4-7 and 12-15, the unpack
 * order; an odd last tap pairs with zero weights. Requantized in registers in
 * that lane order (qs8-requant-avx2.h, enet_qs8_reorder_params). A last partial block copies its inputs to a small
 * buffer, so no row is read past `channels`. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

#define CB 16

__attribute__((target("avx2"))) static inline void accumulate_pair(__m256i* acc_lo, __m256i* acc_hi, __m128i x0,
                                                                   __m128i x1, const int16_t* w) {
  const __m256i a = _mm256_cvtepi8_epi16(x0), b = _mm256_cvtepi8_epi16(x1);
  *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b),
                                                        _mm256_loadu_si256((const __m256i*)w)));
  *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b),
                                                        _mm256_loadu_si256((const __m256i*)(w + 16))));
}

__attribute__((target("avx2"))) void enet_qs8_dwconv_c16_avx2(size_t channels, size_t out_w, size_t taps,
                                                               const int8_t** input, const void* w, int8_t* y,
                                                               const enet_s8_output* out) {
  const size_t pairs = (taps + 1) / 2, block = ENET_QS8_PARAMS_BYTES(CB) + pairs * 2 * CB * sizeof(int16_t);
  const __m128i min = _mm_set1_epi8((char)out->min), max = _mm_set1_epi8((char)out->max);
  for (size_t p = 0; p < out_w; p++, input += taps, y += channels) {
    const uint8_t* wb = w;
    for (size_t c = 0; c < channels; c += CB, wb += block) {
      const int16_t* wt = (const int16_t*)(wb + ENET_QS8_PARAMS_BYTES(CB));
      __m256i acc_lo = _mm256_setzero_si256(), acc_hi = acc_lo; /* channels 0-3 | 8-11 and 4-7 | 12-15 */
      const size_t n = channels - c < CB ? channels - c : CB;
      if (n == CB) {
        for (size_t q = 0; q < pairs; q++) {
          const int8_t* x1 = 2 * q + 1 < taps ? input[2 * q + 1] : input[2 * q]; /* odd tap: zero weights */
          accumulate_pair(&acc_lo, &acc_hi, _mm_loadu_si128((const __m128i*)(input[2 * q] + c)),
                          _mm_loadu_si128((const __m128i*)(x1 + c)), wt + q * 2 * CB);
        }
      } else {
        int8_t t0[CB] = {0}, t1[CB] = {0};
        for (size_t q = 0; q < pairs; q++) {
          memcpy(t0, input[2 * q] + c, n);
          memcpy(t1, (2 * q + 1 < taps ? input[2 * q + 1] : input[2 * q]) + c, n);
          accumulate_pair(&acc_lo, &acc_hi, _mm_loadu_si128((const __m128i*)t0), _mm_loadu_si128((const __m128i*)t1),
                          wt + q * 2 * CB);
        }
      }
      /* The block's parameters are stored in the accumulators' lane order (dispatch.c):
       * no shuffles until packing, where vpackssdw of (lo, hi) restores channel order. */
      const int32_t* bias = enet_qs8_param32(wb, CB, ENET_QS8_BIAS);
      const int clamp = enet_qs8_group_needs_clamp_avx2(wb, CB);
      acc_lo = _mm256_add_epi32(acc_lo, _mm256_loadu_si256((const __m256i*)bias));
      acc_hi = _mm256_add_epi32(acc_hi, _mm256_loadu_si256((const __m256i*)(bias + 8)));
      const __m256i v_lo = enet_qs8_requant8_ordered_avx2(acc_lo, wb, CB, 0, clamp);
      const __m256i v_hi = enet_qs8_requant8_ordered_avx2(acc_hi, wb, CB, 8, clamp);
      const __m256i h = _mm256_packs_epi32(v_lo, v_hi); /* channels 0-7 | 8-15 as int16 */
      __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
      b = _mm_min_epi8(_mm_max_epi8(b, min), max);
      enet_qs8_store_avx2(y + c, b, n);
    }
  }
}
#endif
