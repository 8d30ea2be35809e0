/* ttt_demo — see ttt_demo.h. */
#include "ttt_demo.h"

#include <gsl/gsl_errno.h>
#include <stdlib.h>

#include "ttt_neighbours.h"

/* The teaching instance of `ttt demo`: six concepts in a plane, three
 * topics of two concepts each.  The seed picks a picture that teaches: test
 * point 0 lies on its topic's arc, away from the origin, with all k of its
 * neighbours from its topic.  Seed 4 did until the point streams changed
 * (2026-11-28); with the new points its test point 0 fell near the origin
 * between two almost opposite concepts (a local head of norm 32). */
const char *const ttt_demo_words[] = {"d1=6", "d2=2", "s=2", "topics=3", "pool=2", "n=300", "m=200",
                                      "k=20", "sigma=0.05", "sparse=off", "seed=3", NULL};
/* Neighbourhood sizes of the k curve (those up to n are used). */
static const size_t demo_ks[] = {1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 130, 160, 200, 250};
#define DEMO_NK (sizeof demo_ks / sizeof demo_ks[0])

struct ttt_demo {
    ttt_params p;            /* the run's parameters */
    ttt_report *r;           /* the run at p.k */
    double curve[DEMO_NK][4]; /* k, ttt MSE, its se, knn MSE */
    size_t nk;               /* points of the curve */
    size_t *rank;            /* n: position among test point 0's nearest neighbours (0: beyond the curve's k) */
    double v[2];             /* test point 0's TTT head */
};

void ttt_demo_free(ttt_demo *d)
{
    if (!d)
        return;
    ttt_report_free(d->r);
    free(d->rank);
    free(d);
}

int ttt_demo_run(const ttt_params *params, ttt_demo **out)
{
    ttt_demo *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return GSL_ENOMEM;
    d->p = *params;
    ttt_params p = *params;
    const size_t n = p.n, d1 = p.d1, kmax = demo_ks[DEMO_NK - 1] < n ? demo_ks[DEMO_NK - 1] : n;
    int status = ttt_run(params, &d->r);
    ttt_report *r = d->r;
    /* The k curve: the same instance (the seed fixes it) at each k; the run
       at the chosen k is r itself. */
    for (size_t j = 0; j < DEMO_NK && demo_ks[j] <= n && !status; j++) {
        p.k = demo_ks[j];
        ttt_report *rk = p.k == params->k ? r : NULL;
        if (rk || !(status = ttt_run(&p, &rk))) {
            d->curve[d->nk][0] = (double)p.k;
            d->curve[d->nk][1] = rk->est[TTT_EST_TTT].mse;
            d->curve[d->nk][2] = rk->est[TTT_EST_TTT].se;
            d->curve[d->nk][3] = rk->est[TTT_EST_KNN].mse;
            d->nk++;
        }
        if (rk != r)
            ttt_report_free(rk);
    }
    /* Test point 0: its neighbours in order up to kmax, and its local head. */
    size_t *order = malloc(kmax * sizeof *order);
    d->rank = malloc(n * sizeof *d->rank);
    if (!status && (!order || !d->rank))
        status = GSL_ENOMEM;
    if (!status) {
        ttt_data one = r->in->test;
        one.n = 1;
        status = ttt_neighbours_find(&r->in->train, &one, d1, kmax, params->space, params->metric, order);
    }
    if (!status)
        status = ttt_estimate_head(r->in, r->nbr, params->k, d->v);
    if (!status) {
        for (size_t i = 0; i < n; i++)
            d->rank[i] = 0;
        for (size_t a = 0; a < kmax; a++)
            d->rank[order[a]] = a + 1;
    }
    free(order);
    if (status) {
        ttt_demo_free(d);
        return status;
    }
    *out = d;
    return GSL_SUCCESS;
}

int ttt_demo_write(ttt_outdir *dir, const ttt_demo *d, const char *command, char *msg)
{
    const ttt_report *r = d->r;
    const ttt_instance *in = r->in;
    const double *vg = r->res->v_global, *v = d->v;
    const size_t n = d->p.n, d1 = d->p.d1;
    const char *names[5] = {"concepts.tsv", "points.tsv", "test.tsv", "heads.tsv", "k.tsv"};
    FILE *fp[5];
    int status = GSL_SUCCESS;
    for (int f = 0; f < 5 && !status; f++)
        status = ttt_io_tsv(dir, names[f], &d->p, command, &fp[f], msg);
    if (!status) {
        fprintf(fp[0], "concept\ta1\ta2\n");
        for (size_t j = 0; j < d1; j++) {
            fprintf(fp[0], "%zu\t", j + 1);
            ttt_io_put(fp[0], in->A[j * 2], "\t");
            ttt_io_put(fp[0], in->A[j * 2 + 1], "\n");
        }
        /* rank: position among test point 0's nearest neighbours (0: beyond kmax). */
        fprintf(fp[1], "psi1\tpsi2\ttopic\tf\ty\trank\tglobal\tttt_head\n");
        for (size_t i = 0; i < n; i++) {
            const double *x = in->train.psi + 2 * i;
            ttt_io_put(fp[1], x[0], "\t");
            ttt_io_put(fp[1], x[1], "\t");
            fprintf(fp[1], "%d\t", (int)in->train.topic[i]);
            ttt_io_put(fp[1], in->train.f[i], "\t");
            ttt_io_put(fp[1], in->train.y[i], "\t");
            fprintf(fp[1], "%zu\t", d->rank[i]);
            ttt_io_put(fp[1], x[0] * vg[0] + x[1] * vg[1], "\t");
            ttt_io_put(fp[1], x[0] * v[0] + x[1] * v[1], "\n");
        }
        const double *xs = in->test.psi;
        fprintf(fp[2], "psi1\tpsi2\ttopic\tf\tglobal\tttt\tk\n");
        ttt_io_put(fp[2], xs[0], "\t");
        ttt_io_put(fp[2], xs[1], "\t");
        fprintf(fp[2], "%d\t", (int)in->test.topic[0]);
        ttt_io_put(fp[2], in->test.f[0], "\t");
        ttt_io_put(fp[2], r->res->pred[TTT_EST_GLOBAL * r->res->m], "\t");
        ttt_io_put(fp[2], r->res->pred[TTT_EST_TTT * r->res->m], "\t");
        fprintf(fp[2], "%zu\n", (size_t)d->p.k);
        fprintf(fp[3], "head\tv1\tv2\nglobal\t");
        ttt_io_put(fp[3], vg[0], "\t");
        ttt_io_put(fp[3], vg[1], "\nttt\t");
        ttt_io_put(fp[3], v[0], "\t");
        ttt_io_put(fp[3], v[1], "\n");
        fprintf(fp[4], "k\tttt_mse\tttt_se\tknn_mse\tglobal_mse\n");
        for (size_t j = 0; j < d->nk; j++) {
            fprintf(fp[4], "%zu\t", (size_t)d->curve[j][0]);
            ttt_io_put(fp[4], d->curve[j][1], "\t");
            ttt_io_put(fp[4], d->curve[j][2], "\t");
            ttt_io_put(fp[4], d->curve[j][3], "\t");
            ttt_io_put(fp[4], r->est[TTT_EST_GLOBAL].mse, "\n");
        }
    }
    return status;
}

static void show_vector(FILE *out, const char *name, const double *v, size_t n)
{
    fprintf(out, "%s(", name);
    for (size_t j = 0; j < n; j++)
        fprintf(out, "%s%.3f", j ? ", " : "", v[j]);
    fprintf(out, ")");
}

void ttt_demo_narrate(FILE *out, const ttt_demo *d, const char *dir)
{
    const ttt_report *r = d->r;
    const ttt_instance *in = r->in;
    const double *vg = r->res->v_global, *v = d->v;
    const size_t n = d->p.n, d1 = d->p.d1;
    const size_t q = in->q, k = d->p.k, m = d->p.m;
    fprintf(out, "A walk through test-time training, step by step (all numbers from this run).\n\n");
    fprintf(out, "1. The world has d1 = %zu concepts, but the model has only d2 = %zu feature dimensions.\n"
            "   Each concept is a direction in the feature plane (a column of the dictionary A):\n", d1, (size_t)2);
    for (size_t j = 0; j < d1 && j < 12; j++)
        fprintf(out, "     concept %zu -> (%+.3f, %+.3f)\n", j + 1, in->A[2 * j], in->A[2 * j + 1]);
    fprintf(out, "   %zu concepts cannot be orthogonal in %zu dimensions: they are stored in superposition.\n\n",
            d1, (size_t)2);
    fprintf(out, "2. There are %zu topics; each uses a pool of %zu concepts:\n", (size_t)d->p.topics,
            (size_t)d->p.pool);
    for (size_t t = 0; t < d->p.topics && t < 8; t++) {
        fprintf(out, "     topic %zu: concepts", t);
        for (size_t a = 0; a < d->p.pool; a++)
            fprintf(out, " %d", (int)in->pools[t * d->p.pool + a] + 1);
        fprintf(out, "\n");
    }
    fprintf(out, "\n3. A data point picks a topic and s = %zu of its concepts with positive weights (norm 1).\n"
            "   Training point 0: topic %d, concepts", (size_t)d->p.s, (int)in->train.topic[0]);
    for (size_t a = 0; a < q; a++)
        fprintf(out, " %d (weight %.3f)", (int)in->train.phi_idx[a] + 1, in->train.phi_val[a]);
    fprintf(out, "\n   The model sees only its features psi = A phi = (%.3f, %.3f).\n", in->train.psi[0],
            in->train.psi[1]);
    fprintf(out, "   Its label is linear in the concepts: f = <phi, w*> = %.3f, observed as y = f + noise = "
            "%.3f.\n\n", in->train.f[0], in->train.y[0]);
    fprintf(out, "4. The global model fits one linear head on all n = %zu points: ", n);
    show_vector(out, "v_global = ", vg, 2);
    fprintf(out, ".\n   With %zu concepts squeezed into 2 directions one head cannot fit them all:\n"
            "   its test MSE is %.4f (relative error %.2f of the variance of f).\n\n",
            d1, r->est[TTT_EST_GLOBAL].mse, r->est[TTT_EST_GLOBAL].rel);
    size_t same = 0;
    for (size_t a = 0; a < k; a++)
        same += in->train.topic[r->nbr[a]] == in->test.topic[0];
    fprintf(out, "5. Test-time training: for test point 0 (topic %d, features (%.3f, %.3f), f = %.3f)\n"
            "   take its k = %zu nearest training points in feature space (%zu of them share its topic)\n"
            "   and fit a head on them only: ", (int)in->test.topic[0], in->test.psi[0], in->test.psi[1],
            in->test.f[0], k, same);
    show_vector(out, "v_ttt = ", v, 2);
    fprintf(out, ".\n   Global predicts %.3f, TTT predicts %.3f (truth %.3f).\n\n",
            r->res->pred[TTT_EST_GLOBAL * r->res->m], r->res->pred[TTT_EST_TTT * r->res->m], in->test.f[0]);
    fprintf(out, "6. Over all m = %zu test points: global MSE %.4f, TTT MSE %.4f: TTT is %.0fx better.\n"
            "   Locally only the topic's %zu concepts matter, and 2 dimensions are enough for them.\n\n",
            m, r->est[TTT_EST_GLOBAL].mse, r->est[TTT_EST_TTT].mse,
            r->est[TTT_EST_GLOBAL].mse / r->est[TTT_EST_TTT].mse, (size_t)d->p.pool);
    size_t best = 0;
    for (size_t j = 1; j < d->nk; j++)
        best = d->curve[j][1] < d->curve[best][1] ? j : best;
    fprintf(out, "7. The neighbourhood size matters (TTT MSE by k):");
    for (size_t j = 0; j < d->nk; j++)
        fprintf(out, "%s k=%zu: %.4f", j % 5 ? "," : "\n     ", (size_t)d->curve[j][0], d->curve[j][1]);
    size_t peak = 0;
    for (size_t j = 1; j < d->nk && d->curve[j][0] <= 2.0 * (double)d->p.s; j++)
        peak = d->curve[j][1] > d->curve[peak][1] ? j : peak;
    fprintf(out, "\n   At k = %zu the local system has as many points as unknowns and the fit interpolates the\n"
            "   noise (the interpolation peak); it is best near k = %zu; with too many neighbours the\n"
            "   neighbourhood leaves the topic and TTT drifts back towards the global error.\n\n",
            (size_t)d->curve[peak][0], (size_t)d->curve[best][0]);
    fprintf(out, "Files: %s/{concepts,points,test,heads,k}.tsv; pictures: make teach\n", dir);
}
