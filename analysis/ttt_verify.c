/* ttt_verify — see ttt_verify.h. */
#include "ttt_verify.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_fit.h"
#include "ttt_sweep.h"

/* What a check keeps of one run. */
typedef struct {
    ttt_params p;
    double mse[TTT_EST_COUNT];
    double q[TTT_Q_COUNT];         /* the report's quantities (ttt_report_values) */
    double f_second;               /* exact E f^2 = w*' Sigma w* of the instance */
    double train_f2, w2;           /* sample mean of f^2 over the training set; mean of w*_j^2 */
    double moment_c, code_c;       /* E v_a v_b (a != b) of a code: analytic, and its training-set mean */
    double pair_prob, code_pairs;  /* P(two pool concepts both active): analytic, and the training-set mean of
                                      a (a - 1) / (p (p - 1)), a = active concepts of the point's pool */
} job;

/* The training-set statistics of keep(): the code moments and the pair
 * frequency against the analytic law, the labels' second moment and the
 * scale of w*. */
static void sample_moments(const ttt_instance *in, job *b)
{
    const ttt_data *t = &in->train;
    const size_t q = t->q, P = in->p.pool;
    double sf2 = 0.0, sc = 0.0, sa = 0.0, sw2 = 0.0;
    for (size_t i = 0; i < t->n; i++) {
        sf2 += t->f[i] * t->f[i];
        const int32_t *idx = t->phi_idx + i * q, *pool = in->pools + (size_t)t->topic[i] * P;
        double sum = 0.0;
        size_t a = 0;
        for (size_t c = 0, u = 0; c < q; c++) { /* both lists increase: one merge pass */
            sum += t->phi_val[i * q + c];
            while (u < P && pool[u] < idx[c])
                u++;
            a += u < P && pool[u] == idx[c];
        }
        sc += sum * sum - 1.0; /* (sum_a v_a)^2 = 1 + sum_{a != b} v_a v_b for a unit-norm code */
        sa += (double)a * ((double)a - 1.0);
    }
    ttt_concept_ws *cw = ttt_concept_ws_alloc(in);
    for (size_t c = 0; cw && c < in->p.d1; c++) { /* no memory leaves w2 NaN, and the check fails */
        double w = ttt_instance_w(in, (int32_t)c, cw);
        sw2 += w * w;
    }
    if (!cw)
        sw2 = NAN;
    ttt_concept_ws_free(cw);
    const double n = (double)t->n;
    b->train_f2 = sf2 / n;
    b->code_c = q > 1 ? sc / n / ((double)q * ((double)q - 1.0)) : 0.0;
    b->code_pairs = P > 1 ? sa / n / ((double)P * ((double)P - 1.0)) : 0.0;
    b->w2 = sw2 / (double)in->p.d1;
}

static int keep(void *ctx, size_t j, const ttt_report *r)
{
    job *b = (job *)ctx + j;
    b->p = r->in->p;
    for (int e = 0; e < TTT_EST_COUNT; e++)
        b->mse[e] = r->res->enabled[e] ? r->est[e].mse : GSL_NAN;
    ttt_report_values(r, b->q, NULL);
    b->f_second = r->an.f_second;
    b->moment_c = r->an.moment_c;
    b->pair_prob = ttt_analytic_pair_prob(b->p.d1, b->p.s, b->p.pool, b->p.background);
    sample_moments(r->in, b);
    return 0;
}

/* Runs the sweep the words describe (base keys and axes, as for `ttt sweep`)
 * with reps replicates; *out gets one record per job, in job order. */
static int grid(const char *const *words, size_t reps, size_t threads, job **out, size_t *n)
{
    ttt_params base;
    ttt_params_default(&base);
    base.threads = threads;
    ttt_sweep sw;
    ttt_sweep_init(&sw, &base);
    sw.reps = reps;
    char msg[TTT_MSG];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; words[i]; i++) {
            int axis = strpbrk(strchr(words[i], '=') + 1, ",:") != NULL;
            if (axis == pass && ttt_sweep_word(&sw, words[i], msg))
                GSL_ERROR("a verify configuration is invalid", GSL_EINVAL);
        }
    if (ttt_sweep_check(&sw, msg))
        GSL_ERROR("a verify configuration is invalid", GSL_EINVAL);
    *n = ttt_sweep_jobs(&sw);
    *out = calloc(*n, sizeof **out);
    if (!*out)
        GSL_ERROR("no memory for the verify runs", GSL_ENOMEM);
    int status = ttt_sweep_run(&sw, 0, keep, *out, NULL);
    if (status) {
        free(*out);
        *out = NULL;
    }
    return status;
}

/* Standard errors allowed for an estimate with df degrees of freedom at a
 * two-sided false-alarm rate alpha. */
static double zt(size_t df, double alpha)
{
    return gsl_cdf_tdist_Pinv(1.0 - alpha / 2.0, (double)(df > 0 ? df : 1));
}

static void interval(char *buf, size_t len, const ttt_mean_ci *c)
{
    snprintf(buf, len, "%.4g [%.4g, %.4g]", c->mean, c->lo, c->hi);
}

typedef double (*field)(const job *);

/* Runs the grid (reps replicates per point) and compares measured(job) with
 * predicted(job), paired by replicate, at every grid point separately: each
 * point passes when |mean(x - y)| <= t se(x - y), with the t quantile of
 * TTT_VERIFY_ALPHA / points (Bonferroni: the false-alarm rate of the whole
 * check stays TTT_VERIFY_ALPHA).  se comes from the spread within the point
 * when own_se is set (points with different noise levels), else from the
 * spread within points pooled over the grid (one noise level, so more degrees
 * of freedom when replicates are costly).  With show_exp the means are printed
 * as exp(mean), for quantities that are logs.  *jobs (freed by the caller) and
 * *n are the runs. */
static int paired(const char *const *w, size_t reps, size_t threads, field measured, field predicted, int show_exp,
                  int own_se, ttt_verify_row *row, job **jobs, size_t *n)
{
    int status = grid(w, reps, threads, jobs, n);
    if (status)
        return status;
    const size_t points = *n / reps;
    double *x = malloc(*n * sizeof *x), *y = malloc(*n * sizeof *y), *d = malloc(*n * sizeof *d);
    double *mean = malloc(points * sizeof *mean), *ss = calloc(points, sizeof *ss);
    if (!x || !y || !d || !mean || !ss) {
        free(x);
        free(y);
        free(d);
        free(mean);
        free(ss);
        free(*jobs);
        GSL_ERROR("no memory for the verify statistics", GSL_ENOMEM);
    }
    for (size_t i = 0; i < *n; i++) {
        x[i] = measured(&(*jobs)[i]);
        y[i] = predicted(&(*jobs)[i]);
        d[i] = x[i] - y[i];
    }
    double pooled = 0.0;
    for (size_t g = 0; g < points; g++) {
        mean[g] = 0.0;
        for (size_t r = 0; r < reps; r++)
            mean[g] += d[g * reps + r] / (double)reps;
        for (size_t r = 0; r < reps; r++)
            ss[g] += (d[g * reps + r] - mean[g]) * (d[g * reps + r] - mean[g]);
        pooled += ss[g];
    }
    const size_t df = own_se ? reps - 1 : *n - points;
    const double z = zt(df, TTT_VERIFY_ALPHA / (double)points);
    double worst = 0.0, worst_tol = 0.0; /* the point with the largest |mean| / tolerance */
    for (size_t g = 0; g < points; g++) {
        const double se = sqrt((own_se ? ss[g] : pooled) / (double)df / (double)reps), tol = z * se;
        if (g == 0 || fabs(mean[g]) * worst_tol > worst * tol) {
            worst = fabs(mean[g]);
            worst_tol = tol;
        }
    }
    row->pass = worst <= worst_tol;
    free(mean);
    free(ss);
    ttt_mean_ci cx, cy;
    ttt_fit_mean(x, *n, &cx);
    ttt_fit_mean(y, *n, &cy);
    free(x);
    free(y);
    free(d);
    if (show_exp) {
        snprintf(row->predicted, sizeof row->predicted, "%.4g", exp(cy.mean));
        snprintf(row->measured, sizeof row->measured, "%.4g [%.4g, %.4g]", exp(cx.mean), exp(cx.lo), exp(cx.hi));
    } else {
        snprintf(row->predicted, sizeof row->predicted, "%.4g", cy.mean);
        interval(row->measured, sizeof row->measured, &cx);
    }
    if (points == 1)
        snprintf(row->tolerance, sizeof row->tolerance, "|diff| <= %.2f se = %.2g", z, worst_tol);
    else
        snprintf(row->tolerance, sizeof row->tolerance, "each of %zu points |diff| <= %.2f se%s; worst %.2g <= %.2g",
                 points, z, own_se ? " (its own)" : "", worst, worst_tol);
    return GSL_SUCCESS;
}

static double global_mse(const job *b) { return b->mse[TTT_EST_GLOBAL]; }
static double global_pred(const job *b) { return b->q[TTT_Q_E_GLOB_N]; }
static double global_rel(const job *b) { return b->mse[TTT_EST_GLOBAL] / b->q[TTT_Q_F_VAR]; }
/* Finite-n isotropic prediction, relative to Var f: the analytic finite-n
 * term with E_glob = (1 - d2/d1) Var f. */
static double iso_pred(const job *b)
{
    return ttt_analytic_finite_n(b->q[TTT_Q_ISO_REL] * b->q[TTT_Q_F_VAR], b->p.sigma, b->p.d2, b->p.n) / b->q[TTT_Q_F_VAR];
}
static double oracle_mse(const job *b) { return b->mse[TTT_EST_ORACLE]; }
static double oracle_formula(const job *b) { return b->q[TTT_Q_ORACLE_FORMULA]; }
static double oracle_exact(const job *b) { return b->q[TTT_Q_ORACLE_EXACT]; }
static double support(const job *b) { return b->q[TTT_Q_SUPPORT]; }
static double support_iid(const job *b) { return b->q[TTT_Q_SUPPORT_IID]; }
static double nbhd_mse(const job *b) { return b->q[TTT_Q_NBHD_MSE]; }
static double nbhd_pred(const job *b) { return b->q[TTT_Q_NBHD_PRED]; }

/* ---- the checks ---- */

/* Slope of log(field) on log(key) over all jobs. */
static int slope(const job *jobs, size_t n, field xf, field yf, ttt_line *l)
{
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        GSL_ERROR("no memory for the verify statistics", GSL_ENOMEM);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double a = xf(&jobs[i]), b = yf(&jobs[i]);
        if (a > 0 && b > 0 && isfinite(a) && isfinite(b)) {
            x[m] = log(a);
            y[m++] = log(b);
        }
    }
    int status = ttt_fit_line(x, y, m, l);
    free(x);
    free(y);
    return status;
}

static double x_k(const job *b) { return (double)b->p.k; }
static double x_s(const job *b) { return (double)b->p.s; }
static double x_d2(const job *b) { return (double)b->p.d2; }
static double y_distortion(const job *b) { return b->q[TTT_Q_DISTORTION]; }
static double y_lasso(const job *b) { return b->mse[TTT_EST_LASSO]; }
/* TTT error over its exact conditional variance given the neighbourhood. */
static double y_ttt_exact(const job *b) { return b->mse[TTT_EST_TTT] / b->q[TTT_Q_ORACLE_EXACT]; }
static double one(const job *b) { (void)b; return 1.0; }
/* The theorem's rate sigma^2 s log(d1/s) / k. */
static double theorem_rate(const job *b)
{
    return exp(ttt_fit_rate(b->p.sigma, (double)b->p.s, (double)b->p.d1, (double)b->p.k));
}

/* A rate check: the slope of log measured(job) on log x(job) against the slope
 * of log rate(job) over the same runs (a formula of the parameters, so the
 * prediction is exact for the grid, not an asymptote), two-sided within the
 * t quantile (TTT_VERIFY_ALPHA, n - 2 df) times the slope's standard error. */
static int rate(const char *const *w, size_t reps, size_t threads, field xf, field yf, field ratef,
                const char *what, ttt_verify_row *row, job **jobs, size_t *n)
{
    int status = grid(w, reps, threads, jobs, n);
    if (status)
        return status;
    ttt_line l, f;
    if (slope(*jobs, *n, xf, yf, &l) || slope(*jobs, *n, xf, ratef, &f)) {
        free(*jobs);
        GSL_ERROR("too few usable runs for a slope", GSL_EFAILED);
    }
    const double z = zt(l.n - 2, TTT_VERIFY_ALPHA), tol = z * l.slope_se;
    snprintf(row->predicted, sizeof row->predicted, "%+.3f", f.slope);
    snprintf(row->measured, sizeof row->measured, "%+.3f [%+.3f, %+.3f]", l.slope, l.slope_lo, l.slope_hi);
    snprintf(row->tolerance, sizeof row->tolerance, "|slope - (%+.3f)| <= %.2f se = %.3f", f.slope, z, tol);
    row->pass = fabs(l.slope - f.slope) <= tol;
    snprintf(row->detail, sizeof row->detail, "%s, %zu runs, R^2 = %.3f", what, *n, l.r2);
    return GSL_SUCCESS;
}

/* The rate checks that need nothing beyond the slope. */
static int rate_only(const char *const *w, size_t reps, size_t threads, field xf, field yf, field ratef,
                     const char *what, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    int status = rate(w, reps, threads, xf, yf, ratef, what, row, &jobs, &n);
    if (!status)
        free(jobs);
    return status;
}

/* The theorem regime (preset theorem) with k >= s log(d1/s) = 50 and inside
 * a topic (purity > 0.99 up to k = 200 there; past n/T/2 neighbourhoods mix). */
static const char *const w_lasso_k[] = {"preset=theorem", "m=100", "k=50:200:log:4", NULL};

static int check_lasso_k(int quick, size_t threads, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    int status = rate(w_lasso_k, quick ? 2 : 6, threads, x_k, y_lasso, theorem_rate,
                      "log lasso MSE on log k, k = 50..200, preset=theorem", row, &jobs, &n);
    if (status)
        return status;
    /* C of the bound: geometric mean of lasso / rate with its t interval. */
    double *c = malloc(n * sizeof *c);
    if (!c) {
        free(jobs);
        GSL_ERROR("no memory for the verify statistics", GSL_ENOMEM);
    }
    for (size_t i = 0; i < n; i++)
        c[i] = log(y_lasso(&jobs[i]) / theorem_rate(&jobs[i]));
    ttt_mean_ci ci;
    ttt_fit_mean(c, n, &ci);
    /* The C that `ttt run` prints (TTT_THEOREM_C) must still be this regime's. */
    const double z = zt(n - 1, TTT_VERIFY_ALPHA);
    const int c_ok = fabs(ci.mean - log(TTT_THEOREM_C)) <= z * ci.se;
    row->pass &= c_ok;
    size_t used = strlen(row->detail);
    snprintf(row->detail + used, sizeof row->detail - used, "; C = %.3g [%.3g, %.3g], TTT_THEOREM_C = %g %s",
             exp(ci.mean), exp(ci.lo), exp(ci.hi), TTT_THEOREM_C, c_ok ? "agrees" : "DISAGREES");
    free(c);
    free(jobs);
    return GSL_SUCCESS;
}

/* s from 2 to 16 at k = 100 >= s log(d1/s) for every s; pool = s. */
static int check_lasso_s(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"preset=theorem", "m=100", "k=100", "s=2,4,8,16", NULL};
    return rate_only(w, quick ? 2 : 6, threads, x_s, y_lasso, theorem_rate,
                     "log lasso MSE on log s, s = 2..16, k = 100, preset=theorem", row);
}

/* TTT against its exact conditional variance as k grows, inside the topics
 * (topics=16, n=20000: 1250 points a topic). */
static int check_ttt_k(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"topics=16", "n=20000", "m=200", "sparse=off", "k=40:320:log:4", NULL};
    return rate_only(w, quick ? 2 : 4, threads, x_k, y_ttt_exact, one,
                     "log (ttt MSE / exact variance) on log k, k = 40..320, topics=16 n=20000", row);
}

/* Mean of field over the jobs of one grid point (reps consecutive jobs). */
static void point_mean(const job *jobs, size_t point, size_t reps, field yf, ttt_mean_ci *c)
{
    double y[64];
    for (size_t r = 0; r < reps; r++)
        y[r] = yf(&jobs[point * reps + r]);
    ttt_fit_mean(y, reps, c);
}

static double log_gain(const job *b) { return log(b->mse[TTT_EST_GLOBAL] / b->mse[TTT_EST_TTT]); }
/* The same for fine-tuned TTT (from the global head): where the neighbours'
 * features span the test point its prediction is the scratch fit's (H3). */
static double log_gain_ft(const job *b) { return log(b->mse[TTT_EST_GLOBAL] / b->mse[TTT_EST_TTT_GLOBAL]); }
/* The predicted gain: the global head's error (exact E_glob + finite-n term)
 * over the exact conditional variance of the local least squares, which is
 * TTT's error when A is injective on S and S covers the test point. */
static double log_gain_pred(const job *b) { return log(b->q[TTT_Q_E_GLOB_N] / b->q[TTT_Q_ORACLE_EXACT]); }

/* The main claim over d2 = 64..512 = d1: the gain follows its prediction as
 * it falls, down to d2 = d1 where the global head has no superposition left. */
static int check_gain_d2(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"d1=512", "topics=32", "n=10000", "m=300", "sparse=off", "d2=64,128,256,512",
                                    NULL};
    size_t reps = quick ? 4 : 6, n;
    job *jobs;
    int status = paired(w, reps, threads, log_gain, log_gain_pred, 1, 0, row, &jobs, &n);
    if (status)
        return status;
    ttt_mean_ci first, last;
    point_mean(jobs, 0, reps, log_gain, &first);
    point_mean(jobs, 3, reps, log_gain, &last);
    snprintf(row->detail, sizeof row->detail,
             "log(global/ttt) per run vs log(E_glob,n / exact variance), d1=512 d2=64..512: gain %.3g at d2=64, "
             "%.3g at d2=d1; %zu runs",
             exp(first.mean), exp(last.mean), n);
    free(jobs);
    return GSL_SUCCESS;
}

static int check_jl(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"n=5000", "m=200", "sparse=off", "d2=32,64,128,256", NULL};
    job *jobs;
    size_t n;
    int status = grid(w, quick ? 2 : 4, threads, &jobs, &n);
    if (status)
        return status;
    ttt_line l;
    if (slope(jobs, n, x_d2, y_distortion, &l)) {
        free(jobs);
        GSL_ERROR("too few usable runs for a slope", GSL_EFAILED);
    }
    double c = 0.0;
    for (size_t i = 0; i < n; i++)
        c += jobs[i].q[TTT_Q_DISTORTION] / jobs[i].q[TTT_Q_JL_SCALE] / (double)n;
    snprintf(row->predicted, sizeof row->predicted, "slope -0.5 (sqrt(log N / d2))");
    snprintf(row->measured, sizeof row->measured, "%+.3f [%+.3f, %+.3f]", l.slope, l.slope_lo, l.slope_hi);
    const double z = zt(l.n - 2, TTT_VERIFY_ALPHA);
    snprintf(row->tolerance, sizeof row->tolerance, "|slope + 0.5| <= %.2f se = %.3f", z, z * l.slope_se);
    row->pass = fabs(l.slope + 0.5) <= z * l.slope_se;
    snprintf(row->detail, sizeof row->detail,
             "max distortion of test-neighbour distances, d2 = 32..256; distortion / sqrt(log N/d2) = %.2f", c);
    free(jobs);
    return GSL_SUCCESS;
}

/* Measured mean of measured(job) with its interval against a bound: passes
 * when mean - Z se > bound(job mean) (above = 1) or mean + Z se < bound (above = 0). */
static int bounded(const char *const *w, size_t reps, size_t threads, field measured, field bound, int above,
                   ttt_verify_row *row, job **jobs, size_t *n)
{
    int status = grid(w, reps, threads, jobs, n);
    if (status)
        return status;
    double x[64], y[64];
    size_t m = *n < 64 ? *n : 64; /* the specs use at most 8 replicates */
    for (size_t i = 0; i < m; i++) {
        x[i] = measured(&(*jobs)[i]);
        y[i] = bound(&(*jobs)[i]);
    }
    ttt_mean_ci cx, cy;
    ttt_fit_mean(x, m, &cx);
    ttt_fit_mean(y, m, &cy);
    interval(row->measured, sizeof row->measured, &cx);
    const double z = zt(m - 1, TTT_VERIFY_ALPHA);
    snprintf(row->tolerance, sizeof row->tolerance, "mean %s %.2f se %s bound", above ? "-" : "+", z,
             above ? ">" : "<");
    row->pass = above ? cx.mean - z * cx.se > cy.mean : cx.mean + z * cx.se < cy.mean;
    snprintf(row->predicted, sizeof row->predicted, "%s %.4g", above ? ">" : "<", cy.mean);
    return GSL_SUCCESS;
}

static double agree_lasso(const job *b) { return b->q[TTT_Q_AGREE_LASSO]; }
static double paper_agreement(const job *b) { (void)b; return 0.89; }
static double far_mse(const job *b) { return b->q[TTT_Q_FAR_MSE]; }
/* Sample moments of the labels over the training set against their exact
 * values for the instance, relative to E f^2 (so every grid point has one
 * noise level, the sampling error of n labels). */
static double train_f2(const job *b) { return b->train_f2 / b->f_second; }
static double code_c(const job *b) { return b->code_c; }
static double moment_c(const job *b) { return b->moment_c; }
static double code_pairs(const job *b) { return b->code_pairs; }
static double pair_prob(const job *b) { return b->pair_prob; }
static double w2(const job *b) { return b->w2; }

/* The checks that compare one replicate mean with a prediction or a bound. */
enum { PAIRED, PAIRED_OWN, ABOVE, BELOW };
typedef struct {
    const char *const *words;   /* the sweep */
    size_t quick_reps, full_reps;
    int kind;                   /* PAIRED: |mean(x - y)| <= Z se (PAIRED_OWN: se of each grid point from its
                                   own replicates); ABOVE / BELOW: x beyond y by Z se */
    field measured, reference;
    const char *predicted;      /* replaces the printed prediction when not NULL */
    const char *detail;         /* the configuration in words */
} spec;

/* The configuration of the neighbourhood checks: the defaults, smaller. */
static const char *const nn_words[] = {"topics=64", "n=20000", "m=500", "sparse=off", NULL};
static const char *const w_global[] = {"d1=1024", "d2=64", "topics=64", "n=10000", "m=1000", "sparse=off", NULL};
static const char *const w_iso[] = {"preset=isotropic", "d1=256,1024,4096", NULL};
/* Close to interpolation (n - d2 - 1 = 7), where the finite-n term
 * (E_glob + sigma^2) d2 / (n - d2 - 1) is 5x E_glob and an off-by-one in it
 * moves the prediction by 12%.  The replicates' spread is that of the
 * training design (inverse-Wishart-like), so many cheap replicates. */
static const char *const w_finite_n[] = {"preset=isotropic", "d1=1024", "d2=32", "n=40", "m=200", NULL};
static const char *const w_formula[] = {"topics=1", "pool=16", "magnitudes=signed", "n=60", "k=60", "m=200",
                                        "sparse=off", NULL};
static const char *const w_support[] = {"topics=1", "pool=16", "background=1", "n=3", "k=3", "m=2", "sparse=off",
                                        NULL};
static const char *const w_gain[] = {"sparse=off", "m=2000", NULL};
static const char *const w_gain_theorem[] = {"preset=theorem", "sparse=off", NULL};
/* Where the theory says the two agree: the Lasso's own error
 * C sigma^2 s log(d1/s)/k is well below sigma^2 (k = 200 >> s log(d1/s)). */
static const char *const w_o3[] = {"preset=theorem", "m=400", "k=200", NULL};

/* The labels: both magnitude laws (their moments enter Sigma), a dense and
 * a sparse w*, no background and a heavy one (beta = 64/248: the pair
 * probabilities across pool and background matter). */
static const char *const w_labels[] = {"d1=256", "d2=32", "topics=16", "n=20000", "m=20", "k=20", "sparse=off",
                                       "magnitudes=positive,signed", "w_law=gaussian,sparse", "background=0,64",
                                       NULL};
/* The codes: the magnitude law with nonzero cross moments at q = 8 and 72
 * (constant magnitudes have v_a v_b = 1/q exactly: nothing to sample), and
 * pool sizes and background rates where the pairs across pool and background
 * weigh (with no background a = s in every point: nothing to sample). */
static const char *const w_codes[] = {"d1=256", "d2=16", "topics=4", "n=20000", "m=2", "k=10", "sparse=off",
                                      "background=0,64", NULL};
static const char *const w_pairs[] = {"d1=256", "d2=16", "topics=4", "n=20000", "m=2", "k=10", "sparse=off",
                                      "pool=16,64", "background=8,64", NULL};
static const char *const w_wlaw[] = {"d1=4096", "d2=16", "n=100", "m=2", "k=10", "sparse=off",
                                     "w_law=gaussian,sparse", "w_rho=0.02,0.5", NULL};

static const spec specs[] = {
    {w_global, 8, 12, PAIRED, global_mse, global_pred, NULL, "d1=1024 d2=64 topics=64 n=10000 m=1000"},
    {w_iso, 4, 8, PAIRED, global_rel, iso_pred, NULL,
     "preset=isotropic (signed codes, one topic, pool = d1, d2=128, n=20000) at d1 = 256, 1024, 4096"},
    {w_formula, 30, 100, PAIRED, oracle_mse, oracle_formula, NULL,
     "random design: the neighbourhood is all n = k = 60 iid points of one topic, |S| = 16"},
    {w_support, 200, 1000, PAIRED, support, support_iid, NULL,
     "k = n = 3 iid points of one topic, p=16 s=8, 1 background concept"},
    {w_o3, 4, 8, ABOVE, agree_lasso, paper_agreement, "> 0.89 (the paper's 89%)",
     "fraction of test points with |ttt - lasso| < sigma, preset=theorem k=200 (at the defaults: about 0.2)"},
    {nn_words, 8, 12, PAIRED, nbhd_mse, nbhd_pred, NULL,
     "ttt head on its own k neighbours, MSE vs f; prediction sigma^2 rank / k"},
    {nn_words, 5, 8, ABOVE, far_mse, global_mse, NULL,
     "MSE of each ttt head on all test points (first 256 heads) vs the global head's MSE"},
    {w_gain, 8, 12, PAIRED, log_gain, log_gain_pred, NULL,
     "log(global/ttt) per run vs log(E_glob,n / exact variance of local LS), the defaults with m=2000"},
    {w_gain_theorem, 8, 12, PAIRED, log_gain_ft, log_gain_pred, NULL,
     "log(global/ttt_global) per run (TTT fine-tuned from the global head) vs log(E_glob,n / exact variance of "
     "local LS), preset=theorem"},
    {w_labels, 10, 20, PAIRED_OWN, train_f2, one, NULL,
     "mean f^2 over n = 20000 training points / exact E f^2 = w*' Sigma w*; positive and signed magnitudes, "
     "dense and sparse w*, background 0 and 64 (d1=256, 16 topics)"},
    {w_codes, 10, 20, PAIRED_OWN, code_c, moment_c, NULL,
     "mean over n = 20000 training codes of sum_{a != b} v_a v_b / (q (q - 1)) vs the quadrature of the analytic "
     "law; positive magnitudes, q = 8 and 72 (d1=256)"},
    {w_pairs, 10, 20, PAIRED_OWN, code_pairs, pair_prob, NULL,
     "mean over n = 20000 training points of a (a - 1) / (p (p - 1)), a = active concepts of its topic's pool, vs "
     "the analytic pair probability; pool 16 and 64, background 8 and 64 (d1=256)"},
    {w_wlaw, 10, 20, PAIRED_OWN, w2, one, NULL, "mean of w*_j^2 over d1 = 4096 concepts; w_law gaussian and sparse "
                                              "(w_rho = 0.02, 0.5)"},
    {w_finite_n, 1000, 2000, PAIRED, global_mse, global_pred, NULL,
     "preset=isotropic d1=1024 d2=32 n=40 m=200: n - d2 - 1 = 7, the finite-n term is 5x E_glob"},
};

static int run_spec(const spec *c, int quick, size_t threads, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    size_t reps = quick ? c->quick_reps : c->full_reps;
    const int log = c->measured == log_gain || c->measured == log_gain_ft;
    int status = c->kind == PAIRED || c->kind == PAIRED_OWN
                     ? paired(c->words, reps, threads, c->measured, c->reference, log, c->kind == PAIRED_OWN, row,
                              &jobs, &n)
                     : bounded(c->words, reps, threads, c->measured, c->reference, c->kind == ABOVE, row, &jobs, &n);
    if (status)
        return status;
    if (c->predicted)
        snprintf(row->predicted, sizeof row->predicted, "%s", c->predicted);
    snprintf(row->detail, sizeof row->detail, "%s; %zu runs", c->detail, n);
    free(jobs);
    return GSL_SUCCESS;
}

static int check_oracle_exact(int quick, size_t threads, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    int status = paired(nn_words, quick ? 8 : 12, threads, oracle_mse, oracle_exact, 0, 0, row, &jobs, &n);
    if (status)
        return status;
    size_t full = 0;
    for (size_t i = 0; i < n; i++)
        full += jobs[i].q[TTT_Q_COVERED] == 1.0;
    row->pass &= full == n;
    const double cov = (double)full / (double)n;
    snprintf(row->detail, sizeof row->detail,
             "nearest-neighbour designs, topics=64 n=20000; S covers every test point in %.0f%% of runs; %zu runs",
             100.0 * cov, n);
    free(jobs);
    return GSL_SUCCESS;
}

/* O1 where it is exact, run by run.  With an orthonormal dictionary (d2 =
 * d1: no superposition) psi = A phi is an isometry, so the k nearest in
 * feature space are the k nearest in concept space: overlap 1 in every run.
 * With superposition, the concept-space neighbours are the k codes nearest
 * the query, and unit-norm codes have |x - q|^2 = 2 - 2 cos, so their mean
 * cosine to the query is at least that of any other k points, the
 * feature-space neighbours' among them.  No statistics: the tolerance is
 * rounding (1e-12). */
static const char *const w_o1_iso[] = {"d1=64", "d2=64", "dictionary=orthonormal", "s=4", "topics=8", "n=2000",
                                       "m=50", "k=20", "sparse=off", NULL};
static const char *const w_o1_super[] = {"d1=2000", "d2=16", "s=4", "topics=8", "n=2000", "m=50", "k=20",
                                         "sparse=off", NULL};

static int check_o1(int quick, size_t threads, ttt_verify_row *row)
{
    job *iso, *sup;
    size_t ni, ns;
    const size_t reps = quick ? 4 : 8;
    int status = grid(w_o1_iso, reps, threads, &iso, &ni);
    if (status)
        return status;
    if ((status = grid(w_o1_super, reps, threads, &sup, &ns))) {
        free(iso);
        return status;
    }
    double overlap = 1.0, gap = INFINITY, over_sup = 0.0;
    for (size_t i = 0; i < ni; i++)
        overlap = fmin(overlap, iso[i].q[TTT_Q_OVERLAP]);
    for (size_t i = 0; i < ns; i++) {
        gap = fmin(gap, sup[i].q[TTT_Q_COS_CONCEPT] - sup[i].q[TTT_Q_COS_FEATURE]);
        over_sup += sup[i].q[TTT_Q_OVERLAP] / (double)ns;
    }
    row->pass = overlap >= 1.0 - 1e-12 && gap >= -1e-12; /* NaN fails */
    snprintf(row->predicted, sizeof row->predicted, "overlap 1; cos gap >= 0");
    snprintf(row->measured, sizeof row->measured, "min %.4g; min %+.3g", overlap, gap);
    snprintf(row->tolerance, sizeof row->tolerance, "every run: overlap >= 1 - 1e-12, cos_phi - cos_psi >= -1e-12");
    snprintf(row->detail, sizeof row->detail,
             "orthonormal A, d1 = d2 = 64 (overlap of psi- and phi-neighbours), and d1=2000 d2=16 (mean cosine to "
             "the query of phi- minus psi-neighbours; overlap there %.2f); %zu runs", over_sup, ni + ns);
    free(iso);
    free(sup);
    return GSL_SUCCESS;
}

#define SPEC(i)                                                                                                    \
    static int spec_##i(int quick, size_t threads, ttt_verify_row *row) { return run_spec(&specs[i], quick, threads, row); }
SPEC(0)
SPEC(1)
SPEC(2)
SPEC(3)
SPEC(4)
SPEC(5)
SPEC(6)
SPEC(7)
SPEC(8)
SPEC(9)
SPEC(10)
SPEC(11)
SPEC(12)
SPEC(13)

typedef struct {
    const char *name, *claim, *catches;
    int (*run)(int quick, size_t threads, ttt_verify_row *row);
} check;

static const check checks[] = {
    {"gain", "main claim: TTT beats global by the predicted factor",
     "anything that moves either error off its exact prediction: wrong neighbours, noise scale, solver, E_glob",
     spec_7},
    {"gain_theorem", "main claim in the theorem's regime, fine-tuned TTT",
     "the same for TTT from the global head, with signed codes and pool = s (another generator and design)",
     spec_8},
    {"gain_d2", "the gain follows its prediction as d2 -> d1",
     "errors that depend on d2: the dictionary, the global solver's rank, superposition", check_gain_d2},
    {"global_exact", "global LS error = exact E_glob + finite-n term",
     "a global solver or covariance formula out of step with the generator", spec_0},
    {"isotropic", "isotropic codes: global rel. error = 1 - d2/d1",
     "d1 entering the global error wrongly", spec_1},
    {"finite_n", "global LS near interpolation: E_glob + finite-n term",
     "an off-by-one or a wrong scale in the finite-n term; a global solver that is not least squares", spec_13},
    {"lasso_k", "theorem: Lasso error falls like 1/k in its regime",
     "a Lasso penalty of the wrong size or k scaling (a threshold of 2 lambda)", check_lasso_k},
    {"lasso_s", "theorem: Lasso error grows like s log(d1/s)",
     "a penalty or design that scales wrongly with s", check_lasso_s},
    {"ttt_k", "TTT error = its exact variance at every k",
     "neighbourhoods or local solves that go wrong as k grows", check_ttt_k},
    {"labels", "E f^2 over the training set = exact w*' Sigma w*",
     "magnitude moments or pair probabilities of Sigma out of step with the generator", spec_9},
    {"code_moments", "E v_a v_b of the codes = the analytic moment",
     "magnitudes drawn or integrated with another law (a shift, a missing normalisation)", spec_10},
    {"pairs", "P(two pool concepts both active) = the analytic rate",
     "pair probabilities of Sigma out of step with the pools and the background", spec_11},
    {"w_law", "every law of w* has E w_j^2 = 1", "a law of w* drawn at the wrong scale (Var f off by a factor)",
     spec_12},
    {"oracle_formula", "oracle LS error = sigma^2 |S| / (k - |S| - 1)",
     "an off-by-one in the oracle formula or a wrong noise scale", spec_2},
    {"oracle_exact", "oracle error = exact variance given the neighbours",
     "a leverage or solver error in the local concept-space fit", check_oracle_exact},
    {"support", "E|S| = p (1 - (1 - s/p)^k) (+ background)",
     "pools or background drawn out of step with the formula", spec_3},
    {"jl", "H1: distortion ~ sqrt(log N / d2)", "a dictionary without unit-norm columns; wrong distances",
     check_jl},
    {"o1_geometry", "O1: psi-neighbours = phi-neighbours without superp.",
     "a concept-space search that is not nearest-first (a sign, an index or a relabelling off)", check_o1},
    {"o3_sparse", "O3: feature-space TTT agrees with the Lasso (paper)",
     "the Lasso or TTT off target where both should recover f", spec_4},
    {"locality_near", "locality: a TTT head fits its neighbourhood",
     "a local fit that is not least squares on its neighbours", spec_5},
    {"locality_far", "locality: ... and is worse than global elsewhere",
     "local heads evaluated on their own points only", spec_6},
};
#define NCHECKS (sizeof checks / sizeof checks[0])

size_t ttt_verify_count(void)
{
    return NCHECKS;
}

const char *ttt_verify_name(size_t i)
{
    return i < NCHECKS ? checks[i].name : "?";
}

const char *ttt_verify_claim(size_t i)
{
    return i < NCHECKS ? checks[i].claim : "?";
}

const char *ttt_verify_catches(size_t i)
{
    return i < NCHECKS ? checks[i].catches : "?";
}

int ttt_verify_find(const char *name, size_t *index)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (!strcmp(checks[i].name, name)) {
            *index = i;
            return GSL_SUCCESS;
        }
    return GSL_EINVAL;
}

int ttt_verify_run(size_t i, int quick, size_t threads, ttt_verify_row *row)
{
    memset(row, 0, sizeof *row);
    if (i >= NCHECKS)
        GSL_ERROR("no such check", GSL_EINVAL);
    return checks[i].run(quick, threads, row);
}

void ttt_verify_list(FILE *out)
{
    for (size_t c = 0; c < NCHECKS; c++)
        fprintf(out, "%-15s %s\n%-15s   catches: %s\n", checks[c].name, checks[c].claim, "", checks[c].catches);
}

int ttt_verify_report(FILE *out, FILE *log, const size_t *chosen, size_t n, int quick, size_t threads,
                      size_t *failed)
{
    ttt_verify_row *rows = calloc(n ? n : 1, sizeof *rows);
    *failed = 0;
    if (!rows)
        return GSL_ENOMEM;
    fprintf(out, "%-15s %-52s %-30s %-30s %s\n", "check", "claim", "predicted", "measured [95% interval]", "result");
    double t0 = ttt_run_seconds();
    for (size_t i = 0; i < n; i++) {
        size_t c = chosen[i];
        double t = ttt_run_seconds();
        int status = ttt_verify_run(c, quick, threads, &rows[i]);
        if (status) {
            snprintf(rows[i].measured, sizeof rows[i].measured, "run failed: %s", gsl_strerror(status));
            rows[i].pass = 0;
        }
        *failed += !rows[i].pass;
        fprintf(out, "%-15s %-52s %-30s %-30s %s\n", ttt_verify_name(c), ttt_verify_claim(c), rows[i].predicted,
                rows[i].measured, rows[i].pass ? "PASS" : "FAIL");
        fflush(out);
        fprintf(log, "  %s: %.1fs\n", ttt_verify_name(c), ttt_run_seconds() - t);
    }
    fprintf(out, "\ntolerances and configurations:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%-15s %s; %s\n%-15s catches: %s\n", ttt_verify_name(chosen[i]), rows[i].tolerance,
                rows[i].detail, "", ttt_verify_catches(chosen[i]));
    fprintf(out, "\n%zu of %zu checks passed (%s profile, %.1fs)\n", n - *failed, n, quick ? "quick" : "full",
            ttt_run_seconds() - t0);
    free(rows);
    return GSL_SUCCESS;
}
