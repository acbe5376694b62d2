/*
 * threadpool.c — see threadpool.h. Each job is published with a new
 * generation number; the caller waits until every worker reports its chunk
 * done. Between jobs a worker first spins briefly on the generation (a model
 * runs one parallel op after another, microseconds apart, and waking a
 * sleeping thread costs tens of microseconds), then sleeps on a condition
 * variable. The caller likewise spins briefly before sleeping on `work_done`.
 */
#include "threadpool.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "cpu.h"
#include "portable.h" /* pthreads, sched_yield (Windows: Win32 threads) */

#define ENET_MAX_THREADS 64
/* Spin iterations before sleeping: tens of microseconds on an idle core. Each
 * iteration is a few CPU pause hints, and every 8th a sched_yield, so a spinner
 * on a busy machine hands its core to runnable threads (maybe the very worker
 * it waits for) instead of burning its time slice. */
#define SPIN_ITERATIONS 1000

static inline void cpu_relax(int spin) {
  if ((spin & 7) == 7) {
    sched_yield();
    return;
  }
  for (int i = 0; i < 4; i++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#elif defined(_WIN32)
    YieldProcessor(); /* MSVC: pause / yield */
#endif
  }
}

struct enet_threadpool {
  int num_threads; /* including the caller */
  int num_workers; /* threads actually started: num_threads - 1 */
  pthread_t workers[ENET_MAX_THREADS];
  pthread_mutex_t lock;
  pthread_cond_t work_ready; /* a new generation was published, or shutdown */
  pthread_cond_t work_done;  /* `pending` reached 0 */
  /* Written under `lock` (so a sleeper never misses a change), read without it while spinning. */
  atomic_ulong generation;
  atomic_int shutdown;
  atomic_int pending; /* workers still running the current job */
  int has_sync; /* lock and conditions initialized (pools of 2+ threads) */
  /* The current job. */
  enet_task_fn task;
  void* context;
  size_t range, grain;
};

typedef struct worker_arg {
  enet_threadpool* pool;
  int thread;
} worker_arg;

/* Thread `t`'s chunk of [0, range): equal shares of whole grains. */
static void chunk_of(const enet_threadpool* pool, int t, size_t* begin, size_t* end) {
  size_t grains = (pool->range + pool->grain - 1) / pool->grain;
  size_t n = (size_t)pool->num_threads;
  size_t per = grains / n, extra = grains % n, tt = (size_t)t;
  size_t first = tt * per + (tt < extra ? tt : extra);
  size_t count = per + (tt < extra ? 1 : 0);
  *begin = first * pool->grain;
  *end = (first + count) * pool->grain;
  if (*begin > pool->range) *begin = pool->range;
  if (*end > pool->range) *end = pool->range;
}

static void run_chunk(enet_threadpool* pool, int t) {
  size_t begin, end;
  chunk_of(pool, t, &begin, &end);
  if (begin < end) pool->task(pool->context, begin, end, t);
}

static void* worker_main(void* p) {
  worker_arg* arg = p;
  enet_threadpool* pool = arg->pool;
  int thread = arg->thread;
  free(arg);
  unsigned long seen = 0;
  for (;;) {
    for (int spin = 0; spin < SPIN_ITERATIONS && atomic_load(&pool->generation) == seen && !atomic_load(&pool->shutdown);
         spin++)
      cpu_relax(spin);
    if (atomic_load(&pool->generation) == seen && !atomic_load(&pool->shutdown)) {
      pthread_mutex_lock(&pool->lock);
      while (!atomic_load(&pool->shutdown) && atomic_load(&pool->generation) == seen)
        pthread_cond_wait(&pool->work_ready, &pool->lock);
      pthread_mutex_unlock(&pool->lock);
    }
    if (atomic_load(&pool->shutdown)) break;
    seen = atomic_load(&pool->generation); /* the job fields were written before it (seq_cst) */
    run_chunk(pool, thread);
    if (atomic_fetch_sub(&pool->pending, 1) == 1) { /* the last one: wake the caller if it sleeps */
      pthread_mutex_lock(&pool->lock);
      pthread_cond_signal(&pool->work_done);
      pthread_mutex_unlock(&pool->lock);
    }
  }
  return NULL;
}

enet_threadpool* enet_threadpool_create(int num_threads) {
  if (num_threads <= 0) num_threads = enet_cpu()->num_cores;
  if (num_threads > ENET_MAX_THREADS) num_threads = ENET_MAX_THREADS;
  enet_threadpool* pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->num_threads = num_threads;
  if (num_threads == 1) return pool;
  if (pthread_mutex_init(&pool->lock, NULL) != 0) {
    free(pool);
    return NULL;
  }
  pthread_cond_init(&pool->work_ready, NULL);
  pthread_cond_init(&pool->work_done, NULL);
  pool->has_sync = 1;
  for (int t = 1; t < num_threads; t++) {
    worker_arg* arg = malloc(sizeof *arg);
    if (arg) *arg = (worker_arg){pool, t};
    if (!arg || pthread_create(&pool->workers[pool->num_workers], NULL, worker_main, arg) != 0) {
      free(arg);
      break;
    }
    pool->num_workers++;
  }
  /* Fewer threads than asked (resource limits): run with what started. */
  pool->num_threads = pool->num_workers + 1;
  return pool;
}

void enet_threadpool_free(enet_threadpool* pool) {
  if (!pool) return;
  if (pool->has_sync) {
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->shutdown, 1);
    pthread_cond_broadcast(&pool->work_ready);
    pthread_mutex_unlock(&pool->lock);
    for (int t = 0; t < pool->num_workers; t++) pthread_join(pool->workers[t], NULL);
    pthread_cond_destroy(&pool->work_ready);
    pthread_cond_destroy(&pool->work_done);
    pthread_mutex_destroy(&pool->lock);
  }
  free(pool);
}

int enet_threadpool_size(const enet_threadpool* pool) { return pool ? pool->num_threads : 1; }

void enet_parallel_for(enet_threadpool* pool, enet_task_fn task, void* context, size_t range, size_t grain) {
  if (range == 0) return;
  if (grain == 0) grain = 1;
  /* Not worth waking anyone: one thread, or a single grain of work. */
  if (!pool || pool->num_threads == 1 || range <= grain) {
    task(context, 0, range, 0);
    return;
  }
  /* Every worker finished the previous job (pending 0), so none reads these now. */
  pool->task = task, pool->context = context, pool->range = range, pool->grain = grain;
  atomic_store(&pool->pending, pool->num_workers);
  pthread_mutex_lock(&pool->lock);
  atomic_fetch_add(&pool->generation, 1);
  pthread_cond_broadcast(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  run_chunk(pool, 0);
  for (int spin = 0; spin < SPIN_ITERATIONS && atomic_load(&pool->pending) > 0; spin++) cpu_relax(spin);
  if (atomic_load(&pool->pending) > 0) {
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&pool->pending) > 0) pthread_cond_wait(&pool->work_done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
  }
}
