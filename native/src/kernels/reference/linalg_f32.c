/* Reference float linalg kernels (the linalg family: MATMUL, CONV_2D_TRANSPOSE).
 *
 * Batched matrix multiply (numpy matmul semantics). */
#include "reference.h"

void enet_ref_matmul_f32(int batch_ndim, const int64_t* batch_shape, const int64_t* a_batch_shape,
                         const int64_t* b_batch_shape, int64_t m, int64_t k, int64_t n, const float* a, const float* b,
                         const float* bias, float* y) {
  const int64_t* shapes[2] = {a_batch_shape, b_batch_shape};
  enet_broadcast it; /* walks the (broadcast) batch dims; offsets count whole matrices */
  enet_broadcast_init(&it, batch_ndim, batch_shape, 2, shapes);
  for (int64_t p = 0; p < it.total; p++, enet_broadcast_next(&it)) {
    const float* ap = a + it.offset[0] * m * k;
    const float* bp = b + it.offset[1] * k * n;
    float* yp = y + p * m * n;
    /* Row i of y accumulates a[i, q] * b[q, :] for q = 0, 1, ...: b is read row by row (cache
     * friendly), and every y[i, j] still sums its k products in order q = 0..k-1. */
    for (int64_t i = 0; i < m; i++) {
      float* row = yp + i * n;
      for (int64_t j = 0; j < n; j++) row[j] = bias ? bias[j] : 0.0f;
      for (int64_t q = 0; q < k; q++) {
        float aq = ap[i * k + q];
        const float* bq = bp + q * n;
        for (int64_t j = 0; j < n; j++) row[j] += aq * bq[j];
      }
    }
  }
}

/* Reference float transposed convolution (NHWC), the adjoint of conv2d:
 * every input pixel scatters weights * value into the output window it maps to. */

void enet_ref_conv2d_transpose_f32(const enet_window* g, int64_t groups, const float* x, const float* w,
                                   const float* bias, float* y) {
  int64_t in_per_group = g->in_c / groups, out_per_group = g->out_c / groups;
  int64_t out_pixels = g->batch * g->out_h * g->out_w;
  for (int64_t p = 0; p < out_pixels; p++)
    for (int64_t oc = 0; oc < g->out_c; oc++) y[p * g->out_c + oc] = bias ? bias[oc] : 0.0f;
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t iy = 0; iy < g->in_h; iy++)
      for (int64_t ix = 0; ix < g->in_w; ix++) {
        const float* xp = x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c;
        for (int64_t ky = 0; ky < g->k_h; ky++) {
          int64_t oy = iy * g->stride_h - g->pad_top + ky * g->dilation_h;
          if (oy < 0 || oy >= g->out_h) continue; /* cropped by the padding */
          for (int64_t kx = 0; kx < g->k_w; kx++) {
            int64_t ox = ix * g->stride_w - g->pad_left + kx * g->dilation_w;
            if (ox < 0 || ox >= g->out_w) continue;
            float* yp = y + ((n * g->out_h + oy) * g->out_w + ox) * g->out_c;
            for (int64_t oc = 0; oc < g->out_c; oc++) {
              /* weights (Co, KH, KW, Ci/groups): output channel oc reads its group's inputs */
              const float* wp = w + ((oc * g->k_h + ky) * g->k_w + kx) * in_per_group;
              const float* xg = xp + (oc / out_per_group) * in_per_group;
              float acc = 0.0f;
              for (int64_t c = 0; c < in_per_group; c++) acc += xg[c] * wp[c];
              yp[oc] += acc;
            }
          }
        }
      }
}
