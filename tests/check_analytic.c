/* ttt_analytic: closed forms, Monte Carlo checks of the exact moments, and
 * the paper's isotropic and oracle formulas. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>

#include "check_ttt.h"
#include "ttt_analytic.h"
#include "ttt_rng.h"
#include "ttt_fit.h"
#include "ttt_run.h"

START_TEST(test_moments_have_closed_forms_for_constant_and_signed)
{
    for (size_t q = 1; q <= 40; q += 3) {
        double c, mu;
        ck_assert_int_eq(ttt_analytic_moments(TTT_MAG_CONSTANT, q, 1e-12, &c, &mu), GSL_SUCCESS);
        if (q >= 2)
            ck_assert_double_eq_tol(c, 1.0 / (double)q, 1e-10);
        ck_assert_double_eq_tol(mu, 1.0 / sqrt((double)q), 1e-10);
        ck_assert_int_eq(ttt_analytic_moments(TTT_MAG_SIGNED, q, 1e-12, &c, &mu), GSL_SUCCESS);
        ck_assert(c == 0.0 && mu == 0.0);
    }
}
END_TEST

/* c = E v_a v_b and mu1 = E v_a for the positive law against a Monte Carlo
 * average over N independent codes; tolerance 4 standard errors. */
START_TEST(test_positive_moments_match_monte_carlo)
{
    const size_t q = 8, N = 200000;
    double c, mu;
    ck_assert_int_eq(ttt_analytic_moments(TTT_MAG_POSITIVE, q, TTT_ANALYTIC_EPSREL, &c, &mu), GSL_SUCCESS);
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 5, TTT_STREAM_TOOLS, 0);
    double v[8], sc = 0, sc2 = 0, sm = 0, sm2 = 0;
    for (size_t i = 0; i < N; i++) {
        ttt_generate_magnitudes(r, TTT_MAG_POSITIVE, q, v);
        sc += v[0] * v[1];
        sc2 += v[0] * v[1] * v[0] * v[1];
        sm += v[2];
        sm2 += v[2] * v[2];
    }
    double mc = sc / N, sec = sqrt((sc2 / N - mc * mc) / (N - 1));
    double mm = sm / N, sem = sqrt((sm2 / N - mm * mm) / (N - 1));
    ck_assert_msg(fabs(mc - c) < 4 * sec, "c: quadrature %g, Monte Carlo %g +- %g", c, mc, sec);
    ck_assert_msg(fabs(mm - mu) < 4 * sem, "mu1: quadrature %g, Monte Carlo %g +- %g", mu, mm, sem);
    gsl_rng_free(r);
}
END_TEST

/* E f^2 and E f, exact from Sigma (overlapping pools, background concepts),
 * against their sample means over n generated points; 4 standard errors. */
START_TEST(test_label_moments_match_sample)
{
    const char *w[] = {"d1=120", "d2=4", "s=3", "pool=9", "topics=30", "background=2", "n=200000", "m=2", "k=1",
                       NULL};
    ttt_params p = test_params(w);
    ttt_instance *in = test_instance(&p);
    ttt_analytic an;
    ck_assert_int_eq(ttt_analytic_global(in, &an), GSL_SUCCESS);
    double *f2 = malloc(p.n * sizeof *f2), m1, se1, m2, se2;
    for (size_t i = 0; i < p.n; i++)
        f2[i] = in->train.f[i] * in->train.f[i];
    ttt_fit_mean_se(in->train.f, p.n, &m1, &se1);
    ttt_fit_mean_se(f2, p.n, &m2, &se2);
    ck_assert_msg(fabs(m2 - an.f_second) < 4 * se2, "E f^2 exact %g, sample %g +- %g", an.f_second, m2, se2);
    ck_assert_msg(fabs(m1 - an.f_mean) < 4 * se1, "E f exact %g, sample %g +- %g", an.f_mean, m1, se1);
    free(f2);
    ttt_instance_free(in);
}
END_TEST

/* The exact E_glob with background concepts and feature noise against the
 * global head's test error; independent test errors, 4 standard errors. */
START_TEST(test_global_error_with_background_and_feature_noise)
{
    const char *w[] = {"d1=600", "d2=48", "s=4", "topics=50", "background=2", "feature_noise=0.05",
                       "dictionary=rademacher", "n=20000", "m=20000", "k=3", NULL};
    ttt_params p = test_params(w);
    ttt_report *r = NULL;
    ck_assert_int_eq(ttt_run(&p, &r), GSL_SUCCESS);
    const ttt_summary *g = &r->est[TTT_EST_GLOBAL];
    ck_assert_msg(fabs(g->mse - r->an.e_glob_n) < 4.0 * g->se, "global %g +- %g, predicted %g", g->mse, g->se,
                  r->an.e_glob_n);
    ttt_report_free(r);
}
END_TEST

/* The exact E_glob where A is not stored (generator = counter, d1 d2 above
 * TTT_COUNTER_DENSE_CELLS): without background over the concepts in the
 * pools, with background streamed over all d1 columns in blocks.  Against the
 * global head's test error as above; 4 standard errors. */
START_TEST(test_global_error_from_streamed_columns)
{
    const char *w[] = {"generator=counter", "d1=4200000", "d2=40", "s=4", "topics=60", "pool=8",
                       _i ? "background=1" : "background=0", "sparse=off", "n=20000", "m=20000", "k=3", NULL};
    ttt_params p = test_params(w);
    ttt_report *r = NULL;
    ck_assert_int_eq(ttt_run(&p, &r), GSL_SUCCESS);
    ck_assert_ptr_null(r->in->A);
    const ttt_summary *g = &r->est[TTT_EST_GLOBAL];
    ck_assert_msg(fabs(g->mse - r->an.e_glob_n) < 4.0 * g->se, "global %g +- %g, predicted %g", g->mse, g->se,
                  r->an.e_glob_n);
    ttt_report_free(r);
}
END_TEST

/* Isotropic codes (one topic whose pool is every concept, signed magnitudes)
 * and Gaussian dictionaries: the relative global error, averaged over R
 * dictionaries, against 1 - d2/d1.  Tolerance 4 standard errors across
 * dictionaries. */
START_TEST(test_isotropic_error_is_one_minus_d2_over_d1)
{
    const size_t R = 40;
    sample rel = {0};
    for (size_t rep = 0; rep < R; rep++) {
        char seed[32];
        snprintf(seed, sizeof seed, "seed=%zu", 1000 + rep);
        const char *w[] = {"d1=256", "d2=32", "s=8", "topics=1", "pool=256", "magnitudes=signed",
                           "n=1", "m=2", "k=1", seed, NULL};
        ttt_params p = test_params(w);
        ttt_instance *in = test_instance(&p);
        ttt_analytic an;
        ck_assert_int_eq(ttt_analytic_global(in, &an), GSL_SUCCESS);
        sample_add(&rel, an.e_glob / an.f_var);
        ttt_instance_free(in);
    }
    double se, mean = sample_mean(&rel, &se);
    double expect = ttt_analytic_iso(256, 32);
    ck_assert_double_eq(expect, 0.875);
    ck_assert_msg(fabs(mean - expect) < 4 * se, "mean relative error %g +- %g, 1 - d2/d1 = %g", mean, se, expect);
}
END_TEST

/* The local oracle formula sigma^2 |S| / (k - |S| - 1) in its own regime:
 * the neighbourhood is the whole training set (k = n), so the design rows and
 * the test point are independent draws of the same law.  The exact
 * conditional variance, averaged over test points and over R instances, is
 * compared with the formula.  The formula is exact for Gaussian designs; for
 * other laws the leading correction is of relative order |S|/k (fourth
 * moments), so the tolerance is 4 SE plus |S|/k. */
START_TEST(test_oracle_formula_holds_for_independent_design)
{
    const size_t R = 10, S = 16, k = 400;
    sample ratio = {0};
    for (size_t rep = 0; rep < R; rep++) {
        char seed[32];
        snprintf(seed, sizeof seed, "seed=%zu", 2000 + rep);
        const char *w[] = {"d1=16", "d2=16", "s=8", "pool=16", "topics=1", "magnitudes=signed",
                           "dictionary=orthonormal", "n=400", "k=400", "m=200", seed, NULL};
        ttt_params p = test_params(w);
        ttt_report *r = NULL;
        ck_assert_int_eq(ttt_run(&p, &r), GSL_SUCCESS);
        ck_assert_double_eq(r->support_mean, (double)S);
        sample_add(&ratio, r->oracle_exact / ttt_analytic_oracle(p.sigma, (double)S, k));
        ttt_report_free(r);
    }
    double se, mean = sample_mean(&ratio, &se);
    ck_assert_msg(fabs(mean - 1.0) < 4 * se + (double)S / (double)k, "exact / formula = %g +- %g", mean, se);
}
END_TEST

START_TEST(test_formulas_are_infinite_outside_their_domain)
{
    ck_assert(isinf(ttt_analytic_finite_n(0.5, 0.1, 128, 129)));
    ck_assert(isfinite(ttt_analytic_finite_n(0.5, 0.1, 128, 130)));
    /* the documented value E + (E + sigma^2) d2 / (n - d2 - 1), pinned: no
     * statistical check can tell n - d2 - 1 from n - d2 at the n they use */
    ck_assert_double_eq_tol(ttt_analytic_finite_n(0.5, 0.1, 128, 130), 0.5 + 0.51 * 128.0, 1e-12);
    ck_assert_double_eq_tol(ttt_analytic_finite_n(0.5, 0.1, 64, 1000), 0.5 + 0.51 * 64.0 / 935.0, 1e-15);
    ck_assert(isinf(ttt_analytic_oracle(0.1, 49.0, 50)));
    ck_assert_double_eq_tol(ttt_analytic_oracle(0.1, 16.0, 50), 0.01 * 16.0 / 33.0, 1e-16);
    ck_assert_double_eq(ttt_analytic_iso(100, 100), 0.0);
    ck_assert_double_eq(ttt_analytic_iso(100, 400), 0.0);
    /* E|S| = p (1 - (1 - s/p)^k) without background. */
    ck_assert_double_eq_tol(ttt_analytic_support(4096, 8, 16, 0, 50), 16.0 * (1.0 - pow(0.5, 50)), 1e-12);
    ck_assert_double_eq_tol(ttt_analytic_support(4096, 8, 16, 0, 1), 8.0, 1e-12);
}
END_TEST

/* The pair probability against the generating process enumerated exactly:
 * the pool is {0..P-1}, s of its concepts are chosen uniformly, then b
 * background concepts uniformly among the d1 - s inactive ones; the share of
 * outcomes with concepts 0 and 1 both active. */
static double enumerated_pair_prob(unsigned d1, unsigned s, unsigned P, unsigned b)
{
    const unsigned all = 1u << d1, pool = (1u << P) - 1u;
    double hit = 0.0, total = 0.0;
    for (unsigned act = 0; act < all; act++) {
        if ((act & ~pool) || (unsigned)__builtin_popcount(act) != s)
            continue;
        for (unsigned bg = 0; bg < all; bg++) {
            if ((bg & act) || (unsigned)__builtin_popcount(bg) != b)
                continue;
            total += 1.0;
            hit += ((act | bg) & 3u) == 3u;
        }
    }
    return hit / total;
}

START_TEST(test_pair_probability_matches_enumeration)
{
    static const unsigned cases[][4] = {{8, 2, 4, 0}, {8, 2, 4, 1}, {10, 3, 5, 2}, {10, 1, 3, 4}, {12, 2, 6, 3}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const unsigned *x = cases[c];
        double got = ttt_analytic_pair_prob(x[0], x[1], x[2], x[3]), want = enumerated_pair_prob(x[0], x[1], x[2], x[3]);
        ck_assert_msg(fabs(got - want) < 1e-12, "d1=%u s=%u pool=%u b=%u: %.15g, enumerated %.15g", x[0], x[1], x[2],
                      x[3], got, want);
    }
}
END_TEST

Suite *make_analytic_suite(void)
{
    Suite *s = suite_create("analytic");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_moments_have_closed_forms_for_constant_and_signed);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_formulas_are_infinite_outside_their_domain);
    tcase_add_test(limits, test_pair_probability_matches_enumeration);
    suite_add_tcase(s, limits);
    TCase *stats = tcase_create("stats");
    tcase_set_timeout(stats, 120);
    tcase_add_test(stats, test_positive_moments_match_monte_carlo);
    tcase_add_test(stats, test_label_moments_match_sample);
    tcase_add_test(stats, test_global_error_with_background_and_feature_noise);
    tcase_add_loop_test(stats, test_global_error_from_streamed_columns, 0, 2);
    tcase_add_test(stats, test_isotropic_error_is_one_minus_d2_over_d1);
    tcase_add_test(stats, test_oracle_formula_holds_for_independent_design);
    suite_add_tcase(s, stats);
    return s;
}
