/* ttt_fit — least-squares lines with confidence intervals, the rates of the
 * theory read off sweeps: slope of log error in log k (theory: -1 in the
 * variance regime), in log s (+1), in log sigma^2 (+1), error against log d1
 * (linear), and the constant C of the bound C sigma^2 s log(d1/s) / k. */
#ifndef TTT_FIT_H
#define TTT_FIT_H

#include <stddef.h>
#include <stdio.h>

#include "ttt_io.h"

/* Confidence level of every interval reported here. */
#define TTT_FIT_LEVEL 0.95

typedef struct {
    size_t n;           /* points used */
    double slope, intercept;
    double slope_se, intercept_se;
    double slope_lo, slope_hi;         /* TTT_FIT_LEVEL interval (Student t, n - 2 df) */
    double intercept_lo, intercept_hi;
    double r2;          /* coefficient of determination */
    double resid_sd;    /* residual standard deviation */
} ttt_line;

/* Ordinary least squares y = intercept + slope x over n >= 3 points with
 * x not all equal.  Returns GSL_SUCCESS, or GSL_EINVAL (fewer than 3 points,
 * or constant x) with *out zeroed. */
int ttt_fit_line(const double *x, const double *y, size_t n, ttt_line *out);

typedef struct {
    size_t n;
    double mean, se;    /* of y */
    double lo, hi;      /* TTT_FIT_LEVEL interval of the mean (Student t, n - 1 df) */
} ttt_mean_ci;

/* Mean of y with its t interval (n >= 2, else GSL_EINVAL). */
/* The mean of x[0..n) and its standard error sd / sqrt(n) (0 when n < 2):
 * the one place every mean and se of the program is taken. */
void ttt_fit_mean_se(const double *x, size_t n, double *mean, double *se);
int ttt_fit_mean(const double *y, size_t n, ttt_mean_ci *out);

/* The constant C of the bound mse <= C sigma^2 s log(d1/s) / k for the Lasso
 * at its universal penalty, fitted in preset=theorem over k = 50..200 by
 * `ttt verify lasso_k` (full profile; interval in the README).  `ttt run`
 * prints the Lasso's bound with it; verify fits C afresh every time. */
#define TTT_THEOREM_C 0.89

/* log of the theorem's rate sigma^2 s log(d1/s) / k (NaN where d1 <= s or sigma = 0). */
double ttt_fit_rate(double sigma, double s, double d1, double k);

/* A fit of a sweep table, as `ttt fit` asks for it: the rows of one
 * estimator (those matching every `where`), y against column x, or with
 * bound the constant C of the bound above (x then only restricts the rows). */
#define TTT_FIT_MAX_WHERE 16

typedef enum { TTT_FIT_LOGLOG, TTT_FIT_SEMILOGX, TTT_FIT_LINEAR } ttt_fit_scale;

typedef struct {
    const char *source;  /* the table's file name, for messages */
    const char *x;       /* the x column; NULL only with bound */
    const char *y;       /* ESTIMATOR (its mse), COLUMN or ESTIMATOR:COLUMN (ttt_summarize_operand_parse) */
    ttt_fit_scale scale;
    const char *where[TTT_FIT_MAX_WHERE]; /* key=value: rows whose key column holds value (as text or number) */
    size_t nwhere;
    double lo, hi;       /* with x: the rows with lo <= x <= hi */
    int bound;
} ttt_fit_query;

typedef struct {
    size_t n, skipped;   /* rows fitted; rows left out (not finite, or not positive on a log scale) */
    int status;          /* GSL_SUCCESS, or GSL_EINVAL: too few rows or one x value, nothing fitted */
    ttt_line line;       /* without bound */
    ttt_mean_ci c;       /* with bound: log C */
    int bare;            /* y names an estimator alone: its mse */
} ttt_fit_result;

/* The scale named "loglog", "semilogx" or "linear" into *scale: GSL_SUCCESS,
 * or GSL_EINVAL with a message naming the allowed ones. */
int ttt_fit_scale_parse(const char *name, ttt_fit_scale *scale, char *msg);

/* Selects the rows of sweep table t that q asks for and fits them into *res
 * (res->status says whether there was enough to fit).  Returns GSL_SUCCESS;
 * GSL_EINVAL with a message (TTT_MSG bytes) when q names what t lacks or
 * t's rows fail ttt_summarize_rows_check; GSL_ENOMEM with a message. */
int ttt_fit_sweep(const ttt_table *t, const ttt_fit_query *q, ttt_fit_result *res, char *msg);

/* The fit as `ttt fit` prints it: the line (or C) with its 95% interval, and
 * the skipped rows. */
void ttt_fit_print(FILE *out, const ttt_fit_query *q, const ttt_fit_result *res);

#endif
