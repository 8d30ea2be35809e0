/* ttt_rng — see ttt_rng.h. */
#include "ttt_rng.h"

#include <Random123/philox.h>

/* SplitMix64's finaliser: a bijection on 64 bits with full avalanche. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

gsl_rng *ttt_rng_alloc(void)
{
    return gsl_rng_alloc(TTT_RNG_TYPE);
}

void ttt_rng_stream(gsl_rng *r, unsigned long seed, ttt_stream purpose, uint64_t index)
{
    uint64_t h = mix(mix((uint64_t)seed) ^ mix(((uint64_t)purpose << 48) ^ index));
    /* MT19937 in GSL keeps 32 bits of its seed: fold both halves in. */
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & 0xffffffffULL);
    gsl_rng_set(r, s);
}

/* Philox4x32 as a GSL generator: the counter's first word counts blocks of
 * four 32-bit outputs within a stream, its last two words hold the index. */
typedef struct {
    philox4x32_key_t key;
    philox4x32_ctr_t ctr;
    philox4x32_ctr_t out;
    unsigned used; /* outputs of `out` already returned */
} counter_state;

static void counter_at(counter_state *st, uint64_t key, uint64_t index)
{
    st->key.v[0] = (uint32_t)key;
    st->key.v[1] = (uint32_t)(key >> 32);
    st->ctr.v[0] = 0;
    st->ctr.v[1] = 0;
    st->ctr.v[2] = (uint32_t)index;
    st->ctr.v[3] = (uint32_t)(index >> 32);
    st->used = 4;
}

static void counter_set(void *state, unsigned long seed)
{
    counter_at(state, mix((uint64_t)seed), 0);
}

static unsigned long counter_get(void *state)
{
    counter_state *st = state;
    if (st->used == 4) {
        st->out = philox4x32(st->ctr, st->key);
        st->ctr.v[0]++;
        if (st->ctr.v[0] == 0)
            st->ctr.v[1]++;
        st->used = 0;
    }
    return st->out.v[st->used++];
}

static double counter_get_double(void *state)
{
    return (double)counter_get(state) / 4294967296.0;
}

static const gsl_rng_type counter_type = {"philox4x32", 0xffffffffUL, 0, sizeof(counter_state), counter_set,
                                          counter_get, counter_get_double};

gsl_rng *ttt_rng_counter_alloc(void)
{
    return gsl_rng_alloc(&counter_type);
}

void ttt_rng_counter_stream(gsl_rng *r, unsigned long seed, ttt_stream purpose, uint64_t index)
{
    counter_at(gsl_rng_state(r), mix(mix((uint64_t)seed) ^ mix((uint64_t)purpose << 48)), index);
}

uint64_t ttt_rng_permute(uint64_t x, uint64_t n, unsigned long seed, ttt_stream purpose)
{
    unsigned h = 1; /* half width: 4^h >= n, so at most 4 walks are expected */
    while (h < 31 && (1ULL << (2 * h)) < n)
        h++;
    const uint64_t mask = (1ULL << h) - 1, key = mix(mix((uint64_t)seed) ^ mix((uint64_t)purpose << 48));
    do {
        uint64_t left = x >> h, right = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t t = left ^ (mix(key ^ (round << 56) ^ right) & mask);
            left = right;
            right = t;
        }
        x = (left << h) | right;
    } while (x >= n);
    return x;
}

uint64_t ttt_rng_hash(unsigned long seed, const char *text, uint64_t index)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    return mix(mix(mix((uint64_t)seed) ^ h) ^ index);
}
