/*
 * synthid.c - bit-exact SynthID-Text primitives after the google-deepmind
 * reference (synthid-text@addb4a1, table-free hashing): int64 wrap-around
 * LCG accumulation, the SHA-256 hash IV, g-values, the context-repetition
 * and EOS masks, the tournament update (2 and k leaves), the mean /
 * weighted-mean detector scores and the exact g-count, plus digit-exact
 * parsing of the layer keys from JSON.  Signed arithmetic is done in
 * uint64_t and converted back, and the arithmetic right shift is built
 * from logical shifts, so nothing relies on implementation-defined or
 * undefined signed behaviour.  No allocation except in the JSON key parser
 * (cJSON, not on the per-token path).
 * Rules and sources: docs/interop.md, section "SynthID-Text".
 */
#include "schemes/interop.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

#define LCG_MUL 6364136223846793005ull
#define INT63_MAX 0x7FFFFFFFFFFFFFFFull /* 2^63 - 1 = torch.iinfo(int64).max */

/* uint64 -> int64 by two's complement, without implementation-defined
 * conversion of out-of-range values. */
static int64_t to_i64(uint64_t u)
{
    if (u <= INT63_MAX) return (int64_t)u;
    return -(int64_t)(~u) - 1;
}

int64_t hm_synthid_accumulate(int64_t h, int64_t x)
{
    uint64_t v = (uint64_t)h + (uint64_t)x;
    v = v * LCG_MUL + 1u;
    return to_i64(v);
}

int64_t hm_synthid_asr(int64_t x, unsigned s)
{
    uint64_t u = (uint64_t)x;
    uint64_t r;
    if (s == 0) return x;
    if (s > 63) s = 63;
    r = u >> s;
    if (u >> 63) r |= ~(UINT64_MAX >> s); /* replicate the sign bit */
    return to_i64(r);
}

/* Bit j (0 = least significant) of a 256-bit big-endian number. */
static unsigned bit_be(const unsigned char *be32, unsigned j)
{
    return ((unsigned)be32[31 - j / 8] >> (j % 8)) & 1u;
}

int hm_synthid_hash_iv(const int64_t *keys, size_t m, int64_t *iv)
{
    unsigned char buf[8 * HM_SYNTHID_MAX_KEYS], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint64_t acc = 0;
    size_t i;
    unsigned base;

    if (!keys || !iv || m == 0 || m > HM_SYNTHID_MAX_KEYS) return HM_E_MISUSE;
    for (i = 0; i < m; i++) {
        uint64_t u = (uint64_t)keys[i];
        int b;
        for (b = 0; b < 8; b++) buf[8 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
    if (EVP_Digest(buf, 8 * m, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return HM_E_CRYPTO;
    /* 2^63 = 1 (mod 2^63 - 1): sum the 63-bit limbs modulo 2^63 - 1 */
    for (base = 0; base < 256; base += 63) {
        uint64_t limb = 0;
        unsigned j;
        for (j = 0; j < 63 && base + j < 256; j++)
            limb |= (uint64_t)bit_be(md, base + j) << j;
        if (limb >= INT63_MAX) limb -= INT63_MAX;
        acc += limb;
        if (acc >= INT63_MAX) acc -= INT63_MAX;
    }
    *iv = (int64_t)acc;
    sodium_memzero(buf, sizeof buf); /* layer keys are secret */
    sodium_memzero(md, sizeof md);
    return HM_OK;
}

int64_t hm_synthid_context_hash(int64_t iv, const int64_t *ctx, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) iv = hm_synthid_accumulate(iv, ctx[i]);
    return iv;
}

void hm_synthid_generation_context(const int64_t *generated,
                                   size_t n_generated, size_t ngram_len,
                                   int64_t *ctx)
{
    size_t w = ngram_len - 1, k;
    for (k = 0; k < w; k++)
        ctx[k] = n_generated + k >= w ? generated[n_generated + k - w] : 0;
}

static int g_from_key(int64_t k)
{
    int r;
    for (r = 0; r < 12; r++) k = hm_synthid_asr(hm_synthid_accumulate(k, 1), 5);
    return (int)(((uint64_t)k >> 30) & 1u);
}

int hm_synthid_g(int64_t h_ctx, int64_t token, int64_t layer_key)
{
    int64_t k = hm_synthid_accumulate(hm_synthid_accumulate(h_ctx, token), layer_key);
    return g_from_key(k);
}

void hm_synthid_gvalues(int64_t h_ctx, int64_t token, const int64_t *keys,
                        size_t m, uint8_t *g)
{
    int64_t h_tok = hm_synthid_accumulate(h_ctx, token);
    size_t l;
    for (l = 0; l < m; l++)
        g[l] = (uint8_t)g_from_key(hm_synthid_accumulate(h_tok, keys[l]));
}

int hm_synthid_history_init(hm_synthid_history *hist, int64_t *buf,
                            size_t size)
{
    if (!hist || !buf || size == 0) return HM_E_MISUSE;
    memset(buf, 0, size * sizeof *buf);
    hist->buf = buf;
    hist->size = size;
    hist->next = 0;
    return HM_OK;
}

int hm_synthid_history_check_push(hm_synthid_history *hist, int64_t h_ctx)
{
    size_t i;
    int repeated = 0;
    for (i = 0; i < hist->size; i++) {
        if (hist->buf[i] == h_ctx) {
            repeated = 1;
            break;
        }
    }
    hist->buf[hist->next] = h_ctx;
    hist->next = (hist->next + 1) % hist->size;
    return repeated;
}

int hm_synthid_update_scores(const double *scores, size_t k,
                             const uint8_t *g, size_t m, unsigned num_leaves,
                             double *out)
{
    double mx = -INFINITY, z = 0.0;
    size_t v, l;

    if (!scores || !g || !out) return HM_E_MISUSE;
    if (k == 0 || num_leaves < 2) return HM_E_RANGE;
    for (v = 0; v < k; v++)
        if (scores[v] > mx) mx = scores[v];
    for (v = 0; v < k; v++) {
        out[v] = exp(scores[v] - mx);
        z += out[v];
    }
    for (v = 0; v < k; v++) out[v] /= z;
    for (l = 0; l < m; l++) {
        double G = 0.0;
        for (v = 0; v < k; v++) G += (double)g[v * m + l] * out[v];
        if (num_leaves == 2) {
            for (v = 0; v < k; v++) out[v] *= 1.0 + (double)g[v * m + l] - G;
        } else {
            double not_in = pow(1.0 - G, (double)(num_leaves - 1));
            for (v = 0; v < k; v++) {
                if (g[v * m + l] == 1 && out[v] > 0.0)
                    out[v] *= (1.0 - pow(1.0 - G, (double)num_leaves)) / G;
                else
                    out[v] *= not_in;
            }
        }
    }
    for (v = 0; v < k; v++) {
        double lp = log(out[v]);
        out[v] = isfinite(lp) ? lp : -1e12;
    }
    return HM_OK;
}

/* Heap order for top-k: a is "worse" than b (lower value, or equal value
 * and higher id). */
static int worse(float va, int64_t ia, float vb, int64_t ib)
{
    return va < vb || (va == vb && ia > ib);
}

static void sift_down(int64_t *idx, float *val, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(val[l], idx[l], val[w], idx[w])) w = l;
        if (r < n && worse(val[r], idx[r], val[w], idx[w])) w = r;
        if (w == i) return;
        {
            float tv = val[i];
            int64_t ti = idx[i];
            val[i] = val[w];
            idx[i] = idx[w];
            val[w] = tv;
            idx[w] = ti;
        }
        i = w;
    }
}

int hm_synthid_topk(const float *logits, size_t V, float temperature,
                    size_t k, int64_t *idx, float *val)
{
    size_t v, n;

    if (!logits || !idx || !val) return HM_E_MISUSE;
    if (k == 0 || k > V || !(temperature > 0.0f)) return HM_E_RANGE;
    /* min-heap of the k best seen so far (root = worst kept) */
    for (v = 0; v < k; v++) {
        idx[v] = (int64_t)v;
        val[v] = logits[v] / temperature;
    }
    for (v = k / 2; v-- > 0;) sift_down(idx, val, k, v);
    for (v = k; v < V; v++) {
        float x = logits[v] / temperature;
        if (worse(val[0], idx[0], x, (int64_t)v)) {
            val[0] = x;
            idx[0] = (int64_t)v;
            sift_down(idx, val, k, 0);
        }
    }
    /* heap sort: repeatedly move the worst to the end -> best first */
    for (n = k; n > 1; n--) {
        float tv = val[0];
        int64_t ti = idx[0];
        val[0] = val[n - 1];
        idx[0] = idx[n - 1];
        val[n - 1] = tv;
        idx[n - 1] = ti;
        sift_down(idx, val, n - 1, 0);
    }
    return HM_OK;
}

int hm_synthid_apply(const float *logits, size_t V, float temperature,
                     size_t k, const int64_t *keys, size_t m,
                     unsigned num_leaves, int64_t h_ctx,
                     hm_synthid_history *hist, int64_t *idx, float *val,
                     uint8_t *g, double *out, int *repeated)
{
    size_t v;
    int rc;

    if (!logits || !keys || !hist || !hist->buf || !idx || !val || !g || !out || !repeated)
        return HM_E_MISUSE;
    if (m == 0 || m > HM_SYNTHID_MAX_KEYS) return HM_E_RANGE;
    rc = hm_synthid_topk(logits, V, temperature, k, idx, val);
    if (rc != HM_OK) return rc;
    for (v = 0; v < k; v++) {
        hm_synthid_gvalues(h_ctx, idx[v], keys, m, g + v * m);
        out[v] = (double)val[v]; /* update_scores reads its input first */
    }
    rc = hm_synthid_update_scores(out, k, g, m, num_leaves, out);
    if (rc != HM_OK) return rc;
    *repeated = hm_synthid_history_check_push(hist, h_ctx);
    if (*repeated)
        for (v = 0; v < k; v++) out[v] = (double)val[v];
    return HM_OK;
}

int hm_synthid_detect(int64_t iv, const int64_t *keys, size_t m,
                      size_t ngram_len, const int64_t *tokens, size_t n,
                      int64_t eos, hm_synthid_history *hist,
                      hm_synthid_detect_result *result)
{
    size_t i, l, first_eos = n;
    double wsum = 0.0, weighted = 0.0;
    double w[HM_SYNTHID_MAX_KEYS];
    uint8_t g[HM_SYNTHID_MAX_KEYS];

    if (!keys || !hist || !hist->buf || !result || (n && !tokens)) return HM_E_MISUSE;
    if (m == 0 || m > HM_SYNTHID_MAX_KEYS || ngram_len < 2 || ngram_len > 17)
        return HM_E_RANGE;
    memset(result, 0, sizeof *result);
    {
        int rc = hm_synthid_history_init(hist, hist->buf, hist->size);
        if (rc != HM_OK) return rc;
    }
    /* weights linspace(10, 1, m), rescaled to sum to m */
    for (l = 0; l < m; l++) {
        w[l] = m == 1 ? 10.0 : 10.0 + (1.0 - 10.0) * (double)l / (double)(m - 1);
        wsum += w[l];
    }
    for (l = 0; l < m; l++) w[l] *= (double)m / wsum;
    if (eos >= 0)
        for (i = 0; i < n; i++)
            if (tokens[i] == eos) {
                first_eos = i;
                break;
            }
    for (i = 0; n >= ngram_len && i + ngram_len <= n; i++) {
        int64_t hc = hm_synthid_context_hash(iv, tokens + i, ngram_len - 1);
        int repeated = hm_synthid_history_check_push(hist, hc);
        size_t last = i + ngram_len - 1;
        if (repeated || last >= first_eos) continue;
        hm_synthid_gvalues(hc, tokens[last], keys, m, g);
        result->unmasked++;
        for (l = 0; l < m; l++) {
            result->g_count += g[l];
            weighted += w[l] * (double)g[l];
        }
    }
    result->trials = (uint64_t)m * (uint64_t)result->unmasked;
    if (result->unmasked) {
        result->mean = (double)result->g_count / (double)result->trials;
        result->weighted_mean = weighted / (double)result->trials;
    } else {
        result->mean = NAN;
        result->weighted_mean = NAN;
    }
    return HM_OK;
}

double hm_synthid_expected_mean(size_t V)
{
    return 0.5 + 0.25 * (1.0 - 1.0 / (double)V);
}

/* ---- digit-exact JSON key parsing ---------------------------------------- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses an optionally negative decimal integer of exactly `len` chars. */
static int parse_i64(const char *s, size_t len, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0, limit;
    size_t i = 0;

    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len) return HM_E_FORMAT;
    limit = neg ? INT63_MAX + 1u : INT63_MAX;
    for (; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') return HM_E_FORMAT;
        d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10u) return HM_E_RANGE;
        v = v * 10u + d;
    }
    *out = neg ? to_i64(0u - v) : (int64_t)v;
    return HM_OK;
}

int hm_synthid_parse_keys_json(const char *json, size_t len, int64_t *keys,
                               size_t cap, size_t *n)
{
    cJSON *root, *item;
    const char *end = NULL;
    size_t count = 0, pos = 0;
    int rc = HM_OK;

    if (!json || !keys || !n || cap == 0) return HM_E_MISUSE;
    *n = 0;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) return HM_E_FORMAT;
    /* nothing but whitespace (or a NUL) may follow the value */
    if (end) {
        size_t e = (size_t)(end - json);
        for (; e < len && json[e] != '\0'; e++)
            if (!is_ws(json[e])) rc = HM_E_FORMAT;
    }
    if (rc == HM_OK && !cJSON_IsArray(root)) rc = HM_E_FORMAT;
    if (rc == HM_OK) {
        cJSON_ArrayForEach(item, root)
        {
            if (!cJSON_IsNumber(item) && !cJSON_IsString(item)) rc = HM_E_FORMAT;
            count++;
        }
        if (rc == HM_OK && (count == 0 || count > cap)) rc = HM_E_LIMIT;
    }
    cJSON_Delete(root);
    if (rc != HM_OK) return rc;

    /* The structure is valid: re-scan the raw text for the exact digits. */
    while (pos < len && is_ws(json[pos])) pos++;
    if (pos >= len || json[pos] != '[') return HM_E_FORMAT;
    pos++;
    for (count = 0;;) {
        size_t start, stop;
        while (pos < len && is_ws(json[pos])) pos++;
        if (pos >= len) return HM_E_FORMAT;
        if (json[pos] == ']') break;
        if (json[pos] == ',') {
            pos++;
            continue;
        }
        if (json[pos] == '"') {
            start = ++pos;
            while (pos < len && json[pos] != '"') pos++;
            if (pos >= len) return HM_E_FORMAT;
            stop = pos++;
        } else {
            start = pos;
            while (pos < len && !is_ws(json[pos]) && json[pos] != ',' && json[pos] != ']')
                pos++;
            stop = pos;
        }
        if (count >= cap) return HM_E_LIMIT;
        rc = parse_i64(json + start, stop - start, &keys[count]);
        if (rc != HM_OK) return rc;
        count++;
    }
    *n = count;
    return HM_OK;
}

/* ======================================================================
 * The "synthid" scheme: the primitives above behind the scheme interface
 * (watermark/scheme.h), with the reference's rules.  Generation: the
 * context is the last ngram_len-1 generated tokens, 0-padded (prompt tokens
 * never enter it); the tournament reweights the top_k candidates of
 * logits/T; a context among the last context_history_size ones samples from
 * the unmodified scores.  Detection: the first ngram_len-1 positions are not
 * scored; a context among the last context_history_size (every position
 * recorded) is masked; the test is the tail of the g-count under this key
 * set's own per-position null (null_sample below; verify/detect.c), and the
 * mean and weighted-mean scores are reported beside it.
 * ====================================================================== */

#include <stdio.h>

#include "scheme.h"

typedef struct synthid_state {
    int64_t keys[HM_SYNTHID_MAX_KEYS];
    size_t m;
    int64_t iv;
    uint32_t ngram_len;
    uint32_t top_k;
    unsigned num_leaves;
    uint32_t history;
    uint64_t null_samples; /* Monte Carlo size of the key set's null (0 = default) */
    double w[HM_SYNTHID_MAX_KEYS]; /* weighted-mean layer weights (sum m) */
} synthid_state;

static int synthid_init(void *stv, const uint8_t *secret, const char *const *params, size_t n,
                        uint32_t vocab, size_t *bad)
{
    synthid_state *st = stv;
    uint64_t ngram = 5, k = 40, leaves = 2, hist = HM_SYNTHID_HISTORY;
    size_t i, l;
    double wsum = 0;
    (void)secret;
    (void)vocab;
    for (i = 0; i < n; i++) {
        const char *p = params[i];
        int r = 0;
        if (strncmp(p, "keys=", 5) == 0) {
            int rc = hm_synthid_parse_keys_json(p + 5, strlen(p + 5), st->keys,
                                                HM_SYNTHID_MAX_KEYS, &st->m);
            if (rc != HM_OK) {
                *bad = i;
                return rc == HM_E_LIMIT ? HM_E_LIMIT : HM_E_RANGE;
            }
            r = 1;
        }
        if (r == 0) r = hm_param_u64(p, "ngram_len", 2, 17, &ngram);
        if (r == 0) r = hm_param_u64(p, "top_k", 2, 1u << 20, &k);
        if (r == 0) r = hm_param_u64(p, "num_leaves", 2, 64, &leaves);
        if (r == 0) r = hm_param_u64(p, "context_history_size", 1, 1u << 20, &hist);
        if (r == 0) r = hm_param_u64(p, "null_samples", 1u << 12, 1u << 24, &st->null_samples);
        if (r != 1) {
            *bad = i;
            return r == 0 ? HM_E_NOTFOUND : HM_E_RANGE;
        }
    }
    if (st->m == 0) return HM_E_MISUSE; /* keys=[...] is required */
    if (hm_synthid_hash_iv(st->keys, st->m, &st->iv) != HM_OK) return HM_E_CRYPTO;
    st->ngram_len = (uint32_t)ngram;
    st->top_k = (uint32_t)k;
    st->num_leaves = (unsigned)leaves;
    st->history = (uint32_t)hist;
    for (l = 0; l < st->m; l++) {
        st->w[l] = st->m == 1 ? 10.0 : 10.0 - 9.0 * (double)l / (double)(st->m - 1);
        wsum += st->w[l];
    }
    for (l = 0; l < st->m; l++) st->w[l] *= (double)st->m / wsum;
    return HM_OK;
}

static size_t synthid_ctx_width(const void *stv)
{
    return ((const synthid_state *)stv)->ngram_len - 1;
}

static int synthid_ctx_rule(const void *stv)
{
    (void)stv;
    return HM_CTX_PAD;
}

static int synthid_prompt_in_context(const void *stv)
{
    (void)stv;
    return 0;
}

static void synthid_rules(const void *stv, hm_scheme_rules *r)
{
    const synthid_state *st = stv;
    r->ctx_rule_embed = HM_CTX_PAD;
    r->ctx_rule_detect = HM_CTX_FULL;
    r->prompt_in_ctx = 0;
    r->pad_token = 0;
    r->skip_repeated = 1;
    r->skip_records_all = 1;
    r->max_history = st->history;
    r->dedup = 2; /* HM_DEDUP_CONTEXT over the last context_history_size contexts */
    r->detect_history = st->history;
}

static void synthid_describe(const void *stv, char *buf, size_t cap)
{
    const synthid_state *st = stv;
    int w = snprintf(buf, cap, "depth=%zu,ngram_len=%u,top_k=%u,num_leaves=%u,context_history_size=%u",
                     st->m, (unsigned)st->ngram_len, (unsigned)st->top_k, st->num_leaves,
                     (unsigned)st->history);
    /* only a non-default null size changes the p-value, so only then shown */
    if (st->null_samples && w > 0 && (size_t)w < cap)
        snprintf(buf + w, cap - (size_t)w, ",null_samples=%llu",
                 (unsigned long long)st->null_samples);
}

static int64_t ctx_hash(const synthid_state *st, const uint32_t *ctx, size_t nctx)
{
    int64_t c[17];
    size_t i;
    for (i = 0; i < nctx; i++) c[i] = (int64_t)ctx[i];
    return hm_synthid_context_hash(st->iv, c, nctx);
}

static uint64_t synthid_ctx_key(const void *stv, const uint32_t *ctx, size_t nctx)
{
    return (uint64_t)ctx_hash(stv, ctx, nctx);
}

static size_t synthid_scratch_size(const void *stv, uint32_t vocab)
{
    const synthid_state *st = stv;
    size_t k = st->top_k < vocab ? st->top_k : vocab;
    return k * (2 * sizeof(double) + st->m);
}

static int synthid_sample(const void *stv, const uint32_t *ctx, size_t nctx, hm_candset *cs,
                          hm_rng *rng, uint32_t *token)
{
    const synthid_state *st = stv;
    int64_t hc = ctx_hash(st, ctx, nctx);
    double *scores, *out, u, acc = 0, mx = -INFINITY, z = 0;
    uint8_t *g;
    size_t k, i;
    int rc;
    hm_candset_top_k(cs, st->top_k);
    k = cs->n;
    if (k < 2) { /* the reference needs top_k > 1; a single candidate is unmarked */
        *token = hm_candset_id(cs, cs->argmax);
        return HM_OK;
    }
    scores = (double *)(void *)cs->scratch;
    out = scores + k;
    g = (uint8_t *)(out + k);
    for (i = 0; i < k; i++) {
        scores[i] = (double)cs->lg[i];
        hm_synthid_gvalues(hc, (int64_t)hm_candset_id(cs, i), st->keys, st->m, g + i * st->m);
    }
    rc = hm_synthid_update_scores(scores, k, g, st->m, st->num_leaves, out);
    if (rc != HM_OK) return rc;
    for (i = 0; i < k; i++)
        if (out[i] > mx) mx = out[i];
    for (i = 0; i < k; i++) z += exp(out[i] - mx);
    u = hm_rng_unit(rng) * z;
    for (i = 0; i < k; i++) {
        acc += exp(out[i] - mx);
        if (acc > u) break;
    }
    if (i == k) i = k - 1;
    *token = hm_candset_id(cs, i);
    return HM_OK;
}

static void synthid_score(const void *stv, const uint32_t *ctx, size_t nctx, uint32_t token,
                          hm_token_score *out)
{
    const synthid_state *st = stv;
    uint8_t g[HM_SYNTHID_MAX_KEYS];
    size_t l;
    hm_synthid_gvalues(ctx_hash(st, ctx, nctx), (int64_t)token, st->keys, st->m, g);
    out->value = 0;
    out->weight = 0;
    out->gbits = 0;
    for (l = 0; l < st->m; l++) {
        out->value += g[l];
        out->weight += st->w[l] * g[l];
        out->gbits |= (uint64_t)g[l] << l;
    }
    out->u = NAN;
    out->green = 0;
    out->layers = (uint32_t)st->m;
}

/* ---- the key set's null distribution of the g-sum ------------------------
 * Under H0 the text is independent of the keys, and what varies between
 * scored positions is the n-gram hash h_tok = accumulate(h_ctx, token).  All
 * m layers of one position read the same h_tok: layer l computes
 * G(h_tok A + c_l) with c_l = key_l A + 1, so the m bits are a fixed
 * function of one 64-bit value and their joint law depends on the key
 * differences.  The LCG rounds inside G carry additive differences through
 * almost unchanged, so the bits of two layers are correlated, by an amount
 * that depends on the key set (docs/statistics.md).  This samples h_tok
 * uniformly (splitmix64 seeded from the IV: reproducible per key set) and
 * tallies the g-sum.  The same arithmetic as g_from_key, inlined. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* one round of g_from_key: k = asr((k + 1) A + 1, 5), the shift built from
 * logical shifts and a sign fill */
#define SYNTHID_ROUND(k)                                                       \
    do {                                                                       \
        (k) = ((k) + 1u) * LCG_MUL + 1u;                                       \
        (k) = ((k) >> 5) | ((0u - ((k) >> 63)) << 59);                         \
    } while (0)

/* A process-wide cache of the last few key sets' tallies, so that detectors
 * created again for the same key set (several documents, a report rerun, a
 * server) pay for the sample once.  Entries are named by a BLAKE2b tag of the
 * keys and the sample size, never by key material. */
#define NULL_CACHE 8
static struct {
    unsigned char tag[16];
    uint64_t counts[HM_SYNTHID_MAX_KEYS + 1];
    int used;
} null_cache[NULL_CACHE];
static unsigned null_cache_next;
static pthread_mutex_t null_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void null_tag(const synthid_state *st, uint64_t samples, unsigned char tag[16])
{
    crypto_generichash_state h;
    unsigned char b[8];
    size_t i;
    crypto_generichash_init(&h, NULL, 0, 16);
    crypto_generichash_update(&h, (const unsigned char *)"hallmark synthid null v1", 24);
    for (i = 0; i < 8; i++) b[i] = (unsigned char)(samples >> (8 * i));
    crypto_generichash_update(&h, b, 8);
    for (i = 0; i < st->m; i++) {
        size_t j;
        for (j = 0; j < 8; j++) b[j] = (unsigned char)((uint64_t)st->keys[i] >> (8 * j));
        crypto_generichash_update(&h, b, 8);
    }
    crypto_generichash_final(&h, tag, 16);
    sodium_memzero(&h, sizeof h);
    sodium_memzero(b, sizeof b);
}

static uint32_t synthid_null_sample(const void *stv, uint64_t samples, uint64_t *counts)
{
    const synthid_state *st = stv;
    uint64_t c[HM_SYNTHID_MAX_KEYS], seed = (uint64_t)st->iv ^ 0x53796e7448494421ull, i;
    uint64_t tally[HM_SYNTHID_MAX_KEYS + 1];
    unsigned char tag[16];
    size_t l;
    int hit = 0;
    null_tag(st, samples, tag);
    pthread_mutex_lock(&null_cache_lock);
    for (l = 0; l < NULL_CACHE && !hit; l++)
        if (null_cache[l].used && sodium_memcmp(null_cache[l].tag, tag, 16) == 0) {
            memcpy(tally, null_cache[l].counts, sizeof tally);
            hit = 1;
        }
    pthread_mutex_unlock(&null_cache_lock);
    if (hit) {
        for (l = 0; l <= st->m; l++) counts[l] += tally[l];
        return (uint32_t)st->m;
    }
    memset(tally, 0, sizeof tally);
    for (l = 0; l < st->m; l++) c[l] = (uint64_t)st->keys[l] * LCG_MUL + 1u;
    /* four positions at a time: four independent chains keep the multiplier
     * busy (the 12 rounds of one chain are sequential) */
    for (i = 0; i < samples; i += 4) {
        uint64_t x[4];
        unsigned sum[4] = {0, 0, 0, 0}, q;
        for (q = 0; q < 4; q++) x[q] = splitmix(&seed) * LCG_MUL; /* h_tok A: uniform */
        for (l = 0; l < st->m; l++) {
            uint64_t k0 = x[0] + c[l], k1 = x[1] + c[l], k2 = x[2] + c[l], k3 = x[3] + c[l];
            int r;
            for (r = 0; r < 12; r++) {
                SYNTHID_ROUND(k0);
                SYNTHID_ROUND(k1);
                SYNTHID_ROUND(k2);
                SYNTHID_ROUND(k3);
            }
            sum[0] += (unsigned)((k0 >> 30) & 1u);
            sum[1] += (unsigned)((k1 >> 30) & 1u);
            sum[2] += (unsigned)((k2 >> 30) & 1u);
            sum[3] += (unsigned)((k3 >> 30) & 1u);
        }
        for (q = 0; q < 4 && i + q < samples; q++) tally[sum[q]]++;
    }
    sodium_memzero(c, sizeof c);
    pthread_mutex_lock(&null_cache_lock);
    l = null_cache_next++ % NULL_CACHE;
    memcpy(null_cache[l].tag, tag, 16);
    memcpy(null_cache[l].counts, tally, sizeof tally);
    null_cache[l].used = 1;
    pthread_mutex_unlock(&null_cache_lock);
    for (l = 0; l <= st->m; l++) counts[l] += tally[l];
    return (uint32_t)st->m;
}

static uint64_t synthid_null_samples(const void *stv)
{
    return ((const synthid_state *)stv)->null_samples;
}

static double synthid_null_param(const void *stv)
{
    (void)stv;
    return 0.5;
}

const hm_scheme_ops hm_scheme_synthid = {
    .name = "synthid",
    .params_doc = "keys (a JSON array of 1 to 64 integer keys; or --synthid-keys FILE), ngram_len (2 to 17; default 5), top_k (2 to 1048576; default 40), num_leaves (2 to 64; default 2), context_history_size (1 to 1048576; default 1024)",
    .version = "synthid-text-addb4a1",
    .prf_version = "synthid-lcg-sha256iv-v1",
    .kind = HM_KIND_SAMPLING,
    .test = HM_TEST_GVALUES,
    .needs_secret = 0,
    .init = synthid_init,
    .ctx_width = synthid_ctx_width,
    .ctx_rule = synthid_ctx_rule,
    .prompt_in_context = synthid_prompt_in_context,
    .describe = synthid_describe,
    .sample = synthid_sample,
    .score = synthid_score,
    .null_param = synthid_null_param,
    .scratch_size = synthid_scratch_size,
    .rules = synthid_rules,
    .ctx_key = synthid_ctx_key,
    .null_sample = synthid_null_sample,
    .null_samples = synthid_null_samples,
};
