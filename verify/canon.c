/*
 * canon.c - canonical text before tokenizing (hallmark/canon.h), with ICU:
 * NFKC (unorm2), default-ignorable and format characters (u_hasBinaryProperty,
 * u_charType), white space (u_isUWhiteSpace), scripts (uscript_getScript) and
 * confusable skeletons (uspoof_getSkeleton).  Design: docs/canonical.md.
 *
 * Pass 1 decodes UTF-8, drops invisible characters, normalizes each
 * normalization segment (a code point with a boundary before it and the code
 * points up to the next one, so that segments never interact), and folds
 * spaces and line breaks.  Pass 2, only when pass 1 emitted a non-ASCII
 * letter, folds look-alike letters in mixed-script words.  Every output byte
 * carries the input range it came from.
 */
#include "hallmark/canon.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define SEG_MAX 32   /* code points per normalization segment before a forced cut */
#define SK_MAX 8     /* UTF-16 units kept of a skeleton */

struct hm_canon {
    const UNormalizer2 *nfkc;
    USpoofChecker *spoof;
    UChar ascii_sk[52][SK_MAX]; /* skeletons of A-Z then a-z */
    int32_t ascii_sk_len[52];
};

/* ---- output buffer ------------------------------------------------------- */

struct obuf {
    hm_canon_output *o;
};

static int grow(hm_canon_output *o, size_t need)
{
    size_t cap = o->cap ? o->cap : 256;
    char *t;
    size_t *s, *e;
    if (need + 1 <= o->cap) return HM_OK;
    while (cap < need + 1) cap *= 2;
    t = realloc(o->text, cap);
    if (!t) return HM_E_NOMEM;
    o->text = t;
    s = realloc(o->src_start, cap * sizeof *s);
    if (!s) return HM_E_NOMEM;
    o->src_start = s;
    e = realloc(o->src_end, cap * sizeof *e);
    if (!e) return HM_E_NOMEM;
    o->src_end = e;
    o->cap = cap;
    return HM_OK;
}

static size_t utf8_put(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int put_raw(hm_canon_output *o, const char *b, size_t n, size_t s, size_t e)
{
    size_t i;
    if (grow(o, o->len + n) != HM_OK) return HM_E_NOMEM;
    for (i = 0; i < n; i++) {
        o->text[o->len] = b[i];
        o->src_start[o->len] = s;
        o->src_end[o->len] = e;
        o->len++;
    }
    return HM_OK;
}

static int put_cp(hm_canon_output *o, uint32_t cp, size_t s, size_t e)
{
    char b[4];
    return put_raw(o, b, utf8_put(cp, b), s, e);
}

/* Strict UTF-8 decoding: returns the length (1-4) and *cp, or 0 for an
 * invalid byte (then one byte is consumed as invalid). */
static size_t utf8_get(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF && n >= 2 && (p[1] & 0xC0) == 0x80) {
        *cp = ((c & 0x1F) << 6) | (p[1] & 0x3Fu);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        uint32_t v = ((c & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = v;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
        (p[3] & 0xC0) == 0x80) {
        uint32_t v = ((c & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
                     (p[3] & 0x3Fu);
        if (v < 0x10000 || v > 0x10FFFF) return 0;
        *cp = v;
        return 4;
    }
    return 0;
}

/* UTF-16 helpers (ICU's macros trip -Wsign-conversion). */
static int32_t u16_put(UChar *b, int32_t i, uint32_t cp)
{
    if (cp < 0x10000) {
        b[i++] = (UChar)cp;
    } else {
        b[i++] = (UChar)(0xD800 + ((cp - 0x10000) >> 10));
        b[i++] = (UChar)(0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
    return i;
}

static int32_t u16_get(const UChar *b, int32_t i, int32_t n, int32_t *cp)
{
    uint32_t c = b[i++];
    if (c >= 0xD800 && c <= 0xDBFF && i < n && b[i] >= 0xDC00 && b[i] <= 0xDFFF)
        c = 0x10000 + ((c - 0xD800) << 10) + (uint32_t)(b[i++] - 0xDC00);
    *cp = (int32_t)c;
    return i;
}

/* ---- pass 1: spaces and line breaks -------------------------------------- */

enum { LAST_NONE, LAST_SPACE, LAST_LF, LAST_OTHER };

struct p1 {
    hm_canon_output *o;
    int last;
    int nl_run;         /* line breaks since the last non-space character */
    size_t cr_end;      /* input end of the last CR emitted as LF, or SIZE_MAX */
    int nonascii_alpha; /* pass 2 needed */
    /* the pending normalization segment */
    uint32_t seg[SEG_MAX];
    size_t seg_s[SEG_MAX], seg_e[SEG_MAX];
    size_t nseg;
};

static int is_line_break(uint32_t cp)
{
    return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028 ||
           cp == 0x2029;
}

static int is_space(uint32_t cp)
{
    if (cp < 0x80) return cp == ' ' || cp == '\t';
    return u_isUWhiteSpace((UChar32)cp) != 0;
}

static int ws_emit(struct p1 *st, uint32_t cp, size_t s, size_t e)
{
    hm_canon_output *o = st->o;
    if (is_line_break(cp)) {
        if (cp == '\n' && st->cr_end == s && st->last == LAST_LF) {
            /* CR LF: one line break (the CR was already emitted as LF) */
            o->src_end[o->len - 1] = e;
            o->counts.line_breaks_folded++;
            st->cr_end = SIZE_MAX;
            return HM_OK;
        }
        st->cr_end = cp == '\r' ? e : SIZE_MAX;
        if (st->nl_run >= 2) {
            o->counts.line_breaks_folded++;
            return HM_OK;
        }
        if (cp != '\n') o->counts.line_breaks_folded++;
        st->nl_run++;
        st->last = LAST_LF;
        return put_cp(o, '\n', s, e);
    }
    st->cr_end = SIZE_MAX;
    if (is_space(cp)) {
        if (cp != ' ') o->counts.spaces_mapped++;
        if (st->last == LAST_SPACE) {
            o->counts.spaces_collapsed++;
            o->src_end[o->len - 1] = e;
            return HM_OK;
        }
        st->last = LAST_SPACE;
        return put_cp(o, ' ', s, e);
    }
    st->last = LAST_OTHER;
    st->nl_run = 0;
    if (cp >= 0x80 && u_isalpha((UChar32)cp)) st->nonascii_alpha = 1;
    return put_cp(o, cp, s, e);
}

static int flush_seg(const hm_canon *c, struct p1 *st)
{
    UChar in[SEG_MAX * 2], outb[SEG_MAX * 18 + 16];
    int32_t ni = 0, no, k;
    UErrorCode err = U_ZERO_ERROR;
    size_t i, n = st->nseg, s, e;
    int st_ok;
    if (n == 0) return HM_OK;
    st->nseg = 0;
    if (n == 1 && (st->seg[0] < 0x80 || is_space(st->seg[0])))
        return ws_emit(st, st->seg[0], st->seg_s[0], st->seg_e[0]);
    for (i = 0; i < n; i++) ni = u16_put(in, ni, st->seg[i]);
    if (unorm2_isNormalized(c->nfkc, in, ni, &err) && U_SUCCESS(err)) {
        for (i = 0; i < n; i++)
            if ((st_ok = ws_emit(st, st->seg[i], st->seg_s[i], st->seg_e[i])) != HM_OK)
                return st_ok;
        return HM_OK;
    }
    err = U_ZERO_ERROR;
    no = unorm2_normalize(c->nfkc, in, ni, outb, (int32_t)(sizeof outb / sizeof outb[0]), &err);
    if (U_FAILURE(err)) { /* cannot happen within the buffer bound; keep the text */
        for (i = 0; i < n; i++)
            if ((st_ok = ws_emit(st, st->seg[i], st->seg_s[i], st->seg_e[i])) != HM_OK)
                return st_ok;
        return HM_OK;
    }
    for (i = 0; i < n; i++) {
        st->o->counts.normalized++;
        if (st->seg[i] >= 0xFF00 && st->seg[i] <= 0xFFEF) st->o->counts.fullwidth++;
    }
    s = st->seg_s[0];
    e = st->seg_e[n - 1];
    for (k = 0; k < no;) {
        UChar32 cp;
        k = u16_get(outb, k, no, &cp);
        if (cp < 0) continue;
        /* NFKC may produce spaces (U+00A0 etc. -> U+0020): spaces, not "normalized" */
        if (n == 1 && is_space((uint32_t)cp)) {
            st->o->counts.normalized--;
            st->o->counts.spaces_mapped++;
            if (st->last == LAST_SPACE) {
                st->o->counts.spaces_collapsed++;
                st->o->src_end[st->o->len - 1] = e;
                continue;
            }
            st->last = LAST_SPACE;
            st->cr_end = SIZE_MAX;
            if ((st_ok = put_cp(st->o, ' ', s, e)) != HM_OK) return st_ok;
            continue;
        }
        if ((st_ok = ws_emit(st, (uint32_t)cp, s, e)) != HM_OK) return st_ok;
    }
    return HM_OK;
}

static int is_invisible(uint32_t cp)
{
    if (cp < 0x80) return 0;
    if (u_charType((UChar32)cp) == U_FORMAT_CHAR) return 1;
    return u_hasBinaryProperty((UChar32)cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0;
}

static int pass1(const hm_canon *c, const unsigned char *t, size_t len, hm_canon_output *o,
                 int *need_pass2)
{
    struct p1 st;
    size_t i = 0;
    int s;
    memset(&st, 0, sizeof st);
    st.o = o;
    st.last = LAST_NONE;
    st.cr_end = SIZE_MAX;
    while (i < len) {
        uint32_t cp;
        size_t n;
        if (t[i] < 0x80) {
            cp = t[i];
            n = 1;
            if (t[i] > ' ' && (i + 1 >= len || t[i + 1] < 0x80)) {
                /* a printable ASCII byte that no combining mark follows */
                if (st.nseg && (s = flush_seg(c, &st)) != HM_OK) return s;
                if (grow(o, o->len + 1) != HM_OK) return HM_E_NOMEM;
                o->text[o->len] = (char)cp;
                o->src_start[o->len] = i;
                o->src_end[o->len] = i + 1;
                o->len++;
                st.last = LAST_OTHER;
                st.nl_run = 0;
                st.cr_end = SIZE_MAX;
                i++;
                continue;
            }
        } else {
            n = utf8_get(t + i, len - i, &cp);
            if (n == 0) {
                if ((s = flush_seg(c, &st)) != HM_OK) return s;
                o->counts.invalid_bytes++;
                st.last = LAST_OTHER;
                st.nl_run = 0;
                st.cr_end = SIZE_MAX;
                if ((s = put_raw(o, (const char *)t + i, 1, i, i + 1)) != HM_OK) return s;
                i++;
                continue;
            }
            if (is_invisible(cp)) {
                o->counts.removed_invisible++;
                i += n;
                continue;
            }
        }
        if (cp < 0x80 || st.nseg == SEG_MAX || unorm2_hasBoundaryBefore(c->nfkc, (UChar32)cp))
            if ((s = flush_seg(c, &st)) != HM_OK) return s;
        st.seg[st.nseg] = cp;
        st.seg_s[st.nseg] = i;
        st.seg_e[st.nseg] = i + n;
        st.nseg++;
        i += n;
    }
    if ((s = flush_seg(c, &st)) != HM_OK) return s;
    *need_pass2 = st.nonascii_alpha;
    return HM_OK;
}

/* ASCII input: spaces and line breaks only, no ICU. */
static int pass1_ascii(const unsigned char *t, size_t len, hm_canon_output *o)
{
    struct p1 st;
    size_t i;
    int s;
    memset(&st, 0, sizeof st);
    st.o = o;
    st.last = LAST_NONE;
    st.cr_end = SIZE_MAX;
    if (grow(o, len) != HM_OK) return HM_E_NOMEM;
    for (i = 0; i < len; i++) {
        unsigned char b = t[i];
        if (b > ' ' || (b == ' ' && st.last != LAST_SPACE) ||
            (b == '\n' && st.nl_run < 2 && st.cr_end != i)) {
            /* the common case, inline */
            o->text[o->len] = (char)b;
            o->src_start[o->len] = i;
            o->src_end[o->len] = i + 1;
            o->len++;
            if (b == ' ') {
                st.last = LAST_SPACE;
            } else if (b == '\n') {
                st.last = LAST_LF;
                st.nl_run++;
            } else {
                st.last = LAST_OTHER;
                st.nl_run = 0;
            }
            st.cr_end = SIZE_MAX;
            continue;
        }
        if ((s = ws_emit(&st, b, i, i + 1)) != HM_OK) return s;
    }
    return HM_OK;
}

/* ---- pass 2: look-alike letters in mixed-script words --------------------- */

struct word {
    size_t b, e;     /* byte range in the pass-1 text */
    UScriptCode major; /* majority script of its letters (USCRIPT_COMMON if none) */
    int n_scripts;   /* distinct scripts of its letters */
};

static UScriptCode script_of(uint32_t cp)
{
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript((UChar32)cp, &err);
    if (U_FAILURE(err)) return USCRIPT_COMMON;
    return sc;
}

static int is_word_cp(uint32_t cp)
{
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    return u_isalnum((UChar32)cp) || (U_GET_GC_MASK((UChar32)cp) & U_GC_M_MASK);
}

/* A direct-mapped cache of fold_to results for one call (skeletons are
 * slow to compute). */
#define FOLD_CACHE 1024
struct fold_cache {
    uint32_t cp[FOLD_CACHE];
    int32_t to[FOLD_CACHE];
    uint32_t res[FOLD_CACHE];
};

static uint32_t fold_to_uncached(const hm_canon *c, uint32_t cp, UScriptCode to);

static uint32_t fold_to(const hm_canon *c, struct fold_cache *fc, uint32_t cp, UScriptCode to)
{
    size_t h = (cp * 2654435761u + (uint32_t)to) % FOLD_CACHE;
    if (fc->cp[h] == cp && fc->to[h] == (int32_t)to) return fc->res[h];
    fc->cp[h] = cp;
    fc->to[h] = (int32_t)to;
    fc->res[h] = fold_to_uncached(c, cp, to);
    return fc->res[h];
}

/* The folded letter for cp in script `to`, or 0. */
static uint32_t fold_to_uncached(const hm_canon *c, uint32_t cp, UScriptCode to)
{
    UChar in[2], sk[SK_MAX * 2];
    int32_t ni = 0, ns, k, j;
    UErrorCode err = U_ZERO_ERROR;
    UChar32 one;
    if (!u_isalpha((UChar32)cp)) return 0;
    ni = u16_put(in, ni, cp);
    ns = uspoof_getSkeleton(c->spoof, 0, in, ni, sk, SK_MAX * 2, &err);
    if (U_FAILURE(err) || ns <= 0) return 0;
    if (to == USCRIPT_LATIN) {
        /* the ASCII letter with the same skeleton, of the same case if any */
        int upper = u_isupper((UChar32)cp) != 0, best = -1;
        for (j = 0; j < 52; j++) {
            if (c->ascii_sk_len[j] != ns || memcmp(c->ascii_sk[j], sk, (size_t)ns * sizeof(UChar)))
                continue;
            if ((j < 26) == upper) {
                best = j;
                break;
            }
            if (best < 0) best = j;
        }
        if (best >= 0) return best < 26 ? (uint32_t)('A' + best) : (uint32_t)('a' + best - 26);
    }
    k = 0;
    k = u16_get(sk, k, ns, &one);
    if (k != ns || one < 0 || !u_isalpha(one)) return 0;
    if (script_of((uint32_t)one) != to) return 0;
    return (uint32_t)one;
}

static void word_scripts(const char *t, struct word *w)
{
    UScriptCode sc[8];
    int cnt[8], ns = 0, i, best = -1;
    size_t p = w->b;
    for (p = w->b; p < w->e && (unsigned char)t[p] < 0x80; p++) {}
    if (p == w->e) { /* ASCII: Latin if it has a letter */
        for (p = w->b; p < w->e; p++)
            if ((t[p] | 0x20) >= 'a' && (t[p] | 0x20) <= 'z') break;
        w->n_scripts = p < w->e;
        w->major = p < w->e ? USCRIPT_LATIN : USCRIPT_COMMON;
        return;
    }
    p = w->b;
    while (p < w->e) {
        uint32_t cp;
        size_t n = utf8_get((const unsigned char *)t + p, w->e - p, &cp);
        UScriptCode s;
        if (n == 0) break;
        p += n;
        if (!u_isalpha((UChar32)cp)) continue;
        s = script_of(cp);
        if (s == USCRIPT_COMMON || s == USCRIPT_INHERITED || s == USCRIPT_UNKNOWN) continue;
        for (i = 0; i < ns; i++)
            if (sc[i] == s) break;
        if (i == ns) {
            if (ns == 8) continue;
            sc[ns] = s;
            cnt[ns++] = 0;
        }
        cnt[i]++;
    }
    w->n_scripts = ns;
    w->major = USCRIPT_COMMON;
    for (i = 0; i < ns; i++)
        if (best < 0 || cnt[i] > cnt[best] || (cnt[i] == cnt[best] && sc[i] == USCRIPT_LATIN))
            best = i;
    if (best >= 0) w->major = sc[best];
    /* a tie between two scripts is left to the neighbours: mark it */
    if (ns >= 2) {
        int ties = 0;
        for (i = 0; i < ns; i++) ties += cnt[i] == cnt[best];
        if (ties > 1) w->major = USCRIPT_INVALID_CODE;
    }
}

/* Folds the letters of word w that are not in script `to`; returns the
 * number folded, or -1 when `all` is set and some letter does not fold. */
static long fold_word(const hm_canon *c, struct fold_cache *fc, const hm_canon_output *in,
                      const struct word *w, UScriptCode to, int all, hm_canon_output *o, int dry)
{
    size_t p = w->b;
    long folded = 0;
    while (p < w->e) {
        uint32_t cp, f = 0;
        size_t n = utf8_get((const unsigned char *)in->text + p, w->e - p, &cp);
        UScriptCode s;
        if (n == 0) n = 1, cp = 0xFFFFFFFFu;
        if (cp != 0xFFFFFFFFu && u_isalpha((UChar32)cp)) {
            s = script_of(cp);
            if (s != to && s != USCRIPT_COMMON && s != USCRIPT_INHERITED) {
                f = fold_to(c, fc, cp, to);
                if (!f && all) return -1;
            }
        }
        if (!dry) {
            if (f) {
                if (put_cp(o, f, in->src_start[p], in->src_end[p + n - 1]) != HM_OK) return -2;
            } else {
                size_t k;
                if (grow(o, o->len + n) != HM_OK) return -2;
                for (k = 0; k < n; k++) {
                    o->text[o->len] = in->text[p + k];
                    o->src_start[o->len] = in->src_start[p + k];
                    o->src_end[o->len] = in->src_end[p + k];
                    o->len++;
                }
            }
        }
        if (f) folded++;
        p += n;
    }
    return folded;
}

static int copy_range(const hm_canon_output *in, size_t b, size_t e, hm_canon_output *o)
{
    if (e <= b) return HM_OK;
    if (grow(o, o->len + (e - b)) != HM_OK) return HM_E_NOMEM;
    memcpy(o->text + o->len, in->text + b, e - b);
    memcpy(o->src_start + o->len, in->src_start + b, (e - b) * sizeof(size_t));
    memcpy(o->src_end + o->len, in->src_end + b, (e - b) * sizeof(size_t));
    o->len += e - b;
    return HM_OK;
}

static int pass2(const hm_canon *c, const hm_canon_output *in, hm_canon_output *o)
{
    struct word *w = NULL;
    size_t nw = 0, capw = 0, p = 0, i, done = 0;
    int rc = HM_OK;
    struct fold_cache *fc = calloc(1, sizeof *fc);
    if (!fc) return HM_E_NOMEM;
    fc->cp[0] = 1; /* no entry matches code point 0 */
    /* find the words */
    while (p < in->len) {
        uint32_t cp;
        size_t n = utf8_get((const unsigned char *)in->text + p, in->len - p, &cp);
        if (n == 0 || !is_word_cp(cp)) {
            p += n ? n : 1;
            continue;
        }
        if (nw == capw) {
            size_t nc = capw ? capw * 2 : 256;
            struct word *nwp = realloc(w, nc * sizeof *w);
            if (!nwp) {
                free(w);
                free(fc);
                return HM_E_NOMEM;
            }
            w = nwp;
            capw = nc;
        }
        w[nw].b = p;
        while (p < in->len) {
            n = utf8_get((const unsigned char *)in->text + p, in->len - p, &cp);
            if (n == 0 || !is_word_cp(cp)) break;
            p += n;
        }
        w[nw].e = p;
        word_scripts(in->text, &w[nw]);
        nw++;
    }
    for (i = 0; i < nw && rc == HM_OK; i++) {
        UScriptCode to = USCRIPT_INVALID_CODE, prev, next;
        int all = 0;
        long f;
        prev = i > 0 ? w[i - 1].major : USCRIPT_INVALID_CODE;
        next = i + 1 < nw ? w[i + 1].major : USCRIPT_INVALID_CODE;
        if (w[i].n_scripts >= 2) {
            to = w[i].major;
            if (to == USCRIPT_INVALID_CODE) /* a tie: the neighbours decide */
                to = prev != USCRIPT_INVALID_CODE && prev != USCRIPT_COMMON ? prev : next;
        } else if (w[i].n_scripts == 1 && w[i].major != USCRIPT_LATIN) {
            /* a one-script word between words of one other script */
            UScriptCode a = prev, b = next;
            if (a == USCRIPT_INVALID_CODE || a == USCRIPT_COMMON) a = b;
            if (b == USCRIPT_INVALID_CODE || b == USCRIPT_COMMON) b = a;
            if (a == b && a != USCRIPT_INVALID_CODE && a != USCRIPT_COMMON && a != w[i].major) {
                to = a;
                all = 1;
            }
        }
        if (to == USCRIPT_INVALID_CODE || to == USCRIPT_COMMON) continue;
        f = fold_word(c, fc, in, &w[i], to, all, o, 1);
        if (f <= 0) continue;
        if ((rc = copy_range(in, done, w[i].b, o)) != HM_OK) break;
        f = fold_word(c, fc, in, &w[i], to, all, o, 0);
        if (f < 0) {
            rc = HM_E_NOMEM;
            break;
        }
        o->counts.lookalikes_folded += (uint64_t)f;
        done = w[i].e;
    }
    if (rc == HM_OK) rc = copy_range(in, done, in->len, o);
    free(w);
    free(fc);
    return rc;
}

/* ---- public -------------------------------------------------------------- */

int hm_canon_new(hm_canon **out)
{
    hm_canon *c;
    UErrorCode err = U_ZERO_ERROR;
    int j;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    c = calloc(1, sizeof *c);
    if (!c) return HM_E_NOMEM;
    c->nfkc = unorm2_getNFKCInstance(&err);
    if (U_FAILURE(err)) {
        free(c);
        return HM_E_UNSUPPORTED;
    }
    c->spoof = uspoof_open(&err);
    if (U_FAILURE(err)) {
        free(c);
        return HM_E_UNSUPPORTED;
    }
    uspoof_setChecks(c->spoof, USPOOF_CONFUSABLE, &err);
    for (j = 0; j < 52 && U_SUCCESS(err); j++) {
        UChar in[1];
        in[0] = (UChar)(j < 26 ? 'A' + j : 'a' + j - 26);
        c->ascii_sk_len[j] = uspoof_getSkeleton(c->spoof, 0, in, 1, c->ascii_sk[j], SK_MAX, &err);
        if (err == U_BUFFER_OVERFLOW_ERROR) {
            err = U_ZERO_ERROR;
            c->ascii_sk_len[j] = -1;
        }
    }
    if (U_FAILURE(err)) {
        uspoof_close(c->spoof);
        free(c);
        return HM_E_UNSUPPORTED;
    }
    *out = c;
    return HM_OK;
}

void hm_canon_free(hm_canon *c)
{
    if (!c) return;
    uspoof_close(c->spoof);
    free(c);
}

void hm_canon_output_init(hm_canon_output *out)
{
    if (out) memset(out, 0, sizeof *out);
}

void hm_canon_output_clear(hm_canon_output *out)
{
    if (!out) return;
    free(out->text);
    free(out->src_start);
    free(out->src_end);
    memset(out, 0, sizeof *out);
}

static int all_ascii(const unsigned char *t, size_t len)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, t + i, 8);
        acc |= v;
    }
    for (; i < len; i++) acc |= t[i];
    return (acc & 0x8080808080808080ull) == 0;
}

int hm_canon_text(const hm_canon *c, const char *text, size_t len, hm_canon_output *out)
{
    const unsigned char *t = (const unsigned char *)text;
    int s, p2 = 0;
    if (!c || !out || (len && !text)) return HM_E_MISUSE;
    out->len = 0;
    out->changed = 0;
    out->input_len = len;
    memset(&out->counts, 0, sizeof out->counts);
    if (grow(out, len) != HM_OK) return HM_E_NOMEM;
    if (all_ascii(t, len))
        s = pass1_ascii(t, len, out);
    else
        s = pass1(c, t, len, out, &p2);
    if (s != HM_OK) return s;
    if (p2) {
        hm_canon_output tmp;
        hm_canon_output_init(&tmp);
        tmp.input_len = len;
        tmp.counts = out->counts;
        s = pass2(c, out, &tmp);
        if (s != HM_OK) {
            hm_canon_output_clear(&tmp);
            return s;
        }
        hm_canon_output_clear(out);
        *out = tmp;
    }
    if (grow(out, out->len) != HM_OK) return HM_E_NOMEM;
    out->text[out->len] = '\0';
    out->changed = out->len != len || (len && memcmp(out->text, text, len) != 0);
    return HM_OK;
}

int hm_canon_map(const hm_canon_output *out, size_t start, size_t end, size_t *ostart,
                 size_t *oend)
{
    if (!out || !ostart || !oend || start > end || end > out->len) return HM_E_RANGE;
    if (start == end) {
        *ostart = *oend = start < out->len ? out->src_start[start] : out->input_len;
        return HM_OK;
    }
    *ostart = out->src_start[start];
    *oend = out->src_end[end - 1];
    return HM_OK;
}

void hm_canon_counts_add(hm_canon_counts *a, const hm_canon_counts *b)
{
    if (!a || !b) return;
    a->removed_invisible += b->removed_invisible;
    a->normalized += b->normalized;
    a->fullwidth += b->fullwidth;
    a->spaces_mapped += b->spaces_mapped;
    a->spaces_collapsed += b->spaces_collapsed;
    a->line_breaks_folded += b->line_breaks_folded;
    a->lookalikes_folded += b->lookalikes_folded;
    a->invalid_bytes += b->invalid_bytes;
}

int hm_canon_map_tokens(const hm_canon_output *out, hm_tok_output *t)
{
    size_t i;
    if (!out || !t || (t->len && !t->offsets)) return HM_E_MISUSE;
    for (i = 0; i < t->len; i++) {
        size_t a, b;
        if (t->offsets[i].start > t->offsets[i].end || t->offsets[i].end > out->len) return HM_E_RANGE;
        if (hm_canon_map(out, (size_t)t->offsets[i].start, (size_t)t->offsets[i].end, &a, &b) != HM_OK)
            return HM_E_RANGE;
        t->offsets[i].start = a;
        t->offsets[i].end = b;
    }
    return HM_OK;
}

size_t hm_canon_describe(const hm_canon_counts *k, char *buf, size_t cap)
{
    char tmp[1024];
    size_t n = 0, w;
    struct {
        uint64_t v;
        const char *verb, *one, *many;
    } parts[7];
    int i, np = 0;
    if (!k || !buf || cap == 0) return 0;
#define PART(val, vb, a, b) \
    parts[np].v = (val), parts[np].verb = (vb), parts[np].one = (a), parts[np].many = (b), np++
    PART(k->removed_invisible, "removed", "invisible (zero-width or format) character",
         "invisible (zero-width or format) characters");
    PART(k->spaces_mapped, "replaced", "non-ASCII or control space with a space",
         "non-ASCII or control spaces with a space");
    PART(k->spaces_collapsed, "collapsed", "repeated space", "repeated spaces");
    PART(k->line_breaks_folded, "folded", "line break", "line breaks");
    PART(k->normalized - k->fullwidth, "normalized", "compatibility character (NFKC)",
         "compatibility characters (NFKC)");
    PART(k->fullwidth, "normalized", "fullwidth or halfwidth form", "fullwidth or halfwidth forms");
    PART(k->lookalikes_folded, "folded", "look-alike letter", "look-alike letters");
#undef PART
    tmp[0] = 0;
    for (i = 0; i < np && n < sizeof tmp - 200; i++) {
        if (!parts[i].v) continue;
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%s %llu %s", n ? "; " : "", parts[i].verb,
                              (unsigned long long)parts[i].v,
                              parts[i].v == 1 ? parts[i].one : parts[i].many);
    }
    if (!n) n = (size_t)snprintf(tmp, sizeof tmp, "no change");
    w = n < cap - 1 ? n : cap - 1;
    memcpy(buf, tmp, w);
    buf[w] = 0;
    return w;
}

double hm_canon_combine_logp(double ln_p_given, double ln_p_canonical, int differ, int *fired)
{
    double m;
    if (!differ || isnan(ln_p_canonical)) {
        if (fired) *fired = HM_CANON_FIRED_GIVEN;
        return ln_p_given;
    }
    if (fired) *fired = ln_p_canonical < ln_p_given ? HM_CANON_FIRED_CANONICAL : HM_CANON_FIRED_GIVEN;
    m = ln_p_canonical < ln_p_given ? ln_p_canonical : ln_p_given;
    return hm_stats_bonferroni_logp(m, 2.0);
}
