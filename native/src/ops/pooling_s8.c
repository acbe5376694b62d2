/* int8 MAX_POOL_2D (input and output share scale and zero point), AVG_POOL_2D and
 * MEAN (sum of x - zp, requantized with M = s_in / (s_out * count)); AVG_POOL_2D
 * with tflite_int8_average uses TFLite's arithmetic instead (models from .tflite). */
#include <stdio.h>

#include "../kernels/optimized.h" /* enet_qs8_global_mean, enet_qs8_maxpool_run */
#include "ops_s8.h"

/* Largest averaging window: count * 255 must fit the int32 accumulator. */
#define MAX_AVERAGE_COUNT ((int64_t)1 << 23)

static enet_status check_io(const enet_op_context* ctx, float* s_in, int32_t* zp_in, enet_s8_output* out,
                            float* s_out) {
  int32_t zp_out;
  enet_status s = enet_check_dtype(ctx->inputs[0], ENET_DataType_INT8, "input");
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->inputs[0], "input", s_in, zp_in);
  if (s == ENET_OK) s = enet_s8_output_params(ctx, out);
  if (s == ENET_OK) s = enet_per_tensor_quant(ctx->outputs[0], "output", s_out, &zp_out);
  return s;
}

enet_status enet_pool2d_s8_prepare(enet_op_context* ctx, const enet_window* g) {
  enet_s8_state* st;
  enet_s8_output out;
  float s_in, s_out;
  int32_t zp_in;
  enet_status s = check_io(ctx, &s_in, &zp_in, &out, &s_out);
  if (s != ENET_OK) return s;
  if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D) {
    if ((s = enet_check_same_quant(ctx)) == ENET_OK) s = enet_s8_state_alloc(ctx, 0, &st);
    if (s == ENET_OK) st->window = *g;
    const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
    if (s == ENET_OK && k && k->vmax) snprintf(ctx->kernel, sizeof ctx->kernel, "qs8-maxpool-%s", enet_isa_name(k->isa));
    return s;
  }
  if (ctx->op->options.pool2d.tflite_int8_average) { /* TFLite's arithmetic: no multipliers */
    if (ctx->op->options.pool2d.count_include_pad)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "tflite_int8_average does not apply with count_include_pad");
    if ((s = enet_check_same_quant(ctx)) == ENET_OK) s = enet_s8_state_alloc(ctx, 0, &st);
    if (s == ENET_OK) {
      st->out = out;
      st->window = *g;
      snprintf(ctx->kernel, sizeof ctx->kernel, "reference-tflite-average");
    }
    return s;
  }
  int64_t max_count = g->k_h * g->k_w; /* k_h, k_w < 2^31: no overflow */
  if (max_count > MAX_AVERAGE_COUNT)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 average pool window of %lld cells is too large",
                          (long long)max_count);
  if ((s = enet_s8_state_alloc(ctx, max_count, &st)) != ENET_OK) return s;
  st->out = out;
  st->in_zp = zp_in;
  st->window = *g;
  for (int64_t count = 1; count <= max_count; count++) /* one multiplier per possible window count */
    if ((s = enet_quantize_multiplier((double)s_in / ((double)s_out * (double)count), &st->requant[count - 1])) !=
        ENET_OK)
      return s;
  return ENET_OK;
}

void enet_pool2d_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  const enet_window* g = &st->window;
  /* A window covering the whole unpadded image is a global average: the fast kernel. */
  int global = g->out_h == 1 && g->out_w == 1 && g->pad_top == 0 && g->pad_left == 0 && g->k_h == g->in_h &&
               g->k_w == g->in_w;
  const enet_qs8_kernels* k = enet_qs8_kernels_for(ctx->isa);
  if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D && k && k->vmax) /* vector running max, kernels/qs8_maxpool.c */
    enet_qs8_maxpool_run(k, g, ctx->threadpool, ctx->inputs[0]->data, ctx->outputs[0]->data);
  else if (ctx->op->opcode == ENET_OpCode_MAX_POOL_2D)
    enet_ref_max_pool2d_s8(g, ctx->inputs[0]->data, ctx->outputs[0]->data);
  else if (ctx->op->options.pool2d.tflite_int8_average) /* every ISA: the one kernel with TFLite's rounding */
    enet_ref_avg_pool2d_s8_tflite(g, ctx->inputs[0]->data, &st->out, ctx->outputs[0]->data);
  else if (global && ctx->isa != ENET_ISA_REFERENCE)
    enet_qs8_global_mean((size_t)g->batch, (size_t)(g->in_h * g->in_w), (size_t)g->in_c, ctx->inputs[0]->data,
                         st->in_zp, st->requant[g->k_h * g->k_w - 1], &st->out, ctx->outputs[0]->data);
  else
    enet_ref_avg_pool2d_s8(g, ctx->op->options.pool2d.count_include_pad, ctx->inputs[0]->data, st->in_zp, st->requant,
                           &st->out, ctx->outputs[0]->data);
}

enet_status enet_mean_s8_prepare(enet_op_context* ctx, const uint8_t* reduce) {
  enet_s8_state* st;
  enet_s8_output out;
  float s_in, s_out;
  int32_t zp_in;
  enet_status s = check_io(ctx, &s_in, &zp_in, &out, &s_out);
  if (s != ENET_OK) return s;
  int64_t count = 1;
  for (int d = 0; d < ctx->inputs[0]->ndim; d++)
    if (reduce[d]) count *= ctx->inputs[0]->shape[d]; /* <= element count, no overflow */
  if (count < 1 || count > MAX_AVERAGE_COUNT)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "int8 mean over %lld elements is not supported (1 to %lld)",
                          (long long)count, (long long)MAX_AVERAGE_COUNT);
  if ((s = enet_s8_state_alloc(ctx, 1, &st)) != ENET_OK) return s;
  st->out = out;
  st->in_zp = zp_in;
  for (int d = 0; d < ENET_MAX_DIMS; d++) st->reduce[d] = reduce[d];
  return enet_quantize_multiplier((double)s_in / ((double)s_out * (double)count), &st->requant[0]);
}

/* MEAN over a contiguous block of dims that leaves the last one: (outer, rows, channels). */
static int mean_as_rows(int ndim, const int64_t* shape, const uint8_t* reduce, int64_t* outer, int64_t* rows,
                        int64_t* channels) {
  int first = -1, last = -1;
  for (int d = 0; d < ndim; d++)
    if (reduce[d]) {
      if (first < 0) first = d;
      else if (last != d - 1) return 0; /* not contiguous */
      last = d;
    }
  if (first < 0 || last == ndim - 1) return 0;
  *outer = *rows = *channels = 1;
  for (int d = 0; d < ndim; d++) *(d < first ? outer : d <= last ? rows : channels) *= shape[d];
  return 1;
}

void enet_mean_s8_invoke(const enet_op_context* ctx) {
  const enet_s8_state* st = ctx->state;
  const enet_rt_tensor* x = ctx->inputs[0];
  int64_t outer, rows, channels;
  if (ctx->isa != ENET_ISA_REFERENCE && mean_as_rows(x->ndim, x->shape, st->reduce, &outer, &rows, &channels)) {
    enet_qs8_global_mean((size_t)outer, (size_t)rows, (size_t)channels, x->data, st->in_zp, st->requant[0], &st->out,
                         ctx->outputs[0]->data);
    return;
  }
  enet_ref_mean_s8(ctx->inputs[0]->ndim, ctx->inputs[0]->shape, st->reduce, ctx->inputs[0]->data, st->in_zp,
                   st->requant[0], &st->out, ctx->outputs[0]->data);
}
