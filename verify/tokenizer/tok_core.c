/*
 * tok_core.c - the tokenizer's hot path: byte-string and pair hash maps,
 * UTF-8 run detection, byte-pair merging (array scan for short pieces, a
 * lazily invalidated min-heap for long ones), the encode driver with
 * special-token matching and offset mapping, decoding, and accessors.
 */
#include "tok_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hallmark/error.h"

/* ---- hashing and maps ------------------------------------------------- */

static uint64_t load_le(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    size_t i;
    for (i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
    return w;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A fast non-cryptographic hash for table lookups (the keys are a fixed
 * vocabulary; probe sequences stay short at load factor <= 1/2). */
uint64_t tok_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        h = (h ^ load_le(p, 8)) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) h = (h ^ load_le(p, n)) * 0x9E3779B97F4A7C15ULL;
    return mix64(h);
}

/* Large tables: anonymous memory in transparent huge pages where the
 * system offers them (one fault per 2 MiB instead of one per 4 KiB, which
 * dominated loading), plain calloc otherwise and under AddressSanitizer. */
#if defined(__SANITIZE_ADDRESS__)
#define TOK_BIG_MMAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOK_BIG_MMAP 0
#endif
#endif
#ifndef TOK_BIG_MMAP
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
#define TOK_BIG_MMAP 1
#else
#define TOK_BIG_MMAP 0
#endif
#endif
#define TOK_BIG_MIN (1u << 20)
#define TOK_HUGE (2u << 20)

#if TOK_BIG_MMAP
static size_t big_len(size_t n)
{
    return (n + TOK_HUGE - 1) / TOK_HUGE * TOK_HUGE;
}
#endif

void *tok_big_alloc(size_t n)
{
#if TOK_BIG_MMAP
    if (n >= TOK_BIG_MIN) {
        size_t len = big_len(n);
        uintptr_t a, al;
        unsigned char *m = mmap(NULL, len + TOK_HUGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return NULL;
        a = (uintptr_t)m;
        al = (a + TOK_HUGE - 1) & ~(uintptr_t)(TOK_HUGE - 1);
        if (al > a) munmap(m, (size_t)(al - a));
        munmap((unsigned char *)al + len, TOK_HUGE - (size_t)(al - a));
        (void)madvise((void *)al, len, MADV_HUGEPAGE);
        return (void *)al;
    }
#endif
    return calloc(n ? n : 1, 1);
}

void tok_big_free(void *p, size_t n)
{
    if (!p) return;
#if TOK_BIG_MMAP
    if (n >= TOK_BIG_MIN) {
        munmap(p, big_len(n));
        return;
    }
#endif
    (void)n;
    free(p);
}

int tok_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *nb;
    if (need <= *cap) return HM_OK;
    ncap = *cap ? *cap : 64;
    while (ncap < need) ncap *= 2;
    if (ncap > SIZE_MAX / elem) return HM_E_NOMEM;
    nb = realloc(*buf, ncap * elem);
    if (!nb) return HM_E_NOMEM;
    *buf = nb;
    *cap = ncap;
    return HM_OK;
}

int tok_strmap_init(struct tok_strmap *m, uint32_t expect)
{
    uint64_t sz = 16;
    memset(m, 0, sizeof *m);
    while (sz < (uint64_t)expect * 2 + 2) sz *= 2;
    m->slots = tok_big_alloc((size_t)sz * sizeof *m->slots);
    if (!m->slots) return HM_E_NOMEM;
    m->mask = sz - 1;
    m->cap = expect + 1;
    return HM_OK;
}

void tok_strmap_free(struct tok_strmap *m)
{
    if (m->slots) tok_big_free(m->slots, (size_t)(m->mask + 1) * sizeof *m->slots);
    free(m->blob);
    memset(m, 0, sizeof *m);
}

static inline uint64_t key8(const unsigned char *k, size_t n)
{
    uint64_t w = 0;
    if (n >= 8) {
        memcpy(&w, k, 8);
        return w; /* little-endian hosts; see load_le for the portable form */
    }
    return load_le(k, n);
}

static inline uint64_t strmap_hash(const unsigned char *k, size_t n, uint64_t k8)
{
    if (n <= 8) return mix64(k8 ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL));
    return tok_hash(k, n);
}

static struct tok_slot *strmap_find(const struct tok_strmap *m, const unsigned char *k, size_t n,
                                    uint64_t k8, uint64_t h)
{
    uint64_t i = h & m->mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        struct tok_slot *s = &m->slots[i];
        if (s->len == 0) return s;
        if (s->len == n && s->k8 == k8 &&
            (n <= 8 || (s->tag == tag && memcmp(m->blob + s->off, k + 8, n - 8) == 0)))
            return s;
        i = (i + 1) & m->mask;
    }
}

/* Inserts, or overwrites and returns TOK_EXISTS; the map must have been
 * sized for all keys. */
int tok_strmap_put(struct tok_strmap *m, const unsigned char *k, size_t n, uint32_t v)
{
    if (n == 0) return HM_E_FORMAT;
    return tok_strmap_put_h(m, k, n, v, strmap_hash(k, n, key8(k, n)));
}

/* tok_strmap_put with h = tok_strmap_hash(k, n). */
int tok_strmap_put_h(struct tok_strmap *m, const unsigned char *k, size_t n, uint32_t v,
                     uint64_t h)
{
    uint64_t k8;
    struct tok_slot *slot;
    if (n == 0) return HM_E_FORMAT;
    if (n > UINT32_MAX / 2) return HM_E_LIMIT;
    k8 = key8(k, n);
    slot = strmap_find(m, k, n, k8, h);
    if (slot->len) {
        slot->val = v;
        return TOK_EXISTS;
    }
    if (m->n + 1 >= m->cap) return HM_E_INTERNAL;
    if (n > 8) {
        if (tok_grow((void **)&m->blob, &m->blob_cap, m->blob_len + n, 1)) return HM_E_NOMEM;
        if (m->blob_len + n > UINT32_MAX) return HM_E_LIMIT;
        memcpy(m->blob + m->blob_len, k + 8, n - 8);
        slot->off = (uint32_t)m->blob_len;
        m->blob_len += n - 8;
    }
    slot->k8 = k8;
    slot->len = (uint32_t)n;
    slot->val = v;
    slot->tag = (uint32_t)(h >> 32);
    m->n++;
    return HM_OK;
}

uint32_t tok_strmap_get(const struct tok_strmap *m, const unsigned char *k, size_t n)
{
    uint64_t k8;
    struct tok_slot *slot;
    if (!m->slots || n == 0) return TOK_NONE;
    k8 = key8(k, n);
    slot = strmap_find(m, k, n, k8, strmap_hash(k, n, k8));
    return slot->len ? slot->val : TOK_NONE;
}

/* Loading: the hash of a key, a prefetch of its first slot, and a lookup
 * with the hash already known (batches of lookups overlap their misses). */
uint64_t tok_strmap_hash(const unsigned char *k, size_t n)
{
    return strmap_hash(k, n, key8(k, n));
}

void tok_strmap_prefetch(const struct tok_strmap *m, uint64_t h)
{
#if defined(__GNUC__) || defined(__clang__)
    if (m->slots) __builtin_prefetch(&m->slots[h & m->mask]);
#else
    (void)m;
    (void)h;
#endif
}

uint32_t tok_strmap_get_h(const struct tok_strmap *m, const unsigned char *k, size_t n,
                          uint64_t h)
{
    struct tok_slot *slot;
    if (!m->slots || n == 0) return TOK_NONE;
    slot = strmap_find(m, k, n, key8(k, n), h);
    return slot->len ? slot->val : TOK_NONE;
}

void tok_pairmap_prefetch(const struct tok_pairmap *m, uint32_t a, uint32_t b)
{
#if defined(__GNUC__) || defined(__clang__)
    uint64_t i = mix64(((uint64_t)a << 32) | b) & m->mask;
    __builtin_prefetch(&m->keys[i], 1);
    __builtin_prefetch(&m->rank[i], 1);
    __builtin_prefetch(&m->id[i], 1);
#else
    (void)m;
    (void)a;
    (void)b;
#endif
}

int tok_pairmap_init(struct tok_pairmap *m, uint32_t expect)
{
    uint64_t sz = 16;
    memset(m, 0, sizeof *m);
    while (sz < (uint64_t)expect * 2 + 2) sz *= 2;
    m->mask = sz - 1;
    m->keys = tok_big_alloc((size_t)sz * sizeof *m->keys);
    m->rank = tok_big_alloc((size_t)sz * sizeof *m->rank);
    m->id = tok_big_alloc((size_t)sz * sizeof *m->id);
    if (!m->keys || !m->rank || !m->id) {
        tok_pairmap_free(m);
        return HM_E_NOMEM;
    }
    memset(m->keys, 0xff, (size_t)sz * sizeof *m->keys);
    return HM_OK;
}

void tok_pairmap_free(struct tok_pairmap *m)
{
    size_t sz = (size_t)m->mask + 1;
    tok_big_free(m->keys, sz * sizeof *m->keys);
    tok_big_free(m->rank, sz * sizeof *m->rank);
    tok_big_free(m->id, sz * sizeof *m->id);
    memset(m, 0, sizeof *m);
}

/* Keeps the first (lowest-rank) entry for a pair, as Hugging Face does. */
void tok_pairmap_put(struct tok_pairmap *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t id)
{
    uint64_t key = ((uint64_t)a << 32) | b;
    uint64_t i = mix64(key) & m->mask;
    while (m->keys[i] != UINT64_MAX) {
        if (m->keys[i] == key) return;
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->rank[i] = rank;
    m->id[i] = id;
    m->n++;
}

int tok_pairmap_get(const struct tok_pairmap *m, uint32_t a, uint32_t b, uint32_t *rank,
                    uint32_t *id)
{
    uint64_t key = ((uint64_t)a << 32) | b;
    uint64_t i;
    if (!m->keys || a == TOK_NONE || b == TOK_NONE) return 0;
    i = mix64(key) & m->mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key) {
            *rank = m->rank[i];
            *id = m->id[i];
            return 1;
        }
        if (k == UINT64_MAX) return 0;
        i = (i + 1) & m->mask;
    }
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the valid UTF-8 character at p (RFC 3629), or 0. */
static size_t utf8_char(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

size_t tok_utf8_valid_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k;
        if (p[i] < 0x80) {
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & 0x8080808080808080ULL) break;
                i += 8;
            }
            while (i < n && p[i] < 0x80) i++;
            continue;
        }
        k = utf8_char(p + i, n - i);
        if (!k) break;
        i += k;
    }
    return i;
}

size_t tok_utf8_invalid_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && utf8_char(p + i, n - i) == 0) i++;
    return i;
}

/* ---- scratch and output ------------------------------------------------ */

int hm_tok_scratch_new(hm_tok_scratch **out)
{
    hm_tok_scratch *s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s) return HM_E_NOMEM;
    *out = s;
    return HM_OK;
}

void hm_tok_scratch_free(hm_tok_scratch *s)
{
    int i;
    if (!s) return;
    if (s->md) pcre2_match_data_free(s->md);
    if (s->mctx) pcre2_match_context_free(s->mctx);
    if (s->js) pcre2_jit_stack_free(s->js);
    free(s->syms);
    free(s->heap);
    free(s->ranks);
    for (i = 0; i < 2; i++) {
        free(s->nb[i]);
        free(s->ms[i]);
        free(s->me[i]);
    }
    free(s->u32);
    free(s->tmp);
    free(s->cache);
    free(s);
}

int tok_scratch_match_ready(hm_tok_scratch *s)
{
    if (s->md) return HM_OK;
    s->md = pcre2_match_data_create(1, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->js = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
    if (!s->md || !s->mctx || !s->js) return HM_E_NOMEM;
    pcre2_jit_stack_assign(s->mctx, NULL, s->js);
    return HM_OK;
}

void hm_tok_output_init(hm_tok_output *out)
{
    if (out) memset(out, 0, sizeof *out);
}

void hm_tok_output_clear(hm_tok_output *out)
{
    if (!out) return;
    free(out->ids);
    free(out->offsets);
    memset(out, 0, sizeof *out);
}

/* ---- byte-pair merging -------------------------------------------------- */

struct enc_ctx {
    const hm_tokenizer *t;
    hm_tok_scratch *s;
    hm_tok_output *out;
    unsigned flags;
    const unsigned char *buf; /* the (normalized) segment */
    const uint32_t *ms, *me;  /* maps to original offsets, or NULL */
    uint64_t base;            /* original offset of buf[0] when ms == NULL */
    size_t run_off;           /* offset of the current run within buf */
};

static int out_reserve(hm_tok_output *out, size_t extra, int offsets)
{
    size_t need = out->len + extra, ncap;
    if (need <= out->cap && (!offsets || out->offsets)) return HM_OK;
    ncap = out->cap ? out->cap : 256;
    while (ncap < need) ncap *= 2;
    if (ncap != out->cap || !out->ids) {
        uint32_t *ni = realloc(out->ids, ncap * sizeof *ni);
        if (!ni) return HM_E_NOMEM;
        out->ids = ni;
    }
    if (offsets || out->offsets) {
        hm_tok_span *no = realloc(out->offsets, ncap * sizeof *no);
        if (!no) return HM_E_NOMEM;
        out->offsets = no;
    }
    out->cap = ncap;
    return HM_OK;
}

/* Appends one token covering buf[a..b) (reserve first). */
static void push_tok(struct enc_ctx *c, uint32_t id, size_t a, size_t b)
{
    hm_tok_output *o = c->out;
    if (c->flags & HM_TOK_OFFSETS) {
        hm_tok_span *sp = &o->offsets[o->len];
        if (c->ms) {
            sp->start = c->ms[a];
            sp->end = b > a ? c->me[b - 1] : c->ms[a];
        } else {
            sp->start = c->base + a;
            sp->end = c->base + b;
        }
    }
    o->ids[o->len++] = id;
}

/* The rank and merged id of the adjacent symbols l, r (TOK_NONE: no merge). */
static inline uint32_t pair_rank(const hm_tokenizer *t, const unsigned char *p,
                                 const struct tok_sym *l, const struct tok_sym *r,
                                 uint32_t *id)
{
    uint32_t rank;
    if (t->kind == TOK_TIKTOKEN) {
        rank = tok_strmap_get(&t->enc, p + l->start, r->end - l->start);
        *id = rank;
        return rank;
    }
    if (tok_pairmap_get(&t->pairs, l->id, r->id, &rank, id)) return rank;
    return TOK_NONE;
}


/* tiktoken's scan: repeatedly merge the lowest-ranked adjacent pair
 * (leftmost on ties).  O(m^2) but fastest for short pieces. */
static void merge_small(const hm_tokenizer *t, hm_tok_scratch *s, const unsigned char *p,
                        size_t m, size_t *out_m)
{
    struct tok_sym *sy = s->syms;
    uint32_t *rk = s->ranks, *nid = s->ranks + s->ranks_cap / 2;
    size_t i;
    for (i = 0; i + 1 < m; i++) rk[i] = pair_rank(t, p, &sy[i], &sy[i + 1], &nid[i]);
    while (m > 1) {
        uint32_t best = TOK_NONE;
        size_t bi = 0;
        for (i = 0; i + 1 < m; i++)
            if (rk[i] < best) {
                best = rk[i];
                bi = i;
            }
        if (best == TOK_NONE) break;
        sy[bi].end = sy[bi + 1].end;
        sy[bi].id = nid[bi];
        memmove(&sy[bi + 1], &sy[bi + 2], (m - bi - 2) * sizeof *sy);
        if (bi + 2 < m) {
            memmove(&rk[bi + 1], &rk[bi + 2], (m - bi - 2) * sizeof *rk);
            memmove(&nid[bi + 1], &nid[bi + 2], (m - bi - 2) * sizeof *nid);
        }
        m--;
        if (bi > 0) rk[bi - 1] = pair_rank(t, p, &sy[bi - 1], &sy[bi], &nid[bi - 1]);
        if (bi + 1 < m) rk[bi] = pair_rank(t, p, &sy[bi], &sy[bi + 1], &nid[bi]);
    }
    *out_m = m;
}

static int heap_less(const struct tok_heap_ent *a, const struct tok_heap_ent *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(struct tok_heap_ent *h, size_t *n, struct tok_heap_ent e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t par = (i - 1) / 2;
        if (!heap_less(&e, &h[par])) break;
        h[i] = h[par];
        i = par;
    }
    h[i] = e;
}

static struct tok_heap_ent heap_pop(struct tok_heap_ent *h, size_t *n)
{
    struct tok_heap_ent top = h[0], last = h[--(*n)];
    size_t i = 0, sz = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= sz) break;
        if (c + 1 < sz && heap_less(&h[c + 1], &h[c])) c++;
        if (!heap_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (sz) h[i] = last;
    return top;
}

#define DEAD UINT32_MAX

/* The same merge order with a lazily invalidated min-heap: O(m log m). */
static void merge_heap(const hm_tokenizer *t, hm_tok_scratch *s, const unsigned char *p, size_t m)
{
    struct tok_sym *sy = s->syms;
    struct tok_heap_ent *h = s->heap, e;
    size_t hn = 0, i;
    for (i = 0; i < m; i++) {
        sy[i].prev = (int32_t)i - 1;
        sy[i].next = i + 1 < m ? (int32_t)(i + 1) : -1;
        sy[i].ver = 0;
    }
    for (i = 0; i + 1 < m; i++) {
        e.rank = pair_rank(t, p, &sy[i], &sy[i + 1], &e.id);
        if (e.rank == TOK_NONE) continue;
        e.left = (uint32_t)i;
        e.vl = 0;
        e.vr = 0;
        heap_push(h, &hn, e);
    }
    while (hn) {
        uint32_t l, r;
        int32_t nx, pv;
        e = heap_pop(h, &hn);
        l = e.left;
        if (sy[l].ver != e.vl || sy[l].next < 0) continue;
        r = (uint32_t)sy[l].next;
        if (sy[r].ver != e.vr) continue;
        sy[l].end = sy[r].end;
        sy[l].id = e.id;
        sy[l].ver++;
        sy[r].ver = DEAD;
        nx = sy[r].next;
        sy[l].next = nx;
        if (nx >= 0) sy[nx].prev = (int32_t)l;
        pv = sy[l].prev;
        if (pv >= 0) {
            struct tok_heap_ent f;
            f.rank = pair_rank(t, p, &sy[pv], &sy[l], &f.id);
            if (f.rank != TOK_NONE) {
                f.left = (uint32_t)pv;
                f.vl = sy[pv].ver;
                f.vr = sy[l].ver;
                heap_push(h, &hn, f);
            }
        }
        if (nx >= 0) {
            struct tok_heap_ent f;
            f.rank = pair_rank(t, p, &sy[l], &sy[nx], &f.id);
            if (f.rank != TOK_NONE) {
                f.left = l;
                f.vl = sy[l].ver;
                f.vr = sy[nx].ver;
                heap_push(h, &hn, f);
            }
        }
    }
}


static size_t utf8_len_lead(unsigned char c)
{
    if (c < 0x80) return 1;
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    return 4;
}

/* Encodes the piece buf[a..b) (relative to c->buf), `raw` = an invalid run. */
static int encode_piece(struct enc_ctx *c, size_t a, size_t b, int raw)
{
    const hm_tokenizer *t = c->t;
    hm_tok_scratch *s = c->s;
    const unsigned char *p = c->buf + a;
    size_t n = b - a, m = 0, i;
    struct tok_cache_ent *ce = NULL;
    uint64_t ch = 0;
    int rc;
    if (n == 0) return HM_OK;
    rc = out_reserve(c->out, n, (c->flags & HM_TOK_OFFSETS) != 0);
    if (rc) return rc;
    if (t->kind == TOK_TIKTOKEN) {
        uint32_t id;
        if (n == 1) {
            push_tok(c, t->byte_id[p[0]], a, b);
            return HM_OK;
        }
        id = tok_strmap_get(&t->enc, p, n);
        if (id != TOK_NONE) {
            push_tok(c, id, a, b);
            return HM_OK;
        }
    }
    if (!raw && n <= TOK_CACHE_KEY && t->kind != TOK_HF_SPM) {
        if (!s->cache) {
            s->cache = calloc(TOK_CACHE_N, sizeof *s->cache);
            if (!s->cache) return HM_E_NOMEM;
        }
        ch = tok_hash(p, n);
        ce = &s->cache[ch & (TOK_CACHE_N - 1)];
        if (ce->tok == t->cache_id && ce->h == ch && ce->len == n && memcmp(ce->key, p, n) == 0) {
            size_t prev = 0;
            for (i = 0; i < ce->n; i++) {
                push_tok(c, ce->ids[i], a + prev, a + ce->ends[i]);
                prev = ce->ends[i];
            }
            return HM_OK;
        }
    }
    if (tok_grow((void **)&s->syms, &s->syms_cap, n, sizeof *s->syms)) return HM_E_NOMEM;
    if (t->kind == TOK_HF_SPM && !raw) {
        i = 0;
        while (i < n) {
            size_t k = utf8_len_lead(p[i]), j;
            uint32_t id;
            if (k > n - i) k = n - i;
            id = tok_strmap_get(&t->enc, p + i, k);
            if (id != TOK_NONE) {
                s->syms[m].start = (uint32_t)i;
                s->syms[m].end = (uint32_t)(i + k);
                s->syms[m++].id = id;
            } else if (t->byte_fallback) {
                for (j = 0; j < k; j++) {
                    s->syms[m].start = (uint32_t)(i + j);
                    s->syms[m].end = (uint32_t)(i + j + 1);
                    s->syms[m++].id = t->byte_id[p[i + j]];
                }
            } else if (t->fuse_unk && m > 0 && s->syms[m - 1].id == t->unk_id) {
                s->syms[m - 1].end = (uint32_t)(i + k);
            } else {
                s->syms[m].start = (uint32_t)i;
                s->syms[m].end = (uint32_t)(i + k);
                s->syms[m++].id = t->unk_id;
            }
            i += k;
        }
    } else {
        for (i = 0; i < n; i++) {
            s->syms[i].start = (uint32_t)i;
            s->syms[i].end = (uint32_t)(i + 1);
            s->syms[i].id = t->byte_id[p[i]];
        }
        m = n;
    }
    if (t->kind == TOK_HF_SPM && raw) {
        /* invalid bytes: byte-fallback tokens only */
        for (i = 0; i < m; i++) {
            uint32_t id = s->syms[i].id;
            if (id == TOK_NONE) id = t->unk_id;
            if (id != TOK_NONE) push_tok(c, id, a + s->syms[i].start, a + s->syms[i].end);
        }
        return HM_OK;
    }
    if (m <= t->small_piece) {
        if (tok_grow((void **)&s->ranks, &s->ranks_cap, 2 * m + 2, sizeof *s->ranks))
            return HM_E_NOMEM;
        if (s->ranks_cap % 2) s->ranks_cap--;
        merge_small(t, s, p, m, &m);
        for (i = 0; i < m; i++)
            if (s->syms[i].id != TOK_NONE)
                push_tok(c, s->syms[i].id, a + s->syms[i].start, a + s->syms[i].end);
        if (ce && m <= TOK_CACHE_IDS) {
            /* remember the result (every symbol has an id here) */
            for (i = 0; i < m; i++) {
                if (s->syms[i].id == TOK_NONE) break;
                ce->ids[i] = s->syms[i].id;
                ce->ends[i] = (uint8_t)s->syms[i].end;
            }
            if (i == m) {
                ce->tok = t->cache_id;
                ce->h = ch;
                ce->len = (uint8_t)n;
                ce->n = (uint8_t)m;
                memcpy(ce->key, p, n);
            }
        }
    } else {
        int32_t k;
        if (tok_grow((void **)&s->heap, &s->heap_cap, 2 * m + 2, sizeof *s->heap))
            return HM_E_NOMEM;
        merge_heap(t, s, p, m);
        for (k = 0; k >= 0; k = s->syms[k].next)
            if (s->syms[k].id != TOK_NONE)
                push_tok(c, s->syms[k].id, a + s->syms[k].start, a + s->syms[k].end);
    }
    return HM_OK;
}

static int piece_cb(void *ctx, size_t start, size_t end)
{
    struct enc_ctx *c = ctx;
    return encode_piece(c, c->run_off + start, c->run_off + end, 0);
}

/* Encodes one text segment (no special tokens inside) at original offset
 * `base`. */
static int encode_segment(struct enc_ctx *c, const unsigned char *p, size_t n, uint64_t base)
{
    const hm_tokenizer *t = c->t;
    size_t i = 0, len = n;
    int rc;
    if (n == 0) return HM_OK;
    if (t->n_norms) {
        int which = 0;
        rc = tok_normalize(t, c->s, p, n, (uint32_t)base, &which, &len);
        if (rc) return rc;
        c->buf = c->s->nb[which];
        c->ms = c->s->ms[which];
        c->me = c->s->me[which];
    } else {
        c->buf = p;
        c->ms = c->me = NULL;
        c->base = base;
    }
    while (i < len) {
        size_t v = tok_utf8_valid_prefix(c->buf + i, len - i);
        if (v) {
            c->run_off = i;
            rc = tok_split(t, c->s, c->buf + i, v, piece_cb, c);
            if (rc) return rc;
            i += v;
        }
        if (i < len) {
            size_t k = tok_utf8_invalid_run(c->buf + i, len - i);
            rc = encode_piece(c, i, i + k, 1);
            if (rc) return rc;
            i += k;
        }
    }
    return HM_OK;
}

/* Longest special token starting at p (leftmost-longest), or NULL. */
static const struct tok_special *match_special(const hm_tokenizer *t, const unsigned char *p,
                                               size_t n, int all)
{
    const struct tok_special *best = NULL;
    size_t i;
    for (i = 0; i < t->n_specials; i++) {
        const struct tok_special *sp = &t->specials[i];
        if (!all && sp->special) continue;
        if (sp->len <= n && sp->s[0] == p[0] && memcmp(sp->s, p, sp->len) == 0 &&
            (!best || sp->len > best->len))
            best = sp;
    }
    return best;
}

int hm_tokenizer_encode(const hm_tokenizer *tok, hm_tok_scratch *scratch, const void *text,
                        size_t len, unsigned flags, hm_tok_output *out)
{
    struct enc_ctx c;
    hm_tok_scratch *own = NULL;
    const unsigned char *p = text;
    size_t i = 0, seg = 0, len0;
    int rc = HM_OK, all, any;
    if (!tok || !out || (!text && len)) return HM_E_MISUSE;
    /* positions are 32-bit; normalizers may triple the text ("▁" for " ") */
    if (len > UINT32_MAX - 16 || (tok->n_norms && len > (1u << 30))) return HM_E_LIMIT;
    if (!scratch) {
        rc = hm_tok_scratch_new(&own);
        if (rc) return rc;
        scratch = own;
    }
    len0 = out->len;
    memset(&c, 0, sizeof c);
    c.t = tok;
    c.s = scratch;
    c.out = out;
    c.flags = flags;
    if ((flags & HM_TOK_OFFSETS) && !out->offsets) {
        rc = out_reserve(out, 1, 1);
        if (rc) goto done;
    }
    all = (flags & HM_TOK_SPECIAL) != 0;
    any = 0;
    for (i = 0; i < tok->n_specials; i++)
        if (all || !tok->specials[i].special) any = 1;
    i = 0;
    if (any) {
        while (i < len) {
            const struct tok_special *sp;
            if (!tok->special_first[p[i]]) {
                i++;
                continue;
            }
            sp = match_special(tok, p + i, len - i, all);
            if (!sp) {
                i++;
                continue;
            }
            rc = encode_segment(&c, p + seg, i - seg, seg);
            if (rc) goto done;
            rc = out_reserve(out, 1, (flags & HM_TOK_OFFSETS) != 0);
            if (rc) goto done;
            if (flags & HM_TOK_OFFSETS) {
                out->offsets[out->len].start = i;
                out->offsets[out->len].end = i + sp->len;
            }
            out->ids[out->len++] = sp->id;
            i += sp->len;
            seg = i;
        }
    }
    rc = encode_segment(&c, p + seg, len - seg, seg);
done:
    if (rc) out->len = len0;
    hm_tok_scratch_free(own);
    return rc;
}

/* ---- decoding and accessors ------------------------------------------- */

int hm_tokenizer_token_bytes(const hm_tokenizer *tok, uint32_t id, const unsigned char **bytes,
                             size_t *len)
{
    if (!tok || !bytes || !len) return HM_E_MISUSE;
    if (id >= tok->vocab_size || !tok->present[id]) return HM_E_NOTFOUND;
    *bytes = tok->dec_blob + tok->dec_off[id];
    *len = (size_t)(tok->dec_off[id + 1] - tok->dec_off[id]);
    return HM_OK;
}

int hm_tokenizer_decode(const hm_tokenizer *tok, const uint32_t *ids, size_t n,
                        unsigned char *buf, size_t cap, size_t *out_len)
{
    size_t i, total = 0, skip = 0, w = 0;
    if (!tok || !out_len || (!ids && n) || (!buf && cap)) return HM_E_MISUSE;
    *out_len = 0;
    for (i = 0; i < n; i++) {
        if (ids[i] >= tok->vocab_size || !tok->present[ids[i]]) return HM_E_NOTFOUND;
        total += (size_t)(tok->dec_off[ids[i] + 1] - tok->dec_off[ids[i]]);
    }
    if (tok->strip_leading_space && n > 0) {
        for (i = 0; i < n; i++) {
            const unsigned char *b = tok->dec_blob + tok->dec_off[ids[i]];
            if (tok->dec_off[ids[i] + 1] == tok->dec_off[ids[i]]) continue;
            if (b[0] == ' ') skip = 1;
            break;
        }
    }
    total -= skip;
    *out_len = total;
    if (total > cap) return HM_E_RANGE;
    for (i = 0; i < n; i++) {
        const unsigned char *b = tok->dec_blob + tok->dec_off[ids[i]];
        size_t k = (size_t)(tok->dec_off[ids[i] + 1] - tok->dec_off[ids[i]]);
        if (skip && k) {
            b++;
            k--;
            skip = 0;
        }
        if (k) memcpy(buf + w, b, k);
        w += k;
    }
    return HM_OK;
}

uint32_t hm_tokenizer_vocab_size(const hm_tokenizer *tok)
{
    return tok ? tok->vocab_size : 0;
}

int hm_tokenizer_special_id(const hm_tokenizer *tok, const char *name, uint32_t *id)
{
    size_t i, n;
    if (!tok || !name || !id) return HM_E_MISUSE;
    n = strlen(name);
    for (i = 0; i < tok->n_specials; i++)
        if (tok->specials[i].len == n && memcmp(tok->specials[i].s, name, n) == 0) {
            *id = tok->specials[i].id;
            return HM_OK;
        }
    return HM_E_NOTFOUND;
}

const char *hm_tokenizer_name(const hm_tokenizer *tok)
{
    return tok ? tok->name : "";
}

int hm_tokenizer_sha256(const hm_tokenizer *tok, unsigned char out[32])
{
    if (!tok || !out) return HM_E_MISUSE;
    memcpy(out, tok->sha256, 32);
    return HM_OK;
}

const char *hm_tokenizer_kind(const hm_tokenizer *tok)
{
    if (!tok) return "";
    switch (tok->kind) {
    case TOK_TIKTOKEN: return "tiktoken";
    case TOK_HF_BYTELEVEL: return "hf-bpe-bytelevel";
    case TOK_HF_SPM: return "hf-bpe-sentencepiece";
    }
    return "";
}

void hm_tokenizer_free(hm_tokenizer *tok)
{
    size_t i;
    if (!tok) return;
    free(tok->dec_blob);
    tok_big_free(tok->dec_off, ((size_t)tok->vocab_size + 1) * sizeof *tok->dec_off);
    tok_big_free(tok->present, (size_t)tok->vocab_size + 1);
    tok_strmap_free(&tok->enc);
    tok_pairmap_free(&tok->pairs);
    for (i = 0; i < tok->n_specials; i++) free(tok->specials[i].s);
    free(tok->specials);
    if (tok->re) pcre2_code_free(tok->re);
    free(tok->cls);
    for (i = 0; i < tok->n_norms; i++) {
        free(tok->norms[i].a);
        free(tok->norms[i].b);
    }
    free(tok->norms);
    sodium_memzero(tok, sizeof *tok);
    free(tok);
}
