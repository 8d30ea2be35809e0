/* ttt_generate — see ttt_generate.h. */
#include "ttt_generate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_mem.h"
#include "ttt_rng.h"

/* Floyd's algorithm: `count` distinct draws from items[0..len-1], uniformly
 * over subsets, in O(count) time using marks (zero on entry; the caller
 * clears the entries it set). */
static void choose_distinct(gsl_rng *r, const int32_t *items, size_t len, size_t count,
                            unsigned char *marks, int32_t *out)
{
    for (size_t j = len - count, c = 0; j < len; j++, c++) {
        int32_t pick = items ? items[gsl_rng_uniform_int(r, j + 1)] : (int32_t)gsl_rng_uniform_int(r, j + 1);
        if (marks[pick])
            pick = items ? items[j] : (int32_t)j;
        marks[pick] = 1;
        out[c] = pick;
    }
}

/* Insertion sort of (idx, val) pairs by idx: q is small. */
static void sort_pairs(int32_t *idx, double *val, size_t q)
{
    for (size_t i = 1; i < q; i++) {
        int32_t ki = idx[i];
        double vi = val ? val[i] : 0.0;
        size_t j = i;
        for (; j > 0 && idx[j - 1] > ki; j--) {
            idx[j] = idx[j - 1];
            if (val)
                val[j] = val[j - 1];
        }
        idx[j] = ki;
        if (val)
            val[j] = vi;
    }
}

void ttt_generate_magnitudes(gsl_rng *r, ttt_magnitudes magnitudes, size_t q, double *val)
{
    double norm2;
    do { /* a signed draw of all zeros has probability 0, but never divide by it */
        norm2 = 0.0;
        for (size_t a = 0; a < q; a++) {
            double u;
            switch (magnitudes) {
            case TTT_MAG_SIGNED: u = gsl_ran_gaussian_ziggurat(r, 1.0); break;
            case TTT_MAG_CONSTANT: u = 1.0; break;
            default: u = fabs(gsl_ran_gaussian_ziggurat(r, 1.0)) + 0.5; break;
            }
            val[a] = u;
            norm2 += u * u;
        }
    } while (norm2 == 0.0);
    double scale = 1.0 / sqrt(norm2);
    for (size_t a = 0; a < q; a++)
        val[a] *= scale;
}

int32_t ttt_generate_code(const ttt_instance *in, gsl_rng *r, long t, unsigned char *marks,
                          int32_t *idx, double *val)
{
    const ttt_params *p = &in->p;
    int32_t topic = t >= 0 ? (int32_t)t : (int32_t)gsl_rng_uniform_int(r, p->topics);
    choose_distinct(r, in->pools + (size_t)topic * p->pool, p->pool, p->s, marks, idx);
    /* Background concepts: uniform over the d1 - s concepts not yet active
     * (rejection; b <= d1 - s is checked, so it terminates). */
    for (size_t a = p->s; a < in->q; a++) {
        int32_t c;
        do
            c = (int32_t)gsl_rng_uniform_int(r, p->d1);
        while (marks[c]);
        marks[c] = 1;
        idx[a] = c;
    }
    for (size_t a = 0; a < in->q; a++)
        marks[idx[a]] = 0;
    ttt_generate_magnitudes(r, p->magnitudes, in->q, val);
    sort_pairs(idx, val, in->q);
    return topic;
}

static int data_alloc(ttt_data *d, size_t n, size_t q, size_t d2)
{
    d->n = n;
    d->q = q;
    d->d2 = d2;
    d->phi_idx = ttt_mem_alloc(n * q, sizeof *d->phi_idx);
    d->phi_val = ttt_mem_alloc(n * q, sizeof *d->phi_val);
    d->psi = ttt_mem_alloc(n * d2, sizeof *d->psi);
    d->f = malloc(n * sizeof *d->f);
    d->y = malloc(n * sizeof *d->y);
    d->topic = malloc(n * sizeof *d->topic);
    return d->phi_idx && d->phi_val && d->psi && d->f && d->y && d->topic ? 0 : -1;
}

static void data_free(ttt_data *d)
{
    free(d->phi_idx);
    free(d->phi_val);
    free(d->psi);
    free(d->f);
    free(d->y);
    free(d->topic);
}

/* Fills one set block by block; block b uses stream (purpose, b). */
static int draw_points(const ttt_instance *in, ttt_data *d, ttt_stream purpose)
{
    const ttt_params *p = &in->p;
    const size_t q = in->q, d2 = p->d2;
    const size_t nblocks = (d->n + TTT_GENERATE_BLOCK - 1) / TTT_GENERATE_BLOCK;
    int failed = 0;

#pragma omp parallel reduction(| : failed)
    {
        gsl_rng *r = ttt_rng_alloc();
        unsigned char *marks = calloc(p->d1, 1);
        if (!r || !marks)
            failed = 1;
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblocks; b++) {
            if (!r || !marks)
                continue;
            ttt_rng_stream(r, p->seed, purpose, b);
            size_t end = (b + 1) * TTT_GENERATE_BLOCK < d->n ? (b + 1) * TTT_GENERATE_BLOCK : d->n;
            for (size_t i = b * TTT_GENERATE_BLOCK; i < end; i++) {
                int32_t *idx = d->phi_idx + i * q;
                double *val = d->phi_val + i * q;
                double *psi = d->psi + i * d2;
                d->topic[i] = ttt_generate_code(in, r, -1, marks, idx, val);
                double f = 0.0;
                for (size_t j = 0; j < d2; j++)
                    psi[j] = 0.0;
                for (size_t a = 0; a < q; a++) {
                    const double *col = in->A + (size_t)idx[a] * d2;
                    for (size_t j = 0; j < d2; j++)
                        psi[j] += val[a] * col[j];
                    f += val[a] * in->w_star[idx[a]];
                }
                if (p->feature_noise > 0.0)
                    for (size_t j = 0; j < d2; j++)
                        psi[j] += gsl_ran_gaussian_ziggurat(r, p->feature_noise);
                d->f[i] = f;
                d->y[i] = f + (p->sigma > 0.0 ? gsl_ran_gaussian_ziggurat(r, p->sigma) : 0.0);
            }
        }
        gsl_rng_free(r);
        free(marks);
    }
    return failed ? -1 : 0;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Columns of A, stored as the rows of in->A (d1 x d2).  Plain loops rather
 * than BLAS: the generator's output must not depend on which CPU kernel a
 * BLAS picks, so that golden files compare byte for byte on any machine. */
static void draw_dictionary(ttt_instance *in, gsl_rng *r)
{
    const size_t d1 = in->p.d1, d2 = in->p.d2;
    double *A = in->A;
    ttt_rng_stream(r, in->p.seed, TTT_STREAM_DICTIONARY, 0);
    if (in->p.dictionary == TTT_DICT_RADEMACHER) {
        const double v = 1.0 / sqrt((double)d2);
        for (size_t i = 0; i < d1 * d2; i++)
            A[i] = gsl_rng_uniform_int(r, 2) ? v : -v;
        return;
    }
    for (size_t i = 0; i < d1 * d2; i++)
        A[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (size_t j = 0; j < d1; j++) {
        double *a = A + j * d2;
        if (in->p.dictionary == TTT_DICT_ORTHONORMAL) {
            /* Modified Gram-Schmidt, twice ("twice is enough"): orthogonal to
             * working precision for d1 <= d2 Gaussian columns. */
            for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < j; i++) {
                    const double *b = A + i * d2;
                    double h = dot(b, a, d2);
                    for (size_t l = 0; l < d2; l++)
                        a[l] -= h * b[l];
                }
        }
        double scale = 1.0 / sqrt(dot(a, a, d2));
        for (size_t l = 0; l < d2; l++)
            a[l] *= scale;
    }
}

static void draw_pools(ttt_instance *in, gsl_rng *r, unsigned char *marks)
{
    const ttt_params *p = &in->p;
    ttt_rng_stream(r, p->seed, TTT_STREAM_POOLS, 0);
    for (size_t t = 0; t < p->topics; t++) {
        int32_t *pool = in->pools + t * p->pool;
        choose_distinct(r, NULL, p->d1, p->pool, marks, pool);
        for (size_t a = 0; a < p->pool; a++)
            marks[pool[a]] = 0;
        sort_pairs(pool, NULL, p->pool);
    }
}

/* w* from the law w_law, each law scaled to E w_j^2 = 1 (so Var f = 1 for
 * unit-norm codes under every law).  The Gaussian law draws exactly what it
 * always drew, so instances of earlier versions are unchanged. */
static void draw_w_star(ttt_instance *in, gsl_rng *r)
{
    const ttt_params *p = &in->p;
    const size_t d1 = p->d1;
    double *w = in->w_star;
    ttt_rng_stream(r, p->seed, TTT_STREAM_WSTAR, 0);
    switch (p->w_law) {
    case TTT_W_SPARSE: /* Bernoulli(rho) support, N(0, 1/rho) weights */
        for (size_t j = 0; j < d1; j++) {
            double g = gsl_ran_gaussian_ziggurat(r, 1.0);
            w[j] = gsl_rng_uniform(r) < p->w_rho ? g / sqrt(p->w_rho) : 0.0;
        }
        break;
    case TTT_W_STUDENT: /* t with 3 degrees of freedom has variance 3 */
        for (size_t j = 0; j < d1; j++)
            w[j] = gsl_ran_tdist(r, 3.0) / sqrt(3.0);
        break;
    case TTT_W_POWER: { /* |w_j| = c rank_j^-alpha over a random permutation of ranks, random signs */
        double norm2 = 0.0;
        for (size_t j = 0; j < d1; j++)
            norm2 += pow((double)(j + 1), -2.0 * p->w_alpha);
        const double c = sqrt((double)d1 / norm2);
        for (size_t j = 0; j < d1; j++)
            w[j] = c * pow((double)(j + 1), -p->w_alpha);
        gsl_ran_shuffle(r, w, d1, sizeof *w);
        for (size_t j = 0; j < d1; j++)
            if (gsl_rng_uniform(r) < 0.5)
                w[j] = -w[j];
        break;
    }
    default:
        for (size_t j = 0; j < d1; j++)
            w[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
    }
}

int ttt_instance_alloc(const ttt_params *p, ttt_instance **out)
{
    *out = NULL;
    ttt_instance *in = calloc(1, sizeof *in);
    if (!in)
        GSL_ERROR("no memory for the instance", GSL_ENOMEM);
    in->p = *p;
    in->q = p->s + p->background;
    in->A = ttt_mem_alloc(p->d1 * p->d2, sizeof *in->A);
    in->pools = malloc(p->topics * p->pool * sizeof *in->pools);
    in->w_star = malloc(p->d1 * sizeof *in->w_star);
    gsl_rng *r = ttt_rng_alloc();
    unsigned char *marks = calloc(p->d1, 1);
    int ok = in->A && in->pools && in->w_star && r && marks &&
             data_alloc(&in->train, p->n, in->q, p->d2) == 0 && data_alloc(&in->test, p->m, in->q, p->d2) == 0;
    if (ok) {
        draw_dictionary(in, r);
        draw_pools(in, r, marks);
        draw_w_star(in, r);
        ok = draw_points(in, &in->train, TTT_STREAM_TRAIN) == 0 && draw_points(in, &in->test, TTT_STREAM_TEST) == 0;
    }
    gsl_rng_free(r);
    free(marks);
    if (!ok) {
        ttt_instance_free(in);
        GSL_ERROR("no memory for the instance", GSL_ENOMEM);
    }
    *out = in;
    return GSL_SUCCESS;
}

void ttt_instance_free(ttt_instance *in)
{
    if (!in)
        return;
    free(in->A);
    free(in->pools);
    free(in->w_star);
    data_free(&in->train);
    data_free(&in->test);
    free(in);
}
