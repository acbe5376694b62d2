/* Fused recurrent layers with ONNX semantics (Python side: edgenet/ops/recurrent.py):
 *   LSTM  x, w (D, 4H, I), r (D, 4H, H), bias (D, 8H)?, initial_h?, initial_c? -> y, y_h, y_c
 *   GRU   x, w (D, 3H, I), r (D, 3H, H), bias (D, 6H)?, initial_h?             -> y, y_h
 * RecurrentOptions: direction, layout, linear_before_reset (GRU). The sequence length T is read
 * from x at prepare, so one model runs at any length (a dynamic dim, resized before a run).
 *
 * Float, with SIMD kernels: the input projection of every step, X W^T + bias, is one GEMM over
 * T*B rows (the fully connected plan of f32_conv_gemm.c); then each step adds h R^T with the GEMM
 * microkernel on R packed at prepare, and the gate math runs the vector sigmoid / tanh kernels.
 * int8 weights (dynamic quantization, docs/QUANTIZATION.md "Recurrent ops") and CPUs without SIMD
 * kernels run the reference (kernels/reference/recurrent_f32.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/optimized.h"
#include "../kernels/reference/reference.h"
#include "ops.h"

enum { IN_X, IN_W, IN_R, IN_BIAS, IN_H0, IN_C0 };

enet_status enet_check_recurrent_options(const enet_op_options* options) {
  const enet_RecurrentOptions* o = &options->recurrent;
  if (o->direction < ENET_RecurrentDirection_FORWARD || o->direction > ENET_RecurrentDirection_BIDIRECTIONAL)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "RecurrentOptions.direction %d out of range", o->direction);
  if (o->layout != 0 && o->layout != 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "RecurrentOptions.layout %d must be 0 or 1", o->layout);
  return ENET_OK;
}

/* What prepare keeps for invoke, in one block (ctx->state): the reference's scratch, and for the
 * optimized float path the projection plans, packed recurrent weights and per-step buffers. */
typedef struct recurrent_plan {
  enet_recurrent_geometry g;
  enet_recurrent_weights wt;
  float* scratch; /* reference */
  const enet_f32_kernels* k; /* NULL: reference */
  enet_f32_conv_plan* projection[2]; /* per direction: X W^T + input bias, T*B rows */
  float* packed_r[2];  /* R panels: LSTM all 4H rows; GRU linear_before_reset all 3H (bias Rbh); else z, r rows */
  float* packed_rh[2]; /* GRU without linear_before_reset: the h rows of R */
  float *projected, *h, *c, *gh, *rh;
} recurrent_plan;

/* Input i, or NULL when absent (optional inputs may be -1 or left off the end). */
static const enet_rt_tensor* optional_input(const enet_op_context* ctx, int i) {
  return i < ctx->num_inputs ? ctx->inputs[i] : NULL;
}

static const char* input_name(int i) {
  static const char* const names[] = {"x", "w", "r", "bias", "initial_h", "initial_c"};
  return names[i];
}

static enet_status check_shape(const enet_op_context* ctx, int i, int ndim, const int64_t* expected) {
  const enet_rt_tensor* t = ctx->inputs[i];
  int same = t->ndim == ndim;
  for (int d = 0; same && d < ndim; d++) same = t->shape[d] == expected[d];
  if (same) return ENET_OK;
  char got[ENET_SHAPE_STR_MAX], want[ENET_SHAPE_STR_MAX];
  return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s must have shape %s, got %s", input_name(i),
                        enet_format_shape(want, sizeof want, ndim, expected),
                        enet_format_shape(got, sizeof got, t->ndim, t->shape));
}

static enet_status check_dtype(const enet_op_context* ctx, int i, int dtype) {
  const enet_rt_tensor* t = ctx->inputs[i];
  if (!t || t->def->dtype == dtype) return ENET_OK;
  return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s has dtype %s; expected %s", input_name(i),
                        enet_dtype_name(t->def->dtype), enet_dtype_name(dtype));
}

/* int8 w / r: one scale per row of G*H (axis 1), zero points 0. */
static enet_status check_int8_weights(const enet_op_context* ctx, int i, int64_t rows) {
  const enet_tensor_def* def = ctx->inputs[i]->def;
  if (def->num_quant != rows || def->quant_axis != 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 %s needs one scale per row (%lld on axis 1), got %d on axis %d",
                          input_name(i), (long long)rows, def->num_quant, def->quant_axis);
  for (int64_t j = 0; j < rows; j++)
    if (def->zero_point[j] != 0)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "int8 %s must be symmetric (zero point %lld at row %lld)",
                            input_name(i), (long long)def->zero_point[j], (long long)j);
  return ENET_OK;
}

/* Checks every input, sets the output shapes, fills g and wt. */
static enet_status read_geometry(enet_op_context* ctx, enet_recurrent_geometry* g, enet_recurrent_weights* wt) {
  const enet_RecurrentOptions* o = &ctx->op->options.recurrent;
  const int lstm = ctx->op->opcode == ENET_OpCode_LSTM;
  const enet_rt_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[IN_W], *r = ctx->inputs[IN_R];
  enet_status s;
  *g = (enet_recurrent_geometry){.kind = lstm ? ENET_RECURRENT_LSTM : ENET_RECURRENT_GRU, .gates = lstm ? 4 : 3,
                                 .directions = o->direction == ENET_RecurrentDirection_BIDIRECTIONAL ? 2 : 1,
                                 .reverse = o->direction == ENET_RecurrentDirection_REVERSE, .layout = o->layout,
                                 .linear_before_reset = o->linear_before_reset};
  if (lstm && o->linear_before_reset)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "RecurrentOptions.linear_before_reset is a GRU option, set on LSTM");
  if ((s = enet_check_rank(ctx, IN_X, 3, "x")) != ENET_OK || (s = enet_check_rank(ctx, IN_R, 3, "r")) != ENET_OK ||
      (s = enet_check_rank(ctx, IN_W, 3, "w")) != ENET_OK)
    return s;
  int int8 = w->def->dtype == ENET_DataType_INT8;
  int weight_dtype = int8 ? ENET_DataType_INT8 : ENET_DataType_FLOAT32;
  if ((s = check_dtype(ctx, IN_X, ENET_DataType_FLOAT32)) != ENET_OK || (s = check_dtype(ctx, IN_W, weight_dtype)) ||
      (s = check_dtype(ctx, IN_R, weight_dtype)) != ENET_OK)
    return s;
  for (int i = IN_BIAS; i < ctx->num_inputs; i++)
    if ((s = check_dtype(ctx, i, ENET_DataType_FLOAT32)) != ENET_OK) return s;
  for (int i = 0; i < ctx->num_outputs; i++)
    if (ctx->outputs[i]->def->dtype != ENET_DataType_FLOAT32)
      return enet_set_error(ENET_ERROR_UNSUPPORTED, "output %d has dtype %s; the outputs are FLOAT32", i,
                            enet_dtype_name(ctx->outputs[i]->def->dtype));
  g->steps = x->shape[o->layout ? 1 : 0], g->batch = x->shape[o->layout ? 0 : 1], g->input = x->shape[2];
  g->hidden = r->shape[2];
  int64_t D = g->directions, H = g->hidden, GH = g->gates * g->hidden;
  if (g->steps < 1 || g->batch < 1 || g->input < 1 || H < 1 || H > (1 << 20) || g->input > (1 << 24))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "x %lld steps x %lld batch x %lld inputs, hidden %lld: "
                          "each must be >= 1 (hidden <= 2^20, inputs <= 2^24)", (long long)g->steps,
                          (long long)g->batch, (long long)g->input, (long long)H);
  int64_t w_shape[3] = {D, GH, g->input}, r_shape[3] = {D, GH, H}, b_shape[2] = {D, 2 * GH};
  int64_t state_shape[3] = {o->layout ? g->batch : D, o->layout ? D : g->batch, H};
  if ((s = check_shape(ctx, IN_W, 3, w_shape)) != ENET_OK || (s = check_shape(ctx, IN_R, 3, r_shape)) != ENET_OK)
    return s;
  if (optional_input(ctx, IN_BIAS) && (s = check_shape(ctx, IN_BIAS, 2, b_shape)) != ENET_OK) return s;
  for (int i = IN_H0; i < ctx->num_inputs; i++)
    if (ctx->inputs[i] && (s = check_shape(ctx, i, 3, state_shape)) != ENET_OK) return s;
  if (int8) {
    /* int32 dot products of up to max(I, H) terms of at most 127 * 127 */
    if (g->input > 133000 || H > 133000)
      return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 weights with %lld inputs / hidden %lld overflow int32 "
                            "(at most 133000)", (long long)g->input, (long long)H);
    if ((s = check_int8_weights(ctx, IN_W, GH)) != ENET_OK || (s = check_int8_weights(ctx, IN_R, GH)) != ENET_OK)
      return s;
    wt->w_s8 = w->data, wt->r_s8 = r->data, wt->w_scale = w->def->scale, wt->r_scale = r->def->scale;
  } else {
    wt->w = w->data, wt->r = r->data;
  }
  wt->bias = optional_input(ctx, IN_BIAS) ? optional_input(ctx, IN_BIAS)->data : NULL;
  int64_t y_shape[4] = {o->layout ? g->batch : g->steps, o->layout ? g->steps : D, o->layout ? D : g->batch, H};
  enet_set_output_shape(ctx->outputs[0], 4, y_shape);
  for (int i = 1; i < ctx->num_outputs; i++) enet_set_output_shape(ctx->outputs[i], 3, state_shape);
  return ENET_OK;
}

/* Bytes of one part of the plan block, 64-byte aligned. */
static size_t floats_bytes(size_t n) { return enet_align64(n * sizeof(float)); }

/* Lays out (memory NULL: only sizes) the optimized float path; returns the bytes it needs. */
static size_t layout_optimized(recurrent_plan* p, uint8_t* memory, int threads, const float* bias_scratch) {
  const enet_recurrent_geometry* g = &p->g;
  const enet_f32_kernels* k = p->k;
  size_t H = (size_t)g->hidden, GH = (size_t)g->gates * H, B = (size_t)g->batch, rows = (size_t)g->steps * B;
  size_t nr = k->gemm_nr, at = 0;
  int lbr_gru = g->kind == ENET_RECURRENT_GRU && !g->linear_before_reset;
  size_t r_rows = lbr_gru ? 2 * H : GH; /* rows of R in packed_r */
  enet_window fc = {.batch = (int64_t)rows, .in_h = 1, .in_w = 1, .in_c = g->input, .out_h = 1, .out_w = 1,
                    .out_c = (int64_t)GH, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
                    .dilation_w = 1};
  size_t plan_bytes = enet_align64(enet_f32_conv_plan_size(k, &fc, threads));
  size_t r_bytes = floats_bytes(enet_div_up(r_rows, nr) * nr * (1 + H));
  size_t rh_bytes = lbr_gru ? floats_bytes(enet_div_up(H, nr) * nr * (1 + H)) : 0;
  for (int d = 0; d < g->directions; d++) {
    const float* w = p->wt.w + (size_t)d * GH * (size_t)g->input;
    const float* r = p->wt.r + (size_t)d * GH * H;
    if (memory) {
      float* rbias = (float*)bias_scratch + GH; /* GRU linear_before_reset: Rbh on the h rows, zeros elsewhere */
      enet_recurrent_input_bias(g, p->wt.bias, d, (float*)bias_scratch);
      p->projection[d] = enet_f32_conv_plan_init(memory + at, k, &fc, threads, w, bias_scratch, -INFINITY, INFINITY);
      for (size_t j = 0; j < GH; j++)
        rbias[j] = p->wt.bias && g->linear_before_reset && j >= 2 * H ? p->wt.bias[d * 2 * GH + GH + j] : 0.0f;
      p->packed_r[d] = (float*)(memory + at + plan_bytes);
      enet_f32_pack_gemm_panels(k, r_rows, H, r, rbias, p->packed_r[d]);
      if (lbr_gru) {
        p->packed_rh[d] = (float*)(memory + at + plan_bytes + r_bytes);
        enet_f32_pack_gemm_panels(k, H, H, r + 2 * H * H, NULL, p->packed_rh[d]);
      }
    }
    at += plan_bytes + r_bytes + rh_bytes;
  }
  float** buffers[] = {&p->projected, &p->h, &p->c, &p->gh, &p->rh};
  size_t sizes[] = {(size_t)g->directions * rows * GH, B * H, B * H, B * GH, B * H};
  for (int i = 0; i < 5; i++) {
    if (memory) *buffers[i] = (float*)(memory + at);
    at += floats_bytes(sizes[i]);
  }
  return at;
}

enet_status enet_recurrent_prepare(enet_op_context* ctx) {
  recurrent_plan p = {0};
  enet_status s = read_geometry(ctx, &p.g, &p.wt);
  if (s != ENET_OK) return s;
  /* The projection buffer holds D * T * B * G * H floats: check it fits before sizing anything. */
  int64_t projected;
  if (!enet_mul_i64(p.g.steps * p.g.batch, (int64_t)p.g.directions * p.g.gates * p.g.hidden, &projected) ||
      projected > ((int64_t)1 << 40))
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "%lld steps x %lld batch are too many for one run",
                          (long long)p.g.steps, (long long)p.g.batch);
  p.k = p.wt.w_s8 ? NULL : enet_f32_kernels_for(ctx->isa);
  int threads = enet_threadpool_size(ctx->threadpool);
  size_t head = enet_align64(sizeof p);
  size_t scratch_bytes = floats_bytes(enet_ref_recurrent_scratch_floats(&p.g));
  size_t optimized_bytes = p.k ? layout_optimized(&p, NULL, threads, NULL) : 0;
  uint8_t* block = enet_alloc_op_state(ctx, head + scratch_bytes + optimized_bytes);
  if (!block) return ENET_ERROR_OUT_OF_MEMORY;
  p.scratch = (float*)(block + head);
  if (p.k) {
    layout_optimized(&p, block + head + scratch_bytes, threads, p.scratch); /* scratch: the bias while packing */
    snprintf(ctx->kernel, sizeof ctx->kernel, "%s", p.k->gemm_name);
    ctx->optimized = 1;
  }
  memcpy(block, &p, sizeof p);
  return ENET_OK;
}

/* rows of c (stride c_stride) = (bias ? panel biases : c) + a (m x kdim, stride a_stride) @ packed^T. */
static void gemm(const enet_f32_kernels* k, size_t m, size_t n, size_t kdim, const float* a, size_t a_stride,
                 const float* packed, int with_bias, float* c, size_t c_stride) {
  size_t nr = k->gemm_nr, mr = k->gemm_mr, panel = nr * (1 + kdim);
  for (size_t pi = 0; pi < enet_div_up(n, nr); pi++) {
    size_t n0 = pi * nr, nc = n - n0 < nr ? n - n0 : nr;
    const float* w = packed + pi * panel;
    for (size_t i = 0; i < m; i += mr)
      k->gemm(m - i < mr ? m - i : mr, nc, kdim, a + i * a_stride, a_stride, w + nr, with_bias ? w : NULL,
              c + i * c_stride + n0, c_stride, -INFINITY, INFINITY);
  }
}

static void invoke_optimized(const recurrent_plan* p, const enet_op_context* ctx) {
  const enet_recurrent_geometry* g = &p->g;
  const enet_f32_kernels* k = p->k;
  enet_recurrent_vfunc sigmoid = k->vsigmoid ? k->vsigmoid : enet_recurrent_ref_sigmoid;
  enet_recurrent_vfunc tanh_fn = k->vtanh ? k->vtanh : enet_recurrent_ref_tanh;
  const size_t H = (size_t)g->hidden, GH = (size_t)g->gates * H, B = (size_t)g->batch, T = (size_t)g->steps;
  const enet_rt_tensor *h0_t = optional_input(ctx, IN_H0), *c0_t = optional_input(ctx, IN_C0);
  const float *x = ctx->inputs[IN_X]->data, *h0 = h0_t ? h0_t->data : NULL, *c0 = c0_t ? c0_t->data : NULL;
  float *y = ctx->outputs[0]->data, *y_h = ctx->outputs[1]->data;
  float* y_c = ctx->num_outputs > 2 ? ctx->outputs[2]->data : NULL;
  /* Rows of the projection are x's rows: step t of batch b is row t*B + b (layout 0) or b*T + t. */
  size_t row_stride = (g->layout ? T : 1) * GH;
  for (int d = 0; d < g->directions; d++) {
    float* projected = p->projected + (size_t)d * T * B * GH;
    enet_f32_conv_run(p->projection[d], ctx->threadpool, x, projected, NULL); /* direct: no scratch */
    for (size_t b = 0; b < B; b++) {
      int64_t s = enet_recurrent_state_row(g, d, (int64_t)b);
      for (size_t j = 0; j < H; j++) {
        p->h[b * H + j] = h0 ? h0[s + j] : 0.0f;
        p->c[b * H + j] = c0 ? c0[s + j] : 0.0f;
      }
    }
    int backwards = d == 1 || g->reverse;
    for (size_t step = 0; step < T; step++) {
      size_t t = backwards ? T - 1 - step : step;
      float* gates = projected + (g->layout ? t : t * B) * GH; /* batch row b at gates + b * row_stride */
      if (g->kind == ENET_RECURRENT_LSTM) {
        gemm(k, B, GH, H, p->h, H, p->packed_r[d], 0, gates, row_stride);
        for (size_t b = 0; b < B; b++)
          enet_recurrent_lstm_cell((int64_t)H, gates + b * row_stride, p->c + b * H, p->h + b * H, sigmoid, tanh_fn);
      } else if (g->linear_before_reset) {
        gemm(k, B, GH, H, p->h, H, p->packed_r[d], 1, p->gh, GH);
        for (size_t b = 0; b < B; b++) {
          enet_recurrent_gru_gates((int64_t)H, gates + b * row_stride, p->gh + b * GH, sigmoid);
          enet_recurrent_gru_output((int64_t)H, 1, gates + b * row_stride, p->gh + b * GH, p->h + b * H, tanh_fn);
        }
      } else {
        gemm(k, B, 2 * H, H, p->h, H, p->packed_r[d], 1, p->gh, GH);
        for (size_t b = 0; b < B; b++) {
          float* gx = gates + b * row_stride;
          enet_recurrent_gru_gates((int64_t)H, gx, p->gh + b * GH, sigmoid);
          for (size_t j = 0; j < H; j++) p->rh[b * H + j] = gx[H + j] * p->h[b * H + j];
        }
        gemm(k, B, H, H, p->rh, H, p->packed_rh[d], 1, p->gh + 2 * H, GH);
        for (size_t b = 0; b < B; b++)
          enet_recurrent_gru_output((int64_t)H, 0, gates + b * row_stride, p->gh + b * GH, p->h + b * H, tanh_fn);
      }
      for (size_t b = 0; b < B; b++)
        memcpy(y + enet_recurrent_y_row(g, (int64_t)t, d, (int64_t)b), p->h + b * H, H * sizeof(float));
    }
    for (size_t b = 0; b < B; b++) {
      int64_t s = enet_recurrent_state_row(g, d, (int64_t)b);
      memcpy(y_h + s, p->h + b * H, H * sizeof(float));
      if (y_c) memcpy(y_c + s, p->c + b * H, H * sizeof(float));
    }
  }
}

void enet_recurrent_invoke(const enet_op_context* ctx) {
  const recurrent_plan* p = ctx->state;
  if (p->k) {
    invoke_optimized(p, ctx);
    return;
  }
  const enet_rt_tensor *h0 = optional_input(ctx, IN_H0), *c0 = optional_input(ctx, IN_C0);
  enet_ref_recurrent_f32(&p->g, &p->wt, ctx->inputs[IN_X]->data, h0 ? h0->data : NULL, c0 ? c0->data : NULL, ctx->outputs[0]->data, ctx->outputs[1]->data,
                         ctx->num_outputs > 2 ? ctx->outputs[2]->data : NULL, p->scratch);
}
