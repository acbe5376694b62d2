/*
 * edgenet_run — load a model file, run it once, print the outputs.
 *
 *   edgenet_run model.enet [input0.bin input1.bin ...]
 *
 * Each input is read from a raw little-endian file of exactly the input's byte
 * size; inputs without a file get a deterministic pattern (element i = (i % 7) / 7).
 * Prints "output <index> <name> <shape>" then one value per line ("%.9g"), so
 * a test can compare against another runtime. Exit code 0 on success, 1 on any
 * error (with the core's message on stderr). Dynamic (-1) input dims run as 1.
 * Used as-is under qemu-user for the ARM builds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgenet.h"

static int fail(const char* what) {
  fprintf(stderr, "edgenet_run: %s: %s\n", what, enet_last_error());
  return 1;
}

static int fill_input(enet_interpreter* it, int index, const char* path) {
  enet_tensor_info info;
  if (enet_interpreter_input_info(it, index, &info) != ENET_OK) return fail("input_info");
  unsigned char* data = enet_interpreter_input_data(it, index);
  if (!data && info.bytes) return fail("input_data");
  if (path) {
    FILE* f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "edgenet_run: cannot open %s\n", path);
      return 1;
    }
    size_t got = fread(data, 1, info.bytes, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != info.bytes || extra) {
      fprintf(stderr, "edgenet_run: %s must hold exactly %zu bytes for input '%s'\n", path, info.bytes, info.name);
      return 1;
    }
  } else if (info.dtype == ENET_FLOAT32) {
    size_t n = info.bytes / sizeof(float);
    for (size_t i = 0; i < n; i++) {
      float v = (float)(i % 7) / 7.0f;
      memcpy(data + i * sizeof v, &v, sizeof v);
    }
  } else {
    memset(data, 0, info.bytes);
  }
  return 0;
}

static void print_output(const enet_interpreter* it, int index) {
  enet_tensor_info info;
  enet_interpreter_output_info(it, index, &info);
  printf("output %d %s (", index, info.name);
  for (int d = 0; d < info.ndim; d++) printf(d ? ", %lld" : "%lld", (long long)info.shape[d]);
  printf(")\n");
  const unsigned char* data = enet_interpreter_output_data(it, index);
  if (info.dtype != ENET_FLOAT32) {
    printf("(%zu bytes of %d dtype)\n", info.bytes, (int)info.dtype);
    return;
  }
  for (size_t i = 0; i < info.bytes / sizeof(float); i++) {
    float v;
    memcpy(&v, data + i * sizeof v, sizeof v);
    printf("%.9g\n", v);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s model.enet [input0.bin ...]\n", argv[0]);
    return 2;
  }
  enet_model* model = NULL;
  enet_interpreter* it = NULL;
  int rc = 1;
  if (enet_model_load_file(argv[1], &model) != ENET_OK) return fail("load");
  if (enet_interpreter_create(model, NULL, &it) != ENET_OK) {
    rc = fail("create");
    goto done;
  }
  for (int i = 0; i < enet_interpreter_num_inputs(it); i++) {
    enet_tensor_info info;
    enet_interpreter_input_info(it, i, &info);
    int64_t shape[ENET_MAX_DIMS];
    int dynamic = 0;
    for (int d = 0; d < info.ndim; d++) {
      dynamic |= info.shape[d] < 0;
      shape[d] = info.shape[d] < 0 ? 1 : info.shape[d];
    }
    if (dynamic && enet_interpreter_resize_input(it, i, info.ndim, shape) != ENET_OK) {
      rc = fail("resize_input");
      goto done;
    }
  }
  for (int i = 0; i < enet_interpreter_num_inputs(it); i++)
    if (fill_input(it, i, i + 2 < argc ? argv[i + 2] : NULL) != 0) goto done;
  if (enet_interpreter_invoke(it) != ENET_OK) {
    rc = fail("invoke");
    goto done;
  }
  for (int i = 0; i < enet_interpreter_num_outputs(it); i++) print_output(it, i);
  rc = 0;
done:
  enet_interpreter_free(it);
  enet_model_free(model);
  return rc;
}
