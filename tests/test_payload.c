/* test_payload.c - the "mpac" multi-bit scheme: the convolutional code
 * and its Viterbi decoder (exact round trips, correction of symbol
 * errors), blind decoding of generated text, known-payload detection
 * through hm_detect, calibration of the corrected p-value on plain text,
 * and misuse. */
#include "detect_internal.h"
#include "embed_internal.h"
#include "hallmark/error.h"
#include "hallmark/payload.h"
#include "hallmark/stats.h"
#include "calib_corpus.h"
#include "harness.h"
#include "testutil.h"
#include "sampler.h"
#include "schemes/mpac.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V 3000

static const uint8_t SECRET[32] = {42, 1, 2, 3};

/* n tokens under `params` (scheme "none" when params is NULL). */
static int gen(const char *const *params, size_t np, size_t n, uint64_t seed, uint32_t *out)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *lg = malloc(V * sizeof *lg);
    hm_sampling sp = hm_sampling_default();
    size_t i;
    int st;
    if (!lg) return HM_E_NOMEM;
    st = hm_embedder_new_secret(&e, params ? "mpac" : "none", SECRET, params, np, V, NULL);
    if (st == HM_OK) st = hm_session_new(e, &s);
    if (st == HM_OK) hm_session_set_seed(s, seed);
    for (i = 0; i < n && st == HM_OK; i++) {
        hm_test_zipf_logits(lg, V, seed * 1000003u + (i ? out[i - 1] : 1u) * 7u + (i > 1 ? out[i - 2] : 0u),
                            1.0);
        st = hm_session_sample(s, lg, V, &sp, &out[i], NULL);
        if (st == HM_OK) st = hm_session_accept(s, out[i]);
    }
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
    return st;
}

HM_TEST(mpac_viterbi_round_trips_and_corrects)
{
    static const uint64_t payloads[] = {0, 1, 0xDEADBEEF, 0xFFFFFFFF, 0x12345678, 0x80000000};
    static const uint32_t bits[] = {1, 8, 32, 64};
    size_t i, b;
    hm_rng r;
    hm_rng_seed(&r, 77);
    for (b = 0; b < 4; b++)
        for (i = 0; i < 6; i++) {
            uint8_t code[HM_MPAC_MAX_POS];
            uint64_t counts[HM_MPAC_MAX_POS][HM_MPAC_COLOURS], metric, p = payloads[i], got;
            uint32_t j, L = bits[b] + HM_MPAC_TAIL, flips = 0;
            if (bits[b] < 64) p &= ((uint64_t)1 << bits[b]) - 1;
            hm_mpac_encode(p, bits[b], code);
            memset(counts, 0, sizeof counts);
            for (j = 0; j < L; j++) counts[j][code[j]] = 3;
            got = hm_mpac_viterbi((const uint64_t(*)[HM_MPAC_COLOURS])counts, bits[b], &metric);
            CHECK_EQ_U64(got, p);
            CHECK_EQ_U64(metric, 3u * L);
            /* Corrupt a few well-separated positions completely: the code
             * (free distance 10) still decodes. */
            for (j = 2; j < L; j += 12) {
                uint8_t wrong = (uint8_t)((code[j] + 1 + hm_rng_next(&r) % 3) & 3);
                counts[j][code[j]] = 0;
                counts[j][wrong] = 3;
                flips++;
            }
            got = hm_mpac_viterbi((const uint64_t(*)[HM_MPAC_COLOURS])counts, bits[b], &metric);
            CHECK_EQ_U64(got, p);
            CHECK(flips > 0);
        }
}

HM_TEST(mpac_blind_decoding_of_generated_text)
{
    static const uint64_t payloads[] = {0xC0FFEE11, 0x00000001, 0xFFFFFFFE};
    size_t i, ok = 0;
    for (i = 0; i < 3; i++) {
        char pp[40];
        const char *params[2] = {pp, "delta=2"};
        const char *dparams[1] = {"delta=2"};
        uint32_t ids[500];
        hm_detector *d = NULL;
        hm_payload_result r;
        snprintf(pp, sizeof pp, "payload=0x%llx", (unsigned long long)payloads[i]);
        REQUIRE_OK(gen(params, 2, 500, 100 + i, ids));
        REQUIRE_OK(hm_detector_new_secret(&d, "mpac", SECRET, dparams, 1, V, NULL));
        REQUIRE_OK(hm_payload_decode(d, NULL, 0, ids, 500, &r));
        CHECK_EQ_INT(r.bits, 32);
        CHECK_EQ_INT(r.check_bits, 24);
        CHECK_EQ_INT(r.positions, 62);
        ok += r.payload == payloads[i];
        CHECK(r.check_ok);
        CHECK_EQ_INT(hm_payload_outcome(&r, 1e-6), HM_PAYLOAD_FOUND);
        CHECK(r.ln_p_watermark < log(1e-6));
        CHECK_REL(r.ln_p_watermark - hm_stats_binom_logsf((long)r.agreement, (long)r.n_scored, 0.25),
                  33 * log(2.0), 1e-12);
        /* the payload's p-value: max(p_watermark, 2^-24) */
        CHECK_REL(r.ln_p_payload, fmax(r.ln_p_watermark, -24 * log(2.0)), 1e-12);
        CHECK(r.agreement <= r.n_scored);
        /* Known payload: the ordinary detector tests it directly. */
        {
            hm_detector *k = NULL;
            hm_detect_result dr;
            REQUIRE_OK(hm_detector_new_secret(&k, "mpac", SECRET, params, 2, V, NULL));
            REQUIRE_OK(hm_detect(k, NULL, 0, ids, 500, &dr, NULL));
            CHECK(dr.ln_p < log(1e-10));
            CHECK_EQ_U64(dr.n_scored, r.n_scored);
            if (r.payload == payloads[i]) CHECK_EQ_U64((uint64_t)dr.score, r.agreement);
            hm_detector_free(k);
        }
        hm_detector_free(d);
    }
    CHECK_EQ_INT(ok, 3);
}

/* Under H0 the corrected p-value is conservative: over 100 plain texts
 * none falls below 0.01 except by rare chance (P <= 0.01 each). */
HM_TEST(mpac_plain_text_is_not_detected)
{
    size_t i, small = 0;
    const char *dparams[1] = {"bits=16"};
    hm_detector *d = NULL;
    REQUIRE_OK(hm_detector_new_secret(&d, "mpac", SECRET, dparams, 1, V, NULL));
    for (i = 0; i < 100; i++) {
        uint32_t ids[200];
        hm_payload_result r;
        REQUIRE_OK(gen(NULL, 0, 200, 900 + i, ids));
        REQUIRE_OK(hm_payload_decode(d, NULL, 0, ids, 200, &r));
        CHECK(r.ln_p_watermark <= 0);
        if (r.ln_p_watermark < log(0.01)) small++;
        CHECK(hm_payload_outcome(&r, 1e-6) != HM_PAYLOAD_FOUND);
    }
    CHECK(small <= 3);
    hm_detector_free(d);
}

HM_TEST(mpac_misuse)
{
    hm_embedder *e = NULL;
    hm_detector *d = NULL;
    hm_payload_result r;
    uint32_t ids[3] = {1, 2, 3};
    int bad = -1;
    const char *p1[] = {"bits=8", "payload=0x100"};
    const char *p2[] = {"bits=65"};
    const char *p3[] = {"colour=3"};
    const char *p4[] = {"bits=48", "check=24"};
    const char *p5[] = {"check=33"};
    CHECK_EQ_INT(hm_embedder_new_secret(&e, "mpac", SECRET, p1, 2, V, &bad), HM_E_RANGE);
    CHECK_EQ_INT(bad, 1);
    CHECK_EQ_INT(hm_embedder_new_secret(&e, "mpac", SECRET, p2, 1, V, &bad), HM_E_RANGE);
    CHECK_EQ_INT(hm_embedder_new_secret(&e, "mpac", SECRET, p3, 1, V, &bad), HM_E_NOTFOUND);
    CHECK_EQ_INT(hm_embedder_new_secret(&e, "mpac", SECRET, p4, 2, V, &bad), HM_E_RANGE);
    CHECK_EQ_INT(bad, 1);
    CHECK_EQ_INT(hm_embedder_new_secret(&e, "mpac", SECRET, p5, 1, V, &bad), HM_E_RANGE);
    REQUIRE_OK(hm_detector_new_secret(&d, "kgw", SECRET, NULL, 0, V, NULL));
    CHECK_EQ_INT(hm_payload_decode(d, NULL, 0, ids, 3, &r), HM_E_UNSUPPORTED);
    CHECK_EQ_INT(hm_payload_decode(NULL, NULL, 0, ids, 3, &r), HM_E_MISUSE);
    hm_detector_free(d);
    REQUIRE_OK(hm_detector_new_secret(&d, "mpac", SECRET, NULL, 0, V, NULL));
    REQUIRE_OK(hm_payload_decode(d, NULL, 0, ids, 0, &r));
    CHECK_EQ_U64(r.n_scored, 0);
    CHECK(r.ln_p_watermark == 0);
    CHECK(r.ln_p_payload == 0);
    CHECK_EQ_INT(hm_payload_outcome(&r, 1e-6), HM_PAYLOAD_NO_WATERMARK);
    CHECK_EQ_INT(hm_payload_outcome(&r, 0), -1);
    CHECK_EQ_INT(hm_payload_outcome(NULL, 0.1), -1);
    CHECK(hm_payload_outcome_name(3) == NULL);
    hm_detector_free(d);
}

/* Human text (the calibration corpus: The Devil's Dictionary and WordNet
 * glosses, never seen by any model) cut into documents of 128 tokens, each
 * decoded under its own key: the payload outcome (c) never occurs, the
 * keyed check never passes, and the watermark p-value is conservative. */
HM_TEST(mpac_human_text_never_names_a_payload)
{
    static const char *const FILES[] = {"devil.txt", "wordnet-verbs.txt"};
    const size_t doc_len = 128;
    size_t f, docs = 0, found = 0, undetermined = 0, check_ok = 0, small = 0;
    double min_log10 = 0;
    for (f = 0; f < 2; f++) {
        calib_corpus c;
        size_t i;
        int st = calib_corpus_load(FILES[f], calib_sanitized() ? 60000 : 0, &c);
        if (st != HM_OK) {
            if (calib_corpus_missing(FILES[f], st)) return;
            continue;
        }
        for (i = 0; i + doc_len <= c.n; i += doc_len) {
            uint8_t secret[32] = {0};
            hm_detector *d = NULL;
            hm_payload_result r;
            int o;
            memcpy(secret, &docs, sizeof docs);
            secret[31] = 0x5a;
            REQUIRE_OK(hm_detector_new_secret(&d, "mpac", secret, NULL, 0, 0, NULL));
            REQUIRE_OK(hm_payload_decode(d, NULL, 0, c.ids + i, doc_len, &r));
            o = hm_payload_outcome(&r, 1e-6);
            found += o == HM_PAYLOAD_FOUND;
            undetermined += o == HM_PAYLOAD_UNDETERMINED;
            check_ok += r.check_ok != 0;
            small += r.log10_p_watermark <= -2;
            if (r.log10_p_watermark < min_log10) min_log10 = r.log10_p_watermark;
            docs++;
            hm_detector_free(d);
        }
        calib_corpus_free(&c);
    }
    printf("# human text: %zu documents of %zu tokens: found %zu, undetermined %zu, check ok %zu, "
           "p_watermark <= 0.01: %zu, smallest log10 p_watermark %.2f\n",
           docs, doc_len, found, undetermined, check_ok, small, min_log10);
    if (docs == 0) return;
    if (!calib_sanitized()) CHECK(docs >= 2000);
    CHECK_EQ_U64(found, 0);
    CHECK_EQ_U64(undetermined, 0);
    CHECK_EQ_U64(check_ok, 0);
    CHECK(small <= docs / 100 + 3);
}
