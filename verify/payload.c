/*
 * payload.c - single-pass decoding of the "mpac" multi-bit payload: the
 * detector's context rule and deduplication, per-position colour counts,
 * Viterbi over the convolutional code, the exact binomial tail with a
 * union bound over all 2^(B+C) codewords (is there a watermark?) and the
 * keyed check (is it this payload?) (docs/payload.md).
 */
#include "hallmark/payload.h"

#include <math.h>
#include <string.h>

#include "context.h"
#include "dedup.h"
#include "detect_internal.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "scheme.h"
#include "schemes/mpac.h"

int hm_payload_decode(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                      const uint32_t *ids, size_t n, hm_payload_result *res)
{
    const hm_scheme_ops *ops;
    const void *st;
    size_t width, i;
    int rule, pic, dedup;
    uint32_t pad;
    hm_ctxbuf cb;
    hm_u64set seen;
    uint64_t counts[HM_MPAC_MAX_POS][HM_MPAC_COLOURS];
    uint64_t metric = 0, scored = 0;
    uint32_t L, bits, check, j;
    uint64_t word, mask;
    if (!d || !res || (n && !ids) || (n_prompt && !prompt)) return HM_E_MISUSE;
    ops = hm_detector_internals(d, &st, &width, &rule, &pad, &pic, &dedup);
    if (!ops || strcmp(ops->name, "mpac") != 0) return HM_E_UNSUPPORTED;
    bits = hm_mpac_bits(st);
    check = hm_mpac_check_bits(st);
    L = hm_mpac_positions(st);
    memset(counts, 0, sizeof counts);
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    if (hm_u64set_init(&seen, n) != 0) return HM_E_NOMEM;
    hm_ctxbuf_reset(&cb);
    if (pic)
        for (i = 0; i < n_prompt; i++) hm_ctxbuf_push(&cb, prompt[i]);
    for (i = 0; i < n; i++) {
        uint32_t t = ids[i], ctx[HM_SCHEME_MAX_CTX], pos, colour;
        size_t nctx = 0;
        int keep = hm_ctxbuf_context(&cb, width, rule, pad, ctx, &nctx);
        if (keep && dedup != HM_DEDUP_NONE) {
            uint64_t ck = hm_scheme_ctx_key(ops, st, ctx, nctx);
            uint64_t key = dedup == HM_DEDUP_TUPLE ? hm_tuple_key(ck, t) : ck;
            int added = hm_u64set_add(&seen, key);
            if (added < 0) {
                hm_u64set_free(&seen);
                return HM_E_NOMEM;
            }
            keep = added;
        }
        if (keep) {
            hm_mpac_locate(st, ctx, nctx, t, &pos, &colour);
            counts[pos][colour]++;
            scored++;
        }
        hm_ctxbuf_push(&cb, t);
    }
    hm_u64set_free(&seen);
    word = hm_mpac_viterbi((const uint64_t(*)[HM_MPAC_COLOURS])counts, bits + check, &metric);
    mask = bits < 64 ? ((uint64_t)1 << bits) - 1 : UINT64_MAX;
    res->payload = word & mask;
    res->check_ok = check > 0 && (bits < 64 ? word >> bits : 0) == hm_mpac_tag(st, res->payload);
    res->bits = bits;
    res->check_bits = check;
    res->positions = L;
    res->n_tokens = n;
    res->n_scored = scored;
    res->agreement = metric;
    for (j = 0; j < L; j++)
        if (counts[j][0] + counts[j][1] + counts[j][2] + counts[j][3]) res->positions_seen++;
    /* is there a watermark: each fixed codeword's agreement is exactly
     * Binomial(n, 1/4) under H0.  Two union bounds, each at half the
     * level: over the 2^B valid codewords (payload with its check) when
     * the decoded word is valid - it is then the best valid one - and
     * over all 2^(B+C) words otherwise (docs/payload.md) */
    res->ln_p_watermark = scored ? hm_stats_binom_logsf((long)metric, (long)scored, 0.25) : 0.0;
    res->ln_p_watermark += (double)(1 + bits + (res->check_ok ? 0 : check)) * log(2.0);
    if (!(res->ln_p_watermark < 0)) res->ln_p_watermark = 0;
    /* is it this payload: under "another payload or none" the check of the
     * decoded payload is a PRF output the text does not depend on, so it
     * matches with probability 2^-C; the max keeps the none case at the
     * watermark test's level too (docs/payload.md) */
    if (res->check_ok) {
        double ln_chk = -(double)check * log(2.0);
        res->ln_p_payload = res->ln_p_watermark > ln_chk ? res->ln_p_watermark : ln_chk;
    } else {
        res->ln_p_payload = 0;
    }
    res->log10_p_watermark = res->ln_p_watermark / log(10.0);
    res->log10_p_payload = res->ln_p_payload / log(10.0);
    return HM_OK;
}

int hm_payload_outcome(const hm_payload_result *res, double alpha)
{
    double la;
    if (!res || !(alpha > 0 && alpha < 1)) return -1;
    la = log(alpha);
    if (!(res->ln_p_watermark <= la)) return HM_PAYLOAD_NO_WATERMARK;
    if (res->check_ok && res->ln_p_payload <= la) return HM_PAYLOAD_FOUND;
    return HM_PAYLOAD_UNDETERMINED;
}

const char *hm_payload_outcome_name(int outcome)
{
    switch (outcome) {
    case HM_PAYLOAD_NO_WATERMARK: return "no_watermark";
    case HM_PAYLOAD_UNDETERMINED: return "undetermined";
    case HM_PAYLOAD_FOUND: return "found";
    default: return NULL;
    }
}
