/* ttt_estimate — see ttt_estimate.h. */
#include "ttt_estimate.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <float.h>
#include <math.h>

#include "ttt_idmap.h"
#include "ttt_lsq.h"
#include "ttt_mem.h"
#include "ttt_sparse.h"

ttt_results *ttt_results_alloc(size_t m, size_t d2)
{
    ttt_results *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->m = m;
    r->d2 = d2;
    r->pred = calloc(TTT_EST_COUNT * m, sizeof *r->pred);
    r->support = calloc(m, sizeof *r->support);
    r->covered = calloc(m, sizeof *r->covered);
    r->oracle_var = calloc(m, sizeof *r->oracle_var);
    r->v_global = calloc(d2, sizeof *r->v_global);
    r->fit_support = calloc(TTT_EST_COUNT * m, sizeof *r->fit_support);
    r->nbhd_err = calloc(m, sizeof *r->nbhd_err);
    r->rank = calloc(m, sizeof *r->rank);
    r->far_err = calloc(m, sizeof *r->far_err);
    r->decoded_exact = calloc(m, sizeof *r->decoded_exact);
    r->lambda = calloc(m, sizeof *r->lambda);
    r->purity = calloc(m, sizeof *r->purity);
    r->cond = calloc(m, sizeof *r->cond);
    r->needed = calloc(m, sizeof *r->needed);
    if (!r->purity || !r->cond || !r->needed || !r->pred || !r->support || !r->covered || !r->oracle_var || !r->v_global || !r->fit_support ||
        !r->nbhd_err || !r->rank || !r->far_err || !r->decoded_exact || !r->lambda) {
        ttt_results_free(r);
        return NULL;
    }
    return r;
}

void ttt_results_free(ttt_results *r)
{
    if (!r)
        return;
    free(r->pred);
    free(r->support);
    free(r->covered);
    free(r->oracle_var);
    free(r->v_global);
    free(r->fit_support);
    free(r->nbhd_err);
    free(r->rank);
    free(r->far_err);
    free(r->decoded_exact);
    free(r->lambda);
    free(r->purity);
    free(r->cond);
    free(r->needed);
    free(r->dist2);
    free(r);
}

/* Codes decoded from the features (lasso_decoded): q slots per point, as the
 * true codes, unused slots idx = -1, in rows in the decoder's order (a test
 * point's neighbours mostly follow it).  Only the points some test point
 * uses are decoded: train_row is set for those alone.  All in one piece
 * (ttt_mem_alloc: in huge pages, a few page faults rather than one per
 * 4 KiB, which cost more than the copies into them). */
typedef struct {
    char *mem;
    int32_t *idx;
    double *val;
    size_t *test_row, *train_row;
} decoded_codes;

/* Columns orthogonalised together by concepts_needed (TTT_H2_BLOCK). */
#define H2_BLOCK TTT_H2_BLOCK

/* Per-thread buffers for the local fits, allocated once. */
typedef struct {
    ttt_lsq_workspace *lsq; /* k x max(d2, k q) */
    ttt_sparse_workspace *sp; /* k x k q */
    double *X;              /* k x d2 neighbour features */
    double *yN;             /* k neighbour labels */
    double *r;              /* k residuals */
    double *v;              /* d2 head */
    double *delta;          /* max(d2, k q) */
    double *Phi;            /* k x |S| neighbour codes on S */
    double *Pc;             /* k x |S| the columns the Lasso keeps, for the refit */
    double *xs;             /* |S| test code on S */
    double *ws;             /* |S| sparse coefficients */
    double *far;            /* m predictions of one head on the test set */
    ttt_idmap *col;         /* concept -> its column in S (O(k q), not O(d1): d1 may be 1e9) */
    const int32_t *S;       /* |S| <= k q: the support, in order of first appearance (col's keys) */
    double *Q;              /* k x min(k, |S|): orthonormal basis of the H2 columns so far */
    double *fr;             /* k: the neighbours' f minus its projection on Q */
    double *c;              /* H2_BLOCK x k: the columns being orthogonalised, one per row */
    double *proj;           /* H2_BLOCK x min(k, |S|): their coordinates on Q */
    double *energy;         /* |S|: local label energy of each concept */
    size_t *order;          /* |S|: concepts by decreasing energy */
    ttt_concept_ws *cw;     /* reads w* where it is not stored */
} local_ws;

static void local_free(local_ws *w)
{
    ttt_lsq_free(w->lsq);
    ttt_sparse_free(w->sp);
    free(w->X);
    free(w->yN);
    free(w->r);
    free(w->v);
    free(w->delta);
    free(w->Phi);
    free(w->Pc);
    free(w->xs);
    free(w->ws);
    free(w->far);
    ttt_idmap_free(w->col);
    free(w->Q);
    free(w->fr);
    free(w->c);
    free(w->proj);
    free(w->energy);
    free(w->order);
}

static int local_alloc(local_ws *w, size_t k, size_t d1, size_t d2, size_t q, size_t m)
{
    size_t smax = k * q < d1 ? k * q : d1;
    size_t cmax = d2 > smax ? d2 : smax;
    memset(w, 0, sizeof *w);
    w->lsq = ttt_lsq_alloc(k, cmax);
    w->sp = ttt_sparse_alloc(k, smax);
    w->X = malloc(k * d2 * sizeof *w->X);
    w->yN = malloc(k * sizeof *w->yN);
    w->r = malloc(k * sizeof *w->r);
    w->v = malloc(d2 * sizeof *w->v);
    w->delta = malloc(cmax * sizeof *w->delta);
    w->Phi = malloc(k * smax * sizeof *w->Phi);
    w->Pc = malloc(k * smax * sizeof *w->Pc);
    w->xs = malloc(smax * sizeof *w->xs);
    w->ws = malloc(smax * sizeof *w->ws);
    w->far = malloc(m * sizeof *w->far);
    w->col = ttt_idmap_alloc(smax);
    w->S = w->col ? w->col->key : NULL;
    w->Q = malloc(k * (k < smax ? k : smax) * sizeof *w->Q);
    w->fr = malloc(k * sizeof *w->fr);
    w->c = malloc(H2_BLOCK * k * sizeof *w->c);
    w->proj = malloc(H2_BLOCK * (k < smax ? k : smax) * sizeof *w->proj);
    w->energy = malloc(smax * sizeof *w->energy);
    w->order = malloc(smax * sizeof *w->order);
    if (!w->Q || !w->fr || !w->c || !w->proj || !w->energy || !w->order || !w->lsq || !w->sp || !w->X || !w->yN || !w->r || !w->v || !w->delta || !w->Phi || !w->Pc || !w->xs ||
        !w->ws || !w->far || !w->col)
        return -1;
    return 0;
}

/* Builds S, the union of the concepts active in the codes of the k
 * training points nb[0..k-1] (q slots each, idx < 0 unused; point j's in
 * row row[j] of (idx, val), or row j when row is NULL), in order of first
 * appearance, and Phi = those codes as a dense k x |S| matrix.  Returns |S|;
 * w->col maps concepts to columns until ttt_idmap_clear empties it. */
static size_t gather(const int32_t *idx, const double *val, const size_t *row, size_t q, const size_t *nb, size_t k,
                     local_ws *w)
{
    /* The neighbours' rows are scattered: their cache lines asked for all
     * at once (row first), not one miss after another. */
#ifdef __GNUC__
    if (row)
        for (size_t a = 0; a < k; a++)
            __builtin_prefetch(row + nb[a]);
    for (size_t a = 0; a < k; a++) {
        const size_t r = row ? row[nb[a]] : nb[a];
        __builtin_prefetch(idx + r * q);
        __builtin_prefetch(val + r * q);
        __builtin_prefetch(val + r * q + q - 1);
    }
#endif
    for (size_t a = 0; a < k; a++) {
        const size_t r = row ? row[nb[a]] : nb[a];
        for (size_t b = 0; b < q; b++)
            if (idx[r * q + b] >= 0)
                ttt_idmap_add(w->col, idx[r * q + b]);
    }
    const size_t ns = w->col->size;
    memset(w->Phi, 0, k * ns * sizeof *w->Phi);
    for (size_t a = 0; a < k; a++) {
        const size_t r = row ? row[nb[a]] : nb[a];
        for (size_t b = 0; b < q; b++) {
            int32_t c = idx[r * q + b];
            if (c >= 0)
                w->Phi[a * ns + (size_t)ttt_idmap_find(w->col, c)] = val[r * q + b];
        }
    }
    return ns;
}

/* The test code (q slots at idx, val) restricted to S, into w->xs; returns 1
 * if all its concepts lie in S. */
static int restrict_code(const int32_t *idx, const double *val, size_t q, size_t ns, local_ws *w)
{
    int covered = 1;
    memset(w->xs, 0, ns * sizeof *w->xs);
    for (size_t b = 0; b < q; b++) {
        if (idx[b] < 0)
            continue;
        const int32_t j = ttt_idmap_find(w->col, idx[b]);
        if (j >= 0)
            w->xs[j] = val[b];
        else
            covered = 0;
    }
    return covered;
}

/* Lasso on (Phi, yN) over |S| = ns columns, optionally refitted by least
 * squares on its support; returns the prediction at xs and sets *support and
 * *lambda.  The penalty is the universal one for this design's column scale:
 * the noise part of the gradient, Phi_j^T eps sigma / k, stays below
 * sigma sqrt(2 log d1 / k) nu with nu = max_j ||Phi_j|| / sqrt(k) with high
 * probability, so lambda = lasso_c sigma sqrt(2 log(d1)/k) nu.  For columns
 * normalised to ||Phi_j||^2 = k (the textbook setting) nu = 1. */
static double lasso_predict(const ttt_params *p, size_t ns, local_ws *w, size_t *support, double *lambda,
                            int *unconverged, int *failed)
{
    const size_t k = p->k;
    double nu2 = 0.0;
    for (size_t j = 0; j < ns; j++) {
        double c = cblas_ddot((int)k, w->Phi + j, (int)ns, w->Phi + j, (int)ns);
        nu2 = c > nu2 ? c : nu2;
    }
    *lambda = p->lasso_c * p->sigma * sqrt(2.0 * log((double)p->d1) * nu2) / (double)k;
    memset(w->ws, 0, ns * sizeof *w->ws);
    int status = ttt_sparse_lasso(w->sp, w->Phi, k, ns, ns, w->yN, *lambda, p->lasso_tol, p->lasso_sweeps, w->ws,
                                  NULL);
    *unconverged += status == GSL_EMAXITER;
    *failed |= status != GSL_SUCCESS && status != GSL_EMAXITER;
    size_t nnz = 0;
    for (size_t j = 0; j < ns; j++)
        nnz += w->ws[j] != 0.0;
    *support = nnz;
    if (p->lasso_refit != TTT_ON || nnz == 0)
        return cblas_ddot((int)ns, w->xs, 1, w->ws, 1);
    /* Least squares on the chosen columns (minimum norm if they are dependent). */
    size_t c = 0;
    for (size_t j = 0; j < ns; j++) {
        if (w->ws[j] == 0.0)
            continue;
        for (size_t a = 0; a < k; a++)
            w->Pc[a * nnz + c] = w->Phi[a * ns + j];
        w->ws[c++] = w->xs[j];
    }
    status = ttt_lsq_factor(w->lsq, w->Pc, k, nnz, nnz, 0.0, p->rcond);
    if (!status)
        status = ttt_lsq_solve(w->lsq, w->yN, w->delta);
    *failed |= status != GSL_SUCCESS;
    return cblas_ddot((int)nnz, w->ws, 1, w->delta, 1);
}

/* c (nc rows of k) -= their projections on the rows from..to-1 of Q (k
 * each, orthonormal), twice (classical Gram-Schmidt with
 * reorthogonalisation): by GEMM when the block is large, which is what makes
 * H2 at k = 2000 and |S| = 1700 compute-bound (it was 2 s per point in
 * BLAS-1 loops). */
static void project_out(const double *Q, size_t from, size_t to, size_t k, double *c, size_t nc, double *t)
{
    const size_t nq = to - from;
    if (nq == 0 || nc == 0)
        return;
    for (int pass = 0; pass < 2; pass++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nc, (int)nq, (int)k, 1.0, c, (int)k,
                    Q + from * k, (int)k, 0.0, t, (int)nq);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nc, (int)k, (int)nq, -1.0, t, (int)nq,
                    Q + from * k, (int)k, 1.0, c, (int)k);
    }
}

/* H2: how many concepts the neighbourhood's labels need.  Concepts of S are
 * ranked by their local label energy w*_j^2 ||Phi_j||^2 (an oracle ranking:
 * it knows w*).  Least squares on the top r of them has expected in-sample
 * error E(r) = ||(I - P_r) f||^2 / k + sigma^2 rank_r / k over the noise, with
 * P_r the projection on their span and f the neighbours' noiseless labels:
 * the bias of dropping the others plus the variance of fitting r.  For the
 * smallest r with E(r) <= h2_factor * min_r E(r) it returns rank_r, the
 * concepts among the top r that add a direction (at most k).  The span grows
 * by Gram-Schmidt with reorthogonalisation, H2_BLOCK columns at a time
 * against the basis of the earlier blocks, then one by one within the block;
 * a column within rcond of the span adds nothing to it. */
static size_t concepts_needed(const ttt_instance *in, const size_t *nb, size_t ns, local_ws *w)
{
    const ttt_params *p = &in->p;
    const size_t k = p->k;
    for (size_t j = 0; j < ns; j++) {
        double c2 = cblas_ddot((int)k, w->Phi + j, (int)ns, w->Phi + j, (int)ns);
        double wj = ttt_instance_w(in, w->S[j], w->cw);
        w->energy[j] = wj * wj * c2;
        /* insertion by decreasing energy, ties by column: deterministic */
        size_t a = j;
        for (; a > 0 && w->energy[w->order[a - 1]] < w->energy[j]; a--)
            w->order[a] = w->order[a - 1];
        w->order[a] = j;
    }
    double f2 = 0.0;
    for (size_t a = 0; a < k; a++) {
        w->fr[a] = in->train.f[nb[a]];
        f2 += w->fr[a] * w->fr[a];
    }
    const double noise = p->sigma * p->sigma / (double)k;
    /* E(r) for r = 1..ns goes to w->ws[r - 1] and the rank of the top r
     * columns to w->energy[r - 1] (the energies are no longer needed once
     * ranked); E(0) = ||f||^2 / k.  Once the span is full (rank k) or f is
     * in it, no later column changes E. */
    double bias2 = f2, best = f2 / (double)k;
    size_t rank = 0, r = 0;
    while (r < ns && rank < k && bias2 > 0.0) {
        const size_t nc = ns - r < H2_BLOCK ? ns - r : H2_BLOCK, rank0 = rank;
        double c0[H2_BLOCK];
        for (size_t b = 0; b < nc; b++) {
            double *c = w->c + b * k;
            c0[b] = 0.0;
            for (size_t a = 0; a < k; a++) {
                c[a] = w->Phi[a * ns + w->order[r + b]];
                c0[b] += c[a] * c[a];
            }
        }
        project_out(w->Q, 0, rank0, k, w->c, nc, w->proj);
        for (size_t b = 0; b < nc && rank < k && bias2 > 0.0; b++, r++) {
            double *c = w->c + b * k;
            project_out(w->Q, rank0, rank, k, c, 1, w->proj);
            double cn = cblas_dnrm2((int)k, c, 1);
            if (cn > p->rcond * sqrt(c0[b])) {
                cblas_dscal((int)k, 1.0 / cn, c, 1);
                memcpy(w->Q + rank * k, c, k * sizeof *c);
                rank++;
                double t = cblas_ddot((int)k, c, 1, w->fr, 1);
                cblas_daxpy((int)k, -t, c, 1, w->fr, 1);
                bias2 = cblas_ddot((int)k, w->fr, 1, w->fr, 1);
            }
            w->ws[r] = bias2 / (double)k + noise * (double)rank;
            w->energy[r] = (double)rank;
            best = w->ws[r] < best ? w->ws[r] : best;
        }
    }
    const size_t used = r;
    /* The floor keeps rounding of an exact fit (sigma = 0) from counting. */
    const double limit = p->h2_factor * best + 1e3 * DBL_EPSILON * f2 / (double)k;
    if (f2 / (double)k <= limit)
        return 0;
    for (r = 0; r < used; r++)
        if (w->ws[r] <= limit)
            return (size_t)w->energy[r];
    return rank;
}

/* ---- the local estimators ---- */

/* What the estimators at test point i share: the instance, the point and its
 * neighbours, the thread's workspace with the stage's design already built
 * (and factored), and the counts of Lasso fits that stopped early or failed. */
typedef struct {
    const ttt_instance *in;
    const size_t *nb;
    size_t i, ns;         /* the point; |S| of the codes the concept stages gathered */
    local_ws *w;
    ttt_results *res;
    const double *xstar;  /* its features */
    int unconverged, failed;
    int stage;            /* the stage running */
} point;

/* When an estimator runs: the design it works on, built once per point. */
typedef enum {
    STAGE_GLOBAL,   /* all training points (ttt_estimate_global) */
    STAGE_FEATURES, /* the k neighbours' features X (k x d2, factored) and labels yN */
    STAGE_CONCEPTS, /* their true codes on S, Phi (k x |S|, factored), the test code on S in xs */
    STAGE_DECODED,  /* their codes decoded from the features on S, Phi, and xs */
} stage;

/* An estimator at one point: its prediction, and for those with info.support
 * the concepts it uses.  GSL_SUCCESS or a solver status. */
typedef int (*fit_fn)(point *pt, double *pred, size_t *support);

static int fit_knn(point *pt, double *pred, size_t *support)
{
    (void)support;
    const size_t k = pt->in->p.k;
    double mean = 0.0;
    for (size_t a = 0; a < k; a++)
        mean += pt->w->yN[a];
    *pred = mean / (double)k;
    return GSL_SUCCESS;
}

/* From scratch: v = X^+ y.  Also the head's locality: its error on its own
 * neighbourhood, and (first TTT_LOCALITY_HEADS points) on the whole test set. */
static int fit_ttt(point *pt, double *pred, size_t *support)
{
    (void)support;
    const ttt_instance *in = pt->in;
    const size_t k = in->p.k, d2 = in->p.d2, m = pt->res->m, i = pt->i;
    const int kk = (int)k, dd = (int)d2;
    local_ws *w = pt->w;
    int status = ttt_lsq_solve(w->lsq, w->yN, w->delta);
    if (status)
        return status;
    *pred = cblas_ddot(dd, pt->xstar, 1, w->delta, 1);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, kk, dd, 1.0, w->X, dd, w->delta, 1, 0.0, w->r, 1);
    double near = 0.0;
    for (size_t a = 0; a < k; a++)
        near += (w->r[a] - in->train.f[pt->nb[a]]) * (w->r[a] - in->train.f[pt->nb[a]]);
    pt->res->nbhd_err[i] = near / (double)k;
    pt->res->far_err[i] = GSL_NAN;
    if (i < TTT_LOCALITY_HEADS) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, dd, 1.0, in->test.psi, dd, w->delta, 1, 0.0, w->far, 1);
        double far = 0.0;
        for (size_t j = 0; j < m; j++)
            far += (w->far[j] - in->test.f[j]) * (w->far[j] - in->test.f[j]);
        pt->res->far_err[i] = far / (double)m;
    }
    return GSL_SUCCESS;
}

/* Fine-tuned: v = v_g + X^+ (y - X v_g). */
static int fit_ttt_global(point *pt, double *pred, size_t *support)
{
    (void)support;
    const size_t k = pt->in->p.k;
    const int kk = (int)k, dd = (int)pt->in->p.d2;
    const ttt_results *res = pt->res;
    local_ws *w = pt->w;
    memcpy(w->r, w->yN, k * sizeof *w->r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, kk, dd, -1.0, w->X, dd, res->v_global, 1, 1.0, w->r, 1);
    int status = ttt_lsq_solve(w->lsq, w->r, w->delta);
    if (status)
        return status;
    *pred = res->pred[TTT_EST_GLOBAL * res->m + pt->i] + cblas_ddot(dd, pt->xstar, 1, w->delta, 1);
    return GSL_SUCCESS;
}

/* Gradient descent on (1/2k) ||y - X v||^2 from v_g. */
static int fit_ttt_gd(point *pt, double *pred, size_t *support)
{
    (void)support;
    const ttt_params *p = &pt->in->p;
    const int kk = (int)p->k, dd = (int)p->d2;
    local_ws *w = pt->w;
    memcpy(w->v, pt->res->v_global, p->d2 * sizeof *w->v);
    for (size_t t = 0; t < p->gd_steps; t++) {
        memcpy(w->r, w->yN, p->k * sizeof *w->r);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, kk, dd, -1.0, w->X, dd, w->v, 1, 1.0, w->r, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, kk, dd, p->gd_eta / (double)p->k, w->X, dd, w->r, 1, 1.0, w->v, 1);
    }
    *pred = cblas_ddot(dd, pt->xstar, 1, w->v, 1);
    return GSL_SUCCESS;
}

/* Least squares on the true codes restricted to S (factored by the stage),
 * and its exact noise variance given the neighbourhood. */
static int fit_oracle(point *pt, double *pred, size_t *support)
{
    (void)support;
    local_ws *w = pt->w;
    int status = ttt_lsq_solve(w->lsq, w->yN, w->delta);
    if (status)
        return status;
    *pred = cblas_ddot((int)pt->ns, w->xs, 1, w->delta, 1);
    pt->res->oracle_var[pt->i] = pt->in->p.sigma * pt->in->p.sigma * ttt_lsq_leverage(w->lsq, w->xs);
    return GSL_SUCCESS;
}

/* The Lasso on the stage's codes (true or decoded); the penalty of the true
 * codes' fit is the one reported (lambda). */
static int fit_lasso(point *pt, double *pred, size_t *support)
{
    double lambda;
    *pred = lasso_predict(&pt->in->p, pt->ns, pt->w, support, &lambda, &pt->unconverged, &pt->failed);
    if (pt->stage == STAGE_CONCEPTS)
        pt->res->lambda[pt->i] = lambda;
    return GSL_SUCCESS;
}

static int fit_omp(point *pt, double *pred, size_t *support)
{
    const ttt_params *p = &pt->in->p;
    local_ws *w = pt->w;
    const size_t ns = pt->ns;
    double threshold = p->lasso_c * p->sigma * sqrt(2.0 * log((double)p->d1));
    pt->failed |= ttt_sparse_omp(w->sp, w->Phi, p->k, ns, ns, w->yN, threshold, ns, p->rcond, w->ws, support) != 0;
    *pred = cblas_ddot((int)ns, w->xs, 1, w->ws, 1);
    return GSL_SUCCESS;
}

static int always(const ttt_params *p) { (void)p; return 1; }
static int with_gd(const ttt_params *p) { return p->gd_steps > 0; }
static int with_sparse(const ttt_params *p) { return p->sparse == TTT_ON; }

/* The registry.  To add an estimator: its enum value (ttt_estimate.h), its
 * fit function above, one entry here, and its test. */
static const struct {
    ttt_estimator_info info;
    stage stage;
    int (*on)(const ttt_params *p);
    fit_fn fit;
} registry[TTT_EST_COUNT] = {
    [TTT_EST_GLOBAL] = {{"global", "least squares on all n training features (minimum norm; ridge)", "always", 0,
                         "#303030", 5},
                        STAGE_GLOBAL, always, NULL},
    [TTT_EST_TTT] = {{"ttt", "least squares on the k neighbours' features, solution nearest to 0 (from scratch)",
                      "always", 0, "#1f5fbf", 7},
                     STAGE_FEATURES, always, fit_ttt},
    [TTT_EST_TTT_GLOBAL] = {{"ttt_global", "least squares on the k neighbours, solution nearest to the global head "
                             "(fine-tuned)", "always", 0, "#5fa8e8", 6},
                            STAGE_FEATURES, always, fit_ttt_global},
    [TTT_EST_TTT_GD] = {{"ttt_gd", "gd_steps gradient steps from the global head on the k neighbours",
                         "gd_steps > 0", 0, "#8c8c8c", 8},
                        STAGE_FEATURES, with_gd, fit_ttt_gd},
    [TTT_EST_ORACLE] = {{"oracle", "least squares on the neighbours' true codes restricted to their support S",
                         "always", 0, "#2a8f3c", 9},
                        STAGE_CONCEPTS, always, fit_oracle},
    [TTT_EST_LASSO] = {{"lasso", "Lasso on the neighbours' true codes on S, lambda = lasso_c sigma sqrt(2 log(d1)/k) "
                        "max_j ||Phi_j||/sqrt(k) (the theorem's estimator)", "sparse = on", 1, "#e07b00", 11},
                       STAGE_CONCEPTS, with_sparse, fit_lasso},
    [TTT_EST_LASSO_DECODED] = {{"lasso_decoded", "the same Lasso on codes decoded from the features by OMP "
                                "against A", "sparse = on", 1, "#b35900", 10},
                               STAGE_DECODED, with_sparse, fit_lasso},
    [TTT_EST_OMP] = {{"omp", "orthogonal matching pursuit on the neighbours' true codes on S (an l0 method)",
                      "sparse = on", 1, "#7b3fa0", 13},
                     STAGE_CONCEPTS, with_sparse, fit_omp},
    [TTT_EST_KNN] = {{"knn", "average label of the k neighbours", "always", 0, "#c0282d", 2},
                     STAGE_FEATURES, always, fit_knn},
};

const ttt_estimator_info *ttt_estimator_about(ttt_estimator e)
{
    return e >= 0 && e < TTT_EST_COUNT ? &registry[e].info : NULL;
}

const char *ttt_estimator_name(ttt_estimator e)
{
    return e >= 0 && e < TTT_EST_COUNT ? registry[e].info.name : "?";
}

int ttt_estimator_enabled(const ttt_params *p, ttt_estimator e)
{
    return e >= 0 && e < TTT_EST_COUNT && registry[e].on(p);
}

/* Runs the enabled estimators of one stage at the point, in enum order. */
static int run_stage(point *pt, stage st)
{
    ttt_results *res = pt->res;
    const size_t m = res->m, i = pt->i;
    pt->stage = st;
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        if (registry[e].stage != st || !res->enabled[e])
            continue;
        size_t used = 0;
        int status = registry[e].fit(pt, &res->pred[(size_t)e * m + i], &used);
        if (status)
            return status;
        if (registry[e].info.support)
            res->fit_support[(size_t)e * m + i] = used;
    }
    return GSL_SUCCESS;
}

static int any_enabled(const ttt_results *res, stage st)
{
    for (int e = 0; e < TTT_EST_COUNT; e++)
        if (registry[e].stage == st && res->enabled[e])
            return 1;
    return 0;
}

/* The stages at test point i: the features of its neighbours (with the
 * purity of the neighbourhood and the rank of its design), then their true
 * codes on S (with |S|, whether S covers the point, H2's concepts that
 * suffice and the conditioning of Phi_S), then their decoded codes. */
static int local_fit(const ttt_instance *in, const decoded_codes *dc, const size_t *nb, size_t i, local_ws *w,
                     ttt_results *res)
{
    const ttt_params *p = &in->p;
    const size_t k = p->k, d2 = p->d2, q = in->q;
    point pt = {in, nb, i, 0, w, res, in->test.psi + i * d2, 0, 0, STAGE_FEATURES};
    size_t same = 0;
    for (size_t a = 0; a < k; a++) {
        /* The neighbours' rows lie anywhere in the training set, mostly
         * beyond the caches: the row after next asked for now, so that its
         * lines arrive while these two are copied. */
        if (a + 2 < k)
            for (size_t c = 0; c < d2; c += 64 / sizeof(double))
                __builtin_prefetch(in->train.psi + nb[a + 2] * d2 + c, 0, 3);
        memcpy(w->X + a * d2, in->train.psi + nb[a] * d2, d2 * sizeof *w->X);
        w->yN[a] = in->train.y[nb[a]];
        same += in->train.topic[nb[a]] == in->test.topic[i];
    }
    /* Their squared distances to the test point, four rows at a time from
     * the copies, each its own sum in index order (the bits of a row at a
     * time): four chains of additions in flight, not one. */
    for (size_t a0 = 0; a0 < k; a0 += 4) {
        const size_t rows = k - a0 < 4 ? k - a0 : 4;
        const double *x0 = w->X + a0 * d2, *x1 = rows > 1 ? x0 + d2 : x0, *x2 = rows > 2 ? x1 + d2 : x0,
                     *x3 = rows > 3 ? x2 + d2 : x0, *xs = pt.xstar;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (size_t c = 0; c < d2; c++) {
            s0 += (xs[c] - x0[c]) * (xs[c] - x0[c]);
            s1 += (xs[c] - x1[c]) * (xs[c] - x1[c]);
            s2 += (xs[c] - x2[c]) * (xs[c] - x2[c]);
            s3 += (xs[c] - x3[c]) * (xs[c] - x3[c]);
        }
        const double sum[4] = {s0, s1, s2, s3};
        for (size_t r = 0; r < rows; r++)
            res->dist2[i * k + a0 + r] = sum[r];
    }
    res->purity[i] = (double)same / (double)k;
    int status = ttt_lsq_factor(w->lsq, w->X, k, d2, d2, p->ridge, p->rcond);
    if (status)
        return status;
    res->rank[i] = ttt_lsq_rank(w->lsq);
    if ((status = run_stage(&pt, STAGE_FEATURES)))
        return status;

    const ttt_data *tr = &in->train, *te = &in->test;
    pt.ns = gather(tr->phi_idx, tr->phi_val, NULL, q, nb, k, w);
    res->support[i] = pt.ns;
    res->covered[i] = restrict_code(te->phi_idx + i * q, te->phi_val + i * q, q, pt.ns, w);
    res->needed[i] = concepts_needed(in, nb, pt.ns, w);
    status = ttt_lsq_factor(w->lsq, w->Phi, k, pt.ns, pt.ns, p->ridge, p->rcond);
    if (!status) {
        res->cond[i] = ttt_lsq_min_eigen_ratio(w->lsq);
        status = run_stage(&pt, STAGE_CONCEPTS);
    }
    ttt_idmap_clear(w->col);
    if (!status && any_enabled(res, STAGE_DECODED)) {
        pt.ns = gather(dc->idx, dc->val, dc->train_row, q, nb, k, w);
        const size_t r = dc->test_row[i];
        restrict_code(dc->idx + r * q, dc->val + r * q, q, pt.ns, w);
        status = run_stage(&pt, STAGE_DECODED);
        ttt_idmap_clear(w->col);
    }
#pragma omp atomic
    res->lasso_unconverged += (size_t)pt.unconverged;
    return status ? status : pt.failed ? GSL_EFAILED : GSL_SUCCESS;
}

int ttt_estimate_head(const ttt_instance *in, const size_t *nb, size_t k, double *v)
{
    const size_t d2 = in->p.d2;
    ttt_lsq_workspace *w = ttt_lsq_alloc(k, d2);
    double *X = malloc(k * d2 * sizeof *X), *y = malloc(k * sizeof *y);
    int status = w && X && y ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t a = 0; a < k && !status; a++) {
        memcpy(X + a * d2, in->train.psi + nb[a] * d2, d2 * sizeof *X);
        y[a] = in->train.y[nb[a]];
    }
    if (!status)
        status = ttt_lsq_factor(w, X, k, d2, d2, in->p.ridge, in->p.rcond);
    if (!status)
        status = ttt_lsq_solve(w, y, v);
    ttt_lsq_free(w);
    free(X);
    free(y);
    return status;
}

/* The global head's rank and test predictions, once it is solved. */
static void global_predict(const ttt_instance *in, ttt_lsq_workspace *w, ttt_results *res)
{
    const size_t d2 = in->p.d2;
    const ttt_data *te = &in->test;
    res->global_rank = ttt_lsq_rank(w);
    double *pred = res->pred + TTT_EST_GLOBAL * res->m;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < te->n; i++)
        pred[i] = cblas_ddot((int)d2, te->psi + i * d2, 1, res->v_global, 1);
}

/* With n >= d2, from X^T X and X^T y taken in one pass over the training
 * features (ttt_lsq_gram_add; the bits of ttt_lsq_factor and ttt_lsq_solve
 * on X, which take two); else the dual form on X. */
int ttt_estimate_global(const ttt_instance *in, ttt_results *res)
{
    const ttt_params *p = &in->p;
    const ttt_data *tr = &in->train;
    if (tr->n >= p->d2) {
        double *G = ttt_mem_alloc(p->d2 * p->d2, sizeof *G), *xty = malloc(p->d2 * sizeof *xty);
        if (!G || !xty) {
            free(G);
            free(xty);
            GSL_ERROR("no memory for the global fit", GSL_ENOMEM);
        }
        int status = ttt_lsq_gram_add(tr->psi, tr->n, p->d2, p->d2, tr->y, G, xty, 1);
        if (!status)
            status = ttt_estimate_global_gram(in, G, xty, res);
        free(G);
        free(xty);
        return status;
    }
    ttt_lsq_workspace *w = ttt_lsq_alloc(tr->n, p->d2);
    if (!w)
        GSL_ERROR("no memory for the global fit", GSL_ENOMEM);
    int status = ttt_lsq_factor(w, tr->psi, tr->n, p->d2, p->d2, p->ridge, p->rcond);
    if (!status)
        status = ttt_lsq_solve(w, tr->y, res->v_global);
    if (!status)
        global_predict(in, w, res);
    ttt_lsq_free(w);
    return status;
}

int ttt_estimate_global_gram(const ttt_instance *in, const double *G, const double *xty, ttt_results *res)
{
    const size_t d2 = in->p.d2;
    ttt_lsq_workspace *w = ttt_lsq_alloc(d2, d2);
    if (!w)
        GSL_ERROR("no memory for the global fit", GSL_ENOMEM);
    int status = ttt_lsq_factor_gram(w, G, d2, in->p.ridge, in->p.rcond);
    if (!status) {
        ttt_lsq_solve_xtr(w, xty, res->v_global);
        global_predict(in, w, res);
    }
    ttt_lsq_free(w);
    return status;
}

/* Decodes the test points and every training point some test point has as
 * a neighbour (the others are never used).  The points go to the decoder
 * topic by topic (the generator's topics), in each topic in the order they
 * are met, test point by test point, each followed by those of its
 * neighbours not yet met: a block of the decoder then holds points of one
 * topic, which share their atoms and span few directions (the decoder is
 * cheaper on such blocks), and a neighbour from another topic joins its own
 * topic's points rather than a block whose span it would leave (such points
 * are decoded again, directly, at many times the cost).  The topics only
 * order the work: the codes depend on neither the order nor the grouping
 * of the points (ttt_decoder_run). */
static int decode_codes(const ttt_instance *in, const size_t *nbr, decoded_codes *dc)
{
    const ttt_params *p = &in->p;
    const size_t n = in->train.n, m = in->test.n, q = in->q, k = p->k, d2 = p->d2, topics = p->topics;
    const size_t most = m + (n < m * k ? n : m * k);
    const size_t vat = (most * q * sizeof *dc->idx + 63) / 64 * 64, tat = vat + most * q * sizeof *dc->val;
    const size_t rat = tat + m * sizeof *dc->test_row;
    dc->mem = ttt_mem_alloc(rat + n * sizeof *dc->train_row, 1);
    if (dc->mem) {
        dc->idx = (int32_t *)dc->mem;
        dc->val = (double *)(dc->mem + vat);
        dc->test_row = (size_t *)(dc->mem + tat);
        dc->train_row = (size_t *)(dc->mem + rat);
    }
    const double **pts = malloc(most * sizeof *pts);
    size_t *group = malloc(most * sizeof *group);
    size_t *at = calloc(topics + 1, sizeof *at); /* each topic's next place */
    unsigned char *met = calloc(n ? n : 1, 1);
    const int lists = dc->mem && pts && group && at && met;
    ttt_decoder *dec = NULL;
    size_t count = 0;
    /* The decoder's single-precision atoms (a fresh huge page or so: some
     * milliseconds, one thread faulting it) beside the serial listing of
     * the points. */
#pragma omp parallel sections
    {
#pragma omp section
        dec = ttt_decoder_alloc(in->A, p->d1, d2);
#pragma omp section
        if (lists) {
            /* The points of each topic, counted, then placed. */
            for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < m; i++) {
                    size_t t = (size_t)in->test.topic[i], r = at[t]++;
                    if (pass) {
                        pts[r] = in->test.psi + i * d2;
                        group[r] = t;
                        dc->test_row[i] = r;
                    }
                    for (size_t a = 0; a < k; a++) {
                        const size_t j = nbr[i * k + a];
                        if (met[j] == pass) {
                            met[j] = (unsigned char)!pass;
                            t = (size_t)in->train.topic[j];
                            r = at[t]++;
                            if (pass) {
                                pts[r] = in->train.psi + j * d2;
                                group[r] = t;
                                dc->train_row[j] = r;
                            }
                        }
                    }
                }
                if (!pass) /* counts to the first place of each topic */
                    for (size_t t = 0, first = 0; t < topics; t++) {
                        count = first += at[t];
                        at[t] = first - at[t];
                    }
            }
        }
    }
    int status = GSL_ENOMEM;
    if (lists && dec)
        status = ttt_decoder_run(dec, pts, group, count, q, p->decode_tol, dc->idx, dc->val);
    ttt_decoder_free(dec);
    free(pts);
    free(group);
    free(at);
    free(met);
    return status;
}

static void decoded_free(decoded_codes *dc)
{
    free(dc->mem);
}

int ttt_estimate_local(const ttt_instance *in, const size_t *nbr, ttt_results *res)
{
    const ttt_params *p = &in->p;
    const size_t q = in->q;
    const int sparse = p->sparse == TTT_ON;
    for (int e = 0; e < TTT_EST_COUNT; e++)
        res->enabled[e] = ttt_estimator_enabled(p, e);
    res->lasso_unconverged = 0;
    free(res->dist2);
    res->dist2 = malloc(res->m * p->k * sizeof *res->dist2);
    if (!res->dist2)
        GSL_ERROR("no memory for the neighbours' distances", GSL_ENOMEM);
    decoded_codes dc = {0};
    if (sparse) {
        int status = decode_codes(in, nbr, &dc);
        if (status) {
            decoded_free(&dc);
            GSL_ERROR("no memory for decoding the codes", status);
        }
        for (size_t i = 0; i < res->m; i++) {
            int same = 1;
            for (size_t b = 0; b < q; b++)
                same &= dc.idx[dc.test_row[i] * q + b] == in->test.phi_idx[i * q + b];
            res->decoded_exact[i] = same;
        }
    }
    int nomem = 0, failed = 0;
#pragma omp parallel reduction(| : nomem, failed)
    {
        local_ws w;
        int ok = local_alloc(&w, p->k, p->d1, p->d2, q, res->m) == 0;
        ok = (w.cw = ttt_concept_ws_alloc(in)) && ok;
        nomem = !ok;
#pragma omp for schedule(dynamic, 8)
        for (size_t i = 0; i < res->m; i++)
            if (ok && local_fit(in, &dc, nbr + i * p->k, i, &w, res) != GSL_SUCCESS)
                failed = 1;
        local_free(&w);
        ttt_concept_ws_free(w.cw);
    }
    decoded_free(&dc);
    if (nomem)
        GSL_ERROR("no memory for the local fits", GSL_ENOMEM);
    if (failed)
        GSL_ERROR("a local solve did not converge", GSL_EFAILED);
    return GSL_SUCCESS;
}
