/* fuzz_run.c — see fuzz_run.h. */
#include "fuzz_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgenet.h"

/* Runs with larger tensors are skipped, not invoked: a big but valid model that is
 * merely slow is not a finding, and each run must stay well under the timeout. */
#define MAX_RUN_BYTES ((size_t)1 << 20)

/* Under AddressSanitizer an allocation the machine cannot give returns NULL (as malloc
 * does without it) instead of aborting, so a file declaring a huge tensor exercises the
 * core's out-of-memory errors rather than ending the run. */
const char* __asan_default_options(void);
const char* __asan_default_options(void) { return "allocator_may_return_null=1:max_allocation_size_mb=256"; }

/* The custom kernel the generator's CUSTOM ops name (model_gen.c): outputs take their declared shape,
 * or input 0's where the file leaves dims open; invoke copies input 0's bytes (zeros past them).
 * Options blobs over 16 bytes are rejected at prepare, a first byte 0xEE fails invoke: the error
 * paths of native/src/ops/custom.c run too. */
static enet_status fuzz_copy_prepare(enet_custom_call* call) {
  if (call->options_size > 16) {
    snprintf(call->error, call->error_size, "options of %zu bytes", call->options_size);
    return ENET_ERROR_INVALID_MODEL;
  }
  for (int i = 0; i < call->num_outputs; i++) {
    enet_custom_tensor* out = &call->outputs[i];
    for (int d = 0; d < out->ndim; d++)
      if (out->shape[d] < 0 && call->num_inputs > 0 && call->inputs[0].ndim == out->ndim)
        out->shape[d] = call->inputs[0].shape[d];
  }
  return ENET_OK;
}

static enet_status fuzz_copy_invoke(enet_custom_call* call) {
  if (call->options_size > 0 && call->options[0] == 0xEE) {
    snprintf(call->error, call->error_size, "asked to fail");
    return ENET_ERROR_INVALID_ARGUMENT;
  }
  for (int i = 0; i < call->num_outputs; i++) {
    enet_custom_tensor* out = &call->outputs[i];
    size_t n = call->num_inputs > 0 && call->inputs[0].data ? call->inputs[0].bytes : 0;
    if (n > out->bytes) n = out->bytes;
    if (n) memcpy(out->data, call->inputs[0].data, n);
    if (out->bytes > n) memset((char*)out->data + n, 0, out->bytes - n);
  }
  return ENET_OK;
}

static uint32_t next_random(uint32_t* state) {
  uint32_t x = *state ? *state : 0x2545f491u;
  x ^= x << 13, x ^= x >> 17, x ^= x << 5;
  return *state = x;
}

/* Fills an input of `dtype` with values a model could meet: small numbers, some
 * extremes (and for floats NaN / infinities), valid and invalid bools. */
static void fill_input(void* p, size_t bytes, enet_dtype dtype, uint32_t* rng) {
  uint8_t* b = p;
  size_t width = enet_dtype_size(dtype);
  for (size_t i = 0; width && i + width <= bytes; i += width) {
    uint32_t r = next_random(rng);
    switch (dtype) {
      case ENET_FLOAT32: {
        static const float special[] = {0.0f, -0.0f, 1e30f, -1e30f, 1e-40f, __builtin_nanf(""), __builtin_inff(),
                                        -__builtin_inff()};
        float v = r % 64 == 0 ? special[(r >> 8) % 8] : ((float)(r % 2001) - 1000.0f) / 200.0f;
        memcpy(b + i, &v, 4);
        break;
      }
      case ENET_BOOL:
        b[i] = (uint8_t)(r % 2);
        break;
      case ENET_INT32: {
        int32_t v = r % 16 == 0 ? (int32_t)r : (int32_t)(r % 9) - 4;
        memcpy(b + i, &v, 4);
        break;
      }
      case ENET_INT64: {
        int64_t v = r % 16 == 0 ? (int64_t)((uint64_t)r << 33) : (int64_t)(r % 9) - 4;
        memcpy(b + i, &v, 8);
        break;
      }
      default:
        for (size_t k = 0; k < width; k++) b[i + k] = (uint8_t)(r >> (8 * k));
    }
  }
}

/* Gives every dynamic (-1) dim of every input a size (0..3); returns 0 when a
 * resize fails (a clean refusal). *had_dynamic tells whether there was one. */
static int resize_dynamic_inputs(enet_interpreter* it, uint32_t* rng, int* had_dynamic) {
  for (int i = 0; i < enet_interpreter_num_inputs(it); i++) {
    enet_tensor_info info;
    if (enet_interpreter_input_info(it, i, &info) != ENET_OK) return 0;
    int dynamic = 0;
    int64_t shape[ENET_MAX_DIMS];
    for (int d = 0; d < info.ndim; d++) {
      shape[d] = info.shape[d];
      if (shape[d] < 0) dynamic = 1, shape[d] = 1 + next_random(rng) % 3 - (next_random(rng) % 16 == 0);
    }
    *had_dynamic |= dynamic;
    if (dynamic && enet_interpreter_resize_input(it, i, info.ndim, shape) != ENET_OK) return 0;
  }
  return 1;
}

/* Feeds every input, invokes, reads every output. */
static void feed_invoke_read(enet_interpreter* it, uint32_t* rng, int profile) {
  if (enet_interpreter_arena_size(it) > MAX_RUN_BYTES) return;
  for (int i = 0; i < enet_interpreter_num_inputs(it); i++) {
    enet_tensor_info info;
    if (enet_interpreter_input_info(it, i, &info) != ENET_OK || info.bytes > MAX_RUN_BYTES) return;
    void* buf = malloc(info.bytes ? info.bytes : 1);
    if (!buf) return;
    fill_input(buf, info.bytes, info.dtype, rng);
    enet_interpreter_set_input(it, i, buf, info.bytes);
    free(buf);
    if (enet_interpreter_input_index(it, info.name) < 0) abort(); /* every input is found by its own name */
    if (info.bytes && !enet_interpreter_input_data(it, i)) abort();
  }
  if (profile) enet_interpreter_set_profiling(it, 1);
  enet_status s = enet_interpreter_invoke(it);
  if (s != ENET_OK && enet_last_error()[0] == '\0') abort(); /* a failure must say why */
  for (int o = 0; s == ENET_OK && o < enet_interpreter_num_outputs(it); o++) {
    enet_tensor_info info;
    if (enet_interpreter_output_info(it, o, &info) != ENET_OK || info.bytes > MAX_RUN_BYTES) continue;
    void* buf = malloc(info.bytes ? info.bytes : 1);
    if (!buf) return;
    enet_interpreter_get_output(it, o, buf, info.bytes);
    free(buf);
    if (enet_interpreter_output_index(it, info.name) < 0 || (info.bytes && !enet_interpreter_output_data(it, o))) abort();
  }
  if (profile) {
    enet_op_profile p;
    for (int o = 0; o < enet_interpreter_num_ops(it); o++) enet_interpreter_profile(it, o, &p);
    enet_interpreter_set_profiling(it, 0);
  }
}

void enet_fuzz_run_model(const uint8_t* data, size_t size, uint32_t seed) {
  /* An exact-size, 64-aligned copy loaded in place (copy = 0): a read past the end of
   * the file lands in AddressSanitizer's redzone instead of a private padded copy. */
  void* file = NULL;
  if (posix_memalign(&file, 64, size ? size : 1) != 0) return;
  if (size) memcpy(file, data, size);
  enet_model* model = NULL;
  /* Generated and mutated files carry no valid CRC32C trailer: most runs skip the checksum so
   * the structural checks behind it are reached; one in eight keeps it (the trailer path). */
  unsigned flags = (seed & 7) ? ENET_LOAD_SKIP_CHECKSUM : ENET_LOAD_DEFAULT;
  enet_status s = enet_model_load_buffer_ex(file, size, 0, flags, &model);
  if (s != ENET_OK) {
    if (model || enet_last_error()[0] == '\0') abort(); /* a refusal leaves no model and says why */
    free(file);
    return;
  }
  enet_model_metadata(model, "fuzz");
  if (enet_model_num_inputs(model) < 0 || enet_model_num_outputs(model) < 0) abort();
  /* Vary what the CPU would pick: the portable reference kernels and the SSE4.1 ones run
   * too, not only the best ISA (src/cpu.c reads EDGENET_KERNELS). Mostly one thread (fast,
   * and the machine is shared); now and then a 2-thread pool so its split paths run. */
  static const char* const kernels[] = {"auto", "reference", "sse41", "auto"};
  setenv("EDGENET_KERNELS", kernels[(seed >> 4) % 4], 1);
  static const enet_custom_op custom_kernels[] = {{.name = "fuzz_copy", .prepare = fuzz_copy_prepare, .invoke = fuzz_copy_invoke}};
  enet_options options = {.num_threads = seed % 16 == 5 ? 2 : 1, .custom_ops = custom_kernels, .num_custom_ops = 1};
  enet_interpreter* it = NULL;
  if (enet_interpreter_create(model, &options, &it) == ENET_OK) {
    uint32_t rng = seed;
    int dynamic = 0;
    /* Before any resize: refused while dims are -1 (under the same size cap as every run). */
    if (seed % 8 == 3 && enet_interpreter_arena_size(it) <= MAX_RUN_BYTES) enet_interpreter_invoke(it);
    if (resize_dynamic_inputs(it, &rng, &dynamic)) {
      feed_invoke_read(it, &rng, 0);
      if (seed % 4 == 0) feed_invoke_read(it, &rng, 1); /* now and then: a repeat invoke, profiled */
      if (dynamic && resize_dynamic_inputs(it, &rng, &dynamic)) feed_invoke_read(it, &rng, 0); /* re-planned */
    }
    enet_interpreter_free(it);
  } else if (it || enet_last_error()[0] == '\0') {
    abort();
  }
  enet_model_free(model);
  free(file);
}
