/* ttt_verify — see ttt_verify.h. */
#include "ttt_verify.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_fit.h"
#include "ttt_sweep.h"

/* What a check keeps of one run. */
typedef struct {
    ttt_params p;
    double mse[TTT_EST_COUNT];
    double e_glob_n, f_var, iso_rel, support, support_iid, covered, oracle_formula, oracle_exact;
    double nbhd_mse, nbhd_pred, far_mse, agree_oracle, lasso_support, distortion, jl_scale;
} job;

static int keep(void *ctx, size_t j, const ttt_report *r)
{
    job *b = (job *)ctx + j;
    b->p = r->in->p;
    for (int e = 0; e < TTT_EST_COUNT; e++)
        b->mse[e] = r->res->enabled[e] ? r->est[e].mse : GSL_NAN;
    b->e_glob_n = r->an.e_glob_n;
    b->f_var = r->an.f_var;
    b->iso_rel = r->an.iso_rel;
    b->support = r->support_mean;
    b->support_iid = r->support_iid;
    b->covered = r->covered;
    b->oracle_formula = r->oracle_formula;
    b->oracle_exact = r->oracle_exact;
    b->nbhd_mse = r->nbhd_mse;
    b->nbhd_pred = r->nbhd_pred;
    b->far_mse = r->far_mse;
    b->agree_oracle = r->agree_oracle;
    b->lasso_support = r->fit_support[0];
    b->distortion = r->distortion;
    b->jl_scale = r->jl_scale;
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
    char msg[TTT_PARAMS_MSG];
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

static void interval(char *buf, size_t len, const ttt_mean_ci *c)
{
    snprintf(buf, len, "%.4g [%.4g, %.4g]", c->mean, c->lo, c->hi);
}

typedef double (*field)(const job *);

/* Runs the grid and compares the replicate mean of measured(job) with that of
 * predicted(job), paired by replicate: passes when |mean(x - y)| <= Z se(x - y).
 * *jobs (freed by the caller) and *n are the runs, for the check's detail. */
static int paired(const char *const *w, size_t reps, size_t threads, field measured, field predicted,
                  ttt_verify_row *row, job **jobs, size_t *n)
{
    int status = grid(w, reps, threads, jobs, n);
    if (status)
        return status;
    double *x = malloc(*n * sizeof *x), *y = malloc(*n * sizeof *y), *d = malloc(*n * sizeof *d);
    if (!x || !y || !d) {
        free(x);
        free(y);
        free(d);
        free(*jobs);
        GSL_ERROR("no memory for the verify statistics", GSL_ENOMEM);
    }
    for (size_t i = 0; i < *n; i++) {
        x[i] = measured(&(*jobs)[i]);
        y[i] = predicted(&(*jobs)[i]);
        d[i] = x[i] - y[i];
    }
    ttt_mean_ci cx, cy, cd;
    ttt_fit_mean(x, *n, &cx);
    ttt_fit_mean(y, *n, &cy);
    ttt_fit_mean(d, *n, &cd);
    free(x);
    free(y);
    free(d);
    snprintf(row->predicted, sizeof row->predicted, "%.4g", cy.mean);
    interval(row->measured, sizeof row->measured, &cx);
    snprintf(row->tolerance, sizeof row->tolerance, "|diff| <= 3 se = %.2g", TTT_VERIFY_Z * cd.se);
    row->pass = fabs(cd.mean) <= TTT_VERIFY_Z * cd.se;
    return GSL_SUCCESS;
}

static double global_mse(const job *b) { return b->mse[TTT_EST_GLOBAL]; }
static double global_pred(const job *b) { return b->e_glob_n; }
static double global_rel(const job *b) { return b->mse[TTT_EST_GLOBAL] / b->f_var; }
/* Finite-n isotropic prediction: rel = iso (1 + c) + sigma^2 c / Var f, c = d2 / (n - d2 - 1). */
static double iso_pred(const job *b)
{
    double c = (double)b->p.d2 / (double)(b->p.n - b->p.d2 - 1);
    return b->iso_rel + (b->iso_rel + b->p.sigma * b->p.sigma / b->f_var) * c;
}
static double oracle_mse(const job *b) { return b->mse[TTT_EST_ORACLE]; }
static double oracle_formula(const job *b) { return b->oracle_formula; }
static double oracle_exact(const job *b) { return b->oracle_exact; }
static double support(const job *b) { return b->support; }
static double support_iid(const job *b) { return b->support_iid; }
static double nbhd_mse(const job *b) { return b->nbhd_mse; }
static double nbhd_pred(const job *b) { return b->nbhd_pred; }

/* ---- the checks ---- */



/* Slope of log(field) on log(key) over all jobs. */
static int slope(const job *jobs, size_t n, field xf, field yf, ttt_line *l)
{
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
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
static double y_ttt(const job *b) { return b->mse[TTT_EST_TTT]; }
static double y_distortion(const job *b) { return b->distortion; }

/* A rate check: the measured slope against the asymptotic one, allowing Z
 * standard errors plus the formula's own deviation over the same grid. */
static int rate(const char *const *w, size_t reps, size_t threads, field xf, double expect,
                const char *what, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    int status = grid(w, reps, threads, &jobs, &n);
    if (status)
        return status;
    ttt_line l, f;
    if (slope(jobs, n, xf, y_ttt, &l) || slope(jobs, n, xf, oracle_formula, &f)) {
        free(jobs);
        GSL_ERROR("too few usable runs for a slope", GSL_EFAILED);
    }
    double tol = TTT_VERIFY_Z * l.slope_se + fabs(f.slope - expect);
    snprintf(row->predicted, sizeof row->predicted, "%+.3g", expect);
    snprintf(row->measured, sizeof row->measured, "%+.3f [%+.3f, %+.3f]", l.slope, l.slope_lo, l.slope_hi);
    snprintf(row->tolerance, sizeof row->tolerance, "3 se + |formula slope %+.3f - (%+.0f)| = %.3f", f.slope,
             expect, tol);
    row->pass = fabs(l.slope - expect) <= tol;
    snprintf(row->detail, sizeof row->detail, "%s, %zu runs, R^2 = %.3f", what, n, l.r2);
    free(jobs);
    return GSL_SUCCESS;
}

static int check_k_slope(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"topics=16", "n=20000", "m=200", "sparse=off", "k=40:640:log:5", NULL};
    return rate(w, quick ? 2 : 4, threads, x_k, -1.0, "log ttt MSE on log k, k = 40..640, topics=16 n=20000", row);
}

/* The random design the rate in s is derived for: the neighbourhood is k iid
 * points of one topic (n = k), signed codes.  With nearest-neighbour designs
 * of nonnegative codes the slope is steeper (README: where the theory stops). */
static int check_s_linear(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"d1=512", "topics=1", "magnitudes=signed", "n=200", "k=200", "m=50", "sparse=off",
                                    "s=2,4,8,16", NULL};
    return rate(w, quick ? 4 : 12, threads, x_s, 1.0, "log ttt MSE on log s, s = 2..16, k = n = 200 iid points of one topic", row);
}

/* Mean of field over the jobs of one grid point (reps consecutive jobs). */
static void point_mean(const job *jobs, size_t point, size_t reps, field yf, ttt_mean_ci *c)
{
    double y[64];
    for (size_t r = 0; r < reps; r++)
        y[r] = yf(&jobs[point * reps + r]);
    ttt_fit_mean(y, reps, c);
}

static int check_d1_log(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"d2=64", "topics=16", "n=20000", "m=200", "sparse=off",
                                    "d1=512,2048,8192,32768", NULL};
    size_t reps = quick ? 2 : 4, n;
    job *jobs;
    int status = grid(w, reps, threads, &jobs, &n);
    if (status)
        return status;
    ttt_mean_ci lo, hi;
    point_mean(jobs, 0, reps, y_ttt, &lo);
    point_mean(jobs, 3, reps, y_ttt, &hi);
    /* Ratio of means with the delta-method standard error. */
    double ratio = hi.mean / lo.mean;
    double se = ratio * sqrt(hi.se * hi.se / (hi.mean * hi.mean) + lo.se * lo.se / (lo.mean * lo.mean));
    double s = (double)jobs[0].p.s, bound = log(32768.0 / s) / log(512.0 / s);
    double g_lo = jobs[0].mse[TTT_EST_GLOBAL] / jobs[0].f_var, g_hi = jobs[3 * reps].mse[TTT_EST_GLOBAL] / jobs[3 * reps].f_var;
    snprintf(row->predicted, sizeof row->predicted, "<= log(d1/s) ratio %.3g", bound);
    snprintf(row->measured, sizeof row->measured, "%.3g [%.3g, %.3g]", ratio, ratio - 1.96 * se, ratio + 1.96 * se);
    snprintf(row->tolerance, sizeof row->tolerance, "ratio - 3 se <= bound");
    row->pass = ratio - TTT_VERIFY_Z * se <= bound;
    snprintf(row->detail, sizeof row->detail,
             "ttt MSE at d1=32768 over d1=512 (d2=64); global rel. error %.3f -> %.3f (1-d2/d1: %.3f -> %.3f)", g_lo,
             g_hi, 1.0 - 64.0 / 512.0, 1.0 - 64.0 / 32768.0);
    free(jobs);
    return GSL_SUCCESS;
}

static double y_gain(const job *b) { return b->mse[TTT_EST_GLOBAL] / b->mse[TTT_EST_TTT]; }

/* Over d2 >= s log(d1/s), where feature-space neighbourhoods work (below it
 * the gain collapses: README, where the theory stops): the log gain falls
 * with log d2. */
static int check_gap_d2(int quick, size_t threads, ttt_verify_row *row)
{
    static const char *const w[] = {"d1=512", "topics=32", "n=10000", "m=300", "sparse=off", "d2=64,128,256,512",
                                    NULL};
    size_t reps = quick ? 2 : 4, n;
    job *jobs;
    int status = grid(w, reps, threads, &jobs, &n);
    if (status)
        return status;
    ttt_line l;
    if (slope(jobs, n, x_d2, y_gain, &l)) {
        free(jobs);
        GSL_ERROR("too few usable runs for a slope", GSL_EFAILED);
    }
    ttt_mean_ci first, last;
    point_mean(jobs, 0, reps, y_gain, &first);
    point_mean(jobs, 3, reps, y_gain, &last);
    snprintf(row->predicted, sizeof row->predicted, "slope of log gain < 0");
    snprintf(row->measured, sizeof row->measured, "%+.3f [%+.3f, %+.3f]", l.slope, l.slope_lo, l.slope_hi);
    snprintf(row->tolerance, sizeof row->tolerance, "slope + 3 se < 0");
    row->pass = l.slope + TTT_VERIFY_Z * l.slope_se < 0.0;
    snprintf(row->detail, sizeof row->detail,
             "gain = global/ttt MSE, d2 = 64..512 = d1 (d1=512, s log(d1/s) = 33): %.3g at d2=64, %.3g at d2=d1",
             first.mean, last.mean);
    free(jobs);
    return GSL_SUCCESS;
}


/* The configuration of the neighbourhood checks: the defaults, smaller. */
static const char *const nn_words[] = {"topics=64", "n=20000", "m=500", "sparse=off", NULL};

static int check_oracle_exact(int quick, size_t threads, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    int status = paired(nn_words, quick ? 3 : 8, threads, oracle_mse, oracle_exact, row, &jobs, &n);
    if (status)
        return status;
    double cov = 0.0;
    for (size_t i = 0; i < n; i++)
        cov += jobs[i].covered / (double)n;
    row->pass &= cov == 1.0;
    snprintf(row->detail, sizeof row->detail,
             "nearest-neighbour designs, topics=64 n=20000; S covers the test point in %.1f%% of cases; %zu reps",
             100.0 * cov, n);
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
        c += jobs[i].distortion / jobs[i].jl_scale / (double)n;
    snprintf(row->predicted, sizeof row->predicted, "slope -0.5 (sqrt(log N / d2))");
    snprintf(row->measured, sizeof row->measured, "%+.3f [%+.3f, %+.3f]", l.slope, l.slope_lo, l.slope_hi);
    snprintf(row->tolerance, sizeof row->tolerance, "|slope + 0.5| <= 3 se = %.3f", TTT_VERIFY_Z * l.slope_se);
    row->pass = fabs(l.slope + 0.5) <= TTT_VERIFY_Z * l.slope_se;
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
    snprintf(row->tolerance, sizeof row->tolerance, "mean %s 3 se %s bound", above ? "-" : "+", above ? ">" : "<");
    row->pass = above ? cx.mean - TTT_VERIFY_Z * cx.se > cy.mean : cx.mean + TTT_VERIFY_Z * cx.se < cy.mean;
    snprintf(row->predicted, sizeof row->predicted, "%s %.4g", above ? ">" : "<", cy.mean);
    return GSL_SUCCESS;
}

static double lasso_support(const job *b) { return b->lasso_support; }
static double agree_oracle(const job *b) { return b->agree_oracle; }
static double paper_agreement(const job *b) { (void)b; return 0.89; }
static double far_mse(const job *b) { return b->far_mse; }





/* The checks that compare one replicate mean with a prediction or a bound. */
enum { PAIRED, ABOVE, BELOW };
typedef struct {
    const char *const *words;   /* the sweep */
    size_t quick_reps, full_reps;
    int kind;                   /* PAIRED: |mean(x - y)| <= Z se; ABOVE / BELOW: x beyond y by Z se */
    field measured, reference;
    const char *predicted;      /* replaces the printed prediction when not NULL */
    const char *detail;         /* the configuration in words */
} spec;

static const char *const w_global[] = {"d1=1024", "d2=64", "topics=64", "n=10000", "m=1000", "sparse=off", NULL};
static const char *const w_iso[] = {"d1=512", "d2=128", "topics=1", "pool=512", "magnitudes=signed", "n=20000",
                                    "m=1000", "k=10", "sparse=off", NULL};
static const char *const w_formula[] = {"topics=1", "pool=16", "magnitudes=signed", "n=60", "k=60", "m=200",
                                        "sparse=off", NULL};
static const char *const w_support[] = {"topics=1", "pool=16", "background=1", "n=3", "k=3", "m=2", "sparse=off",
                                        NULL};
static const char *const w_o2[] = {"topics=100", "n=20000", "m=200", NULL};

static const spec specs[] = {
    {w_global, 4, 10, PAIRED, global_mse, global_pred, NULL, "d1=1024 d2=64 topics=64 n=10000 m=1000"},
    {w_iso, 4, 10, PAIRED, global_rel, iso_pred, NULL,
     "isotropic signed codes d1=512 d2=128 (1-d2/d1 = 0.75, + finite-n), n=20000"},
    {w_formula, 30, 100, PAIRED, oracle_mse, oracle_formula, NULL,
     "random design: the neighbourhood is all n = k = 60 iid points of one topic, |S| = 16"},
    {w_support, 200, 1000, PAIRED, support, support_iid, NULL,
     "k = n = 3 iid points of one topic, p=16 s=8, 1 background concept"},
    {w_o2, 2, 4, BELOW, lasso_support, support, "< |S|, order s = 8",
     "concepts the Lasso keeps vs |S| of the neighbourhood"},
    {nn_words, 3, 8, ABOVE, agree_oracle, paper_agreement, "> 0.89 (paper: 89% agree)",
     "fraction of test points with |ttt - oracle| < sigma"},
    {nn_words, 3, 8, PAIRED, nbhd_mse, nbhd_pred, NULL,
     "ttt head on its own k neighbours, MSE vs f; prediction sigma^2 rank / k"},
    {nn_words, 3, 8, ABOVE, far_mse, global_mse, NULL,
     "MSE of each ttt head on all test points (first 256 heads) vs the global head's MSE"},
};

static int run_spec(const spec *c, int quick, size_t threads, ttt_verify_row *row)
{
    job *jobs;
    size_t n;
    size_t reps = quick ? c->quick_reps : c->full_reps;
    int status = c->kind == PAIRED ? paired(c->words, reps, threads, c->measured, c->reference, row, &jobs, &n)
                                   : bounded(c->words, reps, threads, c->measured, c->reference, c->kind == ABOVE,
                                             row, &jobs, &n);
    if (status)
        return status;
    if (c->predicted)
        snprintf(row->predicted, sizeof row->predicted, "%s", c->predicted);
    snprintf(row->detail, sizeof row->detail, "%s; %zu reps", c->detail, n);
    free(jobs);
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

typedef struct {
    const char *name, *claim;
    int (*run)(int quick, size_t threads, ttt_verify_row *row);
} check;

static const check checks[] = {
    {"global_exact", "global LS error = exact E_glob + finite-n term", spec_0},
    {"isotropic", "isotropic codes: global rel. error = 1 - d2/d1", spec_1},
    {"k_slope", "TTT error falls like 1/k (log-log slope -1)", check_k_slope},
    {"s_linear", "TTT error grows linearly in s (slope +1)", check_s_linear},
    {"d1_log", "TTT error grows no faster than log(d1/s)", check_d1_log},
    {"gap_d2", "the global/TTT gain falls as d2 -> d1", check_gap_d2},
    {"oracle_formula", "oracle LS error = sigma^2 |S| / (k - |S| - 1)", spec_2},
    {"oracle_exact", "oracle error = exact variance given the neighbours", check_oracle_exact},
    {"support", "E|S| = p (1 - (1 - s/p)^k) (+ background)", spec_3},
    {"jl", "H1: distortion ~ sqrt(log N / d2)", check_jl},
    {"o2_support", "O2: the sparse fit needs fewer concepts than |S|", spec_4},
    {"o3_agree", "O3/H3: feature-space TTT = concept-space TTT", spec_5},
    {"locality_near", "locality: a TTT head fits its neighbourhood", spec_6},
    {"locality_far", "locality: ... and is worse than global elsewhere", spec_7},
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

size_t ttt_verify_find(const char *name)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (!strcmp(checks[i].name, name))
            return i;
    return (size_t)-1;
}

int ttt_verify_run(size_t i, int quick, size_t threads, ttt_verify_row *row)
{
    memset(row, 0, sizeof *row);
    if (i >= NCHECKS)
        GSL_ERROR("no such check", GSL_EINVAL);
    return checks[i].run(quick, threads, row);
}
