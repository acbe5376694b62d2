/* qs8 requantization of 16 int32 accumulators on zmm, AVX-512 F/BW/VL (the twin of
 * qs8-requant-avx2.h, included by the AVX-512 qs8 microkernels; the exact method is
 * explained in qs8_requant.c). The parameter group is in the kernel's register order
 * (enet_qs8_reorder_params: int32 fields lane by lane, int64 fields per 8 lanes the even
 * lanes then the odd ones); a kernel loads 16 lanes of it once (enet_qs8_requant16_load)
 * and requantizes every row or pixel with them. */
#ifndef EDGENET_QS8_REQUANT_AVX512_H
#define EDGENET_QS8_REQUANT_AVX512_H
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"

typedef struct enet_qs8_requant16_params {
  __m512i limit, neg_limit;      /* |acc| clamp */
  __m512i mult;                  /* multiplier of lane i in lane i */
  __m512i even_shift, odd_shift; /* int64: lanes 0, 2, .., 14 and 1, 3, .., 15 */
  __m512i even_rounding, odd_rounding;
  __m512i offset; /* out zero point - 2^(62 - shift) */
  int clamp;      /* some lane's limit is below INT32_MAX (shift < 32); most conv layers have none */
} enet_qs8_requant16_params;

/* Lanes c..c+15 (c a multiple of 8) of a parameter group of g lanes in register order. */
ENET_TARGET_AVX512 static inline void enet_qs8_requant16_load(enet_qs8_requant16_params* r, const void* group,
                                                              size_t g, size_t c) {
  r->limit = _mm512_loadu_si512((const void*)(enet_qs8_param32(group, g, ENET_QS8_ACC_LIMIT) + c));
  r->neg_limit = _mm512_sub_epi32(_mm512_setzero_si512(), r->limit);
  r->clamp = _mm512_cmpeq_epi32_mask(r->limit, _mm512_set1_epi32(INT32_MAX)) != 0xFFFF;
  r->mult = _mm512_loadu_si512((const void*)(enet_qs8_param32(group, g, ENET_QS8_MULTIPLIER) + c));
  r->offset = _mm512_loadu_si512((const void*)(enet_qs8_param32(group, g, ENET_QS8_X86_OFFSET) + c));
  /* Each 8 int64 hold lanes (0, 2, 4, 6, 1, 3, 5, 7) of their 8: gather the even and odd halves. */
  const int64_t* shift = enet_qs8_param64(group, g, ENET_QS8_SHIFT) + c;
  const int64_t* rounding = enet_qs8_param64(group, g, ENET_QS8_X86_ROUNDING) + c;
  const __m512i even = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11), odd = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  const __m512i s0 = _mm512_loadu_si512((const void*)shift), s1 = _mm512_loadu_si512((const void*)(shift + 8));
  const __m512i r0 = _mm512_loadu_si512((const void*)rounding), r1 = _mm512_loadu_si512((const void*)(rounding + 8));
  r->even_shift = _mm512_permutex2var_epi64(s0, even, s1), r->odd_shift = _mm512_permutex2var_epi64(s0, odd, s1);
  r->even_rounding = _mm512_permutex2var_epi64(r0, even, r1), r->odd_rounding = _mm512_permutex2var_epi64(r0, odd, r1);
}

/* 16 accumulators -> requantized int32 + out zero point, same lane order. */
ENET_TARGET_AVX512 static inline __m512i enet_qs8_requant16_epi32(const enet_qs8_requant16_params* r, __m512i acc) {
  if (r->clamp) acc = _mm512_min_epi32(_mm512_max_epi32(acc, r->neg_limit), r->limit);
  __m512i even = _mm512_mul_epi32(acc, r->mult); /* vpmuldq: lanes 0, 2, .., 14 */
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(r->mult, 32));
  even = _mm512_srlv_epi64(_mm512_add_epi64(even, r->even_rounding), r->even_shift);
  odd = _mm512_srlv_epi64(_mm512_add_epi64(odd, r->odd_rounding), r->odd_shift);
  /* The odd results' low halves into the odd lanes (x86-intrinsics.h). */
  return _mm512_add_epi32(ENET_MERGE_ODD_LOW_HALVES512(even, odd), r->offset);
}

/* 16 accumulators in channel order -> 16 int8 (saturated, then clamped to [min, max]). */
ENET_TARGET_AVX512 static inline __m128i enet_qs8_requant16(const enet_qs8_requant16_params* r, __m512i acc,
                                                            __m128i min, __m128i max) {
  const __m128i b = _mm512_cvtsepi32_epi8(enet_qs8_requant16_epi32(r, acc)); /* vpmovsdb: saturating */
  return _mm_min_epi8(_mm_max_epi8(b, min), max);
}

/* Stores the first n (<= 16) bytes of v. */
ENET_TARGET_AVX512 static inline void enet_qs8_store16_avx512(int8_t* y, __m128i v, size_t n) {
  if (n == 16) /* a plain store where it can: masked ones are slow on some CPUs (AMD Zen 4) */
    _mm_storeu_si128((__m128i*)y, v);
  else
    _mm_mask_storeu_epi8(y, (__mmask16)((1u << n) - 1), v);
}

#endif
#endif /* EDGENET_QS8_REQUANT_AVX512_H */
