/*
 * tok_split.c - pre-splitting valid UTF-8 text into pieces before byte-pair
 * merging: the generic path runs the encoding's split regex with PCRE2 (JIT),
 * treating unmatched gaps as pieces of their own; tokenizers without a
 * pre-tokenizer get the whole run as one piece.
 */
#include "tok_internal.h"

#include "hallmark/error.h"

static size_t lead_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

int tok_split_regex(const pcre2_code *re, hm_tok_scratch *s, const unsigned char *p, size_t n,
                    tok_piece_fn emit, void *ctx)
{
    size_t pos = 0, gap = 0;
    int rc = tok_scratch_match_ready(s);
    if (rc) return rc;
    while (pos < n) {
        PCRE2_SIZE *ov;
        size_t a, b;
        int r = pcre2_match(re, p, n, pos, PCRE2_NO_UTF_CHECK, s->md, s->mctx);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r < 0) return r == PCRE2_ERROR_JIT_STACKLIMIT ? HM_E_LIMIT : HM_E_INTERNAL;
        ov = pcre2_get_ovector_pointer(s->md);
        a = ov[0];
        b = ov[1];
        if (b <= a) { /* empty match: step one character */
            pos = a + lead_len(p[a]);
            continue;
        }
        if (a > gap) {
            rc = emit(ctx, gap, a);
            if (rc) return rc;
        }
        rc = emit(ctx, a, b);
        if (rc) return rc;
        pos = gap = b;
    }
    if (gap < n) return emit(ctx, gap, n);
    return HM_OK;
}

int tok_split(const hm_tokenizer *tok, hm_tok_scratch *s, const unsigned char *p, size_t n,
              tok_piece_fn emit, void *ctx)
{
    if (tok->fast != TOK_FAST_NONE) return tok_split_fast(tok, p, n, emit, ctx);
    if (tok->re) return tok_split_regex(tok->re, s, p, n, emit, ctx);
    return emit(ctx, 0, n);
}
