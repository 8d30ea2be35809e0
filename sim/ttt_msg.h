/* ttt_msg — how every message for the user is written: one line, with the
 * user's text echoed safely and the "allowed: ..." part always kept. */
#ifndef TTT_MSG_H
#define TTT_MSG_H

#include <stddef.h>

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

/* The reason of the last failed library call, strerror(errno), or "unknown
 * error" when errno is 0 (so that no message lacks a reason). */
const char *ttt_msg_errno(int err);

#endif
