/* ttt_sweep — see ttt_sweep.h. */
#define _POSIX_C_SOURCE 200809L
#include "ttt_sweep.h"

#include <errno.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_version.h>
#include <inttypes.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ttt_io.h"
#include "ttt_msg.h"
#include "ttt_rng.h"

void ttt_sweep_init(ttt_sweep *sw, const ttt_params *base)
{
    memset(sw, 0, sizeof *sw);
    sw->base = *base;
    sw->reps = 1;
    sw->shards = 1;
}

/* Appends a value; with dedup, a value already on the axis adds nothing (a
 * range rounded to whole numbers). */
static int add_value(ttt_axis *ax, const char *text, int dedup)
{
    for (size_t i = 0; i < ax->n && dedup; i++)
        if (strcmp(ax->values[i], text) == 0)
            return 0;
    if (ax->n == TTT_SWEEP_MAX_VALUES || strlen(text) >= sizeof ax->values[0])
        return -1;
    strcpy(ax->values[ax->n++], text);
    return 0;
}

/* "a:b:log:N" or "a:b:lin:N" into the axis: GSL_SUCCESS, or GSL_EINVAL with a message. */
static int add_range(ttt_axis *ax, const char *spec, int whole, char *msg)
{
    char a[64], b[64], how[8], n[64];
    double count = 0, lo = 0, hi = 0;
    if (sscanf(spec, "%63[^:]:%63[^:]:%7[^:]:%63[^:]", a, b, how, n) != 4 ||
        strlen(a) + strlen(b) + strlen(how) + strlen(n) + 3 != strlen(spec) ||
        (strcmp(how, "log") && strcmp(how, "lin"))) {
        ttt_msg(msg, TTT_MSG, "%s = '%.100s' is not a range; allowed: a:b:log:N or a:b:lin:N", ax->key, spec);
        return GSL_EINVAL;
    }
    /* a and b numbers as strtod reads them, with no space and no hex; N a whole number */
    char *end1, *end2;
    lo = strtod(a, &end1);
    hi = strtod(b, &end2);
    int bad = *end1 || *end2 || isspace((unsigned char)a[0]) || isspace((unsigned char)b[0]) || strpbrk(a, "xX") ||
              strpbrk(b, "xX");
    if (bad || !isfinite(lo) || !isfinite(hi) || ttt_params_whole(n, &count) || count < 2 ||
        count > TTT_SWEEP_MAX_VALUES || (!strcmp(how, "log") && (lo <= 0 || hi <= 0))) {
        ttt_msg(msg, TTT_MSG,
                "%s = '%.100s' is not a valid range; allowed: numbers a, b (positive for log) and 2 <= N <= %d",
                ax->key, spec, TTT_SWEEP_MAX_VALUES);
        return GSL_EINVAL;
    }
    const unsigned long steps = (unsigned long)count;
    for (unsigned long i = 0; i < steps; i++) {
        double t = (double)i / (count - 1.0), x;
        if (!strcmp(how, "log"))
            x = i + 1 == steps ? hi : exp(log(lo) + t * (log(hi) - log(lo)));
        else
            x = i + 1 == steps ? hi : lo + t * (hi - lo);
        char text[32];
        if (whole)
            snprintf(text, sizeof text, "%.0f", round(x));
        else
            ttt_params_shortest(x, text, sizeof text);
        add_value(ax, text, 1);
    }
    return GSL_SUCCESS;
}

int ttt_sweep_add_axis(ttt_sweep *sw, const char *word, char *msg)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word || (size_t)(eq - word) >= sizeof sw->axes[0].key) {
        ttt_msg(msg, TTT_MSG, "'%.100s' is not of the form key=v1,v2,... or key=a:b:log:N", word);
        return GSL_EINVAL;
    }
    ttt_axis ax;
    memset(&ax, 0, sizeof ax);
    memcpy(ax.key, word, (size_t)(eq - word));
    const ttt_key_kind kind = ttt_params_key_kind(ax.key);
    if (!strcmp(ax.key, "preset")) {
        ttt_msg(msg, TTT_MSG, "preset cannot be swept: it sets many keys at once; allowed: preset=NAME "
                 "before the axes, one sweep per preset");
        return GSL_EINVAL;
    }
    if (kind == TTT_KEY_UNKNOWN) {
        ttt_params probe = sw->base;
        return ttt_params_set(&probe, ax.key, "0", msg); /* refused, naming the known keys */
    }
    if (!strcmp(ax.key, "seed") || !strcmp(ax.key, "threads")) {
        ttt_msg(msg, TTT_MSG, "%s cannot be swept: %s; allowed: reps=R for replicates, or a single %s=VALUE",
                ax.key, strcmp(ax.key, "seed") ? "results do not depend on the thread count"
                                               : "every job derives its own seed from it", ax.key);
        return GSL_EINVAL;
    }
    for (size_t i = 0; i < sw->naxes; i++)
        if (!strcmp(sw->axes[i].key, ax.key)) {
            ttt_msg(msg, TTT_MSG, "%s is swept twice; allowed: each key on one axis", ax.key);
            return GSL_EINVAL;
        }
    if (sw->naxes == TTT_SWEEP_MAX_AXES) {
        ttt_msg(msg, TTT_MSG, "too many axes; allowed: at most %d", TTT_SWEEP_MAX_AXES);
        return GSL_EINVAL;
    }
    const char *spec = eq + 1;
    if (strchr(spec, ':')) {
        if (kind == TTT_KEY_WORD) {
            ttt_msg(msg, TTT_MSG, "%s takes words, not a range; allowed: %s=v1,v2,...", ax.key, ax.key);
            return GSL_EINVAL;
        }
        int status = add_range(&ax, spec, kind == TTT_KEY_WHOLE, msg);
        if (status)
            return status;
    } else {
        char *copy = strdup(spec), *save = NULL;
        if (!copy) {
            ttt_msg(msg, TTT_MSG, "out of memory");
            return GSL_ENOMEM;
        }
        int bad = *spec == '\0' || spec[strlen(spec) - 1] == ',';
        for (char *v = strtok_r(copy, ",", &save); v && !bad; v = strtok_r(NULL, ",", &save))
            bad = add_value(&ax, v, 0) != 0;
        free(copy);
        if (bad) {
            ttt_msg(msg, TTT_MSG, "%s = '%.100s' is not a list of at most %d values of up to 31 characters",
                     ax.key, spec, TTT_SWEEP_MAX_VALUES);
            return GSL_EINVAL;
        }
    }
    /* Each value must be valid for the key on its own, and listed once: two
     * texts of one number (10 and 1e1) would run the same point twice with
     * the same seed. */
    char canon[TTT_SWEEP_MAX_VALUES][64];
    for (size_t i = 0; i < ax.n; i++) {
        ttt_params probe = sw->base;
        int status = ttt_params_set(&probe, ax.key, ax.values[i], msg);
        if (status)
            return status;
        ttt_params_format(&probe, ax.key, canon[i], sizeof canon[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(canon[i], canon[j])) {
                ttt_msg(msg, TTT_MSG, "%s lists %s twice ('%s' and '%s'); allowed: each value once", ax.key,
                        canon[i], ax.values[j], ax.values[i]);
                return GSL_EINVAL;
            }
    }
    sw->axes[sw->naxes++] = ax;
    return GSL_SUCCESS;
}

int ttt_sweep_word(ttt_sweep *sw, const char *word, char *msg)
{
    const char *eq = strchr(word, '=');
    if (eq && !strncmp(word, "reps=", 5)) {
        double v;
        if (ttt_params_whole(word + 5, &v) || v < 1 || v > 100000) {
            ttt_msg(msg, TTT_MSG, "reps = '%.60s' is not allowed; allowed: 1 <= reps <= 100000", word + 5);
            return GSL_EINVAL;
        }
        sw->reps = (size_t)v;
        return GSL_SUCCESS;
    }
    if (eq && strpbrk(eq + 1, ",:"))
        return ttt_sweep_add_axis(sw, word, msg);
    return ttt_params_set_word(&sw->base, word, msg);
}

/* Products saturate at SIZE_MAX, so a huge grid cannot wrap to a small one. */
static size_t mul_sat(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

size_t ttt_sweep_points(const ttt_sweep *sw)
{
    size_t n = 1;
    for (size_t a = 0; a < sw->naxes; a++)
        n = mul_sat(n, sw->axes[a].n);
    return n;
}

size_t ttt_sweep_jobs(const ttt_sweep *sw)
{
    return mul_sat(ttt_sweep_points(sw), sw->reps);
}

int ttt_sweep_set_shard(ttt_sweep *sw, const char *spec, char *msg)
{
    const char *slash = strchr(spec, '/');
    char index[32];
    double i = 0, n = 0;
    int bad = !slash || (size_t)(slash - spec) >= sizeof index;
    if (!bad) {
        memcpy(index, spec, (size_t)(slash - spec));
        index[slash - spec] = '\0';
        bad = ttt_params_whole(index, &i) || ttt_params_whole(slash + 1, &n) || n < 1 || n > 10000 || i < 1 ||
              i > n;
    }
    if (bad) {
        ttt_msg(msg, TTT_MSG, "--shard '%.60s' is not allowed; allowed: I/N with whole numbers "
                "1 <= I <= N <= 10000 (this process runs the jobs j with j mod N = I - 1)", spec);
        return GSL_EINVAL;
    }
    sw->shard = (size_t)i - 1;
    sw->shards = (size_t)n;
    return GSL_SUCCESS;
}

size_t ttt_sweep_shard_jobs(const ttt_sweep *sw)
{
    const size_t jobs = ttt_sweep_jobs(sw);
    return jobs > sw->shard ? (jobs - sw->shard - 1) / sw->shards + 1 : 0;
}

size_t ttt_sweep_shard_job(const ttt_sweep *sw, size_t t)
{
    return sw->shard + t * sw->shards;
}

/* Sets the axis values of grid point `point` in p, then checks p: a status. */
static int point_params(const ttt_sweep *sw, size_t point, ttt_params *p, char *msg)
{
    *p = sw->base;
    for (size_t a = sw->naxes; a-- > 0;) {
        const ttt_axis *ax = &sw->axes[a];
        int status = ttt_params_set(p, ax->key, ax->values[point % ax->n], msg);
        if (status)
            return status;
        point /= ax->n;
    }
    return ttt_params_check(p, msg);
}

/* The point's parameters as text, seed and threads left out; and, so that
 * a job's seed is the one earlier versions gave it, the lines of two keys
 * they did not have: train (which never changes a result) and generator
 * when it is stream (the only generator they had). */
static char *params_text(const ttt_params *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        return NULL;
    ttt_params q = *p;
    q.seed = 0;
    q.threads = 0;
    ttt_params_write(&q, fp, "", 0);
    const int failed = ferror(fp); /* a stream that could not grow: the text would be cut short */
    if (fclose(fp) != 0 || failed || !text) {
        free(text);
        return NULL;
    }
    char *to = text;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        end = end ? end + 1 : line + strlen(line);
        const int skip = !strncmp(line, "train ", 6) || (!strncmp(line, "generator ", 10) && q.generator == TTT_GEN_STREAM);
        if (!skip) {
            memmove(to, line, (size_t)(end - line));
            to += end - line;
        }
        line = end;
    }
    *to = '\0';
    return text;
}

int ttt_sweep_job_params(const ttt_sweep *sw, size_t job, ttt_params *p, char *msg)
{
    int status = point_params(sw, job / sw->reps, p, msg);
    if (status)
        return status;
    char *text = params_text(p);
    if (!text) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    p->seed = (unsigned long)ttt_rng_hash(sw->base.seed, text, job % sw->reps);
    p->threads = 1;
    free(text);
    return GSL_SUCCESS;
}

int ttt_sweep_check(const ttt_sweep *sw, char *msg)
{
    char inner[TTT_MSG];
    size_t points = ttt_sweep_points(sw);
    if (ttt_sweep_jobs(sw) > TTT_SWEEP_MAX_JOBS) { /* before looking at any point */
        double all = (double)sw->reps;
        for (size_t a = 0; a < sw->naxes; a++)
            all *= (double)sw->axes[a].n;
        snprintf(msg, TTT_MSG, "the sweep has %.4g jobs (grid points x reps), more than 1e7 jobs; allowed: "
                 "points x reps <= 1e7", all);
        return GSL_EINVAL;
    }
    for (size_t pt = 0; pt < points; pt++) {
        ttt_params p;
        int status = point_params(sw, pt, &p, inner);
        if (status) {
            char where[256] = "";
            size_t used = 0, rest = pt;
            for (size_t a = sw->naxes; a-- > 0;) {
                const ttt_axis *ax = &sw->axes[a];
                used += (size_t)snprintf(where + used, sizeof where - used, "%s%s=%s", used ? " " : "", ax->key,
                                         ax->values[rest % ax->n]);
                rest /= ax->n;
                if (used >= sizeof where)
                    break;
            }
            ttt_msg(msg, TTT_MSG, "grid point %s: %s", where, inner);
            return status;
        }
    }
    return GSL_SUCCESS;
}

/* Job j of the sweep, on `threads` threads (1 inside the sweep's own
 * parallel loop); its status, TTT_SWEEP_STOPPED when the sink asks to stop. */
static int run_job(const ttt_sweep *sw, size_t j, size_t threads, ttt_sweep_sink sink, void *ctx)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_report *r = NULL;
    int st = ttt_sweep_job_params(sw, j, &p, msg);
    p.threads = threads;
    if (!st)
        st = ttt_run(&p, &r);
    if (!st && sink(ctx, j, r))
        st = TTT_SWEEP_STOPPED;
    ttt_report_free(r);
    return st;
}

int ttt_sweep_run(const ttt_sweep *sw, size_t first, ttt_sweep_sink sink, void *ctx, volatile int *stop)
{
    const size_t jobs = ttt_sweep_shard_jobs(sw);
    int status = GSL_SUCCESS;
#ifdef _OPENMP
    if (sw->base.threads > 0)
        omp_set_num_threads((int)sw->base.threads);
#endif
    /* A lone job (a sweep of one, or the last one to resume) gets every
     * thread; otherwise the jobs share them, one thread each.  Results do
     * not depend on the thread count. */
    if (jobs == first + 1) {
        if (!(stop && *stop))
            status = run_job(sw, ttt_sweep_shard_job(sw, first), sw->base.threads, sink, ctx);
    } else {
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t t = first; t < jobs; t++) {
            int failed;
#pragma omp atomic read
            failed = status;
            if (failed || (stop && *stop))
                continue;
            int st = run_job(sw, ttt_sweep_shard_job(sw, t), 1, sink, ctx);
            if (st) {
#pragma omp critical(ttt_sweep_status)
                if (!status)
                    status = st;
            }
        }
    }
    if (!status && stop && *stop)
        status = TTT_SWEEP_STOPPED;
    return status;
}

/* The key columns of every row: the model's main keys, then any other key on an axis. */
static const char *const core_keys[] = {"d1", "d2", "s", "topics", "pool", "background", "n", "m", "k", "sigma"};
#define NCORE (sizeof core_keys / sizeof core_keys[0])

static int is_core(const char *key)
{
    for (size_t i = 0; i < NCORE; i++)
        if (!strcmp(core_keys[i], key))
            return 1;
    return 0;
}

/* Run-level columns, after the estimator's own: the report's quantities
 * (ttt_run.h) in their order, NAME_se after each that has an se, except
 * those per estimator (their numbers are each row's fit_support). */
static size_t run_columns(char names[][48])
{
    size_t n = 0;
    for (int q = 0; q < TTT_Q_COUNT; q++) {
        const ttt_quantity_info *a = ttt_quantity_about(q);
        if (a->per_estimator)
            continue;
        if (names)
            snprintf(names[n], 48, "%s", a->name);
        n++;
        if (a->has_se) {
            if (names)
                snprintf(names[n], 48, "%s_se", a->name);
            n++;
        }
    }
    return n;
}

/* The run-level cells of a report, in the order of run_columns; returns how many. */
static size_t run_values(const ttt_report *r, double *v)
{
    double value[TTT_Q_COUNT], se[TTT_Q_COUNT];
    ttt_report_values(r, value, se);
    size_t n = 0;
    for (int q = 0; q < TTT_Q_COUNT; q++) {
        const ttt_quantity_info *a = ttt_quantity_about(q);
        if (a->per_estimator)
            continue;
        v[n++] = value[q];
        if (a->has_se)
            v[n++] = se[q];
    }
    return n;
}
#define NRUN (2 * (size_t)TTT_Q_COUNT) /* at most */

int ttt_sweep_write_header(const ttt_sweep *sw, FILE *out)
{
    fprintf(out, "# ttt %s sweep (git %s), gsl %s, cblas %s, rng %s\n", TTT_VERSION, TTT_GIT_REV, gsl_version,
            TTT_CBLAS, TTT_RNG_NAME);
    fprintf(out, "# grid:");
    for (size_t a = 0; a < sw->naxes; a++) {
        fprintf(out, " %s=", sw->axes[a].key);
        for (size_t i = 0; i < sw->axes[a].n; i++)
            fprintf(out, "%s%s", i ? "," : "", sw->axes[a].values[i]);
    }
    fprintf(out, "\n# reps = %zu; points = %zu; jobs = %zu; one row per (job, estimator)\n", sw->reps,
            ttt_sweep_points(sw), ttt_sweep_jobs(sw));
    fprintf(out, "# seed of a job = hash(base seed, its parameters, rep): rerun one with 'ttt run KEYS seed=SEED'\n");
    fprintf(out, "# base parameters (threads left out: results do not depend on it):\n");
    ttt_params base = sw->base;
    base.threads = 0;
    ttt_params_write(&base, out, "#   ", 0);
    if (sw->shards > 1)
        fprintf(out, "# shard %zu/%zu: the jobs j with j mod %zu = %zu; 'ttt merge' joins the %zu shards\n",
                sw->shard + 1, sw->shards, sw->shards, sw->shard, sw->shards);
    fprintf(out, "job\tpoint\trep\tseed");
    for (size_t i = 0; i < NCORE; i++)
        fprintf(out, "\t%s", core_keys[i]);
    for (size_t a = 0; a < sw->naxes; a++)
        if (!is_core(sw->axes[a].key))
            fprintf(out, "\t%s", sw->axes[a].key);
    fprintf(out, "\testimator\tmse\tse\trel\trel_se\tpredicted\tfit_support");
    char names[NRUN][48];
    const size_t nrun = run_columns(names);
    for (size_t i = 0; i < nrun; i++)
        fprintf(out, "\t%s", names[i]);
    for (int g = 0; g < TTT_REGIME_COUNT; g++)
        fprintf(out, "\t%s_threshold\t%s_holds", ttt_regime_name(g), ttt_regime_name(g));
    fprintf(out, "\trow_check\n");
    return ferror(out) ? -1 : 0;
}

/* The last cell of every row: FNV-1a (64 bits) of the row's text before it,
 * so that --resume can tell an edited or damaged row from a written one. */
#define FNV_OFFSET 0xcbf29ce484222325u
static uint64_t fnv_step(uint64_t h, unsigned char b)
{
    return (h ^ b) * 0x100000001b3u;
}

uint64_t ttt_sweep_row_check(const char *text, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = fnv_step(h, (unsigned char)text[i]);
    return h;
}

/* Is text exactly a row_check cell as written: 16 lowercase hex digits?
 * (strtoull alone would also take upper case, a sign, spaces or 0x.) */
static int is_row_check_text(const char *text)
{
    for (int i = 0; i < 16; i++)
        if (!isdigit((unsigned char)text[i]) && (text[i] < 'a' || text[i] > 'f'))
            return 0;
    return text[16] == '\0';
}

int ttt_sweep_row_valid(char *const *cells, size_t n)
{
    if (n < 2 || !is_row_check_text(cells[n - 1]))
        return 0;
    uint64_t h = FNV_OFFSET;
    for (size_t c = 0; c + 1 < n; c++) {
        if (c > 0)
            h = fnv_step(h, '\t');
        for (const char *t = cells[c]; *t; t++)
            h = fnv_step(h, (unsigned char)*t);
    }
    return strtoull(cells[n - 1], NULL, 16) == h;
}

/* Appends printf output to a growing buffer; -1 when out of memory. */
static int append(char **buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *grown = realloc(*buf, *len + (size_t)need + 1);
    if (!grown)
        return -1;
    *buf = grown;
    va_start(ap, fmt);
    vsnprintf(*buf + *len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)need;
    return 0;
}

static int append_double(char **buf, size_t *len, double x)
{
    char text[TTT_IO_DOUBLE];
    return append(buf, len, "\t%s", ttt_io_double(x, text));
}

/* The key columns of a job's rows after (job, point, rep, seed): the core
 * keys and the other axes, each preceded by a tab.  0, or -1 if too long. */
static int key_columns(const ttt_sweep *sw, const ttt_params *p, char *keys, size_t len)
{
    char value[64];
    size_t used = 0;
    keys[0] = '\0';
    for (size_t i = 0; i < NCORE + sw->naxes; i++) {
        const char *key = i < NCORE ? core_keys[i] : sw->axes[i - NCORE].key;
        if (i >= NCORE && is_core(key))
            continue;
        used += (size_t)snprintf(keys + used, len - used, "\t%s", ttt_params_format(p, key, value, sizeof value));
        if (used >= len)
            return -1;
    }
    return 0;
}

size_t ttt_sweep_format_rows(const ttt_sweep *sw, size_t job, const ttt_report *r, char **buf, size_t *len)
{
    const ttt_params *p = &r->in->p;
    char keys[4096];
    if (key_columns(sw, p, keys, sizeof keys))
        return 0;
    double run[NRUN];
    const size_t nrun = run_values(r, run);
    size_t rows = 0;
    for (int e = 0; e < TTT_EST_COUNT; e++) {
        if (!r->res->enabled[e])
            continue;
        const ttt_summary *s = &r->est[e];
        const size_t start = *len;
        int bad = append(buf, len, "%zu\t%zu\t%zu\t%lu%s\t%s", job, job / sw->reps, job % sw->reps, p->seed, keys,
                         ttt_estimator_name(e));
        bad |= append_double(buf, len, s->mse) | append_double(buf, len, s->se) | append_double(buf, len, s->rel) |
               append_double(buf, len, s->rel_se);
        bad |= append_double(buf, len, s->kind != TTT_PRED_NONE ? s->predicted : GSL_NAN);
        bad |= append_double(buf, len, r->fit_support[e]);
        for (size_t i = 0; i < nrun; i++)
            bad |= append_double(buf, len, run[i]);
        for (int g = 0; g < TTT_REGIME_COUNT; g++) {
            bad |= append_double(buf, len, r->regime[g].threshold);
            bad |= append(buf, len, "\t%d", r->regime[g].holds);
        }
        if (!bad)
            bad |= append(buf, len, "\t%016" PRIx64 "\n", ttt_sweep_row_check(*buf + start, *len - start));
        if (bad)
            return 0;
        rows++;
    }
    return rows;
}

char *ttt_sweep_header_text(const ttt_sweep *sw, size_t *len)
{
    char *text = NULL;
    *len = 0;
    FILE *mem = open_memstream(&text, len);
    if (!mem)
        return NULL;
    int bad = ttt_sweep_write_header(sw, mem) != 0;
    bad |= fclose(mem) != 0;
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

int ttt_sweep_scan(const ttt_sweep *sw, FILE *in, size_t *done, long *end, char *msg)
{
    char *line = NULL;
    size_t want_len, cap = 0;
    char *want = ttt_sweep_header_text(sw, &want_len);
    if (!want) {
        ttt_msg(msg, TTT_MSG, "out of memory");
        return GSL_ENOMEM;
    }
    /* The header must be the one this sweep writes, byte for byte. */
    size_t at = 0, lineno = 0;
    for (size_t c = 0; c < want_len; c++)
        lineno += want[c] == '\n';
    int same = 1;
    ssize_t n = 0;
    size_t lines = 0;
    while (same && at < want_len) {
        n = getline(&line, &cap, in);
        same = n > 0 && (size_t)n <= want_len - at && memcmp(line, want + at, (size_t)n) == 0;
        at += n > 0 ? (size_t)n : 0;
        lines += same;
    }
    free(want);
    if (!same && n <= 0 && !ferror(in)) { /* the file ends inside the header, which matches so far */
        free(line);
        *done = 0;
        *end = 0;
        ttt_msg(msg, TTT_MSG, "the existing sweep.tsv stops within its header (%zu of its %zu lines); starting "
                "from job 0", lines, lineno);
        return GSL_SUCCESS;
    }
    if (!same) {
        free(line);
        ttt_msg(msg, TTT_MSG, "the existing sweep.tsv was written by a different sweep (grid, reps, "
                 "parameters or build); allowed: --resume with the same arguments and program");
        return GSL_EINVAL;
    }
    /* Then whole jobs: every row must be the one this sweep writes for its
     * (job, estimator): the same key columns, seed and estimator order, and
     * the right number of value cells, each a number.  The first damaged job
     * and all after it are recomputed (msg says why). */
    const size_t jobs = ttt_sweep_shard_jobs(sw), values = 6 + run_columns(NULL) + 2 * (size_t)TTT_REGIME_COUNT;
    long pos = ftell(in), good = pos;
    size_t t = 0, job = 0;
    msg[0] = '\0';
    char keys[4096], prefix[4096 + 128];
    n = 0;
    int damaged = 0;
    while (t < jobs && !damaged) {
        job = ttt_sweep_shard_job(sw, t);
        ttt_params p;
        char pmsg[TTT_MSG];
        if (ttt_sweep_job_params(sw, job, &p, pmsg) || key_columns(sw, &p, keys, sizeof keys))
            break;
        long start = pos;
        for (int e = 0; e < TTT_EST_COUNT && !damaged; e++) {
            if (!ttt_estimator_enabled(&p, e))
                continue;
            n = getline(&line, &cap, in);
            if (n <= 0 || line[n - 1] != '\n') { /* the end, or a row cut short by an interruption */
                damaged = -1;
                break;
            }
            lineno++;
            int plen = snprintf(prefix, sizeof prefix, "%zu\t%zu\t%zu\t%lu%s\t%s\t", job, job / sw->reps,
                                job % sw->reps, p.seed, keys, ttt_estimator_name(e));
            const char *why = NULL;
            if (memchr(line, '\0', (size_t)n))
                why = "a NUL byte";
            else if ((size_t)n < (size_t)plen || memcmp(line, prefix, (size_t)plen))
                why = "its job, point, rep, seed, key columns or estimator differ from this sweep's";
            else {
                line[n - 1] = '\0';
                char *last = strrchr(line, '\t'), *stop = NULL;
                if (!last || !is_row_check_text(last + 1) ||
                    strtoull(last + 1, NULL, 16) != ttt_sweep_row_check(line, (size_t)(last - line)))
                    why = "its row_check does not match its text (edited or damaged)";
                else
                    *last = '\0';
                size_t cells = 0;
                for (char *c = line + plen; c && !why; cells++) {
                    char *tab = strchr(c, '\t');
                    if (tab)
                        *tab = '\0';
                    strtod(c, &stop);
                    if (stop == c || *stop)
                        why = "a value cell is not a number";
                    c = tab ? tab + 1 : NULL;
                }
                if (!why && cells != values)
                    why = "it has the wrong number of cells";
            }
            if (why) {
                snprintf(msg, TTT_MSG, "sweep.tsv line %zu (job %zu, %s): %s; recomputing jobs %zu to %zu",
                         lineno, job, ttt_estimator_name(e), why, job, ttt_sweep_shard_job(sw, jobs - 1));
                damaged = 1;
                break;
            }
            pos += n;
        }
        if (damaged) {
            pos = start;
            break;
        }
        good = pos;
        t++;
    }
    free(line);
    *done = t;
    *end = good;
    return GSL_SUCCESS;
}

int ttt_sweep_read_header(ttt_sweep *sw, FILE *in, char *msg)
{
    ttt_params base;
    ttt_params_default(&base);
    char *line = NULL, *grid = NULL;
    size_t cap = 0, reps = 0, shard = 0, shards = 1;
    const char *why = "it has no column names";
    int nomem = 0;
    for (size_t lineno = 1; lineno <= 1000; lineno++) {
        ssize_t n = getline(&line, &cap, in);
        if (n <= 0 || line[n - 1] != '\n' || memchr(line, '\0', (size_t)n))
            break;
        line[n - 1] = '\0';
        char key[64], value[256];
        if (!strncmp(line, "job\t", 4)) {
            why = reps ? NULL : "it has no '# reps = R' line";
            break;
        }
        if (line[0] != '#') {
            why = "a line before the column names is not a comment";
            break;
        }
        if (!strncmp(line, "# grid:", 7)) {
            free(grid);
            grid = strdup(line + 7);
            if (!grid) {
                why = "out of memory";
                nomem = 1;
                break;
            }
        } else if (sscanf(line, "# reps = %zu;", &reps) == 1) {
        } else if (sscanf(line, "# shard %zu/%zu:", &shard, &shards) == 2 && shard >= 1) {
            shard--;
        } else if (sscanf(line, "#   %63s = %255s", key, value) == 2 && ttt_params_set(&base, key, value, msg)) {
            why = msg;
            break;
        }
    }
    free(line);
    if (!why) {
        ttt_sweep_init(sw, &base);
        sw->reps = reps;
        sw->shard = shard;
        sw->shards = shards;
        /* The axes after the base, as on the command line: " key=v1,v2,..." each. */
        for (char *save = NULL, *w = grid ? strtok_r(grid, " ", &save) : NULL; w && !why;
             w = strtok_r(NULL, " ", &save))
            if (ttt_sweep_add_axis(sw, w, msg))
                why = msg;
    }
    free(grid);
    if (why && why != msg)
        ttt_msg(msg, TTT_MSG, "not a sweep.tsv header: %s; allowed: a sweep.tsv written by 'ttt sweep'", why);
    return !why ? GSL_SUCCESS : nomem ? GSL_ENOMEM : GSL_EINVAL;
}
