/*
 * hallmark/trace.h - which account leaked it: test a suspect text against
 * the derived key of every account at once.
 *
 * Each account generates with its own key, derived from one master key by
 * hm_key_derive(master, account, epoch).  A tracer holds the master key's
 * derivation, the scheme and parameters, and a list of accounts.
 * hm_trace_run() tokenizes nothing itself: it takes token ids (one or
 * several documents), extracts every scored (context, token) tuple ONCE
 * (the context rule and the deduplication policy do not depend on the key),
 * then for each account derives the key and computes only the keyed scores
 * of those tuples, over several threads.  Each account gets the same exact
 * p-value hm_detect() would give for that account's key on the same
 * documents scored together (one deduplication memory across documents),
 * except under KGW selfhash seeding, where each distinct (anchor, token)
 * decision is counted once, and under unigram, where each distinct token
 * is, because tuples sharing a decision repeat one keyed
 * value (see docs/trace.md: this keeps the binomial test exact on long
 * texts, where per-tuple counting is anti-conservative);
 * the p-values are then Holm-adjusted over the accounts
 * (hm_stats_holm_logp), and an account "fires" when its adjusted p-value
 * is at most alpha.  The family-wise error rate of "some innocent account
 * fires" is at most alpha whatever the dependence between accounts.
 *
 * Thread-safety: a tracer is used by one thread at a time; hm_trace_run
 * starts its own worker threads and joins them before returning.
 */
#ifndef HALLMARK_TRACE_H
#define HALLMARK_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_key hm_key;
typedef struct hm_trace hm_trace;

/* The verdict over all accounts. */
typedef enum hm_trace_verdict {
    HM_TRACE_NONE = 0,    /* no account fired */
    HM_TRACE_ONE = 1,     /* exactly one account fired */
    HM_TRACE_SEVERAL = 2  /* two or more accounts fired */
} hm_trace_verdict;

/* One account's result (valid after hm_trace_run). */
typedef struct hm_trace_account {
    const char *account;  /* the account name (owned by the tracer) */
    uint64_t n_scored;    /* decisions that entered the test */
    double score;         /* the test statistic (green count, S, ...) */
    double ln_p;          /* the account's own exact p-value (natural log) */
    double ln_p_holm;     /* Holm-adjusted over all accounts */
    int fired;            /* ln_p_holm <= ln(alpha) */
} hm_trace_account;

/* Creates a tracer for accounts derived from `master` (a master key) at
 * `epoch`, with a scheme name and "k=v" parameters as for
 * hm_detector_new (Hallmark-native schemes only: the interop profiles are
 * not keyed by Hallmark keys).  The master key is not retained: its
 * secret is copied and wiped by hm_trace_free.
 * Errors: HM_E_MISUSE (NULL, not a master key), HM_E_NOTFOUND (unknown
 * scheme or parameter; *bad_param as in hm_detector_new), HM_E_RANGE,
 * HM_E_UNSUPPORTED (a scheme without keyed detection), HM_E_NOMEM.
 * Free with hm_trace_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_trace_new(hm_trace **out, const hm_key *master, uint64_t epoch,
                                       const char *scheme, const char *const *params,
                                       size_t n_params, int *bad_param);

/* NULL is a no-op.  Wipes the master's copy.  Since 0.1.0. */
HM_API void hm_trace_free(hm_trace *t);

/* Adds an account (a tenant name as hm_key_derive accepts: 1..256 bytes
 * of UTF-8 without control characters; `len` bytes, not NUL-terminated).
 * The name is copied.  Duplicates are rejected.  Errors: HM_E_MISUSE,
 * HM_E_UTF8, HM_E_RANGE (empty or too long), HM_E_STATE (duplicate),
 * HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_trace_add_account(hm_trace *t, const char *account, size_t len);

/* The number of accounts added.  Since 0.1.0. */
HM_API size_t hm_trace_count(const hm_trace *t);

/* Worker threads for hm_trace_run (default 2; 1..64).  HM_OK or
 * HM_E_RANGE.  Since 0.1.0. */
HM_API int hm_trace_set_threads(hm_trace *t, unsigned threads);

/* The deduplication policy (hm_dedup of hallmark/detect.h; default: the
 * scheme's).  HM_OK or HM_E_RANGE.  Since 0.1.0. */
HM_API int hm_trace_set_dedup(hm_trace *t, int policy);

/* Scores n_docs documents: document i is ids[off_i .. off_i + lens[i])
 * where off_i is the sum of the previous lengths (contexts never cross
 * documents; deduplication is shared).  No prompt: the first
 * context-width positions of each document are not scored.  Tests every
 * account at level alpha (0 < alpha < 1) and fills *verdict.
 * Worker threads that cannot be started are made up for by the calling
 * thread (fewer threads, same results).  Under KGW selfhash each distinct
 * (anchor, token) decision counts once whatever the dedup policy.
 * Errors: HM_E_MISUSE, HM_E_RANGE (alpha), HM_E_STATE (no accounts),
 * HM_E_NOMEM, HM_E_CRYPTO.  Since 0.1.0. */
HM_API int hm_trace_run(hm_trace *t, const uint32_t *ids, const size_t *lens, size_t n_docs,
                        double alpha, int *verdict);

/* The result of account i (0 <= i < count), in the order added; valid
 * until the next run or free.  HM_OK, HM_E_MISUSE, HM_E_RANGE, HM_E_STATE
 * (no run yet).  Since 0.1.0. */
HM_API int hm_trace_result(const hm_trace *t, size_t i, hm_trace_account *out);

/* The scheme's test name ("binomial-upper-tail", ...), the largest
 * number of decisions scored for an account, the number of positions seen, and the name of the
 * dedup policy used, after a run (NULL / 0 before).  Since 0.1.0. */
HM_API const char *hm_trace_test_name(const hm_trace *t);
HM_API uint64_t hm_trace_n_tokens(const hm_trace *t);
HM_API uint64_t hm_trace_n_scored(const hm_trace *t);
HM_API int hm_trace_dedup(const hm_trace *t);

HM_END_DECLS

#endif /* HALLMARK_TRACE_H */
