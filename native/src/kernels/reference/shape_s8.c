/* Reference int8 constant padding (transpose is dtype-generic, in shape_f32.c). */
#include <string.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference_s8.h"

void enet_ref_pad_s8(int ndim, const int64_t* in_shape, const int64_t* paddings, int8_t value, const int8_t* x,
                     int8_t* y) {
  int64_t out_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0};
  int64_t out_total = 1, in_total = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out_stride[d] = out_total;
    out_total *= in_shape[d] + paddings[2 * d] + paddings[2 * d + 1];
    in_total *= in_shape[d];
  }
  memset(y, (unsigned char)value, (size_t)out_total);
  /* Place each input element at its index shifted by the "before" paddings. */
  int64_t io = 0;
  for (int d = 0; d < ndim; d++) io += paddings[2 * d] * out_stride[d];
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
