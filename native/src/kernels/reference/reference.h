/*
 * reference.h — portable reference kernels, the oracle for optimized ones.
 *
 * Plain C loops written for clarity. They take raw pointers and sizes (no
 * interpreter types), so optimized kernels can share these signatures. All
 * shapes have been checked by the op's prepare; kernels cannot fail.
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

#endif /* EDGENET_KERNELS_REFERENCE_H */
