/*
 * cmd_generate.c - `hallmark generate`: the sample language model writes
 * watermarked text (or the unmarked control with --no-watermark), through
 * the same embedding API a serving engine would call: one embedder, one
 * session per prompt, and per step logits -> hm_session_sample -> accept.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../samples/lm/ngram.h"
#include "cli.h"
#include "hallmark/embed.h"
#include "hallmark/key.h"
#include "hallmark/tokenizer.h"

#define MAX_PARAMS 32

struct gopts {
    const char *model, *key, *scheme, *prompt, *prompts_file, *tokenizer, *passfile;
    const char *params[MAX_PARAMS];
    size_t np;
    unsigned long n;
    hm_sampling sp;
    uint64_t seed;
    int have_seed, no_watermark, json, ignore_eos;
    char interop_param[CLI_INTEROP_PARAM_MAX]; /* --vllm-key / --sglang-key / --synthid-keys as a param */
};

struct gen {
    struct gopts *o;
    slm_model *lm;
    hm_tokenizer *tok;
    hm_tok_scratch *scratch;
    hm_embedder *e;
    hm_session *s;
    float *logits;
    uint32_t *ctx; /* EOS + prompt + completion */
    size_t ctx_cap;
    char key_id[40];
    char desc[512];
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark generate --model FILE --key KEY --scheme S [--param k=v ...]\n"
"                         --prompt TEXT [-n TOKENS] [--temperature T] [--json]\n"
"\n"
"Generates text with the sample language model (build/samples/kjv-4.slm; see\n"
"docs/sample-model.md), watermarked with KEY under scheme S.  The completion is\n"
"printed on stdout.\n"
"\n"
"  --no-watermark      the control: plain sampling (no --key or --scheme needed)\n"
"  --prompts FILE      one prompt per line; prints one JSON line per prompt:\n"
"                      {\"prompt\", \"completion\", ...} (seeds advance per line)\n"
"  -n, --tokens N      tokens to generate (default 100); stops early at EOS\n"
"  --ignore-eos        never stop early: EOS is masked out, so exactly N tokens\n"
"                      are generated (as llama.cpp's --ignore-eos)\n"
"  --temperature T     default 1; 0 = greedy (unmarked)\n"
"  --top-k K, --top-p P, --min-p M   truncation, applied in that order\n"
"  --seed N            seeds the sampling RNG (the watermark does not depend on it)\n"
"  --tokenizer T       default cl100k_base (the sample model's)\n"
"  --passphrase-file F for an encrypted key\n"
"  --vllm-key N, --sglang-key HEX, --synthid-keys FILE\n"
"                      the engine's own key for --scheme vllm, sglang, synthid\n"
"                      (instead of --key; as `hallmark detect` takes them)\n"
"  --json              one JSON object with ids, counts and the scheme description\n");
}

static int gen_setup(struct gen *g)
{
    struct gopts *o = g->o;
    hm_key *key = NULL;
    int s, bad = -1;
    uint32_t V;
    s = slm_load(o->model, &g->lm);
    if (s != HM_OK) {
        cli_err("%s: cannot load the model: %s", o->model, hm_strerror(s));
        return CLI_ERROR;
    }
    V = slm_vocab_size(g->lm);
    if (cli_open_tokenizer(o->tokenizer, NULL, &g->tok) != CLI_OK) return CLI_ERROR;
    if (hm_tok_scratch_new(&g->scratch) != HM_OK) return cli_fail(HM_E_NOMEM, "generate");
    if (hm_tokenizer_vocab_size(g->tok) > V) {
        cli_err("tokenizer %s has %u ids but the model only %u", o->tokenizer,
                (unsigned)hm_tokenizer_vocab_size(g->tok), (unsigned)V);
        return CLI_ERROR;
    }
    if (o->no_watermark) {
        s = hm_embedder_new(&g->e, "none", NULL, NULL, 0, V, NULL);
        snprintf(g->key_id, sizeof g->key_id, "none");
    } else if (!o->key) {
        /* an interop profile keyed by its engine's key (a parameter) */
        size_t k;
        for (k = 0; k < o->np; k++)
            if (cli_secret_param(o->params[k])) cli_interop_key_id(o->scheme, o->params[k], g->key_id);
        s = hm_embedder_new(&g->e, o->scheme, NULL, o->params, o->np, V, &bad);
    } else {
        if (cli_load_key(o->key, o->passfile, &key) != CLI_OK) return CLI_ERROR;
        (void)hm_key_id(key, g->key_id);
        s = hm_embedder_new(&g->e, o->scheme, key, o->params, o->np, V, &bad);
        hm_key_free(key);
    }
    if (s != HM_OK) {
        return cli_scheme_error(o->scheme, o->params, bad, s);
    }
    (void)hm_embedder_describe(g->e, g->desc, sizeof g->desc);
    s = hm_session_new(g->e, &g->s);
    g->logits = malloc((size_t)V * sizeof *g->logits);
    if (s != HM_OK || !g->logits) return cli_fail(HM_E_NOMEM, "generate");
    return CLI_OK;
}

static int push_ctx(struct gen *g, size_t *n, uint32_t t)
{
    if (*n == g->ctx_cap) {
        size_t nc = g->ctx_cap ? 2 * g->ctx_cap : 1024;
        uint32_t *c = realloc(g->ctx, nc * sizeof *c);
        if (!c) return HM_E_NOMEM;
        g->ctx = c;
        g->ctx_cap = nc;
    }
    g->ctx[(*n)++] = t;
    return HM_OK;
}

/* Generates one completion; returns a JSON object (caller frees) or NULL. */
static cJSON *gen_one(struct gen *g, const char *prompt, uint64_t seed)
{
    struct gopts *o = g->o;
    hm_tok_output p;
    size_t nctx = 0, i, start, marked = 0;
    uint32_t V = slm_vocab_size(g->lm), eos = slm_eos(g->lm);
    unsigned char *text = NULL;
    size_t tlen = 0;
    cJSON *r = NULL, *ids;
    int s, stopped = 0;
    hm_tok_output_init(&p);
    s = hm_tokenizer_encode(g->tok, g->scratch, prompt, strlen(prompt), 0, &p);
    if (s != HM_OK) {
        cli_fail(s, "prompt");
        return NULL;
    }
    hm_session_reset(g->s);
    hm_session_set_seed(g->s, seed);
    if (hm_session_seed(g->s, p.ids, p.len) != HM_OK) goto fail;
    if (push_ctx(g, &nctx, eos) != HM_OK) goto fail;
    for (i = 0; i < p.len; i++)
        if (push_ctx(g, &nctx, p.ids[i]) != HM_OK) goto fail;
    start = nctx;
    for (i = 0; i < o->n; i++) {
        uint32_t t;
        int m = 0;
        size_t order = 6, from = nctx > order ? nctx - order : 0;
        s = slm_logits(g->lm, g->ctx + from, nctx - from, g->logits);
        if (o->ignore_eos) g->logits[eos] = -INFINITY; /* exactly N tokens */
        if (s == HM_OK) s = hm_session_sample(g->s, g->logits, V, &o->sp, &t, &m);
        if (s == HM_OK) s = hm_session_accept(g->s, t);
        if (s != HM_OK) {
            cli_fail(s, "generate");
            goto fail;
        }
        if (t == eos) {
            stopped = 1;
            break;
        }
        marked += (size_t)m;
        if (push_ctx(g, &nctx, t) != HM_OK) goto fail;
    }
    s = hm_tokenizer_decode(g->tok, g->ctx + start, nctx - start, NULL, 0, &tlen);
    text = malloc(tlen + 1);
    if (!text) goto fail;
    if (s == HM_E_RANGE || s == HM_OK)
        s = hm_tokenizer_decode(g->tok, g->ctx + start, nctx - start, text, tlen, &tlen);
    if (s != HM_OK) {
        cli_fail(s, "decode");
        goto fail;
    }
    text[tlen] = 0;
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "prompt", prompt);
    {
        /* model output is bytes and may not be valid UTF-8: JSON gets U+FFFD
         * for invalid bytes, and the exact ids say what was generated */
        int valid = cli_utf8_valid(text, tlen, NULL);
        char *safe = valid ? NULL : cli_utf8_sanitize(text, tlen);
        if (!valid && !safe) {
            cJSON_Delete(r);
            r = NULL;
            goto fail;
        }
        cJSON_AddStringToObject(r, "completion", valid ? (const char *)text : safe);
        cJSON_AddBoolToObject(r, "completion_valid_utf8", valid);
        free(safe);
    }
    ids = cJSON_CreateArray();
    for (i = start; i < nctx; i++) cJSON_AddItemToArray(ids, cJSON_CreateNumber(g->ctx[i]));
    cJSON_AddItemToObject(r, "ids", ids);
    cJSON_AddNumberToObject(r, "n_tokens", (double)(nctx - start));
    cJSON_AddNumberToObject(r, "n_marked", (double)marked);
    cJSON_AddBoolToObject(r, "stopped_at_eos", stopped);
    cJSON_AddStringToObject(r, "scheme", g->desc);
    cJSON_AddStringToObject(r, "key_id", g->key_id);
fail:
    free(text);
    hm_tok_output_clear(&p);
    return r;
}

static void gen_free(struct gen *g)
{
    hm_session_free(g->s);
    hm_embedder_free(g->e);
    hm_tok_scratch_free(g->scratch);
    hm_tokenizer_free(g->tok);
    slm_free(g->lm);
    free(g->logits);
    free(g->ctx);
}

static int run_prompts(struct gen *g)
{
    unsigned char *buf;
    size_t len, pos = 0, line = 0;
    int s = cli_read_file(g->o->prompts_file, &buf, &len);
    if (s != HM_OK) return cli_fail(s, g->o->prompts_file);
    while (pos < len) {
        unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        cJSON *r;
        buf[end] = 0;
        if (end > pos && buf[end - 1] == '\r') buf[end - 1] = 0;
        line++;
        if (buf[pos]) {
            r = gen_one(g, (const char *)buf + pos, g->o->seed + line);
            if (!r) {
                free(buf);
                return CLI_ERROR;
            }
            cJSON_AddNumberToObject(r, "line", (double)line);
            if (!g->o->json && cJSON_IsTrue(cJSON_GetObjectItem(r, "completion_valid_utf8")))
                cJSON_DeleteItemFromObject(r, "ids"); /* keep the exact ids when the text is lossy */
            cli_print_json(r, 1);
            cJSON_Delete(r);
        }
        pos = end + 1;
    }
    free(buf);
    return CLI_OK;
}

int cli_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},    {"key", required_argument, 0, 'k'},
        {"scheme", required_argument, 0, 's'},   {"param", required_argument, 0, 'p'},
        {"prompt", required_argument, 0, 'P'},   {"prompts", required_argument, 0, 'F'},
        {"tokens", required_argument, 0, 'n'},   {"temperature", required_argument, 0, 'T'},
        {"top-k", required_argument, 0, 'K'},    {"top-p", required_argument, 0, 'U'},
        {"min-p", required_argument, 0, 'M'},    {"seed", required_argument, 0, 'S'},
        {"tokenizer", required_argument, 0, 't'}, {"no-watermark", no_argument, 0, 'W'},
        {"passphrase-file", required_argument, 0, 'x'}, {"json", no_argument, 0, 'j'},
        {"vllm-key", required_argument, 0, 'V'}, {"sglang-key", required_argument, 0, 'G'},
        {"synthid-keys", required_argument, 0, 'Y'}, {"ignore-eos", no_argument, 0, 'E'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    int engine_key = 0;
    size_t k;
    struct gopts o;
    struct gen g;
    char *end;
    int c, rc;
    memset(&o, 0, sizeof o);
    memset(&g, 0, sizeof g);
    o.sp = hm_sampling_default();
    o.n = 100;
    o.tokenizer = "cl100k_base";
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        errno = 0;
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'k': o.key = optarg; break;
        case 's': o.scheme = optarg; break;
        case 'p':
            if (o.np == MAX_PARAMS) return cli_usage_error("generate", "too many --param");
            o.params[o.np++] = optarg;
            break;
        case 'P': o.prompt = optarg; break;
        case 'E': o.ignore_eos = 1; break;
        case 'F': o.prompts_file = optarg; break;
        case 'n':
            o.n = strtoul(optarg, &end, 10);
            if (*end || errno || o.n == 0 || o.n > 1000000)
                return cli_usage_error("generate", "-n takes 1..1000000");
            break;
        case 'T': o.sp.temperature = strtof(optarg, &end); break;
        case 'K': o.sp.top_k = (int32_t)strtol(optarg, &end, 10); break;
        case 'U': o.sp.top_p = strtof(optarg, &end); break;
        case 'M': o.sp.min_p = strtof(optarg, &end); break;
        case 'S':
            o.seed = strtoull(optarg, &end, 10);
            o.have_seed = 1;
            break;
        case 't': o.tokenizer = optarg; break;
        case 'W': o.no_watermark = 1; break;
        case 'x': o.passfile = optarg; break;
        case 'j': o.json = 1; break;
        case 'V':
        case 'G':
            snprintf(o.interop_param, sizeof o.interop_param, "key=%s", optarg);
            break;
        case 'Y':
            if (cli_synthid_param(optarg, o.interop_param, sizeof o.interop_param) != CLI_OK)
                return CLI_ERROR;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("generate", "invalid option");
        }
        if (errno) return cli_usage_error("generate", "bad number '%s'", optarg);
    }
    if (optind < argc) return cli_usage_error("generate", "unexpected argument '%s'", argv[optind]);
    if (!o.model) return cli_usage_error("generate", "--model FILE is required");
    if (!o.prompt == !o.prompts_file)
        return cli_usage_error("generate", "give one of --prompt TEXT or --prompts FILE");
    if (o.interop_param[0]) {
        if (o.np == MAX_PARAMS) return cli_usage_error("generate", "too many --param");
        o.params[o.np++] = o.interop_param;
    }
    for (k = 0; k < o.np; k++) engine_key |= cli_secret_param(o.params[k]);
    if (!o.no_watermark && !o.scheme)
        return cli_usage_error("generate", "--scheme is required (or --no-watermark)");
    if (!o.no_watermark && !o.key && !engine_key)
        return cli_usage_error("generate", "--key FILE is required (or, for vllm, sglang and "
                                           "synthid, the engine's key: --vllm-key, "
                                           "--sglang-key, --synthid-keys)");
    if (o.key && engine_key)
        return cli_usage_error("generate", "give either --key or an engine key");
    if (!(o.sp.temperature >= 0) || o.sp.top_k < 0 || !(o.sp.top_p > 0 && o.sp.top_p <= 1) ||
        !(o.sp.min_p >= 0 && o.sp.min_p < 1))
        return cli_usage_error("generate", "bad sampling parameter");
    if (!o.have_seed) {
        uint64_t r;
        randombytes_buf(&r, sizeof r);
        o.seed = r;
    }
    g.o = &o;
    rc = gen_setup(&g);
    if (rc == CLI_OK) {
        if (o.prompts_file) {
            rc = run_prompts(&g);
        } else {
            cJSON *r = gen_one(&g, o.prompt, o.seed);
            if (!r) {
                rc = CLI_ERROR;
            } else {
                if (o.json)
                    cli_print_json(r, 0);
                else
                    printf("%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(r, "completion")));
                cJSON_Delete(r);
            }
        }
    }
    gen_free(&g);
    return rc;
}
