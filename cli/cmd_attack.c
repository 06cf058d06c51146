/*
 * cmd_attack.c - `hallmark attack`: the edits an adversary makes to a marked
 * text, applied deterministically (--seed) for robustness measurements
 * (docs/robustness.md, `make robustness`).  Word-level edits (deletion,
 * WordNet synonym substitution, insertion, adjacent swaps, typos), copy-paste
 * into human text, truncation, and scrubs that change no word (spaces,
 * zero-width and other format characters, homoglyphs, fullwidth forms, case
 * and punctuation).  Synonyms come from WordNet 3.0's data files
 * (/usr/share/wordnet, Debian wordnet-base), read at run time.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define WORDNET_DIR "/usr/share/wordnet"

struct attack_type {
    const char *name;
    double default_rate;
    const char *help;
};

static const struct attack_type TYPES[] = {
    {"delete", 0.3, "delete a fraction R of the words"},
    {"substitute", 0.3, "replace a fraction R of the words with a WordNet synonym"},
    {"insert", 0.3, "insert R x (number of words) words taken from the text itself"},
    {"swap", 0.3, "swap a fraction R of the words with their right neighbour"},
    {"typo", 0.3, "one typo (drop, double, swap or replace a letter) in a fraction R of the words"},
    {"copy-paste", 0.1, "embed the text as a fraction R of a human document (--human FILE)"},
    {"truncate", 0.5, "keep the first fraction R of the words"},
    {"case", 0.5, "change the case of a fraction R of the words (upper, lower, title)"},
    {"punctuation", 0.5, "delete or change a fraction R of the punctuation marks"},
    {"nbsp", 1.0, "replace a fraction R of the spaces with U+00A0 NO-BREAK SPACE"},
    {"unicode-spaces", 1.0, "replace a fraction R of the spaces with other Unicode spaces or a tab"},
    {"double-space", 1.0, "double a fraction R of the spaces"},
    {"line-breaks", 0.2, "replace a fraction R of the spaces with CR LF, U+2028 or U+0085"},
    {"zero-width", 1.0, "insert a zero-width character (U+200B/C/D, U+2060, U+FEFF) in a fraction R of the words"},
    {"soft-hyphen", 1.0, "insert U+00AD SOFT HYPHEN in a fraction R of the words"},
    {"format", 1.0, "insert another invisible format character (bidi marks, invisible operators, variation selectors, tags) in a fraction R of the words"},
    {"homoglyph", 1.0, "replace one letter of a fraction R of the words with a Cyrillic or Greek look-alike"},
    {"fullwidth", 1.0, "replace one letter of a fraction R of the words with its fullwidth form"},
    {"combining", 1.0, "insert U+034F COMBINING GRAPHEME JOINER after one letter of a fraction R of the words"},
};
#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

static void usage(FILE *out)
{
    size_t i;
    fprintf(out,
"Usage: hallmark attack --type T [--rate R] [--seed S] [--human FILE] [FILE|-]\n"
"\n"
"Applies an attack to a text (FILE or standard input) and prints the attacked\n"
"text.  Deterministic: the same --seed (default 1) gives the same output.\n"
"Words are the text's runs of non-space characters; separators are kept.\n"
"\n"
"Types (default rate in brackets):\n");
    for (i = 0; i < N_TYPES; i++)
        fprintf(out, "  %-16s [%g] %s\n", TYPES[i].name, TYPES[i].default_rate, TYPES[i].help);
    fprintf(out,
"\n"
"  --rate R        in [0, 1]\n"
"  --seed S        an integer (default 1)\n"
"  --human FILE    copy-paste: the human text the marked text is pasted into (the\n"
"                  human part starts at a seed-dependent word of FILE)\n"
"  --wordnet DIR   substitute: WordNet's data files (default " WORDNET_DIR ")\n"
"  --stats         print what was changed on standard error\n"
"  --jsonl         the input is JSON lines: the string field --field F (default\n"
"                  \"text\") of each object is attacked, with seed S + line - 1\n"
"Exit status: 0, or 2 on bad input.\n");
}

/* ---- deterministic randomness (splitmix64) -------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static size_t rng_below(uint64_t *s, size_t n) { return n ? (size_t)(rng_next(s) % n) : 0; }

/* ---- a growable byte buffer ------------------------------------------------ */

struct buf {
    char *p;
    size_t n, cap;
    int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        char *np;
        while (c < b->n + n + 1) c *= 2;
        np = realloc(b->p, c);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* ---- words ---------------------------------------------------------------- */

/* text = sep[0] word[0] sep[1] word[1] ... sep[n] (sep may be empty). */
struct words {
    size_t n;
    size_t *ws, *we; /* word i: [ws, we) */
};

static int is_sp(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static int split_words(const char *t, size_t len, struct words *w)
{
    size_t i = 0, cap = 0;
    memset(w, 0, sizeof *w);
    while (i < len) {
        while (i < len && is_sp((unsigned char)t[i])) i++;
        if (i >= len) break;
        if (w->n == cap) {
            size_t c = cap ? cap * 2 : 1024;
            size_t *a = realloc(w->ws, c * sizeof *a), *b;
            if (!a) return HM_E_NOMEM;
            w->ws = a;
            b = realloc(w->we, c * sizeof *b);
            if (!b) return HM_E_NOMEM;
            w->we = b;
            cap = c;
        }
        w->ws[w->n] = i;
        while (i < len && !is_sp((unsigned char)t[i])) i++;
        w->we[w->n++] = i;
    }
    return HM_OK;
}

/* Picks round(rate * n) distinct indices of [0, n) (eligible[i] != 0 only,
 * when eligible is given); sel[i] = 1 for the chosen.  Returns the count. */
static size_t choose(uint64_t *rng, size_t n, const unsigned char *eligible, double rate,
                     unsigned char *sel)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx), m = 0, i, want;
    memset(sel, 0, n);
    if (!idx) return 0;
    for (i = 0; i < n; i++)
        if (!eligible || eligible[i]) idx[m++] = i;
    want = (size_t)llround(rate * (double)n);
    if (want > m) want = m;
    for (i = 0; i < want; i++) { /* partial Fisher-Yates */
        size_t j = i + rng_below(rng, m - i), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        sel[idx[i]] = 1;
    }
    free(idx);
    return want;
}

/* Byte length of the UTF-8 sequence starting with c (1 for invalid). */
static size_t u8len(unsigned char c)
{
    if (c < 0xC0) return 1;
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    return 4;
}

static int is_alpha_ascii(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* ---- WordNet synonyms ------------------------------------------------------- */

struct syn_entry {
    char *word;     /* lower case */
    uint32_t synset; /* index into synsets */
};
struct wordnet {
    struct syn_entry *tab; /* open addressing */
    size_t cap;
    char ***sets;   /* sets[k] = NULL-terminated words */
    size_t n_sets, cap_sets;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static struct syn_entry *wn_slot(struct wordnet *wn, const char *w)
{
    size_t i = (size_t)str_hash(w) & (wn->cap - 1);
    while (wn->tab[i].word && strcmp(wn->tab[i].word, w)) i = (i + 1) & (wn->cap - 1);
    return &wn->tab[i];
}

static void wn_free(struct wordnet *wn)
{
    size_t i;
    for (i = 0; i < wn->cap; i++) free(wn->tab[i].word);
    for (i = 0; i < wn->n_sets; i++) {
        char **p;
        for (p = wn->sets[i]; *p; p++) free(*p);
        free(wn->sets[i]);
    }
    free(wn->tab);
    free(wn->sets);
}

/* Reads data.{noun,verb,adj,adv}: each synset's one-word lemmas.  A word maps
 * to the first synset (in file order noun, verb, adj, adv) that has another
 * one-word lemma. */
static int wn_load(struct wordnet *wn, const char *dir)
{
    static const char *const files[] = {"data.noun", "data.verb", "data.adj", "data.adv"};
    size_t f, n_words = 0;
    memset(wn, 0, sizeof *wn);
    wn->cap = 1u << 18;
    wn->tab = calloc(wn->cap, sizeof *wn->tab);
    if (!wn->tab) return HM_E_NOMEM;
    for (f = 0; f < 4; f++) {
        char path[4096];
        unsigned char *data = NULL;
        size_t len = 0, pos = 0;
        int s;
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        s = cli_read_file(path, &data, &len);
        if (s != HM_OK) {
            cli_err("%s: cannot read WordNet (install wordnet-base or give --wordnet DIR)", path);
            return s;
        }
        while (pos < len) {
            const char *line = (const char *)data + pos, *nl = memchr(line, '\n', len - pos), *p;
            size_t ll = nl ? (size_t)(nl - line) : len - pos;
            char *words[64];
            int nw = 0, cnt, k;
            pos += ll + 1;
            if (ll < 20 || line[0] == ' ') continue;
            /* offset lex_filenum ss_type w_cnt(hex) word lex_id ... */
            p = line;
            for (k = 0; k < 3; k++) {
                p = memchr(p, ' ', ll - (size_t)(p - line));
                if (!p) break;
                p++;
            }
            if (!p) continue;
            cnt = (int)strtol(p, NULL, 16);
            p = memchr(p, ' ', ll - (size_t)(p - line));
            for (k = 0; p && k < cnt && nw < 64; k++) {
                const char *w = p + 1, *e = memchr(w, ' ', ll - (size_t)(w - line));
                size_t wl, j;
                int ok = 1;
                if (!e) break;
                wl = (size_t)(e - w);
                if (wl > 1 && w[wl - 1] == ')') { /* adjective markers: "(a)", "(p)", "(ip)" */
                    const char *o = memchr(w, '(', wl);
                    if (o) wl = (size_t)(o - w);
                }
                for (j = 0; j < wl; j++)
                    if (!is_alpha_ascii(w[j])) ok = 0;
                if (ok && wl >= 2) {
                    char *c = malloc(wl + 1);
                    if (!c) return HM_E_NOMEM;
                    for (j = 0; j < wl; j++) c[j] = (char)(w[j] | 0x20);
                    c[wl] = 0;
                    words[nw++] = c;
                }
                p = memchr(e + 1, ' ', ll - (size_t)(e + 1 - line)); /* skip lex_id */
            }
            if (nw >= 2) {
                char **set = malloc(((size_t)nw + 1) * sizeof *set);
                if (!set) return HM_E_NOMEM;
                if (wn->n_sets == wn->cap_sets) {
                    size_t c = wn->cap_sets ? wn->cap_sets * 2 : 4096;
                    char ***ns = realloc(wn->sets, c * sizeof *ns);
                    if (!ns) return HM_E_NOMEM;
                    wn->sets = ns;
                    wn->cap_sets = c;
                }
                for (k = 0; k < nw; k++) set[k] = words[k];
                set[nw] = NULL;
                wn->sets[wn->n_sets] = set;
                for (k = 0; k < nw; k++) {
                    struct syn_entry *e = wn_slot(wn, words[k]);
                    if (e->word) continue;
                    if (n_words * 2 >= wn->cap) continue; /* table full: keep the first */
                    e->word = strdup(words[k]);
                    if (!e->word) return HM_E_NOMEM;
                    e->synset = (uint32_t)wn->n_sets;
                    n_words++;
                }
                wn->n_sets++;
            } else {
                for (k = 0; k < nw; k++) free(words[k]);
            }
        }
        free(data);
    }
    return HM_OK;
}

/* A synonym of word (ASCII letters only, any case), or NULL. */
static const char *wn_synonym(struct wordnet *wn, const char *t, size_t len, uint64_t *rng)
{
    char low[64];
    struct syn_entry *e;
    char **set;
    size_t i, n = 0, pick;
    if (len < 3 || len >= sizeof low) return NULL;
    for (i = 0; i < len; i++) {
        if (!is_alpha_ascii(t[i])) return NULL;
        low[i] = (char)(t[i] | 0x20);
    }
    low[len] = 0;
    e = wn_slot(wn, low);
    if (!e->word) return NULL;
    set = wn->sets[e->synset];
    for (i = 0; set[i]; i++)
        if (strcmp(set[i], low)) n++;
    if (!n || !rng) return n ? set[0] : NULL;
    pick = rng_below(rng, n);
    for (i = 0; set[i]; i++)
        if (strcmp(set[i], low) && pick-- == 0) return set[i];
    return NULL;
}

/* ---- the attacks ------------------------------------------------------------ */

/* The core of a word: leading and trailing ASCII punctuation excluded. */
static void word_core(const char *t, size_t s, size_t e, size_t *cs, size_t *ce)
{
    while (s < e && !is_alpha_ascii(t[s]) && (unsigned char)t[s] < 0x80) s++;
    while (e > s && !is_alpha_ascii(t[e - 1]) && (unsigned char)t[e - 1] < 0x80) e--;
    *cs = s;
    *ce = e;
}

static const char *const HOMO_LAT = "aceopxyisjABCEHIJKMOPTXY";
static const char *const HOMO_REP[] = {
    "\xd0\xb0", "\xd1\x81", "\xd0\xb5", "\xd0\xbe", "\xd1\x80", "\xd1\x85", "\xd1\x83", "\xd1\x96",
    "\xd1\x95", "\xd1\x98", "\xce\x91", "\xce\x92", "\xd0\xa1", "\xce\x95", "\xce\x97", "\xce\x99",
    "\xd0\x88", "\xce\x9a", "\xce\x9c", "\xce\x9f", "\xce\xa1", "\xce\xa4", "\xce\xa7", "\xce\xa5"};

struct ctx {
    const char *t;
    size_t len;
    struct words w;
    uint64_t rng;
    double rate;
    struct buf out;
    size_t changed;
};

static void emit_sep(struct ctx *c, size_t i) /* the separator before word i (i == n: trailing) */
{
    size_t s = i == 0 ? 0 : c->w.we[i - 1], e = i < c->w.n ? c->w.ws[i] : c->len;
    put(&c->out, c->t + s, e - s);
}
static void emit_word(struct ctx *c, size_t i) { put(&c->out, c->t + c->w.ws[i], c->w.we[i] - c->w.ws[i]); }

/* Applies per-word edits to the chosen words; fn writes the edited word. */
typedef void (*word_fn)(struct ctx *c, size_t i);
static void w_delete(struct ctx *c, size_t i);

static int per_word(struct ctx *c, const unsigned char *eligible, word_fn fn)
{
    unsigned char *sel = malloc(c->w.n ? c->w.n : 1);
    size_t i;
    if (!sel) return HM_E_NOMEM;
    c->changed = choose(&c->rng, c->w.n, eligible, c->rate, sel);
    for (i = 0; i < c->w.n; i++) {
        if (!(sel[i] && fn == w_delete && i > 0)) emit_sep(c, i); /* a deleted word takes its space */
        if (sel[i]) fn(c, i);
        else emit_word(c, i);
    }
    emit_sep(c, c->w.n);
    free(sel);
    return HM_OK;
}

/* the position of the k-th (random) ASCII letter of word i, or SIZE_MAX */
static size_t pick_letter(struct ctx *c, size_t i, const char *set)
{
    size_t p, n = 0, k;
    for (p = c->w.ws[i]; p < c->w.we[i]; p++)
        if (is_alpha_ascii(c->t[p]) && (!set || strchr(set, c->t[p]))) n++;
    if (!n) return SIZE_MAX;
    k = rng_below(&c->rng, n);
    for (p = c->w.ws[i]; p < c->w.we[i]; p++)
        if (is_alpha_ascii(c->t[p]) && (!set || strchr(set, c->t[p])) && k-- == 0) return p;
    return SIZE_MAX;
}

static void w_delete(struct ctx *c, size_t i)
{
    (void)c;
    (void)i;
}

static struct wordnet *WN;
static void w_substitute(struct ctx *c, size_t i)
{
    size_t cs, ce;
    const char *syn;
    word_core(c->t, c->w.ws[i], c->w.we[i], &cs, &ce);
    syn = wn_synonym(WN, c->t + cs, ce - cs, &c->rng);
    put(&c->out, c->t + c->w.ws[i], cs - c->w.ws[i]);
    if (syn) {
        size_t k, l = strlen(syn);
        char tmp[64];
        int upper_all = ce - cs > 1 && c->t[cs] >= 'A' && c->t[cs] <= 'Z' && c->t[cs + 1] >= 'A' && c->t[cs + 1] <= 'Z';
        for (k = 0; k < l && k < sizeof tmp; k++)
            tmp[k] = upper_all || (k == 0 && c->t[cs] >= 'A' && c->t[cs] <= 'Z') ? (char)(syn[k] & ~0x20) : syn[k];
        put(&c->out, tmp, l);
    } else {
        put(&c->out, c->t + cs, ce - cs);
    }
    put(&c->out, c->t + ce, c->w.we[i] - ce);
}

static void w_insert(struct ctx *c, size_t i)
{
    size_t j = rng_below(&c->rng, c->w.n);
    emit_word(c, i);
    puts_(&c->out, " ");
    put(&c->out, c->t + c->w.ws[j], c->w.we[j] - c->w.ws[j]);
}

static void w_typo(struct ctx *c, size_t i)
{
    size_t p = pick_letter(c, i, NULL), s = c->w.ws[i], e = c->w.we[i];
    char ch;
    int kind = (int)rng_below(&c->rng, 4);
    if (p == SIZE_MAX) {
        emit_word(c, i);
        return;
    }
    put(&c->out, c->t + s, p - s);
    switch (kind) {
    case 0: break;                                  /* drop */
    case 1: put(&c->out, c->t + p, 1); put(&c->out, c->t + p, 1); break; /* double */
    case 2:                                         /* swap with the next letter */
        if (p + 1 < e && is_alpha_ascii(c->t[p + 1])) {
            put(&c->out, c->t + p + 1, 1);
            put(&c->out, c->t + p, 1);
            p++;
        } else {
            put(&c->out, c->t + p, 1);
        }
        break;
    default:                                        /* replace */
        ch = (char)('a' + rng_below(&c->rng, 26));
        put(&c->out, &ch, 1);
        break;
    }
    put(&c->out, c->t + p + 1, e - p - 1);
}

static void w_case(struct ctx *c, size_t i)
{
    size_t p;
    int kind = (int)rng_below(&c->rng, 3);
    for (p = c->w.ws[i]; p < c->w.we[i]; p++) {
        char ch = c->t[p];
        if (is_alpha_ascii(ch)) {
            if (kind == 0 || (kind == 2 && p == c->w.ws[i])) ch = (char)(ch & ~0x20);
            else ch = (char)(ch | 0x20);
        }
        put(&c->out, &ch, 1);
    }
}

static void w_insert_at_letter(struct ctx *c, size_t i, const char *ins, int middle)
{
    size_t s = c->w.ws[i], e = c->w.we[i], p;
    if (middle) {
        p = s + (e - s) / 2;
        while (p > s && ((unsigned char)c->t[p] & 0xC0) == 0x80) p--; /* not inside a character */
    } else {
        p = s + u8len((unsigned char)c->t[s]);
        if (p > e) p = e;
    }
    put(&c->out, c->t + s, p - s);
    puts_(&c->out, ins);
    put(&c->out, c->t + p, e - p);
}

static void w_zero_width(struct ctx *c, size_t i)
{
    static const char *const zw[] = {"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0",
                                     "\xef\xbb\xbf"};
    w_insert_at_letter(c, i, zw[rng_below(&c->rng, 5)], 0);
}
static void w_soft_hyphen(struct ctx *c, size_t i) { w_insert_at_letter(c, i, "\xc2\xad", 1); }
static void w_format(struct ctx *c, size_t i)
{
    static const char *const f[] = {"\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x81\xa2", "\xe2\x81\xa3",
                                    "\xef\xb8\x8f", "\xf3\xa0\x80\xa1", "\xe2\x80\xaa\xe2\x80\xac",
                                    "\xe1\xa0\x8e"};
    w_insert_at_letter(c, i, f[rng_below(&c->rng, 8)], 1);
}

static void w_homoglyph(struct ctx *c, size_t i)
{
    size_t p = pick_letter(c, i, HOMO_LAT), s = c->w.ws[i], e = c->w.we[i];
    if (p == SIZE_MAX) {
        emit_word(c, i);
        return;
    }
    put(&c->out, c->t + s, p - s);
    puts_(&c->out, HOMO_REP[strchr(HOMO_LAT, c->t[p]) - HOMO_LAT]);
    put(&c->out, c->t + p + 1, e - p - 1);
}

static void w_fullwidth(struct ctx *c, size_t i)
{
    size_t p = pick_letter(c, i, NULL), s = c->w.ws[i], e = c->w.we[i];
    unsigned cp;
    char b[3];
    if (p == SIZE_MAX) {
        emit_word(c, i);
        return;
    }
    cp = (unsigned char)c->t[p] + 0xFEE0u;
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    put(&c->out, c->t + s, p - s);
    put(&c->out, b, 3);
    put(&c->out, c->t + p + 1, e - p - 1);
}

static void w_combining(struct ctx *c, size_t i)
{
    /* U+034F COMBINING GRAPHEME JOINER after a letter: default-ignorable */
    size_t p = pick_letter(c, i, NULL), s = c->w.ws[i], e = c->w.we[i];
    if (p == SIZE_MAX) {
        emit_word(c, i);
        return;
    }
    put(&c->out, c->t + s, p + 1 - s);
    puts_(&c->out, "\xcd\x8f");
    put(&c->out, c->t + p + 1, e - p - 1);
}

/* Attacks on separators: for each single space chosen, fn writes a replacement. */
static int per_space(struct ctx *c, void (*fn)(struct ctx *c))
{
    size_t i, n = 0, k = 0;
    unsigned char *sel;
    for (i = 0; i < c->len; i++) n += c->t[i] == ' ';
    sel = malloc(n ? n : 1);
    if (!sel) return HM_E_NOMEM;
    c->changed = choose(&c->rng, n, NULL, c->rate, sel);
    for (i = 0; i < c->len; i++) {
        if (c->t[i] == ' ' && sel[k++]) fn(c);
        else put(&c->out, c->t + i, 1);
    }
    free(sel);
    return HM_OK;
}
static void s_nbsp(struct ctx *c) { puts_(&c->out, "\xc2\xa0"); }
static void s_double(struct ctx *c) { puts_(&c->out, "  "); }
static void s_unicode(struct ctx *c)
{
    static const char *const sp[] = {"\xe2\x80\x80", "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84",
                                     "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88",
                                     "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xaf", "\xe2\x81\x9f",
                                     "\xe3\x80\x80", "\t", "\xe1\x9a\x80"};
    puts_(&c->out, sp[rng_below(&c->rng, 15)]);
}
static void s_lines(struct ctx *c)
{
    static const char *const lb[] = {"\r\n", "\xe2\x80\xa8", "\xc2\x85"};
    puts_(&c->out, lb[rng_below(&c->rng, 3)]);
}

static int a_punctuation(struct ctx *c)
{
    static const char *const repl[] = {"", ",", ";", ".", ":", " -", "!"};
    size_t i, n = 0, k = 0;
    unsigned char *sel;
    for (i = 0; i < c->len; i++) n += strchr(",.;:!?'\"-()", c->t[i]) != NULL && c->t[i];
    sel = malloc(n ? n : 1);
    if (!sel) return HM_E_NOMEM;
    c->changed = choose(&c->rng, n, NULL, c->rate, sel);
    for (i = 0; i < c->len; i++) {
        if (c->t[i] && strchr(",.;:!?'\"-()", c->t[i]) && sel[k++])
            puts_(&c->out, repl[rng_below(&c->rng, 7)]);
        else
            put(&c->out, c->t + i, 1);
    }
    free(sel);
    return HM_OK;
}

static int a_swap(struct ctx *c)
{
    size_t *ord = malloc((c->w.n ? c->w.n : 1) * sizeof *ord), i;
    unsigned char *sel = malloc(c->w.n ? c->w.n : 1);
    if (!ord || !sel) {
        free(ord);
        free(sel);
        return HM_E_NOMEM;
    }
    for (i = 0; i < c->w.n; i++) ord[i] = i;
    c->changed = choose(&c->rng, c->w.n ? c->w.n - 1 : 0, NULL, c->rate, sel);
    for (i = 0; i + 1 < c->w.n; i++)
        if (sel[i]) {
            size_t t = ord[i];
            ord[i] = ord[i + 1];
            ord[i + 1] = t;
        }
    for (i = 0; i < c->w.n; i++) {
        emit_sep(c, i);
        emit_word(c, ord[i]);
    }
    emit_sep(c, c->w.n);
    free(ord);
    free(sel);
    return HM_OK;
}

static int a_truncate(struct ctx *c)
{
    size_t keep = (size_t)llround(c->rate * (double)c->w.n), end;
    if (keep == 0) return HM_OK;
    end = c->w.we[keep - 1];
    put(&c->out, c->t, end);
    c->changed = c->w.n - keep;
    if (keep < c->w.n || end < c->len) puts_(&c->out, "\n");
    return HM_OK;
}

static int a_copy_paste(struct ctx *c, const char *human_path)
{
    unsigned char *h = NULL;
    size_t hl = 0, nh, start, at, i, k;
    struct words hw;
    int s;
    if (!human_path) {
        cli_err("attack copy-paste needs --human FILE");
        return HM_E_MISUSE;
    }
    s = cli_read_file(human_path, &h, &hl);
    if (s != HM_OK) {
        cli_fail(s, human_path);
        return s;
    }
    s = split_words((const char *)h, hl, &hw);
    if (s != HM_OK || hw.n == 0) {
        if (s == HM_OK) cli_err("%s: no words", human_path);
        free(h);
        free(hw.ws);
        free(hw.we);
        return s == HM_OK ? HM_E_FORMAT : s;
    }
    if (c->rate <= 0) {
        nh = 0;
    } else {
        nh = (size_t)llround((double)c->w.n * (1.0 - c->rate) / c->rate);
    }
    start = rng_below(&c->rng, hw.n);
    at = rng_below(&c->rng, nh + 1); /* the marked text goes before human word `at` */
    for (i = 0; i <= nh; i++) {
        if (i == at) {
            if (i) puts_(&c->out, " ");
            put(&c->out, c->t + (c->w.n ? c->w.ws[0] : 0),
                c->w.n ? c->w.we[c->w.n - 1] - c->w.ws[0] : 0);
        }
        if (i == nh) break;
        k = (start + i) % hw.n;
        if (i || at == 0) puts_(&c->out, " ");
        put(&c->out, (const char *)h + hw.ws[k], hw.we[k] - hw.ws[k]);
    }
    puts_(&c->out, "\n");
    c->changed = nh;
    free(h);
    free(hw.ws);
    free(hw.we);
    return HM_OK;
}

/* Applies attack `type` to t[0..len) into C->out (C->rng seeded). */
static int apply(struct ctx *C, const char *type, const char *t, size_t len, const char *human,
                 struct wordnet *wn, const char *wndir)
{
    int s;
    C->t = t;
    C->len = len;
    C->out.n = 0;
    if (C->out.p) C->out.p[0] = 0;
    C->changed = 0;
    free(C->w.ws);
    free(C->w.we);
    if ((s = split_words(C->t, len, &C->w)) != HM_OK) return s;
    if (!strcmp(type, "delete")) s = per_word(C, NULL, w_delete);
    else if (!strcmp(type, "substitute")) {
        unsigned char *el = malloc(C->w.n ? C->w.n : 1);
        size_t i;
        if (!el) return HM_E_NOMEM;
        if (!wn->tab && (s = wn_load(wn, wndir)) != HM_OK) {
            free(el);
            return s;
        }
        WN = wn;
        for (i = 0; i < C->w.n; i++) {
            size_t cs, ce;
            word_core(C->t, C->w.ws[i], C->w.we[i], &cs, &ce);
            el[i] = wn_synonym(wn, C->t + cs, ce - cs, NULL) != NULL;
        }
        s = per_word(C, el, w_substitute);
        free(el);
    }
    else if (!strcmp(type, "insert")) s = per_word(C, NULL, w_insert);
    else if (!strcmp(type, "swap")) s = a_swap(C);
    else if (!strcmp(type, "typo")) s = per_word(C, NULL, w_typo);
    else if (!strcmp(type, "copy-paste")) s = a_copy_paste(C, human);
    else if (!strcmp(type, "truncate")) s = a_truncate(C);
    else if (!strcmp(type, "case")) s = per_word(C, NULL, w_case);
    else if (!strcmp(type, "punctuation")) s = a_punctuation(C);
    else if (!strcmp(type, "nbsp")) s = per_space(C, s_nbsp);
    else if (!strcmp(type, "unicode-spaces")) s = per_space(C, s_unicode);
    else if (!strcmp(type, "double-space")) s = per_space(C, s_double);
    else if (!strcmp(type, "line-breaks")) s = per_space(C, s_lines);
    else if (!strcmp(type, "zero-width")) s = per_word(C, NULL, w_zero_width);
    else if (!strcmp(type, "soft-hyphen")) s = per_word(C, NULL, w_soft_hyphen);
    else if (!strcmp(type, "format")) s = per_word(C, NULL, w_format);
    else if (!strcmp(type, "homoglyph")) s = per_word(C, NULL, w_homoglyph);
    else if (!strcmp(type, "fullwidth")) s = per_word(C, NULL, w_fullwidth);
    else if (!strcmp(type, "combining")) s = per_word(C, NULL, w_combining);
    if (s == HM_OK && C->out.oom) s = HM_E_NOMEM;
    if (s == HM_OK && !C->out.p) put(&C->out, "", 0);
    if (s == HM_OK && C->out.oom) s = HM_E_NOMEM;
    return s;
}

static void seed_rng(struct ctx *C, unsigned long long seed)
{
    C->rng = seed ^ 0x6A09E667F3BCC908ull;
    (void)rng_next(&C->rng);
}

/* --jsonl: each line an object; its `field` string is attacked with seed +
 * line number; other lines are copied and counted on stderr. */
static int run_jsonl(struct ctx *C, const char *type, const unsigned char *buf, size_t len,
                     const char *field, unsigned long long seed, const char *human,
                     struct wordnet *wn, const char *wndir)
{
    size_t pos = 0;
    unsigned long long line = 0, bad = 0;
    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, start = pos;
        cJSON *j = cJSON_ParseWithLength((const char *)buf + pos, end - pos), *f;
        int s;
        pos = end + 1;
        line++;
        f = j ? cJSON_GetObjectItemCaseSensitive(j, field) : NULL;
        if (!cJSON_IsString(f)) {
            if (end > start) bad++; /* empty lines are skipped silently */
            cJSON_Delete(j);
            continue;
        }
        seed_rng(C, seed + line - 1);
        s = apply(C, type, f->valuestring, strlen(f->valuestring), human, wn, wndir);
        if (s != HM_OK) {
            cJSON_Delete(j);
            return s;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(j, field, cJSON_CreateString(C->out.p));
        {
            char *txt = cJSON_PrintUnformatted(j);
            if (!txt) {
                cJSON_Delete(j);
                return HM_E_NOMEM;
            }
            if (fprintf(stdout, "%s\n", txt) < 0) {
                free(txt);
                cJSON_Delete(j);
                return HM_E_IO;
            }
            free(txt);
        }
        cJSON_Delete(j);
    }
    if (bad) cli_err("%llu line(s) without a string field \"%s\" skipped", bad, field);
    return HM_OK;
}

int cli_attack(int argc, char **argv)
{
    static const struct option lo[] = {
        {"type", required_argument, 0, 'T'},  {"rate", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 's'},  {"human", required_argument, 0, 'H'},
        {"wordnet", required_argument, 0, 'W'}, {"stats", no_argument, 0, 'S'},
        {"jsonl", no_argument, 0, 'J'},       {"field", required_argument, 0, 'F'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *type = NULL, *human = NULL, *wndir = WORDNET_DIR, *input = "-", *field = "text";
    int jsonl = 0;
    double rate = -1;
    unsigned long long seed = 1;
    int c, s = HM_OK, stats = 0, rc = CLI_ERROR;
    size_t ti;
    unsigned char *buf = NULL;
    size_t len = 0;
    struct ctx C;
    struct wordnet wn;
    char *end;
    memset(&C, 0, sizeof C);
    memset(&wn, 0, sizeof wn);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case 'T': type = optarg; break;
        case 'r':
            errno = 0;
            rate = strtod(optarg, &end);
            if (*end || errno || !(rate >= 0 && rate <= 1))
                return cli_usage_error("attack", "--rate takes a number in [0, 1]");
            break;
        case 's':
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (*end || errno || optarg[0] == '-')
                return cli_usage_error("attack", "--seed takes a non-negative integer");
            break;
        case 'H': human = optarg; break;
        case 'W': wndir = optarg; break;
        case 'S': stats = 1; break;
        case 'J': jsonl = 1; break;
        case 'F': field = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        case ':': return cli_usage_error("attack", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("attack", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!type) return cli_usage_error("attack", "--type is required (see --help for the list)");
    for (ti = 0; ti < N_TYPES; ti++)
        if (!strcmp(type, TYPES[ti].name)) break;
    if (ti == N_TYPES) return cli_usage_error("attack", "unknown --type '%s' (see --help for the list)", type);
    if (rate < 0) rate = TYPES[ti].default_rate;
    if (optind < argc - 1) return cli_usage_error("attack", "give at most one input file");
    if (optind < argc) input = argv[optind];
    s = cli_read_file(input, &buf, &len);
    if (s != HM_OK) return cli_fail(s, input);
    C.rate = rate;
    if (jsonl) {
        s = run_jsonl(&C, type, buf, len, field, seed, human, &wn, wndir);
        if (s != HM_OK) goto done;
        if (fflush(stdout) != 0) {
            cli_err("stdout: write error");
            goto done;
        }
        rc = CLI_OK;
        goto done;
    }
    seed_rng(&C, seed);
    if ((s = apply(&C, type, (const char *)buf, len, human, &wn, wndir)) != HM_OK) goto done;
    if (C.out.n && fwrite(C.out.p, 1, C.out.n, stdout) != C.out.n) {
        cli_err("stdout: write error");
        goto done;
    }
    if (fflush(stdout) != 0) {
        cli_err("stdout: write error");
        goto done;
    }
    if (stats)
        fprintf(stderr, "attack %s rate %g seed %llu: %zu words, %zu edited\n", type, rate, seed,
                C.w.n, C.changed);
    rc = CLI_OK;
done:
    if (s != HM_OK && s != HM_E_MISUSE && rc != CLI_OK) cli_fail(s, "attack");
    free(buf);
    free(C.w.ws);
    free(C.w.we);
    free(C.out.p);
    wn_free(&wn);
    WN = NULL;
    return rc;
}
