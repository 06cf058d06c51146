/*
 * hallmark/payload.h - decoding a multi-bit payload ("mpac" scheme).
 *
 * Text generated with scheme "mpac" and parameter payload=P (B bits,
 * bits=B, default 32) carries P in its watermark.  hm_payload_decode()
 * recovers P from the text in one pass, without knowing it: every scored
 * token (deduplicated (context, token) pairs, as hm_detect scores them)
 * adds one count to (its message position, its colour); Viterbi decoding
 * of the convolutional code then finds the payload whose codeword agrees
 * with the most tokens.  The p-value accounts for every candidate
 * message: for each fixed payload the agreement count is exactly
 * Binomial(n, 1/4) under H0, and the decoded one is the maximum over all
 * 2^B payloads, so p = min(1, 2^B * P[Binomial(n, 1/4) >= agreement])
 * (union bound).  The same p-value is the zero-bit test "this text
 * carries SOME payload under this key".  Details: docs/payload.md.
 *
 * Thread-safety: hm_payload_decode may be called concurrently on one
 * detector.
 */
#ifndef HALLMARK_PAYLOAD_H
#define HALLMARK_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_detector hm_detector;

typedef struct hm_payload_result {
    size_t struct_size;     /* set by the library */
    uint32_t bits;          /* B */
    uint32_t positions;     /* L = B + 6 message positions */
    uint64_t payload;       /* the decoded payload (B bits) */
    uint64_t n_tokens;      /* positions seen */
    uint64_t n_scored;      /* positions counted (deduplicated) */
    uint64_t agreement;     /* counted tokens in their position's decoded colour */
    uint32_t positions_seen; /* message positions with at least one counted token */
    double ln_p_fixed;      /* ln P[Binomial(n, 1/4) >= agreement]: a p-value only for a
                               payload PRE-SPECIFIED before decoding; for the decoded one
                               a statistic (printed as agreement_log10_tail) */
    double ln_p;            /* corrected over all 2^B payloads (use this one) */
    double log10_p;         /* ln_p / ln 10 */
} hm_payload_result;

/* Decodes the payload of ids[0..n) after prompt[0..n_prompt) (may be
 * NULL/0) with a detector for scheme "mpac" (its payload parameter, if
 * any, is ignored; bits and h must match generation).
 * Returns HM_OK, HM_E_MISUSE (NULL arguments), HM_E_UNSUPPORTED (the
 * detector's scheme is not "mpac"), HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_payload_decode(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                             const uint32_t *ids, size_t n, hm_payload_result *res);

HM_END_DECLS

#endif /* HALLMARK_PAYLOAD_H */
