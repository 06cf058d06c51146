/*
 * sampler.c - the plain (unwatermarked) sampler of the sample model: a
 * seeded xoshiro256** generator, softmax with temperature, min-p, top-k,
 * top-p and an inverse-CDF draw, allocation-free after creation; and a
 * small generation loop over slm_logits.
 *
 * This is the control for `--no-watermark` and the demo, and the baseline
 * of the embedding benchmark: one pass over the vocabulary (max), one pass
 * computing exp for the survivors, expected-linear selections for top-k and
 * top-p (no full sort), and one cumulative walk.
 */
#include "ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the generator ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void slm_rng_seed(slm_rng *rng, uint64_t seed)
{
    int i;
    if (!rng) return;
    for (i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t slm_rng_next(slm_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double slm_rng_uniform(slm_rng *rng)
{
    return (double)(slm_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the sampler ------------------------------------------------------ */

struct cand {
    uint32_t id;
    float x; /* (logit - max) / temperature, <= 0 */
    float e; /* exp(x) */
};

struct slm_sampler {
    slm_sampler_params p;
    uint32_t cap;
    struct cand *c;
};

slm_sampler_params slm_sampler_params_default(void)
{
    slm_sampler_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    return p;
}

int slm_sampler_new(const slm_sampler_params *params, uint32_t vocab_size,
                    slm_sampler **out)
{
    slm_sampler *s;
    slm_sampler_params p = slm_sampler_params_default();
    if (out) *out = NULL;
    if (!params || !out || vocab_size == 0 || params->struct_size < sizeof p)
        return HM_E_MISUSE;
    memcpy(&p, params, sizeof p);
    p.struct_size = sizeof p;
    if (!isfinite(p.temperature) || p.temperature < 0 || !(p.top_p > 0) ||
        !(p.top_p <= 1) || !(p.min_p >= 0) || !(p.min_p <= 1))
        return HM_E_RANGE;
    s = calloc(1, sizeof *s);
    if (!s) return HM_E_NOMEM;
    s->c = malloc((size_t)vocab_size * sizeof *s->c);
    if (!s->c) {
        free(s);
        return HM_E_NOMEM;
    }
    s->p = p;
    s->cap = vocab_size;
    *out = s;
    return HM_OK;
}

void slm_sampler_free(slm_sampler *s)
{
    if (!s) return;
    free(s->c);
    free(s);
}

/* The candidate order: higher x first, then lower id. */
static int better(const struct cand *a, const struct cand *b)
{
    return a->x > b->x || (a->x == b->x && a->id < b->id);
}

static void swap_c(struct cand *a, struct cand *b)
{
    struct cand t = *a;
    *a = *b;
    *b = t;
}

/* Partitions c[lo..hi) around a median-of-three pivot: returns p with
 * c[lo..p) better than c[p] and c(p..hi) worse. */
static size_t partition(struct cand *c, size_t lo, size_t hi)
{
    size_t mid = lo + (hi - lo) / 2, last = hi - 1, i, p;
    if (better(&c[mid], &c[lo])) swap_c(&c[mid], &c[lo]);
    if (better(&c[last], &c[lo])) swap_c(&c[last], &c[lo]);
    if (better(&c[last], &c[mid])) swap_c(&c[last], &c[mid]);
    /* now c[lo] best, c[mid] median, c[last] worst: pivot = median */
    swap_c(&c[mid], &c[last]);
    p = lo;
    for (i = lo; i < last; i++)
        if (better(&c[i], &c[last])) swap_c(&c[i], &c[p++]);
    swap_c(&c[p], &c[last]);
    return p;
}

static void insertion_sort(struct cand *c, size_t lo, size_t hi)
{
    size_t i, j;
    for (i = lo + 1; i < hi; i++) {
        struct cand t = c[i];
        for (j = i; j > lo && better(&t, &c[j - 1]); j--) c[j] = c[j - 1];
        c[j] = t;
    }
}

/* Moves the k best of c[0..n) to c[0..k) (quickselect). */
static void select_top(struct cand *c, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 16) {
        size_t p = partition(c, lo, hi);
        if (p == k || p + 1 == k) return;
        if (p > k)
            hi = p;
        else
            lo = p + 1;
    }
    insertion_sort(c, lo, hi);
}

/* The smallest prefix of c[0..n) in candidate order whose mass reaches
 * `target`, moved to the front; returns its length. */
static size_t select_mass(struct cand *c, size_t n, double target)
{
    size_t lo = 0, hi = n, i;
    double acc = 0; /* mass of c[0..lo), all kept */
    while (hi - lo > 16) {
        size_t p = partition(c, lo, hi);
        double upper = 0;
        for (i = lo; i < p; i++) upper += c[i].e;
        if (acc + upper >= target) {
            hi = p;
        } else {
            acc += upper + c[p].e;
            if (acc >= target) return p + 1;
            lo = p + 1;
        }
    }
    insertion_sort(c, lo, hi);
    for (i = lo; i < hi; i++) {
        acc += c[i].e;
        if (acc >= target) return i + 1;
    }
    return hi; /* rounding: keep everything up to hi */
}

int slm_sample(slm_sampler *s, const float *logits, uint32_t n, slm_rng *rng,
               uint32_t *token_out)
{
    const slm_sampler_params *p;
    float mx = -INFINITY, inv_t, cut;
    uint32_t w, best = 0;
    size_t nc = 0, i;
    double total = 0, u, acc;
    if (!s || !logits || !rng || !token_out || n == 0 || n > s->cap)
        return HM_E_MISUSE;
    p = &s->p;
    for (w = 0; w < n; w++) {
        float l = logits[w];
        if (l > mx) { /* NaN compares false: never chosen */
            mx = l;
            best = w;
        }
    }
    if (!(mx > -INFINITY) || isinf(mx)) return HM_E_RANGE;
    if (p->temperature == 0) {
        *token_out = best; /* first maximum = lowest id */
        return HM_OK;
    }
    inv_t = 1.0f / p->temperature;
    /* min-p: p / p_max >= min_p  <=>  x >= log(min_p) */
    cut = p->min_p > 0 ? logf(p->min_p) : -INFINITY;
    for (w = 0; w < n; w++) {
        float x = (logits[w] - mx) * inv_t;
        if (x >= cut && x > -INFINITY) { /* NaN fails both */
            s->c[nc].id = w;
            s->c[nc].x = x;
            nc++;
        }
    }
    if (p->top_k > 0 && nc > p->top_k) {
        select_top(s->c, nc, p->top_k);
        nc = p->top_k;
    }
    for (i = 0; i < nc; i++) {
        s->c[i].e = expf(s->c[i].x);
        total += s->c[i].e;
    }
    if (p->top_p < 1.0f && nc > 1) {
        size_t keep = select_mass(s->c, nc, (double)p->top_p * total);
        if (keep < nc) {
            nc = keep;
            total = 0;
            for (i = 0; i < nc; i++) total += s->c[i].e;
        }
    }
    u = slm_rng_uniform(rng) * total;
    acc = 0;
    for (i = 0; i + 1 < nc; i++) {
        acc += s->c[i].e;
        if (u < acc) break;
    }
    *token_out = s->c[i].id;
    return HM_OK;
}

int slm_generate(const slm_model *model, slm_sampler *sampler, slm_rng *rng,
                 const uint32_t *prompt, size_t n_prompt, size_t max_new,
                 float *scratch, uint32_t *out, size_t *n_out)
{
    uint32_t ctx[SLM_MAX_ORDER];
    size_t keep, nctx, g;
    unsigned order;
    if (n_out) *n_out = 0;
    if (!model || !sampler || !rng || (!prompt && n_prompt) || !scratch ||
        (!out && max_new) || !n_out)
        return HM_E_MISUSE;
    order = slm_order(model);
    keep = order - 1;
    nctx = n_prompt < keep ? n_prompt : keep;
    if (nctx) memcpy(ctx, prompt + n_prompt - nctx, nctx * sizeof *ctx);
    for (g = 0; g < max_new; g++) {
        uint32_t tok;
        int rc = slm_logits(model, ctx, nctx, scratch);
        if (rc == HM_OK) rc = slm_sample(sampler, scratch, slm_vocab_size(model), rng, &tok);
        if (rc != HM_OK) return rc;
        out[g] = tok;
        *n_out = g + 1;
        if (tok == slm_eos(model)) break;
        if (keep == 0) continue;
        if (nctx == keep) {
            memmove(ctx, ctx + 1, (keep - 1) * sizeof *ctx);
            nctx--;
        }
        ctx[nctx++] = tok;
    }
    return HM_OK;
}
