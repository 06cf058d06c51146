/*
 * sampler.h - candidate sets and plain sampling (private header).
 *
 * A candidate set is the next-token distribution after temperature and the
 * truncation filters, held in scratch arrays that a session allocates once
 * (capacity = vocabulary size), so no step allocates.  It is either dense
 * (ids == NULL: candidate i is token i) or sparse (ids[i] is the token).
 * The plain sampler here is the baseline that `hallmark bench embed`
 * compares every scheme against, and what a session falls back to at
 * positions it leaves unmarked.
 */
#ifndef HM_SAMPLER_H
#define HM_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "hallmark/embed.h"

/* Sampling randomness (not keyed): xoshiro256**, seeded from the OS RNG or
 * from a caller seed for reproducible runs.  The watermark's security rests
 * on the keyed PRF only; this RNG plays the part of the engine's ordinary
 * sampling RNG. */
typedef struct hm_rng {
    uint64_t s[4];
} hm_rng;

void hm_rng_seed(hm_rng *rng, uint64_t seed);
uint64_t hm_rng_next(hm_rng *rng);
/* Uniform double in (0, 1). */
double hm_rng_unit(hm_rng *rng);

typedef struct hm_candset {
    size_t n;       /* live candidates */
    size_t cap;     /* capacity of the arrays */
    uint32_t *ids;  /* NULL for dense sets; else the token of each candidate */
    float *lg;      /* logit / temperature (NaN already mapped to -inf) */
    float *p;       /* probabilities, valid when have_p */
    double *cdf;    /* cumulative probabilities, valid when have_cdf */
    uint32_t *ids_buf; /* scratch owned by the session */
    uint8_t *top;   /* scratch: one byte per candidate for schemes' prefilters */
    int greedy;     /* temperature 0: take the argmax, unmarked */
    float inv_temp; /* 1 / temperature (1 when greedy) */
    float temperature;     /* as given */
    const float *raw;      /* the caller's dense logits (dense input), else NULL */
    const hm_cand *raw_sparse; /* the caller's candidates (sparse input), else NULL */
    size_t raw_n;          /* length of the caller's input */
    unsigned char *scratch; /* per-session scratch for the scheme (ops->scratch_size) */
    int have_p, have_cdf;
    float lg_max;   /* max of lg over live candidates */
    size_t argmax;  /* index of the first maximum */
} hm_candset;

/* Allocates arrays for `cap` candidates.  Returns HM_OK or HM_E_NOMEM. */
int hm_candset_alloc(hm_candset *cs, size_t cap);
void hm_candset_release(hm_candset *cs);

/* Fills the set from dense logits (length vocab <= cap) or a sparse
 * candidate array, then applies temperature, top-k, top-p and min-p in
 * that order.  Returns HM_OK, HM_E_MISUSE or HM_E_RANGE (bad parameters,
 * or no finite logit). */
int hm_candset_from_dense(hm_candset *cs, const float *logits, size_t vocab,
                          const hm_sampling *params);
int hm_candset_from_sparse(hm_candset *cs, const hm_cand *cands, size_t n,
                           const hm_sampling *params);

/* Token id of candidate i. */
static inline uint32_t hm_candset_id(const hm_candset *cs, size_t i)
{
    return cs->ids ? cs->ids[i] : (uint32_t)i;
}

/* Keeps the k candidates with the largest lg (in no particular order). */
void hm_candset_top_k(hm_candset *cs, size_t k);

/* Computes probabilities (softmax of lg) / the cumulative distribution. */
void hm_candset_probs(hm_candset *cs);
void hm_candset_cdf(hm_candset *cs);

/* Plain draw: inverse CDF by linear scan (the baseline), or by binary
 * search over the cumulative distribution (for repeated draws).  Return
 * the candidate index. */
size_t hm_candset_draw_linear(hm_candset *cs, hm_rng *rng);
size_t hm_candset_draw_cdf(hm_candset *cs, hm_rng *rng);

/* The plain sampler end to end: greedy when temperature is 0, else a
 * linear inverse-CDF draw.  Returns the token. */
uint32_t hm_candset_sample_plain(hm_candset *cs, hm_rng *rng);

#endif /* HM_SAMPLER_H */
