/*
 * mpac.c - "mpac", a multi-bit payload watermark after MPAC (Yoo et al.,
 * "Advancing Beyond Identification: Multi-bit Watermark for Large Language
 * Models", arXiv 2308.00221), both sides: the sampling rule and the
 * per-token score, plus the code the decoder (verify/payload.c) uses.
 *
 * The payload (B bits, default 32) is encoded by a rate-1/2 convolutional
 * code (K = 7, generators 171 and 133 octal, zero-terminated) into
 * L = B + 6 two-bit symbols.  At each position, the keyed PRF of the
 * previous h tokens picks a message position i in 0..L-1 (stream 1) and
 * colours the vocabulary into r = 4 lists (the top two bits of each
 * candidate's PRF value, stream 0, so one SipHash colours 8 tokens); the
 * list of symbol i gets the logit bias delta.  Detection with a known
 * payload ("payload=..." given) counts tokens in their position's target
 * list: Binomial(n, 1/4) under H0.  Decoding an unknown payload counts
 * colours per position and runs Viterbi over the code (docs/payload.md).
 */
#include "schemes/mpac.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "greenlist.h"
#include "hallmark/error.h"
#include "scheme.h"

#define G0 0171u
#define G1 0133u

typedef struct mpac_state {
    hm_prf prf;
    double delta;
    uint64_t payload;
    uint32_t bits, npos, h;
    uint8_t code[HM_MPAC_MAX_POS];
} mpac_state;

typedef struct mpac_step {
    hm_prf_ctx c;
    uint32_t target; /* colour of this position's symbol */
} mpac_step;

static unsigned parity7(unsigned x)
{
    x &= 0x7F;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return x & 1u;
}

void hm_mpac_encode(uint64_t payload, uint32_t bits, uint8_t *out)
{
    unsigned reg = 0;
    uint32_t j;
    for (j = 0; j < bits + HM_MPAC_TAIL; j++) {
        unsigned b = j < bits ? (unsigned)((payload >> j) & 1u) : 0u;
        reg = ((reg << 1) | b) & 0x7Fu;
        out[j] = (uint8_t)((parity7(reg & G0) << 1) | parity7(reg & G1));
    }
}

uint64_t hm_mpac_viterbi(const uint64_t (*counts)[HM_MPAC_COLOURS], uint32_t bits,
                         uint64_t *metric)
{
    /* metrics are integers (token counts); -1 marks unreachable states */
    int64_t m[64], nm[64];
    uint8_t from[HM_MPAC_MAX_POS][64]; /* the bit dropped when entering each state */
    uint32_t j, L = bits + HM_MPAC_TAIL;
    unsigned s, st;
    uint64_t payload = 0;
    for (s = 0; s < 64; s++) m[s] = -1;
    m[0] = 0;
    for (j = 0; j < L; j++) {
        unsigned maxbit = j < bits ? 1u : 0u, b;
        for (s = 0; s < 64; s++) nm[s] = -1;
        for (s = 0; s < 64; s++) {
            if (m[s] < 0) continue;
            for (b = 0; b <= maxbit; b++) {
                unsigned reg = ((s << 1) | b) & 0x7Fu, ns = reg & 0x3Fu;
                unsigned sym = (parity7(reg & G0) << 1) | parity7(reg & G1);
                int64_t v = m[s] + (int64_t)counts[j][sym];
                if (v > nm[ns]) {
                    nm[ns] = v;
                    from[j][ns] = (uint8_t)(s >> 5);
                }
            }
        }
        memcpy(m, nm, sizeof m);
    }
    *metric = (uint64_t)m[0];
    st = 0;
    for (j = L; j-- > 0;) {
        unsigned b = st & 1u;
        if (j < bits && b) payload |= (uint64_t)1 << j;
        st = (st >> 1) | ((unsigned)from[j][st] << 5);
    }
    return payload;
}

static int mpac_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                     uint32_t vocab, size_t *bad)
{
    mpac_state *st = stv;
    double delta = 2.0;
    uint64_t bits = 32, payload = 0, h = 2;
    size_t i;
    (void)vocab;
    for (i = 0; i < n; i++) {
        int r = hm_param_double(params[i], "delta", 0, 50, &delta);
        if (r == 0) r = hm_param_u64(params[i], "bits", 1, HM_MPAC_MAX_BITS, &bits);
        if (r == 0) r = hm_param_u64(params[i], "payload", 0, UINT64_MAX, &payload);
        if (r == 0) r = hm_param_u64(params[i], "h", 1, HM_SCHEME_MAX_CTX, &h);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    if (bits < 64 && (payload >> bits) != 0) {
        for (i = 0; i < n; i++)
            if (strncmp(params[i], "payload=", 8) == 0) *bad = i;
        return HM_E_RANGE;
    }
    st->delta = delta;
    st->bits = (uint32_t)bits;
    st->npos = (uint32_t)bits + HM_MPAC_TAIL;
    st->payload = payload;
    st->h = (uint32_t)h;
    hm_mpac_encode(payload, st->bits, st->code);
    return hm_prf_init(&st->prf, secret, HM_PRF_SCHEME_PAYLOAD);
}

static void mpac_destroy(void *stv)
{
    mpac_state *st = stv;
    hm_prf_wipe(&st->prf);
}

static size_t mpac_ctx_width(const void *stv)
{
    const mpac_state *st = stv;
    return st->h;
}

static int mpac_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_FULL;
}

static int mpac_prompt_in_context(const void *stv)
{
    (void)stv;
    return 1;
}

static void mpac_describe(const void *stv, char *buf, size_t cap)
{
    const mpac_state *st = stv;
    /* parseable: every item is a parameter (colours = 4 and the K = 7
     * code are fixed by the version "mpac-v1") */
    snprintf(buf, cap, "bits=%u,payload=0x%llx,delta=%.17g,h=%u",
             (unsigned)st->bits, (unsigned long long)st->payload, st->delta, (unsigned)st->h);
}

/* Message position of a context: stream 1 of candidate 0. */
static uint32_t position_of(const mpac_state *st, const hm_prf_ctx *c)
{
    return (uint32_t)(hm_prf_value(c, 0, 1) % st->npos);
}

static uint32_t colour_of(const hm_prf_ctx *c, uint32_t t)
{
    uint8_t top[8];
    hm_prf_group_bytes(c, t >> 3, 0, top);
    return (uint32_t)(top[t & 7] >> 6);
}

static void step_init(const mpac_state *st, const uint32_t *ctx, size_t nctx, mpac_step *sp)
{
    hm_prf_context(&st->prf, &sp->c, ctx, nctx);
    sp->target = st->code[position_of(st, &sp->c)];
}

void hm_mpac_locate(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t t, uint32_t *pos,
                    uint32_t *colour)
{
    const mpac_state *st = stv;
    hm_prf_ctx c;
    hm_prf_context(&st->prf, &c, ctx, nctx);
    *pos = position_of(st, &c);
    *colour = colour_of(&c, t);
}

uint32_t hm_mpac_bits(const void *stv) { return ((const mpac_state *)stv)->bits; }
uint32_t hm_mpac_positions(const void *stv) { return ((const mpac_state *)stv)->npos; }

static int target_cb(const void *stv, const void *stepv, uint32_t t)
{
    const mpac_step *sp = stepv;
    (void)stv;
    return colour_of(&sp->c, t) == sp->target;
}

static int mpac_apply(const void *stv, const uint32_t *ctx, size_t nctx, float *logits,
                      size_t vocab)
{
    const mpac_state *st = stv;
    mpac_step sp;
    float d = (float)st->delta;
    size_t g, i;
    step_init(st, ctx, nctx, &sp);
    for (g = 0; g * 8 < vocab; g++) {
        uint8_t top[8];
        size_t base = g * 8, end = base + 8 < vocab ? base + 8 : vocab;
        hm_prf_group_bytes(&sp.c, (uint32_t)g, 0, top);
        for (i = base; i < end; i++)
            if ((uint32_t)(top[i - base] >> 6) == sp.target) logits[i] += d;
    }
    return HM_OK;
}

static int mpac_apply_sparse(const void *stv, const uint32_t *ctx, size_t nctx, hm_cand *cands,
                             size_t n)
{
    const mpac_state *st = stv;
    mpac_step sp;
    step_init(st, ctx, nctx, &sp);
    hm_green_apply_sparse(cands, n, st->delta, target_cb, st, &sp);
    return HM_OK;
}

static int mpac_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                       hm_rng *rng, uint32_t *token)
{
    const mpac_state *st = stv;
    mpac_step sp;
    step_init(st, ctx, nctx, &sp);
    *token = hm_green_sample(cs, rng, st->delta * cs->inv_temp, target_cb, st, &sp);
    return HM_OK;
}

static void mpac_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                       hm_token_score *out)
{
    const mpac_state *st = stv;
    mpac_step sp;
    step_init(st, ctx, nctx, &sp);
    hm_green_score(target_cb(st, &sp, token), out);
}

static double mpac_null_param(const void *stv)
{
    (void)stv;
    return 1.0 / HM_MPAC_COLOURS;
}

const hm_scheme_ops hm_scheme_mpac = {
    .name = "mpac",
    .params_doc = "delta (0 to 50; default 2), bits (an integer from 1 to 64; default 32), payload (an integer below 2^bits; default 0), h (an integer from 1 to 64; default 2)",
    .version = "mpac-v1",
    .kind = HM_KIND_LOGIT_BIAS,
    .test = HM_TEST_BINOMIAL,
    .needs_secret = 1,
    .init = mpac_init,
    .destroy = mpac_destroy,
    .ctx_width = mpac_ctx_width,
    .ctx_rule = mpac_ctx_rule,
    .prompt_in_context = mpac_prompt_in_context,
    .describe = mpac_describe,
    .apply = mpac_apply,
    .apply_sparse = mpac_apply_sparse,
    .sample = mpac_sample,
    .score = mpac_score,
    .null_param = mpac_null_param,
    .default_dedup = 0,
    .default_skip_repeated = 0,
    .default_max_history = 0,
};
