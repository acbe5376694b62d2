/* dispatch.c — the microkernel sets per ISA family (see optimized.h). */
#include "optimized.h"

#if defined(__x86_64__)
/* float: GEMM mr, nr, kernel; depthwise channels per block, kernel; names; add, sub, mul and their name;
 * silu and its name (unset: the reference); indirect GEMM and its name; Winograd input and output
 * transforms and their name (unset: im2col). */
static const enet_f32_kernels f32_avx2 = {ENET_ISA_AVX2, 6, 16, enet_f32_gemm_6x16_avx2, 8, enet_f32_dwconv_c8_avx2,
                                          "f32-gemm-6x16-avx2", "f32-dwconv-c8-avx2",
                                          enet_f32_vadd_avx2, enet_f32_vsub_avx2, enet_f32_vmul_avx2,
                                          "f32-vbinary-avx2", enet_f32_vsilu_avx2, "f32-vsilu-avx2",
                                          enet_f32_igemm_6x16_avx2, "f32-igemm-6x16-avx2",
                                          enet_f32_winograd_input_4x4_3x3_avx2, enet_f32_winograd_output_4x4_3x3_avx2,
                                          "f32-winograd-4x4-3x3-avx2"};
static const enet_f32_kernels f32_sse = {ENET_ISA_SSE41, 4, 8, enet_f32_gemm_4x8_sse, 4, enet_f32_dwconv_c4_sse,
                                         "f32-gemm-4x8-sse", "f32-dwconv-c4-sse", NULL, NULL, NULL, NULL, NULL, NULL,
                                         enet_f32_igemm_4x8_sse, "f32-igemm-4x8-sse", NULL, NULL, NULL};
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_f32_kernels f32_neon = {ENET_ISA_NEON, 4, 8, enet_f32_gemm_4x8_neon, 4, enet_f32_dwconv_c4_neon,
                                          "f32-gemm-4x8-neon", "f32-dwconv-c4-neon",
                                          enet_f32_vadd_neon, enet_f32_vsub_neon, enet_f32_vmul_neon,
                                          "f32-vbinary-neon", NULL, NULL, /* silu: reference */
                                          enet_f32_igemm_4x8_neon, "f32-igemm-4x8-neon",
                                          enet_f32_winograd_input_4x4_3x3_neon, enet_f32_winograd_output_4x4_3x3_neon,
                                          "f32-winograd-4x4-3x3-neon"};
#endif

/* int8: GEMM mr, nr, kr, weight bytes, kernel, parameter order; depthwise channels per block, weight bytes,
 * tap pairs, parameter order, kernel; add; mul; table lookup; running max; float -> int8 quantize;
 * GEMM input bytes, alternative GEMM. */
#if defined(__x86_64__)
/* Channel order of the AVX2 kernels' accumulator registers (see enet_qs8_reorder_params). */
static const uint8_t hadd_order[8] = {0, 2, 4, 6, 1, 3, 5, 7};                                    /* vphaddd */
static const uint8_t tap_pair_order[16] = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15}; /* vpunpck */
/* Identity: the 6x16c2 kernel's lanes are in channel order; reordering only splits the int64 fields
 * into even and odd lanes, as vpmuldq consumes them. */
static const uint8_t channel_order[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
/* GEMM-only set (only the GEMM fields are used): int16 rows of A, no reduction; the driver picks it
 * over the c8 kernel for the shapes where it is faster (qs8_conv_gemm.c, enet_qs8_gemm_for). */
static const enet_qs8_kernels qs8_avx2_c2 = {.isa = ENET_ISA_AVX2, .mr = 6, .nr = 16, .kr = 2, .weight_bytes = 2,
                                             .gemm = enet_qs8_gemm_6x16c2_avx2, .gemm_param_order = channel_order,
                                             .a_bytes = 2};
static const enet_qs8_kernels qs8_avx2 = {ENET_ISA_AVX2,      3, 8, 8, 2, enet_qs8_gemm_3x8c8_avx2, hadd_order,
                                          16, 2, 1, tap_pair_order, enet_qs8_dwconv_c16_avx2,
                                          enet_qs8_vadd_avx2, enet_qs8_vmul_avx2, enet_qs8_lut_avx2,
                                          enet_qs8_vmax_avx2, enet_f32_qs8_vcvt_avx2, 1, &qs8_avx2_c2};
static const enet_qs8_kernels qs8_sse41 = {ENET_ISA_SSE41, 4, 8, 2, 2, enet_qs8_gemm_4x8c2_sse41, NULL,
                                           8, 2, 0, NULL, enet_qs8_dwconv_c8_sse41, NULL, NULL, NULL, NULL, NULL,
                                           1, NULL}; /* add/mul/lut/max/quantize: reference */
#endif
#if defined(__aarch64__)
#define NEON_LUT enet_qs8_lut_neon /* tbl over 64 bytes is A64-only */
#define NEON_VCVT enet_f32_qs8_vcvt_neon /* vdivq and fcvtas too */
#else
#define NEON_LUT NULL
#define NEON_VCVT NULL
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_qs8_kernels qs8_neon = {ENET_ISA_NEON, 4, 8, 2, 2, enet_qs8_gemm_4x8c2_neon, NULL,
                                          8, 1, 0, NULL, enet_qs8_dwconv_c8_neon, enet_qs8_vadd_neon, enet_qs8_vmul_neon,
                                          NEON_LUT, enet_qs8_vmax_neon, NEON_VCVT, 1, NULL};
#endif
#if defined(__aarch64__)
static const enet_qs8_kernels qs8_neondot = {ENET_ISA_NEONDOT, 4, 8, 4, 1, enet_qs8_gemm_4x8c4_neondot, NULL,
                                             8, 1, 0, NULL, enet_qs8_dwconv_c8_neon, enet_qs8_vadd_neon, enet_qs8_vmul_neon,
                                             NEON_LUT, enet_qs8_vmax_neon, NEON_VCVT, 1, NULL};
static const enet_qs8_kernels qs8_i8mm = {ENET_ISA_I8MM, 4, 8, 8, 1, enet_qs8_gemm_4x8c8_neoni8mm, NULL,
                                          8, 1, 0, NULL, enet_qs8_dwconv_c8_neon, enet_qs8_vadd_neon, enet_qs8_vmul_neon,
                                          NEON_LUT, enet_qs8_vmax_neon, NEON_VCVT, 1, NULL};
#endif

const enet_qs8_kernels* enet_qs8_kernels_for(enet_isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case ENET_ISA_AVX2: return &qs8_avx2;
    case ENET_ISA_SSE41: return &qs8_sse41;
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
    case ENET_ISA_NEON: return &qs8_neon;
#endif
#if defined(__aarch64__)
    case ENET_ISA_NEONDOT: return &qs8_neondot;
    case ENET_ISA_I8MM: return &qs8_i8mm;
#endif
    default: return NULL;
  }
}

const enet_f32_kernels* enet_f32_kernels_for(enet_isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case ENET_ISA_AVX2: return &f32_avx2;
    case ENET_ISA_SSE41: return &f32_sse;
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
    case ENET_ISA_NEON:
    case ENET_ISA_NEONDOT:
    case ENET_ISA_I8MM: return &f32_neon;
#endif
    default: return NULL;
  }
}
