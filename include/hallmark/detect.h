/*
 * hallmark/detect.h - scoring token ids for a watermark, with exact tests.
 *
 * An hm_detector holds a scheme, its key and parameters, and the scoring
 * policy (deduplication, EOS masking).  It is immutable once configured and
 * may be shared by threads.  hm_detect() scores a whole sequence;
 * hm_detect_init / hm_detect_update / hm_detect_final do the same on a
 * stream, giving identical results for the same tokens.
 *
 * What is scored.  Positions follow the context rule of hallmark/embed.h:
 * a position whose context is incomplete is not scored; when the prompt is
 * given, only the completion is scored (the prompt only feeds contexts).
 * With an EOS id set, positions from the first EOS on are not scored.
 * Deduplication (default HM_DEDUP_TUPLE, as in "Three Bricks", arXiv
 * 2308.00113) scores each distinct (context, token) pair once, which is what
 * makes the per-token scores independent under H0; interop profiles default
 * to their engine's own rule (e.g. vLLM scores the first occurrence of each
 * context).
 *
 * The tests (docs/statistics.md): green-list schemes use the exact
 * Binomial(n, gamma) tail of the green count; Gumbel-type schemes the exact
 * Gamma(n, 1) tail of S = sum -ln(1-u) (dual-key: Gamma(n/var, 1) of
 * S/var); SynthID the exact Binomial(m n, 1/2) tail of the g-count.  All
 * p-values are computed in log space with no floor.
 */
#ifndef HALLMARK_DETECT_H
#define HALLMARK_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_key hm_key;
typedef struct hm_detector hm_detector;
typedef struct hm_detect_stream hm_detect_stream;

/* Deduplication policies. */
typedef enum hm_dedup {
    HM_DEDUP_DEFAULT = 0, /* the scheme's default (tuple; engine rule for interop) */
    HM_DEDUP_NONE = 1,    /* score every position (repeated n-grams inflate scores) */
    HM_DEDUP_CONTEXT = 2, /* score the first occurrence of each context (unless
                             its unit, e.g. kgw selfhash's (anchor, token), was
                             already seen at an earlier position) */
    HM_DEDUP_TUPLE = 3    /* score the first occurrence of each (context, token) */
} hm_dedup;

/* The name of a policy: "none", "context", "tuple"; NULL if unknown. */
HM_API const char *hm_dedup_name(int policy);
/* Parses "none" / "context" / "tuple" / "default".  Returns the policy or -1. */
HM_API int hm_dedup_parse(const char *name);

/* The exact test a scheme's result used. */
typedef enum hm_test_kind {
    HM_TEST_KIND_BINOMIAL = 1, /* X ~ Binomial(n, gamma); statistic = green count */
    HM_TEST_KIND_GAMMA = 2,    /* S ~ Gamma(n, 1); statistic = S */
    HM_TEST_KIND_GAMMA_WEIGHTED = 3, /* S/var ~ Gamma(n/var, 1) */
    HM_TEST_KIND_GVALUES = 4   /* g-count ~ Binomial(m n, 1/2) */
} hm_test_kind;

typedef struct hm_detect_result {
    size_t struct_size;     /* set by the library */
    int test;               /* hm_test_kind */
    const char *test_name;  /* e.g. "binomial-upper-tail"; static */
    int dedup;              /* the policy actually used (never HM_DEDUP_DEFAULT) */
    uint64_t n_tokens;      /* positions seen (completion only when a prompt is given) */
    uint64_t n_scored;      /* positions that entered the test */
    uint64_t n_no_context;  /* not scored: incomplete context */
    uint64_t n_duplicate;   /* not scored: deduplicated */
    uint64_t n_after_eos;   /* not scored: at or after the first EOS */
    uint64_t n_after_cap;   /* not scored: past the engine's context cap (SGLang) */
    double score;           /* the test statistic (green count, S, g-count) */
    double trials;          /* binomial trials (n or m n); shape for gamma tests */
    double null_param;      /* gamma; alpha (weighted); 0.5 (g-values) */
    double mean_score;      /* score per scored position (g-values: mean g) */
    double weighted_mean;   /* SynthID weighted-mean score; else mean_score */
    double z;               /* informative only: standardized statistic */
    double ln_p;            /* natural log of the exact p-value (<= 0, no floor) */
    double log10_p;         /* ln_p / ln 10 */
    /* SynthID (test "gsum-keyset-null-mc-bound"): ln_p is the tail under the
     * null that dominates the key set's Monte Carlo null at confidence
     * 1 - null_delta (null_samples draws), a valid conservative p-value;
     * ln_p_estimate is the tail under the Monte Carlo null itself.  NaN and
     * 0 for every other test.  Since 0.1.0. */
    double ln_p_estimate;
    uint64_t null_samples;
    double null_delta;
} hm_detect_result;

/* Per-position detail, for highlighting and --per-token output. */
typedef struct hm_token_detail {
    uint32_t id;
    int counted;     /* 1 if this position entered the test */
    int skip;        /* 0 counted, 1 no context, 2 duplicate, 3 after EOS, 4 past cap */
    int green;       /* binomial schemes */
    double value;    /* the per-token score (green 0/1, s, or g-count) */
    double u;        /* the uniform (Gumbel-type schemes), else NaN */
    uint64_t gbits;  /* SynthID: bit l = g of layer l (valid when layers > 1) */
    uint32_t layers; /* SynthID: depth m; else 1 */
} hm_token_detail;

/* Creates a detector: the same scheme names, key and parameters as
 * hm_embedder_new.  vocab is a speed hint: schemes with per-token tables
 * (kgw selfhash, unigram) build them for ids below it, at creation, and
 * compute larger ids on the fly; pass the tokenizer's vocabulary size when
 * scoring many tokens, or 0 (no tables) when creating many detectors for
 * short texts.
 * Errors: HM_E_MISUSE, HM_E_NOTFOUND (*bad_param as in hm_embedder_new),
 * HM_E_RANGE, HM_E_NOMEM.  Free with hm_detector_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_detector_new(hm_detector **out, const char *scheme,
                                          const hm_key *key, const char *const *params,
                                          size_t n_params, uint32_t vocab, int *bad_param);

/* NULL is a no-op.  Wipes key material.  Since 0.1.0. */
HM_API void hm_detector_free(hm_detector *d);

/* Sets the deduplication policy (hm_dedup).  HM_OK or HM_E_RANGE. */
HM_API int hm_detector_set_dedup(hm_detector *d, int policy);

/* Masks positions from the first `eos` token on.  eos < 0 turns it off. */
HM_API int hm_detector_set_eos(hm_detector *d, int64_t eos);

/* Canonical "scheme version params" description (as hm_embedder_describe). */
HM_API int hm_detector_describe(const hm_detector *d, char *buf, size_t cap);

/* The scheme's name / the PRF version it uses ("hm-prf-v1", "philox4x32-10-v1"). */
HM_API const char *hm_detector_scheme(const hm_detector *d);
HM_API const char *hm_detector_prf_version(const hm_detector *d);

/* Scores ids[0..n) (the completion) after prompt[0..n_prompt) (may be
 * NULL/0: then the first context-width positions are not scored).  Fills
 * *res; details, when not NULL, receives n entries.  Thread-safe for
 * concurrent calls on one detector.  Errors: HM_E_MISUSE, HM_E_NOMEM.
 * Since 0.1.0. */
HM_API int hm_detect(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                     const uint32_t *ids, size_t n, hm_detect_result *res,
                     hm_token_detail *details);

/* Streaming: init (with the prompt), update any number of times (details,
 * when not NULL, receives n entries per call), final (fills *res; may be
 * called again after more updates).  Free the stream with
 * hm_detect_stream_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_detect_init(const hm_detector *d, hm_detect_stream **out,
                                         const uint32_t *prompt, size_t n_prompt);
HM_API int hm_detect_update(hm_detect_stream *s, const uint32_t *ids, size_t n,
                            hm_token_detail *details);
HM_API int hm_detect_final(const hm_detect_stream *s, hm_detect_result *res);
HM_API void hm_detect_stream_free(hm_detect_stream *s);

/* Several keys at once (key rotation, several accounts): scores the same
 * tokens under each of k detectors in one pass, fills results[0..k), and
 * writes into *ln_p_family the family-wise p-value of the smallest one
 * (Sidak: 1 - (1 - p_min)^k, exact for independent tests and conservative
 * otherwise, via hm_stats_sidak_logp) and into *best the index of the
 * smallest p.  Holm-adjusted per-key p-values go into ln_p_holm when not
 * NULL.  Since 0.1.0. */
HM_API int hm_detect_many(const hm_detector *const *dets, size_t k, const uint32_t *prompt,
                          size_t n_prompt, const uint32_t *ids, size_t n,
                          hm_detect_result *results, double *ln_p_holm,
                          double *ln_p_family, size_t *best);

/* The most significant span of a partly watermarked sequence.  Windows of
 * lengths 16, 32, 64, ... (and n) positions, at strides of a quarter of
 * their length, are tested with the scheme's exact test over their counted
 * positions; the smallest p is corrected by Bonferroni over every window
 * tried, so ln_p is a valid p-value for "some window is marked". */
typedef struct hm_span {
    size_t first, last;   /* token indices [first, last) into ids */
    uint64_t n_scored;
    double score;
    double ln_p_window;   /* the selected window's own tail: a statistic, not a
                             p-value (the window is the most extreme of many) */
    double ln_p;          /* corrected for the n_windows tried */
    uint64_t n_windows;
} hm_span;

/* Computes the span from details previously filled by hm_detect for the
 * same detector.  Returns HM_OK (span.n_scored == 0 when nothing is
 * counted), HM_E_MISUSE or HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_detect_localize(const hm_detector *d, const hm_token_detail *details, size_t n,
                              hm_span *span);

HM_END_DECLS

#endif /* HALLMARK_DETECT_H */
