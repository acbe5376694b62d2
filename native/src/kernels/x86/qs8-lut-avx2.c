/* int8 table lookup y[i] = table[x[i] + 128], AVX2 (see enet_qs8_lut_ukernel).
 *
 * vpshufb looks up 16-entry tables, in-lane, and returns 0 for an index byte
 * whose top bit is set. The 256 entries are 16 sub-tables; every sub-table is
 * probed for every byte and the hits are XORed together. With idx = x + 128
 * (unsigned) and j = idx / 16:
 *   probes k = 0..7 use idx - 16k (wrapping): a hit when 16k <= idx <= 16k + 127;
 *   probes k = 8..15 use x - 16(k-8) (signed saturating): a hit when idx >= 16k.
 * So a byte with j <= 7 sees probes 0..j, and with j >= 8 probes j-7..j; the
 * probe tables (enet_qs8_lut_avx2_tables) are prefix XORs chosen so that both
 * XOR sums come out as sub-table j. Every probe keeps the low 4 bits of idx.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

void enet_qs8_lut_avx2_tables(const int8_t* table, uint8_t probe[16][16]) {
  /* A_0 = T_0, A_k = T_k ^ T_(k-1): XOR of A_0..A_j is T_j, and of A_(j-7)..A_7 is T_7 ^ T_(j-8).
   * For j >= 8 probes 8..j must then add U_j = T_j ^ T_7 ^ T_(j-8): B_8 = U_8, B_k = U_k ^ U_(k-1). */
  const uint8_t* t = (const uint8_t*)table;
  uint8_t u_prev[16] = {0};
  for (int l = 0; l < 16; l++) {
    probe[0][l] = t[l];
    for (int k = 1; k < 8; k++) probe[k][l] = t[16 * k + l] ^ t[16 * (k - 1) + l];
    for (int k = 8; k < 16; k++) {
      uint8_t u = t[16 * k + l] ^ t[16 * 7 + l] ^ t[16 * (k - 8) + l];
      probe[k][l] = k == 8 ? u : (uint8_t)(u ^ u_prev[l]);
      u_prev[l] = u;
    }
  }
}

__attribute__((target("avx2"))) static inline __m256i lut32(__m256i x, const uint8_t probe[16][16]) {
  const __m256i sixteen = _mm256_set1_epi8(16);
  __m256i idx = _mm256_xor_si256(x, _mm256_set1_epi8((char)0x80));
  __m256i y = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)probe[0])), idx);
  for (int k = 1; k < 8; k++) {
    idx = _mm256_sub_epi8(idx, sixteen);
    y = _mm256_xor_si256(y, _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)probe[k])), idx));
  }
  __m256i w = x;
  y = _mm256_xor_si256(y, _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)probe[8])), w));
  for (int k = 9; k < 16; k++) {
    w = _mm256_subs_epi8(w, sixteen);
    y = _mm256_xor_si256(y, _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)probe[k])), w));
  }
  return y;
}

__attribute__((target("avx2"))) void enet_qs8_lut_avx2(size_t n, const int8_t* x, int8_t* y, const int8_t* table,
                                                        const uint8_t probe[16][16]) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) { /* two vectors per pass: the probe tables are loaded once for both */
    __m256i a = lut32(_mm256_loadu_si256((const __m256i*)(x + i)), probe);
    __m256i b = lut32(_mm256_loadu_si256((const __m256i*)(x + i + 32)), probe);
    _mm256_storeu_si256((__m256i*)(y + i), a);
    _mm256_storeu_si256((__m256i*)(y + i + 32), b);
  }
  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256((__m256i*)(y + i), lut32(_mm256_loadu_si256((const __m256i*)(x + i)), probe));
  for (; i < n; i++) y[i] = table[x[i] + 128];
}
#endif
