/* test_schemes.c - embedding and detection round trips for the native
 * schemes (kgw lefthash/selfhash, unigram, gumbel): power on marked text,
 * calibration on unmarked text, exactness of the pruned Gumbel sampler,
 * distortion-freeness, and the KGW green-fraction theory. */
#include "embed_internal.h"
#include "hallmark/error.h"
#include "detect_internal.h"
#include "harness.h"
#include "testutil.h"
#include "sampler.h"

#include <math.h>
#include <stdlib.h>

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static double detect_ln_p(const char *scheme, const char *const *params, size_t np,
                          const uint32_t *ids, size_t n, const uint8_t *secret,
                          hm_detect_result *res)
{
    hm_detector *d = NULL;
    hm_detect_result r;
    double lp = 1;
    if (hm_detector_new_secret(&d, scheme, secret, params, np, 1000, NULL) != HM_OK) return 1;
    if (hm_detect(d, NULL, 0, ids, n, &r, NULL) == HM_OK) {
        lp = r.ln_p;
        if (res) *res = r;
    }
    hm_detector_free(d);
    return lp;
}

struct case_ {
    const char *scheme;
    const char *params[3];
    size_t np;
};

static const struct case_ CASES[] = {
    {"kgw", {"seeding=selfhash"}, 1},
    {"kgw", {"seeding=lefthash", "gamma=0.5"}, 2},
    {"unigram", {"gamma=0.5"}, 1},
    {"gumbel", {"h=4"}, 1},
    {"gumbel", {"h=1"}, 1},
};

HM_TEST(marked_text_is_detected_and_plain_text_is_not)
{
    size_t c, n = 300, V = 5000;
    uint32_t *ids = malloc(n * sizeof *ids);
    REQUIRE(ids != NULL);
    for (c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        hm_detect_result r;
        double lp;
        REQUIRE_OK(hm_test_generate(CASES[c].scheme, SECRET, CASES[c].params, CASES[c].np, V, n, 42 + c, ids));
        lp = detect_ln_p(CASES[c].scheme, CASES[c].params, CASES[c].np, ids, n, SECRET, &r);
        if (!(lp < log(1e-6)))
            hm_test_fail(__FILE__, __LINE__, "%s: marked text ln p = %g (n_scored %llu)",
                         CASES[c].scheme, lp, (unsigned long long)r.n_scored);
        /* the wrong key sees nothing */
        {
            uint8_t other[32] = {99};
            lp = detect_ln_p(CASES[c].scheme, CASES[c].params, CASES[c].np, ids, n, other, &r);
            if (!(lp > log(1e-3)))
                hm_test_fail(__FILE__, __LINE__, "%s: wrong key ln p = %g", CASES[c].scheme, lp);
        }
        REQUIRE_OK(hm_test_generate(NULL, NULL, NULL, 0, V, n, 4242 + c, ids));
        lp = detect_ln_p(CASES[c].scheme, CASES[c].params, CASES[c].np, ids, n, SECRET, &r);
        if (!(lp > log(1e-3)))
            hm_test_fail(__FILE__, __LINE__, "%s: plain text ln p = %g", CASES[c].scheme, lp);
    }
    free(ids);
}

/* The pruned Gumbel sampler must pick exactly the argmax over all tokens. */
HM_TEST(gumbel_pruning_is_exact)
{
    size_t V = 3001, trial;
    float *lg = malloc(V * sizeof *lg);
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    const char *params[] = {"h=2"};
    REQUIRE(lg != NULL);
    REQUIRE_OK(hm_embedder_new_secret(&e, "gumbel", SECRET, params, 1, (uint32_t)V, NULL));
    REQUIRE_OK(hm_session_new(e, &s));
    for (trial = 0; trial < 200; trial++) {
        uint32_t tok, ctx[2] = {(uint32_t)trial, (uint32_t)(trial * 7)}, t, best = 0;
        double bestv = -INFINITY;
        hm_prf prf;
        hm_prf_ctx c;
        float temp = trial % 3 == 0 ? 0.7f : 1.0f;
        hm_sampling sp = hm_sampling_default();
        sp.temperature = temp;
        hm_test_zipf_logits(lg, V, trial, trial % 2 ? 1.1 : 3.0);
        hm_session_reset(s);
        REQUIRE_OK(hm_session_seed(s, ctx, 2));
        REQUIRE_OK(hm_session_sample(s, lg, V, &sp, &tok, NULL));
        REQUIRE_OK(hm_prf_init(&prf, SECRET, HM_PRF_SCHEME_GUMBEL));
        hm_prf_context(&prf, &c, ctx, 2);
        for (t = 0; t < V; t++) {
            double v = (double)(lg[t] * (1.0f / temp)) -
                       log(-log(hm_prf_unit(hm_prf_value(&c, t, 0))));
            if (v > bestv) {
                bestv = v;
                best = t;
            }
        }
        CHECK_EQ_INT(tok, best);
    }
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
}

/* Over many keys, Gumbel sampling reproduces the model's distribution
 * (chi-square goodness of fit, fixed seeds). */
HM_TEST(gumbel_is_distortion_free_over_keys)
{
    enum { V = 8, N = 20000 };
    float lg[V] = {2.0f, 1.5f, 1.0f, 0.5f, 0.0f, -0.5f, -1.0f, -3.0f};
    double p[V], sum = 0, chi = 0;
    unsigned counts[V] = {0};
    int i, k;
    const char *params[] = {"h=1"};
    for (i = 0; i < V; i++) sum += exp(lg[i]);
    for (i = 0; i < V; i++) p[i] = exp(lg[i]) / sum;
    for (k = 0; k < N; k++) {
        uint8_t secret[32] = {0};
        hm_embedder *e;
        hm_session *s;
        uint32_t tok, ctx = 5;
        secret[0] = (uint8_t)k;
        secret[1] = (uint8_t)(k >> 8);
        secret[2] = 0xA5;
        REQUIRE_OK(hm_embedder_new_secret(&e, "gumbel", secret, params, 1, V, NULL));
        REQUIRE_OK(hm_session_new(e, &s));
        REQUIRE_OK(hm_session_seed(s, &ctx, 1));
        REQUIRE_OK(hm_session_sample(s, lg, V, NULL, &tok, NULL));
        counts[tok]++;
        hm_session_free(s);
        hm_embedder_free(e);
    }
    for (i = 0; i < V; i++) chi += (counts[i] - N * p[i]) * (counts[i] - N * p[i]) / (N * p[i]);
    /* chi2 with 7 degrees of freedom: P[chi2 > 24.3] = 1e-3 */
    if (!(chi < 24.3)) hm_test_fail(__FILE__, __LINE__, "chi-square %g", chi);
}

/* KGW: the green fraction of generated text matches theory,
 * E[green] = sum_v p'(v) g(v), with p' the biased distribution, averaged
 * over the sampled contexts; and the rejection sampler equals apply+draw. */
HM_TEST(kgw_green_fraction_matches_theory)
{
    size_t V = 2000, n = 4000, i;
    float *lg = malloc(V * sizeof *lg), *biased = malloc(V * sizeof *biased);
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    const char *params[] = {"seeding=lefthash", "gamma=0.25", "delta=2"};
    double expect = 0, observed = 0;
    uint32_t prev = 17;
    REQUIRE(lg && biased);
    REQUIRE_OK(hm_embedder_new_secret(&e, "kgw", SECRET, params, 3, (uint32_t)V, NULL));
    REQUIRE_OK(hm_session_new(e, &s));
    hm_session_set_seed(s, 99);
    REQUIRE_OK(hm_session_seed(s, &prev, 1));
    for (i = 0; i < n; i++) {
        uint32_t tok, t;
        double z = 0, g = 0;
        hm_prf prf;
        hm_prf_ctx c;
        hm_test_zipf_logits(lg, V, 1000 + prev, 1.0);
        memcpy(biased, lg, V * sizeof *lg);
        REQUIRE_OK(hm_session_apply(s, biased, V));
        REQUIRE_OK(hm_prf_init(&prf, SECRET, HM_PRF_SCHEME_KGW));
        hm_prf_context(&prf, &c, &prev, 1);
        for (t = 0; t < V; t++) {
            int green = hm_prf_unit(hm_prf_value(&c, t, 0)) < 0.25;
            double w = exp((double)biased[t]);
            CHECK(biased[t] == lg[t] + (green ? 2.0f : 0.0f));
            z += w;
            g += green ? w : 0;
        }
        expect += g / z;
        REQUIRE_OK(hm_session_sample(s, lg, V, NULL, &tok, NULL));
        observed += hm_prf_unit(hm_prf_value(&c, tok, 0)) < 0.25;
        REQUIRE_OK(hm_session_accept(s, tok));
        prev = tok;
        if (hm_test_failed_now()) break;
    }
    /* binomial standard error of the mean is below 0.0079; allow 4.5 sigma */
    CHECK(fabs(observed / (double)n - expect / (double)n) < 0.036);
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
    free(biased);
}

HM_TEST(streaming_equals_one_shot_and_dedup_counts)
{
    uint32_t ids[64];
    size_t i;
    hm_detector *d;
    hm_detect_stream *st;
    hm_detect_result a, b;
    const char *params[] = {"h=1"};
    for (i = 0; i < 64; i++) ids[i] = (uint32_t)(i % 8); /* repeats */
    REQUIRE_OK(hm_detector_new_secret(&d, "gumbel", SECRET, params, 1, 100, NULL));
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, 64, &a, NULL));
    REQUIRE_OK(hm_detect_init(d, &st, NULL, 0));
    for (i = 0; i < 64; i += 5) REQUIRE_OK(hm_detect_update(st, ids + i, i + 5 <= 64 ? 5 : 64 - i, NULL));
    REQUIRE_OK(hm_detect_final(st, &b));
    hm_detect_stream_free(st);
    CHECK_EQ_INT(a.n_scored, b.n_scored);
    CHECK(a.ln_p == b.ln_p);
    CHECK_EQ_INT(a.n_scored, 8); /* (prev, tok) pairs: 8 distinct */
    CHECK_EQ_INT(a.n_no_context, 1);
    CHECK_EQ_INT(a.n_duplicate, 55);
    CHECK_EQ_INT(a.dedup, HM_DEDUP_TUPLE);
    REQUIRE_OK(hm_detector_set_dedup(d, HM_DEDUP_NONE));
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, 64, &a, NULL));
    CHECK_EQ_INT(a.n_scored, 63);
    REQUIRE_OK(hm_detector_set_eos(d, 5));
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, 64, &a, NULL));
    CHECK_EQ_INT(a.n_scored, 4); /* positions 1..4 precede the first 5 */
    hm_detector_free(d);
}

/* A marked passage pasted into unmarked text: localization finds a span
 * that overlaps it, with a p-value corrected for every window tried. */
HM_TEST(localization_finds_the_marked_passage)
{
    enum { PRE = 400, MID = 200, POST = 400, N = PRE + MID + POST };
    static uint32_t ids[N];
    static hm_token_detail det[N];
    const char *params[] = {"seeding=lefthash"};
    hm_detector *d = NULL;
    hm_detect_result r;
    hm_span sp;
    REQUIRE_OK(hm_test_generate(NULL, NULL, NULL, 0, 3000, PRE, 1, ids));
    REQUIRE_OK(hm_test_generate("kgw", SECRET, params, 1, 3000, MID, 2, ids + PRE));
    REQUIRE_OK(hm_test_generate(NULL, NULL, NULL, 0, 3000, POST, 3, ids + PRE + MID));
    REQUIRE_OK(hm_detector_new_secret(&d, "kgw", SECRET, params, 1, 3000, NULL));
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, N, &r, det));
    REQUIRE_OK(hm_detect_localize(d, det, N, &sp));
    CHECK(sp.n_windows > 50);
    CHECK(sp.ln_p >= sp.ln_p_window);
    CHECK(sp.ln_p < log(1e-6));
    CHECK(sp.first < PRE + MID && sp.last > PRE); /* overlaps the passage */
    CHECK(sp.last - sp.first <= 2 * MID);
    hm_detector_free(d);
}

/* The batched call steps each session exactly as single steps would. */
HM_TEST(batch_sampling_equals_single_steps)
{
    enum { V = 500, B = 3, STEPS = 20 };
    static float lg[B * V];
    hm_embedder *e = NULL;
    hm_session *a[B], *b[B];
    uint32_t ta[B], tb[B];
    size_t i, step;
    const char *params[] = {"h=2"};
    REQUIRE_OK(hm_embedder_new_secret(&e, "gumbel", SECRET, params, 1, V, NULL));
    for (i = 0; i < B; i++) {
        REQUIRE_OK(hm_session_new(e, &a[i]));
        REQUIRE_OK(hm_session_new(e, &b[i]));
        hm_session_set_seed(a[i], i);
        hm_session_set_seed(b[i], i);
    }
    for (step = 0; step < STEPS; step++) {
        for (i = 0; i < B; i++) hm_test_zipf_logits(lg + i * V, V, step * 10 + i, 1.0);
        REQUIRE_OK(hm_session_sample_batch(a, B, lg, V, NULL, ta));
        for (i = 0; i < B; i++) {
            REQUIRE_OK(hm_session_sample(b[i], lg + i * V, V, NULL, &tb[i], NULL));
            REQUIRE_OK(hm_session_accept(b[i], tb[i]));
            CHECK_EQ_INT(ta[i], tb[i]);
        }
    }
    for (i = 0; i < B; i++) {
        hm_session_free(a[i]);
        hm_session_free(b[i]);
    }
    hm_embedder_free(e);
}

/* kgw selfhash: two different windows with the same min-hash token m and
 * the same token t always get the same colour, so tuple deduplication must
 * count them once (found by the calibration tests: without it the test is
 * anti-conservative). */
HM_TEST(kgw_selfhash_dedup_is_on_the_scored_pair)
{
    hm_prf prf;
    hm_prf_ctx c;
    uint32_t x = 0, t, best = UINT32_MAX;
    uint32_t ids[8];
    hm_detector *d = NULL;
    hm_detect_result r;
    const char *params[] = {"seeding=selfhash", "h=4"};
    REQUIRE_OK(hm_prf_init(&prf, SECRET, HM_PRF_SCHEME_KGW));
    hm_prf_context(&prf, &c, NULL, 0);
    for (t = 0; t < 2000; t++) { /* x: the token with the smallest H1 */
        uint32_t h1 = (uint32_t)(hm_prf_value(&c, t, 1) >> 32);
        if (h1 < best) {
            best = h1;
            x = t;
        }
    }
    ids[0] = x;
    ids[1] = 3000;
    ids[2] = 3001;
    ids[3] = 3002; /* t */
    ids[4] = x;
    ids[5] = 3003;
    ids[6] = 3004;
    ids[7] = 3002; /* t again, after a different window that also has m = x */
    REQUIRE_OK(hm_detector_new_secret(&d, "kgw", SECRET, params, 2, 5000, NULL));
    REQUIRE_OK(hm_detect(d, NULL, 0, ids, 8, &r, NULL));
    CHECK_EQ_INT(r.n_no_context, 3);
    CHECK_EQ_INT(r.n_scored, 4);
    CHECK_EQ_INT(r.n_duplicate, 1);
    hm_detector_free(d);
}
