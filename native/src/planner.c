/* planner.c — see planner.h. */
#include "planner.h"

#include <stdlib.h>

#include "internal.h" /* ENET_ALIGNMENT, enet_set_error */

static int64_t align_up(int64_t x) { return (x + ENET_ALIGNMENT - 1) / ENET_ALIGNMENT * ENET_ALIGNMENT; }

static int by_size_desc(const void* a, const void* b) {
  const enet_plan_tensor *x = *(const enet_plan_tensor* const*)a, *y = *(const enet_plan_tensor* const*)b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return x->id - y->id; /* deterministic */
}

static int by_offset(const void* a, const void* b) {
  const enet_plan_tensor *x = *(const enet_plan_tensor* const*)a, *y = *(const enet_plan_tensor* const*)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

enet_status enet_plan_arena(enet_plan_tensor* tensors, int n, int64_t* arena_size) {
  enet_plan_tensor** order = calloc((size_t)n + 1, sizeof *order);
  enet_plan_tensor** live = calloc((size_t)n + 1, sizeof *live);
  if (!order || !live) {
    free(order), free(live);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory planning the arena");
  }
  for (int i = 0; i < n; i++) order[i] = &tensors[i];
  qsort(order, (size_t)n, sizeof *order, by_size_desc);
  int64_t size = 0;
  for (int i = 0; i < n; i++) {
    enet_plan_tensor* item = order[i];
    int num_live = 0;
    for (int j = 0; j < i; j++) /* the placed tensors alive at the same time */
      if (order[j]->first <= item->last && item->first <= order[j]->last) live[num_live++] = order[j];
    qsort(live, (size_t)num_live, sizeof *live, by_offset);
    int64_t best = -1, best_gap = INT64_MAX, end = 0;
    for (int j = 0; j < num_live; j++) {
      int64_t gap = live[j]->offset - end;
      if (gap >= item->size && gap < best_gap) best = end, best_gap = gap;
      int64_t live_end = align_up(live[j]->offset + live[j]->size);
      if (live_end > end) end = live_end;
    }
    item->offset = best >= 0 ? best : end;
    if (item->offset + item->size > size) size = item->offset + item->size;
  }
  *arena_size = align_up(size);
  free(order), free(live);
  return ENET_OK;
}
