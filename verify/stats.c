/*
 * stats.c - exact tail probabilities in log space: binomial, gamma
 * (regularized incomplete gamma for real shape), normal, and the log-space
 * helpers they share.
 *
 * Every tail is computed as "the smaller tail, directly" and the larger one
 * as its log-space complement (log1mexp), so ln p keeps full relative
 * accuracy both deep in a tail and near 0.  Prefactors use Loader's (2000)
 * saddle-point form (Stirling error + deviance bd0) instead of
 * a ln x - x - hm_stats_lgamma_(a), which cancels catastrophically for large shapes.
 * Formulas and citations: docs/statistics.md.
 */
#include "hallmark/stats.h"

#include <float.h>
#include <math.h>

#include "stats_internal.h"

/* Relative size below which a remaining series tail is ignored. */
#define SUM_EPS 1e-17

/* ---- shared helpers ------------------------------------------------------ */

double hm_stats_lgamma_(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

double hm_stats_stirlerr_(double a)
{
    if (a < 15.0)
        return hm_stats_lgamma_(a + 1.0) - (a + 0.5) * log(a) + a - HM_LN_SQRT_2PI;
    /* Asymptotic (Stirling/de Moivre) series with Bernoulli-number
     * coefficients B_2k / (2k (2k-1)); for a >= 15 the first omitted term is
     * below 1e-16 absolute. */
    double r = 1.0 / a, r2 = r * r;
    return r * (1.0 / 12 -
                r2 * (1.0 / 360 -
                      r2 * (1.0 / 1260 -
                            r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * (691.0 / 360360))))));
}

double hm_stats_bd0_(double x, double m)
{
    if (x == 0.0)
        return m;
    double d = x - m;
    if (fabs(d) < 0.1 * (x + m)) {
        /* x ln(x/m) + m - x = d v + 2 x sum_{j>=1} v^(2j+1)/(2j+1),
         * v = d / (x + m): no cancellation near x == m. */
        double v = d / (x + m);
        double s = d * v;
        double ej = 2.0 * x * v;
        double v2 = v * v;
        for (int j = 1; j < 1000; j++) {
            ej *= v2;
            double s1 = s + ej / (double)(2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    double r = x / m;
    double lr = (isfinite(r) && r > 0.0) ? log(r) : log(x) - log(m);
    return x * lr + m - x;
}

double hm_stats_log1mexp(double x)
{
    if (isnan(x) || x > 0.0)
        return NAN;
    /* Maechler (2012): expm1 near 0, log1p far from it. */
    if (x > -M_LN2)
        return log(-expm1(x));
    return log1p(-exp(x));
}

double hm_stats_logaddexp(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    if (hi == -INFINITY || hi == INFINITY)
        return hi;
    return hi + log1p(exp(lo - hi));
}

double hm_stats_logsumexp(const double *x, size_t n)
{
    double hi = -INFINITY;
    size_t i;
    if (!x || n == 0)
        return -INFINITY;
    for (i = 0; i < n; i++) {
        if (isnan(x[i]))
            return NAN;
        if (x[i] > hi)
            hi = x[i];
    }
    if (hi == -INFINITY || hi == INFINITY)
        return hi;
    double s = 0.0;
    for (i = 0; i < n; i++)
        s += exp(x[i] - hi);
    /* s >= 1: the maximum contributes exp(0). */
    return hi + log(s);
}

double hm_stats_log10_p(double ln_p)
{
    return ln_p / HM_LN_10;
}

/* ---- gamma --------------------------------------------------------------- */

/* ln(x^a e^-x / Gamma(a + 1)), a > 0, x > 0. */
static double gamma_logd(double a, double x)
{
    if (a < 15.0)
        return a * log(x) - x - hm_stats_lgamma_(a + 1.0);
    return -hm_stats_stirlerr_(a) - hm_stats_bd0_(a, x) - 0.5 * (HM_LN_2PI + log(a));
}

double hm_stats_gamma_logd_(double a, double x) { return gamma_logd(a, x); }

/* ln P(a, x) and ln Q(a, x) for finite a > 0, finite x > 0. */
static void gamma_tails(double a, double x, double *lp, double *lq)
{
    if (a < 1.0 && x < 1.5) {
        /* Small shape: Q = u + v with u = 1 - x^a / Gamma(a+1) and
         * v = x^a / Gamma(a+1) * a * sum_{n>=1} (-1)^(n+1) x^n / (n! (a+n))
         * (the series of gamma(a, x) split off its first term; Temme 1994,
         * DiDonato & Morris 1986); P by the positive series below. */
        double lx = a * log(x) - hm_stats_lgamma_(a + 1.0);
        double u = -expm1(lx);
        double t = 1.0, sum = 0.0;
        for (int n = 1; n < 200; n++) {
            t *= -x / (double)n;
            double term = -t / (a + (double)n);
            sum += term;
            if (fabs(term) < SUM_EPS * fabs(sum))
                break;
        }
        double v = exp(lx) * a * sum;
        /* P = D * sum_{n>=0} x^n / ((a+1)...(a+n)) */
        double s = 1.0;
        t = 1.0;
        for (int n = 1; n < 200; n++) {
            t *= x / (a + (double)n);
            s += t;
            if (t < SUM_EPS * s)
                break;
        }
        *lp = gamma_logd(a, x) + log(s);
        /* Q from u + v only where it is the smaller tail; else 1 - P. */
        *lq = *lp < -M_LN2 ? hm_stats_log1mexp(*lp) : log(u + v);
        return;
    }
    if (x < a) {
        /* Lower series; terms decrease since x / (a + n) < 1.  Stop when the
         * geometric bound on the rest, t r / (1 - r), is negligible. */
        double s = 1.0, t = 1.0;
        for (double n = 1.0;; n += 1.0) {
            t *= x / (a + n);
            s += t;
            double r = x / (a + n + 1.0);
            if (t * r < SUM_EPS * (1.0 - r) * s)
                break;
        }
        *lp = gamma_logd(a, x) + log(s);
        *lq = hm_stats_log1mexp(*lp);
        return;
    }
    /* Upper tail by Legendre's continued fraction for Gamma(a, x),
     * evaluated with the modified Lentz method:
     * Gamma(a,x) = e^-x x^a / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))). */
    const double tiny = 1e-300;
    double f = x + 1.0 - a;
    if (fabs(f) < tiny)
        f = tiny;
    double c = f, d = 0.0;
    double cap = 1000.0 + 100.0 * sqrt(a);
    for (double n = 1.0; n < cap; n += 1.0) {
        double an = n * (a - n);
        double bn = x + 2.0 * n + 1.0 - a;
        d = bn + an * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = bn + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1.0) < 2.0 * DBL_EPSILON)
            break;
    }
    *lq = gamma_logd(a, x) + log(a) - log(f);
    *lp = hm_stats_log1mexp(*lq);
}

double hm_stats_gamma_logsf(double x, double shape)
{
    double lp, lq;
    if (isnan(x) || isnan(shape) || !(shape > 0.0) || isinf(shape))
        return NAN;
    if (x <= 0.0)
        return 0.0;
    if (isinf(x))
        return -INFINITY;
    gamma_tails(shape, x, &lp, &lq);
    return lq > 0.0 ? 0.0 : lq;
}

double hm_stats_gamma_logcdf(double x, double shape)
{
    double lp, lq;
    if (isnan(x) || isnan(shape) || !(shape > 0.0) || isinf(shape))
        return NAN;
    if (x <= 0.0)
        return -INFINITY;
    if (isinf(x))
        return 0.0;
    gamma_tails(shape, x, &lp, &lq);
    return lp > 0.0 ? 0.0 : lp;
}

/* ---- binomial ---------------------------------------------------------------- */

static int binom_bad(long n, double p)
{
    return isnan(p) || p < 0.0 || p > 1.0 || n < 0;
}

/* ln P[X == k], 0 <= k <= n, 0 < p < 1 (Loader 2000). */
static double binom_lpmf(long k, long n, double p)
{
    double q = 1.0 - p;
    double dn = (double)n, dk = (double)k, dnk = (double)(n - k);
    if (k == 0)
        return dn * (p < 0.5 ? log1p(-p) : log(q));
    if (k == n)
        return dn * (p > 0.5 ? log1p(-q) : log(p));
    double lc = hm_stats_stirlerr_(dn) - hm_stats_stirlerr_(dk) - hm_stats_stirlerr_(dnk) -
                hm_stats_bd0_(dk, dn * p) - hm_stats_bd0_(dnk, dn * q);
    return lc + 0.5 * (log(dn) - HM_LN_2PI - log(dk) - log(dnk));
}

/* ln P[X >= k] and ln P[X <= k-1] for 1 <= k <= n, 0 < p < 1.  The tail not
 * containing the mean is summed term by term from its start with the exact
 * pmf ratios (n-j)/(j+1) p/q (below 1 and decreasing in that tail), which
 * stops when the geometric bound on the rest is negligible; the other tail
 * is its log-space complement.  Cost O(1) far in a tail, O(sqrt(npq)) near
 * the centre.  (The incomplete-beta continued fraction was tried and
 * rejected: near the edge of its convergence region it stopped early with
 * relative errors up to 1e-6.) */
static void binom_tails(long k, long n, double p, double *lsf, double *lcdf)
{
    double q = 1.0 - p;
    double pq = p / q;
    double dn = (double)n;
    double s = 1.0, t = 1.0;
    if ((double)k > dn * p) {
        for (long j = k; j < n; j++) {
            t *= (double)(n - j) / (double)(j + 1) * pq;
            s += t;
            double r = (double)(n - j - 1) / (double)(j + 2) * pq;
            if (t * r < SUM_EPS * (1.0 - r) * s)
                break;
        }
        *lsf = binom_lpmf(k, n, p) + log(s);
        if (*lsf > 0.0)
            *lsf = 0.0;
        *lcdf = hm_stats_log1mexp(*lsf);
    } else {
        for (long j = k - 1; j > 0; j--) {
            t *= (double)j / (double)(n - j + 1) / pq;
            s += t;
            double r = (double)(j - 1) / (double)(n - j + 2) / pq;
            if (t * r < SUM_EPS * (1.0 - r) * s)
                break;
        }
        *lcdf = binom_lpmf(k - 1, n, p) + log(s);
        if (*lcdf > 0.0)
            *lcdf = 0.0;
        *lsf = hm_stats_log1mexp(*lcdf);
    }
}

double hm_stats_binom_logpmf(long k, long n, double p)
{
    if (binom_bad(n, p))
        return NAN;
    if (k < 0 || k > n)
        return -INFINITY;
    if (p == 0.0)
        return k == 0 ? 0.0 : -INFINITY;
    if (p == 1.0)
        return k == n ? 0.0 : -INFINITY;
    return binom_lpmf(k, n, p);
}

double hm_stats_binom_logsf(long k, long n, double p)
{
    double lsf, lcdf;
    if (binom_bad(n, p))
        return NAN;
    if (k <= 0)
        return 0.0;
    if (k > n || p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return 0.0;
    binom_tails(k, n, p, &lsf, &lcdf);
    return lsf;
}

double hm_stats_binom_logcdf(long k, long n, double p)
{
    double lsf, lcdf;
    if (binom_bad(n, p))
        return NAN;
    if (k < 0)
        return -INFINITY;
    if (k >= n || p == 0.0)
        return 0.0;
    if (p == 1.0)
        return -INFINITY;
    binom_tails(k + 1, n, p, &lsf, &lcdf);
    return lcdf;
}

/* ---- normal --------------------------------------------------------------- */

double hm_stats_normal_logsf(double z)
{
    if (isnan(z))
        return NAN;
    if (z < 0.0)
        return log1p(-0.5 * erfc(-z / M_SQRT2));
    if (z < 35.0)
        return log(0.5 * erfc(z / M_SQRT2));
    if (isinf(z))
        return -INFINITY;
    /* Laplace's asymptotic series for the Mills ratio:
     * sf(z) = phi(z)/z (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...); at z >= 35 the
     * terms kept leave a relative error below 1e-16. */
    double r2 = 1.0 / (z * z);
    double series = 1.0 -
                    r2 * (1.0 -
                          r2 * (3.0 -
                                r2 * (15.0 -
                                      r2 * (105.0 - r2 * (945.0 - r2 * (10395.0 - r2 * 135135.0))))));
    return -0.5 * z * z - log(z) - HM_LN_SQRT_2PI + log(series);
}

double hm_stats_normal_logcdf(double z)
{
    return hm_stats_normal_logsf(-z);
}
