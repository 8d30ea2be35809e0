/* ttt_idmap — compact ids for the concepts a computation meets.
 *
 * Concept indices are int32 in [0, d1), and d1 may be 1e9 while the codes
 * are q-sparse: a neighbour search meets at most n q concepts, a local fit
 * at most k q.  An array indexed by concept would cost O(d1) bytes per
 * thread; this map gives each concept added an id 0, 1, 2, ... in the order
 * of its first addition, in an open-addressing hash table (linear probing)
 * of at least twice as many slots as keys, so it takes O(most) bytes.  The
 * ids depend only on the order of addition, never on the hash. */
#ifndef TTT_IDMAP_H
#define TTT_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t key, id; /* key -1: empty */
} ttt_idmap_slot;

typedef struct {
    ttt_idmap_slot *slot; /* mask + 1 slots, a power of two >= 2 most */
    size_t mask;
    int32_t *key;         /* most: the keys by id, in order of first addition */
    size_t size;          /* keys added so far */
    size_t most;          /* at most this many keys */
} ttt_idmap;

/* An empty map for at most `most` distinct keys; NULL if out of memory or
 * most >= 2^31 (ids are int32).  Free with ttt_idmap_free (NULL: no-op). */
ttt_idmap *ttt_idmap_alloc(size_t most);
void ttt_idmap_free(ttt_idmap *m);

/* The id of key (>= 0), adding it with id m->size if it is new.  The caller
 * keeps to `most` distinct keys: a new key beyond them is not added and
 * gets -1. */
int32_t ttt_idmap_add(ttt_idmap *m, int32_t key);

/* The id of key, or -1 if it was not added.  Reads only, so threads may
 * share a map they do not modify. */
int32_t ttt_idmap_find(const ttt_idmap *m, int32_t key);

/* Removes every key, in O(size) (not O(slots)): the map is then as new. */
void ttt_idmap_clear(ttt_idmap *m);

#endif
