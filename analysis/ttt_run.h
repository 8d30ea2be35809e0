/* ttt_run — one whole run: draw the instance, compute the analytic
 * predictions, find neighbourhoods, run the estimators, and summarise the
 * errors against the noiseless labels.  What `ttt run` does, as a library call. */
#ifndef TTT_RUN_H
#define TTT_RUN_H

#include "ttt_analytic.h"
#include "ttt_estimate.h"
#include "ttt_generate.h"

typedef enum {
    TTT_PHASE_GENERATE,
    TTT_PHASE_ANALYTIC,
    TTT_PHASE_GLOBAL,
    TTT_PHASE_NEIGHBOURS,
    TTT_PHASE_LOCAL,
    TTT_PHASE_REPORT, /* the errors, the regimes and the O1 geometry (a second neighbour search) */
    TTT_PHASE_COUNT
} ttt_phase;

/* Kinds of analytic prediction. */
typedef enum { TTT_PRED_NONE, TTT_PRED_EXACT, TTT_PRED_APPROX, TTT_PRED_FIT } ttt_pred_kind;

/* Bins of the O1 cosine histograms over [-1, 1]. */
#define TTT_COS_BINS 100

typedef struct {
    double mse;        /* mean over test points of (prediction - f)^2 */
    double se;         /* its standard error over test points */
    double rel;        /* mse / sample variance of f on the test set */
    double rel_se;     /* se / that variance (its own sampling error ignored) */
    double predicted;  /* analytic MSE, when kind != TTT_PRED_NONE */
    ttt_pred_kind kind;
    const char *basis; /* what the prediction is, in a few words */
} ttt_summary;

/* The theorem's hypotheses and the regimes around them, each a number next
 * to its threshold (docs/MODEL.md, "Regimes and hypothesis diagnostics"). */
typedef enum {
    TTT_REGIME_RECOVERY,      /* d2 >= s log(d1/s): sparse codes recoverable from features */
    TTT_REGIME_INTERPOLATION, /* k > |S| + 1: past the local interpolation peak */
    TTT_REGIME_SUPERPOSITION, /* concepts in use > d2: the global head is underparameterised */
    TTT_REGIME_PURITY,        /* share of neighbours from the test point's topic >= TTT_PURITY_MIN */
    TTT_REGIME_CONDITIONING,  /* lambda_min / mean lambda of Phi_S^T Phi_S >= TTT_COND_MIN */
    TTT_REGIME_H1,            /* max distortion <= TTT_H1_FACTOR sqrt(log N / d2) */
    TTT_REGIME_H2,            /* concepts that suffice <= TTT_H2_FACTOR s */
    TTT_REGIME_COUNT
} ttt_regime_id;

/* Thresholds that are conventions, not theorems (the README says why each). */
#define TTT_PURITY_MIN 0.9
#define TTT_COND_MIN 0.01
#define TTT_H1_FACTOR 2.0
#define TTT_H2_FACTOR 3.0

typedef struct {
    const char *name;   /* column stem: NAME, NAME_threshold, NAME_holds */
    const char *what;   /* the number, in words */
    char rule[64];      /* when the hypothesis holds */
    double value, threshold;
    int holds;
} ttt_regime;

typedef struct {
    ttt_instance *in;
    size_t *nbr;            /* m x k neighbour indices into the training set (train = streamed:
                               into the kept points, in->train) */
    size_t *other;          /* train = streamed: m x k neighbours in the other space, found in the
                               same pass (else NULL: the report searches for them) */
    ttt_results *res;
    ttt_analytic an;
    ttt_summary est[TTT_EST_COUNT];
    double f_var_test;      /* sample variance of f over the test points */
    double support_mean;    /* mean |S| over test neighbourhoods */
    double support_se;
    double support_iid;     /* E|S| for k iid points of one topic (formula) */
    double covered;         /* fraction of test points whose concepts all lie in S */
    double oracle_formula;  /* mean of sigma^2 |S| / (k - |S| - 1) over points with k > |S| + 1 */
    size_t oracle_points;   /* how many points that mean covers */
    double oracle_exact;    /* mean exact conditional variance of the oracle prediction */
    double fit_support[TTT_EST_COUNT];    /* mean concepts estimator e uses (NaN unless it reports them) */
    double fit_support_se[TTT_EST_COUNT];
    double lambda;          /* mean Lasso penalty */
    double decoded;         /* fraction of test codes the decoder recovers with their true support */
    double nbhd_mse;        /* ttt head on its own neighbours: MSE against f (mean, se) */
    double nbhd_se;
    double nbhd_pred;       /* sigma^2 rank / k (mean rank of the local feature designs): the expected
                               in-sample error of least squares when f is linear on the neighbourhood */
    double far_mse;         /* the same heads on the whole test set (first TTT_LOCALITY_HEADS) */
    double far_se;
    double agree_oracle;    /* fraction of test points where |ttt - oracle| < sigma (O3) */
    double agree_lasso;     /* the same for ttt and lasso */
    double distortion;      /* H1: max over test points and their neighbours of
                               | ||psi* - psi|| / ||phi* - phi|| - 1 | */
    double distortion_rms;  /* the root mean square of the same */
    double jl_scale;        /* sqrt(log N / d2) with N = m k pairs: the Johnson-Lindenstrauss scale */
    /* O1: cosine similarity in concept space between each test point and its
       k neighbours, for neighbours chosen by feature distance and by concept
       distance (the same metric); histograms over [-1, 1] in TTT_COS_BINS
       equal bins, as counts of the m k pairs. */
    double cos_feature;     /* mean over pairs, feature-chosen neighbours */
    double cos_concept;     /* mean over pairs, concept-chosen neighbours */
    double overlap;         /* mean fraction of a point's feature-chosen neighbours that are concept-chosen too */
    size_t cos_hist[2][TTT_COS_BINS]; /* [0] feature-chosen, [1] concept-chosen */
    double purity;          /* mean share of neighbours from the test point's topic */
    double cond;            /* mean conditioning of the local concept designs (ttt_results.cond) */
    double needed;          /* H2: mean concepts that suffice (ttt_results.needed), and its se */
    double needed_se;
    size_t in_use;          /* concepts that occur at all: the union of the pools (d1 with background) */
    ttt_regime regime[TTT_REGIME_COUNT];
    double seconds[TTT_PHASE_COUNT];
} ttt_report;

/* The column stem of regime g ("recovery", ...), known before any run. */
const char *ttt_regime_name(ttt_regime_id g);

/* Runs everything for checked parameters p.  On success *out owns the whole
 * report (free with ttt_report_free); on failure returns a GSL status and
 * *out is NULL. */
int ttt_run(const ttt_params *p, ttt_report **out);

/* The work of a run, counted from its parameters alone (ttt_run.c says how
 * each count is made): what ttt_run_cost prices and `make bench` holds
 * against the machine's limits.  flops: floating-point operations of ttt's
 * algorithms, a multiply-add counted as 2 and a dense symmetric eigensolve
 * of order N as TTT_EIG_FLOPS N^3; bytes: the memory traffic no
 * implementation can avoid, each array read or written once (a perfect
 * cache); eig3, eig2: the sums of N^3 and N^2 over the phase's eigensolves.
 * phase[TTT_PHASE_LOCAL] includes the sparse estimators, whose share is
 * sparse (zero with sparse = off). */
#define TTT_EIG_FLOPS (14.0 / 3.0) /* LAPACK dsyevd with vectors: 4/3 to tridiagonal, at most 4/3
                                       in divide and conquer, 2 to transform the vectors back */
typedef struct {
    double flops, bytes, eig3, eig2;
} ttt_work_count;
typedef struct {
    ttt_work_count phase[TTT_PHASE_COUNT];
    ttt_work_count sparse;
} ttt_work;
void ttt_run_work(const ttt_params *p, ttt_work *w);

/* What a run of p will cost, estimated before anything is allocated, from
 * the sizes of its arrays and its work (ttt_run_work) at rates measured on a
 * 2-core machine (2026-11-28; dgemm about 105 GFLOP/s on two threads, 55 on
 * one): good to a factor of about 3, enough to tell minutes from days.
 * bytes: peak memory; seconds: wall time with `threads` threads (0: all
 * cores; never more than the cores, and the parts that run on one thread
 * undivided); serial_seconds: the same on one thread (what a sweep job
 * costs); generate_seconds: the generate phase's wall time with the
 * threads; the phases as in the run's time line, one thread each, local
 * without sparse. */
typedef struct {
    double bytes;
    double seconds, serial_seconds;
    double generate_seconds;
    double generate, analytic, global, neighbours, local, sparse, report; /* one thread */
} ttt_cost;
void ttt_run_cost(const ttt_params *p, size_t threads, ttt_cost *c);
void ttt_report_free(ttt_report *r);

/* Share of the memory limit a run may take. */
#define TTT_MEMORY_SHARE 0.9

/* The memory a run may use: the smaller of the machine's RAM and the cgroup
 * v2 limit (/sys/fs/cgroup/memory.max, when readable and not "max"); source
 * names it ("this machine has", "its cgroup allows (memory.max)").  Also the
 * process's address-space limit (RLIMIT_AS, ulimit -v), INFINITY when none.
 * Either pointer may be NULL. */
double ttt_run_memory_limit(double *address_space, const char **source);

/* Checks an estimate of the bytes a run (or a sweep's busy threads) needs
 * against ttt_run_memory_limit: over TTT_MEMORY_SHARE of the memory, or the
 * bytes plus an estimate of what the libraries and every thread take (50 MB
 * and 330 MB per thread: OpenBLAS's buffer, a stack, an arena) over
 * RLIMIT_AS, gives GSL_ENOMEM and one line in msg (TTT_MSG bytes) with the
 * estimate, the limit and "--force"; else GSL_SUCCESS.  With p (NULL for a
 * sweep), the refusal also names the keys that would hold the same run in
 * less memory: generator = counter, train = streamed, with their estimates.
 * (Over RLIMIT_AS, OpenBLAS threads retry a failed buffer allocation
 * forever: the run would hang.) */
int ttt_run_memory_check(double bytes, const char *what, const ttt_params *p, char *msg);

/* Seconds on a monotonic clock: differences time phases, runs and sweeps. */
double ttt_run_seconds(void);

/* The name of a phase ("generate", "analytic", ...). */
const char *ttt_phase_name(ttt_phase phase);



/* The run's quantities beside the estimators' errors — one table (in
 * ttt_run.c) that analytic.tsv, the printed table, the sweep columns and
 * verify read.  A quantity with an se has a second sweep column NAME_se;
 * those marked sparse apply only when sparse = on (NaN otherwise); those
 * marked per_estimator are in sweep.tsv as each estimator's fit_support. */
typedef enum {
    TTT_Q_E_GLOB, TTT_Q_E_GLOB_N, TTT_Q_RANK, TTT_Q_E_GLOB_REL, TTT_Q_ISO_REL, TTT_Q_F_VAR, TTT_Q_F_VAR_TEST,
    TTT_Q_SUPPORT_IID, TTT_Q_SUPPORT, TTT_Q_COVERED, TTT_Q_ORACLE_FORMULA, TTT_Q_ORACLE_EXACT, TTT_Q_NBHD_MSE,
    TTT_Q_NBHD_PRED, TTT_Q_FAR_MSE, TTT_Q_AGREE_ORACLE, TTT_Q_DISTORTION, TTT_Q_DISTORTION_RMS, TTT_Q_JL_SCALE,
    TTT_Q_COS_FEATURE, TTT_Q_COS_CONCEPT, TTT_Q_OVERLAP, TTT_Q_PURITY, TTT_Q_COND, TTT_Q_NEEDED, TTT_Q_IN_USE,
    TTT_Q_AGREE_LASSO, TTT_Q_LAMBDA, TTT_Q_LASSO_SUPPORT, TTT_Q_LASSO_DECODED_SUPPORT, TTT_Q_OMP_SUPPORT,
    TTT_Q_DECODED, TTT_Q_LASSO_UNCONVERGED,
    TTT_Q_COUNT
} ttt_quantity;

typedef struct {
    const char *name;  /* analytic.tsv row, sweep.tsv column */
    const char *label; /* in the printed table */
    const char *kind;  /* how to read it: exact, approx, measured, ... */
    int has_se, sparse, per_estimator;
} ttt_quantity_info;

const ttt_quantity_info *ttt_quantity_about(ttt_quantity q);

/* Every quantity's value and standard error (0 when it has none; NaN where
 * it does not apply) for a finished report. */
void ttt_report_values(const ttt_report *r, double value[TTT_Q_COUNT], double se[TTT_Q_COUNT]);

#endif
