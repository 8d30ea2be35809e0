/* ttt_msg — how every message for the user is written: one line, with the
 * user's text echoed safely and the "allowed: ..." part always kept. */
#ifndef TTT_MSG_H
#define TTT_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The size of every message buffer: a function that can fail writes its
 * one-line message into a caller's char msg[TTT_MSG] (this many bytes, the
 * terminating NUL included), cut by ttt_msg to fit. */
#define TTT_MSG 2048

/* Formats like snprintf into msg (cap bytes, cap >= 64) and makes the result
 * one printable line: a control byte (or DEL) in it, which can only come from
 * echoed input, becomes \n, \r, \t or \xNN.  When the line does not fit, its
 * middle is cut out and marked " ... ": the start is kept and so is the tail
 * from the last "allowed:" (or the last third), so a long echoed value never
 * pushes out what is allowed.  Returns msg. */
char *ttt_msg(char *msg, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The same with a va_list (for functions that take a format themselves). */
char *ttt_vmsg(char *msg, size_t cap, const char *fmt, va_list args);

/* Writes text to fp with control bytes escaped as ttt_msg does (\n, \x1b):
 * echoed input in a file line (the provenance "# command:" line) stays one
 * line.  Returns 0, or -1 on a write error (errno set). */
int ttt_msg_fputs(const char *text, FILE *fp);

/* A copy of argv[0..argc) (NULL-terminated) whose words have their control
 * bytes escaped, for a log line; words without any are shared, not copied.
 * Out of memory: argv itself.  Never freed (it lives as long as the process). */
char **ttt_msg_escape_argv(int argc, char **argv);

/* One line for a run or demo that failed with a GSL status: "WHAT ran out of
 * memory; ...; allowed: smaller ..." for GSL_ENOMEM (not GSL's "malloc
 * failed"), else "WHAT failed: REASON (GSL status N); ...".  A static
 * (per-thread) buffer. */
const char *ttt_msg_status(int status, const char *what);

/* The reason of the last failed library call, strerror(errno), or "unknown
 * error" when errno is 0 (so that no message lacks a reason). */
const char *ttt_msg_errno(int err);

#endif
