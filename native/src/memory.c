/* memory.c — the large blocks of a run: packed weights, the activation arena, the shared scratch
 * (enet_big_alloc, declared in portable.h). */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* madvise and MADV_HUGEPAGE, which _POSIX_C_SOURCE alone hides */
#include <sys/mman.h>
#endif

#include "portable.h"

/* On Linux a block of 2 MB or more starts on a 2 MB boundary and asks for transparent huge pages
 * over its whole 2 MB pages (a hint: the kernel may refuse, and nothing depends on it). Packed
 * weights and activations are walked on every run; in 4 KB pages a MobileNetV3-small's 12 MB is
 * about as many pages as the CPU's second-level TLB holds, and after the process sleeps each
 * one costs a page walk again. */
void* enet_big_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const size_t huge = (size_t)2 << 20;
  if (bytes >= huge) {
    void* block = enet_aligned_alloc(huge, bytes);
    if (block) (void)madvise(block, bytes / huge * huge, MADV_HUGEPAGE);
    return block;
  }
#endif
  return enet_aligned_alloc(64, bytes ? bytes : 64);
}
