/* dispatch.c — the microkernel sets per ISA family (see optimized.h). */
#include "optimized.h"
#if defined(__x86_64__)
#include "x86/x86-intrinsics.h" /* ENET_HAVE_AVXVNNI */
#endif

#if defined(__x86_64__)
/* float sets; a kernel left NULL runs the reference. */
static const enet_f32_kernels f32_avx2 = {
    .isa = ENET_ISA_AVX2, .gemm_mr = 6, .gemm_nr = 16, .gemm = enet_f32_gemm_6x16_avx2,
    .gemv = enet_f32_gemv_1x16_avx2, .gemv_name = "f32-gemv-1x16-avx2",
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
    .winograd_name = "f32-winograd-4x4-3x3-avx2",
    .interleave3 = enet_x32_interleave3_avx2, .interleave3_name = "x32-interleave3-avx2"};
/* AVX-512 F: its own GEMM, indirect GEMM, depthwise, elementwise and unary kernels; AVX2's
 * softmax and Winograd transforms. */
static const enet_f32_kernels f32_avx512 = {
    .isa = ENET_ISA_AVX512, .gemm_mr = 7, .gemm_nr = 32, .gemm = enet_f32_gemm_7x32_avx512,
    .gemv = enet_f32_gemv_1x32_avx512, .gemv_name = "f32-gemv-1x32-avx512",
    .dwconv_cb = 16, .dwconv = enet_f32_dwconv_c16_avx512,
    .gemm_name = "f32-gemm-7x32-avx512", .dwconv_name = "f32-dwconv-c16-avx512",
    .vadd = enet_f32_vadd_avx512, .vsub = enet_f32_vsub_avx512, .vmul = enet_f32_vmul_avx512,
    .vbinary_name = "f32-vbinary-avx512",
    .vsilu = enet_f32_vsilu_avx512, .vsigmoid = enet_f32_vsigmoid_avx512, .vtanh = enet_f32_vtanh_avx512,
    .vhswish = enet_f32_vhswish_avx512,
    .vsilu_name = "f32-vsilu-avx512", .vsigmoid_name = "f32-vsigmoid-avx512", .vtanh_name = "f32-vtanh-avx512",
    .vhswish_name = "f32-vhswish-avx512",
    .softmax = enet_f32_softmax_avx2, .softmax_name = "f32-softmax-avx2",
    .igemm = enet_f32_igemm_7x32_avx512, .igemm_name = "f32-igemm-7x32-avx512",
    .winograd_input = enet_f32_winograd_input_4x4_3x3_avx2, .winograd_output = enet_f32_winograd_output_4x4_3x3_avx2,
    .winograd_name = "f32-winograd-4x4-3x3-avx2",
    .interleave3 = enet_x32_interleave3_avx2, .interleave3_name = "x32-interleave3-avx2"};
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
    .gemv = enet_f32_gemv_1x8_neon, .gemv_name = "f32-gemv-1x8-neon",
    .dwconv_cb = 4, .dwconv = enet_f32_dwconv_c4_neon,
    .gemm_name = "f32-gemm-4x8-neon", .dwconv_name = "f32-dwconv-c4-neon",
    .vadd = enet_f32_vadd_neon, .vsub = enet_f32_vsub_neon, .vmul = enet_f32_vmul_neon,
    .vbinary_name = "f32-vbinary-neon",
    .igemm = enet_f32_igemm_4x8_neon, .igemm_name = "f32-igemm-4x8-neon",
    .winograd_input = enet_f32_winograd_input_4x4_3x3_neon, .winograd_output = enet_f32_winograd_output_4x4_3x3_neon,
    .winograd_name = "f32-winograd-4x4-3x3-neon",
    .interleave3 = enet_x32_interleave3_neon, .interleave3_name = "x32-interleave3-neon",
#if defined(__aarch64__) /* exp-based and dividing kernels: A64 only (arm/f32-exp-neon.h); ARMv7 the reference */
    .vsilu = enet_f32_vsilu_neon, .vsigmoid = enet_f32_vsigmoid_neon, .vtanh = enet_f32_vtanh_neon,
    .vhswish = enet_f32_vhswish_neon,
    .vsilu_name = "f32-vsilu-neon", .vsigmoid_name = "f32-vsigmoid-neon", .vtanh_name = "f32-vtanh-neon",
    .vhswish_name = "f32-vhswish-neon",
    .softmax = enet_f32_softmax_neon, .softmax_name = "f32-softmax-neon",
#endif
};
#endif

/* int8 sets (fields: enet_qs8_kernels in optimized.h); a kernel left NULL runs the reference. */
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
static const uint8_t tap_pair_order32[32] = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27, /* low */
                                             4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31};
/* The parts the x86 sets share: AVX2's vector kernels (isa names them), and each depthwise kernel. */
#define QS8_AVX2_VECTOR                                                                                   \
  .isa = ENET_ISA_AVX2, .vadd = enet_qs8_vadd_avx2, .vmul = enet_qs8_vmul_avx2, .lut = enet_qs8_lut_avx2, \
  .vmax = enet_qs8_vmax_avx2, .f32_to_qs8 = enet_f32_qs8_vcvt_avx2, .interleave3 = enet_x8_interleave3_avx2
#define QS8_AVX2_DWCONV                                                                            \
  .dwconv_cb = 16, .dwconv_weight_bytes = 2, .dwconv_tap_pairs = 1, .dwconv_param_order = tap_pair_order, \
  .dwconv = enet_qs8_dwconv_c16_avx2
#define QS8_AVX512_DWCONV(family, kernel)                                                          \
  .dwconv_isa = family, .dwconv_cb = 32, .dwconv_weight_bytes = 2, .dwconv_tap_pairs = 1,         \
  .dwconv_param_order = tap_pair_order32, .dwconv = kernel
#define QS8_AVX2_GEMM                                                                                        \
  .mr = 3, .nr = 8, .kr = 8, .weight_bytes = 2, .gemm = enet_qs8_gemm_3x8c8_avx2, .gemm_param_order = hadd_order, \
  .a_bytes = 1, .alt_gemm = &qs8_avx2_c2
/* The VNNI GEMMs: vpdpbusd over unsigned activations (qs8_conv_gemm.c flips their sign bits). */
#define QS8_VNNI_GEMM(family, rows, kernel)                                                                    \
  .gemm_isa = family, .mr = rows, .nr = 16, .kr = 4, .weight_bytes = 1, .gemm = kernel,                      \
  .gemm_param_order = channel_order, .a_bytes = 1, .unsigned_a = 1
static const enet_qs8_kernels qs8_avx2 = {QS8_AVX2_VECTOR, QS8_AVX2_GEMM, QS8_AVX2_DWCONV};
#if ENET_HAVE_AVXVNNI
static const enet_qs8_kernels qs8_avxvnni = {
    QS8_AVX2_VECTOR, QS8_VNNI_GEMM(ENET_ISA_AVXVNNI, 4, enet_qs8_gemm_4x16c4_avxvnni), QS8_AVX2_DWCONV};
#endif
static const enet_qs8_kernels qs8_avx512 = {QS8_AVX2_VECTOR, QS8_AVX2_GEMM,
                                            QS8_AVX512_DWCONV(ENET_ISA_AVX512, enet_qs8_dwconv_c32_avx512)};
/* Depthwise too: vpdpwssd (the int16-pair multiply-add with accumulation) is AVX512-VNNI. */
static const enet_qs8_kernels qs8_avx512vnni = {
    QS8_AVX2_VECTOR, QS8_VNNI_GEMM(ENET_ISA_AVX512VNNI, 7, enet_qs8_gemm_7x16c4_avx512vnni),
    QS8_AVX512_DWCONV(ENET_ISA_AVX512VNNI, enet_qs8_dwconv_c32_avx512vnni)};
/* SSE4.1: GEMM and depthwise; add/mul/lut/max/quantize run the reference. */
static const enet_qs8_kernels qs8_sse41 = {
    .isa = ENET_ISA_SSE41, .mr = 4, .nr = 8, .kr = 2, .weight_bytes = 2, .gemm = enet_qs8_gemm_4x8c2_sse41,
    .a_bytes = 1, .dwconv_cb = 8, .dwconv_weight_bytes = 2, .dwconv = enet_qs8_dwconv_c8_sse41};
#endif
#if defined(__aarch64__)
#define NEON_LUT enet_qs8_lut_neon /* tbl over 64 bytes is A64-only */
#define NEON_VCVT enet_f32_qs8_vcvt_neon /* vdivq and fcvtas too */
#else
#define NEON_LUT NULL
#define NEON_VCVT NULL
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
/* The NEON sets share everything but the GEMM. */
#define QS8_NEON_COMMON                                                                                      \
  .mr = 4, .nr = 8, .a_bytes = 1, .dwconv_cb = 8, .dwconv_weight_bytes = 1, .dwconv = enet_qs8_dwconv_c8_neon, \
  .vadd = enet_qs8_vadd_neon, .vmul = enet_qs8_vmul_neon, .lut = NEON_LUT, .vmax = enet_qs8_vmax_neon,          \
  .f32_to_qs8 = NEON_VCVT, .interleave3 = enet_x8_interleave3_neon
static const enet_qs8_kernels qs8_neon = {.isa = ENET_ISA_NEON, .kr = 2, .weight_bytes = 2,
                                          .gemm = enet_qs8_gemm_4x8c2_neon, QS8_NEON_COMMON};
#endif
#if defined(__aarch64__)
static const enet_qs8_kernels qs8_neondot = {.isa = ENET_ISA_NEONDOT, .kr = 4, .weight_bytes = 1,
                                             .gemm = enet_qs8_gemm_4x8c4_neondot, QS8_NEON_COMMON};
static const enet_qs8_kernels qs8_i8mm = {.isa = ENET_ISA_I8MM, .kr = 8, .weight_bytes = 1,
                                          .gemm = enet_qs8_gemm_4x8c8_neoni8mm, QS8_NEON_COMMON};
#endif

const enet_qs8_kernels* enet_qs8_kernels_for(enet_isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case ENET_ISA_AVX512VNNI: return &qs8_avx512vnni;
#if ENET_HAVE_AVXVNNI
    case ENET_ISA_AVXVNNI: return &qs8_avxvnni;
#endif
    case ENET_ISA_AVX512: return &qs8_avx512;
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
    case ENET_ISA_AVX512VNNI:
    case ENET_ISA_AVX512: return &f32_avx512;
    case ENET_ISA_AVXVNNI: /* no float kernels of its own */
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
