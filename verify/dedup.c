/*
 * dedup.c - the growable 64-bit key set behind deduplication.
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

static size_t home(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & mask;
}

int hm_u64set_init(hm_u64set *s, size_t expected)
{
    size_t cap = 64;
    while (cap < 2 * expected) cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->cap = s->slots ? cap : 0;
    s->count = 0;
    return s->slots ? 0 : -1;
}

void hm_u64set_free(hm_u64set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

void hm_u64set_clear(hm_u64set *s)
{
    if (s->slots && s->count) memset(s->slots, 0, s->cap * sizeof *s->slots);
    s->count = 0;
}

void hm_u64set_remove_last(hm_u64set *s, uint64_t key)
{
    size_t i;
    if (!s->slots || !s->count) return;
    i = home(key, s->cap - 1);
    while (s->slots[i] && s->slots[i] != key) i = (i + 1) & (s->cap - 1);
    if (s->slots[i]) {
        s->slots[i] = 0;
        s->count--;
    }
}

static int grow(hm_u64set *s)
{
    size_t ncap = s->cap * 2, i;
    uint64_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (i = 0; i < s->cap; i++) {
        uint64_t k = s->slots[i];
        size_t j;
        if (!k) continue;
        j = home(k, ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = k;
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

int hm_u64set_add(hm_u64set *s, uint64_t key)
{
    size_t i;
    if (!s->slots && hm_u64set_init(s, 0) != 0) return -1;
    if (2 * (s->count + 1) > s->cap && grow(s) != 0) return -1;
    i = home(key, s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == key) return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = key;
    s->count++;
    return 1;
}

int hm_u64set_contains(const hm_u64set *s, uint64_t key)
{
    size_t i;
    if (!s->slots) return 0;
    i = home(key, s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == key) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

void hm_u64set_prefetch(const hm_u64set *s, uint64_t key)
{
#if defined(__GNUC__) || defined(__clang__)
    if (s->slots) __builtin_prefetch(&s->slots[home(key, s->cap - 1)], 1);
#else
    (void)s;
    (void)key;
#endif
}
