/* Linear algebra added for the ONNX importer (Python side: edgenet/ops/linalg.py):
 *   MATMUL             a (..., M, K) @ b (..., K, N) -> (..., M, N), batch dims broadcast
 *   CONV_2D_TRANSPOSE  x (N,H,W,Ci), w (Co,KH,KW,Ci), bias (Co) or absent. Conv2DTransposeOptions. */
#include "../kernels/reference/reference.h"
#include "ops.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_conv2d_transpose_options(const enet_op_options* options) {
  const enet_Conv2DTransposeOptions* o = &options->conv2d_transpose;
  if (o->stride_h < 1 || o->stride_w < 1 || o->dilation_h < 1 || o->dilation_w < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "Conv2DTransposeOptions strides (%d, %d) and dilations (%d, %d) must be >= 1", o->stride_h,
                          o->stride_w, o->dilation_h, o->dilation_w);
  if (o->pad_top < 0 || o->pad_bottom < 0 || o->pad_left < 0 || o->pad_right < 0 || o->output_pad_h < 0 ||
      o->output_pad_w < 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "Conv2DTransposeOptions paddings must be >= 0");
  return ENET_OK;
}

/* ---- MATMUL ------------------------------------------------------------------ */

/* The batch dims of a and b, right-aligned to the output's batch rank. */
static void matmul_batch_shapes(const enet_op_context* ctx, int batch_ndim, int64_t* a_batch, int64_t* b_batch) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  for (int d = 0; d < batch_ndim; d++) a_batch[d] = b_batch[d] = 1;
  for (int d = 0; d < a->ndim - 2; d++) a_batch[batch_ndim - (a->ndim - 2) + d] = a->shape[d];
  for (int d = 0; d < b->ndim - 2; d++) b_batch[batch_ndim - (b->ndim - 2) + d] = b->shape[d];
}

enet_status enet_matmul_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  char sa[ENET_SHAPE_STR_MAX], sb[ENET_SHAPE_STR_MAX];
  enet_status s = enet_check_float(ctx);
  if (s != ENET_OK) return s;
  if (a->ndim < 2 || b->ndim < 2 || a->shape[a->ndim - 1] != b->shape[b->ndim - 2])
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot multiply a %s by b %s (need (..., M, K) @ (..., K, N))",
                          enet_format_shape(sa, sizeof sa, a->ndim, a->shape),
                          enet_format_shape(sb, sizeof sb, b->ndim, b->shape));
  int batch_ndim = (a->ndim > b->ndim ? a->ndim : b->ndim) - 2;
  int64_t a_batch[ENET_MAX_DIMS], b_batch[ENET_MAX_DIMS], shape[ENET_MAX_DIMS];
  matmul_batch_shapes(ctx, batch_ndim, a_batch, b_batch);
  for (int d = 0; d < batch_ndim; d++) {
    if (a_batch[d] != b_batch[d] && a_batch[d] != 1 && b_batch[d] != 1)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "batch dims of a %s and b %s do not broadcast",
                            enet_format_shape(sa, sizeof sa, a->ndim, a->shape),
                            enet_format_shape(sb, sizeof sb, b->ndim, b->shape));
    shape[d] = a_batch[d] == 1 ? b_batch[d] : a_batch[d];
  }
  shape[batch_ndim] = a->shape[a->ndim - 2];
  shape[batch_ndim + 1] = b->shape[b->ndim - 1];
  enet_set_output_shape(ctx->outputs[0], batch_ndim + 2, shape);
  return ENET_OK;
}

void enet_matmul_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  int batch_ndim = y->ndim - 2;
  int64_t a_batch[ENET_MAX_DIMS], b_batch[ENET_MAX_DIMS];
  matmul_batch_shapes(ctx, batch_ndim, a_batch, b_batch);
  enet_ref_matmul_f32(batch_ndim, y->shape, a_batch, b_batch, a->shape[a->ndim - 2], a->shape[a->ndim - 1],
                      b->shape[b->ndim - 1], a->data, b->data, NULL, y->data);
}

/* ---- CONV_2D_TRANSPOSE --------------------------------------------------------- */

/* Output size along one dim: (in - 1)*stride + (k - 1)*dilation + 1 + output_pad - pads, >= 1. */
static enet_status transpose_output(int64_t in, int64_t k, int stride, int dilation, int output_pad, int pad_before,
                                    int pad_after, const char* what, int64_t* out) {
  /* in, k < 2^62 from the loader; the factors are < 2^31: compute in double to spot overflow */
  double full = (double)(in - 1) * stride + (double)(k - 1) * dilation + 1.0 + output_pad;
  if (in < 1 || k < 1 || full > 9.0e15)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s: input size %lld and kernel size %lld are invalid", what,
                          (long long)in, (long long)k);
  *out = (int64_t)full - pad_before - pad_after;
  if (*out < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s: padding (%d, %d) crops away the whole output of size %lld",
                          what, pad_before, pad_after, (long long)full);
  return ENET_OK;
}

static enet_status conv_transpose_geometry(const enet_op_context* ctx, enet_window* g) {
  const enet_rt_tensor *x = ctx->inputs[0], *w = ctx->inputs[1], *bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  const enet_op_options* o = &ctx->op->options;
  enet_status s;
  if ((s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)")) != ENET_OK) return s;
  if ((s = enet_check_rank(ctx, 1, 4, "weights (O, KH, KW, I)")) != ENET_OK) return s;
  g->batch = x->shape[0], g->in_h = x->shape[1], g->in_w = x->shape[2], g->in_c = x->shape[3];
  g->out_c = w->shape[0], g->k_h = w->shape[1], g->k_w = w->shape[2];
  if (w->shape[3] != g->in_c)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "weights have %lld input channels but the input has %lld",
                          (long long)w->shape[3], (long long)g->in_c);
  if (bias && (bias->ndim != 1 || bias->shape[0] != g->out_c))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "bias must have shape (%lld,)", (long long)g->out_c);
  g->stride_h = o->conv2d_transpose.stride_h, g->stride_w = o->conv2d_transpose.stride_w;
  g->dilation_h = o->conv2d_transpose.dilation_h, g->dilation_w = o->conv2d_transpose.dilation_w;
  g->pad_top = o->conv2d_transpose.pad_top, g->pad_left = o->conv2d_transpose.pad_left;
  if ((s = transpose_output(g->in_h, g->k_h, g->stride_h, g->dilation_h, o->conv2d_transpose.output_pad_h,
                            o->conv2d_transpose.pad_top, o->conv2d_transpose.pad_bottom, "height", &g->out_h)) != ENET_OK)
    return s;
  return transpose_output(g->in_w, g->k_w, g->stride_w, g->dilation_w, o->conv2d_transpose.output_pad_w,
                          o->conv2d_transpose.pad_left, o->conv2d_transpose.pad_right, "width", &g->out_w);
}

enet_status enet_conv2d_transpose_prepare(enet_op_context* ctx) {
  enet_window g = {0};
  enet_status s = enet_check_float(ctx);
  if (s == ENET_OK) s = conv_transpose_geometry(ctx, &g);
  if (s != ENET_OK) return s;
  int64_t shape[4] = {g.batch, g.out_h, g.out_w, g.out_c};
  enet_set_output_shape(ctx->outputs[0], 4, shape);
  return ENET_OK;
}

void enet_conv2d_transpose_invoke(const enet_op_context* ctx) {
  enet_window g = {0};
  conv_transpose_geometry(ctx, &g); /* checked in prepare */
  const enet_rt_tensor* bias = ctx->num_inputs > 2 ? ctx->inputs[2] : NULL;
  enet_ref_conv2d_transpose_f32(&g, 1, ctx->inputs[0]->data, ctx->inputs[1]->data, bias ? bias->data : NULL,
                                ctx->outputs[0]->data);
}
