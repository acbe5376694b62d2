/*
 * classify.c — load an edgenet model, classify one input, print the top classes.
 *
 *   classify model.enet input.f32 [top_k]
 *
 * input.f32 holds the model's first input as raw float32 values in the model's
 * input shape (for the bundled digits model, examples/digits/: 8x8x1 pixels in
 * [0, 1]). The model's first output is read as one score per class.
 */
#include <edgenet.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads the whole file into a new buffer; NULL (with a message) on failure. */
static void* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open '%s'\n", path);
    return NULL;
  }
  void* data = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc(n > 0 ? (size_t)n : 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  if (!data) fprintf(stderr, "cannot read '%s'\n", path);
  *size = n > 0 ? (size_t)n : 0;
  return data;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s model.enet input.f32 [top_k]\n", argv[0]);
    return 2;
  }
  int top_k = argc > 3 ? atoi(argv[3]) : 3;
  enet_model* model = NULL;
  enet_interpreter* interpreter = NULL;
  float* scores = NULL;
  size_t input_size = 0;
  void* input = NULL;
  int status = 1;

  if (enet_model_load_file(argv[1], &model) != ENET_OK || enet_interpreter_create(model, NULL, &interpreter) != ENET_OK) {
    fprintf(stderr, "edgenet: %s\n", enet_last_error());
    goto done;
  }
  enet_tensor_info in, out;
  enet_interpreter_input_info(interpreter, 0, &in);
  enet_interpreter_output_info(interpreter, 0, &out);
  if (in.dtype != ENET_FLOAT32 || out.dtype != ENET_FLOAT32) {
    fprintf(stderr, "this example feeds and reads float32; input '%s' or output '%s' is not\n", in.name, out.name);
    goto done;
  }
  if (!(input = read_file(argv[2], &input_size))) goto done;
  /* set_input checks the size against the input's shape and names the problem. */
  if (enet_interpreter_set_input(interpreter, 0, input, input_size) != ENET_OK ||
      enet_interpreter_invoke(interpreter) != ENET_OK) {
    fprintf(stderr, "edgenet: %s\n", enet_last_error());
    goto done;
  }
  size_t classes = out.bytes / sizeof(float);
  if (!(scores = malloc(out.bytes ? out.bytes : 1)) ||
      enet_interpreter_get_output(interpreter, 0, scores, out.bytes) != ENET_OK) {
    fprintf(stderr, "edgenet: cannot read output '%s'\n", out.name);
    goto done;
  }

  printf("model %s (edgenet %s), output '%s' with %zu classes\n", argv[1], enet_version(), out.name, classes);
  /* Top k by repeated selection: k is small and so is the class count. */
  for (int rank = 0; rank < top_k && (size_t)rank < classes; rank++) {
    size_t best = 0;
    for (size_t c = 1; c < classes; c++)
      if (scores[c] > scores[best]) best = c;
    printf("%s %zu %.6f\n", rank == 0 ? "class" : "next ", best, scores[best]);
    scores[best] = -1e30f; /* out of the next round */
  }
  status = 0;

done:
  free(scores);
  free(input);
  enet_interpreter_free(interpreter);
  enet_model_free(model);
  return status;
}
