/* ttt_fit — see ttt_fit.h. */
#include "ttt_fit.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_msg.h"
#include "ttt_summarize.h"

int ttt_fit_line(const double *x, const double *y, size_t n, ttt_line *out)
{
    memset(out, 0, sizeof *out);
    if (n < 3)
        return GSL_EINVAL;
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0.0, sxy = 0.0, syy = 0.0;
    for (size_t i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (!(sxx > 0.0))
        return GSL_EINVAL;
    out->n = n;
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mx;
    double rss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = y[i] - out->intercept - out->slope * x[i];
        rss += e * e;
    }
    double s2 = rss / (double)(n - 2);
    out->resid_sd = sqrt(s2);
    out->slope_se = sqrt(s2 / sxx);
    out->intercept_se = sqrt(s2 * (1.0 / (double)n + mx * mx / sxx));
    double t = gsl_cdf_tdist_Pinv(0.5 + TTT_FIT_LEVEL / 2.0, (double)(n - 2));
    out->slope_lo = out->slope - t * out->slope_se;
    out->slope_hi = out->slope + t * out->slope_se;
    out->intercept_lo = out->intercept - t * out->intercept_se;
    out->intercept_hi = out->intercept + t * out->intercept_se;
    out->r2 = syy > 0.0 ? 1.0 - rss / syy : 1.0;
    return GSL_SUCCESS;
}

void ttt_fit_mean_se(const double *x, size_t n, double *mean, double *se)
{
    double mu = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mu += x[i];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : 0.0;
}

int ttt_fit_mean(const double *y, size_t n, ttt_mean_ci *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2)
        return GSL_EINVAL;
    out->n = n;
    ttt_fit_mean_se(y, n, &out->mean, &out->se);
    double t = gsl_cdf_tdist_Pinv(0.5 + TTT_FIT_LEVEL / 2.0, (double)(n - 1));
    out->lo = out->mean - t * out->se;
    out->hi = out->mean + t * out->se;
    return GSL_SUCCESS;
}

double ttt_fit_rate(double sigma, double s, double d1, double k)
{
    if (!(d1 > s) || !(sigma > 0.0) || !(k > 0.0))
        return GSL_NAN;
    return log(sigma * sigma * s * log(d1 / s) / k);
}

static const char *const scale_names[3] = {"loglog", "semilogx", "linear"};

int ttt_fit_scale_parse(const char *name, ttt_fit_scale *scale, char *msg)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, scale_names[i])) {
            *scale = (ttt_fit_scale)i;
            return GSL_SUCCESS;
        }
    ttt_msg(msg, TTT_MSG, "--scale '%s' is not allowed; allowed: loglog, semilogx, linear", name);
    return GSL_EINVAL;
}

/* The checks of q against t: its rows, the estimator, y, x, where and (with
 * bound) the rate's columns, in that order.  Fills the columns, or returns a
 * status with a message. */
static int fit_columns(const ttt_table *t, const ttt_fit_query *q, long *est, long *xc, ttt_operand *op,
                       long *wc, long *cols, char *msg)
{
    char part[TTT_MSG];
    int status = ttt_summarize_rows_check(t, part);
    if (status) {
        if (status == GSL_ENOMEM)
            snprintf(msg, TTT_MSG, "out of memory");
        else
            ttt_msg(msg, TTT_MSG, "%s: %s", q->source, part);
        return status;
    }
    *est = ttt_table_column(t, "estimator");
    *xc = q->x ? ttt_table_column(t, q->x) : -1;
    if (*est < 0) {
        snprintf(msg, TTT_MSG, "the file has no 'estimator' column; allowed: a sweep.tsv written by ttt sweep");
        return GSL_EINVAL;
    }
    if (ttt_summarize_operand_parse(t, q->y, strlen(q->y), op, part) || (q->x && *xc < 0)) {
        if (q->x && *xc < 0)
            ttt_msg(part, TTT_MSG, "no column '%s' in the sweep; allowed: a column name", q->x);
        ttt_msg(msg, TTT_MSG, "%s: %s", q->source, part);
        return GSL_EINVAL;
    }
    for (size_t w = 0; w < q->nwhere; w++) {
        const char *eq = strchr(q->where[w], '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - q->where[w]) : 0, q->where[w]);
        if (!eq || (wc[w] = ttt_table_column(t, key)) < 0) {
            ttt_msg(msg, TTT_MSG, "--where '%s' does not name a column as key=value", q->where[w]);
            return GSL_EINVAL;
        }
    }
    static const char *const rate_keys[4] = {"sigma", "s", "d1", "k"};
    for (int i = 0; i < 4; i++)
        if ((cols[i] = ttt_table_column(t, rate_keys[i])) < 0 && q->bound) {
            snprintf(msg, TTT_MSG, "%s has no '%s' column; --bound needs the columns sigma, s, d1 and k "
                     "of a sweep.tsv", q->source, rate_keys[i]);
            return GSL_EINVAL;
        }
    return GSL_SUCCESS;
}

int ttt_fit_sweep(const ttt_table *t, const ttt_fit_query *q, ttt_fit_result *res, char *msg)
{
    memset(res, 0, sizeof *res);
    long est, xc, wc[TTT_FIT_MAX_WHERE], cols[4];
    ttt_operand op;
    int status = fit_columns(t, q, &est, &xc, &op, wc, cols, msg);
    if (status)
        return status;
    res->bare = !strchr(q->y, ':') && op.col == ttt_table_column(t, "mse");
    const int logx = q->scale != TTT_FIT_LINEAR, logy = q->scale == TTT_FIT_LOGLOG, bound = q->bound;
    double *x = malloc((t->rows + 1) * sizeof *x), *y = malloc((t->rows + 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        snprintf(msg, TTT_MSG, "out of memory for %zu rows of %s", t->rows, q->source);
        return GSL_ENOMEM;
    }
    size_t n = 0;
    for (size_t r = 0; r < t->rows; r++) {
        if (strcmp(t->cell[r][est], op.estimator))
            continue;
        int keep = 1;
        for (size_t w = 0; w < q->nwhere && keep; w++) {
            const char *v = strchr(q->where[w], '=') + 1;
            double a = ttt_table_number(t, r, (size_t)wc[w]), b = strtod(v, NULL);
            keep = !strcmp(t->cell[r][wc[w]], v) || (isfinite(a) && a == b);
        }
        if (!keep)
            continue;
        double xv = xc >= 0 ? ttt_table_number(t, r, (size_t)xc) : 0.0, yv = ttt_table_number(t, r, (size_t)op.col);
        if (xc >= 0 && (xv < q->lo || xv > q->hi))
            continue;
        if (bound)
            xv = ttt_fit_rate(ttt_table_number(t, r, (size_t)cols[0]), ttt_table_number(t, r, (size_t)cols[1]),
                              ttt_table_number(t, r, (size_t)cols[2]), ttt_table_number(t, r, (size_t)cols[3]));
        if (!isfinite(xv) || !isfinite(yv) || ((logx && !bound) && xv <= 0) || ((logy || bound) && yv <= 0)) {
            res->skipped++;
            continue;
        }
        x[n] = bound ? xv : logx ? log(xv) : xv;
        y[n] = logy || bound ? log(yv) : yv;
        if (bound)
            y[n] -= x[n]; /* log C = log mse - log rate */
        n++;
    }
    res->n = n;
    res->status = bound ? ttt_fit_mean(y, n, &res->c) : ttt_fit_line(x, y, n, &res->line);
    free(x);
    free(y);
    return GSL_SUCCESS;
}

void ttt_fit_print(FILE *out, const ttt_fit_query *q, const ttt_fit_result *res)
{
    const int logx = q->scale != TTT_FIT_LINEAR, logy = q->scale == TTT_FIT_LOGLOG;
    if (!res->status && q->bound) {
        const ttt_mean_ci *c = &res->c;
        fprintf(out, "bound: %s = C sigma^2 s log(d1/s) / k over %zu rows\n", q->y, res->n);
        fprintf(out, "C = %.4g  95%% interval [%.4g, %.4g]  (geometric mean; log C = %.4f +- %.4f)\n",
                exp(c->mean), exp(c->lo), exp(c->hi), c->mean, c->se);
    } else if (!res->status) {
        const ttt_line *l = &res->line;
        fprintf(out, "fit: %s%s%s against %s%s%s over %zu rows (%s scale)\n", logy ? "log " : "", q->y,
                res->bare ? " mse" : "", logx ? "log " : "", q->x, "", res->n, scale_names[q->scale]);
        fprintf(out, "slope     %+.4f  95%% interval [%+.4f, %+.4f]  se %.4f\n", l->slope, l->slope_lo,
                l->slope_hi, l->slope_se);
        fprintf(out, "intercept %+.4f  95%% interval [%+.4f, %+.4f]\n", l->intercept, l->intercept_lo,
                l->intercept_hi);
        fprintf(out, "R^2       %.4f\n", l->r2);
        if (logx && logy)
            fprintf(out, "%s ~ %.4g * %s^%.3f\n", q->y, exp(l->intercept), q->x, l->slope);
    }
    if (res->skipped)
        fprintf(out, "(%zu rows skipped: not finite%s)\n", res->skipped,
                logx || logy || q->bound ? " or not positive on a log scale" : "");
}
