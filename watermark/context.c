/*
 * context.c - the context rule (which tokens form a position's context)
 * and the bounded set of recently seen contexts.
 */
#include "context.h"

#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"

void hm_ctxbuf_reset(hm_ctxbuf *cb) { memset(cb, 0, sizeof *cb); }

void hm_ctxbuf_push(hm_ctxbuf *cb, uint32_t token)
{
    cb->ring[cb->count % HM_SCHEME_MAX_CTX] = token;
    cb->count++;
}

int hm_ctxbuf_context(const hm_ctxbuf *cb, size_t width, int rule, uint32_t *out, size_t *nctx)
{
    size_t have = cb->count < width ? (size_t)cb->count : width, i, pad;
    if (width == 0) {
        *nctx = 0;
        return 1;
    }
    if (have < width) {
        if (rule == HM_CTX_FULL) {
            *nctx = 0;
            return 0;
        }
        if (rule == HM_CTX_PARTIAL) {
            for (i = 0; i < have; i++)
                out[i] = cb->ring[(cb->count - have + i) % HM_SCHEME_MAX_CTX];
            *nctx = have;
            return have > 0;
        }
    }
    pad = width - have; /* HM_CTX_PAD: missing tokens are -1 */
    for (i = 0; i < pad; i++) out[i] = 0xFFFFFFFFu;
    for (i = 0; i < have; i++)
        out[pad + i] = cb->ring[(cb->count - have + i) % HM_SCHEME_MAX_CTX];
    *nctx = width;
    return 1;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t hm_context_hash(const uint32_t *ctx, size_t n, uint32_t extra, int with_extra)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    size_t i;
    for (i = 0; i < n; i++) h = mix64(h + ctx[i] + 0x632BE59BD9B4E019ULL);
    if (with_extra) h = mix64(h ^ (((uint64_t)extra << 1) | 1));
    return h ? h : 1;
}

int hm_seen_init(hm_seen *s, size_t max)
{
    size_t cap = 16;
    memset(s, 0, sizeof *s);
    if (max == 0) return HM_OK;
    while (cap < 2 * max) cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->fifo = calloc(max, sizeof *s->fifo);
    if (!s->slots || !s->fifo) {
        hm_seen_free(s);
        return HM_E_NOMEM;
    }
    s->cap_slots = cap;
    s->max = max;
    return HM_OK;
}

void hm_seen_free(hm_seen *s)
{
    free(s->slots);
    free(s->fifo);
    memset(s, 0, sizeof *s);
}

void hm_seen_clear(hm_seen *s)
{
    if (s->slots) memset(s->slots, 0, s->cap_slots * sizeof *s->slots);
    s->count = s->head = 0;
}

static size_t find_slot(const hm_seen *s, uint64_t key)
{
    size_t mask = s->cap_slots - 1, i = (size_t)mix64(key) & mask;
    while (s->slots[i] != 0 && s->slots[i] != key) i = (i + 1) & mask;
    return i;
}

int hm_seen_contains(const hm_seen *s, uint64_t key)
{
    if (!s->max) return 0;
    return s->slots[find_slot(s, key)] == key;
}

/* Linear-probing deletion by backward shift (no tombstones). */
static void remove_key(hm_seen *s, uint64_t key)
{
    size_t mask = s->cap_slots - 1, i = find_slot(s, key), j;
    if (s->slots[i] != key) return;
    j = i;
    for (;;) {
        size_t k;
        j = (j + 1) & mask;
        if (s->slots[j] == 0) break;
        k = (size_t)mix64(s->slots[j]) & mask;
        /* Move slots[j] back to i if its home k is not cyclically in (i, j]. */
        if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) continue;
        s->slots[i] = s->slots[j];
        i = j;
    }
    s->slots[i] = 0;
}

void hm_seen_insert(hm_seen *s, uint64_t key)
{
    size_t i;
    if (!s->max) return;
    i = find_slot(s, key);
    if (s->slots[i] == key) return;
    if (s->count == s->max) { /* evict the oldest */
        remove_key(s, s->fifo[s->head]);
        s->head = (s->head + 1) % s->max;
        s->count--;
        i = find_slot(s, key);
    }
    s->slots[i] = key;
    s->fifo[(s->head + s->count) % s->max] = key;
    s->count++;
}
