/* ttt_generate — a problem instance drawn from the sparse concept model
 * (docs/MODEL.md section 1): dictionary A, topic pools, ground truth w*, and train and
 * test sets with sparse codes phi, features psi = A phi (+ noise), noiseless
 * labels f = <phi, w*> and noisy labels y = f + sigma * eps. */
#ifndef TTT_GENERATE_H
#define TTT_GENERATE_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "ttt_idmap.h"
#include "ttt_params.h"

/* Points per random stream: block b of a set draws from stream (set, b), so a
 * set is the same whatever the number of threads that generate it. */
#define TTT_GENERATE_BLOCK 256

/* One set of points.  Codes are stored sparsely: each has exactly q = s +
 * background nonzeros, listed with increasing concept index. */
typedef struct {
    size_t n;          /* points */
    size_t q;          /* nonzeros per code */
    size_t d2;         /* features per point */
    int32_t *phi_idx;  /* n x q, row-major: concept indices, increasing in a row */
    double *phi_val;   /* n x q, row-major: magnitudes, each row of unit norm */
    double *psi;       /* n x d2, row-major: features A phi (+ feature noise) */
    double *f;         /* n: noiseless labels <phi, w*> */
    double *y;         /* n: labels f + sigma * eps */
    int32_t *topic;    /* n: the topic each point was drawn from */
    double *norm2;     /* n: ||psi_i||^2, each a sum in index order (ttt_data_norms), drawn with the
                          point; valid only where norms_valid (the generator's sets: data filled
                          by hand leave it 0, and the neighbour search computes its own).  A view
                          of some rows offsets norm2 with psi. */
    int norms_valid;
} ttt_data;

/* norm2[i] = ||row i||^2 for the rows x width row-major v: each a sum of
 * squares in index order, eight rows at a time (eight chains of additions
 * in flight); the bits of the one-row loop. */
void ttt_data_norms(const double *v, size_t rows, size_t width, double *norm2);

/* The dictionary and w* are read through ttt_instance_column and
 * ttt_instance_w, which serve them from whichever of A, used_A or a fresh
 * draw holds them: with generator = counter, column j of A and w*_j are
 * functions of (seed, j) alone, so all three give the same numbers. */
typedef struct {
    ttt_params p;      /* checked copy of the parameters */
    size_t q;          /* s + background: nonzeros per code */
    double *A;         /* d1 x d2, row-major: row j is column j of the dictionary,
                          concept j's direction in feature space (A is d2 x d1);
                          NULL unless ttt_params_stores_A */
    double *w_star;    /* d1: ground-truth head in concept space; NULL when A is */
    size_t nused;      /* concepts in the pools (their union) */
    int32_t *used;     /* nused, increasing */
    ttt_idmap *used_ids; /* used[i] -> i */
    double *used_A;    /* nused x d2: their columns, when A is not stored (else NULL) */
    double *used_w;    /* nused: their w*, when w* is not stored (else NULL) */
    double w_scale;    /* w_law = power: c in |w*_j| = c rank_j^-w_alpha */
    int32_t *pools;    /* topics x pool, row-major: topic t's concepts, increasing */
    int train_streamed;/* the n training points are not stored: train starts empty
                          (ttt_params_streams_train); tiles and single points are
                          drawn again from their streams when needed */
    ttt_data train;    /* n points (or, streamed, those a run keeps) */
    ttt_data test;     /* m points */
} ttt_instance;

/* Scratch for reading concepts that are not stored: one per thread. */
typedef struct ttt_concept_ws ttt_concept_ws;

/* NULL when out of memory. */
ttt_concept_ws *ttt_concept_ws_alloc(const ttt_instance *in);
void ttt_concept_ws_free(ttt_concept_ws *ws);

/* Column j of A (d2 entries): stored, or drawn into ws's scratch (valid
 * until ws's next call). */
const double *ttt_instance_column(const ttt_instance *in, int32_t j, ttt_concept_ws *ws);

/* The slot of concept j in in->used, or -1 when j is in no pool. */
long ttt_instance_used_slot(const ttt_instance *in, int32_t j);

/* w*_j. */
double ttt_instance_w(const ttt_instance *in, int32_t j, ttt_concept_ws *ws);

/* Draws the instance that p and p->seed determine into *out, which the
 * caller owns and frees with ttt_instance_free.  p must have passed
 * ttt_params_check.  Returns GSL_SUCCESS, or GSL_ENOMEM (GSL error raised)
 * with *out NULL. */
int ttt_instance_alloc(const ttt_params *p, ttt_instance **out);

/* A set of n points (ttt_data), allocated / freed; 0 or -1 (no memory). */
int ttt_data_alloc(ttt_data *d, size_t n, size_t q, size_t d2);
void ttt_data_free(ttt_data *d);

/* Training points [first, first + tile->n) into tile (allocated for at least
 * tile->n points); first a multiple of TTT_GENERATE_BLOCK.  The same numbers
 * as the stored training set's rows.  GSL_SUCCESS or GSL_ENOMEM. */
int ttt_generate_train_tile(const ttt_instance *in, size_t first, ttt_data *tile);

/* Training points idx[0..count-1] (increasing) into out's rows 0..count-1,
 * each block that holds one drawn again.  GSL_SUCCESS or GSL_ENOMEM. */
int ttt_generate_train_points(const ttt_instance *in, const size_t *idx, size_t count, ttt_data *out);

/* Frees an instance; NULL is a no-op. */
void ttt_instance_free(ttt_instance *in);

/* Draws q = s + background magnitudes from the law `magnitudes` and scales
 * them to unit Euclidean norm.  The building block of every code. */
void ttt_generate_magnitudes(gsl_rng *r, ttt_magnitudes magnitudes, size_t q, double *val);


/* Draws one code of topic t (or of a uniform topic when t < 0) into idx and
 * val (q entries each, sorted by index); returns the topic.  marks is a
 * caller-owned empty ttt_idmap for q concepts, returned empty. */
int32_t ttt_generate_code(const ttt_instance *in, gsl_rng *r, long t, ttt_idmap *marks,
                          int32_t *idx, double *val);

#endif
