/*
 * test_report.c - evidence reports: canonical build, Ed25519 signature
 * files (every changed byte detected), recomputation, negative controls,
 * HTML escaping, plain-words p-values, RFC 3161 queries and the custody
 * log chain (every changed byte, deleted or reordered entry detected).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/ts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hallmark.h"
#include "hallmark/report.h"
#include "hallmark/result.h"
#include "harness.h"
#include "testutil.h"

#define V 5000u
#define N 300u

static hm_key *fixed_key(uint8_t b)
{
    uint8_t bytes[32];
    hm_key *k = NULL;
    memset(bytes, b, sizeof bytes);
    if (hm_key_from_bytes(bytes, 1700000000u, &k) != HM_OK) return NULL;
    return k;
}

static hm_key *fixed_signer(void)
{
    uint8_t seed[32];
    hm_key *k = NULL;
    memset(seed, 0x5a, sizeof seed);
    if (hm_key_signing_from_seed(seed, 1700000000u, &k) != HM_OK) return NULL;
    return k;
}

/* Watermarked ids over flat logits. */
static int make_ids(const hm_key *key, uint32_t *ids)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *logits = calloc(V, sizeof *logits);
    hm_sampling sp = hm_sampling_default();
    size_t i;
    int st = logits ? hm_embedder_new(&e, "kgw", key, NULL, 0, V, NULL) : HM_E_NOMEM;
    if (st == HM_OK) st = hm_session_new(e, &s);
    if (st == HM_OK) hm_session_set_seed(s, 42);
    for (i = 0; i < N && st == HM_OK; i++) {
        memset(logits, 0, V * sizeof *logits);
        st = hm_session_sample(s, logits, V, &sp, &ids[i], NULL);
        if (st == HM_OK) st = hm_session_accept(s, ids[i]);
    }
    hm_session_free(s);
    hm_embedder_free(e);
    free(logits);
    return st;
}

/* A result JSON shaped like `hallmark detect --json --per-token`. */
static char *make_result(const hm_key *key, const uint32_t *ids, size_t n)
{
    hm_detector *d = NULL;
    hm_detect_result r;
    hm_token_detail det[N];
    char desc[512], kid[HM_KEY_ID_BUFSIZE], *sp1, *sp2, *tok, *save = NULL, *txt = NULL;
    cJSON *o, *params, *toks;
    size_t i;
    char buf[32];
    if (hm_detector_new(&d, "kgw", key, NULL, 0, 0, NULL) != HM_OK) return NULL;
    memset(&r, 0, sizeof r);
    if (hm_detect(d, NULL, 0, ids, n, &r, det) != HM_OK) goto done;
    (void)hm_detector_describe(d, desc, sizeof desc);
    (void)hm_key_id(key, kid);
    o = cJSON_CreateObject();
    sp1 = strchr(desc, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2) {
        cJSON_Delete(o);
        goto done;
    }
    *sp1 = 0;
    *sp2 = 0;
    cJSON_AddStringToObject(o, "scheme", desc);
    cJSON_AddStringToObject(o, "scheme_version", sp1 + 1);
    params = cJSON_AddObjectToObject(o, "params");
    for (tok = strtok_r(sp2 + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end;
        double v;
        if (!eq) continue;
        *eq = 0;
        v = strtod(eq + 1, &end);
        if (*end == 0) cJSON_AddNumberToObject(params, tok, v);
        else cJSON_AddStringToObject(params, tok, eq + 1);
    }
    cJSON_AddStringToObject(o, "prf_version", hm_detector_prf_version(d));
    cJSON_AddStringToObject(o, "key_id", kid);
    cJSON_AddStringToObject(o, "dedup", hm_dedup_name(r.dedup));
    cJSON_AddStringToObject(o, "test", r.test_name);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)r.n_tokens);
    cJSON_AddStringToObject(o, "n_tokens", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)r.n_scored);
    cJSON_AddStringToObject(o, "n_scored", buf);
    cJSON_AddNumberToObject(o, "score", r.score);
    cJSON_AddNumberToObject(o, "trials", r.trials);
    cJSON_AddNumberToObject(o, "null_param", r.null_param);
    cJSON_AddNumberToObject(o, "ln_p", r.ln_p);
    cJSON_AddNumberToObject(o, "log10_p", r.log10_p);
    cJSON_AddNumberToObject(o, "alpha", 1e-6);
    cJSON_AddBoolToObject(o, "detected", r.ln_p <= log(1e-6));
    toks = cJSON_AddArrayToObject(o, "tokens");
    for (i = 0; i < n; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", det[i].id);
        cJSON_AddBoolToObject(t, "counted", det[i].counted);
        if (det[i].skip != 1) cJSON_AddBoolToObject(t, "green", det[i].green);
        cJSON_AddItemToArray(toks, t);
    }
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
done:
    hm_detector_free(d);
    return txt;
}

struct fixture {
    hm_key *key, *signer;
    uint32_t ids[N];
    char *result;
    char *report;
    size_t report_len;
};

static int setup(struct fixture *f, const char *case_json)
{
    hm_report_meta m;
    static const char *argv[] = {"hallmark", "report", "--result", "r.json"};
    memset(f, 0, sizeof *f);
    f->key = fixed_key(7);
    f->signer = fixed_signer();
    if (!f->key || !f->signer || make_ids(f->key, f->ids) != HM_OK) return 0;
    f->result = make_result(f->key, f->ids, N);
    if (!f->result) return 0;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.argv = argv;
    m.argc = 4;
    m.case_json = case_json;
    m.case_len = case_json ? strlen(case_json) : 0;
    m.signer = f->signer;
    m.watermark_key = f->key;
    m.ids = f->ids;
    m.n_ids = N;
    m.ids_source = "tokens";
    m.created = 1700000000u;
    return hm_report_build(f->result, strlen(f->result), &m, &f->report, &f->report_len) == HM_OK;
}

static void teardown(struct fixture *f)
{
    hm_key_free(f->key);
    hm_key_free(f->signer);
    cJSON_free(f->result);
    hm_report_buffer_free(f->report);
}

HM_TEST(report_build_records_everything)
{
    struct fixture f;
    cJSON *r, *t, *c;
    char kid[HM_KEY_ID_BUFSIZE];
    REQUIRE(setup(&f, "{\"case\":\"A v. B\"}"));
    r = cJSON_Parse(f.report);
    REQUIRE(r != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "format")), "hallmark-report-v1");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "created_utc")), "2023-11-14T22:13:20Z");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "result_type")), "detect");
    t = cJSON_GetObjectItem(r, "watermark");
    (void)hm_key_id(f.key, kid);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t, "key_id")), kid);
    CHECK(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(t, "key_commitment"))) == 64);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t, "prf_version")), "hm-prf-v1");
    t = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "tests"), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t, "test")), "binomial-upper-tail");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(t, "ln_p")) < log(1e-6));
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(t, "assumptions")), "independ") != NULL);
    c = cJSON_GetObjectItem(r, "negative_controls");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "controls")), HM_REPORT_CONTROLS);
    /* controls are null tests: with 20 of them none should be tiny */
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "min_ln_p")) > log(1e-4));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "case"), "case")),
              "A v. B");
    CHECK(strstr(f.report, "\"key_bytes\"") == NULL);
    cJSON_Delete(r);
    teardown(&f);
}

HM_TEST(report_build_is_deterministic_and_rejects_bad_input)
{
    struct fixture f;
    hm_report_meta m;
    char *again = NULL;
    size_t len = 0;
    hm_key *other = fixed_key(8);
    REQUIRE(setup(&f, NULL));
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.signer = f.signer;
    m.created = 1700000000u;
    m.ids = f.ids;
    m.n_ids = N;
    m.ids_source = "tokens";
    m.watermark_key = f.key;
    {
        static const char *argv[] = {"hallmark", "report", "--result", "r.json"};
        m.argv = argv;
        m.argc = 4;
    }
    REQUIRE_OK(hm_report_build(f.result, strlen(f.result), &m, &again, &len));
    CHECK(len == f.report_len && memcmp(again, f.report, len) == 0);
    hm_report_buffer_free(again);
    CHECK_EQ_INT(hm_report_build("[1,2]", 5, &m, &again, &len), HM_E_FORMAT);
    CHECK_EQ_INT(hm_report_build("{\"a\":", 5, &m, &again, &len), HM_E_FORMAT);
    m.case_json = "\"not an object\"";
    m.case_len = strlen(m.case_json);
    CHECK_EQ_INT(hm_report_build(f.result, strlen(f.result), &m, &again, &len), HM_E_FORMAT);
    m.case_json = NULL;
    m.case_len = 0;
    m.watermark_key = other; /* not the result's key */
    CHECK_EQ_INT(hm_report_build(f.result, strlen(f.result), &m, &again, &len), HM_E_STATE);
    m.signer = NULL;
    CHECK_EQ_INT(hm_report_build(f.result, strlen(f.result), &m, &again, &len), HM_E_MISUSE);
    hm_key_free(other);
    teardown(&f);
}

HM_TEST(report_signature_every_byte)
{
    struct fixture f;
    char *sig = NULL;
    size_t siglen = 0, i;
    hm_key *pub = NULL, *other = NULL;
    uint8_t seed[32];
    unsigned long long missed = 0;
    REQUIRE(setup(&f, NULL));
    REQUIRE_OK(hm_report_sign(f.signer, (const uint8_t *)f.report, f.report_len, &sig, &siglen));
    REQUIRE_OK(hm_key_public(f.signer, &pub));
    CHECK_EQ_INT(hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len, sig,
                                            siglen),
                 HM_OK);
    /* every changed byte of report.json */
    for (i = 0; i < f.report_len; i++) {
        f.report[i] ^= 0x01;
        if (hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len, sig,
                                       siglen) == HM_OK)
            missed++;
        f.report[i] ^= 0x01;
    }
    CHECK_EQ_U64(missed, 0);
    /* every changed byte of the signature file (two replacement values) */
    for (i = 0; i < siglen; i++) {
        char save = sig[i];
        sig[i] = (char)(save ^ 0x01);
        if (hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len, sig,
                                       siglen) == HM_OK)
            missed++;
        sig[i] = save == ' ' ? '\t' : ' ';
        if (hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len, sig,
                                       siglen) == HM_OK)
            missed++;
        sig[i] = save;
    }
    CHECK_EQ_U64(missed, 0);
    /* truncations and another signer */
    CHECK(hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len - 1, sig,
                                     siglen) != HM_OK);
    CHECK(hm_report_verify_signature(pub, (const uint8_t *)f.report, f.report_len, sig,
                                     siglen - 2) != HM_OK);
    memset(seed, 0x33, sizeof seed);
    REQUIRE_OK(hm_key_signing_from_seed(seed, 0, &other));
    CHECK_EQ_INT(hm_report_verify_signature(other, (const uint8_t *)f.report, f.report_len, sig,
                                            siglen),
                 HM_E_SIGNATURE);
    hm_key_free(other);
    hm_key_free(pub);
    hm_report_buffer_free(sig);
    teardown(&f);
}

HM_TEST(report_recompute_reproduces_and_finds_differences)
{
    struct fixture f;
    char *log = NULL, *p;
    size_t n_diff = 99;
    const hm_key *keys[1];
    hm_key *wrong = fixed_key(9);
    uint32_t ids2[N];
    REQUIRE(setup(&f, NULL));
    keys[0] = f.key;
    REQUIRE_OK(hm_report_recompute(f.report, f.report_len, keys, 1, f.ids, N, NULL, 0, &log,
                                   &n_diff));
    CHECK_EQ_U64(n_diff, 0);
    CHECK(strstr(log, "ok detection") != NULL);
    CHECK(strstr(log, "ok negative control 19") != NULL);
    hm_report_buffer_free(log);
    /* a key with another id is skipped, not compared */
    keys[0] = wrong;
    REQUIRE_OK(hm_report_recompute(f.report, f.report_len, keys, 1, f.ids, N, NULL, 0, &log,
                                   &n_diff));
    CHECK_EQ_U64(n_diff, 0);
    CHECK(strstr(log, "skipped detection") != NULL);
    hm_report_buffer_free(log);
    /* other ids */
    memcpy(ids2, f.ids, sizeof ids2);
    ids2[N / 2] ^= 1;
    keys[0] = f.key;
    REQUIRE_OK(hm_report_recompute(f.report, f.report_len, keys, 1, ids2, N, NULL, 0, &log,
                                   &n_diff));
    CHECK(n_diff > 0);
    hm_report_buffer_free(log);
    /* a changed statistic in the (unsigned) JSON is found */
    p = strstr(f.report, "\"statistic\":\t");
    REQUIRE(p != NULL);
    p += strlen("\"statistic\":\t");
    *p = *p == '9' ? '8' : (char)(*p + 1);
    REQUIRE_OK(hm_report_recompute(f.report, f.report_len, keys, 1, f.ids, N, NULL, 0, &log,
                                   &n_diff));
    CHECK_EQ_U64(n_diff, 1);
    CHECK(strstr(log, "DIFFERS detection") != NULL);
    hm_report_buffer_free(log);
    CHECK_EQ_INT(hm_report_recompute("{}", 2, keys, 1, f.ids, N, NULL, 0, &log, &n_diff),
                 HM_E_FORMAT);
    hm_key_free(wrong);
    teardown(&f);
}

HM_TEST(report_html_escapes_and_is_self_contained)
{
    struct fixture f;
    char *html = NULL, *html2 = NULL;
    size_t len = 0, len2 = 0;
    static const uint8_t text[] = "<b>x</b> & \"q\" \xff";
    REQUIRE(setup(&f, "{\"note\":\"<script>alert(1)</script>\",\"x\":\"a'b\"}"));
    REQUIRE_OK(hm_report_html(f.report, f.report_len, text, sizeof text - 1, &html, &len));
    CHECK(strstr(html, "<script") == NULL);
    CHECK(strstr(html, "&lt;script&gt;") != NULL);
    CHECK(strstr(html, " src=") == NULL);
    CHECK(strstr(html, " href=") == NULL);
    CHECK(strstr(html, "<svg") != NULL);
    CHECK(strstr(html, "class='g'") != NULL);
    CHECK(strstr(html, "not proof") != NULL);
    CHECK(strstr(html, "10<sup>") != NULL);
    REQUIRE_OK(hm_report_html(f.report, f.report_len, text, sizeof text - 1, &html2, &len2));
    CHECK(len == len2 && memcmp(html, html2, len) == 0);
    CHECK_EQ_INT(hm_report_html("{}", 2, NULL, 0, &html2, &len2), HM_E_FORMAT);
    hm_report_buffer_free(html);
    hm_report_buffer_free(html2);
    teardown(&f);
}

HM_TEST(result_check_refuses_junk)
{
    char why[200];
    struct fixture f;
    REQUIRE(setup(&f, NULL));
    CHECK_EQ_INT(hm_result_check(f.result, strlen(f.result), why, sizeof why), HM_OK);
    CHECK_EQ_INT(hm_result_check("{\"foo\":1}", 9, why, sizeof why), HM_E_FORMAT);
    CHECK(strstr(why, "not a detect result") != NULL);
    CHECK_EQ_INT(hm_result_check("[1]", 3, why, sizeof why), HM_E_FORMAT);
    CHECK_EQ_INT(hm_result_check("{\"type\":\"custom\",\"log10_p\":-1}", 31, why, sizeof why),
                 HM_E_FORMAT);
    CHECK(strstr(why, "unknown type custom") != NULL);
    {
        static const char esc[] = "{\"type\":\"\\u001b[2J\",\"log10_p\":-1}";
        CHECK_EQ_INT(hm_result_check(esc, strlen(esc), why, sizeof why), HM_E_FORMAT);
        CHECK(strchr(why, 0x1b) == NULL); /* the reason never carries raw input */
    }
    {
        static const char inf[] = "{\"scheme\":\"kgw\",\"test\":\"t\",\"log10_p\":-1,\"score\":1e999}";
        static const char pos[] = "{\"scheme\":\"kgw\",\"test\":\"t\",\"log10_p\":3}";
        static const char hl[] = "{\"type\":\"scan\",\"corpus\":{}}";
        static const char fmt[] = "{\"result_format\":\"v9\",\"scheme\":\"kgw\",\"test\":\"t\",\"log10_p\":-1}";
        CHECK_EQ_INT(hm_result_check(inf, strlen(inf), why, sizeof why), HM_E_FORMAT);
        CHECK_EQ_INT(hm_result_check(pos, strlen(pos), why, sizeof why), HM_E_FORMAT);
        CHECK_EQ_INT(hm_result_check(hl, strlen(hl), why, sizeof why), HM_E_FORMAT);
        CHECK_EQ_INT(hm_result_check(fmt, strlen(fmt), why, sizeof why), HM_E_FORMAT);
    }
    CHECK_EQ_INT(hm_result_check(NULL, 0, why, sizeof why), HM_E_MISUSE);
    teardown(&f);
}

HM_TEST(result_p_never_zero)
{
    double p = -1;
    REQUIRE_OK(hm_result_p(log(0.25), &p));
    CHECK(fabs(p - 0.25) < 1e-15);
    REQUIRE_OK(hm_result_p(-700.0, &p));
    CHECK(p > 0);
    CHECK_EQ_INT(hm_result_p(-709.0, &p), HM_E_RANGE); /* below DBL_MIN: null, not 0 */
    CHECK_EQ_INT(hm_result_p(-1640.0, &p), HM_E_RANGE);
    REQUIRE_OK(hm_result_p(0.5, &p));
    CHECK(p == 1.0);
    CHECK_EQ_INT(hm_result_p(NAN, &p), HM_E_MISUSE);
}

HM_TEST(report_p_words)
{
    char b[96];
    REQUIRE_OK(hm_report_p_words(log(1e-30), b, sizeof b));
    CHECK_STR(b, "about 1 in 10^30");
    REQUIRE_OK(hm_report_p_words(log(2e-22), b, sizeof b));
    CHECK_STR(b, "about 1 in 5 x 10^21");
    REQUIRE_OK(hm_report_p_words(log(0.3), b, sizeof b));
    CHECK_STR(b, "about 30 in 100");
    REQUIRE_OK(hm_report_p_words(log(0.004), b, sizeof b));
    CHECK_STR(b, "about 1 in 250");
    REQUIRE_OK(hm_report_p_words(-20000.0, b, sizeof b));
    CHECK(strstr(b, "10^8685") != NULL); /* no floor on p */
    CHECK_EQ_INT(hm_report_p_words(0, b, 4), HM_E_LIMIT);
}

HM_TEST(report_ts_query_is_rfc3161)
{
    uint8_t *q = NULL, h[32];
    size_t ql = 0;
    const unsigned char *p;
    TS_REQ *req;
    static const uint8_t data[] = "report bytes";
    REQUIRE_OK(hm_report_ts_query(data, sizeof data - 1, &q, &ql));
    p = q;
    req = d2i_TS_REQ(NULL, &p, (long)ql);
    REQUIRE(req != NULL);
    CHECK(p == q + ql);
    CHECK_EQ_INT(TS_REQ_get_version(req), 1);
    CHECK(TS_REQ_get_cert_req(req) == 1);
    CHECK(TS_REQ_get_nonce(req) != NULL);
    {
        TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint(req);
        ASN1_OCTET_STRING *m = TS_MSG_IMPRINT_get_msg(mi);
        REQUIRE_OK(hm_report_sha256_hex(data, sizeof data - 1, (char[65]){0}));
        {
            unsigned int ml = 0;
            EVP_Digest(data, sizeof data - 1, h, &ml, EVP_sha256(), NULL);
        }
        CHECK(ASN1_STRING_length(m) == 32 && memcmp(ASN1_STRING_get0_data(m), h, 32) == 0);
    }
    TS_REQ_free(req);
    hm_report_buffer_free(q);
    CHECK_EQ_INT(hm_report_ts_verify((const uint8_t *)"xx", 2, NULL, 0, data, 3,
                                     (const uint8_t *)"x", 1, NULL, 0),
                 HM_E_FORMAT);
}

static char *slurp(const char *path, size_t *len)
{
    return (char *)hm_test_slurp(path, len);
}

static void spit(const char *path, const char *b, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    if (len) (void)fwrite(b, 1, len, fp);
    fclose(fp);
}

HM_TEST(custody_chain_every_byte)
{
    char path[] = "/tmp/hm-custody-XXXXXX";
    static const char *argv1[] = {"hallmark", "detect", "--key", "k", "t.txt"};
    static const char *argv2[] = {"hallmark", "report", "--out", "d\"ir\n"};
    const char *files[2];
    char tip[65], h3[65], *buf, *lines[3];
    size_t len, i;
    uint64_t n = 0, bad = 0;
    unsigned long long missed = 0;
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    files[0] = path; /* the log itself: hashed as it is now */
    files[1] = "/nonexistent/file";
    REQUIRE_OK(hm_custody_append(path, argv1, 5, 0, files, 2, NULL));
    REQUIRE_OK(hm_custody_append(path, argv2, 4, 1, NULL, 0, NULL));
    REQUIRE_OK(hm_custody_append(path, argv1, 5, 2, files, 1, h3));
    REQUIRE_OK(hm_custody_verify(path, &n, &bad, tip));
    CHECK_EQ_U64(n, 3);
    CHECK_EQ_U64(bad, 0);
    CHECK_STR(tip, h3);
    buf = slurp(path, &len);
    REQUIRE(buf != NULL);
    CHECK(strstr(buf, "\"missing\":true") != NULL);
    for (i = 0; i < len; i++) {
        char save = buf[i];
        buf[i] = (char)(save ^ 0x01);
        spit(path, buf, len);
        if (hm_custody_verify(path, &n, &bad, tip) == HM_OK) missed++;
        buf[i] = (char)(save == 'a' ? 'A' : save ^ 0x20);
        spit(path, buf, len);
        if (hm_custody_verify(path, &n, &bad, tip) == HM_OK) missed++;
        buf[i] = save;
    }
    CHECK_EQ_U64(missed, 0);
    /* a deleted middle entry, reordered entries */
    lines[0] = buf;
    lines[1] = strchr(buf, '\n') + 1;
    lines[2] = strchr(lines[1], '\n') + 1;
    {
        struct hm_tmp { char *p; size_t n; } a = {lines[0], (size_t)(lines[1] - lines[0])},
                                           b = {lines[1], (size_t)(lines[2] - lines[1])},
                                           c = {lines[2], len - (size_t)(lines[2] - buf)};
        char *re = malloc(len);
        REQUIRE(re != NULL);
        memcpy(re, a.p, a.n);
        memcpy(re + a.n, c.p, c.n);
        spit(path, re, a.n + c.n);
        CHECK_EQ_INT(hm_custody_verify(path, &n, &bad, tip), HM_E_CORRUPT);
        CHECK_EQ_U64(bad, 2);
        memcpy(re, b.p, b.n);
        memcpy(re + b.n, a.p, a.n);
        memcpy(re + b.n + a.n, c.p, c.n);
        spit(path, re, len);
        CHECK_EQ_INT(hm_custody_verify(path, &n, &bad, tip), HM_E_CORRUPT);
        CHECK_EQ_U64(bad, 1);
        /* a broken log is never extended */
        CHECK_EQ_INT(hm_custody_append(path, argv1, 5, 0, NULL, 0, NULL), HM_E_CORRUPT);
        /* a truncated last line */
        spit(path, buf, len - 5);
        CHECK_EQ_INT(hm_custody_verify(path, &n, &bad, tip), HM_E_CORRUPT);
        CHECK_EQ_U64(bad, 3);
        free(re);
    }
    free(buf);
    unlink(path);
    CHECK_EQ_INT(hm_custody_verify("/nonexistent/log", &n, &bad, tip), HM_E_IO);
}
