/* fuzz_raw.c — libFuzzer harness: the input bytes are the model file. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_run.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint32_t seed = (uint32_t)size * 2654435761u;
  for (size_t i = 0; i < size && i < 64; i++) seed = seed * 31u + data[i];
  enet_fuzz_run_model(data, size, seed);
  return 0;
}
