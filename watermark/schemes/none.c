/*
 * none.c - the "none" scheme: plain sampling through the embedding API,
 * with no watermark.  It is the control for `hallmark generate
 * --no-watermark` and the baseline that `hallmark bench embed` measures
 * every scheme against, on the same logits and the same code path.
 * Detection refuses it (there is nothing to test).
 */
#include <math.h>

#include "hallmark/error.h"
#include "scheme.h"

static int none_init(void *st, const uint8_t *secret, const char *const *params, size_t n,
                     uint32_t vocab, size_t *bad)
{
    (void)st;
    (void)secret;
    (void)params;
    (void)vocab;
    if (n > 0) {
        *bad = 0;
        return HM_E_NOTFOUND;
    }
    return HM_OK;
}

static size_t none_ctx_width(const void *st)
{
    (void)st;
    return 0;
}

static int none_ctx_rule(const void *st)
{
    (void)st;
    return HM_CTX_FULL;
}

static int none_prompt_in_context(const void *st)
{
    (void)st;
    return 1;
}

static void none_describe(const void *st, char *buf, size_t cap)
{
    (void)st;
    if (cap) buf[0] = 0;
}

static int none_sample(const void *st, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                       hm_rng *rng, uint32_t *token)
{
    (void)st;
    (void)ctx;
    (void)nctx;
    *token = hm_candset_sample_plain(cs, rng);
    return HM_OK;
}

static double none_null_param(const void *st)
{
    (void)st;
    return 0;
}

const hm_scheme_ops hm_scheme_none = {
    .name = "none",
    .params_doc = "(no parameters)",
    .version = "none",
    .kind = HM_KIND_SAMPLING,
    .test = 0,
    .needs_secret = 0,
    .init = none_init,
    .ctx_width = none_ctx_width,
    .ctx_rule = none_ctx_rule,
    .prompt_in_context = none_prompt_in_context,
    .describe = none_describe,
    .sample = none_sample,
    .score = NULL,
    .null_param = none_null_param,
};
