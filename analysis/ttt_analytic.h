/* ttt_analytic — closed-form predictions (docs/MODEL.md section 4).  Pure functions of
 * the parameters, or of an instance where the formula is exact for the
 * instance.  Nothing here samples: the one non-closed-form ingredient, two
 * moments of the normalised magnitudes, is a one-dimensional integral computed
 * by adaptive quadrature to a stated relative accuracy. */
#ifndef TTT_ANALYTIC_H
#define TTT_ANALYTIC_H

#include <stddef.h>

#include "ttt_generate.h"

/* Relative accuracy asked of the quadratures (default of ttt_analytic_moments). */
#define TTT_ANALYTIC_EPSREL 1e-10

/* Moments of a code's q normalised magnitudes v = u / ||u||, u iid from the law:
 * E v_a^2 = 1/q by symmetry, and
 *   c   = E v_a v_b (a != b) = int_0^inf phi1(t)^2 phi0(t)^(q-2) dt,
 *   mu1 = E v_a            = (2/sqrt(pi)) int_0^inf phi1(r^2) phi0(r^2)^(q-1) dr,
 * with phi0(t) = E exp(-t u^2), phi1(t) = E u exp(-t u^2) in closed form for
 * each law (from 1/x = int exp(-t x) dt and 1/sqrt(x) = pi^-1/2 int t^-1/2 exp(-t x) dt).
 * Returns GSL_SUCCESS or the integrator's status. */
int ttt_analytic_moments(ttt_magnitudes magnitudes, size_t q, double epsrel, double *c, double *mu1);

typedef struct {
    double e_glob;     /* exact population MSE of the best linear head on psi (n = infinity),
                          w*^T Sigma w* - b^T (A Sigma A^T + tau^2 I)^+ b, b = A Sigma w* */
    double f_second;   /* E f^2 = w*^T Sigma w*, exact */
    double f_mean;     /* E f = <w*, E phi>, exact */
    double f_var;      /* Var f = E f^2 - (E f)^2, exact */
    size_t rank;       /* rank of the feature covariance A Sigma A^T (d2 unless fewer concepts are in use) */
    double e_glob_n;   /* finite-n approximation e_glob + (e_glob + sigma^2) r / (n - r - 1), r = rank;
                          +infinity when n <= d2 + 1 */
    double iso_rel;    /* 1 - d2/d1 (0 when d2 >= d1): the isotropic random-projection
                          relative error, in expectation over dictionaries */
    double moment_c;   /* E v_a v_b used for Sigma */
    double moment_mu1; /* E v_a used for E phi */
} ttt_analytic;

/* The global predictions for instance `in`: Sigma = E[phi phi^T] is assembled
 * exactly from the pools, the background rate and the magnitude moments
 * (never as a d1 x d1 matrix: it is diagonal plus low rank per topic).
 * Returns GSL_SUCCESS, GSL_ENOMEM, or a solver status. */
int ttt_analytic_global(const ttt_instance *in, ttt_analytic *out);

/* Probability that two given concepts i != j of a topic's pool are both
 * active in a point of that topic (as pool concepts or as background). */
double ttt_analytic_pair_prob(size_t d1, size_t s, size_t pool, size_t background);

/* E|S| for k points drawn independently from one topic:
 * pool (1 - (1 - pi_in)^k) + (d1 - pool)(1 - (1 - pi_out)^k); with no
 * background this is p (1 - (1 - s/p)^k). */
double ttt_analytic_support(size_t d1, size_t s, size_t pool, size_t background, size_t k);

/* Local oracle least squares on |S| = S concepts from k points:
 * sigma^2 S / (k - S - 1), the random-design formula; +infinity when k <= S + 1. */
double ttt_analytic_oracle(double sigma, double S, size_t k);

/* Finite-n global error e + (e + sigma^2) d2 / (n - d2 - 1); +infinity when n <= d2 + 1. */
double ttt_analytic_finite_n(double e_glob, double sigma, size_t d2, size_t n);

/* 1 - d2/d1, or 0 when d2 >= d1. */
double ttt_analytic_iso(size_t d1, size_t d2);

#endif
