/* ttt_neighbours against brute force: sort every distance. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_ttt.h"
#include "ttt_neighbours.h"

typedef struct {
    double d;
    size_t i;
} pair;

static int by_distance(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    return x->d < y->d ? -1 : x->d > y->d ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Distance used for ranking, computed directly (no GEMM, no expansion). */
static double distance(const ttt_instance *in, int space, int metric, size_t qi, size_t bi)
{
    const ttt_data *tr = &in->train, *te = &in->test;
    size_t dim = space == TTT_SPACE_FEATURE ? in->p.d2 : in->p.d1;
    double *a = calloc(dim, sizeof *a), *b = calloc(dim, sizeof *b);
    if (space == TTT_SPACE_FEATURE) {
        memcpy(a, te->psi + qi * dim, dim * sizeof *a);
        memcpy(b, tr->psi + bi * dim, dim * sizeof *b);
    } else {
        for (size_t e = 0; e < in->q; e++) {
            a[te->phi_idx[qi * in->q + e]] = te->phi_val[qi * in->q + e];
            b[tr->phi_idx[bi * in->q + e]] = tr->phi_val[bi * in->q + e];
        }
    }
    double d = 0.0, ab = 0.0, aa = 0.0, bb = 0.0;
    for (size_t j = 0; j < dim; j++) {
        d += (a[j] - b[j]) * (a[j] - b[j]);
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
    }
    free(a);
    free(b);
    return metric == TTT_METRIC_COSINE ? -ab / sqrt(aa * bb) : d;
}

/* The lists of ttt_neighbours_find for the instance of words w against
 * brute force's. */
static void check_brute_force(const char *const *w, int space, int metric)
{
    ttt_params p = test_params(w);
    ttt_instance *in = test_instance(&p);
    size_t *idx = malloc(p.m * p.k * sizeof *idx);
    ck_assert_int_eq(ttt_neighbours_find(&in->train, &in->test, p.d1, p.k, space, metric, idx), GSL_SUCCESS);
    pair *all = malloc(p.n * sizeof *all);
    for (size_t q = 0; q < p.m; q++) {
        for (size_t j = 0; j < p.n; j++)
            all[j] = (pair){distance(in, space, metric, q, j), j};
        qsort(all, p.n, sizeof *all, by_distance);
        for (size_t a = 0; a < p.k; a++) {
            if (idx[q * p.k + a] == all[a].i)
                continue;
            /* Only a near-tie may be ordered differently: the GEMM expansion
             * ||x||^2 - 2<x*,x> rounds differently from the direct sum. */
            double got = distance(in, space, metric, q, idx[q * p.k + a]);
            ck_assert_msg(fabs(got - all[a].d) <= 1e-12 * (1.0 + fabs(all[a].d)),
                          "query %zu rank %zu: got %zu (%.17g), brute force %zu (%.17g)", q, a,
                          idx[q * p.k + a], got, all[a].i, all[a].d);
        }
    }
    free(all);
    free(idx);
    ttt_instance_free(in);
}

START_TEST(test_neighbours_match_brute_force)
{
    const char *w[] = {"d1=200", "d2=24", "s=4", "topics=10", "n=600", "m=40", "k=15", NULL};
    check_brute_force(w, _i / 2, _i % 2);
}
END_TEST

/* The screened search at a size the small test does not reach: 7000 base
 * points (37 tiles of 192, the last one short) and 600 queries (three
 * blocks of at most 256: more than one a thread on up to two threads): a
 * tile taken from the wrong place, or a block that meets only part of the
 * base, changes the lists. */
START_TEST(test_screen_over_many_tiles_and_blocks)
{
    const char *w[] = {"d1=200", "d2=24", "s=4", "topics=10", "n=7000", "m=600", "k=15", NULL};
    check_brute_force(w, TTT_SPACE_FEATURE, TTT_METRIC_EUCLIDEAN);
}
END_TEST

/* The concept-space search scores only the points that share a concept with
 * the query, plus the first untouched ones; a full scan with the same key
 * (||phi||^2 - 2 <phi*, phi>, or -<phi*, phi>/||phi||, summed in slot order)
 * must give the same lists exactly.  Constant magnitudes make exact ties
 * everywhere (ties go to the smaller index).  Config 0: about 4 points share
 * a concept with each query, k = 40, so most neighbours are untouched ones;
 * config 1: one topic, every query's postings cover all n (the full-scan
 * fallback); config 2: signed magnitudes and background concepts; config
 * 3: about 60 touched points per query for k = 10, tied in whole groups, so
 * ties at the k-th place arrive out of index order; config 4: d1 above 4 n q,
 * where the index numbers the concepts through a hash map, not a table. */
START_TEST(test_concept_neighbours_equal_a_full_scan)
{
    static const char *const configs[5][12] = {
        {"d1=2000", "d2=8", "s=3", "topics=100", "pool=6", "n=400", "m=30", "k=40", "magnitudes=constant", NULL},
        {"d1=50", "d2=8", "s=3", "topics=1", "pool=4", "n=300", "m=20", "k=25", "magnitudes=constant", NULL},
        {"d1=500", "d2=8", "s=3", "topics=20", "background=2", "n=500", "m=30", "k=30", "magnitudes=signed",
         NULL},
        {"d1=200", "d2=8", "s=3", "topics=10", "pool=6", "n=600", "m=40", "k=10", "magnitudes=constant", NULL},
        {"d1=100000", "d2=8", "s=3", "topics=40", "pool=6", "n=400", "m=30", "k=20", "magnitudes=signed", NULL}};
    const int config = _i / 2, metric = _i % 2;
    ttt_params p = test_params((const char **)configs[config]);
    ttt_instance *in = test_instance(&p);
    const ttt_data *tr = &in->train, *te = &in->test;
    const size_t q = in->q;
    size_t *idx = malloc(p.m * p.k * sizeof *idx);
    pair *all = malloc(p.n * sizeof *all);
    double *dense = calloc(p.d1, sizeof *dense);
    ck_assert_int_eq(ttt_neighbours_find(tr, te, p.d1, p.k, TTT_SPACE_CONCEPT, metric, idx), GSL_SUCCESS);
    size_t untouched = 0;
    for (size_t i = 0; i < p.m; i++) {
        for (size_t a = 0; a < q; a++)
            dense[te->phi_idx[i * q + a]] = te->phi_val[i * q + a];
        for (size_t j = 0; j < p.n; j++) {
            double dot = 0.0, n2 = 0.0;
            for (size_t a = 0; a < q; a++) {
                dot += tr->phi_val[j * q + a] * dense[tr->phi_idx[j * q + a]];
                n2 += tr->phi_val[j * q + a] * tr->phi_val[j * q + a];
            }
            double key = metric == TTT_METRIC_COSINE ? (n2 > 0.0 ? -dot / sqrt(n2) : 0.0) : n2 - 2.0 * dot;
            all[j] = (pair){key, j};
        }
        qsort(all, p.n, sizeof *all, by_distance);
        for (size_t a = 0; a < p.k; a++) {
            ck_assert_msg(idx[i * p.k + a] == all[a].i, "config %d metric %d query %zu rank %zu: %zu, scan %zu",
                          config, metric, i, a, idx[i * p.k + a], all[a].i);
            double dot = 0.0;
            for (size_t b = 0; b < q; b++)
                dot += dense[tr->phi_idx[all[a].i * q + b]] != 0.0;
            untouched += dot == 0.0;
        }
        for (size_t a = 0; a < q; a++)
            dense[te->phi_idx[i * q + a]] = 0.0;
    }
    if (config == 0)
        ck_assert_uint_gt(untouched, p.m * p.k / 2); /* the untouched fill decides most places */
    free(dense);
    free(all);
    free(idx);
    ttt_instance_free(in);
}
END_TEST

/* A base that comes in tiles (a streamed training set) gives the lists of
 * the whole base, bit for bit: tiles of uneven sizes, some smaller than k
 * and some larger, in both spaces and metrics, with exact ties (constant
 * magnitudes) that cross tile boundaries. */
START_TEST(test_search_over_tiles_equals_the_whole_search)
{
    const char *w[] = {"d1=300", "d2=8", "s=3", "topics=15", "pool=6", "n=700", "m=40", "k=30",
                       "magnitudes=constant", NULL};
    const ttt_space space = _i / 2 ? TTT_SPACE_CONCEPT : TTT_SPACE_FEATURE;
    const ttt_metric metric = _i % 2 ? TTT_METRIC_COSINE : TTT_METRIC_EUCLIDEAN;
    ttt_params p = test_params(w);
    ttt_instance *in = test_instance(&p);
    const ttt_data *tr = &in->train;
    size_t *whole = malloc(p.m * p.k * sizeof *whole), *tiled = malloc(p.m * p.k * sizeof *tiled);
    ck_assert_int_eq(ttt_neighbours_find(tr, &in->test, p.d1, p.k, space, metric, whole), GSL_SUCCESS);
    ttt_search *s;
    ck_assert_int_eq(ttt_search_alloc(&in->test, p.d1, p.k, space, metric, &s), GSL_SUCCESS);
    const size_t sizes[] = {7, 250, 1, 29, 300, 113}; /* sum 700 */
    for (size_t t = 0, first = 0; t < sizeof sizes / sizeof sizes[0]; first += sizes[t++]) {
        ttt_data tile = *tr; /* a view of rows first .. first + size */
        tile.n = sizes[t];
        tile.phi_idx += first * tr->q;
        tile.phi_val += first * tr->q;
        tile.psi += first * tr->d2;
        tile.norm2 += first; /* the generator's norms, viewed with their rows */
        ck_assert_int_eq(ttt_search_add(s, &tile, first), GSL_SUCCESS);
    }
    ttt_search_finish(s, tiled);
    ck_assert_mem_eq(whole, tiled, p.m * p.k * sizeof *whole);
    ttt_search_free(s);
    free(whole);
    free(tiled);
    ttt_instance_free(in);
}
END_TEST

/* The feature-space search screens its candidates in single precision
 * (relative error about 1e-7) and decides in double.  Here the base points
 * are one point moved by at most 3e-7 along one direction, so that their
 * keys spread over a few single-precision steps, 1e-10 apart on average:
 * single precision cannot tell most of them apart, double resolves each
 * gap 1e5 times over, and the lists must be brute force's exactly.  A
 * screen without its rounding bound rejects points of the list whose
 * single-precision key rounds to the wrong side of the worst kept key, and
 * this test fails; so does one that ranks by the single-precision keys. */
START_TEST(test_screening_decides_in_double)
{
    const size_t d2 = 16, n = 3000, m = 16, k = 40; /* n > 2048: two chunks */
    ttt_data base = {0}, query = {0};
    ck_assert_int_eq(ttt_data_alloc(&base, n, 1, d2), 0);
    ck_assert_int_eq(ttt_data_alloc(&query, m, 1, d2), 0);
    for (size_t l = 0; l < d2; l++) {
        for (size_t i = 0; i < m; i++)
            query.psi[i * d2 + l] = 0.3 + 0.1 * sin((double)(l + 3 * i));
        for (size_t j = 0; j < n; j++) /* moved along (1, -1, 1, ...) by up to 3e-7 */
            base.psi[j * d2 + l] = 0.3 * cos((double)l) + (l % 2 ? -3e-7 : 3e-7) * (double)((j * 7919) % n) / n;
    }
    size_t *idx = malloc(m * k * sizeof *idx);
    ck_assert_int_eq(ttt_neighbours_find(&base, &query, 1, k, TTT_SPACE_FEATURE, TTT_METRIC_EUCLIDEAN, idx),
                     GSL_SUCCESS);
    pair *all = malloc(n * sizeof *all);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double d = 0.0;
            for (size_t l = 0; l < d2; l++)
                d += (query.psi[i * d2 + l] - base.psi[j * d2 + l]) * (query.psi[i * d2 + l] - base.psi[j * d2 + l]);
            all[j] = (pair){d, j};
        }
        qsort(all, n, sizeof *all, by_distance);
        for (size_t a = 0; a < k; a++)
            ck_assert_msg(idx[i * k + a] == all[a].i, "query %zu rank %zu: got %zu, brute force %zu", i, a,
                          idx[i * k + a], all[a].i);
    }
    free(all);
    free(idx);
    ttt_data_free(&base);
    ttt_data_free(&query);
}
END_TEST

/* A base with a value the screen cannot take (not finite, or above 2^50 in
 * size) is scanned in double.  With k = n every point is in each list,
 * whatever its key; a screen would take neither the infinite point (its
 * single-precision product is NaN or -inf, which passes no threshold) nor
 * the NaN one, so a search that screened this base anyway would leave them
 * out. */
START_TEST(test_unscreenable_base_scanned_in_double)
{
    const size_t d2 = 8, n = 20, m = 3;
    const double bad[] = {INFINITY, NAN};
    for (int t = 0; t < 2; t++) {
        ttt_data base = {0}, query = {0};
        ck_assert_int_eq(ttt_data_alloc(&base, n, 1, d2), 0);
        ck_assert_int_eq(ttt_data_alloc(&query, m, 1, d2), 0);
        for (size_t l = 0; l < d2; l++) {
            for (size_t i = 0; i < m; i++)
                query.psi[i * d2 + l] = sin((double)(l + 5 * i));
            for (size_t j = 0; j < n; j++)
                base.psi[j * d2 + l] = cos((double)(3 * l + j));
        }
        base.psi[7 * d2 + 2] = bad[t];
        size_t idx[3 * 20];
        ck_assert_int_eq(ttt_neighbours_find(&base, &query, 1, n, TTT_SPACE_FEATURE, TTT_METRIC_EUCLIDEAN, idx),
                         GSL_SUCCESS);
        for (size_t i = 0; i < m; i++) {
            int seen[20] = {0};
            for (size_t a = 0; a < n; a++)
                if (idx[i * n + a] < n)
                    seen[idx[i * n + a]] = 1;
            for (size_t j = 0; j < n; j++)
                ck_assert_msg(seen[j], "%s base: query %zu lacks point %zu", t ? "NaN" : "infinite", i, j);
        }
        ttt_data_free(&base);
        ttt_data_free(&query);
    }
}
END_TEST

START_TEST(test_selection_orders_ties_by_index)
{
    const double key[] = {3.0, 1.0, 2.0, 1.0, 0.5, 2.0, 1.0};
    ttt_neighbour heap[7];
    size_t out[7];
    ttt_neighbours_select(key, 7, 5, heap, out);
    const size_t want[] = {4, 1, 3, 6, 2};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(out[i], want[i]);
    ttt_neighbours_select(key, 7, 7, heap, out); /* k = n: a full sort */
    ck_assert_uint_eq(out[6], 0);
    ck_assert_uint_eq(out[5], 5);
}
END_TEST

START_TEST(test_bad_k_is_refused)
{
    const char *w[] = {"d1=50", "d2=8", "s=2", "topics=2", "n=10", "m=2", "k=3", NULL};
    ttt_params p = test_params(w);
    ttt_instance *in = test_instance(&p);
    size_t idx[40];
    ck_assert_int_eq(ttt_neighbours_find(&in->train, &in->test, p.d1, 0, 0, 0, idx), GSL_EINVAL);
    ck_assert_int_eq(ttt_neighbours_find(&in->train, &in->test, p.d1, 11, 0, 0, idx), GSL_EINVAL);
    ck_assert_int_eq(ttt_neighbours_find(&in->train, &in->test, p.d1, 10, 1, 0, idx), GSL_SUCCESS);
    ttt_instance_free(in);
}
END_TEST

Suite *make_neighbours_suite(void)
{
    Suite *s = suite_create("neighbours");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: under ASan, or beside other work, a brute-force scan takes several */
    tcase_add_loop_test(core, test_neighbours_match_brute_force, 0, 4);
    tcase_add_loop_test(core, test_concept_neighbours_equal_a_full_scan, 0, 10);
    tcase_add_loop_test(core, test_search_over_tiles_equals_the_whole_search, 0, 4);
    tcase_add_test(core, test_screening_decides_in_double);
    tcase_add_test(core, test_unscreenable_base_scanned_in_double);
    tcase_add_test(core, test_screen_over_many_tiles_and_blocks);
    tcase_add_test(core, test_selection_orders_ties_by_index);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_bad_k_is_refused);
    suite_add_tcase(s, limits);
    return s;
}
