/*
 * cpu.h — which SIMD instruction sets this CPU has, and which kernel family
 * the ops use. Features are detected once per process (cpu.c); the family is
 * chosen once per interpreter, at its creation, and kept in each op's context
 * (enet_op_context.isa), so no invoke reads the environment.
 */
#ifndef EDGENET_CPU_H
#define EDGENET_CPU_H

/* Kernel families in increasing order per architecture. An op uses the best
 * family the CPU supports, capped by the EDGENET_KERNELS environment variable. */
typedef enum enet_isa {
  ENET_ISA_REFERENCE = 0, /* portable C reference kernels (the oracle) */
  /* x86-64 */
  ENET_ISA_SSE41 = 10, /* floor of every x86-64 build */
  ENET_ISA_AVX2 = 11,  /* AVX2 + FMA3 */
  /* ARM (aarch64 and armv7) */
  ENET_ISA_NEON = 20,
  ENET_ISA_NEONDOT = 21, /* aarch64 + int8 dot product (sdot) */
  ENET_ISA_I8MM = 22,    /* aarch64 + int8 matrix multiply (smmla) */
} enet_isa;

typedef struct enet_cpu_info {
  int sse41, avx2_fma, avx512_vnni; /* x86-64 */
  int neon, neon_dot, i8mm;         /* ARM */
  int crc32c;                       /* a CRC32C instruction: x86 SSE4.2, aarch64 CRC extension */
  int num_cores;                    /* online logical cores, >= 1 */
} enet_cpu_info;

/* The CPU's features, detected on first use (thread-safe). */
const enet_cpu_info* enet_cpu(void);

/* The kernel family to use: the best the CPU has, capped by the EDGENET_KERNELS
 * environment variable:
 *   unset / "auto"            best available
 *   "reference"               reference kernels only (A/B tests)
 *   "sse41" "avx2" "neon" "neondot" "i8mm"   at most this family
 * Reads the environment, so it is called once per interpreter, by
 * enet_interpreter_create, which keeps the answer in every op's context
 * (enet_op_context.isa): prepare and invoke use that, never this. Tests switch
 * families between interpreters by setting the variable before creating one. */
enet_isa enet_isa_selected(void);
const char* enet_isa_name(enet_isa isa);

#endif /* EDGENET_CPU_H */
