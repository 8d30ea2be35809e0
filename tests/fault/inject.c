/* inject — an LD_PRELOAD shim that makes the N-th call of a kind fail, for
 * the fault-injection tier (tests/fault/run.sh, make check-faults).
 *
 *   TTT_FAULT=malloc:N  the N-th allocation (malloc, calloc, realloc,
 *                       posix_memalign, aligned_alloc, memalign, valloc,
 *                       pvalloc; strdup, fopen, getline ... allocate through
 *                       these) returns NULL with errno ENOMEM
 *   TTT_FAULT=write:N   the N-th write system call (write, writev, pwrite64,
 *                       pwritev) to a regular file fails with ENOSPC
 *   TTT_FAULT=count     counts both kinds and prints "malloc A", "write W",
 *                       "before_main_malloc a", "before_main_write w" (the
 *                       calls the libraries' constructors made before main)
 *                       to TTT_FAULT_LOG at exit, one per line
 *
 * Calls are counted from process start over every thread (OpenBLAS and
 * OpenMP threads too) with atomic counters; the shim's own allocations and
 * those of the dynamic loader while the shim resolves the real functions
 * (dlsym) are not counted.  When it injects, the shim appends
 * "injected KIND N" and a backtrace to TTT_FAULT_LOG, so that the driver
 * knows the fault happened and where.
 *
 * Writes: glibc's stdio calls its internal __write, which no LD_PRELOAD
 * symbol can replace, so the write system calls are caught below the
 * library, with a seccomp filter that traps write, writev, pwrite64 and
 * pwritev (fd 2 excepted) into a SIGSYS handler.  The handler counts the
 * call when the fd is a regular file, and either returns -ENOSPC or performs
 * the call itself with a marker in the unused sixth argument register, which
 * the filter lets through.  pwritev2 (which uses all six) is not trapped:
 * neither ttt nor glibc's stdio calls it.
 *
 * fsync and fdatasync return 0 at once while TTT_FAULT is set: the tier runs
 * the program thousands of times and the durability of its files is not what
 * it tests (ttt_outdir's own tests cover the order of fsync and rename). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define MARKER 0x7474746661756c74L /* "tttfault": the sixth argument of our own write calls */

enum { OFF, COUNT, MALLOC, WRITE };
static int mode = -1; /* -1: not read yet */
static long target;
static atomic_long n_alloc, n_write;
static __thread int inside __attribute__((tls_model("initial-exec"))); /* the shim's own calls */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

/* ---- raw system calls (never trapped: they carry the marker) ---- */

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static void log_text(const char *s)
{
    const char *path = getenv("TTT_FAULT_LOG");
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    raw6(SYS_write, fd, (long)s, (long)strlen(s), 0, 0, MARKER);
    close(fd);
}

/* "injected KIND N" and the call stack, to the log. */
static void log_injection(const char *kind, long n)
{
    inside++;
    char line[96];
    snprintf(line, sizeof line, "injected %s %ld\n", kind, n);
    log_text(line);
    const char *path = getenv("TTT_FAULT_LOG");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) {
        void *frames[48];
        int depth = backtrace(frames, 48);
        /* backtrace_symbols_fd writes with write(2): through the filter on
           fd >= 3, and the log is a regular file; the guard keeps it out of
           the count and the injection. */
        backtrace_symbols_fd(frames, depth, fd);
        close(fd);
    }
    inside--;
}

/* ---- configuration ---- */

static void read_mode(void)
{
    const char *f = getenv("TTT_FAULT");
    int m = OFF;
    if (f && !strcmp(f, "count"))
        m = COUNT;
    else if (f && !strncmp(f, "malloc:", 7))
        m = MALLOC, target = atol(f + 7);
    else if (f && !strncmp(f, "write:", 6))
        m = WRITE, target = atol(f + 6);
    mode = m;
}

/* Whether this allocation is the one to fail. */
static int fail_alloc(void)
{
    if (inside || mode == OFF)
        return 0;
    if (mode < 0)
        read_mode(); /* getenv allocates nothing */
    if (mode != COUNT && mode != MALLOC)
        return 0;
    long n = atomic_fetch_add(&n_alloc, 1) + 1;
    if (mode != MALLOC || n != target)
        return 0;
    log_injection("malloc", n);
    errno = ENOMEM;
    return 1;
}

/* ---- allocation: resolving the real functions ---- */

/* dlsym may allocate (calloc) before the real functions are known: those
 * requests come from this arena and are never freed. */
static _Alignas(64) char arena[16384];
static size_t arena_used;
static int resolving;

static void *arena_alloc(size_t n)
{
    n = (n + 63) & ~(size_t)63;
    if (arena_used + n > sizeof arena)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

static int in_arena(const void *p)
{
    return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

static void resolve(void)
{
    if (real_free)
        return;
    resolving = 1;
    inside++;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
    real_valloc = dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    real_free = dlsym(RTLD_NEXT, "free");
    inside--;
    resolving = 0;
}

#define RESOLVE_OR_ARENA(n)                                                                                        \
    do {                                                                                                           \
        if (!real_free) {                                                                                          \
            if (resolving)                                                                                         \
                return arena_alloc(n);                                                                             \
            resolve();                                                                                             \
        }                                                                                                          \
    } while (0)

void *malloc(size_t n)
{
    RESOLVE_OR_ARENA(n);
    return fail_alloc() ? NULL : real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (!real_free) {
        if (resolving)
            return b && a > (size_t)-1 / b ? NULL : arena_alloc(a * b); /* static: already zero */
        resolve();
    }
    return fail_alloc() ? NULL : real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    RESOLVE_OR_ARENA(n);
    if (in_arena(p)) { /* rare: a bootstrap block grows */
        void *q = malloc(n);
        if (q)
            memcpy(q, p, n < (size_t)(arena + sizeof arena - (char *)p) ? n : (size_t)(arena + sizeof arena - (char *)p));
        return q;
    }
    return fail_alloc() ? NULL : real_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_arena(p))
        return;
    if (!real_free)
        resolve();
    real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (!real_free) {
        if (resolving)
            return (*out = arena_alloc(n + align)) ? 0 : ENOMEM; /* 64-aligned; rarely more wanted */
        resolve();
    }
    return fail_alloc() ? ENOMEM : real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    RESOLVE_OR_ARENA(n);
    return fail_alloc() ? NULL : real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
    RESOLVE_OR_ARENA(n);
    return fail_alloc() ? NULL : real_memalign(align, n);
}

void *valloc(size_t n)
{
    RESOLVE_OR_ARENA(n);
    return fail_alloc() ? NULL : real_valloc(n);
}

void *pvalloc(size_t n)
{
    RESOLVE_OR_ARENA(n);
    return fail_alloc() ? NULL : real_pvalloc(n);
}

/* ---- durability is not under test ---- */

int fsync(int fd)
{
    (void)fd;
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    return 0;
}

/* ---- writes: the seccomp trap ---- */

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    int saved = errno;
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    long nr = si->si_syscall, fd = g[REG_RDI];
    struct stat st;
    int counted = !inside && fd != 2 && fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode);
    long n = counted ? atomic_fetch_add(&n_write, 1) + 1 : 0;
    if (counted && mode == WRITE && n == target) {
        log_injection("write", n);
        g[REG_RAX] = -ENOSPC;
    } else {
        g[REG_RAX] = raw6(nr, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], MARKER);
    }
    errno = saved;
}

static void install_write_trap(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        goto fail;
    const unsigned lo = (unsigned)(MARKER & 0xffffffffL), hi = (unsigned)((unsigned long)MARKER >> 32);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_writev, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pwrite64, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pwritev, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* fd 2 (stderr) passes */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* our own calls carry the marker */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5]) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        goto fail;
    return;
fail:;
    static const char text[] = "inject: cannot install the seccomp write trap\n";
    ssize_t ignored = write(2, text, sizeof text - 1);
    (void)ignored;
    _exit(99);
}

/* ---- where main starts ---- */

/* Calls made before main are those of the libraries' constructors (the
 * dynamic loader runs them before __libc_start_main); count mode reports how
 * many, so that the driver can tell them apart. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;
static long alloc_before_main = -1, write_before_main = -1;

static int wrapped_main(int argc, char **argv, char **envp)
{
    alloc_before_main = (long)atomic_load(&n_alloc);
    write_before_main = (long)atomic_load(&n_write);
    return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    int (*next)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
    inside++;
    *(void **)&next = dlsym(RTLD_NEXT, "__libc_start_main");
    inside--;
    real_main = main;
    return next(wrapped_main, argc, argv, init, fini, rtld_fini, stack_end);
}

__attribute__((constructor)) static void start(void)
{
    inside++;
    if (mode < 0)
        read_mode();
    if (mode != OFF) {
        void *frames[4];
        backtrace(frames, 4); /* loads libgcc_s now, not in a signal handler or inside the loader */
    }
    if (mode == WRITE || mode == COUNT)
        install_write_trap();
    inside--;
}

__attribute__((destructor)) static void finish(void)
{
    if (mode != COUNT)
        return;
    inside++;
    char line[96];
    snprintf(line, sizeof line, "malloc %ld\nwrite %ld\nbefore_main_malloc %ld\nbefore_main_write %ld\n",
             (long)atomic_load(&n_alloc), (long)atomic_load(&n_write), alloc_before_main, write_before_main);
    log_text(line);
    inside--;
}
