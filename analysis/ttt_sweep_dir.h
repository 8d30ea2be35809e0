/* ttt_sweep_dir — a sweep written into its directory, and shards merged.
 *
 * DIR/sweep.tsv holds the header and then the rows of the leading jobs in job
 * order, flushed job by job, so whatever stops the sweep (Ctrl-C, a kill, a
 * full disk, a failed MPI rank) leaves a file that --resume continues; the
 * result is byte-identical to an uninterrupted sweep.  DIR/.lock (an advisory
 * flock) refuses a second writer; DIR/sweep.log gets one line per attempt.
 *
 * Three ways to run the jobs, one file format:
 *   - one process, jobs in parallel on its threads;
 *   - a shard (ttt_sweep_set_shard): the jobs j with j mod N = I - 1, in its
 *     own directory; ttt_sweep_dir_merge joins the N shards;
 *   - MPI (built with TTT_MPI, run with more than one rank): rank 0 hands the
 *     jobs out one at a time to ranks 1..N-1 as they ask, receives their rows
 *     and writes them in job order; each job runs on its rank's threads.
 *
 * Every function returns a GSL status and leaves a message in msg
 * (TTT_MSG bytes): GSL_EINVAL when the request is not allowed (exit
 * status 2), TTT_SWEEP_STOPPED when stopped by *stop (msg says how to
 * continue), anything else a fault (exit status 1). */
#ifndef TTT_SWEEP_DIR_H
#define TTT_SWEEP_DIR_H

#include <stddef.h>

#include "ttt_sweep.h"

typedef struct {
    const char *dir;   /* DIR: created if missing (mkdir -p) */
    int resume;        /* continue DIR/sweep.tsv (otherwise it must not exist) */
    int quiet;         /* no progress or notes on stderr */
    int argc;          /* the command line, for DIR/sweep.log */
    char **argv;
} ttt_sweep_dir_opts;

/* Runs sw into o->dir.  *stop (set by a signal handler) stops it between
 * jobs.  Under MPI every rank calls it; only rank 0 touches the directory,
 * and only rank 0's status and message count (the others return
 * GSL_SUCCESS with msg empty, whatever happened). */
int ttt_sweep_dir_run(const ttt_sweep *sw, const ttt_sweep_dir_opts *o, volatile int *stop, char *msg);

/* Joins complete shards dirs[0..n-1] (each DIR/sweep.tsv from 'ttt sweep
 * --shard I/N', every I from 1 to N once, of one sweep) into out/sweep.tsv,
 * byte-identical to the one-process sweep; out is written all or nothing
 * (ttt_outdir).  Every row of every shard is checked as --resume checks it. */
int ttt_sweep_dir_merge(char *const *dirs, size_t n, const char *out, char *msg);

/* Under MPI: this process's rank and the number of ranks (0 and 1 without
 * MPI or before MPI_Init). */
int ttt_sweep_dir_rank(void);
int ttt_sweep_dir_ranks(void);

/* After ttt_sweep_dir_run stopped under MPI (TTT_SWEEP_STOPPED): ends every
 * rank with this exit status (the other ranks may be in a job).  A no-op
 * without MPI. */
void ttt_sweep_dir_abort(int status);

#endif
