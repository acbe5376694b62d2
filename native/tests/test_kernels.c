/*
 * test_kernels — every optimized kernel this CPU can run (each ISA family,
 * not only the best) against the reference kernels, on odd shapes and channel
 * counts, with 1, 2 and 3 threads:
 *   - float within 1e-5 of the reference, relative to sum |x*w| + |bias| (the
 *     scale of the rounding error of any summation order);
 *   - int8 bit-exact (random zero points, per-channel multipliers, clamps);
 *   - bit-identical for every thread count.
 * Built with the C tests and run natively and under qemu (scripts/run_arm_tests.sh); the
 * AVX-512 / VNNI families also on AVX2-only CPUs in the -DEDGENET_EMULATE_X86=ON build (SIMDe).
 * The families this CPU cannot run are listed ("NOT TESTED").
 * Prints each failure and exits 1 if any.
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/checksum.h"
#include "../src/cpu.h"
#include "../src/kernels/optimized.h"
#include "../src/kernels/reference/reference.h"
#include "../src/kernels/reference/reference_s8.h"
#include "../src/ops/ops_s8.h" /* enet_quantize_multiplier */
#include "../src/threadpool.h"

static int failures = 0, checks = 0;
static unsigned long long rng_state = 88172645463325252ull;

static float frand(void) { /* xorshift64, uniform in [-1, 1) */
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return (float)((rng_state >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}
static int irand(int lo, int hi) { return lo + (int)((frand() + 1.0f) * 0.5f * (float)(hi - lo + 1)) % (hi - lo + 1); }

static float* random_floats(size_t n) {
  float* p = malloc((n ? n : 1) * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = frand();
  return p;
}
static float* abs_copy(const float* x, size_t n) {
  float* p = malloc((n ? n : 1) * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = fabsf(x[i]);
  return p;
}
static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Fills out_h/out_w from the rest of the geometry and explicit pads (bottom/right = pb/pr). */
static int finish_window(enet_window* g, int pb, int pr) {
  int64_t span_h = (g->k_h - 1) * g->dilation_h + 1, span_w = (g->k_w - 1) * g->dilation_w + 1;
  int64_t ph = g->in_h + g->pad_top + pb, pw = g->in_w + g->pad_left + pr;
  if (ph < span_h || pw < span_w) return 0;
  g->out_h = (ph - span_h) / g->stride_h + 1;
  g->out_w = (pw - span_w) / g->stride_w + 1;
  return 1;
}

static void random_window(enet_window* g, int depthwise) {
  static const int ks[] = {1, 1, 3, 3, 5, 2, 7};
  do {
    memset(g, 0, sizeof *g);
    g->batch = irand(1, 2);
    g->in_h = irand(1, 13), g->in_w = irand(1, 13);
    g->in_c = depthwise ? irand(1, 41) : irand(1, 37);
    g->out_c = depthwise ? g->in_c : irand(1, 41);
    g->k_h = ks[irand(0, 6)], g->k_w = irand(0, 3) ? g->k_h : ks[irand(0, 6)];
    g->stride_h = irand(1, 2), g->stride_w = irand(1, 2);
    g->dilation_h = irand(0, 4) ? 1 : 2, g->dilation_w = irand(0, 4) ? 1 : 2;
    g->pad_top = irand(0, (int)g->k_h / 2 + 1), g->pad_left = irand(0, (int)g->k_w / 2 + 1);
  } while (!finish_window(g, irand(0, (int)g->k_h / 2), irand(0, (int)g->k_w / 2)));
}

/* got vs want (already clamped), with the error bound from mag = reference on |inputs|. */
static void compare(const char* what, const char* isa, const enet_window* g, const float* got, const float* want,
                    const float* mag, size_t n) {
  checks++;
  for (size_t i = 0; i < n; i++) {
    float tol = 1e-5f * mag[i] + 1e-30f;
    if (!(fabsf(got[i] - want[i]) <= tol)) {
      fprintf(stderr,
              "FAIL %s [%s] in (%lld,%lld,%lld,%lld) k %lldx%lld s %d,%d d %d,%d pad %d,%d out_c %lld: "
              "y[%zu] = %.9g, reference %.9g\n",
              what, isa, (long long)g->batch, (long long)g->in_h, (long long)g->in_w, (long long)g->in_c,
              (long long)g->k_h, (long long)g->k_w, g->stride_h, g->stride_w, g->dilation_h, g->dilation_w,
              g->pad_top, g->pad_left, (long long)g->out_c, i, got[i], want[i]);
      failures++;
      return;
    }
  }
}

static void same_bits(const char* what, const char* isa, int threads, const float* a, const float* b, size_t n) {
  checks++;
  if (memcmp(a, b, n * sizeof *a) != 0) {
    fprintf(stderr, "FAIL %s [%s]: %d threads differ from 1 thread\n", what, isa, threads);
    failures++;
  }
}

/* A run's scratch as an interpreter hands it over: whatever an earlier op left. Filled with
 * 0xFF bytes (float NaN, int8 -1), so a float kernel that read a byte it did not write would
 * turn its results into NaN. free() it after the run. */
static void* used_scratch(size_t bytes) {
  void* s = NULL;
  if (bytes && posix_memalign(&s, 64, bytes)) abort();
  if (s) memset(s, 0xFF, bytes);
  return s;
}

static const int activations_lo_hi[3][2] = {{0, 0}, {1, 0}, {1, 1}}; /* none, relu, relu6 */

static void activation(int a, float* lo, float* hi) {
  *lo = activations_lo_hi[a][0] ? 0.0f : -INFINITY;
  *hi = activations_lo_hi[a][1] ? 6.0f : INFINITY;
}

/* deep: K above 8192 (fully connected: direct A cut into K blocks; conv: the method its shape picks,
 * igemm; test_conv_methods forces the im2col K blocks). */
static void test_conv(const enet_f32_kernels* k, enet_threadpool** pools, int depthwise, int fc, int deep) {
  enet_window g;
  if (fc) { /* fully connected = 1x1 conv over rows */
    memset(&g, 0, sizeof g);
    g.batch = irand(0, 2) ? irand(2, 9) : 1; /* batch 1 (a third): the one-row kernel, gemv */
    g.in_h = g.in_w = g.out_h = g.out_w = 1, g.k_h = g.k_w = 1;
    g.in_c = deep ? irand(8193, 14000) : irand(1, 300), g.out_c = irand(1, deep ? 40 : 70);
    g.stride_h = g.stride_w = g.dilation_h = g.dilation_w = 1;
  } else if (deep) {
    memset(&g, 0, sizeof g);
    g.batch = 1, g.in_h = irand(2, 6), g.in_w = irand(2, 6), g.in_c = irand(911, 1300), g.out_c = irand(1, 40);
    g.k_h = g.k_w = 3, g.stride_h = g.stride_w = irand(1, 2), g.dilation_h = g.dilation_w = 1;
    g.pad_top = g.pad_left = 1;
    finish_window(&g, 1, 1);
  } else {
    random_window(&g, depthwise);
  }
  size_t nx = (size_t)(g.batch * g.in_h * g.in_w * g.in_c), ny = (size_t)(g.batch * g.out_h * g.out_w * g.out_c);
  size_t nw = depthwise ? (size_t)(g.k_h * g.k_w * g.out_c) : (size_t)(g.out_c * g.k_h * g.k_w * g.in_c);
  float *x = random_floats(nx), *w = random_floats(nw), *b = irand(0, 3) ? random_floats((size_t)g.out_c) : NULL;
  float *ax = abs_copy(x, nx), *aw = abs_copy(w, nw), *ab = b ? abs_copy(b, (size_t)g.out_c) : NULL;
  for (size_t i = 0; i < nx; i++) x[i] *= 3.0f; /* so relu6 clamps some values */
  for (size_t i = 0; i < nx; i++) ax[i] = fabsf(x[i]);
  float *want = malloc(ny * sizeof(float) + 4), *mag = malloc(ny * sizeof(float) + 4);
  float *got1 = malloc(ny * sizeof(float) + 4), *got = malloc(ny * sizeof(float) + 4);
  if (depthwise) {
    enet_ref_depthwise_conv2d_f32(&g, 1, x, w, b, want);
    enet_ref_depthwise_conv2d_f32(&g, 1, ax, aw, ab, mag);
  } else {
    enet_ref_conv2d_f32(&g, x, w, b, want);
    enet_ref_conv2d_f32(&g, ax, aw, ab, mag);
  }
  int act = irand(0, 2);
  float lo, hi;
  activation(act, &lo, &hi);
  for (size_t i = 0; i < ny; i++) want[i] = clampf(want[i], lo, hi);
  const char* what = fc ? "f32 fully connected" : depthwise ? "f32 depthwise conv" : "f32 conv";
  const char* isa = enet_isa_name(k->isa);
  for (int t = 0; t < 3; t++) {
    int threads = enet_threadpool_size(pools[t]);
    size_t bytes = depthwise ? enet_f32_dwconv_plan_size(k, &g, threads) : enet_f32_conv_plan_size(k, &g, threads);
    void* mem = NULL;
    if (posix_memalign(&mem, 64, bytes)) abort();
    if (depthwise) {
      enet_f32_dwconv_plan* p = enet_f32_dwconv_plan_init(mem, k, &g, threads, w, b, lo, hi);
      enet_f32_dwconv_run(p, pools[t], x, t ? got : got1);
    } else {
      enet_f32_conv_plan* p = enet_f32_conv_plan_init(mem, k, &g, threads, w, b, lo, hi);
      void* scratch = used_scratch(enet_f32_conv_scratch_bytes(p));
      enet_f32_conv_run(p, pools[t], x, t ? got : got1, scratch);
      free(scratch);
    }
    free(mem);
    if (t == 0)
      compare(what, isa, &g, got1, want, mag, ny);
    else
      same_bits(what, isa, threads, got1, got, ny);
  }
  free(x), free(w), free(b), free(ax), free(aw), free(ab), free(want), free(mag), free(got1), free(got);
}

/* The one-row kernel (gemv, batch 1) sums each column as the tile does: a fully connected layer at
 * batch 1 equals row 0 of the same layer at batch 3 bit for bit (K blocks above 8192 included). */
static void test_gemv_matches_tile(const enet_f32_kernels* k, enet_threadpool** pools) {
  enet_window g;
  memset(&g, 0, sizeof g);
  g.in_h = g.in_w = g.out_h = g.out_w = 1, g.k_h = g.k_w = 1;
  g.stride_h = g.stride_w = g.dilation_h = g.dilation_w = 1;
  g.in_c = irand(0, 5) ? irand(1, 700) : irand(8193, 9000), g.out_c = irand(1, 300);
  size_t kdim = (size_t)g.in_c, n = (size_t)g.out_c;
  float *x = random_floats(3 * kdim), *w = random_floats(n * kdim), *b = irand(0, 3) ? random_floats(n) : NULL;
  memcpy(x + kdim, x, kdim * sizeof *x), memcpy(x + 2 * kdim, x, kdim * sizeof *x);
  float *row = malloc(n * sizeof *row), *rows = malloc(3 * n * sizeof *rows);
  float lo, hi;
  activation(irand(0, 2), &lo, &hi);
  for (int t = 0; t < 3; t++) {
    int threads = enet_threadpool_size(pools[t]);
    for (int batch = 1; batch <= 3; batch += 2) {
      g.batch = batch;
      void* mem = NULL;
      if (posix_memalign(&mem, 64, enet_f32_conv_plan_size(k, &g, threads))) abort();
      enet_f32_conv_plan* p = enet_f32_conv_plan_init(mem, k, &g, threads, w, b, lo, hi);
      void* scratch = used_scratch(enet_f32_conv_scratch_bytes(p));
      enet_f32_conv_run(p, pools[t], x, batch == 1 ? row : rows, scratch);
      free(scratch);
      free(mem);
    }
    checks++;
    if (memcmp(row, rows, n * sizeof *row)) {
      fprintf(stderr, "FAIL f32 fully connected [%s]: batch 1 (K %zu, N %zu, %d threads) differs from row 0 of batch 3\n",
              enet_isa_name(k->isa), kdim, n, threads);
      failures++;
    }
  }
  free(x), free(w), free(b), free(row), free(rows);
}

/* Winograd F(4x4, 3x3) rounds differently from a direct sum: its transforms scale each tile's
 * values by up to 10x (B^T rows) and 19x (A^T rows) before the cancellations that give the
 * result, so its error relative to sum |x * w| + |b| (the largest in the tile) is about that much
 * above the direct sum's.
 * Measured over these random shapes: below 1e-5 (2e-6 typical); the bound leaves 10x room. */
#define WINOGRAD_TOLERANCE 1e-4f
/* The transforms mix the whole tile, so an output's rounding error scales with the largest
 * magnitude among the 4x4 outputs of its tile (same image and channel), not with its own: an
 * output whose window is mostly padding can sit far below its neighbours. */
static float winograd_tile_magnitude(const enet_window* g, const float* mag, size_t i) {
  size_t c = i % (size_t)g->out_c, pixel = i / (size_t)g->out_c;
  size_t ox = pixel % (size_t)g->out_w, oy = pixel / (size_t)g->out_w % (size_t)g->out_h;
  size_t image = pixel / (size_t)g->out_w / (size_t)g->out_h;
  float m = 0.0f;
  for (size_t y = oy / 4 * 4; y < oy / 4 * 4 + 4 && y < (size_t)g->out_h; y++)
    for (size_t x = ox / 4 * 4; x < ox / 4 * 4 + 4 && x < (size_t)g->out_w; x++) {
      float v = mag[((image * (size_t)g->out_h + y) * (size_t)g->out_w + x) * (size_t)g->out_c + c];
      m = v > m ? v : m;
    }
  return m;
}
static float worst_winograd_error = 0.0f; /* largest |error| / magnitude seen (printed) */

/* Shapes for test_conv_methods: any non-pointwise conv; 3x3 stride 1 undilated (Winograd's), any
 * padding and sizes, channel tails; K above 8192 (im2col cuts it into blocks). */
enum { ANY_SHAPE, WINOGRAD_SHAPE, DEEP_SHAPE };

/* A float conv through each method its shape allows (im2col, indirect GEMM, Winograd), forced,
 * vs the reference; 1-3 threads bit-identical; an igemm plan run again on another input
 * buffer (so it rebuilds its indirection buffer) still matches the reference there. */
static void test_conv_methods(const enet_f32_kernels* k, enet_threadpool** pools, int shape) {
  enet_window g;
  int winograd_shape = shape == WINOGRAD_SHAPE;
  if (shape == DEEP_SHAPE) {
    memset(&g, 0, sizeof g);
    g.batch = 1, g.in_h = irand(2, 6), g.in_w = irand(2, 6), g.in_c = irand(911, 1300), g.out_c = irand(1, 40);
    g.k_h = g.k_w = 3, g.stride_h = g.stride_w = irand(1, 2), g.dilation_h = g.dilation_w = 1;
    g.pad_top = g.pad_left = 1;
    finish_window(&g, 1, 1);
  } else if (winograd_shape) {
    do {
      memset(&g, 0, sizeof g);
      g.batch = irand(1, 2), g.in_h = irand(1, 19), g.in_w = irand(1, 19);
      g.in_c = irand(1, 41), g.out_c = irand(1, 41);
      g.k_h = g.k_w = 3, g.stride_h = g.stride_w = g.dilation_h = g.dilation_w = 1;
      g.pad_top = irand(0, 2), g.pad_left = irand(0, 2);
    } while (!finish_window(&g, irand(0, 2), irand(0, 2)));
  } else {
    do random_window(&g, 0);
    while (enet_window_is_pointwise(&g));
  }
  size_t nx = (size_t)(g.batch * g.in_h * g.in_w * g.in_c), ny = (size_t)(g.batch * g.out_h * g.out_w * g.out_c);
  size_t nw = (size_t)(g.out_c * g.k_h * g.k_w * g.in_c);
  float *x = random_floats(nx), *x2 = random_floats(nx), *w = random_floats(nw);
  float* b = irand(0, 3) ? random_floats((size_t)g.out_c) : NULL;
  float *ax = abs_copy(x, nx), *aw = abs_copy(w, nw), *ab = b ? abs_copy(b, (size_t)g.out_c) : NULL;
  float *want = malloc(ny * sizeof(float) + 4), *mag = malloc(ny * sizeof(float) + 4);
  float *want2 = malloc(ny * sizeof(float) + 4), *mag2 = malloc(ny * sizeof(float) + 4);
  float *got1 = malloc(ny * sizeof(float) + 4), *got = malloc(ny * sizeof(float) + 4);
  int act = irand(0, 2);
  float lo, hi;
  activation(act, &lo, &hi);
  enet_ref_conv2d_f32(&g, x, w, b, want);
  enet_ref_conv2d_f32(&g, ax, aw, ab, mag);
  for (size_t i = 0; i < nx; i++) ax[i] = fabsf(x2[i]);
  enet_ref_conv2d_f32(&g, x2, w, b, want2);
  enet_ref_conv2d_f32(&g, ax, aw, ab, mag2);
  for (size_t i = 0; i < ny; i++) want[i] = clampf(want[i], lo, hi), want2[i] = clampf(want2[i], lo, hi);
  const char* isa = enet_isa_name(k->isa);
  enet_f32_conv_method methods[3] = {ENET_F32_CONV_IM2COL, ENET_F32_CONV_IGEMM, ENET_F32_CONV_WINOGRAD};
  for (int mi = 0; mi < 3; mi++) {
    enet_f32_conv_method method = methods[mi];
    if ((method == ENET_F32_CONV_IGEMM && !k->igemm) || (method == ENET_F32_CONV_WINOGRAD && !winograd_shape) ||
        (method == ENET_F32_CONV_WINOGRAD && !k->winograd_input))
      continue;
    const char* what = method == ENET_F32_CONV_IM2COL ? "f32 conv (im2col)"
                       : method == ENET_F32_CONV_IGEMM ? "f32 conv (igemm)" : "f32 conv (winograd)";
    for (int t = 0; t < 3; t++) {
      int threads = enet_threadpool_size(pools[t]);
      void* mem = NULL;
      if (posix_memalign(&mem, 64, enet_f32_conv_plan_size_with(k, &g, threads, method))) abort();
      enet_f32_conv_plan* p = enet_f32_conv_plan_init_with(mem, k, &g, threads, w, b, lo, hi, method);
      void* scratch = used_scratch(enet_f32_conv_scratch_bytes(p));
      enet_f32_conv_run(p, pools[t], x, t ? got : got1, scratch);
      if (t == 0 && method == ENET_F32_CONV_WINOGRAD) {
        int within = 1;
        for (size_t i = 0; i < ny; i++) {
          float err = fabsf(got1[i] - want[i]), m = winograd_tile_magnitude(&g, mag, i);
          if (m > 0 && err / m > worst_winograd_error) worst_winograd_error = err / m;
          within &= err <= WINOGRAD_TOLERANCE * m + 1e-30f;
        }
        if (within)
          checks++;
        else /* outside the Winograd bound, so outside compare's tighter one: it reports the shape and counts */
          compare(what, isa, &g, got1, want, mag, ny);
      } else if (t == 0) {
        compare(what, isa, &g, got1, want, mag, ny);
      } else {
        same_bits(what, isa, threads, got1, got, ny);
      }
      if (t == 0 && method == ENET_F32_CONV_IGEMM) { /* another input address: the indirection is rebuilt */
        enet_f32_conv_run(p, pools[t], x2, got, scratch);
        compare("f32 conv (igemm, second input buffer)", isa, &g, got, want2, mag2, ny);
      }
      free(scratch);
      free(mem);
    }
  }
  free(x), free(x2), free(w), free(b), free(ax), free(aw), free(ab), free(want), free(mag), free(want2), free(mag2);
  free(got1), free(got);
}

/* Float ADD / SUB / MUL through the vector kernels vs scalar arithmetic and the reference's
 * activation clamp, bit for bit (one rounding per element), NaN and infinities included. */
static void test_f32_binary(const enet_f32_kernels* k, enet_threadpool** pools, enet_binary_op op) {
  size_t n = irand(0, 3) ? (size_t)irand(1, 300) : (size_t)irand(9000, 40000); /* tails; several pool chunks */
  float *a = random_floats(n), *b = random_floats(n), *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
  a[0] = NAN, b[n / 2] = INFINITY, a[n - 1] = -INFINITY;
  int act = irand(0, 2);
  float lo, hi;
  activation(act, &lo, &hi);
  for (size_t i = 0; i < n; i++) {
    float v = op == ENET_BINARY_ADD ? a[i] + b[i] : op == ENET_BINARY_SUB ? a[i] - b[i] : a[i] * b[i];
    want[i] = v < lo ? lo : v > hi ? hi : v; /* like the reference relu / relu6: NaN passes */
  }
  const char* what = op == ENET_BINARY_ADD ? "f32 add" : op == ENET_BINARY_SUB ? "f32 sub" : "f32 mul";
  for (int t = 0; t < 3; t++) {
    memset(got, 0, n * sizeof *got);
    if (!enet_f32_vbinary_run(k, op, pools[t], n, a, b, got, lo, hi)) break; /* no kernel in this family */
    checks++;
    for (size_t i = 0; i < n; i++)
      if (memcmp(&got[i], &want[i], sizeof(float)) != 0 && !(isnan(got[i]) && isnan(want[i]))) {
        fprintf(stderr, "FAIL %s [%s] n %zu, %d threads: y[%zu] = %.9g, expected %.9g\n", what,
                enet_isa_name(k->isa), n, enet_threadpool_size(pools[t]), i, got[i], want[i]);
        failures++;
        break;
      }
  }
  free(a), free(b), free(want), free(got);
}

/* ---- float unary ops and softmax vs their double formulas ------------------------------------- */

/* Values where the kernels' special cases live: signed zeros and tiny values, the exp clamps at
 * -87 / 88 and just past them, overflow, infinities and NaN. */
static const float unary_specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.3f, -0.3f, 3.0f, -3.0f,
                                       20.0f, -20.0f, 86.9f, -86.9f, 87.5f, -87.5f, 88.5f, -88.5f, 100.0f, -100.0f,
                                       88.7f, -88.7f, 95.0f, -95.0f, -103.5f, 103.5f, -800.0f, 800.0f, INFINITY,
                                       -INFINITY, NAN};

static double unary_formula(enet_unary_op op, double x) { /* SILU passes ENET_UNARY_RELU here */
  switch (op) {
    case ENET_UNARY_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ENET_UNARY_TANH: return tanh(x);
    case ENET_UNARY_HARD_SWISH: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    default: return x / (1.0 + exp(-x)); /* SILU */
  }
}

/* Each unary kernel vs its formula in double: |got - want| <= 1e-6 |want| + 1e-7 (a few float
 * ulps), NaN exactly where the formula is NaN (the reference's NaN / inf results), the same sign
 * for zeros and infinities; HARD_SWISH also bit-identical to the reference; any thread count
 * bit-identical to one. */
static void test_f32_unary(const enet_f32_kernels* k, enet_threadpool** pools, enet_unary_op op) {
  const char* what = op == ENET_UNARY_SIGMOID ? "f32 sigmoid" : op == ENET_UNARY_TANH ? "f32 tanh"
                     : op == ENET_UNARY_HARD_SWISH ? "f32 hard swish" : "f32 silu";
  enet_f32_vunary_ukernel kernel = op == ENET_UNARY_SIGMOID      ? k->vsigmoid
                                   : op == ENET_UNARY_TANH       ? k->vtanh
                                   : op == ENET_UNARY_HARD_SWISH ? k->vhswish
                                                                 : k->vsilu;
  if (!kernel) return; /* this family keeps the reference */
  const size_t nspecial = sizeof unary_specials / sizeof unary_specials[0];
  size_t n = irand(0, 3) ? (size_t)irand(1, 300) : (size_t)irand(9000, 40000); /* tails; several pool chunks */
  float *x = random_floats(n), *got = malloc(n * sizeof *got), *first = malloc(n * sizeof *first);
  for (size_t i = 0; i < n; i++) x[i] *= (float)irand(1, 4) * 3.0f; /* [-12, 12): all of each curve */
  for (size_t i = 0; i < n && i < nspecial; i++) x[(i * 7919) % n] = unary_specials[i];
  float* ref = NULL;
  if (op == ENET_UNARY_HARD_SWISH) {
    ref = malloc(n * sizeof *ref);
    enet_ref_unary_f32(op, (int64_t)n, x, ref);
  }
  for (int t = 0; t < 3; t++) {
    memset(got, 0, n * sizeof *got);
    enet_f32_vunary_run(kernel, pools[t], n, x, got);
    checks++;
    for (size_t i = 0; i < n; i++) {
      double want = unary_formula(op, x[i]), err = fabs(got[i] - want);
      int bad = isnan(want) ? !isnan(got[i])
                : isinf(want) || want == 0.0 ? got[i] != want || !signbit(got[i]) != !signbit(want)
                                                : !(err <= 1e-6 * fabs(want) + 1e-7);
      if (ref && !bad) bad = memcmp(&got[i], &ref[i], sizeof(float)) != 0 && !(isnan(got[i]) && isnan(ref[i]));
      if (t > 0 && !bad) bad = memcmp(&got[i], &first[i], sizeof(float)) != 0;
      if (bad) {
        fprintf(stderr, "FAIL %s [%s] n %zu, %d threads: x[%zu] = %.9g -> %.9g, expected %.9g\n", what,
                enet_isa_name(k->isa), n, enet_threadpool_size(pools[t]), i, x[i], got[i], want);
        failures++;
        break;
      }
    }
    if (t == 0) memcpy(first, got, n * sizeof *got);
  }
  free(x), free(got), free(first), free(ref);
}

/* Softmax rows vs exp(a) / sum in double with the reference's float argument a = beta * (x - max)
 * (that rounding is the formula's, in any float softmax; with beta = -2 and x - max = -40 it alone
 * moves exp by 5e-6) and its float overflow (exp(a) > FLT_MAX is inf: inf / inf = NaN, others 0), within 1e-6 relative + 1e-9 absolute, over odd row
 * lengths, betas, and rows holding -inf, +inf or NaN; any thread count bit-identical to one. */
static void test_f32_softmax(const enet_f32_kernels* k, enet_threadpool** pools) {
  if (!k->softmax) return;
  size_t rows = (size_t)irand(1, 40), n = irand(0, 3) ? (size_t)irand(1, 70) : (size_t)irand(500, 3000);
  float beta = irand(0, 2) ? 1.0f : frand() * 2.0f; /* |beta (x - max)| < 80: no float sum can overflow */
  float *x = random_floats(rows * n), *got = malloc(rows * n * sizeof *got), *first = malloc(rows * n * sizeof *got);
  for (size_t i = 0; i < rows * n; i++) x[i] *= 20.0f;
  if (rows > 1) x[n + (size_t)irand(0, (int)n - 1)] = -INFINITY;
  if (rows > 2) x[2 * n + (size_t)irand(0, (int)n - 1)] = INFINITY;
  if (rows > 3) x[3 * n + (size_t)irand(0, (int)n - 1)] = NAN;
  double* e = malloc(n * sizeof *e);
  for (int t = 0; t < 3; t++) {
    memset(got, 0, rows * n * sizeof *got);
    enet_f32_softmax_run(k->softmax, pools[t], rows, n, beta, x, got);
    checks++;
    int bad = 0;
    for (size_t r = 0; r < rows && !bad; r++) {
      const float* xr = x + r * n;
      float max = -INFINITY;
      for (size_t i = 0; i < n; i++) max = xr[i] > max ? xr[i] : max; /* the reference's max: NaN skipped */
      double sum = 0.0;
      for (size_t i = 0; i < n; i++) {
        e[i] = exp((double)(beta * (xr[i] - max)));
        if (e[i] > FLT_MAX) e[i] = INFINITY; /* as expf */
        sum += e[i];
      }
      for (size_t i = 0; i < n && !bad; i++) {
        double want = e[i] / sum, v = got[r * n + i];
        bad = isnan(want) ? !isnan(v) : !(fabs(v - want) <= 1e-6 * want + 1e-9);
        if (t > 0 && !bad) bad = memcmp(&got[r * n + i], &first[r * n + i], sizeof(float)) != 0;
        if (bad)
          fprintf(stderr, "FAIL f32 softmax [%s] rows %zu n %zu beta %g, %d threads: y[%zu][%zu] = %.9g, expected %.9g\n",
                  enet_isa_name(k->isa), rows, n, beta, enet_threadpool_size(pools[t]), r, i, v, want);
      }
    }
    failures += bad;
    if (t == 0) memcpy(first, got, rows * n * sizeof *got);
  }
  free(x), free(got), free(first), free(e);
}

/* Float max pool vs the reference kernel, bit for bit (NaNs at random places: kept or skipped alike). */
static void test_f32_maxpool(enet_threadpool** pools) {
  enet_window g;
  do {
    memset(&g, 0, sizeof g);
    g.batch = irand(1, 2), g.in_h = irand(1, 13), g.in_w = irand(1, 13), g.in_c = g.out_c = irand(1, 70);
    g.k_h = irand(1, 4), g.k_w = irand(1, 4), g.stride_h = irand(1, 3), g.stride_w = irand(1, 3);
    g.dilation_h = g.dilation_w = 1;
    g.pad_top = irand(0, (int)g.k_h - 1), g.pad_left = irand(0, (int)g.k_w - 1);
  } while (!finish_window(&g, irand(0, (int)g.k_h - 1), irand(0, (int)g.k_w - 1)));
  size_t nx = (size_t)(g.batch * g.in_h * g.in_w * g.in_c), ny = (size_t)(g.batch * g.out_h * g.out_w * g.out_c);
  float *x = random_floats(nx), *want = malloc(ny * sizeof *want), *got = malloc(ny * sizeof *got);
  for (int i = 0; i < 3; i++) x[irand(0, (int)nx - 1)] = NAN;
  enet_ref_max_pool2d_f32(&g, x, want);
  for (int t = 0; t < 3; t++) {
    enet_f32_maxpool_run(&g, pools[t], x, got);
    checks++;
    for (size_t i = 0; i < ny; i++)
      if (memcmp(&got[i], &want[i], sizeof(float)) != 0 && !(isnan(got[i]) && isnan(want[i]))) {
        fprintf(stderr, "FAIL f32 max pool in (%lld,%lld,%lld,%lld) k %lldx%lld s %d,%d pad %d,%d, %d threads: "
                "y[%zu] = %.9g, reference %.9g\n", (long long)g.batch, (long long)g.in_h, (long long)g.in_w,
                (long long)g.in_c, (long long)g.k_h, (long long)g.k_w, g.stride_h, g.stride_w, g.pad_top, g.pad_left,
                enet_threadpool_size(pools[t]), i, got[i], want[i]);
        failures++;
        break;
      }
  }
  free(x), free(want), free(got);
}

static int8_t* random_s8(size_t n, int lo, int hi) {
  int8_t* p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) p[i] = (int8_t)irand(lo, hi);
  return p;
}

/* A per-channel multiplier: usually near 1 / (kdim * 64) as per-channel weight scales give,
 * sometimes anywhere in the supported range (shift 1..62) to reach every saturation path. */
static enet_requant random_multiplier(size_t kdim) {
  enet_requant r;
  double m = irand(0, 3) ? 1.0 / (double)(kdim * 64 + 1) * pow(2.0, 6.0 * (double)frand())
                         : ldexp(0.5 + 0.49 * ((double)frand() + 1.0), irand(-31, 29));
  if (enet_quantize_multiplier(m, &r) != ENET_OK) abort();
  return r;
}

static void random_output(enet_s8_output* out) {
  *out = (enet_s8_output){irand(-128, 127), -128, 127};
  if (irand(0, 1)) out->min = out->zero_point, out->max = irand(0, 1) ? 127 : (out->zero_point + 100 > 127 ? 127 : out->zero_point + 100);
}

/* First difference of got vs want (n bytes), reported with `what`; 1 if equal. */
static int same_s8(const char* what, const char* isa, const char* shape, const int8_t* got, const int8_t* want,
                   size_t n) {
  checks++;
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i]) {
      fprintf(stderr, "FAIL %s [%s] %s: y[%zu] = %d, reference %d\n", what, isa, shape, i, got[i], want[i]);
      failures++;
      return 0;
    }
  return 1;
}

/* int8 conv (or fully connected) through the packed int8 GEMM vs the reference, bit for bit. */
static void test_qs8_conv(const enet_qs8_kernels* k, enet_threadpool** pools, int fc) {
  enet_window g;
  if (fc) {
    memset(&g, 0, sizeof g);
    g.batch = irand(0, 2) ? irand(2, 9) : 1; /* batch 1 (a third): the tiles' one-row path */
    g.in_h = g.in_w = g.out_h = g.out_w = 1, g.k_h = g.k_w = 1;
    g.in_c = irand(1, 300), g.out_c = irand(1, 70);
    g.stride_h = g.stride_w = g.dilation_h = g.dilation_w = 1;
  } else {
    random_window(&g, 0);
  }
  size_t nx = (size_t)(g.batch * g.in_h * g.in_w * g.in_c), ny = (size_t)(g.batch * g.out_h * g.out_w * g.out_c);
  size_t n = (size_t)g.out_c, kdim = (size_t)(g.k_h * g.k_w * g.in_c);
  int8_t *x = random_s8(nx, -128, 127), *w = random_s8(n * kdim, -127, 127);
  /* Sometimes only extreme values (the largest sums, and -128 where the VNNI kernels' sign flip
   * is 0), and the zero point at either end. */
  int extremes = irand(0, 4) == 0;
  if (extremes) {
    for (size_t i = 0; i < nx; i++) x[i] = irand(0, 1) ? -128 : 127;
    for (size_t i = 0; i < n * kdim; i++) w[i] = irand(0, 1) ? -128 : 127;
  }
  int32_t* bias = NULL;
  if (irand(0, 3)) {
    bias = malloc(n * sizeof *bias);
    for (size_t c = 0; c < n; c++) bias[c] = irand(-20000, 20000);
  }
  int32_t x_zp = irand(0, 3) ? irand(-128, 127) : irand(0, 1) ? -128 : 127;
  enet_requant* rq = malloc(n * sizeof *rq);
  for (size_t c = 0; c < n; c++) rq[c] = random_multiplier(kdim);
  enet_s8_output out;
  random_output(&out);
  int8_t *want = malloc(ny + 1), *got1 = malloc(ny + 1), *got = malloc(ny + 1);
  if (fc)
    enet_ref_fully_connected_s8(g.batch, g.in_c, g.out_c, x, x_zp, w, bias, rq, &out, want);
  else
    enet_ref_conv2d_s8(&g, x, x_zp, w, bias, rq, &out, want);
  const char* what = fc ? "qs8 fully connected" : "qs8 conv";
  const char* isa = enet_isa_name(enet_qs8_gemm_isa(k));
  for (int t = 0; t < 3; t++) {
    int threads = enet_threadpool_size(pools[t]);
    void* mem = NULL;
    if (posix_memalign(&mem, 64, enet_qs8_conv_plan_size(k, &g, threads))) abort();
    enet_qs8_conv_plan* p = enet_qs8_conv_plan_init(mem, k, &g, threads, w, bias, x_zp, rq, out.zero_point,
                                                    out.min, out.max);
    void* scratch = used_scratch(enet_qs8_conv_scratch_bytes(p));
    enet_qs8_conv_run(p, pools[t], x, t ? got : got1, scratch);
    free(scratch);
    free(mem);
    if (t == 0) {
      checks++;
      for (size_t i = 0; i < ny; i++)
        if (got1[i] != want[i]) {
          fprintf(stderr, "FAIL %s [%s] in (%lld,%lld,%lld,%lld) k %lldx%lld s %d,%d pad %d,%d out_c %lld x_zp %d: "
                  "y[%zu] = %d, reference %d\n", what, isa, (long long)g.batch, (long long)g.in_h, (long long)g.in_w,
                  (long long)g.in_c, (long long)g.k_h, (long long)g.k_w, g.stride_h, g.stride_w, g.pad_top,
                  g.pad_left, (long long)g.out_c, x_zp, i, got1[i], want[i]);
          failures++;
          break;
        }
    } else {
      checks++;
      if (memcmp(got1, got, ny) != 0) {
        fprintf(stderr, "FAIL %s [%s]: %d threads differ from 1 thread\n", what, isa, threads);
        failures++;
      }
    }
  }
  free(x), free(w), free(bias), free(rq), free(want), free(got1), free(got);
}

/* int8 depthwise conv (multiplier 1) through the packed qs8 kernels vs the reference, bit for bit. */
static void test_qs8_dwconv(const enet_qs8_kernels* k, enet_threadpool** pools) {
  enet_window g;
  random_window(&g, 1);
  if (irand(0, 1)) g.in_c = g.out_c = irand(1, 4) * 16 + irand(0, 1) * irand(1, 15); /* full and partial blocks */
  size_t nx = (size_t)(g.batch * g.in_h * g.in_w * g.in_c), ny = (size_t)(g.batch * g.out_h * g.out_w * g.out_c);
  size_t n = (size_t)g.out_c, taps = (size_t)(g.k_h * g.k_w);
  int8_t *x = random_s8(nx, -128, 127), *w = random_s8(taps * n, -127, 127);
  int32_t* bias = NULL;
  if (irand(0, 3)) {
    bias = malloc(n * sizeof *bias);
    for (size_t c = 0; c < n; c++) bias[c] = irand(-20000, 20000);
  }
  int32_t x_zp = irand(-128, 127);
  enet_requant* rq = malloc(n * sizeof *rq);
  for (size_t c = 0; c < n; c++) rq[c] = random_multiplier(taps);
  enet_s8_output out;
  random_output(&out);
  int8_t *want = malloc(ny + 1), *got1 = malloc(ny + 1), *got = malloc(ny + 1);
  enet_ref_depthwise_conv2d_s8(&g, 1, x, x_zp, w, bias, rq, &out, want);
  const char* isa = enet_isa_name(enet_qs8_dwconv_isa(k));
  char shape[160];
  snprintf(shape, sizeof shape, "in (%lld,%lld,%lld,%lld) k %lldx%lld s %d,%d d %d,%d pad %d,%d x_zp %d",
           (long long)g.batch, (long long)g.in_h, (long long)g.in_w, (long long)g.in_c, (long long)g.k_h,
           (long long)g.k_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, x_zp);
  for (int t = 0; t < 3; t++) {
    int threads = enet_threadpool_size(pools[t]);
    void* mem = NULL;
    if (posix_memalign(&mem, 64, enet_qs8_dwconv_plan_size(k, &g, threads))) abort();
    enet_qs8_dwconv_plan* p = enet_qs8_dwconv_plan_init(mem, k, &g, threads, w, bias, x_zp, rq, &out);
    enet_qs8_dwconv_run(p, pools[t], x, t ? got : got1);
    free(mem);
    if (t == 0)
      same_s8("qs8 depthwise conv", isa, shape, got1, want, ny);
    else
      same_s8("qs8 depthwise conv (threads vs 1 thread)", isa, shape, got, got1, ny);
  }
  free(x), free(w), free(bias), free(rq), free(want), free(got1), free(got);
}

/* int8 ADD / SUB / MUL of same-shape tensors vs enet_ref_binary_s8, bit for bit. */
static void test_qs8_binary(const enet_qs8_kernels* k, enet_threadpool** pools, enet_binary_op op) {
  size_t n = irand(0, 3) ? (size_t)irand(1, 300) : (size_t)irand(4000, 20000); /* tails; several pool chunks */
  int8_t *a = random_s8(n, -128, 127), *b = random_s8(n, -128, 127);
  enet_binary_s8_params p;
  memset(&p, 0, sizeof p);
  p.a_zp = irand(-128, 127), p.b_zp = irand(-128, 127);
  random_output(&p.out);
  /* add: multipliers below 2^21 with the shift that the op's prepare would pick for scales up to ~2^10 apart */
  p.add_shift = irand(1, 31);
  int limit = p.add_shift >= 21 ? (1 << 21) - 1 : (1 << p.add_shift);
  p.a_mult = irand(0, limit), p.b_mult = irand(0, limit);
  p.mul_requant = random_multiplier(irand(1, 1000));
  int64_t shape[1] = {(int64_t)n};
  int8_t *want = malloc(n), *got1 = malloc(n), *got = malloc(n);
  enet_ref_binary_s8(op, &p, 1, shape, shape, a, shape, b, want);
  enet_qs8_binary_plan plan;
  if (!enet_qs8_binary_plan_init(&plan, k, op, &p)) goto done;
  const char* what = op == ENET_BINARY_ADD ? "qs8 add" : op == ENET_BINARY_SUB ? "qs8 sub" : "qs8 mul";
  char shape_text[96];
  snprintf(shape_text, sizeof shape_text, "n %zu zp %d,%d shift %d", n, p.a_zp, p.b_zp, p.add_shift);
  for (int t = 0; t < 3; t++) {
    enet_qs8_binary_run(&plan, pools[t], n, a, b, t ? got : got1);
    if (t == 0)
      same_s8(what, enet_isa_name(k->isa), shape_text, got1, want, n);
    else
      same_s8(what, enet_isa_name(k->isa), "threads vs 1 thread", got, got1, n);
  }
done:
  free(a), free(b), free(want), free(got1), free(got);
}

/* int8 global average (MEAN over H, W of NHWC) vs enet_ref_mean_s8, bit for bit. */
static void test_qs8_global_mean(void) {
  int64_t shape[4] = {irand(1, 3), irand(1, 9), irand(1, 9), irand(1, 600)}; /* channels past one block */
  uint8_t reduce[4] = {0, 1, 1, 0};
  size_t n = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]), ny = (size_t)(shape[0] * shape[3]);
  int8_t* x = random_s8(n, -128, 127);
  int32_t x_zp = irand(-128, 127);
  enet_requant rq = random_multiplier((size_t)(shape[1] * shape[2]));
  enet_s8_output out;
  random_output(&out);
  int8_t *want = malloc(ny), *got = malloc(ny);
  enet_ref_mean_s8(4, shape, reduce, x, x_zp, rq, &out, want);
  enet_qs8_global_mean((size_t)shape[0], (size_t)(shape[1] * shape[2]), (size_t)shape[3], x, x_zp, rq, &out, got);
  char text[64];
  snprintf(text, sizeof text, "(%lld,%lld,%lld,%lld)", (long long)shape[0], (long long)shape[1], (long long)shape[2],
           (long long)shape[3]);
  same_s8("qs8 global mean", "portable", text, got, want, ny);
  free(x), free(want), free(got);
}

/* The three-plane interleave kernels (NCHW -> NHWC) vs the definition, bit for bit: pixel counts
 * around the vector widths, misaligned starts, 4-byte elements that are NaN payloads. */
static void test_interleave3(const char* isa, enet_x32_interleave3_ukernel x32, enet_x8_interleave3_ukernel x8) {
  int before = failures;
  for (int trial = 0; trial < 60; trial++) {
    size_t pixels = trial < 40 ? (size_t)trial : (size_t)irand(40, 3000), start = (size_t)irand(0, 3);
    uint32_t* x = malloc((3 * pixels + 4) * sizeof *x);
    uint32_t *y = malloc((3 * pixels + 4) * sizeof *y), *want = malloc((3 * pixels + 1) * sizeof *want);
    for (size_t i = 0; i < 3 * pixels + 4; i++) x[i] = 0x7FC00000u ^ (uint32_t)rand() ^ ((uint32_t)rand() << 16);
    for (size_t i = 0; i < pixels; i++)
      for (size_t c = 0; c < 3; c++) want[3 * i + c] = x[start + c * pixels + i];
    if (x32) {
      checks++;
      x32(pixels, x + start, y + start);
      if (memcmp(y + start, want, 3 * pixels * sizeof *y)) {
        printf("FAIL x32 interleave3 [%s]: %zu pixels\n", isa, pixels);
        failures++;
      }
    }
    if (x8) {
      const uint8_t* xb = (const uint8_t*)x + start;
      uint8_t *yb = (uint8_t*)y + start, *wantb = (uint8_t*)want;
      for (size_t i = 0; i < pixels; i++)
        for (size_t c = 0; c < 3; c++) wantb[3 * i + c] = xb[c * pixels + i];
      checks++;
      x8(pixels, xb, yb);
      if (memcmp(yb, wantb, 3 * pixels)) {
        printf("FAIL x8 interleave3 [%s]: %zu pixels\n", isa, pixels);
        failures++;
      }
    }
    free(x), free(y), free(want);
  }
  if (x32 || x8)
    printf("%s: interleave3 (x32 %s, x8 %s): %s\n", isa, x32 ? "kernel" : "none", x8 ? "kernel" : "none",
           failures == before ? "exact" : "FAILED");
}

/* CRC32C of the model file: the check value, and the CPU's instruction (when it has one) equal to
 * the portable tables at every length and misalignment. */
static void test_crc32c(void) {
  int before = failures;
  if (enet_crc32c("123456789", 9) != 0xE3069283u || enet_crc32c_portable("123456789", 9) != 0xE3069283u) {
    printf("crc32c check value: FAILED\n");
    failures++;
  }
  unsigned char data[4096 + 16];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)rand();
  for (int trial = 0; trial < 500; trial++) {
    size_t start = (size_t)(rand() % 16), size = (size_t)(rand() % 4097);
    if (enet_crc32c(data + start, size) != enet_crc32c_portable(data + start, size)) {
      printf("crc32c of %zu bytes at offset %zu: hardware and portable differ\n", size, start);
      failures++;
    }
  }
  printf("crc32c (%s): %s\n", enet_cpu()->crc32c ? "instruction vs portable" : "portable only",
         failures == before ? "matches" : "FAILED");
}

int main(void) {
  test_crc32c();
  const enet_cpu_info* cpu = enet_cpu();
  printf("cpu: sse41=%d avx2_fma=%d avx512=%d avx512_vnni=%d avx_vnni=%d neon=%d neon_dot=%d i8mm=%d cores=%d%s; "
         "selected %s\n", cpu->sse41, cpu->avx2_fma, cpu->avx512, cpu->avx512_vnni, cpu->avx_vnni, cpu->neon,
         cpu->neon_dot, cpu->i8mm, cpu->num_cores, cpu->emulated ? " (AVX-512/VNNI emulated by SIMDe)" : "",
         enet_isa_name(enet_isa_selected()));
  /* Every family of this architecture: those the CPU runs are tested, the others listed. */
#if defined(__x86_64__)
  static const enet_isa families[] = {ENET_ISA_SSE41, ENET_ISA_AVX2, ENET_ISA_AVXVNNI, ENET_ISA_AVX512,
                                      ENET_ISA_AVX512VNNI};
#else
  static const enet_isa families[] = {ENET_ISA_NEON, ENET_ISA_NEONDOT, ENET_ISA_I8MM};
#endif
  enum { NUM_FAMILIES = sizeof families / sizeof families[0] };
  for (size_t f = 0; f < NUM_FAMILIES; f++)
    if (!enet_isa_supported(families[f]))
      printf("NOT TESTED on this CPU: %s (the CPU or this build lacks it; run on one that has it, or build with "
             "-DEDGENET_EMULATE_X86=ON)\n", enet_isa_name(families[f]));
  enet_threadpool* pools[3] = {enet_threadpool_create(1), enet_threadpool_create(2), enet_threadpool_create(3)};
  int tested = 0;
  for (size_t f = 0; f < NUM_FAMILIES; f++) {
    if (!enet_isa_supported(families[f])) continue;
    const enet_f32_kernels* k = enet_f32_kernels_for(families[f]);
    if (!k || (f > 0 && k == enet_f32_kernels_for(families[f - 1]))) continue; /* a family sharing a set */
    tested++;
    int before = failures;
    for (int i = 0; i < 60; i++) test_conv(k, pools, 0, 0, 0);
    for (int i = 0; i < 60; i++) test_conv(k, pools, 1, 0, 0);
    for (int i = 0; i < 30; i++) test_conv(k, pools, 0, 1, 0);
    for (int i = 0; i < 4; i++) test_conv(k, pools, 0, 1, 1);
    for (int i = 0; i < 20; i++) test_gemv_matches_tile(k, pools);
    for (int i = 0; i < 4; i++) test_conv(k, pools, 0, 0, 1);
    for (int i = 0; i < 40; i++) test_conv_methods(k, pools, ANY_SHAPE);
    for (int i = 0; i < 40; i++) test_conv_methods(k, pools, WINOGRAD_SHAPE);
    for (int i = 0; i < 4; i++) test_conv_methods(k, pools, DEEP_SHAPE);
    for (int i = 0; i < 10; i++) test_f32_binary(k, pools, ENET_BINARY_ADD);
    for (int i = 0; i < 10; i++) test_f32_binary(k, pools, ENET_BINARY_SUB);
    for (int i = 0; i < 10; i++) test_f32_binary(k, pools, ENET_BINARY_MUL);
    static const enet_unary_op unary_ops[] = {ENET_UNARY_SIGMOID, ENET_UNARY_TANH, ENET_UNARY_HARD_SWISH,
                                              ENET_UNARY_RELU /* stands for SILU in test_f32_unary */};
    for (size_t u = 0; u < sizeof unary_ops / sizeof unary_ops[0]; u++)
      for (int i = 0; i < 8; i++) test_f32_unary(k, pools, unary_ops[u]);
    for (int i = 0; i < 20; i++) test_f32_softmax(k, pools);
    test_interleave3(enet_isa_name(k->isa), k->interleave3, NULL);
    printf("%s: vector unary (silu %s, sigmoid %s, tanh %s, hard swish %s), softmax %s\n", enet_isa_name(k->isa),
           k->vsilu ? "kernel" : "reference", k->vsigmoid ? "kernel" : "reference", k->vtanh ? "kernel" : "reference",
           k->vhswish ? "kernel" : "reference", k->softmax ? "kernel" : "reference");
    printf("%s: %s\n", enet_isa_name(k->isa), failures == before ? "float kernels match the reference" : "FAILED");
  }
  if (worst_winograd_error > 0)
    printf("f32 winograd: largest error %.3g x sum |x * w| (bound %g)\n", worst_winograd_error, WINOGRAD_TOLERANCE);
  int before_pool = failures;
  for (int i = 0; i < 60; i++) test_f32_maxpool(pools);
  printf("f32 max pool: %s\n", failures == before_pool ? "equal to the reference" : "FAILED");
  for (size_t f = 0; f < NUM_FAMILIES; f++) {
    if (!enet_isa_supported(families[f])) continue;
    const enet_qs8_kernels* k = enet_qs8_kernels_for(families[f]);
    if (!k || (f > 0 && k == enet_qs8_kernels_for(families[f - 1]))) continue; /* a family sharing a set */
    tested++;
    int before = failures;
    for (int i = 0; i < 60; i++) test_qs8_conv(k, pools, 0);
    for (int i = 0; i < 30; i++) test_qs8_conv(k, pools, 1);
    for (int i = 0; i < 80; i++) test_qs8_dwconv(k, pools);
    for (int i = 0; i < 20; i++) test_qs8_binary(k, pools, ENET_BINARY_ADD);
    for (int i = 0; i < 20; i++) test_qs8_binary(k, pools, ENET_BINARY_SUB);
    for (int i = 0; i < 20; i++) test_qs8_binary(k, pools, ENET_BINARY_MUL);
    test_interleave3(enet_isa_name(k->isa), NULL, k->interleave3);
    printf("%s (gemm %s, dwconv %s): %s\n", enet_isa_name(families[f]), enet_isa_name(enet_qs8_gemm_isa(k)),
           enet_isa_name(enet_qs8_dwconv_isa(k)),
           failures == before ? "int8 kernels bit-exact with the reference" : "FAILED");
  }
  int before = failures;
  for (int i = 0; i < 30; i++) test_qs8_global_mean();
  printf("global mean: %s\n", failures == before ? "bit-exact with the reference" : "FAILED");
  for (int t = 0; t < 3; t++) enet_threadpool_free(pools[t]);
  if (!tested) printf("no optimized float kernels for this CPU (reference only)\n");
  printf("test_kernels: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
