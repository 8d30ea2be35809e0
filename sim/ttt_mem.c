/* ttt_mem — see ttt_mem.h. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "ttt_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_FROM ((size_t)256 << 10)

void *ttt_mem_alloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < HUGE_FROM)
        return malloc(bytes ? bytes : 1);
    if (bytes > SIZE_MAX - TTT_MEM_HUGE_PAGE)
        return NULL;
    bytes = (bytes + TTT_MEM_HUGE_PAGE - 1) / TTT_MEM_HUGE_PAGE * TTT_MEM_HUGE_PAGE; /* whole pages, none shared */
    void *p = NULL;
    if (posix_memalign(&p, TTT_MEM_HUGE_PAGE, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* advice: where refused, 4 KiB pages as before */
#endif
    return p;
}
