/*
 * test_scan_speed.c - the scan fast paths give what the plain code gives:
 * the filtered walk (duplicates never scored) equals hm_detect under every
 * dedup policy and context rule, across a long document followed by short
 * ones (the sparse-set reverse removal); hm_u64set_remove_last in reverse
 * insertion order empties a set exactly; the tape's look-ahead queue
 * loses nothing across set_budget and finish; kgw selfhash scores from the
 * anchor table equal scores beyond the table.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "detect_internal.h"
#include "hallmark.h"
#include "harness.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

static hm_key *speed_key(void)
{
    uint8_t b[32];
    hm_key *k = NULL;
    memset(b, 0x5a, sizeof b);
    if (hm_key_from_bytes(b, 1700000000u, &k) != HM_OK) return NULL;
    return k;
}

/* One document through the scanner and through hm_detect: equal counts and
 * p-values. */
static void check_doc(hm_scanner *sc, const hm_detector *d, const uint32_t *ids, size_t n)
{
    hm_detect_result a, b;
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, n, &a, NULL));
    REQUIRE_OK(hm_scanner_doc(sc, ids, n, &b));
    CHECK_EQ_U64(a.n_tokens, b.n_tokens);
    CHECK_EQ_U64(a.n_scored, b.n_scored);
    CHECK_EQ_U64(a.n_no_context, b.n_no_context);
    CHECK_EQ_U64(a.n_duplicate, b.n_duplicate);
    CHECK_EQ_U64(a.n_after_eos, b.n_after_eos);
    CHECK(a.score == b.score);
    CHECK(a.log10_p == b.log10_p);
}

HM_TEST(scan_fast_walk_matches_detect_all_policies)
{
    static const char *const lefthash[] = {"seeding=lefthash", "h=2"};
    static const struct {
        const char *scheme;
        const char *const *params;
        size_t np;
    } cfg[] = {{"kgw", NULL, 0}, {"kgw", lefthash, 2}, {"unigram", NULL, 0}, {"gumbel", NULL, 0}};
    static const int policies[] = {HM_DEDUP_DEFAULT, HM_DEDUP_TUPLE, HM_DEDUP_CONTEXT,
                                   HM_DEDUP_NONE};
    static uint32_t ids[6000];
    hm_key *key = speed_key();
    size_t ci, pi;
    REQUIRE(key != NULL);
    for (ci = 0; ci < sizeof cfg / sizeof cfg[0]; ci++)
        for (pi = 0; pi < 4; pi++) {
            hm_detector *d = NULL;
            hm_scanner *sc = NULL;
            uint64_t st = 11 + ci * 4 + pi;
            size_t k, i;
            REQUIRE_OK(hm_detector_new(&d, cfg[ci].scheme, key, cfg[ci].params, cfg[ci].np, 500,
                                       NULL));
            REQUIRE_OK(hm_detector_set_dedup(d, policies[pi]));
            if (pi == 1) REQUIRE_OK(hm_detector_set_eos(d, 499));
            REQUIRE_OK(hm_scanner_new(&sc, d));
            /* a long document (the set grows), then short ones (sparse set:
             * emptied by reverse removal), some with ids beyond the vocabulary
             * and very short ones without a full context */
            for (k = 0; k < 12; k++) {
                size_t n = k == 0 ? 6000 : k == 5 ? 2 : 30 + 40 * k;
                for (i = 0; i < n; i++) {
                    uint64_t r = lcg(&st);
                    ids[i] = (uint32_t)(k % 3 == 1 ? r % 40 : r % 498); /* repeats */
                    if (k == 7 && i % 9 == 4) ids[i] = 500 + (uint32_t)(r % 7); /* beyond V */
                }
                if (k == 9) ids[n / 2] = 499; /* EOS when set */
                check_doc(sc, d, ids, n);
                if (k % 4 == 3) hm_scanner_clear(sc);
            }
            hm_scanner_free(sc);
            hm_detector_free(d);
        }
    hm_key_free(key);
}

HM_TEST(scan_u64set_remove_last_reverse_order)
{
    hm_u64set s;
    static uint64_t keys[300];
    uint64_t st = 5;
    size_t i, j;
    REQUIRE(hm_u64set_init(&s, 4096) == 0);
    /* clustered keys: many share a home slot, so probe chains cross */
    for (i = 0; i < 300; i++) keys[i] = (lcg(&st) % 37 + 1) << 40 | (i + 1);
    for (i = 0; i < 100; i++) CHECK_EQ_INT(hm_u64set_add(&s, keys[i]), 1);
    /* a second "document" on top of the first 100 keys, then undone */
    for (i = 100; i < 300; i++) CHECK_EQ_INT(hm_u64set_add(&s, keys[i]), 1);
    for (i = 300; i-- > 100;) hm_u64set_remove_last(&s, keys[i]);
    CHECK_EQ_U64(s.count, 100);
    for (i = 0; i < 300; i++) CHECK_EQ_INT(hm_u64set_contains(&s, keys[i]), i < 100);
    for (i = 100; i-- > 0;) hm_u64set_remove_last(&s, keys[i]);
    CHECK_EQ_U64(s.count, 0);
    for (j = 0; j < s.cap; j++) CHECK(s.slots[j] == 0);
    hm_u64set_free(&s);
}

HM_TEST(scan_tape_queue_survives_budget_and_finish)
{
    size_t n_add[] = {0, 1, 5, 15, 16, 17, 100};
    size_t ni;
    for (ni = 0; ni < sizeof n_add / sizeof n_add[0]; ni++) {
        hm_tape *t = NULL;
        hm_tape_result r;
        size_t i;
        double sum = 0;
        REQUIRE_OK(hm_tape_new(&t, NULL, 4));
        for (i = 0; i < n_add[ni]; i++) {
            uint64_t h = (i % 11 + 1) * 0x9E3779B97F4A7C15ULL;
            REQUIRE_OK(hm_tape_add(t, h, h, (double)(i % 11), 0));
            if (i == 7) REQUIRE_OK(hm_tape_set_budget(t, 0)); /* drains, then spills at once */
        }
        for (i = 0; i < n_add[ni] && i < 11; i++) sum += (double)i;
        REQUIRE_OK(hm_tape_finish(t, &r, NULL, NULL));
        CHECK_EQ_U64(r.n_records, n_add[ni]);
        CHECK_EQ_U64(r.n_kept, n_add[ni] < 11 ? n_add[ni] : 11);
        CHECK_REL(hm_fixsum_value(&r.sum[0]) + 1, sum + 1, 1e-12);
        hm_tape_free(t);
    }
}

HM_TEST(scan_kgw_anchor_table_equals_on_the_fly)
{
    /* The same key and ids, detected with a vocabulary covering the ids
     * (anchor PRF states from the table) and with a vocabulary of 1 (every
     * state computed on the fly): identical per-token scores. */
    hm_key *key = speed_key();
    hm_detector *big = NULL, *tiny = NULL;
    static uint32_t ids[800];
    static hm_token_detail da[800], db[800];
    hm_detect_result a, b;
    uint64_t st = 3;
    size_t i;
    REQUIRE(key != NULL);
    REQUIRE_OK(hm_detector_new(&big, "kgw", key, NULL, 0, 1000, NULL));
    REQUIRE_OK(hm_detector_new(&tiny, "kgw", key, NULL, 0, 1, NULL));
    for (i = 0; i < 800; i++) ids[i] = (uint32_t)(lcg(&st) % 1000);
    REQUIRE_OK(hm_detect(big, NULL, 0, ids, 800, &a, da));
    REQUIRE_OK(hm_detect(tiny, NULL, 0, ids, 800, &b, db));
    CHECK_EQ_U64(a.n_scored, b.n_scored);
    CHECK(a.score == b.score);
    for (i = 0; i < 800; i++) CHECK_EQ_INT(da[i].green, db[i].green);
    hm_detector_free(big);
    hm_detector_free(tiny);
    hm_key_free(key);
}

static int sum_emit(uint64_t group, uint64_t hash, double v0, double v1, void *user)
{
    double *acc = user;
    acc[0] += v0;
    acc[1] += v1;
    acc[2] += 1;
    acc[3] += group == hash ? 1 : 0;
    return 0;
}

HM_TEST(scan_tape_short_records_keep_add_order)
{
    const uint64_t h1 = 0x1111111111111111ULL, h2 = 0x2222222222222222ULL, g = 0x3333ULL;
    int budget;
    /* First added wins: a short record (group = hash) then a full one with
     * the same hash; a full one then a would-be short one. */
    for (budget = 0; budget < 2; budget++) {
        hm_tape *t = NULL;
        hm_tape_result r;
        REQUIRE_OK(hm_tape_new(&t, NULL, 1));
        if (budget) REQUIRE_OK(hm_tape_set_budget(t, 0));
        REQUIRE_OK(hm_tape_add(t, h1, h1, 1.0, 0));
        REQUIRE_OK(hm_tape_add(t, g, h1, 1.0, 0));
        REQUIRE_OK(hm_tape_add(t, g, h2, 2.0, 0));
        REQUIRE_OK(hm_tape_add(t, h2, h2, 2.0, 0));
        REQUIRE_OK(hm_tape_exclude(t, h1)); /* the kept h1 record has group h1 */
        REQUIRE_OK(hm_tape_exclude(t, h2)); /* the kept h2 record has group g */
        REQUIRE_OK(hm_tape_finish(t, &r, NULL, NULL));
        CHECK_EQ_U64(r.n_records, 4);
        CHECK_EQ_U64(r.n_unique, 2);
        CHECK_EQ_U64(r.n_excluded, 1);
        CHECK_EQ_U64(r.n_kept, 1);
        CHECK(hm_fixsum_value(&r.sum[0]) == 2.0);
        hm_tape_free(t);
    }
    /* Many short records, spilled one by one and buffered, with full ones
     * (v1 != 0, or -0) in other partitions: the expanded records are exact. */
    for (budget = 0; budget < 2; budget++) {
        hm_tape *t = NULL;
        hm_tape_result r;
        double acc[4] = {0, 0, 0, 0}, want0 = 0, want1 = 0;
        uint64_t st = 21, i, n_short = 0;
        REQUIRE_OK(hm_tape_new(&t, NULL, 4));
        if (budget) REQUIRE_OK(hm_tape_set_budget(t, 0));
        for (i = 0; i < 5000; i++) {
            uint64_t h = (lcg(&st) | 1) * 0x9E3779B97F4A7C15ULL, kind = i % 5;
            double v0 = (double)(i % 13) / 7.0;
            double v1 = kind == 3 ? 0.5 : kind == 4 ? -0.0 : 0.0;
            /* kinds 3 and 4 go to partitions whose top bits differ from the
             * short ones' only by chance: both kinds of stream get mixed */
            REQUIRE_OK(hm_tape_add(t, kind == 3 ? h ^ 1 : h, h, v0, v1));
            want0 += v0;
            want1 += v1;
            if (kind < 3) n_short++;
        }
        REQUIRE_OK(hm_tape_finish(t, &r, sum_emit, acc));
        CHECK_EQ_U64(r.n_kept, 5000);
        CHECK_REL(acc[0], want0, 1e-12);
        CHECK_REL(acc[1], want1, 1e-12);
        CHECK(acc[2] == 5000);
        CHECK(acc[3] >= (double)n_short); /* kind 4 records have group = hash too */
        CHECK_REL(hm_fixsum_value(&r.sum[0]), want0, 1e-9);
        hm_tape_free(t);
    }
}
