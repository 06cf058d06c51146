/*
 * test_dedup_units.c - the context deduplication policy with a scheme whose
 * unit spans contexts (kgw selfhash: the (anchor, token) pair): a new
 * context that repeats an earlier position's unit is not scored again, in
 * hm_detect and in the scanner alike, so every scored unit is distinct.
 */
#include <stdlib.h>
#include <string.h>

#include "calib_corpus.h"
#include "context.h"
#include "detect_internal.h"
#include "harness.h"
#include "scheme.h"

HM_TEST(context_dedup_scores_each_selfhash_unit_once)
{
    calib_corpus c = {0};
    const char *const params[] = {"seeding=selfhash"};
    uint8_t secret[32];
    hm_detector *d = NULL;
    hm_scanner *sc = NULL;
    hm_token_detail *det;
    size_t doc, n_docs, i, L = 256, extra = 0;
    int st = calib_corpus_load("wordnet-records.txt", 60000, &c);
    if (st != HM_OK) {
        (void)calib_corpus_missing("wordnet-records.txt", st);
        return;
    }
    memset(secret, 0x33, sizeof secret);
    REQUIRE(hm_detector_new_secret(&d, "kgw", secret, params, 1, 0, NULL) == HM_OK);
    REQUIRE(hm_detector_set_dedup(d, HM_DEDUP_CONTEXT) == HM_OK);
    REQUIRE(hm_scanner_new(&sc, d) == HM_OK);
    det = malloc(L * sizeof *det);
    REQUIRE(det != NULL);
    n_docs = c.n / L;
    for (doc = 0; doc < n_docs; doc++) {
        const uint32_t *ids = c.ids + doc * L;
        hm_detect_result a, b;
        const hm_scheme_ops *ops;
        const void *stv;
        size_t width = 0;
        uint64_t seen[256];
        size_t n_seen = 0, k;
        REQUIRE(hm_detect(d, NULL, 0, ids, L, &a, det) == HM_OK);
        REQUIRE(hm_scanner_doc(sc, ids, L, &b) == HM_OK);
        hm_scanner_clear(sc);
        CHECK_EQ_U64(a.n_scored, b.n_scored);
        CHECK(a.score == b.score);
        /* the scored units are distinct */
        ops = hm_detector_internals(d, &stv, &width, NULL, NULL, NULL, NULL);
        for (i = width; i < L; i++) {
            uint64_t u;
            if (!det[i].counted) continue;
            u = hm_scheme_tuple_key(ops, stv, ids + i - width, width, 0, ids[i]);
            for (k = 0; k < n_seen; k++) CHECK(seen[k] != u);
            if (n_seen < 256) seen[n_seen++] = u;
            extra++;
        }
    }
    printf("# %zu documents, %zu scored units under the context policy\n", n_docs, extra);
    free(det);
    hm_scanner_free(sc);
    hm_detector_free(d);
    calib_corpus_free(&c);
}
