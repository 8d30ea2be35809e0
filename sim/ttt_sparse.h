/* ttt_sparse — sparse regression and sparse coding (docs/MODEL.md section 2):
 *
 *   ttt_sparse_lasso   Lasso by cyclic coordinate descent,
 *                      argmin_w (1/(2k)) ||y - X w||^2 + lambda ||w||_1
 *                      (the scikit-learn / glmnet objective, unstandardised X)
 *   ttt_sparse_omp     orthogonal matching pursuit for regression (an l0 method)
 *   ttt_decoder        sparse coding of features against the dictionary A:
 *                      batch OMP with one GEMM of correlations per block of
 *                      points and the Gram matrix A A^T for the updates
 *
 * The local fits are small (k rows, |S| columns); the decoder is the only
 * heavy part and is parallel over blocks of points. */
#ifndef TTT_SPARSE_H
#define TTT_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Points per block of the decoder: one GEMM of correlations per block. */
#define TTT_DECODE_BLOCK 64
/* Largest d1 for which the decoder keeps the d1 x d1 Gram matrix A A^T
 * (4096^2 doubles = 128 MiB); above it, Gram rows are computed per point. */
#define TTT_DECODE_GRAM_MAX_D1 4096

typedef struct ttt_sparse_workspace ttt_sparse_workspace;

/* Workspace for problems of at most max_rows x max_cols; NULL when out of memory. */
ttt_sparse_workspace *ttt_sparse_alloc(size_t max_rows, size_t max_cols);
void ttt_sparse_free(ttt_sparse_workspace *w);

/* Lasso on X (rows x cols, row-major, row stride ldx) and y (rows).  w (cols)
 * is the start on input (zeros for a cold start) and the solution on output.
 * Coordinate descent sweeps all columns until the largest violation of the
 * KKT conditions, |g_j - lambda sign(w_j)| for w_j != 0 and
 * max(0, |g_j| - lambda) for w_j = 0 with g = X^T (y - X w) / rows, is at most
 * tol * max(lambda_max, lambda), lambda_max = ||X^T y||_inf / rows, or until
 * max_sweeps.  *sweeps (may be NULL) gets the sweeps used.  Returns
 * GSL_SUCCESS, GSL_EMAXITER (w then holds the last iterate), or GSL_EBADLEN
 * when the sizes exceed the workspace. */
int ttt_sparse_lasso(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                     const double *y, double lambda, double tol, size_t max_sweeps, double *w,
                     size_t *sweeps);

/* The largest KKT violation of w for the Lasso problem above (as defined
 * there, unscaled).  For the tests and for callers that want to report it. */
double ttt_sparse_lasso_kkt(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                            const double *y, double lambda, const double *w);

/* Orthogonal matching pursuit: repeatedly adds the column j with the largest
 * |<X_j, r>| / ||X_j|| for the residual r of the least-squares fit on the
 * columns chosen so far, and stops when that largest value is at most
 * threshold, after max_atoms columns, or when every remaining column lies in
 * the span of the chosen ones (its part orthogonal to them is at most
 * rcond ||X_j||).  w (cols) gets the least-squares coefficients on the chosen
 * columns and zeros elsewhere, and *chosen the number of columns chosen.
 * GSL_SUCCESS, or GSL_EBADLEN when the sizes exceed the workspace. */
int ttt_sparse_omp(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                   const double *y, double threshold, size_t max_atoms, double rcond, double *w, size_t *chosen);

/* A sparse coder for one dictionary.  A is d1 x d2 row-major (row j is atom
 * j, as in ttt_instance) and is borrowed: it must outlive the decoder. */
typedef struct ttt_decoder ttt_decoder;

/* Prepares the decoder (the Gram matrix A A^T when d1 <= TTT_DECODE_GRAM_MAX_D1).
 * NULL when out of memory. */
ttt_decoder *ttt_decoder_alloc(const double *A, size_t d1, size_t d2);
void ttt_decoder_free(ttt_decoder *dec);

/* Decodes the feature vectors psi[rows[i]] (psi is a set of d2-vectors,
 * row-major; rows lists npts of them) into codes of at most q atoms by OMP
 * against A: greedy atom choice by |<a_j, r>| / ||a_j||, least-squares
 * coefficients on the chosen atoms, stopping after q atoms or when
 * ||r|| <= tol ||psi||.  The code of psi[rows[i]] goes to idx and val at
 * offset rows[i] * q, atoms in increasing order, unused slots idx = -1 and
 * val = 0.  Runs in parallel over blocks of TTT_DECODE_BLOCK points; the
 * result does not depend on the number of threads.  Returns GSL_SUCCESS or
 * GSL_ENOMEM. */
int ttt_decoder_run(const ttt_decoder *dec, const double *psi, const size_t *rows, size_t npts, size_t q,
                    double tol, int32_t *idx, double *val);

#endif
