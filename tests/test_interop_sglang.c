/* test_interop_sglang.c - SGLang Aaronson-Gumbel interop: MurmurHash3
 * context/token hashes, the dual-key coin, the hash-collision pair, the
 * fp32 sampling rule (reproducing the engine test's watermarked
 * completion), the marked-context skip set and the detector's prompt
 * alignment, dedup and prefix cap.  Vectors: tests/vectors/sglang_*.txt. */
#include "harness.h"
#include "testutil.h"
#include "schemes/interop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>



static uint64_t hexkey(const char *s)
{
    uint64_t k = 0;
    if (hm_sglang_parse_key(s, &k) != HM_OK) hm_test_fail(__FILE__, __LINE__, "bad key %s", s);
    return k;
}

static const uint64_t KEY_A = 0x0123456789abcdefull;
static const uint64_t KEY_B = 0xfedcba9876543210ull;

HM_TEST(sglang_hash_vectors)
{
    hm_vfile f;
    char *line, *fl[80];
    int ctx = 0, tok = 0, coin = 0, gen = 0;

    REQUIRE(hm_vfile_open(&f, "vectors/sglang_vectors.txt") == 0);
    while ((line = hm_vfile_line(&f)) != NULL) {
        size_t n = hm_split(line, fl, 80), i;
        if (n == 0) continue;
        if (strcmp(fl[0], "ctx_hash") == 0) {
            uint32_t c[16];
            size_t L = (size_t)strtoul(fl[1], NULL, 10);
            REQUIRE(L <= 16 && n == L + 3);
            for (i = 0; i < L; i++) c[i] = (uint32_t)strtoul(fl[2 + i], NULL, 10);
            CHECK_EQ_U64(hm_sglang_context_hash(c, L), strtoul(fl[2 + L], NULL, 10));
            ctx++;
        } else if (strcmp(fl[0], "token_hash") == 0 && n == 5) {
            uint32_t h = hm_sglang_token_hash(hexkey(fl[1]), (uint32_t)strtoul(fl[2], NULL, 10),
                                              (uint32_t)strtoul(fl[3], NULL, 10));
            CHECK_EQ_U64(h, strtoul(fl[4], NULL, 10));
            tok++;
        } else if (strcmp(fl[0], "coin") == 0 && n == 5) {
            uint32_t thr = 0, ch = (uint32_t)strtoul(fl[3], NULL, 10);
            uint64_t a = hexkey(fl[1]), b = hexkey(fl[2]);
            int sel_a = strtoul(fl[4], NULL, 10) != 0;
            CHECK_OK(hm_sglang_mixing_threshold(0.5, &thr));
            CHECK_EQ_U64(thr, 0x80000000u);
            CHECK_EQ_INT(hm_sglang_coin(a, b, ch) < thr, sel_a);
            CHECK_EQ_U64(hm_sglang_key_for(a, 1, b, thr, ch), sel_a ? a : b);
            coin++;
        } else if (strcmp(fl[0], "generated") == 0) {
            uint64_t key = hexkey(fl[1]);
            size_t h = (size_t)strtoul(fl[2], NULL, 10);
            size_t np = (size_t)strtoul(fl[3], NULL, 10), nt;
            uint32_t prompt[8], toks[64], c[8], scratch[64];
            float probs[64];
            hm_sglang_detect_params dp;
            hm_sglang_detect_result dr;
            REQUIRE(np <= 8 && n > 4 + np && n - 4 - np <= 64);
            nt = n - 4 - np;
            for (i = 0; i < np; i++) prompt[i] = (uint32_t)strtoul(fl[4 + i], NULL, 10);
            for (i = 0; i < nt; i++) toks[i] = (uint32_t)strtoul(fl[4 + np + i], NULL, 10);
            for (i = 0; i < 64; i++) probs[i] = 1.0f / 64.0f;
            /* reproduce every token with the fp32 sampling rule */
            for (i = 0; i < nt; i++) {
                size_t L = 0;
                int64_t t = -1;
                hm_sglang_generation_context(prompt, np, toks, i, h, c, &L);
                CHECK_EQ_INT(L, h);
                CHECK_OK(hm_sglang_sample(probs, 64, key,
                                          hm_sglang_context_hash(c, L), &t));
                if (t != (int64_t)toks[i])
                    hm_test_fail(__FILE__, __LINE__, "token %zu: %lld vs %u", i,
                                 (long long)t, toks[i]);
            }
            memset(&dp, 0, sizeof dp);
            dp.key_a = key;
            dp.h = h;
            dp.max_contexts = 4096;
            REQUIRE(hm_sglang_detect_slots(4096) == 8192);
            {
                static uint32_t big[8192];
                CHECK_OK(hm_sglang_detect(&dp, prompt, np, toks, nt, big, 8192, &dr));
            }
            CHECK_EQ_INT(dr.combined.n, 32);
            CHECK(dr.combined.score > 100.0); /* p < 1e-30 needs S well above n */
            CHECK(dr.combined.z > 10.0);
            (void)scratch;
            gen++;
        }
    }
    hm_vfile_close(&f);
    CHECK_EQ_INT(ctx, 4);
    CHECK_EQ_INT(tok, 12);
    CHECK_EQ_INT(coin, 2);
    CHECK_EQ_INT(gen, 1);
}

HM_TEST(sglang_key_parsing)
{
    uint64_t k = 0;
    CHECK_OK(hm_sglang_parse_key("0x0123456789ABCDEF", &k));
    CHECK_EQ_U64(k, KEY_A);
    CHECK_OK(hm_sglang_parse_key("deadbeef", &k));
    CHECK_EQ_U64(k, 0xdeadbeefu);
    CHECK_EQ_INT(hm_sglang_parse_key("11111111111111111", &k), HM_E_RANGE);
    CHECK_EQ_INT(hm_sglang_parse_key("0x", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_sglang_parse_key("+1", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_sglang_parse_key("", &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_sglang_parse_key("12g", &k), HM_E_FORMAT);
}

HM_TEST(sglang_uniform_and_log_branch)
{
    /* double-side uniform, and the fp32 log branch agrees with log(u) */
    CHECK(hm_sglang_uniform(0) == 0.5 / 4294967296.0);
    CHECK(hm_sglang_uniform(0xFFFFFFFFu) < 1.0);
    CHECK_REL(hm_sglang_log_uniform_f32(0x7FFFFFFFu), log(hm_sglang_uniform(0x7FFFFFFFu)), 1e-6);
    CHECK_REL(hm_sglang_log_uniform_f32(0x80000000u), log(hm_sglang_uniform(0x80000000u)), 1e-6);
    CHECK_REL(hm_sglang_log_uniform_f32(0xFFFFFFFFu), log1p(-0.5 / 4294967296.0), 1e-6);
    CHECK(hm_sglang_log_uniform_f32(0xFFFFFFFFu) < 0.0f);
    CHECK_EQ_INT(hm_sglang_mixing_threshold(0.0, &(uint32_t){0}), HM_E_RANGE);
    CHECK_EQ_INT(hm_sglang_mixing_threshold(1.0, &(uint32_t){0}), HM_E_RANGE);
    CHECK_EQ_INT(hm_sglang_mixing_threshold(NAN, &(uint32_t){0}), HM_E_RANGE);
}

HM_TEST(sglang_sampling_rule)
{
    float probs[8] = {0, 0, 0.5f, 0, 0.5f, 0, 0, 0};
    uint32_t ids[2] = {4, 2};
    float sp[2] = {0.5f, 0.5f};
    int64_t d = -1, s = -2;
    uint32_t ch = 1145416960u;
    CHECK_OK(hm_sglang_sample(probs, 8, KEY_A, ch, &d));
    CHECK(d == 2 || d == 4);
    CHECK_OK(hm_sglang_sample_sparse(ids, sp, 2, KEY_A, ch, &s));
    CHECK_EQ_INT(d, s);
    /* p = 1 on one id: always that id */
    memset(probs, 0, sizeof probs);
    probs[6] = 1.0f;
    CHECK_OK(hm_sglang_sample(probs, 8, KEY_B, ch, &d));
    CHECK_EQ_INT(d, 6);
    memset(probs, 0, sizeof probs);
    CHECK_EQ_INT(hm_sglang_sample(probs, 8, KEY_B, ch, &d), HM_E_RANGE);
}

HM_TEST(sglang_marked_set_rules)
{
    static hm_sglang_marked m;
    int marked = -1;
    uint32_t i;
    CHECK_OK(hm_sglang_marked_init(&m, 3));
    CHECK_OK(hm_sglang_mark_position(&m, 0, 7, 50, &marked)); /* empty context */
    CHECK_EQ_INT(marked, 0);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 7, 1, &marked)); /* top_k = 1 */
    CHECK_EQ_INT(marked, 0);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 7, 50, &marked));
    CHECK_EQ_INT(marked, 1);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 7, -1, &marked)); /* already marked */
    CHECK_EQ_INT(marked, 0);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 7 + 8192, 50, &marked)); /* same slot */
    CHECK_EQ_INT(marked, 1);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 9, 50, &marked));
    CHECK_EQ_INT(marked, 1);
    CHECK_OK(hm_sglang_mark_position(&m, 4, 10, 50, &marked)); /* cap 3 reached */
    CHECK_EQ_INT(marked, 0);
    CHECK_EQ_INT(hm_sglang_marked_init(&m, 4097), HM_E_RANGE);
    CHECK_OK(hm_sglang_marked_init(&m, 4096));
    for (i = 0; i < 5000; i++) CHECK_OK(hm_sglang_mark_position(&m, 1, i * 2654435761u, 5, &marked));
    CHECK_EQ_INT(m.count, 4096);
}

static uint32_t g_scratch[8192];

static hm_sglang_detect_result detect(uint64_t a, int has_b, uint64_t b, double P, size_t h,
                                      size_t maxc, const uint32_t *prompt, size_t np,
                                      const uint32_t *ids, size_t n)
{
    hm_sglang_detect_params p;
    hm_sglang_detect_result r;
    p.key_a = a;
    p.has_b = has_b;
    p.key_b = b;
    p.mixing = P;
    p.h = h;
    p.max_contexts = maxc;
    memset(&r, 0, sizeof r);
    CHECK_OK(hm_sglang_detect(&p, prompt, np, ids, n, g_scratch, 8192, &r));
    return r;
}

HM_TEST(sglang_detector_prompt_alignment)
{
    uint32_t one[1] = {17}, prompt[5] = {9, 1, 2, 3, 4}, full[5] = {1, 2, 3, 4, 17};
    uint32_t two[2] = {2, 3}, p1[1] = {1};
    double expect = -log1p(-(2305555132.0 + 0.5) / 4294967296.0);
    hm_sglang_detect_result r = detect(KEY_A, 0, 0, 0.5, 4, 4096, prompt, 5, one, 1);
    CHECK_EQ_INT(r.combined.n, 1);
    CHECK(r.combined.score == expect);
    CHECK_EQ_INT(r.skipped_initial, 0);
    r = detect(KEY_A, 0, 0, 0.5, 4, 4096, NULL, 0, full, 5);
    CHECK_EQ_INT(r.combined.n, 1);
    CHECK(r.combined.score == expect);
    CHECK_EQ_INT(r.skipped_initial, 4);
    r = detect(KEY_A, 0, 0, 0.5, 4, 4096, p1, 1, two, 2);
    CHECK_EQ_INT(r.combined.n, 2);
    CHECK_EQ_INT(r.skipped_initial, 0);
}

HM_TEST(sglang_detector_repeats_and_prefix)
{
    uint32_t first[5] = {1, 2, 1, 3, 4}, rep[8] = {1, 2, 1, 2, 3, 4, 999, 0};
    hm_sglang_detect_result a = detect(KEY_A, 0, 0, 0.5, 1, 3, NULL, 0, first, 5);
    hm_sglang_detect_result b = detect(KEY_A, 0, 0, 0.5, 1, 3, NULL, 0, rep, 8);
    CHECK_EQ_INT(a.combined.n, b.combined.n);
    CHECK(a.combined.score == b.combined.score);
    CHECK_EQ_INT(b.repeated_contexts, 2);
    CHECK_EQ_INT(b.tokens_examined, 6);
    CHECK(b.prefix_limit_reached);
}

HM_TEST(sglang_detector_prefix_cap_dual)
{
    static uint32_t seq[5100];
    uint32_t i;
    hm_sglang_detect_result r, r2;
    for (i = 0; i < 4100; i++) seq[i] = i;
    r = detect(KEY_A, 1, KEY_B, 0.5, 4, 4096, NULL, 0, seq, 4100);
    CHECK_EQ_INT(r.combined.n, 4096);
    CHECK_EQ_INT(r.key_a_part.n + r.key_b_part.n, 4096);
    CHECK(r.key_a_part.n > 1800 && r.key_b_part.n > 1800);
    CHECK_REL(r.combined.score, r.key_a_part.score + r.key_b_part.score, 1e-12);
    for (i = 0; i < 1000; i++) seq[4100 + i] = 10000 + i;
    r2 = detect(KEY_A, 1, KEY_B, 0.5, 4, 4096, NULL, 0, seq, 5100);
    CHECK(r.combined.score == r2.combined.score);
    CHECK(r2.prefix_limit_reached);
    /* unwatermarked text: z stays moderate */
    CHECK(fabs(r.key_a_all.z) < 5.0);
}

HM_TEST(sglang_detector_collision_pair_stays_distinct)
{
    uint32_t t[6] = {55826, 167495, 17, 62387, 187178, 18};
    hm_sglang_detect_result r = detect(KEY_A, 0, 0, 0.5, 2, 4096, NULL, 0, t, 6);
    CHECK_EQ_INT(r.combined.n, 4);
}

HM_TEST(sglang_coin_threshold_is_strict)
{
    uint32_t ctx[4] = {1, 2, 3, 4}, one[1] = {17};
    uint64_t b = 0x1111222233334444ull;
    uint32_t coin = hm_sglang_coin(KEY_A, b, hm_sglang_context_hash(ctx, 4));
    hm_sglang_detect_result at =
        detect(KEY_A, 1, b, (double)coin / 4294967296.0, 4, 4096, ctx, 4, one, 1);
    hm_sglang_detect_result above =
        detect(KEY_A, 1, b, ((double)coin + 1.0) / 4294967296.0, 4, 4096, ctx, 4, one, 1);
    CHECK_EQ_INT(at.key_a_part.n, 0);
    CHECK(at.combined.score == at.key_b_all.score);
    CHECK_EQ_INT(above.key_b_part.n, 0);
    CHECK(above.combined.score == above.key_a_all.score);
}

HM_TEST(sglang_detector_rejects_bad_config)
{
    hm_sglang_detect_params p = {KEY_A, 0, 0, 0.5, 4, 4096};
    hm_sglang_detect_result r;
    uint32_t t[1] = {1};
    p.h = 0;
    CHECK_EQ_INT(hm_sglang_detect(&p, NULL, 0, t, 1, g_scratch, 8192, &r), HM_E_RANGE);
    p.h = 65;
    CHECK_EQ_INT(hm_sglang_detect(&p, NULL, 0, t, 1, g_scratch, 8192, &r), HM_E_RANGE);
    p.h = 4;
    p.max_contexts = 4097;
    CHECK_EQ_INT(hm_sglang_detect(&p, NULL, 0, t, 1, g_scratch, 8192, &r), HM_E_RANGE);
    p.max_contexts = 4096;
    p.has_b = 1;
    p.mixing = 1.0;
    CHECK_EQ_INT(hm_sglang_detect(&p, NULL, 0, t, 1, g_scratch, 8192, &r), HM_E_RANGE);
    p.mixing = 0.5;
    CHECK_EQ_INT(hm_sglang_detect(&p, NULL, 0, t, 1, g_scratch, 100, &r), HM_E_LIMIT);
}

/* The engine test's dual-key scenario (test_dual_partition_and_cross_key_
 * isolation): 256 tokens over 64 equiprobable ids with key A / key B
 * routed by the keyed coin at P = 0.3, the marked-context set applied as
 * in generation.  Both partitions detect; other keys do not. */
HM_TEST(sglang_dual_key_generation_and_detection)
{
    static uint32_t toks[4 + 256];
    static hm_sglang_marked marked;
    uint64_t dead = 0xdeadbeefu;
    uint32_t thr = 0, ctx[4];
    float probs[64];
    size_t i, L;
    hm_sglang_detect_result r, wrong, single_b;
    for (i = 0; i < 64; i++) probs[i] = 1.0f / 64.0f;
    toks[0] = 100;
    toks[1] = 200;
    toks[2] = 300;
    toks[3] = 400;
    CHECK_OK(hm_sglang_mixing_threshold(0.3, &thr));
    CHECK_OK(hm_sglang_marked_init(&marked, 4096));
    for (i = 0; i < 256; i++) {
        int is_marked = 0;
        int64_t t = -1;
        uint32_t ch;
        hm_sglang_generation_context(toks, 4, toks + 4, i, 4, ctx, &L);
        ch = hm_sglang_context_hash(ctx, L);
        CHECK_OK(hm_sglang_mark_position(&marked, L, ch, 64, &is_marked));
        if (is_marked) {
            CHECK_OK(hm_sglang_sample(probs, 64, hm_sglang_key_for(KEY_A, 1, KEY_B, thr, ch), ch,
                                      &t));
        } else {
            t = (int64_t)((i * 7) % 64); /* stand-in for the engine's RNG */
        }
        toks[4 + i] = (uint32_t)t;
    }
    r = detect(KEY_A, 1, KEY_B, 0.3, 4, 4096, toks, 4, toks + 4, 256);
    CHECK(r.key_a_part.n > 40 && r.key_b_part.n > 120);
    CHECK(r.key_a_part.z > 5.0);
    CHECK(r.key_b_part.z > 5.0);
    CHECK(r.combined.z > r.key_a_all.z);
    wrong = detect(dead, 0, 0, 0.5, 4, 4096, toks, 4, toks + 4, 256);
    CHECK(fabs(wrong.combined.z) < 4.0);
    single_b = detect(KEY_B, 0, 0, 0.5, 4, 4096, toks, 4, toks + 4, 256);
    CHECK(single_b.combined.z < r.key_b_part.z);
}
