/* The program as a user runs it: outputs, bad input, determinism, golden. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_ttt.h"
#include "ttt_estimate.h"

#define SMALL "d1=400 d2=32 s=4 topics=20 n=2000 m=60 k=20"

static char out[1 << 16], err[1 << 16];

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The data rows of a TSV file (the '#' lines carry the time and command). */
static size_t count_lines(const char *s)
{
    size_t lines = 0;
    for (; *s; s++)
        lines += *s == '\n';
    return lines;
}

static char *data_rows(const char *path)
{
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap), line[8192];
    buf[0] = '\0';
    while (fgets(line, sizeof line, fp))
        if (line[0] != '#') {
            size_t l = strlen(line);
            if (len + l + 1 > cap)
                buf = realloc(buf, cap *= 2);
            memcpy(buf + len, line, l + 1);
            len += l;
        }
    fclose(fp);
    return buf;
}

START_TEST(test_defaults_print_a_config_that_runs)
{
    char *dir = make_temp_dir(), args[1024];
    ck_assert_int_eq(run_ttt("defaults", out, sizeof out, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(out, "d1            = 4096"));
    char conf[600];
    snprintf(conf, sizeof conf, "%s/defaults.conf", dir);
    FILE *fp = fopen(conf, "w");
    fputs(out, fp);
    fclose(fp);
    snprintf(args, sizeof args, "run %s " SMALL " --out %s/o --quiet", conf, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_run_prints_table_and_writes_tsv_with_provenance)
{
    char *dir = make_temp_dir(), args[1024], path[600];
    snprintf(args, sizeof args, "run " SMALL " gd_steps=10 --out %s/o", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(out, "ttt_global"));
    ck_assert_ptr_nonnull(strstr(out, "global MSE, n = inf"));
    ck_assert_ptr_null(strstr(out, "nan"));
    ck_assert_ptr_null(strstr(out, "NaN"));
    const char *files[] = {"summary.tsv", "analytic.tsv", "predictions.tsv", "geometry.tsv"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/o/%s", dir, files[i]);
        FILE *fp = fopen(path, "r");
        ck_assert_msg(fp != NULL, "%s missing", path);
        char line[4096];
        ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
        ck_assert_msg(strncmp(line, "# ttt ", 6) == 0, "first line of %s: %s", files[i], line);
        fclose(fp);
    }
    snprintf(path, sizeof path, "%s/o/predictions.tsv", dir);
    char *rows = data_rows(path);
    /* The columns: every estimator (all run here: gd_steps > 0, sparse on by default) in registry
     * order, the neighbourhood's columns, then the support of each estimator that reports one. */
    char want[1024] = "id\tf\ty\ttopic";
    for (int e = 0; e < TTT_EST_COUNT; e++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "\t%s", ttt_estimator_name(e));
    strcat(want, "\tsupport\tcovered\toracle_var\trank");
    for (int e = 0; e < TTT_EST_COUNT; e++)
        if (ttt_estimator_about(e)->support)
            snprintf(want + strlen(want), sizeof want - strlen(want), "\t%s_support", ttt_estimator_name(e));
    strcat(want, "\n");
    ck_assert_ptr_nonnull(strstr(want, "\tglobal\tttt\tttt_global\tttt_gd\toracle\tlasso\tlasso_decoded\tomp\tknn"));
    ck_assert_msg(strncmp(rows, want, strlen(want)) == 0, "header: %.200s", rows);
    ck_assert_uint_eq(count_lines(rows), 61);
    free(rows);
    snprintf(path, sizeof path, "%s/o/summary.tsv", dir);
    rows = data_rows(path);
    ck_assert_ptr_nonnull(strstr(rows, "\nglobal\t"));
    ck_assert_ptr_nonnull(strstr(rows, "\tapprox\n"));
    free(rows);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* Each bad input: exit status 2, one line naming the problem, no output. */
static const struct {
    const char *args, *expect;
} bad_runs[] = {
    {"run nonsense=1", "unknown key 'nonsense'"},
    {"run d2=12x", "d2 = '12x' is not a whole number"},
    {"run s=20 pool=10", "s = 20 is out of range"},
    {"run pool=5000", "pool = 5000 is out of range"},
    {"run k=100 n=50", "k = 100 is out of range; allowed: 1 <= k <= n (n = 50)"},
    {"run sigma=-1", "sigma = -1 is out of range"},
    {"run dictionary=orthonormal", "dictionary = orthonormal needs d1 <= d2"},
    {"run d2=40000 n=100", "d2 = 40000 needs d2 x d2 matrices"},
    {"run d1=0", "d1 = 0 is out of range"},
    {"run d1=2000000000", "d1 = 2000000000 is out of range; allowed: 1 <= d1 <= 1000000000"},
    /* A is stored whole only where it fits */
    {"run generator=stream d1=20000000 d2=8 sparse=off", "generator = stream stores A whole"},
    {"run generator=stream d1=10000000 d2=128 sparse=off", "allowed: d1 <= 1e7 and d1 * d2 <= 1e9"},
    {"run d1=20000000 d2=8", "sparse = on decodes against all d1 atoms, which needs A stored"},
    {"run d1=20000000 d2=8 sparse=off --save-data", "--save-data writes A (d2 x d1), which is not stored"},
    /* ... named before sparse = on's own need of A (it was refused for sparse, then for this) */
    {"run d1=20000000 d2=8 --save-data", "--save-data writes A (d2 x d1), which is not stored"},
    {"generate d1=20000000 d2=8", "generate writes A (d2 x d1), which is not stored"},
    {"run d2=0", "d2 = 0 is out of range"},
    {"run n=0", "n = 0 is out of range"},
    {"run /nonexistent/x.conf", "cannot read config file '/nonexistent/x.conf'"},
    {"run a.conf b.conf", "more than one config file"},
    {"run --frobnicate", "unknown option '--frobnicate'"},
    {"run --out", "--out needs a directory name"},
    {"generate d2=8", "generate needs --out DIR"}, /* the one case run without --out */
    {"transmogrify", "unknown command 'transmogrify'"},
    {"demo d2=3", "d2 must be 2"},
    {"demo k=0", "k = 0 is out of range"},
    {"demo d1=1000000000", "demo draws every concept's direction, which needs A stored"},
    {"table", "table needs FILE --y"},
    {"table x.tsv --y ttt --format xml", "--format 'xml' is not allowed"},
    {"table /nonexistent/sweep.tsv --y ttt", "/nonexistent/sweep.tsv"},
    /* strict integers, on every path a whole number is read */
    {"run seed=' -1'", "seed = ' -1' is not a whole number; allowed: 0 <= seed < 2^64"},
    {"run k=' 5'", "k = ' 5' is not a whole number"},
    {"run k=+5", "k = '+5' is not a whole number"},
    {"sweep k=5,+10", "k = '+10' is not a whole number"},
    {"sweep k=5,10 reps=' 2'", "reps = ' 2' is not allowed"},
    /* the same point twice */
    {"sweep k=10,1e1", "k lists 10 twice"},
    /* options fit --bound would ignore */
    {"fit x.tsv --y ttt --bound --scale linear", "--scale does not apply to --bound"},
    {"fit x.tsv --y ttt --bound --x k", "--x with --bound only names the key --range selects rows by"},
    {"sweep k=10,20 k=30", "k is swept ('k=10,20') and then set to one value ('k=30'); allowed: the value before"},
    /* arguments a command does not use */
    {"defaults --bogus", "defaults takes no arguments"},
    {"defaults k=5", "defaults takes no arguments"},
    {"verify --list junk", "--list takes no other arguments"},
    {"verify w_law w_law --quick", "check 'w_law' is named twice"},
    {"demo --save-data", "unknown option '--save-data'; allowed: --out DIR, --force, --quiet"},
    {"demo some.conf", "demo takes no config file ('some.conf'); allowed: key=value words"},
    {"help junk", "help takes no arguments"},
    {"--version junk", "--version takes no arguments"},
    /* a read error says why */
    {"run /tmp", "cannot read config file '/tmp': Is a directory"},
    {"table /tmp --y ttt", "cannot read '/tmp': Is a directory"},
    /* an option given twice leaves its first value unused */
    {"run d2=8 --out a", "--out is given twice; allowed: once"},
    {"sweep k=5,10 --out a", "--out is given twice; allowed: once"},
    {"fit x.tsv --x k --x d2 --y ttt", "--x is given twice; allowed: once"},
    {"fit x.tsv --x k --y ttt --y knn", "--y is given twice; allowed: once"},
    {"fit x.tsv --x k --y ttt --scale linear --scale loglog", "--scale is given twice; allowed: once"},
    {"table x.tsv --y ttt --format md --format latex", "--format is given twice; allowed: once"},
    {"table x.tsv --y ttt --out a.tsv", "--out is given twice; allowed: once"},
    {"sweep k=0x1:9:lin:3", "k = '0x1:9:lin:3' is not a valid range"},
};

START_TEST(test_bad_input_exits_2_with_one_line_and_no_files)
{
    char *dir = make_temp_dir(), args[1024], outdir[600];
    snprintf(outdir, sizeof outdir, "%s/o", dir);
    snprintf(args, sizeof args, "%s --out %s", bad_runs[_i].args, outdir);
    if (strcmp(bad_runs[_i].args, "run --out") == 0 || strncmp(bad_runs[_i].args, "generate", 8) == 0 ||
        strncmp(bad_runs[_i].args, "fit ", 4) == 0) /* fit takes no --out */
        snprintf(args, sizeof args, "%s", bad_runs[_i].args);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, bad_runs[_i].expect) != NULL, "'%s' said: %s", args, err);
    ck_assert_msg(strncmp(err, "ttt: ", 5) == 0 && strchr(err, '\n') == err + strlen(err) - 1,
                  "not one line: %s", err);
    ck_assert_str_eq(out, "");
    ck_assert(!exists(outdir));
    rm_rf(dir);
    free(dir);
}
END_TEST

/* ttt demo: the narrated walkthrough and the five files of the pictures;
 * ttt table on a real sweep: the named columns, and no file on bad specs. */
START_TEST(test_demo_and_table_write_what_the_figures_read)
{
    char *dir = make_temp_dir(), args[1024], path[700];
    snprintf(args, sizeof args, "demo --out %s/teach", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(out, "1. The world has d1 = 6 concepts"));
    ck_assert_ptr_nonnull(strstr(out, "TTT is"));
    ck_assert_ptr_null(strstr(out, "nan"));
    const char *files[] = {"concepts.tsv", "points.tsv", "test.tsv", "heads.tsv", "k.tsv"};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/teach/%s", dir, files[i]);
        ck_assert_msg(exists(path), "%s missing", path);
    }
    snprintf(args, sizeof args, "sweep " SMALL " sparse=off d2=16,32 reps=2 --quiet --out %s/sw", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "table %s/sw/sweep.tsv --y global/ttt,ttt:rel,support --out %s/t.tsv", dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/t.tsv", dir);
    char *rows = data_rows(path);
    ck_assert_msg(strstr(rows, "\treps\tlog10_global_over_ttt\tlog10_global_over_ttt_se\tttt_rel\tttt_rel_se\t"
                               "support\tsupport_se\n") != NULL, "header: %.300s", rows);
    ck_assert_uint_eq(count_lines(rows), 3);
    free(rows);
    snprintf(args, sizeof args, "table %s/sw/sweep.tsv --y ttt:nonsense --out %s/u.tsv", dir, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    snprintf(path, sizeof path, "%s/u.tsv", dir);
    ck_assert(!exists(path));
    rm_rf(dir);
    free(dir);
}
END_TEST

/* A small sweep.tsv: 2 points x 2 reps x 2 estimators. */
static const char sweep_rows[] =
    "# a sweep\n"
    "job\tpoint\trep\tseed\td2\testimator\tmse\n"
    "0\t0\t0\t1\t8\tglobal\t1\n0\t0\t0\t1\t8\tttt\t0.1\n"
    "1\t0\t1\t2\t8\tglobal\t2\n1\t0\t1\t2\t8\tttt\t0.2\n"
    "2\t1\t0\t3\t16\tglobal\t3\n2\t1\t0\t3\t16\tttt\t0.3\n"
    "3\t1\t1\t4\t16\tglobal\t4\n3\t1\t1\t4\t16\tttt\t0.5\n";

static void write_text(const char *path, const char *a, const char *b)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(a, fp);
    fputs(b, fp);
    fclose(fp);
}

/* ttt fit and ttt table refuse repeated rows and fractional job/point/rep
 * cells (fit would count them twice, table as more replicates). */
START_TEST(test_fit_and_table_refuse_duplicate_rows)
{
    char *dir = make_temp_dir(), args[1024], path[600];
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    write_text(path, sweep_rows, "");
    snprintf(args, sizeof args, "fit %s --x d2 --y ttt", path);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args, sizeof args, "table %s --y ttt", path);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    const struct {
        const char *extra, *expect;
    } bad[] = {{"3\t1\t1\t4\t16\tttt\t0.5\n", "lines 10 and 11 are both job 3 of estimator ttt"},
               {"1.5\t1\t1\t4\t16\tttt\t0.5\n", "line 11: job = '1.5' is not a whole number"},
               {"4\t1.5\t0\t4\t16\tttt\t0.5\n", "line 11: point = '1.5' is not a whole number"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, sweep_rows, bad[i].extra);
        const char *cmds[] = {"fit %s --x d2 --y ttt", "table %s --y ttt"};
        for (int c = 0; c < 2; c++) {
            snprintf(args, sizeof args, cmds[c], path);
            ck_assert_msg(run_ttt(args, out, sizeof out, err, sizeof err) == 2, "'%s' case %zu not refused", args,
                          i);
            ck_assert_msg(strstr(err, path) && strstr(err, bad[i].expect), "'%s' said: %s", args, err);
            ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
            ck_assert_str_eq(out, "");
        }
    }
    rm_rf(dir);
    free(dir);
}
END_TEST

/* More --y specs than ttt table keeps: refused, not dropped. */
START_TEST(test_table_refuses_too_many_specs)
{
    char *dir = make_temp_dir(), args[2048], path[600];
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    write_text(path, sweep_rows, "");
    int used = snprintf(args, sizeof args, "table %s --y ttt", path);
    for (int i = 1; i < 64; i++)
        used += snprintf(args + used, sizeof args - (size_t)used, ",ttt");
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(args + used, sizeof args - (size_t)used, ",global");
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "--y has 65 specs; allowed: at most 64"), "said: %s", err);
    ck_assert_str_eq(out, "");
    rm_rf(dir);
    free(dir);
}
END_TEST

/* A '#' line of any length above the table is copied whole, and the line
 * ttt table adds starts a line of its own. */
START_TEST(test_table_copies_long_comment_lines_whole)
{
    char *dir = make_temp_dir(), args[1024], path[600];
    size_t len = 6000;
    char *comment = malloc(len + 3);
    comment[0] = '#';
    memset(comment + 1, 'c', len);
    strcpy(comment + 1 + len, "\n");
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    write_text(path, comment, sweep_rows);
    snprintf(args, sizeof args, "table %s --y ttt", path);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_msg(strncmp(out, comment, len + 2) == 0, "comment not copied whole");
    ck_assert_msg(strstr(out, "\n# ttt table ") != NULL, "said: %.100s", out + len);
    free(comment);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* Config keys: a key twice in a file is refused; command-line words override
 * the file and earlier words; a long comment stays a comment. */
START_TEST(test_config_rules_on_the_command_line)
{
    char *dir = make_temp_dir(), args[1024], path[600];
    snprintf(path, sizeof path, "%s/my.conf", dir);
    write_text(path, "k = 7\nseed = 3\n", "");
    snprintf(args, sizeof args, "run %s " SMALL " k=5 k=12 --out %s/o", path, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_msg(strstr(out, " k=12 ") && strstr(out, "seed=3\n"), "said: %.200s", out);
    char *text = malloc(4000);
    memset(text, 'x', 1023); /* the tail past byte 1023 was read as a line of its own */
    text[0] = '#';
    strcpy(text + 1023, "k=7\n");
    write_text(path, text, "");
    free(text);
    snprintf(args, sizeof args, "run %s d1=400 d2=32 s=4 topics=20 n=2000 m=60 --out %s/p", path, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    ck_assert_msg(strstr(out, " k=50 "), "said: %.200s", out);
    write_text(path, "k = 7\nk = 9\n", "");
    snprintf(args, sizeof args, "run %s --out %s/q", path, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "my.conf:2: k is set twice (first on line 1)"), "said: %s", err);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* Messages: control bytes in echoed input are escaped, the "allowed:" part
 * survives however long the echoed value, and a NUL byte in a config or a
 * table is named. */
START_TEST(test_messages_escape_and_keep_allowed)
{
    char *dir = make_temp_dir(), args[8192], path[600];
    ck_assert_int_eq(run_ttt("run \"dictionary=$(printf 'a\\001b\\nc')\"", out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "dictionary = 'a\\x01b\\nc' is not allowed; allowed: gaussian"), "said: %s", err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1 && !strchr(err, 1), "not one clean line: %s", err);
    int used = snprintf(args, sizeof args, "run dictionary=");
    memset(args + used, 'z', 3000);
    args[used + 3000] = '\0';
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "allowed: gaussian | rademacher | orthonormal\n"), "said: %.80s ... %s", err,
                  err + (strlen(err) > 200 ? strlen(err) - 200 : 0));
    ck_assert_msg(strlen(err) < TTT_MSG + 8, "%zu bytes", strlen(err)); /* "ttt: " and the message, cut to TTT_MSG */
    snprintf(path, sizeof path, "%s/my.conf", dir);
    FILE *fp = fopen(path, "w");
    fputs("d2 = 8\nk = 5", fp);
    fputc(0, fp);
    fputs("7\n", fp);
    fclose(fp);
    snprintf(args, sizeof args, "run %s --out %s/o", path, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "my.conf:2: NUL byte"), "said: %s", err);
    snprintf(path, sizeof path, "%s/sweep.tsv", dir);
    write_text(path, sweep_rows, "");
    fp = fopen(path, "r+");
    fseek(fp, 60, SEEK_SET);
    fputc(0, fp);
    fclose(fp);
    snprintf(args, sizeof args, "table %s --y ttt", path);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "sweep.tsv:3: NUL byte"), "said: %s", err);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* Runs cmd in a shell with ttt's stderr going to DIR/err; the exit status,
 * and that stderr in err. */
static int shell_err(const char *cmd, const char *dir)
{
    char path[600];
    int status = system(cmd);
    snprintf(path, sizeof path, "%s/err", dir);
    read_text(path, err, sizeof err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A write that fails says why (here: the file size limit). */
START_TEST(test_failed_write_says_why)
{
    char *dir = make_temp_dir(), cmd[2048];
    snprintf(cmd, sizeof cmd, "ulimit -f 200; trap '' XFSZ; %s run " SMALL " --save-data --quiet --out %s/o 2>%s/err",
             getenv("TTT_BIN"), dir, dir);
    ck_assert_int_eq(shell_err(cmd, dir), 1);
    ck_assert_msg(strstr(err, ".npy") && strstr(err, "File too large"), "said: %s", err);
    /* into an empty DIR: no previous result to call intact (it said so) */
    snprintf(cmd, sizeof cmd, "mkdir %s/e && ulimit -f 200; trap '' XFSZ; %s run " SMALL " --save-data --quiet "
             "--out %s/e 2>%s/err", dir, getenv("TTT_BIN"), dir, dir);
    ck_assert_int_eq(shell_err(cmd, dir), 1);
    ck_assert_msg(strstr(err, "File too large") && !strstr(err, "previous result"), "said: %s", err);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* ... a sweep's too (it said only "cannot write sweep.tsv"). */
START_TEST(test_failed_sweep_write_says_why)
{
    char *dir = make_temp_dir(), cmd[2048];
    snprintf(cmd, sizeof cmd, "ulimit -f 4; trap '' XFSZ; %s sweep " SMALL " sparse=off sigma=0.01:0.16:lin:16 --quiet "
             "--out %s/s 2>%s/err", getenv("TTT_BIN"), dir, dir);
    ck_assert_int_eq(shell_err(cmd, dir), 1);
    ck_assert_msg(strstr(err, "cannot write sweep.tsv: File too large") && strchr(err, '\n') == err + strlen(err) - 1,
                  "said: %s", err);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_unwritable_output_directory_exits_2)
{
    char *dir = make_temp_dir(), args[1024], file[600];
    snprintf(file, sizeof file, "%s/plain-file", dir);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    snprintf(args, sizeof args, "run " SMALL " --out %s/sub", file);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "plain-file' exists and is not a directory") != NULL, "said: %s", err);
    ck_assert_str_eq(out, "");
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_outputs_are_identical_for_one_and_two_threads)
{
    char *dir = make_temp_dir(), args[1024], path[600];
    for (int t = 1; t <= 2; t++) {
        snprintf(args, sizeof args, "run " SMALL " threads=%d --quiet --out %s/t%d", t, dir, t);
        ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    }
    const char *files[] = {"summary.tsv", "analytic.tsv", "predictions.tsv", "geometry.tsv"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/t1/%s", dir, files[i]);
        char *a = data_rows(path);
        snprintf(path, sizeof path, "%s/t2/%s", dir, files[i]);
        char *b = data_rows(path);
        ck_assert_msg(strcmp(a, b) == 0, "%s differs between 1 and 2 threads", files[i]);
        free(a);
        free(b);
    }
    rm_rf(dir);
    free(dir);
}
END_TEST

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    rewind(fp);
    char *buf = malloc(*len + 1);
    ck_assert_uint_eq(fread(buf, 1, *len, fp), *len);
    fclose(fp);
    return buf;
}

/* A fixed-seed instance against tests/golden/, byte for byte. */
START_TEST(test_generated_instance_matches_golden_files)
{
    const char *golden = getenv("TTT_GOLDEN");
    ck_assert_msg(golden != NULL, "TTT_GOLDEN is not set (run through make check)");
    char *dir = make_temp_dir(), args[1024], a[700], b[700];
    snprintf(args, sizeof args, "generate %s/golden.conf --out %s", golden, dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    const char *names[] = {"A", "w", "pools", "train_X", "train_y", "train_f", "train_phi_idx", "train_phi_val",
                           "train_topic", "test_X", "test_y", "test_f", "test_phi_idx", "test_phi_val",
                           "test_topic"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(a, sizeof a, "%s/data/%s.npy", dir, names[i]);
        snprintf(b, sizeof b, "%s/%s.npy", golden, names[i]);
        size_t la, lb;
        char *x = read_file(a, &la), *y = read_file(b, &lb);
        ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s.npy differs from the golden file", names[i]);
        free(x);
        free(y);
    }
    rm_rf(dir);
    free(dir);
}
END_TEST

/* The .npy export loads in NumPy with the documented shapes, and the arrays
 * agree with each other (X = phi A^T).  Skipped where NumPy is absent,
 * unless TTT_REQUIRE_NUMPY is set. */
START_TEST(test_saved_data_loads_in_numpy)
{
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", py);
    if (system(cmd) != 0) {
        /* CI sets TTT_REQUIRE_NUMPY, so that there a missing NumPy fails. */
        ck_assert_msg(!getenv("TTT_REQUIRE_NUMPY"), "NumPy not found but TTT_REQUIRE_NUMPY is set");
        fprintf(stderr, "test_saved_data_loads_in_numpy: NumPy not found, skipped\n");
        return;
    }
    char *dir = make_temp_dir(), args[1024];
    snprintf(args, sizeof args, "run " SMALL " --save-data --quiet --out %s", dir);
    ck_assert_int_eq(run_ttt(args, out, sizeof out, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd,
             "%s -c \"\nimport numpy as np\nd='%s/data/'\nA=np.load(d+'A.npy'); w=np.load(d+'w.npy')\n"
             "X=np.load(d+'train_X.npy'); i=np.load(d+'train_phi_idx.npy'); v=np.load(d+'train_phi_val.npy')\n"
             "f=np.load(d+'train_f.npy')\nassert A.shape==(32,400) and X.shape==(2000,32) and i.shape==(2000,4)\n"
             "assert i.dtype==np.int32 and X.dtype==np.float64\nphi=np.zeros((2000,400)); "
             "np.put_along_axis(phi,i.astype(int),v,axis=1)\n"
             "assert np.allclose(phi@A.T, X, atol=1e-12) and np.allclose(phi@w, f, atol=1e-12)\n\"",
             py, dir);
    ck_assert_int_eq(system(cmd), 0);
    rm_rf(dir);
    free(dir);
}
END_TEST

Suite *make_cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_defaults_print_a_config_that_runs);
    tcase_add_test(core, test_run_prints_table_and_writes_tsv_with_provenance);
    tcase_add_test(core, test_outputs_are_identical_for_one_and_two_threads);
    tcase_add_test(core, test_generated_instance_matches_golden_files);
    tcase_add_test(core, test_saved_data_loads_in_numpy);
    tcase_add_test(core, test_demo_and_table_write_what_the_figures_read);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_loop_test(limits, test_bad_input_exits_2_with_one_line_and_no_files, 0,
                        (int)(sizeof bad_runs / sizeof bad_runs[0]));
    tcase_add_test(limits, test_unwritable_output_directory_exits_2);
    tcase_add_test(limits, test_fit_and_table_refuse_duplicate_rows);
    tcase_add_test(limits, test_table_refuses_too_many_specs);
    tcase_add_test(limits, test_table_copies_long_comment_lines_whole);
    tcase_add_test(limits, test_config_rules_on_the_command_line);
    tcase_add_test(limits, test_messages_escape_and_keep_allowed);
    tcase_add_test(limits, test_failed_write_says_why);
    tcase_add_test(limits, test_failed_sweep_write_says_why);
    suite_add_tcase(s, limits);
    return s;
}
