/* Reference float normalizations: layer norm, instance norm, log-softmax.
 * Means and variances accumulate in double so long rows stay accurate. */
#include <math.h>

#include "reference.h"

/* Normalizes n values read every `step` elements: (x - mean) / sqrt(var + eps). */
static void normalize(int64_t n, int64_t step, float epsilon, const float* x, float* y, const float* scale,
                      const float* offset, int64_t param_step) {
  double sum = 0.0, sq = 0.0;
  for (int64_t i = 0; i < n; i++) sum += x[i * step];
  double mean = n > 0 ? sum / (double)n : 0.0;
  for (int64_t i = 0; i < n; i++) {
    double d = x[i * step] - mean;
    sq += d * d;
  }
  double inv_std = 1.0 / sqrt(sq / (double)(n > 0 ? n : 1) + epsilon); /* population variance */
  for (int64_t i = 0; i < n; i++) {
    float v = (float)((x[i * step] - mean) * inv_std);
    if (scale) v *= scale[i * param_step];
    if (offset) v += offset[i * param_step];
    y[i * step] = v;
  }
}

void enet_ref_layer_norm_f32(int64_t outer, int64_t inner, float epsilon, const float* x, const float* scale,
                             const float* offset, float* y) {
  for (int64_t o = 0; o < outer; o++) normalize(inner, 1, epsilon, x + o * inner, y + o * inner, scale, offset, 1);
}

void enet_ref_instance_norm_f32(int64_t batch, int64_t spatial, int64_t channels, float epsilon, const float* x,
                                const float* scale, const float* offset, float* y) {
  /* NHWC: channel c of image n is every `channels`-th value; its scale/offset are one number. */
  for (int64_t n = 0; n < batch; n++)
    for (int64_t c = 0; c < channels; c++) {
      int64_t base = n * spatial * channels + c;
      normalize(spatial, channels, epsilon, x + base, y + base, scale ? scale + c : NULL, offset ? offset + c : NULL,
                0);
    }
}

void enet_ref_log_softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, const float* x, float* y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const float* xp = x + o * axis_len * inner + in;
      float* yp = y + o * axis_len * inner + in;
      float max = -INFINITY;
      double sum = 0.0;
      for (int64_t k = 0; k < axis_len; k++) max = xp[k * inner] > max ? xp[k * inner] : max;
      for (int64_t k = 0; k < axis_len; k++) sum += exp((double)xp[k * inner] - max);
      float log_sum = (float)log(sum);
      for (int64_t k = 0; k < axis_len; k++) yp[k * inner] = xp[k * inner] - max - log_sum;
    }
}
