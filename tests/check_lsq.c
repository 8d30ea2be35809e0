/* ttt_lsq against an independent SVD pseudo-inverse and explicit solves. */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_ttt.h"
#include "ttt_kernel.h"
#include "ttt_lsq.h"
#include "ttt_rng.h"

/* A random rows x cols matrix of rank `rank` (product of Gaussian factors). */
static double *low_rank(gsl_rng *r, size_t rows, size_t cols, size_t rank)
{
    double *B = malloc(rows * rank * sizeof *B), *C = malloc(rank * cols * sizeof *C);
    double *X = calloc(rows * cols, sizeof *X);
    for (size_t i = 0; i < rows * rank; i++)
        B[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < rank * cols; i++)
        C[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t l = 0; l < rank; l++)
            for (size_t j = 0; j < cols; j++)
                X[i * cols + j] += B[i * rank + l] * C[l * cols + j];
    free(B);
    free(C);
    return X;
}

/* P = X^+ (cols x rows) by Golub-Reinsch SVD, singular values below
 * 1e-9 * largest dropped: an independent route to the same matrix. */
static double *svd_pinv(const double *X, size_t rows, size_t cols)
{
    int tall = rows >= cols;
    size_t M = tall ? rows : cols, N = tall ? cols : rows;
    gsl_matrix *U = gsl_matrix_alloc(M, N), *V = gsl_matrix_alloc(N, N);
    gsl_vector *S = gsl_vector_alloc(N), *work = gsl_vector_alloc(N);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            gsl_matrix_set(U, tall ? i : j, tall ? j : i, X[i * cols + j]);
    ck_assert_int_eq(gsl_linalg_SV_decomp(U, V, S, work), 0);
    double smax = gsl_vector_get(S, 0);
    double *P = calloc(cols * rows, sizeof *P);
    /* (U S V^T)^+ = V S^+ U^T; for the wide case X = V S U^T, X^+ = U S^+ V^T. */
    for (size_t l = 0; l < N; l++) {
        double sl = gsl_vector_get(S, l);
        if (sl <= 1e-9 * smax)
            continue;
        for (size_t i = 0; i < cols; i++)
            for (size_t j = 0; j < rows; j++) {
                double a = tall ? gsl_matrix_get(V, i, l) : gsl_matrix_get(U, i, l);
                double b = tall ? gsl_matrix_get(U, j, l) : gsl_matrix_get(V, j, l);
                P[i * rows + j] += a * b / sl;
            }
    }
    gsl_matrix_free(U);
    gsl_matrix_free(V);
    gsl_vector_free(S);
    gsl_vector_free(work);
    return P;
}

static const struct {
    size_t rows, cols, rank;
} shapes[] = {{10, 30, 4}, {30, 10, 4}, {20, 20, 20}, {50, 128, 18}, {200, 12, 12}, {7, 7, 1}};

START_TEST(test_min_distance_solution_equals_pseudo_inverse)
{
    const size_t rows = shapes[_i].rows, cols = shapes[_i].cols, rank = shapes[_i].rank;
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 7, TTT_STREAM_TOOLS, (uint64_t)_i);
    double *X = low_rank(r, rows, cols, rank), *P = svd_pinv(X, rows, cols);
    double *y = malloc(rows * sizeof *y), *v0 = malloc(cols * sizeof *v0), *res = malloc(rows * sizeof *res);
    double *delta = malloc(cols * sizeof *delta), *x = malloc(cols * sizeof *x);
    for (size_t i = 0; i < rows; i++)
        y[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t j = 0; j < cols; j++) {
        v0[j] = gsl_ran_gaussian(r, 1.0);
        x[j] = gsl_ran_gaussian(r, 1.0);
    }
    ttt_lsq_workspace *w = ttt_lsq_alloc(rows, cols);
    ck_assert_int_eq(ttt_lsq_factor(w, X, rows, cols, cols, 0.0, 1e-6), GSL_SUCCESS);
    ck_assert_uint_eq(ttt_lsq_rank(w), rank);
    /* Start at v0: v = v0 + X^+ (y - X v0) must equal v0 + P (y - X v0). */
    for (size_t i = 0; i < rows; i++) {
        res[i] = y[i];
        for (size_t j = 0; j < cols; j++)
            res[i] -= X[i * cols + j] * v0[j];
    }
    ttt_lsq_solve(w, res, delta);
    double scale = 0.0, lev = 0.0;
    for (size_t j = 0; j < cols; j++) {
        double ref = 0.0;
        for (size_t i = 0; i < rows; i++)
            ref += P[j * rows + i] * res[i];
        scale = fmax(scale, fabs(ref));
        ck_assert_msg(fabs(delta[j] - ref) <= 1e-8 * (1.0 + fabs(ref)), "delta[%zu] = %.17g, pinv %.17g", j,
                      delta[j], ref);
    }
    ck_assert(scale > 0.0);
    /* Leverage: ||P^T x||^2. */
    for (size_t i = 0; i < rows; i++) {
        double h = 0.0;
        for (size_t j = 0; j < cols; j++)
            h += P[j * rows + i] * x[j];
        lev += h * h;
    }
    double got = ttt_lsq_leverage(w, x);
    ck_assert_msg(fabs(got - lev) <= 1e-8 * lev, "leverage %.17g, pinv %.17g", got, lev);
    ttt_lsq_free(w);
    free(X);
    free(P);
    free(y);
    free(v0);
    free(res);
    free(delta);
    free(x);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_ridge_solves_regularised_normal_equations)
{
    const size_t rows = 15, cols = 9;
    const double ridge = 0.3;
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 8, TTT_STREAM_TOOLS, 0);
    for (int wide = 0; wide < 2; wide++) {
        size_t R = wide ? cols : rows, C = wide ? rows : cols;
        double *X = low_rank(r, R, C, 5), *y = malloc(R * sizeof *y), *delta = malloc(C * sizeof *delta);
        for (size_t i = 0; i < R; i++)
            y[i] = gsl_ran_gaussian(r, 1.0);
        ttt_lsq_workspace *w = ttt_lsq_alloc(R, C);
        ck_assert_int_eq(ttt_lsq_factor(w, X, R, C, C, ridge, 1e-6), GSL_SUCCESS);
        ttt_lsq_solve(w, y, delta);
        /* (X^T X + ridge I) delta must equal X^T y. */
        for (size_t j = 0; j < C; j++) {
            double lhs = ridge * delta[j], rhs = 0.0;
            for (size_t i = 0; i < R; i++) {
                double xv = 0.0;
                for (size_t l = 0; l < C; l++)
                    xv += X[i * C + l] * delta[l];
                lhs += X[i * C + j] * xv;
                rhs += X[i * C + j] * y[i];
            }
            ck_assert_double_eq_tol(lhs, rhs, 1e-10 * (1.0 + fabs(rhs)));
        }
        ttt_lsq_free(w);
        free(X);
        free(y);
        free(delta);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_psd_solve_is_pseudo_inverse)
{
    const size_t g = 12;
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 9, TTT_STREAM_TOOLS, 0);
    double *B = low_rank(r, g, g, 5), *G = calloc(g * g, sizeof *G), *b = malloc(g * sizeof *b);
    double *x = malloc(g * sizeof *x);
    for (size_t i = 0; i < g; i++)
        for (size_t j = 0; j < g; j++)
            for (size_t l = 0; l < g; l++)
                G[i * g + j] += B[i * g + l] * B[j * g + l];
    for (size_t i = 0; i < g; i++)
        b[i] = gsl_ran_gaussian(r, 1.0);
    double *P = svd_pinv(G, g, g);
    ttt_lsq_workspace *w = ttt_lsq_alloc(g, g);
    ck_assert_int_eq(ttt_lsq_psd_solve(w, G, g, b, 1e-6, x), GSL_SUCCESS);
    for (size_t i = 0; i < g; i++) {
        double ref = 0.0;
        for (size_t j = 0; j < g; j++)
            ref += P[i * g + j] * b[j];
        ck_assert_double_eq_tol(x[i], ref, 1e-8 * (1.0 + fabs(ref)));
    }
    ttt_lsq_free(w);
    free(B);
    free(G);
    free(b);
    free(x);
    free(P);
    gsl_rng_free(r);
}
END_TEST

/* The eigensolver at every order from 1 to 40, across ttt_lsq.c's switch
 * from its own small-order solver (up to order 32) to LAPACK's dsyevd: G^+ b
 * from ttt_lsq_psd_solve against the SVD pseudo-inverse, and the
 * conditioning ratio of ttt_lsq_factor_gram against GSL's eigenvalues, for
 * matrices that take each of the solver's paths: full rank, rank n/2 (exact
 * zeros the cut drops), diagonal with repeated values (nothing to reflect),
 * two eigenvalues 1e-10 apart, off-diagonal entries of 1e-20 (at once
 * negligible), full rank scaled by 1e120 (declined: dsyevd takes it; the
 * reference from the unscaled matrix, (c G)^+ = G^+ / c), and zero.  Tolerance: a backward stable eigensolver perturbs G by about
 * n eps ||G||, which moves G^+ b by at most kappa times that relative to
 * ||G^+ b||, kappa = the ratio of the largest kept singular value to the
 * smallest (from the SVD); 100 n eps kappa allows the constant. */
enum { EIG_FULL, EIG_HALF, EIG_DIAG, EIG_CLUSTER, EIG_TINY, EIG_HUGE, EIG_ZERO, EIG_KINDS };

static void eig_matrix(gsl_rng *r, size_t n, int kind, double *G)
{
    const size_t rank = kind == EIG_HALF ? (n + 1) / 2 : n;
    double *B = low_rank(r, n, n, rank);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0;
            for (size_t l = 0; l < n; l++)
                sum += B[i * n + l] * B[j * n + l];
            G[i * n + j] = kind == EIG_ZERO ? 0.0 : sum + (kind == EIG_HALF ? 0.0 : (i == j) * 1.0);
        }
    if (kind == EIG_DIAG || kind == EIG_TINY)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                G[i * n + j] = i == j ? 1.0 + (double)(i % 3) : kind == EIG_TINY ? 1e-20 : 0.0;
    if (kind == EIG_CLUSTER) { /* Q diag(1, 1 + 1e-10, 2, 3, ...) Q^T, Q from the QR of B */
        gsl_matrix *QR = gsl_matrix_alloc(n, n), *Q = gsl_matrix_alloc(n, n), *R = gsl_matrix_alloc(n, n);
        gsl_vector *tau = gsl_vector_alloc(n);
        for (size_t i = 0; i < n * n; i++)
            QR->data[i] = B[i];
        gsl_linalg_QR_decomp(QR, tau);
        gsl_linalg_QR_unpack(QR, tau, Q, R);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double sum = 0.0;
                for (size_t l = 0; l < n; l++)
                    sum += gsl_matrix_get(Q, i, l) * gsl_matrix_get(Q, j, l) *
                           (l == 0 ? 1.0 : l == 1 ? 1.0 + 1e-10 : (double)l);
                G[i * n + j] = sum;
            }
        gsl_matrix_free(QR);
        gsl_matrix_free(Q);
        gsl_matrix_free(R);
        gsl_vector_free(tau);
    }
    for (size_t i = 0; i < n; i++) /* exactly symmetric */
        for (size_t j = 0; j < i; j++)
            G[j * n + i] = G[i * n + j];
    free(B);
}

START_TEST(test_eigensolver_at_every_small_order)
{
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 11, TTT_STREAM_TOOLS, 0);
    for (size_t n = 1; n <= 40; n++)
        for (int kind = 0; kind < EIG_KINDS; kind++) {
            double *G = malloc(n * n * sizeof *G), *b = malloc(n * sizeof *b), *x = malloc(n * sizeof *x);
            eig_matrix(r, n, kind, G);
            for (size_t i = 0; i < n; i++)
                b[i] = gsl_ran_gaussian(r, 1.0);
            /* the reference: SVD pseudo-inverse, and kappa of its kept part */
            double *P = svd_pinv(G, n, n), smax = 0.0, smin = HUGE_VAL, ref2 = 0.0, err2 = 0.0;
            gsl_matrix *U = gsl_matrix_alloc(n, n), *V = gsl_matrix_alloc(n, n);
            gsl_vector *S = gsl_vector_alloc(n), *work = gsl_vector_alloc(n);
            memcpy(U->data, G, n * n * sizeof *G);
            gsl_linalg_SV_decomp(U, V, S, work);
            for (size_t l = 0; l < n; l++) {
                const double sl = gsl_vector_get(S, l);
                smax = fmax(smax, sl);
                if (sl > 1e-9 * gsl_vector_get(S, 0))
                    smin = fmin(smin, sl);
            }
            const double scale = kind == EIG_HUGE ? 1e120 : 1.0;
            double *Gs = malloc(n * n * sizeof *Gs);
            for (size_t i = 0; i < n * n; i++)
                Gs[i] = scale * G[i];
            ttt_lsq_workspace *w = ttt_lsq_alloc(n, n);
            ck_assert_int_eq(ttt_lsq_psd_solve(w, Gs, n, b, 1e-6, x), GSL_SUCCESS);
            for (size_t i = 0; i < n; i++) {
                double ref = 0.0;
                for (size_t j = 0; j < n; j++)
                    ref += P[i * n + j] * b[j] / scale;
                ref2 += ref * ref;
                err2 += (x[i] - ref) * (x[i] - ref);
            }
            const double kappa = smax > 0.0 ? smax / smin : 1.0, tol = 100.0 * (double)n * DBL_EPSILON * kappa;
            ck_assert_msg(sqrt(err2) <= tol * sqrt(ref2), "order %zu, kind %d: |x - G^+ b| = %g of |G^+ b|, above %g",
                          n, kind, sqrt(err2 / fmax(ref2, DBL_MIN)), tol);
            /* the eigenvalues, through the conditioning ratio lambda_min / mean */
            ck_assert_int_eq(ttt_lsq_factor_gram(w, Gs, n, 0.0, 1e-6), GSL_SUCCESS);
            double trace = 0.0;
            for (size_t l = 0; l < n; l++)
                trace += gsl_vector_get(S, l);
            const double ratio = kind == EIG_HALF && n > 1 ? 0.0 : smax > 0.0 ? smin / (trace / (double)n) : 0.0;
            ck_assert_msg(fabs(ttt_lsq_min_eigen_ratio(w) - ratio) <= tol * fmax(ratio, 1.0),
                          "order %zu, kind %d: lambda_min / mean %.17g, the SVD's %.17g", n, kind,
                          ttt_lsq_min_eigen_ratio(w), ratio);
            ck_assert_uint_eq(ttt_lsq_rank(w), kind == EIG_ZERO ? 0 : kind == EIG_HALF ? (n + 1) / 2 : n);
            ttt_lsq_free(w);
            gsl_matrix_free(U);
            gsl_matrix_free(V);
            gsl_vector_free(S);
            gsl_vector_free(work);
            free(G);
            free(Gs);
            free(b);
            free(x);
            free(P);
        }
    gsl_rng_free(r);
}
END_TEST

/* The Gram kernels against the loops of fma() they stand for, bit for bit
 * at both vector widths: for each shape (rows x cols) of X, drawn with a
 * row stride wider than its columns, kernel's G (order: cols or rows) is
 * compared entry by entry of its upper triangle with chain(X, a, b). */
typedef struct {
    const double *X;
    size_t rows, cols, ldx;
} gram_input;
typedef void (*gram_kernel)(const double *X, size_t rows, size_t cols, size_t ldx, double *G);

/* ttt_kernel_set_width where the kernels exist (without them no Gram
 * kernel fits, and the checker returns before it asks). */
static int kernel_width(int bits)
{
#ifdef TTT_KERNEL
    return ttt_kernel_set_width(bits);
#else
    return bits;
#endif
}
typedef double (*gram_chain)(const gram_input *in, size_t a, size_t b);

static void check_gram_kernel(const char *name, gram_kernel kernel, gram_chain chain, int by_rows,
                              const size_t sizes[][2], size_t nshapes, unsigned long seed)
{
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, seed, TTT_STREAM_TOOLS, 0);
    for (size_t sh = 0; sh < nshapes; sh++) {
        const size_t rows = sizes[sh][0], cols = sizes[sh][1], ldx = cols + 3, order = by_rows ? rows : cols;
        if (by_rows ? !ttt_kernel_rowgram_fits(rows, cols) : !ttt_kernel_gram_fits(cols))
            continue; /* no AVX2 and FMA here: the callers use dsyrk */
        double *X = malloc(rows * ldx * sizeof *X), *G = malloc(order * order * sizeof *G);
        for (size_t i = 0; i < rows * ldx; i++)
            X[i] = gsl_ran_gaussian(r, 1.0);
        const gram_input in = {X, rows, cols, ldx};
        for (int wide = 0; wide < 2; wide++) {
            const int was = kernel_width(wide ? 512 : 256);
            kernel(X, rows, cols, ldx, G);
            kernel_width(was);
            for (size_t a = 0; a < order; a++)
                for (size_t b = a; b < order; b++) {
                    const double want = chain(&in, a, b);
                    ck_assert_msg(G[a * order + b] == want, "%s, %zu x %zu, width %d: G[%zu][%zu] = %.17g, not %.17g",
                                  name, rows, cols, wide ? 512 : 256, a, b, G[a * order + b], want);
                }
        }
        free(X);
        free(G);
    }
    gsl_rng_free(r);
}

/* (X^T X)_ab: the chain of fused multiply-adds over the rows in order. */
static double column_chain(const gram_input *in, size_t a, size_t b)
{
    double chain = 0.0;
    for (size_t t = 0; t < in->rows; t++)
        chain = fma(in->X[t * in->ldx + a], in->X[t * in->ldx + b], chain);
    return chain;
}

/* (X X^T)_ab: eight chains (entry c in chain c mod 8 below the last
 * multiple of 8) added as ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 +
 * p7)), then the tail fused in order. */
static double row_chains(const gram_input *in, size_t a, size_t b)
{
    const double *xa = in->X + a * in->ldx, *xb = in->X + b * in->ldx;
    const size_t c8 = in->cols / 8 * 8;
    double p[8] = {0.0};
    for (size_t c = 0; c < c8; c++)
        p[c % 8] = fma(xa[c], xb[c], p[c % 8]);
    double sum = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
    for (size_t c = c8; c < in->cols; c++)
        sum = fma(xa[c], xb[c], sum);
    return sum;
}

/* The Gram kernel behind ttt_lsq_gram: column counts from 16 to
 * TTT_KERNEL_GRAM_MAX, row counts around its passes of 32 rows; and
 * ttt_lsq_gram, which adds blocks of TTT_LSQ_BLOCK_ROWS, equal to BLAS's
 * dsyrk to rounding (n eps ||x_i|| ||x_j|| for entry (i, j)). */
START_TEST(test_gram_kernel_is_the_fma_chain)
{
    static const size_t gram_shapes[][2] = {{1, 16}, {31, 32}, {32, 48}, {65, 128}, {300, 16}, {65, 256}, {33, 512}};
    check_gram_kernel("X^T X", ttt_kernel_gram, column_chain, 0, gram_shapes,
                      sizeof gram_shapes / sizeof gram_shapes[0], 13);
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 14, TTT_STREAM_TOOLS, 0);
    const size_t rows = 3 * TTT_LSQ_BLOCK_ROWS + 5, cols = 32;
    double *X = malloc(rows * cols * sizeof *X), *G = malloc(cols * cols * sizeof *G);
    double *H = malloc(cols * cols * sizeof *H);
    for (size_t i = 0; i < rows * cols; i++)
        X[i] = gsl_ran_gaussian(r, 1.0);
    ck_assert_int_eq(ttt_lsq_gram(X, rows, cols, cols, G), GSL_SUCCESS);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)cols, (int)rows, 1.0, X, (int)cols, 0.0, H, (int)cols);
    for (size_t i = 0; i < cols; i++)
        for (size_t j = i; j < cols; j++)
            ck_assert_double_eq_tol(G[i * cols + j], H[i * cols + j],
                                    (double)rows * DBL_EPSILON * sqrt(H[i * cols + i] * H[j * cols + j]));
    free(X);
    free(G);
    free(H);
    gsl_rng_free(r);
}
END_TEST

/* The row Gram kernel behind a neighbourhood's X X^T: row counts that
 * leave partial blocks of 4 and 2, column counts with and without a tail
 * past the last multiple of 8. */
START_TEST(test_row_gram_kernel_is_its_chains)
{
    static const size_t row_shapes[][2] = {{1, 8}, {2, 5}, {3, 17}, {7, 128}, {50, 128}, {33, 100}, {128, 64}};
    check_gram_kernel("X X^T", ttt_kernel_rowgram, row_chains, 1, row_shapes, sizeof row_shapes / sizeof row_shapes[0],
                      17);
}
END_TEST

/* rcond applies to singular values: with rcond = 1e-6 a direction with
 * singular value 1e-4 of the largest is kept (its eigenvalue in the Gram
 * matrix, 1e-8, is below rcond but above rcond^2) and one with 1e-7 is not,
 * in both the primal (rows >= cols) and the dual (rows < cols) factor. */
START_TEST(test_rank_threshold_is_on_singular_values)
{
    ttt_lsq_workspace *w = ttt_lsq_alloc(3, 3);
    ck_assert_ptr_nonnull(w);
    const double keep[9] = {1, 0, 0, 0, 1e-4, 0, 0, 0, 0};
    const double drop[9] = {1, 0, 0, 0, 1e-7, 0, 0, 0, 0};
    ck_assert_int_eq(ttt_lsq_factor(w, keep, 3, 2, 3, 0.0, 1e-6), 0); /* primal: 3 x 2 */
    ck_assert_uint_eq(ttt_lsq_rank(w), 2);
    ck_assert_int_eq(ttt_lsq_factor(w, keep, 2, 3, 3, 0.0, 1e-6), 0); /* dual: 2 x 3 */
    ck_assert_uint_eq(ttt_lsq_rank(w), 2);
    ck_assert_int_eq(ttt_lsq_factor(w, drop, 3, 2, 3, 0.0, 1e-6), 0);
    ck_assert_uint_eq(ttt_lsq_rank(w), 1);
    ck_assert_int_eq(ttt_lsq_factor(w, drop, 2, 3, 3, 0.0, 1e-6), 0);
    ck_assert_uint_eq(ttt_lsq_rank(w), 1);
    ttt_lsq_free(w);
}
END_TEST

START_TEST(test_oversized_system_is_refused)
{
    /* The largest order allowed has a dsyevd workspace LAPACK's int can count; one more has not. */
    ck_assert_uint_le(ttt_lsq_eigen_work(TTT_LSQ_MAX_ORDER), (size_t)INT_MAX);
    ck_assert_uint_gt(ttt_lsq_eigen_work(TTT_LSQ_MAX_ORDER + 1), (size_t)INT_MAX);
    ck_assert_ptr_null(ttt_lsq_alloc(TTT_LSQ_MAX_ORDER + 1, TTT_LSQ_MAX_ORDER + 1));
    double X[12] = {0};
    ttt_lsq_workspace *w = ttt_lsq_alloc(2, 3);
    ck_assert_int_eq(ttt_lsq_factor(w, X, 3, 4, 4, 0.0, 1e-6), GSL_EBADLEN);
    ck_assert_int_eq(ttt_lsq_factor(w, X, 0, 3, 3, 0.0, 1e-6), GSL_EBADLEN);
    ck_assert_int_eq(ttt_lsq_psd_solve(w, X, 3, X, 1e-6, X), GSL_EBADLEN);
    /* The zero matrix has rank 0 and gives the zero solution. */
    double y[2] = {1.0, 2.0}, d[3] = {5, 5, 5};
    ck_assert_int_eq(ttt_lsq_factor(w, X, 2, 3, 3, 0.0, 1e-6), GSL_SUCCESS);
    ck_assert_uint_eq(ttt_lsq_rank(w), 0);
    ttt_lsq_solve(w, y, d);
    ck_assert(d[0] == 0.0 && d[1] == 0.0 && d[2] == 0.0);
    ttt_lsq_free(w);
    ttt_lsq_free(NULL);
}
END_TEST

Suite *make_lsq_suite(void)
{
    Suite *s = suite_create("lsq");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds; under ASan the eigensolver's and kernels' loops take several */
    tcase_add_loop_test(core, test_min_distance_solution_equals_pseudo_inverse, 0,
                        (int)(sizeof shapes / sizeof shapes[0]));
    tcase_add_test(core, test_ridge_solves_regularised_normal_equations);
    tcase_add_test(core, test_psd_solve_is_pseudo_inverse);
    tcase_add_test(core, test_eigensolver_at_every_small_order);
    tcase_add_test(core, test_gram_kernel_is_the_fma_chain);
    tcase_add_test(core, test_row_gram_kernel_is_its_chains);
    tcase_add_test(core, test_rank_threshold_is_on_singular_values);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_oversized_system_is_refused);
    suite_add_tcase(s, limits);
    return s;
}
