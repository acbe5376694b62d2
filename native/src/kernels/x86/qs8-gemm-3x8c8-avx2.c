/* qs8 GEMM tile 3 rows x 8 columns, k in blocks of 8 (c8), AVX2 (see
 * enet_qs8_gemm_ukernel). A column's 8 weights of a block are int16 and sit
 * together, so one 256-bit load holds two columns; each row's 8 inputs are
 * widened once and broadcast to both halves, and vpmaddwd adds pairs of exact
 * products into 4 int32 lanes per column. A horizontal reduction at the end
 * leaves one sum per column, requantized in registers in the order the reduction
 * leaves them (qs8-requant-avx2.h, enet_qs8_reorder_params).
 * Per 8 k and row: 1 widening load and 4 multiply-adds for 64 products (the c2
 * layout needs a broadcast per row for every 2 k). */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "qs8-requant-avx2.h"

/* 8 int8 widened to int16, in both 128-bit halves. */
__attribute__((target("avx2"))) static inline __m256i widen8(__m128i bytes) {
  return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(bytes));
}

/* a[0..n-1] (n < 8) and zeros: the k tail. */
__attribute__((target("avx2"))) static inline __m256i input_tail(const int8_t* a, size_t n) {
  int64_t bytes = 0; /* little-endian: a[0] in the low byte */
  memcpy(&bytes, a, n);
  return widen8(_mm_cvtsi64_si128(bytes));
}

/* Lanes (4 per column) of columns (0,1), (2,3), (4,5), (6,7) -> one sum per column, in the
 * vphaddd order (0, 2, 4, 6, 1, 3, 5, 7) that the panel's parameters are stored in. */
__attribute__((target("avx2"))) static inline __m256i reduce_columns(__m256i c01, __m256i c23, __m256i c45,
                                                                     __m256i c67) {
  return _mm256_hadd_epi32(_mm256_hadd_epi32(c01, c23), _mm256_hadd_epi32(c45, c67));
}

/* One row's 8 column sums (H order) + bias -> requantized int8 in y[0..nc). */
__attribute__((target("avx2"))) static inline void store_row(int8_t* y, size_t nc, __m256i bias, __m256i sums,
                                                             const void* packed, int clamp, __m128i min, __m128i max) {
  const __m256i r = enet_qs8_requant8_ordered_avx2(_mm256_add_epi32(bias, sums), packed, 8, 0, clamp);
  const __m128i b = enet_qs8_pack8_hadd_avx2(r, min, max);
  if (nc == 8)
    _mm_storel_epi64((__m128i*)y, b);
  else
    enet_qs8_store_avx2(y, b, nc);
}

__attribute__((target("avx2"))) void enet_qs8_gemm_3x8c8_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                               size_t a_stride, const void* packed, int8_t* y,
                                                               size_t y_stride, const enet_s8_output* out) {
  const int8_t* a0 = a;
  const int8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const int8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const __m256i* w = (const __m256i*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(8));
  /* The k tail (kc % 8 inputs, zero-padded) goes first, straight into the named
   * accumulators (12 of the 16 registers); one plain loop over whole blocks follows. */
  const size_t full = kc / 8 * 8, tail = kc - full;
  __m256i c0x01 = _mm256_setzero_si256(), c0x23 = c0x01, c0x45 = c0x01, c0x67 = c0x01;
  __m256i c1x01 = c0x01, c1x23 = c0x01, c1x45 = c0x01, c1x67 = c0x01;
  __m256i c2x01 = c0x01, c2x23 = c0x01, c2x45 = c0x01, c2x67 = c0x01;
  if (tail) {
    const __m256i* wt = w + full / 2; /* the last block: 4 vectors per 8 k */
    const __m256i w0 = _mm256_loadu_si256(wt), w1 = _mm256_loadu_si256(wt + 1);
    const __m256i w2 = _mm256_loadu_si256(wt + 2), w3 = _mm256_loadu_si256(wt + 3);
    __m256i x = input_tail(a0 + full, tail);
    c0x01 = _mm256_madd_epi16(x, w0), c0x23 = _mm256_madd_epi16(x, w1);
    c0x45 = _mm256_madd_epi16(x, w2), c0x67 = _mm256_madd_epi16(x, w3);
    x = input_tail(a1 + full, tail);
    c1x01 = _mm256_madd_epi16(x, w0), c1x23 = _mm256_madd_epi16(x, w1);
    c1x45 = _mm256_madd_epi16(x, w2), c1x67 = _mm256_madd_epi16(x, w3);
    x = input_tail(a2 + full, tail);
    c2x01 = _mm256_madd_epi16(x, w0), c2x23 = _mm256_madd_epi16(x, w1);
    c2x45 = _mm256_madd_epi16(x, w2), c2x67 = _mm256_madd_epi16(x, w3);
  }
#define MADD(acc, x, wj) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, wj))
  if (mr == 1) { /* one row (a fully connected layer at batch 1): not three copies of it */
    for (size_t k = 0; k < full; k += 8, w += 4) {
      const __m256i x = widen8(_mm_loadl_epi64((const __m128i*)(a0 + k)));
      MADD(c0x01, x, _mm256_loadu_si256(w)), MADD(c0x23, x, _mm256_loadu_si256(w + 1));
      MADD(c0x45, x, _mm256_loadu_si256(w + 2)), MADD(c0x67, x, _mm256_loadu_si256(w + 3));
    }
  } else {
    for (size_t k = 0; k < full; k += 8, w += 4) {
      ENET_PREFETCH_WEIGHTS(w), ENET_PREFETCH_WEIGHTS(w + 2); /* 2 lines */
      __m256i x = widen8(_mm_loadl_epi64((const __m128i*)(a0 + k)));
      MADD(c0x01, x, _mm256_loadu_si256(w)), MADD(c0x23, x, _mm256_loadu_si256(w + 1));
      MADD(c0x45, x, _mm256_loadu_si256(w + 2)), MADD(c0x67, x, _mm256_loadu_si256(w + 3));
      x = widen8(_mm_loadl_epi64((const __m128i*)(a1 + k)));
      MADD(c1x01, x, _mm256_loadu_si256(w)), MADD(c1x23, x, _mm256_loadu_si256(w + 1));
      MADD(c1x45, x, _mm256_loadu_si256(w + 2)), MADD(c1x67, x, _mm256_loadu_si256(w + 3));
      x = widen8(_mm_loadl_epi64((const __m128i*)(a2 + k)));
      MADD(c2x01, x, _mm256_loadu_si256(w)), MADD(c2x23, x, _mm256_loadu_si256(w + 1));
      MADD(c2x45, x, _mm256_loadu_si256(w + 2)), MADD(c2x67, x, _mm256_loadu_si256(w + 3));
    }
  }
#undef MADD
  const __m256i bias = _mm256_loadu_si256((const __m256i*)packed); /* in H order, like every field */
  const __m128i min = _mm_set1_epi8((char)out->min), max = _mm_set1_epi8((char)out->max);
  const int clamp = enet_qs8_group_needs_clamp_avx2(packed, 8);
  store_row(y, nc, bias, reduce_columns(c0x01, c0x23, c0x45, c0x67), packed, clamp, min, max);
  if (mr > 1) store_row(y + y_stride, nc, bias, reduce_columns(c1x01, c1x23, c1x45, c1x67), packed, clamp, min, max);
  if (mr > 2)
    store_row(y + 2 * y_stride, nc, bias, reduce_columns(c2x01, c2x23, c2x45, c2x67), packed, clamp, min, max);
}
#endif
