/* Reference data movement kernels: transpose and pad. */
#include <string.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

/* Copies n elements of `size` bytes from src (stride src_step elements) to dst (stride dst_step). */
static void strided_copy(size_t size, int64_t n, const char* src, int64_t src_step, char* dst, int64_t dst_step) {
  switch (size) { /* typed loops for the common sizes: a memcpy call per element is slow */
#define COPY(T)                                                                                          \
  for (int64_t j = 0; j < n; j++) ((T*)(void*)dst)[j * dst_step] = ((const T*)(const void*)src)[j * src_step]; \
  break;
    case 1: COPY(uint8_t)
    case 2: COPY(uint16_t)
    case 4: COPY(uint32_t)
    case 8: COPY(uint64_t)
#undef COPY
    default:
      for (int64_t j = 0; j < n; j++) memcpy(dst + (size_t)(j * dst_step) * size, src + (size_t)(j * src_step) * size, size);
  }
}

/* [batch][planes][pixels] -> [batch][pixels][planes] for 2-4 planes (an NCHW image in, NHWC out: the
 * first op of every model converted from a channels-first framework). One pass writing whole
 * pixels, with the plane count a constant in each loop. */
#define INTERLEAVE_PLANES(T, PLANES)                                                        \
  for (int64_t b = 0; b < batch; b++) {                                                     \
    const T* src = (const T*)x + b * PLANES * pixels;                                       \
    T* dst = (T*)y + b * PLANES * pixels;                                                   \
    for (int64_t i = 0; i < pixels; i++, dst += PLANES)                                     \
      for (int c = 0; c < PLANES; c++) dst[c] = src[c * pixels + i];                        \
  }
#define INTERLEAVE_BY_PLANES(T)                                   \
  switch (planes) {                                               \
    case 2: INTERLEAVE_PLANES(T, 2) return 1;                      \
    case 3: INTERLEAVE_PLANES(T, 3) return 1;                      \
    case 4: INTERLEAVE_PLANES(T, 4) return 1;                      \
    default: return 0;                                            \
  }
static int interleave_planes(int64_t batch, int64_t planes, int64_t pixels, size_t elem_size, const void* x,
                             void* y) {
  if (elem_size == 1) INTERLEAVE_BY_PLANES(uint8_t)
  if (elem_size == 4) INTERLEAVE_BY_PLANES(uint32_t)
  return 0;
}
#undef INTERLEAVE_BY_PLANES
#undef INTERLEAVE_PLANES

void enet_ref_transpose(int ndim, const int64_t* in_shape, const int* perm, size_t elem_size, const void* x,
                        void* y) {
  if (ndim == 4 && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1 &&
      interleave_planes(in_shape[0], in_shape[1], in_shape[2] * in_shape[3], elem_size, x, y))
    return;
  int64_t in_stride[ENET_MAX_DIMS], out_shape[ENET_MAX_DIMS], out_stride[ENET_MAX_DIMS], step[ENET_MAX_DIMS],
      index[ENET_MAX_DIMS] = {0};
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
  if (total == 0) return;
  s = 1;
  for (int d = ndim - 1; d >= 0; d--) out_stride[d] = s, s *= out_shape[d];
  if (ndim == 0) {
    memcpy(y, x, elem_size);
    return;
  }
  /* The innermost loop runs along one output dim: the last one, or the one that
   * reads the input's last (contiguous) dim when that is longer (NCHW -> NHWC with
   * 3 channels: along W, not C). The other dims advance as an odometer. */
  int inner = ndim - 1;
  for (int d = 0; d < ndim; d++)
    if (perm[d] == ndim - 1 && out_shape[d] > out_shape[inner]) inner = d;
  const char* src = x;
  char* dst = y;
  int64_t ii = 0, oi = 0;
  for (int64_t done = 0; done < total; done += out_shape[inner]) {
    strided_copy(elem_size, out_shape[inner], src + (size_t)ii * elem_size, step[inner], dst + (size_t)oi * elem_size,
                 out_stride[inner]);
    for (int d = ndim - 1; d >= 0; d--) {
      if (d == inner) continue;
      ii += step[d], oi += out_stride[d];
      if (++index[d] < out_shape[d]) break;
      ii -= step[d] * out_shape[d], oi -= out_stride[d] * out_shape[d];
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
