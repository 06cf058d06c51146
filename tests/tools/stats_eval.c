/* stats_eval.c - checks records in the stats_tails.txt format read from
 * stdin (e.g. a fresh random grid from gen_stats_vectors.py --random)
 * against the library: prints "# worst ..." per kind and each record whose
 * relative error of ln p exceeds 1e-9; exits 1 if there was one, 2 on a
 * malformed record.  Used by tests/cli/test_stats_scipy.sh. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hallmark/stats.h"

int main(void)
{
    char line[512], kind[32];
    double worst[5] = {0};
    static const char *kinds[5] = {"binom_sf", "binom_cdf", "gamma_sf", "gamma_cdf", "normal_sf"};
    int bad = 0, count = 0;
    while (fgets(line, sizeof line, stdin)) {
        long k, n;
        double a, b, want, got;
        int ki = -1;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%31s", kind) != 1)
            return 2;
        for (int i = 0; i < 5; i++)
            if (strcmp(kind, kinds[i]) == 0)
                ki = i;
        if (ki < 0)
            return 2;
        if (ki <= 1) {
            if (sscanf(line, "%*s %ld %ld %lf %lf", &k, &n, &a, &want) != 4)
                return 2;
            got = ki == 0 ? hm_stats_binom_logsf(k, n, a) : hm_stats_binom_logcdf(k, n, a);
        } else if (ki <= 3) {
            if (sscanf(line, "%*s %lf %lf %lf", &a, &b, &want) != 3)
                return 2;
            got = ki == 2 ? hm_stats_gamma_logsf(a, b) : hm_stats_gamma_logcdf(a, b);
        } else {
            if (sscanf(line, "%*s %lf %lf", &a, &want) != 2)
                return 2;
            got = hm_stats_normal_logsf(a);
        }
        double e = got == want ? 0.0 : fabs(got - want) / fabs(want);
        if (!(e <= 1e-9)) {
            printf("# rel err %.3g, got %.17g: %s", e, got, line);
            bad = 1;
        }
        if (e > worst[ki] || isnan(e))
            worst[ki] = e;
        count++;
    }
    for (int i = 0; i < 5; i++)
        printf("# %-9s worst relative error %.3g\n", kinds[i], worst[i]);
    printf("# %d records\n", count);
    return count == 0 ? 2 : bad;
}
