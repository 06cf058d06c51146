/*
 * hallmark/result.h - the result record `hallmark-result-v1`: what every
 * test prints with --json and what a report is built from.
 *
 * A result is one JSON object (docs/formats.md, "Results";
 * docs/result.schema.json).  This header holds the rules that every writer
 * and reader of results shares: the format name, the checks a result must
 * pass before anything is built from it, and the rule by which a p-value is
 * written as a JSON number.
 *
 * Thread-safety: every call is reentrant and keeps no state.  Results are
 * never retained.
 */
#ifndef HALLMARK_RESULT_H
#define HALLMARK_RESULT_H

#include <stddef.h>

#include "export.h"

HM_BEGIN_DECLS

/* The value of a result's "result_format" field. */
#define HM_RESULT_FORMAT "hallmark-result-v1"

/* Checks that json[0..len) is a result that a report may be built from:
 * one JSON object of a known type ("type" absent for detect, else "scan",
 * "radioactivity", "trace", "payload-decode", "fingerprint-verify") with its
 * headline statistic, "result_format" (when present) HM_RESULT_FORMAT, and
 * the types of known fields at every depth (numbers finite; log10_p and
 * ln_p numbers <= 0; key ids short lowercase words; n_scored and n_tokens
 * decimal strings; at most 32 levels).  On HM_E_FORMAT, why (may be NULL)
 * receives a NUL-terminated reason of at most cap bytes (no byte of the
 * input is copied into it unescaped).  Returns HM_OK, HM_E_FORMAT,
 * HM_E_MISUSE, HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_result_check(const char *json, size_t len, char *why, size_t cap);

/* The JSON number for a p-value given as ln p (<= 0): writes exp(ln_p)
 * into *p and returns HM_OK while it is a normal double (p >= DBL_MIN);
 * returns HM_E_RANGE (and *p = 0, which must not be printed) below that,
 * where a result writes null and relies on log10_p and the printed form
 * (hm_stats_format_p).  ln_p > 0 gives 1.  HM_E_MISUSE for NULL or NaN.
 * Since 0.1.0. */
HM_API int hm_result_p(double ln_p, double *p);

HM_END_DECLS

#endif /* HALLMARK_RESULT_H */
