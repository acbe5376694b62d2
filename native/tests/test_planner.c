/*
 * test_planner — the arena planner (src/planner.c) on its own:
 *   - tensors whose lifetimes overlap never share a byte (random cases, checked pairwise);
 *   - tensors never alive together reuse the same bytes (a chain needs two slots, not three);
 *   - every offset and the arena size are multiples of ENET_ALIGNMENT, and every tensor
 *     fits inside the arena.
 * Prints each failure and exits 1 if any.
 */
#include <stdio.h>

#include "../src/internal.h" /* ENET_ALIGNMENT */
#include "../src/planner.h"

static int failures = 0, checks = 0;
static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static int irand(int lo, int hi) { /* xorshift64, uniform enough in [lo, hi] */
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return lo + (int)(rng_state % (unsigned long long)(hi - lo + 1));
}

#define CHECK(cond, ...)              \
  do {                                \
    checks++;                         \
    if (!(cond)) {                    \
      failures++;                     \
      printf("FAIL %s: ", #cond);     \
      printf(__VA_ARGS__);            \
      printf("\n");                   \
    }                                 \
  } while (0)

/* The planner's contract, whatever the placement it chose. */
static void check_plan(const enet_plan_tensor* t, int n, int64_t arena_size, const char* what) {
  CHECK(arena_size % ENET_ALIGNMENT == 0, "%s: arena size %lld", what, (long long)arena_size);
  for (int i = 0; i < n; i++) {
    CHECK(t[i].offset >= 0 && t[i].offset % ENET_ALIGNMENT == 0, "%s: tensor %d offset %lld", what, i,
          (long long)t[i].offset);
    CHECK(t[i].offset + t[i].size <= arena_size, "%s: tensor %d ends past the arena", what, i);
    for (int j = 0; j < i; j++) {
      int alive_together = t[i].first <= t[j].last && t[j].first <= t[i].last;
      int share_bytes = t[i].size > 0 && t[j].size > 0 && t[i].offset < t[j].offset + t[j].size &&
                        t[j].offset < t[i].offset + t[i].size;
      CHECK(!(alive_together && share_bytes), "%s: tensors %d and %d are alive together and share bytes", what, j,
            i);
    }
  }
}

static void test_random_overlaps(void) {
  for (int round = 0; round < 300; round++) {
    enet_plan_tensor t[16];
    int n = irand(0, 16);
    for (int i = 0; i < n; i++) {
      int first = irand(0, 10);
      t[i] = (enet_plan_tensor){i, first, first + irand(0, 5), irand(0, 3) ? irand(1, 5000) : 0, -1};
    }
    int64_t arena_size = -1;
    CHECK(enet_plan_arena(t, n, &arena_size) == ENET_OK, "random round %d failed", round);
    check_plan(t, n, arena_size, "random");
    int64_t total = 0; /* never more than every tensor side by side */
    for (int i = 0; i < n; i++) total += (t[i].size + ENET_ALIGNMENT - 1) / ENET_ALIGNMENT * ENET_ALIGNMENT;
    CHECK(arena_size <= total, "random round %d: arena %lld > %lld", round, (long long)arena_size, (long long)total);
  }
}

static void test_disjoint_lifetimes_reuse(void) {
  /* A chain x0 -> op0 -> x1 -> op1 -> x2 -> op2 -> x3: x_i lives during ops i-1 .. i.
   * x0 and x2 (and x1 and x3) are never alive together, so two slots suffice. */
  enet_plan_tensor t[4];
  for (int i = 0; i < 4; i++) t[i] = (enet_plan_tensor){i, i > 0 ? i - 1 : 0, i, 1000, -1};
  int64_t arena_size = -1;
  CHECK(enet_plan_arena(t, 4, &arena_size) == ENET_OK, "chain failed");
  check_plan(t, 4, arena_size, "chain");
  CHECK(arena_size == 2 * 1024, "chain: arena %lld, expected two 1024-byte slots", (long long)arena_size);
  CHECK(t[0].offset == t[2].offset && t[1].offset == t[3].offset, "chain: offsets %lld %lld %lld %lld not reused",
        (long long)t[0].offset, (long long)t[1].offset, (long long)t[2].offset, (long long)t[3].offset);

  /* Two tensors alive at the same op: side by side. */
  enet_plan_tensor both[2] = {{0, 0, 1, 100, -1}, {1, 1, 2, 100, -1}};
  CHECK(enet_plan_arena(both, 2, &arena_size) == ENET_OK, "pair failed");
  check_plan(both, 2, arena_size, "pair");
  CHECK(arena_size == 2 * ENET_ALIGNMENT * 2, "pair: arena %lld", (long long)arena_size);
}

static void test_alignment(void) {
  /* Odd sizes, all alive at once: each starts on an ENET_ALIGNMENT boundary. */
  enet_plan_tensor t[4] = {{0, 0, 0, 1, -1}, {1, 0, 0, 3, -1}, {2, 0, 0, 65, -1}, {3, 0, 0, 129, -1}};
  int64_t arena_size = -1;
  CHECK(enet_plan_arena(t, 4, &arena_size) == ENET_OK, "alignment failed");
  check_plan(t, 4, arena_size, "alignment");
  CHECK(arena_size == 3 * ENET_ALIGNMENT + 2 * ENET_ALIGNMENT + ENET_ALIGNMENT + ENET_ALIGNMENT,
        "alignment: arena %lld", (long long)arena_size);
  /* Nothing to place: an empty arena. */
  CHECK(enet_plan_arena(t, 0, &arena_size) == ENET_OK && arena_size == 0, "empty: arena %lld", (long long)arena_size);
}

int main(void) {
  test_random_overlaps();
  test_disjoint_lifetimes_reuse();
  test_alignment();
  printf("test_planner: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
