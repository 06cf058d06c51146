/* test_calib_model.c - scheme properties checked with a real language model
 * (the sample n-gram model over cl100k_base, full vocabulary V = 100,277):
 *   - KGW raises the green fraction exactly as theory predicts for the
 *     model's entropy: at each generated position the expected green
 *     probability is q = sum_v p'(v) g(v), p' = softmax((logit + delta g)/T);
 *     the observed green count stays within 4.5 standard deviations
 *     (sqrt(sum q(1-q))) of sum q, at T = 0.7 and 1.0, lefthash and selfhash;
 *     the detector's per-token colours agree with the embedder's;
 *   - Gumbel sampling is distortion-free over keys: with one model context
 *     and its top-16 continuations, the token drawn under 4,000 random keys
 *     follows the model's distribution (chi-square, fixed seeds, p > 1e-3).
 * The model: $HM_BUILD/samples/kjv-4.slm when it exists (`make eval` trains
 * it), else an order-3 model trained here on the WordNet verb glosses
 * (tests/data, `make deps`).  Sizes shrink under sanitizers. */
#include "calib_corpus.h"
#include "embed_internal.h"
#include "detect_internal.h"
#include "hallmark/detect.h"
#include "hallmark/embed.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "harness.h"
#include "lm/ngram.h"
#include "sampler.h"

#include <math.h>
#include <stdlib.h>

static const uint8_t KEY[32] = {0xca, 0x11, 0xb4, 7, 1, 2, 3};

/* Loads or trains the model; NULL (after a SKIP message) when neither the
 * KJV model nor the corpus is available. */
static slm_model *calib_model(void)
{
    const char *b = getenv("HM_BUILD");
    char path[4096];
    slm_model *m = NULL;
    calib_corpus c;
    int st;
    if (b) {
        snprintf(path, sizeof path, "%s/samples/kjv-4.slm", b);
        if (slm_load(path, &m) == HM_OK) {
            printf("# model: KJV sample model %s\n", path);
            return m;
        }
    }
    st = calib_corpus_load("wordnet-verbs.txt", calib_sanitized() ? 200000 : 0, &c);
    if (st != HM_OK) {
        calib_corpus_missing("wordnet-verbs.txt", st);
        return NULL;
    }
    st = slm_train(c.ids, c.n, NULL, 0, 3, SLM_CL100K_VOCAB, SLM_CL100K_EOS, &m);
    printf("# model: order 3 trained here on %zu tokens of WordNet verb glosses\n", c.n);
    calib_corpus_free(&c);
    if (st != HM_OK) {
        hm_test_fail(__FILE__, __LINE__, "slm_train: %d", st);
        return NULL;
    }
    return m;
}

static const uint32_t PROMPT[8] = {791, 1176, 315, 279, 3823, 374, 264, 1695}; /* "The word of the ... */

HM_TEST(kgw_green_fraction_matches_theory_with_the_sample_model)
{
    static const char *const LEFT[] = {"seeding=lefthash", "h=1"};
    static const char *const SELF[] = {"seeding=selfhash"};
    static const struct {
        const char *label;
        const char *const *params;
        size_t np;
    } CASES[] = {{"lefthash", LEFT, 2}, {"selfhash", SELF, 1}};
    const float temps[2] = {0.7f, 1.0f};
    size_t n = calib_sanitized() ? 40 : 300, ci, ti;
    uint32_t V = SLM_CL100K_VOCAB;
    slm_model *m = calib_model();
    float *lg = malloc(V * sizeof *lg), *bi = malloc(V * sizeof *bi);
    uint32_t *seq = malloc((8 + n) * sizeof *seq);
    int *green = malloc(n * sizeof *green);
    hm_token_detail *det = malloc(n * sizeof *det);
    if (!m) goto out;
    REQUIRE(lg && bi && seq && green && det);
    for (ci = 0; ci < 2; ci++) {
        for (ti = 0; ti < 2; ti++) {
            hm_embedder *e = NULL;
            hm_session *s = NULL;
            hm_detector *d = NULL;
            hm_detect_result res;
            hm_sampling sp = hm_sampling_default();
            double ex = 0, var = 0, obs = 0, ent = 0;
            unsigned order = slm_order(m);
            size_t i, agree = 0, counted = 0;
            float T = temps[ti];
            sp.temperature = T;
            REQUIRE_OK(hm_embedder_new_secret(&e, "kgw", KEY, CASES[ci].params, CASES[ci].np, V,
                                              NULL));
            REQUIRE_OK(hm_session_new(e, &s));
            hm_session_set_seed(s, 77 + ci * 2 + ti);
            REQUIRE_OK(hm_session_seed(s, PROMPT, 8));
            memcpy(seq, PROMPT, sizeof PROMPT);
            for (i = 0; i < n; i++) {
                size_t have = 8 + i, nctx = have < order - 1 ? have : order - 1, v;
                double mb = -INFINITY, ml = -INFINITY, zb = 0, zl = 0, g = 0, h = 0;
                uint32_t tok;
                REQUIRE_OK(slm_logits(m, seq + have - nctx, nctx, lg));
                memcpy(bi, lg, V * sizeof *lg);
                REQUIRE_OK(hm_session_apply(s, bi, V));
                for (v = 0; v < V; v++) {
                    if (bi[v] > mb) mb = bi[v];
                    if (lg[v] > ml) ml = lg[v];
                }
                for (v = 0; v < V; v++) {
                    double w = exp(((double)bi[v] - mb) / T), a = ((double)lg[v] - ml) / T;
                    double wl = exp(a);
                    zb += w;
                    if (bi[v] != lg[v]) g += w;
                    zl += wl;
                    h -= wl * a;
                }
                ent += h / zl + log(zl);
                REQUIRE_OK(hm_session_sample(s, lg, V, &sp, &tok, NULL));
                REQUIRE_OK(hm_session_accept(s, tok));
                ex += g / zb;
                var += g / zb * (1 - g / zb);
                green[i] = bi[tok] != lg[tok];
                obs += green[i];
                seq[have] = tok;
            }
            /* the detector sees the same colours (dedup off: every position) */
            REQUIRE_OK(hm_detector_new_secret(&d, "kgw", KEY, CASES[ci].params, CASES[ci].np, V,
                                              NULL));
            REQUIRE_OK(hm_detector_set_dedup(d, HM_DEDUP_NONE));
            REQUIRE_OK(hm_detect(d, PROMPT, 8, seq + 8, n, &res, det));
            for (i = 0; i < n; i++) {
                if (!det[i].counted) continue;
                counted++;
                agree += det[i].green == green[i];
            }
            CHECK_EQ_INT(counted, n);
            CHECK_EQ_INT(agree, counted);
            printf("# kgw %s T=%.1f: mean entropy %.3f nats, green observed %.4f, theory %.4f "
                   "(z = %+.2f, %zu tokens)\n",
                   CASES[ci].label, (double)T, ent / (double)n, obs / (double)n, ex / (double)n,
                   (obs - ex) / sqrt(var), n);
            if (!(fabs(obs - ex) <= 4.5 * sqrt(var)))
                hm_test_fail(__FILE__, __LINE__, "kgw %s T=%.1f: observed %g green, theory %g",
                             CASES[ci].label, (double)T, obs, ex);
            /* the watermark raises the green share well above gamma = 0.25 */
            CHECK(ex / (double)n > 0.35);
            hm_detector_free(d);
            hm_session_free(s);
            hm_embedder_free(e);
        }
    }
out:
    slm_free(m);
    free(lg);
    free(bi);
    free(seq);
    free(green);
    free(det);
}

HM_TEST(gumbel_is_distortion_free_with_the_sample_model)
{
    enum { K = 16 };
    size_t n_keys = calib_sanitized() ? 600 : 4000, k, i, got;
    uint32_t ids[K], V = SLM_CL100K_VOCAB, ctx[3];
    float lp[K];
    hm_cand cands[K];
    double p[K], z = 0, chi = 0;
    unsigned long counts[K] = {0};
    slm_model *m = calib_model();
    hm_rng rng;
    const char *params[] = {"h=1"};
    int df = 0;
    if (!m) return;
    memcpy(ctx, PROMPT + 5, sizeof ctx);
    REQUIRE_OK(slm_topk(m, ctx, 3, K, ids, lp, &got));
    REQUIRE(got == K);
    for (i = 0; i < K; i++) {
        cands[i].id = (int32_t)ids[i];
        cands[i].logit = lp[i];
        cands[i].p = 0;
        z += exp((double)lp[i]);
    }
    for (i = 0; i < K; i++) p[i] = exp((double)lp[i]) / z;
    hm_rng_seed(&rng, 2024);
    for (k = 0; k < n_keys; k++) {
        uint8_t secret[32];
        hm_embedder *e;
        hm_session *s;
        uint32_t tok, last = ctx[2];
        for (i = 0; i < 32; i++) secret[i] = (uint8_t)hm_rng_next(&rng);
        REQUIRE_OK(hm_embedder_new_secret(&e, "gumbel", secret, params, 1, V, NULL));
        REQUIRE_OK(hm_session_new(e, &s));
        REQUIRE_OK(hm_session_seed(s, &last, 1));
        REQUIRE_OK(hm_session_sample_sparse(s, cands, K, NULL, &tok, NULL));
        for (i = 0; i < K; i++)
            if (ids[i] == tok) counts[i]++;
        hm_session_free(s);
        hm_embedder_free(e);
    }
    {
        /* pool categories with expected count < 5 into one */
        double pool_e = 0, pool_o = 0, ln_p;
        for (i = 0; i < K; i++) {
            double e = p[i] * (double)n_keys;
            if (e < 5) {
                pool_e += e;
                pool_o += (double)counts[i];
                continue;
            }
            chi += ((double)counts[i] - e) * ((double)counts[i] - e) / e;
            df++;
        }
        if (pool_e > 0) {
            chi += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
            df++;
        }
        df--; /* probabilities sum to one */
        ln_p = hm_stats_gamma_logsf(chi / 2, df / 2.0); /* chi-square tail */
        printf("# gumbel over %zu keys, top-%d of the model: chi2 = %.2f, df = %d, p = %.3g "
               "(top token p = %.3f)\n",
               n_keys, K, chi, df, exp(ln_p), p[0]);
        CHECK(df >= 3);
        CHECK(ln_p > log(1e-3));
    }
    slm_free(m);
}
