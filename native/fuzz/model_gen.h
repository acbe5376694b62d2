/*
 * model_gen.h — the structure-aware model generator of the fuzz harnesses.
 *
 * Turns a string of decision bytes into a valid-looking .enet file built from the op
 * registry's contract (src/ops/registry.c: op codes, input counts, optional inputs,
 * options types): float and int8 ops with per-tensor / per-channel quantization, random
 * small shapes (0 and -1 dims included), option values, constant or non-constant
 * parameters, tensor references in and out of range, several subgraphs. Every decision
 * reads one byte; a byte of 0 (or running out of bytes) takes the plausible choice, so
 * short inputs make ordinary models and libFuzzer's mutations move them towards hostile ones.
 */
#ifndef EDGENET_FUZZ_MODEL_GEN_H
#define EDGENET_FUZZ_MODEL_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Builds the model file for `decisions`. Returns its size and sets *out (malloc'ed,
 * free with free()), or returns 0 when out of memory. */
size_t enet_fuzz_generate(const uint8_t* decisions, size_t size, uint8_t** out);

/* Decision bytes that start a model whose first op is `opcode`, in float (int8 = 0) or
 * int8 (int8 = 1); the seed corpus is these, one per op and mode. Returns the length
 * written into buf (at most buf_size). */
size_t enet_fuzz_seed_for_op(int opcode, int int8, uint32_t variant, uint8_t* buf, size_t buf_size);

#endif
