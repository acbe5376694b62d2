/* Reference int8 elementwise kernels: add/sub/mul with broadcasting, table
 * lookups (sigmoid, tanh, hard_swish), softmax, quantize, dequantize, requantize. */
#include <math.h>

#include "edgenet.h" /* ENET_MAX_DIMS */
#include "reference_s8.h"

static int8_t binary_one(enet_binary_op op, const enet_binary_s8_params* p, int8_t a, int8_t b) {
  int32_t da = a - p->a_zp, db = b - p->b_zp;
  if (op == ENET_BINARY_MUL) return enet_clamp_s8(enet_requantize(da * db, p->mul_requant), &p->out);
  /* |d| <= 255 and multipliers < 2^21: the sum fits easily in 64 bits (and in 31). */
  int64_t acc = (int64_t)da * p->a_mult + (op == ENET_BINARY_ADD ? 1 : -1) * (int64_t)db * p->b_mult;
  return enet_clamp_s8(enet_floor_shift(acc + ((int64_t)1 << (p->add_shift - 1)), p->add_shift), &p->out);
}

void enet_ref_binary_s8(enet_binary_op op, const enet_binary_s8_params* p, int ndim, const int64_t* out_shape,
                        const int64_t* a_shape, const int8_t* a, const int64_t* b_shape, const int8_t* b, int8_t* y) {
  /* Same odometer walk as enet_ref_binary_f32: strides are 0 along broadcast dims. */
  int64_t a_stride[ENET_MAX_DIMS], b_stride[ENET_MAX_DIMS], index[ENET_MAX_DIMS] = {0}, total = 1;
  int64_t sa = 1, sb = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    a_stride[d] = a_shape[d] == 1 ? 0 : sa;
    b_stride[d] = b_shape[d] == 1 ? 0 : sb;
    sa *= a_shape[d];
    sb *= b_shape[d];
    total *= out_shape[d];
  }
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < total; i++) {
    y[i] = binary_one(op, p, a[ia], b[ib]);
    for (int d = ndim - 1; d >= 0; d--) {
      ia += a_stride[d];
      ib += b_stride[d];
      if (++index[d] < out_shape[d]) break;
      ia -= a_stride[d] * out_shape[d];
      ib -= b_stride[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

void enet_ref_lookup_s8(int64_t n, const int8_t* table, const int8_t* x, int8_t* y) {
  for (int64_t i = 0; i < n; i++) y[i] = table[x[i] + 128];
}

void enet_ref_softmax_s8(int64_t outer, int64_t axis_len, int64_t inner, const int32_t* table, const int8_t* x,
                         int8_t* y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      const int8_t* xp = x + o * axis_len * inner + i;
      int8_t* yp = y + o * axis_len * inner + i;
      int8_t max = -128;
      for (int64_t k = 0; k < axis_len; k++)
        if (xp[k * inner] > max) max = xp[k * inner];
      int64_t sum = 0; /* >= T[0] = 2^16, so never 0 */
      for (int64_t k = 0; k < axis_len; k++) sum += (uint32_t)table[max - xp[k * inner]];
      for (int64_t k = 0; k < axis_len; k++) {
        int64_t q = ((int64_t)(uint32_t)table[max - xp[k * inner]] * 256 + sum / 2) / sum - 128;
        yp[k * inner] = (int8_t)(q > 127 ? 127 : q); /* q >= -128 always */
      }
    }
}

void enet_ref_quantize_f32_s8(int64_t n, const float* x, float scale, int32_t zero_point, int8_t* y) {
  for (int64_t i = 0; i < n; i++) {
    float r = roundf(x[i] / scale); /* round half away from zero */
    /* Limit before converting (out-of-range float -> int is undefined); NaN -> 0. */
    int32_t q = r != r ? 0 : r < -512.0f ? -512 : r > 512.0f ? 512 : (int32_t)r;
    q += zero_point;
    y[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}

void enet_ref_dequantize_s8_f32(int64_t n, const int8_t* x, float scale, int32_t zero_point, float* y) {
  for (int64_t i = 0; i < n; i++) y[i] = (float)(x[i] - zero_point) * scale;
}

void enet_ref_requantize_s8(int64_t n, const int8_t* x, int32_t x_zp, enet_requant requant,
                            const enet_s8_output* out, int8_t* y) {
  for (int64_t i = 0; i < n; i++) y[i] = enet_clamp_s8(enet_requantize(x[i] - x_zp, requant), out);
}
