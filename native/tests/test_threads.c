/*
 * test_threads — many interpreters over one shared model, in many threads.
 *
 *   test_threads [--threads N] [--runs R] MODEL.enet...
 *
 * For each model: one enet_model is loaded once; a single-threaded run (one interpreter,
 * one worker) gives the reference outputs; then N threads each create their own
 * interpreter on the shared model (each with a 2-thread pool, so the pool's workers run
 * too) and invoke it R times on the same inputs, comparing every output bit for bit with
 * the reference. Built with ThreadSanitizer by scripts/run_sanitizer_tests.sh, this
 * checks the "an enet_model is immutable and shareable" promise of edgenet.h and the
 * thread pool's synchronization. Models that do not run (dynamic inputs, a refusal) are
 * skipped and counted; the run fails if none ran, or on any difference.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgenet.h"

typedef struct outputs {
  int count;
  size_t bytes[64];
  unsigned char* data[64];
} outputs;

typedef struct job {
  const enet_model* model;
  const outputs* want;
  int runs, pool_threads;
  int mismatches, failures;
} job;

static void free_outputs(outputs* o) {
  for (int i = 0; i < o->count; i++) free(o->data[i]);
  memset(o, 0, sizeof *o);
}

/* Deterministic inputs: the same bytes for every interpreter (floats kept small and finite). */
static int feed(enet_interpreter* it) {
  for (int i = 0; i < enet_interpreter_num_inputs(it); i++) {
    enet_tensor_info info;
    if (enet_interpreter_input_info(it, i, &info) != ENET_OK) return 0;
    unsigned char* buf = malloc(info.bytes ? info.bytes : 1);
    if (!buf) return 0;
    for (size_t k = 0; k < info.bytes; k++) buf[k] = (unsigned char)(k * 37 + i);
    if (info.dtype == ENET_FLOAT32)
      for (size_t k = 0; k + 4 <= info.bytes; k += 4) {
        float v = (float)((int)(k / 4 % 17) - 8) / 4.0f;
        memcpy(buf + k, &v, 4);
      }
    if (info.dtype == ENET_BOOL)
      for (size_t k = 0; k < info.bytes; k++) buf[k] &= 1;
    if (info.dtype == ENET_INT32 || info.dtype == ENET_INT64) memset(buf, 0, info.bytes); /* valid indices */
    enet_status s = enet_interpreter_set_input(it, i, buf, info.bytes);
    free(buf);
    if (s != ENET_OK) return 0;
  }
  return 1;
}

/* One interpreter, one invoke; fills `out`. Returns 0 when the model does not run. */
static int run_once(const enet_model* model, int pool_threads, enet_interpreter** keep, outputs* out) {
  enet_interpreter* it = *keep;
  enet_options options = {.num_threads = pool_threads};
  if (!it && enet_interpreter_create(model, &options, &it) != ENET_OK) return 0;
  *keep = it;
  if (!feed(it) || enet_interpreter_invoke(it) != ENET_OK) return 0;
  out->count = enet_interpreter_num_outputs(it) < 64 ? enet_interpreter_num_outputs(it) : 64;
  for (int o = 0; o < out->count; o++) {
    enet_tensor_info info;
    if (enet_interpreter_output_info(it, o, &info) != ENET_OK) return 0;
    out->bytes[o] = info.bytes;
    out->data[o] = malloc(info.bytes ? info.bytes : 1);
    if (!out->data[o] || enet_interpreter_get_output(it, o, out->data[o], info.bytes) != ENET_OK) return 0;
  }
  return 1;
}

static void* worker(void* arg) {
  job* j = arg;
  enet_interpreter* it = NULL;
  for (int r = 0; r < j->runs; r++) {
    outputs got;
    memset(&got, 0, sizeof got);
    if (!run_once(j->model, j->pool_threads, &it, &got)) {
      j->failures++;
    } else {
      for (int o = 0; o < got.count; o++)
        if (got.bytes[o] != j->want->bytes[o] || memcmp(got.data[o], j->want->data[o], got.bytes[o]) != 0)
          j->mismatches++;
    }
    free_outputs(&got);
  }
  enet_interpreter_free(it);
  return NULL;
}

int main(int argc, char** argv) {
  int threads = 4, runs = 5, ran = 0, skipped = 0, failed = 0;
  int first = 1;
  for (; first + 1 < argc && argv[first][0] == '-'; first += 2) {
    if (strcmp(argv[first], "--threads") == 0) threads = atoi(argv[first + 1]);
    if (strcmp(argv[first], "--runs") == 0) runs = atoi(argv[first + 1]);
  }
  if (first >= argc || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: %s [--threads N] [--runs R] MODEL.enet...\n", argv[0]);
    return 2;
  }
  for (int a = first; a < argc; a++) {
    enet_model* model;
    if (enet_model_load_file(argv[a], &model) != ENET_OK) {
      skipped++;
      continue;
    }
    outputs want;
    memset(&want, 0, sizeof want);
    enet_interpreter* single = NULL;
    if (!run_once(model, 1, &single, &want)) {
      enet_interpreter_free(single);
      free_outputs(&want);
      enet_model_free(model);
      skipped++;
      continue;
    }
    enet_interpreter_free(single);
    pthread_t tids[64];
    job jobs[64];
    for (int t = 0; t < threads; t++) {
      jobs[t] = (job){model, &want, runs, 2, 0, 0};
      if (pthread_create(&tids[t], NULL, worker, &jobs[t]) != 0) {
        fprintf(stderr, "cannot start thread %d\n", t);
        return 1;
      }
    }
    for (int t = 0; t < threads; t++) {
      pthread_join(tids[t], NULL);
      if (jobs[t].mismatches || jobs[t].failures) {
        fprintf(stderr, "FAIL %s: thread %d: %d runs differ from the single-threaded run, %d failed\n", argv[a], t,
                jobs[t].mismatches, jobs[t].failures);
        failed++;
      }
    }
    free_outputs(&want);
    enet_model_free(model);
    ran++;
  }
  printf("test_threads: %d models x %d threads x %d runs, %d skipped (did not run single-threaded), %d failed\n", ran,
         threads, runs, skipped, failed);
  return failed || ran == 0 ? 1 : 0;
}
