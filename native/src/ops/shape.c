/* Data movement ops: RESHAPE, TRANSPOSE, CONCAT (any dtype) and PAD (float). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/optimized.h" /* enet_pad_constant */
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_reshape_options(const enet_op_options* options) {
  const enet_ReshapeOptions* o = &options->reshape;
  int dynamic = 0;
  for (int i = 0; i < o->num_new_shape; i++) {
    if (o->new_shape[i] < -1)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "ReshapeOptions.new_shape[%d] = %lld", i,
                            (long long)o->new_shape[i]);
    dynamic += o->new_shape[i] == -1;
  }
  if (dynamic > 1) return enet_set_error(ENET_ERROR_INVALID_MODEL, "ReshapeOptions.new_shape has more than one -1");
  return ENET_OK;
}

enet_status enet_check_transpose_options(const enet_op_options* options) {
  const enet_TransposeOptions* o = &options->transpose;
  for (int i = 0; i < o->num_perm; i++)
    if (o->perm[i] < 0 || o->perm[i] >= o->num_perm)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "TransposeOptions.perm[%d] = %lld out of range", i,
                            (long long)o->perm[i]);
  return ENET_OK;
}

enet_status enet_check_concat_options(const enet_op_options* options) {
  if (options->concat.axis < 0 || options->concat.axis >= ENET_MAX_DIMS)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "ConcatOptions.axis %d out of range", options->concat.axis);
  return ENET_OK;
}

enet_status enet_check_pad_options(const enet_op_options* options) {
  const enet_PadOptions* o = &options->pad;
  switch (o->mode) {
    case ENET_PadMode_CONSTANT:
    case ENET_PadMode_REFLECT:
    case ENET_PadMode_EDGE:
      break;
    default:
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "PadOptions.mode %d is unknown", o->mode);
  }
  for (int i = 0; i < o->num_paddings; i++)
    if (o->paddings[i] < 0)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "PadOptions.paddings[%d] = %lld is negative", i,
                            (long long)o->paddings[i]);
  return ENET_OK;
}

/* Data movement keeps the dtype: every input must match the output's. */
static enet_status check_same_dtype(const enet_op_context* ctx) {
  int dtype = ctx->outputs[0]->def->dtype;
  for (int i = 0; i < ctx->num_inputs; i++)
    if (ctx->inputs[i]->def->dtype != dtype)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d has dtype %s but the output is %s", i,
                            enet_dtype_name(ctx->inputs[i]->def->dtype), enet_dtype_name(dtype));
  return ENET_OK;
}

/* RESHAPE: the target is ReshapeOptions.new_shape, or the output tensor's
 * declared shape when the options give none; one -1 takes the remaining size. */
enet_status enet_reshape_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  const enet_op_options* o = &ctx->op->options;
  enet_status s = check_same_dtype(ctx);
  if (s == ENET_OK && enet_is_int8_op(ctx)) s = enet_check_same_quant(ctx);
  if (s != ENET_OK) return s;
  /* No new_shape in the file: the output tensor's declared shape. */
  int ndim = o->reshape.has_new_shape ? o->reshape.num_new_shape : ctx->outputs[0]->def->ndim;
  const int64_t* target = o->reshape.has_new_shape ? o->reshape.new_shape : ctx->outputs[0]->def->shape;
  int64_t shape[ENET_MAX_DIMS], known = 1;
  int dynamic = -1;
  for (int d = 0; d < ndim; d++) {
    shape[d] = target[d];
    if (shape[d] == -1) {
      if (dynamic >= 0) return enet_set_error(ENET_ERROR_INVALID_MODEL, "target shape has more than one -1");
      dynamic = d;
    } else if (!enet_mul_i64(known, shape[d], &known)) {
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "target shape element count overflows");
    }
  }
  int64_t total = enet_tensor_elements(x);
  if (dynamic >= 0) {
    if (known == 0 || total % known != 0)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot reshape %lld elements with -1 in dim %d",
                            (long long)total, dynamic);
    shape[dynamic] = total / known;
  } else if (known != total) {
    char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot reshape %s into %s",
                          enet_format_shape(a, sizeof a, x->ndim, x->shape), enet_format_shape(b, sizeof b, ndim, shape));
  }
  enet_set_output_shape(ctx->outputs[0], ndim, shape);
  return ENET_OK;
}

void enet_reshape_invoke(const enet_op_context* ctx) {
  if (ctx->inputs[0]->bytes) memcpy(ctx->outputs[0]->data, ctx->inputs[0]->data, ctx->inputs[0]->bytes);
}

/* TRANSPOSE: output dim d is input dim perm[d]; an empty perm reverses (numpy default). */
static void transpose_perm(const enet_op_context* ctx, int* perm) {
  int ndim = ctx->inputs[0]->ndim;
  for (int d = 0; d < ndim; d++)
    perm[d] = ctx->op->options.transpose.num_perm ? ctx->op->options.transpose.perm[d] : ndim - 1 - d;
}

/* NCHW -> NHWC of a three-plane image (the first op of a model from a channels-first framework)
 * through the family's interleave kernel, when it has one for the element size. */
typedef struct interleave3_state {
  enet_x32_interleave3_ukernel x32;
  enet_x8_interleave3_ukernel x8;
} interleave3_state;

static enet_status prepare_interleave3(enet_op_context* ctx, const int* perm) {
  const enet_rt_tensor* x = ctx->inputs[0];
  size_t size = enet_dtype_size((enet_dtype)x->def->dtype);
  if (x->ndim != 4 || perm[0] != 0 || perm[1] != 2 || perm[2] != 3 || perm[3] != 1 || x->shape[1] != 3) return ENET_OK;
  const enet_f32_kernels* f = size == 4 ? enet_f32_kernels_for(ctx->isa) : NULL;
  const enet_qs8_kernels* q = size == 1 ? enet_qs8_kernels_for(ctx->isa) : NULL;
  interleave3_state found = {f ? f->interleave3 : NULL, q ? q->interleave3 : NULL};
  if (!found.x32 && !found.x8) return ENET_OK;
  interleave3_state* st = enet_alloc_op_state(ctx, sizeof *st);
  if (!st) return ENET_ERROR_OUT_OF_MEMORY;
  *st = found;
  if (found.x32)
    snprintf(ctx->kernel, sizeof ctx->kernel, "%s", f->interleave3_name);
  else
    snprintf(ctx->kernel, sizeof ctx->kernel, "x8-interleave3-%s", enet_isa_name(q->isa));
  ctx->optimized = 1;
  return ENET_OK;
}

static void interleave3(const enet_op_context* ctx, const interleave3_state* st) {
  const enet_rt_tensor* x = ctx->inputs[0];
  size_t pixels = (size_t)(x->shape[2] * x->shape[3]);
  for (int64_t b = 0; b < x->shape[0]; b++) {
    size_t offset = (size_t)b * 3 * pixels;
    if (st->x32)
      st->x32(pixels, (const uint32_t*)x->data + offset, (uint32_t*)ctx->outputs[0]->data + offset);
    else
      st->x8(pixels, (const uint8_t*)x->data + offset, (uint8_t*)ctx->outputs[0]->data + offset);
  }
}

enet_status enet_transpose_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  enet_status s = check_same_dtype(ctx);
  if (s == ENET_OK && enet_is_int8_op(ctx)) s = enet_check_same_quant(ctx);
  if (s != ENET_OK) return s;
  int n = ctx->op->options.transpose.num_perm;
  if (n != 0 && n != x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "perm has %d entries for an input of rank %d", n, x->ndim);
  int perm[ENET_MAX_DIMS], seen[ENET_MAX_DIMS] = {0};
  int64_t shape[ENET_MAX_DIMS];
  transpose_perm(ctx, perm);
  for (int d = 0; d < x->ndim; d++) {
    if (seen[perm[d]]++) return enet_set_error(ENET_ERROR_INVALID_MODEL, "perm is not a permutation (%d repeats)", perm[d]);
    shape[d] = x->shape[perm[d]];
  }
  enet_set_output_shape(ctx->outputs[0], x->ndim, shape);
  return prepare_interleave3(ctx, perm);
}

void enet_transpose_invoke(const enet_op_context* ctx) {
  const interleave3_state* st = ctx->state;
  if (st) {
    interleave3(ctx, st);
    return;
  }
  int perm[ENET_MAX_DIMS];
  transpose_perm(ctx, perm);
  enet_ref_transpose(ctx->inputs[0]->ndim, ctx->inputs[0]->shape, perm,
                     enet_dtype_size((enet_dtype)ctx->inputs[0]->def->dtype), ctx->inputs[0]->data,
                     ctx->outputs[0]->data);
}

/* int8 CONCAT with the vector table lookup: an input quantized like the output is
 * copied, any other is requantized through a table of its 256 values (the reference
 * requantization applied once per value, so the bytes equal enet_concat_s8_invoke's).
 * The tables depend only on the quantization, so prepare builds them once. */
typedef struct concat_s8_input {
  int same; /* quantized like the output: a plain copy */
  int8_t table[256];
  uint8_t probe[16][16]; /* the lut kernel's view of the table (enet_qs8_lut_probe) */
} concat_s8_input;
typedef struct concat_s8_lut_state {
  const enet_qs8_kernels* k;
  concat_s8_input inputs[]; /* one per op input */
} concat_s8_lut_state;

/* Replaces the int8 state (the requantization of each input) by the tables, when the
 * selected family has a lut kernel. */
static enet_status prepare_concat_s8_lut(enet_op_context* ctx) {
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  if (!k || !k->lut) return ENET_OK;
  enet_s8_state* st = ctx->state;
  ctx->state = NULL;
  concat_s8_lut_state* lut =
      enet_alloc_op_state(ctx, sizeof *lut + (size_t)ctx->num_inputs * sizeof(concat_s8_input));
  if (!lut) {
    ctx->state = st;
    return ENET_ERROR_OUT_OF_MEMORY;
  }
  lut->k = k;
  int8_t levels[256];
  for (int v = 0; v < 256; v++) levels[v] = (int8_t)(v - 128);
  for (int i = 0; i < ctx->num_inputs; i++) {
    const enet_tensor_def* def = ctx->inputs[i]->def;
    concat_s8_input* in = &lut->inputs[i];
    in->same = def->scale[0] == ctx->outputs[0]->def->scale[0] && def->zero_point[0] == st->out.zero_point;
    if (in->same) continue;
    enet_ref_requantize_s8(256, levels, (int32_t)def->zero_point[0], st->requant[i], &st->out, in->table);
    enet_qs8_lut_probe(k, in->table, in->probe);
  }
  free(st);
  ctx->optimized = 1;
  snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-concat-lut-%s", enet_isa_name(k->isa));
  return ENET_OK;
}

/* CONCAT along ConcatOptions.axis; all other dims must agree. */
enet_status enet_concat_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* first = ctx->inputs[0];
  int axis = ctx->op->options.concat.axis;
  enet_status s = check_same_dtype(ctx);
  if (s != ENET_OK) return s;
  if (axis >= first->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "axis %d out of range for inputs of rank %d", axis, first->ndim);
  int64_t shape[ENET_MAX_DIMS];
  enet_set_output_shape(ctx->outputs[0], first->ndim, first->shape);
  for (int d = 0; d < first->ndim; d++) shape[d] = first->shape[d];
  shape[axis] = 0;
  for (int i = 0; i < ctx->num_inputs; i++) {
    const enet_rt_tensor* x = ctx->inputs[i];
    int same = x->ndim == first->ndim;
    for (int d = 0; same && d < x->ndim; d++) same = d == axis || x->shape[d] == first->shape[d];
    if (!same) {
      char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d shape %s does not match input 0 shape %s outside axis %d",
                            i, enet_format_shape(a, sizeof a, x->ndim, x->shape),
                            enet_format_shape(b, sizeof b, first->ndim, first->shape), axis);
    }
    if (x->shape[axis] > INT64_MAX - shape[axis])
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "concatenated size overflows");
    shape[axis] += x->shape[axis];
  }
  enet_set_output_shape(ctx->outputs[0], first->ndim, shape);
  /* int8 inputs may each have their own scale: ops/shape_s8.c requantizes them. */
  if (!enet_is_int8_op(ctx)) return ENET_OK;
  s = enet_concat_s8_prepare(ctx);
  return s == ENET_OK ? prepare_concat_s8_lut(ctx) : s;
}

void enet_concat_rows(const enet_op_context* ctx, int64_t* outer, int64_t* inner, int64_t* out_row) {
  const enet_rt_tensor* first = ctx->inputs[0];
  int axis = ctx->op->options.concat.axis;
  *outer = 1, *inner = 1, *out_row = 0;
  for (int d = 0; d < axis; d++) *outer *= first->shape[d];
  for (int d = axis + 1; d < first->ndim; d++) *inner *= first->shape[d];
  for (int i = 0; i < ctx->num_inputs; i++) *out_row += ctx->inputs[i]->shape[axis] * *inner;
}

static void concat_s8_lut(const enet_op_context* ctx) {
  const concat_s8_lut_state* lut = ctx->state;
  int axis = ctx->op->options.concat.axis;
  int64_t outer, inner, out_row, offset = 0;
  enet_concat_rows(ctx, &outer, &inner, &out_row);
  for (int i = 0; i < ctx->num_inputs; i++) {
    const concat_s8_input* in = &lut->inputs[i];
    int64_t row = ctx->inputs[i]->shape[axis] * inner;
    const int8_t* src = ctx->inputs[i]->data;
    int8_t* dst = (int8_t*)ctx->outputs[0]->data + offset;
    for (int64_t o = 0; o < outer && row; o++) {
      if (in->same)
        memcpy(dst + o * out_row, src + o * row, (size_t)row);
      else
        lut->k->lut((size_t)row, src + o * row, dst + o * out_row, in->table, in->probe);
    }
    offset += row;
  }
}

void enet_concat_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) { /* tables from prepare, or the reference (ops_s8.h) */
    if (ctx->optimized)
      concat_s8_lut(ctx);
    else
      enet_concat_s8_invoke(ctx);
    return;
  }
  /* For each outer index, every input contributes one contiguous row (its dims
   * from `axis` inward); rows are laid side by side in the output. */
  int axis = ctx->op->options.concat.axis;
  size_t elem = enet_dtype_size((enet_dtype)ctx->inputs[0]->def->dtype);
  int64_t outer, inner, out_elems;
  enet_concat_rows(ctx, &outer, &inner, &out_elems);
  size_t out_row = (size_t)out_elems * elem, offset = 0;
  for (int i = 0; i < ctx->num_inputs; i++) {
    size_t row = (size_t)(ctx->inputs[i]->shape[axis] * inner) * elem;
    const char* src = ctx->inputs[i]->data;
    char* dst = (char*)ctx->outputs[0]->data + offset;
    for (int64_t o = 0; o < outer && row; o++) memcpy(dst + (size_t)o * out_row, src + (size_t)o * row, row);
    offset += row;
  }
}

/* PAD with a constant: PadOptions.paddings holds (before, after) per dim. */
enet_status enet_pad_prepare(enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  const enet_op_options* o = &ctx->op->options;
  if (o->pad.mode != ENET_PadMode_CONSTANT) return enet_border_pad_prepare(ctx); /* ops/data.c */
  int int8 = enet_is_int8_op(ctx); /* int8 kernel: ops/shape_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s != ENET_OK) return s;
  if (o->pad.num_paddings != 2 * x->ndim)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "paddings has %d entries; an input of rank %d needs %d", o->pad.num_paddings,
                          x->ndim, 2 * x->ndim);
  int64_t shape[ENET_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d] + o->pad.paddings[2 * d] + o->pad.paddings[2 * d + 1];
  enet_set_output_shape(ctx->outputs[0], x->ndim, shape);
  if (ctx->isa != ENET_ISA_REFERENCE) snprintf(ctx->kernel, sizeof ctx->kernel, "pad-constant-rows");
  return int8 ? enet_pad_s8_prepare(ctx) : ENET_OK;
}

void enet_pad_invoke(const enet_op_context* ctx) {
  if (ctx->op->options.pad.mode != ENET_PadMode_CONSTANT) {
    enet_border_pad_invoke(ctx);
    return;
  }
  /* Row-wise fill and memcpy (kernels/pad_constant.c), equal to the reference kernels;
   * int8 pads with the constant quantized at prepare (ops/shape_s8.c). */
  const enet_rt_tensor* x = ctx->inputs[0];
  if (ctx->isa == ENET_ISA_REFERENCE) { /* the reference kernels, kept selectable for tests */
    if (enet_is_int8_op(ctx))
      enet_pad_s8_invoke(ctx);
    else
      enet_ref_pad_f32(x->ndim, x->shape, ctx->op->options.pad.paddings, ctx->op->options.pad.constant_value, x->data,
                       ctx->outputs[0]->data);
  } else if (enet_is_int8_op(ctx)) {
    enet_pad_constant(x->ndim, x->shape, ctx->op->options.pad.paddings, 1,
                      &((const enet_s8_state*)ctx->state)->pad_value, x->data, ctx->outputs[0]->data);
  } else {
    enet_pad_constant(x->ndim, x->shape, ctx->op->options.pad.paddings, sizeof(float), &ctx->op->options.pad.constant_value,
                      x->data, ctx->outputs[0]->data);
  }
}

/* ---- SHAPE: the run-time dims of x as an INT32 or INT64 vector (x of any dtype) ---- */

enet_status enet_shape_prepare(enet_op_context* ctx) {
  int dtype = ctx->outputs[0]->def->dtype;
  if (dtype != ENET_DataType_INT32 && dtype != ENET_DataType_INT64)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "the output has dtype %s; SHAPE gives INT32 or INT64",
                          enet_dtype_name(dtype));
  int64_t rank = ctx->inputs[0]->ndim;
  enet_set_output_shape(ctx->outputs[0], 1, &rank);
  return ENET_OK;
}

void enet_shape_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor* x = ctx->inputs[0];
  void* out = ctx->outputs[0]->data;
  for (int d = 0; d < x->ndim; d++) {
    if (ctx->outputs[0]->def->dtype == ENET_DataType_INT32)
      ((int32_t*)out)[d] = (int32_t)x->shape[d]; /* dims < 2^31: a tensor's bytes fit in memory */
    else
      ((int64_t*)out)[d] = x->shape[d];
  }
}
