/* ttt — command-line front end.  Parses arguments, calls the library, writes
 * files, and turns statuses into messages.  Exit status: 0 success, 1 a
 * failure while running (out of memory, a solver), 2 bad input. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef TTT_MPI
#include <mpi.h>
#endif

#include "cli.h"

static int dispatch(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) {
        fputs(cli_usage, stderr);
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
        char msg[TTT_MSG];
        cli_die_input(ttt_msg(msg, sizeof msg, "%s takes no arguments ('%s'); allowed: ttt %s", cmd, argv[2], cmd));
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(cli_usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("ttt %s (git %s), gsl %s, cblas %s\n", TTT_VERSION, TTT_GIT_REV, gsl_version, TTT_CBLAS);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(cli_usage, stdout);
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
            cli_die_input("presets takes no arguments; allowed: ttt presets");
        for (size_t i = 0; i < ttt_params_preset_count(); i++)
            printf("%-10s %s\n%-10s   keys: %s\n", ttt_params_preset_name(i), ttt_params_preset_about(i), "",
                   *ttt_params_preset_words(i) ? ttt_params_preset_words(i) : "(none)");
        return fflush(stdout) || ferror(stdout) ? 1 : 0;
    }
    if (!strcmp(cmd, "estimators"))
        return cli_estimators(argc, argv);
    if (!strcmp(cmd, "run"))
        return cli_run(argc, argv, 0);
    if (!strcmp(cmd, "table"))
        return cli_table(argc, argv);
    if (!strcmp(cmd, "demo"))
        return cli_demo(argc, argv);
    if (!strcmp(cmd, "generate"))
        return cli_run(argc, argv, 1);
    if (!strcmp(cmd, "sweep"))
        return cli_sweep(argc, argv);
    if (!strcmp(cmd, "merge"))
        return cli_merge(argc, argv);
    if (!strcmp(cmd, "fit"))
        return cli_fit(argc, argv);
    if (!strcmp(cmd, "verify"))
        return cli_verify(argc, argv);
    char msg[TTT_MSG];
    cli_die_input(ttt_msg(msg, sizeof msg, "unknown command '%s'; allowed: run, generate, sweep, merge, fit, table, demo, verify, estimators, "
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
