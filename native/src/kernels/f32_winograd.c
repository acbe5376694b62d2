/*
 * f32_winograd.c — float 3x3 stride-1 convolution as Winograd F(4x4, 3x3) (Lavin & Gray):
 * each 4x4 block of output pixels (a tile) comes from its 6x6 input patch d as
 *   Y = A^T [ U (.) V ] A,  V = B^T d B (input transform),  U = G g G^T (weights, at prepare),
 * where (.) multiplies the 36 transform points elementwise and sums over input channels: per
 * point t, M_t (tiles x Co) = V_t (tiles x Ci) * U_t (Ci x Co), a GEMM on the existing float
 * microkernel over U_t packed as its panels. 36 products of Ci x Co per 16 outputs instead of
 * 9 * 16: 4x fewer multiply-adds, paid for by the transforms (O(Ci + Co) per tile) and by a
 * larger rounding error (the transforms' coefficients up to 8 and 1/6 amplify it; see
 * enet_f32_winograd_pays and the tests' tolerance).
 *
 * Work units are blocks of tiles: per block, one thread transforms the inputs into its scratch,
 * runs the 36 GEMMs, then transforms their outputs with the bias and the fused activation, so
 * the block's transformed data stays in its core's L2. A tile's result never depends on the
 * blocking or on the thread count.
 */
#include <math.h>
#include <string.h>

#include "optimized.h"

#define POINTS 36 /* 6x6 transform points */
#define TILE 4    /* output pixels per tile side */
/* Transformed inputs and GEMM outputs of one block of tiles: about half of Zen 3's 512 KB L2. */
#define BLOCK_BYTES (256 * 1024)

/* When Winograd pays over the direct GEMM (measured per conv shape of ResNet-18 / VGG-style
 * layers on Zen 3, one thread): with few channels the transforms' O(Ci + Co) work per tile is
 * not paid back by the GEMM's savings, and below 8x8 outputs most of each 4x4 tile's work is
 * padding (a 7x7 output computes 8x8) while the 36 transformed weight sets (4x the weights)
 * stream from memory for only a few tiles. */
#define MIN_CHANNELS 16
#define MIN_OUTPUT 8

int enet_f32_winograd_pays(const enet_f32_kernels* k, const enet_window* g) {
  return k->winograd_input && k->winograd_output && g->k_h == 3 && g->k_w == 3 && g->stride_h == 1 &&
         g->stride_w == 1 && g->dilation_h == 1 && g->dilation_w == 1 && g->in_c >= MIN_CHANNELS &&
         g->out_c >= MIN_CHANNELS && g->out_h >= MIN_OUTPUT && g->out_w >= MIN_OUTPUT;
}

void enet_f32_winograd_shape(enet_f32_conv_plan* p) {
  const enet_window* g = &p->g;
  size_t mr = p->k->gemm_mr;
  p->tiles_h = enet_div_up((size_t)g->out_h, TILE), p->tiles_w = enet_div_up((size_t)g->out_w, TILE);
  size_t tiles = (size_t)g->batch * p->tiles_h * p->tiles_w;
  size_t tile_bytes = POINTS * (size_t)(g->in_c + g->out_c) * sizeof(float);
  size_t block = BLOCK_BYTES / tile_bytes / mr * mr;
  if (block < mr) block = mr;
  if (block > 8 * mr) block = 8 * mr;
  size_t all = enet_div_up(tiles ? tiles : 1, mr) * mr;
  p->tile_block = block < all ? block : all;
  /* Threads get equal shares: a whole number of equal blocks each (14x14 outputs have 16 tiles:
   * 3 blocks of 6 would keep one of 2 threads busy twice as long). */
  if (p->num_threads > 1 && tiles) {
    size_t threads = (size_t)p->num_threads, blocks = enet_div_up(tiles, p->tile_block);
    blocks = enet_div_up(blocks, threads) * threads;
    p->tile_block = enet_div_up(tiles, blocks);
  }
}

size_t enet_f32_winograd_scratch_floats(const enet_f32_conv_plan* p) {
  return POINTS * p->tile_block * (size_t)(p->g.in_c + p->g.out_c);
}

/* U = G g G^T for one 3x3 kernel g (row stride `stride` floats), in double so the transformed
 * weights are rounded once. */
static void transform_kernel(const float* g, size_t stride, double u[POINTS]) {
  static const double G[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  double gg[6][3]; /* G g */
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 3; j++)
      gg[i][j] = G[i][0] * g[0 * 3 * stride + j * stride] + G[i][1] * g[1 * 3 * stride + j * stride] +
                 G[i][2] * g[2 * 3 * stride + j * stride];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) u[i * 6 + j] = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
}

/* Per point t, the GEMM panels of U_t (Ci x Co): NR zero biases (the output transform adds the
 * bias), then per input channel the NR output channels' weights, zero past Co. */
void enet_f32_winograd_pack(enet_f32_conv_plan* p, const float* weights, const float* bias) {
  size_t nr = p->k->gemm_nr, ci = (size_t)p->g.in_c, co = p->n;
  size_t set_floats = enet_div_up(co, nr) * p->panel_floats;
  memset(p->packed, 0, POINTS * set_floats * sizeof(float));
  for (size_t o = 0; o < co; o++)
    for (size_t c = 0; c < ci; c++) {
      double u[POINTS];
      transform_kernel(weights + o * 9 * ci + c, ci, u); /* OHWI: w[o][ky][kx][c] */
      float* dst = p->packed + (o / nr) * p->panel_floats + nr + c * nr + o % nr;
      for (size_t t = 0; t < POINTS; t++) dst[t * set_floats] = (float)u[t];
    }
  for (size_t o = 0; o < co; o++) p->bias[o] = bias ? bias[o] : 0.0f;
}

typedef struct winograd_job {
  const enet_f32_conv_plan* p;
  const float* x;
  float* y;
  size_t tiles;
  float* scratch; /* per thread: enet_f32_winograd_scratch_floats */
} winograd_job;

static void winograd_task(void* context, size_t begin, size_t end, int thread) {
  const winograd_job* job = context;
  const enet_f32_conv_plan* p = job->p;
  const enet_window* g = &p->g;
  const size_t ci = (size_t)g->in_c, co = p->n, tb = p->tile_block, mr = p->k->gemm_mr, nr = p->k->gemm_nr;
  const size_t panels = enet_div_up(co, nr), set_floats = panels * p->panel_floats;
  const size_t per_image = p->tiles_h * p->tiles_w;
  float* v = job->scratch + (size_t)thread * enet_f32_winograd_scratch_floats(p); /* 36 x tb x ci */
  float* m = v + POINTS * tb * ci;                                               /* 36 x tb x co */
  for (size_t u = begin; u < end; u++) {
    const size_t t0 = u * tb, count = job->tiles - t0 < tb ? job->tiles - t0 : tb;
    for (size_t i = 0; i < count; i++) {
      const size_t tile = t0 + i, n = tile / per_image, ty = tile % per_image / p->tiles_w, tx = tile % p->tiles_w;
      const int64_t iy0 = (int64_t)ty * TILE - g->pad_top, ix0 = (int64_t)tx * TILE - g->pad_left;
      const float* patch[POINTS];
      for (int64_t r = 0; r < 6; r++)
        for (int64_t s = 0; s < 6; s++) {
          const int64_t iy = iy0 + r, ix = ix0 + s;
          patch[r * 6 + s] = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w
                                 ? job->x + (((int64_t)n * g->in_h + iy) * g->in_w + ix) * g->in_c
                                 : p->zero;
        }
      p->k->winograd_input(ci, patch, v + i * ci, tb * ci);
    }
    for (size_t t = 0; t < POINTS; t++)
      for (size_t pi = 0; pi < panels; pi++) {
        const size_t n0 = pi * nr, nc = co - n0 < nr ? co - n0 : nr;
        const float* panel = p->packed + t * set_floats + pi * p->panel_floats;
        for (size_t i = 0; i < count; i += mr)
          p->k->gemm(count - i < mr ? count - i : mr, nc, ci, v + (t * tb + i) * ci, ci, panel + nr, panel,
                     m + (t * tb + i) * co + n0, co, -INFINITY, INFINITY);
      }
    for (size_t i = 0; i < count; i++) {
      const size_t tile = t0 + i, n = tile / per_image, ty = tile % per_image / p->tiles_w, tx = tile % p->tiles_w;
      const size_t oy0 = ty * TILE, ox0 = tx * TILE, oh = (size_t)g->out_h, ow = (size_t)g->out_w;
      p->k->winograd_output(co, m + i * co, tb * co, p->bias, job->y + ((n * oh + oy0) * ow + ox0) * co, ow * co,
                            oh - oy0 < TILE ? oh - oy0 : TILE, ow - ox0 < TILE ? ow - ox0 : TILE, p->min, p->max);
    }
  }
}

void enet_f32_winograd_run(const enet_f32_conv_plan* p, enet_threadpool* pool, const float* x, float* y,
                           float* scratch) {
  winograd_job job = {p, x, y, (size_t)p->g.batch * p->tiles_h * p->tiles_w, scratch};
  enet_parallel_for(pool, winograd_task, &job, enet_div_up(job.tiles, p->tile_block), 1);
}
