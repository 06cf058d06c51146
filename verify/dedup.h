/*
 * dedup.h - a growable set of 64-bit keys (private): the deduplication
 * memory of one detection stream (keys are context or (context, token)
 * hashes from hm_context_hash).  Open addressing with linear probing; the
 * key 0 is reserved for empty slots (hm_context_hash never returns it).
 */
#ifndef HM_DEDUP_H
#define HM_DEDUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hm_u64set {
    uint64_t *slots;
    size_t cap, count;
} hm_u64set;

int hm_u64set_init(hm_u64set *s, size_t expected);
void hm_u64set_free(hm_u64set *s);
void hm_u64set_clear(hm_u64set *s);
/* 1 if key was added, 0 if already present, -1 (HM_E_NOMEM) on failure. */
int hm_u64set_add(hm_u64set *s, uint64_t key);
int hm_u64set_contains(const hm_u64set *s, uint64_t key);
/* Removes `key`, which must be the key added last among those still in the
 * set, with no growth since it was added: removing keys in the exact
 * reverse order of their insertion restores the earlier table (linear
 * probing), so a sparse set is emptied without clearing its whole table. */
void hm_u64set_remove_last(hm_u64set *s, uint64_t key);
/* A hint: starts loading the slot where `key` would be probed first. */
void hm_u64set_prefetch(const hm_u64set *s, uint64_t key);

#endif /* HM_DEDUP_H */
