/*
 * calib_corpus.h - shared by the calibration tests (test_calibration.c,
 * test_calib_model.c): loads a text file of the human corpus built by
 * tests/data/build-corpus.sh (`make deps`) and tokenizes it with
 * cl100k_base through the library.  Header-only (static inline) so each
 * test file stays self-contained.
 */
#ifndef HM_TEST_CALIB_CORPUS_H
#define HM_TEST_CALIB_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"
#include "hallmark/tokenizer.h"
#include "harness.h"

typedef struct calib_corpus {
    uint32_t *ids;
    size_t n;
} calib_corpus;

/* 1 under `make asan` (HM_SANITIZED=1): tests shrink their workloads. */
static inline int calib_sanitized(void)
{
    const char *s = getenv("HM_SANITIZED");
    return s && *s && strcmp(s, "0") != 0;
}

/* Reads at most max_bytes (0 = all) of the file at `path`, cut at the last
 * newline inside the limit, and tokenizes it with `tok` into *c.  Needs
 * nothing from the test harness (tests/calibrate.c uses it too).  Returns
 * HM_OK, HM_E_NOTFOUND when the file is missing, or another status. */
static inline int calib_read_ids(const char *path, const hm_tokenizer *tok, size_t max_bytes,
                                 calib_corpus *c)
{
    FILE *f;
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    hm_tok_output out;
    int st;
    c->ids = NULL;
    c->n = 0;
    f = fopen(path, "rb");
    if (!f) return HM_E_NOTFOUND;
    for (;;) {
        if (len + 65536 > cap) {
            char *nt;
            cap = cap ? cap * 2 : 1u << 20;
            nt = realloc(text, cap);
            if (!nt) {
                free(text);
                fclose(f);
                return HM_E_NOMEM;
            }
            text = nt;
        }
        got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    if (max_bytes && len > max_bytes) {
        len = max_bytes;
        while (len > 0 && text[len - 1] != '\n') len--;
    }
    hm_tok_output_init(&out);
    st = hm_tokenizer_encode(tok, NULL, text, len, 0, &out);
    free(text);
    if (st != HM_OK) {
        hm_tok_output_clear(&out);
        return st;
    }
    c->ids = out.ids; /* ownership moves to the corpus */
    c->n = out.len;
    free(out.offsets);
    return HM_OK;
}

/* Reads at most max_bytes (0 = all) of tests/data/<name>, cut at the last
 * newline inside the limit, and tokenizes it.  Returns HM_OK, HM_E_NOTFOUND
 * when the corpus or the tokenizer file is missing (`make deps` not run),
 * or another status. */
static inline int calib_corpus_load(const char *name, size_t max_bytes, calib_corpus *c)
{
    char path[4096], tpath[4096], err[256];
    hm_tokenizer *tok = NULL;
    int st;
    char rel[256];
    c->ids = NULL;
    c->n = 0;
    snprintf(rel, sizeof rel, "data/%s", name);
    snprintf(path, sizeof path, "%s", hm_test_path(rel));
    snprintf(tpath, sizeof tpath, "%s", hm_test_path("../samples/tokenizers/cl100k_base.tiktoken"));
    st = hm_tokenizer_load(&tok, tpath, "cl100k_base", err, sizeof err);
    if (st != HM_OK) return st == HM_E_IO ? HM_E_NOTFOUND : st;
    st = calib_read_ids(path, tok, max_bytes, c);
    hm_tokenizer_free(tok);
    return st;
}

static inline void calib_corpus_free(calib_corpus *c)
{
    free(c->ids);
    c->ids = NULL;
    c->n = 0;
}

/* Loads both human sources (devil.txt, wordnet-verbs.txt) into one token
 * stream (documents never straddle the two because each source is cut to a
 * whole number of documents of doc_len tokens). */
static inline int calib_corpus_load_human(calib_corpus *c, size_t doc_len, size_t max_bytes)
{
    calib_corpus a, b;
    size_t na, nb;
    int st = calib_corpus_load("devil.txt", max_bytes, &a);
    c->ids = NULL;
    c->n = 0;
    if (st != HM_OK) return st;
    st = calib_corpus_load("wordnet-verbs.txt", max_bytes, &b);
    if (st != HM_OK) {
        calib_corpus_free(&a);
        return st;
    }
    na = a.n / doc_len * doc_len;
    nb = b.n / doc_len * doc_len;
    c->ids = malloc((na + nb + 1) * sizeof *c->ids);
    if (c->ids) {
        memcpy(c->ids, a.ids, na * sizeof *c->ids);
        memcpy(c->ids + na, b.ids, nb * sizeof *c->ids);
        c->n = na + nb;
    }
    calib_corpus_free(&a);
    calib_corpus_free(&b);
    return c->ids ? HM_OK : HM_E_NOMEM;
}

/* The corpus is built by `make deps`; without it the tests say so and
 * pass, except in CI (CI set), where a missing corpus is a failure. */
static inline int calib_corpus_missing(const char *name, int st)
{
    const char *ci = getenv("CI");
    printf("# SKIP: tests/data/%s not loaded (status %d): run `make deps`\n", name, st);
    if (ci && *ci) {
        hm_test_fail(__FILE__, __LINE__, "CI: the human corpus must exist (make deps)");
        return 1;
    }
    return 0;
}

#endif /* HM_TEST_CALIB_CORPUS_H */
