/* qs8 requantization of 4 int32 accumulators, SSE4.1 (included by the SSE4.1
 * qs8 microkernels; the exact method is explained in qs8_requant.c). */
#ifndef EDGENET_QS8_REQUANT_SSE41_H
#define EDGENET_QS8_REQUANT_SSE41_H
#if defined(__x86_64__)
#include <smmintrin.h>
#include <string.h>

#include "../optimized.h"

/* Channels c..c+3 of a parameter group of g channels: returns r + zero point as int32. */
__attribute__((target("sse4.1"))) static inline __m128i enet_qs8_requant4_sse41(__m128i acc, const void* group,
                                                                               size_t g, size_t c) {
  const __m128i limit = _mm_loadu_si128((const __m128i*)(enet_qs8_param32(group, g, ENET_QS8_ACC_LIMIT) + c));
  acc = _mm_min_epi32(_mm_max_epi32(acc, _mm_sub_epi32(_mm_setzero_si128(), limit)), limit);
  const __m128i mult = _mm_loadu_si128((const __m128i*)(enet_qs8_param32(group, g, ENET_QS8_MULTIPLIER) + c));
  const int64_t* shift = enet_qs8_param64(group, g, ENET_QS8_SHIFT) + c;
  const int64_t* rounding = enet_qs8_param64(group, g, ENET_QS8_X86_ROUNDING) + c;
  /* pmuldq: channels 0 and 2 from the low halves, 1 and 3 after shifting them down. */
  const __m128i r01 = _mm_loadu_si128((const __m128i*)rounding), r23 = _mm_loadu_si128((const __m128i*)(rounding + 2));
  __m128i even = _mm_add_epi64(_mm_mul_epi32(acc, mult), _mm_unpacklo_epi64(r01, r23));
  __m128i odd = _mm_add_epi64(_mm_mul_epi32(_mm_srli_epi64(acc, 32), _mm_srli_epi64(mult, 32)),
                              _mm_unpackhi_epi64(r01, r23));
  /* SSE shifts both 64-bit lanes by one count: shift each lane by its own and blend. */
  even = _mm_blend_epi16(_mm_srl_epi64(even, _mm_loadl_epi64((const __m128i*)shift)),
                         _mm_srl_epi64(even, _mm_loadl_epi64((const __m128i*)(shift + 2))), 0xF0);
  odd = _mm_blend_epi16(_mm_srl_epi64(odd, _mm_loadl_epi64((const __m128i*)(shift + 1))),
                        _mm_srl_epi64(odd, _mm_loadl_epi64((const __m128i*)(shift + 3))), 0xF0);
  const __m128i r = _mm_blend_epi16(even, _mm_slli_epi64(odd, 32), 0xCC);
  return _mm_add_epi32(r, _mm_loadu_si128((const __m128i*)(enet_qs8_param32(group, g, ENET_QS8_X86_OFFSET) + c)));
}

/* 8 requantized int32 (channels 0-3 in v0, 4-7 in v1) -> 8 int8 in the low half, saturated then clamped. */
__attribute__((target("sse4.1"))) static inline __m128i enet_qs8_pack8_sse41(__m128i v0, __m128i v1,
                                                                            const enet_s8_output* out) {
  const __m128i h = _mm_packs_epi32(v0, v1);
  const __m128i b = _mm_packs_epi16(h, h);
  return _mm_min_epi8(_mm_max_epi8(b, _mm_set1_epi8((char)out->min)), _mm_set1_epi8((char)out->max));
}

/* Stores the first n (<= 8) bytes of v. */
__attribute__((target("sse4.1"))) static inline void enet_qs8_store8_sse41(int8_t* y, __m128i v, size_t n) {
  if (n == 8) {
    _mm_storel_epi64((__m128i*)y, v);
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i*)tmp, v);
    memcpy(y, tmp, n);
  }
}

#endif
#endif /* EDGENET_QS8_REQUANT_SSE41_H */
