/* Reference int8 convolutions and fully connected (NHWC, symmetric int8 weights,
 * int32 bias, int32 accumulators, per-output-channel requantization). */
#include "reference_s8.h"

void enet_ref_conv2d_s8(const enet_window* g, const int8_t* x, int32_t x_zp, const int8_t* w, const int32_t* bias,
                        const enet_requant* requant, const enet_s8_output* out, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t oc = 0; oc < g->out_c; oc++) {
          int32_t acc = bias ? bias[oc] : 0;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) continue; /* padding holds x_zp: adds 0 */
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (ix < 0 || ix >= g->in_w) continue;
              const int8_t* xp = x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c;
              const int8_t* wp = w + ((oc * g->k_h + ky) * g->k_w + kx) * g->in_c;
              for (int64_t c = 0; c < g->in_c; c++) acc += (xp[c] - x_zp) * wp[c];
            }
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] = enet_clamp_s8(enet_requantize(acc, requant[oc]), out);
        }
}

void enet_ref_depthwise_conv2d_s8(const enet_window* g, int depth_multiplier, const int8_t* x, int32_t x_zp,
                                  const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                  const enet_s8_output* out, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t oc = 0; oc < g->out_c; oc++) {
          int64_t ic = oc / depth_multiplier; /* output channel c*M+m reads input channel c */
          int32_t acc = bias ? bias[oc] : 0;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
              if (ix < 0 || ix >= g->in_w) continue;
              acc += (x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + ic] - x_zp) *
                     w[(ky * g->k_w + kx) * g->out_c + oc];
            }
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->out_c + oc] = enet_clamp_s8(enet_requantize(acc, requant[oc]), out);
        }
}

void enet_ref_fully_connected_s8(int64_t rows, int64_t in, int64_t out_features, const int8_t* x, int32_t x_zp,
                                 const int8_t* w, const int32_t* bias, const enet_requant* requant,
                                 const enet_s8_output* out, int8_t* y) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t o = 0; o < out_features; o++) {
      int32_t acc = bias ? bias[o] : 0;
      for (int64_t i = 0; i < in; i++) acc += (x[r * in + i] - x_zp) * w[o * in + i];
      y[r * out_features + o] = enet_clamp_s8(enet_requantize(acc, requant[o]), out);
    }
}
