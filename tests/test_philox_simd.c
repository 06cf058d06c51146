/* test_philox_simd.c - the batched PRF kernels: the Philox of the vLLM token
 * PRF and the two passes of its pruned dense sampler
 * (watermark/schemes/philox_simd.c), and SGLang's batched MurmurHash passes
 * and pruned sampler (watermark/schemes/sglang.c).  Every
 * implementation this machine runs (portable C, AVX2, AVX-512F) gives the
 * scalar hm_vllm_words4 bytes and the same bounds and survivors, for random
 * keys, states, start groups and lengths (tails included); and the pruned
 * sampler picks the reference loop's token for many vocabulary sizes,
 * temperatures and masks. */
#include "harness.h"
#include "testutil.h"
#include "schemes/interop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int impls[] = {HM_SIMD_IMPL_SCALAR, HM_SIMD_IMPL_AVX2, HM_SIMD_IMPL_AVX512,
                            HM_SIMD_IMPL_AUTO};
#define N_IMPLS (sizeof impls / sizeof impls[0])

static uint64_t next(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void random_state(uint64_t *x, uint32_t st[4])
{
    int i;
    for (i = 0; i < 4; i++) st[i] = (uint32_t)next(x);
}

HM_TEST(philox_simd_impls_available)
{
    CHECK(hm_simd_impl_available(HM_SIMD_IMPL_SCALAR));
    CHECK(hm_simd_impl_available(HM_SIMD_IMPL_AUTO));
    CHECK(!hm_simd_impl_available(7));
    {
        uint32_t st[4] = {1, 2, 3, 4};
        uint8_t out[4];
        CHECK_EQ_INT(hm_vllm_top_bytes(7, 1, st, 0, 1, out), HM_E_UNSUPPORTED);
        CHECK_EQ_INT(hm_vllm_top_bytes(HM_SIMD_IMPL_AUTO, 1, NULL, 0, 1, out), HM_E_MISUSE);
    }
}

/* Random keys, states, start groups (wrapping past 2^32 too) and lengths. */
HM_TEST(philox_simd_top_bytes_equal_scalar)
{
    static uint8_t got[4 * 300 + 4], want[4 * 300 + 4];
    static const size_t lens[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 299};
    uint64_t x = 20261122;
    size_t k, t;
    for (t = 0; t < 400; t++) {
        uint64_t key = next(&x);
        uint32_t st[4], g0 = (uint32_t)next(&x);
        size_t n = t < 17 * 4 ? lens[t % 17] : (size_t)(next(&x) % 300), i;
        random_state(&x, st);
        if (t % 4 == 1) g0 = UINT32_MAX - (uint32_t)(next(&x) % 40); /* wraps */
        if (t % 4 == 2) g0 = (uint32_t)(next(&x) % 64);
        if (t % 8 == 3) key = 0;
        for (i = 0; i < n; i++) {
            uint32_t w[4];
            int j;
            hm_vllm_words4(key, st, g0 + (uint32_t)i, 0, w);
            for (j = 0; j < 4; j++) want[4 * i + (size_t)j] = (uint8_t)(w[j] >> 24);
        }
        for (k = 0; k < N_IMPLS; k++) {
            if (!hm_simd_impl_available(impls[k])) continue;
            memset(got, 0xA5, sizeof got);
            CHECK_EQ_INT(hm_vllm_top_bytes(impls[k], key, st, g0, n, got), HM_OK);
            CHECK(memcmp(got, want, 4 * n) == 0);
            CHECK_EQ_INT(got[4 * n], 0xA5); /* nothing written past 4n */
        }
        if (hm_test_failed_now()) break;
    }
}

/* Logits of `kind`: 0 Zipf, 1 with every third masked, 2 whole 64-blocks
 * masked, 3 one live candidate, 4 NaNs and -inf, 5 rounded (ties), 6 all
 * masked, 7 two +inf. */
static void make_logits(float *lg, size_t V, uint64_t seed, int kind)
{
    size_t i;
    hm_test_zipf_logits(lg, V, seed, seed % 2 ? 1.1 : 3.0);
    switch (kind) {
    case 1:
        for (i = 0; i < V; i += 3) lg[i] = -INFINITY;
        break;
    case 2:
        for (i = 0; i < V; i++)
            if ((i / 64) % 3 != 1) lg[i] = -INFINITY;
        break;
    case 3:
        for (i = 0; i < V; i++)
            if (i != (size_t)(seed % V)) lg[i] = -INFINITY;
        break;
    case 4:
        for (i = 0; i < V; i += 5) lg[i] = i % 2 ? NAN : -INFINITY;
        break;
    case 5:
        for (i = 0; i < V; i++) lg[i] = (float)(int)lg[i];
        break;
    case 6:
        for (i = 0; i < V; i++) lg[i] = -INFINITY;
        break;
    case 7:
        lg[(size_t)(seed % V)] = INFINITY;
        lg[V - 1] = INFINITY;
        break;
    default: break;
    }
}

/* 1 if group g of V has a candidate with l = x * inv_t > -inf. */
static int group_live(const float *lg, size_t V, size_t g, float inv_t)
{
    size_t v;
    for (v = 4 * g; v < 4 * g + 4 && v < V; v++)
        if (lg[v] * inv_t > -INFINITY) return 1;
    return 0;
}

/* Both passes, every implementation against the scalar one. */
HM_TEST(philox_simd_passes_equal_scalar)
{
    enum { VMAX = 5003 };
    static float lg[VMAX];
    static uint8_t ref[VMAX + 8], got[VMAX + 8];
    static uint32_t ids_ref[VMAX], ids_got[VMAX];
    static const size_t sizes[] = {1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 5003};
    hm_vllm_gumbel_bounds b;
    uint64_t x = 77;
    int t;
    hm_vllm_gumbel_bounds_init(&b);
    for (t = 0; t < 16 * 8 * 2; t++) {
        size_t V = sizes[(size_t)t % 16], k, g, nref = 0, pos = 0;
        int kind = (t / 16) % 8, inf_ref = 0;
        float inv_t = t % 3 == 0 ? 1.0f : t % 3 == 1 ? 1.0f / 0.7f : 1.0f / 1.6f;
        float lo_ref = 0, thr;
        uint64_t key = next(&x);
        uint32_t st[4];
        random_state(&x, st);
        make_logits(lg, V, (uint64_t)t, kind);
        REQUIRE_OK(hm_vllm_gumbel_pass1(HM_SIMD_IMPL_SCALAR, lg, V, inv_t, key, st, &b, ref,
                                        &lo_ref, &inf_ref));
        CHECK_EQ_INT(inf_ref, (kind == 7));
        /* the survivors' threshold: the sampler's, or a low one (many) */
        thr = t % 2 ? lo_ref : lo_ref - 6.0f;
        while (pos < V) {
            size_t n = hm_vllm_gumbel_pass2(HM_SIMD_IMPL_SCALAR, lg, V, inv_t, &b, ref, thr, &pos,
                                            ids_ref + nref, 64);
            nref += n;
        }
        for (k = 0; k < N_IMPLS; k++) {
            float lo = 0;
            int inf = 0;
            size_t ngot = 0;
            if (!hm_simd_impl_available(impls[k])) continue;
            memset(got, 0x5A, sizeof got);
            REQUIRE_OK(hm_vllm_gumbel_pass1(impls[k], lg, V, inv_t, key, st, &b, got, &lo, &inf));
            CHECK(memcmp(&lo, &lo_ref, sizeof lo) == 0); /* bit for bit */
            CHECK_EQ_INT(inf, inf_ref);
            for (g = 0; 4 * g < V; g++)
                if (group_live(lg, V, g, inv_t))
                    CHECK(memcmp(got + 4 * g, ref + 4 * g, V - 4 * g < 4 ? V - 4 * g : 4) == 0);
            CHECK_EQ_INT(got[V], 0x5A); /* nothing written past V */
            /* pass 2 from the scalar bytes, resumed in chunks of 64 ids */
            pos = 0;
            while (pos < V) {
                size_t cap = t % 4 == 0 ? 3 : 64; /* small: the scalar path */
                size_t n = hm_vllm_gumbel_pass2(impls[k], lg, V, inv_t, &b, ref, thr, &pos,
                                                ids_got + ngot, cap);
                CHECK(n <= cap);
                ngot += n;
            }
            CHECK_EQ_U64(ngot, nref);
            CHECK(memcmp(ids_got, ids_ref, nref * sizeof *ids_ref) == 0);
        }
        if (hm_test_failed_now()) break;
    }
}

/* The pruned sampler against the reference loop: vocabulary sizes around
 * the vector widths and of real models, temperatures, masks, NaN, +inf, ties
 * and all-masked rows (HM_E_RANGE and token 0 from both). */
HM_TEST(vllm_pruned_sampler_equals_reference_wide)
{
    enum { VMAX = 128256 };
    static float lg[VMAX];
    static uint8_t scratch[VMAX + 8];
    static const size_t sizes[] = {1, 3, 17, 64, 65, 1001, 32000, 50257, 128256};
    static const float temps[] = {0.25f, 0.7f, 1.0f, 1.6f, 3.0f};
    hm_vllm_gumbel_bounds b;
    uint64_t x = 5;
    int t;
    hm_vllm_gumbel_bounds_init(&b);
    for (t = 0; t < 9 * 8; t++) {
        size_t V = sizes[(size_t)t % 9];
        int kind = (t / 9) % 8, ra, rp;
        float temp = temps[(size_t)t % 5];
        uint64_t key = next(&x);
        uint32_t st[4];
        int64_t a = -1, p = -2;
        if (V > 50000 && t % 3) continue; /* a few of the large ones */
        random_state(&x, st);
        make_logits(lg, V, (uint64_t)t + 1000, kind);
        ra = hm_vllm_gumbel_sample(lg, V, temp, key, st, &a);
        rp = hm_vllm_gumbel_sample_pruned(lg, V, temp, key, st, &b, scratch, &p);
        CHECK_EQ_INT(rp, ra);
        CHECK_EQ_INT(p, a);
        if (kind == 6) CHECK_EQ_INT(ra, HM_E_RANGE);
        if (kind == 0 || kind == 7) CHECK_EQ_INT(ra, HM_OK);
        if (hm_test_failed_now()) break;
    }
}

/* Probabilities of `kind`: 0 softmax of Zipf logits (exponent 1.1 or 3),
 * 1 every third zero, 2 one positive, 3 NaN and negative entries, 4 all
 * zero, 5 tiny (subnormal) entries beside large ones, 6 flat. */
static void make_probs(float *p, size_t V, uint64_t seed, int kind)
{
    size_t i;
    double sum = 0;
    float m = -INFINITY;
    hm_test_zipf_logits(p, V, seed, seed % 2 ? 1.1 : 3.0);
    for (i = 0; i < V; i++)
        if (p[i] > m) m = p[i];
    for (i = 0; i < V; i++) {
        p[i] = expf(p[i] - m);
        sum += (double)p[i];
    }
    for (i = 0; i < V; i++) p[i] = (float)((double)p[i] / sum);
    switch (kind) {
    case 1:
        for (i = 0; i < V; i += 3) p[i] = 0;
        break;
    case 2:
        for (i = 0; i < V; i++)
            if (i != (size_t)(seed % V)) p[i] = 0;
        break;
    case 3:
        for (i = 0; i < V; i += 5) p[i] = i % 2 ? NAN : -0.25f;
        break;
    case 4:
        for (i = 0; i < V; i++) p[i] = 0;
        break;
    case 5:
        for (i = 0; i < V; i += 2) p[i] = 1e-44f;
        break;
    case 6:
        for (i = 0; i < V; i++) p[i] = 1.0f / (float)V;
        break;
    default: break;
    }
}

HM_TEST(sglang_simd_passes_equal_scalar)
{
    enum { VMAX = 5003 };
    static float pr[VMAX];
    static uint8_t ref[VMAX + 8], got[VMAX + 8];
    static uint32_t ids_ref[VMAX], ids_got[VMAX];
    static const size_t sizes[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 5003};
    hm_sglang_bounds b;
    uint64_t x = 99;
    int t;
    hm_sglang_bounds_init(&b);
    for (t = 0; t < 14 * 7 * 2; t++) {
        size_t V = sizes[(size_t)t % 14], k, v, nref = 0, pos = 0;
        int kind = (t / 14) % 7;
        float lo_ref = 0, thr;
        uint64_t key = next(&x);
        uint32_t ch = (uint32_t)next(&x);
        make_probs(pr, V, (uint64_t)t, kind);
        REQUIRE_OK(hm_sglang_pass1(HM_SIMD_IMPL_SCALAR, pr, V, key, ch, &b, ref, &lo_ref));
        for (v = 0; v < V; v++) CHECK_EQ_INT(ref[v], hm_sglang_token_hash(key, ch, (uint32_t)v) >> 24);
        thr = t % 2 ? lo_ref : lo_ref * 4.0f;
        while (pos < V)
            nref += hm_sglang_pass2(HM_SIMD_IMPL_SCALAR, pr, V, &b, ref, thr, &pos, ids_ref + nref,
                                    64);
        for (k = 0; k < N_IMPLS; k++) {
            float lo = 0;
            size_t ngot = 0;
            if (!hm_simd_impl_available(impls[k])) continue;
            memset(got, 0x5A, sizeof got);
            REQUIRE_OK(hm_sglang_pass1(impls[k], pr, V, key, ch, &b, got, &lo));
            CHECK(memcmp(&lo, &lo_ref, sizeof lo) == 0);
            CHECK(memcmp(got, ref, V) == 0);
            CHECK_EQ_INT(got[V], 0x5A);
            pos = 0;
            while (pos < V) {
                size_t cap = t % 4 == 0 ? 3 : 64; /* small: the scalar path */
                size_t n = hm_sglang_pass2(impls[k], pr, V, &b, ref, thr, &pos, ids_got + ngot, cap);
                CHECK(n <= cap);
                ngot += n;
            }
            CHECK_EQ_U64(ngot, nref);
            CHECK(memcmp(ids_got, ids_ref, nref * sizeof *ids_ref) == 0);
        }
        if (hm_test_failed_now()) break;
    }
}

HM_TEST(sglang_pruned_sampler_equals_reference)
{
    enum { VMAX = 128256 };
    static float pr[VMAX];
    static uint8_t scratch[VMAX + 8];
    static const size_t sizes[] = {1, 3, 17, 64, 65, 1001, 32000, 50257, 128256};
    hm_sglang_bounds b;
    uint64_t x = 11;
    int t;
    hm_sglang_bounds_init(&b);
    for (t = 0; t < 9 * 7 * 2; t++) {
        size_t V = sizes[(size_t)t % 9];
        int kind = (t / 9) % 7, ra, rp;
        uint64_t key = next(&x);
        uint32_t ch = (uint32_t)next(&x);
        int64_t a = -1, p = -2;
        if (V > 50000 && t % 3) continue; /* a few of the large ones */
        make_probs(pr, V, (uint64_t)t + 500, kind);
        ra = hm_sglang_sample(pr, V, key, ch, &a);
        rp = hm_sglang_sample_pruned(pr, V, key, ch, &b, scratch, &p);
        CHECK_EQ_INT(rp, ra);
        CHECK_EQ_INT(p, a);
        if (kind == 4) CHECK_EQ_INT(ra, HM_E_RANGE);
        if (kind == 0 || kind == 6) CHECK_EQ_INT(ra, HM_OK);
        if (hm_test_failed_now()) break;
    }
}

/* The pruned sparse sampler against hm_vllm_gumbel_sample_sparse: random
 * distinct ids in any order, the logit kinds of the dense tests, and a bad
 * id (HM_E_RANGE from both). */
HM_TEST(vllm_sparse_pruned_sampler_equals_reference)
{
    enum { NMAX = 300 };
    static float lg[NMAX];
    static int64_t ids[NMAX];
    static uint8_t scratch[NMAX];
    static const size_t sizes[] = {1, 2, 5, 40, 50, 300};
    hm_vllm_gumbel_bounds b;
    uint64_t x = 3;
    int t;
    hm_vllm_gumbel_bounds_init(&b);
    for (t = 0; t < 6 * 8 * 4; t++) {
        size_t n = sizes[(size_t)t % 6], i;
        int kind = (t / 6) % 8, ra, rp;
        float temp = t % 3 == 0 ? 0.7f : t % 3 == 1 ? 1.0f : 2.0f;
        uint64_t key = next(&x);
        uint32_t st[4];
        int64_t a = -5, p = -5;
        random_state(&x, st);
        make_logits(lg, n, (uint64_t)t + 77, kind);
        for (i = 0; i < n; i++) ids[i] = (int64_t)(1000 * i + next(&x) % 1000); /* distinct */
        for (i = n - 1; i > 0; i--) { /* any order */
            size_t j = (size_t)(next(&x) % (i + 1));
            int64_t tmp = ids[i];
            ids[i] = ids[j];
            ids[j] = tmp;
        }
        if (t % 4 == 3) ids[(size_t)(next(&x) % n)] = (t % 8 == 3) ? -1 : (int64_t)1 << 33;
        ra = hm_vllm_gumbel_sample_sparse(ids, lg, n, temp, key, st, &a);
        rp = hm_vllm_gumbel_sample_sparse_pruned(ids, lg, n, temp, key, st, &b, scratch, &p);
        CHECK_EQ_INT(rp, ra);
        CHECK_EQ_INT(p, a);
        if (t % 4 == 3) CHECK_EQ_INT(ra, HM_E_RANGE);
        if (hm_test_failed_now()) break;
    }
}
