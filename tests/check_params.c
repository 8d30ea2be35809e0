/* ttt_params: defaults, parsing, files, and every invalid input. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "check_ttt.h"
#include "ttt_msg.h"

START_TEST(test_defaults_are_the_spec_table)
{
    ttt_params p = test_params(NULL);
    ck_assert_uint_eq(p.d1, 4096);
    ck_assert_uint_eq(p.d2, 128);
    ck_assert_uint_eq(p.s, 8);
    ck_assert_uint_eq(p.topics, 256);
    ck_assert_uint_eq(p.pool, 16); /* resolved from 0 to 2s */
    ck_assert_uint_eq(p.background, 0);
    ck_assert_uint_eq(p.n, 50000);
    ck_assert_uint_eq(p.m, 500);
    ck_assert_uint_eq(p.k, 50);
    ck_assert_double_eq(p.sigma, 0.1);
    ck_assert_int_eq(p.magnitudes, TTT_MAG_POSITIVE);
    ck_assert_int_eq(p.dictionary, TTT_DICT_GAUSSIAN);
}
END_TEST

START_TEST(test_words_set_every_kind_of_key)
{
    const char *w[] = {"d2=64", "sigma=0.25", "seed=18446744073709551615", "space=concept", "n=5e4", NULL};
    ttt_params p = test_params(w);
    ck_assert_uint_eq(p.d2, 64);
    ck_assert_double_eq(p.sigma, 0.25);
    ck_assert(p.seed == 18446744073709551615UL);
    ck_assert_int_eq(p.space, TTT_SPACE_CONCEPT);
    ck_assert_uint_eq(p.n, 50000);
}
END_TEST

START_TEST(test_pool_follows_s_and_caps_at_d1)
{
    const char *w[] = {"s=20", NULL};
    ck_assert_uint_eq(test_params(w).pool, 40);
    const char *w2[] = {"d1=30", "s=20", NULL};
    ck_assert_uint_eq(test_params(w2).pool, 30);
}
END_TEST

START_TEST(test_written_defaults_read_back_identically)
{
    ttt_params p, q;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    char path[] = "/tmp/ttt-params-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    ttt_params_write(&p, fp, "", 1);
    fclose(fp);
    memset(&q, 0xff, sizeof q);
    ttt_params_default(&q);
    q.d2 = 7; /* the file must set it back */
    ck_assert_int_eq(ttt_params_read_file(&q, path, msg), GSL_SUCCESS);
    unlink(path);
    ck_assert_mem_eq(&p, &q, sizeof p);
}
END_TEST

/* Each invalid input, and a word the message must contain. */
static const struct {
    const char *word, *expect;
} bad_words[] = {
    {"nonsense=1", "unknown key 'nonsense'"},
    {"d2=12x", "d2 = '12x' is not a whole number"},
    {"d2=1.5", "not a whole number"},
    {"sigma=abc", "sigma = 'abc' is not a finite number"},
    {"sigma=0x1p-3", "sigma = '0x1p-3' is not a finite number"},
    {"sigma=-0.1", "sigma = -0.1 is out of range"},
    {"sigma=nan", "not a finite number"},
    {"sigma=inf", "not a finite number"},
    {"d1=0", "d1 = 0 is out of range"},
    {"d2=0", "d2 = 0 is out of range"},
    {"n=0", "n = 0 is out of range"},
    {"m=0", "m = 0 is out of range"},
    {"k=0", "k = 0 is out of range"},
    {"s=0", "s = 0 is out of range"},
    {"topics=0", "topics = 0 is out of range"},
    {"seed=-1", "seed = '-1' is not a whole number"},
    {"dictionary=fourier", "allowed: gaussian | rademacher | orthonormal"},
    {"magnitudes=uniform", "allowed: positive | signed | constant"},
    {"rcond=0", "rcond = 0 is out of range"},
    {"gd_eta=0", "gd_eta = 0 is out of range"},
    {"d2", "not of the form key=value"},
    {"=3", "not of the form key=value"},
    {"d2=", "is not a whole number"},
    /* strict integers: no whitespace, no signs, no hex, nothing after the number */
    {"seed= -1", "seed = ' -1' is not a whole number; allowed: 0 <= seed < 2^64"},
    {"seed= 1", "is not a whole number"},
    {"seed=1 ", "is not a whole number"},
    {"seed=", "is not a whole number"},
    {"seed=0x10", "is not a whole number"},
    {"d2= 64", "d2 = ' 64' is not a whole number; allowed: 1 <= d2 <= 65536"},
    {"d2=64 ", "is not a whole number"},
    {"d2=+64", "d2 = '+64' is not a whole number"},
    {"pool=-0", "pool = '-0' is not a whole number"},
    {"d2=0x40", "d2 = '0x40' is not a whole number"},
    {"k=1e1x", "is not a whole number"},
    {"threads=\t2", "is not a whole number"},
};

START_TEST(test_bad_word_is_named_in_the_message)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_set_word(&p, bad_words[_i].word, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, bad_words[_i].expect) != NULL, "'%s' gave '%s'", bad_words[_i].word, msg);
    ck_assert_ptr_null(strchr(msg, '\n'));
}
END_TEST

/* Invalid combinations: accepted key by key, refused by the check. */
static const struct {
    const char *a, *b, *expect;
} bad_pairs[] = {
    {"s=20", "pool=10", "s = 20 is out of range; allowed: 1 <= s <= pool (pool = 10)"},
    {"pool=5000", "d1=4096", "pool = 5000 is out of range; allowed: s <= pool <= d1"},
    {"k=100", "n=50", "k = 100 is out of range; allowed: 1 <= k <= n (n = 50)"},
    {"background=4090", "s=8", "background = 4090 is out of range"},
    {"dictionary=orthonormal", "d2=128", "orthonormal needs d1 <= d2"},
    {"n=100000000", "train=stored", "or train = streamed"},
    {"m=10000000", "d2=128", "needs more than 1e9 cells"},
    {"generator=stream", "d1=20000000", "generator = stream stores A whole"},
};

START_TEST(test_bad_combination_is_refused_by_check)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_set_word(&p, bad_pairs[_i].a, msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_params_set_word(&p, bad_pairs[_i].b, msg), GSL_SUCCESS);
    ck_assert_int_eq(ttt_params_check(&p, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, bad_pairs[_i].expect) != NULL, "got '%s'", msg);
}
END_TEST

START_TEST(test_config_file_errors_name_file_and_line)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_read_file(&p, "/nonexistent/ttt.conf", msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "cannot read config file '/nonexistent/ttt.conf'"));
    char path[] = "/tmp/ttt-params-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fputs("# a comment\n\nd2 = 64   # inline comment\nk == 3\n", fp);
    fclose(fp);
    int status = ttt_params_read_file(&p, path, msg);
    unlink(path);
    ck_assert_int_eq(status, GSL_EINVAL);
    ck_assert_msg(strstr(msg, ":4: k = '= 3' is not a whole number") != NULL, "got '%s'", msg);
    ck_assert_uint_eq(p.d2, 64);
}
END_TEST

/* Writes text (len bytes, NULs allowed) to a fresh file; returns its path. */
static char *write_conf(const char *text, size_t len)
{
    char *path = strdup("/tmp/ttt-params-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* A config held in memory reads as the same file would, messages named by the caller. */
START_TEST(test_config_stream_reads_like_a_file)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    char text[] = "# a comment\n d2 = 64 # inline\npreset = theorem\nk = 7\n";
    FILE *fp = fmemopen(text, strlen(text), "r");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(ttt_params_read_stream(&p, fp, "mem", msg), GSL_SUCCESS);
    fclose(fp);
    ck_assert_uint_eq(p.d2, 64);
    ck_assert_uint_eq(p.topics, 32);
    ck_assert_uint_eq(p.k, 7);
    char bad[] = "d2 = 64\nd1\n";
    fp = fmemopen(bad, strlen(bad), "r");
    ck_assert_int_eq(ttt_params_read_stream(&p, fp, "mem", msg), GSL_EINVAL);
    fclose(fp);
    ck_assert_msg(strstr(msg, "mem:2: 'd1' is not of the form key = value") != NULL, "got '%s'", msg);
}
END_TEST

/* A comment of any length is a comment (its tail is not a setting), and
 * lines of any length are read whole. */
START_TEST(test_config_lines_of_any_length)
{
    size_t len = 5000;
    char *text = malloc(4 * len);
    /* the tail past byte 1023 of a comment was read as a line of its own */
    size_t at = (size_t)sprintf(text, "#");
    memset(text + at, 'x', 1022);
    at += 1022;
    at += (size_t)sprintf(text + at, "k=7\n# ");
    memset(text + at, 'x', len);
    at += len;
    at += (size_t)sprintf(text + at, "n=9\nd2 = 64\n");
    memset(text + at, ' ', len);
    at += len;
    at += (size_t)sprintf(text + at, "m = 30   # ");
    memset(text + at, 'y', len);
    at += len;
    at += (size_t)sprintf(text + at, " n=9\n");
    char *path = write_conf(text, at);
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_msg(ttt_params_read_file(&p, path, msg) == GSL_SUCCESS, "%s", msg);
    ck_assert_uint_eq(p.k, 50);
    ck_assert_uint_eq(p.d2, 64);
    ck_assert_uint_eq(p.m, 30);
    ck_assert_uint_eq(p.n, 50000);
    unlink(path);
    free(path);
    free(text);
}
END_TEST

/* A NUL byte anywhere in a config is an error naming the file and line. */
START_TEST(test_config_nul_byte_is_refused)
{
    const char text[] = "d2 = 64\nk = 5\0 k = 7\n";
    char *path = write_conf(text, sizeof text - 1);
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_read_file(&p, path, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, path) && strstr(msg, ":2: NUL byte"), "got '%s'", msg);
    unlink(path);
    free(path);
    const char comment[] = "# a \0 comment\n";
    path = write_conf(comment, sizeof comment - 1);
    ck_assert_int_eq(ttt_params_read_file(&p, path, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, ":1: NUL byte"), "got '%s'", msg);
    unlink(path);
    free(path);
}
END_TEST

/* In a config file each key is set once; a preset's keys may be overridden. */
START_TEST(test_config_key_set_twice_is_refused)
{
    const char text[] = "k = 10\nd2 = 64\n  k=20\n";
    char *path = write_conf(text, sizeof text - 1);
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_read_file(&p, path, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, ":3: k is set twice (first on line 1); allowed: each key once per file"),
                  "got '%s'", msg);
    unlink(path);
    free(path);
    const char ok[] = "preset = theorem\ntopics = 16\n";
    path = write_conf(ok, sizeof ok - 1);
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_read_file(&p, path, msg), GSL_SUCCESS);
    ck_assert_uint_eq(p.topics, 16);
    unlink(path);
    free(path);
    const char two[] = "preset = theorem\npreset=default\n";
    path = write_conf(two, sizeof two - 1);
    ck_assert_int_eq(ttt_params_read_file(&p, path, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, ":2: preset is set twice"), "got '%s'", msg);
    unlink(path);
    free(path);
}
END_TEST

/* The message helper: control bytes escaped, the "allowed:" tail kept when
 * the echoed value is too long, and short messages left as they are. */
START_TEST(test_messages_are_one_line_and_keep_allowed)
{
    char msg[128], big[3000];
    ck_assert_str_eq(ttt_msg(msg, sizeof msg, "k = '%s'; allowed: 1", "a\001b\nc\td\177"),
                     "k = 'a\\x01b\\nc\\td\\x7f'; allowed: 1");
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ttt_msg(msg, sizeof msg, "dictionary = '%s' is not allowed; allowed: gaussian | rademacher", big);
    ck_assert_uint_eq(strlen(msg), sizeof msg - 1);
    ck_assert_msg(strncmp(msg, "dictionary = 'vvv", 17) == 0, "%s", msg);
    ck_assert_msg(strstr(msg, "v ... ") && strstr(msg, "' is not allowed; allowed: gaussian | rademacher") == NULL &&
                  strstr(msg, "allowed: gaussian | rademacher") != NULL, "%s", msg);
    big[100] = '\001'; /* an escape is never cut in half */
    for (size_t cap = 64; cap < sizeof msg; cap++) {
        ttt_msg(msg, cap, "%s allowed: x", big + 60);
        ck_assert_uint_lt(strlen(msg), cap);
        char *x = strstr(msg, "\\x0");
        ck_assert(!x || strncmp(x, "\\x01", 4) == 0);
    }
}
END_TEST

START_TEST(test_preset_sets_its_keys_and_later_words_override)
{
    const char *w[] = {"seed=7", "preset=theorem", "k=100", NULL};
    ttt_params p = test_params(w);
    ck_assert_int_eq(p.magnitudes, TTT_MAG_SIGNED);
    ck_assert_uint_eq(p.pool, p.s); /* pool_ratio = 1 ties the pool to s */
    ck_assert_uint_eq(p.topics, 32);
    ck_assert_uint_eq(p.k, 100);    /* after the preset: overrides */
    ck_assert_uint_eq(p.seed, 7);   /* before it and not named by it: kept */
    /* every preset parses and passes the checks */
    for (size_t i = 0; i < ttt_params_preset_count(); i++) {
        char word[64], msg[TTT_MSG];
        ttt_params q;
        ttt_params_default(&q);
        snprintf(word, sizeof word, "preset=%s", ttt_params_preset_name(i));
        ck_assert_msg(ttt_params_set_word(&q, word, msg) == GSL_SUCCESS, "%s", word);
        ck_assert_msg(ttt_params_check(&q, msg) == GSL_SUCCESS, "%s: %s", word, msg);
    }
    const char *iso[] = {"preset=isotropic", "d1=1024", NULL};
    ck_assert_uint_eq(test_params(iso).pool, 1024); /* pool follows d1 */
}
END_TEST

START_TEST(test_unknown_preset_names_the_known_ones)
{
    ttt_params p;
    char msg[TTT_MSG];
    ttt_params_default(&p);
    ck_assert_int_eq(ttt_params_set_word(&p, "preset=nope", msg), GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "theorem"));
    ck_assert_ptr_nonnull(strstr(msg, "paper-sae"));
}
END_TEST

Suite *make_params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_defaults_are_the_spec_table);
    tcase_add_test(core, test_words_set_every_kind_of_key);
    tcase_add_test(core, test_pool_follows_s_and_caps_at_d1);
    tcase_add_test(core, test_written_defaults_read_back_identically);
    tcase_add_test(core, test_preset_sets_its_keys_and_later_words_override);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_loop_test(limits, test_bad_word_is_named_in_the_message, 0,
                        (int)(sizeof bad_words / sizeof bad_words[0]));
    tcase_add_loop_test(limits, test_bad_combination_is_refused_by_check, 0,
                        (int)(sizeof bad_pairs / sizeof bad_pairs[0]));
    tcase_add_test(limits, test_config_file_errors_name_file_and_line);
    tcase_add_test(core, test_config_stream_reads_like_a_file);
    tcase_add_test(limits, test_unknown_preset_names_the_known_ones);
    tcase_add_test(limits, test_config_lines_of_any_length);
    tcase_add_test(limits, test_messages_are_one_line_and_keep_allowed);
    tcase_add_test(limits, test_config_nul_byte_is_refused);
    tcase_add_test(limits, test_config_key_set_twice_is_refused);
    suite_add_tcase(s, limits);
    return s;
}
