/* cli_sweep — ttt sweep (one process, a shard, or MPI ranks) and ttt merge. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

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
        char msg[TTT_MSG];
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
        all.report += w * c.report;
        all.serial_seconds += w * c.serial_seconds;
    }
    const size_t jobs = ttt_sweep_shard_jobs(sw), busy = threads < jobs ? threads : jobs;
    double bytes = all.bytes * (double)busy, seconds = all.serial_seconds / (double)busy;
    ttt_params p;
    char msg[TTT_MSG];
    if (jobs == 1 && !ttt_sweep_job_params(sw, ttt_sweep_shard_job(sw, 0), &p, msg)) {
        /* a lone job runs on every thread (ttt_sweep_run) */
        ttt_run_cost(&p, threads, &c);
        bytes = c.bytes;
        seconds = c.seconds;
    }
    cli_check_limits(NULL, bytes, seconds, cli_main_phase(&all, 0), "this sweep", force, quiet);
}

/* A single value before an axis of its key is the base the axis overrides
 * (a later word overrides an earlier one); after it (argv[i] the axis), it
 * would have to override the axis, which the two passes over the words
 * cannot do: refused rather than dropped. */
static void refuse_value_after_axis(int argc, char **argv, int i)
{
    const char *w = argv[i], *eq = strchr(w, '=');
    for (int j = i + 1; j < argc; j++) {
        const char *v = argv[j], *veq = strchr(v, '=');
        if (v[0] == '-' || !veq || veq - v != eq - w || strncmp(v, w, (size_t)(eq - w)) || strpbrk(veq + 1, ",:"))
            continue;
        char msg[TTT_MSG];
        ttt_msg(msg, sizeof msg, "%.*s is swept ('%s') and then set to one value ('%s'); allowed: the value before "
                "the axis (its base) or no value", (int)(eq - w), w, w, v);
        cli_die_input(msg);
    }
}

int cli_sweep(int argc, char **argv)
{
    char msg[TTT_MSG];
    const char *file = NULL, *out = NULL, *shard = NULL;
    int resume = 0, quiet = 0, force = 0;
    ttt_params base;
    ttt_params_default(&base);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            out = cli_value(argc, argv, &i, out, "a directory name");
        } else if (!strcmp(argv[i], "--shard")) {
            shard = cli_value(argc, argv, &i, shard, "I/N (run the jobs j with j mod N = I - 1)");
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR, --resume, --shard I/N, --quiet, "
                    "--force", argv[i]);
            cli_die_input(msg);
        } else if (!strchr(argv[i], '=')) {
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                cli_die_input(msg);
            }
            file = argv[i];
        }
    }
    if (!out)
        cli_die_input("sweep needs --out DIR");
    int status = file ? ttt_params_read_file(&base, file, msg) : GSL_SUCCESS;
    if (status)
        cli_die_status(status, msg);
    /* Single values and reps first, then the axes, so that every axis value
     * is checked against the complete base. */
    ttt_sweep sw;
    ttt_sweep_init(&sw, &base);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 2; i < argc; i++) {
            const char *w = argv[i], *eq = strchr(w, '=');
            if (w[0] == '-' || !eq || (pass == 0) == (strncmp(w, "reps=", 5) && strpbrk(eq + 1, ",:") != NULL))
                continue;
            if ((status = ttt_sweep_word(&sw, w, msg)))
                cli_die_status(status, msg);
            if (pass == 1)
                refuse_value_after_axis(argc, argv, i);
        }
    if (shard && (status = ttt_sweep_set_shard(&sw, shard, msg)))
        cli_die_status(status, msg);
    if ((status = ttt_sweep_check(&sw, msg))) /* refuses more than 1e7 jobs first */
        cli_die_status(status, msg);
    sweep_limits(&sw, force, quiet || ttt_sweep_dir_rank() > 0);

    ttt_sweep_dir_opts o = {out, resume, quiet, argc, ttt_msg_escape_argv(argc, argv)};
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    status = ttt_sweep_dir_run(&sw, &o, &interrupted, msg);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (status)
        fprintf(stderr, "ttt: %s\n", msg);
    if (status == TTT_SWEEP_STOPPED)
        ttt_sweep_dir_abort(130);
    return !status ? 0 : status == GSL_EINVAL ? 2 : status == TTT_SWEEP_STOPPED ? 130 : 1;
}

int cli_merge(int argc, char **argv)
{
    char msg[TTT_MSG];
    const char *out = NULL;
    char **dirs = malloc((size_t)argc * sizeof *dirs);
    size_t n = 0;
    if (!dirs) {
        fprintf(stderr, "ttt: out of memory\n");
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            out = cli_value(argc, argv, &i, out, "a directory name");
        } else if (argv[i][0] == '-') {
            cli_die_input(ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --out DIR", argv[i]));
        } else
            dirs[n++] = argv[i];
    }
    if (!out || !n)
        cli_die_input("merge needs the shard directories and --out DIR: ttt merge SHARD_DIR... --out DIR");
    int status = ttt_sweep_dir_merge(dirs, n, out, msg);
    free(dirs);
    if (status) {
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    fprintf(stderr, "wrote %s/sweep.tsv (%zu shards)\n", out, n);
    return 0;
}
