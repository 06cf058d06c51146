/* test_calibration.c - calibration of every registered scheme's detector on
 * human-written text (the Devil's Dictionary and WordNet verb glosses,
 * tests/data/build-corpus.sh), never watermarked and never seen by the
 * sample model.  Each document of DOC_LEN tokens is scored under REPS fresh
 * random keys (fixed seeds), so every p-value comes from its own key and the
 * p-values are independent under H0.  With deduplication on (the scheme's
 * default), per scheme:
 *   - the reported p is valid: P[p <= alpha] <= alpha, i.e. the lower end
 *     of the Clopper-Pearson 99% interval of the empirical FPR is <= alpha,
 *     at alpha = 1e-2 and 1e-3 (binomial p-values are discrete, hence
 *     conservative, so only this side holds for them);
 *   - the randomized probability integral transform u (= p for continuous
 *     tests; P[X > x] + U P[X = x] for binomial ones) is exactly Uniform(0,1)
 *     under H0: its FPR at both alphas lies in the Clopper-Pearson 99%
 *     interval (two-sided) and its Kolmogorov-Smirnov p-value exceeds 1e-3;
 *   - the reported p equals the exact tail computed from the statistic.
 * With deduplication off, the same numbers are measured (not asserted) on
 * prose, on glosses and on templated text (WordNet's raw records), and
 * printed for docs/calibration.md. */
#include "calib_corpus.h"
#include "detect_internal.h"
#include "hallmark/detect.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "harness.h"
#include "prf.h"
#include "sampler.h"
#include "scheme.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

enum { KEY_NATIVE = 0, KEY_VLLM = 1, KEY_SGLANG = 2, KEY_SYNTHID = 3 };

typedef struct calib_scheme {
    const char *label;
    const char *scheme;
    const char *params[4];
    size_t np;
    int key_kind;
} calib_scheme;

/* Every native scheme, and the interop profiles when registered (their key
 * is a parameter; a profile missing from the registry is reported and
 * skipped). */
static const calib_scheme SCHEMES[] = {
    {"kgw-selfhash", "kgw", {"seeding=selfhash"}, 1, KEY_NATIVE},
    {"kgw-lefthash", "kgw", {"seeding=lefthash", "h=1"}, 2, KEY_NATIVE},
    {"unigram", "unigram", {NULL}, 0, KEY_NATIVE},
    {"gumbel", "gumbel", {NULL}, 0, KEY_NATIVE},
    {"vllm", "vllm", {NULL}, 0, KEY_VLLM},
    {"sglang", "sglang", {NULL}, 0, KEY_SGLANG},
    /* a fresh key set per document, so a small Monte Carlo null: the test is
     * then very conservative here; tests/tools/calib_interop.c (make
     * calibrate) measures it with fixed key sets at the default size */
    {"synthid", "synthid", {"null_samples=4096"}, 1, KEY_SYNTHID},
};
#define N_SCHEMES (sizeof SCHEMES / sizeof SCHEMES[0])

static const double ALPHAS[2] = {1e-2, 1e-3};

/* A detector for scheme cs under a fresh key drawn from rng.  Returns the
 * status of hm_detector_new (bad_param as there). */
static int make_detector(const calib_scheme *cs, hm_rng *rng, hm_detector **d, int *bad,
                         uint8_t secret[32])
{
    const char *params[6];
    char keyparam[512];
    size_t np = cs->np, i;
    int st;
    for (i = 0; i < cs->np; i++) params[i] = cs->params[i];
    for (i = 0; i < 4; i++) {
        uint64_t w = hm_rng_next(rng);
        size_t b;
        for (b = 0; b < 8; b++) secret[i * 8 + b] = (uint8_t)(w >> (8 * b));
    }
    switch (cs->key_kind) {
    case KEY_VLLM:
        snprintf(keyparam, sizeof keyparam, "key=%" PRIu64, hm_rng_next(rng));
        params[np++] = keyparam;
        break;
    case KEY_SGLANG:
        snprintf(keyparam, sizeof keyparam, "key=0x%016" PRIx64, hm_rng_next(rng));
        params[np++] = keyparam;
        break;
    case KEY_SYNTHID: {
        size_t off = (size_t)snprintf(keyparam, sizeof keyparam, "keys=[");
        for (i = 0; i < 30 && off < sizeof keyparam - 24; i++)
            off += (size_t)snprintf(keyparam + off, sizeof keyparam - off, "%s%" PRIu64,
                                    i ? "," : "", hm_rng_next(rng) % 1000000u);
        snprintf(keyparam + off, sizeof keyparam - off, "]");
        params[np++] = keyparam;
        break;
    }
    default:
        break;
    }
    if (cs->key_kind == KEY_NATIVE)
        st = hm_detector_new_secret(d, cs->scheme, secret, params, np, 0, bad);
    else
        st = hm_detector_new(d, cs->scheme, NULL, params, np, 0, bad);
    return st;
}

/* 1 when the scheme can be tested here; prints why not otherwise. */
static int scheme_available(const calib_scheme *cs)
{
    hm_rng rng;
    hm_detector *d = NULL;
    int bad = -1, st;
    uint8_t secret[32];
    if (!hm_scheme_find(cs->scheme)) {
        printf("# calib: scheme %s not registered in this build: skipped\n", cs->label);
        return 0;
    }
    hm_rng_seed(&rng, 1);
    st = make_detector(cs, &rng, &d, &bad, secret);
    hm_detector_free(d);
    if (st != HM_OK) {
        printf("# calib: scheme %s rejects the test's parameters (status %d, param %d): "
               "skipped; update SCHEMES in %s\n", cs->label, st, bad, __FILE__);
        return 0;
    }
    return 1;
}

typedef struct calib_out {
    double *p;    /* reported p-values */
    double *u;    /* randomized PIT */
    size_t n;     /* documents x keys with at least one scored position */
    size_t empty; /* with none */
    double mean_scored;
    double max_rel_err; /* reported ln p vs the tail recomputed here */
    int test;           /* hm_test_kind of the last result */
    int conservative;   /* a valid bound, not an exact p (SynthID key-set null) */
} calib_out;

/* KGW selfhash decides green from the pair (m, t) only, m being the
 * min-hash token of the window (the h-1 previous tokens and t itself; see
 * watermark/schemes/kgw.c): when t itself is m, from t alone.  Two distinct
 * (context, token) tuples with the same (m, t) therefore always share their
 * colour, which tuple deduplication does not remove.  This recomputes the
 * test with deduplication on the effective pair (m, t): from the detector's
 * per-position colours (dedup off) and the keyed min-hash H1 of the scheme
 * (first PRF word of (empty context, t), domain 1, top 32 bits). */
static int selfhash_effective(const hm_detector *d, const uint8_t secret[32], const uint32_t *ids,
                              size_t n, size_t h, double gamma, hm_token_detail *det,
                              uint64_t *seen, double *x_out, double *n_out)
{
    hm_prf prf;
    hm_prf_ctx c0;
    hm_detect_result r;
    size_t i, j, n_seen = 0;
    double x = 0;
    int st = hm_detect(d, NULL, 0, ids, n, &r, det);
    (void)gamma;
    if (st != HM_OK) return st;
    st = hm_prf_init(&prf, secret, HM_PRF_SCHEME_KGW);
    if (st != HM_OK) return st;
    hm_prf_context(&prf, &c0, NULL, 0);
    for (i = h - 1; i < n; i++) {
        uint32_t m = ids[i];
        uint32_t mk = (uint32_t)(hm_prf_value(&c0, m, 1) >> 32);
        uint64_t key;
        int dup = 0;
        if (!det[i].counted) continue;
        for (j = i + 1 - h; j < i; j++) {
            uint32_t k = (uint32_t)(hm_prf_value(&c0, ids[j], 1) >> 32);
            if (k < mk || (k == mk && ids[j] < m)) {
                mk = k;
                m = ids[j];
            }
        }
        key = (uint64_t)m << 32 | ids[i];
        for (j = 0; j < n_seen && !dup; j++) dup = seen[j] == key;
        if (dup) continue;
        seen[n_seen++] = key;
        x += det[i].green;
    }
    hm_prf_wipe(&prf);
    *x_out = x;
    *n_out = (double)n_seen;
    return HM_OK;
}

/* Scores n_docs documents of doc_len tokens under reps keys each.  With
 * `effective` (kgw selfhash only), deduplicates on the effective pair. */
static int calib_run(const calib_scheme *cs, const calib_corpus *c, size_t doc_len, size_t n_docs,
                     size_t reps, int dedup, int effective, uint64_t seed, calib_out *o)
{
    hm_rng keys, pit;
    size_t di, r;
    double scored = 0;
    int st = HM_OK;
    hm_token_detail *det = NULL;
    uint64_t *seen = NULL;
    o->n = o->empty = 0;
    o->max_rel_err = 0;
    o->test = 0;
    o->conservative = 0;
    o->p = malloc(n_docs * reps * sizeof *o->p);
    o->u = malloc(n_docs * reps * sizeof *o->u);
    if (effective) {
        det = malloc(doc_len * sizeof *det);
        seen = malloc(doc_len * sizeof *seen);
    }
    if (!o->p || !o->u || (effective && (!det || !seen))) {
        free(det);
        free(seen);
        return HM_E_NOMEM;
    }
    hm_rng_seed(&keys, seed);
    hm_rng_seed(&pit, seed ^ 0x9e3779b97f4a7c15u);
    for (di = 0; di < n_docs && st == HM_OK; di++) {
        const uint32_t *doc = c->ids + di * doc_len;
        for (r = 0; r < reps && st == HM_OK; r++) {
            hm_detector *d = NULL;
            hm_detect_result res;
            uint8_t secret[32];
            double u, lp_check;
            st = make_detector(cs, &keys, &d, NULL, secret);
            if (st == HM_OK && effective) {
                double ex = 0, en = 0;
                st = hm_detector_set_dedup(d, HM_DEDUP_NONE);
                if (st == HM_OK)
                    st = selfhash_effective(d, secret, doc, doc_len, 4, 0.25, det, seen, &ex, &en);
                memset(&res, 0, sizeof res);
                res.test = HM_TEST_KIND_BINOMIAL;
                res.score = ex;
                res.trials = en;
                res.null_param = 0.25;
                res.n_scored = (uint64_t)en;
                res.ln_p = hm_stats_binom_logsf((long)ex, (long)en, 0.25);
            } else {
                if (st == HM_OK && dedup != HM_DEDUP_DEFAULT) st = hm_detector_set_dedup(d, dedup);
                if (st == HM_OK) st = hm_detect(d, NULL, 0, doc, doc_len, &res, NULL);
            }
            memset(secret, 0, sizeof secret);
            hm_detector_free(d);
            if (st != HM_OK) break;
            if (res.n_scored == 0) {
                o->empty++;
                continue;
            }
            scored += (double)res.n_scored;
            o->test = res.test;
            if (res.null_samples) { /* SynthID: a bound from the key set's null */
                lp_check = res.ln_p;
                u = exp(res.ln_p);
                o->conservative = 1;
            } else if (res.test == HM_TEST_KIND_BINOMIAL || res.test == HM_TEST_KIND_GVALUES) {
                long x = (long)res.score, n = (long)res.trials;
                double hi = exp(res.ln_p);
                double lo = x + 1 > n ? 0.0 : exp(hm_stats_binom_logsf(x + 1, n, res.null_param));
                lp_check = hm_stats_binom_logsf(x, n, res.null_param);
                u = lo + hm_rng_unit(&pit) * (hi - lo);
            } else if (res.test == HM_TEST_KIND_GAMMA) {
                lp_check = hm_stats_gamma_logsf(res.score, res.trials);
                u = exp(res.ln_p);
            } else { /* weighted gamma: continuous; no recomputation here */
                lp_check = res.ln_p;
                u = exp(res.ln_p);
            }
            if (lp_check != res.ln_p) {
                double e = fabs(lp_check - res.ln_p) / fmax(fabs(lp_check), 1e-300);
                if (e > o->max_rel_err) o->max_rel_err = e;
            }
            if (u > 1) u = 1;
            if (u < 0) u = 0;
            o->p[o->n] = exp(res.ln_p);
            o->u[o->n] = u;
            o->n++;
        }
    }
    o->mean_scored = o->n ? scored / (double)o->n : 0;
    free(det);
    free(seen);
    return st;
}

static void calib_out_free(calib_out *o)
{
    free(o->p);
    free(o->u);
}

static long count_le(const double *v, size_t n, double a)
{
    long k = 0;
    size_t i;
    for (i = 0; i < n; i++) k += v[i] <= a;
    return k;
}

/* Prints one table row; with `assert_`, checks the criteria of the file
 * comment.  Returns 1 when every criterion holds. */
static int assess(const char *label, const char *source, const char *dedup, calib_out *o,
                  int assert_)
{
    long kp[2], ku[2];
    double lo_p[2], lo_u[2], hi_u[2], d = 0, ln_ks = 0;
    int ok = 1, a;
    if (o->n == 0) return 1;
    for (a = 0; a < 2; a++) {
        kp[a] = count_le(o->p, o->n, ALPHAS[a]);
        ku[a] = count_le(o->u, o->n, ALPHAS[a]);
        hm_stats_clopper_pearson(kp[a], (long)o->n, 0.99, &lo_p[a], NULL);
        hm_stats_clopper_pearson(ku[a], (long)o->n, 0.99, &lo_u[a], &hi_u[a]);
    }
    if (getenv("CALIB_DUMP")) {
        FILE *f = fopen(getenv("CALIB_DUMP"), "a");
        size_t i;
        for (i = 0; f && i < o->n; i++) fprintf(f, "%s %s %s %.17g %.17g\n", label, source, dedup, o->p[i], o->u[i]);
        if (f) fclose(f);
    }
    hm_stats_ks_uniform(o->u, o->n, &d, &ln_ks); /* sorts u */
    printf("# calib: %-13s %-8s dedup=%-5s n=%-6zu tokens/doc=%5.1f  FPR@1e-2 %.5f (rand %.5f)  "
           "FPR@1e-3 %.5f (rand %.5f)  KS(rand) D=%.4f p=%.3g\n",
           label, source, dedup, o->n, o->mean_scored, (double)kp[0] / (double)o->n,
           (double)ku[0] / (double)o->n, (double)kp[1] / (double)o->n,
           (double)ku[1] / (double)o->n, d, exp(ln_ks));
    for (a = 0; a < 2; a++) {
        if (lo_p[a] > ALPHAS[a]) ok = 0;
        if (!o->conservative && !(lo_u[a] <= ALPHAS[a] && ALPHAS[a] <= hi_u[a])) ok = 0;
    }
    if (!o->conservative && !(ln_ks > log(1e-3))) ok = 0;
    if (assert_ && !ok)
        hm_test_fail(__FILE__, __LINE__,
                     "%s on %s: FPR %ld/%zu at 1e-2, %ld/%zu at 1e-3 (randomized %ld, %ld), "
                     "KS p = %g",
                     label, source, kp[0], o->n, kp[1], o->n, ku[0], ku[1], exp(ln_ks));
    if (assert_ && o->max_rel_err > 1e-9)
        hm_test_fail(__FILE__, __LINE__, "%s: reported ln p differs from the exact tail by %g",
                     label, o->max_rel_err);
    return ok;
}

/* The binomial schemes' calibration can only be asserted when
 * hm_stats_binom_logsf is exact: main's stats snapshot (before the h/stats
 * merge) is off by up to 75% relative in the tails, which by itself breaks
 * the uniformity of binomial p-values.  Values from scipy.stats.binom.sf. */
static int stats_binomial_exact(void)
{
    double a = hm_stats_binom_logsf(45, 100, 0.25), b = hm_stats_binom_logsf(100, 100, 0.25);
    double c = hm_stats_binom_logsf(140, 256, 0.5);
    int ok = fabs(a - log(1.092144423894139e-05)) < 1e-9 * fabs(a) &&
             fabs(b - 100 * log(0.25)) < 1e-9 * fabs(b) &&
             fabs(c - log(0.07521726680064367)) < 1e-9 * fabs(c);
    if (!ok)
        printf("# KNOWN ISSUE: hm_stats_binom_logsf is not exact in this build "
               "(ln P[X>=45; 100, 0.25] = %.12g, exact %.12g): binomial schemes' calibration is "
               "measured but not asserted until the exact stats module is merged\n",
               a, log(1.092144423894139e-05));
    return ok;
}

HM_TEST(calibration_on_human_text_with_dedup)
{
    /* Full run: ~320k tokens = 1,250 documents of 256 tokens, 8 keys each,
     * so ~10,000 p-values per scheme.  Under sanitizers: the first 150 KB
     * of each source, 2 keys per document. */
    const size_t doc_len = 256;
    size_t reps = calib_sanitized() ? 2 : 8, s, n_docs;
    calib_corpus c = {NULL, 0};
    int exact = stats_binomial_exact();
    int st = calib_corpus_load_human(&c, doc_len, calib_sanitized() ? 150000 : 0);
    if (st != HM_OK) {
        calib_corpus_missing("devil.txt + wordnet-verbs.txt", st);
        return;
    }
    n_docs = c.n / doc_len;
    printf("# calib: human corpus %zu tokens, %zu documents of %zu tokens, %zu keys each\n",
           c.n, n_docs, doc_len, reps);
    if (!calib_sanitized()) CHECK(c.n >= 250000); /* >= 1 MB of text */
    for (s = 0; s < N_SCHEMES; s++) {
        calib_out o;
        int selfhash = strcmp(SCHEMES[s].label, "kgw-selfhash") == 0;
        if (!scheme_available(&SCHEMES[s])) continue;
        st = calib_run(&SCHEMES[s], &c, doc_len, n_docs, reps, HM_DEDUP_DEFAULT, 0, 1000 + s, &o);
        CHECK_OK(st);
        if (st == HM_OK) {
            int binomial = o.test == HM_TEST_KIND_BINOMIAL || o.test == HM_TEST_KIND_GVALUES;
            CHECK(o.n > n_docs * reps * 9 / 10);
            /* kgw selfhash included: tuple deduplication is on the scored pair
             * (m, t) since the fix this test prompted (docs/calibration.md) */
            (void)assess(SCHEMES[s].label, "human", "on", &o, binomial ? exact : 1);
        }
        calib_out_free(&o);
        if (selfhash && st == HM_OK) {
            st = calib_run(&SCHEMES[s], &c, doc_len, n_docs, reps, HM_DEDUP_NONE, 1, 1000 + s, &o);
            CHECK_OK(st);
            if (st == HM_OK) assess("kgw-self(m,t)", "human", "eff", &o, exact);
            calib_out_free(&o);
        }
    }
    calib_corpus_free(&c);
}

/* Deduplication off: measured, not asserted (see docs/calibration.md). */
HM_TEST(calibration_dedup_off_is_measured)
{
    static const struct {
        const char *file, *label;
    } SRC[] = {
        {"devil.txt", "devil"},
        {"wordnet-verbs.txt", "glosses"},
        {"wordnet-records.txt", "records"},
    };
    const size_t doc_len = 256;
    size_t reps = calib_sanitized() ? 1 : 4, i, s;
    for (i = 0; i < sizeof SRC / sizeof SRC[0]; i++) {
        calib_corpus c;
        size_t n_docs;
        int st = calib_corpus_load(SRC[i].file, calib_sanitized() ? 60000 : 0, &c);
        if (st != HM_OK) {
            calib_corpus_missing(SRC[i].file, st);
            continue;
        }
        n_docs = c.n / doc_len;
        for (s = 0; s < N_SCHEMES; s++) {
            int pol;
            if (SCHEMES[s].key_kind != KEY_NATIVE && !scheme_available(&SCHEMES[s])) continue;
            if (!hm_scheme_find(SCHEMES[s].scheme)) continue;
            for (pol = 0; pol < 2; pol++) {
                calib_out o;
                int dedup = pol ? HM_DEDUP_NONE : HM_DEDUP_DEFAULT;
                st = calib_run(&SCHEMES[s], &c, doc_len, n_docs, reps, dedup, 0, 5000 + s, &o);
                CHECK_OK(st);
                if (st == HM_OK) assess(SCHEMES[s].label, SRC[i].label, pol ? "off" : "on", &o, 0);
                calib_out_free(&o);
            }
            if (strcmp(SCHEMES[s].label, "kgw-selfhash") == 0) {
                calib_out o;
                st = calib_run(&SCHEMES[s], &c, doc_len, n_docs, reps, HM_DEDUP_NONE, 1, 5000 + s,
                               &o);
                CHECK_OK(st);
                if (st == HM_OK) assess("kgw-self(m,t)", SRC[i].label, "eff", &o, 0);
                calib_out_free(&o);
            }
        }
        calib_corpus_free(&c);
    }
}
