/* test_trace.c - hm_trace: the leaking account is found among many, its
 * p-value equals hm_detect's for the derived key, plain text fires none,
 * two leakers give "several", and misuse is refused. */
#include "hallmark/detect.h"
#include "hallmark/embed.h"
#include "hallmark/error.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "hallmark/trace.h"
#include "harness.h"
#include "testutil.h"
#include "sampler.h"
#include "trace_internal.h"
#include "key_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V 2000

static const uint8_t MASTER[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
static const char *LEFT[] = {"seeding=lefthash"};

/* n tokens marked with `key` (plain sampling when key is NULL). */
static int gen(const hm_key *key, const char *scheme, size_t n, uint64_t seed, uint32_t *out)
{
    int left = scheme && strcmp(scheme, "kgw-left") == 0;
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *lg = malloc(V * sizeof *lg);
    hm_sampling sp = hm_sampling_default();
    size_t i;
    int st;
    if (!lg) return HM_E_NOMEM;
    if (key)
        st = hm_embedder_new(&e, left ? "kgw" : scheme, key, left ? LEFT : NULL, left ? 1 : 0, V,
                             NULL);
    else
        st = hm_embedder_new(&e, "none", NULL, NULL, 0, V, NULL);
    if (st == HM_OK) st = hm_session_new(e, &s);
    if (st == HM_OK) hm_session_set_seed(s, seed);
    for (i = 0; i < n && st == HM_OK; i++) {
        hm_test_zipf_logits(lg, V, seed * 7919u + (i ? out[i - 1] : 3u) * 31u + (i > 1 ? out[i - 2] : 0u),
                            1.1);
        st = hm_session_sample(s, lg, V, &sp, &out[i], NULL);
        if (st == HM_OK) st = hm_session_accept(s, out[i]);
    }
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
    return st;
}

/* "kgw-left" is kgw with lefthash seeding. */
static hm_trace *make_tracer(const hm_key *m, const char *scheme, size_t accounts)
{
    hm_trace *t = NULL;
    size_t i;
    int left = strcmp(scheme, "kgw-left") == 0;
    if (hm_trace_new(&t, m, 0, left ? "kgw" : scheme, left ? LEFT : NULL, left ? 1 : 0, NULL) !=
        HM_OK)
        return NULL;
    for (i = 0; i < accounts; i++) {
        char name[32];
        int len = snprintf(name, sizeof name, "acct-%zu", i);
        if (hm_trace_add_account(t, name, (size_t)len) != HM_OK) {
            hm_trace_free(t);
            return NULL;
        }
    }
    return t;
}

HM_TEST(trace_finds_the_leaking_account)
{
    static const char *schemes[] = {"kgw", "kgw-left", "gumbel", "unigram"};
    size_t si;
    for (si = 0; si < 4; si++) {
        int selfhash = si == 0 || si == 3; /* one count per decision */
        hm_key *m = NULL, *leak = NULL;
        hm_trace *t;
        uint32_t ids[600];
        size_t lens[2] = {350, 250}, i;
        int verdict = -1;
        hm_trace_account r;
        REQUIRE_OK(hm_key_from_bytes(MASTER, 0, &m));
        REQUIRE_OK(hm_key_derive(m, "acct-17", 7, 0, &leak));
        REQUIRE_OK(gen(leak, schemes[si], 350, 11, ids));
        REQUIRE_OK(gen(leak, schemes[si], 250, 12, ids + 350));
        t = make_tracer(m, schemes[si], 60);
        REQUIRE(t != NULL);
        CHECK_EQ_INT(hm_trace_count(t), 60);
        REQUIRE_OK(hm_trace_run(t, ids, lens, 2, 1e-6, &verdict));
        CHECK_EQ_INT(verdict, HM_TRACE_ONE);
        for (i = 0; i < 60; i++) {
            REQUIRE_OK(hm_trace_result(t, i, &r));
            CHECK_EQ_INT(r.fired, i == 17);
            CHECK(r.ln_p_holm >= r.ln_p);
        }
        /* The account's p-value is hm_detect's for its key, documents
         * scored together (shared dedup, contexts restart per document:
         * here we check the single-document case on the first document). */
        {
            hm_detector *d = NULL;
            hm_detect_result dr;
            hm_trace *t1 = make_tracer(m, schemes[si], 20);
            size_t one[1] = {350};
            REQUIRE(t1 != NULL);
            REQUIRE_OK(hm_trace_set_threads(t1, 1));
            REQUIRE_OK(hm_trace_run(t1, ids, one, 1, 1e-6, &verdict));
            if (si == 1)
                REQUIRE_OK(hm_detector_new(&d, "kgw", leak, LEFT, 1, V, NULL));
            else
                REQUIRE_OK(hm_detector_new(&d, schemes[si], leak, NULL, 0, V, NULL));
            REQUIRE_OK(hm_detect(d, NULL, 0, ids, 350, &dr, NULL));
            REQUIRE_OK(hm_trace_result(t1, 17, &r));
            if (selfhash) {
                /* one count per distinct (anchor, token) decision */
                CHECK(r.n_scored <= dr.n_scored);
                CHECK(r.n_scored > dr.n_scored / 2);
            } else {
                CHECK_EQ_U64(r.n_scored, dr.n_scored);
                CHECK_REL(r.ln_p, dr.ln_p, 1e-12);
                CHECK_REL(r.score, dr.score, 1e-12);
                CHECK_EQ_U64(hm_trace_n_scored(t1), dr.n_scored);
            }
            hm_detector_free(d);
            hm_trace_free(t1);
        }
        hm_trace_free(t);
        hm_key_free(leak);
        hm_key_free(m);
    }
}

HM_TEST(trace_plain_text_fires_none_and_two_leakers_fire_several)
{
    hm_key *m = NULL, *a = NULL, *b = NULL;
    hm_trace *t;
    uint32_t ids[800];
    size_t lens[2] = {400, 400}, i, n_fired = 0;
    int verdict = -1;
    hm_trace_account r;
    REQUIRE_OK(hm_key_from_bytes(MASTER, 0, &m));
    REQUIRE_OK(gen(NULL, NULL, 800, 5, ids));
    t = make_tracer(m, "kgw", 200);
    REQUIRE(t != NULL);
    REQUIRE_OK(hm_trace_run(t, ids, lens, 2, 1e-3, &verdict));
    CHECK_EQ_INT(verdict, HM_TRACE_NONE);
    REQUIRE_OK(hm_key_derive(m, "acct-3", 6, 0, &a));
    REQUIRE_OK(hm_key_derive(m, "acct-150", 8, 0, &b));
    REQUIRE_OK(gen(a, "kgw", 400, 21, ids));
    REQUIRE_OK(gen(b, "kgw", 400, 22, ids + 400));
    REQUIRE_OK(hm_trace_run(t, ids, lens, 2, 1e-6, &verdict));
    CHECK_EQ_INT(verdict, HM_TRACE_SEVERAL);
    for (i = 0; i < 200; i++) {
        REQUIRE_OK(hm_trace_result(t, i, &r));
        if (r.fired) n_fired++;
        if (i == 3 || i == 150) CHECK(r.fired);
    }
    CHECK_EQ_INT(n_fired, 2);
    hm_trace_free(t);
    hm_key_free(a);
    hm_key_free(b);
    hm_key_free(m);
}

HM_TEST(trace_misuse)
{
    hm_key *m = NULL, *d = NULL;
    hm_trace *t = NULL;
    int verdict, bad = 0;
    uint32_t ids[4] = {1, 2, 3, 4};
    size_t len = 4;
    hm_trace_account r;
    const char *badp[] = {"gamma=0.5", "frob=1"};
    REQUIRE_OK(hm_key_from_bytes(MASTER, 0, &m));
    REQUIRE_OK(hm_key_derive(m, "x", 1, 0, &d));
    CHECK_EQ_INT(hm_trace_new(&t, d, 0, "kgw", NULL, 0, NULL), HM_E_MISUSE);
    CHECK_EQ_INT(hm_trace_new(&t, m, 0, "nope", NULL, 0, NULL), HM_E_NOTFOUND);
    CHECK_EQ_INT(hm_trace_new(&t, m, 0, "kgw", badp, 2, &bad), HM_E_NOTFOUND);
    CHECK_EQ_INT(bad, 1);
    REQUIRE_OK(hm_trace_new(&t, m, 0, "kgw", NULL, 0, NULL));
    CHECK_EQ_INT(hm_trace_run(t, ids, &len, 1, 1e-6, &verdict), HM_E_STATE);
    CHECK_EQ_INT(hm_trace_add_account(t, "", 0), HM_E_RANGE);
    CHECK_EQ_INT(hm_trace_add_account(t, "a\nb", 3), HM_E_UTF8);
    CHECK_EQ_INT(hm_trace_add_account(t, "\xff", 1), HM_E_UTF8);
    REQUIRE_OK(hm_trace_add_account(t, "alice", 5));
    CHECK_EQ_INT(hm_trace_add_account(t, "alice", 5), HM_E_STATE);
    CHECK_EQ_INT(hm_trace_result(t, 0, &r), HM_E_STATE);
    CHECK_EQ_INT(hm_trace_run(t, ids, &len, 1, 0, &verdict), HM_E_RANGE);
    CHECK_EQ_INT(hm_trace_set_threads(t, 0), HM_E_RANGE);
    REQUIRE_OK(hm_trace_run(t, ids, &len, 1, 1e-6, &verdict));
    CHECK_EQ_INT(verdict, HM_TRACE_NONE);
    CHECK_EQ_INT(hm_trace_result(t, 1, &r), HM_E_RANGE);
    hm_trace_free(t);
    hm_trace_free(NULL);
    hm_key_free(d);
    hm_key_free(m);
}

/* The KGW fast path gives the generic (vtable) path's results for every
 * account under lefthash, where both count every tuple. */
HM_TEST(trace_fast_path_equals_generic_lefthash)
{
    hm_key *m = NULL, *leak = NULL;
    hm_trace *f, *g;
    uint32_t ids[500];
    size_t len = 500, i;
    int vf, vg;
    REQUIRE_OK(hm_key_from_bytes(MASTER, 0, &m));
    REQUIRE_OK(hm_key_derive(m, "acct-2", 6, 0, &leak));
    REQUIRE_OK(gen(leak, "kgw-left", 500, 4, ids));
    f = make_tracer(m, "kgw-left", 40);
    g = make_tracer(m, "kgw-left", 40);
    REQUIRE(f && g);
    hm_trace__force_generic(g, 1);
    REQUIRE_OK(hm_trace_run(f, ids, &len, 1, 1e-6, &vf));
    REQUIRE_OK(hm_trace_run(g, ids, &len, 1, 1e-6, &vg));
    CHECK_EQ_INT(vf, vg);
    CHECK_EQ_INT(vf, HM_TRACE_ONE);
    for (i = 0; i < 40; i++) {
        hm_trace_account a, b;
        REQUIRE_OK(hm_trace_result(f, i, &a));
        REQUIRE_OK(hm_trace_result(g, i, &b));
        CHECK_EQ_U64(a.n_scored, b.n_scored);
        CHECK(a.score == b.score);
        CHECK(a.ln_p == b.ln_p);
    }
    hm_trace_free(f);
    hm_trace_free(g);
    hm_key_free(leak);
    hm_key_free(m);
}

/* The tracer's own derivation equals hm_key_derive's (other epochs too). */
HM_TEST(trace_derivation_matches_hm_key_derive)
{
    hm_key *m = NULL;
    hm_trace *t = NULL;
    static const char *names[] = {"a", "acct-00042", "\xc3\xa9l\xc3\xa8ve", "x y z"};
    uint64_t epochs[] = {0, 7};
    size_t i, e;
    REQUIRE_OK(hm_key_from_bytes(MASTER, 0, &m));
    for (e = 0; e < 2; e++) {
        REQUIRE_OK(hm_trace_new(&t, m, epochs[e], "kgw", NULL, 0, NULL));
        for (i = 0; i < 4; i++) REQUIRE_OK(hm_trace_add_account(t, names[i], strlen(names[i])));
        for (i = 0; i < 4; i++) {
            hm_key *d = NULL;
            uint8_t mine[32];
            REQUIRE_OK(hm_key_derive(m, names[i], strlen(names[i]), epochs[e], &d));
            REQUIRE_OK(hm_trace__derived_secret(t, i, mine));
            CHECK(memcmp(mine, hm_key_secret(d), 32) == 0);
            hm_key_free(d);
        }
        hm_trace_free(t);
    }
    hm_key_free(m);
}
