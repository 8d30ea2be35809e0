/* The test runner: every module's suite in one SRunner. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_ttt.h"

ttt_params test_params(const char *const *words)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    for (size_t i = 0; words && words[i]; i++)
        ck_assert_msg(ttt_params_set_word(&p, words[i], msg) == GSL_SUCCESS, "%s", msg);
    ck_assert_msg(ttt_params_check(&p, msg) == GSL_SUCCESS, "%s", msg);
    return p;
}

ttt_instance *test_instance(const ttt_params *p)
{
    ttt_instance *in;
    ck_assert_int_eq(ttt_instance_alloc(p, &in), GSL_SUCCESS);
    return in;
}

void read_text(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

int run_ttt(const char *args, char *out, size_t out_len, char *err, size_t err_len)
{
    const char *bin = getenv("TTT_BIN");
    ck_assert_msg(bin != NULL, "TTT_BIN is not set (run the tests through make check)");
    char *dir = make_temp_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s/out 2>%s/err", bin, args, dir, dir);
    int status = system(cmd);
    char path[512];
    snprintf(path, sizeof path, "%s/out", dir);
    if (out)
        read_text(path, out, out_len);
    unlink(path);
    snprintf(path, sizeof path, "%s/err", dir);
    if (err)
        read_text(path, err, err_len);
    unlink(path);
    rmdir(dir);
    free(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *make_temp_dir(void)
{
    char *t = strdup("/tmp/ttt-test-XXXXXX");
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

ttt_table *test_table(const char *text)
{
    char *dir = make_temp_dir(), path[600], msg[TTT_MSG];
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    ttt_table *t;
    ck_assert_msg(ttt_table_read(path, &t, msg) == GSL_SUCCESS, "%s", msg);
    remove(path);
    rmdir(dir);
    free(dir);
    return t;
}

void sample_add(sample *a, double x)
{
    a->sum += x;
    a->sum2 += x * x;
    a->n++;
}

double sample_mean(const sample *a, double *se)
{
    double n = (double)a->n, mean = a->sum / n;
    *se = sqrt(fmax(a->sum2 / n - mean * mean, 0.0) / (n - 1.0));
    return mean;
}

int full_tier(void)
{
    const char *f = getenv("TTT_FULL");
    return f && *f && strcmp(f, "0") != 0;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(make_params_suite());
    srunner_add_suite(sr, make_generate_suite());
    srunner_add_suite(sr, make_lsq_suite());
    srunner_add_suite(sr, make_sparse_suite());
    srunner_add_suite(sr, make_idmap_suite());
    srunner_add_suite(sr, make_neighbours_suite());
    srunner_add_suite(sr, make_estimate_suite());
    srunner_add_suite(sr, make_analytic_suite());
    srunner_add_suite(sr, make_io_suite());
    srunner_add_suite(sr, make_outdir_suite());
    srunner_add_suite(sr, make_faults_suite());
    srunner_add_suite(sr, make_cli_suite());
    srunner_add_suite(sr, make_fit_suite());
    srunner_add_suite(sr, make_sweep_suite());
    srunner_add_suite(sr, make_summarize_suite());
    srunner_add_suite(sr, make_trust_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
