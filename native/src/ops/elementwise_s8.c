/* int8 ADD / SUB / MUL (per-tensor quantized, numpy broadcasting; broadcasts that split
 * into rows run the vector kernels) and the table-driven unary ops SIGMOID, TANH,
 * HARD_SWISH, ... (x, table) -> table[x + 128] (the vector lookup when the CPU has one). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/optimized.h"
#include "ops_s8.h"

/* Broadcasts that split into rows (enet_binary_rows, ops/common.c) run the vector kernels, each
 * row computing every element exactly like enet_ref_binary_s8; a single value is repeated into a
 * small buffer. */
#define SCALAR_CHUNK 512 /* elements of a repeated single value per kernel call */

typedef struct rows_job {
  const enet_binary_rows* r;
  const enet_qs8_binary_plan* plan;
  const int8_t *a, *b;
  int8_t* y;
} rows_job;

/* One row of n elements through the plan's kernel; a row given as one value is repeated. */
static void run_row(const enet_qs8_binary_plan* p, size_t n, const int8_t* a, int a_scalar, const int8_t* b,
                    int b_scalar, int8_t* y) {
  int8_t repeated[SCALAR_CHUNK];
  if (a_scalar || b_scalar) memset(repeated, a_scalar ? *a : *b, sizeof repeated);
  for (size_t i = 0; i < n;) {
    size_t m = (a_scalar || b_scalar) && n - i > SCALAR_CHUNK ? SCALAR_CHUNK : n - i;
    const int8_t* ra = a_scalar ? repeated : a + i;
    const int8_t* rb = b_scalar ? repeated : b + i;
    if (p->op == ENET_BINARY_MUL)
      p->k->vmul(m, ra, rb, y + i, &p->mul);
    else
      p->k->vadd(m, ra, rb, y + i, &p->add);
    i += m;
  }
}

static void rows_task(void* context, size_t begin, size_t end, int thread) {
  const rows_job* job = context;
  const enet_binary_rows* r = job->r;
  (void)thread;
  int64_t index[ENET_MAX_DIMS], ia, ib; /* the row's index in the outer dims, its operands' offsets */
  enet_binary_row_start(r, (int64_t)begin, index, &ia, &ib);
  for (size_t row = begin; row < end; row++, enet_binary_row_next(r, index, &ia, &ib)) {
    run_row(job->plan, (size_t)r->inner, job->a + ia, r->a_scalar, job->b + ib, r->b_scalar,
            job->y + (int64_t)row * r->inner);
  }
}

/* add / sub: the largest S in [1, 31] with both multipliers below 2^21 (docs/QUANTIZATION.md). */
static enet_status add_multipliers(float s_a, float s_b, float s_out, enet_binary_s8_params* p) {
  double ra = (double)s_a / (double)s_out, rb = (double)s_b / (double)s_out;
  for (int shift = 31; shift >= 1; shift--) {
    double ma = floor(ra * ldexp(1.0, shift) + 0.5), mb = floor(rb * ldexp(1.0, shift) + 0.5);
    if (ma < (double)(1 << 21) && mb < (double)(1 << 21)) {
      p->a_mult = (int32_t)ma, p->b_mult = (int32_t)mb, p->add_shift = shift;
      return ENET_OK;
    }
  }
  return enet_set_error(ENET_ERROR_UNSUPPORTED, "input scales %g and %g are too large for output scale %g",
                        (double)s_a, (double)s_b, (double)s_out);
}

enet_status enet_binary_s8_prepare(enet_op_context* ctx) {
  enet_s8_state* st;
  enet_s8_output out;
  float s_a, s_b, s_out;
  int32_t zp_a, zp_b, zp_out;
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input a");
  if (s == ENET_OK) s = enet_check_dtype(ctx->inputs[1], ENET_DataType_INT8, "input b");
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[0], "input a", &s_a, &zp_a);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[1], "input b", &s_b, &zp_b);
  if (s == ENET_OK) s = enet_s8_output_params(ctx, &out);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", &s_out, &zp_out);
  if (s == ENET_OK) s = enet_s8_state_alloc(ctx, 0, &st);
  if (s != ENET_OK) return s;
  st->binary.a_zp = zp_a, st->binary.b_zp = zp_b, st->binary.out = out;
  /* Name the row-wise vector path when it will run (ops/elementwise.c renames same-shape ops). */
  const enet_rt_tensor* y = ctx->outputs[0];
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_binary_rows rows;
  enet_aligned_shape(ctx->inputs[0], y->ndim, as);
  enet_aligned_shape(ctx->inputs[1], y->ndim, bs);
  int mul = ctx->op->opcode == ENET_OpCode_MUL;
  if (k && (mul ? k->vmul != NULL : k->vadd != NULL) && enet_split_binary_rows(y->ndim, y->shape, as, bs, &rows) &&
      (!mul || enet_requantization_fixed_point(ctx)))
    snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-v%s-%s-rows", mul ? "mul" : "add", enet_isa_name(k->isa));
  if (mul) {
    s = enet_quantize_multiplier((double)s_a * (double)s_b / (double)s_out, &st->binary.mul_requant);
    if (s == ENET_OK) enet_use_float32_requantization(ctx, s_a, s_b, s_out, &st->binary.mul_requant);
    return s;
  }
  return add_multipliers(s_a, s_b, s_out, &st->binary);
}

void enet_binary_s8_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_aligned_shape(a, y->ndim, as);
  enet_aligned_shape(b, y->ndim, bs);
  enet_binary_op op = ctx->op->opcode == ENET_OpCode_ADD   ? ENET_BINARY_ADD
                      : ctx->op->opcode == ENET_OpCode_SUB ? ENET_BINARY_SUB
                                                           : ENET_BINARY_MUL;
  const enet_binary_s8_params* params = &((const enet_s8_state*)ctx->state)->binary;
  enet_binary_rows rows;
  enet_qs8_binary_plan plan; /* a few dozen bytes of folded parameters: cheap to build per call */
  if (enet_split_binary_rows(y->ndim, y->shape, as, bs, &rows) && (op != ENET_BINARY_MUL || enet_requantization_fixed_point(ctx)) &&
      enet_qs8_binary_plan_init(&plan, enet_qs8_kernels_for(ctx->isa), op, params)) {
    rows_job job = {&rows, &plan, a->data, b->data, y->data};
    size_t rows_per_task = rows.inner >= 4096 ? 1 : (size_t)(4096 / rows.inner);
    enet_parallel_for(ctx->threadpool, rows_task, &job, (size_t)rows.outer, rows_per_task);
    return;
  }
  enet_ref_binary_s8(op, params, y->ndim, y->shape, as, a->data, bs, b->data, y->data);
}

enet_status enet_lookup_s8_prepare(enet_op_context* ctx) {
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_check_dtype(ctx->outputs[0], ENET_DataType_INT8, "output");
  if (s != ENET_OK) return s;
  const enet_rt_tensor* table = ctx->num_inputs > 1 ? ctx->inputs[1] : NULL; /* a constant: the loader checks */
  if (!table || table->def->dtype != ENET_DataType_INT8 || table->ndim != 1 || table->shape[0] != 256)
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "int8 %s needs a second input: a constant int8 lookup table of shape (256,)",
                          enet_opcode_name(ctx->op->opcode));
  enet_set_output_shape(ctx->outputs[0], ctx->inputs[0]->ndim, ctx->inputs[0]->shape);
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  if (k && k->lut) snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-lut-%s", enet_isa_name(k->isa));
  return ENET_OK;
}

void enet_lookup_s8_invoke(const enet_op_context* ctx) {
  /* The vector lookup (kernels/qs8_elementwise.c) when this CPU has one; same bytes as the reference. */
  size_t n = (size_t)enet_tensor_elements(ctx->inputs[0]);
  if (!enet_qs8_lut_run(enet_qs8_kernels_for(ctx->isa), ctx->threadpool, n, ctx->inputs[1]->data,
                        ctx->inputs[0]->data, ctx->outputs[0]->data))
    enet_ref_lookup_s8((int64_t)n, ctx->inputs[1]->data, ctx->inputs[0]->data, ctx->outputs[0]->data);
}
