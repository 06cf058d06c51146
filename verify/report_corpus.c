/*
 * report_corpus.c - how an evidence report reads the results of `hallmark
 * scan`, `radioactivity` and `trace`: the conclusion in one sentence, every
 * test with its statistic, n, null parameter and assumptions, the
 * multiple-testing correction each command applied, and (radioactivity)
 * the control key's test as the negative control.  Detect results are read
 * in report.c; results of any other type are listed generically there.
 */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hallmark/report.h"
#include "hallmark/stats.h"

#define LN10 2.302585092994045684

/* ln p of an object that records log10_p (or ln_p); NaN when absent. */
static double ln_p_of(const cJSON *o)
{
    double l = hm_report_num(o, "ln_p");
    return isnan(l) ? hm_report_num(o, "log10_p") * LN10 : l;
}

static void add_count(cJSON *o, const char *name, long long v)
{
    char b[32];
    if (v < 0) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    snprintf(b, sizeof b, "%lld", v);
    cJSON_AddStringToObject(o, name, b);
}

/* One entry of report.json "tests". */
static cJSON *test_of(const char *name, const char *path, const char *key_id, const char *test,
                      double statistic, long long n, double null_param, double ln_p,
                      const char *assumptions)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", name);
    cJSON_AddStringToObject(t, "path", path);
    if (key_id) cJSON_AddStringToObject(t, "key_id", key_id);
    cJSON_AddStringToObject(t, "test", test ? test : "unknown");
    if (isnan(statistic)) cJSON_AddNullToObject(t, "statistic");
    else cJSON_AddNumberToObject(t, "statistic", statistic);
    add_count(t, "n", n);
    cJSON_AddNumberToObject(t, "trials", n >= 0 ? (double)n : 0.0);
    if (isnan(null_param)) cJSON_AddNullToObject(t, "null_param");
    else cJSON_AddNumberToObject(t, "null_param", null_param);
    hm_report_add_p(t, ln_p);
    cJSON_AddStringToObject(t, "assumptions", assumptions);
    cJSON_AddBoolToObject(t, "recomputable", 0); /* rerun through argv, not from ids */
    return t;
}

/* What an interpretation adds to report.json, each in its place. */
struct parts {
    cJSON *conclusion, *controls, *tests, *corr;
};

static void set_conclusion(struct parts *P, int detected, double alpha, double ln_p,
                           const char *sentence, const char *meaning)
{
    cJSON *c = cJSON_CreateObject();
    char pt[64], words[96];
    (void)hm_stats_format_p(ln_p, pt, sizeof pt);
    (void)hm_report_p_words(ln_p, words, sizeof words);
    cJSON_AddBoolToObject(c, "detected", detected);
    cJSON_AddNumberToObject(c, "alpha", alpha);
    cJSON_AddNumberToObject(c, "ln_p", ln_p);
    cJSON_AddStringToObject(c, "p_text", pt);
    cJSON_AddStringToObject(c, "p_words", words);
    cJSON_AddStringToObject(c, "sentence", sentence);
    cJSON_AddStringToObject(c, "meaning", meaning);
    P->conclusion = c;
}

static void no_controls(struct parts *P, const char *reason)
{
    cJSON *ctl = P->controls = cJSON_CreateObject();
    cJSON_AddStringToObject(ctl, "method", "none");
    cJSON_AddStringToObject(ctl, "reason", reason);
}

/* The exact test's description for pooled corpus statistics. */
static void pooled_assumptions(const char *test, double null_param, const char *what, char *buf,
                               size_t cap)
{
    if (test && strcmp(test, "binomial-upper-tail") == 0)
        snprintf(buf, cap,
                 "Exact one-sided binomial test over %s. Under H0 (no text was produced with "
                 "this key) each counted (context, token) pair is green with probability "
                 "gamma = %g independently: colours are a keyed pseudorandom function of the "
                 "pair, and each distinct pair is counted once, so repeated text cannot count "
                 "twice. p = P[X >= observed], X ~ Binomial(n, gamma), exact in log space.",
                 what, null_param);
    else if (test && strcmp(test, "gamma-upper-tail") == 0)
        snprintf(buf, cap,
                 "Exact gamma test over %s. Under H0 the values u of the distinct (context, "
                 "token) pairs are independent Uniform(0, 1) draws of a keyed pseudorandom "
                 "function, so S = sum of -ln(1 - u) ~ Gamma(n, 1); p = P[Gamma(n, 1) >= S], "
                 "exact in log space.",
                 what);
    else
        snprintf(buf, cap,
                 "The scheme's exact test ('%s') over %s, each distinct (context, token) pair "
                 "counted once (docs/statistics.md).",
                 test ? test : "unknown", what);
}

/* ---- scan ---------------------------------------------------------------------- */

static void scan_interpret(struct parts *P, const cJSON *r, double null_param)
{
    cJSON *tests = P->tests, *corr = P->corr;
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(r, "corpus");
    const char *kid = hm_report_str(r, "key_id");
    long long scanned = hm_report_int(r, "scanned"), flagged = hm_report_int(r, "flagged");
    long long lines = hm_report_int(r, "lines"), empty = hm_report_int(r, "empty");
    long long malformed = hm_report_int(r, "malformed");
    double ln_p = ln_p_of(cp), alpha = hm_report_num(cp, "alpha"), q = hm_report_num(r, "fdr");
    int det = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cp, "detected")) || flagged > 0;
    char as[1400], sent[1400], pt[64], words[96];
    cJSON *c;
    if (!(alpha > 0 && alpha < 1)) alpha = 1e-6;
    pooled_assumptions(hm_report_str(cp, "test"), null_param,
                       "every distinct (context, token) pair of the whole corpus", as, sizeof as);
    cJSON_AddItemToArray(tests,
                         test_of("corpus-level test (the whole corpus pooled)", "$.corpus", kid,
                                 hm_report_str(cp, "test"), hm_report_num(cp, "score"),
                                 hm_report_int(cp, "n_unique_tuples"), null_param, ln_p, as));
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "applies_to", "$.flagged");
    cJSON_AddStringToObject(c, "method", "benjamini-hochberg");
    cJSON_AddNumberToObject(c, "m", scanned >= 0 ? (double)scanned : 0);
    cJSON_AddNumberToObject(c, "q", q);
    cJSON_AddStringToObject(c, "over",
                            "every scanned document; each document's own exact p-value and "
                            "flag are in the results file written with --out");
    cJSON_AddItemToObject(c, "log10_threshold",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "bh_log10_threshold"),
                                          1));
    cJSON_AddItemToArray(corr, c);
    (void)hm_stats_format_p(ln_p, pt, sizeof pt);
    (void)hm_report_p_words(ln_p, words, sizeof words);
    snprintf(sent, sizeof sent,
             "Of the corpus's %lld lines, %lld documents were scored (%lld empty, %lld "
             "malformed); %lld %s flagged as watermarked with key %s at a false-discovery rate "
             "of %g (Benjamini-Hochberg). Pooled over the whole corpus, the chance of evidence "
             "this strong without the watermark is %s (p = %s; %s at the significance level "
             "%g).",
             lines, scanned, empty, malformed, flagged, flagged == 1 ? "was" : "were",
             kid ? kid : "?", q, words, pt,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cp, "detected")) ? "detected"
                                                                             : "not detected",
             alpha);
    set_conclusion(P, det, alpha, ln_p, sent,
                   "The smaller this chance, the stronger the evidence that the corpus contains "
                   "text from a model using this watermark key.");
    no_controls(P, "a scan's per-document p-values are controlled by Benjamini-Hochberg; "
                      "for a control, scan the same corpus with an unrelated key");
}

/* ---- radioactivity ------------------------------------------------------------- */

static void radio_interpret(struct parts *P, const cJSON *r, double null_param)
{
    cJSON *tests = P->tests;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "main");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "control");
    const char *kid = hm_report_str(r, "key_id");
    double ln_p = ln_p_of(m), ln_c = ln_p_of(k), alpha = hm_report_num(r, "alpha");
    int det = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "detected"));
    char as[1400], sent[1400], pt[64], pc[64], words[96], what[512];
    cJSON *ctl, *arr, *c;
    if (!(alpha > 0 && alpha < 1)) alpha = 1e-6;
    snprintf(what, sizeof what,
             "the distinct units (the (context, token) pairs; for kgw selfhash the (anchor, "
             "token) pairs of each key) of the suspect model's %s outputs, without "
             "those whose context occurs in the prompts%s",
             hm_report_str(r, "n_outputs") ? hm_report_str(r, "n_outputs") : "?",
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "filter"))
                 ? " and keeping only those whose k-gram occurs in the given watermarked corpus"
                 : "");
    pooled_assumptions(hm_report_str(m, "test"), null_param, what, as, sizeof as);
    cJSON_AddItemToArray(tests, test_of("radioactivity test (our key)", "$.main", kid,
                                        hm_report_str(m, "test"), hm_report_num(m, "score"),
                                        hm_report_int(m, "n_scored"), null_param, ln_p, as));
    cJSON_AddItemToArray(tests,
                         test_of("negative control (the control key)", "$.control", NULL,
                                 hm_report_str(k, "test"), hm_report_num(k, "score"),
                                 hm_report_int(k, "n_scored"), null_param, ln_c, as));
    ctl = P->controls = cJSON_CreateObject();
    cJSON_AddStringToObject(
        ctl, "method",
        "The same test on the same pairs under a control key derived from ours that never "
        "marked anything (BLAKE2b(key, \"hallmark radioactivity control v1\")): under H0 its "
        "p-value is uniform; a small control p-value would mean that the outputs themselves, "
        "not our key, drive the score.");
    cJSON_AddStringToObject(ctl, "count", "1");
    arr = cJSON_AddArrayToObject(ctl, "controls");
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "index", "0");
    cJSON_AddStringToObject(c, "key_id", "control");
    cJSON_AddNumberToObject(c, "statistic", hm_report_num(k, "score"));
    add_count(c, "n", hm_report_int(k, "n_scored"));
    cJSON_AddNumberToObject(c, "ln_p", ln_c);
    (void)hm_stats_format_p(ln_c, pc, sizeof pc);
    cJSON_AddStringToObject(c, "p_text", pc);
    cJSON_AddItemToArray(arr, c);
    cJSON_AddStringToObject(ctl, "min_p_text", pc);
    cJSON_AddNumberToObject(ctl, "min_ln_p", ln_c);
    cJSON_AddStringToObject(ctl, "min_p_sidak_text", pc);
    cJSON_AddStringToObject(ctl, "n_below_alpha", ln_c <= log(alpha) ? "1" : "0");
    cJSON_AddNumberToObject(ctl, "expected_below_alpha", alpha);
    (void)hm_stats_format_p(ln_p, pt, sizeof pt);
    (void)hm_report_p_words(ln_p, words, sizeof words);
    snprintf(sent, sizeof sent,
             "%s: over %s distinct (context, token) pairs of its outputs, the chance of "
             "evidence this strong without training on text marked with key %s is %s (p = %s, "
             "significance level %g); the control key gives p = %s.",
             det ? "The suspect model was trained on text carrying our watermark"
                 : "The test did not find that the suspect model was trained on text carrying "
                   "our watermark (this does not show that it was not)",
             hm_report_str(m, "n_scored") ? hm_report_str(m, "n_scored") : "?",
             kid ? kid : "?", words, pt, alpha, pc);
    set_conclusion(P, det, alpha, ln_p, sent,
                   "The smaller this chance, the stronger the evidence that the suspect model "
                   "learned from text generated with this watermark key.");
}

/* ---- trace --------------------------------------------------------------------- */

static void trace_interpret(struct parts *P, const cJSON *r, double null_param)
{
    cJSON *tests = P->tests, *corr = P->corr;
    const cJSON *lists[2] = {cJSON_GetObjectItemCaseSensitive(r, "fired"),
                             cJSON_GetObjectItemCaseSensitive(r, "top")};
    const char *verdict = hm_report_str(r, "verdict");
    long long n_acc = hm_report_int(r, "n_accounts"), n_scored = hm_report_int(r, "n_scored");
    double alpha = hm_report_num(r, "alpha"), best = 0;
    char as[1400], sent[1400], name[160], path[64], pt[64], words[96], list[512] = "";
    size_t l, i, nl = 0, ll = 0;
    const cJSON *a;
    cJSON *c;
    if (!(alpha > 0 && alpha < 1)) alpha = 1e-6;
    pooled_assumptions(hm_report_str(r, "test"), null_param,
                       "the distinct (context, token) pairs of the suspect texts, under the "
                       "account's derived key",
                       as, sizeof as);
    for (l = 0; l < 2; l++) {
        i = 0;
        cJSON_ArrayForEach(a, lists[l])
        {
            const char *acc = hm_report_str(a, "account");
            double lp = ln_p_of(a);
            if (l == 1 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "fired"))) {
                i++;
                continue; /* listed with the fired accounts */
            }
            snprintf(name, sizeof name, "account %s%s", acc ? acc : "?",
                     l == 0 ? " (fired)" : "");
            snprintf(path, sizeof path, "$.%s[%zu]", l == 0 ? "fired" : "top", i++);
            cJSON_AddItemToArray(tests, test_of(name, path, NULL, hm_report_str(r, "test"),
                                                hm_report_num(a, "score"),
                                                hm_report_int(a, "n_scored") >= 0
                                                    ? hm_report_int(a, "n_scored")
                                                    : n_scored,
                                                null_param, lp, as));
            if (nl++ == 0 || lp < best) best = lp;
            if (l == 0 && ll < sizeof list) {
                int w = snprintf(list + ll, sizeof list - ll, "%s%s", ll ? ", " : "",
                                 acc ? acc : "?");
                ll = w < 0 ? sizeof list : ll + (size_t)w;
            }
        }
    }
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "applies_to", "$.fired, $.top");
    cJSON_AddStringToObject(c, "method", "holm");
    cJSON_AddNumberToObject(c, "m", n_acc >= 0 ? (double)n_acc : 0);
    cJSON_AddStringToObject(c, "over",
                            "every account's key tested on the same texts (the result lists the "
                            "accounts that fired and the most significant others; p_holm is "
                            "each account's Holm-adjusted p-value over all of them)");
    cJSON_AddItemToArray(corr, c);
    {
        const cJSON *f0 = cJSON_GetArrayItem(lists[0], 0);
        double lh = f0 ? hm_report_num(f0, "log10_p_holm") * LN10 : NAN;
        if (isnan(lh)) lh = nl ? best : 0;
        (void)hm_stats_format_p(lh, pt, sizeof pt);
        (void)hm_report_p_words(lh, words, sizeof words);
        if (verdict && strcmp(verdict, "one") == 0)
            snprintf(sent, sizeof sent,
                     "Exactly one of the %lld accounts fired: %s. The chance of evidence this "
                     "strong for that account's key without its watermark is %s (p = %s after "
                     "the Holm correction over all %lld accounts; significance level %g).",
                     n_acc, list, words, pt, n_acc, alpha);
        else if (verdict && strcmp(verdict, "several") == 0)
            snprintf(sent, sizeof sent,
                     "Several of the %lld accounts fired: %s (the strongest: p = %s after the "
                     "Holm correction over all %lld accounts; significance level %g).",
                     n_acc, list, pt, n_acc, alpha);
        else
            snprintf(sent, sizeof sent,
                     "None of the %lld accounts' keys was found in the texts at the "
                     "significance level %g after the Holm correction (the most significant "
                     "account, uncorrected: p = %s); this does not show that no account "
                     "leaked them.",
                     n_acc, alpha, pt);
        set_conclusion(P, verdict && strcmp(verdict, "none") != 0, alpha, lh, sent,
                       "The smaller this chance, the stronger the evidence that the texts were "
                       "generated with the named account's key.");
    }
    no_controls(P, "the other accounts' keys, tested on the same texts, act as controls "
                      "(see the tests); the Holm correction covers all of them");
}

int hm_report_is_corpus_type(const char *rtype)
{
    return rtype && (strcmp(rtype, "scan") == 0 || strcmp(rtype, "radioactivity") == 0 ||
                     strcmp(rtype, "trace") == 0);
}

int hm_report_corpus_shape(const cJSON *r, const char *rtype)
{
    if (!hm_report_is_corpus_type(rtype)) return 0;
    if (strcmp(rtype, "scan") == 0)
        return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "corpus"));
    if (strcmp(rtype, "radioactivity") == 0)
        return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "main")) &&
               cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "control"));
    return hm_report_str(r, "verdict") != NULL;
}

int hm_report_interpret_corpus(const cJSON *r, const char *rtype, double null_param,
                               cJSON **conclusion, cJSON *tests, cJSON *corr, cJSON **controls)
{
    struct parts P = {NULL, NULL, tests, corr};
    if (!hm_report_corpus_shape(r, rtype)) return 0;
    if (strcmp(rtype, "scan") == 0) scan_interpret(&P, r, null_param);
    else if (strcmp(rtype, "radioactivity") == 0) radio_interpret(&P, r, null_param);
    else trace_interpret(&P, r, null_param);
    *conclusion = P.conclusion;
    *controls = P.controls;
    return 1;
}
