/*
 * testutil.c - helpers shared by the unit tests: Zipf-shaped logits and a
 * generation loop through the embedding API.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "embed_internal.h"
#include "hallmark/error.h"
#include "sampler.h"

/* Zipf-shaped logits over V with a context-dependent permutation, so
 * generated text varies (a stand-in for a language model). */
void hm_test_zipf_logits(float *lg, size_t V, uint64_t seed, double s)
{
    size_t i;
    hm_rng r;
    hm_rng_seed(&r, seed);
    for (i = 0; i < V; i++) lg[i] = (float)(-s * log((double)(i + 1)));
    for (i = V - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(hm_rng_next(&r) % (i + 1));
        float t = lg[i];
        lg[i] = lg[j];
        lg[j] = t;
    }
}

/* Generates n tokens with `scheme` (or plainly when scheme is NULL). */
int hm_test_generate(const char *scheme, const uint8_t *secret, const char *const *params,
                     size_t np, size_t V, size_t n, uint64_t seed, uint32_t *out)
{
    hm_embedder *e = NULL;
    hm_session *s = NULL;
    float *lg = malloc(V * sizeof *lg);
    size_t i;
    int st = HM_OK;
    hm_sampling sp = hm_sampling_default();
    hm_rng plain;
    hm_candset cs;
    if (!lg) return HM_E_NOMEM;
    if (scheme) {
        st = hm_embedder_new_secret(&e, scheme, secret, params, np, (uint32_t)V, NULL);
        if (st == HM_OK) st = hm_session_new(e, &s);
        if (st == HM_OK) hm_session_set_seed(s, seed);
    } else {
        st = hm_candset_alloc(&cs, V);
        hm_rng_seed(&plain, seed);
    }
    for (i = 0; i < n && st == HM_OK; i++) {
        uint64_t ctxseed = seed * 1000003u + (i ? out[i - 1] : 7u);
        hm_test_zipf_logits(lg, V, ctxseed, 1.1);
        if (scheme) {
            st = hm_session_sample(s, lg, V, &sp, &out[i], NULL);
            if (st == HM_OK) st = hm_session_accept(s, out[i]);
        } else {
            st = hm_candset_from_dense(&cs, lg, V, &sp);
            out[i] = hm_candset_sample_plain(&cs, &plain);
        }
    }
    if (!scheme) hm_candset_release(&cs);
    hm_session_free(s);
    hm_embedder_free(e);
    free(lg);
    return st;
}


int hm_vfile_open(hm_vfile *f, const char *rel)
{
    FILE *fp = fopen(hm_test_path(rel), "rb");
    long n;
    f->buf = NULL;
    f->cur = NULL;
    if (!fp) return -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return -1;
    }
    f->buf = malloc((size_t)n + 1);
    if (!f->buf || fread(f->buf, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        free(f->buf);
        f->buf = NULL;
        return -1;
    }
    fclose(fp);
    f->buf[n] = '\0';
    f->cur = f->buf;
    return 0;
}

char *hm_vfile_line(hm_vfile *f)
{
    while (f->cur && *f->cur) {
        char *line = f->cur, *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
            f->cur = nl + 1;
        } else {
            f->cur = line + strlen(line);
        }
        while (*line == ' ' || *line == '\t') line++;
        if (*line && *line != '#') return line;
    }
    return NULL;
}

void hm_vfile_close(hm_vfile *f) { free(f->buf); }

size_t hm_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
    while (tok && n < max) {
        fields[n++] = tok;
        tok = strtok_r(NULL, " \t\r", &save);
    }
    return n;
}

unsigned char *hm_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long n;
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}
