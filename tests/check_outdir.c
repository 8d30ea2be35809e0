/* ttt_outdir: results written all or nothing, swapped into place whole. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
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

/* Writes text to file name of outdir o (which must open). */
static void outdir_put(ttt_outdir *o, const char *name, const char *text)
{
    char msg[TTT_MSG];
    FILE *fp;
    ck_assert_msg(ttt_outdir_file(o, name, &fp, msg) == GSL_SUCCESS, "%s", msg);
    fputs(text, fp);
}

/* One result: the given files with the given text, committed. */
static int write_result(const char *dir, const char *const *names, const char *text, char *msg)
{
    ttt_outdir *o;
    int status = ttt_outdir_open(dir, &o, msg);
    if (status)
        return status;
    for (size_t i = 0; names[i]; i++)
        outdir_put(o, names[i], text);
    return ttt_outdir_commit(o, msg);
}

START_TEST(test_outdir_commits_all_or_nothing)
{
    char *tmp = make_temp_dir(), dir[512], msg[TTT_MSG];
    snprintf(dir, sizeof dir, "%s/a/b", tmp);
    /* Aborted: nothing of it is left, not even the parents it created. */
    ttt_outdir *o;
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_SUCCESS);
    outdir_put(o, "one.tsv", "x\n");
    outdir_put(o, "data/two.npy", "y\n");
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
    char *tmp = make_temp_dir(), dir[512], msg[TTT_MSG];
    snprintf(dir, sizeof dir, "%s/out", tmp);
    static const char *const first[] = {"summary.tsv", "data/old.npy", NULL}, *const second[] = {"summary.tsv", NULL};
    ck_assert_int_eq(write_result(dir, first, "seed 1\n", msg), GSL_SUCCESS);
    ck_assert_int_eq(write_result(dir, second, "seed 2\n", msg), GSL_SUCCESS);
    ck_assert(exists(dir, "summary.tsv") && !exists(dir, "data"));
    ck_assert_int_eq(entries(tmp), 1);
    /* An aborted third leaves the second as it was. */
    ttt_outdir *o;
    ck_assert_int_eq(ttt_outdir_open(dir, &o, msg), GSL_SUCCESS);
    outdir_put(o, "summary.tsv", "seed 3\n");
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
    char *tmp = make_temp_dir(), dir[512], msg[TTT_MSG];
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
    char *tmp = make_temp_dir(), dir[512], stale[600], live[600], msg[TTT_MSG];
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
                char dir[600], msg[TTT_MSG];
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
    char *tmp = make_temp_dir(), dir[512], msg[TTT_MSG];
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
        outdir_put(o, "summary.tsv", "new\n");
        outdir_put(o, "data/A.npy", "half\n");
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

/* ---- several `ttt run` processes into one DIR at once ---- */

/* The whole file, or NULL; a .tsv file without its "# utc:" and "# command:"
 * lines, the only ones that differ between two runs of one seed. */
static char *file_text(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *text = NULL;
    *len = 0;
    size_t cap = 0;
    const size_t plen = strlen(path);
    const int tsv = plen > 4 && !strcmp(path + plen - 4, ".tsv");
    char *line = NULL;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        if (tsv && (!strncmp(line, "# utc:", 6) || !strncmp(line, "# command:", 10)))
            continue;
        text = realloc(text, *len + (size_t)n);
        ck_assert_ptr_nonnull(text);
        memcpy(text + *len, line, (size_t)n);
        *len += (size_t)n;
    }
    free(line);
    fclose(fp);
    return text ? text : calloc(1, 1);
}

/* Does tree a hold exactly the files of tree b, each with the same text (as
 * file_text reads it)?  NULL, or the path in a or b that differs. */
static const char *same_tree(const char *a, const char *b, char *where, size_t len)
{
    for (int pass = 0; pass < 2; pass++) { /* pass 1: nothing in b that a lacks */
        const char *from = pass ? b : a, *to = pass ? a : b;
        DIR *d = opendir(from);
        if (!d) {
            snprintf(where, len, "%s (not a directory)", from);
            return where;
        }
        struct dirent *e;
        const char *bad = NULL;
        while (!bad && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char pa[1024], pb[1024];
            struct stat sa, sb;
            snprintf(pa, sizeof pa, "%s/%s", from, e->d_name);
            snprintf(pb, sizeof pb, "%s/%s", to, e->d_name);
            if (lstat(pa, &sa) != 0 || lstat(pb, &sb) != 0 || S_ISDIR(sa.st_mode) != S_ISDIR(sb.st_mode)) {
                snprintf(where, len, "%s (missing or of another kind beside it)", pa);
                bad = where;
            } else if (S_ISDIR(sa.st_mode)) {
                bad = same_tree(pa, pb, where, len);
            } else if (!pass) {
                size_t na, nb;
                char *ta = file_text(pa, &na), *tb = file_text(pb, &nb);
                if (!ta || !tb || na != nb || memcmp(ta, tb, na)) {
                    snprintf(where, len, "%s (differs from %s)", pa, pb);
                    bad = where;
                }
                free(ta);
                free(tb);
            }
        }
        closedir(d);
        if (bad)
            return bad;
    }
    return NULL;
}

/* The seed in the "# seed = N" line of path, or -1. */
static long header_seed(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char line[256];
    long seed = -1;
    while (seed < 0 && fgets(line, sizeof line, fp) && line[0] == '#')
        if (sscanf(line, "# seed = %ld", &seed) != 1)
            seed = -1;
    fclose(fp);
    return seed;
}

/* A name in dir with ".ttt-tmp-" in it (a temporary left behind), or NULL. */
static const char *temporary_in(const char *dir, char *name, size_t len)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    const char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        if (strstr(e->d_name, ".ttt-tmp-")) {
            snprintf(name, len, "%s", e->d_name);
            found = name;
        }
    closedir(d);
    return found;
}

/* Starts `$TTT_BIN run ... seed=SEED --out dir` (odd seeds with --save-data,
 * so the writers' results differ in their file lists too) with stderr in
 * errpath.  The child first waits until every write end of the gate pipe is
 * closed, so that all writers start together. */
static pid_t start_run(const int gate[2], long seed, const char *dir, const char *errpath)
{
    pid_t kid = fork();
    ck_assert_int_ge(kid, 0);
    if (kid)
        return kid;
    close(gate[1]);
    char c;
    if (read(gate[0], &c, 1) != 0) /* returns 0 when the parent closes its write end */
        _exit(126);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0666), null = open("/dev/null", O_WRONLY);
    if (fd < 0 || null < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
        _exit(126);
    char seedword[32];
    snprintf(seedword, sizeof seedword, "seed=%ld", seed);
    const char *bin = getenv("TTT_BIN");
    execl(bin, bin, "run", "d1=64", "d2=8", "s=2", "topics=4", "n=200", "m=10", "k=10", "threads=1", seedword,
          "--quiet", "--out", dir, seed % 2 ? "--save-data" : NULL, (char *)NULL);
    _exit(127);
}

/* Starts one writer per seed 1..writers into dirs[w], all at once, and
 * asserts that each exits 0 (with its stderr in the message). */
static void run_at_once(int writers, char (*dirs)[512], const char *tmp, int round)
{
    int gate[2];
    ck_assert_int_eq(pipe(gate), 0);
    pid_t kid[8];
    char errs[8][600];
    ck_assert_int_le(writers, 8);
    for (int w = 0; w < writers; w++) {
        snprintf(errs[w], sizeof errs[w], "%s/err%d", tmp, w + 1);
        kid[w] = start_run(gate, w + 1, dirs[w], errs[w]);
    }
    close(gate[0]);
    close(gate[1]); /* all start now */
    for (int w = 0; w < writers; w++) {
        int st;
        ck_assert_int_eq(waitpid(kid[w], &st, 0), kid[w]);
        char text[1024] = "";
        FILE *fp = fopen(errs[w], "r");
        if (fp) {
            size_t n = fread(text, 1, sizeof text - 1, fp);
            text[n] = '\0';
            fclose(fp);
        }
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: the writer of seed %d: status %d: %s",
                      round, w + 1, st, text);
    }
}

/* Writers into one DIR at the same time.  ttt takes no lock for `run` (only a
 * sweep locks its directory), so every writer succeeds and the result is the
 * last swap's: DIR holds exactly one writer's complete output (every file as
 * a solo run of that seed writes it, nothing of another's), and no
 * .DIR.ttt-tmp-* temporary is left beside it.  Which writer wins is timing
 * and not checked. */
START_TEST(test_outdir_concurrent_runs_into_one_dir)
{
    ck_assert_msg(getenv("TTT_BIN") != NULL, "TTT_BIN is not set (run the tests through make check)");
    enum { WRITERS = 3, ROUNDS = 5 };
    char *tmp = make_temp_dir(), solo[WRITERS][512], shared[WRITERS][512], where[2200], name[256];
    for (int w = 0; w < WRITERS; w++) {
        snprintf(solo[w], sizeof solo[w], "%s/solo%d", tmp, w + 1);
        snprintf(shared[w], sizeof shared[w], "%s/shared", tmp);
    }
    run_at_once(WRITERS, solo, tmp, -1); /* the reference result of each seed, each in its own DIR */
    for (int round = 0; round < ROUNDS; round++) {
        run_at_once(WRITERS, shared, tmp, round);
        char summary[600];
        snprintf(summary, sizeof summary, "%s/summary.tsv", shared[0]);
        long seed = header_seed(summary);
        ck_assert_msg(seed >= 1 && seed <= WRITERS, "round %d: no writer's seed in %s", round, summary);
        ck_assert_msg(!same_tree(shared[0], solo[seed - 1], where, sizeof where),
                      "round %d: %s is not seed %ld's result alone: %s", round, shared[0], seed, where);
        ck_assert_msg(!temporary_in(tmp, name, sizeof name), "round %d: %s is left in %s", round, name, tmp);
    }
    rm_tree(tmp);
}
END_TEST

/* Writers that commit into one DIR at the same instant, through the API: each
 * writes its files, says it is ready, and commits when the parent opens the
 * gate, so that the swaps themselves overlap (whole ttt runs rarely finish
 * within microseconds of each other); every other round DIR does not exist
 * yet, so they race to create it (the fsyncs before the swap spread them out:
 * two writers both finding DIR absent is rare, and a planted bug there was
 * not caught).  Writer w writes "writer w" into
 * FILES files, and odd writers also into data/ files.  Every commit must
 * succeed, and DIR must then hold exactly one writer's files, all of them,
 * and no temporary may be left beside it. */
START_TEST(test_outdir_concurrent_commits)
{
    enum { WRITERS = 4, ROUNDS = 10, FILES = 8 };
    char *tmp = make_temp_dir(), dir[512], name[256];
    snprintf(dir, sizeof dir, "%s/out", tmp);
    for (int round = 0; round < ROUNDS; round++) {
        if (round % 2 == 0) { /* every other round the writers race to create DIR */
            char cmd[600];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
            ck_assert_int_eq(system(cmd), 0);
        }
        int gate[2], ready[2];
        ck_assert_int_eq(pipe(gate), 0);
        ck_assert_int_eq(pipe(ready), 0);
        pid_t kid[WRITERS];
        for (int w = 0; w < WRITERS; w++)
            if ((kid[w] = fork()) == 0) {
                close(gate[1]);
                char msg[TTT_MSG], text[32], file[64];
                ttt_outdir *o;
                if (ttt_outdir_open(dir, &o, msg))
                    _exit(3);
                snprintf(text, sizeof text, "writer %d\n", w);
                for (int f = 0; f < FILES; f++) {
                    snprintf(file, sizeof file, "f%02d.tsv", f);
                    outdir_put(o, file, text);
                    snprintf(file, sizeof file, "data/d%02d.npy", f);
                    if (w % 2)
                        outdir_put(o, file, text);
                }
                char c = 'r';
                if (write(ready[1], &c, 1) != 1 || read(gate[0], &c, 1) != 0)
                    _exit(4);
                _exit(ttt_outdir_commit(o, msg) == GSL_SUCCESS ? 0 : 1);
            }
        close(ready[1]);
        char c;
        for (int w = 0; w < WRITERS; w++)
            ck_assert_int_eq(read(ready[0], &c, 1), 1);
        close(ready[0]);
        close(gate[0]);
        close(gate[1]); /* all commit now */
        for (int w = 0; w < WRITERS; w++) {
            int st;
            ck_assert_int_eq(waitpid(kid[w], &st, 0), kid[w]);
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: writer %d: status %d", round, w, st);
        }
        /* The winner is the writer of f00.tsv; every other file must be its too. */
        char path[700], first[32] = "", text[32];
        snprintf(path, sizeof path, "%s/f00.tsv", dir);
        FILE *fp = fopen(path, "r");
        ck_assert_ptr_nonnull(fp);
        ck_assert_ptr_nonnull(fgets(first, sizeof first, fp));
        fclose(fp);
        int w = -1;
        ck_assert_int_eq(sscanf(first, "writer %d", &w), 1);
        for (int f = 0; f < FILES; f++)
            for (int data = 0; data < 2; data++) {
                snprintf(path, sizeof path, data ? "%s/data/d%02d.npy" : "%s/f%02d.tsv", dir, f);
                fp = fopen(path, "r");
                ck_assert_msg(!fp == (data && w % 2 == 0), "round %d: %s %s (writer %d won)", round, path,
                              fp ? "is there" : "is missing", w);
                if (!fp)
                    continue;
                ck_assert_ptr_nonnull(fgets(text, sizeof text, fp));
                fclose(fp);
                ck_assert_msg(!strcmp(text, first), "round %d: %s holds %.12s but f00.tsv %.12s", round, path, text,
                              first);
            }
        /* FILES files, the marker, and data/ for an odd writer: nothing else. */
        ck_assert_int_eq(entries(dir), FILES + 1 + w % 2);
        ck_assert_msg(!temporary_in(tmp, name, sizeof name), "round %d: %s is left beside %s", round, name, dir);
    }
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
    TCase *concurrent = tcase_create("concurrent"); /* several writers into one DIR at once */
    tcase_set_timeout(concurrent, 60);                /* a few seconds, most of it fsync */
    tcase_add_test(concurrent, test_outdir_concurrent_commits);
    tcase_add_test(concurrent, test_outdir_concurrent_runs_into_one_dir);
    suite_add_tcase(s, concurrent);
    return s;
}
