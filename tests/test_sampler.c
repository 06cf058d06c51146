/* test_sampler.c - candidate sets: top-k (heap and partition paths) keeps
 * exactly the k best candidates (ties to the lower id on the heap path),
 * top-p and min-p keep what they should, and the plain draw follows the
 * distribution. */
#include "harness.h"
#include "sampler.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

static int by_logit_then_id(const void *a, const void *b, const float *lg)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (lg[x] != lg[y]) return lg[x] > lg[y] ? -1 : 1;
    return x < y ? -1 : 1;
}

static const float *g_lg;
static int cmp_idx(const void *a, const void *b) { return by_logit_then_id(a, b, g_lg); }
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

HM_TEST(top_k_keeps_the_k_best)
{
    enum { V = 5000 };
    static float lg[V];
    static uint32_t idx[V], got[V];
    size_t ks[] = {1, 2, 7, 40, 300, 1000, 4999}, t, i;
    hm_candset cs;
    REQUIRE_OK(hm_candset_alloc(&cs, V));
    for (t = 0; t < 40; t++) {
        size_t k = ks[t % 7];
        hm_sampling sp = hm_sampling_default();
        hm_test_zipf_logits(lg, V, t, 1.0);
        if (t % 3 == 0)
            for (i = 0; i < V; i++) lg[i] = (float)(int)(lg[i] * 2); /* many ties */
        sp.top_k = (int32_t)k;
        REQUIRE_OK(hm_candset_from_dense(&cs, lg, V, &sp));
        CHECK_EQ_INT(cs.n, k);
        for (i = 0; i < V; i++) idx[i] = (uint32_t)i;
        g_lg = lg;
        qsort(idx, V, sizeof idx[0], cmp_idx);
        float thr;
        for (i = 0; i < k; i++) got[i] = hm_candset_id(&cs, i);
        thr = lg[idx[k - 1]]; /* the k-th best logit */
        qsort(got, k, sizeof got[0], cmp_u32);
        qsort(idx, k, sizeof idx[0], cmp_u32);
        /* the heap path breaks ties by lower id, like the reference; the
         * partition path (large k) keeps any tied set: compare logits then */
        for (i = 0; i < k; i++) {
            if (k <= 1024 && k * 16 <= V)
                CHECK_EQ_INT(got[i], idx[i]);
            CHECK(lg[got[i]] >= thr);
        }
        if (hm_test_failed_now()) break;
    }
    hm_candset_release(&cs);
}

HM_TEST(min_p_and_top_p_filters)
{
    float lg[6] = {0.0f, -1.0f, -2.0f, -3.0f, -10.0f, -INFINITY};
    hm_candset cs;
    hm_sampling sp = hm_sampling_default();
    REQUIRE_OK(hm_candset_alloc(&cs, 6));
    sp.min_p = 0.1f; /* keeps p >= 0.1 p_max: logits >= ln 0.1 = -2.30 */
    REQUIRE_OK(hm_candset_from_dense(&cs, lg, 6, &sp));
    CHECK_EQ_INT(cs.n, 3);
    sp = hm_sampling_default();
    sp.top_p = 0.7f; /* p = .64 .24 .09 ...: the smallest prefix with mass >= .7 has 2 */
    REQUIRE_OK(hm_candset_from_dense(&cs, lg, 6, &sp));
    CHECK_EQ_INT(cs.n, 2);
    hm_candset_release(&cs);
}

HM_TEST(plain_draw_follows_the_distribution)
{
    float lg[4] = {0.0f, (float)log(0.5), (float)log(0.25), -INFINITY};
    unsigned counts[4] = {0};
    double p[4] = {1 / 1.75, 0.5 / 1.75, 0.25 / 1.75, 0}, chi = 0;
    hm_candset cs;
    hm_rng r;
    int i;
    REQUIRE_OK(hm_candset_alloc(&cs, 4));
    hm_rng_seed(&r, 3);
    for (i = 0; i < 30000; i++) {
        REQUIRE_OK(hm_candset_from_dense(&cs, lg, 4, NULL));
        counts[hm_candset_sample_plain(&cs, &r)]++;
    }
    CHECK_EQ_INT(counts[3], 0);
    for (i = 0; i < 3; i++) chi += (counts[i] - 30000 * p[i]) * (counts[i] - 30000 * p[i]) / (30000 * p[i]);
    CHECK(chi < 13.8); /* chi2(2) at 1e-3 */
    hm_candset_release(&cs);
}
