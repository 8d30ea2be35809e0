/* ttt_lsq — see ttt_lsq.h for the method and its numerical limits. */
#include "ttt_lsq.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <lapacke.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ttt_kernel.h"
#include "ttt_mem.h"

/* Rows per block of the blocked reductions over long matrices. */
#define BLOCK_ROWS TTT_LSQ_BLOCK_ROWS

/* True inside an active parallel region, where the OpenMP build of OpenBLAS
 * runs every call on the calling thread alone. */
static int in_parallel(void)
{
#ifdef _OPENMP
    return omp_in_parallel();
#else
    return 1;
#endif
}

/* One block of rows: the upper triangle of X^T X (cols x cols) into G (by
 * ttt_kernel_gram where it fits, else BLAS dsyrk) and
 * X^T r (cols) into xtr, each when not NULL: the second reads the rows
 * while the first has left them in cache. */
static void reduce_block(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *G,
                         double *xtr)
{
    if (G && ttt_kernel_gram_fits(cols))
        ttt_kernel_gram(X, rows, cols, ldx, G);
    else if (G)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)cols, (int)rows, 1.0, X, (int)ldx, 0.0, G,
                    (int)cols);
    if (xtr)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)rows, (int)cols, 1.0, X, (int)ldx, r, 1, 0.0, xtr, 1);
}

/* Determinism: a BLAS that splits a long reduction (the n rows of a Gram
 * matrix, say) among its threads sums in an order that depends on their
 * number.  So reductions over rows are cut here into fixed blocks, each block
 * reduced by one thread with a single-threaded BLAS call, and the block
 * results added in block order.  Whatever the thread count, same bits.  The
 * blocks go in groups of four per thread, so the scratch holds a group, not
 * every block (n = 1e7 rows of 128 would need 1.3 GB).  G (upper triangle)
 * and xtr as in reduce_block, added to unless first; the two sums are
 * separate, so taking them in one pass gives the bits of two. */
static int reduce_rows_add(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *G,
                           double *xtr, int first)
{
    if (rows <= BLOCK_ROWS && in_parallel() && first) {
        reduce_block(X, rows, cols, ldx, r, G, xtr);
        return GSL_SUCCESS;
    }
    const size_t nb = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS, lg = G ? cols * cols : 0, len = lg + (xtr ? cols : 0);
#ifdef _OPENMP
    const size_t nt = in_parallel() ? 1 : (size_t)omp_get_max_threads();
#else
    const size_t nt = 1;
#endif
    const size_t group = nb < 4 * nt ? nb : 4 * nt;
    double *part = ttt_mem_alloc(group * len, sizeof *part);
    if (!part)
        GSL_ERROR("no memory for a blocked reduction", GSL_ENOMEM);
    for (size_t g0 = 0; g0 < nb; g0 += group) {
        const size_t gn = nb - g0 < group ? nb - g0 : group;
        const int fresh = first && g0 == 0; /* the sums start at block 0, not at G and xtr */
#pragma omp parallel
        {
#pragma omp for schedule(static)
            for (size_t b = 0; b < gn; b++) {
                size_t r0 = (g0 + b) * BLOCK_ROWS, nr = rows - r0 < BLOCK_ROWS ? rows - r0 : BLOCK_ROWS;
                double *pb = part + b * len;
                reduce_block(X + r0 * ldx, nr, cols, ldx, xtr ? r + r0 : NULL, G ? pb : NULL,
                             xtr ? pb + lg : NULL);
            }
            /* each entry its blocks added in block order (the bits of one
             * thread adding them), the entries shared among the threads */
#pragma omp for schedule(static)
            for (size_t i = 0; i < len; i++) {
                double *to = i < lg ? G + i : xtr + (i - lg);
                double sum = fresh ? part[i] : *to;
                for (size_t b = fresh; b < gn; b++)
                    sum += part[b * len + i];
                *to = sum;
            }
        }
    }
    free(part);
    return GSL_SUCCESS;
}

/* The lower triangle of the n x n row-major A from its upper one. */
static void mirror_upper(double *A, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            A[i * n + j] = A[j * n + i];
}

int ttt_lsq_gram_add(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *G,
                     double *xtr, int first)
{
    return reduce_rows_add(X, rows, cols, ldx, r, G, xtr, first);
}

int ttt_lsq_gram(const double *X, size_t rows, size_t cols, size_t ldx, double *G)
{
    int status = reduce_rows_add(X, rows, cols, ldx, NULL, G, NULL, 1);
    if (!status)
        mirror_upper(G, cols);
    return status;
}

int ttt_lsq_xtr(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double *out)
{
    return reduce_rows_add(X, rows, cols, ldx, r, NULL, out, 1);
}

struct ttt_lsq_workspace {
    size_t max_rows, max_cols, max_g;
    double *G;      /* g x g Gram matrix, overwritten by the eigensolver */
    double *E;      /* ne x g eigenvectors, one per row (E[i*g..]: the i-th) */
    double *lambda; /* ne eigenvalues, ascending */
    double *omega;  /* ne weights 1 / (lambda + ridge) of kept directions, else 0 */
    double *t1, *t2;/* scratch, max(max_rows, max_cols) each */
    double *work;   /* dsyevd's workspace for order max_g: 1 + 6g + 2g^2 */
    lapack_int *iwork; /* 3 + 5g integers for dsyevd, then g pivots of dpstrf */
    /* the current factor */
    const double *X;
    size_t rows, cols, ldx, g, rank;
    size_t ne;      /* eigenvectors in E: g, or the rank for a dual factor */
    int dual;       /* 1: G = X X^T (rows < cols); 0: G = X^T X */
    int chol;       /* a dual factor kept as L (G's buffer), its pivots and the Cholesky factor of
                       M = L^T L (E's buffer): every direction kept (dual_factor) */
};

ttt_lsq_workspace *ttt_lsq_alloc(size_t max_rows, size_t max_cols)
{
    ttt_lsq_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t g = max_rows < max_cols ? max_rows : max_cols;
    size_t v = max_rows > max_cols ? max_rows : max_cols;
    if (g == 0)
        g = 1;
    w->max_rows = max_rows;
    w->max_cols = max_cols;
    w->max_g = g;
    if (g > TTT_LSQ_MAX_ORDER) { /* dsyevd's workspace would overflow LAPACK's int */
        free(w);
        return NULL;
    }
    w->G = ttt_mem_alloc(g * g, sizeof *w->G);
    w->E = ttt_mem_alloc(g * g, sizeof *w->E);
    w->lambda = malloc(g * sizeof *w->lambda);
    w->omega = malloc(g * sizeof *w->omega);
    w->t1 = ttt_mem_alloc(v + 1, sizeof *w->t1);
    w->t2 = ttt_mem_alloc(v + 1, sizeof *w->t2);
    w->work = ttt_mem_alloc(ttt_lsq_eigen_work(g), sizeof *w->work);
    w->iwork = malloc((3 + 6 * g) * sizeof *w->iwork);
    if (!w->G || !w->E || !w->lambda || !w->omega || !w->t1 || !w->t2 || !w->work || !w->iwork) {
        ttt_lsq_free(w);
        return NULL;
    }
    return w;
}

void ttt_lsq_free(ttt_lsq_workspace *w)
{
    if (!w)
        return;
    free(w->G);
    free(w->E);
    free(w->lambda);
    free(w->omega);
    free(w->t1);
    free(w->t2);
    free(w->work);
    free(w->iwork);
    free(w);
}

size_t ttt_lsq_eigen_work(size_t g)
{
    return 1 + 6 * g + 2 * g * g;
}

/* LAPACK on the caller's thread: dsyevd and dpstrf reduce with BLAS-2 and
 * BLAS-3 calls, which OpenBLAS would split among threads outside a parallel
 * region, summing in an order that depends on their number. */
static int lapack_threads_begin(void)
{
#ifdef _OPENMP
    if (!omp_in_parallel()) {
        const int saved = omp_get_max_threads();
        omp_set_num_threads(1);
        return saved;
    }
#endif
    return 0;
}

static void lapack_threads_end(int saved)
{
#ifdef _OPENMP
    if (saved)
        omp_set_num_threads(saved);
#else
    (void)saved;
#endif
}

/* The eigenvalues of directions kept: omega and rank from lambda (ne
 * entries), directions with lambda <= rcond^2 * lambda_max given weight 0. */
static void keep_directions(ttt_lsq_workspace *w, double ridge, double rcond)
{
    double lmax = 0.0;
    for (size_t i = 0; i < w->ne; i++)
        if (w->lambda[i] > lmax)
            lmax = w->lambda[i];
    const double cut = rcond * rcond * lmax;
    w->rank = 0;
    for (size_t i = 0; i < w->ne; i++) {
        if (lmax > 0.0 && w->lambda[i] > cut) {
            w->omega[i] = 1.0 / (w->lambda[i] + ridge);
            w->rank++;
        } else {
            w->omega[i] = 0.0;
        }
    }
}

/* Householder reduction of the symmetric a (order n, row-major, both
 * triangles) to tridiagonal form: diagonal d, off-diagonal e (e[i] couples
 * i and i + 1), and z (n x n) = Q^T for a = Q T Q^T.  Step k reflects the
 * entries of row k beyond k + 1 into row k's entry at k + 1, and leaves its
 * vector in row k beyond the diagonal, its 2 / (v^T v) in beta[k] (0: no
 * reflection).  The trailing block is updated whole, both triangles, each
 * entry from the same products in the same order as its mirror: it stays
 * symmetric bit for bit.  p: n doubles of scratch. */
static void tridiagonalise(double *a, size_t n, double *d, double *e, double *beta, double *z, double *p)
{
    for (size_t k = 0; k + 2 < n; k++) {
        double *v = a + k * n + k + 1, *S = v + n;
        const size_t m = n - k - 1;
        double tail = 0.0;
        for (size_t j = 1; j < m; j++)
            tail += v[j] * v[j];
        d[k] = a[k * n + k];
        beta[k] = 0.0;
        if (tail == 0.0) { /* already tridiagonal in this row */
            e[k] = v[0];
            continue;
        }
        const double x0 = v[0], alpha = -copysign(sqrt(x0 * x0 + tail), x0);
        v[0] = x0 - alpha; /* no cancellation: x0 and -alpha have one sign */
        const double b = 2.0 / (tail + v[0] * v[0]);
        e[k] = alpha;
        beta[k] = b;
        /* S <- H S H with H = I - b v v^T: p = b S v, p -= (b/2)(v^T p) v,
         * S -= v p^T + p v^T */
        double vp = 0.0;
        for (size_t i = 0; i < m; i++) {
            double sum = 0.0;
            for (size_t j = 0; j < m; j++)
                sum += S[i * n + j] * v[j];
            p[i] = b * sum;
            vp += v[i] * p[i];
        }
        const double half = 0.5 * b * vp;
        for (size_t i = 0; i < m; i++)
            p[i] -= half * v[i];
        for (size_t i = 0; i < m; i++) {
            double *restrict Si = S + i * n;
            const double vi = v[i], pi = p[i];
#pragma omp simd
            for (size_t j = 0; j < m; j++)
                Si[j] -= vi * p[j] + pi * v[j];
        }
    }
    if (n >= 2) {
        d[n - 2] = a[(n - 2) * n + n - 2];
        e[n - 2] = a[(n - 2) * n + n - 1];
    }
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 1] = 0.0;
    /* Q^T = H_{n-3} ... H_1 H_0, built from the identity by multiplying
     * H_k on the right for k = n - 3 down to 0; H_k changes columns k + 1
     * on, and only in rows k + 1 on (the rows above are still the
     * identity's, zero there). */
    memset(z, 0, n * n * sizeof *z);
    for (size_t i = 0; i < n; i++)
        z[i * n + i] = 1.0;
    for (size_t k = n > 2 ? n - 2 : 0; k-- > 0;) {
        const double *v = a + k * n + k + 1, b = beta[k];
        const size_t m = n - k - 1;
        if (b == 0.0)
            continue;
        for (size_t r = k + 1; r < n; r++) {
            double *restrict zr = z + r * n + k + 1, dot = 0.0;
            for (size_t j = 0; j < m; j++)
                dot += zr[j] * v[j];
            dot *= b;
#pragma omp simd
            for (size_t j = 0; j < m; j++)
                zr[j] -= dot * v[j];
        }
    }
}

/* Implicit QL with Wilkinson's shift on the tridiagonal (d, e) of order n,
 * each rotation applied to two rows of z, whose rows become the
 * eigenvectors of d's final values.  An off-diagonal entry at or below eps
 * times the norm of T counts as zero: the same size of perturbation as the
 * reduction's own rounding.  Returns -1 if some eigenvalue takes more than
 * SMALL_EIGEN_ITER iterations. */
#define SMALL_EIGEN_ITER 60
static int tridiagonal_ql(double *d, double *e, size_t n, double *z)
{
    double norm = 0.0;
    for (size_t i = 0; i < n; i++)
        norm = fmax(norm, fabs(d[i]) + fabs(e[i]) + (i ? fabs(e[i - 1]) : 0.0));
    const double tol = DBL_EPSILON * norm;
    for (size_t l = 0; l < n; l++) {
        for (int iter = 0;; iter++) {
            size_t m = l; /* the first negligible e[m] from l on: T splits below row m */
            while (m + 1 < n && fabs(e[m]) > tol)
                m++;
            if (m == l)
                break;
            if (iter == SMALL_EIGEN_ITER)
                return -1;
            /* the shift: the eigenvalue of T's leading 2 x 2 block at l nearer d[l] */
            double g = (d[l + 1] - d[l]) / (2.0 * e[l]), r = sqrt(g * g + 1.0);
            g = d[m] - d[l] + e[l] / (g + copysign(r, g));
            double s = 1.0, c = 1.0, p = 0.0;
            int split = 0;
            /* chase the bulge from row m up to row l, one rotation of rows
             * i and i + 1 at a time */
            for (size_t i = m; i-- > l;) {
                const double f = s * e[i], b = c * e[i];
                r = sqrt(f * f + g * g);
                e[i + 1] = r;
                if (r == 0.0) { /* underflow: T splits at i + 1; start again from l */
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    split = 1;
                    break;
                }
                const double inv = 1.0 / r;
                s = f * inv;
                c = g * inv;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                double *restrict zi = z + i * n, *restrict zn = zi + n;
#pragma omp simd
                for (size_t t = 0; t < n; t++) {
                    const double x = zi[t], y = zn[t];
                    zn[t] = s * x + c * y;
                    zi[t] = c * x - s * y;
                }
            }
            if (split)
                continue;
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    return 0;
}

/* The symmetric eigenproblem of small order (up to SMALL_EIGEN_ORDER) by
 * Householder tridiagonalisation and implicit QL, both above: at the
 * orders of a neighbourhood's fit (|S| about 17 at the defaults) LAPACK's
 * dsyevd spends most of its time in the overhead of its many calls (19 us
 * at order 17 against 9 us here, make bench's machine), and its result is
 * the same to rounding: eigenvalues within a few eps of the largest, as
 * dsyevd's.  a (order n, row-major, its lower triangle read, as dsyevd
 * reads it) is overwritten by the eigenvectors as rows, eigenvalues
 * ascending in lambda.  Returns -1, a untouched, for what it does not take
 * (an entry not finite or beyond 1e100 in size, where its unscaled sums of
 * squares could overflow, or no convergence): dsyevd takes those.  work:
 * 3 n + n^2 doubles. */
#define SMALL_EIGEN_ORDER 32
static int small_eigen(double *a, size_t n, double *lambda, double *work)
{
    double *e = work, *beta = work + n, *p = work + 2 * n, *z = work + 3 * n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            if (!(fabs(a[i * n + j]) <= 1e100))
                return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            a[j * n + i] = a[i * n + j];
    tridiagonalise(a, n, lambda, e, beta, z, p);
    if (tridiagonal_ql(lambda, e, n, z))
        return -1;
    /* ascending: a selection sort of the values, carrying their rows */
    for (size_t i = 0; i < n; i++) {
        size_t low = i;
        for (size_t j = i + 1; j < n; j++)
            low = lambda[j] < lambda[low] ? j : low;
        const double t = lambda[i];
        lambda[i] = lambda[low];
        lambda[low] = t;
        memcpy(a + i * n, z + low * n, n * sizeof *a);
        if (low != i)
            memcpy(z + low * n, z + i * n, n * sizeof *z);
    }
    return 0;
}

/* The symmetric a (order g, row-major = column-major, its lower triangle
 * read), eigenvectors over a as rows, eigenvalues ascending in lambda:
 * small_eigen up to SMALL_EIGEN_ORDER, else (or where it declines) LAPACK's
 * dsyevd. */
static int symmetric_eigen(ttt_lsq_workspace *w, double *a, size_t g, double *lambda)
{
    if (g <= SMALL_EIGEN_ORDER) {
        double *copy = w->work + 3 * g + g * g; /* for dsyevd, should small_eigen decline */
        memcpy(copy, a, g * g * sizeof *a);
        if (small_eigen(a, g, lambda, w->work) == 0)
            return GSL_SUCCESS;
        memcpy(a, copy, g * g * sizeof *a);
    }
    const int saved = lapack_threads_begin();
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)g, a, (lapack_int)g, lambda,
                                          w->work, (lapack_int)ttt_lsq_eigen_work(g), w->iwork,
                                          (lapack_int)(3 + 5 * g));
    lapack_threads_end(saved);
    if (info != 0)
        GSL_ERROR("the symmetric eigensolver (LAPACK dsyevd) did not converge", GSL_EMAXITER);
    return GSL_SUCCESS;
}

/* Eigendecomposition of the symmetric w->G (g x g) by symmetric_eigen
 * (LAPACK's dsyevd, divide and conquer, 40-80x faster than GSL's QR-based
 * solver from g = 256 up; small_eigen up to order 32); sets lambda, E,
 * omega and rank.  Directions with lambda <= rcond^2 * lambda_max get
 * weight 0. */
static int eigen_factor(ttt_lsq_workspace *w, size_t g, double ridge, double rcond)
{
    /* G is symmetric, so its row-major array is also its column-major one;
     * the eigenvectors come back as columns of a column-major array, that
     * is as rows of the row-major one: E. */
    int status = symmetric_eigen(w, w->G, g, w->lambda);
    if (status)
        return status;
    double *eigenvectors = w->G; /* G's buffer now holds E: swap, no copy */
    w->G = w->E;
    w->E = eigenvectors;
    w->g = w->ne = g;
    keep_directions(w, ridge, rcond);
    return GSL_SUCCESS;
}

/* The lower Cholesky factor of the symmetric a (order n, row-major, its
 * lower triangle read) in place, less shift on the diagonal: 0, or -1 if a
 * pivot is not positive (a - shift I not positive definite, to rounding). */
static int cholesky(double *a, size_t n, double shift)
{
    for (size_t j = 0; j < n; j++) {
        double d = a[j * n + j] - shift;
        for (size_t t = 0; t < j; t++)
            d -= a[j * n + t] * a[j * n + t];
        if (!(d > 0.0))
            return -1;
        const double root = sqrt(d);
        a[j * n + j] = root;
        for (size_t i = j + 1; i < n; i++) {
            double sum = a[i * n + j];
            for (size_t t = 0; t < j; t++)
                sum -= a[i * n + t] * a[j * n + t];
            a[i * n + j] = sum / root;
        }
    }
    return 0;
}

/* x <- M^{-1} x for M = R R^T, R (order n, row-major, lower) from
 * cholesky; with half, x <- R^{-1} x only. */
static void cholesky_solve(const double *R, size_t n, double *x, int half)
{
    for (size_t i = 0; i < n; i++) {
        double sum = x[i];
        for (size_t t = 0; t < i; t++)
            sum -= R[i * n + t] * x[t];
        x[i] = sum / R[i * n + i];
    }
    for (size_t i = n; !half && i-- > 0;) {
        double sum = x[i];
        for (size_t t = i + 1; t < n; t++)
            sum -= R[t * n + i] * x[t];
        x[i] = sum / R[i * n + i];
    }
}

/* Whether the eigendecomposition would keep every direction of the
 * symmetric positive definite M (order r): lambda_min > rcond^2
 * lambda_max, which holds when M - 2 rcond^2 trace(M) I has a Cholesky
 * factor (lambda_max <= trace; the factor 2 keeps a direction near the cut,
 * where rounding decides, for the eigendecomposition).  If so M is
 * replaced by its own Cholesky factor, for the solves.  scratch: r^2
 * doubles. */
static int all_kept(double *M, size_t r, double rcond, double *scratch)
{
    double trace = 0.0;
    for (size_t i = 0; i < r; i++)
        trace += M[i * r + i];
    memcpy(scratch, M, r * r * sizeof *M);
    if (!(trace > 0.0) || cholesky(scratch, r, 2.0 * rcond * rcond * trace) != 0)
        return 0;
    return cholesky(M, r, 0.0) == 0;
}

/* The same for a dual Gram matrix G = X X^T of a neighbourhood, whose rank
 * is about |S|, well below its order k: LAPACK's pivoted Cholesky (dpstrf)
 * gives P^T G P = L L^T with L of r columns, r the rank at dpstrf's own
 * tolerance (k eps max G_ii, far below the cut rcond^2 lambda_max); the
 * nonzero eigenvalues of G are those of the r x r matrix M = L^T L = V
 * Lambda V^T, and its eigenvectors the columns of P L V Lambda^(-1/2).  So
 * the eigensolve is of order r, not k.  What dpstrf leaves out, a trailing
 * block of trace at most (k - r) k eps max G_ii, changes no direction kept:
 * its eigenvalues are rounded zeros, which the cut would drop.  E holds the
 * r eigenvectors (ne = r), the dropped directions being exact zeros of
 * X^T u.  Only the upper triangle of the row-major G is read.
 *
 * Where no direction is cut and there is no ridge (the usual
 * neighbourhood: r = |S| independent directions well above the cut), the
 * eigendecomposition of M is not needed: G^+ = P L M^{-2} L^T P^T, and the
 * leverage of a point t = X x is w^T M^{-3} w with w = L^T P^T t, from
 * M's Cholesky factor (chol; the same numbers to rounding, without the
 * eigensolve's 9 us at order 17). */
static int dual_factor(ttt_lsq_workspace *w, size_t g, double ridge, double rcond)
{
    lapack_int *piv = w->iwork + 3 + 5 * g, rank = 0;
    const int saved = lapack_threads_begin();
    /* Column-major lower factor: column j of L is row j of the row-major
     * array, from its diagonal entry on. */
    lapack_int info = LAPACKE_dpstrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)g, w->G, (lapack_int)g, piv, &rank,
                                          -1.0, w->work);
    lapack_threads_end(saved);
    if (info < 0)
        GSL_ERROR("the pivoted Cholesky factorisation (LAPACK dpstrf) refused its arguments", GSL_EINVAL);
    const size_t r = (size_t)rank;
    double *L = w->G, *M = w->E, *T = w->work;
    for (size_t j = 0; j < r; j++)
        memset(L + j * g, 0, j * sizeof *L); /* above the diagonal: whatever G's buffer held */
    if (r > 0) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)r, (int)g, 1.0, L, (int)g, 0.0, M, (int)r);
        mirror_upper(M, r);
        if (ridge == 0.0 && all_kept(M, r, rcond, T)) { /* L, piv and M's factor are the factor */
            w->chol = 1;
            w->g = g;
            w->ne = w->rank = r;
            return GSL_SUCCESS;
        }
        int status = symmetric_eigen(w, M, r, w->lambda);
        if (status)
            return status;
        /* row e of T = V_e^T L^T, the e-th eigenvector of P^T G P unscaled */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)g, (int)r, 1.0, M, (int)r, L, (int)g,
                    0.0, T, (int)g);
    }
    double *E = w->G; /* L is spent: E's rows go into its buffer */
    for (size_t e = 0; e < r; e++) {
        const double scale = w->lambda[e] > 0.0 ? 1.0 / sqrt(w->lambda[e]) : 0.0;
        for (size_t i = 0; i < g; i++)
            E[e * g + (size_t)piv[i] - 1] = scale * T[e * g + i];
    }
    w->G = w->E;
    w->E = E;
    w->g = g;
    w->ne = r;
    keep_directions(w, ridge, rcond);
    return GSL_SUCCESS;
}

int ttt_lsq_factor(ttt_lsq_workspace *w, const double *X, size_t rows, size_t cols, size_t ldx,
                   double ridge, double rcond)
{
    if (rows > w->max_rows || cols > w->max_cols || rows == 0 || cols == 0)
        GSL_ERROR("system larger than the workspace or empty", GSL_EBADLEN);
    w->X = X;
    w->rows = rows;
    w->cols = cols;
    w->ldx = ldx;
    w->dual = rows < cols;
    w->chol = 0;
    size_t g = w->dual ? rows : cols;
    if (w->dual) { /* rows < cols: short, and the caller's thread does it */
        /* the upper triangle, row-major: the lower one, column-major, which
         * is all dual_factor's dpstrf reads */
        if (ttt_kernel_rowgram_fits(g, cols))
            ttt_kernel_rowgram(X, g, cols, ldx, w->G);
        else
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)g, (int)cols, 1.0, X, (int)ldx, 0.0, w->G,
                        (int)g);
    } else {
        int status = ttt_lsq_gram(X, rows, cols, ldx, w->G);
        if (status)
            return status;
    }
    return w->dual ? dual_factor(w, g, ridge, rcond) : eigen_factor(w, g, ridge, rcond);
}

int ttt_lsq_factor_gram(ttt_lsq_workspace *w, const double *G, size_t cols, double ridge, double rcond)
{
    if (cols > w->max_g || cols == 0)
        GSL_ERROR("system larger than the workspace or empty", GSL_EBADLEN);
    w->X = NULL;
    w->rows = w->cols = cols;
    w->ldx = cols;
    w->dual = 0;
    w->chol = 0;
    for (size_t i = 0; i < cols; i++) /* G holds its upper triangle (ttt_lsq_gram_add) */
        for (size_t j = 0; j <= i; j++)
            w->G[i * cols + j] = w->G[j * cols + i] = G[j * cols + i];
    return eigen_factor(w, cols, ridge, rcond);
}

/* c = E x (ne entries from g): coordinates in the eigenbasis. */
static void project(const ttt_lsq_workspace *w, const double *x, double *c)
{
    /* On the caller's thread, as LAPACK: OpenBLAS splits these products
     * among 3 threads in an order of its own (the global head differed in
     * the last bits with threads=3, not with 1, 2 or 4). */
    const int saved = lapack_threads_begin();
    if (w->ne > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)w->ne, (int)w->g, 1.0, w->E, (int)w->g, x, 1, 0.0, c, 1);
    lapack_threads_end(saved);
}

/* out = E^T c (g entries from ne): back from the eigenbasis. */
static void unproject(const ttt_lsq_workspace *w, const double *c, double *out)
{
    const int saved = lapack_threads_begin();
    if (w->ne > 0)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)w->ne, (int)w->g, 1.0, w->E, (int)w->g, c, 1, 0.0, out, 1);
    else
        memset(out, 0, w->g * sizeof *out);
    lapack_threads_end(saved);
}

/* For a chol factor: c (r) = L^T P^T t for t (g), and back, u (g) = P L c:
 * row e of the array in G's buffer is column e of L (zero above the
 * diagonal), and (P^T t)_i = t_{piv_i}. */
static void chol_apply(const ttt_lsq_workspace *w, const double *t, double *c)
{
    const lapack_int *piv = w->iwork + 3 + 5 * w->g;
    for (size_t e = 0; e < w->ne; e++) {
        const double *Le = w->G + e * w->g;
        double sum = 0.0;
        for (size_t i = e; i < w->g; i++)
            sum += Le[i] * t[piv[i] - 1];
        c[e] = sum;
    }
}

static void chol_back(const ttt_lsq_workspace *w, const double *c, double *u)
{
    const lapack_int *piv = w->iwork + 3 + 5 * w->g;
    for (size_t i = 0; i < w->g; i++) {
        double sum = 0.0;
        for (size_t e = 0; e < w->ne && e <= i; e++)
            sum += w->G[e * w->g + i] * c[e];
        u[piv[i] - 1] = sum;
    }
}

int ttt_lsq_solve(ttt_lsq_workspace *w, const double *r, double *delta)
{
    double *c = w->t2;
    if (w->chol) {
        /* delta = X^T P L M^{-2} L^T P^T r */
        chol_apply(w, r, c);
        cholesky_solve(w->E, w->ne, c, 0);
        cholesky_solve(w->E, w->ne, c, 0);
        chol_back(w, c, w->t1);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)w->rows, (int)w->cols, 1.0, w->X, (int)w->ldx, w->t1, 1, 0.0,
                    delta, 1);
    } else if (w->dual) {
        /* delta = X^T U diag(omega) U^T r */
        project(w, r, c);
        for (size_t i = 0; i < w->ne; i++)
            c[i] *= w->omega[i];
        unproject(w, c, w->t1);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)w->rows, (int)w->cols, 1.0, w->X, (int)w->ldx, w->t1, 1, 0.0,
                    delta, 1);
    } else {
        int status = ttt_lsq_xtr(w->X, w->rows, w->cols, w->ldx, r, w->t1);
        if (status)
            return status;
        ttt_lsq_solve_xtr(w, w->t1, delta);
    }
    return GSL_SUCCESS;
}

void ttt_lsq_solve_xtr(ttt_lsq_workspace *w, const double *xtr, double *delta)
{
    /* delta = V diag(omega) V^T X^T r */
    double *c = w->t2;
    project(w, xtr, c);
    for (size_t i = 0; i < w->ne; i++)
        c[i] *= w->omega[i];
    unproject(w, c, delta);
}

double ttt_lsq_leverage(ttt_lsq_workspace *w, const double *x)
{
    double *c = w->t2, sum = 0.0;
    if (w->chol) {
        /* ||(X^+)^T x||^2 = w^T M^{-3} w = ||R^{-1} M^{-1} w||^2, w = L^T P^T X x */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)w->rows, (int)w->cols, 1.0, w->X, (int)w->ldx, x, 1,
                    0.0, w->t1, 1);
        chol_apply(w, w->t1, c);
        cholesky_solve(w->E, w->ne, c, 0);
        cholesky_solve(w->E, w->ne, c, 1);
        for (size_t i = 0; i < w->ne; i++)
            sum += c[i] * c[i];
    } else if (w->dual) {
        /* (X^+)^T x = U diag(omega) U^T X x */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)w->rows, (int)w->cols, 1.0, w->X, (int)w->ldx, x, 1,
                    0.0, w->t1, 1);
        project(w, w->t1, c);
        for (size_t i = 0; i < w->ne; i++)
            sum += w->omega[i] * w->omega[i] * c[i] * c[i];
    } else {
        /* (X^+)^T x = X V diag(omega) V^T x, whose squared norm is
         * sum_i lambda_i omega_i^2 (V^T x)_i^2 */
        project(w, x, c);
        for (size_t i = 0; i < w->ne; i++)
            sum += w->lambda[i] * w->omega[i] * w->omega[i] * c[i] * c[i];
    }
    return sum;
}

double ttt_lsq_min_eigen_ratio(const ttt_lsq_workspace *w)
{
    if (w->dual || w->g == 0)
        return 0.0;
    double lmin = w->lambda[0], sum = 0.0;
    for (size_t i = 0; i < w->g; i++) {
        lmin = w->lambda[i] < lmin ? w->lambda[i] : lmin;
        sum += w->lambda[i];
    }
    /* below the rank cut an eigenvalue is a rounded zero, of either sign */
    if (w->rank < w->g || !(lmin > 0.0))
        lmin = 0.0;
    return sum > 0.0 ? lmin / (sum / (double)w->g) : 0.0;
}

size_t ttt_lsq_rank(const ttt_lsq_workspace *w)
{
    return w->rank;
}

int ttt_lsq_psd_solve(ttt_lsq_workspace *w, const double *G, size_t g, const double *b, double rcond,
                      double *x)
{
    if (g > w->max_g || g == 0)
        GSL_ERROR("matrix larger than the workspace or empty", GSL_EBADLEN);
    memcpy(w->G, G, g * g * sizeof *G);
    int status = eigen_factor(w, g, 0.0, rcond);
    if (status)
        return status;
    project(w, b, w->t2);
    for (size_t i = 0; i < g; i++)
        w->t2[i] *= w->omega[i];
    unproject(w, w->t2, x);
    return GSL_SUCCESS;
}
