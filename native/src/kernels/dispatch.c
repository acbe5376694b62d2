/* dispatch.c — the microkernel sets per ISA family (see optimized.h). */
#include "optimized.h"

#if defined(__x86_64__)
static const enet_f32_kernels f32_avx2 = {ENET_ISA_AVX2, 6, 16, enet_f32_gemm_6x16_avx2, 8, enet_f32_dwconv_c8_avx2};
static const enet_f32_kernels f32_sse = {ENET_ISA_SSE41, 4, 8, enet_f32_gemm_4x8_sse, 4, enet_f32_dwconv_c4_sse};
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
static const enet_f32_kernels f32_neon = {ENET_ISA_NEON, 4, 8, enet_f32_gemm_4x8_neon, 4, enet_f32_dwconv_c4_neon};
#endif

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
