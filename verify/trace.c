/*
 * trace.c - which account leaked it: one suspect text scored under the
 * derived key of every account, with Holm's correction over the accounts.
 *
 * The key-independent work is done once: the context rule and the
 * deduplication policy pick the scored (context, token) tuples, which are
 * stored flat.  Each account then costs a key derivation (BLAKE2b), a
 * detector, and the scheme's keyed score of each stored tuple; accounts
 * are shared among worker threads through an atomic counter.  The per
 * account sums go through the detector's own exact test
 * (hm_detector_result_from_sums), so every account's p-value equals what
 * hm_detect gives for its key (tests/test_trace.c checks this).
 */
#include "hallmark/trace.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "dedup.h"
#include "greenlist.h"
#include "detect_internal.h"
#include "hallmark/detect.h"
#include "hallmark/error.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "key_internal.h"
#include "scheme.h"
#include "trace_internal.h"

#define MAX_THREADS 64
#define MAX_PARAMS 64

struct hm_trace {
    hm_key *master;   /* private copy */
    uint64_t epoch;
    char *scheme;
    char **params;
    size_t n_params;
    int dedup;
    unsigned threads;
    hm_detector *tmpl; /* keyed by the master: context rule and test only */
    /* accounts */
    char **names;
    size_t *name_lens;
    size_t count, cap;
    hm_u64set name_set;
    /* results */
    hm_trace_account *res;
    int have_run;
    const char *test_name;
    uint64_t n_tokens, n_scored;
    int dedup_used;
    int force_generic; /* tests: score through the scheme vtable only */
};

static void derive_secret(const hm_trace *t, size_t a, uint8_t out[HM_KEY_SECRET_BYTES]);

static uint64_t name_hash(const char *s, size_t n)
{
    /* FNV-1a then a final mix; collisions only cost a string compare. */
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return hm_context_hash(NULL, 0, (uint32_t)(h ^ (h >> 32)), 1);
}

int hm_trace_new(hm_trace **out, const hm_key *master, uint64_t epoch, const char *scheme,
                 const char *const *params, size_t n_params, int *bad_param)
{
    hm_trace *t;
    const hm_scheme_ops *ops;
    size_t i;
    int s;
    if (bad_param) *bad_param = -1;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!master || !scheme || (n_params && !params) || n_params > MAX_PARAMS) return HM_E_MISUSE;
    if (hm_key_kind(master) != HM_KEY_MASTER) return HM_E_MISUSE;
    ops = hm_scheme_find(scheme);
    if (!ops) return HM_E_NOTFOUND;
    if (!ops->needs_secret) return HM_E_UNSUPPORTED;
    t = calloc(1, sizeof *t);
    if (!t) return HM_E_NOMEM;
    t->epoch = epoch;
    t->dedup = HM_DEDUP_DEFAULT;
    t->threads = 2;
    s = hm_key_from_bytes(hm_key_secret(master), hm_key_created(master), &t->master);
    if (s == HM_OK) {
        t->scheme = strdup(scheme);
        t->params = calloc(n_params + 1, sizeof *t->params);
        if (!t->scheme || !t->params) s = HM_E_NOMEM;
    }
    for (i = 0; s == HM_OK && i < n_params; i++) {
        t->params[i] = strdup(params[i]);
        if (!t->params[i]) s = HM_E_NOMEM;
        t->n_params = i + 1;
    }
    if (s == HM_OK)
        s = hm_detector_new(&t->tmpl, scheme, t->master, (const char *const *)t->params,
                            t->n_params, 0, bad_param);
    if (s == HM_OK && hm_u64set_init(&t->name_set, 64) != 0) s = HM_E_NOMEM;
    if (s != HM_OK) {
        hm_trace_free(t);
        return s;
    }
    *out = t;
    return HM_OK;
}

void hm_trace_free(hm_trace *t)
{
    size_t i;
    if (!t) return;
    hm_key_free(t->master);
    hm_detector_free(t->tmpl);
    free(t->scheme);
    for (i = 0; i < t->n_params; i++) free(t->params[i]);
    free(t->params);
    for (i = 0; i < t->count; i++) free(t->names[i]);
    free(t->names);
    free(t->name_lens);
    hm_u64set_free(&t->name_set);
    free(t->res);
    free(t);
}

int hm_trace_add_account(hm_trace *t, const char *account, size_t len)
{
    char *copy;
    uint64_t h;
    size_t i;
    int s;
    if (!t || !account) return HM_E_MISUSE;
    s = hm_key__tenant_check(account, len);
    if (s != HM_OK) return s;
    h = name_hash(account, len);
    if (hm_u64set_contains(&t->name_set, h)) {
        for (i = 0; i < t->count; i++)
            if (t->name_lens[i] == len && memcmp(t->names[i], account, len) == 0)
                return HM_E_STATE;
    }
    if (t->count == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 64;
        char **nn = realloc(t->names, nc * sizeof *nn);
        size_t *nl;
        if (!nn) return HM_E_NOMEM;
        t->names = nn;
        nl = realloc(t->name_lens, nc * sizeof *nl);
        if (!nl) return HM_E_NOMEM;
        t->name_lens = nl;
        t->cap = nc;
    }
    copy = malloc(len + 1);
    if (!copy) return HM_E_NOMEM;
    memcpy(copy, account, len);
    copy[len] = 0;
    if (hm_u64set_add(&t->name_set, h) < 0) {
        free(copy);
        return HM_E_NOMEM;
    }
    t->names[t->count] = copy;
    t->name_lens[t->count] = len;
    t->count++;
    t->have_run = 0;
    return HM_OK;
}

size_t hm_trace_count(const hm_trace *t) { return t ? t->count : 0; }

int hm_trace_set_threads(hm_trace *t, unsigned threads)
{
    if (!t) return HM_E_MISUSE;
    if (threads < 1 || threads > MAX_THREADS) return HM_E_RANGE;
    t->threads = threads;
    return HM_OK;
}

int hm_trace_set_dedup(hm_trace *t, int policy)
{
    if (!t) return HM_E_MISUSE;
    if (policy != HM_DEDUP_DEFAULT && !hm_dedup_name(policy)) return HM_E_RANGE;
    t->dedup = policy;
    return hm_detector_set_dedup(t->tmpl, policy);
}

/* The scored tuples, shared read-only by the workers. */
typedef struct tuples {
    uint32_t *ctx;   /* n * width context tokens */
    uint8_t *nctx;   /* context length of each tuple */
    uint32_t *tok;
    size_t n, cap, width;
} tuples;

static int tuples_push(tuples *tp, const uint32_t *ctx, size_t nctx, uint32_t tok)
{
    if (tp->n == tp->cap) {
        size_t nc = tp->cap ? 2 * tp->cap : 1024;
        uint32_t *c = realloc(tp->ctx, nc * (tp->width ? tp->width : 1) * sizeof *c);
        uint8_t *l;
        uint32_t *k;
        if (!c) return HM_E_NOMEM;
        tp->ctx = c;
        l = realloc(tp->nctx, nc);
        if (!l) return HM_E_NOMEM;
        tp->nctx = l;
        k = realloc(tp->tok, nc * sizeof *k);
        if (!k) return HM_E_NOMEM;
        tp->tok = k;
        tp->cap = nc;
    }
    if (nctx) memcpy(tp->ctx + tp->n * tp->width, ctx, nctx * sizeof *ctx);
    tp->nctx[tp->n] = (uint8_t)nctx;
    tp->tok[tp->n] = tok;
    tp->n++;
    return HM_OK;
}

static void tuples_free(tuples *tp)
{
    free(tp->ctx);
    free(tp->nctx);
    free(tp->tok);
}

/* Key-independent pass: the tuples the detector would score. */
static int extract(const hm_trace *t, const uint32_t *ids, const size_t *lens, size_t n_docs,
                   tuples *tp, uint64_t *n_tokens)
{
    size_t width, d, off = 0;
    int rule, dedup, s = HM_OK;
    uint32_t pad;
    hm_u64set seen;
    size_t total = 0;
    const void *st;
    const hm_scheme_ops *ops = hm_detector_internals(t->tmpl, &st, &width, &rule, &pad, NULL,
                                                     &dedup);
    for (d = 0; d < n_docs; d++) total += lens[d];
    if (hm_u64set_init(&seen, total) != 0) return HM_E_NOMEM;
    tp->width = width;
    *n_tokens = total;
    for (d = 0; d < n_docs && s == HM_OK; d++) {
        hm_ctxbuf cb;
        size_t i;
        hm_ctxbuf_reset(&cb);
        for (i = 0; i < lens[d] && s == HM_OK; i++) {
            uint32_t tok = ids[off + i], ctx[HM_SCHEME_MAX_CTX];
            size_t nctx = 0;
            int keep = hm_ctxbuf_context(&cb, width, rule, pad, ctx, &nctx);
            if (keep && dedup != HM_DEDUP_NONE) {
                /* the same keys as hm_detect (the context key of a native
                 * scheme does not depend on its secret) */
                uint64_t ck = hm_scheme_ctx_key(ops, st, ctx, nctx);
                uint64_t key = dedup == HM_DEDUP_TUPLE ? hm_tuple_key(ck, tok) : ck;
                int added = hm_u64set_add(&seen, key);
                if (added < 0) s = HM_E_NOMEM;
                keep = added > 0;
            }
            if (keep && s == HM_OK) s = tuples_push(tp, ctx, nctx, tok);
            hm_ctxbuf_push(&cb, tok);
        }
        off += lens[d];
    }
    hm_u64set_free(&seen);
    return s;
}


/* ---- the KGW fast path ------------------------------------------------
 * Same decisions as watermark/schemes/kgw.c, with the key-independent
 * parts hoisted: tokens are mapped once to dense indices, and per account
 * the min-hash key H1 of each distinct token and the PRF context of each
 * anchor are computed once and cached.  A green decision then costs one
 * SipHash (the top byte of the candidate's group) in ~99% of cases.
 *
 * Selfhash decisions depend only on (anchor, token), where the anchor is
 * the window's min-hash token (the token itself when it wins); distinct
 * tuples sharing that pair repeat one PRF output, which would make the
 * per-tuple binomial test anti-conservative on long texts.  The fast path
 * therefore counts each distinct (anchor, token) decision once (docs/trace.md):
 * distinct PRF inputs give independent Bernoulli(gamma) decisions under H0,
 * so the binomial tail stays exact. */

enum { FAST_NONE = 0, FAST_LEFTHASH = 1, FAST_SELFHASH = 2 };

typedef struct fastplan {
    int kind;
    double gamma;
    size_t width;
    uint32_t *utok;   /* distinct tokens */
    size_t nu;
    uint32_t *tix;    /* per tuple: index of the token */
    uint32_t *cix;    /* per tuple: width indices of the context tokens */
} fastplan;

/* Per-worker scratch. */
typedef struct fastscratch {
    uint32_t *h1;
    hm_prf_ctx *pc;
    uint32_t *pc_stamp;
    uint64_t *mark;   /* per anchor: the last (account, token) group that used it */
    uint64_t group;   /* running group counter (never wraps in practice) */
    uint32_t stamp;
    size_t npc;
} fastscratch;

static int parse_kgw(const hm_detector *d, fastplan *fp)
{
    char buf[256], seed[32];
    double gamma, delta;
    unsigned h;
    if (hm_detector_describe(d, buf, sizeof buf) != HM_OK) return 0;
    /* describe() gives "kgw kgw-v1 gamma=...,delta=...,seeding=...,h=..." */
    {
        const char *g = strstr(buf, "gamma=");
        if (!g || sscanf(g, "gamma=%lf,delta=%lf,seeding=%31[a-z],h=%u", &gamma, &delta, seed,
                         &h) != 4)
            return 0;
    }
    fp->gamma = gamma;
    if (strcmp(seed, "selfhash") == 0)
        fp->kind = FAST_SELFHASH;
    else if (strcmp(seed, "lefthash") == 0)
        fp->kind = FAST_LEFTHASH;
    else
        return 0;
    return 1;
}

static void fastplan_free(fastplan *fp)
{
    free(fp->utok);
    free(fp->tix);
    free(fp->cix);
    memset(fp, 0, sizeof *fp);
}

/* Maps tokens to dense indices (open addressing on the id). */
static int fastplan_build(fastplan *fp, const tuples *tp)
{
    size_t cap = 1024, i, j, need = tp->n * (tp->width + 1);
    uint32_t *keys, *vals;
    while (cap < 2 * need + 2) cap *= 2;
    keys = malloc(cap * sizeof *keys);
    vals = malloc(cap * sizeof *vals);
    fp->utok = malloc((need + 1) * sizeof *fp->utok);
    fp->tix = malloc((tp->n + 1) * sizeof *fp->tix);
    fp->cix = malloc((tp->n * tp->width + 1) * sizeof *fp->cix);
    if (!keys || !vals || !fp->utok || !fp->tix || !fp->cix) {
        free(keys);
        free(vals);
        return HM_E_NOMEM;
    }
    memset(vals, 0xff, cap * sizeof *vals);
    fp->width = tp->width;
    fp->nu = 0;
    for (i = 0; i < tp->n; i++) {
        for (j = 0; j <= tp->width; j++) {
            uint32_t t, *slot_out;
            size_t h;
            if (j < tp->width) {
                if (j >= tp->nctx[i]) {
                    fp->cix[i * tp->width + j] = UINT32_MAX;
                    continue;
                }
                t = tp->ctx[i * tp->width + j];
                slot_out = &fp->cix[i * tp->width + j];
            } else {
                t = tp->tok[i];
                slot_out = &fp->tix[i];
            }
            h = (size_t)(((uint64_t)t * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
            while (vals[h] != UINT32_MAX && keys[h] != t) h = (h + 1) & (cap - 1);
            if (vals[h] == UINT32_MAX) {
                keys[h] = t;
                vals[h] = (uint32_t)fp->nu;
                fp->utok[fp->nu++] = t;
            }
            *slot_out = vals[h];
        }
    }
    free(keys);
    free(vals);
    /* Counting sort of the tuples by token index: the selfhash loop then
     * meets every (anchor, token) pair of one token consecutively and
     * deduplicates with a per-anchor mark instead of a hash table. */
    {
        size_t *start = calloc(fp->nu + 1, sizeof *start);
        uint32_t *st = malloc((tp->n + 1) * sizeof *st);
        uint32_t *sc = malloc((tp->n * tp->width + 1) * sizeof *sc);
        if (!start || !st || !sc) {
            free(start);
            free(st);
            free(sc);
            return HM_E_NOMEM;
        }
        for (i = 0; i < tp->n; i++) start[fp->tix[i] + 1]++;
        for (i = 0; i < fp->nu; i++) start[i + 1] += start[i];
        for (i = 0; i < tp->n; i++) {
            size_t k = start[fp->tix[i]]++;
            st[k] = fp->tix[i];
            if (tp->width)
                memcpy(sc + k * tp->width, fp->cix + i * tp->width, tp->width * sizeof *sc);
        }
        free(start);
        free(fp->tix);
        free(fp->cix);
        fp->tix = st;
        fp->cix = sc;
    }
    return HM_OK;
}

static int fastscratch_init(fastscratch *fs, const fastplan *fp)
{
    memset(fs, 0, sizeof *fs);
    fs->h1 = malloc((fp->nu + 1) * sizeof *fs->h1);
    fs->pc = malloc((fp->nu + 1) * sizeof *fs->pc);
    fs->npc = fp->nu + 1;
    fs->pc_stamp = calloc(fp->nu + 1, sizeof *fs->pc_stamp);
    fs->mark = calloc(fp->nu + 1, sizeof *fs->mark);
    if (!fs->h1 || !fs->pc || !fs->pc_stamp || !fs->mark) return HM_E_NOMEM;
    return HM_OK;
}

static void fastscratch_free(fastscratch *fs)
{
    free(fs->h1);
    if (fs->pc) sodium_memzero(fs->pc, fs->npc * sizeof *fs->pc); /* keyed material */
    free(fs->pc);
    free(fs->pc_stamp);
    free(fs->mark);
}

static int green_top(const hm_green_thr *thr, const hm_prf_ctx *c, uint32_t t)
{
    uint8_t top[8];
    hm_prf_group_bytes(c, t >> 3, 0, top);
    return hm_green_with_top(thr, c, t, top[t & 7]);
}

static const hm_prf_ctx *anchor_ctx(fastscratch *fs, const fastplan *fp, const hm_prf *prf,
                                    uint32_t ix)
{
    if (fs->pc_stamp[ix] != fs->stamp) {
        hm_prf_context(prf, &fs->pc[ix], &fp->utok[ix], 1);
        fs->pc_stamp[ix] = fs->stamp;
    }
    return &fs->pc[ix];
}

static int score_account_fast(hm_trace *t, const tuples *tp, const fastplan *fp,
                              fastscratch *fs, size_t a)
{
    uint8_t secret[HM_KEY_SECRET_BYTES];
    hm_prf prf;
    hm_green_thr thr;
    uint64_t green = 0, n = 0;
    size_t i, j;
    int s;
    hm_detect_result r;
    derive_secret(t, a, secret);
    s = hm_prf_init(&prf, secret, HM_PRF_SCHEME_KGW);
    sodium_memzero(secret, sizeof secret);
    if (s != HM_OK) return s;
    hm_green_thr_init(&thr, fp->gamma);
    fs->stamp++;
    if (fs->stamp == 0) { /* wrapped: reset the stamps */
        memset(fs->pc_stamp, 0, (fp->nu + 1) * sizeof *fs->pc_stamp);
        fs->stamp = 1;
    }
    if (fp->kind == FAST_LEFTHASH) {
        for (i = 0; i < tp->n; i++) {
            hm_prf_ctx c;
            hm_prf_context(&prf, &c, tp->ctx + i * tp->width, tp->nctx[i]);
            green += (uint64_t)green_top(&thr, &c, tp->tok[i]);
        }
        n = tp->n;
    } else {
        hm_prf_ctx c0;
        hm_prf_context(&prf, &c0, NULL, 0);
        for (i = 0; i < fp->nu; i++) fs->h1[i] = (uint32_t)(hm_prf_value(&c0, fp->utok[i], 1) >> 32);
        uint32_t prev_tix = UINT32_MAX;
        for (i = 0; i < tp->n; i++) {
            uint32_t m = UINT32_MAX, mk = UINT32_MAX, mix = UINT32_MAX;
            uint32_t tix = fp->tix[i], tok = fp->utok[tix], kt = fs->h1[tix], anchor;
            if (tix != prev_tix) { /* tuples are grouped by token */
                fs->group++;
                prev_tix = tix;
            }
            for (j = 0; j < fp->width; j++) {
                uint32_t cx = fp->cix[i * fp->width + j], id, kk;
                if (cx == UINT32_MAX) continue; /* shorter context */
                id = fp->utok[cx];
                kk = fs->h1[cx];
                if (kk < mk || (kk == mk && id < m)) {
                    m = id;
                    mk = kk;
                    mix = cx;
                }
            }
            anchor = (kt < mk || (kt == mk && tok < m)) ? tix : mix;
            if (fs->mark[anchor] == fs->group) continue; /* pair already counted */
            fs->mark[anchor] = fs->group;
            n++;
            green += (uint64_t)green_top(&thr, anchor_ctx(fs, fp, &prf, anchor), tok);
        }
    }
    hm_prf_wipe(&prf);
    s = hm_detector_result_from_sums(t->tmpl, n, (double)green, (double)green, 1, &r);
    if (s != HM_OK) return s;
    t->res[a].account = t->names[a];
    t->res[a].n_scored = n;
    t->res[a].score = r.score;
    t->res[a].ln_p = r.ln_p;
    return HM_OK;
}

/* The derived secret of hm_key_derive (hallmark/key.h: BLAKE2b-256 keyed
 * by the master secret over "hallmark-derive-v1" 0x00 || LE32(len) ||
 * tenant || LE64(epoch)), computed into caller memory: the tracer needs
 * only the 32 bytes, not a guarded key object per account (mlock and
 * guard pages cost more than the scoring at 10,000 accounts).
 * tests/test_trace.c checks it against hm_key_derive. */
static void derive_secret(const hm_trace *t, size_t a, uint8_t out[HM_KEY_SECRET_BYTES])
{
    static const char domain[] = "hallmark-derive-v1";
    crypto_generichash_state st;
    uint8_t le[8];
    unsigned i;
    size_t len = t->name_lens[a];
    crypto_generichash_init(&st, hm_key_secret(t->master), HM_KEY_SECRET_BYTES,
                            HM_KEY_SECRET_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain);
    for (i = 0; i < 4; i++) le[i] = (uint8_t)((uint64_t)len >> (8 * i));
    crypto_generichash_update(&st, le, 4);
    crypto_generichash_update(&st, (const uint8_t *)t->names[a], len);
    for (i = 0; i < 8; i++) le[i] = (uint8_t)(t->epoch >> (8 * i));
    crypto_generichash_update(&st, le, 8);
    crypto_generichash_final(&st, out, HM_KEY_SECRET_BYTES);
    sodium_memzero(&st, sizeof st);
}

int hm_trace__derived_secret(const hm_trace *t, size_t i, uint8_t out[32])
{
    if (!t || i >= t->count) return HM_E_MISUSE;
    derive_secret(t, i, out);
    return HM_OK;
}

/* Unigram decisions depend on the token alone: keep the first tuple of
 * each distinct token (one count per decision, as for KGW selfhash). */
static int unique_tokens(tuples *tp)
{
    hm_u64set seen;
    size_t i, k = 0;
    if (hm_u64set_init(&seen, tp->n) != 0) return HM_E_NOMEM;
    for (i = 0; i < tp->n; i++) {
        int added = hm_u64set_add(&seen, (uint64_t)tp->tok[i] + 1);
        if (added < 0) {
            hm_u64set_free(&seen);
            return HM_E_NOMEM;
        }
        if (!added) continue;
        if (k != i) {
            if (tp->width)
                memmove(tp->ctx + k * tp->width, tp->ctx + i * tp->width,
                        tp->width * sizeof *tp->ctx);
            tp->nctx[k] = tp->nctx[i];
            tp->tok[k] = tp->tok[i];
        }
        k++;
    }
    tp->n = k;
    hm_u64set_free(&seen);
    return HM_OK;
}

typedef struct job {
    hm_trace *t;
    const tuples *tp;
    const fastplan *fp; /* NULL: the generic path */
    atomic_size_t next;
    atomic_int status;
} job;

/* One account: derive, build its detector, score every tuple. */
static int score_account(hm_trace *t, const tuples *tp, size_t a)
{
    uint8_t secret[HM_KEY_SECRET_BYTES];
    hm_detector *d = NULL;
    const hm_scheme_ops *ops;
    const void *st;
    hm_detect_result r;
    double sum = 0, sumw = 0;
    uint32_t layers = 1;
    size_t i;
    int s;
    derive_secret(t, a, secret);
    s = hm_detector_new_secret(&d, t->scheme, secret, (const char *const *)t->params,
                               t->n_params, 0, NULL);
    sodium_memzero(secret, sizeof secret);
    if (s == HM_OK) s = hm_detector_set_dedup(d, t->dedup);
    if (s != HM_OK) {
        hm_detector_free(d);
        return s;
    }
    ops = hm_detector_internals(d, &st, NULL, NULL, NULL, NULL, NULL);
    for (i = 0; i < tp->n; i++) {
        hm_token_score sc;
        sc.layers = 1;
        ops->score(st, tp->ctx + i * tp->width, tp->nctx[i], tp->tok[i], &sc);
        sum += sc.value;
        sumw += sc.weight;
        layers = sc.layers;
    }
    s = hm_detector_result_from_sums(d, tp->n, sum, sumw, layers, &r);
    hm_detector_free(d);
    if (s != HM_OK) return s;
    t->res[a].account = t->names[a];
    t->res[a].n_scored = tp->n;
    t->res[a].score = r.score;
    t->res[a].ln_p = r.ln_p;
    return HM_OK;
}

static void *worker(void *arg)
{
    job *j = arg;
    fastscratch fs;
    int s = HM_OK;
    memset(&fs, 0, sizeof fs);
    if (j->fp) s = fastscratch_init(&fs, j->fp);
    while (s == HM_OK) {
        size_t a = atomic_fetch_add(&j->next, 1);
        if (a >= j->t->count || atomic_load(&j->status) != HM_OK) break;
        s = j->fp ? score_account_fast(j->t, j->tp, j->fp, &fs, a) : score_account(j->t, j->tp, a);
    }
    if (s != HM_OK) {
        int expect = HM_OK;
        atomic_compare_exchange_strong(&j->status, &expect, s);
    }
    fastscratch_free(&fs);
    return NULL;
}

int hm_trace_run(hm_trace *t, const uint32_t *ids, const size_t *lens, size_t n_docs,
                 double alpha, int *verdict)
{
    tuples tp;
    fastplan fp;
    job j;
    pthread_t th[MAX_THREADS];
    unsigned i, started = 0;
    double *lnp = NULL, *adj = NULL, la;
    size_t *work = NULL, a, fired = 0;
    hm_detect_result r0;
    int s;
    if (!t || (n_docs && !lens) || !verdict) return HM_E_MISUSE;
    if (!(alpha > 0 && alpha < 1)) return HM_E_RANGE;
    if (t->count == 0) return HM_E_STATE;
    {
        size_t d, total = 0;
        for (d = 0; d < n_docs; d++) total += lens[d];
        if (total && !ids) return HM_E_MISUSE;
    }
    *verdict = HM_TRACE_NONE;
    t->have_run = 0;
    memset(&tp, 0, sizeof tp);
    free(t->res);
    t->res = calloc(t->count, sizeof *t->res);
    if (!t->res) return HM_E_NOMEM;
    s = extract(t, ids, lens, n_docs, &tp, &t->n_tokens);
    if (s == HM_OK && strcmp(hm_detector_scheme(t->tmpl), "unigram") == 0)
        s = unique_tokens(&tp);
    if (s != HM_OK) {
        tuples_free(&tp);
        return s;
    }
    memset(&fp, 0, sizeof fp);
    if (!t->force_generic && strcmp(hm_detector_scheme(t->tmpl), "kgw") == 0 &&
        parse_kgw(t->tmpl, &fp)) {
        s = fastplan_build(&fp, &tp);
        if (s != HM_OK) {
            fastplan_free(&fp);
            tuples_free(&tp);
            return s;
        }
    }
    j.t = t;
    j.tp = &tp;
    j.fp = fp.kind ? &fp : NULL;
    atomic_init(&j.next, 0);
    atomic_init(&j.status, HM_OK);
    for (i = 0; i < t->threads && i < t->count; i++) {
        if (i > 0 && pthread_create(&th[i], NULL, worker, &j) != 0) break;
        started = i + 1;
    }
    worker(&j); /* the calling thread is worker 0 */
    for (i = 1; i < started; i++) pthread_join(th[i], NULL);
    s = atomic_load(&j.status);
    tuples_free(&tp);
    fastplan_free(&fp);
    if (s != HM_OK) return s;
    lnp = malloc(t->count * sizeof *lnp);
    adj = malloc(t->count * sizeof *adj);
    work = malloc(t->count * sizeof *work);
    if (!lnp || !adj || !work) {
        s = HM_E_NOMEM;
        goto done;
    }
    for (a = 0; a < t->count; a++) lnp[a] = t->res[a].ln_p;
    s = hm_stats_holm_logp(lnp, t->count, adj, work);
    if (s != HM_OK) goto done;
    la = log(alpha);
    for (a = 0; a < t->count; a++) {
        t->res[a].ln_p_holm = adj[a];
        t->res[a].fired = adj[a] <= la;
        if (t->res[a].fired) fired++;
    }
    *verdict = fired == 0 ? HM_TRACE_NONE : fired == 1 ? HM_TRACE_ONE : HM_TRACE_SEVERAL;
    hm_detector_result_from_sums(t->tmpl, 0, 0, 0, 1, &r0);
    t->test_name = r0.test_name;
    t->dedup_used = r0.dedup;
    t->n_scored = 0;
    for (a = 0; a < t->count; a++)
        if (t->res[a].n_scored > t->n_scored) t->n_scored = t->res[a].n_scored;
    t->have_run = 1;
done:
    free(lnp);
    free(adj);
    free(work);
    return s;
}

int hm_trace_result(const hm_trace *t, size_t i, hm_trace_account *out)
{
    if (!t || !out) return HM_E_MISUSE;
    if (!t->have_run) return HM_E_STATE;
    if (i >= t->count) return HM_E_RANGE;
    *out = t->res[i];
    return HM_OK;
}

const char *hm_trace_test_name(const hm_trace *t) { return t && t->have_run ? t->test_name : NULL; }
uint64_t hm_trace_n_tokens(const hm_trace *t) { return t && t->have_run ? t->n_tokens : 0; }
uint64_t hm_trace_n_scored(const hm_trace *t) { return t && t->have_run ? t->n_scored : 0; }
int hm_trace_dedup(const hm_trace *t) { return t && t->have_run ? t->dedup_used : 0; }

void hm_trace__force_generic(hm_trace *t, int on)
{
    if (t) t->force_generic = on;
}
