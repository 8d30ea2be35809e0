/* ttt_sweep — a grid of runs: the cartesian product of axes (one key, a list
 * of values each) times R replicates.  Job j is grid point j / R, replicate
 * j % R; the last axis varies fastest.
 *
 * Each job draws from its own seed, a hash of the base seed, the point's
 * complete parameter text and the replicate number, so a job's numbers do
 * not depend on the order jobs run in, the number of threads, or which other
 * points are in the grid.
 *
 * Functions that can fail return a GSL status — GSL_SUCCESS, GSL_EINVAL (the
 * request is not allowed; msg, TTT_MSG bytes, names what is wrong and
 * what is allowed) or GSL_ENOMEM — as the rest of the library does. */
#ifndef TTT_SWEEP_H
#define TTT_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ttt_params.h"
#include "ttt_run.h"

#define TTT_SWEEP_MAX_AXES 8
/* Status of a sweep stopped on request (not a GSL code). */
#define TTT_SWEEP_STOPPED 1000
#define TTT_SWEEP_MAX_VALUES 256
/* Most jobs (points x reps) a sweep may have; ttt_sweep_check refuses more. */
#define TTT_SWEEP_MAX_JOBS 10000000

typedef struct {
    char key[32];
    size_t n;                             /* values on this axis */
    char values[TTT_SWEEP_MAX_VALUES][32]; /* each as text, as set with ttt_params_set */
} ttt_axis;

typedef struct {
    ttt_params base;  /* every key not on an axis */
    size_t naxes;
    ttt_axis axes[TTT_SWEEP_MAX_AXES];
    size_t reps;      /* replicates per grid point */
    size_t shard;     /* this process runs the jobs j with j % shards == shard */
    size_t shards;    /* 1: every job (the default) */
} ttt_sweep;

/* An empty sweep over base (one point) with one replicate. */
void ttt_sweep_init(ttt_sweep *sw, const ttt_params *base);

/* Adds an axis from "key=v1,v2,..." or "key=a:b:log:N" / "key=a:b:lin:N" (N
 * values from a to b, geometric or evenly spaced; rounded to whole numbers
 * for whole-number keys, repeats after rounding dropped).  A list naming one
 * value twice (after parsing: 10 and 1e1) is refused.  Returns a status, with a message in
 * msg (TTT_MSG bytes) naming what is wrong and what is allowed. */
int ttt_sweep_add_axis(ttt_sweep *sw, const char *word, char *msg);

/* One command-line word: "reps=R" (a whole number) sets the replicates, "key=value" a base
 * key, and a list or range an axis.  Give base keys before axes, so that
 * axis values are checked against the final base.  A status. */
int ttt_sweep_word(ttt_sweep *sw, const char *word, char *msg);

/* Grid points (product of the axis lengths) and jobs (points x reps); both
 * SIZE_MAX when the product does not fit (8 axes of 256 values are 2^64). */
size_t ttt_sweep_points(const ttt_sweep *sw);
size_t ttt_sweep_jobs(const ttt_sweep *sw);

/* "--shard I/N": run only the jobs j with j mod N = I - 1 (1 <= I <= N <=
 * 10000).  A status. */
int ttt_sweep_set_shard(ttt_sweep *sw, const char *spec, char *msg);

/* The jobs of this shard (all jobs when shards = 1); its t-th is job
 * shard + t * shards. */
size_t ttt_sweep_shard_jobs(const ttt_sweep *sw);
size_t ttt_sweep_shard_job(const ttt_sweep *sw, size_t t);

/* The checked parameters of job j, seed included.  Returns a status (a message
 * for a grid point whose keys do not go together; GSL_ENOMEM out of memory). */
int ttt_sweep_job_params(const ttt_sweep *sw, size_t job, ttt_params *p, char *msg);

/* Refuses more than TTT_SWEEP_MAX_JOBS jobs (before looking at any point, so a
 * huge grid is refused at once), then checks every grid point; a status, the
 * message of the first bad point prefixed by the point. */
int ttt_sweep_check(const ttt_sweep *sw, char *msg);

/* Called once per finished job, from the thread that ran it; report is freed
 * after the call.  A nonzero return stops the sweep. */
typedef int (*ttt_sweep_sink)(void *ctx, size_t job, const ttt_report *report);

/* Runs this shard's jobs from its first-th on (first = 0: all; see
 * ttt_sweep_shard_job) in parallel (OpenMP, dynamic schedule; each run
 * itself single-threaded inside the parallel region; a lone job left, as in
 * a sweep of one, runs on every thread) and hands each report
 * to sink.  Jobs not yet started when *stop becomes nonzero are skipped (so
 * a signal handler can stop a sweep cleanly).  Returns GSL_SUCCESS, the
 * first failing run's status, or TTT_SWEEP_STOPPED when stopped. */
int ttt_sweep_run(const ttt_sweep *sw, size_t first, ttt_sweep_sink sink, void *ctx, volatile int *stop);

/* The sweep.tsv format.  The header is deterministic (no time, no command
 * line), so a resumed sweep's file is byte-identical to an uninterrupted one.
 * A shard's header has one more line, "# shard I/N: ...", before the column
 * names; its rows are the ones the whole sweep writes for its jobs.  Returns
 * 0, or -1 on a write error (errno set). */
int ttt_sweep_write_header(const ttt_sweep *sw, FILE *out);

/* The same header as text (malloc'd, *len bytes), or NULL when out of memory. */
char *ttt_sweep_header_text(const ttt_sweep *sw, size_t *len);

/* Rows of one job, one per enabled estimator, appended to a growing string
 * (*buf of *len bytes, realloc'd).  Returns the number of rows, or 0 when out
 * of memory. */
size_t ttt_sweep_format_rows(const ttt_sweep *sw, size_t job, const ttt_report *r, char **buf, size_t *len);

/* The row_check cell of a row whose text before it (without the tab) is
 * text[0..len): FNV-1a, 64 bits, written as 16 lowercase hex digits. */
uint64_t ttt_sweep_row_check(const char *text, size_t len);
/* 1 if the last of a row's n cells is the row_check of the others joined by tabs. */
int ttt_sweep_row_valid(char *const *cells, size_t n);

/* Reads an existing sweep.tsv from the start: checks that its header is the
 * one ttt_sweep_write_header writes for sw, then counts the shard's leading jobs whose
 * rows are all present, complete and valid: each row starts with exactly the
 * job, point, rep, seed, key columns and estimator this sweep writes for it,
 * in estimator order, and has the right number of value cells, each a
 * number.  *done gets that count and *end the byte offset where their rows
 * end (truncate there and append).  Returns GSL_SUCCESS, with msg empty, or
 * holding a note when a complete row was damaged (its job and all after it
 * are to be recomputed); GSL_EINVAL with a message when the header differs,
 * GSL_ENOMEM when out of memory. */
int ttt_sweep_scan(const ttt_sweep *sw, FILE *in, size_t *done, long *end, char *msg);

/* The sweep a sweep.tsv header describes (its grid, reps, base parameters and
 * shard), read from in up to and including the column names; the header the
 * result writes is then compared with the file's by ttt_sweep_scan.  A
 * status. */
int ttt_sweep_read_header(ttt_sweep *sw, FILE *in, char *msg);

#endif
