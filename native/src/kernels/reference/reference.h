/*
 * reference.h — portable reference kernels, the oracle for optimized ones.
 *
 * Plain C loops written for clarity. They take raw pointers and sizes (no
 * interpreter types), so optimized kernels can share these signatures. All
 * shapes have been checked by the op's prepare, so kernels have no error path;
 * data that only invoke sees (e.g. GATHER's computed indices) is checked by the op's
 * invoke before it calls a kernel (enet_fail_invoke, internal.h). Constant operands
 * are read in place from the model file's bytes.
 * Layout is NHWC; conv weights OHWI; depthwise weights (1, KH, KW, C*M).
 */
#ifndef EDGENET_KERNELS_REFERENCE_H
#define EDGENET_KERNELS_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* Geometry shared by conv, depthwise conv and pooling. */
typedef struct enet_window {
  int64_t batch, in_h, in_w, in_c;
  int64_t out_h, out_w, out_c;
  int64_t k_h, k_w;
  int stride_h, stride_w, dilation_h, dilation_w;
  int pad_top, pad_left;
} enet_window;

/* bias may be NULL. */
void enet_ref_conv2d_f32(const enet_window* g, const float* x, const float* w, const float* bias, float* y);
void enet_ref_depthwise_conv2d_f32(const enet_window* g, int depth_multiplier, const float* x, const float* w,
                                   const float* bias, float* y);
/* x (rows, in), w (out, in), bias (out) or NULL -> y (rows, out). */
void enet_ref_fully_connected_f32(int64_t rows, int64_t in, int64_t out, const float* x, const float* w,
                                  const float* bias, float* y);

void enet_ref_max_pool2d_f32(const enet_window* g, const float* x, float* y);
void enet_ref_avg_pool2d_f32(const enet_window* g, int count_include_pad, const float* x, float* y);

typedef enum enet_binary_op { ENET_BINARY_ADD, ENET_BINARY_SUB, ENET_BINARY_MUL } enet_binary_op;
/* Broadcasting binary op. All three shapes have `ndim` dims (inputs padded with
 * leading 1s); a dim of 1 in an input broadcasts. */
void enet_ref_binary_f32(enet_binary_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                         const float* a, const int64_t* b_shape, const float* b, float* y);

typedef enum enet_unary_op {
  ENET_UNARY_RELU,
  ENET_UNARY_RELU6,
  ENET_UNARY_SIGMOID,
  ENET_UNARY_TANH,
  ENET_UNARY_HARD_SWISH
} enet_unary_op;
/* In place is fine (x == y). */
void enet_ref_unary_f32(enet_unary_op op, int64_t n, const float* x, float* y);
void enet_ref_clip_f32(int64_t n, float lo, float hi, const float* x, float* y);

/* Mean over the dims with reduce[d] != 0; y has the kept dims in order. */
void enet_ref_mean_f32(int ndim, const int64_t* shape, const uint8_t* reduce, const float* x, float* y);

/* Softmax over the middle dim of (outer, axis_len, inner). */
void enet_ref_softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, float beta, const float* x, float* y);

/* Data movement (CONCAT and RESHAPE are plain memcpy in ops/shape.c). */
void enet_ref_transpose(int ndim, const int64_t* in_shape, const int* perm, size_t elem_size, const void* x,
                        void* y);
/* Constant padding: paddings holds (before, after) per dim. */
void enet_ref_pad_f32(int ndim, const int64_t* in_shape, const int64_t* paddings, float value, const float* x,
                      float* y);

/* ---- ops added for the ONNX importer ------------------------------------- */

#include "edgenet.h" /* ENET_MAX_DIMS, enet_dtype */

/* Walks an output of `ndim` dims in row-major order while tracking the offset of
 * the matching element of each of up to 3 broadcast inputs (all shapes padded to
 * `ndim` dims with leading 1s; a dim of 1 in an input repeats). Usage:
 *   enet_broadcast_init(&it, ...);
 *   for (i = 0; i < it.total; i++, enet_broadcast_next(&it)) y[i] = f(a[it.offset[0]], ...); */
typedef struct enet_broadcast {
  int ndim, num_inputs;
  int64_t total;
  int64_t shape[ENET_MAX_DIMS], index[ENET_MAX_DIMS];
  int64_t stride[3][ENET_MAX_DIMS];
  int64_t offset[3];
} enet_broadcast;
void enet_broadcast_init(enet_broadcast* it, int ndim, const int64_t* out_shape, int num_inputs,
                         const int64_t* const* in_shapes);
void enet_broadcast_next(enet_broadcast* it);

/* math_f32.c: unary functions with up to two float parameters. */
typedef enum enet_math_unary_op {
  ENET_MATH_SQRT,
  ENET_MATH_EXP,
  ENET_MATH_LOG,
  ENET_MATH_ABS,
  ENET_MATH_NEG,
  ENET_MATH_ERF,
  ENET_MATH_GELU,          /* exact (erf) form */
  ENET_MATH_GELU_TANH,     /* tanh approximation */
  ENET_MATH_LEAKY_RELU,    /* alpha: slope below 0 */
  ENET_MATH_HARD_SIGMOID,  /* clamp(alpha * x + beta, 0, 1) */
  ENET_MATH_ELU,           /* x if x > 0 else alpha * (exp(x) - 1) */
  ENET_MATH_FLOOR,
  ENET_MATH_CEIL,
  ENET_MATH_RECIPROCAL,
  ENET_MATH_SOFTPLUS,      /* log(1 + exp(x)) */
  ENET_MATH_SIN,
  ENET_MATH_COS,
  ENET_MATH_SILU,          /* x * sigmoid(x) */
} enet_math_unary_op;
/* Computed in double and rounded once, so results sit within an ulp of numpy's float64 math. */
void enet_ref_math_unary_f32(enet_math_unary_op op, float alpha, float beta, int64_t n, const float* x, float* y);

/* Broadcasting binary ops, same shape convention as enet_ref_binary_f32. PRELU: b is the slope. */
typedef enum enet_math_binary_op {
  ENET_MATH_DIV,
  ENET_MATH_POW,
  ENET_MATH_MINIMUM,
  ENET_MATH_MAXIMUM,
  ENET_MATH_PRELU,
} enet_math_binary_op;
void enet_ref_math_binary_f32(enet_math_binary_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                              const float* a, const int64_t* b_shape, const float* b, float* y);

typedef enum enet_compare_op {
  ENET_COMPARE_EQUAL,
  ENET_COMPARE_LESS,
  ENET_COMPARE_GREATER,
  ENET_COMPARE_LESS_EQUAL,
  ENET_COMPARE_GREATER_EQUAL,
} enet_compare_op;
/* Broadcasting comparison -> bool (one byte, 0 or 1), of float32, int32 or int64 operands. */
void enet_ref_compare_f32(enet_compare_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                          const float* a, const int64_t* b_shape, const float* b, uint8_t* y);
void enet_ref_compare_i32(enet_compare_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                          const int32_t* a, const int64_t* b_shape, const int32_t* b, uint8_t* y);
void enet_ref_compare_i64(enet_compare_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                          const int64_t* a, const int64_t* b_shape, const int64_t* b, uint8_t* y);
/* y = cond ? a : b with three-way broadcasting; a, b and y of any dtype of `elem_size` bytes. */
void enet_ref_where(int ndim, const int64_t* out_shape, const int64_t* cond_shape, const uint8_t* cond,
                    const int64_t* a_shape, const void* a, const int64_t* b_shape, const void* b, size_t elem_size,
                    void* y);

/* linalg_f32.c: y[p] = a[p] @ b[p] (+ bias over columns, or NULL) for every batch index p of
 * the broadcast batch dims; a's matrices are (m, k), b's (k, n). */
void enet_ref_matmul_f32(int batch_ndim, const int64_t* batch_shape, const int64_t* a_batch_shape,
                         const int64_t* b_batch_shape, int64_t m, int64_t k, int64_t n, const float* a, const float* b,
                         const float* bias, float* y);

/* linalg_f32.c: x (N, H, W, Ci), w (Co, KH, KW, Ci/groups), bias (Co) or NULL. The
 * window geometry reads as for conv2d with input and output swapped (out_h/out_w are the
 * transposed conv's output size; pad_top/pad_left crop it). */
void enet_ref_conv2d_transpose_f32(const enet_window* g, int64_t groups, const float* x, const float* w,
                                   const float* bias, float* y);

/* normalization_f32.c. scale/offset may be NULL (1 and 0). */
/* Each of `outer` rows of `inner` values normalized; scale/offset have `inner` entries. */
void enet_ref_layer_norm_f32(int64_t outer, int64_t inner, float epsilon, const float* x, const float* scale,
                             const float* offset, float* y);
/* x (batch, spatial, channels): each (image, channel) normalized over its spatial values. */
void enet_ref_instance_norm_f32(int64_t batch, int64_t spatial, int64_t channels, float epsilon, const float* x,
                                const float* scale, const float* offset, float* y);
/* x - max - log(sum(exp(x - max))) over the middle dim of (outer, axis_len, inner). */
void enet_ref_log_softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, const float* x, float* y);

/* reduction_f32.c: over dims with reduce[d] != 0, like enet_ref_mean_f32. */
typedef enum enet_reduce_op { ENET_REDUCE_SUM, ENET_REDUCE_MAX, ENET_REDUCE_MIN } enet_reduce_op;
void enet_ref_reduce_f32(enet_reduce_op op, int ndim, const int64_t* shape, const uint8_t* reduce, const float* x,
                         float* y);
/* Index of the max (is_max) or min along the middle dim of (outer, axis_len, inner); ties
 * pick the first index, or the last with select_last. */
void enet_ref_arg_reduce_f32(int is_max, int select_last, int64_t outer, int64_t axis_len, int64_t inner,
                             const float* x, int64_t* y);

/* data_f32.c: data movement for any dtype of `elem_size` bytes. */
/* Output index i reads input start[d] + i[d] * step[d] along every dim (step may be negative). */
void enet_ref_slice(int ndim, const int64_t* in_shape, const int64_t* start, const int64_t* step,
                    const int64_t* out_shape, size_t elem_size, const void* x, void* y);
/* x (outer, axis_len, inner) -> y (outer, num_indices, inner); indices in [-axis_len, axis_len). */
void enet_ref_gather(int64_t outer, int64_t axis_len, int64_t inner, const int64_t* indices, int64_t num_indices,
                     size_t elem_size, const void* x, void* y);
void enet_ref_broadcast_to(int ndim, const int64_t* out_shape, const int64_t* in_shape, size_t elem_size,
                           const void* x, void* y);
/* NHWC depth_to_space (to_space = 1) or space_to_depth (0). (h, w, c) is the space-side shape;
 * crd selects the ONNX "CRD" channel order instead of the default "DCR". */
void enet_ref_depth_to_space(int to_space, int crd, int64_t batch, int64_t h, int64_t w, int64_t c, int block,
                             size_t elem_size, const void* x, void* y);
typedef enum enet_pad_mode { ENET_PAD_REFLECT, ENET_PAD_EDGE } enet_pad_mode;
/* Non-constant padding; paddings holds (before, after) per dim. */
void enet_ref_pad_mode(enet_pad_mode mode, int ndim, const int64_t* in_shape, const int64_t* paddings,
                       size_t elem_size, const void* x, void* y);
/* Element-wise dtype conversion (enet_dtype values): float -> int truncates toward zero and
 * saturates; anything -> bool is != 0. */
void enet_ref_cast(int in_dtype, int out_dtype, int64_t n, const void* x, void* y);

/* image_f32.c: resize H and W of NHWC tensors with ONNX Resize semantics (nearest or
 * bilinear; out-of-range taps clamp to the edge). scale_* = output / input size as the
 * model states it (it may differ from the ratio of the rounded sizes). */
typedef enum enet_resize_coordinates {
  ENET_RESIZE_HALF_PIXEL,
  ENET_RESIZE_PYTORCH_HALF_PIXEL,
  ENET_RESIZE_ALIGN_CORNERS,
  ENET_RESIZE_ASYMMETRIC,
  ENET_RESIZE_TF_HALF_PIXEL_FOR_NN,
  ENET_RESIZE_HALF_PIXEL_SYMMETRIC,
} enet_resize_coordinates;
typedef enum enet_resize_nearest {
  ENET_NEAREST_ROUND_PREFER_FLOOR,
  ENET_NEAREST_ROUND_PREFER_CEIL,
  ENET_NEAREST_FLOOR,
  ENET_NEAREST_CEIL,
} enet_resize_nearest;
typedef struct enet_resize_params {
  int linear; /* 0: nearest */
  enet_resize_coordinates coordinates;
  enet_resize_nearest nearest;
  double scale_h, scale_w;
} enet_resize_params;
void enet_ref_resize_f32(const enet_resize_params* p, int64_t batch, int64_t in_h, int64_t in_w, int64_t channels,
                         int64_t out_h, int64_t out_w, const float* x, float* y);

/* ---- LSTM / GRU (recurrent_f32.c; ONNX semantics, see edgenet/ops/recurrent.py) ---- */
typedef enum enet_recurrent_kind { ENET_RECURRENT_LSTM, ENET_RECURRENT_GRU } enet_recurrent_kind;
typedef struct enet_recurrent_geometry {
  enet_recurrent_kind kind;
  int64_t steps, batch, input, hidden;
  int gates;               /* 4 (LSTM: i, o, f, c) or 3 (GRU: z, r, h) */
  int directions;          /* 1 or 2 */
  int reverse;             /* direction 0 runs from the last step to the first (RecurrentDirection REVERSE) */
  int layout;              /* 0: x (T, B, I), y (T, D, B, H), states (D, B, H); 1: (B, T, I), (B, T, D, H), (B, D, H) */
  int linear_before_reset; /* GRU */
} enet_recurrent_geometry;
/* The weights in ONNX layout: float w (D, G*H, I) and r (D, G*H, H), or int8 ones with one scale per
 * row of G*H (shared by the directions), used with dynamic quantization: each vector multiplied by
 * them is quantized symmetrically, s = max|v| / 127, q = round half even(v / s), the int32 dot
 * products scaled by s * scale[row]. bias (D, 2*G*H) = [Wb | Rb] or NULL. */
typedef struct enet_recurrent_weights {
  const float *w, *r;
  const int8_t *w_s8, *r_s8; /* non-NULL: int8 weights (w, r unused) */
  const float *w_scale, *r_scale;
  const float* bias;
} enet_recurrent_weights;
/* Element offsets of x row (t, b), of y row (t, d, b) and of state row (d, b). */
static inline int64_t enet_recurrent_x_row(const enet_recurrent_geometry* g, int64_t t, int64_t b) {
  return (g->layout ? b * g->steps + t : t * g->batch + b) * g->input;
}
static inline int64_t enet_recurrent_y_row(const enet_recurrent_geometry* g, int64_t t, int d, int64_t b) {
  return (g->layout ? (b * g->steps + t) * g->directions + d : (t * g->directions + d) * g->batch + b) * g->hidden;
}
static inline int64_t enet_recurrent_state_row(const enet_recurrent_geometry* g, int d, int64_t b) {
  return (g->layout ? b * g->directions + d : (int64_t)d * g->batch + b) * g->hidden;
}
/* out[j] = v . M[d][row0 + j] for j < rows, M = w (k = I) or r (k = H); `q` holds k int8 (int8 weights). */
void enet_recurrent_matvec(const enet_recurrent_weights* wt, int recurrent, int d, int64_t gh, const float* v,
                           int64_t k, int64_t row0, int64_t rows, float* out, int8_t* q);
/* The folded input-side bias of direction d (G*H floats): Wb + Rb, except GRU's Rbh with
 * linear_before_reset (added inside r * (h Rh^T + Rbh) instead). Zeros without bias. */
void enet_recurrent_input_bias(const enet_recurrent_geometry* g, const float* bias, int d, float* out);
/* Elementwise y = f(x) over n floats: sigmoid and tanh, the reference's or a vector kernel. */
typedef void (*enet_recurrent_vfunc)(size_t n, const float* x, float* y);
void enet_recurrent_ref_sigmoid(size_t n, const float* x, float* y); /* enet_ref_unary_f32 */
void enet_recurrent_ref_tanh(size_t n, const float* x, float* y);
/* One LSTM step of one batch row: gates (4H pre-activations, i o f c, overwritten), c updated, h written. */
void enet_recurrent_lstm_cell(int64_t hidden, float* gates, float* c, float* h, enet_recurrent_vfunc sigmoid,
                              enet_recurrent_vfunc tanh_fn);
/* One GRU step of one batch row, in two halves around the product that needs r:
 * gates: gx[0:2H] = sigmoid(gx[0:2H] + gh[0:2H]) (z, r), with gx = x W^T + the input bias and
 * gh[0:2H] = h Rzr^T; output: h = (1 - z) * n + z * h, n = tanh(gx[2H:] + r * gh[2H:]) with
 * gh[2H:] = h Rh^T + Rbh (linear_before_reset), else n = tanh(gx[2H:] + gh[2H:]) with gh[2H:] = (r * h) Rh^T. */
void enet_recurrent_gru_gates(int64_t hidden, float* gx, const float* gh, enet_recurrent_vfunc sigmoid);
void enet_recurrent_gru_output(int64_t hidden, int linear_before_reset, float* gx, const float* gh, float* h,
                               enet_recurrent_vfunc tanh_fn);
/* Floats of scratch enet_ref_recurrent_f32 needs. */
size_t enet_ref_recurrent_scratch_floats(const enet_recurrent_geometry* g);
/* h0, c0: initial states or NULL (zeros); c0 and y_c LSTM only. */
void enet_ref_recurrent_f32(const enet_recurrent_geometry* g, const enet_recurrent_weights* wt, const float* x,
                            const float* h0, const float* c0, float* y, float* y_h, float* y_c, float* scratch);

#endif /* EDGENET_KERNELS_REFERENCE_H */
