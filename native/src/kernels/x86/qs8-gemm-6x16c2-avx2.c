/* qs8 GEMM tile 6 rows x 16 columns, k in pairs (c2), AVX2 (see
 * enet_qs8_gemm_ukernel). Unlike the c8 kernel, the rows of A arrive already
 * widened to int16 (qs8_conv_gemm.c packs them, enet_qs8_kernels.a_bytes = 2,
 * rows padded to an even length with zeros), so the inner loop has no sign
 * extension: per pair of k, one vpbroadcastd of a row's (a[k], a[k+1]) and one
 * vpmaddwd against each of the two weight vectors, which hold (w[k][j],
 * w[k+1][j]) for columns 0-7 and 8-15. Each int32 lane is one column's exact sum,
 * so there is no horizontal reduction: the accumulators start at the bias and
 * are requantized in place (qs8-requant-avx2.h). This pays off when K is small
 * or N is a multiple of 16 (high-resolution layers with few channels), where the
 * c8 kernel's per-tile reductions and per-k widening dominate.
 * 12 accumulators + 2 weight vectors + 1 broadcast = 15 of the 16 ymm registers. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

/* (a[0], a[1]) as one int32, broadcast to every lane. */
__attribute__((target("avx2"))) static inline __m256i broadcast_pair(const int16_t* a) {
  int32_t pair;
  memcpy(&pair, a, sizeof pair);
  return _mm256_set1_epi32(pair);
}

/* One row's 16 sums (columns 0-7, 8-15) -> requantized int8 in y[0..nc). */
__attribute__((target("avx2"))) static inline void store_row(int8_t* y, size_t nc, __m256i lo, __m256i hi,
                                                             const void* packed, int clamp,
                                                             const enet_s8_output* out) {
  const __m256i r_lo = enet_qs8_requant8_ordered_avx2(lo, packed, 16, 0, clamp);
  const __m256i r_hi = enet_qs8_requant8_ordered_avx2(hi, packed, 16, 8, clamp);
  enet_qs8_store_avx2(y, enet_qs8_pack16_avx2(r_lo, r_hi, out), nc);
}

__attribute__((target("avx2"))) void enet_qs8_gemm_6x16c2_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                                size_t a_stride, const void* packed, int8_t* y,
                                                                size_t y_stride, const enet_s8_output* out) {
  /* A is int16 here: a_stride and kc count int16 elements, kc is even. */
  const int16_t* a0 = (const int16_t*)a;
  const int16_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int16_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int16_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int16_t* a4 = mr > 4 ? a3 + a_stride : a3;
  const int16_t* a5 = mr > 5 ? a4 + a_stride : a4;
  /* The panel's parameters keep channel order (the identity order in dispatch.c only
   * splits the int64 fields into even and odd lanes for vpmuldq). */
  const int32_t* bias = enet_qs8_param32(packed, 16, ENET_QS8_BIAS);
  __m256i c0lo = _mm256_loadu_si256((const __m256i*)bias), c0hi = _mm256_loadu_si256((const __m256i*)(bias + 8));
  __m256i c1lo = c0lo, c1hi = c0hi, c2lo = c0lo, c2hi = c0hi;
  __m256i c3lo = c0lo, c3hi = c0hi, c4lo = c0lo, c4hi = c0hi, c5lo = c0lo, c5hi = c0hi;
  const __m256i* w = (const __m256i*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(16));
#define MADD(acc, x, wv) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, wv))
  for (size_t k = 0; k < kc; k += 2, w += 2) {
    ENET_PREFETCH_WEIGHTS(w);
    const __m256i wlo = _mm256_loadu_si256(w), whi = _mm256_loadu_si256(w + 1);
    __m256i x = broadcast_pair(a0 + k);
    MADD(c0lo, x, wlo), MADD(c0hi, x, whi);
    x = broadcast_pair(a1 + k);
    MADD(c1lo, x, wlo), MADD(c1hi, x, whi);
    x = broadcast_pair(a2 + k);
    MADD(c2lo, x, wlo), MADD(c2hi, x, whi);
    x = broadcast_pair(a3 + k);
    MADD(c3lo, x, wlo), MADD(c3hi, x, whi);
    x = broadcast_pair(a4 + k);
    MADD(c4lo, x, wlo), MADD(c4hi, x, whi);
    x = broadcast_pair(a5 + k);
    MADD(c5lo, x, wlo), MADD(c5hi, x, whi);
  }
#undef MADD
  const int clamp = enet_qs8_group_needs_clamp_avx2(packed, 16);
  store_row(y, nc, c0lo, c0hi, packed, clamp, out);
  if (mr > 1) store_row(y + y_stride, nc, c1lo, c1hi, packed, clamp, out);
  if (mr > 2) store_row(y + 2 * y_stride, nc, c2lo, c2hi, packed, clamp, out);
  if (mr > 3) store_row(y + 3 * y_stride, nc, c3lo, c3hi, packed, clamp, out);
  if (mr > 4) store_row(y + 4 * y_stride, nc, c4lo, c4hi, packed, clamp, out);
  if (mr > 5) store_row(y + 5 * y_stride, nc, c5lo, c5hi, packed, clamp, out);
}
#endif
