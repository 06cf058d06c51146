/*
 * tok_fastsplit.c - hand-written pre-splitters equivalent to the cl100k_base
 * and o200k_base split regexes, with the regex engine's leftmost-first
 * backtracking worked out by hand for each alternative (derivation in
 * docs/tokenizers.md).  Character classes come from a per-tokenizer table
 * for the BMP built from libutf8proc's general categories (Unicode 15, as
 * tiktoken's Rust regex) and White_Space; PCRE2 stays the generic path and
 * the cross-check in tests and fuzzing.  The Qwen2/Qwen3 Split regex is
 * cl100k's with \p{N} for \p{N}{1,3} and shares its splitter.
 */
#include "tok_internal.h"

#include <stdlib.h>
#include <utf8proc.h>

#include "hallmark/error.h"

enum { C_L = 1, C_N = 2, C_WS = 4, C_NL = 8, C_UP = 16, C_LO = 32 };

static int is_white_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

static uint8_t class_of(uint32_t c)
{
    uint8_t k = 0;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT: k = C_L | C_UP; break;
    case UTF8PROC_CATEGORY_LL: k = C_L | C_LO; break;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: k = C_L | C_UP | C_LO; break;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: k = C_UP | C_LO; break;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: k = C_N; break;
    default: break;
    }
    if (is_white_space(c)) k |= C_WS;
    if (c == '\r' || c == '\n') k |= C_NL;
    return k;
}

int tok_fast_table(hm_tokenizer *t)
{
    uint32_t c;
    t->cls = malloc(65536);
    if (!t->cls) return HM_E_NOMEM;
    for (c = 0; c < 65536; c++) t->cls[c] = class_of(c);
    return HM_OK;
}

struct fs {
    const unsigned char *p;
    size_t n;
    const uint8_t *tab;
};

/* Class of the character at i; its byte length in *len. */
static inline uint8_t cls(const struct fs *f, size_t i, size_t *len)
{
    const unsigned char *p = f->p + i;
    uint32_t c;
    if (p[0] < 0x80) {
        *len = 1;
        return f->tab[p[0]];
    }
    if (p[0] < 0xE0) {
        *len = 2;
        c = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        return f->tab[c];
    }
    if (p[0] < 0xF0) {
        *len = 3;
        c = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return f->tab[c];
    }
    *len = 4;
    c = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
        ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return class_of(c);
}

/* End of the run of characters whose class has a bit of `mask`. */
static inline size_t run(const struct fs *f, size_t i, uint8_t mask)
{
    size_t l;
    while (i < f->n && (cls(f, i, &l) & mask)) i += l;
    return i;
}

/* Length of (?i:'s|'t|'re|'ve|'m|'ll|'d) at i, or 0 ("s" also matches
 * U+017F LATIN SMALL LETTER LONG S under Unicode case folding). */
static size_t contraction(const struct fs *f, size_t i)
{
    const unsigned char *p = f->p + i;
    size_t r = f->n - i;
    unsigned a, b;
    if (r < 2 || p[0] != '\'') return 0;
    a = p[1] | 0x20u;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return p[1] < 0x80 ? 2 : 0;
    if (p[1] == 0xC5 && r >= 3 && p[2] == 0xBF) return 3; /* U+017F */
    if (r < 3) return 0;
    b = p[2] | 0x20u;
    if (p[2] >= 0x80) return 0;
    if ((a == 'r' || a == 'v') && b == 'e') return 3;
    if (a == 'l' && b == 'l') return 3;
    return 0;
}

/* \p{N}{1,max} */
static size_t digits(const struct fs *f, size_t i, size_t max)
{
    size_t l, k;
    for (k = 0; k < max && i < f->n && (cls(f, i, &l) & C_N); k++) i += l;
    return i;
}

/* ` ?[^\s\p{L}\p{N}]+` then `[\r\n]*` (plus '/' when `slash`); 0 if none. */
static size_t punct(const struct fs *f, size_t i, uint8_t c, size_t cl, int slash)
{
    size_t j = i, l, e;
    if (f->p[i] == ' ' && i + 1 < f->n && !(cls(f, i + 1, &l) & (C_WS | C_L | C_N))) {
        j = i + 1;
    } else if (c & (C_WS | C_L | C_N)) {
        return 0;
    }
    (void)cl;
    e = j;
    while (e < f->n && !(cls(f, e, &l) & (C_WS | C_L | C_N))) e += l;
    while (e < f->n && (f->p[e] == '\r' || f->p[e] == '\n' || (slash && f->p[e] == '/'))) e++;
    return e;
}

/* \s*[\r\n]+ | \s+(?!\S) | \s+ at a whitespace character. */
static size_t spaces(const struct fs *f, size_t i)
{
    size_t e = i, l, last_nl = 0, last_start = i, count = 0;
    int has_nl = 0;
    while (e < f->n) {
        uint8_t c = cls(f, e, &l);
        if (!(c & C_WS)) break;
        if (c & C_NL) {
            has_nl = 1;
            last_nl = e + 1;
        }
        last_start = e;
        count++;
        e += l;
    }
    if (has_nl) return last_nl;
    if (e == f->n || count < 2) return e;
    return last_start;
}

static size_t cl100k_next(const struct fs *f, size_t i, size_t max_digits)
{
    size_t cl, l, k;
    uint8_t c = cls(f, i, &cl);
    if (f->p[i] == '\'') {
        k = contraction(f, i);
        if (k) return i + k;
    }
    if (!(c & (C_NL | C_L | C_N)) && i + cl < f->n && (cls(f, i + cl, &l) & C_L))
        return run(f, i + cl, C_L);
    if (c & C_L) return run(f, i, C_L);
    if (c & C_N) return digits(f, i, max_digits);
    k = punct(f, i, c, cl, 0);
    if (k) return k;
    return spaces(f, i);
}

/* [UP]*[LO]+ at s (with backtracking), or 0. */
static size_t o200k_a1(const struct fs *f, size_t s)
{
    size_t e = s, l, last_lo_end = 0;
    while (e < f->n) {
        uint8_t c = cls(f, e, &l);
        if (!(c & C_UP)) break;
        if (c & C_LO) last_lo_end = e + l;
        e += l;
    }
    if (e < f->n && (cls(f, e, &l) & C_LO)) return run(f, e, C_LO);
    return last_lo_end;
}

/* [UP]+[LO]* at s, or 0. */
static size_t o200k_a2(const struct fs *f, size_t s)
{
    size_t e = run(f, s, C_UP);
    if (e == s) return 0;
    return run(f, e, C_LO);
}

static size_t o200k_next(const struct fs *f, size_t i)
{
    size_t cl, k, r = 0;
    uint8_t c = cls(f, i, &cl);
    int pre = !(c & (C_NL | C_L | C_N)) && i + cl < f->n;
    if (pre) r = o200k_a1(f, i + cl);
    if (!r) r = o200k_a1(f, i);
    if (!r && pre) r = o200k_a2(f, i + cl);
    if (!r) r = o200k_a2(f, i);
    if (r) {
        if (r < f->n && f->p[r] == '\'') r += contraction(f, r);
        return r;
    }
    if (c & C_N) return digits(f, i, 3);
    k = punct(f, i, c, cl, 1);
    if (k) return k;
    return spaces(f, i);
}

int tok_split_fast(const hm_tokenizer *t, const unsigned char *p, size_t n, tok_piece_fn emit,
                   void *ctx)
{
    struct fs f;
    size_t i = 0;
    f.p = p;
    f.n = n;
    f.tab = t->cls;
    while (i < n) {
        size_t e = t->fast == TOK_FAST_O200K ? o200k_next(&f, i)
                   : cl100k_next(&f, i, t->fast == TOK_FAST_QWEN ? 1 : 3);
        int rc;
        if (e <= i) return HM_E_INTERNAL;
        rc = emit(ctx, i, e);
        if (rc) return rc;
        i = e;
    }
    return HM_OK;
}
