/* ttt_outdir: results written all or nothing, swapped into place whole. */
#define _GNU_SOURCE
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_ttt.h"
#include "ttt_outdir.h"

static int exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

/* Entries of dir other than . and .., by `ls -A | wc -l`. */
static int entries(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' | wc -l)", dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

static void rm_tree(char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

/* One result: the given files with the given text, committed. */
static int write_result(const char *dir, const char *const *names, const char *text, char *msg)
{
    ttt_outdir *o;
    int status = ttt_outdir_open(dir, &o, msg);
    if (status)
        return status;
    for (size_t i = 0; names[i]; i++)
        fputs(text, ttt_outdir_file(o, names[i], msg));
    return ttt_outdir_commit(o, msg);
}

START_TEST(test_outdir_commits_all_or_nothing)
{
    char *tmp = make_temp_dir(), dir[512], msg[TTT_OUTDIR_MSG];
    snprintf(dir, sizeof dir, "%s/a/b", tmp);
    /* Aborted: nothing of it is left, not even the parents it created. */
    ttt_outdir *o;
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_SUCCESS);
    fputs("x\n", ttt_outdir_file(o, "one.tsv", msg));
    fputs("y\n", ttt_outdir_file(o, "data/two.npy", msg));
    ck_assert(!exists(dir, "one.tsv"));
    ttt_outdir_abort(o);
    ck_assert_int_eq(entries(tmp), 0);
    /* Committed: the final names and the marker, no temporaries beside it. */
    static const char *const names[] = {"one.tsv", "data/two.npy", NULL};
    ck_assert_int_eq(write_result(dir, names, "new\n", msg), GSL_SUCCESS);
    ck_assert(exists(dir, "one.tsv") && exists(dir, "data/two.npy") && exists(dir, TTT_OUTDIR_MARKER));
    char parent[600];
    snprintf(parent, sizeof parent, "%s/a", tmp);
    ck_assert_int_eq(entries(parent), 1);
    rm_tree(tmp);
}
END_TEST

/* A second result replaces the first as a whole: a file the new one does not
 * write (data/old.npy) does not survive; a failed result leaves the old one. */
START_TEST(test_outdir_replaces_the_previous_result_whole)
{
    char *tmp = make_temp_dir(), dir[512], msg[TTT_OUTDIR_MSG];
    snprintf(dir, sizeof dir, "%s/out", tmp);
    static const char *const first[] = {"summary.tsv", "data/old.npy", NULL}, *const second[] = {"summary.tsv", NULL};
    ck_assert_int_eq(write_result(dir, first, "seed 1\n", msg), GSL_SUCCESS);
    ck_assert_int_eq(write_result(dir, second, "seed 2\n", msg), GSL_SUCCESS);
    ck_assert(exists(dir, "summary.tsv") && !exists(dir, "data"));
    ck_assert_int_eq(entries(tmp), 1);
    /* An aborted third leaves the second as it was. */
    ttt_outdir *o;
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_SUCCESS);
    fputs("seed 3\n", ttt_outdir_file(o, "summary.tsv", msg));
    ttt_outdir_abort(o);
    char path[600], text[64] = "";
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fgets(text, sizeof text, fp));
    fclose(fp);
    ck_assert_str_eq(text, "seed 2\n");
    ck_assert_int_eq(entries(tmp), 1);
    rm_tree(tmp);
}
END_TEST

/* What cannot be replaced as a whole is refused with GSL_EINVAL and a message
 * naming it; nothing is created. */
START_TEST(test_outdir_refuses_what_it_may_not_replace)
{
    char *tmp = make_temp_dir(), dir[512], msg[TTT_OUTDIR_MSG];
    ttt_outdir *o;
    ck_assert_int_eq(ttt_outdir_open("/dev/null/out", &o, msg), GSL_EINVAL);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(msg, "/dev/null"));
    ck_assert_int_eq(ttt_outdir_open("", &o, msg), GSL_EINVAL);
    ck_assert_int_eq(ttt_outdir_open(".", &o, msg), GSL_EINVAL);
    snprintf(dir, sizeof dir, "%s/new\nline", tmp);
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "control byte (0x0a"));
    /* A directory of someone else's files. */
    snprintf(dir, sizeof dir, "%s/mine", tmp);
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    put(dir, "notes.txt", "keep me\n");
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "did not write"));
    ck_assert(exists(dir, "notes.txt"));
    /* A symbolic link to a result. */
    char link[600];
    snprintf(link, sizeof link, "%s/link", tmp);
    ck_assert_int_eq(symlink(dir, link), 0);
    ck_assert_int_eq(ttt_outdir_open(link, &o, msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "symbolic link"));
    ck_assert_int_eq(entries(tmp), 2);
    ttt_outdir_abort(NULL);
    rm_tree(tmp);
}
END_TEST

/* The temporary of a process that died without cleaning up is removed by the
 * next open of the same directory; a running process's is left alone. */
START_TEST(test_outdir_sweeps_stale_temporaries)
{
    char *tmp = make_temp_dir(), dir[512], stale[600], live[600], msg[TTT_OUTDIR_MSG];
    snprintf(dir, sizeof dir, "%s/out", tmp);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0); /* a pid that is surely not running now */
    snprintf(stale, sizeof stale, "%s/.out.ttt-tmp-%ld", tmp, (long)child);
    snprintf(live, sizeof live, "%s/.out.ttt-tmp-%ld", tmp, (long)getppid());
    ck_assert_int_eq(mkdir(stale, 0777), 0);
    put(stale, "predictions.tsv", "half\n");
    ck_assert_int_eq(mkdir(live, 0777), 0);
    static const char *const names[] = {"summary.tsv", NULL};
    ck_assert_int_eq(write_result(dir, names, "x\n", msg), GSL_SUCCESS);
    ck_assert(!exists(tmp, strrchr(stale, '/') + 1));
    ck_assert(exists(tmp, strrchr(live, '/') + 1));
    rm_tree(tmp);
}
END_TEST

/* Results into sibling directories of a parent that does not exist yet,
 * written by processes at the same time, all succeed (mkdir -p races). */
START_TEST(test_outdir_siblings_at_once)
{
    char *tmp = make_temp_dir();
    enum { KIDS = 8, ROUNDS = 10 };
    for (int round = 0; round < ROUNDS; round++) {
        pid_t kid[KIDS];
        for (int k = 0; k < KIDS; k++)
            if ((kid[k] = fork()) == 0) {
                char dir[600], msg[TTT_OUTDIR_MSG];
                snprintf(dir, sizeof dir, "%s/r%d/p/q/%d", tmp, round, k);
                static const char *const names[] = {"summary.tsv", NULL};
                _exit(write_result(dir, names, "x\n", msg) == GSL_SUCCESS ? 0 : 1);
            }
        for (int k = 0; k < KIDS; k++) {
            int st;
            waitpid(kid[k], &st, 0);
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d writer %d failed", round, k);
        }
    }
    rm_tree(tmp);
}
END_TEST

/* SIGTERM while a result is being written: exit 1, a message, the previous
 * result intact and no temporary left. */
START_TEST(test_outdir_signal_removes_the_temporary)
{
    char *tmp = make_temp_dir(), dir[512], msg[TTT_OUTDIR_MSG];
    snprintf(dir, sizeof dir, "%s/out", tmp);
    static const char *const names[] = {"summary.tsv", NULL};
    ck_assert_int_eq(write_result(dir, names, "old\n", msg), GSL_SUCCESS);
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t kid = fork();
    if (kid == 0) {
        ttt_outdir *o;
        if (ttt_outdir_open(dir, &o, msg))
            _exit(3);
        fputs("new\n", ttt_outdir_file(o, "summary.tsv", msg));
        fputs("half\n", ttt_outdir_file(o, "data/A.npy", msg));
        ssize_t w = write(ready[1], "r", 1);
        (void)w;
        for (;;)
            pause();
    }
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    kill(kid, SIGTERM);
    int st;
    waitpid(kid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert_int_eq(entries(tmp), 1);
    ck_assert(exists(dir, "summary.tsv") && !exists(dir, "data"));
    close(ready[0]);
    close(ready[1]);
    rm_tree(tmp);
}
END_TEST

Suite *make_outdir_suite(void)
{
    Suite *s = suite_create("outdir");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_outdir_commits_all_or_nothing);
    tcase_add_test(core, test_outdir_replaces_the_previous_result_whole);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_outdir_refuses_what_it_may_not_replace);
    tcase_add_test(limits, test_outdir_sweeps_stale_temporaries);
    tcase_add_test(limits, test_outdir_siblings_at_once);
    tcase_add_test(limits, test_outdir_signal_removes_the_temporary);
    suite_add_tcase(s, limits);
    return s;
}
