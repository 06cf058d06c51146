/*
 * hm-llama-bench - `make bench`: the per-token cost of the Hallmark paths
 * inside llama.cpp's sampler chain, beside llama.cpp's own chain without
 * Hallmark, in the same run, on the same synthetic logits (normal, scale 3).
 * Every step copies the logits into the candidate array (as
 * llama_sampler_sample does), runs the chain and accepts the token.
 *
 *   baseline  dist                      llama.cpp alone
 *   dense     hm_session_apply + dist   bias the float logits, then llama.cpp
 *   sparse    [hallmark] dist           bias the full candidate array
 *   baseline  top-k 50, dist
 *   sparse    top-k 50, [hallmark], dist
 *   sample    [hallmark gumbel]         Hallmark chooses (full vocabulary)
 *   sample    top-k 50, [hallmark gumbel]
 *
 * One thread.  Prints ns/token and the ratio to the matching baseline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hallmark_llama.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench {
    int V;
    float *lg, *dense;
    llama_token_data *d;
} bench;

/* Runs `iters` steps; dense_sess applies to the float logits first. */
static double run(bench *b, struct llama_sampler *chain, hm_session *dense_sess, int iters)
{
    double t0 = now();
    for (int it = 0; it < iters; it++) {
        const float *src = b->lg + (size_t)(it & 7) * (size_t)b->V;
        if (dense_sess) {
            memcpy(b->dense, src, (size_t)b->V * sizeof *src);
            hm_session_apply(dense_sess, b->dense, (size_t)b->V);
            src = b->dense;
        }
        for (int i = 0; i < b->V; i++) b->d[i] = (llama_token_data){i, src[i], 0.0f};
        llama_token_data_array cur = {b->d, (size_t)b->V, -1, false};
        llama_sampler_apply(chain, &cur);
        llama_token t = cur.data[cur.selected].id;
        llama_sampler_accept(chain, t);
        if (dense_sess) hm_session_accept(dense_sess, (uint32_t)t);
    }
    return (now() - t0) / iters * 1e9;
}

static struct llama_sampler *chain_of(int topk, struct llama_sampler *hm, int final)
{
    struct llama_sampler *c = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (topk) llama_sampler_chain_add(c, llama_sampler_init_top_k(topk));
    if (hm && !final) llama_sampler_chain_add(c, hm);
    if (hm && final) llama_sampler_chain_add(c, hm);
    else llama_sampler_chain_add(c, llama_sampler_init_dist(1));
    return c;
}

int main(int argc, char **argv)
{
    int sizes[] = {32000, 128256};
    double budget = argc > 1 ? atof(argv[1]) : 0.4; /* seconds per measurement */
    uint8_t kb[32] = {1, 2, 3};
    hm_key *key = NULL;
    if (hm_key_from_bytes(kb, 0, &key) != HM_OK) return 2;
    printf("== llama.cpp sampler chain (prebuilt v0.5.0), per token, 1 thread, same run\n");
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        bench b = {sizes[si], NULL, NULL, NULL};
        b.lg = malloc((size_t)b.V * 8 * sizeof *b.lg);
        b.dense = malloc((size_t)b.V * sizeof *b.dense);
        b.d = malloc((size_t)b.V * sizeof *b.d);
        if (!b.lg || !b.dense || !b.d) return 2;
        uint64_t r = 88172645463325252ull;
        for (size_t i = 0; i < (size_t)b.V * 8; i++) { /* Box-Muller normals, scale 3 */
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            double u1 = ((double)(r >> 11) + 0.5) / 9007199254740992.0;
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            double u2 = (double)(r >> 11) / 9007199254740992.0;
            b.lg[i] = (float)(3.0 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        }
        hm_embedder *kgw = NULL, *gum = NULL;
        if (hm_embedder_new(&kgw, "kgw", key, NULL, 0, (uint32_t)b.V, NULL) != HM_OK ||
            hm_embedder_new(&gum, "gumbel", key, NULL, 0, (uint32_t)b.V, NULL) != HM_OK)
            return 2;
        /* iterations from a calibration run of the baseline */
        struct llama_sampler *base = chain_of(0, NULL, 0);
        double ns = run(&b, base, NULL, 20);
        int iters = (int)(budget / (ns * 1e-9)) + 1;
        if (iters < 20) iters = 20;

        struct llama_sampler *c_base = base;
        struct llama_sampler *c_sparse = chain_of(0, hm_llama_sampler_init(kgw, HM_LLAMA_BIAS, 1, NULL), 0);
        struct llama_sampler *c_base_k = chain_of(50, NULL, 0);
        struct llama_sampler *c_sparse_k = chain_of(50, hm_llama_sampler_init(kgw, HM_LLAMA_BIAS, 1, NULL), 0);
        struct llama_sampler *c_sample = chain_of(0, hm_llama_sampler_init(gum, HM_LLAMA_SAMPLE, 1, NULL), 1);
        struct llama_sampler *c_sample_k = chain_of(50, hm_llama_sampler_init(gum, HM_LLAMA_SAMPLE, 1, NULL), 1);
        hm_session *dense = NULL;
        if (hm_session_new(kgw, &dense) != HM_OK) return 2;

        /* interleave: each path measured three times, best kept */
        double best[7];
        for (int k = 0; k < 7; k++) best[k] = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t[7] = {run(&b, c_base, NULL, iters),        run(&b, c_base, dense, iters),
                           run(&b, c_sparse, NULL, iters),      run(&b, c_base_k, NULL, iters),
                           run(&b, c_sparse_k, NULL, iters),    run(&b, c_sample, NULL, iters),
                           run(&b, c_sample_k, NULL, iters)};
            for (int k = 0; k < 7; k++)
                if (t[k] < best[k]) best[k] = t[k];
        }
        const char *names[7] = {"llama.cpp chain: dist (baseline)",
                                "dense hm_session_apply (kgw) + dist",
                                "sparse [hallmark kgw] + dist, full vocabulary",
                                "llama.cpp chain: top-k 50 + dist (baseline)",
                                "sparse top-k 50 + [hallmark kgw] + dist",
                                "sample [hallmark gumbel], full vocabulary",
                                "sample top-k 50 + [hallmark gumbel]"};
        int basei[7] = {0, 0, 0, 3, 3, 0, 3};
        printf("V = %d (%d iterations per measurement, best of 3)\n", b.V, iters);
        for (int k = 0; k < 7; k++)
            printf("  %-48s %10.0f ns/token  ratio %.3f\n", names[k], best[k], best[k] / best[basei[k]]);
        llama_sampler_free(c_base);
        llama_sampler_free(c_sparse);
        llama_sampler_free(c_base_k);
        llama_sampler_free(c_sparse_k);
        llama_sampler_free(c_sample);
        llama_sampler_free(c_sample_k);
        hm_session_free(dense);
        hm_embedder_free(kgw);
        hm_embedder_free(gum);
        free(b.lg);
        free(b.dense);
        free(b.d);
    }
    hm_key_free(key);
    return 0;
}
