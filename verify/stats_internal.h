/*
 * stats_internal.h - private helpers shared by the stats_*.c modules:
 * Loader's deviance (bd0) and Stirling-error terms and the log-space
 * complement.  Not installed.
 */
#ifndef HM_STATS_INTERNAL_H
#define HM_STATS_INTERNAL_H

/* ln(sqrt(2 pi)) */
#define HM_LN_SQRT_2PI 0.918938533204672741780329736406
/* ln(2 pi) */
#define HM_LN_2PI 1.83787706640934548356065947281
/* ln(10) */
#define HM_LN_10 2.30258509299404568401799145468

/* ln|Gamma(x)| via lgamma_r: plain lgamma() writes the global `signgam`,
 * which would make these functions racy across threads. */
double hm_stats_lgamma_(double x);
/* Stirling error: ln Gamma(a + 1) - (a + 1/2) ln a + a - ln sqrt(2 pi), a > 0. */
double hm_stats_stirlerr_(double a);
/* Deviance term x ln(x / m) + m - x for x >= 0, m > 0 (Loader 2000). */
double hm_stats_bd0_(double x, double m);
/* ln(x^a e^-x / Gamma(a + 1)) for a > 0, x > 0, without cancellation
 * (Loader's form for a >= 15): the Poisson-like term by which the
 * regularized gamma tails step between shapes a and a + 1. */
double hm_stats_gamma_logd_(double a, double x);

#endif /* HM_STATS_INTERNAL_H */
