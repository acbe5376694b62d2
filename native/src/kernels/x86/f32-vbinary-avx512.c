/* float elementwise ADD / SUB / MUL with a fused clamp, AVX-512 F (see
 * enet_f32_vbinary_ukernel): the zmm twin of f32-vbinary-avx2.c, one rounding per element
 * (bit-equal to the reference), the clamp taking the constant first so a NaN passes
 * through; the tail through lane masks (nothing past n is read or written). */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "../optimized.h"

#define CLAMP(v) _mm512_min_ps(hi, _mm512_max_ps(lo, v))

#define DEFINE_VBINARY(name, OP)                                                                                  \
  ENET_TARGET_AVX512 void name(size_t n, const float* a, const float* b, float* y, float min, float max) {        \
    const __m512 lo = _mm512_set1_ps(min), hi = _mm512_set1_ps(max);                                              \
    size_t i = 0;                                                                                                 \
    for (; i + 32 <= n; i += 32) {                                                                                \
      const __m512 v0 = OP(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));                                      \
      const __m512 v1 = OP(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));                            \
      _mm512_storeu_ps(y + i, CLAMP(v0));                                                                         \
      _mm512_storeu_ps(y + i + 16, CLAMP(v1));                                                                    \
    }                                                                                                             \
    for (; i < n; i += 16) {                                                                                      \
      const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1);                               \
      const __m512 v = OP(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));                     \
      _mm512_mask_storeu_ps(y + i, m, CLAMP(v));                                                                  \
    }                                                                                                             \
  }

DEFINE_VBINARY(enet_f32_vadd_avx512, _mm512_add_ps)
DEFINE_VBINARY(enet_f32_vsub_avx512, _mm512_sub_ps)
DEFINE_VBINARY(enet_f32_vmul_avx512, _mm512_mul_ps)
#endif
