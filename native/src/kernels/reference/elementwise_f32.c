/* Reference float elementwise ops: broadcasting binary ops and activations. */
#include <math.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

/* The innermost dim runs as a plain loop (each input's step there is 0 or 1), and
 * an odometer walks the outer dims: the same per-element arithmetic as a flat loop,
 * without per-element index bookkeeping, so the inner loops vectorize. */
static void binary_row(enet_binary_op op, int64_t n, const float* a, int64_t sa, const float* b, int64_t sb,
                       float* y) {
  switch (op) {
    case ENET_BINARY_ADD:
      for (int64_t k = 0; k < n; k++) y[k] = a[k * sa] + b[k * sb];
      break;
    case ENET_BINARY_SUB:
      for (int64_t k = 0; k < n; k++) y[k] = a[k * sa] - b[k * sb];
      break;
    default:
      for (int64_t k = 0; k < n; k++) y[k] = a[k * sa] * b[k * sb];
      break;
  }
}

void enet_ref_binary_f32(enet_binary_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                         const float* a, const int64_t* b_shape, const float* b, float* y) {
  if (ndim == 0) { /* scalars */
    binary_row(op, 1, a, 0, b, 0, y);
    return;
  }
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
  const int last = ndim - 1;
  const int64_t row = out_shape[last];
  if (row == 0) return;
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < total; i += row) {
    binary_row(op, row, a + ia, a_stride[last], b + ib, b_stride[last], y + i);
    /* Advance the outer multi-index like an odometer, updating both input offsets. */
    for (int d = last - 1; d >= 0; d--) {
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

/* One loop per op (the switch outside): the simple ones then auto-vectorize. */
void enet_ref_unary_f32(enet_unary_op op, int64_t n, const float* x, float* y) {
  switch (op) {
    case ENET_UNARY_RELU:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
      break;
    case ENET_UNARY_RELU6:
      for (int64_t i = 0; i < n; i++) y[i] = relu6(x[i]);
      break;
    case ENET_UNARY_SIGMOID:
      for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
      break;
    case ENET_UNARY_TANH:
      for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
      break;
    case ENET_UNARY_HARD_SWISH:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] * relu6(x[i] + 3.0f) / 6.0f;
      break;
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
  /* Sums in input order (each output's additions happen in the same order as a flat
   * walk); the innermost dim is a plain loop, the outer dims an odometer. */
  const int last = ndim - 1;
  const int64_t row = ndim > 0 ? shape[last] : 1, step = ndim > 0 ? out_stride[last] : 0;
  int64_t io = 0;
  for (int64_t i = 0; row > 0 && i < total; i += row) {
    if (step) {
      for (int64_t k = 0; k < row; k++) y[io + k] += x[i + k];
    } else {
      float* acc = &y[io];
      for (int64_t k = 0; k < row; k++) *acc += x[i + k];
    }
    for (int d = last - 1; d >= 0; d--) {
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
