/* ttt_estimate — the estimators compared on every test point (docs/MODEL.md section 2):
 *
 *   global      least squares on all n training features (minimum norm; ridge)
 *   ttt         local least squares on the k neighbours, solution nearest to 0
 *   ttt_global  local least squares nearest to the global head v_g (fine-tuning)
 *   ttt_gd      gd_steps gradient steps from v_g on the neighbours (off if 0)
 *   oracle      local least squares on the neighbours' true concept codes,
 *               restricted to their support S (the union of active concepts)
 *   lasso       Lasso on the neighbours' true codes restricted to S (the
 *               estimator of the theorem), predicting <phi*, w>
 *   lasso_decoded  the same on codes decoded from the features by OMP against A
 *   omp         orthogonal matching pursuit on the true codes (an l0 method)
 *   knn         average of the neighbours' labels
 *
 * The same names are used in the CLI, the TSV columns and the figures. */
#ifndef TTT_ESTIMATE_H
#define TTT_ESTIMATE_H

#include <stddef.h>

#include "ttt_generate.h"

typedef enum {
    TTT_EST_GLOBAL,
    TTT_EST_TTT,
    TTT_EST_TTT_GLOBAL,
    TTT_EST_TTT_GD,
    TTT_EST_ORACLE,
    TTT_EST_LASSO,
    TTT_EST_LASSO_DECODED,
    TTT_EST_OMP,
    TTT_EST_KNN,
    TTT_EST_COUNT
} ttt_estimator;

/* Test points whose from-scratch TTT head is also evaluated on the whole test
 * set (the locality measurement costs m * d2 per head). */
#define TTT_LOCALITY_HEADS 256

/* Columns H2 (concepts_needed) orthogonalises together: one GEMM per block
 * against the basis so far, which reads the basis (up to min(k, |S|) x k)
 * once a block; a thread's workspace holds TTT_H2_BLOCK x k of them.  128,
 * not 32: at k = n = 50000 (|S| = 2591) the local phase took 89 s instead of
 * 113 (2 test points), at k = 2000, m = 20 11.8 s instead of 12.4, the same
 * results. */
#define TTT_H2_BLOCK 128

/* The registry (ttt_estimate.c): one entry per estimator, in enum order,
 * read by everything that lists estimators — the local loop that runs them,
 * summary.tsv, predictions.tsv and sweep.tsv, the printed table, `ttt
 * estimators` and the figures' line styles (plots/style.gp). */
typedef struct {
    const char *name;   /* in the CLI, the TSV columns and the figures */
    const char *fits;   /* what it fits, in one line */
    const char *when;   /* when it runs, in words */
    int support;        /* 1: it reports the concepts its fit uses (fit_support) */
    const char *colour; /* figure style: gnuplot colour ... */
    int point;          /* ... and point type */
} ttt_estimator_info;

const ttt_estimator_info *ttt_estimator_about(ttt_estimator e);
/* The estimator's name ("global", "ttt", ...). */
const char *ttt_estimator_name(ttt_estimator e);

typedef struct {
    size_t m;            /* test points */
    size_t d2;
    int enabled[TTT_EST_COUNT];  /* 1 if the estimator ran */
    double *pred;        /* TTT_EST_COUNT x m: pred[e * m + i], prediction at test point i */
    size_t *support;     /* m: |S|, concepts active in at least one neighbour */
    int *covered;        /* m: 1 if every concept of the test point lies in S */
    double *oracle_var;  /* m: exact noise variance of the oracle prediction given the
                            neighbourhood, sigma^2 ||(Phi_S^+)^T phi*_S||^2 */
    size_t *fit_support; /* TTT_EST_COUNT x m: fit_support[e * m + i], the concepts estimator e uses
                            at point i (nonzero coefficients; for estimators with info.support) */
    size_t *rank;        /* m: numerical rank of the neighbours' features (the ttt fit) */
    double *nbhd_err;    /* m: MSE against f of the ttt head of point i on its own neighbours */
    double *far_err;     /* m: MSE of the same head on the whole test set; NaN for
                            i >= TTT_LOCALITY_HEADS */
    double *dist2;       /* m x k: ||psi*_i - psi_j||^2 for test point i and its a-th neighbour j
                            (at i k + a), summed over the features in order; set by
                            ttt_estimate_local, which has the rows at hand (else NULL) */
    int *decoded_exact;  /* m: 1 if the decoded code of test point i has its true support */
    double *v_global;    /* d2: the global head */
    size_t global_rank;  /* numerical rank of the training features */
    double *lambda;      /* m: the Lasso penalty at point i (true codes) */
    double *purity;      /* m: share of the neighbours drawn from the test point's topic */
    double *cond;        /* m: conditioning of the local concept design Phi_S (k x |S|): the smallest
                            eigenvalue of Phi_S^T Phi_S over the mean one (0 when k < |S|) */
    size_t *needed;      /* m: H2, concepts that suffice: the fewest top concepts (by local label energy
                            w*_j^2 ||Phi_j||^2) on which least squares has expected in-sample error
                            <= h2_factor * the best over all r (docs/MODEL.md) */
    size_t lasso_unconverged; /* Lasso fits that reached lasso_sweeps (their last iterate is used) */
} ttt_results;

/* 1 if parameters p run estimator e (ttt_gd needs gd_steps > 0, the sparse
 * ones sparse = on). */
int ttt_estimator_enabled(const ttt_params *p, ttt_estimator e);

/* Results for m test points in d2 features; NULL when out of memory. */
ttt_results *ttt_results_alloc(size_t m, size_t d2);
void ttt_results_free(ttt_results *r);

/* Every estimator of the instance on its test set, in two halves (timed
 * apart by ttt_run): the global head and its test predictions first, then
 * the local estimators (which start from it), given the neighbours nbr (m x k,
 * from ttt_neighbours_find on train and test).  The local fits run in
 * parallel over test points, each thread with its own workspace; a point's
 * numbers do not depend on the thread that computed it.  Each returns
 * GSL_SUCCESS, GSL_ENOMEM, or a solver status. */
int ttt_estimate_global(const ttt_instance *in, ttt_results *res);

/* The same from a streamed training set: G the upper triangle of X^T X and
 * xty = X^T y, accumulated tile by tile (ttt_lsq_gram_add); n >= d2. */
int ttt_estimate_global_gram(const ttt_instance *in, const double *G, const double *xty, ttt_results *res);
int ttt_estimate_local(const ttt_instance *in, const size_t *nbr, ttt_results *res);

/* The from-scratch TTT head (d2) fitted on the k training points nb[0..k-1]:
 * the same minimum-norm least squares as estimator ttt, returned for
 * drawing (ttt demo).  GSL_SUCCESS, GSL_ENOMEM, or the solver's status. */
int ttt_estimate_head(const ttt_instance *in, const size_t *nb, size_t k, double *v);

#endif
