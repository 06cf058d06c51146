/*
 * tok_json.c - reading the two large members of a tokenizer.json
 * (model.vocab and model.merges) one entry at a time.  A light scan locates
 * both values; cJSON then parses a skeleton of the file with them emptied
 * and, entry by entry, the entries themselves, so the full tree of a large
 * vocabulary (a million small allocations) is never built.  Any text the
 * scan does not recognise makes the caller parse the whole file instead.
 */
#include "tok_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* cJSON's whitespace: every byte up to and including the space. */
static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (unsigned char)*p <= 32) p++;
    return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Just past the value at p, or NULL. */
static const char *skip_value(const char *p, const char *e)
{
    const char *s = p;
    size_t depth = 0;
    if (p >= e) return NULL;
    if (*p == '"') return skip_string(p, e);
    if (*p != '{' && *p != '[') {
        while (p < e && (unsigned char)*p > 32 && *p != ',' && *p != '}' && *p != ']') p++;
        return p > s ? p : NULL;
    }
    while (p < e) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, e);
            if (!p) return NULL;
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if ((c == '}' || c == ']') && --depth == 0) return p + 1;
        p++;
    }
    return NULL;
}

/* Just past the container at p ('{' or '['), with *n its entry count. */
static const char *skip_counting(const char *p, const char *e, size_t *n)
{
    size_t depth = 0, commas = 0;
    const char *q = skip_ws(p + 1, e);
    int empty = q < e && (*q == '}' || *q == ']');
    while (p < e) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, e);
            if (!p) return NULL;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                *n = empty ? 0 : commas + 1;
                return p + 1;
            }
        } else if (c == ',' && depth == 1) {
            commas++;
        }
        p++;
    }
    return NULL;
}

/* Walks the object at p: at the root (level 0) into the first "model"
 * member, there (level 1) recording "vocab" and "merges".  Keys with
 * escapes or a repeated wanted key make the scan give up (NULL); else just
 * past the object. */
static const char *walk_object(const char *p, const char *e, int level,
                               struct tok_json_spans *sp, int *seen)
{
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return NULL;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') return p + 1;
    for (;;) {
        const char *ks = p, *kend, *v;
        size_t kl;
        if (p >= e || *p != '"') return NULL;
        kend = skip_string(p, e);
        if (!kend || memchr(ks, '\\', (size_t)(kend - ks))) return NULL;
        kl = (size_t)(kend - ks) - 2;
        p = skip_ws(kend, e);
        if (p >= e || *p != ':') return NULL;
        v = skip_ws(p + 1, e);
        if (level == 0 && kl == 5 && memcmp(ks + 1, "model", 5) == 0) {
            if (seen[0]++) return NULL;
            p = walk_object(v, e, 1, sp, seen);
        } else if (level == 1 && kl == 5 && memcmp(ks + 1, "vocab", 5) == 0) {
            if (seen[1]++ || v >= e || *v != '{') return NULL;
            sp->vocab_b = v;
            p = sp->vocab_e = skip_counting(v, e, &sp->nvocab);
        } else if (level == 1 && kl == 6 && memcmp(ks + 1, "merges", 6) == 0) {
            if (seen[2]++ || v >= e || *v != '[') return NULL;
            sp->merges_b = v;
            p = sp->merges_e = skip_counting(v, e, &sp->nmerges);
        } else {
            p = skip_value(v, e);
        }
        if (!p) return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == '}') return p + 1;
        if (p >= e || *p != ',') return NULL;
        p = skip_ws(p + 1, e);
    }
}

int tok_json_split(const char *d, size_t n, struct tok_json_spans *sp, char **skel,
                   size_t *skel_len)
{
    const char *e = d + n, *vb[2], *ve[2], *first, *second;
    const char *fill_first, *fill_second;
    int seen[3] = {0, 0, 0};
    char *s;
    size_t w;
    *skel = NULL;
    memset(sp, 0, sizeof *sp);
    if (!walk_object(d, e, 0, sp, seen) || !seen[1] || !seen[2]) return 0;
    vb[0] = sp->vocab_b;
    ve[0] = sp->vocab_e;
    vb[1] = sp->merges_b;
    ve[1] = sp->merges_e;
    first = vb[0] < vb[1] ? vb[0] : vb[1];
    second = vb[0] < vb[1] ? vb[1] : vb[0];
    fill_first = first == vb[0] ? "{}" : "[]";
    fill_second = first == vb[0] ? "[]" : "{}";
    s = malloc(n - (size_t)(ve[0] - vb[0]) - (size_t)(ve[1] - vb[1]) + 5);
    if (!s) return -1;
    w = (size_t)(first - d);
    memcpy(s, d, w);
    memcpy(s + w, fill_first, 2);
    w += 2;
    first = first == vb[0] ? ve[0] : ve[1];
    memcpy(s + w, first, (size_t)(second - first));
    w += (size_t)(second - first);
    memcpy(s + w, fill_second, 2);
    w += 2;
    second = second == vb[0] ? ve[0] : ve[1];
    memcpy(s + w, second, (size_t)(e - second));
    w += (size_t)(e - second);
    s[w] = 0;
    *skel = s;
    *skel_len = w;
    return 1;
}

void tok_json_iter_tree(struct tok_json_iter *it, const cJSON *container)
{
    memset(it, 0, sizeof *it);
    it->cur = container ? container->child : NULL;
}

void tok_json_iter_stream(struct tok_json_iter *it, const char *b, const char *e)
{
    memset(it, 0, sizeof *it);
    it->stream = 1;
    it->object = *b == '{';
    it->p = b + 1;
    it->end = e - 1; /* the closing bracket */
}

void tok_json_iter_done(struct tok_json_iter *it)
{
    cJSON_Delete(it->k);
    cJSON_Delete(it->v);
    it->k = it->v = NULL;
}

/* One value at p (never a byte-order mark: cJSON would skip one). */
static cJSON *parse_one(struct tok_json_iter *it)
{
    const char *end = NULL;
    cJSON *v;
    it->p = skip_ws(it->p, it->end);
    if (it->p >= it->end || !strchr("\"-0123456789tfn[{", *it->p)) return NULL;
    v = cJSON_ParseWithLengthOpts(it->p, (size_t)(it->end - it->p), &end, 0);
    if (v) it->p = end;
    return v;
}

int tok_json_next(struct tok_json_iter *it, const char **key, const cJSON **val)
{
    if (!it->stream) {
        if (!it->cur) return 0;
        *val = it->cur;
        *key = it->cur->string;
        it->cur = it->cur->next;
        return 1;
    }
    tok_json_iter_done(it);
    it->p = skip_ws(it->p, it->end);
    if (it->p >= it->end) return 0;
    if (it->started) {
        if (*it->p != ',') goto bad;
        it->p++;
    }
    it->started = 1;
    if (it->object) {
        it->k = parse_one(it);
        if (!it->k || !cJSON_IsString(it->k)) goto bad;
        it->p = skip_ws(it->p, it->end);
        if (it->p >= it->end || *it->p != ':') goto bad;
        it->p++;
        *key = it->k->valuestring;
    } else {
        *key = NULL;
    }
    it->v = parse_one(it);
    if (!it->v) goto bad;
    *val = it->v;
    return 1;
bad:
    it->bad = 1;
    tok_json_iter_done(it);
    return 0;
}
