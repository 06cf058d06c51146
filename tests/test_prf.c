/* test_prf.c - hm-prf-v1 against the vectors of the independent Python
 * model (tests/tools/prf_reference.py), plus structural properties. */
#include "harness.h"
#include "prf.h"

#include <stdlib.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

HM_TEST(prf_matches_reference_vectors)
{
    char line[2048];
    int n = 0;
    FILE *f = fopen(hm_test_path("vectors/prf_v1.txt"), "r");
    REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f)) {
        char sec[65], ctxs[1024], vhex[17];
        unsigned scheme, cand, stream;
        double u;
        uint8_t secret[32];
        uint32_t ctx[64];
        size_t nctx = 0, i;
        hm_prf prf;
        hm_prf_ctx c;
        uint64_t want, got;
        if (line[0] == '#') continue;
        if (sscanf(line, "%64s %u %1023s %u %u %16s %lg", sec, &scheme, ctxs, &cand, &stream, vhex,
                   &u) != 7) {
            hm_test_fail(__FILE__, __LINE__, "bad vector line: %s", line);
            continue;
        }
        for (i = 0; i < 32; i++)
            secret[i] = (uint8_t)(hexval(sec[2 * i]) * 16 + hexval(sec[2 * i + 1]));
        if (strcmp(ctxs, "-") != 0) {
            char *p = ctxs, *end;
            while (*p) {
                ctx[nctx++] = (uint32_t)strtoul(p, &end, 10);
                p = *end == ',' ? end + 1 : end;
            }
        }
        want = strtoull(vhex, NULL, 16);
        REQUIRE_OK(hm_prf_init(&prf, secret, scheme));
        hm_prf_context(&prf, &c, ctx, nctx);
        got = hm_prf_value(&c, cand, stream);
        CHECK_EQ_U64(got, want);
        CHECK(hm_prf_unit(got) == u);
        n++;
    }
    fclose(f);
    CHECK(n >= 24);
}

HM_TEST(prf_group_bytes_agree_with_value)
{
    uint8_t secret[32] = {7}, g[8];
    uint32_t ctx[4] = {1, 2, 3, 4}, t;
    hm_prf prf;
    hm_prf_ctx c;
    REQUIRE_OK(hm_prf_init(&prf, secret, HM_PRF_SCHEME_GUMBEL));
    hm_prf_context(&prf, &c, ctx, 4);
    for (t = 0; t < 4096; t++) {
        uint64_t v = hm_prf_value(&c, t, 5);
        hm_prf_group_bytes(&c, t >> 3, 5, g);
        CHECK_EQ_U64(v >> 56, g[t & 7]);
        CHECK_EQ_U64(hm_prf_value_with_top(&c, t, 5, g[t & 7]), v);
    }
}

HM_TEST(prf_domain_separation)
{
    uint8_t secret[32] = {1};
    uint32_t a[2] = {5, 6}, b[1] = {5};
    hm_prf p1, p2;
    hm_prf_ctx c1, c2, c3;
    REQUIRE_OK(hm_prf_init(&p1, secret, HM_PRF_SCHEME_KGW));
    REQUIRE_OK(hm_prf_init(&p2, secret, HM_PRF_SCHEME_GUMBEL));
    hm_prf_context(&p1, &c1, a, 2);
    hm_prf_context(&p2, &c2, a, 2);
    hm_prf_context(&p1, &c3, b, 1);
    CHECK(hm_prf_value(&c1, 9, 0) != hm_prf_value(&c2, 9, 0)); /* scheme */
    CHECK(hm_prf_value(&c1, 9, 0) != hm_prf_value(&c3, 9, 0)); /* context */
    CHECK(hm_prf_value(&c1, 9, 0) != hm_prf_value(&c1, 9, 1)); /* stream */
    CHECK(hm_prf_value(&c1, 9, 0) != hm_prf_value(&c1, 10, 0)); /* candidate */
}

HM_TEST(prf_units_look_uniform)
{
    /* A coarse sanity check (the PRF's real guarantee is SipHash's):
     * 64 bins over 2^16 values stay within a chi-square 1e-6 bound. */
    uint8_t secret[32] = {3};
    uint32_t ctx[1] = {0}, t;
    unsigned bins[64] = {0};
    double chi = 0, e = 65536.0 / 64;
    int i;
    hm_prf prf;
    hm_prf_ctx c;
    REQUIRE_OK(hm_prf_init(&prf, secret, HM_PRF_SCHEME_KGW));
    hm_prf_context(&prf, &c, ctx, 1);
    for (t = 0; t < 65536; t++) {
        double u = hm_prf_unit(hm_prf_value(&c, t, 0));
        CHECK(u > 0 && u < 1);
        bins[(int)(u * 64)]++;
    }
    for (i = 0; i < 64; i++) chi += (bins[i] - e) * (bins[i] - e) / e;
    CHECK(chi < 126.0); /* chi2(63) quantile at 1 - 1e-6 is about 125.7 */
}

HM_TEST(prf_long_context_is_distinct)
{
    uint8_t secret[32] = {9};
    uint32_t ctx[100];
    hm_prf prf;
    hm_prf_ctx c1, c2;
    int i;
    for (i = 0; i < 100; i++) ctx[i] = (uint32_t)i;
    REQUIRE_OK(hm_prf_init(&prf, secret, HM_PRF_SCHEME_KGW));
    hm_prf_context(&prf, &c1, ctx, 100);
    ctx[99] = 1000;
    hm_prf_context(&prf, &c2, ctx, 100);
    CHECK(memcmp(c1.key, c2.key, 16) != 0);
    hm_prf_wipe(&prf);
    CHECK(prf.scheme == 0);
}
