/*
 * portable.h — the few operating-system services the core needs beyond C11, for
 * POSIX (Linux, Android, macOS, iOS) and Windows (MSVC, clang-cl, MinGW):
 *
 *   threads     the subset of pthreads the thread pool and the run-once
 *               initializers use (create/join, mutex, condition variable, once);
 *               on Windows a thin mapping onto Win32 threads, SRW locks,
 *               condition variables and one-time initialization
 *   sched_yield give the core to another runnable thread
 *   enet_online_cores        the number of online logical CPUs
 *   enet_monotonic_ns        a monotonic clock in nanoseconds (per-op profiling)
 *   enet_aligned_alloc/free  aligned heap blocks (posix_memalign / _aligned_malloc,
 *                            whose blocks need their own free)
 *   enet_big_alloc           a block for packed weights, the arena or scratch (memory.c):
 *                            on Linux, one of 2 MB or more asks for transparent huge pages
 *
 * Compiler differences (target attributes, builtins) stay next to the code that
 * needs them; on MSVC the x86 SIMD files compile to nothing (they are guarded by
 * __x86_64__), so a Windows build runs the reference kernels.
 */
#ifndef EDGENET_PORTABLE_H
#define EDGENET_PORTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(_WIN32)

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN /* no OLE/RPC headers */
#endif
#ifndef NOMINMAX
#define NOMINMAX /* no min/max macros */
#endif
#include <malloc.h>
#include <process.h>
#include <windows.h>

typedef HANDLE pthread_t;
typedef SRWLOCK pthread_mutex_t;
typedef CONDITION_VARIABLE pthread_cond_t;
typedef INIT_ONCE pthread_once_t;
#define PTHREAD_ONCE_INIT INIT_ONCE_STATIC_INIT

typedef struct enet_win_thread_start {
  void* (*fn)(void*);
  void* arg;
} enet_win_thread_start;

static unsigned __stdcall enet_win_thread_main(void* p) {
  enet_win_thread_start start = *(enet_win_thread_start*)p;
  free(p);
  start.fn(start.arg);
  return 0;
}

/* Same contract as pthread_create without attributes: 0 on success. */
static inline int pthread_create(pthread_t* thread, const void* attr, void* (*fn)(void*), void* arg) {
  (void)attr;
  enet_win_thread_start* start = malloc(sizeof *start);
  if (!start) return -1;
  start->fn = fn;
  start->arg = arg;
  uintptr_t handle = _beginthreadex(NULL, 0, enet_win_thread_main, start, 0, NULL);
  if (handle == 0) {
    free(start);
    return -1;
  }
  *thread = (HANDLE)handle;
  return 0;
}

static inline int pthread_join(pthread_t thread, void** result) {
  if (result) *result = NULL;
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  return 0;
}

static inline int pthread_mutex_init(pthread_mutex_t* m, const void* attr) {
  (void)attr;
  InitializeSRWLock(m);
  return 0;
}
static inline int pthread_mutex_destroy(pthread_mutex_t* m) { return (void)m, 0; } /* SRW locks own nothing */
static inline int pthread_mutex_lock(pthread_mutex_t* m) { return AcquireSRWLockExclusive(m), 0; }
static inline int pthread_mutex_unlock(pthread_mutex_t* m) { return ReleaseSRWLockExclusive(m), 0; }

static inline int pthread_cond_init(pthread_cond_t* c, const void* attr) {
  (void)attr;
  InitializeConditionVariable(c);
  return 0;
}
static inline int pthread_cond_destroy(pthread_cond_t* c) { return (void)c, 0; }
static inline int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  return SleepConditionVariableSRW(c, m, INFINITE, 0) ? 0 : -1;
}
static inline int pthread_cond_signal(pthread_cond_t* c) { return WakeConditionVariable(c), 0; }
static inline int pthread_cond_broadcast(pthread_cond_t* c) { return WakeAllConditionVariable(c), 0; }

static BOOL CALLBACK enet_win_once_main(PINIT_ONCE once, PVOID routine, PVOID* context) {
  (void)once, (void)context;
  (*(void (**)(void))routine)();
  return TRUE;
}
static inline int pthread_once(pthread_once_t* once, void (*routine)(void)) {
  return InitOnceExecuteOnce(once, enet_win_once_main, &routine, NULL) ? 0 : -1;
}

static inline int sched_yield(void) { return SwitchToThread(), 0; }

static inline long enet_online_cores(void) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return (long)info.dwNumberOfProcessors;
}

static inline uint64_t enet_monotonic_ns(void) {
  LARGE_INTEGER count, frequency;
  QueryPerformanceCounter(&count);
  QueryPerformanceFrequency(&frequency);
  /* Split so the multiplication cannot overflow for any realistic uptime. */
  uint64_t ticks = (uint64_t)count.QuadPart, hz = (uint64_t)frequency.QuadPart;
  return ticks / hz * 1000000000u + ticks % hz * 1000000000u / hz;
}

static inline void* enet_aligned_alloc(size_t alignment, size_t bytes) { return _aligned_malloc(bytes, alignment); }
static inline void enet_aligned_free(void* block) { _aligned_free(block); }

#else /* POSIX */

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static inline long enet_online_cores(void) { return sysconf(_SC_NPROCESSORS_ONLN); }

static inline uint64_t enet_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* NULL when out of memory; `alignment` is a power of two and a multiple of sizeof(void*). */
static inline void* enet_aligned_alloc(size_t alignment, size_t bytes) {
  void* block = NULL;
  return posix_memalign(&block, alignment, bytes) == 0 ? block : NULL;
}
static inline void enet_aligned_free(void* block) { free(block); }

#endif

/* A block for packed weights, the arena or scratch: 64-byte aligned, never NULL for 0 bytes (on
 * Linux, 2 MB or more asks for huge pages: memory.c); free with enet_aligned_free. */
void* enet_big_alloc(size_t bytes);

#endif /* EDGENET_PORTABLE_H */
