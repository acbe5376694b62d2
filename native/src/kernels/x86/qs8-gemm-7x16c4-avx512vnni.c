/* qs8 GEMM tile 7 rows x 16 columns, k in blocks of 4 (c4), AVX512-VNNI (see
 * enet_qs8_gemm_ukernel). vpdpbusd adds to each int32 lane the four products of
 * unsigned bytes (from A) by signed bytes (the weights): the driver hands over A with
 * its sign bits flipped (a + 128 as uint8) and the packed bias carries -128 * sum_k w
 * (enet_qs8_kernels.unsigned_a, qs8_conv_gemm.c), so the int32 sums are those of the
 * signed products, exactly. Per block of 4 k: one zmm of weights (4 bytes per column),
 * then per row one broadcast from memory (a load, no ALU work) and one vpdpbusd. Each
 * lane is one column's sum in channel order, requantized in place
 * (qs8-requant-avx512.h; the identity register order of dispatch.c). kc is a multiple of 4
 * (gathered rows are padded).
 * 7 accumulators + weights + broadcasts: a fraction of the 32 zmm. */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include <string.h>

#include "qs8-requant-avx512.h"

/* a[0..4) as one int32 in every lane. */
ENET_TARGET_AVX512VNNI static inline __m512i broadcast4(const uint8_t* a) {
  int32_t v;
  memcpy(&v, a, sizeof v);
  return _mm512_set1_epi32(v);
}

/* One row (a fully connected layer at batch 1): the 7-row loop would run seven copies of it,
 * so the blocks of k go round four independent sums (exact: integer addition). */
ENET_TARGET_AVX512VNNI static __m512i gemv_sums(size_t kc, const uint8_t* a, const int8_t* w, __m512i c0) {
  __m512i c1 = _mm512_setzero_si512(), c2 = c1, c3 = c1;
  size_t k = 0;
  for (; k + 16 <= kc; k += 16, w += 256) {
    ENET_DPBUSD512(c0, broadcast4(a + k), _mm512_loadu_si512((const void*)w));
    ENET_DPBUSD512(c1, broadcast4(a + k + 4), _mm512_loadu_si512((const void*)(w + 64)));
    ENET_DPBUSD512(c2, broadcast4(a + k + 8), _mm512_loadu_si512((const void*)(w + 128)));
    ENET_DPBUSD512(c3, broadcast4(a + k + 12), _mm512_loadu_si512((const void*)(w + 192)));
  }
  for (; k < kc; k += 4, w += 64) ENET_DPBUSD512(c0, broadcast4(a + k), _mm512_loadu_si512((const void*)w));
  return _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3));
}

ENET_TARGET_AVX512VNNI void enet_qs8_gemm_7x16c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                            size_t a_stride, const void* packed, int8_t* y,
                                                            size_t y_stride, const enet_s8_output* out) {
  const uint8_t* a0 = (const uint8_t*)a;
  const uint8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const uint8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const uint8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const uint8_t* a4 = mr > 4 ? a3 + a_stride : a3;
  const uint8_t* a5 = mr > 5 ? a4 + a_stride : a4;
  const uint8_t* a6 = mr > 6 ? a5 + a_stride : a5;
  __m512i c0 = _mm512_loadu_si512((const void*)enet_qs8_param32(packed, 16, ENET_QS8_BIAS));
  const int8_t* w = (const int8_t*)packed + ENET_QS8_PARAMS_BYTES(16);
  enet_qs8_requant16_params rq;
  const __m128i min = _mm_set1_epi8((char)out->min), max = _mm_set1_epi8((char)out->max);
  if (mr == 1) {
    c0 = gemv_sums(kc, a0, w, c0);
    enet_qs8_requant16_load(&rq, packed, 16, 0);
    enet_qs8_store16_avx512(y, enet_qs8_requant16(&rq, c0, min, max), nc);
    return;
  }
  __m512i c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
  for (size_t k = 0; k < kc; k += 4, w += 64) {
    ENET_PREFETCH_WEIGHTS(w);
    const __m512i wv = _mm512_loadu_si512((const void*)w);
    ENET_DPBUSD512(c0, broadcast4(a0 + k), wv);
    ENET_DPBUSD512(c1, broadcast4(a1 + k), wv);
    ENET_DPBUSD512(c2, broadcast4(a2 + k), wv);
    ENET_DPBUSD512(c3, broadcast4(a3 + k), wv);
    ENET_DPBUSD512(c4, broadcast4(a4 + k), wv);
    ENET_DPBUSD512(c5, broadcast4(a5 + k), wv);
    ENET_DPBUSD512(c6, broadcast4(a6 + k), wv);
  }
  enet_qs8_requant16_load(&rq, packed, 16, 0);
  enet_qs8_store16_avx512(y, enet_qs8_requant16(&rq, c0, min, max), nc);
  if (mr > 1) enet_qs8_store16_avx512(y + y_stride, enet_qs8_requant16(&rq, c1, min, max), nc);
  if (mr > 2) enet_qs8_store16_avx512(y + 2 * y_stride, enet_qs8_requant16(&rq, c2, min, max), nc);
  if (mr > 3) enet_qs8_store16_avx512(y + 3 * y_stride, enet_qs8_requant16(&rq, c3, min, max), nc);
  if (mr > 4) enet_qs8_store16_avx512(y + 4 * y_stride, enet_qs8_requant16(&rq, c4, min, max), nc);
  if (mr > 5) enet_qs8_store16_avx512(y + 5 * y_stride, enet_qs8_requant16(&rq, c5, min, max), nc);
  if (mr > 6) enet_qs8_store16_avx512(y + 6 * y_stride, enet_qs8_requant16(&rq, c6, min, max), nc);
}
#endif
