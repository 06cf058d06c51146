/*
 * philox_simd.c - the batched Philox4x32-10 of the vLLM token PRF and the
 * two passes of the exactly pruned dense Gumbel sampler built on it, in
 * portable C, AVX2 and AVX-512F.  Consecutive groups g, g+1, ... share the
 * key and the state words, so one vector lane runs one group's Philox
 * block: each 64-bit lane holds a 32-bit word in its low half, and
 * _mm256/_mm512_mul_epu32 give the full 32x32->64 products.  The x86
 * versions are compiled with target attributes and chosen per call with
 * __builtin_cpu_supports; every version returns the same bytes and bounds
 * as the scalar code (tests/test_philox_simd.c).  Rules: docs/interop.md,
 * section "vLLM"; speed: docs/schemes.md, "Performance rules".
 */
#include "schemes/interop.h"

#include <math.h>
#include <string.h>

#include "schemes/simd.h"

/* The relative margin of the score bounds (see hm_vllm_gumbel_sample_pruned). */
#define REL_MARGIN 1e-6f

int hm_simd_impl_available(int impl)
{
    switch (impl) {
    case HM_SIMD_IMPL_AUTO:
    case HM_SIMD_IMPL_SCALAR: return 1;
#ifdef HM_SIMD_X86
    case HM_SIMD_IMPL_AVX2: return __builtin_cpu_supports("avx2") ? 1 : 0;
    case HM_SIMD_IMPL_AVX512: return __builtin_cpu_supports("avx512f") ? 1 : 0;
#endif
    default: return 0;
    }
}

int hm_simd_resolve(int impl)
{
    if (impl == HM_SIMD_IMPL_AUTO) {
        if (hm_simd_impl_available(HM_SIMD_IMPL_AVX512)) return HM_SIMD_IMPL_AVX512;
        if (hm_simd_impl_available(HM_SIMD_IMPL_AVX2)) return HM_SIMD_IMPL_AVX2;
        return HM_SIMD_IMPL_SCALAR;
    }
    return hm_simd_impl_available(impl) ? impl : -1;
}

/* The four top bytes of one Philox output, in id order. */
static void top4(const uint32_t w[4], uint8_t *out)
{
    int j;
    for (j = 0; j < 4; j++) out[j] = (uint8_t)(w[j] >> 24);
}

/* ---------------------------------------------------------------- scalar */

static void top_bytes_scalar(uint64_t key, const uint32_t state[4], uint32_t g0, size_t n,
                             uint8_t *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t w[4];
        hm_vllm_words4(key, state, g0 + (uint32_t)i, 0, w);
        top4(w, out + 4 * i);
    }
}

/* Pass 1 over candidates [from, V), from a multiple of 4: the reference loop,
 * one Philox call per group with a live candidate. */
static void pass1_scalar(const float *logits, size_t from, size_t V, float inv_t, uint64_t key,
                         const uint32_t state[4], const hm_vllm_gumbel_bounds *b,
                         uint8_t *scratch, float *best_lo, int *pos_inf)
{
    size_t v;
    for (v = from; v < V; v += 4) {
        uint32_t w[4];
        size_t j;
        int live = 0;
        for (j = 0; j < 4 && v + j < V; j++)
            if (logits[v + j] * inv_t > -INFINITY) live = 1;
        if (!live) {
            for (j = 0; j < 4 && v + j < V; j++) scratch[v + j] = 0;
            continue;
        }
        hm_vllm_words4(key, state, (uint32_t)(v >> 2), 0, w);
        for (j = 0; j < 4 && v + j < V; j++) {
            float l = logits[v + j] * inv_t, lo;
            scratch[v + j] = (uint8_t)(w[j] >> 24);
            if (!(l > -INFINITY)) continue;
            if (l == INFINITY) *pos_inf = 1;
            lo = l + b->lo[scratch[v + j]] - fabsf(l) * REL_MARGIN;
            if (lo > *best_lo) *best_lo = lo;
        }
    }
}

/* 1 if candidate v survives pass 2 (the reference test, negated). */
static int survives(const float *logits, size_t v, float inv_t, const hm_vllm_gumbel_bounds *b,
                    const uint8_t *scratch, float best_lo)
{
    float l = logits[v] * inv_t;
    if (!(l > -INFINITY)) return 0;
    return !(l + b->hi[scratch[v]] + fabsf(l) * REL_MARGIN < best_lo);
}

static size_t pass2_scalar(const float *logits, size_t V, float inv_t,
                           const hm_vllm_gumbel_bounds *b, const uint8_t *scratch, float best_lo,
                           size_t *pos, uint32_t *ids, size_t n, size_t cap)
{
    size_t v = *pos;
    for (; v < V && n < cap; v++)
        if (survives(logits, v, inv_t, b, scratch, best_lo)) ids[n++] = (uint32_t)v;
    *pos = v;
    return n;
}

#ifdef HM_SIMD_X86
/* ------------------------------------------------------------------ AVX2 */

/* Philox4x32-10 on 4 groups per vector (two vectors: 8 consecutive groups
 * from c0a's); rk[r] = the round-r key words in 64-bit lanes.  Outputs:
 * the word j of each lane in the low half of o[j] (a) and o[4 + j] (b). */
HM_AVX2_FN static void philox_avx2(__m256i c0a, __m256i c0b, const __m256i s[3],
                                   const __m256i rk[20], __m256i o[8])
{
    const __m256i m0 = _mm256_set1_epi64x(HM_PHILOX_M0), m1 = _mm256_set1_epi64x(HM_PHILOX_M1);
    __m256i a0 = c0a, a1 = s[0], a2 = s[1], a3 = s[2];
    __m256i b0 = c0b, b1 = s[0], b2 = s[1], b3 = s[2];
    int r;
    for (r = 0; r < 10; r++) {
        __m256i pa0 = _mm256_mul_epu32(a0, m0), pa1 = _mm256_mul_epu32(a2, m1);
        __m256i pb0 = _mm256_mul_epu32(b0, m0), pb1 = _mm256_mul_epu32(b2, m1);
        /* high halves of the products are garbage in a1/a3 and only ever
         * reach high halves, which mul_epu32 and the outputs ignore */
        a0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa1, 32), a1), rk[2 * r]);
        a2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pa0, 32), a3), rk[2 * r + 1]);
        a1 = pa1;
        a3 = pa0;
        b0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb1, 32), b1), rk[2 * r]);
        b2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(pb0, 32), b3), rk[2 * r + 1]);
        b1 = pb1;
        b3 = pb0;
    }
    o[0] = a0;
    o[1] = a1;
    o[2] = a2;
    o[3] = a3;
    o[4] = b0;
    o[5] = b1;
    o[6] = b2;
    o[7] = b3;
}

/* The 4 top bytes of each lane's words as one 32-bit value (id order). */
HM_AVX2_FN static __m256i pack_avx2(const __m256i w[4])
{
    __m256i x = _mm256_srli_epi32(w[0], 24);
    x = _mm256_or_si256(x, _mm256_slli_epi32(_mm256_srli_epi32(w[1], 24), 8));
    x = _mm256_or_si256(x, _mm256_slli_epi32(_mm256_srli_epi32(w[2], 24), 16));
    return _mm256_or_si256(x, _mm256_slli_epi32(_mm256_srli_epi32(w[3], 24), 24));
}

/* The 32 top bytes of 8 consecutive groups, in id order. */
HM_AVX2_FN static __m256i groups8_avx2(uint32_t g, const __m256i s[3], const __m256i rk[20])
{
    const __m256i lanes = _mm256_set_epi64x(3, 2, 1, 0);
    __m256i o[8], pa, pb, lo;
    __m256i base = _mm256_set1_epi64x((long long)g);
    philox_avx2(_mm256_add_epi64(base, lanes),
                _mm256_add_epi64(base, _mm256_add_epi64(lanes, _mm256_set1_epi64x(4))), s, rk, o);
    pa = pack_avx2(o);
    pb = pack_avx2(o + 4);
    /* dwords 0,2,4,6 of pa then of pb */
    lo = _mm256_castps_si256(
        _mm256_shuffle_ps(_mm256_castsi256_ps(pa), _mm256_castsi256_ps(pb), 0x88));
    return _mm256_permute4x64_epi64(lo, 0xD8);
}

HM_AVX2_FN static void setup_avx2(uint64_t key, const uint32_t state[4], __m256i s[3],
                                  __m256i rk[20])
{
    uint32_t k[2];
    int r;
    hm_vllm_token_key(key, state, 0, k);
    s[0] = _mm256_set1_epi64x(state[0]);
    s[1] = _mm256_set1_epi64x(state[1]);
    s[2] = _mm256_set1_epi64x(state[2]);
    for (r = 0; r < 10; r++) {
        rk[2 * r] = _mm256_set1_epi64x((uint32_t)(k[0] + (uint32_t)r * HM_PHILOX_W0));
        rk[2 * r + 1] = _mm256_set1_epi64x((uint32_t)(k[1] + (uint32_t)r * HM_PHILOX_W1));
    }
}

HM_AVX2_FN static size_t top_bytes_avx2(uint64_t key, const uint32_t state[4], uint32_t g0,
                                        size_t n, uint8_t *out)
{
    __m256i s[3], rk[20];
    size_t i;
    setup_avx2(key, state, s, rk);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * i),
                            groups8_avx2(g0 + (uint32_t)i, s, rk));
    return i;
}

/* The running max of the lower bounds of 8 candidates. */
HM_AVX2_FN static __m256 bound8_avx2(const float *logits, const uint8_t *bytes, __m256 inv,
                                     const float *table, __m256 best, int *pos_inf)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY), pinf = _mm256_set1_ps(INFINITY);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 l = _mm256_mul_ps(_mm256_loadu_ps(logits), inv);
    __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)bytes));
    __m256 t = _mm256_add_ps(l, _mm256_i32gather_ps(table, idx, 4));
    __m256 live = _mm256_cmp_ps(l, ninf, _CMP_GT_OQ);
    t = _mm256_sub_ps(t, _mm256_mul_ps(_mm256_and_ps(l, absmask), _mm256_set1_ps(REL_MARGIN)));
    if (_mm256_movemask_ps(_mm256_cmp_ps(l, pinf, _CMP_EQ_OQ))) *pos_inf = 1;
    /* max_ps returns its second operand when the first is NaN */
    return _mm256_max_ps(_mm256_blendv_ps(ninf, t, live), best);
}

HM_AVX2_FN static size_t pass1_avx2(const float *logits, size_t V, float inv_t, uint64_t key,
                                    const uint32_t state[4], const hm_vllm_gumbel_bounds *b,
                                    uint8_t *scratch, float *best_lo, int *pos_inf)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY), inv = _mm256_set1_ps(inv_t);
    __m256i s[3], rk[20];
    __m256 best = ninf;
    float lanes[8];
    size_t v;
    int j;
    setup_avx2(key, state, s, rk);
    for (v = 0; v + 32 <= V; v += 32) {
        int any = 0;
        for (j = 0; j < 4; j++) {
            __m256 l = _mm256_mul_ps(_mm256_loadu_ps(logits + v + 8 * (size_t)j), inv);
            any |= _mm256_movemask_ps(_mm256_cmp_ps(l, ninf, _CMP_GT_OQ));
        }
        if (!any) { /* 8 masked groups: no Philox */
            memset(scratch + v, 0, 32);
            continue;
        }
        _mm256_storeu_si256((__m256i *)(void *)(scratch + v),
                            groups8_avx2((uint32_t)(v >> 2), s, rk));
        for (j = 0; j < 4; j++)
            best = bound8_avx2(logits + v + 8 * (size_t)j, scratch + v + 8 * (size_t)j, inv, b->lo,
                               best, pos_inf);
    }
    _mm256_storeu_ps(lanes, best);
    for (j = 0; j < 8; j++)
        if (lanes[j] > *best_lo) *best_lo = lanes[j];
    return v;
}

HM_AVX2_FN static size_t pass2_avx2(const float *logits, size_t V, float inv_t,
                                    const hm_vllm_gumbel_bounds *b, const uint8_t *scratch,
                                    float best_lo, size_t *pos, uint32_t *ids, size_t cap)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY), inv = _mm256_set1_ps(inv_t);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 margin = _mm256_set1_ps(REL_MARGIN), thr = _mm256_set1_ps(best_lo);
    size_t v = *pos, n = 0;
    for (; v + 8 <= V && n + 8 <= cap; v += 8) {
        __m256 l = _mm256_mul_ps(_mm256_loadu_ps(logits + v), inv);
        __m256i idx =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(scratch + v)));
        __m256 u = _mm256_add_ps(l, _mm256_i32gather_ps(b->hi, idx, 4));
        unsigned m;
        u = _mm256_add_ps(u, _mm256_mul_ps(_mm256_and_ps(l, absmask), margin));
        m = (unsigned)_mm256_movemask_ps(_mm256_and_ps(_mm256_cmp_ps(l, ninf, _CMP_GT_OQ),
                                                       _mm256_cmp_ps(u, thr, _CMP_NLT_UQ)));
        while (m) {
            ids[n++] = (uint32_t)(v + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    *pos = v;
    return n;
}

/* --------------------------------------------------------------- AVX-512 */

/* Philox4x32-10 on 16 consecutive groups from g (two vectors of 8); the
 * 64 top bytes in id order go to out. */
HM_AVX512_FN static void groups16_avx512(uint32_t g, const __m512i s[3], const __m512i rk[20],
                                         uint8_t *out)
{
    const __m512i m0 = _mm512_set1_epi64(HM_PHILOX_M0), m1 = _mm512_set1_epi64(HM_PHILOX_M1);
    const __m512i lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i base = _mm512_set1_epi64((long long)g);
    const __m512i ff00 = _mm512_set1_epi32(0xFF00), ff0000 = _mm512_set1_epi32(0xFF0000);
    const __m512i ff000000 = _mm512_set1_epi32((int)0xFF000000u);
    __m512i a0 = _mm512_add_epi64(base, lanes), a1 = s[0], a2 = s[1], a3 = s[2];
    __m512i b0 = _mm512_add_epi64(a0, _mm512_set1_epi64(8)), b1 = s[0], b2 = s[1], b3 = s[2];
    __m512i xa, xb;
    int r;
    for (r = 0; r < 10; r++) {
        __m512i pa0 = _mm512_mul_epu32(a0, m0), pa1 = _mm512_mul_epu32(a2, m1);
        __m512i pb0 = _mm512_mul_epu32(b0, m0), pb1 = _mm512_mul_epu32(b2, m1);
        /* 0x96: three-way xor; high halves as in philox_avx2 */
        a0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa1, 32), a1, rk[2 * r], 0x96);
        a2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa0, 32), a3, rk[2 * r + 1], 0x96);
        a1 = pa1;
        a3 = pa0;
        b0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb1, 32), b1, rk[2 * r], 0x96);
        b2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb0, 32), b3, rk[2 * r + 1], 0x96);
        b1 = pb1;
        b3 = pb0;
    }
    /* 0xF8: x | (y & mask) */
    xa = _mm512_ternarylogic_epi32(_mm512_srli_epi32(a0, 24), _mm512_srli_epi32(a1, 16), ff00, 0xF8);
    xa = _mm512_ternarylogic_epi32(xa, _mm512_srli_epi32(a2, 8), ff0000, 0xF8);
    xa = _mm512_ternarylogic_epi32(xa, a3, ff000000, 0xF8);
    xb = _mm512_ternarylogic_epi32(_mm512_srli_epi32(b0, 24), _mm512_srli_epi32(b1, 16), ff00, 0xF8);
    xb = _mm512_ternarylogic_epi32(xb, _mm512_srli_epi32(b2, 8), ff0000, 0xF8);
    xb = _mm512_ternarylogic_epi32(xb, b3, ff000000, 0xF8);
    _mm256_storeu_si256((__m256i *)(void *)out, _mm512_cvtepi64_epi32(xa));
    _mm256_storeu_si256((__m256i *)(void *)(out + 32), _mm512_cvtepi64_epi32(xb));
}

HM_AVX512_FN static void setup_avx512(uint64_t key, const uint32_t state[4], __m512i s[3],
                                      __m512i rk[20])
{
    uint32_t k[2];
    int r;
    hm_vllm_token_key(key, state, 0, k);
    s[0] = _mm512_set1_epi64(state[0]);
    s[1] = _mm512_set1_epi64(state[1]);
    s[2] = _mm512_set1_epi64(state[2]);
    for (r = 0; r < 10; r++) {
        rk[2 * r] = _mm512_set1_epi64((uint32_t)(k[0] + (uint32_t)r * HM_PHILOX_W0));
        rk[2 * r + 1] = _mm512_set1_epi64((uint32_t)(k[1] + (uint32_t)r * HM_PHILOX_W1));
    }
}

HM_AVX512_FN static size_t top_bytes_avx512(uint64_t key, const uint32_t state[4], uint32_t g0,
                                            size_t n, uint8_t *out)
{
    __m512i s[3], rk[20];
    size_t i;
    setup_avx512(key, state, s, rk);
    for (i = 0; i + 16 <= n; i += 16) groups16_avx512(g0 + (uint32_t)i, s, rk, out + 4 * i);
    return i;
}

HM_AVX512_FN static size_t pass1_avx512(const float *logits, size_t V, float inv_t, uint64_t key,
                                        const uint32_t state[4], const hm_vllm_gumbel_bounds *b,
                                        uint8_t *scratch, float *best_lo, int *pos_inf)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY), pinf = _mm512_set1_ps(INFINITY);
    const __m512 inv = _mm512_set1_ps(inv_t), margin = _mm512_set1_ps(REL_MARGIN);
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i s[3], rk[20];
    __m512 best = ninf, l[4];
    __mmask16 live[4], inf = 0;
    size_t v;
    int j;
    setup_avx512(key, state, s, rk);
    for (v = 0; v + 64 <= V; v += 64) {
        for (j = 0; j < 4; j++) {
            l[j] = _mm512_mul_ps(_mm512_loadu_ps(logits + v + 16 * (size_t)j), inv);
            live[j] = _mm512_cmp_ps_mask(l[j], ninf, _CMP_GT_OQ);
        }
        if (!(live[0] | live[1] | live[2] | live[3])) { /* 16 masked groups: no Philox */
            memset(scratch + v, 0, 64);
            continue;
        }
        groups16_avx512((uint32_t)(v >> 2), s, rk, scratch + v);
        for (j = 0; j < 4; j++) {
            __m512i idx = _mm512_cvtepu8_epi32(
                _mm_loadu_si128((const __m128i *)(const void *)(scratch + v + 16 * (size_t)j)));
            __m512 t = _mm512_add_ps(l[j], _mm512_i32gather_ps(idx, b->lo, 4));
            __m512 al = _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(l[j]), absmask));
            t = _mm512_sub_ps(t, _mm512_mul_ps(al, margin));
            inf |= _mm512_cmp_ps_mask(l[j], pinf, _CMP_EQ_OQ);
            /* max_ps returns its second operand when the first is NaN */
            best = _mm512_mask_max_ps(best, live[j], t, best);
        }
    }
    if (inf) *pos_inf = 1;
    {
        float m = _mm512_reduce_max_ps(best);
        if (m > *best_lo) *best_lo = m;
    }
    return v;
}

HM_AVX512_FN static size_t pass2_avx512(const float *logits, size_t V, float inv_t,
                                        const hm_vllm_gumbel_bounds *b, const uint8_t *scratch,
                                        float best_lo, size_t *pos, uint32_t *ids, size_t cap)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY), inv = _mm512_set1_ps(inv_t);
    const __m512 margin = _mm512_set1_ps(REL_MARGIN), thr = _mm512_set1_ps(best_lo);
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    size_t v = *pos, n = 0;
    for (; v + 16 <= V && n + 16 <= cap; v += 16) {
        __m512 l = _mm512_mul_ps(_mm512_loadu_ps(logits + v), inv);
        __m512i idx = _mm512_cvtepu8_epi32(
            _mm_loadu_si128((const __m128i *)(const void *)(scratch + v)));
        __m512 u = _mm512_add_ps(l, _mm512_i32gather_ps(idx, b->hi, 4));
        __m512 al = _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(l), absmask));
        unsigned m;
        u = _mm512_add_ps(u, _mm512_mul_ps(al, margin));
        m = (unsigned)_mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(l, ninf, _CMP_GT_OQ), u, thr,
                                              _CMP_NLT_UQ);
        while (m) {
            ids[n++] = (uint32_t)(v + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    *pos = v;
    return n;
}
#endif /* HM_SIMD_X86 */

/* ------------------------------------------------------------- dispatch */

int hm_vllm_top_bytes(int impl, uint64_t key, const uint32_t state[4], uint32_t g0, size_t n,
                      uint8_t *out)
{
    size_t done = 0;
    if (!state || (n && !out)) return HM_E_MISUSE;
    impl = hm_simd_resolve(impl);
    if (impl < 0) return HM_E_UNSUPPORTED;
#ifdef HM_SIMD_X86
    if (impl == HM_SIMD_IMPL_AVX512) done = top_bytes_avx512(key, state, g0, n, out);
    if (impl == HM_SIMD_IMPL_AVX2) done = top_bytes_avx2(key, state, g0, n, out);
#endif
    top_bytes_scalar(key, state, g0 + (uint32_t)done, n - done, out + 4 * done);
    return HM_OK;
}

int hm_vllm_gumbel_pass1(int impl, const float *logits, size_t V, float inv_t, uint64_t key,
                         const uint32_t state[4], const hm_vllm_gumbel_bounds *b,
                         uint8_t *scratch, float *best_lo, int *pos_inf)
{
    size_t done = 0;
    if (!logits || !state || !b || !scratch || !best_lo || !pos_inf) return HM_E_MISUSE;
    impl = hm_simd_resolve(impl);
    if (impl < 0) return HM_E_UNSUPPORTED;
    *best_lo = -INFINITY;
    *pos_inf = 0;
#ifdef HM_SIMD_X86
    if (impl == HM_SIMD_IMPL_AVX512)
        done = pass1_avx512(logits, V, inv_t, key, state, b, scratch, best_lo, pos_inf);
    if (impl == HM_SIMD_IMPL_AVX2)
        done = pass1_avx2(logits, V, inv_t, key, state, b, scratch, best_lo, pos_inf);
#endif
    pass1_scalar(logits, done, V, inv_t, key, state, b, scratch, best_lo, pos_inf);
    return HM_OK;
}

size_t hm_vllm_gumbel_pass2(int impl, const float *logits, size_t V, float inv_t,
                            const hm_vllm_gumbel_bounds *b, const uint8_t *scratch,
                            float best_lo, size_t *pos, uint32_t *ids, size_t cap)
{
    size_t n = 0, width = SIZE_MAX;
    if (!logits || !b || !scratch || !pos || !ids || *pos > V) return 0;
    impl = cap < 16 ? HM_SIMD_IMPL_SCALAR : hm_simd_resolve(impl); /* progress */
#ifdef HM_SIMD_X86
    if (impl == HM_SIMD_IMPL_AVX512) {
        n = pass2_avx512(logits, V, inv_t, b, scratch, best_lo, pos, ids, cap);
        width = 16;
    }
    if (impl == HM_SIMD_IMPL_AVX2) {
        n = pass2_avx2(logits, V, inv_t, b, scratch, best_lo, pos, ids, cap);
        width = 8;
    }
#endif
    /* the scalar loop, or the tail once the vector loop has reached it */
    if (V - *pos < width)
        n = pass2_scalar(logits, V, inv_t, b, scratch, best_lo, pos, ids, n, cap);
    return n;
}
