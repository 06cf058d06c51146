/*
 * hm-llama-gen - generates text with llama.cpp and the Hallmark sampler.
 *
 *   hm-llama-gen --model M.gguf --key K --scheme kgw --prompt "And God said" -n 200
 *   hm-llama-gen --model M.gguf --plain --prompt "..."          (no watermark)
 *   hm-llama-gen --model M.gguf --logits-out L.f32 --ids-in ids.txt
 *
 * The chain is the usual llama.cpp one:
 *   [hallmark BIAS] top-k [hallmark BIAS, --bias-after-top-k] top-p min-p temp  dist | hallmark SAMPLE
 * Prompt and completion are tokenized and detokenized by llama.cpp (the
 * model's own vocabulary); the completion text goes to stdout, messages to
 * stderr.  One thread (n_threads = 1).  Exit 0 ok, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ggml-backend.h>

#include "hallmark_llama.h"

#define MAX_PARAMS 32

static void quiet_log(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static void usage(FILE *f)
{
    fputs("Usage: hm-llama-gen --model M.gguf [--key FILE] [--scheme S] [--param k=v ...]\n"
          "                    [--plain] [--mode auto|bias|sample] [--bias-after-top-k]\n"
          "                    (--prompt TEXT | --prompt-file F) [-n N] [--seed N]\n"
          "                    [--temp T] [--top-k K] [--top-p P] [--min-p P]\n"
          "                    [--ids-out F] [--backend-dir D] [--verbose]\n"
          "       hm-llama-gen --model M.gguf --ids-in F --logits-out F\n"
          "\n"
          "Generates a completion with llama.cpp, watermarked by the Hallmark sampler\n"
          "(scheme S keyed by a Hallmark key file; interop schemes take their key as\n"
          "--param key=...), or plain with --plain.  The completion text goes to stdout.\n"
          "  --mode          bias: hm_session_apply_sparse in the chain, dist chooses;\n"
          "                  sample: the Hallmark sampler chooses (last in the chain);\n"
          "                  auto (default): bias for kgw/unigram, sample otherwise\n"
          "  --ids-out F     writes the prompt ids (line 1) and completion ids (line 2);\n"
          "                  with -n 0 only tokenizes the prompt (any length)\n"
          "  --ids-in F      with --logits-out: evaluates these ids one position at a\n"
          "                  time and writes every position's logits as float32\n"
          "  --backend-dir D the ggml CPU backends ($GGML_BACKEND_DIR; default: the\n"
          "                  directory this program was built against)\n"
          "Encrypted key files take their passphrase from $HALLMARK_PASSPHRASE.\n"
          "Exit status 0 ok, 2 error.\n",
          f);
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "hm-llama-gen: %s: %s\n", what, hm_strerror(rc));
    return 2;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!b || err) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

static int load_key(const char *path, hm_key **out)
{
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (!buf) {
        fprintf(stderr, "hm-llama-gen: cannot read key file %s: %s\n", path, strerror(errno));
        return 2;
    }
    int enc = 0;
    int rc = hm_key_probe((const uint8_t *)buf, len, NULL, &enc);
    const char *pass = enc ? getenv("HALLMARK_PASSPHRASE") : NULL;
    if (rc == HM_OK && enc && !pass) {
        fprintf(stderr, "hm-llama-gen: %s is encrypted: set $HALLMARK_PASSPHRASE\n", path);
        rc = HM_E_PASSPHRASE;
    } else if (rc == HM_OK)
        rc = hm_key_load((const uint8_t *)buf, len, pass, pass ? strlen(pass) : 0, out);
    memset(buf, 0, len);
    free(buf);
    if (rc != HM_OK) {
        fprintf(stderr, "hm-llama-gen: key file %s: %s\n", path, hm_strerror(rc));
        return 2;
    }
    return 0;
}

static int write_ids(FILE *f, const llama_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fprintf(f, i ? " %d" : "%d", (int)t[i]) < 0) return -1;
    return fputc('\n', f) == EOF ? -1 : 0;
}

static int piece(const struct llama_vocab *vocab, llama_token t, FILE *out)
{
    char buf[256];
    int32_t n = llama_token_to_piece(vocab, t, buf, (int32_t)sizeof buf, 0, false);
    if (n < 0) return -1;
    return fwrite(buf, 1, (size_t)n, out) == (size_t)n ? 0 : -1;
}

/* --logits-out: every position's logits for the ids in a file. */
static int dump_logits(struct llama_context *ctx, int32_t V, const char *ids_in, const char *out)
{
    size_t len = 0;
    char *txt = read_all(ids_in, &len);
    if (!txt) {
        fprintf(stderr, "hm-llama-gen: cannot read %s\n", ids_in);
        return 2;
    }
    llama_token *ids = malloc((len / 2 + 2) * sizeof *ids);
    size_t n = 0;
    char *p = txt, *end;
    for (;;) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        if (v < 0 || v >= V) {
            fprintf(stderr, "hm-llama-gen: id %ld in %s out of range\n", v, ids_in);
            free(txt);
            free(ids);
            return 2;
        }
        ids[n++] = (llama_token)v;
        p = end;
    }
    free(txt);
    FILE *f = fopen(out, "wb");
    int rc = f ? 0 : 2;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (llama_decode(ctx, llama_batch_get_one(&ids[i], 1)) != 0) rc = 2;
        const float *lg = rc ? NULL : llama_get_logits_ith(ctx, -1);
        if (!lg || fwrite(lg, sizeof *lg, (size_t)V, f) != (size_t)V) rc = 2;
    }
    if (f && fclose(f) != 0) rc = 2;
    if (rc) fprintf(stderr, "hm-llama-gen: cannot evaluate or write logits to %s\n", out);
    free(ids);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},      {"key", required_argument, 0, 'k'},
        {"scheme", required_argument, 0, 's'},     {"param", required_argument, 0, 'p'},
        {"plain", no_argument, 0, 'P'},            {"mode", required_argument, 0, 'M'},
        {"bias-after-top-k", no_argument, 0, 'A'}, {"prompt", required_argument, 0, 't'},
        {"prompt-file", required_argument, 0, 'f'}, {"seed", required_argument, 0, 'S'},
        {"temp", required_argument, 0, 'T'},       {"top-k", required_argument, 0, 'K'},
        {"top-p", required_argument, 0, 'o'},      {"min-p", required_argument, 0, 'i'},
        {"ids-out", required_argument, 0, 'I'},    {"ids-in", required_argument, 0, 'r'},
        {"logits-out", required_argument, 0, 'L'}, {"backend-dir", required_argument, 0, 'B'},
        {"verbose", no_argument, 0, 'v'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model_path = NULL, *key_path = NULL, *scheme = "kgw", *prompt = NULL;
    const char *prompt_file = NULL, *ids_out = NULL, *ids_in = NULL, *logits_out = NULL;
    const char *backend_dir = getenv("GGML_BACKEND_DIR");
    const char *params[MAX_PARAMS];
    size_t n_params = 0;
    int plain = 0, mode = HM_LLAMA_AUTO, after_topk = 0, verbose = 0, c;
    long n_gen = 200, top_k = 0;
    unsigned long long seed = 1;
    float temp = 1.0f, top_p = 1.0f, min_p = 0.0f;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'k': key_path = optarg; break;
        case 's': scheme = optarg; break;
        case 'p':
            if (n_params == MAX_PARAMS) {
                fprintf(stderr, "hm-llama-gen: at most %d --param\n", MAX_PARAMS);
                return 2;
            }
            params[n_params++] = optarg;
            break;
        case 'P': plain = 1; break;
        case 'M':
            if (!strcmp(optarg, "auto")) mode = HM_LLAMA_AUTO;
            else if (!strcmp(optarg, "bias")) mode = HM_LLAMA_BIAS;
            else if (!strcmp(optarg, "sample")) mode = HM_LLAMA_SAMPLE;
            else {
                fprintf(stderr, "hm-llama-gen: --mode is auto, bias or sample\n");
                return 2;
            }
            break;
        case 'A': after_topk = 1; break;
        case 't': prompt = optarg; break;
        case 'f': prompt_file = optarg; break;
        case 'n': n_gen = strtol(optarg, NULL, 10); break;
        case 'S': seed = strtoull(optarg, NULL, 10); break;
        case 'T': temp = strtof(optarg, NULL); break;
        case 'K': top_k = strtol(optarg, NULL, 10); break;
        case 'o': top_p = strtof(optarg, NULL); break;
        case 'i': min_p = strtof(optarg, NULL); break;
        case 'I': ids_out = optarg; break;
        case 'r': ids_in = optarg; break;
        case 'L': logits_out = optarg; break;
        case 'B': backend_dir = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !model_path || (!logits_out && !prompt == !prompt_file) ||
        (!!logits_out != !!ids_in) || n_gen < 0 || n_gen > 1000000 || top_k < 0 ||
        !(temp > 0) || !(top_p > 0 && top_p <= 1) || !(min_p >= 0 && min_p < 1)) {
        usage(stderr);
        return 2;
    }
#ifdef HM_LLAMA_BACKEND_DIR
    if (!backend_dir) backend_dir = HM_LLAMA_BACKEND_DIR;
#endif
    if (!verbose) llama_log_set(quiet_log, NULL);
    if (backend_dir) ggml_backend_load_all_from_path(backend_dir);
    else ggml_backend_load_all();
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(model_path, mp);
    if (!model) {
        fprintf(stderr, "hm-llama-gen: cannot load model %s\n", model_path);
        return 2;
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int32_t V = llama_vocab_n_tokens(vocab);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 0; /* the model's */
    cp.n_threads = cp.n_threads_batch = 1;
    cp.no_perf = true;
    if (logits_out) { /* compare with torch in f32 */
        cp.type_k = cp.type_v = GGML_TYPE_F32;
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    }
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "hm-llama-gen: cannot create a llama.cpp context\n");
        llama_model_free(model);
        return 2;
    }
    int rc = 0, st = HM_OK;
    char *ptext = NULL;
    llama_token *toks = NULL;
    hm_key *key = NULL;
    hm_embedder *emb = NULL;
    struct llama_sampler *hm = NULL, *chain = NULL;
    int32_t np = 0, ng = 0;
    if (logits_out) {
        rc = dump_logits(ctx, V, ids_in, logits_out);
        goto done;
    }

    size_t plen = 0;
    if (prompt_file && !(ptext = read_all(prompt_file, &plen))) {
        fprintf(stderr, "hm-llama-gen: cannot read %s\n", prompt_file);
        rc = 2;
        goto done;
    }
    if (!prompt_file) plen = strlen(prompt);
    if (plen > INT32_MAX / 2) {
        fprintf(stderr, "hm-llama-gen: the prompt is too long\n");
        rc = 2;
        goto done;
    }
    const char *text = prompt_file ? ptext : prompt;
    int32_t cap = (int32_t)plen + 16; /* byte-level BPE: at most one token per byte */
    toks = malloc(((size_t)cap + (size_t)n_gen) * sizeof *toks);
    np = toks ? llama_tokenize(vocab, text, (int32_t)plen, toks, cap, false, false) : -1;
    uint32_t n_ctx = llama_n_ctx(ctx);
    if (np >= 0 && n_gen == 0) { /* tokenize only: --ids-out gets the prompt's ids */
        FILE *f = ids_out ? fopen(ids_out, "w") : stdout;
        if (!f || write_ids(f, toks, (size_t)np)) rc = 2;
        if (f && ids_out && fclose(f) != 0) rc = 2;
        if (rc) fprintf(stderr, "hm-llama-gen: cannot write the ids\n");
        goto done;
    }
    if (np <= 0 || (uint64_t)np + (uint64_t)n_gen > n_ctx) {
        fprintf(stderr, "hm-llama-gen: the prompt (%d tokens) plus -n %ld must be 1..%u tokens\n",
                (int)np, n_gen, n_ctx);
        rc = 2;
        goto done;
    }

    if (!plain) {
        if (key_path && load_key(key_path, &key)) {
            rc = 2;
            goto done;
        }
        int bad = -1;
        st = hm_embedder_new(&emb, scheme, key, params, n_params, (uint32_t)V, &bad);
        hm_key_free(key);
        key = NULL;
        if (st != HM_OK) {
            char what[256];
            if (bad >= 0) snprintf(what, sizeof what, "%s, --param %s", scheme, params[bad]);
            else snprintf(what, sizeof what, "%s", scheme);
            rc = fail(what, st);
            const char *doc = hm_scheme_params_doc(scheme);
            if (!doc) fprintf(stderr, "hm-llama-gen: schemes: %s\n", hm_scheme_list());
            else if (bad >= 0) fprintf(stderr, "hm-llama-gen: %s takes %s\n", scheme, doc);
            goto done;
        }
        hm = hm_llama_sampler_init(emb, mode, seed, &st);
        if (!hm) {
            rc = fail("hallmark sampler (bias mode needs kgw or unigram)", st);
            goto done;
        }
        st = hm_llama_sampler_seed(hm, toks, (size_t)np);
        if (st != HM_OK) {
            llama_sampler_free(hm);
            rc = fail("prompt", st);
            goto done;
        }
        mode = hm_embedder_is_logit_bias(emb) && mode != HM_LLAMA_SAMPLE ? HM_LLAMA_BIAS
                                                                         : HM_LLAMA_SAMPLE;
    }
    chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (hm && mode == HM_LLAMA_BIAS && !after_topk) llama_sampler_chain_add(chain, hm);
    if (top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k((int32_t)top_k));
    if (hm && mode == HM_LLAMA_BIAS && after_topk) llama_sampler_chain_add(chain, hm);
    if (top_p < 1) llama_sampler_chain_add(chain, llama_sampler_init_top_p(top_p, 1));
    if (min_p > 0) llama_sampler_chain_add(chain, llama_sampler_init_min_p(min_p, 1));
    if (temp != 1.0f) llama_sampler_chain_add(chain, llama_sampler_init_temp(temp));
    if (hm && mode == HM_LLAMA_SAMPLE) llama_sampler_chain_add(chain, hm);
    else llama_sampler_chain_add(chain, llama_sampler_init_dist((uint32_t)seed));

    if (llama_decode(ctx, llama_batch_get_one(toks, np)) != 0) rc = 2;
    while (rc == 0 && ng < n_gen) {
        llama_token t = llama_sampler_sample(chain, ctx, -1);
        if (llama_vocab_is_eog(vocab, t)) break;
        toks[np + ng++] = t;
        if (piece(vocab, t, stdout)) rc = 2;
        if (rc == 0 && llama_decode(ctx, llama_batch_get_one(&toks[np + ng - 1], 1)) != 0) rc = 2;
    }
    if (rc == 0 && fflush(stdout) != 0) rc = 2;
    if (rc) fprintf(stderr, "hm-llama-gen: generation or output failed\n");
    if (hm) {
        uint64_t steps = 0, marked = 0;
        hm_llama_sampler_counts(hm, &steps, &marked);
        st = hm_llama_sampler_status(hm);
        if (st != HM_OK) rc = fail("hallmark sampler", st);
        if (verbose)
            fprintf(stderr, "hm-llama-gen: %llu steps, %llu marked (sample mode)\n",
                    (unsigned long long)steps, (unsigned long long)marked);
    }
    if (rc == 0 && ids_out) {
        FILE *f = fopen(ids_out, "w");
        int bad = !f || write_ids(f, toks, (size_t)np) || write_ids(f, toks + np, (size_t)ng);
        if ((f && fclose(f) != 0) || bad) {
            fprintf(stderr, "hm-llama-gen: cannot write %s\n", ids_out);
            rc = 2;
        }
    }
done:
    llama_sampler_free(chain); /* frees hm, which it owns */
    hm_embedder_free(emb);
    free(toks);
    free(ptext);
    llama_free(ctx);
    llama_model_free(model);
    return rc;
}
