/*
 * cmd_detect.c - `hallmark detect`: test a text, a list of token ids, or a
 * JSON-lines file of documents for a watermark, with exact p-values.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <float.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hallmark/canon.h"
#include "hallmark/detect.h"
#include "hallmark/detect_text.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "hallmark/tokenizer.h"

#define MAX_KEYS 64
#define MAX_PARAMS 32
#define DEFAULT_MAX_BYTES (256u << 20)

struct dopts {
    const char *keys[MAX_KEYS];
    size_t n_keys;
    const char *scheme;
    const char *params[MAX_PARAMS + 2];
    size_t np;
    const char *tokenizer;
    const char *prompt_file;
    const char *passfile;
    const char *field;
    const char *prompt_field;
    const char *input;
    double alpha;
    int json, ids, jsonl, per_token, localize, special, allow_invalid, dedup, no_canonical;
    int whole_only;
    long long eos;
    unsigned long long max_bytes;
    char interop_param[2][CLI_INTEROP_PARAM_MAX];
};

/* Everything loaded once and used for every document. */
struct dctx {
    struct dopts *o;
    hm_detector *dets[MAX_KEYS];
    char key_ids[MAX_KEYS][40];
    char accounts[MAX_KEYS][260]; /* tenant of a derived key, or "" */
    size_t n_dets;
    hm_tokenizer *tok;
    hm_tok_scratch *scratch;
    char tok_sha[65];
    hm_canon *canon;           /* NULL with --no-canonical or --ids */
    hm_canon_output ctext;     /* the canonical text of the document */
    hm_canon_output cprompt;   /* and of the prompt */
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark detect --key FILE --scheme S [--param k=v ...] [--tokenizer T]\n"
"                       [--prompt-file F] [--alpha A] [--json] [FILE|-]\n"
"\n"
"Tests a text (FILE or standard input) for the watermark of a key, with an exact\n"
"p-value.  Exit status: 0 detected at --alpha, 1 not detected, 2 error.\n"
"\n"
"Input:\n"
"  (default)           text, tokenized with --tokenizer (default cl100k_base)\n"
"  --ids               whitespace-separated token ids\n"
"  --jsonl             one JSON object per line; --field NAME holds the text\n"
"                      (default \"text\"), --prompt-field NAME an optional prompt.\n"
"                      Prints one result per line, then a line with \"summary\": true\n"
"  --prompt-file F     the prompt (text, or ids with --ids): it only feeds contexts;\n"
"                      only the completion is scored\n"
"Keys and schemes:\n"
"  --key FILE          a Hallmark key (repeat for several keys: one pass, with a\n"
"                      family-wise Sidak correction and Holm-adjusted p-values)\n"
"  --passphrase-file F passphrase for encrypted key files (or $HALLMARK_PASSPHRASE)\n"
"  --scheme S          kgw, unigram, gumbel, synthid, vllm, sglang (payloads of\n"
"                      scheme mpac: `hallmark payload decode [--expect X]`)\n"
"  --param k=v         scheme parameter (see docs/schemes.md); repeatable\n"
"  --vllm-key N        vLLM's integer key (--scheme vllm); --no-dedup scores every\n"
"                      position instead of vLLM's first-occurrence-of-each-context rule\n"
"  --sglang-key HEX    SGLang's key (--scheme sglang)\n"
"  --synthid-keys F    a JSON array of SynthID layer keys (--scheme synthid)\n"
"Scoring:\n"
"  --dedup P           tuple (default), context or none\n"
"  --eos ID            do not score positions from the first EOS token on\n"
"  --alpha A           significance level (default 1e-6)\n"
"  --no-canonical      test only the text as given.  By default the canonical text\n"
"                      (NFKC, invisible characters removed, spaces and line breaks\n"
"                      folded, look-alike letters folded in mixed-script words) is\n"
"                      tested too when it differs, with a Bonferroni correction\n"
"                      for the two tests; \"canonical\" says what was changed\n"
"Output:\n"
"  --json              a JSON object (scheme, params, prf_version, key_id, dedup,\n"
"                      n_scored, score, log10_p, p, detected, ...)\n"
"  --per-token         add \"tokens\": per-token id, offsets, counted, green/u/g\n"
"  --localize          add \"span\": the most significant span, with a p-value\n"
"                      corrected for every window tried\n"
"  --whole-only        test the whole document only.  By default the whole-document\n"
"                      test and the most significant span are combined (Bonferroni\n"
"                      x2), so that a marked passage inside a longer human text is\n"
"                      found; \"whole_document\" and \"default_test\" give both\n"
"  --special           recognize special tokens in text\n"
"  --allow-invalid-utf8  score text that is not valid UTF-8 (bytes are tokenized\n"
"                      as tiktoken does) instead of refusing it\n"
"  --max-bytes N       refuse larger inputs (default 256 MiB)\n");
}

/* Turns a document (text or ids) into token ids (+ offsets for text).
 * Prints a message and returns CLI_ERROR on bad input. */
static int to_ids(struct dctx *dc, const char *what, const unsigned char *buf, size_t len,
                  hm_tok_output *out)
{
    out->len = 0;
    if (dc->o->ids) {
        uint32_t *ids;
        size_t n;
        int s = cli_parse_ids(buf, len, 0, &ids, &n);
        if (s == HM_E_FORMAT) {
            cli_err("%s: not a list of token ids (bad token at byte %zu)", what, n);
            return CLI_ERROR;
        }
        if (s != HM_OK) return cli_fail(s, what);
        free(out->ids);
        free(out->offsets);
        out->ids = ids;
        out->offsets = NULL;
        out->len = out->cap = n;
        return CLI_OK;
    }
    {
        size_t bad;
        int s;
        if (!dc->o->allow_invalid && !cli_utf8_valid(buf, len, &bad)) {
            cli_err("%s: invalid UTF-8 at byte %zu (use --allow-invalid-utf8 to score it anyway)",
                    what, bad);
            return CLI_ERROR;
        }
        s = cli_encode_text(dc->tok, dc->scratch, buf, len,
                            HM_TOK_OFFSETS | (dc->o->special ? HM_TOK_SPECIAL : 0u), dc->o->eos,
                            out);
        if (s != HM_OK) return cli_fail(s, what);
    }
    return CLI_OK;
}

#define CLI_DEDUP_OFF_WARNING                                                                 \
    "deduplication is off: repeated (context, token) pairs are counted again, so on "         \
    "repetitive text this p-value is too small (not a valid p-value); do not use it as evidence"

static void add_u64_string(cJSON *o, const char *name, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    cJSON_AddStringToObject(o, name, buf);
}

static void add_pvalue(cJSON *o, double ln_p, const char *prefix)
{
    cli_json_add_pvalue(o, prefix, ln_p);
}

static cJSON *result_json(struct dctx *dc, size_t k, const hm_detect_result *r)
{
    cJSON *o = cJSON_CreateObject();
    char desc[1024];
    (void)hm_detector_describe(dc->dets[k], desc, sizeof desc);
    cli_add_description(o, desc, 1);
    cJSON_AddStringToObject(o, "prf_version", hm_detector_prf_version(dc->dets[k]));
    cJSON_AddStringToObject(o, "key_id", dc->key_ids[k]);
    if (dc->accounts[k][0]) cJSON_AddStringToObject(o, "account", dc->accounts[k]);
    cJSON_AddStringToObject(o, "dedup", hm_dedup_name(r->dedup));
    cJSON_AddStringToObject(o, "test", r->test_name);
    add_u64_string(o, "n_tokens", r->n_tokens);
    add_u64_string(o, "n_scored", r->n_scored);
    add_u64_string(o, "n_no_context", r->n_no_context);
    add_u64_string(o, "n_duplicate", r->n_duplicate);
    add_u64_string(o, "n_after_eos", r->n_after_eos);
    /* the options that change which ids are scored, so that a report can
     * rerun the test exactly: --eos ID and --special */
    if (dc->o->eos >= 0)
        add_u64_string(o, "eos", (unsigned long long)dc->o->eos);
    else
        cJSON_AddNullToObject(o, "eos");
    cJSON_AddBoolToObject(o, "special", dc->o->special != 0);
    cJSON_AddNumberToObject(o, "score", r->score);
    cJSON_AddNumberToObject(o, "trials", r->trials);
    cJSON_AddNumberToObject(o, "null_param", r->null_param);
    cJSON_AddNumberToObject(o, "mean_score", r->mean_score);
    if (r->test == HM_TEST_KIND_GVALUES)
        cJSON_AddNumberToObject(o, "weighted_mean_score", r->weighted_mean);
    cJSON_AddNumberToObject(o, "z", r->z);
    cJSON_AddNumberToObject(o, "ln_p", r->ln_p);
    add_pvalue(o, r->ln_p, "");
    if (r->null_samples) {
        /* SynthID: p is a bound from the key set's Monte Carlo null; the
         * estimate beside it shows how tight it is (docs/statistics.md) */
        cJSON_AddNumberToObject(o, "ln_p_estimate", r->ln_p_estimate);
        add_u64_string(o, "null_samples", r->null_samples);
        cJSON_AddNumberToObject(o, "null_delta", r->null_delta);
    }
    return o;
}

static void set_headline(cJSON *out, double ln_p, double alpha, int *detected);

/* Scores one document; returns a JSON result (caller frees) and sets
 * *detected.  NULL on an internal error (message printed). */
static cJSON *detect_doc(struct dctx *dc, const hm_tok_output *prompt, const hm_tok_output *doc,
                         int *detected)
{
    struct dopts *o = dc->o;
    hm_detect_result res[MAX_KEYS];
    hm_token_detail *det = NULL;
    double ln_family = 0, holm[MAX_KEYS];
    size_t best = 0, k, span_key = 0;
    hm_span sp;
    int have_span = 0;
    cJSON *out;
    int s;
    memset(&sp, 0, sizeof sp);
    if (o->per_token || o->localize || !o->whole_only) {
        det = calloc(doc->len ? doc->len : 1, sizeof *det);
        if (!det) {
            cli_fail(HM_E_NOMEM, "detect");
            return NULL;
        }
    }
    if (dc->n_dets == 1) {
        s = hm_detect(dc->dets[0], prompt ? prompt->ids : NULL, prompt ? prompt->len : 0,
                      doc->ids, doc->len, &res[0], det);
        ln_family = res[0].ln_p;
    } else {
        s = hm_detect_many((const hm_detector *const *)dc->dets, dc->n_dets,
                           prompt ? prompt->ids : NULL, prompt ? prompt->len : 0, doc->ids,
                           doc->len, res, holm, &ln_family, &best);
        /* details for the best key */
        if (s == HM_OK && det)
            s = hm_detect(dc->dets[best], prompt ? prompt->ids : NULL, prompt ? prompt->len : 0,
                          doc->ids, doc->len, &res[best], det);
    }
    if (s != HM_OK) {
        free(det);
        cli_fail(s, "detect");
        return NULL;
    }
    out = result_json(dc, best, &res[best]);
    /* --prompt-file: its tokens seeded the contexts and were not scored */
    add_u64_string(out, "prompt_tokens", prompt ? prompt->len : 0);
    if (dc->n_dets > 1) {
        cJSON *keys = cJSON_CreateArray(), *fam = cJSON_CreateObject();
        for (k = 0; k < dc->n_dets; k++) {
            cJSON *r = result_json(dc, k, &res[k]);
            add_pvalue(r, holm[k], "holm_");
            cJSON_AddItemToArray(keys, r);
        }
        cJSON_AddStringToObject(fam, "correction", "sidak");
        add_u64_string(fam, "n_keys", dc->n_dets); /* counts as strings */
        cJSON_AddStringToObject(fam, "best_key_id", dc->key_ids[best]);
        /* the best key's own tail is the minimum over the keys: a
         * statistic, not a p-value (the family p above corrects it) */
        cJSON_AddNumberToObject(fam, "best_log10_tail", res[best].ln_p / log(10.0));
        cJSON_AddItemToObject(out, "family", fam);
        cJSON_AddItemToObject(out, "keys", keys);
        /* the headline p-value is the family-wise one */
        cJSON_DeleteItemFromObject(out, "ln_p");
        cJSON_DeleteItemFromObject(out, "log10_p");
        cJSON_DeleteItemFromObject(out, "p");
        cJSON_DeleteItemFromObject(out, "p_text");
        cJSON_AddNumberToObject(out, "ln_p", ln_family);
        add_pvalue(out, ln_family, "");
    }
    if (res[best].dedup == HM_DEDUP_NONE) {
        /* repeated (context, token) pairs count again: the p-value is not
         * valid on repetitive text (docs/calibration.md) */
        static int warned;
        cJSON *w = cJSON_AddArrayToObject(out, "warnings");
        cJSON_AddItemToArray(w, cJSON_CreateString(CLI_DEDUP_OFF_WARNING));
        if (!warned) cli_err("warning: %s", CLI_DEDUP_OFF_WARNING);
        warned = 1;
    }
    *detected = ln_family <= log(o->alpha);
    cJSON_AddNumberToObject(out, "alpha", o->alpha);
    cJSON_AddBoolToObject(out, "detected", *detected);
    /* The most significant span over every key: the best key of the whole
     * document need not hold the best span, and choosing the key by either
     * is a selection that must be corrected for (Sidak over the keys, each
     * key's span already Bonferroni-corrected over its windows; keys are
     * independent under H0).  Used by --localize and by the default test. */
    if (o->localize || !o->whole_only) {
        hm_span spk;
        memset(&sp, 0, sizeof sp);
        for (k = 0; k < dc->n_dets; k++) {
            hm_token_detail *dk = det;
            int sk = HM_OK;
            if (dc->n_dets > 1 && k != best) {
                dk = calloc(doc->len ? doc->len : 1, sizeof *dk);
                if (!dk) sk = HM_E_NOMEM;
                else
                    sk = hm_detect(dc->dets[k], prompt ? prompt->ids : NULL,
                                   prompt ? prompt->len : 0, doc->ids, doc->len, &res[k], dk);
            }
            if (sk == HM_OK) sk = hm_detect_localize(dc->dets[k], dk, doc->len, &spk);
            if (dk != det) free(dk);
            if (sk != HM_OK) {
                free(det);
                cJSON_Delete(out);
                cli_fail(sk, "localize");
                return NULL;
            }
            if (spk.n_scored && (!have_span || spk.ln_p < sp.ln_p)) {
                sp = spk;
                span_key = k;
                have_span = 1;
            }
        }
        if (have_span && dc->n_dets > 1) sp.ln_p = hm_stats_sidak_logp(sp.ln_p, (double)dc->n_dets);
    }
    if (!o->whole_only) {
        /* the default test: the whole document and the most significant span
         * (already corrected for the keys above), Bonferroni over the two
         * (hm_detect_combine_span_logp) */
        cJSON *dt = cJSON_CreateObject(), *wd = cJSON_CreateObject();
        int fired = HM_DEFAULT_FIRED_WHOLE;
        double l = ln_family;
        if (have_span) l = hm_detect_combine_span_logp(ln_family, &sp, 1.0, &fired);
        cJSON_AddNumberToObject(wd, "ln_p", ln_family);
        add_pvalue(wd, ln_family, "");
        cJSON_AddItemToObject(out, "whole_document", wd);
        cJSON_AddNumberToObject(dt, "tests", have_span && sp.n_windows > 1 ? 2 : 1);
        cJSON_AddStringToObject(dt, "correction",
                                have_span && sp.n_windows > 1
                                    ? "bonferroni over the whole-document test and the most "
                                      "significant span (x2; the span is corrected for its "
                                      "windows and for the keys)"
                                    : "none (one window: the span is the whole document)");
        cJSON_AddStringToObject(dt, "fired_test", fired == HM_DEFAULT_FIRED_SPAN ? "span" : "whole");
        cJSON_AddItemToObject(out, "default_test", dt);
        set_headline(out, l, o->alpha, detected);
        ln_family = l;
    }
    if (!o->ids && dc->tok) {
        cJSON_AddStringToObject(out, "tokenizer", hm_tokenizer_name(dc->tok));
        cJSON_AddStringToObject(out, "tokenizer_sha256", dc->tok_sha);
    }
    if (have_span) {
        cJSON *js = cJSON_CreateObject();
        char corr[160];
        cJSON_AddNumberToObject(js, "first_token", (double)sp.first);
        cJSON_AddNumberToObject(js, "last_token", (double)sp.last);
        if (doc->offsets) {
            cJSON_AddNumberToObject(js, "start", (double)doc->offsets[sp.first].start);
            cJSON_AddNumberToObject(js, "end", (double)doc->offsets[sp.last - 1].end);
        }
        add_u64_string(js, "n_scored", sp.n_scored);
        cJSON_AddNumberToObject(js, "score", sp.score);
        /* the selected window's own tail is the minimum over many
         * windows: a statistic, not a p-value (docs/statistics.md) */
        cJSON_AddNumberToObject(js, "window_log10_tail", sp.ln_p_window / log(10.0));
        add_u64_string(js, "n_windows", sp.n_windows);
        if (dc->n_dets > 1) {
            cJSON_AddStringToObject(js, "key_id", dc->key_ids[span_key]);
            add_u64_string(js, "n_keys", dc->n_dets); /* counts as strings */
            snprintf(corr, sizeof corr,
                     "bonferroni over every window tried, then sidak over the %zu keys",
                     dc->n_dets);
        } else {
            snprintf(corr, sizeof corr, "bonferroni over every window tried");
        }
        cJSON_AddStringToObject(js, "correction", corr);
        add_pvalue(js, sp.ln_p, "");
        cJSON_AddItemToObject(out, "span", js);
    }
    if (o->per_token) cJSON_AddItemToObject(out, "tokens", cli_tokens_json(det, doc, doc->len));
    free(det);
    return out;
}

/* Replaces the headline p-value of a result by ln_p and recomputes
 * "detected". */
static void set_headline(cJSON *out, double ln_p, double alpha, int *detected)
{
    static const char *const f[] = {"ln_p", "log10_p", "p", "p_text", "alpha", "detected"};
    size_t i;
    for (i = 0; i < sizeof f / sizeof f[0]; i++) cJSON_DeleteItemFromObject(out, f[i]);
    cJSON_AddNumberToObject(out, "ln_p", ln_p);
    add_pvalue(out, ln_p, "");
    *detected = ln_p <= log(alpha);
    cJSON_AddNumberToObject(out, "alpha", alpha);
    cJSON_AddBoolToObject(out, "detected", *detected);
}

static cJSON *canon_json(const hm_canon_output *t, const hm_canon_output *p)
{
    hm_canon_counts n = t->counts;
    if (p) hm_canon_counts_add(&n, &p->counts); /* the prompt's changes count too */
    return cli_canon_counts_json(&n, t->changed || (p && p->changed));
}

static int same_ids(const hm_tok_output *a, const hm_tok_output *b)
{
    return a->len == b->len && (a->len == 0 || !memcmp(a->ids, b->ids, a->len * sizeof *a->ids));
}

/* Canonicalizes text into *ct and encodes it into *cdoc, with offsets into
 * the original text. */
static int canon_ids(struct dctx *dc, const char *what, const unsigned char *buf, size_t len,
                     hm_canon_output *ct, hm_tok_output *cdoc)
{
    int s = hm_canon_text(dc->canon, (const char *)buf, len, ct);
    cdoc->len = 0;
    if (s != HM_OK) return cli_fail(s, what);
    if (!ct->changed) return CLI_OK;
    s = hm_tokenizer_encode(dc->tok, dc->scratch, ct->text, ct->len,
                            HM_TOK_OFFSETS | (dc->o->special ? HM_TOK_SPECIAL : 0u), cdoc);
    if (s == HM_OK) s = hm_canon_map_tokens(ct, cdoc);
    if (s != HM_OK) return cli_fail(s, what);
    return CLI_OK;
}

/* Tests one document (text or ids, and an optional prompt): the text as
 * given and, unless --no-canonical, the canonical text when it changes the
 * token ids, combined by hm_canon_combine_logp.  Returns the JSON result
 * (caller frees) or NULL after printing a message; *bad_input is set when
 * the input itself was refused. */
static cJSON *detect_input(struct dctx *dc, const char *what, const unsigned char *pbuf,
                           size_t plen, int has_prompt, const unsigned char *buf, size_t len,
                           int *detected, int *bad_input)
{
    hm_tok_output doc, prompt, cdoc, cprompt;
    cJSON *g = NULL, *c = NULL, *out = NULL, *cj;
    int differ = 0, dg = 0, dcan = 0, fired = 0;
    *bad_input = 0;
    hm_tok_output_init(&doc);
    hm_tok_output_init(&prompt);
    hm_tok_output_init(&cdoc);
    hm_tok_output_init(&cprompt);
    if (to_ids(dc, what, buf, len, &doc) != CLI_OK ||
        (has_prompt && to_ids(dc, what, pbuf, plen, &prompt) != CLI_OK)) {
        *bad_input = 1;
        goto done;
    }
    if (doc.len == 0) {
        cli_err("%s: the input is empty: nothing to test", what);
        *bad_input = 1;
        goto done;
    }
    if (dc->canon) {
        if (canon_ids(dc, what, buf, len, &dc->ctext, &cdoc) != CLI_OK ||
            (has_prompt && canon_ids(dc, what, pbuf, plen, &dc->cprompt, &cprompt) != CLI_OK))
            goto done;
        if (!dc->ctext.changed) {
            free(cdoc.ids);
            free(cdoc.offsets);
            cdoc = doc; /* shallow: same arrays, not freed twice */
        }
        if (has_prompt && !dc->cprompt.changed) {
            free(cprompt.ids);
            free(cprompt.offsets);
            cprompt = prompt;
        }
        differ = !same_ids(&doc, &cdoc) || (has_prompt && !same_ids(&prompt, &cprompt));
    }
    g = detect_doc(dc, has_prompt ? &prompt : NULL, &doc, &dg);
    if (!g) goto done;
    if (differ) {
        c = detect_doc(dc, has_prompt ? &cprompt : NULL, &cdoc, &dcan);
        if (!c) goto done;
    }
    if (!dc->canon) {
        out = g;
        g = NULL;
        *detected = dg;
        if (!dc->o->ids) {
            cj = cJSON_CreateObject();
            cJSON_AddBoolToObject(cj, "enabled", 0);
            cJSON_AddItemToObject(out, "canonical", cj);
        }
        goto done;
    }
    cj = canon_json(&dc->ctext, has_prompt ? &dc->cprompt : NULL);
    if (differ) {
        double lg = cJSON_GetNumberValue(cJSON_GetObjectItem(g, "ln_p"));
        double lc = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "ln_p"));
        double l = hm_canon_combine_logp(lg, lc, 1, &fired);
        out = fired == HM_CANON_FIRED_CANONICAL ? c : g;
        if (out == c) c = NULL; else g = NULL;
        set_headline(out, l, dc->o->alpha, detected);
        cJSON_AddNumberToObject(cj, "tests", 2);
        cJSON_AddStringToObject(cj, "correction", "bonferroni over the text as given and the canonical text (x2)");
        add_pvalue(cj, lg, "given_");
        add_pvalue(cj, lc, "canonical_");
    } else {
        out = g;
        g = NULL;
        *detected = dg;
        cJSON_AddNumberToObject(cj, "tests", 1);
        cJSON_AddStringToObject(cj, "correction", "none (the canonical text has the same token ids)");
    }
    cJSON_AddStringToObject(cj, "fired_test", fired == HM_CANON_FIRED_CANONICAL ? "canonical" : "given");
    cJSON_AddItemToObject(out, "canonical", cj);
done:
    cJSON_Delete(g);
    cJSON_Delete(c);
    if (cdoc.ids != doc.ids) hm_tok_output_clear(&cdoc);
    if (cprompt.ids != prompt.ids) hm_tok_output_clear(&cprompt);
    hm_tok_output_clear(&doc);
    hm_tok_output_clear(&prompt);
    return out;
}

static void print_human(const cJSON *r)
{
    const char *pt = cJSON_GetStringValue(cJSON_GetObjectItem(r, "p_text"));
    const cJSON *fam = cJSON_GetObjectItem(r, "family");
    const cJSON *span = cJSON_GetObjectItem(r, "span");
    int det = cJSON_IsTrue(cJSON_GetObjectItem(r, "detected"));
    printf("%s: p = %s (alpha %g)%s\n", det ? "DETECTED" : "not detected", pt,
           cJSON_GetNumberValue(cJSON_GetObjectItem(r, "alpha")),
           fam ? " after a family-wise correction over all keys" : "");
    printf("scheme %s, key %s, dedup %s, test %s\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "scheme_version")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "key_id")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "dedup")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "test")));
    printf("scored %s of %s tokens (%s without a full context, %s repeated, %s after EOS)\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "n_scored")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "n_tokens")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "n_no_context")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "n_duplicate")),
           cJSON_GetStringValue(cJSON_GetObjectItem(r, "n_after_eos")));
    printf("statistic %.6g, mean per scored token %.4f, z = %.2f (informative only)\n",
           cJSON_GetNumberValue(cJSON_GetObjectItem(r, "score")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(r, "mean_score")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(r, "z")));
    if (cJSON_IsNumber(cJSON_GetObjectItem(r, "ln_p_estimate"))) {
        char est[40];
        (void)hm_stats_format_p(cJSON_GetNumberValue(cJSON_GetObjectItem(r, "ln_p_estimate")),
                                est, sizeof est);
        printf("p is calibrated, not exact: an upper bound from this key set's Monte Carlo null "
               "(%s draws, valid with probability 1 - %g); the estimate is %s\n",
               cJSON_GetStringValue(cJSON_GetObjectItem(r, "null_samples")),
               cJSON_GetNumberValue(cJSON_GetObjectItem(r, "null_delta")), est);
    }
    if (fam)
        printf("best key %s of %s\n",
               cJSON_GetStringValue(cJSON_GetObjectItem(fam, "best_key_id")),
               cJSON_GetStringValue(cJSON_GetObjectItem(fam, "n_keys")));
    {
        const cJSON *dt = cJSON_GetObjectItem(r, "default_test");
        const cJSON *wd = cJSON_GetObjectItem(r, "whole_document");
        if (dt && wd && cJSON_GetNumberValue(cJSON_GetObjectItem(dt, "tests")) > 1)
            printf("default test: whole document p = %s; %s (2 tests, Bonferroni)\n",
                   cJSON_GetStringValue(cJSON_GetObjectItem(wd, "p_text")),
                   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(dt, "fired_test")), "span")
                       ? "the whole document gave the smaller p"
                       : "the most significant span gave the smaller p");
    }
    {
        const cJSON *cj = cJSON_GetObjectItem(r, "canonical");
        if (cj && cJSON_IsTrue(cJSON_GetObjectItem(cj, "changed")))
            printf("canonical text: %s; %s (%d tests, Bonferroni)\n",
                   cJSON_GetStringValue(cJSON_GetObjectItem(cj, "changes")),
                   strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "fired_test")), "canonical")
                       ? "the text as given gave the smaller p"
                       : "the canonical text gave the smaller p",
                   (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cj, "tests")));
    }
    if (span) {
        const cJSON *nk = cJSON_GetObjectItem(span, "n_keys");
        printf("most significant span: tokens %d..%d, p = %s corrected for %s windows",
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(span, "first_token")),
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(span, "last_token")),
               cJSON_GetStringValue(cJSON_GetObjectItem(span, "p_text")),
               cJSON_GetStringValue(cJSON_GetObjectItem(span, "n_windows")));
        if (nk)
            printf(" and %s keys (key %s)", cJSON_GetStringValue(nk),
                   cJSON_GetStringValue(cJSON_GetObjectItem(span, "key_id")));
        printf("\n");
    }
    if (cJSON_GetObjectItem(r, "warnings"))
        printf("WARNING: deduplication is off: this p-value is not valid on repetitive text\n");
}

static int setup(struct dctx *dc)
{
    struct dopts *o = dc->o;
    size_t k, n = o->n_keys ? o->n_keys : 1;
    int bad = -1, s;
    for (k = 0; k < n; k++) {
        hm_key *key = NULL;
        if (o->n_keys) {
            if (cli_load_key(o->keys[k], o->passfile, &key) != CLI_OK) return CLI_ERROR;
            (void)hm_key_id(key, dc->key_ids[k]);
            if (hm_key_kind(key) == HM_KEY_DERIVED)
                snprintf(dc->accounts[k], sizeof dc->accounts[k], "%s", hm_key_tenant(key));
        } else {
            cli_interop_key_id(o->scheme, o->np ? o->params[o->np - 1] : "", dc->key_ids[k]);
        }
        int kind = hm_key_kind(key);
        s = hm_detector_new(&dc->dets[k], o->scheme, key, o->params, o->np, 0, &bad);
        hm_key_free(key);
        if (s != HM_OK && (kind == HM_KEY_SIGNING || kind == HM_KEY_PUBLIC)) {
            cli_err("%s is %s key (for evidence reports); --key takes a watermark key: a "
                    "master key ('key new') or an account key ('key derive')",
                    o->keys[k], kind == HM_KEY_SIGNING ? "a signing" : "a public signing");
            return CLI_ERROR;
        }
        if (s != HM_OK) {
            if (s == HM_E_MISUSE && bad < 0 && hm_scheme_params_doc(o->scheme))
                cli_err("scheme '%s' needs --key FILE (or its engine's key)", o->scheme);
            else
                cli_scheme_error(o->scheme, o->params, bad, s);
            return CLI_ERROR;
        }
        dc->n_dets++;
        if (o->dedup >= 0 && hm_detector_set_dedup(dc->dets[k], o->dedup) != HM_OK)
            return cli_usage_error("detect", "bad --dedup");
        if (o->eos >= 0) (void)hm_detector_set_eos(dc->dets[k], o->eos);
    }
    if (!o->ids) {
        unsigned char sha[32];
        if (cli_open_tokenizer(o->tokenizer, NULL, &dc->tok) != CLI_OK) return CLI_ERROR;
        if (hm_tok_scratch_new(&dc->scratch) != HM_OK) return cli_fail(HM_E_NOMEM, "tokenizer");
        if (hm_tokenizer_sha256(dc->tok, sha) == HM_OK) sodium_bin2hex(dc->tok_sha, 65, sha, 32);
        if (!o->no_canonical && (s = hm_canon_new(&dc->canon)) != HM_OK)
            return cli_fail(s, "canonical text");
    }
    return CLI_OK;
}

static int run_jsonl(struct dctx *dc, const unsigned char *buf, size_t len)
{
    size_t pos = 0;
    unsigned long long line = 0, docs = 0, detected = 0, malformed = 0, empty = 0;
    int rc = CLI_OK;
    cJSON *sum;
    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
        cJSON *j, *f, *pf, *id, *r;
        char what[64];
        int det = 0, bad = 0;
        line++;
        snprintf(what, sizeof what, "line %llu", line);
        if (l == 0 || (l == 1 && buf[pos] == '\r')) {
            empty++;
            pos = end + 1;
            continue;
        }
        j = cJSON_ParseWithLength((const char *)buf + pos, l);
        pos = end + 1;
        f = j ? cJSON_GetObjectItem(j, dc->o->field) : NULL;
        if (!j || !cJSON_IsString(f)) {
            cli_err("%s: %s; skipped", what,
                    !j ? "malformed JSON" : "no string field with the text");
            printf("{\"line\":\"%llu\",\"error\":\"%s\"}\n", line,
                   !j ? "malformed JSON" : "missing text field");
            malformed++;
            cJSON_Delete(j);
            continue;
        }
        if (f->valuestring[0] == 0) {
            empty++;
            cJSON_Delete(j);
            continue;
        }
        pf = dc->o->prompt_field ? cJSON_GetObjectItem(j, dc->o->prompt_field) : NULL;
        r = detect_input(dc, what, cJSON_IsString(pf) ? (const unsigned char *)pf->valuestring : NULL,
                         cJSON_IsString(pf) ? strlen(pf->valuestring) : 0, cJSON_IsString(pf),
                         (const unsigned char *)f->valuestring, strlen(f->valuestring), &det, &bad);
        if (!r && bad) {
            printf("{\"line\":\"%llu\",\"error\":\"bad input\"}\n", line);
            malformed++;
            cJSON_Delete(j);
            continue;
        }
        if (!r) {
            cJSON_Delete(j);
            rc = CLI_ERROR;
            break;
        }
        add_u64_string(r, "line", (uint64_t)line); /* counts as strings, as in scan */
        id = cJSON_GetObjectItem(j, "id");
        if (id) cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, 1));
        cli_print_json(r, 1);
        cJSON_Delete(r);
        cJSON_Delete(j);
        docs++;
        detected += (unsigned long long)det;
    }
    if (rc != CLI_OK) return rc;
    sum = cJSON_CreateObject();
    cJSON_AddBoolToObject(sum, "summary", 1);
    add_u64_string(sum, "lines", line);
    add_u64_string(sum, "scored", docs);
    add_u64_string(sum, "detected", detected);
    add_u64_string(sum, "empty", empty);
    add_u64_string(sum, "malformed", malformed);
    cJSON_AddNumberToObject(sum, "alpha", dc->o->alpha);
    cJSON_AddStringToObject(sum, "note", "per-document alpha; no correction across documents "
                                         "(use `hallmark scan` for corpus-level FDR control)");
    cli_print_json(sum, 1);
    cJSON_Delete(sum);
    if (malformed) return CLI_ERROR;
    return detected ? CLI_OK : CLI_NOT_DETECTED;
}

int cli_detect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'},        {"scheme", required_argument, 0, 's'},
        {"param", required_argument, 0, 'p'},      {"tokenizer", required_argument, 0, 't'},
        {"prompt-file", required_argument, 0, 'P'}, {"alpha", required_argument, 0, 'a'},
        {"json", no_argument, 0, 'j'},             {"ids", no_argument, 0, 'i'},
        {"jsonl", no_argument, 0, 'l'},            {"field", required_argument, 0, 'f'},
        {"prompt-field", required_argument, 0, 'F'}, {"per-token", no_argument, 0, 'T'},
        {"localize", no_argument, 0, 'L'},         {"passphrase-file", required_argument, 0, 'x'},
        {"dedup", required_argument, 0, 'd'},      {"no-dedup", no_argument, 0, 'N'},
        {"eos", required_argument, 0, 'e'},        {"vllm-key", required_argument, 0, 'V'},
        {"sglang-key", required_argument, 0, 'G'}, {"synthid-keys", required_argument, 0, 'S'},
        {"special", no_argument, 0, 'c'},          {"allow-invalid-utf8", no_argument, 0, 'u'},
        {"max-bytes", required_argument, 0, 'm'},  {"help", no_argument, 0, 'h'},
        {"no-canonical", no_argument, 0, 'C'},     {"whole-only", no_argument, 0, 'W'},
        {0, 0, 0, 0}};
    struct dopts o;
    struct dctx dc;
    unsigned char *buf = NULL, *pbuf = NULL;
    size_t len = 0, plen = 0, k;
    hm_tok_output doc, prompt;
    int c, rc = CLI_ERROR, s, det = 0;
    char *end;
    memset(&o, 0, sizeof o);
    memset(&dc, 0, sizeof dc);
    o.tokenizer = "cl100k_base";
    o.field = "text";
    o.alpha = 1e-6;
    o.dedup = -1;
    o.eos = -1;
    o.max_bytes = DEFAULT_MAX_BYTES;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (o.n_keys == MAX_KEYS) return cli_usage_error("detect", "at most %d keys", MAX_KEYS);
            o.keys[o.n_keys++] = optarg;
            break;
        case 's': o.scheme = optarg; break;
        case 'p':
            if (o.np == MAX_PARAMS) return cli_usage_error("detect", "too many --param");
            o.params[o.np++] = optarg;
            break;
        case 't': o.tokenizer = optarg; break;
        case 'P': o.prompt_file = optarg; break;
        case 'a':
            errno = 0;
            o.alpha = strtod(optarg, &end);
            if (*end || errno || !(o.alpha > 0 && o.alpha < 1))
                return cli_usage_error("detect", "--alpha takes a number in (0, 1)");
            break;
        case 'j': o.json = 1; break;
        case 'i': o.ids = 1; break;
        case 'l': o.jsonl = 1; break;
        case 'f': o.field = optarg; break;
        case 'F': o.prompt_field = optarg; break;
        case 'T': o.per_token = 1; break;
        case 'L': o.localize = 1; break;
        case 'x': o.passfile = optarg; break;
        case 'd':
            o.dedup = hm_dedup_parse(optarg);
            if (o.dedup < 0) return cli_usage_error("detect", "--dedup: tuple, context or none");
            break;
        case 'N': o.dedup = HM_DEDUP_NONE; break;
        case 'e':
            errno = 0;
            o.eos = strtoll(optarg, &end, 10);
            if (*end || errno || o.eos < 0) return cli_usage_error("detect", "--eos takes a token id");
            break;
        case 'V':
            snprintf(o.interop_param[0], sizeof o.interop_param[0], "key=%s", optarg);
            break;
        case 'G':
            snprintf(o.interop_param[0], sizeof o.interop_param[0], "key=%s", optarg);
            break;
        case 'S':
            if (cli_synthid_param(optarg, o.interop_param[0], sizeof o.interop_param[0]) != CLI_OK)
                return CLI_ERROR;
            break;
        case 'c': o.special = 1; break;
        case 'C': o.no_canonical = 1; break;
        case 'W': o.whole_only = 1; break;
        case 'u': o.allow_invalid = 1; break;
        case 'm': o.max_bytes = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("detect", "invalid option");
        }
    }
    if (!o.scheme) return cli_usage_error("detect", "--scheme is required");
    /* A fixed payload's colours are favoured by every payload that shares
     * code symbols with it, so detect cannot test one payload against the
     * others: the payload command can (docs/payload.md). */
    if (strcmp(o.scheme, "mpac") == 0)
        return cli_usage_error("detect",
                               "scheme mpac carries a payload, which detect cannot tell from other "
                               "payloads: use 'hallmark payload decode --key FILE [--expect X]'");
    if (o.interop_param[0][0]) {
        if (o.n_keys) return cli_usage_error("detect", "give either --key or an engine key");
        o.params[o.np++] = o.interop_param[0];
    } else if (!o.n_keys) {
        return cli_usage_error("detect", "--key FILE is required");
    }
    if (optind < argc - 1) return cli_usage_error("detect", "at most one input file");
    o.input = optind < argc ? argv[optind] : "-";
    dc.o = &o;
    hm_tok_output_init(&doc);
    hm_tok_output_init(&prompt);
    if (setup(&dc) != CLI_OK) goto done;
    s = cli_read_file(o.input, &buf, &len);
    if (s != HM_OK) {
        cli_fail(s, o.input);
        goto done;
    }
    if (len > o.max_bytes) {
        cli_err("%s: input is %zu bytes, over the limit of %llu (--max-bytes)", o.input, len,
                o.max_bytes);
        goto done;
    }
    if (o.jsonl) {
        rc = run_jsonl(&dc, buf, len);
        goto done;
    }
    if (o.prompt_file) {
        s = cli_read_file(o.prompt_file, &pbuf, &plen);
        if (s != HM_OK) {
            cli_fail(s, o.prompt_file);
            goto done;
        }
    }
    {
        int bad = 0;
        cJSON *r = detect_input(&dc, o.input, pbuf, plen, o.prompt_file != NULL, buf, len, &det,
                                &bad);
        if (!r) goto done;
        if (o.json) {
            cli_json_add_argv(r);
            cli_print_json(r, 0);
        } else
            print_human(r);
        cJSON_Delete(r);
        rc = det ? CLI_OK : CLI_NOT_DETECTED;
    }
done:
    free(buf);
    free(pbuf);
    hm_tok_output_clear(&doc);
    hm_tok_output_clear(&prompt);
    for (k = 0; k < dc.n_dets; k++) hm_detector_free(dc.dets[k]);
    hm_tok_scratch_free(dc.scratch);
    hm_tokenizer_free(dc.tok);
    hm_canon_free(dc.canon);
    hm_canon_output_clear(&dc.ctext);
    hm_canon_output_clear(&dc.cprompt);
    return rc;
}
