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
