/*
 * detect.c - scoring token sequences: the context rule, deduplication, EOS
 * masking, the per-scheme exact test, several keys at once, and
 * localization of the most significant span.
 */
#include "hallmark/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "detect_internal.h"
#include "embed_internal.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"
#include "key_internal.h"

/* The key set's per-position null of a g-value score (SynthID): ln pmf of
 * the Monte Carlo estimate and of the distribution that dominates every
 * distribution compatible with the sample at confidence 1 - HM_GNULL_DELTA
 * (docs/statistics.md, "SynthID: the key set's null"). */
#define HM_GNULL_DEFAULT_SAMPLES (1u << 21)
#define HM_GNULL_DELTA 1e-6

typedef struct hm_gnull {
    uint32_t m;            /* layers; 0 = none */
    uint64_t samples;
    double ln_est[HM_SCHEME_MAX_LAYERS + 1];
    double ln_bound[HM_SCHEME_MAX_LAYERS + 1];
    double mean, var;      /* of the estimate, per position */
} hm_gnull;

struct hm_detector {
    hm_embedder *e; /* scheme state, context width and rule */
    int dedup;
    int64_t eos;
    hm_gnull gnull;
};

/* Builds d->gnull from the scheme's null sample. */
static int gnull_build(hm_detector *d)
{
    const hm_scheme_ops *ops = d->e->ops;
    uint64_t counts[HM_SCHEME_MAX_LAYERS + 1], N, tail = 0;
    double surv[HM_SCHEME_MAX_LAYERS + 2], conf;
    uint32_t m, j;
    hm_gnull *g = &d->gnull;
    N = ops->null_samples ? ops->null_samples(d->e->st) : 0;
    if (N == 0) N = HM_GNULL_DEFAULT_SAMPLES;
    memset(counts, 0, sizeof counts);
    m = ops->null_sample(d->e->st, N, counts);
    if (m == 0 || m > HM_SCHEME_MAX_LAYERS) return HM_E_RANGE;
    g->m = m;
    g->samples = N;
    g->mean = g->var = 0;
    for (j = 0; j <= m; j++) {
        double q = (double)counts[j] / (double)N;
        g->ln_est[j] = counts[j] ? log(q) : -INFINITY;
        g->mean += q * j;
        g->var += q * (double)j * (double)j;
    }
    g->var -= g->mean * g->mean;
    /* Upper Clopper-Pearson bounds on every survival P[S >= j], j = 1..m, each
     * at one-sided level delta/m (Bonferroni), made non-increasing: with
     * probability >= 1 - delta over the sample, every one holds, and then the
     * distribution with these survivals is stochastically larger than the
     * true per-position null, so its n-fold tail is >= the true tail. */
    conf = 1.0 - 2.0 * HM_GNULL_DELTA / (double)m;
    surv[0] = 1.0;
    surv[m + 1] = 0.0;
    for (j = m; j >= 1; j--) {
        double hi = 1.0;
        tail += counts[j];
        if (tail < N && hm_stats_clopper_pearson((long)tail, (long)N, conf, NULL, &hi) != HM_OK)
            return HM_E_RANGE;
        surv[j] = hi;
    }
    for (j = 1; j <= m; j++)
        if (surv[j] > surv[j - 1]) surv[j] = surv[j - 1];
    for (j = 0; j <= m; j++) {
        double q = surv[j] - surv[j + 1];
        g->ln_bound[j] = q > 0 ? log(q) : -INFINITY;
    }
    return HM_OK;
}

struct hm_detect_stream {
    const hm_detector *d;
    hm_ctxbuf cb;
    int rule;          /* the detection context rule in force for this stream */
    hm_u64set seen;    /* dedup keys (unbounded) */
    hm_seen window;    /* dedup over the last N contexts (SynthID), when bounded */
    hm_u64set contexts; /* distinct scored contexts, when capped (SGLang) */
    hm_u64set units;   /* context policy, scheme with a score key: units scored */
    int capped;
    int eos_seen;
    uint64_t n_tokens, n_scored, n_no_context, n_duplicate, n_after_eos, n_after_cap;
    double sum, sum_weighted;
    uint32_t layers;
};

const char *hm_dedup_name(int policy)
{
    switch (policy) {
    case HM_DEDUP_NONE: return "none";
    case HM_DEDUP_CONTEXT: return "context";
    case HM_DEDUP_TUPLE: return "tuple";
    default: return NULL;
    }
}

int hm_dedup_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "none") == 0) return HM_DEDUP_NONE;
    if (strcmp(name, "context") == 0) return HM_DEDUP_CONTEXT;
    if (strcmp(name, "tuple") == 0) return HM_DEDUP_TUPLE;
    if (strcmp(name, "default") == 0) return HM_DEDUP_DEFAULT;
    return -1;
}

static int resolve_dedup(const hm_detector *d)
{
    if (d->dedup != HM_DEDUP_DEFAULT) return d->dedup;
    return d->e->rules.dedup ? d->e->rules.dedup : HM_DEDUP_TUPLE;
}

int hm_detector_new(hm_detector **out, const char *scheme, const hm_key *key,
                    const char *const *params, size_t n_params, uint32_t vocab, int *bad_param)
{
    const uint8_t *secret = NULL;
    if (key) {
        secret = hm_key_secret(key);
        if (!secret) return HM_E_MISUSE;
    }
    return hm_detector_new_secret(out, scheme, secret, params, n_params, vocab, bad_param);
}

int hm_detector_new_secret(hm_detector **out, const char *scheme, const uint8_t *secret,
                           const char *const *params, size_t n_params, uint32_t vocab,
                           int *bad_param)
{
    hm_detector *d;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    d = calloc(1, sizeof *d);
    if (!d) return HM_E_NOMEM;
    s = hm_embedder_new_secret(&d->e, scheme, secret, params, n_params, vocab ? vocab : 1,
                               bad_param);
    if (s == HM_OK && !d->e->ops->score) {
        hm_embedder_free(d->e);
        s = HM_E_UNSUPPORTED; /* "none": nothing to detect */
    }
    if (s != HM_OK) {
        free(d);
        return s;
    }
    d->dedup = HM_DEDUP_DEFAULT;
    d->eos = -1;
    if (d->e->ops->null_sample && (s = gnull_build(d)) != HM_OK) {
        hm_detector_free(d);
        return s;
    }
    *out = d;
    return HM_OK;
}

void hm_detector_free(hm_detector *d)
{
    if (!d) return;
    hm_embedder_free(d->e);
    free(d);
}

int hm_detector_set_dedup(hm_detector *d, int policy)
{
    if (!d) return HM_E_MISUSE;
    if (policy != HM_DEDUP_DEFAULT && !hm_dedup_name(policy)) return HM_E_RANGE;
    d->dedup = policy;
    return HM_OK;
}

int hm_detector_set_eos(hm_detector *d, int64_t eos)
{
    if (!d) return HM_E_MISUSE;
    d->eos = eos < 0 ? -1 : eos;
    return HM_OK;
}

int hm_detector_describe(const hm_detector *d, char *buf, size_t cap)
{
    if (!d) return HM_E_MISUSE;
    return hm_embedder_describe(d->e, buf, cap);
}

const char *hm_detector_scheme(const hm_detector *d) { return d ? d->e->ops->name : NULL; }

const char *hm_detector_prf_version(const hm_detector *d)
{
    if (!d) return NULL;
    return d->e->ops->prf_version ? d->e->ops->prf_version : HM_PRF_VERSION;
}

int hm_detect_init(const hm_detector *d, hm_detect_stream **out, const uint32_t *prompt,
                   size_t n_prompt)
{
    hm_detect_stream *s;
    size_t i;
    if (!d || !out || (n_prompt && !prompt)) return HM_E_MISUSE;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s) return HM_E_NOMEM;
    s->d = d;
    hm_ctxbuf_reset(&s->cb);
    s->rule = d->e->rules.ctx_rule_detect;
    if (s->rule == HM_CTX_PARTIAL && d->e->rules.partial_needs_prompt && n_prompt == 0)
        s->rule = HM_CTX_FULL;
    if (d->e->rules.prompt_in_ctx)
        for (i = 0; i < n_prompt; i++) hm_ctxbuf_push(&s->cb, prompt[i]);
    s->layers = 1;
    if (d->e->rules.detect_history && resolve_dedup(d) == HM_DEDUP_CONTEXT &&
        hm_seen_init(&s->window, d->e->rules.detect_history) != HM_OK) {
        free(s);
        return HM_E_NOMEM;
    }
    *out = s;
    return HM_OK;
}

void hm_detect_stream_free(hm_detect_stream *s)
{
    if (!s) return;
    hm_u64set_free(&s->seen);
    hm_u64set_free(&s->contexts);
    hm_u64set_free(&s->units);
    hm_seen_free(&s->window);
    free(s);
}

int hm_detect_update(hm_detect_stream *s, const uint32_t *ids, size_t n, hm_token_detail *details)
{
    const hm_detector *d;
    const hm_embedder *e;
    int dedup;
    size_t i;
    if (!s || (n && !ids)) return HM_E_MISUSE;
    d = s->d;
    e = d->e;
    dedup = resolve_dedup(d);
    for (i = 0; i < n; i++) {
        uint32_t t = ids[i], ctx[HM_SCHEME_MAX_CTX];
        size_t nctx = 0;
        int skip = 0;
        hm_token_score sc;
        memset(&sc, 0, sizeof sc);
        sc.u = NAN;
        sc.layers = 1;
        s->n_tokens++;
        if (!s->eos_seen && d->eos >= 0 && (int64_t)t == d->eos) s->eos_seen = 1;
        if (s->eos_seen) {
            skip = 3;
        } else if (s->capped) {
            skip = 4;
        } else if (!hm_ctxbuf_context(&s->cb, e->width, s->rule, e->rules.pad_token, ctx, &nctx)) {
            skip = 1;
        } else {
            uint64_t ck = hm_scheme_ctx_key(e->ops, e->st, ctx, nctx);
            if (dedup == HM_DEDUP_CONTEXT && s->window.max) {
                /* the engine's bounded history: every position is recorded */
                if (hm_seen_contains(&s->window, ck)) skip = 2;
                hm_seen_insert(&s->window, ck);
            } else if (dedup != HM_DEDUP_NONE) {
                int added = hm_u64set_add(&s->seen, dedup == HM_DEDUP_TUPLE
                                                ? hm_scheme_tuple_key(e->ops, e->st, ctx, nctx, ck, t)
                                                : ck);
                if (added < 0) return HM_E_NOMEM;
                if (!added) skip = 2;
                if (dedup == HM_DEDUP_CONTEXT && e->ops->score_key) {
                    /* a unit that spans contexts (kgw selfhash's (anchor,
                     * token)): a new context may repeat the unit of an
                     * earlier position, whose score would count twice
                     * (docs/calibration.md); as the scanner does */
                    int u = hm_u64set_add(&s->units,
                                          hm_scheme_tuple_key(e->ops, e->st, ctx, nctx, ck, t));
                    if (u < 0) return HM_E_NOMEM;
                    if (!u) skip = 2;
                }
            }
            if (skip == 0 && e->rules.detect_max_contexts) {
                int added = hm_u64set_add(&s->contexts, ck);
                if (added < 0) return HM_E_NOMEM;
                if (added && s->contexts.count > e->rules.detect_max_contexts) {
                    s->capped = 1; /* the engine stops after max_contexts contexts */
                    skip = 4;
                }
            }
        }
        if (skip == 0) {
            e->ops->score(e->st, ctx, nctx, t, &sc);
            s->n_scored++;
            s->sum += sc.value;
            s->sum_weighted += sc.weight;
            s->layers = sc.layers;
        } else if (skip == 1) {
            s->n_no_context++;
        } else if (skip == 4) {
            s->n_after_cap++;
        } else if (skip == 2) {
            s->n_duplicate++;
            if (details) e->ops->score(e->st, ctx, nctx, t, &sc); /* shown, not counted */
        } else {
            s->n_after_eos++;
        }
        if (details) {
            details[i].id = t;
            details[i].counted = skip == 0;
            details[i].skip = skip;
            details[i].green = sc.green;
            details[i].value = sc.value;
            details[i].u = sc.u;
            details[i].gbits = sc.gbits;
            details[i].layers = sc.layers;
        }
        hm_ctxbuf_push(&s->cb, t);
    }
    return HM_OK;
}

/* The test of `test` for statistic `k` over `n` scored positions; `g`, when
 * not NULL, is the key set's g-value null (replaces the nominal binomial). */
static void run_test(int test, double null_param, uint32_t layers, double k, uint64_t n,
                     const hm_gnull *g, hm_detect_result *r)
{
    double nd = (double)n;
    r->test = test;
    r->null_param = null_param;
    r->score = k;
    r->ln_p = 0;
    r->ln_p_estimate = NAN;
    r->z = 0;
    switch (test) {
    case HM_TEST_KIND_BINOMIAL:
        r->test_name = "binomial-upper-tail";
        r->trials = nd;
        if (n) {
            r->ln_p = hm_stats_binom_logsf((long)llround(k), (long)n, null_param);
            r->z = (k - nd * null_param) / sqrt(nd * null_param * (1 - null_param));
        }
        break;
    case HM_TEST_KIND_GAMMA:
        r->test_name = "gamma-upper-tail";
        r->trials = nd;
        if (n) {
            r->ln_p = hm_stats_gamma_logsf(k, nd);
            r->z = (k - nd) / sqrt(nd);
        }
        break;
    case HM_TEST_KIND_GAMMA_WEIGHTED: {
        /* S = sum (1-a) sA + a sB, sA, sB iid Exp(1): the exact tail of
         * (1-a) Gamma(n) + a Gamma(n) (docs/statistics.md, "Dual-key") */
        double a = null_param, var = (1 - a) * (1 - a) + a * a;
        r->test_name = "dual-gamma-upper-tail";
        r->trials = nd;
        if (n) {
            r->ln_p = hm_stats_dualgamma_logsf(k, (long)n, a);
            if (isnan(r->ln_p)) {
                r->ln_p = hm_stats_dualgamma_bound_logsf(k, (long)n, a);
                r->test_name = "dual-gamma-upper-bound";
            }
            r->z = (k - nd) / sqrt(nd * var);
        }
        break;
    }
    case HM_TEST_KIND_GVALUES:
        if (g && g->m && g->m == layers) {
            /* the key set's own per-position null, convolved exactly over the
             * n positions; ln_p from the dominating null (a valid bound at
             * confidence 1 - delta), ln_p_estimate from the sample itself */
            double lb = 0, le = 0;
            uint64_t kk = k > 0 ? (uint64_t)llround(k) : 0;
            r->test_name = "gsum-keyset-null-mc-bound";
            r->null_param = 0.5;
            r->trials = (double)layers * nd;
            r->null_samples = g->samples;
            r->null_delta = HM_GNULL_DELTA;
            if (n) {
                if (hm_stats_lattice_logsf(g->ln_bound, g->m, n, kk, &lb) != HM_OK) lb = NAN;
                if (hm_stats_lattice_logsf(g->ln_est, g->m, n, kk, &le) != HM_OK) le = NAN;
                r->ln_p = lb;
                r->ln_p_estimate = le;
                r->z = g->var > 0 ? (k - g->mean * nd) / sqrt(g->var * nd) : 0;
            }
            break;
        }
        {
        /* no key-set null (hm_scan_test, which has no detector): the nominal
         * binomial, which assumes independent fair layer bits and is not
         * valid for a fixed key set (docs/statistics.md) */
        double m = (double)layers;
        r->test_name = "binomial-upper-tail-gcount-nominal";
        r->null_param = 0.5;
        r->trials = m * nd;
        if (n) {
            r->ln_p = hm_stats_binom_logsf((long)llround(k), (long)(m * nd), 0.5);
            r->z = (k - 0.5 * m * nd) / sqrt(0.25 * m * nd);
        }
        break;
    }
    default:
        r->test_name = "unknown";
        break;
    }
    if (r->ln_p > 0) r->ln_p = 0;
    r->log10_p = r->ln_p / log(10.0);
}

/* Maps the private scheme test ids to the public ones (the values agree). */
static int public_test(const hm_embedder *e) { return e->ops->test; }

int hm_detect_final(const hm_detect_stream *s, hm_detect_result *res)
{
    const hm_embedder *e;
    double per;
    if (!s || !res) return HM_E_MISUSE;
    e = s->d->e;
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    res->dedup = resolve_dedup(s->d);
    res->n_tokens = s->n_tokens;
    res->n_scored = s->n_scored;
    res->n_no_context = s->n_no_context;
    res->n_duplicate = s->n_duplicate;
    res->n_after_eos = s->n_after_eos;
    res->n_after_cap = s->n_after_cap;
    run_test(public_test(e), e->ops->null_param(e->st), s->layers, s->sum, s->n_scored,
             &s->d->gnull, res);
    per = (double)s->n_scored * (e->ops->test == HM_TEST_GVALUES ? (double)s->layers : 1.0);
    res->mean_score = per > 0 ? s->sum / per : 0;
    res->weighted_mean = per > 0 ? s->sum_weighted / per : 0;
    return HM_OK;
}

int hm_detect(const hm_detector *d, const uint32_t *prompt, size_t n_prompt, const uint32_t *ids,
              size_t n, hm_detect_result *res, hm_token_detail *details)
{
    hm_detect_stream *s;
    int st = hm_detect_init(d, &s, prompt, n_prompt);
    if (st != HM_OK) return st;
    if (!res) {
        hm_detect_stream_free(s);
        return HM_E_MISUSE;
    }
    if (hm_u64set_init(&s->seen, n) != 0) {
        hm_detect_stream_free(s);
        return HM_E_NOMEM;
    }
    st = hm_detect_update(s, ids, n, details);
    if (st == HM_OK) st = hm_detect_final(s, res);
    hm_detect_stream_free(s);
    return st;
}

int hm_detect_many(const hm_detector *const *dets, size_t k, const uint32_t *prompt,
                   size_t n_prompt, const uint32_t *ids, size_t n, hm_detect_result *results,
                   double *ln_p_holm, double *ln_p_family, size_t *best)
{
    size_t i, b = 0;
    double *lp;
    int st = HM_OK;
    if (!dets || k == 0 || !results || !ln_p_family || !best) return HM_E_MISUSE;
    lp = malloc(k * sizeof *lp);
    if (!lp) return HM_E_NOMEM;
    for (i = 0; i < k && st == HM_OK; i++) {
        st = hm_detect(dets[i], prompt, n_prompt, ids, n, &results[i], NULL);
        lp[i] = results[i].ln_p;
        if (lp[i] < lp[b]) b = i;
    }
    if (st == HM_OK) {
        *best = b;
        *ln_p_family = hm_stats_sidak_logp(lp[b], (double)k);
        if (ln_p_holm) {
            size_t *work = malloc(k * sizeof *work);
            if (!work)
                st = HM_E_NOMEM;
            else
                st = hm_stats_holm_logp(lp, k, ln_p_holm, work);
            free(work);
        }
    }
    free(lp);
    return st;
}

int hm_detect_localize(const hm_detector *d, const hm_token_detail *details, size_t n,
                       hm_span *span)
{
    uint64_t *cn;
    double *cs;
    size_t i, len;
    uint64_t windows = 0;
    uint32_t layers = 1;
    int test;
    double null_param;
    if (!d || !span || (n && !details)) return HM_E_MISUSE;
    memset(span, 0, sizeof *span);
    span->ln_p = span->ln_p_window = 0;
    if (n == 0) return HM_OK;
    cn = malloc((n + 1) * sizeof *cn);
    cs = malloc((n + 1) * sizeof *cs);
    if (!cn || !cs) {
        free(cn);
        free(cs);
        return HM_E_NOMEM;
    }
    cn[0] = 0;
    cs[0] = 0;
    for (i = 0; i < n; i++) {
        cn[i + 1] = cn[i] + (details[i].counted ? 1 : 0);
        cs[i + 1] = cs[i] + (details[i].counted ? details[i].value : 0);
        if (details[i].counted && details[i].layers > 1) layers = details[i].layers;
    }
    test = public_test(d->e);
    null_param = d->e->ops->null_param(d->e->st);
    for (len = 16;; len *= 2) {
        size_t L = len < n ? len : n, stride = L / 4 ? L / 4 : 1, start;
        for (start = 0; start + L <= n; start += stride) {
            hm_detect_result r;
            uint64_t k = cn[start + L] - cn[start];
            windows++;
            if (k == 0) continue;
            memset(&r, 0, sizeof r);
            run_test(test, null_param, layers, cs[start + L] - cs[start], k, &d->gnull, &r);
            if (span->n_scored == 0 || r.ln_p < span->ln_p_window) {
                span->first = start;
                span->last = start + L;
                span->n_scored = k;
                span->score = r.score;
                span->ln_p_window = r.ln_p;
            }
            if (start + L == n) break;
        }
        if (L == n) break;
    }
    span->n_windows = windows;
    span->ln_p = hm_stats_bonferroni_logp(span->ln_p_window, (double)windows);
    free(cn);
    free(cs);
    return HM_OK;
}

/* --- private accessors for trace.c and payload.c ------------------------- */

const struct hm_scheme_ops *hm_detector_internals(const hm_detector *d, const void **state,
                                                  size_t *width, int *rule, uint32_t *pad,
                                                  int *prompt_in_ctx, int *dedup)
{
    if (!d) return NULL;
    if (state) *state = d->e->st;
    if (width) *width = d->e->width;
    if (rule) *rule = d->e->rules.ctx_rule_detect;
    if (pad) *pad = d->e->rules.pad_token;
    if (prompt_in_ctx) *prompt_in_ctx = d->e->rules.prompt_in_ctx;
    if (dedup) *dedup = resolve_dedup(d);
    return d->e->ops;
}

int hm_detector_result_from_sums(const hm_detector *d, uint64_t n_scored, double sum,
                                 double sum_weighted, uint32_t layers, hm_detect_result *res)
{
    const hm_embedder *e;
    double per;
    if (!d || !res) return HM_E_MISUSE;
    e = d->e;
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    res->dedup = resolve_dedup(d);
    res->n_tokens = n_scored;
    res->n_scored = n_scored;
    run_test(public_test(e), e->ops->null_param(e->st), layers, sum, n_scored, &d->gnull, res);
    per = (double)n_scored * (e->ops->test == HM_TEST_GVALUES ? (double)layers : 1.0);
    res->mean_score = per > 0 ? sum / per : 0;
    res->weighted_mean = per > 0 ? sum_weighted / per : 0;
    return HM_OK;
}

/* ---- Private: per-position walk and pooled tests (scan, radioactivity) ---- */

/* The walk behind hm_detector_walk and hm_detector_walk_filtered: with
 * `keep`, a position's tuple key is computed first and the scheme scores only
 * the positions keep() accepts; ctx_hash is then computed after keep() when
 * the scheme's score key does not need it. */
static int walk(const hm_detector *d, const uint32_t *prompt, size_t n_prompt, const uint32_t *ids,
                size_t n, hm_walk_keep_fn keep, hm_walk_fn fn, void *user, size_t *n_before_eos)
{
    const hm_embedder *e;
    const hm_scheme_ops *ops;
    const void *st;
    hm_ctxbuf cb;
    size_t i, width;
    int rule, direct;
    uint32_t pad;
    if (!d || !fn || (n && !ids) || (n_prompt && !prompt)) return HM_E_MISUSE;
    if (n_before_eos) *n_before_eos = n;
    e = d->e;
    ops = e->ops;
    st = e->st;
    width = e->width;
    pad = e->rules.pad_token;
    rule = e->rules.ctx_rule_detect;
    if (rule == HM_CTX_PARTIAL && e->rules.partial_needs_prompt && n_prompt == 0) rule = HM_CTX_FULL;
    /* Full contexts of the ids alone (no prompt in them): position i's
     * context is ids[i - width .. i), read in place. */
    direct = rule == HM_CTX_FULL && (n_prompt == 0 || !e->rules.prompt_in_ctx);
    hm_ctxbuf_reset(&cb);
    if (e->rules.prompt_in_ctx)
        for (i = 0; i < n_prompt; i++) hm_ctxbuf_push(&cb, prompt[i]);
    for (i = 0; i < n; i++) {
        uint32_t t = ids[i], buf[HM_SCHEME_MAX_CTX];
        const uint32_t *ctx = buf;
        size_t nctx = 0;
        int has_ctx;
        if (d->eos >= 0 && (int64_t)t == d->eos) {
            if (n_before_eos) *n_before_eos = i;
            break;
        }
        if (direct) {
            has_ctx = i >= width;
            if (has_ctx) {
                ctx = ids + i - width;
                nctx = width;
            }
        } else {
            has_ctx = hm_ctxbuf_context(&cb, width, rule, pad, buf, &nctx);
            hm_ctxbuf_push(&cb, t);
        }
        if (has_ctx) {
            hm_walk_item it;
            hm_token_score sc;
            int ctx_done = !ops->score_key || !keep;
            it.pos = i;
            it.ctx_hash = ctx_done ? hm_scheme_ctx_key(ops, st, ctx, nctx) : 0;
            it.tuple_hash = hm_scheme_tuple_key(ops, st, ctx, nctx, it.ctx_hash, t);
            it.value = 0;
            it.layers = 1;
            if (!keep || keep(&it, user)) {
                if (!ctx_done) it.ctx_hash = hm_scheme_ctx_key(ops, st, ctx, nctx);
                memset(&sc, 0, sizeof sc);
                sc.u = NAN;
                sc.layers = 1;
                ops->score(st, ctx, nctx, t, &sc);
                it.value = sc.value;
                it.layers = sc.layers;
                if (fn(&it, user) != 0) return HM_E_STATE;
            }
        }
    }
    return HM_OK;
}

int hm_detector_walk(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                     const uint32_t *ids, size_t n, hm_walk_fn fn, void *user,
                     size_t *n_before_eos)
{
    return walk(d, prompt, n_prompt, ids, n, NULL, fn, user, n_before_eos);
}

int hm_detector_walk_filtered(const hm_detector *d, const uint32_t *ids, size_t n,
                              hm_walk_keep_fn keep, hm_walk_fn fn, void *user,
                              size_t *n_before_eos)
{
    if (!keep) return HM_E_MISUSE;
    return walk(d, NULL, 0, ids, n, keep, fn, user, n_before_eos);
}

int hm_detector_contexts(const hm_detector *d, const uint32_t *ids, size_t n, hm_walk_fn fn,
                         void *user)
{
    const hm_embedder *e;
    hm_ctxbuf cb;
    size_t i;
    if (!d || !fn || (n && !ids)) return HM_E_MISUSE;
    e = d->e;
    hm_ctxbuf_reset(&cb);
    for (i = 0; i <= n; i++) {
        uint32_t ctx[HM_SCHEME_MAX_CTX];
        size_t nctx = 0;
        if (hm_ctxbuf_context(&cb, e->width, e->rules.ctx_rule_detect, e->rules.pad_token, ctx,
                              &nctx)) {
            hm_walk_item it;
            memset(&it, 0, sizeof it);
            it.pos = i;
            it.ctx_hash = hm_scheme_ctx_key(e->ops, e->st, ctx, nctx);
            it.layers = 1;
            if (fn(&it, user) != 0) return HM_E_STATE;
        }
        if (i < n) hm_ctxbuf_push(&cb, ids[i]);
    }
    return HM_OK;
}

int hm_detector_dedup_policy(const hm_detector *d) { return d ? resolve_dedup(d) : -1; }

int hm_detector_pooled_test(const hm_detector *d, double sum, uint64_t n, uint32_t layers,
                            hm_detect_result *res)
{
    const hm_embedder *e;
    double per;
    if (!d || !res) return HM_E_MISUSE;
    e = d->e;
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    res->dedup = resolve_dedup(d);
    res->n_tokens = n;
    res->n_scored = n;
    if (layers == 0) layers = 1;
    run_test(public_test(e), e->ops->null_param(e->st), layers, sum, n, &d->gnull, res);
    per = (double)n * (e->ops->test == HM_TEST_GVALUES ? (double)layers : 1.0);
    res->mean_score = per > 0 ? sum / per : 0;
    res->weighted_mean = res->mean_score;
    return HM_OK;
}

int hm_scan_test(int test, double null_param, uint32_t layers, double sum, uint64_t n,
                 hm_detect_result *res)
{
    if (!res || test < HM_TEST_KIND_BINOMIAL || test > HM_TEST_KIND_GVALUES) return HM_E_MISUSE;
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    res->dedup = HM_DEDUP_TUPLE;
    res->n_tokens = n;
    res->n_scored = n;
    if (layers == 0) layers = 1;
    run_test(test, null_param, layers, sum, n, NULL, res);
    {
        double per = (double)n * (test == HM_TEST_KIND_GVALUES ? (double)layers : 1.0);
        res->mean_score = per > 0 ? sum / per : 0;
        res->weighted_mean = res->mean_score;
    }
    return HM_OK;
}

int hm_detector_null(const hm_detector *d, int *test, double *null_param)
{
    if (!d || !test || !null_param) return HM_E_MISUSE;
    *test = public_test(d->e);
    *null_param = d->e->ops->null_param(d->e->st);
    return HM_OK;
}

int hm_detector_plain_rules(const hm_detector *d)
{
    if (!d) return 0;
    return !d->e->rules.detect_history && !d->e->rules.detect_max_contexts;
}

uint64_t hm_detector_blind(const hm_detector *d, uint64_t hash)
{
    return hm_embedder_blind(d->e, hash);
}
