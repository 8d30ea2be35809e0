/* Suite "sweep": grids, per-job seeds, ordered rows, resume, and verify. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_ttt.h"
#include "ttt_sweep.h"
#include "ttt_verify.h"

static const char *const small[] = {"d1=256", "d2=24", "s=3", "topics=8", "n=400", "m=20", "k=12", NULL};

static void small_sweep(ttt_sweep *sw)
{
    ttt_params p = test_params(small);
    char msg[TTT_MSG];
    ttt_sweep_init(sw, &p);
    ck_assert_int_eq(ttt_sweep_word(sw, "reps=2", msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(sw, "k=6,12", msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(sw, "d2=16:32:log:3", msg), GSL_SUCCESS);
}

START_TEST(test_sweep_grid_and_ranges)
{
    ttt_sweep sw;
    small_sweep(&sw);
    ck_assert_uint_eq(ttt_sweep_points(&sw), 6);
    ck_assert_uint_eq(ttt_sweep_jobs(&sw), 12);
    /* 16, 16 * 2^(1/2) = 22.6 -> 23, 32; the last axis varies fastest. */
    ck_assert_str_eq(sw.axes[1].values[1], "23");
    ttt_params p;
    char msg[TTT_MSG];
    ck_assert_int_eq(ttt_sweep_job_params(&sw, 2 * 4 + 1, &p, msg), GSL_SUCCESS); /* point 4 = (k=12, d2=23), rep 1 */
    ck_assert_uint_eq(p.k, 12);
    ck_assert_uint_eq(p.d2, 23);
}
END_TEST

/* A job's seed depends on its parameters and replicate, not on the grid it
 * sits in: the point (k=12, d2=32) gets the same seed alone as in a grid. */
START_TEST(test_sweep_seed_independent_of_grid)
{
    ttt_sweep a, b;
    small_sweep(&a);
    ttt_params base = test_params(small);
    char msg[TTT_MSG];
    ttt_sweep_init(&b, &base);
    ck_assert_int_eq(ttt_sweep_word(&b, "reps=2", msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(&b, "d2=32,16", msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(&b, "k=12,50", msg), GSL_SUCCESS);
    ttt_params pa, pb;
    ck_assert_int_eq(ttt_sweep_job_params(&a, 5 * 2 + 1, &pa, msg), GSL_SUCCESS); /* k=12 d2=32 rep 1 */
    ck_assert_int_eq(ttt_sweep_job_params(&b, 0 * 2 + 1, &pb, msg), GSL_SUCCESS); /* d2=32 k=12 rep 1 */
    ck_assert_uint_eq(pa.k, pb.k);
    ck_assert_uint_eq(pa.d2, pb.d2);
    ck_assert_uint_eq(pa.seed, pb.seed);
    ttt_params pc;
    ck_assert_int_eq(ttt_sweep_job_params(&b, 0, &pc, msg), GSL_SUCCESS);
    ck_assert_uint_ne(pb.seed, pc.seed); /* replicates differ */
}
END_TEST

/* A job's seed is the one earlier versions gave it (the value below was
 * printed by b33bb02, before the keys generator and train), whatever train
 * is; generator = counter, a different instance law, gets its own. */
START_TEST(test_sweep_seeds_are_those_of_earlier_versions)
{
    const char *trains[] = {"train=auto", "train=stored", "train=streamed"};
    char msg[TTT_MSG];
    for (int t = 0; t < 4; t++) {
        ttt_params base;
        ttt_params_default(&base);
        ttt_sweep sw;
        ttt_sweep_init(&sw, &base);
        ck_assert_int_eq(ttt_sweep_word(&sw, "k=10,20", msg), GSL_SUCCESS);
        ck_assert_int_eq(ttt_sweep_word(&sw, "sparse=off", msg), GSL_SUCCESS);
        ck_assert_int_eq(ttt_sweep_word(&sw, "n=3000", msg), GSL_SUCCESS);
        ck_assert_int_eq(ttt_sweep_word(&sw, "m=20", msg), GSL_SUCCESS);
        ck_assert_int_eq(ttt_sweep_word(&sw, t < 3 ? trains[t] : "generator=counter", msg), GSL_SUCCESS);
        ttt_params p;
        ck_assert_int_eq(ttt_sweep_job_params(&sw, 0, &p, msg), GSL_SUCCESS);
        if (t < 3)
            ck_assert_uint_eq(p.seed, 10436462358710642026UL);
        else
            ck_assert_uint_ne(p.seed, 10436462358710642026UL);
    }
}
END_TEST

START_TEST(test_sweep_rejects_bad_axes)
{
    ttt_params p = test_params(small);
    ttt_sweep sw;
    char msg[TTT_MSG];
    ttt_sweep_init(&sw, &p);
    const char *bad[] = {"k=", "k=1,", "k=1:9:cube:3", "k=0:9:log:3", "k=1:9:log:1", "nokey=1,2", "seed=1,2",
                         "magnitudes=0:1:lin:2", "k=5,x", "reps=0", "sigma=-1,1",
                         /* strict whole numbers in axes and reps */
                         "reps= 2", "reps=+2", "reps=2 ", "reps=0x2", "k=+5,10", "k= 5,10", "k=5, 10",
                         "k=1:9:lin:+3", "k=1:9:lin: 3", "k= 1:9:lin:3", "k=1:9 :lin:3", "k=1:9:lin:3 ", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(ttt_sweep_word(&sw, bad[i], msg) != GSL_SUCCESS, "'%s' accepted", bad[i]);
    ck_assert_int_eq(ttt_sweep_word(&sw, "k=5,500", msg), GSL_SUCCESS);
    ck_assert_int_ne(ttt_sweep_check(&sw, msg), GSL_SUCCESS); /* k = 500 > n = 400 */
    ck_assert_ptr_nonnull(strstr(msg, "k=500"));
}
END_TEST

/* A value listed twice on an axis (equal after parsing) would run the same
 * point twice with the same seed: refused.  Ranges that round to the same
 * whole number still drop the repeats, as documented. */
START_TEST(test_sweep_refuses_duplicate_axis_values)
{
    ttt_params p = test_params(small);
    ttt_sweep sw;
    char msg[TTT_MSG];
    const struct {
        const char *word, *expect;
    } dup[] = {{"k=10,1e1", "k lists 10 twice"},
               {"k=6,12,6", "k lists 6 twice"},
               {"sigma=0.1,1e-1", "sigma lists 0.1 twice"},
               {"magnitudes=signed,positive,signed", "magnitudes lists signed twice"}};
    for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++) {
        ttt_sweep_init(&sw, &p);
        ck_assert_msg(ttt_sweep_word(&sw, dup[i].word, msg) != GSL_SUCCESS, "'%s' accepted", dup[i].word);
        ck_assert_msg(strstr(msg, dup[i].expect) && strstr(msg, "allowed"), "'%s' gave '%s'", dup[i].word, msg);
    }
    ttt_sweep_init(&sw, &p);
    ck_assert_int_eq(ttt_sweep_word(&sw, "k=1:3:lin:5", msg), GSL_SUCCESS);
    ck_assert_uint_eq(sw.axes[0].n, 3); /* 1, 1.5 -> 2, 2, 2.5 -> 3, 3 */
}
END_TEST

/* Found while writing tests/fuzz/fuzz_sweep (reproducers in tests/fuzz/regressions/):
 * 8 axes of 256 values are 2^64 points, which wrapped to 0, so the sweep was
 * accepted as 0 jobs and "completed"; and the job limit was checked only
 * after every point, so 5 axes of 256 values (1.1e12 points) kept
 * ttt_sweep_check busy for hours instead of being refused at once. */
START_TEST(test_sweep_refuses_huge_grids_at_once)
{
    static const char *const axes[] = {"d1=1000:1255:lin:256", "d2=1:256:lin:256", "n=1000:1255:lin:256",
                                       "m=2:257:lin:256", "k=1:256:lin:256", "topics=1:256:lin:256",
                                       "background=0:255:lin:256", "gd_steps=0:255:lin:256"};
    static ttt_sweep sw;
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ttt_sweep_init(&sw, &p);
    for (int i = 0; i < 8; i++) {
        ck_assert_msg(ttt_sweep_word(&sw, axes[i], msg) == GSL_SUCCESS, "%s: %s", axes[i], msg);
        ck_assert_uint_eq(sw.axes[i].n, 256);
        if (i == 4) { /* 2^40 points: refused without visiting them */
            ck_assert_int_ne(ttt_sweep_check(&sw, msg), GSL_SUCCESS);
            ck_assert_ptr_nonnull(strstr(msg, "more than 1e7 jobs"));
        }
    }
    ck_assert_uint_eq(ttt_sweep_points(&sw), SIZE_MAX); /* not 2^64 mod 2^64 = 0 */
    ck_assert_uint_eq(ttt_sweep_jobs(&sw), SIZE_MAX);
    ck_assert_int_ne(ttt_sweep_check(&sw, msg), GSL_SUCCESS);
    ck_assert_ptr_nonnull(strstr(msg, "more than 1e7 jobs"));
    /* 1e7 jobs exactly is allowed; one more replicate is not */
    ttt_sweep_init(&sw, &p);
    ck_assert_int_eq(ttt_sweep_word(&sw, "reps=100000", msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(&sw, "k=1:100:lin:100", msg), GSL_SUCCESS);
    ck_assert_uint_eq(ttt_sweep_jobs(&sw), 10000000);
    ck_assert_int_eq(ttt_sweep_check(&sw, msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_sweep_word(&sw, "sigma=0.1,0.2", msg), GSL_SUCCESS);
    ck_assert_int_ne(ttt_sweep_check(&sw, msg), GSL_SUCCESS);
}
END_TEST

/* sweep.tsv is identical with 1 and 2 threads, and after an interruption
 * (SIGINT mid-run) followed by --resume. */
START_TEST(test_sweep_file_independent_of_threads_and_resume)
{
    char *dir = make_temp_dir(), args[1024], out[256], err[4096];
    const char *grid = "d1=256 d2=24 s=3 topics=8 n=2000 m=40 k=6,12,24 sigma=0.1,0.2 reps=3 --quiet";
    snprintf(args, sizeof args, "sweep %s threads=1 --out %s/a", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "sweep %s threads=2 --out %s/b", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    /* Interrupted (Ctrl-C is SIGINT) early, then resumed. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "timeout -s INT 0.3 %s sweep %s --out %s/c >/dev/null 2>&1", getenv("TTT_BIN"), grid,
             dir);
    ck_assert_int_ne(system(cmd), -1);
    snprintf(args, sizeof args, "sweep %s --resume --out %s/c", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/a/sweep.tsv %s/b/sweep.tsv && cmp -s %s/a/sweep.tsv %s/c/sweep.tsv", dir,
             dir, dir, dir);
    ck_assert_msg(system(cmd) == 0, "sweep.tsv differs between threads or after resume (in %s)", dir);
    /* A truncated last line (a kill mid-write) is dropped and redone. */
    snprintf(cmd, sizeof cmd, "truncate -s -37 %s/c/sweep.tsv", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/a/sweep.tsv %s/c/sweep.tsv", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    /* Without --resume an existing sweep is refused; a different grid cannot resume it. */
    snprintf(args, sizeof args, "sweep %s --out %s/c", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--resume"));
    snprintf(args, sizeof args, "sweep d1=256 d2=24 s=3 topics=8 n=2000 m=40 k=6,12 reps=3 --resume --out %s/c", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "different sweep"));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* --resume keeps only rows that are exactly what this sweep writes: an
 * edited value, an edited key column, a duplicated row or a row_check not
 * written as ttt writes it is found (a note names the line) and its job and
 * the rest are recomputed, so the file ends identical to an uninterrupted
 * sweep.  An empty file, or one cut within its header, restarts.  A second
 * writer is refused while the first holds the directory's lock. */
START_TEST(test_resume_validates_rows_and_refuses_a_second_writer)
{
    char *dir = make_temp_dir(), args[1024], out[256], err[4096], cmd[2048];
    const char *grid = "d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6,12 reps=2 sparse=off --quiet";
    snprintf(args, sizeof args, "sweep %s --out %s/a", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    /* awk programs that damage a copy: $16 is mse, $13 is k; the last duplicates job 1's first row */
    static const char *const damage[] = {
        "$1 == 1 && !d { $16 = \"0.5\"; d = 1 } { print }",
        "$1 == 2 && !d { $13 = \"11\"; d = 1 } { print }",
        "{ print } $1 == 1 && !d { print; d = 1 }",
        "$1 == 3 && !d { $16 = \"x\"; d = 1 } { print }",
        /* row_check in upper case: the same number, but not the text ttt writes (found by fuzz_resume) */
        "$1 == 2 && !d { $NF = toupper($NF); d = 1 } { print }",
    };
    snprintf(args, sizeof args, "sweep %s --resume --out %s/c", grid, dir);
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        snprintf(cmd, sizeof cmd,
                 "mkdir -p %s/c && awk -F'\t' 'BEGIN { OFS = \"\t\" } /^#|^job/ { print; next } %s' %s/a/sweep.tsv "
                 "> %s/c/sweep.tsv",
                 dir, damage[i], dir, dir);
        ck_assert_int_eq(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "cmp -s %s/a/sweep.tsv %s/c/sweep.tsv", dir, dir);
        ck_assert_int_ne(system(cmd), 0); /* the damage is there */
        ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
        ck_assert_msg(strstr(err, "recomputing jobs"), "damage %zu: no note: %s", i, err);
        ck_assert_msg(system(cmd) == 0, "damage %zu: the resumed sweep differs (in %s)", i, dir);
    }
    snprintf(cmd, sizeof cmd, ": > %s/c/sweep.tsv", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "is empty (stopped before its header); starting from job 0"), "no note: %s", err);
    snprintf(cmd, sizeof cmd, "cmp -s %s/a/sweep.tsv %s/c/sweep.tsv", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    /* cut within its header (its first two comment lines): restarted with a
     * note (it was called "written by a different sweep" and refused) */
    snprintf(cmd, sizeof cmd, "head -n 2 %s/a/sweep.tsv > %s/c/sweep.tsv", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "stops within its header (2 of its"), "no note: %s", err);
    snprintf(cmd, sizeof cmd, "cmp -s %s/a/sweep.tsv %s/c/sweep.tsv", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    /* A writer holds the lock (flock(1), as a sweep does): the second is refused, the file untouched. */
    snprintf(cmd, sizeof cmd, "flock %s/c/.lock %s sweep %s --resume --out %s/c >/dev/null 2>%s/err", dir,
             getenv("TTT_BIN"), grid, dir, dir);
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "second writer not refused");
    snprintf(cmd, sizeof cmd, "grep -q 'another ttt sweep is writing' %s/err && cmp -s %s/a/sweep.tsv %s/c/sweep.tsv",
             dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* ttt table and ttt fit check every row's row_check: a row whose key or
 * value was edited (here job 1's k, so that it would be averaged into the
 * wrong grid point) is refused with exit 2 naming the line. */
START_TEST(test_table_and_fit_refuse_edited_rows)
{
    char *dir = make_temp_dir(), args[1024], out[4096], err[4096], cmd[2048];
    snprintf(args, sizeof args, "sweep d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6,12 reps=2 sparse=off --quiet --out %s/a",
             dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "table %s/a/sweep.tsv --y ttt", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "awk -F'\t' 'BEGIN { OFS = \"\t\" } /^#|^job/ { print; next } $1 == 1 { $13 = \"12\" } "
             "{ print }' %s/a/sweep.tsv > %s/e.tsv", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    const char *const cmds[] = {"table %s/e.tsv --y ttt", "fit %s/e.tsv --x k --y ttt"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, cmds[i], dir);
        ck_assert_msg(run_ttt(args, out, sizeof out, err, sizeof err) == 2, "'%s' not refused", cmds[i]);
        ck_assert_msg(strstr(err, "row_check does not match"), "%s: %s", cmds[i], err);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* A sweep into the directory of a run is refused (the next run would replace
 * the directory whole and lose the sweep); nothing is written there. */
START_TEST(test_sweep_refuses_a_run_directory)
{
    char *dir = make_temp_dir(), args[1024], out[256], err[4096], cmd[2048];
    snprintf(args, sizeof args, "run d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6 --quiet --out %s/r", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "sweep d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6,12 --quiet --out %s/r", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "holds the output of ttt run"));
    snprintf(cmd, sizeof cmd, "test ! -e %s/r/sweep.tsv && test ! -e %s/r/.lock", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* Three shards (--shard I/3, one interrupted and resumed) merged with ttt
 * merge give the one-process sweep.tsv byte for byte.  merge refuses a missing
 * shard, a shard given twice, a shard of another sweep, an incomplete shard and
 * an edited row, each with exit 2 and nothing written. */
START_TEST(test_shards_merge_to_the_one_process_sweep)
{
    char *dir = make_temp_dir(), args[1024], out[256], err[4096], cmd[2048];
    const char *grid = "d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6,12 sigma=0.1,0.2 reps=2 sparse=off --quiet";
    snprintf(args, sizeof args, "sweep %s --out %s/one", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    for (int i = 1; i <= 3; i++) {
        snprintf(args, sizeof args, "sweep %s --shard %d/3 --out %s/s%d", grid, i, dir, i);
        ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    }
    /* Shard 2 cut in its last row, then resumed. */
    snprintf(cmd, sizeof cmd, "truncate -s -37 %s/s2/sweep.tsv", dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(args, sizeof args, "merge %s/s1 %s/s2 %s/s3 --out %s/m", dir, dir, dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "is not complete"));
    snprintf(args, sizeof args, "sweep %s --shard 2/3 --resume --out %s/s2", grid, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "merge %s/s3 %s/s1 %s/s2 --out %s/m", dir, dir, dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/one/sweep.tsv %s/m/sweep.tsv", dir, dir);
    ck_assert_msg(system(cmd) == 0, "merged shards differ from the one-process sweep (in %s)", dir);
    /* Refusals: missing, twice, another sweep, an edited row. */
    snprintf(args, sizeof args, "sweep d1=128 d2=16 s=3 topics=4 n=300 m=10 k=6,12 reps=2 sparse=off --quiet "
             "--shard 2/3 --out %s/other", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "mkdir %s/e && awk -F'\t' 'BEGIN { OFS = \"\t\" } /^#|^job/ { print; next } "
             "!d { $16 = \"0.5\"; d = 1 } { print }' %s/s2/sweep.tsv > %s/e/sweep.tsv", dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    static const char *const bad[][2] = {{"s1 s2", "2 of the 3 shards"},
                                         {"s1 s1 s2", "both shard 1/3"},
                                         {"s1 other s3", "different sweeps"},
                                         {"s1 e s3", "row_check"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char list[256] = "", word[64];
        strcpy(word, bad[i][0]);
        for (char *save = NULL, *w = strtok_r(word, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, " %s/%s", dir, w);
        }
        snprintf(args, sizeof args, "merge%s --out %s/bad", list, dir);
        ck_assert_msg(run_ttt(args, out, sizeof out, err, sizeof err) == 2, "merge %s not refused", bad[i][0]);
        ck_assert_msg(strstr(err, bad[i][1]) && strchr(err, '\n') == err + strlen(err) - 1, "merge %s: %s", bad[i][0], err);
        snprintf(cmd, sizeof cmd, "test ! -e %s/bad", dir);
        ck_assert_msg(system(cmd) == 0, "merge %s left output", bad[i][0]);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* ttt fit and --bound run on a real sweep file; every bad option is one line
 * and exit status 2.  (The numbers of the fit are checked in suite fit.) */
START_TEST(test_cli_fit_and_bound)
{
    char *dir = make_temp_dir(), args[1024], out[4096], err[4096];
    snprintf(args, sizeof args,
             "sweep d1=256 d2=24 s=3 topics=8 n=2000 m=40 k=8:64:log:4 reps=2 sparse=off --quiet --out %s", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "fit %s/sweep.tsv --x k --y oracle", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(out, "slope"));
    ck_assert_ptr_nonnull(strstr(out, "R^2"));
    snprintf(args, sizeof args, "fit %s/sweep.tsv --y ttt --bound", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(out, "C = "));
    const char *bad[] = {"--x k --y nosuch", "--x nosuch --y ttt", "--x k", "--x k --y ttt --scale cubic",
                         "--x k --y ttt --where nosuch=1", "--x k --y ttt --range 5:1", "--x sigma --y ttt", NULL};
    for (int i = 0; bad[i]; i++) {
        snprintf(args, sizeof args, "fit %s/sweep.tsv %s", dir, bad[i]);
        ck_assert_msg(run_ttt(args, out, sizeof out, err, sizeof err) == 2, "'%s' not refused", bad[i]);
        ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
END_TEST

/* The quick verify profile passes (this is what `ttt verify --quick` runs),
 * and --list names every check. */
START_TEST(test_verify_quick_passes)
{
    char out[32768], err[4096];
    ck_assert_int_eq(run_ttt("verify --list", out, sizeof out, err, sizeof err), 0);
    for (size_t i = 0; i < ttt_verify_count(); i++)
        ck_assert_ptr_nonnull(strstr(out, ttt_verify_name(i)));
    /* tests/mutants.sh runs `ttt verify --quick` itself and counts its
     * failure as the suite's; it sets this so verify does not run twice. */
    if (getenv("TTT_VERIFY_TEST_SKIP"))
        return;
    int status = run_ttt("verify --quick", out, sizeof out, err, sizeof err);
    const char *fail = strstr(out, "FAIL");
    /* the failing row only: Check's messages are limited in length */
    ck_assert_msg(status == 0 && !fail, "verify --quick failed: %.300s", fail && fail - out > 120 ? fail - 120 : out);
    ck_assert_int_eq(run_ttt("verify nosuch", out, sizeof out, err, sizeof err), 2);
}
END_TEST

Suite *make_sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_sweep_grid_and_ranges);
    tcase_add_test(core, test_sweep_seed_independent_of_grid);
    tcase_add_test(core, test_sweep_seeds_are_those_of_earlier_versions);
    tcase_add_test(core, test_sweep_file_independent_of_threads_and_resume);
    tcase_add_test(core, test_resume_validates_rows_and_refuses_a_second_writer);
    tcase_add_test(core, test_shards_merge_to_the_one_process_sweep);
    tcase_add_test(core, test_sweep_refuses_a_run_directory);
    tcase_add_test(core, test_table_and_fit_refuse_edited_rows);
    tcase_add_test(core, test_cli_fit_and_bound);
    tcase_set_timeout(core, 120);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_sweep_rejects_bad_axes);
    tcase_add_test(limits, test_sweep_refuses_duplicate_axis_values);
    tcase_add_test(limits, test_sweep_refuses_huge_grids_at_once);
    suite_add_tcase(s, limits);
    TCase *stats = tcase_create("stats");
    tcase_add_test(stats, test_verify_quick_passes);
    tcase_set_timeout(stats, 1200); /* verify --quick: about 100 s, several times that under ASan */
    suite_add_tcase(s, stats);
    return s;
}
