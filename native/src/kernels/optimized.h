/*
 * optimized.h — SIMD microkernels and the drivers that run them.
 *
 * Microkernels (one per file, XNNPACK-style names: dtype-op-tile-isa):
 *   x86/f32-gemm-6x16-avx2.c   x86/f32-gemm-4x8-sse.c   arm/f32-gemm-4x8-neon.c
 *   x86/f32-dwconv-c8-avx2.c   x86/f32-dwconv-c4-sse.c  arm/f32-dwconv-c4-neon.c
 *   x86/qs8-gemm-4x16c2-avx2.c x86/qs8-gemm-4x8c2-sse.c arm/qs8-gemm-4x8c2-neon.c
 *   arm/qs8-gemm-4x8c4-neondot.c
 * Each ISA file is wrapped in `#if` on its architecture so every file compiles
 * on every target, and uses function-level target attributes instead of
 * per-file compiler flags (SwiftPM and the NDK build compile all sources with
 * one set of flags).
 *
 * Drivers (f32_conv_gemm.c, f32_dwconv.c, qs8_conv_gemm.c): weight packing at prepare time,
 * im2col tiles / indirection rows, and splitting work over the thread pool.
 * An op picks a kernel set once at prepare (enet_f32_kernels_for).
 */
#ifndef EDGENET_KERNELS_OPTIMIZED_H
#define EDGENET_KERNELS_OPTIMIZED_H

#include <stddef.h>
#include <stdint.h>

#include "../cpu.h"
#include "../threadpool.h"
#include "reference/reference.h"
#include "reference/reference_s8.h"

/* ---- float microkernels ---------------------------------------------------- */

/* GEMM tile: for rows i < mr (mr <= MR) and columns j < nc (nc <= NR):
 *   c[i][j] = clamp(bias[j] + sum_{k < kc} a[i][k] * w[k][j], min, max)
 * summing k in increasing order. `w` is one packed panel: NR biases, then kc
 * rows of NR weights (zero past nc). Row i of a starts at a + i * a_stride and
 * row i of c at c + i * c_stride (strides in floats). */
typedef void (*enet_f32_gemm_ukernel)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                      const float* w, float* c, size_t c_stride, float min, float max);

/* Depthwise row: for output pixels p < out_w and channels ch < channels:
 *   y[p * channels + ch] = clamp(bias[ch] + sum_{t < taps} input[p * taps + t][ch] * w[t][ch], min, max)
 * summing taps in order. `input` holds taps pointers per pixel (a zero row for
 * padding). `w` holds, per block of CB channels, CB biases then taps * CB
 * weights (zero past `channels`). */
typedef void (*enet_f32_dwconv_ukernel)(size_t channels, size_t out_w, size_t taps, const float** input,
                                        const float* w, float* y, float min, float max);

void enet_f32_gemm_6x16_avx2(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                             float* c, size_t c_stride, float min, float max);
void enet_f32_gemm_4x8_sse(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           float* c, size_t c_stride, float min, float max);
void enet_f32_gemm_4x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                            float* c, size_t c_stride, float min, float max);
void enet_f32_dwconv_c8_avx2(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                             float* y, float min, float max);
void enet_f32_dwconv_c4_sse(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                            float* y, float min, float max);
void enet_f32_dwconv_c4_neon(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                             float* y, float min, float max);

/* The float microkernels of one ISA family, with their tile sizes. */
typedef struct enet_f32_kernels {
  enet_isa isa;
  size_t gemm_mr, gemm_nr;
  enet_f32_gemm_ukernel gemm;
  size_t dwconv_cb;
  enet_f32_dwconv_ukernel dwconv;
} enet_f32_kernels;

/* The set for `isa` (NEONDOT/I8MM use the NEON float set), or NULL when
 * floats should use the reference kernels. (dispatch.c) */
const enet_f32_kernels* enet_f32_kernels_for(enet_isa isa);

/* ---- float drivers ------------------------------------------------------- */

/* GEMM-based convolution (and FULLY_CONNECTED as a 1x1 conv over rows):
 * weights OHWI packed into NR-column panels. 1x1 stride-1 unpadded convs read
 * the input in place; others gather im2col tiles of MC rows into per-thread
 * scratch. Everything lives in one block from enet_f32_conv_plan_size. */
typedef struct enet_f32_conv_plan {
  const enet_f32_kernels* k;
  enet_window g;
  size_t m, n, kdim;        /* GEMM sizes: output pixels, output channels, KH*KW*Ci */
  size_t mc;                /* rows per tile */
  int direct;               /* 1: A is the input itself (1x1, stride 1, no padding) */
  size_t panel_floats;      /* NR biases + kdim*NR weights */
  float* packed;            /* ceil(n / NR) panels */
  float* scratch;           /* im2col: per thread mc * kdim floats */
  int num_threads;
  float min, max;           /* fused activation clamp */
} enet_f32_conv_plan;

size_t enet_f32_conv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads);
/* Lays the plan out in `memory` (plan_size bytes, 64-byte aligned) and packs weights (OHWI) and bias (or NULL). */
enet_f32_conv_plan* enet_f32_conv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                            int num_threads, const float* weights, const float* bias, float min,
                                            float max);
void enet_f32_conv_run(const enet_f32_conv_plan* plan, enet_threadpool* pool, const float* x, float* y);

/* Depthwise convolution with depth_multiplier 1; weights (1, KH, KW, C). */
typedef struct enet_f32_dwconv_plan {
  const enet_f32_kernels* k;
  enet_window g;
  size_t taps;
  float* packed;
  float* zero;              /* in_c zeros: what padding taps read */
  const float** indirection; /* per thread: out_w * taps pointers */
  int num_threads;
  float min, max;
} enet_f32_dwconv_plan;

size_t enet_f32_dwconv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads);
enet_f32_dwconv_plan* enet_f32_dwconv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                                int num_threads, const float* weights, const float* bias, float min,
                                                float max);
void enet_f32_dwconv_run(const enet_f32_dwconv_plan* plan, enet_threadpool* pool, const float* x, float* y);

/* ---- int8 (qs8) microkernels ------------------------------------------------ */

/* Integer GEMM tile: for rows i < mr (mr <= MR) and all NR columns j:
 *   acc[i * NR + j] = bias[j] + sum_{k < kc} a[i][k] * w[k][j]   (int32, wrapping)
 * `w` is one packed panel: NR int32 biases, then the weights in blocks of KR
 * consecutive k per column (int16 for KR = 2, int8 for KR = 4), zero past kc.
 * Rows of a are read only up to kc. The driver requantizes acc exactly as
 * docs/QUANTIZATION.md says (enet_requantize), so every ISA is bit-exact. */
typedef void (*enet_qs8_gemm_ukernel)(size_t mr, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                                      int32_t* acc);

void enet_qs8_gemm_4x16c2_avx2(size_t mr, size_t kc, const int8_t* a, size_t a_stride, const void* w, int32_t* acc);
void enet_qs8_gemm_4x8c2_sse(size_t mr, size_t kc, const int8_t* a, size_t a_stride, const void* w, int32_t* acc);
void enet_qs8_gemm_4x8c2_neon(size_t mr, size_t kc, const int8_t* a, size_t a_stride, const void* w, int32_t* acc);
void enet_qs8_gemm_4x8c4_neondot(size_t mr, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                                 int32_t* acc);

typedef struct enet_qs8_kernels {
  enet_isa isa;
  size_t mr, nr, kr; /* tile rows, columns, k per packed block (2: int16 weights, 4: int8) */
  enet_qs8_gemm_ukernel gemm;
} enet_qs8_kernels;

/* The int8 set for `isa` (I8MM uses the dot-product set), or NULL: reference. (dispatch.c) */
const enet_qs8_kernels* enet_qs8_kernels_for(enet_isa isa);

/* int8 GEMM-based convolution / fully connected with packed weights:
 *   y = clamp(requantize(bias[c] + sum (x - x_zp) * w, requant[c]) + out_zp)
 * The zero point is folded into the packed bias (bias - x_zp * sum_k w), and
 * im2col pads with x_zp, so the microkernels multiply raw int8 values. */
typedef struct enet_qs8_conv_plan {
  const enet_qs8_kernels* k;
  enet_window g;
  size_t m, n, kdim, mc;
  int direct;
  int32_t x_zp;
  int32_t out_zp, out_min, out_max;
  size_t panel_bytes;
  uint8_t* packed;
  int8_t* scratch;             /* im2col: per thread mc * kdim bytes */
  enet_requant* requant;       /* n entries (copied) */
  int num_threads;
} enet_qs8_conv_plan;

size_t enet_qs8_conv_plan_size(const enet_qs8_kernels* k, const enet_window* g, int num_threads);
/* weights OHWI int8, bias int32 or NULL, requant[n]; out = zero point and clamp. */
enet_qs8_conv_plan* enet_qs8_conv_plan_init(void* memory, const enet_qs8_kernels* k, const enet_window* g,
                                            int num_threads, const int8_t* weights, const int32_t* bias,
                                            int32_t x_zp, const enet_requant* requant, int32_t out_zp,
                                            int32_t out_min, int32_t out_max);
void enet_qs8_conv_run(const enet_qs8_conv_plan* plan, enet_threadpool* pool, const int8_t* x, int8_t* y);

#endif /* EDGENET_KERNELS_OPTIMIZED_H */
