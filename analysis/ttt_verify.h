/* ttt_verify — the theory checks of `ttt verify`: each runs a small sweep
 * with fixed seeds and replicates, and compares a measured quantity (with
 * its interval over replicates) to the theory's prediction.
 *
 * Every tolerance is a t quantile (TTT_VERIFY_ALPHA) times the standard error of the replicate mean (or
 * of a fitted slope), never widened by a quantity measured in the same run;
 * two-sided wherever the prediction is.  A rate check compares the fitted
 * slope with the slope of the predicted formula over the same grid. */
#ifndef TTT_VERIFY_H
#define TTT_VERIFY_H

#include <stddef.h>
#include <stdio.h>

/* False-alarm rate of a check when its prediction holds: the two-sided rate
 * of 3 standard errors of a normal mean (0.27%).  With R replicates the
 * tolerance is the Student t quantile for R - 1 degrees of freedom (R - 2 for
 * a slope) times the standard error: 3 se for many replicates, more for few,
 * since a standard error from 3 replicates is itself uncertain. */
#define TTT_VERIFY_ALPHA 0.0027

typedef struct {
    char predicted[96];  /* the prediction, as printed */
    char measured[96];   /* the measurement with its 95% interval */
    char tolerance[96];  /* what counts as agreement */
    char detail[240];    /* the configuration, and numbers behind the verdict */
    int pass;
} ttt_verify_row;

/* Number of checks, and the name and claim (in words) of check i. */
size_t ttt_verify_count(void);
const char *ttt_verify_name(size_t i);
const char *ttt_verify_claim(size_t i);
/* The kind of bug check i would catch, in words. */
const char *ttt_verify_catches(size_t i);

/* The index of the check named name in *index: GSL_SUCCESS, or GSL_EINVAL when there is none. */
int ttt_verify_find(const char *name, size_t *index);

/* Runs check i (quick: fewer replicates, the profile the test suite runs),
 * with `threads` OpenMP threads (0: the default).  Returns GSL_SUCCESS with
 * the row filled, or the status of a failed run. */
int ttt_verify_run(size_t i, int quick, size_t threads, ttt_verify_row *row);

/* Every check's name, claim and what it catches (`ttt verify --list`). */
void ttt_verify_list(FILE *out);

/* Runs checks chosen[0..n-1] as `ttt verify` does: the table to out, a row
 * per check as it finishes (a run that fails is a FAIL row), then the
 * tolerances and configurations and how many passed; each check's time to
 * log.  *failed gets the number of FAIL rows.  Returns GSL_SUCCESS, or
 * GSL_ENOMEM before anything is run. */
int ttt_verify_report(FILE *out, FILE *log, const size_t *chosen, size_t n, int quick, size_t threads,
                      size_t *failed);

#endif
