/* ttt_sweep_dir — see ttt_sweep_dir.h. */
#define _GNU_SOURCE
#include "ttt_sweep_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef TTT_MPI
#include <mpi.h>
#endif

#include "ttt_io.h"
#include "ttt_msg.h"
#include "ttt_outdir.h"

int ttt_sweep_dir_rank(void)
{
#ifdef TTT_MPI
    int up = 0, rank = 0;
    MPI_Initialized(&up);
    if (up)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
#else
    return 0;
#endif
}

int ttt_sweep_dir_ranks(void)
{
#ifdef TTT_MPI
    int up = 0, size = 1;
    MPI_Initialized(&up);
    if (up)
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
#else
    return 1;
#endif
}

void ttt_sweep_dir_abort(int status)
{
#ifdef TTT_MPI
    if (ttt_sweep_dir_ranks() > 1)
        MPI_Abort(MPI_COMM_WORLD, status);
#endif
    (void)status;
}

/* ---- the ordered writer ---- */

/* Rows of finished jobs wait in slots until every earlier job of the shard is
 * written, so the file always holds the leading jobs in order.  Slot t is the
 * shard's t-th job. */
typedef struct {
    const ttt_sweep *sw;
    FILE *out;
    char **slot;
    size_t next, count, first;
    int progress, write_error; /* write_error: the errno of the first failed write, 0 while none failed */
    double start;
} writer;

static void progress_bar(const writer *w)
{
    size_t done = w->next - w->first, total = w->count - w->first, width = 30;
    size_t fill = total ? done * width / total : width;
    double t = ttt_run_seconds() - w->start, left = done ? t * (double)(total - done) / (double)done : 0.0;
    fprintf(stderr, "\r[");
    for (size_t i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu jobs  %.0fs elapsed, ~%.0fs left ", w->next, w->count, t, left);
}

/* Takes the rows of the shard's t-th job (malloc'd; owned from here on) and
 * writes every job now due.  Nonzero once a write has failed. */
static int writer_put(writer *w, size_t t, char *rows)
{
    w->slot[t] = rows;
    while (w->next < w->count && w->slot[w->next]) {
        char *text = w->slot[w->next];
        size_t n = strlen(text);
        if ((fwrite(text, 1, n, w->out) != n || fflush(w->out) != 0) && !w->write_error)
            w->write_error = errno ? errno : EIO;
        free(text);
        w->slot[w->next++] = NULL;
        if (w->progress)
            progress_bar(w);
    }
    return w->write_error;
}

/* The rows of one finished job as text; NULL when out of memory. */
static char *job_rows(const ttt_sweep *sw, size_t job, const ttt_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    if (ttt_sweep_format_rows(sw, job, r, &buf, &len) == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int collect(void *ctx, size_t job, const ttt_report *r)
{
    writer *w = ctx;
    char *rows = job_rows(w->sw, job, r);
    if (!rows)
        return 1;
    int bad;
#pragma omp critical(ttt_sweep_writer)
    bad = writer_put(w, (job - w->sw->shard) / w->sw->shards, rows);
    return bad;
}

/* ---- MPI: rank 0 hands out jobs and writes, the others run them ---- */

#ifdef TTT_MPI
enum { TAG_READY = 1, TAG_ROWS, TAG_FAIL, TAG_JOB, TAG_STOP };

/* Rank 0: serves every other rank until each has been told to stop.  Jobs
 * are handed out while none has failed, nothing was asked to stop and the
 * file takes the rows.  Returns the first failure's status (msg set). */
static int master(writer *w, int handing_out, volatile int *stop, char *msg, double *busy)
{
    const int ranks = ttt_sweep_dir_ranks();
    int active = ranks - 1, status = GSL_SUCCESS;
    size_t next = w->first;
    while (active > 0) {
        MPI_Status st;
        int count, arrived = 0;
        /* Polled, so that a stop request (Ctrl-C: mpirun passes on SIGINT or
         * SIGTERM) is seen at once, not after the ranks' current jobs. */
        while (!arrived && !(handing_out && stop && *stop)) {
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &st);
            if (!arrived)
                nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
        if (!arrived)
            return TTT_SWEEP_STOPPED; /* the ranks still at work are ended by ttt_sweep_dir_abort */
        const double t0 = ttt_run_seconds();
        MPI_Get_count(&st, MPI_BYTE, &count);
        char *buf = malloc((size_t)count + 1);
        if (!buf) {
            ttt_msg(msg, TTT_MSG, "out of memory for the rows from rank %d", st.MPI_SOURCE);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        buf[count] = '\0';
        if (st.MPI_TAG == TAG_ROWS) {
            unsigned long long t;
            memcpy(&t, buf, sizeof t);
            memmove(buf, buf + sizeof t, (size_t)count + 1 - sizeof t); /* the rows, owned by the writer */
            const int bad = writer_put(w, (size_t)t, buf);
            buf = NULL;
            if (bad && !status) {
                status = GSL_EFAILED;
                ttt_msg(msg, TTT_MSG, "cannot write sweep.tsv: %s", ttt_msg_errno(errno));
            }
        } else if (st.MPI_TAG == TAG_FAIL) {
            if (!status) {
                int code;
                memcpy(&code, buf, sizeof code);
                status = code ? code : GSL_EFAILED;
                ttt_msg(msg, TTT_MSG, "rank %d: %s", st.MPI_SOURCE, buf + sizeof code);
            }
        }
        free(buf);
        if (handing_out && !status && !(stop && *stop) && next < w->count) {
            unsigned long long t = next++;
            MPI_Send(&t, (int)sizeof t, MPI_BYTE, st.MPI_SOURCE, TAG_JOB, MPI_COMM_WORLD);
        } else {
            MPI_Send(NULL, 0, MPI_BYTE, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
            active--;
        }
        *busy += ttt_run_seconds() - t0;
    }
    if (!status && handing_out && (next < w->count || w->next < w->count))
        status = TTT_SWEEP_STOPPED;
    return status;
}

/* Ranks 1..N-1: ask for a job, run it on this rank's threads, send its rows
 * (or the failure), until told to stop. */
static void worker(const ttt_sweep *sw)
{
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
    for (;;) {
        MPI_Status st;
        unsigned long long t;
        MPI_Recv(&t, (int)sizeof t, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_STOP)
            return;
        const size_t job = ttt_sweep_shard_job(sw, (size_t)t);
        ttt_params p;
        char msg[TTT_MSG] = "";
        ttt_report *r = NULL;
        int code = ttt_sweep_job_params(sw, job, &p, msg);
        if (!code) {
            p.threads = sw->base.threads; /* the rank's threads work on its one job */
            code = ttt_run(&p, &r);
            if (code)
                ttt_msg(msg, sizeof msg, "job %zu: %s", job, gsl_strerror(code));
        }
        char *rows = code ? NULL : job_rows(sw, job, r);
        ttt_report_free(r);
        if (!code && !rows) {
            code = GSL_ENOMEM;
            ttt_msg(msg, sizeof msg, "job %zu: out of memory for its rows", job);
        }
        if (code) {
            size_t n = strlen(msg) + 1;
            char *buf = malloc(sizeof code + n);
            if (!buf)
                MPI_Abort(MPI_COMM_WORLD, 1);
            memcpy(buf, &code, sizeof code);
            memcpy(buf + sizeof code, msg, n);
            MPI_Send(buf, (int)(sizeof code + n), MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
            free(buf);
            continue; /* rank 0 answers with stop */
        }
        size_t n = strlen(rows);
        char *buf = malloc(sizeof t + n);
        if (!buf)
            MPI_Abort(MPI_COMM_WORLD, 1);
        memcpy(buf, &t, sizeof t);
        memcpy(buf + sizeof t, rows, n);
        free(rows);
        MPI_Send(buf, (int)(sizeof t + n), MPI_BYTE, 0, TAG_ROWS, MPI_COMM_WORLD);
        free(buf);
    }
}
#endif

/* ---- the directory ---- */

/* Opens DIR/sweep.tsv for the rows: a new file with its header, or (resume)
 * the existing one checked and cut after its last good job.  *first gets the
 * jobs already there. */
static int open_table(const ttt_sweep *sw, const ttt_sweep_dir_opts *o, const char *path, FILE **out,
                      size_t *first, char *msg)
{
    *first = 0;
    FILE *fp = fopen(path, "r");
    if (fp && !o->resume) {
        fclose(fp);
        ttt_msg(msg, TTT_MSG, "%s exists; allowed: --resume to continue it, or another --out", path);
        return GSL_EINVAL;
    }
    struct stat st;
    if (fp && fstat(fileno(fp), &st) == 0 && st.st_size == 0) {
        fclose(fp);
        fp = NULL;
        fprintf(stderr, "ttt: %s is empty (stopped before its header); starting from job 0\n", path);
    }
    if (fp) {
        long end;
        char note[TTT_MSG];
        int bad = ttt_sweep_scan(sw, fp, first, &end, note);
        fclose(fp);
        fp = NULL;
        if (bad) {
            ttt_msg(msg, TTT_MSG, "%s", note);
            return bad;
        }
        if (*note)
            fprintf(stderr, "ttt: %s\n", note);
        if (end > 0 && (truncate(path, (off_t)end) != 0 || !(fp = fopen(path, "a")))) {
            ttt_msg(msg, TTT_MSG, "cannot continue %s: %s", path, ttt_msg_errno(errno));
            return GSL_EFAILED;
        }
    }
    if (!fp) { /* new, or (resume) empty or cut within its header: written whole */
        fp = fopen(path, "w");
        if (!fp || ttt_sweep_write_header(sw, fp) != 0 || fflush(fp) != 0) {
            ttt_msg(msg, TTT_MSG, "cannot write %s: %s", path, ttt_msg_errno(errno));
            if (fp)
                fclose(fp);
            return GSL_EFAILED;
        }
    }
    *out = fp;
    return GSL_SUCCESS;
}

/* One entry per invocation: the command line, the jobs written, the status,
 * the wall time and rate, and (MPI) rank 0's time per job spent receiving
 * rows, writing them and answering: the serial part that bounds how many
 * ranks it can serve. */
static void write_log(const char *logpath, const ttt_sweep_dir_opts *o, size_t from, size_t to, size_t count,
                      int status, double wall, double busy)
{
    FILE *log = fopen(logpath, "a");
    if (!log)
        return;
    char when[32];
    ttt_io_utc(when, sizeof when);
    fprintf(log, "%s ttt %s (git %s):", when, TTT_VERSION, TTT_GIT_REV);
    for (int i = 0; i < o->argc; i++)
        fprintf(log, " %s", o->argv[i]);
    if (ttt_sweep_dir_ranks() > 1)
        fprintf(log, " [%d MPI ranks]", ttt_sweep_dir_ranks());
    const double jobs = (double)(to - from);
    fprintf(log, "\n    jobs %zu..%zu of %zu written, status: %s; %.3f s, %.4g jobs/s", from, to, count,
            status == TTT_SWEEP_STOPPED ? "interrupted" : status ? gsl_strerror(status) : "complete", wall,
            wall > 0 ? jobs / wall : 0.0);
    if (ttt_sweep_dir_ranks() > 1 && jobs > 0)
        fprintf(log, "; rank 0 busy %.4g ms per job", 1e3 * busy / jobs);
    fputc('\n', log);
    fclose(log);
}

/* The sweep's files in DIR, and its lock taken (held until the process ends). */
static int lock_dir(const char *dir, char *msg)
{
    int status = ttt_outdir_mkdirs(dir, msg);
    if (status)
        return status;
    /* A run's directory is replaced whole by the next run: a sweep in it would be lost. */
    char *marker = NULL;
    if (asprintf(&marker, "%s/" TTT_OUTDIR_MARKER, dir) < 0) {
        ttt_msg(msg, TTT_MSG, "out of memory for the sweep's file names");
        return GSL_ENOMEM;
    }
    const int taken = access(marker, F_OK) == 0;
    free(marker);
    if (taken) {
        ttt_msg(msg, TTT_MSG, "%s holds the output of ttt run, generate or demo (it has %s); allowed: "
                "another --out for the sweep", dir, TTT_OUTDIR_MARKER);
        return GSL_EINVAL;
    }
    char *lockpath = NULL;
    if (asprintf(&lockpath, "%s/.lock", dir) < 0) {
        ttt_msg(msg, TTT_MSG, "out of memory for the sweep's file names");
        return GSL_ENOMEM;
    }
    int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0) {
        ttt_msg(msg, TTT_MSG, "cannot create the lock file %s: %s", lockpath, ttt_msg_errno(errno));
        free(lockpath);
        return GSL_EFAILED;
    }
    free(lockpath);
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        ttt_msg(msg, TTT_MSG, "another ttt sweep is writing %s now; allowed: one writer per sweep "
                "directory (wait for it to finish, then --resume, or choose another --out)", dir);
        return GSL_EINVAL;
    }
    return GSL_SUCCESS;
}

int ttt_sweep_dir_run(const ttt_sweep *sw, const ttt_sweep_dir_opts *o, volatile int *stop, char *msg)
{
    msg[0] = '\0';
#ifdef TTT_MPI
    const int mpi = ttt_sweep_dir_ranks() > 1;
    if (mpi && ttt_sweep_dir_rank() > 0) {
        worker(sw);
        return GSL_SUCCESS;
    }
#endif
    char *path = NULL, *logpath = NULL;
    FILE *fp = NULL;
    size_t first = 0;
    int status = lock_dir(o->dir, msg);
    if (!status && (asprintf(&path, "%s/sweep.tsv", o->dir) < 0 || asprintf(&logpath, "%s/sweep.log", o->dir) < 0)) {
        path = logpath = NULL;
        ttt_msg(msg, TTT_MSG, "out of memory for the sweep's file names");
        status = GSL_ENOMEM;
    }
    if (!status)
        status = open_table(sw, o, path, &fp, &first, msg);
    const size_t count = ttt_sweep_shard_jobs(sw);
    double busy = 0.0; /* rank 0's time receiving, writing and answering (MPI) */
    writer w = {sw, fp, NULL, first, count, first, 0, 0, ttt_run_seconds()};
    if (!status && !(w.slot = calloc(count ? count : 1, sizeof(char *)))) {
        ttt_msg(msg, TTT_MSG, "out of memory for %zu jobs", count);
        status = GSL_ENOMEM;
    }
    if (status) {
#ifdef TTT_MPI
        if (mpi)
            master(&w, 0, stop, msg, &busy); /* tells every rank to stop */
#endif
        if (fp)
            fclose(fp);
        free(path);
        free(logpath);
        return status;
    }
    w.progress = !o->quiet && isatty(STDERR_FILENO);
    if (!o->quiet) {
        fprintf(stderr, "sweep: %zu points x %zu reps = %zu jobs", ttt_sweep_points(sw), sw->reps, ttt_sweep_jobs(sw));
        if (sw->shards > 1)
            fprintf(stderr, "; shard %zu/%zu runs %zu of them", sw->shard + 1, sw->shards, count);
        fputc('\n', stderr);
        if (first)
            fprintf(stderr, "resuming: %zu of %zu jobs already in %s\n", first, count, path);
    }
    const double wall0 = ttt_run_seconds();
#ifdef TTT_MPI
    if (mpi) {
        if (!o->quiet)
            fprintf(stderr, "sweep: rank 0 hands out jobs to %d ranks and writes\n", ttt_sweep_dir_ranks() - 1);
        status = master(&w, 1, stop, msg, &busy);
    } else
#endif
        status = ttt_sweep_run(sw, first, collect, &w, stop);
    if (w.progress)
        fputc('\n', stderr);
    for (size_t t = 0; t < count; t++)
        free(w.slot[t]);
    free(w.slot);
    int closed = fclose(fp), close_errno = errno;
    write_log(logpath, o, first, w.next, count, status, ttt_run_seconds() - wall0, busy);
    free(logpath);
    if (status == TTT_SWEEP_STOPPED && stop && *stop)
        ttt_msg(msg, TTT_MSG, "interrupted: %zu of %zu jobs in %s; continue with the same command and "
                "--resume", w.next, count, path);
    else if (status || w.write_error || closed != 0) {
        /* why: a write error, else a rank's own message, else the status */
        char why[TTT_MSG];
        if (w.write_error || closed)
            snprintf(why, sizeof why, "cannot write sweep.tsv: %s",
                     ttt_msg_errno(w.write_error ? w.write_error : close_errno ? close_errno : EIO));
        else
            snprintf(why, sizeof why, "%s", *msg ? msg : gsl_strerror(status));
        ttt_msg(msg, TTT_MSG, "sweep failed after %zu of %zu jobs: %s", w.next, count, why);
        status = status && status != TTT_SWEEP_STOPPED ? status : GSL_EFAILED;
    } else if (!o->quiet)
        fprintf(stderr, "wrote %s (%zu jobs)\n", path, count);
    free(path);
    return status;
}

/* ---- merging shards ---- */

typedef struct {
    FILE *fp;
    char *line;      /* the next row, read ahead (NULL at the end) */
    size_t cap;
    ttt_sweep sw;
} shard_in;

static int read_row(shard_in *s)
{
    ssize_t n = getline(&s->line, &s->cap, s->fp);
    if (n <= 0) {
        free(s->line);
        s->line = NULL;
        s->cap = 0;
    }
    return n > 0;
}

/* Opens DIR/sweep.tsv of one shard, reads the sweep its header describes,
 * checks every row as --resume does and that the shard is complete, and
 * leaves the first row read ahead. */
static int open_shard(const char *dir, shard_in *s, char *msg)
{
    char *path = NULL;
    if (asprintf(&path, "%s/sweep.tsv", dir) < 0) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    s->fp = fopen(path, "r");
    if (!s->fp) {
        int err = errno;
        ttt_msg(msg, TTT_MSG, "cannot read %s: %s; allowed: directories written by 'ttt sweep --shard "
                "I/N'", path, ttt_msg_errno(err));
        free(path);
        return err == ENOENT || err == ENOTDIR ? GSL_EINVAL : GSL_EFAILED;
    }
    char note[TTT_MSG];
    size_t done = 0;
    long rows = 0, end = 0;
    int status = GSL_SUCCESS;
    if (ttt_sweep_read_header(&s->sw, s->fp, note) || (rows = ftell(s->fp)) < 0 || fseek(s->fp, 0, SEEK_SET) ||
        ttt_sweep_scan(&s->sw, s->fp, &done, &end, note) != 0) {
        ttt_msg(msg, TTT_MSG, "%s: %s", path, note);
        status = GSL_EINVAL;
    } else if (*note || done < ttt_sweep_shard_jobs(&s->sw)) {
        ttt_msg(msg, TTT_MSG, "%s is not complete (%zu of %zu jobs%s%s); allowed: complete shards "
                "(finish it with the same command and --resume)", path, done, ttt_sweep_shard_jobs(&s->sw),
                *note ? "; " : "", note);
        status = GSL_EINVAL;
    } else if (fseek(s->fp, end, SEEK_SET) || fgetc(s->fp) != EOF) {
        ttt_msg(msg, TTT_MSG, "%s has more after its last job; allowed: the rows 'ttt sweep' writes", path);
        status = GSL_EINVAL;
    } else if (fseek(s->fp, rows, SEEK_SET)) {
        ttt_msg(msg, TTT_MSG, "cannot read %s: %s", path, ttt_msg_errno(errno));
        status = GSL_EFAILED;
    } else
        read_row(s);
    free(path);
    return status;
}

/* The job a row belongs to (its first cell). */
static size_t row_job(const char *line)
{
    return (size_t)strtoull(line, NULL, 10);
}

int ttt_sweep_dir_merge(char *const *dirs, size_t n, const char *out, char *msg)
{
    msg[0] = '\0';
    shard_in *s = calloc(n ? n : 1, sizeof *s);
    if (!s) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    int status = GSL_SUCCESS;
    size_t shards = 0, first_len = 0;
    char *first = NULL; /* shard 0's header without its shard line */
    for (size_t i = 0; i < n && !status; i++) {
        status = open_shard(dirs[i], &s[i], msg);
        if (status)
            break;
        if (i == 0)
            shards = s[i].sw.shards;
        /* One sweep: the same header once the shard line is left out. */
        ttt_sweep whole = s[i].sw;
        whole.shard = 0;
        whole.shards = 1;
        size_t len;
        char *head = ttt_sweep_header_text(&whole, &len);
        if (!head) {
            ttt_msg(msg, TTT_MSG, "out of memory");
            status = GSL_ENOMEM;
        } else if (i == 0) {
            first = head, first_len = len;
            head = NULL;
        } else if (len != first_len || memcmp(head, first, len) || s[i].sw.shards != shards) {
            ttt_msg(msg, TTT_MSG, "%s and %s are shards of different sweeps (grid, reps, parameters or "
                    "shard count); allowed: the N shards of one sweep", dirs[0], dirs[i]);
            status = GSL_EINVAL;
        }
        free(head);
        for (size_t k = 0; k < i && !status; k++)
            if (s[k].sw.shard == s[i].sw.shard) {
                ttt_msg(msg, TTT_MSG, "%s and %s are both shard %zu/%zu; allowed: each shard once",
                        dirs[k], dirs[i], s[i].sw.shard + 1, shards);
                status = GSL_EINVAL;
            }
    }
    if (!status && n != shards) {
        ttt_msg(msg, TTT_MSG, "%zu of the %zu shards given; allowed: all %zu (--shard 1/%zu to %zu/%zu)",
                n, shards, shards, shards, shards, shards);
        status = GSL_EINVAL;
    }
    /* By shard: s[by[I]] is shard I. */
    shard_in **by = status ? NULL : calloc(shards, sizeof *by);
    if (!status && !by) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        status = GSL_ENOMEM;
    }
    for (size_t i = 0; !status && i < n; i++)
        by[s[i].sw.shard] = &s[i];
    ttt_outdir *o = NULL;
    FILE *fp = NULL;
    if (!status)
        status = ttt_outdir_open(out, &o, msg);
    if (!status)
        status = ttt_outdir_file(o, "sweep.tsv", &fp, msg);
    if (!status) {
        ttt_sweep whole = s[0].sw;
        whole.shard = 0;
        whole.shards = 1;
        const size_t jobs = ttt_sweep_jobs(&whole);
        int bad = ttt_sweep_write_header(&whole, fp) != 0;
        for (size_t j = 0; j < jobs && !bad; j++) {
            shard_in *from = by[j % shards];
            while (from->line && row_job(from->line) == j) {
                bad |= fputs(from->line, fp) == EOF;
                read_row(from);
            }
        }
        if (bad || ferror(fp)) {
            ttt_msg(msg, TTT_MSG, "cannot write %s/sweep.tsv: %s", out, ttt_msg_errno(errno));
            status = GSL_EFAILED;
        }
    }
    if (!status)
        status = ttt_outdir_commit(o, msg);
    else if (o)
        ttt_outdir_abort(o);
    for (size_t i = 0; i < n; i++) {
        if (s[i].fp)
            fclose(s[i].fp);
        free(s[i].line);
    }
    free(by);
    free(s);
    free(first);
    return status;
}
