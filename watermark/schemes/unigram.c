/*
 * unigram.c - the Unigram watermark (Zhao et al., arXiv 2306.17439), both
 * sides: one context-free green list (token t is green iff the PRF's
 * uniform for (empty context, t) is below gamma), a logit bias delta, and
 * the per-token green score.  The list is computed once per embedder as a
 * bitmap, so every step is a table lookup.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "greenlist.h"
#include "hallmark/error.h"
#include "scheme.h"

typedef struct unigram_state {
    hm_prf prf;
    hm_green_thr thr;
    double delta;
    uint32_t vocab;
    uint8_t *green; /* bitmap over the vocabulary */
} unigram_state;

static int is_green(const unigram_state *st, uint32_t t)
{
    if (t < st->vocab) return (st->green[t >> 3] >> (t & 7)) & 1;
    {
        hm_prf_ctx c;
        hm_prf_context(&st->prf, &c, NULL, 0);
        return hm_green_of(&st->thr, &c, t);
    }
}

static int unigram_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                        uint32_t vocab, size_t *bad)
{
    unigram_state *st = stv;
    double gamma = 0.5, delta = 2.0;
    size_t i;
    uint32_t g;
    hm_prf_ctx c;
    int s;
    for (i = 0; i < n; i++) {
        int r = hm_param_double(params[i], "gamma", 1e-6, 1 - 1e-6, &gamma);
        if (r == 0) r = hm_param_double(params[i], "delta", 0, 50, &delta);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    hm_green_thr_init(&st->thr, gamma);
    st->delta = delta;
    st->vocab = vocab;
    s = hm_prf_init(&st->prf, secret, HM_PRF_SCHEME_UNIGRAM);
    if (s != HM_OK) return s;
    st->green = calloc((size_t)vocab / 8 + 1, 1);
    if (!st->green) return HM_E_NOMEM;
    hm_prf_context(&st->prf, &c, NULL, 0);
    for (g = 0; (size_t)g * 8 < vocab; g++) {
        uint8_t top[8];
        uint32_t t;
        hm_prf_group_bytes(&c, g, 0, top);
        for (t = g * 8; t < g * 8 + 8 && t < vocab; t++)
            if (hm_green_with_top(&st->thr, &c, t, top[t - g * 8]))
                st->green[t >> 3] |= (uint8_t)(1u << (t & 7));
    }
    return HM_OK;
}

static void unigram_destroy(void *stv)
{
    unigram_state *st = stv;
    free(st->green);
    st->green = NULL;
    hm_prf_wipe(&st->prf);
}

static size_t unigram_ctx_width(const void *stv)
{
    (void)stv;
    return 0;
}

static int unigram_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_FULL;
}

static int unigram_prompt_in_context(const void *stv)
{
    (void)stv;
    return 1;
}

static void unigram_describe(const void *stv, char *buf, size_t cap)
{
    const unigram_state *st = stv;
    snprintf(buf, cap, "gamma=%.17g,delta=%.17g", st->thr.gamma, st->delta);
}

static int green_cb(const void *stv, const void *step, uint32_t t)
{
    (void)step;
    return is_green(stv, t);
}

static int unigram_apply(const void *stv, const uint32_t *ctx, size_t nctx, float *logits,
                         size_t vocab)
{
    const unigram_state *st = stv;
    float d = (float)st->delta;
    size_t i;
    (void)ctx;
    (void)nctx;
    for (i = 0; i < vocab; i++)
        if ((st->green[i >> 3] >> (i & 7)) & 1) logits[i] += d;
    return HM_OK;
}

static int unigram_apply_sparse(const void *stv, const uint32_t *ctx, size_t nctx,
                                hm_cand *cands, size_t n)
{
    const unigram_state *st = stv;
    size_t i;
    (void)ctx;
    (void)nctx;
    for (i = 0; i < n; i++)
        if (is_green(st, (uint32_t)cands[i].id)) cands[i].logit += (float)st->delta;
    return HM_OK;
}

static int unigram_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                          hm_rng *rng, uint32_t *token)
{
    const unigram_state *st = stv;
    (void)ctx;
    (void)nctx;
    *token = hm_green_sample(cs, rng, st->delta * cs->inv_temp, green_cb, st, NULL);
    return HM_OK;
}

static void unigram_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                          hm_token_score *out)
{
    (void)ctx;
    (void)nctx;
    hm_green_score(is_green(stv, token), out);
}

static double unigram_null_param(const void *stv)
{
    const unigram_state *st = stv;
    return st->thr.gamma;
}

const hm_scheme_ops hm_scheme_unigram = {
    .name = "unigram",
    .params_doc = "gamma (a number in (0, 1); default 0.5), delta (0 to 50; default 2)",
    .version = "unigram-v1",
    .kind = HM_KIND_LOGIT_BIAS,
    .test = HM_TEST_BINOMIAL,
    .needs_secret = 1,
    .init = unigram_init,
    .destroy = unigram_destroy,
    .ctx_width = unigram_ctx_width,
    .ctx_rule = unigram_ctx_rule,
    .prompt_in_context = unigram_prompt_in_context,
    .describe = unigram_describe,
    .apply = unigram_apply,
    .apply_sparse = unigram_apply_sparse,
    .sample = unigram_sample,
    .score = unigram_score,
    .null_param = unigram_null_param,
    .default_dedup = 0,
    .default_skip_repeated = 0,
    .default_max_history = 0,
};
