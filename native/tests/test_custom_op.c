/* An app with two custom kernels, registered through the public C API (enet_options.custom_ops);
 * driven by tests/ops/test_custom.py, which converts the models and checks the outputs against numpy.
 *
 *   test_custom_op MODEL INPUT OUTDIR [KERNELS]
 *
 * Registers KERNELS (comma separated, default "swish_beta,top_k"; "" for none), runs MODEL on the
 * raw float32 data in INPUT (the size of input 0), writes output i's raw bytes to OUTDIR/output<i>.bin
 * and prints "ok". On an error it prints "error <STATUS>: <message>" and exits 2.
 *
 *   swish_beta  y = x * sigmoid(beta * x), float32, beta: the options blob, one little-endian float32
 *   top_k       (values float32, indices int32) of the k largest entries along the last dim, in
 *               descending order (ties: the lower index first); k: the options blob, one int32. Fails
 *               at invoke on a NaN (as a kernel that finds bad run-time data). */
#include <edgenet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t elements(const enet_custom_tensor* t, int dims) {
  int64_t n = 1;
  for (int d = 0; d < dims; d++) n *= t->shape[d];
  return n;
}

static enet_status swish_prepare(enet_custom_call* call) {
  if (call->num_inputs != 1 || call->num_outputs != 1 || call->inputs[0].dtype != ENET_FLOAT32) {
    snprintf(call->error, call->error_size, "takes one float32 input and gives one output");
    return ENET_ERROR_INVALID_MODEL;
  }
  if (call->options_size != sizeof(float)) {
    snprintf(call->error, call->error_size, "options must be 4 bytes (float32 beta), got %zu", call->options_size);
    return ENET_ERROR_INVALID_MODEL;
  }
  call->outputs[0].ndim = call->inputs[0].ndim;
  memcpy(call->outputs[0].shape, call->inputs[0].shape, sizeof call->outputs[0].shape);
  return ENET_OK;
}

static enet_status swish_invoke(enet_custom_call* call) {
  float beta;
  memcpy(&beta, call->options, sizeof beta); /* little-endian hosts only, as this test runs */
  const float* x = call->inputs[0].data;
  float* y = call->outputs[0].data;
  int64_t n = elements(&call->inputs[0], call->inputs[0].ndim);
  for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-beta * x[i]));
  return ENET_OK;
}

static enet_status top_k_prepare(enet_custom_call* call) {
  int32_t k;
  const enet_custom_tensor* x = &call->inputs[0];
  if (call->num_inputs != 1 || call->num_outputs != 2 || x->dtype != ENET_FLOAT32 || x->ndim < 1) {
    snprintf(call->error, call->error_size, "takes one float32 input of rank >= 1 and gives two outputs");
    return ENET_ERROR_INVALID_MODEL;
  }
  if (call->options_size != sizeof k) {
    snprintf(call->error, call->error_size, "options must be 4 bytes (int32 k), got %zu", call->options_size);
    return ENET_ERROR_INVALID_MODEL;
  }
  memcpy(&k, call->options, sizeof k);
  if (k < 1 || k > x->shape[x->ndim - 1]) {
    snprintf(call->error, call->error_size, "k = %d is out of range for a last dim of %lld", (int)k,
             (long long)x->shape[x->ndim - 1]);
    return ENET_ERROR_INVALID_ARGUMENT;
  }
  for (int i = 0; i < 2; i++) {
    call->outputs[i].ndim = x->ndim;
    memcpy(call->outputs[i].shape, x->shape, sizeof x->shape);
    call->outputs[i].shape[x->ndim - 1] = k;
  }
  return ENET_OK;
}

static enet_status top_k_invoke(enet_custom_call* call) {
  const enet_custom_tensor* x = &call->inputs[0];
  int64_t n = x->shape[x->ndim - 1], rows = elements(x, x->ndim - 1);
  int64_t k = call->outputs[0].shape[x->ndim - 1];
  const float* in = x->data;
  float* values = call->outputs[0].data;
  int32_t* indices = call->outputs[1].data;
  for (int64_t r = 0; r < rows; r++) {
    const float* row = in + r * n;
    for (int64_t j = 0; j < k; j++) { /* selection: k passes, each the largest not yet taken */
      int64_t best = -1;
      for (int64_t i = 0; i < n; i++) {
        if (isnan(row[i])) {
          snprintf(call->error, call->error_size, "NaN at row %lld, index %lld", (long long)r, (long long)i);
          return ENET_ERROR_INVALID_ARGUMENT;
        }
        int taken = 0;
        for (int64_t t = 0; t < j; t++) taken |= indices[r * k + t] == i;
        if (!taken && (best < 0 || row[i] > row[best])) best = i;
      }
      values[r * k + j] = row[best];
      indices[r * k + j] = (int32_t)best;
    }
  }
  return ENET_OK;
}

static int fail(const char* what, enet_status s) {
  printf("error %s: %s: %s\n", enet_status_name(s), what, enet_last_error());
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s MODEL INPUT OUTDIR [KERNELS]\n", argv[0]);
    return 1;
  }
  const char* wanted = argc > 4 ? argv[4] : "swish_beta,top_k";
  const enet_custom_op all[] = {
      {.name = "swish_beta", .prepare = swish_prepare, .invoke = swish_invoke},
      {.name = "top_k", .prepare = top_k_prepare, .invoke = top_k_invoke},
  };
  enet_custom_op kernels[2];
  int num_kernels = 0;
  for (int i = 0; i < 2; i++)
    if (strstr(wanted, all[i].name)) kernels[num_kernels++] = all[i];

  enet_model* model = NULL;
  enet_interpreter* it = NULL;
  enet_status s = enet_model_load_file(argv[1], &model);
  if (s != ENET_OK) return fail("load", s);
  enet_options options = {.num_threads = 1, .custom_ops = kernels, .num_custom_ops = num_kernels};
  s = enet_interpreter_create(model, &options, &it);
  if (s != ENET_OK) {
    enet_model_free(model);
    return fail("create", s);
  }
  int code = 0;
  enet_tensor_info info;
  enet_interpreter_input_info(it, 0, &info);
  void* input = malloc(info.bytes + 1);
  FILE* f = fopen(argv[2], "rb");
  size_t got = f ? fread(input, 1, info.bytes + 1, f) : 0;
  if (f) fclose(f);
  if (got != info.bytes) {
    fprintf(stderr, "%s: %zu bytes, input 0 takes %zu\n", argv[2], got, info.bytes);
    code = 1;
  } else if ((s = enet_interpreter_set_input(it, 0, input, info.bytes)) != ENET_OK ||
             (s = enet_interpreter_invoke(it)) != ENET_OK) {
    code = fail("invoke", s);
  } else {
    for (int i = 0; i < enet_interpreter_num_outputs(it) && code == 0; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/output%d.bin", argv[3], i);
      enet_interpreter_output_info(it, i, &info);
      FILE* out = fopen(path, "wb");
      if (!out || fwrite(enet_interpreter_output_data(it, i), 1, info.bytes, out) != info.bytes) code = 1;
      if (out) fclose(out);
    }
    if (code == 0) puts("ok");
  }
  free(input);
  enet_interpreter_free(it);
  enet_model_free(model);
  return code;
}
