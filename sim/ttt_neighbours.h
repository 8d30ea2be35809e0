/* ttt_neighbours — the k training points nearest to each test point, in
 * feature space (psi, what TTT can see) or concept space (phi, an oracle). */
#ifndef TTT_NEIGHBOURS_H
#define TTT_NEIGHBOURS_H

#include <stddef.h>

#include "ttt_generate.h"

/* Finds, for each of the rows of `query` (a set of points), the k nearest
 * points of `base` under `space` (TTT_SPACE_FEATURE or TTT_SPACE_CONCEPT) and
 * `metric` (TTT_METRIC_EUCLIDEAN or TTT_METRIC_COSINE).  Writes idx (query->n x
 * k, row-major), each row ordered by increasing distance, ties broken by the
 * smaller index, so the result is deterministic.
 *
 * Feature space: squared distances ||x||^2 - 2 <x*, x> (the constant ||x*||^2
 * dropped) come from one GEMM per block of queries, then a bounded max-heap
 * selects the k smallest in O(n log k).  For the euclidean metric the GEMM
 * is in single precision and only screens: a point that may enter the heap
 * (by a rounding bound, ttt_neighbours.c) is scored again in double, so the
 * lists are those of a scan in double.  Concept space: an inverted index
 * (for each concept, the base points that hold it) gives each query the dot
 * products with the points that share a concept; every other point has dot
 * product 0, so only the first k of them by that key can be among the
 * nearest.  Work per query: its postings, not n q; the lists are those of a
 * full scan, bit for bit, for codes whose concepts are distinct and
 * ascending (as ttt_generate makes them) and lie in [0, d1).  d1 is needed
 * only for concept space, where it bounds the distinct concepts of base: the
 * index relabels them to compact ids, so its memory is O((n + query->n) q)
 * plus O(min(n q, d1)) per thread, never O(d1) for large d1.  Returns
 * GSL_SUCCESS, GSL_EINVAL for k = 0 or k > base->n, or GSL_ENOMEM. */
int ttt_neighbours_find(const ttt_data *base, const ttt_data *query, size_t d1, size_t k, ttt_space space,
                        ttt_metric metric, size_t *idx);

/* The same search over a base that comes in tiles (a streamed training
 * set): ttt_search_add(s, tile, first) adds the tile's points as indices
 * first, first + 1, ... (tiles in increasing order, each starting where the
 * last ended); ttt_search_finish writes the lists of all the points added,
 * the same as ttt_neighbours_find on the whole base (at least k points must
 * have been added).  query must outlive the search.  GSL status returns as
 * above. */
typedef struct ttt_search ttt_search;
int ttt_search_alloc(const ttt_data *query, size_t d1, size_t k, ttt_space space, ttt_metric metric,
                     ttt_search **out);
int ttt_search_add(ttt_search *s, const ttt_data *base, size_t first);
void ttt_search_finish(ttt_search *s, size_t *idx);
void ttt_search_free(ttt_search *s);

/* The k smallest of key[0..n-1] by (key, index), ascending, into out (k).
 * heap is scratch of k entries.  Exposed for the tests. */
typedef struct {
    double key;
    size_t idx;
} ttt_neighbour;
void ttt_neighbours_select(const double *key, size_t n, size_t k, ttt_neighbour *heap, size_t *out);

#endif
