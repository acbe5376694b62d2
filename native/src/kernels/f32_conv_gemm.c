/*
 * f32_conv_gemm.c — float convolution as a GEMM over packed weights:
 *   Y (M = N*OH*OW pixels, N = Co) = A (M, K = KH*KW*Ci) * W (K, Co) + bias
 * The weights (OHWI, i.e. already (Co, K)) are packed at prepare time into
 * panels of NR output channels, bias first, as the microkernel reads them.
 * A is the input itself for 1x1 stride-1 unpadded convs (and fully connected
 * layers). Other convs either read A through an indirection buffer (igemm: per
 * output pixel, pointers to its KH*KW input pixels, a zero row for padding; the
 * same packed panels, since OHWI orders k by tap then channel), or, with few
 * input channels, gather blocks of A (im2col) into per-thread scratch. 3x3
 * stride-1 convs with enough channels run as Winograd F(4x4, 3x3) instead
 * (f32_winograd.c). enet_f32_conv_method_for picks one per shape.
 *
 * Cache blocking: M is cut into equal blocks of mc rows, so a block of A
 * (mc x kc) stays in L1/L2 while the panels of W stream past it; very deep K
 * is also cut into blocks, each continuing the sums the previous one left in
 * Y (the microkernel's bias = NULL mode), so every output element is still
 * summed over k in increasing order: the blocking and the thread count never
 * change a result. Work splits into (row block, panel group) units over the
 * thread pool.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "optimized.h"

#include <math.h>

/* K blocks only for very deep K (huge fully connected layers), where even one
 * row tile of A would crowd L2. Smaller blocks (L1-sized W blocks) measured
 * slower on Zen 3 for ResNet/MobileNet layers (K <= 4608) than one pass over K:
 * reloading and re-storing Y per block costs more than streaming W from L2/L3. */
#define KC_TARGET 4096
#define KC_MAX 8192 /* K up to this runs as one block */
/* A block of mc x kc floats: at most 64 KB (L2), and at most 8 row tiles, which
 * keeps it in L1 for small K (measured faster than larger blocks on Zen 3). */
#define A_BLOCK_FLOATS 16384
#define MC_MAX_TILES 8


/* Indirect GEMM vs im2col, measured per conv shape on Zen 3 (one thread, CPU time): igemm is
 * as fast or faster everywhere (no copy; 3x3 stems with 3 input channels 25-35% faster) except
 * with few channels per tap and many taps times output panels: igemm repeats its per-tap pointer
 * loads and short k loops for every panel of NR outputs, while im2col gathers a row once for all
 * of them (ResNet's 7x7 stem, 3 channels x 49 taps x 4 panels: im2col 12% faster; 5x5 with 8
 * panels: 20%). */
#define IGEMM_LONG_TAP 16         /* channels per tap that keep the k loop busy */
#define IGEMM_MAX_SHORT_PASSES 128 /* taps x panels with shorter taps */
/* The indirection buffer holds a pointer per output pixel and tap, which for a large image with
 * few channels (a 640x640 detector's stem: 7 MB) outweighs its speed; im2col needs a few KB.
 * MobileNetV2's 224x224 stem needs 0.9 MB. */
#define IGEMM_MAX_INDIRECTION_BYTES (2u << 20)

enet_f32_conv_method enet_f32_conv_method_for(const enet_f32_kernels* k, const enet_window* g) {
  if (enet_window_is_pointwise(g)) return ENET_F32_CONV_DIRECT;
  if (enet_f32_winograd_pays(k, g)) return ENET_F32_CONV_WINOGRAD;
  size_t taps = (size_t)(g->k_h * g->k_w), passes = taps * enet_div_up((size_t)g->out_c, k->gemm_nr);
  size_t pointers = (size_t)(g->batch * g->out_h * g->out_w) * taps;
  if (k->igemm && (g->in_c >= IGEMM_LONG_TAP || passes <= IGEMM_MAX_SHORT_PASSES) &&
      pointers <= IGEMM_MAX_INDIRECTION_BYTES / sizeof(float*))
    return ENET_F32_CONV_IGEMM;
  return ENET_F32_CONV_IM2COL;
}

/* The plan's geometry without the memory (shared by size and init). */
static void plan_shape(const enet_f32_kernels* k, const enet_window* g, enet_f32_conv_method method,
                       int num_threads, enet_f32_conv_plan* p) {
  memset(p, 0, sizeof *p);
  p->k = k;
  p->num_threads = num_threads;
  p->g = *g;
  p->method = method;
  p->m = (size_t)(g->batch * g->out_h * g->out_w);
  p->n = (size_t)g->out_c;
  p->kdim = (size_t)(g->k_h * g->k_w * g->in_c);
  p->direct = method == ENET_F32_CONV_DIRECT;
  /* Equal K blocks of at most ~KC_TARGET (im2col only: igemm and Winograd read whole rows of K). */
  size_t kblocks = p->kdim <= KC_MAX || method != ENET_F32_CONV_IM2COL ? 1 : enet_div_up(p->kdim, KC_TARGET);
  p->kc = p->kdim ? enet_div_up(p->kdim, kblocks) : 1;
  size_t mr = k->gemm_mr, rows = A_BLOCK_FLOATS / p->kc;
  size_t mc_max = rows / mr * mr;
  if (mc_max < mr) mc_max = mr;
  if (mc_max > MC_MAX_TILES * mr) mc_max = MC_MAX_TILES * mr;
  /* Equal blocks (a last block of a row or two would cost a whole pass over W). */
  size_t mblocks = enet_div_up(p->m ? p->m : 1, mc_max);
  p->mc = enet_div_up(enet_div_up(p->m ? p->m : 1, mblocks), mr) * mr;
  p->panel_floats = k->gemm_nr * (1 + p->kdim);
  if (method == ENET_F32_CONV_WINOGRAD) {
    p->panel_floats = k->gemm_nr * (1 + (size_t)g->in_c);
    enet_f32_winograd_shape(p);
  }
}

/* Byte offsets of the plan's parts in its block, in order (shared by size and init). */
typedef struct plan_layout {
  size_t packed, zero, indirection, bias, end;
} plan_layout;

static plan_layout layout(const enet_f32_conv_plan* p) {
  plan_layout l;
  size_t panels = enet_div_up(p->n, p->k->gemm_nr), sets = p->method == ENET_F32_CONV_WINOGRAD ? 36 : 1;
  int padded = p->method == ENET_F32_CONV_IGEMM || p->method == ENET_F32_CONV_WINOGRAD;
  l.packed = enet_align64(sizeof *p);
  l.zero = l.packed + enet_align64(sets * panels * p->panel_floats * sizeof(float));
  l.indirection = l.zero + (padded ? enet_align64((size_t)p->g.in_c * sizeof(float)) : 0);
  l.bias = l.indirection +
           (p->method == ENET_F32_CONV_IGEMM ? enet_align64(p->m * (size_t)(p->g.k_h * p->g.k_w) * sizeof(float*)) : 0);
  l.end = l.bias + (p->method == ENET_F32_CONV_WINOGRAD ? enet_align64(p->n * sizeof(float)) : 0);
  return l;
}

size_t enet_f32_conv_scratch_bytes(const enet_f32_conv_plan* p) {
  size_t per_thread = p->method == ENET_F32_CONV_IM2COL     ? p->mc * p->kc
                      : p->method == ENET_F32_CONV_WINOGRAD ? enet_f32_winograd_scratch_floats(p)
                                                            : 0;
  return enet_align64((size_t)p->num_threads * per_thread * sizeof(float));
}

size_t enet_f32_conv_plan_size_with(const enet_f32_kernels* k, const enet_window* g, int num_threads,
                                    enet_f32_conv_method method) {
  enet_f32_conv_plan p;
  plan_shape(k, g, method, num_threads, &p);
  return layout(&p).end;
}

size_t enet_f32_conv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads) {
  return enet_f32_conv_plan_size_with(k, g, num_threads, enet_f32_conv_method_for(k, g));
}

void enet_f32_pack_gemm_panels(const enet_f32_kernels* k, size_t n, size_t kdim, const float* weights,
                               const float* bias, float* packed) {
  size_t nr = k->gemm_nr, panels = enet_div_up(n, nr);
  /* Panel: nr biases, then for each k the nr weights w[o][k] (o = panel start + j), zero past n. */
  for (size_t pi = 0; pi < panels; pi++) {
    float* dst = packed + pi * nr * (1 + kdim);
    for (size_t j = 0; j < nr; j++) {
      size_t o = pi * nr + j;
      dst[j] = o < n && bias ? bias[o] : 0.0f;
    }
    dst += nr;
    for (size_t kk = 0; kk < kdim; kk++, dst += nr)
      for (size_t j = 0; j < nr; j++) {
        size_t o = pi * nr + j;
        dst[j] = o < n ? weights[o * kdim + kk] : 0.0f;
      }
  }
}

enet_f32_conv_plan* enet_f32_conv_plan_init_with(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                                 int num_threads, const float* weights, const float* bias,
                                                 float min, float max, enet_f32_conv_method method) {
  uint8_t* at = memory; /* 64-byte aligned by the caller */
  enet_f32_conv_plan* p = (enet_f32_conv_plan*)at;
  plan_shape(k, g, method, num_threads, p);
  plan_layout l = layout(p);
  p->min = min, p->max = max;
  p->packed = (float*)(at + l.packed);
  p->zero = l.indirection > l.zero ? (float*)(at + l.zero) : NULL;
  if (p->zero) memset(p->zero, 0, (size_t)g->in_c * sizeof(float));
  p->indirection = l.bias > l.indirection ? (const float**)(at + l.indirection) : NULL;
  p->bias = l.end > l.bias ? (float*)(at + l.bias) : NULL;
  if (method == ENET_F32_CONV_WINOGRAD)
    enet_f32_winograd_pack(p, weights, bias);
  else
    enet_f32_pack_gemm_panels(k, p->n, p->kdim, weights, bias, p->packed);
  return p;
}

enet_f32_conv_plan* enet_f32_conv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                            int num_threads, const float* weights, const float* bias, float min,
                                            float max) {
  return enet_f32_conv_plan_init_with(memory, k, g, num_threads, weights, bias, min, max,
                                      enet_f32_conv_method_for(k, g));
}

/* One row in all (a fully connected layer at batch 1, or a conv with one output pixel): the
 * one-row kernel runs instead of the tiles (direct and im2col plans; see enet_f32_gemv_ukernel). */
static int runs_gemv(const enet_f32_conv_plan* p) {
  return p->m == 1 && p->k->gemv && (p->method == ENET_F32_CONV_DIRECT || p->method == ENET_F32_CONV_IM2COL);
}

void enet_f32_conv_plan_name(const enet_f32_conv_plan* p, char* name, size_t size) {
  const enet_f32_kernels* k = p->k;
  switch (p->method) {
    case ENET_F32_CONV_DIRECT: snprintf(name, size, "%s", runs_gemv(p) ? k->gemv_name : k->gemm_name); break;
    case ENET_F32_CONV_IM2COL: snprintf(name, size, "%s+im2col", runs_gemv(p) ? k->gemv_name : k->gemm_name); break;
    case ENET_F32_CONV_IGEMM: snprintf(name, size, "%s", k->igemm_name); break;
    case ENET_F32_CONV_WINOGRAD: snprintf(name, size, "%s+%s", k->winograd_name, k->gemm_name); break;
  }
}

/* Per output pixel, its KH*KW input pixels in (ky, kx) order (the zero row outside the image),
 * for the input at x. */
static void build_indirection(enet_f32_conv_plan* p, const float* x) {
  const enet_window* g = &p->g;
  const float** slot = p->indirection;
  for (int64_t n = 0; n < g->batch; n++)
    for (int64_t oy = 0; oy < g->out_h; oy++)
      for (int64_t ox = 0; ox < g->out_w; ox++)
        for (int64_t ky = 0; ky < g->k_h; ky++) {
          int64_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
          for (int64_t kx = 0; kx < g->k_w; kx++) {
            int64_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
            int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
            *slot++ = inside ? x + ((n * g->in_h + iy) * g->in_w + ix) * g->in_c : p->zero;
          }
        }
  p->indirection_x = x;
}

/* Short copies (a few channels: stem convs) are cheaper as a loop than a memcpy call. */
static void copy_floats(float* dst, const float* src, size_t n) {
  if (n < 16)
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
  else
    memcpy(dst, src, n * sizeof(float));
}

/* Fills dst[k - lo] for k in [lo, hi) ∩ [seg_lo, seg_hi) from src[k - seg_lo], or zeros when src is NULL. */
static void fill_segment(float* dst, size_t lo, size_t hi, size_t seg_lo, size_t seg_hi, const float* src) {
  size_t from = lo > seg_lo ? lo : seg_lo, to = hi < seg_hi ? hi : seg_hi;
  if (from >= to) return;
  if (src)
    copy_floats(dst + (from - lo), src + (from - seg_lo), to - from);
  else
    memset(dst + (from - lo), 0, (to - from) * sizeof(float));
}

/* Gathers the block [k0, k1) of rows [m0, m0 + rows) of the im2col matrix
 * into a (row stride k1 - k0): per output pixel, its KH*KW input pixels'
 * channels in (ky, kx, c) order, zeros for padding. With dilation_w 1 the
 * in-image taps of one kernel row are adjacent in memory and copied as one
 * run, between the zeros of the taps left and right of the image. */
static void im2col_block(const enet_f32_conv_plan* p, const float* x, size_t m0, size_t rows, size_t k0, size_t k1,
                         float* a) {
  const enet_window* g = &p->g;
  size_t ci = (size_t)g->in_c, kw = (size_t)g->k_w, width = k1 - k0, span = kw * ci; /* k per kernel row */
  size_t ky_first = k0 / span, ky_end = (k1 + span - 1) / span;
  int64_t ox = (int64_t)(m0 % (size_t)g->out_w), rest = (int64_t)(m0 / (size_t)g->out_w);
  int64_t oy = rest % g->out_h, n = rest / g->out_h;
  int whole_rows = k0 == 0 && k1 == p->kdim && g->dilation_w == 1; /* fast path below possible */
  int64_t span_h = (g->k_h - 1) * g->dilation_h, span_w = g->k_w - 1;
  for (size_t r = 0; r < rows; r++) {
    float* dst = a + r * width - k0; /* dst[k] for k in [k0, k1) */
    int64_t iy0 = oy * g->stride_h - g->pad_top, ix0 = ox * g->stride_w - g->pad_left;
    if (whole_rows && iy0 >= 0 && iy0 + span_h < g->in_h && ix0 >= 0 && ix0 + span_w < g->in_w) {
      /* The whole window is inside the image (most pixels): one copy per kernel row. */
      const float* src = x + ((n * g->in_h + iy0) * g->in_w + ix0) * g->in_c;
      for (int64_t ky = 0; ky < g->k_h; ky++, dst += span)
        copy_floats(dst, src + ky * g->dilation_h * g->in_w * g->in_c, span);
    } else {
      for (size_t ky = ky_first; ky < ky_end; ky++) {
        size_t base = ky * span;
        int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
        if (iy < 0 || iy >= g->in_h) {
          fill_segment(dst + k0, k0, k1, base, base + span, NULL);
          continue;
        }
        const float* row = x + ((n * g->in_h + iy) * g->in_w) * g->in_c; /* input row iy, pixel 0 */
        if (g->dilation_w == 1) {
          int64_t lo = -ix0, hi = g->in_w - ix0; /* in-image kx: [lo, hi) clipped to [0, kw) */
          size_t kx_lo = lo < 0 ? 0 : lo > (int64_t)kw ? kw : (size_t)lo;
          size_t kx_hi = hi < (int64_t)kx_lo ? kx_lo : hi > (int64_t)kw ? kw : (size_t)hi;
          size_t c_lo = base + kx_lo * ci, c_hi = base + kx_hi * ci;
          fill_segment(dst + k0, k0, k1, base, c_lo, NULL);
          fill_segment(dst + k0, k0, k1, c_lo, c_hi, row + (ix0 + (int64_t)kx_lo) * g->in_c);
          fill_segment(dst + k0, k0, k1, c_hi, base + span, NULL);
        } else {
          for (size_t kx = 0; kx < kw; kx++) {
            int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
            int inside = ix >= 0 && ix < g->in_w;
            fill_segment(dst + k0, k0, k1, base + kx * ci, base + (kx + 1) * ci, inside ? row + ix * g->in_c : NULL);
          }
        }
      }
    }
    if (++ox == g->out_w) {
      ox = 0;
      if (++oy == g->out_h) oy = 0, n++;
    }
  }
}

typedef struct conv_job {
  const enet_f32_conv_plan* p;
  const float* x;
  float* y;
  size_t col_groups, panels_per_group;
  float* scratch; /* IM2COL: per thread mc * kc floats */
} conv_job;

static void conv_task(void* context, size_t begin, size_t end, int thread) {
  const conv_job* job = context;
  const enet_f32_conv_plan* p = job->p;
  size_t mr = p->k->gemm_mr, nr = p->k->gemm_nr, panels = enet_div_up(p->n, nr);
  float* scratch = job->scratch ? job->scratch + (size_t)thread * p->mc * p->kc : NULL;
  for (size_t u = begin; u < end; u++) {
    size_t tile = u / job->col_groups, group = u % job->col_groups;
    size_t m0 = tile * p->mc, rows = p->m - m0 < p->mc ? p->m - m0 : p->mc;
    size_t first = group * job->panels_per_group, last = first + job->panels_per_group;
    if (last > panels) last = panels;
    if (p->method == ENET_F32_CONV_IGEMM && p->kdim) {
      size_t taps = (size_t)(p->g.k_h * p->g.k_w);
      for (size_t pi = first; pi < last; pi++) {
        size_t n0 = pi * nr, nc = p->n - n0 < nr ? p->n - n0 : nr;
        const float* panel = p->packed + pi * p->panel_floats;
        for (size_t i = 0; i < rows; i += mr)
          p->k->igemm(rows - i < mr ? rows - i : mr, nc, (size_t)p->g.in_c, taps, p->indirection + (m0 + i) * taps,
                      panel + nr, panel, job->y + (m0 + i) * p->n + n0, p->n, p->min, p->max);
      }
      continue;
    }
    for (size_t k0 = 0; k0 < p->kdim; k0 += p->kc) {
      size_t kc = p->kdim - k0 < p->kc ? p->kdim - k0 : p->kc;
      int final = k0 + kc == p->kdim; /* the activation clamp applies once, to the finished sums */
      float lo = final ? p->min : -INFINITY, hi = final ? p->max : INFINITY;
      const float* a = job->x + m0 * p->kdim + k0;
      size_t a_stride = p->kdim;
      if (p->method == ENET_F32_CONV_IM2COL) {
        im2col_block(p, job->x, m0, rows, k0, k0 + kc, scratch);
        a = scratch, a_stride = kc;
      }
      if (runs_gemv(p) && first < last) { /* the group's panels at once */
        const float* panel = p->packed + first * p->panel_floats;
        size_t n0 = first * nr, n = (last * nr < p->n ? last * nr : p->n) - n0;
        p->k->gemv(n, kc, a, panel + nr + k0 * nr, p->panel_floats, k0 == 0 ? panel : NULL, job->y + n0, lo, hi);
        continue;
      }
      for (size_t pi = first; pi < last; pi++) {
        size_t n0 = pi * nr, nc = p->n - n0 < nr ? p->n - n0 : nr;
        const float* panel = p->packed + pi * p->panel_floats;
        const float* w = panel + nr + k0 * nr;
        const float* bias = k0 == 0 ? panel : NULL;
        for (size_t i = 0; i < rows; i += mr)
          p->k->gemm(rows - i < mr ? rows - i : mr, nc, kc, a + i * a_stride, a_stride, w, bias,
                     job->y + (m0 + i) * p->n + n0, p->n, lo, hi);
      }
    }
    if (p->kdim == 0) /* no inputs: y = clamp(bias) */
      for (size_t pi = first; pi < last; pi++) {
        size_t n0 = pi * nr, nc = p->n - n0 < nr ? p->n - n0 : nr;
        for (size_t i = 0; i < rows; i += mr)
          p->k->gemm(rows - i < mr ? rows - i : mr, nc, 0, job->x, 0, NULL, p->packed + pi * p->panel_floats,
                     job->y + (m0 + i) * p->n + n0, p->n, p->min, p->max);
      }
  }
}

void enet_f32_conv_run(enet_f32_conv_plan* p, enet_threadpool* pool, const float* x, float* y, void* scratch) {
  if (p->m == 0 || p->n == 0) return;
  if (p->method == ENET_F32_CONV_WINOGRAD) {
    enet_f32_winograd_run(p, pool, x, y, scratch);
    return;
  }
  if (p->method == ENET_F32_CONV_IGEMM && p->indirection_x != x) build_indirection(p, x);
  size_t tiles = enet_div_up(p->m, p->mc), panels = enet_div_up(p->n, p->k->gemm_nr);
  /* Few row blocks (small images, fully connected): also split output channels,
   * so every thread gets work. Aim for ~4 units per thread for balance. */
  size_t want = 4 * (size_t)enet_threadpool_size(pool), groups = 1;
  if (enet_threadpool_size(pool) > 1 && tiles < want) groups = enet_div_up(want, tiles);
  if (groups > panels) groups = panels;
  conv_job job = {p, x, y, 0, enet_div_up(panels, groups), scratch};
  /* The one-row kernel goes four panels at a time. */
  if (runs_gemv(p)) job.panels_per_group = enet_div_up(job.panels_per_group, 4) * 4;
  job.col_groups = enet_div_up(panels, job.panels_per_group);
  enet_parallel_for(pool, conv_task, &job, tiles * job.col_groups, 1);
}
