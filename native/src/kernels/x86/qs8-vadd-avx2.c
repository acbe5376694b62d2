/* qs8 elementwise add (and sub), AVX2 (see enet_qs8_vadd_ukernel): 32-bit
 * products with the 21-bit multipliers, one arithmetic shift (the sum with the
 * folded bias always fits int32, docs/QUANTIZATION.md). */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

__attribute__((target("avx2"))) static inline __m128i add16(__m128i a, __m128i b, const enet_qs8_add_params* p) {
  const __m256i ma = _mm256_set1_epi32(p->a_mult), mb = _mm256_set1_epi32(p->b_mult), bias = _mm256_set1_epi32(p->bias);
  const __m256i zp = _mm256_set1_epi32(p->out.zero_point);
  const __m128i shift = _mm_cvtsi32_si128(p->shift);
  __m256i acc0 = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_cvtepi8_epi32(a), ma), bias);
  __m256i acc1 = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(a, 8)), ma), bias);
  acc0 = _mm256_add_epi32(acc0, _mm256_mullo_epi32(_mm256_cvtepi8_epi32(b), mb));
  acc1 = _mm256_add_epi32(acc1, _mm256_mullo_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)), mb));
  const __m256i v0 = _mm256_add_epi32(_mm256_sra_epi32(acc0, shift), zp);
  const __m256i v1 = _mm256_add_epi32(_mm256_sra_epi32(acc1, shift), zp);
  return enet_qs8_pack16_avx2(v0, v1, &p->out);
}

__attribute__((target("avx2"))) void enet_qs8_vadd_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* y,
                                                         const enet_qs8_add_params* p) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(y + i),
                     add16(_mm_loadu_si128((const __m128i*)(a + i)), _mm_loadu_si128((const __m128i*)(b + i)), p));
  if (i < n) { /* tail through a buffer: never read past n */
    int8_t ta[16] = {0}, tb[16] = {0};
    memcpy(ta, a + i, n - i), memcpy(tb, b + i, n - i);
    enet_qs8_store_avx2(y + i, add16(_mm_loadu_si128((const __m128i*)ta), _mm_loadu_si128((const __m128i*)tb), p),
                        n - i);
  }
}
#endif
