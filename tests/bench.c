/* make bench: where the time of a run goes and how far each phase is from
 * the machine's limits.  Not a test: it prints numbers and never fails on
 * them.
 *
 *   ttt-bench [key=value ...] [--out DIR]
 *
 * 1. The limits, sampled between the runs (the best of the samples): dgemm
 *    GFLOP/s (a square dgemm on all threads and on one) and read bandwidth
 *    (GB/s, a sum over BW_BYTES, all threads).
 * 2. Each phase of the run (best of REPS): its seconds, its work from
 *    ttt_run_work (the description the cost model prices), the rate it
 *    achieves, its time at the limits, max(flops / dgemm rate, bytes /
 *    bandwidth), and the fraction of that limit it reaches; their sums
 *    beside the whole run.  local is timed with sparse=off; sparse is local
 *    with sparse=on minus that.  Where the CPU has AMX tiles, sparse again
 *    with the decoder's bfloat16 keys in vectors: the tiles' gain, measured
 *    in the same run.
 * 3. Growth: the whole run with sparse=off at x/2, x, 2x of n, d1, d2 and k,
 *    the log-log slope of the seconds beside the cost model's and the
 *    limits'.
 * 4. With --out DIR: the sparse=off instance, its predictions and the
 *    seconds of the estimators tests/bench_numpy.py recomputes (bench.tsv). */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ttt_io.h"
#include "ttt_kernel.h"
#include "ttt_lsq.h"
#include "ttt_report_io.h"
#include "ttt_run.h"

#define REPS 6 /* even: the pairs of runs in main take each order as often */
#define SCAN_REPS 3
#define GEMM_N 2000
#define BW_BYTES 256e6

typedef struct {
    double gflops, gflops_one; /* dgemm GFLOP/s, all threads and one */
    double bandwidth, touch;   /* GB/s read, and written to pages never touched before (page faults) */
} limits;

static int threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static void set_threads(int t)
{
#ifdef _OPENMP
    omp_set_num_threads(t);
#else
    (void)t;
#endif
}

/* What measures the limits: the dgemm operands and the array summed,
 * allocated once and sampled between the runs. */
typedef struct {
    double *A, *B, *C, *x;
    size_t len;
} probe;

static double dgemm_seconds(const probe *pr)
{
    double t0 = ttt_run_seconds();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GEMM_N, GEMM_N, GEMM_N, 1.0, pr->A, GEMM_N, pr->B, GEMM_N,
                0.0, pr->C, GEMM_N);
    return ttt_run_seconds() - t0;
}

/* A parallel sum over x, eight partial sums per thread so that the adds
 * are not what limits it. */
static double sum_seconds(const probe *pr)
{
    double t0 = ttt_run_seconds(), sum = 0.0;
#pragma omp parallel reduction(+ : sum)
    {
        double acc[8] = {0.0};
#pragma omp for schedule(static)
        for (size_t i = 0; i < pr->len / 8; i++)
            for (int l = 0; l < 8; l++)
                acc[l] += pr->x[8 * i + l];
        for (int l = 0; l < 8; l++)
            sum += acc[l];
    }
    double t = ttt_run_seconds() - t0;
    return sum == (double)pr->len ? t : NAN;
}

/* Allocates the probe; lim->touch is the GB/s of filling x, fresh memory
 * (page faults included), and the rates start at 0. */
static int probe_alloc(probe *pr, limits *lim)
{
    const size_t n2 = (size_t)GEMM_N * GEMM_N;
    pr->len = (size_t)(BW_BYTES / 64.0) * 8;
    pr->A = malloc(n2 * sizeof *pr->A);
    pr->B = malloc(n2 * sizeof *pr->B);
    pr->C = malloc(n2 * sizeof *pr->C);
    double t0 = ttt_run_seconds();
    pr->x = malloc(pr->len * sizeof *pr->x);
    if (!pr->A || !pr->B || !pr->C || !pr->x)
        return -1;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < pr->len; i++)
        pr->x[i] = 1.0; /* each thread touches first the pages it will read */
    *lim = (limits){0.0, 0.0, 0.0, (double)pr->len * sizeof *pr->x / (ttt_run_seconds() - t0) * 1e-9};
    for (size_t i = 0; i < n2; i++) {
        pr->A[i] = 1.0 / (double)(i % 7 + 1);
        pr->B[i] = 1.0 / (double)(i % 5 + 2);
    }
    return 0;
}

static void probe_free(probe *pr)
{
    free(pr->A);
    free(pr->B);
    free(pr->C);
    free(pr->x);
}

/* One sample of each limit; lim keeps the best. */
static void probe_sample(const probe *pr, limits *lim)
{
    const int nt = threads();
    const double flops = 2.0 * GEMM_N * (double)GEMM_N * GEMM_N * 1e-9;
    lim->gflops = fmax(lim->gflops, flops / dgemm_seconds(pr));
    set_threads(1);
    lim->gflops_one = fmax(lim->gflops_one, flops / dgemm_seconds(pr));
    set_threads(nt);
    lim->bandwidth = fmax(lim->bandwidth, (double)pr->len * sizeof *pr->x / sum_seconds(pr) * 1e-9);
}

/* Seconds at the limits for work c: its flops at the dgemm rate or its
 * bytes at the bandwidth, whichever takes longer. */
static double at_limit(const ttt_work_count *c, const limits *lim)
{
    return fmax(c->flops / (lim->gflops * 1e9), c->bytes / (lim->bandwidth * 1e9));
}

static void reset(double phase[TTT_PHASE_COUNT], double *total)
{
    *total = HUGE_VAL;
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
        phase[ph] = HUGE_VAL;
}

/* reps runs of p: phase and total keep the best seconds of each phase and
 * of the whole run; *keep gets the last report when keep is not NULL. */
static int time_runs(const ttt_params *p, int reps, double phase[TTT_PHASE_COUNT], double *total, ttt_report **keep)
{
    for (int rep = 0; rep < reps; rep++) {
        ttt_report *r = NULL;
        double t0 = ttt_run_seconds();
        if (ttt_run(p, &r))
            return -1;
        *total = fmin(*total, ttt_run_seconds() - t0);
        for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
            phase[ph] = fmin(phase[ph], r->seconds[ph]);
        if (keep && rep == reps - 1)
            *keep = r;
        else
            ttt_report_free(r);
    }
    return 0;
}

static void print_row(const char *name, double sec, const ttt_work_count *c, const limits *lim, const char *note)
{
    const int memory = c->bytes / lim->bandwidth > c->flops / lim->gflops;
    const double limit = at_limit(c, lim);
    printf("%-10s %8.4f %8.3f %7.3f %8.2f %-4s %6.1f %-4s %8.4f %7.1f%%%s%s\n", name, sec, c->flops * 1e-9,
           c->bytes * 1e-9, (memory ? c->bytes : c->flops) / sec * 1e-9, memory ? "GB/s" : "GF/s",
           memory ? lim->bandwidth : lim->gflops, memory ? "GB/s" : "GF/s", limit, 100.0 * limit / sec,
           *note ? "  " : "", note);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The table of phases: on and off the best seconds of each phase with p and
 * with sparse=off, total and total_off the best whole runs with p and with
 * sparse=off, pair the REPS ratios of the runs taken one after the other
 * (sorted here). */
static void phases(const ttt_params *p, const ttt_params *off, const double on[TTT_PHASE_COUNT],
                   const double off_s[TTT_PHASE_COUNT], double total, double total_off, double pair[REPS],
                   const limits *lim)
{
    ttt_work w, w_off;
    ttt_run_work(p, &w);
    ttt_run_work(off, &w_off);
    printf("phases of the run (%s), best of %d; work from ttt_run_work; limit: the dgemm rate for flops or the "
           "bandwidth for bytes, whichever takes longer\n\n", p->sparse == TTT_ON ? "sparse=on" : "sparse=off",
           REPS);
    printf("%-10s %8s %8s %7s %13s %11s %8s %8s\n", "phase", "seconds", "GFLOP", "GB", "achieved", "limit",
           "at limit", "fraction");
    double sum = 0.0, sum_limit = 0.0, sparse_limit = 0.0;
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++) {
        const int local = ph == TTT_PHASE_LOCAL;
        const double sec = local ? off_s[ph] : on[ph];
        const ttt_work_count *c = local ? &w_off.phase[ph] : &w.phase[ph];
        print_row(ttt_phase_name(ph), sec, c, lim, local ? "the dense estimators (timed with sparse=off)" : "");
        sum += sec;
        sum_limit += at_limit(c, lim);
        if (local && p->sparse == TTT_ON) {
            const double sparse = fmax(on[ph] - off_s[ph], 1e-9);
            print_row("sparse", sparse, &w.sparse, lim, "local with sparse=on minus local with sparse=off");
            sum += sparse;
            sparse_limit = at_limit(&w.sparse, lim);
            sum_limit += sparse_limit;
        }
    }
    printf("%-10s %8.4f %42s %8.4f %7.1f%%\n", "sum", sum, "", sum_limit, 100.0 * sum_limit / sum);
    printf("%-10s %8.4f   the whole ttt_run: %.2f x the sum of its phases' times at the limits\n", "ttt_run", total,
           total / sum_limit);
    if (p->sparse == TTT_ON)
        printf("%-10s %8.4f   the whole ttt_run with sparse=off: %.2f x the sum of its phases' times at the limits "
               "(%.4f s; issue 13: within 2x); sparse=on takes %.2f x sparse=off (issue 13: at most 1.5x)\n",
               "sparse=off", total_off, total_off / (sum_limit - sparse_limit), sum_limit - sparse_limit,
               total / total_off);
    if (p->sparse == TTT_ON) {
        /* The machine's noise, seen in the same ratio taken pair by pair. */
        qsort(pair, REPS, sizeof *pair, cmp_double);
        printf("%-10s %8s   sparse=on over sparse=off in each of the %d pairs of runs taken one after the other: "
               "median %.2f, from %.2f to %.2f (each order in half of them)\n",
               "pairs", "", REPS, 0.5 * (pair[(REPS - 1) / 2] + pair[REPS / 2]), pair[0], pair[REPS - 1]);
    }
    printf("\n");
}

/* Where the CPU has AMX tiles: the sparse part and the whole run with the
 * decoder's bfloat16 keys taken in vectors instead (best of REPS), beside
 * on and total (with the tiles, from the pairs before) and off_s. */
static int without_amx(const ttt_params *p, const double on[TTT_PHASE_COUNT], const double off_s[TTT_PHASE_COUNT],
                       double total)
{
    if (p->sparse != TTT_ON || !ttt_kernel_amx_available())
        return 0;
    double vec[TTT_PHASE_COUNT], run;
    reset(vec, &run);
    const int was = ttt_kernel_use_amx(0);
    const int bad = time_runs(p, REPS, vec, &run, NULL);
    ttt_kernel_use_amx(was);
    if (bad)
        return -1;
    const int ph = TTT_PHASE_LOCAL;
    const double tiles = fmax(on[ph] - off_s[ph], 1e-9), vectors = fmax(vec[ph] - off_s[ph], 1e-9);
    printf("the decoder's bfloat16 keys on the CPU's AMX tiles against in vectors (best of %d each): the sparse part "
           "%.4f s against %.4f s (%.2f x faster), the whole run %.4f s against %.4f s\n\n", REPS, tiles, vectors,
           vectors / tiles, total, run);
    return 0;
}

/* Least-squares slope of log y on log x. */
static double slope(const double *x, const double *y, int len)
{
    double mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < len; i++) {
        mx += log(x[i]) / len;
        my += log(y[i]) / len;
    }
    for (int i = 0; i < len; i++) {
        sxy += (log(x[i]) - mx) * (log(y[i]) - my);
        sxx += (log(x[i]) - mx) * (log(x[i]) - mx);
    }
    return sxy / sxx;
}

static void growth(const ttt_params *off, const limits *lim)
{
    static const char *const keys[] = {"n", "d1", "d2", "k"};
    enum { KEYS = sizeof keys / sizeof *keys };
    ttt_params q[KEYS][3];
    double x[KEYS][3], sec[KEYS][3], phase[TTT_PHASE_COUNT];
    int ok[KEYS][3];
    for (int a = 0; a < KEYS; a++)
        for (int i = 0; i < 3; i++) {
            char word[64], msg[TTT_MSG];
            q[a][i] = *off;
            size_t *field = a == 0 ? &q[a][i].n : a == 1 ? &q[a][i].d1 : a == 2 ? &q[a][i].d2 : &q[a][i].k;
            x[a][i] = i == 0 ? (double)(*field / 2) : i == 1 ? (double)*field : 2.0 * (double)*field;
            snprintf(word, sizeof word, "%s=%.0f", keys[a], x[a][i]);
            q[a][i].pool = 0; /* resolved again from pool_ratio s for the new d1 */
            ok[a][i] = ttt_params_set_word(&q[a][i], word, msg) == GSL_SUCCESS &&
                       ttt_params_check(&q[a][i], msg) == GSL_SUCCESS;
            sec[a][i] = HUGE_VAL;
        }
    /* Round after round over all points, so that a busy moment of the
     * shared machine does not fall on all the runs of one point. */
    for (int rep = 0; rep < SCAN_REPS; rep++)
        for (int a = 0; a < KEYS; a++)
            for (int i = 0; i < 3; i++)
                if (ok[a][i]) {
                    double total = HUGE_VAL;
                    reset(phase, &total);
                    ok[a][i] = time_runs(&q[a][i], 1, phase, &total, NULL) == 0;
                    sec[a][i] = fmin(sec[a][i], total);
                }
    printf("growth: the whole run with sparse=off (kept short), best of %d at x/2, x, 2x; log-log slopes of the "
           "seconds, of the cost model's estimate and of the time at the limits\n\n", SCAN_REPS);
    printf("%-4s %-22s %-26s %9s %6s %6s\n", "key", "values", "seconds", "measured", "model", "limit");
    for (int a = 0; a < KEYS; a++) {
        char vals[64] = "", secs[64] = "";
        double model[3], limit[3];
        for (int i = 0; i < 3; i++) {
            ttt_cost c;
            ttt_run_cost(&q[a][i], 0, &c);
            model[i] = c.seconds;
            ttt_work w;
            ttt_run_work(&q[a][i], &w);
            limit[i] = 0.0;
            for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
                limit[i] += at_limit(&w.phase[ph], lim);
            snprintf(vals + strlen(vals), sizeof vals - strlen(vals), "%.0f ", x[a][i]);
            snprintf(secs + strlen(secs), sizeof secs - strlen(secs), "%.3f ", sec[a][i]);
        }
        if (ok[a][0] && ok[a][1] && ok[a][2])
            printf("%-4s %-22s %-26s %9.2f %6.2f %6.2f\n", keys[a], vals, secs, slope(x[a], sec[a], 3),
                   slope(x[a], model, 3), slope(x[a], limit, 3));
        else
            printf("%-4s %-22s not allowed or failed\n", keys[a], vals);
    }
    printf("\n");
}

/* What tests/bench_numpy.py computes, in C with ttt's own solver: ttt,
 * ttt_global and knn at every test point, in parallel over the points as
 * the local phase runs them (the global head and neighbours come from r).
 * Best seconds of REPS; *differs gets the largest |difference| from the
 * run's ttt predictions (0: the same computation). */
static double same_estimators(const ttt_report *r, double *differs)
{
    const ttt_instance *in = r->in;
    const size_t m = in->p.m, k = in->p.k, d2 = in->p.d2;
    const ttt_results *res = r->res;
    double *pred = malloc(3 * m * sizeof *pred), best = HUGE_VAL;
    int failed = !pred;
    for (int rep = 0; rep < REPS && !failed; rep++) {
        double t0 = ttt_run_seconds();
#pragma omp parallel reduction(| : failed)
        {
            ttt_lsq_workspace *w = ttt_lsq_alloc(k, d2);
            double *X = malloc(k * d2 * sizeof *X), *y = malloc(2 * k * sizeof *y), *v = malloc(d2 * sizeof *v);
            failed = !w || !X || !y || !v;
#pragma omp for schedule(dynamic, 8)
            for (size_t i = 0; i < m; i++) {
                if (failed)
                    continue;
                const size_t *nb = r->nbr + i * k;
                const double *xs = in->test.psi + i * d2;
                double mean = 0.0;
                for (size_t a = 0; a < k; a++) {
                    memcpy(X + a * d2, in->train.psi + nb[a] * d2, d2 * sizeof *X);
                    y[a] = in->train.y[nb[a]];
                    mean += y[a];
                }
                memcpy(y + k, y, k * sizeof *y); /* y - X v_g: the fine-tuned fit's residual */
                cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)k, (int)d2, -1.0, X, (int)d2, res->v_global, 1, 1.0,
                            y + k, 1);
                failed |= ttt_lsq_factor(w, X, k, d2, d2, in->p.ridge, in->p.rcond) != GSL_SUCCESS;
                failed |= ttt_lsq_solve(w, y, v) != GSL_SUCCESS;
                pred[i] = cblas_ddot((int)d2, xs, 1, v, 1);
                failed |= ttt_lsq_solve(w, y + k, v) != GSL_SUCCESS;
                pred[m + i] = res->pred[TTT_EST_GLOBAL * m + i] + cblas_ddot((int)d2, xs, 1, v, 1);
                pred[2 * m + i] = mean / (double)k;
            }
            ttt_lsq_free(w);
            free(X);
            free(y);
            free(v);
        }
        best = fmin(best, ttt_run_seconds() - t0);
    }
    *differs = failed ? NAN : 0.0;
    for (size_t i = 0; i < m && !failed; i++)
        *differs = fmax(*differs, fabs(pred[i] - res->pred[TTT_EST_TTT * m + i]));
    free(pred);
    return best;
}

/* The instance, its predictions and bench.tsv into dir for bench_numpy.py:
 * the best seconds of the global and neighbours phases and of the whole run
 * with sparse=off (off_s, run_off), and of same_estimators. */
static int write_numpy_input(const char *dir, const ttt_params *off, const ttt_report *r,
                             const double off_s[TTT_PHASE_COUNT], double run_off)
{
    char msg[TTT_MSG];
    double differs, local = same_estimators(r, &differs);
    const double global = off_s[TTT_PHASE_GLOBAL], nbr = off_s[TTT_PHASE_NEIGHBOURS];
    printf("for bench_numpy.py: ttt, ttt_global and knn alone (as numpy computes them) %.4f s, best of %d; the "
           "ttt predictions differ from the run's by %.1e\n\n", local, REPS, differs);
    ttt_outdir *o = NULL;
    FILE *fp = NULL;
    int status = ttt_outdir_open(dir, &o, msg);
    if (!status)
        status = ttt_report_io_write(o, r, off, "ttt-bench", msg);
    if (!status)
        status = ttt_io_save_instance(o, r->in, msg);
    if (!status)
        status = ttt_outdir_file(o, "bench.tsv", &fp, msg);
    if (!status) {
        fprintf(fp, "part\tseconds\nglobal\t%.6f\nneighbours\t%.6f\nlocal\t%.6f\ntotal\t%.6f\nrun\t%.6f\n", global,
                nbr, local, global + nbr + local, run_off);
        status = ttt_outdir_commit(o, msg);
    } else {
        ttt_outdir_abort(o);
    }
    if (status)
        fprintf(stderr, "ttt-bench: %s\n", msg);
    return status;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line as it comes, also into a pipe */
    ttt_params p;
    char msg[TTT_MSG];
    const char *out = NULL;
    ttt_params_default(&p);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
            continue;
        }
        if (ttt_params_set_word(&p, argv[i], msg)) {
            fprintf(stderr, "ttt-bench: %s\n", msg);
            return 2;
        }
    }
    if (ttt_params_check(&p, msg)) {
        fprintf(stderr, "ttt-bench: %s\n", msg);
        return 2;
    }
    ttt_params off = p;
    off.sparse = TTT_OFF;
    const int nt = threads();
    printf("ttt-bench: d1=%zu d2=%zu n=%zu m=%zu k=%zu, %d threads\n\n", p.d1, p.d2, p.n, p.m, p.k, nt);

    /* The limits are sampled before each pair of runs (with p and with
     * sparse=off), and each number is the best of its samples: the machine is
     * shared, and a limit is the best it can do. */
    probe pr;
    limits lim;
    if (probe_alloc(&pr, &lim)) {
        fprintf(stderr, "ttt-bench: no memory for the limits' arrays\n");
        return 1;
    }
    double on_s[TTT_PHASE_COUNT], off_s[TTT_PHASE_COUNT], run, run_off;
    ttt_report *r_off = NULL;
    reset(on_s, &run);
    reset(off_s, &run_off);
    double pair[REPS]; /* each pair's whole runs, sparse=on over sparse=off */
    for (int rep = 0; rep < REPS; rep++) {
        probe_sample(&pr, &lim);
        ttt_report **keep = rep + 1 == REPS ? &r_off : NULL;
        double t_on = INFINITY, t_off = INFINITY;
        /* sparse=on first in even pairs, sparse=off first in odd ones: the
         * run right after the probe starts with cold caches and 256 MB just
         * given back, and neither side of the ratio always takes it. */
        const int bad = rep % 2 ? time_runs(&off, 1, off_s, &t_off, keep) || time_runs(&p, 1, on_s, &t_on, NULL)
                                : time_runs(&p, 1, on_s, &t_on, NULL) || time_runs(&off, 1, off_s, &t_off, keep);
        if (bad) {
            fprintf(stderr, "ttt-bench: a run failed\n");
            return 1;
        }
        run = fmin(run, t_on);
        run_off = fmin(run_off, t_off);
        pair[rep] = t_on / t_off;
    }
    probe_sample(&pr, &lim);
    probe_free(&pr);
    printf("limits, the best of %d samples between the runs: dgemm %dx%dx%d %.1f GFLOP/s on %d threads (%.1f on "
           "one); read bandwidth %.1f GB/s on %d threads (a sum over %.0f MB; filling it fresh, page faults "
           "included: %.1f GB/s)\n\n", REPS + 1, GEMM_N, GEMM_N, GEMM_N, lim.gflops, nt, lim.gflops_one,
           lim.bandwidth, nt, BW_BYTES * 1e-6, lim.touch);
    phases(&p, &off, on_s, off_s, run, run_off, pair, &lim);
    if (without_amx(&p, on_s, off_s, run)) {
        fprintf(stderr, "ttt-bench: a run failed\n");
        return 1;
    }
    growth(&off, &lim);
    int status = out ? write_numpy_input(out, &off, r_off, off_s, run_off) : 0;
    ttt_report_free(r_off);
    return status ? 1 : 0;
}
