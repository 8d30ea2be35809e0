/* ttt_io: .npy headers (the output directory: check_outdir.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "check_ttt.h"
#include "ttt_io.h"

START_TEST(test_npy_header_is_aligned_and_describes_the_array)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    const double data[6] = {1, 2, 3, 4, 5, 6};
    const size_t shape[2] = {2, 3};
    ck_assert_int_eq(ttt_io_npy(fp, "<f8", shape, 2, data, sizeof data[0]), 0);
    fclose(fp);
    ck_assert_mem_eq(buf, "\x93NUMPY\x01\x00", 8);
    size_t hlen = (size_t)(unsigned char)buf[8] | (size_t)(unsigned char)buf[9] << 8;
    ck_assert_uint_eq((10 + hlen) % 64, 0);
    ck_assert_uint_eq(len, 10 + hlen + sizeof data);
    ck_assert_int_eq(buf[10 + hlen - 1], '\n');
    ck_assert_ptr_nonnull(strstr(buf + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"));
    ck_assert_mem_eq(buf + 10 + hlen, data, sizeof data);
    free(buf);

    fp = open_memstream(&buf, &len);
    const int32_t ints[4] = {7, 8, 9, 10};
    const size_t one[1] = {4};
    ck_assert_int_eq(ttt_io_npy(fp, "<i4", one, 1, ints, sizeof ints[0]), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf + 10, "'descr': '<i4', 'fortran_order': False, 'shape': (4,), }"));
    free(buf);
}
END_TEST

START_TEST(test_table_nul_byte_is_refused)
{
    char *tmp = make_temp_dir(), path[600], msg[TTT_MSG];
    snprintf(path, sizeof path, "%s/sweep.tsv", tmp);
    const char text[] = "# comment\njob\tpoint\n0\t0\n1\0\t1\n2\t2\n";
    FILE *fp = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(text, 1, sizeof text - 1, fp), sizeof text - 1);
    fclose(fp);
    ttt_table *t;
    ck_assert_int_eq(ttt_table_read(path, &t, msg), GSL_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(msg, path) && strstr(msg, ":4: NUL byte"), "got '%s'", msg);
    remove(path);
    rmdir(tmp);
    free(tmp);
}
END_TEST

/* A table that cannot be read says why. */
START_TEST(test_table_read_error_says_why)
{
    char msg[TTT_MSG];
    ttt_table *t;
    ck_assert_int_eq(ttt_table_read("/tmp", &t, msg), GSL_EINVAL);
    ck_assert_msg(strstr(msg, "'/tmp'") && strstr(msg, "Is a directory"), "got '%s'", msg);
}
END_TEST

Suite *make_io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_npy_header_is_aligned_and_describes_the_array);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_table_nul_byte_is_refused);
    tcase_add_test(limits, test_table_read_error_says_why);
    suite_add_tcase(s, limits);
    return s;
}
