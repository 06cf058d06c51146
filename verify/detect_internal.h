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

#endif /* HM_DETECT_INTERNAL_H */
