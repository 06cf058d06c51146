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

int hm_ctxbuf_context(const hm_ctxbuf *cb, size_t width, int rule, uint32_t pad, uint32_t *out,
                      size_t *nctx)
{
    size_t have = cb->count < width ? (size_t)cb->count : width, i, n_pad;
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
    n_pad = width - have; /* HM_CTX_PAD */
    for (i = 0; i < n_pad; i++) out[i] = pad;
    for (i = 0; i < have; i++)
        out[n_pad + i] = cb->ring[(cb->count - have + i) % HM_SCHEME_MAX_CTX];
    *nctx = width;
    return 1;
}

void hm_scheme_get_rules(const hm_scheme_ops *ops, const void *st, hm_scheme_rules *r)
{
    memset(r, 0, sizeof *r);
    r->ctx_rule_embed = ops->ctx_rule(st);
    r->ctx_rule_detect = r->ctx_rule_embed;
    r->prompt_in_ctx = ops->prompt_in_context(st);
    r->pad_token = 0xFFFFFFFFu;
    r->skip_repeated = ops->default_skip_repeated;
    r->max_history = ops->default_max_history ? ops->default_max_history : 4096;
    r->dedup = ops->default_dedup;
    if (ops->rules) ops->rules(st, r);
}

int hm_seen_init(hm_seen *s, size_t max)
{
    size_t cap = 16;
    memset(s, 0, sizeof *s);
    if (max == 0) return HM_OK;
    while (cap < 2 * max) cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->counts = calloc(cap, sizeof *s->counts);
    s->fifo = calloc(max, sizeof *s->fifo);
    if (!s->slots || !s->counts || !s->fifo) {
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
    free(s->counts);
    free(s->fifo);
    memset(s, 0, sizeof *s);
}

void hm_seen_clear(hm_seen *s)
{
    if (s->slots) {
        memset(s->slots, 0, s->cap_slots * sizeof *s->slots);
        memset(s->counts, 0, s->cap_slots * sizeof *s->counts);
    }
    s->count = s->head = 0;
}

static size_t find_slot(const hm_seen *s, uint64_t key)
{
    size_t mask = s->cap_slots - 1, i = (size_t)hm_mix64(key) & mask;
    while (s->slots[i] != 0 && s->slots[i] != key) i = (i + 1) & mask;
    return i;
}

int hm_seen_contains(const hm_seen *s, uint64_t key)
{
    if (!s->max) return 0;
    return s->slots[find_slot(s, key)] == key;
}

/* Linear-probing deletion by backward shift (no tombstones). */
static void remove_slot(hm_seen *s, size_t i)
{
    size_t mask = s->cap_slots - 1, j = i;
    for (;;) {
        size_t k;
        j = (j + 1) & mask;
        if (s->slots[j] == 0) break;
        k = (size_t)hm_mix64(s->slots[j]) & mask;
        /* Move slots[j] back to i unless its home k lies cyclically in (i, j]. */
        if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) continue;
        s->slots[i] = s->slots[j];
        s->counts[i] = s->counts[j];
        i = j;
    }
    s->slots[i] = 0;
    s->counts[i] = 0;
}

void hm_seen_insert(hm_seen *s, uint64_t key)
{
    size_t i;
    if (!s->max) return;
    if (s->count == s->max) { /* evict the oldest insertion */
        uint64_t old = s->fifo[s->head];
        size_t j = find_slot(s, old);
        if (s->slots[j] == old && --s->counts[j] == 0) remove_slot(s, j);
        s->head = (s->head + 1) % s->max;
        s->count--;
    }
    i = find_slot(s, key);
    if (s->slots[i] != key) {
        s->slots[i] = key;
        s->counts[i] = 0;
    }
    s->counts[i]++;
    s->fifo[(s->head + s->count) % s->max] = key;
    s->count++;
}
