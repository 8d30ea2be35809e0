/* make bench: where the time of a run goes and how far each phase is from
 * the machine's limits.  Not a test: it prints numbers and never fails on
 * them.
 *
 *   ttt-bench [key=value ...] [--out DIR]
 *
 * 1. The limits, measured here before and after the runs (the better of the
 *    two): dgemm GFLOP/s (a square dgemm on all threads and on one) and read
 *    bandwidth (GB/s, a sum over BW_BYTES, all threads).
 * 2. Each phase of the run (best of REPS): its seconds, its work from
 *    ttt_run_work (the description the cost model prices), the rate it
 *    achieves, its time at the limits, max(flops / dgemm rate, bytes /
 *    bandwidth), and the fraction of that limit it reaches; their sums
 *    beside the whole run.  local is timed with sparse=off; sparse is local
 *    with sparse=on minus that.
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
#include "ttt_lsq.h"
#include "ttt_report_io.h"
#include "ttt_run.h"

#define REPS 5
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

/* Best GFLOP/s of an N x N x N dgemm on the current thread count. */
static double dgemm_rate(size_t N)
{
    double *A = malloc(N * N * sizeof *A), *B = malloc(N * N * sizeof *B), *C = malloc(N * N * sizeof *C);
    double best = HUGE_VAL;
    for (size_t i = 0; A && B && C && i < N * N; i++) {
        A[i] = 1.0 / (double)(i % 7 + 1);
        B[i] = 1.0 / (double)(i % 5 + 2);
    }
    for (int rep = 0; A && B && C && rep < 3; rep++) {
        double t0 = ttt_run_seconds();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)N, (int)N, 1.0, A, (int)N, B, (int)N,
                    0.0, C, (int)N);
        best = fmin(best, ttt_run_seconds() - t0);
    }
    free(A);
    free(B);
    free(C);
    return 2.0 * (double)N * (double)N * (double)N / best * 1e-9;
}

/* Best GB/s of a parallel sum over `bytes` (eight partial sums per thread,
 * so that the adds are not what limits it); *touch: GB/s of filling the
 * fresh array first, page faults included. */
static double read_bandwidth(double bytes, double *touch)
{
    const size_t len = (size_t)(bytes / 64.0) * 8;
    double *x = malloc(len * sizeof *x), best = HUGE_VAL, sink = 0.0, start = ttt_run_seconds();
    *touch = NAN;
    if (!x)
        return NAN;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < len; i++)
        x[i] = 1.0; /* each thread touches first the pages it will read */
    *touch = (double)len * sizeof *x / (ttt_run_seconds() - start) * 1e-9;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = ttt_run_seconds(), sum = 0.0;
#pragma omp parallel reduction(+ : sum)
        {
            double acc[8] = {0.0};
#pragma omp for schedule(static)
            for (size_t i = 0; i < len / 8; i++)
                for (int l = 0; l < 8; l++)
                    acc[l] += x[8 * i + l];
            for (int l = 0; l < 8; l++)
                sum += acc[l];
        }
        best = fmin(best, ttt_run_seconds() - t0);
        sink += sum;
    }
    free(x);
    return sink == (double)len * REPS ? (double)len * sizeof *x / best * 1e-9 : NAN;
}

static void measure_limits(limits *lim)
{
    const int nt = threads();
    lim->gflops = dgemm_rate(GEMM_N);
    set_threads(1);
    lim->gflops_one = dgemm_rate(GEMM_N);
    set_threads(nt);
    lim->bandwidth = read_bandwidth(BW_BYTES, &lim->touch);
}

/* Seconds at the limits for work c: its flops at the dgemm rate or its
 * bytes at the bandwidth, whichever takes longer. */
static double at_limit(const ttt_work_count *c, const limits *lim)
{
    return fmax(c->flops / (lim->gflops * 1e9), c->bytes / (lim->bandwidth * 1e9));
}

/* Best seconds per phase and of the whole run over reps runs of p; *keep
 * gets the last report when keep is not NULL. */
static int time_runs(const ttt_params *p, int reps, double phase[TTT_PHASE_COUNT], double *total, ttt_report **keep)
{
    *total = HUGE_VAL;
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
        phase[ph] = HUGE_VAL;
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

/* The table of phases: on and off the best seconds of each phase with p and
 * with sparse=off, total the best whole run with p. */
static void phases(const ttt_params *p, const ttt_params *off, const double on[TTT_PHASE_COUNT],
                   const double off_s[TTT_PHASE_COUNT], double total, const limits *lim)
{
    ttt_work w, w_off;
    ttt_run_work(p, &w);
    ttt_run_work(off, &w_off);
    printf("phases of the run (%s), best of %d; work from ttt_run_work; limit: the dgemm rate for flops or the "
           "bandwidth for bytes, whichever takes longer\n\n", p->sparse == TTT_ON ? "sparse=on" : "sparse=off",
           REPS);
    printf("%-10s %8s %8s %7s %13s %11s %8s %8s\n", "phase", "seconds", "GFLOP", "GB", "achieved", "limit",
           "at limit", "fraction");
    double sum = 0.0, sum_limit = 0.0;
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
            sum_limit += at_limit(&w.sparse, lim);
        }
    }
    printf("%-10s %8.4f %42s %8.4f %7.1f%%\n", "sum", sum, "", sum_limit, 100.0 * sum_limit / sum);
    printf("%-10s %8.4f   the whole ttt_run: %.1f x the sum of its phases' times at the limits (issue 13: within "
           "2x)\n\n", "ttt_run", total, total / sum_limit);
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
    printf("growth: the whole run with sparse=off (kept short), best of %d at x/2, x, 2x; log-log slopes of the "
           "seconds, of the cost model's estimate and of the time at the limits\n\n", SCAN_REPS);
    printf("%-4s %-22s %-26s %9s %6s %6s\n", "key", "values", "seconds", "measured", "model", "limit");
    for (size_t a = 0; a < sizeof keys / sizeof *keys; a++) {
        double x[3], sec[3], model[3], limit[3], phase[TTT_PHASE_COUNT];
        char vals[64] = "", secs[64] = "";
        int ok = 1;
        for (int i = 0; i < 3 && ok; i++) {
            ttt_params q = *off;
            char word[64], msg[TTT_MSG];
            size_t *field = a == 0 ? &q.n : a == 1 ? &q.d1 : a == 2 ? &q.d2 : &q.k;
            x[i] = i == 0 ? (double)(*field / 2) : i == 1 ? (double)*field : 2.0 * (double)*field;
            snprintf(word, sizeof word, "%s=%.0f", keys[a], x[i]);
            q.pool = 0; /* resolved again from pool_ratio s for the new d1 */
            ok = ttt_params_set_word(&q, word, msg) == GSL_SUCCESS && ttt_params_check(&q, msg) == GSL_SUCCESS &&
                 time_runs(&q, SCAN_REPS, phase, &sec[i], NULL) == 0;
            ttt_cost c;
            ttt_run_cost(&q, 0, &c);
            model[i] = c.seconds;
            ttt_work w;
            ttt_run_work(&q, &w);
            limit[i] = 0.0;
            for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
                limit[i] += at_limit(&w.phase[ph], lim);
            snprintf(vals + strlen(vals), sizeof vals - strlen(vals), "%.0f ", x[i]);
            snprintf(secs + strlen(secs), sizeof secs - strlen(secs), "%.3f ", sec[i]);
        }
        if (ok)
            printf("%-4s %-22s %-26s %9.2f %6.2f %6.2f\n", keys[a], vals, secs, slope(x, sec, 3),
                   slope(x, model, 3), slope(x, limit, 3));
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

    /* The limits before and after the runs, the better of each: the machine
     * is shared, and a limit is the best it can do. */
    limits lim, after;
    measure_limits(&lim);
    double on_s[TTT_PHASE_COUNT], off_s[TTT_PHASE_COUNT], run, run_off;
    ttt_report *r_off = NULL;
    if (time_runs(&p, REPS, on_s, &run, NULL) || time_runs(&off, REPS, off_s, &run_off, &r_off)) {
        fprintf(stderr, "ttt-bench: a run failed\n");
        return 1;
    }
    measure_limits(&after);
    lim.gflops = fmax(lim.gflops, after.gflops);
    lim.gflops_one = fmax(lim.gflops_one, after.gflops_one);
    lim.bandwidth = fmax(lim.bandwidth, after.bandwidth);
    lim.touch = fmax(lim.touch, after.touch);
    printf("limits, the better of before and after the runs: dgemm %dx%dx%d %.1f GFLOP/s on %d threads (%.1f on "
           "one); read bandwidth %.1f GB/s on %d threads (a sum over %.0f MB; filling it fresh, page faults "
           "included: %.1f GB/s)\n\n", GEMM_N, GEMM_N, GEMM_N, lim.gflops, nt, lim.gflops_one, lim.bandwidth, nt,
           BW_BYTES * 1e-6, lim.touch);
    phases(&p, &off, on_s, off_s, run, &lim);
    growth(&off, &lim);
    int status = out ? write_numpy_input(out, &off, r_off, off_s, run_off) : 0;
    ttt_report_free(r_off);
    return status ? 1 : 0;
}
