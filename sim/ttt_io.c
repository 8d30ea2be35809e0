/* ttt_io — see ttt_io.h. */
#define _POSIX_C_SOURCE 200809L
#include "ttt_io.h"

#include <errno.h>
#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_version.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ttt_msg.h"
#include "ttt_rng.h"

#ifndef TTT_VERSION
#define TTT_VERSION "unknown"
#endif
#ifndef TTT_GIT_REV
#define TTT_GIT_REV "unknown"
#endif
#ifndef TTT_CBLAS
#define TTT_CBLAS "unknown"
#endif

char *ttt_io_double(double x, char *buf)
{
    if (isnan(x))
        snprintf(buf, TTT_IO_DOUBLE, "NaN");
    else if (isinf(x))
        snprintf(buf, TTT_IO_DOUBLE, x < 0 ? "-Inf" : "Inf");
    else
        snprintf(buf, TTT_IO_DOUBLE, "%.17g", x);
    return buf;
}

void ttt_io_put(FILE *out, double x, const char *sep)
{
    char text[TTT_IO_DOUBLE];
    fprintf(out, "%s%s", ttt_io_double(x, text), sep);
}

void ttt_io_utc(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "unknown");
}

int ttt_io_header(FILE *out, const ttt_params *p, const char *command)
{
    char when[32];
    ttt_io_utc(when, sizeof when);
    fprintf(out, "# ttt %s (git %s)\n", TTT_VERSION, TTT_GIT_REV);
    fprintf(out, "# gsl %s, cblas %s, rng %s\n", gsl_version, TTT_CBLAS, TTT_RNG_NAME);
    ttt_params_write(p, out, "# ", 0);
    /* The command line echoes the user's words (a FILE name may hold a newline
     * or an ESC): escaped, so that it stays one '#' line. */
    fputs("# command: ", out);
    ttt_msg_fputs(command ? command : "", out);
    fprintf(out, "\n# utc: %s\n", when);
    return ferror(out) ? -1 : 0;
}

int ttt_io_tsv(ttt_outdir *o, const char *name, const ttt_params *p, const char *command, FILE **fp, char *msg)
{
    int status = ttt_outdir_file(o, name, fp, msg);
    if (!status && ttt_io_header(*fp, p, command) != 0) {
        ttt_msg(msg, TTT_MSG, "cannot write %s: %s", name, ttt_msg_errno(errno));
        *fp = NULL;
        status = GSL_EFAILED;
    }
    return status;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

int ttt_io_npy(FILE *out, const char *descr, const size_t *shape, int ndim, const void *data, size_t elem_size)
{
    char dict[256], dims[128] = "";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        char one[32];
        snprintf(one, sizeof one, ndim == 1 ? "%zu," : (i + 1 < ndim ? "%zu, " : "%zu"), shape[i]);
        strcat(dims, one);
        count *= shape[i];
    }
    /* The descr is given little-endian; say so truthfully on a big-endian host. */
    char d[8];
    snprintf(d, sizeof d, "%c%s", little_endian() ? '<' : '>', descr + 1);
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", d, dims);
    /* Magic (6) + version (2) + header length (2) + dict, padded with spaces
     * and a newline to a multiple of 64 bytes. */
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t hlen = (size_t)len + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    fwrite(pre, 1, sizeof pre, out);
    fwrite(dict, 1, (size_t)len, out);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', out);
    fputc('\n', out);
    if (count)
        fwrite(data, elem_size, count, out);
    return ferror(out) ? -1 : 0;
}

/* One .npy file of o: a status (the outdir's message when it fails). */
static int save(ttt_outdir *o, const char *name, const char *descr, const size_t *shape, int ndim,
                const void *data, size_t elem, char *msg)
{
    FILE *fp;
    int status = ttt_outdir_file(o, name, &fp, msg);
    if (status)
        return status;
    ttt_io_npy(fp, descr, shape, ndim, data, elem);
    /* The message names DIR/data/NAME and the first failed write's reason. */
    return ttt_outdir_check(o, fp, msg);
}

static int save_set(ttt_outdir *o, const char *set, const ttt_data *d, char *msg)
{
    char name[64];
    size_t s2[2] = {d->n, d->d2}, sq[2] = {d->n, d->q}, s1[1] = {d->n};
    int status;
#define SAVE(suffix, descr, shape, nd, ptr)                                        \
    (snprintf(name, sizeof name, "data/%s_%s.npy", set, suffix),                    \
     (status = save(o, name, descr, shape, nd, ptr, sizeof *(ptr), msg)))
    if (SAVE("X", "<f8", s2, 2, d->psi) || SAVE("y", "<f8", s1, 1, d->y) || SAVE("f", "<f8", s1, 1, d->f) ||
        SAVE("phi_idx", "<i4", sq, 2, d->phi_idx) || SAVE("phi_val", "<f8", sq, 2, d->phi_val) ||
        SAVE("topic", "<i4", s1, 1, d->topic))
        return status;
#undef SAVE
    return GSL_SUCCESS;
}

int ttt_io_save_instance(ttt_outdir *o, const ttt_instance *in, char *msg)
{
    const size_t d1 = in->p.d1, d2 = in->p.d2;
    if (!in->A) { /* the command line refuses this before any work */
        ttt_msg(msg, TTT_MSG, "the dictionary is not stored (d1 * d2 = %g); allowed: --save-data with d1 * d2 <= %.0f",
                (double)d1 * (double)d2, TTT_COUNTER_DENSE_CELLS);
        return GSL_EINVAL;
    }
    /* A is d2 x d1; the instance keeps its columns as rows, so transpose. */
    double *A = malloc(d1 * d2 * sizeof *A);
    if (!A) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    for (size_t j = 0; j < d1; j++)
        for (size_t i = 0; i < d2; i++)
            A[i * d1 + j] = in->A[j * d2 + i];
    size_t sA[2] = {d2, d1}, sw[1] = {d1}, sp[2] = {in->p.topics, in->p.pool};
    int status = save(o, "data/A.npy", "<f8", sA, 2, A, sizeof *A, msg);
    if (!status)
        status = save(o, "data/w.npy", "<f8", sw, 1, in->w_star, sizeof *in->w_star, msg);
    if (!status)
        status = save(o, "data/pools.npy", "<i4", sp, 2, in->pools, sizeof *in->pools, msg);
    if (!status)
        status = save_set(o, "train", &in->train, msg);
    if (!status)
        status = save_set(o, "test", &in->test, msg);
    free(A);
    return status;
}

void ttt_table_free(ttt_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->rows; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->line);
    free(t->names);
    free(t->text);
    free(t);
}

/* Splits a line in place at tabs into at most max cells; returns the count. */
static size_t split(char *line, char **cells, size_t max)
{
    size_t n = 0;
    for (char *c = line;; c++) {
        if (n < max)
            cells[n] = c;
        n++;
        c = strchr(c, '\t');
        if (!c)
            break;
        *c = '\0';
    }
    return n;
}

/* A table that cannot be read: the caller's input (missing, a directory,
 * unreadable: GSL_EINVAL), unless memory ran out (GSL_ENOMEM). */
static int cannot_read(const char *path, int err, char *msg)
{
    ttt_msg(msg, TTT_MSG, "cannot read '%s': %s", path, ttt_msg_errno(err));
    return err == ENOMEM ? GSL_ENOMEM : GSL_EINVAL;
}

/* The file's bytes, NUL-terminated (*len of them), or a status. */
static int read_all(const char *path, char **text, size_t *len, char *msg)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return cannot_read(path, errno, msg);
    errno = 0;
    size_t cap = 1 << 16, got;
    char *buf = malloc(cap);
    *len = 0;
    while (buf && (got = fread(buf + *len, 1, cap - *len - 1, fp)) > 0) {
        *len += got;
        if (*len + 1 == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    int err = ferror(fp) ? (errno ? errno : EIO) : !buf ? ENOMEM : 0;
    fclose(fp);
    if (err) {
        free(buf);
        return cannot_read(path, err, msg);
    }
    buf[*len] = '\0';
    *text = buf;
    return GSL_SUCCESS;
}

int ttt_table_read(const char *path, ttt_table **out, char *msg)
{
    *out = NULL;
    char *text;
    size_t len;
    int status = read_all(path, &text, &len, msg);
    if (status)
        return status;
    ttt_table *t = calloc(1, sizeof *t);
    if (!t) {
        free(text);
        return cannot_read(path, ENOMEM, msg);
    }
    t->text = text;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\0') {
            ttt_msg(msg, TTT_MSG, "%s:%zu: NUL byte; allowed: a text table (a sweep.tsv written by ttt sweep)",
                    path, lines + 1);
            ttt_table_free(t);
            return GSL_EINVAL;
        }
        lines += text[i] == '\n';
    }
    t->cell = calloc(lines + 1, sizeof *t->cell);
    t->line = calloc(lines + 1, sizeof *t->line);
    size_t lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '#' || *line == '\0')
            continue;
        if (!t->names) {
            t->cols = 1;
            for (const char *c = line; *c; c++)
                t->cols += *c == '\t';
            t->names = malloc(t->cols * sizeof *t->names);
            if (!t->names) {
                ttt_table_free(t);
                return cannot_read(path, ENOMEM, msg);
            }
            split(line, t->names, t->cols);
            continue;
        }
        char **row = malloc(t->cols * sizeof *row);
        if (!row || !t->cell || !t->line) {
            free(row);
            ttt_table_free(t);
            return cannot_read(path, ENOMEM, msg);
        }
        size_t n = split(line, row, t->cols);
        if (n != t->cols) {
            free(row);
            ttt_msg(msg, TTT_MSG, "%s:%zu: %zu cells, but the header has %zu; allowed: one cell per column, "
                    "tab-separated", path, lineno, n, t->cols);
            ttt_table_free(t);
            return GSL_EINVAL;
        }
        t->line[t->rows] = lineno;
        t->cell[t->rows++] = row;
    }
    if (!t->names) {
        ttt_msg(msg, TTT_MSG, "%s has no header row; allowed: a TSV table whose first line that is not a "
                "'#' comment names its columns", path);
        ttt_table_free(t);
        return GSL_EINVAL;
    }
    *out = t;
    return GSL_SUCCESS;
}

long ttt_table_column(const ttt_table *t, const char *name)
{
    for (size_t j = 0; j < t->cols; j++)
        if (!strcmp(t->names[j], name))
            return (long)j;
    return -1;
}

double ttt_table_number(const ttt_table *t, size_t row, size_t col)
{
    char *end;
    const char *c = t->cell[row][col];
    double v = strtod(c, &end);
    return *c && !*end ? v : GSL_NAN;
}
