/* ttt_kernel — single-precision products of many rows with a few vectors,
 * for the screens of the decoder (ttt_sparse) and of the neighbour search
 * (ttt_neighbours): out[j][c] = <u_j, x_c> for rows u_j of U (len floats
 * each, contiguous, read in place) and vectors x_c given as the columns of
 * Xt (len x ldw).  Each product is a chain of len fused multiply-adds in
 * order of the index, so within the rounding bound of any single-precision
 * dot product of len terms.  Where a BLAS sgemm would do the same it first
 * copies all of U into its own layout, as much memory traffic as the
 * product itself at these shapes.
 *
 * The kernel exists where TTT_KERNEL is defined (x86-64, GNU C, and not
 * TTT_PLAIN_C) and may be called where ttt_kernel_available() says the CPU
 * has AVX2 and FMA; elsewhere callers use BLAS. */
#ifndef TTT_KERNEL_H
#define TTT_KERNEL_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(TTT_PLAIN_C)
#define TTT_KERNEL 1
#endif

/* Xt's columns come in multiples of this (zeros past the vectors). */
#define TTT_KERNEL_PAD 8
/* Rows per call that keep its results (TTT_KERNEL_ROWS x ldw) in cache for
 * what reads them next; a multiple of the rows the kernel takes per pass. */
#define TTT_KERNEL_ROWS 192

/* n rounded up to TTT_KERNEL_PAD. */
size_t ttt_kernel_padded(size_t n);

/* 1 if ttt_kernel_rows can run here. */
int ttt_kernel_available(void);

/* The n rows of X (len floats each) as the columns of Xt (len x ldw), zero
 * past column n; returns ldw = ttt_kernel_padded(n). */
size_t ttt_kernel_columns(const float *X, size_t n, size_t len, float *Xt);

#ifdef TTT_KERNEL
/* out (rows x ldw, row stride ldw) = U (rows x len) Xt; ldw a multiple of
 * TTT_KERNEL_PAD. */
void ttt_kernel_rows(const float *U, size_t rows, size_t len, const float *Xt, size_t ldw, float *out);
#endif

#endif
