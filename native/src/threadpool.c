/*
 * threadpool.c — see threadpool.h. Workers sleep on a condition variable
 * between jobs; each job is published under a mutex with a new generation
 * number, and the caller waits until every worker reports its chunk done.
 */
#include "threadpool.h"

#include <pthread.h>
#include <stdlib.h>

#include "cpu.h"

#define ENET_MAX_THREADS 64

struct enet_threadpool {
  int num_threads; /* including the caller */
  int num_workers; /* threads actually started: num_threads - 1 */
  pthread_t workers[ENET_MAX_THREADS];
  pthread_mutex_t lock;
  pthread_cond_t work_ready; /* a new generation was published, or shutdown */
  pthread_cond_t work_done;  /* `pending` reached 0 */
  unsigned long generation;
  int pending; /* workers still running the current job */
  int shutdown;
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
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (!pool->shutdown && pool->generation == seen) pthread_cond_wait(&pool->work_ready, &pool->lock);
    if (pool->shutdown) break;
    seen = pool->generation;
    pthread_mutex_unlock(&pool->lock);
    run_chunk(pool, thread);
    pthread_mutex_lock(&pool->lock);
    if (--pool->pending == 0) pthread_cond_signal(&pool->work_done);
  }
  pthread_mutex_unlock(&pool->lock);
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
    pool->shutdown = 1;
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
  pthread_mutex_lock(&pool->lock);
  pool->task = task, pool->context = context, pool->range = range, pool->grain = grain;
  pool->pending = pool->num_workers;
  pool->generation++;
  pthread_cond_broadcast(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  run_chunk(pool, 0);
  pthread_mutex_lock(&pool->lock);
  while (pool->pending > 0) pthread_cond_wait(&pool->work_done, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}
