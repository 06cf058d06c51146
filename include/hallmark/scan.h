/*
 * hallmark/scan.h - corpus scans: per-document scores plus pooled
 * sufficient statistics, a bounded-memory tape of unique tuples, and
 * Benjamini-Hochberg over any number of documents in bounded memory.
 *
 * The pieces, used by `hallmark scan`, `hallmark radioactivity` and
 * `hallmark merge` (docs/scan.md, docs/scale-out.md):
 *   - hm_scanner: one per thread, bound to a shared hm_detector.  For each
 *     document it gives the same result as hm_detect() and collects the
 *     document's scorable (context, token) tuples (hash and score).
 *   - hm_tape: the global deduplication tape.  Records (group, hash, two
 *     values) are spilled to temporary files partitioned by the group's top
 *     bits; hm_tape_finish() then deduplicates partition by partition, drops
 *     tuples whose group was excluded (radioactivity: contexts that occur in
 *     the prompts) and, with a filter, tuples whose hash was not allowed.
 *     Peak memory is the largest partition (32 bytes per record divided by
 *     the partition count) plus the in-memory buffers (16 MiB budget).
 *   - hm_fixsum: an order-independent exact sum of non-negative scores
 *     (fixed point, 2^-32 resolution), so that sharded runs merge to exactly
 *     the single-process figures.
 *   - hm_bh: Benjamini-Hochberg threshold over a stream of p-values with an
 *     external merge sort (runs of a fixed size spilled to a temporary
 *     file): memory is bounded by the run size whatever the count.
 *
 * Since 0.1.0.
 */
#ifndef HALLMARK_SCAN_H
#define HALLMARK_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "export.h"

HM_BEGIN_DECLS

/* ---- Exact order-independent sums ---- */

/* A non-negative sum in fixed point: value = (hi * 2^64 + lo) * 2^-32. */
typedef struct hm_fixsum {
    uint64_t hi, lo;
} hm_fixsum;

/* Adds v (negative, NaN and infinite values add nothing).  Since 0.1.0. */
HM_API void hm_fixsum_add(hm_fixsum *s, double v);
/* Adds another sum.  Since 0.1.0. */
HM_API void hm_fixsum_merge(hm_fixsum *s, const hm_fixsum *other);
/* The sum as a double.  Since 0.1.0. */
HM_API double hm_fixsum_value(const hm_fixsum *s);

/* ---- Pooled tests ---- */

/* The exact test of kind `test` (hm_test_kind) with null parameter
 * `null_param` (gamma; alpha; layers for g-values: pass layers too) on a
 * pooled statistic: `sum` of per-token scores over `n` scored tuples.
 * Gives what hm_detect gives for the same statistics.  Errors:
 * HM_E_MISUSE.  Since 0.1.0. */
HM_API int hm_scan_test(int test, double null_param, uint32_t layers, double sum, uint64_t n,
                        hm_detect_result *res);

/* A detector's test kind and null parameter (for hm_scan_test).
 * Since 0.1.0. */
HM_API int hm_detector_null(const hm_detector *d, int *test, double *null_param);

/* ---- Per-document scanning ---- */

typedef struct hm_scanner hm_scanner;

/* One scorable tuple of a document: its (context, token) hash and score. */
typedef struct hm_scan_tuple {
    uint64_t ctx_hash;   /* hash of the context alone */
    uint64_t tuple_hash; /* keyed id of (context, token): equal tuples give
                          * equal ids; without the detector's key an id
                          * cannot be linked to text; never 0 */
    double value;        /* the per-token score under the detector's key */
} hm_scan_tuple;

/* Creates a scanner bound to `d` (which must outlive it; `d` may be shared
 * by many scanners on many threads).  Errors: HM_E_MISUSE, HM_E_NOMEM.
 * Free with hm_scanner_free.  Not thread-safe: one scanner per thread.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_scanner_new(hm_scanner **out, const hm_detector *d);
/* NULL is a no-op.  Since 0.1.0. */
HM_API void hm_scanner_free(hm_scanner *s);

/* Scores one document ids[0..n) (no prompt): fills *res exactly as
 * hm_detect() would (n_tokens, n_scored, n_no_context, n_duplicate,
 * n_after_eos, score, ln_p, log10_p, ...) and appends every scorable
 * position's tuple, deduplicated within the document, to the scanner's
 * tuple list.  Errors: HM_E_MISUSE, HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_scanner_doc(hm_scanner *s, const uint32_t *ids, size_t n, hm_detect_result *res);

/* The tuples collected since the last hm_scanner_clear (pointer valid until
 * the next call on the scanner).  Since 0.1.0. */
HM_API const hm_scan_tuple *hm_scanner_tuples(const hm_scanner *s, size_t *n);
/* Forgets the collected tuples (keeps the memory).  Since 0.1.0. */
HM_API void hm_scanner_clear(hm_scanner *s);

/* ---- The tape: global deduplication in bounded memory ---- */

typedef struct hm_tape hm_tape;

/* Counts and sums after hm_tape_finish. */
typedef struct hm_tape_result {
    uint64_t n_records;   /* tuple records added */
    uint64_t n_unique;    /* distinct tuple hashes among them */
    uint64_t n_excluded;  /* distinct tuples dropped: group excluded */
    uint64_t n_filtered;  /* distinct tuples dropped: hash not allowed by the filter */
    uint64_t n_kept;      /* distinct tuples that entered the sums */
    hm_fixsum sum[2];     /* sums of value[0] and value[1] over kept tuples */
} hm_tape_result;

/* Creates a tape spilling to temporary files in `tmpdir` (NULL: $TMPDIR or
 * /tmp; the files are unlinked at once and vanish with the process).
 * `partitions` is rounded up to a power of two in [1, 4096] (0: 64).
 * Errors: HM_E_MISUSE, HM_E_NOMEM.  Free with hm_tape_free.  Not
 * thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tape_new(hm_tape **out, const char *tmpdir, unsigned partitions);
/* NULL is a no-op.  Since 0.1.0. */
HM_API void hm_tape_free(hm_tape *t);

/* Records are buffered in memory (16 MiB by default, over all partitions)
 * and spilled to the partition files when the buffers exceed `bytes` (0:
 * spill at once).  Buffers keep their capacity, so memory during the
 * pass stays below about twice the budget.  Flushes the current buffers.
 * Errors: HM_E_MISUSE (NULL or finished), HM_E_IO.  Since 0.1.0. */
HM_API int hm_tape_set_budget(hm_tape *t, size_t bytes);

/* Adds a tuple record: `group` chooses the partition (its top bits) and is
 * what hm_tape_exclude matches; `hash` identifies the tuple: within a
 * partition, one record per hash is kept (the first added), so records
 * with equal hashes must carry equal values.  (A scheme whose tuple key
 * merges several contexts - ops->score_key - may put one hash in several
 * partitions; it is then counted once per partition.)
 * Errors: HM_E_IO (temporary file), HM_E_STATE (after finish).
 * Since 0.1.0. */
HM_API int hm_tape_add(hm_tape *t, uint64_t group, uint64_t hash, double v0, double v1);
/* Marks a group as excluded (its tuples are dropped).  Since 0.1.0. */
HM_API int hm_tape_exclude(hm_tape *t, uint64_t group);
/* Turns the filter on and allows tuple `hash` (in group `group`): once any
 * hash is allowed, tuples whose hash was never allowed are dropped.
 * Since 0.1.0. */
HM_API int hm_tape_allow(hm_tape *t, uint64_t group, uint64_t hash);

/* Called by hm_tape_finish for every kept tuple, partition by partition
 * (partitions in increasing order of the group's top bits), and within a
 * partition in increasing hash order.  Return non-zero to stop. */
typedef int (*hm_tape_emit_fn)(uint64_t group, uint64_t hash, double v0, double v1,
                               void *user);

/* Deduplicates every partition and fills *res; `emit` (may be NULL) sees
 * each kept tuple.  Peak memory: the largest partition.  Errors: HM_E_IO,
 * HM_E_NOMEM, HM_E_STATE (called twice or emit stopped).  Since 0.1.0. */
HM_API int hm_tape_finish(hm_tape *t, hm_tape_result *res, hm_tape_emit_fn emit, void *user);

/* ---- Benjamini-Hochberg over a stream ---- */

typedef struct hm_bh hm_bh;

/* Creates a BH accumulator keeping at most `run` p-values in memory
 * (0: 1,048,576 = 8 MiB); beyond that, sorted runs are spilled to a
 * temporary file in `tmpdir` (NULL: $TMPDIR or /tmp).  Errors:
 * HM_E_MISUSE, HM_E_NOMEM.  Free with hm_bh_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_bh_new(hm_bh **out, const char *tmpdir, size_t run);
/* NULL is a no-op.  Since 0.1.0. */
HM_API void hm_bh_free(hm_bh *b);
/* Adds one p-value as log10 p (<= 0; NaN counts as 0, i.e. p = 1).
 * Errors: HM_E_IO, HM_E_STATE (after hm_bh_threshold).  Since 0.1.0. */
HM_API int hm_bh_add(hm_bh *b, double log10_p);
/* The BH step-up rule at false-discovery rate q over the m p-values added:
 * k* = max{k : p_(k) <= k q / m} (compared in log10 space).  Writes
 * *log10_threshold = log10 p_(k*) (-INFINITY when k* = 0: flag a document
 * when its log10_p <= the threshold), *n_reject = k*, *m.  Errors:
 * HM_E_MISUSE (q outside (0, 1]), HM_E_IO, HM_E_NOMEM, HM_E_STATE (called
 * twice).  Since 0.1.0. */
HM_API int hm_bh_threshold(hm_bh *b, double q, double *log10_threshold, uint64_t *n_reject,
                           uint64_t *m);

HM_END_DECLS

#endif /* HALLMARK_SCAN_H */
