/* fuzz_structured.c — libFuzzer harness: the input bytes are decisions for the
 * structure-aware generator (model_gen.h), which turns them into a model file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_run.h"
#include "model_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t* model = NULL;
  size_t n = enet_fuzz_generate(data, size, &model);
  uint32_t seed = (uint32_t)size;
  for (size_t i = 0; i < size; i++) seed = seed * 31u + data[i];
  if (n) enet_fuzz_run_model(model, n, seed);
  free(model);
  return 0;
}
