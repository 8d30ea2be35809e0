/* ttt_summarize — see ttt_summarize.h. */
#define _POSIX_C_SOURCE 200809L
#include "ttt_summarize.h"
#include "ttt_sweep.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_msg.h"
#include "ttt_fit.h"
#include "ttt_run.h"

/* A malloc'd copy of s (strdup is not C11). */
static char *copy(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

static int is_estimator(const ttt_table *t, long est, const char *name)
{
    for (size_t r = 0; r < t->rows; r++)
        if (!strcmp(t->cell[r][est], name))
            return 1;
    return 0;
}

int ttt_summarize_operand_parse(const ttt_table *t, const char *text, size_t len, ttt_operand *op, char *msg)
{
    long est = ttt_table_column(t, "estimator");
    if (est < 0) {
        ttt_msg(msg, TTT_MSG, "the file has no 'estimator' column; allowed: a sweep.tsv written by ttt sweep");
        return GSL_EINVAL;
    }
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)len, text);
    const char *colon = strchr(word, ':');
    const char *column = "mse";
    if (colon) {
        snprintf(op->estimator, sizeof op->estimator, "%.*s", (int)(colon - word), word);
        column = colon + 1;
    } else if (ttt_table_column(t, word) >= 0) {
        snprintf(op->estimator, sizeof op->estimator, "%s", t->rows ? t->cell[0][est] : "");
        column = word;
    } else {
        snprintf(op->estimator, sizeof op->estimator, "%s", word);
    }
    op->col = ttt_table_column(t, column);
    if (op->col < 0 || !is_estimator(t, est, op->estimator)) {
        ttt_msg(msg, TTT_MSG, "'%s' names no %s in the sweep; allowed: ESTIMATOR, ESTIMATOR:COLUMN or COLUMN",
                 word, op->col < 0 ? "column" : "estimator");
        return GSL_EINVAL;
    }
    return GSL_SUCCESS;
}

/* The rows of a sweep table sorted by a key: (estimator, job), (estimator,
 * point, rep), or every cell; qsort's comparison reads them from here. */
static struct {
    const ttt_table *t;
    long cols[3];
    size_t ncols; /* 0: compare every cell */
    long est;
} by;

static int compare_rows(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const ttt_table *t = by.t;
    int c = by.est >= 0 ? strcmp(t->cell[a][by.est], t->cell[b][by.est]) : 0;
    for (size_t k = 0; !c && k < by.ncols; k++) {
        /* whole numbers of up to 9 digits (checked before): longer is larger */
        const char *x = t->cell[a][by.cols[k]], *y = t->cell[b][by.cols[k]];
        size_t lx = strlen(x), ly = strlen(y);
        c = lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
    }
    for (size_t k = 0; !c && !by.ncols && k < t->cols; k++)
        c = strcmp(t->cell[a][k], t->cell[b][k]);
    return c ? c : (a > b) - (a < b);
}

/* The first repeated key in the order given by `by`: GSL_SUCCESS, or GSL_EINVAL with a message. */
static int find_repeat(size_t *order, const char *what, const char *allowed, char *msg)
{
    const ttt_table *t = by.t;
    for (size_t r = 0; r < t->rows; r++)
        order[r] = r;
    qsort(order, t->rows, sizeof *order, compare_rows);
    size_t first = 0, second = 0;
    for (size_t r = 1; r < t->rows; r++) {
        size_t a = order[r - 1], b = order[r];
        int same = by.est < 0 || !strcmp(t->cell[a][by.est], t->cell[b][by.est]);
        for (size_t k = 0; same && k < by.ncols; k++)
            same = !strcmp(t->cell[a][by.cols[k]], t->cell[b][by.cols[k]]);
        for (size_t k = 0; same && !by.ncols && k < t->cols; k++)
            same = !strcmp(t->cell[a][k], t->cell[b][k]);
        if (same && (!second || b < second)) {
            first = a;
            second = b;
        }
    }
    if (!second)
        return GSL_SUCCESS;
    char key[160];
    if (by.ncols == 1)
        snprintf(key, sizeof key, "both job %.20s", t->cell[first][by.cols[0]]);
    else if (by.ncols == 2)
        snprintf(key, sizeof key, "both point %.20s, rep %.20s", t->cell[first][by.cols[0]],
                 t->cell[first][by.cols[1]]);
    else
        snprintf(key, sizeof key, "%s", what);
    ttt_msg(msg, TTT_MSG, "lines %zu and %zu are %s%s%.100s; allowed: %s", t->line[first], t->line[second], key,
            by.est >= 0 ? " of estimator " : "", by.est >= 0 ? t->cell[first][by.est] : "", allowed);
    return GSL_EINVAL;
}

int ttt_summarize_rows_check(const ttt_table *t, char *msg)
{
    const char *names[3] = {"job", "point", "rep"};
    long col[3];
    for (int c = 0; c < 3; c++) {
        col[c] = ttt_table_column(t, names[c]);
        for (size_t r = 0; r < t->rows && col[c] >= 0; r++) {
            const char *v = t->cell[r][col[c]];
            size_t n = strspn(v, "0123456789");
            if (n == 0 || v[n] != '\0' || n > 9) {
                ttt_msg(msg, TTT_MSG, "line %zu: %s = '%.40s' is not a whole number; allowed: 0, 1, 2, ... "
                        "(at most 9 digits), as ttt sweep writes it", t->line[r], names[c], v);
                return GSL_EINVAL;
            }
        }
    }
    /* A sweep.tsv's rows end in their row_check: an edited or damaged row is refused. */
    if (t->cols > 0 && !strcmp(t->names[t->cols - 1], "row_check"))
        for (size_t r = 0; r < t->rows; r++)
            if (!ttt_sweep_row_valid(t->cell[r], t->cols)) {
                ttt_msg(msg, TTT_MSG, "line %zu: its row_check does not match its text (edited or damaged); "
                        "allowed: rows as ttt sweep writes them (rerun the job, or use --resume)", t->line[r]);
                return GSL_EINVAL;
            }
    if (t->rows < 2)
        return GSL_SUCCESS;
    size_t *order = malloc(t->rows * sizeof *order);
    if (!order) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    by.t = t;
    by.est = ttt_table_column(t, "estimator");
    int bad = 0;
    if (col[0] >= 0) {
        by.cols[0] = col[0];
        by.ncols = 1;
        bad = find_repeat(order, "", "one row per job and estimator", msg);
    }
    if (!bad && col[1] >= 0 && col[2] >= 0) {
        by.cols[0] = col[1];
        by.cols[1] = col[2];
        by.ncols = 2;
        bad = find_repeat(order, "", "one row per point, rep and estimator", msg);
    }
    if (!bad && (col[0] < 0 && (col[1] < 0 || col[2] < 0))) {
        by.ncols = 0;
        by.est = -1;
        bad = find_repeat(order, "the same row", "each row once", msg);
    }
    free(order);
    return bad;
}

/* The output name of a spec: ':' becomes '_', "A/B" becomes log10_A_over_B,
 * a bare estimator gets _mse. */
static char *output_name(const ttt_table *t, const char *spec)
{
    char buf[256];
    const char *slash = strchr(spec, '/');
    if (slash)
        snprintf(buf, sizeof buf, "log10_%.*s_over_%s", (int)(slash - spec), spec, slash + 1);
    else if (!strchr(spec, ':') && ttt_table_column(t, spec) < 0)
        snprintf(buf, sizeof buf, "%s_mse", spec);
    else
        snprintf(buf, sizeof buf, "%s", spec);
    for (char *c = buf; *c; c++)
        if (*c == ':' || *c == '/')
            *c = '_';
    return copy(buf);
}

void ttt_summarize_points_free(ttt_points *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nkeys && p->keys; i++)
        free(p->keys[i]);
    for (size_t i = 0; i < p->points * p->nkeys && p->values; i++)
        free(p->values[i]);
    for (size_t i = 0; i < p->nq && p->names; i++)
        free(p->names[i]);
    free(p->keys);
    free(p->varies);
    free(p->values);
    free(p->names);
    free(p->reps);
    free(p->mean);
    free(p->se);
    free(p);
}

/* Fills v (points x reps, NaN where absent) with one operand's values. */
static void gather(const ttt_table *t, long est, long cpoint, long crep, const ttt_operand *op, size_t reps, double *v)
{
    for (size_t r = 0; r < t->rows; r++) {
        if (strcmp(t->cell[r][est], op->estimator))
            continue;
        size_t pt = (size_t)ttt_table_number(t, r, (size_t)cpoint), rep = (size_t)ttt_table_number(t, r, (size_t)crep);
        v[pt * reps + rep] = ttt_table_number(t, r, (size_t)op->col);
    }
}

int ttt_summarize_points(const ttt_table *t, const char *const *specs, size_t nq, ttt_points **out, char *msg)
{
    *out = NULL;
    long cpoint = ttt_table_column(t, "point"), crep = ttt_table_column(t, "rep");
    long cseed = ttt_table_column(t, "seed"), est = ttt_table_column(t, "estimator");
    if (cpoint < 0 || crep < 0 || cseed < 0 || est < 0 || est <= cseed) {
        ttt_msg(msg, TTT_MSG, "not a sweep.tsv (needs columns point, rep, seed, ..., estimator); allowed: "
                 "a file written by ttt sweep");
        return GSL_EINVAL;
    }
    int status = ttt_summarize_rows_check(t, msg);
    if (status)
        return status;
    size_t points = 0, reps = 0;
    for (size_t r = 0; r < t->rows; r++) {
        double pt = ttt_table_number(t, r, (size_t)cpoint), rep = ttt_table_number(t, r, (size_t)crep);
        if (!(pt >= 0 && pt < 1e9 && rep >= 0 && rep < 1e9)) {
            ttt_msg(msg, TTT_MSG, "row %zu: point and rep must be whole numbers", r + 1);
            return GSL_EINVAL;
        }
        points = GSL_MAX(points, (size_t)pt + 1);
        reps = GSL_MAX(reps, (size_t)rep + 1);
    }
    if (!points) {
        ttt_msg(msg, TTT_MSG, "the sweep has no rows");
        return GSL_EINVAL;
    }
    ttt_operand *ops = calloc(2 * nq + 1, sizeof *ops);
    int *ratio = calloc(nq + 1, sizeof *ratio);
    if (!ops || !ratio)
        status = GSL_ENOMEM;
    for (size_t q = 0; q < nq && !status; q++) {
        const char *slash = strchr(specs[q], '/');
        ratio[q] = slash != NULL;
        const size_t len = slash ? (size_t)(slash - specs[q]) : strlen(specs[q]);
        status = ttt_summarize_operand_parse(t, specs[q], len, &ops[2 * q], msg);
        if (!status && slash)
            status = ttt_summarize_operand_parse(t, slash + 1, strlen(slash + 1), &ops[2 * q + 1], msg);
    }
    ttt_points *p = status ? NULL : calloc(1, sizeof *p);
    if (!status && !p)
        status = GSL_ENOMEM;
    double *va = malloc(points * reps * sizeof *va), *vb = malloc(points * reps * sizeof *vb);
    double *x = malloc(reps * sizeof *x);
    if (p) {
        p->points = points;
        p->nq = nq;
        p->nkeys = (size_t)(est - cseed - 1);
        p->keys = calloc(p->nkeys + 1, sizeof *p->keys);
        p->varies = calloc(p->nkeys + 1, sizeof *p->varies);
        p->values = calloc(points * p->nkeys + 1, sizeof *p->values);
        p->names = calloc(nq + 1, sizeof *p->names);
        p->reps = calloc(points, sizeof *p->reps);
        p->mean = malloc(points * nq * sizeof *p->mean + 1);
        p->se = malloc(points * nq * sizeof *p->se + 1);
        if (!p->keys || !p->varies || !p->values || !p->names || !p->reps || !p->mean || !p->se || !va || !vb || !x)
            status = GSL_ENOMEM;
    }
    if (p && !status) {
        int bad = 0; /* a copy failed */
        for (size_t k = 0; k < p->nkeys; k++)
            p->keys[k] = copy(t->names[cseed + 1 + (long)k]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t pt = (size_t)ttt_table_number(t, r, (size_t)cpoint);
            p->reps[pt] += !strcmp(t->cell[r][est], t->cell[0][est]);
            for (size_t k = 0; k < p->nkeys && !p->values[pt * p->nkeys + k]; k++)
                bad |= !(p->values[pt * p->nkeys + k] = copy(t->cell[r][cseed + 1 + (long)k]));
        }
        for (size_t pt = 0; pt < points; pt++)
            for (size_t k = 0; k < p->nkeys; k++)
                if (!p->values[pt * p->nkeys + k])
                    p->values[pt * p->nkeys + k] = copy("NaN");
        /* Every copy made (a NULL one is out of memory, not a missing value). */
        for (size_t k = 0; k < p->nkeys && !bad; k++)
            bad = !p->keys[k];
        for (size_t i = 0; i < points * p->nkeys && !bad; i++)
            bad = !p->values[i];
        for (size_t pt = 0; pt < points && !bad; pt++)
            for (size_t k = 0; k < p->nkeys; k++)
                p->varies[k] |= strcmp(p->values[pt * p->nkeys + k], p->values[k]) != 0;
        for (size_t q = 0; q < nq && !bad; q++) {
            if (!(p->names[q] = output_name(t, specs[q]))) {
                bad = 1;
                break;
            }
            for (size_t i = 0; i < points * reps; i++)
                va[i] = vb[i] = GSL_NAN;
            gather(t, est, cpoint, crep, &ops[2 * q], reps, va);
            if (ratio[q])
                gather(t, est, cpoint, crep, &ops[2 * q + 1], reps, vb);
            for (size_t pt = 0; pt < points; pt++) {
                size_t n = 0;
                for (size_t rep = 0; rep < reps; rep++) {
                    double v = va[pt * reps + rep];
                    if (ratio[q])
                        v = v > 0.0 && vb[pt * reps + rep] > 0.0 ? log10(v / vb[pt * reps + rep]) : GSL_NAN;
                    if (isfinite(v))
                        x[n++] = v;
                }
                double mean = GSL_NAN, se = GSL_NAN;
                if (n > 0)
                    ttt_fit_mean_se(x, n, &mean, &se);
                p->mean[pt * nq + q] = mean;
                p->se[pt * nq + q] = n > 1 ? se : GSL_NAN;
            }
        }
        status = bad ? GSL_ENOMEM : GSL_SUCCESS;
    }
    free(va);
    free(vb);
    free(x);
    free(ops);
    free(ratio);
    if (status == GSL_ENOMEM)
        ttt_msg(msg, TTT_MSG, "out of memory");
    if (status)
        ttt_summarize_points_free(p);
    else
        *out = p;
    return status;
}

/* value ± se with 3 significant digits, or "–" when the value is missing. */
static void cell_text(double mean, double se, ttt_format format, char *buf, size_t len)
{
    const char *pm = format == TTT_FORMAT_LATEX ? " \\pm " : " ± ";
    if (!isfinite(mean))
        snprintf(buf, len, "%s", format == TTT_FORMAT_LATEX ? "--" : "–");
    else if (!isfinite(se))
        snprintf(buf, len, "%s%.3g%s", format == TTT_FORMAT_LATEX ? "$" : "", mean,
                 format == TTT_FORMAT_LATEX ? "$" : "");
    else
        snprintf(buf, len, "%s%.3g%s%.2g%s", format == TTT_FORMAT_LATEX ? "$" : "", mean, pm, se,
                 format == TTT_FORMAT_LATEX ? "$" : "");
}

/* A name for LaTeX: underscores escaped. */
static void latex_name(FILE *out, const char *name)
{
    for (const char *c = name; *c; c++)
        fputs(*c == '_' ? "\\_" : (char[2]){*c, 0}, out);
}

int ttt_summarize_points_write(FILE *out, const ttt_points *p, ttt_format format)
{
    char a[TTT_IO_DOUBLE], b[TTT_IO_DOUBLE], cell[96];
    if (format == TTT_FORMAT_TSV) {
        /* The keys that do not vary, for a figure's title line. */
        fprintf(out, "# fixed:");
        for (size_t k = 0; k < p->nkeys; k++)
            if (!p->varies[k])
                fprintf(out, " %s=%s", p->keys[k], p->values[k]);
        fprintf(out, "\n");
        for (size_t k = 0; k < p->nkeys; k++)
            fprintf(out, "%s\t", p->keys[k]);
        fprintf(out, "reps");
        for (size_t q = 0; q < p->nq; q++)
            fprintf(out, "\t%s\t%s_se", p->names[q], p->names[q]);
        fprintf(out, "\n");
        for (size_t pt = 0; pt < p->points; pt++) {
            for (size_t k = 0; k < p->nkeys; k++)
                fprintf(out, "%s\t", p->values[pt * p->nkeys + k]);
            fprintf(out, "%zu", p->reps[pt]);
            for (size_t q = 0; q < p->nq; q++)
                fprintf(out, "\t%s\t%s", ttt_io_double(p->mean[pt * p->nq + q], a),
                        ttt_io_double(p->se[pt * p->nq + q], b));
            fprintf(out, "\n");
        }
        return ferror(out) ? -1 : 0;
    }
    const int tex = format == TTT_FORMAT_LATEX;
    const char *sep = tex ? " & " : " | ", *end = tex ? " \\\\\n" : " |\n";
    size_t shown = 0;
    for (size_t k = 0; k < p->nkeys; k++)
        shown += (size_t)p->varies[k];
    if (tex) {
        fprintf(out, "\\begin{tabular}{");
        for (size_t c = 0; c < shown + p->nq; c++)
            fputc(c < shown ? 'r' : 'l', out);
        fprintf(out, "}\n\\hline\n");
    } else {
        fprintf(out, "| ");
    }
    int first = 1;
    for (size_t k = 0; k < p->nkeys + p->nq; k++) {
        if (k < p->nkeys && !p->varies[k])
            continue;
        fputs(first ? "" : sep, out);
        first = 0;
        const char *name = k < p->nkeys ? p->keys[k] : p->names[k - p->nkeys];
        if (tex)
            latex_name(out, name);
        else
            fputs(name, out);
    }
    fputs(end, out);
    if (tex) {
        fputs("\\hline\n", out);
    } else {
        fputs("|", out);
        for (size_t c = 0; c < shown + p->nq; c++)
            fputs(c < shown ? "---:|" : ":---|", out);
        fputs("\n", out);
    }
    for (size_t pt = 0; pt < p->points; pt++) {
        fputs(tex ? "" : "| ", out);
        first = 1;
        for (size_t k = 0; k < p->nkeys; k++)
            if (p->varies[k]) {
                fprintf(out, "%s%s", first ? "" : sep, p->values[pt * p->nkeys + k]);
                first = 0;
            }
        for (size_t q = 0; q < p->nq; q++) {
            cell_text(p->mean[pt * p->nq + q], p->se[pt * p->nq + q], format, cell, sizeof cell);
            fprintf(out, "%s%s", first ? "" : sep, cell);
            first = 0;
        }
        fputs(end, out);
    }
    if (tex)
        fputs("\\hline\n\\end{tabular}\n", out);
    return ferror(out) ? -1 : 0;
}

int ttt_summarize_format_parse(const char *name, ttt_format *format, char *msg)
{
    static const char *const names[3] = {"tsv", "md", "latex"};
    static const ttt_format formats[3] = {TTT_FORMAT_TSV, TTT_FORMAT_MARKDOWN, TTT_FORMAT_LATEX};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *format = formats[i];
            return GSL_SUCCESS;
        }
    ttt_msg(msg, TTT_MSG, "--format '%s' is not allowed; allowed: tsv, md, latex", name);
    return GSL_EINVAL;
}

/* Copies the '#' lines at the top of path to out; -1 when they cannot be
 * read (out of memory: the table lost its provenance and exited 0). */
static int copy_comment_lines(const char *path, FILE *out)
{
    FILE *in = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = 0;
    while (in && (got = getline(&line, &cap, in)) > 0 && line[0] == '#')
        fputs(line, out); /* whole lines, of any length (the table has no NUL: it was read first) */
    int bad = !in || (got < 0 && !feof(in));
    free(line);
    if (in)
        fclose(in);
    return bad ? -1 : 0;
}

int ttt_summarize_write_table(FILE *out, const ttt_points *p, ttt_format format, const char *source,
                              const char *const *specs, size_t nq)
{
    int bad = 0;
    if (format == TTT_FORMAT_TSV) {
        bad = copy_comment_lines(source, out) != 0;
        fprintf(out, "# ttt table %s --y", source);
        for (size_t q = 0; q < nq; q++)
            fprintf(out, "%c%s", q ? ',' : ' ', specs[q]);
        fprintf(out, ": mean over replicates and its standard error (NAME_se)\n");
    }
    bad |= ttt_summarize_points_write(out, p, format) != 0;
    return bad ? -1 : 0;
}
