/* Counter-based random numbers for generated code: Philox-4x32-10
 * (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
 *
 * A stream is keyed by (model seed, stream id); its counter is
 * (draw index, element low, element high, timestep).  Every neuron, synapse
 * and step thus owns an independent stream, whatever the order of evaluation,
 * so the CPU and CUDA backends draw the same numbers.  GN_DEVICE is empty in C
 * and __device__ in CUDA.
 */
#ifndef GN_PHILOX_H
#define GN_PHILOX_H
#ifndef GN_DEVICE
#define GN_DEVICE static inline
/* the block and the draw always inlined, so that a loop over neurons computes them across SIMD lanes (left to its
   heuristics, GCC called them out of line in large translation units, which keeps such loops scalar) */
#define GN_BLOCK_INLINE __attribute__((always_inline))
#endif
#ifndef GN_BLOCK_INLINE
#define GN_BLOCK_INLINE
#endif

/* scalar fields (no arrays) so that, once inlined, the state lives in registers and loops vectorise */
typedef struct { uint32_t k0, k1, c0, c1, c2, c3, b0, b1, b2, b3, pos; } gn_rng;

GN_DEVICE GN_BLOCK_INLINE void gn_philox_block(gn_rng *s)
{
    uint32_t c0 = s->c0, c1 = s->c1, c2 = s->c2, c3 = s->c3;
    uint32_t k0 = s->k0, k1 = s->k1;
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        const uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    s->b0 = c0; s->b1 = c1; s->b2 = c2; s->b3 = c3;
}

GN_DEVICE void gn_rng_init(gn_rng *r, uint64_t seed, uint32_t stream, uint64_t element, uint64_t step)
{
    r->k0 = (uint32_t)seed ^ stream; r->k1 = (uint32_t)(seed >> 32);
    r->c0 = 0; r->c1 = (uint32_t)element; r->c2 = (uint32_t)(element >> 32);
    r->c3 = (uint32_t)step; r->pos = 4;
    r->b0 = r->b1 = r->b2 = r->b3 = 0;
}

/* the stream of gn_rng_init whose first block (counter 0) a vectorised pass computed ahead, into
   ahead[word][k]: the state gn_next_u32 leaves after computing that block itself, so the draws are the same */
#define GN_AHEAD_TILE 256u
GN_DEVICE void gn_rng_init_ahead(gn_rng *r, uint64_t seed, uint32_t stream, uint64_t element, uint64_t step,
                                 const uint32_t ahead[4][GN_AHEAD_TILE], uint32_t k)
{
    gn_rng_init(r, seed, stream, element, step);
    r->b0 = ahead[0][k]; r->b1 = ahead[1][k]; r->b2 = ahead[2][k]; r->b3 = ahead[3][k];
    r->c0 = 1; r->pos = 0;
}

#if defined(__AVX512F__) && !defined(__CUDACC__)
#include <immintrin.h>
/* 16 lanes' Philox products m * x: high and low 32-bit halves from the even and odd lanes' 64-bit products
   (vpmuludq; GCC vectorises the scalar block's 64-bit products with vpmullq, about twice as slow here) */
static inline void gn_mulhilo_x16(__m512i x, __m512i m, __m512i *hi, __m512i *lo)
{
    const __m512i even = _mm512_mul_epu32(x, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}
#endif

/* the first block (counter 0) of the streams of elements first .. first + count - 1 (count <= GN_AHEAD_TILE,
   elements below 2^32) at one step, into ahead[word][element - first]: the blocks gn_philox_block computes */
GN_DEVICE void gn_philox_first_blocks(uint64_t seed, uint32_t stream, uint64_t step, uint32_t first,
                                      uint32_t count, uint32_t ahead[4][GN_AHEAD_TILE])
{
    uint32_t k = 0;
#if defined(__AVX512F__) && !defined(__CUDACC__)
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; k + 16u <= count; k += 16u) {
        __m512i c0 = _mm512_setzero_si512(), c1 = _mm512_add_epi32(_mm512_set1_epi32((int)(first + k)), lanes);
        __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_set1_epi32((int)(uint32_t)step);
        uint32_t k0 = (uint32_t)seed ^ stream, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < 10; r++) {
            __m512i hi0, lo0, hi1, lo1;
            gn_mulhilo_x16(c0, m0, &hi0, &lo0);
            gn_mulhilo_x16(c2, m1, &hi1, &lo1);
            c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
            c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
            c1 = lo1; c3 = lo0;
            k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
        }
        _mm512_storeu_si512(&ahead[0][k], c0); _mm512_storeu_si512(&ahead[1][k], c1);
        _mm512_storeu_si512(&ahead[2][k], c2); _mm512_storeu_si512(&ahead[3][k], c3);
    }
#endif
    #pragma omp simd
    for (uint32_t j = k; j < count; j++) {
        gn_rng r; gn_rng_init(&r, seed, stream, first + j, step); gn_philox_block(&r);
        ahead[0][j] = r.b0; ahead[1][j] = r.b1; ahead[2][j] = r.b2; ahead[3][j] = r.b3;
    }
}

GN_DEVICE GN_BLOCK_INLINE uint32_t gn_next_u32(gn_rng *r)
{
    if (r->pos == 4) { gn_philox_block(r); r->c0++; r->pos = 0; }
    const uint32_t p = r->pos++;
    return p == 0 ? r->b0 : p == 1 ? r->b1 : p == 2 ? r->b2 : r->b3;
}

/* uniform on (0, 1] so that log() of it is finite */
GN_DEVICE float gn_uniform_f(gn_rng *r) { return (float)((gn_next_u32(r) >> 8) + 1u) * 5.9604644775390625e-08f; }
GN_DEVICE double gn_uniform_d(gn_rng *r)
{
    const uint64_t hi = gn_next_u32(r), lo = gn_next_u32(r);
    return (double)((((hi << 32) | lo) >> 11) + 1u) * 1.1102230246251565e-16;
}
GN_DEVICE float gn_normal_f(gn_rng *r)
{
    const float u1 = gn_uniform_f(r), u2 = gn_uniform_f(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.283185307179586f * u2);
}
GN_DEVICE double gn_normal_d(gn_rng *r)
{
    const double u1 = gn_uniform_d(r), u2 = gn_uniform_d(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
GN_DEVICE float gn_exponential_f(gn_rng *r) { return -logf(gn_uniform_f(r)); }
GN_DEVICE double gn_exponential_d(gn_rng *r) { return -log(gn_uniform_d(r)); }
GN_DEVICE float gn_log_normal_f(gn_rng *r, float mean, float sd) { return expf(mean + sd * gn_normal_f(r)); }
GN_DEVICE double gn_log_normal_d(gn_rng *r, double mean, double sd) { return exp(mean + sd * gn_normal_d(r)); }

/* Marsaglia & Tsang (2000); shape < 1 boosted with u^(1/a) */
GN_DEVICE double gn_gamma_d(gn_rng *r, double a)
{
    double boost = 1.0;
    if (a < 1.0) { boost = pow(gn_uniform_d(r), 1.0 / a); a += 1.0; }
    const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do { x = gn_normal_d(r); v = 1.0 + c * x; } while (v <= 0.0);
        v = v * v * v;
        const double u = gn_uniform_d(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * boost;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v * boost;
    }
}
GN_DEVICE float gn_gamma_f(gn_rng *r, float a) { return (float)gn_gamma_d(r, (double)a); }

/* binomial by inversion: from 0 for small n*p, else by an alternating search outwards from the
   mode (exact for any n; O(sqrt(npq)) steps, no underflow of q^n) */
GN_DEVICE uint32_t gn_binomial_d(gn_rng *r, uint32_t n, double p)
{
    if (p <= 0.0 || n == 0) return 0;
    if (p >= 1.0) return n;
    const int flip = p > 0.5;
    if (flip) p = 1.0 - p;
    const double q = 1.0 - p, s = p / q;
    double u = gn_uniform_d(r);
    uint32_t x;
    if ((double)n * p < 30.0) {
        const double a = (n + 1) * s;
        double prob = pow(q, (double)n);
        x = 0;
        while (u > prob && x < n) { u -= prob; x++; prob *= (a / x - s); }
    }
    else {
        uint32_t m = (uint32_t)floor((n + 1.0) * p);
        if (m > n) m = n;
        const double pm = exp(lgamma(n + 1.0) - lgamma(m + 1.0) - lgamma((double)(n - m) + 1.0)
                              + m * log(p) + (double)(n - m) * log(q));
        uint32_t lo = m, hi = m;
        double plo = pm, phi = pm;
        x = m;
        u -= pm;
        while (u > 0.0) {
            if (lo > 0) {
                plo *= (double)lo / (double)(n - lo + 1) / s;
                lo--;
                u -= plo;
                if (u <= 0.0) { x = lo; break; }
            }
            if (hi < n) {
                phi *= (double)(n - hi) / (double)(hi + 1) * s;
                hi++;
                u -= phi;
                if (u <= 0.0) { x = hi; break; }
            }
            if (lo == 0 && hi == n) break;  /* rounding left a sliver of probability: keep the mode */
        }
    }
    return flip ? n - x : x;
}

/* Poisson(lam).  Below lam = 10 by inversion of one 32-bit draw: the distribution function is summed over
   lam + 7 sqrt(lam) + 12 terms (the tail left out is below 1e-12), counting those the draw passes, with no branch
   and no loop exit that depends on the draw, so that a loop over neurons takes SIMD lanes (when lam is a constant
   the terms fold to constants).  From lam = 10 by Hoermann's transformed rejection with squeeze, PTRS ("The
   transformed rejection method for generating Poisson random variables", Insurance: Mathematics and Economics
   12, 1993). */
#if defined(__GNUC__) && !defined(__CUDACC__)
#define GN_UNROLL_POISSON _Pragma("GCC unroll 48")
#else
#define GN_UNROLL_POISSON
#endif
/* a count as the unsigned int gennrand_poisson returns: past 2^32 - 1 (lam beyond about 4e9) it saturates */
GN_DEVICE uint32_t gn_count_u32(double k) { return k < 4294967295.0 ? (uint32_t)k : 4294967295u; }
#ifdef __CUDACC__
static __device__ __noinline__ uint32_t gn_poisson_ptrs_d(gn_rng *r, double lam)
#else
__attribute__((noinline)) static uint32_t gn_poisson_ptrs_d(gn_rng *r, double lam)
#endif
{
    const double slam = sqrt(lam), loglam = log(lam);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4)), v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        const double u = gn_uniform_d(r) - 0.5, v = gn_uniform_d(r);
        const double us = 0.5 - fabs(u);
        if (us < 0.013 && v > us) continue;  /* also the edge us = 0 */
        const double k = floor((2.0 * a / us + b) * u + lam + 0.43);
        if (us >= 0.07 && v <= v_r) return gn_count_u32(k);
        if (k < 0.0) continue;
        if (log(v) + log_inv_alpha - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1.0))
            return gn_count_u32(k);
    }
}
GN_DEVICE GN_BLOCK_INLINE uint32_t gn_poisson_d(gn_rng *r, double lam)
{
    if (!(lam > 0.0)) return 0;
    if (lam >= 10.0) return gn_poisson_ptrs_d(r, lam);
    /* the draw x passes the distribution function F where x 2^-32 >= F, that is x >= ceil(F 2^32) (exact): for a
       constant lam these edges fold to integer constants, 16 SIMD lanes each */
    const uint32_t x = gn_next_u32(r);
    const uint32_t terms = (uint32_t)(lam + 7.0 * sqrt(lam)) + 12u;
    double p = exp(-lam), cdf = p;
    uint32_t k = 0;
    GN_UNROLL_POISSON
    for (uint32_t j = 1; j <= terms; j++) {
        const double edge = ceil(cdf * 4294967296.0);
        k += edge < 4294967296.0 && x >= (uint32_t)edge;
        p *= lam / (double)j;
        cdf += p;
    }
    return k;
}
#endif
