/*
 * test_radio_h0.c - radioactivity is a valid test under H0 for every native
 * scheme and seeding, main and control (issue #12, item 1).
 *
 * Human documents (tests/data, never watermarked, never seen by a sample
 * model) are the suspect completions; each key gives one main and one
 * control p-value, and keys are independent of the text, so the p-values of
 * different keys are independent draws from the null distribution.  The
 * audit that found the selfhash defect used 1,000 documents and 100 keys
 * (main p <= 1e-6 for 3 of 100 keys, control for 31 of 100); this test runs
 * the same set-up with fewer keys (HM_RADIO_H0_KEYS overrides; 100
 * reproduces the audit) and asserts, per scheme and key kind:
 *   - no p-value at or below 1e-6,
 *   - the Clopper-Pearson 99.9% interval of the rate at 1e-2 and 1e-3 does
 *     not lie above alpha,
 *   - the randomized PIT is uniform (KS p >= 1e-3).
 */
#include <stdlib.h>

#define CALIB_LINE_PREFIX "# "
#include "calib_corpus.h"
#include "calib_radio.h"
#include "harness.h"

#define DOC_LEN 256
#define N_PROMPT 8

HM_TEST(radio_is_valid_under_h0_for_every_scheme)
{
    calib_corpus c = {0};
    size_t n_docs, n_keys = 20, ci;
    const char *env = getenv("HM_RADIO_H0_KEYS");
    int st = calib_corpus_load_human(&c, DOC_LEN, calib_sanitized() ? 120000 : 0);
    if (st != HM_OK) {
        (void)calib_corpus_missing("devil.txt", st);
        return;
    }
    n_docs = c.n / DOC_LEN;
    if (n_docs > 1000) n_docs = 1000;
    if (env && *env) n_keys = (size_t)strtoul(env, NULL, 10);
    if (calib_sanitized()) n_keys = 4;
    for (ci = 0; ci < CALIB_N_RADIO_CFGS; ci++) {
        calib_row rows[2];
        long tiny[2];
        char name[2][160];
        int kind;
        st = calib_radio_rows(&CALIB_RADIO_CFGS[ci], c.ids, DOC_LEN, n_docs, N_PROMPT, n_keys,
                              0x5eed0000u + ci, "human", rows, tiny, name);
        REQUIRE(st == HM_OK);
        for (kind = 0; kind < 2; kind++) {
            printf("# %s: %ld of %zu keys with p <= 1e-6\n", name[kind], tiny[kind], n_keys);
            CHECK(calib_row_report(name[kind], &rows[kind], 0));
            CHECK_EQ_INT(tiny[kind], 0);
            calib_row_free(&rows[kind]);
        }
    }
    calib_corpus_free(&c);
}

/* Shards of a selfhash run (units partitioned by their score key) add up to
 * exactly the single-process statistics, main and control. */
HM_TEST(radio_selfhash_shards_merge_exactly)
{
    calib_corpus c = {0};
    const char *const params[] = {"seeding=selfhash"};
    uint8_t secret[32];
    hm_key *key = NULL;
    hm_radio_stats one, total, part;
    uint32_t s, n_shards = 3;
    size_t n_docs, i;
    int st = calib_corpus_load_human(&c, DOC_LEN, 60000);
    if (st != HM_OK) {
        (void)calib_corpus_missing("devil.txt", st);
        return;
    }
    n_docs = c.n / DOC_LEN;
    memset(secret, 0x5a, sizeof secret);
    REQUIRE(hm_key_from_bytes(secret, 1700000000u, &key) == HM_OK);
    memset(&total, 0, sizeof total);
    for (s = 0; s <= n_shards; s++) {
        hm_radio *r = NULL;
        hm_radio_options ro;
        memset(&ro, 0, sizeof ro);
        ro.partitions = 8;
        if (s < n_shards) {
            ro.shard = s;
            ro.n_shards = n_shards;
        }
        REQUIRE(hm_radio_new(&r, "kgw", key, params, 1, &ro, NULL) == HM_OK);
        for (i = 0; i < n_docs; i++) {
            const uint32_t *doc = c.ids + i * DOC_LEN;
            CHECK(hm_radio_add_prompt(r, doc, N_PROMPT) == HM_OK);
            CHECK(hm_radio_add_output(r, doc, N_PROMPT, doc + N_PROMPT, DOC_LEN - N_PROMPT) ==
                  HM_OK);
        }
        CHECK(hm_radio_finish(r, s < n_shards ? &part : &one) == HM_OK);
        if (s < n_shards) hm_radio_stats_merge(&total, &part);
        hm_radio_free(r);
    }
    CHECK_EQ_U64(total.n_kept, one.n_kept);
    CHECK_EQ_U64(total.n_kept_control, one.n_kept_control);
    CHECK_EQ_U64(total.n_unique, one.n_unique);
    CHECK_EQ_U64(total.n_excluded, one.n_excluded);
    CHECK_EQ_U64(total.n_positions, one.n_positions);
    CHECK(hm_fixsum_value(&total.sum_main) == hm_fixsum_value(&one.sum_main));
    CHECK(hm_fixsum_value(&total.sum_control) == hm_fixsum_value(&one.sum_control));
    CHECK(one.n_kept < one.n_unique); /* (anchor, token) units merge tuples */
    printf("# selfhash: %llu positions, %llu distinct tuples, %llu units (main), %llu (control)\n",
           (unsigned long long)one.n_positions, (unsigned long long)one.n_unique,
           (unsigned long long)one.n_kept, (unsigned long long)one.n_kept_control);
    hm_key_free(key);
    calib_corpus_free(&c);
}

/* The engine profiles carry their key as a parameter: no control key can be
 * derived from ours, so radioactivity refuses them. */
HM_TEST(radio_refuses_engine_profiles)
{
    uint8_t secret[32];
    hm_key *key = NULL;
    hm_radio *r = NULL;
    const char *const vp[] = {"key=42"};
    memset(secret, 7, sizeof secret);
    REQUIRE(hm_key_from_bytes(secret, 1700000000u, &key) == HM_OK);
    CHECK_EQ_INT(hm_radio_new(&r, "vllm", key, vp, 1, NULL, NULL), HM_E_UNSUPPORTED);
    CHECK(r == NULL);
    hm_key_free(key);
}
