/*
 * report.c - evidence reports: the canonical report.json built from a
 * command's JSON result, its Ed25519 signature file, the public negative
 * controls, and the recomputation of every test from the token ids.
 */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hallmark/detect.h"
#include "hallmark/error.h"
#include "hallmark/key.h"
#include "hallmark/report.h"
#include "hallmark/scan.h"
#include "hallmark/stats.h"
#include "hallmark/version.h"
#include "report_internal.h"

#define MAX_PARAMS 32
#define PARAM_CAP 256
#define LN10 2.302585092994045684

/* ---- small helpers ------------------------------------------------------- */

void hm_sbuf_put(struct hm_sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        char *np;
        while (ncap < b->len + n + 1) ncap *= 2;
        np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void hm_sbuf_puts(struct hm_sbuf *b, const char *s) { hm_sbuf_put(b, s, strlen(s)); }

void hm_sbuf_printf(struct hm_sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        hm_sbuf_put(b, tmp, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            b->oom = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        hm_sbuf_put(b, big, (size_t)n);
        free(big);
    }
}

int hm_report_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int mdlen = 0;
    static const uint8_t empty = 0;
    if (EVP_Digest(data ? data : &empty, len, out, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != 32)
        return HM_E_CRYPTO;
    return HM_OK;
}

int hm_report_sha256_hex(const uint8_t *data, size_t len, char out[65])
{
    uint8_t h[32];
    int s;
    if (!out || (!data && len)) return HM_E_MISUSE;
    s = hm_report_sha256(data, len, h);
    if (s != HM_OK) return s;
    sodium_bin2hex(out, 65, h, 32);
    return HM_OK;
}

int hm_report_ids_sha256(const uint32_t *ids, size_t n, char out[65])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t h[32], le[4 * 256];
    unsigned int mdlen = 0;
    size_t i = 0;
    int ok;
    if (!c) return HM_E_NOMEM;
    ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    while (ok && i < n) {
        size_t k, m = n - i < 256 ? n - i : 256;
        for (k = 0; k < m; k++) {
            uint32_t v = ids[i + k];
            le[4 * k] = (uint8_t)v;
            le[4 * k + 1] = (uint8_t)(v >> 8);
            le[4 * k + 2] = (uint8_t)(v >> 16);
            le[4 * k + 3] = (uint8_t)(v >> 24);
        }
        ok = EVP_DigestUpdate(c, le, 4 * m) == 1;
        i += m;
    }
    ok = ok && EVP_DigestFinal_ex(c, h, &mdlen) == 1;
    EVP_MD_CTX_free(c);
    if (!ok) return HM_E_CRYPTO;
    sodium_bin2hex(out, 65, h, 32);
    return HM_OK;
}

void hm_report_utc(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

double hm_report_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *hm_report_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long hm_report_int(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(v))
        return (v->valuedouble >= 0 && v->valuedouble < 9.2e18) ? (long long)v->valuedouble : -1;
    if (cJSON_IsString(v)) {
        char *end;
        long long x;
        errno = 0;
        x = strtoll(v->valuestring, &end, 10);
        if (end != v->valuestring && *end == 0 && errno == 0 && x >= 0) return x;
    }
    return -1;
}

void hm_report_buffer_free(void *buf) { free(buf); }

static void add_u64(cJSON *o, const char *name, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    cJSON_AddStringToObject(o, name, buf);
}

static int emit(cJSON *root, char **out, size_t *outlen)
{
    char *txt = cJSON_Print(root);
    size_t n;
    char *buf;
    if (!txt) return HM_E_NOMEM;
    n = strlen(txt);
    buf = malloc(n + 2);
    if (!buf) {
        cJSON_free(txt);
        return HM_E_NOMEM;
    }
    memcpy(buf, txt, n);
    buf[n] = '\n';
    buf[n + 1] = 0;
    cJSON_free(txt);
    *out = buf;
    *outlen = n + 1;
    return HM_OK;
}

/* ---- plain words ------------------------------------------------------------ */

int hm_report_p_words(double ln_p, char *buf, size_t cap)
{
    double l10, p;
    int n;
    if (!buf || cap == 0) return HM_E_MISUSE;
    if (isnan(ln_p)) {
        n = snprintf(buf, cap, "unknown");
    } else if (ln_p == -INFINITY) {
        n = snprintf(buf, cap, "smaller than the smallest number this program can represent");
    } else {
        if (ln_p > 0) ln_p = 0;
        p = exp(ln_p);
        l10 = -ln_p / LN10;
        if (p >= 0.995) {
            n = snprintf(buf, cap, "about 1 in 1 (certain)");
        } else if (p >= 0.05) {
            n = snprintf(buf, cap, "about %.0f in 100", p * 100);
        } else if (p >= 1e-4) {
            double inv = 1 / p, mag = pow(10, floor(log10(inv)) - 1);
            n = snprintf(buf, cap, "about 1 in %.0f", floor(inv / mag + 0.5) * mag);
        } else {
            double e = floor(l10), mant = pow(10, l10 - e);
            if (mant >= 9.95) {
                mant = 1;
                e += 1;
            }
            if (mant < 1.05)
                n = snprintf(buf, cap, "about 1 in 10^%.0f", e);
            else
                n = snprintf(buf, cap, "about 1 in %.1g x 10^%.0f", mant, e);
        }
    }
    return (n < 0 || (size_t)n >= cap) ? HM_E_LIMIT : HM_OK;
}

/* ---- test descriptions -------------------------------------------------------- */

static void assumptions(const char *test, double null_param, const char *dedup, char *buf,
                        size_t cap)
{
    const char *dd = dedup ? dedup : "unknown";
    const char *why =
        strcmp(dd, "tuple") == 0
            ? "each distinct (context, token) pair is scored once (for kgw selfhash: each "
              "distinct pair of min-hash token and token, the pair that decides the colour), "
              "so a repeated phrase cannot count twice"
            : strcmp(dd, "context") == 0
                  ? "each distinct context is scored once"
                  : "every position is scored, so repeated n-grams can inflate the "
                    "statistic and independence may fail";
    if (!test) test = "";
    if (strcmp(test, "binomial-upper-tail") == 0)
        snprintf(buf, cap,
                 "Exact one-sided binomial test. Under H0 (the text was not produced with "
                 "this key) each scored token is in the keyed green list with probability "
                 "gamma = %g, independently of the other scored tokens: the green list is a "
                 "keyed pseudorandom function of the context, and after deduplication "
                 "(policy '%s': %s) no (context, token) pair enters twice. "
                 "p = P[X >= observed], X ~ Binomial(n, gamma), computed exactly in log space.",
                 null_param, dd, why);
    else if (strcmp(test, "gamma-upper-tail") == 0)
        snprintf(buf, cap,
                 "Exact gamma test. Under H0 the per-token values u are independent "
                 "Uniform(0, 1) draws of a keyed pseudorandom function (deduplication "
                 "policy '%s': %s), so S = sum of -ln(1 - u) ~ Gamma(n, 1). "
                 "p = P[Gamma(n, 1) >= S], computed exactly in log space.",
                 dd, why);
    else if (strcmp(test, "dual-gamma-upper-tail") == 0 ||
             strcmp(test, "dual-gamma-upper-bound") == 0)
        snprintf(buf, cap,
                 "%s test of the dual-key score: under H0 the per-token values of the two "
                 "keys are independent Exp(1), so S ~ (1-a) Gamma(n, 1) + a Gamma(n, 1) with "
                 "a = %g, and p = P[S >= observed]%s (docs/statistics.md); deduplication "
                 "policy '%s': %s.",
                 strcmp(test, "dual-gamma-upper-tail") == 0 ? "Exact" : "Conservative",
                 null_param,
                 strcmp(test, "dual-gamma-upper-tail") == 0
                     ? ", computed exactly in log space"
                     : " bounded above (a valid p-value; alpha is too close to 0 or 1 for the "
                       "exact series)",
                 dd, why);
    else if (strcmp(test, "gsum-keyset-null-mc-bound") == 0)
        snprintf(buf, cap,
                 "Calibrated test of the g-count against this key set's own null: the "
                 "per-position law of the sum of the m layer bits (which are correlated "
                 "through the reference's LCG hash) is estimated by Monte Carlo over uniform "
                 "n-gram hashes, bounded from above at confidence 1 - 1e-6, and convolved "
                 "exactly over the scored positions; p is the tail under that bound, a valid "
                 "p-value with that confidence (docs/statistics.md); deduplication policy "
                 "'%s': %s.",
                 dd, why);
    else if (strcmp(test, "binomial-upper-tail-gcount-nominal") == 0 ||
             strcmp(test, "binomial-upper-tail-gcount") == 0)
        snprintf(buf, cap,
                 "Nominal binomial test of the g-count: it assumes each of the m g-values of "
                 "a scored token is an independent fair bit (probability %g), so the g-count "
                 "~ Binomial(m n, 1/2). The reference's layer bits are correlated, so this is "
                 "not a valid p-value for a fixed key set (docs/statistics.md); "
                 "deduplication policy '%s': %s.",
                 null_param, dd, why);
    else
        snprintf(buf, cap,
                 "As documented by the command that produced the result (test '%s'); "
                 "the report records its numbers as printed.",
                 test);
}

void hm_report_add_p(cJSON *t, double ln_p)
{
    char pt[64], words[96];
    cJSON_AddNumberToObject(t, "ln_p", ln_p);
    cJSON_AddNumberToObject(t, "log10_p", ln_p / LN10);
    (void)hm_stats_format_p(ln_p, pt, sizeof pt);
    cJSON_AddStringToObject(t, "p_text", pt);
    (void)hm_report_p_words(ln_p, words, sizeof words);
    cJSON_AddStringToObject(t, "p_words", words);
}

/* A test entry from a detect-style object. */
static cJSON *test_entry(const char *name, const char *path, const cJSON *r, const char *dedup,
                         int recomputable)
{
    cJSON *t = cJSON_CreateObject();
    const char *test = hm_report_str(r, "test");
    char as[1400];
    double ln_p = hm_report_num(r, "ln_p");
    long long n = hm_report_int(r, "n_scored");
    if (isnan(ln_p)) ln_p = hm_report_num(r, "log10_p") * LN10;
    cJSON_AddStringToObject(t, "name", name);
    cJSON_AddStringToObject(t, "path", path);
    if (hm_report_str(r, "key_id")) cJSON_AddStringToObject(t, "key_id", hm_report_str(r, "key_id"));
    cJSON_AddStringToObject(t, "test", test ? test : "unknown");
    cJSON_AddNumberToObject(t, "statistic", hm_report_num(r, "score"));
    if (n >= 0) add_u64(t, "n", (unsigned long long)n);
    else cJSON_AddNullToObject(t, "n");
    cJSON_AddNumberToObject(t, "trials", hm_report_num(r, "trials"));
    cJSON_AddNumberToObject(t, "null_param", hm_report_num(r, "null_param"));
    hm_report_add_p(t, ln_p);
    assumptions(test, hm_report_num(r, "null_param"), dedup, as, sizeof as);
    cJSON_AddStringToObject(t, "assumptions", as);
    cJSON_AddBoolToObject(t, "recomputable", recomputable);
    return t;
}

/* Collects, for a result of unknown type, every object with a p-value. */
static void collect_generic(const cJSON *node, const char *path, cJSON *tests, int depth)
{
    const cJSON *c;
    char sub[512];
    int i = 0;
    if (depth > 12 || tests == NULL) return;
    if (cJSON_IsObject(node) && (cJSON_GetObjectItemCaseSensitive(node, "ln_p") ||
                                 cJSON_GetObjectItemCaseSensitive(node, "log10_p"))) {
        cJSON *t = cJSON_CreateObject();
        double ln_p = hm_report_num(node, "ln_p");
        const char *test = hm_report_str(node, "test");
        long long n = hm_report_int(node, "n_scored");
        char as[1400];
        if (isnan(ln_p)) ln_p = hm_report_num(node, "log10_p") * LN10;
        if (n < 0) n = hm_report_int(node, "n");
        cJSON_AddStringToObject(t, "name", path);
        cJSON_AddStringToObject(t, "path", path);
        cJSON_AddStringToObject(t, "test", test ? test : "unknown");
        if (!isnan(hm_report_num(node, "score")))
            cJSON_AddNumberToObject(t, "statistic", hm_report_num(node, "score"));
        else if (!isnan(hm_report_num(node, "statistic")))
            cJSON_AddNumberToObject(t, "statistic", hm_report_num(node, "statistic"));
        else
            cJSON_AddNullToObject(t, "statistic");
        if (n >= 0) add_u64(t, "n", (unsigned long long)n);
        else cJSON_AddNullToObject(t, "n");
        hm_report_add_p(t, ln_p);
        assumptions(test, hm_report_num(node, "null_param"), hm_report_str(node, "dedup"), as,
                    sizeof as);
        cJSON_AddStringToObject(t, "assumptions", as);
        cJSON_AddBoolToObject(t, "recomputable", 0);
        cJSON_AddItemToArray(tests, t);
    }
    cJSON_ArrayForEach(c, node)
    {
        if (cJSON_IsObject(node) && c->string)
            snprintf(sub, sizeof sub, "%s.%s", path, c->string);
        else
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
        i++;
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            if (c->string && strcmp(c->string, "tokens") == 0) continue;
            collect_generic(c, sub, tests, depth + 1);
        }
    }
}

/* "k=v" strings from a result's params object.  Returns the count. */
static size_t params_from_json(const cJSON *params, char buf[MAX_PARAMS][PARAM_CAP],
                               const char *ptrs[MAX_PARAMS])
{
    const cJSON *c;
    size_t n = 0;
    cJSON_ArrayForEach(c, params)
    {
        if (n == MAX_PARAMS || !c->string) break;
        if (cJSON_IsNumber(c))
            snprintf(buf[n], PARAM_CAP, "%s=%.17g", c->string, c->valuedouble);
        else if (cJSON_IsString(c))
            snprintf(buf[n], PARAM_CAP, "%s=%s", c->string, c->valuestring);
        else if (cJSON_IsBool(c))
            snprintf(buf[n], PARAM_CAP, "%s=%d", c->string, cJSON_IsTrue(c) ? 1 : 0);
        else
            continue;
        ptrs[n] = buf[n];
        n++;
    }
    return n;
}

/* A detector for `scheme` + `params` with a raw key or an hm_key. */
static int make_detector(const cJSON *result, const hm_key *key, hm_detector **out)
{
    char pbuf[MAX_PARAMS][PARAM_CAP];
    const char *pp[MAX_PARAMS];
    const char *scheme = hm_report_str(result, "scheme");
    const char *dedup = hm_report_str(result, "dedup");
    size_t np;
    int s, pol;
    if (!scheme) return HM_E_FORMAT;
    np = params_from_json(cJSON_GetObjectItemCaseSensitive(result, "params"), pbuf, pp);
    s = hm_detector_new(out, scheme, key, pp, np, 0, NULL);
    if (s != HM_OK) return s;
    pol = dedup ? hm_dedup_parse(dedup) : HM_DEDUP_DEFAULT;
    if (pol > 0 && hm_detector_set_dedup(*out, pol) != HM_OK) {
        hm_detector_free(*out);
        *out = NULL;
        return HM_E_FORMAT;
    }
    /* detect --eos ID: positions from the first EOS on are not scored */
    if (hm_report_str(result, "eos")) {
        long long eos = hm_report_int(result, "eos");
        if (eos < 0 || eos > 0xffffffffLL || hm_detector_set_eos(*out, (int64_t)eos) != HM_OK) {
            hm_detector_free(*out);
            *out = NULL;
            return HM_E_FORMAT;
        }
    }
    return HM_OK;
}

/* The scheme's null parameter (gamma of a binomial test; NaN if unknown)
 * and its PRF version (into prf, "" if unknown), from the result's scheme
 * and parameters. */
static double scheme_facts(const cJSON *result, char *prf, size_t cap)
{
    static const uint8_t zero[32];
    hm_key *k = NULL;
    hm_detector *d = NULL;
    double np = NAN;
    int test = 0;
    prf[0] = 0;
    if (hm_key_from_bytes(zero, 0, &k) == HM_OK && make_detector(result, k, &d) == HM_OK) {
        if (hm_detector_null(d, &test, &np) != HM_OK) np = NAN;
        snprintf(prf, cap, "%s", hm_detector_prf_version(d));
    }
    hm_detector_free(d);
    hm_key_free(k);
    return np;
}

static int control_scheme_ok(const char *scheme)
{
    return scheme && (strcmp(scheme, "kgw") == 0 || strcmp(scheme, "unigram") == 0 ||
                      strcmp(scheme, "gumbel") == 0);
}

/* The i-th public control key: BLAKE2b-256("hallmark-negative-control-v1"
 * || 0x00 || u32le(i) || ids_sha256 (32 raw bytes)). */
static int control_key(uint32_t i, const char ids_hex[65], hm_key **out)
{
    uint8_t seed[32], ih[32], le[4];
    crypto_generichash_state st;
    static const char dom[] = "hallmark-negative-control-v1";
    int s;
    if (sodium_hex2bin(ih, sizeof ih, ids_hex, 64, NULL, NULL, NULL) != 0) return HM_E_FORMAT;
    le[0] = (uint8_t)i;
    le[1] = (uint8_t)(i >> 8);
    le[2] = (uint8_t)(i >> 16);
    le[3] = (uint8_t)(i >> 24);
    crypto_generichash_init(&st, NULL, 0, sizeof seed);
    crypto_generichash_update(&st, (const uint8_t *)dom, sizeof dom); /* with its NUL */
    crypto_generichash_update(&st, le, 4);
    crypto_generichash_update(&st, ih, 32);
    crypto_generichash_final(&st, seed, sizeof seed);
    s = hm_key_from_bytes(seed, 0, out);
    sodium_memzero(seed, sizeof seed);
    return s;
}

/* Runs the negative controls.  Returns a JSON object or NULL (no memory). */
static int run_controls(const cJSON *result, const char ids_hex[65], const uint32_t *prompt,
                        size_t n_prompt, const uint32_t *ids, size_t n, double alpha,
                        cJSON **out)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    uint32_t i;
    size_t below = 0;
    double ln_min = 0;
    int s = HM_OK;
    char pt[64];
    cJSON_AddStringToObject(
        o, "method",
        "The same test on the same token ids under keys that never marked anything: key i is "
        "BLAKE2b-256(\"hallmark-negative-control-v1\" || 0x00 || u32le(i) || SHA-256 of the ids "
        "as u32le), public and recomputable by anyone. Under H0 their p-values are uniform; "
        "small control p-values would mean the text itself, not the key, drives the score.");
    add_u64(o, "count", HM_REPORT_CONTROLS);
    for (i = 0; i < HM_REPORT_CONTROLS && s == HM_OK; i++) {
        hm_key *k = NULL;
        hm_detector *d = NULL;
        hm_detect_result r;
        char kid[HM_KEY_ID_BUFSIZE];
        cJSON *c;
        s = control_key(i, ids_hex, &k);
        if (s == HM_OK) s = make_detector(result, k, &d);
        if (s == HM_OK) {
            memset(&r, 0, sizeof r);
            s = hm_detect(d, prompt, n_prompt, ids, n, &r, NULL);
        }
        if (s == HM_OK) {
            (void)hm_key_id(k, kid);
            c = cJSON_CreateObject();
            add_u64(c, "index", i);
            cJSON_AddStringToObject(c, "key_id", kid);
            cJSON_AddNumberToObject(c, "statistic", r.score);
            add_u64(c, "n", r.n_scored);
            cJSON_AddNumberToObject(c, "ln_p", r.ln_p);
            (void)hm_stats_format_p(r.ln_p, pt, sizeof pt);
            cJSON_AddStringToObject(c, "p_text", pt);
            cJSON_AddItemToArray(arr, c);
            if (r.ln_p <= log(alpha)) below++;
            if (i == 0 || r.ln_p < ln_min) ln_min = r.ln_p;
        }
        hm_detector_free(d);
        hm_key_free(k);
    }
    if (s != HM_OK) {
        cJSON_Delete(o);
        cJSON_Delete(arr);
        return s;
    }
    cJSON_AddItemToObject(o, "controls", arr);
    (void)hm_stats_format_p(ln_min, pt, sizeof pt);
    cJSON_AddStringToObject(o, "min_p_text", pt);
    cJSON_AddNumberToObject(o, "min_ln_p", ln_min);
    add_u64(o, "n_below_alpha", below);
    cJSON_AddNumberToObject(o, "expected_below_alpha", HM_REPORT_CONTROLS * alpha);
    (void)hm_stats_format_p(hm_stats_sidak_logp(ln_min, HM_REPORT_CONTROLS), pt, sizeof pt);
    cJSON_AddStringToObject(o, "min_p_sidak_text", pt);
    *out = o;
    return HM_OK;
}

static const char *result_type(const cJSON *r)
{
    const char *t = hm_report_str(r, "result_type");
    if (!t) t = hm_report_str(r, "command");
    if (!t) t = hm_report_str(r, "type");
    if (t) return t;
    if (cJSON_GetObjectItemCaseSensitive(r, "test") &&
        cJSON_GetObjectItemCaseSensitive(r, "n_scored") &&
        cJSON_GetObjectItemCaseSensitive(r, "scheme"))
        return "detect";
    return "unknown";
}

static void conclusion(cJSON *root, const cJSON *r, int is_detect)
{
    cJSON *c = cJSON_CreateObject();
    double ln_p = hm_report_num(r, "ln_p"), alpha = hm_report_num(r, "alpha");
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(r, "detected");
    const char *kid = hm_report_str(r, "key_id");
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(r, "family");
    char words[96], pt[64], sent[1024];
    if (isnan(ln_p)) ln_p = hm_report_num(r, "log10_p") * LN10;
    (void)hm_report_p_words(ln_p, words, sizeof words);
    (void)hm_stats_format_p(ln_p, pt, sizeof pt);
    if (cJSON_IsBool(det)) cJSON_AddBoolToObject(c, "detected", cJSON_IsTrue(det));
    else cJSON_AddNullToObject(c, "detected");
    cJSON_AddNumberToObject(c, "alpha", alpha);
    cJSON_AddNumberToObject(c, "ln_p", ln_p);
    cJSON_AddStringToObject(c, "p_text", pt);
    cJSON_AddStringToObject(c, "p_words", words);
    if (!is_detect || isnan(ln_p))
        snprintf(sent, sizeof sent,
                 "This report records a %s result; its headline p-value is %s (the chance of "
                 "evidence this strong without the watermark is %s); see the tests below.",
                 result_type(r), pt, words);
    else if (cJSON_IsTrue(det))
        snprintf(sent, sizeof sent,
                 "The text carries the watermark of key %s%s: the chance of seeing evidence "
                 "this strong in text without the watermark is %s (p = %s, below the "
                 "significance level %g).",
                 kid ? kid : "?", fam ? " (best of several keys, corrected for all of them)" : "",
                 words, pt, alpha);
    else
        snprintf(sent, sizeof sent,
                 "The test did not find the watermark of key %s at the significance level %g "
                 "(p = %s, %s); this does not show that the text was written without it.",
                 kid ? kid : "?", alpha, pt, words);
    cJSON_AddStringToObject(c, "sentence", sent);
    cJSON_AddItemToObject(root, "conclusion", c);
}

/* ---- building ---------------------------------------------------------------- */

static cJSON *dup_or_null(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

int hm_report_build(const char *result, size_t result_len, const hm_report_meta *meta,
                    char **out, size_t *outlen)
{
    cJSON *r = NULL, *cs = NULL, *root = NULL, *a, *wm, *tests, *corr;
    char hex[65], kid[HM_KEY_ID_BUFSIZE], created[32], ids_hex[65] = {0};
    uint8_t pk[HM_KEY_PUBLICKEYBYTES];
    const char *rtype, *dedup;
    size_t i;
    int s = HM_OK, is_detect, corpus;
    cJSON *cctl = NULL;
    double corpus_null = NAN;
    char corpus_prf[64] = "";
    if (!result || !meta || !out || !outlen || !meta->signer ||
        meta->struct_size < sizeof(hm_report_meta))
        return HM_E_MISUSE;
    *out = NULL;
    *outlen = 0;
    r = cJSON_ParseWithLength(result, result_len);
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return HM_E_FORMAT;
    }
    if (meta->case_json) {
        cs = cJSON_ParseWithLength(meta->case_json, meta->case_len);
        if (!cJSON_IsObject(cs)) {
            cJSON_Delete(cs);
            cJSON_Delete(r);
            return HM_E_FORMAT;
        }
    }
    if (meta->watermark_key) {
        const char *rk = hm_report_str(r, "key_id");
        (void)hm_key_id(meta->watermark_key, kid);
        if (!rk || strcmp(rk, kid) != 0) {
            cJSON_Delete(cs);
            cJSON_Delete(r);
            return HM_E_STATE;
        }
    }
    rtype = result_type(r);
    is_detect = strcmp(rtype, "detect") == 0;
    corpus = hm_report_corpus_shape(r, rtype);
    if (corpus) corpus_null = scheme_facts(r, corpus_prf, sizeof corpus_prf);
    dedup = hm_report_str(r, "dedup");
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", HM_REPORT_FORMAT);
    a = cJSON_AddObjectToObject(root, "tool");
    cJSON_AddStringToObject(a, "name", "hallmark");
    cJSON_AddStringToObject(a, "version", hm_version_string());
    cJSON_AddStringToObject(a, "build_id", hm_build_id());
    hm_report_utc(meta->created ? meta->created : (uint64_t)time(NULL), created);
    cJSON_AddStringToObject(root, "created_utc", created);
    a = cJSON_AddArrayToObject(root, "command");
    for (i = 0; i < meta->argc && meta->argv; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(meta->argv[i] ? meta->argv[i] : ""));
    if (cs)
        cJSON_AddItemToObject(root, "case", cs);
    else
        cJSON_AddNullToObject(root, "case");
    cs = NULL;
    cJSON_AddStringToObject(root, "result_type", rtype);
    (void)hm_report_sha256_hex((const uint8_t *)result, result_len, hex);
    cJSON_AddStringToObject(root, "result_sha256", hex);
    a = cJSON_AddArrayToObject(root, "inputs");
    for (i = 0; i < meta->n_inputs && meta->inputs; i++) {
        const hm_report_input *in = &meta->inputs[i];
        cJSON *o = cJSON_CreateObject();
        s = hm_report_sha256_hex(in->data, in->len, hex);
        if (s != HM_OK) goto fail;
        cJSON_AddStringToObject(o, "path", in->path ? in->path : "");
        cJSON_AddStringToObject(o, "role", in->role ? in->role : "input");
        add_u64(o, "bytes", in->len);
        cJSON_AddStringToObject(o, "sha256", hex);
        cJSON_AddItemToArray(a, o);
    }
    /* the watermark configuration */
    wm = cJSON_AddObjectToObject(root, "watermark");
    cJSON_AddItemToObject(wm, "scheme", dup_or_null(r, "scheme"));
    cJSON_AddItemToObject(wm, "scheme_version", dup_or_null(r, "scheme_version"));
    cJSON_AddItemToObject(wm, "params", dup_or_null(r, "params"));
    if (corpus && !cJSON_GetObjectItemCaseSensitive(r, "prf_version") && corpus_prf[0])
        cJSON_AddStringToObject(wm, "prf_version", corpus_prf); /* scan etc. do not print it */
    else
        cJSON_AddItemToObject(wm, "prf_version", dup_or_null(r, "prf_version"));
    cJSON_AddItemToObject(wm, "tokenizer", dup_or_null(r, "tokenizer"));
    cJSON_AddItemToObject(wm, "tokenizer_sha256", dup_or_null(r, "tokenizer_sha256"));
    if (corpus && !cJSON_GetObjectItemCaseSensitive(r, "dedup"))
        cJSON_AddStringToObject(wm, "dedup", "tuple (each distinct pair once, over all inputs)");
    else
        cJSON_AddItemToObject(wm, "dedup", dup_or_null(r, "dedup"));
    cJSON_AddItemToObject(wm, "key_id", dup_or_null(r, "key_id"));
    if (meta->watermark_key) {
        uint8_t cm[HM_KEY_COMMITMENTBYTES];
        (void)hm_key_commitment(meta->watermark_key, cm);
        sodium_bin2hex(hex, sizeof hex, cm, sizeof cm);
        cJSON_AddStringToObject(wm, "key_commitment", hex);
    } else {
        cJSON_AddNullToObject(wm, "key_commitment");
    }
    a = cJSON_AddObjectToObject(root, "signer");
    (void)hm_key_id(meta->signer, kid);
    cJSON_AddStringToObject(a, "key_id", kid);
    if (hm_key_public_bytes(meta->signer, pk) != HM_OK) {
        s = HM_E_MISUSE;
        goto fail;
    }
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    cJSON_AddStringToObject(a, "public_key", hex);
    if (meta->ids) {
        a = cJSON_AddObjectToObject(root, "token_ids");
        s = hm_report_ids_sha256(meta->ids, meta->n_ids, ids_hex);
        if (s != HM_OK) goto fail;
        cJSON_AddStringToObject(a, "source", meta->ids_source ? meta->ids_source : "input");
        add_u64(a, "count", meta->n_ids);
        cJSON_AddStringToObject(a, "sha256", ids_hex);
        add_u64(a, "prompt_count", meta->n_prompt);
        if (meta->prompt) {
            char ph[65];
            s = hm_report_ids_sha256(meta->prompt, meta->n_prompt, ph);
            if (s != HM_OK) goto fail;
            cJSON_AddStringToObject(a, "prompt_sha256", ph);
        } else {
            cJSON_AddNullToObject(a, "prompt_sha256");
        }
    } else {
        cJSON_AddNullToObject(root, "token_ids");
    }
    /* every test, none hidden */
    if (corpus) {
        cJSON *cc = NULL;
        tests = cJSON_CreateArray();
        corr = cJSON_CreateArray();
        (void)hm_report_interpret_corpus(r, rtype, corpus_null, &cc, tests, corr, &cctl);
        cJSON_AddItemToObject(root, "conclusion", cc);
        cJSON_AddItemToObject(root, "tests", tests);
        cJSON_AddItemToObject(root, "corrections", corr);
    } else {
        conclusion(root, r, is_detect);
        tests = cJSON_AddArrayToObject(root, "tests");
        corr = cJSON_AddArrayToObject(root, "corrections");
    }
    if (is_detect) {
        const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r, "keys");
        const cJSON *fam = cJSON_GetObjectItemCaseSensitive(r, "family");
        const cJSON *span = cJSON_GetObjectItemCaseSensitive(r, "span");
        if (cJSON_IsArray(keys)) {
            const cJSON *k;
            int idx = 0;
            cJSON *hl = test_entry("family-wise (best key)", "$", r, dedup, 1);
            cJSON_ReplaceItemInObject(hl, "statistic",
                                      cJSON_CreateNumber(hm_report_num(r, "score")));
            cJSON_AddItemToArray(tests, hl);
            cJSON_ArrayForEach(k, keys)
            {
                char nm[96], path[64];
                snprintf(nm, sizeof nm, "detection, key %s", hm_report_str(k, "key_id")
                                                                 ? hm_report_str(k, "key_id")
                                                                 : "?");
                snprintf(path, sizeof path, "$.keys[%d]", idx++);
                cJSON_AddItemToArray(tests, test_entry(nm, path, k, dedup, 1));
            }
            if (cJSON_IsObject(fam)) {
                cJSON *c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "applies_to", "$");
                cJSON_AddStringToObject(c, "method", "sidak");
                cJSON_AddNumberToObject(c, "m", hm_report_num(fam, "n_keys"));
                cJSON_AddStringToObject(c, "over", "every key tested on the same tokens");
                cJSON_AddItemToObject(c, "best_key_id", dup_or_null(fam, "best_key_id"));
                cJSON_AddNumberToObject(c, "log10_selected_tail",
                                        hm_report_num(fam, "best_log10_tail"));
                cJSON_AddNumberToObject(c, "log10_p_corrected", hm_report_num(r, "log10_p"));
                cJSON_AddItemToArray(corr, c);
                c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "applies_to", "$.keys[*]");
                cJSON_AddStringToObject(c, "method", "holm");
                cJSON_AddNumberToObject(c, "m", hm_report_num(fam, "n_keys"));
                cJSON_AddStringToObject(c, "over", "every key tested; holm_log10_p per key");
                cJSON_AddItemToArray(corr, c);
            }
        } else {
            char nm[96];
            snprintf(nm, sizeof nm, "detection, key %s",
                     hm_report_str(r, "key_id") ? hm_report_str(r, "key_id") : "?");
            cJSON_AddItemToArray(tests, test_entry(nm, "$", r, dedup, 1));
        }
        if (cJSON_IsObject(span)) {
            cJSON *sp = cJSON_CreateObject(), *c;
            double lw = hm_report_num(span, "window_log10_tail") * LN10;
            double lc = hm_report_num(span, "log10_p") * LN10;
            long long n = hm_report_int(span, "n_scored");
            cJSON_AddStringToObject(sp, "name", "most significant span (localization)");
            cJSON_AddStringToObject(sp, "path", "$.span");
            cJSON_AddItemToObject(sp, "key_id", dup_or_null(r, "key_id"));
            cJSON_AddItemToObject(sp, "test", dup_or_null(r, "test"));
            cJSON_AddNumberToObject(sp, "statistic", hm_report_num(span, "score"));
            add_u64(sp, "n", n >= 0 ? (unsigned long long)n : 0);
            cJSON_AddNumberToObject(sp, "first_token", hm_report_num(span, "first_token"));
            cJSON_AddNumberToObject(sp, "last_token", hm_report_num(span, "last_token"));
            /* the selected window's own tail: a statistic (the window is
             * the most extreme of n_windows), not a p-value */
            cJSON_AddNumberToObject(sp, "ln_window_tail", lw);
            hm_report_add_p(sp, lc);
            cJSON_AddStringToObject(
                sp, "assumptions",
                "The scheme's exact test on the counted positions of each window of 16, 32, "
                "64, ... tokens at strides of a quarter of its length; the smallest window "
                "p-value is multiplied by the number of windows tried (Bonferroni), which is "
                "valid under any dependence between windows.");
            cJSON_AddBoolToObject(sp, "recomputable", 1);
            cJSON_AddItemToArray(tests, sp);
            c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "applies_to", "$.span");
            cJSON_AddStringToObject(c, "method", "bonferroni");
            cJSON_AddNumberToObject(c, "m", (double)hm_report_int(span, "n_windows"));
            cJSON_AddStringToObject(c, "over", "every window tried");
            cJSON_AddNumberToObject(c, "log10_selected_tail", lw / LN10);
            cJSON_AddNumberToObject(c, "log10_p_corrected", lc / LN10);
            cJSON_AddItemToArray(corr, c);
        }
    } else if (!corpus) {
        collect_generic(r, "$", tests, 0);
    }
    if (corpus) {
        cJSON_AddItemToObject(root, "negative_controls", cctl);
        cctl = NULL;
    } else if (is_detect && meta->ids && control_scheme_ok(hm_report_str(r, "scheme")) &&
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "keys"))) {
        cJSON *ctl = NULL;
        double alpha = hm_report_num(r, "alpha");
        if (!(alpha > 0 && alpha < 1)) alpha = 1e-6;
        s = run_controls(r, ids_hex, meta->prompt, meta->n_prompt, meta->ids, meta->n_ids, alpha,
                         &ctl);
        if (s != HM_OK) goto fail;
        cJSON_AddItemToObject(root, "negative_controls", ctl);
    } else {
        cJSON *ctl = cJSON_AddObjectToObject(root, "negative_controls");
        cJSON_AddStringToObject(ctl, "method", "none");
        cJSON_AddStringToObject(ctl, "reason",
                                !is_detect ? "not computed for this result type"
                                : !meta->ids ? "no token ids were available"
                                             : "not computed for this scheme or for several keys");
    }
    {
        int has_argv = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "argv"));
        static const char rerun[] =
            "hallmark report verify --key KEY reruns the recorded command (result.argv) on the "
            "hash-checked inputs, with only the key files, the passphrase file and the output "
            "paths substituted, and compares every recorded value of the result: strings and "
            "integers exactly, other numbers to a relative 1e-12; a results file (--out) that "
            "is an input of the report must be reproduced byte for byte.";
        static const char by_ids[] =
            "hallmark report verify --key KEY reruns every test of that key id and the "
            "negative controls from the recorded token ids; statistic and n must match "
            "exactly and ln p to a relative 1e-12.";
        char both[sizeof rerun + sizeof by_ids + 8];
        snprintf(both, sizeof both, "%s Then: %s", by_ids, rerun);
        cJSON_AddStringToObject(
            root, "recomputation",
            is_detect ? (has_argv ? both : by_ids)
            : has_argv ? rerun
                       : "The signature and the input hashes are checked; this result records no "
                         "command (argv), so its numbers are recorded as printed and not "
                         "recomputed.");
    }
    if (meta->token_evidence) {
        cJSON *ev = cJSON_ParseWithLength(meta->token_evidence, meta->token_evidence_len);
        if (!cJSON_IsObject(ev)) {
            cJSON_Delete(ev);
            s = HM_E_FORMAT;
            goto fail;
        }
        cJSON_AddItemToObject(root, "token_evidence", ev);
    }
    cJSON_AddItemToObject(root, "result", r);
    r = NULL;
    s = emit(root, out, outlen);
fail:
    cJSON_Delete(root);
    cJSON_Delete(r);
    cJSON_Delete(cs);
    cJSON_Delete(cctl);
    return s;
}

/* ---- signatures -------------------------------------------------------------- */

int hm_report_sign(const hm_key *signer, const uint8_t *report, size_t len, char **out,
                   size_t *outlen)
{
    uint8_t sig[HM_KEY_SIGNATUREBYTES], pk[HM_KEY_PUBLICKEYBYTES];
    char kid[HM_KEY_ID_BUFSIZE], hex[2 * HM_KEY_SIGNATUREBYTES + 1], h[65];
    cJSON *o;
    int s;
    if (!signer || !report || !out || !outlen) return HM_E_MISUSE;
    if (hm_key_kind(signer) != HM_KEY_SIGNING) return HM_E_MISUSE;
    s = hm_key_sign(signer, report, len, sig);
    if (s != HM_OK) return s;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "hallmark-report-signature-v1");
    cJSON_AddStringToObject(o, "algorithm", "ed25519");
    (void)hm_key_id(signer, kid);
    cJSON_AddStringToObject(o, "signer_key_id", kid);
    (void)hm_key_public_bytes(signer, pk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    cJSON_AddStringToObject(o, "public_key", hex);
    (void)hm_report_sha256_hex(report, len, h);
    cJSON_AddStringToObject(o, "report_sha256", h);
    sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
    cJSON_AddStringToObject(o, "signature", hex);
    s = emit(o, out, outlen);
    cJSON_Delete(o);
    return s;
}

int hm_report_verify_signature(const hm_key *pub, const uint8_t *report, size_t len,
                               const char *sig, size_t siglen)
{
    cJSON *o;
    const char *alg, *kid, *pkhex, *sighex, *h;
    char mykid[HM_KEY_ID_BUFSIZE], myh[65], mypk[65];
    uint8_t sg[HM_KEY_SIGNATUREBYTES], pk[HM_KEY_PUBLICKEYBYTES];
    size_t got = 0;
    int s = HM_E_SIGNATURE;
    if (!pub || !report || !sig) return HM_E_MISUSE;
    o = cJSON_ParseWithLength(sig, siglen);
    alg = hm_report_str(o, "algorithm");
    kid = hm_report_str(o, "signer_key_id");
    pkhex = hm_report_str(o, "public_key");
    sighex = hm_report_str(o, "signature");
    h = hm_report_str(o, "report_sha256");
    if (!cJSON_IsObject(o) || !alg || !kid || !sighex || !h || !pkhex ||
        !hm_report_str(o, "format") ||
        strcmp(hm_report_str(o, "format"), "hallmark-report-signature-v1") != 0) {
        cJSON_Delete(o);
        return HM_E_FORMAT;
    }
    if (strcmp(alg, "ed25519") != 0 || strlen(sighex) != 128 ||
        sodium_hex2bin(sg, sizeof sg, sighex, 128, NULL, &got, NULL) != 0 || got != sizeof sg)
        goto done;
    (void)hm_key_id(pub, mykid);
    if (strcmp(kid, mykid) != 0) goto done;
    (void)hm_key_public_bytes(pub, pk);
    sodium_bin2hex(mypk, sizeof mypk, pk, sizeof pk);
    if (strcmp(pkhex, mypk) != 0) goto done;
    if (hm_report_sha256_hex(report, len, myh) != HM_OK || strcmp(myh, h) != 0) goto done;
    s = hm_key_verify(pub, report, len, sg) == HM_OK ? HM_OK : HM_E_SIGNATURE;
    if (s == HM_OK) {
        /* the file must be exactly the canonical one: no byte may change */
        cJSON *c = cJSON_CreateObject();
        char *canon = NULL;
        size_t cl = 0;
        cJSON_AddStringToObject(c, "format", "hallmark-report-signature-v1");
        cJSON_AddStringToObject(c, "algorithm", "ed25519");
        cJSON_AddStringToObject(c, "signer_key_id", mykid);
        cJSON_AddStringToObject(c, "public_key", mypk);
        cJSON_AddStringToObject(c, "report_sha256", myh);
        {
            char sh[2 * HM_KEY_SIGNATUREBYTES + 1];
            sodium_bin2hex(sh, sizeof sh, sg, sizeof sg);
            cJSON_AddStringToObject(c, "signature", sh);
        }
        if (emit(c, &canon, &cl) != HM_OK)
            s = HM_E_NOMEM;
        else if (cl != siglen || memcmp(canon, sig, cl) != 0)
            s = HM_E_SIGNATURE;
        free(canon);
        cJSON_Delete(c);
    }
done:
    cJSON_Delete(o);
    return s;
}

/* ---- recomputation ------------------------------------------------------------ */

static int close_rel(double a, double b, double rtol)
{
    if (a == b) return 1;
    if (isnan(a) || isnan(b)) return 0;
    return fabs(a - b) <= rtol * fabs(b);
}

static void check_line(struct hm_sbuf *log, size_t *n_diff, const char *what, double rec_stat,
                       double new_stat, long long rec_n, unsigned long long new_n, double rec_lnp,
                       double new_lnp)
{
    int ok = close_rel(new_stat, rec_stat, 1e-12) && rec_n >= 0 &&
             (unsigned long long)rec_n == new_n && close_rel(new_lnp, rec_lnp, 1e-12);
    if (ok) {
        hm_sbuf_printf(log, "ok %s: statistic %.17g, n %llu, ln p %.17g\n", what, new_stat,
                       new_n, new_lnp);
    } else {
        (*n_diff)++;
        hm_sbuf_printf(log,
                       "DIFFERS %s: statistic %.17g (report %.17g), n %llu (report %lld), "
                       "ln p %.17g (report %.17g)\n",
                       what, new_stat, rec_stat, new_n, rec_n, new_lnp, rec_lnp);
    }
}

int hm_report_recompute(const char *report, size_t len, const hm_key *const *keys,
                        size_t n_keys, const uint32_t *ids, size_t n_ids, const uint32_t *prompt,
                        size_t n_prompt, char **log_out, size_t *n_diff)
{
    cJSON *rep, *res, *tests, *tid, *ctl, *t;
    struct hm_sbuf log = {0};
    char hex[65];
    size_t k;
    int s = HM_OK;
    if (!report || !log_out || !n_diff || (n_keys && !keys) || (n_ids && !ids)) return HM_E_MISUSE;
    *log_out = NULL;
    *n_diff = 0;
    rep = cJSON_ParseWithLength(report, len);
    res = cJSON_GetObjectItemCaseSensitive(rep, "result");
    tests = cJSON_GetObjectItemCaseSensitive(rep, "tests");
    if (!hm_report_str(rep, "format") || strcmp(hm_report_str(rep, "format"), HM_REPORT_FORMAT) ||
        !cJSON_IsObject(res) || !cJSON_IsArray(tests)) {
        cJSON_Delete(rep);
        return HM_E_FORMAT;
    }
    tid = cJSON_GetObjectItemCaseSensitive(rep, "token_ids");
    if (!cJSON_IsObject(tid) || !ids) {
        hm_sbuf_puts(&log, "skipped recomputation: no token ids recorded or given\n");
        goto out;
    }
    s = hm_report_ids_sha256(ids, n_ids, hex);
    if (s != HM_OK) goto out;
    if (!hm_report_str(tid, "sha256") || strcmp(hex, hm_report_str(tid, "sha256")) != 0) {
        (*n_diff)++;
        hm_sbuf_printf(&log, "DIFFERS token ids: SHA-256 %s, report %s\n", hex,
                       hm_report_str(tid, "sha256") ? hm_report_str(tid, "sha256") : "none");
        goto out;
    }
    if (prompt || hm_report_str(tid, "prompt_sha256")) {
        char ph[65] = "none";
        if (prompt) (void)hm_report_ids_sha256(prompt, n_prompt, ph);
        if (!hm_report_str(tid, "prompt_sha256") ||
            strcmp(ph, hm_report_str(tid, "prompt_sha256")) != 0) {
            (*n_diff)++;
            hm_sbuf_puts(&log, "DIFFERS prompt ids: not the recorded prompt\n");
            goto out;
        }
    }
    hm_sbuf_printf(&log, "ok token ids: %zu ids, SHA-256 %s\n", n_ids, hex);
    /* negative controls: public keys, no secret needed */
    ctl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep,
                                                                             "negative_controls"),
                                           "controls");
    if (cJSON_IsArray(ctl)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, ctl)
        {
            long long idx = hm_report_int(c, "index");
            hm_key *ck = NULL;
            hm_detector *d = NULL;
            hm_detect_result r;
            char what[64];
            memset(&r, 0, sizeof r);
            snprintf(what, sizeof what, "negative control %lld", idx);
            if (idx < 0 || idx > 0xffffffffLL) {
                (*n_diff)++;
                hm_sbuf_printf(&log, "DIFFERS %s: bad index\n", what);
                continue;
            }
            s = control_key((uint32_t)idx, hex, &ck);
            if (s == HM_OK) s = make_detector(res, ck, &d);
            if (s == HM_OK) s = hm_detect(d, prompt, n_prompt, ids, n_ids, &r, NULL);
            hm_detector_free(d);
            hm_key_free(ck);
            if (s != HM_OK) {
                (*n_diff)++;
                hm_sbuf_printf(&log, "DIFFERS %s: cannot rerun (%s)\n", what, hm_strerror(s));
                s = HM_OK;
                continue;
            }
            check_line(&log, n_diff, what, hm_report_num(c, "statistic"), r.score,
                       hm_report_int(c, "n"), r.n_scored, hm_report_num(c, "ln_p"), r.ln_p);
        }
    }
    /* the tests of every key given */
    {
        const cJSON *keysarr = cJSON_GetObjectItemCaseSensitive(res, "keys");
        size_t n_keys_res = cJSON_IsArray(keysarr) ? (size_t)cJSON_GetArraySize(keysarr) : 1;
        size_t matched = 0;
        double best = 0;
        int best_set = 0;
        cJSON_ArrayForEach(t, tests)
        {
            const char *kid = hm_report_str(t, "key_id");
            const char *path = hm_report_str(t, "path");
            const char *name = hm_report_str(t, "name");
            const hm_key *key = NULL;
            const cJSON *src = res;
            hm_detector *d = NULL;
            hm_detect_result r;
            hm_token_detail *det = NULL;
            char mykid[HM_KEY_ID_BUFSIZE];
            if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "recomputable"))) {
                hm_sbuf_printf(&log, "skipped %s: recorded as printed (not recomputable)\n",
                               name ? name : "?");
                continue;
            }
            if (path && strcmp(path, "$") == 0 && cJSON_IsArray(keysarr)) continue; /* below */
            for (k = 0; k < n_keys && kid; k++) {
                (void)hm_key_id(keys[k], mykid);
                if (strcmp(mykid, kid) == 0) key = keys[k];
            }
            if (!key) {
                hm_sbuf_printf(&log, "skipped %s: key %s not given\n", name ? name : "?",
                               kid ? kid : "?");
                continue;
            }
            if (path && strncmp(path, "$.keys[", 7) == 0)
                src = cJSON_GetArrayItem(keysarr, (int)strtol(path + 7, NULL, 10));
            memset(&r, 0, sizeof r);
            s = make_detector(src ? src : res, key, &d);
            if (s == HM_OK && path && strcmp(path, "$.span") == 0) {
                det = calloc(n_ids ? n_ids : 1, sizeof *det);
                if (!det) s = HM_E_NOMEM;
            }
            if (s == HM_OK) s = hm_detect(d, prompt, n_prompt, ids, n_ids, &r, det);
            if (s == HM_OK && det) {
                hm_span sp;
                s = hm_detect_localize(d, det, n_ids, &sp);
                if (s == HM_OK)
                    check_line(&log, n_diff, name ? name : "span", hm_report_num(t, "statistic"),
                               sp.score, hm_report_int(t, "n"), sp.n_scored,
                               hm_report_num(t, "ln_p"), sp.ln_p);
            } else if (s == HM_OK) {
                check_line(&log, n_diff, name ? name : "test", hm_report_num(t, "statistic"),
                           r.score, hm_report_int(t, "n"), r.n_scored, hm_report_num(t, "ln_p"),
                           r.ln_p);
                if (cJSON_IsArray(keysarr)) {
                    matched++;
                    if (!best_set || r.ln_p < best) best = r.ln_p;
                    best_set = 1;
                }
            }
            free(det);
            hm_detector_free(d);
            if (s != HM_OK) {
                (*n_diff)++;
                hm_sbuf_printf(&log, "DIFFERS %s: cannot rerun (%s)\n", name ? name : "?",
                               hm_strerror(s));
                s = HM_OK;
            }
        }
        if (cJSON_IsArray(keysarr)) {
            if (matched == n_keys_res && best_set) {
                double fam = hm_stats_sidak_logp(best, (double)n_keys_res);
                double rec = hm_report_num(cJSON_GetArrayItem(tests, 0), "ln_p");
                if (close_rel(fam, rec, 1e-9)) {
                    hm_sbuf_printf(&log, "ok family-wise (sidak over %zu keys): ln p %.17g\n",
                                   n_keys_res, fam);
                } else {
                    (*n_diff)++;
                    hm_sbuf_printf(&log, "DIFFERS family-wise: ln p %.17g (report %.17g)\n", fam,
                                   rec);
                }
            } else {
                hm_sbuf_puts(&log, "skipped family-wise correction: not every key given\n");
            }
        }
    }
out:
    cJSON_Delete(rep);
    if (log.oom) {
        free(log.p);
        return HM_E_NOMEM;
    }
    if (s != HM_OK) {
        free(log.p);
        return s;
    }
    if (!log.p) hm_sbuf_puts(&log, "");
    *log_out = log.p;
    return HM_OK;
}
