/* qs8 elementwise multiply, AVX2 (see enet_qs8_vmul_ukernel): (a - a_zp) * (b - b_zp)
 * in int32, then the shared 64-bit requantization (qs8-requant-avx2.h). */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

__attribute__((target("avx2"))) static inline __m128i mul16(__m128i a, __m128i b, const enet_qs8_mul_params* p) {
  const __m256i az = _mm256_set1_epi32(p->a_zp), bz = _mm256_set1_epi32(p->b_zp);
  const __m256i acc0 = _mm256_mullo_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(a), az),
                                          _mm256_sub_epi32(_mm256_cvtepi8_epi32(b), bz));
  const __m256i acc1 = _mm256_mullo_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(a, 8)), az),
                                          _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)), bz));
  return enet_qs8_pack16_avx2(enet_qs8_requant8_avx2(acc0, p->group, 8, 0),
                              enet_qs8_requant8_avx2(acc1, p->group, 8, 0), &p->out);
}

__attribute__((target("avx2"))) void enet_qs8_vmul_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* y,
                                                         const enet_qs8_mul_params* p) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(y + i),
                     mul16(_mm_loadu_si128((const __m128i*)(a + i)), _mm_loadu_si128((const __m128i*)(b + i)), p));
  if (i < n) { /* tail through a buffer: never read past n */
    int8_t ta[16] = {0}, tb[16] = {0};
    memcpy(ta, a + i, n - i), memcpy(tb, b + i, n - i);
    enet_qs8_store_avx2(y + i, mul16(_mm_loadu_si128((const __m128i*)ta), _mm_loadu_si128((const __m128i*)tb), p),
                        n - i);
  }
}
#endif
