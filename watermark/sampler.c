/*
 * sampler.c - candidate sets (temperature, top-k, top-p, min-p) and the
 * plain sampler, in scratch arrays allocated once per session.
 */
#include "sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"
#include "prf.h"

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void hm_rng_seed(hm_rng *rng, uint64_t seed)
{
    int i;
    for (i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

uint64_t hm_rng_next(hm_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

double hm_rng_unit(hm_rng *rng)
{
    return hm_prf_unit(hm_rng_next(rng)); /* the one mapping: never 0 or 1 */
}

int hm_candset_alloc(hm_candset *cs, size_t cap)
{
    memset(cs, 0, sizeof *cs);
    cs->lg = malloc(cap * sizeof *cs->lg);
    cs->p = malloc(cap * sizeof *cs->p);
    cs->cdf = malloc(cap * sizeof *cs->cdf);
    cs->ids_buf = malloc(cap * sizeof *cs->ids_buf);
    cs->top = malloc(cap + 8);
    if (!cs->lg || !cs->p || !cs->cdf || !cs->ids_buf || !cs->top) {
        hm_candset_release(cs);
        return HM_E_NOMEM;
    }
    cs->cap = cap;
    return HM_OK;
}

void hm_candset_release(hm_candset *cs)
{
    free(cs->lg);
    free(cs->p);
    free(cs->cdf);
    free(cs->ids_buf);
    free(cs->top);
    memset(cs, 0, sizeof *cs);
}

static int check_params(const hm_sampling *sp)
{
    if (!(sp->temperature >= 0) || !isfinite(sp->temperature)) return HM_E_RANGE;
    if (sp->top_k < 0) return HM_E_RANGE;
    if (!(sp->top_p > 0 && sp->top_p <= 1)) return HM_E_RANGE;
    if (!(sp->min_p >= 0 && sp->min_p < 1)) return HM_E_RANGE;
    return HM_OK;
}

static void find_max(hm_candset *cs)
{
    size_t i, am = 0;
    float m = -INFINITY;
    for (i = 0; i < cs->n; i++)
        if (cs->lg[i] > m) {
            m = cs->lg[i];
            am = i;
        }
    cs->lg_max = m;
    cs->argmax = am;
}

/* Keeps candidate i where keep(i); compacts into sparse form. */
static void compact_threshold(hm_candset *cs, float thr)
{
    size_t i, j = 0;
    uint32_t *ids = cs->ids_buf;
    int dense = cs->ids == NULL;
    for (i = 0; i < cs->n; i++) {
        if (cs->lg[i] >= thr) {
            ids[j] = dense ? (uint32_t)i : cs->ids[i];
            cs->lg[j] = cs->lg[i];
            j++;
        }
    }
    cs->ids = ids;
    cs->n = j;
}

static void swap_cand(hm_candset *cs, size_t a, size_t b)
{
    float tl = cs->lg[a];
    uint32_t ti = cs->ids[a];
    cs->lg[a] = cs->lg[b];
    cs->ids[a] = cs->ids[b];
    cs->lg[b] = tl;
    cs->ids[b] = ti;
}

/* top-k pairs, ordered by logit and then by lower id (ties). */
struct pair {
    float lg;
    uint32_t id;
};

static int pair_better(const struct pair *a, const struct pair *b)
{
    return a->lg > b->lg || (a->lg == b->lg && a->id < b->id);
}

/* Min-heap (the worst kept pair at the root) sift-down. */
static void heap_down(struct pair *h, size_t k, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        struct pair t;
        if (l < k && pair_better(&h[m], &h[l])) m = l;
        if (r < k && pair_better(&h[m], &h[r])) m = r;
        if (m == i) return;
        t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* One pass with a size-k min-heap: O(n log k), but almost every candidate
 * is rejected by one comparison with the root, so for k much smaller than
 * n it beats a partition-based selection that moves every element. */
static void select_top_k_heap(hm_candset *cs, size_t k)
{
    struct pair *h = (struct pair *)(void *)cs->cdf; /* cap doubles = cap pairs */
    size_t i;
    for (i = 0; i < k; i++) {
        h[i].lg = cs->lg[i];
        h[i].id = hm_candset_id(cs, i);
    }
    for (i = k / 2; i-- > 0;) heap_down(h, k, i);
    for (i = k; i < cs->n; i++) {
        struct pair c;
        if (cs->lg[i] < h[0].lg) continue;
        c.lg = cs->lg[i];
        c.id = hm_candset_id(cs, i);
        if (!pair_better(&c, &h[0])) continue;
        h[0] = c;
        heap_down(h, k, 0);
    }
    for (i = 0; i < k; i++) {
        cs->ids_buf[i] = h[i].id;
        cs->lg[i] = h[i].lg;
    }
    cs->ids = cs->ids_buf;
    cs->n = k;
}

/* Quickselect with a three-way partition: moves the k largest lg to the
 * front (in no particular order).  O(n) expected. */
static void select_top_k(hm_candset *cs, size_t k)
{
    size_t lo = 0, hi = cs->n, i;
    if (k <= 1024 && k * 16 <= cs->n) {
        select_top_k_heap(cs, k);
        return;
    }
    if (!cs->ids) {
        for (i = 0; i < cs->n; i++) cs->ids_buf[i] = (uint32_t)i;
        cs->ids = cs->ids_buf;
    }
    while (hi - lo > 1) {
        float pivot = cs->lg[lo + (hi - lo) / 2];
        size_t lt = lo, gt = hi;
        i = lo;
        /* [lo,lt) > pivot, [lt,i) == pivot, [gt,hi) < pivot */
        while (i < gt) {
            if (cs->lg[i] > pivot)
                swap_cand(cs, lt++, i++);
            else if (cs->lg[i] < pivot)
                swap_cand(cs, i, --gt);
            else
                i++;
        }
        if (k <= lt)
            hi = lt;
        else if (k <= gt)
            break;
        else
            lo = gt;
    }
    cs->n = k;
}

/* top-p sorts (logit, id) pairs by logit descending, ties by id. */

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->lg > y->lg) return -1;
    if (x->lg < y->lg) return 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void apply_top_p(hm_candset *cs, float top_p)
{
    /* The cdf array (doubles) doubles as pair storage: 8 bytes per entry. */
    struct pair *pairs = (struct pair *)(void *)cs->cdf;
    size_t i, keep;
    double sum = 0, acc = 0;
    for (i = 0; i < cs->n; i++) {
        pairs[i].lg = cs->lg[i];
        pairs[i].id = hm_candset_id(cs, i);
    }
    qsort(pairs, cs->n, sizeof *pairs, pair_cmp);
    for (i = 0; i < cs->n; i++) sum += exp((double)(pairs[i].lg - pairs[0].lg));
    keep = cs->n;
    for (i = 0; i < cs->n; i++) {
        acc += exp((double)(pairs[i].lg - pairs[0].lg)) / sum;
        if (acc >= (double)top_p) {
            keep = i + 1;
            break;
        }
    }
    for (i = 0; i < keep; i++) {
        cs->ids_buf[i] = pairs[i].id;
        cs->lg[i] = pairs[i].lg;
    }
    cs->ids = cs->ids_buf;
    cs->n = keep;
}

void hm_candset_top_k(hm_candset *cs, size_t k)
{
    if (k > 0 && k < cs->n) {
        select_top_k(cs, k);
        find_max(cs);
        cs->have_p = cs->have_cdf = 0;
    }
}

static int finish(hm_candset *cs, const hm_sampling *sp)
{
    cs->have_p = cs->have_cdf = 0;
    find_max(cs);
    if (cs->lg_max == -INFINITY) return HM_E_RANGE;
    if (cs->greedy) return HM_OK;
    if (sp->top_k > 0 && (size_t)sp->top_k < cs->n) {
        select_top_k(cs, (size_t)sp->top_k);
        find_max(cs);
    }
    if (sp->top_p < 1) {
        apply_top_p(cs, sp->top_p);
        find_max(cs);
    }
    if (sp->min_p > 0) {
        compact_threshold(cs, cs->lg_max + logf(sp->min_p));
        find_max(cs);
    }
    return HM_OK;
}

/* What both constructors share: checks the parameters and records the
 * caller's input and the temperature.  Returns HM_OK or the error. */
static int begin(hm_candset *cs, const hm_sampling *sp, size_t n, const float *raw,
                 const hm_cand *raw_sparse)
{
    int s = check_params(sp);
    if (s != HM_OK) return s;
    cs->ids = raw_sparse ? cs->ids_buf : NULL;
    cs->n = n;
    cs->raw = raw;
    cs->raw_sparse = raw_sparse;
    cs->raw_n = n;
    cs->temperature = sp->temperature;
    cs->greedy = sp->temperature == 0;
    cs->inv_temp = cs->greedy ? 1.0f : 1.0f / sp->temperature;
    return HM_OK;
}

int hm_candset_from_dense(hm_candset *cs, const float *logits, size_t vocab,
                          const hm_sampling *params)
{
    hm_sampling def = hm_sampling_default();
    const hm_sampling *sp = params ? params : &def;
    size_t i;
    int s;
    if (!logits || vocab == 0 || vocab > cs->cap) return HM_E_MISUSE;
    s = begin(cs, sp, vocab, logits, NULL);
    if (s != HM_OK) return s;
    for (i = 0; i < vocab; i++) {
        float v = logits[i];
        cs->lg[i] = v == v ? v * cs->inv_temp : -INFINITY;
    }
    return finish(cs, sp);
}

int hm_candset_from_sparse(hm_candset *cs, const hm_cand *cands, size_t n,
                           const hm_sampling *params)
{
    hm_sampling def = hm_sampling_default();
    const hm_sampling *sp = params ? params : &def;
    size_t i;
    int s;
    if (!cands || n == 0 || n > cs->cap) return HM_E_MISUSE;
    s = begin(cs, sp, n, NULL, cands);
    if (s != HM_OK) return s;
    for (i = 0; i < n; i++) {
        float v = cands[i].logit;
        if (cands[i].id < 0) return HM_E_RANGE;
        cs->ids_buf[i] = (uint32_t)cands[i].id;
        cs->lg[i] = v == v ? v * cs->inv_temp : -INFINITY;
    }
    return finish(cs, sp);
}

void hm_candset_probs(hm_candset *cs)
{
    size_t i;
    float m = cs->lg_max, inv;
    double sum = 0;
    if (cs->have_p) return;
    for (i = 0; i < cs->n; i++) {
        float e = expf(cs->lg[i] - m);
        cs->p[i] = e;
        sum += (double)e;
    }
    inv = (float)(1.0 / sum);
    for (i = 0; i < cs->n; i++) cs->p[i] *= inv;
    cs->have_p = 1;
}

void hm_candset_cdf(hm_candset *cs)
{
    size_t i;
    double acc = 0;
    if (cs->have_cdf) return;
    hm_candset_probs(cs);
    for (i = 0; i < cs->n; i++) {
        acc += (double)cs->p[i];
        cs->cdf[i] = acc;
    }
    cs->have_cdf = 1;
}

size_t hm_candset_draw_linear(hm_candset *cs, hm_rng *rng)
{
    size_t i, last = cs->argmax;
    double u, acc = 0;
    hm_candset_probs(cs);
    u = hm_rng_unit(rng);
    for (i = 0; i < cs->n; i++) {
        if (cs->p[i] > 0) last = i;
        acc += (double)cs->p[i];
        if (acc > u) return i;
    }
    return last; /* rounding: the total fell just short of u */
}

size_t hm_candset_draw_cdf(hm_candset *cs, hm_rng *rng)
{
    size_t lo = 0, hi;
    double u;
    hm_candset_cdf(cs);
    u = hm_rng_unit(rng) * cs->cdf[cs->n - 1];
    hi = cs->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cs->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint32_t hm_candset_sample_plain(hm_candset *cs, hm_rng *rng)
{
    if (cs->greedy) return hm_candset_id(cs, cs->argmax);
    return hm_candset_id(cs, hm_candset_draw_linear(cs, rng));
}
