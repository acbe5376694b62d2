/*
 * checksum.h — CRC32C (Castagnoli), the checksum of a model file (format version 2).
 *
 * A v2 file ends with an 8-byte trailer: the CRC32C of every byte before the
 * trailer (little-endian uint32), then the tag "ECRC". The loader verifies it
 * unless the caller opts out (ENET_LOAD_SKIP_CHECKSUM). The Python writer and
 * checker are edgenet/integrity.py.
 */
#ifndef EDGENET_CHECKSUM_H
#define EDGENET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#define ENET_CHECKSUM_TRAILER_SIZE 8
#define ENET_CHECKSUM_TAG "ECRC"

/* CRC32C of `size` bytes (reflected polynomial 0x82F63B78, init and final xor
 * 0xFFFFFFFF; crc32c("123456789") == 0xE3069283). Uses the CPU's CRC32C
 * instruction when it has one (x86 SSE4.2, aarch64 CRC extension; detected at
 * run time, enet_cpu()->crc32c), else enet_crc32c_portable. */
uint32_t enet_crc32c(const void* data, size_t size);
/* The table-driven version every CPU runs; the oracle for the hardware path. */
uint32_t enet_crc32c_portable(const void* data, size_t size);

#endif /* EDGENET_CHECKSUM_H */
