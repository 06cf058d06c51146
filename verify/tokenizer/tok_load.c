/*
 * tok_load.c - loading tokenizers: tiktoken rank files (with the built-in
 * split regexes and special tokens of cl100k_base, o200k_base, r50k_base and
 * p50k_base) and Hugging Face tokenizer.json files with a BPE model
 * (byte-level or SentencePiece-style with byte fallback).  Components
 * outside that set are refused with a message naming them.
 */
#include "tok_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hallmark/error.h"

#define MAX_FILE (1024u * 1024u * 1024u)

static void errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (!err || !cap) return;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* ---- built-in tiktoken encodings (regexes and special tokens from the
 * tiktoken package's encoder definitions; see docs/tokenizers.md) -------- */

struct builtin_special {
    const char *s;
    uint32_t id;
};
struct builtin {
    const char *name;
    const char *sha256_hex;
    const char *pat;
    enum tok_fast fast;
    struct builtin_special specials[6];
};

#define PAT_GPT2                                                                        \
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define PAT_CL100K                                                                      \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "          \
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PAT_QWEN                                                                        \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "                  \
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PAT_O200K                                                                       \
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}" \
    "\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}"       \
    "\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" \
    "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

static const struct builtin builtins[] = {
    {"cl100k_base",
     "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
     PAT_CL100K,
     TOK_FAST_CL100K,
     {{"<|endoftext|>", 100257},
      {"<|fim_prefix|>", 100258},
      {"<|fim_middle|>", 100259},
      {"<|fim_suffix|>", 100260},
      {"<|endofprompt|>", 100276},
      {NULL, 0}}},
    {"o200k_base",
     "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
     PAT_O200K,
     TOK_FAST_O200K,
     {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}, {NULL, 0}}},
    {"r50k_base",
     "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
     PAT_GPT2,
     TOK_FAST_NONE,
     {{"<|endoftext|>", 50256}, {NULL, 0}}},
    {"p50k_base",
     "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
     PAT_GPT2,
     TOK_FAST_NONE,
     {{"<|endoftext|>", 50256}, {NULL, 0}}},
    /* p50k_edit: p50k_base's file with three more specials (by name only) */
    {"p50k_edit",
     "",
     PAT_GPT2,
     TOK_FAST_NONE,
     {{"<|endoftext|>", 50256},
      {"<|fim_prefix|>", 50281},
      {"<|fim_middle|>", 50282},
      {"<|fim_suffix|>", 50283},
      {NULL, 0}}},
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

/* Unicode White_Space, which \s means in Rust regex and Oniguruma (PCRE2's
 * \s also matches U+180E, which is no longer a space since Unicode 6.3). */
#define WS_BODY "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

/* Rewrites \s and \S of `pat` to the White_Space class; malloc'd or NULL. */
static char *rewrite_ws(const char *pat)
{
    size_t n = strlen(pat), i, o = 0, body = strlen(WS_BODY);
    char *out = malloc(n * (body + 4) + 1);
    int in_class = 0;
    if (!out) return NULL;
    for (i = 0; i < n; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < n) {
            char d = pat[i + 1];
            if (d == 's' || (d == 'S' && !in_class)) {
                if (!in_class) out[o++] = '[';
                if (d == 'S') out[o++] = '^';
                memcpy(out + o, WS_BODY, body);
                o += body;
                if (!in_class) out[o++] = ']';
            } else {
                out[o++] = c;
                out[o++] = d;
            }
            i++;
            continue;
        }
        if (c == '[' && !in_class) in_class = 1;
        else if (c == ']' && in_class) in_class = 0;
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

static int compile_re(hm_tokenizer *t, const char *pat0, char *err, size_t cap)
{
    int ecode;
    PCRE2_SIZE eoff;
    char *pat = rewrite_ws(pat0);
    if (!pat) return HM_E_NOMEM;
    t->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ecode,
                          &eoff, NULL);
    free(pat);
    if (!t->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ecode, msg, sizeof msg);
        errf(err, cap, "split regex does not compile at offset %zu: %s", (size_t)eoff,
             (const char *)msg);
        return HM_E_UNSUPPORTED;
    }
    (void)pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);
    return HM_OK;
}

/* Sets up the id -> bytes table for ids [0, vocab_size). */
static int dec_alloc(hm_tokenizer *t, uint32_t vocab_size)
{
    t->vocab_size = vocab_size;
    t->dec_off = tok_big_alloc(((size_t)vocab_size + 1) * sizeof *t->dec_off);
    t->present = tok_big_alloc((size_t)vocab_size + 1);
    return (t->dec_off && t->present) ? HM_OK : HM_E_NOMEM;
}

struct dec_item {
    uint32_t id;
    uint32_t len;
    size_t off; /* into a staging blob */
};

/* Builds dec_blob/dec_off from (id, bytes) items; later items win. */
static int dec_build(hm_tokenizer *t, const struct dec_item *it, size_t n,
                     const unsigned char *stage)
{
    size_t i, total = 0;
    size_t nb = ((size_t)t->vocab_size + 1) * sizeof(uint64_t);
    uint64_t *len = tok_big_alloc(nb);
    size_t *src = tok_big_alloc(((size_t)t->vocab_size + 1) * sizeof *src);
    int rc = HM_OK;
    if (!len || !src) {
        rc = HM_E_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        len[it[i].id] = it[i].len;
        src[it[i].id] = it[i].off;
        t->present[it[i].id] = 1;
    }
    for (i = 0; i < t->vocab_size; i++) total += (size_t)len[i];
    t->dec_blob = malloc(total + 1);
    if (!t->dec_blob) {
        rc = HM_E_NOMEM;
        goto out;
    }
    total = 0;
    for (i = 0; i < t->vocab_size; i++) {
        t->dec_off[i] = total;
        if (len[i]) memcpy(t->dec_blob + total, stage + src[i], (size_t)len[i]);
        total += (size_t)len[i];
    }
    t->dec_off[t->vocab_size] = total;
out:
    tok_big_free(len, nb);
    tok_big_free(src, ((size_t)t->vocab_size + 1) * sizeof *src);
    return rc;
}

static int add_special(hm_tokenizer *t, const char *s, size_t len, uint32_t id, int special)
{
    struct tok_special *ns;
    if (len == 0) return HM_E_FORMAT;
    ns = realloc(t->specials, (t->n_specials + 1) * sizeof *ns);
    if (!ns) return HM_E_NOMEM;
    t->specials = ns;
    ns[t->n_specials].s = malloc(len);
    if (!ns[t->n_specials].s) return HM_E_NOMEM;
    memcpy(ns[t->n_specials].s, s, len);
    ns[t->n_specials].len = len;
    ns[t->n_specials].id = id;
    ns[t->n_specials].special = special;
    t->n_specials++;
    t->special_first[(unsigned char)s[0]] = 1;
    return HM_OK;
}

/* ---- tiktoken rank files ---------------------------------------------- */

/* Base64 (RFC 4648, '=' padding required, unused bits zero: exactly what
 * sodium_base642bin(ORIGINAL) accepted here) decoded with a table. */
static void b64_table(int8_t val[256])
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int i;
    for (i = 0; i < 256; i++) val[i] = -1;
    for (i = 0; i < 64; i++) val[(unsigned char)alpha[i]] = (int8_t)i;
}

/* Decodes s[0..n) into o; returns the byte count or 0 if invalid. */
static size_t b64_decode(const int8_t val[256], const unsigned char *s, size_t n, unsigned char *o)
{
    size_t i, w = 0, pad = 0;
    if (n == 0 || n % 4) return 0;
    if (s[n - 1] == '=') pad = s[n - 2] == '=' ? 2 : 1;
    for (i = 0; i + 4 <= n; i += 4) {
        int a = val[s[i]], b = val[s[i + 1]], c, d;
        uint32_t v;
        if (i + 4 == n && pad) {
            c = pad == 2 ? 0 : val[s[i + 2]];
            d = 0;
        } else {
            c = val[s[i + 2]];
            d = val[s[i + 3]];
        }
        if ((a | b | c | d) < 0) return 0;
        v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | (uint32_t)d;
        o[w++] = (unsigned char)(v >> 16);
        if (i + 4 == n && pad == 2) {
            if (v & 0xFFFFu) return 0;
            break;
        }
        o[w++] = (unsigned char)(v >> 8);
        if (i + 4 == n && pad == 1) {
            if (v & 0xFFu) return 0;
            break;
        }
        o[w++] = (unsigned char)v;
    }
    return w;
}

#define PUT_AHEAD 8    /* insertions in flight */
#define PUT_CHUNK 1024 /* rank-file lines parsed before they are inserted */

/* Inserts the tokens of items [0, k) into m in order, each slot prefetched
 * PUT_AHEAD items ahead; the index of the first repeated token, or k (or
 * SIZE_MAX with *rc on another error). */
static size_t put_items(struct tok_strmap *m, const unsigned char *stage,
                        const struct dec_item *it, size_t k, int *rc)
{
    uint64_t h[PUT_AHEAD];
    size_t i;
    for (i = 0; i < k + PUT_AHEAD; i++) {
        if (i >= PUT_AHEAD) { /* before the slot of h is reused */
            size_t j = i - PUT_AHEAD;
            int r = tok_strmap_put_h(m, stage + it[j].off, it[j].len, it[j].id, h[j % PUT_AHEAD]);
            if (r == TOK_EXISTS) return j;
            if (r) {
                *rc = r;
                return SIZE_MAX;
            }
        }
        if (i < k) {
            h[i % PUT_AHEAD] = tok_strmap_hash(stage + it[i].off, it[i].len);
            tok_strmap_prefetch(m, h[i % PUT_AHEAD]);
        }
    }
    return k;
}

/* put_items for the rank-file lines chunk_line[0, k): HM_OK, or an error
 * (a repeated token named by its line). */
static int flush_items(struct tok_strmap *m, const unsigned char *stage,
                       const struct dec_item *it, size_t k, const size_t *chunk_line, char *err,
                       size_t cap)
{
    int rc = HM_OK;
    size_t j = put_items(m, stage, it, k, &rc);
    if (j == SIZE_MAX) return rc;
    if (j < k) {
        errf(err, cap, "tiktoken file: line %zu repeats a token", chunk_line[j]);
        return HM_E_FORMAT;
    }
    return HM_OK;
}

static int load_tiktoken(hm_tokenizer *t, const unsigned char *d, size_t n,
                         const struct builtin *b, char *err, size_t cap)
{
    size_t lines = 0, i, pos = 0, stage_len = 0, nit = 0, line_no = 0, done = 0;
    size_t chunk_line[PUT_CHUNK];
    unsigned char *stage = NULL;
    struct dec_item *items = NULL;
    uint32_t maxid = 0;
    int8_t b64[256];
    int rc = HM_OK;
    b64_table(b64);
    for (i = 0; i < n; i++)
        if (d[i] == '\n') lines++;
    lines++;
    stage = malloc(n + 1);
    items = malloc((lines + 8) * sizeof *items);
    if (!stage || !items) {
        rc = HM_E_NOMEM;
        goto out;
    }
    rc = tok_strmap_init(&t->enc, (uint32_t)lines + 8);
    if (rc) goto out;
    while (pos < n) {
        size_t e = pos, sp, blen = 0;
        unsigned long long rank = 0;
        line_no++;
        while (e < n && d[e] != '\n') e++;
        if (e == pos || (e == pos + 1 && d[pos] == '\r')) {
            pos = e + 1;
            continue;
        }
        sp = pos;
        while (sp < e && d[sp] != ' ') sp++;
        if (sp == e || sp == pos) {
            errf(err, cap, "tiktoken file: line %zu is not 'base64 rank'", line_no);
            rc = HM_E_FORMAT;
            break;
        }
        blen = b64_decode(b64, d + pos, sp - pos, stage + stage_len);
        if (blen == 0) {
            errf(err, cap, "tiktoken file: line %zu has invalid base64", line_no);
            rc = HM_E_FORMAT;
            break;
        }
        for (i = sp + 1; i < e && d[i] != '\r'; i++) {
            if (d[i] < '0' || d[i] > '9' || rank > 0xFFFFFFF) {
                errf(err, cap, "tiktoken file: line %zu has an invalid rank", line_no);
                rc = HM_E_FORMAT;
                break;
            }
            rank = rank * 10 + (unsigned)(d[i] - '0');
        }
        if (rc) break;
        if (i == sp + 1) {
            errf(err, cap, "tiktoken file: line %zu has no rank", line_no);
            rc = HM_E_FORMAT;
            break;
        }
        if (nit - done == PUT_CHUNK) {
            rc = flush_items(&t->enc, stage, items + done, PUT_CHUNK, chunk_line, err, cap);
            done = nit;
            if (rc) break;
        }
        chunk_line[nit - done] = line_no;
        items[nit].id = (uint32_t)rank;
        items[nit].len = (uint32_t)blen;
        items[nit].off = stage_len;
        nit++;
        if (rank > maxid) maxid = (uint32_t)rank;
        stage_len += blen;
        pos = e + 1;
    }
    /* the lines before a malformed one are inserted first, as one by one */
    if (done < nit) {
        int r = flush_items(&t->enc, stage, items + done, nit - done, chunk_line, err, cap);
        if (r) rc = r;
    }
    if (rc) goto out;
    if (nit == 0) {
        errf(err, cap, "tiktoken file: no tokens");
        rc = HM_E_FORMAT;
        goto out;
    }
    for (i = 0; i < 256; i++) {
        unsigned char c = (unsigned char)i;
        t->byte_id[i] = tok_strmap_get(&t->enc, &c, 1);
        if (t->byte_id[i] == TOK_NONE) {
            errf(err, cap, "tiktoken file: byte 0x%02zx has no token", i);
            rc = HM_E_FORMAT;
            goto out;
        }
    }
    for (i = 0; b->specials[i].s; i++)
        if (b->specials[i].id > maxid) maxid = b->specials[i].id;
    rc = dec_alloc(t, maxid + 1);
    if (rc) goto out;
    /* specials: staged after the ordinary tokens */
    {
        size_t extra = 0;
        unsigned char *ns;
        for (i = 0; b->specials[i].s; i++) extra += strlen(b->specials[i].s);
        ns = realloc(stage, stage_len + extra + 1);
        if (!ns) {
            rc = HM_E_NOMEM;
            goto out;
        }
        stage = ns;
        for (i = 0; b->specials[i].s; i++) {
            size_t L = strlen(b->specials[i].s);
            memcpy(stage + stage_len, b->specials[i].s, L);
            items[nit].id = b->specials[i].id;
            items[nit].len = (uint32_t)L;
            items[nit].off = stage_len;
            nit++;
            stage_len += L;
            rc = add_special(t, b->specials[i].s, L, b->specials[i].id, 1);
            if (rc) goto out;
        }
    }
    rc = dec_build(t, items, nit, stage);
    if (rc) goto out;
    rc = compile_re(t, b->pat, err, cap);
    if (rc) goto out;
    t->kind = TOK_TIKTOKEN;
    t->fast = b->fast;
    if (t->fast != TOK_FAST_NONE) rc = tok_fast_table(t);
    t->unk_id = TOK_NONE;
out:
    free(stage);
    free(items);
    return rc;
}

/* ---- Hugging Face tokenizer.json --------------------------------------- */

/* GPT-2's byte <-> printable character table. */
static void bytelevel_table(uint32_t cp_of[256])
{
    uint32_t n = 0;
    int b;
    for (b = 0; b < 256; b++) {
        if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
            cp_of[b] = (uint32_t)b;
        else
            cp_of[b] = 256 + n++;
    }
}

/* Decodes a byte-level token string into raw bytes; -1 if not byte-level. */
static long bytelevel_decode(const unsigned char *s, size_t n, const int16_t *byte_of_cp,
                             unsigned char *o)
{
    size_t i = 0;
    long w = 0;
    while (i < n) {
        uint32_t c;
        if (s[i] < 0x80) {
            c = s[i++];
        } else if ((s[i] & 0xE0) == 0xC0 && i + 1 < n) {
            c = ((uint32_t)(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else {
            return -1;
        }
        if (c >= 512 || byte_of_cp[c] < 0) return -1;
        o[w++] = (unsigned char)byte_of_cp[c];
    }
    return w;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *jtype(const cJSON *o)
{
    const char *s = jstr(o, "type");
    return s ? s : "(no type)";
}

static int jtrue(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int add_norm(hm_tokenizer *t, enum tok_norm_op op, const char *a, const char *b)
{
    struct tok_norm *nn = realloc(t->norms, (t->n_norms + 1) * sizeof *nn);
    struct tok_norm *x;
    if (!nn) return HM_E_NOMEM;
    t->norms = nn;
    x = &nn[t->n_norms];
    memset(x, 0, sizeof *x);
    x->op = op;
    t->n_norms++;
    if (a) {
        x->alen = strlen(a);
        x->a = malloc(x->alen + 1);
        if (!x->a) return HM_E_NOMEM;
        memcpy(x->a, a, x->alen + 1);
    }
    if (b) {
        x->blen = strlen(b);
        x->b = malloc(x->blen + 1);
        if (!x->b) return HM_E_NOMEM;
        memcpy(x->b, b, x->blen + 1);
    }
    return HM_OK;
}

static int parse_normalizer(hm_tokenizer *t, const cJSON *n, char *err, size_t cap)
{
    const char *ty;
    if (!n || cJSON_IsNull(n)) return HM_OK;
    ty = jtype(n);
    if (strcmp(ty, "Sequence") == 0) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(n, "normalizers"))
        {
            int rc = parse_normalizer(t, it, err, cap);
            if (rc) return rc;
        }
        return HM_OK;
    }
    if (strcmp(ty, "NFC") == 0) return add_norm(t, NORM_NFC, NULL, NULL);
    if (strcmp(ty, "Prepend") == 0) {
        const char *p = jstr(n, "prepend");
        if (!p || !*p) {
            errf(err, cap, "normalizer Prepend without a 'prepend' string");
            return HM_E_FORMAT;
        }
        return add_norm(t, NORM_PREPEND, p, NULL);
    }
    if (strcmp(ty, "Replace") == 0) {
        const char *pat = jstr(cJSON_GetObjectItemCaseSensitive(n, "pattern"), "String");
        const char *content = jstr(n, "content");
        if (!pat || !*pat || !content) {
            errf(err, cap, "unsupported normalizer: Replace with a Regex pattern");
            return HM_E_UNSUPPORTED;
        }
        return add_norm(t, NORM_REPLACE, pat, content);
    }
    errf(err, cap, "unsupported normalizer: %s", ty);
    return HM_E_UNSUPPORTED;
}

struct pre_info {
    const char *regex;
    int bytelevel;
};

static int parse_pre(const cJSON *p, struct pre_info *pi, char *err, size_t cap)
{
    const char *ty;
    if (!p || cJSON_IsNull(p)) return HM_OK;
    ty = jtype(p);
    if (strcmp(ty, "Sequence") == 0) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "pretokenizers"))
        {
            int rc = parse_pre(it, pi, err, cap);
            if (rc) return rc;
        }
        return HM_OK;
    }
    if (strcmp(ty, "ByteLevel") == 0) {
        if (jtrue(p, "add_prefix_space")) {
            errf(err, cap, "unsupported pre_tokenizer: ByteLevel with add_prefix_space");
            return HM_E_UNSUPPORTED;
        }
        pi->bytelevel = 1;
        if (jtrue(p, "use_regex") || !cJSON_GetObjectItemCaseSensitive(p, "use_regex")) {
            if (pi->regex) {
                errf(err, cap, "unsupported pre_tokenizer: two split regexes");
                return HM_E_UNSUPPORTED;
            }
            pi->regex = PAT_GPT2;
        }
        return HM_OK;
    }
    if (strcmp(ty, "Split") == 0) {
        const char *re = jstr(cJSON_GetObjectItemCaseSensitive(p, "pattern"), "Regex");
        const char *beh = jstr(p, "behavior");
        if (!re || !beh || strcmp(beh, "Isolated") != 0 || jtrue(p, "invert")) {
            errf(err, cap, "unsupported pre_tokenizer: Split other than an Isolated Regex");
            return HM_E_UNSUPPORTED;
        }
        if (pi->regex) {
            errf(err, cap, "unsupported pre_tokenizer: two split regexes");
            return HM_E_UNSUPPORTED;
        }
        pi->regex = re;
        return HM_OK;
    }
    errf(err, cap, "unsupported pre_tokenizer: %s", ty);
    return HM_E_UNSUPPORTED;
}

static int parse_decoder(hm_tokenizer *t, const cJSON *d, char *err, size_t cap)
{
    const char *ty;
    if (!d || cJSON_IsNull(d)) return HM_OK;
    ty = jtype(d);
    if (strcmp(ty, "Sequence") == 0) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d, "decoders"))
        {
            int rc = parse_decoder(t, it, err, cap);
            if (rc) return rc;
        }
        return HM_OK;
    }
    if (strcmp(ty, "ByteLevel") == 0 || strcmp(ty, "ByteFallback") == 0 ||
        strcmp(ty, "Fuse") == 0)
        return HM_OK;
    if (strcmp(ty, "Replace") == 0) {
        const char *pat = jstr(cJSON_GetObjectItemCaseSensitive(d, "pattern"), "String");
        const char *content = jstr(d, "content");
        if (pat && content && strcmp(pat, "\xe2\x96\x81") == 0 && strcmp(content, " ") == 0)
            return HM_OK;
        errf(err, cap, "unsupported decoder: Replace other than \"\xe2\x96\x81\" -> \" \"");
        return HM_E_UNSUPPORTED;
    }
    if (strcmp(ty, "Strip") == 0) {
        const char *content = jstr(d, "content");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(d, "start");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(d, "stop");
        if (content && strcmp(content, " ") == 0 && cJSON_IsNumber(st) && st->valueint <= 1 &&
            (!sp || (cJSON_IsNumber(sp) && sp->valueint == 0))) {
            t->strip_leading_space = st->valueint == 1;
            return HM_OK;
        }
        errf(err, cap, "unsupported decoder: Strip other than one leading space");
        return HM_E_UNSUPPORTED;
    }
    errf(err, cap, "unsupported decoder: %s", ty);
    return HM_E_UNSUPPORTED;
}

static int is_byte_token(const char *s, size_t n, unsigned *v)
{
    unsigned x = 0;
    size_t i;
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return 0;
    for (i = 3; i < 5; i++) {
        char c = s[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (unsigned)(c - '0');
        else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *v = x;
    return 1;
}

/* A merge staged as the bytes a || b: a is [off, off + al), the merged
 * token [off, off + len). */
struct merge_ref {
    size_t off;
    uint32_t al, len;
};

#define MERGE_AHEAD 8     /* lookups in flight */
#define MERGE_CHUNK 4096 /* merges staged at a time */

/* Adds the staged merges [0, n) (ranks base + i) to t->pairs in rank order, each lookup prefetched
 * MERGE_AHEAD merges ahead; 1 with *bad = the first merge whose tokens are
 * not all in the vocabulary. */
static int add_merges(hm_tokenizer *t, const unsigned char *blob, const struct merge_ref *m,
                      uint32_t n, uint32_t base, uint32_t *bad)
{
    uint64_t h[MERGE_AHEAD][3];
    uint32_t ids[MERGE_AHEAD][3];
    uint32_t r;
    for (r = 0; r < n + 2 * MERGE_AHEAD; r++) {
        /* the stages run backwards so each reads its ring slot before it is reused */
        if (r >= 2 * MERGE_AHEAD) { /* stage 3: insert, in rank order */
            uint32_t q = r - 2 * MERGE_AHEAD;
            const uint32_t *iq = ids[q % MERGE_AHEAD];
            tok_pairmap_put(&t->pairs, iq[0], iq[1], base + q, iq[2]);
        }
        if (r >= MERGE_AHEAD && r - MERGE_AHEAD < n) { /* stage 2: look up */
            uint32_t q = r - MERGE_AHEAD;
            const unsigned char *p = blob + m[q].off;
            const uint64_t *hq = h[q % MERGE_AHEAD];
            uint32_t *iq = ids[q % MERGE_AHEAD];
            iq[0] = tok_strmap_get_h(&t->enc, p, m[q].al, hq[0]);
            iq[1] = tok_strmap_get_h(&t->enc, p + m[q].al, m[q].len - m[q].al, hq[1]);
            iq[2] = tok_strmap_get_h(&t->enc, p, m[q].len, hq[2]);
            if (iq[0] == TOK_NONE || iq[1] == TOK_NONE || iq[2] == TOK_NONE) {
                *bad = base + q;
                return 1;
            }
            tok_pairmap_prefetch(&t->pairs, iq[0], iq[1]);
        }
        if (r < n) { /* stage 1: hash and prefetch the three tokens */
            const unsigned char *p = blob + m[r].off;
            uint64_t *hr = h[r % MERGE_AHEAD];
            hr[0] = tok_strmap_hash(p, m[r].al);
            hr[1] = tok_strmap_hash(p + m[r].al, m[r].len - m[r].al);
            hr[2] = tok_strmap_hash(p, m[r].len);
            tok_strmap_prefetch(&t->enc, hr[0]);
            tok_strmap_prefetch(&t->enc, hr[1]);
            tok_strmap_prefetch(&t->enc, hr[2]);
        }
    }
    return 0;
}

/* load_hf: the text is not what the entry-by-entry reading expects; parse
 * the whole file (its errors are reported from that parse). */
#define TOK_WHOLE (-2)

/* Loads a tokenizer.json; `whole`: parse the file as one cJSON tree rather
 * than a skeleton plus model.vocab and model.merges entry by entry. */
static int load_hf(hm_tokenizer *t, const unsigned char *d, size_t n, int whole, char *err,
                   size_t cap)
{
    cJSON *root = NULL;
    struct tok_json_spans spans;
    struct tok_json_iter vi, mi;
    const cJSON *model, *vocab, *merges, *added, *it;
    const char *key;
    size_t nmerges, tmp_len = 0;
    struct merge_ref *mref = NULL;
    uint32_t bad_rank = TOK_NONE, base = 0;
    struct pre_info pi = {NULL, 0};
    uint32_t cp_of[256], maxid = 0, nvocab;
    int16_t byte_of_cp[512];
    unsigned char *stage = NULL, *tmp = NULL;
    size_t stage_len = 0, stage_cap = 0, nit = 0, i, tmp_cap = 0;
    struct dec_item *items = NULL;
    const char *mt, *s;
    int rc = HM_OK;
    uint32_t rank;

    memset(&vi, 0, sizeof vi);
    memset(&mi, 0, sizeof mi);
    if (!whole) {
        char *skel = NULL;
        size_t skel_len = 0;
        int r = tok_json_split((const char *)d, n, &spans, &skel, &skel_len);
        if (r < 0) return HM_E_NOMEM;
        if (r == 0) return TOK_WHOLE;
        root = cJSON_ParseWithLength(skel, skel_len);
        free(skel);
        if (!root) return TOK_WHOLE;
    } else {
        root = cJSON_ParseWithLength((const char *)d, n);
    }
    if (!root || !cJSON_IsObject(root)) {
        errf(err, cap, "tokenizer.json: malformed JSON");
        cJSON_Delete(root);
        return HM_E_FORMAT;
    }
    model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model)) {
        errf(err, cap, "tokenizer.json: no 'model' object");
        rc = HM_E_FORMAT;
        goto out;
    }
    mt = jstr(model, "type");
    if (mt && strcmp(mt, "BPE") != 0) {
        errf(err, cap, "unsupported model: %s (only BPE)", mt);
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (it && !cJSON_IsNull(it) && !(cJSON_IsNumber(it) && it->valuedouble == 0.0)) {
        errf(err, cap, "unsupported model option: BPE dropout");
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    s = jstr(model, "continuing_subword_prefix");
    if (s && *s) {
        errf(err, cap, "unsupported model option: continuing_subword_prefix");
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    s = jstr(model, "end_of_word_suffix");
    if (s && *s) {
        errf(err, cap, "unsupported model option: end_of_word_suffix");
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    if (jtrue(model, "ignore_merges")) {
        errf(err, cap, "unsupported model option: ignore_merges");
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    rc = parse_normalizer(t, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), err, cap);
    if (rc) goto out;
    rc = parse_pre(cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), &pi, err, cap);
    if (rc) goto out;
    rc = parse_decoder(t, cJSON_GetObjectItemCaseSensitive(root, "decoder"), err, cap);
    if (rc) goto out;
    t->byte_fallback = jtrue(model, "byte_fallback");
    t->fuse_unk = jtrue(model, "fuse_unk");
    t->kind = pi.bytelevel ? TOK_HF_BYTELEVEL : TOK_HF_SPM;
    if (t->kind == TOK_HF_BYTELEVEL && t->byte_fallback) {
        errf(err, cap, "unsupported model option: byte_fallback with ByteLevel");
        rc = HM_E_UNSUPPORTED;
        goto out;
    }
    if (pi.regex) {
        rc = compile_re(t, pi.regex, err, cap);
        if (rc) goto out;
        if (strcmp(pi.regex, PAT_QWEN) == 0) {
            t->fast = TOK_FAST_QWEN;
            rc = tok_fast_table(t);
            if (rc) goto out;
        }
    }

    vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!cJSON_IsObject(vocab) || !cJSON_IsArray(merges)) {
        errf(err, cap, "tokenizer.json: model.vocab must be an object and model.merges an array");
        rc = HM_E_FORMAT;
        goto out;
    }
    if (whole) {
        nvocab = (uint32_t)cJSON_GetArraySize(vocab);
        nmerges = (size_t)cJSON_GetArraySize(merges);
        tok_json_iter_tree(&vi, vocab);
        tok_json_iter_tree(&mi, merges);
    } else {
        if (spans.nvocab > 16777216u || spans.nmerges > UINT32_MAX / 4) {
            rc = TOK_WHOLE;
            goto out;
        }
        nvocab = (uint32_t)spans.nvocab;
        nmerges = spans.nmerges;
        tok_json_iter_stream(&vi, spans.vocab_b, spans.vocab_e);
        tok_json_iter_stream(&mi, spans.merges_b, spans.merges_e);
    }
    items = malloc(((size_t)nvocab + (size_t)cJSON_GetArraySize(added) + 1) * sizeof *items);
    if (!items) {
        rc = HM_E_NOMEM;
        goto out;
    }
    rc = tok_strmap_init(&t->enc, nvocab + 1);
    if (rc) goto out;
    bytelevel_table(cp_of);
    for (i = 0; i < 512; i++) byte_of_cp[i] = -1;
    for (i = 0; i < 256; i++) byte_of_cp[cp_of[i]] = (int16_t)i;
    for (i = 0; i < 256; i++) t->byte_id[i] = TOK_NONE;

    while (tok_json_next(&vi, &key, &it)) {
        size_t kl = strlen(key);
        double dv = it->valuedouble;
        uint32_t id;
        unsigned bv;
        if (!cJSON_IsNumber(it) || dv < 0 || dv > 16777216.0 || dv != (double)(uint32_t)dv) {
            errf(err, cap, "tokenizer.json: vocab entry has an invalid id");
            rc = HM_E_FORMAT;
            goto out;
        }
        id = (uint32_t)dv;
        if (id > maxid) maxid = id;
        if (nit >= nvocab) {
            rc = TOK_WHOLE; /* more entries than counted: unusual text */
            goto out;
        }
        rc = tok_strmap_put(&t->enc, (const unsigned char *)key, kl, id);
        if (rc == TOK_EXISTS) rc = HM_OK; /* a repeated JSON key: the last wins */
        if (rc) goto out;
        if (tok_grow((void **)&stage, &stage_cap, stage_len + kl + 1, 1)) {
            rc = HM_E_NOMEM;
            goto out;
        }
        items[nit].off = stage_len;
        items[nit].id = id;
        if (t->kind == TOK_HF_BYTELEVEL) {
            long w = bytelevel_decode((const unsigned char *)key, kl, byte_of_cp,
                                      stage + stage_len);
            if (w < 0) {
                errf(err, cap, "tokenizer.json: vocab token is not byte-level encoded");
                rc = HM_E_FORMAT;
                goto out;
            }
            items[nit].len = (uint32_t)w;
            if (w == 1) t->byte_id[stage[stage_len]] = id;
        } else if (t->byte_fallback && is_byte_token(key, kl, &bv)) {
            stage[stage_len] = (unsigned char)bv;
            items[nit].len = 1;
            t->byte_id[bv] = id;
        } else {
            size_t w = 0, j = 0;
            while (j < kl) {
                if (j + 3 <= kl && memcmp(key + j, "\xe2\x96\x81", 3) == 0) {
                    stage[stage_len + w++] = ' ';
                    j += 3;
                } else {
                    stage[stage_len + w++] = (unsigned char)key[j++];
                }
            }
            items[nit].len = (uint32_t)w;
        }
        stage_len += items[nit].len;
        nit++;
    }
    if (vi.bad) {
        rc = TOK_WHOLE;
        goto out;
    }
    if (t->kind == TOK_HF_BYTELEVEL) {
        for (i = 0; i < 256; i++)
            if (t->byte_id[i] == TOK_NONE) {
                errf(err, cap, "tokenizer.json: byte-level vocabulary lacks byte 0x%02zx", i);
                rc = HM_E_FORMAT;
                goto out;
            }
    }
    s = jstr(model, "unk_token");
    t->unk_id = s ? tok_strmap_get(&t->enc, (const unsigned char *)s, strlen(s)) : TOK_NONE;

    rc = tok_pairmap_init(&t->pairs, (uint32_t)nmerges + 1);
    if (rc) goto out;
    mref = malloc(MERGE_CHUNK * sizeof *mref);
    if (!mref) {
        rc = HM_E_NOMEM;
        goto out;
    }
    rank = 0;
    while (tok_json_next(&mi, &key, &it)) {
        const char *a = NULL, *b = NULL;
        size_t al, bl;
        if (cJSON_IsString(it)) {
            const char *sp = strchr(it->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                errf(err, cap, "tokenizer.json: merge %u is not \"a b\"", rank);
                rc = HM_E_FORMAT;
                break;
            }
            a = it->valuestring;
            al = (size_t)(sp - a);
            b = sp + 1;
            bl = strlen(b);
        } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(it, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(it, 1))) {
            a = cJSON_GetArrayItem(it, 0)->valuestring;
            b = cJSON_GetArrayItem(it, 1)->valuestring;
            al = strlen(a);
            bl = strlen(b);
        } else {
            errf(err, cap, "tokenizer.json: merge %u is neither \"a b\" nor [a, b]", rank);
            rc = HM_E_FORMAT;
            break;
        }
        if (rank >= nmerges || al + bl > UINT32_MAX) {
            rc = TOK_WHOLE; /* more entries than counted: unusual text */
            goto out;
        }
        if (rank - base == MERGE_CHUNK) {
            if (add_merges(t, tmp, mref, MERGE_CHUNK, base, &bad_rank)) break;
            base = rank;
            tmp_len = 0;
        }
        if (tok_grow((void **)&tmp, &tmp_cap, tmp_len + al + bl + 1, 1)) {
            rc = HM_E_NOMEM;
            goto out;
        }
        memcpy(tmp + tmp_len, a, al);
        memcpy(tmp + tmp_len + al, b, bl);
        mref[rank - base].off = tmp_len;
        mref[rank - base].al = (uint32_t)al;
        mref[rank - base].len = (uint32_t)(al + bl);
        tmp_len += al + bl;
        rank++;
    }
    /* the merges before a malformed one are checked first, as one by one */
    if (bad_rank != TOK_NONE || add_merges(t, tmp, mref, rank - base, base, &bad_rank)) {
        errf(err, cap, "tokenizer.json: merge %u uses a token missing from the vocab", bad_rank);
        rc = HM_E_FORMAT;
        goto out;
    }
    if (rc) goto out;
    if (mi.bad) {
        rc = TOK_WHOLE;
        goto out;
    }

    cJSON_ArrayForEach(it, added)
    {
        const cJSON *idv = cJSON_GetObjectItemCaseSensitive(it, "id");
        const char *content = jstr(it, "content");
        size_t L;
        uint32_t id;
        if (!cJSON_IsNumber(idv) || idv->valuedouble < 0 || idv->valuedouble > 16777216.0 ||
            !content || !*content) {
            errf(err, cap, "tokenizer.json: added token without id or content");
            rc = HM_E_FORMAT;
            goto out;
        }
        if (jtrue(it, "lstrip") || jtrue(it, "rstrip") || jtrue(it, "single_word")) {
            errf(err, cap, "unsupported added token option: lstrip/rstrip/single_word (%s)",
                 content);
            rc = HM_E_UNSUPPORTED;
            goto out;
        }
        id = (uint32_t)idv->valuedouble;
        if (id > maxid) maxid = id;
        L = strlen(content);
        if (tok_grow((void **)&stage, &stage_cap, stage_len + L + 1, 1)) {
            rc = HM_E_NOMEM;
            goto out;
        }
        memcpy(stage + stage_len, content, L);
        items[nit].off = stage_len;
        items[nit].len = (uint32_t)L;
        items[nit].id = id;
        nit++;
        stage_len += L;
        rc = add_special(t, content, L, id, jtrue(it, "special"));
        if (rc) goto out;
    }
    rc = dec_alloc(t, maxid + 1);
    if (rc) goto out;
    rc = dec_build(t, items, nit, stage ? stage : (const unsigned char *)"");
out:
    tok_json_iter_done(&vi);
    tok_json_iter_done(&mi);
    free(mref);
    free(stage);
    free(tmp);
    free(items);
    cJSON_Delete(root);
    return rc;
}

/* ---- entry points ------------------------------------------------------ */

static void set_name(hm_tokenizer *t, const char *name)
{
    snprintf(t->name, sizeof t->name, "%s", name);
}

static hm_tokenizer *tok_new(void)
{
    hm_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->unk_id = TOK_NONE;
    t->small_piece = TOK_SMALL_PIECE;
    return t;
}

int hm_tokenizer_load_memory(hm_tokenizer **out, const void *data, size_t len,
                             const char *encoding, char *err, size_t errcap)
{
    hm_tokenizer *t;
    const unsigned char *d = data;
    size_t i = 0;
    int rc;
    if (err && errcap) err[0] = 0;
    if (!out || (!data && len)) return HM_E_MISUSE;
    *out = NULL;
    if (len > MAX_FILE) {
        errf(err, errcap, "tokenizer file larger than 1 GiB");
        return HM_E_LIMIT;
    }
    rc = hm_init();
    if (rc) return rc;
    t = tok_new();
    if (!t) return HM_E_NOMEM;
    SHA256(d, len, t->sha256);
    while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
    if (i < len && d[i] == '{') {
        set_name(t, encoding ? encoding : "tokenizer.json");
        rc = load_hf(t, d, len, 0, err, errcap);
        if (rc && rc != HM_E_NOMEM) {
            /* unusual text or an error: the whole-file parse decides (and
             * words any error exactly as it always has) */
            hm_tokenizer *w = tok_new();
            if (!w) {
                hm_tokenizer_free(t);
                return HM_E_NOMEM;
            }
            memcpy(w->sha256, t->sha256, sizeof w->sha256);
            memcpy(w->name, t->name, sizeof w->name);
            hm_tokenizer_free(t);
            t = w;
            if (err && errcap) err[0] = 0;
            rc = load_hf(t, d, len, 1, err, errcap);
        }
    } else {
        const struct builtin *b = NULL;
        size_t k;
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, t->sha256, 32);
        for (k = 0; k < N_BUILTINS; k++) {
            if (encoding ? strcmp(encoding, builtins[k].name) == 0
                         : strcmp(hex, builtins[k].sha256_hex) == 0)
                b = &builtins[k];
        }
        if (!b) {
            if (encoding)
                errf(err, errcap,
                     "unknown tiktoken encoding '%s' (known: cl100k_base, o200k_base, "
                     "r50k_base, p50k_base, p50k_edit)",
                     encoding);
            else
                errf(err, errcap,
                     "not a published tiktoken file (sha256 %.16s...); name its encoding", hex);
            rc = HM_E_NOTFOUND;
        } else {
            set_name(t, b->name);
            rc = load_tiktoken(t, d, len, b, err, errcap);
        }
    }
    if (rc) {
        hm_tokenizer_free(t);
        return rc;
    }
    memcpy(&t->cache_id, t->sha256, 8);
    t->cache_id |= 1; /* never 0 (an empty cache entry) */
    *out = t;
    return HM_OK;
}

/* Reads a regular file of `size` bytes into tok_big_alloc memory (a page
 * fault per 4 KiB of a large vocabulary costs more than parsing it); NULL
 * if it cannot (the stdio path then decides). */
static unsigned char *read_big(FILE *f, size_t size)
{
    size_t n = 0;
    int fd = fileno(f);
    unsigned char *m = tok_big_alloc(size + 1);
    if (!m) return NULL;
    while (n < size) {
        ssize_t got = read(fd, m + n, size - n);
        if (got <= 0) break;
        n += (size_t)got;
    }
    if (n != size) { /* changed while read */
        tok_big_free(m, size + 1);
        (void)lseek(fd, 0, SEEK_SET);
        return NULL;
    }
    return m;
}

/* Loads the file text d[0..n) read from `path` (an unnamed tokenizer.json
 * is named after the file). */
static int load_named(hm_tokenizer **out, const char *path, const unsigned char *d, size_t n,
                      const char *encoding, char *err, size_t errcap)
{
    char base[96];
    const char *slash = strrchr(path, '/');
    int rc;
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    rc = hm_tokenizer_load_memory(out, d, n, encoding, err, errcap);
    if (rc == HM_OK && !encoding && strcmp((*out)->name, "tokenizer.json") == 0)
        set_name(*out, base);
    return rc;
}

int hm_tokenizer_load(hm_tokenizer **out, const char *path, const char *encoding, char *err,
                      size_t errcap)
{
    FILE *f;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    int rc;
    if (err && errcap) err[0] = 0;
    if (!out || !path) return HM_E_MISUSE;
    *out = NULL;
    errno = 0;
    f = fopen(path, "rb");
    if (!f) {
        errf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return HM_E_IO;
    }
    {
        struct stat st; /* size the buffer once for regular files */
        if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            (unsigned long long)st.st_size <= MAX_FILE) {
            unsigned char *m = read_big(f, (size_t)st.st_size);
            if (m) {
                fclose(f);
                rc = load_named(out, path, m, (size_t)st.st_size, encoding, err, errcap);
                tok_big_free(m, (size_t)st.st_size + 1);
                return rc;
            }
            cap = (size_t)st.st_size + 65536;
            buf = malloc(cap);
            if (!buf) {
                fclose(f);
                return HM_E_NOMEM;
            }
        }
    }
    for (;;) {
        if (cap - n < 65536) {
            size_t ncap = cap ? cap * 2 : 1u << 20;
            unsigned char *nb;
            if (ncap > (size_t)MAX_FILE + (1u << 21)) {
                free(buf);
                fclose(f);
                errf(err, errcap, "%s is larger than 1 GiB", path);
                return HM_E_LIMIT;
            }
            nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return HM_E_NOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        errf(err, errcap, "cannot read %s: %s", path, strerror(e));
        return HM_E_IO;
    }
    fclose(f);
    rc = load_named(out, path, buf, n, encoding, err, errcap);
    free(buf);
    return rc;
}
