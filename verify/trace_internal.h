/*
 * trace_internal.h - private controls of the tracer (tests only).
 */
#ifndef HM_TRACE_INTERNAL_H
#define HM_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hallmark/trace.h"

/* on = 1: score every account through the scheme vtable (the reference
 * path), never through the KGW fast path. */
void hm_trace__force_generic(hm_trace *t, int on);

/* The 32-byte secret the tracer derives for account i (tests compare it
 * with hm_key_derive).  HM_OK or HM_E_MISUSE. */
int hm_trace__derived_secret(const hm_trace *t, size_t i, uint8_t out[32]);

#endif /* HM_TRACE_INTERNAL_H */
