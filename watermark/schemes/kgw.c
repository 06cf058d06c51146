/*
 * kgw.c - the KGW green-list watermark (Kirchenbauer et al., arXiv
 * 2301.10226 and 2306.04634), both sides: the logit bias / sampling rule
 * and the per-token green score.
 *
 * Token t is green after its context when the Hallmark PRF's uniform is
 * below gamma.  Seeding:
 *   lefthash  the PRF context is the previous h tokens (default h = 1);
 *   selfhash  anchored min-hash, self-salted (default h = 4): the window is
 *             the previous h-1 tokens plus t itself; m is the window token
 *             with the smallest keyed hash H1 (ties: smaller id), and t is
 *             green iff PRF(context [m], candidate t) < gamma.  Changing any
 *             window token other than m leaves the decision unchanged.
 * Membership is computed per (context, candidate); no permutation of the
 * vocabulary is ever built.  Parameters and defaults: docs/schemes.md.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "greenlist.h"
#include "hallmark/error.h"
#include "scheme.h"

enum { SEED_LEFTHASH = 1, SEED_SELFHASH = 2 };

typedef struct kgw_state {
    hm_prf prf;
    hm_green_thr thr;
    double delta;
    uint32_t h;
    int seeding;
    uint32_t vocab;
    hm_prf_ctx empty;    /* the PRF state of the empty context (H1) */
    uint32_t *h1;        /* selfhash: keyed min-hash key of every token */
    uint8_t *self_green; /* selfhash: bitmap, green(t | [t]) */
    hm_prf_ctx *anchor;  /* selfhash: the PRF state of the context [t], every t */
} kgw_state;

/* Per-step data, computed once per position. */
typedef struct kgw_step {
    hm_prf_ctx c;     /* PRF context: previous h tokens, or [m_ctx] */
    uint32_t m_ctx;   /* selfhash: min-hash token of the previous h-1 tokens */
    uint32_t m_key;   /* its H1 */
} kgw_step;

/* H1(t): the top 32 bits of the PRF of (empty context, t, stream 1). */
static uint32_t h1_of(const hm_prf_ctx *empty, uint32_t t)
{
    return (uint32_t)(hm_prf_value(empty, t, 1) >> 32);
}

static int kgw_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                    uint32_t vocab, size_t *bad)
{
    kgw_state *st = stv;
    double gamma = 0.25, delta = 2.0;
    uint64_t h = 0;
    char seeding[16] = "selfhash";
    size_t i;
    int s;
    st->vocab = vocab;
    for (i = 0; i < n; i++) {
        int r = hm_param_double(params[i], "gamma", 1e-6, 1 - 1e-6, &gamma);
        if (r == 0) r = hm_param_double(params[i], "delta", 0, 50, &delta);
        if (r == 0) r = hm_param_u64(params[i], "h", 1, HM_SCHEME_MAX_CTX, &h);
        if (r == 0) r = hm_param_str(params[i], "seeding", seeding, sizeof seeding);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    if (strcmp(seeding, "lefthash") == 0) {
        st->seeding = SEED_LEFTHASH;
        st->h = h ? (uint32_t)h : 1;
    } else if (strcmp(seeding, "selfhash") == 0) {
        st->seeding = SEED_SELFHASH;
        st->h = h ? (uint32_t)h : 4;
    } else {
        for (i = 0; i < n; i++)
            if (strncmp(params[i], "seeding=", 8) == 0) *bad = i;
        return HM_E_RANGE;
    }
    hm_green_thr_init(&st->thr, gamma);
    st->delta = delta;
    s = hm_prf_init(&st->prf, secret, HM_PRF_SCHEME_KGW);
    if (s != HM_OK) return s;
    hm_prf_context(&st->prf, &st->empty, NULL, 0);
    if (st->seeding == SEED_SELFHASH) {
        uint32_t t;
        st->h1 = malloc((size_t)vocab * sizeof *st->h1);
        st->self_green = calloc((size_t)vocab / 8 + 1, 1);
        st->anchor = malloc((size_t)vocab * sizeof *st->anchor);
        if (!st->h1 || !st->self_green || !st->anchor) {
            free(st->h1);
            free(st->self_green);
            free(st->anchor);
            st->h1 = NULL;
            st->self_green = NULL;
            st->anchor = NULL;
            return HM_E_NOMEM;
        }
        for (t = 0; t < vocab; t++) {
            st->h1[t] = h1_of(&st->empty, t);
            hm_prf_context(&st->prf, &st->anchor[t], &t, 1);
            if (hm_green_of(&st->thr, &st->anchor[t], t))
                st->self_green[t >> 3] |= (uint8_t)(1u << (t & 7));
        }
    }
    return HM_OK;
}

static void kgw_destroy(void *stv)
{
    kgw_state *st = stv;
    free(st->h1);
    free(st->self_green);
    if (st->anchor) sodium_memzero(st->anchor, (size_t)st->vocab * sizeof *st->anchor);
    free(st->anchor);
    st->h1 = NULL;
    st->self_green = NULL;
    st->anchor = NULL;
    hm_prf_wipe(&st->prf);
    sodium_memzero(&st->empty, sizeof st->empty);
}

static size_t kgw_ctx_width(const void *stv)
{
    const kgw_state *st = stv;
    return st->seeding == SEED_SELFHASH ? st->h - 1 : st->h;
}

static int kgw_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_FULL;
}

static int kgw_prompt_in_context(const void *stv)
{
    (void)stv;
    return 1;
}

static void kgw_describe(const void *stv, char *buf, size_t cap)
{
    const kgw_state *st = stv;
    snprintf(buf, cap, "gamma=%.17g,delta=%.17g,seeding=%s,h=%u", st->thr.gamma, st->delta,
             st->seeding == SEED_SELFHASH ? "selfhash" : "lefthash", (unsigned)st->h);
}

/* H1 of a token, computed on the fly for ids beyond the table (detection
 * of ids from a larger vocabulary never indexes out of bounds). */
static uint32_t h1_lookup(const kgw_state *st, uint32_t t)
{
    return t < st->vocab ? st->h1[t] : h1_of(&st->empty, t);
}

/* The selfhash min-hash token m of the previous tokens (and its H1). */
static void min_hash(const kgw_state *st, const uint32_t *ctx, size_t nctx, kgw_step *sp)
{
    size_t i;
    /* the smallest (H1, id) pair, compared as one 64-bit number; h = 1: the
     * window is t alone (m = mk = UINT32_MAX) */
    uint64_t best = UINT64_MAX;
    for (i = 0; i < nctx; i++) {
        uint64_t c = (uint64_t)h1_lookup(st, ctx[i]) << 32 | ctx[i];
        best = c < best ? c : best;
    }
    sp->m_ctx = (uint32_t)best;
    sp->m_key = (uint32_t)(best >> 32);
}

static void step_init(const kgw_state *st, const uint32_t *ctx, size_t nctx, kgw_step *sp)
{
    if (st->seeding == SEED_LEFTHASH) {
        hm_prf_context(&st->prf, &sp->c, ctx, nctx);
        return;
    }
    min_hash(st, ctx, nctx, sp);
    /* the anchor's PRF state comes from the table (the same SipHash of
     * [m] the PRF defines; computed on the fly beyond the vocabulary and
     * for the empty window, m = UINT32_MAX, of h = 1) */
    if (sp->m_ctx < st->vocab)
        sp->c = st->anchor[sp->m_ctx];
    else
        hm_prf_context(&st->prf, &sp->c, &sp->m_ctx, 1);
}

/* Does the candidate itself win the window's min-hash? */
static int self_wins(const kgw_state *st, const kgw_step *sp, uint32_t t)
{
    uint32_t k = h1_lookup(st, t);
    return k < sp->m_key || (k == sp->m_key && t < sp->m_ctx);
}

static int self_green_of(const kgw_state *st, uint32_t t)
{
    if (t < st->vocab) return (st->self_green[t >> 3] >> (t & 7)) & 1;
    {
        hm_prf_ctx c;
        hm_prf_context(&st->prf, &c, &t, 1);
        return hm_green_of(&st->thr, &c, t);
    }
}

static int green_cb(const void *stv, const void *stepv, uint32_t t)
{
    const kgw_state *st = stv;
    const kgw_step *sp = stepv;
    uint8_t top[8];
    if (st->seeding == SEED_SELFHASH && self_wins(st, sp, t)) return self_green_of(st, t);
    /* the top byte decides alone unless it straddles gamma (never when
     * gamma * 256 is an integer): one hash instead of two */
    hm_prf_group_bytes(&sp->c, t >> 3, 0, top);
    return hm_green_with_top(&st->thr, &sp->c, t, top[t & 7]);
}

static int kgw_apply(const void *stv, const uint32_t *ctx, size_t nctx, float *logits,
                     size_t vocab)
{
    const kgw_state *st = stv;
    kgw_step sp;
    float d = (float)st->delta;
    size_t g, i;
    step_init(st, ctx, nctx, &sp);
    for (g = 0; g * 8 < vocab; g++) {
        uint8_t top[8];
        size_t base = g * 8, end = base + 8 < vocab ? base + 8 : vocab;
        hm_prf_group_bytes(&sp.c, (uint32_t)g, 0, top);
        for (i = base; i < end; i++) {
            uint32_t t = (uint32_t)i;
            int green;
            if (st->seeding == SEED_SELFHASH && self_wins(st, &sp, t))
                green = self_green_of(st, t);
            else
                green = hm_green_with_top(&st->thr, &sp.c, t, top[i - base]);
            if (green) logits[i] += d;
        }
    }
    return HM_OK;
}

static int kgw_apply_sparse(const void *stv, const uint32_t *ctx, size_t nctx, hm_cand *cands,
                            size_t n)
{
    const kgw_state *st = stv;
    kgw_step sp;
    step_init(st, ctx, nctx, &sp);
    hm_green_apply_sparse(cands, n, st->delta, green_cb, st, &sp);
    return HM_OK;
}

static int kgw_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                      hm_rng *rng, uint32_t *token)
{
    const kgw_state *st = stv;
    kgw_step sp;
    step_init(st, ctx, nctx, &sp);
    /* The bias is in units of raw logits, as if applied before temperature. */
    *token = hm_green_sample(cs, rng, st->delta * cs->inv_temp, green_cb, st, &sp);
    return HM_OK;
}

static void kgw_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                      hm_token_score *out)
{
    const kgw_state *st = stv;
    kgw_step sp;
    step_init(st, ctx, nctx, &sp);
    hm_green_score(green_cb(st, &sp, token), out);
}

/* The random variable behind kgw_score: for selfhash the pair (m, t), or t
 * alone when t wins its own window; for lefthash the whole tuple. */
static uint64_t kgw_score_key(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token)
{
    const kgw_state *st = stv;
    kgw_step sp;
    uint32_t pair[2];
    if (st->seeding != SEED_SELFHASH) return hm_tuple_key(hm_context_hash(ctx, nctx, 0, 0), token);
    min_hash(st, ctx, nctx, &sp); /* no PRF context needed for the key */
    pair[0] = self_wins(st, &sp, token) ? token : sp.m_ctx;
    pair[1] = token;
    return hm_context_hash(pair, 2, 0x53454C46u, 1); /* tagged: not a context key */
}

static double kgw_null_param(const void *stv)
{
    const kgw_state *st = stv;
    return st->thr.gamma;
}

const hm_scheme_ops hm_scheme_kgw = {
    .name = "kgw",
    .params_doc = "gamma (a number in (0, 1); default 0.25), delta (0 to 50; default 2), seeding (selfhash or lefthash; default selfhash), h (an integer from 1 to 64; default 4 for selfhash, 1 for lefthash)",
    .version = "kgw-v1",
    .kind = HM_KIND_LOGIT_BIAS,
    .test = HM_TEST_BINOMIAL,
    .needs_secret = 1,
    .init = kgw_init,
    .destroy = kgw_destroy,
    .ctx_width = kgw_ctx_width,
    .ctx_rule = kgw_ctx_rule,
    .prompt_in_context = kgw_prompt_in_context,
    .describe = kgw_describe,
    .apply = kgw_apply,
    .apply_sparse = kgw_apply_sparse,
    .sample = kgw_sample,
    .score = kgw_score,
    .null_param = kgw_null_param,
    .score_key = kgw_score_key,
    .default_dedup = 0,
    .default_skip_repeated = 0,
    .default_max_history = 0,
};
