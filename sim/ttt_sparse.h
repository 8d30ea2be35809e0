/* ttt_sparse — sparse regression and sparse coding (docs/MODEL.md section 2):
 *
 *   ttt_sparse_lasso   Lasso by cyclic coordinate descent, finished exactly
 *                      on its support (ttt_sparse_lasso_finish),
 *                      argmin_w (1/(2k)) ||y - X w||^2 + lambda ||w||_1
 *                      (the scikit-learn / glmnet objective, unstandardised X)
 *   ttt_sparse_omp     orthogonal matching pursuit for regression (an l0 method)
 *   ttt_decoder        sparse coding of features against the dictionary A:
 *                      OMP on blocks of points, screened in single precision
 *                      and decided in double (below)
 *
 * The local fits are small (k rows, |S| columns); the decoder is the only
 * heavy part and is parallel over blocks of points.
 *
 * The decoder.  OMP's step picks argmax_j |<a_j, r>| / ||a_j||; for d1
 * atoms that is d1 d2 work per step done plainly.  Here single-precision
 * scores find the candidates, each score within a bound E of the exact
 * value (rounding bounds of its dot products, with a factor 2 to spare),
 * and only the atoms within 2E of the best are evaluated in double from
 * the residual (a lone candidate needs no comparison: it is taken when its
 * score is far enough from 0 that its correlation cannot round to 0); the
 * coefficients come from the inverse of a Cholesky factor in double, kept
 * and extended a row per atom (take_atom).  So the atoms are
 * OMP's in double, whatever the blocks, their order or the number of
 * threads, and no d1 x d1 Gram matrix is formed.  A block (up to
 * TTT_DECODE_BLOCK points, consecutive, a labelled group kept together) is
 * decoded one of two ways:
 *   - through a basis, when the block's features span few directions
 *     (rank r at most d2 / 4 and B d2 / (B + d2), found by pivoted
 *     Gram-Schmidt, which gives the points' coordinates too; points that
 *     share atoms, as neighbourhoods of one topic do, span the directions
 *     of their atoms): the atoms' coordinates W_j on the basis by a
 *     product (d1 r d2; one pass over the atoms for the bases of a few
 *     consecutive blocks; in bfloat16 where the CPU has AVX512-BF16, on
 *     its AMX tiles where it has those too, the first scan's atoms then
 *     again in single precision), sorted by a
 *     bound on their norm; a step scores the atoms in that order and stops
 *     when ||W_j|| ||z|| (z the residual's coordinates) can no longer reach
 *     the best, so it looks at a few dozen atoms, not d1; each score's
 *     error bound (larger for the bfloat16 coordinates) decides which
 *     atoms are candidates.  A point that takes an atom off the span is
 *     decoded again directly, with others like it;
 *   - directly otherwise: the correlations of all points by one GEMM
 *     (B d1 d2), updated through the Gram rows of the atoms chosen in the
 *     block, which one GEMM per round computes for the atoms new to it.
 * Memory per thread: about 4 B d1 (the direct correlations) + 4 d1 bytes
 * per basis vector of a batch of blocks (the atoms' coordinates, the
 * columns padded to a multiple of 8, within TTT_DECODE_BATCH_BYTES where
 * one block's fit) + 8 B q^2 bytes, and the Gram rows of a direct
 * block as they are needed (4 d1 bytes each, at most B q); the decoder
 * holds ttt_decoder_bytes: 4 d1 d2 + 16 d1 bytes (single-precision unit
 * atoms, norms), and 2 d1 d2 more for the bfloat16 copy where it is used. */
#ifndef TTT_SPARSE_H
#define TTT_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Points per block of the decoder: they share one basis, or one GEMM of
 * correlations and the Gram rows of their atoms.  A labelled group larger
 * than this is cut into pieces, and each piece of a basis block pays for
 * its own basis, d1 r d2 multiply-adds.  256 keeps the defaults' topics whole
 * (the largest has 179 points): 220 blocks with 3535 basis vectors in all,
 * where 128 made 254 blocks with 4041. */
#define TTT_DECODE_BLOCK 256
/* Bound on the per-thread state of a block, about B (q (8 q + 4 d1) + 4 d1)
 * bytes: fewer points per block when q or d1 is large.  A build may set a
 * smaller one (make check-decoder does, for blocks of odd sizes). */
#ifndef TTT_DECODE_BLOCK_BYTES
#define TTT_DECODE_BLOCK_BYTES ((size_t)256 << 20)
#endif
/* Bound on the atoms' coordinates on the bases of a batch of blocks (per
 * thread): fewer blocks per batch when d1 is large. */
#define TTT_DECODE_BATCH_BYTES ((size_t)8 << 20)

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
 * max_sweeps; the exact minimiser on the support replaces the iterate
 * where its KKT violation is at rounding level (ttt_sparse_lasso_finish).
 * *sweeps (may be NULL) gets the sweeps used.  Returns GSL_SUCCESS,
 * GSL_EMAXITER (w then holds the last iterate), or GSL_EBADLEN when the
 * sizes exceed the workspace. */
int ttt_sparse_lasso(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                     const double *y, double lambda, double tol, size_t max_sweeps, double *w,
                     size_t *sweeps);

/* Whether ttt_sparse_lasso finishes exactly (on, the default): after two
 * sweeps that change no coefficient's sign (nor which are zero), or once
 * the iterate meets the tolerance, the exact minimiser with those signs
 * (least squares on the support, shifted by the penalty, by QR) is taken
 * when its KKT violation is at rounding level (at most 1e-12 of
 * max(lambda_max, lambda), and within tol): the result is then the
 * minimiser to rounding rather than wherever coordinate descent crossed
 * the tolerance; otherwise it is coordinate descent's.  Off: coordinate
 * descent alone (the tests compare it bit for bit with one written on the
 * BLAS). */
void ttt_sparse_lasso_finish(ttt_sparse_workspace *ws, int on);

/* Whether the Lasso and OMP read a design that is mostly zeros (at most one
 * entry in 32 nonzero, as the codes' designs are at large k) through its
 * nonzero entries alone (on, the default): the same results to the bit as
 * through the dense columns (off), at the cost of the nonzeros instead of
 * rows x cols per pass (a solve whose residual turns non-finite is run
 * again on the dense columns).  Off is for the tests that compare the two;
 * ttt_sparse_read_sparse says whether the last solve (ttt_sparse_lasso,
 * ttt_sparse_lasso_kkt or ttt_sparse_omp) read the nonzero entries alone. */
void ttt_sparse_use_sparse(ttt_sparse_workspace *ws, int on);
int ttt_sparse_read_sparse(const ttt_sparse_workspace *ws);

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

/* Prepares the decoder: the atom norms and a single-precision copy of the
 * atoms scaled to unit norm (4 d1 d2 bytes), and where the CPU has
 * AVX512-BF16 a bfloat16 copy too (2 d1 d2 bytes more).  NULL when out of
 * memory. */
ttt_decoder *ttt_decoder_alloc(const double *A, size_t d1, size_t d2);

/* The bytes ttt_decoder_alloc takes for d1 atoms of dimension d2, here. */
double ttt_decoder_bytes(size_t d1, size_t d2);
void ttt_decoder_free(ttt_decoder *dec);

/* The atoms' coordinates on the decoder's bases come from its own kernel
 * where the CPU has AVX2 and FMA, else from BLAS; on = 1 asks for BLAS (for
 * the tests: the codes are the same either way). */
void ttt_decoder_use_blas(ttt_decoder *dec, int on);

/* With its kernel, the decoder sorts the atoms for each basis by keys
 * from bfloat16 products where the CPU has them (half the time of single
 * precision in vectors, about a ninth of that on AMX tiles; each key's
 * error enters the bounds), scores the first scan's
 * atoms from single-precision coordinates and the others from the
 * bfloat16 ones (their error enters the screening's bound); on = 0 asks for
 * keys from the single-precision coordinates of all atoms (for the tests:
 * the codes are the same either way). */
void ttt_decoder_use_bf16(ttt_decoder *dec, int on);

/* For the tests: the bound the decoder takes on ||W~_j - W_j|| for every
 * atom j on an orthonormal basis Y (rank x d2, rows orthonormal), W_j = Y
 * u_j the exact coordinates of the unit atom u_j and W~_j those its
 * bfloat16 kernel computes from the atom and the rows rounded to float,
 * then to bfloat16; 0 where it does not use bfloat16 (or rank = 0), -1
 * when out of memory. */
double ttt_decoder_key_slack(const ttt_decoder *dec, const double *Y, size_t rank);

/* Decodes npts feature vectors (point i is the d2-vector pts[i]) into codes
 * of at most q atoms by OMP against A: greedy atom choice by
 * |<a_j, r>| / ||a_j|| (ties to the smaller j), least-squares coefficients
 * on the chosen atoms, stopping after q atoms, when ||r|| <= tol ||psi||,
 * when the best atom is one already chosen, when it is dependent on them
 * (then dropped), or after d2 atoms (they span the space, as in
 * ttt_sparse_omp).  A tol below about 1e-7 asks for a residual energy
 * below its rounding: a point whose code is exact then stops there or goes
 * on, taking atoms that fit rounding, as rounding decides (ttt stops such
 * points at q, their number of atoms).  The code of point i goes to idx
 * and val at offset i q, atoms in increasing order, unused slots idx = -1
 * and val = 0.
 * group (npts, or NULL) labels the points: runs of one label are kept in
 * one block where they fit (see TTT_DECODE_BLOCK; points that share atoms
 * are cheaper together).  Runs in parallel over the blocks; the result
 * depends on neither the number of threads nor the order or grouping of
 * the points.  Returns GSL_SUCCESS or GSL_ENOMEM. */
int ttt_decoder_run(const ttt_decoder *dec, const double *const *pts, const size_t *group, size_t npts, size_t q,
                    double tol, int32_t *idx, double *val);

/* The most memory one thread of ttt_decoder_run can touch for atoms of
 * dimension d2, d1 of them, and codes of q atoms: its buffers, the Gram
 * rows of a direct block's atoms (4 d1 bytes each, at most q a point) and
 * the atoms' coordinates on a basis (for the memory estimate of a run). */
size_t ttt_decoder_thread_bytes(size_t d1, size_t d2, size_t q);

#endif
