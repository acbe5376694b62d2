/* int8 running maximum y[i] = max(y[i], x[i]), AVX2 vpmaxsb (see enet_qs8_vmax_ukernel). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

__attribute__((target("avx2"))) void enet_qs8_vmax_avx2(size_t n, const int8_t* x, int8_t* y) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256((__m256i*)(y + i), _mm256_max_epi8(_mm256_loadu_si256((const __m256i*)(x + i)),
                                                           _mm256_loadu_si256((const __m256i*)(y + i))));
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(y + i),
                     _mm_max_epi8(_mm_loadu_si128((const __m128i*)(x + i)), _mm_loadu_si128((const __m128i*)(y + i))));
  for (; i < n; i++) y[i] = x[i] > y[i] ? x[i] : y[i];
}
#endif
