/* ttt_sparse — see ttt_sparse.h. */
#include "ttt_sparse.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ttt_sparse_workspace {
    size_t max_rows, max_cols;
    double *r;           /* max_rows: residual */
    double *z;           /* max_rows: a column being orthogonalised */
    double *norm2;       /* max_cols: squared column norms */
    double *Q;           /* max_rows x min(max_rows, max_cols), column a at Q + a * max_rows */
    double *R;           /* min^2, upper triangular, row-major with stride min */
    size_t *sel;         /* min: chosen columns in order */
    unsigned char *used; /* max_cols */
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
    if (!w->r || !w->z || !w->norm2 || !w->Q || !w->R || !w->sel || !w->used) {
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
    free(w);
}

static double soft(double x, double t)
{
    return x > t ? x - t : x < -t ? x + t : 0.0;
}

/* Largest KKT violation given the residual r = y - X w. */
static double kkt(const double *X, size_t rows, size_t cols, size_t ldx, const double *r, double lambda,
                  const double *w)
{
    double worst = 0.0;
    for (size_t j = 0; j < cols; j++) {
        double g = cblas_ddot((int)rows, X + j, (int)ldx, r, 1) / (double)rows;
        double v = w[j] > 0.0 ? fabs(g - lambda) : w[j] < 0.0 ? fabs(g + lambda) : fabs(g) - lambda;
        if (v > worst)
            worst = v;
    }
    return worst;
}

static void residual(const double *X, size_t rows, size_t cols, size_t ldx, const double *y, const double *w,
                     double *r)
{
    memcpy(r, y, rows * sizeof *r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, -1.0, X, (int)ldx, w, 1, 1.0, r, 1);
}

double ttt_sparse_lasso_kkt(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                            const double *y, double lambda, const double *w)
{
    if (rows > ws->max_rows)
        return GSL_NAN;
    residual(X, rows, cols, ldx, y, w, ws->r);
    return kkt(X, rows, cols, ldx, ws->r, lambda, w);
}

int ttt_sparse_lasso(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                     const double *y, double lambda, double tol, size_t max_sweeps, double *w,
                     size_t *sweeps)
{
    if (rows > ws->max_rows || cols > ws->max_cols)
        GSL_ERROR("lasso problem larger than its workspace", GSL_EBADLEN);
    const int n = (int)rows, ld = (int)ldx;
    const double inv = 1.0 / (double)rows;
    double lambda_max = 0.0;
    for (size_t j = 0; j < cols; j++) {
        ws->norm2[j] = cblas_ddot(n, X + j, ld, X + j, ld);
        double g = fabs(cblas_ddot(n, X + j, ld, y, 1)) * inv;
        if (g > lambda_max)
            lambda_max = g;
        if (ws->norm2[j] == 0.0)
            w[j] = 0.0;
    }
    residual(X, rows, cols, ldx, y, w, ws->r);
    const double goal = tol * (lambda_max > lambda ? lambda_max : lambda);
    size_t sweep = 0;
    int status = GSL_EMAXITER;
    while (sweep < max_sweeps) {
        sweep++;
        for (size_t j = 0; j < cols; j++) {
            if (ws->norm2[j] == 0.0)
                continue;
            double h = ws->norm2[j] * inv;
            double rho = cblas_ddot(n, X + j, ld, ws->r, 1) * inv + h * w[j];
            double wn = soft(rho, lambda) / h;
            if (wn != w[j]) {
                cblas_daxpy(n, w[j] - wn, X + j, ld, ws->r, 1);
                w[j] = wn;
            }
        }
        if (kkt(X, rows, cols, ldx, ws->r, lambda, w) <= goal) {
            status = GSL_SUCCESS;
            break;
        }
    }
    if (sweeps)
        *sweeps = sweep;
    return status;
}

int ttt_sparse_omp(ttt_sparse_workspace *ws, const double *X, size_t rows, size_t cols, size_t ldx,
                   const double *y, double threshold, size_t max_atoms, double rcond, double *w, size_t *chosen)
{
    *chosen = 0;
    if (rows > ws->max_rows || cols > ws->max_cols)
        GSL_ERROR("OMP: the design is larger than its workspace", GSL_EBADLEN);
    const int n = (int)rows, ld = (int)ldx;
    const size_t tmax = rows < cols ? rows : cols, ldr = ws->max_rows < ws->max_cols ? ws->max_rows : ws->max_cols;
    const size_t atoms = max_atoms < tmax ? max_atoms : tmax;
    memcpy(ws->r, y, rows * sizeof *ws->r);
    for (size_t j = 0; j < cols; j++) {
        ws->norm2[j] = cblas_ddot(n, X + j, ld, X + j, ld);
        ws->used[j] = ws->norm2[j] == 0.0;
        w[j] = 0.0;
    }
    size_t t = 0;
    while (t < atoms) {
        size_t best = cols;
        double top = threshold;
        for (size_t j = 0; j < cols; j++) {
            if (ws->used[j])
                continue;
            double c = fabs(cblas_ddot(n, X + j, ld, ws->r, 1)) / sqrt(ws->norm2[j]);
            if (c > top) {
                top = c;
                best = j;
            }
        }
        if (best == cols)
            break;
        ws->used[best] = 1;
        /* Gram-Schmidt against the chosen columns, twice ("twice is enough"). */
        double *z = ws->z, *q = ws->Q + t * rows;
        cblas_dcopy(n, X + best, ld, z, 1);
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
    *chosen = t;
    return GSL_SUCCESS;
}

struct ttt_decoder {
    const double *A; /* d1 x d2, borrowed */
    size_t d1, d2;
    double *G;       /* d1 x d1 Gram matrix A A^T, or NULL above TTT_DECODE_GRAM_MAX_D1 */
    double *inorm;   /* d1 inverse atom norms (0 for a zero atom) */
};

ttt_decoder *ttt_decoder_alloc(const double *A, size_t d1, size_t d2)
{
    ttt_decoder *dec = calloc(1, sizeof *dec);
    if (!dec)
        return NULL;
    dec->A = A;
    dec->d1 = d1;
    dec->d2 = d2;
    dec->inorm = malloc(d1 * sizeof *dec->inorm);
    if (!dec->inorm) {
        ttt_decoder_free(dec);
        return NULL;
    }
    for (size_t j = 0; j < d1; j++) {
        double norm = cblas_dnrm2((int)d2, A + j * d2, 1);
        dec->inorm[j] = norm > 0.0 ? 1.0 / norm : 0.0;
    }
    if (d1 <= TTT_DECODE_GRAM_MAX_D1) {
        dec->G = malloc(d1 * d1 * sizeof *dec->G);
        if (!dec->G) {
            ttt_decoder_free(dec);
            return NULL;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)d1, (int)d2, 1.0, A, (int)d2, 0.0, dec->G,
                    (int)d1);
        for (size_t i = 0; i < d1; i++)
            for (size_t j = 0; j < i; j++)
                dec->G[i * d1 + j] = dec->G[j * d1 + i];
    }
    return dec;
}

void ttt_decoder_free(ttt_decoder *dec)
{
    if (!dec)
        return;
    free(dec->G);
    free(dec->inorm);
    free(dec);
}

/* In-place Cholesky of the t x t matrix M (row-major, stride ld); 0 on
 * success, -1 when a pivot is not positive (the atoms are dependent). */
static int cholesky(double *M, size_t t, size_t ld)
{
    for (size_t j = 0; j < t; j++) {
        double d = M[j * ld + j];
        for (size_t k = 0; k < j; k++)
            d -= M[j * ld + k] * M[j * ld + k];
        if (!(d > 0.0))
            return -1;
        d = sqrt(d);
        M[j * ld + j] = d;
        for (size_t i = j + 1; i < t; i++) {
            double v = M[i * ld + j];
            for (size_t k = 0; k < j; k++)
                v -= M[i * ld + k] * M[j * ld + k];
            M[i * ld + j] = v / d;
        }
    }
    return 0;
}

/* The index of the largest |alpha_j| inorm_j (d1 if all are 0); ties go to
 * the smallest index.  The maximum is a vectorised reduction, then one scan
 * finds where it is. */
static size_t argmax_scaled(const double *alpha, const double *inorm, size_t d1)
{
    double top[4] = {0.0, 0.0, 0.0, 0.0};
    size_t j = 0;
    for (; j + 4 <= d1; j += 4) {
        double c0 = fabs(alpha[j]) * inorm[j], c1 = fabs(alpha[j + 1]) * inorm[j + 1];
        double c2 = fabs(alpha[j + 2]) * inorm[j + 2], c3 = fabs(alpha[j + 3]) * inorm[j + 3];
        top[0] = c0 > top[0] ? c0 : top[0];
        top[1] = c1 > top[1] ? c1 : top[1];
        top[2] = c2 > top[2] ? c2 : top[2];
        top[3] = c3 > top[3] ? c3 : top[3];
    }
    for (; j < d1; j++) {
        double c = fabs(alpha[j]) * inorm[j];
        top[0] = c > top[0] ? c : top[0];
    }
    double best = top[0];
    for (size_t u = 1; u < 4; u++)
        best = top[u] > best ? top[u] : best;
    if (best == 0.0)
        return d1;
    for (j = 0; j < d1; j++)
        if (fabs(alpha[j]) * inorm[j] == best)
            return j;
    return d1;
}

/* alpha = a0 - sum_a gamma_a rows[a], four rows per pass over alpha (rows
 * past t are padded with weight 0). */
static void update_alpha(const double *a0, const double *const *rows, const double *gamma, size_t t, size_t d1,
                         double *alpha)
{
    for (size_t a = 0; a < t; a += 4) {
        const double *src = a ? alpha : a0;
        const double *r[4];
        double g[4];
        for (size_t u = 0; u < 4; u++) {
            r[u] = a + u < t ? rows[a + u] : rows[a];
            g[u] = a + u < t ? gamma[a + u] : 0.0;
        }
        const double *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
#pragma omp simd
        for (size_t j = 0; j < d1; j++)
            alpha[j] = src[j] - g[0] * r0[j] - g[1] * r1[j] - g[2] * r2[j] - g[3] * r3[j];
    }
}

/* Per-thread buffers of the decoder. */
typedef struct {
    double *P;      /* TTT_DECODE_BLOCK x d2 features of the block */
    double *alpha0; /* TTT_DECODE_BLOCK x d1 correlations A psi */
    double *alpha;  /* d1 current correlations A r */
    double *rowbuf; /* q x d1 Gram rows of the chosen atoms when the decoder holds no G */
    const double **rows; /* q: the Gram row of each chosen atom */
    double *L;      /* q x q Cholesky factor */
    double *gamma;  /* q coefficients */
    size_t *sel;    /* q chosen atoms */
} decode_ws;

/* OMP of one point from its correlations a0 = A psi (Gram form: the
 * correlations of the residual are a0 - G_S gamma, no pass over A per step).
 * Returns the atoms chosen; sel/gamma hold them. */
static size_t decode_point(const ttt_decoder *dec, const double *a0, double psi2, size_t q, double tol,
                           decode_ws *w)
{
    const size_t d1 = dec->d1;
    const double *alpha = a0;
    size_t t = 0;
    while (t < q) {
        size_t best = argmax_scaled(alpha, dec->inorm, d1);
        for (size_t a = 0; a < t && best < d1; a++)
            if (w->sel[a] == best)
                best = d1; /* already chosen: the residual is orthogonal to it up to rounding */
        if (best == d1)
            break;
        if (dec->G) {
            w->rows[t] = dec->G + best * d1;
        } else {
            double *row = w->rowbuf + t * d1;
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)d1, (int)dec->d2, 1.0, dec->A, (int)dec->d2,
                        dec->A + best * dec->d2, 1, 0.0, row, 1);
            w->rows[t] = row;
        }
        w->sel[t++] = best;
        for (size_t a = 0; a < t; a++)
            for (size_t b = 0; b <= a; b++)
                w->L[a * q + b] = w->rows[a][w->sel[b]];
        if (cholesky(w->L, t, q) != 0) {
            t--;
            break;
        }
        /* gamma = G_SS^{-1} a0_S by two triangular solves. */
        for (size_t a = 0; a < t; a++) {
            double v = a0[w->sel[a]];
            for (size_t b = 0; b < a; b++)
                v -= w->L[a * q + b] * w->gamma[b];
            w->gamma[a] = v / w->L[a * q + a];
        }
        for (size_t a = t; a-- > 0;) {
            double v = w->gamma[a];
            for (size_t b = a + 1; b < t; b++)
                v -= w->L[b * q + a] * w->gamma[b];
            w->gamma[a] = v / w->L[a * q + a];
        }
        double fit = 0.0;
        for (size_t a = 0; a < t; a++)
            fit += w->gamma[a] * a0[w->sel[a]];
        if (t == q || psi2 - fit <= tol * tol * psi2)
            break;
        update_alpha(a0, w->rows, w->gamma, t, d1, w->alpha);
        alpha = w->alpha;
    }
    return t;
}

int ttt_decoder_run(const ttt_decoder *dec, const double *psi, const size_t *rows, size_t npts, size_t q,
                    double tol, int32_t *idx, double *val)
{
    const size_t d1 = dec->d1, d2 = dec->d2, B = TTT_DECODE_BLOCK;
    const size_t blocks = (npts + B - 1) / B;
    int nomem = 0;
#pragma omp parallel reduction(| : nomem)
    {
        decode_ws w;
        w.P = malloc(B * d2 * sizeof *w.P);
        w.alpha0 = malloc(B * d1 * sizeof *w.alpha0);
        w.alpha = malloc(d1 * sizeof *w.alpha);
        w.rowbuf = dec->G ? NULL : malloc(q * d1 * sizeof *w.rowbuf);
        w.rows = malloc(q * sizeof *w.rows);
        w.L = malloc(q * q * sizeof *w.L);
        w.gamma = malloc(q * sizeof *w.gamma);
        w.sel = malloc(q * sizeof *w.sel);
        int ok = w.P && w.alpha0 && w.alpha && (dec->G || w.rowbuf) && w.rows && w.L && w.gamma && w.sel;
        nomem = !ok;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < blocks; b++) {
            if (!ok)
                continue;
            size_t first = b * B, nb = npts - first < B ? npts - first : B;
            for (size_t i = 0; i < nb; i++)
                memcpy(w.P + i * d2, psi + rows[first + i] * d2, d2 * sizeof *w.P);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)d1, (int)d2, 1.0, w.P, (int)d2,
                        dec->A, (int)d2, 0.0, w.alpha0, (int)d1);
            for (size_t i = 0; i < nb; i++) {
                double psi2 = cblas_ddot((int)d2, w.P + i * d2, 1, w.P + i * d2, 1);
                size_t t = psi2 > 0.0 ? decode_point(dec, w.alpha0 + i * d1, psi2, q, tol, &w) : 0;
                int32_t *ix = idx + rows[first + i] * q;
                double *vx = val + rows[first + i] * q;
                /* Atoms in increasing order (insertion sort: t <= q is small). */
                for (size_t a = 0; a < t; a++) {
                    size_t c = a;
                    while (c > 0 && (size_t)ix[c - 1] > w.sel[a]) {
                        ix[c] = ix[c - 1];
                        vx[c] = vx[c - 1];
                        c--;
                    }
                    ix[c] = (int32_t)w.sel[a];
                    vx[c] = w.gamma[a];
                }
                for (size_t a = t; a < q; a++) {
                    ix[a] = -1;
                    vx[a] = 0.0;
                }
            }
        }
        free(w.P);
        free(w.alpha0);
        free(w.alpha);
        free(w.rowbuf);
        free(w.L);
        free(w.gamma);
        free(w.sel);
        free(w.rows);
    }
    if (nomem)
        GSL_ERROR("no memory for the decoder", GSL_ENOMEM);
    return GSL_SUCCESS;
}
