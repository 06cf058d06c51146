/*
 * trace_internal.h - private controls of the tracer (tests only).
 */
#ifndef HM_TRACE_INTERNAL_H
#define HM_TRACE_INTERNAL_H

#include "hallmark/trace.h"

/* on = 1: score every account through the scheme vtable (the reference
 * path), never through the KGW fast path. */
void hm_trace__force_generic(hm_trace *t, int on);

#endif /* HM_TRACE_INTERNAL_H */
