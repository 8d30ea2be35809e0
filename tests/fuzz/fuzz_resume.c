/* fuzz_resume — libFuzzer harness for the `ttt sweep --resume` scanner,
 * ttt_sweep_scan (analysis/ttt_sweep.c).
 *
 * One fixed small sweep, the one the seed corpus was written by:
 *   d1=64 d2=8 s=2 topics=4 n=100 m=4 sparse=off k=5,7 reps=2
 * (2 points x 2 reps = 4 jobs, 5 estimators each).  The input is the text of
 * an existing sweep.tsv, read through an in-memory stream (fmemopen; nothing
 * touches a disk).  The header names the build's git revision, which changes
 * with every commit, so an input that begins with the line "@header" has that
 * line replaced by the header this build writes (ttt_sweep_write_header); the
 * corpus files begin so.
 *
 * Oracles beyond the sanitizers:
 *  - the scan is refused (GSL_EINVAL, with a message) exactly when the text
 *    does not begin with the header and is not a prefix of it; a prefix (a
 *    file cut within its header) restarts: done = 0, end = 0, a note;
 *  - otherwise 0 <= done <= jobs, the kept text [header, end) is done jobs of
 *    whole lines, each beginning with its job, point, rep and seed and ending
 *    with row_check as ttt writes it: 16 lowercase hex digits, the FNV-1a of
 *    the text before its tab;
 *  - a note (a damaged row) means not every job was kept;
 *  - scanning only the kept text (what --resume leaves after truncating at
 *    end) keeps the same jobs, with no note.
 * Silent; allocates nothing that outlives one input.  See README, "Fuzzing". */
#define _GNU_SOURCE /* fmemopen */
#include <gsl/gsl_errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_params.h"
#include "ttt_sweep.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const words[] = {"d1=64", "d2=8", "s=2", "topics=4", "n=100", "m=4", "sparse=off", "k=5,7",
                                    "reps=2"};
static const char marker[] = "@header\n";

static ttt_sweep sw; /* about 70 kB: too large for the stack under ASan's redzones */
static char *header;
static size_t header_len, jobs, rows_per_job;
static uint64_t seeds[16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    char msg[TTT_MSG];
    ttt_params base;
    ttt_params_default(&base);
    ttt_sweep_init(&sw, &base);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (ttt_sweep_word(&sw, words[i], msg))
            abort();
    if (ttt_sweep_check(&sw, msg))
        abort();
    jobs = ttt_sweep_jobs(&sw);
    if (jobs > sizeof seeds / sizeof seeds[0])
        abort();
    for (size_t j = 0; j < jobs; j++) {
        ttt_params p;
        if (ttt_sweep_job_params(&sw, j, &p, msg))
            abort();
        seeds[j] = p.seed;
        if (j == 0)
            for (int e = 0; e < TTT_EST_COUNT; e++)
                rows_per_job += (size_t)ttt_estimator_enabled(&p, e);
    }
    FILE *mem = open_memstream(&header, &header_len);
    if (!mem || ttt_sweep_write_header(&sw, mem) != 0 || fclose(mem) != 0)
        abort();
    return 0;
}

/* ttt_sweep_scan on text[0, len); the stream reads a private copy. */
static int scan(const char *text, size_t len, size_t *done, long *end, char *msg)
{
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, text, len);
    FILE *in = fmemopen(copy, len, "r"); /* glibc >= 2.22: an empty buffer is an empty stream */
    if (!in)
        abort();
    int status = ttt_sweep_scan(&sw, in, done, end, msg);
    fclose(in);
    free(copy);
    return status;
}

static uint64_t fnv1a(const char *text, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
    return h;
}

/* Is line (len bytes, its newline excluded) a row ttt could have written for job? */
static int plausible_row(const char *line, size_t len, size_t job)
{
    char start[128], check[17];
    int n = snprintf(start, sizeof start, "%zu\t%zu\t%zu\t%" PRIu64 "\t", job, job / sw.reps, job % sw.reps,
                     seeds[job]);
    if (len < (size_t)n + 17 || memcmp(line, start, (size_t)n) || memchr(line, '\0', len) || line[len - 17] != '\t')
        return 0;
    snprintf(check, sizeof check, "%016" PRIx64, fnv1a(line, len - 17));
    return memcmp(line + len - 16, check, 16) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The file's text: the input, its "@header" line replaced by the header. */
    const int has_marker = size >= sizeof marker - 1 && memcmp(data, marker, sizeof marker - 1) == 0;
    const size_t skip = has_marker ? sizeof marker - 1 : 0, len = (has_marker ? header_len : 0) + size - skip;
    char *text = malloc(len + 1);
    if (!text)
        abort();
    if (has_marker)
        memcpy(text, header, header_len);
    if (size > skip)
        memcpy(text + len - (size - skip), data + skip, size - skip);

    char msg[TTT_MSG];
    size_t done = SIZE_MAX;
    long end = -2;
    int status = scan(text, len, &done, &end, msg);
    const int begins_with_header = len >= header_len && memcmp(text, header, header_len) == 0;
    const int cut_header = len < header_len && memcmp(text, header, len) == 0;
    if (status != (begins_with_header || cut_header ? GSL_SUCCESS : GSL_EINVAL))
        abort(); /* refused exactly when the header differs */
    if (status != 0 || cut_header) {
        if (!msg[0] || (cut_header && (done != 0 || end != 0)))
            abort(); /* a cut header: restarted from job 0, with a note */
        free(text);
        return 0;
    }
    if (done > jobs || end < (long)header_len || (size_t)end > len || (msg[0] && done == jobs))
        abort();
    /* The kept text: done jobs of whole, plausible rows. */
    size_t at = header_len, rows = 0;
    while (at < (size_t)end) {
        const char *nl = memchr(text + at, '\n', (size_t)end - at);
        if (!nl || !plausible_row(text + at, (size_t)(nl - (text + at)), rows / rows_per_job))
            abort();
        at = (size_t)(nl - text) + 1;
        rows++;
    }
    if (rows != done * rows_per_job)
        abort();
    /* Truncated at end, as --resume leaves it: the same jobs, no note. */
    size_t done2 = SIZE_MAX;
    long end2 = -2;
    if (scan(text, (size_t)end, &done2, &end2, msg) != 0 || done2 != done || end2 != end || msg[0])
        abort();
    free(text);
    return 0;
}
