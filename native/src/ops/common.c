/* Helpers shared by the ops' prepare functions. */
#include <math.h>
#include <stdlib.h>

#include "ops.h"
#include "../portable.h" /* enet_aligned_alloc */

int64_t enet_tensor_elements(const enet_rt_tensor* t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

void enet_set_output_shape(enet_rt_tensor* out, int ndim, const int64_t* shape) {
  out->ndim = ndim;
  for (int d = 0; d < ndim; d++) out->shape[d] = shape[d];
}

enet_status enet_check_float(const enet_op_context* ctx) {
  for (int i = 0; i < ctx->num_inputs; i++)
    if (ctx->inputs[i] && ctx->inputs[i]->def->dtype != ENET_DataType_FLOAT32)
      return enet_set_error(ENET_ERROR_UNSUPPORTED, "input %d has dtype %s; only FLOAT32 kernels exist so far", i,
                            enet_dtype_name(ctx->inputs[i]->def->dtype));
  for (int i = 0; i < ctx->num_outputs; i++)
    if (ctx->outputs[i]->def->dtype != ENET_DataType_FLOAT32)
      return enet_set_error(ENET_ERROR_UNSUPPORTED, "output %d has dtype %s; only FLOAT32 kernels exist so far", i,
                            enet_dtype_name(ctx->outputs[i]->def->dtype));
  return ENET_OK;
}

enet_status enet_check_rank(const enet_op_context* ctx, int i, int ndim, const char* what) {
  const enet_rt_tensor* t = ctx->inputs[i];
  if (t->ndim != ndim) {
    char s[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s must have %d dims, got shape %s", what, ndim,
                          enet_format_shape(s, sizeof s, t->ndim, t->shape));
  }
  return ENET_OK;
}

enet_status enet_window_output(int64_t in, int pad_before, int pad_after, int64_t k, int dilation, int stride,
                               const char* what, int64_t* out) {
  int64_t span; /* extent of the dilated kernel */
  if (k < 1 || !enet_mul_i64(k - 1, dilation, &span) || span > INT64_MAX - 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s: kernel size %lld is invalid", what, (long long)k);
  span += 1;
  int64_t padded = in + pad_before + pad_after; /* cannot overflow: in < 2^62, pads < 2^31 */
  if (padded < span)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s: kernel extent %lld exceeds padded input size %lld", what,
                          (long long)span, (long long)padded);
  *out = (padded - span) / stride + 1;
  return ENET_OK;
}

void* enet_alloc_op_state(enet_op_context* ctx, size_t bytes) {
  /* 64-byte aligned for SIMD loads and cache lines (huge pages when large: portable.h); the
   * interpreter frees it with enet_aligned_free. */
  void* block = enet_big_alloc(bytes);
  if (!block) {
    enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory allocating %zu bytes of packed weights/scratch", bytes);
    return NULL;
  }
  ctx->state = block;
  return block;
}

void enet_activation_range(int activation, float* min, float* max) {
  *min = activation == ENET_Activation_NONE ? -INFINITY : 0.0f;
  *max = activation == ENET_Activation_RELU6 ? 6.0f : INFINITY;
}

void enet_aligned_shape(const enet_rt_tensor* t, int ndim, int64_t* out) {
  for (int d = 0; d < ndim; d++) out[d] = 1;
  for (int d = 0; d < t->ndim; d++) out[ndim - t->ndim + d] = t->shape[d];
}

/* The longest block of trailing dims where each operand is either whole (the output's size) or
 * one value: those dims are a row; the dims outside index the rows. */
int enet_split_binary_rows(int ndim, const int64_t* out, const int64_t* as, const int64_t* bs, enet_binary_rows* r) {
  int d = ndim - 1, a_full = -1, b_full = -1;
  r->inner = 1;
  for (; d >= 0; d--) {
    if (out[d] == 1) continue; /* size-1 dims fit any pattern */
    int af = as[d] == out[d], bf = bs[d] == out[d];
    if (a_full < 0) a_full = af, b_full = bf;
    if (af != a_full || bf != b_full) break;
    r->inner *= out[d];
  }
  if (a_full < 0 || r->inner < ENET_BINARY_MIN_ROW) return 0; /* a single element, or short rows */
  r->a_scalar = !a_full, r->b_scalar = !b_full;
  r->outer_ndim = d + 1;
  r->outer = 1;
  int64_t sa = r->a_scalar ? 1 : r->inner, sb = r->b_scalar ? 1 : r->inner; /* elements per row in a, b */
  for (int k = d; k >= 0; k--) {
    r->outer_shape[k] = out[k];
    r->a_stride[k] = as[k] == 1 ? 0 : sa;
    r->b_stride[k] = bs[k] == 1 ? 0 : sb;
    sa *= as[k], sb *= bs[k];
    r->outer *= out[k];
  }
  return 1;
}

void enet_binary_row_start(const enet_binary_rows* r, int64_t row, int64_t* index, int64_t* ia, int64_t* ib) {
  *ia = 0, *ib = 0;
  for (int d = r->outer_ndim - 1; d >= 0; d--) { /* the row's index in the outer dims -> operand offsets */
    index[d] = row % r->outer_shape[d];
    row /= r->outer_shape[d];
    *ia += index[d] * r->a_stride[d], *ib += index[d] * r->b_stride[d];
  }
}

void enet_binary_row_next(const enet_binary_rows* r, int64_t* index, int64_t* ia, int64_t* ib) {
  for (int d = r->outer_ndim - 1; d >= 0; d--) {
    *ia += r->a_stride[d], *ib += r->b_stride[d];
    if (++index[d] < r->outer_shape[d]) return;
    *ia -= r->a_stride[d] * r->outer_shape[d], *ib -= r->b_stride[d] * r->outer_shape[d];
    index[d] = 0;
  }
}

enet_status enet_broadcast_prepare(enet_op_context* ctx, int first, int count) {
  int ndim = 0;
  for (int i = first; i < first + count; i++) ndim = ctx->inputs[i]->ndim > ndim ? ctx->inputs[i]->ndim : ndim;
  int64_t out[ENET_MAX_DIMS];
  for (int d = 0; d < ndim; d++) out[d] = 1;
  for (int i = first; i < first + count; i++) {
    int64_t s[ENET_MAX_DIMS];
    enet_aligned_shape(ctx->inputs[i], ndim, s);
    for (int d = 0; d < ndim; d++) {
      if (s[d] != out[d] && s[d] != 1 && out[d] != 1) {
        char sa[ENET_SHAPE_STR_MAX], sb[ENET_SHAPE_STR_MAX];
        return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d of shape %s does not broadcast with %s", i,
                              enet_format_shape(sa, sizeof sa, ctx->inputs[i]->ndim, ctx->inputs[i]->shape),
                              enet_format_shape(sb, sizeof sb, ndim, out));
      }
      if (out[d] == 1) out[d] = s[d];
    }
  }
  enet_set_output_shape(ctx->outputs[0], ndim, out);
  return ENET_OK;
}

enet_status enet_require_dtype(const enet_rt_tensor* t, int dtype, const char* role) {
  if (t->def->dtype != dtype)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s has dtype %s; this op takes %s", role,
                          enet_dtype_name(t->def->dtype), enet_dtype_name(dtype));
  return ENET_OK;
}
