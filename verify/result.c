/*
 * result.c - the rules shared by every writer and reader of results
 * (hallmark/result.h): the checks a result passes before a report is built
 * from it, and the JSON number of a p-value.
 */
#include "hallmark/result.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hallmark/error.h"

/* A field name for a message: printable ASCII only, at most 40 bytes. */
static const char *safe_name(const char *s, char *buf, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; s && s[i] && o + 2 < cap && i < 40; i++)
        buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') ? s[i] : '?';
    buf[o] = 0;
    return buf;
}

static int is_count(const cJSON *c)
{
    return cJSON_IsString(c) && c->valuestring[0] &&
           strspn(c->valuestring, "0123456789") == strlen(c->valuestring) &&
           strlen(c->valuestring) <= 20;
}

static int is_key_id(const cJSON *c)
{
    return cJSON_IsString(c) && c->valuestring[0] && strlen(c->valuestring) <= 40 &&
           strspn(c->valuestring, "0123456789abcdefghijklmnopqrstuvwxyz:") ==
               strlen(c->valuestring);
}

/* why = before + name (made safe) + after; returns HM_E_FORMAT. */
static int fail(char *why, size_t cap, const char *before, const char *name, const char *after)
{
    char nb[48];
    if (why && cap) snprintf(why, cap, "%s%s%s", before, safe_name(name, nb, sizeof nb), after);
    return HM_E_FORMAT;
}

/* The types of known fields, at any depth. */
static int check_fields(const cJSON *o, int depth, char *why, size_t cap)
{
    const cJSON *c;
    if (depth > 32) return fail(why, cap, "nested deeper than 32 levels", "", "");
    for (c = o->child; c; c = c->next) {
        const char *n = c->string ? c->string : "";
        if (cJSON_IsNumber(c) && !isfinite(c->valuedouble))
            return fail(why, cap, "field ", n, " is not a finite number");
        if ((strcmp(n, "log10_p") == 0 || strcmp(n, "ln_p") == 0) &&
            (!cJSON_IsNumber(c) || c->valuedouble > 1e-9))
            return fail(why, cap, "field ", n, " is not a number <= 0");
        if ((strcmp(n, "key_id") == 0 || strcmp(n, "master_key_id") == 0) && !is_key_id(c))
            return fail(why, cap, "field ", n, " is not a key id");
        if ((strcmp(n, "n_scored") == 0 || strcmp(n, "n_tokens") == 0) && !is_count(c))
            return fail(why, cap, "field ", n, " is not a count (a decimal string)");
        if ((cJSON_IsObject(c) || cJSON_IsArray(c))) {
            int s = check_fields(c, depth + 1, why, cap);
            if (s != HM_OK) return s;
        }
    }
    return HM_OK;
}

static int check(const cJSON *r, char *why, size_t cap)
{
    static const struct {
        const char *type, *headline, *in;
    } known[] = {{"scan", "log10_p", "corpus"},
                 {"radioactivity", "log10_p", "main"},
                 {"trace", "n_accounts", NULL},
                 {"payload-decode", "log10_p", NULL},
                 {"fingerprint-verify", "log10_p", NULL}};
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "type");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r, "result_format");
    const cJSON *h;
    size_t i;
    if (!cJSON_IsObject(r)) return fail(why, cap, "not a JSON object", "", "");
    if (f && !(cJSON_IsString(f) && strcmp(f->valuestring, HM_RESULT_FORMAT) == 0))
        return fail(why, cap, "result_format is not " HM_RESULT_FORMAT, "", "");
    if (!t) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "scheme")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "test")) ||
            !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "log10_p")))
            return fail(why, cap, "no \"type\", and not a detect result (scheme, test, log10_p)",
                    "", "");
        return check_fields(r, 0, why, cap);
    }
    if (!cJSON_IsString(t)) return fail(why, cap, "\"type\" is not a string", "", "");
    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(t->valuestring, known[i].type) == 0) break;
    if (i == sizeof known / sizeof known[0])
        return fail(why, cap, "unknown type ", t->valuestring,
                    " (valid: scan, radioactivity, trace, payload-decode, fingerprint-verify, or "
                    "a detect result)");
    h = known[i].in ? cJSON_GetObjectItemCaseSensitive(r, known[i].in) : r;
    h = cJSON_GetObjectItemCaseSensitive(h, known[i].headline);
    if (!h || cJSON_IsNull(h))
        return fail(why, cap, "a ", known[i].type, " result without its headline statistic");
    return check_fields(r, 0, why, cap);
}

int hm_result_check(const char *json, size_t len, char *why, size_t cap)
{
    cJSON *r;
    int s;
    if (why && cap) why[0] = 0;
    if (!json) return HM_E_MISUSE;
    r = cJSON_ParseWithLength(json, len);
    if (!r) return fail(why, cap, "not JSON", "", "");
    s = check(r, why, cap);
    cJSON_Delete(r);
    return s;
}

int hm_result_p(double ln_p, double *p)
{
    if (!p || isnan(ln_p)) return HM_E_MISUSE;
    if (ln_p > 0) {
        *p = 1;
        return HM_OK;
    }
    if (ln_p < log(DBL_MIN)) {
        *p = 0;
        return HM_E_RANGE;
    }
    *p = exp(ln_p);
    return HM_OK;
}
