/* Data movement added for the ONNX importer (Python side: edgenet/ops/data.py). Any dtype;
 * the outputs keep the input's dtype (int8 tensors keep their quantization):
 *   SPLIT            SplitOptions, one output per size
 *   SLICE            SliceOptions (canonical begin/end, see the schema)
 *   GATHER           x, indices (INT32/INT64). GatherOptions. numpy.take
 *   BROADCAST_TO     to the output tensor's declared shape
 *   DEPTH_TO_SPACE, SPACE_TO_DEPTH   DepthSpaceOptions, NHWC
 *   PAD with PadOptions.mode REFLECT or EDGE (border_pad; ops/shape.c hands these over) */
#include <string.h>

#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h" /* enet_check_same_quant */

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_split_options(const enet_op_options* options) {
  const enet_SplitOptions* o = &options->split;
  if (o->axis < 0 || o->axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "SplitOptions.axis %d out of range", o->axis);
  for (int i = 0; i < o->num_sizes; i++)
    if (enet_options_i32(o->sizes, i) < 0)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "SplitOptions.sizes[%d] = %d is negative", i,
                            enet_options_i32(o->sizes, i));
  return ENET_OK;
}

enet_status enet_check_slice_options(const enet_op_options* options) {
  const enet_SliceOptions* o = &options->slice;
  if (o->num_begin != o->num_end || o->num_begin != o->num_strides)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "SliceOptions has %d begins, %d ends and %d strides", o->num_begin,
                          o->num_end, o->num_strides);
  for (int i = 0; i < o->num_begin; i++)
    if (o->strides[i] == 0) return enet_set_error(ENET_ERROR_INVALID_MODEL, "SliceOptions.strides[%d] is 0", i);
  return ENET_OK;
}

enet_status enet_check_gather_options(const enet_op_options* options) {
  if (options->gather.axis < 0 || options->gather.axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "GatherOptions.axis %d out of range", options->gather.axis);
  return ENET_OK;
}

enet_status enet_check_depth_space_options(const enet_op_options* options) {
  if (options->depth_space.block_size < 1 || options->depth_space.block_size > 4096)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "DepthSpaceOptions.block_size %d must be in 1..4096",
                          options->depth_space.block_size);
  return ENET_OK;
}

/* Every output must have the dtype of input 0 and, when quantized, its quantization too:
 * moving int8 values cannot rescale them. */
static enet_status check_moves_dtype(const enet_op_context* ctx) {
  int dtype = ctx->inputs[0]->def->dtype;
  for (int i = 0; i < ctx->num_outputs; i++) {
    if (ctx->outputs[i]->def->dtype != dtype)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "output %d has dtype %s but the input is %s", i,
                            enet_dtype_name(ctx->outputs[i]->def->dtype), enet_dtype_name(dtype));
    enet_op_context output_i = *ctx; /* enet_check_same_quant compares input 0 with output 0 */
    output_i.outputs = &ctx->outputs[i];
    enet_status s = enet_check_same_quant(&output_i);
    if (s != ENET_OK) return s;
  }
  return ENET_OK;
}

static size_t elem_size(const enet_rt_tensor* t) { return enet_dtype_size((enet_dtype)t->def->dtype); }

/* ---- SPLIT ---------------------------------------------------------------------- */

enet_status enet_split_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = ctx->op->options.split.axis, n = ctx->op->options.split.num_sizes;
  enet_status s = check_moves_dtype(ctx);
  if (s != ENET_OK) return s;
  if (axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d", axis, x->ndim);
  if (n != ctx->num_outputs)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "SplitOptions has %d sizes for %d outputs", n, ctx->num_outputs);
  int64_t total = 0, shape[ENET_MAX_DIMS];
  for (int i = 0; i < n; i++) total += enet_options_i32(ctx->op->options.split.sizes, i); /* each < 2^31, n < 2^20 */
  if (total != x->shape[axis])
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "split sizes sum to %lld but dim %d of the input is %lld",
                          (long long)total, axis, (long long)x->shape[axis]);
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  for (int i = 0; i < n; i++) {
    shape[axis] = enet_options_i32(ctx->op->options.split.sizes, i);
    enet_set_output_shape(ctx->outputs[i], x->ndim, shape);
  }
  return ENET_OK;
}

void enet_split_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int axis = ctx->op->options.split.axis;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
  size_t elem = elem_size(x), in_row = (size_t)(x->shape[axis] * inner) * elem, offset = 0;
  /* Output i takes a block of sizes[i] * inner elements from every outer row. */
  for (int i = 0; i < ctx->num_outputs; i++) {
    size_t row = (size_t)(enet_options_i32(ctx->op->options.split.sizes, i) * inner) * elem;
    const char* src = (const char*)x->data + offset;
    char* dst = ctx->outputs[i]->data;
    for (int64_t o = 0; o < outer && row; o++) memcpy(dst + (size_t)o * row, src + (size_t)o * in_row, row);
    offset += row;
  }
}

/* ---- SLICE ---------------------------------------------------------------------- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Start index and length of the slice along every dim. The file's begin/end are canonical
 * (see schema); clamping keeps a dynamic dim's (0, INT32_MAX, 1) and any bad file in range. */
static void slice_geometry(const enet_op_context* ctx, int64_t* start, int64_t* len) {
  const enet_rt_tensor* x = ctx->inputs[0];
  for (int d = 0; d < x->ndim; d++) {
    int64_t size = x->shape[d], step = ctx->op->options.slice.strides[d];
    int64_t b = ctx->op->options.slice.begin[d], e = ctx->op->options.slice.end[d];
    if (step > 0) {
      b = clamp64(b, 0, size), e = clamp64(e, b, size);
      len[d] = (e - b + step - 1) / step;
    } else {
      b = clamp64(b, -1, size - 1), e = clamp64(e, -1, b); /* end -1: through index 0 */
      len[d] = (b - e + (-step) - 1) / (-step);
    }
    start[d] = b;
  }
}

enet_status enet_slice_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_status s = check_moves_dtype(ctx);
  if (s != ENET_OK) return s;
  if (ctx->op->options.slice.num_begin != x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "SliceOptions has %d entries for an input of rank %d",
                          ctx->op->options.slice.num_begin, x->ndim);
  int64_t start[ENET_MAX_DIMS], len[ENET_MAX_DIMS];
  slice_geometry(ctx, start, len);
  enet_set_output_shape(ctx->outputs[0], x->ndim, len);
  return ENET_OK;
}

void enet_slice_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int64_t start[ENET_MAX_DIMS], len[ENET_MAX_DIMS];
  slice_geometry(ctx, start, len);
  if (enet_tensor_elements(ctx->outputs[0]) == 0) return;
  enet_ref_slice(x->ndim, x->shape, start, ctx->op->options.slice.strides, len, elem_size(x), x->data,
                 ctx->outputs[0]->data);
}

/* ---- GATHER --------------------------------------------------------------------- */

/* Index i of `indices` (INT32 or INT64). */
static int64_t index_at(const enet_rt_tensor* indices, int64_t i) {
  return indices->def->dtype == ENET_DataType_INT32 ? ((const int32_t*)indices->data)[i]
                                                     : ((const int64_t*)indices->data)[i];
}

enet_status enet_gather_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *indices = ctx->inputs[1];
  int axis = ctx->op->options.gather.axis;
  enet_status s = check_moves_dtype(ctx);
  if (s != ENET_OK) return s;
  if (indices->def->dtype != ENET_DataType_INT32 && indices->def->dtype != ENET_DataType_INT64)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "indices have dtype %s; INT32 or INT64 expected",
                          enet_dtype_name(indices->def->dtype));
  if (axis >= x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for an input of rank %d", axis, x->ndim);
  int ndim = x->ndim - 1 + indices->ndim;
  if (ndim > ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "output rank %d exceeds %d", ndim, ENET_MAX_DIMS);
  /* Constant indices are checked once here; run-time ones at invoke (enet_fail_invoke). */
  if (indices->def->data) {
    int64_t n = enet_tensor_elements(indices), size = x->shape[axis];
    for (int64_t i = 0; i < n; i++) {
      int64_t k = index_at(indices, i);
      if (k < -size || k >= size)
        return enet_set_error(ENET_ERROR_INVALID_MODEL, "index %lld out of range for dim %d of size %lld",
                              (long long)k, axis, (long long)size);
    }
  }
  if (x->shape[axis] == 0 && enet_tensor_elements(indices) > 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot gather from the empty dim %d", axis);
  int64_t shape[ENET_MAX_DIMS];
  int o = 0;
  for (int d = 0; d < axis; d++) shape[o++] = x->shape[d];
  for (int d = 0; d < indices->ndim; d++) shape[o++] = indices->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) shape[o++] = x->shape[d];
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  /* room for the indices as int64, normalized to [0, size) */
  return enet_alloc_op_state(ctx, (size_t)enet_tensor_elements(indices) * sizeof(int64_t)) ? ENET_OK
                                                                                               : ENET_ERROR_OUT_OF_MEMORY;
}

void enet_gather_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *indices = ctx->inputs[1];
  int axis = ctx->op->options.gather.axis;
  int64_t outer = 1, inner = 1, size = x->shape[axis], n = enet_tensor_elements(indices);
  for (int d = 0; d < axis; d++) outer *= x->shape[d];
  for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
  int64_t* k = ctx->state;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = index_at(indices, i);
    if (v < -size || v >= size) { /* run-time indices: checked here, before any read */
      enet_fail_invoke(ENET_ERROR_INVALID_ARGUMENT, "index %lld at position %lld is out of range for dim %d of size %lld",
                       (long long)v, (long long)i, axis, (long long)size);
      return;
    }
    k[i] = v < 0 ? v + size : v;
  }
  enet_ref_gather(outer, size, inner, k, n, elem_size(x), x->data, ctx->outputs[0]->data);
}

/* ---- BROADCAST_TO ----------------------------------------------------------------- */

enet_status enet_broadcast_to_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  enet_status s = check_moves_dtype(ctx);
  if (s != ENET_OK) return s;
  int ndim = y->def->ndim;
  char xs[ENET_SHAPE_STR_MAX], ys[ENET_SHAPE_STR_MAX];
  if (ndim < x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot broadcast %s to the lower-rank %s",
                          enet_format_shape(xs, sizeof xs, x->ndim, x->shape),
                          enet_format_shape(ys, sizeof ys, ndim, y->def->shape));
  int64_t in[ENET_MAX_DIMS], shape[ENET_MAX_DIMS];
  enet_aligned_shape(x, ndim, in);
  for (int d = 0; d < ndim; d++) {
    shape[d] = y->def->shape[d] < 0 ? in[d] : y->def->shape[d]; /* a dynamic dim follows the input */
    if (in[d] != 1 && in[d] != shape[d])
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot broadcast %s to %s",
                            enet_format_shape(xs, sizeof xs, x->ndim, x->shape),
                            enet_format_shape(ys, sizeof ys, ndim, shape));
  }
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  return ENET_OK;
}

void enet_broadcast_to_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t in[ENET_MAX_DIMS];
  enet_aligned_shape(x, y->ndim, in);
  enet_ref_broadcast_to(y->ndim, y->shape, in, elem_size(x), x->data, y->data);
}

/* ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH ------------------------------------------------- */

enet_status enet_depth_space_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  int64_t b = ctx->op->options.depth_space.block_size;
  int to_space = ctx->op->opcode == ENET_OpCode_DEPTH_TO_SPACE;
  enet_status s = check_moves_dtype(ctx);
  if (s == ENET_OK) s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)");
  if (s != ENET_OK) return s;
  char xs[ENET_SHAPE_STR_MAX];
  int64_t shape[4] = {x->shape[0], 0, 0, 0};
  if (to_space) {
    if (x->shape[3] % (b * b))
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "channels of %s must be a multiple of block_size^2 = %lld",
                            enet_format_shape(xs, sizeof xs, 4, x->shape), (long long)(b * b));
    if (!enet_mul_i64(x->shape[1], b, &shape[1]) || !enet_mul_i64(x->shape[2], b, &shape[2]))
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "output size overflows");
    shape[3] = x->shape[3] / (b * b);
  } else {
    if (x->shape[1] % b || x->shape[2] % b)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "H and W of %s must be multiples of block_size %lld",
                            enet_format_shape(xs, sizeof xs, 4, x->shape), (long long)b);
    shape[1] = x->shape[1] / b, shape[2] = x->shape[2] / b;
    if (!enet_mul_i64(x->shape[3], b * b, &shape[3]))
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "output size overflows");
  }
  enet_set_output_shape(ctx->outputs[0], 4, shape);
  return ENET_OK;
}

void enet_depth_space_invoke(const enet_op_context* ctx) {
  int to_space = ctx->op->opcode == ENET_OpCode_DEPTH_TO_SPACE;
  /* the kernel takes the space-side shape: the output's for depth_to_space, the input's otherwise */
  const enet_rt_tensor* space = to_space ? ctx->outputs[0] : ctx->inputs[0];
  enet_ref_depth_to_space(to_space, ctx->op->options.depth_space.crd, space->shape[0], space->shape[1],
                          space->shape[2], space->shape[3], ctx->op->options.depth_space.block_size,
                          elem_size(ctx->inputs[0]), ctx->inputs[0]->data, ctx->outputs[0]->data);
}

/* ---- PAD, REFLECT and EDGE modes ---------------------------------------------------- */

enet_status enet_border_pad_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  const enet_op_options* o = &ctx->op->options;
  int reflect = o->pad.mode == ENET_PadMode_REFLECT;
  enet_status s = check_moves_dtype(ctx);
  if (s != ENET_OK) return s;
  if (o->pad.num_paddings != 2 * x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "paddings has %d entries; an input of rank %d needs %d", o->pad.num_paddings,
                          x->ndim, 2 * x->ndim);
  int64_t shape[ENET_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) {
    int64_t before = o->pad.paddings[2 * d], after = o->pad.paddings[2 * d + 1];
    int64_t limit = reflect ? x->shape[d] - 1 : (x->shape[d] > 0 ? INT32_MAX : 0); /* edge needs one value */
    if (before > limit || after > limit)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s padding (%lld, %lld) of dim %d does not fit its size %lld",
                            reflect ? "reflect" : "edge", (long long)before, (long long)after, d,
                            (long long)x->shape[d]);
    shape[d] = x->shape[d] + before + after;
  }
  enet_set_output_shape(ctx->outputs[0], x->ndim, shape);
  return ENET_OK;
}

void enet_border_pad_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  if (enet_tensor_elements(ctx->outputs[0]) == 0) return;
  enet_ref_pad_mode(ctx->op->options.pad.mode == ENET_PadMode_REFLECT ? ENET_PAD_REFLECT : ENET_PAD_EDGE, x->ndim,
                    x->shape, ctx->op->options.pad.paddings, elem_size(x), x->data, ctx->outputs[0]->data);
}
