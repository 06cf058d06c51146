/*
 * demo-gen.c - the demo's "API": answers prompts with the sample n-gram
 * model (samples/lm/ngram.h), watermarked with a Hallmark key through the
 * public embedding API (hallmark/embed.h), or plain.
 *
 *   demo-gen --model M [--key K --scheme S [--param k=v ...] | --no-watermark]
 *            [-n TOKENS] [--temperature T] [--top-k K] [--seed N] PROMPTS.ids
 *
 * PROMPTS.ids holds token ids, one prompt per line.  For each prompt it
 * writes one JSON line {"prompt": [ids], "completion": [ids]} on stdout.
 * The end-of-text token stops a completion and is not written.
 * Exit status 0 on success, 2 on errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hallmark.h"
#include "../lm/ngram.h"

#define MAX_PARAMS 16

static int fail(const char *what, int st)
{
    fprintf(stderr, "demo-gen: %s: %s\n", what, hm_strerror(st));
    return 2;
}

static void print_ids(const uint32_t *ids, size_t n)
{
    size_t i;
    putchar('[');
    for (i = 0; i < n; i++) printf(i ? ",%u" : "%u", ids[i]);
    putchar(']');
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},   {"key", required_argument, NULL, 'k'},
        {"scheme", required_argument, NULL, 's'},  {"param", required_argument, NULL, 'p'},
        {"no-watermark", no_argument, NULL, 'w'},  {"tokens", required_argument, NULL, 'n'},
        {"temperature", required_argument, NULL, 't'}, {"top-k", required_argument, NULL, 'K'},
        {"seed", required_argument, NULL, 'S'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *model_path = NULL, *key_path = NULL, *scheme = NULL, *params[MAX_PARAMS];
    size_t np = 0, n_tokens = 48, i, n_ids = 0, n_docs = 0;
    int c, no_wm = 0, st, bad = -1;
    double temperature = 1.0;
    long top_k = 0;
    unsigned long long seed = 1;
    uint64_t u;
    char *text = NULL;
    size_t len = 0;
    uint32_t *ids = NULL, *out = NULL, V;
    size_t *starts = NULL;
    float *logits = NULL;
    slm_model *model = NULL;
    hm_key *key = NULL;
    hm_embedder *emb = NULL;
    hm_session *sess = NULL;
    hm_sampling sp = hm_sampling_default();

    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'k': key_path = optarg; break;
        case 's': scheme = optarg; break;
        case 'p':
            if (np == MAX_PARAMS) return fail("--param", HM_E_LIMIT);
            params[np++] = optarg;
            break;
        case 'w': no_wm = 1; break;
        case 'n':
            if (prog_parse_u64(optarg, 1, 100000, &u) != 0) return fail("-n", HM_E_RANGE);
            n_tokens = (size_t)u;
            break;
        case 't': temperature = strtod(optarg, NULL); break;
        case 'K':
            if (prog_parse_u64(optarg, 0, 1000000, &u) != 0) return fail("--top-k", HM_E_RANGE);
            top_k = (long)u;
            break;
        case 'S':
            if (prog_parse_u64(optarg, 0, UINT64_MAX, &u) != 0) return fail("--seed", HM_E_RANGE);
            seed = u;
            break;
        case 'h':
            printf("Usage: demo-gen --model M [--key K --scheme S [--param k=v ...] |"
                   " --no-watermark]\n  [-n TOKENS] [--temperature T] [--top-k K] [--seed N]"
                   " PROMPTS.ids\n");
            return 0;
        default: return 2;
        }
    }
    if (!model_path || optind != argc - 1 || (!no_wm && (!key_path || !scheme))) {
        fprintf(stderr, "demo-gen: need --model, PROMPTS and --key/--scheme or --no-watermark\n");
        return 2;
    }
    if (hm_init() != HM_OK) return fail("init", HM_E_CRYPTO);
    st = slm_load(model_path, &model);
    if (st != HM_OK) return fail(model_path, st);
    V = slm_vocab_size(model);
    if (prog_read_all(argv[optind], &text, &len) != 0) return fail(argv[optind], HM_E_IO);
    st = slm_parse_ids(text, len, V, &ids, &n_ids, &starts, &n_docs, NULL);
    if (st != HM_OK) return fail(argv[optind], st);
    if (!no_wm) {
        char *kb = NULL;
        size_t kl = 0;
        if (prog_read_all(key_path, &kb, &kl) != 0) return fail(key_path, HM_E_IO);
        st = hm_key_load((const uint8_t *)kb, kl, NULL, 0, &key);
        free(kb);
        if (st != HM_OK) return fail(key_path, st);
    }
    st = hm_embedder_new(&emb, no_wm ? "none" : scheme, key, params, np, V, &bad);
    if (st != HM_OK) return fail(bad >= 0 ? params[bad] : "embedder", st);
    st = hm_session_new(emb, &sess);
    if (st != HM_OK) return fail("session", st);
    logits = malloc((size_t)V * sizeof *logits);
    out = malloc((n_tokens + 1) * sizeof *out);
    if (!logits || !out) return fail("generate", HM_E_NOMEM);
    sp.temperature = (float)temperature;
    sp.top_k = (int32_t)top_k;
    for (i = 0; i < n_docs; i++) {
        size_t a = starts[i], b = i + 1 < n_docs ? starts[i + 1] : n_ids, k, n_out = 0;
        uint32_t ctx[16];
        size_t order = slm_order(model), nctx;
        if (b == a) continue;
        hm_session_reset(sess);
        hm_session_set_seed(sess, seed * 1000003ull + i);
        (void)hm_session_seed(sess, ids + a, b - a);
        for (k = 0; k < n_tokens; k++) {
            uint32_t t;
            size_t total = (b - a) + n_out, j;
            nctx = total < order - 1 ? total : order - 1;
            for (j = 0; j < nctx; j++) {
                size_t pos = total - nctx + j;
                ctx[j] = pos < b - a ? ids[a + pos] : out[pos - (b - a)];
            }
            st = slm_logits(model, ctx, nctx, logits);
            if (st == HM_OK) st = hm_session_sample(sess, logits, V, &sp, &t, NULL);
            if (st == HM_OK) st = hm_session_accept(sess, t);
            if (st != HM_OK) return fail("generate", st);
            if (t == slm_eos(model)) break;
            out[n_out++] = t;
        }
        fputs("{\"prompt\":", stdout);
        print_ids(ids + a, b - a);
        fputs(",\"completion\":", stdout);
        print_ids(out, n_out);
        fputs("}\n", stdout);
    }
    hm_session_free(sess);
    hm_embedder_free(emb);
    hm_key_free(key);
    slm_free(model);
    free(logits);
    free(out);
    free(ids);
    free(starts);
    free(text);
    return ferror(stdout) ? 2 : 0;
}
