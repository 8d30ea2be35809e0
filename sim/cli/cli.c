/* cli — the usage text and what the commands share; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

const char *cli_usage =
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
    "  estimators [--gnuplot]\n"
    "        the estimators: name, when each runs, what it fits (--gnuplot: their\n"
    "        line styles, which plots/style.gp loads)\n"
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
void cli_die_input(const char *msg)
{
    char line[TTT_MSG];
    fprintf(stderr, "ttt: %s\n", ttt_msg(line, sizeof line, "%s", msg));
    exit(2);
}

/* A library call that failed for want of memory is a fault (exit 1), whatever
 * its message says; so is any status but GSL_EINVAL (the input). */
void cli_die_status(int status, const char *msg)
{
    if (status == GSL_EINVAL)
        cli_die_input(msg);
    fprintf(stderr, "ttt: %s\n", status == GSL_ENOMEM ? "out of memory" : msg);
    exit(1);
}

/* Opens the output directory or exits: status 2 when the request is not
 * allowed, 1 on a fault. */
ttt_outdir *cli_open_outdir(const char *dir)
{
    char msg[TTT_MSG];
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
void cli_once(const void *already, const char *option)
{
    if (already) {
        char msg[TTT_MSG];
        cli_die_input(ttt_msg(msg, sizeof msg, "%s is given twice; allowed: once", option));
    }
}

const char *cli_value(int argc, char **argv, int *i, const char *already, const char *what)
{
    if (*i + 1 >= argc) {
        char msg[TTT_MSG];
        cli_die_input(ttt_msg(msg, sizeof msg, "%s needs %s", argv[*i], what));
    }
    cli_once(already, argv[*i]);
    return argv[++*i];
}

/* Limits checked before any work: a run estimated longer than this is
 * refused unless --force (memory: ttt_run_memory_check). */
#define LIMIT_SECONDS (24.0 * 3600.0)
/* Runs estimated longer than this get their estimate printed first. */
#define NOTE_SECONDS 10.0

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
 * it when the run is long.  what names the job ("this run", "this sweep");
 * p, if not NULL, the parameters whose cheaper variants a memory refusal
 * names. */
void cli_check_limits(const ttt_params *p, double bytes, double seconds, const char *phase, const char *what,
                      int force, int quiet)
{
    char t[32], mem[TTT_MSG];
    if (!force && ttt_run_memory_check(bytes, what, p, mem)) {
        fprintf(stderr, "ttt: %s\n", mem);
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
const char *cli_main_phase(const ttt_cost *c, int generate_only)
{
    const char *names[7] = {"generating the points", "the analytic predictions",
                            "the global fit", "the neighbour search", "the local fits", "the sparse estimators",
                            "the report (a second neighbour search, in the other space)"};
    const double v[7] = {c->generate, generate_only ? 0 : c->analytic, generate_only ? 0 : c->global,
                         generate_only ? 0 : c->neighbours, generate_only ? 0 : c->local,
                         generate_only ? 0 : c->sparse, generate_only ? 0 : c->report};
    int best = 0;
    for (int i = 1; i < 7; i++)
        if (v[i] > v[best])
            best = i;
    return names[best];
}
