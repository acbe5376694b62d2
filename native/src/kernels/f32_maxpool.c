/*
 * f32_maxpool.c — float MAX_POOL_2D (NHWC) split over the thread pool by
 * output rows. Per output pixel, the window's in-image taps are visited in the
 * reference's order with acc = v > acc ? v : acc over whole channel rows: a
 * loop the compiler vectorizes (it is exactly the SIMD max instruction on x86,
 * a compare-and-select elsewhere), so a NaN is kept or skipped exactly like
 * the reference kernel does. Max is exact: results equal the reference's.
 */
#include "optimized.h"

typedef struct maxpool_job {
  const enet_window* g;
  const float* x;
  float* y;
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
    float* y = job->y + (size_t)u * (size_t)g->out_w * c;
    for (int64_t ox = 0; ox < g->out_w; ox++, y += c) {
      int64_t ix0 = ox * g->stride_w - g->pad_left;
      int64_t kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = g->in_w - ix0 < g->k_w ? g->in_w - ix0 : g->k_w;
      int first = 1; /* padding never counts: the first in-image tap initializes */
      for (int64_t ky = ky_lo; ky < ky_hi; ky++)
        for (int64_t kx = kx_lo; kx < kx_hi; kx++) {
          const float* v = job->x + ((n * g->in_h + iy0 + ky) * g->in_w + ix0 + kx) * g->in_c;
          if (first) {
            for (size_t i = 0; i < c; i++) y[i] = v[i];
            first = 0;
          } else {
            for (size_t i = 0; i < c; i++) y[i] = v[i] > y[i] ? v[i] : y[i];
          }
        }
      if (first) /* no tap inside (the op's prepare rules this out): like the reference */
        for (size_t i = 0; i < c; i++) y[i] = 0.0f;
    }
  }
}

void enet_f32_maxpool_run(const enet_window* g, enet_threadpool* pool, const float* x, float* y) {
  maxpool_job job = {g, x, y};
  enet_parallel_for(pool, maxpool_task, &job, (size_t)(g->batch * g->out_h), 1);
}
