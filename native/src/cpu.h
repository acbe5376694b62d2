/*
 * cpu.h — which SIMD instruction sets this CPU has, and which kernel family
 * the ops use. Features are detected once per process (cpu.c); the family is
 * chosen once per interpreter, at its creation, and kept in each op's context
 * (enet_op_context.isa), so no invoke reads the environment.
 */
#ifndef EDGENET_CPU_H
#define EDGENET_CPU_H

/* Kernel families. Within an architecture each family needs a set of CPU features
 * (enet_isa_supported); the families are not a total order on x86: AVX512 (F/BW/VL/DQ,
 * no VNNI, e.g. Skylake-X) and AVXVNNI (AVX2 + the VEX-encoded VNNI, no AVX-512, e.g.
 * Alder Lake) are incomparable, so "this CPU runs family f" is a predicate. A family
 * without its own kernel for an op uses the family below it (the name reported by
 * the profiler is that of the kernel that runs, e.g. "f32-gemm-6x16-avx2"). */
typedef enum enet_isa {
  ENET_ISA_REFERENCE = 0, /* portable C reference kernels (the oracle) */
  /* x86-64 */
  ENET_ISA_SSE41 = 10,      /* floor of every x86-64 build */
  ENET_ISA_AVX2 = 11,       /* AVX2 + FMA3 */
  ENET_ISA_AVXVNNI = 12,    /* AVX2 + FMA3 + AVX-VNNI (vpdpbusd on ymm, VEX encoded) */
  ENET_ISA_AVX512 = 13,     /* AVX2 + FMA3 + AVX-512 F/BW/VL/DQ */
  ENET_ISA_AVX512VNNI = 14, /* AVX512 + AVX512-VNNI (vpdpbusd on zmm) */
  /* ARM (aarch64 and armv7) */
  ENET_ISA_NEON = 20,
  ENET_ISA_NEONDOT = 21, /* aarch64 + int8 dot product (sdot) */
  ENET_ISA_I8MM = 22,    /* aarch64 + int8 matrix multiply (smmla) */
} enet_isa;

typedef struct enet_cpu_info {
  /* x86-64, each with the OS saving the registers it needs (XCR0) */
  int sse41, avx2_fma;
  int avx512;      /* AVX-512 F, BW, VL and DQ; XCR0 opmask + ZMM state */
  int avx512_vnni; /* avx512 and AVX512-VNNI */
  int avx_vnni;    /* avx2_fma and AVX-VNNI (CPUID 7.1 EAX bit 4) */
  int neon, neon_dot, i8mm;         /* ARM */
  int crc32c;                       /* a CRC32C instruction: x86 SSE4.2, aarch64 CRC extension */
  int num_cores;                    /* online logical cores, >= 1 */
  int emulated;                     /* 1: a test build whose AVX-512 / VNNI kernels run through SIMDe */
} enet_cpu_info;

/* The CPU's features, detected on first use (thread-safe). */
const enet_cpu_info* enet_cpu(void);

/* 1 when this build has kernels for `isa` and this CPU runs them (REFERENCE: always). */
int enet_isa_supported(enet_isa isa);

/* The kernel family to use: the best the CPU has, or the one forced by the
 * environment variable EDGENET_ISA (the older name EDGENET_KERNELS is read when
 * EDGENET_ISA is unset):
 *   unset / "auto"            best available
 *   "reference"               reference kernels only (A/B tests)
 *   "sse41" "avx2" "avxvnni" "avx512" "avx512vnni" "neon" "neondot" "i8mm"
 *                             that family when the CPU runs it, else the best family the CPU
 *                             runs whose features are a subset of it (values for the other
 *                             architecture, and unknown values, change nothing)
 * Reads the environment, so it is called once per interpreter, by
 * enet_interpreter_create, which keeps the answer in every op's context
 * (enet_op_context.isa): prepare and invoke use that, never this. Tests switch
 * families between interpreters by setting the variable before creating one. */
enet_isa enet_isa_selected(void);
/* The family named `name` as in EDGENET_ISA; 0 for an unknown name (sets *isa otherwise). */
int enet_isa_from_name(const char* name, enet_isa* isa);
const char* enet_isa_name(enet_isa isa);

#endif /* EDGENET_CPU_H */
