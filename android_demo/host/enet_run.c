/*
 * enet_run — runs an .enet model once on raw input files and writes raw output files.
 * The ARM cross builds run it under qemu-user; run_host_tests.sh compares its outputs with the
 * Python Interpreter's on the same inputs.
 *
 *   enet_run MODEL OUT_PREFIX INPUT0.bin [INPUT1.bin ...]
 *
 * Inputs are the raw bytes of each input in model order (native byte order, C order). Output i is
 * written to OUT_PREFIX<i>.bin. Exit status 0 on success; on error a message on stderr, status 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "edgenet.h"

static void* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* data = malloc(n > 0 ? (size_t)n : 1);
  if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL OUT_PREFIX INPUT0.bin [INPUT1.bin ...]\n", argv[0]);
    return 2;
  }
  enet_model* model = NULL;
  enet_interpreter* it = NULL;
  int rc = 1;
  if (enet_model_load_file(argv[1], &model) != ENET_OK ||
      enet_interpreter_create(model, NULL, &it) != ENET_OK) {
    fprintf(stderr, "enet_run: %s\n", enet_last_error());
    goto done;
  }
  int num_inputs = enet_interpreter_num_inputs(it);
  if (argc - 3 != num_inputs) {
    fprintf(stderr, "enet_run: model has %d inputs, got %d files\n", num_inputs, argc - 3);
    goto done;
  }
  for (int i = 0; i < num_inputs; i++) {
    size_t size = 0;
    void* data = read_file(argv[3 + i], &size);
    if (!data) {
      fprintf(stderr, "enet_run: cannot read %s\n", argv[3 + i]);
      goto done;
    }
    enet_status st = enet_interpreter_set_input(it, i, data, size);
    free(data);
    if (st != ENET_OK) {
      fprintf(stderr, "enet_run: input %d: %s\n", i, enet_last_error());
      goto done;
    }
  }
  if (enet_interpreter_invoke(it) != ENET_OK) {
    fprintf(stderr, "enet_run: invoke: %s\n", enet_last_error());
    goto done;
  }
  for (int i = 0; i < enet_interpreter_num_outputs(it); i++) {
    enet_tensor_info info;
    if (enet_interpreter_output_info(it, i, &info) != ENET_OK) goto done;
    char path[4096];
    snprintf(path, sizeof path, "%s%d.bin", argv[2], i);
    FILE* f = fopen(path, "wb");
    const void* data = enet_interpreter_output_data(it, i);
    if (!f || !data || fwrite(data, 1, info.bytes, f) != info.bytes) {
      fprintf(stderr, "enet_run: cannot write %s\n", path);
      if (f) fclose(f);
      goto done;
    }
    fclose(f);
  }
  rc = 0;
done:
  enet_interpreter_free(it);
  enet_model_free(model);
  return rc;
}
