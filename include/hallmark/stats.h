/*
 * hallmark/stats.h - exact statistics in log space.
 *
 * The verifying side turns scores into p-values.  Watermark evidence is often
 * far beyond what a double can hold as a probability (p = 1e-4000 is common
 * for a long text), so every tail probability here is returned as its natural
 * logarithm ("ln p"), computed without underflow and without any floor.
 * docs/statistics.md gives the formulas, their citations, the accuracy
 * measured against scipy/mpmath and the edge-case rules.
 *
 * Common rules for every call in this header:
 *  - Pure functions: no allocation, no global state, no I/O.  Thread-safe.
 *  - A NaN argument gives a NaN result (or HM_E_RANGE for calls returning a
 *    status).  A log-probability is never positive; ln p == 0.0 means p == 1
 *    and -INFINITY means p == 0.
 *  - The tail functions are accurate to a relative error of 1e-9 in ln p
 *    (measured worst case in docs/statistics.md), both deep in the tails
 *    (ln p of -1e6) and near the centre where ln p is close to 0.
 *  - Cost: O(1) in the tails; near the centre of a binomial the exact
 *    summation takes O(sqrt(npq)) steps (1.6e5 steps, ~1 ms, for n = 1e9,
 *    p = 1/2); the gamma tails take O(1) steps for x >= shape and
 *    O(sqrt(shape)) steps just below it (~1 ms at shape 1e9, -1 sd).
 *  - Counts (k, n) are exact as doubles up to 2^53; the accuracy figures
 *    were measured for n up to 1e9 and shapes from 1e-3 to 1e9.
 *
 * Since 0.1.0 for every call.
 */
#ifndef HALLMARK_STATS_H
#define HALLMARK_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

/* ---- binomial ---------------------------------------------------------- */

/* ln P[X >= k] for X ~ Binomial(n, p).
 * k <= 0 gives 0.0 (log 1); k > n gives -INFINITY; p == 0 gives -INFINITY
 * for k >= 1; p == 1 gives 0.0 for k <= n.  n < 0, p outside [0, 1] or NaN
 * p give NaN.  Since 0.1.0. */
HM_API double hm_stats_binom_logsf(long k, long n, double p);

/* ln P[X <= k] for X ~ Binomial(n, p) (equals hm_stats_binom_logsf(k + 1,
 * n, p) complemented, but computed without cancellation).  k < 0 gives
 * -INFINITY, k >= n gives 0.0.  Same NaN rules.  Since 0.1.0. */
HM_API double hm_stats_binom_logcdf(long k, long n, double p);

/* ln P[X == k] for X ~ Binomial(n, p) (Loader's saddle-point form).  k < 0
 * or k > n gives -INFINITY.  Same NaN rules.  Since 0.1.0. */
HM_API double hm_stats_binom_logpmf(long k, long n, double p);

/* ---- gamma / Poisson --------------------------------------------------- */

/* ln P[G >= x] for G ~ Gamma(shape, 1): the log of the regularized upper
 * incomplete gamma function Q(shape, x), for any real shape > 0.
 * x <= 0 gives 0.0; x == +INFINITY gives -INFINITY; shape <= 0, infinite
 * shape or NaN arguments give NaN.  Since 0.1.0. */
HM_API double hm_stats_gamma_logsf(double x, double shape);

/* ln P[G <= x] for G ~ Gamma(shape, 1): the log of the regularized lower
 * incomplete gamma function P(shape, x).  x <= 0 gives -INFINITY,
 * x == +INFINITY gives 0.0; same NaN rules.  Since 0.1.0. */
HM_API double hm_stats_gamma_logcdf(double x, double shape);

/* ---- normal -------------------------------------------------------------- */

/* ln P[Z >= z] for Z ~ Normal(0, 1), accurate deep into the upper tail
 * (z = 1e5 gives about -5e9) and for z << 0 (where it is -P[Z < z]).
 * z == -INFINITY gives 0.0, +INFINITY gives -INFINITY, NaN gives NaN.
 * Since 0.1.0. */
HM_API double hm_stats_normal_logsf(double z);

/* ln P[Z <= z] for Z ~ Normal(0, 1) (= hm_stats_normal_logsf(-z)).
 * Since 0.1.0. */
HM_API double hm_stats_normal_logcdf(double z);

/* ---- log-space helpers -------------------------------------------------- */

/* ln(sum_i exp(x[i])) for i < n, without overflow or underflow.  n == 0 or
 * all -INFINITY gives -INFINITY; any +INFINITY gives +INFINITY; any NaN gives
 * NaN.  x may be NULL when n == 0.  Since 0.1.0. */
HM_API double hm_stats_logsumexp(const double *x, size_t n);

/* ln(exp(a) + exp(b)), same rules as hm_stats_logsumexp.  Since 0.1.0. */
HM_API double hm_stats_logaddexp(double a, double b);

/* ln(1 - exp(x)) for x <= 0, i.e. the log of the complement of the
 * probability exp(x), accurate for all x (Maechler 2012).  x == 0 gives
 * -INFINITY, x == -INFINITY gives 0.0, x > 0 or NaN gives NaN.
 * Since 0.1.0. */
HM_API double hm_stats_log1mexp(double x);

/* log10(p) from ln p: ln_p / ln(10).  Since 0.1.0. */
HM_API double hm_stats_log10_p(double ln_p);

/* Writes p = exp(ln_p) as text with 2 significant digits, in the style of
 * printf("%.2g") but with no exponent padding and no underflow:
 * "1", "0.5", "0.012", "0.00012", "1.2e-05" is written "1.2e-5", and
 * "3.4e-4000" for ln_p = -9209.4.  ln_p == -INFINITY writes "0"; ln_p > 0
 * (rounding noise) is clamped and writes "1".  Rounding is to nearest in the
 * decimal mantissa (e.g. 9.96e-31 becomes "1e-30").
 * Returns HM_OK; HM_E_MISUSE if buf is NULL or cap == 0; HM_E_RANGE for NaN
 * ln_p (writes "nan"); HM_E_LIMIT if cap is too small (the text is then
 * truncated and NUL-terminated).  32 bytes always suffice.  Since 0.1.0. */
HM_API int hm_stats_format_p(double ln_p, char *buf, size_t cap);

/* As hm_stats_format_p with `digits` significant digits (1 .. 17).
 * HM_E_RANGE for digits outside that range.  Since 0.1.0. */
HM_API int hm_stats_format_p_digits(double ln_p, int digits, char *buf, size_t cap);

/* ---- multiple testing (all in log space) ---------------------------------- */

/* Bonferroni-adjusted ln p for the minimum of m p-values:
 * ln min(1, m * p_min).  m >= 1 (real, so an effective number of tests may
 * be used); m < 1 or NaN gives NaN.  Since 0.1.0. */
HM_API double hm_stats_bonferroni_logp(double ln_pmin, double m);

/* Sidak-adjusted ln p for the minimum of m independent p-values:
 * ln(1 - (1 - p_min)^m), computed with log1p/expm1 so that it stays exact
 * for p_min far below 1e-308 (where it equals ln m + ln p_min).  m >= 1
 * (real); otherwise NaN.  Since 0.1.0. */
HM_API double hm_stats_sidak_logp(double ln_pmin, double m);

/* Holm (1979) step-down adjusted p-values: ln_adj[i] is the log of
 * min(1, max_{j <= r(i)} (m - j + 1) p_(j)), where r(i) is the rank of
 * ln_p[i] in ascending order.  The result is monotone in the input, ties get
 * equal adjusted values, and -INFINITY stays -INFINITY.  `work` is caller
 * scratch of m size_t entries (keeps the call allocation-free); ln_adj may
 * alias ln_p.  Returns HM_OK; HM_E_MISUSE for NULL pointers with m > 0;
 * HM_E_RANGE if an input is NaN or positive.  Since 0.1.0. */
HM_API int hm_stats_holm_logp(const double *ln_p, size_t m, double *ln_adj, size_t *work);

/* Benjamini-Hochberg (1995) at false-discovery level q (0 < q <= 1).
 * ln_qval (optional, may be NULL; may alias ln_p) receives the log of the
 * BH-adjusted q-values min(1, min_{j >= r(i)} m p_(j) / j); flags (optional)
 * receives 1 for each hypothesis rejected at level q (the k smallest, where
 * k is the largest rank with p_(k) <= k q / m, ties included) and 0 for the
 * rest; *n_rejected (optional) the number of rejections.  `work` is caller
 * scratch of m size_t entries.  Returns HM_OK; HM_E_MISUSE for NULL ln_p or
 * work with m > 0; HM_E_RANGE for NaN or positive inputs or q outside
 * (0, 1].  Since 0.1.0. */
HM_API int hm_stats_bh(const double *ln_p, size_t m, double q, double *ln_qval,
                       unsigned char *flags, size_t *n_rejected, size_t *work);

/* ---- goodness of fit and confidence bounds -------------------------------- */

/* One-sample two-sided Kolmogorov-Smirnov test of u[0..n-1] against
 * Uniform(0, 1).  The values are sorted in place (u is modified).
 * *d receives D = max(D+, D-); *ln_p (optional) the log of its p-value:
 * the exact Ruben-Gambino closed forms when n D <= 1 or n D >= n - 1;
 * 2 x the exact one-sided Smirnov tail (Birnbaum-Tingey sum, in log space,
 * so it does not underflow) when n D^2 >= 2.2 or D >= 0.5, where the
 * neglected two-sided overlap is below 2e-6 relative; otherwise, in the
 * central region (p above about 0.02), the exact Durbin matrix method of
 * Marsaglia-Tsang-Wang (2003) for n <= 140 and the Pelz-Good (1976)
 * asymptotic series for larger n (absolute error of p below 1e-5; see
 * docs/statistics.md).  Uses up to 30 KB of stack (the Durbin matrices)
 * and O(n log n) time (O(n) lgamma calls in the Smirnov region).
 * Returns HM_OK; HM_E_MISUSE for NULL u or d or
 * n == 0; HM_E_RANGE if a value is NaN or outside [0, 1].  Since 0.1.0. */
HM_API int hm_stats_ks_uniform(double *u, size_t n, double *d, double *ln_p);

/* ln of the exact one-sided Smirnov tail P[D+_n >= d] for n uniform
 * samples (Birnbaum & Tingey 1951).  d <= 0 gives 0.0, d > 1 gives
 * -INFINITY; n == 0 or NaN d gives NaN.  O(n) time.  Since 0.1.0. */
HM_API double hm_stats_smirnov_logsf(size_t n, double d);

/* Exact two-sided Clopper-Pearson (1934) confidence interval for a binomial
 * proportion after k successes in n trials, at confidence level `conf`
 * (e.g. 0.99): lower solves P[X >= k; p] = (1-conf)/2 (0 when k == 0) and
 * upper solves P[X <= k; p] = (1-conf)/2 (1 when k == n), by bisection on
 * the exact tails above.  Either output pointer may be NULL.  Returns HM_OK;
 * HM_E_RANGE unless 0 <= k <= n, n >= 1 and 0 < conf < 1.  Since 0.1.0. */
HM_API int hm_stats_clopper_pearson(long k, long n, double conf, double *lower,
                                    double *upper);

/* ---- engine-specific exact tails (verify/stats_exact.c) ---------------- */

/* ln P[(1-alpha) X + alpha Y >= x] for X, Y independent Gamma(n, 1): the
 * exact null tail of vLLM's dual-key score sum over n positions.  Computed
 * as the negative-binomial mixture of gamma tails (Moschopoulos 1985) with
 * positive terms only and proven truncation bounds; same accuracy target as
 * the tails above (1e-9 relative in ln p, measured against mpmath in
 * tests/vectors/stats_dualgamma.txt).  alpha in {0, 1} is Gamma(n, 1) and
 * alpha == 1/2 is Gamma(2n, 1) at 2x.  n == 0 or x <= 0 gives 0.0; NaN x or
 * alpha, alpha outside [0, 1], 0 < min(alpha, 1 - alpha) < 1e-3 (where the
 * series would need ~sqrt(n)/alpha terms) or n < 0 gives NaN.  O(number of mixture terms
 * carrying 1 - 1e-18 of the sum): about 10 sqrt(n)/alpha near the centre,
 * more deep in the upper tail.  Since 0.1.0. */
HM_API double hm_stats_dualgamma_logsf(double x, long n, double alpha);
/* ln P[(1-alpha) X + alpha Y <= x], the complement.  Since 0.1.0. */
HM_API double hm_stats_dualgamma_logcdf(double x, long n, double alpha);
/* Where hm_stats_dualgamma_logsf gives NaN for 0 < min(alpha, 1-alpha) <
 * 1e-3: a proven upper bound on the same tail (a valid, conservative
 * p-value), min over c of P[lo Y >= c] + P[hi X >= x - c]; elsewhere the
 * exact value.  Since 0.1.0. */
HM_API double hm_stats_dualgamma_bound_logsf(double x, long n, double alpha);

/* ln P[T >= k] for T the sum of n independent copies of an integer variable
 * with ln P[V = j] = ln_pmf[j], j = 0..m (normalised here; -INFINITY for
 * impossible values), by an exponentially tilted FFT convolution: exact up
 * to rounding (relative error of p about 1e-12, docs/statistics.md).
 * Allocates O(min(m n, m sqrt(n))) doubles.  Returns HM_OK; HM_E_MISUSE for
 * NULL pointers or m > 4096; HM_E_RANGE for a NaN or positive ln_pmf or an
 * all-impossible pmf; HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_stats_lattice_logsf(const double *ln_pmf, size_t m, uint64_t n, uint64_t k,
                                  double *ln_p);

HM_END_DECLS

#endif /* HALLMARK_STATS_H */
