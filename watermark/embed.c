/*
 * embed.c - the embedding API: embedders (scheme + key + parameters,
 * immutable) and sessions (context, RNG and scratch for one request).
 * The context rule lives in context.c; the schemes in watermark/schemes/.
 */
#include "embed_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"
#include "key_internal.h"

hm_sampling hm_sampling_default(void)
{
    hm_sampling s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    s.temperature = 1.0f;
    s.top_k = 0;
    s.top_p = 1.0f;
    s.min_p = 0.0f;
    return s;
}

int hm_embedder_new_secret(hm_embedder **out, const char *scheme, const uint8_t *secret,
                           const char *const *params, size_t n_params, uint32_t vocab,
                           int *bad_param)
{
    const hm_scheme_ops *ops;
    hm_embedder *e;
    const char **rest = NULL;
    size_t *map = NULL, n_rest = 0, i, bad = (size_t)-1;
    uint64_t v;
    int s = HM_OK, skip_override = -1;
    uint32_t history_override = 0;
    if (bad_param) *bad_param = -1;
    if (!out || !scheme || vocab == 0 || (n_params && !params)) return HM_E_MISUSE;
    *out = NULL;
    if (hm_init() != HM_OK) return HM_E_CRYPTO;
    ops = hm_scheme_find(scheme);
    if (!ops) return HM_E_NOTFOUND;
    if (ops->needs_secret && !secret) return HM_E_MISUSE;
    e = calloc(1, sizeof *e);
    if (!e) return HM_E_NOMEM;
    /* The scheme state holds the PRF subkey: locked out of swap and out of
     * core dumps (MADV_DONTDUMP) where the system allows; best effort. */
    (void)sodium_mlock(e, sizeof *e);
    e->ops = ops;
    e->vocab = vocab;
    if (n_params) {
        rest = calloc(n_params, sizeof *rest);
        map = calloc(n_params, sizeof *map);
        if (!rest || !map) {
            s = HM_E_NOMEM;
            goto done;
        }
    }
    /* Generic parameters are handled here; the rest go to the scheme. */
    for (i = 0; i < n_params; i++) {
        int r;
        if (!params[i]) {
            s = HM_E_MISUSE;
            goto done;
        }
        r = hm_param_u64(params[i], "skip_repeated", 0, 1, &v);
        if (r == 1) {
            skip_override = (int)v;
            continue;
        }
        if (r == 0) r = hm_param_u64(params[i], "max_history", 1, 1u << 24, &v);
        if (r == 1) {
            history_override = (uint32_t)v;
            continue;
        }
        if (r < 0) {
            bad = i;
            s = HM_E_RANGE;
            goto done;
        }
        map[n_rest] = i;
        rest[n_rest++] = params[i];
    }
    {
        static const unsigned char ctx[] = "hallmark-tuple-blind-v1";
        crypto_generichash_state gh;
        crypto_generichash_init(&gh, NULL, 0, sizeof e->blind_key);
        crypto_generichash_update(&gh, ctx, sizeof ctx);
        if (secret) {
            crypto_generichash_update(&gh, secret, HM_KEY_SECRET_BYTES);
        } else {
            for (i = 0; i < n_params; i++)
                crypto_generichash_update(&gh, (const unsigned char *)params[i],
                                          strlen(params[i]) + 1);
        }
        crypto_generichash_final(&gh, e->blind_key, sizeof e->blind_key);
        sodium_memzero(&gh, sizeof gh);
    }
    s = ops->init(e->st, secret, rest, n_rest, vocab, &bad);
    if (s != HM_OK && bad < n_rest) bad = map[bad];
    if (s == HM_OK) e->initialized = 1;
    if (s == HM_OK) {
        e->width = ops->ctx_width(e->st);
        hm_scheme_get_rules(ops, e->st, &e->rules);
        if (skip_override >= 0) e->rules.skip_repeated = skip_override;
        if (history_override) e->rules.max_history = history_override;
        if (e->width > HM_SCHEME_MAX_CTX) s = HM_E_RANGE;
    }
done:
    free(rest);
    free(map);
    if (s != HM_OK) {
        if (bad_param && bad != (size_t)-1) *bad_param = (int)bad;
        hm_embedder_free(e);
        return s;
    }
    *out = e;
    return HM_OK;
}

int hm_embedder_new(hm_embedder **out, const char *scheme, const hm_key *key,
                    const char *const *params, size_t n_params, uint32_t vocab, int *bad_param)
{
    const uint8_t *secret = NULL;
    if (key) {
        secret = hm_key_secret(key);
        if (!secret) return HM_E_MISUSE; /* a signing key */
    }
    return hm_embedder_new_secret(out, scheme, secret, params, n_params, vocab, bad_param);
}

uint64_t hm_embedder_blind(const hm_embedder *e, uint64_t hash)
{
    uint8_t in[8], out[8];
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) in[i] = (uint8_t)(hash >> (8 * i));
    crypto_shorthash_siphash24(out, in, sizeof in, e->blind_key);
    for (i = 7; i >= 0; i--) v = (v << 8) | out[i];
    return v ? v : 1; /* never 0, like the hashes it stands for */
}

void hm_embedder_free(hm_embedder *e)
{
    if (!e) return;
    if (e->ops && e->ops->destroy && e->initialized) e->ops->destroy(e->st);
    sodium_memzero(e, sizeof *e);
    (void)sodium_munlock(e, sizeof *e);
    free(e);
}

int hm_embedder_describe(const hm_embedder *e, char *buf, size_t cap)
{
    char params[512];
    int n;
    if (!e || !buf) return HM_E_MISUSE;
    e->ops->describe(e->st, params, sizeof params);
    n = snprintf(buf, cap, "%s %s %s%sskip_repeated=%d", e->ops->name, e->ops->version, params,
                 params[0] ? "," : "", e->rules.skip_repeated);
    return n < 0 || (size_t)n >= cap ? HM_E_RANGE : HM_OK;
}

int hm_embedder_is_logit_bias(const hm_embedder *e)
{
    return e && e->ops->kind == HM_KIND_LOGIT_BIAS;
}

size_t hm_embedder_context_width(const hm_embedder *e) { return e ? e->width : 0; }

int hm_session_new(const hm_embedder *e, hm_session **out)
{
    hm_session *s;
    int st;
    if (!e || !out) return HM_E_MISUSE;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s) return HM_E_NOMEM;
    s->e = e;
    st = hm_candset_alloc(&s->cs, e->vocab);
    if (st == HM_OK && e->ops->scratch_size) {
        size_t n = e->ops->scratch_size(e->st, e->vocab);
        s->cs.scratch = n ? malloc(n) : NULL;
        if (n && !s->cs.scratch) st = HM_E_NOMEM;
    }
    if (st == HM_OK) st = hm_seen_init(&s->seen, e->rules.skip_repeated ? e->rules.max_history : 0);
    if (st != HM_OK) {
        hm_session_free(s);
        return st;
    }
    {
        uint64_t seed;
        randombytes_buf(&seed, sizeof seed);
        hm_rng_seed(&s->rng, seed);
    }
    hm_ctxbuf_reset(&s->cb);
    *out = s;
    return HM_OK;
}

void hm_session_free(hm_session *s)
{
    if (!s) return;
    free(s->cs.scratch);
    s->cs.scratch = NULL;
    hm_candset_release(&s->cs);
    hm_seen_free(&s->seen);
    sodium_memzero(s, sizeof *s);
    free(s);
}

void hm_session_reset(hm_session *s)
{
    if (!s) return;
    hm_ctxbuf_reset(&s->cb);
    hm_seen_clear(&s->seen);
    s->n_generated = 0;
    s->n_marked = 0;
}

void hm_session_set_seed(hm_session *s, uint64_t seed)
{
    if (s) hm_rng_seed(&s->rng, seed);
}

int hm_session_seed(hm_session *s, const uint32_t *prompt, size_t n)
{
    size_t i;
    if (!s || (n && !prompt)) return HM_E_MISUSE;
    if (!s->e->rules.prompt_in_ctx) return HM_OK;
    for (i = 0; i < n; i++) {
        if (prompt[i] >= s->e->vocab) return HM_E_RANGE;
        hm_ctxbuf_push(&s->cb, prompt[i]);
    }
    return HM_OK;
}

/* Decides whether the next position carries the mark; fills ctx/nctx and
 * the context's history key. */
static int position_marked(hm_session *s, uint32_t *ctx, size_t *nctx, uint64_t *hkey)
{
    const hm_embedder *e = s->e;
    const hm_scheme_rules *r = &e->rules;
    int marked;
    *hkey = 0;
    if (!hm_ctxbuf_context(&s->cb, e->width, r->ctx_rule_embed, r->pad_token, ctx, nctx)) return 0;
    marked = !(r->max_marked && s->n_marked >= r->max_marked);
    if (r->skip_repeated) {
        *hkey = hm_scheme_ctx_key(e->ops, e->st, ctx, *nctx);
        if (hm_seen_contains(&s->seen, *hkey)) marked = 0;
        /* engines that remember every position's context (vLLM, SynthID) */
        if (r->skip_records_all) hm_seen_insert(&s->seen, *hkey);
    }
    return marked;
}

/* Records a position that carried the mark. */
static void remember(hm_session *s, int marked, uint64_t hkey)
{
    if (!marked) return;
    s->n_marked++;
    if (s->e->rules.skip_repeated && !s->e->rules.skip_records_all) hm_seen_insert(&s->seen, hkey);
}

int hm_session_apply(hm_session *s, float *logits, size_t vocab)
{
    uint32_t ctx[HM_SCHEME_MAX_CTX];
    size_t nctx;
    uint64_t hkey = 0;
    int st;
    if (!s || !logits || vocab != s->e->vocab) return HM_E_MISUSE;
    if (!s->e->ops->apply) return HM_E_UNSUPPORTED;
    if (!position_marked(s, ctx, &nctx, &hkey)) return HM_OK;
    st = s->e->ops->apply(s->e->st, ctx, nctx, logits, vocab);
    remember(s, st == HM_OK, hkey);
    return st;
}

int hm_session_apply_sparse(hm_session *s, hm_cand *cands, size_t n)
{
    uint32_t ctx[HM_SCHEME_MAX_CTX];
    size_t nctx, i;
    uint64_t hkey = 0;
    int st;
    if (!s || (n && !cands)) return HM_E_MISUSE;
    if (!s->e->ops->apply_sparse) return HM_E_UNSUPPORTED;
    for (i = 0; i < n; i++)
        if (cands[i].id < 0 || (uint32_t)cands[i].id >= s->e->vocab) return HM_E_RANGE;
    if (!position_marked(s, ctx, &nctx, &hkey)) return HM_OK;
    st = s->e->ops->apply_sparse(s->e->st, ctx, nctx, cands, n);
    remember(s, st == HM_OK, hkey);
    return st;
}

static int sample_prepared(hm_session *s, uint32_t *token, int *marked)
{
    uint32_t ctx[HM_SCHEME_MAX_CTX];
    size_t nctx;
    uint64_t hkey = 0;
    int m = 0, st = HM_OK;
    if (!s->cs.greedy && position_marked(s, ctx, &nctx, &hkey)) {
        st = s->e->ops->sample(s->e->st, ctx, nctx, &s->cs, &s->rng, token);
        m = st == HM_OK;
        remember(s, m, hkey);
    } else {
        *token = hm_candset_sample_plain(&s->cs, &s->rng);
    }
    if (marked) *marked = m;
    return st;
}

int hm_session_sample(hm_session *s, const float *logits, size_t vocab,
                      const hm_sampling *params, uint32_t *token, int *marked)
{
    int st;
    if (!s || !token || vocab != s->e->vocab) return HM_E_MISUSE;
    st = hm_candset_from_dense(&s->cs, logits, vocab, params);
    if (st != HM_OK) return st;
    return sample_prepared(s, token, marked);
}

int hm_session_sample_sparse(hm_session *s, const hm_cand *cands, size_t n,
                             const hm_sampling *params, uint32_t *token, int *marked)
{
    size_t i;
    int st;
    if (!s || !token || !cands || n == 0) return HM_E_MISUSE;
    for (i = 0; i < n; i++)
        if (cands[i].id < 0 || (uint32_t)cands[i].id >= s->e->vocab) return HM_E_RANGE;
    st = hm_candset_from_sparse(&s->cs, cands, n, params);
    if (st != HM_OK) return st;
    return sample_prepared(s, token, marked);
}

int hm_session_accept(hm_session *s, uint32_t token)
{
    if (!s) return HM_E_MISUSE;
    if (token >= s->e->vocab) return HM_E_RANGE;
    hm_ctxbuf_push(&s->cb, token);
    s->n_generated++;
    return HM_OK;
}

int hm_session_sample_batch(hm_session *const *sessions, size_t n_sessions, const float *logits,
                            size_t vocab, const hm_sampling *params, uint32_t *tokens)
{
    size_t i;
    if (!sessions || !logits || !tokens) return HM_E_MISUSE;
    for (i = 0; i < n_sessions; i++) {
        int st = hm_session_sample(sessions[i], logits + i * vocab, vocab, params, &tokens[i], NULL);
        if (st == HM_OK) st = hm_session_accept(sessions[i], tokens[i]);
        if (st != HM_OK) return st;
    }
    return HM_OK;
}
