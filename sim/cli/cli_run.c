/* cli_run — ttt run, generate and demo. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

typedef struct {
    ttt_params p;
    const char *out;
    int save_data, quiet, force;
    char command[4096];
} options;

/* What parse accepts besides key=value words and --out DIR. */
enum { ALLOW_FILE = 1, ALLOW_SAVE_DATA = 2, ALLOW_QUIET = 4, WRITES_DATA = 8 };

/* generate and --save-data write A and the training set: refused, before
 * any other complaint about the keys, when the checked parameters p would
 * store neither whole (a huge d1 with sparse = on would otherwise be refused
 * first for sparse, then, after sparse = off, for this). */
static void check_writes_data(const ttt_params *p, const char *what)
{
    char msg[TTT_MSG];
    ttt_params c = *p;
    c.sparse = TTT_OFF; /* what A's storage depends on, sparse aside */
    if (ttt_params_check(&c, msg))
        return; /* the keys' own message comes next */
    if (!ttt_params_stores_A(&c)) {
        ttt_msg(msg, sizeof msg,
                "%s writes A (d2 x d1), which is not stored when d1 * d2 = %g; allowed: d1 * d2 <= %.0f", what,
                (double)c.d1 * (double)c.d2, TTT_COUNTER_DENSE_CELLS);
        cli_die_input(msg);
    }
    if (ttt_params_streams_train(&c)) {
        ttt_msg(msg, sizeof msg, "%s writes the training set, which is streamed (n = %zu, train = streamed); allowed: "
                "train = stored (at most about %.3g GB)", what, c.n, (double)c.n * ttt_params_point_bytes(&c) / 1e9);
        cli_die_input(msg);
    }
}

/* Parses [FILE] [key=value ...] [--out DIR] [--save-data] [--quiet], each
 * optional part only when `allow` has it. */
static void parse(int argc, char **argv, options *o, int allow)
{
    char msg[TTT_MSG];
    const char *file = NULL;
    ttt_params_default(&o->p);
    size_t used = 0;
    for (int i = 0; i < argc && used + 2 < sizeof o->command; i++)
        used += (size_t)snprintf(o->command + used, sizeof o->command - used, i ? " %s" : "%s", argv[i]);
    /* First pass: the file, so that key=value words override it. */
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            out = cli_value(argc, argv, &i, out, "a directory name");
        } else if (argv[i][0] != '-' && !strchr(argv[i], '=')) {
            if (!(allow & ALLOW_FILE)) {
                ttt_msg(msg, sizeof msg, "%s takes no config file ('%s'); allowed: key=value words", argv[1],
                        argv[i]);
                cli_die_input(msg);
            }
            if (file) {
                ttt_msg(msg, sizeof msg, "more than one config file given ('%s' and '%s'); allowed: one", file,
                         argv[i]);
                cli_die_input(msg);
            }
            file = argv[i];
        }
    }
    int status = file ? ttt_params_read_file(&o->p, file, msg) : GSL_SUCCESS;
    if (status)
        cli_die_status(status, msg);
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
            cli_die_input(msg);
        } else if (strchr(argv[i], '=') && (status = ttt_params_set_word(&o->p, argv[i], msg)))
            cli_die_status(status, msg);
    }
    if ((allow & WRITES_DATA) || o->save_data)
        check_writes_data(&o->p, allow & WRITES_DATA ? "generate" : "--save-data");
    if ((status = ttt_params_check(&o->p, msg)))
        cli_die_status(status, msg);
}


int cli_run(int argc, char **argv, int generate_only)
{
    options o = {0};
    parse(argc, argv, &o, generate_only ? ALLOW_FILE | WRITES_DATA : ALLOW_FILE | ALLOW_SAVE_DATA | ALLOW_QUIET);
    if (generate_only && !o.out)
        cli_die_input("generate needs --out DIR");
    if (!o.out)
        o.out = "ttt-out";
    char msg[TTT_MSG];
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    cli_check_limits(&o.p, cost.bytes, generate_only ? cost.generate_seconds : cost.seconds,
                     cli_main_phase(&cost, generate_only), "this run", o.force, o.quiet);
    ttt_outdir *dir = cli_open_outdir(o.out);

    int status;
    ttt_report *r = NULL;
    ttt_instance *in = NULL;
    if (generate_only)
        status = ttt_instance_alloc(&o.p, &in);
    else
        status = ttt_run(&o.p, &r);
    if (status) {
        ttt_outdir_abort(dir);
        fprintf(stderr, "ttt: %s\n", ttt_msg_status(status, "this run"));
        return 1;
    }
    if (generate_only) {
        status = ttt_io_save_instance(dir, in, msg);
    } else {
        status = ttt_report_io_write(dir, r, &o.p, o.command, msg);
        if (!status && o.save_data)
            status = ttt_io_save_instance(dir, r->in, msg);
    }
    if (status)
        ttt_outdir_abort(dir);
    else
        status = ttt_outdir_commit(dir, msg);
    if (status) {
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

int cli_demo(int argc, char **argv)
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
        cli_die_input("demo draws the feature plane: d2 must be 2; allowed: any other key=value");
    if (!o.out)
        o.out = "teach-out";
    if (ttt_params_streams_train(&o.p))
        cli_die_input("demo draws every training point: train must be stored; allowed: train = stored or auto "
                      "with a smaller n");
    if (!ttt_params_stores_A(&o.p)) {
        char why[TTT_MSG];
        ttt_msg(why, sizeof why, "demo draws every concept's direction, which needs A stored, but d1 = %zu; allowed: "
                "d1 <= %.0f (d1 * d2 <= %.0f with d2 = 2)", o.p.d1, TTT_COUNTER_DENSE_CELLS / 2.0,
                TTT_COUNTER_DENSE_CELLS);
        cli_die_input(why);
    }
    ttt_cost cost;
    ttt_run_cost(&o.p, o.p.threads, &cost);
    cli_check_limits(NULL, cost.bytes, cost.seconds, cli_main_phase(&cost, 0), "this demo", o.force, o.quiet);
    char msg[TTT_MSG];
    ttt_demo *d;
    int status = ttt_demo_run(&o.p, &d);
    if (status) {
        fprintf(stderr, "ttt: %s\n", ttt_msg_status(status, "this demo"));
        return 1;
    }
    ttt_outdir *dir = cli_open_outdir(o.out);
    status = ttt_demo_write(dir, d, o.command, msg);
    if (status)
        ttt_outdir_abort(dir);
    else
        status = ttt_outdir_commit(dir, msg);
    if (status)
        fprintf(stderr, "ttt: %s\n", msg);
    else if (!o.quiet)
        ttt_demo_narrate(stdout, d, o.out);
    ttt_demo_free(d);
    return status ? 1 : 0;
}
