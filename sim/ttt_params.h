/* ttt_params — every parameter of a run in one struct, with defaults,
 * parsing from key=value words and config files, and range checks.
 *
 * The key table in ttt_params.c is the single source of truth: `ttt defaults`,
 * the README's key list and the `#` header of every TSV file come from it.
 *
 * Functions that can fail return a GSL status, as the rest of the library
 * does: GSL_SUCCESS; GSL_EINVAL when the input is not allowed, with a one-line
 * message in msg (TTT_MSG bytes) naming the key, the value and what is
 * allowed; GSL_ENOMEM when out of memory. */
#ifndef TTT_PARAMS_H
#define TTT_PARAMS_H

#include <stddef.h>
#include <stdio.h>

#include "ttt_msg.h"

typedef enum { TTT_DICT_GAUSSIAN, TTT_DICT_RADEMACHER, TTT_DICT_ORTHONORMAL } ttt_dictionary;
typedef enum { TTT_MAG_POSITIVE, TTT_MAG_SIGNED, TTT_MAG_CONSTANT } ttt_magnitudes;
typedef enum { TTT_SPACE_FEATURE, TTT_SPACE_CONCEPT } ttt_space;
typedef enum { TTT_METRIC_EUCLIDEAN, TTT_METRIC_COSINE } ttt_metric;
typedef enum { TTT_OFF, TTT_ON } ttt_switch;
/* Laws of the ground truth w*: every law has E w_j^2 = 1, so E f^2 = 1 for unit-norm codes. */
typedef enum { TTT_W_GAUSSIAN, TTT_W_SPARSE, TTT_W_STUDENT, TTT_W_POWER } ttt_w_law;
/* How A and w* are drawn: auto (resolved by ttt_params_check), from one
 * sequential stream and stored whole, or per concept from a counter-based
 * stream and generated where needed. */
typedef enum { TTT_GEN_AUTO, TTT_GEN_STREAM, TTT_GEN_COUNTER } ttt_generator;

/* How the training set is held: auto (resolved by ttt_params_check), stored
 * whole, or streamed: drawn tile by tile from its streams whenever it is
 * read, and only the points a run keeps (the neighbours) stored. */
typedef enum { TTT_TRAIN_AUTO, TTT_TRAIN_STORED, TTT_TRAIN_STREAMED } ttt_train;
/* train = auto streams a training set that would take more than this (1 GiB). */
#define TTT_TRAIN_STORED_BYTES 1073741824.0

/* generator = stream stores A whole: the old limits hold for it. */
#define TTT_STREAM_MAX_D1 10000000.0
#define TTT_STREAM_MAX_CELLS 1e9
/* generator = counter stores A and w* whole when A has at most this many
 * cells (1 GiB), and otherwise only the columns of the concepts in the pools. */
#define TTT_COUNTER_DENSE_CELLS 134217728.0

typedef struct {
    size_t d1;            /* concepts (dictionary size) */
    size_t d2;            /* features (model width) */
    size_t s;             /* concepts active per point, drawn from the topic's pool */
    size_t topics;        /* T, number of topics */
    size_t pool;          /* p, concepts per topic pool; 0 on input means min(pool_ratio s, d1) */
    size_t background;    /* b, extra concepts per point drawn from all d1 */
    size_t n;             /* training points */
    size_t m;             /* test points */
    size_t k;             /* neighbourhood size */
    double sigma;         /* label noise standard deviation */
    double feature_noise; /* standard deviation of isotropic noise added to psi */
    double ridge;         /* ridge penalty on ||v - v0||^2 (0: minimum-distance solution) */
    double rcond;         /* singular values below rcond * largest count as zero */
    size_t gd_steps;      /* gradient steps of ttt_gd (0: estimator off) */
    double gd_eta;        /* step size of ttt_gd on the mean squared loss / 2 */
    double lasso_c;       /* Lasso penalty lambda = lasso_c sigma sqrt(2 log(d1)/k) max_j ||Phi_j||/sqrt(k);
                             also OMP's stopping threshold lasso_c * sigma * sqrt(2 log d1) */
    double lasso_tol;     /* Lasso stops when its KKT violation <= lasso_tol * max(lambda_max, lambda) */
    size_t lasso_sweeps;  /* most coordinate-descent sweeps per Lasso fit */
    double decode_tol;    /* the decoder stops when ||residual|| <= decode_tol * ||psi|| */
    double pool_ratio;    /* pool = 0 means min(round(pool_ratio s), d1) */
    double w_rho;         /* w_law = sparse: the fraction of concepts that carry weight */
    double w_alpha;       /* w_law = power: |w*_j| proportional to rank^(-w_alpha) */
    double h2_factor;     /* H2: concepts suffice when their fit's error <= h2_factor * the best */
    size_t threads;       /* OpenMP threads (0: the runtime's default) */
    unsigned long seed;   /* the one seed everything is drawn from */
    ttt_dictionary dictionary; /* the ensemble of A */
    ttt_magnitudes magnitudes; /* the law of the active magnitudes */
    ttt_space space;           /* where neighbourhoods are chosen */
    ttt_metric metric;         /* the distance that chooses neighbours */
    ttt_switch sparse;         /* run lasso, lasso_decoded and omp */
    ttt_switch lasso_refit;    /* refit least squares on the Lasso's support */
    ttt_w_law w_law;           /* the law of the ground truth w* */
    ttt_generator generator;   /* how A and w* are drawn (never auto after ttt_params_check) */
    ttt_train train;           /* how the training set is held (never auto after ttt_params_check) */
} ttt_params;

/* Whether the run of checked parameters p streams its training set. */
int ttt_params_streams_train(const ttt_params *p);

/* Bytes one stored point takes: features, code, f, y and topic. */
double ttt_params_point_bytes(const ttt_params *p);

/* Whether the instance of checked parameters p holds A whole (d1 x d2), as
 * the sparse decoder, --save-data and the demo's pictures need. */
int ttt_params_stores_A(const ttt_params *p);

/* Fills p with the documented defaults; pool stays 0 ("pool_ratio s") until
 * ttt_params_check resolves it. */
void ttt_params_default(ttt_params *p);

/* Presets: named configurations, each a list of key=value words.  The key
 * `preset` applies one where it stands (in a file or on the command line), so
 * keys given after it override it.  ttt_params_preset_count() of them, by index. */
size_t ttt_params_preset_count(void);
const char *ttt_params_preset_name(size_t i);
const char *ttt_params_preset_about(size_t i);
const char *ttt_params_preset_words(size_t i);

/* Sets one key from its text value (key "preset" applies that preset).
 * Returns GSL_SUCCESS, or GSL_EINVAL with a message naming the key, the value
 * and what is allowed (an unknown key: the known ones).  Does not check
 * relations between keys. */
int ttt_params_set(ttt_params *p, const char *key, const char *value, char *msg);

/* Reads a whole number as every whole-number key takes it: digits, with
 * optionally a decimal part and an exponent (5e4, 10.0), integral; no sign,
 * no space, no hex.  Returns GSL_SUCCESS with *out set, or GSL_EINVAL (no
 * message: the caller names what the number is for). */
int ttt_params_whole(const char *text, double *out);

/* Sets one key from a "key=value" word (as typed on the command line); a
 * status as ttt_params_set (GSL_EINVAL also for a word not of that form). */
int ttt_params_set_word(ttt_params *p, const char *word, char *msg);

/* Reads a config file of "key = value" lines ('#' starts a comment) into p.
 * Lines may be of any length; a NUL byte, or a key set twice in the file
 * (preset included; a preset's keys may be set after it), is an error.
 * Returns GSL_SUCCESS; GSL_EINVAL with a message "FILE:LINE: ..." when a line
 * is not allowed, or "cannot read config file 'FILE': REASON" when the file
 * cannot be opened or read (it is the caller's input: missing, a directory,
 * not readable); GSL_ENOMEM when out of memory. */
int ttt_params_read_file(ttt_params *p, const char *path, char *msg);

/* The same from an open stream (read to its end, not closed): ttt_params_read_file
 * is fopen + this + fclose.  name stands for the file in messages ("NAME:LINE: ...").
 * Lets a caller parse a config held in memory (fmemopen), as the fuzz harness does. */
int ttt_params_read_stream(ttt_params *p, FILE *fp, const char *name, char *msg);

/* Resolves pool = 0 to min(round(pool_ratio s), d1) and then checks every
 * range and every relation between keys.  Returns GSL_SUCCESS when p is
 * usable, else GSL_EINVAL with a message that names the key, its value and
 * the allowed range. */
int ttt_params_check(ttt_params *p, char *msg);

/* Writes every key as "PREFIXkey = value" lines; with comments, each line is
 * followed by its range and meaning, so the output is a valid config file.
 * Returns 0, or -1 on a write error (errno set). */
int ttt_params_write(const ttt_params *p, FILE *out, const char *prefix, int comments);

/* What kind of value a key takes: TTT_KEY_WHOLE (a whole number), TTT_KEY_REAL,
 * TTT_KEY_WORD (an enum), TTT_KEY_SEED, or TTT_KEY_UNKNOWN. */
typedef enum { TTT_KEY_UNKNOWN, TTT_KEY_WHOLE, TTT_KEY_REAL, TTT_KEY_WORD, TTT_KEY_SEED } ttt_key_kind;
ttt_key_kind ttt_params_key_kind(const char *key);

/* The value of one key as text (as `ttt defaults` writes it) into buf;
 * returns buf, or NULL for an unknown key. */
char *ttt_params_format(const ttt_params *p, const char *key, char *buf, size_t len);

/* The shortest text (%.Ng, N <= 17) that reads back to exactly x: 0.1, not
 * 0.10000000000000001.  How every real-valued key is printed. */
void ttt_params_shortest(double x, char *buf, size_t len);

/* The text name of an enum key's value, e.g. ttt_params_enum_name("space",
 * TTT_SPACE_CONCEPT) is "concept" ("?" for an unknown key or value).  value
 * is an int because one function serves every enum key, each of its own type. */
const char *ttt_params_enum_name(const char *key, int value);

#endif
