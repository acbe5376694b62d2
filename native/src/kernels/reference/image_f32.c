/* Reference float resize of the spatial dims of NHWC tensors, with ONNX Resize's
 * coordinate transformation and nearest-rounding modes. */
#include <math.h>

#include "reference.h"

/* Position in the input (fractional) that output index `o` maps to along one axis. Double
 * precision, as the numpy reference computes it, so rounding edges land the same way. */
static double source_coordinate(enet_resize_coordinates mode, int64_t o, double scale, int64_t in_len,
                                int64_t out_len) {
  double x = (double)o;
  switch (mode) {
    case ENET_RESIZE_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case ENET_RESIZE_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case ENET_RESIZE_ALIGN_CORNERS: { /* ONNX: the unrounded output length scale * in_len */
      double length = scale * (double)in_len;
      return length == 1.0 ? 0.0 : x * (double)(in_len - 1) / (length - 1.0);
    }
    case ENET_RESIZE_ASYMMETRIC: return x / scale;
    case ENET_RESIZE_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
    case ENET_RESIZE_HALF_PIXEL_SYMMETRIC: {
      double center = (double)in_len / 2.0;
      return center * (1.0 - (double)out_len / (scale * (double)in_len)) + (x + 0.5) / scale - 0.5;
    }
  }
  return x;
}

static int64_t clamp_index(double i, int64_t len) { return i < 0.0 ? 0 : (i >= (double)(len - 1) ? len - 1 : (int64_t)i); }

static int64_t nearest_index(enet_resize_nearest mode, double x, int64_t len) {
  switch (mode) {
    case ENET_NEAREST_ROUND_PREFER_FLOOR: return clamp_index(ceil(x - 0.5), len); /* halves go down */
    case ENET_NEAREST_ROUND_PREFER_CEIL: return clamp_index(floor(x + 0.5), len); /* halves go up */
    case ENET_NEAREST_FLOOR: return clamp_index(floor(x), len);
    default: return clamp_index(ceil(x), len);
  }
}

/* Linear taps at x: x is clamped to [0, len - 1], then blends floor(x) and the next index. */
static void linear_taps(double x, int64_t len, int64_t* i0, int64_t* i1, double* w1) {
  x = x < 0.0 ? 0.0 : (x > (double)(len - 1) ? (double)(len - 1) : x);
  double f = floor(x);
  *w1 = x - f;
  *i0 = (int64_t)f;
  *i1 = *i0 + 1 < len ? *i0 + 1 : len - 1;
}

void enet_ref_resize_f32(const enet_resize_params* p, int64_t batch, int64_t in_h, int64_t in_w, int64_t channels,
                         int64_t out_h, int64_t out_w, const float* x, float* y) {
  for (int64_t n = 0; n < batch; n++)
    for (int64_t oy = 0; oy < out_h; oy++) {
      double sy = source_coordinate(p->coordinates, oy, p->scale_h, in_h, out_h);
      for (int64_t ox = 0; ox < out_w; ox++) {
        double sx = source_coordinate(p->coordinates, ox, p->scale_w, in_w, out_w);
        float* yp = y + ((n * out_h + oy) * out_w + ox) * channels;
        const float* image = x + n * in_h * in_w * channels;
        if (!p->linear) {
          const float* xp = image + (nearest_index(p->nearest, sy, in_h) * in_w + nearest_index(p->nearest, sx, in_w)) * channels;
          for (int64_t c = 0; c < channels; c++) yp[c] = xp[c];
          continue;
        }
        int64_t y0, y1, x0, x1;
        double wy, wx;
        linear_taps(sy, in_h, &y0, &y1, &wy);
        linear_taps(sx, in_w, &x0, &x1, &wx);
        const float *p00 = image + (y0 * in_w + x0) * channels, *p01 = image + (y0 * in_w + x1) * channels;
        const float *p10 = image + (y1 * in_w + x0) * channels, *p11 = image + (y1 * in_w + x1) * channels;
        for (int64_t c = 0; c < channels; c++) {
          /* along H first, then W, as the numpy reference does */
          double left = p00[c] * (1.0 - wy) + p10[c] * wy;
          double right = p01[c] * (1.0 - wy) + p11[c] * wy;
          yp[c] = (float)(left * (1.0 - wx) + right * wx);
        }
      }
    }
}
