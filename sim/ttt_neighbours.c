/* ttt_neighbours — see ttt_neighbours.h. */
#include "ttt_neighbours.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ttt_idmap.h"
#include "ttt_kernel.h"
#include "ttt_mem.h"

/* Tiling of the distance products: queries per block (at most BLOCK_ROWS,
 * and few enough that every thread gets BLOCKS_PER_THREAD blocks) times
 * base points per chunk; the screened search (feature_add) takes one block
 * per thread, of at most SCREEN_ROWS, and chunks of TTT_KERNEL_ROWS.
 * Queries are independent, so the tiling never changes a result; the sizes
 * were chosen with `make bench` (docs/SPEED-LOG.md, "Earlier measurements"). */
#define BLOCK_ROWS 128
#define BLOCKS_PER_THREAD 2
#define CHUNK_COLS 2048
#define SCREEN_ROWS 256

static size_t threads(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_max_threads();
#else
    return 1;
#endif
}

static int greater(const ttt_neighbour *a, const ttt_neighbour *b)
{
    return a->key > b->key || (a->key == b->key && a->idx > b->idx);
}

static void sift_down(ttt_neighbour *h, size_t len, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < len && greater(&h[l], &h[top]))
            top = l;
        if (r < len && greater(&h[r], &h[top]))
            top = r;
        if (top == i)
            return;
        ttt_neighbour t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

/* A bounded max-heap keeping the k smallest (key, index) pairs seen so far.
 * Candidates arrive in increasing index order, so one that ties the worst
 * kept key never displaces it: a single strict comparison against `worst`
 * rejects almost every candidate. */
typedef struct {
    ttt_neighbour *h;
    size_t len, k;
    double worst;
} topk;

/* Keeps (key, j) if it belongs among the k smallest so far. */
static void topk_insert(topk *t, double key, size_t j)
{
    if (t->len < t->k) {
        size_t i = t->len++;
        t->h[i] = (ttt_neighbour){key, j};
        while (i > 0 && greater(&t->h[i], &t->h[(i - 1) / 2])) {
            ttt_neighbour x = t->h[i];
            t->h[i] = t->h[(i - 1) / 2];
            t->h[(i - 1) / 2] = x;
            i = (i - 1) / 2;
        }
        t->worst = t->h[0].key;
    } else if (key < t->worst) {
        t->h[0] = (ttt_neighbour){key, j};
        sift_down(t->h, t->len, 0);
        t->worst = t->h[0].key;
    }
}

/* topk_insert, with its test made here, inline: once the heap is full most
 * candidates lose to its worst key, and only the rest pay for the call (the
 * neighbour phase at the defaults: 1.19x). */
static inline void topk_push(topk *t, double key, size_t j)
{
    if (t->len < t->k || key < t->worst)
        topk_insert(t, key, j);
}

/* Pushes a candidate that may arrive out of index order: a tie with the
 * worst kept key displaces it when its index is smaller. */
static void topk_push_any(topk *t, double key, size_t j)
{
    if (t->len == t->k && key == t->worst && j < t->h[0].idx) {
        t->h[0] = (ttt_neighbour){key, j};
        sift_down(t->h, t->len, 0);
        t->worst = t->h[0].key;
    } else {
        topk_push(t, key, j);
    }
}

/* Writes the kept indices in increasing (key, index) order; empties t. */
static void topk_finish(topk *t, size_t *out)
{
    for (size_t end = t->len; end > 0; end--) {
        out[end - 1] = t->h[0].idx;
        t->h[0] = t->h[end - 1];
        sift_down(t->h, end - 1, 0);
    }
    t->len = 0;
}

/* A search in progress: each query's running top k over the base points
 * added so far, tile by tile, in increasing index order. */
struct ttt_search {
    const ttt_data *query;
    size_t d1, k;
    ttt_space space;
    ttt_metric metric;
    ttt_neighbour *heap; /* query->n x k */
    topk *tk;            /* query->n */
};

void ttt_neighbours_select(const double *key, size_t n, size_t k, ttt_neighbour *heap, size_t *out)
{
    topk t = {heap, 0, k, 0.0};
    for (size_t j = 0; j < n; j++)
        topk_push(&t, key[j], j);
    topk_finish(&t, out);
}

/* The largest value in size that the feature-space screen (below) takes. */
#define SCREEN_MAX 0x1p50
/* Rows per chunk of row_norms. */
#define NORM_CHUNK 64

/* Per base point: the squared norm of its row (n rows of width entries), or
 * the norm itself for the cosine metric; NULL if out of memory.  A plain
 * loop, not a BLAS dot product, which might thread and reorder the sum.
 * With bounded not NULL, *bounded says whether every value is finite and
 * at most SCREEN_MAX in size: the screen's check of the base, taken in the
 * same pass over it. */
static double *row_norms(const double *v, size_t n, size_t width, int metric, int *bounded)
{
    double *norm = ttt_mem_alloc(n ? n : 1, sizeof *norm);
    int out = 0; /* some value not finite or above SCREEN_MAX in size */
    /* Chunks of rows: their squared norms (ttt_data_norms: each a sum in
     * index order, the bits of a row at a time), then, while they are in
     * cache, the screen's check of their values (an OR of flags, in any
     * order). */
    if (norm)
#pragma omp parallel for schedule(static) reduction(| : out)
        for (size_t j0 = 0; j0 < n; j0 += NORM_CHUNK) {
            const size_t rows = n - j0 < NORM_CHUNK ? n - j0 : NORM_CHUNK;
            ttt_data_norms(v + j0 * width, rows, width, norm + j0);
            for (size_t l = 0; bounded && l < rows * width; l++)
                out |= !(fabs(v[j0 * width + l]) <= SCREEN_MAX);
            for (size_t r = 0; metric == TTT_METRIC_COSINE && r < rows; r++)
                norm[j0 + r] = sqrt(norm[j0 + r]);
        }
    if (bounded)
        *bounded = !out;
    return norm;
}

/* A base point's key from its dot product with the query and its norm (the
 * squared norm for euclidean). */
static double key_of(double dot, double norm, int metric)
{
    return metric == TTT_METRIC_COSINE ? (norm > 0.0 ? -dot / norm : 0.0) : norm - 2.0 * dot;
}

/* Feature space, the euclidean metric: the keys are screened in single
 * precision, at twice the rate of double, and a candidate that may enter
 * the heap is scored again exactly, in double.  The product (screen_tile)
 * takes the queries with a 1 appended, [x*, 1], and the base points with
 * -||x||^2 / 2 appended, [x, -||x||^2 / 2], so that it gives
 * c = <x*, x> - ||x||^2 / 2, minus half the key ||x||^2 - 2 <x*, x>.  A
 * dot product of length d2 + 1 computed in single precision from rounded
 * inputs, in any order (the kernel's chain of fused multiply-adds is one),
 * is within (d2 + 3) u sum_l |a_l b_l| of the exact one (u = 2^-24;
 * Higham, Accuracy and Stability of Numerical Algorithms, section 3.1), and
 * here sum_l |a_l b_l| <= ||x*|| ||x|| + ||x||^2 / 2.  A tile of base
 * points takes the bound at its largest ||x||, twice over to
 * spare, plus an absolute 12 (d2 + 1) 2^-100 for the underflow of values
 * below 2^-126 (inputs are at most SCREEN_MAX in size, so each term's
 * underflow is below 3 2^-100).  A candidate enters the heap only if its
 * key is below the worst kept, that is c > -worst / 2, so only if its
 * screened c exceeds -worst / 2 minus the bound (compared as floats through
 * float_below, which decides exactly as in double); those are pushed with
 * their exact keys, so the lists are those of an exact scan.  SCREEN_MAX:
 * above row_norms, which checks it. */

/* 1 if every value of v (len) is finite and at most SCREEN_MAX in size. */
static int screenable(const double *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!(fabs(v[i]) <= SCREEN_MAX))
            return 0;
    return 1;
}

/* <a, b> in double, four partial sums in a fixed order: the same bits
 * wherever it is called. */
static double dot4(const double *a, const double *b, size_t len)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t l = 0;
    for (; l + 4 <= len; l += 4) {
        s0 += a[l] * b[l];
        s1 += a[l + 1] * b[l + 1];
        s2 += a[l + 2] * b[l + 2];
        s3 += a[l + 3] * b[l + 3];
    }
    for (; l < len; l++)
        s0 += a[l] * b[l];
    return (s0 + s1) + (s2 + s3);
}

static void to_float(const double *v, size_t len, float *out)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++)
        out[i] = (float)v[i];
}

/* The largest float at or below x, so that a float c exceeds x exactly when
 * it exceeds float_below(x) (-inf for x = -inf; NaN for NaN, which nothing
 * exceeds). */
static float float_below(double x)
{
    float f = (float)x;
    return (double)f > x ? nextafterf(f, -INFINITY) : f;
}

/* A thread's buffers for screened tiles: the block's queries [x*, 1] in
 * single precision (Qf, rows x w) and, for the kernel, as columns (Qt,
 * w x ldq); a tile of base points [x, -||x||^2 / 2] (Bf, TTT_KERNEL_ROWS x
 * w) and its products with the queries (T, TTT_KERNEL_ROWS x ldq: base
 * points by rows, so that one row holds a point's products with all the
 * queries); per query its ||x*||^2, its bound and its threshold. */
typedef struct {
    float *Qf, *Qt, *Bf, *T, *lo;
    double *qq, *bound;
    size_t ldq;
} screen_ws;

static void screen_free(screen_ws *sw)
{
    free(sw->Qf);
    free(sw->Qt);
    free(sw->Bf);
    free(sw->T);
    free(sw->lo);
    free(sw->qq);
    free(sw->bound);
}

static int screen_alloc(screen_ws *sw, size_t block, size_t w)
{
    const size_t ld = ttt_kernel_padded(block);
    sw->Qf = ttt_mem_alloc(block * w, sizeof *sw->Qf);
    sw->Qt = ttt_mem_alloc(w * ld, sizeof *sw->Qt);
    sw->Bf = ttt_mem_alloc(TTT_KERNEL_ROWS * w, sizeof *sw->Bf);
    sw->T = ttt_mem_alloc(TTT_KERNEL_ROWS * ld, sizeof *sw->T);
    sw->lo = ttt_mem_alloc(block, sizeof *sw->lo);
    sw->qq = ttt_mem_alloc(block, sizeof *sw->qq);
    sw->bound = ttt_mem_alloc(block, sizeof *sw->bound);
    return sw->Qf && sw->Qt && sw->Bf && sw->T && sw->lo && sw->qq && sw->bound ? 0 : -1;
}

/* The threshold of a query whose heap is t: its screened c may enter t
 * only if it exceeds -worst / 2 minus the bound (none while t is not
 * full), and a float exceeds that exactly when it exceeds this. */
static float screen_lo(const topk *t, double bound)
{
    return float_below(t->len < t->k ? -INFINITY : -0.5 * t->worst - bound);
}

/* Query i (its heap tk[i]) takes base point x (its norm nr, its index) as
 * a candidate: pushed with its exact key, the query's threshold following
 * the heap. */
static void screen_take(topk *tk, screen_ws *sw, size_t i, const double *Q, const double *x, double nr, size_t index,
                        size_t d2)
{
    topk_push(&tk[i], key_of(dot4(Q + i * d2, x, d2), nr, TTT_METRIC_EUCLIDEAN), index);
    sw->lo[i] = screen_lo(&tk[i], sw->bound[i]);
}

/* The block's rows queries (Q, double) into sw: in single precision with a
 * 1 appended, their squared norms, and for the kernel as columns. */
static void screen_queries(screen_ws *sw, const double *Q, size_t rows, size_t d2, int kernel)
{
    const size_t w = d2 + 1;
    for (size_t i = 0; i < rows; i++) {
        to_float(Q + i * d2, d2, sw->Qf + i * w);
        sw->Qf[i * w + d2] = 1.0f;
        sw->qq[i] = dot4(Q + i * d2, Q + i * d2, d2);
    }
    sw->ldq = kernel ? ttt_kernel_columns(sw->Qf, rows, w, sw->Qt) : rows;
}

/* Base point x (its norm nr, its index) against the block's queries Q:
 * those whose screened product c[i] (i < rows) passes their threshold,
 * c[i] > lo[i], go into their heaps tk with their exact keys, and their
 * thresholds follow the heaps.  Eight queries at a time where there is
 * SSE2: most fail. */
static void screen_row(topk *tk, const double *Q, const float *c, size_t rows, const double *x, double nr,
                       size_t index, size_t d2, screen_ws *sw)
{
    size_t i0 = 0;
#ifdef __SSE2__
    for (; i0 + 8 <= rows; i0 += 8) {
        unsigned m = (unsigned)_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(c + i0), _mm_loadu_ps(sw->lo + i0))) |
                     (unsigned)_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(c + i0 + 4), _mm_loadu_ps(sw->lo + i0 + 4)))
                         << 4;
        for (size_t i = i0; m; m >>= 1, i++)
            if (m & 1)
                screen_take(tk, sw, i, Q, x, nr, index, d2);
    }
#endif
    for (size_t i = i0; i < rows; i++)
        if (c[i] > sw->lo[i])
            screen_take(tk, sw, i, Q, x, nr, index, d2);
}

/* One screened tile: base points B (cols <= TTT_KERNEL_ROWS of them, norms
 * nr, indices first, first + 1, ...) against the block's rows queries Q
 * (already in sw, screen_queries): their products T = [B, -||x||^2 / 2]
 * [Q, 1]^T in single precision, by ttt_kernel_rows (kernel) or by sgemm,
 * then point by point through the screen, so that each query meets the
 * points in index order. */
static void screen_tile(topk *tk, const double *Q, size_t rows, const double *B, const double *nr, size_t cols,
                        size_t d2, size_t first, int kernel, screen_ws *sw)
{
    const size_t w = d2 + 1;
    double xmax2 = 0.0; /* the tile's largest ||x||^2 */
    for (size_t j = 0; j < cols; j++) {
        to_float(B + j * d2, d2, sw->Bf + j * w);
        sw->Bf[j * w + d2] = (float)(-0.5 * nr[j]);
        xmax2 = fmax(xmax2, nr[j]);
    }
    const double rel = 2.0 * (double)(d2 + 3) * 0x1p-24, abs = 12.0 * (double)w * 0x1p-100;
    for (size_t i = 0; i < rows; i++) {
        sw->bound[i] = rel * (sqrt(sw->qq[i] * xmax2) + 0.5 * xmax2) + abs;
        sw->lo[i] = screen_lo(&tk[i], sw->bound[i]);
    }
#ifdef TTT_KERNEL
    if (kernel)
        ttt_kernel_rows(sw->Bf, cols, w, sw->Qt, sw->ldq, sw->T);
    else
#else
    (void)kernel;
#endif
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)cols, (int)rows, (int)w, 1.0f, sw->Bf, (int)w,
                    sw->Qf, (int)w, 0.0f, sw->T, (int)sw->ldq);
    for (size_t j = 0; j < cols; j++)
        screen_row(tk, Q, sw->T + j * sw->ldq, rows, B + j * d2, nr[j], first + j, d2, sw);
}

/* Feature space: base's points (indices first + j) into the running heaps.
 * Each thread takes whole blocks of queries and walks the base points in
 * chunks: one product per (block, chunk) tile, small enough to stay in
 * cache, whose entries are fed at once into the queries' running top-k
 * heaps.  The products are single-threaded inside the parallel region and
 * every query is independent, so neither the thread count nor the tiling
 * changes a result.  Screened, a block per thread, as each block reads the
 * whole base (and rounds it to single precision). */
static int feature_add(ttt_search *s, const ttt_data *base, size_t first)
{
    const ttt_data *query = s->query;
    const size_t n = base->n, d2 = base->d2;
    const int metric = s->metric;
    int bounded = 0; /* every value of the base screenable */
    /* The generator's squared norms where it drew the base (it took them
     * while the rows were in cache; the same bits as row_norms), and the
     * screen's check from them: a row of norm at most SCREEN_MAX has no
     * value above it, nor one not finite (a stricter check than row_norms',
     * which a base it fails is scanned in double for, as exactly). */
    const int drawn = base->norms_valid && metric == TTT_METRIC_EUCLIDEAN;
    double *own = drawn ? NULL : row_norms(base->psi, n, d2, metric, &bounded);
    const double *norm = drawn ? base->norm2 : own;
    if (drawn) {
        bounded = 1;
        for (size_t j = 0; j < n; j++)
            bounded &= base->norm2[j] <= SCREEN_MAX * SCREEN_MAX;
    }
    const int screen = metric == TTT_METRIC_EUCLIDEAN && bounded && screenable(query->psi, query->n * d2);
    const int kernel = screen && ttt_kernel_available();
    const size_t per = screen ? 1 : BLOCKS_PER_THREAD, most = screen ? SCREEN_ROWS : BLOCK_ROWS;
    size_t block = (query->n + per * threads() - 1) / (per * threads());
    block = block < 1 ? 1 : block > most ? most : block;
    const size_t nblocks = (query->n + block - 1) / block;
    const size_t chunk = screen ? TTT_KERNEL_ROWS : n < CHUNK_COLS ? n : CHUNK_COLS;
    int failed = !norm;
#pragma omp parallel reduction(| : failed)
    {
        screen_ws sw = {0};
        double *C = screen ? NULL : ttt_mem_alloc(block * (chunk ? chunk : 1), sizeof *C);
        int ok = norm && (screen ? screen_alloc(&sw, block, d2 + 1) == 0 : C != NULL);
        if (!ok)
            failed = 1;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nblocks; b++) {
            if (!ok)
                continue;
            size_t b0 = b * block, rows = query->n - b0 < block ? query->n - b0 : block;
            const double *Q = query->psi + b0 * d2;
            if (screen)
                screen_queries(&sw, Q, rows, d2, kernel);
            for (size_t c0 = 0; c0 < n; c0 += chunk) {
                size_t cols = n - c0 < chunk ? n - c0 : chunk;
                const double *nr = norm + c0, *B = base->psi + c0 * d2;
                if (screen) {
                    screen_tile(s->tk + b0, Q, rows, B, nr, cols, d2, first + c0, kernel, &sw);
                    continue;
                }
                /* C = -2 Q B^T on this tile */
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)d2, -2.0, Q,
                            (int)d2, B, (int)d2, 0.0, C, (int)cols);
                for (size_t i = 0; i < rows; i++) {
                    const double *c = C + i * cols;
                    topk *tk = &s->tk[b0 + i];
                    if (metric == TTT_METRIC_COSINE) /* -cos * ||x*||: same order as -cos */
                        for (size_t j = 0; j < cols; j++)
                            topk_push(tk, nr[j] > 0.0 ? 0.5 * c[j] / nr[j] : 0.0, first + c0 + j);
                    else /* ||x||^2 - 2 <x*, x> */
                        for (size_t j = 0; j < cols; j++)
                            topk_push(tk, c[j] + nr[j], first + c0 + j);
                }
            }
        }
        free(C);
        screen_free(&sw);
    }
    free(own);
    return failed ? GSL_ENOMEM : GSL_SUCCESS;
}

/* Concept space through an inverted index.  Codes are q-sparse in d1, so a
 * query shares a concept with few base points (about q^2 n / d1 when the
 * concepts are spread evenly); every other point has dot product 0 and key
 * key0[j] (its squared norm, or 0 for the cosine metric).  So the k nearest
 * are among the points that share a concept ("touched", found through the
 * postings of the query's concepts) and the first k untouched points in
 * (key0, index) order.  Those candidates are scored exactly as a full scan
 * scores them and kept by (key, index), ties to the smaller index, as the
 * scan keeps them, so the result is the scan's, bit for bit.  A query whose postings are longer
 * than n (a concept in most points) is scanned in full.
 *
 * The concepts the base holds, u <= min(n q, d1) of them, are relabelled
 * once to compact ids 0..u-1, so that the postings' starts and each
 * thread's scattered query take O(u) memory, not O(d1) (d1 may be 1e9).  A
 * query concept no base point holds has no postings and meets no base
 * concept in a dot product: it gets id -1 and is skipped, which adds no term
 * to any sum, so every sum is the one the scan over concept indices makes. */
typedef struct {
    ttt_idmap *ids;    /* the base's concepts to their compact ids, for large d1 (else NULL) */
    int32_t *base_id;  /* n q: the base codes' concepts as compact ids */
    int32_t *query_id; /* query->n q: the queries' concepts as compact ids, -1 if not in the base */
    size_t *start;     /* u + 1: the postings of compact id c are [start[c], start[c+1]) */
    uint32_t *point;   /* n q: the base points holding compact id c, ascending */
    double *val;       /* n q: and its value there */
    size_t *order0;    /* the first len0 base points by (key0, index) */
    double *key0;      /* len0: their keys, the key of a point that shares no concept */
    size_t len0;
    size_t u;          /* compact ids: the distinct concepts of the base */
} concept_index;

static void index_free(concept_index *x)
{
    ttt_idmap_free(x->ids);
    free(x->base_id);
    free(x->query_id);
    free(x->start);
    free(x->point);
    free(x->val);
    free(x->order0);
    free(x->key0);
}

/* How many postings the concepts of a code (q compact ids at qc) have together. */
static size_t postings_of(const concept_index *x, const int32_t *qc, size_t q)
{
    size_t postings = 0;
    for (size_t a = 0; a < q; a++)
        if (qc[a] >= 0)
            postings += x->start[qc[a] + 1] - x->start[qc[a]];
    return postings;
}

/* The compact ids of the base's and the queries' concepts.  Only their
 * being distinct matters (they index arrays; every sum runs in the order of
 * a code's entries), so where an array over the concepts costs at most
 * four times base_id (d1 <= 4 n q: the defaults, 4096 against 400,000
 * entries) the present concepts are numbered in increasing order from a
 * table, which the threads then read; beyond that, by a hash map in order of first
 * appearance (d1 may be 1e9). */
static int index_ids(const ttt_data *base, const ttt_data *query, size_t d1, concept_index *x)
{
    const size_t nq = base->n * base->q, mq = query->n * query->q;
    if (d1 > 4 * nq) {
        x->ids = ttt_idmap_alloc(nq < d1 ? nq : d1);
        if (!x->ids)
            return GSL_ENOMEM;
        for (size_t a = 0; a < nq; a++)
            x->base_id[a] = ttt_idmap_add(x->ids, base->phi_idx[a]);
        for (size_t a = 0; a < mq; a++)
            x->query_id[a] = ttt_idmap_find(x->ids, query->phi_idx[a]);
        x->u = x->ids->size;
        return GSL_SUCCESS;
    }
    int32_t *table = calloc(d1, sizeof *table); /* 1 for a concept the base holds, then its id + 1 */
    if (!table)
        return GSL_ENOMEM;
    for (size_t a = 0; a < nq; a++) /* one thread: threads marking one small table share its lines */
        table[base->phi_idx[a]] = 1;
    int32_t u = 0;
    for (size_t c = 0; c < d1; c++)
        table[c] = table[c] ? ++u : 0;
#pragma omp parallel for schedule(static)
    for (size_t a = 0; a < nq; a++)
        x->base_id[a] = table[base->phi_idx[a]] - 1;
#pragma omp parallel for schedule(static)
    for (size_t a = 0; a < mq; a++) {
        const int32_t c = query->phi_idx[a];
        x->query_id[a] = c >= 0 && (size_t)c < d1 ? table[c] - 1 : -1;
    }
    x->u = (size_t)u;
    free(table);
    return GSL_SUCCESS;
}

/* The postings: start (u + 1) from the counts of each compact id, then
 * point and val, the base points holding each id in increasing order.  With
 * T threads each takes a contiguous range of the points, counts its ids,
 * and writes its postings after those of the ranges before it: the arrays
 * of one pass in point order, bit for bit.  Its counts take T u entries,
 * allowed up to n q (else one thread). */
static int index_postings(const ttt_data *base, concept_index *x)
{
    const size_t n = base->n, q = base->q, u = x->u;
    size_t T = threads();
    T = T > 1 && T * u <= n * q ? T : 1;
    size_t *count = calloc(T * u + 1, sizeof *count);
    x->start = calloc(u + 1, sizeof *x->start);
    if (!count || !x->start) {
        free(count);
        return GSL_ENOMEM;
    }
#pragma omp parallel num_threads(T)
    {
#ifdef _OPENMP
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
#else
        const size_t t = 0, nt = 1;
#endif
        const size_t j0 = n * t / nt, j1 = n * (t + 1) / nt;
        size_t *mine = count + t * u;
        for (size_t a = j0 * q; a < j1 * q; a++)
            mine[x->base_id[a]]++;
#pragma omp barrier
#pragma omp single
        { /* thread t's first slot for id c: all of c's before t's, after every smaller id's */
            size_t at = 0;
            for (size_t c = 0; c < u; c++) {
                x->start[c] = at;
                for (size_t r = 0; r < nt; r++) {
                    const size_t here = count[r * u + c];
                    count[r * u + c] = at;
                    at += here;
                }
            }
            x->start[u] = at;
        }
        for (size_t j = j0; j < j1; j++)
            for (size_t a = 0; a < q; a++) {
                const size_t slot = mine[x->base_id[j * q + a]]++;
                x->point[slot] = (uint32_t)j;
                x->val[slot] = base->phi_val[j * q + a];
            }
    }
    free(count);
    return GSL_SUCCESS;
}

/* The compact ids, the postings of base's concepts, and the prefix of the
 * (key0, index) order that any query of `query` can need: k plus its longest
 * postings (a query whose postings reach n is scanned in full and needs
 * none). */
static int index_build(const ttt_data *base, const ttt_data *query, size_t d1, size_t k, const double *norm,
                       int metric, concept_index *x)
{
    const size_t n = base->n, q = base->q;
    x->base_id = ttt_mem_alloc(n * q, sizeof *x->base_id);
    x->query_id = ttt_mem_alloc(query->n * q, sizeof *x->query_id);
    x->point = ttt_mem_alloc(n * q, sizeof *x->point);
    x->val = ttt_mem_alloc(n * q, sizeof *x->val);
    if (!x->base_id || !x->query_id || !x->point || !x->val)
        return GSL_ENOMEM;
    int status = index_ids(base, query, d1, x);
    if (!status)
        status = index_postings(base, x);
    if (status)
        return status;
    size_t longest = 0;
    for (size_t i = 0; i < query->n; i++) {
        const size_t postings = postings_of(x, x->query_id + i * q, q);
        longest = postings < n && postings > longest ? postings : longest;
    }
    x->len0 = k + longest < n ? k + longest : n;
    x->order0 = malloc(x->len0 * sizeof *x->order0);
    x->key0 = malloc(x->len0 * sizeof *x->key0);
    if (!x->order0 || !x->key0)
        return GSL_ENOMEM;
    if (metric == TTT_METRIC_COSINE) { /* key0 is 0 for every point: the order is the index order */
        for (size_t t = 0; t < x->len0; t++) {
            x->order0[t] = t;
            x->key0[t] = 0.0;
        }
        return GSL_SUCCESS;
    }
    ttt_neighbour *heap = malloc(x->len0 * sizeof *heap); /* euclidean: key0 is the squared norm */
    if (!heap)
        return GSL_ENOMEM;
    ttt_neighbours_select(norm, n, x->len0, heap, x->order0);
    for (size_t t = 0; t < x->len0; t++)
        x->key0[t] = norm[x->order0[t]];
    free(heap);
    return GSL_SUCCESS;
}

/* The key a full scan gives base point j for the query scattered in dense
 * (by compact id). */
static double concept_key(const ttt_data *base, const concept_index *x, size_t j, const double *dense,
                          const double *norm, int metric)
{
    const size_t q = base->q;
    const int32_t *bi = x->base_id + j * q;
    const double *bv = base->phi_val + j * q;
    double dot = 0.0;
    for (size_t a = 0; a < q; a++)
        dot += bv[a] * dense[bi[a]];
    return key_of(dot, norm[j], metric);
}

/* Concept space: base's points (indices first + j) into the running heaps;
 * the candidates of this base are pushed, and the heaps keep the best over
 * all bases by (key, index). */
static int concept_add(ttt_search *s, const ttt_data *base, size_t first)
{
    const ttt_data *query = s->query;
    const size_t n = base->n, q = base->q, k = s->k, d1 = s->d1;
    const int metric = s->metric;
    double *norm = row_norms(base->phi_val, n, q, metric, NULL);
    concept_index x = {0};
    /* read inside the region, where `failed` is each thread's own copy */
    const int built = norm && index_build(base, query, d1, k, norm, metric, &x) == GSL_SUCCESS;
    int failed = !built;
    const size_t u = built ? x.u : 0;
#pragma omp parallel reduction(| : failed)
    {
        double *dense = calloc(u ? u : 1, sizeof *dense); /* the query, by compact id */
        uint32_t *stamp = calloc(n, sizeof *stamp); /* i + 1: touched by query i (m < 2^32) */
        double *dot = malloc((n ? n : 1) * sizeof *dot); /* valid where stamped */
        size_t *cand = NULL, cap = 0;
        int ok = built && dense && stamp && dot;
        if (!ok)
            failed = 1;
#pragma omp for schedule(static)
        for (size_t i = 0; i < query->n; i++) {
            if (!ok)
                continue;
            const int32_t *qc = x.query_id + i * q;
            const double *qv = query->phi_val + i * q;
            const size_t postings = postings_of(&x, qc, q);
            topk *tk = &s->tk[i];
            size_t nc = 0;
            for (size_t a = 0; a < q; a++)
                if (qc[a] >= 0)
                    dense[qc[a]] = qv[a];
            if (postings >= n) {
                for (size_t j = 0; j < n; j++)
                    topk_push(tk, concept_key(base, &x, j, dense, norm, metric), first + j);
            } else {
                if (postings + k > cap) {
                    size_t *grown = realloc(cand, (postings + k) * sizeof *cand);
                    if (!grown) {
                        ok = 0;
                        failed = 1;
                        continue;
                    }
                    cand = grown;
                    cap = postings + k;
                }
                /* dot[j] accumulates the products of the shared concepts in
                 * increasing concept order, the order in which the scan's sum
                 * meets them (its other terms are zeros): the same bits. */
                const uint32_t mark = (uint32_t)(i + 1);
                for (size_t a = 0; a < q; a++) {
                    if (qc[a] < 0 || (a > 0 && qc[a] == qc[a - 1]))
                        continue;
                    const double v = dense[qc[a]];
                    for (size_t t = x.start[qc[a]]; t < x.start[qc[a] + 1]; t++) {
                        const uint32_t j = x.point[t];
                        if (stamp[j] != mark) {
                            stamp[j] = mark;
                            dot[j] = 0.0;
                            cand[nc++] = j;
                        }
                        dot[j] += x.val[t] * v;
                    }
                }
                for (size_t t = 0; t < nc; t++)
                    topk_push_any(tk, key_of(dot[cand[t]], norm[cand[t]], metric), first + cand[t]);
                for (size_t t = 0, taken = 0; t < x.len0 && taken < k; t++)
                    if (stamp[x.order0[t]] != mark) {
                        topk_push_any(tk, x.key0[t], first + x.order0[t]); /* the scan's key, dot = 0 */
                        taken++;
                    }
            }
            for (size_t a = 0; a < q; a++)
                if (qc[a] >= 0)
                    dense[qc[a]] = 0.0;
        }
        free(dense);
        free(stamp);
        free(dot);
        free(cand);
    }
    index_free(&x);
    free(norm);
    return failed ? GSL_ENOMEM : GSL_SUCCESS;
}

int ttt_search_alloc(const ttt_data *query, size_t d1, size_t k, ttt_space space, ttt_metric metric,
                     ttt_search **out)
{
    *out = NULL;
    if (k == 0)
        GSL_ERROR("k must be at least 1", GSL_EINVAL);
    ttt_search *s = calloc(1, sizeof *s);
    if (s) {
        s->heap = ttt_mem_alloc((query->n ? query->n : 1) * k, sizeof *s->heap);
        s->tk = malloc((query->n ? query->n : 1) * sizeof *s->tk);
    }
    if (!s || !s->heap || !s->tk) {
        ttt_search_free(s);
        GSL_ERROR("no memory for the neighbour search", GSL_ENOMEM);
    }
    *s = (ttt_search){query, d1, k, space, metric, s->heap, s->tk};
    for (size_t i = 0; i < query->n; i++)
        s->tk[i] = (topk){s->heap + i * k, 0, k, 0.0};
    *out = s;
    return GSL_SUCCESS;
}

int ttt_search_add(ttt_search *s, const ttt_data *base, size_t first)
{
    if (base->n == 0)
        return GSL_SUCCESS;
    int status = s->space == TTT_SPACE_CONCEPT ? concept_add(s, base, first) : feature_add(s, base, first);
    if (status)
        GSL_ERROR("no memory for the neighbour search", status);
    return GSL_SUCCESS;
}

void ttt_search_finish(ttt_search *s, size_t *idx)
{
    for (size_t i = 0; i < s->query->n; i++)
        topk_finish(&s->tk[i], idx + i * s->k);
}

void ttt_search_free(ttt_search *s)
{
    if (!s)
        return;
    free(s->heap);
    free(s->tk);
    free(s);
}

int ttt_neighbours_find(const ttt_data *base, const ttt_data *query, size_t d1, size_t k, ttt_space space,
                        ttt_metric metric, size_t *idx)
{
    if (k == 0 || k > base->n)
        GSL_ERROR("k must satisfy 1 <= k <= number of base points", GSL_EINVAL);
    ttt_search *s;
    int status = ttt_search_alloc(query, d1, k, space, metric, &s);
    if (!status)
        status = ttt_search_add(s, base, 0);
    if (!status)
        ttt_search_finish(s, idx);
    ttt_search_free(s);
    return status;
}
