/* ttt_idmap — see ttt_idmap.h. */
#include "ttt_idmap.h"

#include <stdlib.h>

#include "ttt_mem.h"

ttt_idmap *ttt_idmap_alloc(size_t most)
{
    if (most >= (size_t)INT32_MAX)
        return NULL;
    ttt_idmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size_t slots = 2;
    while (slots < 2 * most)
        slots *= 2;
    m->slot = ttt_mem_alloc(slots, sizeof *m->slot);
    m->key = ttt_mem_alloc(most ? most : 1, sizeof *m->key);
    if (!m->slot || !m->key) {
        ttt_idmap_free(m);
        return NULL;
    }
    m->mask = slots - 1;
    m->most = most;
    for (size_t h = 0; h < slots; h++)
        m->slot[h] = (ttt_idmap_slot){-1, -1};
    return m;
}

void ttt_idmap_free(ttt_idmap *m)
{
    if (!m)
        return;
    free(m->slot);
    free(m->key);
    free(m);
}

/* The slot holding key, or the empty one where it would go.  At most half
 * the slots are full, so the probe ends.  Fibonacci hashing spreads
 * consecutive concepts (a topic's pool) over the table. */
static size_t probe(const ttt_idmap *m, int32_t key)
{
    size_t h = (size_t)(((uint64_t)(uint32_t)key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & m->mask;
    while (m->slot[h].key >= 0 && m->slot[h].key != key)
        h = (h + 1) & m->mask;
    return h;
}

int32_t ttt_idmap_add(ttt_idmap *m, int32_t key)
{
    if (key < 0)
        return -1;
    ttt_idmap_slot *s = &m->slot[probe(m, key)];
    if (s->key < 0) {
        if (m->size == m->most)
            return -1;
        *s = (ttt_idmap_slot){key, (int32_t)m->size};
        m->key[m->size++] = key;
    }
    return s->id;
}

int32_t ttt_idmap_find(const ttt_idmap *m, int32_t key)
{
    return key < 0 ? -1 : m->slot[probe(m, key)].id;
}

void ttt_idmap_clear(ttt_idmap *m)
{
    /* Latest first: a key's probe passes only slots filled before it was
     * added, which are still full when it is looked up to be emptied. */
    while (m->size > 0)
        m->slot[probe(m, m->key[--m->size])] = (ttt_idmap_slot){-1, -1};
}
