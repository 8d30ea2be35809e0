/* ttt_verify — the theory checks of `ttt verify`: each runs a small sweep
 * with fixed seeds and replicates, and compares a measured quantity (with
 * its interval over replicates) to the theory's prediction.
 *
 * Every tolerance is derived, never tuned: TTT_VERIFY_Z standard errors of
 * the replicate mean (or of a fitted slope), plus, for the rate checks, the
 * theory's own finite-size deviation from the asymptotic rate (the slope of
 * the random-design oracle formula over the same grid). */
#ifndef TTT_VERIFY_H
#define TTT_VERIFY_H

#include <stddef.h>

/* Standard errors allowed between measurement and prediction: 3 gives a
 * false alarm rate of 0.3% per check when the prediction holds. */
#define TTT_VERIFY_Z 3.0

typedef struct {
    char predicted[96];  /* the prediction, as printed */
    char measured[96];   /* the measurement with its 95% interval */
    char tolerance[64];  /* what counts as agreement */
    char detail[200];    /* the configuration, and numbers behind the verdict */
    int pass;
} ttt_verify_row;

/* Number of checks, and the name and claim (in words) of check i. */
size_t ttt_verify_count(void);
const char *ttt_verify_name(size_t i);
const char *ttt_verify_claim(size_t i);

/* Index of a check by name, or (size_t)-1. */
size_t ttt_verify_find(const char *name);

/* Runs check i (quick: fewer replicates, the profile the test suite runs),
 * with `threads` OpenMP threads (0: the default).  Returns GSL_SUCCESS with
 * the row filled, or the status of a failed run. */
int ttt_verify_run(size_t i, int quick, size_t threads, ttt_verify_row *row);

#endif
