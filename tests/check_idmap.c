/* ttt_idmap against a list searched linearly: ids in order of first
 * addition, absent keys, clearing, and its limits. */
#include <stdlib.h>

#include "check_ttt.h"
#include "ttt_idmap.h"
#include "ttt_rng.h"

START_TEST(test_ids_follow_first_appearance)
{
    ttt_idmap *m = ttt_idmap_alloc(4);
    ck_assert_ptr_nonnull(m);
    const int32_t keys[] = {7, 3, 7, 999999999, 3, 0}, want[] = {0, 1, 0, 2, 1, 3};
    for (int a = 0; a < 6; a++)
        ck_assert_int_eq(ttt_idmap_add(m, keys[a]), want[a]);
    ck_assert_uint_eq(m->size, 4);
    const int32_t order[] = {7, 3, 999999999, 0};
    for (int a = 0; a < 4; a++) {
        ck_assert_int_eq(m->key[a], order[a]);
        ck_assert_int_eq(ttt_idmap_find(m, order[a]), a);
    }
    ck_assert_int_eq(ttt_idmap_find(m, 8), -1);
    ck_assert_int_eq(ttt_idmap_find(m, -1), -1);
    ttt_idmap_free(m);
}
END_TEST

/* Rounds of random keys from a small range fill the map to `most` (so
 * probes collide and pass each other), each checked against a list searched
 * linearly, then cleared: every slot must be empty again, whatever the order
 * in which the colliding keys were added. */
START_TEST(test_clearing_leaves_every_slot_empty)
{
    const size_t most = 40;
    ttt_idmap *m = ttt_idmap_alloc(most);
    gsl_rng *r = ttt_rng_alloc();
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(r);
    ttt_rng_stream(r, 1, TTT_STREAM_TOOLS, 0);
    int32_t list[40];
    for (int round = 0; round < 200; round++) {
        size_t len = 0;
        while (len < most) {
            const int32_t key = (int32_t)gsl_rng_uniform_int(r, 3 * most);
            size_t id = 0;
            while (id < len && list[id] != key)
                id++;
            if (id == len)
                list[len++] = key;
            ck_assert_int_eq(ttt_idmap_add(m, key), (int32_t)id);
        }
        ck_assert_uint_eq(m->size, most);
        for (size_t id = 0; id < most; id++)
            ck_assert_int_eq(ttt_idmap_find(m, list[id]), (int32_t)id);
        ttt_idmap_clear(m);
        ck_assert_uint_eq(m->size, 0);
        for (size_t h = 0; h <= m->mask; h++)
            ck_assert_int_eq(m->slot[h].key, -1);
    }
    gsl_rng_free(r);
    ttt_idmap_free(m);
}
END_TEST

START_TEST(test_keys_beyond_the_bound_are_refused)
{
    ck_assert_ptr_null(ttt_idmap_alloc((size_t)INT32_MAX));
    ttt_idmap_free(NULL);
    ttt_idmap *m = ttt_idmap_alloc(0);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(ttt_idmap_add(m, 5), -1);
    ck_assert_int_eq(ttt_idmap_find(m, 5), -1);
    ttt_idmap_free(m);
    m = ttt_idmap_alloc(2);
    ck_assert_int_eq(ttt_idmap_add(m, 5), 0);
    ck_assert_int_eq(ttt_idmap_add(m, -3), -1);
    ck_assert_int_eq(ttt_idmap_add(m, 6), 1);
    ck_assert_int_eq(ttt_idmap_add(m, 7), -1);
    ck_assert_int_eq(ttt_idmap_add(m, 5), 0);
    ck_assert_uint_eq(m->size, 2);
    ck_assert_int_eq(ttt_idmap_find(m, 7), -1);
    ttt_idmap_free(m);
}
END_TEST

Suite *make_idmap_suite(void)
{
    Suite *s = suite_create("idmap");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_ids_follow_first_appearance);
    tcase_add_test(core, test_clearing_leaves_every_slot_empty);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_keys_beyond_the_bound_are_refused);
    suite_add_tcase(s, limits);
    return s;
}
