/* make bench: phase timings of the default run, and the distance kernel's
 * rate next to the machine's dgemm rate measured in the same process.
 * Not a test: it prints numbers and never fails on them.  Best of REPS. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ttt_neighbours.h"
#include "ttt_run.h"

#define REPS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    for (int i = 1; i < argc; i++)
        if (ttt_params_set_word(&p, argv[i], msg)) {
            fprintf(stderr, "ttt-bench: %s\n", msg);
            return 2;
        }
    if (ttt_params_check(&p, msg)) {
        fprintf(stderr, "ttt-bench: %s\n", msg);
        return 2;
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("ttt-bench: d1=%zu d2=%zu n=%zu m=%zu k=%zu, %d threads, best of %d\n\n", p.d1, p.d2, p.n, p.m, p.k,
           threads, REPS);

    double best[TTT_PHASE_COUNT], best_total = 1e300;
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
        best[ph] = 1e300;
    ttt_report *keep = NULL;
    for (int rep = 0; rep < REPS; rep++) {
        ttt_report *r = NULL;
        double t0 = now();
        if (ttt_run(&p, &r)) {
            fprintf(stderr, "ttt-bench: run failed\n");
            return 1;
        }
        double total = now() - t0;
        best_total = total < best_total ? total : best_total;
        for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
            best[ph] = r->seconds[ph] < best[ph] ? r->seconds[ph] : best[ph];
        ttt_report_free(keep);
        keep = r;
    }
    printf("%-12s %10s\n", "phase", "seconds");
    for (int ph = 0; ph < TTT_PHASE_COUNT; ph++)
        printf("%-12s %10.4f\n", ttt_phase_name(ph), best[ph]);
    printf("%-12s %10.4f   (whole ttt_run; target < 2 s)\n\n", "total", best_total);

    /* The distance kernel alone (GEMM + selection) against one plain dgemm of
     * the same m x n x d2 shape, threaded by the BLAS itself. */
    const ttt_data *tr = &keep->in->train, *te = &keep->in->test;
    const double flops = 2.0 * (double)p.m * (double)p.n * (double)p.d2;
    double *C = malloc(p.m * p.n * sizeof *C);
    size_t *idx = malloc(p.m * p.k * sizeof *idx);
    if (!C || !idx)
        return 1;
    double t_knn = 1e300, t_gemm = 1e300;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p.m, (int)p.n, (int)p.d2, -2.0, te->psi,
                    (int)p.d2, tr->psi, (int)p.d2, 0.0, C, (int)p.n);
        double t1 = now();
        ttt_neighbours_find(tr, te, p.d1, p.k, TTT_SPACE_FEATURE, TTT_METRIC_EUCLIDEAN, idx);
        double t2 = now();
        t_gemm = t1 - t0 < t_gemm ? t1 - t0 : t_gemm;
        t_knn = t2 - t1 < t_knn ? t2 - t1 : t_knn;
    }
    printf("dgemm %zux%zux%zu       %8.2f GFLOP/s  (%.4f s)\n", p.m, p.n, p.d2, flops / t_gemm * 1e-9, t_gemm);
    printf("distance kernel + top-k %8.2f GFLOP/s  (%.4f s)\n", flops / t_knn * 1e-9, t_knn);
    printf("ratio kernel / dgemm    %8.2f   (target >= 0.5)\n", t_gemm / t_knn);
    free(C);
    free(idx);
    ttt_report_free(keep);
    return 0;
}
