/*
 * ops.h — prepare/invoke of every op, one file per op family, named like the Python
 * family (edgenet/ops/<family>.py) and the tests (tests/ops/test_<family>.py):
 *   conv.c, conv_fc.c  CONV_2D, DEPTHWISE_CONV_2D; FULLY_CONNECTED
 *   elementwise.c      ADD, SUB, MUL, RELU, RELU6, SIGMOID, TANH, HARD_SWISH, CLIP, TABLE (int8)
 *   math.c             DIV, POW, MINIMUM, MAXIMUM, PRELU, EQUAL, LESS, GREATER, LESS_EQUAL,
 *                      GREATER_EQUAL, SQRT, EXP, LOG, ABS, NEG, ERF, FLOOR, CEIL, RECIPROCAL,
 *                      SOFTPLUS, SIN, COS, SILU, GELU, LEAKY_RELU, ELU, HARD_SIGMOID, WHERE, CAST
 *   pooling.c          MAX_POOL_2D, AVG_POOL_2D
 *   reduction.c        MEAN, REDUCE_SUM, REDUCE_MAX, REDUCE_MIN, ARG_MAX, ARG_MIN
 *   normalization.c    SOFTMAX, LOG_SOFTMAX, LAYER_NORM, INSTANCE_NORM
 *   shape.c            RESHAPE, TRANSPOSE, CONCAT, PAD, SHAPE
 *   data.c             SPLIT, SLICE, GATHER, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
 *                      PAD in REFLECT / EDGE mode
 *   quantization.c     QUANTIZE, DEQUANTIZE
 *   linalg.c           MATMUL, CONV_2D_TRANSPOSE
 *   image.c            RESIZE
 *   recurrent.c        LSTM, GRU
 *   control_flow.c     IF, WHILE (bodies are other subgraphs; also the loader's cross-subgraph checks)
 *   custom.c           CUSTOM (the app's kernel, registered by name: enet_options.custom_ops)
 * Each family file also holds the range checks of the options tables its ops read
 * (enet_check_*_options, run by the loader through registry.c).
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
/* added for the ONNX importer */
ENET_DECLARE_OP(math_binary);      /* math.c */
ENET_DECLARE_OP(compare);          /* math.c */
ENET_DECLARE_OP(math_unary);       /* math.c */
/* The shared prepare of unary ops and CLIP (elementwise.c): int8 lookup or float, same shape. */
enet_status enet_unary_shape_prepare(enet_op_context* ctx);
/* Float unary ops whose prepare picked a vector kernel: runs it and returns 1; else 0 (elementwise.c). */
int enet_unary_vector_invoke(const enet_op_context* ctx);
ENET_DECLARE_OP(where);            /* math.c */
ENET_DECLARE_OP(cast);             /* math.c */
ENET_DECLARE_OP(reduce);           /* reduction.c */
ENET_DECLARE_OP(arg_reduce);       /* reduction.c */
ENET_DECLARE_OP(matmul);           /* linalg.c */
ENET_DECLARE_OP(conv2d_transpose); /* linalg.c */
ENET_DECLARE_OP(log_softmax);      /* normalization.c */
ENET_DECLARE_OP(layer_norm);       /* normalization.c */
ENET_DECLARE_OP(instance_norm);    /* normalization.c */
ENET_DECLARE_OP(split);            /* data.c */
ENET_DECLARE_OP(slice);            /* data.c */
ENET_DECLARE_OP(gather);           /* data.c */
ENET_DECLARE_OP(broadcast_to);     /* data.c */
ENET_DECLARE_OP(depth_space);      /* data.c */
ENET_DECLARE_OP(border_pad);       /* data.c: PAD with PadOptions.mode REFLECT / EDGE */
ENET_DECLARE_OP(resize);           /* image.c */
ENET_DECLARE_OP(recurrent);        /* recurrent.c: LSTM, GRU */
ENET_DECLARE_OP(shape);            /* shape.c: SHAPE */
ENET_DECLARE_OP(if);               /* control_flow.c */
ENET_DECLARE_OP(while);            /* control_flow.c */
ENET_DECLARE_OP(custom);           /* custom.c */

/* Range checks of a decoded options table (generated reader: options_generated.h), in the
 * family file of the ops that read it; the loader runs them through the registry. */
typedef enet_status (*enet_options_check)(const enet_op_options* options);
enet_status enet_check_recurrent_options(const enet_op_options* options);        /* recurrent.c */
enet_status enet_check_conv2d_options(const enet_op_options* options);           /* conv.c */
enet_status enet_check_pool2d_options(const enet_op_options* options);           /* pooling.c */
enet_status enet_check_reduce_options(const enet_op_options* options);           /* reduction.c */
enet_status enet_check_reshape_options(const enet_op_options* options);          /* shape.c */
enet_status enet_check_transpose_options(const enet_op_options* options);        /* shape.c */
enet_status enet_check_concat_options(const enet_op_options* options);           /* shape.c */
enet_status enet_check_pad_options(const enet_op_options* options);              /* shape.c */
enet_status enet_check_softmax_options(const enet_op_options* options);          /* normalization.c */
enet_status enet_check_arg_options(const enet_op_options* options);              /* reduction.c */
enet_status enet_check_conv2d_transpose_options(const enet_op_options* options); /* linalg.c */
enet_status enet_check_split_options(const enet_op_options* options);            /* data.c */
enet_status enet_check_slice_options(const enet_op_options* options);            /* data.c */
enet_status enet_check_gather_options(const enet_op_options* options);           /* data.c */
enet_status enet_check_depth_space_options(const enet_op_options* options);      /* data.c */
enet_status enet_check_resize_options(const enet_op_options* options);           /* image.c */
enet_status enet_check_layer_norm_options(const enet_op_options* options);       /* normalization.c */
enet_status enet_check_instance_norm_options(const enet_op_options* options);    /* normalization.c */
enet_status enet_check_custom_options(const enet_op_options* options);           /* custom.c */

/* Elements of a prepared tensor (its byte size was overflow-checked). */
int64_t enet_tensor_elements(const enet_rt_tensor* t);
/* Fails unless every present input and every output is FLOAT32. */
enet_status enet_check_float(const enet_op_context* ctx);
/* Fails unless inputs[i] has `ndim` dims. */
enet_status enet_check_rank(const enet_op_context* ctx, int i, int ndim, const char* what);
/* Output size of a sliding window along one dim, overflow-checked. */
enet_status enet_window_output(int64_t in, int pad_before, int pad_after, int64_t k, int dilation, int stride,
                               const char* what, int64_t* out);

/* Allocates ctx->state (64-byte aligned, freed by the interpreter with enet_aligned_free); NULL with
 * an error message when out of memory. */
void* enet_alloc_op_state(enet_op_context* ctx, size_t bytes);
/* The clamp [min, max] equal to a fused float activation (NONE: +-infinity). */
void enet_activation_range(int activation, float* min, float* max);
/* int8 CONV_2D / FULLY_CONNECTED (as a 1x1 conv): replaces the int8 prepare's
 * state with packed weights for the qs8 GEMM kernels when available. (conv.c) */
struct enet_window;
enet_status enet_prepare_packed_s8_gemm(enet_op_context* ctx, const struct enet_window* g);

/* Marks the dims ReduceOptions.axes reduces (reduce[d] = 1); fails on an axis out of range or
 * listed twice. (ops/reduction.c, shared by MEAN and the REDUCE_* ops) */
enet_status enet_reduced_dims(const enet_op_context* ctx, uint8_t* reduce);
/* Right-aligns t's shape into `ndim` dims, padding with leading 1s (for broadcasting). */
void enet_aligned_shape(const enet_rt_tensor* t, int ndim, int64_t* out);
/* CONCAT's geometry, in elements: for each of `outer` indices every input contributes one row of
 * shape[axis] * inner elements, laid side by side in an output row of `out_row` (ops/shape.c). */
void enet_concat_rows(const enet_op_context* ctx, int64_t* outer, int64_t* inner, int64_t* out_row);
/* A binary op's broadcast as rows for the vector kernels. Broadcasts in models are mostly
 * per-channel (squeeze-excite scaling: (1,H,W,C) * (1,1,1,C)), per-tensor scalars or one value
 * per row ((N,R,C) + (N,R,1)): they split into `outer` rows of `inner` elements in which each
 * operand is either whole (contiguous) or one value; each row then runs the same-shape kernel. */
#define ENET_BINARY_MIN_ROW 16 /* shorter rows keep the reference loop: a call per row would cost more */
typedef struct enet_binary_rows {
  int64_t inner, outer;   /* elements per row, rows */
  int a_scalar, b_scalar; /* 1: the operand is one value per row */
  int outer_ndim;         /* dims outside the rows */
  int64_t outer_shape[ENET_MAX_DIMS], a_stride[ENET_MAX_DIMS], b_stride[ENET_MAX_DIMS]; /* 0: broadcast */
} enet_binary_rows;
/* Fills `r` from the output shape and the operands' right-aligned shapes (enet_aligned_shape);
 * returns 1 when the broadcast splits into rows of at least ENET_BINARY_MIN_ROW elements. */
int enet_split_binary_rows(int ndim, const int64_t* out, const int64_t* as, const int64_t* bs, enet_binary_rows* r);
/* Rows in order: start sets row `row`'s index in the outer dims and its element offsets in a and b;
 * next steps all three to the following row (no division per row). */
void enet_binary_row_start(const enet_binary_rows* r, int64_t row, int64_t* index, int64_t* ia, int64_t* ib);
void enet_binary_row_next(const enet_binary_rows* r, int64_t* index, int64_t* ia, int64_t* ib);
/* Sets outputs[0]'s shape to the numpy broadcast of inputs[first .. first + count - 1]. */
enet_status enet_broadcast_prepare(enet_op_context* ctx, int first, int count);
/* Fails unless t has `dtype`; `role` names the tensor in the message ("input a", "the output").
 * (ops_s8.h's enet_check_dtype is the int8 ops' variant, with an "int8 op" message.) */
enet_status enet_require_dtype(const enet_rt_tensor* t, int dtype, const char* role);

#endif /* EDGENET_OPS_H */
