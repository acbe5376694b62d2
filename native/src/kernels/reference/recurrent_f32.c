/* LSTM / GRU reference kernels (ONNX semantics; the op: ops/recurrent.c, Python: edgenet/ops/recurrent.py).
 * Step by step, one batch row at a time, with the weights read in their ONNX layout: the oracle for
 * the optimized path in ops/recurrent.c. The step functions (cells) are shared with it. */
#include <math.h>
#include <string.h>

#include "reference.h"

void enet_recurrent_ref_sigmoid(size_t n, const float* x, float* y) { enet_ref_unary_f32(ENET_UNARY_SIGMOID, (int64_t)n, x, y); }
void enet_recurrent_ref_tanh(size_t n, const float* x, float* y) { enet_ref_unary_f32(ENET_UNARY_TANH, (int64_t)n, x, y); }

void enet_recurrent_matvec(const enet_recurrent_weights* wt, int recurrent, int d, int64_t gh, const float* v,
                           int64_t k, int64_t row0, int64_t rows, float* out, int8_t* q) {
  if (!wt->w_s8) {
    const float* m = (recurrent ? wt->r : wt->w) + ((int64_t)d * gh + row0) * k;
    for (int64_t j = 0; j < rows; j++, m += k) {
      float acc = 0.0f;
      for (int64_t i = 0; i < k; i++) acc += v[i] * m[i];
      out[j] = acc;
    }
    return;
  }
  /* Dynamic quantization of v (symmetric, per vector); NaN-safe: a NaN element gives q = 0 there. */
  float max_abs = 0.0f;
  for (int64_t i = 0; i < k; i++) max_abs = fabsf(v[i]) > max_abs ? fabsf(v[i]) : max_abs;
  float s = max_abs / 127.0f;
  for (int64_t i = 0; i < k; i++) {
    float r = s > 0.0f ? rintf(v[i] / s) : 0.0f;
    q[i] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : r == r ? (int)r : 0);
  }
  const int8_t* m = (recurrent ? wt->r_s8 : wt->w_s8) + ((int64_t)d * gh + row0) * k;
  const float* scale = (recurrent ? wt->r_scale : wt->w_scale) + row0;
  for (int64_t j = 0; j < rows; j++, m += k) {
    int32_t acc = 0; /* k * 127 * 127 < 2^31 for k < 133000 (prepare checks) */
    for (int64_t i = 0; i < k; i++) acc += (int32_t)q[i] * m[i];
    out[j] = (float)acc * (s * scale[j]);
  }
}

void enet_recurrent_input_bias(const enet_recurrent_geometry* g, const float* bias, int d, float* out) {
  int64_t gh = g->gates * g->hidden;
  for (int64_t j = 0; j < gh; j++) {
    int recurrent_inside = g->kind == ENET_RECURRENT_GRU && g->linear_before_reset && j >= 2 * g->hidden;
    out[j] = bias ? bias[d * 2 * gh + j] + (recurrent_inside ? 0.0f : bias[d * 2 * gh + gh + j]) : 0.0f;
  }
}

void enet_recurrent_lstm_cell(int64_t hidden, float* gates, float* c, float* h, enet_recurrent_vfunc sigmoid,
                              enet_recurrent_vfunc tanh_fn) {
  float *i = gates, *o = gates + hidden, *f = gates + 2 * hidden, *g = gates + 3 * hidden;
  sigmoid((size_t)(3 * hidden), gates, gates);
  tanh_fn((size_t)hidden, g, g);
  for (int64_t j = 0; j < hidden; j++) c[j] = f[j] * c[j] + i[j] * g[j];
  tanh_fn((size_t)hidden, c, h);
  for (int64_t j = 0; j < hidden; j++) h[j] *= o[j];
}

void enet_recurrent_gru_gates(int64_t hidden, float* gx, const float* gh, enet_recurrent_vfunc sigmoid) {
  for (int64_t j = 0; j < 2 * hidden; j++) gx[j] += gh[j];
  sigmoid((size_t)(2 * hidden), gx, gx);
}

void enet_recurrent_gru_output(int64_t hidden, int linear_before_reset, float* gx, const float* gh, float* h,
                               enet_recurrent_vfunc tanh_fn) {
  const float *z = gx, *r = gx + hidden;
  float* n = gx + 2 * hidden;
  for (int64_t j = 0; j < hidden; j++) n[j] += linear_before_reset ? r[j] * gh[2 * hidden + j] : gh[2 * hidden + j];
  tanh_fn((size_t)hidden, n, n);
  for (int64_t j = 0; j < hidden; j++) h[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
}

/* gx (G*H) | gh (G*H) | bias (G*H) | h (B*H) | c (B*H) | rh (H) | q (max(I, H) bytes, in floats) */
size_t enet_ref_recurrent_scratch_floats(const enet_recurrent_geometry* g) {
  size_t gh = (size_t)g->gates * (size_t)g->hidden, bh = (size_t)g->batch * (size_t)g->hidden;
  size_t k = (size_t)(g->input > g->hidden ? g->input : g->hidden);
  return 3 * gh + 2 * bh + (size_t)g->hidden + k / sizeof(float) + 1;
}

void enet_ref_recurrent_f32(const enet_recurrent_geometry* g, const enet_recurrent_weights* wt, const float* x,
                            const float* h0, const float* c0, float* y, float* y_h, float* y_c, float* scratch) {
  const int64_t H = g->hidden, GH = g->gates * H, B = g->batch, T = g->steps;
  const int lstm = g->kind == ENET_RECURRENT_LSTM;
  float *gx = scratch, *gh = gx + GH, *bias = gh + GH, *h = bias + GH, *c = h + B * H, *rh = c + B * H;
  int8_t* q = (int8_t*)(rh + H);
  for (int d = 0; d < g->directions; d++) {
    enet_recurrent_input_bias(g, wt->bias, d, bias);
    for (int64_t b = 0; b < B; b++) {
      int64_t s = enet_recurrent_state_row(g, d, b);
      for (int64_t j = 0; j < H; j++) {
        h[b * H + j] = h0 ? h0[s + j] : 0.0f;
        c[b * H + j] = c0 ? c0[s + j] : 0.0f;
      }
    }
    int backwards = d == 1 || g->reverse;
    for (int64_t step = 0; step < T; step++) {
      int64_t t = backwards ? T - 1 - step : step;
      for (int64_t b = 0; b < B; b++) {
        float *hb = h + b * H, *cb = c + b * H;
        enet_recurrent_matvec(wt, 0, d, GH, x + enet_recurrent_x_row(g, t, b), g->input, 0, GH, gx, q);
        for (int64_t j = 0; j < GH; j++) gx[j] += bias[j];
        if (lstm) {
          enet_recurrent_matvec(wt, 1, d, GH, hb, H, 0, GH, gh, q);
          for (int64_t j = 0; j < GH; j++) gx[j] += gh[j];
          enet_recurrent_lstm_cell(H, gx, cb, hb, enet_recurrent_ref_sigmoid, enet_recurrent_ref_tanh);
        } else {
          int lbr = g->linear_before_reset;
          enet_recurrent_matvec(wt, 1, d, GH, hb, H, 0, lbr ? GH : 2 * H, gh, q);
          enet_recurrent_gru_gates(H, gx, gh, enet_recurrent_ref_sigmoid);
          if (lbr) {
            for (int64_t j = 0; j < H; j++) gh[2 * H + j] += wt->bias ? wt->bias[d * 2 * GH + GH + 2 * H + j] : 0.0f;
          } else {
            for (int64_t j = 0; j < H; j++) rh[j] = gx[H + j] * hb[j];
            enet_recurrent_matvec(wt, 1, d, GH, rh, H, 2 * H, H, gh + 2 * H, q);
          }
          enet_recurrent_gru_output(H, lbr, gx, gh, hb, enet_recurrent_ref_tanh);
        }
        memcpy(y + enet_recurrent_y_row(g, t, d, b), hb, (size_t)H * sizeof(float));
      }
    }
    for (int64_t b = 0; b < B; b++) {
      int64_t s = enet_recurrent_state_row(g, d, b);
      memcpy(y_h + s, h + b * H, (size_t)H * sizeof(float));
      if (lstm) memcpy(y_c + s, c + b * H, (size_t)H * sizeof(float));
    }
  }
}
