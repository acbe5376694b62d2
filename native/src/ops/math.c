/* Elementwise math added for the ONNX importer (Python side: edgenet/ops/math.py):
 *   binary, broadcasting   DIV, POW, MINIMUM, MAXIMUM, PRELU (x, slope)
 *   comparisons -> BOOL    EQUAL, LESS, GREATER, LESS_EQUAL, GREATER_EQUAL (float32, int32 or int64 operands)
 *   unary                  SQRT, EXP, LOG, ABS, NEG, ERF, FLOOR, CEIL, RECIPROCAL, SOFTPLUS, SIN,
 *                          COS, SILU, GELU, LEAKY_RELU, ELU, HARD_SIGMOID
 *   WHERE (cond, a, b) and CAST (to the output tensor's dtype). */
#include "../kernels/reference/reference.h"
#include "ops.h"
#include "ops_s8.h"

/* ---- binary and comparisons ------------------------------------------------ */

/* The opcode -> kernel switches below return 0 for an opcode they do not know, which prepare
 * rejects: a case missing in one cannot silently compute another op. */
static enet_status no_kernel(const enet_op_context* ctx) {
  return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s has no float kernel in ops/math.c", enet_opcode_name(ctx->op->opcode));
}

static int binary_op(int opcode, enet_math_binary_op* op) {
  switch (opcode) {
    case ENET_OpCode_DIV: *op = ENET_MATH_DIV; return 1;
    case ENET_OpCode_POW: *op = ENET_MATH_POW; return 1;
    case ENET_OpCode_MINIMUM: *op = ENET_MATH_MINIMUM; return 1;
    case ENET_OpCode_MAXIMUM: *op = ENET_MATH_MAXIMUM; return 1;
    case ENET_OpCode_PRELU: *op = ENET_MATH_PRELU; return 1;
    default: return 0;
  }
}

static int compare_op(int opcode, enet_compare_op* op) {
  switch (opcode) {
    case ENET_OpCode_EQUAL: *op = ENET_COMPARE_EQUAL; return 1;
    case ENET_OpCode_LESS: *op = ENET_COMPARE_LESS; return 1;
    case ENET_OpCode_GREATER: *op = ENET_COMPARE_GREATER; return 1;
    case ENET_OpCode_LESS_EQUAL: *op = ENET_COMPARE_LESS_EQUAL; return 1;
    case ENET_OpCode_GREATER_EQUAL: *op = ENET_COMPARE_GREATER_EQUAL; return 1;
    default: return 0;
  }
}

enet_status enet_math_binary_prepare(enet_op_context* ctx) {
  enet_math_binary_op op;
  if (!binary_op(ctx->op->opcode, &op)) return no_kernel(ctx);
  enet_status s = enet_check_float(ctx);
  if (s == ENET_OK) s = enet_broadcast_prepare(ctx, 0, 2);
  if (s != ENET_OK) return s;
  /* PRELU keeps x's shape: the slope must broadcast to x, not grow it. */
  if (ctx->op->opcode == ENET_OpCode_PRELU && enet_tensor_elements(ctx->outputs[0]) != enet_tensor_elements(ctx->inputs[0])) {
    char xs[ENET_SHAPE_STR_MAX], ss[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "slope %s must broadcast to x %s",
                          enet_format_shape(ss, sizeof ss, ctx->inputs[1]->ndim, ctx->inputs[1]->shape),
                          enet_format_shape(xs, sizeof xs, ctx->inputs[0]->ndim, ctx->inputs[0]->shape));
  }
  return ENET_OK;
}

void enet_math_binary_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_aligned_shape(a, y->ndim, as);
  enet_aligned_shape(b, y->ndim, bs);
  enet_math_binary_op op = ENET_MATH_DIV;
  binary_op(ctx->op->opcode, &op); /* known: prepare checked */
  enet_ref_math_binary_f32(op, y->ndim, y->shape, as, a->data, bs, b->data, y->data);
}

enet_status enet_compare_prepare(enet_op_context* ctx) {
  enet_compare_op op;
  if (!compare_op(ctx->op->opcode, &op)) return no_kernel(ctx);
  int dtype = ctx->inputs[0]->def->dtype;
  if (dtype != ENET_DataType_FLOAT32 && dtype != ENET_DataType_INT32 && dtype != ENET_DataType_INT64)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "input a has dtype %s; this op compares FLOAT32, INT32 or INT64",
                          enet_dtype_name(dtype));
  enet_status s = enet_require_dtype(ctx->inputs[1], dtype, "input b");
  if (s == ENET_OK) s = enet_require_dtype(ctx->outputs[0], ENET_DataType_BOOL, "the output");
  if (s == ENET_OK) s = enet_broadcast_prepare(ctx, 0, 2);
  return s;
}

void enet_compare_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int64_t as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_aligned_shape(a, y->ndim, as);
  enet_aligned_shape(b, y->ndim, bs);
  enet_compare_op op = ENET_COMPARE_EQUAL;
  compare_op(ctx->op->opcode, &op); /* known: prepare checked */
  switch (a->def->dtype) { /* one of the three: prepare checked */
    case ENET_DataType_INT32: enet_ref_compare_i32(op, y->ndim, y->shape, as, a->data, bs, b->data, y->data); break;
    case ENET_DataType_INT64: enet_ref_compare_i64(op, y->ndim, y->shape, as, a->data, bs, b->data, y->data); break;
    default: enet_ref_compare_f32(op, y->ndim, y->shape, as, a->data, bs, b->data, y->data); break;
  }
}

/* ---- unary ------------------------------------------------------------------ */

static int unary_op(const enet_op_def* def, enet_math_unary_op* op, float* alpha, float* beta) {
  const enet_op_options* o = &def->options;
  *alpha = 0.0f, *beta = 0.0f;
  switch (def->opcode) {
    case ENET_OpCode_SQRT: *op = ENET_MATH_SQRT; return 1;
    case ENET_OpCode_EXP: *op = ENET_MATH_EXP; return 1;
    case ENET_OpCode_LOG: *op = ENET_MATH_LOG; return 1;
    case ENET_OpCode_ABS: *op = ENET_MATH_ABS; return 1;
    case ENET_OpCode_NEG: *op = ENET_MATH_NEG; return 1;
    case ENET_OpCode_ERF: *op = ENET_MATH_ERF; return 1;
    case ENET_OpCode_FLOOR: *op = ENET_MATH_FLOOR; return 1;
    case ENET_OpCode_CEIL: *op = ENET_MATH_CEIL; return 1;
    case ENET_OpCode_RECIPROCAL: *op = ENET_MATH_RECIPROCAL; return 1;
    case ENET_OpCode_SOFTPLUS: *op = ENET_MATH_SOFTPLUS; return 1;
    case ENET_OpCode_SIN: *op = ENET_MATH_SIN; return 1;
    case ENET_OpCode_COS: *op = ENET_MATH_COS; return 1;
    case ENET_OpCode_SILU: *op = ENET_MATH_SILU; return 1;
    case ENET_OpCode_GELU: *op = o->gelu.approximate ? ENET_MATH_GELU_TANH : ENET_MATH_GELU; return 1;
    /* the AlphaBetaOptions ops */
    case ENET_OpCode_LEAKY_RELU: *op = ENET_MATH_LEAKY_RELU; break;
    case ENET_OpCode_ELU: *op = ENET_MATH_ELU; break;
    case ENET_OpCode_HARD_SIGMOID: *op = ENET_MATH_HARD_SIGMOID; break;
    default: return 0;
  }
  *alpha = o->alpha_beta.alpha, *beta = o->alpha_beta.beta;
  return 1;
}

/* Same contract as RELU & co. (elementwise.c): int8 is a table lookup, float SILU a vector kernel. */
enet_status enet_math_unary_prepare(enet_op_context* ctx) {
  enet_math_unary_op op;
  float alpha, beta;
  if (!enet_is_int8_op(ctx) && !unary_op(ctx->op, &op, &alpha, &beta)) return no_kernel(ctx);
  return enet_unary_shape_prepare(ctx);
}

void enet_math_unary_invoke(const enet_op_context* ctx) {
  if (enet_unary_vector_invoke(ctx)) return; /* float SILU: picked at prepare (elementwise.c) */
  if (enet_is_int8_op(ctx)) {
    enet_lookup_s8_invoke(ctx);
    return;
  }
  enet_math_unary_op op = ENET_MATH_SQRT;
  float alpha, beta;
  unary_op(ctx->op, &op, &alpha, &beta); /* known: prepare checked */
  enet_ref_math_unary_f32(op, alpha, beta, enet_tensor_elements(ctx->inputs[0]), ctx->inputs[0]->data,
                          ctx->outputs[0]->data);
}

/* ---- WHERE and CAST ------------------------------------------------------------ */

enet_status enet_where_prepare(enet_op_context* ctx) {
  enet_status s = enet_require_dtype(ctx->inputs[0], ENET_DataType_BOOL, "cond");
  if (s == ENET_OK) s = enet_require_dtype(ctx->inputs[1], ENET_DataType_FLOAT32, "input a");
  if (s == ENET_OK) s = enet_require_dtype(ctx->inputs[2], ENET_DataType_FLOAT32, "input b");
  if (s == ENET_OK) s = enet_require_dtype(ctx->outputs[0], ENET_DataType_FLOAT32, "the output");
  if (s == ENET_OK) s = enet_broadcast_prepare(ctx, 0, 3);
  return s;
}

void enet_where_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *c = ctx->inputs[0], *a = ctx->inputs[1], *b = ctx->inputs[2], *y = ctx->outputs[0];
  int64_t cs[ENET_MAX_DIMS], as[ENET_MAX_DIMS], bs[ENET_MAX_DIMS];
  enet_aligned_shape(c, y->ndim, cs);
  enet_aligned_shape(a, y->ndim, as);
  enet_aligned_shape(b, y->ndim, bs);
  enet_ref_where(y->ndim, y->shape, cs, c->data, as, a->data, bs, b->data, sizeof(float), y->data);
}

/* The dtypes CAST converts between (edgenet/ops/math.py CAST_DTYPES). */
static int castable(int dtype) {
  return dtype == ENET_DataType_FLOAT32 || dtype == ENET_DataType_INT32 || dtype == ENET_DataType_INT64 ||
         dtype == ENET_DataType_BOOL;
}

enet_status enet_cast_prepare(enet_op_context* ctx) {
  int from = ctx->inputs[0]->def->dtype, to = ctx->outputs[0]->def->dtype;
  if (!castable(from) || !castable(to))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "cast from %s to %s is not supported (FLOAT32, INT32, INT64, BOOL)",
                          enet_dtype_name(from), enet_dtype_name(to));
  enet_set_output_shape(ctx->outputs[0], ctx->inputs[0]->ndim, ctx->inputs[0]->shape);
  return ENET_OK;
}

void enet_cast_invoke(const enet_op_context* ctx) {
  enet_ref_cast(ctx->inputs[0]->def->dtype, ctx->outputs[0]->def->dtype, enet_tensor_elements(ctx->inputs[0]),
                ctx->inputs[0]->data, ctx->outputs[0]->data);
}
