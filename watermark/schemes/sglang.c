/*
 * sglang.c - bit-exact SGLang Aaronson-Gumbel watermark primitives:
 * MurmurHash3_x86_32 over 32-bit words, context and token hashes, the
 * dual-key coin, the fp32 sampling rule, the marked-context skip set and
 * the detector (exact-tuple dedup, max_contexts prefix cap).
 * Pure functions over caller arrays; no allocation.
 * Rules and sources: docs/interop.md, section "SGLang".
 */
#include "schemes/interop.h"

#include <math.h>
#include <string.h>

#include "schemes/simd.h"

#define MM_C1 0xcc9e2d51u
#define MM_C2 0x1b873593u

static uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32u - r));
}

static uint32_t mm_mix(uint32_t h, uint32_t k)
{
    k *= MM_C1;
    k = rotl32(k, 15);
    k *= MM_C2;
    h ^= k;
    h = rotl32(h, 13);
    return h * 5u + 0xe6546b64u;
}

static uint32_t mm_final(uint32_t h, size_t nwords)
{
    h ^= (uint32_t)(4u * nwords);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

uint32_t hm_sglang_murmur3_words(const uint32_t *words, size_t n)
{
    uint32_t h = 0;
    size_t i;
    for (i = 0; i < n; i++) h = mm_mix(h, words[i]);
    return mm_final(h, n);
}

uint32_t hm_sglang_context_hash(const uint32_t *ctx, size_t L)
{
    return hm_sglang_murmur3_words(ctx, L);
}

uint32_t hm_sglang_token_hash(uint64_t key, uint32_t ctx_hash, uint32_t token)
{
    uint32_t w[4];
    w[0] = (uint32_t)key;
    w[1] = (uint32_t)(key >> 32);
    w[2] = ctx_hash;
    w[3] = token;
    return hm_sglang_murmur3_words(w, 4);
}

uint32_t hm_sglang_coin(uint64_t key_a, uint64_t key_b, uint32_t ctx_hash)
{
    uint32_t w[5];
    w[0] = (uint32_t)key_a;
    w[1] = (uint32_t)(key_a >> 32);
    w[2] = (uint32_t)key_b;
    w[3] = (uint32_t)(key_b >> 32);
    w[4] = ctx_hash;
    return hm_sglang_murmur3_words(w, 5);
}

int hm_sglang_mixing_threshold(double p, uint32_t *threshold)
{
    if (!threshold) return HM_E_MISUSE;
    if (!(p > 0.0 && p < 1.0)) return HM_E_RANGE;
    *threshold = (uint32_t)(p * 4294967296.0); /* int(): truncation */
    return HM_OK;
}

uint64_t hm_sglang_key_for(uint64_t key_a, int has_b, uint64_t key_b,
                           uint32_t threshold, uint32_t ctx_hash)
{
    if (!has_b) return key_a;
    return hm_sglang_coin(key_a, key_b, ctx_hash) < threshold ? key_a : key_b;
}

double hm_sglang_uniform(uint32_t h)
{
    return ((double)h + 0.5) / 4294967296.0;
}

float hm_sglang_log_uniform_f32(uint32_t h)
{
    if (h < 0x80000000u) {
        float x = (float)h;
        x = x + 0.5f;
        x = x / 4294967296.0f;
        return logf(x);
    } else {
        float c = (float)(0xFFFFFFFFu - h);
        c = c + 0.5f;
        c = -c / 4294967296.0f;
        return log1pf(c);
    }
}

int hm_sglang_parse_key(const char *s, uint64_t *key)
{
    uint64_t v = 0;
    size_t i, digits = 0;

    if (!s || !key) return HM_E_MISUSE;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return HM_E_FORMAT;
        if (++digits > 16) return HM_E_RANGE;
        v = (v << 4) | d;
    }
    if (digits == 0) return HM_E_FORMAT;
    *key = v;
    return HM_OK;
}

double hm_sglang_token_score(uint64_t key, uint32_t ctx_hash, uint32_t token)
{
    return -log1p(-hm_sglang_uniform(hm_sglang_token_hash(key, ctx_hash, token)));
}

/* fp32 score ln(u)/p of one candidate; -inf when p <= 0 (or NaN). */
static float select_score(float p, uint64_t key, uint32_t ctx_hash, uint32_t id)
{
    float s;
    if (!(p > 0.0f)) return -INFINITY;
    s = hm_sglang_log_uniform_f32(hm_sglang_token_hash(key, ctx_hash, id)) / p;
    if (isnan(s)) s = -INFINITY;
    return s;
}

int hm_sglang_sample(const float *probs, size_t V, uint64_t key,
                     uint32_t ctx_hash, int64_t *token)
{
    size_t v, best_id = 0;
    float best = -INFINITY;

    if (!probs || !token || V == 0 || (uint64_t)V > (uint64_t)UINT32_MAX + 1u) return HM_E_MISUSE;
    for (v = 0; v < V; v++) {
        float s = select_score(probs[v], key, ctx_hash, (uint32_t)v);
        if (s > best) {
            best = s;
            best_id = v;
        }
    }
    *token = (int64_t)best_id;
    return best > -INFINITY ? HM_OK : HM_E_RANGE;
}

/* ----------------------------------------------------------------------
 * Exactly pruned dense sampling.  Division by p > 0 is correctly rounded,
 * hence monotone: lo <= ln u <= hi gives lo/p <= ln(u)/p <= hi/p in fp32.
 * The token hash of id t is the Murmur state after the 3 words
 * (key_lo, key_hi, ctx_hash), mixed with t and finalised, so the batched
 * versions share that state and hash one id per 32-bit lane.
 * ---------------------------------------------------------------------- */

void hm_sglang_bounds_init(hm_sglang_bounds *b)
{
    unsigned i;
    for (i = 0; i < 256; i++) {
        uint32_t lo = (uint32_t)i << 24, hi = lo | 0x00FFFFFFu; /* hashes with H >> 24 == i */
        float a = hm_sglang_log_uniform_f32(lo), c = hm_sglang_log_uniform_f32(hi);
        /* padded far beyond any libm rounding (ln u < 0) */
        b->lo[i] = a - fabsf(a) * 1e-5f;
        b->hi[i] = c + fabsf(c) * 1e-5f;
    }
}

static uint32_t hash_state3(uint64_t key, uint32_t ctx_hash)
{
    return mm_mix(mm_mix(mm_mix(0, (uint32_t)key), (uint32_t)(key >> 32)), ctx_hash);
}

static void pass1_scalar(const float *probs, size_t from, size_t V, uint32_t h3,
                         const hm_sglang_bounds *b, uint8_t *scratch, float *best_lo)
{
    size_t v;
    for (v = from; v < V; v++) {
        uint8_t top = (uint8_t)(mm_final(mm_mix(h3, (uint32_t)v), 4) >> 24);
        float p = probs[v], lo;
        scratch[v] = top;
        if (!(p > 0.0f)) continue;
        lo = b->lo[top] / p;
        if (lo > *best_lo) *best_lo = lo;
    }
}

static size_t pass2_scalar(const float *probs, size_t V, const hm_sglang_bounds *b,
                           const uint8_t *scratch, float best_lo, size_t *pos, uint32_t *ids,
                           size_t n, size_t cap)
{
    size_t v = *pos;
    for (; v < V && n < cap; v++) {
        float p = probs[v];
        if (p > 0.0f && !(b->hi[scratch[v]] / p < best_lo)) ids[n++] = (uint32_t)v;
    }
    *pos = v;
    return n;
}

#ifdef HM_SIMD_X86
#define MM_F1 0x85ebca6bu
#define MM_F2 0xc2b2ae35u

HM_AVX2_FN static __m256i rotl_avx2(__m256i x, int r)
{
    return _mm256_or_si256(_mm256_slli_epi32(x, r), _mm256_srli_epi32(x, 32 - r));
}

/* Token hashes of the ids in t (8 lanes) from the 3-word state h3. */
HM_AVX2_FN static __m256i hash8_avx2(__m256i t, __m256i h3)
{
    __m256i k = _mm256_mullo_epi32(t, _mm256_set1_epi32((int)MM_C1)), h;
    k = _mm256_mullo_epi32(rotl_avx2(k, 15), _mm256_set1_epi32((int)MM_C2));
    h = rotl_avx2(_mm256_xor_si256(h3, k), 13);
    h = _mm256_add_epi32(_mm256_mullo_epi32(h, _mm256_set1_epi32(5)),
                         _mm256_set1_epi32((int)0xe6546b64u));
    h = _mm256_xor_si256(h, _mm256_set1_epi32(16)); /* 4 words */
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)MM_F1));
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)MM_F2));
    return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

HM_AVX2_FN static size_t pass1_avx2(const float *probs, size_t V, uint32_t h3u,
                                    const hm_sglang_bounds *b, uint8_t *scratch, float *best_lo)
{
    const __m256i h3 = _mm256_set1_epi32((int)h3u), lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    /* byte 3 of each dword to the low 4 bytes of its 128-bit half */
    const __m256i pick = _mm256_set_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 15, 11, 7,
                                         3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 15,
                                         11, 7, 3);
    const __m256i join = _mm256_set_epi32(7, 6, 5, 3, 2, 1, 4, 0);
    const __m256 zero = _mm256_setzero_ps();
    __m256 best = _mm256_set1_ps(-INFINITY);
    float lanes_out[8];
    size_t v;
    int j;
    for (v = 0; v + 8 <= V; v += 8) {
        __m256i h = hash8_avx2(_mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)v), lanes), h3);
        __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(h, pick), join);
        __m256 p = _mm256_loadu_ps(probs + v);
        __m256 lo = _mm256_div_ps(_mm256_i32gather_ps(b->lo, _mm256_srli_epi32(h, 24), 4), p);
        __m256 live = _mm256_cmp_ps(p, zero, _CMP_GT_OQ);
        _mm_storel_epi64((__m128i *)(void *)(scratch + v), _mm256_castsi256_si128(bytes));
        best = _mm256_max_ps(_mm256_blendv_ps(_mm256_set1_ps(-INFINITY), lo, live), best);
    }
    _mm256_storeu_ps(lanes_out, best);
    for (j = 0; j < 8; j++)
        if (lanes_out[j] > *best_lo) *best_lo = lanes_out[j];
    return v;
}

HM_AVX2_FN static size_t pass2_avx2(const float *probs, size_t V, const hm_sglang_bounds *b,
                                    const uint8_t *scratch, float best_lo, size_t *pos,
                                    uint32_t *ids, size_t cap)
{
    const __m256 zero = _mm256_setzero_ps(), thr = _mm256_set1_ps(best_lo);
    size_t v = *pos, n = 0;
    for (; v + 8 <= V && n + 8 <= cap; v += 8) {
        __m256 p = _mm256_loadu_ps(probs + v);
        __m256i idx =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(scratch + v)));
        __m256 u = _mm256_div_ps(_mm256_i32gather_ps(b->hi, idx, 4), p);
        unsigned m = (unsigned)_mm256_movemask_ps(
            _mm256_and_ps(_mm256_cmp_ps(p, zero, _CMP_GT_OQ), _mm256_cmp_ps(u, thr, _CMP_NLT_UQ)));
        while (m) {
            ids[n++] = (uint32_t)(v + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    *pos = v;
    return n;
}

/* Token hashes of the ids in t (16 lanes) from the 3-word state h3. */
HM_AVX512_FN static __m512i hash16_avx512(__m512i t, __m512i h3)
{
    __m512i k = _mm512_mullo_epi32(t, _mm512_set1_epi32((int)MM_C1)), h;
    k = _mm512_mullo_epi32(_mm512_rol_epi32(k, 15), _mm512_set1_epi32((int)MM_C2));
    h = _mm512_rol_epi32(_mm512_xor_si512(h3, k), 13);
    h = _mm512_add_epi32(_mm512_mullo_epi32(h, _mm512_set1_epi32(5)),
                         _mm512_set1_epi32((int)0xe6546b64u));
    h = _mm512_xor_si512(h, _mm512_set1_epi32(16)); /* 4 words */
    h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
    h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)MM_F1));
    h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
    h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)MM_F2));
    return _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
}

HM_AVX512_FN static size_t pass1_avx512(const float *probs, size_t V, uint32_t h3u,
                                        const hm_sglang_bounds *b, uint8_t *scratch,
                                        float *best_lo)
{
    const __m512i h3 = _mm512_set1_epi32((int)h3u);
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 zero = _mm512_setzero_ps();
    __m512 best = _mm512_set1_ps(-INFINITY);
    size_t v;
    for (v = 0; v + 16 <= V; v += 16) {
        __m512i h = hash16_avx512(_mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)v), lanes), h3);
        __m512i top = _mm512_srli_epi32(h, 24);
        __m512 p = _mm512_loadu_ps(probs + v);
        __m512 lo = _mm512_div_ps(_mm512_i32gather_ps(top, b->lo, 4), p);
        _mm_storeu_si128((__m128i *)(void *)(scratch + v), _mm512_cvtepi32_epi8(top));
        best = _mm512_mask_max_ps(best, _mm512_cmp_ps_mask(p, zero, _CMP_GT_OQ), lo, best);
    }
    {
        float m = _mm512_reduce_max_ps(best);
        if (m > *best_lo) *best_lo = m;
    }
    return v;
}

HM_AVX512_FN static size_t pass2_avx512(const float *probs, size_t V, const hm_sglang_bounds *b,
                                        const uint8_t *scratch, float best_lo, size_t *pos,
                                        uint32_t *ids, size_t cap)
{
    const __m512 zero = _mm512_setzero_ps(), thr = _mm512_set1_ps(best_lo);
    size_t v = *pos, n = 0;
    for (; v + 16 <= V && n + 16 <= cap; v += 16) {
        __m512 p = _mm512_loadu_ps(probs + v);
        __m512i idx = _mm512_cvtepu8_epi32(
            _mm_loadu_si128((const __m128i *)(const void *)(scratch + v)));
        __m512 u = _mm512_div_ps(_mm512_i32gather_ps(idx, b->hi, 4), p);
        unsigned m = (unsigned)_mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(p, zero, _CMP_GT_OQ),
                                                       u, thr, _CMP_NLT_UQ);
        while (m) {
            ids[n++] = (uint32_t)(v + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    *pos = v;
    return n;
}
#endif /* HM_SIMD_X86 */

int hm_sglang_pass1(int impl, const float *probs, size_t V, uint64_t key, uint32_t ctx_hash,
                    const hm_sglang_bounds *b, uint8_t *scratch, float *best_lo)
{
    uint32_t h3 = hash_state3(key, ctx_hash);
    size_t done = 0;
    if (!probs || !b || !scratch || !best_lo || (uint64_t)V > (uint64_t)UINT32_MAX + 1u) return HM_E_MISUSE;
    impl = hm_simd_resolve(impl);
    if (impl < 0) return HM_E_UNSUPPORTED;
    *best_lo = -INFINITY;
#ifdef HM_SIMD_X86
    if (impl == HM_SIMD_IMPL_AVX512) done = pass1_avx512(probs, V, h3, b, scratch, best_lo);
    if (impl == HM_SIMD_IMPL_AVX2) done = pass1_avx2(probs, V, h3, b, scratch, best_lo);
#endif
    pass1_scalar(probs, done, V, h3, b, scratch, best_lo);
    return HM_OK;
}

size_t hm_sglang_pass2(int impl, const float *probs, size_t V, const hm_sglang_bounds *b,
                       const uint8_t *scratch, float best_lo, size_t *pos, uint32_t *ids,
                       size_t cap)
{
    size_t n = 0, width = SIZE_MAX;
    if (!probs || !b || !scratch || !pos || !ids || *pos > V) return 0;
    impl = cap < 16 ? HM_SIMD_IMPL_SCALAR : hm_simd_resolve(impl); /* progress */
#ifdef HM_SIMD_X86
    if (impl == HM_SIMD_IMPL_AVX512) {
        n = pass2_avx512(probs, V, b, scratch, best_lo, pos, ids, cap);
        width = 16;
    }
    if (impl == HM_SIMD_IMPL_AVX2) {
        n = pass2_avx2(probs, V, b, scratch, best_lo, pos, ids, cap);
        width = 8;
    }
#endif
    /* the scalar loop, or the tail once the vector loop has reached it */
    if (V - *pos < width) n = pass2_scalar(probs, V, b, scratch, best_lo, pos, ids, n, cap);
    return n;
}

int hm_sglang_sample_pruned(const float *probs, size_t V, uint64_t key, uint32_t ctx_hash,
                            const hm_sglang_bounds *b, uint8_t *scratch, int64_t *token)
{
    uint32_t ids[256];
    size_t pos = 0, best_id = 0;
    float best_lo, best = -INFINITY;
    int rc;

    if (!probs || !b || !scratch || !token || V == 0 || (uint64_t)V > (uint64_t)UINT32_MAX + 1u)
        return HM_E_MISUSE;
    rc = hm_sglang_pass1(HM_SIMD_IMPL_AUTO, probs, V, key, ctx_hash, b, scratch, &best_lo);
    if (rc != HM_OK) return rc;
    /* no finite lower bound (no p > 0, or overflow): the full loop decides */
    if (best_lo == -INFINITY) return hm_sglang_sample(probs, V, key, ctx_hash, token);
    while (pos < V) {
        size_t n = hm_sglang_pass2(HM_SIMD_IMPL_AUTO, probs, V, b, scratch, best_lo, &pos, ids,
                                   sizeof ids / sizeof ids[0]), i;
        for (i = 0; i < n; i++) { /* id order: ties keep the lowest id */
            float s = select_score(probs[ids[i]], key, ctx_hash, ids[i]);
            if (s > best) {
                best = s;
                best_id = ids[i];
            }
        }
    }
    *token = (int64_t)best_id;
    return best > -INFINITY ? HM_OK : HM_E_RANGE;
}

int hm_sglang_sample_sparse(const uint32_t *ids, const float *probs, size_t n,
                            uint64_t key, uint32_t ctx_hash, int64_t *token)
{
    size_t i;
    float best = -INFINITY;
    int64_t best_id = -1;

    if (!ids || !probs || !token || n == 0) return HM_E_MISUSE;
    for (i = 0; i < n; i++) {
        float s = select_score(probs[i], key, ctx_hash, ids[i]);
        if (s > -INFINITY &&
            (best_id < 0 || s > best || (s == best && (int64_t)ids[i] < best_id))) {
            best = s;
            best_id = ids[i];
        }
    }
    if (best_id < 0) {
        *token = -1;
        return HM_E_RANGE;
    }
    *token = best_id;
    return HM_OK;
}

void hm_sglang_generation_context(const uint32_t *prompt, size_t n_prompt,
                                  const uint32_t *generated,
                                  size_t n_generated, size_t h, uint32_t *ctx,
                                  size_t *L)
{
    size_t total = n_prompt + n_generated;
    size_t len = total < h ? total : h;
    size_t k;
    for (k = 0; k < len; k++) {
        size_t j = total - len + k;
        ctx[k] = j < n_prompt ? prompt[j] : generated[j - n_prompt];
    }
    *L = len;
}

int hm_sglang_marked_init(hm_sglang_marked *m, size_t cap)
{
    if (!m) return HM_E_MISUSE;
    if (cap == 0 || cap > HM_SGLANG_MAX_MARKED) return HM_E_RANGE;
    memset(m->used, 0, sizeof m->used);
    m->count = 0;
    m->cap = cap;
    return HM_OK;
}

int hm_sglang_mark_position(hm_sglang_marked *m, size_t L, uint32_t ctx_hash,
                            long top_k, int *marked)
{
    const size_t mask = 2 * HM_SGLANG_MAX_MARKED - 1;
    size_t i;

    if (!m || !marked) return HM_E_MISUSE;
    *marked = 0;
    if (L == 0 || top_k == 1) return HM_OK;
    i = ctx_hash & mask;
    while (m->used[i]) {
        if (m->slots[i] == ctx_hash) return HM_OK; /* already marked */
        i = (i + 1) & mask;
    }
    if (m->count >= m->cap) return HM_OK;
    m->used[i] = 1;
    m->slots[i] = ctx_hash;
    m->count++;
    *marked = 1;
    return HM_OK;
}

size_t hm_sglang_detect_slots(size_t max_contexts)
{
    size_t s = 16;
    while (s < 2 * max_contexts) s <<= 1;
    return s;
}

/* Neumaier-compensated running sum (close to Python's math.fsum). */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}

static void stats_add(hm_sglang_stats *st, ksum *k, double s)
{
    ksum_add(k, s);
    st->n++;
}

static void stats_finish(hm_sglang_stats *st, const ksum *k)
{
    st->score = st->n ? k->s + k->c : 0.0;
    st->z = st->n ? (st->score - (double)st->n) / sqrt((double)st->n) : 0.0;
}

/* The detector's token sequence: the prompt tail then the completion. */
typedef struct seq {
    const uint32_t *tail;
    size_t n_tail;
    const uint32_t *ids;
} seq;

static uint32_t seq_at(const seq *q, size_t j)
{
    return j < q->n_tail ? q->tail[j] : q->ids[j - q->n_tail];
}

static int same_tuple(const seq *q, size_t a, size_t b, size_t h)
{
    size_t sa = a > h ? a - h : 0, sb = b > h ? b - h : 0, k;
    if (a - sa != b - sb) return 0;
    for (k = 0; k < a - sa; k++)
        if (seq_at(q, sa + k) != seq_at(q, sb + k)) return 0;
    return 1;
}

int hm_sglang_detect(const hm_sglang_detect_params *params,
                     const uint32_t *prompt, size_t n_prompt,
                     const uint32_t *ids, size_t n, uint32_t *scratch,
                     size_t slots, hm_sglang_detect_result *result)
{
    seq q;
    size_t h, start, first, total, pos, distinct = 0, mask;
    uint32_t threshold = 0;
    ksum k_comb = {0, 0}, k_a = {0, 0}, k_b = {0, 0}, k_pa = {0, 0}, k_pb = {0, 0};
    hm_sglang_stats part_a = {0, 0, 0}, part_b = {0, 0, 0};
    uint32_t ctx[HM_SGLANG_MAX_CONTEXT];
    int rc;

    if (!params || !result || !scratch || (n && !ids) || (n_prompt && !prompt))
        return HM_E_MISUSE;
    memset(result, 0, sizeof *result);
    h = params->h;
    if (h == 0 || h > HM_SGLANG_MAX_CONTEXT) return HM_E_RANGE;
    if (params->max_contexts == 0 || params->max_contexts > HM_SGLANG_MAX_MARKED)
        return HM_E_RANGE;
    if (params->has_b) {
        rc = hm_sglang_mixing_threshold(params->mixing, &threshold);
        if (rc != HM_OK) return rc;
    }
    if (slots < hm_sglang_detect_slots(params->max_contexts)) return HM_E_LIMIT;
    memset(scratch, 0, slots * sizeof *scratch);
    mask = slots - 1;

    q.n_tail = n_prompt < h ? n_prompt : h;
    q.tail = prompt ? prompt + (n_prompt - q.n_tail) : NULL;
    q.ids = ids;
    total = q.n_tail + n;
    start = q.n_tail;
    first = n_prompt ? start : (n < h ? n : h);
    result->skipped_initial = first - start;
    result->tokens_examined = first - start;

    for (pos = first; pos < total; pos++) {
        size_t cs = pos > h ? pos - h : 0, L = pos - cs, j, slot;
        uint32_t ch, tok = seq_at(&q, pos);
        double sa;
        int seen = 0;

        result->tokens_examined = pos - start + 1;
        for (j = 0; j < L; j++) ctx[j] = seq_at(&q, cs + j);
        ch = hm_sglang_context_hash(ctx, L);
        slot = ch & mask;
        while (scratch[slot] != 0) {
            if (same_tuple(&q, pos, (size_t)scratch[slot] - 1, h)) {
                seen = 1;
                break;
            }
            slot = (slot + 1) & mask;
        }
        if (seen) {
            result->repeated_contexts++;
            continue;
        }
        scratch[slot] = (uint32_t)(pos + 1);
        distinct++;
        sa = hm_sglang_token_score(params->key_a, ch, tok);
        stats_add(&result->key_a_all, &k_a, sa);
        if (params->has_b) {
            double sb = hm_sglang_token_score(params->key_b, ch, tok);
            stats_add(&result->key_b_all, &k_b, sb);
            if (hm_sglang_coin(params->key_a, params->key_b, ch) < threshold)
                stats_add(&part_a, &k_pa, sa);
            else
                stats_add(&part_b, &k_pb, sb);
        }
        if (distinct == params->max_contexts) break;
    }
    result->prefix_limit_reached = distinct == params->max_contexts;
    stats_finish(&result->key_a_all, &k_a);
    if (params->has_b) {
        stats_finish(&result->key_b_all, &k_b);
        stats_finish(&part_a, &k_pa);
        stats_finish(&part_b, &k_pb);
        result->key_a_part = part_a;
        result->key_b_part = part_b;
        /* combined = the concatenated partition scores, summed afresh */
        ksum_add(&k_comb, k_pa.s);
        ksum_add(&k_comb, k_pa.c);
        ksum_add(&k_comb, k_pb.s);
        ksum_add(&k_comb, k_pb.c);
        result->combined.n = part_a.n + part_b.n;
        stats_finish(&result->combined, &k_comb);
    } else {
        result->combined = result->key_a_all;
    }
    return HM_OK;
}

/* ======================================================================
 * The "sglang" scheme: the primitives above behind the scheme interface
 * (watermark/scheme.h), with SGLang's own rules: contexts are the last h
 * tokens of prompt + generated (an empty context is not marked; detection
 * without the prompt skips the first h tokens), a context already marked
 * in the request is skipped, at most max_contexts positions are marked,
 * and detection scores the first occurrence of each exact context window
 * and stops after max_contexts of them.
 * ====================================================================== */

#include <stdio.h>

#include "scheme.h"

typedef struct sglang_state {
    uint64_t key_a, key_b;
    int has_b;
    double mixing;
    uint32_t threshold;
    uint32_t h;
    uint32_t max_contexts;
    hm_sglang_bounds bounds; /* for the exactly pruned dense sampler */
} sglang_state;

static int sglang_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                       uint32_t vocab, size_t *bad)
{
    sglang_state *st = stv;
    uint64_t h = 4, maxc = HM_SGLANG_MAX_MARKED;
    int have_key = 0;
    size_t i;
    (void)secret;
    (void)vocab;
    st->mixing = 0.5;
    for (i = 0; i < n; i++) {
        const char *p = params[i];
        int r = 0;
        if (strncmp(p, "key=", 4) == 0) {
            r = hm_sglang_parse_key(p + 4, &st->key_a) == HM_OK ? 1 : -1;
            have_key = r == 1;
        } else if (strncmp(p, "key_b=", 6) == 0) {
            r = hm_sglang_parse_key(p + 6, &st->key_b) == HM_OK ? 1 : -1;
            st->has_b = r == 1;
        }
        if (r == 0) r = hm_param_u64(p, "context_window", 1, HM_SGLANG_MAX_CONTEXT, &h);
        if (r == 0) r = hm_param_u64(p, "max_contexts", 1, HM_SGLANG_MAX_MARKED, &maxc);
        if (r == 0) r = hm_param_double(p, "mixing_probability", 1e-9, 1 - 1e-9, &st->mixing);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    if (!have_key) return HM_E_MISUSE;
    if (hm_sglang_mixing_threshold(st->mixing, &st->threshold) != HM_OK) return HM_E_RANGE;
    st->h = (uint32_t)h;
    st->max_contexts = (uint32_t)maxc;
    hm_sglang_bounds_init(&st->bounds);
    return HM_OK;
}

static size_t sglang_ctx_width(const void *stv) { return ((const sglang_state *)stv)->h; }

static int sglang_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_PARTIAL;
}

static int sglang_prompt_in_context(const void *stv)
{
    (void)stv;
    return 1;
}

static void sglang_rules(const void *stv, hm_scheme_rules *r)
{
    const sglang_state *st = stv;
    r->ctx_rule_embed = r->ctx_rule_detect = HM_CTX_PARTIAL;
    r->partial_needs_prompt = 1;
    r->prompt_in_ctx = 1;
    r->skip_repeated = 1;
    r->skip_records_all = 0; /* only marked contexts are remembered */
    r->max_history = st->max_contexts;
    r->max_marked = st->max_contexts;
    r->dedup = 2; /* HM_DEDUP_CONTEXT: SGLang scores the first occurrence of each context window */
    r->detect_max_contexts = st->max_contexts;
}

static void sglang_describe(const void *stv, char *buf, size_t cap)
{
    const sglang_state *st = stv;
    if (st->has_b)
        snprintf(buf, cap, "context_window=%u,max_contexts=%u,dual_key=1,mixing_probability=%.17g",
                 (unsigned)st->h, (unsigned)st->max_contexts, st->mixing);
    else
        snprintf(buf, cap, "context_window=%u,max_contexts=%u,dual_key=0", (unsigned)st->h,
                 (unsigned)st->max_contexts);
}

static uint64_t sglang_ctx_key(const void *stv, const uint32_t *ctx, size_t nctx)
{
    (void)stv;
    /* SGLang compares its 32-bit context hashes, collisions included */
    return (uint64_t)hm_sglang_context_hash(ctx, nctx) + 1;
}

static int sglang_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                         hm_rng *rng, uint32_t *token)
{
    const sglang_state *st = stv;
    uint32_t ch = hm_sglang_context_hash(ctx, nctx);
    uint64_t key = hm_sglang_key_for(st->key_a, st->has_b, st->key_b, st->threshold, ch);
    int64_t tok = 0;
    int rc;
    (void)rng;
    if (cs->n <= 1) { /* top_k <= 1: never marked, as in SGLang */
        *token = hm_candset_id(cs, cs->argmax);
        return HM_OK;
    }
    hm_candset_probs(cs);
    if (cs->ids)
        rc = hm_sglang_sample_sparse(cs->ids, cs->p, cs->n, key, ch, &tok);
    else
        rc = hm_sglang_sample_pruned(cs->p, cs->n, key, ch, &st->bounds, cs->top, &tok);
    if (rc != HM_OK) return rc;
    *token = (uint32_t)tok;
    return HM_OK;
}

static void sglang_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                         hm_token_score *out)
{
    const sglang_state *st = stv;
    uint32_t ch = hm_sglang_context_hash(ctx, nctx);
    uint64_t key = hm_sglang_key_for(st->key_a, st->has_b, st->key_b, st->threshold, ch);
    out->value = hm_sglang_token_score(key, ch, token);
    out->u = hm_sglang_uniform(hm_sglang_token_hash(key, ch, token));
    out->weight = out->value;
    out->green = 0;
    out->gbits = 0;
    out->layers = 1;
}

static double sglang_null_param(const void *stv)
{
    (void)stv;
    return 0;
}

const hm_scheme_ops hm_scheme_sglang = {
    .name = "sglang",
    .params_doc = "key (16 hex digits, or 0x...; or --sglang-key), key_b (a second key), context_window (an integer from 1 to 64; default 4), max_contexts (1 to 4096; default 4096), mixing_probability (a number in (0, 1); default 0.5)",
    .version = "sglang-aaronson-v1",
    .prf_version = "murmur3-x86-32-v1",
    .kind = HM_KIND_SAMPLING,
    .test = HM_TEST_GAMMA,
    .needs_secret = 0,
    .init = sglang_init,
    .ctx_width = sglang_ctx_width,
    .ctx_rule = sglang_ctx_rule,
    .prompt_in_context = sglang_prompt_in_context,
    .describe = sglang_describe,
    .sample = sglang_sample,
    .score = sglang_score,
    .null_param = sglang_null_param,
    .rules = sglang_rules,
    .ctx_key = sglang_ctx_key,
};
