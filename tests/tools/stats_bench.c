/* stats_bench.c - nanoseconds per call of the exact tails (make bench).
 * Prints a table; nothing asserts time. */
#include <stdio.h>
#include <time.h>

#include "hallmark/stats.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define BENCH(label, reps, expr)                                               \
    do {                                                                       \
        volatile double sink = 0.0;                                            \
        double t0 = now_ns();                                                  \
        for (long i_ = 0; i_ < (reps); i_++)                                   \
            sink += (expr);                                                    \
        double dt = (now_ns() - t0) / (double)(reps);                          \
        printf("  %-52s %12.0f ns/call\n", label, dt);                         \
        (void)sink;                                                            \
    } while (0)

int main(void)
{
    printf("stats: exact tails in log space\n");
    BENCH("binom_logsf(k=130, n=200, p=0.5) upper tail", 200000,
          hm_stats_binom_logsf(130 + (i_ & 1), 200, 0.5));
    BENCH("binom_logsf(k=100, n=200, p=0.5) centre", 200000,
          hm_stats_binom_logsf(100 + (i_ & 1), 200, 0.5));
    BENCH("binom_logsf(k=n/2+1e5, n=1e9, p=0.5) 6 sd", 200,
          hm_stats_binom_logsf(500100000L + (i_ & 1), 1000000000L, 0.5));
    BENCH("binom_logsf(k=n/2, n=1e9, p=0.5) centre", 50,
          hm_stats_binom_logsf(500000000L + (i_ & 1), 1000000000L, 0.5));
    BENCH("gamma_logsf(x=260, shape=200) upper", 200000,
          hm_stats_gamma_logsf(260.0 + (double)(i_ & 1), 200.0));
    BENCH("gamma_logsf(x=190, shape=200) lower side", 200000,
          hm_stats_gamma_logsf(190.0 + (double)(i_ & 1), 200.0));
    BENCH("gamma_logsf(x=1.2e9, shape=1e9) far tail", 200000,
          hm_stats_gamma_logsf(1.2e9 + (double)(i_ & 1), 1e9));
    BENCH("gamma_logsf(x=1e9+3e4, shape=1e9) ~1 sd", 100,
          hm_stats_gamma_logsf(1e9 + 3e4 + (double)(i_ & 1), 1e9));
    BENCH("gamma_logsf(x=1e9-3e4, shape=1e9) -1 sd", 20,
          hm_stats_gamma_logsf(1e9 - 3e4 + (double)(i_ & 1), 1e9));
    BENCH("gamma_logsf(x=1e6-1e3, shape=1e6) -1 sd", 200,
          hm_stats_gamma_logsf(1e6 - 1e3 + (double)(i_ & 1), 1e6));
    BENCH("normal_logsf(z=4)", 1000000, hm_stats_normal_logsf(4.0 + (double)(i_ & 1)));
    BENCH("normal_logsf(z=100)", 1000000, hm_stats_normal_logsf(100.0 + (double)(i_ & 1)));
    return 0;
}
