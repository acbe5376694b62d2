/* Three planes of 4-byte elements -> interleaved pixels, AVX2 (see enet_x32_interleave3_ukernel):
 * per 8 pixels, one lane permute per plane puts each value in its slot of the three output
 * vectors at once (slot 3 i + c of 24), and two blends per output vector pick the plane of each
 * slot. Permutes and blends move bits unchanged (NaN payloads, int32 values). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

__attribute__((target("avx2"))) void enet_x32_interleave3_avx2(size_t pixels, const uint32_t* x, uint32_t* y) {
  const float* r = (const float*)x;
  const float* g = r + pixels;
  const float* b = g + pixels;
  float* out = (float*)y;
  /* r'[s] = the r value bound for slot s (mod 8) of its output vector; likewise g', b'. */
  const __m256i to_r = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5);
  const __m256i to_g = _mm256_setr_epi32(5, 0, 3, 6, 1, 4, 7, 2);
  const __m256i to_b = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
  size_t i = 0;
  for (; i + 8 <= pixels; i += 8, out += 24) {
    const __m256 rv = _mm256_permutevar8x32_ps(_mm256_loadu_ps(r + i), to_r);
    const __m256 gv = _mm256_permutevar8x32_ps(_mm256_loadu_ps(g + i), to_g);
    const __m256 bv = _mm256_permutevar8x32_ps(_mm256_loadu_ps(b + i), to_b);
    /* Slots s with (8 k + s) % 3 == 0, 1, 2 for output vector k: masks 0x49, 0x92, 0x24 rotate. */
    _mm256_storeu_ps(out, _mm256_blend_ps(_mm256_blend_ps(rv, gv, 0x92), bv, 0x24));
    _mm256_storeu_ps(out + 8, _mm256_blend_ps(_mm256_blend_ps(rv, gv, 0x24), bv, 0x49));
    _mm256_storeu_ps(out + 16, _mm256_blend_ps(_mm256_blend_ps(rv, gv, 0x49), bv, 0x92));
  }
  uint32_t* tail = y + 3 * i;
  for (; i < pixels; i++, tail += 3) tail[0] = x[i], tail[1] = x[pixels + i], tail[2] = x[2 * pixels + i];
}
#endif
