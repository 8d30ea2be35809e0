/* ttt_analytic — see ttt_analytic.h. */
#include "ttt_analytic.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_lsq.h"
#include "ttt_mem.h"

/* Shift of the positive law u = |g| + POSITIVE_SHIFT (docs/MODEL.md section 1). */
#define POSITIVE_SHIFT 0.5
#define QUAD_LIMIT 1000

typedef struct {
    int law;
    size_t q;
} law_q;

/* phi0(t) = E exp(-t u^2) and phi1(t) = E u exp(-t u^2), t >= 0. */
static void laplace(int law, double t, double *phi0, double *phi1)
{
    if (law == TTT_MAG_CONSTANT) {
        *phi0 = *phi1 = exp(-t);
        return;
    }
    if (law == TTT_MAG_SIGNED) { /* u ~ N(0,1): phi1 = 0 by symmetry */
        *phi0 = 1.0 / sqrt(1.0 + 2.0 * t);
        *phi1 = 0.0;
        return;
    }
    /* u = |g| + h: complete the square in exp(-t (x+h)^2 - x^2/2), x >= 0,
     * with a = t + 1/2 and beta = t h / a. */
    const double h = POSITIVE_SHIFT, a = t + 0.5, z = t * h / sqrt(a);
    const double tail = exp(-t * h * h / (2.0 * a) + gsl_sf_log_erfc(z)); /* e^{-th^2/2a} erfc(beta sqrt a) */
    *phi0 = tail / sqrt(2.0 * a);
    *phi1 = M_SQRT2 / M_SQRTPI * (exp(-t * h * h) / (2.0 * a) + h / (4.0 * a) * sqrt(M_PI / a) * tail);
}

static double c_integrand(double t, void *params)
{
    const law_q *lq = params;
    double p0, p1;
    laplace(lq->law, t, &p0, &p1);
    return p1 * p1 * pow(p0, (double)lq->q - 2.0);
}

static double mu_integrand(double r, void *params)
{
    const law_q *lq = params;
    double p0, p1;
    laplace(lq->law, r * r, &p0, &p1);
    return 2.0 / M_SQRTPI * p1 * pow(p0, (double)lq->q - 1.0);
}

int ttt_analytic_moments(ttt_magnitudes magnitudes, size_t q, double epsrel, double *c, double *mu1)
{
    *c = 0.0;
    *mu1 = 0.0;
    if (magnitudes == TTT_MAG_SIGNED)
        return GSL_SUCCESS; /* odd law: every first-order cross moment vanishes */
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!w)
        GSL_ERROR("no memory for quadrature", GSL_ENOMEM);
    law_q lq = {magnitudes, q};
    gsl_function F = {mu_integrand, &lq};
    double err;
    int status = gsl_integration_qagiu(&F, 0.0, 0.0, epsrel, QUAD_LIMIT, w, mu1, &err);
    if (!status && q >= 2) {
        F.function = c_integrand;
        status = gsl_integration_qagiu(&F, 0.0, 0.0, epsrel, QUAD_LIMIT, w, c, &err);
    }
    gsl_integration_workspace_free(w);
    return status;
}

/* Activation probabilities within one topic: single concepts in and out of
 * the pool, and pairs (i != j) both in the pool, one in and one out, both out. */
typedef struct {
    double pi_in, pi_out, m_pp, m_pq, m_qq;
} probs;

static probs topic_probs(size_t d1, size_t s, size_t pool, size_t b)
{
    const double S = (double)s, P = (double)pool, B = (double)b, rest = (double)(d1 - s);
    /* Background: b distinct concepts uniform over the d1 - s inactive ones. */
    const double beta = d1 > s ? B / rest : 0.0;
    const double beta2 = d1 >= s + 2 ? B * (B - 1.0) / (rest * (rest - 1.0)) : 0.0;
    probs r;
    r.pi_in = S / P + (1.0 - S / P) * beta;
    r.pi_out = beta;
    double both = 0.0, one = 0.0, none = 0.0;
    if (pool >= 2) {
        both = S * (S - 1.0) / (P * (P - 1.0));
        one = S * (P - S) / (P * (P - 1.0));
        none = (P - S) * (P - S - 1.0) / (P * (P - 1.0));
    }
    r.m_pp = both + 2.0 * one * beta + none * beta2;
    r.m_pq = S / P * beta + (P - S) / P * beta2;
    r.m_qq = beta2;
    return r;
}

double ttt_analytic_pair_prob(size_t d1, size_t s, size_t pool, size_t background)
{
    return topic_probs(d1, s, pool, background).m_pp;
}

/* Concepts per block of the streamed pass over the concepts in use. */
#define CONCEPT_BLOCK 4096

/* Sigma = E[phi phi^T] averaged over topics.  Within topic t, with y_t the
 * indicator of its pool and z the all-ones vector,
 *   Sigma_t = diag(d_t) + c M_t,
 *   M_t     = alpha y_t y_t^T + gamma (y_t z^T + z y_t^T) + m_qq z z^T,
 * where M_t holds the pair probabilities (m_pp on pool x pool, m_qq outside),
 * alpha = m_pp - 2 m_pq + m_qq, gamma = m_pq - m_qq, and the diagonal
 * d_t = pi / q - c diag(M_t) puts E v_a^2 = 1/q on active concepts.
 * Averaging over topics needs only cnt_j, the number of pools holding j.
 *
 * Without background (b = 0) pi_out = m_pq = m_qq = 0, so every term of a
 * concept in no pool is exactly zero: the sums run over the union of the
 * pools, the concepts in use, and their columns are all that is read.  With
 * background every concept is in use and the pass streams over all d1
 * columns, CONCEPT_BLOCK at a time (drawn where A is not stored): exact, at
 * a cost of d1 d2^2 flops. */
int ttt_analytic_global(const ttt_instance *in, ttt_analytic *out)
{
    const ttt_params *p = &in->p;
    const size_t d2 = p->d2, T = p->topics, P = p->pool, q = in->q, nu = in->nused;
    const size_t nl = p->background ? p->d1 : nu; /* the concepts in use */
    memset(out, 0, sizeof *out);
    int status = ttt_analytic_moments(p->magnitudes, q, TTT_ANALYTIC_EPSREL, &out->moment_c, &out->moment_mu1);
    if (status)
        return status;
    const double c = out->moment_c, m2 = 1.0 / (double)q, Td = (double)T;
    const probs pr = topic_probs(p->d1, p->s, P, p->background);
    const double alpha = pr.m_pp - 2.0 * pr.m_pq + pr.m_qq, gamma = pr.m_pq - pr.m_qq;
    const double d_in = m2 * pr.pi_in - c * pr.m_pp, d_out = m2 * pr.pi_out - c * pr.m_qq;

    double *cnt = ttt_mem_alloc(nu, sizeof *cnt); /* pools holding used concept u */
    double *swu = ttt_mem_alloc(nu, sizeof *swu); /* (Sigma w)_j of used concept u, in part */
    double *B = ttt_mem_alloc(CONCEPT_BLOCK * d2, sizeof *B); /* a block of rows of diag(sqrt D) R */
    double *R = ttt_mem_alloc(CONCEPT_BLOCK * d2, sizeof *R); /* the block's columns of A, as rows */
    double *bc = malloc(CONCEPT_BLOCK * sizeof *bc), *bs = malloc(CONCEPT_BLOCK * sizeof *bs);
    double *bz = malloc(CONCEPT_BLOCK * sizeof *bz), *bw = malloc(CONCEPT_BLOCK * sizeof *bw);
    double *U = calloc(T * d2, sizeof *U);       /* row t: A y_t */
    double *M = calloc(d2 * d2, sizeof *M);      /* A Sigma A^T + tau^2 I */
    double *G = malloc(d2 * d2 * sizeof *G);     /* a block's Gram matrix, then U^T U */
    double *g = calloc(d2, sizeof *g), *a = calloc(d2, sizeof *a), *bv = calloc(d2, sizeof *bv);
    double *x = malloc(d2 * sizeof *x);
    ttt_lsq_workspace *ws = ttt_lsq_alloc(d2, d2);
    ttt_concept_ws *cw = ttt_concept_ws_alloc(in);
    if (!cnt || !swu || !B || !R || !bc || !bs || !bz || !bw || !U || !M || !G || !g || !a || !bv || !x || !ws ||
        !cw) {
        status = GSL_ENOMEM;
        goto done;
    }
    memset(cnt, 0, nu * sizeof *cnt);
    for (size_t e = 0; e < T * P; e++)
        cnt[ttt_instance_used_slot(in, in->pools[e])] += 1.0;
    /* Concept j of the pass: the j-th used one, or concept j itself. */
#define CONCEPT(j) (p->background ? (int32_t)(j) : in->used[j])
#define SLOT(j) (p->background ? ttt_instance_used_slot(in, (int32_t)(j)) : (long)(j))
    double zw = 0.0, cw_sum = 0.0, mean_dir = 0.0;
    for (size_t j = 0; j < nl; j++) {
        const long u = SLOT(j);
        const double wj = ttt_instance_w(in, CONCEPT(j), cw), cj = u >= 0 ? cnt[u] : 0.0;
        zw += wj;
        cw_sum += cj * wj;
        mean_dir += wj * (cj * pr.pi_in + (Td - cj) * pr.pi_out) / Td;
    }
    for (size_t u = 0; u < nu; u++)
        swu[u] = (cnt[u] * d_in + (Td - cnt[u]) * d_out) / Td * ttt_instance_w(in, in->used[u], cw);
    for (size_t t = 0; t < T; t++) {
        const int32_t *pool = in->pools + t * P;
        double yw = 0.0;
        for (size_t e = 0; e < P; e++)
            yw += ttt_instance_w(in, pool[e], cw);
        for (size_t e = 0; e < P; e++) {
            swu[ttt_instance_used_slot(in, pool[e])] += c * alpha / Td * yw;
            cblas_daxpy((int)d2, 1.0, ttt_instance_column(in, pool[e], cw), 1, U + t * d2, 1);
        }
    }
    out->f_second = 0.0; /* plain loops: a BLAS may thread a long dot product */
    /* A Sigma A^T = R^T diag(D) R + (c alpha / T) U^T U
     *             + (c gamma / T)(a g^T + g a^T) + c m_qq g g^T,  a = A cnt, g = A z,
     * and b = A Sigma w, accumulated block by block.  The long reductions go
     * through ttt_lsq's blocked, thread-count-proof ones. */
    for (size_t j0 = 0; j0 < nl; j0 += CONCEPT_BLOCK) {
        const size_t len = nl - j0 < CONCEPT_BLOCK ? nl - j0 : CONCEPT_BLOCK;
        int nomem = 0;
#pragma omp parallel reduction(| : nomem)
        { /* rows are independent: any thread draws any of them */
            ttt_concept_ws *tw = ttt_concept_ws_alloc(in);
            nomem = !tw;
#pragma omp for schedule(static)
            for (size_t l = 0; l < len; l++) {
                if (!tw)
                    continue;
                const size_t j = j0 + l;
                const long u = SLOT(j);
                const double cj = u >= 0 ? cnt[u] : 0.0, wj = ttt_instance_w(in, CONCEPT(j), tw);
                const double D = (cj * d_in + (Td - cj) * d_out) / Td;
                double sw = u >= 0 ? swu[u] : D * wj;
                sw += c * gamma / Td * (cj * zw + cw_sum) + c * pr.m_qq * zw;
                /* D >= 0: E v_a^2 >= E v_a v_b (Cauchy-Schwarz) and a concept is active
                 * at least as often as it is active with a given other one. */
                const double root = sqrt(fmax(D, 0.0));
                const double *col = ttt_instance_column(in, CONCEPT(j), tw);
                for (size_t i = 0; i < d2; i++) {
                    R[l * d2 + i] = col[i];
                    B[l * d2 + i] = root * col[i];
                }
                bc[l] = cj;
                bs[l] = sw;
                bz[l] = 1.0;
                bw[l] = wj;
            }
            ttt_concept_ws_free(tw);
        }
        if (nomem) {
            status = GSL_ENOMEM;
            goto done;
        }
        for (size_t l = 0; l < len; l++) /* in order: the bits do not depend on the threads */
            out->f_second += bw[l] * bs[l];
        if ((status = ttt_lsq_gram(B, len, d2, d2, G)))
            goto done;
        for (size_t i = 0; i < d2 * d2; i++)
            M[i] += G[i];
        if ((status = ttt_lsq_xtr(R, len, d2, d2, bc, bw)))
            goto done;
        cblas_daxpy((int)d2, 1.0, bw, 1, a, 1);
        if ((status = ttt_lsq_xtr(R, len, d2, d2, bz, bw)))
            goto done;
        cblas_daxpy((int)d2, 1.0, bw, 1, g, 1);
        if ((status = ttt_lsq_xtr(R, len, d2, d2, bs, bw)))
            goto done;
        cblas_daxpy((int)d2, 1.0, bw, 1, bv, 1);
    }
#undef CONCEPT
#undef SLOT
    out->f_mean = out->moment_mu1 * mean_dir;
    out->f_var = out->f_second - out->f_mean * out->f_mean;
    if ((status = ttt_lsq_gram(U, T, d2, d2, G)))
        goto done;
    for (size_t i = 0; i < d2 * d2; i++)
        M[i] += c * alpha / Td * G[i];
    cblas_dger(CblasRowMajor, (int)d2, (int)d2, c * gamma / Td, a, 1, g, 1, M, (int)d2);
    cblas_dger(CblasRowMajor, (int)d2, (int)d2, c * gamma / Td, g, 1, a, 1, M, (int)d2);
    cblas_dger(CblasRowMajor, (int)d2, (int)d2, c * pr.m_qq, g, 1, g, 1, M, (int)d2);
    for (size_t i = 0; i < d2; i++)
        M[i * d2 + i] += p->feature_noise * p->feature_noise;

    status = ttt_lsq_psd_solve(ws, M, d2, bv, p->rcond, x);
    if (status)
        goto done;
    double explained = 0.0;
    for (size_t i = 0; i < d2; i++)
        explained += bv[i] * x[i];
    out->e_glob = out->f_second - explained;
    if (out->e_glob < 0.0) /* only rounding can make it negative */
        out->e_glob = 0.0;
    /* The finite-n term counts the directions the features actually vary
     * in: the rank of A Sigma A^T, which is below d2 when fewer concepts are
     * in use than there are features (no superposition). */
    out->rank = ttt_lsq_rank(ws);
    out->e_glob_n = ttt_analytic_finite_n(out->e_glob, p->sigma, out->rank, p->n);
    out->iso_rel = ttt_analytic_iso(p->d1, d2);
done:
    free(cnt);
    free(swu);
    free(B);
    free(R);
    free(bc);
    free(bs);
    free(bz);
    free(bw);
    free(U);
    free(M);
    free(G);
    free(g);
    free(a);
    free(bv);
    free(x);
    ttt_lsq_free(ws);
    ttt_concept_ws_free(cw);
    if (status == GSL_ENOMEM)
        GSL_ERROR("no memory for the analytic prediction", GSL_ENOMEM);
    return status;
}

double ttt_analytic_support(size_t d1, size_t s, size_t pool, size_t background, size_t k)
{
    probs pr = topic_probs(d1, s, pool, background);
    return (double)pool * (1.0 - pow(1.0 - pr.pi_in, (double)k)) +
           (double)(d1 - pool) * (1.0 - pow(1.0 - pr.pi_out, (double)k));
}

double ttt_analytic_oracle(double sigma, double S, size_t k)
{
    return (double)k > S + 1.0 ? sigma * sigma * S / ((double)k - S - 1.0) : GSL_POSINF;
}

double ttt_analytic_finite_n(double e_glob, double sigma, size_t d2, size_t n)
{
    return n > d2 + 1 ? e_glob + (e_glob + sigma * sigma) * (double)d2 / (double)(n - d2 - 1) : GSL_POSINF;
}

double ttt_analytic_iso(size_t d1, size_t d2)
{
    return d2 < d1 ? 1.0 - (double)d2 / (double)d1 : 0.0;
}
