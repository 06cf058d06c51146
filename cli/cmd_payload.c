/*
 * cmd_payload.c - `hallmark payload decode`: reads the multi-bit payload
 * (scheme "mpac") out of a text without knowing it, with a p-value valid
 * over every candidate payload.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
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
"                               [--ids] [--alpha A] [--expect X] [--json] [FILE|-]\n"
"\n"
"Decodes the payload carried by a text generated with --scheme mpac (see\n"
"docs/payload.md), in one pass and without knowing it.  Three outcomes:\n"
"  no watermark        p_watermark > alpha (H0: no watermark of this key);\n"
"  undetermined        a watermark is present, but no payload is established\n"
"                      at alpha (the decoded word fails its keyed check);\n"
"  found               payload X: p_payload <= alpha, where H0 is \"the text\n"
"                      carries another payload, or none\" (the keyed check).\n"
"A wrong payload is declared found with probability at most alpha.\n"
"Exit status: 0 a payload was found (with --expect: that payload), 1 not\n"
"found (no watermark, undetermined, or another payload), 2 error.\n"
"\n"
"  --key FILE          the key used for generation (--passphrase-file F)\n"
"  --param k=v         bits=B, check=C and h=H as used for generation\n"
"                      (defaults 32, 24, 2)\n"
"  --tokenizer T       default cl100k_base\n"
"  --ids               the input is whitespace-separated token ids\n"
"  --alpha A           default 1e-6\n"
"  --expect X          the payload of a suspect (decimal or 0x hex): found\n"
"                      only when the text carries X against every other one\n"
"  --json              one JSON object (payload as a decimal string and hex)\n"
"  --no-canonical      tokenize the text as given (default: its canonical text,\n"
"                      docs/canonical.md; the result says what changed)\n");
}

/* PREFIX_log10_p, PREFIX_p (null below the normal doubles, never 0) and
 * PREFIX_p_text, by the one rule of docs/formats.md. */
static void add_p(cJSON *o, const char *prefix, double ln_p)
{
    char pre[64];
    snprintf(pre, sizeof pre, "%s_", prefix);
    cli_json_add_pvalue(o, pre, ln_p);
}

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    cJSON_AddStringToObject(o, name, b);
}

/* Prints the result (JSON or text); returns the exit status. */
/* What recomputing a decode needs (report verify): the parameters as
 * given, and the tokenizer with its file's SHA-256 (NULL with --ids). */
struct decode_record {
    const char *const *params;
    size_t np;
    const hm_tokenizer *tok;
    const char *tokname;
    void *canonical; /* cJSON: what canonicalization changed (text input), or NULL; taken */
};

static int report(const hm_payload_result *r, double alpha, int have_expect, uint64_t expect,
                  const char *key_id, const char *account, const struct decode_record *rec,
                  int json)
{
    int outcome = hm_payload_outcome(r, alpha);
    int found = outcome == HM_PAYLOAD_FOUND;
    int confirmed = have_expect ? found && r->payload == expect : found;
    char pw[64], pp[64], dec[32], hex[32];
    hm_stats_format_p(r->ln_p_watermark, pw, sizeof pw);
    hm_stats_format_p(r->ln_p_payload, pp, sizeof pp);
    snprintf(dec, sizeof dec, "%llu", (unsigned long long)r->payload);
    snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)r->payload);
    if (json) {
        cJSON *j = cJSON_CreateObject(), *pj = cJSON_CreateObject();
        size_t q;
        cJSON_AddStringToObject(j, "type", "payload-decode");
        cJSON_AddStringToObject(j, "scheme", "mpac");
        cJSON_AddStringToObject(j, "key_id", key_id);
        for (q = 0; q < rec->np; q++) {
            const char *eq = strchr(rec->params[q], '=');
            char name[64];
            if (!eq || (size_t)(eq - rec->params[q]) >= sizeof name) continue;
            snprintf(name, sizeof name, "%.*s", (int)(eq - rec->params[q]), rec->params[q]);
            cJSON_DeleteItemFromObjectCaseSensitive(pj, name);
            cli_json_add_param(pj, name, eq + 1);
        }
        cJSON_AddItemToObject(j, "params", pj);
        if (rec->tok) {
            char hexs[65];
            cJSON_AddStringToObject(j, "tokenizer", rec->tokname);
            cli_tokenizer_sha256_hex(rec->tok, hexs);
            cJSON_AddStringToObject(j, "tokenizer_sha256", hexs);
        }
        if (account)
            cJSON_AddStringToObject(j, "account", account);
        else
            cJSON_AddNullToObject(j, "account");
        cJSON_AddNumberToObject(j, "bits", r->bits);
        cJSON_AddNumberToObject(j, "check_bits", r->check_bits);
        cJSON_AddStringToObject(j, "outcome", hm_payload_outcome_name(outcome));
        cJSON_AddBoolToObject(j, "watermark_found", outcome != HM_PAYLOAD_NO_WATERMARK);
        cJSON_AddBoolToObject(j, "found", found);
        /* the decoded payload only when it is a finding */
        if (found) {
            cJSON_AddStringToObject(j, "payload", dec);
            cJSON_AddStringToObject(j, "payload_hex", hex);
        } else {
            cJSON_AddNullToObject(j, "payload");
            cJSON_AddNullToObject(j, "payload_hex");
        }
        cJSON_AddBoolToObject(j, "check_ok", r->check_ok != 0);
        add_u64(j, "n_tokens", r->n_tokens);
        add_u64(j, "n_scored", r->n_scored);
        add_u64(j, "agreement", r->agreement);
        cJSON_AddNumberToObject(j, "positions", r->positions);
        cJSON_AddNumberToObject(j, "positions_seen", r->positions_seen);
        add_p(j, "watermark", r->ln_p_watermark);
        cJSON_AddStringToObject(j, "watermark_test",
                                r->check_ok ? "H0: no watermark of this key; exact binomial tail of the "
                                             "best codeword, union bound over 2 x 2^bits "
                                             "valid codewords"
                                           : "H0: no watermark of this key; exact binomial tail of the "
                                             "best codeword, union bound over 2 x "
                                             "2^(bits+check_bits) codewords");
        add_p(j, "payload", r->ln_p_payload);
        /* the headline p-value is the finding's: the payload test */
        cli_json_add_pvalue(j, "", r->ln_p_payload);
        cJSON_AddStringToObject(j, "payload_test",
                                "H0: the text carries another payload, or none; keyed check of "
                                "check_bits bits: max(watermark_p, 2^-check_bits) when it "
                                "matches, else 1");
        cJSON_AddNumberToObject(j, "alpha", alpha);
        if (rec->canonical) cJSON_AddItemToObject(j, "canonical", (cJSON *)rec->canonical);
        if (have_expect) {
            char eh[32];
            snprintf(eh, sizeof eh, "0x%llx", (unsigned long long)expect);
            cJSON_AddStringToObject(j, "expect_hex", eh);
            cJSON_AddBoolToObject(j, "expect_found", confirmed);
        }
        cli_json_add_argv(j);
        cli_print_json(j, 0);
        cJSON_Delete(j);
    } else {
        cJSON_Delete((cJSON *)rec->canonical); /* JSON only */
        printf("key %s%s%s%s, %u payload bits + %u check bits, %llu of %llu tokens scored\n",
               key_id, account ? " (account '" : "", account ? account : "", account ? "')" : "",
               (unsigned)r->bits, (unsigned)r->check_bits, (unsigned long long)r->n_scored,
               (unsigned long long)r->n_tokens);
        printf("watermark: p = %s (H0: no watermark of this key; union bound over 2 x 2^%u "
               "codewords)\n",
               pw, (unsigned)(r->bits + (r->check_ok ? 0 : r->check_bits)));
        if (found) {
            printf("payload: %s (%s): p = %s (H0: another payload, or none; keyed check of %u "
                   "bits)\n",
                   hex, dec, pp, (unsigned)r->check_bits);
            printf("PAYLOAD FOUND at alpha %g: %s\n", alpha, hex);
        } else if (outcome == HM_PAYLOAD_UNDETERMINED) {
            if (r->check_bits == 0)
                printf("the key's watermark is present, but payloads without a check (check=0) "
                       "cannot be named\n");
            else if (r->check_ok)
                printf("the key's watermark is present; the keyed check (%u bits) cannot reach "
                       "alpha %g\n",
                       (unsigned)r->check_bits, alpha);
            else
                printf("the key's watermark is present; the decoded word fails its keyed check "
                       "(too few tokens, or edited text)\n");
            printf("WATERMARK FOUND, PAYLOAD NOT DETERMINED at alpha %g\n", alpha);
        } else {
            printf("no watermark of this key found at alpha %g\n", alpha);
        }
        if (have_expect)
            printf("expected payload 0x%llx: %s\n", (unsigned long long)expect,
                   confirmed ? "FOUND"
                   : found   ? "NOT FOUND (the text carries another payload)"
                             : "NOT FOUND");
    }
    return confirmed ? CLI_OK : CLI_NOT_DETECTED;
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
        {"expect", required_argument, 0, 'e'}, {"no-canonical", no_argument, 0, 'C'},
        {0, 0, 0, 0}};
    const char *keyf = NULL, *passf = NULL, *tokname = "cl100k_base", *input = "-";
    const char *params[MAX_PARAMS];
    size_t np = 0;
    double alpha = 1e-6;
    int ids = 0, json = 0, c, s, bad = -1, rc = CLI_ERROR, have_expect = 0, no_canonical = 0;
    unsigned long long expect = 0;
    char key_id[HM_KEY_ID_BUFSIZE];
    struct cli_canon cc;
    hm_key *key = NULL;
    hm_detector *d = NULL;
    hm_tokenizer *tok = NULL;
    hm_tok_output out;
    unsigned char *buf = NULL;
    size_t len = 0;
    hm_payload_result r;
    memset(&cc, 0, sizeof cc);
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
        case 'C': no_canonical = 1; break;
        case 'p':
            if (np == MAX_PARAMS) return cli_usage_error("payload decode", "too many --param");
            params[np++] = optarg;
            break;
        case 'a':
            alpha = strtod(optarg, &end);
            if (end == optarg || *end || !(alpha > 0 && alpha < 1))
                return cli_usage_error("payload decode", "--alpha needs a number in (0, 1)");
            break;
        case 'e':
            errno = 0;
            expect = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-' || optarg[0] == '+' ||
                (optarg[0] == '0' && optarg[1] && optarg[1] != 'x' && optarg[1] != 'X'))
                return cli_usage_error("payload decode",
                                       "--expect needs a payload in decimal or 0x hex");
            have_expect = 1;
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
        if (cli_canon_open(&cc, NULL, !no_canonical) != CLI_OK) goto done;
        s = cli_canon_encode(&cc, tok, NULL, (const char *)buf, len, 0, &out);
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
    if (have_expect && r.bits < 64 && (expect >> r.bits) != 0) {
        cli_err("--expect 0x%llx does not fit in %u payload bits", expect, (unsigned)r.bits);
        goto done;
    }
    if (hm_key_id(key, key_id) != HM_OK) snprintf(key_id, sizeof key_id, "?");
    {
        struct decode_record rec = {params, np, tok, tokname, ids ? NULL : cli_canon_json(&cc)};
        rc = report(&r, alpha, have_expect, expect, key_id,
                    hm_key_kind(key) == HM_KEY_DERIVED ? hm_key_tenant(key) : NULL, &rec, json);
    }
done:
    hm_tok_output_clear(&out);
    free(buf);
    hm_tokenizer_free(tok);
    cli_canon_close(&cc);
    hm_detector_free(d);
    hm_key_free(key);
    return rc;
}

int cli_payload(int argc, char **argv)
{
    static const struct cli_command subs[] = {{"decode", cmd_decode, "read the payload"}};
    return cli_subcommand("payload", argc, argv, subs, sizeof subs / sizeof subs[0], usage);
}
