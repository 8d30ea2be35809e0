/* ttt_lsq — minimum-distance least squares for possibly rank-deficient
 * systems, the solver behind the global head and every local (TTT) fit.
 *
 * For X (rows x cols) and a residual r it computes
 *     delta = argmin ||r - X delta||^2 + ridge ||delta||^2,
 * and, when ridge = 0, the one of minimum norm: delta = X^+ r.  A fit that
 * starts at v0 solves with r = y - X v0 and returns v0 + delta, the solution
 * nearest to v0 (where gradient descent from v0 converges).
 *
 * Method: the eigendecomposition of the smaller Gram matrix, X^T X (cols x
 * cols) when rows >= cols (the global fit: n >> d2) or X X^T (rows x rows)
 * when rows < cols (a TTT neighbourhood: k < d2), solved by LAPACK's dsyevd
 * (through LAPACKE, on OpenBLAS) above order 32, and below it by
 * Householder tridiagonalisation and implicit QL in ttt_lsq.c (dsyevd's
 * overhead dominates there).  A neighbourhood's X X^T has rank about
 * |S|, well below k: it is first reduced by a pivoted Cholesky factor
 * (dpstrf) to an eigenproblem of the order of its rank (ttt_lsq.c,
 * dual_factor).  Either way it gives the same X^+ as an SVD of X.  Its price is
 * that singular values below about sqrt(eps) * sigma_max cannot be told from
 * zero; that is why rcond (on singular values, compared after squaring) must
 * stay well above 1e-8.  The default 1e-6 separates the exact zeros of a
 * rank-deficient neighbourhood (|S| < k directions), which land near
 * eps * sigma_max^2 in the Gram matrix, from the true directions, whose
 * singular values are of the order of the code magnitudes. */
#ifndef TTT_LSQ_H
#define TTT_LSQ_H

#include <stddef.h>

typedef struct ttt_lsq_workspace ttt_lsq_workspace;

/* Largest Gram matrix order: dsyevd's workspace, 1 + 6g + 2g^2 doubles, is
 * counted in LAPACK's 32-bit int (2147418109 at 32766; at 32767 it is
 * 2147549181, over INT_MAX). */
#define TTT_LSQ_MAX_ORDER 32766

/* A workspace for systems of at most max_rows x max_cols; NULL if out of
 * memory or min(max_rows, max_cols) > TTT_LSQ_MAX_ORDER.  Allocate once,
 * factor many times.  It holds about 4 g^2 + 8 g + 3 max(max_rows, max_cols)
 * doubles, g = min(max_rows, max_cols) (the Gram matrix, its eigenvectors
 * and dsyevd's workspace), and 3 + 6 g integers. */
ttt_lsq_workspace *ttt_lsq_alloc(size_t max_rows, size_t max_cols);
void ttt_lsq_free(ttt_lsq_workspace *w);

/* Doubles of dsyevd workspace for a Gram matrix of order g. */
size_t ttt_lsq_eigen_work(size_t g);

/* Factors X (rows x cols, row-major with row stride ldx).  X is borrowed: it
 * must stay unchanged until the last solve or leverage on this factor.
 * Returns GSL_SUCCESS, GSL_EBADLEN if the sizes exceed the workspace, or the
 * eigensolver's status. */
int ttt_lsq_factor(ttt_lsq_workspace *w, const double *X, size_t rows, size_t cols, size_t ldx,
                   double ridge, double rcond);

/* delta (cols) = the minimum-norm minimiser for residual r (rows).  Returns
 * GSL_SUCCESS, or GSL_ENOMEM from the blocked reduction of a long system. */
int ttt_lsq_solve(ttt_lsq_workspace *w, const double *r, double *delta);

/* ||(X^+)^T x||^2 for a point x (cols): the variance of the prediction <x, delta>
 * per unit of noise variance in r (with ridge, of the ridge solution). */
double ttt_lsq_leverage(ttt_lsq_workspace *w, const double *x);

/* Conditioning of the last factor's columns: the smallest eigenvalue of X^T X
 * over the mean one (1 for orthogonal columns of equal norm; 0 when rows <
 * cols, where X^T X is singular, when X is zero, or when its rank is short:
 * an eigenvalue at or below rcond^2 times the largest is a rounded zero). */
double ttt_lsq_min_eigen_ratio(const ttt_lsq_workspace *w);

/* Numerical rank of the last factor: singular values above rcond * largest. */
size_t ttt_lsq_rank(const ttt_lsq_workspace *w);

/* x = G^+ b for a symmetric positive semidefinite G (g x g, row-major, read
 * only), eigenvalues below rcond^2 * largest treated as zero.  Uses w's
 * eigen buffers, so g must be at most min(max_rows, max_cols). */
int ttt_lsq_psd_solve(ttt_lsq_workspace *w, const double *G, size_t g, const double *b, double rcond,
                      double *x);

/* G (cols x cols, full symmetric) = X^T X for X (rows x cols, row stride ldx),
 * and out (cols) = X^T r.  Long reductions are cut into fixed blocks of rows
 * added in order, so the bits do not depend on the number of threads.
 * Return GSL_SUCCESS or GSL_ENOMEM. */
int ttt_lsq_gram(const double *X, size_t rows, size_t cols, size_t ldx, double *G);
int ttt_lsq_xtr(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *out);

/* Streaming: adds the blocks of X (rows x cols) to G (the upper triangle of
 * X^T X so far, cols x cols) and X^T r to xtr, first = 1 for the first rows.
 * Called on consecutive tiles of a tall X whose lengths are multiples of
 * TTT_LSQ_BLOCK_ROWS (the last excepted), it adds the same blocks in the
 * same order as ttt_lsq_gram and ttt_lsq_xtr on the whole X: same bits. */
#define TTT_LSQ_BLOCK_ROWS 1024
int ttt_lsq_gram_add(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *G,
                     double *xtr, int first);

/* Factors from G = X^T X (its upper triangle, as ttt_lsq_gram_add leaves
 * it) instead of X: ttt_lsq_factor without the rows. */
int ttt_lsq_factor_gram(ttt_lsq_workspace *w, const double *G, size_t cols, double ridge, double rcond);

/* The solve of ttt_lsq_solve given X^T r (cols) instead of r; for a factor
 * with rows >= cols, or one from ttt_lsq_factor_gram. */
void ttt_lsq_solve_xtr(ttt_lsq_workspace *w, const double *xtr, double *delta);

#endif
