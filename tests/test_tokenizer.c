/* test_tokenizer.c - the tokenizer module: loading the pinned vocabularies,
 * gpt-tokenizer's TestPlans vectors, round trips (including invalid UTF-8),
 * offsets, special tokens, merge-path and split-path equivalence, and
 * refusal of unsupported or malformed files.  Fast; runs under ASan too. */
#include "harness.h"
#include "hallmark.h"
#include "hallmark/tokenizer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "tokenizer/tok_internal.h"


static hm_tokenizer *load_file(const char *file, const char *enc)
{
    char path[1024], err[256];
    hm_tokenizer *t = NULL;
    int rc;
    snprintf(path, sizeof path, "%s", hm_test_path("../samples/tokenizers/"));
    strncat(path, file, sizeof path - strlen(path) - 1);
    rc = hm_tokenizer_load(&t, path, enc, err, sizeof err);
    if (rc) {
        printf("# cannot load %s: %s (%s); run 'make deps'\n", path, hm_strerror(rc), err);
        return NULL;
    }
    return t;
}

/* Tokenizers loaded without an encoding name are loaded once and shared by
 * the tests (loading Qwen3 is the slowest part otherwise). */
#define CACHE_N 8
static hm_tokenizer *cache_tok[CACHE_N];
static char cache_name[CACHE_N][64];

static void cache_free(void)
{
    size_t i;
    for (i = 0; i < CACHE_N; i++) hm_tokenizer_free(cache_tok[i]);
}

static hm_tokenizer *load_sample(const char *file, const char *enc)
{
    size_t i;
    if (enc) return load_file(file, enc);
    for (i = 0; i < CACHE_N && cache_tok[i]; i++)
        if (strcmp(cache_name[i], file) == 0) return cache_tok[i];
    if (i == CACHE_N) return load_file(file, NULL);
    if (i == 0) atexit(cache_free);
    cache_tok[i] = load_file(file, NULL);
    snprintf(cache_name[i], sizeof cache_name[i], "%s", file);
    return cache_tok[i];
}

/* A private copy (tests that change its fields). */
static hm_tokenizer *load_fresh(const char *file)
{
    return load_file(file, NULL);
}

/* Frees `t` unless it is shared from the cache. */
static void tok_release(hm_tokenizer *t)
{
    size_t i;
    for (i = 0; i < CACHE_N; i++)
        if (cache_tok[i] == t) return;
    hm_tokenizer_free(t);
}

static const char *const all_files[] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                        "r50k_base.tiktoken",   "p50k_base.tiktoken",
                                        "qwen3.tokenizer.json", "mistral.tokenizer.json",
                                        "gpt2.tokenizer.json"};
#define N_FILES (sizeof all_files / sizeof all_files[0])

/* Encodes and returns a malloc'd copy of the ids (n in *n); NULL on error. */
static uint32_t *enc(const hm_tokenizer *t, const char *s, size_t len, unsigned flags, size_t *n)
{
    hm_tok_output o;
    uint32_t *r;
    hm_tok_output_init(&o);
    if (hm_tokenizer_encode(t, NULL, s, len, flags, &o) != HM_OK) {
        hm_tok_output_clear(&o);
        return NULL;
    }
    *n = o.len;
    r = malloc((o.len + 1) * sizeof *r);
    if (r && o.len) memcpy(r, o.ids, o.len * sizeof *r);
    hm_tok_output_clear(&o);
    return r;
}

static int roundtrip(const hm_tokenizer *t, const char *s, size_t len)
{
    size_t n = 0, need = 0;
    uint32_t *ids = enc(t, s, len, 0, &n);
    unsigned char *buf;
    int ok;
    if (!ids) return 0;
    if (hm_tokenizer_decode(t, ids, n, NULL, 0, &need) == HM_E_RANGE || need == 0) {
        buf = malloc(need + 1);
        ok = buf && hm_tokenizer_decode(t, ids, n, buf, need, &need) == HM_OK && need == len &&
             (len == 0 || memcmp(buf, s, len) == 0);
        free(buf);
    } else {
        ok = 0;
    }
    free(ids);
    return ok;
}

HM_TEST(tok_load_all_vocabularies)
{
    static const uint32_t sizes[N_FILES] = {100277, 200019, 50257, 50257, 151669, 32000, 50257};
    size_t i;
    for (i = 0; i < N_FILES; i++) {
        hm_tokenizer *t = load_sample(all_files[i], NULL);
        unsigned char sha[32];
        CHECK(t != NULL);
        if (!t) continue;
        CHECK_EQ_INT(hm_tokenizer_vocab_size(t), sizes[i] + (i == 3 ? 24 : 0));
        CHECK_OK(hm_tokenizer_sha256(t, sha));
        tok_release(t);
    }
    hm_tokenizer_free(NULL);
}

HM_TEST(tok_names_specials_and_kinds)
{
    hm_tokenizer *t = load_sample("cl100k_base.tiktoken", NULL);
    uint32_t id = 0;
    unsigned char sha[32];
    REQUIRE(t != NULL);
    CHECK_STR(hm_tokenizer_name(t), "cl100k_base");
    CHECK_STR(hm_tokenizer_kind(t), "tiktoken");
    CHECK_OK(hm_tokenizer_special_id(t, "<|endoftext|>", &id));
    CHECK_EQ_INT(id, 100257);
    CHECK_OK(hm_tokenizer_special_id(t, "<|endofprompt|>", &id));
    CHECK_EQ_INT(id, 100276);
    CHECK_EQ_INT(hm_tokenizer_special_id(t, "<|nope|>", &id), HM_E_NOTFOUND);
    CHECK_OK(hm_tokenizer_sha256(t, sha));
    CHECK(sha[0] == 0x22 && sha[1] == 0x39 && sha[2] == 0x21);
    tok_release(t);
    t = load_sample("o200k_base.tiktoken", NULL);
    REQUIRE(t != NULL);
    CHECK_OK(hm_tokenizer_special_id(t, "<|endoftext|>", &id));
    CHECK_EQ_INT(id, 199999);
    CHECK_OK(hm_tokenizer_special_id(t, "<|endofprompt|>", &id));
    CHECK_EQ_INT(id, 200018);
    tok_release(t);
    t = load_sample("qwen3.tokenizer.json", "qwen3");
    REQUIRE(t != NULL);
    CHECK_STR(hm_tokenizer_name(t), "qwen3");
    CHECK_STR(hm_tokenizer_kind(t), "hf-bpe-bytelevel");
    CHECK_OK(hm_tokenizer_special_id(t, "<|im_end|>", &id));
    CHECK_EQ_INT(id, 151645);
    tok_release(t);
    t = load_sample("mistral.tokenizer.json", NULL);
    REQUIRE(t != NULL);
    CHECK_STR(hm_tokenizer_kind(t), "hf-bpe-sentencepiece");
    CHECK_STR(hm_tokenizer_name(t), "mistral.tokenizer.json");
    CHECK_OK(hm_tokenizer_special_id(t, "</s>", &id));
    CHECK_EQ_INT(id, 2);
    tok_release(t);
}

/* gpt-tokenizer's TestPlans.txt: "EncodingName: / Sample: / Encoded: [..]". */
HM_TEST(tok_gpt_tokenizer_testplans)
{
    FILE *f = fopen(hm_test_path("../samples/tokenizers/TestPlans.txt"), "r");
    static char line[1 << 16], sample[1 << 16];
    char encname[64] = "";
    hm_tokenizer *toks[5] = {NULL, NULL, NULL, NULL, NULL};
    static const char *const names[5] = {"cl100k_base", "o200k_base", "r50k_base", "p50k_base",
                                         "p50k_edit"};
    static const char *const files[5] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                         "r50k_base.tiktoken", "p50k_base.tiktoken",
                                         "p50k_base.tiktoken"};
    size_t k, cases = 0, bad = 0;
    REQUIRE(f != NULL);
    for (k = 0; k < 5; k++) {
        toks[k] = load_sample(files[k], names[k]);
        CHECK(toks[k] != NULL);
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "EncodingName: ", 14) == 0) {
            snprintf(encname, sizeof encname, "%.63s", line + 14);
        } else if (strncmp(line, "Sample: ", 8) == 0) {
            memcpy(sample, line + 8, strlen(line + 8) + 1);
        } else if (strncmp(line, "Encoded: ", 9) == 0) {
            hm_tokenizer *t = NULL;
            uint32_t want[4096];
            size_t nw = 0, n = 0, j;
            char *p = line + 9, *endp;
            uint32_t *got;
            for (k = 0; k < 5; k++)
                if (strcmp(encname, names[k]) == 0) t = toks[k];
            if (!t) continue;
            while (*p && nw < 4096) {
                unsigned long v;
                if (*p < '0' || *p > '9') {
                    p++;
                    continue;
                }
                v = strtoul(p, &endp, 10);
                want[nw++] = (uint32_t)v;
                p = endp;
            }
            got = enc(t, sample, strlen(sample), 0, &n);
            cases++;
            if (!got || n != nw || (n && memcmp(got, want, n * sizeof *got) != 0)) {
                bad++;
                printf("# TestPlans mismatch (%s): %.80s\n", encname, sample);
                for (j = 0; got && j < n && j < 20; j++) printf("# got[%zu]=%u\n", j, got[j]);
            }
            CHECK(roundtrip(t, sample, strlen(sample)));
            free(got);
        }
    }
    fclose(f);
    for (k = 0; k < 5; k++) tok_release(toks[k]);
    CHECK_EQ_INT(cases, 313);
    CHECK_EQ_INT(bad, 0);
}

static const char *const tricky[] = {
    "",
    "a",
    " ",
    "hello world",
    "Hello, World! How are you today? \xf0\x9f\x8c\x8d",
    "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\xe3\x80\x81\xe4\xb8\x96\xe7\x95\x8c",
    "I'M HERE, you'Re there, THEY'LL 'll 'S 's'S",
    "1234567890123 4 56\t\t\t  \n\n\r\n  x",
    "caf\x65\xcc\x81 na\xc3\xafve \xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 \xea\xb0\x81",
    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family",
    "line one\r\nline two\r\n\r\n   indented\n\tend   ",
    "<|endoftext|> <think>x</think> <s></s>",
    "   leading and trailing   ",
};
#define N_TRICKY (sizeof tricky / sizeof tricky[0])
#define NFD_CASE 8

HM_TEST(tok_roundtrip_all_tokenizers)
{
    static const char inv1[] = "abc\xff\xfe def \xc3( \xe2\x82 \xf0\x9f\x98 z\x80\xed\xa0\x80 "
                               "\xf4\x90\x80\x80 \xc0\xaf end";
    size_t i, k;
    for (i = 0; i < N_FILES; i++) {
        hm_tokenizer *t = load_sample(all_files[i], NULL);
        CHECK(t != NULL);
        if (!t) continue;
        for (k = 0; k < N_TRICKY; k++) {
            int ok;
            /* NFC (Qwen3) changes decomposed text: decode gives NFC(x) */
            if (i == 4 && k == NFD_CASE) continue;
            ok = roundtrip(t, tricky[k], strlen(tricky[k]));
            if (!ok) printf("# round trip failed: %s on \"%s\"\n", all_files[i], tricky[k]);
            CHECK(ok);
        }
        CHECK(roundtrip(t, inv1, sizeof inv1 - 1));
        CHECK(roundtrip(t, "\xff", 1));
        CHECK(roundtrip(t, "\x00x\x00", 3));
        tok_release(t);
    }
}

HM_TEST(tok_offsets_cover_input)
{
    size_t i, k, j;
    for (i = 0; i < N_FILES; i++) {
        hm_tokenizer *t = load_sample(all_files[i], NULL);
        CHECK(t != NULL);
        if (!t) continue;
        for (k = 0; k < N_TRICKY; k++) {
            hm_tok_output o;
            uint64_t pos = 0;
            size_t len = strlen(tricky[k]);
            int mono = 1;
            hm_tok_output_init(&o);
            CHECK_OK(hm_tokenizer_encode(t, NULL, tricky[k], len, HM_TOK_OFFSETS, &o));
            for (j = 0; j < o.len; j++) {
                if (o.offsets[j].start > o.offsets[j].end || o.offsets[j].end > len ||
                    o.offsets[j].start < (pos > 0 && o.offsets[j].start < pos ? 0 : 0))
                    mono = 0;
                if (o.offsets[j].end < pos) mono = 0;
                pos = o.offsets[j].end;
            }
            if (len && o.len) CHECK_EQ_U64(o.offsets[o.len - 1].end, len);
            if (!mono) printf("# offsets not monotone: %s on \"%s\"\n", all_files[i], tricky[k]);
            CHECK(mono);
            hm_tok_output_clear(&o);
        }
        tok_release(t);
    }
}

HM_TEST(tok_offsets_exact_tiktoken)
{
    hm_tokenizer *t = load_sample("cl100k_base.tiktoken", NULL);
    hm_tok_output o;
    const char *s = "Hello world \xf0\x9f\x8c\x8d!";
    size_t j;
    uint64_t pos = 0;
    REQUIRE(t != NULL);
    hm_tok_output_init(&o);
    CHECK_OK(hm_tokenizer_encode(t, NULL, s, strlen(s), HM_TOK_OFFSETS, &o));
    for (j = 0; j < o.len; j++) {
        const unsigned char *b;
        size_t bl;
        CHECK_EQ_U64(o.offsets[j].start, pos);
        CHECK_OK(hm_tokenizer_token_bytes(t, o.ids[j], &b, &bl));
        CHECK_EQ_U64(o.offsets[j].end - o.offsets[j].start, bl);
        CHECK(memcmp(s + o.offsets[j].start, b, bl) == 0);
        pos = o.offsets[j].end;
    }
    CHECK_EQ_U64(pos, strlen(s));
    /* the emoji splits into partial-UTF-8 tokens: 11410 234 235 */
    CHECK(o.len >= 3 && o.ids[2] == 11410 && o.ids[3] == 234 && o.ids[4] == 235);
    hm_tok_output_clear(&o);
    tok_release(t);
}

HM_TEST(tok_offsets_through_normalizers)
{
    hm_tokenizer *q = load_sample("qwen3.tokenizer.json", NULL);
    hm_tokenizer *m = load_sample("mistral.tokenizer.json", NULL);
    hm_tok_output o;
    const char *nfd = "cafe\xcc\x81!"; /* "café!" decomposed; NFC makes it 6 bytes */
    size_t j;
    REQUIRE(q != NULL && m != NULL);
    hm_tok_output_init(&o);
    CHECK_OK(hm_tokenizer_encode(q, NULL, nfd, strlen(nfd), HM_TOK_OFFSETS, &o));
    REQUIRE(o.len >= 1);
    CHECK_EQ_U64(o.offsets[o.len - 1].end, strlen(nfd));
    CHECK_EQ_U64(o.offsets[o.len - 1].start, strlen(nfd) - 1);
    for (j = 0; j + 1 < o.len; j++) CHECK(o.offsets[j].end <= 6);
    o.len = 0;
    /* Mistral: "▁hello▁world": the prefix ▁ has no original bytes, a ▁ that
     * replaced a space maps to that space. */
    CHECK_OK(hm_tokenizer_encode(m, NULL, "hello world", 11, HM_TOK_OFFSETS, &o));
    REQUIRE(o.len == 3); /* "▁hell" "o" "▁world" as Hugging Face gives */
    CHECK_EQ_INT(o.ids[0], 6312);
    CHECK_EQ_U64(o.offsets[0].start, 0);
    CHECK_EQ_U64(o.offsets[0].end, 4);
    CHECK_EQ_U64(o.offsets[1].start, 4);
    CHECK_EQ_U64(o.offsets[1].end, 5);
    CHECK_EQ_U64(o.offsets[2].start, 5);
    CHECK_EQ_U64(o.offsets[2].end, 11);
    hm_tok_output_clear(&o);
    tok_release(q);
    tok_release(m);
}

HM_TEST(tok_special_tokens_opt_in)
{
    hm_tokenizer *t = load_sample("cl100k_base.tiktoken", NULL);
    hm_tokenizer *q = load_sample("qwen3.tokenizer.json", NULL);
    const char *s = "a<|endoftext|>b";
    size_t n = 0, j;
    uint32_t *ids;
    int has;
    REQUIRE(t != NULL && q != NULL);
    ids = enc(t, s, strlen(s), 0, &n);
    REQUIRE(ids != NULL);
    has = 0;
    for (j = 0; j < n; j++) has |= ids[j] == 100257;
    CHECK(!has);
    CHECK(n > 3);
    free(ids);
    ids = enc(t, s, strlen(s), HM_TOK_SPECIAL, &n);
    REQUIRE(ids != NULL);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(ids[1], 100257);
    free(ids);
    /* Qwen3: <think> (added, not special) always; <|im_end|> only opt-in */
    ids = enc(q, "<think>x<|im_end|>", 18, 0, &n);
    REQUIRE(ids != NULL);
    CHECK(n > 2 && ids[0] == 151667);
    has = 0;
    for (j = 0; j < n; j++) has |= ids[j] == 151645;
    CHECK(!has);
    free(ids);
    ids = enc(q, "<think>x<|im_end|>", 18, HM_TOK_SPECIAL, &n);
    REQUIRE(ids != NULL);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(ids[2], 151645);
    free(ids);
    tok_release(t);
    tok_release(q);
}

/* A deterministic mixed text with long pieces (long words, digit and space
 * runs) to exercise the heap merge. */
static char *mixed_text(size_t *len)
{
    size_t cap = 200000, n = 0, i;
    char *s = malloc(cap);
    uint32_t x = 12345;
    if (!s) return NULL;
    while (n + 64 < cap) {
        x = x * 1103515245u + 12345u;
        i = (x >> 16) % (N_TRICKY + 4);
        if (i < N_TRICKY) {
            size_t l = strlen(tricky[i]);
            if (n + l + 1 >= cap) break;
            memcpy(s + n, tricky[i], l);
            n += l;
        } else if (i == N_TRICKY) {
            size_t r = 20 + (x >> 8) % 40, k;
            for (k = 0; k < r; k++) s[n++] = (char)('a' + (x >> (k % 24)) % 26);
        } else if (i == N_TRICKY + 1) {
            memcpy(s + n, "                                        ", 40);
            n += 40;
        } else if (i == N_TRICKY + 2) {
            memcpy(s + n, "\xe4\xb8\x96\xe7\x95\x8c\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c", 18);
            n += 18;
        } else {
            memcpy(s + n, "0123456789012345678901234567890123456789", 40);
            n += 40;
        }
        s[n++] = ' ';
    }
    *len = n;
    return s;
}

HM_TEST(tok_heap_merge_equals_scan)
{
    size_t len = 0, i, na = 0, nb = 0;
    char *s = mixed_text(&len);
    REQUIRE(s != NULL);
    for (i = 0; i < N_FILES; i++) {
        hm_tokenizer *t = load_sample(all_files[i], NULL);
        uint32_t *a, *b;
        CHECK(t != NULL);
        if (!t) continue;
        /* Mistral has no pre-splitting: the whole text is one piece, and the
         * quadratic scan would be slow on all of it */
        size_t l = i == 5 ? 6000 : len;
        t->small_piece = (size_t)1 << 30;
        a = enc(t, s, l, 0, &na);
        t->small_piece = 1;
        b = enc(t, s, l, 0, &nb);
        t->small_piece = TOK_SMALL_PIECE;
        CHECK(a && b && na == nb && memcmp(a, b, na * sizeof *a) == 0);
        free(a);
        free(b);
        tok_release(t);
    }
    free(s);
}

HM_TEST(tok_gpt2_json_equals_r50k)
{
    hm_tokenizer *a = load_sample("r50k_base.tiktoken", NULL);
    hm_tokenizer *b = load_sample("gpt2.tokenizer.json", NULL);
    size_t len = 0, na = 0, nb = 0;
    char *s = mixed_text(&len);
    uint32_t *x, *y;
    REQUIRE(a && b && s);
    x = enc(a, s, len, 0, &na);
    y = enc(b, s, len, 0, &nb);
    CHECK(x && y && na == nb && memcmp(x, y, na * sizeof *x) == 0);
    free(x);
    free(y);
    free(s);
    tok_release(a);
    tok_release(b);
}

HM_TEST(tok_fast_split_equals_pcre2)
{
    static const char *const files[3] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                         "qwen3.tokenizer.json"};
    size_t len = 0, i, na = 0, nb = 0;
    char *s = mixed_text(&len);
    REQUIRE(s != NULL);
    for (i = 0; i < 3; i++) {
        hm_tokenizer *fast, *slow;
        uint32_t *a, *b;
        fast = load_sample(files[i], NULL);
        slow = load_fresh(files[i]);
        REQUIRE(fast && slow);
        slow->fast = TOK_FAST_NONE;
        a = enc(fast, s, len, 0, &na);
        b = enc(slow, s, len, 0, &nb);
        CHECK(a && b && na == nb && memcmp(a, b, na * sizeof *a) == 0);
        free(a);
        free(b);
        tok_release(fast);
        tok_release(slow);
    }
    free(s);
}

static int load_mem(const char *json, char *err, size_t cap)
{
    hm_tokenizer *t = NULL;
    int rc = hm_tokenizer_load_memory(&t, json, strlen(json), NULL, err, cap);
    tok_release(t);
    return rc;
}

HM_TEST(tok_refuses_unsupported_components)
{
    char err[256];
    CHECK_EQ_INT(load_mem("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", err, sizeof err),
                 HM_E_UNSUPPORTED);
    CHECK(strstr(err, "Unigram") != NULL);
    CHECK_EQ_INT(load_mem("{\"normalizer\":{\"type\":\"Lowercase\"},\"model\":{\"type\":\"BPE\","
                          "\"vocab\":{},\"merges\":[]}}",
                          err, sizeof err),
                 HM_E_UNSUPPORTED);
    CHECK(strstr(err, "Lowercase") != NULL);
    CHECK_EQ_INT(load_mem("{\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"model\":{\"type\":"
                          "\"BPE\",\"vocab\":{},\"merges\":[]}}",
                          err, sizeof err),
                 HM_E_UNSUPPORTED);
    CHECK(strstr(err, "Whitespace") != NULL);
    CHECK_EQ_INT(load_mem("{\"decoder\":{\"type\":\"WordPiece\"},\"model\":{\"type\":\"BPE\","
                          "\"vocab\":{},\"merges\":[]}}",
                          err, sizeof err),
                 HM_E_UNSUPPORTED);
    CHECK(strstr(err, "WordPiece") != NULL);
    CHECK_EQ_INT(load_mem("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a b\"]}}",
                          err, sizeof err),
                 HM_E_FORMAT);
    CHECK_EQ_INT(load_mem("{\"model\":{\"type\":\"BPE\",\"vo", err, sizeof err), HM_E_FORMAT);
    CHECK(strstr(err, "JSON") != NULL);
}

HM_TEST(tok_refuses_malformed_tiktoken)
{
    hm_tokenizer *t = NULL;
    char err[256];
    const char *bad = "IQ== 0\nIg== x\n";
    CHECK_EQ_INT(hm_tokenizer_load_memory(&t, bad, strlen(bad), "cl100k_base", err, sizeof err),
                 HM_E_FORMAT);
    CHECK(strstr(err, "line 2") != NULL);
    CHECK(t == NULL);
    bad = "IQ== 0\n!!!! 1\n";
    CHECK_EQ_INT(hm_tokenizer_load_memory(&t, bad, strlen(bad), "cl100k_base", err, sizeof err),
                 HM_E_FORMAT);
    bad = "IQ== 0\n";
    CHECK_EQ_INT(hm_tokenizer_load_memory(&t, bad, strlen(bad), "cl100k_base", err, sizeof err),
                 HM_E_FORMAT); /* missing single bytes */
    CHECK_EQ_INT(hm_tokenizer_load_memory(&t, bad, strlen(bad), NULL, err, sizeof err),
                 HM_E_NOTFOUND);
    CHECK_EQ_INT(hm_tokenizer_load_memory(&t, bad, strlen(bad), "nope", err, sizeof err),
                 HM_E_NOTFOUND);
    CHECK_EQ_INT(hm_tokenizer_load(&t, "/nonexistent/x.tiktoken", NULL, err, sizeof err), HM_E_IO);
    CHECK_EQ_INT(hm_tokenizer_load(NULL, "x", NULL, NULL, 0), HM_E_MISUSE);
}

HM_TEST(tok_decode_errors)
{
    hm_tokenizer *t = load_sample("cl100k_base.tiktoken", NULL);
    uint32_t ids[2] = {9906, 100261}; /* 100261 is a hole */
    unsigned char buf[8];
    size_t need = 0;
    REQUIRE(t != NULL);
    CHECK_EQ_INT(hm_tokenizer_decode(t, ids, 2, buf, sizeof buf, &need), HM_E_NOTFOUND);
    ids[1] = 999999;
    CHECK_EQ_INT(hm_tokenizer_decode(t, ids, 2, buf, sizeof buf, &need), HM_E_NOTFOUND);
    CHECK_EQ_INT(hm_tokenizer_decode(t, ids, 1, buf, 2, &need), HM_E_RANGE);
    CHECK_EQ_INT(need, 5);
    CHECK_OK(hm_tokenizer_decode(t, ids, 1, buf, sizeof buf, &need));
    CHECK(memcmp(buf, "Hello", 5) == 0);
    tok_release(t);
}

HM_TEST(tok_scratch_reuse_and_append)
{
    hm_tokenizer *t = load_sample("o200k_base.tiktoken", NULL);
    hm_tok_scratch *s = NULL;
    hm_tok_output o;
    size_t k, first;
    REQUIRE(t != NULL);
    REQUIRE_OK(hm_tok_scratch_new(&s));
    hm_tok_output_init(&o);
    for (k = 0; k < N_TRICKY; k++)
        CHECK_OK(hm_tokenizer_encode(t, s, tricky[k], strlen(tricky[k]), 0, &o));
    first = o.len;
    o.len = 0;
    for (k = 0; k < N_TRICKY; k++)
        CHECK_OK(hm_tokenizer_encode(t, s, tricky[k], strlen(tricky[k]), 0, &o));
    CHECK_EQ_INT(o.len, first);
    CHECK_EQ_INT(hm_tokenizer_encode(NULL, s, "x", 1, 0, &o), HM_E_MISUSE);
    CHECK_EQ_INT(hm_tokenizer_encode(t, s, NULL, 1, 0, &o), HM_E_MISUSE);
    hm_tok_output_clear(&o);
    hm_tok_output_clear(NULL);
    hm_tok_scratch_free(s);
    hm_tok_scratch_free(NULL);
    tok_release(t);
}

struct thr_arg {
    const hm_tokenizer *t;
    const char *s;
    size_t len;
    uint32_t *ids;
    size_t n;
    int rc;
};

static void *thr_encode(void *p)
{
    struct thr_arg *a = p;
    hm_tok_scratch *s = NULL;
    hm_tok_output o;
    int r;
    hm_tok_output_init(&o);
    a->rc = hm_tok_scratch_new(&s);
    for (r = 0; r < 3 && a->rc == HM_OK; r++) {
        o.len = 0;
        a->rc = hm_tokenizer_encode(a->t, s, a->s, a->len, HM_TOK_OFFSETS, &o);
    }
    a->ids = o.ids;
    a->n = o.len;
    o.ids = NULL;
    hm_tok_output_clear(&o);
    hm_tok_scratch_free(s);
    return NULL;
}

HM_TEST(tok_shared_tokenizer_threads)
{
    static const char *const files[3] = {"o200k_base.tiktoken", "qwen3.tokenizer.json",
                                         "mistral.tokenizer.json"};
    size_t len = 0, i, k;
    char *s = mixed_text(&len);
    REQUIRE(s != NULL);
    for (k = 0; k < 3; k++) {
        hm_tokenizer *t = load_sample(files[k], NULL);
        struct thr_arg a[4];
        pthread_t th[4];
        CHECK(t != NULL);
        if (!t) continue;
        for (i = 0; i < 4; i++) {
            memset(&a[i], 0, sizeof a[i]);
            a[i].t = t;
            a[i].s = s;
            a[i].len = k == 2 ? 20000 : len;
            CHECK(pthread_create(&th[i], NULL, thr_encode, &a[i]) == 0);
        }
        for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
        for (i = 0; i < 4; i++) {
            CHECK_OK(a[i].rc);
            CHECK(a[i].n == a[0].n && memcmp(a[i].ids, a[0].ids, a[0].n * sizeof *a[0].ids) == 0);
        }
        for (i = 0; i < 4; i++) free(a[i].ids);
        tok_release(t);
    }
    free(s);
}

/* Cutting before a letter that follows a "\n" that follows a non-space
 * keeps chunked == whole (r50k: " \n" before a letter is no safe cut). */
HM_TEST(tok_chunked_encoding_at_safe_cuts)
{
    static const char *const files[4] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                         "r50k_base.tiktoken", "qwen3.tokenizer.json"};
    const char *text = "First line,  with  spaces\nSecond\r\n\r\nthird 123456 '' x\n\n  "
                       "indented\nLast \xe4\xb8\x96\xe7\x95\x8c\nZ \nnot a cut";
    size_t k, len = strlen(text);
    for (k = 0; k < 4; k++) {
        hm_tokenizer *t = load_sample(files[k], NULL);
        hm_tok_output whole, parts;
        size_t i, start = 0;
        CHECK(t != NULL);
        if (!t) continue;
        hm_tok_output_init(&whole);
        hm_tok_output_init(&parts);
        CHECK_OK(hm_tokenizer_encode(t, NULL, text, len, 0, &whole));
        for (i = 1; i < len; i++) {
            unsigned char c = (unsigned char)text[i];
            if (i >= 2 && text[i - 1] == '\n' && text[i - 2] != ' ' && text[i - 2] != '\n' &&
                text[i - 2] != '\r' && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
                CHECK_OK(hm_tokenizer_encode(t, NULL, text + start, i - start, 0, &parts));
                start = i;
            }
        }
        CHECK_OK(hm_tokenizer_encode(t, NULL, text + start, len - start, 0, &parts));
        CHECK(whole.len == parts.len &&
              memcmp(whole.ids, parts.ids, whole.len * sizeof *whole.ids) == 0);
        hm_tok_output_clear(&whole);
        hm_tok_output_clear(&parts);
        tok_release(t);
    }
}

struct cuts {
    size_t n;
    size_t at[1024];
};

static int collect_cut(void *ctx, size_t start, size_t end)
{
    struct cuts *c = ctx;
    (void)start;
    if (c->n < 1024) c->at[c->n++] = end;
    return 0;
}

/* Random strings over an alphabet with one character of every class the
 * split regexes distinguish: the hand-written splitters cut exactly where
 * PCRE2 does (and so give the same ids). */
HM_TEST(tok_fast_split_random_differential)
{
    static const char *const alpha[] = {
        "A", "a", "Z", "s", "S", "t", "r", "e", "v", "m", "l", "L", "d", "k",
        "\xc5\xbf",             /* U+017F long s (Ll, folds to s) */
        "\xc7\x85",             /* U+01C5 Lt */
        "\xca\xb0",             /* U+02B0 Lm */
        "\xe4\xb8\xad",         /* U+4E2D Lo */
        "\xcc\x81",             /* U+0301 Mn */
        "\xe0\xa4\xbe",         /* U+093E Mc */
        "\xc3\x89",             /* U+00C9 Lu */
        "\xc3\xa9",             /* U+00E9 Ll */
        "5", "0", "\xc2\xbd",   /* U+00BD No */
        "\xe2\x85\xab",         /* U+216B Nl */
        "\xd9\xa3",             /* U+0663 Nd */
        "'", "'", "\xe2\x80\x99", " ", " ", "\t", "\n", "\r", "\r\n",
        "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8", "\x0b",
        "/", "(", "!", ".", "\xe2\x80\x8d", "\xf0\x9f\x98\x80", "_", "-",
    };
    static const char *const files[3] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                         "qwen3.tokenizer.json"};
    size_t na = sizeof alpha / sizeof alpha[0], f;
    uint32_t x = 987654321u;
    for (f = 0; f < 3; f++) {
        hm_tokenizer *fast, *slow;
        hm_tok_scratch *s = NULL;
        hm_tok_output a, b;
        int iter, bad = 0;
        fast = load_sample(files[f], NULL);
        slow = load_fresh(files[f]);
        REQUIRE(fast && slow);
        slow->fast = TOK_FAST_NONE;
        REQUIRE_OK(hm_tok_scratch_new(&s));
        hm_tok_output_init(&a);
        hm_tok_output_init(&b);
        for (iter = 0; iter < 20000; iter++) {
            char buf[256];
            size_t len = 0, k, n;
            x = x * 1664525u + 1013904223u;
            n = 1 + (x >> 24) % 16;
            for (k = 0; k < n; k++) {
                const char *c;
                x = x * 1664525u + 1013904223u;
                c = alpha[(x >> 16) % na];
                memcpy(buf + len, c, strlen(c));
                len += strlen(c);
            }
            a.len = b.len = 0;
            CHECK_OK(hm_tokenizer_encode(fast, s, buf, len, 0, &a));
            CHECK_OK(hm_tokenizer_encode(slow, s, buf, len, 0, &b));
            {
                static struct cuts ca, cb;
                ca.n = cb.n = 0;
                CHECK_OK(tok_split_fast(fast, (const unsigned char *)buf, len, collect_cut, &ca));
                CHECK_OK(tok_split_regex(slow->re, s, (const unsigned char *)buf, len,
                                         collect_cut, &cb));
                if (ca.n != cb.n || memcmp(ca.at, cb.at, ca.n * sizeof ca.at[0]) != 0)
                    a.len = b.len + 1; /* report below */
            }
            if (a.len != b.len || memcmp(a.ids, b.ids, a.len * sizeof *a.ids) != 0) {
                if (bad++ < 3) {
                    printf("# %s: fast split differs on:", files[f]);
                    for (k = 0; k < len; k++) printf(" %02x", (unsigned char)buf[k]);
                    printf("\n");
                }
            }
        }
        CHECK_EQ_INT(bad, 0);
        hm_tok_output_clear(&a);
        hm_tok_output_clear(&b);
        hm_tok_scratch_free(s);
        tok_release(fast);
        tok_release(slow);
    }
}
