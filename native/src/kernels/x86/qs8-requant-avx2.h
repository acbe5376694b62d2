/* qs8 requantization of 8 int32 accumulators, AVX2 (included by the AVX2 qs8
 * microkernels; the exact method is explained in qs8_requant.c). */
#ifndef EDGENET_QS8_REQUANT_AVX2_H
#define EDGENET_QS8_REQUANT_AVX2_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "../optimized.h"

/* Channels c..c+7 of a parameter group of g channels: returns r + zero point as int32. */
__attribute__((target("avx2"))) static inline __m256i enet_qs8_requant8_avx2(__m256i acc, const void* group, size_t g,
                                                                            size_t c) {
  const __m256i limit = _mm256_loadu_si256((const __m256i*)(enet_qs8_param32(group, g, ENET_QS8_ACC_LIMIT) + c));
  acc = _mm256_min_epi32(_mm256_max_epi32(acc, _mm256_sub_epi32(_mm256_setzero_si256(), limit)), limit);
  /* vpmuldq multiplies the low int32 of each 64-bit lane: put channel i in lane i's low
   * half and channel i + 4 in its high half, so products come out in channel order. */
  const __m256i spread = _mm256_permutevar8x32_epi32(acc, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  const int32_t* mult = enet_qs8_param32(group, g, ENET_QS8_MULTIPLIER) + c;
  const int64_t* shift = enet_qs8_param64(group, g, ENET_QS8_SHIFT) + c;
  const int64_t* rounding = enet_qs8_param64(group, g, ENET_QS8_X86_ROUNDING) + c;
  __m256i lo = _mm256_mul_epi32(spread, _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i*)mult)));
  __m256i hi = _mm256_mul_epi32(_mm256_srli_epi64(spread, 32),
                                _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i*)(mult + 4))));
  lo = _mm256_srlv_epi64(_mm256_add_epi64(lo, _mm256_loadu_si256((const __m256i*)rounding)),
                         _mm256_loadu_si256((const __m256i*)shift));
  hi = _mm256_srlv_epi64(_mm256_add_epi64(hi, _mm256_loadu_si256((const __m256i*)(rounding + 4))),
                         _mm256_loadu_si256((const __m256i*)(shift + 4)));
  /* Low halves: channels (0, 4, 1, 5, 2, 6, 3, 7) -> channel order. */
  __m256i r = _mm256_blend_epi32(lo, _mm256_slli_epi64(hi, 32), 0xAA);
  r = _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
  return _mm256_add_epi32(r, _mm256_loadu_si256((const __m256i*)(enet_qs8_param32(group, g, ENET_QS8_X86_OFFSET) + c)));
}

/* 0 when no channel of a group of g (8 or 16) needs the accumulator clamp (all acc_limit
 * INT32_MAX, i.e. every real multiplier below 1/2): the requantization may then skip it. */
__attribute__((target("avx2"))) static inline int enet_qs8_group_needs_clamp_avx2(const void* group, size_t g) {
  const int32_t* limit = enet_qs8_param32(group, g, ENET_QS8_ACC_LIMIT);
  const __m256i none = _mm256_set1_epi32(INT32_MAX);
  __m256i all = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i*)limit), none);
  if (g > 8) all = _mm256_and_si256(all, _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i*)(limit + 8)), none));
  return !_mm256_testc_si256(all, _mm256_set1_epi32(-1));
}

/* The same for lanes c..c+7 of a group of g channels stored in the kernel's register
 * order (enet_qs8_reorder_params: int32 fields lane by lane, int64 fields even lanes
 * then odd lanes), so no shuffles; the result keeps the register order. `clamp`:
 * enet_qs8_group_needs_clamp_avx2 of the group (for the lanes used). */
__attribute__((target("avx2"))) static inline __m256i enet_qs8_requant8_ordered_avx2(__m256i acc, const void* group,
                                                                                    size_t g, size_t c, int clamp) {
  if (clamp) {
    const __m256i limit = _mm256_loadu_si256((const __m256i*)(enet_qs8_param32(group, g, ENET_QS8_ACC_LIMIT) + c));
    acc = _mm256_min_epi32(_mm256_max_epi32(acc, _mm256_sub_epi32(_mm256_setzero_si256(), limit)), limit);
  }
  const __m256i mult = _mm256_loadu_si256((const __m256i*)(enet_qs8_param32(group, g, ENET_QS8_MULTIPLIER) + c));
  const __m256i* shift = (const __m256i*)(enet_qs8_param64(group, g, ENET_QS8_SHIFT) + c);
  const __m256i* rounding = (const __m256i*)(enet_qs8_param64(group, g, ENET_QS8_X86_ROUNDING) + c);
  __m256i even = _mm256_mul_epi32(acc, mult); /* vpmuldq: lanes 0, 2, 4, 6 */
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mult, 32)); /* 1, 3, 5, 7 */
  even = _mm256_srlv_epi64(_mm256_add_epi64(even, _mm256_loadu_si256(rounding)), _mm256_loadu_si256(shift));
  odd = _mm256_srlv_epi64(_mm256_add_epi64(odd, _mm256_loadu_si256(rounding + 1)), _mm256_loadu_si256(shift + 1));
  const __m256i r = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA); /* back in register order */
  return _mm256_add_epi32(r, _mm256_loadu_si256((const __m256i*)(enet_qs8_param32(group, g, ENET_QS8_X86_OFFSET) + c)));
}

/* 8 requantized int32 in the GEMM's vphaddd order H = (0, 2, 4, 6, 1, 3, 5, 7) -> 8 int8 in
 * channel order (low 8 bytes), saturated then clamped
 * to [min, max] (the output clamp in every byte):
 * vpackssdw leaves columns (0, 2, 4, 6) in the low lane and (1, 3, 5, 7) in the high one, and
 * interleaving the two restores the order. */
__attribute__((target("avx2"))) static inline __m128i enet_qs8_pack8_hadd_avx2(__m256i r, __m128i min, __m128i max) {
  const __m256i h = _mm256_packs_epi32(r, r);
  const __m128i v = _mm_unpacklo_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  const __m128i b = _mm_packs_epi16(v, v);
  return _mm_min_epi8(_mm_max_epi8(b, min), max);
}

/* 16 requantized int32 (channels 0-7 in v0, 8-15 in v1) -> 16 int8, saturated then clamped. */
__attribute__((target("avx2"))) static inline __m128i enet_qs8_pack16_avx2(__m256i v0, __m256i v1,
                                                                          const enet_s8_output* out) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8); /* undo the per-lane interleave */
  const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  return _mm_min_epi8(_mm_max_epi8(b, _mm_set1_epi8((char)out->min)), _mm_set1_epi8((char)out->max));
}

/* Stores the first n (<= 16) bytes of v. */
__attribute__((target("avx2"))) static inline void enet_qs8_store_avx2(int8_t* y, __m128i v, size_t n) {
  if (n == 16) {
    _mm_storeu_si128((__m128i*)y, v);
  } else if (n == 8) {
    _mm_storel_epi64((__m128i*)y, v);
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i*)tmp, v);
    memcpy(y, tmp, n);
  }
}

#endif
#endif /* EDGENET_QS8_REQUANT_AVX2_H */
