/*
 * scheme.c - the scheme registry and the "name=value" parameter parsers
 * that every scheme's init() uses.
 */
#include "scheme.h"

#include "hallmark/embed.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const hm_scheme_ops hm_scheme_kgw;
extern const hm_scheme_ops hm_scheme_unigram;
extern const hm_scheme_ops hm_scheme_gumbel;
extern const hm_scheme_ops hm_scheme_none;
extern const hm_scheme_ops hm_scheme_vllm;
extern const hm_scheme_ops hm_scheme_sglang;
extern const hm_scheme_ops hm_scheme_synthid;
extern const hm_scheme_ops hm_scheme_mpac;

static const hm_scheme_ops *const registry[] = {
    &hm_scheme_kgw,
    &hm_scheme_unigram,
    &hm_scheme_gumbel,
    &hm_scheme_none,
    &hm_scheme_vllm,
    &hm_scheme_sglang,
    &hm_scheme_synthid,
    &hm_scheme_mpac,
};

const hm_scheme_ops *hm_scheme_find(const char *name)
{
    size_t i;
    if (!name) return NULL;
    for (i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

const char *hm_scheme_names(void) { return "kgw, unigram, gumbel, mpac, synthid, vllm, sglang, none"; }

/* Returns the value part when param is "name=value", else NULL. */
static const char *match(const char *param, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(param, name, n) != 0 || param[n] != '=') return NULL;
    return param + n + 1;
}

int hm_param_double(const char *param, const char *name, double lo, double hi, double *out)
{
    const char *v = match(param, name);
    char *end;
    double d;
    if (!v) return 0;
    errno = 0;
    d = strtod(v, &end);
    if (end == v || *end != 0 || errno != 0 || !isfinite(d) || d < lo || d > hi) return -1;
    *out = d;
    return 1;
}

int hm_param_u64(const char *param, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const char *v = match(param, name);
    char *end;
    unsigned long long u;
    if (!v) return 0;
    if (*v == '-' || *v == '+' || *v == ' ' || *v == 0) return -1;
    errno = 0;
    u = strtoull(v, &end, 0);
    if (*end != 0 || errno != 0 || u < lo || u > hi) return -1;
    *out = (uint64_t)u;
    return 1;
}

int hm_param_str(const char *param, const char *name, char *out, size_t cap)
{
    const char *v = match(param, name);
    size_t n;
    if (!v) return 0;
    n = strlen(v);
    if (n == 0 || n >= cap) return -1;
    memcpy(out, v, n + 1);
    return 1;
}

const char *hm_scheme_list(void) { return hm_scheme_names(); }

const char *hm_scheme_params_doc(const char *scheme)
{
    const hm_scheme_ops *ops = hm_scheme_find(scheme);
    return ops ? ops->params_doc : NULL;
}
