/*
 * cmd_bench_payload.c - `hallmark bench payload`: how many tokens a
 * multi-bit payload needs.  Each trial draws a random B-bit payload and a
 * key, generates T tokens with the sample language model under scheme
 * "mpac", decodes the payload without knowing it, and compares.  Prints
 * the rate of the right payload declared found at alpha (success_rate),
 * of a wrong payload declared found (wrong_rate: must stay <= alpha), and
 * the fraction of payload bits decoded right (bit_accuracy), at T and at
 * prefixes of T (the curve).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../samples/lm/ngram.h"
#include "cli.h"
#include "hallmark/detect.h"
#include "hallmark/embed.h"
#include "hallmark/key.h"
#include "hallmark/payload.h"

#define MAX_PARAMS 16
#define CURVE_POINTS 8

/* KJV-style prompts as cl100k_base ids (the sample model's tokenizer), so
 * the bench needs no tokenizer file. */
static const uint32_t P0[] = {644, 279, 7314, 4359, 3549};
static const uint32_t P1[] = {3112, 279, 58477, 993, 731, 30449, 42048, 11, 5605};
static const uint32_t P2[] = {33, 1752, 291, 374, 279, 893, 430};
static const uint32_t P3[] = {3112, 433, 3782, 311, 1522};
static const uint32_t P4[] = {791, 58477, 374, 856, 91478};
static const uint32_t P5[] = {7184, 279, 92942, 574};
static const uint32_t P6[] = {3112, 10811, 19089, 323, 1071, 30449, 1124};
static const uint32_t P7[] = {39, 686, 11, 507, 6921};
static const struct {
    const uint32_t *ids;
    size_t n;
} PROMPTS[] = {{P0, 5}, {P1, 9}, {P2, 7}, {P3, 5}, {P4, 5}, {P5, 4}, {P6, 7}, {P7, 5}};
#define N_PROMPTS (sizeof PROMPTS / sizeof PROMPTS[0])

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark bench payload --bits B --tokens T [--temperature X] [--trials N]\n"
"                              [--model FILE] [--param k=v ...] [--seed S] [--json]\n"
"\n"
"Generates T tokens with the sample language model under scheme \"mpac\" carrying a\n"
"random B-bit payload (a new key per trial), decodes the payload blind, and\n"
"reports, at --alpha: success_rate (the right payload declared found),\n"
"wrong_rate (a payload declared found that is not the embedded one; at most\n"
"alpha by construction), undetermined_rate (a watermark, no payload) and\n"
"bit_accuracy (of the decoded word), at T and at T/8, 2T/8, ... (the curve;\n"
"the same trials, decoded from prefixes).  EOS is masked so that every trial\n"
"has T tokens.\n"
"\n"
"  --bits B         payload bits, 1..64 (default 32)\n"
"  --tokens T       tokens per trial (default 400)\n"
"  --temperature X  sampling temperature (default 1)\n"
"  --trials N       default 100\n"
"  --model FILE     default: samples/kjv-4.slm beside the hallmark executable,\n"
"                   else build/samples/kjv-4.slm\n"
"  --param k=v      mpac parameters (delta=2, h=2)\n"
"  --seed S         seed of payloads, keys and sampling (default 1)\n"
"  --alpha A        level of the payload decisions (default 1e-6)\n"
"  --json           one JSON object\n");
}

static const char *default_model(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 32);
    if (n > 0) {
        char *slash;
        buf[n] = 0;
        slash = strrchr(buf, '/');
        if (slash) {
            static const char rel[] = "samples/kjv-4.slm"; /* fits: 32 bytes reserved */
            memcpy(slash + 1, rel, sizeof rel);
            if (access(buf, R_OK) == 0) return buf;
        }
    }
    return "build/samples/kjv-4.slm";
}

struct point {
    size_t tokens;
    double ok, wrong, undetermined, bits_right, log10_p_watermark;
};

int cli_bench_payload(int argc, char **argv)
{
    static const struct option lo[] = {
        {"bits", required_argument, 0, 'b'},   {"tokens", required_argument, 0, 'n'},
        {"temperature", required_argument, 0, 'T'}, {"trials", required_argument, 0, 'r'},
        {"model", required_argument, 0, 'm'},  {"param", required_argument, 0, 'p'},
        {"seed", required_argument, 0, 's'},   {"json", no_argument, 0, 'j'},
        {"alpha", required_argument, 0, 'a'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *params[MAX_PARAMS + 2], *model_path = NULL;
    char mbuf[4096], bits_param[32], payload_param[48];
    size_t np = 0, trials = 100, tokens = 400, i, k;
    unsigned long bits = 32;
    unsigned long long seed = 1;
    double temp = 1.0, t0, alpha = 1e-6;
    int json = 0, c, rc = CLI_ERROR, s = HM_OK;
    slm_model *model = NULL;
    float *logits = NULL;
    uint32_t *seq = NULL, V, eos;
    size_t ord;
    struct point curve[CURVE_POINTS];
    slm_rng rng;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        char *end;
        unsigned long long v;
        switch (c) {
        case 'b':
        case 'n':
        case 'r':
        case 's':
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usage_error("bench payload", "%s needs a non-negative integer",
                                       argv[optind - 1]);
            if (c == 'b') {
                if (v < 1 || v > 64) return cli_usage_error("bench payload", "--bits: 1..64");
                bits = (unsigned long)v;
            } else if (c == 'n') {
                if (v < 8 || v > 100000)
                    return cli_usage_error("bench payload", "--tokens: 8..100000");
                tokens = (size_t)v;
            } else if (c == 'r') {
                if (v < 1 || v > 1000000)
                    return cli_usage_error("bench payload", "--trials: 1..1000000");
                trials = (size_t)v;
            } else {
                seed = v;
            }
            break;
        case 'T':
            errno = 0;
            temp = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(temp > 0 && temp <= 100))
                return cli_usage_error("bench payload", "--temperature needs a number in (0, 100]");
            break;
        case 'a':
            errno = 0;
            alpha = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(alpha > 0 && alpha < 1))
                return cli_usage_error("bench payload", "--alpha needs a number in (0, 1)");
            break;
        case 'm': model_path = optarg; break;
        case 'p':
            if (np == MAX_PARAMS) return cli_usage_error("bench payload", "too many --param");
            if (strncmp(optarg, "payload=", 8) == 0 || strncmp(optarg, "bits=", 5) == 0)
                return cli_usage_error("bench payload", "use --bits; payloads are drawn per trial");
            params[np++] = optarg;
            break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        case ':':
            return cli_usage_error("bench payload", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("bench payload", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error("bench payload", "unexpected argument '%s'", argv[optind]);
    if (!model_path) model_path = default_model(mbuf, sizeof mbuf);
    s = slm_load(model_path, &model);
    if (s != HM_OK) {
        cli_err("%s: cannot load the sample model (%s); train it with "
                "'bash samples/train-sample-model.sh build build/samples/kjv-4.slm'",
                model_path, hm_strerror(s));
        return CLI_ERROR;
    }
    V = slm_vocab_size(model);
    ord = slm_order(model) > 1 ? slm_order(model) - 1 : 1;
    eos = slm_eos(model);
    logits = malloc((size_t)V * sizeof *logits);
    seq = malloc((tokens + 16) * sizeof *seq);
    if (!logits || !seq) {
        cli_fail(HM_E_NOMEM, "bench payload");
        goto out;
    }
    for (k = 0; k < CURVE_POINTS; k++) {
        memset(&curve[k], 0, sizeof curve[k]);
        curve[k].tokens = tokens * (k + 1) / CURVE_POINTS;
    }
    snprintf(bits_param, sizeof bits_param, "bits=%lu", bits);
    params[np] = bits_param;
    slm_rng_seed(&rng, seed);
    t0 = cli_now();
    for (i = 0; i < trials && s == HM_OK; i++) {
        uint8_t kb[32];
        hm_key *key = NULL;
        hm_embedder *e = NULL;
        hm_session *sess = NULL;
        hm_detector *d = NULL;
        hm_sampling sp = hm_sampling_default();
        uint64_t payload = slm_rng_next(&rng);
        const uint32_t *prompt = PROMPTS[i % N_PROMPTS].ids;
        size_t npr = PROMPTS[i % N_PROMPTS].n, n;
        if (bits < 64) payload &= ((uint64_t)1 << bits) - 1;
        for (k = 0; k < 32; k++) kb[k] = (uint8_t)(slm_rng_next(&rng) >> 56);
        snprintf(payload_param, sizeof payload_param, "payload=0x%llx",
                 (unsigned long long)payload);
        params[np + 1] = payload_param;
        sp.temperature = (float)temp;
        s = hm_key_from_bytes(kb, 0, &key);
        if (s == HM_OK) s = hm_embedder_new(&e, "mpac", key, params, np + 2, V, NULL);
        if (s == HM_OK) s = hm_detector_new(&d, "mpac", key, params, np + 1, V, NULL);
        if (s == HM_OK) s = hm_session_new(e, &sess);
        if (s == HM_OK) {
            hm_session_set_seed(sess, slm_rng_next(&rng));
            s = hm_session_seed(sess, prompt, npr);
        }
        memcpy(seq, prompt, npr * sizeof *seq);
        for (n = 0; n < tokens && s == HM_OK; n++) {
            size_t have = npr + n, ctxn = have < ord ? have : ord;
            uint32_t tok;
            s = slm_logits(model, seq + have - ctxn, ctxn, logits);
            if (s != HM_OK) break;
            if (eos < V) logits[eos] = -INFINITY;
            s = hm_session_sample(sess, logits, V, &sp, &tok, NULL);
            if (s == HM_OK) s = hm_session_accept(sess, tok);
            seq[have] = tok;
        }
        for (k = 0; k < CURVE_POINTS && s == HM_OK; k++) {
            hm_payload_result r;
            uint64_t diff;
            unsigned right = 0, b;
            int outcome;
            s = hm_payload_decode(d, seq, npr, seq + npr, curve[k].tokens, &r);
            if (s != HM_OK) break;
            outcome = hm_payload_outcome(&r, alpha);
            diff = r.payload ^ payload;
            for (b = 0; b < bits; b++) right += !((diff >> b) & 1);
            if (outcome == HM_PAYLOAD_FOUND) {
                curve[k].ok += diff == 0;
                curve[k].wrong += diff != 0;
            }
            curve[k].undetermined += outcome == HM_PAYLOAD_UNDETERMINED;
            curve[k].bits_right += (double)right / (double)bits;
            curve[k].log10_p_watermark += r.log10_p_watermark;
        }
        hm_session_free(sess);
        hm_embedder_free(e);
        hm_detector_free(d);
        hm_key_free(key);
    }
    if (s != HM_OK) {
        cli_fail(s, "bench payload");
        goto out;
    }
    {
        double secs = cli_now() - t0, nt = (double)trials;
        struct point *last = &curve[CURVE_POINTS - 1];
        if (json) {
            cJSON *j = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            cJSON_AddStringToObject(j, "scheme", "mpac");
            cJSON_AddNumberToObject(j, "bits", (double)bits);
            cJSON_AddNumberToObject(j, "tokens", (double)tokens);
            cJSON_AddNumberToObject(j, "temperature", temp);
            cJSON_AddNumberToObject(j, "trials", nt);
            cJSON_AddNumberToObject(j, "alpha", alpha);
            cJSON_AddNumberToObject(j, "success_rate", last->ok / nt);
            cJSON_AddNumberToObject(j, "wrong_rate", last->wrong / nt);
            cJSON_AddNumberToObject(j, "undetermined_rate", last->undetermined / nt);
            /* every trial runs T tokens: the sample model's EOS is masked, so
             * the text is not quite the model's own distribution */
            cJSON_AddBoolToObject(j, "eos_masked", 1);
            cJSON_AddNumberToObject(j, "bit_accuracy", last->bits_right / nt);
            cJSON_AddNumberToObject(j, "mean_log10_p_watermark", last->log10_p_watermark / nt);
            for (k = 0; k < CURVE_POINTS; k++) {
                cJSON *p = cJSON_CreateObject();
                cJSON_AddNumberToObject(p, "tokens", (double)curve[k].tokens);
                cJSON_AddNumberToObject(p, "success_rate", curve[k].ok / nt);
                cJSON_AddNumberToObject(p, "wrong_rate", curve[k].wrong / nt);
                cJSON_AddNumberToObject(p, "undetermined_rate", curve[k].undetermined / nt);
                cJSON_AddNumberToObject(p, "bit_accuracy", curve[k].bits_right / nt);
                cJSON_AddNumberToObject(p, "mean_log10_p_watermark",
                                        curve[k].log10_p_watermark / nt);
                cJSON_AddItemToArray(arr, p);
            }
            cJSON_AddItemToObject(j, "curve", arr);
            cJSON_AddNumberToObject(j, "seconds", secs);
            cli_print_json(j, 0);
            cJSON_Delete(j);
        } else {
            printf("bench payload: mpac, %lu-bit payloads, temperature %g, %zu trials, alpha %g, "
                   "model %s\n",
                   bits, temp, trials, alpha, model_path);
            printf("  %8s  %12s  %10s  %12s  %12s  %16s\n", "tokens", "success_rate", "wrong_rate",
                   "undetermined", "bit_accuracy", "mean log10 p_wm");
            for (k = 0; k < CURVE_POINTS; k++)
                printf("  %8zu  %12.4f  %10.4f  %12.4f  %12.4f  %16.1f\n", curve[k].tokens,
                       curve[k].ok / nt, curve[k].wrong / nt, curve[k].undetermined / nt,
                       curve[k].bits_right / nt, curve[k].log10_p_watermark / nt);
            printf("  (%.1f s)\n", secs);
        }
    }
    rc = CLI_OK;
out:
    free(logits);
    free(seq);
    slm_free(model);
    return rc;
}
