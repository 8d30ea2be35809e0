/* cli_tables — ttt fit, table and verify: the commands that read or make tables. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

int cli_fit(int argc, char **argv)
{
    char msg[TTT_MSG];
    const char *file = NULL, *scale = "loglog", *scale_given = NULL;
    ttt_fit_query q = {.lo = -GSL_DBL_MAX, .hi = GSL_DBL_MAX};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--x") && has)
            cli_once(q.x, a), q.x = argv[++i];
        else if (!strcmp(a, "--y") && has)
            cli_once(q.y, a), q.y = argv[++i];
        else if (!strcmp(a, "--scale") && has)
            cli_once(scale_given, a), scale = scale_given = argv[++i];
        else if (!strcmp(a, "--where") && has && q.nwhere == TTT_FIT_MAX_WHERE)
            cli_die_input("--where is given more than 16 times; allowed: at most 16");
        else if (!strcmp(a, "--where") && has)
            q.where[q.nwhere++] = argv[++i];
        else if (!strcmp(a, "--range") && has) {
            char *end;
            q.lo = strtod(argv[++i], &end);
            if (*end != ':' || (q.hi = strtod(end + 1, &end), *end) || !(q.lo < q.hi))
                cli_die_input("--range needs lo:hi with lo < hi");
        } else if (!strcmp(a, "--bound"))
            q.bound = 1;
        else if (a[0] == '-') {
            ttt_msg(msg, TTT_MSG, "unknown or incomplete option '%s'; allowed: --x KEY, --y NAME, --scale "
                     "loglog|semilogx|linear, --where key=value, --range lo:hi, --bound", a);
            cli_die_input(msg);
        } else if (!file)
            file = a;
        else
            cli_die_input("fit takes one sweep.tsv");
    }
    if (!file || !q.y || (!q.x && !q.bound))
        cli_die_input("fit needs FILE --x KEY --y NAME (or FILE --y NAME --bound)");
    /* --bound fits log C = mean of log(mse / rate): no scale, and --x only
     * names the key --range selects rows by */
    if (q.bound && scale_given)
        cli_die_input("--scale does not apply to --bound (C is fitted on log mse); allowed: --bound without "
                      "--scale");
    if (q.bound && q.x && q.lo == -GSL_DBL_MAX && q.hi == GSL_DBL_MAX)
        cli_die_input("--x with --bound only names the key --range selects rows by; allowed: --bound --x KEY "
                      "--range lo:hi, or --bound without --x");
    int status = ttt_fit_scale_parse(scale, &q.scale, msg);
    if (status)
        cli_die_status(status, msg);
    q.source = file;
    ttt_table *t;
    if ((status = ttt_table_read(file, &t, msg)))
        cli_die_status(status, msg);
    ttt_fit_result res;
    status = ttt_fit_sweep(t, &q, &res, msg);
    ttt_table_free(t);
    if (status == GSL_ENOMEM) {
        fprintf(stderr, "ttt: %s\n", msg);
        return 1;
    }
    if (status)
        cli_die_input(msg);
    ttt_fit_print(stdout, &q, &res);
    if (res.status)
        cli_die_input("fewer than 3 usable rows, or x takes one value only: nothing to fit");
    return 0;
}

int cli_table(int argc, char **argv)
{
    char msg[TTT_MSG];
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
            cli_once(format_given, a), format_name = format_given = argv[++i];
        else if (!strcmp(a, "--out") && has)
            cli_once(out, a), out = argv[++i];
        else if (a[0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown, repeated or incomplete option '%s'; allowed: --y SPEC,SPEC,..., "
                     "--format tsv|md|latex, --out FILE", a);
            cli_die_input(msg);
        } else if (!file)
            file = a;
        else
            cli_die_input("table takes one sweep.tsv");
    }
    if (!file || !ylist)
        cli_die_input("table needs FILE --y SPEC,SPEC,... (SPEC: ESTIMATOR, ESTIMATOR:COLUMN, COLUMN or A/B)");
    ttt_format format;
    int status = ttt_summarize_format_parse(format_name, &format, msg);
    if (status)
        cli_die_status(status, msg);
    size_t given = 0;
    for (char *tok = strtok(ylist, ","); tok; tok = strtok(NULL, ","))
        if (++given <= 64)
            specs[nq++] = tok;
    if (given > 64) {
        ttt_msg(msg, sizeof msg, "--y has %zu specs; allowed: at most 64", given);
        cli_die_input(msg);
    }
    if (!nq)
        cli_die_input("--y needs at least one SPEC");
    ttt_table *t;
    if ((status = ttt_table_read(file, &t, msg)))
        cli_die_status(status, msg);
    ttt_points *p;
    status = ttt_summarize_points(t, specs, nq, &p, msg);
    ttt_table_free(t);
    if (status) {
        char full[TTT_MSG];
        ttt_msg(full, sizeof full, "%s: %s", file, msg);
        cli_die_status(status, full);
    }
    ttt_outfile *of = NULL;
    FILE *fp = stdout;
    status = out ? ttt_outfile_open(out, &of, &fp, msg) : GSL_SUCCESS;
    if (status) {
        ttt_summarize_points_free(p);
        fprintf(stderr, "ttt: %s\n", msg);
        return status == GSL_EINVAL ? 2 : 1;
    }
    int bad = ttt_summarize_write_table(fp, p, format, file, specs, nq) != 0;
    ttt_summarize_points_free(p);
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
        return 1; /* main says "cannot write to standard output", once */
    }
    return 0;
}

int cli_verify(int argc, char **argv)
{
    int quick = 0;
    size_t chosen[64], nchosen = 0, threads = 0;
    char msg[TTT_MSG];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--list")) {
            if (argc > 3)
                cli_die_input("--list takes no other arguments; allowed: ttt verify --list, or ttt verify [NAME ...] "
                          "[--quick] [threads=N]");
            ttt_verify_list(stdout);
            return 0;
        } else if (!strncmp(argv[i], "threads=", 8)) {
            ttt_params p;
            ttt_params_default(&p);
            int status = ttt_params_set_word(&p, argv[i], msg);
            if (status)
                cli_die_status(status, msg);
            threads = p.threads;
        } else if (argv[i][0] == '-') {
            ttt_msg(msg, sizeof msg, "unknown option '%s'; allowed: --list, --quick, threads=N, check names", argv[i]);
            cli_die_input(msg);
        } else {
            size_t c;
            if (ttt_verify_find(argv[i], &c)) {
                ttt_msg(msg, sizeof msg, "no check named '%s'; 'ttt verify --list' names them", argv[i]);
                cli_die_input(msg);
            }
            for (size_t k = 0; k < nchosen; k++)
                if (chosen[k] == c) {
                    ttt_msg(msg, sizeof msg, "check '%s' is named twice; allowed: each check once", argv[i]);
                    cli_die_input(msg);
                }
            chosen[nchosen++] = c; /* at most ttt_verify_count() < 64, each once */
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

/* The estimator registry: a table, or (--gnuplot) one line style per
 * estimator for plots/style.gp, linetype = its position + 1. */
int cli_estimators(int argc, char **argv)
{
    const int gnuplot = argc == 3 && !strcmp(argv[2], "--gnuplot");
    if (argc > 3 || (argc == 3 && !gnuplot)) {
        char msg[TTT_MSG];
        cli_die_input(ttt_msg(msg, sizeof msg, "estimators does not take '%s'; allowed: ttt estimators [--gnuplot]",
                              argv[2]));
    }
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        const ttt_estimator_info *a = ttt_estimator_about(e);
        if (gnuplot)
            printf("set linetype %d lc rgb \"%s\" lw 1.5 pt %d ps 1.0\nLT_%s = %d\n", e + 1, a->colour, a->point,
                   a->name, e + 1);
        else
            printf("%-14s runs: %-12s reports its support: %s\n%-14s %s\n", a->name, a->when,
                   a->support ? "yes" : "no", "", a->fits);
    }
    return 0;
}
