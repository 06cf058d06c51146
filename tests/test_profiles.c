/* test_profiles.c - the interop profiles behind the generic scheme
 * interface agree with the engine-exact primitives of
 * watermark/schemes/interop.h (themselves checked against the engines'
 * own vectors in tests/test_interop_*.c). */
#include "detect_internal.h"
#include "embed_internal.h"
#include "hallmark/error.h"
#include "harness.h"
#include "sampler.h"
#include "schemes/interop.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>

static uint32_t g_scratch[1 << 16];

HM_TEST(sglang_profile_matches_engine_detector)
{
    hm_rng r;
    int trial;
    hm_rng_seed(&r, 77);
    for (trial = 0; trial < 60; trial++) {
        uint32_t ids[300], prompt[8];
        size_t n = 20 + (size_t)(hm_rng_next(&r) % 280), np = trial % 3 == 0 ? 0 : (size_t)(trial % 8), i;
        unsigned h = 1 + (unsigned)(trial % 6), maxc = trial % 5 == 0 ? 16 : 4096;
        int dual = trial % 2;
        char pk[64], pkb[64], ph[48], pm[48];
        const char *params[4];
        size_t np_ = 0;
        hm_detector *d = NULL;
        hm_detect_result res;
        hm_sglang_detect_params dp;
        hm_sglang_detect_result dr;
        for (i = 0; i < n; i++) ids[i] = (uint32_t)(hm_rng_next(&r) % (trial % 4 == 0 ? 6 : 50000));
        for (i = 0; i < np; i++) prompt[i] = (uint32_t)(hm_rng_next(&r) % 50000);
        snprintf(pk, sizeof pk, "key=0x%llx", (unsigned long long)(0x0123456789abcdefULL + (unsigned)trial));
        snprintf(pkb, sizeof pkb, "key_b=0x%llx", (unsigned long long)(0xfedcba9876543210ULL - (unsigned)trial));
        snprintf(ph, sizeof ph, "context_window=%u", h);
        snprintf(pm, sizeof pm, "max_contexts=%u", maxc);
        params[np_++] = pk;
        params[np_++] = ph;
        params[np_++] = pm;
        if (dual) params[np_++] = pkb;
        REQUIRE_OK(hm_detector_new_secret(&d, "sglang", NULL, params, np_, 0, NULL));
        REQUIRE_OK(hm_detect(d, np ? prompt : NULL, np, ids, n, &res, NULL));
        hm_detector_free(d);
        memset(&dp, 0, sizeof dp);
        dp.key_a = 0x0123456789abcdefULL + (unsigned)trial;
        dp.has_b = dual;
        dp.key_b = 0xfedcba9876543210ULL - (unsigned)trial;
        dp.mixing = 0.5;
        dp.h = h;
        dp.max_contexts = maxc;
        REQUIRE_OK(hm_sglang_detect(&dp, np ? prompt : NULL, np, ids, n, g_scratch,
                                    sizeof g_scratch / sizeof g_scratch[0], &dr));
        if (res.n_scored != dr.combined.n || fabs(res.score - dr.combined.score) > 1e-9 * (1 + dr.combined.score))
            hm_test_fail(__FILE__, __LINE__, "trial %d: generic n %llu S %.17g, engine n %zu S %.17g",
                         trial, (unsigned long long)res.n_scored, res.score, dr.combined.n,
                         dr.combined.score);
    }
}

HM_TEST(synthid_profile_matches_reference_detector)
{
    hm_rng r;
    int trial;
    int64_t keys[30], hist_buf[HM_SYNTHID_HISTORY];
    char kp[1024];
    size_t i, o = 0;
    o += (size_t)snprintf(kp + o, sizeof kp - o, "keys=[");
    for (i = 0; i < 30; i++) {
        keys[i] = (int64_t)(i * 1000003u) - 7000000;
        o += (size_t)snprintf(kp + o, sizeof kp - o, "%s%lld", i ? "," : "", (long long)keys[i]);
    }
    snprintf(kp + o, sizeof kp - o, "]");
    hm_rng_seed(&r, 5);
    for (trial = 0; trial < 40; trial++) {
        int64_t t64[400], iv;
        uint32_t ids[400];
        size_t n = 3 + (size_t)(hm_rng_next(&r) % 390);
        unsigned ng = 2 + (unsigned)(trial % 6);
        char pn[32];
        const char *params[2] = {kp, pn};
        hm_detector *d = NULL;
        hm_detect_result res;
        hm_synthid_history hist;
        hm_synthid_detect_result dr;
        long long eos = trial % 4 == 1 ? 3 : -1;
        for (i = 0; i < n; i++) {
            ids[i] = (uint32_t)(hm_rng_next(&r) % (trial % 3 == 0 ? 5 : 32000));
            t64[i] = ids[i];
        }
        snprintf(pn, sizeof pn, "ngram_len=%u", ng);
        REQUIRE_OK(hm_detector_new_secret(&d, "synthid", NULL, params, 2, 0, NULL));
        if (eos >= 0) REQUIRE_OK(hm_detector_set_eos(d, eos));
        REQUIRE_OK(hm_detect(d, NULL, 0, ids, n, &res, NULL));
        hm_detector_free(d);
        REQUIRE_OK(hm_synthid_hash_iv(keys, 30, &iv));
        hist.buf = hist_buf;
        hist.size = HM_SYNTHID_HISTORY;
        hist.next = 0;
        REQUIRE_OK(hm_synthid_detect(iv, keys, 30, ng, t64, n, eos, &hist, &dr));
        if (res.n_scored != dr.unmasked || (uint64_t)res.score != dr.g_count ||
            (dr.unmasked && fabs(res.weighted_mean - dr.weighted_mean) > 1e-12))
            hm_test_fail(__FILE__, __LINE__,
                         "trial %d: generic n %llu g %g wmean %.17g; reference n %zu g %llu wmean %.17g",
                         trial, (unsigned long long)res.n_scored, res.score, res.weighted_mean,
                         dr.unmasked, (unsigned long long)dr.g_count, dr.weighted_mean);
    }
}

/* Text generated through each interop profile's session is detected by
 * the generic detector, and unmarked text is not. */
HM_TEST(interop_profiles_generate_detectable_text)
{
    static const char *vllm[] = {"key=42", "context_width=4"};
    static const char *vllm_dual[] = {"key=7", "algorithm=dual_key_gumbel", "alpha=0.3"};
    static const char *sglang[] = {"key=0x0123456789abcdef", "context_window=4"};
    static const char *synthid[] = {"keys=[11,22,33,44,55,66,77,88,99,1010,1111,1212]",
                                    "ngram_len=5", "top_k=40"};
    struct {
        const char *scheme;
        const char *const *params;
        size_t np;
    } cases[] = {{"vllm", vllm, 2}, {"vllm", vllm_dual, 3}, {"sglang", sglang, 2},
                 {"synthid", synthid, 3}};
    size_t c, n = 300, V = 4000;
    uint32_t ids[300];
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hm_detector *d = NULL;
        hm_detect_result r;
        REQUIRE_OK(hm_test_generate(cases[c].scheme, NULL, cases[c].params, cases[c].np, V, n,
                                    100 + c, ids));
        REQUIRE_OK(hm_detector_new_secret(&d, cases[c].scheme, NULL, cases[c].params,
                                          cases[c].np, 0, NULL));
        REQUIRE_OK(hm_detect(d, NULL, 0, ids, n, &r, NULL));
        if (!(r.ln_p < log(1e-6)))
            hm_test_fail(__FILE__, __LINE__, "%s: marked ln p %g (n %llu)", cases[c].scheme,
                         r.ln_p, (unsigned long long)r.n_scored);
        REQUIRE_OK(hm_test_generate(NULL, NULL, NULL, 0, V, n, 900 + c, ids));
        REQUIRE_OK(hm_detect(d, NULL, 0, ids, n, &r, NULL));
        if (!(r.ln_p > log(1e-3)))
            hm_test_fail(__FILE__, __LINE__, "%s: plain ln p %g", cases[c].scheme, r.ln_p);
        hm_detector_free(d);
    }
}

/* The pruned vLLM sampler picks exactly the reference token. */
HM_TEST(vllm_pruned_sampler_equals_reference)
{
    enum { V = 5003 };
    static float lg[V];
    static uint8_t scratch[V];
    hm_vllm_gumbel_bounds b;
    int trial;
    hm_vllm_gumbel_bounds_init(&b);
    for (trial = 0; trial < 300; trial++) {
        uint32_t state[4] = {(uint32_t)trial, 7, 8, 9};
        int64_t a = -1, p = -2;
        float temp = trial % 3 == 0 ? 0.7f : trial % 3 == 1 ? 1.0f : 1.6f;
        size_t i;
        hm_test_zipf_logits(lg, V, (uint64_t)trial, trial % 2 ? 1.1 : 3.0);
        if (trial % 5 == 0)
            for (i = 0; i < V; i += 3) lg[i] = -INFINITY; /* masked candidates */
        if (trial % 7 == 0)
            for (i = 0; i < V; i++) lg[i] = (float)(int)lg[i]; /* ties */
        CHECK_EQ_INT(hm_vllm_gumbel_sample(lg, V, temp, 42u + (unsigned)trial, state, &a), HM_OK);
        CHECK_EQ_INT(hm_vllm_gumbel_sample_pruned(lg, V, temp, 42u + (unsigned)trial, state, &b,
                                                  scratch, &p),
                     HM_OK);
        CHECK_EQ_INT(a, p);
        if (hm_test_failed_now()) break;
    }
}
