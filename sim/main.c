/* ttt — command-line front end.  Parses arguments, calls the library, writes
 * files, and turns statuses into messages.  Exit status: 0 success, 1 a
 * failure while running (out of memory, a solver), 2 bad input. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_version.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#ifdef TTT_MPI
#include <mpi.h>
#endif

#include "ttt_fit.h"
#include "ttt_io.h"
#include "ttt_msg.h"
#include "ttt_neighbours.h"
#include "ttt_params.h"
#include "ttt_run.h"
#include "ttt_summarize.h"
#include "ttt_sweep.h"
#include "ttt_sweep_dir.h"
#include "ttt_verify.h"

static const char *usage_text =
    "usage: ttt COMMAND [FILE] [key=value ...] [options]\n"
    "\n"
    "Simulates test-time training under the linear representation hypothesis:\n"
    "draws sparse concept codes phi in R^d1, features psi = A phi in R^d2 (d2 << d1)\n"
    "and labels linear in phi, then compares global least squares with local\n"
    "least squares on the k nearest neighbours of each test point (TTT), against\n"
    "the analytic predictions.\n"
    "\n"
    "commands:\n"
    "  run [FILE] [key=value ...] [--out DIR] [--save-data] [--quiet]\n"
    "        run every estimator, print the comparison table, and write\n"
    "        DIR/summary.tsv, DIR/analytic.tsv, DIR/predictions.tsv and\n"
    "        DIR/geometry.tsv (O1 cosine histograms)\n"
    "        (DIR defaults to ttt-out); --save-data also writes the instance\n"
    "        as .npy files in DIR/data/\n"
    "  generate [FILE] [key=value ...] --out DIR\n"
    "        draw an instance and write it as .npy files in DIR/data/\n"
    "  sweep [FILE] [key=value ...] key=v1,v2,... key=a:b:log:N ... [reps=R] --out DIR\n"
    "        [--resume] [--shard I/N] [--quiet]\n"
    "        run the cartesian product of the swept keys (a list, or N values from a\n"
    "        to b spaced geometrically (log) or evenly (lin)), R replicates each, in\n"
    "        parallel; write DIR/sweep.tsv, one row per (point, replicate, estimator).\n"
    "        Ctrl-C stops cleanly; --resume continues an interrupted sweep and gives\n"
    "        the same file as an uninterrupted one; --shard I/N runs only the jobs\n"
    "        j with j mod N = I - 1 (one task of a job array) into its own DIR\n"
    "  merge SHARD_DIR... --out DIR\n"
    "        join the N complete shards of one sweep into DIR/sweep.tsv, byte for\n"
    "        byte the file one process writes (every row checked as --resume does)\n"
    "  fit FILE --x KEY --y NAME [--scale loglog|semilogx|linear] [--where key=value ...]\n"
    "        [--range lo:hi] [--bound]\n"
    "        least-squares line through a sweep.tsv with a 95% interval and R^2:\n"
    "        NAME is an estimator (its mse), a column (one value per job), or\n"
    "        ESTIMATOR:COLUMN; loglog fits log y on log x (a power law, the default),\n"
    "        semilogx y on log x.  --bound fits the constant C of\n"
    "        mse = C sigma^2 s log(d1/s) / k instead\n"
    "        (with --x and --range: over the rows with x in the range)\n"
    "  table FILE --y SPEC,SPEC,... [--format tsv|md|latex] [--out FILE]\n"
    "        one row per grid point of a sweep.tsv: for each SPEC the mean over\n"
    "        the replicates and its standard error (columns NAME, NAME_se).\n"
    "        SPEC is ESTIMATOR (its mse), ESTIMATOR:COLUMN, COLUMN (run-level), or\n"
    "        A/B, the mean of log10(A/B) per replicate (e.g. global/ttt); md and\n"
    "        latex print mean +- se tables of the keys that vary\n"
    "  demo [key=value ...] [--out DIR] [--quiet]\n"
    "        the teaching instance (d1=6 concepts, d2=2 features, 3 topics): prints\n"
    "        a narrated walkthrough and writes DIR/{concepts,points,test,heads,k}.tsv\n"
    "        for the pictures of 'make teach' (DIR defaults to teach-out)\n"
    "  verify [--list | NAME ...] [--quick] [threads=N]\n"
    "        run the theory checks (each a small sweep with fixed seeds) and print\n"
    "        one row per prediction: claim, predicted, measured with its 95%\n"
    "        interval, tolerance, PASS/FAIL; exit 0 only if all pass.  --quick\n"
    "        uses fewer replicates (what the test suite runs)\n"
    "  defaults\n"
    "        print every key with its default, range and meaning (a valid FILE)\n"
    "  presets\n"
    "        list the named configurations: preset=NAME (in FILE or as a word, for\n"
    "        run, sweep and demo) sets their keys where it stands; later keys override\n"
    "  help  this text;  --version  version, GSL and CBLAS\n"
    "\n"
    "FILE holds 'key = value' lines ('#' comments), each key once; key=value words\n"
    "override it, a later word an earlier one.\n"
    "Examples: ttt run d2=256 k=100 seed=7 --out results\n"
    "          ttt run preset=theorem k=100\n"
    "          ttt sweep k=10:1000:log:9 reps=5 --out ksweep\n"
    "Exit status: 0 success, 1 failure while running, 2 bad input.\n";

/* Bad input: one line (control bytes escaped, the allowed part kept), exit 2. */
static void die_input(const char *msg)
{
    char line[2 * TTT_PARAMS_MSG];
    fprintf(stderr, "ttt: %s\n", ttt_msg(line, sizeof line, "%s", msg));
    exit(2);
}

/* A library call that failed for want of memory is a fault (exit 1), whatever
 * its message says (it named the input: "has no header row", exit 2); errno
 * is cleared before the call, so ENOMEM is this call's. */
static void die_input_or_fault(const char *msg)
{
    if (errno == ENOMEM) {
        fprintf(stderr, "ttt: out of memory\n");
        exit(1);
    }
    die_input(msg);
}

/* Opens the output directory or exits: status 2 when the request is not
 * allowed, 1 on a fault. */
static ttt_outdir *open_outdir(const char *dir)
{
    char msg[TTT_OUTDIR_MSG];
    ttt_outdir *o;
    int status = ttt_outdir_open(dir, &o, msg);
    if (status) {
        fprintf(stderr, "ttt: %s\n", msg);
        exit(status == GSL_EINVAL ? 2 : 1);
    }
    return o;
}

/* An option that takes one value, given a second time: its first value would
 * be unused. */
static void once(const void *already, const char *option)
{
    if (already) {
        char msg[TTT_PARAMS_MSG];
        die_input(ttt_msg(msg, sizeof msg, "%s is given twice; allowed: once", option));
    }
}

/* Limits checked before any work: a run that needs more than this share of
 * the machine's memory, or longer than this, is refused unless --force. */
#define LIMIT_MEMORY_SHARE 0.9
#define LIMIT_SECONDS (24.0 * 3600.0)
/* Runs estimated longer than this get their estimate printed first. */
#define NOTE_SECONDS 30.0

static const char *duration(double s, char *buf, size_t len)
{
    if (s < 90.0)
        snprintf(buf, len, "%.0f s", s);
    else if (s < 5400.0)
        snprintf(buf, len, "%.0f min", s / 60.0);
    else if (s < 2 * 86400.0)
        snprintf(buf, len, "%.1f h", s / 3600.0);
    else
        snprintf(buf, len, "%.1f days", s / 86400.0);
    return buf;
}

/* Checks an estimate (ttt_run_cost) against the machine before any work:
 * exits 1 with the estimate when it is over a limit (unless force), prints
 * it when the run is long.  what names the job ("this run", "this sweep"). */
static void check_limits(double bytes, double seconds, const char *phase, const char *what, int force, int quiet)
{
    char t[32], mem[512];
    if (!force && ttt_run_memory_check(bytes, what, mem, sizeof mem)) {
        fprintf(stderr, "ttt: %s\n", mem);
        exit(1);
    }
    if (!force && seconds > LIMIT_SECONDS) {
        fprintf(stderr, "ttt: %s would take about %s on this machine (mostly %s; estimate good to a factor of about "
                "3); allowed: up to %.0f h (or --force to run anyway)\n", what, duration(seconds, t, sizeof t),
                phase, LIMIT_SECONDS / 3600.0);
        exit(1);
    }
    if (!quiet && seconds > NOTE_SECONDS)
        fprintf(stderr, "estimate: about %s and %.2g GB (mostly %s; good to a factor of about 3)\n",
                duration(seconds, t, sizeof t), bytes / 1e9, phase);
}

/* The phase that dominates an estimate. */
static const char *main_phase(const ttt_cost *c, int generate_only)
{
    const char *names[6] = {"generating the points", "the analytic predictions (d2 x d2 eigensolves)",
                            "the global fit", "the neighbour search", "the local fits", "the sparse estimators"};
    const double v[6] = {c->generate, generate_only ? 0 : c->analytic, generate_only ? 0 : c->global,
                         generate_only ? 0 : c->neighbours, generate_only ? 0 : c->local,
                         generate_only ? 0 : c->sparse};
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (v[i] > v[best])
            best = i;
    return names[best];
}

typedef struct {
    ttt_params p;
    const char *out;
    int save_data, quiet, force;
    char command[4096];
} options;

/* What parse accepts besides key=value words and --out DIR. */
enum { ALLOW_FILE = 1, ALLOW_SAVE_DATA = 2, ALLOW_QUIET = 4 };

/* Parses [FILE] [key=value ...] [--out DIR] [--save-data] [--quiet], each
 * optional part only when `allow` has it. */
static void parse(int argc, char **argv, options *o, int allow)
{
    char msg[TTT_PARAMS_MSG];
    const char *file = NULL;
    ttt_params_default(&o->p);
    size_t used = 0;
    for (int i = 0; i < argc && used + 2 < sizeof o->command; i++)
        used += (size_t)snprintf(o->command + used, sizeof o->command - used, i ? " %s" : "%s", argv[i]);
    /* First pass: the file, so that key=value words override it. */
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (argv[i][0] != '-' && !strchr(argv[i], '=')) {
            if (!(allow & ALLOW_FILE)) {
                ttt_msg(msg, sizeof msg, "%s takes no config file ('%s'); allowed: key=value words", argv[1],
                        argv[i]);
                die_input(msg);
            }
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                die_input(msg);
            }
            file = argv[i];
        }
    }
    if (file && ttt_params_read_file(&o->p, file, msg))
        die_input(msg);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0)
            o->out = argv[++i];
        else if ((allow & ALLOW_SAVE_DATA) && strcmp(argv[i], "--save-data") == 0)
            o->save_data = 1;
        else if ((allow & ALLOW_QUIET) && strcmp(argv[i], "--quiet") == 0)
            o->quiet = 1;
        else if (strcmp(argv[i], "--force") == 0)
            o->force = 1;
        else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR, --force%s%s", argv[i],
                    allow & ALLOW_SAVE_DATA ? ", --save-data" : "", allow & ALLOW_QUIET ? ", --quiet" : "");
            die_input(msg);
        } else if (strchr(argv[i], '=') && ttt_params_set_word(&o->p, argv[i], msg))
            die_input(msg);
    }
    if (ttt_params_check(&o->p, msg))
        die_input(msg);
}

static void put(FILE *fp, double x, const char *sep)
{
    char text[TTT_IO_DOUBLE];
    fprintf(fp, "%s%s", ttt_io_double(x, text), sep);
}

static const char *kind_name(int kind)
{
    return kind == TTT_PRED_EXACT ? "exact" : kind == TTT_PRED_APPROX ? "approx" : kind == TTT_PRED_FIT ? "fitted" : "none";
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
        put(fp, s->mse, "\t");
        put(fp, s->se, "\t");
        put(fp, s->rel, "\t");
        put(fp, s->rel_se, "\t");
        put(fp, has ? s->predicted : GSL_NAN, "\t");
        put(fp, has ? s->predicted / r->an.f_var : GSL_NAN, "\t");
        put(fp, has ? zscore(s) : GSL_NAN, "\t");
        fprintf(fp, "%s\n", kind_name(s->kind));
    }
}

/* The analytic quantities, one per row, as printed and as in analytic.tsv. */
typedef struct {
    const char *name, *label, *kind;
    double value, se;
} quantity;

static size_t analytic_rows(const ttt_report *r, quantity *q)
{
    const ttt_analytic *a = &r->an;
    size_t n = 0;
    q[n++] = (quantity){"e_glob", "global MSE, n = inf", "exact for this instance", a->e_glob, 0};
    q[n++] = (quantity){"e_glob_n", "global MSE, finite n", "approx: + (E+sigma^2) r/(n-r-1)", a->e_glob_n, 0};
    q[n++] = (quantity){"rank", "rank r of A Sigma A'", "exact: directions the features vary in", (double)a->rank, 0};
    q[n++] = (quantity){"e_glob_rel", "global rel. error, n = inf", "exact: e_glob / Var f", a->e_glob / a->f_var, 0};
    q[n++] = (quantity){"iso_rel", "1 - d2/d1", "exact mean over A, isotropic codes only", a->iso_rel, 0};
    q[n++] = (quantity){"f_var", "Var f", "exact for this instance", a->f_var, 0};
    q[n++] = (quantity){"f_var_test", "Var f, test sample", "measured", r->f_var_test, 0};
    q[n++] = (quantity){"support_iid", "E|S|, k iid points, one topic", "exact", r->support_iid, 0};
    q[n++] = (quantity){"support", "|S| of the neighbourhoods", "measured (mean, se)", r->support_mean,
                        r->support_se};
    q[n++] = (quantity){"covered", "test concepts all in S", "measured fraction", r->covered, 0};
    q[n++] = (quantity){"oracle_formula", "sigma^2|S|/(k-|S|-1)", "approx: random design, mean over points",
                        r->oracle_formula, 0};
    q[n++] = (quantity){"oracle_exact", "oracle noise variance", "exact given the neighbourhoods", r->oracle_exact,
                        0};
    q[n++] = (quantity){"nbhd_mse", "ttt head on its neighbours", "measured MSE vs f (mean, se)", r->nbhd_mse,
                        r->nbhd_se};
    q[n++] = (quantity){"nbhd_pred", "sigma^2 rank/k", "exact in-sample LS error when f is linear there",
                        r->nbhd_pred, 0};
    q[n++] = (quantity){"far_mse", "ttt heads on all test points", "measured MSE (mean, se)", r->far_mse, r->far_se};
    q[n++] = (quantity){"agree_oracle", "|ttt - oracle| < sigma", "measured fraction of test points",
                        r->agree_oracle, 0};
    q[n++] = (quantity){"distortion", "max | |dpsi|/|dphi| - 1 |", "measured over test-neighbour pairs (H1)",
                        r->distortion, 0};
    q[n++] = (quantity){"distortion_rms", "rms | |dpsi|/|dphi| - 1 |", "measured", r->distortion_rms, 0};
    q[n++] = (quantity){"jl_scale", "sqrt(log(m k) / d2)", "the JL scale of the distortion", r->jl_scale, 0};
    q[n++] = (quantity){"cos_feature", "cos(phi*, phi), psi-neighbours", "measured mean over pairs (O1)",
                        r->cos_feature, 0};
    q[n++] = (quantity){"cos_concept", "cos(phi*, phi), phi-neighbours", "measured mean over pairs (O1)",
                        r->cos_concept, 0};
    q[n++] = (quantity){"overlap", "psi-neighbours also phi-neighbours", "measured fraction (O1)", r->overlap, 0};
    q[n++] = (quantity){"purity", "neighbours from own topic", "measured mean share", r->purity, 0};
    q[n++] = (quantity){"cond", "lmin/mean l of Phi_S'Phi_S", "measured mean over points (0 if k < |S|)",
                        r->cond, 0};
    q[n++] = (quantity){"needed", "concepts that suffice (H2)", "measured (mean, se); h2_factor of the best",
                        r->needed, r->needed_se};
    q[n++] = (quantity){"in_use", "concepts in use", "exact: union of the pools", (double)r->in_use, 0};
    if (r->res->enabled[TTT_EST_LASSO]) {
        q[n++] = (quantity){"agree_lasso", "|ttt - lasso| < sigma", "measured fraction of test points",
                            r->agree_lasso, 0};
        q[n++] = (quantity){"lambda", "Lasso penalty", "mean over test points", r->lambda, 0};
        q[n++] = (quantity){"lasso_support", "concepts the Lasso uses", "measured (mean, se)", r->fit_support[0],
                            r->fit_support_se[0]};
        q[n++] = (quantity){"lasso_decoded_support", "concepts, decoded codes", "measured (mean, se)",
                            r->fit_support[1], r->fit_support_se[1]};
        q[n++] = (quantity){"omp_support", "concepts OMP uses", "measured (mean, se)", r->fit_support[2],
                            r->fit_support_se[2]};
        q[n++] = (quantity){"decoded", "test codes decoded exactly", "measured fraction", r->decoded, 0};
        q[n++] = (quantity){"lasso_unconverged", "Lasso fits at lasso_sweeps", "count",
                            (double)r->res->lasso_unconverged, 0};
    }
    return n;
}

static void write_analytic(FILE *fp, const ttt_report *r)
{
    quantity q[48];
    size_t n = analytic_rows(r, q);
    fprintf(fp, "quantity\tvalue\tse\tkind\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s\t", q[i].name);
        put(fp, q[i].value, "\t");
        put(fp, q[i].se, "\t");
        fprintf(fp, "%s\n", q[i].kind);
    }
    /* Each regime as three rows: its number, its threshold, and 1 if it holds. */
    for (int g = 0; g < TTT_REGIME_COUNT; g++) {
        const ttt_regime *t = &r->regime[g];
        fprintf(fp, "regime_%s\t", t->name);
        put(fp, t->value, "\t0\t");
        fprintf(fp, "measured: %s\nregime_%s_threshold\t", t->what, t->name);
        put(fp, t->threshold, "\t0\t");
        fprintf(fp, "holds when %s\nregime_%s_holds\t%d\t0\t1 if it holds\n", t->rule, t->name, t->holds);
    }
}

/* The regime block of the printed table. */
static void print_regimes(const ttt_report *r)
{
    printf("\n%-14s %-44s %11s %11s  %s\n", "regime", "measured", "value", "threshold", "holds");
    for (int g = 0; g < TTT_REGIME_COUNT; g++) {
        const ttt_regime *t = &r->regime[g];
        printf("%-14s %-44s %11.4g %11.4g  %-3s (%s)\n", t->name, t->what, t->value, t->threshold,
               t->holds ? "yes" : "no", t->rule);
    }
    printf("O2: |S| = %.1f concepts active in a neighbourhood, %.1f suffice (the paper's SAE setting, "
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
    for (int j = 0; j < TTT_EST_SPARSE_COUNT; j++)
        if (res->enabled[TTT_EST_SPARSE_FIRST + j])
            fprintf(fp, "\t%s_support", ttt_estimator_name(TTT_EST_SPARSE_FIRST + j));
    fprintf(fp, "\n");
    for (size_t i = 0; i < res->m; i++) {
        fprintf(fp, "%zu\t", i);
        put(fp, te->f[i], "\t");
        put(fp, te->y[i], "\t");
        fprintf(fp, "%d\t", (int)te->topic[i]);
        for (int e = 0; e < TTT_EST_COUNT; e++)
            if (res->enabled[e])
                put(fp, res->pred[(size_t)e * res->m + i], "\t");
        fprintf(fp, "%zu\t%d\t", res->support[i], res->covered[i]);
        put(fp, res->oracle_var[i], "\t");
        fprintf(fp, "%zu", res->rank[i]);
        for (int j = 0; j < TTT_EST_SPARSE_COUNT; j++)
            if (res->enabled[TTT_EST_SPARSE_FIRST + j])
                fprintf(fp, "\t%zu", res->fit_support[(size_t)j * res->m + i]);
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
        put(fp, (2.0 * (double)b - bins) / bins, "\t");
        put(fp, (2.0 * (double)(b + 1) - bins) / bins, "\t");
        put(fp, (double)r->cos_hist[0][b] / (double)total[0] / width, "\t");
        put(fp, (double)r->cos_hist[1][b] / (double)total[1] / width, "\t");
        fprintf(fp, "%zu\t%zu\n", r->cos_hist[0][b], r->cos_hist[1][b]);
    }
}

static void print_table(const ttt_report *r)
{
    const ttt_params *p = &r->in->p;
    printf("ttt run: d1=%zu d2=%zu s=%zu topics=%zu pool=%zu background=%zu n=%zu m=%zu k=%zu sigma=%g "
           "magnitudes=%s seed=%lu\n\n",
           p->d1, p->d2, p->s, p->topics, p->pool, p->background, p->n, p->m, p->k, p->sigma,
           ttt_params_enum_name("magnitudes", p->magnitudes), p->seed);
    printf("%-13s %11s %10s %10s %11s %6s  %s\n", "estimator", "MSE", "SE", "rel.err", "predicted", "z",
           "prediction");
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        const ttt_summary *s = &r->est[e];
        if (!r->res->enabled[e])
            continue;
        printf("%-13s %11.4e %10.2e ", ttt_estimator_name(e), s->mse, s->se);
        if (isfinite(s->rel))
            printf("%10.4f ", s->rel);
        else
            printf("%10s ", "n/a");
        if (s->kind != TTT_PRED_NONE)
            if (isfinite(zscore(s)))
                printf("%11.4e %+6.2f  %s (%s)\n", s->predicted, zscore(s), kind_name(s->kind), s->basis);
            else
                printf("%11.4e %6s  %s (%s)\n", s->predicted, "-", kind_name(s->kind), s->basis);
        else
            printf("%11s %6s  -\n", "-", "-");
    }
    double g = r->est[TTT_EST_GLOBAL].mse, t = r->est[TTT_EST_TTT_GLOBAL].mse;
    if (t > 0.0)
        printf("\nglobal / ttt_global MSE ratio: %.3g\n", g / t);
    printf("z = (MSE - predicted) / SE; |z| <= 1.96 is the 95%% band of the test-set sampling error\n");
    if (!(r->f_var_test > 0.0))
        printf("rel.err n/a: f is constant on the test points (d1 = 1, or w* = 0 on every concept they use), so errors "
               "cannot be relative to Var f\n");
    quantity q[48];
    size_t n = analytic_rows(r, q);
    printf("\n%-30s %12s  %s\n", "analytic and measured", "value", "kind");
    for (size_t i = 0; i < n; i++) {
        if (isfinite(q[i].value)) {
            printf("%-30s %12.4e", q[i].label, q[i].value);
            if (q[i].se > 0.0)
                printf(" +- %.2e", q[i].se);
        } else {
            printf("%-30s %12s", q[i].label, "n/a");
        }
        printf("  %s\n", q[i].kind);
    }
    if (r->oracle_points < p->m)
        printf("(the oracle formula is undefined at %zu of %zu points, where k <= |S| + 1; its mean is over the rest)\n",
               p->m - r->oracle_points, p->m);
    print_regimes(r);
}

static int cmd_run(int argc, char **argv, int generate_only)
{
    options o = {0};
    parse(argc, argv, &o, generate_only ? ALLOW_FILE : ALLOW_FILE | ALLOW_SAVE_DATA | ALLOW_QUIET);
    if (generate_only && !o.out)
        die_input("generate needs --out DIR");
    if (!o.out)
        o.out = "ttt-out";
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    check_limits(cost.bytes, generate_only ? cost.generate : cost.seconds, main_phase(&cost, generate_only),
                 "this run", o.force, o.quiet);
    char msg[TTT_IO_MSG];
    ttt_outdir *dir = open_outdir(o.out);

    int status;
    ttt_report *r = NULL;
    ttt_instance *in = NULL;
    if (generate_only)
        status = (in = ttt_instance_alloc(&o.p)) ? GSL_SUCCESS : GSL_ENOMEM;
    else
        status = ttt_run(&o.p, &r);
    if (status) {
        ttt_outdir_abort(dir);
        fprintf(stderr, "ttt: %s\n", ttt_msg_status(status, "this run"));
        return 1;
    }
    int bad = 0;
    if (generate_only) {
        bad = ttt_io_save_instance(dir, in, msg) != 0;
    } else {
        const char *names[4] = {"summary.tsv", "analytic.tsv", "predictions.tsv", "geometry.tsv"};
        void (*writers[4])(FILE *, const ttt_report *) = {write_summary, write_analytic, write_predictions,
                                                          write_geometry};
        for (int i = 0; i < 4 && !bad; i++) {
            FILE *fp = ttt_outdir_file(dir, names[i], msg);
            bad = !fp || ttt_io_header(fp, &o.p, o.command) != 0;
            if (!bad)
                writers[i](fp, r);
        }
        if (!bad && o.save_data)
            bad = ttt_io_save_instance(dir, r->in, msg) != 0;
    }
    if (bad) {
        ttt_outdir_abort(dir);
    } else if (ttt_outdir_commit(dir, msg) != 0) {
        bad = 1;
    }
    if (bad) {
        fprintf(stderr, "ttt: %s\n", msg);
        ttt_report_free(r);
        ttt_instance_free(in);
        return 1;
    }
    if (r && !o.quiet) {
        print_table(r);
        fprintf(stderr, "time:");
        for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
            fprintf(stderr, " %s %.3fs", ttt_phase_name(ph), r->seconds[ph]);
        fprintf(stderr, "\nwrote %s/summary.tsv, analytic.tsv, predictions.tsv, geometry.tsv%s\n", o.out,
                o.save_data ? ", data/*.npy" : "");
    } else if (!r && !o.quiet) {
        fprintf(stderr, "wrote %s/data/*.npy\n", o.out);
    }
    ttt_report_free(r);
    ttt_instance_free(in);
    return 0;
}

static int cmd_fit(int argc, char **argv)
{
    char msg[TTT_IO_MSG + 256];
    const char *file = NULL, *xname = NULL, *yname = NULL, *scale = "loglog", *scale_given = NULL;
    const char *where[16];
    size_t nwhere = 0;
    int bound = 0;
    double lo = -GSL_DBL_MAX, hi = GSL_DBL_MAX;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--x") && has)
            once(xname, a), xname = argv[++i];
        else if (!strcmp(a, "--y") && has)
            once(yname, a), yname = argv[++i];
        else if (!strcmp(a, "--scale") && has)
            once(scale_given, a), scale = scale_given = argv[++i];
        else if (!strcmp(a, "--where") && has && nwhere == 16)
            die_input("--where is given more than 16 times; allowed: at most 16");
        else if (!strcmp(a, "--where") && has)
            where[nwhere++] = argv[++i];
        else if (!strcmp(a, "--range") && has) {
            char *end;
            lo = strtod(argv[++i], &end);
            if (*end != ':' || (hi = strtod(end + 1, &end), *end) || !(lo < hi))
                die_input("--range needs lo:hi with lo < hi");
        } else if (!strcmp(a, "--bound"))
            bound = 1;
        else if (a[0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown or incomplete option '%s'; allowed: --x KEY, --y NAME, --scale "
                     "loglog|semilogx|linear, --where key=value, --range lo:hi, --bound", a);
            die_input(msg);
        } else if (!file)
            file = a;
        else
            die_input("fit takes one sweep.tsv");
    }
    int logx = !strcmp(scale, "loglog") || !strcmp(scale, "semilogx"), logy = !strcmp(scale, "loglog");
    if (!file || !yname || (!xname && !bound))
        die_input("fit needs FILE --x KEY --y NAME (or FILE --y NAME --bound)");
    if (!logx && strcmp(scale, "linear")) {
        ttt_msg(msg, sizeof msg, "--scale '%s' is not allowed; allowed: loglog, semilogx, linear", scale);
        die_input(msg);
    }
    errno = 0;
    ttt_table *t = ttt_table_read(file, msg);
    if (!t)
        die_input_or_fault(msg);
    if (ttt_sweep_rows_check(t, msg)) {
        char full[sizeof msg + 8];
        ttt_msg(full, sizeof full, "%s: %s", file, msg);
        ttt_table_free(t);
        die_input_or_fault(full);
    }
    long est = ttt_table_column(t, "estimator"), xc = xname ? ttt_table_column(t, xname) : -1;
    if (est < 0) {
        ttt_table_free(t);
        die_input("the file has no 'estimator' column; allowed: a sweep.tsv written by ttt sweep");
    }
    ttt_operand op;
    if (ttt_operand_parse(t, yname, strlen(yname), &op, msg) || (xname && xc < 0)) {
        char full[sizeof msg + 8];
        if (xname && xc < 0)
            ttt_msg(msg, TTT_IO_MSG, "no column '%s' in the sweep; allowed: a column name", xname);
        ttt_msg(full, sizeof full, "%s: %s", file, msg);
        ttt_table_free(t);
        die_input(full);
    }
    const char *colon = strchr(yname, ':');
    const int bare = !colon && op.col == ttt_table_column(t, "mse");
    long wc[16];
    for (size_t w = 0; w < nwhere; w++) {
        const char *eq = strchr(where[w], '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - where[w]) : 0, where[w]);
        if (!eq || (wc[w] = ttt_table_column(t, key)) < 0) {
            ttt_msg(msg, sizeof msg, "--where '%s' does not name a column as key=value", where[w]);
            ttt_table_free(t);
            die_input(msg);
        }
    }
    static const char *const rate_keys[4] = {"sigma", "s", "d1", "k"};
    long cols[4];
    for (int i = 0; i < 4; i++)
        if ((cols[i] = ttt_table_column(t, rate_keys[i])) < 0 && bound) {
            snprintf(msg, sizeof msg, "%s has no '%s' column; --bound needs the columns sigma, s, d1 and k of a "
                     "sweep.tsv", file, rate_keys[i]);
            ttt_table_free(t);
            die_input(msg);
        }
    double *x = malloc((t->rows + 1) * sizeof *x), *y = malloc((t->rows + 1) * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "ttt: out of memory for %zu rows of %s\n", t->rows, file);
        return 1;
    }
    size_t n = 0, skipped = 0;
    for (size_t r = 0; r < t->rows; r++) {
        if (strcmp(t->cell[r][est], op.estimator))
            continue;
        int keep = 1;
        for (size_t w = 0; w < nwhere && keep; w++) {
            const char *v = strchr(where[w], '=') + 1;
            double a = ttt_table_number(t, r, (size_t)wc[w]), b = strtod(v, NULL);
            keep = !strcmp(t->cell[r][wc[w]], v) || (isfinite(a) && a == b);
        }
        if (!keep)
            continue;
        double xv = xc >= 0 ? ttt_table_number(t, r, (size_t)xc) : 0.0, yv = ttt_table_number(t, r, (size_t)op.col);
        if (xc >= 0 && (xv < lo || xv > hi))
            continue;
        if (bound)
            xv = ttt_fit_rate(ttt_table_number(t, r, (size_t)cols[0]), ttt_table_number(t, r, (size_t)cols[1]),
                              ttt_table_number(t, r, (size_t)cols[2]), ttt_table_number(t, r, (size_t)cols[3]));
        if (!isfinite(xv) || !isfinite(yv) || ((logx && !bound) && xv <= 0) || ((logy || bound) && yv <= 0)) {
            skipped++;
            continue;
        }
        x[n] = bound ? xv : logx ? log(xv) : xv;
        y[n] = logy || bound ? log(yv) : yv;
        if (bound)
            y[n] -= x[n]; /* log C = log mse - log rate */
        n++;
    }
    int status;
    if (bound) {
        ttt_mean_ci c;
        status = ttt_fit_mean(y, n, &c);
        if (!status) {
            printf("bound: %s = C sigma^2 s log(d1/s) / k over %zu rows\n", yname, n);
            printf("C = %.4g  95%% interval [%.4g, %.4g]  (geometric mean; log C = %.4f +- %.4f)\n", exp(c.mean),
                   exp(c.lo), exp(c.hi), c.mean, c.se);
        }
    } else {
        ttt_line l;
        status = ttt_fit_line(x, y, n, &l);
        if (!status) {
            printf("fit: %s%s%s against %s%s%s over %zu rows (%s scale)\n", logy ? "log " : "", yname,
                   bare ? " mse" : "", logx ? "log " : "", xname, "", n, scale);
            printf("slope     %+.4f  95%% interval [%+.4f, %+.4f]  se %.4f\n", l.slope, l.slope_lo, l.slope_hi,
                   l.slope_se);
            printf("intercept %+.4f  95%% interval [%+.4f, %+.4f]\n", l.intercept, l.intercept_lo, l.intercept_hi);
            printf("R^2       %.4f\n", l.r2);
            if (logx && logy)
                printf("%s ~ %.4g * %s^%.3f\n", yname, exp(l.intercept), xname, l.slope);
        }
    }
    if (skipped)
        printf("(%zu rows skipped: not finite%s)\n", skipped, logx || logy || bound ? " or not positive on a log scale" : "");
    free(x);
    free(y);
    ttt_table_free(t);
    if (status)
        die_input("fewer than 3 usable rows, or x takes one value only: nothing to fit");
    return 0;
}

/* Copies the '#' lines at the top of path to out; -1 when they cannot be
 * read (out of memory: the table lost its provenance and exited 0). */
static int copy_comment_lines(const char *path, FILE *out)
{
    FILE *in = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = 0;
    while (in && (got = getline(&line, &cap, in)) > 0 && line[0] == '#')
        fputs(line, out); /* whole lines, of any length (the table has no NUL: it was read first) */
    int bad = !in || (got < 0 && !feof(in));
    free(line);
    if (in)
        fclose(in);
    return bad ? -1 : 0;
}

static int cmd_table(int argc, char **argv)
{
    char msg[TTT_IO_MSG + 256];
    const char *file = NULL, *out = NULL, *format_name = "tsv", *format_given = NULL;
    const char *specs[64];
    char *ylist = NULL;
    size_t nq = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--y") && has && !ylist)
            ylist = argv[++i];
        else if (!strcmp(a, "--format") && has)
            once(format_given, a), format_name = format_given = argv[++i];
        else if (!strcmp(a, "--out") && has)
            once(out, a), out = argv[++i];
        else if (a[0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown, repeated or incomplete option '%s'; allowed: --y SPEC,SPEC,..., "
                     "--format tsv|md|latex, --out FILE", a);
            die_input(msg);
        } else if (!file)
            file = a;
        else
            die_input("table takes one sweep.tsv");
    }
    if (!file || !ylist)
        die_input("table needs FILE --y SPEC,SPEC,... (SPEC: ESTIMATOR, ESTIMATOR:COLUMN, COLUMN or A/B)");
    ttt_format format = !strcmp(format_name, "tsv") ? TTT_FORMAT_TSV
                        : !strcmp(format_name, "md") ? TTT_FORMAT_MARKDOWN
                        : !strcmp(format_name, "latex") ? TTT_FORMAT_LATEX : (ttt_format)-1;
    if ((int)format < 0) {
        ttt_msg(msg, sizeof msg, "--format '%s' is not allowed; allowed: tsv, md, latex", format_name);
        die_input(msg);
    }
    size_t given = 0;
    for (char *tok = strtok(ylist, ","); tok; tok = strtok(NULL, ","))
        if (++given <= 64)
            specs[nq++] = tok;
    if (given > 64) {
        ttt_msg(msg, sizeof msg, "--y has %zu specs; allowed: at most 64", given);
        die_input(msg);
    }
    if (!nq)
        die_input("--y needs at least one SPEC");
    errno = 0;
    ttt_table *t = ttt_table_read(file, msg);
    if (!t)
        die_input_or_fault(msg);
    ttt_points *p = ttt_summarize(t, specs, nq, msg);
    ttt_table_free(t);
    if (!p) {
        char full[sizeof msg + 8];
        ttt_msg(full, sizeof full, "%s: %s", file, msg);
        die_input_or_fault(full);
    }
    ttt_outfile *of = NULL;
    FILE *fp = stdout;
    int status = out ? ttt_outfile_open(out, &of, &fp, msg) : GSL_SUCCESS;
    if (status) {
        ttt_points_free(p);
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    int bad = 0;
    if (format == TTT_FORMAT_TSV) {
        bad = copy_comment_lines(file, fp) != 0;
        fprintf(fp, "# ttt table %s --y", file);
        for (size_t q = 0; q < nq; q++)
            fprintf(fp, "%c%s", q ? ',' : ' ', specs[q]);
        fprintf(fp, ": mean over replicates and its standard error (NAME_se)\n");
    }
    bad |= ttt_points_write(fp, p, format) != 0;
    ttt_points_free(p);
    if (out) {
        if (bad) {
            ttt_outfile_abort(of);
            fprintf(stderr, "ttt: cannot write %s: %s\n", out, ttt_msg_errno(errno));
            return 1;
        }
        if (ttt_outfile_commit(of, msg)) {
            fprintf(stderr, "ttt: %s\n", msg);
            return 1;
        }
    } else if (fflush(stdout) != 0 || bad) {
        fprintf(stderr, "ttt: cannot write the table to standard output: %s\n", ttt_msg_errno(errno));
        return 1;
    }
    return 0;
}

/* The teaching instance of `ttt demo`: six concepts in a plane, three
 * topics of two concepts each. */
static const char *const demo_words[] = {"d1=6", "d2=2", "s=2", "topics=3", "pool=2", "n=300", "m=200",
                                         "k=20", "sigma=0.05", "sparse=off", "seed=4", NULL};
/* Neighbourhood sizes of the k curve (those up to n are used). */
static const size_t demo_ks[] = {1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 130, 160, 200, 250};
#define DEMO_NK (sizeof demo_ks / sizeof demo_ks[0])

static void show_vector(const char *name, const double *v, size_t n)
{
    printf("%s(", name);
    for (size_t j = 0; j < n; j++)
        printf("%s%.3f", j ? ", " : "", v[j]);
    printf(")");
}

static int cmd_demo(int argc, char **argv)
{
    /* The teaching instance first, then the user's words over it. */
    size_t nd = sizeof demo_words / sizeof demo_words[0] - 1;
    char **args = malloc(((size_t)argc + nd + 1) * sizeof *args);
    if (!args)
        return 1;
    args[0] = argv[0];
    args[1] = argv[1];
    for (size_t i = 0; i < nd; i++)
        args[2 + i] = (char *)demo_words[i];
    for (int i = 2; i < argc; i++)
        args[nd + (size_t)i] = argv[i];
    options o = {0};
    parse(argc + (int)nd, args, &o, ALLOW_QUIET); /* no FILE: demo's own keys would override it */
    free(args);
    if (o.p.d2 != 2)
        die_input("demo draws the feature plane: d2 must be 2; allowed: any other key=value");
    if (!o.out)
        o.out = "teach-out";
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    check_limits(cost.bytes, cost.seconds, main_phase(&cost, 0), "this demo", o.force, o.quiet);
    char msg[TTT_IO_MSG];
    ttt_params p = o.p;
    const size_t n = p.n, d1 = p.d1, kmax = demo_ks[DEMO_NK - 1] < n ? demo_ks[DEMO_NK - 1] : n;
    double curve[DEMO_NK][4];
    size_t nk = 0;
    ttt_report *r = NULL;
    int status = ttt_run(&o.p, &r);
    /* The k curve: the same instance (the seed fixes it) at each k; the run
       at the chosen k is r itself. */
    for (size_t j = 0; j < DEMO_NK && demo_ks[j] <= n && !status; j++) {
        p.k = demo_ks[j];
        ttt_report *rk = p.k == o.p.k ? r : NULL;
        if (rk || !(status = ttt_run(&p, &rk))) {
            curve[nk][0] = (double)p.k;
            curve[nk][1] = rk->est[TTT_EST_TTT].mse;
            curve[nk][2] = rk->est[TTT_EST_TTT].se;
            curve[nk][3] = rk->est[TTT_EST_KNN].mse;
            nk++;
        }
        if (rk != r)
            ttt_report_free(rk);
    }
    /* Test point 0: its neighbours in order up to kmax, and its local head. */
    size_t *order = malloc(kmax * sizeof *order), *rank = malloc(n * sizeof *rank);
    double v[2];
    if (!status && (!order || !rank))
        status = GSL_ENOMEM;
    if (!status) {
        ttt_data one = r->in->test;
        one.n = 1;
        status = ttt_neighbours_find(&r->in->train, &one, d1, kmax, o.p.space, o.p.metric, order);
    }
    if (!status)
        status = ttt_estimate_head(r->in, r->nbr, o.p.k, v);
    int rc = 1;
    if (status) {
        fprintf(stderr, "ttt: %s\n", ttt_msg_status(status, "this demo"));
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        rank[i] = 0;
    for (size_t a = 0; a < kmax; a++)
        rank[order[a]] = a + 1;

    const ttt_instance *in = r->in;
    const double *vg = r->res->v_global;
    ttt_outdir *dir = open_outdir(o.out);
    const char *names[5] = {"concepts.tsv", "points.tsv", "test.tsv", "heads.tsv", "k.tsv"};
    FILE *fp[5];
    int bad = 0;
    for (int f = 0; f < 5 && !bad; f++)
        bad = !(fp[f] = ttt_outdir_file(dir, names[f], msg)) || ttt_io_header(fp[f], &o.p, o.command);
    if (!bad) {
        fprintf(fp[0], "concept\ta1\ta2\n");
        for (size_t j = 0; j < d1; j++) {
            fprintf(fp[0], "%zu\t", j + 1);
            put(fp[0], in->A[j * 2], "\t");
            put(fp[0], in->A[j * 2 + 1], "\n");
        }
        /* rank: position among test point 0's nearest neighbours (0: beyond kmax). */
        fprintf(fp[1], "psi1\tpsi2\ttopic\tf\ty\trank\tglobal\tttt_head\n");
        for (size_t i = 0; i < n; i++) {
            const double *x = in->train.psi + 2 * i;
            put(fp[1], x[0], "\t");
            put(fp[1], x[1], "\t");
            fprintf(fp[1], "%d\t", (int)in->train.topic[i]);
            put(fp[1], in->train.f[i], "\t");
            put(fp[1], in->train.y[i], "\t");
            fprintf(fp[1], "%zu\t", rank[i]);
            put(fp[1], x[0] * vg[0] + x[1] * vg[1], "\t");
            put(fp[1], x[0] * v[0] + x[1] * v[1], "\n");
        }
        const double *xs = in->test.psi;
        fprintf(fp[2], "psi1\tpsi2\ttopic\tf\tglobal\tttt\tk\n");
        put(fp[2], xs[0], "\t");
        put(fp[2], xs[1], "\t");
        fprintf(fp[2], "%d\t", (int)in->test.topic[0]);
        put(fp[2], in->test.f[0], "\t");
        put(fp[2], r->res->pred[TTT_EST_GLOBAL * r->res->m], "\t");
        put(fp[2], r->res->pred[TTT_EST_TTT * r->res->m], "\t");
        fprintf(fp[2], "%zu\n", (size_t)o.p.k);
        fprintf(fp[3], "head\tv1\tv2\nglobal\t");
        put(fp[3], vg[0], "\t");
        put(fp[3], vg[1], "\nttt\t");
        put(fp[3], v[0], "\t");
        put(fp[3], v[1], "\n");
        fprintf(fp[4], "k\tttt_mse\tttt_se\tknn_mse\tglobal_mse\n");
        for (size_t j = 0; j < nk; j++) {
            fprintf(fp[4], "%zu\t", (size_t)curve[j][0]);
            put(fp[4], curve[j][1], "\t");
            put(fp[4], curve[j][2], "\t");
            put(fp[4], curve[j][3], "\t");
            put(fp[4], r->est[TTT_EST_GLOBAL].mse, "\n");
        }
    }
    if (bad)
        ttt_outdir_abort(dir);
    else if (ttt_outdir_commit(dir, msg) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "ttt: %s\n", msg);
        goto done;
    }
    rc = 0;
    if (!o.quiet) {
        /* The narrated walkthrough: the same numbers the files hold. */
        const size_t q = in->q, k = o.p.k, m = o.p.m;
        printf("A walk through test-time training, step by step (all numbers from this run).\n\n");
        printf("1. The world has d1 = %zu concepts, but the model has only d2 = %zu feature dimensions.\n"
               "   Each concept is a direction in the feature plane (a column of the dictionary A):\n", d1, (size_t)2);
        for (size_t j = 0; j < d1 && j < 12; j++)
            printf("     concept %zu -> (%+.3f, %+.3f)\n", j + 1, in->A[2 * j], in->A[2 * j + 1]);
        printf("   %zu concepts cannot be orthogonal in %zu dimensions: they are stored in superposition.\n\n",
               d1, (size_t)2);
        printf("2. There are %zu topics; each uses a pool of %zu concepts:\n", (size_t)o.p.topics, (size_t)o.p.pool);
        for (size_t t = 0; t < o.p.topics && t < 8; t++) {
            printf("     topic %zu: concepts", t);
            for (size_t a = 0; a < o.p.pool; a++)
                printf(" %d", (int)in->pools[t * o.p.pool + a] + 1);
            printf("\n");
        }
        printf("\n3. A data point picks a topic and s = %zu of its concepts with positive weights (norm 1).\n"
               "   Training point 0: topic %d, concepts", (size_t)o.p.s, (int)in->train.topic[0]);
        for (size_t a = 0; a < q; a++)
            printf(" %d (weight %.3f)", (int)in->train.phi_idx[a] + 1, in->train.phi_val[a]);
        printf("\n   The model sees only its features psi = A phi = (%.3f, %.3f).\n", in->train.psi[0],
               in->train.psi[1]);
        printf("   Its label is linear in the concepts: f = <phi, w*> = %.3f, observed as y = f + noise = %.3f.\n\n",
               in->train.f[0], in->train.y[0]);
        printf("4. The global model fits one linear head on all n = %zu points: ", n);
        show_vector("v_global = ", vg, 2);
        printf(".\n   With %zu concepts squeezed into 2 directions one head cannot fit them all:\n"
               "   its test MSE is %.4f (relative error %.2f of the variance of f).\n\n",
               d1, r->est[TTT_EST_GLOBAL].mse, r->est[TTT_EST_GLOBAL].rel);
        size_t same = 0;
        for (size_t a = 0; a < k; a++)
            same += in->train.topic[r->nbr[a]] == in->test.topic[0];
        printf("5. Test-time training: for test point 0 (topic %d, features (%.3f, %.3f), f = %.3f)\n"
               "   take its k = %zu nearest training points in feature space (%zu of them share its topic)\n"
               "   and fit a head on them only: ", (int)in->test.topic[0], in->test.psi[0], in->test.psi[1],
               in->test.f[0], k, same);
        show_vector("v_ttt = ", v, 2);
        printf(".\n   Global predicts %.3f, TTT predicts %.3f (truth %.3f).\n\n",
               r->res->pred[TTT_EST_GLOBAL * r->res->m], r->res->pred[TTT_EST_TTT * r->res->m], in->test.f[0]);
        printf("6. Over all m = %zu test points: global MSE %.4f, TTT MSE %.4f: TTT is %.0fx better.\n"
               "   Locally only the topic's %zu concepts matter, and 2 dimensions are enough for them.\n\n",
               m, r->est[TTT_EST_GLOBAL].mse, r->est[TTT_EST_TTT].mse,
               r->est[TTT_EST_GLOBAL].mse / r->est[TTT_EST_TTT].mse, (size_t)o.p.pool);
        size_t best = 0;
        for (size_t j = 1; j < nk; j++)
            best = curve[j][1] < curve[best][1] ? j : best;
        printf("7. The neighbourhood size matters (TTT MSE by k):");
        for (size_t j = 0; j < nk; j++)
            printf("%s k=%zu: %.4f", j % 5 ? "," : "\n     ", (size_t)curve[j][0], curve[j][1]);
        size_t peak = 0;
        for (size_t j = 1; j < nk && curve[j][0] <= 2.0 * (double)o.p.s; j++)
            peak = curve[j][1] > curve[peak][1] ? j : peak;
        printf("\n   At k = %zu the local system has as many points as unknowns and the fit interpolates the\n"
               "   noise (the interpolation peak); it is best near k = %zu; with too many neighbours the\n"
               "   neighbourhood leaves the topic and TTT drifts back towards the global error.\n\n",
               (size_t)curve[peak][0], (size_t)curve[best][0]);
        printf("Files: %s/{concepts,points,test,heads,k}.tsv; pictures: make teach\n", o.out);
    }
done:
    ttt_report_free(r);
    free(order);
    free(rank);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    int quick = 0;
    size_t chosen[64], nchosen = 0, threads = 0;
    char msg[TTT_PARAMS_MSG];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--list")) {
            if (argc > 3)
                die_input("--list takes no other arguments; allowed: ttt verify --list, or ttt verify [NAME ...] "
                          "[--quick] [threads=N]");
            for (size_t c = 0; c < ttt_verify_count(); c++)
                printf("%-15s %s\n%-15s   catches: %s\n", ttt_verify_name(c), ttt_verify_claim(c), "",
                       ttt_verify_catches(c));
            return 0;
        } else if (!strncmp(argv[i], "threads=", 8)) {
            ttt_params p;
            ttt_params_default(&p);
            if (ttt_params_set_word(&p, argv[i], msg))
                die_input(msg);
            threads = p.threads;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --list, --quick, threads=N, check names", argv[i]);
            die_input(msg);
        } else {
            size_t c = ttt_verify_find(argv[i]);
            if (c == (size_t)-1 || nchosen == 64) {
                ttt_msg(msg, sizeof msg, "no check named '%s'; 'ttt verify --list' names them", argv[i]);
                die_input(msg);
            }
            chosen[nchosen++] = c;
        }
    }
    if (!nchosen)
        for (size_t c = 0; c < ttt_verify_count() && c < 64; c++)
            chosen[nchosen++] = c;
    printf("%-15s %-52s %-30s %-30s %s\n", "check", "claim", "predicted", "measured [95% interval]", "result");
    size_t failed = 0;
    ttt_verify_row *rows = calloc(nchosen, sizeof *rows);
    double t0 = ttt_seconds();
    for (size_t i = 0; i < nchosen; i++) {
        size_t c = chosen[i];
        double t = ttt_seconds();
        int status = ttt_verify_run(c, quick, threads, &rows[i]);
        if (status) {
            snprintf(rows[i].measured, sizeof rows[i].measured, "run failed: %s", gsl_strerror(status));
            rows[i].pass = 0;
        }
        failed += !rows[i].pass;
        printf("%-15s %-52s %-30s %-30s %s\n", ttt_verify_name(c), ttt_verify_claim(c), rows[i].predicted,
               rows[i].measured, rows[i].pass ? "PASS" : "FAIL");
        fflush(stdout);
        fprintf(stderr, "  %s: %.1fs\n", ttt_verify_name(c), ttt_seconds() - t);
    }
    printf("\ntolerances and configurations:\n");
    for (size_t i = 0; i < nchosen; i++)
        printf("%-15s %s; %s\n%-15s catches: %s\n", ttt_verify_name(chosen[i]), rows[i].tolerance, rows[i].detail,
               "", ttt_verify_catches(chosen[i]));
    printf("\n%zu of %zu checks passed (%s profile, %.1fs)\n", nchosen - failed, nchosen, quick ? "quick" : "full",
           ttt_seconds() - t0);
    free(rows);
    return failed ? 1 : 0;
}

static volatile int interrupted;

static void on_sigint(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C kills at once */
}

/* The sweep's estimate: jobs run in parallel, one thread each, so time is
 * the jobs' serial estimates over the threads and memory the largest job's
 * times the threads.  Over 1e5 points, every (points / 1e5)-th stands for
 * its neighbours. */
static void sweep_limits(const ttt_sweep *sw, int force, int quiet)
{
    const size_t points = ttt_sweep_points(sw), step = points > 100000 ? points / 100000 : 1;
    const size_t threads = sw->base.threads ? sw->base.threads : (size_t)omp_get_max_threads();
    ttt_cost all = {0}, c;
    for (size_t pt = 0; pt < points; pt += step) {
        ttt_params p;
        char msg[TTT_PARAMS_MSG];
        if (ttt_sweep_job_params(sw, pt * sw->reps, &p, msg))
            continue;
        ttt_run_cost(&p, 1, &c);
        const double w = (double)(sw->reps * (pt + step <= points ? step : points - pt)) / (double)sw->shards;
        all.bytes = c.bytes > all.bytes ? c.bytes : all.bytes;
        all.generate += w * c.generate;
        all.analytic += w * c.analytic;
        all.global += w * c.global;
        all.neighbours += w * c.neighbours;
        all.local += w * c.local;
        all.sparse += w * c.sparse;
        all.serial_seconds += w * c.serial_seconds;
    }
    const size_t jobs = ttt_sweep_shard_jobs(sw), busy = threads < jobs ? threads : jobs;
    check_limits(all.bytes * (double)busy, all.serial_seconds / (double)busy, main_phase(&all, 0), "this sweep",
                 force, quiet);
}

static int cmd_sweep(int argc, char **argv)
{
    char msg[TTT_PARAMS_MSG];
    const char *file = NULL, *out = NULL, *shard = NULL;
    int resume = 0, quiet = 0, force = 0;
    ttt_params base;
    ttt_params_default(&base);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (!strcmp(argv[i], "--shard")) {
            if (i + 1 >= argc)
                die_input("--shard needs I/N (run the jobs j with j mod N = I - 1)");
            once(shard, "--shard");
            shard = argv[++i];
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR, --resume, --shard I/N, --quiet, "
                    "--force", argv[i]);
            die_input(msg);
        } else if (!strchr(argv[i], '=')) {
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                die_input(msg);
            }
            file = argv[i];
        }
    }
    if (!out)
        die_input("sweep needs --out DIR");
    if (file && ttt_params_read_file(&base, file, msg))
        die_input(msg);
    /* Single values and reps first, then the axes, so that every axis value
     * is checked against the complete base. */
    ttt_sweep sw;
    ttt_sweep_init(&sw, &base);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 2; i < argc; i++) {
            const char *w = argv[i], *eq = strchr(w, '=');
            if (w[0] == '-' || !eq || (pass == 0) == (strncmp(w, "reps=", 5) && strpbrk(eq + 1, ",:") != NULL))
                continue;
            errno = 0;
            if (ttt_sweep_word(&sw, w, msg))
                die_input_or_fault(msg);
        }
    if (shard && ttt_sweep_set_shard(&sw, shard, msg))
        die_input(msg);
    errno = 0;
    if (ttt_sweep_check(&sw, msg)) /* refuses more than 1e7 jobs first */
        die_input_or_fault(msg);
    sweep_limits(&sw, force, quiet || ttt_sweep_dir_rank() > 0);

    char dmsg[TTT_SWEEP_DIR_MSG];
    ttt_sweep_dir_opts o = {out, resume, quiet, argc, ttt_msg_escape_argv(argc, argv)};
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    int status = ttt_sweep_dir_run(&sw, &o, &interrupted, dmsg);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (status)
        fprintf(stderr, "ttt: %s\n", dmsg);
    if (status == TTT_SWEEP_STOPPED)
        ttt_sweep_dir_abort(130);
    return !status ? 0 : status == GSL_EINVAL ? 2 : status == TTT_SWEEP_STOPPED ? 130 : 1;
}

static int cmd_merge(int argc, char **argv)
{
    char msg[TTT_SWEEP_DIR_MSG];
    const char *out = NULL;
    char **dirs = malloc((size_t)argc * sizeof *dirs);
    size_t n = 0;
    if (!dirs) {
        fprintf(stderr, "ttt: out of memory\n");
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            die_input(ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR", argv[i]));
        } else
            dirs[n++] = argv[i];
    }
    if (!out || !n)
        die_input("merge needs the shard directories and --out DIR: ttt merge SHARD_DIR... --out DIR");
    int status = ttt_sweep_merge(dirs, n, out, msg);
    free(dirs);
    if (status) {
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    fprintf(stderr, "wrote %s/sweep.tsv (%zu shards)\n", out, n);
    return 0;
}

static int dispatch(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    /* help, --version and defaults take no arguments (but any command --help prints the usage) */
    int asks_help = 0;
    for (int i = 2; i < argc; i++)
        asks_help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    const int bare = !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
                     !strcmp(cmd, "--version") || !strcmp(cmd, "defaults");
    if (bare && argc > 2 && !(asks_help && (!strcmp(cmd, "defaults") || !strcmp(cmd, "--version")))) {
        char msg[TTT_PARAMS_MSG];
        die_input(ttt_msg(msg, sizeof msg, "%s takes no arguments ('%s'); allowed: ttt %s", cmd, argv[2], cmd));
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("ttt %s (git %s), gsl %s, cblas %s\n", TTT_VERSION, TTT_GIT_REV, gsl_version, TTT_CBLAS);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (!strcmp(cmd, "defaults")) {
        ttt_params p;
        ttt_params_default(&p);
        printf("# ttt %s: every key, its default, its range and meaning\n", TTT_VERSION);
        return ttt_params_write(&p, stdout, "", 1) ? 1 : 0;
    }
    if (!strcmp(cmd, "presets")) {
        if (argc > 2)
            die_input("presets takes no arguments");
        for (size_t i = 0; i < ttt_preset_count(); i++)
            printf("%-10s %s\n%-10s   keys: %s\n", ttt_preset_name(i), ttt_preset_about(i), "",
                   *ttt_preset_words(i) ? ttt_preset_words(i) : "(none)");
        return fflush(stdout) || ferror(stdout) ? 1 : 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv, 0);
    if (!strcmp(cmd, "table"))
        return cmd_table(argc, argv);
    if (!strcmp(cmd, "demo"))
        return cmd_demo(argc, argv);
    if (!strcmp(cmd, "generate"))
        return cmd_run(argc, argv, 1);
    if (!strcmp(cmd, "sweep"))
        return cmd_sweep(argc, argv);
    if (!strcmp(cmd, "merge"))
        return cmd_merge(argc, argv);
    if (!strcmp(cmd, "fit"))
        return cmd_fit(argc, argv);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc, argv);
    char msg[TTT_PARAMS_MSG];
    die_input(ttt_msg(msg, sizeof msg, "unknown command '%s'; allowed: run, generate, sweep, merge, fit, table, demo, verify, "
                      "defaults, presets, help", cmd));
    return 2;
}

#ifdef TTT_MPI
static void mpi_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}
#endif

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
#ifdef TTT_MPI
    /* build/ttt-mpi: under mpirun with more than one rank it runs sweeps only;
     * ranks other than 0 stay silent (their failures reach rank 0). */
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    atexit(mpi_finalize);
    if (ttt_sweep_dir_ranks() > 1) {
        if (ttt_sweep_dir_rank() > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
            return 1;
        if (argc < 2 || strcmp(argv[1], "sweep")) {
            fprintf(stderr, "ttt: '%s' under %d MPI ranks; allowed: sweep (run other commands with one rank or "
                    "build/ttt)\n", argc < 2 ? "" : argv[1], ttt_sweep_dir_ranks());
            return 2;
        }
    }
#endif
    int rc = dispatch(argc, argv);
    /* Whatever went to standard output must have arrived (> /dev/full, a closed pipe). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ttt: cannot write to standard output: %s\n", strerror(errno ? errno : EIO));
        return rc ? rc : 1;
    }
    return rc;
}
