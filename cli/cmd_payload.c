/*
 * cmd_payload.c - `hallmark payload decode`: reads the multi-bit payload
 * (scheme "mpac") out of a text without knowing it, with a p-value valid
 * over every candidate payload.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hallmark/detect.h"
#include "hallmark/key.h"
#include "hallmark/payload.h"
#include "hallmark/stats.h"
#include "hallmark/tokenizer.h"

#define MAX_PARAMS 16

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark payload decode --key FILE [--param k=v ...] [--tokenizer T]\n"
"                               [--ids] [--alpha A] [--json] [FILE|-]\n"
"\n"
"Decodes the payload carried by a text generated with --scheme mpac (see\n"
"docs/payload.md), in one pass and without knowing it.  The p-value accounts\n"
"for every one of the 2^B candidate payloads; it is also the test that the\n"
"text carries some payload under this key.\n"
"Exit status: 0 a payload was found at --alpha, 1 not found, 2 error.\n"
"\n"
"  --key FILE          the key used for generation (--passphrase-file F)\n"
"  --param k=v         bits=B and h=H as used for generation (defaults 32, 2)\n"
"  --tokenizer T       default cl100k_base\n"
"  --ids               the input is whitespace-separated token ids\n"
"  --alpha A           default 1e-6\n"
"  --json              one JSON object (payload as a decimal string and hex)\n");
}

static int parse_ids(const unsigned char *s, size_t n, hm_tok_output *out)
{
    uint32_t *ids = NULL;
    size_t k = 0;
    int st = cli_parse_ids(s, n, 0, &ids, &k);
    if (st != HM_OK) return st;
    free(out->ids);
    out->ids = ids;
    out->len = out->cap = k;
    return HM_OK;
}

static int cmd_decode(int argc, char **argv)
{
    static const struct option lo[] = {
        {"key", required_argument, 0, 'k'},   {"param", required_argument, 0, 'p'},
        {"tokenizer", required_argument, 0, 't'}, {"ids", no_argument, 0, 'i'},
        {"alpha", required_argument, 0, 'a'}, {"json", no_argument, 0, 'j'},
        {"passphrase-file", required_argument, 0, 'P'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *keyf = NULL, *passf = NULL, *tokname = "cl100k_base", *input = "-";
    const char *params[MAX_PARAMS];
    size_t np = 0;
    double alpha = 1e-6;
    int ids = 0, json = 0, c, s, bad = -1, rc = CLI_ERROR;
    hm_key *key = NULL;
    hm_detector *d = NULL;
    hm_tokenizer *tok = NULL;
    hm_tok_output out;
    unsigned char *buf = NULL;
    size_t len = 0;
    hm_payload_result r;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'k': keyf = optarg; break;
        case 'P': passf = optarg; break;
        case 't': tokname = optarg; break;
        case 'i': ids = 1; break;
        case 'j': json = 1; break;
        case 'p':
            if (np == MAX_PARAMS) return cli_usage_error("payload decode", "too many --param");
            params[np++] = optarg;
            break;
        case 'a':
            alpha = strtod(optarg, &end);
            if (end == optarg || *end || !(alpha > 0 && alpha < 1))
                return cli_usage_error("payload decode", "--alpha needs a number in (0, 1)");
            break;
        case 'h': usage(stdout); return CLI_OK;
        case ':':
            return cli_usage_error("payload decode", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("payload decode", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!keyf) return cli_usage_error("payload decode", "--key FILE is required");
    if (optind < argc - 1) return cli_usage_error("payload decode", "give one input file");
    if (optind == argc - 1) input = argv[optind];
    hm_tok_output_init(&out);
    if (cli_load_key(keyf, passf, &key) != CLI_OK) goto done;
    s = hm_detector_new(&d, "mpac", key, params, np, 0, &bad);
    if (s == HM_E_NOTFOUND && bad >= 0) {
        cli_err("unknown parameter '%s' for scheme mpac", params[bad]);
        goto done;
    }
    if (s != HM_OK) {
        cli_fail(s, bad >= 0 ? params[bad] : "mpac detector");
        goto done;
    }
    s = cli_read_file(input, &buf, &len);
    if (s != HM_OK) {
        cli_fail(s, input);
        goto done;
    }
    if (ids) {
        s = parse_ids(buf, len, &out);
        if (s == HM_E_FORMAT) {
            cli_err("%s: not a list of token ids", input);
            goto done;
        }
    } else {
        if (cli_open_tokenizer(tokname, NULL, &tok) != CLI_OK) goto done;
        s = hm_tokenizer_encode(tok, NULL, buf, len, 0, &out);
    }
    if (s != HM_OK) {
        cli_fail(s, input);
        goto done;
    }
    s = hm_payload_decode(d, NULL, 0, out.ids, out.len, &r);
    if (s != HM_OK) {
        cli_fail(s, "decode");
        goto done;
    }
    {
        char p[64], dec[32], hex[32];
        int found = r.ln_p <= log(alpha);
        hm_stats_format_p(r.ln_p, p, sizeof p);
        snprintf(dec, sizeof dec, "%llu", (unsigned long long)r.payload);
        snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)r.payload);
        if (json) {
            cJSON *j = cJSON_CreateObject();
            char b[32];
            cJSON_AddStringToObject(j, "scheme", "mpac");
            cJSON_AddNumberToObject(j, "bits", r.bits);
            cJSON_AddStringToObject(j, "payload", dec);
            cJSON_AddStringToObject(j, "payload_hex", hex);
            snprintf(b, sizeof b, "%llu", (unsigned long long)r.n_tokens);
            cJSON_AddStringToObject(j, "n_tokens", b);
            snprintf(b, sizeof b, "%llu", (unsigned long long)r.n_scored);
            cJSON_AddStringToObject(j, "n_scored", b);
            snprintf(b, sizeof b, "%llu", (unsigned long long)r.agreement);
            cJSON_AddStringToObject(j, "agreement", b);
            cJSON_AddNumberToObject(j, "positions", r.positions);
            cJSON_AddNumberToObject(j, "positions_seen", r.positions_seen);
            cJSON_AddStringToObject(j, "p", p);
            cJSON_AddNumberToObject(j, "log10_p", r.log10_p);
            /* the decoded payload's own binomial tail: it was chosen to
             * agree best, so this is a statistic, not a p-value (a p-value
             * only for a payload fixed before looking: detect --scheme mpac) */
            cJSON_AddNumberToObject(j, "agreement_log10_tail", r.ln_p_fixed / log(10.0));
            cJSON_AddStringToObject(j, "correction", "union bound over 2^bits payloads");
            cJSON_AddNumberToObject(j, "alpha", alpha);
            cJSON_AddBoolToObject(j, "found", found);
            cli_print_json(j, 0);
            cJSON_Delete(j);
        } else {
            printf("payload: %s (%s), %u bits\n", hex, dec, (unsigned)r.bits);
            printf("%llu of %llu scored tokens agree with it; positions seen %u of %u\n",
                   (unsigned long long)r.agreement, (unsigned long long)r.n_scored,
                   (unsigned)r.positions_seen, (unsigned)r.positions);
            printf("p = %s (corrected over all 2^%u payloads): %s at alpha %g\n", p,
                   (unsigned)r.bits, found ? "PAYLOAD FOUND" : "no payload found", alpha);
        }
        rc = found ? CLI_OK : CLI_NOT_DETECTED;
    }
done:
    hm_tok_output_clear(&out);
    free(buf);
    hm_tokenizer_free(tok);
    hm_detector_free(d);
    hm_key_free(key);
    return rc;
}

int cli_payload(int argc, char **argv)
{
    static const struct cli_command subs[] = {{"decode", cmd_decode, "read the payload"}};
    return cli_subcommand("payload", argc, argv, subs, sizeof subs / sizeof subs[0], usage);
}
