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

/* Fills *res from aggregated sums exactly as hm_detect_final would for a
 * stream that scored n_scored positions with these sums.  HM_OK or
 * HM_E_MISUSE. */
int hm_detector_result_from_sums(const hm_detector *d, uint64_t n_scored, double sum,
                                 double sum_weighted, uint32_t layers, hm_detect_result *res);

#endif /* HM_DETECT_INTERNAL_H */
