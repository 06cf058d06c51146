/* test_lm.c - the sample n-gram model (samples/lm): Kneser-Ney against a
 * hand computation and a brute-force reference, normalization, top-k,
 * the model file (round trip, every-byte corruption, truncation), the
 * token-id text parser, and the plain sampler. */
#include "harness.h"
#include "lm/ngram.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* A fixed-seed corpus of `n_docs` documents over ids 1..V-2 (EOS = V-1 is
 * never inside), Zipf-like so that counts of every size occur. */
static void make_corpus(uint64_t seed, uint32_t V, size_t n_docs, size_t max_len,
                        uint32_t *ids, size_t *n_ids, size_t *starts)
{
    slm_rng r;
    size_t d, n = 0;
    slm_rng_seed(&r, seed);
    for (d = 0; d < n_docs; d++) {
        size_t len = 1 + (size_t)(slm_rng_next(&r) % max_len), i;
        starts[d] = n;
        for (i = 0; i < len; i++) {
            /* a Markov-ish chain: often repeat a pattern, sometimes jump */
            double u = slm_rng_uniform(&r);
            uint32_t w = 1 + (uint32_t)((double)(V - 2) * u * u * u);
            if (i > 0 && slm_rng_uniform(&r) < 0.5) w = 1 + (ids[n - 1] % (V - 2));
            ids[n++] = w;
        }
    }
    *n_ids = n;
}

static double sum_exp(const float *l, uint32_t V)
{
    double s = 0;
    uint32_t w;
    for (w = 0; w < V; w++) s += exp((double)l[w]);
    return s;
}

/* ---- the hand computation (docs/sample-model.md walks through it) -------- */

/* V = 6, EOS = 5, order 2, documents [1 2 3] [1 2 4] [2 3].
 * Bigram counts: (5,1)=2 (1,2)=2 (2,3)=2 (3,5)=2 (2,4)=1 (4,5)=1 (5,2)=1.
 * Unigram continuation counts: 1:1 2:2 3:1 4:1 5:2, total 7.
 * Unigram discounts: n1=3 n2=2 -> Y=3/7, D1=3/7, D2=2-0=2 (not < 2: 1),
 * D3 = 0/0 (1.5).  Bigram: n1=3 n2=4 -> Y=3/11, D1=3/11, D2 -> 1, D3 -> 1.5.
 * gamma() = (3/7*3 + 1*2)/7 = 23/49; p1(w) = (a-D)/7 + 23/294:
 * p1 = 23/294 (0), 47/294 (1,3,4), 65/294 (2,5).
 * Context [2]: children 3 (a=2), 4 (a=1); S=3; gamma = (3/11+1)/3 = 14/33;
 * p(3|2) = 1/3 + 14/33*47/294 = 278/693; p(4|2) = (8/11)/3 + 47/693 =
 * 215/693; p(0|2) = 23/693, p(1|2) = 47/693, p(2|2) = p(5|2) = 65/693. */
HM_TEST(lm_kn_matches_hand_computation)
{
    const uint32_t ids[] = {1, 2, 3, 1, 2, 4, 2, 3};
    const size_t starts[] = {0, 3, 6};
    const double want_uni[6] = {23, 47, 65, 47, 47, 65};
    const double want_2[6] = {23, 47, 65, 278, 215, 65};
    slm_model *m = NULL;
    uint32_t ctx = 2, w;
    float logits[6];
    double lp;
    REQUIRE_OK(slm_train(ids, 8, starts, 3, 2, 6, 5, &m));
    CHECK_EQ_INT(slm_ngram_count(m, 1), 5);
    CHECK_EQ_INT(slm_ngram_count(m, 2), 7);
    CHECK_REL(slm_discount(m, 1, 1), 3.0 / 7.0, 1e-12);
    CHECK_REL(slm_discount(m, 1, 2), 1.0, 1e-12);
    CHECK_REL(slm_discount(m, 1, 3), 1.5, 1e-12);
    CHECK_REL(slm_discount(m, 2, 1), 3.0 / 11.0, 1e-12);
    for (w = 0; w < 6; w++) {
        REQUIRE_OK(slm_logprob(m, NULL, 0, w, &lp));
        CHECK_REL(exp(lp), want_uni[w] / 294.0, 1e-12);
        REQUIRE_OK(slm_logprob(m, &ctx, 1, w, &lp));
        CHECK_REL(exp(lp), want_2[w] / 693.0, 1e-12);
    }
    REQUIRE_OK(slm_logits(m, &ctx, 1, logits));
    for (w = 0; w < 6; w++) CHECK_REL(exp((double)logits[w]), want_2[w] / 693.0, 1e-6);
    slm_free(m);
}

/* ---- a brute-force reference straight from the definitions --------------- */

struct ref {
    const uint32_t *ids;
    const size_t *starts;
    size_t n_ids, n_docs;
    unsigned N;
    uint32_t V, eos;
};

static size_t ref_doc_len(const struct ref *r, size_t d)
{
    size_t e = d + 1 < r->n_docs ? r->starts[d + 1] : r->n_ids;
    return e - r->starts[d];
}

/* Padded document d: EOS, ids, EOS. */
static uint32_t ref_at(const struct ref *r, size_t d, size_t j)
{
    size_t len = ref_doc_len(r, d);
    if (j == 0 || j == len + 1) return r->eos;
    return r->ids[r->starts[d] + j - 1];
}

/* Adjusted count of g (n tokens): the raw count at the top order; below,
 * the number of distinct left neighbours plus the occurrences at the
 * document start. */
static double ref_a(const struct ref *r, const uint32_t *g, unsigned n)
{
    unsigned char seen[64] = {0};
    double a = 0;
    size_t d, s;
    unsigned t;
    for (d = 0; d < r->n_docs; d++) {
        size_t plen = ref_doc_len(r, d) + 2;
        for (s = 0; s + n <= plen; s++) {
            if (s + n - 1 < 1) continue; /* the start marker alone */
            for (t = 0; t < n && ref_at(r, d, s + t) == g[t]; t++) {}
            if (t < n) continue;
            if (n == r->N || s == 0) {
                a += 1;
            } else {
                uint32_t v = ref_at(r, d, s - 1);
                if (!seen[v]) {
                    seen[v] = 1;
                    a += 1;
                }
            }
        }
    }
    return a;
}

/* Discounts of order n from the counts of counts over all n-grams. */
static void ref_discounts(const struct ref *r, unsigned n, double D[4])
{
    uint32_t g[8];
    double nk[5] = {0, 0, 0, 0, 0}, y, est[4];
    size_t total = 1, i;
    unsigned t, k;
    for (t = 0; t < n; t++) total *= r->V;
    for (i = 0; i < total; i++) { /* every possible n-gram: tiny V */
        size_t x = i;
        double a;
        for (t = 0; t < n; t++) {
            g[t] = (uint32_t)(x % r->V);
            x /= r->V;
        }
        a = ref_a(r, g, n);
        if (a >= 1 && a <= 4) nk[(int)a] += 1;
    }
    y = nk[1] / (nk[1] + 2 * nk[2]);
    est[1] = 1 - 2 * y * nk[2] / nk[1];
    est[2] = 2 - 3 * y * nk[3] / nk[2];
    est[3] = 3 - 4 * y * nk[4] / nk[3];
    for (k = 1; k <= 3; k++)
        D[k] = (isfinite(est[k]) && est[k] > 0 && est[k] < k) ? est[k] : k / 2.0;
}

/* p(w | h) with h = the last k tokens (k <= N-1), recursively. */
static double ref_p(const struct ref *r, double D[][4], const uint32_t *h, unsigned k,
                    uint32_t w)
{
    uint32_t g[8];
    double S = 0, nk[4] = {0, 0, 0, 0}, lower, a;
    uint32_t x;
    unsigned t;
    const double *d = D[k + 1];
    lower = k == 0 ? 1.0 / r->V : ref_p(r, D, h + 1, k - 1, w);
    for (t = 0; t < k; t++) g[t] = h[t];
    for (x = 0; x < r->V; x++) {
        double ax;
        g[k] = x;
        ax = ref_a(r, g, k + 1);
        S += ax;
        if (ax > 0) nk[ax >= 3 ? 3 : (int)ax] += 1;
    }
    if (S == 0) return lower;
    g[k] = w;
    a = ref_a(r, g, k + 1);
    a = a > 0 ? a - d[a >= 3 ? 3 : (int)a] : 0;
    return a / S + (d[1] * nk[1] + d[2] * nk[2] + d[3] * nk[3]) / S * lower;
}

static void check_against_reference(unsigned N, uint64_t seed)
{
    uint32_t ids[200];
    size_t starts[12], n_ids, t, c;
    struct ref r;
    double D[8][4];
    slm_model *m = NULL;
    unsigned n;
    const uint32_t V = 9;
    uint32_t ctxs[6][5];
    float logits[9];
    make_corpus(seed, V, 12, 14, ids, &n_ids, starts);
    r.ids = ids;
    r.starts = starts;
    r.n_ids = n_ids;
    r.n_docs = 12;
    r.N = N;
    r.V = V;
    r.eos = V - 1;
    REQUIRE_OK(slm_train(ids, n_ids, starts, 12, N, V, V - 1, &m));
    for (n = 1; n <= N; n++) {
        ref_discounts(&r, n, D[n]);
        CHECK_REL(slm_discount(m, n, 1), D[n][1], 1e-12);
        CHECK_REL(slm_discount(m, n, 2), D[n][2], 1e-12);
        CHECK_REL(slm_discount(m, n, 3), D[n][3], 1e-12);
    }
    /* contexts: from the corpus, a document start, and never-seen ones */
    for (c = 0; c < 6; c++)
        for (t = 0; t < 5; t++) ctxs[c][t] = ids[(c * 31 + t) % (n_ids - 5)];
    ctxs[1][4 - (N > 1 ? N - 2 : 0)] = V - 1; /* EOS = document start */
    ctxs[2][3] = 0;                            /* id 0 never occurs */
    ctxs[3][4] = 0;
    for (c = 0; c < 6; c++) {
        unsigned k = N - 1;
        uint32_t w;
        REQUIRE_OK(slm_logits(m, ctxs[c], 5, logits));
        for (w = 0; w < V; w++) {
            double want = ref_p(&r, D, ctxs[c] + 5 - k, k, w), lp;
            REQUIRE_OK(slm_logprob(m, ctxs[c], 5, w, &lp));
            CHECK_REL(exp(lp), want, 1e-10);
            CHECK_REL(exp((double)logits[w]), want, 2e-6);
        }
    }
    slm_free(m);
}

HM_TEST(lm_kn_matches_bruteforce_reference)
{
    check_against_reference(1, 11);
    check_against_reference(2, 12);
    check_against_reference(3, 13);
    check_against_reference(4, 14);
}

/* ---- normalization, top-k, consistency ----------------------------------- */

#define BIG_V 3001u
static uint32_t big_ids[60000];
static size_t big_starts[400];

static slm_model *big_model(unsigned order, size_t *n_ids)
{
    slm_model *m = NULL;
    make_corpus(99, BIG_V, 400, 290, big_ids, n_ids, big_starts);
    if (slm_train(big_ids, *n_ids, big_starts, 400, order, BIG_V, BIG_V - 1, &m) != HM_OK)
        return NULL;
    return m;
}

static void check_sums(unsigned order)
{
    static float logits[BIG_V];
    size_t n_ids, c;
    slm_model *m = big_model(order, &n_ids);
    uint32_t ctx[6];
    REQUIRE(m != NULL);
    CHECK(slm_ngram_count(m, order) > 1000);
    for (c = 0; c < 14; c++) {
        uint32_t w;
        size_t nc = c % 7;
        int finite = 1;
        for (w = 0; w < 6; w++) ctx[w] = big_ids[(c * 977 + w) % n_ids];
        if (c == 5) ctx[3] = BIG_V - 1;       /* a document start */
        if (c == 6) ctx[5] = 0;               /* unseen id */
        if (c == 7) ctx[2] = ctx[3] = ctx[4] = ctx[5] = 0;
        REQUIRE_OK(slm_logits(m, ctx + 6 - nc, nc, logits));
        for (w = 0; w < BIG_V; w++)
            if (!isfinite(logits[w])) finite = 0;
        CHECK(finite);
        CHECK(fabs(sum_exp(logits, BIG_V) - 1.0) < 1e-6);
        for (w = 0; w < BIG_V; w += 97) {
            double lp;
            REQUIRE_OK(slm_logprob(m, ctx + 6 - nc, nc, w, &lp));
            CHECK(fabs(lp - (double)logits[w]) < 2e-5 * (1 + fabs(lp)));
        }
    }
    slm_free(m);
}

HM_TEST(lm_distributions_sum_to_one)
{
    check_sums(1);
    check_sums(4);
    check_sums(6);
}

HM_TEST(lm_topk_is_the_top_of_logits)
{
    static float logits[BIG_V];
    static uint32_t order_ids[BIG_V];
    uint32_t ids[300];
    float lps[300];
    size_t n_ids, c, n, i;
    slm_model *m = big_model(3, &n_ids);
    uint32_t ctx[2];
    REQUIRE(m != NULL);
    for (c = 0; c < 10; c++) {
        size_t nc = c % 3, k = c < 5 ? 1 + c * 7 : 300;
        uint32_t w;
        ctx[0] = big_ids[(c * 131) % n_ids];
        ctx[1] = c == 4 ? 0 : big_ids[(c * 131 + 1) % n_ids];
        REQUIRE_OK(slm_logits(m, ctx + 2 - nc, nc, logits));
        REQUIRE_OK(slm_topk(m, ctx + 2 - nc, nc, k, ids, lps, &n));
        CHECK_EQ_INT(n, k);
        /* the reference: selection by (value desc, id asc) */
        for (w = 0; w < BIG_V; w++) order_ids[w] = w;
        for (i = 0; i < k; i++) {
            size_t best = i, j;
            for (j = i + 1; j < BIG_V; j++) {
                float a = logits[order_ids[j]], b = logits[order_ids[best]];
                if (a > b || (a == b && order_ids[j] < order_ids[best])) best = j;
            }
            w = order_ids[i];
            order_ids[i] = order_ids[best];
            order_ids[best] = w;
            CHECK_EQ_INT(ids[i], order_ids[i]);
            CHECK(lps[i] == logits[order_ids[i]]);
        }
    }
    CHECK_OK(slm_topk(m, ctx, 2, 0, NULL, NULL, &n));
    CHECK_EQ_INT(n, 0);
    slm_free(m);
}

/* ---- training input ------------------------------------------------------- */

HM_TEST(lm_documents_split_at_eos_like_doc_starts)
{
    const uint32_t a[] = {1, 2, 3, 4, 1, 2, 2, 3, 4};
    const size_t st[] = {0, 4};
    const uint32_t b[] = {1, 2, 3, 4, 9, 1, 2, 2, 3, 4, 9};
    slm_model *ma = NULL, *mb = NULL;
    const unsigned char *ia, *ib;
    size_t la, lb;
    REQUIRE_OK(slm_train(a, 9, st, 2, 3, 10, 9, &ma));
    REQUIRE_OK(slm_train(b, 11, NULL, 0, 3, 10, 9, &mb));
    REQUIRE_OK(slm_file_image(ma, &ia, &la));
    REQUIRE_OK(slm_file_image(mb, &ib, &lb));
    /* same tables; only the token count in the header differs */
    CHECK_EQ_INT(la, lb);
    if (la == lb) CHECK(memcmp(ia + 40, ib + 40, la - 40 - 32) == 0);
    slm_free(ma);
    slm_free(mb);
}

HM_TEST(lm_train_rejects_bad_input)
{
    const uint32_t ids[] = {1, 2, 3};
    const size_t bad_starts[] = {2, 1};
    slm_model *m = (slm_model *)&m;
    float l[4];
    double lp;
    uint32_t big = 4;
    CHECK_EQ_INT(slm_train(ids, 3, NULL, 0, 2, 3, 0, &m), HM_E_RANGE);
    CHECK(m == NULL);
    CHECK_EQ_INT(slm_train(ids, 3, NULL, 0, 0, 10, 0, &m), HM_E_MISUSE);
    CHECK_EQ_INT(slm_train(ids, 3, NULL, 0, 7, 10, 0, &m), HM_E_MISUSE);
    CHECK_EQ_INT(slm_train(ids, 3, NULL, 0, 2, 10, 10, &m), HM_E_MISUSE);
    CHECK_EQ_INT(slm_train(ids, 3, bad_starts, 2, 2, 10, 0, &m), HM_E_MISUSE);
    CHECK_EQ_INT(slm_train(ids, 3, NULL, 0, 2, 10, 0, NULL), HM_E_MISUSE);
    /* no data at all: the uniform distribution */
    REQUIRE_OK(slm_train(NULL, 0, NULL, 0, 3, 4, 3, &m));
    REQUIRE_OK(slm_logits(m, ids, 2, l));
    CHECK_REL(exp((double)l[0]), 0.25, 1e-6);
    CHECK_REL(exp((double)l[3]), 0.25, 1e-6);
    CHECK_EQ_INT(slm_logits(m, &big, 1, l), HM_E_RANGE);
    CHECK_EQ_INT(slm_logprob(m, NULL, 0, 4, &lp), HM_E_RANGE);
    slm_free(m);
    slm_free(NULL);
}

HM_TEST(lm_parse_ids)
{
    const char ok[] = "1 2 3\n\n4\t5 \r\n6";
    uint32_t *ids = NULL;
    size_t *st = NULL, n = 0, nd = 0, line = 0;
    REQUIRE_OK(slm_parse_ids(ok, strlen(ok), 10, &ids, &n, &st, &nd, &line));
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(nd, 4);
    if (n == 6 && nd == 4) {
        CHECK_EQ_INT(ids[3], 4);
        CHECK_EQ_INT(st[1], 3);
        CHECK_EQ_INT(st[2], 3);
        CHECK_EQ_INT(st[3], 5);
    }
    free(ids);
    free(st);
    CHECK_EQ_INT(slm_parse_ids("1 2\n3 x\n", 8, 10, &ids, &n, &st, &nd, &line), HM_E_FORMAT);
    CHECK_EQ_INT(line, 2);
    CHECK_EQ_INT(slm_parse_ids("1 2a", 4, 10, &ids, &n, &st, &nd, &line), HM_E_FORMAT);
    CHECK_EQ_INT(slm_parse_ids("-1", 2, 10, &ids, &n, &st, &nd, &line), HM_E_FORMAT);
    CHECK_EQ_INT(slm_parse_ids("1 10", 4, 10, &ids, &n, &st, &nd, &line), HM_E_RANGE);
    CHECK_EQ_INT(slm_parse_ids("99999999999", 11, 10, &ids, &n, &st, &nd, &line), HM_E_RANGE);
    CHECK(ids == NULL && st == NULL);
    REQUIRE_OK(slm_parse_ids("", 0, 10, &ids, &n, &st, &nd, &line));
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(nd, 0);
    free(ids);
    free(st);
}

/* ---- the model file -------------------------------------------------------- */

static slm_model *small_model(void)
{
    uint32_t ids[80];
    size_t starts[6], n;
    slm_model *m = NULL;
    make_corpus(5, 12, 6, 13, ids, &n, starts);
    if (slm_train(ids, n, starts, 6, 3, 12, 11, &m) != HM_OK) return NULL;
    return m;
}

HM_TEST(lm_save_load_round_trip)
{
    static float a[BIG_V], b[BIG_V];
    char path[64];
    size_t n_ids, la, lb, c;
    const unsigned char *ia, *ib;
    slm_model *m = big_model(4, &n_ids), *m2 = NULL;
    unsigned char id1[32], id2[32];
    int fd;
    REQUIRE(m != NULL);
    snprintf(path, sizeof path, "/tmp/hm_test_lm_XXXXXX");
    fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE_OK(slm_save(m, path));
    REQUIRE_OK(slm_load(path, &m2));
    unlink(path);
    REQUIRE_OK(slm_file_image(m, &ia, &la));
    REQUIRE_OK(slm_file_image(m2, &ib, &lb));
    CHECK_EQ_INT(la, lb);
    CHECK(la == lb && memcmp(ia, ib, la) == 0);
    CHECK_OK(slm_model_id(m, id1));
    CHECK_OK(slm_model_id(m2, id2));
    CHECK(memcmp(id1, id2, 32) == 0);
    CHECK_EQ_INT(slm_order(m2), 4);
    CHECK_EQ_INT(slm_vocab_size(m2), BIG_V);
    CHECK_EQ_INT(slm_eos(m2), BIG_V - 1);
    for (c = 0; c < 5; c++) {
        const uint32_t *ctx = big_ids + c * 1000;
        REQUIRE_OK(slm_logits(m, ctx, 3, a));
        REQUIRE_OK(slm_logits(m2, ctx, 3, b));
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    slm_free(m2);
    CHECK_EQ_INT(slm_load("/nonexistent/hm_lm_model", &m2), HM_E_IO);
    CHECK(m2 == NULL);
    slm_free(m);
}

HM_TEST(lm_every_corruption_is_detected)
{
    slm_model *m = small_model(), *m2 = NULL;
    const unsigned char *img;
    unsigned char *buf;
    size_t len, i;
    int missed = 0, bad_code = 0, x;
    REQUIRE(m != NULL);
    REQUIRE_OK(slm_file_image(m, &img, &len));
    REQUIRE(len > 208 + 32);
    buf = malloc(len + 1);
    REQUIRE(buf != NULL);
    for (i = 0; i < len; i++) {
        for (x = 0; x < 3; x++) {
            static const unsigned char flips[3] = {0x01, 0x80, 0xff};
            int rc;
            memcpy(buf, img, len);
            buf[i] ^= flips[x];
            rc = slm_load_buffer(buf, len, &m2);
            if (rc == HM_OK) {
                missed++;
                slm_free(m2);
            } else if (rc != HM_E_CORRUPT && rc != HM_E_FORMAT && rc != HM_E_VERSION &&
                       rc != HM_E_TRUNCATED) {
                bad_code++;
            }
            if (m2 != NULL && rc != HM_OK) bad_code++;
        }
    }
    CHECK_EQ_INT(missed, 0);
    CHECK_EQ_INT(bad_code, 0);
    /* truncation at every length, and one byte too many */
    for (i = 0; i < len; i++) {
        int rc = slm_load_buffer(img, i, &m2);
        if (rc == HM_OK) {
            missed++;
            slm_free(m2);
        }
    }
    CHECK_EQ_INT(missed, 0);
    memcpy(buf, img, len);
    buf[len] = 0;
    CHECK(slm_load_buffer(buf, len + 1, &m2) != HM_OK);
    /* intact: loads */
    CHECK_OK(slm_load_buffer(img, len, &m2));
    slm_free(m2);
    /* a specific message for each kind */
    memcpy(buf, img, len);
    buf[0] = 'X';
    CHECK_EQ_INT(slm_load_buffer(buf, len, &m2), HM_E_FORMAT);
    memcpy(buf, img, len);
    buf[8] = 2;
    CHECK_EQ_INT(slm_load_buffer(buf, len, &m2), HM_E_VERSION);
    CHECK_EQ_INT(slm_load_buffer(img, len - 1, &m2), HM_E_TRUNCATED);
    memcpy(buf, img, len);
    buf[len / 2] ^= 4;
    CHECK_EQ_INT(slm_load_buffer(buf, len, &m2), HM_E_CORRUPT);
    free(buf);
    slm_free(m);
}

/* ---- sampling and generation ------------------------------------------------ */

HM_TEST(lm_rng_is_reproducible)
{
    slm_rng a, b;
    int i, same = 1;
    double u;
    slm_rng_seed(&a, 42);
    slm_rng_seed(&b, 42);
    for (i = 0; i < 100; i++)
        if (slm_rng_next(&a) != slm_rng_next(&b)) same = 0;
    CHECK(same);
    slm_rng_seed(&b, 43);
    CHECK(slm_rng_next(&a) != slm_rng_next(&b));
    for (i = 0; i < 1000; i++) {
        u = slm_rng_uniform(&a);
        if (!(u >= 0 && u < 1)) same = 0;
    }
    CHECK(same);
}

/* Draws `n` tokens and counts them. */
static void draw(const slm_sampler_params *p, const float *l, uint32_t V, int n,
                 uint64_t seed, int *counts)
{
    slm_sampler *s = NULL;
    slm_rng r;
    int i;
    uint32_t t;
    memset(counts, 0, V * sizeof *counts);
    if (slm_sampler_new(p, V, &s) != HM_OK) return;
    slm_rng_seed(&r, seed);
    for (i = 0; i < n; i++)
        if (slm_sample(s, l, V, &r, &t) == HM_OK) counts[t]++;
    slm_sampler_free(s);
}

HM_TEST(lm_sampler_filters_and_frequencies)
{
    /* probabilities 0.4 0.3 0.2 0.1 0 at ids 0..4 (id 4: -inf) */
    const float l[5] = {logf(0.4f), logf(0.3f), logf(0.2f), logf(0.1f), -INFINITY};
    slm_sampler_params p = slm_sampler_params_default();
    int c[5], n = 40000, i;
    draw(&p, l, 5, n, 1, c);
    /* 5 sigma of a binomial proportion: sqrt(0.25/40000) = 0.0025 */
    CHECK(fabs(c[0] / (double)n - 0.4) < 0.0125);
    CHECK(fabs(c[1] / (double)n - 0.3) < 0.0125);
    CHECK(fabs(c[2] / (double)n - 0.2) < 0.0125);
    CHECK(fabs(c[3] / (double)n - 0.1) < 0.0125);
    CHECK_EQ_INT(c[4], 0);
    p.top_k = 2; /* 0.4/0.7 and 0.3/0.7 */
    draw(&p, l, 5, n, 2, c);
    CHECK(fabs(c[0] / (double)n - 4.0 / 7.0) < 0.0125);
    CHECK_EQ_INT(c[2] + c[3] + c[4], 0);
    p.top_k = 0;
    p.top_p = 0.65f; /* 0.4 + 0.3 >= 0.65: keeps ids 0, 1 */
    draw(&p, l, 5, n, 3, c);
    CHECK(c[0] > 0 && c[1] > 0);
    CHECK_EQ_INT(c[2] + c[3] + c[4], 0);
    p.top_p = 1.0f;
    p.min_p = 0.45f; /* p >= 0.18: ids 0, 1, 2 */
    draw(&p, l, 5, n, 4, c);
    CHECK(c[2] > 0);
    CHECK_EQ_INT(c[3] + c[4], 0);
    p.min_p = 0;
    p.temperature = 0; /* greedy */
    draw(&p, l, 5, 10, 5, c);
    CHECK_EQ_INT(c[0], 10);
    p.temperature = 0.5f; /* squares the odds: 16:9:4:1 / 30 */
    draw(&p, l, 5, n, 6, c);
    CHECK(fabs(c[0] / (double)n - 16.0 / 30.0) < 0.0125);
    CHECK(fabs(c[3] / (double)n - 1.0 / 30.0) < 0.0125);
    /* top-p and top-k over a large vocabulary (the selection paths) */
    {
        static float big[5000];
        static int cb[5000];
        slm_sampler_params q = slm_sampler_params_default();
        int outside = 0;
        for (i = 0; i < 5000; i++) big[i] = (float)((i * 7919) % 5000) * -0.01f;
        q.top_k = 50;
        draw(&q, big, 5000, 5000, 7, cb);
        for (i = 0; i < 5000; i++)
            if (cb[i] && (i * 7919) % 5000 >= 50) outside++;
        CHECK_EQ_INT(outside, 0);
        q.top_k = 0;
        q.top_p = 0.5f; /* p_j ~ e^{-0.01 j}: half the mass within j < 69 */
        draw(&q, big, 5000, 5000, 8, cb);
        for (i = 0; i < 5000; i++)
            if (cb[i] && (i * 7919) % 5000 >= 70) outside++;
        CHECK_EQ_INT(outside, 0);
    }
}

HM_TEST(lm_sampler_rejects_bad_input)
{
    const float inf[3] = {-INFINITY, NAN, -INFINITY};
    const float withnan[3] = {NAN, 0.0f, NAN};
    slm_sampler_params p = slm_sampler_params_default();
    slm_sampler *s = NULL;
    slm_rng r;
    uint32_t t = 9;
    slm_rng_seed(&r, 1);
    p.top_p = 0;
    CHECK_EQ_INT(slm_sampler_new(&p, 3, &s), HM_E_RANGE);
    p = slm_sampler_params_default();
    p.temperature = -1;
    CHECK_EQ_INT(slm_sampler_new(&p, 3, &s), HM_E_RANGE);
    p = slm_sampler_params_default();
    p.struct_size = 4;
    CHECK_EQ_INT(slm_sampler_new(&p, 3, &s), HM_E_MISUSE);
    p = slm_sampler_params_default();
    REQUIRE_OK(slm_sampler_new(&p, 3, &s));
    CHECK_EQ_INT(slm_sample(s, inf, 3, &r, &t), HM_E_RANGE);
    CHECK_OK(slm_sample(s, withnan, 3, &r, &t));
    CHECK_EQ_INT(t, 1);
    CHECK_EQ_INT(slm_sample(s, inf, 4, &r, &t), HM_E_MISUSE);
    slm_sampler_free(s);
    slm_sampler_free(NULL);
}

HM_TEST(lm_generation_is_deterministic)
{
    static float scratch[BIG_V];
    uint32_t a[64], b[64], prompt[2];
    size_t na, nb, n_ids;
    slm_model *m = big_model(3, &n_ids);
    slm_sampler_params p = slm_sampler_params_default();
    slm_sampler *s = NULL;
    slm_rng r;
    REQUIRE(m != NULL);
    p.top_p = 0.95f;
    REQUIRE_OK(slm_sampler_new(&p, BIG_V, &s));
    prompt[0] = BIG_V - 1;
    prompt[1] = big_ids[0];
    slm_rng_seed(&r, 2024);
    REQUIRE_OK(slm_generate(m, s, &r, prompt, 2, 64, scratch, a, &na));
    slm_rng_seed(&r, 2024);
    REQUIRE_OK(slm_generate(m, s, &r, prompt, 2, 64, scratch, b, &nb));
    CHECK(na > 0);
    CHECK_EQ_INT(na, nb);
    CHECK(memcmp(a, b, na * sizeof *a) == 0);
    slm_rng_seed(&r, 2025);
    REQUIRE_OK(slm_generate(m, s, &r, prompt, 2, 64, scratch, b, &nb));
    CHECK(nb != na || memcmp(a, b, na * sizeof *a) != 0);
    slm_sampler_free(s);
    slm_free(m);
}
