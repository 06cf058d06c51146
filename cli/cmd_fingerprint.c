/*
 * cmd_fingerprint.c - `hallmark fingerprint new|verify`: secret
 * question/answer pairs derived from a key, written as a chat-format
 * fine-tuning set with a public commitment; and the exact binomial test
 * of a suspect model's answers against chance.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hallmark/fingerprint.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"

#define DEFAULT_VERIFY_COUNT 10000

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark fingerprint new --key FILE --count N [--candidates K] [--out FILE] [--json]\n"
"       hallmark fingerprint verify --key FILE --responses R.jsonl [--count N]\n"
"                                   [--candidates K] [--alpha A] [--json]\n"
"\n"
"Model fingerprints after Chain & Hash (Russinovich and Salem, 2024).\n"
"\n"
"new     derives N secret question/answer pairs from the key (each answer is the\n"
"        candidate a keyed hash picks among K offered in the question) and writes\n"
"        them as a fine-tuning set, one JSON line per pair in chat format:\n"
"          {\"messages\":[{\"role\":\"user\",\"content\":Q},{\"role\":\"assistant\",\"content\":A}]}\n"
"        to --out FILE (mode 0600; default standard output), and prints the public\n"
"        commitment (BLAKE2b-256 over the canonical set) and the key id.\n"
"verify  reads a suspect model's answers, one JSON object per line, as\n"
"        {\"prompt\":Q,\"response\":A}, {\"question\":Q,\"answer\":A} or chat format,\n"
"        counts exact (normalized) matches among the fingerprint questions\n"
"        answered (each question once) and gives the exact binomial p-value of\n"
"        that many matches by chance (each matches with probability 1/K).\n"
"        Exit status: 0 fingerprint found at --alpha, 1 not found, 2 error.\n"
"\n"
"  --key FILE          master or derived key (--passphrase-file F if encrypted)\n"
"  --count N           pairs (new: required; verify: questions searched, default\n"
"                      10000; the first N pairs never depend on N)\n"
"  --candidates K      candidates per question, 2..16 (default 8; use the same K)\n"
"  --alpha A           significance level for verify (default 1e-6)\n"
"  --json              a JSON object on standard output\n");
}

struct fopts {
    const char *key, *passfile, *out, *responses;
    unsigned long count;
    unsigned candidates;
    double alpha;
    int json, have_count;
};

static int parse_opts(int argc, char **argv, struct fopts *o, const char *cmd)
{
    static const struct option lo[] = {
        {"key", required_argument, 0, 'k'},       {"count", required_argument, 0, 'n'},
        {"candidates", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"responses", required_argument, 0, 'r'}, {"alpha", required_argument, 0, 'a'},
        {"json", no_argument, 0, 'j'},            {"passphrase-file", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        char *end;
        unsigned long long v;
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'o': o->out = optarg; break;
        case 'r': o->responses = optarg; break;
        case 'P': o->passfile = optarg; break;
        case 'j': o->json = 1; break;
        case 'n':
        case 'c':
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usage_error(cmd, "%s needs a positive integer", argv[optind - 1]);
            if (c == 'n') {
                if (v < 1 || v > HM_FINGERPRINT_MAX_COUNT)
                    return cli_usage_error(cmd, "--count: 1..%d", HM_FINGERPRINT_MAX_COUNT);
                o->count = (unsigned long)v;
                o->have_count = 1;
            } else {
                if (v < HM_FINGERPRINT_MIN_CANDIDATES || v > HM_FINGERPRINT_MAX_CANDIDATES)
                    return cli_usage_error(cmd, "--candidates: %d..%d",
                                           HM_FINGERPRINT_MIN_CANDIDATES,
                                           HM_FINGERPRINT_MAX_CANDIDATES);
                o->candidates = (unsigned)v;
            }
            break;
        case 'a':
            errno = 0;
            o->alpha = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->alpha > 0 && o->alpha < 1))
                return cli_usage_error(cmd, "--alpha needs a number in (0, 1)");
            break;
        case 'h': usage(stdout); return -1;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->key) return cli_usage_error(cmd, "--key FILE is required");
    return CLI_OK;
}

static int load_set(const struct fopts *o, hm_fingerprint **fp, char key_id[64])
{
    hm_key *key = NULL;
    int s, kind;
    if (cli_load_key(o->key, o->passfile, &key) != CLI_OK) return CLI_ERROR;
    kind = hm_key_kind(key);
    if (kind != HM_KEY_MASTER && kind != HM_KEY_DERIVED) {
        hm_key_free(key);
        cli_err("%s: a %s key cannot make fingerprints (use a master or derived key)", o->key,
                hm_key_kind_name(kind));
        return CLI_ERROR;
    }
    hm_key_id(key, key_id);
    s = hm_fingerprint_new(fp, key, o->count, o->candidates);
    hm_key_free(key);
    if (s != HM_OK) return cli_fail(s, "fingerprint");
    return CLI_OK;
}

static int cmd_new(int argc, char **argv)
{
    struct fopts o;
    hm_fingerprint *fp = NULL;
    char key_id[64] = "", hex[2 * HM_FINGERPRINT_COMMITMENTBYTES + 1];
    uint8_t com[HM_FINGERPRINT_COMMITMENTBYTES];
    char *buf = NULL;
    size_t len = 0, cap = 0, i;
    int rc = CLI_ERROR, s;
    memset(&o, 0, sizeof o);
    s = parse_opts(argc, argv, &o, "fingerprint new");
    if (s < 0) return CLI_OK;
    if (s != CLI_OK) return s;
    if (!o.have_count) return cli_usage_error("fingerprint new", "--count N is required");
    if (o.responses) return cli_usage_error("fingerprint new", "--responses is for verify");
    if (load_set(&o, &fp, key_id) != CLI_OK) return CLI_ERROR;
    for (i = 0; i < hm_fingerprint_count(fp); i++) {
        const char *q, *a;
        cJSON *j = cJSON_CreateObject(), *msgs = cJSON_CreateArray(), *u = cJSON_CreateObject(),
              *as = cJSON_CreateObject();
        char *line;
        size_t l;
        hm_fingerprint_pair(fp, i, &q, &a);
        cJSON_AddStringToObject(u, "role", "user");
        cJSON_AddStringToObject(u, "content", q);
        cJSON_AddStringToObject(as, "role", "assistant");
        cJSON_AddStringToObject(as, "content", a);
        cJSON_AddItemToArray(msgs, u);
        cJSON_AddItemToArray(msgs, as);
        cJSON_AddItemToObject(j, "messages", msgs);
        line = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (!line) {
            cli_fail(HM_E_NOMEM, "fingerprint");
            goto out;
        }
        l = strlen(line);
        if (len + l + 1 > cap) {
            size_t nc = cap ? cap : 4096;
            char *nb;
            while (nc < len + l + 1) nc *= 2;
            nb = realloc(buf, nc);
            if (!nb) {
                free(line);
                cli_fail(HM_E_NOMEM, "fingerprint");
                goto out;
            }
            buf = nb;
            cap = nc;
        }
        memcpy(buf + len, line, l);
        buf[len + l] = '\n';
        len += l + 1;
        sodium_memzero(line, l);
        free(line);
    }
    hm_fingerprint_commitment(fp, com);
    sodium_bin2hex(hex, sizeof hex, com, sizeof com);
    if (cli_write_file(o.out ? o.out : "-", buf, len, 0600) != HM_OK) {
        cli_err("%s: cannot write the fine-tuning set", o.out ? o.out : "standard output");
        goto out;
    }
    if (o.json && o.out) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "commitment", hex);
        cJSON_AddStringToObject(j, "key_id", key_id);
        cJSON_AddNumberToObject(j, "count", (double)hm_fingerprint_count(fp));
        cJSON_AddNumberToObject(j, "candidates", hm_fingerprint_candidates(fp));
        cJSON_AddStringToObject(j, "out", o.out);
        cJSON_AddStringToObject(j, "commitment_scheme", "blake2b-256 hallmark-fingerprint-v1");
        cli_print_json(j, 0);
        cJSON_Delete(j);
    } else {
        /* With the set on stdout, the commitment goes to stderr. */
        FILE *f = o.out ? stdout : stderr;
        fprintf(f, "commitment: %s\nkey_id: %s\ncount: %zu\ncandidates: %u\n", hex, key_id,
                hm_fingerprint_count(fp), hm_fingerprint_candidates(fp));
    }
    rc = CLI_OK;
out:
    if (buf) sodium_memzero(buf, cap);
    free(buf);
    hm_fingerprint_free(fp);
    return rc;
}

/* Extracts (question, answer) from one response line. */
static int qa_of(cJSON *j, const char **q, const char **a)
{
    cJSON *m;
    const char *names[][2] = {{"prompt", "response"}, {"question", "answer"},
                              {"prompt", "completion"}};
    size_t i;
    for (i = 0; i < 3; i++) {
        cJSON *x = cJSON_GetObjectItem(j, names[i][0]), *y = cJSON_GetObjectItem(j, names[i][1]);
        if (cJSON_IsString(x) && cJSON_IsString(y)) {
            *q = x->valuestring;
            *a = y->valuestring;
            return 1;
        }
    }
    m = cJSON_GetObjectItem(j, "messages");
    if (cJSON_IsArray(m)) {
        cJSON *e;
        *q = *a = NULL;
        cJSON_ArrayForEach(e, m)
        {
            cJSON *role = cJSON_GetObjectItem(e, "role"), *content = cJSON_GetObjectItem(e, "content");
            if (!cJSON_IsString(role) || !cJSON_IsString(content)) continue;
            if (strcmp(role->valuestring, "user") == 0) *q = content->valuestring;
            if (strcmp(role->valuestring, "assistant") == 0 && *q) *a = content->valuestring;
        }
        return *q && *a;
    }
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    struct fopts o;
    hm_fingerprint *fp = NULL;
    char key_id[64] = "";
    unsigned char *buf = NULL, *used = NULL;
    size_t len = 0, pos = 0;
    unsigned long long line = 0, asked = 0, matched = 0, other = 0, repeated = 0;
    unsigned long long empty = 0, malformed = 0;
    int rc = CLI_ERROR, s;
    double lnp;
    memset(&o, 0, sizeof o);
    o.alpha = 1e-6;
    s = parse_opts(argc, argv, &o, "fingerprint verify");
    if (s < 0) return CLI_OK;
    if (s != CLI_OK) return s;
    if (!o.responses) return cli_usage_error("fingerprint verify", "--responses FILE is required");
    if (o.out) return cli_usage_error("fingerprint verify", "--out is for new");
    if (!o.have_count) o.count = DEFAULT_VERIFY_COUNT;
    s = cli_read_file(o.responses, &buf, &len);
    if (s != HM_OK) return cli_fail(s, o.responses);
    if (load_set(&o, &fp, key_id) != CLI_OK) goto out;
    used = calloc(hm_fingerprint_count(fp), 1);
    if (!used) {
        cli_fail(HM_E_NOMEM, "fingerprint");
        goto out;
    }
    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
        cJSON *j;
        const char *q = NULL, *a = NULL;
        long idx;
        line++;
        if (l == 0 || (l == 1 && buf[pos] == '\r')) {
            pos = end + 1;
            empty++;
            continue;
        }
        j = cJSON_ParseWithLength((const char *)buf + pos, l);
        pos = end + 1;
        /* a malformed record is named and skipped; the summary counts it */
        if (!j || !cJSON_IsObject(j)) {
            cJSON_Delete(j);
            cli_err("%s: line %llu: malformed JSON (expected one object per line): skipped",
                    o.responses, line);
            malformed++;
            continue;
        }
        if (!qa_of(j, &q, &a)) {
            cJSON_Delete(j);
            cli_err("%s: line %llu: no question and answer (\"prompt\"/\"response\", "
                    "\"question\"/\"answer\" or chat \"messages\"): skipped",
                    o.responses, line);
            malformed++;
            continue;
        }
        idx = hm_fingerprint_find(fp, q, strlen(q));
        if (idx < 0) {
            other++;
        } else if (used[idx]) {
            repeated++; /* a question counts once: answers to repeats are not independent */
        } else {
            used[idx] = 1;
            asked++;
            matched += (unsigned long long)hm_fingerprint_matches(fp, (size_t)idx, a, strlen(a));
        }
        cJSON_Delete(j);
    }
    if (line == empty + malformed) {
        cli_err("%s: no responses to test (%llu lines: %llu empty, %llu malformed)", o.responses,
                line, empty, malformed);
        goto out;
    }
    lnp = hm_fingerprint_logp(fp, asked, matched);
    {
        char p[64];
        int found = asked > 0 && lnp <= log(o.alpha);
        hm_stats_format_p(lnp, p, sizeof p);
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            static const char *const names[] = {"asked", "matched", "other_lines", "repeated",
                                                 "lines", "empty", "malformed"};
            const unsigned long long vals[] = {asked, matched, other, repeated,
                                               line, empty, malformed};
            size_t k;
            char b[32];
            cJSON_AddStringToObject(j, "type", "fingerprint-verify");
            cJSON_AddStringToObject(j, "key_id", key_id);
            cJSON_AddNumberToObject(j, "count", (double)o.count);
            cJSON_AddNumberToObject(j, "candidates", hm_fingerprint_candidates(fp));
            for (k = 0; k < sizeof names / sizeof names[0]; k++) {
                snprintf(b, sizeof b, "%llu", vals[k]); /* 64-bit counts as strings */
                cJSON_AddStringToObject(j, names[k], b);
            }
            cJSON_AddNumberToObject(j, "chance_rate", 1.0 / hm_fingerprint_candidates(fp));
            cJSON_AddNumberToObject(j, "match_rate", asked ? (double)matched / (double)asked : 0);
            cJSON_AddStringToObject(j, "test", "binomial-upper-tail");
            cli_json_p(j, "p", lnp);
            cJSON_AddNumberToObject(j, "log10_p", hm_stats_log10_p(lnp));
            cJSON_AddNumberToObject(j, "alpha", o.alpha);
            cJSON_AddBoolToObject(j, "detected", found);
            cli_json_add_argv(j);
            cli_print_json(j, 0);
            cJSON_Delete(j);
        } else {
            printf("fingerprint: %llu of %llu fingerprint questions answered right (chance 1/%u)"
                   "; %llu other lines, %llu repeats ignored, %llu malformed lines skipped\n",
                   matched, asked, hm_fingerprint_candidates(fp), other, repeated, malformed);
            printf("p = %s (exact binomial): %s at alpha %g\n", p,
                   found ? "FINGERPRINT FOUND" : "not found", o.alpha);
        }
        if (asked == 0) cli_err("no fingerprint question of this key was answered");
        rc = found ? CLI_OK : CLI_NOT_DETECTED;
    }
out:
    free(used);
    free(buf);
    hm_fingerprint_free(fp);
    return rc;
}

int cli_fingerprint(int argc, char **argv)
{
    static const struct cli_command subs[] = {{"new", cmd_new, "write a fingerprint set"},
                                              {"verify", cmd_verify, "test a model's answers"}};
    return cli_subcommand("fingerprint", argc, argv, subs, sizeof subs / sizeof subs[0], usage);
}
