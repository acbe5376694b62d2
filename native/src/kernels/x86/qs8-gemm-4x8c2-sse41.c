/* qs8 GEMM tile 4 rows x 8 columns, k in pairs (c2), SSE2 pmaddwd and SSE4.1
 * requantization (the x86-64 floor; see enet_qs8_gemm_ukernel). */
#if defined(__x86_64__)
#include <smmintrin.h>

#include "qs8-requant-sse41.h"

static inline int32_t input_pair(const int8_t* a, int odd) {
  uint32_t lo = (uint16_t)(int16_t)a[0], hi = odd ? 0 : (uint16_t)(int16_t)a[1];
  return (int32_t)(lo | hi << 16);
}

__attribute__((target("sse4.1"))) void enet_qs8_gemm_4x8c2_sse41(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                                  size_t a_stride, const void* packed, int8_t* y,
                                                                  size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = packed;
  __m128i c0l = _mm_loadu_si128((const __m128i*)bias), c0h = _mm_loadu_si128((const __m128i*)(bias + 4));
  __m128i c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  const int16_t* w = (const int16_t*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(8));
  for (size_t k = 0; k < kc; k += 2, w += 16) {
    const int odd = k + 1 == kc;
    const __m128i wl = _mm_loadu_si128((const __m128i*)w), wh = _mm_loadu_si128((const __m128i*)(w + 8));
    __m128i v = _mm_set1_epi32(input_pair(a0 + k, odd));
    c0l = _mm_add_epi32(c0l, _mm_madd_epi16(v, wl)), c0h = _mm_add_epi32(c0h, _mm_madd_epi16(v, wh));
    v = _mm_set1_epi32(input_pair(a1 + k, odd));
    c1l = _mm_add_epi32(c1l, _mm_madd_epi16(v, wl)), c1h = _mm_add_epi32(c1h, _mm_madd_epi16(v, wh));
    v = _mm_set1_epi32(input_pair(a2 + k, odd));
    c2l = _mm_add_epi32(c2l, _mm_madd_epi16(v, wl)), c2h = _mm_add_epi32(c2h, _mm_madd_epi16(v, wh));
    v = _mm_set1_epi32(input_pair(a3 + k, odd));
    c3l = _mm_add_epi32(c3l, _mm_madd_epi16(v, wl)), c3h = _mm_add_epi32(c3h, _mm_madd_epi16(v, wh));
  }
  const __m128i rows[4][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}};
  for (size_t r = 0; r < mr; r++) {
    const __m128i v0 = enet_qs8_requant4_sse41(rows[r][0], packed, 8, 0);
    const __m128i v1 = enet_qs8_requant4_sse41(rows[r][1], packed, 8, 4);
    enet_qs8_store8_sse41(y + r * y_stride, enet_qs8_pack8_sse41(v0, v1, out), nc);
  }
}
#endif
