/*
 * stats_exact.c - two exact tails that the engine-specific detectors need:
 *
 *  - hm_stats_dualgamma_logsf: ln P[(1-a) X + a Y >= x] for X, Y independent
 *    Gamma(n, 1) (vLLM's dual-key score under H0), as a negative-binomial
 *    mixture of regularized gamma tails with positive terms only, summed in
 *    log space with proven truncation bounds;
 *  - hm_stats_lattice_logsf: ln P[T >= k] for T the sum of n independent
 *    copies of an integer variable on {0..m} (SynthID's per-key-set g-sum),
 *    by an exponentially tilted FFT convolution.
 *
 * Formulas, bounds and measured accuracy: docs/statistics.md, sections
 * "Dual-key gamma tail" and "Lattice tail".
 */
#include "hallmark/error.h"
#include "hallmark/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "stats_internal.h"

/* e^-41 = 1.6e-18: the relative weight below which a truncated part of a
 * positive series is dropped (proofs in docs/statistics.md). */
#define DROP_LN (-41.0)
#define REFRESH 256
#define HM_DUALGAMMA_MIN 1e-3 /* smallest min(alpha, 1 - alpha) computed */ /* exact recomputation interval of the recurrences */

/* ln P(K = k) for K ~ NegBin(n, r) (failures before the n-th success):
 * C(n+k-1, k) r^n (1-r)^k = n/(n+k) * Binomial(n+k, r) pmf at n. */
static double nb_logpmf(long n, long k, double r)
{
    return log((double)n / (double)(n + k)) + hm_stats_binom_logpmf(n, n + k, r);
}

/* ln P(K <= k) = ln P[Binomial(n+k, r) >= n]. */
static double nb_logcdf(long n, long k, double r)
{
    if (k < 0) return -INFINITY;
    return hm_stats_binom_logsf(n, n + k, r);
}

/* ln P(K > k) = ln P[Binomial(n+k, r) <= n-1]. */
static double nb_logsf(long n, long k, double r)
{
    if (k < 0) return 0.0;
    return hm_stats_binom_logcdf(n - 1, n + k, r);
}

/* ln sum_k P(K = k) Q(2n + k, y): the upper tail of (hi X + lo Y)/lo. */
static double mix_upper(long n, double r, double y)
{
    long lo = 0, hi, k;
    double l1r = log1p(-r), ly = log(y), acc = -INFINITY, lnb, lq, ld;
    double mean = (double)n * (1.0 - r) / r;
    /* k_lo: the largest k with P(K < k) <= e^-41, found by bisection.  Below
     * it the terms are at most e^-41 / (1 - e^-41) of the rest, because
     * Q(2n+k, y) increases with k. */
    hi = (long)ceil(mean);
    if (nb_logcdf(n, -1 + hi, r) <= DROP_LN) {
        lo = hi; /* not expected: the mean has about half the mass */
    } else {
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (nb_logcdf(n, mid - 1, r) <= DROP_LN)
                lo = mid;
            else
                hi = mid - 1;
        }
    }
    k = lo;
    lnb = nb_logpmf(n, k, r);
    lq = hm_stats_gamma_logsf(y, (double)(2 * n + k));
    ld = hm_stats_gamma_logd_((double)(2 * n + k), y);
    for (;; k++) {
        double a = (double)(2 * n + k), t = lnb + lq, rho;
        /* step k -> k+1: Q(a+1, y) = Q(a, y) + y^a e^-y / Gamma(a+1) */
        double lq1 = hm_stats_logaddexp(lq, ld);
        acc = hm_stats_logaddexp(acc, t);
        /* T_{k+1}/T_k = (n+k)/(k+1) (1-r) Q(a+1,y)/Q(a,y) = rho_k.  For
         * integer a, Q(a+1,y)/Q(a,y) = F(a)/F(a-1) with F the Poisson(y) CDF,
         * which decreases in a (the Poisson law is log-concave), and so does
         * (n+k)/(k+1): every later ratio is <= rho_k, and once rho_k < 1 the
         * rest is at most T_k rho / (1 - rho). */
        rho = (double)(n + k) / (double)(k + 1) * (1.0 - r) * exp(lq1 - lq);
        if (rho < 1.0 && t + log(rho / (1.0 - rho)) <= acc + DROP_LN) break;
        if (k - lo > 2000000000L) return NAN; /* not reached for n < 1e8 */
        lq = lq1;
        if ((k + 1 - lo) % REFRESH == 0) {
            lnb = nb_logpmf(n, k + 1, r);
            ld = hm_stats_gamma_logd_(a + 1.0, y);
            if ((k + 1 - lo) % (16 * REFRESH) == 0) lq = hm_stats_gamma_logsf(y, a + 1.0);
        } else {
            lnb += log((double)(n + k) / (double)(k + 1)) + l1r;
            ld += ly - log(a + 1.0);
        }
    }
    return acc;
}

/* ln sum_k P(K = k) P(2n + k, y): the lower tail of (hi X + lo Y)/lo. */
static double mix_lower(long n, double r, double y)
{
    long k, kh, step = 1;
    double l1r = log1p(-r), ly = log(y), acc = -INFINITY, lnb, lp, ld;
    /* k_hi: the smallest k with P(K > k) <= e^-41.  Above it the terms are at
     * most e^-41 / (1 - e^-41) of the rest, because P(2n+k, y) decreases
     * with k. */
    kh = (long)ceil((double)n * (1.0 - r) / r);
    while (nb_logsf(n, kh, r) > DROP_LN) {
        kh += step;
        step *= 2;
    }
    {
        long lo = kh - step / 2 > 0 ? kh - step / 2 : 0, hi = kh;
        if (step == 1) lo = 0;
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (nb_logsf(n, mid, r) <= DROP_LN)
                hi = mid;
            else
                lo = mid + 1;
        }
        kh = lo;
    }
    k = kh;
    lnb = nb_logpmf(n, k, r);
    lp = hm_stats_gamma_logcdf(y, (double)(2 * n + k));
    ld = hm_stats_gamma_logd_((double)(2 * n + k - 1), y);
    for (;; k--) {
        double a = (double)(2 * n + k), t = lnb + lp, rho, lp1;
        acc = hm_stats_logaddexp(acc, t);
        if (k == 0) break;
        /* step k -> k-1: P(a-1, y) = P(a, y) + y^(a-1) e^-y / Gamma(a) */
        lp1 = hm_stats_logaddexp(lp, ld);
        /* T_{k-1}/T_k = k/((n+k-1)(1-r)) P(a-1,y)/P(a,y) = rho_k.  For integer
         * a, P(a-1,y)/P(a,y) = S(a-1)/S(a) with S the Poisson(y) survival,
         * 1/(1 - hazard(a-1)), and the hazard of a log-concave law increases:
         * rho_k decreases as k decreases, so once rho_k < 1 the rest is at
         * most T_k rho / (1 - rho). */
        rho = (double)k / ((double)(n + k - 1) * (1.0 - r)) * exp(lp1 - lp);
        if (rho < 1.0 && t + log(rho / (1.0 - rho)) <= acc + DROP_LN) break;
        lp = lp1;
        if ((kh - k + 1) % REFRESH == 0) {
            lnb = nb_logpmf(n, k - 1, r);
            ld = hm_stats_gamma_logd_(a - 2.0, y);
            if ((kh - k + 1) % (16 * REFRESH) == 0) lp = hm_stats_gamma_logcdf(y, a - 1.0);
        } else {
            lnb += log((double)k / (double)(n + k - 1)) - l1r;
            ld += log(a - 1.0) - ly;
        }
    }
    return acc;
}

/* ln P[S >= x] (upper) or ln P[S <= x] for S = (1-alpha) X + alpha Y. */
static double dualgamma(double x, long n, double alpha, int upper)
{
    double lo, r, y, l;
    if (isnan(x) || isnan(alpha) || alpha < 0.0 || alpha > 1.0 || n < 0) return NAN;
    if (n == 0) return 0.0;
    if (x <= 0.0) return upper ? 0.0 : -INFINITY;
    if (x == INFINITY) return upper ? -INFINITY : 0.0;
    if (alpha == 0.0 || alpha == 1.0)
        return upper ? hm_stats_gamma_logsf(x, (double)n) : hm_stats_gamma_logcdf(x, (double)n);
    if (alpha == 0.5)
        return upper ? hm_stats_gamma_logsf(2.0 * x, 2.0 * (double)n)
                     : hm_stats_gamma_logcdf(2.0 * x, 2.0 * (double)n);
    lo = alpha < 0.5 ? alpha : 1.0 - alpha;
    if (lo < HM_DUALGAMMA_MIN) return NAN; /* the series would need ~sqrt(n)/lo terms */
    r = lo / (1.0 - lo);
    y = x / lo;
    /* hi X = lo (hi/lo) X and (hi/lo) X ~ Gamma(n + K, 1), K ~ NegBin(n, r),
     * so S / lo ~ Gamma(2n + K, 1) (Moschopoulos 1985).  E S = n: the tail
     * without the mean is summed, the other is its complement. */
    if (x >= (double)n) {
        l = mix_upper(n, r, y);
        return upper ? l : hm_stats_log1mexp(l);
    }
    l = mix_lower(n, r, y);
    return upper ? hm_stats_log1mexp(l) : l;
}

double hm_stats_dualgamma_logsf(double x, long n, double alpha)
{
    return dualgamma(x, n, alpha, 1);
}

double hm_stats_dualgamma_logcdf(double x, long n, double alpha)
{
    return dualgamma(x, n, alpha, 0);
}

/* ---- lattice tail ---------------------------------------------------------- */

/* In-place iterative radix-2 FFT of re/im (length N, a power of 2);
 * sign -1 forward, +1 inverse (unscaled).  Twiddles by sin/cos directly. */
static void fft(double *re, double *im, size_t N, int sign)
{
    size_t i, j, len;
    for (i = 1, j = 0; i < N; i++) {
        size_t bit = N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (len = 2; len <= N; len <<= 1) {
        size_t half = len / 2, s;
        double ang = (double)sign * 2.0 * M_PI / (double)len;
        for (s = 0; s < half; s++) {
            double wr = cos(ang * (double)s), wi = sin(ang * (double)s);
            for (i = s; i < N; i += len) {
                size_t q = i + half;
                double xr = re[q] * wr - im[q] * wi, xi = re[q] * wi + im[q] * wr;
                re[q] = re[i] - xr;
                im[q] = im[i] - xi;
                re[i] += xr;
                im[i] += xi;
            }
        }
    }
}

/* kappa(theta) = ln sum_j exp(lq[j] + theta j) and its first two
 * derivatives (mean and variance of the tilted distribution). */
static double cumulants(const double *lq, size_t m, double theta, double *mean, double *var)
{
    double mx = -INFINITY, z = 0, s1 = 0, s2 = 0;
    size_t j;
    for (j = 0; j <= m; j++)
        if (lq[j] + theta * (double)j > mx) mx = lq[j] + theta * (double)j;
    for (j = 0; j <= m; j++) {
        double w = exp(lq[j] + theta * (double)j - mx);
        z += w;
        s1 += w * (double)j;
        s2 += w * (double)j * (double)j;
    }
    s1 /= z;
    if (mean) *mean = s1;
    if (var) *var = s2 / z - s1 * s1;
    return mx + log(z);
}

/* ln P[T >= k] for the upper tail (k > E T), lq normalised. */
static int lattice_upper(const double *lq, size_t m, uint64_t n, uint64_t k, size_t jmin,
                         size_t jmax, double *ln_p)
{
    double target = (double)k / (double)n, tlo = 0, thi = 1, theta, kap, mu, var, sum = 0;
    double *re, *im, span;
    size_t N = 1, j, i, width;
    uint64_t full = (uint64_t)jmax * n - (uint64_t)jmin * n;
    if (k > (uint64_t)jmax * n) {
        *ln_p = -INFINITY;
        return HM_OK;
    }
    if (k == (uint64_t)jmax * n) { /* only the all-maximum outcome */
        *ln_p = (double)n * lq[jmax];
        return HM_OK;
    }
    /* the tilt theta >= 0 whose tilted mean per copy is k/n */
    for (;;) {
        cumulants(lq, m, thi, &mu, NULL);
        if (mu >= target || thi > 1e6) break;
        tlo = thi;
        thi *= 2;
    }
    for (i = 0; i < 200; i++) {
        double mid = 0.5 * (tlo + thi);
        cumulants(lq, m, mid, &mu, NULL);
        if (mu < target)
            tlo = mid;
        else
            thi = mid;
        if (thi - tlo <= 1e-15 * thi) break;
    }
    theta = tlo;
    kap = cumulants(lq, m, theta, &mu, &var);
    /* FFT length: the whole support, or a window of half-width d around the
     * tilted mean with Hoeffding's bound 2 exp(-2 d^2 / (n (jmax-jmin)^2))
     * on the tilted mass that can alias (< 1e-30). */
    span = (double)(jmax - jmin) * sqrt((double)n * 35.0) + 64.0;
    width = (double)full + 1.0 < 2.0 * span ? (size_t)full + 1 : (size_t)(2.0 * span);
    while (N < width) N <<= 1;
    re = calloc(N, sizeof *re);
    im = calloc(N, sizeof *im);
    if (!re || !im) {
        free(re);
        free(im);
        return HM_E_NOMEM;
    }
    for (j = jmin; j <= jmax; j++) re[(j - jmin) % N] += exp(lq[j] + theta * (double)j - kap);
    fft(re, im, N, -1);
    for (i = 0; i < N; i++) {
        double mag = hypot(re[i], im[i]), ph = atan2(im[i], re[i]);
        double lm = mag > 0 ? (double)n * log(mag) : -INFINITY;
        double e = exp(lm);
        re[i] = e * cos((double)n * ph);
        im[i] = e * sin((double)n * ph);
    }
    fft(re, im, N, +1);
    /* T - n jmin = t lands at index t mod N; read t = k - n jmin upward over
     * the half-window (the rest has tilted mass < 1e-30 and weight <= 1). */
    {
        uint64_t t0 = k - (uint64_t)jmin * n, t;
        uint64_t tend = N >= full + 1 ? full : t0 + N / 2;
        double w = 1.0, ew = exp(-theta);
        for (t = t0; t <= tend && t <= full; t++) {
            double f = re[t % N] / (double)N;
            sum += f * w;
            w *= ew;
            if (w == 0.0) break;
        }
    }
    free(re);
    free(im);
    if (!(sum > 0)) {
        *ln_p = NAN;
        return HM_E_RANGE;
    }
    *ln_p = (double)n * kap - theta * (double)k + log(sum);
    if (*ln_p > 0) *ln_p = 0;
    return HM_OK;
}

int hm_stats_lattice_logsf(const double *ln_pmf, size_t m, uint64_t n, uint64_t k,
                           double *ln_p)
{
    double *lq, norm, mean;
    size_t j, jmin = 0, jmax = 0;
    int found = 0, st;
    if (!ln_pmf || !ln_p || m > 4096) return HM_E_MISUSE;
    *ln_p = NAN;
    for (j = 0; j <= m; j++) {
        if (isnan(ln_pmf[j]) || ln_pmf[j] > 0) return HM_E_RANGE;
        if (ln_pmf[j] > -INFINITY) {
            if (!found) jmin = j;
            jmax = j;
            found = 1;
        }
    }
    if (!found) return HM_E_RANGE;
    if (k == 0 || n == 0) {
        *ln_p = k == 0 ? 0.0 : -INFINITY;
        return HM_OK;
    }
    lq = malloc((m + 1) * sizeof *lq);
    if (!lq) return HM_E_NOMEM;
    norm = hm_stats_logsumexp(ln_pmf, m + 1);
    for (j = 0; j <= m; j++) lq[j] = ln_pmf[j] - norm;
    cumulants(lq, m, 0.0, &mean, NULL);
    if (k <= (uint64_t)jmin * n) {
        *ln_p = 0.0;
        st = HM_OK;
    } else if ((double)k > mean * (double)n) {
        st = lattice_upper(lq, m, n, k, jmin, jmax, ln_p);
    } else {
        /* lower tail P[T <= k-1] = P[T' >= m n - k + 1] for T' = m n - T */
        double *rq = malloc((m + 1) * sizeof *rq);
        double l;
        if (!rq) {
            free(lq);
            return HM_E_NOMEM;
        }
        for (j = 0; j <= m; j++) rq[j] = lq[m - j];
        st = lattice_upper(rq, m, n, (uint64_t)m * n - k + 1, m - jmax, m - jmin, &l);
        if (st == HM_OK) *ln_p = hm_stats_log1mexp(l);
        free(rq);
    }
    free(lq);
    return st;
}

/* For 0 < min(alpha, 1 - alpha) < 1e-3 (where the series is too long): a
 * proven upper bound, P[hi X + lo Y >= x] <= P[lo Y >= c] + P[hi X >= x - c]
 * for every 0 < c < x, minimised over a grid of c.  It is at least the
 * exact P[hi X >= x] (so within the factor computed by the caller). */
double hm_stats_dualgamma_bound_logsf(double x, long n, double alpha)
{
    double lo, hi, best = 0.0, c;
    double exact = hm_stats_dualgamma_logsf(x, n, alpha);
    if (!isnan(exact) || isnan(x) || isnan(alpha) || n < 0) return exact;
    lo = alpha < 0.5 ? alpha : 1.0 - alpha;
    hi = 1.0 - lo;
    for (c = lo * (double)n * 0.5; c < x; c *= 1.05) {
        double b = hm_stats_logaddexp(hm_stats_gamma_logsf(c / lo, (double)n),
                                      hm_stats_gamma_logsf((x - c) / hi, (double)n));
        if (b < best) best = b;
    }
    return best;
}
