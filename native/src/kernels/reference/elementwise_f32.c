/* Reference float elementwise ops: broadcasting binary ops and activations. */
#include <math.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

void enet_ref_binary_f32(enet_binary_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                         const float* a, const int64_t* b_shape, const float* b, float* y) {
  /* Strides of each input in elements, 0 along broadcast dims. */
  int64_t a_stride[ENET_MAX_DIMS], b_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1;
  int64_t sa = 1, sb = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    a_stride[d] = a_shape[d] == 1 ? 0 : sa;
    b_stride[d] = b_shape[d] == 1 ? 0 : sb;
    sa *= a_shape[d];
    sb *= b_shape[d];
    total *= out_shape[d];
  }
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < total; i++) {
    float va = a[ia], vb = b[ib];
    y[i] = op == ENET_BINARY_ADD ? va + vb : op == ENET_BINARY_SUB ? va - vb : va * vb;
    /* Advance the multi-index like an odometer, updating both input offsets. */
    for (int d = ndim - 1; d >= 0; d--) {
      ia += a_stride[d];
      ib += b_stride[d];
      if (++index[d] < out_shape[d]) break;
      ia -= a_stride[d] * out_shape[d];
      ib -= b_stride[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

static float relu6(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }

void enet_ref_unary_f32(enet_unary_op op, int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    switch (op) {
      case ENET_UNARY_RELU: y[i] = v < 0.0f ? 0.0f : v; break;
      case ENET_UNARY_RELU6: y[i] = relu6(v); break;
      case ENET_UNARY_SIGMOID: y[i] = 1.0f / (1.0f + expf(-v)); break;
      case ENET_UNARY_TANH: y[i] = tanhf(v); break;
      case ENET_UNARY_HARD_SWISH: y[i] = v * relu6(v + 3.0f) / 6.0f; break;
    }
  }
}

void enet_ref_clip_f32(int64_t n, float lo, float hi, const float* x, float* y) {
  /* min(max(x, lo), hi), in that order, as the schema defines it. */
  for (int64_t i = 0; i < n; i++) {
    float v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}

void enet_ref_mean_f32(int ndim, const int64_t* shape, const uint8_t* reduce, const float* x, float* y) {
  int64_t out_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1, out_total = 1, count = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out_stride[d] = reduce[d] ? 0 : out_total;
    if (!reduce[d]) out_total *= shape[d];
    else count *= shape[d];
    total *= shape[d];
  }
  for (int64_t i = 0; i < out_total; i++) y[i] = 0.0f;
  int64_t io = 0;
  for (int64_t i = 0; i < total; i++) {
    y[io] += x[i];
    for (int d = ndim - 1; d >= 0; d--) {
      io += out_stride[d];
      if (++index[d] < shape[d]) break;
      io -= out_stride[d] * shape[d];
      index[d] = 0;
    }
  }
  /* numpy's mean of an empty axis is NaN; keep that. */
  for (int64_t i = 0; i < out_total; i++) y[i] = count > 0 ? y[i] / (float)count : NAN;
}

void enet_ref_softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, float beta, const float* x, float* y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const float* xp = x + o * axis_len * inner + in;
      float* yp = y + o * axis_len * inner + in;
      float max = -INFINITY, sum = 0.0f;
      for (int64_t k = 0; k < axis_len; k++) max = xp[k * inner] > max ? xp[k * inner] : max;
      for (int64_t k = 0; k < axis_len; k++) {
        yp[k * inner] = expf(beta * (xp[k * inner] - max));
        sum += yp[k * inner];
      }
      for (int64_t k = 0; k < axis_len; k++) yp[k * inner] /= sum;
    }
}
