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
#include <stdint.h>
#include <string.h>

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

/* Gram matrices in double precision: G (cols x cols, row-major) = X^T X
 * for X (rows x cols, row stride ldx), each entry of the upper triangle the
 * chain of rows fused multiply-adds in order of the row (the bits of the
 * scalar loop with fma(), at either width); entries below the diagonal are
 * left with whatever the tiles put there (callers read the upper
 * triangle).  What a BLAS dsyrk does at these shapes, n x 128 from blocks
 * of 1024 rows, without its copies of X into its own layout: OpenBLAS
 * spent 40% of the global fit's Gram time in them.  For the column counts
 * ttt_kernel_gram_fits accepts (multiples of 16 up to
 * TTT_KERNEL_GRAM_MAX: where the tiles' rows stay in cache), where the CPU
 * has AVX2 and FMA. */
#define TTT_KERNEL_GRAM_MAX 512
int ttt_kernel_gram_fits(size_t cols);
/* Only where ttt_kernel_gram_fits(cols) (without TTT_KERNEL it never does). */
void ttt_kernel_gram(const double *X, size_t rows, size_t cols, size_t ldx, double *G);

/* Row Gram matrices: G (rows x rows, row-major) = X X^T for X (rows x
 * cols, row stride ldx), the upper triangle only (below it G is not
 * written): each product <x_a, x_b> in eight partial sums of fused
 * multiply-adds in order of the index, added in a fixed tree, then the
 * entries past the last multiple of 8 (the bits at either width).  A
 * neighbourhood's X X^T (50 x 128 at the defaults) took BLAS's dsyrk 13.6
 * us, mostly copying X; for rows up to TTT_KERNEL_ROWGRAM_MAX and X within
 * a cache's reach (ttt_kernel_rowgram_fits), where the CPU has AVX2 and
 * FMA. */
#define TTT_KERNEL_ROWGRAM_MAX 128
int ttt_kernel_rowgram_fits(size_t rows, size_t cols);
/* Only where ttt_kernel_rowgram_fits(rows, cols). */
void ttt_kernel_rowgram(const double *X, size_t rows, size_t cols, size_t ldx, double *G);

/* 1 if ttt_kernel_rows_bf16 can use the CPU's AMX tiles here (AMX-BF16,
 * and Linux gave this process the tiles; asked once); never without
 * TTT_KERNEL. */
int ttt_kernel_amx_available(void);

/* For the tests and the bench: on = 0 keeps ttt_kernel_rows_bf16 off the
 * tiles (the vectors' bits), 1 lets it use them where it can.  Returns
 * whether it used them before the call. */
int ttt_kernel_use_amx(int on);

#ifdef TTT_KERNEL
/* out (rows x ldw, row stride ldw) = U (rows x len) Xt; ldw a multiple of
 * TTT_KERNEL_PAD.  In vectors of 16 where the CPU has AVX-512F, else of
 * 8: the same results bit for bit. */
void ttt_kernel_rows(const float *U, size_t rows, size_t len, const float *Xt, size_t ldw, float *out);

/* The vector width of ttt_kernel_rows and ttt_kernel_rows_bf16 from now
 * on: 256 or 512 (bits; 512 only where the CPU has AVX-512F, else the call
 * changes nothing).  Returns the width before.  For tests: both widths
 * give the same results, which they check. */
int ttt_kernel_set_width(int bits);

/* Products in bfloat16 (8 significant bits, the exponent range of a
 * float): twice as many per cycle as ttt_kernel_rows where the CPU has
 * AVX512-BF16, for bounds that can afford their error. */

/* 1 if ttt_kernel_rows_bf16 can run here (AVX512-BF16 and AVX512-VL). */
int ttt_kernel_bf16_available(void);

/* x rounded to bfloat16 (to nearest, ties to even; x finite and below
 * 2^127 in size), as a float. */
float ttt_kernel_bf16(float x);

/* Entry k of bfloat16 pairs (as ttt_kernel_bf16_pairs packs them), as a
 * float; inline, for loops over every entry. */
static inline float ttt_kernel_bf16_entry(const uint32_t *pairs, size_t k)
{
    const uint32_t bits = (pairs[k / 2] >> (16 * (k % 2))) << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* The len floats of x rounded to bfloat16 (to nearest, ties to even; x
 * finite and below 2^127 in size), two to a word: entry 2i in the low half
 * of out[i], a zero after the last entry when len is odd ((len + 1) / 2
 * words). */
void ttt_kernel_bf16_pairs(const float *x, size_t len, uint32_t *out);

/* As ttt_kernel_columns, in bfloat16 pairs: the n rows of X (len floats
 * each) rounded as by ttt_kernel_bf16_pairs, row i's pairs as column i of
 * Xt2 ((len + 1) / 2 x ldw words), zero past column n; returns ldw =
 * ttt_kernel_padded(n). */
size_t ttt_kernel_columns_bf16(const float *X, size_t n, size_t len, uint32_t *Xt2);

/* out (rows x ldw) = U2 Xt2 for rows of len2 bfloat16 pairs (U2 row j: the
 * pairs of a row, as ttt_kernel_bf16_pairs gives them): each product the
 * 2 len2 exact products of its pairs added in single precision (VDPBF16PS:
 * to nearest, denormal inputs and results flushed to zero), so within
 * 2 len2 FLT_EPSILON / 2 of their sum of magnitudes, plus 2 len2 FLT_MIN,
 * where no entry is below FLT_MIN in size (a subnormal entry counts as 0;
 * the decoder's are entries of unit vectors rounded to bfloat16, whose
 * subnormal ones it may lose: at most 2^-126 each).  Where the CPU has AMX
 * tiles (ttt_kernel_amx_available) and len2 is a multiple of 16, the
 * blocks of 16 rows by 16 columns are taken on them: the same bound, the
 * sums in another order (other bits than the vectors'). */
void ttt_kernel_rows_bf16(const uint32_t *U2, size_t rows, size_t len2, const uint32_t *Xt2, size_t ldw, float *out);
#endif

#endif
