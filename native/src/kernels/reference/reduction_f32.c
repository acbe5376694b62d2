/* Reference float reductions (sum, max, min over any axes) and arg-reductions. */
#include <math.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

void enet_ref_reduce_f32(enet_reduce_op op, int ndim, const int64_t* shape, const uint8_t* reduce, const float* x,
                         float* y) {
  int64_t out_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1, out_total = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out_stride[d] = reduce[d] ? 0 : out_total; /* reduced dims do not move the output */
    if (!reduce[d]) out_total *= shape[d];
    total *= shape[d];
  }
  /* Identity of each reduction (an empty max is -inf, as numpy's with initial=-inf). */
  float init = op == ENET_REDUCE_SUM ? 0.0f : op == ENET_REDUCE_MAX ? -INFINITY : INFINITY;
  for (int64_t i = 0; i < out_total; i++) y[i] = init;
  int64_t io = 0;
  for (int64_t i = 0; i < total; i++) {
    float v = x[i];
    switch (op) {
      case ENET_REDUCE_SUM: y[io] += v; break;
      case ENET_REDUCE_MAX: y[io] = (v > y[io] || isnan(v)) ? v : y[io]; break;
      case ENET_REDUCE_MIN: y[io] = (v < y[io] || isnan(v)) ? v : y[io]; break;
    }
    for (int d = ndim - 1; d >= 0; d--) {
      io += out_stride[d];
      if (++index[d] < shape[d]) break;
      io -= out_stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

void enet_ref_arg_reduce_f32(int is_max, int select_last, int64_t outer, int64_t axis_len, int64_t inner,
                             const float* x, int64_t* y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const float* xp = x + o * axis_len * inner + in;
      int64_t best = 0;
      for (int64_t k = 1; k < axis_len; k++) {
        float v = xp[k * inner], b = xp[best * inner];
        int better = is_max ? v > b : v < b;
        if (better || (select_last && v == b)) best = k;
      }
      y[o * inner + in] = best;
    }
}
