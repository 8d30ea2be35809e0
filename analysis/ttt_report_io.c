/* ttt_report_io — see ttt_report_io.h. */
#include "ttt_report_io.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <float.h>
#include <math.h>

static const char *kind_name(ttt_pred_kind kind)
{
    return kind == TTT_PRED_EXACT    ? "exact"
           : kind == TTT_PRED_APPROX ? "approx"
           : kind == TTT_PRED_FIT    ? "fitted"
                                     : "none";
}

/* How many standard errors the measured MSE sits from the prediction: |z| <= 1.96
 * is the 95% band of the test-set sampling error (the SE does not include the
 * draw of the training set, which the finite-n prediction averages over). */
static double zscore(const ttt_summary *s)
{
    if (s->kind == TTT_PRED_FIT) /* a fitted rate, not a prediction with a sampling band */
        return GSL_NAN;
    /* An SE at the rounding level of the MSE means every test point has the
     * same error: there is no sampling band to measure a distance in. */
    return s->se > 64.0 * DBL_EPSILON * s->mse ? (s->mse - s->predicted) / s->se : GSL_NAN;
}

static void write_summary(FILE *fp, const ttt_report *r)
{
    fprintf(fp, "estimator\tmse\tse\trel\trel_se\tpredicted\tpredicted_rel\tz\tpredicted_kind\n");
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        const ttt_summary *s = &r->est[e];
        if (!r->res->enabled[e])
            continue;
        int has = s->kind != TTT_PRED_NONE;
        fprintf(fp, "%s\t", ttt_estimator_name(e));
        ttt_io_put(fp, s->mse, "\t");
        ttt_io_put(fp, s->se, "\t");
        ttt_io_put(fp, s->rel, "\t");
        ttt_io_put(fp, s->rel_se, "\t");
        ttt_io_put(fp, has ? s->predicted : GSL_NAN, "\t");
        ttt_io_put(fp, has ? s->predicted / r->an.f_var : GSL_NAN, "\t");
        ttt_io_put(fp, has ? zscore(s) : GSL_NAN, "\t");
        fprintf(fp, "%s\n", kind_name(s->kind));
    }
}

/* The quantities of the report (the registry in ttt_run.c), one per row, as
 * printed and as in analytic.tsv; those of the Lasso only when it ran. */
typedef struct {
    const char *name, *label, *kind;
    double value, se;
} quantity;

static size_t analytic_rows(const ttt_report *r, quantity *q)
{
    double value[TTT_Q_COUNT], se[TTT_Q_COUNT];
    ttt_report_values(r, value, se);
    size_t n = 0;
    for (int i = 0; i < TTT_Q_COUNT; i++) {
        const ttt_quantity_info *a = ttt_quantity_about(i);
        if (a->sparse && !r->res->enabled[TTT_EST_LASSO])
            continue;
        q[n++] = (quantity){a->name, a->label, a->kind, value[i], se[i]};
    }
    return n;
}

static void write_analytic(FILE *fp, const ttt_report *r)
{
    quantity q[TTT_Q_COUNT];
    size_t n = analytic_rows(r, q);
    fprintf(fp, "quantity\tvalue\tse\tkind\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s\t", q[i].name);
        ttt_io_put(fp, q[i].value, "\t");
        ttt_io_put(fp, q[i].se, "\t");
        fprintf(fp, "%s\n", q[i].kind);
    }
    /* Each regime as three rows: its number, its threshold, and 1 if it holds. */
    for (int g = 0; g < TTT_REGIME_COUNT; g++) {
        const ttt_regime *t = &r->regime[g];
        fprintf(fp, "regime_%s\t", t->name);
        ttt_io_put(fp, t->value, "\t0\t");
        fprintf(fp, "measured: %s\nregime_%s_threshold\t", t->what, t->name);
        ttt_io_put(fp, t->threshold, "\t0\t");
        fprintf(fp, "holds when %s\nregime_%s_holds\t%d\t0\t1 if it holds\n", t->rule, t->name, t->holds);
    }
}

/* The regime block of the printed table. */
static void print_regimes(FILE *out, const ttt_report *r)
{
    fprintf(out, "\n%-14s %-44s %11s %11s  %s\n", "regime", "measured", "value", "threshold", "holds");
    for (int g = 0; g < TTT_REGIME_COUNT; g++) {
        const ttt_regime *t = &r->regime[g];
        fprintf(out, "%-14s %-44s %11.4g %11.4g  %-3s (%s)\n", t->name, t->what, t->value, t->threshold,
                t->holds ? "yes" : "no", t->rule);
    }
    fprintf(out, "O2: |S| = %.1f concepts active in a neighbourhood, %.1f suffice (the paper's SAE setting, "
            "preset=paper-sae: about 180 and 40)\n", r->support_mean, r->needed);
}

static void write_predictions(FILE *fp, const ttt_report *r)
{
    const ttt_data *te = &r->in->test;
    const ttt_results *res = r->res;
    fprintf(fp, "id\tf\ty\ttopic");
    for (int e = 0; e < TTT_EST_COUNT; e++)
        if (res->enabled[e])
            fprintf(fp, "\t%s", ttt_estimator_name(e));
    fprintf(fp, "\tsupport\tcovered\toracle_var\trank");
    for (int e = 0; e < TTT_EST_COUNT; e++)
        if (res->enabled[e] && ttt_estimator_about(e)->support)
            fprintf(fp, "\t%s_support", ttt_estimator_name(e));
    fprintf(fp, "\n");
    for (size_t i = 0; i < res->m; i++) {
        fprintf(fp, "%zu\t", i);
        ttt_io_put(fp, te->f[i], "\t");
        ttt_io_put(fp, te->y[i], "\t");
        fprintf(fp, "%d\t", (int)te->topic[i]);
        for (int e = 0; e < TTT_EST_COUNT; e++)
            if (res->enabled[e])
                ttt_io_put(fp, res->pred[(size_t)e * res->m + i], "\t");
        fprintf(fp, "%zu\t%d\t", res->support[i], res->covered[i]);
        ttt_io_put(fp, res->oracle_var[i], "\t");
        fprintf(fp, "%zu", res->rank[i]);
        for (int e = 0; e < TTT_EST_COUNT; e++)
            if (res->enabled[e] && ttt_estimator_about(e)->support)
                fprintf(fp, "\t%zu", res->fit_support[(size_t)e * res->m + i]);
        fprintf(fp, "\n");
    }
}

/* O1: the two cosine histograms as densities, every bin over [-1, 1] (so
 * that files of several runs line up row by row). */
static void write_geometry(FILE *fp, const ttt_report *r)
{
    size_t total[2] = {0, 0};
    for (size_t b = 0; b < TTT_COS_BINS; b++)
        for (int g = 0; g < 2; g++)
            total[g] += r->cos_hist[g][b];
    const double width = 2.0 / TTT_COS_BINS, bins = TTT_COS_BINS;
    fprintf(fp, "cos_lo\tcos_hi\tfeature\tconcept\tfeature_count\tconcept_count\n");
    for (size_t b = 0; b < TTT_COS_BINS; b++) {
        ttt_io_put(fp, (2.0 * (double)b - bins) / bins, "\t");
        ttt_io_put(fp, (2.0 * (double)(b + 1) - bins) / bins, "\t");
        ttt_io_put(fp, (double)r->cos_hist[0][b] / (double)total[0] / width, "\t");
        ttt_io_put(fp, (double)r->cos_hist[1][b] / (double)total[1] / width, "\t");
        fprintf(fp, "%zu\t%zu\n", r->cos_hist[0][b], r->cos_hist[1][b]);
    }
}

void ttt_report_io_print(FILE *out, const ttt_report *r)
{
    const ttt_params *p = &r->in->p;
    fprintf(out, "ttt run: d1=%zu d2=%zu s=%zu topics=%zu pool=%zu background=%zu n=%zu m=%zu k=%zu sigma=%g "
            "magnitudes=%s seed=%lu\n\n",
            p->d1, p->d2, p->s, p->topics, p->pool, p->background, p->n, p->m, p->k, p->sigma,
            ttt_params_enum_name("magnitudes", p->magnitudes), p->seed);
    fprintf(out, "%-13s %11s %10s %10s %11s %6s  %s\n", "estimator", "MSE", "SE", "rel.err", "predicted", "z",
            "prediction");
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        const ttt_summary *s = &r->est[e];
        if (!r->res->enabled[e])
            continue;
        fprintf(out, "%-13s %11.4e %10.2e ", ttt_estimator_name(e), s->mse, s->se);
        if (isfinite(s->rel))
            fprintf(out, "%10.4f ", s->rel);
        else
            fprintf(out, "%10s ", "n/a");
        if (s->kind != TTT_PRED_NONE)
            if (isfinite(zscore(s)))
                fprintf(out, "%11.4e %+6.2f  %s (%s)\n", s->predicted, zscore(s), kind_name(s->kind), s->basis);
            else
                fprintf(out, "%11.4e %6s  %s (%s)\n", s->predicted, "-", kind_name(s->kind), s->basis);
        else
            fprintf(out, "%11s %6s  -\n", "-", "-");
    }
    double g = r->est[TTT_EST_GLOBAL].mse, t = r->est[TTT_EST_TTT_GLOBAL].mse;
    if (t > 0.0)
        fprintf(out, "\nglobal / ttt_global MSE ratio: %.3g\n", g / t);
    fprintf(out, "z = (MSE - predicted) / SE; |z| <= 1.96 is the 95%% band of the test-set sampling error\n");
    if (!(r->f_var_test > 0.0))
        fprintf(out, "rel.err n/a: f is constant on the test points (d1 = 1, or w* = 0 on every concept they use), "
                "so errors cannot be relative to Var f\n");
    quantity q[TTT_Q_COUNT];
    size_t n = analytic_rows(r, q);
    fprintf(out, "\n%-30s %12s  %s\n", "analytic and measured", "value", "kind");
    for (size_t i = 0; i < n; i++) {
        if (isfinite(q[i].value)) {
            fprintf(out, "%-30s %12.4e", q[i].label, q[i].value);
            if (q[i].se > 0.0)
                fprintf(out, " +- %.2e", q[i].se);
        } else {
            fprintf(out, "%-30s %12s", q[i].label, "n/a");
        }
        fprintf(out, "  %s\n", q[i].kind);
    }
    if (r->oracle_points < p->m)
        fprintf(out, "(the oracle formula is undefined at %zu of %zu points, where k <= |S| + 1; its mean is over "
                "the rest)\n",
                p->m - r->oracle_points, p->m);
    print_regimes(out, r);
}

int ttt_report_io_write(ttt_outdir *dir, const ttt_report *r, const ttt_params *p, const char *command, char *msg)
{
    const char *names[4] = {"summary.tsv", "analytic.tsv", "predictions.tsv", "geometry.tsv"};
    void (*writers[4])(FILE *, const ttt_report *) = {write_summary, write_analytic, write_predictions,
                                                      write_geometry};
    for (int i = 0; i < 4; i++) {
        FILE *fp;
        int status = ttt_io_tsv(dir, names[i], p, command, &fp, msg);
        if (status)
            return status;
        writers[i](fp, r);
    }
    return GSL_SUCCESS;
}

void ttt_report_io_times(FILE *out, const ttt_report *r)
{
    fprintf(out, "time:");
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
        fprintf(out, " %s %.3fs", ttt_phase_name(ph), r->seconds[ph]);
    fprintf(out, "\n");
}
