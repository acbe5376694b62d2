/*
 * fuzz_run.h — what both fuzz harnesses do with a model file: load it, create an
 * interpreter, resolve dynamic input dims, feed inputs, invoke (twice, once with
 * profiling), read every output, re-size and invoke again, free. Any crash, leak,
 * sanitizer report or hang in there is a finding; an error status is the right answer
 * to a bad file.
 */
#ifndef EDGENET_FUZZ_RUN_H
#define EDGENET_FUZZ_RUN_H

#include <stddef.h>
#include <stdint.h>

/* `seed` varies the input data and the sizes given to dynamic dims. */
void enet_fuzz_run_model(const uint8_t* data, size_t size, uint32_t seed);

#endif
