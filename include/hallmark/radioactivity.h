/*
 * hallmark/radioactivity.h - was a suspect model trained on our watermarked
 * text?  The closed-model test of Sander et al. (arXiv 2402.14904): prompt
 * the suspect, score its completions with our key over the UNIQUE
 * (context, token) tuples of the whole output set (a global deduplication
 * tape), after dropping every tuple whose context occurs in the prompts
 * (the prompts may carry our mark themselves) and, optionally, every tuple
 * that does not occur in a given watermarked corpus (the filter phi).  The
 * survivors enter the scheme's exact test (binomial for kgw/unigram, gamma
 * for gumbel).  A negative control runs the same pipeline under an
 * unrelated key derived from ours (docs/radioactivity.md): a sound pipeline
 * gives it a uniform p-value.
 *
 * The unit of the test is the random variable behind a score (the scheme's
 * score key): each distinct unit is counted once over the whole input, for
 * each key separately when the unit depends on the key (kgw selfhash's
 * keyed min-hash anchor; docs/radioactivity.md).
 *
 * Memory is bounded: tuples go to an hm_tape (hallmark/scan.h) partitioned
 * by context hash.  For scale-out, a shard i of n keeps only the units that
 * fall in shard i (every shard reads all input); the shards' stats add up
 * (hm_radio_stats_merge) to exactly the single-process stats.
 *
 * Since 0.1.0.
 */
#ifndef HALLMARK_RADIOACTIVITY_H
#define HALLMARK_RADIOACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "export.h"
#include "scan.h"

HM_BEGIN_DECLS

typedef struct hm_radio hm_radio;

typedef struct hm_radio_options {
    const char *tmpdir;   /* spill directory (NULL: $TMPDIR or /tmp) */
    unsigned partitions;  /* tape partitions (0: 64) */
    uint32_t shard;       /* this shard, in [0, n_shards) */
    uint32_t n_shards;    /* 0 or 1: no sharding */
} hm_radio_options;

/* Sufficient statistics (add up over shards). */
typedef struct hm_radio_stats {
    uint64_t n_outputs;   /* completions added (every shard sees all: merge keeps the max) */
    uint64_t n_positions; /* scorable positions (this shard) */
    uint64_t n_unique;    /* distinct tuples among them */
    uint64_t n_excluded;  /* distinct tuples whose context occurs in a prompt */
    uint64_t n_filtered;  /* distinct tuples absent from the filter corpus */
    uint64_t n_kept;      /* distinct units tested under our key */
    hm_fixsum sum_main;   /* sum of scores under our key */
    hm_fixsum sum_control;/* sum of scores under the control key */
    uint32_t layers;      /* g-value depth (1 otherwise) */
    /* distinct units tested under the control key: equal to n_kept unless
     * the scheme's unit depends on the key (kgw, whose selfhash unit is the
     * keyed (anchor, token) pair). */
    uint64_t n_kept_control;
} hm_radio_stats;

/* Creates the engine: a detector for `scheme` with `key` and `params` (as
 * hm_detector_new) and the control detector, same scheme and params under
 * the control secret BLAKE2b-256(key = our secret, "hallmark radioactivity
 * control v1").  opt may be NULL.  Errors: HM_E_MISUSE, HM_E_NOTFOUND
 * (*bad_param), HM_E_RANGE, HM_E_UNSUPPORTED (scheme "none", and the engine
 * profiles vllm/sglang/synthid, whose key is a parameter: no control key can
 * be derived), HM_E_NOMEM.
 * Not thread-safe.  Free with hm_radio_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_radio_new(hm_radio **out, const char *scheme, const hm_key *key,
                                       const char *const *params, size_t n_params,
                                       const hm_radio_options *opt, int *bad_param);
/* NULL is a no-op.  Since 0.1.0. */
HM_API void hm_radio_free(hm_radio *r);

/* Our detector (control = 0) or the control's (1), e.g. for describe().
 * Since 0.1.0. */
HM_API const hm_detector *hm_radio_detector(const hm_radio *r, int control);

/* Every context occurring in ids[0..n) is excluded.  Since 0.1.0. */
HM_API int hm_radio_add_prompt(hm_radio *r, const uint32_t *ids, size_t n);
/* Every (context, token) tuple of ids[0..n) is allowed; once any is,
 * tuples never allowed are dropped.  Since 0.1.0. */
HM_API int hm_radio_add_filter(hm_radio *r, const uint32_t *ids, size_t n);
/* A suspect completion ids[0..n) after prompt[0..n_prompt) (the prompt
 * only feeds contexts; call hm_radio_add_prompt for it as well).
 * Errors: HM_E_MISUSE, HM_E_NOMEM, HM_E_IO, HM_E_STATE.  Since 0.1.0. */
HM_API int hm_radio_add_output(hm_radio *r, const uint32_t *prompt, size_t n_prompt,
                               const uint32_t *ids, size_t n);

/* Deduplicates the tape and fills *st (once).  Since 0.1.0. */
HM_API int hm_radio_finish(hm_radio *r, hm_radio_stats *st);

/* Adds b into a (shards of one run).  Since 0.1.0. */
HM_API void hm_radio_stats_merge(hm_radio_stats *a, const hm_radio_stats *b);

/* The scheme's exact test on st for our key (main) and the control.
 * Since 0.1.0. */
HM_API int hm_radio_test(const hm_radio *r, const hm_radio_stats *st, hm_detect_result *main_res,
                         hm_detect_result *control_res);

HM_END_DECLS

#endif /* HALLMARK_RADIOACTIVITY_H */
