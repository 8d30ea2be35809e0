/* Suite "faults": what the program does when the input is hostile or the
 * system fails under it — exit 2 for what is not allowed, 1 for a fault, a
 * one-line message, and the previous result intact. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_ttt.h"

static void sh(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* Runs ttt with standard output to /dev/full; its exit status, stderr in err. */
static int run_to_full(const char *args, char *err, size_t len)
{
    char *dir = make_temp_dir(), cmd[2048], path[600];
    snprintf(path, sizeof path, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "%s %s >/dev/full 2>%s", getenv("TTT_BIN"), args, path);
    int st = system(cmd);
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(err, 1, len - 1, fp) : 0;
    err[n] = '\0';
    if (fp)
        fclose(fp);
    unlink(path);
    rmdir(dir);
    free(dir);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int one_line(const char *err)
{
    size_t n = strlen(err);
    return n > 0 && strchr(err, '\n') == err + n - 1;
}

/* --bound on a table without the rate's columns: exit 2 naming the column
 * (it read out of bounds and crashed). */
START_TEST(test_fit_bound_needs_the_rate_columns)
{
    char *dir = make_temp_dir(), args[1024], out[1024], err[1024], cmd[1024];
    snprintf(cmd, sizeof cmd, "printf 'estimator\\tmse\\tk\\nttt\\t0.1\\t10\\nttt\\t0.05\\t20\\nttt\\t0.02\\t40\\n' > %s/t.tsv",
             dir);
    sh(cmd);
    snprintf(args, sizeof args, "fit %s/t.tsv --y ttt --bound", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(one_line(err) && strstr(err, "'sigma'"), "%s", err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    free(dir);
}
END_TEST

/* Output that cannot be written is exit 1 with a message, for every command
 * that writes to standard output or to --out. */
START_TEST(test_write_errors_exit_1)
{
    static const char *const to_stdout[] = {"defaults", "help", "--version", "presets", "verify --list", NULL};
    char out[4096], err[4096], args[1024];
    for (size_t i = 0; to_stdout[i]; i++) {
        ck_assert_msg(run_to_full(to_stdout[i], err, sizeof err) == 1, "'%s > /dev/full' not exit 1", to_stdout[i]);
        ck_assert_msg(one_line(err) && strstr(err, "standard output"), "%s: %s", to_stdout[i], err);
    }
    char *dir = make_temp_dir(), cmd[1024];
    snprintf(args, sizeof args, "sweep d1=64 d2=8 s=2 topics=4 n=100 m=4 k=5,6,7 sparse=off --quiet --out %s/s", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "table %s/s/sweep.tsv --y ttt --out /dev/full", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 1);
    ck_assert_msg(one_line(err) && strstr(err, "No space left"), "%s", err);
    snprintf(args, sizeof args, "fit %s/s/sweep.tsv --x k --y ttt", dir);
    ck_assert_int_eq(run_to_full(args, err, sizeof err), 1);
    ck_assert_msg(one_line(err) && strstr(err, "standard output"), "fit: %s", err);
    /* one line (table said so, and then main again) */
    snprintf(args, sizeof args, "table %s/s/sweep.tsv --y ttt", dir);
    ck_assert_int_eq(run_to_full(args, err, sizeof err), 1);
    ck_assert_msg(one_line(err) && strstr(err, "cannot write to standard output"), "table: %s", err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    free(dir);
}
END_TEST

/* table --out through a symbolic link writes the link's target and keeps the
 * link (it replaced the link by a regular file); a directory is refused. */
START_TEST(test_table_out_keeps_a_symlink)
{
    char *dir = make_temp_dir(), args[1024], out[1024], err[1024], cmd[2048];
    snprintf(args, sizeof args, "sweep d1=64 d2=8 s=2 topics=4 n=100 m=4 k=5,6,7 sparse=off --quiet --out %s/s", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "echo old > %s/target.tsv && ln -s target.tsv %s/link.tsv", dir, dir);
    sh(cmd);
    snprintf(args, sizeof args, "table %s/s/sweep.tsv --y ttt --out %s/link.tsv", dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "test -L %s/link.tsv && grep -q '^d1' %s/target.tsv && test $(ls -A %s | wc -l) -eq 3",
             dir, dir, dir);
    sh(cmd);
    snprintf(args, sizeof args, "table %s/s/sweep.tsv --y ttt --out %s/s", dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(one_line(err) && strstr(err, "is a directory"), "%s", err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    free(dir);
}
END_TEST

/* Grids whose job count overflows size_t (256^8) or is merely huge (256^4)
 * are refused at once with the count, before any point is looked at. */
START_TEST(test_huge_grids_are_refused_at_once)
{
    char *dir = make_temp_dir(), args[2048], out[1024], err[1024];
    static const char *const grids[] = {
        "k=1:256:lin:256 n=1:256:lin:256 m=2:257:lin:256 d2=1:256:lin:256",
        "k=1:256:lin:256 n=1:256:lin:256 m=2:257:lin:256 d2=1:256:lin:256 s=1:256:lin:256 d1=1:256:lin:256 "
        "topics=1:256:lin:256 sigma=1:256:lin:256",
        NULL};
    for (size_t i = 0; grids[i]; i++) {
        snprintf(args, sizeof args, "sweep %s --out %s/g", grids[i], dir);
        ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
        ck_assert_msg(one_line(err) && strstr(err, "jobs") && strstr(err, "allowed"), "%s", err);
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/g", dir);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);
    rmdir(dir);
    free(dir);
}
END_TEST

/* When f is constant on the test points (d1 = 1; w* = 0 on every concept in
 * use) relative errors are n/a with a note, never NaN or 1e28. */
START_TEST(test_constant_labels_give_no_relative_error)
{
    static const char *const runs[] = {"d1=1 s=1 topics=1 n=200 m=20 k=10",
                                       "d1=64 d2=16 topics=4 n=300 m=20 k=20 w_law=sparse w_rho=1e-6", NULL};
    char *dir = make_temp_dir(), args[1024], out[16384], err[4096];
    for (size_t i = 0; runs[i]; i++) {
        snprintf(args, sizeof args, "run %s --out %s/o", runs[i], dir);
        ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
        ck_assert_msg(!strstr(out, "nan") && !strstr(out, "NaN") && strstr(out, "rel.err n/a"), "%s:\n%s", runs[i],
                      out);
        for (const char *c = strstr(out, "global "); c && *c != '\n'; c++)
            ck_assert_msg(!(c[0] == 'e' && c[1] == '+' && c[2] >= '1'), "%s: a huge number in\n%s", runs[i], out);
    }
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    free(dir);
}
END_TEST

/* Limits before work: a run or sweep that would not fit in memory or take
 * days is refused at once (exit 1) with its estimate and the way around it;
 * nothing is created.  (d2 = 30000 with n = 100 was accepted and would have
 * run for over a day.  d2 = 20000 was refused for time until the eigensolver
 * became LAPACK's dsyevd: now estimated at about 20 minutes in 21 GB,
 * allowed on 24 GiB; 24000 needs about 29 GB.)  The last is refused for time: a neighbour
 * search of 2e6 test points among 1e8, about 2.4 days. */
START_TEST(test_runs_over_the_limits_are_refused_with_an_estimate)
{
    static const char *const cmds[] = {"run d2=24000 n=100 m=10", "run d2=30000 n=100 m=10",
                                       "sweep d2=16000,20000 n=100 m=10", "run n=10000000 m=10000000 d2=64",
                                       "run n=100000000 m=2000000 d2=64 k=1 sparse=off", NULL};
    char *dir = make_temp_dir(), args[1024], out[1024], err[1024];
    for (size_t i = 0; cmds[i]; i++) {
        snprintf(args, sizeof args, "%s --out %s/o", cmds[i], dir);
        ck_assert_msg(run_ttt(args, out, sizeof out, err, sizeof err) == 1, "'%s' not refused: %s", cmds[i], err);
        ck_assert_msg(one_line(err) && strstr(err, "--force") && (strstr(err, " GB") || strstr(err, " h")), "%s: %s",
                      cmds[i], err);
    }
    ck_assert_int_eq(rmdir(dir), 0); /* nothing was created in it */
    free(dir);
}
END_TEST

Suite *make_faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_fit_bound_needs_the_rate_columns);
    tcase_add_test(core, test_write_errors_exit_1);
    tcase_add_test(core, test_table_out_keeps_a_symlink);
    tcase_add_test(core, test_huge_grids_are_refused_at_once);
    tcase_add_test(core, test_constant_labels_give_no_relative_error);
    tcase_add_test(core, test_runs_over_the_limits_are_refused_with_an_estimate);
    suite_add_tcase(s, core);
    return s;
}
