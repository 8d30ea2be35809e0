/* ttt_summarize: per-point means and replicate standard errors, log ratios,
 * the Markdown and LaTeX tables, and specs that name nothing. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_ttt.h"
#include "ttt_summarize.h"

/* Two grid points (d2 = 8, 16) x 3 replicates x 2 estimators, numbers chosen
 * so that the means, standard errors and log ratios are known by hand. */
static const char sweep_text[] =
    "# ttt test sweep\n"
    "job\tpoint\trep\tseed\td1\td2\testimator\tmse\tsupport\n"
    "0\t0\t0\t11\t64\t8\tglobal\t1\t5\n"
    "0\t0\t0\t11\t64\t8\tttt\t0.1\t5\n"
    "1\t0\t1\t12\t64\t8\tglobal\t2\t6\n"
    "1\t0\t1\t12\t64\t8\tttt\t0.2\t6\n"
    "2\t0\t2\t13\t64\t8\tglobal\t3\t7\n"
    "2\t0\t2\t13\t64\t8\tttt\t0.03\t7\n"
    "3\t1\t0\t14\t64\t16\tglobal\t4\tNaN\n"
    "3\t1\t0\t14\t64\t16\tttt\t4\tNaN\n"
    "4\t1\t1\t15\t64\t16\tglobal\t4\t9\n"
    "4\t1\t1\t15\t64\t16\tttt\t4\t9\n"
    "5\t1\t2\t16\t64\t16\tglobal\t4\tNaN\n"
    "5\t1\t2\t16\t64\t16\tttt\t4\tNaN\n";

static ttt_table *read_sweep(void)
{
    return test_table(sweep_text);
}

START_TEST(test_summary_is_mean_and_replicate_se_per_point)
{
    ttt_table *t = read_sweep();
    const char *specs[] = {"global", "ttt:mse", "support", "global/ttt"};
    char msg[TTT_MSG];
    ttt_points *p;
    ck_assert_msg(ttt_summarize_points(t, specs, 4, &p, msg) == GSL_SUCCESS, "%s", msg);
    ck_assert_uint_eq(p->points, 2);
    ck_assert_uint_eq(p->nkeys, 2);
    ck_assert_str_eq(p->keys[1], "d2");
    ck_assert_int_eq(p->varies[0], 0);
    ck_assert_int_eq(p->varies[1], 1);
    ck_assert_str_eq(p->values[1 * 2 + 1], "16");
    ck_assert_str_eq(p->names[0], "global_mse");
    ck_assert_str_eq(p->names[1], "ttt_mse");
    ck_assert_str_eq(p->names[2], "support");
    ck_assert_str_eq(p->names[3], "log10_global_over_ttt");
    ck_assert_uint_eq(p->reps[0], 3);
    /* global at point 0: 1, 2, 3 -> mean 2, sd 1, se 1/sqrt(3). */
    ck_assert_double_eq_tol(p->mean[0], 2.0, 1e-15);
    ck_assert_double_eq_tol(p->se[0], 1.0 / sqrt(3.0), 1e-15);
    /* log10 ratios 1, 1, 2 -> mean 4/3, sd 1/sqrt(3), se 1/3. */
    ck_assert_double_eq_tol(p->mean[3], 4.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(p->se[3], 1.0 / 3.0, 1e-12);
    /* Point 1: identical replicates give se 0; a run-level column with one
       finite value of three gives its mean and no se (NaN), not a crash. */
    ck_assert(p->se[4 + 0] == 0.0);
    ck_assert(p->mean[4 + 2] == 9.0);
    ck_assert(isnan(p->se[4 + 2]));
    ck_assert(p->mean[4 + 3] == 0.0);

    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_int_eq(ttt_summarize_points_write(fp, p, TTT_FORMAT_MARKDOWN), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "| d2 | global_mse | ttt_mse | support | log10_global_over_ttt |\n"));
    ck_assert_ptr_nonnull(strstr(buf, "| 8 | 2 ± 0.58 |"));
    free(buf);
    fp = open_memstream(&buf, &len);
    ck_assert_int_eq(ttt_summarize_points_write(fp, p, TTT_FORMAT_LATEX), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "d2 & global\\_mse & ttt\\_mse & support & log10\\_global\\_over\\_ttt \\\\\n"));
    ck_assert_ptr_nonnull(strstr(buf, "16 & $4 \\pm 0$ & $4 \\pm 0$ & $9$ & $0 \\pm 0$ \\\\\n"));
    free(buf);
    ttt_summarize_points_free(p);
    ttt_table_free(t);
}
END_TEST

START_TEST(test_summary_rejects_unknown_names)
{
    ttt_table *t = read_sweep();
    char msg[TTT_MSG];
    const char *bad[] = {"lasso", "ttt:nope", "global/knn", "nope:mse"};
    for (int i = 0; i < 4; i++) {
        ttt_points *p;
        ck_assert_int_eq(ttt_summarize_points(t, &bad[i], 1, &p, msg), GSL_EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_ptr_nonnull(strstr(msg, "allowed"));
    }
    ttt_table_free(t);
    ttt_summarize_points_free(NULL);
}
END_TEST

/* A row given twice (or two rows of one job/point/rep and estimator) would be
 * counted twice; a fractional point or rep would move rows.  Both refused,
 * naming the lines. */
START_TEST(test_summary_refuses_duplicate_and_fractional_rows)
{
    const char *specs[] = {"global"};
    char msg[TTT_MSG], text[sizeof sweep_text + 256];
    const struct {
        const char *extra, *expect;
    } bad[] = {
        {"0\t0\t0\t11\t64\t8\tglobal\t1\t5\n", "lines 3 and 15 are both job 0 of estimator global"},
        {"6\t0\t0\t11\t64\t8\tglobal\t1\t5\n", "lines 3 and 15 are both point 0, rep 0 of estimator global"},
        {"6\t2.5\t0\t17\t64\t8\tglobal\t1\t5\n", "line 15: point = '2.5' is not a whole number"},
        {"6\t2\t0.5\t17\t64\t8\tglobal\t1\t5\n", "line 15: rep = '0.5' is not a whole number"},
        {"6e0\t2\t0\t17\t64\t8\tglobal\t1\t5\n", "line 15: job = '6e0' is not a whole number"},
        {"6\t2\t-0\t17\t64\t8\tglobal\t1\t5\n", "line 15: rep = '-0' is not a whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s%s", sweep_text, bad[i].extra);
        ttt_table *t = test_table(text);
        ttt_points *p;
        ck_assert_msg(ttt_summarize_points(t, specs, 1, &p, msg) == GSL_EINVAL, "case %zu accepted", i);
        ck_assert_msg(strstr(msg, bad[i].expect) && strstr(msg, "allowed"), "case %zu gave '%s'", i, msg);
        ttt_table_free(t);
    }
    /* the check ttt fit runs too: without an estimator column, and without
     * job/point/rep columns (then identical rows are the repeat) */
    ttt_table *t = test_table("job\tmse\n0\t1\n1\t2\n1\t3\n");
    ck_assert_int_eq(ttt_summarize_rows_check(t, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, "lines 3 and 4 are both job 1; allowed: one row per job and estimator"), "%s", msg);
    ttt_table_free(t);
    t = test_table("x\tmse\n0\t1\n1\t2\n0\t1\n");
    ck_assert_int_eq(ttt_summarize_rows_check(t, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, "lines 2 and 4 are the same row; allowed: each row once"), "%s", msg);
    ttt_table_free(t);
    t = test_table("x\tmse\n0\t1\n1\t2\n0\t2\n");
    ck_assert_int_eq(ttt_summarize_rows_check(t, msg), GSL_SUCCESS);
    ttt_table_free(t);
}
END_TEST

Suite *make_summarize_suite(void)
{
    Suite *s = suite_create("summarize");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits");
    tcase_add_test(core, test_summary_is_mean_and_replicate_se_per_point);
    tcase_add_test(limits, test_summary_rejects_unknown_names);
    tcase_add_test(limits, test_summary_refuses_duplicate_and_fractional_rows);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}
