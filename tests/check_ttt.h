/* Shared declarations of the Check suites and their small helpers. */
#ifndef CHECK_TTT_H
#define CHECK_TTT_H

#include <check.h>
#include <stddef.h>

#include "ttt_generate.h"
#include "ttt_io.h"
#include "ttt_params.h"

Suite *make_params_suite(void);
Suite *make_generate_suite(void);
Suite *make_lsq_suite(void);
Suite *make_sparse_suite(void);
Suite *make_idmap_suite(void);
Suite *make_neighbours_suite(void);
Suite *make_estimate_suite(void);
Suite *make_analytic_suite(void);
Suite *make_io_suite(void);
Suite *make_outdir_suite(void);
Suite *make_faults_suite(void);
Suite *make_cli_suite(void);
Suite *make_fit_suite(void);
Suite *make_sweep_suite(void);
Suite *make_summarize_suite(void);
Suite *make_trust_suite(void);

/* Checked parameters: the defaults, then the given "key=value" words. */
ttt_params test_params(const char *const *words);

/* The instance of checked parameters p (ttt_instance_alloc must succeed). */
ttt_instance *test_instance(const ttt_params *p);

/* Runs "$TTT_BIN ARGS" through the shell with stdout and stderr captured into
 * out/err (NUL-terminated, truncated to their sizes); returns the exit status. */
int run_ttt(const char *args, char *out, size_t out_len, char *err, size_t err_len);
/* The file's text (at most len - 1 bytes) into buf; "" if it cannot be read. */
void read_text(const char *path, char *buf, size_t len);

/* A fresh empty directory under /tmp; the caller frees the string. */
char *make_temp_dir(void);

/* A table read (ttt_table_read) from text written to a temporary file. */
ttt_table *test_table(const char *text);

/* Running mean and standard error of the mean of replicate values: the
 * statistical tests compare a mean over independent replicates with a
 * prediction, in units of this standard error. */
typedef struct {
    double sum, sum2;
    size_t n;
} sample;
void sample_add(sample *a, double x);
/* The mean; *se = its standard error (needs n >= 2). */
double sample_mean(const sample *a, double *se);

/* 1 when the environment asks for the long statistical tier (TTT_FULL). */
int full_tier(void);

#endif
