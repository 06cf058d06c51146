/*
 * hallmark/payload.h - decoding a multi-bit payload ("mpac" scheme).
 *
 * Text generated with scheme "mpac" and parameter payload=P (B bits,
 * bits=B, default 32) carries P and a keyed check of C bits (check=C,
 * default 24) in its watermark.  hm_payload_decode() recovers them in one
 * pass, without knowing P: every scored token (deduplicated (context,
 * token) pairs, as hm_detect scores them) adds one count to (its message
 * position, its colour); Viterbi decoding of the convolutional code finds
 * the (payload, check) word whose codeword agrees with the most tokens.
 *
 * Two p-values, each for its own null hypothesis (docs/payload.md):
 *   - ln_p_watermark: H0 "the text carries no watermark of this key".  For
 *     each fixed codeword the agreement is exactly Binomial(n, 1/4) under
 *     H0; the decoded word is the best of all 2^(B+C), and when its check
 *     is valid also the best of the 2^B valid codewords, so
 *     p = min(1, 2^(1+B) * P[Binomial(n, 1/4) >= agreement]) when the
 *     check is valid, 2^(1+B+C) * ... otherwise (two union bounds at half
 *     the level each).
 *   - ln_p_payload: H0 "the text carries a payload other than the decoded
 *     one, or none".  The decoded check must equal the keyed check of the
 *     decoded payload; the checks of all other payloads are PRF outputs the
 *     text does not depend on, so a wrong payload passes with probability
 *     2^-C.  p = max(p_watermark, 2^-C) when the check matches, else 1.
 *
 * The outcome at level alpha (hm_payload_outcome): no watermark
 * (p_watermark > alpha); a watermark whose payload is not determined
 * (p_watermark <= alpha < p_payload); or the payload (p_payload <= alpha).
 * A wrong payload is declared with probability at most alpha.
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

/* Outcomes of a decode at a level alpha. */
enum {
    HM_PAYLOAD_NO_WATERMARK = 0, /* p_watermark > alpha */
    HM_PAYLOAD_UNDETERMINED = 1, /* a watermark, but no payload at alpha */
    HM_PAYLOAD_FOUND = 2         /* p_payload <= alpha: the payload is `payload` */
};

typedef struct hm_payload_result {
    size_t struct_size;       /* set by the library */
    uint32_t bits;            /* B */
    uint32_t check_bits;      /* C */
    uint32_t positions;       /* L = B + C + 6 message positions */
    uint32_t positions_seen;  /* message positions with at least one counted token */
    uint64_t payload;         /* the decoded payload (B bits): a finding only when FOUND */
    int check_ok;             /* the decoded check equals the keyed check of `payload` */
    uint64_t n_tokens;        /* positions seen */
    uint64_t n_scored;        /* positions counted (deduplicated) */
    uint64_t agreement;       /* counted tokens in their position's decoded colour */
    double ln_p_watermark;    /* H0: no watermark of this key (union over 2^(B+C) words) */
    double log10_p_watermark;
    double ln_p_payload;      /* H0: another payload, or none (0 = p 1 when the check fails) */
    double log10_p_payload;
} hm_payload_result;

/* Decodes the payload of ids[0..n) after prompt[0..n_prompt) (may be
 * NULL/0) with a detector for scheme "mpac" (its payload parameter, if
 * any, is ignored; bits and h must match generation).
 * Returns HM_OK, HM_E_MISUSE (NULL arguments), HM_E_UNSUPPORTED (the
 * detector's scheme is not "mpac"), HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_payload_decode(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                             const uint32_t *ids, size_t n, hm_payload_result *res);

/* The outcome (HM_PAYLOAD_*) of a result at level alpha in (0, 1), or -1
 * for a NULL result or an alpha outside (0, 1).  Since 0.1.0. */
HM_API int hm_payload_outcome(const hm_payload_result *res, double alpha);

/* The outcome's name: "no_watermark", "undetermined", "found"; NULL for
 * other values.  Since 0.1.0. */
HM_API const char *hm_payload_outcome_name(int outcome);

HM_END_DECLS

#endif /* HALLMARK_PAYLOAD_H */
