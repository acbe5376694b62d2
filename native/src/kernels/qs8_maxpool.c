/*
 * qs8_maxpool.c — int8 MAX_POOL_2D (NHWC) split over the thread pool by output
 * rows, the int8 twin of f32_maxpool.c. Per output pixel the row of channels
 * starts at -128 (what the reference's running maximum starts from, and its
 * result for a window with no tap in the image) and takes the running maximum
 * (vpmaxsb / vmaxq_s8) with each in-image tap's channel row. Max is exact:
 * results equal enet_ref_max_pool2d_s8.
 */
#include <string.h>

#include "optimized.h"

typedef struct maxpool_job {
  const enet_qs8_kernels* k;
  const enet_window* g;
  const int8_t* x;
  int8_t* y;
} maxpool_job;

static void maxpool_task(void* context, size_t begin, size_t end, int thread) {
  (void)thread;
  const maxpool_job* job = context;
  const enet_window* g = job->g;
  size_t c = (size_t)g->in_c;
  for (size_t u = begin; u < end; u++) {
    int64_t n = (int64_t)u / g->out_h, oy = (int64_t)u % g->out_h;
    int64_t iy0 = oy * g->stride_h - g->pad_top;
    int64_t ky_lo = iy0 < 0 ? -iy0 : 0, ky_hi = g->in_h - iy0 < g->k_h ? g->in_h - iy0 : g->k_h;
    int8_t* y = job->y + u * (size_t)g->out_w * c;
    for (int64_t ox = 0; ox < g->out_w; ox++, y += c) {
      int64_t ix0 = ox * g->stride_w - g->pad_left;
      int64_t kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = g->in_w - ix0 < g->k_w ? g->in_w - ix0 : g->k_w;
      memset(y, -128, c);
      for (int64_t ky = ky_lo; ky < ky_hi; ky++)
        for (int64_t kx = kx_lo; kx < kx_hi; kx++)
          job->k->vmax(c, job->x + ((n * g->in_h + iy0 + ky) * g->in_w + ix0 + kx) * g->in_c, y);
    }
  }
}

void enet_qs8_maxpool_run(const enet_qs8_kernels* k, const enet_window* g, enet_threadpool* pool, const int8_t* x,
                          int8_t* y) {
  maxpool_job job = {k, g, x, y};
  enet_parallel_for(pool, maxpool_task, &job, (size_t)(g->batch * g->out_h), 1);
}
