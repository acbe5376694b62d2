/*
 * qs8_conv_gemm.c — int8 convolution / fully connected as an integer GEMM over
 * packed weights (the int8 twin of f32_conv_gemm.c; same tiling and threading).
 *
 *   acc[m][c] = bias[c] + sum_k (x[m][k] - x_zp) * w[c][k]
 *             = (bias[c] - x_zp * sum_k w[c][k]) + sum_k x[m][k] * w[c][k]
 * The bracket is folded into the packed bias at prepare time, and im2col pads
 * with x_zp (whose products the folded bias cancels), so microkernels multiply
 * raw int8. int32 sums wrap identically in any order, and the reference bound
 * check guarantees the true sum fits, so the result is exact. The microkernels
 * requantize each tile in registers from the parameters packed in front of
 * each panel (qs8_requant.c): bit-exact with the reference kernels on every
 * ISA and for any thread count.
 * On AVX2 the plan picks one of two GEMMs by shape (enet_qs8_gemm_for): 3x8c8
 * reads int8 rows, 6x16c2 wants int16 rows, which the driver widens per tile.
 * The VNNI GEMMs (vpdpbusd: unsigned x signed bytes) read the rows with their sign
 * bits flipped (x + 128 as uint8, flipped when gathered, 1x1 convs included); the
 * packed bias takes 128 * sum_k w out too (enet_qs8_kernels.unsigned_a), so their
 * sums are again exact.
 */
#include <string.h>

#include "optimized.h"

#define SCRATCH_BYTES 32768 /* im2col tile budget per thread */


/* c8 (3x8) vs c2 (6x16) on AVX2, measured per conv of a YOLOv8n and a PP-OCR model on an
 * AMD EPYC (Zen 3), one thread: c2 is faster for every K (16 to 2880) once its 6x16 tiles are
 * mostly filled, by 15-40%, and still slightly with N = 18 (a third of its columns padding);
 * c8's smaller tiles win when c2 would waste half or more: N <= 8 (a detection head's N = 1)
 * or M < 4 (squeeze-excite convs and single-row fully connected layers have M = 1). So: the
 * kernel with the smaller padded work M x N (rounded up to whole tiles), a c2 tile element
 * counted at 2/3 of a c8 one. */
const enet_qs8_kernels* enet_qs8_gemm_for(const enet_qs8_kernels* k, const enet_window* g) {
  const enet_qs8_kernels* alt = k->alt_gemm;
  if (!alt) return k;
  const size_t m = (size_t)(g->batch * g->out_h * g->out_w), n = (size_t)g->out_c;
  const size_t alt_work = enet_div_up(m, alt->mr) * alt->mr * enet_div_up(n, alt->nr) * alt->nr;
  const size_t work = enet_div_up(m, k->mr) * k->mr * enet_div_up(n, k->nr) * k->nr;
  return 2 * alt_work <= 3 * work ? alt : k;
}

static void plan_shape(const enet_qs8_kernels* k, const enet_window* g, enet_qs8_conv_plan* p) {
  memset(p, 0, sizeof *p);
  k = enet_qs8_gemm_for(k, g);
  p->k = k;
  p->g = *g;
  p->m = (size_t)(g->batch * g->out_h * g->out_w);
  p->n = (size_t)g->out_c;
  p->kdim = (size_t)(g->k_h * g->k_w * g->in_c);
  p->a_bytes = k->a_bytes == 2 ? 2 : 1;
  /* int8 rows of a 1x1 conv are the input itself; int16 rows are always widened into scratch,
   * unsigned ones flipped there. */
  p->direct = enet_window_is_pointwise(g) && p->a_bytes == 1 && !k->unsigned_a;
  /* Gathered rows are padded to whole KR blocks (zeros, times zero weights), so the
   * microkernels see no k tail; the input itself is read with its own row length. */
  p->a_stride = p->direct ? p->kdim : enet_div_up(p->kdim, k->kr) * k->kr;
  size_t rows = SCRATCH_BYTES / (p->a_stride ? p->a_stride * p->a_bytes : 1);
  p->mc = rows / k->mr * k->mr;
  if (p->mc < k->mr) p->mc = k->mr;
  if (p->mc > 16 * k->mr) p->mc = 16 * k->mr;
  p->panel_bytes = ENET_QS8_PARAMS_BYTES(k->nr) + enet_div_up(p->kdim, k->kr) * k->kr * k->nr * k->weight_bytes;
}

/* Per thread: one tile of A (mc rows of a_stride elements), plus for an int16 kernel an int8
 * im2col tile that is widened into it. */
static size_t thread_scratch_bytes(const enet_qs8_conv_plan* p) {
  return p->direct ? 0 : p->mc * p->a_stride * (p->a_bytes == 2 ? 3 : 1);
}
size_t enet_qs8_conv_scratch_bytes(const enet_qs8_conv_plan* p) {
  return enet_align64((size_t)p->num_threads * thread_scratch_bytes(p));
}

size_t enet_qs8_conv_plan_size(const enet_qs8_kernels* k, const enet_window* g, int num_threads) {
  enet_qs8_conv_plan p;
  plan_shape(k, g, &p);
  p.num_threads = num_threads;
  return enet_align64(sizeof p) + enet_align64(enet_div_up(p.n, p.k->nr) * p.panel_bytes);
}

enet_qs8_conv_plan* enet_qs8_conv_plan_init(void* memory, const enet_qs8_kernels* k, const enet_window* g,
                                            int num_threads, const int8_t* weights, const int32_t* bias,
                                            int32_t x_zp, const enet_requant* requant, int32_t out_zp,
                                            int32_t out_min, int32_t out_max) {
  uint8_t* at = memory; /* 64-byte aligned by the caller */
  enet_qs8_conv_plan* p = (enet_qs8_conv_plan*)at;
  plan_shape(k, g, p);
  at += enet_align64(sizeof *p);
  p->num_threads = num_threads;
  p->x_zp = x_zp, p->out = (enet_s8_output){out_zp, out_min, out_max};
  k = p->k; /* the GEMM chosen for this shape */
  size_t nr = k->nr, kr = k->kr, panels = enet_div_up(p->n, nr), kblocks = enet_div_up(p->kdim, kr);
  p->packed = at;
  for (size_t pi = 0; pi < panels; pi++) {
    uint8_t* panel = p->packed + pi * p->panel_bytes;
    int32_t folded[64]; /* nr <= 64 */
    size_t valid = p->n - pi * nr < nr ? p->n - pi * nr : nr;
    for (size_t j = 0; j < valid; j++) {
      size_t o = pi * nr + j;
      /* Folded bias in unsigned arithmetic: int32 wrap-around without undefined behaviour. */
      uint32_t b = bias ? (uint32_t)bias[o] : 0u, wsum = 0;
      for (size_t kk = 0; kk < p->kdim; kk++) wsum += (uint32_t)(int32_t)weights[o * p->kdim + kk];
      /* An unsigned-A kernel sums (x + 128) * w: take 128 * sum_k w out as well. */
      folded[j] = (int32_t)(b - ((uint32_t)x_zp + (k->unsigned_a ? 128u : 0u)) * wsum);
    }
    enet_qs8_pack_params(panel, nr, valid, folded, requant + pi * nr, out_zp);
    if (k->gemm_param_order) enet_qs8_reorder_params(panel, nr, k->gemm_param_order);
    int16_t* w16 = (int16_t*)(panel + ENET_QS8_PARAMS_BYTES(nr));
    int8_t* w8 = (int8_t*)(panel + ENET_QS8_PARAMS_BYTES(nr));
    /* Block b, column j, i < kr: w[o][b*kr + i] at (b * nr + j) * kr + i; zero past kdim and n. */
    for (size_t b = 0; b < kblocks; b++)
      for (size_t j = 0; j < nr; j++)
        for (size_t i = 0; i < kr; i++) {
          size_t o = pi * nr + j, kk = b * kr + i, at_index = (b * nr + j) * kr + i;
          int8_t v = o < p->n && kk < p->kdim ? weights[o * p->kdim + kk] : 0;
          if (k->weight_bytes == 2)
            w16[at_index] = v;
          else
            w8[at_index] = v;
        }
  }
  return p;
}

/* n inputs to dst as x + 128 in uint8 (their sign bits flipped), for the unsigned-A kernels: in
 * the same pass as the copy, so the gathered tile is written once. */
static inline void move8_flipped(uint8_t* dst, const int8_t* src) {
  uint64_t v;
  memcpy(&v, src, 8);
  v ^= 0x8080808080808080u;
  memcpy(dst, &v, 8);
}

static void put_flipped(uint8_t* restrict dst, const int8_t* restrict src, size_t n, int32_t x_zp) {
  if (!src) {
    memset(dst, (uint8_t)x_zp ^ 0x80, n);
  } else if (n >= 64) {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)src[i] ^ 0x80; /* vectorized */
  } else if (n >= 16) {
    /* 8-byte moves, the last one overlapping: an RGB stem's window rows (21 bytes for 7x7) are
     * too short for the vectorized loop to pay. */
    for (size_t i = 0; i + 8 < n; i += 8) move8_flipped(dst + i, src + i);
    move8_flipped(dst + n - 8, src + n - 8);
  } else if (n >= 8) { /* two overlapping moves (a 3x3 RGB stem's 9-byte rows) */
    move8_flipped(dst, src);
    move8_flipped(dst + n - 8, src + n - 8);
  } else if (n >= 4) {
    uint32_t head, tail;
    memcpy(&head, src, 4), memcpy(&tail, src + n - 4, 4);
    head ^= 0x80808080u, tail ^= 0x80808080u;
    memcpy(dst, &head, 4), memcpy(dst + n - 4, &tail, 4);
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)src[i] ^ 0x80;
  }
}

/* n inputs to dst (src NULL: n copies of the input zero point, the padding). Short runs (an
 * RGB stem's 3x3 window rows are 9 bytes) are two overlapping fixed-size moves, not a library
 * call or a byte loop. */
static inline void put_inputs(const enet_qs8_conv_plan* p, int8_t* dst, const int8_t* src, size_t n) {
  if (p->k->unsigned_a) {
    put_flipped((uint8_t*)dst, src, n, p->x_zp);
    return;
  }
  if (n >= 16) {
    if (src)
      memcpy(dst, src, n);
    else
      memset(dst, (int8_t)p->x_zp, n);
    return;
  }
  int8_t fill[16];
  if (!src) {
    memset(fill, (int8_t)p->x_zp, sizeof fill);
    src = fill;
  }
  if (n >= 8) {
    memcpy(dst, src, 8), memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dst, src, 4), memcpy(dst + n - 4, src + n - 4, 4);
  } else {
    for (size_t c = 0; c < n; c++) dst[c] = src[c];
  }
}

/* int8 -> int16 (restrict: the compiler vectorizes without overlap checks). */
static void widen(int16_t* restrict dst, const int8_t* restrict src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

/* One im2col row whose window crosses the image border (or is dilated along x): the
 * in-image taps of each kernel row, the input zero point elsewhere. (iy0, ix0): the
 * window's top-left input pixel in image n. */
static void im2col_border_row(const enet_qs8_conv_plan* p, const int8_t* x, int64_t n, int64_t iy0, int64_t ix0,
                              int8_t* row) {
  const enet_window* g = &p->g;
  const size_t ci = (size_t)g->in_c, kw = (size_t)g->k_w, span = kw * ci; /* k per kernel row */
  for (int64_t ky = 0; ky < g->k_h; ky++) {
    const int64_t iy = iy0 + ky * g->dilation_h;
    int8_t* dst = row + (size_t)ky * span;
    if (iy < 0 || iy >= g->in_h) {
      put_inputs(p, dst, NULL, span);
      continue;
    }
    const int8_t* x_row = x + (n * g->in_h + iy) * g->in_w * g->in_c; /* input row iy, pixel 0 */
    if (g->dilation_w == 1) {
      /* The in-image taps [kx_lo, kx_hi) of this kernel row are adjacent in memory: one run. */
      const int64_t lo = -ix0, hi = g->in_w - ix0;
      const size_t kx_lo = lo < 0 ? 0 : lo > (int64_t)kw ? kw : (size_t)lo;
      const size_t kx_hi = hi < (int64_t)kx_lo ? kx_lo : hi > (int64_t)kw ? kw : (size_t)hi;
      put_inputs(p, dst, NULL, kx_lo * ci);
      put_inputs(p, dst + kx_lo * ci, x_row + (ix0 + (int64_t)kx_lo) * g->in_c, (kx_hi - kx_lo) * ci);
      put_inputs(p, dst + kx_hi * ci, NULL, (kw - kx_hi) * ci);
      continue;
    }
    for (size_t kx = 0; kx < kw; kx++) {
      const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
      put_inputs(p, dst + kx * ci, ix >= 0 && ix < g->in_w ? x_row + ix * g->in_c : NULL, ci);
    }
  }
}

/* Rows [m0, m0 + rows) of the int8 im2col matrix (row stride a_stride); padding reads
 * the input zero point. */
static void im2col(const enet_qs8_conv_plan* p, const int8_t* x, size_t m0, size_t rows, int8_t* a) {
  const enet_window* g = &p->g;
  const size_t span = (size_t)(g->k_w * g->in_c);                       /* k per kernel row */
  const size_t x_row_step = (size_t)(g->dilation_h * g->in_w * g->in_c); /* next kernel row in the input */
  const int64_t reach_h = (g->k_h - 1) * g->dilation_h, reach_w = (g->k_w - 1) * g->dilation_w;
  /* The output pixel of row m0, then stepped along the rows (no divisions per row). */
  int64_t ox = (int64_t)(m0 % (size_t)g->out_w), rest = (int64_t)(m0 / (size_t)g->out_w);
  int64_t oy = rest % g->out_h, n = rest / g->out_h;
  for (size_t r = 0; r < rows; r++) {
    int8_t* row = a + r * p->a_stride;
    const int64_t iy0 = oy * g->stride_h - g->pad_top, ix0 = ox * g->stride_w - g->pad_left;
    if (g->dilation_w == 1 && iy0 >= 0 && iy0 + reach_h < g->in_h && ix0 >= 0 && ix0 + reach_w < g->in_w) {
      /* The whole window is inside the image (most pixels): one run per kernel row. */
      const int8_t* src = x + ((n * g->in_h + iy0) * g->in_w + ix0) * g->in_c;
      for (int64_t ky = 0; ky < g->k_h; ky++) put_inputs(p, row + (size_t)ky * span, src + ky * x_row_step, span);
    } else {
      im2col_border_row(p, x, n, iy0, ix0, row);
    }
    if (++ox == g->out_w) {
      ox = 0;
      if (++oy == g->out_h) oy = 0, n++;
    }
  }
}

/* The GEMM's A rows [m0, m0 + rows) at the start of scratch: the int8 im2col rows (for an
 * unsigned-A kernel with their sign bits flipped as they are copied, once per tile rather than
 * once per panel in the kernel), or for an int16 kernel those rows (or a 1x1 conv's input rows)
 * widened. */
static void gather(const enet_qs8_conv_plan* p, const int8_t* x, size_t m0, size_t rows, int8_t* scratch) {
  if (p->a_bytes == 1) {
    im2col(p, x, m0, rows, scratch);
    return;
  }
  int16_t* a = (int16_t*)scratch;
  const int8_t* src = x + m0 * p->kdim; /* 1x1: the input rows themselves */
  size_t src_stride = p->kdim;
  if (!enet_window_is_pointwise(&p->g)) {
    src = scratch + p->mc * p->a_stride * 2; /* the int8 staging tile behind the int16 one */
    src_stride = p->a_stride;
    im2col(p, x, m0, rows, (int8_t*)src);
  }
  if (src_stride == p->a_stride) {
    widen(a, src, rows * p->a_stride); /* one pass over the whole tile */
  } else {
    for (size_t r = 0; r < rows; r++) widen(a + r * p->a_stride, src + r * src_stride, p->kdim);
  }
}

typedef struct qs8_job {
  const enet_qs8_conv_plan* p;
  const int8_t* x;
  int8_t* y;
  size_t col_groups, panels_per_group;
  int8_t* scratch; /* per thread: the gathered rows of A */
} qs8_job;

static void qs8_task(void* context, size_t begin, size_t end, int thread) {
  const qs8_job* job = context;
  const enet_qs8_conv_plan* p = job->p;
  size_t mr = p->k->mr, nr = p->k->nr, panels = enet_div_up(p->n, nr);
  int8_t* scratch = p->direct ? NULL : job->scratch + (size_t)thread * thread_scratch_bytes(p);
  size_t gathered = (size_t)-1;
  for (size_t u = begin; u < end; u++) {
    size_t tile = u / job->col_groups, group = u % job->col_groups;
    size_t m0 = tile * p->mc, rows = p->m - m0 < p->mc ? p->m - m0 : p->mc;
    const int8_t* a = job->x + m0 * p->kdim;
    if (!p->direct) {
      if (gathered != tile) gather(p, job->x, m0, rows, scratch);
      gathered = tile;
      a = scratch;
    }
    size_t first = group * job->panels_per_group, last = first + job->panels_per_group;
    if (last > panels) last = panels;
    for (size_t pi = first; pi < last; pi++) {
      size_t n0 = pi * nr, nc = p->n - n0 < nr ? p->n - n0 : nr;
      for (size_t i = 0; i < rows; i += mr) {
        size_t tile_rows = rows - i < mr ? rows - i : mr;
        p->k->gemm(tile_rows, nc, p->a_stride, a + i * p->a_stride * p->a_bytes, p->a_stride,
                   p->packed + pi * p->panel_bytes,
                   job->y + (m0 + i) * p->n + n0, p->n, &p->out);
      }
    }
  }
}

void enet_qs8_conv_run(const enet_qs8_conv_plan* p, enet_threadpool* pool, const int8_t* x, int8_t* y,
                       void* scratch) {
  if (p->m == 0 || p->n == 0) return;
  size_t tiles = enet_div_up(p->m, p->mc), panels = enet_div_up(p->n, p->k->nr);
  size_t want = 4 * (size_t)enet_threadpool_size(pool), groups = 1; /* as in enet_f32_conv_run */
  if (enet_threadpool_size(pool) > 1 && tiles < want) groups = enet_div_up(want, tiles);
  if (groups > panels) groups = panels;
  qs8_job job = {p, x, y, 0, enet_div_up(panels, groups), scratch};
  job.col_groups = enet_div_up(panels, job.panels_per_group);
  enet_parallel_for(pool, qs8_task, &job, tiles * job.col_groups, 1);
}
