/*
 * lm-eval.c - evaluates and exercises a sample model file: perplexity on
 * held-out token ids, the speed of slm_logits / slm_topk / slm_sample, and
 * plain generation.
 *
 *   lm-eval --model MODEL [--bench N] [FILE|-]        perplexity (+ timing)
 *   lm-eval --model MODEL --generate N [--seed S] [--temperature T]
 *           [--top-k K] [--top-p P] [--min-p M] [--prompt "ID ID ..."]
 *
 * Exit status 0 on success, 2 on any error (message on stderr).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lm/ngram.h"
#include "common.h"

static const char usage[] =
    "Usage: lm-eval --model MODEL [OPTIONS] [FILE|-]\n"
    "With FILE (token ids, one document per line): prints the per-token\n"
    "cross-entropy and perplexity of the model on it (each document starts\n"
    "after EOS; its closing EOS is predicted too).\n"
    "\n"
    "  --model PATH       the model file (required)\n"
    "  --bench N          also time N calls each of slm_logits, slm_topk (k=40)\n"
    "                     and slm_sample on contexts from FILE (or generated)\n"
    "  --generate N       generate up to N tokens (stops after EOS) and print\n"
    "                     their ids on one line\n"
    "  --prompt \"IDS\"     prompt ids for --generate (default: start of document)\n"
    "  --seed S           RNG seed for sampling (default 1)\n"
    "  --temperature T    (default 1)  --top-k K (0 = off)  --top-p P (1 = off)\n"
    "  --min-p M          (0 = off)\n"
    "  --help             this help\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int misuse(const char *msg, const char *arg)
{
    fprintf(stderr, "lm-eval: %s%s%s\nTry 'lm-eval --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 2;
}

static int parse_float(const char *s, float lo, float hi, float *out)
{
    char *end;
    double v;
    if (!s || !*s) return -1;
    v = strtod(s, &end);
    if (*end || !(v >= lo) || !(v <= hi)) return -1;
    *out = (float)v;
    return 0;
}

static int bench(const slm_model *m, const uint32_t *ids, size_t n, uint64_t iters)
{
    uint32_t V = slm_vocab_size(m), ctx[SLM_MAX_ORDER], eos = slm_eos(m);
    unsigned keep = slm_order(m) - 1, j;
    float *logits = malloc((size_t)V * sizeof(float));
    uint32_t top_ids[40];
    float top_lp[40];
    size_t n_top;
    slm_sampler *s = NULL;
    slm_sampler_params sp = slm_sampler_params_default();
    slm_rng rng;
    uint64_t i;
    double t0, t_logits, t_topk, t_sample;
    uint32_t tok = 0;
    volatile float sink = 0;
    int rc;
    if (!logits || slm_sampler_new(&sp, V, &s) != HM_OK) {
        free(logits);
        fprintf(stderr, "lm-eval: out of memory\n");
        return 2;
    }
    slm_rng_seed(&rng, 7);
    /* contexts: windows of the input, or EOS-started when there is none */
#define CTX_AT(i)                                                              \
    do {                                                                       \
        for (j = 0; j < keep; j++)                                             \
            ctx[j] = n > keep ? ids[((i) * 7919u + j) % (n - keep)] : eos;     \
    } while (0)
    t0 = now_s();
    for (i = 0; i < iters; i++) {
        CTX_AT(i);
        rc = slm_logits(m, ctx, keep, logits);
        if (rc != HM_OK) goto fail;
        sink += logits[i % V];
    }
    t_logits = (now_s() - t0) / (double)iters;
    t0 = now_s();
    for (i = 0; i < iters; i++) {
        CTX_AT(i);
        rc = slm_topk(m, ctx, keep, 40, top_ids, top_lp, &n_top);
        if (rc != HM_OK) goto fail;
        sink += top_lp[0];
    }
    t_topk = (now_s() - t0) / (double)iters;
    CTX_AT(0);
    rc = slm_logits(m, ctx, keep, logits);
    if (rc != HM_OK) goto fail;
    t0 = now_s();
    for (i = 0; i < iters; i++) {
        rc = slm_sample(s, logits, V, &rng, &tok);
        if (rc != HM_OK) goto fail;
    }
    t_sample = (now_s() - t0) / (double)iters;
#undef CTX_AT
    printf("vocab: %u\norder: %u\n", V, slm_order(m));
    printf("slm_logits_us: %.1f\n", t_logits * 1e6);
    printf("slm_topk40_us: %.1f\n", t_topk * 1e6);
    printf("slm_sample_us: %.1f\n", t_sample * 1e6);
    (void)sink;
    free(logits);
    slm_sampler_free(s);
    return 0;
fail:
    fprintf(stderr, "lm-eval: %s\n", hm_strerror(rc));
    free(logits);
    slm_sampler_free(s);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},  {"bench", required_argument, NULL, 'b'},
        {"generate", required_argument, NULL, 'g'}, {"prompt", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},   {"temperature", required_argument, NULL, 't'},
        {"top-k", required_argument, NULL, 'k'},  {"top-p", required_argument, NULL, 'P'},
        {"min-p", required_argument, NULL, 'M'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *model_path = NULL, *in = NULL, *prompt = NULL;
    uint64_t iters = 0, gen = 0, seed = 1, topk = 0;
    int do_gen = 0, c, rc, status = 0;
    slm_sampler_params sp = slm_sampler_params_default();
    slm_model *m = NULL;
    uint32_t *ids = NULL;
    size_t n_ids = 0, n_docs = 0, *starts = NULL, err_line = 0;
    double t0;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'b':
            if (prog_parse_u64(optarg, 1, 100000000, &iters))
                return misuse("--bench needs a positive count", optarg);
            break;
        case 'g':
            if (prog_parse_u64(optarg, 0, 100000000, &gen))
                return misuse("--generate needs a count", optarg);
            do_gen = 1;
            break;
        case 'p': prompt = optarg; break;
        case 's':
            if (prog_parse_u64(optarg, 0, UINT64_MAX, &seed))
                return misuse("--seed needs an unsigned integer", optarg);
            break;
        case 't':
            if (parse_float(optarg, 0.0f, 1e6f, &sp.temperature))
                return misuse("--temperature must be >= 0", optarg);
            break;
        case 'k':
            if (prog_parse_u64(optarg, 0, 0xffffffffull, &topk))
                return misuse("--top-k needs a count", optarg);
            sp.top_k = (uint32_t)topk;
            break;
        case 'P':
            if (parse_float(optarg, 1e-9f, 1.0f, &sp.top_p))
                return misuse("--top-p must be in (0, 1]", optarg);
            break;
        case 'M':
            if (parse_float(optarg, 0.0f, 1.0f, &sp.min_p))
                return misuse("--min-p must be in [0, 1]", optarg);
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: return misuse("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) in = argv[optind++];
    if (optind < argc) return misuse("unexpected argument", argv[optind]);
    if (!model_path) return misuse("--model MODEL is required", NULL);
    if (!in && !do_gen && !iters) return misuse("nothing to do: give FILE, --bench or --generate", NULL);

    t0 = now_s();
    rc = slm_load(model_path, &m);
    if (rc != HM_OK) {
        fprintf(stderr, "lm-eval: cannot load %s: %s%s%s\n", model_path, hm_strerror(rc),
                rc == HM_E_IO ? ": " : "", rc == HM_E_IO ? strerror(errno) : "");
        return 2;
    }
    fprintf(stderr, "lm-eval: loaded %s in %.1f ms\n", model_path, (now_s() - t0) * 1e3);

    if (in) {
        char *text = NULL;
        size_t len = 0, d, i, scored = 0;
        double nll = 0;
        if (prog_read_all(in, &text, &len) != 0) {
            fprintf(stderr, "lm-eval: cannot read %s: %s\n", in, strerror(errno));
            status = 2;
            goto out;
        }
        rc = slm_parse_ids(text, len, slm_vocab_size(m), &ids, &n_ids, &starts, &n_docs,
                           &err_line);
        free(text);
        if (rc != HM_OK) {
            fprintf(stderr, "lm-eval: %s:%zu: %s\n", in, err_line,
                    rc == HM_E_FORMAT ? "malformed input: expected decimal token ids"
                    : rc == HM_E_RANGE ? "token id out of the model's vocabulary"
                                       : hm_strerror(rc));
            status = 2;
            goto out;
        }
        for (d = 0; d < n_docs; d++) {
            size_t b = starts[d], e = d + 1 < n_docs ? starts[d + 1] : n_ids;
            uint32_t ctx[SLM_MAX_ORDER];
            size_t keep = slm_order(m) - 1, nctx = 0;
            if (e == b) continue;
            ctx[nctx++] = slm_eos(m);
            if (nctx > keep) nctx = keep;
            for (i = b; i <= e; i++) {
                uint32_t tok = i < e ? ids[i] : slm_eos(m);
                double lp;
                rc = slm_logprob(m, ctx, nctx, tok, &lp);
                if (rc != HM_OK) {
                    status = 2;
                    goto out;
                }
                nll -= lp;
                scored++;
                if (keep == 0) continue;
                if (nctx == keep) {
                    memmove(ctx, ctx + 1, (keep - 1) * sizeof *ctx);
                    nctx--;
                }
                ctx[nctx++] = tok;
            }
        }
        printf("tokens_scored: %zu\n", scored);
        printf("cross_entropy_nats: %.4f\n", scored ? nll / (double)scored : 0.0);
        printf("perplexity: %.2f\n", scored ? exp(nll / (double)scored) : 0.0);
    }
    if (iters) {
        status = bench(m, ids, n_ids, iters);
        if (status) goto out;
    }
    if (do_gen) {
        uint32_t *pids = NULL, *outv = NULL;
        size_t np = 0, nps = 0, *ps = NULL, ng = 0, i;
        float *scratch = NULL;
        slm_sampler *s = NULL;
        slm_rng rng;
        if (prompt) {
            rc = slm_parse_ids(prompt, strlen(prompt), slm_vocab_size(m), &pids, &np, &ps,
                               &nps, &err_line);
            free(ps);
            if (rc != HM_OK) {
                fprintf(stderr, "lm-eval: --prompt: %s\n", hm_strerror(rc));
                status = 2;
                goto out;
            }
        } else {
            pids = malloc(sizeof *pids);
            if (pids) {
                pids[0] = slm_eos(m);
                np = 1;
            }
        }
        scratch = malloc((size_t)slm_vocab_size(m) * sizeof(float));
        outv = malloc((gen ? gen : 1) * sizeof(uint32_t));
        rc = (!scratch || !outv || !pids) ? HM_E_NOMEM
                                          : slm_sampler_new(&sp, slm_vocab_size(m), &s);
        slm_rng_seed(&rng, seed);
        if (rc == HM_OK)
            rc = slm_generate(m, s, &rng, pids, np, (size_t)gen, scratch, outv, &ng);
        if (rc == HM_OK) {
            for (i = 0; i < ng; i++) printf("%s%u", i ? " " : "", outv[i]);
            printf("\n");
        } else {
            fprintf(stderr, "lm-eval: generation failed: %s\n", hm_strerror(rc));
            status = 2;
        }
        slm_sampler_free(s);
        free(scratch);
        free(outv);
        free(pids);
    }
out:
    free(ids);
    free(starts);
    slm_free(m);
    return status;
}
