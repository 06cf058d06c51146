/*
 * test_stats_exact.c - the dual-key gamma tail against mpmath
 * (tests/vectors/stats_dualgamma.txt, written by
 * tests/tools/gen_dualgamma_vectors.py) and the lattice tail against the
 * binomial tails and a direct convolution.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "harness.h"

static double rel_err(double got, double want)
{
    if (got == want) return 0;
    if (want == 0) return fabs(got);
    return fabs(got - want) / fabs(want);
}

HM_TEST(stats_dualgamma_vectors)
{
    FILE *f = fopen(hm_test_path("vectors/stats_dualgamma.txt"), "r");
    char line[512];
    size_t count = 0;
    double worst = 0, worst_old = 0, min_ln = 0;
    REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f)) {
        long n;
        double a, x, ls, lc, gs, gc, e;
        if (line[0] == '#') continue;
        if (sscanf(line, "%ld %lf %lf %lf %lf", &n, &a, &x, &ls, &lc) != 5) continue;
        gs = hm_stats_dualgamma_logsf(x, n, a);
        gc = hm_stats_dualgamma_logcdf(x, n, a);
        e = rel_err(gs, ls);
        if (rel_err(gc, lc) > e) e = rel_err(gc, lc);
        if (e > worst) worst = e;
        if (ls < min_ln) min_ln = ls;
        if (!(e <= 1e-9))
            hm_test_fail(__FILE__, __LINE__, "n=%ld a=%g x=%.17g: sf %.17g want %.17g, cdf %.17g want %.17g",
                         n, a, x, gs, ls, gc, lc);
        {
            /* the approximation it replaced: Gamma(n/var) at x/var */
            double var = (1 - a) * (1 - a) + a * a;
            double old = hm_stats_gamma_logsf(x / var, (double)n / var);
            if (ls < -1 && rel_err(old, ls) > worst_old) worst_old = rel_err(old, ls);
        }
        count++;
    }
    fclose(f);
    CHECK(count >= 500);
    printf("# dualgamma: %zu vectors, ln p down to %.3g, worst relative error of ln p %.2g "
           "(the Gamma(n/var) approximation it replaced: %.2g)\n",
           count, min_ln, worst, worst_old);
}

HM_TEST(stats_dualgamma_edges)
{
    CHECK(hm_stats_dualgamma_logsf(0, 5, 0.1) == 0.0);
    CHECK(hm_stats_dualgamma_logsf(-1, 5, 0.1) == 0.0);
    CHECK(hm_stats_dualgamma_logsf(3, 0, 0.1) == 0.0);
    CHECK(hm_stats_dualgamma_logsf(INFINITY, 5, 0.1) == -INFINITY);
    CHECK(isnan(hm_stats_dualgamma_logsf(NAN, 5, 0.1)));
    CHECK(isnan(hm_stats_dualgamma_logsf(1, 5, 1.5)));
    CHECK(isnan(hm_stats_dualgamma_logsf(1, -1, 0.5)));
    CHECK(hm_stats_dualgamma_logcdf(0, 5, 0.1) == -INFINITY);
    /* the special cases agree with the general series next to them */
    CHECK(rel_err(hm_stats_dualgamma_logsf(7, 5, 0.5), hm_stats_gamma_logsf(14, 10)) < 1e-15);
    CHECK(rel_err(hm_stats_dualgamma_logsf(7, 5, 0.4999999), hm_stats_dualgamma_logsf(7, 5, 0.5)) <
          1e-6);
    /* below 1e-3 the series is too long: NaN (the detector bounds it) */
    CHECK(isnan(hm_stats_dualgamma_logsf(7, 5, 1e-9)));
    CHECK(isnan(hm_stats_dualgamma_logcdf(7, 5, 1 - 1e-9)));
    CHECK(!isnan(hm_stats_dualgamma_logsf(7, 5, 1e-3)));
    /* symmetric in alpha <-> 1 - alpha */
    CHECK(rel_err(hm_stats_dualgamma_logsf(9, 6, 0.2), hm_stats_dualgamma_logsf(9, 6, 0.8)) <
          1e-12);
    /* sf + cdf = 1, large n both sides of the mean */
    {
        long n = 20000;
        double xs[] = {19000, 19900, 20000, 20100, 21000, 30000};
        size_t i;
        for (i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double s = hm_stats_dualgamma_logsf(xs[i], n, 0.1);
            double c = hm_stats_dualgamma_logcdf(xs[i], n, 0.1);
            CHECK(fabs(hm_stats_logaddexp(s, c)) < 1e-12);
        }
    }
}

/* direct convolution of n copies of pmf (m+1 values), long double */
static double direct_tail(const double *pmf, size_t m, size_t n, size_t k)
{
    size_t len = m * n + 1, i, j, c;
    long double *cur = calloc(len, sizeof *cur), *nxt = calloc(len, sizeof *nxt), s = 0;
    cur[0] = 1;
    for (c = 0; c < n; c++) {
        for (i = 0; i < len; i++) nxt[i] = 0;
        for (i = 0; i <= m * c; i++)
            for (j = 0; j <= m; j++) nxt[i + j] += cur[i] * pmf[j];
        for (i = 0; i < len; i++) cur[i] = nxt[i];
    }
    /* the smaller tail directly, the other as its complement */
    for (i = k; i < len; i++) s += cur[i];
    if (s > 0.5) {
        s = 0;
        for (i = 0; i < k; i++) s += cur[i];
        free(cur);
        free(nxt);
        return (double)log1pl(-s);
    }
    free(cur);
    free(nxt);
    return (double)logl(s);
}

HM_TEST(stats_lattice_tail)
{
    double lq[31], worst = 0;
    size_t j;
    uint64_t n, k;
    /* Binomial(30, 1/2) per copy: the n-fold sum is Binomial(30 n, 1/2) */
    for (j = 0; j <= 30; j++) lq[j] = hm_stats_binom_logpmf((long)j, 30, 0.5);
    for (n = 1; n <= 20000; n *= 7) {
        double sd = sqrt(7.5 * (double)n);
        double zs[] = {-20, -3, -1, -0.2, 0, 0.2, 1, 2.3, 3, 10, 30, 100};
        size_t i;
        for (i = 0; i < sizeof zs / sizeof zs[0]; i++) {
            double kk = 15.0 * (double)n + zs[i] * sd, got, want;
            if (kk < 0 || kk > 30.0 * (double)n) continue;
            k = (uint64_t)kk;
            REQUIRE_OK(hm_stats_lattice_logsf(lq, 30, n, k, &got));
            want = hm_stats_binom_logsf((long)k, (long)(30 * n), 0.5);
            if (rel_err(got, want) > worst) worst = rel_err(got, want);
            if (!(rel_err(got, want) <= 1e-9))
                hm_test_fail(__FILE__, __LINE__, "n=%llu k=%llu: %.17g want %.17g",
                             (unsigned long long)n, (unsigned long long)k, got, want);
        }
        {
            double top;
            REQUIRE_OK(hm_stats_lattice_logsf(lq, 30, n, 30 * n, &top));
            CHECK(rel_err(top, 30.0 * (double)n * log(0.5)) < 1e-12);
        }
    }
    /* a lopsided pmf with impossible values, against direct convolution */
    {
        double pmf[6] = {0.5, 0, 0.3, 0.15, 0, 0.05}, l6[6], got;
        for (j = 0; j < 6; j++) l6[j] = pmf[j] > 0 ? log(pmf[j]) : -INFINITY;
        for (n = 1; n <= 60; n += 11)
            for (k = 0; k <= 5 * n; k += 1 + n / 3) {
                double want = direct_tail(pmf, 5, (size_t)n, (size_t)k);
                REQUIRE_OK(hm_stats_lattice_logsf(l6, 5, n, k, &got));
                if (want > -600 && rel_err(got, want) > worst) worst = rel_err(got, want);
                if (want > -600 && !(rel_err(got, want) <= 1e-9))
                    hm_test_fail(__FILE__, __LINE__, "n=%llu k=%llu: %.17g want %.17g",
                                 (unsigned long long)n, (unsigned long long)k, got, want);
            }
    }
    {
        double bad[3] = {NAN, 0, 0}, out;
        CHECK_EQ_INT(hm_stats_lattice_logsf(bad, 2, 3, 1, &out), HM_E_RANGE);
        CHECK_EQ_INT(hm_stats_lattice_logsf(NULL, 2, 3, 1, &out), HM_E_MISUSE);
    }
    printf("# lattice: worst relative error of ln p %.2g\n", worst);
}
