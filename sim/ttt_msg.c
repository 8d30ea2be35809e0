/* ttt_msg — see ttt_msg.h. */
#include "ttt_msg.h"

#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of an escaped copy of text[0..n), written to out when out is not NULL. */
static size_t escape(const char *text, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        char e[4];
        size_t k = 0;
        if (c == '\n' || c == '\r' || c == '\t') {
            e[0] = '\\';
            e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            k = 2;
        } else if (c < 0x20 || c == 0x7f) {
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[c >> 4];
            e[3] = hex[c & 15];
            k = 4;
        } else {
            e[0] = (char)c;
            k = 1;
        }
        if (out)
            memcpy(out + len, e, k);
        len += k;
    }
    return len;
}

/* The start of the escape (\xNN, \n) that position at falls inside, or at. */
static size_t escape_start(const char *s, size_t at)
{
    for (size_t back = 1; back <= 3 && back <= at; back++) {
        size_t j = at - back;
        if (s[j] == '\\')
            return j + (s[j + 1] == 'x' ? 4 : 2) > at ? j : at;
    }
    return at;
}

/* A cut point at or before at that splits neither an escape nor a UTF-8
 * sequence. */
static size_t cut_before(const char *s, size_t at)
{
    at = escape_start(s, at);
    while (at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80)
        at--;
    return at;
}

/* The same, at or after at (len: the length of s). */
static size_t cut_after(const char *s, size_t len, size_t at)
{
    size_t j = escape_start(s, at);
    if (j < at)
        at = j + (s[j + 1] == 'x' ? 4 : 2);
    while (at < len && ((unsigned char)s[at] & 0xc0) == 0x80)
        at++;
    return at < len ? at : len;
}

char *ttt_vmsg(char *msg, size_t cap, const char *fmt, va_list args)
{
    if (cap == 0)
        return msg;
    va_list ap;
    va_copy(ap, args);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        snprintf(msg, cap, "(message could not be formatted)");
        return msg;
    }
    char *raw = malloc((size_t)need + 1), *esc = NULL;
    size_t elen = 0;
    if (raw) {
        va_copy(ap, args);
        vsnprintf(raw, (size_t)need + 1, fmt, ap);
        va_end(ap);
        elen = escape(raw, (size_t)need, NULL);
        esc = malloc(elen + 1);
    }
    if (!esc) {
        /* Out of memory: the plain text, cut at the end, control bytes blanked. */
        va_copy(ap, args);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
        for (char *c = msg; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        free(raw);
        return msg;
    }
    escape(raw, (size_t)need, esc);
    esc[elen] = '\0';
    free(raw);
    if (elen < cap) {
        memcpy(msg, esc, elen + 1);
    } else {
        static const char mark[] = " ... ";
        const size_t room = cap - 1 - (sizeof mark - 1);
        /* The tail: from the last "allowed:" when it leaves room for a start,
         * else the last third. */
        size_t tail = elen - room / 3;
        for (size_t i = elen; i-- > 0;)
            if (!strncmp(esc + i, "allowed:", 8)) {
                if (elen - i <= room - room / 4)
                    tail = i;
                break;
            }
        tail = cut_after(esc, elen, tail);
        size_t head = cut_before(esc, room - (elen - tail));
        memcpy(msg, esc, head);
        memcpy(msg + head, mark, sizeof mark - 1);
        memcpy(msg + head + sizeof mark - 1, esc + tail, elen - tail + 1);
    }
    free(esc);
    return msg;
}

char *ttt_msg(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ttt_vmsg(msg, cap, fmt, ap);
    va_end(ap);
    return msg;
}

int ttt_msg_fputs(const char *text, FILE *fp)
{
    for (const char *t = text; *t;) {
        size_t plain = 0;
        while (t[plain] && (unsigned char)t[plain] >= 0x20 && t[plain] != 0x7f)
            plain++;
        if (plain && fwrite(t, 1, plain, fp) != plain)
            return -1;
        t += plain;
        if (*t) {
            char e[4];
            size_t k = escape(t, 1, e);
            if (fwrite(e, 1, k, fp) != k)
                return -1;
            t++;
        }
    }
    return ferror(fp) ? -1 : 0;
}

char **ttt_msg_escape_argv(int argc, char **argv)
{
    char **copy = malloc(((size_t)argc + 1) * sizeof *copy);
    for (int i = 0; copy && i < argc; i++) {
        size_t n = strlen(argv[i]), e = escape(argv[i], n, NULL);
        copy[i] = e == n ? argv[i] : malloc(e + 1);
        if (!copy[i])
            copy[i] = argv[i]; /* out of memory: as given (the word, unescaped, is still the word) */
        else if (copy[i] != argv[i]) {
            escape(argv[i], n, copy[i]);
            copy[i][e] = '\0';
        }
    }
    if (copy)
        copy[argc] = NULL;
    static char **kept; /* reachable until the end, like argv */
    kept = copy ? copy : kept;
    return copy ? copy : argv;
}

const char *ttt_msg_status(int status, const char *what)
{
    static _Thread_local char line[256];
    if (status == GSL_ENOMEM)
        snprintf(line, sizeof line, "%s ran out of memory; nothing written (try smaller n, m, d1 or d2, or fewer "
                 "threads)", what);
    else
        snprintf(line, sizeof line, "%s failed: %s (GSL status %d); nothing written",
                 what, gsl_strerror(status), status);
    return line;
}

const char *ttt_msg_errno(int err)
{
    return err ? strerror(err) : "unknown error";
}
