/*
 * ops_s8.h — the int8 side of the ops. Each float op's prepare/invoke hands an
 * int8 node (input 0 or output 0 is INT8) to the *_s8 functions declared here:
 *   conv_s8.c         CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED
 *   elementwise_s8.c  ADD, SUB, MUL, SIGMOID/TANH/HARD_SWISH (table lookup)
 *   pooling_s8.c      MAX_POOL_2D, AVG_POOL_2D, MEAN
 *   normalization_s8.c SOFTMAX
 *   shape_s8.c        CONCAT, PAD, and the same-quantization check of RESHAPE/TRANSPOSE
 *   quantization.c    QUANTIZE, DEQUANTIZE
 * quant_common.c holds the prepare-time helpers: quantization parameters read and
 * checked, real multipliers turned into fixed point (docs/QUANTIZATION.md).
 */
#ifndef EDGENET_OPS_S8_H
#define EDGENET_OPS_S8_H

#include "../kernels/reference/reference_s8.h"
#include "../threadpool.h" /* enet_task_fn */
#include "ops.h"

/* What an int8 op's prepare keeps for invoke, in ctx->state (one malloc'ed block
 * the interpreter frees). */
typedef struct enet_s8_state {
  enet_s8_output out;           /* output zero point and the fused-activation clamp */
  int32_t in_zp;                /* zero point of input 0 */
  enet_binary_s8_params binary; /* ADD / SUB / MUL */
  int8_t pad_value;             /* PAD: the constant, quantized */
  enet_window window;           /* conv, depthwise, pooling geometry */
  uint8_t reduce[ENET_MAX_DIMS]; /* MEAN: reduced dims */
  int64_t outer, axis_len, inner; /* SOFTMAX: the axis as (outer, axis_len, inner) */
  int num_requant;
  /* Per output channel (conv, FC), per window count - 1 (avg pool), per input
   * (concat), or one entry (mean, quantize). */
  enet_requant requant[];
} enet_s8_state;

/* 1 when the op works on int8 data (input 0 or output 0 is INT8). */
int enet_is_int8_op(const enet_op_context* ctx);

/* Allocates ctx->state with room for `num_requant` multipliers (and sets
 * ctx->fused_activation: int8 kernels clamp to the activation themselves). */
enet_status enet_s8_state_alloc(enet_op_context* ctx, int64_t num_requant, enet_s8_state** out);

/* Fails unless the tensor has `dtype`. */
enet_status enet_check_dtype(const enet_rt_tensor* t, int dtype, const char* what);
/* Scale and zero point of a per-tensor quantized tensor (fails on none or per-axis). */
enet_status enet_per_tensor_quant(const enet_rt_tensor* t, const char* what, float* scale, int32_t* zero_point);
/* Real multiplier M > 0 -> fixed point (multiplier in [2^30, 2^31), shift in [1, 62]). */
enet_status enet_quantize_multiplier(double real_multiplier, enet_requant* out);
/* out: the output's zero point and [min, max] clamp for op->activation (relu, relu6). */
enet_status enet_s8_output_params(const enet_op_context* ctx, enet_s8_output* out);
/* Fails when input 0 and output 0 both have quantization parameters and they
 * differ (data movement ops cannot rescale). */
enet_status enet_check_same_quant(const enet_op_context* ctx);
/* Operator.requantization (schema/edgenet.fbs): whether the op requantizes in fixed point (every
 * kernel), or in float32 (LiteRT's XNNPACK arithmetic: reference kernels only, so the SIMD paths
 * check this before they are chosen). enet_use_float32_requantization sets r's float scale
 * s_in * s_w / s_out (in float32) when the op asks for FLOAT32. */
int enet_requantization_fixed_point(const enet_op_context* ctx);
void enet_use_float32_requantization(const enet_op_context* ctx, float s_in, float s_w, float s_out,
                                     enet_requant* r);

/* Prepares take what their float op's prepare already worked out (geometry, axes);
 * they keep it in the state, so invokes take only the context. */
enet_status enet_conv2d_s8_prepare(enet_op_context* ctx, const enet_window* g);
enet_status enet_depthwise_conv2d_s8_prepare(enet_op_context* ctx, const enet_window* g);
void enet_conv2d_s8_invoke(const enet_op_context* ctx);
void enet_depthwise_conv2d_s8_invoke(const enet_op_context* ctx);
ENET_DECLARE_OP(fully_connected_s8);
ENET_DECLARE_OP(binary_s8);
ENET_DECLARE_OP(lookup_s8);
enet_status enet_pool2d_s8_prepare(enet_op_context* ctx, const enet_window* g);
void enet_pool2d_s8_invoke(const enet_op_context* ctx);
enet_status enet_mean_s8_prepare(enet_op_context* ctx, const uint8_t* reduce);
void enet_mean_s8_invoke(const enet_op_context* ctx);
enet_status enet_softmax_s8_prepare(enet_op_context* ctx, int axis);
void enet_softmax_s8_invoke(const enet_op_context* ctx);
ENET_DECLARE_OP(concat_s8);
ENET_DECLARE_OP(pad_s8);

/* Hybrid CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: float x and y, constant int8 weights whose
 * output channels are on `axis`. What prepare keeps for invoke (ctx->state): */
typedef struct enet_hybrid_plan {
  enet_hybrid_input x;      /* the mode (Operator.hybrid_quantization) and the quantized x below */
  int64_t blocks, block_size; /* x is quantized in `blocks` blocks of `block_size` values */
  int32_t* w_zp;            /* per output channel (per-tensor parameters repeated) */
  int32_t* w_sum;           /* sum of each channel's weights */
  float* w_scale;
  float* x_scale;           /* per block, set by each invoke */
  int32_t* x_zp;
  int8_t* x_q;
  float min, max;           /* fused activation */
  enet_window window;       /* conv, depthwise */
  int depth_multiplier;     /* depthwise; 0: conv */
  /* set by each invoke for the tasks */
  const int8_t* w;
  const float* bias;
  float* y;
} enet_hybrid_plan;
/* 1 for a hybrid layer: float input 0, int8 weights (input 1), not an int8 op. */
int enet_is_hybrid_op(const enet_op_context* ctx);
/* Checks the output, bias and weights (constant, one scale or one per channel, sums that fit int32)
 * and allocates the plan for x quantized in `blocks` blocks, each read by rows_per_block rows (FC)
 * or images (conv). */
enet_status enet_prepare_hybrid(enet_op_context* ctx, int axis, int64_t blocks, int64_t rows_per_block,
                                enet_hybrid_plan** out);
/* Quantizes x into the plan (ctx->state), then runs `task` over [0, count) on the thread pool with the
 * plan as its context. */
void enet_invoke_hybrid(const enet_op_context* ctx, enet_task_fn task, size_t count);

#endif /* EDGENET_OPS_S8_H */
