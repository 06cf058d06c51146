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
 * most) and its length into *nctx.  Returns 1 when the position can carry
 * the mark under `rule`, 0 when the rule leaves it unmarked/unscored. */
int hm_ctxbuf_context(const hm_ctxbuf *cb, size_t width, int rule, uint32_t *out, size_t *nctx);

/* A 64-bit hash of a context (for the seen-set and deduplication; not a
 * PRF: collisions only merge two contexts for skipping purposes). */
uint64_t hm_context_hash(const uint32_t *ctx, size_t n, uint32_t extra, int with_extra);

typedef struct hm_seen {
    uint64_t *slots; /* open addressing, 0 = empty (keys are forced non-zero) */
    uint64_t *fifo;  /* insertion order, for eviction */
    size_t cap_slots, max, count, head;
} hm_seen;

/* max = how many recent contexts are remembered (0 = none). */
int hm_seen_init(hm_seen *s, size_t max);
void hm_seen_free(hm_seen *s);
void hm_seen_clear(hm_seen *s);
int hm_seen_contains(const hm_seen *s, uint64_t key);
/* Inserts (evicting the oldest when full).  No-op if present. */
void hm_seen_insert(hm_seen *s, uint64_t key);

#endif /* HM_CONTEXT_H */
