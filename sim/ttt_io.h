/* ttt_io — output files: TSV with a provenance header, NumPy .npy arrays, and
 * an output directory whose files appear all together or not at all; and the
 * TSV tables the program reads back.
 *
 * Functions that can fail and say why return a GSL status with a one-line
 * message in msg (TTT_MSG bytes), as ttt_outdir does: GSL_EINVAL for input
 * that is not allowed (exit status 2), GSL_ENOMEM, GSL_EFAILED for a failed
 * write.  The plain stream writers return 0, or -1 on a write error (errno
 * set): their caller names the file. */
#ifndef TTT_IO_H
#define TTT_IO_H

#include <stddef.h>
#include <stdio.h>

#include "ttt_generate.h"
#include "ttt_outdir.h"
#include "ttt_params.h"

/* Largest text ttt_io_double writes, with its NUL. */
#define TTT_IO_DOUBLE 32

/* A double as the TSV files hold it: %.17g (reads back bit for bit), or NaN,
 * Inf, -Inf.  Returns buf (TTT_IO_DOUBLE bytes). */
char *ttt_io_double(double x, char *buf);

/* Writes x as ttt_io_double does, then sep (a tab, a newline). */
void ttt_io_put(FILE *out, double x, const char *sep);

/* The current UTC time as 2026-01-31T12:00:00Z into buf (32 bytes). */
void ttt_io_utc(char *buf, size_t len);

/* Writes the '#' provenance lines: program, version and git revision, GSL
 * version and CBLAS, RNG, every parameter, the command line and UTC time.
 * Returns 0, or -1 on a write error (errno set). */
int ttt_io_header(FILE *out, const ttt_params *p, const char *command);

/* Opens *fp for file `name` of output directory o (ttt_outdir_file) and
 * writes its provenance header (ttt_io_header).  A status: ttt_outdir_file's,
 * or GSL_EFAILED when the header cannot be written; *fp is NULL on failure. */
int ttt_io_tsv(ttt_outdir *o, const char *name, const ttt_params *p, const char *command, FILE **fp, char *msg);

/* Writes one .npy (format 1.0, C order) array: descr is "<f8" or "<i4",
 * shape has ndim entries, data holds prod(shape) elements of elem_size bytes.
 * Returns 0, or -1 on a write error (errno set). */
int ttt_io_npy(FILE *out, const char *descr, const size_t *shape, int ndim, const void *data, size_t elem_size);

/* Writes the instance's arrays into o as data/A.npy, data/w.npy, data/pools.npy
 * and, for train and test, data/<set>_X.npy, _y, _f, _phi_idx, _phi_val,
 * _topic.  Returns GSL_SUCCESS, GSL_ENOMEM, or GSL_EFAILED with a message
 * naming the file that could not be written and why. */
int ttt_io_save_instance(ttt_outdir *o, const ttt_instance *in, char *msg);

/* A TSV table as the program writes it: '#' lines skipped, one header row,
 * tab-separated cells.  Read whole into memory. */
typedef struct {
    size_t rows, cols;
    char **names;   /* cols column names */
    char ***cell;   /* rows x cols cell texts */
    size_t *line;   /* rows: the line of the file each row is on (from 1) */
    char *text;     /* the file's bytes, which names and cells point into */
} ttt_table;

/* Reads path (lines of any length) into *out, which the caller frees with
 * ttt_table_free.  Returns GSL_SUCCESS; GSL_EINVAL with a message when the
 * file cannot be opened or read (the caller's input: missing, a directory,
 * unreadable; the system's reason), holds a NUL byte, has no header row, or a
 * row has a different number of cells than the header; GSL_ENOMEM when out
 * of memory.  *out is NULL on failure. */
int ttt_table_read(const char *path, ttt_table **out, char *msg);
void ttt_table_free(ttt_table *t);

/* The index of a column, or -1. */
long ttt_table_column(const ttt_table *t, const char *name);

/* A cell as a number (NaN when it is not one). */
double ttt_table_number(const ttt_table *t, size_t row, size_t col);

#endif
