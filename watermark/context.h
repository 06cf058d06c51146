/*
 * context.h - the context rule shared by embedding and detection (private).
 *
 * hm_ctxbuf keeps the last HM_SCHEME_MAX_CTX tokens of a sequence and turns
 * them into a scheme's context under its rule (enum hm_ctx_rule).  hm_seen
 * is a bounded set of recent context hashes (FIFO eviction) for
 * repeated-context skipping during generation.  Both are fixed-size after
 * creation: no allocation per token.
 */
#ifndef HM_CONTEXT_H
#define HM_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "scheme.h"

typedef struct hm_ctxbuf {
    uint32_t ring[HM_SCHEME_MAX_CTX];
    uint64_t count; /* tokens pushed so far */
} hm_ctxbuf;

void hm_ctxbuf_reset(hm_ctxbuf *cb);
void hm_ctxbuf_push(hm_ctxbuf *cb, uint32_t token);

/* Writes the context for the next position into out (width entries at
 * most) and its length into *nctx; HM_CTX_PAD fills missing tokens with pad.  Returns 1 when the position can carry
 * the mark under `rule`, 0 when the rule leaves it unmarked/unscored. */
int hm_ctxbuf_context(const hm_ctxbuf *cb, size_t width, int rule, uint32_t pad, uint32_t *out,
                      size_t *nctx);

/* The hashes below run for every scored position of a scan: they are
 * inline.  mix64 is the SplitMix64 finalizer. */
static inline uint64_t hm_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A 64-bit hash of a context (for the seen-set and deduplication; not a
 * PRF: collisions only merge two contexts for skipping purposes). */
static inline uint64_t hm_context_hash(const uint32_t *ctx, size_t n, uint32_t extra,
                                       int with_extra)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    size_t i;
    for (i = 0; i < n; i++) h = hm_mix64(h + ctx[i] + 0x632BE59BD9B4E019ULL);
    if (with_extra) h = hm_mix64(h ^ (((uint64_t)extra << 1) | 1));
    return h ? h : 1;
}

/* The scheme's rules, with defaults for native schemes filled in. */
void hm_scheme_get_rules(const hm_scheme_ops *ops, const void *st, hm_scheme_rules *r);
/* The context key (ops->ctx_key or hm_context_hash). */
static inline uint64_t hm_scheme_ctx_key(const hm_scheme_ops *ops, const void *st,
                                         const uint32_t *ctx, size_t nctx)
{
    uint64_t k = ops->ctx_key ? ops->ctx_key(st, ctx, nctx) : hm_context_hash(ctx, nctx, 0, 0);
    return k ? k : 1;
}

/* A (context key, token) tuple key. */
static inline uint64_t hm_tuple_key(uint64_t ctx_key, uint32_t token)
{
    uint64_t h = hm_mix64(ctx_key ^ 0xA0761D6478BD642FULL) ^ (((uint64_t)token << 1) | 1);
    h = hm_mix64(h);
    return h ? h : 1;
}

/* The tuple-deduplication key of (ctx, token) under a scheme:
 * ops->score_key when the scheme has one, else hm_tuple_key(ctx_key, token). */
static inline uint64_t hm_scheme_tuple_key(const hm_scheme_ops *ops, const void *st,
                                           const uint32_t *ctx, size_t nctx, uint64_t ctx_key,
                                           uint32_t token)
{
    uint64_t k;
    if (!ops->score_key) return hm_tuple_key(ctx_key, token);
    k = ops->score_key(st, ctx, nctx, token);
    return k ? k : 1;
}

/* A multiset: the last `max` insertions (duplicates included), so that a
 * key stays a member while any of its recent insertions is in the window. */
typedef struct hm_seen {
    uint64_t *slots;   /* open addressing, 0 = empty (keys are forced non-zero) */
    uint32_t *counts;  /* insertions of slots[i] still in the window */
    uint64_t *fifo;    /* insertion order, for eviction */
    size_t cap_slots, max, count, head;
} hm_seen;

/* max = how many recent contexts are remembered (0 = none). */
int hm_seen_init(hm_seen *s, size_t max);
void hm_seen_free(hm_seen *s);
void hm_seen_clear(hm_seen *s);
int hm_seen_contains(const hm_seen *s, uint64_t key);
/* Records an insertion (evicting the oldest insertion when full). */
void hm_seen_insert(hm_seen *s, uint64_t key);

#endif /* HM_CONTEXT_H */
