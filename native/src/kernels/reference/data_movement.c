/* Reference data movement kernels: transpose and pad. */
#include <string.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

void enet_ref_transpose(int ndim, const int64_t* in_shape, const int* perm, size_t elem_size, const void* x,
                        void* y) {
  int64_t in_stride[ENET_MAX_DIMS], out_shape[ENET_MAX_DIMS], step[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0};
  int64_t total = 1, s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    in_stride[d] = s;
    s *= in_shape[d];
  }
  /* Output dim d walks input dim perm[d]. */
  for (int d = 0; d < ndim; d++) {
    out_shape[d] = in_shape[perm[d]];
    step[d] = in_stride[perm[d]];
    total *= out_shape[d];
  }
  const char* src = x;
  char* dst = y;
  int64_t ii = 0;
  for (int64_t i = 0; i < total; i++) {
    memcpy(dst + (size_t)i * elem_size, src + (size_t)ii * elem_size, elem_size);
    for (int d = ndim - 1; d >= 0; d--) {
      ii += step[d];
      if (++index[d] < out_shape[d]) break;
      ii -= step[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

void enet_ref_pad_f32(int ndim, const int64_t* in_shape, const int64_t* paddings, float value, const float* x,
                      float* y) {
  int64_t out_shape[ENET_MAX_DIMS], out_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0};
  int64_t out_total = 1, in_total = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out_shape[d] = in_shape[d] + paddings[2 * d] + paddings[2 * d + 1];
    out_stride[d] = out_total;
    out_total *= out_shape[d];
    in_total *= in_shape[d];
  }
  for (int64_t i = 0; i < out_total; i++) y[i] = value;
  /* Place each input element at its index shifted by the "before" paddings. */
  int64_t base = 0;
  for (int d = 0; d < ndim; d++) base += paddings[2 * d] * out_stride[d];
  int64_t io = base;
  for (int64_t i = 0; i < in_total; i++) {
    y[io] = x[i];
    for (int d = ndim - 1; d >= 0; d--) {
      io += out_stride[d];
      if (++index[d] < in_shape[d]) break;
      io -= out_stride[d] * in_shape[d];
      index[d] = 0;
    }
  }
}
