/*
 * calib_interop.c - calibration rows for the SynthID key-set test and the
 * vLLM dual-key tail on human text (tests/data, built by `make deps`).
 *
 *   calib_interop [--keysets K] [--docs D] [--doc-len L] [--vllm-keys V]
 *                 [--null-samples N] [--seed S]
 *
 * SynthID: K random fixed key sets of 30 layer keys (the reference's depth),
 * each scoring the same D documents of L tokens.  One row per key set, the
 * worst key set (highest observed FPR at 1e-2) and all key sets pooled.  For
 * each key set it also prints (as "# nominal" comment lines) what the
 * binomial g-count test it replaced gives on the same documents, and that
 * test's false-positive rate predicted from the key set's own null: the
 * reproduction of the miscalibration.
 * vLLM dual_key_gumbel: at several alpha, V fresh random keys per document;
 * the statistic is continuous, so the row also carries a KS test.
 *
 * Rows: "calib: <name> n=<N> fpr@1e-2=<r> ci999=[lo,hi] fpr@1e-3=<r>
 * ci999=[lo,hi] ks_p=<p|na> PASS|FAIL" (docs/calibration.md).  A row FAILs
 * when the lower 99.9% Clopper-Pearson end exceeds alpha at either alpha,
 * or KS p < 1e-3 for a continuous statistic.  Exit status 1 when any row
 * FAILs, 2 on an error.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/detect.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "detect_internal.h" /* hm_detector_pooled_test */

/* calib_corpus.h expects the test harness's two helpers */
static char g_root[2048];
static char g_path[3072];
const char *hm_test_path(const char *rel);
void hm_test_fail(const char *file, int line, const char *fmt, ...);
const char *hm_test_path(const char *rel)
{
    snprintf(g_path, sizeof g_path, "%s/%s", g_root, rel);
    return g_path;
}
void hm_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
#include "calib_corpus.h"

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct row {
    size_t n, k2, k3; /* documents, p <= 1e-2, p <= 1e-3 */
} row;

static int g_fail = 0;

/* the known bad key set: row "synthid-bad-keyset" */
#include "synthid_bad_keys.h"

/* Prints one row; p holds n p-values (may be NULL when !continuous). */
static void print_row(const char *name, const row *r, double *p, int continuous)
{
    double lo2, hi2, lo3, hi3, ks_d = 0, ln_ks = 0;
    int pass;
    char ks[32];
    if (r->n == 0) {
        printf("calib: %s n=0 (no documents scored) FAIL\n", name);
        g_fail = 1;
        return;
    }
    hm_stats_clopper_pearson((long)r->k2, (long)r->n, 0.999, &lo2, &hi2);
    hm_stats_clopper_pearson((long)r->k3, (long)r->n, 0.999, &lo3, &hi3);
    pass = lo2 <= 1e-2 && lo3 <= 1e-3;
    if (continuous && p) {
        hm_stats_ks_uniform(p, r->n, &ks_d, &ln_ks);
        snprintf(ks, sizeof ks, "%.3g", exp(ln_ks));
        if (!(ln_ks >= log(1e-3))) pass = 0;
    } else {
        snprintf(ks, sizeof ks, "na");
    }
    printf("calib: %s n=%zu fpr@1e-2=%.5f ci999=[%.5f,%.5f] fpr@1e-3=%.5f ci999=[%.5f,%.5f] "
           "ks_p=%s %s\n",
           name, r->n, (double)r->k2 / (double)r->n, lo2, hi2, (double)r->k3 / (double)r->n, lo3,
           hi3, ks, pass ? "PASS" : "FAIL");
    if (!pass) g_fail = 1;
}

static void tally(row *r, double ln_p)
{
    r->n++;
    r->k2 += ln_p <= log(1e-2);
    r->k3 += ln_p <= log(1e-3);
}

/* The nominal binomial's critical count at alpha for m n trials: the
 * smallest k with P[Bin(m n, 1/2) >= k] <= alpha. */
static uint64_t nominal_crit(uint64_t trials, double alpha)
{
    uint64_t lo = trials / 2, hi = trials + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (hm_stats_binom_logsf((long)mid, (long)trials, 0.5) <= log(alpha))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int main(int argc, char **argv)
{
    size_t K = 24, D = 0, L = 200, V = 8, i, ks, d;
    uint64_t N = 0, seed = 20261206;
    const char *files[] = {"devil.txt", "wordnet-records.txt", "wordnet-verbs.txt"};
    const double alphas[] = {0.1, 0.25, 0.4, 0.5};
    calib_corpus all = {NULL, 0};
    row worst = {0, 0, 0}, pooled = {0, 0, 0};
    size_t worst_k = 0;
    const char *root = getenv("HM_TEST_DIR");
    char name[128], np[64];
    for (i = 1; i < (size_t)argc; i++) {
        const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "calib_interop: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--keysets") == 0) K = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--docs") == 0) D = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--doc-len") == 0) L = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--vllm-keys") == 0) V = (size_t)strtoull(v, NULL, 10);
        else if (strcmp(a, "--null-samples") == 0) N = strtoull(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0) seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "calib_interop: unknown option %s (valid: --keysets --docs "
                            "--doc-len --vllm-keys --null-samples --seed)\n", a);
            return 2;
        }
        i++;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* rows appear as they are computed */
    snprintf(g_root, sizeof g_root, "%s", root ? root : "tests");
    /* the three human sources, concatenated; documents of L tokens */
    for (i = 0; i < 3; i++) {
        calib_corpus c;
        int st = calib_corpus_load(files[i], 0, &c);
        uint32_t *nx;
        if (st != HM_OK) {
            fprintf(stderr, "calib_interop: tests/data/%s not loaded (status %d): run `make deps`\n",
                    files[i], st);
            return 2;
        }
        nx = realloc(all.ids, (all.n + c.n) * sizeof *nx);
        if (!nx) return 2;
        memcpy(nx + all.n, c.ids, c.n * sizeof *nx);
        all.ids = nx;
        all.n += c.n;
        calib_corpus_free(&c);
    }
    if (L < 8) L = 8;
    if (D == 0 || D > all.n / L) D = all.n / L;
    printf("# calib_interop: %zu documents of %zu tokens from tests/data (devil, wordnet), "
           "%zu SynthID key sets, %zu vLLM keys, seed %" PRIu64 "\n", D, L, K, V, seed);
    np[0] = 0;
    if (N) snprintf(np, sizeof np, "null_samples=%" PRIu64, N);

    /* ---- SynthID: fixed key sets ---- */
    for (ks = 0; ks <= K; ks++) { /* ks == K: the known bad key set */
        char keys[1024];
        size_t off = 0, l;
        const char *params[2];
        hm_detector *det = NULL;
        row r = {0, 0, 0}, nom = {0, 0, 0};
        double pred = -INFINITY, n_mean = 0;
        uint64_t kseed = seed * 1000003u + ks;
        off += (size_t)snprintf(keys + off, sizeof keys - off, "keys=[");
        for (l = 0; l < 30; l++)
            off += (size_t)snprintf(keys + off, sizeof keys - off, "%s%" PRId64, l ? "," : "",
                                    (int64_t)splitmix(&kseed));
        snprintf(keys + off, sizeof keys - off, "]");
        if (ks == K) snprintf(keys, sizeof keys, "%s", BAD_KEYS);
        params[0] = keys;
        params[1] = np;
        if (hm_detector_new(&det, "synthid", NULL, params, N ? 2 : 1, 0, NULL) != HM_OK) {
            fprintf(stderr, "calib_interop: synthid detector\n");
            return 2;
        }
        for (d = 0; d < D; d++) {
            hm_detect_result res;
            if (hm_detect(det, NULL, 0, all.ids + d * L, L, &res, NULL) != HM_OK) return 2;
            if (res.n_scored == 0) continue;
            tally(&r, res.ln_p);
            tally(&nom, hm_stats_binom_logsf((long)res.score, (long)res.trials, 0.5));
            n_mean += (double)res.n_scored;
        }
        /* the nominal test's FPR at 1e-2 predicted by the key set's null,
         * for a document of the mean scored length */
        if (r.n) {
            hm_detect_result res;
            uint64_t nn = (uint64_t)llround(n_mean / (double)r.n), crit;
            if (hm_detect(det, NULL, 0, all.ids, L, &res, NULL) == HM_OK && res.n_scored) {
                /* the detector's estimate is exposed through ln_p_estimate: the
                 * tail at the nominal critical value, via a pooled test */
                hm_detect_result q;
                crit = nominal_crit(30 * nn, 1e-2);
                if (hm_detector_pooled_test(det, (double)crit, nn, 30, &q) == HM_OK)
                    pred = q.ln_p_estimate;
            }
        }
        if (ks == K)
            snprintf(name, sizeof name, "synthid-bad-keyset");
        else
            snprintf(name, sizeof name, "synthid-keyset-%02zu", ks);
        print_row(name, &r, NULL, 0);
        printf("# nominal binomial g-count test (replaced) on %s: n=%zu "
               "fpr@1e-2=%.5f fpr@1e-3=%.5f; predicted fpr@1e-2 from the key set's null "
               "(%.0f scored positions) %.4f\n",
               name, nom.n, nom.n ? (double)nom.k2 / (double)nom.n : 0,
               nom.n ? (double)nom.k3 / (double)nom.n : 0, r.n ? n_mean / (double)r.n : 0,
               exp(pred));
        if (ks == K) {
            hm_detector_free(det);
            break;
        }
        pooled.n += r.n;
        pooled.k2 += r.k2;
        pooled.k3 += r.k3;
        if (ks == 0 || r.k2 * worst.n > worst.k2 * r.n) {
            worst = r;
            worst_k = ks;
        }
        hm_detector_free(det);
    }
    if (K) {
        snprintf(name, sizeof name, "synthid-worst-of-%zu-keysets(keyset-%02zu)", K, worst_k);
        print_row(name, &worst, NULL, 0);
        snprintf(name, sizeof name, "synthid-all-%zu-keysets", K);
        print_row(name, &pooled, NULL, 0);
    }

    /* ---- vLLM dual_key_gumbel ---- */
    for (i = 0; i < sizeof alphas / sizeof alphas[0] && V; i++) {
        double *p = malloc(D * V * sizeof *p);
        row r = {0, 0, 0};
        size_t k;
        uint64_t vseed = seed ^ 0x766c6c6dull;
        if (!p) return 2;
        /* a fresh key for every (document, repetition): with one key, two
         * documents that share a (context, token) tuple share its score, so
         * their p-values are dependent and the KS test would be testing the
         * corpus's overlap, not the p-value (Philox is a PRF: no key is
         * special, unlike SynthID's key sets) */
        for (d = 0; d < D; d++) {
            for (k = 0; k < V; k++) {
                char pk[64], pa[48];
                const char *params[3];
                hm_detector *det = NULL;
                hm_detect_result res;
                snprintf(pk, sizeof pk, "key=%" PRIu64, splitmix(&vseed));
                snprintf(pa, sizeof pa, "alpha=%.17g", alphas[i]);
                params[0] = pk;
                params[1] = pa;
                params[2] = "algorithm=dual_key_gumbel";
                if (hm_detector_new(&det, "vllm", NULL, params, 3, 0, NULL) != HM_OK) {
                    fprintf(stderr, "calib_interop: vllm detector\n");
                    free(p);
                    return 2;
                }
                if (hm_detect(det, NULL, 0, all.ids + d * L, L, &res, NULL) != HM_OK) return 2;
                hm_detector_free(det);
                if (res.n_scored == 0) continue;
                p[r.n] = exp(res.ln_p);
                tally(&r, res.ln_p);
            }
        }
        snprintf(name, sizeof name, "vllm-dual-key-alpha%g", alphas[i]);
        qsort(p, r.n, sizeof *p, cmp_double);
        print_row(name, &r, p, 1);
        free(p);
    }
    calib_corpus_free(&all);
    return g_fail ? 1 : 0;
}
