/*
 * hallmark_llama.c - the Hallmark llama_sampler (see hallmark_llama.h).
 *
 * llama_token_data is {int32 id; float logit; float p}, the layout of
 * hm_cand: the candidate array is handed to Hallmark as it is.
 */
#include "hallmark_llama.h"

#include <stdlib.h>
#include <string.h>

typedef struct hm_llama_state {
    const hm_embedder *e;
    hm_session *s;
    int mode;
    uint64_t seed;
    int status;
    uint64_t steps, marked;
    uint32_t *hist;       /* prompt tokens then accepted tokens (for clone) */
    size_t n_prompt, n_hist, cap_hist;
} hm_llama_state;

_Static_assert(sizeof(llama_token_data) == sizeof(hm_cand), "llama_token_data is not hm_cand");
_Static_assert(offsetof(llama_token_data, id) == offsetof(hm_cand, id), "id offset");
_Static_assert(offsetof(llama_token_data, logit) == offsetof(hm_cand, logit), "logit offset");
_Static_assert(offsetof(llama_token_data, p) == offsetof(hm_cand, p), "p offset");

static struct llama_sampler_i hm_llama_iface;

static void note(hm_llama_state *st, int rc)
{
    if (rc != HM_OK && st->status == HM_OK) st->status = rc;
}

static const char *hm_llama_name(const struct llama_sampler *smpl)
{
    (void)smpl;
    return "hallmark";
}

static int push_hist(hm_llama_state *st, uint32_t t)
{
    if (st->n_hist == st->cap_hist) {
        size_t cap = st->cap_hist * 2;
        uint32_t *h = realloc(st->hist, cap * sizeof *h);
        if (!h) return HM_E_NOMEM;
        st->hist = h;
        st->cap_hist = cap;
    }
    st->hist[st->n_hist++] = t;
    return HM_OK;
}

static void hm_llama_accept(struct llama_sampler *smpl, llama_token token)
{
    hm_llama_state *st = smpl->ctx;
    if (token < 0) {
        note(st, HM_E_RANGE);
        return;
    }
    int rc = hm_session_accept(st->s, (uint32_t)token);
    note(st, rc);
    if (rc == HM_OK) note(st, push_hist(st, (uint32_t)token));
}

static void hm_llama_apply(struct llama_sampler *smpl, llama_token_data_array *cur_p)
{
    hm_llama_state *st = smpl->ctx;
    hm_cand *c = (hm_cand *)(void *)cur_p->data;
    st->steps++;
    if (st->mode == HM_LLAMA_BIAS) {
        note(st, hm_session_apply_sparse(st->s, c, cur_p->size));
        cur_p->sorted = false;
        return;
    }
    hm_sampling sp = hm_sampling_default();
    uint32_t tok = 0;
    int marked = 0;
    int rc = hm_session_sample_sparse(st->s, c, cur_p->size, &sp, &tok, &marked);
    size_t pick = SIZE_MAX;
    if (rc == HM_OK) {
        for (size_t i = 0; i < cur_p->size; i++)
            if ((uint32_t)c[i].id == tok) {
                pick = i;
                break;
            }
        if (pick == SIZE_MAX) rc = HM_E_INTERNAL;
    }
    if (rc != HM_OK) { /* keep generating: the most likely candidate, and remember why */
        note(st, rc);
        pick = 0;
        for (size_t i = 1; i < cur_p->size; i++)
            if (c[i].logit > c[pick].logit) pick = i;
        marked = 0;
    }
    if (marked) st->marked++;
    cur_p->selected = (int64_t)pick;
}

static void restart(hm_llama_state *st)
{
    hm_session_reset(st->s);
    hm_session_set_seed(st->s, st->seed);
    st->status = HM_OK;
    st->steps = st->marked = 0;
    st->n_hist = st->n_prompt = 0;
}

static void hm_llama_reset(struct llama_sampler *smpl)
{
    restart(smpl->ctx);
}

static void state_free(hm_llama_state *st)
{
    if (!st) return;
    hm_session_free(st->s);
    free(st->hist);
    free(st);
}

static hm_llama_state *state_new(const hm_embedder *e, int mode, uint64_t seed, int *status)
{
    hm_llama_state *st = calloc(1, sizeof *st);
    int rc = HM_E_NOMEM;
    if (!st) goto fail;
    st->e = e;
    st->mode = mode;
    st->seed = seed;
    st->cap_hist = HM_LLAMA_HISTORY;
    st->hist = malloc(st->cap_hist * sizeof *st->hist);
    if (!st->hist) goto fail;
    rc = hm_session_new(e, &st->s);
    if (rc != HM_OK) goto fail;
    hm_session_set_seed(st->s, seed);
    return st;
fail:
    state_free(st);
    if (status) *status = rc;
    return NULL;
}

/* Replays the prompt and the accepted tokens into a fresh session: the
 * clone has the same context and repeated-context history (its sampling
 * RNG restarts from the seed). */
static struct llama_sampler *hm_llama_clone(const struct llama_sampler *smpl)
{
    const hm_llama_state *st = smpl->ctx;
    hm_llama_state *cl = state_new(st->e, st->mode, st->seed, NULL);
    if (!cl) return NULL;
    int rc = HM_OK;
    if (st->n_hist > cl->cap_hist) {
        uint32_t *h = realloc(cl->hist, st->n_hist * sizeof *h);
        if (!h) rc = HM_E_NOMEM;
        else {
            cl->hist = h;
            cl->cap_hist = st->n_hist;
        }
    }
    if (rc == HM_OK && st->n_prompt) rc = hm_session_seed(cl->s, st->hist, st->n_prompt);
    for (size_t i = st->n_prompt; rc == HM_OK && i < st->n_hist; i++)
        rc = hm_session_accept(cl->s, st->hist[i]);
    if (rc != HM_OK) {
        state_free(cl);
        return NULL;
    }
    if (st->n_hist) memcpy(cl->hist, st->hist, st->n_hist * sizeof *cl->hist);
    cl->n_hist = st->n_hist;
    cl->n_prompt = st->n_prompt;
    cl->status = st->status;
    cl->steps = st->steps;
    cl->marked = st->marked;
    struct llama_sampler *out = llama_sampler_init(&hm_llama_iface, cl);
    if (!out) state_free(cl);
    return out;
}

static void hm_llama_free(struct llama_sampler *smpl)
{
    state_free(smpl->ctx);
    smpl->ctx = NULL;
}

static struct llama_sampler_i hm_llama_iface = {
    .name = hm_llama_name,
    .accept = hm_llama_accept,
    .apply = hm_llama_apply,
    .reset = hm_llama_reset,
    .clone = hm_llama_clone,
    .free = hm_llama_free,
};

struct llama_sampler *hm_llama_sampler_init(const hm_embedder *e, int mode, uint64_t seed,
                                            int *status)
{
    if (status) *status = HM_OK;
    if (!e || mode < HM_LLAMA_AUTO || mode > HM_LLAMA_SAMPLE) {
        if (status) *status = HM_E_MISUSE;
        return NULL;
    }
    int bias = hm_embedder_is_logit_bias(e);
    if (mode == HM_LLAMA_AUTO) mode = bias ? HM_LLAMA_BIAS : HM_LLAMA_SAMPLE;
    if (mode == HM_LLAMA_BIAS && !bias) {
        if (status) *status = HM_E_MISUSE;
        return NULL;
    }
    hm_llama_state *st = state_new(e, mode, seed, status);
    if (!st) return NULL;
    struct llama_sampler *smpl = llama_sampler_init(&hm_llama_iface, st);
    if (!smpl) {
        state_free(st);
        if (status) *status = HM_E_NOMEM;
    }
    return smpl;
}

int hm_llama_sampler_is_hallmark(const struct llama_sampler *smpl)
{
    return smpl && smpl->iface == &hm_llama_iface && smpl->ctx;
}

int hm_llama_sampler_seed(struct llama_sampler *smpl, const llama_token *prompt, size_t n)
{
    if (!hm_llama_sampler_is_hallmark(smpl) || (!prompt && n)) return HM_E_MISUSE;
    hm_llama_state *st = smpl->ctx;
    restart(st);
    for (size_t i = 0; i < n; i++)
        if (prompt[i] < 0) return HM_E_RANGE;
    if (n > st->cap_hist) {
        uint32_t *h = realloc(st->hist, n * 2 * sizeof *h);
        if (!h) return HM_E_NOMEM;
        st->hist = h;
        st->cap_hist = n * 2;
    }
    for (size_t i = 0; i < n; i++) st->hist[i] = (uint32_t)prompt[i];
    int rc = n ? hm_session_seed(st->s, st->hist, n) : HM_OK;
    if (rc != HM_OK) {
        restart(st);
        return rc;
    }
    st->n_prompt = st->n_hist = n;
    return HM_OK;
}

int hm_llama_sampler_status(const struct llama_sampler *smpl)
{
    if (!hm_llama_sampler_is_hallmark(smpl)) return HM_E_MISUSE;
    return ((const hm_llama_state *)smpl->ctx)->status;
}

void hm_llama_sampler_counts(const struct llama_sampler *smpl, uint64_t *steps, uint64_t *marked)
{
    const hm_llama_state *st = hm_llama_sampler_is_hallmark(smpl) ? smpl->ctx : NULL;
    if (steps) *steps = st ? st->steps : 0;
    if (marked) *marked = st ? st->marked : 0;
}
