/* fuzz_table — libFuzzer harness for the TSV reader (sim/ttt_io.c).
 *
 * ttt_table_read takes a path, so each input is put in a file and read back:
 * an anonymous in-memory file (memfd_create, read through /proc/self/fd/N),
 * so nothing touches a disk; where that is not available, one file in a
 * private temporary directory (mkdtemp under $TMPDIR, else /tmp; removed at
 * exit).  A refused table must come with a message and no table.  On a table
 * that parses: ttt_table_column on every column name (each must be found) and
 * on a name that is none, and ttt_table_number on every cell.  Silent; the
 * table is freed after each input.  See README, "Fuzzing". */
#define _GNU_SOURCE /* memfd_create */
#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ttt_io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char dir[4096], path[4200];

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    memfd = memfd_create("fuzz_table", 0);
    if (memfd >= 0) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        if (access(path, R_OK) == 0)
            return 0;
        close(memfd);
        memfd = -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ttt-fuzz-table-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort(); /* no place to put the input: nothing can be fuzzed */
    snprintf(path, sizeof path, "%s/input.tsv", dir);
    atexit(remove_dir);
    return 0;
}

/* Makes the file at path hold exactly the input. */
static void put(const uint8_t *data, size_t size)
{
    if (memfd >= 0) {
        size_t done = 0;
        if (ftruncate(memfd, 0) != 0)
            abort();
        while (done < size) {
            ssize_t got = pwrite(memfd, data + done, size - done, (off_t)done);
            if (got <= 0)
                abort();
            done += (size_t)got;
        }
        return;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        abort();
    int short_write = size && fwrite(data, 1, size, fp) != size;
    if (fclose(fp) != 0 || short_write)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put(data, size);
    char msg[TTT_MSG];
    ttt_table *t;
    if (ttt_table_read(path, &t, msg) != GSL_SUCCESS) {
        if (t || !msg[0])
            abort(); /* a refused table is never handed out, and the refusal says why */
        return 0;
    }
    volatile double sum = 0;
    for (size_t j = 0; j < t->cols; j++)
        if (ttt_table_column(t, t->names[j]) < 0)
            abort(); /* every header name is found */
    ttt_table_column(t, "no such column");
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++)
            sum += ttt_table_number(t, i, j);
    (void)sum;
    ttt_table_free(t);
    return 0;
}
