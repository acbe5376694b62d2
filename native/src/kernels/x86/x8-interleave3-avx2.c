/* Three planes of bytes -> interleaved pixels (see enet_x8_interleave3_ukernel), with 128-bit
 * byte shuffles (compiled for the AVX2 family): per 16 pixels, each of the three output vectors
 * ORs one pshufb of each plane, whose index puts plane c's pixel j in byte 3 j + c (mod 16) and
 * zeros (index bit 7) elsewhere. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

/* from[v][c][s]: the pixel of plane c in byte s of output vector v, or -1 (a zero). */
static const int8_t from[3][3][16] = {
    {{0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1, 5},
     {-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1},
     {-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1}},
    {{-1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10, -1},
     {5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10},
     {-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1}},
    {{-1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1, -1},
     {-1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1},
     {10, -1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15}}};

__attribute__((target("avx2"))) void enet_x8_interleave3_avx2(size_t pixels, const uint8_t* x, uint8_t* y) {
  const uint8_t* r = x;
  const uint8_t* g = r + pixels;
  const uint8_t* b = g + pixels;
  __m128i index[3][3];
  for (int v = 0; v < 3; v++)
    for (int c = 0; c < 3; c++) index[v][c] = _mm_loadu_si128((const __m128i*)from[v][c]);
  size_t i = 0;
  uint8_t* out = y;
  for (; i + 16 <= pixels; i += 16, out += 48) {
    const __m128i rv = _mm_loadu_si128((const __m128i*)(r + i));
    const __m128i gv = _mm_loadu_si128((const __m128i*)(g + i));
    const __m128i bv = _mm_loadu_si128((const __m128i*)(b + i));
    for (int v = 0; v < 3; v++) {
      const __m128i o = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(rv, index[v][0]), _mm_shuffle_epi8(gv, index[v][1])),
                                     _mm_shuffle_epi8(bv, index[v][2]));
      _mm_storeu_si128((__m128i*)(out + 16 * v), o);
    }
  }
  for (; i < pixels; i++, out += 3) out[0] = r[i], out[1] = g[i], out[2] = b[i];
}
#endif
