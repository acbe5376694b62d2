/* Reference int8 pooling (NHWC) and mean. Max runs on the int8 values (input and
 * output share scale and zero point); averages sum (x - zp) and requantize with
 * M = s_in / (s_out * count). */
#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference_s8.h"

void enet_ref_max_pool2d_s8(const enet_window* g, const int8_t* x, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t c = 0; c < g->in_c; c++) {
          int8_t best = -128;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky;
            if (iy < 0 || iy >= g->in_h) continue; /* padding never wins */
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx;
              if (ix < 0 || ix >= g->in_w) continue;
              int8_t v = x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + c];
              if (v > best) best = v;
            }
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->in_c + c] = best;
        }
}

void enet_ref_avg_pool2d_s8(const enet_window* g, int count_include_pad, const int8_t* x, int32_t x_zp,
                            const enet_requant* requant_by_count, const enet_s8_output* out, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t c = 0; c < g->in_c; c++) {
          int32_t acc = 0;
          int64_t count = 0;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx;
              if (ix < 0 || ix >= g->in_w) continue;
              acc += x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + c] - x_zp;
              count++;
            }
          }
          if (count_include_pad) count = g->k_h * g->k_w;
          /* prepare forbids windows made of padding only, so count >= 1 */
          y[((n * g->out_h + oy) * g->out_w + ox) * g->in_c + c] =
              enet_clamp_s8(enet_requantize(acc, requant_by_count[count - 1]), out);
        }
}

/* TFLite's int8 average (models imported from .tflite; input and output share
 * scale and zero point): the raw int8 values of the window's real cells summed,
 * divided by their count rounding half away from zero. */
void enet_ref_avg_pool2d_s8_tflite(const enet_window* g, const int8_t* x, const enet_s8_output* out, int8_t* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t c = 0; c < g->in_c; c++) {
          int32_t acc = 0, count = 0;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx;
              if (ix < 0 || ix >= g->in_w) continue;
              acc += x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + c];
              count++;
            }
          }
          /* count >= 1 (prepare forbids padding-only windows); C division truncates toward zero */
          int32_t average = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          y[((n * g->out_h + oy) * g->out_w + ox) * g->in_c + c] = enet_clamp_s8(average - out->zero_point, out);
        }
}

void enet_ref_mean_s8(int ndim, const int64_t* shape, const uint8_t* reduce, const int8_t* x, int32_t x_zp,
                      enet_requant requant, const enet_s8_output* out, int8_t* y) {
  int64_t stride[ENET_MAX_DIMS], s = 1, out_total = 1, count = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    stride[d] = s;
    s *= shape[d];
    if (reduce[d])
      count *= shape[d];
    else
      out_total *= shape[d];
  }
  for (int64_t o = 0; o < out_total; o++) {
    /* First input element of output o: o's kept-dim index, reduced dims at 0. */
    int64_t rest = o, offset = 0, index[ENET_MAX_DIMS] = {0};
    for (int d = ndim - 1; d >= 0; d--)
      if (!reduce[d]) {
        offset += rest % shape[d] * stride[d];
        rest /= shape[d];
      }
    int32_t acc = 0;
    for (int64_t k = 0; k < count; k++) {
      acc += x[offset] - x_zp;
      for (int d = ndim - 1; d >= 0; d--) { /* odometer over the reduced dims */
        if (!reduce[d]) continue;
        offset += stride[d];
        if (++index[d] < shape[d]) break;
        offset -= stride[d] * shape[d];
        index[d] = 0;
      }
    }
    y[o] = enet_clamp_s8(enet_requantize(acc, requant), out);
  }
}
