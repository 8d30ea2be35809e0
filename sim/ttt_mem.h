/* ttt_mem — allocation of the large arrays (points, dictionary, copies).
 *
 * A fresh array is mapped page by page on first touch; on this kind of
 * virtual machine a 4 KiB page fault costs about 16 µs, so filling a 50 MB
 * array of features took 0.2 s (0.25 GB/s), a third of a default run.
 * Arrays of 256 KiB and more are therefore aligned to 2 MiB, rounded up to
 * whole 2 MiB pages, and offered to the kernel for transparent huge pages
 * (madvise; honoured when /sys/kernel/mm/transparent_hugepage/enabled is
 * "always" or "madvise"), one fault per 2 MiB: the same fill took 8 ms.  A
 * 256 KiB scratch array took 64 faults, about 1 ms, for one.  The price is
 * at most 2 MiB of address space per array.  Free with free(). */
#ifndef TTT_MEM_H
#define TTT_MEM_H

#include <stddef.h>

/* A transparent huge page: the unit in which large arrays are placed. */
#define TTT_MEM_HUGE_PAGE ((size_t)2 << 20)

/* n elements of size bytes each, uninitialised; NULL when out of memory
 * or when n * size overflows.  n = 0 gives a valid pointer. */
void *ttt_mem_alloc(size_t n, size_t size);

#endif
