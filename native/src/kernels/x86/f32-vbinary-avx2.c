/* f32 elementwise add / sub / mul with a clamp, AVX2 (see enet_f32_vbinary_ukernel).
 * 16 floats per step, then 8, then a masked tail (no access past n). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

/* Clamp with the value second so a NaN passes through unchanged, like the reference. */
#define CLAMP(v) _mm256_min_ps(hi, _mm256_max_ps(lo, v))

#define DEFINE_VBINARY(name, OP)                                                                                 \
  __attribute__((target("avx2"))) void name(size_t n, const float* a, const float* b, float* y, float min,       \
                                            float max) {                                                         \
    const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);                                             \
    size_t i = 0;                                                                                                \
    for (; i + 16 <= n; i += 16) {                                                                               \
      __m256 v0 = OP(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));                                           \
      __m256 v1 = OP(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));                                   \
      _mm256_storeu_ps(y + i, CLAMP(v0));                                                                        \
      _mm256_storeu_ps(y + i + 8, CLAMP(v1));                                                                    \
    }                                                                                                            \
    for (; i + 8 <= n; i += 8)                                                                                   \
      _mm256_storeu_ps(y + i, CLAMP(OP(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));                       \
    if (i < n) {                                                                                                 \
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)),                                   \
                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));                        \
      __m256 v = OP(_mm256_maskload_ps(a + i, mask), _mm256_maskload_ps(b + i, mask));                          \
      _mm256_maskstore_ps(y + i, mask, CLAMP(v));                                                                \
    }                                                                                                            \
  }

DEFINE_VBINARY(enet_f32_vadd_avx2, _mm256_add_ps)
DEFINE_VBINARY(enet_f32_vsub_avx2, _mm256_sub_ps)
DEFINE_VBINARY(enet_f32_vmul_avx2, _mm256_mul_ps)
#endif
