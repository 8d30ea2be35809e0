/* ttt_params — the key table, parsing and checks.  See ttt_params.h. */
#define _POSIX_C_SOURCE 200809L
#include "ttt_params.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_msg.h"

typedef enum { K_SIZE, K_DOUBLE, K_ULONG, K_ENUM } kind;

typedef struct {
    const char *name;
    kind type;
    size_t offset;
    const char *def;         /* default, as text */
    double lo, hi;           /* allowed range of numeric keys (checked at parse) */
    const char *const *names;/* NULL-terminated value names of enum keys */
    const char *range;       /* the range in words, for messages and `ttt defaults` */
    const char *doc;
} key;

static const char *const dictionary_names[] = {"gaussian", "rademacher", "orthonormal", NULL};
static const char *const magnitude_names[] = {"positive", "signed", "constant", NULL};
static const char *const space_names[] = {"feature", "concept", NULL};
static const char *const metric_names[] = {"euclidean", "cosine", NULL};
static const char *const switch_names[] = {"off", "on", NULL};
static const char *const w_law_names[] = {"gaussian", "sparse", "student", "power", NULL};
static const char *const generator_names[] = {"auto", "stream", "counter", NULL};
static const char *const train_names[] = {"auto", "stored", "streamed", NULL};

#define OFF(f) offsetof(ttt_params, f)
/* Upper bounds keep every product of sizes far from overflow and within the
 * memory of a workstation; they are limits of this program, not of the model. */
static const key keys[] = {
    {"d1", K_SIZE, OFF(d1), "4096", 1, 1e9, NULL, "1 <= d1 <= 1000000000",
     "concepts: dictionary size, columns of A"},
    {"d2", K_SIZE, OFF(d2), "128", 1, 65536, NULL, "1 <= d2 <= 65536",
     "features: model width, rows of A"},
    {"s", K_SIZE, OFF(s), "8", 1, 1e7, NULL, "1 <= s <= pool",
     "concepts active per point, drawn from its topic's pool"},
    {"topics", K_SIZE, OFF(topics), "256", 1, 1e6, NULL, "1 <= topics <= 1000000",
     "T: number of topics (semantic clusters), each with its own pool"},
    {"pool", K_SIZE, OFF(pool), "0", 0, 1e7, NULL, "s <= pool <= d1, or 0",
     "p: concepts in each topic's pool; 0 means min(round(pool_ratio s), d1)"},
    {"pool_ratio", K_DOUBLE, OFF(pool_ratio), "2", 1, 1e6, NULL, "1 <= pool_ratio <= 1e6",
     "pool = 0 means a pool of round(pool_ratio s) concepts (at most d1): 2 by default, 1 for pool = s"},
    {"background", K_SIZE, OFF(background), "0", 0, 1e7, NULL, "0 <= background <= d1 - s",
     "b: extra concepts per point, drawn uniformly from all d1"},
    {"n", K_SIZE, OFF(n), "50000", 1, 1e8, NULL, "1 <= n <= 100000000",
     "training points"},
    {"m", K_SIZE, OFF(m), "500", 2, 1e7, NULL, "2 <= m <= 10000000",
     "test points (at least 2: every MSE comes with a standard error)"},
    {"k", K_SIZE, OFF(k), "50", 1, 1e8, NULL, "1 <= k <= n",
     "neighbourhood size of the local (TTT) estimators"},
    {"sigma", K_DOUBLE, OFF(sigma), "0.1", 0, 1e6, NULL, "0 <= sigma <= 1e6",
     "label noise standard deviation"},
    {"feature_noise", K_DOUBLE, OFF(feature_noise), "0", 0, 1e6, NULL, "0 <= feature_noise <= 1e6",
     "standard deviation of isotropic Gaussian noise added to each feature"},
    {"seed", K_ULONG, OFF(seed), "1", 0, 18446744073709551615.0, NULL, "0 <= seed < 2^64",
     "the one seed every random stream is derived from"},
    {"dictionary", K_ENUM, OFF(dictionary), "gaussian", 0, 0, dictionary_names,
     "gaussian | rademacher | orthonormal",
     "ensemble of A: unit-norm Gaussian columns, +-1/sqrt(d2) entries, or orthonormal columns (d1 <= d2)"},
    {"magnitudes", K_ENUM, OFF(magnitudes), "positive", 0, 0, magnitude_names,
     "positive | signed | constant",
     "law of active magnitudes before normalising: |N(0,1)| + 0.5, N(0,1), or 1"},
    {"space", K_ENUM, OFF(space), "feature", 0, 0, space_names, "feature | concept",
     "where neighbourhoods are chosen: features psi (real TTT) or codes phi (oracle)"},
    {"metric", K_ENUM, OFF(metric), "euclidean", 0, 0, metric_names, "euclidean | cosine",
     "distance used to choose neighbours"},
    {"ridge", K_DOUBLE, OFF(ridge), "0", 0, 1e12, NULL, "0 <= ridge <= 1e12",
     "ridge penalty on ||v - v0||^2 for global and local least squares (0: min-distance solution)"},
    {"rcond", K_DOUBLE, OFF(rcond), "1e-6", 1e-15, 0.5, NULL, "1e-15 <= rcond <= 0.5",
     "singular values below rcond * the largest are treated as zero (rank decisions)"},
    {"gd_steps", K_SIZE, OFF(gd_steps), "0", 0, 1e6, NULL, "0 <= gd_steps <= 1000000",
     "gradient steps of estimator ttt_gd from the global head (0: ttt_gd off)"},
    {"gd_eta", K_DOUBLE, OFF(gd_eta), "0.5", 1e-12, 1e6, NULL, "1e-12 <= gd_eta <= 1e6",
     "step size of ttt_gd on the loss (1/2k) sum (y - <psi, v>)^2"},
    {"sparse", K_ENUM, OFF(sparse), "on", 0, 0, switch_names, "on | off",
     "run the concept-space sparse estimators lasso, lasso_decoded and omp"},
    {"lasso_c", K_DOUBLE, OFF(lasso_c), "1", 0, 1e6, NULL, "0 <= lasso_c <= 1e6",
     "Lasso penalty lambda = lasso_c sigma sqrt(2 log(d1)/k) max_j ||Phi_j||/sqrt(k); OMP stops below lasso_c sigma sqrt(2 log d1)"},
    {"lasso_refit", K_ENUM, OFF(lasso_refit), "off", 0, 0, switch_names, "on | off",
     "refit least squares on the support the Lasso selects"},
    {"lasso_tol", K_DOUBLE, OFF(lasso_tol), "1e-10", 1e-15, 0.1, NULL, "1e-15 <= lasso_tol <= 0.1",
     "Lasso converged when its KKT violation <= lasso_tol * max(lambda_max, lambda)"},
    {"lasso_sweeps", K_SIZE, OFF(lasso_sweeps), "100000", 1, 1e9, NULL, "1 <= lasso_sweeps <= 1e9",
     "most coordinate-descent sweeps per Lasso fit"},
    {"decode_tol", K_DOUBLE, OFF(decode_tol), "1e-8", 0, 1, NULL, "0 <= decode_tol <= 1",
     "sparse coding of features stops when ||residual|| <= decode_tol ||psi|| (or after s + background atoms)"},
    {"w_law", K_ENUM, OFF(w_law), "gaussian", 0, 0, w_law_names, "gaussian | sparse | student | power",
     "law of w*: N(0,1); a fraction w_rho of concepts with N(0,1)/sqrt(w_rho); Student t (3 dof) / sqrt(3); "
     "|w*_j| ~ rank^-w_alpha, random ranks and signs (each has E w_j^2 = 1)"},
    {"w_rho", K_DOUBLE, OFF(w_rho), "0.1", 1e-6, 1, NULL, "1e-6 <= w_rho <= 1",
     "w_law = sparse: fraction of concepts that carry label weight"},
    {"w_alpha", K_DOUBLE, OFF(w_alpha), "1", 0, 10, NULL, "0 <= w_alpha <= 10",
     "w_law = power: exponent of the power law of |w*_j| over a random ranking of the concepts"},
    {"generator", K_ENUM, OFF(generator), "auto", 0, 0, generator_names, "auto | stream | counter",
     "how A and w* are drawn: stream (one sequential stream, A stored whole: the instances of earlier versions; "
     "d1 <= 1e7, d1 d2 <= 1e9), counter (column j of A and w*_j from their own counter-based stream (seed, j), "
     "generated where needed; d1 <= 1e9); auto: stream where it is allowed, else counter"},
    {"train", K_ENUM, OFF(train), "auto", 0, 0, train_names, "auto | stored | streamed",
     "how the training set is held: stored whole, or streamed (drawn again tile by tile from its streams for the "
     "global fit and the neighbour searches; only the neighbours are kept); auto: streamed above 1 GiB"},
    {"h2_factor", K_DOUBLE, OFF(h2_factor), "1.1", 1, 100, NULL, "1 <= h2_factor <= 100",
     "H2: the top concepts suffice once least squares on them has expected error <= h2_factor * the best over r"},
    {"threads", K_SIZE, OFF(threads), "0", 0, 1024, NULL, "0 <= threads <= 1024",
     "OpenMP threads (0: OMP_NUM_THREADS or all cores); results do not depend on it"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* The fields of the enum keys, each of its own enum type.  An enum need not
 * be stored as an int, so these are set and read by name (the key's offset
 * picks the case), never through an int pointer. */
#define ENUM_FIELDS(X)                                                                                         \
    X(dictionary, ttt_dictionary) X(magnitudes, ttt_magnitudes) X(space, ttt_space) X(metric, ttt_metric)     \
    X(sparse, ttt_switch) X(lasso_refit, ttt_switch) X(w_law, ttt_w_law) X(generator, ttt_generator)     \
    X(train, ttt_train)

/* Sets the enum field at offset to value (an index into the key's names). */
static void enum_set(ttt_params *p, size_t offset, int value)
{
#define SET(field, type) case OFF(field): p->field = (type)value; break;
    switch (offset) {
        ENUM_FIELDS(SET)
    }
#undef SET
}

/* The value of the enum field at offset, as an index into the key's names. */
static int enum_get(const ttt_params *p, size_t offset)
{
#define GET(field, type) case OFF(field): return (int)p->field;
    switch (offset) {
        ENUM_FIELDS(GET)
    }
#undef GET
    return 0;
}

/* Named configurations.  Each is a list of key=value words applied in order;
 * the README's "Presets" section says what each shows, with its numbers. */
typedef struct {
    const char *name, *about, *words;
} preset;

static const preset presets[] = {
    {"default", "the documented defaults: sets no key", ""},
    {"theorem",
     "the theorem's regime: every point of a topic uses the same s concepts (pool = s), signed magnitudes, "
     "so the local concept design is well conditioned and s-sparse; the Lasso follows C sigma^2 s log(d1/s)/k",
     "magnitudes=signed pool=0 pool_ratio=1 topics=32 n=50000 m=200"},
    {"paper-sae",
     "the paper's SAE setting: d1 = 4096, d2 = 512, s = 16, k = 50, |S| near 180 concepts per neighbourhood, "
     "label weight on a few of them (sparse w*) so that about 40 suffice",
     "d1=4096 d2=512 s=16 k=50 pool=124 topics=64 n=50000 m=200 w_law=sparse w_rho=0.4"},
    {"isotropic",
     "the lower bound's setting: one topic whose pool is all d1 concepts, signed magnitudes (E phi phi' = I/d1); "
     "global relative error 1 - d2/d1 (pool follows d1)",
     "d1=512 d2=128 topics=1 pool=0 pool_ratio=1e6 magnitudes=signed n=20000 m=1000 k=10 sparse=off"},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

size_t ttt_params_preset_count(void)
{
    return NPRESETS;
}

const char *ttt_params_preset_name(size_t i)
{
    return i < NPRESETS ? presets[i].name : "?";
}

const char *ttt_params_preset_about(size_t i)
{
    return i < NPRESETS ? presets[i].about : "?";
}

const char *ttt_params_preset_words(size_t i)
{
    return i < NPRESETS ? presets[i].words : "";
}

/* Applies preset `name`: sets its keys where it stands, so keys set before it
 * that it does not name are kept, and keys after it override it. */
static int apply_preset(ttt_params *p, const char *name, char *msg)
{
    for (size_t i = 0; i < NPRESETS; i++) {
        if (strcmp(presets[i].name, name) != 0)
            continue;
        char word[128];
        for (const char *w = presets[i].words; *w;) {
            size_t len = strcspn(w, " ");
            snprintf(word, sizeof word, "%.*s", (int)len, w);
            int status = ttt_params_set_word(p, word, msg);
            if (status)
                return status; /* a preset that does not parse is a bug the tests catch */
            w += len + (w[len] == ' ');
        }
        return GSL_SUCCESS;
    }
    char names[256] = "";
    for (size_t i = 0; i < NPRESETS; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " | " : "", presets[i].name);
    ttt_msg(msg, TTT_MSG, "preset = '%.64s' is not known; allowed: %s (see 'ttt presets')", name, names);
    return GSL_EINVAL;
}

static const key *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static const char *known_keys(void)
{
    static char list[512];
    if (list[0] == '\0') {
        for (size_t i = 0; i < NKEYS; i++) {
            strcat(list, keys[i].name);
            if (i + 1 < NKEYS)
                strcat(list, " ");
        }
    }
    return list;
}

int ttt_params_whole(const char *text, double *out)
{
    /* digits [. digits] [e|E [+|-] digits]: what strtod reads, minus signs,
     * spaces, hex, inf and nan */
    const char *c = text;
    if (!isdigit((unsigned char)*c))
        return GSL_EINVAL;
    while (isdigit((unsigned char)*c))
        c++;
    if (*c == '.')
        for (c++; isdigit((unsigned char)*c);)
            c++;
    if (*c == 'e' || *c == 'E') {
        c++;
        if (*c == '+' || *c == '-')
            c++;
        if (!isdigit((unsigned char)*c))
            return GSL_EINVAL;
        while (isdigit((unsigned char)*c))
            c++;
    }
    if (*c != '\0')
        return GSL_EINVAL;
    errno = 0;
    double v = strtod(text, NULL);
    if (errno == ERANGE || !isfinite(v) || v != floor(v))
        return GSL_EINVAL;
    *out = v;
    return GSL_SUCCESS;
}

/* Parses a finite number, or for whole-number keys a whole number as
 * ttt_params_whole reads it (such as 5e4): GSL_SUCCESS or GSL_EINVAL. */
static int parse_number(const char *text, double *out, int integral)
{
    if (integral)
        return ttt_params_whole(text, out);
    char *end;
    if (*text == '\0' || isspace((unsigned char)*text) || strpbrk(text, "xX")) /* no hex (0x1p-3) */
        return GSL_EINVAL;
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return GSL_EINVAL;
    *out = v;
    return GSL_SUCCESS;
}

int ttt_params_set(ttt_params *p, const char *name, const char *value, char *msg)
{
    if (strcmp(name, "preset") == 0)
        return apply_preset(p, value, msg);
    const key *kp = find_key(name);
    if (!kp) {
        ttt_msg(msg, TTT_MSG, "unknown key '%.64s'; known keys: preset %s", name, known_keys());
        return GSL_EINVAL;
    }
    char *base = (char *)p + kp->offset;
    if (kp->type == K_ENUM) {
        for (int i = 0; kp->names[i]; i++)
            if (strcmp(kp->names[i], value) == 0) {
                enum_set(p, kp->offset, i);
                return GSL_SUCCESS;
            }
        ttt_msg(msg, TTT_MSG, "%s = '%s' is not allowed; allowed: %s", name, value, kp->range);
        return GSL_EINVAL;
    }
    if (kp->type == K_ULONG) {
        /* Seeds are used to 64 bits, so read them exactly, not through a
         * double: digits only (strtoull alone would take " -1" as 2^64 - 1). */
        char *end;
        errno = 0;
        unsigned long long v = isdigit((unsigned char)*value) ? strtoull(value, &end, 10) : 0;
        if (!isdigit((unsigned char)*value) || *end != '\0' || errno == ERANGE) {
            ttt_msg(msg, TTT_MSG, "%s = '%s' is not a whole number; allowed: %s", name, value, kp->range);
            return GSL_EINVAL;
        }
        *(unsigned long *)base = (unsigned long)v;
        return GSL_SUCCESS;
    }
    double v;
    if (parse_number(value, &v, kp->type == K_SIZE) != GSL_SUCCESS) {
        ttt_msg(msg, TTT_MSG, "%s = '%s' is not a %s; allowed: %s", name, value,
                kp->type == K_SIZE ? "whole number"
                                   : "finite number in double precision (1e-308 to 1e308 in size, or 0)",
                kp->range);
        return GSL_EINVAL;
    }
    if (v < kp->lo || v > kp->hi) {
        ttt_msg(msg, TTT_MSG, "%s = %s is out of range; allowed: %s", name, value, kp->range);
        return GSL_EINVAL;
    }
    if (kp->type == K_SIZE)
        *(size_t *)base = (size_t)v;
    else
        *(double *)base = v;
    return GSL_SUCCESS;
}

int ttt_params_set_word(ttt_params *p, const char *word, char *msg)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word) {
        ttt_msg(msg, TTT_MSG, "'%s' is not of the form key=value; allowed: key=value (ttt defaults lists the keys)",
                word);
        return GSL_EINVAL;
    }
    char name[64];
    size_t len = (size_t)(eq - word);
    if (len >= sizeof name) {
        ttt_msg(msg, TTT_MSG, "unknown key '%.*s...'; known keys: preset %s", 20, word, known_keys());
        return GSL_EINVAL;
    }
    memcpy(name, word, len);
    name[len] = '\0';
    return ttt_params_set(p, name, eq + 1, msg);
}

void ttt_params_default(ttt_params *p)
{
    char msg[TTT_MSG];
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < NKEYS; i++)
        ttt_params_set(p, keys[i].name, keys[i].def, msg);
}

static char *trim(char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    char *e = t + strlen(t);
    while (e > t && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return t;
}

/* A config file that cannot be opened or read: the caller's input (missing,
 * a directory, unreadable: GSL_EINVAL), unless memory ran out (GSL_ENOMEM). */
static int cannot_read(const char *name, int err, char *msg)
{
    ttt_msg(msg, TTT_MSG, "cannot read config file '%s': %s", name, ttt_msg_errno(err));
    return err == ENOMEM ? GSL_ENOMEM : GSL_EINVAL;
}

int ttt_params_read_stream(ttt_params *p, FILE *fp, const char *name, char *msg)
{
    /* Lines of any length (getline); the line where each key was set, to
     * refuse a key set twice (index NKEYS: preset). */
    char *line = NULL, inner[TTT_MSG];
    size_t cap = 0, lineno = 0, first[NKEYS + 1] = {0};
    ssize_t got;
    int status = GSL_SUCCESS;
    errno = 0;
    while (!status && (got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)got)) {
            ttt_msg(msg, TTT_MSG, "%s:%zu: NUL byte; allowed: text lines \"key = value\" and '#' comments",
                    name, lineno);
            status = GSL_EINVAL;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *t = trim(line);
        if (*t == '\0')
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            ttt_msg(msg, TTT_MSG, "%s:%zu: '%.60s' is not of the form key = value", name, lineno, t);
            status = GSL_EINVAL;
            break;
        }
        *eq = '\0';
        const char *keyname = trim(t);
        const key *kp = find_key(keyname);
        size_t slot = kp ? (size_t)(kp - keys) : !strcmp(keyname, "preset") ? NKEYS : NKEYS + 1;
        if (slot <= NKEYS && first[slot]) {
            ttt_msg(msg, TTT_MSG, "%s:%zu: %s is set twice (first on line %zu); allowed: each key once per "
                    "file (key=value words on the command line override the file)", name, lineno, keyname, first[slot]);
            status = GSL_EINVAL;
            break;
        }
        if (slot <= NKEYS)
            first[slot] = lineno;
        status = ttt_params_set(p, keyname, trim(eq + 1), inner);
        if (status)
            ttt_msg(msg, TTT_MSG, "%s:%zu: %s", name, lineno, inner);
        errno = 0;
    }
    if (!status && ferror(fp))
        status = cannot_read(name, errno, msg);
    free(line);
    return status;
}

int ttt_params_read_file(ttt_params *p, const char *path, char *msg)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return cannot_read(path, errno, msg);
    int status = ttt_params_read_stream(p, fp, path, msg);
    fclose(fp);
    return status;
}

int ttt_params_check(ttt_params *p, char *msg)
{
    if (p->pool == 0) {
        double want = floor(p->pool_ratio * (double)p->s + 0.5);
        p->pool = want < (double)p->d1 ? (size_t)want : p->d1;
    }
    if (p->s > p->pool) {
        ttt_msg(msg, TTT_MSG, "s = %zu is out of range; allowed: 1 <= s <= pool (pool = %zu)", p->s, p->pool);
        return GSL_EINVAL;
    }
    if (p->pool > p->d1) {
        ttt_msg(msg, TTT_MSG, "pool = %zu is out of range; allowed: s <= pool <= d1 (d1 = %zu)", p->pool, p->d1);
        return GSL_EINVAL;
    }
    if (p->background > p->d1 - p->s) {
        ttt_msg(msg, TTT_MSG,
                 "background = %zu is out of range; allowed: 0 <= background <= d1 - s (= %zu)",
                 p->background, p->d1 - p->s);
        return GSL_EINVAL;
    }
    if (p->k > p->n) {
        ttt_msg(msg, TTT_MSG, "k = %zu is out of range; allowed: 1 <= k <= n (n = %zu)", p->k, p->n);
        return GSL_EINVAL;
    }
    if (p->dictionary == TTT_DICT_ORTHONORMAL && p->d1 > p->d2) {
        ttt_msg(msg, TTT_MSG,
                 "dictionary = orthonormal needs d1 <= d2 (no superposition), but d1 = %zu > d2 = %zu",
                 p->d1, p->d2);
        return GSL_EINVAL;
    }
    /* Memory guards: the largest arrays are n x d2 features, n x (s+b) codes,
     * d1 x d2 for a stored A (above), d2 x d2 for the global fit and the
     * analytic covariance, and topics x pool for the pools. */
    const double cells = 1e9;
    size_t q = p->s + p->background;
    const double width = (double)(p->d2 > q ? p->d2 : q);
    if ((double)p->m * width > cells) {
        ttt_msg(msg, TTT_MSG, "m = %zu with d2 = %zu and s + background = %zu needs more than 1e9 cells; allowed: "
                "m * max(d2, s + background) <= 1e9", p->m, p->d2, q);
        return GSL_EINVAL;
    }
    if (p->train == TTT_TRAIN_STORED && (double)p->n * width > cells) {
        ttt_msg(msg, TTT_MSG, "n = %zu with train = stored, d2 = %zu and s + background = %zu needs more than 1e9 "
                "cells; allowed: n * max(d2, s + background) <= 1e9, or train = streamed (or auto)", p->n, p->d2, q);
        return GSL_EINVAL;
    }
    const double d1d2 = (double)p->d1 * (double)p->d2;
    const int stream_fits = (double)p->d1 <= TTT_STREAM_MAX_D1 && d1d2 <= TTT_STREAM_MAX_CELLS;
    if (p->generator == TTT_GEN_AUTO)
        p->generator = stream_fits ? TTT_GEN_STREAM : TTT_GEN_COUNTER;
    if (p->generator == TTT_GEN_STREAM && !stream_fits) {
        ttt_msg(msg, TTT_MSG,
                "generator = stream stores A whole, but d1 = %zu, d2 = %zu; allowed: d1 <= 1e7 and d1 * d2 <= 1e9 "
                "(or generator = counter)", p->d1, p->d2);
        return GSL_EINVAL;
    }
    if (p->train == TTT_TRAIN_AUTO)
        p->train = (double)p->n * ttt_params_point_bytes(p) > TTT_TRAIN_STORED_BYTES ? TTT_TRAIN_STREAMED
                                                                                       : TTT_TRAIN_STORED;
    if (p->sparse == TTT_ON && !ttt_params_stores_A(p)) {
        ttt_msg(msg, TTT_MSG,
                "sparse = on decodes against all d1 atoms, which needs A stored, but d1 * d2 = %g; allowed: "
                "d1 * d2 <= %.0f with generator = counter, or sparse = off", d1d2, TTT_COUNTER_DENSE_CELLS);
        return GSL_EINVAL;
    }
    if ((double)p->d2 * (double)p->d2 > cells) {
        ttt_msg(msg, TTT_MSG, "d2 = %zu needs d2 x d2 matrices of %g cells; allowed: d2 * d2 <= 1e9",
                 p->d2, (double)p->d2 * (double)p->d2);
        return GSL_EINVAL;
    }
    if ((double)p->topics * (double)p->pool > cells) {
        ttt_msg(msg, TTT_MSG, "topics * pool = %g is too large; allowed: topics * pool <= 1e9",
                 (double)p->topics * (double)p->pool);
        return GSL_EINVAL;
    }
    if ((double)p->m * (double)p->k > cells) {
        ttt_msg(msg, TTT_MSG, "m * k = %g is too large; allowed: m * k <= 1e9",
                 (double)p->m * (double)p->k);
        return GSL_EINVAL;
    }
    return GSL_SUCCESS;
}

int ttt_params_streams_train(const ttt_params *p)
{
    return p->train == TTT_TRAIN_STREAMED;
}

double ttt_params_point_bytes(const ttt_params *p)
{
    return 8.0 * (double)p->d2 + 12.0 * (double)(p->s + p->background) + 20.0;
}

int ttt_params_stores_A(const ttt_params *p)
{
    return p->generator == TTT_GEN_STREAM || p->dictionary == TTT_DICT_ORTHONORMAL ||
           (double)p->d1 * (double)p->d2 <= TTT_COUNTER_DENSE_CELLS;
}

void ttt_params_shortest(double x, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static void format_value(const ttt_params *p, const key *kp, char *buf, size_t len)
{
    const char *base = (const char *)p + kp->offset;
    switch (kp->type) {
    case K_SIZE: snprintf(buf, len, "%zu", *(const size_t *)base); break;
    case K_DOUBLE: ttt_params_shortest(*(const double *)base, buf, len); break;
    case K_ULONG: snprintf(buf, len, "%lu", *(const unsigned long *)base); break;
    case K_ENUM: snprintf(buf, len, "%s", kp->names[enum_get(p, kp->offset)]); break;
    }
}

int ttt_params_write(const ttt_params *p, FILE *out, const char *prefix, int comments)
{
    char value[64];
    for (size_t i = 0; i < NKEYS; i++) {
        format_value(p, &keys[i], value, sizeof value);
        if (comments)
            fprintf(out, "%s%-13s = %-10s # %s; %s\n", prefix, keys[i].name, value, keys[i].range, keys[i].doc);
        else
            fprintf(out, "%s%s = %s\n", prefix, keys[i].name, value);
    }
    return ferror(out) ? -1 : 0;
}

const char *ttt_params_enum_name(const char *name, int value)
{
    const key *kp = find_key(name);
    if (!kp || kp->type != K_ENUM || value < 0)
        return "?";
    for (int i = 0; kp->names[i]; i++)
        if (i == value)
            return kp->names[i];
    return "?";
}

ttt_key_kind ttt_params_key_kind(const char *name)
{
    const key *kp = find_key(name);
    if (!kp)
        return TTT_KEY_UNKNOWN;
    switch (kp->type) {
    case K_SIZE: return TTT_KEY_WHOLE;
    case K_DOUBLE: return TTT_KEY_REAL;
    case K_ENUM: return TTT_KEY_WORD;
    default: return TTT_KEY_SEED;
    }
}

char *ttt_params_format(const ttt_params *p, const char *name, char *buf, size_t len)
{
    const key *kp = find_key(name);
    if (!kp)
        return NULL;
    format_value(p, kp, buf, len);
    return buf;
}
