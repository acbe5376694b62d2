/* Reference float LSTM and GRU, one direction per call, ONNX gate semantics:
 *   LSTM gates i, o, f, c:  i = sig(x Wi' + h Ri' + pi*c + bi), f = sig(.. + pf*c ..),
 *                           g = tanh(..), c' = f*c + i*g, o = sig(.. + po*c' ..), h' = o*tanh(c')
 *   GRU gates z, r, h:      z = sig(..), r = sig(..),
 *                           n = tanh(x Wh' + (r*h) Rh' + Rbh + Wbh)        (linear_before_reset 0)
 *                           n = tanh(x Wh' + r*(h Rh' + Rbh) + Wbh)        (linear_before_reset 1)
 *                           h' = (1 - z)*n + z*h
 * Sums run in the same order as the numpy reference's matmuls would (x part, then h part). */
#include <math.h>
#include <string.h>

#include "reference.h"

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* out[b, j] = sum_k in[b, k] * w[j, k] for j < rows: one gate block of x W' or h R'. */
static void matmul_transposed(int64_t batch, int64_t in, int64_t rows, const float* x, const float* w, float* out) {
  for (int64_t b = 0; b < batch; b++)
    for (int64_t j = 0; j < rows; j++) {
      float acc = 0.0f;
      for (int64_t k = 0; k < in; k++) acc += x[b * in + k] * w[j * in + k];
      out[b * rows + j] = acc;
    }
}

void enet_ref_lstm_f32(const enet_rnn_shape* s, const float* x, const float* w, const float* r, const float* bias,
                       const float* peephole, const float* h0, const float* c0, float* y, float* h_out, float* c_out,
                       float* scratch) {
  int64_t B = s->batch, H = s->hidden, G = 4 * H;
  float *xw = scratch, *hr = scratch + B * G, *h = hr + B * G, *c = h + B * H;
  for (int64_t i = 0; i < B * H; i++) {
    h[i] = h0 ? h0[i] : 0.0f;
    c[i] = c0 ? c0[i] : 0.0f;
  }
  for (int64_t step = 0; step < s->seq_len; step++) {
    int64_t t = s->reverse ? s->seq_len - 1 - step : step;
    matmul_transposed(B, s->input, G, x + t * B * s->input, w, xw);
    matmul_transposed(B, H, G, h, r, hr);
    for (int64_t b = 0; b < B; b++)
      for (int64_t j = 0; j < H; j++) {
        float pre[4]; /* i, o, f, c */
        for (int q = 0; q < 4; q++) {
          pre[q] = xw[b * G + q * H + j] + hr[b * G + q * H + j];
          if (bias) pre[q] += bias[q * H + j] + bias[G + q * H + j]; /* Wb + Rb */
        }
        float c_prev = c[b * H + j];
        float in_gate = sigmoid(pre[0] + (peephole ? peephole[j] * c_prev : 0.0f));
        float forget = sigmoid(pre[2] + (peephole ? peephole[2 * H + j] * c_prev : 0.0f));
        float cell = forget * c_prev + in_gate * tanhf(pre[3]);
        float out_gate = sigmoid(pre[1] + (peephole ? peephole[H + j] * cell : 0.0f));
        c[b * H + j] = cell;
        h[b * H + j] = out_gate * tanhf(cell);
      }
    if (y)
      for (int64_t b = 0; b < B; b++) memcpy(y + t * s->y_time_stride + b * H, h + b * H, (size_t)H * sizeof(float));
  }
  if (h_out) memcpy(h_out, h, (size_t)(B * H) * sizeof(float));
  if (c_out) memcpy(c_out, c, (size_t)(B * H) * sizeof(float));
}

void enet_ref_gru_f32(const enet_rnn_shape* s, int linear_before_reset, const float* x, const float* w,
                      const float* r, const float* bias, const float* h0, float* y, float* h_out, float* scratch) {
  int64_t B = s->batch, H = s->hidden, G = 3 * H;
  float *xw = scratch, *hr = scratch + B * G, *h = hr + B * G, *rh = h + B * H;
  for (int64_t i = 0; i < B * H; i++) h[i] = h0 ? h0[i] : 0.0f;
  for (int64_t step = 0; step < s->seq_len; step++) {
    int64_t t = s->reverse ? s->seq_len - 1 - step : step;
    matmul_transposed(B, s->input, G, x + t * B * s->input, w, xw);
    /* z and r (and, for linear_before_reset, the h gate's h Rh') from the previous h */
    matmul_transposed(B, H, G, h, r, hr);
    for (int64_t b = 0; b < B; b++)
      for (int64_t j = 0; j < H; j++) {
        float pre_r = xw[b * G + H + j] + hr[b * G + H + j];
        if (bias) pre_r += bias[H + j] + bias[G + H + j];
        rh[b * H + j] = sigmoid(pre_r); /* r, kept for the h gate */
      }
    if (!linear_before_reset) {
      /* the h gate reads (r * h) Rh': overwrite hr's h block with that product */
      for (int64_t i = 0; i < B * H; i++) rh[i] *= h[i];
      for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
          float acc = 0.0f;
          for (int64_t k = 0; k < H; k++) acc += rh[b * H + k] * r[(2 * H + j) * H + k];
          hr[b * G + 2 * H + j] = acc;
        }
    }
    for (int64_t b = 0; b < B; b++)
      for (int64_t j = 0; j < H; j++) {
        float pre_z = xw[b * G + j] + hr[b * G + j];
        float xh = xw[b * G + 2 * H + j], hh = hr[b * G + 2 * H + j];
        if (bias) {
          pre_z += bias[j] + bias[G + j];
          xh += bias[2 * H + j];
          hh += bias[G + 2 * H + j];
        }
        float z = sigmoid(pre_z);
        float n = tanhf(linear_before_reset ? xh + rh[b * H + j] * hh : xh + hh);
        h[b * H + j] = (1.0f - z) * n + z * h[b * H + j];
      }
    if (y)
      for (int64_t b = 0; b < B; b++) memcpy(y + t * s->y_time_stride + b * H, h + b * H, (size_t)H * sizeof(float));
  }
  if (h_out) memcpy(h_out, h, (size_t)(B * H) * sizeof(float));
}
