/* ttt_rng — see ttt_rng.h. */
#include "ttt_rng.h"

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

uint64_t ttt_rng_hash(unsigned long seed, const char *text, uint64_t index)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    return mix(mix(mix((uint64_t)seed) ^ h) ^ index);
}
