/* ttt_generate — see ttt_generate.h. */
#include "ttt_generate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_idmap.h"
#include "ttt_kernel.h"
#include "ttt_mem.h"
#include "ttt_rng.h"

/* Codes of at most SHORT_CODE concepts look up the ones chosen so far by
 * a scan of them, fewer steps than a hash (marks NULL); longer ones in
 * marks. */
#define SHORT_CODE 16

/* Whether key is among out[0..c), the c chosen so far (and kept in marks
 * when it is not NULL). */
static int taken(const ttt_idmap *marks, const int32_t *out, size_t c, int32_t key)
{
    if (marks)
        return ttt_idmap_find(marks, key) >= 0;
    for (size_t a = 0; a < c; a++)
        if (out[a] == key)
            return 1;
    return 0;
}

/* Floyd's algorithm: `count` distinct draws from items[0..len-1], uniformly
 * over subsets, in O(count) time using marks (empty on entry; the caller
 * clears the entries it set). */
static void choose_distinct(gsl_rng *r, const int32_t *items, size_t len, size_t count,
                            ttt_idmap *marks, int32_t *out)
{
    for (size_t j = len - count, c = 0; j < len; j++, c++) {
        int32_t pick = items ? items[gsl_rng_uniform_int(r, j + 1)] : (int32_t)gsl_rng_uniform_int(r, j + 1);
        if (taken(marks, out, c, pick))
            pick = items ? items[j] : (int32_t)j;
        if (marks)
            ttt_idmap_add(marks, pick);
        out[c] = pick;
    }
}

/* Insertion sort of (idx, val) pairs by idx: q is small. */
static void sort_pairs(int32_t *idx, double *val, size_t q)
{
    for (size_t i = 1; i < q; i++) {
        int32_t ki = idx[i];
        double vi = val[i];
        size_t j = i;
        for (; j > 0 && idx[j - 1] > ki; j--) {
            idx[j] = idx[j - 1];
            val[j] = val[j - 1];
        }
        idx[j] = ki;
        val[j] = vi;
    }
}

void ttt_generate_magnitudes(gsl_rng *r, ttt_magnitudes magnitudes, size_t q, double *val)
{
    double norm2;
    do { /* a signed draw of all zeros has probability 0, but never divide by it */
        norm2 = 0.0;
        for (size_t a = 0; a < q; a++) {
            double u;
            switch (magnitudes) {
            case TTT_MAG_SIGNED: u = gsl_ran_gaussian_ziggurat(r, 1.0); break;
            case TTT_MAG_CONSTANT: u = 1.0; break;
            default: u = fabs(gsl_ran_gaussian_ziggurat(r, 1.0)) + 0.5; break;
            }
            val[a] = u;
            norm2 += u * u;
        }
    } while (norm2 == 0.0);
    double scale = 1.0 / sqrt(norm2);
    for (size_t a = 0; a < q; a++)
        val[a] *= scale;
}

int32_t ttt_generate_code(const ttt_instance *in, gsl_rng *r, long t, ttt_idmap *marks,
                          int32_t *idx, double *val)
{
    const ttt_params *p = &in->p;
    int32_t topic = t >= 0 ? (int32_t)t : (int32_t)gsl_rng_uniform_int(r, p->topics);
    marks = in->q <= SHORT_CODE ? NULL : marks;
    choose_distinct(r, in->pools + (size_t)topic * p->pool, p->pool, p->s, marks, idx);
    /* Background concepts: uniform over the d1 - s concepts not yet active
     * (rejection; b <= d1 - s is checked, so it terminates). */
    for (size_t a = p->s; a < in->q; a++) {
        int32_t c;
        do
            c = (int32_t)gsl_rng_uniform_int(r, p->d1);
        while (taken(marks, idx, a, c));
        if (marks)
            ttt_idmap_add(marks, c);
        idx[a] = c;
    }
    if (marks)
        ttt_idmap_clear(marks);
    ttt_generate_magnitudes(r, p->magnitudes, in->q, val);
    sort_pairs(idx, val, in->q);
    return topic;
}

int ttt_data_alloc(ttt_data *d, size_t n, size_t q, size_t d2)
{
    d->n = n;
    d->q = q;
    d->d2 = d2;
    n = n ? n : 1; /* an empty set (a streamed training set) is still freed as one */
    d->phi_idx = ttt_mem_alloc(n * q, sizeof *d->phi_idx);
    d->phi_val = ttt_mem_alloc(n * q, sizeof *d->phi_val);
    d->psi = ttt_mem_alloc(n * d2, sizeof *d->psi);
    d->f = ttt_mem_alloc(n, sizeof *d->f);
    d->y = ttt_mem_alloc(n, sizeof *d->y);
    d->topic = ttt_mem_alloc(n, sizeof *d->topic);
    d->norm2 = ttt_mem_alloc(n, sizeof *d->norm2);
    d->norms_valid = 0;
    return d->phi_idx && d->phi_val && d->psi && d->f && d->y && d->topic && d->norm2 ? 0 : -1;
}

void ttt_data_norms(const double *v, size_t rows, size_t width, double *norm2)
{
    for (size_t j0 = 0; j0 < rows; j0 += 8) {
        const size_t nr = rows - j0 < 8 ? rows - j0 : 8;
        const double *x[8];
        for (size_t r = 0; r < 8; r++)
            x[r] = v + (j0 + (r < nr ? r : 0)) * width;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
        for (size_t l = 0; l < width; l++) {
            s0 += x[0][l] * x[0][l];
            s1 += x[1][l] * x[1][l];
            s2 += x[2][l] * x[2][l];
            s3 += x[3][l] * x[3][l];
            s4 += x[4][l] * x[4][l];
            s5 += x[5][l] * x[5][l];
            s6 += x[6][l] * x[6][l];
            s7 += x[7][l] * x[7][l];
        }
        const double sum[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
        memcpy(norm2 + j0, sum, nr * sizeof *norm2);
    }
}

void ttt_data_free(ttt_data *d)
{
    free(d->phi_idx);
    free(d->phi_val);
    free(d->psi);
    free(d->f);
    free(d->y);
    free(d->topic);
    free(d->norm2);
}

/* A thread's scratch for columns drawn on demand (ttt_instance_column). */
struct ttt_concept_ws {
    gsl_rng *r;  /* counter-based */
    double *col; /* d2 */
};

/* Columns of a code summed per call of features_of: a code's columns drawn
 * on demand are kept that many at a time. */
#define FEATURE_COLS 16

/* One thread's scratch for drawing points. */
typedef struct {
    gsl_rng *r; /* counter-based: a point block's stream is (seed, purpose, block) */
    ttt_idmap *marks;
    ttt_concept_ws *ws;
    long *slot; /* q: a code's concepts' slots in in->used (-1: none) */
    const double **col; /* FEATURE_COLS: its columns, a piece at a time */
    double *own;        /* FEATURE_COLS x d2: room for the columns drawn on demand */
    double *sum;        /* d2: the features summed so far over the pieces */
} draw_ws;

static void draw_ws_free(draw_ws *w)
{
    gsl_rng_free(w->r);
    ttt_idmap_free(w->marks);
    ttt_concept_ws_free(w->ws);
    free(w->slot);
    free(w->col);
    free(w->own);
    free(w->sum);
}

static int draw_ws_alloc(const ttt_instance *in, draw_ws *w)
{
    w->r = ttt_rng_counter_alloc();
    w->marks = ttt_idmap_alloc(in->q);
    w->ws = ttt_concept_ws_alloc(in);
    w->slot = malloc(in->q * sizeof *w->slot);
    w->col = malloc(FEATURE_COLS * sizeof *w->col);
    w->own = malloc(FEATURE_COLS * in->p.d2 * sizeof *w->own);
    w->sum = malloc(in->p.d2 * sizeof *w->sum);
    if (w->r && w->marks && w->ws && w->slot && w->col && w->own && w->sum)
        return 0;
    draw_ws_free(w);
    return -1;
}

/* out (d2) = from + sum_a v[a] col[a] (from NULL: 0.0), the terms added in
 * slot order, plus noise (when not NULL): eight entries at a time, in
 * one vector (GNU C's vector extension: registers, where the target has
 * them) summed over the q columns and stored once, rather than read and
 * written again for every column.  Each lane multiplies and adds as the
 * scalar code would (no contraction into FMAs: -ffp-contract=off, which
 * the Makefile sets for gcc and clang alike), so the bits do not depend
 * on the vector width; the body is compiled twice, for AVX-512 and for the
 * baseline, and the first runs where the CPU has it.  A code's sum taken in
 * pieces, each piece from the last one's out, has the bits of one sum. */
typedef double v8d __attribute__((vector_size(8 * sizeof(double))));

static inline __attribute__((always_inline)) void features_body(const double *const *col, const double *v, size_t q,
                                                                size_t d2, const double *from, const double *noise,
                                                                double *out)
{
    size_t j = 0;
    for (; j + 8 <= d2; j += 8) {
        v8d s = {0.0}, c;
        if (from)
            memcpy(&s, from + j, sizeof s);
        for (size_t a = 0; a < q; a++) {
            memcpy(&c, col[a] + j, sizeof c);
            s += v[a] * c;
        }
        if (noise) {
            memcpy(&c, noise + j, sizeof c);
            s += c;
        }
        memcpy(out + j, &s, sizeof s);
    }
    for (; j < d2; j++) {
        double s = from ? from[j] : 0.0;
        for (size_t a = 0; a < q; a++)
            s += v[a] * col[a][j];
        out[j] = noise ? s + noise[j] : s;
    }
}

#ifdef TTT_KERNEL /* x86-64 and GNU C, as for the kernels (ttt_kernel.h) */
__attribute__((target("avx512f"))) static void features_wide(const double *const *col, const double *v, size_t q,
                                                             size_t d2, const double *from, const double *noise,
                                                             double *out)
{
    features_body(col, v, q, d2, from, noise, out);
}
#endif

static void features_of(const double *const *col, const double *v, size_t q, size_t d2, const double *from,
                        const double *noise, double *out)
{
#ifdef TTT_KERNEL
    if (__builtin_cpu_supports("avx512f")) {
        features_wide(col, v, q, d2, from, noise, out);
        return;
    }
#endif
    features_body(col, v, q, d2, from, noise, out);
}

/* Block b of a set (the counter-based stream (seed, purpose, b): distinct
 * blocks draw from disjoint counters under one key, so no two blocks of an
 * instance can repeat each other's points), the random part of its first
 * `count` points, into rows row0, row0 + 1, ... of d: codes and topics,
 * the feature noise (into psi) and the label noise (into y), in the order
 * the stream gives them, point by point.  draw_block_features completes
 * them. */
static void draw_block_codes(const ttt_instance *in, draw_ws *w, ttt_stream purpose, size_t b, size_t count,
                             ttt_data *d, size_t row0)
{
    const ttt_params *p = &in->p;
    const size_t q = in->q, d2 = p->d2;
    gsl_rng *r = w->r;
    ttt_rng_counter_stream(r, p->seed, purpose, b);
    for (size_t i = row0; i < row0 + count; i++) {
        d->topic[i] = ttt_generate_code(in, r, -1, w->marks, d->phi_idx + i * q, d->phi_val + i * q);
        if (p->feature_noise > 0.0)
            for (size_t j = 0; j < d2; j++)
                d->psi[i * d2 + j] = gsl_ran_gaussian_ziggurat(r, p->feature_noise);
        d->y[i] = p->sigma > 0.0 ? gsl_ran_gaussian_ziggurat(r, p->sigma) : 0.0;
    }
}

/* The rest of those points: psi = A phi (plus the noise drawn), f =
 * <phi, w*>, y = f + the noise drawn, and ||psi||^2 while the block's rows
 * are in cache (the neighbour search's norms, which would otherwise be a
 * pass over all the features from memory). */
static void draw_block_features(const ttt_instance *in, draw_ws *w, size_t count, ttt_data *d, size_t row0)
{
    const ttt_params *p = &in->p;
    const size_t q = in->q, d2 = p->d2;
    for (size_t i = row0; i < row0 + count; i++) {
        const int32_t *idx = d->phi_idx + i * q;
        const double *val = d->phi_val + i * q;
        double f = 0.0;
        /* With only the used concepts stored (used_A, perhaps 10 GB), the
         * code's slots are looked up first and their columns and w* asked
         * for, so that these reads overlap instead of each waiting for its
         * lookup: generation twice as fast at 4e6 concepts in use. */
        if (in->used_A)
            for (size_t a = 0; a < q; a++) {
                const long u = ttt_instance_used_slot(in, idx[a]);
                w->slot[a] = u;
                if (u >= 0) {
                    __builtin_prefetch(in->used_A + (size_t)u * d2);
                    __builtin_prefetch(in->used_w + u);
                }
            }
        double *psi = d->psi + i * d2;
        for (size_t a0 = 0; a0 < q; a0 += FEATURE_COLS) { /* FEATURE_COLS columns at a time */
            const size_t na = q - a0 < FEATURE_COLS ? q - a0 : FEATURE_COLS;
            for (size_t a = a0; a < a0 + na; a++) {
                const long u = in->used_A ? w->slot[a] : -1;
                const double *col = u >= 0 ? in->used_A + (size_t)u * d2 : ttt_instance_column(in, idx[a], w->ws);
                if (col == w->ws->col) /* drawn into the one scratch column: kept */
                    col = memcpy(w->own + (a - a0) * d2, col, d2 * sizeof *col);
                w->col[a - a0] = col;
                f += val[a] * (u >= 0 ? in->used_w[u] : ttt_instance_w(in, idx[a], w->ws));
            }
            const int last = a0 + na == q;
            features_of(w->col, val + a0, na, d2, a0 ? w->sum : NULL, last && p->feature_noise > 0.0 ? psi : NULL,
                        last ? psi : w->sum);
        }
        d->f[i] = f;
        d->y[i] = f + d->y[i];
    }
    ttt_data_norms(d->psi + row0 * d2, count, d2, d->norm2 + row0);
}

/* Points in block b of a set of n (the last block may be short). */
static size_t block_points(size_t n, size_t b)
{
    const size_t B = TTT_GENERATE_BLOCK;
    return n - b * B < B ? n - b * B : B;
}

static void draw_block(const ttt_instance *in, draw_ws *w, ttt_stream purpose, size_t b, size_t count, ttt_data *d,
                       size_t row0)
{
    draw_block_codes(in, w, purpose, b, count, d, row0);
    draw_block_features(in, w, count, d, row0);
}

/* Draws points [first, first + d->n) of a set block by block into d
 * (first a multiple of TTT_GENERATE_BLOCK), in parallel over blocks. */
static int draw_points(const ttt_instance *in, ttt_data *d, ttt_stream purpose, size_t first)
{
    const size_t B = TTT_GENERATE_BLOCK, nblocks = (d->n + B - 1) / B;
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        draw_ws w;
        failed = draw_ws_alloc(in, &w) != 0;
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblocks; b++)
            if (!failed)
                draw_block(in, &w, purpose, first / B + b, block_points(d->n, b), d, b * B);
        if (!failed)
            draw_ws_free(&w);
    }
    d->norms_valid = !failed;
    return failed ? -1 : 0;
}

static int cmp_int32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Column entries from r: Gaussian, or +-1/sqrt(d2) (already unit norm). */
static void draw_column(gsl_rng *r, ttt_dictionary kind, size_t d2, double *a)
{
    if (kind == TTT_DICT_RADEMACHER) {
        const double v = 1.0 / sqrt((double)d2);
        for (size_t i = 0; i < d2; i++)
            a[i] = gsl_rng_uniform_int(r, 2) ? v : -v;
        return;
    }
    for (size_t i = 0; i < d2; i++)
        a[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
}

static void unit_norm(double *a, size_t d2)
{
    double scale = 1.0 / sqrt(dot(a, a, d2));
    for (size_t l = 0; l < d2; l++)
        a[l] *= scale;
}

/* Column j of a counter-generated dictionary, from stream (seed, j). */
static void counter_column(const ttt_params *p, gsl_rng *r, int32_t j, double *a)
{
    ttt_rng_counter_stream(r, p->seed, TTT_STREAM_DICTIONARY, (uint64_t)j);
    draw_column(r, p->dictionary, p->d2, a);
    if (p->dictionary != TTT_DICT_RADEMACHER)
        unit_norm(a, p->d2);
}

/* The whole of A, stored as the rows of in->A (d1 x d2): from one stream
 * (generator = stream) or column by column from their own streams.  Plain
 * loops rather than BLAS: the generator's output must not depend on which
 * CPU kernel a BLAS picks, so that golden files compare byte for byte on any
 * machine. */
static void draw_dictionary(ttt_instance *in, gsl_rng *r, gsl_rng *rc)
{
    const ttt_params *p = &in->p;
    const size_t d1 = p->d1, d2 = p->d2;
    double *A = in->A;
    ttt_rng_stream(r, p->seed, TTT_STREAM_DICTIONARY, 0);
    for (size_t j = 0; j < d1; j++) {
        if (p->generator == TTT_GEN_COUNTER)
            ttt_rng_counter_stream(rc, p->seed, TTT_STREAM_DICTIONARY, j);
        draw_column(p->generator == TTT_GEN_COUNTER ? rc : r, p->dictionary, d2, A + j * d2);
    }
    if (p->dictionary == TTT_DICT_RADEMACHER)
        return;
    for (size_t j = 0; j < d1; j++) {
        double *a = A + j * d2;
        if (p->dictionary == TTT_DICT_ORTHONORMAL) {
            /* Modified Gram-Schmidt, twice ("twice is enough"): orthogonal to
             * working precision for d1 <= d2 Gaussian columns. */
            for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < j; i++) {
                    const double *b = A + i * d2;
                    double h = dot(b, a, d2);
                    for (size_t l = 0; l < d2; l++)
                        a[l] -= h * b[l];
                }
        }
        unit_norm(a, d2);
    }
}

static void draw_pools(ttt_instance *in, gsl_rng *r, ttt_idmap *marks)
{
    const ttt_params *p = &in->p;
    ttt_rng_stream(r, p->seed, TTT_STREAM_POOLS, 0);
    for (size_t t = 0; t < p->topics; t++) {
        int32_t *pool = in->pools + t * p->pool;
        choose_distinct(r, NULL, p->d1, p->pool, marks, pool);
        ttt_idmap_clear(marks);
        qsort(pool, p->pool, sizeof *pool, cmp_int32); /* distinct: the order is the insertion sort's */
    }
}

/* One entry of w* from r, for the laws drawn entry by entry, each scaled to
 * E w_j^2 = 1 (so Var f = 1 for unit-norm codes under every law). */
static double draw_w(gsl_rng *r, const ttt_params *p)
{
    switch (p->w_law) {
    case TTT_W_SPARSE: { /* Bernoulli(rho) support, N(0, 1/rho) weights */
        double g = gsl_ran_gaussian_ziggurat(r, 1.0);
        return gsl_rng_uniform(r) < p->w_rho ? g / sqrt(p->w_rho) : 0.0;
    }
    case TTT_W_STUDENT: /* t with 3 degrees of freedom has variance 3 */
        return gsl_ran_tdist(r, 3.0) / sqrt(3.0);
    default:
        return gsl_ran_gaussian_ziggurat(r, 1.0);
    }
}

/* The power law's c = sqrt(d1 / sum_r r^(-2 alpha)), the sum over ranks
 * 1..d1 taken in fixed blocks added in order, so it does not depend on the
 * number of threads. */
static double power_scale(size_t d1, double alpha)
{
    const size_t block = (size_t)1 << 20, nb = (d1 + block - 1) / block;
    double *part = malloc(nb * sizeof *part);
    if (!part)
        return 0.0;
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nb; b++) {
        double s = 0.0;
        for (size_t j = b * block; j < d1 && j < (b + 1) * block; j++)
            s += pow((double)(j + 1), -2.0 * alpha);
        part[b] = s;
    }
    double norm2 = 0.0;
    for (size_t b = 0; b < nb; b++)
        norm2 += part[b];
    free(part);
    return sqrt((double)d1 / norm2);
}

/* w*_j of a counter-generated instance, from stream (seed, j); the power
 * law's rank of j is a keyed random permutation of the concepts. */
static double counter_w(const ttt_instance *in, gsl_rng *r, int32_t j)
{
    const ttt_params *p = &in->p;
    ttt_rng_counter_stream(r, p->seed, TTT_STREAM_WSTAR, (uint64_t)j);
    if (p->w_law != TTT_W_POWER)
        return draw_w(r, p);
    double rank = (double)ttt_rng_permute((uint64_t)j, p->d1, p->seed, TTT_STREAM_WSTAR) + 1.0;
    double w = in->w_scale * pow(rank, -p->w_alpha);
    return gsl_rng_uniform(r) < 0.5 ? -w : w;
}

/* The whole of w*: from one stream (generator = stream; the power law then
 * shuffles its ranks), or entry by entry from their own streams. */
static void draw_w_star(ttt_instance *in, gsl_rng *r, gsl_rng *rc)
{
    const ttt_params *p = &in->p;
    const size_t d1 = p->d1;
    double *w = in->w_star;
    if (p->generator == TTT_GEN_COUNTER) {
        for (size_t j = 0; j < d1; j++)
            w[j] = counter_w(in, rc, (int32_t)j);
        return;
    }
    ttt_rng_stream(r, p->seed, TTT_STREAM_WSTAR, 0);
    if (p->w_law != TTT_W_POWER) {
        for (size_t j = 0; j < d1; j++)
            w[j] = draw_w(r, p);
        return;
    }
    /* |w_j| = c rank_j^-alpha over a random permutation of ranks, random signs */
    for (size_t j = 0; j < d1; j++)
        w[j] = in->w_scale * pow((double)(j + 1), -p->w_alpha);
    gsl_ran_shuffle(r, w, d1, sizeof *w);
    for (size_t j = 0; j < d1; j++)
        if (gsl_rng_uniform(r) < 0.5)
            w[j] = -w[j];
}

/* The union of the pools, increasing: the concepts whose columns the
 * generator reads for every point (the background's are drawn when needed). */
static int find_used(ttt_instance *in)
{
    const size_t len = in->p.topics * in->p.pool;
    int32_t *u = ttt_mem_alloc(len, sizeof *u);
    if (!u)
        return -1;
    memcpy(u, in->pools, len * sizeof *u);
    qsort(u, len, sizeof *u, cmp_int32);
    size_t nu = 0;
    for (size_t a = 0; a < len; a++)
        if (nu == 0 || u[a] != u[nu - 1])
            u[nu++] = u[a];
    in->used = u;
    in->nused = nu;
    /* Their slots by hashing (added in increasing order: id = slot), read
     * for every atom of every point: a binary search over a million used
     * concepts took a sixth of the generator's time. */
    if (!(in->used_ids = ttt_idmap_alloc(nu)))
        return -1;
    for (size_t a = 0; a < nu; a++)
        ttt_idmap_add(in->used_ids, u[a]);
    return 0;
}

long ttt_instance_used_slot(const ttt_instance *in, int32_t j)
{
    return in->used_ids ? ttt_idmap_find(in->used_ids, j) : -1;
}

ttt_concept_ws *ttt_concept_ws_alloc(const ttt_instance *in)
{
    ttt_concept_ws *ws = calloc(1, sizeof *ws);
    if (ws) {
        ws->r = ttt_rng_counter_alloc();
        ws->col = malloc(in->p.d2 * sizeof *ws->col);
    }
    if (!ws || !ws->r || !ws->col) {
        ttt_concept_ws_free(ws);
        return NULL;
    }
    return ws;
}

void ttt_concept_ws_free(ttt_concept_ws *ws)
{
    if (!ws)
        return;
    gsl_rng_free(ws->r);
    free(ws->col);
    free(ws);
}

const double *ttt_instance_column(const ttt_instance *in, int32_t j, ttt_concept_ws *ws)
{
    const size_t d2 = in->p.d2;
    if (in->A)
        return in->A + (size_t)j * d2;
    long slot = ttt_instance_used_slot(in, j);
    if (slot >= 0)
        return in->used_A + (size_t)slot * d2;
    counter_column(&in->p, ws->r, j, ws->col);
    return ws->col;
}

double ttt_instance_w(const ttt_instance *in, int32_t j, ttt_concept_ws *ws)
{
    if (in->w_star)
        return in->w_star[j];
    long slot = ttt_instance_used_slot(in, j);
    return slot >= 0 ? in->used_w[slot] : counter_w(in, ws->r, j);
}

/* A and w*: whole, or the used concepts' columns and weights. */
static int draw_concepts(ttt_instance *in, gsl_rng *r)
{
    const ttt_params *p = &in->p;
    int failed = 0;
    if (in->A) {
        gsl_rng *rc = ttt_rng_counter_alloc();
        if (!rc)
            return -1;
        draw_dictionary(in, r, rc);
        draw_w_star(in, r, rc);
        gsl_rng_free(rc);
        return 0;
    }
    in->used_A = ttt_mem_alloc(in->nused * p->d2, sizeof *in->used_A);
    in->used_w = ttt_mem_alloc(in->nused, sizeof *in->used_w);
    if (!in->used_A || !in->used_w)
        return -1;
#pragma omp parallel reduction(| : failed)
    {
        gsl_rng *rc = ttt_rng_counter_alloc();
        failed = !rc;
#pragma omp for schedule(static)
        for (size_t u = 0; u < in->nused; u++)
            if (rc) {
                counter_column(p, rc, in->used[u], in->used_A + u * p->d2);
                in->used_w[u] = counter_w(in, rc, in->used[u]);
            }
        gsl_rng_free(rc);
    }
    return failed ? -1 : 0;
}

/* draw_concepts, then the training set unless it is streamed.  With the
 * dictionary stored, one thread draws it from its one stream while the
 * others draw the training points' codes (which do not need it: the code
 * part of each block, draw_block_codes); then all compute the features.
 * The same numbers as one after the other. */
static int draw_concepts_train(ttt_instance *in, gsl_rng *r)
{
    if (!in->A || in->train_streamed)
        return draw_concepts(in, r) == 0 &&
                       (in->train_streamed || draw_points(in, &in->train, TTT_STREAM_TRAIN, 0) == 0)
                   ? 0
                   : -1;
    const size_t B = TTT_GENERATE_BLOCK, n = in->train.n, nblocks = (n + B - 1) / B;
    int bad = 0; /* shared: set by any thread, read after the barrier */
#pragma omp parallel
    {
        draw_ws w;
        const int ok = draw_ws_alloc(in, &w) == 0;
        if (!ok) {
#pragma omp atomic write
            bad = 1;
        }
#pragma omp single nowait
        if (draw_concepts(in, r) != 0) {
#pragma omp atomic write
            bad = 1;
        }
#pragma omp for schedule(dynamic, 4) nowait
        for (size_t b = 0; b < nblocks; b++)
            if (ok)
                draw_block_codes(in, &w, TTT_STREAM_TRAIN, b, block_points(n, b), &in->train, b * B);
#pragma omp barrier
        int failed;
#pragma omp atomic read
        failed = bad;
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblocks; b++)
            if (ok && !failed)
                draw_block_features(in, &w, block_points(n, b), &in->train, b * B);
        if (ok)
            draw_ws_free(&w);
    }
    in->train.norms_valid = !bad;
    return bad ? -1 : 0;
}

int ttt_instance_alloc(const ttt_params *p, ttt_instance **out)
{
    *out = NULL;
    ttt_instance *in = calloc(1, sizeof *in);
    if (!in)
        GSL_ERROR("no memory for the instance", GSL_ENOMEM);
    in->p = *p;
    in->q = p->s + p->background;
    if (ttt_params_stores_A(p)) {
        in->A = ttt_mem_alloc(p->d1 * p->d2, sizeof *in->A);
        in->w_star = ttt_mem_alloc(p->d1, sizeof *in->w_star);
    }
    in->pools = ttt_mem_alloc(p->topics * p->pool, sizeof *in->pools);
    gsl_rng *r = ttt_rng_alloc();
    ttt_idmap *marks = ttt_idmap_alloc(p->pool);
    in->train_streamed = ttt_params_streams_train(p);
    int ok = (in->A || !ttt_params_stores_A(p)) && (in->w_star || !in->A) && in->pools && r && marks &&
             ttt_data_alloc(&in->train, in->train_streamed ? 0 : p->n, in->q, p->d2) == 0 &&
             ttt_data_alloc(&in->test, p->m, in->q, p->d2) == 0;
    if (ok) {
        if (p->w_law == TTT_W_POWER)
            ok = (in->w_scale = power_scale(p->d1, p->w_alpha)) > 0.0;
        draw_pools(in, r, marks);
        ok = ok && find_used(in) == 0 && draw_concepts_train(in, r) == 0 &&
             draw_points(in, &in->test, TTT_STREAM_TEST, 0) == 0;
    }
    gsl_rng_free(r);
    ttt_idmap_free(marks);
    if (!ok) {
        ttt_instance_free(in);
        GSL_ERROR("no memory for the instance", GSL_ENOMEM);
    }
    *out = in;
    return GSL_SUCCESS;
}

int ttt_generate_train_tile(const ttt_instance *in, size_t first, ttt_data *tile)
{
    return draw_points(in, tile, TTT_STREAM_TRAIN, first) ? GSL_ENOMEM : GSL_SUCCESS;
}

int ttt_generate_train_points(const ttt_instance *in, const size_t *idx, size_t count, ttt_data *out)
{
    const size_t q = in->q, d2 = in->p.d2, B = TTT_GENERATE_BLOCK;
    int failed = 0;
    /* Each thread draws whole blocks again, one for each run of idx that
     * shares a block, and copies the points wanted. */
#pragma omp parallel reduction(| : failed)
    {
        ttt_data blk;
        draw_ws w;
        const int had_blk = ttt_data_alloc(&blk, B, q, d2) == 0, had_w = draw_ws_alloc(in, &w) == 0;
        failed = !had_blk || !had_w;
#pragma omp for schedule(dynamic, 16)
        for (size_t a = 0; a < count; a++) {
            if (failed || (a > 0 && idx[a - 1] / B == idx[a] / B))
                continue; /* not the first of its block */
            const size_t b = idx[a] / B;
            draw_block(in, &w, TTT_STREAM_TRAIN, b, block_points(in->p.n, b), &blk, 0);
            for (size_t e = a; e < count && idx[e] / B == b; e++) {
                const size_t j = idx[e] - b * B;
                memcpy(out->phi_idx + e * q, blk.phi_idx + j * q, q * sizeof *out->phi_idx);
                memcpy(out->phi_val + e * q, blk.phi_val + j * q, q * sizeof *out->phi_val);
                memcpy(out->psi + e * d2, blk.psi + j * d2, d2 * sizeof *out->psi);
                out->norm2[e] = blk.norm2[j];
                out->f[e] = blk.f[j];
                out->y[e] = blk.y[j];
                out->topic[e] = blk.topic[j];
            }
        }
        ttt_data_free(&blk); /* safe after a failed allocation: it set every pointer */
        if (had_w)
            draw_ws_free(&w);
    }
    out->norms_valid = !failed;
    return failed ? GSL_ENOMEM : GSL_SUCCESS;
}

void ttt_instance_free(ttt_instance *in)
{
    if (!in)
        return;
    free(in->A);
    free(in->w_star);
    free(in->used);
    ttt_idmap_free(in->used_ids);
    free(in->used_A);
    free(in->used_w);
    free(in->pools);
    ttt_data_free(&in->train);
    ttt_data_free(&in->test);
    free(in);
}
