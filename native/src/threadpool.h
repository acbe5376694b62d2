/*
 * threadpool.h — a small pthreads pool (no OpenMP) that splits one loop over
 * [0, range) into contiguous, equal chunks, one per thread (static
 * partitioning). The calling thread works too, so a pool of N threads starts
 * N - 1 workers. Which thread runs which index never changes what is computed,
 * so results are identical for any thread count.
 */
#ifndef EDGENET_THREADPOOL_H
#define EDGENET_THREADPOOL_H

#include <stddef.h>

typedef struct enet_threadpool enet_threadpool;

/* task(context, begin, end, thread) handles indices [begin, end); `thread` is
 * in [0, num_threads) and indexes per-thread scratch. */
typedef void (*enet_task_fn)(void* context, size_t begin, size_t end, int thread);

/* num_threads <= 0: one per core. Returns NULL only when out of memory or no
 * thread could be started. A pool of 1 thread starts no workers. */
enet_threadpool* enet_threadpool_create(int num_threads);
void enet_threadpool_free(enet_threadpool* pool); /* NULL is fine */
/* Threads that run tasks, including the caller; 1 for a NULL pool. */
int enet_threadpool_size(const enet_threadpool* pool);

/* Runs task over [0, range) and returns when every chunk is done. Chunks are
 * multiples of `grain` indices (the last may be shorter), so a thread never
 * gets less than one grain. A NULL pool runs everything on the caller. */
void enet_parallel_for(enet_threadpool* pool, enet_task_fn task, void* context, size_t range, size_t grain);

#endif /* EDGENET_THREADPOOL_H */
