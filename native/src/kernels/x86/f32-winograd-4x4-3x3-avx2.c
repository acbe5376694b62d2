/* Winograd F(4x4, 3x3) input and output transforms, AVX2 + FMA, 8 channels per step (see
 * enet_f32_winograd_input_ukernel; the GEMM between them is the float GEMM microkernel). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "../optimized.h"

/* Lanes j < n set (the last, partial block of channels). */
__attribute__((target("avx2,fma"))) static inline __m256i lane_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* o = B^T d for 6 values d[0], d[s], ..., d[5s] (rows of B^T: 4 0 -5 0 1 0 / 0 -4 -4 1 1 0 /
 * 0 4 -4 -1 1 0 / 0 -2 -1 2 1 0 / 0 2 -1 -2 1 0 / 0 4 0 -5 0 1), written at o[0], o[os], ... */
__attribute__((target("avx2,fma"))) static inline void input_1d(const __m256* d, size_t s, __m256* o, size_t os) {
  const __m256 d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f);
  o[0] = _mm256_fmadd_ps(four, d0, _mm256_fnmadd_ps(five, d2, d4));
  o[os] = _mm256_fnmadd_ps(four, _mm256_add_ps(d1, d2), _mm256_add_ps(d3, d4));
  o[2 * os] = _mm256_fmadd_ps(four, _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));
  o[3 * os] = _mm256_fmadd_ps(two, _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));
  o[4 * os] = _mm256_fmadd_ps(two, _mm256_sub_ps(d1, d3), _mm256_sub_ps(d4, d2));
  o[5 * os] = _mm256_fmadd_ps(four, d1, _mm256_fnmadd_ps(five, d3, d5));
}

/* o = A^T m for 6 values m[0], m[s], ..., m[5s] (rows of A^T: 1 1 1 1 1 0 / 0 1 -1 2 -2 0 /
 * 0 1 1 4 4 0 / 0 1 -1 8 -8 1), written at o[0], o[os], o[2os], o[3os]. */
__attribute__((target("avx2,fma"))) static inline void output_1d(const __m256* m, size_t s, __m256* o, size_t os) {
  const __m256 sum12 = _mm256_add_ps(m[s], m[2 * s]), dif12 = _mm256_sub_ps(m[s], m[2 * s]);
  const __m256 sum34 = _mm256_add_ps(m[3 * s], m[4 * s]), dif34 = _mm256_sub_ps(m[3 * s], m[4 * s]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], sum12), sum34);
  o[os] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), dif34, dif12);
  o[2 * os] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), sum34, sum12);
  o[3 * os] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), dif34, dif12), m[5 * s]);
}

__attribute__((target("avx2,fma"))) void enet_f32_winograd_input_4x4_3x3_avx2(size_t channels, const float** patch,
                                                                               float* v, size_t v_stride) {
  for (size_t c = 0; c < channels; c += 8) {
    const size_t left = channels - c;
    const __m256i mask = lane_mask(left);
    __m256 d[36], t[36];
    for (int i = 0; i < 36; i++)
      d[i] = left >= 8 ? _mm256_loadu_ps(patch[i] + c) : _mm256_maskload_ps(patch[i] + c, mask);
    for (int col = 0; col < 6; col++) input_1d(d + col, 6, t + col, 6);   /* B^T d */
    for (int row = 0; row < 6; row++) input_1d(t + row * 6, 1, d + row * 6, 1); /* (B^T d) B */
    for (int i = 0; i < 36; i++) {
      if (left >= 8)
        _mm256_storeu_ps(v + i * v_stride + c, d[i]);
      else
        _mm256_maskstore_ps(v + i * v_stride + c, mask, d[i]);
    }
  }
}

__attribute__((target("avx2,fma"))) void enet_f32_winograd_output_4x4_3x3_avx2(size_t channels, const float* m,
                                                                                size_t m_stride, const float* bias,
                                                                                float* y, size_t y_row_stride,
                                                                                size_t rows, size_t cols, float min,
                                                                                float max) {
  const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  for (size_t c = 0; c < channels; c += 8) {
    const size_t left = channels - c;
    const __m256i mask = lane_mask(left);
    __m256 in[36], t[24], o[16];
    for (int i = 0; i < 36; i++)
      in[i] = left >= 8 ? _mm256_loadu_ps(m + i * m_stride + c) : _mm256_maskload_ps(m + i * m_stride + c, mask);
    for (int col = 0; col < 6; col++) output_1d(in + col, 6, t + col, 6); /* A^T m: 4 rows of 6 */
    for (int row = 0; row < 4; row++) output_1d(t + row * 6, 1, o + row * 4, 1); /* (A^T m) A */
    const __m256 b = left >= 8 ? _mm256_loadu_ps(bias + c) : _mm256_maskload_ps(bias + c, mask);
    for (size_t r = 0; r < rows; r++)
      for (size_t s = 0; s < cols; s++) {
        /* Clamp with the sum second so a NaN passes through unchanged. */
        const __m256 out = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(o[r * 4 + s], b)));
        float* dst = y + r * y_row_stride + s * channels + c;
        if (left >= 8)
          _mm256_storeu_ps(dst, out);
        else
          _mm256_maskstore_ps(dst, mask, out);
      }
  }
}
#endif
