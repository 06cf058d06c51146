/*
 * vllm.c - bit-exact vLLM text watermark primitives (PRF
 * "philox4x32-10-v1"): Philox4x32-10, context absorption, per-candidate
 * words and the 24-bit uniform, dual_key_gumbel key derivation, Gumbel-max
 * sampling in fp32, the generation context and dedup rules, and the
 * detector recipe.  Pure functions over caller arrays; no allocation.
 * Rules and sources: docs/interop.md, section "vLLM".
 */
#include "schemes/interop.h"

#include <math.h>
#include <string.h>

#include <openssl/evp.h>

#define CONTEXT_DOMAIN 0x574D4358u /* "WMCX" */
#define TOKEN_DOMAIN 0x574D544Bu   /* "WMTK" */

int hm_vllm_parse_key(const char *s, uint64_t *key)
{
    uint64_t v = 0;
    size_t i;

    if (!s || !key) return HM_E_MISUSE;
    if (s[0] == '\0') return HM_E_FORMAT;
    for (i = 0; s[i] != '\0'; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') return HM_E_FORMAT;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10u) return HM_E_RANGE;
        v = v * 10u + d;
    }
    *key = v;
    return HM_OK;
}

int hm_vllm_parse_dedup(const char *s, hm_vllm_dedup *mode)
{
    if (!s || !mode) return HM_E_MISUSE;
    if (strcmp(s, "none") == 0) *mode = HM_VLLM_DEDUP_NONE;
    else if (strcmp(s, "single_turn") == 0) *mode = HM_VLLM_DEDUP_SINGLE_TURN;
    else if (strcmp(s, "all") == 0) *mode = HM_VLLM_DEDUP_ALL;
    else return HM_E_FORMAT;
    return HM_OK;
}

void hm_vllm_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                           uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    int round;

    for (round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)HM_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)HM_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        k0 += HM_PHILOX_W0;
        k1 += HM_PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

int hm_vllm_context_state(uint64_t key, const int64_t *ctx, size_t W,
                          uint32_t state[4])
{
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    size_t off;

    if (!ctx || !state || W == 0 || W > UINT32_MAX) return HM_E_MISUSE;
    state[0] = CONTEXT_DOMAIN;
    state[1] = (uint32_t)W;
    state[2] = 0;
    state[3] = 0;
    for (off = 0; off < W; off += 4) {
        uint32_t c[4], k[2];
        size_t i;
        for (i = 0; i < 4; i++) {
            uint32_t b = off + i < W ? (uint32_t)((uint64_t)ctx[off + i] & 0xFFFFFFFFu)
                                     : 0xFFFFFFFFu - (uint32_t)i;
            c[i] = state[i] ^ b;
        }
        k[0] = k0 ^ (uint32_t)off;
        k[1] = k1;
        hm_vllm_philox4x32_10(c, k, state);
    }
    return HM_OK;
}

void hm_vllm_token_key(uint64_t key, const uint32_t state[4], uint64_t stream,
                       uint32_t k[2])
{
    k[0] = (uint32_t)key ^ state[3] ^ (uint32_t)(stream >> 32);
    k[1] = (uint32_t)(key >> 32) ^ TOKEN_DOMAIN ^ (uint32_t)stream;
}

void hm_vllm_words4(uint64_t key, const uint32_t state[4], uint32_t g,
                    uint64_t stream, uint32_t out[4])
{
    uint32_t c[4], k[2];

    c[0] = g;
    c[1] = state[0];
    c[2] = state[1];
    c[3] = state[2];
    hm_vllm_token_key(key, state, stream, k);
    hm_vllm_philox4x32_10(c, k, out);
}

uint32_t hm_vllm_word(uint64_t key, const uint32_t state[4], uint32_t token)
{
    uint32_t o[4];
    hm_vllm_words4(key, state, token >> 2, 0, o);
    return o[token & 3u];
}

float hm_vllm_uniform(uint32_t word)
{
    uint32_t m = word >> 8;
    return (float)(((double)m + 1.0) / 16777217.0);
}

int hm_vllm_derive_key(uint64_t key, int which, uint64_t *out)
{
    unsigned char msg[13], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint64_t v = 0;
    int i;

    if (!out || (which != 0 && which != 1)) return HM_E_MISUSE;
    memcpy(msg, which == 0 ? "key_a" : "key_b", 5);
    for (i = 0; i < 8; i++) msg[5 + i] = (unsigned char)(key >> (56 - 8 * i));
    if (EVP_Digest(msg, sizeof msg, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return HM_E_CRYPTO;
    for (i = 0; i < 8; i++) v = (v << 8) | md[i];
    *out = v;
    return HM_OK;
}

/* The fp32 Gumbel-perturbed score of one candidate, as vLLM's CPU path:
 * l/T + (-log(-log(max(u, FLT_MIN)))); NaN becomes -inf. */
static float gumbel_score(float logit, float temperature, uint32_t word)
{
    float u = hm_vllm_uniform(word);
    float l = logit / temperature;
    float a, b, s;

    if (u < 1.17549435e-38f) u = 1.17549435e-38f;
    a = logf(u);
    b = logf(-a);
    s = l + (-b);
    if (isnan(s)) s = -INFINITY;
    return s;
}

void hm_vllm_gumbel_bounds_init(hm_vllm_gumbel_bounds *b)
{
    unsigned i;
    for (i = 0; i < 256; i++) {
        uint32_t lo = (uint32_t)i << 24, hi = lo | 0x00FFFFFFu; /* words whose m >> 16 == i */
        /* padded far beyond any libm rounding, so the bounds hold for the
         * fp32 computation whether or not logf is exactly monotone */
        b->lo[i] = gumbel_score(0.0f, 1.0f, lo) - 1e-3f;
        b->hi[i] = gumbel_score(0.0f, 1.0f, hi) + 1e-3f;
    }
}

int hm_vllm_gumbel_sample_pruned(const float *logits, size_t V, float temperature,
                                 uint64_t key, const uint32_t state[4],
                                 const hm_vllm_gumbel_bounds *b, uint8_t *scratch,
                                 int64_t *token)
{
    uint32_t last_group = UINT32_MAX, w[4] = {0, 0, 0, 0}, ids[256];
    float best_lo, best = -INFINITY, inv_t;
    size_t best_id = 0, pos = 0;
    int pos_inf, rc;

    if (!logits || !state || !b || !scratch || !token || V == 0 || !(temperature > 0.0f))
        return HM_E_MISUSE;
    /* the bounds use l * (1/T), within a few ulps of the engine's l / T; the
     * relative margin keeps them bounds */
    inv_t = 1.0f / temperature;
    /* pass 1 (batched Philox): every candidate's noise bucket and the best
     * lower bound */
    rc = hm_vllm_gumbel_pass1(HM_SIMD_IMPL_AUTO, logits, V, inv_t, key, state, b, scratch,
                              &best_lo, &pos_inf);
    if (rc != HM_OK) return rc;
    /* a +inf l has no finite bound: the full loop decides */
    if (pos_inf) return hm_vllm_gumbel_sample(logits, V, temperature, key, state, token);
    if (best_lo == -INFINITY) {
        *token = 0;
        return HM_E_RANGE;
    }
    /* pass 2: the exact fp32 score of every candidate that can still win,
     * in id order (ties keep the lowest id, as in the full loop) */
    while (pos < V) {
        size_t n = hm_vllm_gumbel_pass2(HM_SIMD_IMPL_AUTO, logits, V, inv_t, b, scratch, best_lo,
                                        &pos, ids, sizeof ids / sizeof ids[0]), i;
        for (i = 0; i < n; i++) {
            uint32_t v = ids[i];
            float s;
            if (v >> 2 != last_group) {
                last_group = v >> 2;
                hm_vllm_words4(key, state, last_group, 0, w);
            }
            s = gumbel_score(logits[v], temperature, w[v & 3]);
            if (s > best) {
                best = s;
                best_id = v;
            }
        }
    }
    *token = (int64_t)best_id;
    return HM_OK;
}

int hm_vllm_gumbel_sample(const float *logits, size_t V, float temperature,
                          uint64_t key, const uint32_t state[4],
                          int64_t *token)
{
    size_t v;
    float best = -INFINITY;
    size_t best_id = 0;

    if (!logits || !state || !token || V == 0 || !(temperature > 0.0f))
        return HM_E_MISUSE;
    for (v = 0; v < V; v += 4) {
        uint32_t w[4];
        size_t j;
        int live = 0;
        /* masked (-inf) and NaN candidates score -inf whatever their noise:
         * skip the Philox call when a whole group of 4 is masked */
        for (j = 0; j < 4 && v + j < V; j++)
            if (logits[v + j] > -INFINITY) live = 1;
        if (!live) continue;
        hm_vllm_words4(key, state, (uint32_t)(v >> 2), 0, w);
        for (j = 0; j < 4 && v + j < V; j++) {
            float s;
            if (!(logits[v + j] > -INFINITY)) continue;
            s = gumbel_score(logits[v + j], temperature, w[j]);
            if (s > best) { /* strict: ties keep the lowest id */
                best = s;
                best_id = v + j;
            }
        }
    }
    *token = (int64_t)best_id; /* all -inf: id 0, like torch.argmax */
    return best > -INFINITY ? HM_OK : HM_E_RANGE;
}

int hm_vllm_gumbel_sample_sparse(const int64_t *ids, const float *logits,
                                 size_t n, float temperature, uint64_t key,
                                 const uint32_t state[4], int64_t *token)
{
    size_t i;
    float best = -INFINITY;
    int64_t best_id = -1;
    int found = 0;

    if (!ids || !logits || !state || !token || n == 0 || !(temperature > 0.0f))
        return HM_E_MISUSE;
    for (i = 0; i < n; i++) {
        float s;
        if (ids[i] < 0 || ids[i] > (int64_t)UINT32_MAX) return HM_E_RANGE;
        s = gumbel_score(logits[i], temperature,
                         hm_vllm_word(key, state, (uint32_t)ids[i]));
        if (s > -INFINITY) {
            if (!found || s > best || (s == best && ids[i] < best_id)) {
                best = s;
                best_id = ids[i];
            }
            found = 1;
        } else if (!found && (best_id < 0 || ids[i] < best_id)) {
            best_id = ids[i];
        }
    }
    *token = best_id;
    return found ? HM_OK : HM_E_RANGE;
}

int hm_vllm_gumbel_sample_sparse_pruned(const int64_t *ids, const float *logits,
                                        size_t n, float temperature, uint64_t key,
                                        const uint32_t state[4],
                                        const hm_vllm_gumbel_bounds *b,
                                        uint8_t *scratch, int64_t *token)
{
    size_t i;
    float best_lo = -INFINITY, best = -INFINITY, inv_t;
    int64_t best_id = -1;

    if (!ids || !logits || !state || !b || !scratch || !token || n == 0 ||
        !(temperature > 0.0f))
        return HM_E_MISUSE;
    inv_t = 1.0f / temperature;
    /* pass 1: each word's top byte and the best lower bound (as the dense
     * pass 1, one Philox call per candidate) */
    for (i = 0; i < n; i++) {
        float l = logits[i] * inv_t, lo;
        if (ids[i] < 0 || ids[i] > (int64_t)UINT32_MAX) return HM_E_RANGE;
        if (!(l > -INFINITY)) continue;
        /* a +inf l has no finite bound: the full loop decides */
        if (l == INFINITY) break;
        scratch[i] = (uint8_t)(hm_vllm_word(key, state, (uint32_t)ids[i]) >> 24);
        lo = l + b->lo[scratch[i]] - fabsf(l) * 1e-6f;
        if (lo > best_lo) best_lo = lo;
    }
    if (i < n || best_lo == -INFINITY)
        return hm_vllm_gumbel_sample_sparse(ids, logits, n, temperature, key, state, token);
    /* pass 2: the exact scores of the candidates that can still win; the
     * winner is among them, so the reference's all -inf branch is moot */
    for (i = 0; i < n; i++) {
        float l = logits[i] * inv_t, s;
        if (!(l > -INFINITY) || l + b->hi[scratch[i]] + fabsf(l) * 1e-6f < best_lo) continue;
        s = gumbel_score(logits[i], temperature, hm_vllm_word(key, state, (uint32_t)ids[i]));
        if (s > -INFINITY && (best_id < 0 || s > best || (s == best && ids[i] < best_id))) {
            best = s;
            best_id = ids[i];
        }
    }
    *token = best_id;
    return HM_OK;
}

void hm_vllm_generation_context(const int64_t *generated, size_t n_generated,
                                size_t W, int64_t *ctx)
{
    size_t k;
    for (k = 0; k < W; k++) {
        /* position n_generated - W + k in the generated sequence */
        if (n_generated + k >= W) ctx[k] = generated[n_generated + k - W];
        else ctx[k] = -1;
    }
}

/* Token j of the dedup history (prompt + generated for `all`). */
static int64_t history_at(int include_prompt, const int64_t *prompt,
                          size_t n_prompt, const int64_t *generated, size_t j)
{
    if (include_prompt) {
        if (j < n_prompt) return prompt[j];
        return generated[j - n_prompt];
    }
    return generated[j];
}

int hm_vllm_generation_skip(hm_vllm_dedup mode, const int64_t *prompt,
                            size_t n_prompt, const int64_t *generated,
                            size_t n_generated, const int64_t *ctx, size_t W,
                            size_t max_history, int *skip, int *partial)
{
    int include_prompt = mode == HM_VLLM_DEDUP_ALL;
    size_t hist_len, start, i;

    if (!skip || !ctx || W == 0 || (n_generated && !generated) ||
        (include_prompt && n_prompt && !prompt))
        return HM_E_MISUSE;
    *skip = 0;
    if (partial) *partial = 0;
    if (mode == HM_VLLM_DEDUP_NONE) return HM_OK;
    if (mode != HM_VLLM_DEDUP_SINGLE_TURN && mode != HM_VLLM_DEDUP_ALL)
        return HM_E_MISUSE;
    if (include_prompt && n_generated < W) {
        *skip = 1;
        if (partial) *partial = 1;
        return HM_OK;
    }
    hist_len = include_prompt ? n_prompt + n_generated : n_generated;
    start = 0;
    if (max_history > 0 && hist_len > max_history) start = hist_len - max_history;
    for (i = start; i < hist_len; i++) {
        size_t k;
        int match = 1;
        for (k = 0; k < W && match; k++) {
            /* the token W-k positions before i, or the -1 pad */
            int64_t t = (i + k >= W)
                            ? history_at(include_prompt, prompt, n_prompt, generated,
                                         i + k - W)
                            : -1;
            if (t != ctx[k]) match = 0;
        }
        if (match) {
            *skip = 1;
            return HM_OK;
        }
    }
    return HM_OK;
}

double hm_vllm_token_score(uint64_t key, const uint32_t state[4],
                           int64_t token)
{
    uint32_t w = hm_vllm_word(key, state, (uint32_t)((uint64_t)token & 0xFFFFFFFFu));
    double u = (double)hm_vllm_uniform(w);
    return -log1p(-u);
}

size_t hm_vllm_detect_slots(size_t n)
{
    size_t s = 16;
    while (s < 2 * n && s < ((size_t)1 << 62)) s <<= 1;
    return s;
}

/* Padded context token k (0..W-1) of detection position i. */
static int64_t ctx_token(const int64_t *tokens, size_t i, size_t W, size_t k)
{
    return i + k >= W ? tokens[i + k - W] : -1;
}

static int same_context(const int64_t *tokens, size_t i, size_t j, size_t W)
{
    size_t k;
    for (k = 0; k < W; k++)
        if (ctx_token(tokens, i, W, k) != ctx_token(tokens, j, W, k)) return 0;
    return 1;
}

int hm_vllm_detect(const hm_vllm_detect_params *params, const int64_t *tokens,
                   size_t n, uint32_t *scratch, size_t slots,
                   hm_vllm_detect_result *result)
{
    uint64_t key_a, key_b = 0;
    double alpha, var, S = 0.0;
    size_t W, i, count = 0;
    int64_t ctx[HM_VLLM_MAX_WIDTH];
    int rc;

    if (!params || !result || (n && !tokens)) return HM_E_MISUSE;
    memset(result, 0, sizeof *result);
    W = params->width;
    if (W == 0 || W > HM_VLLM_MAX_WIDTH) return HM_E_RANGE;
    alpha = params->dual_key ? params->alpha : 0.0;
    if (!(alpha >= 0.0 && alpha <= 1.0)) return HM_E_RANGE;
    if (params->dedup) {
        if (!scratch) return HM_E_MISUSE;
        if (slots < hm_vllm_detect_slots(n) || n >= UINT32_MAX) return HM_E_LIMIT;
        memset(scratch, 0, slots * sizeof *scratch);
    }
    key_a = params->key;
    if (params->dual_key) {
        rc = hm_vllm_derive_key(params->key, 0, &key_a);
        if (rc != HM_OK) return rc;
        rc = hm_vllm_derive_key(params->key, 1, &key_b);
        if (rc != HM_OK) return rc;
    }
    for (i = 0; i < n; i++) {
        uint32_t st[4], stb[4];
        size_t k;
        double s;

        for (k = 0; k < W; k++) ctx[k] = ctx_token(tokens, i, W, k);
        rc = hm_vllm_context_state(key_a, ctx, W, st);
        if (rc != HM_OK) return rc;
        if (params->dedup) {
            size_t mask = slots - 1;
            size_t h = (size_t)(st[0] ^ ((uint64_t)st[1] << 16)) & mask;
            int seen = 0;
            /* keyed by key A's state; exact tuples are compared on a hit */
            while (scratch[h] != 0) {
                if (same_context(tokens, i, (size_t)scratch[h] - 1, W)) {
                    seen = 1;
                    break;
                }
                h = (h + 1) & mask;
            }
            if (seen) continue;
            scratch[h] = (uint32_t)(i + 1);
        }
        s = hm_vllm_token_score(key_a, st, tokens[i]);
        if (params->dual_key) {
            double sb;
            rc = hm_vllm_context_state(key_b, ctx, W, stb);
            if (rc != HM_OK) return rc;
            sb = hm_vllm_token_score(key_b, stb, tokens[i]);
            s = (1.0 - alpha) * s + alpha * sb;
        }
        S += s;
        count++;
    }
    var = params->dual_key ? (1.0 - alpha) * (1.0 - alpha) + alpha * alpha : 1.0;
    result->score = S;
    result->n = count;
    result->variance = var;
    result->shape = (double)count / var;
    result->scaled = S / var;
    return HM_OK;
}

/* ======================================================================
 * The "vllm" scheme: the primitives above behind the scheme interface
 * (watermark/scheme.h), with vLLM's own rules: contexts from generated
 * tokens only, padded with -1; generation dedup `none` or `single_turn`
 * over deduplicate_contexts_max_history positions; detection scores the
 * first occurrence of each context.
 * ====================================================================== */

#include <stdio.h>
#include <string.h>

#include "context.h"
#include "scheme.h"

typedef struct vllm_state {
    uint64_t key;      /* the deployment key (as given) */
    uint64_t key_a, key_b;
    int dual;
    double alpha;
    uint32_t width;
    int gen_dedup;     /* 0 none, 1 single_turn */
    uint32_t max_history;
    hm_vllm_gumbel_bounds bounds; /* for the exactly pruned dense sampler */
} vllm_state;

static int vllm_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                     uint32_t vocab, size_t *bad)
{
    vllm_state *st = stv;
    uint64_t w = 4, hist = 8192;
    int have_key = 0;
    size_t i;
    (void)secret;
    (void)vocab;
    st->alpha = 0.1;
    st->gen_dedup = 1; /* vLLM's default: single_turn */
    for (i = 0; i < n; i++) {
        const char *p = params[i];
        int r = 0;
        char buf[32];
        if (strncmp(p, "key=", 4) == 0) {
            r = hm_vllm_parse_key(p + 4, &st->key) == HM_OK ? 1 : -1;
            have_key = r == 1;
        }
        if (r == 0) r = hm_param_u64(p, "context_width", 1, HM_VLLM_MAX_WIDTH, &w);
        if (r == 0) r = hm_param_double(p, "alpha", 0, 1, &st->alpha);
        if (r == 0) r = hm_param_u64(p, "deduplicate_contexts_max_history", 0, 1u << 20, &hist);
        if (r == 0) {
            r = hm_param_str(p, "algorithm", buf, sizeof buf);
            if (r == 1) {
                if (strcmp(buf, "gumbel") == 0)
                    st->dual = 0;
                else if (strcmp(buf, "dual_key_gumbel") == 0)
                    st->dual = 1;
                else
                    r = -1;
            }
        }
        if (r == 0) {
            r = hm_param_str(p, "deduplicate_contexts", buf, sizeof buf);
            if (r == 1 && strcmp(buf, "none") == 0) {
                st->gen_dedup = 0;
            } else if (r == 1 && strcmp(buf, "single_turn") == 0) {
                st->gen_dedup = 1;
            } else if (r == 1) {
                *bad = i; /* "all" needs the engine's prompt history */
                return strcmp(buf, "all") == 0 ? HM_E_UNSUPPORTED : HM_E_RANGE;
            }
        }
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    if (!have_key) return HM_E_MISUSE;
    st->width = (uint32_t)w;
    st->max_history = hist ? (uint32_t)hist : (1u << 20); /* null: effectively unbounded */
    if (!st->dual) st->alpha = 0; /* plain gumbel: s is key A's alone */
    hm_vllm_gumbel_bounds_init(&st->bounds);
    st->key_a = st->key;
    st->key_b = st->key;
    if (st->dual) {
        if (hm_vllm_derive_key(st->key, 0, &st->key_a) != HM_OK) return HM_E_CRYPTO;
        if (hm_vllm_derive_key(st->key, 1, &st->key_b) != HM_OK) return HM_E_CRYPTO;
    }
    return HM_OK;
}

static size_t vllm_ctx_width(const void *stv) { return ((const vllm_state *)stv)->width; }

static int vllm_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_PAD;
}

static int vllm_prompt_in_context(const void *stv)
{
    (void)stv;
    return 0;
}

static void vllm_rules(const void *stv, hm_scheme_rules *r)
{
    const vllm_state *st = stv;
    r->ctx_rule_embed = r->ctx_rule_detect = HM_CTX_PAD;
    r->prompt_in_ctx = 0;
    r->pad_token = 0xFFFFFFFFu;
    r->skip_repeated = st->gen_dedup;
    r->skip_records_all = 1;
    r->max_history = st->max_history;
    r->dedup = 2; /* HM_DEDUP_CONTEXT: the first occurrence of each context */
}

static void vllm_describe(const void *stv, char *buf, size_t cap)
{
    const vllm_state *st = stv;
    snprintf(buf, cap, "algorithm=%s,context_width=%u,alpha=%.17g,deduplicate_contexts=%s",
             st->dual ? "dual_key_gumbel" : "gumbel", (unsigned)st->width, st->alpha,
             st->gen_dedup ? "single_turn" : "none");
}

static void ctx64(const uint32_t *ctx, size_t n, int64_t *out)
{
    size_t i;
    for (i = 0; i < n; i++) out[i] = ctx[i] == 0xFFFFFFFFu ? -1 : (int64_t)ctx[i];
}

static int vllm_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                       hm_rng *rng, uint32_t *token)
{
    const vllm_state *st = stv;
    int64_t c[HM_VLLM_MAX_WIDTH], tok = 0;
    uint32_t state[4];
    uint64_t key = st->key_a;
    int rc;
    /* dual key: the engine routes to key B with probability alpha using its
     * ordinary RNG; ours plays that part */
    if (st->dual && hm_rng_unit(rng) >= 1.0 - st->alpha) key = st->key_b;
    ctx64(ctx, nctx, c);
    rc = hm_vllm_context_state(key, c, nctx, state);
    if (rc != HM_OK) return rc;
    if (cs->raw && cs->ids == NULL && cs->n == cs->raw_n) {
        rc = hm_vllm_gumbel_sample_pruned(cs->raw, cs->n, cs->temperature, key, state,
                                          &st->bounds, cs->top, &tok);
    } else {
        /* filtered or sparse: the survivors' raw logits, masked ones dropped */
        int64_t *ids = (int64_t *)(void *)cs->cdf;
        float *lg = cs->p;
        size_t i;
        for (i = 0; i < cs->n; i++) {
            uint32_t id = hm_candset_id(cs, i);
            ids[i] = id;
            if (cs->raw) {
                lg[i] = cs->raw[id];
            } else if (i < cs->raw_n && (uint32_t)cs->raw_sparse[i].id == id) {
                lg[i] = cs->raw_sparse[i].logit; /* not reordered: no search */
            } else {
                size_t j;
                lg[i] = cs->lg[i] * cs->temperature; /* fallback; replaced below */
                for (j = 0; j < cs->raw_n; j++)
                    if ((uint32_t)cs->raw_sparse[j].id == id) {
                        lg[i] = cs->raw_sparse[j].logit;
                        break;
                    }
            }
        }
        cs->have_p = cs->have_cdf = 0;
        rc = hm_vllm_gumbel_sample_sparse_pruned(ids, lg, cs->n, cs->temperature, key, state,
                                                 &st->bounds, cs->top, &tok);
    }
    if (rc != HM_OK) return rc;
    *token = (uint32_t)tok;
    return HM_OK;
}

static void vllm_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                       hm_token_score *out)
{
    const vllm_state *st = stv;
    int64_t c[HM_VLLM_MAX_WIDTH];
    uint32_t state[4];
    double sa;
    ctx64(ctx, nctx, c);
    (void)hm_vllm_context_state(st->key_a, c, nctx, state);
    sa = hm_vllm_token_score(st->key_a, state, token);
    out->u = (double)hm_vllm_uniform(hm_vllm_word(st->key_a, state, token));
    out->value = sa;
    if (st->dual) {
        double sb;
        (void)hm_vllm_context_state(st->key_b, c, nctx, state);
        sb = hm_vllm_token_score(st->key_b, state, token);
        out->value = (1 - st->alpha) * sa + st->alpha * sb;
    }
    out->weight = out->value;
    out->green = 0;
    out->gbits = 0;
    out->layers = 1;
}

static double vllm_null_param(const void *stv) { return ((const vllm_state *)stv)->alpha; }

const hm_scheme_ops hm_scheme_vllm = {
    .name = "vllm",
    .params_doc = "key (the engine's integer key; or --vllm-key), context_width (an integer from 1 to 64; default 4), alpha (0 to 1; default 0.1), algorithm (gumbel or dual_key_gumbel), deduplicate_contexts (none or single_turn; default single_turn), deduplicate_contexts_max_history (0 to 1048576; default 8192)",
    .version = "vllm-gumbel-v1",
    .prf_version = HM_VLLM_PRF_VERSION,
    .kind = HM_KIND_SAMPLING,
    .test = HM_TEST_GAMMA_WEIGHTED,
    .needs_secret = 0,
    .init = vllm_init,
    .ctx_width = vllm_ctx_width,
    .ctx_rule = vllm_ctx_rule,
    .prompt_in_context = vllm_prompt_in_context,
    .describe = vllm_describe,
    .sample = vllm_sample,
    .score = vllm_score,
    .null_param = vllm_null_param,
    .rules = vllm_rules,
};
