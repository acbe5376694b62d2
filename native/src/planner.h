/*
 * planner.h — the arena planner: where each non-constant tensor lives in the one
 * arena an interpreter allocates, from the tensors' lifetimes (op index ranges).
 * Pure offset arithmetic, no graph types: the interpreter computes the lifetimes
 * (interpreter.c, plan_memory) and allocates the arena; native/tests/test_planner.c
 * tests the placement alone.
 */
#ifndef EDGENET_PLANNER_H
#define EDGENET_PLANNER_H

#include <stdint.h>

#include "edgenet.h"

typedef struct enet_plan_tensor {
  int id;              /* tie-break between equal sizes, so the plan is deterministic */
  int64_t first, last; /* op indices during which the tensor must stay alive, inclusive */
  int64_t size;        /* bytes */
  int64_t offset;      /* set by enet_plan_arena: a multiple of ENET_ALIGNMENT */
} enet_plan_tensor;

/* Sets every tensor's offset so that two tensors whose lifetimes overlap share no byte;
 * tensors that are never alive together may share. Greedy by size: the largest first,
 * each into the smallest gap between the already placed tensors it overlaps (else after
 * them). *arena_size: the end of the highest tensor, rounded up to ENET_ALIGNMENT.
 * ENET_ERROR_OUT_OF_MEMORY (with a message) when scratch memory runs out. */
enet_status enet_plan_arena(enet_plan_tensor* tensors, int n, int64_t* arena_size);

#endif /* EDGENET_PLANNER_H */
