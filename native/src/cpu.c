/*
 * cpu.c — run-time CPU feature detection, so one binary per architecture runs
 * the fastest kernels each CPU supports:
 *   x86-64         cpuid, plus xgetbv to check the OS saves the AVX registers
 *   Linux/Android  getauxval(AT_HWCAP / AT_HWCAP2) on aarch64 and armv7
 *   Apple arm64    sysctlbyname("hw.optional.arm.FEAT_*")
 */
#include "cpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
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
  unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
  int os_avx = (xcr0 & 0x6) == 0x6;       /* XMM and YMM state */
  int os_avx512 = (xcr0 & 0xe6) == 0xe6;  /* plus opmask and ZMM state */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, vnni = (c >> 11) & 1;
  cpu->avx2_fma = avx && avx2 && fma && os_avx;
  cpu->avx512_vnni = avx512f && avx512bw && vnni && os_avx512;
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
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cpu.num_cores = cores >= 1 ? (int)(cores < 64 ? cores : 64) : 1;
  g_cpu = cpu;
}

const enet_cpu_info* enet_cpu(void) {
  pthread_once(&g_cpu_once, detect);
  return &g_cpu;
}

/* The best family this build has kernels for and this CPU runs. */
static enet_isa best_isa(const enet_cpu_info* cpu) {
#if defined(__x86_64__)
  if (cpu->avx2_fma) return ENET_ISA_AVX2;
  if (cpu->sse41) return ENET_ISA_SSE41;
#elif defined(__aarch64__)
  if (cpu->neon && cpu->neon_dot && cpu->i8mm) return ENET_ISA_I8MM;
  if (cpu->neon && cpu->neon_dot) return ENET_ISA_NEONDOT;
  if (cpu->neon) return ENET_ISA_NEON;
#elif defined(__ARM_NEON)
  if (cpu->neon) return ENET_ISA_NEON;
#endif
  (void)cpu;
  return ENET_ISA_REFERENCE;
}

static const struct {
  const char* name;
  enet_isa isa;
} isa_names[] = {
    {"reference", ENET_ISA_REFERENCE}, {"sse41", ENET_ISA_SSE41},     {"avx2", ENET_ISA_AVX2},
    {"neon", ENET_ISA_NEON},           {"neondot", ENET_ISA_NEONDOT}, {"i8mm", ENET_ISA_I8MM},
};

const char* enet_isa_name(enet_isa isa) {
  for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++)
    if (isa_names[i].isa == isa) return isa_names[i].name;
  return "unknown";
}

enet_isa enet_isa_selected(void) {
  enet_isa best = best_isa(enet_cpu());
  const char* want = getenv("EDGENET_KERNELS");
  if (!want || !*want || strcmp(want, "auto") == 0) return best;
  for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++) {
    enet_isa cap = isa_names[i].isa;
    if (strcmp(want, isa_names[i].name) != 0) continue;
    if (cap == ENET_ISA_REFERENCE) return cap;
    /* A cap from the other architecture's list, or above what the CPU has, changes nothing. */
    if (cap / 10 != best / 10 || cap >= best) return best;
    return cap;
  }
  return best; /* unknown value: ignore it rather than fail every model */
}
