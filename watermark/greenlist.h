/*
 * greenlist.h - machinery shared by the green-list schemes (kgw, unigram):
 * membership from the PRF with the top-byte prefilter, and exact sampling
 * from the biased distribution p(v) e^{delta g(v)} / Z (private header).
 */
#ifndef HM_GREENLIST_H
#define HM_GREENLIST_H

#include <stdint.h>

#include "prf.h"
#include "sampler.h"

/* Membership threshold: token t is green after a context iff
 * hm_prf_unit(value) < gamma.  The top byte b of value decides alone when
 * b < green_below (all of b's values are green) or b >= red_from. */
typedef struct hm_green_thr {
    double gamma;
    unsigned green_below;
    unsigned red_from;
} hm_green_thr;

void hm_green_thr_init(hm_green_thr *thr, double gamma);

/* Membership of t when its top byte is known / unknown. */
int hm_green_with_top(const hm_green_thr *thr, const hm_prf_ctx *c, uint32_t t, uint8_t top);
int hm_green_of(const hm_green_thr *thr, const hm_prf_ctx *c, uint32_t t);

/* Membership of candidate token t at this step (a scheme callback). */
typedef int (*hm_green_fn)(const void *scheme_state, const void *step, uint32_t token);

/* Samples exactly from p(v) e^{delta g(v)} / Z over the candidate set:
 * rejection sampling (propose v ~ p, accept green always and red with
 * probability e^{-delta}) for a bounded number of tries, then the direct
 * method (bias every candidate, draw).  Both give the same distribution;
 * only the RNG consumption differs.  Returns the token. */
uint32_t hm_green_sample(hm_candset *cs, hm_rng *rng, double delta, hm_green_fn fn,
                         const void *scheme_state, const void *step);

/* Adds delta to the logit of every green candidate of cands[0..n). */
void hm_green_apply_sparse(hm_cand *cands, size_t n, double delta, hm_green_fn fn,
                           const void *scheme_state, const void *step);

struct hm_token_score;
/* Fills a per-token score for green-list schemes: value = weight = green. */
void hm_green_score(int green, struct hm_token_score *out);

#endif /* HM_GREENLIST_H */
