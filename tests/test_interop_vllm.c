/* test_interop_vllm.c - vLLM "philox4x32-10-v1" interop: Philox KAT, the
 * engine's PRF words and mantissas, dual-key derivation, and every gumbel /
 * dual_key_gumbel golden reproduced from the fixture logits (tokens, skip
 * counts, routing, S, n and p).  Vectors: tests/vectors/vllm_*.txt. */
#define HM_HAVE_STATS 1 /* the stats library is on main */
#include "harness.h"
#include "testutil.h"
#include "detect_internal.h"
#include "embed_internal.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "schemes/interop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>



static uint64_t u64(const char *s) { return strtoull(s, NULL, 10); }
static int64_t i64(const char *s) { return strtoll(s, NULL, 10); }

/* ---- PRF --------------------------------------------------------------- */

HM_TEST(vllm_philox_kat_words_and_mantissas)
{
    hm_vfile f;
    char *line, *fl[32];
    int philox = 0, words = 0, derives = 0;

    REQUIRE(hm_vfile_open(&f, "vectors/vllm_prf.txt") == 0);
    while ((line = hm_vfile_line(&f)) != NULL) {
        size_t n = hm_split(line, fl, 32);
        if (n == 11 && strcmp(fl[0], "philox") == 0) {
            uint32_t ctr[4], key[2], out[4];
            int i;
            for (i = 0; i < 4; i++) ctr[i] = (uint32_t)strtoul(fl[1 + i], NULL, 16);
            for (i = 0; i < 2; i++) key[i] = (uint32_t)strtoul(fl[5 + i], NULL, 16);
            hm_vllm_philox4x32_10(ctr, key, out);
            for (i = 0; i < 4; i++) CHECK_EQ_U64(out[i], strtoul(fl[7 + i], NULL, 16));
            philox++;
        } else if (n >= 6 && strcmp(fl[0], "word") == 0) {
            uint64_t key = u64(fl[1]);
            size_t W = (size_t)u64(fl[2]), k;
            int64_t ctx[16];
            uint32_t st[4], w;
            int64_t mant;
            REQUIRE(W <= 16 && n == 3 + W + 3);
            for (k = 0; k < W; k++) ctx[k] = i64(fl[3 + k]);
            REQUIRE_OK(hm_vllm_context_state(key, ctx, W, st));
            w = hm_vllm_word(key, st, (uint32_t)u64(fl[3 + W]));
            CHECK_EQ_U64(w, u64(fl[4 + W]));
            mant = i64(fl[5 + W]);
            if (mant >= 0) {
                float expect = (float)(((double)mant + 1.0) / 16777217.0);
                CHECK_EQ_INT(w >> 8, mant);
                CHECK(hm_vllm_uniform(w) == expect);
            }
            words++;
        } else if (n == 4 && strcmp(fl[0], "derive") == 0) {
            uint64_t a = 0, b = 0;
            REQUIRE_OK(hm_vllm_derive_key(u64(fl[1]), 0, &a));
            REQUIRE_OK(hm_vllm_derive_key(u64(fl[1]), 1, &b));
            CHECK_EQ_U64(a, u64(fl[2]));
            CHECK_EQ_U64(b, u64(fl[3]));
            derives++;
        }
    }
    hm_vfile_close(&f);
    CHECK_EQ_INT(philox, 1);
    CHECK_EQ_INT(words, 9);
    CHECK_EQ_INT(derives, 5);
}

HM_TEST(vllm_uniform_range_and_gpu_identity)
{
    uint32_t m;
    /* u = (m+1)/(2^24+1) in fp32 equals nextafterf((m+1)*2^-24, 0); spot
     * check a spread of mantissas (the spec checked all 2^24) */
    for (m = 0; m < (1u << 24); m += 4099) {
        float u = hm_vllm_uniform(m << 8);
        float g = nextafterf((float)(m + 1) * 5.9604644775390625e-8f, 0.0f);
        CHECK(u == g);
    }
    CHECK(hm_vllm_uniform(0) > 0.0f);
    CHECK(hm_vllm_uniform(0xFFFFFFFFu) < 1.0f);
    CHECK(hm_vllm_uniform(0xFFFFFFFFu) == 1.0f - 5.9604644775390625e-8f);
}

HM_TEST(vllm_words4_serves_four_ids)
{
    int64_t ctx[5] = {-1, 3, 99, 100000, 7};
    uint32_t st[4], w4[4];
    uint32_t t;
    REQUIRE_OK(hm_vllm_context_state(0xDEADBEEFCAFEull, ctx, 5, st));
    for (t = 0; t < 64; t++) {
        hm_vllm_words4(0xDEADBEEFCAFEull, st, t >> 2, 0, w4);
        CHECK_EQ_U64(w4[t & 3], hm_vllm_word(0xDEADBEEFCAFEull, st, t));
    }
    /* a non-zero stream changes the words */
    hm_vllm_words4(0xDEADBEEFCAFEull, st, 0, 1, w4);
    CHECK(w4[0] != hm_vllm_word(0xDEADBEEFCAFEull, st, 0));
}

HM_TEST(vllm_key_and_dedup_parsing)
{
    uint64_t k = 1;
    hm_vllm_dedup m;
    CHECK_OK(hm_vllm_parse_key("42", &k));
    CHECK_EQ_U64(k, 42);
    CHECK_OK(hm_vllm_parse_key("18446744073709551615", &k));
    CHECK_EQ_U64(k, UINT64_MAX);
    CHECK_EQ_INT(hm_vllm_parse_key("18446744073709551616", &k), HM_E_RANGE);
    CHECK_EQ_INT(hm_vllm_parse_key("-1", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_vllm_parse_key("", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_vllm_parse_key("4 2", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_vllm_parse_key(NULL, &k), HM_E_MISUSE);
    CHECK_OK(hm_vllm_parse_dedup("single_turn", &m));
    CHECK_EQ_INT(m, HM_VLLM_DEDUP_SINGLE_TURN);
    CHECK_EQ_INT(hm_vllm_parse_dedup("gumbel_dual_key", &m), HM_E_FORMAT);
}

HM_TEST(vllm_sampling_rule_edges)
{
    float logits[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t ids[3] = {5, 2, 7}, tok = -7;
    float sl[3];
    int64_t ctx[4] = {-1, -1, -1, -1};
    uint32_t st[4];
    size_t v;
    REQUIRE_OK(hm_vllm_context_state(42, ctx, 4, st));
    /* all masked: id 0 like torch.argmax, reported as HM_E_RANGE */
    for (v = 0; v < 8; v++) logits[v] = -INFINITY;
    CHECK_EQ_INT(hm_vllm_gumbel_sample(logits, 8, 1.0f, 42, st, &tok), HM_E_RANGE);
    CHECK_EQ_INT(tok, 0);
    /* NaN counts as -inf: the only finite logit wins */
    for (v = 0; v < 8; v++) logits[v] = NAN;
    logits[6] = -50.0f;
    CHECK_OK(hm_vllm_gumbel_sample(logits, 8, 1.0f, 42, st, &tok));
    CHECK_EQ_INT(tok, 6);
    /* sparse agrees with dense on the same candidates */
    for (v = 0; v < 8; v++) logits[v] = -INFINITY;
    logits[5] = 0.25f;
    logits[2] = 0.5f;
    logits[7] = 0.0f;
    sl[0] = 0.25f;
    sl[1] = 0.5f;
    sl[2] = 0.0f;
    {
        int64_t dense = -1, sparse = -2;
        CHECK_OK(hm_vllm_gumbel_sample(logits, 8, 0.7f, 42, st, &dense));
        CHECK_OK(hm_vllm_gumbel_sample_sparse(ids, sl, 3, 0.7f, 42, st, &sparse));
        CHECK_EQ_INT(dense, sparse);
    }
    CHECK_EQ_INT(hm_vllm_gumbel_sample(logits, 8, 0.0f, 42, st, &tok), HM_E_MISUSE);
}

/* ---- goldens ------------------------------------------------------------- */

typedef struct golden {
    char id[96];
    int dual;
    uint64_t key, det_key;
    size_t W;
    double gen_alpha, det_alpha;
    hm_vllm_dedup gen_dedup;
    size_t max_history;
    int det_dedup;
    size_t V, N;
    long dominant, bias;
    int64_t prompt[16];
    size_t n_prompt;
    int64_t gen[64];
    size_t n_gen;
    long routing_draws, key_b_routed, dedup_skips, partial_skips;
    double score, p_value;
    size_t n_scored;
} golden;

/* Integer-shape Gamma(n,1) tail in log space (vLLM's integer path):
 * ln P[Gamma(n,1) >= x] = -x + logsumexp_{k<n}(k ln x - ln k!). */
static double gamma_logsf_int(double x, long n)
{
    double mx = 0.0, sum = 0.0, term = 0.0;
    long k;
    if (n <= 0 || x <= 0.0) return 0.0;
    for (k = 0; k < n; k++) {
        term = (double)k * log(x) - lgamma((double)k + 1.0);
        if (term > mx) mx = term;
    }
    for (k = 0; k < n; k++) sum += exp((double)k * log(x) - lgamma((double)k + 1.0) - mx);
    term = -x + mx + log(sum);
    return term < 0.0 ? term : 0.0;
}

static void run_golden(const golden *g, const float *routing, int *ok_tokens, int *p_checked)
{
    int64_t gen[64], ctx[16];
    float logits[128];
    size_t pos, v;
    long draws = 0, routed = 0, skips = 0, partial = 0;
    uint64_t key_a = g->key, key_b = 0;
    int routes = g->dual && g->gen_alpha > 0.0 && g->gen_alpha < 1.0;
    float prob_a = 1.0f;
    hm_vllm_detect_params dp;
    hm_vllm_detect_result dr;
    uint32_t scratch[256];

    if (g->dual) {
        CHECK_OK(hm_vllm_derive_key(g->key, 0, &key_a));
        CHECK_OK(hm_vllm_derive_key(g->key, 1, &key_b));
    }
    if (routes) {
        float la = logf((float)(1.0 - g->gen_alpha)), lb = logf((float)g->gen_alpha);
        float mx = la > lb ? la : lb;
        float ea = expf(la - mx), eb = expf(lb - mx);
        prob_a = ea / (ea + eb);
    }
    for (pos = 0; pos < g->N; pos++) {
        int skip = 0, part = 0, use_b = 0;
        int64_t tok = -1;
        for (v = 0; v < g->V; v++) {
            long val = (long)((v * 37 + pos * 17) % 131) - 56;
            if ((long)v == g->dominant) val += g->bias;
            logits[v] = (float)val / 16.0f;
        }
        hm_vllm_generation_context(gen, pos, g->W, ctx);
        CHECK_OK(hm_vllm_generation_skip(g->gen_dedup, g->prompt, g->n_prompt, gen, pos,
                                         ctx, g->W, g->max_history, &skip, &part));
        if (routes) {
            draws++;
            use_b = prob_a <= routing[pos % 64];
            routed += use_b;
        }
        if (skip) {
            size_t best = 0;
            for (v = 1; v < g->V; v++)
                if (logits[v] > logits[best]) best = v;
            tok = (int64_t)best;
            skips++;
            if (pos < g->W) partial++;
        } else {
            uint64_t key = g->key;
            uint32_t st[4];
            if (g->dual) {
                if (g->gen_alpha == 0.0) key = key_a;
                else if (g->gen_alpha == 1.0) key = key_b;
                else key = use_b ? key_b : key_a;
            }
            CHECK_OK(hm_vllm_context_state(key, ctx, g->W, st));
            CHECK_OK(hm_vllm_gumbel_sample(logits, g->V, 1.0f, key, st, &tok));
        }
        gen[pos] = tok;
    }
    *ok_tokens = memcmp(gen, g->gen, g->N * sizeof gen[0]) == 0;
    if (!*ok_tokens) {
        for (pos = 0; pos < g->N && gen[pos] == g->gen[pos]; pos++) {
        }
        hm_test_fail(__FILE__, __LINE__, "%s: generation differs at %zu (%lld vs %lld)",
                     g->id, pos, (long long)gen[pos], (long long)g->gen[pos]);
    }
    if (skips != g->dedup_skips || partial != g->partial_skips)
        hm_test_fail(__FILE__, __LINE__, "%s: skips %ld/%ld, partial %ld/%ld", g->id,
                     skips, g->dedup_skips, partial, g->partial_skips);
    CHECK_EQ_INT(draws, g->routing_draws);
    if (g->key_b_routed >= 0) CHECK_EQ_INT(routed, g->key_b_routed);

    /* detection over the stored tokens */
    dp.key = g->det_key;
    dp.width = g->W;
    dp.dual_key = g->dual;
    dp.alpha = g->det_alpha;
    dp.dedup = g->det_dedup;
    CHECK(hm_vllm_detect_slots(g->N) <= 256);
    CHECK_OK(hm_vllm_detect(&dp, g->gen, g->N, scratch, 256, &dr));
    if (dr.n != g->n_scored)
        hm_test_fail(__FILE__, __LINE__, "%s: n %zu vs %zu", g->id, dr.n, g->n_scored);
    if (!(fabs(dr.score - g->score) <= 1e-9 * fabs(g->score)))
        hm_test_fail(__FILE__, __LINE__, "%s: S %.17g vs %.17g", g->id, dr.score, g->score);
    /* p-value: vLLM's integer path for gumbel and alpha in {0, 1/2, 1} */
    if (!g->dual || g->det_alpha == 0.0 || g->det_alpha == 0.5 || g->det_alpha == 1.0) {
        double p = exp(gamma_logsf_int(dr.scaled, lround(dr.shape)));
        (*p_checked)++;
        if (!(fabs(p - g->p_value) <= 1e-9 * g->p_value))
            hm_test_fail(__FILE__, __LINE__, "%s: p %.17g vs %.17g", g->id, p, g->p_value);
    }
#ifdef HM_HAVE_STATS
    {
        double p = exp(hm_stats_gamma_logsf(dr.scaled, dr.shape));
        if (!(fabs(p - g->p_value) <= 1e-9 * g->p_value))
            hm_test_fail(__FILE__, __LINE__, "%s: stats p %.17g vs %.17g", g->id, p,
                         g->p_value);
    }
#endif
}

/* The same golden through the generic scheme interface: detection with
 * hm_detector (as `hallmark detect --scheme vllm` runs it), and generation
 * through an embedding session where vLLM's routing RNG is not involved. */
static void run_golden_profile(const golden *g)
{
    char pk[64], pw[48], pa[48], palg[48], pdd[64], ph[64];
    const char *params[6];
    hm_detector *d = NULL;
    hm_detect_result r;
    uint32_t ids[64];
    size_t i;
    snprintf(pk, sizeof pk, "key=%llu", (unsigned long long)g->det_key);
    snprintf(pw, sizeof pw, "context_width=%zu", g->W);
    snprintf(pa, sizeof pa, "alpha=%.17g", g->det_alpha);
    snprintf(palg, sizeof palg, "algorithm=%s", g->dual ? "dual_key_gumbel" : "gumbel");
    params[0] = pk;
    params[1] = pw;
    params[2] = pa;
    params[3] = palg;
    for (i = 0; i < g->n_gen; i++) ids[i] = (uint32_t)g->gen[i];
    if (hm_detector_new_secret(&d, "vllm", NULL, params, 4, 128, NULL) != HM_OK) {
        hm_test_fail(__FILE__, __LINE__, "%s: detector", g->id);
        return;
    }
    if (!g->det_dedup) CHECK_OK(hm_detector_set_dedup(d, HM_DEDUP_NONE));
    CHECK_OK(hm_detect(d, NULL, 0, ids, g->n_gen, &r, NULL));
    /* p: vLLM's own p for gumbel and alpha in {0, 1/2, 1}, where its Gamma
     * recipe is exact; for other alpha the engine's Gamma(n/var) value is an
     * approximation, and Hallmark reports the exact dual-gamma tail instead
     * (docs/statistics.md, "Dual-key gamma tail"). */
    {
        int engine_exact = !g->dual || g->det_alpha == 0.0 || g->det_alpha == 0.5 ||
                           g->det_alpha == 1.0;
        double want = engine_exact ? log(g->p_value)
                                   : hm_stats_dualgamma_logsf(g->score, (long)g->n_scored,
                                                              g->det_alpha);
        if (!engine_exact)
            printf("# %s: exact ln p %.6g, engine's approximation %.6g\n", g->id, r.ln_p,
                   log(g->p_value));
        if (fabs(r.ln_p - want) > 1e-9 * fmax(1.0, fabs(want)))
            hm_test_fail(__FILE__, __LINE__, "%s: ln p %.17g want %.17g", g->id, r.ln_p, want);
    }
    if (r.n_scored != g->n_scored || fabs(r.score - g->score) > 1e-9 * fabs(g->score))
        hm_test_fail(__FILE__, __LINE__, "%s: generic detector n %llu S %.17g (ln p %.17g); "
                     "want n %zu S %.17g", g->id, (unsigned long long)r.n_scored,
                     r.score, r.ln_p, g->n_scored, g->score);
    hm_detector_free(d);
    /* generation: routing is deterministic only for alpha 0 or 1 */
    if ((g->dual && g->gen_alpha > 0 && g->gen_alpha < 1) || g->gen_dedup == HM_VLLM_DEDUP_ALL ||
        g->n_prompt)
        return;
    {
        hm_embedder *e = NULL;
        hm_session *s = NULL;
        hm_sampling sp = hm_sampling_default();
        float logits[128];
        size_t pos, v;
        snprintf(pk, sizeof pk, "key=%llu", (unsigned long long)g->key);
        snprintf(pa, sizeof pa, "alpha=%.17g", g->gen_alpha);
        snprintf(pdd, sizeof pdd, "deduplicate_contexts=%s",
                 g->gen_dedup == HM_VLLM_DEDUP_NONE ? "none" : "single_turn");
        snprintf(ph, sizeof ph, "deduplicate_contexts_max_history=%zu", g->max_history);
        params[2] = pa;
        params[4] = pdd;
        params[5] = ph;
        if (hm_embedder_new_secret(&e, "vllm", NULL, params, 6, (uint32_t)g->V, NULL) != HM_OK ||
            hm_session_new(e, &s) != HM_OK) {
            hm_test_fail(__FILE__, __LINE__, "%s: embedder", g->id);
            hm_embedder_free(e);
            return;
        }
        for (pos = 0; pos < g->N; pos++) {
            uint32_t tok;
            int marked;
            for (v = 0; v < g->V; v++) {
                long val = (long)((v * 37 + pos * 17) % 131) - 56;
                if ((long)v == g->dominant) val += g->bias;
                logits[v] = (float)val / 16.0f;
            }
            if (hm_session_sample(s, logits, g->V, &sp, &tok, &marked) != HM_OK) break;
            if (!marked) { /* the fixture's convention: skipped positions take the argmax */
                size_t best = 0;
                for (v = 1; v < g->V; v++)
                    if (logits[v] > logits[best]) best = v;
                tok = (uint32_t)best;
            }
            if ((int64_t)tok != g->gen[pos]) {
                hm_test_fail(__FILE__, __LINE__, "%s: session token %zu is %u, want %lld", g->id,
                             pos, tok, (long long)g->gen[pos]);
                break;
            }
            CHECK_OK(hm_session_accept(s, tok));
        }
        hm_session_free(s);
        hm_embedder_free(e);
    }
}

HM_TEST(vllm_goldens_reproduce)
{
    hm_vfile f;
    char *line, *fl[80];
    float routing[64];
    size_t n_routing = 0;
    golden g;
    int cases = 0, token_ok = 0, p_checked = 0;

    memset(&g, 0, sizeof g);
    REQUIRE(hm_vfile_open(&f, "vectors/vllm_goldens.txt") == 0);
    while ((line = hm_vfile_line(&f)) != NULL) {
        size_t n = hm_split(line, fl, 80), i;
        const char *k = fl[0];
        if (n == 0) continue;
        if (strcmp(k, "routing_uniforms") == 0) {
            for (i = 1; i < n && n_routing < 64; i++) routing[n_routing++] = (float)strtod(fl[i], NULL);
        } else if (strcmp(k, "case") == 0) {
            memset(&g, 0, sizeof g);
            snprintf(g.id, sizeof g.id, "%s", n > 1 ? fl[1] : "?");
        } else if (strcmp(k, "scheme") == 0) {
            g.dual = strcmp(fl[1], "dual_key_gumbel") == 0;
        } else if (strcmp(k, "key") == 0) {
            g.key = u64(fl[1]);
        } else if (strcmp(k, "detection_key") == 0) {
            g.det_key = u64(fl[1]);
        } else if (strcmp(k, "width") == 0) {
            g.W = (size_t)u64(fl[1]);
        } else if (strcmp(k, "generation_alpha") == 0) {
            g.gen_alpha = strtod(fl[1], NULL);
        } else if (strcmp(k, "detection_alpha") == 0) {
            g.det_alpha = strtod(fl[1], NULL);
        } else if (strcmp(k, "generation_dedup") == 0) {
            CHECK_OK(hm_vllm_parse_dedup(fl[1], &g.gen_dedup));
        } else if (strcmp(k, "max_history") == 0) {
            g.max_history = (size_t)u64(fl[1]);
        } else if (strcmp(k, "detection_dedup") == 0) {
            g.det_dedup = (int)u64(fl[1]);
        } else if (strcmp(k, "vocab") == 0) {
            g.V = (size_t)u64(fl[1]);
        } else if (strcmp(k, "num_tokens") == 0) {
            g.N = (size_t)u64(fl[1]);
        } else if (strcmp(k, "dominant") == 0) {
            g.dominant = (long)i64(fl[1]);
            g.bias = (long)i64(fl[2]);
        } else if (strcmp(k, "prompt") == 0) {
            for (i = 1; i < n && g.n_prompt < 16; i++) g.prompt[g.n_prompt++] = i64(fl[i]);
        } else if (strcmp(k, "generation") == 0) {
            for (i = 1; i < n && g.n_gen < 64; i++) g.gen[g.n_gen++] = i64(fl[i]);
        } else if (strcmp(k, "routing_draws") == 0) {
            g.routing_draws = (long)i64(fl[1]);
        } else if (strcmp(k, "key_b_routed") == 0) {
            g.key_b_routed = (long)i64(fl[1]);
        } else if (strcmp(k, "dedup_skips") == 0) {
            g.dedup_skips = (long)i64(fl[1]);
        } else if (strcmp(k, "partial_context_skips") == 0) {
            g.partial_skips = (long)i64(fl[1]);
        } else if (strcmp(k, "score") == 0) {
            g.score = strtod(fl[1], NULL);
        } else if (strcmp(k, "p_value") == 0) {
            g.p_value = strtod(fl[1], NULL);
        } else if (strcmp(k, "num_scored_tokens") == 0) {
            g.n_scored = (size_t)u64(fl[1]);
        } else if (strcmp(k, "end") == 0) {
            int ok = 0;
            REQUIRE(n_routing == 64);
            REQUIRE(g.n_gen == g.N && g.V <= 128 && g.W <= 16);
            run_golden(&g, routing, &ok, &p_checked);
            run_golden_profile(&g);
            token_ok += ok;
            cases++;
        }
    }
    hm_vfile_close(&f);
    CHECK_EQ_INT(cases, 23);
    CHECK_EQ_INT(token_ok, 23);
    CHECK_EQ_INT(p_checked, 17); /* the rest need hm_stats_gamma_logsf */
}

HM_TEST(vllm_generation_skip_rules)
{
    int64_t gen[6] = {5, 6, 7, 5, 6, 7}, ctx[2];
    int64_t prompt[3] = {6, 7, 9};
    int skip = -1, part = -1;
    /* single_turn: context (6,7) after 5 6 7 5 6 7 occurred at position 3 */
    hm_vllm_generation_context(gen, 6, 2, ctx);
    CHECK_EQ_INT(ctx[0], 6);
    CHECK_EQ_INT(ctx[1], 7);
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_SINGLE_TURN, NULL, 0, gen, 6, ctx, 2, 0,
                                     &skip, &part));
    CHECK_EQ_INT(skip, 1);
    CHECK_EQ_INT(part, 0);
    /* max_history 2 only looks at history positions 4 and 5: (7,5) and (5,6) */
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_SINGLE_TURN, NULL, 0, gen, 6, ctx, 2, 2,
                                     &skip, &part));
    CHECK_EQ_INT(skip, 0);
    /* none never skips */
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_NONE, NULL, 0, gen, 6, ctx, 2, 0, &skip,
                                     &part));
    CHECK_EQ_INT(skip, 0);
    /* all: partial context is skipped; the prompt is searched too */
    hm_vllm_generation_context(gen, 1, 2, ctx);
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_ALL, prompt, 3, gen, 1, ctx, 2, 0, &skip,
                                     &part));
    CHECK_EQ_INT(skip, 1);
    CHECK_EQ_INT(part, 1);
    gen[0] = 6;
    gen[1] = 7;
    hm_vllm_generation_context(gen, 2, 2, ctx); /* (6,7) = prompt's first two */
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_ALL, prompt, 3, gen, 2, ctx, 2, 0, &skip,
                                     &part));
    CHECK_EQ_INT(skip, 1);
    CHECK_EQ_INT(part, 0);
    CHECK_OK(hm_vllm_generation_skip(HM_VLLM_DEDUP_SINGLE_TURN, prompt, 3, gen, 2, ctx, 2, 0,
                                     &skip, &part));
    CHECK_EQ_INT(skip, 0);
}

HM_TEST(vllm_detector_dedup_and_limits)
{
    int64_t toks[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    uint32_t scratch[16];
    hm_vllm_detect_params p = {42, 1, 0, 0.0, 1};
    hm_vllm_detect_result r;
    /* contexts: (-1),(1),(2),(1),... -> 3 distinct */
    CHECK_OK(hm_vllm_detect(&p, toks, 8, scratch, 16, &r));
    CHECK_EQ_INT(r.n, 3);
    p.dedup = 0;
    CHECK_OK(hm_vllm_detect(&p, toks, 8, NULL, 0, &r));
    CHECK_EQ_INT(r.n, 8);
    p.dedup = 1;
    CHECK_EQ_INT(hm_vllm_detect(&p, toks, 8, scratch, 8, &r), HM_E_LIMIT);
    p.width = 0;
    CHECK_EQ_INT(hm_vllm_detect(&p, toks, 8, scratch, 16, &r), HM_E_RANGE);
    p.width = 1;
    p.dual_key = 1;
    p.alpha = 1.5;
    CHECK_EQ_INT(hm_vllm_detect(&p, toks, 8, scratch, 16, &r), HM_E_RANGE);
    CHECK_OK(hm_vllm_detect(&p, NULL, 0, scratch, 16, &r) == HM_E_RANGE ? HM_OK : 1);
}
