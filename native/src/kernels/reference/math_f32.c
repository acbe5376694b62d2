/* Reference float math kernels for the ONNX-era elementwise ops: more unary
 * functions, more broadcasting binary ops, comparisons and select (WHERE). */
#include <math.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference.h"

void enet_broadcast_init(enet_broadcast* it, int ndim, const int64_t* out_shape, int num_inputs,
                         const int64_t* const* in_shapes) {
  it->ndim = ndim;
  it->num_inputs = num_inputs;
  it->total = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    it->shape[d] = out_shape[d];
    it->index[d] = 0;
    it->total *= out_shape[d];
  }
  for (int i = 0; i < num_inputs; i++) {
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
      it->stride[i][d] = in_shapes[i][d] == 1 ? 0 : s; /* 0: this input repeats along d */
      s *= in_shapes[i][d];
    }
    it->offset[i] = 0;
  }
}

void enet_broadcast_next(enet_broadcast* it) {
  /* Advance the output multi-index like an odometer, moving every input offset with it. */
  for (int d = it->ndim - 1; d >= 0; d--) {
    for (int i = 0; i < it->num_inputs; i++) it->offset[i] += it->stride[i][d];
    if (++it->index[d] < it->shape[d]) return;
    for (int i = 0; i < it->num_inputs; i++) it->offset[i] -= it->stride[i][d] * it->shape[d];
    it->index[d] = 0;
  }
}

void enet_ref_math_unary_f32(enet_math_unary_op op, float alpha, float beta, int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], r = 0.0;
    switch (op) {
      case ENET_MATH_SQRT: r = sqrt(v); break;
      case ENET_MATH_EXP: r = exp(v); break;
      case ENET_MATH_LOG: r = log(v); break;
      case ENET_MATH_ABS: r = fabs(v); break;
      case ENET_MATH_NEG: r = -v; break;
      case ENET_MATH_ERF: r = erf(v); break;
      case ENET_MATH_GELU: r = 0.5 * v * (1.0 + erf(v * 0.70710678118654752)); break;
      case ENET_MATH_GELU_TANH: r = 0.5 * v * (1.0 + tanh(0.79788456080286536 * (v + 0.044715 * v * v * v))); break;
      case ENET_MATH_LEAKY_RELU: r = v >= 0.0 ? v : alpha * v; break;
      case ENET_MATH_HARD_SIGMOID: r = fmin(fmax(alpha * v + beta, 0.0), 1.0); break;
      case ENET_MATH_ELU: r = v > 0.0 ? v : alpha * expm1(v); break;
      case ENET_MATH_FLOOR: r = floor(v); break;
      case ENET_MATH_CEIL: r = ceil(v); break;
      case ENET_MATH_RECIPROCAL: r = 1.0 / v; break;
      case ENET_MATH_SOFTPLUS: r = fmax(v, 0.0) + log1p(exp(-fabs(v))); break; /* no overflow for large x */
      case ENET_MATH_SIN: r = sin(v); break;
      case ENET_MATH_COS: r = cos(v); break;
      case ENET_MATH_SILU: r = v / (1.0 + exp(-v)); break; /* x * sigmoid(x); exp overflow gives -0 */
    }
    y[i] = (float)r;
  }
}

static float binary(enet_math_binary_op op, float a, float b) {
  switch (op) {
    case ENET_MATH_DIV: return a / b;
    case ENET_MATH_POW: return powf(a, b);
    case ENET_MATH_MINIMUM: return isnan(a) || isnan(b) ? NAN : (a < b ? a : b);
    case ENET_MATH_MAXIMUM: return isnan(a) || isnan(b) ? NAN : (a > b ? a : b);
    case ENET_MATH_PRELU: return a >= 0.0f ? a : a * b; /* b is the slope */
  }
  return 0.0f;
}

void enet_ref_math_binary_f32(enet_math_binary_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,
                              const float* a, const int64_t* b_shape, const float* b, float* y) {
  const int64_t* shapes[2] = {a_shape, b_shape};
  enet_broadcast it;
  enet_broadcast_init(&it, ndim, out_shape, 2, shapes);
  for (int64_t i = 0; i < it.total; i++, enet_broadcast_next(&it)) y[i] = binary(op, a[it.offset[0]], b[it.offset[1]]);
}

/* One comparison kernel per operand type; the body is the same, so a macro writes all three. */
#define ENET_DEFINE_COMPARE(suffix, type)                                                                        \
  void enet_ref_compare_##suffix(enet_compare_op op, int ndim, const int64_t* out_shape, const int64_t* a_shape,  \
                                 const type* a, const int64_t* b_shape, const type* b, uint8_t* y) {              \
    const int64_t* shapes[2] = {a_shape, b_shape};                                                               \
    enet_broadcast it;                                                                                           \
    enet_broadcast_init(&it, ndim, out_shape, 2, shapes);                                                        \
    for (int64_t i = 0; i < it.total; i++, enet_broadcast_next(&it)) {                                           \
      type va = a[it.offset[0]], vb = b[it.offset[1]];                                                           \
      switch (op) {                                                                                              \
        case ENET_COMPARE_EQUAL: y[i] = va == vb; break;                                                         \
        case ENET_COMPARE_LESS: y[i] = va < vb; break;                                                           \
        case ENET_COMPARE_GREATER: y[i] = va > vb; break;                                                        \
        case ENET_COMPARE_LESS_EQUAL: y[i] = va <= vb; break;                                                    \
        case ENET_COMPARE_GREATER_EQUAL: y[i] = va >= vb; break;                                                 \
      }                                                                                                          \
    }                                                                                                            \
  }

ENET_DEFINE_COMPARE(f32, float)
ENET_DEFINE_COMPARE(i32, int32_t)
ENET_DEFINE_COMPARE(i64, int64_t)

void enet_ref_where(int ndim, const int64_t* out_shape, const int64_t* cond_shape, const uint8_t* cond,
                    const int64_t* a_shape, const void* a, const int64_t* b_shape, const void* b, size_t elem_size,
                    void* y) {
  const int64_t* shapes[3] = {cond_shape, a_shape, b_shape};
  const char *pa = a, *pb = b;
  char* py = y;
  enet_broadcast it;
  enet_broadcast_init(&it, ndim, out_shape, 3, shapes);
  for (int64_t i = 0; i < it.total; i++, enet_broadcast_next(&it)) {
    const char* src = cond[it.offset[0]] ? pa + it.offset[1] * elem_size : pb + it.offset[2] * elem_size;
    for (size_t k = 0; k < elem_size; k++) py[i * (int64_t)elem_size + (int64_t)k] = src[k];
  }
}
