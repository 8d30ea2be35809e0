/* fuzz_sweep — libFuzzer harness for the sweep grammar (sim/ttt_sweep.c).
 *
 * The input is split into words at whitespace (and NUL bytes), and the words
 * are fed to ttt_sweep_word as `ttt sweep` does: single key=value words and
 * reps first, then the axes (lists and ranges).  A word that is refused does
 * not stop the others (the program would exit there; going on reaches more
 * states).  Then ttt_sweep_check and ttt_sweep_points/jobs, and the checked
 * parameters of the first and last job (ttt_sweep_job_params).  Oracles
 * beyond the sanitizers: a sweep that passes the check has 1 to 1e7 jobs, and
 * its jobs' parameters pass too.  The sweep is never run.  Silent; allocates nothing that outlives one input.
 * See README, "Fuzzing". */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_params.h"
#include "ttt_sweep.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    return 0;
}

static int is_sep(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Is word an axis (a list or range) rather than a single value?  As main.c decides. */
static int is_axis(const char *word)
{
    const char *eq = strchr(word, '=');
    return eq && strncmp(word, "reps=", 5) != 0 && strpbrk(eq + 1, ",:") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[TTT_MSG];
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < size; i++)
        if (is_sep(text[i]))
            text[i] = '\0';

    static ttt_sweep sw; /* about 70 kB: too large for the stack under ASan's redzones */
    ttt_params base;
    ttt_params_default(&base);
    ttt_sweep_init(&sw, &base);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < size; i++) {
            if (text[i] == '\0' || (i > 0 && text[i - 1] != '\0'))
                continue; /* not the start of a word */
            const char *w = text + i;
            if (is_axis(w) == (pass == 1))
                ttt_sweep_word(&sw, w, msg);
        }

    if (!ttt_sweep_check(&sw, msg)) {
        /* A checked sweep has at least one job (every axis has a value,
         * reps >= 1) and at most the limit; 0 would be a wrapped product. */
        size_t jobs = ttt_sweep_jobs(&sw);
        if (jobs < 1 || jobs > 10000000)
            abort();
        ttt_params p;
        if (ttt_sweep_job_params(&sw, 0, &p, msg) || ttt_sweep_job_params(&sw, jobs - 1, &p, msg))
            abort(); /* check passed, so every point's parameters are usable */
    }
    ttt_sweep_points(&sw);
    free(text);
    return 0;
}
