/* Reference indexing and data movement kernels for any dtype (elements moved
 * as `elem_size` bytes): strided slice, gather, broadcast, depth/space
 * rearrangement, reflect/edge padding, and dtype casts. */
#include <math.h>
#include <string.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

void enet_ref_slice(int ndim, const int64_t* in_shape, const int64_t* start, const int64_t* step,
                    const int64_t* out_shape, size_t elem_size, const void* x, void* y) {
  int64_t in_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1, s = 1, offset = 0;
  for (int d = ndim - 1; d >= 0; d--) {
    in_stride[d] = s;
    s *= in_shape[d];
    total *= out_shape[d];
  }
  for (int d = 0; d < ndim; d++) offset += start[d] * in_stride[d];
  const char* src = x;
  char* dst = y;
  for (int64_t i = 0; i < total; i++) {
    memcpy(dst + (size_t)i * elem_size, src + (size_t)offset * elem_size, elem_size);
    for (int d = ndim - 1; d >= 0; d--) {
      offset += step[d] * in_stride[d];
      if (++index[d] < out_shape[d]) break;
      offset -= step[d] * in_stride[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

void enet_ref_gather(int64_t outer, int64_t axis_len, int64_t inner, const int64_t* indices, int64_t num_indices,
                     size_t elem_size, const void* x, void* y) {
  const char* src = x;
  char* dst = y;
  size_t row = (size_t)inner * elem_size;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < num_indices; i++) {
      int64_t k = indices[i] < 0 ? indices[i] + axis_len : indices[i]; /* checked by the op */
      memcpy(dst + (size_t)(o * num_indices + i) * row, src + (size_t)(o * axis_len + k) * row, row);
    }
}

void enet_ref_broadcast_to(int ndim, const int64_t* out_shape, const int64_t* in_shape, size_t elem_size,
                           const void* x, void* y) {
  const int64_t* shapes[1] = {in_shape};
  const char* src = x;
  char* dst = y;
  enet_broadcast it;
  enet_broadcast_init(&it, ndim, out_shape, 1, shapes);
  for (int64_t i = 0; i < it.total; i++, enet_broadcast_next(&it))
    memcpy(dst + (size_t)i * elem_size, src + (size_t)it.offset[0] * elem_size, elem_size);
}

void enet_ref_depth_to_space(int to_space, int crd, int64_t batch, int64_t h, int64_t w, int64_t c, int block,
                             size_t elem_size, const void* x, void* y) {
  /* (h, w, c) is the SPACE side: depth_to_space writes it from (h/bs, w/bs, c*bs*bs),
   * space_to_depth reads it. Depth channel of (block row i, block col j, channel k):
   * DCR (default) (i*bs + j)*c + k; CRD k*bs*bs + i*bs + j. */
  int64_t bs = block, dh = h / bs, dw = w / bs, dc = c * bs * bs;
  const char* src = x;
  char* dst = y;
  for (int64_t n = 0; n < batch; n++)
    for (int64_t yy = 0; yy < h; yy++)
      for (int64_t xx = 0; xx < w; xx++)
        for (int64_t k = 0; k < c; k++) {
          int64_t i = yy % bs, j = xx % bs;
          int64_t depth = crd ? k * bs * bs + i * bs + j : (i * bs + j) * c + k;
          size_t space_at = (size_t)(((n * h + yy) * w + xx) * c + k);
          size_t depth_at = (size_t)(((n * dh + yy / bs) * dw + xx / bs) * dc + depth);
          if (to_space)
            memcpy(dst + space_at * elem_size, src + depth_at * elem_size, elem_size);
          else
            memcpy(dst + depth_at * elem_size, src + space_at * elem_size, elem_size);
        }
}

/* Source index along one dim of size n for an output position `o` that is `before` into the padding. */
static int64_t pad_source(enet_pad_mode mode, int64_t o, int64_t before, int64_t n) {
  int64_t i = o - before;
  if (mode == ENET_PAD_EDGE) return i < 0 ? 0 : (i >= n ? n - 1 : i);
  /* REFLECT (mirror without repeating the edge); n == 1 reflects onto itself. */
  if (n == 1) return 0;
  int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

void enet_ref_pad_mode(enet_pad_mode mode, int ndim, const int64_t* in_shape, const int64_t* paddings,
                       size_t elem_size, const void* x, void* y) {
  int64_t out_shape[ENET_MAX_DIMS], in_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1, s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    out_shape[d] = in_shape[d] + paddings[2 * d] + paddings[2 * d + 1];
    in_stride[d] = s;
    s *= in_shape[d];
    total *= out_shape[d];
  }
  const char* src = x;
  char* dst = y;
  for (int64_t i = 0; i < total; i++) {
    int64_t from = 0;
    for (int d = 0; d < ndim; d++) from += pad_source(mode, index[d], paddings[2 * d], in_shape[d]) * in_stride[d];
    memcpy(dst + (size_t)i * elem_size, src + (size_t)from * elem_size, elem_size);
    for (int d = ndim - 1; d >= 0; d--) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
}

/* Reads element i of a tensor of `dtype` as a double (exact for every supported dtype but int64 > 2^53). */
static double load(int dtype, const void* x, int64_t i) {
  switch (dtype) {
    case ENET_FLOAT32: return ((const float*)x)[i];
    case ENET_INT8: return ((const int8_t*)x)[i];
    case ENET_UINT8: return ((const uint8_t*)x)[i];
    case ENET_INT16: return ((const int16_t*)x)[i];
    case ENET_INT32: return ((const int32_t*)x)[i];
    case ENET_BOOL: return ((const uint8_t*)x)[i] != 0;
    default: return (double)((const int64_t*)x)[i];
  }
}

/* Float -> integer conversion truncates toward zero (C and numpy astype); out-of-range values
 * (and NaN) are undefined in C, so they saturate here instead of invoking UB. */
static int64_t to_int(double v, double lo, double hi) {
  if (isnan(v)) return 0;
  if (v <= lo) return (int64_t)lo;
  if (v >= hi) return (int64_t)hi;
  return (int64_t)v;
}

void enet_ref_cast(int in_dtype, int out_dtype, int64_t n, const void* x, void* y) {
  for (int64_t i = 0; i < n; i++) {
    if (in_dtype == ENET_INT64 && out_dtype == ENET_INT64) { /* exact, no double round trip */
      ((int64_t*)y)[i] = ((const int64_t*)x)[i];
      continue;
    }
    double v = load(in_dtype, x, i);
    switch (out_dtype) {
      case ENET_FLOAT32: ((float*)y)[i] = (float)v; break;
      case ENET_INT8: ((int8_t*)y)[i] = (int8_t)to_int(v, INT8_MIN, INT8_MAX); break;
      case ENET_UINT8: ((uint8_t*)y)[i] = (uint8_t)to_int(v, 0, UINT8_MAX); break;
      case ENET_INT16: ((int16_t*)y)[i] = (int16_t)to_int(v, INT16_MIN, INT16_MAX); break;
      case ENET_INT32: ((int32_t*)y)[i] = (int32_t)to_int(v, INT32_MIN, INT32_MAX); break;
      case ENET_BOOL: ((uint8_t*)y)[i] = v != 0.0; break;
      default:
        ((int64_t*)y)[i] = in_dtype == ENET_INT64 ? ((const int64_t*)x)[i] : to_int(v, -9.2233720368547758e18, 9.2233720368547748e18);
        break;
    }
  }
}
