/*
 * state.c — run-time storage of state variables (schema StateVariable, verified by model.c).
 *
 * A state lives outside the arena, in one block per interpreter that persists across invokes
 * and resizes: the state tensor's data points into it for the interpreter's lifetime. After
 * a successful invoke, enet_states_commit copies each assigned value into its state. Copies
 * read values that are still intact: the planner keeps every assigned tensor alive to the end
 * of the run (interpreter.c, plan_memory), and a value assigned from another state tensor
 * (a swap, a shift chain) is staged first, so no state is overwritten before it is read.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static size_t aligned_size(size_t bytes) { return (bytes + ENET_ALIGNMENT - 1) / ENET_ALIGNMENT * ENET_ALIGNMENT; }

/* Whether state k's assigned value is another state's tensor (its storage changes during commit). */
static int assigned_from_other_state(const enet_state_store* st, const enet_subgraph_def* g, int k) {
  return st->from_state[k] && g->states[k].assigned != g->states[k].tensor;
}

enet_status enet_states_create(enet_state_store* st, const enet_subgraph_def* g, enet_rt_tensor* tensors) {
  memset(st, 0, sizeof *st);
  if (g->num_states == 0) return ENET_OK;
  st->from_state = calloc((size_t)g->num_states, 1);
  uint8_t* is_state = calloc((size_t)g->num_tensors, 1);
  if (!st->from_state || !is_state) {
    free(is_state);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory for state variables");
  }
  for (int k = 0; k < g->num_states; k++) is_state[g->states[k].tensor] = 1;
  /* Sizes are checked by the loader (static shapes, element counts that fit); their sum is
   * checked here, so a file with many large states fails cleanly. */
  size_t total = 0, staged = 0;
  for (int k = 0; k < g->num_states; k++) {
    size_t bytes = aligned_size(tensors[g->states[k].tensor].bytes);
    st->from_state[k] = g->states[k].assigned >= 0 && is_state[g->states[k].assigned];
    if (bytes < tensors[g->states[k].tensor].bytes || total > SIZE_MAX / 2 - bytes ||
        staged > SIZE_MAX / 2 - bytes) {
      free(is_state);
      return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "state variables need more memory than can be allocated");
    }
    total += bytes;
    if (assigned_from_other_state(st, g, k)) staged += bytes;
  }
  free(is_state);
  st->values_raw = malloc(total + ENET_ALIGNMENT);
  st->staging = malloc(staged ? staged : 1);
  if (!st->values_raw || !st->staging)
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory for %zu bytes of state variables", total);
  uint8_t* p = (uint8_t*)st->values_raw + (ENET_ALIGNMENT - (uintptr_t)st->values_raw % ENET_ALIGNMENT);
  for (int k = 0; k < g->num_states; k++) {
    enet_rt_tensor* t = &tensors[g->states[k].tensor];
    t->data = p;
    p += aligned_size(t->bytes);
  }
  enet_states_reset(g, tensors);
  return ENET_OK;
}

void enet_states_free(enet_state_store* st) {
  free(st->values_raw);
  free(st->staging);
  free(st->from_state);
  memset(st, 0, sizeof *st);
}

void enet_states_reset(const enet_subgraph_def* g, enet_rt_tensor* tensors) {
  for (int k = 0; k < g->num_states; k++) {
    enet_rt_tensor* t = &tensors[g->states[k].tensor];
    if (t->bytes) memcpy(t->data, g->tensors[g->states[k].initial_value].data, t->bytes);
  }
}

enet_status enet_states_check_shapes(const enet_subgraph_def* g, const enet_rt_tensor* tensors) {
  for (int k = 0; k < g->num_states; k++) {
    if (g->states[k].assigned < 0) continue;
    const enet_rt_tensor* state = &tensors[g->states[k].tensor];
    const enet_rt_tensor* value = &tensors[g->states[k].assigned];
    int same = value->ndim == state->ndim && value->bytes == state->bytes;
    for (int d = 0; same && d < state->ndim; d++) same = value->shape[d] == state->shape[d];
    if (!same) {
      char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_ARGUMENT,
                            "state %d '%s': the assigned tensor '%s' has shape %s at the current input shapes, "
                            "the state %s", k, state->def->name, value->def->name,
                            enet_format_shape(a, sizeof a, value->ndim, value->shape),
                            enet_format_shape(b, sizeof b, state->ndim, state->shape));
    }
  }
  return ENET_OK;
}

void enet_states_commit(const enet_state_store* st, const enet_subgraph_def* g, enet_rt_tensor* tensors) {
  /* 1. stage the values read from other states, 2. copy the rest directly, 3. copy the staged ones. */
  uint8_t* stage = st->staging;
  for (int k = 0; k < g->num_states; k++) {
    if (!assigned_from_other_state(st, g, k)) continue;
    const enet_rt_tensor* value = &tensors[g->states[k].assigned];
    if (value->bytes) memcpy(stage, value->data, value->bytes);
    stage += aligned_size(value->bytes);
  }
  for (int k = 0; k < g->num_states; k++) {
    int x = g->states[k].assigned;
    enet_rt_tensor* state = &tensors[g->states[k].tensor];
    if (x < 0 || x == g->states[k].tensor || st->from_state[k] || !state->bytes) continue;
    memcpy(state->data, tensors[x].data, state->bytes);
  }
  stage = st->staging;
  for (int k = 0; k < g->num_states; k++) {
    enet_rt_tensor* state = &tensors[g->states[k].tensor];
    if (!assigned_from_other_state(st, g, k)) continue;
    if (state->bytes) memcpy(state->data, stage, state->bytes);
    stage += aligned_size(state->bytes);
  }
}
