/*
 * test_uniform_bounds.c - no uniform of any scheme is 0 or 1 (issue #12):
 * the native mapping hm_prf_unit at every cell boundary, the sampling RNG,
 * and the engine profiles' own uniforms at their extreme words, so no
 * detector can produce an infinite score (S = inf, p = 0) from a boundary
 * value.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "harness.h"
#include "prf.h"
#include "sampler.h"
#include "schemes/interop.h"

HM_TEST(prf_unit_is_never_0_or_1_and_exact)
{
    static const uint64_t v[] = {0,
                                 1,
                                 0xFFF,
                                 0x1000,
                                 0x7FFFFFFFFFFFFFFFULL,
                                 0x8000000000000000ULL,
                                 0xFFFFFFFFFFFFEFFFULL,
                                 0xFFFFFFFFFFFFF000ULL,
                                 0xFFFFFFFFFFFFFFFFULL};
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        double u = hm_prf_unit(v[i]);
        uint64_t k = v[i] >> 12;
        CHECK(u > 0 && u < 1);
        /* exactly (k + 1/2) / 2^52, and 1 - u exactly its mirror cell */
        CHECK(u * 4503599627370496.0 - 0.5 == (double)k);
        CHECK((1 - u) * 4503599627370496.0 - 0.5 == (double)(0xFFFFFFFFFFFFFULL - k));
        CHECK(isfinite(-log1p(-u)) && isfinite(-log(u)));
    }
    CHECK(hm_prf_unit(UINT64_MAX) == 1.0 - 0x1.0p-53);
    CHECK(hm_prf_unit(0) == 0x1.0p-53);
    /* the largest Gumbel-type score a token can get */
    CHECK(-log1p(-hm_prf_unit(UINT64_MAX)) < 36.8);
}

HM_TEST(rng_unit_is_never_0_or_1)
{
    hm_rng r;
    size_t i;
    hm_rng_seed(&r, 12345);
    for (i = 0; i < 100000; i++) {
        double u = hm_rng_unit(&r);
        if (!(u > 0 && u < 1)) {
            CHECK(u > 0 && u < 1);
            break;
        }
    }
}

HM_TEST(engine_uniforms_stay_inside_0_1)
{
    static const uint32_t w[] = {0, 1, 0xFF, 0x100, 0x7FFFFFFFu, 0xFFFFFEFFu, 0xFFFFFF00u,
                                 0xFFFFFFFFu};
    size_t i;
    for (i = 0; i < sizeof w / sizeof w[0]; i++) {
        float fu = hm_vllm_uniform(w[i]);
        double su = hm_sglang_uniform(w[i]);
        CHECK(fu > 0 && fu < 1);
        CHECK(su > 0 && su < 1);
        CHECK(isfinite(-log1p(-(double)fu)));
        CHECK(isfinite(-log1p(-su)));
    }
}
