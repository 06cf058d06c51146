/*
 * ngram.c - the sample n-gram language model: training (interpolated
 * modified Kneser-Ney after Chen & Goodman 1998), the model file format,
 * and the next-token queries (dense log-probabilities, one token, top-k).
 *
 * Storage is a sorted-array trie: level n holds every distinct n-gram seen
 * in training, sorted lexicographically, as (last word, adjusted count);
 * the children of entry i of level n (its one-token extensions) are the
 * entries child[n][i] .. child[n][i+1]-1 of level n+1.  The model file is
 * exactly these arrays behind a fixed header and before a BLAKE2b-256
 * trailer (docs/sample-model.md, "Sample model files"), so loading is one
 * read, one hash, one validation pass and one pass to derive the
 * per-context back-off weights.
 */
#include "ngram.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define HDR_BYTES 208u
#define HASH_BYTES 32u
static const unsigned char slm_magic[8] = {'H', 'M', 'S', 'L', 'M', '\r', '\n', 0x1a};

struct slm_model {
    unsigned char *blob; /* the file image (owned) */
    size_t blob_len;
    int blob_mapped;     /* blob is a private file mapping, else malloc'd */
    void *dmem;          /* one block for the derived arrays below */
    size_t dmem_len;
    int dmem_mapped;
    unsigned order;
    uint32_t V, eos;
    uint64_t n_tokens, n_docs;
    uint32_t cnt[SLM_MAX_ORDER + 1];        /* entries per level (1..order) */
    double D[SLM_MAX_ORDER + 1][4];         /* D[n][k], k = 1..3 */
    const uint32_t *word[SLM_MAX_ORDER + 1];  /* into blob */
    const uint32_t *count[SLM_MAX_ORDER + 1]; /* into blob */
    const uint32_t *child[SLM_MAX_ORDER + 1]; /* into blob, levels 1..order-1 */
    /* Derived at load: per context node of level n (0 = the empty context,
     * one node) the back-off weight gamma and 1 / (sum of child counts). */
    double *gamma[SLM_MAX_ORDER];
    double *inv_s[SLM_MAX_ORDER];
    double *p1;       /* V unigram probabilities (interpolated with uniform) */
    float *logp1;     /* their logs */
    uint32_t *rank;   /* ids by decreasing p1 (ties: lower id first) */
    uint32_t n_seen;  /* rank[0..n_seen) are the ids with a unigram entry */
};

/* ------------------------------------------------------------------ */
/* little-endian helpers                                                */

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static size_t pad8(size_t n) { return (n + 7u) & ~(size_t)7u; }

/* Large blocks come from mmap with MAP_POPULATE where available: one
 * system call instead of one page fault per 4 KiB, which is most of the
 * load time on virtual machines.  Falls back to malloc. */
#define BIG_BLOCK ((size_t)1 << 20)
static void *big_alloc(size_t len, int *mapped)
{
    *mapped = 0;
#if defined(MAP_ANONYMOUS) && defined(MAP_POPULATE)
    if (len >= BIG_BLOCK) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED) {
            *mapped = 1;
            return p;
        }
    }
#endif
    return malloc(len ? len : 1);
}

static void big_free(void *p, size_t len, int mapped)
{
    if (!p) return;
    if (mapped)
        munmap(p, len);
    else
        free(p);
}

/* Byte size of one u32 section of n entries, padded to 8. */
static size_t sec_bytes(size_t n) { return pad8(n * 4u); }

/* ------------------------------------------------------------------ */
/* Kneser-Ney arithmetic                                                */

static double discounted(const double *d, uint32_t a)
{
    double r = (double)a - d[a >= 3 ? 3 : a];
    return r > 0 ? r : 0;
}

/* Chen & Goodman's estimates from the counts of counts n1..n4; an estimate
 * that is not finite or not strictly between 0 and k (too little data)
 * becomes k/2. */
static void estimate_discounts(const uint64_t nk[5], double d[4])
{
    double n1 = (double)nk[1], n2 = (double)nk[2], n3 = (double)nk[3],
           n4 = (double)nk[4];
    double y = n1 / (n1 + 2.0 * n2);
    double est[4];
    int k;
    est[0] = 0;
    est[1] = 1.0 - 2.0 * y * n2 / n1;
    est[2] = 2.0 - 3.0 * y * n3 / n2;
    est[3] = 3.0 - 4.0 * y * n4 / n3;
    d[0] = 0;
    for (k = 1; k <= 3; k++) {
        double e = est[k];
        d[k] = (isfinite(e) && e > 0 && e < (double)k) ? e : (double)k / 2.0;
    }
}

/* ------------------------------------------------------------------ */
/* training: n-gram records and their radix sort                        */

/* An array of records of `w` uint32: the n-gram's words then its weight. */
struct recs {
    uint32_t *d;
    size_t n, cap;
    unsigned w;
};

static int recs_init(struct recs *r, unsigned w, size_t cap)
{
    r->w = w;
    r->n = 0;
    r->cap = cap;
    r->d = NULL;
    if (cap == 0) return HM_OK;
    if (cap > SIZE_MAX / w / sizeof(uint32_t)) return HM_E_NOMEM;
    r->d = malloc(cap * w * sizeof(uint32_t));
    return r->d ? HM_OK : HM_E_NOMEM;
}

static void recs_free(struct recs *r)
{
    free(r->d);
    r->d = NULL;
    r->n = r->cap = 0;
}

/* LSD radix sort on the first w-1 words (the key), 16 bits per pass,
 * skipping passes in which every record has the same digit.  `tmp` holds
 * as many records; `cnt` 65536 counters. */
static void recs_sort(struct recs *r, uint32_t *tmp, size_t *cnt)
{
    unsigned w = r->w, key = w - 1, word, half;
    uint32_t *src = r->d, *dst = tmp;
    size_t i, n = r->n;
    if (n < 2) return;
    for (word = key; word-- > 0;) {
        for (half = 0; half < 2; half++) {
            unsigned shift = half * 16u;
            size_t sum = 0;
            uint32_t first;
            int same = 1;
            memset(cnt, 0, 65536u * sizeof(size_t));
            first = (src[word] >> shift) & 0xffffu;
            for (i = 0; i < n; i++) {
                uint32_t dg = (src[i * w + word] >> shift) & 0xffffu;
                cnt[dg]++;
                if (dg != first) same = 0;
            }
            if (same) continue;
            for (i = 0; i < 65536u; i++) {
                size_t c = cnt[i];
                cnt[i] = sum;
                sum += c;
            }
            for (i = 0; i < n; i++) {
                uint32_t dg = (src[i * w + word] >> shift) & 0xffffu;
                memcpy(dst + cnt[dg] * w, src + i * w, w * sizeof(uint32_t));
                cnt[dg]++;
            }
            {
                uint32_t *t = src;
                src = dst;
                dst = t;
            }
        }
    }
    if (src != r->d) memcpy(r->d, src, n * w * sizeof(uint32_t));
}

/* Sums the weights of equal keys in a sorted record array. */
static void recs_merge(struct recs *r)
{
    unsigned w = r->w, key = w - 1;
    size_t i, out = 0;
    if (r->n == 0) return;
    for (i = 1; i < r->n; i++) {
        uint32_t *cur = r->d + out * w, *nx = r->d + i * w;
        if (memcmp(cur, nx, key * sizeof(uint32_t)) == 0) {
            cur[key] += nx[key]; /* same words (bytewise = exactly equal) */
        } else {
            out++;
            if (out != i) memcpy(r->d + out * w, nx, w * sizeof(uint32_t));
        }
    }
    r->n = out + 1;
}

/* The trie arrays of one level while training. */
struct level {
    uint32_t *word, *count, *child;
    size_t n;
};

/* A document: ids[b..e) without EOS inside. */
struct doc {
    size_t b, e;
};

/* Collects the documents: boundaries from doc_starts, split at EOS. */
static int collect_docs(const uint32_t *ids, size_t n, const size_t *starts,
                        size_t n_starts, uint32_t eos, struct doc **out,
                        size_t *n_out)
{
    size_t cap = 16, nd = 0, s, i;
    struct doc *docs = malloc(cap * sizeof *docs);
    if (!docs) return HM_E_NOMEM;
    for (s = 0; s <= n_starts; s++) {
        size_t b = s == 0 ? 0 : starts[s - 1];
        size_t e = s < n_starts ? starts[s] : n;
        size_t cur = b;
        for (i = b; i <= e; i++) {
            if (i == e || ids[i] == eos) {
                if (i > cur) {
                    if (nd == cap) {
                        struct doc *nd2;
                        cap *= 2;
                        nd2 = realloc(docs, cap * sizeof *docs);
                        if (!nd2) {
                            free(docs);
                            return HM_E_NOMEM;
                        }
                        docs = nd2;
                    }
                    docs[nd].b = cur;
                    docs[nd].e = i;
                    nd++;
                }
                cur = i + 1;
            }
        }
    }
    *out = docs;
    *n_out = nd;
    return HM_OK;
}

/* Token at padded position j of document d: EOS, the ids, EOS. */
static uint32_t padded_at(const uint32_t *ids, const struct doc *d, size_t j,
                          uint32_t eos)
{
    size_t len = d->e - d->b;
    if (j == 0 || j == len + 1) return eos;
    return ids[d->b + j - 1];
}

static int serialize(const struct level *lv, unsigned order, uint32_t V,
                     uint32_t eos, uint64_t n_tokens, uint64_t n_docs,
                     double D[][4], unsigned char **blob_out, size_t *len_out);
static int attach(unsigned char *blob, size_t len, int mapped, slm_model **out);

int slm_train(const uint32_t *ids, size_t n_ids, const size_t *doc_starts,
              size_t n_docs, unsigned order, uint32_t vocab_size,
              uint32_t eos_id, slm_model **out)
{
    struct doc *docs = NULL;
    size_t nd = 0, d, i, targets = 0;
    struct recs cur = {0}, nxt = {0}, bos[SLM_MAX_ORDER + 1];
    struct level lv[SLM_MAX_ORDER + 1];
    uint32_t *tmp = NULL;
    size_t *cnt = NULL, tmp_words = 0;
    double D[SLM_MAX_ORDER + 1][4];
    unsigned m;
    int rc;
    unsigned char *blob = NULL;
    size_t blob_len = 0;

    if (out) *out = NULL;
    if (!out || (!ids && n_ids > 0) || (!doc_starts && n_docs > 0))
        return HM_E_MISUSE;
    if (order < 1 || order > SLM_MAX_ORDER || vocab_size < 2 ||
        eos_id >= vocab_size)
        return HM_E_MISUSE;
    if (n_ids > ((size_t)1 << 31) - 1) return HM_E_LIMIT;
    for (i = 0; i < n_docs; i++)
        if (doc_starts[i] > n_ids || (i > 0 && doc_starts[i] < doc_starts[i - 1]))
            return HM_E_MISUSE;
    for (i = 0; i < n_ids; i++)
        if (ids[i] >= vocab_size) return HM_E_RANGE;
    if (sodium_init() < 0) return HM_E_CRYPTO;

    memset(lv, 0, sizeof lv);
    memset(bos, 0, sizeof bos);
    memset(D, 0, sizeof D);
    rc = collect_docs(ids, n_ids, doc_starts, n_docs, eos_id, &docs, &nd);
    if (rc != HM_OK) return rc;
    for (d = 0; d < nd; d++) targets += docs[d].e - docs[d].b + 1;
    if (targets > 0x7fffffffu) { /* tokens + one EOS per document */
        free(docs);
        return HM_E_LIMIT;
    }

    /* Maximal n-grams ending at each target position j >= 1 of each padded
     * document: length min(order, j+1).  Full-length ones go to the top
     * level; shorter ones start with the document-start EOS and keep their
     * raw counts at their own level. */
    rc = recs_init(&cur, order + 1, targets);
    for (m = 2; rc == HM_OK && m < order; m++) {
        size_t c = 0;
        for (d = 0; d < nd; d++) /* the gram of length m ends at j = m-1 <= len+1 */
            if (docs[d].e - docs[d].b + 2 >= m) c++;
        rc = recs_init(&bos[m], m + 1, c);
    }
    if (rc != HM_OK) goto done;
    for (d = 0; d < nd; d++) {
        size_t len = docs[d].e - docs[d].b, j;
        for (j = 1; j <= len + 1; j++) {
            size_t L = j + 1 < order ? j + 1 : order;
            struct recs *r = L == order ? &cur : &bos[L];
            uint32_t *rec = r->d + r->n * r->w;
            size_t t;
            for (t = 0; t < L; t++)
                rec[t] = padded_at(ids, &docs[d], j + 1 - L + t, eos_id);
            rec[L] = 1;
            r->n++;
        }
    }
    /* scratch for the radix sort: as large as the largest record array */
    tmp_words = 0;
    for (m = 1; m <= order; m++) {
        size_t need = (targets + bos[m].n) * (m + 1u);
        if (need > tmp_words) tmp_words = need;
    }
    tmp = malloc((tmp_words ? tmp_words : 1) * sizeof(uint32_t));
    cnt = malloc(65536u * sizeof(size_t));
    if (!tmp || !cnt) {
        rc = HM_E_NOMEM;
        goto done;
    }
    recs_sort(&cur, tmp, cnt);
    recs_merge(&cur);

    for (m = order; m >= 1; m--) {
        /* cur holds level m, sorted and merged. */
        uint64_t nk[5] = {0, 0, 0, 0, 0};
        size_t k;
        lv[m].n = cur.n;
        lv[m].word = malloc((cur.n ? cur.n : 1) * sizeof(uint32_t));
        lv[m].count = malloc((cur.n ? cur.n : 1) * sizeof(uint32_t));
        if (!lv[m].word || !lv[m].count) {
            rc = HM_E_NOMEM;
            goto done;
        }
        for (k = 0; k < cur.n; k++) {
            uint32_t a = cur.d[k * cur.w + m];
            lv[m].word[k] = cur.d[k * cur.w + m - 1];
            lv[m].count[k] = a;
            if (a <= 4) nk[a]++;
        }
        estimate_discounts(nk, D[m]);
        if (m == 1) break;
        /* Level m-1: the suffixes of level m (one per distinct left
         * extension) plus the document-start grams of length m-1. */
        {
            size_t extra = m - 1 >= 2 ? bos[m - 1].n : 0;
            rc = recs_init(&nxt, m, cur.n + extra);
            if (rc != HM_OK) goto done;
            for (k = 0; k < cur.n; k++) {
                uint32_t *dst = nxt.d + k * m;
                memcpy(dst, cur.d + k * cur.w + 1, (m - 1) * sizeof(uint32_t));
                dst[m - 1] = 1;
            }
            nxt.n = cur.n;
            if (extra) {
                memcpy(nxt.d + nxt.n * m, bos[m - 1].d, extra * m * sizeof(uint32_t));
                nxt.n += extra;
                recs_free(&bos[m - 1]);
            }
            recs_sort(&nxt, tmp, cnt);
            recs_merge(&nxt);
        }
        /* Children of level m-1 entries: the level m entries sharing their
         * words as prefix (both arrays sorted). */
        lv[m - 1].child = malloc((nxt.n + 1) * sizeof(uint32_t));
        if (!lv[m - 1].child) {
            rc = HM_E_NOMEM;
            goto done;
        }
        {
            size_t j = 0;
            for (k = 0; k < nxt.n; k++) {
                lv[m - 1].child[k] = (uint32_t)j;
                while (j < cur.n &&
                       memcmp(cur.d + j * cur.w, nxt.d + k * nxt.w,
                              (m - 1) * sizeof(uint32_t)) == 0)
                    j++;
            }
            lv[m - 1].child[nxt.n] = (uint32_t)j;
            if (j != cur.n) {
                rc = HM_E_INTERNAL; /* a prefix is missing: cannot happen */
                goto done;
            }
        }
        recs_free(&cur);
        cur = nxt;
        memset(&nxt, 0, sizeof nxt);
    }

    rc = serialize(lv, order, vocab_size, eos_id, (uint64_t)n_ids, (uint64_t)nd,
                   D, &blob, &blob_len);
    if (rc == HM_OK) {
        rc = attach(blob, blob_len, 0, out);
        blob = NULL; /* attach owns it, even on failure */
    }

done:
    free(docs);
    free(tmp);
    free(cnt);
    recs_free(&cur);
    recs_free(&nxt);
    for (m = 0; m <= SLM_MAX_ORDER; m++) {
        recs_free(&bos[m]);
        free(lv[m].word);
        free(lv[m].count);
        free(lv[m].child);
    }
    free(blob);
    return rc;
}

/* ------------------------------------------------------------------ */
/* the file image                                                       */

static size_t image_size(unsigned order, const uint32_t *cnt)
{
    size_t s = HDR_BYTES;
    unsigned n;
    for (n = 1; n <= order; n++) {
        s += 2 * sec_bytes(cnt[n]);
        if (n < order) s += sec_bytes((size_t)cnt[n] + 1);
    }
    return s + HASH_BYTES;
}

static unsigned char *put_section(unsigned char *p, const uint32_t *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) put_u32(p + 4 * i, v[i]);
    memset(p + 4 * n, 0, sec_bytes(n) - 4 * n);
    return p + sec_bytes(n);
}

static int serialize(const struct level *lv, unsigned order, uint32_t V,
                     uint32_t eos, uint64_t n_tokens, uint64_t n_docs,
                     double D[][4], unsigned char **blob_out, size_t *len_out)
{
    uint32_t cnt[SLM_MAX_ORDER + 1] = {0};
    unsigned n, k;
    size_t len;
    unsigned char *b, *p;
    for (n = 1; n <= order; n++) cnt[n] = (uint32_t)lv[n].n;
    len = image_size(order, cnt);
    b = calloc(1, len);
    if (!b) return HM_E_NOMEM;
    memcpy(b, slm_magic, 8);
    put_u32(b + 8, SLM_FILE_VERSION);
    put_u32(b + 12, order);
    put_u32(b + 16, V);
    put_u32(b + 20, eos);
    put_u64(b + 24, n_tokens);
    put_u64(b + 32, n_docs);
    for (n = 1; n <= SLM_MAX_ORDER; n++) put_u32(b + 40 + 4 * (n - 1), cnt[n]);
    for (n = 1; n <= SLM_MAX_ORDER; n++)
        for (k = 1; k <= 3; k++) {
            uint64_t bits = 0;
            double v = n <= order ? D[n][k] : 0.0;
            memcpy(&bits, &v, 8);
            put_u64(b + 64 + 8 * (3 * (n - 1) + (k - 1)), bits);
        }
    p = b + HDR_BYTES;
    for (n = 1; n <= order; n++) {
        p = put_section(p, lv[n].word, cnt[n]);
        p = put_section(p, lv[n].count, cnt[n]);
        if (n < order) p = put_section(p, lv[n].child, (size_t)cnt[n] + 1);
    }
    crypto_generichash(p, HASH_BYTES, b, len - HASH_BYTES, NULL, 0);
    *blob_out = b;
    *len_out = len;
    return HM_OK;
}

/* The unigram ranking: seen ids by decreasing p1 (ties: lower id). */
struct rank_item {
    double p;
    uint32_t id;
};

static int rank_cmp(const void *a, const void *b)
{
    const struct rank_item *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return x->id < y->id ? -1 : (x->id > y->id);
}

/* Checks the tables and derives the back-off weights and the unigram
 * distribution.  Takes ownership of `blob` in every case. */
static int attach(unsigned char *blob, size_t len, int mapped, slm_model **out)
{
    slm_model *m = NULL;
    unsigned char hash[HASH_BYTES];
    const unsigned char *p;
    unsigned n, k;
    size_t i;
    int rc = HM_E_FORMAT;
    uint32_t version;

    *out = NULL;
    if (len < 8 || memcmp(blob, slm_magic, 8) != 0) {
        rc = len < 8 && memcmp(blob, slm_magic, len) == 0 ? HM_E_TRUNCATED
                                                          : HM_E_FORMAT;
        goto fail;
    }
    if (len < HDR_BYTES + HASH_BYTES) {
        rc = HM_E_TRUNCATED;
        goto fail;
    }
    version = get_u32(blob + 8);
    if (version != SLM_FILE_VERSION) {
        rc = HM_E_VERSION;
        goto fail;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        rc = HM_E_NOMEM;
        goto fail;
    }
    m->order = get_u32(blob + 12);
    m->V = get_u32(blob + 16);
    m->eos = get_u32(blob + 20);
    m->n_tokens = get_u64(blob + 24);
    m->n_docs = get_u64(blob + 32);
    if (m->order < 1 || m->order > SLM_MAX_ORDER || m->V < 2 || m->eos >= m->V)
        goto fail_corrupt_or_format;
    for (n = 1; n <= SLM_MAX_ORDER; n++) {
        m->cnt[n] = get_u32(blob + 40 + 4 * (n - 1));
        if (m->cnt[n] > 0x7fffffffu || (n > m->order && m->cnt[n] != 0))
            goto fail_corrupt_or_format;
    }
    {
        size_t want = image_size(m->order, m->cnt);
        if (len < want) {
            rc = HM_E_TRUNCATED;
            goto fail;
        }
        if (len > want) goto fail_corrupt_or_format;
    }
    crypto_generichash(hash, HASH_BYTES, blob, len - HASH_BYTES, NULL, 0);
    if (sodium_memcmp(hash, blob + len - HASH_BYTES, HASH_BYTES) != 0) {
        rc = HM_E_CORRUPT;
        goto fail;
    }
    for (n = 1; n <= SLM_MAX_ORDER; n++)
        for (k = 1; k <= 3; k++) {
            uint64_t bits = get_u64(blob + 64 + 8 * (3 * (n - 1) + (k - 1)));
            double v;
            memcpy(&v, &bits, 8);
            if (n <= m->order && !(isfinite(v) && v >= 0 && v <= (double)k))
                goto fail_format;
            m->D[n][k] = n <= m->order ? v : 0;
        }
    /* Sections; convert to host order in place when needed. */
    p = blob + HDR_BYTES;
    for (n = 1; n <= m->order; n++) {
        size_t c = m->cnt[n];
        m->word[n] = (const uint32_t *)(const void *)p;
        p += sec_bytes(c);
        m->count[n] = (const uint32_t *)(const void *)p;
        p += sec_bytes(c);
        if (n < m->order) {
            m->child[n] = (const uint32_t *)(const void *)p;
            p += sec_bytes(c + 1);
        }
    }
    if (!host_is_le()) {
        uint32_t *q = (uint32_t *)(void *)(blob + HDR_BYTES);
        size_t nw = (len - HDR_BYTES - HASH_BYTES) / 4;
        for (i = 0; i < nw; i++) q[i] = get_u32((const unsigned char *)(q + i));
    }
    /* Structure: level 1 words strictly increasing; child offsets run from
     * 0 to the next level's size without going back; words within each
     * child range strictly increasing; all words < V; all counts >= 1. */
    for (n = 1; n <= m->order; n++) {
        const uint32_t *w = m->word[n], *c = m->count[n];
        for (i = 0; i < m->cnt[n]; i++)
            if (w[i] >= m->V || c[i] == 0) goto fail_format;
    }
    for (i = 1; i < m->cnt[1]; i++)
        if (m->word[1][i] <= m->word[1][i - 1]) goto fail_format;
    for (n = 1; n < m->order; n++) {
        const uint32_t *ch = m->child[n], *w = m->word[n + 1];
        if (ch[0] != 0 || ch[m->cnt[n]] != m->cnt[n + 1]) goto fail_format;
        for (i = 0; i < m->cnt[n]; i++) {
            uint32_t j;
            if (ch[i + 1] < ch[i]) goto fail_format;
            for (j = ch[i] + 1; j < ch[i + 1]; j++)
                if (w[j] <= w[j - 1]) goto fail_format;
        }
    }
    m->blob = blob;
    m->blob_len = len;
    m->blob_mapped = mapped;
    blob = NULL;

    /* The derived arrays, in one block. */
    {
        size_t total = 0, V = m->V;
        unsigned char *q;
        for (n = 0; n < m->order; n++) total += 2 * pad8((n == 0 ? 1 : m->cnt[n]) * sizeof(double));
        total += pad8(V * sizeof(double)) + pad8(V * sizeof(float)) + pad8(V * sizeof(uint32_t));
        m->dmem = big_alloc(total, &m->dmem_mapped);
        if (!m->dmem) {
            rc = HM_E_NOMEM;
            goto fail;
        }
        m->dmem_len = total;
        q = m->dmem;
        for (n = 0; n < m->order; n++) {
            size_t b = pad8((n == 0 ? 1 : m->cnt[n]) * sizeof(double));
            m->gamma[n] = (double *)(void *)q;
            q += b;
            m->inv_s[n] = (double *)(void *)q;
            q += b;
        }
        m->p1 = (double *)(void *)q;
        q += pad8(V * sizeof(double));
        m->logp1 = (float *)(void *)q;
        q += pad8(V * sizeof(float));
        m->rank = (uint32_t *)(void *)q;
    }

    /* Back-off weights: for each context node, from its children. */
    for (n = 0; n < m->order; n++) {
        size_t nodes = n == 0 ? 1 : m->cnt[n];
        const uint32_t *c = m->count[n + 1];
        const double *d = m->D[n + 1];
        for (i = 0; i < nodes; i++) {
            uint32_t b = n == 0 ? 0 : m->child[n][i];
            uint32_t e = n == 0 ? m->cnt[1] : m->child[n][i + 1];
            double s = 0, nk[4] = {0, 0, 0, 0};
            uint32_t j;
            for (j = b; j < e; j++) {
                s += c[j];
                nk[c[j] >= 3 ? 3 : c[j]] += 1;
            }
            if (s > 0) {
                m->gamma[n][i] = (d[1] * nk[1] + d[2] * nk[2] + d[3] * nk[3]) / s;
                m->inv_s[n][i] = 1.0 / s;
            } else {
                m->gamma[n][i] = 1.0;
                m->inv_s[n][i] = 0.0;
            }
        }
    }
    /* Unigram distribution interpolated with the uniform floor. */
    {
        double floor_p = m->gamma[0][0] / (double)m->V;
        struct rank_item *items;
        uint32_t w, s;
        for (w = 0; w < m->V; w++) m->p1[w] = floor_p;
        for (i = 0; i < m->cnt[1]; i++)
            m->p1[m->word[1][i]] +=
                discounted(m->D[1], m->count[1][i]) * m->inv_s[0][0];
        for (w = 0; w < m->V; w++) m->logp1[w] = (float)log(m->p1[w]);
        items = malloc((m->cnt[1] ? m->cnt[1] : 1) * sizeof *items);
        if (!items) {
            rc = HM_E_NOMEM;
            goto fail;
        }
        for (i = 0; i < m->cnt[1]; i++) {
            items[i].id = m->word[1][i];
            items[i].p = m->p1[items[i].id];
        }
        qsort(items, m->cnt[1], sizeof *items, rank_cmp);
        for (i = 0; i < m->cnt[1]; i++) m->rank[i] = items[i].id;
        free(items);
        m->n_seen = m->cnt[1];
        /* then the unseen ids, ascending (the level-1 words are sorted) */
        s = m->n_seen;
        i = 0;
        for (w = 0; w < m->V; w++) {
            if (i < m->cnt[1] && m->word[1][i] == w) {
                i++;
                continue;
            }
            m->rank[s++] = w;
        }
    }
    *out = m;
    return HM_OK;

fail_corrupt_or_format:
    /* Header fields are checked before the hash: a damaged header is
     * reported as corruption, which it most likely is. */
    rc = HM_E_CORRUPT;
    goto fail;
fail_format:
    rc = HM_E_FORMAT;
fail:
    if (blob) big_free(blob, len, mapped);
    slm_free(m);
    return rc;
}

void slm_free(slm_model *m)
{
    if (!m) return;
    big_free(m->dmem, m->dmem_len, m->dmem_mapped);
    big_free(m->blob, m->blob_len, m->blob_mapped);
    free(m);
}

int slm_load_buffer(const unsigned char *data, size_t len, slm_model **out)
{
    unsigned char *copy;
    if (out) *out = NULL;
    if (!out || (!data && len > 0)) return HM_E_MISUSE;
    if (sodium_init() < 0) return HM_E_CRYPTO;
    copy = malloc(len ? len : 1);
    if (!copy) return HM_E_NOMEM;
    if (len) memcpy(copy, data, len);
    return attach(copy, len, 0, out);
}

int slm_load(const char *path, slm_model **out)
{
    FILE *f;
    struct stat st;
    unsigned char *buf;
    size_t len;
    if (out) *out = NULL;
    if (!path || !out) return HM_E_MISUSE;
    if (sodium_init() < 0) return HM_E_CRYPTO;
    f = fopen(path, "rb");
    if (!f) return HM_E_IO;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        fclose(f);
        if (errno == 0) errno = EINVAL;
        return HM_E_IO;
    }
    if ((unsigned long long)st.st_size > (unsigned long long)SIZE_MAX / 2) {
        fclose(f);
        return HM_E_LIMIT;
    }
    len = (size_t)st.st_size;
#if defined(MAP_POPULATE)
    /* A private, writable mapping: the pages come from the page cache in
     * one call, and in-place byte swapping (big-endian hosts) stays
     * private. */
    if (len >= BIG_BLOCK) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE,
                       fileno(f), 0);
        if (p != MAP_FAILED) {
            fclose(f);
            return attach(p, len, 1, out);
        }
    }
#endif
    buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return HM_E_NOMEM;
    }
    if (len && fread(buf, 1, len, f) != len) {
        free(buf);
        fclose(f);
        return HM_E_IO;
    }
    fclose(f);
    return attach(buf, len, 0, out);
}

int slm_file_image(const slm_model *m, const unsigned char **data, size_t *len)
{
    if (!m || !data || !len) return HM_E_MISUSE;
    /* The in-memory image is in host order; on little-endian hosts (the
     * only ones this sample builds the image for) it equals the file. */
    if (!host_is_le()) return HM_E_UNSUPPORTED;
    *data = m->blob;
    *len = m->blob_len;
    return HM_OK;
}

int slm_save(const slm_model *m, const char *path)
{
    const unsigned char *data;
    size_t len, plen;
    char *tmp;
    int fd, rc;
    if (!m || !path) return HM_E_MISUSE;
    rc = slm_file_image(m, &data, &len);
    if (rc != HM_OK) return rc;
    plen = strlen(path);
    tmp = malloc(plen + 16);
    if (!tmp) return HM_E_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmpXXXXXX", 11);
    fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return HM_E_IO;
    }
    if (fchmod(fd, 0644) != 0) goto fail;
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        data += w;
        len -= (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        errno = e;
        return HM_E_IO;
    }
    free(tmp);
    return HM_OK;
fail: {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    free(tmp);
    errno = e;
    return HM_E_IO;
}
}

/* ------------------------------------------------------------------ */
/* properties                                                           */

unsigned slm_order(const slm_model *m) { return m ? m->order : 0; }
uint32_t slm_vocab_size(const slm_model *m) { return m ? m->V : 0; }
uint32_t slm_eos(const slm_model *m) { return m ? m->eos : 0; }

size_t slm_ngram_count(const slm_model *m, unsigned n)
{
    return (m && n >= 1 && n <= m->order) ? m->cnt[n] : 0;
}

double slm_discount(const slm_model *m, unsigned n, unsigned k)
{
    return (m && n >= 1 && n <= m->order && k >= 1 && k <= 3) ? m->D[n][k] : 0;
}

int slm_model_id(const slm_model *m, unsigned char id[32])
{
    if (!m || !id) return HM_E_MISUSE;
    memcpy(id, m->blob + m->blob_len - HASH_BYTES, HASH_BYTES);
    return HM_OK;
}

/* ------------------------------------------------------------------ */
/* queries                                                              */

/* Index of `w` in the sorted words[b..e), or -1. */
static long find_word(const uint32_t *words, uint32_t b, uint32_t e, uint32_t w)
{
    while (b < e) {
        uint32_t mid = b + (e - b) / 2;
        if (words[mid] < w)
            b = mid + 1;
        else if (words[mid] > w)
            e = mid;
        else
            return (long)mid;
    }
    return -1;
}

/* One matched context: its node's children range at level `lvl`. */
struct ctx_level {
    uint32_t b, e;
    unsigned lvl;
    double gamma, inv_s;
};

/* Finds the contexts that have continuations, shortest first: lv[k-1] is
 * the context of the last k tokens.  Returns how many, or -1 if a used
 * context id is out of range. */
static int match_contexts(const slm_model *m, const uint32_t *ctx, size_t nc,
                          struct ctx_level *lv)
{
    size_t use = nc < m->order - 1 ? nc : m->order - 1;
    unsigned k, j;
    int found = 0;
    for (k = 0; k < use; k++)
        if (ctx[nc - 1 - k] >= m->V) return -1;
    for (k = 1; k <= use; k++) {
        const uint32_t *h = ctx + nc - k;
        long idx = find_word(m->word[1], 0, m->cnt[1], h[0]);
        for (j = 2; j <= k && idx >= 0; j++)
            idx = find_word(m->word[j], m->child[j - 1][idx],
                            m->child[j - 1][idx + 1], h[j - 1]);
        if (idx < 0) break;
        lv[found].b = m->child[k][idx];
        lv[found].e = m->child[k][idx + 1];
        if (lv[found].b == lv[found].e) break;
        lv[found].lvl = k + 1;
        lv[found].gamma = m->gamma[k][idx];
        lv[found].inv_s = m->inv_s[k][idx];
        found++;
    }
    return found;
}

/* The probability of `w` given matched contexts (scales precomputed). */
int slm_logprob(const slm_model *m, const uint32_t *ctx, size_t nc,
                uint32_t token, double *lp)
{
    struct ctx_level lv[SLM_MAX_ORDER];
    int L, k;
    double p;
    if (!m || (!ctx && nc > 0) || !lp) return HM_E_MISUSE;
    if (token >= m->V) return HM_E_RANGE;
    L = match_contexts(m, ctx, nc, lv);
    if (L < 0) return HM_E_RANGE;
    p = m->p1[token];
    for (k = 0; k < L; k++) {
        unsigned n = lv[k].lvl;
        long i = find_word(m->word[n], lv[k].b, lv[k].e, token);
        p *= lv[k].gamma;
        if (i >= 0) p += discounted(m->D[n], m->count[n][i]) * lv[k].inv_s;
    }
    *lp = log(p);
    return HM_OK;
}

/* Shared by slm_logits and slm_topk: the weights of the matched levels. */
struct ctx_weights {
    int L;
    double G;                      /* product of all gammas */
    double scale[SLM_MAX_ORDER];   /* product of the gammas above level k */
    float lg;                      /* (float)log(G) */
};

static void weights(const struct ctx_level *lv, int L, struct ctx_weights *cw)
{
    int k;
    double s = 1.0;
    cw->L = L;
    for (k = L - 1; k >= 0; k--) {
        cw->scale[k] = s;
        s *= lv[k].gamma;
    }
    cw->G = s;
    cw->lg = (float)log(s);
}

/* Walks the children of the shortest matched context (a superset of every
 * longer context's children) and calls back with each id's probability. */
#define FOR_EACH_CHILD(m, lv, cw, W, PROB, BODY)                               \
    do {                                                                       \
        uint32_t pos_[SLM_MAX_ORDER];                                          \
        uint32_t i_;                                                           \
        int k_;                                                                \
        for (k_ = 0; k_ < (cw).L; k_++) pos_[k_] = (lv)[k_].b;                 \
        for (i_ = (lv)[0].b; i_ < (lv)[0].e; i_++) {                           \
            uint32_t W = (m)->word[(lv)[0].lvl][i_];                           \
            double PROB = (cw).G * (m)->p1[W] +                                \
                          (cw).scale[0] *                                      \
                              discounted((m)->D[(lv)[0].lvl],                  \
                                         (m)->count[(lv)[0].lvl][i_]) *        \
                              (lv)[0].inv_s;                                   \
            for (k_ = 1; k_ < (cw).L; k_++) {                                  \
                const uint32_t *wd_ = (m)->word[(lv)[k_].lvl];                 \
                while (pos_[k_] < (lv)[k_].e && wd_[pos_[k_]] < W) pos_[k_]++; \
                if (pos_[k_] < (lv)[k_].e && wd_[pos_[k_]] == W) {             \
                    PROB += (cw).scale[k_] *                                   \
                            discounted((m)->D[(lv)[k_].lvl],                   \
                                       (m)->count[(lv)[k_].lvl][pos_[k_]]) *   \
                            (lv)[k_].inv_s;                                    \
                    pos_[k_]++;                                                \
                }                                                              \
            }                                                                  \
            BODY                                                               \
        }                                                                      \
    } while (0)

int slm_logits(const slm_model *m, const uint32_t *ctx, size_t nc, float *out)
{
    struct ctx_level lv[SLM_MAX_ORDER];
    struct ctx_weights cw;
    uint32_t w, V;
    const float *lp1;
    float lg;
    int L;
    if (!m || (!ctx && nc > 0) || !out) return HM_E_MISUSE;
    L = match_contexts(m, ctx, nc, lv);
    if (L < 0) return HM_E_RANGE;
    weights(lv, L, &cw);
    V = m->V;
    lp1 = m->logp1;
    lg = cw.lg;
    for (w = 0; w < V; w++) out[w] = lg + lp1[w];
    if (L > 0) FOR_EACH_CHILD(m, lv, cw, cw_w, cw_p, { out[cw_w] = (float)log(cw_p); });
    return HM_OK;
}

/* Top-k: a min-heap of (value, id) in the caller's arrays; the root is
 * the worst kept candidate.  "a worse than b" = lower value, or equal
 * value and higher id. */
static int worse(float va, uint32_t ia, float vb, uint32_t ib)
{
    return va < vb || (va == vb && ia > ib);
}

static void heap_sift_down(float *v, uint32_t *id, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < n && worse(v[l], id[l], v[s], id[s])) s = l;
        if (r < n && worse(v[r], id[r], v[s], id[s])) s = r;
        if (s == i) return;
        {
            float tv = v[i];
            uint32_t ti = id[i];
            v[i] = v[s];
            id[i] = id[s];
            v[s] = tv;
            id[s] = ti;
        }
        i = s;
    }
}

static void heap_offer(float *v, uint32_t *id, size_t *n, size_t k, float val,
                       uint32_t w)
{
    if (*n < k) {
        size_t i = (*n)++;
        v[i] = val;
        id[i] = w;
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (!worse(v[i], id[i], v[parent], id[parent])) break;
            {
                float tv = v[i];
                uint32_t ti = id[i];
                v[i] = v[parent];
                id[i] = id[parent];
                v[parent] = tv;
                id[parent] = ti;
            }
            i = parent;
        }
    } else if (worse(v[0], id[0], val, w)) {
        v[0] = val;
        id[0] = w;
        heap_sift_down(v, id, *n, 0);
    }
}

int slm_topk(const slm_model *m, const uint32_t *ctx, size_t nc, size_t k,
             uint32_t *ids, float *lps, size_t *n_out)
{
    struct ctx_level lv[SLM_MAX_ORDER];
    struct ctx_weights cw;
    size_t n = 0, r;
    int L;
    if (n_out) *n_out = 0;
    if (!m || (!ctx && nc > 0) || (k > 0 && (!ids || !lps)) || !n_out)
        return HM_E_MISUSE;
    if (k > m->V) k = m->V;
    L = match_contexts(m, ctx, nc, lv);
    if (L < 0) return HM_E_RANGE;
    if (k == 0) return HM_OK;
    weights(lv, L, &cw);
    if (L > 0)
        FOR_EACH_CHILD(m, lv, cw, cw_w, cw_p,
                       { heap_offer(lps, ids, &n, k, (float)log(cw_p), cw_w); });
    /* The others have value lg + logp1[w], non-increasing along rank. */
    for (r = 0; r < m->V; r++) {
        uint32_t w = m->rank[r];
        float val = cw.lg + m->logp1[w];
        /* Nothing later can enter once this one cannot: values only fall,
         * and among the unseen ids (equal values) ids only rise. */
        if (n == k && (val < lps[0] || (r >= m->n_seen && val == lps[0] && w > ids[0])))
            break;
        if (L > 0 && find_word(m->word[lv[0].lvl], lv[0].b, lv[0].e, w) >= 0)
            continue;
        heap_offer(lps, ids, &n, k, val, w);
    }
    /* Heap-sort: repeatedly move the worst to the end. */
    *n_out = n;
    while (n > 1) {
        float tv = lps[0];
        uint32_t ti = ids[0];
        n--;
        lps[0] = lps[n];
        ids[0] = ids[n];
        lps[n] = tv;
        ids[n] = ti;
        heap_sift_down(lps, ids, n, 0);
    }
    return HM_OK;
}
