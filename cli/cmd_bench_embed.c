/*
 * cmd_bench_embed.c - `hallmark bench embed`: the per-token cost of a
 * scheme beside plain sampling on the same logits, in the same run.
 *
 * Logits are Zipf-shaped (logit of rank r = -s ln r, s = 1.1 by default,
 * randomly permuted over the vocabulary, 16 different arrays cycled), the
 * shape of real next-token distributions.  Plain sampling is the "none"
 * scheme through the same API: softmax with temperature and an inverse-CDF
 * draw.  Scheme and baseline run in interleaved blocks so that machine
 * noise affects both alike; the ratio is scheme time / plain time.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hallmark/embed.h"
#include "hallmark/key.h"

#define N_ARRAYS 16
#define MAX_PARAMS 32

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hallmark bench embed --scheme S --vocab V [--top-k K] [--param k=v ...]\n"
            "                            [--tokens N] [--temperature T] [--zipf S] [--json]\n"
            "\n"
            "Measures the per-token cost of embedding with scheme S beside plain sampling on\n"
            "the same Zipf-shaped logits, in the same run.  With --top-k K, both sample from\n"
            "the K best (id, logit) candidates (sparse); otherwise from all V logits (dense).\n"
            "For logit-bias schemes (kgw, unigram) it also times apply() + plain sampling.\n"
            "\n"
            "  --tokens N       steps per measurement (default: scaled to the vocabulary)\n"
            "  --json           one JSON object: ns_per_token, plain_ns_per_token, ratio, ...\n");
}

static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int cmp_cand_desc(const void *a, const void *b)
{
    const hm_cand *x = a, *y = b;
    return (x->logit < y->logit) - (x->logit > y->logit);
}

/* Runs `steps` sampling steps; mode 0 = sample (dense or sparse), 1 = apply + plain. */
static int run(hm_session *s, hm_session *plain, float *const *lg, hm_cand *const *cands, size_t V,
               size_t k, size_t steps, const hm_sampling *sp, int mode, float *work, hm_cand *cwork)
{
    size_t i;
    for (i = 0; i < steps; i++) {
        size_t a = i % N_ARRAYS;
        uint32_t tok;
        int st;
        if (mode == 1) {
            if (k) {
                memcpy(cwork, cands[a], k * sizeof *cwork);
                st = hm_session_apply_sparse(s, cwork, k);
                if (st == HM_OK) st = hm_session_sample_sparse(plain, cwork, k, sp, &tok, NULL);
            } else {
                memcpy(work, lg[a], V * sizeof *work);
                st = hm_session_apply(s, work, V);
                if (st == HM_OK) st = hm_session_sample(plain, work, V, sp, &tok, NULL);
            }
        } else if (k) {
            st = hm_session_sample_sparse(s, cands[a], k, sp, &tok, NULL);
        } else {
            st = hm_session_sample(s, lg[a], V, sp, &tok, NULL);
        }
        if (st == HM_OK) st = hm_session_accept(s, tok);
        if (st != HM_OK) return st;
    }
    return HM_OK;
}


/* The fixed, public engine keys that stand in when a benchmark of an
 * engine-keyed scheme is given none (the speed does not depend on them). */
static const char *bench_engine_key(const char *scheme)
{
    if (strcmp(scheme, "vllm") == 0) return "key=42";
    if (strcmp(scheme, "sglang") == 0) return "key=0x0123456789abcdef";
    if (strcmp(scheme, "synthid") == 0)
        return "keys=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,"
               "28,29,30]";
    return NULL;
}

int cli_bench_embed(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scheme", required_argument, 0, 's'}, {"vocab", required_argument, 0, 'V'},
        {"top-k", required_argument, 0, 'k'},  {"param", required_argument, 0, 'p'},
        {"tokens", required_argument, 0, 'n'}, {"temperature", required_argument, 0, 'T'},
        {"zipf", required_argument, 0, 'z'},   {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *scheme = NULL, *params[MAX_PARAMS];
    size_t np = 0, V = 0, k = 0, steps = 0, i, j, r;
    double temp = 1.0, zipf = 1.1;
    int json = 0, c, st, bad = -1, have_apply;
    hm_key *key = NULL;
    hm_embedder *e = NULL, *none = NULL;
    hm_session *s = NULL, *plain = NULL, *plain2 = NULL;
    float *lg[N_ARRAYS] = {0}, *work = NULL;
    hm_cand *cands[N_ARRAYS] = {0}, *cwork = NULL;
    hm_sampling sp = hm_sampling_default();
    double t_scheme = 0, t_plain = 0, t_apply = 0;
    uint64_t seed = 12345;
    char desc[512];
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': scheme = optarg; break;
        case 'V': V = strtoul(optarg, NULL, 10); break;
        case 'k': k = strtoul(optarg, NULL, 10); break;
        case 'p':
            if (np == MAX_PARAMS) return cli_usage_error("bench embed", "too many --param");
            params[np++] = optarg;
            break;
        case 'n': steps = strtoul(optarg, NULL, 10); break;
        case 'T': temp = strtod(optarg, NULL); break;
        case 'z': zipf = strtod(optarg, NULL); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("bench embed", "invalid option");
        }
    }
    if (!scheme || V < 2 || V > (1u << 24) || k > V || !(temp > 0) || !(zipf > 0))
        return cli_usage_error("bench embed", "--scheme and --vocab V (2..2^24) are required");
    if (!steps) steps = V >= 100000 ? 1500 : V >= 30000 ? 3000 : 20000;
    if (k) steps *= 4;
    sp.temperature = (float)temp;
    if (hm_key_generate(&key) != HM_OK) return cli_fail(HM_E_CRYPTO, "bench embed: key");
    st = hm_embedder_new(&e, scheme, key, params, np, (uint32_t)V, &bad);
    if (st == HM_E_MISUSE && bad < 0 && np < MAX_PARAMS) {
        /* An engine-keyed scheme given no engine key: speed does not depend
         * on the key's value, so a fixed, public benchmark key stands in
         * (never one to serve with); the output says so. */
        const char *fixed = bench_engine_key(scheme);
        if (fixed) {
            params[np++] = fixed;
            st = hm_embedder_new(&e, scheme, key, params, np, (uint32_t)V, &bad);
            if (st == HM_OK && !json)
                fprintf(stderr, "bench embed: %s: no engine key given; using a fixed public "
                                "benchmark key\n", scheme);
        }
    }
    if (st != HM_OK) {
        hm_key_free(key);
        if (bad >= 0 || st == HM_E_NOTFOUND)
            return cli_scheme_error(scheme, params, bad, st);
        if (st == HM_E_MISUSE)
            cli_err("bench embed: %s is keyed by its engine's key: give one with --param "
                    "key=... (vllm: an integer; sglang: hex; synthid: keys=[...]), any value "
                    "will do for a benchmark",
                    scheme);
        return cli_fail(st, scheme);
    }
    st = hm_embedder_new(&none, "none", NULL, NULL, 0, (uint32_t)V, NULL);
    if (st == HM_OK) st = hm_session_new(e, &s);
    if (st == HM_OK) st = hm_session_new(none, &plain);
    if (st == HM_OK) st = hm_session_new(none, &plain2);
    work = malloc(V * sizeof *work);
    cwork = malloc((k ? k : 1) * sizeof *cwork);
    if (!work || !cwork) st = HM_E_NOMEM;
    for (i = 0; i < N_ARRAYS && st == HM_OK; i++) {
        lg[i] = malloc(V * sizeof *lg[i]);
        cands[i] = malloc(V * sizeof *cands[i]);
        if (!lg[i] || !cands[i]) {
            st = HM_E_NOMEM;
            break;
        }
        for (j = 0; j < V; j++) lg[i][j] = (float)(-zipf * log((double)(j + 1)));
        for (j = V - 1; j > 0; j--) {
            size_t x = (size_t)(mix(&seed) % (j + 1));
            float t = lg[i][j];
            lg[i][j] = lg[i][x];
            lg[i][x] = t;
        }
        for (j = 0; j < V; j++) {
            cands[i][j].id = (int32_t)j;
            cands[i][j].logit = lg[i][j];
            cands[i][j].p = 0;
        }
        if (k) qsort(cands[i], V, sizeof *cands[i], cmp_cand_desc);
    }
    if (st != HM_OK) goto done;
    hm_session_set_seed(s, 1);
    hm_session_set_seed(plain, 2);
    hm_session_set_seed(plain2, 3);
    have_apply = hm_embedder_is_logit_bias(e);
    /* warm-up, then 8 interleaved rounds */
    st = run(s, NULL, lg, cands, V, k, steps / 8 + 1, &sp, 0, work, cwork);
    if (st == HM_OK) st = run(plain, NULL, lg, cands, V, k, steps / 8 + 1, &sp, 0, work, cwork);
    for (r = 0; r < 8 && st == HM_OK; r++) {
        double t0 = cli_now();
        st = run(plain, NULL, lg, cands, V, k, steps / 8, &sp, 0, work, cwork);
        t_plain += cli_now() - t0;
        t0 = cli_now();
        if (st == HM_OK) st = run(s, NULL, lg, cands, V, k, steps / 8, &sp, 0, work, cwork);
        t_scheme += cli_now() - t0;
        if (have_apply && st == HM_OK) {
            t0 = cli_now();
            st = run(s, plain2, lg, cands, V, k, steps / 8, &sp, 1, work, cwork);
            t_apply += cli_now() - t0;
        }
    }
    if (st != HM_OK) goto done;
    {
        double n = (double)(steps / 8 * 8), ns = t_scheme / n * 1e9, pns = t_plain / n * 1e9;
        double ans = have_apply ? t_apply / n * 1e9 : 0;
        (void)hm_embedder_describe(e, desc, sizeof desc);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "scheme", scheme);
            cJSON_AddStringToObject(o, "description", desc);
            cJSON_AddNumberToObject(o, "vocab", (double)V);
            cJSON_AddStringToObject(o, "mode", k ? "sparse" : "dense");
            cJSON_AddNumberToObject(o, "top_k", (double)k);
            cJSON_AddNumberToObject(o, "temperature", temp);
            cJSON_AddNumberToObject(o, "zipf_exponent", zipf);
            cJSON_AddNumberToObject(o, "tokens", n);
            cJSON_AddNumberToObject(o, "ns_per_token", ns);
            cJSON_AddNumberToObject(o, "plain_ns_per_token", pns);
            cJSON_AddNumberToObject(o, "ratio", ns / pns);
            if (have_apply) {
                cJSON_AddNumberToObject(o, "apply_ns_per_token", ans);
                cJSON_AddNumberToObject(o, "apply_ratio", ans / pns);
            }
            cli_print_json(o, 1);
            cJSON_Delete(o);
        } else {
            printf("%-8s V=%-7zu %-6s %9.0f ns/token  plain %9.0f ns/token  ratio %5.2f", scheme,
                   V, k ? "top-k" : "dense", ns, pns, ns / pns);
            if (have_apply) printf("  (apply+plain ratio %5.2f)", ans / pns);
            printf("\n");
        }
    }
done:
    for (i = 0; i < N_ARRAYS; i++) {
        free(lg[i]);
        free(cands[i]);
    }
    free(work);
    free(cwork);
    hm_session_free(s);
    hm_session_free(plain);
    hm_session_free(plain2);
    hm_embedder_free(e);
    hm_embedder_free(none);
    hm_key_free(key);
    return st == HM_OK ? CLI_OK : cli_fail(st, "bench embed");
}
