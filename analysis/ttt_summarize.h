/* ttt_summarize — a sweep.tsv reduced to one row per grid point: for each
 * requested quantity, its mean over the point's replicates and the standard
 * error of that mean.  The figures and the tables are drawn from these rows,
 * so the error bars are replicate-to-replicate spread, which also covers the
 * dictionary, the pools and the training set (not only the test sample).
 *
 * A quantity is named by a spec:
 *   ESTIMATOR            that estimator's mse            (column ttt_mse)
 *   ESTIMATOR:COLUMN     any column of its rows          (column ttt_rel)
 *   COLUMN               a run-level column, taken from the rows of the
 *                        file's first estimator          (column support)
 *   A/B                  log10 of A over B per replicate, A and B each one of
 *                        the first two forms             (log10_global_over_ttt)
 * Every quantity gets two output columns, NAME and NAME_se.
 *
 * Functions that can fail return a GSL status with a one-line message in msg
 * (TTT_MSG bytes): GSL_EINVAL when the table or a spec is not allowed,
 * GSL_ENOMEM when out of memory.  The writers return 0, or -1 on a write
 * error (errno set): their caller names the output. */
#ifndef TTT_SUMMARIZE_H
#define TTT_SUMMARIZE_H

#include <stddef.h>
#include <stdio.h>

#include "ttt_io.h"

/* The rows and the column a name picks out of a sweep table. */
typedef struct {
    char estimator[128]; /* the rows of this estimator */
    long col;            /* this column of them */
} ttt_operand;

/* Resolves the first len bytes of text, "ESTIMATOR" (its mse),
 * "ESTIMATOR:COLUMN" or "COLUMN" (the rows of the file's first estimator),
 * into op.  Returns GSL_SUCCESS, or GSL_EINVAL with a message naming what the
 * table lacks.  ttt table and ttt fit both name quantities this way. */
int ttt_summarize_operand_parse(const ttt_table *t, const char *text, size_t len, ttt_operand *op, char *msg);

/* Checks the rows of a sweep table: the job, point and rep cells (those
 * columns it has) are whole numbers as ttt sweep writes them (digits only),
 * and no two rows share a job and estimator, or a point, rep and estimator
 * (without those columns: no two rows are identical).  A repeated row would
 * be counted twice by ttt fit and as another replicate by ttt table.  A table
 * whose last column is row_check has every row's checked.  Returns
 * GSL_SUCCESS, GSL_EINVAL with a message naming the lines, or GSL_ENOMEM. */
int ttt_summarize_rows_check(const ttt_table *t, char *msg);

typedef enum { TTT_FORMAT_TSV, TTT_FORMAT_MARKDOWN, TTT_FORMAT_LATEX } ttt_format;

/* The format named "tsv", "md" or "latex" into *format: GSL_SUCCESS, or
 * GSL_EINVAL with a message naming the allowed ones. */
int ttt_summarize_format_parse(const char *name, ttt_format *format, char *msg);

typedef struct {
    size_t points, nkeys, nq;
    char **keys;        /* nkeys parameter columns of the sweep (d1 d2 s ... sigma, then other swept keys) */
    int *varies;        /* nkeys: 1 when the key takes more than one value over the points */
    char **values;      /* points x nkeys key values as text */
    char **names;       /* nq output column names */
    size_t *reps;       /* points: replicates found */
    double *mean, *se;  /* points x nq; NaN where fewer than one (mean) or two (se) finite values */
} ttt_points;

/* Reduces sweep table t to one row per grid point for the nq specs, into
 * *out, which the caller frees with ttt_summarize_points_free.  Returns
 * GSL_SUCCESS; GSL_EINVAL with a message when t is not a sweep table, a spec
 * or column is not in t, or ttt_summarize_rows_check refuses its rows;
 * GSL_ENOMEM when out of memory.  *out is NULL on failure. */
int ttt_summarize_points(const ttt_table *t, const char *const *specs, size_t nq, ttt_points **out, char *msg);
void ttt_summarize_points_free(ttt_points *p);

/* Writes the rows as TSV (every key, reps, then NAME NAME_se per quantity,
 * full precision, after a "# fixed:" line of the keys that do not vary), or
 * as a Markdown or LaTeX table (the keys that vary, then "mean ± se" per
 * quantity with 3 significant digits).  Returns 0, or -1 on a write error
 * (errno set). */
int ttt_summarize_points_write(FILE *out, const ttt_points *p, ttt_format format);

/* What `ttt table` writes: for TSV first the provenance, the '#' lines at the
 * top of source (the sweep.tsv the points come from) and a line naming it
 * and the nq specs, then the rows as ttt_summarize_points_write.  Returns 0,
 * or -1 (errno set) when the provenance cannot be read or anything cannot be
 * written (all is written that can be). */
int ttt_summarize_write_table(FILE *out, const ttt_points *p, ttt_format format, const char *source,
                              const char *const *specs, size_t nq);

#endif
