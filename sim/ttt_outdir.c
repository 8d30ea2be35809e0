/* ttt_outdir — see ttt_outdir.h. */
#define _GNU_SOURCE
#include "ttt_outdir.h"

#include "ttt_msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_TAG ".ttt-tmp-"

/* The file under a stream: its descriptor and the errno of its first failed
 * write.  stdio forgets why a buffered write failed (errno is long gone when
 * fflush or ferror reports it, and a write that is retried may succeed), so
 * every stream of an outdir or outfile writes through this (fopencookie). */
typedef struct {
    int fd;
    int err;
} sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    sink *k = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(k->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!k->err)
                k->err = w < 0 ? errno : EIO;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int sink_close(void *cookie)
{
    sink *k = cookie;
    int bad = k->fd >= 0 && close(k->fd) != 0;
    if (bad && !k->err)
        k->err = errno;
    k->fd = -1;
    return bad ? -1 : 0;
}

/* A stream writing into fd (owned by the stream from now on; closed on
 * failure too), or NULL. */
static FILE *sink_open(sink *k, int fd)
{
    k->fd = fd;
    k->err = 0;
    cookie_io_functions_t io = {NULL, sink_write, NULL, sink_close};
    FILE *fp = fd >= 0 ? fopencookie(k, "w", io) : NULL;
    if (!fp && fd >= 0) {
        int err = errno;
        close(fd);
        k->fd = -1;
        errno = err;
    }
    return fp;
}

/* Flushes and closes fp (fsyncing its file when sync): 0, or the errno of the
 * first failure (EIO when none was recorded). */
static int sink_finish(FILE *fp, sink *k, int sync)
{
    errno = 0;
    int bad = fflush(fp) != 0 || ferror(fp);
    int err = k->err ? k->err : bad ? errno : 0;
    if (!bad && sync && fsync(k->fd) != 0 && errno != EINVAL && errno != EROFS) {
        bad = 1;
        err = errno;
    }
    if (fclose(fp) != 0)
        bad = 1;
    err = err ? err : k->err ? k->err : errno;
    return bad ? (err ? err : EIO) : 0;
}

typedef struct {
    char *path;  /* where it is written, inside the temporary directory */
    char *name;  /* its name relative to DIR, for messages */
    FILE *fp;
    sink *k;
} entry;

struct ttt_outdir {
    char *dir;     /* DIR as given */
    char *parent;  /* its parent directory ("." when DIR has none) */
    char *tmp;     /* PARENT/.BASE.ttt-tmp-PID */
    char **made;   /* parents this outdir created, outermost first */
    size_t nmade;
    char **sub;    /* subdirectories of tmp, in creation order */
    size_t nsub;
    entry *files;
    size_t nfiles, cap;
    int existed;   /* DIR held a result when it was opened: "the previous result is intact" */
};

/* What a failure leaves: the previous result, or nothing when there was none. */
static const char *left(const ttt_outdir *o)
{
    return o->existed ? "the previous result is intact" : "nothing written";
}

/* The message is formatted whole and then shortened in its middle (ttt_vmsg):
 * a path of any length leaves the reason and the "allowed:" part. */
static int fail(char *msg, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ttt_vmsg(msg, TTT_MSG, fmt, ap);
    va_end(ap);
    return status;
}

/* A failed system call on a path: the caller's mistake (status 2) when it
 * names something not allowed, else a fault. */
static int sys_status(int err)
{
    return err == EACCES || err == EPERM || err == EROFS || err == ENOTDIR || err == EEXIST ||
                   err == ENAMETOOLONG || err == ELOOP
               ? GSL_EINVAL
               : GSL_EFAILED;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* ---- the open outdir, for the signal handler ---- */

static ttt_outdir *volatile active;
/* The temporary of the open outfile (a copy: the handler reads it). */
static char *volatile active_file;
static volatile int active_file_existed;
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIGNALS (sizeof cleanup_signals / sizeof cleanup_signals[0])

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(&set, cleanup_signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

static void remove_tree(const char *path);

/* Removes the temporary directory and the parents o created: what a signal or
 * a library's exit() leaves to clean up.  Async-signal-safe (remove_tree
 * allocates nothing and makes only system calls). */
static void discard(const ttt_outdir *o)
{
    remove_tree(o->tmp);
    for (size_t i = o->nmade; i > 0; i--)
        rmdir(o->made[i - 1]);
}

/* Only async-signal-safe calls.  The lists it reads change only with these
 * signals blocked. */
static void on_signal(int sig)
{
    static const char dir_old[] = "ttt: stopped by a signal; nothing written, the previous result is intact\n",
                      dir_new[] = "ttt: stopped by a signal; nothing written\n",
                      file[] = "ttt: stopped by a signal; nothing written, the previous file is intact\n";
    const char *text = active_file_existed ? file : dir_new;
    size_t len = active_file_existed ? sizeof file - 1 : sizeof dir_new - 1;
    if (active_file)
        unlink(active_file);
    if (active) {
        discard(active);
        text = active->existed ? dir_old : dir_new;
        len = active->existed ? sizeof dir_old - 1 : sizeof dir_new - 1;
    }
    ssize_t ignored = write(STDERR_FILENO, text, len);
    (void)ignored;
    (void)sig;
    _exit(1);
}

/* A library that gives up calls exit() itself (libgomp when its own
 * allocation fails: "libgomp: Out of memory allocating N bytes"): the
 * temporary directory goes as on a signal, and the last line says so. */
static void at_exit(void)
{
    sigset_t old;
    block_signals(&old);
    ttt_outdir *o = active;
    active = NULL;
    if (active_file) {
        unlink(active_file);
        active_file = NULL;
        if (!o)
            fprintf(stderr, "ttt: stopped before the file was complete; nothing written%s\n",
                    active_file_existed ? ", the previous file is intact" : "");
    }
    if (o) {
        for (size_t i = 0; i < o->nfiles; i++)
            if (o->files[i].fp)
                fclose(o->files[i].fp);
        discard(o);
        fprintf(stderr, "ttt: stopped before the result was complete; %s\n",
                o->existed ? "nothing written, the previous result is intact" : "nothing written");
    }
    restore_signals(&old);
}

static void install_handler(void)
{
    static int registered;
    if (!registered)
        registered = atexit(at_exit) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(&sa.sa_mask, cleanup_signals[i]);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(cleanup_signals[i], &sa, NULL);
}

static void uninstall_handler(void)
{
    if (active || active_file)
        return;
    for (size_t i = 0; i < NSIGNALS; i++)
        signal(cleanup_signals[i], SIG_DFL);
}

/* Appends s to a list of strings with the signals blocked; -1 when out of memory. */
static int push(char ***list, size_t *n, char *s)
{
    sigset_t old;
    block_signals(&old);
    char **grown = s ? realloc(*list, (*n + 1) * sizeof **list) : NULL;
    if (grown) {
        grown[*n] = s;
        *list = grown;
        (*n)++;
    }
    restore_signals(&old);
    return grown ? 0 : -1;
}

/* ---- directories ---- */

/* mkdir -p; each directory it creates is pushed onto *made (when made is not
 * NULL).  A directory that appears meanwhile (another process) is fine. */
static int make_dirs(const char *path, char ***made, size_t *nmade, char *msg)
{
    char *buf = strdup(path);
    if (!buf)
        return fail(msg, GSL_ENOMEM, "out of memory for the output path");
    int status = GSL_SUCCESS;
    for (char *s = buf + 1; status == GSL_SUCCESS; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(buf, 0777) == 0) {
            if (made && push(made, nmade, strdup(buf)) != 0)
                status = fail(msg, GSL_ENOMEM, "out of memory for the output path");
        } else if (errno != EEXIST) {
            status = fail(msg, sys_status(errno), "cannot create directory '%s': %s", buf, ttt_msg_errno(errno));
        } else if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            status = fail(msg, GSL_EINVAL, "'%s' exists and is not a directory; allowed: a directory path", buf);
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    free(buf);
    return status;
}

/* Output paths end up in provenance headers and logs, one line each: no
 * control bytes. */
static int printable(const char *path, const char *what, char *msg)
{
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return fail(msg, GSL_EINVAL,
                        "%s name has a control byte (0x%02x at position %zu); allowed: printable names", what, *c,
                        (size_t)((const char *)c - path) + 1);
    return *path ? GSL_SUCCESS : fail(msg, GSL_EINVAL, "%s name is empty; allowed: a %s path", what,
                                      strcmp(what, "output file") ? "directory" : "file");
}

/* The temporaries carry a tag and a PID after the last component: a name
 * longer than this would make them longer than NAME_MAX (255) bytes. */
#define NAME_LIMIT 255
#define PID_ROOM 11 /* up to 7 digits (pid_max 4194304) and "-old" */

int ttt_outdir_mkdirs(const char *path, char *msg)
{
    int status = printable(path, "output directory", msg);
    return status ? status : make_dirs(path, NULL, NULL, msg);
}

/* rm -r of name in the directory parent, allocating nothing: it runs after
 * the swap, when the previous result must go however little memory is left
 * (nftw allocated, and when it failed the temporary stayed behind).  The
 * top directory's marker goes last: a writer that opened this directory as
 * DIR just before the swap and reads it now sees a result of ttt's (the
 * marker and what is left) or an empty directory, never files without the
 * marker, which it would refuse to replace. */
static void remove_at(int parent, const char *name, int depth)
{
    if (unlinkat(parent, name, 0) == 0 || (errno != EISDIR && errno != EPERM) || depth > 32)
        return;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    for (int pass = 0; fd >= 0 && pass < 4 && unlinkat(parent, name, AT_REMOVEDIR) != 0; pass++) {
        char buf[4096];
        ssize_t n;
        lseek(fd, 0, SEEK_SET);
        while ((n = getdents64(fd, buf, sizeof buf)) > 0)
            for (ssize_t at = 0; at < n;) {
                struct dirent64 *e = (struct dirent64 *)(buf + at);
                at += e->d_reclen;
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                    (depth > 0 || strcmp(e->d_name, TTT_OUTDIR_MARKER)))
                    remove_at(fd, e->d_name, depth + 1);
            }
        if (depth == 0)
            unlinkat(fd, TTT_OUTDIR_MARKER, 0);
    }
    if (fd >= 0)
        close(fd);
}

static void remove_tree(const char *path)
{
    remove_at(AT_FDCWD, path, 0);
}

/* Removes PARENT/.BASE.ttt-tmp-PID for every PID that is no longer running. */
static void sweep_stale(const char *parent, const char *base)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    size_t blen = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, blen) || strncmp(n + 1 + blen, TMP_TAG, strlen(TMP_TAG)))
            continue;
        char *end;
        long pid = strtol(n + 1 + blen + strlen(TMP_TAG), &end, 10);
        if ((*end && strcmp(end, "-old")) || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *path = join(parent, n);
        if (path)
            remove_tree(path);
        free(path);
    }
    closedir(d);
}

/* Whether an existing DIR may be replaced: a directory that is empty or holds
 * the marker.  A sweep (sweep.tsv) is never replaced by anything else: a
 * directory holding one is refused unless it is exactly a merged sweep (the
 * marker and sweep.tsv) and the new result is a sweep too (new_sweep: 1 yes,
 * 0 no, -1 not known yet, at open). */
#define SWEEP_TABLE "sweep.tsv"
static int replaceable(const char *dir, int new_sweep, char *msg)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? GSL_SUCCESS
                               : fail(msg, sys_status(errno), "cannot inspect '%s': %s", dir, ttt_msg_errno(errno));
    if (S_ISLNK(st.st_mode))
        return fail(msg, GSL_EINVAL, "output directory '%s' is a symbolic link; allowed: a directory path", dir);
    if (!S_ISDIR(st.st_mode))
        return fail(msg, GSL_EINVAL, "output path '%s' exists and is not a directory; allowed: a directory path",
                    dir);
    DIR *d = opendir(dir);
    if (!d)
        return fail(msg, sys_status(errno), "cannot read output directory '%s': %s", dir, ttt_msg_errno(errno));
    int empty = 1, marked = 0, sweep = 0, others = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = 0;
            marked |= !strcmp(e->d_name, TTT_OUTDIR_MARKER);
            sweep |= !strcmp(e->d_name, SWEEP_TABLE);
            others |= strcmp(e->d_name, TTT_OUTDIR_MARKER) && strcmp(e->d_name, SWEEP_TABLE);
        }
    closedir(d);
    if (sweep && (!marked || others || new_sweep == 0))
        return fail(msg, GSL_EINVAL, "'%s' holds a sweep (%s); allowed: another --out, or remove it", dir,
                    SWEEP_TABLE);
    if (!empty && !marked)
        return fail(msg, GSL_EINVAL,
                    "output directory '%s' exists and holds files ttt did not write (no %s); allowed: a new or "
                    "empty directory, or one a ttt run wrote (it is replaced as a whole)",
                    dir, TTT_OUTDIR_MARKER);
    return GSL_SUCCESS;
}

/* Splits dir into a parent and a last component; refuses names that cannot
 * be replaced by a rename (".", "..", "/") and control bytes. */
static int split_path(const char *dir, char **parent, char **base, char *msg)
{
    *parent = *base = NULL;
    int status = printable(dir, "output directory", msg);
    if (status)
        return status;
    char *copy = strdup(dir);
    if (!copy)
        return fail(msg, GSL_ENOMEM, "out of memory for the output path");
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    const char *b = slash ? slash + 1 : copy;
    if (!strcmp(b, ".") || !strcmp(b, "..") || !*b) {
        free(copy);
        return fail(msg, GSL_EINVAL, "output directory '%s' cannot be replaced as a whole; allowed: a path that "
                    "ends in a directory name", dir);
    }
    const size_t limit = NAME_LIMIT - 1 - strlen(TMP_TAG) - PID_ROOM;
    if (strlen(b) > limit) {
        status = fail(msg, GSL_EINVAL, "output directory '%s' ends in a name of %zu bytes; allowed: a last "
                      "component of at most %zu bytes (its temporary .NAME%sPID must fit in %d)",
                      dir, strlen(b), limit, TMP_TAG, NAME_LIMIT);
        free(copy);
        return status;
    }
    *base = strdup(b);
    if (slash == copy)
        *parent = strdup("/");
    else if (slash) {
        *slash = '\0';
        *parent = strdup(copy);
    } else
        *parent = strdup(".");
    free(copy);
    if (!*base || !*parent) {
        free(*base);
        free(*parent);
        return fail(msg, GSL_ENOMEM, "out of memory for the output path");
    }
    return GSL_SUCCESS;
}

/* Frees o; with remove_new, removes the temporary directory and, unless the
 * result moved into them (keep_parents), the parents o created. */
static void release(ttt_outdir *o, int remove_new, int keep_parents)
{
    sigset_t old;
    block_signals(&old);
    if (active == o)
        active = NULL;
    restore_signals(&old);
    for (size_t i = 0; i < o->nfiles; i++) {
        if (o->files[i].fp)
            fclose(o->files[i].fp);
        free(o->files[i].k);
        free(o->files[i].path);
        free(o->files[i].name);
    }
    if (remove_new && o->tmp)
        remove_tree(o->tmp);
    for (size_t i = o->nmade; i > 0; i--) {
        if (remove_new && !keep_parents)
            rmdir(o->made[i - 1]); /* only if empty: another process may share it */
        free(o->made[i - 1]);
    }
    for (size_t i = 0; i < o->nsub; i++)
        free(o->sub[i]);
    uninstall_handler();
    free(o->made);
    free(o->sub);
    free(o->files);
    free(o->tmp);
    free(o->parent);
    free(o->dir);
    free(o);
}

void ttt_outdir_abort(ttt_outdir *o)
{
    if (o)
        release(o, 1, 0);
}

int ttt_outdir_open(const char *dir, ttt_outdir **out, char *msg)
{
    *out = NULL;
    char *parent, *base;
    int status = split_path(dir, &parent, &base, msg);
    if (status)
        return status;
    ttt_outdir *o = calloc(1, sizeof *o);
    if (!o) {
        free(parent);
        free(base);
        return fail(msg, GSL_ENOMEM, "out of memory for the output directory");
    }
    o->parent = parent;
    o->dir = strdup(dir);
    size_t tlen = strlen(parent) + strlen(base) + strlen(TMP_TAG) + 32;
    o->tmp = malloc(tlen);
    if (!o->dir || !o->tmp) {
        free(base);
        release(o, 0, 0);
        return fail(msg, GSL_ENOMEM, "out of memory for the output directory");
    }
    snprintf(o->tmp, tlen, "%s/.%s%s%ld", parent, base, TMP_TAG, (long)getpid());
    status = make_dirs(parent, &o->made, &o->nmade, msg);
    if (!status)
        status = replaceable(dir, -1, msg);
    /* a previous result: DIR with its marker (an empty DIR holds none) */
    char *marked = NULL;
    struct stat st;
    if (!status && asprintf(&marked, "%s/%s", dir, TTT_OUTDIR_MARKER) < 0)
        marked = NULL; /* then "nothing written" */
    o->existed = marked && lstat(marked, &st) == 0;
    free(marked);
    if (!status) {
        sweep_stale(parent, base);
        remove_tree(o->tmp); /* a leftover of a process with our pid */
        sigset_t old;
        block_signals(&old);
        if (mkdir(o->tmp, 0777) != 0)
            status = fail(msg, sys_status(errno), "cannot create a directory beside '%s': %s", dir, ttt_msg_errno(errno));
        else {
            active = o;
            install_handler();
        }
        restore_signals(&old);
    }
    free(base);
    if (status) {
        ttt_outdir_abort(o);
        return status;
    }
    FILE *marker;
    status = ttt_outdir_file(o, TTT_OUTDIR_MARKER, &marker, msg);
    if (status) {
        ttt_outdir_abort(o);
        return status;
    }
    fprintf(marker, "written by ttt; the next run with --out here replaces this directory as a whole\n");
    *out = o;
    return GSL_SUCCESS;
}

int ttt_outdir_file(ttt_outdir *o, const char *name, FILE **fp, char *msg)
{
    *fp = NULL;
    if (!*name || name[0] == '/' || strstr(name, ".."))
        return fail(msg, GSL_EINVAL, "output file name '%s' is not a relative path inside the directory", name);
    /* Subdirectories, each once. */
    for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
        char *rel = strndup(name, (size_t)(s - name)), *path = rel ? join(o->tmp, rel) : NULL;
        free(rel);
        int known = 0;
        for (size_t i = 0; path && i < o->nsub && !known; i++)
            known = !strcmp(o->sub[i], path);
        if (!path || (!known && mkdir(path, 0777) != 0 && errno != EEXIST)) {
            int status = fail(msg, path ? GSL_EFAILED : GSL_ENOMEM, "cannot create '%s/%.*s': %s", o->dir,
                              (int)(s - name), name, path ? ttt_msg_errno(errno) : "out of memory");
            free(path);
            return status;
        }
        if (known)
            free(path);
        else if (push(&o->sub, &o->nsub, path) != 0)
            return fail(msg, GSL_ENOMEM, "out of memory for the output directory");
    }
    entry e = {join(o->tmp, name), strdup(name), NULL, calloc(1, sizeof(sink))};
    if (!e.path || !e.name || !e.k) {
        free(e.path);
        free(e.name);
        free(e.k);
        return fail(msg, GSL_ENOMEM, "out of memory for the output directory");
    }
    sigset_t old;
    block_signals(&old);
    if (o->nfiles == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        entry *f = realloc(o->files, cap * sizeof *f);
        if (f) {
            o->files = f;
            o->cap = cap;
        }
    }
    int room = o->nfiles < o->cap;
    if (room)
        o->files[o->nfiles++] = e;
    restore_signals(&old);
    if (!room) {
        free(e.path);
        free(e.name);
        free(e.k);
        return fail(msg, GSL_ENOMEM, "out of memory for the output directory");
    }
    entry *f = &o->files[o->nfiles - 1];
    f->fp = sink_open(f->k, open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!f->fp)
        return fail(msg, GSL_EFAILED, "cannot write '%s/%s': %s", o->dir, name, ttt_msg_errno(errno));
    *fp = f->fp;
    return GSL_SUCCESS;
}

int ttt_outdir_check(ttt_outdir *o, FILE *fp, char *msg)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        entry *e = &o->files[i];
        if (e->fp != fp)
            continue;
        if (!ferror(fp) && !e->k->err)
            return GSL_SUCCESS;
        return fail(msg, GSL_EFAILED, "cannot write '%s/%s': %s; %s", o->dir, e->name,
                    ttt_msg_errno(e->k->err ? e->k->err : EIO), left(o));
    }
    return fail(msg, GSL_EFAILED, "a stream that '%s' did not open", o->dir);
}

static int sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int bad = fsync(fd) != 0 && errno != EINVAL;
    bad |= close(fd) != 0;
    return bad ? -1 : 0;
}

int ttt_outdir_commit(ttt_outdir *o, char *msg)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        entry *e = &o->files[i];
        int err = e->fp ? sink_finish(e->fp, e->k, 1) : EBADF;
        e->fp = NULL;
        if (err) {
            fail(msg, GSL_EFAILED, "cannot write '%s/%s': %s; %s", o->dir, e->name, ttt_msg_errno(err), left(o));
            release(o, 1, 0);
            return GSL_EFAILED;
        }
    }
    for (size_t i = o->nsub; i > 0; i--)
        sync_dir(o->sub[i - 1]);
    sync_dir(o->tmp);
    /* The swap, with the signals held so that it completes or does not start. */
    sigset_t old;
    block_signals(&old);
    int new_sweep = 0;
    for (size_t i = 0; i < o->nfiles; i++)
        new_sweep |= !strcmp(o->files[i].name, SWEEP_TABLE);
    int status = replaceable(o->dir, new_sweep, msg);
    struct stat st;
    int fresh = !status && lstat(o->dir, &st) != 0;
    if (fresh && rename(o->tmp, o->dir) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY)
            status = fail(msg, GSL_EFAILED, "cannot move the result into '%s': %s; nothing written", o->dir,
                          ttt_msg_errno(errno));
        else /* created by another process meanwhile: replace it as any existing result */
            status = replaceable(o->dir, new_sweep, msg);
        fresh = 0;
    } else if (fresh) {
        fresh = 2; /* moved in */
    }
    if (!status && fresh != 2) {
        /* DIR exists: exchange, after which o->tmp holds the previous result. */
        if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->dir, RENAME_EXCHANGE) != 0) {
            if (errno != EINVAL && errno != ENOSYS)
                status = fail(msg, GSL_EFAILED, "cannot replace '%s': %s; %s", o->dir, ttt_msg_errno(errno),
                              left(o));
            else { /* no exchange here: move the old one aside, then the new one in */
                size_t n = strlen(o->tmp) + 8;
                char *aside = malloc(n);
                if (!aside)
                    status = fail(msg, GSL_ENOMEM, "out of memory; %s", left(o));
                else {
                    snprintf(aside, n, "%s-old", o->tmp);
                    if (rename(o->dir, aside) != 0)
                        status = fail(msg, GSL_EFAILED, "cannot replace '%s': %s; %s", o->dir,
                                      ttt_msg_errno(errno), left(o));
                    else if (rename(o->tmp, o->dir) != 0) {
                        status = fail(msg, GSL_EFAILED, "cannot replace '%s': %s; %s", o->dir,
                                      ttt_msg_errno(errno), left(o));
                        rename(aside, o->dir);
                    } else {
                        free(o->tmp);
                        o->tmp = aside;
                        aside = NULL;
                    }
                    free(aside);
                }
            }
        }
    }
    if (!status)
        sync_dir(o->parent);
    release(o, 1, !status); /* removes the temporary: the previous result after a swap */
    restore_signals(&old);
    return status;
}

/* ---- single files ---- */

struct ttt_outfile {
    char *target; /* the file replaced (a symbolic link resolved), or NULL when written directly */
    char *tmp;
    char *name;   /* the path as given, for messages */
    FILE *fp;
    sink k;
    int existed;  /* the target was there: "the previous file is intact" */
};

/* Removes DIR/BASE.tmp-PID (regular files) for every PID that is no longer
 * running: what a process killed while writing the same target left. */
static void sweep_stale_files(const char *target)
{
    const char *slash = strrchr(target, '/');
    char *dir = slash ? strndup(target, slash == target ? 1 : (size_t)(slash - target)) : strdup(".");
    const char *base = slash ? slash + 1 : target;
    DIR *d = dir ? opendir(dir) : NULL;
    size_t blen = strlen(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp-", 5))
            continue;
        char *end;
        long pid = strtol(n + blen + 5, &end, 10);
        if (*end || end == n + blen + 5 || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
            errno != ESRCH)
            continue;
        char *path = join(dir, n);
        struct stat st;
        if (path && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
}

/* The directory part of path, for messages ("." when it has none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

int ttt_outfile_open(const char *path, ttt_outfile **out, FILE **fp, char *msg)
{
    *out = NULL;
    *fp = NULL;
    int status = printable(path, "output file", msg);
    if (status)
        return status;
    ttt_outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->name = strdup(path))) {
        free(o);
        return fail(msg, GSL_ENOMEM, "out of memory for the output file");
    }
    o->k.fd = -1;
    struct stat st, lst;
    int there = stat(path, &st) == 0, err = errno;
    if (there && S_ISDIR(st.st_mode)) {
        ttt_outfile_abort(o);
        return fail(msg, GSL_EINVAL, "'%s' is a directory; allowed: a file name", path);
    }
    if (!there && err == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        /* A link to a missing file: refused rather than guessed at (writing the
         * target would create a file wherever the link points; replacing the
         * link would lose it). */
        char to[4096];
        ssize_t n = readlink(path, to, sizeof to - 1);
        to[n > 0 ? n : 0] = '\0';
        ttt_outfile_abort(o);
        return fail(msg, GSL_EINVAL, "'%s' is a symbolic link to missing '%s'; allowed: a link to an existing file, "
                    "or a file name that is not a link", path, to);
    }
    if (there && !S_ISREG(st.st_mode)) { /* a device or a pipe: write into it */
        o->fp = sink_open(&o->k, open(path, O_WRONLY | O_TRUNC | O_CLOEXEC));
    } else {
        char *real = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) ? realpath(path, NULL) : NULL;
        o->target = real ? real : strdup(path);
        const char *base = o->target ? strrchr(o->target, '/') : NULL;
        base = base ? base + 1 : o->target;
        const size_t limit = NAME_LIMIT - strlen(".tmp-") - 7;
        if (base && strlen(base) > limit) {
            status = fail(msg, GSL_EINVAL, "output file '%s' has a name of %zu bytes; allowed: at most %zu bytes "
                          "(its temporary NAME.tmp-PID must fit in %d)", path, strlen(base), limit, NAME_LIMIT);
            ttt_outfile_abort(o);
            return status;
        }
        size_t n = o->target ? strlen(o->target) + 32 : 0;
        o->tmp = n ? malloc(n) : NULL;
        if (o->tmp) {
            snprintf(o->tmp, n, "%s.tmp-%ld", o->target, (long)getpid());
            sweep_stale_files(o->target);
            sigset_t old;
            block_signals(&old);
            int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (fd >= 0) {
                if (there) /* keep the mode of the file replaced */
                    fchmod(fd, st.st_mode & 07777);
                active_file = o->tmp;
                active_file_existed = o->existed = there;
                install_handler();
            }
            restore_signals(&old);
            o->fp = sink_open(&o->k, fd);
        }
    }
    if (!o->fp) {
        err = errno;
        char *dir = err == ENOENT ? dir_of(path) : NULL;
        struct stat ds;
        if (dir && stat(dir, &ds) == 0) { /* it exists: ENOENT from elsewhere (/proc refuses new files so) */
            free(dir);
            dir = NULL;
        }
        if (dir)
            status = fail(msg, GSL_EINVAL, "cannot write '%s': directory '%s' does not exist; allowed: a file in "
                          "an existing directory", path, dir);
        else
            status = fail(msg, sys_status(err), "cannot write '%s': %s", path, ttt_msg_errno(err));
        free(dir);
        ttt_outfile_abort(o);
        return status;
    }
    *out = o;
    *fp = o->fp;
    return GSL_SUCCESS;
}

void ttt_outfile_abort(ttt_outfile *o)
{
    if (!o)
        return;
    if (o->fp)
        fclose(o->fp);
    sigset_t old;
    block_signals(&old);
    if (o->tmp)
        unlink(o->tmp);
    if (active_file == o->tmp)
        active_file = NULL;
    restore_signals(&old);
    uninstall_handler();
    free(o->tmp);
    free(o->target);
    free(o->name);
    free(o);
}

int ttt_outfile_commit(ttt_outfile *o, char *msg)
{
    int err = sink_finish(o->fp, &o->k, o->tmp != NULL);
    o->fp = NULL;
    if (!err && o->tmp) {
        sigset_t old;
        block_signals(&old);
        if (rename(o->tmp, o->target) != 0)
            err = errno;
        else
            active_file = NULL;
        restore_signals(&old);
    }
    if (err) {
        fail(msg, GSL_EFAILED, "cannot write '%s': %s%s", o->name, ttt_msg_errno(err),
             !o->tmp ? "" : o->existed ? "; the previous file is intact" : "; nothing written");
        ttt_outfile_abort(o);
        return GSL_EFAILED;
    }
    free(o->tmp);
    o->tmp = NULL;
    ttt_outfile_abort(o);
    return GSL_SUCCESS;
}
