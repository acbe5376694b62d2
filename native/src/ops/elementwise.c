/* Elementwise ops: ADD, SUB, MUL (numpy broadcasting), the activations RELU,
 * RELU6, SIGMOID, TANH, HARD_SWISH, and CLIP. In int8 every unary op is a
 * 256-entry table lookup (the table is the op's second, constant input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

static enet_binary_op binary_op(const enet_op_context* ctx) {
  return ctx->op->opcode == ENET_OpCode_ADD   ? ENET_BINARY_ADD
         : ctx->op->opcode == ENET_OpCode_SUB ? ENET_BINARY_SUB
                                              : ENET_BINARY_MUL;
}

/* int8 fast path: when both inputs have the output's shape (residual adds) and the
 * CPU has vector kernels, replace the int8 state by a plan for them
 * (kernels/qs8_elementwise.c; bit-exact with the reference). Broadcasts keep the reference. */
static enet_status prepare_packed_s8(enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  if (a->ndim != y->ndim || b->ndim != y->ndim) return ENET_OK;
  if (binary_op(ctx) == ENET_BINARY_MUL && !enet_requantization_fixed_point(ctx)) return ENET_OK; /* FLOAT32 */
  for (int d = 0; d < y->ndim; d++)
    if (a->shape[d] != y->shape[d] || b->shape[d] != y->shape[d]) return ENET_OK;
  enet_s8_state* st = ctx->state;
  enet_qs8_binary_plan plan;
  if (!enet_qs8_binary_plan_init(&plan, enet_qs8_kernels_for(ctx->isa), binary_op(ctx), &st->binary))
    return ENET_OK;
  ctx->state = NULL;
  void* state = enet_alloc_op_state(ctx, sizeof plan);
  if (!state) {
    ctx->state = st;
    return ENET_ERROR_OUT_OF_MEMORY;
  }
  memcpy(state, &plan, sizeof plan);
  free(st);
  ctx->optimized = 1;
  snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-v%s-%s", binary_op(ctx) == ENET_BINARY_MUL ? "mul" : "add",
           enet_isa_name(plan.k->isa));
  return ENET_OK;
}

static int same_shape(const enet_rt_tensor* a, const enet_rt_tensor* b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

/* Float fast path: same-shape inputs (residual adds) run through the vector
 * kernels (kernels/f32_elementwise.c) with the activation fused into their
 * clamp (the state keeps the kernels and the clamp); broadcasts that split into rows
 * (enet_binary_rows: squeeze-excite scaling) run them row by row. Each element is the
 * reference's single add/sub/mul, so the results are the same bits. Other broadcasts keep the
 * reference. */
#define F32_MIN_ROW 64

typedef struct f32_binary_state {
  const enet_f32_kernels* k;
  float min, max;        /* fused activation clamp */
  int by_rows;           /* 1: a broadcast split into rows */
  enet_binary_rows rows; /* by_rows */
} f32_binary_state;

static enet_status prepare_vector_f32(enet_op_context* ctx) {
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  const enet_rt_tensor* y = ctx->outputs[0];
  int act = ctx->op->activation;
  if (!k || !k->vadd) return ENET_OK;
  if (act != ENET_Activation_NONE && act != ENET_Activation_RELU && act != ENET_Activation_RELU6) return ENET_OK;
  enet_binary_rows rows;
  int same = same_shape(ctx->inputs[0], y) && same_shape(ctx->inputs[1], y);
  if (!same) {
    int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
    enet_aligned_shape(ctx->inputs[0], y->ndim, as);
    enet_aligned_shape(ctx->inputs[1], y->ndim, bs);
    /* A kernel call per row pays from about 64 floats (measured: 16-float rows of a squeeze-excite
     * scale ran slower than the reference loop, 240-float ones 1.4x faster). */
    if (!enet_split_binary_rows(y->ndim, y->shape, as, bs, &rows) || rows.inner < F32_MIN_ROW) return ENET_OK;
  }
  f32_binary_state* st = enet_alloc_op_state(ctx, sizeof *st);
  if (!st) return ENET_ERROR_OUT_OF_MEMORY;
  st->k = k;
  enet_activation_range(act, &st->min, &st->max);
  st->by_rows = !same;
  if (!same) st->rows = rows;
  ctx->optimized = 1;
  ctx->fused_activation = 1;
  snprintf(ctx->kernel, sizeof ctx->kernel, "%s%s", k->vbinary_name, same ? "" : "-rows");
  return ENET_OK;
}

#define F32_SCALAR_CHUNK 256 /* a repeated single value: floats per kernel call */

typedef struct f32_rows_job {
  const f32_binary_state* st;
  enet_f32_vbinary_ukernel kernel;
  const float *a, *b;
  float* y;
} f32_rows_job;

static void f32_rows_task(void* context, size_t begin, size_t end, int thread) {
  const f32_rows_job* job = context;
  const enet_binary_rows* r = &job->st->rows;
  (void)thread;
  int64_t index[ENET_MAX_DIMS], ia, ib; /* the row's index in the outer dims, its operands' offsets */
  enet_binary_row_start(r, (int64_t)begin, index, &ia, &ib);
  for (size_t row = begin; row < end; row++, enet_binary_row_next(r, index, &ia, &ib)) {
    const float *a = job->a + ia, *b = job->b + ib;
    float* y = job->y + (int64_t)row * r->inner;
    float repeated[F32_SCALAR_CHUNK];
    if (r->a_scalar || r->b_scalar)
      for (int i = 0; i < F32_SCALAR_CHUNK; i++) repeated[i] = r->a_scalar ? *a : *b;
    for (int64_t i = 0; i < r->inner;) {
      int64_t m = (r->a_scalar || r->b_scalar) && r->inner - i > F32_SCALAR_CHUNK ? F32_SCALAR_CHUNK : r->inner - i;
      job->kernel((size_t)m, r->a_scalar ? repeated : a + i, r->b_scalar ? repeated : b + i, y + i, job->st->min,
                  job->st->max);
      i += m;
    }
  }
}

static void run_rows_f32(const enet_op_context* ctx, const f32_binary_state* st) {
  enet_binary_op op = binary_op(ctx);
  f32_rows_job job = {st, op == ENET_BINARY_ADD ? st->k->vadd : op == ENET_BINARY_SUB ? st->k->vsub : st->k->vmul,
                      ctx->inputs[0]->data, ctx->inputs[1]->data, ctx->outputs[0]->data};
  size_t rows_per_task = st->rows.inner >= 4096 ? 1 : (size_t)(4096 / st->rows.inner);
  enet_parallel_for(ctx->threadpool, f32_rows_task, &job, (size_t)st->rows.outer, rows_per_task);
}

enet_status enet_binary_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  int int8 = enet_is_int8_op(ctx); /* int8 kernels: ops/elementwise_s8.c */
  enet_status s = int8 ? ENET_OK : enet_check_float(ctx);
  if (s != ENET_OK) return s;
  int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS], out[ENET_MAX_DIMS];
  enet_aligned_shape(a, ndim, as);
  enet_aligned_shape(b, ndim, bs);
  for (int d = 0; d < ndim; d++) {
    if (as[d] != bs[d] && as[d] != 1 && bs[d] != 1) {
      char sa[ENET_SHAPE_STR_MAX], sb[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot broadcast shapes %s and %s",
                            enet_format_shape(sa, sizeof sa, a->ndim, a->shape),
                            enet_format_shape(sb, sizeof sb, b->ndim, b->shape));
    }
    out[d] = as[d] == 1 ? bs[d] : as[d];
  }
  enet_set_output_shape(ctx->outputs[0], ndim, out);
  if (!int8) return prepare_vector_f32(ctx);
  s = enet_binary_s8_prepare(ctx);
  return s == ENET_OK ? prepare_packed_s8(ctx) : s;
}

void enet_binary_invoke(const enet_op_context* ctx) {
  if (ctx->optimized && !enet_is_int8_op(ctx)) { /* float vector kernels, picked at prepare */
    const f32_binary_state* st = ctx->state;
    if (st->by_rows) {
      run_rows_f32(ctx, st);
      return;
    }
    enet_f32_vbinary_run(st->k, binary_op(ctx), ctx->threadpool, (size_t)enet_tensor_elements(ctx->outputs[0]),
                         ctx->inputs[0]->data, ctx->inputs[1]->data, ctx->outputs[0]->data, st->min, st->max);
    return;
  }
  if (ctx->optimized) { /* int8 vector kernels, planned at prepare */
    enet_qs8_binary_run(ctx->state, ctx->threadpool, (size_t)enet_tensor_elements(ctx->outputs[0]),
                        ctx->inputs[0]->data, ctx->inputs[1]->data, ctx->outputs[0]->data);
    return;
  }
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_binary_s8_invoke(ctx);
    return;
  }
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_aligned_shape(a, y->ndim, as);
  enet_aligned_shape(b, y->ndim, bs);
  enet_ref_binary_f32(binary_op(ctx), y->ndim, y->shape, as, a->data, bs, b->data, y->data);
}

/* Float SIGMOID, TANH, HARD_SWISH and SILU run through the vector kernels of the selected
 * family (kernels/f32_elementwise.c), picked once here: the state holds the kernel. */
static enet_status prepare_vector_unary_f32(enet_op_context* ctx) {
  const enet_f32_kernels* k = enet_f32_kernels_for(ctx->isa);
  if (!k) return ENET_OK;
  enet_f32_vunary_ukernel kernel = NULL;
  const char* name = NULL;
  switch (ctx->op->opcode) {
    case ENET_OpCode_SIGMOID: kernel = k->vsigmoid, name = k->vsigmoid_name; break;
    case ENET_OpCode_TANH: kernel = k->vtanh, name = k->vtanh_name; break;
    case ENET_OpCode_HARD_SWISH: kernel = k->vhswish, name = k->vhswish_name; break;
    case ENET_OpCode_SILU: kernel = k->vsilu, name = k->vsilu_name; break;
    default: return ENET_OK;
  }
  if (!kernel) return ENET_OK;
  enet_f32_vunary_ukernel* st = enet_alloc_op_state(ctx, sizeof *st);
  if (!st) return ENET_ERROR_OUT_OF_MEMORY;
  *st = kernel;
  ctx->optimized = 1;
  snprintf(ctx->kernel, sizeof ctx->kernel, "%s", name);
  return ENET_OK;
}

int enet_unary_vector_invoke(const enet_op_context* ctx) {
  if (!ctx->optimized || enet_is_int8_op(ctx)) return 0;
  const enet_f32_vunary_ukernel* kernel = ctx->state;
  enet_f32_vunary_run(*kernel, ctx->threadpool, (size_t)enet_tensor_elements(ctx->inputs[0]), ctx->inputs[0]->data,
                      ctx->outputs[0]->data);
  return 1;
}

/* The reference kernel of a float unary op of this family; 0 for another opcode, which
 * prepare rejects (so a case missing here cannot silently compute another op). */
static int unary_ref_op(int opcode, enet_unary_op* op) {
  switch (opcode) {
    case ENET_OpCode_RELU: *op = ENET_UNARY_RELU; return 1;
    case ENET_OpCode_RELU6: *op = ENET_UNARY_RELU6; return 1;
    case ENET_OpCode_SIGMOID: *op = ENET_UNARY_SIGMOID; return 1;
    case ENET_OpCode_TANH: *op = ENET_UNARY_TANH; return 1;
    case ENET_OpCode_HARD_SWISH: *op = ENET_UNARY_HARD_SWISH; return 1;
    default: return 0;
  }
}

/* Unary ops (here and in math.c) and CLIP keep the input shape. */
enet_status enet_unary_shape_prepare(enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) return enet_lookup_s8_prepare(ctx); /* int8: a table lookup */
  enet_status s = enet_check_float(ctx);
  if (s != ENET_OK) return s;
  if (ctx->num_inputs != 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "float %s takes one input, got %d",
                          enet_opcode_name(ctx->op->opcode), ctx->num_inputs);
  enet_set_output_shape(ctx->outputs[0], ctx->inputs[0]->ndim, ctx->inputs[0]->shape);
  return prepare_vector_unary_f32(ctx);
}

enet_status enet_unary_prepare(enet_op_context* ctx) {
  enet_unary_op op;
  if (!enet_is_int8_op(ctx) && !unary_ref_op(ctx->op->opcode, &op))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s has no float kernel in ops/elementwise.c",
                          enet_opcode_name(ctx->op->opcode));
  return enet_unary_shape_prepare(ctx);
}

void enet_unary_invoke(const enet_op_context* ctx) {
  if (enet_unary_vector_invoke(ctx)) return; /* float vector kernel, picked at prepare */
  if (enet_is_int8_op(ctx)) { /* int8: ops_s8.h */
    enet_lookup_s8_invoke(ctx);
    return;
  }
  enet_unary_op op = ENET_UNARY_RELU;
  unary_ref_op(ctx->op->opcode, &op); /* known: prepare checked */
  enet_ref_unary_f32(op, enet_tensor_elements(ctx->inputs[0]), ctx->inputs[0]->data, ctx->outputs[0]->data);
}

enet_status enet_clip_prepare(enet_op_context* ctx) { return enet_unary_shape_prepare(ctx); }

void enet_clip_invoke(const enet_op_context* ctx) {
  if (enet_is_int8_op(ctx)) {
    enet_lookup_s8_invoke(ctx);
    return;
  }
  enet_ref_clip_f32(enet_tensor_elements(ctx->inputs[0]), ctx->op->options.clip.min, ctx->op->options.clip.max,
                    ctx->inputs[0]->data, ctx->outputs[0]->data);
}
