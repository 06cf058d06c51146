/*
 * testutil.h - helpers shared by the unit tests (see testutil.c).
 */
#ifndef HM_TESTUTIL_H
#define HM_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Zipf-shaped logits (-s ln rank), randomly permuted by `seed`. */
void hm_test_zipf_logits(float *lg, size_t V, uint64_t seed, double s);

/* Generates n tokens with `scheme` keyed by secret (NULL for interop
 * profiles, whose keys are params), or plainly when scheme is NULL, from
 * Zipf logits that depend on the previous token.  Returns a status. */
int hm_test_generate(const char *scheme, const uint8_t *secret, const char *const *params,
                     size_t np, size_t V, size_t n, uint64_t seed, uint32_t *out);

#endif /* HM_TESTUTIL_H */
