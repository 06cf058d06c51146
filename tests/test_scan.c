/*
 * test_scan.c - the scan engine: per-document results equal hm_detect's,
 * the tape deduplicates / excludes / filters exactly like a brute-force
 * reference at any partition count, fixed-point sums do not depend on
 * order, and streaming Benjamini-Hochberg (with spilled runs) equals the
 * in-memory step-up rule.  The fast paths give what the plain code gives:
 * the filtered walk (duplicates never scored) equals hm_detect under every
 * dedup policy, across a long document followed by short ones (the sparse
 * set emptied by reverse removal); hm_u64set_remove_last in reverse
 * insertion order empties a set exactly; the tape's look-ahead queue and
 * its short records keep every record and the add order; kgw selfhash
 * scores from the anchor table equal scores computed beyond the table.
 */
#include <math.h>
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

static hm_key *test_key(uint8_t fill)
{
    uint8_t b[32];
    hm_key *k = NULL;
    memset(b, fill, sizeof b);
    b[0] = 0x42;
    if (hm_key_from_bytes(b, 1700000000u, &k) != HM_OK) return NULL;
    return k;
}

/* Token ids, some watermarked: sampled with the scheme from random logits. */
static void marked_ids(const hm_key *key, const char *scheme, const char *const *params, size_t np,
                       uint32_t V, size_t n, uint64_t seed, uint32_t *out)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *logits = malloc(V * sizeof *logits);
    uint64_t st = seed;
    size_t i;
    uint32_t v;
    if (hm_embedder_new(&e, scheme, key, params, np, V, NULL) != HM_OK ||
        hm_session_new(e, &s) != HM_OK || !logits) {
        memset(out, 0, n * sizeof *out);
        goto done;
    }
    hm_session_set_seed(s, seed);
    for (i = 0; i < n; i++) {
        uint32_t t = 0;
        for (v = 0; v < V; v++) logits[v] = (float)((double)(lcg(&st) % 1000) / 400.0);
        (void)hm_session_sample(s, logits, V, NULL, &t, NULL);
        (void)hm_session_accept(s, t);
        out[i] = t;
    }
done:
    hm_session_free(s);
    hm_embedder_free(e);
    free(logits);
}

/* One document through the scanner and through hm_detect: equal counts and
 * p-values. */
static void check_doc(hm_scanner *sc, const hm_detector *d, const uint32_t *ids, size_t n,
                      hm_detect_result *out)
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
    CHECK(a.ln_p == b.ln_p);
    CHECK(a.log10_p == b.log10_p);
    if (out) *out = b;
}

HM_TEST(scan_doc_matches_detect)
{
    static const char *schemes[] = {"kgw", "unigram", "gumbel"};
    hm_key *key = test_key(7);
    size_t si;
    REQUIRE(key != NULL);
    for (si = 0; si < 3; si++) {
        hm_detector *d = NULL;
        hm_scanner *sc = NULL;
        uint32_t ids[300];
        size_t n, k, nt;
        uint64_t st = 99 + si;
        REQUIRE_OK(hm_detector_new(&d, schemes[si], key, NULL, 0, 0, NULL));
        REQUIRE_OK(hm_scanner_new(&sc, d));
        for (k = 0; k < 4; k++) {
            hm_detect_result b;
            const hm_scan_tuple *tp;
            n = 50 + 60 * k;
            if (k % 2)
                marked_ids(key, schemes[si], NULL, 0, 64, n, 5 + k, ids);
            else
                for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)(lcg(&st) % 12); /* repeats */
            check_doc(sc, d, ids, n, &b);
            /* marked documents are detected (unigram: at most V = 64 unique tuples) */
            if (k % 2 && si != 1) CHECK(b.log10_p < -3);
            tp = hm_scanner_tuples(sc, &nt);
            CHECK(nt > 0 && nt <= n);
            CHECK(tp[0].tuple_hash != 0);
            hm_scanner_clear(sc);
            tp = hm_scanner_tuples(sc, &nt);
            CHECK_EQ_U64(nt, 0);
        }
        hm_scanner_free(sc);
        hm_detector_free(d);
    }
    hm_key_free(key);
}

HM_TEST(scan_fixsum_order_independent)
{
    hm_fixsum a, b, c, d;
    double v[1000];
    uint64_t st = 3;
    size_t i;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    for (i = 0; i < 1000; i++) v[i] = -log((double)(lcg(&st) % 100000 + 1) / 100001.0);
    for (i = 0; i < 1000; i++) hm_fixsum_add(&a, v[i]);
    for (i = 1000; i-- > 0;) hm_fixsum_add(&b, v[i]);
    for (i = 0; i < 1000; i++) hm_fixsum_add(i % 3 ? &c : &d, v[i]);
    hm_fixsum_merge(&c, &d);
    CHECK(a.hi == b.hi && a.lo == b.lo);
    CHECK(a.hi == c.hi && a.lo == c.lo);
    {
        double s = 0;
        for (i = 0; i < 1000; i++) s += v[i];
        CHECK_REL(hm_fixsum_value(&a), s, 1e-9);
    }
    hm_fixsum_add(&a, -1.0);
    hm_fixsum_add(&a, NAN);
    CHECK(a.hi == b.hi && a.lo == b.lo);
    /* carries into hi */
    memset(&a, 0, sizeof a);
    for (i = 0; i < 5; i++) hm_fixsum_add(&a, 1e9);
    CHECK(a.hi > 0);
    CHECK_REL(hm_fixsum_value(&a), 5e9, 1e-12);
}

struct emit_ctx {
    uint64_t last;
    int sorted;
    size_t n;
};

static int emit_check(uint64_t group, uint64_t hash, double v0, double v1, void *user)
{
    struct emit_ctx *e = user;
    (void)group;
    (void)v0;
    (void)v1;
    if (e->n && hash <= e->last) e->sorted = 0;
    e->last = hash;
    e->n++;
    return 0;
}

HM_TEST(scan_tape_matches_brute_force)
{
    enum { N = 3000, G = 40 };
    static uint64_t group[N], hash[N];
    static double val[N];
    static uint64_t base[N];
    unsigned parts[] = {1, 4, 64, 1000};
    size_t pi;
    uint64_t st = 17;
    size_t i, j;
    /* Tuples: hash determines group and value; many duplicates. */
    for (i = 0; i < N; i++) {
        uint64_t h = lcg(&st) % 900 + 1;
        base[i] = h;
        hash[i] = h * 0x9E3779B97F4A7C15ULL;
        group[i] = (h % G + 1) * 0xC2B2AE3D27D4EB4FULL;
        val[i] = (double)(h % 7) / 3.0;
    }
    for (pi = 0; pi < 4; pi++) {
        for (int mode = 0; mode < 2; mode++) {
            hm_tape *t = NULL;
            hm_tape_result r;
            struct emit_ctx ec = {0, 1, 0};
            uint64_t n_unique = 0, n_exc = 0, n_filt = 0, n_kept = 0;
            double sum = 0;
            REQUIRE_OK(hm_tape_new(&t, NULL, parts[pi]));
            if (pi % 2) REQUIRE_OK(hm_tape_set_budget(t, pi == 1 ? 0 : 1000)); /* spill paths */
            for (i = 0; i < N; i++) REQUIRE_OK(hm_tape_add(t, group[i], hash[i], val[i], 2 * val[i]));
            if (mode) {
                /* exclude groups 1..5; allow hashes that are even multiples */
                for (j = 1; j <= 5; j++) REQUIRE_OK(hm_tape_exclude(t, j * 0xC2B2AE3D27D4EB4FULL));
                for (j = 2; j <= 900; j += 2)
                    REQUIRE_OK(hm_tape_allow(t, (j % G + 1) * 0xC2B2AE3D27D4EB4FULL,
                                             j * 0x9E3779B97F4A7C15ULL));
            }
            for (i = 0; i < N; i++) {
                int dup = 0;
                for (j = 0; j < i && !dup; j++) dup = hash[j] == hash[i];
                if (dup) continue;
                n_unique++;
                if (mode && base[i] % G + 1 <= 5) {
                    n_exc++;
                } else if (mode && base[i] % 2 != 0) {
                    n_filt++;
                } else {
                    n_kept++;
                    sum += val[i];
                }
            }
            REQUIRE_OK(hm_tape_finish(t, &r, emit_check, &ec));
            CHECK_EQ_U64(r.n_records, N);
            CHECK_EQ_U64(r.n_unique, n_unique);
            CHECK_EQ_U64(r.n_excluded, n_exc);
            CHECK_EQ_U64(r.n_filtered, n_filt);
            CHECK_EQ_U64(r.n_kept, n_kept);
            CHECK_EQ_U64(ec.n, n_kept);
            CHECK_REL(hm_fixsum_value(&r.sum[0]), sum, 1e-9);
            CHECK_REL(hm_fixsum_value(&r.sum[1]), 2 * sum, 1e-9);
            if (pi == 0) CHECK(ec.sorted); /* one partition: globally sorted by hash */
            CHECK_EQ_INT(hm_tape_finish(t, &r, NULL, NULL), HM_E_STATE);
            CHECK_EQ_INT(hm_tape_add(t, 1, 1, 0, 0), HM_E_STATE);
            hm_tape_free(t);
        }
    }
    hm_tape_free(NULL);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

HM_TEST(scan_bh_streaming_matches_in_memory)
{
    enum { M = 5000 };
    static double lp[M], sorted[M];
    size_t runs[] = {0, 7, 100, 4999, 5000};
    double qs[] = {0.01, 0.05, 0.2};
    uint64_t st = 1234;
    size_t i, ri, qi;
    for (i = 0; i < M; i++) {
        /* mostly uniform p, some tiny ones, and ties */
        double u = (double)(lcg(&st) % 1000000 + 1) / 1000001.0;
        lp[i] = i % 50 == 0 ? -(double)(lcg(&st) % 40) - 2 : log10(u);
        if (i % 97 == 0) lp[i] = -3.0;
    }
    memcpy(sorted, lp, sizeof lp);
    qsort(sorted, M, sizeof *sorted, cmp_d);
    for (qi = 0; qi < 3; qi++) {
        double ref_thr = -INFINITY;
        uint64_t ref_k = 0;
        for (i = 0; i < M; i++)
            if (sorted[i] <= log10((double)(i + 1)) + log10(qs[qi]) - log10((double)M)) {
                ref_k = i + 1;
                ref_thr = sorted[i];
            }
        for (ri = 0; ri < sizeof runs / sizeof runs[0]; ri++) {
            hm_bh *b = NULL;
            double thr;
            uint64_t k, m;
            REQUIRE_OK(hm_bh_new(&b, NULL, runs[ri]));
            for (i = 0; i < M; i++) REQUIRE_OK(hm_bh_add(b, lp[i]));
            REQUIRE_OK(hm_bh_threshold(b, qs[qi], &thr, &k, &m));
            CHECK_EQ_U64(m, M);
            CHECK_EQ_U64(k, ref_k);
            CHECK(thr == ref_thr);
            CHECK_EQ_INT(hm_bh_add(b, 0), HM_E_STATE);
            hm_bh_free(b);
        }
    }
    {
        hm_bh *b = NULL;
        double thr;
        uint64_t k, m;
        REQUIRE_OK(hm_bh_new(&b, NULL, 0));
        REQUIRE_OK(hm_bh_threshold(b, 0.05, &thr, &k, &m));
        CHECK_EQ_U64(m, 0);
        CHECK_EQ_U64(k, 0);
        CHECK(isinf(thr) && thr < 0);
        hm_bh_free(b);
        REQUIRE_OK(hm_bh_new(&b, NULL, 0));
        CHECK_EQ_INT(hm_bh_threshold(b, 0, &thr, &k, &m), HM_E_MISUSE);
        hm_bh_free(b);
    }
}

HM_TEST(scan_pooled_test_matches_detect)
{
    hm_key *key = test_key(9);
    hm_detector *d = NULL;
    uint32_t ids[200];
    hm_detect_result a, b;
    int test;
    double np;
    REQUIRE(key != NULL);
    REQUIRE_OK(hm_detector_new(&d, "gumbel", key, NULL, 0, 0, NULL));
    marked_ids(key, "gumbel", NULL, 0, 50, 200, 77, ids);
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, 200, &a, NULL));
    REQUIRE_OK(hm_detector_null(d, &test, &np));
    CHECK_EQ_INT(test, HM_TEST_KIND_GAMMA);
    REQUIRE_OK(hm_scan_test(test, np, 1, a.score, a.n_scored, &b));
    CHECK(a.ln_p == b.ln_p);
    CHECK(a.ln_p < log(1e-6));
    CHECK_EQ_INT(hm_scan_test(99, 0, 1, 0, 0, &b), HM_E_MISUSE);
    hm_detector_free(d);
    hm_key_free(key);
}

HM_TEST(scan_doc_matches_detect_interop)
{
    /* vLLM's profile (its own context and dedup rules) and SGLang's (context
     * cap): the scanner's per-document result is hm_detect's. */
    static const char *const vp[] = {"key=42"};
    static const char *const sp[] = {"key=0x0123456789abcdef"};
    const char *schemes[] = {"vllm", "sglang"};
    const char *const *params[] = {vp, sp};
    size_t si;
    int compared = 0;
    for (si = 0; si < 2; si++) {
        hm_detector *d = NULL;
        hm_scanner *sc = NULL;
        uint32_t ids[400];
        uint64_t st = 5 + si;
        size_t i, k;
        int s = hm_detector_new(&d, schemes[si], NULL, params[si], 1, 0, NULL);
        if (s != HM_OK) { /* profile parameters differ: nothing to compare */
            CHECK(s == HM_E_NOTFOUND || s == HM_E_RANGE || s == HM_E_MISUSE);
            continue;
        }
        REQUIRE_OK(hm_scanner_new(&sc, d));
        compared++;
        for (k = 0; k < 3; k++) {
            hm_detect_result a, b;
            size_t n = 100 + 150 * k;
            for (i = 0; i < n; i++) ids[i] = (uint32_t)(lcg(&st) % (k ? 30 : 1000));
            REQUIRE_OK(hm_detect(d, NULL, 0, ids, n, &a, NULL));
            REQUIRE_OK(hm_scanner_doc(sc, ids, n, &b));
            CHECK_EQ_U64(a.n_scored, b.n_scored);
            CHECK(a.ln_p == b.ln_p);
        }
        hm_scanner_free(sc);
        hm_detector_free(d);
    }
    CHECK_EQ_INT(compared, 2);
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
    hm_key *key = test_key(0x5a);
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
                check_doc(sc, d, ids, n, NULL);
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
    hm_key *key = test_key(0x5a);
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
