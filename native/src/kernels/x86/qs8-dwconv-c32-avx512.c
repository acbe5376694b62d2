/* qs8 depthwise row, 32 channels per block, AVX-512 BW (see enet_qs8_dwconv_ukernel): the zmm
 * twin of qs8-dwconv-c16-avx2.c. Taps go in pairs: the inputs of taps t and t+1 widened to
 * int16 (vpmovsxbw) and interleaved (vpunpck{l,h}wd, per 128-bit lane), so one vpmaddwd
 * multiplies both by their weights and adds the two exact products into an int32 lane per
 * channel. The block's weights are packed to match (qs8_dwconv.c, "tap pairs"): per pair,
 * the 16 (w[t][c], w[t+1][c]) of the low unpack's channels (0-3, 8-11, 16-19, 24-27), then
 * the high unpack's (4-7, ..., 28-31); an odd last tap pairs with zero weights. The
 * parameters are in that lane order too (dispatch.c), so nothing is shuffled until vpackssdw
 * of (low, high), which restores channel order. The loops run block by block so each
 * block's parameters are loaded once per row; a last partial block reads and writes
 * exactly `channels` bytes through byte masks, while full blocks load plainly (the load folds
 * into vpmovsxbw). With AVX512-VNNI, vpdpwssd does vpmaddwd's multiply-add and the
 * accumulation in one instruction (the same exact int32 sums): the body below is built twice. */
#if defined(__x86_64__)
#include "x86-intrinsics.h"

#include "qs8-requant-avx512.h"

#define CB 32

/* One output pixel of a block: acc_lo/acc_hi += the block's tap pairs. LOAD widens 32 inputs.
 * Up to 5 pairs (3x3) the weights come from registers (w_lo/w_hi, loaded once per block). */
#define QS8_DWCONV_C32_PIXEL(LOAD, MADD)                                                          \
  for (size_t q = 0; q < pairs; q++) {                                                           \
    const int8_t* x1 = 2 * q + 1 < taps ? in[2 * q + 1] : in[2 * q]; /* odd tap: zero weights */ \
    const __m512i a = LOAD(in[2 * q] + c), b = LOAD(x1 + c);                                     \
    const int16_t* wq = wt + q * 2 * CB;                                                         \
    MADD(acc_lo, _mm512_unpacklo_epi16(a, b), pairs <= 5 ? w_lo[q] : _mm512_loadu_si512((const void*)wq)); \
    MADD(acc_hi, _mm512_unpackhi_epi16(a, b), pairs <= 5 ? w_hi[q] : _mm512_loadu_si512((const void*)(wq + CB))); \
  }

/* The body for one multiply-add flavour (MADD(acc, pairs, weights): acc += the pair products). */
#define QS8_DWCONV_C32_KERNEL(NAME, TARGET, MADD)                                                                \
  static inline __attribute__((always_inline)) TARGET void NAME##_body(                                          \
      size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w, int8_t* y,                \
      const enet_s8_output* out) {                                                                               \
    const size_t pairs = (taps + 1) / 2, block = ENET_QS8_PARAMS_BYTES(CB) + pairs * 2 * CB * sizeof(int16_t);   \
    const __m256i min = _mm256_set1_epi8((char)out->min), max = _mm256_set1_epi8((char)out->max);               \
    const uint8_t* wb = w;                                                                                       \
    for (size_t c = 0; c < channels; c += CB, wb += block) {                                                     \
      const size_t n = channels - c < CB ? channels - c : CB;                                                    \
      const __mmask32 mask = n == CB ? 0xFFFFFFFFu : (1u << n) - 1;                                              \
      const int16_t* wt = (const int16_t*)(wb + ENET_QS8_PARAMS_BYTES(CB));                                      \
      const int32_t* bias = enet_qs8_param32(wb, CB, ENET_QS8_BIAS);                                             \
      const __m512i bias_lo = _mm512_loadu_si512((const void*)bias);                                             \
      const __m512i bias_hi = _mm512_loadu_si512((const void*)(bias + 16));                                      \
      enet_qs8_requant16_params rq_lo, rq_hi;                                                                    \
      enet_qs8_requant16_load(&rq_lo, wb, CB, 0);                                                                \
      enet_qs8_requant16_load(&rq_hi, wb, CB, 16);                                                               \
      /* Local copies: the stores to y could alias the packed weights as far as the compiler knows. */          \
      __m512i w_lo[5], w_hi[5];                                                                                  \
      for (size_t q = 0; q < pairs && q < 5; q++)                                                                \
        w_lo[q] = _mm512_loadu_si512((const void*)(wt + q * 2 * CB)),                                           \
        w_hi[q] = _mm512_loadu_si512((const void*)(wt + q * 2 * CB + CB));                                     \
      const int8_t** in = input;                                                                                 \
      for (size_t p = 0; p < out_w; p++, in += taps) {                                                           \
        __m512i acc_lo = bias_lo, acc_hi = bias_hi; /* the low and high unpack's channels */                     \
        if (n == CB) {                                                                                           \
          QS8_DWCONV_C32_PIXEL(WIDEN_FULL, MADD)                                                                 \
        } else {                                                                                                 \
          QS8_DWCONV_C32_PIXEL(WIDEN_MASKED, MADD)                                                               \
        }                                                                                                        \
        const __m512i h = _mm512_packs_epi32(enet_qs8_requant16_epi32(&rq_lo, acc_lo),                           \
                                             enet_qs8_requant16_epi32(&rq_hi, acc_hi)); /* channel order */      \
        const __m256i v = _mm256_min_epi8(_mm256_max_epi8(_mm512_cvtsepi16_epi8(h), min), max);                  \
        if (n == CB) /* a plain store where it can: masked ones are slow on some CPUs (AMD Zen 4) */             \
          _mm256_storeu_si256((__m256i*)(y + p * channels + c), v);                                              \
        else                                                                                                     \
          _mm256_mask_storeu_epi8(y + p * channels + c, mask, v);                                                \
      }                                                                                                          \
    }                                                                                                            \
  }

#define WIDEN_FULL(p) _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)(p)))
#define WIDEN_MASKED(p) _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, p))
#define MADD_AVX512(acc, a, w) ((acc) = _mm512_add_epi32(acc, _mm512_madd_epi16(a, w)))

/* Each flavour is built as a body (any taps) called with taps = 9 as a constant (3x3, nearly every
 * depthwise layer: the pair loop unrolls and its weights stay in registers) and with any taps. */
#define QS8_DWCONV_C32_ENTRY(NAME, TARGET)                                                                  \
  TARGET void NAME(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w, int8_t* y, \
                   const enet_s8_output* out) {                                                            \
    if (taps == 9)                                                                                         \
      NAME##_body(channels, out_w, 9, input, w, y, out);                                                   \
    else                                                                                                   \
      NAME##_body(channels, out_w, taps, input, w, y, out);                                                \
  }

QS8_DWCONV_C32_KERNEL(enet_qs8_dwconv_c32_avx512, ENET_TARGET_AVX512, MADD_AVX512)
QS8_DWCONV_C32_ENTRY(enet_qs8_dwconv_c32_avx512, ENET_TARGET_AVX512)
QS8_DWCONV_C32_KERNEL(enet_qs8_dwconv_c32_avx512vnni, ENET_TARGET_AVX512VNNI, ENET_DPWSSD512)
QS8_DWCONV_C32_ENTRY(enet_qs8_dwconv_c32_avx512vnni, ENET_TARGET_AVX512VNNI)
#endif
