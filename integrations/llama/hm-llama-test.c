/*
 * hm-llama-test - tests of the Hallmark llama_sampler inside real llama.cpp
 * sampler chains (the pinned libllama), on synthetic logits: no model
 * needed.  Each check prints "ok - name" or "not ok - name" (TAP-style,
 * counted by tests/run.sh through tests/cli/test_llama.sh).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark_llama.h"

#define V 3000
#define STEPS 40

static int failures;

static void check(int cond, const char *name)
{
    printf("%s - llama sampler: %s\n", cond ? "ok" : "not ok", name);
    if (!cond) failures++;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)(rng >> 40) / (float)(1u << 24);
}

static void make_logits(float *lg, int step)
{
    for (int i = 0; i < V; i++) lg[i] = 4.0f * frand() - 0.002f * (float)((i * 7 + step) % V);
}

static void fill(llama_token_data *d, const float *lg, llama_token_data_array *cur)
{
    for (int i = 0; i < V; i++) d[i] = (llama_token_data){i, lg[i], 0.0f};
    *cur = (llama_token_data_array){d, V, -1, false};
}

/* BIAS mode first in a chain = hm_session_apply on dense logits, step by step. */
static void test_bias(const hm_embedder *e, const llama_token *prompt, size_t np)
{
    int st = -1;
    struct llama_sampler *hm = hm_llama_sampler_init(e, HM_LLAMA_AUTO, 7, &st);
    check(hm && st == HM_OK && hm_llama_sampler_is_hallmark(hm), "kgw sampler created (auto = bias)");
    if (!hm) return;
    check(strcmp(llama_sampler_name(hm), "hallmark") == 0, "name is hallmark");
    hm_session *ref = NULL;
    if (hm_session_new(e, &ref) != HM_OK) return;
    uint32_t p32[16];
    for (size_t i = 0; i < np; i++) p32[i] = (uint32_t)prompt[i];
    check(hm_llama_sampler_seed(hm, prompt, np) == HM_OK && hm_session_seed(ref, p32, np) == HM_OK,
          "prompt seeded");
    struct llama_sampler *chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(chain, hm);
    llama_sampler_chain_add(chain, llama_sampler_init_dist(3));
    static float lg[V], dense[V];
    static llama_token_data d[V];
    int same = 1, changed = 0;
    for (int s = 0; s < STEPS; s++) {
        make_logits(lg, s);
        memcpy(dense, lg, sizeof lg);
        llama_token_data_array cur;
        fill(d, lg, &cur);
        llama_sampler_apply(hm, &cur); /* the bias step alone, to compare */
        hm_session_apply(ref, dense, V);
        for (int i = 0; i < V; i++) {
            if (d[i].logit != dense[i]) same = 0;
            if (d[i].logit != lg[i]) changed = 1;
        }
        fill(d, lg, &cur);
        llama_sampler_apply(chain, &cur);
        llama_token t = cur.data[cur.selected].id;
        /* undo the bias step's double application: resync by accepting on both */
        llama_sampler_accept(chain, t);
        hm_session_accept(ref, (uint32_t)t);
    }
    check(same, "bias on llama_token_data_array equals hm_session_apply on dense logits");
    check(changed, "bias changed logits");
    check(hm_llama_sampler_status(hm) == HM_OK, "status OK after steps");
    uint64_t steps = 0;
    hm_llama_sampler_counts(hm, &steps, NULL);
    check(steps == 2 * STEPS, "steps counted");

    /* clone: same context, so the same bias on the next logits */
    struct llama_sampler *cl = llama_sampler_clone(hm);
    check(cl && hm_llama_sampler_is_hallmark(cl), "clone");
    if (cl) {
        static llama_token_data d2[V];
        llama_token_data_array c1, c2;
        make_logits(lg, 99);
        fill(d, lg, &c1);
        fill(d2, lg, &c2);
        llama_sampler_apply(hm, &c1);
        llama_sampler_apply(cl, &c2);
        check(memcmp(d, d2, sizeof d) == 0, "clone biases like the original");
        llama_sampler_free(cl);
    }
    /* a token outside the vocabulary is recorded, not fatal */
    llama_sampler_accept(hm, V + 5);
    check(hm_llama_sampler_status(hm) == HM_E_RANGE, "out-of-vocabulary accept -> status RANGE");
    llama_token bad = -3;
    check(hm_llama_sampler_seed(hm, &bad, 1) == HM_E_RANGE, "negative prompt token -> RANGE");
    check(hm_llama_sampler_seed(hm, prompt, np) == HM_OK && hm_llama_sampler_status(hm) == HM_OK,
          "seed starts a new request (status cleared)");
    llama_sampler_free(chain);
    hm_session_free(ref);
}

/* SAMPLE mode as the final sampler after top-k and temperature picks what
 * hm_session_sample_sparse picks on the same candidates. */
static void test_sample(const hm_embedder *e, const char *what)
{
    int st = -1;
    struct llama_sampler *hm = hm_llama_sampler_init(e, HM_LLAMA_SAMPLE, 11, &st);
    check(hm != NULL && st == HM_OK, what);
    if (!hm) return;
    hm_session *ref = NULL;
    if (hm_session_new(e, &ref) != HM_OK) return;
    hm_session_set_seed(ref, 11);
    struct llama_sampler *topk = llama_sampler_init_top_k(40);
    struct llama_sampler *chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(chain, llama_sampler_init_top_k(40));
    llama_sampler_chain_add(chain, llama_sampler_init_temp(0.8f));
    llama_sampler_chain_add(chain, hm);
    static float lg[V];
    static llama_token_data d[V], d2[V];
    int same = 1, marked_any = 0;
    hm_sampling sp = hm_sampling_default();
    for (int s = 0; s < STEPS; s++) {
        make_logits(lg, s);
        llama_token_data_array cur, cur2;
        fill(d, lg, &cur);
        fill(d2, lg, &cur2);
        llama_sampler_apply(chain, &cur);
        llama_token t = cur.data[cur.selected].id;
        llama_sampler_accept(chain, t);
        /* the reference: the same top-k and temperature, then Hallmark */
        llama_sampler_apply(topk, &cur2);
        for (size_t i = 0; i < cur2.size; i++) cur2.data[i].logit /= 0.8f;
        uint32_t rt = 0;
        int marked = 0;
        hm_session_sample_sparse(ref, (const hm_cand *)(void *)cur2.data, cur2.size, &sp, &rt, &marked);
        hm_session_accept(ref, rt);
        if ((uint32_t)t != rt) same = 0;
        marked_any |= marked;
    }
    check(same, "final sampler picks hm_session_sample_sparse's token");
    check(marked_any, "positions marked");
    uint64_t steps = 0, marked = 0;
    hm_llama_sampler_counts(hm, &steps, &marked);
    check(steps == STEPS && marked > 0 && marked <= steps, "marked positions counted");
    check(hm_llama_sampler_status(hm) == HM_OK, "status OK");
    llama_sampler_free(chain);
    llama_sampler_free(topk);
    hm_session_free(ref);
}

int main(void)
{
    llama_log_set(NULL, NULL);
    uint8_t kb[32];
    for (int i = 0; i < 32; i++) kb[i] = (uint8_t)(i * 7 + 1);
    hm_key *key = NULL;
    if (hm_key_from_bytes(kb, 0, &key) != HM_OK) return 2;
    hm_embedder *kgw = NULL, *gum = NULL, *vllm = NULL;
    const char *vp[] = {"key=42"};
    if (hm_embedder_new(&kgw, "kgw", key, NULL, 0, V, NULL) != HM_OK ||
        hm_embedder_new(&gum, "gumbel", key, NULL, 0, V, NULL) != HM_OK ||
        hm_embedder_new(&vllm, "vllm", NULL, vp, 1, V, NULL) != HM_OK)
        return 2;
    llama_token prompt[] = {5, 17, 2999, 0, 42};
    test_bias(kgw, prompt, 5);
    test_sample(gum, "gumbel sampler created (sample)");
    test_sample(kgw, "kgw sampler created (sample mode: exact biased sampling)");
    test_sample(vllm, "vllm interop sampler created (sample)");

    int st = 0;
    check(hm_llama_sampler_init(gum, HM_LLAMA_BIAS, 1, &st) == NULL && st == HM_E_MISUSE,
          "bias mode refused for gumbel (MISUSE)");
    check(hm_llama_sampler_init(NULL, HM_LLAMA_AUTO, 1, &st) == NULL && st == HM_E_MISUSE,
          "NULL embedder refused");
    check(hm_llama_sampler_init(kgw, 9, 1, &st) == NULL && st == HM_E_MISUSE, "bad mode refused");
    struct llama_sampler *dist = llama_sampler_init_dist(1);
    check(!hm_llama_sampler_is_hallmark(dist) && hm_llama_sampler_seed(dist, prompt, 1) == HM_E_MISUSE &&
              hm_llama_sampler_status(dist) == HM_E_MISUSE,
          "a foreign sampler is refused");
    llama_sampler_free(dist);
    hm_embedder_free(kgw);
    hm_embedder_free(gum);
    hm_embedder_free(vllm);
    hm_key_free(key);
    return failures ? 1 : 0;
}
