/*
 * calib_radio.h - radioactivity under H0: a set of human documents (never
 * watermarked) is given to `hm_radio_*` as suspect completions (the first
 * `n_prompt` tokens of each document as its prompt), under a fresh key; the
 * main and control p-values must then be valid p-values.  Shared by
 * tests/test_radio_h0.c and tests/calibrate.c.  Header-only.
 */
#ifndef HM_TEST_CALIB_RADIO_H
#define HM_TEST_CALIB_RADIO_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calib_rows.h"
#include "hallmark.h"

typedef struct calib_radio_cfg {
    const char *label;
    const char *scheme;
    const char *params[4];
    size_t np;
} calib_radio_cfg;

/* Every native scheme and seeding (interop schemes are refused by
 * hm_radio_new: their engine key is a parameter, so no control key can be
 * derived from ours). */
static const calib_radio_cfg CALIB_RADIO_CFGS[] = {
    {"kgw-selfhash", "kgw", {"seeding=selfhash"}, 1},
    {"kgw-lefthash", "kgw", {"seeding=lefthash", "h=1"}, 2},
    {"kgw-lefthash-h4", "kgw", {"seeding=lefthash", "h=4"}, 2},
    {"unigram", "unigram", {NULL}, 0},
    {"gumbel", "gumbel", {NULL}, 0},
};
#define CALIB_N_RADIO_CFGS (sizeof CALIB_RADIO_CFGS / sizeof CALIB_RADIO_CFGS[0])

/* splitmix64: keys and randomization from a fixed seed. */
static inline uint64_t calib_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline double calib_unit(uint64_t *s)
{
    return ((double)(calib_splitmix(s) >> 11) + 0.5) * 0x1.0p-53;
}

/* The u of a radioactivity result for the KS test: p itself (gamma test)
 * or the randomized PIT of the binomial count. */
static inline double calib_radio_u(const hm_detect_result *r, uint64_t *rs)
{
    if (r->test == HM_TEST_KIND_BINOMIAL) {
        long x = (long)r->score, n = (long)r->trials;
        double gt = x + 1 > n ? -INFINITY : hm_stats_binom_logsf(x + 1, n, r->null_param);
        return calib_randomized_u(r->ln_p, gt, calib_unit(rs));
    }
    return exp(r->ln_p);
}

/* One radioactivity run under a key made from *ks: n_docs documents of
 * doc_len tokens starting at ids (the first n_prompt of each are its
 * prompt).  Fills main/control results and the stats.  Returns a status. */
static inline int calib_radio_run(const calib_radio_cfg *cfg, const uint32_t *ids, size_t doc_len,
                                  size_t n_docs, size_t n_prompt, uint64_t *ks,
                                  hm_detect_result *main_res, hm_detect_result *ctrl_res,
                                  hm_radio_stats *stats)
{
    uint8_t secret[32];
    hm_key *key = NULL;
    hm_radio *r = NULL;
    hm_radio_options ro;
    size_t i;
    int st;
    for (i = 0; i < 4; i++) {
        uint64_t w = calib_splitmix(ks);
        size_t b;
        for (b = 0; b < 8; b++) secret[i * 8 + b] = (uint8_t)(w >> (8 * b));
    }
    st = hm_key_from_bytes(secret, 1700000000u, &key);
    memset(secret, 0, sizeof secret);
    memset(&ro, 0, sizeof ro);
    ro.partitions = 64;
    if (st == HM_OK) st = hm_radio_new(&r, cfg->scheme, key, cfg->params, cfg->np, &ro, NULL);
    for (i = 0; st == HM_OK && i < n_docs; i++) {
        const uint32_t *doc = ids + i * doc_len;
        if (n_prompt) st = hm_radio_add_prompt(r, doc, n_prompt);
        if (st == HM_OK)
            st = hm_radio_add_output(r, doc, n_prompt, doc + n_prompt, doc_len - n_prompt);
    }
    if (st == HM_OK) st = hm_radio_finish(r, stats);
    if (st == HM_OK) st = hm_radio_test(r, stats, main_res, ctrl_res);
    hm_radio_free(r);
    hm_key_free(key);
    return st;
}

/* n_keys runs of calib_radio_run (keys from `seed`): rows[0] (main) and
 * rows[1] (control) receive p and u, tiny[] counts p <= 1e-6, name[] the
 * row names.  The caller reports and frees the rows.  Returns a status. */
static inline int calib_radio_rows(const calib_radio_cfg *cfg, const uint32_t *ids,
                                   size_t doc_len, size_t n_docs, size_t n_prompt, size_t n_keys,
                                   uint64_t seed, const char *corpus_name, calib_row rows[2],
                                   long tiny[2], char name[2][160])
{
    uint64_t ks = seed, rs = seed ^ 0xabcdef00u;
    size_t k;
    int kind;
    for (kind = 0; kind < 2; kind++) {
        calib_row_init(&rows[kind]);
        tiny[kind] = 0;
        snprintf(name[kind], 160, "radioactivity/%s/%s/docs=%zu/%s", cfg->label, corpus_name,
                 n_docs, kind ? "control" : "main");
    }
    for (k = 0; k < n_keys; k++) {
        hm_detect_result m, cr;
        hm_radio_stats rst;
        int st = calib_radio_run(cfg, ids, doc_len, n_docs, n_prompt, &ks, &m, &cr, &rst);
        if (st != HM_OK) return st;
        if (rst.n_kept == 0 || rst.n_kept_control == 0) return HM_E_INTERNAL;
        tiny[0] += m.log10_p <= -6;
        tiny[1] += cr.log10_p <= -6;
        if (calib_row_add(&rows[0], exp(m.ln_p), calib_radio_u(&m, &rs)) != 0 ||
            calib_row_add(&rows[1], exp(cr.ln_p), calib_radio_u(&cr, &rs)) != 0)
            return HM_E_NOMEM;
    }
    return HM_OK;
}

#endif /* HM_TEST_CALIB_RADIO_H */
