/* ttt — command-line front end.  Parses arguments, calls the library, writes
 * files, and turns statuses into messages.  Exit status: 0 success, 1 a
 * failure while running (out of memory, a solver), 2 bad input. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_version.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#ifdef TTT_MPI
#include <mpi.h>
#endif

#include "ttt_demo.h"
#include "ttt_fit.h"
#include "ttt_io.h"
#include "ttt_msg.h"
#include "ttt_params.h"
#include "ttt_report_io.h"
#include "ttt_run.h"
#include "ttt_summarize.h"
#include "ttt_sweep.h"
#include "ttt_sweep_dir.h"
#include "ttt_verify.h"

static const char *usage_text =
    "usage: ttt COMMAND [FILE] [key=value ...] [options]\n"
    "\n"
    "Simulates test-time training under the linear representation hypothesis:\n"
    "draws sparse concept codes phi in R^d1, features psi = A phi in R^d2 (d2 << d1)\n"
    "and labels linear in phi, then compares global least squares with local\n"
    "least squares on the k nearest neighbours of each test point (TTT), against\n"
    "the analytic predictions.\n"
    "\n"
    "commands:\n"
    "  run [FILE] [key=value ...] [--out DIR] [--save-data] [--quiet]\n"
    "        run every estimator, print the comparison table, and write\n"
    "        DIR/summary.tsv, DIR/analytic.tsv, DIR/predictions.tsv and\n"
    "        DIR/geometry.tsv (O1 cosine histograms)\n"
    "        (DIR defaults to ttt-out); --save-data also writes the instance\n"
    "        as .npy files in DIR/data/\n"
    "  generate [FILE] [key=value ...] --out DIR\n"
    "        draw an instance and write it as .npy files in DIR/data/\n"
    "  sweep [FILE] [key=value ...] key=v1,v2,... key=a:b:log:N ... [reps=R] --out DIR\n"
    "        [--resume] [--shard I/N] [--quiet]\n"
    "        run the cartesian product of the swept keys (a list, or N values from a\n"
    "        to b spaced geometrically (log) or evenly (lin)), R replicates each, in\n"
    "        parallel; write DIR/sweep.tsv, one row per (point, replicate, estimator).\n"
    "        Ctrl-C stops cleanly; --resume continues an interrupted sweep and gives\n"
    "        the same file as an uninterrupted one; --shard I/N runs only the jobs\n"
    "        j with j mod N = I - 1 (one task of a job array) into its own DIR\n"
    "  merge SHARD_DIR... --out DIR\n"
    "        join the N complete shards of one sweep into DIR/sweep.tsv, byte for\n"
    "        byte the file one process writes (every row checked as --resume does)\n"
    "  fit FILE --x KEY --y NAME [--scale loglog|semilogx|linear] [--where key=value ...]\n"
    "        [--range lo:hi] [--bound]\n"
    "        least-squares line through a sweep.tsv with a 95% interval and R^2:\n"
    "        NAME is an estimator (its mse), a column (one value per job), or\n"
    "        ESTIMATOR:COLUMN; loglog fits log y on log x (a power law, the default),\n"
    "        semilogx y on log x.  --bound fits the constant C of\n"
    "        mse = C sigma^2 s log(d1/s) / k instead\n"
    "        (with --x and --range: over the rows with x in the range)\n"
    "  table FILE --y SPEC,SPEC,... [--format tsv|md|latex] [--out FILE]\n"
    "        one row per grid point of a sweep.tsv: for each SPEC the mean over\n"
    "        the replicates and its standard error (columns NAME, NAME_se).\n"
    "        SPEC is ESTIMATOR (its mse), ESTIMATOR:COLUMN, COLUMN (run-level), or\n"
    "        A/B, the mean of log10(A/B) per replicate (e.g. global/ttt); md and\n"
    "        latex print mean +- se tables of the keys that vary\n"
    "  demo [key=value ...] [--out DIR] [--quiet]\n"
    "        the teaching instance (d1=6 concepts, d2=2 features, 3 topics): prints\n"
    "        a narrated walkthrough and writes DIR/{concepts,points,test,heads,k}.tsv\n"
    "        for the pictures of 'make teach' (DIR defaults to teach-out)\n"
    "  verify [--list | NAME ...] [--quick] [threads=N]\n"
    "        run the theory checks (each a small sweep with fixed seeds) and print\n"
    "        one row per prediction: claim, predicted, measured with its 95%\n"
    "        interval, tolerance, PASS/FAIL; exit 0 only if all pass.  --quick\n"
    "        uses fewer replicates (what the test suite runs)\n"
    "  defaults\n"
    "        print every key with its default, range and meaning (a valid FILE)\n"
    "  presets\n"
    "        list the named configurations: preset=NAME (in FILE or as a word, for\n"
    "        run, sweep and demo) sets their keys where it stands; later keys override\n"
    "  help  this text;  --version  version, GSL and CBLAS\n"
    "\n"
    "FILE holds 'key = value' lines ('#' comments), each key once; key=value words\n"
    "override it, a later word an earlier one.\n"
    "Examples: ttt run d2=256 k=100 seed=7 --out results\n"
    "          ttt run preset=theorem k=100\n"
    "          ttt sweep k=10:1000:log:9 reps=5 --out ksweep\n"
    "Exit status: 0 success, 1 failure while running, 2 bad input.\n";

/* Bad input: one line (control bytes escaped, the allowed part kept), exit 2. */
static void die_input(const char *msg)
{
    char line[2 * TTT_PARAMS_MSG];
    fprintf(stderr, "ttt: %s\n", ttt_msg(line, sizeof line, "%s", msg));
    exit(2);
}

/* A library call that failed for want of memory is a fault (exit 1), whatever
 * its message says (it named the input: "has no header row", exit 2); errno
 * is cleared before the call, so ENOMEM is this call's. */
static void die_input_or_fault(const char *msg)
{
    if (errno == ENOMEM) {
        fprintf(stderr, "ttt: out of memory\n");
        exit(1);
    }
    die_input(msg);
}

/* Opens the output directory or exits: status 2 when the request is not
 * allowed, 1 on a fault. */
static ttt_outdir *open_outdir(const char *dir)
{
    char msg[TTT_OUTDIR_MSG];
    ttt_outdir *o;
    int status = ttt_outdir_open(dir, &o, msg);
    if (status) {
        fprintf(stderr, "ttt: %s\n", msg);
        exit(status == GSL_EINVAL ? 2 : 1);
    }
    return o;
}

/* An option that takes one value, given a second time: its first value would
 * be unused. */
static void once(const void *already, const char *option)
{
    if (already) {
        char msg[TTT_PARAMS_MSG];
        die_input(ttt_msg(msg, sizeof msg, "%s is given twice; allowed: once", option));
    }
}

/* Limits checked before any work: a run that needs more than this share of
 * the machine's memory, or longer than this, is refused unless --force. */
#define LIMIT_MEMORY_SHARE 0.9
#define LIMIT_SECONDS (24.0 * 3600.0)
/* Runs estimated longer than this get their estimate printed first. */
#define NOTE_SECONDS 30.0

static const char *duration(double s, char *buf, size_t len)
{
    if (s < 90.0)
        snprintf(buf, len, "%.0f s", s);
    else if (s < 5400.0)
        snprintf(buf, len, "%.0f min", s / 60.0);
    else if (s < 2 * 86400.0)
        snprintf(buf, len, "%.1f h", s / 3600.0);
    else
        snprintf(buf, len, "%.1f days", s / 86400.0);
    return buf;
}

/* Checks an estimate (ttt_run_cost) against the machine before any work:
 * exits 1 with the estimate when it is over a limit (unless force), prints
 * it when the run is long.  what names the job ("this run", "this sweep"). */
static void check_limits(double bytes, double seconds, const char *phase, const char *what, int force, int quiet)
{
    const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
    char t[32];
    if (!force && phys > 0 && bytes > LIMIT_MEMORY_SHARE * phys) {
        fprintf(stderr, "ttt: %s needs about %.3g GB of memory; this machine has %.3g GB; allowed: smaller n, m, "
                "d1 or d2 (or --force to try anyway)\n", what, bytes / 1e9, phys / 1e9);
        exit(1);
    }
    if (!force && seconds > LIMIT_SECONDS) {
        fprintf(stderr, "ttt: %s would take about %s on this machine (mostly %s; estimate good to a factor of about "
                "3); allowed: up to %.0f h (or --force to run anyway)\n", what, duration(seconds, t, sizeof t),
                phase, LIMIT_SECONDS / 3600.0);
        exit(1);
    }
    if (!quiet && seconds > NOTE_SECONDS)
        fprintf(stderr, "estimate: about %s and %.2g GB (mostly %s; good to a factor of about 3)\n",
                duration(seconds, t, sizeof t), bytes / 1e9, phase);
}

/* The phase that dominates an estimate. */
static const char *main_phase(const ttt_cost *c, int generate_only)
{
    const char *names[6] = {"generating the points", "the analytic predictions (d2 x d2 eigensolves)",
                            "the global fit", "the neighbour search", "the local fits", "the sparse estimators"};
    const double v[6] = {c->generate, generate_only ? 0 : c->analytic, generate_only ? 0 : c->global,
                         generate_only ? 0 : c->neighbours, generate_only ? 0 : c->local,
                         generate_only ? 0 : c->sparse};
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (v[i] > v[best])
            best = i;
    return names[best];
}

typedef struct {
    ttt_params p;
    const char *out;
    int save_data, quiet, force;
    char command[4096];
} options;

/* What parse accepts besides key=value words and --out DIR. */
enum { ALLOW_FILE = 1, ALLOW_SAVE_DATA = 2, ALLOW_QUIET = 4 };

/* Parses [FILE] [key=value ...] [--out DIR] [--save-data] [--quiet], each
 * optional part only when `allow` has it. */
static void parse(int argc, char **argv, options *o, int allow)
{
    char msg[TTT_PARAMS_MSG];
    const char *file = NULL;
    ttt_params_default(&o->p);
    size_t used = 0;
    for (int i = 0; i < argc && used + 2 < sizeof o->command; i++)
        used += (size_t)snprintf(o->command + used, sizeof o->command - used, i ? " %s" : "%s", argv[i]);
    /* First pass: the file, so that key=value words override it. */
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (argv[i][0] != '-' && !strchr(argv[i], '=')) {
            if (!(allow & ALLOW_FILE)) {
                ttt_msg(msg, sizeof msg, "%s takes no config file ('%s'); allowed: key=value words", argv[1],
                        argv[i]);
                die_input(msg);
            }
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                die_input(msg);
            }
            file = argv[i];
        }
    }
    if (file && ttt_params_read_file(&o->p, file, msg))
        die_input(msg);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0)
            o->out = argv[++i];
        else if ((allow & ALLOW_SAVE_DATA) && strcmp(argv[i], "--save-data") == 0)
            o->save_data = 1;
        else if ((allow & ALLOW_QUIET) && strcmp(argv[i], "--quiet") == 0)
            o->quiet = 1;
        else if (strcmp(argv[i], "--force") == 0)
            o->force = 1;
        else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR, --force%s%s", argv[i],
                    allow & ALLOW_SAVE_DATA ? ", --save-data" : "", allow & ALLOW_QUIET ? ", --quiet" : "");
            die_input(msg);
        } else if (strchr(argv[i], '=') && ttt_params_set_word(&o->p, argv[i], msg))
            die_input(msg);
    }
    if (ttt_params_check(&o->p, msg))
        die_input(msg);
}


static int cmd_run(int argc, char **argv, int generate_only)
{
    options o = {0};
    parse(argc, argv, &o, generate_only ? ALLOW_FILE : ALLOW_FILE | ALLOW_SAVE_DATA | ALLOW_QUIET);
    if (generate_only && !o.out)
        die_input("generate needs --out DIR");
    if (!o.out)
        o.out = "ttt-out";
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    check_limits(cost.bytes, generate_only ? cost.generate : cost.seconds, main_phase(&cost, generate_only),
                 "this run", o.force, o.quiet);
    char msg[TTT_IO_MSG];
    ttt_outdir *dir = open_outdir(o.out);

    int status;
    ttt_report *r = NULL;
    ttt_instance *in = NULL;
    if (generate_only)
        status = (in = ttt_instance_alloc(&o.p)) ? GSL_SUCCESS : GSL_ENOMEM;
    else
        status = ttt_run(&o.p, &r);
    if (status) {
        ttt_outdir_abort(dir);
        fprintf(stderr, "ttt: %s\n", gsl_strerror(status));
        return 1;
    }
    int bad = 0;
    if (generate_only) {
        bad = ttt_io_save_instance(dir, in, msg) != 0;
    } else {
        bad = ttt_report_io_write(dir, r, &o.p, o.command, msg) != 0;
        if (!bad && o.save_data)
            bad = ttt_io_save_instance(dir, r->in, msg) != 0;
    }
    if (bad) {
        ttt_outdir_abort(dir);
    } else if (ttt_outdir_commit(dir, msg) != 0) {
        bad = 1;
    }
    if (bad) {
        fprintf(stderr, "ttt: %s\n", msg);
        ttt_report_free(r);
        ttt_instance_free(in);
        return 1;
    }
    if (r && !o.quiet) {
        ttt_report_io_print(stdout, r);
        ttt_report_io_times(stderr, r);
        fprintf(stderr, "wrote %s/summary.tsv, analytic.tsv, predictions.tsv, geometry.tsv%s\n", o.out,
                o.save_data ? ", data/*.npy" : "");
    } else if (!r && !o.quiet) {
        fprintf(stderr, "wrote %s/data/*.npy\n", o.out);
    }
    ttt_report_free(r);
    ttt_instance_free(in);
    return 0;
}

static int cmd_fit(int argc, char **argv)
{
    char msg[TTT_FIT_MSG];
    const char *file = NULL, *scale = "loglog", *scale_given = NULL;
    ttt_fit_query q = {.lo = -GSL_DBL_MAX, .hi = GSL_DBL_MAX};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--x") && has)
            once(q.x, a), q.x = argv[++i];
        else if (!strcmp(a, "--y") && has)
            once(q.y, a), q.y = argv[++i];
        else if (!strcmp(a, "--scale") && has)
            once(scale_given, a), scale = scale_given = argv[++i];
        else if (!strcmp(a, "--where") && has && q.nwhere == TTT_FIT_MAX_WHERE)
            die_input("--where is given more than 16 times; allowed: at most 16");
        else if (!strcmp(a, "--where") && has)
            q.where[q.nwhere++] = argv[++i];
        else if (!strcmp(a, "--range") && has) {
            char *end;
            q.lo = strtod(argv[++i], &end);
            if (*end != ':' || (q.hi = strtod(end + 1, &end), *end) || !(q.lo < q.hi))
                die_input("--range needs lo:hi with lo < hi");
        } else if (!strcmp(a, "--bound"))
            q.bound = 1;
        else if (a[0] == '-') {
            ttt_msg(msg, TTT_IO_MSG + 256, "unknown or incomplete option '%s'; allowed: --x KEY, --y NAME, --scale "
                     "loglog|semilogx|linear, --where key=value, --range lo:hi, --bound", a);
            die_input(msg);
        } else if (!file)
            file = a;
        else
            die_input("fit takes one sweep.tsv");
    }
    if (!file || !q.y || (!q.x && !q.bound))
        die_input("fit needs FILE --x KEY --y NAME (or FILE --y NAME --bound)");
    if (ttt_fit_scale_parse(scale, &q.scale, msg))
        die_input(msg);
    q.source = file;
    errno = 0;
    ttt_table *t = ttt_table_read(file, msg);
    if (!t)
        die_input_or_fault(msg);
    ttt_fit_result res;
    int status = ttt_fit_sweep(t, &q, &res, msg);
    ttt_table_free(t);
    if (status == GSL_ENOMEM) {
        fprintf(stderr, "ttt: %s\n", msg);
        return 1;
    }
    if (status)
        die_input(msg);
    ttt_fit_print(stdout, &q, &res);
    if (res.status)
        die_input("fewer than 3 usable rows, or x takes one value only: nothing to fit");
    return 0;
}

static int cmd_table(int argc, char **argv)
{
    char msg[TTT_IO_MSG + 256];
    const char *file = NULL, *out = NULL, *format_name = "tsv", *format_given = NULL;
    const char *specs[64];
    char *ylist = NULL;
    size_t nq = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--y") && has && !ylist)
            ylist = argv[++i];
        else if (!strcmp(a, "--format") && has)
            once(format_given, a), format_name = format_given = argv[++i];
        else if (!strcmp(a, "--out") && has)
            once(out, a), out = argv[++i];
        else if (a[0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown, repeated or incomplete option '%s'; allowed: --y SPEC,SPEC,..., "
                     "--format tsv|md|latex, --out FILE", a);
            die_input(msg);
        } else if (!file)
            file = a;
        else
            die_input("table takes one sweep.tsv");
    }
    if (!file || !ylist)
        die_input("table needs FILE --y SPEC,SPEC,... (SPEC: ESTIMATOR, ESTIMATOR:COLUMN, COLUMN or A/B)");
    ttt_format format;
    if (ttt_points_format_parse(format_name, &format, msg))
        die_input(msg);
    size_t given = 0;
    for (char *tok = strtok(ylist, ","); tok; tok = strtok(NULL, ","))
        if (++given <= 64)
            specs[nq++] = tok;
    if (given > 64) {
        ttt_msg(msg, sizeof msg, "--y has %zu specs; allowed: at most 64", given);
        die_input(msg);
    }
    if (!nq)
        die_input("--y needs at least one SPEC");
    errno = 0;
    ttt_table *t = ttt_table_read(file, msg);
    if (!t)
        die_input_or_fault(msg);
    ttt_points *p = ttt_points_from_sweep(t, specs, nq, msg);
    ttt_table_free(t);
    if (!p) {
        char full[sizeof msg + 8];
        ttt_msg(full, sizeof full, "%s: %s", file, msg);
        die_input_or_fault(full);
    }
    ttt_outfile *of = NULL;
    FILE *fp = stdout;
    int status = out ? ttt_outfile_open(out, &of, &fp, msg) : GSL_SUCCESS;
    if (status) {
        ttt_points_free(p);
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    int bad = ttt_points_write_table(fp, p, format, file, specs, nq) != 0;
    ttt_points_free(p);
    if (out) {
        if (bad) {
            ttt_outfile_abort(of);
            fprintf(stderr, "ttt: cannot write %s: %s\n", out, ttt_msg_errno(errno));
            return 1;
        }
        if (ttt_outfile_commit(of, msg)) {
            fprintf(stderr, "ttt: %s\n", msg);
            return 1;
        }
    } else if (fflush(stdout) != 0 || bad) {
        fprintf(stderr, "ttt: cannot write the table to standard output: %s\n", ttt_msg_errno(errno));
        return 1;
    }
    return 0;
}

static int cmd_demo(int argc, char **argv)
{
    /* The teaching instance first, then the user's words over it. */
    size_t nd = 0;
    while (ttt_demo_words[nd])
        nd++;
    char **args = malloc(((size_t)argc + nd + 1) * sizeof *args);
    if (!args) {
        fprintf(stderr, "ttt: out of memory\n");
        return 1;
    }
    args[0] = argv[0];
    args[1] = argv[1];
    for (size_t i = 0; i < nd; i++)
        args[2 + i] = (char *)ttt_demo_words[i];
    for (int i = 2; i < argc; i++)
        args[nd + (size_t)i] = argv[i];
    options o = {0};
    parse(argc + (int)nd, args, &o, ALLOW_QUIET); /* no FILE: demo's own keys would override it */
    free(args);
    if (o.p.d2 != 2)
        die_input("demo draws the feature plane: d2 must be 2; allowed: any other key=value");
    if (!o.out)
        o.out = "teach-out";
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    check_limits(cost.bytes, cost.seconds, main_phase(&cost, 0), "this demo", o.force, o.quiet);
    char msg[TTT_IO_MSG];
    ttt_demo *d;
    int status = ttt_demo_run(&o.p, &d);
    if (status) {
        fprintf(stderr, "ttt: %s\n", gsl_strerror(status));
        return 1;
    }
    ttt_outdir *dir = open_outdir(o.out);
    if (ttt_demo_write(dir, d, o.command, msg) != 0) {
        ttt_outdir_abort(dir);
        status = 1;
    } else if (ttt_outdir_commit(dir, msg) != 0) {
        status = 1;
    }
    if (status)
        fprintf(stderr, "ttt: %s\n", msg);
    else if (!o.quiet)
        ttt_demo_narrate(stdout, d, o.out);
    ttt_demo_free(d);
    return status;
}

static int cmd_verify(int argc, char **argv)
{
    int quick = 0;
    size_t chosen[64], nchosen = 0, threads = 0;
    char msg[TTT_PARAMS_MSG];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--list")) {
            if (argc > 3)
                die_input("--list takes no other arguments; allowed: ttt verify --list, or ttt verify [NAME ...] "
                          "[--quick] [threads=N]");
            ttt_verify_list(stdout);
            return 0;
        } else if (!strncmp(argv[i], "threads=", 8)) {
            ttt_params p;
            ttt_params_default(&p);
            if (ttt_params_set_word(&p, argv[i], msg))
                die_input(msg);
            threads = p.threads;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --list, --quick, threads=N, check names", argv[i]);
            die_input(msg);
        } else {
            size_t c = ttt_verify_find(argv[i]);
            if (c == (size_t)-1 || nchosen == 64) {
                ttt_msg(msg, sizeof msg, "no check named '%s'; 'ttt verify --list' names them", argv[i]);
                die_input(msg);
            }
            chosen[nchosen++] = c;
        }
    }
    if (!nchosen)
        for (size_t c = 0; c < ttt_verify_count() && c < 64; c++)
            chosen[nchosen++] = c;
    size_t failed;
    if (ttt_verify_report(stdout, stderr, chosen, nchosen, quick, threads, &failed)) {
        fprintf(stderr, "ttt: out of memory\n");
        return 1;
    }
    return failed ? 1 : 0;
}

static volatile int interrupted;

static void on_sigint(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C kills at once */
}

/* The sweep's estimate: jobs run in parallel, one thread each, so time is
 * the jobs' serial estimates over the threads and memory the largest job's
 * times the threads.  Over 1e5 points, every (points / 1e5)-th stands for
 * its neighbours. */
static void sweep_limits(const ttt_sweep *sw, int force, int quiet)
{
    const size_t points = ttt_sweep_points(sw), step = points > 100000 ? points / 100000 : 1;
    const size_t threads = sw->base.threads ? sw->base.threads : (size_t)omp_get_max_threads();
    ttt_cost all = {0}, c;
    for (size_t pt = 0; pt < points; pt += step) {
        ttt_params p;
        char msg[TTT_PARAMS_MSG];
        if (ttt_sweep_job_params(sw, pt * sw->reps, &p, msg))
            continue;
        ttt_run_cost(&p, 1, &c);
        const double w = (double)(sw->reps * (pt + step <= points ? step : points - pt)) / (double)sw->shards;
        all.bytes = c.bytes > all.bytes ? c.bytes : all.bytes;
        all.generate += w * c.generate;
        all.analytic += w * c.analytic;
        all.global += w * c.global;
        all.neighbours += w * c.neighbours;
        all.local += w * c.local;
        all.sparse += w * c.sparse;
        all.serial_seconds += w * c.serial_seconds;
    }
    const size_t jobs = ttt_sweep_shard_jobs(sw), busy = threads < jobs ? threads : jobs;
    check_limits(all.bytes * (double)busy, all.serial_seconds / (double)busy, main_phase(&all, 0), "this sweep",
                 force, quiet);
}

static int cmd_sweep(int argc, char **argv)
{
    char msg[TTT_PARAMS_MSG];
    const char *file = NULL, *out = NULL, *shard = NULL;
    int resume = 0, quiet = 0, force = 0;
    ttt_params base;
    ttt_params_default(&base);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (!strcmp(argv[i], "--shard")) {
            if (i + 1 >= argc)
                die_input("--shard needs I/N (run the jobs j with j mod N = I - 1)");
            once(shard, "--shard");
            shard = argv[++i];
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR, --resume, --shard I/N, --quiet, "
                    "--force", argv[i]);
            die_input(msg);
        } else if (!strchr(argv[i], '=')) {
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                die_input(msg);
            }
            file = argv[i];
        }
    }
    if (!out)
        die_input("sweep needs --out DIR");
    if (file && ttt_params_read_file(&base, file, msg))
        die_input(msg);
    /* Single values and reps first, then the axes, so that every axis value
     * is checked against the complete base. */
    ttt_sweep sw;
    ttt_sweep_init(&sw, &base);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 2; i < argc; i++) {
            const char *w = argv[i], *eq = strchr(w, '=');
            if (w[0] == '-' || !eq || (pass == 0) == (strncmp(w, "reps=", 5) && strpbrk(eq + 1, ",:") != NULL))
                continue;
            errno = 0;
            if (ttt_sweep_word(&sw, w, msg))
                die_input_or_fault(msg);
        }
    if (shard && ttt_sweep_set_shard(&sw, shard, msg))
        die_input(msg);
    errno = 0;
    if (ttt_sweep_check(&sw, msg)) /* refuses more than 1e7 jobs first */
        die_input_or_fault(msg);
    sweep_limits(&sw, force, quiet || ttt_sweep_dir_rank() > 0);

    char dmsg[TTT_SWEEP_DIR_MSG];
    ttt_sweep_dir_opts o = {out, resume, quiet, argc, argv};
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    int status = ttt_sweep_dir_run(&sw, &o, &interrupted, dmsg);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (status)
        fprintf(stderr, "ttt: %s\n", dmsg);
    if (status == TTT_SWEEP_STOPPED)
        ttt_sweep_dir_abort(130);
    return !status ? 0 : status == GSL_EINVAL ? 2 : status == TTT_SWEEP_STOPPED ? 130 : 1;
}

static int cmd_merge(int argc, char **argv)
{
    char msg[TTT_SWEEP_DIR_MSG];
    const char *out = NULL;
    char **dirs = malloc((size_t)argc * sizeof *dirs);
    size_t n = 0;
    if (!dirs) {
        fprintf(stderr, "ttt: out of memory\n");
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                die_input("--out needs a directory name");
            once(out, "--out");
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            die_input(ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR", argv[i]));
        } else
            dirs[n++] = argv[i];
    }
    if (!out || !n)
        die_input("merge needs the shard directories and --out DIR: ttt merge SHARD_DIR... --out DIR");
    int status = ttt_sweep_merge(dirs, n, out, msg);
    free(dirs);
    if (status) {
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    fprintf(stderr, "wrote %s/sweep.tsv (%zu shards)\n", out, n);
    return 0;
}

static int dispatch(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    /* help, --version and defaults take no arguments (but any command --help prints the usage) */
    int asks_help = 0;
    for (int i = 2; i < argc; i++)
        asks_help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    const int bare = !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
                     !strcmp(cmd, "--version") || !strcmp(cmd, "defaults");
    if (bare && argc > 2 && !(asks_help && (!strcmp(cmd, "defaults") || !strcmp(cmd, "--version")))) {
        char msg[TTT_PARAMS_MSG];
        die_input(ttt_msg(msg, sizeof msg, "%s takes no arguments ('%s'); allowed: ttt %s", cmd, argv[2], cmd));
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("ttt %s (git %s), gsl %s, cblas %s\n", TTT_VERSION, TTT_GIT_REV, gsl_version, TTT_CBLAS);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (!strcmp(cmd, "defaults")) {
        ttt_params p;
        ttt_params_default(&p);
        printf("# ttt %s: every key, its default, its range and meaning\n", TTT_VERSION);
        return ttt_params_write(&p, stdout, "", 1) ? 1 : 0;
    }
    if (!strcmp(cmd, "presets")) {
        if (argc > 2)
            die_input("presets takes no arguments");
        for (size_t i = 0; i < ttt_preset_count(); i++)
            printf("%-10s %s\n%-10s   keys: %s\n", ttt_preset_name(i), ttt_preset_about(i), "",
                   *ttt_preset_words(i) ? ttt_preset_words(i) : "(none)");
        return fflush(stdout) || ferror(stdout) ? 1 : 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv, 0);
    if (!strcmp(cmd, "table"))
        return cmd_table(argc, argv);
    if (!strcmp(cmd, "demo"))
        return cmd_demo(argc, argv);
    if (!strcmp(cmd, "generate"))
        return cmd_run(argc, argv, 1);
    if (!strcmp(cmd, "sweep"))
        return cmd_sweep(argc, argv);
    if (!strcmp(cmd, "merge"))
        return cmd_merge(argc, argv);
    if (!strcmp(cmd, "fit"))
        return cmd_fit(argc, argv);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc, argv);
    char msg[TTT_PARAMS_MSG];
    die_input(ttt_msg(msg, sizeof msg, "unknown command '%s'; allowed: run, generate, sweep, merge, fit, table, demo, verify, "
                      "defaults, presets, help", cmd));
    return 2;
}

#ifdef TTT_MPI
static void mpi_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}
#endif

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
#ifdef TTT_MPI
    /* build/ttt-mpi: under mpirun with more than one rank it runs sweeps only;
     * ranks other than 0 stay silent (their failures reach rank 0). */
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    atexit(mpi_finalize);
    if (ttt_sweep_dir_ranks() > 1) {
        if (ttt_sweep_dir_rank() > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
            return 1;
        if (argc < 2 || strcmp(argv[1], "sweep")) {
            fprintf(stderr, "ttt: '%s' under %d MPI ranks; allowed: sweep (run other commands with one rank or "
                    "build/ttt)\n", argc < 2 ? "" : argv[1], ttt_sweep_dir_ranks());
            return 2;
        }
    }
#endif
    int rc = dispatch(argc, argv);
    /* Whatever went to standard output must have arrived (> /dev/full, a closed pipe). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ttt: cannot write to standard output: %s\n", strerror(errno ? errno : EIO));
        return rc ? rc : 1;
    }
    return rc;
}
