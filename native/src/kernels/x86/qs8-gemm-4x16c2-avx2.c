/* qs8 GEMM tile 4 rows x 16 columns, k in pairs (c2), AVX2 (see enet_qs8_gemm_ukernel).
 * Weights are int16 pairs (w[k][j], w[k+1][j]); vpmaddwd multiplies them with the
 * broadcast input pair (a[k], a[k+1]) and adds both products into one int32 lane,
 * exactly (no int16 saturation, unlike vpmaddubsw). The accumulators are
 * requantized in registers (qs8-requant-avx2.h) and stored as int8. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "qs8-requant-avx2.h"

/* (a[0], a[1]) as two int16 in one int32; `odd` = only a[0] is valid (k tail). */
static inline int32_t input_pair(const int8_t* a, int odd) {
  uint32_t lo = (uint16_t)(int16_t)a[0], hi = odd ? 0 : (uint16_t)(int16_t)a[1];
  return (int32_t)(lo | hi << 16);
}

__attribute__((target("avx2"))) void enet_qs8_gemm_4x16c2_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                                size_t a_stride, const void* packed, int8_t* y,
                                                                size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = packed;
  __m256i c0l = _mm256_loadu_si256((const __m256i*)bias), c0h = _mm256_loadu_si256((const __m256i*)(bias + 8));
  __m256i c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  const int16_t* w = (const int16_t*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(16));
  for (size_t k = 0; k < kc; k += 2, w += 32) {
    const int odd = k + 1 == kc;
    const __m256i wl = _mm256_loadu_si256((const __m256i*)w), wh = _mm256_loadu_si256((const __m256i*)(w + 16));
    __m256i v = _mm256_set1_epi32(input_pair(a0 + k, odd));
    c0l = _mm256_add_epi32(c0l, _mm256_madd_epi16(v, wl)), c0h = _mm256_add_epi32(c0h, _mm256_madd_epi16(v, wh));
    v = _mm256_set1_epi32(input_pair(a1 + k, odd));
    c1l = _mm256_add_epi32(c1l, _mm256_madd_epi16(v, wl)), c1h = _mm256_add_epi32(c1h, _mm256_madd_epi16(v, wh));
    v = _mm256_set1_epi32(input_pair(a2 + k, odd));
    c2l = _mm256_add_epi32(c2l, _mm256_madd_epi16(v, wl)), c2h = _mm256_add_epi32(c2h, _mm256_madd_epi16(v, wh));
    v = _mm256_set1_epi32(input_pair(a3 + k, odd));
    c3l = _mm256_add_epi32(c3l, _mm256_madd_epi16(v, wl)), c3h = _mm256_add_epi32(c3h, _mm256_madd_epi16(v, wh));
  }
  const __m256i rows[4][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}};
  for (size_t r = 0; r < mr; r++) {
    const __m256i v0 = enet_qs8_requant8_avx2(rows[r][0], packed, 16, 0);
    const __m256i v1 = enet_qs8_requant8_avx2(rows[r][1], packed, 16, 8);
    enet_qs8_store_avx2(y + r * y_stride, enet_qs8_pack16_avx2(v0, v1, out), nc);
  }
}
#endif
