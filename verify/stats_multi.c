/*
 * stats_multi.c - statistics built on the exact tails of stats.c:
 * multiple-testing corrections in log space (Bonferroni, Sidak, Holm,
 * Benjamini-Hochberg), the one-sample Kolmogorov-Smirnov test against
 * Uniform(0, 1), Clopper-Pearson bounds, and p-value formatting.
 * All calls are pure and allocation-free (callers pass scratch arrays).
 * Formulas and citations: docs/statistics.md.
 */
#include "hallmark/stats.h"
#include "hallmark/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_internal.h"

/* ---- formatting ------------------------------------------------------------ */

/* Copies src into buf (cap > 0), NUL-terminated; HM_E_LIMIT if cut. */
static int put_str(char *buf, size_t cap, const char *src)
{
    size_t len = strlen(src);
    if (len < cap) {
        memcpy(buf, src, len + 1);
        return HM_OK;
    }
    memcpy(buf, src, cap - 1);
    buf[cap - 1] = '\0';
    return HM_E_LIMIT;
}

int hm_stats_format_p_digits(double ln_p, int digits, char *buf, size_t cap)
{
    char mant[48], out[96];
    long long e10;
    if (!buf || cap == 0)
        return HM_E_MISUSE;
    if (digits < 1 || digits > 17 || isnan(ln_p)) {
        (void)put_str(buf, cap, "nan");
        return HM_E_RANGE;
    }
    if (ln_p == -INFINITY)
        return put_str(buf, cap, "0");
    if (ln_p > 0.0)
        ln_p = 0.0;
    /* Decimal mantissa digits and exponent: "d.ddde+XX". */
    if (ln_p > -700.0) {
        (void)snprintf(mant, sizeof mant, "%.*e", digits - 1, exp(ln_p));
        e10 = 0;
    } else {
        double l10 = ln_p / HM_LN_10;
        if (l10 < -1e18)
            l10 = -1e18;
        double fl = floor(l10);
        double m = pow(10.0, l10 - fl);
        (void)snprintf(mant, sizeof mant, "%.*e", digits - 1, m);
        e10 = (long long)fl;
    }
    char *ep = strchr(mant, 'e');
    if (!ep)
        return put_str(buf, cap, "nan");
    e10 += strtoll(ep + 1, NULL, 10);
    *ep = '\0';
    /* The significant digits without the point. */
    char dig[24];
    size_t nd = 0;
    for (const char *c = mant; *c && nd < sizeof dig - 1; c++)
        if (*c >= '0' && *c <= '9')
            dig[nd++] = *c;
    dig[nd] = '\0';
    while (nd > 1 && dig[nd - 1] == '0')
        dig[--nd] = '\0';
    if (e10 < -4 || e10 >= digits) {
        if (nd > 1)
            (void)snprintf(out, sizeof out, "%c.%se%lld", dig[0], dig + 1, e10);
        else
            (void)snprintf(out, sizeof out, "%ce%lld", dig[0], e10);
    } else if (e10 >= 0) {
        size_t ip = (size_t)e10 + 1, o = 0;
        for (size_t i = 0; i < ip; i++)
            out[o++] = i < nd ? dig[i] : '0';
        if (nd > ip) {
            out[o++] = '.';
            for (size_t i = ip; i < nd; i++)
                out[o++] = dig[i];
        }
        out[o] = '\0';
    } else {
        size_t o = 0;
        out[o++] = '0';
        out[o++] = '.';
        for (long long z = 0; z < -e10 - 1; z++)
            out[o++] = '0';
        for (size_t i = 0; i < nd; i++)
            out[o++] = dig[i];
        out[o] = '\0';
    }
    return put_str(buf, cap, out);
}

int hm_stats_format_p(double ln_p, char *buf, size_t cap)
{
    return hm_stats_format_p_digits(ln_p, 2, buf, cap);
}

/* ---- multiple testing --------------------------------------------------------- */

double hm_stats_bonferroni_logp(double ln_pmin, double m)
{
    if (isnan(ln_pmin) || isnan(m) || m < 1.0 || ln_pmin > 0.0)
        return NAN;
    double r = ln_pmin + log(m);
    return r > 0.0 ? 0.0 : r;
}

double hm_stats_sidak_logp(double ln_pmin, double m)
{
    if (isnan(ln_pmin) || isnan(m) || m < 1.0 || ln_pmin > 0.0)
        return NAN;
    if (ln_pmin == -INFINITY)
        return -INFINITY;
    if (ln_pmin < -700.0) {
        /* 1 - (1-p)^m = m p (1 - (m-1) p / 2 + ...): the correction is
         * below 1e-290 relative here unless m is astronomically large. */
        double p = exp(ln_pmin);
        return ln_pmin + log(m) + log1p(-0.5 * (m - 1.0) * p);
    }
    /* ln(1 - exp(m ln(1 - p))) with ln(1 - p) = log1mexp(ln p). */
    double t = m * hm_stats_log1mexp(ln_pmin);
    return hm_stats_log1mexp(t);
}

/* Ascending by key, ties by index (deterministic). */
static int idx_less(const double *key, size_t a, size_t b)
{
    return key[a] < key[b] || (key[a] == key[b] && a < b);
}

static void sift_down(const double *key, size_t *idx, size_t root, size_t end)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= end)
            return;
        if (child + 1 < end && idx_less(key, idx[child], idx[child + 1]))
            child++;
        if (!idx_less(key, idx[root], idx[child]))
            return;
        size_t t = idx[root];
        idx[root] = idx[child];
        idx[child] = t;
        root = child;
    }
}

/* Heapsort of the indices 0..m-1 by key: O(m log m), no allocation. */
static void sort_indices(const double *key, size_t m, size_t *idx)
{
    size_t i;
    for (i = 0; i < m; i++)
        idx[i] = i;
    for (i = m / 2; i-- > 0;)
        sift_down(key, idx, i, m);
    for (i = m; i-- > 1;) {
        size_t t = idx[0];
        idx[0] = idx[i];
        idx[i] = t;
        sift_down(key, idx, 0, i);
    }
}

static int check_lnp(const double *ln_p, size_t m)
{
    for (size_t i = 0; i < m; i++)
        if (isnan(ln_p[i]) || ln_p[i] > 0.0)
            return HM_E_RANGE;
    return HM_OK;
}

int hm_stats_holm_logp(const double *ln_p, size_t m, double *ln_adj, size_t *work)
{
    if (m == 0)
        return HM_OK;
    if (!ln_p || !ln_adj || !work)
        return HM_E_MISUSE;
    int rc = check_lnp(ln_p, m);
    if (rc != HM_OK)
        return rc;
    sort_indices(ln_p, m, work);
    double run = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        size_t i = work[j];
        double v = ln_p[i] + log((double)(m - j));
        if (v > 0.0)
            v = 0.0;
        if (v > run)
            run = v;
        ln_adj[i] = run;
    }
    return HM_OK;
}

int hm_stats_bh(const double *ln_p, size_t m, double q, double *ln_qval, unsigned char *flags,
                size_t *n_rejected, size_t *work)
{
    if (n_rejected)
        *n_rejected = 0;
    if (isnan(q) || !(q > 0.0) || q > 1.0)
        return HM_E_RANGE;
    if (m == 0)
        return HM_OK;
    if (!ln_p || !work)
        return HM_E_MISUSE;
    int rc = check_lnp(ln_p, m);
    if (rc != HM_OK)
        return rc;
    sort_indices(ln_p, m, work);
    double lm = log((double)m), lq = log(q);
    /* k = the largest rank (1-based) with p_(k) <= k q / m. */
    size_t k = 0;
    for (size_t j = m; j-- > 0;) {
        if (ln_p[work[j]] <= log((double)(j + 1)) + lq - lm) {
            k = j + 1;
            break;
        }
    }
    if (flags)
        for (size_t j = 0; j < m; j++)
            flags[work[j]] = j < k ? 1 : 0;
    if (n_rejected)
        *n_rejected = k;
    if (ln_qval) {
        double run = 0.0;
        for (size_t j = m; j-- > 0;) {
            size_t i = work[j];
            double v = ln_p[i] + lm - log((double)(j + 1));
            if (v < run)
                run = v;
            ln_qval[i] = run;
        }
    }
    return HM_OK;
}

/* ---- Kolmogorov-Smirnov ----------------------------------------------------------- */

double hm_stats_smirnov_logsf(size_t n, double d)
{
    if (n == 0 || isnan(d))
        return NAN;
    if (d <= 0.0)
        return 0.0;
    if (d > 1.0)
        return -INFINITY;
    double dn = (double)n;
    /* Birnbaum & Tingey (1951):
     * P[D+ >= d] = d sum_{j=0}^{floor(n(1-d))} C(n,j) (1-d-j/n)^(n-j) (d+j/n)^(j-1),
     * summed in log space with a running maximum. */
    double jmax = floor(dn * (1.0 - d));
    double lgn1 = hm_stats_lgamma_(dn + 1.0);
    double hi = -INFINITY, s = 0.0;
    for (double j = 0.0; j <= jmax; j += 1.0) {
        double a = 1.0 - d - j / dn;
        if (!(a > 0.0))
            break;
        double lt = lgn1 - hm_stats_lgamma_(j + 1.0) - hm_stats_lgamma_(dn - j + 1.0) + (dn - j) * log(a) +
                    (j - 1.0) * log(d + j / dn);
        if (lt > hi) {
            s = s * exp(hi - lt) + 1.0;
            hi = lt;
        } else {
            s += exp(lt - hi);
        }
    }
    double r = log(d) + hi + log(s);
    return r > 0.0 ? 0.0 : r;
}

/* Largest Durbin matrix handled by ks_mtw_logcdf (n <= 140, n d^2 < 2.2
 * needs at most 2 * 18 - 1 = 35). */
#define MTW_MAX 35

/* C = A B for m x m row-major matrices. */
static void mat_mul(const double *a, const double *b, double *c, int m)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double s = 0.0;
            for (int l = 0; l < m; l++)
                s += a[i * m + l] * b[l * m + j];
            c[i * m + j] = s;
        }
}

/* Rescales a matrix whose largest entry exceeds 1e140; returns the number
 * of 1e140 factors taken out. */
static int mat_rescale(double *a, int m)
{
    double hi = 0.0;
    for (int i = 0; i < m * m; i++)
        if (fabs(a[i]) > hi)
            hi = fabs(a[i]);
    if (hi <= 1e140)
        return 0;
    for (int i = 0; i < m * m; i++)
        a[i] *= 1e-140;
    return 1;
}

/* ln P[D_n < d], exactly, by Durbin's matrix formula as organised by
 * Marsaglia, Tsang & Wang (2003): with k = floor(n d) + 1, m = 2k - 1,
 * h = k - n d, P = n!/n^n (H^n)_{kk} where H_ij = 1/(i-j+1)! (0 when
 * i-j+1 < 0), first column and last row corrected by h^i/i!, and the
 * corner by (2h-1)^m/m! when 2h > 1.  Returns NAN if m > MTW_MAX. */
static double ks_mtw_logcdf(size_t n, double d)
{
    double hm[MTW_MAX * MTW_MAX], rm[MTW_MAX * MTW_MAX], tm[MTW_MAX * MTW_MAX];
    double dn = (double)n;
    double kd = floor(dn * d) + 1.0;
    if (2.0 * kd - 1.0 > (double)MTW_MAX)
        return NAN;
    int k = (int)kd, m = 2 * k - 1;
    double h = kd - dn * d;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            hm[i * m + j] = (i - j + 1 >= 0) ? exp(-hm_stats_lgamma_((double)(i - j + 2))) : 0.0;
    for (int i = 0; i < m; i++) {
        hm[i * m] -= pow(h, (double)(i + 1)) * exp(-hm_stats_lgamma_((double)(i + 2)));
        hm[(m - 1) * m + i] -= pow(h, (double)(m - i)) * exp(-hm_stats_lgamma_((double)(m - i + 1)));
    }
    if (2.0 * h - 1.0 > 0.0)
        hm[(m - 1) * m] += pow(2.0 * h - 1.0, (double)m) * exp(-hm_stats_lgamma_((double)(m + 1)));
    /* R = H^n by binary powering, with 1e140 scale factors counted. */
    long er = 0, eb = 0;
    for (int i = 0; i < m * m; i++)
        rm[i] = 0.0;
    for (int i = 0; i < m; i++)
        rm[i * m + i] = 1.0;
    for (size_t e = n; e > 0; e >>= 1) {
        if (e & 1u) {
            mat_mul(rm, hm, tm, m);
            memcpy(rm, tm, sizeof(double) * (size_t)(m * m));
            er += eb + mat_rescale(rm, m);
        }
        if (e > 1) {
            mat_mul(hm, hm, tm, m);
            memcpy(hm, tm, sizeof(double) * (size_t)(m * m));
            eb = 2 * eb + mat_rescale(hm, m);
        }
    }
    double v = rm[(k - 1) * m + (k - 1)];
    if (!(v > 0.0))
        return -INFINITY;
    return log(v) + (double)er * 140.0 * HM_LN_10 + hm_stats_lgamma_(dn + 1.0) - dn * log(dn);
}

/* P[D_n <= d] by the Pelz & Good (1976) asymptotic expansion
 * K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^(3/2), z = d sqrt(n), in the
 * theta-function form suited to small z (as tabulated by Simard &
 * L'Ecuyer 2011). */
static double ks_pelz_good_cdf(size_t n, double d)
{
    double dn = (double)n, z = d * sqrt(dn);
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
    double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    double w = pi2 / (8.0 * z2);
    if (w > 740.0)
        return 0.0;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, t2 = 0.0, t3 = 0.0;
    for (int k = 1; k <= 40; k++) {
        double mk = (double)(2 * k - 1), m2 = mk * mk, m4 = m2 * m2, m6 = m4 * m2;
        double e = exp(-m2 * w);
        s0 += e;
        s1 += (pi2 * m2 / 4.0 - z2) * e;
        s2 += (6.0 * z6 + 2.0 * z4 + (2.0 * z4 - 5.0 * z2) * pi2 * m2 / 4.0 +
               pi4 * (1.0 - 2.0 * z2) * m4 / 16.0) * e;
        s3 += (-30.0 * z6 - 90.0 * z8 + pi2 * (135.0 * z4 - 96.0 * z6) * m2 / 4.0 +
               pi4 * (212.0 * z4 - 60.0 * z2) * m4 / 16.0 + pi6 * (5.0 - 30.0 * z2) * m6 / 64.0) *
              e;
        double kk = (double)k * (double)k;
        double g = exp(-pi2 * kk / (2.0 * z2));
        t2 += kk * g;
        t3 += (3.0 * z2 - pi2 * kk) * kk * g;
    }
    double r2pi = sqrt(2.0 * M_PI);
    double k0 = r2pi / z * s0;
    double k1 = r2pi / (6.0 * z4) * s1;
    double k2 = r2pi / (72.0 * z6 * z) * s2 - r2pi * pi2 / (36.0 * z3) * t2;
    double k3 = r2pi / (6480.0 * z6 * z4) * s3 + r2pi * pi2 / (216.0 * z6) * t3;
    double sn = sqrt(dn);
    double c = k0 + k1 / sn + k2 / dn + k3 / (dn * sn);
    return c < 0.0 ? 0.0 : (c > 1.0 ? 1.0 : c);
}

/* Heapsort's sift-down of u[root] within the max-heap u[0..end). */
static void sift_down_values(double *u, size_t root, size_t end)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= end)
            break;
        if (c + 1 < end && u[c] < u[c + 1])
            c++;
        if (!(u[root] < u[c]))
            break;
        double t = u[root];
        u[root] = u[c];
        u[c] = t;
        root = c;
    }
}

int hm_stats_ks_uniform(double *u, size_t n, double *d, double *ln_p)
{
    if (!u || !d || n == 0)
        return HM_E_MISUSE;
    for (size_t i = 0; i < n; i++)
        if (isnan(u[i]) || u[i] < 0.0 || u[i] > 1.0)
            return HM_E_RANGE;
    /* Sort u in place (heapsort: no allocation, O(n log n)). */
    for (size_t i = n / 2; i-- > 0;)
        sift_down_values(u, i, n);
    for (size_t end = n; end-- > 1;) {
        double t = u[0];
        u[0] = u[end];
        u[end] = t;
        sift_down_values(u, 0, end);
    }
    double dn = (double)n, dplus = 0.0, dminus = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = (double)(i + 1) / dn - u[i];
        double b = u[i] - (double)i / dn;
        if (a > dplus)
            dplus = a;
        if (b > dminus)
            dminus = b;
    }
    double dd = dplus > dminus ? dplus : dminus;
    *d = dd;
    if (!ln_p)
        return HM_OK;
    double t = dn * dd;
    double lp;
    if (t <= 0.5) {
        lp = 0.0;
    } else if (t <= 1.0) {
        /* Ruben & Gambino (1982): P[D <= d] = n!/n^n (2 n d - 1)^n. */
        double lcdf = hm_stats_lgamma_(dn + 1.0) - dn * log(dn) + dn * log(2.0 * t - 1.0);
        lp = hm_stats_log1mexp(lcdf > 0.0 ? 0.0 : lcdf);
    } else if (t >= dn - 1.0) {
        /* Ruben & Gambino: P[D >= d] = 2 (1 - d)^n. */
        lp = M_LN2 + dn * log1p(-dd);
    } else if (dd >= 0.5 || t * dd >= 2.2) {
        lp = M_LN2 + hm_stats_smirnov_logsf(n, dd);
    } else {
        double lc = n <= 140 ? ks_mtw_logcdf(n, dd) : NAN;
        if (isnan(lc))
            lp = log1p(-ks_pelz_good_cdf(n, dd));
        else
            lp = hm_stats_log1mexp(lc > 0.0 ? 0.0 : lc);
    }
    *ln_p = lp > 0.0 ? 0.0 : lp;
    return HM_OK;
}

/* ---- Clopper-Pearson ------------------------------------------------------------ */

int hm_stats_clopper_pearson(long k, long n, double conf, double *lower, double *upper)
{
    if (n < 1 || k < 0 || k > n || isnan(conf) || !(conf > 0.0) || !(conf < 1.0))
        return HM_E_RANGE;
    double target = log((1.0 - conf) / 2.0);
    if (lower) {
        if (k == 0) {
            *lower = 0.0;
        } else {
            /* ln P[X >= k; p] increases with p. */
            double lo = 0.0, hi = 1.0;
            for (int it = 0; it < 2200; it++) {
                double mid = lo + 0.5 * (hi - lo);
                if (!(mid > lo && mid < hi))
                    break;
                if (hm_stats_binom_logsf(k, n, mid) < target)
                    lo = mid;
                else
                    hi = mid;
            }
            *lower = lo + 0.5 * (hi - lo);
        }
    }
    if (upper) {
        if (k == n) {
            *upper = 1.0;
        } else {
            /* ln P[X <= k; p] decreases with p. */
            double lo = 0.0, hi = 1.0;
            for (int it = 0; it < 2200; it++) {
                double mid = lo + 0.5 * (hi - lo);
                if (!(mid > lo && mid < hi))
                    break;
                if (hm_stats_binom_logcdf(k, n, mid) > target)
                    lo = mid;
                else
                    hi = mid;
            }
            *upper = lo + 0.5 * (hi - lo);
        }
    }
    return HM_OK;
}
