/* Reference float convolutions (NHWC). */
#include "reference.h"

void enet_ref_conv2d_f32(const enet_window* g, const float* x, const float* w, const float* bias, float* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t oc = 0; oc < g->out_c; oc++) {
          float acc = bias ? bias[oc] : 0.0f;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) continue; /* zero padding */
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (ix < 0 || ix >= g->in_w) continue;
              const float* xp = x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c;
              const float* wp = w + ((oc * g->k_h + ky) * g->k_w + kx) * g->in_c;
              for (int64_t c = 0; c < g->in_c; c++) acc += xp[c] * wp[c];
            }
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] = acc;
        }
}

void enet_ref_depthwise_conv2d_f32(const enet_window* g, int depth_multiplier, const float* x, const float* w,
                                   const float* bias, float* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t oc = 0; oc < g->out_c; oc++) {
          int64_t ic = oc / depth_multiplier; /* output channel c*M+m reads input channel c */
          float acc = bias ? bias[oc] : 0.0f;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (ix < 0 || ix >= g->in_w) continue;
              acc += x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + ic] * w[(ky * g->k_w + kx) * g->out_c + oc];
            }
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] = acc;
        }
}

void enet_ref_fully_connected_f32(int64_t rows, int64_t in, int64_t out, const float* x, const float* w,
                                  const float* bias, float* y) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t o = 0; o < out; o++) {
      float acc = bias ? bias[o] : 0.0f;
      for (int64_t i = 0; i < in; i++) acc += x[r * in + i] * w[o * in + i];
      y[r * out + o] = acc;
    }
}
