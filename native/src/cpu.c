/*
 * cpu.c — run-time CPU feature detection, so one binary per architecture runs
 * the fastest kernels each CPU supports:
 *   x86-64         cpuid, plus xgetbv to check the OS saves the AVX registers
 *   Linux/Android  getauxval(AT_HWCAP / AT_HWCAP2) on aarch64 and armv7
 *   Apple arm64    sysctlbyname("hw.optional.arm.FEAT_*")
 */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

#include "portable.h" /* pthread_once, enet_online_cores */

#if defined(__x86_64__) /* GCC and clang; MSVC builds run the reference kernels (portable.h) */
#include <cpuid.h>

#include "kernels/x86/x86-intrinsics.h" /* ENET_HAVE_AVXVNNI */
#endif
#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__))
#include <sys/auxv.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

static enet_cpu_info g_cpu;
static pthread_once_t g_cpu_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
/* XCR0: which register states the OS saves on context switch. */
static unsigned long long read_xcr0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static void detect_x86(enet_cpu_info* cpu) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  cpu->sse41 = (c >> 19) & 1;
  cpu->crc32c = (c >> 20) & 1; /* SSE4.2 */
  int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  /* CPUID says what the CPU has; XCR0 says which registers the OS saves on a context
   * switch (bits 1, 2: XMM, YMM; 5, 6, 7: opmask, ZMM 0-15 upper halves, ZMM 16-31). */
  unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
  int os_avx = (xcr0 & 0x6) == 0x6;
  int os_avx512 = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  unsigned max_subleaf = a;
  int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1,
      avx512vl = (b >> 31) & 1, avx512vnni = (c >> 11) & 1;
  int avxvnni = max_subleaf >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1);
  cpu->avx2_fma = avx && avx2 && fma && os_avx;
  cpu->avx512 = cpu->avx2_fma && avx512f && avx512bw && avx512vl && avx512dq && os_avx512;
  cpu->avx512_vnni = cpu->avx512 && avx512vnni;
  cpu->avx_vnni = cpu->avx2_fma && avxvnni;
#if defined(EDGENET_EMULATE_X86)
  /* Test build (CMake option EDGENET_EMULATE_X86): the AVX-512 and VNNI kernels are compiled
   * through SIMDe's portable intrinsics (kernels/x86/x86-intrinsics.h), so every CPU with
   * AVX2 "runs" them. Never a release build. */
  if (cpu->avx2_fma) cpu->avx512 = cpu->avx512_vnni = cpu->avx_vnni = cpu->emulated = 1;
#endif
}
#endif

#if defined(__linux__) && defined(__aarch64__)
static void detect_arm(enet_cpu_info* cpu) {
  unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  cpu->neon = (hwcap >> 1) & 1;      /* HWCAP_ASIMD */
  cpu->neon_dot = (hwcap >> 20) & 1; /* HWCAP_ASIMDDP */
  cpu->i8mm = (hwcap2 >> 13) & 1;    /* HWCAP2_I8MM */
  cpu->crc32c = (hwcap >> 7) & 1;    /* HWCAP_CRC32 */
}
#elif defined(__linux__) && defined(__arm__)
static void detect_arm(enet_cpu_info* cpu) {
  cpu->neon = (getauxval(AT_HWCAP) >> 12) & 1; /* HWCAP_NEON */
}
#elif defined(__APPLE__) && defined(__aarch64__)
static int sysctl_flag(const char* name) {
  int value = 0;
  size_t size = sizeof value;
  return sysctlbyname(name, &value, &size, NULL, 0) == 0 && value;
}
static void detect_arm(enet_cpu_info* cpu) {
  cpu->neon = 1; /* every arm64 Apple CPU */
  cpu->crc32c = 1;
  cpu->neon_dot = sysctl_flag("hw.optional.arm.FEAT_DotProd");
  cpu->i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
}
#elif defined(__aarch64__) || defined(__ARM_NEON)
static void detect_arm(enet_cpu_info* cpu) {
  cpu->neon = 1; /* unknown OS: trust the compile-time baseline only */
}
#endif

static void detect(void) {
  enet_cpu_info cpu;
  memset(&cpu, 0, sizeof cpu);
#if defined(__x86_64__)
  detect_x86(&cpu);
#elif defined(__aarch64__) || defined(__arm__)
  detect_arm(&cpu);
#endif
  long cores = enet_online_cores();
  cpu.num_cores = cores >= 1 ? (int)(cores < 64 ? cores : 64) : 1;
  g_cpu = cpu;
}

const enet_cpu_info* enet_cpu(void) {
  pthread_once(&g_cpu_once, detect);
  return &g_cpu;
}

/* Features as bits, so a family's requirement is a mask and "runs" / "is below" are subsets. */
enum {
  F_SSE41 = 1 << 0, F_AVX2 = 1 << 1, F_AVXVNNI = 1 << 2, F_AVX512 = 1 << 3, F_AVX512VNNI = 1 << 4,
  F_NEON = 1 << 5, F_NEONDOT = 1 << 6, F_I8MM = 1 << 7,
};

static unsigned cpu_features(const enet_cpu_info* cpu) {
  return (cpu->sse41 ? F_SSE41 : 0) | (cpu->avx2_fma ? F_AVX2 : 0) | (cpu->avx_vnni ? F_AVXVNNI : 0) |
         (cpu->avx512 ? F_AVX512 : 0) | (cpu->avx512_vnni ? F_AVX512VNNI : 0) | (cpu->neon ? F_NEON : 0) |
         (cpu->neon_dot ? F_NEONDOT : 0) | (cpu->i8mm ? F_I8MM : 0);
}

#if defined(__x86_64__)
#define X86_BUILT 1
#define AVXVNNI_BUILT ENET_HAVE_AVXVNNI
#else
#define X86_BUILT 0
#define AVXVNNI_BUILT 0
#endif
#if defined(__aarch64__)
#define A64_BUILT 1
#else
#define A64_BUILT 0
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
#define NEON_BUILT 1
#else
#define NEON_BUILT 0
#endif
/* Every family, with the features it needs and whether this build has kernels for it,
 * in order of preference within each architecture (best first). */
static const struct {
  const char* name;
  enet_isa isa;
  unsigned needs;
  int built;
} families[] = {
    {"avx512vnni", ENET_ISA_AVX512VNNI, F_SSE41 | F_AVX2 | F_AVX512 | F_AVX512VNNI, X86_BUILT},
    {"avxvnni", ENET_ISA_AVXVNNI, F_SSE41 | F_AVX2 | F_AVXVNNI, AVXVNNI_BUILT},
    {"avx512", ENET_ISA_AVX512, F_SSE41 | F_AVX2 | F_AVX512, X86_BUILT},
    {"avx2", ENET_ISA_AVX2, F_SSE41 | F_AVX2, X86_BUILT},
    {"sse41", ENET_ISA_SSE41, F_SSE41, X86_BUILT},
    {"i8mm", ENET_ISA_I8MM, F_NEON | F_NEONDOT | F_I8MM, A64_BUILT},
    {"neondot", ENET_ISA_NEONDOT, F_NEON | F_NEONDOT, A64_BUILT},
    {"neon", ENET_ISA_NEON, F_NEON, NEON_BUILT},
    {"reference", ENET_ISA_REFERENCE, 0, 1},
};
#define NUM_FAMILIES (sizeof families / sizeof families[0])

static int family_index(enet_isa isa) {
  for (size_t i = 0; i < NUM_FAMILIES; i++)
    if (families[i].isa == isa) return (int)i;
  return -1;
}

int enet_isa_supported(enet_isa isa) {
  int i = family_index(isa);
  if (i < 0 || !families[i].built) return 0;
  return (cpu_features(enet_cpu()) & families[i].needs) == families[i].needs;
}

/* The preferred family this CPU runs among those needing no more than `within` (a mask). */
static enet_isa best_within(unsigned within) {
  for (size_t i = 0; i < NUM_FAMILIES; i++)
    if ((families[i].needs & ~within) == 0 && families[i].isa != ENET_ISA_REFERENCE && enet_isa_supported(families[i].isa))
      return families[i].isa;
  return ENET_ISA_REFERENCE;
}

const char* enet_isa_name(enet_isa isa) {
  int i = family_index(isa);
  return i < 0 ? "unknown" : families[i].name;
}

int enet_isa_from_name(const char* name, enet_isa* isa) {
  for (size_t i = 0; i < NUM_FAMILIES; i++)
    if (strcmp(name, families[i].name) == 0) {
      *isa = families[i].isa;
      return 1;
    }
  return 0;
}

enet_isa enet_isa_selected(void) {
  enet_isa best = best_within(~0u), want;
  const char* name = getenv("EDGENET_ISA");
  if (!name || !*name) name = getenv("EDGENET_KERNELS"); /* the older name */
  if (!name || !*name || strcmp(name, "auto") == 0 || !enet_isa_from_name(name, &want))
    return best; /* unset, auto, or unknown: ignore it rather than fail every model */
  if (want == ENET_ISA_REFERENCE) return want;
  if (!families[family_index(want)].built) return best; /* the other architecture's family */
  /* That family if the CPU runs it, else the best one that needs no more features. */
  return best_within(families[family_index(want)].needs);
}
