/* ttt_fit — see ttt_fit.h. */
#include "ttt_fit.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <string.h>

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

int ttt_fit_mean(const double *y, size_t n, ttt_mean_ci *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2)
        return GSL_EINVAL;
    double m = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        m += y[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - m) * (y[i] - m);
    out->n = n;
    out->mean = m;
    out->se = sqrt(ss / (double)(n - 1) / (double)n);
    double t = gsl_cdf_tdist_Pinv(0.5 + TTT_FIT_LEVEL / 2.0, (double)(n - 1));
    out->lo = m - t * out->se;
    out->hi = m + t * out->se;
    return GSL_SUCCESS;
}

double ttt_fit_rate(double sigma, double s, double d1, double k)
{
    if (!(d1 > s) || !(sigma > 0.0) || !(k > 0.0))
        return GSL_NAN;
    return log(sigma * sigma * s * log(d1 / s) / k);
}
