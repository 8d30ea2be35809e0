/* fuzz_config — libFuzzer harness for the config parser (sim/ttt_params.c).
 *
 * The input is parsed twice: as the text of a config file (through
 * ttt_params_read_stream on an in-memory stream, so nothing is written) and as
 * one command-line word (its bytes up to the first NUL, through
 * ttt_params_set_word).  Each parse that succeeds is followed by
 * ttt_params_check, and the result is formatted back with ttt_params_write and
 * ttt_params_format, as `ttt defaults` and every TSV header do.  Silent, and
 * frees everything it allocates.  See README, "Fuzzing". */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttt_params.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    return 0;
}

/* Writes p back out (to /dev/null-like memory) and formats every kind of key. */
static void write_back(const ttt_params *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        ttt_params_write(p, out, "# ", 1);
        fclose(out);
    }
    free(text);
    char buf[64];
    static const char *const names[] = {"d1", "sigma", "seed", "dictionary", "w_law", "nonsense"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ttt_params_format(p, names[i], buf, sizeof buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[TTT_MSG];
    ttt_params p;

    /* As a config file's text: a private copy, so the parser sees exactly size bytes. */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    ttt_params_default(&p);
    FILE *fp = size ? fmemopen(copy, size, "r") : NULL;
    if (fp) {
        int status = ttt_params_read_stream(&p, fp, "fuzz.conf", msg);
        fclose(fp);
        if (!status && !ttt_params_check(&p, msg))
            write_back(&p);
    }

    /* As one command word (a word cannot hold a NUL: argv stops there). */
    ttt_params_default(&p);
    if (!ttt_params_set_word(&p, copy, msg) && !ttt_params_check(&p, msg))
        write_back(&p);
    ttt_params_key_kind(copy);
    free(copy);
    return 0;
}
