/*
 * test_synthid_null.c - SynthID's key-set null (docs/statistics.md,
 * "SynthID: the key set's null"): the Monte Carlo sampler computes the
 * reference's g-values; with a bad key set (per-position g-sum variance
 * 1.15x nominal) the binomial g-count test it replaced is miscalibrated and
 * the key-set test is not.  Both rates are computed exactly from the key
 * set's null, so the test needs no corpus.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "detect_internal.h"
#include "hallmark/detect.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "harness.h"
#include "scheme.h"
#include "schemes/interop.h"

#define LCG 6364136223846793005ull

#include "synthid_bad_keys.h"

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

HM_TEST(synthid_null_sampler_matches_reference_gvalues)
{
    const char *params[2] = {BAD_KEYS, "null_samples=4096"};
    hm_detector *d = NULL;
    const void *st = NULL;
    const hm_scheme_ops *ops;
    uint64_t counts[65], want[65], seed, inv = LCG, i;
    int64_t keys[30], iv;
    size_t m = 0, l;
    REQUIRE_OK(hm_detector_new(&d, "synthid", NULL, params, 2, 0, NULL));
    ops = hm_detector_internals(d, &st, NULL, NULL, NULL, NULL, NULL);
    REQUIRE(ops && ops->null_sample);
    memset(counts, 0, sizeof counts);
    memset(want, 0, sizeof want);
    CHECK_EQ_INT(ops->null_sample(st, 4096, counts), 30);
    /* the same draws through the reference primitives: h_tok uniform, as
     * accumulate(h_ctx, 0) with h_ctx = (h_tok - 1) A^-1 */
    REQUIRE_OK(hm_synthid_parse_keys_json(BAD_KEYS + 5, strlen(BAD_KEYS + 5), keys, 30, &m));
    REQUIRE_OK(hm_synthid_hash_iv(keys, m, &iv));
    for (i = 0; i < 6; i++) inv *= 2 - LCG * inv; /* Newton: A^-1 mod 2^64 */
    CHECK(inv * LCG == 1);
    seed = (uint64_t)iv ^ 0x53796e7448494421ull;
    for (i = 0; i < 4096; i++) {
        uint64_t htok = splitmix(&seed);
        uint8_t g[30];
        unsigned s = 0;
        hm_synthid_gvalues((int64_t)((htok - 1) * inv), 0, keys, m, g);
        for (l = 0; l < m; l++) s += g[l];
        want[s]++;
    }
    for (l = 0; l <= 30; l++) CHECK_EQ_U64(counts[l], want[l]);
    hm_detector_free(d);
}

/* P[T >= k] under the key set's estimated null and under its dominating
 * bound, through the detector's pooled test. */
static void tails(const hm_detector *d, uint64_t n, uint64_t k, double *est, double *bound)
{
    hm_detect_result r;
    CHECK_OK(hm_detector_pooled_test(d, (double)k, n, 30, &r));
    *est = r.ln_p_estimate;
    *bound = r.ln_p;
}

/* The smallest g-count whose p is <= alpha: the nominal binomial's (d NULL)
 * or the detector's key-set test's. */
static uint64_t critical(const hm_detector *d, uint64_t n, double alpha)
{
    uint64_t lo = 15 * n, hi = 30 * n;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        double est, lp;
        if (d)
            tails(d, n, mid, &est, &lp);
        else
            lp = hm_stats_binom_logsf((long)mid, (long)(30 * n), 0.5);
        if (lp <= log(alpha))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

HM_TEST(synthid_bad_keyset_nominal_fails_keyset_test_holds)
{
    const char *params[2] = {BAD_KEYS, "null_samples=1048576"};
    hm_detector *d = NULL;
    hm_detect_result r;
    const uint64_t n = 200;
    const double alphas[2] = {1e-2, 1e-3};
    int a;
    REQUIRE_OK(hm_detector_new(&d, "synthid", NULL, params, 2, 0, NULL));
    CHECK_OK(hm_detector_pooled_test(d, 3000, n, 30, &r));
    CHECK(strcmp(r.test_name, "gsum-keyset-null-mc-bound") == 0);
    CHECK_EQ_U64(r.null_samples, 1048576);
    for (a = 0; a < 2; a++) {
        double alpha = alphas[a], est, bound, fpr_nominal, fpr_new;
        /* the critical counts: the nominal test's P[Bin(30 n, 1/2) >= k] <=
         * alpha, and the key-set test's reported p <= alpha */
        uint64_t kn = critical(NULL, n, alpha), kb = critical(d, n, alpha);
        tails(d, n, kn, &est, &bound);
        fpr_nominal = exp(est);
        tails(d, n, kb, &est, &bound);
        fpr_new = exp(est);
        printf("# bad key set, n = %llu, alpha %g: nominal binomial rejects at g-count >= %llu, "
               "true rate %.4f; key-set test rejects at >= %llu, true rate %.5f\n",
               (unsigned long long)n, alpha, (unsigned long long)kn, fpr_nominal,
               (unsigned long long)kb, fpr_new);
        CHECK(fpr_nominal > 1.3 * alpha); /* the miscalibration, reproduced */
        CHECK(fpr_new <= alpha);          /* and fixed */
        CHECK(fpr_new > 0.3 * alpha);     /* without throwing the power away */
    }
    hm_detector_free(d);
}
