/*
 * testutil.c - helpers shared by the unit tests: Zipf-shaped logits and a
 * generation loop through the embedding API.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "embed_internal.h"
#include "hallmark/error.h"
#include "sampler.h"

/* Zipf-shaped logits over V with a context-dependent permutation, so
 * generated text varies (a stand-in for a language model). */
void hm_test_zipf_logits(float *lg, size_t V, uint64_t seed, double s)
{
    size_t i;
    hm_rng r;
    hm_rng_seed(&r, seed);
    for (i = 0; i < V; i++) lg[i] = (float)(-s * log((double)(i + 1)));
    for (i = V - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(hm_rng_next(&r) % (i + 1));
        float t = lg[i];
        lg[i] = lg[j];
        lg[j] = t;
    }
}

/* Generates n tokens with `scheme` (or plainly when scheme is NULL). */
int hm_test_generate(const char *scheme, const uint8_t *secret, const char *const *params,
                     size_t np, size_t V, size_t n, uint64_t seed, uint32_t *out)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *lg = malloc(V * sizeof *lg);
    size_t i;
    int st = HM_OK;
    hm_sampling sp = hm_sampling_default();
    hm_rng plain;
    hm_candset cs;
    if (!lg) return HM_E_NOMEM;
    if (scheme) {
        st = hm_embedder_new_secret(&e, scheme, secret, params, np, (uint32_t)V, NULL);
        if (st == HM_OK) st = hm_session_new(e, &s);
        if (st == HM_OK) hm_session_set_seed(s, seed);
    } else {
        st = hm_candset_alloc(&cs, V);
        hm_rng_seed(&plain, seed);
    }
    for (i = 0; i < n && st == HM_OK; i++) {
        uint64_t ctxseed = seed * 1000003u + (i ? out[i - 1] : 7u);
        hm_test_zipf_logits(lg, V, ctxseed, 1.1);
        if (scheme) {
            st = hm_session_sample(s, lg, V, &sp, &out[i], NULL);
            if (st == HM_OK) st = hm_session_accept(s, out[i]);
        } else {
            st = hm_candset_from_dense(&cs, lg, V, &sp);
            out[i] = hm_candset_sample_plain(&cs, &plain);
        }
    }
    if (!scheme) hm_candset_release(&cs);
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
    return st;
}

