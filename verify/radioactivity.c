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

#include "detect_internal.h"
#include "hallmark/error.h"
#include "key_internal.h"

#define CONTROL_LABEL "hallmark radioactivity control v1"

struct hm_radio {
    hm_detector *det[2];
    hm_tape *tape;
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
        crypto_generichash(control, sizeof control, (const unsigned char *)CONTROL_LABEL,
                           strlen(CONTROL_LABEL), secret, 32);
        st = hm_detector_new_secret(&r->det[1], scheme, control, params, n_params, 0, bad_param);
        sodium_memzero(control, sizeof control);
    }
    if (st == HM_OK)
        st = hm_tape_new(&r->tape, opt ? opt->tmpdir : NULL, opt ? opt->partitions : 0);
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
    if (!in_shard(c->r, it->ctx_hash)) return 0;
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
    /* the same positions; the tuple identity may differ (kgw selfhash's
     * anchor depends on the key): the main key's tuple decides the dedup,
     * and the control is read at the same positions */
    if (m->pos != it->pos) {
        c->status = HM_E_INTERNAL;
        return 1;
    }
    if (!in_shard(r, m->ctx_hash)) return 0;
    r->n_positions++;
    if (m->layers > 1) r->layers = m->layers;
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

int hm_radio_finish(hm_radio *r, hm_radio_stats *st)
{
    hm_tape_result tr;
    int s;
    if (!r || !st) return HM_E_MISUSE;
    if (r->finished) return HM_E_STATE;
    r->finished = 1;
    s = hm_tape_finish(r->tape, &tr, NULL, NULL);
    if (s != HM_OK) return s;
    memset(st, 0, sizeof *st);
    st->n_outputs = r->n_outputs;
    st->n_positions = r->n_positions;
    st->n_unique = tr.n_unique;
    st->n_excluded = tr.n_excluded;
    st->n_filtered = tr.n_filtered;
    st->n_kept = tr.n_kept;
    st->sum_main = tr.sum[0];
    st->sum_control = tr.sum[1];
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
    return hm_scan_test(test, np, st->layers, hm_fixsum_value(&st->sum_control), st->n_kept,
                        control_res);
}
