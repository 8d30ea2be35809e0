/* ttt_report_io — a run report as `ttt run` writes and prints it: the four
 * TSV files of its output directory (summary.tsv, analytic.tsv,
 * predictions.tsv, geometry.tsv, columns in README "Output files") and the
 * comparison table with the analytic quantities and the regimes. */
#ifndef TTT_REPORT_IO_H
#define TTT_REPORT_IO_H

#include <stdio.h>

#include "ttt_io.h"
#include "ttt_run.h"

/* Writes the four files of r into dir, each after the provenance header of p
 * and command (ttt_io_header).  Returns GSL_SUCCESS, or the status of the
 * file that could not be opened (GSL_ENOMEM, GSL_EFAILED; see ttt_io_tsv)
 * with a message; the caller then aborts dir.  (Write errors of the rows
 * surface when dir is committed.) */
int ttt_report_io_write(ttt_outdir *dir, const ttt_report *r, const ttt_params *p, const char *command, char *msg);

/* The comparison table of `ttt run`: the estimators' errors beside their
 * predictions, the analytic and measured quantities, the regimes. */
void ttt_report_io_print(FILE *out, const ttt_report *r);

/* One line "time: generate 0.105s analytic ...": the phases' wall times. */
void ttt_report_io_times(FILE *out, const ttt_report *r);

#endif
