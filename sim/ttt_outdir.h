/* ttt_outdir — an output directory written all or nothing.
 *
 * ttt_outdir_open(DIR) makes a fresh temporary directory beside DIR (same
 * parent, so a rename can move it): PARENT/.BASE.ttt-tmp-PID.  Every file is
 * written there.  ttt_outdir_commit flushes and fsyncs every file and
 * directory, then swaps the temporary directory into place in one step
 * (renameat2 RENAME_EXCHANGE where the file system has it, else two renames),
 * and removes the previous result.  A reader sees the old DIR or the new
 * one, whole, never a mix, and nothing of the old result survives in the
 * new one.
 *
 * DIR is replaced as a whole, so it must be new, empty, or a directory this
 * program wrote (it holds the marker file .ttt-output); anything else is
 * refused, and so is a directory holding a sweep (sweep.tsv), unless it is a
 * merged sweep (the marker and sweep.tsv only) replaced by a sweep.  The
 * last component of DIR may be at most 234 bytes (the temporary's name adds
 * 21).  SIGINT, SIGTERM and SIGHUP while an outdir is open remove the
 * temporary directory and exit with status 1 and a message; temporaries of
 * processes that died otherwise (SIGKILL, power loss) are removed by the next
 * ttt_outdir_open of the same DIR.
 *
 * Errors follow the GSL convention: a GSL status, and a one-line message in
 * msg (TTT_MSG bytes).  GSL_EINVAL means the request is not allowed
 * (the caller exits with status 2), anything else is a fault (status 1). */
#ifndef TTT_OUTDIR_H
#define TTT_OUTDIR_H

#include <stdio.h>

#include "ttt_msg.h"

/* The marker file every output directory holds. */
#define TTT_OUTDIR_MARKER ".ttt-output"

typedef struct ttt_outdir ttt_outdir;

/* Checks dir, creates its parents (mkdir -p, safe against other processes
 * creating them at the same time), removes stale temporaries of dir, and
 * creates the temporary directory.  *out is NULL on failure. */
int ttt_outdir_open(const char *dir, ttt_outdir **out, char *msg);

/* Opens *fp to write `name` (relative; may name subdirectories, such as
 * "data/A.npy"); the outdir owns the stream.  GSL_SUCCESS; GSL_EINVAL when
 * name is not a relative path inside the directory; GSL_ENOMEM; GSL_EFAILED
 * when a subdirectory or the file cannot be created (the reason in msg).
 * *fp is NULL on failure. */
int ttt_outdir_file(ttt_outdir *o, const char *name, FILE **fp, char *msg);

/* GSL_SUCCESS when nothing written to fp (a stream of o) has failed yet;
 * else GSL_EFAILED and "cannot write 'DIR/NAME': REASON; the previous result
 * is intact" (or "nothing written" when DIR is new) in msg.  The reason is
 * that of the first failed write (the streams keep it). */
int ttt_outdir_check(ttt_outdir *o, FILE *fp, char *msg);

/* Closes and fsyncs every stream, swaps the result into place and removes the
 * previous one; frees o.  On failure everything new is removed (as
 * ttt_outdir_abort) and the previous result is left as it was. */
int ttt_outdir_commit(ttt_outdir *o, char *msg);

/* Removes the temporary directory and every parent o created; frees o.
 * NULL is a no-op. */
void ttt_outdir_abort(ttt_outdir *o);

/* One output file written all or nothing: into PATH.tmp-PID beside it (beside
 * the target when PATH is a symbolic link, which stays a link), fsynced and
 * renamed over it by ttt_outfile_commit, keeping the mode of the file it
 * replaces; a device or pipe (e.g. /dev/stdout) is written directly.  Refused
 * (GSL_EINVAL): a directory, a symbolic link to a missing file (not guessed
 * at), a directory that does not exist, a name over 243 bytes, control bytes.
 * The previous file is intact until the rename; on failure the temporary is
 * removed, and so it is on SIGINT, SIGTERM and SIGHUP (one line, exit 1);
 * temporaries of processes that are gone are removed by the next open of the
 * same target. */
typedef struct ttt_outfile ttt_outfile;
int ttt_outfile_open(const char *path, ttt_outfile **out, FILE **fp, char *msg);
int ttt_outfile_commit(ttt_outfile *o, char *msg);
void ttt_outfile_abort(ttt_outfile *o);

/* mkdir -p path: GSL_SUCCESS when path is (now) a directory, also when
 * another process creates a part of it at the same time. */
int ttt_outdir_mkdirs(const char *path, char *msg);

#endif
