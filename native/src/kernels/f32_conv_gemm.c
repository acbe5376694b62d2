/*
 * f32_conv_gemm.c — float convolution as a GEMM over packed weights:
 *   Y (M = N*OH*OW pixels, N = Co) = A (M, K = KH*KW*Ci) * W (K, Co) + bias
 * The weights (OHWI, i.e. already (Co, K)) are packed at prepare time into
 * panels of NR output channels, bias first, as the microkernel reads them.
 * A is the input itself for 1x1 stride-1 unpadded convs (and fully connected
 * layers); otherwise tiles of MC rows are gathered (im2col) into per-thread
 * scratch. Work splits into (row tile, panel group) units over the thread
 * pool; every output element is computed by one microkernel call over the
 * whole K in order, so the thread count never changes a result.
 */
#include <stdint.h>
#include <string.h>

#include "optimized.h"

#define SCRATCH_FLOATS 16384 /* im2col tile budget per thread: 64 KB, about L2-resident */

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

/* The plan's geometry without the memory (shared by size and init). */
static void plan_shape(const enet_f32_kernels* k, const enet_window* g, enet_f32_conv_plan* p) {
  memset(p, 0, sizeof *p);
  p->k = k;
  p->g = *g;
  p->m = (size_t)(g->batch * g->out_h * g->out_w);
  p->n = (size_t)g->out_c;
  p->kdim = (size_t)(g->k_h * g->k_w * g->in_c);
  p->direct = g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
              g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
  size_t mr = k->gemm_mr, rows = SCRATCH_FLOATS / (p->kdim ? p->kdim : 1);
  p->mc = rows / mr * mr;
  if (p->mc < mr) p->mc = mr;
  if (p->mc > 8 * mr) p->mc = 8 * mr;
  p->panel_floats = k->gemm_nr * (1 + p->kdim);
}

size_t enet_f32_conv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads) {
  enet_f32_conv_plan p;
  plan_shape(k, g, &p);
  size_t bytes = align64(sizeof p);
  bytes += align64(div_up(p.n, k->gemm_nr) * p.panel_floats * sizeof(float));
  if (!p.direct) bytes += align64((size_t)num_threads * p.mc * p.kdim * sizeof(float));
  return bytes;
}

enet_f32_conv_plan* enet_f32_conv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                            int num_threads, const float* weights, const float* bias, float min,
                                            float max) {
  uint8_t* at = memory; /* 64-byte aligned by the caller */
  enet_f32_conv_plan* p = (enet_f32_conv_plan*)at;
  plan_shape(k, g, p);
  at += align64(sizeof *p);
  p->num_threads = num_threads;
  p->min = min, p->max = max;
  size_t nr = k->gemm_nr, panels = div_up(p->n, nr);
  p->packed = (float*)at;
  at += align64(panels * p->panel_floats * sizeof(float));
  p->scratch = p->direct ? NULL : (float*)at;
  /* Panel: nr biases, then for each k the nr weights w[o][k] (o = panel start + j), zero past n. */
  for (size_t pi = 0; pi < panels; pi++) {
    float* dst = p->packed + pi * p->panel_floats;
    for (size_t j = 0; j < nr; j++) {
      size_t o = pi * nr + j;
      dst[j] = o < p->n && bias ? bias[o] : 0.0f;
    }
    dst += nr;
    for (size_t kk = 0; kk < p->kdim; kk++, dst += nr)
      for (size_t j = 0; j < nr; j++) {
        size_t o = pi * nr + j;
        dst[j] = o < p->n ? weights[o * p->kdim + kk] : 0.0f;
      }
  }
  return p;
}

/* Gathers rows [m0, m0 + rows) of the im2col matrix: per output pixel, its
 * KH*KW input pixels' channels in (ky, kx, c) order, zeros for padding. */
static void im2col(const enet_f32_conv_plan* p, const float* x, size_t m0, size_t rows, float* a) {
  const enet_window* g = &p->g;
  size_t ci = (size_t)g->in_c;
  for (size_t r = 0; r < rows; r++) {
    size_t m = m0 + r;
    int64_t ox = (int64_t)(m % (size_t)g->out_w), rest = (int64_t)(m / (size_t)g->out_w);
    int64_t oy = rest % g->out_h, n = rest / g->out_h;
    float* dst = a + r * p->kdim;
    for (int64_t ky = 0; ky < g->k_h; ky++) {
      int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
      for (int64_t kx = 0; kx < g->k_w; kx++, dst += ci) {
        int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
        if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
          memset(dst, 0, ci * sizeof(float));
        else
          memcpy(dst, x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c, ci * sizeof(float));
      }
    }
  }
}

typedef struct conv_job {
  const enet_f32_conv_plan* p;
  const float* x;
  float* y;
  size_t col_groups, panels_per_group;
} conv_job;

static void conv_task(void* context, size_t begin, size_t end, int thread) {
  const conv_job* job = context;
  const enet_f32_conv_plan* p = job->p;
  size_t mr = p->k->gemm_mr, nr = p->k->gemm_nr, panels = div_up(p->n, nr);
  float* scratch = p->scratch ? p->scratch + (size_t)thread * p->mc * p->kdim : NULL;
  size_t gathered = SIZE_MAX; /* row tile now in scratch */
  for (size_t u = begin; u < end; u++) {
    size_t tile = u / job->col_groups, group = u % job->col_groups;
    size_t m0 = tile * p->mc, rows = p->m - m0 < p->mc ? p->m - m0 : p->mc;
    const float* a = job->x + m0 * p->kdim;
    if (!p->direct) {
      if (gathered != tile) im2col(p, job->x, m0, rows, scratch);
      gathered = tile;
      a = scratch;
    }
    size_t first = group * job->panels_per_group, last = first + job->panels_per_group;
    if (last > panels) last = panels;
    for (size_t pi = first; pi < last; pi++) {
      size_t n0 = pi * nr, nc = p->n - n0 < nr ? p->n - n0 : nr;
      const float* w = p->packed + pi * p->panel_floats;
      for (size_t i = 0; i < rows; i += mr)
        p->k->gemm(rows - i < mr ? rows - i : mr, nc, p->kdim, a + i * p->kdim, p->kdim, w,
                   job->y + (m0 + i) * p->n + n0, p->n, p->min, p->max);
    }
  }
}

void enet_f32_conv_run(const enet_f32_conv_plan* p, enet_threadpool* pool, const float* x, float* y) {
  if (p->m == 0 || p->n == 0) return;
  size_t tiles = div_up(p->m, p->mc), panels = div_up(p->n, p->k->gemm_nr);
  /* Few row tiles (small images, fully connected): also split output channels,
   * so every thread gets work. Aim for ~4 units per thread for balance. */
  size_t want = 4 * (size_t)enet_threadpool_size(pool), groups = 1;
  if (enet_threadpool_size(pool) > 1 && tiles < want) groups = div_up(want, tiles);
  if (groups > panels) groups = panels;
  conv_job job = {p, x, y, 0, div_up(panels, groups)};
  job.col_groups = div_up(panels, job.panels_per_group);
  enet_parallel_for(pool, conv_task, &job, tiles * job.col_groups, 1);
}
