/*
 * gumbel.c - the Aaronson / Gumbel-max ("exponential minimum") watermark,
 * both sides.  Sampling: with u_v the Hallmark PRF's uniform for (previous
 * h tokens, v), choose argmax_v (logit_v / T + G(u_v)), G(u) = -ln(-ln u):
 * Gumbel-max, so each token is drawn from the model's distribution
 * (distortion-free over keys).  Score: s = -ln(1 - u) of the chosen token;
 * under H0 the sum over n distinct tuples is Gamma(n, 1).
 *
 * Exact pruning: a candidate's top PRF byte b bounds u, hence G, to
 * [G_lo[b], G_hi[b]].  One pass over V/8 group hashes gives every bound;
 * only candidates whose upper bound reaches the best lower bound are
 * finished with a second hash.  The chosen token is the same, bit for bit,
 * as with every u computed in full (docs/prf.md, docs/schemes.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hallmark/error.h"
#include "scheme.h"

typedef struct gumbel_state {
    hm_prf prf;
    uint32_t h;
    double g_lo[256], g_hi[256];
} gumbel_state;

static double gumbel_of(double u) { return -log(-log(u)); }

static int gumbel_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                       uint32_t vocab, size_t *bad)
{
    gumbel_state *st = stv;
    uint64_t h = 4;
    size_t i;
    int b;
    (void)vocab;
    for (i = 0; i < n; i++) {
        int r = hm_param_u64(params[i], "h", 1, HM_SCHEME_MAX_CTX, &h);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    st->h = (uint32_t)h;
    for (b = 0; b < 256; b++) {
        uint64_t lo = (uint64_t)b << 56, hi = lo | 0x00FFFFFFFFFFFFFFULL;
        st->g_lo[b] = gumbel_of(hm_prf_unit(lo));
        st->g_hi[b] = gumbel_of(hm_prf_unit(hi));
    }
    return hm_prf_init(&st->prf, secret, HM_PRF_SCHEME_GUMBEL);
}

static void gumbel_destroy(void *stv)
{
    gumbel_state *st = stv;
    hm_prf_wipe(&st->prf);
}

static size_t gumbel_ctx_width(const void *stv)
{
    const gumbel_state *st = stv;
    return st->h;
}

static int gumbel_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_FULL;
}

static int gumbel_prompt_in_context(const void *stv)
{
    (void)stv;
    return 1;
}

static void gumbel_describe(const void *stv, char *buf, size_t cap)
{
    const gumbel_state *st = stv;
    snprintf(buf, cap, "h=%u", (unsigned)st->h);
}

static int gumbel_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                         hm_rng *rng, uint32_t *token)
{
    const gumbel_state *st = stv;
    hm_prf_ctx c;
    double best_lo = -INFINITY, best = -INFINITY;
    uint32_t best_id = UINT32_MAX;
    size_t i;
    (void)rng;
    hm_prf_context(&st->prf, &c, ctx, nctx);
    /* Pass 1: top bytes and the best lower bound. */
    if (!cs->ids) {
        for (i = 0; i < cs->n; i += 8) {
            size_t j, end = i + 8 < cs->n ? i + 8 : cs->n;
            hm_prf_group_bytes(&c, (uint32_t)(i >> 3), 0, cs->top + i);
            for (j = i; j < end; j++) {
                double lo = (double)cs->lg[j] + st->g_lo[cs->top[j]];
                if (lo > best_lo) best_lo = lo;
            }
        }
    } else {
        uint32_t last_group = UINT32_MAX;
        uint8_t gb[8] = {0};
        for (i = 0; i < cs->n; i++) {
            uint32_t t = cs->ids[i];
            double lo;
            if ((t >> 3) != last_group) {
                last_group = t >> 3;
                hm_prf_group_bytes(&c, last_group, 0, gb);
            }
            cs->top[i] = gb[t & 7];
            lo = (double)cs->lg[i] + st->g_lo[cs->top[i]];
            if (lo > best_lo) best_lo = lo;
        }
    }
    /* Pass 2: finish only the candidates that can still win. */
    for (i = 0; i < cs->n; i++) {
        double v;
        uint32_t t;
        if ((double)cs->lg[i] + st->g_hi[cs->top[i]] < best_lo) continue;
        t = hm_candset_id(cs, i);
        v = (double)cs->lg[i] + gumbel_of(hm_prf_unit(hm_prf_value_with_top(&c, t, 0, cs->top[i])));
        if (v > best || (v == best && t < best_id)) {
            best = v;
            best_id = t;
        }
    }
    if (best_id == UINT32_MAX) return HM_E_RANGE;
    *token = best_id;
    return HM_OK;
}

static void gumbel_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                         hm_token_score *out)
{
    const gumbel_state *st = stv;
    hm_prf_ctx c;
    hm_prf_context(&st->prf, &c, ctx, nctx);
    out->u = hm_prf_unit(hm_prf_value(&c, token, 0));
    out->value = -log1p(-out->u);
    out->weight = out->value;
    out->green = 0;
    out->gbits = 0;
    out->layers = 1;
}

static double gumbel_null_param(const void *stv)
{
    (void)stv;
    return 0;
}

const hm_scheme_ops hm_scheme_gumbel = {
    .name = "gumbel",
    .params_doc = "h (an integer from 1 to 64; default 4)",
    .version = "gumbel-v1",
    .kind = HM_KIND_SAMPLING,
    .test = HM_TEST_GAMMA,
    .needs_secret = 1,
    .init = gumbel_init,
    .destroy = gumbel_destroy,
    .ctx_width = gumbel_ctx_width,
    .ctx_rule = gumbel_ctx_rule,
    .prompt_in_context = gumbel_prompt_in_context,
    .describe = gumbel_describe,
    .apply = NULL,
    .apply_sparse = NULL,
    .sample = gumbel_sample,
    .score = gumbel_score,
    .null_param = gumbel_null_param,
    .default_dedup = 0,
    .default_skip_repeated = 0,
    .default_max_history = 0,
};
