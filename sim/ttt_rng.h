/* ttt_rng — independent random streams derived from one seed.
 *
 * Every independent unit of work (the dictionary, the pools, w*, each block of
 * training or test points, later each replicate) draws from its own stream,
 * keyed by (seed, purpose, index).  Which thread runs a unit, and in which
 * order, therefore never changes a number. */
#ifndef TTT_RNG_H
#define TTT_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

typedef enum {
    TTT_STREAM_DICTIONARY = 1,
    TTT_STREAM_POOLS = 2,
    TTT_STREAM_WSTAR = 3,
    TTT_STREAM_TRAIN = 4,
    TTT_STREAM_TEST = 5,
    TTT_STREAM_TOOLS = 6 /* draws made by tests and helper tools, never by a run */
} ttt_stream;

/* The generator type of the sequential streams (MT19937): the dictionary,
 * the pools and w* of generator=stream, and the tests' own draws. */
#define TTT_RNG_TYPE gsl_rng_mt19937

/* The streams, as the provenance line of every output names them: point
 * blocks from Philox counters (ttt_rng_counter_stream), sequences MT19937. */
#define TTT_RNG_NAME "philox4x32-10 points, mt19937 sequences"

/* Allocates a generator of TTT_RNG_TYPE; NULL when out of memory. */
gsl_rng *ttt_rng_alloc(void);

/* Allocates a counter-based generator (Philox4x32-10 from Random123): a GSL
 * generator whose stream is the Philox bijection of (key, counter), so
 * moving it to another stream costs no more than a draw.  Blocks of points,
 * columns of the dictionary and entries of w* each take their own stream
 * (seed, purpose, block or concept) from it.  NULL when out of memory. */
gsl_rng *ttt_rng_counter_alloc(void);

/* Moves a counter-based generator to the start of stream (seed, purpose,
 * index): the key is SplitMix64 of (seed, purpose), the counter holds index. */
void ttt_rng_counter_stream(gsl_rng *r, unsigned long seed, ttt_stream purpose, uint64_t index);

/* Re-seeds r (of TTT_RNG_TYPE) so that it produces stream (seed, purpose,
 * index).  The key is hashed with SplitMix64 so that neighbouring indices
 * give unrelated seeds; MT19937 keeps 32 bits of it, so among b streams
 * about b^2 / 2^33 pairs share a seed: fine for a few streams per instance,
 * not for the blocks of a large set (those use ttt_rng_counter_stream). */
void ttt_rng_stream(gsl_rng *r, unsigned long seed, ttt_stream purpose, uint64_t index);

/* A random permutation of [0, n) keyed by (seed, purpose), evaluated at x
 * (a four-round Feistel network on the next even power of two, cycle-walked
 * into [0, n)): a bijection computed in O(1) memory, for n up to 2^62. */
uint64_t ttt_rng_permute(uint64_t x, uint64_t n, unsigned long seed, ttt_stream purpose);

/* A 64-bit key from a seed, a text and an index (FNV-1a of the text, mixed
 * with SplitMix64): the seed of one sweep job, derived from the base seed,
 * the job's parameters and its replicate number. */
uint64_t ttt_rng_hash(unsigned long seed, const char *text, uint64_t index);

#endif
