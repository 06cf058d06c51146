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
#include "hallmark/detect.h"
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
    int json, ids, jsonl, per_token, localize, special, allow_invalid, dedup;
    long long eos;
    unsigned long long max_bytes;
    char interop_param[2][CLI_INTEROP_PARAM_MAX];
};

/* Everything loaded once and used for every document. */
struct dctx {
    struct dopts *o;
    hm_detector *dets[MAX_KEYS];
    char key_ids[MAX_KEYS][40];
    size_t n_dets;
    hm_tokenizer *tok;
    hm_tok_scratch *scratch;
    char tok_sha[65];
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
"  --scheme S          kgw, unigram, gumbel, mpac (a known payload: --param\n"
"                      payload=N), synthid, vllm, sglang\n"
"  --param k=v         scheme parameter (see docs/schemes.md); repeatable\n"
"  --vllm-key N        vLLM's integer key (--scheme vllm); --no-dedup scores every\n"
"                      position instead of vLLM's first-occurrence-of-each-context rule\n"
"  --sglang-key HEX    SGLang's key (--scheme sglang)\n"
"  --synthid-keys F    a JSON array of SynthID layer keys (--scheme synthid)\n"
"Scoring:\n"
"  --dedup P           tuple (default), context or none\n"
"  --eos ID            do not score positions from the first EOS token on\n"
"  --alpha A           significance level (default 1e-6)\n"
"Output:\n"
"  --json              a JSON object (scheme, params, prf_version, key_id, dedup,\n"
"                      n_scored, score, log10_p, p, detected, ...)\n"
"  --per-token         add \"tokens\": per-token id, offsets, counted, green/u/g\n"
"  --localize          add \"span\": the most significant span, with a p-value\n"
"                      corrected for every window tried\n"
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
    char name[64], pstr[64];
    double p = exp(ln_p);
    snprintf(name, sizeof name, "%slog10_p", prefix);
    cJSON_AddNumberToObject(o, name, ln_p / log(10.0));
    snprintf(name, sizeof name, "%sp", prefix);
    /* log10_p is authoritative; p is never printed as 0 for a p > 0: below
     * the normal doubles (2.2e-308) it is null (p_text still has it) */
    if (p < DBL_MIN && ln_p > -INFINITY)
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, p);
    (void)hm_stats_format_p(ln_p, pstr, sizeof pstr);
    snprintf(name, sizeof name, "%sp_text", prefix);
    cJSON_AddStringToObject(o, name, pstr);
}

static cJSON *result_json(struct dctx *dc, size_t k, const hm_detect_result *r)
{
    cJSON *o = cJSON_CreateObject();
    char desc[1024];
    (void)hm_detector_describe(dc->dets[k], desc, sizeof desc);
    cli_add_description(o, desc, 1);
    cJSON_AddStringToObject(o, "prf_version", hm_detector_prf_version(dc->dets[k]));
    cJSON_AddStringToObject(o, "key_id", dc->key_ids[k]);
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

/* Scores one document; returns a JSON result (caller frees) and sets
 * *detected.  NULL on an internal error (message printed). */
static cJSON *detect_doc(struct dctx *dc, const hm_tok_output *prompt, const hm_tok_output *doc,
                         int *detected)
{
    struct dopts *o = dc->o;
    hm_detect_result res[MAX_KEYS];
    hm_token_detail *det = NULL;
    double ln_family = 0, holm[MAX_KEYS];
    size_t best = 0, k;
    cJSON *out;
    int s;
    if (o->per_token || o->localize) {
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
        cJSON_AddNumberToObject(fam, "n_keys", (double)dc->n_dets);
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
    if (!o->ids && dc->tok) {
        cJSON_AddStringToObject(out, "tokenizer", hm_tokenizer_name(dc->tok));
        cJSON_AddStringToObject(out, "tokenizer_sha256", dc->tok_sha);
    }
    if (o->localize) {
        hm_span sp, spk;
        size_t span_key = best;
        int have = 0;
        memset(&sp, 0, sizeof sp);
        /* every key's most significant span: the best key of the whole
         * document need not hold the best span, and choosing the key by
         * either is a selection that must be corrected for (Sidak over the
         * keys, each key's span already Bonferroni-corrected over its
         * windows; keys are independent under H0) */
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
            if (spk.n_scored && (!have || spk.ln_p < sp.ln_p)) {
                sp = spk;
                span_key = k;
                have = 1;
            }
        }
        if (have) {
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
                cJSON_AddNumberToObject(js, "n_keys", (double)dc->n_dets);
                snprintf(corr, sizeof corr,
                         "bonferroni over every window tried, then sidak over the %zu keys",
                         dc->n_dets);
                sp.ln_p = hm_stats_sidak_logp(sp.ln_p, (double)dc->n_dets);
            } else {
                snprintf(corr, sizeof corr, "bonferroni over every window tried");
            }
            cJSON_AddStringToObject(js, "correction", corr);
            add_pvalue(js, sp.ln_p, "");
            cJSON_AddItemToObject(out, "span", js);
        }
    }
    if (o->per_token) cJSON_AddItemToObject(out, "tokens", cli_tokens_json(det, doc, doc->len));
    free(det);
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
        printf("best key %s of %d\n",
               cJSON_GetStringValue(cJSON_GetObjectItem(fam, "best_key_id")),
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(fam, "n_keys")));
    if (span) {
        const cJSON *nk = cJSON_GetObjectItem(span, "n_keys");
        printf("most significant span: tokens %d..%d, p = %s corrected for %s windows",
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(span, "first_token")),
               (int)cJSON_GetNumberValue(cJSON_GetObjectItem(span, "last_token")),
               cJSON_GetStringValue(cJSON_GetObjectItem(span, "p_text")),
               cJSON_GetStringValue(cJSON_GetObjectItem(span, "n_windows")));
        if (nk)
            printf(" and %d keys (key %s)", (int)cJSON_GetNumberValue(nk),
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
    }
    return CLI_OK;
}

static int run_jsonl(struct dctx *dc, const unsigned char *buf, size_t len)
{
    size_t pos = 0;
    unsigned long long line = 0, docs = 0, detected = 0, malformed = 0, empty = 0;
    hm_tok_output doc, prompt;
    int rc = CLI_OK;
    cJSON *sum;
    hm_tok_output_init(&doc);
    hm_tok_output_init(&prompt);
    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
        cJSON *j, *f, *pf, *id, *r;
        char what[64];
        int det = 0;
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
            printf("{\"line\":%llu,\"error\":\"%s\"}\n", line,
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
        if (to_ids(dc, what, (const unsigned char *)f->valuestring, strlen(f->valuestring), &doc) !=
                CLI_OK ||
            (cJSON_IsString(pf) && to_ids(dc, what, (const unsigned char *)pf->valuestring,
                                          strlen(pf->valuestring), &prompt) != CLI_OK)) {
            printf("{\"line\":%llu,\"error\":\"bad input\"}\n", line);
            malformed++;
            cJSON_Delete(j);
            continue;
        }
        r = detect_doc(dc, cJSON_IsString(pf) ? &prompt : NULL, &doc, &det);
        if (!r) {
            cJSON_Delete(j);
            rc = CLI_ERROR;
            break;
        }
        cJSON_AddNumberToObject(r, "line", (double)line);
        id = cJSON_GetObjectItem(j, "id");
        if (id) cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, 1));
        cli_print_json(r, 1);
        cJSON_Delete(r);
        cJSON_Delete(j);
        docs++;
        detected += (unsigned long long)det;
    }
    hm_tok_output_clear(&doc);
    hm_tok_output_clear(&prompt);
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
        case 'u': o.allow_invalid = 1; break;
        case 'm': o.max_bytes = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("detect", "invalid option");
        }
    }
    if (!o.scheme) return cli_usage_error("detect", "--scheme is required");
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
        if (to_ids(&dc, o.prompt_file, pbuf, plen, &prompt) != CLI_OK) goto done;
    }
    if (to_ids(&dc, o.input, buf, len, &doc) != CLI_OK) goto done;
    if (doc.len == 0) {
        cli_err("%s: the input is empty: nothing to test", o.input);
        goto done;
    }
    {
        cJSON *r = detect_doc(&dc, o.prompt_file ? &prompt : NULL, &doc, &det);
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
    return rc;
}
