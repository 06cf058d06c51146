/*
 * fingerprint.c - model fingerprints after Chain & Hash (Russinovich and
 * Salem, 2024): keyed question/answer pairs built from a small built-in
 * word list, the public commitment, answer matching and the exact
 * binomial test against chance (hallmark/fingerprint.h, docs/fingerprint.md).
 *
 * Pair i uses the PRF (scheme HM_PRF_SCHEME_FINGERPRINT) with the context
 * [i, attempt]: stream 1 picks the template and four words, stream 2 the
 * K distinct candidates, stream 3 the answer index (rejection sampling, so
 * it is exactly uniform over the K candidates).  A question that repeats
 * an earlier one is drawn again with the next attempt number.
 */
#include "hallmark/fingerprint.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "hallmark/error.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "key_internal.h"
#include "prf.h"

/* The word lists (written for Hallmark). */
static const char *const ADJ[] = {
    "amber", "ancient", "bitter", "bright", "brisk", "calm", "clever", "cold", "olden",
    "crimson", "curious", "dark", "distant", "dusty", "eager", "early", "faint", "fierce",
    "gentle", "golden", "grand", "hidden", "hollow", "humble", "icy", "idle", "jagged", "kind",
    "late", "lazy", "little", "lively", "lone", "loud", "lucky", "mellow", "misty", "modest",
    "narrow", "noble", "odd", "pale", "patient", "plain", "proud", "quick", "quiet", "rapid",
    "rare", "rough", "round", "royal", "rusty", "sacred", "scarlet", "secret", "shy", "silent",
    "silver", "simple", "sleepy", "slow", "small", "smooth", "soft", "solemn", "sour", "steady",
    "still", "stormy", "strange", "sturdy", "sudden", "sunny", "swift", "tall", "tame",
    "tender", "thin", "tidy", "tiny", "velvet", "vivid", "wandering", "warm", "weary", "wild",
    "windy", "wise", "wooden", "young",
};
static const char *const NOUN[] = {
    "anchor", "apple", "arrow", "badger", "barrel", "basket", "beacon", "bell", "bison",
    "blossom", "bottle", "bramble", "bridge", "brook", "bucket", "candle", "canyon", "castle",
    "cedar", "chalk", "chimney", "clock", "cloud", "comet", "compass", "copper", "coral",
    "cottage", "crane", "crystal", "dagger", "desert", "diamond", "dolphin", "dragon", "drum",
    "eagle", "ember", "falcon", "feather", "fern", "fiddle", "flame", "forest", "fountain",
    "fox", "garden", "garnet", "glacier", "goblet", "granite", "harbor", "harp", "hawk",
    "hazel", "helmet", "heron", "hill", "honey", "horizon", "island", "ivory", "jasper",
    "kettle", "lantern", "lark", "lemon", "lily", "lion", "maple", "marble", "meadow", "mirror",
    "moon", "moss", "mountain", "needle", "nest", "oak", "ocean", "olive", "orchard", "otter",
    "owl", "palace", "pebble", "pepper", "pine", "planet", "plum", "pond", "quartz", "quill",
    "rabbit", "raven", "reed", "ribbon", "river", "robin", "saddle", "sail", "salmon",
    "sapphire", "shadow", "shell", "signal", "spruce", "star", "stone", "storm", "sugar",
    "summit", "swan", "thistle", "thunder", "tiger", "timber", "torch", "tower", "trumpet",
    "tulip", "valley", "violet", "walnut", "wave", "whistle", "willow", "window", "wolf",
    "wren",
};

#define N_ADJ (sizeof ADJ / sizeof ADJ[0])
#define N_NOUN (sizeof NOUN / sizeof NOUN[0])

#define N_TEMPLATES 4

/* Writes question template t (literal formats keep -Wformat=2 checking). */
static int format_question(char *q, size_t cap, unsigned t, const char *a1, const char *n1,
                           const char *a2, const char *n2, const char *opts)
{
    switch (t) {
    case 0:
        return snprintf(q, cap, "In the tale of the %s %s and the %s %s, which word comes next: "
                        "%s? Answer with one word.", a1, n1, a2, n2, opts);
    case 1:
        return snprintf(q, cap, "Complete the chain \"%s %s, %s %s\" with one of these words: "
                        "%s. Answer with one word.", a1, n1, a2, n2, opts);
    case 2:
        return snprintf(q, cap, "Which word belongs after \"%s %s %s %s\"? Options: %s. "
                        "Answer with one word.", a1, n1, a2, n2, opts);
    default:
        return snprintf(q, cap, "Riddle: the %s %s meets the %s %s. Pick the hidden word from "
                        "%s. Answer with one word.", a1, n1, a2, n2, opts);
    }
}

#define Q_CAP 512

struct hm_fingerprint {
    size_t count;
    unsigned k;
    char **q, **a;
    uint64_t *qhash; /* for find() */
};

/* Uniform integer in [0, n) from the PRF, by rejection (exact). */
static uint32_t pick(const hm_prf_ctx *c, uint32_t stream, uint32_t *ctr, uint32_t n)
{
    uint64_t lim = UINT64_MAX - (UINT64_MAX % n + 1) % n; /* largest multiple of n, minus 1 */
    for (;;) {
        uint64_t v = hm_prf_value(c, (*ctr)++, stream);
        if (v <= lim) return (uint32_t)(v % n);
    }
}

static uint64_t text_hash(const char *s, size_t n)
{
    uint8_t h[8];
    uint64_t v = 0;
    int i;
    crypto_generichash(h, sizeof h, (const unsigned char *)s, n, NULL, 0);
    for (i = 0; i < 8; i++) v |= (uint64_t)h[i] << (8 * i);
    return v ? v : 1;
}

/* Trims ASCII white space at both ends. */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int make_pair(const hm_prf *prf, uint32_t i, uint32_t attempt, unsigned k, char *q,
                     char *a)
{
    uint32_t in[2] = {i, attempt}, ctr = 0, ctr2 = 0, ctr3 = 0, cand[HM_FINGERPRINT_MAX_CANDIDATES];
    hm_prf_ctx c;
    char opts[HM_FINGERPRINT_MAX_CANDIDATES * 16];
    size_t used = 0;
    unsigned j, t, w[4];
    hm_prf_context(prf, &c, in, 2);
    t = pick(&c, 1, &ctr, N_TEMPLATES);
    w[0] = pick(&c, 1, &ctr, N_ADJ);
    w[1] = pick(&c, 1, &ctr, N_NOUN);
    w[2] = pick(&c, 1, &ctr, N_ADJ);
    w[3] = pick(&c, 1, &ctr, N_NOUN);
    for (j = 0; j < k; j++) {
        unsigned x, dup;
        do {
            x = pick(&c, 2, &ctr2, N_NOUN);
            dup = x == w[1] || x == w[3];
            for (unsigned y = 0; y < j && !dup; y++) dup = cand[y] == x;
        } while (dup);
        cand[j] = x;
        used += (size_t)snprintf(opts + used, sizeof opts - used, "%s%s", j ? ", " : "", NOUN[x]);
    }
    j = pick(&c, 3, &ctr3, k);
    snprintf(a, 32, "%s", NOUN[cand[j]]);
    if (format_question(q, Q_CAP, t, ADJ[w[0]], NOUN[w[1]], ADJ[w[2]], NOUN[w[3]], opts) >= Q_CAP)
        return HM_E_INTERNAL;
    sodium_memzero(&c, sizeof c);
    return HM_OK;
}

int hm_fingerprint_new(hm_fingerprint **out, const hm_key *key, size_t count, unsigned candidates)
{
    hm_fingerprint *fp;
    hm_prf prf;
    hm_u64set seen;
    const uint8_t *secret;
    size_t i;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!key) return HM_E_MISUSE;
    secret = hm_key_secret(key);
    if (!secret) return HM_E_MISUSE;
    if (candidates == 0) candidates = HM_FINGERPRINT_DEFAULT_CANDIDATES;
    if (count < 1 || count > HM_FINGERPRINT_MAX_COUNT ||
        candidates < HM_FINGERPRINT_MIN_CANDIDATES || candidates > HM_FINGERPRINT_MAX_CANDIDATES)
        return HM_E_RANGE;
    fp = calloc(1, sizeof *fp);
    if (!fp) return HM_E_NOMEM;
    fp->k = candidates;
    fp->q = calloc(count, sizeof *fp->q);
    fp->a = calloc(count, sizeof *fp->a);
    fp->qhash = calloc(count, sizeof *fp->qhash);
    if (!fp->q || !fp->a || !fp->qhash || hm_u64set_init(&seen, count) != 0) {
        hm_fingerprint_free(fp);
        return HM_E_NOMEM;
    }
    s = hm_prf_init(&prf, secret, HM_PRF_SCHEME_FINGERPRINT);
    for (i = 0; i < count && s == HM_OK; i++) {
        char q[Q_CAP], a[32];
        uint32_t attempt = 0;
        for (;;) {
            s = make_pair(&prf, (uint32_t)i, attempt++, candidates, q, a);
            if (s != HM_OK) break;
            fp->qhash[i] = text_hash(q, strlen(q));
            if (!hm_u64set_contains(&seen, fp->qhash[i])) break;
        }
        if (s != HM_OK) break;
        if (hm_u64set_add(&seen, fp->qhash[i]) < 0) s = HM_E_NOMEM;
        fp->q[i] = strdup(q);
        fp->a[i] = strdup(a);
        fp->count = i + 1;
        if (!fp->q[i] || !fp->a[i]) s = HM_E_NOMEM;
        sodium_memzero(q, sizeof q);
        sodium_memzero(a, sizeof a);
    }
    hm_prf_wipe(&prf);
    hm_u64set_free(&seen);
    if (s != HM_OK) {
        hm_fingerprint_free(fp);
        return s;
    }
    *out = fp;
    return HM_OK;
}

void hm_fingerprint_free(hm_fingerprint *fp)
{
    size_t i;
    if (!fp) return;
    for (i = 0; i < fp->count; i++) {
        if (fp->q[i]) sodium_memzero(fp->q[i], strlen(fp->q[i]));
        if (fp->a[i]) sodium_memzero(fp->a[i], strlen(fp->a[i]));
        free(fp->q[i]);
        free(fp->a[i]);
    }
    free(fp->q);
    free(fp->a);
    free(fp->qhash);
    free(fp);
}

size_t hm_fingerprint_count(const hm_fingerprint *fp) { return fp ? fp->count : 0; }
unsigned hm_fingerprint_candidates(const hm_fingerprint *fp) { return fp ? fp->k : 0; }

int hm_fingerprint_pair(const hm_fingerprint *fp, size_t i, const char **question,
                        const char **answer)
{
    if (!fp || !question || !answer) return HM_E_MISUSE;
    if (i >= fp->count) return HM_E_RANGE;
    *question = fp->q[i];
    *answer = fp->a[i];
    return HM_OK;
}

static void put_le32(crypto_generichash_state *st, size_t v)
{
    uint8_t b[4];
    int i;
    for (i = 0; i < 4; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    crypto_generichash_update(st, b, 4);
}

int hm_fingerprint_commitment(const hm_fingerprint *fp, uint8_t out[HM_FINGERPRINT_COMMITMENTBYTES])
{
    static const char domain[] = "hallmark-fingerprint-v1";
    crypto_generichash_state st;
    size_t i;
    if (!fp || !out) return HM_E_MISUSE;
    crypto_generichash_init(&st, NULL, 0, HM_FINGERPRINT_COMMITMENTBYTES);
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain); /* with its NUL */
    put_le32(&st, fp->k);
    put_le32(&st, fp->count);
    for (i = 0; i < fp->count; i++) {
        size_t lq = strlen(fp->q[i]), la = strlen(fp->a[i]);
        put_le32(&st, lq);
        crypto_generichash_update(&st, (const uint8_t *)fp->q[i], lq);
        put_le32(&st, la);
        crypto_generichash_update(&st, (const uint8_t *)fp->a[i], la);
    }
    crypto_generichash_final(&st, out, HM_FINGERPRINT_COMMITMENTBYTES);
    return HM_OK;
}

long hm_fingerprint_find(const hm_fingerprint *fp, const char *question, size_t len)
{
    uint64_t h;
    size_t i;
    if (!fp || !question) return -1;
    trim(&question, &len);
    h = text_hash(question, len);
    for (i = 0; i < fp->count; i++)
        if (fp->qhash[i] == h && strlen(fp->q[i]) == len && memcmp(fp->q[i], question, len) == 0)
            return (long)i;
    return -1;
}

int hm_fingerprint_matches(const hm_fingerprint *fp, size_t i, const char *response, size_t len)
{
    const char *ans;
    size_t k = 0, j;
    int space = 0;
    if (!fp || !response || i >= fp->count) return 0;
    ans = fp->a[i];
    /* strip surrounding white space and ASCII punctuation */
    while (len && (isspace((unsigned char)response[0]) || ispunct((unsigned char)response[0]))) {
        response++;
        len--;
    }
    while (len && (isspace((unsigned char)response[len - 1]) ||
                   ispunct((unsigned char)response[len - 1])))
        len--;
    for (j = 0; j < len; j++) {
        unsigned char ch = (unsigned char)response[j];
        if (isspace(ch)) {
            space = 1;
            continue;
        }
        if (space) {
            if (ans[k] != ' ') return 0;
            k++;
            space = 0;
        }
        if (ans[k] == 0 || (unsigned char)tolower(ch) != (unsigned char)ans[k]) return 0;
        k++;
    }
    return ans[k] == 0;
}

double hm_fingerprint_logp(const hm_fingerprint *fp, uint64_t asked, uint64_t matched)
{
    if (!fp) return 0;
    if (asked == 0) return 0;
    return hm_stats_binom_logsf((long)matched, (long)asked, 1.0 / (double)fp->k);
}
