/* ttt_kernel — see ttt_kernel.h. */
#define _DEFAULT_SOURCE /* syscall (asking Linux for the AMX tiles) */
#include "ttt_kernel.h"

#ifdef TTT_KERNEL
#include <cpuid.h>
#include <immintrin.h>
/* The AMX tiles' intrinsics came with GCC 11 and Clang 12; Linux hands
 * out the tiles (arch_prctl). */
#if defined(__linux__) && (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#define TTT_AMX 1
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

size_t ttt_kernel_padded(size_t n) { return (n + TTT_KERNEL_PAD - 1) / TTT_KERNEL_PAD * TTT_KERNEL_PAD; }

int ttt_kernel_available(void)
{
#ifdef TTT_KERNEL
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

size_t ttt_kernel_columns(const float *X, size_t n, size_t len, float *Xt)
{
    const size_t ldw = ttt_kernel_padded(n);
    for (size_t k = 0; k < len; k++) {
        for (size_t c = 0; c < n; c++)
            Xt[k * ldw + c] = X[c * len + k];
        for (size_t c = n; c < ldw; c++)
            Xt[k * ldw + c] = 0.0f;
    }
    return ldw;
}

#ifdef TTT_KERNEL
/* The kernels come in two vector widths, 8 floats (AVX2) and 16 (AVX-512F,
 * where the CPU has it; CPUs with two 512-bit FMA units do twice the work a
 * cycle), and two precisions.  Each lane computes a chain of multiply-adds
 * in index order, so both widths give the same bits.  Written once, as
 * macros of: UT an element of a row of U (a float, or a word of two
 * bfloat16), VT a vector of VW of them, AT a vector of VW float
 * accumulators, ZERO its zero, LOADX(p) the VT at p, BCAST(p) the element
 * at p in every lane, MADD(a, u, x) a += u x lane by lane, STORE(p, a).
 *
 * PAIRS_KERNEL: the columns from c0 to the last multiple of two vectors,
 * in passes of KA rows times two vectors (12 accumulators; the next pass's
 * rows asked for into L2 meanwhile: where U is far larger than the caches,
 * the decoder's atoms at large d1, they come from memory and this pass's
 * FMAs hide the wait), then the last rows mod KA one at a time; the
 * columns left, fewer than two vectors, by NARROW from that column on.
 * SINGLES_KERNEL: columns c0 to ldw one vector at a time (the last 8
 * columns that AVX2's pairs leave). */
#define KA 6
#define FMA2(r, a0, a1)                                                                                        \
    do {                                                                                                       \
        const VT u_ = BCAST(r + k);                                                                            \
        a0 = MADD(a0, u_, x0);                                                                                 \
        a1 = MADD(a1, u_, x1);                                                                                 \
    } while (0)
#define FMA1(r, a0) a0 = MADD(a0, BCAST(r + k), x0)
#define KERNEL_ARGS const UT *U, size_t rows, size_t len, const UT *Xt, size_t ldw, size_t c0, float *out
#define PAIRS_KERNEL(NAME, TARGET, NARROW)                                                                    \
    __attribute__((target(TARGET))) static void NAME(KERNEL_ARGS)                                              \
    {                                                                                                          \
        const size_t end = c0 + (ldw - c0) / (2 * VW) * (2 * VW);                                              \
        size_t j = 0;                                                                                          \
        for (; j + KA <= rows && c0 < end; j += KA) {                                                          \
            const UT *u0 = U + j * len, *u1 = u0 + len, *u2 = u1 + len, *u3 = u2 + len, *u4 = u3 + len,        \
                     *u5 = u4 + len;                                                                           \
            if (j + 2 * KA <= rows)                                                                            \
                for (size_t b = 0; b < KA * len; b += 64 / sizeof *U)                                          \
                    __builtin_prefetch(u0 + KA * len + b, 0, 2);                                               \
            for (size_t c = c0; c < end; c += 2 * VW) {                                                        \
                AT a00 = ZERO, a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00,    \
                   a40 = a00, a41 = a00, a50 = a00, a51 = a00;                                                 \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + VW);                  \
                    FMA2(u0, a00, a01);                                                                        \
                    FMA2(u1, a10, a11);                                                                        \
                    FMA2(u2, a20, a21);                                                                        \
                    FMA2(u3, a30, a31);                                                                        \
                    FMA2(u4, a40, a41);                                                                        \
                    FMA2(u5, a50, a51);                                                                        \
                }                                                                                              \
                float *w = out + j * ldw + c;                                                                  \
                STORE(w, a00);                                                                                 \
                STORE(w + VW, a01);                                                                            \
                STORE(w + ldw, a10);                                                                           \
                STORE(w + ldw + VW, a11);                                                                      \
                STORE(w + 2 * ldw, a20);                                                                       \
                STORE(w + 2 * ldw + VW, a21);                                                                  \
                STORE(w + 3 * ldw, a30);                                                                       \
                STORE(w + 3 * ldw + VW, a31);                                                                  \
                STORE(w + 4 * ldw, a40);                                                                       \
                STORE(w + 4 * ldw + VW, a41);                                                                  \
                STORE(w + 5 * ldw, a50);                                                                       \
                STORE(w + 5 * ldw + VW, a51);                                                                  \
            }                                                                                                  \
        }                                                                                                      \
        for (; j < rows && c0 < end; j++) {                                                                    \
            const UT *u = U + j * len;                                                                         \
            for (size_t c = c0; c < end; c += 2 * VW) {                                                        \
                AT a0 = ZERO, a1 = a0;                                                                         \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + VW);                  \
                    FMA2(u, a0, a1);                                                                           \
                }                                                                                              \
                STORE(out + j * ldw + c, a0);                                                                  \
                STORE(out + j * ldw + c + VW, a1);                                                             \
            }                                                                                                  \
        }                                                                                                      \
        if (end < ldw)                                                                                         \
            NARROW(U, rows, len, Xt, ldw, end, out);                                                           \
    }
#define SINGLES_KERNEL(NAME, TARGET)                                                                          \
    __attribute__((target(TARGET))) static void NAME(KERNEL_ARGS)                                              \
    {                                                                                                          \
        size_t j = 0;                                                                                          \
        for (; j + KA <= rows; j += KA) {                                                                      \
            const UT *u0 = U + j * len, *u1 = u0 + len, *u2 = u1 + len, *u3 = u2 + len, *u4 = u3 + len,        \
                     *u5 = u4 + len;                                                                           \
            for (size_t c = c0; c < ldw; c += VW) {                                                            \
                AT a0 = ZERO, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;                                     \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c);                                                     \
                    FMA1(u0, a0);                                                                              \
                    FMA1(u1, a1);                                                                              \
                    FMA1(u2, a2);                                                                              \
                    FMA1(u3, a3);                                                                              \
                    FMA1(u4, a4);                                                                              \
                    FMA1(u5, a5);                                                                              \
                }                                                                                              \
                float *w = out + j * ldw + c;                                                                  \
                STORE(w, a0);                                                                                  \
                STORE(w + ldw, a1);                                                                            \
                STORE(w + 2 * ldw, a2);                                                                        \
                STORE(w + 3 * ldw, a3);                                                                        \
                STORE(w + 4 * ldw, a4);                                                                        \
                STORE(w + 5 * ldw, a5);                                                                        \
            }                                                                                                  \
        }                                                                                                      \
        for (; j < rows; j++)                                                                                  \
            for (size_t c = c0; c < ldw; c += VW) {                                                            \
                const UT *u = U + j * len;                                                                     \
                AT a0 = ZERO;                                                                                  \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c);                                                     \
                    FMA1(u, a0);                                                                               \
                }                                                                                              \
                STORE(out + j * ldw + c, a0);                                                                  \
            }                                                                                                  \
    }

/* bfloat16 pairs: VDPBF16PS adds both products of a pair in each lane. */
#define BF16_TARGET "avx2,fma,avx512f,avx512vl,avx512bf16"
#define UT uint32_t
#define BCAST(p) ((VT)SET1((int)*(p)))
#define VW 8
#define VT __m256bh
#define AT __m256
#define ZERO _mm256_setzero_ps()
#define LOADX(p) ((VT)_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define SET1 _mm256_set1_epi32
#define MADD(a, u, x) _mm256_dpbf16_ps(a, u, x)
#define STORE _mm256_storeu_ps
SINGLES_KERNEL(singles256_bf16, BF16_TARGET)
PAIRS_KERNEL(rows256_bf16, BF16_TARGET, singles256_bf16)
#undef VW
#undef VT
#undef AT
#undef ZERO
#undef LOADX
#undef SET1
#undef MADD
#undef STORE
#define VW 16
#define VT __m512bh
#define AT __m512
#define ZERO _mm512_setzero_ps()
#define LOADX(p) ((VT)_mm512_loadu_si512((const void *)(p)))
#define SET1 _mm512_set1_epi32
#define MADD(a, u, x) _mm512_dpbf16_ps(a, u, x)
#define STORE _mm512_storeu_ps
PAIRS_KERNEL(rows512_bf16, BF16_TARGET, rows256_bf16)
#undef VW
#undef VT
#undef AT
#undef ZERO
#undef LOADX
#undef SET1
#undef MADD
#undef STORE
#undef UT
#undef BCAST

/* Single precision: fused multiply-adds. */
#define UT float
#define VW 8
#define VT __m256
#define AT __m256
#define ZERO _mm256_setzero_ps()
#define LOADX _mm256_loadu_ps
#define BCAST _mm256_broadcast_ss
#define MADD(a, u, x) _mm256_fmadd_ps(u, x, a)
#define STORE _mm256_storeu_ps
SINGLES_KERNEL(singles256, "avx2,fma")
PAIRS_KERNEL(rows256, "avx2,fma", singles256)
#undef VW
#undef VT
#undef AT
#undef ZERO
#undef LOADX
#undef BCAST
#undef MADD
#undef STORE
#define VW 16
#define VT __m512
#define AT __m512
#define ZERO _mm512_setzero_ps()
#define LOADX _mm512_loadu_ps
#define BCAST(p) _mm512_set1_ps(*(p))
#define MADD(a, u, x) _mm512_fmadd_ps(u, x, a)
#define STORE _mm512_storeu_ps
PAIRS_KERNEL(rows512, "avx2,fma,avx512f", rows256)
#undef VW
#undef VT
#undef AT
#undef ZERO
#undef LOADX
#undef BCAST
#undef MADD
#undef STORE
#undef UT
#undef BF16_TARGET
#undef PAIRS_KERNEL
#undef SINGLES_KERNEL
#undef KERNEL_ARGS
#undef FMA1
#undef FMA2
#undef KA

/* The Gram kernel.  G's upper triangle is covered by tiles of TI rows by
 * 16 columns (TI = 8 with AVX-512F, 4 with AVX2: 16 vector accumulators
 * either way), each tile's entries kept in registers over GRAM_ROWS rows
 * of X (GRAM_ROWS x cols doubles: 32 KB in L1 at 128 columns, while every
 * tile reads them; 64 rows, out of L1, ran 15% slower), then stored and
 * taken up again for the next GRAM_ROWS.  Entry
 * (i, j) is the chain G_ij = fma(x_ri, x_rj, G_ij) over r in order from 0,
 * whatever the width: the same bits, and those of the scalar loop with
 * fma().  A tile on the diagonal also fills some entries below it, which
 * the caller ignores. */
#define GRAM_ROWS 32
#define GRAM_KERNEL(NAME, TARGET, VT, TI, JV, LOAD, STORE, SET1, FMADD)                                       \
    __attribute__((target(TARGET))) static void NAME(const double *X, size_t rows, size_t cols, size_t ldx,    \
                                                     double *G)                                                \
    {                                                                                                          \
        const size_t VD = sizeof(VT) / sizeof(double);                                                        \
        memset(G, 0, cols * cols * sizeof *G);                                                                 \
        for (size_t r0 = 0; r0 < rows; r0 += GRAM_ROWS) {                                                      \
            const size_t r1 = rows - r0 < GRAM_ROWS ? rows : r0 + GRAM_ROWS;                                   \
            for (size_t i0 = 0; i0 < cols; i0 += TI)                                                           \
                for (size_t j0 = i0 / 16 * 16; j0 < cols; j0 += 16) {                                          \
                    VT a[TI][JV];                                                                              \
                    _Pragma("GCC unroll 8") for (size_t ii = 0; ii < TI; ii++)                                 \
                        _Pragma("GCC unroll 4") for (size_t jv = 0; jv < JV; jv++)                             \
                            a[ii][jv] = LOAD(G + (i0 + ii) * cols + j0 + jv * VD);                             \
                    for (size_t r = r0; r < r1; r++) {                                                         \
                        const double *x = X + r * ldx;                                                         \
                        VT b[JV];                                                                              \
                        _Pragma("GCC unroll 4") for (size_t jv = 0; jv < JV; jv++) b[jv] = LOAD(x + j0 + jv * VD); \
                        _Pragma("GCC unroll 8") for (size_t ii = 0; ii < TI; ii++) {                           \
                            const VT u = SET1(x[i0 + ii]);                                                     \
                            _Pragma("GCC unroll 4") for (size_t jv = 0; jv < JV; jv++)                         \
                                a[ii][jv] = FMADD(u, b[jv], a[ii][jv]);                                        \
                        }                                                                                      \
                    }                                                                                          \
                    _Pragma("GCC unroll 8") for (size_t ii = 0; ii < TI; ii++)                                 \
                        _Pragma("GCC unroll 4") for (size_t jv = 0; jv < JV; jv++)                             \
                            STORE(G + (i0 + ii) * cols + j0 + jv * VD, a[ii][jv]);                             \
                }                                                                                              \
        }                                                                                                      \
    }
GRAM_KERNEL(gram256, "avx2,fma", __m256d, 4, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd,
            _mm256_fmadd_pd)
GRAM_KERNEL(gram512, "avx2,fma,avx512f", __m512d, 8, 2, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd,
            _mm512_fmadd_pd)
#undef GRAM_KERNEL
#undef GRAM_ROWS

/* The row Gram kernel: G_ab = <x_a, x_b> for a <= b, each product in eight
 * partial sums (lane l: the entries c = l mod 8 below the last multiple of
 * 8, fused multiply-adds in order of c), added as ((p0 + p4) + (p2 + p6)) +
 * ((p1 + p5) + (p3 + p7)), then the tail's entries fused in order: one zmm
 * per sum with AVX-512F, two ymm with AVX2, the same bits.  Blocks of BA x
 * BA rows (4 with AVX-512F, 2 with AVX2: 16 or 8 sums in registers), a
 * partial block repeating its last row. */
#define ROWGRAM_KERNEL(NAME, TARGET, BA, ACC, ZERO, FMA8, LOAD8, SUM8)                                         \
    __attribute__((target(TARGET))) static void NAME(const double *X, size_t rows, size_t cols, size_t ldx,    \
                                                     double *G)                                                \
    {                                                                                                          \
        const size_t c8 = cols / 8 * 8;                                                                        \
        for (size_t a0 = 0; a0 < rows; a0 += BA)                                                               \
            for (size_t b0 = a0; b0 < rows; b0 += BA) {                                                        \
                const double *xa[BA], *xb[BA];                                                                 \
                _Pragma("GCC unroll 4") for (size_t i = 0; i < BA; i++) {                                      \
                    xa[i] = X + (a0 + i < rows ? a0 + i : rows - 1) * ldx;                                     \
                    xb[i] = X + (b0 + i < rows ? b0 + i : rows - 1) * ldx;                                     \
                }                                                                                              \
                ACC acc[BA][BA];                                                                               \
                _Pragma("GCC unroll 4") for (size_t i = 0; i < BA; i++)                                        \
                    _Pragma("GCC unroll 4") for (size_t j = 0; j < BA; j++) acc[i][j] = ZERO;                  \
                for (size_t c = 0; c < c8; c += 8) {                                                           \
                    ACC va[BA], vb[BA];                                                                        \
                    _Pragma("GCC unroll 4") for (size_t i = 0; i < BA; i++) {                                  \
                        va[i] = LOAD8(xa[i] + c);                                                              \
                        vb[i] = LOAD8(xb[i] + c);                                                              \
                    }                                                                                          \
                    _Pragma("GCC unroll 4") for (size_t i = 0; i < BA; i++)                                    \
                        _Pragma("GCC unroll 4") for (size_t j = 0; j < BA; j++) acc[i][j] =                    \
                            FMA8(va[i], vb[j], acc[i][j]);                                                     \
                }                                                                                              \
                for (size_t i = 0; i < BA && a0 + i < rows; i++)                                               \
                    for (size_t j = 0; j < BA && b0 + j < rows; j++) {                                         \
                        if (a0 + i > b0 + j)                                                                   \
                            continue;                                                                          \
                        double sum = SUM8(acc[i][j]);                                                          \
                        for (size_t c = c8; c < cols; c++)                                                     \
                            sum = __builtin_fma(xa[i][c], xb[j][c], sum);                                      \
                        G[(a0 + i) * rows + b0 + j] = sum;                                                     \
                    }                                                                                          \
            }                                                                                                  \
    }

typedef struct {
    __m256d lo, hi;
} rowgram_pair;

__attribute__((target("avx2,fma"))) static inline rowgram_pair pair_zero(void)
{
    return (rowgram_pair){_mm256_setzero_pd(), _mm256_setzero_pd()};
}
__attribute__((target("avx2,fma"))) static inline rowgram_pair pair_load(const double *p)
{
    return (rowgram_pair){_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)};
}
__attribute__((target("avx2,fma"))) static inline rowgram_pair pair_fma(rowgram_pair a, rowgram_pair b,
                                                                         rowgram_pair c)
{
    return (rowgram_pair){_mm256_fmadd_pd(a.lo, b.lo, c.lo), _mm256_fmadd_pd(a.hi, b.hi, c.hi)};
}
/* ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)) */
__attribute__((target("avx2,fma"))) static inline double sum4(__m256d s)
{
    double q[4];
    _mm256_storeu_pd(q, s);
    return (q[0] + q[2]) + (q[1] + q[3]);
}
__attribute__((target("avx2,fma"))) static inline double pair_sum(rowgram_pair p)
{
    return sum4(_mm256_add_pd(p.lo, p.hi));
}
__attribute__((target("avx2,fma,avx512f"))) static inline double zmm_sum(__m512d p)
{
    return sum4(_mm256_add_pd(_mm512_castpd512_pd256(p), _mm512_extractf64x4_pd(p, 1)));
}
ROWGRAM_KERNEL(rowgram256, "avx2,fma", 2, rowgram_pair, pair_zero(), pair_fma, pair_load, pair_sum)
ROWGRAM_KERNEL(rowgram512, "avx2,fma,avx512f", 4, __m512d, _mm512_setzero_pd(), _mm512_fmadd_pd, _mm512_loadu_pd,
               zmm_sum)
#undef ROWGRAM_KERNEL

/* The kernels' width: 0 until first asked, then 256 or 512 (AVX-512F
 * where the CPU has it); ttt_kernel_set_width overrides it.  Threads may
 * ask for it at once (the screen's tiles): atomic loads and stores, all
 * of the same value. */
static int kernel_width;

static int width(void)
{
    int w = __atomic_load_n(&kernel_width, __ATOMIC_RELAXED);
    if (!w) {
        w = __builtin_cpu_supports("avx512f") ? 512 : 256;
        __atomic_store_n(&kernel_width, w, __ATOMIC_RELAXED);
    }
    return w;
}

int ttt_kernel_set_width(int bits)
{
    const int was = width();
    if (bits == 256 || (bits == 512 && __builtin_cpu_supports("avx512f")))
        __atomic_store_n(&kernel_width, bits, __ATOMIC_RELAXED);
    return was;
}

void ttt_kernel_rows(const float *U, size_t rows, size_t len, const float *Xt, size_t ldw, float *out)
{
    (width() == 512 ? rows512 : rows256)(U, rows, len, Xt, ldw, 0, out);
}

/* The bfloat16 products in vectors: columns c0 to ldw of out. */
static void vector_bf16(const uint32_t *U2, size_t rows, size_t len2, const uint32_t *Xt2, size_t ldw, size_t c0,
                        float *out)
{
    (width() == 512 ? rows512_bf16 : rows256_bf16)(U2, rows, len2, Xt2, ldw, c0, out);
}

/* AMX: the CPU's tile unit (Intel's Advanced Matrix Extensions) multiplies
 * a tile of 16 rows of 16 bfloat16 pairs (64 bytes a row) by a tile of 16
 * rows of 16 pairs, adding each pair's two exact products to a 16 x 16
 * tile of floats (TDPBF16PS: to nearest, denormal inputs and results
 * flushed to zero, as VDPBF16PS, in an order of its own): eight times the
 * vector kernel's rate on the decoder's shapes (4096 atoms of 64 pairs
 * against 64 columns: 65 us, against 562 us).  A tile of U2 is 16 rows of
 * U2 in place, one of Xt2 16 of its rows, so the layouts stay.  Linux
 * hands the tiles to a process that asks (arch_prctl), once; a thread's
 * first use then costs a fault that enlarges its saved state. */
#define AMX_TILE 16
_Static_assert(2 * TTT_KERNEL_PAD == AMX_TILE, "rows_amx: past the last 16 columns at most 8");
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

/* 0 until first asked, then 1 where the tiles can be used, -1 where not;
 * amx_wanted: 0 after ttt_kernel_use_amx(0). */
static int amx_state, amx_wanted = 1;

static int amx_probe(void)
{
#ifdef TTT_AMX
    unsigned a, b, c, d;
    /* AMX-TILE (bit 24) and AMX-BF16 (bit 22) of leaf 7; XSAVE enabled by the system (OSXSAVE), with the tiles'
     * state (XCR0 bits 17 and 18); the vector kernel for the tails. */
    if (!ttt_kernel_bf16_available() || !__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d >> 24 & 1) || !(d >> 22 & 1))
        return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c >> 27 & 1))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo >> 17 & 3) != 3)
        return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#else
    return 0;
#endif
}

static int amx_usable(void)
{
    int s = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (!s) { /* threads that ask at once ask Linux twice: the same answer */
        s = amx_probe() ? 1 : -1;
        __atomic_store_n(&amx_state, s, __ATOMIC_RELEASE);
    }
    return s > 0;
}

int ttt_kernel_amx_available(void) { return amx_usable(); }

int ttt_kernel_use_amx(int on)
{
    const int was = __atomic_exchange_n(&amx_wanted, on != 0, __ATOMIC_RELAXED);
    return was && amx_usable();
}

#ifdef TTT_AMX
/* The tile configuration (palette 1): tile 0 the products, 1 the rows of
 * U2, 2 those of Xt2, each 16 rows of 64 bytes; 3 and 4 the same as 0 and
 * 2 for the last 8 columns (32 bytes a row) where ldw is not a multiple
 * of 16. */
typedef struct {
    unsigned char palette, start_row, reserved[14];
    uint16_t colsb[16];
    unsigned char rows[16];
} amx_config;

/* Blocks of 16 rows by 16 columns on the tiles (larger blocks, 32 by 32,
 * were no faster: the stores of out bound it), a last 8 columns by 16
 * rows, and the rows past the last 16 by the vector kernel; len2 a
 * multiple of 16. */
__attribute__((target("amx-tile,amx-bf16"))) static void rows_amx(const uint32_t *U2, size_t rows, size_t len2,
                                                                  const uint32_t *Xt2, size_t ldw, float *out)
{
    const size_t r16 = rows / AMX_TILE * AMX_TILE, c16 = ldw / AMX_TILE * AMX_TILE;
    amx_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 5; t++) {
        cfg.colsb[t] = (t < 3 ? AMX_TILE : TTT_KERNEL_PAD) * sizeof(float);
        cfg.rows[t] = AMX_TILE;
    }
    _tile_loadconfig(&cfg);
/* The 16 rows from j of out, columns from col: product tile P, Xt2's tile X (immediates). */
#define AMX_BLOCK(P, X, col)                                                                                   \
    do {                                                                                                       \
        _tile_zero(P);                                                                                         \
        for (size_t k = 0; k < len2; k += AMX_TILE) {                                                          \
            _tile_loadd(1, U2 + j * len2 + k, len2 * sizeof *U2);                                              \
            _tile_loadd(X, Xt2 + k * ldw + (col), ldw * sizeof *Xt2);                                          \
            _tile_dpbf16ps(P, 1, X);                                                                           \
        }                                                                                                      \
        _tile_stored(P, out + j * ldw + (col), ldw * sizeof *out);                                             \
    } while (0)
    for (size_t j = 0; j < r16; j += AMX_TILE) {
        for (size_t c = 0; c < c16; c += AMX_TILE)
            AMX_BLOCK(0, 2, c);
        if (c16 < ldw)
            AMX_BLOCK(3, 4, c16);
    }
#undef AMX_BLOCK
    _tile_release();
    if (r16 < rows)
        vector_bf16(U2 + r16 * len2, rows - r16, len2, Xt2, ldw, 0, out + r16 * ldw);
}
#endif

void ttt_kernel_rows_bf16(const uint32_t *U2, size_t rows, size_t len2, const uint32_t *Xt2, size_t ldw, float *out)
{
#ifdef TTT_AMX
    if (len2 % AMX_TILE == 0 && __atomic_load_n(&amx_wanted, __ATOMIC_RELAXED) && amx_usable()) {
        rows_amx(U2, rows, len2, Xt2, ldw, out);
        return;
    }
#endif
    vector_bf16(U2, rows, len2, Xt2, ldw, 0, out);
}

int ttt_kernel_bf16_available(void)
{
    return ttt_kernel_available() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bf16");
}

/* x to bfloat16, to nearest with ties to even: the float's top 16 bits,
 * rounded on the bottom 16. */
static uint32_t bf16_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

float ttt_kernel_bf16(float x)
{
    const uint32_t b = bf16_of(x);
    return ttt_kernel_bf16_entry(&b, 0);
}

void ttt_kernel_bf16_pairs(const float *x, size_t len, uint32_t *out)
{
    for (size_t i = 0; 2 * i < len; i++)
        out[i] = bf16_of(x[2 * i]) | (2 * i + 1 < len ? bf16_of(x[2 * i + 1]) << 16 : 0u);
}

size_t ttt_kernel_columns_bf16(const float *X, size_t n, size_t len, uint32_t *Xt2)
{
    const size_t ldw = ttt_kernel_padded(n), len2 = (len + 1) / 2;
    uint32_t pair[1];
    for (size_t k = 0; k < len2; k++) {
        for (size_t c = 0; c < n; c++) {
            ttt_kernel_bf16_pairs(X + c * len + 2 * k, 2 * k + 1 < len ? 2 : 1, pair);
            Xt2[k * ldw + c] = pair[0];
        }
        for (size_t c = n; c < ldw; c++)
            Xt2[k * ldw + c] = 0u;
    }
    return ldw;
}
#endif

#ifndef TTT_KERNEL
int ttt_kernel_amx_available(void) { return 0; }

int ttt_kernel_use_amx(int on)
{
    (void)on;
    return 0;
}
#endif

int ttt_kernel_gram_fits(size_t cols)
{
    return ttt_kernel_available() && cols >= 16 && cols <= TTT_KERNEL_GRAM_MAX && cols % 16 == 0;
}

void ttt_kernel_gram(const double *X, size_t rows, size_t cols, size_t ldx, double *G)
{
#ifdef TTT_KERNEL
    (width() == 512 ? gram512 : gram256)(X, rows, cols, ldx, G);
#else
    (void)X, (void)rows, (void)cols, (void)ldx, (void)G;
#endif
}

int ttt_kernel_rowgram_fits(size_t rows, size_t cols)
{
    return ttt_kernel_available() && rows <= TTT_KERNEL_ROWGRAM_MAX && rows * cols <= TTT_KERNEL_ROWGRAM_MAX * 512;
}

void ttt_kernel_rowgram(const double *X, size_t rows, size_t cols, size_t ldx, double *G)
{
#ifdef TTT_KERNEL
    (width() == 512 ? rowgram512 : rowgram256)(X, rows, cols, ldx, G);
#else
    (void)X, (void)rows, (void)cols, (void)ldx, (void)G;
#endif
}
