/*
 * test_radio.c - the radioactivity engine on a small synthetic world: a
 * random bigram "teacher" answers prompts with and without our watermark,
 * n-gram "students" (samples/lm) are trained on the answers, and the
 * closed-model test detects the student distilled from marked answers and
 * not the one trained on clean answers; the control key stays quiet; the
 * prompt-context exclusion removes a copied marked prompt; shards merge to
 * the single-process statistics exactly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark.h"
#include "harness.h"
#include "lm/ngram.h"

#define RV 400u     /* vocabulary; id RV-1 is the (never produced) EOS */
#define PLEN 4      /* prompt length */
#define ALEN 60     /* answer length */

static const char *const RPARAMS[] = {"seeding=lefthash", "h=1", "delta=3", "gamma=0.25"};
#define NRP 4

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static hm_key *rkey(uint8_t fill)
{
    uint8_t b[32];
    hm_key *k = NULL;
    memset(b, fill, sizeof b);
    if (hm_key_from_bytes(b, 1700000000u, &k) != HM_OK) return NULL;
    return k;
}

/* The teacher: a fixed random bigram table (peaked enough to be learnable). */
static void teacher_logits(uint32_t prev, float *lg)
{
    uint32_t v;
    for (v = 0; v < RV; v++) {
        uint64_t h = mix(((uint64_t)prev << 20) ^ v ^ 0xabcdef);
        lg[v] = (float)((double)(h % 1000) / 250.0); /* 0..4 nats */
    }
    lg[RV - 1] = -INFINITY;
}

static void prompt_of(size_t i, uint32_t *p)
{
    size_t k;
    for (k = 0; k < PLEN; k++) p[k] = (uint32_t)(mix(i * 31 + k + 7) % (RV - 1));
}

/* Answers n prompts (starting at prompt index first) with the teacher,
 * marked under key (NULL: plain).  out: n * (PLEN + ALEN) ids. */
static int teacher_answers(const hm_key *key, size_t first, size_t n, uint32_t *out)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float lg[RV];
    size_t i, k;
    int st = hm_embedder_new(&e, key ? "kgw" : "none", key, key ? RPARAMS : NULL, key ? NRP : 0,
                             RV, NULL);
    if (st == HM_OK) st = hm_session_new(e, &s);
    for (i = 0; st == HM_OK && i < n; i++) {
        uint32_t *doc = out + i * (PLEN + ALEN);
        prompt_of(first + i, doc);
        hm_session_reset(s);
        hm_session_set_seed(s, 1000 + first + i);
        (void)hm_session_seed(s, doc, PLEN);
        for (k = PLEN; st == HM_OK && k < PLEN + ALEN; k++) {
            uint32_t t = 0;
            teacher_logits(doc[k - 1], lg);
            st = hm_session_sample(s, lg, RV, NULL, &t, NULL);
            if (st == HM_OK) st = hm_session_accept(s, t);
            doc[k] = t;
        }
    }
    hm_session_free(s);
    hm_embedder_free(e);
    return st;
}

/* Trains a student on the answers, samples it on held-out prompts and
 * returns the radioactivity stats (shard i of n; n = 0: no sharding). */
static int student_radio(const hm_key *teacher_key, const hm_key *our_key, uint32_t shard,
                         uint32_t n_shards, hm_radio_stats *st_out, hm_detect_result *main_res,
                         hm_detect_result *ctrl_res)
{
    enum { NTRAIN = 400, NTEST = 150 };
    uint32_t *train = malloc(NTRAIN * (PLEN + ALEN) * sizeof *train);
    size_t *starts = malloc(NTRAIN * sizeof *starts);
    slm_model *m = NULL;
    slm_sampler *smp = NULL;
    slm_sampler_params sp = slm_sampler_params_default();
    slm_rng rng;
    float *lg = malloc(RV * sizeof *lg);
    hm_radio *r = NULL;
    hm_radio_options ro;
    size_t i;
    int st = (train && starts && lg) ? HM_OK : HM_E_NOMEM;
    if (st == HM_OK) st = teacher_answers(teacher_key, 0, NTRAIN, train);
    for (i = 0; i < NTRAIN; i++) starts[i] = i * (PLEN + ALEN);
    if (st == HM_OK)
        st = slm_train(train, NTRAIN * (PLEN + ALEN), starts, NTRAIN, 3, RV, RV - 1, &m);
    if (st == HM_OK) st = slm_sampler_new(&sp, RV, &smp);
    memset(&ro, 0, sizeof ro);
    ro.shard = shard;
    ro.n_shards = n_shards;
    ro.partitions = 8;
    if (st == HM_OK) st = hm_radio_new(&r, "kgw", our_key, RPARAMS, NRP, &ro, NULL);
    slm_rng_seed(&rng, 4242);
    for (i = 0; st == HM_OK && i < NTEST; i++) {
        uint32_t prompt[PLEN], out[ALEN];
        size_t n_out = 0;
        prompt_of(100000 + i, prompt); /* held-out prompts */
        st = slm_generate(m, smp, &rng, prompt, PLEN, ALEN, lg, out, &n_out);
        if (st == HM_OK) st = hm_radio_add_prompt(r, prompt, PLEN);
        if (st == HM_OK) st = hm_radio_add_output(r, prompt, PLEN, out, n_out);
    }
    if (st == HM_OK) st = hm_radio_finish(r, st_out);
    if (st == HM_OK && main_res) st = hm_radio_test(r, st_out, main_res, ctrl_res);
    hm_radio_free(r);
    slm_sampler_free(smp);
    slm_free(m);
    free(train);
    free(starts);
    free(lg);
    return st;
}

HM_TEST(radio_detects_distilled_student_not_clean)
{
    hm_key *key = rkey(0x11);
    hm_radio_stats sm, sc;
    hm_detect_result mm, mc, cm, cc;
    REQUIRE(key != NULL);
    REQUIRE_OK(student_radio(key, key, 0, 0, &sm, &mm, &mc));
    REQUIRE_OK(student_radio(NULL, key, 0, 0, &sc, &cm, &cc));
    CHECK(sm.n_kept > 500);
    CHECK(mm.log10_p < -6);  /* the distilled student is radioactive */
    CHECK(mc.log10_p > -3);  /* ... and the control key sees nothing */
    CHECK(cm.log10_p > -3);  /* the clean student is not */
    CHECK(cc.log10_p > -3);
    CHECK(sm.n_excluded > 0);
    hm_key_free(key);
}

HM_TEST(radio_shards_merge_exactly)
{
    hm_key *key = rkey(0x22);
    hm_radio_stats whole, part, sum;
    hm_detect_result a, b, c, d;
    uint32_t i;
    hm_radio *r = NULL;
    REQUIRE(key != NULL);
    REQUIRE_OK(student_radio(key, key, 0, 0, &whole, &a, &b));
    memset(&sum, 0, sizeof sum);
    for (i = 0; i < 3; i++) {
        REQUIRE_OK(student_radio(key, key, i, 3, &part, NULL, NULL));
        hm_radio_stats_merge(&sum, &part);
    }
    CHECK_EQ_U64(sum.n_outputs, whole.n_outputs);
    CHECK_EQ_U64(sum.n_positions, whole.n_positions);
    CHECK_EQ_U64(sum.n_unique, whole.n_unique);
    CHECK_EQ_U64(sum.n_excluded, whole.n_excluded);
    CHECK_EQ_U64(sum.n_kept, whole.n_kept);
    CHECK(sum.sum_main.hi == whole.sum_main.hi && sum.sum_main.lo == whole.sum_main.lo);
    CHECK(sum.sum_control.hi == whole.sum_control.hi && sum.sum_control.lo == whole.sum_control.lo);
    REQUIRE_OK(hm_radio_new(&r, "kgw", key, RPARAMS, NRP, NULL, NULL));
    REQUIRE_OK(hm_radio_test(r, &sum, &c, &d));
    CHECK(c.ln_p == a.ln_p);
    CHECK(d.ln_p == b.ln_p);
    hm_radio_free(r);
    {
        hm_radio_options bad;
        memset(&bad, 0, sizeof bad);
        bad.shard = 3;
        bad.n_shards = 3;
        CHECK_EQ_INT(hm_radio_new(&r, "kgw", key, RPARAMS, NRP, &bad, NULL), HM_E_RANGE);
    }
    hm_key_free(key);
}

HM_TEST(radio_prompt_context_exclusion)
{
    hm_key *key = rkey(0x33);
    uint32_t *doc = malloc(20 * (PLEN + ALEN) * sizeof *doc);
    int with;
    REQUIRE(key != NULL && doc != NULL);
    REQUIRE_OK(teacher_answers(key, 500, 20, doc));
    for (with = 0; with < 2; with++) {
        hm_radio *r = NULL;
        hm_radio_stats st;
        hm_detect_result m, c;
        size_t i;
        REQUIRE_OK(hm_radio_new(&r, "kgw", key, RPARAMS, NRP, NULL, NULL));
        for (i = 0; i < 20; i++) {
            /* an unmarked model that parrots a marked prompt back */
            const uint32_t *p = doc + i * (PLEN + ALEN);
            if (with) REQUIRE_OK(hm_radio_add_prompt(r, p, PLEN + ALEN));
            REQUIRE_OK(hm_radio_add_output(r, p, PLEN + ALEN, p, PLEN + ALEN));
        }
        REQUIRE_OK(hm_radio_finish(r, &st));
        REQUIRE_OK(hm_radio_test(r, &st, &m, &c));
        if (with) {
            CHECK_EQ_U64(st.n_kept, 0); /* every context occurs in a prompt */
            CHECK(st.n_excluded == st.n_unique);
            CHECK(m.ln_p == 0);
        } else {
            CHECK(m.log10_p < -10); /* without exclusion the parrot looks radioactive */
        }
        CHECK_EQ_INT(hm_radio_finish(r, &st), HM_E_STATE);
        hm_radio_free(r);
    }
    free(doc);
    hm_key_free(key);
}

HM_TEST(radio_filter_keeps_only_corpus_kgrams)
{
    hm_key *key = rkey(0x44);
    uint32_t *doc = malloc(10 * (PLEN + ALEN) * sizeof *doc);
    hm_radio *r = NULL;
    hm_radio_stats st;
    size_t i;
    REQUIRE(key != NULL && doc != NULL);
    REQUIRE_OK(teacher_answers(key, 700, 10, doc));
    REQUIRE_OK(hm_radio_new(&r, "kgw", key, RPARAMS, NRP, NULL, NULL));
    /* filter corpus: the first 5 documents */
    for (i = 0; i < 5; i++) REQUIRE_OK(hm_radio_add_filter(r, doc + i * (PLEN + ALEN), PLEN + ALEN));
    for (i = 0; i < 10; i++)
        REQUIRE_OK(hm_radio_add_output(r, NULL, 0, doc + i * (PLEN + ALEN), PLEN + ALEN));
    REQUIRE_OK(hm_radio_finish(r, &st));
    CHECK(st.n_filtered > 0);
    CHECK(st.n_kept > 0);
    CHECK_EQ_U64(st.n_kept + st.n_filtered + st.n_excluded, st.n_unique);
    hm_radio_free(r);
    free(doc);
    hm_key_free(key);
}
