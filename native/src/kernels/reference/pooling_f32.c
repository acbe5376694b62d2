/* Reference float pooling (NHWC). Padding never contributes to max; for the
 * average it counts only when count_include_pad is set. */
#include "reference.h"

static void pool(const enet_window* g, int is_max, int count_include_pad, const float* x, float* y) {
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t c = 0; c < g->in_c; c++) {
          float acc = 0.0f;
          int64_t count = 0;
          for (int64_t ky = 0; ky < g->k_h; ky++) {
            int64_t iy = oy * g->stride_h - g->pad_top + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            for (int64_t kx = 0; kx < g->k_w; kx++) {
              int64_t ix = ox * g->stride_w - g->pad_left + kx;
              if (ix < 0 || ix >= g->in_w) continue;
              float v = x[((n * g->in_h + iy) * g->in_w + ix) * g->in_c + c];
              if (is_max)
                acc = (count == 0 || v > acc) ? v : acc;
              else
                acc += v;
              count++;
            }
          }
          if (!is_max) {
            int64_t divisor = count_include_pad ? g->k_h * g->k_w : count;
            acc = divisor > 0 ? acc / (float)divisor : 0.0f;
          }
          y[((n * g->out_h + oy) * g->out_w + ox) * g->in_c + c] = acc;
        }
}

void enet_ref_max_pool2d_f32(const enet_window* g, const float* x, float* y) { pool(g, 1, 0, x, y); }

void enet_ref_avg_pool2d_f32(const enet_window* g, int count_include_pad, const float* x, float* y) {
  pool(g, 0, count_include_pad, x, y);
}
