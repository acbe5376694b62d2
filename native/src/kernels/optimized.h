/*
 * optimized.h — SIMD microkernels and the drivers that run them.
 *
 * Microkernels (one per file, XNNPACK-style names: dtype-op-tile-isa):
 *   x86/f32-gemm-6x16-avx2.c   x86/f32-gemm-4x8-sse.c   arm/f32-gemm-4x8-neon.c
 *   x86/f32-igemm-6x16-avx2.c  x86/f32-igemm-4x8-sse.c  arm/f32-igemm-4x8-neon.c
 *   x86/f32-gemm-7x32-avx512.c x86/f32-igemm-7x32-avx512.c (row helpers in x86/f32-gemm-avx512.h)
 *     (the one-row GEMMs f32-gemv-1x16-avx2, -1x32-avx512, -1x8-neon live in their tile's file)
 *   x86/f32-winograd-4x4-3x3-avx2.c  arm/f32-winograd-4x4-3x3-neon.c
 *   x86/f32-dwconv-c8-avx2.c   x86/f32-dwconv-c16-avx512.c x86/f32-dwconv-c4-sse.c  arm/f32-dwconv-c4-neon.c
 *   x86/f32-vbinary-avx2.c     x86/f32-vbinary-avx512.c  arm/f32-vbinary-neon.c
 *   x86/f32-vsilu-avx2.c x86/f32-vsigmoid-avx2.c x86/f32-vtanh-avx2.c x86/f32-vhswish-avx2.c x86/f32-softmax-avx2.c
 *   arm/f32-vsilu-neon.c arm/f32-vsigmoid-neon.c arm/f32-vtanh-neon.c arm/f32-vhswish-neon.c arm/f32-softmax-neon.c
 *     (A64 only), with the shared exp inlined from x86/f32-exp-avx2.h and arm/f32-exp-neon.h
 *   x86/f32-vsilu-avx512.c x86/f32-vsigmoid-avx512.c x86/f32-vtanh-avx512.c x86/f32-vhswish-avx512.c
 *     (exp from x86/f32-exp-avx512.h)
 *   x86/qs8-gemm-3x8c8-avx2.c  x86/qs8-gemm-6x16c2-avx2.c x86/qs8-gemm-4x8c2-sse41.c arm/qs8-gemm-4x8c2-neon.c
 *   arm/qs8-gemm-4x8c4-neondot.c arm/qs8-gemm-4x8c8-neoni8mm.c
 *   x86/qs8-gemm-7x16c4-avx512vnni.c x86/qs8-gemm-4x16c4-avxvnni.c (vpdpbusd, unsigned activations)
 *   x86/qs8-dwconv-c16-avx2.c  x86/qs8-dwconv-c32-avx512.c x86/qs8-dwconv-c8-sse41.c arm/qs8-dwconv-c8-neon.c
 *   x86/qs8-vadd-avx2.c  x86/qs8-vmul-avx2.c  arm/qs8-vadd-neon.c  arm/qs8-vmul-neon.c
 *   x86/qs8-lut-avx2.c   arm/qs8-lut-neon.c (aarch64)
 *   x86/qs8-vmax-avx2.c  arm/qs8-vmax-neon.c  x86/f32-qs8-vcvt-avx2.c  arm/f32-qs8-vcvt-neon.c (aarch64)
 *   x86/x32-interleave3-avx2.c x86/x8-interleave3-avx2.c arm/x32-interleave3-neon.c arm/x8-interleave3-neon.c
 * with the shared int8 requantization inlined from x86/qs8-requant-avx2.h,
 * x86/qs8-requant-avx512.h, x86/qs8-requant-sse41.h and arm/qs8-requant-neon.h.
 * The AVX-512 and VNNI files include x86/x86-intrinsics.h first (their target
 * attributes, and SIMDe in the EDGENET_EMULATE_X86 test build).
 * Each ISA file is wrapped in `#if` on its architecture so every file compiles
 * on every target, and uses function-level target attributes instead of
 * per-file compiler flags (SwiftPM and the NDK build compile all sources with
 * one set of flags).
 *
 * Drivers (f32_conv_gemm.c, f32_winograd.c, f32_dwconv.c, f32_elementwise.c, f32_maxpool.c, qs8_conv_gemm.c, qs8_dwconv.c,
 * qs8_elementwise.c, qs8_maxpool.c, pad_constant.c; qs8_requant.c packs requantization data): weight packing at prepare time,
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

/* ---- helpers shared by the drivers ------------------------------------------ */

static inline size_t enet_div_up(size_t a, size_t b) { return (a + b - 1) / b; }
static inline size_t enet_align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }
/* A 1x1, stride-1, unpadded conv reads its input directly as the GEMM's A
 * matrix (no im2col). */
static inline int enet_window_is_pointwise(const enet_window* g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

/* GEMM microkernels read a panel of packed weights once per block of rows, in order, and in a
 * model those bytes come from L3 or memory (a MobileNetV2 holds 3.4 MB of int8 weights). A
 * hint this far ahead hides the latency the hardware prefetcher leaves at short panels (a 1x1
 * conv over 160 channels: 2.5 KB each): MobileNetV2's 7x7 int8 convs ran 11% faster inside the
 * model with it (AMD Zen 4). The panels of a GEMM are contiguous, so the hint runs on into the
 * next panel. Rows of A are not prefetched: a tile re-reads them from L1. */
#define ENET_WEIGHT_PREFETCH_BYTES 2048
#if defined(__GNUC__) || defined(__clang__)
#define ENET_PREFETCH_WEIGHTS(p) __builtin_prefetch((const char*)(p) + ENET_WEIGHT_PREFETCH_BYTES)
#else
#define ENET_PREFETCH_WEIGHTS(p) ((void)(p))
#endif

/* ---- float microkernels ---------------------------------------------------- */

/* GEMM tile: for rows i < mr (mr <= MR) and columns j < nc (nc <= NR):
 *   c[i][j] = clamp(init[i][j] + sum_{k < kc} a[i][k] * w[k][j], min, max)
 * summing k in increasing order, where init is bias[j], or with bias NULL the
 * value already in c[i][j] (the sum of an earlier block of k: splitting K into
 * blocks this way keeps every element's summation order, so results do not
 * depend on the blocking). `w` is kc rows of NR packed weights (zero past nc),
 * `bias` NR values. Row i of a starts at a + i * a_stride and row i of c at
 * c + i * c_stride (strides in floats). */
typedef void (*enet_f32_gemm_ukernel)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                      const float* w, const float* bias, float* c, size_t c_stride, float min,
                                      float max);

/* Indirect GEMM tile (XNNPACK's igemm): as enet_f32_gemm_ukernel with bias set, but row i of A is
 * read through ks pointers a[i * ks + s] (s < ks) to kc floats each (one input pixel's channels,
 * or a zero row for padding), k = s * kc + c. `w` is ks * kc rows of NR packed weights, so a
 * conv's OHWI panels serve both kernels. */
typedef void (*enet_f32_igemm_ukernel)(size_t mr, size_t nc, size_t kc, size_t ks, const float** a,
                                       const float* w, const float* bias, float* c, size_t c_stride, float min,
                                       float max);

/* Winograd F(4x4, 3x3) transforms over `channels` channels of one tile (f32_winograd.c):
 * input:  v[t * v_stride + c] = (B^T d B)[t] for t < 36, where the 6x6 input patch is
 *         d[r][s] = patch[r * 6 + s][c] (a zero row for padding);
 * output: y[r * y_row_stride + s * channels + c] = clamp((A^T m A)[r][s] + bias[c], min, max)
 *         for r < rows, s < cols (<= 4), where m[t] = m[t * m_stride + c]. */
typedef void (*enet_f32_winograd_input_ukernel)(size_t channels, const float** patch, float* v, size_t v_stride);
typedef void (*enet_f32_winograd_output_ukernel)(size_t channels, const float* m, size_t m_stride,
                                                 const float* bias, float* y, size_t y_row_stride, size_t rows,
                                                 size_t cols, float min, float max);

/* Depthwise row: for output pixels p < out_w and channels ch < channels:
 *   y[p * channels + ch] = clamp(bias[ch] + sum_{t < taps} input[p * taps + t][ch] * w[t][ch], min, max)
 * summing taps in order. `input` holds taps pointers per pixel (a zero row for
 * padding). `w` holds, per block of CB channels, CB biases then taps * CB
 * weights (zero past `channels`). */
typedef void (*enet_f32_dwconv_ukernel)(size_t channels, size_t out_w, size_t taps, const float** input,
                                        const float* w, float* y, float min, float max);

void enet_f32_gemm_6x16_avx2(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, const float* bias,
                             float* c, size_t c_stride, float min, float max);
void enet_f32_gemm_7x32_avx512(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                               const float* bias, float* c, size_t c_stride, float min, float max);
/* One-row GEMM (M == 1: a fully connected layer at batch 1) over n columns of the tile GEMM's
 * panels: panel p (columns p * NR ..) has its kc rows of weights at w + p * panel_stride and, with
 * bias set, its NR biases at bias + p * panel_stride (NULL: continue the sums in c). Each column
 * is summed exactly as the tile sums it (same order, from the same start), so results are
 * bit-identical to the tile's; several panels go at once to hide the multiply-add latency. */
typedef void (*enet_f32_gemv_ukernel)(size_t n, size_t kc, const float* a, const float* w, size_t panel_stride,
                                      const float* bias, float* c, float min, float max);
void enet_f32_gemv_1x16_avx2(size_t n, size_t kc, const float* a, const float* w, size_t panel_stride,
                             const float* bias, float* c, float min, float max);
void enet_f32_gemv_1x8_neon(size_t n, size_t kc, const float* a, const float* w, size_t panel_stride,
                            const float* bias, float* c, float min, float max);
void enet_f32_gemv_1x32_avx512(size_t n, size_t kc, const float* a, const float* w, size_t panel_stride,
                               const float* bias, float* c, float min, float max);
void enet_f32_gemm_4x8_sse(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, const float* bias,
                           float* c, size_t c_stride, float min, float max);
void enet_f32_gemm_4x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, const float* bias,
                            float* c, size_t c_stride, float min, float max);
void enet_f32_igemm_6x16_avx2(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                              const float* bias, float* c, size_t c_stride, float min, float max);
void enet_f32_igemm_7x32_avx512(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                                const float* bias, float* c, size_t c_stride, float min, float max);
void enet_f32_igemm_4x8_sse(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                            const float* bias, float* c, size_t c_stride, float min, float max);
void enet_f32_igemm_4x8_neon(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                             const float* bias, float* c, size_t c_stride, float min, float max);
void enet_f32_winograd_input_4x4_3x3_avx2(size_t channels, const float** patch, float* v, size_t v_stride);
void enet_f32_winograd_output_4x4_3x3_avx2(size_t channels, const float* m, size_t m_stride, const float* bias,
                                           float* y, size_t y_row_stride, size_t rows, size_t cols, float min,
                                           float max);
void enet_f32_winograd_input_4x4_3x3_neon(size_t channels, const float** patch, float* v, size_t v_stride);
void enet_f32_winograd_output_4x4_3x3_neon(size_t channels, const float* m, size_t m_stride, const float* bias,
                                           float* y, size_t y_row_stride, size_t rows, size_t cols, float min,
                                           float max);
void enet_f32_dwconv_c8_avx2(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                             float* y, float min, float max);
void enet_f32_dwconv_c16_avx512(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                                float* y, float min, float max);
void enet_f32_dwconv_c4_sse(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                            float* y, float min, float max);
void enet_f32_dwconv_c4_neon(size_t channels, size_t out_w, size_t taps, const float** input, const float* w,
                             float* y, float min, float max);

/* Elementwise y[i] = clamp(a[i] op b[i], min, max) for i < n (op: ENET_BINARY_ADD, SUB or MUL;
 * others are not handled by these kernels). */
typedef void (*enet_f32_vbinary_ukernel)(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vadd_avx2(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vsub_avx2(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vmul_avx2(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vadd_avx512(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vsub_avx512(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vmul_avx512(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vadd_neon(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vsub_neon(size_t n, const float* a, const float* b, float* y, float min, float max);
void enet_f32_vmul_neon(size_t n, const float* a, const float* b, float* y, float min, float max);

/* Elementwise float unary y[i] = f(x[i]) for i < n (SILU, SIGMOID, TANH, HARD_SWISH), each
 * within a few float ulps of the double formula (HARD_SWISH bit-identical to the reference),
 * with the reference's NaN and infinity results (see each kernel file). */
typedef void (*enet_f32_vunary_ukernel)(size_t n, const float* x, float* y);
void enet_f32_vsilu_avx2(size_t n, const float* x, float* y);
void enet_f32_vsigmoid_avx2(size_t n, const float* x, float* y);
void enet_f32_vtanh_avx2(size_t n, const float* x, float* y);
void enet_f32_vhswish_avx2(size_t n, const float* x, float* y);
void enet_f32_vsilu_avx512(size_t n, const float* x, float* y);
void enet_f32_vsigmoid_avx512(size_t n, const float* x, float* y);
void enet_f32_vtanh_avx512(size_t n, const float* x, float* y);
void enet_f32_vhswish_avx512(size_t n, const float* x, float* y);
void enet_f32_vsilu_neon(size_t n, const float* x, float* y);
void enet_f32_vsigmoid_neon(size_t n, const float* x, float* y);
void enet_f32_vtanh_neon(size_t n, const float* x, float* y);
void enet_f32_vhswish_neon(size_t n, const float* x, float* y);

/* SOFTMAX of one contiguous row of n floats: y[i] = exp(beta * (x[i] - max)) / sum, with the
 * reference's max (NaN skipped) and per-element operations; the sum is split over vector lanes. */
typedef void (*enet_f32_softmax_ukernel)(size_t n, const float* x, float* y, float beta);
void enet_f32_softmax_avx2(size_t n, const float* x, float* y, float beta);
void enet_f32_softmax_neon(size_t n, const float* x, float* y, float beta);

/* Three planes -> interleaved pixels: y[3 i + c] = x[c * pixels + i] for c < 3, i < pixels (an NCHW
 * RGB image to NHWC: the TRANSPOSE that opens every model from a channels-first framework). Bits
 * are copied unchanged: x32 for any 4-byte element (float, int32), x8 for bytes (int8, bool). */
typedef void (*enet_x32_interleave3_ukernel)(size_t pixels, const uint32_t* x, uint32_t* y);
typedef void (*enet_x8_interleave3_ukernel)(size_t pixels, const uint8_t* x, uint8_t* y);
void enet_x32_interleave3_avx2(size_t pixels, const uint32_t* x, uint32_t* y);
void enet_x32_interleave3_neon(size_t pixels, const uint32_t* x, uint32_t* y);
void enet_x8_interleave3_avx2(size_t pixels, const uint8_t* x, uint8_t* y);
void enet_x8_interleave3_neon(size_t pixels, const uint8_t* x, uint8_t* y);

/* The float microkernels of one ISA family, with their tile sizes and names
 * (XNNPACK style, reported by the profiler). */
typedef struct enet_f32_kernels {
  enet_isa isa;
  size_t gemm_mr, gemm_nr;
  enet_f32_gemm_ukernel gemm;
  enet_f32_gemv_ukernel gemv; /* the one-row GEMM over gemm's panels; NULL: gemm */
  const char* gemv_name;
  size_t dwconv_cb;
  enet_f32_dwconv_ukernel dwconv;
  const char* gemm_name;   /* e.g. "f32-gemm-6x16-avx2" */
  const char* dwconv_name; /* e.g. "f32-dwconv-c8-avx2" */
  enet_f32_vbinary_ukernel vadd, vsub, vmul; /* NULL: the reference kernel */
  const char* vbinary_name;
  /* Unary ops and row softmax; NULL: the reference kernel. */
  enet_f32_vunary_ukernel vsilu, vsigmoid, vtanh, vhswish;
  const char *vsilu_name, *vsigmoid_name, *vtanh_name, *vhswish_name;
  enet_f32_softmax_ukernel softmax;
  const char* softmax_name;
  /* Convolutions without im2col (f32_conv_gemm.c, f32_winograd.c); NULL: im2col. */
  enet_f32_igemm_ukernel igemm; /* same tile as gemm */
  const char* igemm_name;       /* e.g. "f32-igemm-6x16-avx2" */
  enet_f32_winograd_input_ukernel winograd_input;
  enet_f32_winograd_output_ukernel winograd_output;
  const char* winograd_name;    /* e.g. "f32-winograd-4x4-3x3-avx2" */
  /* 4-byte NCHW -> NHWC for three planes (TRANSPOSE, any 4-byte dtype); NULL: the reference. */
  enet_x32_interleave3_ukernel interleave3;
  const char* interleave3_name; /* e.g. "x32-interleave3-avx2" */
} enet_f32_kernels;

/* The set for `isa` (NEONDOT/I8MM use the NEON float set), or NULL when
 * floats should use the reference kernels. (dispatch.c) */
const enet_f32_kernels* enet_f32_kernels_for(enet_isa isa);

/* ---- float drivers ------------------------------------------------------- */

/* How a float conv runs (enet_f32_conv_method_for picks one per shape at prepare):
 *   DIRECT    1x1 stride-1 unpadded convs and fully connected: A is the input itself;
 *   IM2COL    A gathered in tiles of MC rows into per-thread scratch (few input channels, or no igemm);
 *   IGEMM     the GEMM reads input pixels through an indirection buffer (no copy);
 *   WINOGRAD  F(4x4, 3x3) for 3x3 stride-1 convs with enough channels and pixels (f32_winograd.c). */
typedef enum { ENET_F32_CONV_DIRECT, ENET_F32_CONV_IM2COL, ENET_F32_CONV_IGEMM, ENET_F32_CONV_WINOGRAD } enet_f32_conv_method;

/* GEMM-based convolution (and FULLY_CONNECTED as a 1x1 conv over rows):
 * weights OHWI packed into NR-column panels. Everything lives in one block from
 * enet_f32_conv_plan_size. */
typedef struct enet_f32_conv_plan {
  const enet_f32_kernels* k;
  enet_window g;
  enet_f32_conv_method method;
  size_t m, n, kdim;        /* GEMM sizes: output pixels, output channels, KH*KW*Ci */
  size_t mc;                /* rows per block (a multiple of MR) */
  size_t kc;                /* k per block: a block of A (mc x kc) stays in L2, of W (kc x NR) in L1 */
  int direct;               /* 1: A is the input itself (1x1, stride 1, no padding) */
  size_t panel_floats;      /* NR biases + kdim*NR weights (WINOGRAD: NR zeros + Ci*NR per transform point) */
  float* packed;            /* ceil(n / NR) panels (WINOGRAD: 36 sets of them, one per transform point) */
  float* zero;              /* IGEMM, WINOGRAD: in_c zeros, what padding reads */
  /* IGEMM: per output pixel its KH*KW input pixels, built for the input at `indirection_x`
   * (tensor addresses are known only after the arena is planned, so the first run after a
   * prepare builds it, and a run with another input address rebuilds it). */
  const float** indirection;
  const float* indirection_x;
  size_t tiles_h, tiles_w, tile_block; /* WINOGRAD: 4x4 output tiles, tiles per work unit */
  float* bias;              /* WINOGRAD: n biases (zeros without bias), added by the output transform */
  int num_threads;
  float min, max;           /* fused activation clamp */
} enet_f32_conv_plan;

enet_f32_conv_method enet_f32_conv_method_for(const enet_f32_kernels* k, const enet_window* g);
size_t enet_f32_conv_plan_size(const enet_f32_kernels* k, const enet_window* g, int num_threads);
/* Lays the plan out in `memory` (plan_size bytes, 64-byte aligned) and packs weights (OHWI) and bias (or NULL). */
enet_f32_conv_plan* enet_f32_conv_plan_init(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                            int num_threads, const float* weights, const float* bias, float min,
                                            float max);
/* The same with the method forced (tests): it must be DIRECT for pointwise shapes only, IGEMM or
 * WINOGRAD only when k has those kernels, WINOGRAD only for 3x3 stride-1 undilated convs. */
size_t enet_f32_conv_plan_size_with(const enet_f32_kernels* k, const enet_window* g, int num_threads,
                                    enet_f32_conv_method method);
enet_f32_conv_plan* enet_f32_conv_plan_init_with(void* memory, const enet_f32_kernels* k, const enet_window* g,
                                                 int num_threads, const float* weights, const float* bias,
                                                 float min, float max, enet_f32_conv_method method);
/* The profiler's name of the kernel the plan runs, e.g. "f32-igemm-6x16-avx2". */
void enet_f32_conv_plan_name(const enet_f32_conv_plan* plan, char* name, size_t size);
/* Bytes of working memory a run needs (IM2COL: per thread mc * kc floats; WINOGRAD: per thread the
 * transformed tiles; else 0), 64-byte aligned; the interpreter shares one block among its ops. */
size_t enet_f32_conv_scratch_bytes(const enet_f32_conv_plan* plan);
/* Not const: an IGEMM plan (re)builds its indirection buffer for a new input address. `scratch`:
 * scratch_bytes bytes, any contents (NULL when 0). */
void enet_f32_conv_run(enet_f32_conv_plan* plan, enet_threadpool* pool, const float* x, float* y, void* scratch);

/* Packs `n` rows of `kdim` weights (row o: weights[o * kdim ...]) and bias (or NULL: zeros)
 * into ceil(n / NR) GEMM panels of k->gemm_nr * (1 + kdim) floats (f32_conv_gemm.c). */
void enet_f32_pack_gemm_panels(const enet_f32_kernels* k, size_t n, size_t kdim, const float* weights,
                               const float* bias, float* packed);

/* Winograd F(4x4, 3x3) part of the plan (f32_winograd.c), called by f32_conv_gemm.c. */
int enet_f32_winograd_pays(const enet_f32_kernels* k, const enet_window* g);
void enet_f32_winograd_shape(enet_f32_conv_plan* p);                    /* tiles, tile_block */
size_t enet_f32_winograd_scratch_floats(const enet_f32_conv_plan* p);   /* per thread */
void enet_f32_winograd_run(const enet_f32_conv_plan* p, enet_threadpool* pool, const float* x, float* y,
                           float* scratch);
void enet_f32_winograd_pack(enet_f32_conv_plan* p, const float* weights, const float* bias);

/* Elementwise float ADD / SUB / MUL of two same-shape tensors with a fused
 * clamp, split over the thread pool in cache-sized chunks. Returns 0 (and
 * does nothing) when `k` has no kernel for `op`. */
int enet_f32_vbinary_run(const enet_f32_kernels* k, enet_binary_op op, enet_threadpool* pool, size_t n,
                         const float* a, const float* b, float* y, float min, float max);

/* Elementwise float unary op with `kernel` (e.g. k->vsilu), split over the thread pool in chunks. */
void enet_f32_vunary_run(enet_f32_vunary_ukernel kernel, enet_threadpool* pool, size_t n, const float* x, float* y);

/* SOFTMAX over the last axis: `rows` contiguous rows of n floats with `kernel` (k->softmax),
 * rows split over the thread pool (each row computed by one thread: results do not depend on
 * the thread count). */
void enet_f32_softmax_run(enet_f32_softmax_ukernel kernel, enet_threadpool* pool, size_t rows, size_t n,
                          float beta, const float* x, float* y);

/* Float MAX_POOL_2D (NHWC, dilation 1), equal to enet_ref_max_pool2d_f32, split
 * over the thread pool by output rows (f32_maxpool.c). */
void enet_f32_maxpool_run(const enet_window* g, enet_threadpool* pool, const float* x, float* y);

/* PAD with a constant, any element size (float and int8): y = x placed at the "before"
 * paddings of each dim, every other element `value` (elem_size bytes). Equal to
 * enet_ref_pad_f32 / enet_ref_pad_s8; paddings must be >= 0 (pad_constant.c). */
void enet_pad_constant(int ndim, const int64_t* in_shape, const int64_t* paddings, size_t elem_size,
                       const void* value, const void* x, void* y);

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

/* Every packed qs8 weight group of G output channels (a GEMM panel of NR
 * columns, a depthwise block of CB channels) starts with its channels'
 * requantization data, so a microkernel finishes its outputs in registers
 * (enet_qs8_pack_params, qs8_requant.c):
 *   int32 bias[G]          bias with the input zero point folded in
 *   int32 multiplier[G]    enet_requant.multiplier
 *   int32 acc_limit[G]     x86: |acc| clamp that keeps the result in int32 (INT32_MAX: none needed)
 *   int32 x86_offset[G]    x86: out zero point - 2^(62 - shift), mod 2^32
 *   int64 shift[G]         enet_requant.shift
 *   int64 x86_rounding[G]  x86: 2^62 + 2^(shift - 1)
 * then the weights. Every ISA computes docs/QUANTIZATION.md's
 * (acc * multiplier + 2^(shift-1)) >> shift on the exact 64-bit product, so
 * results are bit-exact with enet_requantize (see qs8_requant.c for why the
 * x86 fields are exact). Channels past the last real one are padded. Kernels
 * whose accumulators come out in another lane order keep the fields in that
 * order (enet_qs8_kernels.gemm_param_order / dwconv_param_order). */
#define ENET_QS8_PARAMS_BYTES(g) ((size_t)(g) * 32)
enum { ENET_QS8_BIAS = 0, ENET_QS8_MULTIPLIER = 1, ENET_QS8_ACC_LIMIT = 2, ENET_QS8_X86_OFFSET = 3 };
enum { ENET_QS8_SHIFT = 2, ENET_QS8_X86_ROUNDING = 3 }; /* int64 fields, in units of G int64 */
static inline const int32_t* enet_qs8_param32(const void* group, size_t g, int field) {
  return (const int32_t*)group + (size_t)field * g;
}
static inline const int64_t* enet_qs8_param64(const void* group, size_t g, int field) {
  return (const int64_t*)group + (size_t)field * g;
}
/* Fills one group's parameters: `valid` real channels with folded bias[c] and requant[c]. */
void enet_qs8_pack_params(void* group, size_t g, size_t valid, const int32_t* bias, const enet_requant* requant,
                          int32_t out_zero_point);
/* Rearranges a group of g channels (a multiple of 8) into a kernel's register order:
 * lane i holds channel order[i] (qs8_requant.c). */
void enet_qs8_reorder_params(void* group, size_t g, const uint8_t* order);

/* Integer GEMM tile with requantized int8 output: for rows i < mr (mr <= MR)
 * and columns j < nc (nc <= NR):
 *   acc = bias[j] + sum_{k < kc} a[i][k] * w[k][j]   (int32, wrapping)
 *   y[i * y_stride + j] = clamp(requantize(acc, j) + zero_point, out->min, out->max)
 * `w` is one packed panel: the NR-channel parameter group, then the weights in
 * blocks of KR consecutive k per column (int16 or int8: enet_qs8_kernels.weight_bytes),
 * zero past kc. Rows of a are read only up to kc. */
typedef void (*enet_qs8_gemm_ukernel)(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                      const void* w, int8_t* y, size_t y_stride, const enet_s8_output* out);

/* Depthwise row with requantized int8 output: for output pixels p < out_w and
 * channels ch < channels:
 *   acc = bias[ch] + sum_{t < taps} input[p * taps + t][ch] * w[t][ch]
 *   y[p * channels + ch] = clamp(requantize(acc, ch) + zero_point, out->min, out->max)
 * `input` holds taps pointers per pixel (a row of the input zero point for
 * padding; its products are cancelled by the folded bias). `w` holds, per block
 * of CB channels, the parameter group then taps * CB weights (int16 on x86,
 * int8 on ARM; zero past `channels`; AVX2 interleaves pairs of taps, see
 * qs8_dwconv.c). Reads exactly `channels` bytes per row. */
typedef void (*enet_qs8_dwconv_ukernel)(size_t channels, size_t out_w, size_t taps, const int8_t** input,
                                        const void* w, int8_t* y, const enet_s8_output* out);

/* Elementwise ADD (and SUB, with b_mult negated), docs/QUANTIZATION.md:
 *   y[i] = clamp(((a[i] * a_mult + b[i] * b_mult + bias) >> shift) + zero_point)
 * with bias = 2^(shift-1) - a_zp * a_mult - b_zp * b_mult (the zero points folded in). */
typedef struct enet_qs8_add_params {
  int32_t a_mult, b_mult, bias, shift;
  enet_s8_output out;
} enet_qs8_add_params;
typedef void (*enet_qs8_vadd_ukernel)(size_t n, const int8_t* a, const int8_t* b, int8_t* y,
                                      const enet_qs8_add_params* p);
/* Elementwise MUL: y[i] = clamp(requantize((a[i] - a_zp) * (b[i] - b_zp)) + zero_point), with
 * `group` an 8-channel parameter group holding the one multiplier in every lane. */
typedef struct enet_qs8_mul_params {
  int32_t a_zp, b_zp;
  enet_s8_output out;
  _Alignas(16) uint8_t group[ENET_QS8_PARAMS_BYTES(8)];
} enet_qs8_mul_params;
typedef void (*enet_qs8_vmul_ukernel)(size_t n, const int8_t* a, const int8_t* b, int8_t* y,
                                      const enet_qs8_mul_params* p);

void enet_qs8_gemm_3x8c8_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                              int8_t* y, size_t y_stride, const enet_s8_output* out);
/* A is int16 (enet_qs8_kernels.a_bytes = 2), kc even. */
void enet_qs8_gemm_6x16c2_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                               int8_t* y, size_t y_stride, const enet_s8_output* out);
/* vpdpbusd kernels: A holds uint8 a + 128 (enet_qs8_kernels.unsigned_a), kc a multiple of 4. */
void enet_qs8_gemm_7x16c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                     const void* w, int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_gemm_4x16c4_avxvnni(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                                  int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_gemm_4x8c2_sse41(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                               int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_gemm_4x8c2_neon(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                              int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_gemm_4x8c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                                 int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_gemm_4x8c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                                  int8_t* y, size_t y_stride, const enet_s8_output* out);
void enet_qs8_dwconv_c16_avx2(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                              int8_t* y, const enet_s8_output* out);
void enet_qs8_dwconv_c32_avx512(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                                int8_t* y, const enet_s8_output* out);
void enet_qs8_dwconv_c32_avx512vnni(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                                int8_t* y, const enet_s8_output* out);
void enet_qs8_dwconv_c8_sse41(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                              int8_t* y, const enet_s8_output* out);
void enet_qs8_dwconv_c8_neon(size_t channels, size_t out_w, size_t taps, const int8_t** input, const void* w,
                             int8_t* y, const enet_s8_output* out);
/* Table lookup (every int8 unary op): y[i] = table[x[i] + 128]. `probe` holds the
 * AVX2 kernel's 16 XOR-prefixed sub-tables (enet_qs8_lut_avx2_tables, see
 * x86/qs8-lut-avx2.c); other kernels ignore it. */
typedef void (*enet_qs8_lut_ukernel)(size_t n, const int8_t* x, int8_t* y, const int8_t* table,
                                     const uint8_t probe[16][16]);
void enet_qs8_lut_avx2_tables(const int8_t* table, uint8_t probe[16][16]);
void enet_qs8_lut_avx2(size_t n, const int8_t* x, int8_t* y, const int8_t* table, const uint8_t probe[16][16]);
void enet_qs8_lut_neon(size_t n, const int8_t* x, int8_t* y, const int8_t* table, const uint8_t probe[16][16]);
/* Running maximum y[i] = max(y[i], x[i]) (int8 MAX_POOL_2D over the window's taps). */
typedef void (*enet_qs8_vmax_ukernel)(size_t n, const int8_t* x, int8_t* y);
void enet_qs8_vmax_avx2(size_t n, const int8_t* x, int8_t* y);
void enet_qs8_vmax_neon(size_t n, const int8_t* x, int8_t* y);
/* float -> int8 QUANTIZE, bit-exact with enet_ref_quantize_f32_s8 (same division and rounding). */
typedef void (*enet_f32_qs8_vcvt_ukernel)(size_t n, const float* x, int8_t* y, float scale, int32_t zero_point);
void enet_f32_qs8_vcvt_avx2(size_t n, const float* x, int8_t* y, float scale, int32_t zero_point);
void enet_f32_qs8_vcvt_neon(size_t n, const float* x, int8_t* y, float scale, int32_t zero_point);

void enet_qs8_vadd_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_add_params* p);
void enet_qs8_vadd_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_add_params* p);
void enet_qs8_vmul_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_mul_params* p);
void enet_qs8_vmul_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const enet_qs8_mul_params* p);

typedef struct enet_qs8_kernels {
  enet_isa isa;       /* the ISA of the kernels below, as the profiler names them ... */
  enet_isa gemm_isa;  /* ... except the GEMM's and the depthwise kernel's when set (not REFERENCE): */
  enet_isa dwconv_isa; /* a family may pair its own GEMM with another family's vector kernels */
  size_t mr, nr, kr;  /* GEMM tile rows, columns, k per packed block */
  size_t weight_bytes; /* GEMM weights packed as int16 (2) or int8 (1) */
  enet_qs8_gemm_ukernel gemm;
  const uint8_t* gemm_param_order; /* NULL, or the register order of the panel's channels (reorder_params) */
  size_t dwconv_cb, dwconv_weight_bytes; /* channels per depthwise block; 2: int16 weights, 1: int8 */
  int dwconv_tap_pairs;                  /* 1: weights interleaved by pairs of taps (qs8_dwconv.c) */
  const uint8_t* dwconv_param_order;     /* NULL, or the register order of a block's channels */
  enet_qs8_dwconv_ukernel dwconv;
  enet_qs8_vadd_ukernel vadd; /* NULL: the reference kernel */
  enet_qs8_vmul_ukernel vmul;
  enet_qs8_lut_ukernel lut;   /* NULL: the reference kernel */
  enet_qs8_vmax_ukernel vmax; /* NULL: the reference max pool */
  enet_f32_qs8_vcvt_ukernel f32_to_qs8; /* NULL: the reference quantize */
  enet_x8_interleave3_ukernel interleave3; /* byte NCHW -> NHWC, three planes; NULL: the reference */
  /* Rows of the GEMM's A: 0 or 1, int8 (read in place for 1x1 convs); 2, int16 (the driver widens
   * them into scratch, a_stride and kc then count int16 elements). */
  size_t a_bytes;
  /* NULL, or a GEMM-only set (only its GEMM fields are used) that the driver picks instead of
   * this set's GEMM for the shapes where it is faster (enet_qs8_gemm_for). */
  const struct enet_qs8_kernels* alt_gemm;
  /* 1: the GEMM's A rows hold a[k] + 128 as uint8 (vpdpbusd multiplies unsigned by signed
   * bytes): the driver flips their sign bits when it gathers them (never reading the input in
   * place) and the packed bias also carries -128 * sum_k w (qs8_conv_gemm.c). */
  int unsigned_a;
} enet_qs8_kernels;

/* The ISA names of k's GEMM and depthwise kernels (profiler names). */
static inline enet_isa enet_qs8_gemm_isa(const enet_qs8_kernels* k) { return k->gemm_isa ? k->gemm_isa : k->isa; }
static inline enet_isa enet_qs8_dwconv_isa(const enet_qs8_kernels* k) {
  return k->dwconv_isa ? k->dwconv_isa : k->isa;
}

/* The int8 set for `isa`, or NULL: reference. (dispatch.c) */
const enet_qs8_kernels* enet_qs8_kernels_for(enet_isa isa);

/* Computes `probe` for k's lut kernel (nothing to do for kernels that ignore it). (qs8_elementwise.c) */
void enet_qs8_lut_probe(const enet_qs8_kernels* k, const int8_t* table, uint8_t probe[16][16]);

/* int8 GEMM-based convolution / fully connected with packed weights:
 *   y = clamp(requantize(bias[c] + sum (x - x_zp) * w, requant[c]) + out_zp)
 * The zero point is folded into the packed bias (bias - x_zp * sum_k w), and
 * im2col pads with x_zp, so the microkernels multiply raw int8 values. */
typedef struct enet_qs8_conv_plan {
  const enet_qs8_kernels* k;
  enet_window g;
  size_t m, n, kdim, mc;
  size_t a_stride;             /* elements per GEMM row: kdim, or im2col rows padded to whole KR blocks */
  size_t a_bytes;              /* 1: A is int8, 2: int16 (k->a_bytes) */
  int direct;
  int32_t x_zp;
  enet_s8_output out;
  size_t panel_bytes;
  uint8_t* packed;
  int num_threads;
} enet_qs8_conv_plan;

/* The kernel set whose GEMM serves a conv of this shape: k, or k->alt_gemm where it is faster.
 * The plan keeps it as plan->k. */
const enet_qs8_kernels* enet_qs8_gemm_for(const enet_qs8_kernels* k, const enet_window* g);
size_t enet_qs8_conv_plan_size(const enet_qs8_kernels* k, const enet_window* g, int num_threads);
/* weights OHWI int8, bias int32 or NULL, requant[n]; out = zero point and clamp. */
enet_qs8_conv_plan* enet_qs8_conv_plan_init(void* memory, const enet_qs8_kernels* k, const enet_window* g,
                                            int num_threads, const int8_t* weights, const int32_t* bias,
                                            int32_t x_zp, const enet_requant* requant, int32_t out_zp,
                                            int32_t out_min, int32_t out_max);
/* Bytes of working memory a run needs (the gathered rows of A, per thread; 0 when A is the input
 * itself), 64-byte aligned. */
size_t enet_qs8_conv_scratch_bytes(const enet_qs8_conv_plan* plan);
/* `scratch`: scratch_bytes bytes, any contents (the padding of a gathered row meets zero weights). */
void enet_qs8_conv_run(const enet_qs8_conv_plan* plan, enet_threadpool* pool, const int8_t* x, int8_t* y,
                       void* scratch);

/* int8 depthwise convolution (depth_multiplier 1), weights (1, KH, KW, C), any
 * kernel size, stride, dilation and padding; the int8 twin of enet_f32_dwconv_plan. */
typedef struct enet_qs8_dwconv_plan {
  const enet_qs8_kernels* k;
  enet_window g;
  size_t taps, block_bytes;
  enet_s8_output out;
  uint8_t* packed;
  int8_t* zero;                 /* in_c bytes of the input zero point: what padding taps read */
  const int8_t** indirection;   /* per thread: out_w * taps pointers */
  int num_threads;
} enet_qs8_dwconv_plan;

size_t enet_qs8_dwconv_plan_size(const enet_qs8_kernels* k, const enet_window* g, int num_threads);
enet_qs8_dwconv_plan* enet_qs8_dwconv_plan_init(void* memory, const enet_qs8_kernels* k, const enet_window* g,
                                                int num_threads, const int8_t* weights, const int32_t* bias,
                                                int32_t x_zp, const enet_requant* requant,
                                                const enet_s8_output* out);
void enet_qs8_dwconv_run(const enet_qs8_dwconv_plan* plan, enet_threadpool* pool, const int8_t* x, int8_t* y);

/* int8 elementwise ADD / SUB / MUL of two same-shape tensors, split over the
 * thread pool in chunks. Parameters from the reference's enet_binary_s8_params. */
typedef struct enet_qs8_binary_plan {
  const enet_qs8_kernels* k;
  enet_binary_op op;
  enet_qs8_add_params add;
  enet_qs8_mul_params mul;
} enet_qs8_binary_plan;
/* 0 when `k` has no kernel for `op` (the caller keeps the reference). */
int enet_qs8_binary_plan_init(enet_qs8_binary_plan* plan, const enet_qs8_kernels* k, enet_binary_op op,
                              const enet_binary_s8_params* p);
void enet_qs8_binary_run(const enet_qs8_binary_plan* plan, enet_threadpool* pool, size_t n, const int8_t* a,
                         const int8_t* b, int8_t* y);

/* int8 table lookup y[i] = table[x[i] + 128] over n elements with k's lut kernel,
 * split over the thread pool in chunks; returns 0 (and does nothing) when k has none. */
int enet_qs8_lut_run(const enet_qs8_kernels* k, enet_threadpool* pool, size_t n, const int8_t* table,
                     const int8_t* x, int8_t* y);

/* int8 MAX_POOL_2D (NHWC, dilation 1) with k's vmax kernel, equal to enet_ref_max_pool2d_s8,
 * split over the thread pool by output rows (qs8_maxpool.c). */
void enet_qs8_maxpool_run(const enet_qs8_kernels* k, const enet_window* g, enet_threadpool* pool, const int8_t* x,
                          int8_t* y);

/* float -> int8 QUANTIZE of n elements with k's f32_to_qs8 kernel, split over the thread pool;
 * returns 0 (and does nothing) when k has none. (qs8_elementwise.c) */
int enet_f32_qs8_quantize_run(const enet_qs8_kernels* k, enet_threadpool* pool, size_t n, const float* x, int8_t* y,
                              float scale, int32_t zero_point);

/* int8 global average: y[o][c] = clamp(requantize(sum_{r < rows} (x[o][r][c] - x_zp)) + zero_point)
 * for x of shape (outer, rows, channels); rows * 255 must fit int32. (qs8_pool.c) */
void enet_qs8_global_mean(size_t outer, size_t rows, size_t channels, const int8_t* x, int32_t x_zp,
                          enet_requant requant, const enet_s8_output* out, int8_t* y);

#endif /* EDGENET_KERNELS_OPTIMIZED_H */
