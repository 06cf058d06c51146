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

/* Finds the members `names` of the object at p (first occurrences; keys
 * with escapes or a repeated wanted key make the scan give up: 0). */
static int find_members(const char *p, const char *e, const char *const *names, size_t nn,
                        const char **vb, const char **ve)
{
    size_t i;
    for (i = 0; i < nn; i++) vb[i] = ve[i] = NULL;
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return 0;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') return 1;
    for (;;) {
        const char *ks = p, *kend, *v;
        if (p >= e || *p != '"') return 0;
        kend = skip_string(p, e);
        if (!kend || memchr(ks, '\\', (size_t)(kend - ks))) return 0;
        p = skip_ws(kend, e);
        if (p >= e || *p != ':') return 0;
        v = skip_ws(p + 1, e);
        p = skip_value(v, e);
        if (!p) return 0;
        for (i = 0; i < nn; i++) {
            size_t L = strlen(names[i]);
            if ((size_t)(kend - ks) == L + 2 && memcmp(ks + 1, names[i], L) == 0) {
                if (vb[i]) return 0;
                vb[i] = v;
                ve[i] = p;
            }
        }
        p = skip_ws(p, e);
        if (p < e && *p == '}') return 1;
        if (p >= e || *p != ',') return 0;
        p = skip_ws(p + 1, e);
    }
}

/* Entries of the container [b, e): top-level commas + 1, or 0 if empty. */
static size_t count_entries(const char *b, const char *e)
{
    const char *p = skip_ws(b + 1, e - 1);
    size_t n = 1, depth = 0;
    if (p >= e - 1) return 0;
    for (; p < e - 1; p++) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, e) - 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 0) {
            n++;
        }
    }
    return n;
}

int tok_json_split(const char *d, size_t n, struct tok_json_spans *sp, char **skel,
                   size_t *skel_len)
{
    static const char *const root_names[] = {"model"};
    static const char *const model_names[] = {"vocab", "merges"};
    const char *e = d + n, *mb, *me, *vb[2], *ve[2], *first, *second;
    const char *fill_first, *fill_second;
    char *s;
    size_t w;
    *skel = NULL;
    if (!find_members(d, e, root_names, 1, &mb, &me) || !mb) return 0;
    if (!find_members(mb, me, model_names, 2, vb, ve) || !vb[0] || !vb[1]) return 0;
    if (*vb[0] != '{' || *vb[1] != '[') return 0;
    sp->vocab_b = vb[0];
    sp->vocab_e = ve[0];
    sp->merges_b = vb[1];
    sp->merges_e = ve[1];
    sp->nvocab = count_entries(vb[0], ve[0]);
    sp->nmerges = count_entries(vb[1], ve[1]);
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
