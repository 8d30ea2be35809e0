/* cli — the command-line front end of ttt: each command parses its
 * arguments and calls the library; this header is what the commands share
 * (the usage text, how bad input and faults end the process, the limits
 * checked before work).  Exit status: 0 success, 1 a failure while running
 * (out of memory, a solver, over a limit), 2 bad input.  The CLI sits above
 * both sim/ and analysis/. */
#ifndef TTT_CLI_H
#define TTT_CLI_H

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

#include "ttt_demo.h"
#include "ttt_fit.h"
#include "ttt_io.h"
#include "ttt_outdir.h"
#include "ttt_msg.h"
#include "ttt_params.h"
#include "ttt_report_io.h"
#include "ttt_run.h"
#include "ttt_summarize.h"
#include "ttt_sweep.h"
#include "ttt_sweep_dir.h"
#include "ttt_verify.h"

extern const char *cli_usage;

/* Bad input: one line (control bytes escaped, the allowed part kept), exit 2. */
void cli_die_input(const char *msg);
/* Ends the process for a failed library call's status and message: GSL_EINVAL
 * is bad input (as cli_die_input, exit 2); GSL_ENOMEM exits 1 with "out of
 * memory"; any other status is a fault: msg, exit 1. */
void cli_die_status(int status, const char *msg);
/* The output directory opened, or exit (2 when not allowed, 1 on a fault). */
ttt_outdir *cli_open_outdir(const char *dir);
/* Exit 2 when an option that takes one value is given a second time. */
void cli_once(const void *already, const char *option);
/* The value of option argv[*i] (the next word; *i moves to it); exit 2 when
 * it is missing ("--out needs WHAT") or the option was given already. */
const char *cli_value(int argc, char **argv, int *i, const char *already, const char *what);
/* An estimate checked against the machine before any work (exit 1 over a limit unless force). */
void cli_check_limits(const ttt_params *p, double bytes, double seconds, const char *phase, const char *what,
                      int force, int quiet);
/* The phase that dominates an estimate. */
const char *cli_main_phase(const ttt_cost *c, int generate_only);

/* The commands: argv[1] is the command, each returns the exit status. */
int cli_run(int argc, char **argv, int generate_only);
int cli_demo(int argc, char **argv);
int cli_fit(int argc, char **argv);
int cli_table(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_estimators(int argc, char **argv);

#endif
