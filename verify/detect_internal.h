/*
 * detect_internal.h - private detector calls (tests, interop, scans).
 */
#ifndef HM_DETECT_INTERNAL_H
#define HM_DETECT_INTERNAL_H

#include <stdint.h>

#include "hallmark/detect.h"

/* hm_detector_new with a raw 32-byte secret. */
int hm_detector_new_secret(hm_detector **out, const char *scheme, const uint8_t *secret,
                           const char *const *params, size_t n_params, uint32_t vocab,
                           int *bad_param);


/* --- for trace.c and payload.c (appended by the trace module) --- */
struct hm_scheme_ops;

/* The scheme of a detector, its state, context width, detection context
 * rule and pad token, whether prompt tokens enter contexts, and the
 * resolved dedup policy.  Any output pointer may be NULL.  Returns NULL for
 * a NULL detector. */
const struct hm_scheme_ops *hm_detector_internals(const hm_detector *d, const void **state,
                                                  size_t *width, int *rule, uint32_t *pad,
                                                  int *prompt_in_ctx, int *dedup);

/* hm_embedder_blind() under the detector's key: the keyed id of a public
 * tuple hash, for what is written to disk. */
uint64_t hm_detector_blind(const hm_detector *d, uint64_t hash);

/* Fills *res from aggregated sums exactly as hm_detect_final would for a
 * stream that scored n_scored positions with these sums.  HM_OK or
 * HM_E_MISUSE. */
int hm_detector_result_from_sums(const hm_detector *d, uint64_t n_scored, double sum,
                                 double sum_weighted, uint32_t layers, hm_detect_result *res);

/* ---- Per-position walk (scan and radioactivity engines) ---- */

#include "hallmark/scan.h" /* hm_scan_test, hm_detector_null (defined in detect.c) */

/* One scorable position: the hashes of its context and of its (context,
 * token) tuple (hm_context_hash: key-independent), and its score. */
typedef struct hm_walk_item {
    size_t pos;          /* index into ids */
    uint64_t ctx_hash;
    uint64_t tuple_hash;
    double value;        /* the per-token score (green 0/1, s, g-count) */
    uint32_t layers;
} hm_walk_item;

/* Return non-zero to stop the walk (the walk then returns HM_E_STATE). */
typedef int (*hm_walk_fn)(const hm_walk_item *it, void *user);

/* Calls fn for every position of ids[0..n) whose context is complete under
 * the detector's rule and that is before the first EOS, in order, with no
 * deduplication (the caller deduplicates).  The prompt only feeds contexts
 * (when the scheme puts prompts in contexts).  *n_before_eos (may be NULL)
 * receives the number of positions before the first EOS.  Thread-safe. */
int hm_detector_walk(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                     const uint32_t *ids, size_t n, hm_walk_fn fn, void *user,
                     size_t *n_before_eos);

/* Decides whether a position is scored: sees pos and tuple_hash (ctx_hash
 * may still be 0); returns 1 to score the position and pass it to fn, 0 to
 * skip it (no score is computed). */
typedef int (*hm_walk_keep_fn)(const hm_walk_item *it, void *user);

/* hm_detector_walk without a prompt, asking keep() (not NULL) first at each
 * position: the scheme's score is computed only for the positions kept, so
 * a caller that deduplicates by tuple key skips the score of duplicates.
 * Thread-safe. */
int hm_detector_walk_filtered(const hm_detector *d, const uint32_t *ids, size_t n,
                              hm_walk_keep_fn keep, hm_walk_fn fn, void *user,
                              size_t *n_before_eos);

/* Calls fn (tuple_hash and value 0) for every context that occurs in
 * ids[0..n) under the detector's width and rule, including the context
 * after the last token (the one a continuation would see). */
int hm_detector_contexts(const hm_detector *d, const uint32_t *ids, size_t n, hm_walk_fn fn,
                         void *user);

/* 1 when the detector's per-document rule is plain deduplication (no
 * engine history window or context cap): then a walk plus a set
 * reproduces hm_detect exactly. */
int hm_detector_plain_rules(const hm_detector *d);

/* The deduplication policy a detector resolves to (never HM_DEDUP_DEFAULT). */
int hm_detector_dedup_policy(const hm_detector *d);

/* The scheme's exact test for pooled sufficient statistics: `sum` of the
 * per-token values over `n` scored positions (layers: g-value depth). */
int hm_detector_pooled_test(const hm_detector *d, double sum, uint64_t n, uint32_t layers,
                            hm_detect_result *res);

#endif /* HM_DETECT_INTERNAL_H */
