/*
 * embed_internal.h - the embedder and session structures (private), shared
 * by embed.c, detect.c and the tests.
 */
#ifndef HM_EMBED_INTERNAL_H
#define HM_EMBED_INTERNAL_H

#include "context.h"
#include "hallmark/embed.h"
#include "sampler.h"
#include "scheme.h"

struct hm_embedder {
    const hm_scheme_ops *ops;
    _Alignas(16) unsigned char st[HM_SCHEME_STATE_BYTES];
    uint32_t vocab;
    size_t width;
    hm_scheme_rules rules; /* the scheme's rules, with generic overrides applied */
    int initialized; /* ops->init succeeded: destroy() is owed */
    /* Keys hm_embedder_blind(): from the watermark secret, or for the
     * engine-keyed schemes from their parameters (which hold the key). */
    uint8_t blind_key[16];
};

struct hm_session {
    const hm_embedder *e;
    hm_ctxbuf cb;
    hm_seen seen;
    hm_candset cs;
    hm_rng rng;
    uint64_t n_generated;
    uint64_t n_marked;
};

/* hm_embedder_new with a raw 32-byte secret (tests, detection, interop). */
/* A keyed 64-bit id for a public 64-bit hash (SipHash-2-4 under a key
 * derived from the embedder's key): equal hashes give equal ids, and
 * without the key an id cannot be linked to the text it came from.  Used
 * for what is written to disk, e.g. the tuples of scan shards. */
uint64_t hm_embedder_blind(const hm_embedder *e, uint64_t hash);

int hm_embedder_new_secret(hm_embedder **out, const char *scheme, const uint8_t *secret,
                           const char *const *params, size_t n_params, uint32_t vocab,
                           int *bad_param);

#endif /* HM_EMBED_INTERNAL_H */
