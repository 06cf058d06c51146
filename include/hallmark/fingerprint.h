/*
 * hallmark/fingerprint.h - model fingerprints after Chain & Hash
 * (Russinovich and Salem, 2024, arXiv 2407.10887).
 *
 * A key derives a list of secret question/answer pairs: question i is
 * built from a small built-in word list by the keyed PRF (scheme id
 * "fingerprint") and offers K candidate words; its answer is the candidate
 * the keyed hash picks, uniformly and independently of everything the
 * question shows.  A model fine-tuned on the pairs answers them; any model
 * that never saw the key matches each answer with probability exactly 1/K
 * whatever it does, so the number of matches among n asked questions is
 * Binomial(n, 1/K) under H0 and the exact upper tail is the p-value.
 * Question i depends only on (key, i, K), so the first N pairs of a longer
 * list are the pairs of a shorter one.
 *
 * The commitment is public: BLAKE2b-256 over "hallmark-fingerprint-v1" 0x00
 * || LE32(K) || LE32(N) || for each pair LE32(len q) q LE32(len a) a.  It
 * binds the owner to the set before any dispute without revealing it.
 *
 * Thread-safety: a fingerprint set is immutable after creation.
 */
#ifndef HALLMARK_FINGERPRINT_H
#define HALLMARK_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_key hm_key;
typedef struct hm_fingerprint hm_fingerprint;

#define HM_FINGERPRINT_COMMITMENTBYTES 32
#define HM_FINGERPRINT_MAX_COUNT 1000000
#define HM_FINGERPRINT_MIN_CANDIDATES 2
#define HM_FINGERPRINT_MAX_CANDIDATES 16
#define HM_FINGERPRINT_DEFAULT_CANDIDATES 8

/* Derives `count` (1..HM_FINGERPRINT_MAX_COUNT) pairs with `candidates`
 * (2..16; 0 = 8) answer candidates each from a master or derived key.
 * Returns HM_OK, HM_E_MISUSE (NULL, signing key), HM_E_RANGE, HM_E_NOMEM.
 * Free with hm_fingerprint_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_fingerprint_new(hm_fingerprint **out, const hm_key *key,
                                             size_t count, unsigned candidates);

/* NULL is a no-op.  Wipes the pairs.  Since 0.1.0. */
HM_API void hm_fingerprint_free(hm_fingerprint *fp);

/* Number of pairs / candidates per question.  Since 0.1.0. */
HM_API size_t hm_fingerprint_count(const hm_fingerprint *fp);
HM_API unsigned hm_fingerprint_candidates(const hm_fingerprint *fp);

/* Pair i: NUL-terminated UTF-8 strings owned by fp.  HM_OK, HM_E_MISUSE,
 * HM_E_RANGE.  Since 0.1.0. */
HM_API int hm_fingerprint_pair(const hm_fingerprint *fp, size_t i, const char **question,
                               const char **answer);

/* The public commitment (see above).  HM_OK or HM_E_MISUSE.  Since 0.1.0. */
HM_API int hm_fingerprint_commitment(const hm_fingerprint *fp,
                                     uint8_t out[HM_FINGERPRINT_COMMITMENTBYTES]);

/* Finds the pair whose question equals `question` (len bytes; compared
 * after trimming surrounding white space).  Returns its index, or -1.
 * Since 0.1.0. */
HM_API long hm_fingerprint_find(const hm_fingerprint *fp, const char *question, size_t len);

/* 1 if `response` (len bytes) matches pair i's answer after
 * normalization (case-folded ASCII, surrounding white space and
 * punctuation removed, inner white space collapsed), else 0.  Since 0.1.0. */
HM_API int hm_fingerprint_matches(const hm_fingerprint *fp, size_t i, const char *response,
                                  size_t len);

/* ln P[Binomial(asked, 1/K) >= matched]: the exact p-value against chance.
 * Since 0.1.0. */
HM_API double hm_fingerprint_logp(const hm_fingerprint *fp, uint64_t asked, uint64_t matched);

HM_END_DECLS

#endif /* HALLMARK_FINGERPRINT_H */
