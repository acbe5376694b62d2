/*
 * qs8_elementwise.c — int8 ADD / SUB / MUL of two same-shape tensors with the
 * vector kernels (x86/qs8-vadd-avx2.c, ...), the zero points and the SUB sign
 * folded into the parameters once at prepare time; table lookups (every int8
 * unary op) and float -> int8 QUANTIZE with their vector kernels. Bit-exact with
 * enet_ref_binary_s8; chunks split over the thread pool never change a value.
 */
#include "optimized.h"

#define CHUNK 4096 /* elements per thread-pool unit */

int enet_qs8_binary_plan_init(enet_qs8_binary_plan* plan, const enet_qs8_kernels* k, enet_binary_op op,
                              const enet_binary_s8_params* p) {
  if (!k || (op == ENET_BINARY_MUL ? !k->vmul : !k->vadd) ||
      (op != ENET_BINARY_ADD && op != ENET_BINARY_SUB && op != ENET_BINARY_MUL))
    return 0;
  plan->k = k, plan->op = op;
  if (op == ENET_BINARY_MUL) {
    enet_requant same[8];
    int32_t no_bias[8] = {0};
    for (int i = 0; i < 8; i++) same[i] = p->mul_requant;
    plan->mul.a_zp = p->a_zp, plan->mul.b_zp = p->b_zp, plan->mul.out = p->out;
    enet_qs8_pack_params(plan->mul.group, 8, 8, no_bias, same, p->out.zero_point);
    return 1;
  }
  /* (a - a_zp) * a_mult +/- (b - b_zp) * b_mult + 2^(shift-1) = a * a_mult + b * b_mult' + bias.
   * |bias| <= 2^30 + 2 * 128 * 2^21 < 2^31, and the whole sum fits int32 (docs/QUANTIZATION.md). */
  int32_t b_mult = op == ENET_BINARY_SUB ? -p->b_mult : p->b_mult;
  int64_t bias = ((int64_t)1 << (p->add_shift - 1)) - (int64_t)p->a_zp * p->a_mult - (int64_t)p->b_zp * b_mult;
  plan->add = (enet_qs8_add_params){p->a_mult, b_mult, (int32_t)bias, p->add_shift, p->out};
  return 1;
}

typedef struct binary_job {
  const enet_qs8_binary_plan* p;
  size_t n;
  const int8_t *a, *b;
  int8_t* y;
} binary_job;

static void binary_task(void* context, size_t begin, size_t end, int thread) {
  const binary_job* job = context;
  (void)thread;
  size_t first = begin * CHUNK, last = end * CHUNK < job->n ? end * CHUNK : job->n;
  if (job->p->op == ENET_BINARY_MUL)
    job->p->k->vmul(last - first, job->a + first, job->b + first, job->y + first, &job->p->mul);
  else
    job->p->k->vadd(last - first, job->a + first, job->b + first, job->y + first, &job->p->add);
}

void enet_qs8_binary_run(const enet_qs8_binary_plan* p, enet_threadpool* pool, size_t n, const int8_t* a,
                         const int8_t* b, int8_t* y) {
  binary_job job = {p, n, a, b, y};
  enet_parallel_for(pool, binary_task, &job, (n + CHUNK - 1) / CHUNK, 1);
}

/* ---- table lookup: every int8 unary op ---------------------------------------- */

typedef struct lut_job {
  const enet_qs8_kernels* k;
  size_t n;
  const int8_t *table, *x;
  int8_t* y;
  uint8_t probe[16][16];
} lut_job;

static void lut_task(void* context, size_t begin, size_t end, int thread) {
  const lut_job* job = context;
  (void)thread;
  size_t first = begin * CHUNK, last = end * CHUNK < job->n ? end * CHUNK : job->n;
  job->k->lut(last - first, job->x + first, job->y + first, job->table, job->probe);
}

int enet_qs8_lut_run(const enet_qs8_kernels* k, enet_threadpool* pool, size_t n, const int8_t* table,
                     const int8_t* x, int8_t* y) {
  if (!k || !k->lut) return 0;
  lut_job job = {k, n, table, x, y, {{0}}};
  enet_qs8_lut_probe(k, table, job.probe);
  enet_parallel_for(pool, lut_task, &job, (n + CHUNK - 1) / CHUNK, 1);
  return 1;
}

void enet_qs8_lut_probe(const enet_qs8_kernels* k, const int8_t* table, uint8_t probe[16][16]) {
  (void)k, (void)table, (void)probe;
#if defined(__x86_64__)
  if (k->lut == enet_qs8_lut_avx2) enet_qs8_lut_avx2_tables(table, probe); /* 256 XORs: cheap per call */
#endif
}

/* ---- float -> int8 quantize ------------------------------------------------------ */

typedef struct quantize_job {
  const enet_qs8_kernels* k;
  size_t n;
  const float* x;
  int8_t* y;
  float scale;
  int32_t zero_point;
} quantize_job;

static void quantize_task(void* context, size_t begin, size_t end, int thread) {
  const quantize_job* job = context;
  (void)thread;
  size_t first = begin * CHUNK, last = end * CHUNK < job->n ? end * CHUNK : job->n;
  job->k->f32_to_qs8(last - first, job->x + first, job->y + first, job->scale, job->zero_point);
}

int enet_f32_qs8_quantize_run(const enet_qs8_kernels* k, enet_threadpool* pool, size_t n, const float* x, int8_t* y,
                              float scale, int32_t zero_point) {
  if (!k || !k->f32_to_qs8) return 0;
  quantize_job job = {k, n, x, y, scale, zero_point};
  enet_parallel_for(pool, quantize_task, &job, (n + CHUNK - 1) / CHUNK, 1);
  return 1;
}
