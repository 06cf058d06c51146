/*
 * greenlist.c - green-list membership with the PRF's top-byte prefilter,
 * and exact sampling from a green-biased distribution.
 */
#include "greenlist.h"
#include "scheme.h"

#include <math.h>

void hm_green_thr_init(hm_green_thr *thr, double gamma)
{
    double g256 = gamma * 256.0;
    thr->gamma = gamma;
    /* every value with top byte b lies in (b/256, (b+1)/256) as a unit */
    thr->green_below = (unsigned)floor(g256);
    thr->red_from = (unsigned)ceil(g256);
}

int hm_green_with_top(const hm_green_thr *thr, const hm_prf_ctx *c, uint32_t t, uint8_t top)
{
    if (top < thr->green_below) return 1;
    if (top >= thr->red_from) return 0;
    return hm_prf_unit(hm_prf_value_with_top(c, t, 0, top)) < thr->gamma;
}

int hm_green_of(const hm_green_thr *thr, const hm_prf_ctx *c, uint32_t t)
{
    return hm_prf_unit(hm_prf_value(c, t, 0)) < thr->gamma;
}

#define HM_GREEN_MAX_TRIES 48

uint32_t hm_green_sample(hm_candset *cs, hm_rng *rng, double delta, hm_green_fn fn,
                         const void *scheme_state, const void *step)
{
    double accept_red = exp(-delta);
    size_t i, tries;
    /* Rejection sampling needs about e^delta / (1 + (e^delta - 1) G) tries,
     * G being the green mass: a few for delta <= 4.  Larger biases go
     * straight to the direct method. */
    if (delta <= 4.0) {
        for (tries = 0; tries < HM_GREEN_MAX_TRIES; tries++) {
            size_t k = hm_candset_draw_cdf(cs, rng);
            uint32_t t = hm_candset_id(cs, k);
            if (fn(scheme_state, step, t)) return t;
            if (hm_rng_unit(rng) < accept_red) return t;
        }
    }
    /* Direct method: bias every candidate, renormalize, draw. */
    for (i = 0; i < cs->n; i++)
        if (cs->lg[i] > -INFINITY && fn(scheme_state, step, hm_candset_id(cs, i)))
            cs->lg[i] += (float)delta;
    cs->have_p = cs->have_cdf = 0;
    cs->lg_max = -INFINITY;
    for (i = 0; i < cs->n; i++)
        if (cs->lg[i] > cs->lg_max) {
            cs->lg_max = cs->lg[i];
            cs->argmax = i;
        }
    return hm_candset_id(cs, hm_candset_draw_linear(cs, rng));
}

void hm_green_apply_sparse(hm_cand *cands, size_t n, double delta, hm_green_fn fn,
                           const void *scheme_state, const void *step)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (fn(scheme_state, step, (uint32_t)cands[i].id)) cands[i].logit += (float)delta;
}

void hm_green_score(int green, hm_token_score *out)
{
    out->green = green;
    out->value = green;
    out->weight = out->value;
    out->u = NAN;
    out->gbits = 0;
    out->layers = 1;
}
