/*
 * qs8_dwconv.c — int8 depthwise convolution (depth_multiplier 1) over packed
 * weights; the int8 twin of f32_dwconv.c (same indirection rows and threading).
 *
 *   acc[c] = bias[c] + sum_t (x_t[c] - x_zp) * w[t][c]
 *          = (bias[c] - x_zp * sum_t w[t][c]) + sum_t x_t[c] * w[t][c]
 * The bracket is folded into the packed bias at prepare time and padding taps
 * point at a row of x_zp (their products are cancelled by the fold), so the
 * microkernels multiply raw int8 for every kernel size, stride, dilation and
 * padding, then requantize in registers (qs8_requant.c). Output rows split over
 * the thread pool; a pixel's sum never depends on the split.
 */
#include <string.h>

#include "optimized.h"


/* Weight rows per block: taps, or rounded up to whole pairs (the odd one zero) in tap-pair layout. */
static size_t weight_rows(const enet_qs8_kernels* k, size_t taps) { return k->dwconv_tap_pairs ? taps + taps % 2 : taps; }

static size_t block_bytes(const enet_qs8_kernels* k, size_t taps) {
  return ENET_QS8_PARAMS_BYTES(k->dwconv_cb) + weight_rows(k, taps) * k->dwconv_cb * k->dwconv_weight_bytes;
}

/* Where weight (tap t, channel j of the block) goes among the block's weights.
 * Plain: t * cb + j. Tap pairs (int16; x86/qs8-dwconv-c16-avx2.c, x86/qs8-dwconv-c32-avx512.c):
 * per pair of taps cb int16 pairs (w[t][c], w[t+1][c]), channels in the order of vpunpck{l,h}wd
 * per 128-bit lane: the low unpack's 0-3, 8-11, 16-19, .. (cb / 2 pairs), then the high
 * unpack's 4-7, 12-15, 20-23, ... */
static size_t weight_index(const enet_qs8_kernels* k, size_t t, size_t j) {
  const size_t cb = k->dwconv_cb;
  if (!k->dwconv_tap_pairs) return t * cb + j;
  size_t half = (j >> 2) & 1, lane = (j & 3) + 4 * (j >> 3); /* lane of the cb / 2 pairs in its half */
  return (t / 2) * 2 * cb + half * cb + lane * 2 + t % 2;
}

size_t enet_qs8_dwconv_plan_size(const enet_qs8_kernels* k, const enet_window* g, int num_threads) {
  size_t taps = (size_t)(g->k_h * g->k_w);
  return enet_align64(sizeof(enet_qs8_dwconv_plan)) + enet_align64(enet_div_up((size_t)g->out_c, k->dwconv_cb) * block_bytes(k, taps)) +
         enet_align64((size_t)g->in_c) + enet_align64((size_t)num_threads * (size_t)g->out_w * taps * sizeof(int8_t*));
}

enet_qs8_dwconv_plan* enet_qs8_dwconv_plan_init(void* memory, const enet_qs8_kernels* k, const enet_window* g,
                                                int num_threads, const int8_t* weights, const int32_t* bias,
                                                int32_t x_zp, const enet_requant* requant,
                                                const enet_s8_output* out) {
  uint8_t* at = memory; /* 64-byte aligned by the caller */
  enet_qs8_dwconv_plan* p = (enet_qs8_dwconv_plan*)at;
  memset(p, 0, sizeof *p);
  at += enet_align64(sizeof *p);
  p->k = k, p->g = *g, p->num_threads = num_threads, p->out = *out;
  p->taps = (size_t)(g->k_h * g->k_w);
  p->block_bytes = block_bytes(k, p->taps);
  size_t cb = k->dwconv_cb, c_total = (size_t)g->out_c, blocks = enet_div_up(c_total, cb);
  p->packed = at;
  at += enet_align64(blocks * p->block_bytes);
  p->zero = (int8_t*)at;
  memset(p->zero, (int8_t)x_zp, (size_t)g->in_c);
  at += enet_align64((size_t)g->in_c);
  p->indirection = (const int8_t**)at;
  /* Block of cb channels: parameter group, then per tap cb weights; zero past out_c. */
  for (size_t b = 0; b < blocks; b++) {
    uint8_t* block = p->packed + b * p->block_bytes;
    size_t c0 = b * cb, valid = c_total - c0 < cb ? c_total - c0 : cb;
    int32_t folded[64]; /* cb <= 64 */
    for (size_t j = 0; j < valid; j++) {
      uint32_t wsum = 0; /* unsigned: int32 wrap-around without undefined behaviour */
      for (size_t t = 0; t < p->taps; t++) wsum += (uint32_t)(int32_t)weights[t * c_total + c0 + j];
      folded[j] = (int32_t)((bias ? (uint32_t)bias[c0 + j] : 0u) - (uint32_t)x_zp * wsum);
    }
    enet_qs8_pack_params(block, cb, valid, folded, requant + c0, out->zero_point);
    if (k->dwconv_param_order) enet_qs8_reorder_params(block, cb, k->dwconv_param_order);
    int16_t* w16 = (int16_t*)(block + ENET_QS8_PARAMS_BYTES(cb));
    int8_t* w8 = (int8_t*)(block + ENET_QS8_PARAMS_BYTES(cb));
    for (size_t t = 0; t < weight_rows(k, p->taps); t++)
      for (size_t j = 0; j < cb; j++) {
        int8_t v = j < valid && t < p->taps ? weights[t * c_total + c0 + j] : 0;
        if (k->dwconv_weight_bytes == 2)
          w16[weight_index(k, t, j)] = v;
        else
          w8[weight_index(k, t, j)] = v;
      }
  }
  return p;
}

typedef struct dw_job {
  const enet_qs8_dwconv_plan* p;
  const int8_t* x;
  int8_t* y;
} dw_job;

/* Units are output rows (n, oy). */
static void dw_task(void* context, size_t begin, size_t end, int thread) {
  const dw_job* job = context;
  const enet_qs8_dwconv_plan* p = job->p;
  const enet_window* g = &p->g;
  const int8_t** ind = p->indirection + (size_t)thread * (size_t)g->out_w * p->taps;
  for (size_t u = begin; u < end; u++) {
    int64_t n = (int64_t)u / g->out_h, oy = (int64_t)u % g->out_h;
    const int8_t** slot = ind;
    for (int64_t ox = 0; ox < g->out_w; ox++)
      for (int64_t ky = 0; ky < g->k_h; ky++) {
        int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
        for (int64_t kx = 0; kx < g->k_w; kx++) {
          int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
          int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
          *slot++ = inside ? job->x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c : p->zero;
        }
      }
    p->k->dwconv((size_t)g->out_c, (size_t)g->out_w, p->taps, ind, p->packed,
                 job->y + (size_t)u * (size_t)g->out_w * (size_t)g->out_c, &p->out);
  }
}

void enet_qs8_dwconv_run(const enet_qs8_dwconv_plan* p, enet_threadpool* pool, const int8_t* x, int8_t* y) {
  dw_job job = {p, x, y};
  enet_parallel_for(pool, dw_task, &job, (size_t)(p->g.batch * p->g.out_h), 1);
}
