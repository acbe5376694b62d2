/*
 * x86-intrinsics.h — the intrinsics and function target attributes of the AVX-512 and
 * VNNI microkernels (included first by each of their files).
 *
 * Normally <immintrin.h>, with each kernel compiled for its own ISA by a function-level
 * target attribute (as the AVX2 files do: SwiftPM and the NDK compile every source with
 * one set of flags).
 *
 * With EDGENET_EMULATE_X86 (the CMake option of the same name: a test build, never a
 * release) the kernels are compiled through SIMDe's portable implementations of the
 * AVX-512 F/BW/VL/DQ and VNNI intrinsics instead, so a CPU without AVX-512 (this
 * project's AVX2-only build machine, or qemu, which emulates no AVX-512) runs them
 * against the reference kernels. That build compiles everything with -mavx2 -mfma, so
 * the target attributes below are empty there and the AVX2 helpers the kernels share
 * (qs8-requant-avx2.h) run natively.
 */
#ifndef EDGENET_X86_INTRINSICS_H
#define EDGENET_X86_INTRINSICS_H
#if defined(__x86_64__)
#include <immintrin.h> /* first: SIMDe's aliases below must not rename GCC's own declarations */

/* 1 when the compiler knows AVX-VNNI (GCC 11, clang 12 and later; the SIMDe build bridges it):
 * older ones (e.g. manylinux2014's GCC 10) build everything else, without the avxvnni family. */
#if defined(EDGENET_EMULATE_X86) || defined(_AVXVNNIINTRIN_H_INCLUDED) || defined(__AVXVNNIINTRIN_H)
#define ENET_HAVE_AVXVNNI 1
#else
#define ENET_HAVE_AVXVNNI 0
#endif

#if defined(EDGENET_EMULATE_X86)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <string.h>
/* SIMDe 0.7.4 has the EVEX form (AVX512-VNNI + VL) of vpdpbusd on ymm, but not the
 * VEX form of AVX-VNNI; both compute the same sums. */
#define _mm256_dpbusd_avx_epi32(src, a, b) _mm256_dpbusd_epi32(src, a, b)
/* ... nor the masked loads and stores used here (bit i of k: element i of `size` bytes). */
static inline void enet_emulated_mask_store(void* p, unsigned k, const void* v, int n, int size) {
  for (int i = 0; i < n; i++)
    if ((k >> i) & 1) memcpy((char*)p + i * size, (const char*)v + i * size, (size_t)size);
}
static inline void enet_emulated_maskz_load(void* v, unsigned k, const void* p, int n, int size) {
  memset(v, 0, (size_t)(n * size));
  for (int i = 0; i < n; i++)
    if ((k >> i) & 1) memcpy((char*)v + i * size, (const char*)p + i * size, (size_t)size);
}
static inline void enet_emulated_mm_mask_storeu_epi8(void* p, unsigned k, __m128i v) {
  enet_emulated_mask_store(p, k, &v, 16, 1);
}
static inline void enet_emulated_mm256_mask_storeu_epi8(void* p, unsigned k, __m256i v) {
  enet_emulated_mask_store(p, k, &v, 32, 1);
}
static inline __m256i enet_emulated_mm256_maskz_loadu_epi8(unsigned k, const void* p) {
  __m256i v;
  enet_emulated_maskz_load(&v, k, p, 32, 1);
  return v;
}
static inline void enet_emulated_mm512_mask_storeu_ps(void* p, unsigned k, __m512 v) {
  enet_emulated_mask_store(p, k, &v, 16, 4);
}
static inline __m512 enet_emulated_mm512_maskz_loadu_ps(unsigned k, const void* p) {
  __m512 v;
  enet_emulated_maskz_load(&v, k, p, 16, 4);
  return v;
}
#undef _mm_mask_storeu_epi8
#undef _mm256_mask_storeu_epi8
#undef _mm256_maskz_loadu_epi8
#undef _mm512_mask_storeu_ps
#undef _mm512_maskz_loadu_ps
#define _mm_mask_storeu_epi8(p, k, v) enet_emulated_mm_mask_storeu_epi8(p, k, v)
#define _mm256_mask_storeu_epi8(p, k, v) enet_emulated_mm256_mask_storeu_epi8(p, k, v)
#define _mm256_maskz_loadu_epi8(k, p) enet_emulated_mm256_maskz_loadu_epi8(k, p)
#define _mm512_mask_storeu_ps(p, k, v) enet_emulated_mm512_mask_storeu_ps(p, k, v)
#define _mm512_maskz_loadu_ps(k, p) enet_emulated_mm512_maskz_loadu_ps(k, p)
/* SIMDe 0.7.4's alias of vpmaddwd on zmm takes 4 arguments (a typo); the function is right. */
#undef _mm512_madd_epi16
#define _mm512_madd_epi16(a, b) simde_mm512_madd_epi16(a, b)
#define ENET_TARGET_AVXVNNI
#define ENET_TARGET_AVX512
#define ENET_TARGET_AVX512VNNI
#define ENET_DPBUSD512(acc, a, w) ((acc) = _mm512_dpbusd_epi32(acc, a, w))
#define ENET_DPWSSD512(acc, a, w) ((acc) = _mm512_dpwssd_epi32(acc, a, w))
/* SIMDe has no masked vpshufd on zmm: the same lanes by a shift and a blend. */
#define ENET_MERGE_ODD_LOW_HALVES512(even, odd) _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32))
#else
/* acc += the four products of unsigned a bytes by signed w bytes per int32 lane: the
 * instruction _mm512_dpbusd_epi32 is (AT&T order: w, a, acc). Written out because GCC 12
 * copies every accumulator once per loop iteration around the intrinsic (clang does not). */
#define ENET_DPBUSD512(acc, a, w) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w))
/* acc += a[2i] * w[2i] + a[2i+1] * w[2i+1] per int32 lane (int16 pairs, exact): vpmaddwd + vpaddd in one. */
#define ENET_DPWSSD512(acc, a, w) __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w))
/* even's lanes 0, 2, .., 14 with odd's lanes 0, 2, .., 14 moved into lanes 1, 3, .., 15: one vpshufd under a
 * merge mask. */
#define ENET_MERGE_ODD_LOW_HALVES512(even, odd) _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CDAB)
#define ENET_TARGET_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))
#define ENET_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")))
#define ENET_TARGET_AVX512VNNI \
  __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#endif

#endif
#endif /* EDGENET_X86_INTRINSICS_H */
