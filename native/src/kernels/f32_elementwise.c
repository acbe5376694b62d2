/*
 * f32_elementwise.c — float ADD / SUB / MUL of same-shape tensors (residual
 * connections) through the vector kernels, with the op's activation fused
 * into their clamp; unary ops (SILU, SIGMOID, TANH, HARD_SWISH) and last-axis
 * SOFTMAX through theirs. Chunks of the flat arrays (whole rows for softmax)
 * split over the thread pool; every element (row) is computed alone, so the
 * split never changes a result.
 */
#include "optimized.h"

#define CHUNK 8192 /* floats per thread-pool unit: 3 x 32 KB streams */

typedef struct vbinary_job {
  enet_f32_vbinary_ukernel kernel;
  size_t n;
  const float *a, *b;
  float* y;
  float min, max;
} vbinary_job;

static void vbinary_task(void* context, size_t begin, size_t end, int thread) {
  (void)thread;
  const vbinary_job* job = context;
  size_t first = begin * CHUNK, last = end * CHUNK < job->n ? end * CHUNK : job->n;
  job->kernel(last - first, job->a + first, job->b + first, job->y + first, job->min, job->max);
}

int enet_f32_vbinary_run(const enet_f32_kernels* k, enet_binary_op op, enet_threadpool* pool, size_t n,
                         const float* a, const float* b, float* y, float min, float max) {
  enet_f32_vbinary_ukernel kernel = !k                        ? NULL
                                    : op == ENET_BINARY_ADD   ? k->vadd
                                    : op == ENET_BINARY_SUB   ? k->vsub
                                    : op == ENET_BINARY_MUL   ? k->vmul
                                                              : NULL;
  if (!kernel) return 0;
  vbinary_job job = {kernel, n, a, b, y, min, max};
  enet_parallel_for(pool, vbinary_task, &job, (n + CHUNK - 1) / CHUNK, 1);
  return 1;
}

/* ---- unary (SILU, SIGMOID, TANH, HARD_SWISH) ------------------------------------ */

typedef struct vunary_job {
  enet_f32_vunary_ukernel kernel;
  size_t n;
  const float* x;
  float* y;
} vunary_job;

static void vunary_task(void* context, size_t begin, size_t end, int thread) {
  (void)thread;
  const vunary_job* job = context;
  size_t first = begin * CHUNK, last = end * CHUNK < job->n ? end * CHUNK : job->n;
  job->kernel(last - first, job->x + first, job->y + first);
}

void enet_f32_vunary_run(enet_f32_vunary_ukernel kernel, enet_threadpool* pool, size_t n, const float* x, float* y) {
  vunary_job job = {kernel, n, x, y};
  enet_parallel_for(pool, vunary_task, &job, (n + CHUNK - 1) / CHUNK, 1);
}

/* ---- softmax over the last axis ------------------------------------------------------ */

typedef struct softmax_job {
  enet_f32_softmax_ukernel kernel;
  size_t rows, n, rows_per_unit;
  float beta;
  const float* x;
  float* y;
} softmax_job;

static void softmax_task(void* context, size_t begin, size_t end, int thread) {
  (void)thread;
  const softmax_job* job = context;
  size_t first = begin * job->rows_per_unit, last = end * job->rows_per_unit;
  if (last > job->rows) last = job->rows;
  for (size_t r = first; r < last; r++) job->kernel(job->n, job->x + r * job->n, job->y + r * job->n, job->beta);
}

void enet_f32_softmax_run(enet_f32_softmax_ukernel kernel, enet_threadpool* pool, size_t rows, size_t n,
                          float beta, const float* x, float* y) {
  size_t rows_per_unit = n >= CHUNK ? 1 : CHUNK / (n ? n : 1); /* about CHUNK floats per unit */
  softmax_job job = {kernel, rows, n, rows_per_unit, beta, x, y};
  enet_parallel_for(pool, softmax_task, &job, (rows + rows_per_unit - 1) / rows_per_unit, 1);
}
