/* ttt_sparse — see ttt_sparse.h. */
#include "ttt_sparse.h"

#include "ttt_kernel.h"
#include "ttt_mem.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
/* TTT_PLAIN_C: the decoder's paths for compilers without GNU C's
 * extensions (BLAS for the atoms' products, no clones, no vector types;
 * make check-decoder), built by GCC, whose prefetch hints stay. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
/* Under AddressSanitizer (make check-asan) the decoder's buffers, which
 * share one allocation per thread, are kept apart by poisoned gaps, so that
 * a write past one is reported where it happens, not only if the buffer
 * after it is read before it is written again (decode_ws_place). */
#if defined(__SANITIZE_ADDRESS__)
#define TTT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TTT_ASAN 1
#endif
#endif
#ifdef TTT_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP 64
#else
#define ARENA_GAP 0
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* No contraction of a * b + c into a fused multiply-add in this file: the
 * Lasso's copies of the BLAS's sums below must round each product (see
 * dot_blas). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Columns per block of LAPACK's QR (dgeqrf asks for about 32): its work
 * array holds this many per column. */
#define LASSO_QR_BLOCK 64

struct ttt_sparse_workspace {
    size_t max_rows, max_cols;
    double *r;           /* max_rows: residual */
    double *z;           /* max_rows: a column being orthogonalised */
    double *norm2;       /* max_cols: squared column norms */
    double *Q;           /* max_rows x min(max_rows, max_cols), column a at Q + a * max_rows */
    double *R;           /* min^2, upper triangular, row-major with stride min */
    size_t *sel;         /* min: chosen columns in order */
    unsigned char *used; /* max_cols */
    double *xt;          /* the Lasso's columns, one after the other (xt_cap doubles, grown as needed) */
    size_t xt_cap;
    size_t *cstart;      /* max_cols + 1: column j's nonzero entries are [cstart[j], cstart[j + 1]) of crow, cval */
    size_t *ctail;       /* max_cols: the first of them past the blocks of four rows */
    uint32_t *crow;      /* their rows, ascending within a column */
    double *cval;        /* their values */
    unsigned char *cpair; /* their roles in the pair sums (crow, cval, cpair: sp_cap entries, grown as needed) */
    size_t sp_cap;
    double *g, *lim, *ixn; /* max_cols each: what the Lasso knows of its products (lasso_memo) */
    size_t *gu;
    double *wx;          /* max_cols: the Lasso's exact minimiser on a support (lasso_exact) */
    double *tau, *work;  /* min and lwork: lasso_exact's Householder QR (LAPACK) */
    double *yq;          /* max_rows: Q^T y there */
    size_t lwork;
    int plain;           /* 1: the Lasso without lasso_exact (ttt_sparse_lasso_finish) */
    int dense;           /* 1: never the nonzero entries alone (ttt_sparse_use_sparse) */
    int last_sparse;     /* 1: the last solve read the nonzero entries alone (ttt_sparse_read_sparse) */
    double *w0;          /* max_cols: the Lasso's start, for a second run on the dense columns */
};

ttt_sparse_workspace *ttt_sparse_alloc(size_t max_rows, size_t max_cols)
{
    ttt_sparse_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t t = max_rows < max_cols ? max_rows : max_cols;
    w->max_rows = max_rows;
    w->max_cols = max_cols;
    w->r = malloc(max_rows * sizeof *w->r);
    w->z = malloc(max_rows * sizeof *w->z);
    w->norm2 = malloc(max_cols * sizeof *w->norm2);
    w->Q = malloc(max_rows * t * sizeof *w->Q);
    w->R = malloc(t * t * sizeof *w->R);
    w->sel = malloc(t * sizeof *w->sel);
    w->used = malloc(max_cols);
    w->g = malloc(max_cols * sizeof *w->g);
    w->lim = malloc(max_cols * sizeof *w->lim);
    w->ixn = malloc(max_cols * sizeof *w->ixn);
    w->gu = malloc(max_cols * sizeof *w->gu);
    w->wx = malloc(max_cols * sizeof *w->wx);
    w->lwork = (t ? t : 1) * LASSO_QR_BLOCK;
    w->tau = malloc((t ? t : 1) * sizeof *w->tau);
    w->work = malloc(w->lwork * sizeof *w->work);
    w->yq = malloc(max_rows * sizeof *w->yq);
    w->cstart = malloc((max_cols + 1) * sizeof *w->cstart);
    w->ctail = malloc((max_cols ? max_cols : 1) * sizeof *w->ctail);
    w->w0 = malloc((max_cols ? max_cols : 1) * sizeof *w->w0);
    if (!w->r || !w->z || !w->norm2 || !w->Q || !w->R || !w->sel || !w->used || !w->g || !w->lim || !w->ixn || !w->gu ||
        !w->wx || !w->tau || !w->work || !w->yq || !w->cstart || !w->ctail || !w->w0) {
        ttt_sparse_free(w);
        return NULL;
    }
    return w;
}

void ttt_sparse_free(ttt_sparse_workspace *w)
{
    if (!w)
        return;
    free(w->r);
    free(w->z);
    free(w->norm2);
    free(w->Q);
    free(w->R);
    free(w->sel);
    free(w->used);
    free(w->xt);
    free(w->cstart);
    free(w->ctail);
    free(w->w0);
    free(w->crow);
    free(w->cval);
    free(w->cpair);
    free(w->g);
    free(w->lim);
    free(w->ixn);
    free(w->gu);
    free(w->wx);
    free(w->tau);
    free(w->work);
    free(w->yq);
    free(w);
}

void ttt_sparse_lasso_finish(ttt_sparse_workspace *ws, int on)
{
    ws->plain = !on;
}

void ttt_sparse_use_sparse(ttt_sparse_workspace *ws, int on)
{
    ws->dense = !on;
}

int ttt_sparse_read_sparse(const ttt_sparse_workspace *ws)
{
    return ws->last_sparse;
}

static double soft(double x, double t)
{
    return x > t ? x - t : x < -t ? x + t : 0.0;
}

/* A coordinate's new value: the minimiser of the Lasso objective in it
 * alone, rho = X_j^T r_(-j) / rows and h = ||X_j||^2 / rows. */
static double coordinate(double rho, double lambda, double h)
{
    double wn = soft(rho, lambda) / h;
    return wn;
}

/* Column j's KKT violation, g = X_j^T r / rows: |g - lambda sign(w_j)|
 * where w_j != 0, else |g| - lambda. */
static double violation(double g, double lambda, double wj)
{
    return wj > 0.0 ? fabs(g - lambda) : wj < 0.0 ? fabs(g + lambda) : fabs(g) - lambda;
}

static void residual(const double *X, size_t rows, size_t cols, size_t ldx, const double *y, const double *w,
                     double *r)
{
    memcpy(r, y, rows * sizeof *r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, -1.0, X, (int)ldx, w, 1, 1.0, r, 1);
}

/* The Lasso's inner products and updates, bit for bit as the BLAS
 * (OpenBLAS, the x86-64 kernels) computes them on a column of a row-major
 * matrix (stride ldx > 1) and a vector, but on a copy of the column
 * made contiguous and without a library call each: the same products and
 * sums in the same order, so the same iterates.  A strided ddot sums
 * n - n % 4 terms four at a time into two sums (terms 0 and 2 to the
 * first, 1 and 3 to the second, each pair added first), the rest into the
 * first, and returns first + second; a daxpy rounds each product, then
 * the sum.  No contraction to fused multiply-adds, which would round
 * once (off for the whole file, at its top: the default x86-64 target has
 * none anyway); tests/check_sparse.c compares both with the BLAS and the
 * Lasso with one that calls it.  With GCC's vector extensions two lanes at
 * a time: lane 0 is the first sum, lane 1 the second, the same operations
 * on each. */
#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16)));
static inline v2d load2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}
#endif
/* Below this many rows (and for ldx > 1) the Lasso takes the copies; from
 * 10000 on, the BLAS may split a ddot between threads. */
#define LASSO_COPY_ROWS 4096

static double dot_blas(const double *x, const double *y, size_t n)
{
    double s1 = 0.0, s2 = 0.0;
    size_t i = 0;
#if defined(__GNUC__)
    v2d s = {0.0, 0.0};
    for (; i + 4 <= n; i += 4)
        s += load2(y + i) * load2(x + i) + load2(y + i + 2) * load2(x + i + 2); /* (m1 + m3, m2 + m4) */
    s1 = s[0];
    s2 = s[1];
#else
    for (; i + 4 <= n; i += 4) {
        const double m1 = y[i] * x[i], m2 = y[i + 1] * x[i + 1], m3 = y[i + 2] * x[i + 2], m4 = y[i + 3] * x[i + 3];
        s1 += m1 + m3;
        s2 += m2 + m4;
    }
#endif
    for (; i < n; i++)
        s1 += y[i] * x[i];
    return s1 + s2;
}

/* Four of them at once (x0..x3 against the same y): independent sums
 * side by side, each as dot_blas. */
static void dot_blas4(const double *x0, const double *x1, const double *x2, const double *x3, const double *y,
                      size_t n, double *out)
{
    double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0, c1 = 0.0, c2 = 0.0, d1 = 0.0, d2 = 0.0;
    size_t i = 0;
#if defined(__GNUC__)
    v2d a = {0.0, 0.0}, b = a, c = a, d = a;
    for (; i + 4 <= n; i += 4) {
        const v2d lo = load2(y + i), hi = load2(y + i + 2);
        a += lo * load2(x0 + i) + hi * load2(x0 + i + 2);
        b += lo * load2(x1 + i) + hi * load2(x1 + i + 2);
        c += lo * load2(x2 + i) + hi * load2(x2 + i + 2);
        d += lo * load2(x3 + i) + hi * load2(x3 + i + 2);
    }
    a1 = a[0], a2 = a[1], b1 = b[0], b2 = b[1], c1 = c[0], c2 = c[1], d1 = d[0], d2 = d[1];
#endif
    for (; i + 4 <= n; i += 4) {
        a1 += y[i] * x0[i] + y[i + 2] * x0[i + 2];
        a2 += y[i + 1] * x0[i + 1] + y[i + 3] * x0[i + 3];
        b1 += y[i] * x1[i] + y[i + 2] * x1[i + 2];
        b2 += y[i + 1] * x1[i + 1] + y[i + 3] * x1[i + 3];
        c1 += y[i] * x2[i] + y[i + 2] * x2[i + 2];
        c2 += y[i + 1] * x2[i + 1] + y[i + 3] * x2[i + 3];
        d1 += y[i] * x3[i] + y[i + 2] * x3[i + 2];
        d2 += y[i + 1] * x3[i + 1] + y[i + 3] * x3[i + 3];
    }
    for (; i < n; i++) {
        a1 += y[i] * x0[i];
        b1 += y[i] * x1[i];
        c1 += y[i] * x2[i];
        d1 += y[i] * x3[i];
    }
    out[0] = a1 + a2;
    out[1] = b1 + b2;
    out[2] = c1 + c2;
    out[3] = d1 + d2;
}

static void axpy_blas(double a, const double *x, double *y, size_t n)
{
    size_t i = 0;
#if defined(__GNUC__)
    const v2d av = {a, a};
    for (; i + 2 <= n; i += 2) {
        const v2d v = load2(y + i) + av * load2(x + i);
        memcpy(y + i, &v, sizeof v);
    }
#endif
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* Nonzero entries of each column, as sums of the BLAS's order see them
 * (dot_blas): the terms of block b (rows 4b to 4b + 3, below n - n % 4)
 * go to two pair sums, rows 4b and 4b + 2 to the first, 4b + 1 and 4b + 3
 * to the second, each added to its running sum; the rest to the first.  A
 * zero entry's term is a signed zero, which changes no sum: x + (+-0) = x
 * for x != 0, and a running sum is never -0 (it starts at +0, and +0 +
 * (-0) = +0).  So summing only the nonzero terms, pair by pair in that
 * order, gives the dense sum to the bit while every term is finite (a zero
 * entry times an infinity is NaN: design_cols and dense_again keep such
 * solves on the dense columns), and an update y += a x need only touch the
 * rows where x is not zero (the others gain +-0: only a -0 could change, to
 * +0, and the sign of a zero in the residual changes no later sum).  The
 * solvers take this form where at most one entry in SPARSE_DENSITY is
 * nonzero: the codes' designs at large k (each row q
 * nonzeros of |S| columns: at k = 2000, about 9 of 2000 per column), where
 * a product costs its nonzeros instead of k terms.  A nonzero costs a few
 * times a dense term (an index, a dependent sum); timed on code-like designs
 * of 32 to 2000 rows, one thread, best of 5, the nonzeros alone took 0.6 to
 * 0.9 of the dense time for the Lasso and OMP at one entry in 32 (0.3 to
 * 0.75 at one in 64), and 0.8 to 1.35 at one in 16.  At the defaults about
 * half the entries are nonzero (|S| about 18 of k = 50 rows, 8 a row). */
#define SPARSE_DENSITY 32
/* Designs of fewer rows than this may be read so.  From LASSO_COPY_ROWS on
 * the dense reading is the BLAS's strided ddot, which OpenBLAS sums in one
 * thread and in dot_blas's order below 10000 terms (compared on this
 * machine's OpenBLAS for 4000 to 9729 terms: the same bits; from 10066 on
 * it splits the sum between threads), so the nonzero entries' sums are its
 * sums too; a daxpy's terms do not depend on the split. */
#define SPARSE_MAX_ROWS 10000

/* A design's nonzero entries, column by column (lasso_sparse). */
typedef struct {
    const size_t *start;        /* cols + 1: column j's entries are [start[j], start[j + 1]) */
    const size_t *tail;         /* cols: its first entry at row n - n % 4 or later */
    const uint32_t *row;        /* their rows, ascending within a column */
    const double *val;          /* their values */
    const unsigned char *pair;  /* their PAIR_ roles */
} lasso_sparse_cols;

/* How an entry of the sparse columns takes part in a pair sum (rows 4b + l
 * and 4b + l + 2 of a block below n - n % 4): alone, with its partner one
 * or two entries on, or as that partner (summed with the entry before). */
enum { PAIR_ALONE, PAIR_NEXT1, PAIR_NEXT2, PAIR_PARTNER };

/* Column j's products with v (v = NULL: with itself) in dot_blas's order:
 * each pair's sum, to the first sum (even rows) or the second (odd rows),
 * block by block; then the rows from n - n % 4 to the first sum.  The
 * entries before tail[j] are those of the blocks; adding +0 to a sum that is
 * not -0 changes nothing, so a pair's sum goes to its lane with no branch. */
static double sparse_dot(const lasso_sparse_cols *c, size_t j, const double *v)
{
    const uint32_t *row = c->row;
    const double *val = c->val;
    const unsigned char *pair = c->pair;
    double s1 = 0.0, s2 = 0.0;
    size_t p = c->start[j];
    for (const size_t t = c->tail[j]; p < t; p++) {
        const unsigned k = pair[p];
        if (k == PAIR_PARTNER)
            continue;
        double m = (v ? v[row[p]] : val[p]) * val[p];
        if (k != PAIR_ALONE)
            m += (v ? v[row[p + k]] : val[p + k]) * val[p + k];
        const int odd = (int)(row[p] & 1);
        s1 += odd ? 0.0 : m;
        s2 += odd ? m : 0.0;
    }
    for (const size_t e = c->start[j + 1]; p < e; p++)
        s1 += (v ? v[row[p]] : val[p]) * val[p];
    return s1 + s2;
}

/* 1 if the n entries of v are finite (NULL: none). */
static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* The columns of X (rows x cols, stride ldx) as their nonzero entries in
 * ws->cstart, ctail, crow, cval, cpair, where the dense reading sums as
 * dot_blas does (ldx > 1, rows below SPARSE_MAX_ROWS), the design fits the
 * workspace, at most one entry in SPARSE_DENSITY is nonzero and every entry
 * is finite (a NaN or an infinity would make its row's zero terms NaN); 0
 * when not.  An entry -0
 * is kept as an entry: its copy must stay -0 for LAPACK's QR, which takes a
 * reflector's sign from it (lasso_exact; found by a review). */
static int lasso_sparse(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx)
{
    if (ws->dense || ldx <= 1 || rows >= SPARSE_MAX_ROWS || rows > ws->max_rows || cols > ws->max_cols ||
        rows * cols == 0)
        return 0;
    size_t *count = ws->cstart;
    memset(count, 0, (cols + 1) * sizeof *count);
    const size_t most = rows * cols / SPARSE_DENSITY; /* a dense design is known after about 1 / SPARSE_DENSITY of it */
    size_t nnz = 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            const double x = X[i * ldx + j];
            if (!isfinite(x))
                return 0;
            if (x != 0.0 || signbit(x)) {
                count[j + 1]++;
                if (++nnz > most)
                    return 0;
            }
        }
    if (nnz > ws->sp_cap) {
        uint32_t *crow = realloc(ws->crow, nnz * sizeof *crow);
        if (crow)
            ws->crow = crow;
        double *cval = crow ? realloc(ws->cval, nnz * sizeof *cval) : NULL;
        if (cval)
            ws->cval = cval;
        unsigned char *cpair = cval ? realloc(ws->cpair, nnz) : NULL;
        if (cpair)
            ws->cpair = cpair;
        if (!crow || !cval || !cpair)
            return 0;
        ws->sp_cap = nnz;
    }
    for (size_t j = 0; j < cols; j++)
        count[j + 1] += count[j];
    /* Row by row, so each column's entries come in ascending rows; count[j]
     * runs from column j's start to its end, then is moved back. */
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            const double x = X[i * ldx + j];
            if (x != 0.0 || signbit(x)) {
                ws->crow[count[j]] = (uint32_t)i;
                ws->cval[count[j]++] = x;
            }
        }
    for (size_t j = cols; j > 0; j--)
        count[j] = count[j - 1];
    count[0] = 0;
    /* The pairs: an entry at row 4b + l (l = 0, 1) and one at 4b + l + 2
     * (one or two entries on: 4b + l + 1 may lie between). */
    const size_t full = rows - rows % 4;
    if (nnz) /* else there is no cpair yet */
        memset(ws->cpair, PAIR_ALONE, nnz);
    for (size_t j = 0; j < cols; j++) {
        size_t p = count[j];
        const size_t e = count[j + 1];
        for (; p < e && ws->crow[p] < full; p++) {
            const uint32_t r = ws->crow[p];
            if (r & 2)
                continue; /* the second of its pair, or alone */
            for (size_t k = 1; k <= 2 && p + k < e; k++)
                if (ws->crow[p + k] == r + 2) {
                    ws->cpair[p] = (unsigned char)(k == 1 ? PAIR_NEXT1 : PAIR_NEXT2);
                    ws->cpair[p + k] = PAIR_PARTNER;
                }
        }
        ws->ctail[j] = p;
    }
    return 1;
}

/* The columns of X (rows x cols, stride ldx) one after the other into
 * ws->xt when the Lasso takes copies (ldx > 1, rows below
 * LASSO_COPY_ROWS, room for them); 0 when it does not. */
static int lasso_copies(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx)
{
    if (ldx <= 1 || rows >= LASSO_COPY_ROWS || rows * cols == 0)
        return 0;
    if (rows * cols > ws->xt_cap) {
        double *xt = realloc(ws->xt, rows * cols * sizeof *xt);
        if (!xt)
            return 0;
        ws->xt = xt;
        ws->xt_cap = rows * cols;
    }
    for (size_t j = 0; j < cols; j++)
        for (size_t i = 0; i < rows; i++)
            ws->xt[j * rows + i] = X[i * ldx + j];
    return 1;
}

/* The Lasso's design, column by column: the nonzero entries
 * (lasso_sparse) or the contiguous copies in ws->xt (lasso_copies), summed
 * as the BLAS sums strided vectors (sparse_dot; dot_blas, axpy_blas,
 * lasso_check), or X's columns, stride ldx apart, through the BLAS. */
typedef enum { COLS_BLAS, COLS_COPIES, COLS_SPARSE } cols_kind;
typedef struct {
    const double *X; /* column j at X + j * step, its entries stride apart (not COLS_SPARSE) */
    size_t step, stride;
    cols_kind kind;
    lasso_sparse_cols sp; /* COLS_SPARSE: the nonzero entries */
} lasso_cols;

/* X's dense columns: the copies when lasso_copies makes them, else X itself
 * through the BLAS. */
static lasso_cols dense_cols(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx)
{
    return lasso_copies(ws, X, rows, cols, ldx) ? (lasso_cols){ws->xt, rows, 1, COLS_COPIES, {0}}
                                                : (lasso_cols){X, 1, ldx, COLS_BLAS, {0}};
}

/* X's columns as the solvers read them: the nonzero entries when the design
 * is sparse and the vectors the first sums meet (v: rows of them, nv: the
 * start, cols; NULL: none) are finite, the copies when lasso_copies makes
 * them, else X itself through the BLAS.  A later vector can still turn
 * non-finite (a residual that overflows, an update divided by a square
 * that underflows): the solvers then run again on the dense columns
 * (dense_again), so their results are the dense columns' in every case. */
static lasso_cols design_cols(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                              const double *v, const double *nv)
{
    ws->last_sparse = all_finite(v, rows) && all_finite(nv, cols) && lasso_sparse(ws, X, rows, cols, ldx);
    if (ws->last_sparse)
        return (lasso_cols){NULL, 0, 1, COLS_SPARSE, {ws->cstart, ws->ctail, ws->crow, ws->cval, ws->cpair}};
    return dense_cols(ws, X, rows, cols, ldx);
}

/* 1 when a solve that read the nonzero entries met a non-finite residual or
 * coefficient (where the dense columns' zero terms would have been NaN
 * too, the sums over the nonzeros are not theirs): it is then run again on
 * the dense columns.  Checked at the end: a residual entry that turns Inf
 * or NaN never turns finite again. */
static int dense_again(ttt_sparse_workspace *ws, const lasso_cols *c, size_t rows, size_t cols, const double *w)
{
    if (c->kind != COLS_SPARSE || (all_finite(ws->r, rows) && all_finite(w, cols)))
        return 0;
    ws->last_sparse = 0;
    return 1;
}

static double col_dot(const lasso_cols *c, size_t j, const double *v, size_t n)
{
    if (c->kind == COLS_SPARSE)
        return sparse_dot(&c->sp, j, v);
    const double *x = c->X + j * c->step;
    return c->kind == COLS_COPIES ? dot_blas(x, v, n) : cblas_ddot((int)n, x, (int)c->stride, v, 1);
}

static double col_norm2(const lasso_cols *c, size_t j, size_t n)
{
    if (c->kind == COLS_SPARSE)
        return sparse_dot(&c->sp, j, NULL);
    const double *x = c->X + j * c->step;
    return c->kind == COLS_COPIES ? dot_blas(x, x, n) : cblas_ddot((int)n, x, (int)c->stride, x, (int)c->stride);
}

/* Column j of the design into q (rows entries, contiguous). */
static void col_copy(const lasso_cols *c, size_t j, size_t rows, double *q)
{
    if (c->kind == COLS_SPARSE) {
        memset(q, 0, rows * sizeof *q);
        for (size_t p = c->sp.start[j]; p < c->sp.start[j + 1]; p++)
            q[c->sp.row[p]] = c->sp.val[p];
        return;
    }
    const double *x = c->X + j * c->step;
    for (size_t i = 0; i < rows; i++)
        q[i] = x[i * c->stride];
}

static void col_axpy(const lasso_cols *c, size_t j, double a, double *v, size_t n)
{
    if (c->kind == COLS_SPARSE) {
        for (size_t p = c->sp.start[j]; p < c->sp.start[j + 1]; p++)
            v[c->sp.row[p]] += a * c->sp.val[p];
        return;
    }
    const double *x = c->X + j * c->step;
    if (c->kind == COLS_COPIES)
        axpy_blas(a, x, v, n);
    else
        cblas_daxpy((int)n, a, x, (int)c->stride, v, 1);
}

/* The products of nj <= 4 columns js with v into out, each as col_dot
 * computes it (dot_blas4 sums as dot_blas does). */
static void cols_dot(const lasso_cols *c, const size_t *js, size_t nj, const double *v, size_t n, double *out)
{
    if (c->kind == COLS_COPIES && nj == 4) {
        const double *x = c->X;
        dot_blas4(x + js[0] * c->step, x + js[1] * c->step, x + js[2] * c->step, x + js[3] * c->step, v, n, out);
        return;
    }
    for (size_t a = 0; a < nj; a++)
        out[a] = col_dot(c, js[a], v, n);
}

/* What lasso_run knows of each column's product with the residual r, so
 * as not to compute the products whose outcome is known; the iterates are
 * the same to the bit.  g_j = X_j . r_then as last computed, at update
 * count gu_j and drift D_then.  Each update r += a X_j moves r by at most
 * |a| ||X_j|| and the rounding of the daxpy, at most DBL_EPSILON (||r|| +
 * |a| ||X_j||) + t, t = n DBL_TRUE_MIN for products that underflow; the
 * drift D sums these, so ||r_now - r_then|| <= D - D_then and ||r|| <=
 * ||r_0|| + D.  A computed product of n terms is within n DBL_EPSILON / 2
 * ||X_j|| ||r|| + t of the true one (any order of the sums, fused or not;
 * each term that underflows is off by at most half of DBL_TRUE_MIN), so
 * with s = 2 n DBL_EPSILON (a factor 2 to spare)
 *   |X_j . r_now| <= |g_j| + ||X_j|| (D - D_then + s (||r_0|| + D)) + 2 t
 * bounds the product that would be computed now.  ||X_j|| is taken from
 * the computed squared norm plus t (its underflowed squares).  While the
 * bound is below lambda n / (1 + 1e-12), a zero coefficient stays zero
 * (the coordinate's new value is 0) and its KKT violation is at most 0:
 * the product is not needed.  The bound grows with D: it holds while D < lim_j, that limit
 * solved for when g_j is computed and lowered by more than its rounding.
 * A product computed since the last update is the product now, to the
 * bit. */
typedef struct {
    double *g, *lim, *ixn; /* per column; ixn: 1 / ||X_j||, ||X_j|| rounded up */
    size_t *gu;
    double D, r0;   /* the drift; ||r_0||, rounded up */
    double ln, s, t; /* lambda n / (1 + 1e-12) - 2 t; s; t */
    size_t updates;
} lasso_memo;

static int memo_known(const lasso_memo *m, size_t j)
{
    return m->gu[j] == m->updates;
}

static int memo_stays_zero(const lasso_memo *m, size_t j)
{
    return m->D < m->lim[j];
}

static void memo_set(lasso_memo *m, size_t j, double g)
{
    m->g[j] = g;
    m->gu[j] = m->updates;
    const double sr0 = m->s * m->r0, far = (m->ln + fabs(g)) * m->ixn[j];
    const double lim = ((m->ln - fabs(g)) * m->ixn[j] + m->D - sr0) * (1.0 - m->s);
    m->lim[j] = lim - 4.0 * DBL_EPSILON * (2.0 * far + m->D + sr0); /* NaN: never */
}

/* r moved by a X_j. */
static void memo_moved(lasso_memo *m, size_t j, double a)
{
    const double step = fabs(a) / m->ixn[j];
    m->D += (step + DBL_EPSILON * (m->r0 + m->D + step) + m->t) * (1.0 + 1e-12);
    m->updates++;
}

/* The largest KKT violation of the columns c given the residual r; with
 * stop, the first one past stop is returned at once (the caller only asks
 * whether the largest is at most stop).  With a memo (lasso_run), the
 * columns whose violation it shows to be at most 0 are left out, the
 * products it has are taken from it and those computed go into it: the
 * same answer to that question. */
static double lasso_check(const lasso_cols *c, lasso_memo *m, size_t rows, size_t cols, const double *r,
                          double lambda, const double *w, double stop)
{
    const double dn = (double)rows;
    double g[4], worst = 0.0;
    size_t js[4], nj = 0;
    for (size_t j = 0; j < cols || nj > 0; j++) {
        if (j < cols) {
            if (m && w[j] == 0.0 && memo_stays_zero(m, j))
                continue;
            js[nj++] = j;
            if (nj < 4 && j + 1 < cols)
                continue;
        }
        size_t at[4], ids[4], nt = 0; /* the products to compute: their places in js, their columns */
        for (size_t a = 0; a < nj; a++)
            if (m && memo_known(m, js[a]))
                g[a] = m->g[js[a]];
            else {
                at[nt] = a;
                ids[nt++] = js[a];
            }
        double fresh[4];
        cols_dot(c, ids, nt, r, rows, fresh);
        for (size_t b = 0; b < nt; b++) {
            g[at[b]] = fresh[b];
            if (m)
                memo_set(m, ids[b], fresh[b]);
        }
        for (size_t a = 0; a < nj; a++) {
            const double v = violation(g[a] / dn, lambda, w[js[a]]);
            if (v > worst) {
                worst = v;
                if (v > stop)
                    return v;
            }
        }
        nj = 0;
    }
    return worst;
}

/* The Lasso's exact minimiser with the support and signs of w: on S =
 * {j : w_j != 0}, with s their signs, the stationarity condition X_S^T (y -
 * X_S v) / rows = lambda s gives X_S^T X_S v = X_S^T y - rows lambda s,
 * solved through X_S = Q R (LAPACK's Householder QR, dgeqrf, in ws->Q with
 * its reflectors in ws->tau; blocked, so a support of a few hundred columns
 * of k = 2000 rows costs milliseconds): R v = Q^T y - rows lambda R^-T s.
 * Into ws->wx (zeros off S); 0, or -1 when S has more columns than rows,
 * X_S is numerically rank deficient (a column's part off the others, |R_aa|,
 * below 1e-8 of its norm), or v has a sign other than s (then S is not the
 * solution's support) or is not finite.  The caller checks the KKT
 * conditions of the result. */
static int lasso_exact(ttt_sparse_workspace *ws, const lasso_cols *c, size_t rows, size_t cols, const double *y,
                       double lambda, const double *w)
{
    size_t ns = 0;
    for (size_t j = 0; j < cols; j++)
        if (w[j] != 0.0) {
            if (ns == rows)
                return -1;
            ws->sel[ns++] = j;
        }
    if (ns == 0) {
        memset(ws->wx, 0, cols * sizeof *ws->wx);
        return 0;
    }
    const size_t ldq = ws->max_rows;
    double *Q = ws->Q, *u = ws->z;
    for (size_t a = 0; a < ns; a++)
        col_copy(c, ws->sel[a], rows, Q + a * ldq);
    memcpy(ws->yq, y, rows * sizeof *ws->yq);
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)ns, Q, (lapack_int)ldq, ws->tau, ws->work,
                            (lapack_int)ws->lwork) != 0 ||
        LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'T', (lapack_int)rows, 1, (lapack_int)ns, Q, (lapack_int)ldq,
                            ws->tau, ws->yq, (lapack_int)rows, ws->work, (lapack_int)ws->lwork) != 0)
        return -1;
    /* R_ba = Q[a ldq + b] for b <= a. */
    for (size_t a = 0; a < ns; a++) {
        const double raa = Q[a * ldq + a];
        if (!(raa * raa > 1e-16 * ws->norm2[ws->sel[a]])) /* the squared norms lasso_run took */
            return -1;
    }
    /* u = R^-T s, then u = Q^T y - rows lambda u, then v = R^-1 u. */
    for (size_t a = 0; a < ns; a++) {
        double v = w[ws->sel[a]] > 0.0 ? 1.0 : -1.0;
        for (size_t b = 0; b < a; b++)
            v -= Q[a * ldq + b] * u[b];
        u[a] = v / Q[a * ldq + a];
    }
    for (size_t a = 0; a < ns; a++)
        u[a] = ws->yq[a] - (double)rows * lambda * u[a];
    for (size_t a = ns; a-- > 0;) {
        double v = u[a];
        for (size_t b = a + 1; b < ns; b++)
            v -= Q[b * ldq + a] * u[b];
        u[a] = v / Q[a * ldq + a];
    }
    memset(ws->wx, 0, cols * sizeof *ws->wx);
    for (size_t a = 0; a < ns; a++) {
        if (!(u[a] * w[ws->sel[a]] > 0.0) || !isfinite(u[a]))
            return -1;
        ws->wx[ws->sel[a]] = u[a];
    }
    return 0;
}

/* Sweeps without a change of sign before the exact finish is tried (or
 * fewer, once coordinate descent has converged): at the defaults the signs
 * are final after 6.6 sweeps on average; trying after one quiet sweep took
 * 1.9 tries a fit, after two 1.4 tries and one more sweep, 10% faster in
 * all (the 1000 fits of a run, single thread). */
#define LASSO_QUIET 2

/* The exact finish is taken only where its KKT violation is at most this
 * much of max(lambda_max, lambda) (and within the caller's tolerance): at
 * rounding level, which the minimiser's support and signs reach (at the
 * defaults, violations of about 1e-15 of it) and a wrong support does not
 * unless the coefficients it misses are of that order.  Without it a
 * loose tolerance let a support missing a column of small norm and large
 * coefficient through (found by a review: 0.97 from the minimiser where
 * coordinate descent alone stopped 0.06 from it). */
#define LASSO_EXACT_KKT 1e-12

/* Cyclic coordinate descent (ttt_sparse_lasso) on the columns c of X,
 * finished exactly (lasso_exact) unless ws->plain: after LASSO_QUIET sweeps
 * that changed no coefficient's sign (nor which are zero), or when the
 * iterate meets the goal, the exact minimiser with those signs is taken
 * when its KKT violation is at rounding level (exact_goal; each run of
 * signs is tried once).  Coordinate descent stops anywhere within the
 * goal. */
static int lasso_run(ttt_sparse_workspace *ws, const lasso_cols *c, const double *X, size_t rows, size_t cols,
                     size_t ldx, const double *y, double lambda, double tol, size_t max_sweeps, double *w,
                     size_t *sweeps)
{
    double *r = ws->r;
    const double inv = 1.0 / (double)rows;
    double lambda_max = 0.0;
    const double tiny = (double)rows * DBL_TRUE_MIN;
    lasso_memo m = {.g = ws->g, .lim = ws->lim, .ixn = ws->ixn, .gu = ws->gu,
                    .ln = lambda * (double)rows / (1.0 + 1e-12) - 2.0 * tiny,
                    .s = 2.0 * (double)rows * DBL_EPSILON, .t = tiny};
    for (size_t j = 0; j < cols; j++) {
        ws->norm2[j] = col_norm2(c, j, rows);
        m.ixn[j] = 1.0 / (sqrt(ws->norm2[j] + tiny) * (1.0 + m.s));
        m.lim[j] = -1.0; /* not known: D is never below, and no update count matches */
        m.gu[j] = SIZE_MAX;
        double g = fabs(col_dot(c, j, y, rows)) * inv;
        if (g > lambda_max)
            lambda_max = g;
        if (ws->norm2[j] == 0.0)
            w[j] = 0.0;
    }
    residual(X, rows, cols, ldx, y, w, r);
    m.r0 = cblas_dnrm2((int)rows, r, 1) * (1.0 + m.s) + tiny;
    const double scale = lambda_max > lambda ? lambda_max : lambda, goal = tol * scale;
    /* The finish's stricter goal: a support and signs other than the
     * minimiser's leave a violation above rounding level (LASSO_EXACT_KKT),
     * however loose tol is. */
    const double exact_goal = goal < LASSO_EXACT_KKT * scale ? goal : LASSO_EXACT_KKT * scale;
    /* Sign changes so far (the start counts as one), their count at the
     * last try of the exact finish, and sweeps since the last change. */
    size_t sweep = 0, changes = 1, tried = 0, quiet = 0;
    int status = GSL_EMAXITER;
    while (sweep < max_sweeps) {
        sweep++;
        const size_t before = changes;
        for (size_t j = 0; j < cols; j++) {
            if (ws->norm2[j] == 0.0)
                continue;
            if (w[j] == 0.0 && memo_stays_zero(&m, j))
                continue; /* its new value is 0 */
            double h = ws->norm2[j] * inv;
            double dot = m.g[j];
            if (!memo_known(&m, j)) {
                dot = col_dot(c, j, r, rows);
                memo_set(&m, j, dot);
            }
            double rho = dot * inv + h * w[j];
            double wn = coordinate(rho, lambda, h);
            if (wn != w[j]) {
                changes += (wn > 0.0) != (w[j] > 0.0) || (wn < 0.0) != (w[j] < 0.0);
                col_axpy(c, j, w[j] - wn, r, rows);
                memo_moved(&m, j, w[j] - wn);
                w[j] = wn;
            }
        }
        quiet = changes == before ? quiet + 1 : 0;
        const int converged = lasso_check(c, &m, rows, cols, r, lambda, w, goal) <= goal;
        if (!ws->plain && (quiet >= LASSO_QUIET || converged) && changes != tried) {
            tried = changes;
            if (lasso_exact(ws, c, rows, cols, y, lambda, w) == 0) {
                residual(X, rows, cols, ldx, y, ws->wx, ws->z);
                /* A residual that overflows is no minimiser's (and its products
                 * would be NaN on the dense columns, not on the nonzero entries). */
                if (all_finite(ws->z, rows) &&
                    lasso_check(c, NULL, rows, cols, ws->z, lambda, ws->wx, exact_goal) <= exact_goal) {
                    memcpy(w, ws->wx, cols * sizeof *w);
                    status = GSL_SUCCESS;
                    break;
                }
            }
        }
        if (converged) {
            status = GSL_SUCCESS;
            break;
        }
    }
    if (sweeps)
        *sweeps = sweep;
    return status;
}

double ttt_sparse_lasso_kkt(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                            const double *y, double lambda, const double *w)
{
    if (rows > ws->max_rows)
        return GSL_NAN;
    residual(X, rows, cols, ldx, y, w, ws->r);
    /* The Lasso's own check, in full; the sums meet only the residual. */
    const lasso_cols c = design_cols(ws, X, rows, cols, ldx, ws->r, NULL);
    return lasso_check(&c, NULL, rows, cols, ws->r, lambda, w, GSL_POSINF);
}

int ttt_sparse_lasso(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                     const double *y, double lambda, double tol, size_t max_sweeps, double *w,
                     size_t *sweeps)
{
    if (rows > ws->max_rows || cols > ws->max_cols)
        GSL_ERROR("lasso problem larger than its workspace", GSL_EBADLEN);
    lasso_cols c = design_cols(ws, X, rows, cols, ldx, y, w);
    if (c.kind == COLS_SPARSE)
        memcpy(ws->w0, w, cols * sizeof *w);
    int status = lasso_run(ws, &c, X, rows, cols, ldx, y, lambda, tol, max_sweeps, w, sweeps);
    if (dense_again(ws, &c, rows, cols, w)) {
        memcpy(w, ws->w0, cols * sizeof *w);
        c = dense_cols(ws, X, rows, cols, ldx);
        status = lasso_run(ws, &c, X, rows, cols, ldx, y, lambda, tol, max_sweeps, w, sweeps);
    }
    return status;
}


/* OMP (ttt_sparse_omp) on the columns cx: the atoms chosen, their count
 * returned, their coefficients in w. */
static size_t omp_run(ttt_sparse_workspace *ws, const lasso_cols *cx, size_t rows, size_t cols, const double *y,
                      double threshold, size_t atoms, double rcond, double *w)
{
    const int n = (int)rows;
    const size_t ldr = ws->max_rows < ws->max_cols ? ws->max_rows : ws->max_cols;
    memcpy(ws->r, y, rows * sizeof *ws->r);
    for (size_t j = 0; j < cols; j++) {
        ws->norm2[j] = col_norm2(cx, j, rows);
        ws->used[j] = ws->norm2[j] == 0.0;
        w[j] = 0.0;
    }
    size_t t = 0;
    while (t < atoms) {
        size_t best = cols;
        double top = threshold;
        for (size_t j = 0; j < cols;) { /* the unused columns four at a time, in order */
            size_t js[4], nj = 0;
            for (; j < cols && nj < 4; j++)
                if (!ws->used[j])
                    js[nj++] = j;
            double g[4];
            cols_dot(cx, js, nj, ws->r, rows, g);
            for (size_t a = 0; a < nj; a++) {
                double cj = fabs(g[a]) / sqrt(ws->norm2[js[a]]);
                if (cj > top) {
                    top = cj;
                    best = js[a];
                }
            }
        }
        if (best == cols)
            break;
        ws->used[best] = 1;
        /* Gram-Schmidt against the chosen columns, twice ("twice is enough"). */
        double *z = ws->z, *q = ws->Q + t * rows;
        col_copy(cx, best, rows, z);
        for (size_t a = 0; a < t; a++)
            ws->R[a * ldr + t] = 0.0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t a = 0; a < t; a++) {
                double c = cblas_ddot(n, ws->Q + a * rows, 1, z, 1);
                ws->R[a * ldr + t] += c;
                cblas_daxpy(n, -c, ws->Q + a * rows, 1, z, 1);
            }
        double nz = cblas_dnrm2(n, z, 1);
        if (nz <= rcond * sqrt(ws->norm2[best]))
            continue; /* in the span of the chosen columns: never a candidate again */
        for (size_t i = 0; i < rows; i++)
            q[i] = z[i] / nz;
        ws->R[t * ldr + t] = nz;
        ws->sel[t++] = best;
        cblas_daxpy(n, -cblas_ddot(n, q, 1, ws->r, 1), q, 1, ws->r, 1);
    }
    /* Coefficients: R c = Q^T y, by back substitution. */
    for (size_t a = t; a-- > 0;) {
        double c = cblas_ddot(n, ws->Q + a * rows, 1, y, 1);
        for (size_t b = a + 1; b < t; b++)
            c -= ws->R[a * ldr + b] * w[ws->sel[b]];
        w[ws->sel[a]] = c / ws->R[a * ldr + a];
    }
    return t;
}

int ttt_sparse_omp(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                   const double *y, double threshold, size_t max_atoms, double rcond, double *w, size_t *chosen)
{
    *chosen = 0;
    if (rows > ws->max_rows || cols > ws->max_cols)
        GSL_ERROR("OMP: the design is larger than its workspace", GSL_EBADLEN);
    const size_t tmax = rows < cols ? rows : cols, atoms = max_atoms < tmax ? max_atoms : tmax;
    /* The columns' products as the Lasso takes them (lasso_cols): the
     * nonzero entries or contiguous copies, the same values as the BLAS's
     * on X's strided columns, which at large k cost a cache line per entry
     * each step. */
    lasso_cols cx = design_cols(ws, X, rows, cols, ldx, y, NULL);
    *chosen = omp_run(ws, &cx, rows, cols, y, threshold, atoms, rcond, w);
    if (dense_again(ws, &cx, rows, cols, w)) {
        cx = dense_cols(ws, X, rows, cols, ldx);
        *chosen = omp_run(ws, &cx, rows, cols, y, threshold, atoms, rcond, w);
    }
    return GSL_SUCCESS;
}

struct ttt_decoder {
    const double *A; /* d1 x d2, borrowed */
    size_t d1, d2;
    double *norm2;   /* d1 squared atom norms */
    double *inorm;   /* d1 inverse atom norms (0 for a zero atom) */
    float *U;        /* d1 x d2 the atoms scaled to unit norm (zero atoms stay 0), in single precision */
    uint32_t *Ub;    /* d1 x (d2 + 1) / 2 the same in bfloat16 pairs (ttt_kernel_bf16_pairs) where the CPU has
                      * ttt_kernel_rows_bf16, else NULL */
    double ueps;     /* with Ub: the largest ||bf16(u_j) - u_j||, u_j the exact unit atom */
    int blas;        /* the atoms' products by BLAS, not ttt_kernel_rows (batch_coordinates, atoms_dot) */
    int bf16;        /* the bases' keys from Ub (batch_coordinates) */
};

ttt_decoder *ttt_decoder_alloc(const double *A, size_t d1, size_t d2)
{
    ttt_decoder *dec = calloc(1, sizeof *dec);
    if (!dec)
        return NULL;
    dec->A = A;
    dec->d1 = d1;
    dec->d2 = d2;
    dec->norm2 = malloc(d1 * sizeof *dec->norm2);
    dec->inorm = malloc(d1 * sizeof *dec->inorm);
    dec->U = ttt_mem_alloc(d1 * d2, sizeof *dec->U);
#ifdef TTT_KERNEL
    const size_t d2h = (d2 + 1) / 2;
    if (ttt_kernel_bf16_available())
        dec->Ub = ttt_mem_alloc(d1 * d2h, sizeof *dec->Ub);
#endif
    if (!dec->norm2 || !dec->inorm || !dec->U) {
        ttt_decoder_free(dec);
        return NULL;
    }
    ttt_decoder_use_blas(dec, 0);
    ttt_decoder_use_bf16(dec, 1);
    /* Atom by atom, so in parallel: the caller's threads wait for it. */
    double ueps = 0.0;
#pragma omp parallel for schedule(static) reduction(max : ueps)
    for (size_t j = 0; j < d1; j++) {
        const double *a = A + j * d2;
        double norm = cblas_dnrm2((int)d2, a, 1);
        dec->norm2[j] = cblas_ddot((int)d2, a, 1, a, 1);
        dec->inorm[j] = norm > 0.0 ? 1.0 / norm : 0.0;
        for (size_t k = 0; k < d2; k++)
            dec->U[j * d2 + k] = (float)(a[k] * dec->inorm[j]);
#ifdef TTT_KERNEL
        if (dec->Ub) {
            const uint32_t *ub = dec->Ub + j * d2h;
            ttt_kernel_bf16_pairs(dec->U + j * d2, d2, dec->Ub + j * d2h);
            double e2 = 0.0;
            for (size_t k = 0; k < d2; k++) {
                const double e = (double)ttt_kernel_bf16_entry(ub, k) - a[k] * dec->inorm[j];
                e2 += e * e;
            }
            ueps = sqrt(e2) > ueps ? sqrt(e2) : ueps;
        }
#endif
    }
    /* Past the rounding of the sums above and of the unit atoms in double. */
    dec->ueps = ueps * (1.0 + 1e-12) + 1e-15;
    return dec;
}

double ttt_decoder_bytes(size_t d1, size_t d2)
{
    double words = 4.0 * (double)d2; /* the unit atoms in single precision */
#ifdef TTT_KERNEL
    if (ttt_kernel_bf16_available())
        words += 4.0 * (double)((d2 + 1) / 2); /* and in bfloat16 pairs */
#endif
    return (double)d1 * (16.0 + words) + (double)sizeof(ttt_decoder);
}

void ttt_decoder_use_blas(ttt_decoder *dec, int on)
{
#ifdef TTT_KERNEL
    dec->blas = on || !ttt_kernel_available();
#else
    (void)on;
    dec->blas = 1; /* no kernel to use */
#endif
}

void ttt_decoder_use_bf16(ttt_decoder *dec, int on) { dec->bf16 = on && dec->Ub; }

void ttt_decoder_free(ttt_decoder *dec)
{
    if (!dec)
        return;
    free(dec->norm2);
    free(dec->inorm);
    free(dec->U);
    free(dec->Ub);
    free(dec);
}

/* The decoder (the method is in ttt_sparse.h).  The scaled correlation of
 * atom j with point psi's residual r is c_j = <u_j, r> / ||psi||, u_j =
 * a_j / ||a_j||; with h_a = gamma_a ||a_{s_a}|| / ||psi|| the weights of
 * the chosen atoms, r / ||psi|| = psi / ||psi|| - sum_a h_a u_{s_a}.
 *
 * Basis blocks: Y (rank x d2) orthonormal, W_j = Y u_j, a unit feature
 * psi / ||psi|| = Y^T z_psi + (at most eps_psi off the span), an atom
 * u_a = Y^T y_a + (at most eps_a off), so c_j = <W_j, z> + (at most
 * off = eps_psi + sum_a |h_a| eps_a) with z = z_psi - sum_a h_a y_a, and
 * |c_j| <= ||W_j|| ||z|| + off.
 *
 * Direct blocks: c_j = c0_j - sum_a h_a G_{s_a, j} with c0_j = <u_j, psi> /
 * ||psi|| and G the Gram rows of the unit atoms. */

/* Atoms of a block whose inner products with each other are kept. */
#define GRAM_IDS 64
/* Columns per chunk of the direct screening. */
#define CHUNK 256
/* A unit feature counts as in the span of a basis when it is within this
 * distance of its projection (the distances enter the bounds). */
#define SPAN_TOL 1e-7
/* Buckets for sorting the atoms by ||W_j||, and atoms per group of the
 * basis screening (scored together, one bound per group). */
#define NBUCKET 256
_Static_assert(NBUCKET <= 256, "basis_order keeps each atom's bucket in a byte");
#define GROUP 8
/* Groups scored at a time in the basis screening. */
#define SCAN 4
/* Blocks smaller than this take the next run of points too. */
#define MERGE 16
/* Blocks of a batch: their bases share one pass over the atoms
 * (batch_coordinates); at most BATCH, about BATCH_COLS basis vectors in all
 * (past that the product's rate hardly grows), their atoms' coordinates
 * within TTT_DECODE_BATCH_BYTES (decode_batch). */
#define BATCH 4
#define BATCH_COLS 128
/* The screening loops also in an AVX2 version, picked at load time on CPUs
 * that have it: faster, and the same choice of atoms (the screening only
 * finds the candidates). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && !defined(TTT_PLAIN_C)
#define SCREEN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SCREEN_CLONES
#endif

/* Points per block: TTT_DECODE_BLOCK, fewer when their state (a q x q
 * factor each, and up to q Gram rows each) would pass TTT_DECODE_BLOCK_BYTES. */
static size_t decode_block_size(size_t d1, size_t q)
{
    size_t per_point = q * (8 * q + 4 * d1) + 4 * d1;
    size_t B = TTT_DECODE_BLOCK_BYTES / per_point;
    return B < 1 ? 1 : B > TTT_DECODE_BLOCK ? TTT_DECODE_BLOCK : B;
}

/* The largest basis worth having for a block of nb points: its
 * coordinates cost rank d2 d1 where direct correlations cost nb d2 d1, and
 * the bound ||W_j|| ||z|| only screens well when ||W_j||, about
 * sqrt(rank / d2), is small: at most nb d2 / (nb + d2) and d2 / 4. */
static size_t basis_max(size_t nb, size_t d2)
{
    size_t r = nb * d2 / (nb + d2);
    return r < d2 / 4 ? r : d2 / 4;
}

/* Blocks per batch for bases of at most rmax vectors: the batch's
 * coordinates, 4 d1 bytes a column with the columns padded, within
 * TTT_DECODE_BATCH_BYTES where one block's allow it. */
static size_t decode_batch(size_t d1, size_t rmax)
{
    size_t k = rmax ? BATCH_COLS / rmax : BATCH;
    k = k < 1 ? 1 : k > BATCH ? BATCH : k;
    while (k > 1 && ttt_kernel_padded(k * rmax) * 4 * d1 > TTT_DECODE_BATCH_BYTES)
        k--;
    return k;
}

/* Per-thread buffers of the decoder, for a batch of blocks of at most B
 * points: what a block keeps from its basis to its decoding, for each
 * block of the batch (P, psi2, Y, zc, zeps point into those of the block
 * at hand), and the rest for one block at a time. */
typedef struct {
    size_t q, B, rmax, groups, ready, exact, ldw, bytes;
    void *arena;     /* all the buffers below but the slots' (bytes of them) */
    double *Pb, *psi2b, *Yb, *zcb, *zepsb; /* batch x those below */
    float *WTb;      /* d1 x (batch rmax padded, ttt_kernel_padded) the W_j on the bases of the batch, row stride ldw */
    float *nrmb;     /* batch x d1 */
    double *P;       /* B x d2 the block's features */
    double *psi2;    /* B ||psi||^2 */
    size_t *t;       /* B atoms chosen */
    unsigned char *live; /* B: still choosing */
    unsigned char *defer; /* B: took an atom off the basis: left to a direct block */
    size_t *sel;     /* B x q chosen atoms, in order */
    double *gamma;   /* B x q coefficients */
    double *b;       /* B x q <a_j, psi> of the chosen atoms */
    double *M;       /* B x q x q inverses of the Cholesky factors of the Gram matrices of the chosen atoms */
    double *f;       /* B x q M b (M and b only grow: one more row, one more entry a step) */
    double *g;       /* q: a new atom's inner products with the chosen ones, then its row of the factor */
    double *r;       /* d2 one point's residual */
    double *hd;      /* q its atoms' weights h_a */
    double *R;       /* B x d2 the unit features */
    double *E;       /* B x d2 the same less their projections on the basis (as of the last basis_residual) */
    double *Y;       /* rmax x d2 orthonormal basis of the block's features */
    float *Yf;       /* (batch rmax) x d2 those of the batch, one after the other, in single precision */
    float *Yt;       /* d2 x ldw the same transposed, zero past the batch's columns (ttt_kernel_rows) */
    uint32_t *Yt2;   /* (d2 + 1) / 2 x ldw or in bfloat16 pairs (ttt_kernel_rows_bf16) */
    int approx;      /* the batch's keys are from bfloat16 products, WTb holds those (not the W_j) */
    double slackb[BATCH]; /* then for each block of the batch a bound on ||W~_j - W_j|| (key_slack) */
    double *DD;      /* rmax x rmax scratch of key_slack */
    double *y;       /* max(d2, rmax) coordinates of one vector */
    /* The atoms chosen in the block, by slot: their Gram rows (direct) or
     * coordinates (basis). */
    int32_t *slot;   /* d1: the slot of atom j, -2 while it waits for a row, or -1 */
    size_t *atom;    /* cap: the atom of each slot */
    size_t cap, nslots;
    size_t cap_rows, cap_coord, want; /* room in rows and in coord (slots); want: rows a direct block may need */
    int rows_lent;   /* rows lies in the arena (run_blocks), not to be freed */
    float *rows;     /* cap_rows x d1 Gram rows <u_j, u_k> */
    double *coord;   /* cap_coord x rmax coordinates of the unit atoms */
    double *ceps;    /* cap_coord: their distances from the span */
    /* The inner products <a_j, a_k> of the first GRAM_IDS atoms chosen in
     * the block, which every point that chooses both needs (points of a
     * block share most of their atoms). */
    int32_t *gid;    /* d1: the id of atom j, or -1 */
    size_t *gatom;   /* GRAM_IDS: the atom of each id */
    size_t nids;
    double *gram;    /* GRAM_IDS x GRAM_IDS, NaN until computed */
    /* Direct blocks (and exact_coordinates in basis blocks). */
    float *X;        /* max(B, SCAN GROUP) x d2 unit features, then unit atoms, for a GEMM */
    float *Xt;       /* d2 x (B padded) X transposed, zero past its rows (atoms_dot) */
    float *tile;     /* TTT_KERNEL_ROWS x (B padded) products of a chunk of atoms (atoms_dot) */
    float *c0;       /* B x d1 scaled correlations <u_j, psi> / ||psi|| */
    float *top;      /* d1 / CHUNK: the largest scaled correlation of each chunk, one point */
    size_t *fresh;   /* B: atoms that wait for a row */
    const float **use; /* q: the Gram rows of one point's atoms */
    float *h;        /* q: and their weights */
    /* Basis blocks. */
    double *zc;      /* B x rmax coordinates of the unit features */
    double *zeps;    /* B: their distances from the span */
    float *WT;       /* d1 x rank W_j, atom by atom: the block's columns of WTb */
    size_t col;      /* the block's first column in WTb and Yt */
    double slack;    /* its slackb */
    float *Wg;       /* groups x rmax x GROUP the W_j sorted by decreasing norm, GROUP atoms interleaved;
                      * the first `ready` groups are filled (as the scans reach them), the first `exact` of
                      * them in single precision (with approx, the others in bfloat16) */
    float *gb;       /* groups: a bound on ||W_j|| for the atoms of this group and all later ones */
    float *nrm;      /* d1 keys ||fl(W_j)||^2 (basis_norms), the block's row of nrmb */
    int32_t *perm;   /* groups x GROUP: the atom at each place of the order (-1 past d1) */
    size_t *bucket;  /* NBUCKET + 1 */
    float *bmax;     /* NBUCKET the largest key in each bucket, then its bound */
    unsigned char *bk; /* d1 the bucket of each atom (NBUCKET <= 256) */
    float *score;    /* SCAN x GROUP scores of one scan */
    size_t *cand;    /* groups x GROUP places of the candidates (then their atoms) */
    float *cscore;   /* groups x GROUP and their scores */
    float *zf;       /* rmax one point's coordinates in single precision */
} decode_ws;

/* rows[f][j] = <x_f, u_j> for the nf vectors x_f (rows of X, d2 floats
 * each) and all d1 unit atoms, into rows (row stride ldr): the direct
 * blocks' correlations and Gram rows.  By ttt_kernel_rows where there is one:
 * X transposed into w->Xt, then TTT_KERNEL_ROWS atoms at a time into w->tile
 * (in L1 or L2) and from there transposed into rows; each product a fused
 * dot product of d2 terms in order, as in batch_coordinates.  sgemm copies
 * all of U for each call, and a block makes one call per round of its
 * steps (the defaults' direct pass: 16.4 ms with sgemm, 14.9 ms with this,
 * medians of 10 runs).  Else by BLAS. */
static void atoms_dot(const ttt_decoder *dec, decode_ws *w, const float *X, size_t nf, float *rows, size_t ldr)
{
    const size_t d1 = dec->d1, d2 = dec->d2;
#ifdef TTT_KERNEL
    if (!dec->blas) {
        const size_t ldw = ttt_kernel_columns(X, nf, d2, w->Xt);
        for (size_t j0 = 0; j0 < d1; j0 += TTT_KERNEL_ROWS) {
            const size_t jn = d1 - j0 < TTT_KERNEL_ROWS ? d1 - j0 : TTT_KERNEL_ROWS;
            ttt_kernel_rows(dec->U + j0 * d2, jn, d2, w->Xt, ldw, w->tile);
            for (size_t f = 0; f < nf; f++)
                for (size_t j = 0; j < jn; j++)
                    rows[f * ldr + j0 + j] = w->tile[j * ldw + f];
        }
        return;
    }
#else
    (void)w;
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nf, (int)d1, (int)d2, 1.0f, X, (int)d2, dec->U,
                (int)d2, 0.0f, rows, (int)ldr);
}

/* Places the buffers a thread allocates once in one piece from base (when
 * not NULL), each on a cache line; returns its size.  One piece from
 * ttt_mem_alloc, because a fresh page costs a fault (about 13 us a 4 KiB
 * page on the virtual machines this runs on: a block's few MB cost more
 * than its decoding) and in huge pages there are a few.  Fresh huge pages
 * cost about as much per byte (about 2 ms each here): a thread's buffers
 * serve both passes of ttt_decoder_run, and those only direct blocks use
 * come last. */
static size_t decode_ws_place(decode_ws *w, char *base, size_t d1, size_t d2, size_t batch)
{
    const size_t B = w->B, q = w->q, rm = w->rmax ? w->rmax : 1, yw = d2 > rm ? d2 : rm;
    const size_t places = w->groups * GROUP;
    size_t off = 0;
#define PLACE(ptr, n)                                                                                          \
    do {                                                                                                       \
        const size_t used_ = off + (n) * sizeof *(ptr), next_ = (used_ + 63) / 64 * 64 + ARENA_GAP;            \
        if (base) {                                                                                            \
            (ptr) = (void *)(base + off);                                                                      \
            ASAN_POISON_MEMORY_REGION(base + used_, next_ - used_);                                            \
        }                                                                                                      \
        off = next_;                                                                                           \
    } while (0)
    PLACE(w->Pb, batch * B * d2);
    PLACE(w->psi2b, batch * B);
    PLACE(w->t, B);
    PLACE(w->live, B);
    PLACE(w->defer, B);
    PLACE(w->sel, B * q);
    PLACE(w->gamma, B * q);
    PLACE(w->b, B * q);
    PLACE(w->M, B * q * q);
    PLACE(w->f, B * q);
    PLACE(w->g, q);
    PLACE(w->r, d2);
    PLACE(w->hd, q);
    PLACE(w->R, B * d2);
    PLACE(w->E, B * d2);
    PLACE(w->Yb, batch * rm * d2);
    PLACE(w->Yf, batch * rm * d2);
    PLACE(w->Yt, d2 * ttt_kernel_padded(batch * rm));
    PLACE(w->Yt2, (d2 + 1) / 2 * ttt_kernel_padded(batch * rm));
    PLACE(w->DD, rm * rm);
    PLACE(w->y, yw);
    PLACE(w->slot, d1);
    /* From zcb up to gid: buffers only basis blocks use, lent to c0 and
     * the Gram rows in passes without bases (run_blocks); keep them
     * together and nothing a direct block uses among them. */
    PLACE(w->zcb, batch * B * rm);
    PLACE(w->zepsb, batch * B);
    PLACE(w->WTb, d1 * ttt_kernel_padded(batch * rm));
    PLACE(w->Wg, places * rm);
    PLACE(w->gb, w->groups);
    PLACE(w->nrmb, batch * d1);
    PLACE(w->perm, places);
    PLACE(w->bucket, NBUCKET + 1);
    PLACE(w->bmax, NBUCKET);
    PLACE(w->bk, d1);
    PLACE(w->score, SCAN * GROUP);
    PLACE(w->cand, places);
    PLACE(w->cscore, places);
    PLACE(w->zf, rm);
    PLACE(w->gid, d1);
    PLACE(w->gatom, GRAM_IDS);
    PLACE(w->gram, GRAM_IDS * GRAM_IDS);
    /* Last, the buffers of direct blocks (X, Xt and tile also serve
     * exact_coordinates in basis blocks; none is lent), c0 (B d1 floats)
     * at the end: a huge page holding only rows of c0 that no block used
     * is never touched (basis blocks, the most of them, need none). */
    PLACE(w->X, (B > SCAN * GROUP ? B : SCAN * GROUP) * d2);
    PLACE(w->Xt, d2 * ttt_kernel_padded(B));
    PLACE(w->tile, TTT_KERNEL_ROWS * ttt_kernel_padded(B));
    PLACE(w->top, (d1 + CHUNK - 1) / CHUNK);
    PLACE(w->fresh, B);
    PLACE(w->use, q);
    PLACE(w->h, q);
    PLACE(w->c0, B * d1);
#undef PLACE
    return off;
}

static void decode_ws_free(decode_ws *w)
{
    if (!w->rows_lent)
        free(w->rows);
    if (w->arena)
        ASAN_UNPOISON_MEMORY_REGION(w->arena, w->bytes);
    free(w->arena);
    free(w->atom);
    free(w->coord);
    free(w->ceps);
}

/* For batches of `batch` blocks. */
/* A workspace's sizes (no buffers yet) for batches of `batch` blocks;
 * returns the bytes of its arena, also in w->bytes. */
static size_t decode_ws_size(decode_ws *w, size_t d1, size_t d2, size_t q, size_t batch)
{
    memset(w, 0, sizeof *w);
    w->q = q;
    w->B = decode_block_size(d1, q);
    w->rmax = basis_max(w->B, d2);
    w->groups = (d1 + GROUP - 1) / GROUP;
    return w->bytes = decode_ws_place(w, NULL, d1, d2, batch);
}

static int decode_ws_alloc(decode_ws *w, size_t d1, size_t d2, size_t q, size_t batch)
{
    w->arena = ttt_mem_alloc(decode_ws_size(w, d1, d2, q, batch), 1);
    if (!w->arena)
        return -1;
    decode_ws_place(w, w->arena, d1, d2, batch);
    for (size_t j = 0; j < d1; j++)
        w->slot[j] = w->gid[j] = -1;
    for (size_t k = 0; k < GRAM_IDS * GRAM_IDS; k++)
        w->gram[k] = GSL_NAN;
    return 0;
}

/* Points P, psi2, Y, zc and zeps at block m of the batch. */
static void batch_view(decode_ws *w, size_t m, size_t d2)
{
    const size_t B = w->B, rm = w->rmax ? w->rmax : 1;
    w->P = w->Pb + m * B * d2;
    w->psi2 = w->psi2b + m * B;
    w->Y = w->Yb + m * rm * d2;
    w->zc = w->zcb + m * B * rm;
    w->zeps = w->zepsb + m * B;
}

/* Room for n more slots: Gram rows of len floats, or coordinates of len
 * doubles; -1 when out of memory.  Both kinds stay from block to block
 * (a thread's blocks reuse the pages). */
static int cache_reserve(decode_ws *w, size_t n, size_t len, int gram)
{
    const size_t need = w->nslots + n;
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 32;
        while (cap < need)
            cap *= 2;
        size_t *atom = realloc(w->atom, cap * sizeof *atom);
        if (!atom)
            return -1;
        w->atom = atom;
        w->cap = cap;
    }
    if (gram) {
        if (need <= w->cap_rows)
            return 0;
        /* Gram rows in a fresh piece of a huge page at least (see
         * decode_ws_place), room for the w->want rows the block may need
         * (untouched pages cost nothing), the rows so far copied. */
        size_t cap = w->cap_rows ? w->cap_rows : 32;
        while (cap < need || cap < w->want ||
               (cap < w->B * w->q && cap * len * sizeof *w->rows < TTT_MEM_HUGE_PAGE))
            cap *= 2;
        float *rows = ttt_mem_alloc(cap * len, sizeof *rows);
        if (!rows)
            return -1;
        if (w->rows)
            memcpy(rows, w->rows, w->nslots * len * sizeof *rows);
        if (!w->rows_lent)
            free(w->rows);
        w->rows_lent = 0;
        w->rows = rows;
        w->cap_rows = cap;
    } else {
        if (need <= w->cap_coord)
            return 0;
        size_t cap = w->cap_coord ? w->cap_coord : 32;
        while (cap < need)
            cap *= 2;
        double *coord = realloc(w->coord, cap * len * sizeof *coord);
        if (coord)
            w->coord = coord;
        double *ceps = coord ? realloc(w->ceps, cap * sizeof *ceps) : NULL;
        if (!ceps)
            return -1;
        w->ceps = ceps;
        w->cap_coord = cap;
    }
    return 0;
}

/* Exact correlation of candidate j with the residual w->r: the best so far
 * (*best, *bestc) is replaced when it is larger, or equal at a smaller j. */
static void consider(const ttt_decoder *dec, const decode_ws *w, size_t j, size_t *best, double *bestc)
{
    double cj = fabs(cblas_ddot((int)dec->d2, dec->A + j * dec->d2, 1, w->r, 1)) * dec->inorm[j];
    if (cj > *bestc || (cj == *bestc && cj > 0.0 && j < *best)) {
        *bestc = cj;
        *best = j;
    }
}

/* The weights h_a = gamma_a ||a_{s_a}|| / ||psi|| of point i's atoms in
 * w->hd (and in single precision in w->h); returns sum_a |h_a|. */
static double weights_of(const ttt_decoder *dec, decode_ws *w, size_t i)
{
    double *hd = w->hd;
    const size_t q = w->q, t = w->t[i], *sel = w->sel + i * q;
    const double *gamma = w->gamma + i * q, inpsi = 1.0 / sqrt(w->psi2[i]);
    double sum = 0.0;
    for (size_t a = 0; a < t; a++) {
        hd[a] = gamma[a] * dec->norm2[sel[a]] * dec->inorm[sel[a]] * inpsi;
        w->h[a] = (float)hd[a];
        sum += fabs(hd[a]);
    }
    return sum;
}

/* The residual w->r = psi - A_S gamma of point i, for consider. */
static void residual_of(const ttt_decoder *dec, decode_ws *w, size_t i)
{
    const size_t d2 = dec->d2, q = w->q, t = w->t[i], *sel = w->sel + i * q;
    const double *gamma = w->gamma + i * q;
    memcpy(w->r, w->P + i * d2, d2 * sizeof *w->r);
    for (size_t a = 0; a < t; a++)
        cblas_daxpy((int)d2, -gamma[a], dec->A + sel[a] * d2, 1, w->r, 1);
}

/* <a_j, a_k> for atom j, whose id is ij (-1: none), and a chosen atom k:
 * kept for atoms with ids (the same call gives the same value, and the
 * product is symmetric to the bit). */
static double atom_dot(const ttt_decoder *dec, decode_ws *w, size_t j, int32_t ij, size_t k)
{
    const size_t d2 = dec->d2;
    const int32_t ik = w->gid[k];
    if (ij < 0 || ik < 0)
        return cblas_ddot((int)d2, dec->A + j * d2, 1, dec->A + k * d2, 1);
    double *g = w->gram + (size_t)ij * GRAM_IDS + (size_t)ik;
    if (isnan(*g))
        *g = w->gram[(size_t)ik * GRAM_IDS + (size_t)ij] = cblas_ddot((int)d2, dec->A + j * d2, 1, dec->A + k * d2, 1);
    return *g;
}

/* Point i takes atom best (d1: none) and its coefficients are solved
 * again.  With G_SS = L L^T the Gram matrix of its atoms (G_jk = <a_j,
 * a_k>) and M = L^{-1}, kept row by row: the new atom's row of L is l = M g
 * (g its inner products with the atoms before), l_t = sqrt(||a||^2 -
 * ||l||^2), and M gains the row -(l^T M) / l_t and 1 / l_t; f = M b gains
 * f_t = (b_t - <l, f>) / l_t, and gamma = G_SS^{-1} b = M^T f gains f_t
 * times M's new row.  Every step is products and sums, one division, no
 * chain of divisions as the triangular solves had.  Returns 1 when the
 * point goes on, 0 when it is done (q atoms, residual at tol, no atom, an
 * atom chosen before or dependent on the others, which is then dropped, or
 * d2 atoms already). */
static int take_atom(const ttt_decoder *dec, decode_ws *w, size_t i, size_t best, double tol)
{
    const size_t d1 = dec->d1, d2 = dec->d2, q = w->q;
    size_t *sel = w->sel + i * q, t = w->t[i];
    double *gamma = w->gamma + i * q, *b = w->b + i * q, *M = w->M + i * q * q, *f = w->f + i * q, *l = w->g;
    for (size_t a = 0; a < t && best < d1; a++)
        if (sel[a] == best)
            best = d1; /* already chosen: the residual is orthogonal to it up to rounding */
    /* With d2 atoms taken (independent: each passed the test below) they
     * span the space, and any other is dependent on them: its d would be
     * rounding, positive or not when the atoms are ill-conditioned. */
    if (best == d1 || t == d2)
        return 0;
    if (w->gid[best] < 0 && w->nids < GRAM_IDS) {
        w->gatom[w->nids] = best;
        w->gid[best] = (int32_t)w->nids++;
    }
    for (size_t k = 0; k < t; k++)
        l[k] = atom_dot(dec, w, best, w->gid[best], sel[k]);
    /* l = M g in place, from the last entry down (entry k reads g up to k). */
    double d = dec->norm2[best];
    for (size_t k = t; k-- > 0;) {
        double v = 0.0;
        for (size_t m = 0; m <= k; m++)
            v += M[k * q + m] * l[m];
        l[k] = v;
    }
    for (size_t k = 0; k < t; k++)
        d -= l[k] * l[k];
    if (!(d > 0.0))
        return 0; /* dependent on the atoms chosen: dropped */
    const double lt = sqrt(d), inv = 1.0 / lt;
    b[t] = cblas_ddot((int)d2, dec->A + best * d2, 1, w->P + i * d2, 1);
    double ft = b[t];
    for (size_t k = 0; k < t; k++)
        ft -= l[k] * f[k];
    f[t] = ft * inv;
    double *Mt = M + t * q;
    for (size_t m = 0; m < t; m++) {
        double v = 0.0;
        for (size_t k = m; k < t; k++)
            v += l[k] * M[k * q + m];
        Mt[m] = -inv * v;
        gamma[m] += Mt[m] * f[t];
    }
    Mt[t] = inv;
    gamma[t] = inv * f[t];
    sel[t++] = best;
    w->t[i] = t;
    /* ||f||^2 = b^T G_SS^{-1} b, the squared norm of psi's projection. */
    double fit = 0.0;
    for (size_t a = 0; a < t; a++)
        fit += f[a] * f[a];
    return !(t == q || w->psi2[i] - fit <= tol * tol * w->psi2[i]);
}

/* c_j = c0_j - sum_a h_a rows[a]_j in single precision for j in [j0, j0 + n),
 * four rows per pass (past t, weight 0). */
SCREEN_CLONES static void screen_chunk(const float *c0, const float *const *rows, const float *h, size_t t, size_t j0,
                                       size_t n, float *c)
{
    const float *src = c0 + j0;
    size_t a = 0;
    do {
        const float *r0 = t ? rows[a] + j0 : src, *r1 = a + 1 < t ? rows[a + 1] + j0 : r0,
                    *r2 = a + 2 < t ? rows[a + 2] + j0 : r0, *r3 = a + 3 < t ? rows[a + 3] + j0 : r0;
        const float h0 = t ? h[a] : 0.0f, h1 = a + 1 < t ? h[a + 1] : 0.0f, h2 = a + 2 < t ? h[a + 2] : 0.0f,
                    h3 = a + 3 < t ? h[a + 3] : 0.0f;
#pragma omp simd
        for (size_t k = 0; k < n; k++)
            c[k] = src[k] - h0 * r0[k] - h1 * r1[k] - h2 * r2[k] - h3 * r3[k];
        src = c;
        a += 4;
    } while (a < t);
}

/* The largest |c_j| of each chunk into top (d1 / CHUNK rounded up); returns
 * the largest of all. */
SCREEN_CLONES static float screen_all(const float *c0, const float *const *rows, const float *h, size_t t, size_t d1,
                                      float *top)
{
    float c[CHUNK], all = 0.0f;
    for (size_t j0 = 0; j0 < d1; j0 += CHUNK) {
        size_t n = d1 - j0 < CHUNK ? d1 - j0 : CHUNK;
        screen_chunk(c0, rows, h, t, j0, n, c);
        float m[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        size_t k = 0;
        for (; k + 8 <= n; k += 8)
            for (size_t u = 0; u < 8; u++) {
                float v = fabsf(c[k + u]);
                m[u] = v > m[u] ? v : m[u];
            }
        for (; k < n; k++) {
            float v = fabsf(c[k]);
            m[0] = v > m[0] ? v : m[0];
        }
        for (size_t u = 1; u < 8; u++)
            m[0] = m[u] > m[0] ? m[u] : m[0];
        top[j0 / CHUNK] = m[0];
        all = m[0] > all ? m[0] : all;
    }
    return all;
}

/* One step of point i of a direct block.  Each float correlation is a dot
 * product of d2 terms of unit vectors (error at most (d2 + 4) u, u =
 * FLT_EPSILON / 2) less 2t operations of the update: E = (d2 + 2t + 8)
 * FLT_EPSILON (1 + sum_a |h_a|) bounds the error with a factor 2 to spare. */
static int direct_step(const ttt_decoder *dec, decode_ws *w, size_t i, double tol)
{
    const size_t d1 = dec->d1, q = w->q, t = w->t[i];
    const double H = 1.0 + weights_of(dec, w, i);
    residual_of(dec, w, i);
    for (size_t a = 0; a < t; a++)
        w->use[a] = w->rows + (size_t)w->slot[w->sel[i * q + a]] * d1;
    const float *c0 = w->c0 + i * d1;
    const float top = screen_all(c0, w->use, w->h, t, d1, w->top);
    const double E = (double)(dec->d2 + 2 * t + 8) * FLT_EPSILON * H;
    const float floor = (float)((double)top - 2.0 * E);
    size_t best = d1;
    double bestc = 0.0;
    for (size_t j0 = 0; j0 < d1; j0 += CHUNK) {
        if (w->top[j0 / CHUNK] < floor)
            continue;
        size_t n = d1 - j0 < CHUNK ? d1 - j0 : CHUNK;
        float c[CHUNK];
        screen_chunk(c0, w->use, w->h, t, j0, n, c);
        for (size_t k = 0; k < n; k++)
            if (fabsf(c[k]) >= floor)
                consider(dec, w, j0 + k, &best, &bestc);
    }
    return take_atom(dec, w, i, best, tol);
}

/* Gram rows for the nf atoms in w->fresh (one GEMM). */
static int fresh_rows(const ttt_decoder *dec, decode_ws *w, size_t nf)
{
    const size_t d1 = dec->d1, d2 = dec->d2, first = w->nslots;
    if (cache_reserve(w, nf, d1, 1) != 0)
        return -1;
    for (size_t f = 0; f < nf; f++) {
        const size_t j = w->fresh[f];
        memcpy(w->X + f * d2, dec->U + j * d2, d2 * sizeof *w->X);
        w->atom[first + f] = j;
        w->slot[j] = (int32_t)(first + f);
    }
    atoms_dot(dec, w, w->X, nf, w->rows + first * d1, d1);
    w->nslots += nf;
    return 0;
}

/* A direct block: c0 for all points by one GEMM, then rounds in which each
 * point takes steps while the Gram rows of its atoms are at hand, and the
 * rows the points wait for come in one GEMM. */
static int direct_block(const ttt_decoder *dec, decode_ws *w, size_t nb, double tol)
{
    const size_t d1 = dec->d1, d2 = dec->d2, q = w->q;
    w->want = nb * q; /* the most rows the block can ask for, reserved (not touched) at once */
    for (size_t i = 0; i < nb; i++)
        for (size_t k = 0; k < d2; k++)
            w->X[i * d2 + k] = (float)w->R[i * d2 + k];
    atoms_dot(dec, w, w->X, nb, w->c0, d1);
    int status = 0;
    for (size_t nf = 1; nf && !status;) {
        nf = 0;
        for (size_t i = 0; i < nb; i++)
            while (w->live[i]) {
                const size_t t = w->t[i], j = t ? w->sel[i * q + t - 1] : 0;
                if (t && w->slot[j] < 0) {
                    if (w->slot[j] == -1) {
                        w->slot[j] = -2;
                        w->fresh[nf++] = j;
                    }
                    break;
                }
                w->live[i] = (unsigned char)direct_step(dec, w, i, tol);
            }
        if (nf)
            status = fresh_rows(dec, w, nf);
    }
    return status;
}

/* Coordinates y = Y v of a unit vector v on the basis (rank rows of Y), in
 * w->y; returns the distance of v from Y^T y. */
static double coordinates(decode_ws *w, const double *v, size_t rank, size_t d2)
{
    double *y = w->y, *e = w->r;
    memcpy(e, v, d2 * sizeof *e);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rank, (int)d2, 1.0, w->Y, (int)d2, v, 1, 0.0, y, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)rank, (int)d2, -1.0, w->Y, (int)d2, y, 1, 1.0, e, 1);
    return sqrt(cblas_ddot((int)d2, e, 1, e, 1));
}

/* A unit feature's parts off the span count as zero below this distance
 * (SPAN_TOL, squared), and their squared distances, updated as the basis
 * grows, are computed again below this one (the updates lose the small
 * ones to cancellation). */
#define SPAN_TOL2 (SPAN_TOL * SPAN_TOL)
#define FRESH2 1e-6

/* Row rank of Y, a vector off the span of the rows before it, becomes the
 * next basis vector: orthogonalised against them twice ("twice is
 * enough") and normalised.  The nb points' coordinates along it, column
 * rank of w->zc, are their unit features' (w->R) inner products with it:
 * their parts in the span before are orthogonal to it. */
static void basis_grow(decode_ws *w, size_t nb, size_t rank, size_t d2)
{
    double *y = w->Y + rank * d2, *c = w->y;
    for (int pass = 0; pass < 2 && rank; pass++) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rank, (int)d2, 1.0, w->Y, (int)d2, y, 1, 0.0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)rank, (int)d2, -1.0, w->Y, (int)d2, c, 1, 1.0, y, 1);
    }
    cblas_dscal((int)d2, 1.0 / sqrt(cblas_ddot((int)d2, y, 1, y, 1)), y, 1);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)d2, 1.0, w->R, (int)d2, y, 1, 0.0, w->zc + rank,
                (int)w->rmax);
}

/* The nb points' parts off the span of the first rank basis vectors,
 * E = R - Z Y (Z their coordinates, w->zc), into w->E by one GEMM (R
 * itself when rank = 0), and their squared norms into e2. */
static void basis_residual(decode_ws *w, size_t nb, size_t rank, size_t d2, double *e2)
{
    const double *E = w->R; /* with no basis yet, the features themselves */
    if (rank) {
        memcpy(w->E, w->R, nb * d2 * sizeof *w->E);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)d2, (int)rank, -1.0, w->zc,
                    (int)w->rmax, w->Y, (int)d2, 1.0, w->E, (int)d2);
        E = w->E;
    }
    for (size_t i = 0; i < nb; i++)
        e2[i] = cblas_ddot((int)d2, E + i * d2, 1, E + i * d2, 1);
}

/* An orthonormal basis Y of the block's unit features (in w->R) by pivoted
 * Gram-Schmidt (the point farthest from the span first), until every point
 * is within SPAN_TOL of the span; the points' coordinates on it and their
 * distances from it come with it (w->zc, w->zeps: a unit feature is
 * Y^T z + its row of w->E, to rounding).  The squared distances are
 * updated as the basis grows and computed again from E (basis_residual)
 * when the largest falls below FRESH2, so the last ones are E's.  Returns
 * its size, or 0 when that would pass basis_max (then the block is decoded
 * directly). */
static size_t block_basis(decode_ws *w, size_t nb, size_t d2)
{
    double *e2 = w->zeps; /* squared until the end */
    basis_residual(w, nb, 0, d2, e2);
    int fresh = 1;
    for (size_t rank = 0;;) {
        size_t far = nb;
        double most = SPAN_TOL2;
        for (size_t i = 0; i < nb; i++)
            if (e2[i] > most) {
                most = e2[i];
                far = i;
            }
        if (!fresh && most < FRESH2) {
            basis_residual(w, nb, rank, d2, e2);
            fresh = 1;
            continue;
        }
        if (far == nb) {
            for (size_t i = 0; i < nb; i++)
                w->zeps[i] = sqrt(e2[i]);
            return rank;
        }
        if (rank == basis_max(nb, d2))
            return 0;
        /* The farthest point's part off the span, as E's row would hold it. */
        double *y = w->Y + rank * d2;
        memcpy(y, w->R + far * d2, d2 * sizeof *y);
        if (rank)
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)rank, (int)d2, -1.0, w->Y, (int)d2, w->zc + far * w->rmax,
                        1, 1.0, y, 1);
        basis_grow(w, nb, rank, d2);
        for (size_t i = 0; i < nb; i++)
            e2[i] -= w->zc[i * w->rmax + rank] * w->zc[i * w->rmax + rank];
        rank++;
        fresh = 0;
    }
}

#if defined(__GNUC__) && !defined(TTT_PLAIN_C)
/* GROUP floats side by side (GCC's vector types, in GCC and Clang); v8fu
 * reads them where they lie (any float boundary). */
typedef float v8f __attribute__((vector_size(GROUP * sizeof(float))));
typedef float v8fu __attribute__((vector_size(GROUP * sizeof(float)), aligned(sizeof(float)), may_alias));
#define LOAD8(p) (*(const v8fu *)(const void *)(p))
#endif

/* The squared norms ||fl(W_j)||^2 of atoms j0 to j1 - 1 for the nbk blocks
 * of a batch (block m: columns col[m] to col[m] + rank[m] of WT, row
 * stride ld), summed in single precision (GROUP at a time side by side,
 * then across them, the rest one by one), into row m of key (d1 each), the
 * largest so far into most[m].  key_norm turns a key into a bound on
 * ||fl(W_j)||. */
SCREEN_CLONES static void basis_norms(const float *WT, size_t ld, const size_t *col, const size_t *rank, size_t nbk,
                                      size_t d1, size_t j0, size_t j1, float *key, float *most)
{
    for (size_t j = j0; j < j1; j++)
        for (size_t m = 0; m < nbk; m++) {
            const float *v = WT + j * ld + col[m];
            float b = 0.0f;
            size_t k = 0;
#if defined(__GNUC__) && !defined(TTT_PLAIN_C)
            v8f s = {0.0f};
            for (; k + GROUP <= rank[m]; k += GROUP)
                s += LOAD8(v + k) * LOAD8(v + k);
            b = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
#endif
            for (; k < rank[m]; k++)
                b += v[k] * v[k];
            key[m * d1 + j] = b;
            most[m] = b > most[m] ? b : most[m];
        }
}

/* A bound on ||fl(W_j)|| (or ||W~_j||) from its key, a sum of rank
 * squares in single precision in any order: each term rounded at most
 * rank times (its square, then the additions it takes part in), so key (1
 * + (rank + 2) FLT_EPSILON) bounds the sum where nothing underflows, and
 * (rank + 1) 2^-149 more covers squares and sums below FLT_MIN (each then
 * off by at most half of 2^-149).  Increasing in the key. */
static double key_norm(float key, size_t rank)
{
    return sqrt((double)key * (1.0 + (double)(rank + 2) * FLT_EPSILON) + (double)(rank + 1) * 0x1p-149);
}

#ifdef TTT_KERNEL
/* With keys from bfloat16 products: a bound on ||W~_j - W_j|| for every
 * atom j on block m's basis (rank vectors from column col of the batch),
 * W~_j the computed products of the rounded vectors ub_j = bf16(u_j) and
 * yb_c = bf16(fl(y_c)), W_j = Y u_j the exact ones.  With D = Yb - Y, dY
 * a bound on ||D||_2 (the square root of the largest row sum of |D D^T|,
 * Gershgorin's; about a third of ||D||_F here) and du = ||ub_j - u_j|| <=
 * dec->ueps: W~_j is within g ||ub_j|| ||Yb||_F of Yb ub_j (the kernel's
 * sums of n = d2 rounded up to even exact products, g = n u / (1 - n u),
 * u = FLT_EPSILON / 2, plus n FLT_MIN a product for denormals flushed to
 * zero), and Yb ub_j - Y u_j = Yb (ub_j - u_j) + D u_j, at most
 * (1 + dY) du + dY (Y's rows orthonormal and ||u_j|| = 1, each to within
 * 1e-12).  slack_of takes Y, its rows in single precision Yf, and
 * scratch for D (rank x d2) and D D^T (rank x rank); key_slack gives it
 * block m's, D in w->E and D D^T in w->DD. */
static double slack_of(const ttt_decoder *dec, const double *Y, const float *Yf, size_t rank, double *D,
                       double *DD)
{
    const size_t d2 = dec->d2;
    double ny2 = 0.0;
    for (size_t c = 0; c < rank; c++)
        for (size_t k = 0; k < d2; k++) {
            const double yb = (double)ttt_kernel_bf16(Yf[c * d2 + k]);
            D[c * d2 + k] = yb - Y[c * d2 + k];
            ny2 += yb * yb;
        }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)rank, (int)d2, 1.0, D, (int)d2, 0.0, DD, (int)rank);
    double most = 0.0;
    for (size_t a = 0; a < rank; a++) {
        double sum = 0.0;
        for (size_t c = 0; c < rank; c++)
            sum += fabs(a <= c ? DD[a * rank + c] : DD[c * rank + a]);
        most = sum > most ? sum : most;
    }
    const double dY = sqrt(most) * (1.0 + 1e-9), nY = sqrt(ny2) * (1.0 + 1e-12), du = dec->ueps;
    const double n = (double)(2 * ((d2 + 1) / 2)), u = FLT_EPSILON / 2.0, g = n * u / (1.0 - n * u);
    const double slack = (1.0 + 1e-12 + dY) * du + dY * (1.0 + 1e-12) + g * (1.0 + du) * nY +
                         sqrt((double)rank) * n * FLT_MIN + 1e-12;
    return slack * (1.0 + 1e-9);
}

static double key_slack(const ttt_decoder *dec, decode_ws *w, size_t m, size_t col, size_t rank)
{
    const size_t rm = w->rmax ? w->rmax : 1;
    return slack_of(dec, w->Yb + m * rm * dec->d2, w->Yf + col * dec->d2, rank, w->E, w->DD);
}
#endif

double ttt_decoder_key_slack(const ttt_decoder *dec, const double *Y, size_t rank)
{
#ifdef TTT_KERNEL
    if (!dec->bf16 || rank == 0)
        return 0.0;
    const size_t d2 = dec->d2;
    float *Yf = malloc(rank * d2 * sizeof *Yf);
    double *D = malloc(rank * d2 * sizeof *D), *DD = malloc(rank * rank * sizeof *DD);
    double slack = -1.0;
    if (Yf && D && DD) {
        for (size_t k = 0; k < rank * d2; k++)
            Yf[k] = (float)Y[k];
        slack = slack_of(dec, Y, Yf, rank, D, DD);
    }
    free(Yf);
    free(D);
    free(DD);
    return slack;
#else
    (void)dec;
    (void)Y;
    (void)rank;
    return 0.0;
#endif
}

/* The atoms' coordinates on the bases of a batch, W_jc = <u_j, y_c> for
 * all d1 atoms and the batch's cols basis vectors (rows of w->Yf) into
 * w->WTb, and their squared norms (basis_norms: block m's columns from
 * col[m], rank[m] of them; the largest into most[m], which starts at 0): a GEMM
 * d1 x cols x d2 with the atoms as they lie in U.  Where the CPU has AVX2
 * and FMA, by ttt_kernel_rows: BLAS would copy all of U into its own layout
 * for each batch (as much memory traffic as the product itself takes at
 * this size) and clear the result first; here the basis is transposed
 * into Yt and U is read in place, TTT_KERNEL_ROWS atoms at a time, whose
 * norms are taken while their rows are in cache.  Each W_jc is then a
 * fused dot product of d2 terms in order, within the rounding bound the
 * screening assumes (norm_bound) as BLAS's is.
 * Where the CPU also has AVX512-BF16 (dec->bf16) the product is taken in
 * bfloat16 instead, twice as fast (on AMX tiles, where the CPU has them
 * and d2 is a multiple of 32, eight times as fast again: see
 * ttt_kernel_rows_bf16; the same bound): WTb then holds the W~_jc, each W~_j
 * within w->slackb[m] of W_j (key_slack); their norms order the atoms and
 * bound the ones a scan does not reach (key_bound), and they give the
 * scores past the first scan, whose atoms get single-precision
 * coordinates again (exact_coordinates).  Returns the row stride of WTb:
 * cols, or cols padded (ttt_kernel_padded) with zeros past cols. */
static size_t batch_coordinates(const ttt_decoder *dec, decode_ws *w, size_t cols, const size_t *col,
                                const size_t *rank, size_t nbk, float *most)
{
    const size_t d1 = dec->d1, d2 = dec->d2;
    w->approx = 0;
#ifdef TTT_KERNEL
    if (!dec->blas) {
        const size_t d2h = (d2 + 1) / 2;
        w->approx = dec->bf16;
        const size_t ldw = w->approx ? ttt_kernel_columns_bf16(w->Yf, cols, d2, w->Yt2)
                                     : ttt_kernel_columns(w->Yf, cols, d2, w->Yt);
        for (size_t j0 = 0; j0 < d1; j0 += TTT_KERNEL_ROWS) {
            const size_t j1 = d1 - j0 < TTT_KERNEL_ROWS ? d1 : j0 + TTT_KERNEL_ROWS;
            if (w->approx)
                ttt_kernel_rows_bf16(dec->Ub + j0 * d2h, j1 - j0, d2h, w->Yt2, ldw, w->WTb + j0 * ldw);
            else
                ttt_kernel_rows(dec->U + j0 * d2, j1 - j0, d2, w->Yt, ldw, w->WTb + j0 * ldw);
            basis_norms(w->WTb, ldw, col, rank, nbk, d1, j0, j1, w->nrmb, most);
        }
        for (size_t m = 0; m < nbk && w->approx; m++) /* (blocks of rank 0 are direct) */
            w->slackb[m] = rank[m] ? key_slack(dec, w, m, col[m], rank[m]) : 0.0;
        return ldw;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d1, (int)cols, (int)d2, 1.0f, dec->U, (int)d2, w->Yf,
                (int)d2, 0.0f, w->WTb, (int)cols);
    basis_norms(w->WTb, cols, col, rank, nbk, d1, 0, d1, w->nrmb, most);
    return cols;
}

/* A bound on ||W_j|| from its key (basis_norms) on a basis of the given
 * rank: key_norm bounds ||fl(W_j)||, and a W_jk is a single-precision dot
 * product of d2 terms of two rounded unit vectors, so ||W_j|| <=
 * ||fl(W_j)|| (1 + (rank + 2) eps) + sqrt(rank) (d2 + 4) eps.  Increasing
 * in the key. */
static float norm_bound(float key, size_t rank, size_t d2)
{
    const double grow = 1.0 + (double)(rank + 2) * FLT_EPSILON;
    const double add = sqrt((double)rank) * (double)(d2 + 4) * FLT_EPSILON;
    return (float)(key_norm(key, rank) * grow + add) * (1.0f + FLT_EPSILON);
}

/* With keys from bfloat16 products, a bound on ||W~_j||, the vector the
 * scores are taken with (key_norm).  A scan needs no more: an atom past it
 * scores at most that times ||z|| (plus the rounding E covers), and the
 * error of W~_j against W_j is in E (basis_step).  Increasing in the key. */
static float key_bound(float key, size_t rank)
{
    return (float)(key_norm(key, rank) * (1.0 + 1e-12)) * (1.0f + FLT_EPSILON);
}

#ifdef TTT_KERNEL
/* With keys from bfloat16 products, the W_jk = <u_j, y_k> of the atoms in
 * the first w->exact groups of the order in single precision (by
 * ttt_kernel_rows: their rows copied together, w->X, against the block's
 * basis transposed, w->Xt), into their places in Wg: the atoms every step
 * scans, almost always the best among them, get scores with single
 * precision's small error bound. */
static void exact_coordinates(const ttt_decoder *dec, decode_ws *w, size_t rank)
{
    const size_t d2 = dec->d2, n = w->exact * GROUP;
    for (size_t p = 0; p < n; p++) {
        const int32_t j = w->perm[p];
        if (j >= 0)
            memcpy(w->X + p * d2, dec->U + (size_t)j * d2, d2 * sizeof *w->X);
        else
            memset(w->X + p * d2, 0, d2 * sizeof *w->X);
    }
    const size_t ldw = ttt_kernel_columns(w->Yf + w->col * d2, rank, d2, w->Xt);
    ttt_kernel_rows(w->X, n, d2, w->Xt, ldw, w->tile);
    for (size_t p = 0; p < n; p++)
        for (size_t k = 0; k < rank; k++)
            w->Wg[(p / GROUP * rank + k) * GROUP + p % GROUP] = w->tile[p * ldw + k];
}
#endif

/* The atoms sorted by decreasing key (w->nrm, the largest most; a bucket
 * sort) into w->perm, with a bound on ||W_j|| per group of w->Wg for it and
 * all later ones; the groups are filled as the scans reach them
 * (basis_fill). */
static void basis_order(const ttt_decoder *dec, decode_ws *w, float most, size_t rank)
{
    const size_t d1 = dec->d1;
    /* Bucket b holds the keys in [b, b + 1) most / NBUCKET, largest first. */
    size_t *count = w->bucket;
    memset(count, 0, (NBUCKET + 1) * sizeof *count);
    const double scale = most > 0.0f ? (double)NBUCKET / (double)most : 0.0;
    for (size_t b = 0; b < NBUCKET; b++)
        w->bmax[b] = 0.0f;
    for (size_t j = 0; j < d1; j++) {
        size_t b = (size_t)((double)w->nrm[j] * scale);
        b = NBUCKET - 1 - (b < NBUCKET ? b : NBUCKET - 1); /* 0: the largest */
        w->bk[j] = (unsigned char)b;
        count[b + 1]++;
        w->bmax[b] = w->nrm[j] > w->bmax[b] ? w->nrm[j] : w->bmax[b];
    }
    for (size_t b = 0; b < NBUCKET; b++) {
        count[b + 1] += count[b];
        w->bmax[b] = w->approx ? key_bound(w->bmax[b], rank) : norm_bound(w->bmax[b], rank, dec->d2);
    }
    for (size_t j = 0; j < d1; j++)
        w->perm[count[w->bk[j]]++] = (int32_t)j;
    for (size_t p = d1; p < w->groups * GROUP; p++)
        w->perm[p] = -1;
    /* count[b] is now the end of bucket b: the bound of a group is the
     * bound of the largest key in the bucket of its first atom, which holds
     * for all later atoms too (buckets are monotone in the key). */
    for (size_t g = 0, b = 0; g < w->groups; g++) {
        while (count[b] <= g * GROUP)
            b++;
        w->gb[g] = w->bmax[b];
    }
    w->ready = 0;
    w->exact = w->groups;
#ifdef TTT_KERNEL
    if (w->approx) { /* the first scan's groups in single precision */
        w->exact = w->ready = w->groups < SCAN ? w->groups : SCAN;
        exact_coordinates(dec, w, rank);
    }
#endif
}

/* Groups ahead whose rows basis_fill prefetches (past the groups it fills:
 * the next scan likely reads them). */
#define FILL_AHEAD 4

/* The groups of w->Wg up to `upto` filled from w->WT (a step rarely looks
 * past the first few hundred atoms of the order). */
static void basis_fill(decode_ws *w, size_t rank, size_t upto)
{
    for (size_t g = w->ready; g < upto; g++) {
#ifdef __GNUC__
        /* The rows lie anywhere in WT: those of a group a few ahead asked
         * for now, both ends (rank floats may straddle two cache lines). */
        if (g + FILL_AHEAD < w->groups)
            for (size_t l = 0; l < GROUP; l++) {
                const int32_t j = w->perm[(g + FILL_AHEAD) * GROUP + l];
                if (j >= 0) {
                    __builtin_prefetch(w->WT + (size_t)j * w->ldw);
                    __builtin_prefetch(w->WT + (size_t)j * w->ldw + rank - 1);
                }
            }
#endif
        float *dst = w->Wg + g * rank * GROUP;
        for (size_t l = 0; l < GROUP; l++) {
            const int32_t j = w->perm[g * GROUP + l];
            for (size_t k = 0; k < rank; k++)
                dst[k * GROUP + l] = j >= 0 ? w->WT[(size_t)j * w->ldw + k] : 0.0f;
        }
    }
    w->ready = upto > w->ready ? upto : w->ready;
}

/* |<W_j, z>| for the atoms of groups [g0, g0 + ng) (ng <= SCAN) into
 * score, and the largest of each group into gmost.  Each score is summed
 * over k in order, whatever the compiler; with GCC's vector types (GCC,
 * Clang) SCAN groups side by side, so that their sums advance together
 * rather than as one chain of dependent additions. */
#if defined(__GNUC__) && !defined(TTT_PLAIN_C)
typedef int32_t v8i __attribute__((vector_size(GROUP * sizeof(int32_t))));
/* The larger of a and b in each lane (neither a NaN), and a's lanes in
 * another order (GCC and Clang spell the shuffle differently). */
#define VMAX8(a, b)                                                                                                \
    __extension__({                                                                                                \
        const v8f a_ = (a), b_ = (b);                                                                              \
        const v8i more_ = a_ > b_;                                                                                 \
        (v8f)((more_ & (v8i)a_) | (~more_ & (v8i)b_));                                                             \
    })
#ifdef __clang__
#define SHUFFLE8(a, ...) __builtin_shufflevector(a, a, __VA_ARGS__)
#else
#define SHUFFLE8(a, ...) __builtin_shuffle(a, (v8i){__VA_ARGS__})
#endif

SCREEN_CLONES static void basis_scores(const float *Wg, size_t rank, const float *z, size_t g0, size_t ng,
                                       float *score, float *gmost)
{
    const float *src = Wg + g0 * rank * GROUP;
    v8f acc[SCAN];
    for (size_t g = 0; g < SCAN; g++)
        acc[g] = (v8f){0.0f};
    if (ng == SCAN) {
        v8f a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        const float *s0 = src, *s1 = src + rank * GROUP, *s2 = s1 + rank * GROUP, *s3 = s2 + rank * GROUP;
        for (size_t k = 0; k < rank; k++) {
            const v8f zk = (v8f){0.0f} + z[k];
            a0 += zk * LOAD8(s0 + k * GROUP);
            a1 += zk * LOAD8(s1 + k * GROUP);
            a2 += zk * LOAD8(s2 + k * GROUP);
            a3 += zk * LOAD8(s3 + k * GROUP);
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    } else
        for (size_t g = 0; g < ng; g++)
            for (size_t k = 0; k < rank; k++)
                acc[g] += ((v8f){0.0f} + z[k]) * LOAD8(src + (g * rank + k) * GROUP);
    /* |acc| by clearing the sign bits; each group's largest by three
     * rounds of max against itself rotated (all >= 0: the order of the
     * comparisons cannot matter). */
    const v8i mag = (v8i){0} + 0x7fffffff;
    for (size_t g = 0; g < ng; g++) {
        v8f a = (v8f)((v8i)acc[g] & mag);
        memcpy(score + g * GROUP, &a, sizeof a);
        a = VMAX8(a, SHUFFLE8(a, 4, 5, 6, 7, 0, 1, 2, 3));
        a = VMAX8(a, SHUFFLE8(a, 2, 3, 0, 1, 6, 7, 4, 5));
        a = VMAX8(a, SHUFFLE8(a, 1, 0, 3, 2, 5, 4, 7, 6));
        gmost[g] = a[0];
    }
}
#else
/* The largest of the GROUP scores of each group into gmost. */
static void group_most(const float *score, size_t ng, float *gmost)
{
    for (size_t g = 0; g < ng; g++) {
        float most = 0.0f;
        for (size_t l = 0; l < GROUP; l++)
            most = score[g * GROUP + l] > most ? score[g * GROUP + l] : most;
        gmost[g] = most;
    }
}

static void basis_scores(const float *Wg, size_t rank, const float *z, size_t g0, size_t ng, float *score,
                         float *gmost)
{
    const float *src = Wg + g0 * rank * GROUP;
    for (size_t g = 0; g < ng; g++)
        for (size_t l = 0; l < GROUP; l++) {
            float acc = 0.0f;
            for (size_t k = 0; k < rank; k++)
                acc += z[k] * src[(g * rank + k) * GROUP + l];
            score[g * GROUP + l] = fabsf(acc);
        }
    group_most(score, ng, gmost);
}
#endif

/* Coordinates of unit atom j in a slot (computed once per block). */
static int basis_slot(const ttt_decoder *dec, decode_ws *w, size_t j, size_t rank)
{
    const size_t d2 = dec->d2;
    if (cache_reserve(w, 1, w->rmax, 0) != 0)
        return -1;
    const size_t s = w->nslots++;
    for (size_t k = 0; k < d2; k++)
        w->R[k] = dec->A[j * d2 + k] * dec->inorm[j]; /* scratch: R is not needed after the basis */
    w->ceps[s] = coordinates(w, w->R, rank, d2);
    memcpy(w->coord + s * w->rmax, w->y, rank * sizeof *w->coord);
    w->atom[s] = j;
    w->slot[j] = (int32_t)s;
    return 0;
}

/* One step of point i of a basis block.  The residual's scaled
 * coordinates are z = z_psi - sum_a h_a y_a (y_a those of the atoms), and
 * what lies off the span is at most off = eps_psi + sum_a |h_a| eps_a.  The
 * float score of atom j is within Ex = (d2 + rank + 8) FLT_EPSILON ||z||_1
 * + off of |c_j| (W_j and the score are dot products of d2 and rank
 * terms), with a factor 2 to spare; |c_j| <= ||W_j|| ||z|| + off.  With
 * keys from bfloat16 products (w->approx) the scores past the first
 * w->exact groups are those of the W~_j, within Ea = Ex + slack ||z||
 * (key_slack), and gb bounds ||W~_j|| (key_bound), so then |c_j| <= (gb +
 * slack) ||z|| + off (slack is 0 without approx).  With low the largest
 * score - E over the atoms scored, the best atom has |c| >= low: an atom
 * is a candidate when its score + E reaches low, and the scan stops at
 * the first group whose bound is below low, which no atom past it can
 * reach.  So the best atom is a candidate, and a lone candidate the
 * best. */
static int basis_step(const ttt_decoder *dec, decode_ws *w, size_t i, size_t rank, double tol)
{
    const size_t d1 = dec->d1, q = w->q, t = w->t[i], *sel = w->sel + i * q;
    const double *hd = w->hd;
    double *restrict z = w->y;
    const double H = weights_of(dec, w, i);
    double off = w->zeps[i];
    memcpy(z, w->zc + i * w->rmax, rank * sizeof *z);
    for (size_t a = 0; a < t; a++) {
        const size_t s = (size_t)w->slot[sel[a]];
        const double *restrict ya = w->coord + s * w->rmax;
#pragma omp simd
        for (size_t k = 0; k < rank; k++)
            z[k] -= hd[a] * ya[k];
        off += fabs(hd[a]) * w->ceps[s];
    }
    double n1 = 0.0, n2 = 0.0;
    for (size_t k = 0; k < rank; k++) {
        n1 += fabs(z[k]);
        n2 += z[k] * z[k];
        w->zf[k] = (float)z[k];
    }
    n2 = sqrt(n2) * (1.0 + 1e-12);
    off += 1e-12 * (1.0 + n1);
    /* The scores' errors: Ex for the atoms with single-precision
     * coordinates (the first w->exact groups), Ea for the others. */
    const double Ex = (double)(dec->d2 + rank + 8) * FLT_EPSILON * n1 + off, Ea = Ex + w->slack * n2;
    const size_t exact = w->exact * GROUP;
    double low = 0.0; /* the largest score - E so far: |c_j| of the best atom is at least that */
    size_t ncand = 0;
    for (size_t g0 = 0; g0 < w->groups; g0 += SCAN) {
        const size_t ng = w->groups - g0 < SCAN ? w->groups - g0 : SCAN;
        if (((double)w->gb[g0] + w->slack) * n2 + off < low)
            break;
        if (g0 + ng > w->ready)
            basis_fill(w, rank, g0 + ng);
        float gmost[SCAN];
        basis_scores(w->Wg, rank, w->zf, g0, ng, w->score, gmost);
        const double E = g0 * GROUP < exact ? Ex : Ea; /* exact is a multiple of SCAN groups */
        for (size_t g = 0; g < ng; g++)
            low = (double)gmost[g] - E > low ? (double)gmost[g] - E : low;
        const double floor = low - E;
        for (size_t g = 0; g < ng; g++) {
            if (gmost[g] < floor)
                continue;
            for (size_t p = g * GROUP; p < (g + 1) * GROUP; p++)
                if ((double)w->score[p] >= floor) {
                    w->cand[ncand] = g0 * GROUP + p;
                    w->cscore[ncand++] = w->score[p];
                }
        }
    }
    /* The candidates, as atoms: those whose score + E reaches the final
     * low (the floors only rose during the scan).  A lone one is the atom
     * consider would choose unless its correlation came out 0, which it
     * cannot when its score passes E + (d2 + 2t + 8) DBL_EPSILON (1 +
     * sum_a |h_a|): its exact |c_j| is at least score - E, and the computed
     * one is off by the rounding of the residual (t operations on each
     * entry, each within DBL_EPSILON of |psi_k| + sum_a |gamma_a a_ak|) and
     * of the dot product (d2 terms), at most (t + d2 / 2 + 1) DBL_EPSILON
     * (1 + sum_a |h_a|) scaled as c_j: a factor 2 to spare.  Then the
     * residual is not needed. */
    size_t found = 0;
    double Elone = Ex;
    for (size_t c = 0; c < ncand; c++) {
        const int32_t j = w->perm[w->cand[c]];
        const double E = w->cand[c] < exact ? Ex : Ea;
        if (j >= 0 && (double)w->cscore[c] >= low - E) {
            w->cand[found] = (size_t)j;
            w->cscore[found++] = w->cscore[c];
            Elone = E;
        }
    }
    size_t best = d1;
    if (found == 1 && (double)w->cscore[0] - Elone > (double)(dec->d2 + 2 * t + 8) * DBL_EPSILON * (1.0 + H))
        best = w->cand[0];
    else if (found) {
        double bestc = 0.0;
        residual_of(dec, w, i);
        for (size_t c = 0; c < found; c++)
            consider(dec, w, w->cand[c], &best, &bestc);
    }
    if (!take_atom(dec, w, i, best, tol))
        return 0;
    /* Going on: the new atom's coordinates, once per block.  An atom off
     * the span would let every atom through the bound: the point is left
     * to a direct block. */
    const size_t j = sel[w->t[i] - 1];
    if (w->slot[j] < 0 && basis_slot(dec, w, j, rank) != 0)
        return -1;
    if (w->ceps[w->slot[j]] > SPAN_TOL) {
        w->defer[i] = 1;
        return 0;
    }
    return 1;
}

/* A basis block, the coordinates of the atoms on it in w->WT and their
 * squared norms (keys) in w->nrm, the largest most (those of the points come with
 * the basis): the atoms in order, then each point's steps one after the
 * other. */
static int basis_block(const ttt_decoder *dec, decode_ws *w, size_t nb, size_t rank, float most, double tol)
{
    basis_order(dec, w, most, rank);
    for (size_t i = 0; i < nb; i++)
        while (w->live[i]) {
            int go = basis_step(dec, w, i, rank, tol);
            if (go < 0)
                return -1;
            w->live[i] = (unsigned char)go;
        }
    return 0;
}

/* The unit features of the block's points into w->R. */
static void unit_features(decode_ws *w, size_t nb, size_t d2)
{
    for (size_t i = 0; i < nb; i++) {
        const double s = w->psi2[i] > 0.0 ? 1.0 / sqrt(w->psi2[i]) : 0.0;
        for (size_t k = 0; k < d2; k++)
            w->R[i * d2 + k] = w->P[i * d2 + k] * s;
    }
}

/* Block m of the batch, nb points: their features and, with basis, a
 * basis of their span when it is small, whose rows join those of the
 * batch in w->Yf from row col.  Returns its size (0: decoded directly). */
static size_t block_prepare(decode_ws *w, size_t m, const double *const *pts, size_t nb, size_t d2, int basis,
                            size_t col)
{
    batch_view(w, m, d2);
    /* The points' features are rows scattered over the training set: all
     * their cache lines asked for at once, then copied (one miss after
     * another cost about as much as the rest of the preparation). */
#ifdef __GNUC__
    for (size_t i = 0; i < nb; i++)
        for (size_t k = 0; k < d2; k += 8)
            __builtin_prefetch(pts[i] + k);
#endif
    for (size_t i = 0; i < nb; i++) {
        double *p = w->P + i * d2;
        memcpy(p, pts[i], d2 * sizeof *p);
        w->psi2[i] = cblas_ddot((int)d2, p, 1, p, 1);
    }
    if (!basis)
        return 0;
    unit_features(w, nb, d2);
    const size_t rank = block_basis(w, nb, d2);
    for (size_t k = 0; k < rank * d2; k++)
        w->Yf[col * d2 + k] = (float)w->Y[k];
    return rank;
}

/* Decodes block m of the batch (nb points): through its basis when it has
 * one (rank > 0; the atoms' coordinates from column col of w->WTb, bounds
 * their squared norms (keys) in row m of w->nrmb, the largest most), else directly. */
static int block_decode(const ttt_decoder *dec, decode_ws *w, size_t m, size_t nb, size_t rank, size_t col,
                        float most, double tol)
{
    batch_view(w, m, dec->d2);
    w->WT = w->WTb + col;
    w->col = col;
    w->slack = w->approx ? w->slackb[m] : 0.0;
    w->nrm = w->nrmb + m * dec->d1;
    for (size_t i = 0; i < nb; i++) {
        w->t[i] = 0;
        w->live[i] = w->psi2[i] > 0.0;
        w->defer[i] = 0;
    }
    int status;
    if (rank)
        status = basis_block(dec, w, nb, rank, most, tol);
    else {
        unit_features(w, nb, dec->d2);
        status = direct_block(dec, w, nb, tol);
    }
    for (size_t s = 0; s < w->nslots; s++)
        w->slot[w->atom[s]] = -1;
    w->nslots = 0;
    for (size_t a = 0; a < w->nids; a++) {
        w->gid[w->gatom[a]] = -1;
        for (size_t c = 0; c < w->nids; c++)
            w->gram[a * GRAM_IDS + c] = GSL_NAN;
    }
    w->nids = 0;
    return status;
}

/* The blocks: each run of one label (all the points without labels) cut
 * into near-equal pieces of at most B points, except that a run joins the
 * block before when that has fewer than B / 4 points and both fit in B.
 * first gets the first point of each block and npts at the end; returns
 * their number. */
static size_t decode_blocks(const size_t *group, size_t npts, size_t B, size_t *first)
{
    size_t nb = 0;
    for (size_t p = 0, end; p < npts; p = end) {
        for (end = p + 1; end < npts && (!group || group[end] == group[p]); end++)
            ;
        const size_t len = end - p, last = nb ? p - first[nb - 1] : B;
        if (last < MERGE && last + len <= B)
            continue; /* a small run joins a small block */
        const size_t pieces = (len + B - 1) / B;
        for (size_t k = 0; k < pieces; k++)
            first[nb++] = p + k * len / pieces;
    }
    first[nb] = npts;
    return nb;
}

/* Point i's code into ix, vx: atoms in increasing order (insertion sort:
 * t <= q is small), then unused slots. */
static void write_code(const decode_ws *w, size_t i, int32_t *ix, double *vx)
{
    const size_t q = w->q, t = w->t[i], *sel = w->sel + i * q;
    const double *gamma = w->gamma + i * q;
    for (size_t a = 0; a < t; a++) {
        size_t c = a;
        while (c > 0 && (size_t)ix[c - 1] > sel[a]) {
            ix[c] = ix[c - 1];
            vx[c] = vx[c - 1];
            c--;
        }
        ix[c] = (int32_t)sel[a];
        vx[c] = gamma[a];
    }
    for (size_t a = t; a < q; a++) {
        ix[a] = -1;
        vx[a] = 0.0;
    }
}

/* Blocks per batch of the first pass (the workspaces are made for it). */
static size_t batch_of(size_t d1, size_t d2, size_t q)
{
    return decode_batch(d1, basis_max(decode_block_size(d1, q), d2));
}

size_t ttt_decoder_thread_bytes(size_t d1, size_t d2, size_t q)
{
    decode_ws w;
    const size_t arena = decode_ws_size(&w, d1, d2, q, batch_of(d1, d2, q));
    return arena + w.B * q * (4 * d1 + 8 * (w.rmax ? w.rmax : 1) + 16);
}

/* Decodes the blocks [first[b], first[b + 1]) of pts in parallel, codes
 * to idx and val at the points' offsets.  With defer (npts), blocks may go
 * through a basis, a batch of them at a time (their bases share one GEMM),
 * and the points left to a direct block are flagged there (their codes not
 * written); without, all blocks are direct, one at a time.  ws holds a
 * workspace for each thread (omp_get_max_threads of them), allocated by
 * the thread when its arena is NULL and kept for the caller to free.  0,
 * or -1 when out of memory. */
static int run_blocks(const ttt_decoder *dec, const double *const *pts, const size_t *first, size_t blocks, size_t q,
                      double tol, unsigned char *defer, int32_t *idx, double *val, decode_ws *ws)
{
    const size_t d1 = dec->d1, d2 = dec->d2;
    const size_t per = defer ? batch_of(d1, d2, q) : 1;
    const size_t batches = (blocks + per - 1) / per;
    /* Without bases, the buffers only basis blocks use (zcb to zf in
     * decode_ws_place, the atoms' coordinates most of them; already faulted
     * in by the first pass) hold c0, nb d1 floats, when it fits, and the
     * Gram rows as far as they fit after it (more go to an allocation of
     * their own, cache_reserve). */
    size_t biggest = 0;
    for (size_t b = 0; b < blocks; b++)
        biggest = first[b + 1] - first[b] > biggest ? first[b + 1] - first[b] : biggest;
    int nomem = 0;
#pragma omp parallel reduction(| : nomem)
    {
#ifdef _OPENMP
        decode_ws *wp = ws + omp_get_thread_num();
#else
        decode_ws *wp = ws;
#endif
        int ok = wp->arena || decode_ws_alloc(wp, d1, d2, q, batch_of(d1, d2, q)) == 0;
        float *const c0 = ok ? wp->c0 : NULL;
        if (ok && !defer) {
            /* The basis-only buffers, from zcb up to gid, in whole floats. */
            float *lend = (float *)(void *)wp->zcb;
            const size_t room = (size_t)((char *)wp->gid - ARENA_GAP - (char *)wp->zcb) / sizeof *lend;
            if (biggest * d1 <= room) {
                ASAN_UNPOISON_MEMORY_REGION(lend, room * sizeof *lend); /* one piece, the gaps within it too */
                wp->c0 = lend;
                const size_t more = (room - biggest * d1) / d1;
                if (wp->nslots == 0 && more > wp->cap_rows) {
                    if (!wp->rows_lent)
                        free(wp->rows);
                    wp->rows = lend + biggest * d1;
                    wp->cap_rows = more;
                    wp->rows_lent = 1;
                }
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t g = 0; g < batches; g++) {
            if (!ok)
                continue;
            const size_t b0 = g * per, nbk = blocks - b0 < per ? blocks - b0 : per;
            size_t rank[BATCH], col[BATCH], cols = 0;
            float most[BATCH] = {0.0f};
            for (size_t m = 0; m < nbk; m++) {
                col[m] = cols;
                rank[m] = block_prepare(wp, m, pts + first[b0 + m], first[b0 + m + 1] - first[b0 + m], d2,
                                        defer != NULL, cols);
                cols += rank[m];
            }
            wp->ldw = cols ? batch_coordinates(dec, wp, cols, col, rank, nbk, most) : 0;
            for (size_t m = 0; m < nbk && ok; m++) {
                const size_t start = first[b0 + m], nb = first[b0 + m + 1] - start;
                if (block_decode(dec, wp, m, nb, rank[m], col[m], most[m], tol) != 0) {
                    ok = 0;
                    break;
                }
                for (size_t i = 0; i < nb; i++) {
                    if (defer)
                        defer[start + i] = wp->defer[i];
                    if (!wp->defer[i])
                        write_code(wp, i, idx + (start + i) * q, val + (start + i) * q);
                }
            }
        }
        if (c0)
            wp->c0 = c0;
        if (wp->rows_lent) { /* the lent rows end with the pass */
            wp->rows = NULL;
            wp->cap_rows = 0;
            wp->rows_lent = 0;
        }
        nomem = !ok;
    }
    return nomem ? -1 : 0;
}

/* Points per block for the nd points left to direct blocks: at most B / 4,
 * in as many blocks as a multiple of the threads, so that they share them
 * evenly (the points come from different groups and share few atoms: the
 * blocks' size matters little). */
static size_t deferred_block(size_t nd, size_t B)
{
#ifdef _OPENMP
    const size_t threads = (size_t)omp_get_max_threads();
#else
    const size_t threads = 1;
#endif
    const size_t quarter = B / 4 ? B / 4 : 1, blocks = (nd + quarter - 1) / quarter;
    const size_t even = (blocks + threads - 1) / threads * threads;
    return (nd + even - 1) / even;
}

int ttt_decoder_run(const ttt_decoder *dec, const double *const *pts, const size_t *group, size_t npts, size_t q,
                    double tol, int32_t *idx, double *val)
{
    const size_t B = decode_block_size(dec->d1, q);
#ifdef _OPENMP
    const size_t threads = (size_t)omp_get_max_threads();
#else
    const size_t threads = 1;
#endif
    decode_ws *ws = calloc(threads, sizeof *ws); /* arena NULL: allocated by its thread when first needed */
    size_t *first = malloc((npts + 2) * sizeof *first);
    unsigned char *defer = malloc(npts ? npts : 1);
    int status = ws && first && defer ? 0 : -1;
    if (!status)
        status = run_blocks(dec, pts, first, decode_blocks(group, npts, B, first), q, tol, defer, idx, val, ws);
    /* The deferred points, in blocks of their own, directly. */
    size_t nd = 0;
    for (size_t p = 0; p < npts && !status; p++)
        nd += defer[p];
    const double **dpts = nd ? malloc(nd * sizeof *dpts) : NULL;
    size_t *where = nd ? malloc(nd * sizeof *where) : NULL;
    int32_t *didx = nd ? malloc(nd * q * sizeof *didx) : NULL;
    double *dval = nd ? malloc(nd * q * sizeof *dval) : NULL;
    if (nd && !status) {
        status = dpts && where && didx && dval ? 0 : -1;
        for (size_t p = 0, d = 0; p < npts && !status; p++)
            if (defer[p]) {
                dpts[d] = pts[p];
                where[d++] = p;
            }
        if (!status)
            status = run_blocks(dec, dpts, first, decode_blocks(NULL, nd, deferred_block(nd, B), first), q, tol, NULL,
                                didx, dval, ws);
        for (size_t d = 0; d < nd && !status; d++) {
            memcpy(idx + where[d] * q, didx + d * q, q * sizeof *idx);
            memcpy(val + where[d] * q, dval + d * q, q * sizeof *val);
        }
    }
    for (size_t t = 0; ws && t < threads; t++)
        decode_ws_free(&ws[t]);
    free(ws);
    free(first);
    free(defer);
    free(dpts);
    free(where);
    free(didx);
    free(dval);
    if (status)
        GSL_ERROR("no memory for the decoder", GSL_ENOMEM);
    return GSL_SUCCESS;
}
