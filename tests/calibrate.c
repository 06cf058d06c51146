/*
 * calibrate.c - `make calibrate`: every command that prints a p-value, run
 * through the library under H0 on human text no sample model was trained
 * on (tests/data: prose, WordNet glosses, C source code, templated WordNet
 * records), with many fixed-seed keys.  One line per row (calib_rows.h):
 * n, the rate of p <= alpha at 1e-2 and 1e-3 with exact Clopper-Pearson
 * 99.9% intervals, a KS test where the values are exactly uniform under H0,
 * PASS/FAIL; then a summary line.  Exit status 1 when a row fails (rows
 * marked informative - deduplication off - are printed but not counted).
 *
 *   calibrate [--quick] [--data DIR] [--tokenizer FILE] [--only SUBSTRING]
 *
 * --quick (run by `make test` through tests/cli/test_calibrate.sh) uses
 * fewer documents and keys, with the same fixed seeds.  docs/calibration.md
 * holds the latest full table.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_corpus.h"
#include "calib_radio.h"
#include "calib_rows.h"
#include "detect_internal.h"
#include "hallmark.h"

#define DOC 256

typedef struct corpus {
    const char *name;
    uint32_t *ids;
    size_t n_docs;
} corpus;

typedef calib_radio_cfg det_cfg; /* label, scheme, params, np */

static const det_cfg NATIVE[] = {
    {"kgw-selfhash", "kgw", {"seeding=selfhash"}, 1},
    {"kgw-lefthash", "kgw", {"seeding=lefthash", "h=1"}, 2},
    {"unigram", "unigram", {NULL}, 0},
    {"gumbel", "gumbel", {NULL}, 0},
};
#define N_NATIVE (sizeof NATIVE / sizeof NATIVE[0])

static int g_quick, g_fail, g_pass, g_info;
static const char *g_only;

static int want(const char *row)
{
    return !g_only || strstr(row, g_only) != NULL;
}

static void report(const char *name, calib_row *r, int informative)
{
    int ok = calib_row_report(name, r, informative);
    if (informative) g_info++;
    else if (ok) g_pass++;
    else g_fail++;
    calib_row_free(r);
}

static void make_secret(uint64_t *ks, uint8_t secret[32])
{
    size_t i, b;
    for (i = 0; i < 4; i++) {
        uint64_t w = calib_splitmix(ks);
        for (b = 0; b < 8; b++) secret[i * 8 + b] = (uint8_t)(w >> (8 * b));
    }
}

static int new_det(const det_cfg *c, uint64_t *ks, hm_detector **d)
{
    uint8_t s[32];
    int st;
    make_secret(ks, s);
    st = hm_detector_new_secret(d, c->scheme, s, c->params, c->np, 0, NULL);
    memset(s, 0, sizeof s);
    return st;
}

static hm_key *new_key(uint64_t *ks)
{
    uint8_t s[32];
    hm_key *k = NULL;
    make_secret(ks, s);
    if (hm_key_from_bytes(s, 1700000000u, &k) != HM_OK) k = NULL;
    memset(s, 0, sizeof s);
    return k;
}

/* u for the KS test from a result: the randomized PIT of a binomial or
 * g-value count, p itself for the gamma tests. */
static double result_u(const hm_detect_result *r, uint64_t *rs)
{
    if (r->test == HM_TEST_KIND_BINOMIAL || r->test == HM_TEST_KIND_GVALUES) {
        long x = (long)r->score, n = (long)r->trials;
        double gt = x + 1 > n ? -INFINITY : hm_stats_binom_logsf(x + 1, n, r->null_param);
        return calib_randomized_u(r->ln_p, gt, calib_unit(rs));
    }
    return exp(r->ln_p);
}

/* ---- corpus ---------------------------------------------------------------- */

static int load(const char *dir, const char *file, const hm_tokenizer *tok, size_t max_bytes,
                corpus *c)
{
    char path[4096];
    calib_corpus cc;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (calib_read_ids(path, tok, max_bytes, &cc) != HM_OK) {
        fprintf(stderr, "calibrate: %s missing or unreadable (make deps builds the corpus)\n", path);
        return -1;
    }
    c->ids = cc.ids;
    c->n_docs = cc.n / DOC;
    return 0;
}

/* ---- detect (and scan's per-document test, which is the same exact test
 *      on the same deduplicated positions: checked by tests/cli/test_scan_equal.sh) */

static void rows_detect(const corpus *cs, size_t n_corpora, size_t reps)
{
    static const int policies[3] = {HM_DEDUP_TUPLE, HM_DEDUP_CONTEXT, HM_DEDUP_NONE};
    size_t ci, gi, pi, di, r;
    for (ci = 0; ci < N_NATIVE; ci++)
        for (gi = 0; gi < n_corpora; gi++)
            for (pi = 0; pi < 3; pi++) {
                char name[160];
                calib_row row;
                uint64_t ks = 1000 + 100 * ci + 10 * gi + pi, rs = ks ^ 0xfeedULL;
                snprintf(name, sizeof name, "detect/%s/%s/dedup=%s", NATIVE[ci].label,
                         cs[gi].name, hm_dedup_name(policies[pi]));
                if (!want(name)) continue;
                calib_row_init(&row);
                for (di = 0; di < cs[gi].n_docs; di++)
                    for (r = 0; r < reps; r++) {
                        hm_detector *d = NULL;
                        hm_detect_result res;
                        if (new_det(&NATIVE[ci], &ks, &d) != HM_OK ||
                            hm_detector_set_dedup(d, policies[pi]) != HM_OK ||
                            hm_detect(d, NULL, 0, cs[gi].ids + di * DOC, DOC, &res, NULL) != HM_OK) {
                            hm_detector_free(d);
                            continue;
                        }
                        hm_detector_free(d);
                        if (res.n_scored == 0) continue;
                        (void)calib_row_add(&row, exp(res.ln_p), result_u(&res, &rs));
                    }
                report(name, &row, policies[pi] == HM_DEDUP_NONE);
            }
}

/* ---- several keys: the family p-value (Sidak over the keys) ---------------- */

static void rows_many(const corpus *c, size_t n_keys, size_t reps)
{
    size_t ci, di, r, k;
    for (ci = 0; ci < N_NATIVE; ci++) {
        char name[160];
        calib_row row;
        uint64_t ks = 2000 + ci, rs = ks ^ 0xbeefULL;
        snprintf(name, sizeof name, "detect-keys/%s/%s/keys=%zu/family", NATIVE[ci].label,
                 c->name, n_keys);
        if (!want(name)) continue;
        calib_row_init(&row);
        for (di = 0; di < c->n_docs; di++)
            for (r = 0; r < reps; r++) {
                hm_detector *d[8] = {NULL};
                hm_detect_result res[8];
                double holm[8], fam = 0;
                size_t best = 0;
                int ok = 1;
                for (k = 0; k < n_keys; k++) ok &= new_det(&NATIVE[ci], &ks, &d[k]) == HM_OK;
                ok = ok && hm_detect_many((const hm_detector *const *)d, n_keys, NULL, 0,
                                          c->ids + di * DOC, DOC, res, holm, &fam, &best) == HM_OK;
                for (k = 0; k < n_keys; k++) hm_detector_free(d[k]);
                /* Sidak of independent continuous p-values is uniform */
                if (ok) (void)calib_row_add(&row, exp(fam), NATIVE[ci].scheme[0] == 'g' ? exp(fam) : NAN);
                (void)rs;
            }
        report(name, &row, 0);
    }
}

/* ---- localize: the span p-value, one key and several (cmd_detect's rule:
 *      every key's span, Bonferroni over its windows, Sidak over the keys) */

static void rows_localize(const corpus *c, size_t reps)
{
    static const size_t nks[2] = {1, 3};
    size_t ci, ki, di, r, k;
    hm_token_detail *det = malloc(DOC * sizeof *det);
    if (!det) return;
    for (ci = 0; ci < N_NATIVE; ci++)
        for (ki = 0; ki < 2; ki++) {
            char name[160];
            calib_row row;
            uint64_t ks = 3000 + 10 * ci + ki;
            snprintf(name, sizeof name, "localize/%s/%s/keys=%zu", NATIVE[ci].label, c->name,
                     nks[ki]);
            if (!want(name)) continue;
            calib_row_init(&row);
            for (di = 0; di < c->n_docs; di++)
                for (r = 0; r < reps; r++) {
                    double best = 0;
                    int have = 0;
                    for (k = 0; k < nks[ki]; k++) {
                        hm_detector *d = NULL;
                        hm_detect_result res;
                        hm_span sp;
                        if (new_det(&NATIVE[ci], &ks, &d) == HM_OK &&
                            hm_detect(d, NULL, 0, c->ids + di * DOC, DOC, &res, det) == HM_OK &&
                            hm_detect_localize(d, det, DOC, &sp) == HM_OK && sp.n_scored) {
                            if (!have || sp.ln_p < best) best = sp.ln_p;
                            have = 1;
                        }
                        hm_detector_free(d);
                    }
                    if (!have) continue;
                    if (nks[ki] > 1) best = hm_stats_sidak_logp(best, (double)nks[ki]);
                    (void)calib_row_add(&row, exp(best), NAN);
                }
            report(name, &row, 0);
        }
    free(det);
}

/* ---- scan: per-document (scanner), Benjamini-Hochberg over a corpus, and
 *      the pooled corpus test (cmd_scan's tape of unique tuples) ------------- */

static void rows_scan(const corpus *c, size_t docs_per_corpus, size_t keys_per_corpus)
{
    size_t ci, n_corp = c->n_docs / docs_per_corpus, cj, k, di;
    double *lp = malloc(docs_per_corpus * sizeof *lp), *q = malloc(docs_per_corpus * sizeof *q);
    size_t *work = malloc(docs_per_corpus * sizeof *work);
    if (!lp || !q || !work) goto out;
    for (ci = 0; ci < N_NATIVE; ci++) {
        char n1[160], n2[160], n3[160];
        calib_row doc_row, bh_row, pool_row;
        uint64_t ks = 4000 + ci, rs = ks ^ 0xabcULL;
        snprintf(n1, sizeof n1, "scan/%s/%s/per-document", NATIVE[ci].label, c->name);
        snprintf(n2, sizeof n2, "scan/%s/%s/bh-min-q/docs=%zu", NATIVE[ci].label, c->name,
                 docs_per_corpus);
        snprintf(n3, sizeof n3, "scan/%s/%s/corpus-test/docs=%zu", NATIVE[ci].label, c->name,
                 docs_per_corpus);
        if (!want(n1) && !want(n2) && !want(n3)) continue;
        calib_row_init(&doc_row);
        calib_row_init(&bh_row);
        calib_row_init(&pool_row);
        for (cj = 0; cj < n_corp; cj++)
            for (k = 0; k < keys_per_corpus; k++) {
                hm_detector *d = NULL;
                hm_scanner *sc = NULL;
                hm_tape *tape = NULL;
                hm_tape_result tr;
                hm_detect_result res;
                size_t m = 0, i;
                int test, st;
                double np, minq = 0;
                st = new_det(&NATIVE[ci], &ks, &d);
                if (st == HM_OK) st = hm_scanner_new(&sc, d);
                if (st == HM_OK) st = hm_tape_new(&tape, NULL, 16);
                for (di = 0; st == HM_OK && di < docs_per_corpus; di++) {
                    const hm_scan_tuple *tp;
                    size_t nt, t;
                    st = hm_scanner_doc(sc, c->ids + (cj * docs_per_corpus + di) * DOC, DOC, &res);
                    if (st != HM_OK) break;
                    tp = hm_scanner_tuples(sc, &nt);
                    for (t = 0; st == HM_OK && t < nt; t++)
                        st = hm_tape_add(tape, tp[t].tuple_hash, tp[t].tuple_hash, tp[t].value, 0);
                    hm_scanner_clear(sc);
                    if (res.n_scored == 0) continue;
                    lp[m++] = res.ln_p;
                    if (k == 0 || g_quick) (void)calib_row_add(&doc_row, exp(res.ln_p), result_u(&res, &rs));
                }
                if (st == HM_OK && m &&
                    hm_stats_bh(lp, m, 0.05, q, NULL, NULL, work) == HM_OK) {
                    minq = q[0];
                    for (i = 1; i < m; i++) minq = q[i] < minq ? q[i] : minq;
                    /* the smallest q at which BH flags anything: under the
                     * global null P[min q <= alpha] <= alpha */
                    (void)calib_row_add(&bh_row, exp(minq), NAN);
                }
                if (st == HM_OK) st = hm_tape_finish(tape, &tr, NULL, NULL);
                if (st == HM_OK && tr.n_kept && hm_detector_null(d, &test, &np) == HM_OK &&
                    hm_scan_test(test, np, 1, hm_fixsum_value(&tr.sum[0]), tr.n_kept, &res) == HM_OK)
                    (void)calib_row_add(&pool_row, exp(res.ln_p), result_u(&res, &rs));
                hm_tape_free(tape);
                hm_scanner_free(sc);
                hm_detector_free(d);
            }
        if (want(n1)) report(n1, &doc_row, 0);
        else calib_row_free(&doc_row);
        if (want(n2)) report(n2, &bh_row, 0);
        else calib_row_free(&bh_row);
        if (want(n3)) report(n3, &pool_row, 0);
        else calib_row_free(&pool_row);
    }
out:
    free(lp);
    free(q);
    free(work);
}

/* ---- trace: the smallest Holm-adjusted p over the accounts ----------------- */

static void rows_trace(const corpus *c, size_t docs_per_run, size_t n_accounts, size_t reps)
{
    size_t ci, n_runs = c->n_docs / docs_per_run, j, r, a;
    size_t *lens = malloc(docs_per_run * sizeof *lens);
    if (!lens) return;
    for (j = 0; j < docs_per_run; j++) lens[j] = DOC;
    for (ci = 0; ci < N_NATIVE; ci++) {
        char name[160];
        calib_row row;
        uint64_t ks = 5000 + ci;
        snprintf(name, sizeof name, "trace/%s/%s/accounts=%zu/holm-min", NATIVE[ci].label,
                 c->name, n_accounts);
        if (!want(name)) continue;
        calib_row_init(&row);
        for (j = 0; j < n_runs; j++)
            for (r = 0; r < reps; r++) {
                hm_key *mk = new_key(&ks);
                hm_trace *t = NULL;
                int verdict, st = mk ? hm_trace_new(&t, mk, 1, NATIVE[ci].scheme,
                                                    NATIVE[ci].params, NATIVE[ci].np, NULL)
                                     : HM_E_NOMEM;
                double best = 0;
                if (st == HM_OK) st = hm_trace_set_threads(t, 1);
                for (a = 0; st == HM_OK && a < n_accounts; a++) {
                    char acc[32];
                    snprintf(acc, sizeof acc, "account-%zu", a);
                    st = hm_trace_add_account(t, acc, strlen(acc));
                }
                if (st == HM_OK)
                    st = hm_trace_run(t, c->ids + j * docs_per_run * DOC, lens, docs_per_run, 1e-2,
                                      &verdict);
                for (a = 0; st == HM_OK && a < n_accounts; a++) {
                    hm_trace_account ac;
                    if (hm_trace_result(t, a, &ac) == HM_OK && ac.ln_p_holm < best)
                        best = ac.ln_p_holm;
                }
                if (st == HM_OK) (void)calib_row_add(&row, exp(best), NAN);
                hm_trace_free(t);
                hm_key_free(mk);
            }
        report(name, &row, 0);
    }
    free(lens);
}

/* ---- radioactivity: every native scheme and seeding, main and control ----- */

static void rows_radio(const corpus *c, size_t n_docs, size_t n_keys)
{
    size_t ci;
    if (n_docs > c->n_docs) n_docs = c->n_docs;
    for (ci = 0; ci < CALIB_N_RADIO_CFGS; ci++) {
        calib_row rows[2];
        long tiny[2];
        char name[2][160], probe[2][160];
        int kind;
        snprintf(probe[0], sizeof probe[0], "radioactivity/%s/%s/docs=%zu/main",
                 CALIB_RADIO_CFGS[ci].label, c->name, n_docs);
        snprintf(probe[1], sizeof probe[1], "radioactivity/%s/%s/docs=%zu/control",
                 CALIB_RADIO_CFGS[ci].label, c->name, n_docs);
        if (!want(probe[0]) && !want(probe[1])) continue;
        if (calib_radio_rows(&CALIB_RADIO_CFGS[ci], c->ids, DOC, n_docs, 8, n_keys,
                             0x5eed0000u + ci, c->name, rows, tiny, name) != HM_OK) {
            printf("calib: radioactivity/%s run failed FAIL\n", CALIB_RADIO_CFGS[ci].label);
            g_fail++;
            calib_row_free(&rows[0]);
            calib_row_free(&rows[1]);
            continue;
        }
        for (kind = 0; kind < 2; kind++) {
            printf("# %s: %ld of %zu keys with p <= 1e-6\n", name[kind], tiny[kind], rows[kind].n);
            if (tiny[kind] > 0) {
                printf("calib: %s p<=1e-6 in %ld of %zu keys FAIL\n", name[kind], tiny[kind],
                       rows[kind].n);
                g_fail++;
            }
            report(name[kind], &rows[kind], 0);
        }
    }
}

/* ---- payload decode: the p corrected over all 2^B payloads ----------------- */

static void rows_payload(const corpus *c, size_t reps)
{
    static const char *const bits[2] = {"bits=8", "bits=32"};
    size_t bi, di, r;
    for (bi = 0; bi < 2; bi++) {
        char name[160];
        calib_row row;
        uint64_t ks = 6000 + bi;
        det_cfg mp = {"mpac", "mpac", {bits[bi]}, 1};
        snprintf(name, sizeof name, "payload-decode/mpac-%s/%s", bits[bi], c->name);
        if (!want(name)) continue;
        calib_row_init(&row);
        for (di = 0; di < c->n_docs; di++)
            for (r = 0; r < reps; r++) {
                hm_detector *d = NULL;
                hm_payload_result pr;
                memset(&pr, 0, sizeof pr);
                if (new_det(&mp, &ks, &d) == HM_OK &&
                    hm_payload_decode(d, NULL, 0, c->ids + di * DOC, DOC, &pr) == HM_OK &&
                    pr.n_scored)
                    (void)calib_row_add(&row, exp(pr.ln_p), NAN);
                hm_detector_free(d);
            }
        report(name, &row, 0);
    }
}

/* ---- fingerprint verify: a model fine-tuned on ANOTHER key's fingerprints
 *      answers our questions (H0 for our key) -------------------------------- */

static void rows_fingerprint(size_t n_keys, size_t count)
{
    static const unsigned cands[2] = {2, 8};
    size_t ki, k, i;
    for (ki = 0; ki < 2; ki++) {
        char name[160];
        calib_row row;
        uint64_t ks = 7000 + ki;
        snprintf(name, sizeof name, "fingerprint-verify/candidates=%u/pairs=%zu/other-key-model",
                 cands[ki], count);
        if (!want(name)) continue;
        calib_row_init(&row);
        for (k = 0; k < n_keys; k++) {
            hm_key *ka = new_key(&ks), *kb = new_key(&ks);
            hm_fingerprint *fa = NULL, *fb = NULL;
            uint64_t matched = 0;
            if (ka && kb && hm_fingerprint_new(&fa, ka, count, cands[ki]) == HM_OK &&
                hm_fingerprint_new(&fb, kb, count, cands[ki]) == HM_OK) {
                for (i = 0; i < count; i++) {
                    const char *qb, *ab;
                    if (hm_fingerprint_pair(fb, i, &qb, &ab) == HM_OK)
                        matched += (uint64_t)hm_fingerprint_matches(fa, i, ab, strlen(ab));
                }
                (void)calib_row_add(&row, exp(hm_fingerprint_logp(fa, count, matched)), NAN);
            }
            hm_fingerprint_free(fa);
            hm_fingerprint_free(fb);
            hm_key_free(ka);
            hm_key_free(kb);
        }
        report(name, &row, 0);
    }
}

int main(int argc, char **argv)
{
    const char *data = "tests/data", *tokpath = "samples/tokenizers/cl100k_base.tiktoken";
    hm_tokenizer *tok = NULL;
    corpus cs[4], prose;
    char err[256];
    int i;
    size_t g, max_bytes;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc) tokpath = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) g_only = argv[++i];
        else {
            fprintf(stderr, "usage: calibrate [--quick] [--data DIR] [--tokenizer FILE] "
                            "[--only SUBSTRING]\n");
            return 2;
        }
    }
    if (hm_tokenizer_load(&tok, tokpath, "cl100k_base", err, sizeof err) != HM_OK) {
        fprintf(stderr, "calibrate: %s: %s (make deps fetches it)\n", tokpath, err);
        return 2;
    }
    max_bytes = g_quick ? 60000 : 0;
    memset(cs, 0, sizeof cs);
    cs[0].name = "prose";
    cs[1].name = "glosses";
    cs[2].name = "code";
    cs[3].name = "records";
    if (load(data, "devil.txt", tok, max_bytes, &cs[0]) || load(data, "wordnet-verbs.txt", tok, max_bytes, &cs[1]) ||
        load(data, "code.txt", tok, max_bytes, &cs[2]) ||
        load(data, "wordnet-records.txt", tok, max_bytes, &cs[3])) {
        hm_tokenizer_free(tok);
        return 2;
    }
    hm_tokenizer_free(tok);
    /* prose + glosses: the radioactivity corpus (1,000 documents) */
    prose.name = "prose+glosses";
    prose.n_docs = cs[0].n_docs + cs[1].n_docs;
    prose.ids = malloc(prose.n_docs * DOC * sizeof *prose.ids);
    if (!prose.ids) return 2;
    memcpy(prose.ids, cs[0].ids, cs[0].n_docs * DOC * sizeof *prose.ids);
    memcpy(prose.ids + cs[0].n_docs * DOC, cs[1].ids, cs[1].n_docs * DOC * sizeof *prose.ids);
    printf("# calibrate%s: documents of %d tokens: prose %zu, glosses %zu, code %zu, records %zu\n",
           g_quick ? " --quick" : "", DOC, cs[0].n_docs, cs[1].n_docs, cs[2].n_docs, cs[3].n_docs);
    fflush(stdout);

    rows_detect(cs, 4, g_quick ? 1 : 4);
    rows_many(&cs[0], 4, g_quick ? 1 : 4);
    rows_localize(&cs[0], g_quick ? 1 : 3);
    rows_scan(&prose, 20, g_quick ? 2 : 8);
    rows_trace(&prose, 10, 8, g_quick ? 1 : 4);
    rows_radio(&prose, g_quick ? 200 : 1000, g_quick ? 10 : 100);
    rows_payload(&cs[0], g_quick ? 1 : 4);
    rows_fingerprint(g_quick ? 100 : 2000, 64);

    printf("calib: summary rows=%d pass=%d fail=%d informative=%d %s\n", g_pass + g_fail + g_info,
           g_pass, g_fail, g_info, g_fail ? "FAIL" : "PASS");
    for (g = 0; g < 4; g++) free(cs[g].ids);
    free(prose.ids);
    return g_fail ? 1 : 0;
}
