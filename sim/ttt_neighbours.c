/* ttt_neighbours — see ttt_neighbours.h. */
#include "ttt_neighbours.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Queries per GEMM block: a thread's block of distances (rows x n) stays
 * near 8 MiB, so the selection pass reads it from cache. */
#define BLOCK_CELLS ((size_t)1 << 20)
#define BLOCK_MAX 256

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

void ttt_neighbours_select(const double *key, size_t n, size_t k, ttt_neighbour *heap, size_t *out)
{
    /* A max-heap of the k best so far: its root is the worst of them. */
    size_t len = 0;
    for (size_t j = 0; j < n; j++) {
        ttt_neighbour c = {key[j], j};
        if (len < k) {
            size_t i = len++;
            heap[i] = c;
            while (i > 0 && greater(&heap[i], &heap[(i - 1) / 2])) {
                ttt_neighbour t = heap[i];
                heap[i] = heap[(i - 1) / 2];
                heap[(i - 1) / 2] = t;
                i = (i - 1) / 2;
            }
        } else if (greater(&heap[0], &c)) {
            heap[0] = c;
            sift_down(heap, len, 0);
        }
    }
    /* Heap sort: pop the worst to the back. */
    for (size_t end = len; end > 0; end--) {
        out[end - 1] = heap[0].idx;
        heap[0] = heap[end - 1];
        sift_down(heap, end - 1, 0);
    }
}

static int find_feature(const ttt_data *base, const ttt_data *query, size_t k, int metric, size_t *idx)
{
    const size_t n = base->n, d2 = base->d2;
    size_t block = BLOCK_CELLS / n;
    block = block < 1 ? 1 : block > BLOCK_MAX ? BLOCK_MAX : block;
    const size_t nblocks = (query->n + block - 1) / block;
    double *norm = malloc(n * sizeof *norm);
    int failed = !norm;
    if (!failed)
        for (size_t j = 0; j < n; j++) {
            double s2 = 0.0; /* a plain loop: a BLAS may thread a long dot product */
            for (size_t l = 0; l < d2; l++)
                s2 += base->psi[j * d2 + l] * base->psi[j * d2 + l];
            norm[j] = metric == TTT_METRIC_COSINE ? sqrt(s2) : s2;
        }
    /* Each thread takes whole blocks of queries: one GEMM per block (BLAS-3,
     * single-threaded inside the parallel region, so no thread count can
     * change a sum), then the selection of each row. */
#pragma omp parallel reduction(| : failed)
    {
        double *C = malloc(block * n * sizeof *C);
        ttt_neighbour *heap = malloc(k * sizeof *heap);
        int ok = C && heap && norm;
        if (!ok)
            failed = 1;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nblocks; b++) {
            if (!ok)
                continue;
            size_t b0 = b * block, rows = query->n - b0 < block ? query->n - b0 : block;
            /* C = -2 Q B^T */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)d2, -2.0,
                        query->psi + b0 * d2, (int)d2, base->psi, (int)d2, 0.0, C, (int)n);
            for (size_t i = 0; i < rows; i++) {
                double *key = C + i * n;
                if (metric == TTT_METRIC_COSINE) /* -cos * ||x*||: same order as -cos */
                    for (size_t j = 0; j < n; j++)
                        key[j] = norm[j] > 0.0 ? 0.5 * key[j] / norm[j] : 0.0;
                else
                    for (size_t j = 0; j < n; j++)
                        key[j] += norm[j];
                ttt_neighbours_select(key, n, k, heap, idx + (b0 + i) * k);
            }
        }
        free(C);
        free(heap);
    }
    free(norm);
    return failed ? GSL_ENOMEM : GSL_SUCCESS;
}

static int find_concept(const ttt_data *base, const ttt_data *query, size_t d1, size_t k, int metric,
                        size_t *idx)
{
    const size_t n = base->n, q = base->q;
    double *norm = malloc(n * sizeof *norm);
    int failed = !norm;
    if (!failed)
        for (size_t j = 0; j < n; j++) {
            double s2 = 0.0;
            for (size_t l = 0; l < q; l++)
                s2 += base->phi_val[j * q + l] * base->phi_val[j * q + l];
            norm[j] = metric == TTT_METRIC_COSINE ? sqrt(s2) : s2;
        }
#pragma omp parallel reduction(| : failed)
    {
        double *dense = calloc(d1, sizeof *dense);
        double *key = malloc(n * sizeof *key);
        ttt_neighbour *heap = malloc(k * sizeof *heap);
        int ok = dense && key && heap && norm;
        if (!ok)
            failed = 1;
#pragma omp for schedule(static)
        for (size_t i = 0; i < query->n; i++) {
            if (!ok)
                continue;
            const int32_t *qi = query->phi_idx + i * q;
            const double *qv = query->phi_val + i * q;
            for (size_t a = 0; a < q; a++)
                dense[qi[a]] = qv[a];
            for (size_t j = 0; j < n; j++) {
                const int32_t *bi = base->phi_idx + j * q;
                const double *bv = base->phi_val + j * q;
                double dot = 0.0;
                for (size_t a = 0; a < q; a++)
                    dot += bv[a] * dense[bi[a]];
                key[j] = metric == TTT_METRIC_COSINE ? (norm[j] > 0.0 ? -dot / norm[j] : 0.0)
                                                     : norm[j] - 2.0 * dot;
            }
            for (size_t a = 0; a < q; a++)
                dense[qi[a]] = 0.0;
            ttt_neighbours_select(key, n, k, heap, idx + i * k);
        }
        free(dense);
        free(key);
        free(heap);
    }
    free(norm);
    return failed ? GSL_ENOMEM : GSL_SUCCESS;
}

int ttt_neighbours_find(const ttt_data *base, const ttt_data *query, size_t d1, size_t k, int space,
                        int metric, size_t *idx)
{
    if (k == 0 || k > base->n)
        GSL_ERROR("k must satisfy 1 <= k <= number of base points", GSL_EINVAL);
    int status = space == TTT_SPACE_CONCEPT ? find_concept(base, query, d1, k, metric, idx)
                                            : find_feature(base, query, k, metric, idx);
    if (status)
        GSL_ERROR("no memory for the neighbour search", status);
    return GSL_SUCCESS;
}
