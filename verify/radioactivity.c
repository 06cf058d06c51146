/*
 * radioactivity.c - the closed-model radioactivity test (Sander et al.,
 * arXiv 2402.14904): suspect completions scored under our key and a control
 * key over the unique (context, token) tuples of the whole input, with
 * prompt contexts excluded and an optional k-gram filter, on a
 * hash-partitioned tape (bounded memory; shardable by context hash).
 */
#include "hallmark/radioactivity.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "detect_internal.h"
#include "hallmark/error.h"
#include "key_internal.h"
#include "scheme.h"

#define CONTROL_LABEL "hallmark radioactivity control v1"

struct hm_radio {
    hm_detector *det[2];
    hm_tape *tape;
    /* keyed mode (a scheme whose score key depends on the key: kgw): `tape`
     * holds full (context, token) tuples, and the survivors of the prompt
     * exclusion and the filter are deduplicated again, per key, on that
     * key's score key (docs/radioactivity.md, "The unit of the test") */
    int keyed;
    hm_tape *unit[2];
    const uint32_t *cur_ids; /* the ids being walked (keyed mode) */
    uint32_t shard, n_shards;
    hm_walk_item *items;
    size_t n_items, cap_items;
    int oom, finished;
    uint64_t n_outputs, n_positions;
    uint32_t layers;
};

static int in_shard(const hm_radio *r, uint64_t ctx_hash)
{
    if (r->n_shards <= 1) return 1;
    return (uint32_t)((ctx_hash & 0xFFFFFFFFu) % r->n_shards) == r->shard;
}

int hm_radio_new(hm_radio **out, const char *scheme, const hm_key *key,
                 const char *const *params, size_t n_params, const hm_radio_options *opt,
                 int *bad_param)
{
    hm_radio *r;
    const uint8_t *secret;
    uint8_t control[32];
    int st;
    if (!out || !scheme || !key) return HM_E_MISUSE;
    *out = NULL;
    secret = hm_key_secret(key);
    if (!secret) return HM_E_MISUSE;
    if (opt && opt->n_shards > 1 && opt->shard >= opt->n_shards) return HM_E_RANGE;
    r = calloc(1, sizeof *r);
    if (!r) return HM_E_NOMEM;
    st = hm_detector_new(&r->det[0], scheme, key, params, n_params, 0, bad_param);
    if (st == HM_OK) {
        const hm_scheme_ops *ops = hm_detector_internals(r->det[0], NULL, NULL, NULL, NULL, NULL,
                                                         NULL);
        /* an engine profile's key is a parameter (vllm key=, synthid keys=):
         * a control secret derived from ours would leave the control
         * identical to the main test */
        if (!ops || !ops->needs_secret) st = HM_E_UNSUPPORTED;
        else r->keyed = ops->score_key != NULL && ops->test == HM_TEST_BINOMIAL;
    }
    if (st == HM_OK) {
        crypto_generichash(control, sizeof control, (const unsigned char *)CONTROL_LABEL,
                           strlen(CONTROL_LABEL), secret, 32);
        st = hm_detector_new_secret(&r->det[1], scheme, control, params, n_params, 0, bad_param);
        sodium_memzero(control, sizeof control);
    }
    if (st == HM_OK)
        st = hm_tape_new(&r->tape, opt ? opt->tmpdir : NULL, opt ? opt->partitions : 0);
    if (st == HM_OK && r->keyed)
        st = hm_tape_new(&r->unit[0], opt ? opt->tmpdir : NULL, opt ? opt->partitions : 0);
    if (st == HM_OK && r->keyed)
        st = hm_tape_new(&r->unit[1], opt ? opt->tmpdir : NULL, opt ? opt->partitions : 0);
    if (st != HM_OK) {
        hm_radio_free(r);
        return st;
    }
    if (opt && opt->n_shards > 1) {
        r->shard = opt->shard;
        r->n_shards = opt->n_shards;
    }
    r->layers = 1;
    *out = r;
    return HM_OK;
}

void hm_radio_free(hm_radio *r)
{
    if (!r) return;
    hm_detector_free(r->det[0]);
    hm_detector_free(r->det[1]);
    hm_tape_free(r->tape);
    hm_tape_free(r->unit[0]);
    hm_tape_free(r->unit[1]);
    free(r->items);
    free(r);
}

const hm_detector *hm_radio_detector(const hm_radio *r, int control)
{
    if (!r) return NULL;
    return r->det[control ? 1 : 0];
}

typedef struct radio_cb {
    hm_radio *r;
    int status;
} radio_cb;

static int prompt_cb(const hm_walk_item *it, void *user)
{
    radio_cb *c = user;
    /* keyed mode: a shard's units may come from any context */
    if (!c->r->keyed && !in_shard(c->r, it->ctx_hash)) return 0;
    c->status = hm_tape_exclude(c->r->tape, it->ctx_hash);
    return c->status != HM_OK;
}

int hm_radio_add_prompt(hm_radio *r, const uint32_t *ids, size_t n)
{
    radio_cb c;
    int st;
    if (!r || (n && !ids)) return HM_E_MISUSE;
    if (r->finished) return HM_E_STATE;
    {
        /* a context-free scheme (unigram) has one, empty, context: every
         * prompt "contains" it, and excluding it would exclude everything */
        size_t width = 1;
        (void)hm_detector_internals(r->det[0], NULL, &width, NULL, NULL, NULL, NULL);
        if (width == 0) return HM_OK;
    }
    c.r = r;
    c.status = HM_OK;
    st = hm_detector_contexts(r->det[0], ids, n, prompt_cb, &c);
    return c.status != HM_OK ? c.status : st;
}

static int filter_cb(const hm_walk_item *it, void *user)
{
    radio_cb *c = user;
    if (c->r->keyed) {
        c->status = hm_tape_allow(c->r->tape, it->ctx_hash,
                                  hm_tuple_key(it->ctx_hash, c->r->cur_ids[it->pos]));
        return c->status != HM_OK;
    }
    if (!in_shard(c->r, it->ctx_hash)) return 0;
    c->status = hm_tape_allow(c->r->tape, it->ctx_hash, it->tuple_hash);
    return c->status != HM_OK;
}

int hm_radio_add_filter(hm_radio *r, const uint32_t *ids, size_t n)
{
    radio_cb c;
    int st;
    if (!r || (n && !ids)) return HM_E_MISUSE;
    if (r->finished) return HM_E_STATE;
    c.r = r;
    c.status = HM_OK;
    r->cur_ids = ids;
    st = hm_detector_walk(r->det[0], NULL, 0, ids, n, filter_cb, &c, NULL);
    return c.status != HM_OK ? c.status : st;
}

static int collect_cb(const hm_walk_item *it, void *user)
{
    hm_radio *r = user;
    if (r->n_items == r->cap_items) {
        size_t nc = r->cap_items ? 2 * r->cap_items : 1024;
        hm_walk_item *ni = realloc(r->items, nc * sizeof *ni);
        if (!ni) {
            r->oom = 1;
            return 1;
        }
        r->items = ni;
        r->cap_items = nc;
    }
    r->items[r->n_items++] = *it;
    return 0;
}

typedef struct control_cb {
    hm_radio *r;
    size_t i;
    int status;
} control_cb;

/* Keyed mode: a score key and a 0/1 score travel through the first tape as
 * one negative double, -(2 k + v) - 1 with k the top 52 bits of the score
 * key (exact: below 2^53; negative values never enter the tape's sums).
 * Equal full tuples carry equal score keys and scores under both keys, as
 * the tape requires. */
static double unit_encode(uint64_t score_key, double value)
{
    uint64_t x = ((score_key >> 12) << 1) | (value != 0 ? 1u : 0u);
    return -(double)x - 1.0;
}

static uint64_t unit_decode(double enc, int *green)
{
    uint64_t x = (uint64_t)(-enc - 1.0);
    *green = (int)(x & 1u);
    return x >> 1;
}

/* The shard of a unit (keyed mode): by its score key. */
static int unit_in_shard(const hm_radio *r, uint64_t k52)
{
    return r->n_shards <= 1 || (uint32_t)(k52 % r->n_shards) == r->shard;
}

/* Counts that describe the input (positions, distinct tuples, exclusions)
 * are the same in every shard in keyed mode: shard 0 reports them, so that
 * merged shards add up to the single-process figures. */
static int counts_here(const hm_radio *r)
{
    return !r->keyed || r->n_shards <= 1 || r->shard == 0;
}

static int control_fn(const hm_walk_item *it, void *user)
{
    control_cb *c = user;
    hm_radio *r = c->r;
    const hm_walk_item *m;
    if (c->i >= r->n_items) {
        c->status = HM_E_INTERNAL;
        return 1;
    }
    m = &r->items[c->i++];
    /* the same positions, read under the two keys */
    if (m->pos != it->pos) {
        c->status = HM_E_INTERNAL;
        return 1;
    }
    if (m->layers > 1) r->layers = m->layers;
    if (r->keyed) {
        /* the full tuple (key-independent) carries both keys' units */
        if (counts_here(r)) r->n_positions++;
        c->status = hm_tape_add(r->tape, m->ctx_hash, hm_tuple_key(m->ctx_hash, r->cur_ids[m->pos]),
                                unit_encode(m->tuple_hash, m->value),
                                unit_encode(it->tuple_hash, it->value));
        return c->status != HM_OK;
    }
    /* the tuple key does not depend on the key here: the control's
     * distinct units are the main key's */
    if (!in_shard(r, m->ctx_hash)) return 0;
    r->n_positions++;
    c->status = hm_tape_add(r->tape, m->ctx_hash, m->tuple_hash, m->value, it->value);
    return c->status != HM_OK;
}

int hm_radio_add_output(hm_radio *r, const uint32_t *prompt, size_t n_prompt,
                        const uint32_t *ids, size_t n)
{
    control_cb c;
    int st;
    if (!r || (n && !ids) || (n_prompt && !prompt)) return HM_E_MISUSE;
    if (r->finished) return HM_E_STATE;
    r->n_items = 0;
    r->oom = 0;
    r->cur_ids = ids;
    st = hm_detector_walk(r->det[0], prompt, n_prompt, ids, n, collect_cb, r, NULL);
    if (r->oom) return HM_E_NOMEM;
    if (st != HM_OK) return st;
    c.r = r;
    c.i = 0;
    c.status = HM_OK;
    st = hm_detector_walk(r->det[1], prompt, n_prompt, ids, n, control_fn, &c, NULL);
    if (c.status != HM_OK) return c.status;
    if (st != HM_OK) return st;
    r->n_outputs++;
    return HM_OK;
}

/* Keyed mode: every full tuple that survived the exclusions gives one
 * record per key, deduplicated on that key's score key. */
static int unit_emit(uint64_t group, uint64_t hash, double v0, double v1, void *user)
{
    hm_radio *r = user;
    double v[2];
    int k;
    (void)group;
    (void)hash;
    v[0] = v0;
    v[1] = v1;
    for (k = 0; k < 2; k++) {
        int green;
        uint64_t k52 = unit_decode(v[k], &green), g = (k52 << 12) | 0x800u;
        if (!unit_in_shard(r, k52)) continue;
        if (hm_tape_add(r->unit[k], g, g, green ? 1.0 : 0.0, 0) != HM_OK) return 1;
    }
    return 0;
}

int hm_radio_finish(hm_radio *r, hm_radio_stats *st)
{
    hm_tape_result tr, ur[2];
    int s;
    if (!r || !st) return HM_E_MISUSE;
    if (r->finished) return HM_E_STATE;
    r->finished = 1;
    s = hm_tape_finish(r->tape, &tr, r->keyed ? unit_emit : NULL, r);
    if (s == HM_E_STATE && r->keyed) s = HM_E_IO; /* a unit tape refused a record */
    if (s != HM_OK) return s;
    memset(st, 0, sizeof *st);
    if (r->keyed) {
        s = hm_tape_finish(r->unit[0], &ur[0], NULL, NULL);
        if (s == HM_OK) s = hm_tape_finish(r->unit[1], &ur[1], NULL, NULL);
        if (s != HM_OK) return s;
    } else {
        ur[0] = ur[1] = tr;
        ur[1].sum[0] = tr.sum[1];
    }
    st->n_outputs = r->n_outputs;
    st->n_positions = r->n_positions;
    if (counts_here(r)) {
        st->n_unique = tr.n_unique;
        st->n_excluded = tr.n_excluded;
        st->n_filtered = tr.n_filtered;
    }
    st->n_kept = ur[0].n_kept;
    st->n_kept_control = ur[1].n_kept;
    st->sum_main = ur[0].sum[0];
    st->sum_control = ur[1].sum[0];
    st->layers = r->layers;
    return HM_OK;
}

void hm_radio_stats_merge(hm_radio_stats *a, const hm_radio_stats *b)
{
    if (!a || !b) return;
    if (b->n_outputs > a->n_outputs) a->n_outputs = b->n_outputs;
    a->n_positions += b->n_positions;
    a->n_unique += b->n_unique;
    a->n_excluded += b->n_excluded;
    a->n_filtered += b->n_filtered;
    a->n_kept += b->n_kept;
    a->n_kept_control += b->n_kept_control;
    hm_fixsum_merge(&a->sum_main, &b->sum_main);
    hm_fixsum_merge(&a->sum_control, &b->sum_control);
    if (b->layers > a->layers) a->layers = b->layers;
}

int hm_radio_test(const hm_radio *r, const hm_radio_stats *st, hm_detect_result *main_res,
                  hm_detect_result *control_res)
{
    int test, s;
    double np;
    if (!r || !st || !main_res || !control_res) return HM_E_MISUSE;
    s = hm_detector_null(r->det[0], &test, &np);
    if (s != HM_OK) return s;
    s = hm_scan_test(test, np, st->layers, hm_fixsum_value(&st->sum_main), st->n_kept, main_res);
    if (s != HM_OK) return s;
    return hm_scan_test(test, np, st->layers, hm_fixsum_value(&st->sum_control),
                        st->n_kept_control, control_res);
}
