/* ttt_demo — the teaching instance of `ttt demo`: six concepts in a plane,
 * three topics of two concepts each.  One run at the chosen k, the TTT error
 * at every k of a curve on the same instance, and test point 0's
 * neighbourhood and local head, written as the files of `make teach`'s
 * pictures and told as a narrated walkthrough. */
#ifndef TTT_DEMO_H
#define TTT_DEMO_H

#include <stdio.h>

#include "ttt_io.h"
#include "ttt_run.h"

/* The teaching instance as key=value words, NULL-terminated; the user's
 * words go after them (and override them). */
extern const char *const ttt_demo_words[];

typedef struct ttt_demo ttt_demo;

/* Runs the demo for checked parameters p (d2 = 2: the pictures draw the
 * feature plane).  Returns GSL_SUCCESS with *out owning the result (free
 * with ttt_demo_free), or a GSL status with *out NULL. */
int ttt_demo_run(const ttt_params *p, ttt_demo **out);
void ttt_demo_free(ttt_demo *d);

/* Writes concepts.tsv, points.tsv, test.tsv, heads.tsv and k.tsv into dir,
 * each after the provenance header (ttt_io_header with command).  Returns
 * GSL_SUCCESS, or the status of the file that could not be opened (GSL_ENOMEM,
 * GSL_EFAILED; see ttt_io_tsv) with a message; the caller then aborts dir.
 * (Write errors of the rows surface when dir is committed.) */
int ttt_demo_write(ttt_outdir *dir, const ttt_demo *d, const char *command, char *msg);

/* The narrated walkthrough, every number from the run; dir is the directory
 * named for the files. */
void ttt_demo_narrate(FILE *out, const ttt_demo *d, const char *dir);

#endif
