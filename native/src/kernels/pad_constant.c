/*
 * pad_constant.c — PAD with a constant, any element size: the output is
 * written row by row (a row = the innermost padded dim together with every
 * unpadded dim inside it, one contiguous block in both tensors), each row as
 * "fill, memcpy the input row, fill" or a plain fill when the row lies in the
 * border. The per-element odometer of enet_ref_pad_f32 / enet_ref_pad_s8 did
 * the same placement one element at a time. Only bytes move: the results
 * equal the reference kernels' exactly.
 */
#include <string.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "optimized.h"

/* Writes `count` copies of the elem_size-byte `value` to dst. */
static void fill(char* dst, size_t count, size_t elem_size, const void* value) {
  if (count == 0) return;
  const unsigned char* v = value;
  int same_bytes = 1; /* 0.0f and every int8 value: one memset */
  for (size_t i = 1; i < elem_size; i++) same_bytes &= v[i] == v[0];
  if (same_bytes) {
    memset(dst, v[0], count * elem_size);
  } else if (elem_size == 4) {
    uint32_t word;
    memcpy(&word, value, 4);
    uint32_t* d = (uint32_t*)(void*)dst; /* tensors are element-aligned */
    for (size_t i = 0; i < count; i++) d[i] = word;
  } else {
    for (size_t i = 0; i < count; i++) memcpy(dst + i * elem_size, value, elem_size);
  }
}

void enet_pad_constant(int ndim, const int64_t* in_shape, const int64_t* paddings, size_t elem_size,
                       const void* value, const void* x, void* y) {
  /* k: the innermost dim with any padding; the dims inside it are copied whole. */
  int k = ndim - 1;
  while (k >= 0 && paddings[2 * k] == 0 && paddings[2 * k + 1] == 0) k--;
  size_t in_total = elem_size;
  for (int d = 0; d < ndim; d++) in_total *= (size_t)in_shape[d];
  if (k < 0) { /* nothing to pad (or rank 0) */
    if (in_total) memcpy(y, x, in_total);
    return;
  }
  size_t inner = 1; /* elements per index of dim k */
  for (int d = k + 1; d < ndim; d++) inner *= (size_t)in_shape[d];
  const size_t before = (size_t)paddings[2 * k] * inner, copy = (size_t)in_shape[k] * inner,
               after = (size_t)paddings[2 * k + 1] * inner, row = before + copy + after;
  int64_t rows = 1, index[ENET_MAX_DIMS] = {0}, out_shape[ENET_MAX_DIMS];
  for (int d = 0; d < k; d++) {
    out_shape[d] = in_shape[d] + paddings[2 * d] + paddings[2 * d + 1];
    rows *= out_shape[d];
  }
  const char* src = x;
  char* dst = y;
  for (int64_t r = 0; r < rows; r++, dst += row * elem_size) {
    int inside = 1; /* does this output row hold an input row? */
    for (int d = 0; d < k && inside; d++) inside = index[d] >= paddings[2 * d] && index[d] < paddings[2 * d] + in_shape[d];
    if (inside) {
      fill(dst, before, elem_size, value);
      if (copy) memcpy(dst + before * elem_size, src, copy * elem_size);
      fill(dst + (before + copy) * elem_size, after, elem_size, value);
      src += copy * elem_size; /* inside rows come in the input's order */
    } else {
      fill(dst, row, elem_size, value);
    }
    for (int d = k - 1; d >= 0; d--) { /* odometer over the outer output dims */
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
}
