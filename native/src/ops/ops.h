/*
 * ops.h — prepare/invoke of every op, one file per op family:
 *   conv.c             CONV_2D, DEPTHWISE_CONV_2D
 *   fully_connected.c  FULLY_CONNECTED
 *   elementwise.c      ADD, SUB, MUL, RELU, RELU6, SIGMOID, TANH, HARD_SWISH, CLIP
 *   pool.c             MAX_POOL_2D, AVG_POOL_2D
 *   reduce.c           MEAN
 *   softmax.c          SOFTMAX
 *   shape.c            RESHAPE, TRANSPOSE, CONCAT, PAD
 *   quantize.c         QUANTIZE, DEQUANTIZE
 * The int8 side of each op lives in *_s8.c files (see ops_s8.h).
 * registry.c maps op codes to these functions and states each op's input,
 * output and options contract, which the loader verifies.
 */
#ifndef EDGENET_OPS_H
#define EDGENET_OPS_H

#include "../internal.h"

#define ENET_DECLARE_OP(name)                          \
  enet_status enet_##name##_prepare(enet_op_context* ctx); \
  void enet_##name##_invoke(const enet_op_context* ctx)

ENET_DECLARE_OP(conv2d);
ENET_DECLARE_OP(depthwise_conv2d);
ENET_DECLARE_OP(fully_connected);
ENET_DECLARE_OP(binary);
ENET_DECLARE_OP(unary);
ENET_DECLARE_OP(clip);
ENET_DECLARE_OP(pool2d);
ENET_DECLARE_OP(mean);
ENET_DECLARE_OP(softmax);
ENET_DECLARE_OP(reshape);
ENET_DECLARE_OP(transpose);
ENET_DECLARE_OP(concat);
ENET_DECLARE_OP(pad);
ENET_DECLARE_OP(quantize);

/* Elements of a prepared tensor (its byte size was overflow-checked). */
int64_t enet_tensor_elements(const enet_rt_tensor* t);
/* Fails unless every present input and every output is FLOAT32. */
enet_status enet_check_float(const enet_op_context* ctx);
/* Fails unless inputs[i] has `ndim` dims. */
enet_status enet_check_rank(const enet_op_context* ctx, int i, int ndim, const char* what);
/* Output size of a sliding window along one dim, overflow-checked. */
enet_status enet_window_output(int64_t in, int pad_before, int pad_after, int64_t k, int dilation, int stride,
                               const char* what, int64_t* out);

/* Allocates ctx->state (64-byte aligned, freed by the interpreter); NULL with
 * an error message when out of memory. */
void* enet_alloc_op_state(enet_op_context* ctx, size_t bytes);
/* The clamp [min, max] equal to a fused float activation (NONE: +-infinity). */
void enet_activation_range(int activation, float* min, float* max);
/* int8 CONV_2D / FULLY_CONNECTED (as a 1x1 conv): replaces the int8 prepare's
 * state with packed weights for the qs8 GEMM kernels when available. (conv.c) */
struct enet_window;
enet_status enet_prepare_packed_s8_gemm(enet_op_context* ctx, const struct enet_window* g);

#endif /* EDGENET_OPS_H */
