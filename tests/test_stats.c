/* test_stats.c - the exact statistics library against scipy/mpmath vectors
 * (tests/vectors/stats_*.txt, written by tests/tools/gen_stats_vectors.py),
 * plus edge cases and consistency identities. */
#include "harness.h"
#include "hallmark.h"
#include "hallmark/stats.h"

#include <stdlib.h>

#define LINE_CAP (1 << 20)
#define MAXV 4096

static char *read_line(FILE *f, char *buf)
{
    for (;;) {
        if (!fgets(buf, LINE_CAP, f))
            return NULL;
        if (buf[0] != '#' && buf[0] != '\n')
            return buf;
    }
}

/* Parses up to max doubles after a leading word; returns the count. */
static size_t parse_doubles(char *s, double *out, size_t max)
{
    size_t n = 0;
    char *end;
    while (*s && *s != ' ')
        s++;
    while (n < max) {
        double v = strtod(s, &end);
        if (end == s)
            break;
        out[n++] = v;
        s = end;
    }
    return n;
}

static double relerr(double got, double want)
{
    if (got == want)
        return 0.0;
    return fabs(got - want) / fabs(want);
}

HM_TEST(stats_tail_vectors)
{
    static const char *kinds[] = {"binom_sf", "binom_cdf", "gamma_sf", "gamma_cdf", "normal_sf"};
    double worst[5] = {0};
    char worst_line[5][160];
    size_t count[5] = {0};
    char *buf = malloc(LINE_CAP);
    REQUIRE(buf != NULL);
    FILE *f = fopen(hm_test_path("vectors/stats_tails.txt"), "r");
    if (!f)
        free(buf);
    REQUIRE(f != NULL);
    memset(worst_line, 0, sizeof worst_line);
    while (read_line(f, buf)) {
        char kind[32], oracle[32];
        double a = 0, b = 0, p = 0, want = 0, got = NAN;
        int ki = -1;
        if (sscanf(buf, "%31s", kind) != 1)
            continue;
        for (int i = 0; i < 5; i++)
            if (strcmp(kind, kinds[i]) == 0)
                ki = i;
        if (ki < 0) {
            hm_test_fail(__FILE__, __LINE__, "unknown record: %s", buf);
            continue;
        }
        if (ki <= 1) {
            long k, n;
            if (sscanf(buf, "%*s %ld %ld %lf %lf %31s", &k, &n, &p, &want, oracle) != 5) {
                hm_test_fail(__FILE__, __LINE__, "bad record: %s", buf);
                continue;
            }
            got = ki == 0 ? hm_stats_binom_logsf(k, n, p) : hm_stats_binom_logcdf(k, n, p);
        } else if (ki <= 3) {
            if (sscanf(buf, "%*s %lf %lf %lf %31s", &a, &b, &want, oracle) != 4) {
                hm_test_fail(__FILE__, __LINE__, "bad record: %s", buf);
                continue;
            }
            got = ki == 2 ? hm_stats_gamma_logsf(a, b) : hm_stats_gamma_logcdf(a, b);
        } else {
            if (sscanf(buf, "%*s %lf %lf %31s", &a, &want, oracle) != 3) {
                hm_test_fail(__FILE__, __LINE__, "bad record: %s", buf);
                continue;
            }
            got = hm_stats_normal_logsf(a);
        }
        double e = relerr(got, want);
        count[ki]++;
        if (!(e <= 1e-9))
            hm_test_fail(__FILE__, __LINE__, "rel err %.3g: got %.17g for %s", e, got, buf);
        if (e > worst[ki] || isnan(e)) {
            worst[ki] = e;
            snprintf(worst_line[ki], sizeof worst_line[ki], "%.150s", buf);
        }
    }
    fclose(f);
    free(buf);
    for (int i = 0; i < 5; i++) {
        printf("# %-9s %4zu vectors, worst relative error of ln p %.3g  (%s)\n", kinds[i],
               count[i], worst[i], worst_line[i][0] ? strtok(worst_line[i], "\n") : "-");
        CHECK(count[i] > 0);
    }
}

HM_TEST(stats_edge_cases)
{
    CHECK(hm_stats_binom_logsf(0, 10, 0.3) == 0.0);
    CHECK(hm_stats_binom_logsf(-5, 10, 0.3) == 0.0);
    CHECK(hm_stats_binom_logsf(11, 10, 0.3) == -INFINITY);
    CHECK(hm_stats_binom_logsf(1, 10, 0.0) == -INFINITY);
    CHECK(hm_stats_binom_logsf(10, 10, 1.0) == 0.0);
    CHECK(hm_stats_binom_logsf(0, 0, 0.5) == 0.0);
    CHECK(isnan(hm_stats_binom_logsf(3, 10, NAN)));
    CHECK(isnan(hm_stats_binom_logsf(3, 10, -0.1)));
    CHECK(isnan(hm_stats_binom_logsf(3, 10, 1.1)));
    CHECK(isnan(hm_stats_binom_logsf(3, -1, 0.5)));
    CHECK(hm_stats_binom_logcdf(-1, 10, 0.3) == -INFINITY);
    CHECK(hm_stats_binom_logcdf(10, 10, 0.3) == 0.0);
    CHECK(hm_stats_binom_logcdf(3, 10, 1.0) == -INFINITY);
    CHECK(hm_stats_binom_logcdf(0, 10, 0.0) == 0.0);
    CHECK(hm_stats_binom_logpmf(11, 10, 0.3) == -INFINITY);
    CHECK_REL(hm_stats_binom_logpmf(3, 10, 0.5), log(120.0 / 1024.0), 1e-14);

    CHECK(hm_stats_gamma_logsf(0.0, 2.0) == 0.0);
    CHECK(hm_stats_gamma_logsf(-1.0, 2.0) == 0.0);
    CHECK(hm_stats_gamma_logsf(INFINITY, 2.0) == -INFINITY);
    CHECK(hm_stats_gamma_logcdf(0.0, 2.0) == -INFINITY);
    CHECK(hm_stats_gamma_logcdf(INFINITY, 2.0) == 0.0);
    CHECK(isnan(hm_stats_gamma_logsf(1.0, 0.0)));
    CHECK(isnan(hm_stats_gamma_logsf(1.0, -2.0)));
    CHECK(isnan(hm_stats_gamma_logsf(1.0, INFINITY)));
    CHECK(isnan(hm_stats_gamma_logsf(NAN, 2.0)));
    CHECK(isnan(hm_stats_gamma_logsf(1.0, NAN)));
    CHECK(isnan(hm_stats_gamma_logcdf(NAN, 1.0)));
    CHECK_REL(hm_stats_gamma_logsf(3.0, 1.0), -3.0, 1e-15);

    CHECK(hm_stats_normal_logsf(-INFINITY) == 0.0);
    CHECK(hm_stats_normal_logsf(INFINITY) == -INFINITY);
    CHECK(isnan(hm_stats_normal_logsf(NAN)));
    CHECK_REL(hm_stats_normal_logsf(0.0), -M_LN2, 1e-15);
    CHECK_REL(hm_stats_normal_logcdf(1.5), hm_stats_normal_logsf(-1.5), 0);

    CHECK(hm_stats_log1mexp(0.0) == -INFINITY);
    CHECK(hm_stats_log1mexp(-INFINITY) == 0.0);
    CHECK(isnan(hm_stats_log1mexp(0.1)));
    CHECK_REL(hm_stats_log1mexp(-1e-20), log(1e-20), 1e-15);
    CHECK_REL(hm_stats_log1mexp(-50.0), -exp(-50.0), 1e-15);
    CHECK_REL(hm_stats_log10_p(-100.0 * log(10.0)), -100.0, 1e-15);
}

HM_TEST(stats_logsumexp)
{
    double v[4] = {-1000.0, -1000.0, -INFINITY, -1001.0};
    CHECK_REL(hm_stats_logsumexp(v, 4), -1000.0 + log(2.0 + exp(-1.0)), 1e-15);
    CHECK(hm_stats_logsumexp(NULL, 0) == -INFINITY);
    double ninf[2] = {-INFINITY, -INFINITY};
    CHECK(hm_stats_logsumexp(ninf, 2) == -INFINITY);
    double pinf[2] = {INFINITY, 3.0};
    CHECK(hm_stats_logsumexp(pinf, 2) == INFINITY);
    double nan2[2] = {NAN, 3.0};
    CHECK(isnan(hm_stats_logsumexp(nan2, 2)));
    CHECK_REL(hm_stats_logaddexp(-1e5, -1e5), -1e5 + log(2.0), 1e-15);
    CHECK(hm_stats_logaddexp(-INFINITY, -INFINITY) == -INFINITY);
    CHECK(hm_stats_logaddexp(-INFINITY, -3.0) == -3.0);
    CHECK(isnan(hm_stats_logaddexp(NAN, 1.0)));
}

/* P[X >= k] + P[X <= k-1] == 1 in logs; monotone in k; n == 1 is Bernoulli. */
HM_TEST(stats_binom_consistency)
{
    static const long ns[] = {1, 7, 40, 1000, 123457, 100000000};
    static const double ps[] = {1e-6, 0.01, 0.3, 0.5, 0.97};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            long n = ns[i];
            double p = ps[j];
            double mu = (double)n * p, sd = sqrt((double)n * p * (1 - p)) + 1.0;
            double prev = 0.0;
            for (int z = -40; z <= 40; z++) {
                long k = (long)(mu + (double)z * sd / 4.0);
                if (k < 1 || k > n)
                    continue;
                double sf = hm_stats_binom_logsf(k, n, p);
                double cdf = hm_stats_binom_logcdf(k - 1, n, p);
                double tot = hm_stats_logaddexp(sf, cdf);
                if (!(fabs(tot) <= 1e-13))
                    hm_test_fail(__FILE__, __LINE__, "n=%ld p=%g k=%ld: ln(sf+cdf)=%g", n, p,
                                 k, tot);
                if (!(sf <= prev))
                    hm_test_fail(__FILE__, __LINE__, "not monotone n=%ld p=%g k=%ld", n, p, k);
                prev = sf;
            }
        }
    }
    static const double bern[] = {1e-300, 1e-9, 0.2, 0.5, 0.999999};
    for (size_t j = 0; j < sizeof bern / sizeof bern[0]; j++) {
        CHECK_REL(hm_stats_binom_logsf(1, 1, bern[j]), log(bern[j]), 1e-14);
        /* the complement of p = exp(ln p) carries |ln p| eps of rounding */
        CHECK_REL(hm_stats_binom_logcdf(0, 1, bern[j]), log1p(-bern[j]), 1e-12);
    }
}

/* Q(n, x) for integer n is the Poisson CDF P[Poisson(x) <= n - 1];
 * sf + cdf == 1; monotone in x and in the shape. */
HM_TEST(stats_gamma_consistency)
{
    static const double xs[] = {1e-5, 0.3, 1.0, 2.9, 10.0, 47.5, 120.0, 900.0};
    double terms[200];
    for (int n = 1; n <= 150; n += 7) {
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x = xs[i];
            for (int j = 0; j < n; j++)
                terms[j] = (double)j * log(x) - x - lgamma((double)j + 1.0);
            double want = hm_stats_logsumexp(terms, (size_t)n);
            double got = hm_stats_gamma_logsf(x, (double)n);
            /* the reference sum (lgamma terms up to ~600) is good to
             * ~1e-13 absolute, so compare away from ln p ~ 0 */
            if (want < -1e-3)
                CHECK_REL(got, want, 1e-10);
            double tot = hm_stats_logaddexp(got, hm_stats_gamma_logcdf(x, (double)n));
            CHECK(fabs(tot) <= 1e-13);
        }
    }
    double prev = 0.0;
    for (double x = 0.01; x < 5e6; x *= 1.37) {
        double v = hm_stats_gamma_logsf(x, 12345.678);
        CHECK(v <= prev);
        prev = v;
    }
    prev = -INFINITY;
    for (double a = 0.001; a < 1e4; a *= 1.5) {
        double v = hm_stats_gamma_logsf(50.0, a);
        CHECK(v >= prev);
        prev = v;
    }
}

static void check_fmt(double ln_p, const char *want)
{
    char buf[64];
    int rc = hm_stats_format_p(ln_p, buf, sizeof buf);
    if (rc != HM_OK || strcmp(buf, want) != 0)
        hm_test_fail(__FILE__, __LINE__, "format_p(%.17g) = \"%s\" (rc %d), want \"%s\"", ln_p,
                     buf, rc, want);
}

HM_TEST(stats_format_p)
{
    char buf[64];
    check_fmt(0.0, "1");
    check_fmt(1e-14, "1");
    check_fmt(log(0.5), "0.5");
    check_fmt(log(0.999), "1");
    check_fmt(log(0.0123), "0.012");
    check_fmt(log(0.00012), "0.00012");
    check_fmt(log(1.23e-5), "1.2e-5");
    check_fmt(log(1.2e-30), "1.2e-30");
    check_fmt(log(3e-40), "3e-40");
    check_fmt(log(9.96e-31), "1e-30");
    check_fmt(-INFINITY, "0");
    /* 3.4e-4000 */
    check_fmt((log(3.4) - 4000.0 * log(10.0)), "3.4e-4000");
    check_fmt(-1e6, "3.3e-434295");
    check_fmt(-700.0, "9.9e-305");
    check_fmt(-710.0, "4.5e-309");
    CHECK_EQ_INT(hm_stats_format_p_digits(log(0.123456), 4, buf, sizeof buf), HM_OK);
    CHECK_STR(buf, "0.1235");
    CHECK_EQ_INT(hm_stats_format_p_digits(-1e4, 5, buf, sizeof buf), HM_OK);
    CHECK_STR(buf, "1.1355e-4343"); /* 10^-4342.9448190325 */
    CHECK_EQ_INT(hm_stats_format_p(NAN, buf, sizeof buf), HM_E_RANGE);
    CHECK_STR(buf, "nan");
    CHECK_EQ_INT(hm_stats_format_p_digits(-1.0, 0, buf, sizeof buf), HM_E_RANGE);
    CHECK_EQ_INT(hm_stats_format_p(-1.0, NULL, 10), HM_E_MISUSE);
    CHECK_EQ_INT(hm_stats_format_p(-1.0, buf, 0), HM_E_MISUSE);
    CHECK_EQ_INT(hm_stats_format_p(log(1.2e-30), buf, 4), HM_E_LIMIT);
    CHECK_STR(buf, "1.2");
    CHECK_EQ_INT(hm_stats_format_p(-1e300, buf, 32), HM_OK);
    CHECK(strlen(buf) < 32);
}

HM_TEST(stats_multi_vectors)
{
    static double lnp[MAXV], want[MAXV], got[MAXV], fl[MAXV];
    static size_t work[MAXV];
    static unsigned char flags[MAXV];
    char *buf = malloc(LINE_CAP);
    REQUIRE(buf != NULL);
    FILE *f = fopen(hm_test_path("vectors/stats_multi.txt"), "r");
    if (!f)
        free(buf);
    REQUIRE(f != NULL);
    int nb = 0, nh = 0, nbh = 0;
    double worst = 0.0;
    while (read_line(f, buf)) {
        double a, m, w, q;
        size_t mm;
        if (strncmp(buf, "bonferroni ", 11) == 0 || strncmp(buf, "sidak ", 6) == 0) {
            REQUIRE(sscanf(buf, "%*s %lf %lf %lf", &a, &m, &w) == 3);
            double g = buf[0] == 'b' ? hm_stats_bonferroni_logp(a, m) : hm_stats_sidak_logp(a, m);
            double e = relerr(g, w);
            if (w == 0.0)
                e = fabs(g);
            if (e > worst)
                worst = e;
            if (!(e <= 1e-12))
                hm_test_fail(__FILE__, __LINE__, "got %.17g: %s", g, buf);
            nb++;
        } else if (strncmp(buf, "holm ", 5) == 0) {
            REQUIRE(sscanf(buf, "%*s %zu", &mm) == 1 && mm <= MAXV);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, lnp, MAXV) == mm);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, want, MAXV) == mm);
            REQUIRE_OK(hm_stats_holm_logp(lnp, mm, got, work));
            for (size_t i = 0; i < mm; i++)
                CHECK_REL(got[i], want[i], 1e-14);
            nh++;
        } else if (strncmp(buf, "bh ", 3) == 0) {
            size_t nrej = 0, cnt = 0;
            REQUIRE(sscanf(buf, "%*s %zu %lf", &mm, &q) == 2 && mm <= MAXV);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, lnp, MAXV) == mm);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, want, MAXV) == mm);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, fl, MAXV) == mm);
            REQUIRE_OK(hm_stats_bh(lnp, mm, q, got, flags, &nrej, work));
            for (size_t i = 0; i < mm; i++) {
                CHECK_REL(got[i], want[i], 1e-14);
                CHECK_EQ_INT(flags[i], (int)fl[i]);
                cnt += flags[i];
            }
            CHECK_EQ_INT(nrej, cnt);
            nbh++;
        }
    }
    fclose(f);
    free(buf);
    printf("# %d Bonferroni/Sidak (worst rel err %.3g), %d Holm, %d BH vectors\n", nb, worst, nh,
           nbh);
    CHECK(nb > 0 && nh > 0 && nbh > 0);
}

HM_TEST(stats_multi_properties)
{
    double lnp[6] = {-3.0, -INFINITY, -0.5, -3.0, 0.0, -1e5};
    double adj[6], q[6];
    size_t work[6], nrej;
    unsigned char flags[6];
    REQUIRE_OK(hm_stats_holm_logp(lnp, 6, adj, work));
    CHECK(adj[1] == -INFINITY);
    CHECK(adj[0] == adj[3]);
    CHECK_REL(adj[5], -1e5 + log(5.0), 1e-15);
    CHECK(adj[4] == 0.0);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            if (lnp[i] <= lnp[j])
                CHECK(adj[i] <= adj[j]);
    REQUIRE_OK(hm_stats_bh(lnp, 6, 0.05, q, flags, &nrej, work));
    CHECK(q[1] == -INFINITY);
    CHECK(q[0] == q[3]);
    CHECK(flags[1] && flags[5] && !flags[4]);
    /* in-place */
    double inplace[6];
    memcpy(inplace, lnp, sizeof lnp);
    REQUIRE_OK(hm_stats_holm_logp(inplace, 6, inplace, work));
    for (int i = 0; i < 6; i++)
        CHECK(inplace[i] == adj[i]);
    memcpy(inplace, lnp, sizeof lnp);
    REQUIRE_OK(hm_stats_bh(inplace, 6, 0.05, inplace, NULL, NULL, work));
    for (int i = 0; i < 6; i++)
        CHECK(inplace[i] == q[i]);
    /* errors */
    double bad[2] = {-1.0, NAN};
    CHECK_EQ_INT(hm_stats_holm_logp(bad, 2, adj, work), HM_E_RANGE);
    bad[1] = 0.5;
    CHECK_EQ_INT(hm_stats_bh(bad, 2, 0.05, NULL, NULL, NULL, work), HM_E_RANGE);
    CHECK_EQ_INT(hm_stats_bh(lnp, 6, 0.0, NULL, NULL, NULL, work), HM_E_RANGE);
    CHECK_EQ_INT(hm_stats_holm_logp(lnp, 6, adj, NULL), HM_E_MISUSE);
    CHECK_EQ_INT(hm_stats_holm_logp(NULL, 0, NULL, NULL), HM_OK);
    /* Sidak <= Bonferroni, Sidak exact far below 1e-308 */
    CHECK(hm_stats_sidak_logp(-2.0, 10.0) <= hm_stats_bonferroni_logp(-2.0, 10.0));
    CHECK_REL(hm_stats_sidak_logp(-1e4, 1e6), -1e4 + log(1e6), 1e-15);
    CHECK(hm_stats_sidak_logp(-INFINITY, 5.0) == -INFINITY);
    CHECK(isnan(hm_stats_sidak_logp(-1.0, 0.5)));
    CHECK(isnan(hm_stats_bonferroni_logp(NAN, 2.0)));
}

HM_TEST(stats_ks_vectors)
{
    static double u[MAXV], v[MAXV];
    char *buf = malloc(LINE_CAP);
    REQUIRE(buf != NULL);
    FILE *f = fopen(hm_test_path("vectors/stats_ks.txt"), "r");
    if (!f)
        free(buf);
    REQUIRE(f != NULL);
    int nks = 0, nsm = 0;
    double worst_exact = 0.0, worst_asym = 0.0, worst_sm = 0.0;
    while (read_line(f, buf)) {
        size_t n;
        double dwant, lpwant, d, lp;
        if (strncmp(buf, "ks ", 3) == 0) {
            REQUIRE(sscanf(buf, "%*s %zu %lf %lf", &n, &dwant, &lpwant) == 3 && n <= MAXV);
            REQUIRE(read_line(f, buf) && parse_doubles(buf, u, MAXV) == n);
            memcpy(v, u, n * sizeof *u);
            REQUIRE_OK(hm_stats_ks_uniform(v, n, &d, &lp));
            CHECK_REL(d, dwant, 1e-14);
            for (size_t i = 1; i < n; i++)
                CHECK(v[i - 1] <= v[i]);
            double nd2 = (double)n * d * d, t = (double)n * d;
            int exact = t <= 1.0 || t >= (double)n - 1.0 || d >= 0.5 || nd2 >= 2.2;
            if (exact) {
                /* exact formulas here: ln p within 1e-5 relative (2 x Smirnov
                 * neglects P[D+ and D- both >= d]) */
                double e = fabs(lp - lpwant) / fmax(fabs(lpwant), 1e-300);
                if (lpwant == 0.0)
                    e = fabs(lp);
                if (e > worst_exact)
                    worst_exact = e;
                if (!(fabs(exp(lp) - exp(lpwant)) <= 1e-5 * exp(lpwant)))
                    hm_test_fail(__FILE__, __LINE__, "n=%zu D=%g: ln p %.17g vs scipy %.17g",
                                 n, d, lp, lpwant);
            } else {
                /* Durbin/MTW (n <= 140, exact) or Pelz-Good: absolute
                 * error of p */
                double e = fabs(exp(lp) - exp(lpwant));
                if (e > worst_asym)
                    worst_asym = e;
                if (!(e <= (n <= 140 ? 1e-12 : 1e-5)))
                    hm_test_fail(__FILE__, __LINE__, "n=%zu D=%g: p %.6g vs scipy %.6g", n, d,
                                 exp(lp), exp(lpwant));
            }
            nks++;
        } else if (strncmp(buf, "smirnov ", 8) == 0) {
            REQUIRE(sscanf(buf, "%*s %zu %lf %lf", &n, &d, &lpwant) == 3);
            double g = hm_stats_smirnov_logsf(n, d);
            double e = relerr(g, lpwant);
            if (e > worst_sm)
                worst_sm = e;
            if (!(e <= 1e-9))
                hm_test_fail(__FILE__, __LINE__, "smirnov(%zu, %g) ln %.17g vs %.17g", n, d, g,
                             lpwant);
            nsm++;
        }
    }
    fclose(f);
    free(buf);
    printf("# %d KS cases: tail region worst rel err of ln p %.3g, central region worst "
           "|p - p_scipy| %.3g; %d Smirnov worst rel err %.3g\n",
           nks, worst_exact, worst_asym, nsm, worst_sm);
    CHECK(nks > 0 && nsm > 0);
    double d, lp, one = 0.5;
    CHECK_EQ_INT(hm_stats_ks_uniform(NULL, 1, &d, &lp), HM_E_MISUSE);
    CHECK_EQ_INT(hm_stats_ks_uniform(&one, 0, &d, &lp), HM_E_MISUSE);
    one = 1.5;
    CHECK_EQ_INT(hm_stats_ks_uniform(&one, 1, &d, &lp), HM_E_RANGE);
    one = NAN;
    CHECK_EQ_INT(hm_stats_ks_uniform(&one, 1, &d, &lp), HM_E_RANGE);
}

HM_TEST(stats_ks_null_is_uniform)
{
    /* Fixed-seed LCG samples: under H0 the KS p-value must not be tiny. */
    static double u[2000];
    unsigned long long s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < 2000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        u[i] = (double)(s >> 11) * 0x1.0p-53;
    }
    double d, lp;
    REQUIRE_OK(hm_stats_ks_uniform(u, 2000, &d, &lp));
    CHECK(lp > log(1e-3));
    for (size_t i = 0; i < 2000; i++)
        u[i] = u[i] * u[i];
    REQUIRE_OK(hm_stats_ks_uniform(u, 2000, &d, &lp));
    CHECK(lp < -100.0);
}

HM_TEST(stats_clopper_pearson_vectors)
{
    char *buf = malloc(LINE_CAP);
    REQUIRE(buf != NULL);
    FILE *f = fopen(hm_test_path("vectors/stats_cp.txt"), "r");
    if (!f)
        free(buf);
    REQUIRE(f != NULL);
    int cnt = 0;
    double worst = 0.0;
    while (read_line(f, buf)) {
        long k, n;
        double conf, lo, hi, glo, ghi;
        REQUIRE(sscanf(buf, "cp %ld %ld %lf %lf %lf", &k, &n, &conf, &lo, &hi) == 5);
        REQUIRE_OK(hm_stats_clopper_pearson(k, n, conf, &glo, &ghi));
        double e1 = relerr(glo, lo), e2 = relerr(ghi, hi);
        if (lo == 0.0)
            e1 = glo;
        if (e1 > worst)
            worst = e1;
        if (e2 > worst)
            worst = e2;
        if (!(e1 <= 1e-9 && e2 <= 1e-9))
            hm_test_fail(__FILE__, __LINE__, "k=%ld n=%ld conf=%g: [%.17g, %.17g] vs [%.17g, %.17g]",
                         k, n, conf, glo, ghi, lo, hi);
        cnt++;
    }
    fclose(f);
    free(buf);
    printf("# %d Clopper-Pearson vectors, worst rel err %.3g\n", cnt, worst);
    CHECK(cnt > 0);
    double lo, hi;
    CHECK_EQ_INT(hm_stats_clopper_pearson(3, 2, 0.99, &lo, &hi), HM_E_RANGE);
    CHECK_EQ_INT(hm_stats_clopper_pearson(1, 2, 1.0, &lo, &hi), HM_E_RANGE);
    CHECK_EQ_INT(hm_stats_clopper_pearson(1, 0, 0.9, &lo, &hi), HM_E_RANGE);
    CHECK_OK(hm_stats_clopper_pearson(0, 100, 0.99, &lo, NULL));
    CHECK(lo == 0.0);
    CHECK_OK(hm_stats_clopper_pearson(100, 100, 0.99, NULL, &hi));
    CHECK(hi == 1.0);
}
