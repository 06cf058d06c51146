/* test_tokenizer_load.c - the loader's tables are exactly those of the
 * previous (slower) loader: an order-independent digest of every table the
 * encoder and decoder use (id -> bytes, presence, bytes/string -> id, merge
 * pairs with rank and merged id, byte ids, specials, normalizers) for each
 * pinned vocabulary, compared with the digest recorded before the loader
 * was rewritten; and the loader's base64 and JSON edge cases. */
#include "harness.h"
#include "hallmark.h"
#include "hallmark/tokenizer.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tokenizer/tok_internal.h"

static hm_tokenizer *load_named(const char *file, const char *enc)
{
    char path[1024], err[256];
    hm_tokenizer *t = NULL;
    snprintf(path, sizeof path, "%s", hm_test_path("../samples/tokenizers/"));
    strncat(path, file, sizeof path - strlen(path) - 1);
    if (hm_tokenizer_load(&t, path, enc, err, sizeof err)) {
        printf("# cannot load %s: %s; run 'make deps'\n", path, err);
        return NULL;
    }
    return t;
}

/* 64-bit hash of one record (little-endian fields). */
static uint64_t rec_hash(const unsigned char *p, size_t n)
{
    unsigned char h[8];
    uint64_t v = 0;
    size_t i;
    crypto_generichash(h, sizeof h, p, n, NULL, 0);
    for (i = 0; i < 8; i++) v |= (uint64_t)h[i] << (8 * i);
    return v;
}

static size_t put32(unsigned char *o, uint32_t v)
{
    size_t i;
    for (i = 0; i < 4; i++) o[i] = (unsigned char)(v >> (8 * i));
    return 4;
}

/* Sum of record hashes: independent of hash-table layout and order. */
static uint64_t tables_digest(const hm_tokenizer *t)
{
    unsigned char rec[4096];
    uint64_t sum = 0;
    size_t i, w;
    sum += (uint64_t)t->kind * 1000003u + t->vocab_size + (uint64_t)t->fast * 7919u;
    for (i = 0; i < t->vocab_size; i++) {
        size_t len = (size_t)(t->dec_off[i + 1] - t->dec_off[i]);
        w = put32(rec, 1);
        w += put32(rec + w, (uint32_t)i);
        w += put32(rec + w, t->present[i]);
        if (len > sizeof rec - w) len = sizeof rec - w;
        memcpy(rec + w, t->dec_blob + t->dec_off[i], len);
        sum += rec_hash(rec, w + len);
    }
    for (i = 0; i <= t->enc.mask; i++) {
        const struct tok_slot *s = &t->enc.slots[i];
        size_t j;
        if (!s->len) continue;
        w = put32(rec, 2);
        w += put32(rec + w, s->val);
        for (j = 0; j < 8 && j < s->len; j++) rec[w++] = (unsigned char)(s->k8 >> (8 * j));
        if (s->len > 8) {
            memcpy(rec + w, t->enc.blob + s->off, s->len - 8);
            w += s->len - 8;
        }
        sum += rec_hash(rec, w);
    }
    for (i = 0; t->pairs.keys && i <= t->pairs.mask; i++) {
        if (t->pairs.keys[i] == UINT64_MAX) continue;
        w = put32(rec, 3);
        w += put32(rec + w, (uint32_t)(t->pairs.keys[i] >> 32));
        w += put32(rec + w, (uint32_t)t->pairs.keys[i]);
        w += put32(rec + w, t->pairs.rank[i]);
        w += put32(rec + w, t->pairs.id[i]);
        sum += rec_hash(rec, w);
    }
    for (i = 0; i < 256; i++) {
        w = put32(rec, 4);
        w += put32(rec + w, (uint32_t)i);
        w += put32(rec + w, t->byte_id[i]);
        w += put32(rec + w, t->special_first[i]);
        sum += rec_hash(rec, w);
    }
    for (i = 0; i < t->n_specials; i++) {
        w = put32(rec, 5);
        w += put32(rec + w, (uint32_t)i);
        w += put32(rec + w, t->specials[i].id);
        w += put32(rec + w, (uint32_t)t->specials[i].special);
        memcpy(rec + w, t->specials[i].s, t->specials[i].len);
        sum += rec_hash(rec, w + t->specials[i].len);
    }
    for (i = 0; i < t->n_norms; i++) {
        w = put32(rec, 6);
        w += put32(rec + w, (uint32_t)i);
        w += put32(rec + w, (uint32_t)t->norms[i].op);
        memcpy(rec + w, t->norms[i].a ? t->norms[i].a : (const unsigned char *)"", t->norms[i].alen);
        w += t->norms[i].alen;
        rec[w++] = 0xff;
        memcpy(rec + w, t->norms[i].b ? t->norms[i].b : (const unsigned char *)"", t->norms[i].blen);
        sum += rec_hash(rec, w + t->norms[i].blen);
    }
    w = put32(rec, 7);
    w += put32(rec + w, t->unk_id);
    w += put32(rec + w, (uint32_t)t->fuse_unk);
    w += put32(rec + w, (uint32_t)t->byte_fallback);
    w += put32(rec + w, (uint32_t)t->strip_leading_space);
    w += put32(rec + w, (uint32_t)(t->cls != NULL));
    w += put32(rec + w, (uint32_t)(t->re != NULL));
    sum += rec_hash(rec, w);
    return sum;
}

HM_TEST(tok_load_tables_unchanged)
{
    static const struct {
        const char *file, *enc;
        uint64_t digest;
    } cases[] = {
        {"cl100k_base.tiktoken", NULL,
         0x3696601af7d22f84ULL},
        {"o200k_base.tiktoken", NULL,
         0x22534687f05b5df9ULL},
        {"r50k_base.tiktoken", NULL,
         0x13f575bcc3340498ULL},
        {"p50k_base.tiktoken", NULL,
         0x374961f3e277dbedULL},
        {"p50k_base.tiktoken", "p50k_edit",
         0xac12010449f086c6ULL},
        {"gpt2.tokenizer.json", NULL,
         0x83e632b7c94c3353ULL},
        {"mistral.tokenizer.json", NULL,
         0xc10a1c9728b09c09ULL},
        {"qwen3.tokenizer.json", NULL,
         0x4dfdccfe5fc06916ULL},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hm_tokenizer *t = load_named(cases[i].file, cases[i].enc);
        uint64_t d;
        if (!t) continue;
        d = tables_digest(t);
        if (d != cases[i].digest)
            printf("# %s%s%s: digest 0x%016llxULL\n", cases[i].file, cases[i].enc ? " as " : "",
                   cases[i].enc ? cases[i].enc : "", (unsigned long long)d);
        CHECK(d == cases[i].digest);
        hm_tokenizer_free(t);
    }
}

/* The scan finds both large members of every pinned tokenizer.json with
 * cJSON's entry counts, so the entry-by-entry path is the one exercised. */
HM_TEST(tok_load_json_split_finds_vocab_and_merges)
{
    static const char *const files[] = {"gpt2.tokenizer.json", "mistral.tokenizer.json",
                                        "qwen3.tokenizer.json"};
    size_t i;
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        FILE *f;
        long n;
        char *d, *skel = NULL;
        size_t skel_len = 0;
        struct tok_json_spans sp;
        cJSON *root, *model;
        snprintf(path, sizeof path, "%s%s", hm_test_path("../samples/tokenizers/"), files[i]);
        f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        d = malloc((size_t)n);
        REQUIRE(d != NULL);
        CHECK(fread(d, 1, (size_t)n, f) == (size_t)n);
        fclose(f);
        CHECK(tok_json_split(d, (size_t)n, &sp, &skel, &skel_len) == 1);
        root = cJSON_ParseWithLength(d, (size_t)n);
        model = cJSON_GetObjectItemCaseSensitive(root, "model");
        CHECK(sp.nvocab == (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "vocab")));
        CHECK(sp.nmerges == (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "merges")));
        cJSON_Delete(root);
        root = cJSON_ParseWithLength(skel, skel_len);
        CHECK(root != NULL);
        model = cJSON_GetObjectItemCaseSensitive(root, "model");
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "vocab")) == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "merges")) == 0);
        cJSON_Delete(root);
        free(skel);
        free(d);
    }
}

/* Loads `json` and returns the status with the error text in err. */
static int load_json(const char *json, char *err, size_t cap)
{
    hm_tokenizer *t = NULL;
    int rc = hm_tokenizer_load_memory(&t, json, strlen(json), "t", err, cap);
    hm_tokenizer_free(t);
    return rc;
}

#define TINY_HEAD "{\"model\": {\"type\": \"BPE\", "
#define TINY_SPM_VOCAB "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}"

/* Text the scan does not take (escaped or repeated keys) loads as before;
 * malformed entries give the whole-file parse's errors, in file order. */
HM_TEST(tok_load_json_unusual_text)
{
    char err[256];
    CHECK(load_json(TINY_HEAD TINY_SPM_VOCAB ", \"merges\": [\"a b\"]}}", err, sizeof err) == HM_OK);
    CHECK(load_json(TINY_HEAD TINY_SPM_VOCAB ", \"merges\": [[\"a\", \"b\"]]}}", err, sizeof err) ==
          HM_OK);
    CHECK(load_json(TINY_HEAD "\"voc\\u0061b\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": "
                              "[\"a b\"]}}",
                    err, sizeof err) == HM_OK);
    CHECK(load_json("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, "
                    "\"model\": {\"type\": \"BPE\", " TINY_SPM_VOCAB ", \"merges\": [\"a b\"]}}",
                    err, sizeof err) == HM_OK);
    CHECK(load_json(TINY_HEAD TINY_SPM_VOCAB ", \"merges\": [\"a b\",]}}", err, sizeof err) ==
          HM_E_FORMAT);
    CHECK(strstr(err, "malformed JSON") != NULL);
    CHECK(load_json(TINY_HEAD TINY_SPM_VOCAB ", \"merges\": [\"a c\", \"a b c\"]}}", err,
                    sizeof err) == HM_E_FORMAT);
    CHECK(strstr(err, "merge 0 uses a token missing") != NULL);
    CHECK(load_json(TINY_HEAD TINY_SPM_VOCAB ", \"merges\": [\"a b\", \"a b c\"]}}", err,
                    sizeof err) == HM_E_FORMAT);
    CHECK(strstr(err, "merge 1 is not") != NULL);
    CHECK(load_json(TINY_HEAD "\"vocab\": {\"a\": -1}, \"merges\": [1}}", err, sizeof err) ==
          HM_E_FORMAT);
    CHECK(strstr(err, "malformed JSON") != NULL);
}

/* Rank-file base64: padding required, unused bits zero, nothing else. */
HM_TEST(tok_load_base64_strict)
{
    static const struct {
        const char *text;
        int valid;
    } cases[] = {
        {"QQ== 0\n", 1}, {"QUI= 0\n", 1}, {"QUJD 0\n", 1}, {"QQ= 0\n", 0},  {"QQ 0\n", 0},
        {"QR== 0\n", 0}, {"QUJ= 0\n", 0}, {"QUJD= 0\n", 0}, {"Q=Q= 0\n", 0}, {"QU-D 0\n", 0},
        {"==== 0\n", 0}, {"QUJDRA== 0\n", 1}, {"Q 0\n", 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256];
        hm_tokenizer *t = NULL;
        int rc = hm_tokenizer_load_memory(&t, cases[i].text, strlen(cases[i].text), "r50k_base",
                                          err, sizeof err);
        CHECK(rc == HM_E_FORMAT); /* one token: never a full byte table */
        if (cases[i].valid != (strstr(err, "invalid base64") == NULL))
            printf("# %s: %s\n", cases[i].text, err);
        CHECK(cases[i].valid == (strstr(err, "invalid base64") == NULL));
        hm_tokenizer_free(t);
    }
}
