/* ttt_kernel — see ttt_kernel.h. */
#include "ttt_kernel.h"

#ifdef TTT_KERNEL
#include <immintrin.h>
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
/* Per pass, KA rows times KC columns (two vectors of 8): 12 accumulators;
 * the last 8 columns, when there are such, in a pass of their own; columns
 * from c0 on (those before are the wide kernel's, below).  One
 * body for both precisions (ROWS_KERNEL below), given as macros: UT an
 * element of a row of U (a float, or a word of two bfloat16), VT a vector
 * of 8 of them, LOADX(p) the vector at p, BCAST(p) the element at p in
 * every lane, MADD(a, u, x) a += u x lane by lane. */
#define KA 6
#define KC 16
#define FMA2(r, a0, a1)                                                                                        \
    do {                                                                                                       \
        const VT u_ = BCAST(r + k);                                                                            \
        a0 = MADD(a0, u_, x0);                                                                                 \
        a1 = MADD(a1, u_, x1);                                                                                 \
    } while (0)
#define FMA1(r, a0) a0 = MADD(a0, BCAST(r + k), x0)
#define ROWS_KERNEL(NAME, TARGET)                                                                             \
    __attribute__((target(TARGET))) static void NAME(const UT *U, size_t rows, size_t len, const UT *Xt,        \
                                                     size_t ldw, size_t c0, float *out)                        \
    {                                                                                                          \
        size_t j = 0;                                                                                          \
        for (; j + KA <= rows; j += KA) {                                                                      \
            const UT *u0 = U + j * len, *u1 = u0 + len, *u2 = u1 + len, *u3 = u2 + len, *u4 = u3 + len,        \
                     *u5 = u4 + len;                                                                           \
            /* The next pass's rows asked for now, into L2: where U is far                                     \
             * larger than the caches (the decoder's atoms at large d1) they                                   \
             * come from memory, and this pass's FMAs hide the wait. */                                        \
            if (j + 2 * KA <= rows)                                                                            \
                for (size_t b = 0; b < KA * len; b += 64 / sizeof *U)                                          \
                    __builtin_prefetch(u0 + KA * len + b, 0, 2);                                               \
            size_t c = c0;                                                                                     \
            for (; c + KC <= ldw; c += KC) {                                                                   \
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,       \
                       a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;                       \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + 8);                   \
                    FMA2(u0, a00, a01);                                                                        \
                    FMA2(u1, a10, a11);                                                                        \
                    FMA2(u2, a20, a21);                                                                        \
                    FMA2(u3, a30, a31);                                                                        \
                    FMA2(u4, a40, a41);                                                                        \
                    FMA2(u5, a50, a51);                                                                        \
                }                                                                                              \
                float *w = out + j * ldw + c;                                                                  \
                _mm256_storeu_ps(w, a00);                                                                      \
                _mm256_storeu_ps(w + 8, a01);                                                                  \
                _mm256_storeu_ps(w + ldw, a10);                                                                \
                _mm256_storeu_ps(w + ldw + 8, a11);                                                            \
                _mm256_storeu_ps(w + 2 * ldw, a20);                                                            \
                _mm256_storeu_ps(w + 2 * ldw + 8, a21);                                                        \
                _mm256_storeu_ps(w + 3 * ldw, a30);                                                            \
                _mm256_storeu_ps(w + 3 * ldw + 8, a31);                                                        \
                _mm256_storeu_ps(w + 4 * ldw, a40);                                                            \
                _mm256_storeu_ps(w + 4 * ldw + 8, a41);                                                        \
                _mm256_storeu_ps(w + 5 * ldw, a50);                                                            \
                _mm256_storeu_ps(w + 5 * ldw + 8, a51);                                                        \
            }                                                                                                  \
            if (c < ldw) { /* the last 8 columns */                                                            \
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;                  \
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
                _mm256_storeu_ps(w, a0);                                                                       \
                _mm256_storeu_ps(w + ldw, a1);                                                                 \
                _mm256_storeu_ps(w + 2 * ldw, a2);                                                             \
                _mm256_storeu_ps(w + 3 * ldw, a3);                                                             \
                _mm256_storeu_ps(w + 4 * ldw, a4);                                                             \
                _mm256_storeu_ps(w + 5 * ldw, a5);                                                             \
            }                                                                                                  \
        }                                                                                                      \
        for (; j < rows; j++) { /* the last rows mod KA, one at a time */                                      \
            const UT *u = U + j * len;                                                                         \
            size_t c = c0;                                                                                     \
            for (; c + KC <= ldw; c += KC) {                                                                   \
                __m256 a0 = _mm256_setzero_ps(), a1 = a0;                                                      \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + 8);                   \
                    FMA2(u, a0, a1);                                                                           \
                }                                                                                              \
                _mm256_storeu_ps(out + j * ldw + c, a0);                                                       \
                _mm256_storeu_ps(out + j * ldw + c + 8, a1);                                                   \
            }                                                                                                  \
            if (c < ldw) {                                                                                     \
                __m256 a0 = _mm256_setzero_ps();                                                               \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c);                                                     \
                    FMA1(u, a0);                                                                               \
                }                                                                                              \
                _mm256_storeu_ps(out + j * ldw + c, a0);                                                       \
            }                                                                                                  \
        }                                                                                                      \
    }

/* bfloat16 pairs: VDPBF16PS adds both products of a pair in each lane. */
#define UT uint32_t
#define VT __m256bh
#define LOADX(p) ((__m256bh)_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define BCAST(p) ((__m256bh)_mm256_set1_epi32((int)*(p)))
#define MADD(a, u, x) _mm256_dpbf16_ps(a, u, x)
ROWS_KERNEL(rows256_bf16, "avx2,fma,avx512f,avx512vl,avx512bf16")
#undef UT
#undef VT
#undef LOADX
#undef BCAST
#undef MADD

/* Single precision: fused multiply-adds. */
#define UT float
#define VT __m256
#define LOADX(p) _mm256_loadu_ps(p)
#define BCAST(p) _mm256_broadcast_ss(p)
#define MADD(a, u, x) _mm256_fmadd_ps(u, x, a)
ROWS_KERNEL(rows256, "avx2,fma")
#undef UT
#undef VT
#undef LOADX
#undef BCAST
#undef MADD
#undef ROWS_KERNEL
#undef FMA1

/* The same with vectors of 16 (AVX-512), on the columns below the last
 * multiple of 2 x 16, the rest by the kernel above: KA rows times two
 * vectors a pass, a row at a time for the last rows mod KA.  Each lane
 * does what a lane of the kernel above does, in the same order, so the
 * results are the same bit for bit; CPUs with two 512-bit FMA units do
 * twice the work a cycle. */
#define KC512 32
#define ROWS_KERNEL512(NAME, TARGET, NARROW)                                                                  \
    __attribute__((target(TARGET))) static void NAME(const UT *U, size_t rows, size_t len, const UT *Xt,        \
                                                     size_t ldw, float *out)                                   \
    {                                                                                                          \
        const size_t wide = ldw / KC512 * KC512;                                                               \
        size_t j = 0;                                                                                          \
        for (; j + KA <= rows && wide; j += KA) {                                                              \
            const UT *u0 = U + j * len, *u1 = u0 + len, *u2 = u1 + len, *u3 = u2 + len, *u4 = u3 + len,        \
                     *u5 = u4 + len;                                                                           \
            if (j + 2 * KA <= rows) /* as above */                                                             \
                for (size_t b = 0; b < KA * len; b += 64 / sizeof *U)                                          \
                    __builtin_prefetch(u0 + KA * len + b, 0, 2);                                               \
            for (size_t c = 0; c < wide; c += KC512) {                                                         \
                __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,       \
                       a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;                       \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + 16);                  \
                    FMA2(u0, a00, a01);                                                                        \
                    FMA2(u1, a10, a11);                                                                        \
                    FMA2(u2, a20, a21);                                                                        \
                    FMA2(u3, a30, a31);                                                                        \
                    FMA2(u4, a40, a41);                                                                        \
                    FMA2(u5, a50, a51);                                                                        \
                }                                                                                              \
                float *w = out + j * ldw + c;                                                                  \
                const __m512 acc[2 * KA] = {a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51};      \
                for (int r = 0; r < KA; r++) {                                                                 \
                    _mm512_storeu_ps(w + r * ldw, acc[2 * r]);                                                 \
                    _mm512_storeu_ps(w + r * ldw + 16, acc[2 * r + 1]);                                        \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        for (; j < rows && wide; j++) {                                                                        \
            const UT *u = U + j * len;                                                                         \
            for (size_t c = 0; c < wide; c += KC512) {                                                         \
                __m512 a0 = _mm512_setzero_ps(), a1 = a0;                                                      \
                for (size_t k = 0; k < len; k++) {                                                             \
                    const VT x0 = LOADX(Xt + k * ldw + c), x1 = LOADX(Xt + k * ldw + c + 16);                  \
                    FMA2(u, a0, a1);                                                                           \
                }                                                                                              \
                _mm512_storeu_ps(out + j * ldw + c, a0);                                                       \
                _mm512_storeu_ps(out + j * ldw + c + 16, a1);                                                  \
            }                                                                                                  \
        }                                                                                                      \
        if (wide < ldw)                                                                                        \
            NARROW(U, rows, len, Xt, ldw, wide, out);                                                          \
    }

#define UT uint32_t
#define VT __m512bh
#define LOADX(p) ((__m512bh)_mm512_loadu_si512((const void *)(p)))
#define BCAST(p) ((__m512bh)_mm512_set1_epi32((int)*(p)))
#define MADD(a, u, x) _mm512_dpbf16_ps(a, u, x)
ROWS_KERNEL512(rows512_bf16, "avx2,fma,avx512f,avx512vl,avx512bf16", rows256_bf16)
#undef UT
#undef VT
#undef LOADX
#undef BCAST
#undef MADD

#define UT float
#define VT __m512
#define LOADX(p) _mm512_loadu_ps(p)
#define BCAST(p) _mm512_set1_ps(*(p))
#define MADD(a, u, x) _mm512_fmadd_ps(u, x, a)
ROWS_KERNEL512(rows512, "avx2,fma,avx512f", rows256)
#undef UT
#undef VT
#undef LOADX
#undef BCAST
#undef MADD
#undef ROWS_KERNEL512
#undef KC512
#undef FMA2
#undef KA
#undef KC

/* The kernels' width: 0 until first asked, then 256 or 512 (AVX-512F
 * where the CPU has it); ttt_kernel_set_width overrides it. */
static int kernel_width;

static int width(void)
{
    if (!kernel_width)
        kernel_width = __builtin_cpu_supports("avx512f") ? 512 : 256;
    return kernel_width;
}

int ttt_kernel_set_width(int bits)
{
    const int was = width();
    if (bits == 256 || (bits == 512 && __builtin_cpu_supports("avx512f")))
        kernel_width = bits;
    return was;
}

void ttt_kernel_rows(const float *U, size_t rows, size_t len, const float *Xt, size_t ldw, float *out)
{
    if (width() == 512)
        rows512(U, rows, len, Xt, ldw, out);
    else
        rows256(U, rows, len, Xt, ldw, 0, out);
}

void ttt_kernel_rows_bf16(const uint32_t *U2, size_t rows, size_t len2, const uint32_t *Xt2, size_t ldw, float *out)
{
    if (width() == 512)
        rows512_bf16(U2, rows, len2, Xt2, ldw, out);
    else
        rows256_bf16(U2, rows, len2, Xt2, ldw, 0, out);
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
