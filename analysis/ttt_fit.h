/* ttt_fit — least-squares lines with confidence intervals, the rates of the
 * theory read off sweeps: slope of log error in log k (theory: -1 in the
 * variance regime), in log s (+1), in log sigma^2 (+1), error against log d1
 * (linear), and the constant C of the bound C sigma^2 s log(d1/s) / k. */
#ifndef TTT_FIT_H
#define TTT_FIT_H

#include <stddef.h>

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
int ttt_fit_mean(const double *y, size_t n, ttt_mean_ci *out);

/* The constant C of the bound mse <= C sigma^2 s log(d1/s) / k for the Lasso
 * at its universal penalty, fitted in preset=theorem over k = 50..200 by
 * `ttt verify lasso_k` (full profile; interval in the README).  `ttt run`
 * prints the Lasso's bound with it; verify fits C afresh every time. */
#define TTT_THEOREM_C 0.89

/* log of the theorem's rate sigma^2 s log(d1/s) / k (NaN where d1 <= s or sigma = 0). */
double ttt_fit_rate(double sigma, double s, double d1, double k);

#endif
