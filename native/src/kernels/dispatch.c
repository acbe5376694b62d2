/* dispatch.c — the microkernel sets per ISA family (see optimized.h). */
#include "optimized.h"

#if defined(__x86_64__)
/* float sets; a kernel left NULL runs the reference. */
static const enet_f32_kernels f32_avx2 = {
    .isa = ENET_ISA_AVX2, .gemm_mr = 6, .gemm_nr = 16, .gemm = enet_f32_gemm_6x16_avx2,
    .dwconv_cb = 8, .dwconv = enet_f32_dwconv_c8_avx2,
    .gemm_name = "f32-gemm-6x16-avx2", .dwconv_name = "f32-dwconv-c8-avx2",
    .vadd = enet_f32_vadd_avx2, .vsub = enet_f32_vsub_avx2, .vmul = enet_f32_vmul_avx2,
    .vbinary_name = "f32-vbinary-avx2",
    .vsilu = enet_f32_vsilu_avx2, .vsigmoid = enet_f32_vsigmoid_avx2, .vtanh = enet_f32_vtanh_avx2,
    .vhswish = enet_f32_vhswish_avx2,
    .vsilu_name = "f32-vsilu-avx2", .vsigmoid_name = "f32-vsigmoid-avx2", .vtanh_name = "f32-vtanh-avx2",
    .vhswish_name = "f32-vhswish-avx2",
    .softmax = enet_f32_softmax_avx2, .softmax_name = "f32-softmax-avx2",
    .igemm = enet_f32_igemm_6x16_avx2, .igemm_name = "f32-igemm-6x16-avx2",
    .winograd_input = enet_f32_winograd_input_4x4_3x3_avx2, .winograd_output = enet_f32_winograd_output_4x4_3x3_avx2,
    .winograd_name = "f32-winograd-4x4-3x3-avx2"};
/* SSE4.1: GEMM, indirect GEMM and depthwise only (the vector ops and Winograd transforms need AVX2 + FMA). */
static const enet_f32_kernels f32_sse = {
    .isa = ENET_ISA_SSE41, .gemm_mr = 4, .gemm_nr = 8, .gemm = enet_f32_gemm_4x8_sse,
    .dwconv_cb = 4, .dwconv = enet_f32_dwconv_c4_sse,
    .gemm_name = "f32-gemm-4x8-sse", .dwconv_name = "f32-dwconv-c4-sse",
    .igemm = enet_f32_igemm_4x8_sse, .igemm_name = "f32-igemm-4x8-sse"};
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_f32_kernels f32_neon = {
    .isa = ENET_ISA_NEON, .gemm_mr = 4, .gemm_nr = 8, .gemm = enet_f32_gemm_4x8_neon,
    .dwconv_cb = 4, .dwconv = enet_f32_dwconv_c4_neon,
    .gemm_name = "f32-gemm-4x8-neon", .dwconv_name = "f32-dwconv-c4-neon",
    .vadd = enet_f32_vadd_neon, .vsub = enet_f32_vsub_neon, .vmul = enet_f32_vmul_neon,
    .vbinary_name = "f32-vbinary-neon",
    .igemm = enet_f32_igemm_4x8_neon, .igemm_name = "f32-igemm-4x8-neon",
    .winograd_input = enet_f32_winograd_input_4x4_3x3_neon, .winograd_output = enet_f32_winograd_output_4x4_3x3_neon,
    .winograd_name = "f32-winograd-4x4-3x3-neon",
#if defined(__aarch64__) /* exp-based and dividing kernels: A64 only (arm/f32-exp-neon.h); ARMv7 the reference */
    .vsilu = enet_f32_vsilu_neon, .vsigmoid = enet_f32_vsigmoid_neon, .vtanh = enet_f32_vtanh_neon,
    .vhswish = enet_f32_vhswish_neon,
    .vsilu_name = "f32-vsilu-neon", .vsigmoid_name = "f32-vsigmoid-neon", .vtanh_name = "f32-vtanh-neon",
    .vhswish_name = "f32-vhswish-neon",
    .softmax = enet_f32_softmax_neon, .softmax_name = "f32-softmax-neon",
#endif
};
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
