/* Winograd F(4x4, 3x3) input and output transforms, NEON, 4 channels per step (see
 * enet_f32_winograd_input_ukernel); the same arithmetic as x86/f32-winograd-4x4-3x3-avx2.c. */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "../optimized.h"

/* n (<= 4) floats, zeros past them. */
static inline float32x4_t load_partial(const float* p, size_t n) {
  if (n >= 4) return vld1q_f32(p);
  float tmp[4] = {0, 0, 0, 0};
  memcpy(tmp, p, n * sizeof(float));
  return vld1q_f32(tmp);
}

static inline void store_partial(float* p, size_t n, float32x4_t v) {
  if (n >= 4) {
    vst1q_f32(p, v);
    return;
  }
  float tmp[4];
  vst1q_f32(tmp, v);
  memcpy(p, tmp, n * sizeof(float));
}

/* o = B^T d for 6 values d[0], d[s], ..., d[5s] (the matrices: see the AVX2 file). */
static inline void input_1d(const float32x4_t* d, size_t s, float32x4_t* o, size_t os) {
  const float32x4_t d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
  o[0] = vmlaq_n_f32(vmlsq_n_f32(d4, d2, 5.0f), d0, 4.0f);
  o[os] = vmlsq_n_f32(vaddq_f32(d3, d4), vaddq_f32(d1, d2), 4.0f);
  o[2 * os] = vmlaq_n_f32(vsubq_f32(d4, d3), vsubq_f32(d1, d2), 4.0f);
  o[3 * os] = vmlaq_n_f32(vsubq_f32(d4, d2), vsubq_f32(d3, d1), 2.0f);
  o[4 * os] = vmlaq_n_f32(vsubq_f32(d4, d2), vsubq_f32(d1, d3), 2.0f);
  o[5 * os] = vmlaq_n_f32(vmlsq_n_f32(d5, d3, 5.0f), d1, 4.0f);
}

/* o = A^T m for 6 values m[0], m[s], ..., m[5s]. */
static inline void output_1d(const float32x4_t* m, size_t s, float32x4_t* o, size_t os) {
  const float32x4_t sum12 = vaddq_f32(m[s], m[2 * s]), dif12 = vsubq_f32(m[s], m[2 * s]);
  const float32x4_t sum34 = vaddq_f32(m[3 * s], m[4 * s]), dif34 = vsubq_f32(m[3 * s], m[4 * s]);
  o[0] = vaddq_f32(vaddq_f32(m[0], sum12), sum34);
  o[os] = vmlaq_n_f32(dif12, dif34, 2.0f);
  o[2 * os] = vmlaq_n_f32(sum12, sum34, 4.0f);
  o[3 * os] = vaddq_f32(vmlaq_n_f32(dif12, dif34, 8.0f), m[5 * s]);
}

void enet_f32_winograd_input_4x4_3x3_neon(size_t channels, const float** patch, float* v, size_t v_stride) {
  for (size_t c = 0; c < channels; c += 4) {
    const size_t left = channels - c;
    float32x4_t d[36], t[36];
    for (int i = 0; i < 36; i++) d[i] = load_partial(patch[i] + c, left);
    for (int col = 0; col < 6; col++) input_1d(d + col, 6, t + col, 6);
    for (int row = 0; row < 6; row++) input_1d(t + row * 6, 1, d + row * 6, 1);
    for (int i = 0; i < 36; i++) store_partial(v + i * v_stride + c, left, d[i]);
  }
}

void enet_f32_winograd_output_4x4_3x3_neon(size_t channels, const float* m, size_t m_stride, const float* bias,
                                           float* y, size_t y_row_stride, size_t rows, size_t cols, float min,
                                           float max) {
  const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);
  for (size_t c = 0; c < channels; c += 4) {
    const size_t left = channels - c;
    float32x4_t in[36], t[24], o[16];
    for (int i = 0; i < 36; i++) in[i] = load_partial(m + i * m_stride + c, left);
    for (int col = 0; col < 6; col++) output_1d(in + col, 6, t + col, 6);
    for (int row = 0; row < 4; row++) output_1d(t + row * 6, 1, o + row * 4, 1);
    const float32x4_t b = load_partial(bias + c, left);
    for (size_t r = 0; r < rows; r++)
      for (size_t s = 0; s < cols; s++) {
        float32x4_t out = vaddq_f32(o[r * 4 + s], b);
        /* vmax/vmin would turn NaN into the bound; select keeps a NaN unchanged, like the reference. */
        out = vbslq_f32(vcltq_f32(out, lo), lo, vbslq_f32(vcgtq_f32(out, hi), hi, out));
        store_partial(y + r * y_row_stride + s * channels + c, left, out);
      }
  }
}
#endif
