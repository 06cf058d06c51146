/*
 * scan.c - corpus-scan building blocks: the per-thread document scanner,
 * the bounded-memory deduplication tape (hash-partitioned spill files,
 * deduplicated partition by partition), exact fixed-point sums, and the
 * Benjamini-Hochberg threshold over a stream (external merge sort).
 */
#include "hallmark/scan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "detect_internal.h"
#include "hallmark/error.h"
#include "scan_internal.h"

/* ---- Temporary files ---- */

FILE *hm_scan_tmpfile(const char *tmpdir)
{
    char path[4096];
    const char *dir = tmpdir;
    int fd, n;
    FILE *f;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    n = snprintf(path, sizeof path, "%s/hallmark-scan-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof path) return NULL;
    fd = mkstemp(path);
    if (fd < 0) return NULL;
    unlink(path);
    f = fdopen(fd, "w+b");
    if (!f) close(fd);
    return f;
}

/* ---- Fixed-point sums ---- */

#define FIX_SCALE 4294967296.0 /* 2^32 */

void hm_fixsum_add(hm_fixsum *s, double v)
{
    double scaled;
    uint64_t x, old;
    if (!s || !(v > 0) || isinf(v)) return;
    scaled = v * FIX_SCALE;
    if (scaled >= 18446744073709551615.0) scaled = 18446744073709551615.0;
    x = (uint64_t)llround(scaled);
    old = s->lo;
    s->lo += x;
    if (s->lo < old) s->hi++;
}

void hm_fixsum_merge(hm_fixsum *s, const hm_fixsum *other)
{
    uint64_t old;
    if (!s || !other) return;
    old = s->lo;
    s->lo += other->lo;
    s->hi += other->hi + (s->lo < old ? 1u : 0u);
}

double hm_fixsum_value(const hm_fixsum *s)
{
    if (!s) return 0;
    return ((double)s->hi * 18446744073709551616.0 + (double)s->lo) / FIX_SCALE;
}

/* ---- The scanner ---- */

struct hm_scanner {
    const hm_detector *d;
    int dedup, plain;
    hm_u64set doc_seen;   /* the document's dedup policy */
    hm_u64set tuple_seen; /* unique tuples of the document */
    hm_scan_tuple *tuples;
    size_t n_tuples, cap_tuples;
    /* per-document accumulators */
    uint64_t n_walked, n_scored, n_dup;
    double sum;
    uint32_t layers;
    int oom;
};

int hm_scanner_new(hm_scanner **out, const hm_detector *d)
{
    hm_scanner *s;
    if (!out || !d) return HM_E_MISUSE;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s) return HM_E_NOMEM;
    s->d = d;
    s->dedup = hm_detector_dedup_policy(d);
    s->plain = hm_detector_plain_rules(d);
    if (hm_u64set_init(&s->doc_seen, 1024) != 0 || hm_u64set_init(&s->tuple_seen, 1024) != 0) {
        hm_scanner_free(s);
        return HM_E_NOMEM;
    }
    *out = s;
    return HM_OK;
}

void hm_scanner_free(hm_scanner *s)
{
    if (!s) return;
    hm_u64set_free(&s->doc_seen);
    hm_u64set_free(&s->tuple_seen);
    free(s->tuples);
    free(s);
}

/* Appends a document-unique tuple. */
static int push_tuple(hm_scanner *s, const hm_walk_item *it)
{
    if (s->n_tuples == s->cap_tuples) {
        size_t nc = s->cap_tuples ? 2 * s->cap_tuples : 1024;
        hm_scan_tuple *nt = realloc(s->tuples, nc * sizeof *nt);
        if (!nt) {
            s->oom = 1;
            return 1;
        }
        s->tuples = nt;
        s->cap_tuples = nc;
    }
    s->tuples[s->n_tuples].ctx_hash = it->ctx_hash;
    /* Tuples leave the library (scan shards write them to disk): under a
     * keyed id, so that a reader without the key cannot look up a token's
     * public context hash and read the key's decision beside it. */
    s->tuples[s->n_tuples].tuple_hash = hm_detector_blind(s->d, it->tuple_hash);
    s->tuples[s->n_tuples].value = it->value;
    s->n_tuples++;
    return 0;
}

static int scan_cb(const hm_walk_item *it, void *user)
{
    hm_scanner *s = user;
    int added;
    s->n_walked++;
    if (s->dedup == HM_DEDUP_NONE) {
        added = 1;
    } else {
        added = hm_u64set_add(&s->doc_seen,
                              s->dedup == HM_DEDUP_TUPLE ? it->tuple_hash : it->ctx_hash);
        if (added < 0) {
            s->oom = 1;
            return 1;
        }
        /* context policy: a new context whose unit (tuple key) was already
         * scored repeats that score (kgw selfhash), as in hm_detect */
        if (added && s->dedup == HM_DEDUP_CONTEXT &&
            hm_u64set_contains(&s->tuple_seen, it->tuple_hash))
            added = 0;
    }
    if (added) {
        s->n_scored++;
        s->sum += it->value;
        s->layers = it->layers;
    } else {
        s->n_dup++;
    }
    /* Under the tuple policy the document's set already says whether the
     * tuple is new; otherwise a second set tracks tuples. */
    if (s->dedup != HM_DEDUP_TUPLE) {
        added = hm_u64set_add(&s->tuple_seen, it->tuple_hash);
        if (added < 0) {
            s->oom = 1;
            return 1;
        }
    }
    return added ? push_tuple(s, it) : 0;
}

/* The tuple policy: a position whose tuple the document already had is a
 * duplicate, and its score is never needed, so the walk asks first. */
static int tuple_keep(const hm_walk_item *it, void *user)
{
    hm_scanner *s = user;
    int added = hm_u64set_add(&s->doc_seen, it->tuple_hash);
    s->n_walked++;
    if (added < 0) {
        s->oom = 1;
        return 0;
    }
    if (!added) s->n_dup++;
    return added;
}

static int tuple_cb(const hm_walk_item *it, void *user)
{
    hm_scanner *s = user;
    s->n_scored++;
    s->sum += it->value;
    s->layers = it->layers;
    return push_tuple(s, it);
}

/* Empties the document's sets.  Under the tuple policy the set holds
 * exactly the document's tuples, added in order: when the set is sparse
 * (its table sized by an earlier, longer document) and did not grow, they
 * are removed in reverse order instead of clearing the whole table. */
static void scanner_forget(hm_scanner *s, size_t first, size_t cap_before)
{
    size_t k, added = s->n_tuples - first;
    if (s->dedup == HM_DEDUP_TUPLE && !s->oom && s->doc_seen.cap == cap_before &&
        s->doc_seen.count == added && 16 * added < s->doc_seen.cap) {
        for (k = s->n_tuples; k-- > first;) hm_u64set_remove_last(&s->doc_seen, s->tuples[k].tuple_hash);
    }
    hm_u64set_clear(&s->doc_seen);
    hm_u64set_clear(&s->tuple_seen);
}

/* Walks a document under the scanner's policy. */
static int scanner_walk(hm_scanner *s, const uint32_t *ids, size_t n, size_t *before)
{
    size_t first = s->n_tuples, cap_before = s->doc_seen.cap;
    int st;
    if (s->dedup == HM_DEDUP_TUPLE)
        st = hm_detector_walk_filtered(s->d, ids, n, tuple_keep, tuple_cb, s, before);
    else
        st = hm_detector_walk(s->d, NULL, 0, ids, n, scan_cb, s, before);
    scanner_forget(s, first, cap_before);
    return s->oom ? HM_E_NOMEM : st;
}

int hm_scanner_doc(hm_scanner *s, const uint32_t *ids, size_t n, hm_detect_result *res)
{
    size_t before = 0;
    int st;
    if (!s || !res || (n && !ids)) return HM_E_MISUSE;
    /* normally already empty (scanner_forget): this catches errors */
    hm_u64set_clear(&s->doc_seen);
    hm_u64set_clear(&s->tuple_seen);
    s->n_walked = s->n_scored = s->n_dup = 0;
    s->sum = 0;
    s->layers = 1;
    s->oom = 0;
    if (!s->plain) {
        /* engine rules (history windows, caps): hm_detect gives the document's
         * result; the walk below only collects tuples */
        st = hm_detect(s->d, NULL, 0, ids, n, res, NULL);
        if (st != HM_OK) return st;
        s->dedup = HM_DEDUP_TUPLE;
        return scanner_walk(s, ids, n, &before);
    }
    st = scanner_walk(s, ids, n, &before);
    if (st != HM_OK) return st;
    st = hm_detector_pooled_test(s->d, s->sum, s->n_scored, s->layers, res);
    if (st != HM_OK) return st;
    res->n_tokens = n;
    res->n_duplicate = s->n_dup;
    res->n_after_eos = n - before;
    res->n_no_context = before - s->n_walked;
    return HM_OK;
}

const hm_scan_tuple *hm_scanner_tuples(const hm_scanner *s, size_t *n)
{
    if (n) *n = s ? s->n_tuples : 0;
    return s ? s->tuples : NULL;
}

void hm_scanner_clear(hm_scanner *s)
{
    if (s) s->n_tuples = 0;
}

/* ---- The tape ---- */

typedef struct tape_rec {
    uint64_t group, hash;
    double v[2];
} tape_rec;

typedef struct tape_pair {
    uint64_t group, hash;
} tape_pair;

/* A record whose group is its hash and whose second value is +0 (what
 * `hallmark scan` adds), stored in half the bytes. */
typedef struct tape_short {
    uint64_t hash;
    double v0;
} tape_short;

/* One partition's stream of one kind: records buffered in memory, spilled
 * to an unlinked temporary file when the tape's buffers exceed the budget. */
typedef struct spill {
    FILE *f;
    unsigned char *buf;
    size_t len, cap;
} spill;

#define TAPE_BUDGET ((size_t)16 << 20) /* bytes buffered before spilling */
#define TAPE_CACHE ((size_t)1 << 18) /* recent tuple hashes not re-spilled */
#define TAPE_AHEAD 16 /* records held back while their cache slot loads */

struct hm_tape {
    char *tmpdir;
    unsigned parts, bits;
    /* Per partition: short records, then (from the first record that is not
     * short on) full records, so that the two streams read one after the
     * other are the records in the order they were added. */
    spill *rec, *exc, *alw, *shr;
    unsigned char *full_only;
    size_t buffered, budget;
    hm_u64set cache; /* hashes spilled recently: a repeat is skipped (exact:
                        equal hashes carry equal records), cleared when full */
    int filter, finished;
    uint64_t n_records;
    /* hm_tape_add queues a record and processes the one TAPE_AHEAD adds
     * earlier, whose cache slot was prefetched meanwhile: the same records in
     * the same order, without waiting on a cache miss per record. */
    tape_rec ahead[TAPE_AHEAD];
    unsigned ahead_head, ahead_n;
};

int hm_tape_new(hm_tape **out, const char *tmpdir, unsigned partitions)
{
    hm_tape *t;
    unsigned p = 1, bits = 0;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (partitions == 0) partitions = 64;
    if (partitions > 4096) partitions = 4096;
    while (p < partitions) {
        p <<= 1;
        bits++;
    }
    t = calloc(1, sizeof *t);
    if (!t) return HM_E_NOMEM;
    t->parts = p;
    t->bits = bits;
    t->budget = TAPE_BUDGET;
    if (hm_u64set_init(&t->cache, TAPE_CACHE) != 0) {
        hm_tape_free(t);
        return HM_E_NOMEM;
    }
    t->rec = calloc(p, sizeof *t->rec);
    t->exc = calloc(p, sizeof *t->exc);
    t->alw = calloc(p, sizeof *t->alw);
    t->shr = calloc(p, sizeof *t->shr);
    t->full_only = calloc(p, 1);
    if (tmpdir) {
        size_t len = strlen(tmpdir) + 1;
        t->tmpdir = malloc(len);
        if (t->tmpdir) memcpy(t->tmpdir, tmpdir, len);
    }
    if (!t->rec || !t->exc || !t->alw || !t->shr || !t->full_only || (tmpdir && !t->tmpdir)) {
        hm_tape_free(t);
        return HM_E_NOMEM;
    }
    *out = t;
    return HM_OK;
}

static void spill_close(spill *s)
{
    if (s->f) fclose(s->f);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

void hm_tape_free(hm_tape *t)
{
    unsigned i;
    if (!t) return;
    for (i = 0; i < t->parts; i++) {
        if (t->rec) spill_close(&t->rec[i]);
        if (t->exc) spill_close(&t->exc[i]);
        if (t->alw) spill_close(&t->alw[i]);
        if (t->shr) spill_close(&t->shr[i]);
    }
    free(t->rec);
    free(t->exc);
    free(t->alw);
    free(t->shr);
    free(t->full_only);
    hm_u64set_free(&t->cache);
    free(t->tmpdir);
    free(t);
}

static unsigned part_of(const hm_tape *t, uint64_t group)
{
    return t->bits ? (unsigned)(group >> (64 - t->bits)) : 0u;
}

/* Writes every partition's buffered bytes to its file. */
static int tape_flush(hm_tape *t)
{
    spill *kinds[4];
    unsigned p, k;
    kinds[0] = t->rec;
    kinds[1] = t->exc;
    kinds[2] = t->alw;
    kinds[3] = t->shr;
    for (k = 0; k < 4; k++)
        for (p = 0; p < t->parts; p++) {
            spill *sp = &kinds[k][p];
            if (sp->len == 0) continue;
            if (!sp->f) {
                sp->f = hm_scan_tmpfile(t->tmpdir);
                if (!sp->f) return HM_E_IO;
            }
            if (fwrite(sp->buf, 1, sp->len, sp->f) != sp->len) return HM_E_IO;
            sp->len = 0;
        }
    t->buffered = 0;
    return HM_OK;
}

static int tape_write(hm_tape *t, spill *kind, unsigned p, const void *rec, size_t size)
{
    spill *sp = &kind[p];
    if (t->finished) return HM_E_STATE;
    if (sp->len + size > sp->cap) {
        size_t nc = sp->cap ? 2 * sp->cap : 4096;
        unsigned char *nb;
        if (t->buffered + size > t->budget) {
            int st = tape_flush(t);
            if (st != HM_OK) return st;
        }
        if (sp->len + size > sp->cap) {
            nb = realloc(sp->buf, nc);
            if (!nb) return HM_E_NOMEM;
            sp->buf = nb;
            sp->cap = nc;
        }
    }
    memcpy(sp->buf + sp->len, rec, size);
    sp->len += size;
    t->buffered += size;
    if (t->buffered > t->budget) return tape_flush(t);
    return HM_OK;
}

/* The cache key of a record: only exact (group, hash) repeats are skipped. */
static uint64_t cache_key(uint64_t group, uint64_t hash)
{
    uint64_t ck = hash ^ (group * 0x9E3779B97F4A7C15ULL);
    return ck ? ck : 0x8000000000000000ULL;
}

/* Processes one record: skipped when the cache saw it, else buffered. */
static int tape_take(hm_tape *t, const tape_rec *r)
{
    int st, added;
    unsigned p;
    if (t->cache.count >= TAPE_CACHE) hm_u64set_clear(&t->cache);
    added = hm_u64set_add(&t->cache, cache_key(r->group, r->hash));
    if (added < 0) return HM_E_NOMEM;
    if (!added) {
        t->n_records++;
        return HM_OK;
    }
    p = part_of(t, r->group);
    if (!t->full_only[p] && r->group == r->hash && r->v[1] == 0 && !signbit(r->v[1])) {
        tape_short sr;
        sr.hash = r->hash;
        sr.v0 = r->v[0];
        st = tape_write(t, t->shr, p, &sr, sizeof sr);
    } else {
        t->full_only[p] = 1;
        st = tape_write(t, t->rec, p, r, sizeof *r);
    }
    if (st == HM_OK) t->n_records++;
    return st;
}

/* Processes every queued record, oldest first. */
static int tape_drain(hm_tape *t)
{
    int st = HM_OK;
    while (t->ahead_n > 0 && st == HM_OK) {
        unsigned i = (t->ahead_head + TAPE_AHEAD - t->ahead_n) % TAPE_AHEAD;
        t->ahead_n--;
        st = tape_take(t, &t->ahead[i]);
    }
    return st;
}

int hm_tape_set_budget(hm_tape *t, size_t bytes)
{
    int st;
    if (!t || t->finished) return HM_E_MISUSE;
    st = tape_drain(t);
    if (st != HM_OK) return st;
    t->budget = bytes;
    return tape_flush(t);
}

int hm_tape_add(hm_tape *t, uint64_t group, uint64_t hash, double v0, double v1)
{
    tape_rec *slot;
    int st = HM_OK;
    if (!t) return HM_E_MISUSE;
    if (t->finished) return HM_E_STATE;
    slot = &t->ahead[t->ahead_head];
    if (t->ahead_n == TAPE_AHEAD) {
        /* the oldest queued record sits in the slot about to be reused */
        st = tape_take(t, slot);
        t->ahead_n--;
    }
    slot->group = group;
    slot->hash = hash;
    slot->v[0] = v0;
    slot->v[1] = v1;
    hm_u64set_prefetch(&t->cache, cache_key(group, hash));
    t->ahead_head = (t->ahead_head + 1) % TAPE_AHEAD;
    t->ahead_n++;
    return st;
}

int hm_tape_exclude(hm_tape *t, uint64_t group)
{
    if (!t) return HM_E_MISUSE;
    return tape_write(t, t->exc, part_of(t, group), &group, sizeof group);
}

int hm_tape_allow(hm_tape *t, uint64_t group, uint64_t hash)
{
    tape_pair pr;
    if (!t) return HM_E_MISUSE;
    t->filter = 1;
    pr.group = group;
    pr.hash = hash;
    return tape_write(t, t->alw, part_of(t, group), &pr, sizeof pr);
}

/* The number of items of `size` in a partition's stream (file, then
 * buffer); *in_file of them are in the file. */
static int spill_count(spill *sp, size_t size, size_t *count, size_t *in_file)
{
    long end;
    *count = *in_file = 0;
    if (sp->f) {
        if (fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_END) != 0) return HM_E_IO;
        end = ftell(sp->f);
        if (end < 0) return HM_E_IO;
        *in_file = (size_t)end / size;
    }
    *count = *in_file + sp->len / size;
    return HM_OK;
}

/* Copies a partition's stream of `count` items (`in_file` of them in the
 * file) to dst. */
static int spill_read(spill *sp, size_t size, size_t count, size_t in_file, void *dst)
{
    if (in_file) {
        rewind(sp->f);
        if (fread(dst, size, in_file, sp->f) != in_file) return HM_E_IO;
    }
    if (count > in_file) memcpy((unsigned char *)dst + in_file * size, sp->buf, sp->len);
    return HM_OK;
}

/* Reads a partition's stream into a fresh buffer; *count items of `size`. */
static int slurp(spill *sp, size_t size, void **buf, size_t *count)
{
    size_t n, nf;
    int st = spill_count(sp, size, &n, &nf);
    *buf = NULL;
    *count = 0;
    if (st != HM_OK || n == 0) return st;
    *buf = malloc(n * size);
    if (!*buf) return HM_E_NOMEM;
    st = spill_read(sp, size, n, nf, *buf);
    if (st != HM_OK) {
        free(*buf);
        *buf = NULL;
        return st;
    }
    *count = n;
    return HM_OK;
}

/* A partition's records in the order they were added: the short ones,
 * expanded in place, then the full ones.  Peak memory: the expanded
 * records alone (the short ones are read into the upper half of the space
 * their expansion takes, and expanded front to back: record i is read
 * before slot i is written, and slot i ends below short record i + 1). */
static int slurp_records(spill *shr, spill *full, tape_rec **recs, size_t *count)
{
    size_t n_sh, nf_sh, n_fr, nf_fr, i;
    tape_rec *all;
    unsigned char *sh;
    int st = spill_count(shr, sizeof(tape_short), &n_sh, &nf_sh);
    if (st == HM_OK) st = spill_count(full, sizeof(tape_rec), &n_fr, &nf_fr);
    *recs = NULL;
    *count = 0;
    if (st != HM_OK || n_sh + n_fr == 0) return st;
    all = malloc((n_sh + n_fr) * sizeof *all);
    if (!all) return HM_E_NOMEM;
    sh = (unsigned char *)all + n_sh * sizeof(tape_short);
    st = spill_read(shr, sizeof(tape_short), n_sh, nf_sh, sh);
    if (st == HM_OK) st = spill_read(full, sizeof(tape_rec), n_fr, nf_fr, all + n_sh);
    if (st != HM_OK) {
        free(all);
        return st;
    }
    for (i = 0; i < n_sh; i++) {
        tape_short r;
        memcpy(&r, sh + i * sizeof r, sizeof r); /* bytes: may overlap slot i */
        all[i].group = r.hash;
        all[i].hash = r.hash;
        all[i].v[0] = r.v0;
        all[i].v[1] = 0;
    }
    *recs = all;
    *count = n_sh + n_fr;
    return HM_OK;
}

static int cmp_rec(const void *a, const void *b)
{
    const tape_rec *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return 0;
}

/* u64set keys must be non-zero. */
static uint64_t nz(uint64_t k) { return k ? k : 0x8000000000000000ULL; }

int hm_tape_finish(hm_tape *t, hm_tape_result *res, hm_tape_emit_fn emit, void *user)
{
    unsigned p;
    int st = HM_OK;
    hm_u64set uniq;
    if (!t || !res) return HM_E_MISUSE;
    if (t->finished) return HM_E_STATE;
    memset(&uniq, 0, sizeof uniq);
    st = tape_drain(t);
    t->finished = 1;
    memset(res, 0, sizeof *res);
    res->n_records = t->n_records;
    for (p = 0; p < t->parts && st == HM_OK; p++) {
        uint64_t *exc = NULL;
        tape_pair *alw = NULL;
        tape_rec *recs = NULL;
        size_t n_exc = 0, n_alw = 0, n_rec = 0, i;
        hm_u64set excset, alwset;
        memset(&excset, 0, sizeof excset);
        memset(&alwset, 0, sizeof alwset);
        st = slurp_records(&t->shr[p], &t->rec[p], &recs, &n_rec);
        if (st == HM_OK) st = slurp(&t->exc[p], sizeof *exc, (void **)&exc, &n_exc);
        if (st == HM_OK) st = slurp(&t->alw[p], sizeof *alw, (void **)&alw, &n_alw);
        if (st == HM_OK && (hm_u64set_init(&excset, n_exc) != 0 ||
                            hm_u64set_init(&alwset, n_alw) != 0))
            st = HM_E_NOMEM;
        for (i = 0; st == HM_OK && i < n_exc; i++)
            if (hm_u64set_add(&excset, nz(exc[i])) < 0) st = HM_E_NOMEM;
        free(exc);
        for (i = 0; st == HM_OK && i < n_alw; i++)
            if (hm_u64set_add(&alwset, nz(alw[i].hash)) < 0) st = HM_E_NOMEM;
        free(alw);
        /* With an emitter, sort by hash (sorted output); otherwise a hash set
         * finds the first occurrence of each hash in O(n). */
        if (st == HM_OK && n_rec && emit) qsort(recs, n_rec, sizeof *recs, cmp_rec);
        if (st == HM_OK && !emit) {
            hm_u64set_free(&uniq);
            if (hm_u64set_init(&uniq, n_rec) != 0) st = HM_E_NOMEM;
        }
        for (i = 0; st == HM_OK && i < n_rec; i++) {
            const tape_rec *r = &recs[i];
            if (emit) {
                if (i > 0 && recs[i - 1].hash == r->hash) continue;
            } else {
                int added = hm_u64set_add(&uniq, nz(r->hash));
                if (added < 0) {
                    st = HM_E_NOMEM;
                    break;
                }
                if (!added) continue;
            }
            res->n_unique++;
            if (n_exc && hm_u64set_contains(&excset, nz(r->group))) {
                res->n_excluded++;
            } else if (t->filter && !hm_u64set_contains(&alwset, nz(r->hash))) {
                res->n_filtered++;
            } else {
                res->n_kept++;
                hm_fixsum_add(&res->sum[0], r->v[0]);
                hm_fixsum_add(&res->sum[1], r->v[1]);
                if (emit && emit(r->group, r->hash, r->v[0], r->v[1], user) != 0) st = HM_E_STATE;
            }
        }
        free(recs);
        hm_u64set_free(&excset);
        hm_u64set_free(&alwset);
        spill_close(&t->rec[p]);
        spill_close(&t->exc[p]);
        spill_close(&t->alw[p]);
        spill_close(&t->shr[p]);
    }
    hm_u64set_free(&uniq);
    return st;
}

/* ---- Benjamini-Hochberg over a stream ---- */

struct hm_bh {
    char *tmpdir;
    double *buf;
    size_t run, n;
    FILE *spill;
    uint64_t *run_len; /* lengths of the spilled runs */
    size_t n_runs, cap_runs;
    uint64_t m;
    int finished;
};

int hm_bh_new(hm_bh **out, const char *tmpdir, size_t run)
{
    hm_bh *b;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (run == 0) run = (size_t)1 << 20;
    if (run < 2) run = 2;
    b = calloc(1, sizeof *b);
    if (!b) return HM_E_NOMEM;
    b->run = run;
    b->buf = malloc(run * sizeof *b->buf);
    if (tmpdir) {
        size_t len = strlen(tmpdir) + 1;
        b->tmpdir = malloc(len);
        if (b->tmpdir) memcpy(b->tmpdir, tmpdir, len);
    }
    if (!b->buf || (tmpdir && !b->tmpdir)) {
        hm_bh_free(b);
        return HM_E_NOMEM;
    }
    *out = b;
    return HM_OK;
}

void hm_bh_free(hm_bh *b)
{
    if (!b) return;
    if (b->spill) fclose(b->spill);
    free(b->buf);
    free(b->run_len);
    free(b->tmpdir);
    free(b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static int bh_spill(hm_bh *b)
{
    if (b->n == 0) return HM_OK;
    qsort(b->buf, b->n, sizeof *b->buf, cmp_double);
    if (!b->spill) {
        b->spill = hm_scan_tmpfile(b->tmpdir);
        if (!b->spill) return HM_E_IO;
    }
    if (b->n_runs == b->cap_runs) {
        size_t nc = b->cap_runs ? 2 * b->cap_runs : 16;
        uint64_t *nr = realloc(b->run_len, nc * sizeof *nr);
        if (!nr) return HM_E_NOMEM;
        b->run_len = nr;
        b->cap_runs = nc;
    }
    if (fwrite(b->buf, sizeof *b->buf, b->n, b->spill) != b->n) return HM_E_IO;
    b->run_len[b->n_runs++] = b->n;
    b->n = 0;
    return HM_OK;
}

int hm_bh_add(hm_bh *b, double log10_p)
{
    if (!b) return HM_E_MISUSE;
    if (b->finished) return HM_E_STATE;
    if (isnan(log10_p) || log10_p > 0) log10_p = 0;
    if (b->n == b->run) {
        int st = bh_spill(b);
        if (st != HM_OK) return st;
    }
    b->buf[b->n++] = log10_p;
    b->m++;
    return HM_OK;
}

/* One sorted run being read back. */
typedef struct bh_cursor {
    uint64_t next, end; /* element offsets in the spill file */
    double buf[256];
    size_t pos, len;
    double head;
} bh_cursor;

static int cursor_fill(FILE *f, bh_cursor *c)
{
    size_t want;
    if (c->next >= c->end) return 0;
    want = (size_t)(c->end - c->next) < 256 ? (size_t)(c->end - c->next) : 256;
    if (fseek(f, (long)(c->next * sizeof(double)), SEEK_SET) != 0) return -1;
    if (fread(c->buf, sizeof(double), want, f) != want) return -1;
    c->next += want;
    c->pos = 0;
    c->len = want;
    return 1;
}

static void heap_down(bh_cursor **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        bh_cursor *tmp;
        if (l < n && h[l]->head < h[m]->head) m = l;
        if (r < n && h[r]->head < h[m]->head) m = r;
        if (m == i) return;
        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

int hm_bh_threshold(hm_bh *b, double q, double *log10_threshold, uint64_t *n_reject,
                    uint64_t *m)
{
    double lq, lm, thr = -INFINITY;
    uint64_t k = 0, kstar = 0;
    int st = HM_OK;
    if (!b || !log10_threshold || !n_reject || !m || !(q > 0) || q > 1) return HM_E_MISUSE;
    if (b->finished) return HM_E_STATE;
    b->finished = 1;
    lq = log10(q);
    lm = b->m ? log10((double)b->m) : 0;
    if (b->n_runs == 0) {
        size_t i;
        qsort(b->buf, b->n, sizeof *b->buf, cmp_double);
        for (i = 0; i < b->n; i++) {
            k = i + 1;
            if (b->buf[i] <= log10((double)k) + lq - lm) {
                kstar = k;
                thr = b->buf[i];
            }
        }
    } else {
        bh_cursor *cur, **heap;
        size_t i, nh = 0;
        uint64_t off = 0;
        st = bh_spill(b);
        if (st != HM_OK) return st;
        cur = calloc(b->n_runs, sizeof *cur);
        heap = calloc(b->n_runs, sizeof *heap);
        if (!cur || !heap) {
            free(cur);
            free(heap);
            return HM_E_NOMEM;
        }
        for (i = 0; i < b->n_runs && st == HM_OK; i++) {
            int r;
            cur[i].next = off;
            cur[i].end = off + b->run_len[i];
            off = cur[i].end;
            r = cursor_fill(b->spill, &cur[i]);
            if (r < 0) st = HM_E_IO;
            if (r > 0) {
                cur[i].head = cur[i].buf[0];
                heap[nh++] = &cur[i];
            }
        }
        for (i = nh; i-- > 0;) heap_down(heap, nh, i);
        while (st == HM_OK && nh > 0) {
            bh_cursor *c = heap[0];
            double v = c->head;
            k++;
            if (v <= log10((double)k) + lq - lm) {
                kstar = k;
                thr = v;
            }
            c->pos++;
            if (c->pos == c->len) {
                int r = cursor_fill(b->spill, c);
                if (r < 0) {
                    st = HM_E_IO;
                    break;
                }
                if (r == 0) {
                    heap[0] = heap[--nh];
                    if (nh) heap_down(heap, nh, 0);
                    continue;
                }
            }
            c->head = c->buf[c->pos];
            heap_down(heap, nh, 0);
        }
        free(cur);
        free(heap);
    }
    *log10_threshold = thr;
    *n_reject = kstar;
    *m = b->m;
    return st;
}
