/*
 * tok_norm.c - Hugging Face normalizers supported by the tokenizer module
 * (NFC, Prepend, Replace with a literal pattern), applied with a byte map
 * from every normalized byte back to the original input, so that token
 * offsets can be reported in the caller's bytes.  NFC uses libutf8proc on
 * short chunks that cannot interact with their neighbours.
 */
#include "tok_internal.h"

#include <string.h>
#include <utf8proc.h>

#include "hallmark/error.h"

static int ensure(hm_tok_scratch *s, int w, size_t need)
{
    size_t cap = s->ncap[w], c1, c2, c3;
    void *nb, *ms, *me;
    if (need <= cap) return HM_OK;
    if (!cap) cap = 256;
    while (cap < need) cap *= 2;
    c1 = c2 = c3 = s->ncap[w];
    nb = s->nb[w];
    ms = s->ms[w];
    me = s->me[w];
    if (tok_grow(&nb, &c1, cap, 1)) return HM_E_NOMEM;
    s->nb[w] = nb;
    if (tok_grow(&ms, &c2, cap, sizeof(uint32_t))) return HM_E_NOMEM;
    s->ms[w] = ms;
    if (tok_grow(&me, &c3, cap, sizeof(uint32_t))) return HM_E_NOMEM;
    s->me[w] = me;
    s->ncap[w] = cap;
    return HM_OK;
}

static uint32_t decode_cp(const unsigned char *p, size_t k)
{
    switch (k) {
    case 1: return p[0];
    case 2: return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3: return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default:
        return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

/* Code points that are NFC-stable on their own and are never the second
 * element of a canonical composition: a chunk may start before them. */
static int nfc_inert(uint32_t c)
{
    return c < 0x300 || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
           (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xFF01 && c <= 0xFF5E) ||
           (c >= 0x1F300 && c <= 0x1FAFF);
}

static size_t vchar(const unsigned char *p, size_t n)
{
    size_t v = tok_utf8_valid_prefix(p, n < 4 ? n : 4);
    size_t k;
    if (v == 0) return 0;
    k = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    return k <= v ? k : 0;
}

static int nfc_pass(hm_tok_scratch *s, int from, size_t n, size_t *out_n)
{
    int to = 1 - from;
    const unsigned char *p = s->nb[from];
    const uint32_t *ms = s->ms[from], *me = s->me[from];
    size_t i = 0, o = 0;
    if (ensure(s, to, n + 16)) return HM_E_NOMEM;
    while (i < n) {
        size_t k = vchar(p + i, n - i), cs = i, j;
        int quick;
        if (k == 0) {
            if (ensure(s, to, o + 1)) return HM_E_NOMEM;
            s->nb[to][o] = p[i];
            s->ms[to][o] = ms[i];
            s->me[to][o] = me[i];
            o++;
            i++;
            continue;
        }
        quick = nfc_inert(decode_cp(p + i, k));
        i += k;
        while (i < n) {
            size_t k2 = vchar(p + i, n - i);
            if (k2 == 0 || nfc_inert(decode_cp(p + i, k2))) break;
            quick = 0;
            i += k2;
        }
        if (!quick) {
            utf8proc_ssize_t r;
            size_t want = (i - cs) * 4 + 8;
            int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
            for (;;) {
                if (tok_grow((void **)&s->u32, &s->u32_cap, want, sizeof *s->u32))
                    return HM_E_NOMEM;
                r = utf8proc_decompose(p + cs, (utf8proc_ssize_t)(i - cs), s->u32,
                                       (utf8proc_ssize_t)s->u32_cap, (utf8proc_option_t)opts);
                if (r < 0) return HM_E_INTERNAL;
                if ((size_t)r <= s->u32_cap) break;
                want = (size_t)r;
            }
            r = utf8proc_reencode(s->u32, r, (utf8proc_option_t)opts);
            if (r < 0) return HM_E_INTERNAL;
            if ((size_t)r != i - cs || memcmp(s->u32, p + cs, (size_t)r) != 0) {
                if (ensure(s, to, o + (size_t)r)) return HM_E_NOMEM;
                memcpy(s->nb[to] + o, s->u32, (size_t)r);
                for (j = 0; j < (size_t)r; j++) {
                    s->ms[to][o + j] = ms[cs];
                    s->me[to][o + j] = me[i - 1];
                }
                o += (size_t)r;
                continue;
            }
        }
        if (ensure(s, to, o + (i - cs))) return HM_E_NOMEM;
        memcpy(s->nb[to] + o, p + cs, i - cs);
        memcpy(s->ms[to] + o, ms + cs, (i - cs) * sizeof *ms);
        memcpy(s->me[to] + o, me + cs, (i - cs) * sizeof *me);
        o += i - cs;
    }
    *out_n = o;
    return HM_OK;
}

int tok_normalize(const hm_tokenizer *tok, hm_tok_scratch *s, const unsigned char *p, size_t n,
                  uint32_t base, int *which, size_t *out_len)
{
    int w = 0;
    size_t i, len = n, k;
    if (ensure(s, 0, n + 1)) return HM_E_NOMEM;
    memcpy(s->nb[0], p, n);
    for (i = 0; i < n; i++) {
        s->ms[0][i] = base + (uint32_t)i;
        s->me[0][i] = base + (uint32_t)i + 1;
    }
    for (k = 0; k < tok->n_norms; k++) {
        const struct tok_norm *op = &tok->norms[k];
        int to = 1 - w;
        size_t o = 0;
        if (op->op == NORM_NFC) {
            int rc = nfc_pass(s, w, len, &o);
            if (rc) return rc;
        } else if (op->op == NORM_PREPEND) {
            if (len == 0) continue;
            if (ensure(s, to, len + op->alen)) return HM_E_NOMEM;
            memcpy(s->nb[to], op->a, op->alen);
            for (i = 0; i < op->alen; i++) s->ms[to][i] = s->me[to][i] = s->ms[w][0];
            memcpy(s->nb[to] + op->alen, s->nb[w], len);
            memcpy(s->ms[to] + op->alen, s->ms[w], len * sizeof(uint32_t));
            memcpy(s->me[to] + op->alen, s->me[w], len * sizeof(uint32_t));
            o = len + op->alen;
        } else {
            const unsigned char *q = s->nb[w];
            size_t bound = len + (op->blen > op->alen ? (len / op->alen + 1) * op->blen : 0);
            if (ensure(s, to, bound + 1)) return HM_E_NOMEM;
            i = 0;
            while (i < len) {
                if (i + op->alen <= len && q[i] == op->a[0] &&
                    memcmp(q + i, op->a, op->alen) == 0) {
                    size_t j;
                    for (j = 0; j < op->blen; j++) {
                        s->nb[to][o + j] = op->b[j];
                        s->ms[to][o + j] = s->ms[w][i];
                        s->me[to][o + j] = s->me[w][i + op->alen - 1];
                    }
                    o += op->blen;
                    i += op->alen;
                } else {
                    s->nb[to][o] = q[i];
                    s->ms[to][o] = s->ms[w][i];
                    s->me[to][o] = s->me[w][i];
                    o++;
                    i++;
                }
            }
        }
        w = to;
        len = o;
    }
    *which = w;
    *out_len = len;
    return HM_OK;
}
