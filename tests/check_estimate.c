/* ttt_estimate and ttt_run: exactness in the noiseless case, gradient
 * descent's limit, determinism, and the statistical checks against theory. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check_ttt.h"
#include "ttt_run.h"

static ttt_report *run(const char *const *w)
{
    ttt_params p = test_params(w);
    ttt_report *r = NULL;
    ck_assert_int_eq(ttt_run(&p, &r), GSL_SUCCESS);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* Without noise the labels are exactly linear in the codes restricted to S,
 * and psi* lies in the span of the neighbours' features: the oracle and both
 * local least-squares fits must reproduce f wherever S covers the test point
 * and the design has full column rank (k > |S|, |S| <= d2). */
/* The registry: every estimator has a distinct name, says what it fits and
 * when it runs, and runs exactly when its rule holds; the three sparse ones
 * report their support; `ttt estimators --gnuplot` gives each its own line
 * style LT_<name> = position + 1. */
START_TEST(test_estimator_registry)
{
    ttt_params p;
    ttt_params_default(&p);
    p.gd_steps = 0;
    p.sparse = TTT_OFF;
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        const ttt_estimator_info *a = ttt_estimator_about(e);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->name, ttt_estimator_name(e));
        ck_assert(*a->fits && *a->when && *a->colour && a->point > 0);
        for (int f = 0; f < e; f++)
            ck_assert_str_ne(a->name, ttt_estimator_name(f));
        const int sparse = e == TTT_EST_LASSO || e == TTT_EST_LASSO_DECODED || e == TTT_EST_OMP;
        ck_assert_int_eq(a->support, sparse);
        ck_assert_int_eq(ttt_estimator_enabled(&p, e), !sparse && e != TTT_EST_TTT_GD);
    }
    ck_assert_ptr_null(ttt_estimator_about(TTT_EST_COUNT));
    p.gd_steps = 3;
    p.sparse = TTT_ON;
    for (int e = 0; e < TTT_EST_COUNT; e++)
        ck_assert(ttt_estimator_enabled(&p, e));
    char out[4096], err[256];
    ck_assert_int_eq(run_ttt("estimators --gnuplot", out, sizeof out, err, sizeof err), 0);
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        char want[64];
        snprintf(want, sizeof want, "LT_%s = %d\n", ttt_estimator_name(e), e + 1);
        ck_assert_msg(strstr(out, want), "no '%s' in: %s", want, out);
    }
}
END_TEST

START_TEST(test_noiseless_local_fits_are_exact)
{
    const char *w[] = {"d1=1000", "d2=64", "s=5", "topics=40", "n=8000", "m=200", "k=40", "sigma=0", NULL};
    ttt_report *r = run(w);
    const size_t m = r->res->m;
    size_t checked = 0;
    for (size_t i = 0; i < m; i++) {
        if (!r->res->covered[i] || r->res->support[i] + 1 >= 40)
            continue;
        double f = r->in->test.f[i];
        checked++;
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_ORACLE * m + i], f, 1e-9);
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_TTT * m + i], f, 1e-7);
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_TTT_GLOBAL * m + i], f, 1e-7);
        ck_assert(r->res->oracle_var[i] == 0.0);
    }
    ck_assert_uint_gt(checked, m / 2);
    ttt_report_free(r);
}
END_TEST

/* The points of r where the local concept design has full column rank
 * (cond > 0), each checked: its `needed` is the number of weighted concepts
 * among its neighbours' codes.  Returns how many were checked; *most gets
 * the largest such number. */
static size_t check_needed_is_weighted(const ttt_report *r, size_t *most)
{
    const ttt_instance *in = r->in;
    const size_t m = r->res->m, k = in->p.k, q = in->q;
    unsigned char *seen = calloc(in->p.d1, 1);
    ck_assert_ptr_nonnull(seen);
    size_t checked = 0;
    *most = 0;
    for (size_t i = 0; i < m; i++) {
        if (!(r->res->cond[i] > 0.0))
            continue;
        size_t weighted = 0;
        memset(seen, 0, in->p.d1);
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < q; b++) {
                int32_t c = in->train.phi_idx[r->nbr[i * k + a] * q + b];
                weighted += !seen[c] && in->w_star[c] != 0.0;
                seen[c] = 1;
            }
        ck_assert_uint_eq(r->res->needed[i], weighted);
        *most = weighted > *most ? weighted : *most;
        checked++;
    }
    free(seen);
    return checked;
}

/* H2: without noise, least squares on the top r concepts has error equal to
 * its bias alone, which vanishes exactly once every concept of S that carries
 * weight is in (they rank first: the others have zero energy).  So where the
 * local concept design has full column rank, `needed` is the number of
 * weighted concepts in S; with w* = 0 it is 0.  The second run has about 150
 * weighted concepts per neighbourhood (one topic: every neighbour draws from
 * the same 200), so the count crosses several of the
 * blocks of columns that are orthogonalised together.  The regimes: one
 * topic gives purity 1 and a pool's worth of concepts in use. */
START_TEST(test_concepts_needed_are_the_weighted_ones_without_noise)
{
    const char *w[] = {"d1=1000", "d2=64", "s=5", "topics=40", "n=8000", "m=100", "k=40", "sigma=0",
                       "w_law=sparse", "w_rho=0.3", "sparse=off", NULL};
    ttt_report *r = run(w);
    size_t most;
    ck_assert_uint_gt(check_needed_is_weighted(r, &most), r->res->m / 2);
    ttt_report_free(r);
    const char *wide[] = {"d1=1000", "d2=64", "s=5", "topics=1", "pool=200", "n=8000", "m=20", "k=400",
                          "sigma=0", "w_law=sparse", "w_rho=0.9", "sparse=off", NULL};
    r = run(wide);
    ck_assert_uint_gt(check_needed_is_weighted(r, &most), r->res->m / 2);
    ck_assert_uint_gt(most, 100);
    ttt_report_free(r);
    const char *w0[] = {"d1=1000", "d2=64", "s=5", "topics=1", "n=500", "m=20", "k=20", "w_law=sparse",
                        "w_rho=1e-6", "sparse=off", NULL};
    r = run(w0);
    for (size_t i = 0; i < r->res->m; i++)
        ck_assert_uint_eq(r->res->needed[i], 0);
    ck_assert_double_eq(r->purity, 1.0);
    ck_assert_uint_eq(r->in_use, r->in->p.pool);
    ck_assert_int_eq(r->regime[TTT_REGIME_SUPERPOSITION].holds, 0); /* 10 concepts in use < d2 = 64 */
    ttt_report_free(r);
}
END_TEST

/* O1: with orthonormal columns (no superposition) feature distances are
 * concept distances, so both neighbour sets and both cosine histograms must
 * coincide; with d2 << d1 they differ, but every pair is counted once. */
START_TEST(test_geometry_coincides_without_superposition)
{
    const char *w[] = {"d1=64", "d2=64", "dictionary=orthonormal", "s=4", "topics=8", "n=2000", "m=50", "k=20",
                       "sparse=off", NULL};
    ttt_report *r = run(w);
    ck_assert_double_eq_tol(r->overlap, 1.0, 1e-12);
    ck_assert_double_eq_tol(r->cos_feature, r->cos_concept, 1e-12);
    ck_assert(memcmp(r->cos_hist[0], r->cos_hist[1], sizeof r->cos_hist[0]) == 0);
    ttt_report_free(r);
    const char *w2[] = {"d1=2000", "d2=16", "s=4", "topics=8", "n=2000", "m=50", "k=20", "sparse=off", NULL};
    r = run(w2);
    size_t total[2] = {0, 0};
    for (int b = 0; b < TTT_COS_BINS; b++)
        for (int g = 0; g < 2; g++)
            total[g] += r->cos_hist[g][b];
    ck_assert_uint_eq(total[0], 50 * 20);
    ck_assert_uint_eq(total[1], 50 * 20);
    ck_assert(r->overlap < 1.0);
    /* Concept-chosen neighbours are the closest in concept space, so their
       mean cosine (codes have unit norm: cos = 1 - dist^2 / 2) is the larger. */
    ck_assert(r->cos_concept >= r->cos_feature);
    ttt_report_free(r);
}
END_TEST

START_TEST(test_knn_is_the_mean_neighbour_label)
{
    const char *w[] = {"d1=300", "d2=32", "s=4", "topics=10", "n=500", "m=30", "k=7", NULL};
    ttt_report *r = run(w);
    for (size_t i = 0; i < 30; i++) {
        double mean = 0.0;
        for (size_t a = 0; a < 7; a++)
            mean += r->in->train.y[r->nbr[i * 7 + a]];
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_KNN * 30 + i], mean / 7.0, 1e-15);
    }
    ck_assert(!r->res->enabled[TTT_EST_TTT_GD]);
    ttt_report_free(r);
}
END_TEST

/* Gradient descent from v_g converges to the solution nearest to v_g.  The
 * slowest direction here contracts by about 1 - 3e-4 a step (measured: the
 * gap is 1.5e-4 after 1e4 steps), so 1e5 steps leave it below 1e-12. */
START_TEST(test_gradient_steps_converge_to_fine_tuned_fit)
{
    const char *w[] = {"d1=300", "d2=32", "s=2", "pool=4", "topics=5", "n=2000", "m=10", "k=60",
                       "gd_steps=100000", "gd_eta=1", NULL};
    ttt_report *r = run(w);
    ck_assert(r->res->enabled[TTT_EST_TTT_GD]);
    for (size_t i = 0; i < 10; i++)
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_TTT_GD * 10 + i], r->res->pred[TTT_EST_TTT_GLOBAL * 10 + i],
                                1e-9);
    ttt_report_free(r);
    /* With fewer neighbours than concepts (k = 6 < |S|) the test point is not
     * in the neighbours' span, so the start matters: gradient descent from the
     * global head must reach the fine-tuned fit, which differs from the fit
     * from scratch. */
    const char *w2[] = {"d1=300", "d2=32", "s=4", "pool=40", "topics=5", "n=2000", "m=10", "k=6",
                        "gd_steps=100000", "gd_eta=1", "sparse=off", NULL};
    r = run(w2);
    double apart = 0.0;
    for (size_t i = 0; i < 10; i++) {
        const double tg = r->res->pred[TTT_EST_TTT_GLOBAL * 10 + i];
        ck_assert_double_eq_tol(r->res->pred[TTT_EST_TTT_GD * 10 + i], tg, 1e-6);
        apart = fmax(apart, fabs(tg - r->res->pred[TTT_EST_TTT * 10 + i]));
    }
    ck_assert_msg(apart > 1e-3, "fine-tuned and scratch fits coincide (%g): the start does not matter here", apart);
    ttt_report_free(r);
}
END_TEST

START_TEST(test_results_are_the_same_for_any_thread_count)
{
    /* 3 threads as well as 2: the BLAS splits some products differently
     * for an odd count (the global head's eigenbasis projections differed
     * in the last bits with 3 threads while 2 and 4 agreed with 1). */
    const char *w1[] = {"d1=500", "d2=128", "s=4", "topics=20", "n=3000", "m=300", "k=25", "threads=1", NULL};
    const char *w2[] = {"d1=500", "d2=128", "s=4", "topics=20", "n=3000", "m=300", "k=25",
                        _i ? "threads=3" : "threads=2", NULL};
    ttt_report *a = run(w1), *b = run(w2);
    ck_assert_mem_eq(a->nbr, b->nbr, 300 * 25 * sizeof *a->nbr);
    ck_assert_mem_eq(a->res->pred, b->res->pred, TTT_EST_COUNT * 300 * sizeof *a->res->pred);
    ck_assert_mem_eq(a->res->oracle_var, b->res->oracle_var, 300 * sizeof *a->res->oracle_var);
    ck_assert_mem_eq(a->res->v_global, b->res->v_global, 128 * sizeof *a->res->v_global);
    ck_assert_mem_eq(&a->an.e_glob, &b->an.e_glob, sizeof a->an.e_glob);
    ttt_report_free(a);
    ttt_report_free(b);
}
END_TEST

/* A streamed training set (three tiles of a pass, the neighbours drawn
 * again) gives the stored set's run bit for bit: neighbours in both spaces,
 * every estimator's predictions (the sparse ones too: the decoder sees the
 * kept points) and the report's measurements. */
START_TEST(test_streamed_training_set_gives_the_stored_run)
{
    const char *ws[] = {"d1=600", "d2=24", "s=4", "topics=30", "n=140000", "m=60", "k=20", "train=stored",
                        _i ? "space=concept" : "space=feature", NULL};
    const char *wt[] = {"d1=600", "d2=24", "s=4", "topics=30", "n=140000", "m=60", "k=20", "train=streamed",
                        _i ? "space=concept" : "space=feature", NULL};
    ttt_report *a = run(ws), *b = run(wt);
    ck_assert(!a->in->train_streamed && b->in->train_streamed);
    ck_assert_uint_lt(b->in->train.n, 2 * 60 * 20 + 1); /* only the kept points */
    for (size_t x = 0; x < 60 * 20; x++) /* the same points, renumbered */
        ck_assert(!memcmp(a->in->train.psi + a->nbr[x] * 24, b->in->train.psi + b->nbr[x] * 24, 24 * sizeof(double)));
    ck_assert_mem_eq(a->res->pred, b->res->pred, TTT_EST_COUNT * 60 * sizeof *a->res->pred);
    ck_assert_mem_eq(a->res->v_global, b->res->v_global, 24 * sizeof *a->res->v_global);
    ck_assert(a->overlap == b->overlap && a->cos_feature == b->cos_feature && a->cos_concept == b->cos_concept);
    ck_assert(a->distortion == b->distortion && a->support_mean == b->support_mean);
    ttt_report_free(a);
    ttt_report_free(b);
}
END_TEST

/* The global head's test error against the exact population error plus the
 * finite-n correction.  With the head fixed, test errors are independent, so
 * the standard error of their mean is honest; the tolerance is 4 of them.
 * (The correction itself, (E + sigma^2) d2/n ~ 3e-3 here, is below one SE.) */
START_TEST(test_global_error_matches_exact_prediction)
{
    const char *w[] = {"d1=1024", "d2=64", "s=8", "topics=64", "n=20000", "m=20000", "k=5", NULL};
    ttt_report *r = run(w);
    const ttt_summary *g = &r->est[TTT_EST_GLOBAL];
    ck_assert_msg(fabs(g->mse - r->an.e_glob_n) < 4.0 * g->se, "global MSE %g +- %g, predicted %g", g->mse, g->se,
                  r->an.e_glob_n);
    ck_assert_uint_eq(r->res->global_rank, 64);
    ttt_report_free(r);
}
END_TEST

/* The oracle's squared error divided by its exact conditional variance is
 * chi-square(1) when S covers the test point (no bias): mean 1.  Neighbourhoods
 * of one instance overlap, so errors correlate; averaging per instance over R
 * independent instances and taking the SE across instances accounts for that.
 * Tolerance: 4 standard errors. */
START_TEST(test_oracle_error_matches_exact_conditional_variance)
{
    const size_t R = 24;
    sample ratio = {0};
    for (size_t rep = 0; rep < R; rep++) {
        char seed[32];
        snprintf(seed, sizeof seed, "seed=%zu", 100 + rep);
        const char *w[] = {"d1=2048", "d2=64", "s=6", "topics=400", "n=20000", "m=40", "k=30", "sigma=0.3", seed,
                           NULL};
        ttt_report *r = run(w);
        double z = 0.0;
        size_t used = 0;
        for (size_t i = 0; i < 40; i++) {
            if (!r->res->covered[i] || r->res->oracle_var[i] <= 0.0)
                continue;
            double e = r->res->pred[TTT_EST_ORACLE * 40 + i] - r->in->test.f[i];
            z += e * e / r->res->oracle_var[i];
            used++;
        }
        ck_assert_uint_gt(used, 30);
        sample_add(&ratio, z / (double)used);
        ttt_report_free(r);
    }
    double se, mean = sample_mean(&ratio, &se);
    ck_assert_msg(fabs(mean - 1.0) < 4.0 * se, "mean err^2/var = %g +- %g", mean, se);
}
END_TEST

/* The cost model against runs measured on 2026-11-28 (the 2-core
 * development machine; wall seconds of whole runs, the best of up to ten
 * repeats or single runs at the large sizes, phases summed): the 13
 * one-thread runs its rates were fitted to and eleven more (and two of
 * 2026-11-29, below), among them
 * the issue-13 runs and the top point of the concepts-in-use figure (184
 * s) on two threads, and the d1 = 1e9 run both inside one process (1.06
 * s) and as a fresh one (2.1 s).  Each took 0.5 to 2 times its estimate
 * (0.54 to 1.9 when the rates were fitted, the range the README states).
 * No timing here: the measurements are recorded, the estimates
 * deterministic; the last two runs were added on 2026-11-29, on the Intel
 * machine the development VM now is.  On two threads the parts that run
 * on one are not divided: the estimate lies strictly between the
 * one-thread time and half of it; and threads beyond the cores change
 * nothing. */
START_TEST(test_cost_model_matches_recorded_runs)
{
    static const struct {
        const char *words[10];
        double seconds;
    } runs[] = {
        {{"threads=1", NULL}, 0.372},
        {{"threads=1", "sparse=off", NULL}, 0.247},
        {{"threads=1", "n=200000", "sparse=off", NULL}, 0.747},
        {{"threads=1", "d2=512", "sparse=off", NULL}, 0.952},
        {{"threads=1", "k=500", "m=50", "sparse=off", NULL}, 1.731},
        {{"threads=1", "d1=65536", "m=50", NULL}, 0.396},
        {{"threads=1", "space=concept", "sparse=off", NULL}, 0.245},
        {{"threads=1", "k=2000", "m=5", "sparse=off", NULL}, 6.314},
        {{"threads=1", "d1=100000000", "topics=4096", "n=200000", "m=100", "sparse=off", NULL}, 0.917},
        {{"threads=1", "n=3000000", "topics=65536", "m=100", "sparse=off", "train=streamed", NULL}, 7.006},
        {{"threads=1", "d2=1024", "n=20000", "sparse=off", NULL}, 1.683},
        {{"threads=2", "sparse=off", NULL}, 0.134},
        {{"threads=2", NULL}, 0.187},
        {{"threads=2", "n=30000000", "topics=65536", "m=100", "sparse=off", NULL}, 37.2},
        {{"threads=2", "k=2000", "m=20", "sparse=off", NULL}, 14.5},
        {{"threads=2", "d2=2048", "sparse=off", NULL}, 8.75},
        {{"threads=2", "d1=1000000000", "topics=4096", "n=500000", "m=100", "sparse=off", NULL}, 1.06},
        {{"threads=2", "d1=1000000000", "topics=4096", "n=500000", "m=100", "sparse=off", NULL}, 2.1},
        {{"threads=1", "d1=1000000000", "topics=4096", "n=500000", "m=100", "sparse=off", NULL}, 3.41},
        {{"threads=1", "d1=1000000000", "topics=4096", "n=20000", "m=100", "sparse=off", NULL}, 0.313},
        {{"threads=2", "d1=100000000", "topics=4096", "n=200000", "m=100", "sparse=off", NULL}, 0.481},
        {{"threads=1", "generator=counter", "d1=10000000", "background=1", "n=20000", "m=50", "sparse=off", NULL},
         20.365},
        {{"threads=2", "generator=counter", "d1=10000000", "background=1", "n=20000", "m=50", "sparse=off", NULL},
         10.895},
        {{"threads=2", "generator=counter", "d1=1000000000", "topics=655360", "n=41943040", "m=200", "sparse=off",
          NULL},
         184.0},
        /* 2026-11-29, the Intel machine: k = n, the oracle's |S| every concept
         * in use (2591), H2's basis 1 GB and 0.4 GB; the local phase's two
         * points run on one thread.  Estimated at 0.74 and 0.79 of their
         * times; without H2's reads of its basis at 0.51 and 0.56 (inside
         * this test's factor of 2, at its edge), and without the one thread
         * the first at 0.37 (outside: the test fails). */
        {{"threads=2", "k=50000", "m=2", "sparse=off", NULL}, 89.5},
        {{"threads=2", "k=20000", "n=20000", "m=2", "sparse=off", NULL}, 37.7}, /* its basis 0.4 GB */
    };
#ifdef _OPENMP
    const size_t cores = (size_t)omp_get_num_procs();
#else
    const size_t cores = 1;
#endif
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        ttt_params p = test_params(runs[r].words);
        if (p.threads > cores)
            continue; /* recorded on two cores: here the estimate would count one */
        ttt_cost c, many;
        ttt_run_cost(&p, p.threads, &c);
        ttt_run_cost(&p, 1024, &many); /* threads beyond the cores run nothing faster */
        ttt_cost all;
        ttt_run_cost(&p, cores, &all);
        ck_assert_double_eq(many.seconds, all.seconds);
        const double ratio = runs[r].seconds / c.seconds;
        ck_assert_msg(ratio >= 0.5 && ratio <= 2.0, "run %zu (%s %s ...): measured %g s, estimated %g s", r,
                      runs[r].words[0], runs[r].words[1] ? runs[r].words[1] : "", runs[r].seconds, c.seconds);
        if (p.threads == 2)
            ck_assert_msg(c.seconds > 0.5 * c.serial_seconds && c.seconds < c.serial_seconds, "run %zu: %g of %g s",
                          r, c.seconds, c.serial_seconds);
    }
}
END_TEST

/* The memory estimate against the peaks of whole runs measured on
 * 2026-11-28 (the 2-core development machine, two threads: maximum resident
 * set of `/usr/bin/time -f %M`, in KiB).  A run is refused above
 * TTT_MEMORY_SHARE of the memory, so an estimate at least that share of the
 * peak lets through only runs that fit; one over 4 times the peak would
 * refuse runs that need a quarter of the machine (the estimates were 0.92 to
 * 3.7 times the peaks).  The last three come from an audit: before the
 * stored training set's concept index (5.5 GB at n = 1e7), the analytic
 * phase's topic sums (T x d2: 4 GB at T = 5e5, d2 = 1000) and all four
 * neighbour lists (40 bytes a pair, not 16) were counted, they were
 * estimated at 0.34, 0.06 and 0.43 times their peaks. */
START_TEST(test_memory_estimate_covers_recorded_peaks)
{
    static const struct {
        const char *words[12];
        double kib;
    } runs[] = {
        {{NULL}, 101316},
        {{"sparse=off", NULL}, 94992},
        {{"space=concept", "sparse=off", NULL}, 90832},
        {{"d1=65536", "m=50", NULL}, 221016},
        {{"n=200000", "sparse=off", NULL}, 288112},
        {{"k=2000", "m=20", "sparse=off", NULL}, 444380},
        {{"d2=2048", "sparse=off", NULL}, 1204656},
        {{"d1=1000000000", "topics=4096", "n=500000", "m=100", "sparse=off", NULL}, 796700},
        {{"n=10000000", "d2=8", "d1=1000000000", "sparse=off", "train=stored", NULL}, 5454604},
        {{"topics=500000", "d1=1000", "d2=1000", "s=1", "pool=1", "n=2000", "m=10", "k=10", "sparse=off", NULL},
         4045396},
        {{"m=1000000", "k=200", "n=10000", "d2=8", "d1=64", "topics=1", "s=2", "pool=4", "sparse=off", NULL},
         8086100},
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        ttt_params p = test_params(runs[r].words);
        ttt_cost c;
        ttt_run_cost(&p, 2, &c);
        const double ratio = c.bytes / (1024.0 * runs[r].kib);
        ck_assert_msg(ratio >= TTT_MEMORY_SHARE && ratio <= 4.0, "run %zu (%s ...): peak %.3g GB, estimated %.3g GB", r,
                      runs[r].words[0] ? runs[r].words[0] : "defaults", 1024.0 * runs[r].kib / 1e9, c.bytes / 1e9);
    }
}
END_TEST

Suite *make_estimate_suite(void)
{
    Suite *s = suite_create("estimate");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_estimator_registry);
    tcase_add_test(core, test_cost_model_matches_recorded_runs);
    tcase_add_test(core, test_memory_estimate_covers_recorded_peaks);
    tcase_add_test(core, test_noiseless_local_fits_are_exact);
    tcase_add_test(core, test_knn_is_the_mean_neighbour_label);
    tcase_add_test(core, test_concepts_needed_are_the_weighted_ones_without_noise);
    tcase_add_test(core, test_geometry_coincides_without_superposition);
    tcase_add_test(core, test_gradient_steps_converge_to_fine_tuned_fit);
    tcase_add_loop_test(core, test_results_are_the_same_for_any_thread_count, 0, 2);
    tcase_add_loop_test(core, test_streamed_training_set_gives_the_stored_run, 0, 2);
    suite_add_tcase(s, core);
    TCase *stats = tcase_create("stats");
    tcase_set_timeout(stats, 120);
    tcase_add_test(stats, test_global_error_matches_exact_prediction);
    tcase_add_test(stats, test_oracle_error_matches_exact_conditional_variance);
    suite_add_tcase(s, stats);
    return s;
}
