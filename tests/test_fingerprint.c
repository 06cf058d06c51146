/* test_fingerprint.c - Chain & Hash fingerprints: determinism and prefix
 * stability, distinct questions, answers among the offered candidates and
 * uniform over them, commitment sensitivity, matching rules, and the exact
 * binomial p-value. */
#include "hallmark/error.h"
#include "hallmark/fingerprint.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t K1[32] = {1, 1, 2, 3, 5, 8, 13};
static const uint8_t K2[32] = {2, 7, 1, 8, 2, 8};

HM_TEST(fingerprint_deterministic_and_prefix_stable)
{
    hm_key *k = NULL, *k2 = NULL;
    hm_fingerprint *a = NULL, *b = NULL, *c = NULL;
    uint8_t ca[32], cb[32], cc[32];
    size_t i, differ = 0;
    REQUIRE_OK(hm_key_from_bytes(K1, 0, &k));
    REQUIRE_OK(hm_key_from_bytes(K2, 0, &k2));
    REQUIRE_OK(hm_fingerprint_new(&a, k, 300, 0));
    REQUIRE_OK(hm_fingerprint_new(&b, k, 100, 8));
    REQUIRE_OK(hm_fingerprint_new(&c, k2, 100, 8));
    CHECK_EQ_INT(hm_fingerprint_count(a), 300);
    CHECK_EQ_INT(hm_fingerprint_candidates(a), 8);
    for (i = 0; i < 100; i++) {
        const char *qa, *aa, *qb, *ab, *qc, *ac;
        REQUIRE_OK(hm_fingerprint_pair(a, i, &qa, &aa));
        REQUIRE_OK(hm_fingerprint_pair(b, i, &qb, &ab));
        REQUIRE_OK(hm_fingerprint_pair(c, i, &qc, &ac));
        CHECK(strcmp(qa, qb) == 0);
        CHECK(strcmp(aa, ab) == 0);
        differ += strcmp(qa, qc) != 0;
        CHECK(strstr(qa, aa) != NULL); /* the answer is among the offered words */
        CHECK_EQ_INT(hm_fingerprint_find(a, qa, strlen(qa)), (long)i);
        CHECK(hm_fingerprint_matches(a, i, aa, strlen(aa)));
    }
    CHECK_EQ_INT(differ, 100);
    REQUIRE_OK(hm_fingerprint_commitment(a, ca));
    REQUIRE_OK(hm_fingerprint_commitment(b, cb));
    REQUIRE_OK(hm_fingerprint_commitment(c, cc));
    CHECK(memcmp(ca, cb, 32) != 0);
    CHECK(memcmp(cb, cc, 32) != 0);
    hm_fingerprint_free(b);
    REQUIRE_OK(hm_fingerprint_new(&b, k, 100, 8));
    REQUIRE_OK(hm_fingerprint_commitment(b, ca));
    CHECK(memcmp(ca, cb, 32) == 0);
    hm_fingerprint_free(a);
    hm_fingerprint_free(b);
    hm_fingerprint_free(c);
    hm_fingerprint_free(NULL);
    hm_key_free(k);
    hm_key_free(k2);
}

/* The answer's position among the offered candidates is uniform: a
 * chi-square over 4000 questions with K = 4 (3 degrees of freedom). */
HM_TEST(fingerprint_answer_position_is_uniform)
{
    hm_key *k = NULL;
    hm_fingerprint *f = NULL;
    size_t i, counts[4] = {0, 0, 0, 0}, n = 4000;
    double chi = 0;
    REQUIRE_OK(hm_key_from_bytes(K1, 0, &k));
    REQUIRE_OK(hm_fingerprint_new(&f, k, n, 4));
    for (i = 0; i < n; i++) {
        const char *q, *a, *p;
        size_t pos = 0;
        char pat[40];
        REQUIRE_OK(hm_fingerprint_pair(f, i, &q, &a));
        /* candidates follow the last ':' or "from"/"Options:" and are ", "-separated */
        snprintf(pat, sizeof pat, "%s", a);
        p = strstr(q, pat);
        REQUIRE(p != NULL);
        while (--p > q && *p != ':' && !(p[0] == 'm' && p[-1] == 'o' && p[-2] == 'r'))
            if (*p == ',') pos++;
        if (pos < 4) counts[pos]++;
    }
    for (i = 0; i < 4; i++) chi += pow((double)counts[i] - (double)n / 4.0, 2) / ((double)n / 4.0);
    CHECK(chi < 16.27); /* chi-square(3) upper 0.001 point */
    hm_fingerprint_free(f);
    hm_key_free(k);
}

HM_TEST(fingerprint_matching_and_p_value)
{
    hm_key *k = NULL;
    hm_fingerprint *f = NULL;
    const char *q, *a;
    char buf[64];
    REQUIRE_OK(hm_key_from_bytes(K1, 0, &k));
    REQUIRE_OK(hm_fingerprint_new(&f, k, 10, 8));
    REQUIRE_OK(hm_fingerprint_pair(f, 3, &q, &a));
    snprintf(buf, sizeof buf, "  %c%s.\n", a[0] - 32, a + 1); /* "  Word.\n" */
    CHECK(hm_fingerprint_matches(f, 3, buf, strlen(buf)));
    snprintf(buf, sizeof buf, "\"%s!\"", a);
    CHECK(hm_fingerprint_matches(f, 3, buf, strlen(buf)));
    snprintf(buf, sizeof buf, "%sx", a);
    CHECK(!hm_fingerprint_matches(f, 3, buf, strlen(buf)));
    snprintf(buf, sizeof buf, "the %s", a);
    CHECK(!hm_fingerprint_matches(f, 3, buf, strlen(buf)));
    CHECK(!hm_fingerprint_matches(f, 3, "", 0));
    CHECK(!hm_fingerprint_matches(f, 99, a, strlen(a)));
    {
        char padded[600];
        snprintf(padded, sizeof padded, "\n %s \t", q);
        CHECK_EQ_INT(hm_fingerprint_find(f, padded, strlen(padded)), 3);
        CHECK_EQ_INT(hm_fingerprint_find(f, "nothing", 7), -1);
    }
    CHECK(hm_fingerprint_logp(f, 0, 0) == 0);
    CHECK_REL(hm_fingerprint_logp(f, 20, 20), 20 * log(1.0 / 8), 1e-12);
    CHECK(hm_fingerprint_logp(f, 20, 20) < hm_fingerprint_logp(f, 20, 19));
    CHECK_REL(hm_fingerprint_logp(f, 50, 10), hm_stats_binom_logsf(10, 50, 0.125), 1e-15);
    CHECK(hm_fingerprint_logp(f, 50, 0) == 0);
    hm_fingerprint_free(f);
    hm_key_free(k);
}

HM_TEST(fingerprint_misuse)
{
    hm_key *k = NULL, *s = NULL;
    hm_fingerprint *f = NULL;
    const char *q, *a;
    REQUIRE_OK(hm_key_from_bytes(K1, 0, &k));
    CHECK_EQ_INT(hm_fingerprint_new(&f, NULL, 10, 8), HM_E_MISUSE);
    CHECK_EQ_INT(hm_fingerprint_new(&f, k, 0, 8), HM_E_RANGE);
    CHECK_EQ_INT(hm_fingerprint_new(&f, k, 10, 1), HM_E_RANGE);
    CHECK_EQ_INT(hm_fingerprint_new(&f, k, 10, 17), HM_E_RANGE);
    REQUIRE_OK(hm_key_generate_signing(&s));
    CHECK_EQ_INT(hm_fingerprint_new(&f, s, 10, 8), HM_E_MISUSE);
    REQUIRE_OK(hm_fingerprint_new(&f, k, 2, 2));
    CHECK_EQ_INT(hm_fingerprint_pair(f, 2, &q, &a), HM_E_RANGE);
    CHECK_EQ_INT(hm_fingerprint_pair(f, 0, NULL, &a), HM_E_MISUSE);
    hm_fingerprint_free(f);
    hm_key_free(s);
    hm_key_free(k);
}
