/*
 * f32_dwconv.c — float depthwise convolution (depth_multiplier 1) over packed
 * weights. Per output row, an indirection buffer lists each output pixel's
 * KH*KW input pixels (a shared zero row for padding), so one microkernel
 * serves every kernel size, stride, dilation and padding. Output rows split
 * over the thread pool; a pixel's sum never depends on the split.
 */
#include <stdint.h>
#include <string.h>

#include "optimized.h"


static size_t packed_floats(const enet_f32_kernels* k, const enet_window* g) {
  size_t cb = k->dwconv_cb, taps = (size_t)(g->k_h * g->k_w);
  return enet_div_up((size_t)g->out_c, cb) * cb * (1 + taps);
}

size_t enet_f32_dwconv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads) {
  size_t taps = (size_t)(g->k_h * g->k_w);
  return enet_align64(sizeof(enet_f32_dwconv_plan)) + enet_align64(packed_floats(k, g) * sizeof(float)) +
         enet_align64((size_t)g->in_c * sizeof(float)) +
         enet_align64((size_t)num_threads * (size_t)g->out_w * taps * sizeof(float*));
}

enet_f32_dwconv_plan* enet_f32_dwconv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                                int num_threads, const float* weights, const float* bias, float min,
                                                float max) {
  uint8_t* at = memory; /* 64-byte aligned by the caller */
  enet_f32_dwconv_plan* p = (enet_f32_dwconv_plan*)at;
  memset(p, 0, sizeof *p);
  at += enet_align64(sizeof *p);
  p->k = k, p->g = *g, p->num_threads = num_threads, p->min = min, p->max = max;
  p->taps = (size_t)(g->k_h * g->k_w);
  p->packed = (float*)at;
  at += enet_align64(packed_floats(k, g) * sizeof(float));
  p->zero = (float*)at;
  memset(p->zero, 0, (size_t)g->in_c * sizeof(float));
  at += enet_align64((size_t)g->in_c * sizeof(float));
  p->indirection = (const float**)at;
  /* Block of cb channels: cb biases, then per tap cb weights; zero past out_c. */
  size_t cb = k->dwconv_cb, c_total = (size_t)g->out_c;
  float* dst = p->packed;
  for (size_t c0 = 0; c0 < c_total; c0 += cb) {
    for (size_t j = 0; j < cb; j++) *dst++ = c0 + j < c_total && bias ? bias[c0 + j] : 0.0f;
    for (size_t t = 0; t < p->taps; t++)
      for (size_t j = 0; j < cb; j++) *dst++ = c0 + j < c_total ? weights[t * c_total + c0 + j] : 0.0f;
  }
  return p;
}

typedef struct dw_job {
  const enet_f32_dwconv_plan* p;
  const float* x;
  float* y;
} dw_job;

/* Units are output rows (n, oy). The row's indirection buffer is rebuilt per
 * row: the input rows of the KH taps are found once, and a pixel whose taps
 * are all inside the image (most of them) needs only additions. */
static void dw_task(void* context, size_t begin, size_t end, int thread) {
  const dw_job* job = context;
  const enet_f32_dwconv_plan* p = job->p;
  const enet_window* g = &p->g;
  const float** ind = p->indirection + (size_t)thread * (size_t)g->out_w * p->taps;
  const float* rows[64]; /* input row of each ky, NULL outside the image; k_h <= 64 (else the reference runs) */
  int64_t span_w = (g->k_w - 1) * g->dilation_w, c = g->in_c;
  for (size_t u = begin; u < end; u++) {
    int64_t n = (int64_t)u / g->out_h, oy = (int64_t)u % g->out_h;
    for (int64_t ky = 0; ky < g->k_h; ky++) {
      int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
      rows[ky] = iy >= 0 && iy < g->in_h ? job->x + (n * g->in_h + iy) * g->in_w * c : NULL;
    }
    const float** slot = ind;
    for (int64_t ox = 0; ox < g->out_w; ox++) {
      int64_t ix0 = ox * g->stride_w - g->pad_left;
      int interior = ix0 >= 0 && ix0 + span_w < g->in_w;
      for (int64_t ky = 0; ky < g->k_h; ky++) {
        const float* row = rows[ky];
        for (int64_t kx = 0, ix = ix0; kx < g->k_w; kx++, ix += g->dilation_w)
          *slot++ = row && (interior || (ix >= 0 && ix < g->in_w)) ? row + ix * c : p->zero;
      }
    }
    p->k->dwconv((size_t)g->out_c, (size_t)g->out_w, p->taps, ind, p->packed,
                 job->y + (size_t)u * (size_t)g->out_w * (size_t)g->out_c, p->min, p->max);
  }
}

void enet_f32_dwconv_run(const enet_f32_dwconv_plan* p, enet_threadpool* pool, const float* x, float* y) {
  dw_job job = {p, x, y};
  enet_parallel_for(pool, dw_task, &job, (size_t)(p->g.batch * p->g.out_h), 1);
}
