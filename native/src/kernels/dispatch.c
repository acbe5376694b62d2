/* dispatch.c — the microkernel sets per ISA family (see optimized.h). */
#include "optimized.h"

#if defined(__x86_64__)
static const enet_f32_kernels f32_avx2 = {ENET_ISA_AVX2, 6, 16, enet_f32_gemm_6x16_avx2, 8, enet_f32_dwconv_c8_avx2};
static const enet_f32_kernels f32_sse = {ENET_ISA_SSE41, 4, 8, enet_f32_gemm_4x8_sse, 4, enet_f32_dwconv_c4_sse};
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_f32_kernels f32_neon = {ENET_ISA_NEON, 4, 8, enet_f32_gemm_4x8_neon, 4, enet_f32_dwconv_c4_neon};
#endif

#if defined(__x86_64__)
static const enet_qs8_kernels qs8_avx2 = {ENET_ISA_AVX2, 4, 16, 2, enet_qs8_gemm_4x16c2_avx2};
static const enet_qs8_kernels qs8_sse = {ENET_ISA_SSE41, 4, 8, 2, enet_qs8_gemm_4x8c2_sse};
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_qs8_kernels qs8_neon = {ENET_ISA_NEON, 4, 8, 2, enet_qs8_gemm_4x8c2_neon};
#endif
#if defined(__aarch64__)
static const enet_qs8_kernels qs8_neondot = {ENET_ISA_NEONDOT, 4, 8, 4, enet_qs8_gemm_4x8c4_neondot};
#endif

const enet_qs8_kernels* enet_qs8_kernels_for(enet_isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case ENET_ISA_AVX2: return &qs8_avx2;
    case ENET_ISA_SSE41: return &qs8_sse;
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
    case ENET_ISA_NEON: return &qs8_neon;
#endif
#if defined(__aarch64__)
    case ENET_ISA_NEONDOT:
    case ENET_ISA_I8MM: return &qs8_neondot; /* no smmla kernel yet */
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
