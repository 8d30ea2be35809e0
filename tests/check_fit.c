/* Suite "fit": the least-squares lines and intervals of analysis/ttt_fit. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#include "check_ttt.h"
#include "ttt_fit.h"
#include "ttt_rng.h"

/* Exact data: the line is recovered to rounding and R^2 = 1. */
START_TEST(test_fit_recovers_exact_line)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5];
    for (int i = 0; i < 5; i++)
        y[i] = 2.5 - 0.75 * x[i];
    ttt_line l;
    ck_assert_int_eq(ttt_fit_line(x, y, 5, &l), GSL_SUCCESS);
    ck_assert(fabs(l.slope + 0.75) < 1e-12 && fabs(l.intercept - 2.5) < 1e-12);
    ck_assert(fabs(l.r2 - 1.0) < 1e-12 && l.slope_se < 1e-12);
}
END_TEST

/* Power laws y = c k^-1 (1 + noise) on a log grid: the fitted slope is -1
 * within its 95% interval in about 95% of 400 independent data sets.  The
 * count of covering intervals is binomial(400, 0.95): mean 380, sd 4.4, so
 * 380 +- 3 sd = [367, 393] is the acceptance band. */
START_TEST(test_fit_interval_covers_known_slope)
{
    gsl_rng *r = ttt_rng_alloc();
    ttt_rng_stream(r, 21, TTT_STREAM_TOOLS, 0);
    size_t covered = 0;
    double x[12], y[12];
    for (int trial = 0; trial < 400; trial++) {
        for (int i = 0; i < 12; i++) {
            double k = 10.0 * pow(2.0, i / 2.0);
            x[i] = log(k);
            y[i] = log(3.0 / k) + gsl_ran_gaussian(r, 0.1);
        }
        ttt_line l;
        ck_assert_int_eq(ttt_fit_line(x, y, 12, &l), GSL_SUCCESS);
        covered += l.slope_lo <= -1.0 && -1.0 <= l.slope_hi;
    }
    ck_assert_msg(covered >= 367 && covered <= 393, "%zu of 400 intervals cover the true slope", covered);
    gsl_rng_free(r);
}
END_TEST

/* The mean interval: known mean and t quantile (n = 4: t_0.975,3 = 3.182). */
START_TEST(test_fit_mean_interval)
{
    double y[4] = {1, 2, 3, 4};
    ttt_mean_ci c;
    ck_assert_int_eq(ttt_fit_mean(y, 4, &c), GSL_SUCCESS);
    double se = sqrt(5.0 / 3.0 / 4.0);
    ck_assert(fabs(c.mean - 2.5) < 1e-12 && fabs(c.se - se) < 1e-12);
    ck_assert(fabs(c.hi - (2.5 + 3.182446305 * se)) < 1e-6);
}
END_TEST

START_TEST(test_fit_rejects_degenerate_input)
{
    double x[3] = {1, 1, 1}, y[3] = {1, 2, 3};
    ttt_line l;
    ttt_mean_ci c;
    ck_assert_int_eq(ttt_fit_line(x, y, 3, &l), GSL_EINVAL);
    ck_assert_int_eq(ttt_fit_line(x, y, 2, &l), GSL_EINVAL);
    ck_assert_int_eq(ttt_fit_mean(y, 1, &c), GSL_EINVAL);
    ck_assert(isnan(ttt_fit_rate(0.1, 8, 8, 50)) && isnan(ttt_fit_rate(0.0, 8, 4096, 50)));
    ck_assert(fabs(ttt_fit_rate(0.1, 8, 4096, 50) - log(0.01 * 8 * log(512.0) / 50)) < 1e-12);
}
END_TEST

/* A sweep of ttt at k = 10, 20, 40 (mse = 2 sigma^2 s log(d1/s) / k, so the
 * slope in k is -1 and C = 2), a row that is not finite at k = 80, and global
 * rows at another d1. */
static const char fit_sweep[] = "job\tpoint\trep\tseed\td1\ts\tk\tsigma\testimator\tmse\n"
                                "0\t0\t0\t1\t64\t4\t10\t0.1\tttt\t0.02218070977791825\n"
                                "1\t1\t0\t2\t64\t4\t20\t0.1\tttt\t0.011090354888959125\n"
                                "2\t2\t0\t3\t64\t4\t40\t0.1\tttt\t0.005545177444479563\n"
                                "3\t3\t0\t4\t64\t4\t80\t0.1\tttt\tNaN\n"
                                "4\t4\t0\t5\t128\t4\t10\t0.1\tglobal\t1\n";

/* ttt fit's row selection: the estimator's rows, --where, --range, the
 * skipped rows, --bound, and what the table lacks. */
START_TEST(test_fit_sweep_selects_rows)
{
    ttt_table *t = test_table(fit_sweep);
    char msg[TTT_MSG];
    ttt_fit_result res;
    ttt_fit_query q = {.source = "s.tsv", .x = "k", .y = "ttt", .scale = TTT_FIT_LOGLOG, .lo = 0, .hi = 1e9};
    q.where[q.nwhere++] = "d1=64.0"; /* matched as a number */
    ck_assert_int_eq(ttt_fit_sweep(t, &q, &res, msg), GSL_SUCCESS);
    ck_assert(res.status == GSL_SUCCESS && res.n == 3 && res.skipped == 1 && res.bare);
    ck_assert(fabs(res.line.slope + 1.0) < 1e-9);
    q.lo = 15; /* two rows left: nothing to fit */
    ck_assert_int_eq(ttt_fit_sweep(t, &q, &res, msg), GSL_SUCCESS);
    ck_assert(res.status == GSL_EINVAL && res.n == 2);
    ttt_fit_query b = {.source = "s.tsv", .y = "ttt", .bound = 1, .lo = 0, .hi = 1e9};
    ck_assert_int_eq(ttt_fit_sweep(t, &b, &res, msg), GSL_SUCCESS);
    ck_assert(res.status == GSL_SUCCESS && res.n == 3 && fabs(res.c.mean - log(2.0)) < 1e-9);
    q.y = "nope";
    ck_assert_int_eq(ttt_fit_sweep(t, &q, &res, msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "s.tsv: 'nope'"));
    q.y = "ttt";
    q.where[0] = "zzz=1";
    ck_assert_int_eq(ttt_fit_sweep(t, &q, &res, msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "--where 'zzz=1'"));
    ttt_fit_scale scale;
    ck_assert(ttt_fit_scale_parse("semilogx", &scale, msg) == GSL_SUCCESS && scale == TTT_FIT_SEMILOGX);
    ck_assert_int_eq(ttt_fit_scale_parse("cubic", &scale, msg), GSL_EINVAL);
    ttt_table_free(t);
}
END_TEST

Suite *make_fit_suite(void)
{
    Suite *s = suite_create("fit");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_fit_recovers_exact_line);
    tcase_add_test(core, test_fit_mean_interval);
    tcase_add_test(core, test_fit_sweep_selects_rows);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_fit_rejects_degenerate_input);
    suite_add_tcase(s, limits);
    TCase *stats = tcase_create("stats");
    tcase_add_test(stats, test_fit_interval_covers_known_slope);
    suite_add_tcase(s, stats);
    return s;
}
