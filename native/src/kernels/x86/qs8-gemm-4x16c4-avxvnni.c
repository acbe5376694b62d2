/* qs8 GEMM tile 4 rows x 16 columns, k in blocks of 4 (c4), AVX-VNNI: the ymm twin of
 * qs8-gemm-7x16c4-avx512vnni.c for CPUs with the VEX-encoded vpdpbusd and no AVX-512
 * (same packed layout; A holds a + 128 as uint8, -128 * sum_k w is in the packed bias;
 * kc a multiple of 4). Per block of 4 k: two ymm of weights (columns 0-7, 8-15), one broadcast and
 * two vpdpbusd per row. The panel's parameters are in the identity register order
 * (int64 fields split into even and odd lanes, see dispatch.c), requantized with the
 * AVX2 helpers. 8 accumulators + 2 weight vectors + broadcasts fit the 16 ymm. */
#if defined(__x86_64__)
#include "x86-intrinsics.h"
#if ENET_HAVE_AVXVNNI

#include <string.h>

#include "qs8-requant-avx2.h"

/* a[0..4) as one int32 in every lane. */
ENET_TARGET_AVXVNNI static inline __m256i broadcast4(const uint8_t* a) {
  int32_t v;
  memcpy(&v, a, sizeof v);
  return _mm256_set1_epi32(v);
}

ENET_TARGET_AVXVNNI static inline void store_row(int8_t* y, size_t nc, __m256i lo, __m256i hi, const void* packed,
                                                 int clamp, const enet_s8_output* out) {
  const __m256i r_lo = enet_qs8_requant8_ordered_avx2(lo, packed, 16, 0, clamp);
  const __m256i r_hi = enet_qs8_requant8_ordered_avx2(hi, packed, 16, 8, clamp);
  enet_qs8_store_avx2(y, enet_qs8_pack16_avx2(r_lo, r_hi, out), nc);
}

ENET_TARGET_AVXVNNI void enet_qs8_gemm_4x16c4_avxvnni(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                                      size_t a_stride, const void* packed, int8_t* y,
                                                      size_t y_stride, const enet_s8_output* out) {
  const uint8_t* a0 = (const uint8_t*)a;
  const uint8_t* a1 = mr > 1 ? a0 + a_stride : a0; /* missing rows alias the row above */
  const uint8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const uint8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = enet_qs8_param32(packed, 16, ENET_QS8_BIAS);
  __m256i c0lo = _mm256_loadu_si256((const __m256i*)bias), c0hi = _mm256_loadu_si256((const __m256i*)(bias + 8));
  __m256i c1lo = c0lo, c1hi = c0hi, c2lo = c0lo, c2hi = c0hi, c3lo = c0lo, c3hi = c0hi;
  const __m256i* w = (const __m256i*)((const uint8_t*)packed + ENET_QS8_PARAMS_BYTES(16));
  for (size_t k = 0; k < kc; k += 4, w += 2) {
    const __m256i wlo = _mm256_loadu_si256(w), whi = _mm256_loadu_si256(w + 1);
    __m256i x = broadcast4(a0 + k);
    c0lo = _mm256_dpbusd_avx_epi32(c0lo, x, wlo), c0hi = _mm256_dpbusd_avx_epi32(c0hi, x, whi);
    x = broadcast4(a1 + k);
    c1lo = _mm256_dpbusd_avx_epi32(c1lo, x, wlo), c1hi = _mm256_dpbusd_avx_epi32(c1hi, x, whi);
    x = broadcast4(a2 + k);
    c2lo = _mm256_dpbusd_avx_epi32(c2lo, x, wlo), c2hi = _mm256_dpbusd_avx_epi32(c2hi, x, whi);
    x = broadcast4(a3 + k);
    c3lo = _mm256_dpbusd_avx_epi32(c3lo, x, wlo), c3hi = _mm256_dpbusd_avx_epi32(c3hi, x, whi);
  }
  const int clamp = enet_qs8_group_needs_clamp_avx2(packed, 16);
  store_row(y, nc, c0lo, c0hi, packed, clamp, out);
  if (mr > 1) store_row(y + y_stride, nc, c1lo, c1hi, packed, clamp, out);
  if (mr > 2) store_row(y + 2 * y_stride, nc, c2lo, c2hi, packed, clamp, out);
  if (mr > 3) store_row(y + 3 * y_stride, nc, c3lo, c3hi, packed, clamp, out);
}
#endif /* ENET_HAVE_AVXVNNI */
#endif
