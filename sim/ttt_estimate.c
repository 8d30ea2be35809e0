/* ttt_estimate — see ttt_estimate.h. */
#include "ttt_estimate.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_lsq.h"

static const char *const names[TTT_EST_COUNT] = {"global", "ttt", "ttt_global", "ttt_gd", "oracle", "knn"};
static const char *const about[TTT_EST_COUNT] = {
    "global least squares on all training features",
    "local least squares on the k neighbours, nearest to 0 (from scratch)",
    "local least squares on the k neighbours, nearest to the global head (fine-tuned)",
    "gradient steps from the global head on the k neighbours",
    "local least squares on the neighbours' true codes, restricted to their support S",
    "average label of the k neighbours",
};

const char *ttt_estimator_name(int e)
{
    return e >= 0 && e < TTT_EST_COUNT ? names[e] : "?";
}

const char *ttt_estimator_about(int e)
{
    return e >= 0 && e < TTT_EST_COUNT ? about[e] : "?";
}

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
    if (!r->pred || !r->support || !r->covered || !r->oracle_var || !r->v_global) {
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
    free(r);
}

/* Per-thread buffers for the local fits, allocated once. */
typedef struct {
    ttt_lsq_workspace *lsq; /* k x max(d2, k q) */
    double *X;              /* k x d2 neighbour features */
    double *yN;             /* k neighbour labels */
    double *r;              /* k residuals */
    double *v;              /* d2 head */
    double *delta;          /* max(d2, k q) */
    double *Phi;            /* k x |S| neighbour codes on S */
    double *xs;             /* |S| test code on S */
    int32_t *col;           /* d1: column of concept j in S, or -1 */
    int32_t *S;             /* k q: the support */
} local_ws;

static void local_free(local_ws *w)
{
    ttt_lsq_free(w->lsq);
    free(w->X);
    free(w->yN);
    free(w->r);
    free(w->v);
    free(w->delta);
    free(w->Phi);
    free(w->xs);
    free(w->col);
    free(w->S);
}

static int local_alloc(local_ws *w, size_t k, size_t d1, size_t d2, size_t q)
{
    size_t smax = k * q < d1 ? k * q : d1;
    size_t cmax = d2 > smax ? d2 : smax;
    memset(w, 0, sizeof *w);
    w->lsq = ttt_lsq_alloc(k, cmax);
    w->X = malloc(k * d2 * sizeof *w->X);
    w->yN = malloc(k * sizeof *w->yN);
    w->r = malloc(k * sizeof *w->r);
    w->v = malloc(d2 * sizeof *w->v);
    w->delta = malloc(cmax * sizeof *w->delta);
    w->Phi = malloc(k * smax * sizeof *w->Phi);
    w->xs = malloc(smax * sizeof *w->xs);
    w->col = malloc(d1 * sizeof *w->col);
    w->S = malloc(smax * sizeof *w->S);
    if (!w->lsq || !w->X || !w->yN || !w->r || !w->v || !w->delta || !w->Phi || !w->xs || !w->col || !w->S)
        return -1;
    for (size_t j = 0; j < d1; j++)
        w->col[j] = -1;
    return 0;
}

/* The oracle: least squares of the neighbours' labels on their codes
 * restricted to S, evaluated at the test code.  Also sets |S|, whether S
 * covers the test point, and the exact conditional noise variance. */
static int oracle_fit(const ttt_instance *in, const size_t *nb, size_t i, local_ws *w, ttt_results *res)
{
    const ttt_params *p = &in->p;
    const size_t k = p->k, q = in->q;
    const ttt_data *tr = &in->train, *te = &in->test;
    size_t ns = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < q; b++) {
            int32_t c = tr->phi_idx[nb[a] * q + b];
            if (w->col[c] < 0) {
                w->col[c] = (int32_t)ns;
                w->S[ns++] = c;
            }
        }
    memset(w->Phi, 0, k * ns * sizeof *w->Phi);
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < q; b++)
            w->Phi[a * ns + (size_t)w->col[tr->phi_idx[nb[a] * q + b]]] = tr->phi_val[nb[a] * q + b];
    memset(w->xs, 0, ns * sizeof *w->xs);
    int covered = 1;
    for (size_t b = 0; b < q; b++) {
        int32_t c = te->phi_idx[i * q + b];
        if (w->col[c] >= 0)
            w->xs[w->col[c]] = te->phi_val[i * q + b];
        else
            covered = 0;
    }
    int status = ttt_lsq_factor(w->lsq, w->Phi, k, ns, ns, p->ridge, p->rcond);
    if (!status)
        status = ttt_lsq_solve(w->lsq, w->yN, w->delta);
    if (!status) {
        res->pred[TTT_EST_ORACLE * res->m + i] = cblas_ddot((int)ns, w->xs, 1, w->delta, 1);
        res->oracle_var[i] = p->sigma * p->sigma * ttt_lsq_leverage(w->lsq, w->xs);
    }
    res->support[i] = ns;
    res->covered[i] = covered;
    for (size_t a = 0; a < ns; a++)
        w->col[w->S[a]] = -1;
    return status;
}

/* The feature-space local estimators at test point i. */
static int local_fit(const ttt_instance *in, const size_t *nb, size_t i, local_ws *w, ttt_results *res)
{
    const ttt_params *p = &in->p;
    const size_t k = p->k, d2 = p->d2, m = res->m;
    const int kk = (int)k, dd = (int)d2;
    const double *xstar = in->test.psi + i * d2;
    double mean = 0.0;
    for (size_t a = 0; a < k; a++) {
        memcpy(w->X + a * d2, in->train.psi + nb[a] * d2, d2 * sizeof *w->X);
        w->yN[a] = in->train.y[nb[a]];
        mean += w->yN[a];
    }
    res->pred[TTT_EST_KNN * m + i] = mean / (double)k;

    int status = ttt_lsq_factor(w->lsq, w->X, k, d2, d2, p->ridge, p->rcond);
    if (status)
        return status;
    /* From scratch: v = X^+ y. */
    if ((status = ttt_lsq_solve(w->lsq, w->yN, w->delta)))
        return status;
    res->pred[TTT_EST_TTT * m + i] = cblas_ddot(dd, xstar, 1, w->delta, 1);
    /* Fine-tuned: v = v_g + X^+ (y - X v_g). */
    memcpy(w->r, w->yN, k * sizeof *w->r);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, kk, dd, -1.0, w->X, dd, res->v_global, 1, 1.0, w->r, 1);
    if ((status = ttt_lsq_solve(w->lsq, w->r, w->delta)))
        return status;
    res->pred[TTT_EST_TTT_GLOBAL * m + i] =
        res->pred[TTT_EST_GLOBAL * m + i] + cblas_ddot(dd, xstar, 1, w->delta, 1);
    /* Gradient descent on (1/2k) ||y - X v||^2 from v_g. */
    if (p->gd_steps > 0) {
        memcpy(w->v, res->v_global, d2 * sizeof *w->v);
        for (size_t t = 0; t < p->gd_steps; t++) {
            memcpy(w->r, w->yN, k * sizeof *w->r);
            cblas_dgemv(CblasRowMajor, CblasNoTrans, kk, dd, -1.0, w->X, dd, w->v, 1, 1.0, w->r, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, kk, dd, p->gd_eta / (double)k, w->X, dd, w->r, 1, 1.0, w->v, 1);
        }
        res->pred[TTT_EST_TTT_GD * m + i] = cblas_ddot(dd, xstar, 1, w->v, 1);
    }
    return oracle_fit(in, nb, i, w, res);
}

int ttt_estimate_global(const ttt_instance *in, ttt_results *res)
{
    const ttt_params *p = &in->p;
    const ttt_data *tr = &in->train, *te = &in->test;
    ttt_lsq_workspace *w = ttt_lsq_alloc(tr->n, p->d2);
    if (!w)
        GSL_ERROR("no memory for the global fit", GSL_ENOMEM);
    int status = ttt_lsq_factor(w, tr->psi, tr->n, p->d2, p->d2, p->ridge, p->rcond);
    if (!status)
        status = ttt_lsq_solve(w, tr->y, res->v_global);
    if (!status) {
        res->global_rank = ttt_lsq_rank(w);
        double *pred = res->pred + TTT_EST_GLOBAL * res->m;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < te->n; i++)
            pred[i] = cblas_ddot((int)p->d2, te->psi + i * p->d2, 1, res->v_global, 1);
    }
    ttt_lsq_free(w);
    return status;
}

int ttt_estimate_run(const ttt_instance *in, const size_t *nbr, ttt_results *res)
{
    int status = ttt_estimate_global(in, res);
    return status ? status : ttt_estimate_local(in, nbr, res);
}

int ttt_estimate_local(const ttt_instance *in, const size_t *nbr, ttt_results *res)
{
    const ttt_params *p = &in->p;
    for (int e = 0; e < TTT_EST_COUNT; e++)
        res->enabled[e] = e != TTT_EST_TTT_GD || p->gd_steps > 0;
    int nomem = 0, failed = 0;
#pragma omp parallel reduction(| : nomem, failed)
    {
        local_ws w;
        int ok = local_alloc(&w, p->k, p->d1, p->d2, in->q) == 0;
        nomem = !ok;
#pragma omp for schedule(dynamic, 8)
        for (size_t i = 0; i < res->m; i++)
            if (ok && local_fit(in, nbr + i * p->k, i, &w, res) != GSL_SUCCESS)
                failed = 1;
        local_free(&w);
    }
    if (nomem)
        GSL_ERROR("no memory for the local fits", GSL_ENOMEM);
    if (failed)
        GSL_ERROR("a local eigensolve did not converge", GSL_EFAILED);
    return GSL_SUCCESS;
}
