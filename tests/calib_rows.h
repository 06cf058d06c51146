/*
 * calib_rows.h - one calibration row: p-values collected under H0, then the
 * false-positive rate at alpha = 1e-2 and 1e-3 with exact Clopper-Pearson
 * 99.9% intervals, a Kolmogorov-Smirnov test of uniformity, and a verdict,
 * printed as the one-line form every `make calibrate` hook uses:
 *
 *   calib: <row> n=<N> fpr@1e-2=<r> ci999=[<lo>,<hi>] fpr@1e-3=<r> ci999=[<lo>,<hi>] ks_p=<p> PASS|FAIL
 *
 * A row FAILs when the lower end of an interval exceeds its alpha, or when
 * the KS p-value is below 1e-3 (only where the tested values are exactly
 * uniform under H0: continuous p-values, or the randomized probability
 * integral transform of a discrete statistic).  Header-only (static inline)
 * so the unit tests and tests/calibrate.c share it.
 */
#ifndef HM_TEST_CALIB_ROWS_H
#define HM_TEST_CALIB_ROWS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/stats.h"

/* Unit tests define this as "# " (diagnostic lines of the TAP output). */
#ifndef CALIB_LINE_PREFIX
#define CALIB_LINE_PREFIX ""
#endif

typedef struct calib_row {
    double *p;   /* reported p-values (may be conservative) */
    double *u;   /* values uniform under H0 for the KS test (NaN: none) */
    size_t n, cap;
    int has_u;
} calib_row;

static inline void calib_row_init(calib_row *r)
{
    memset(r, 0, sizeof *r);
}

static inline void calib_row_free(calib_row *r)
{
    free(r->p);
    free(r->u);
    memset(r, 0, sizeof *r);
}

/* Adds one p-value; u is its exactly-uniform version (p itself for a
 * continuous test, the randomized PIT for a discrete one), or NaN. */
static inline int calib_row_add(calib_row *r, double p, double u)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 256;
        double *np = realloc(r->p, nc * sizeof *np), *nu;
        if (!np) return -1;
        r->p = np;
        nu = realloc(r->u, nc * sizeof *nu);
        if (!nu) return -1;
        r->u = nu;
        r->cap = nc;
    }
    r->p[r->n] = p;
    r->u[r->n] = u;
    if (!isnan(u)) r->has_u = 1;
    r->n++;
    return 0;
}

/* The randomized PIT of a discrete upper-tail test: u = P[X > x] + V P[X = x]
 * given ln P[X >= x] and ln P[X > x] (V uniform in (0, 1)): exactly
 * Uniform(0, 1) under H0. */
static inline double calib_randomized_u(double ln_ge, double ln_gt, double v)
{
    double ge = exp(ln_ge), gt = exp(ln_gt);
    return gt + v * (ge - gt);
}

/* Prints the row and returns 1 on PASS, 0 on FAIL.  `informative`: the row
 * is expected to fail (e.g. deduplication off); it is printed with
 * "(informative)" and the caller does not count it. */
static inline int calib_row_report(const char *name, calib_row *r, int informative)
{
    static const double alphas[2] = {1e-2, 1e-3};
    double rate[2], lo[2], hi[2], ks = NAN;
    int pass = r->n > 0, a;
    size_t i;
    for (a = 0; a < 2; a++) {
        long k = 0;
        for (i = 0; i < r->n; i++)
            if (r->p[i] <= alphas[a]) k++;
        rate[a] = r->n ? (double)k / (double)r->n : NAN;
        lo[a] = 0;
        hi[a] = 1;
        if (r->n) (void)hm_stats_clopper_pearson(k, (long)r->n, 0.999, &lo[a], &hi[a]);
        if (lo[a] > alphas[a]) pass = 0;
    }
    if (r->has_u) {
        size_t m = 0;
        double *u = malloc((r->n ? r->n : 1) * sizeof *u), d = 0, lnp = 0;
        for (i = 0; u && i < r->n; i++)
            if (!isnan(r->u[i])) u[m++] = r->u[i];
        if (u && m && hm_stats_ks_uniform(u, m, &d, &lnp) == 0) ks = exp(lnp);
        free(u);
        if (!(ks >= 1e-3)) pass = 0;
    }
    printf(CALIB_LINE_PREFIX "calib: %s n=%zu fpr@1e-2=%.4g ci999=[%.4g,%.4g] fpr@1e-3=%.4g ci999=[%.4g,%.4g] ",
           name, r->n, rate[0], lo[0], hi[0], rate[1], lo[1], hi[1]);
    if (isnan(ks))
        printf("ks_p=na");
    else
        printf("ks_p=%.3g", ks);
    printf(" %s%s\n", pass ? "PASS" : "FAIL", informative ? " (informative: expected to fail)" : "");
    fflush(stdout);
    return pass;
}

#endif /* HM_TEST_CALIB_ROWS_H */
