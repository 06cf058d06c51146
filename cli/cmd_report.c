/*
 * cmd_report.c - `hallmark report`: signed evidence reports (report.json,
 * report.json.sig, report.html) from a command's JSON result;
 * `hallmark report verify` checks the signature, the input hashes, the
 * HTML rendering and an RFC 3161 timestamp, and reruns every test;
 * `hallmark report timestamp` writes an RFC 3161 query.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "cli.h"
#include "hallmark/detect.h"
#include "hallmark/key.h"
#include "hallmark/report.h"
#include "hallmark/tokenizer.h"

#define MAX_INPUTS 64
#define MAX_KEYS 64

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark report --result RESULT.json --sign SIGNING_KEY --out DIR\n"
"                       [--passphrase-file F] [--case-file CASE.json] [--input FILE ...]\n"
"                       [--key WATERMARK_KEY] [--prompt-file F]\n"
"       hallmark report verify DIR --pubkey PUB [--input FILE ...] [--key FILE ...]\n"
"                       [--tsr FILE] [--ca-cert FILE]\n"
"       hallmark report timestamp DIR [--out FILE]\n"
"\n"
"Writes a signed evidence report: DIR/report.json (canonical JSON: tool, build,\n"
"command, SHA-256 of every input, scheme, parameters, PRF, tokenizer, key id and\n"
"commitment, every test with its statistic, n, p-value and assumptions, the\n"
"negative controls, the corrections, a UTC timestamp and the case metadata),\n"
"DIR/report.json.sig (Ed25519 over the exact bytes of report.json) and\n"
"DIR/report.html (a self-contained page for non-experts).\n"
"\n"
"  --result FILE       what `hallmark detect` (or scan, radioactivity, trace)\n"
"                      printed with --json (--per-token enables highlighting)\n"
"  --sign FILE         the signing key (`hallmark key new-signing`)\n"
"  --passphrase-file F passphrase of encrypted key files (or $HALLMARK_PASSPHRASE)\n"
"  --case-file FILE    the operator's case metadata, a JSON object\n"
"  --input FILE        an input file (the scored text first); repeatable\n"
"  --key FILE          the watermark key: records its commitment\n"
"  --prompt-file F     the prompt given to `hallmark detect --prompt-file` (text):\n"
"                      hashed, and its tokens feed the contexts on recomputation\n"
"  --out DIR           the report directory (created if missing)\n"
"  --force             replace a report already in DIR (and drop its .tsq/.tsr)\n"
"\n"
"verify: checks the signature with PUB, the SHA-256 of every input (given with\n"
"--input in the recorded order, else read from the recorded paths), that\n"
"report.html renders report.json, the timestamp response (--tsr, default\n"
"DIR/report.tsr) against --ca-cert, and reruns the negative controls and, with\n"
"--key (in the order the command used them), every test: detect results from\n"
"their token ids, and every result by rerunning its recorded command (\"argv\")\n"
"on the checked inputs.  Prints REPRODUCED or the differences.\n"
"Exit 0 only when everything checks; 1 when a check fails; 2 on errors.\n"
"\n"
"timestamp: writes an RFC 3161 query for report.json (DIR/report.tsq); send it\n"
"to a timestamp authority and save the answer as DIR/report.tsr.\n"
"\n"
"--custody-log FILE (any command) appends the action to a hash-chained log.\n");
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int read_or_fail(const char *path, unsigned char **buf, size_t *len)
{
    int s = cli_read_file(path, buf, len);
    if (s != HM_OK) {
        cli_err("%s: cannot read: %s", path, s == HM_E_IO ? strerror(errno) : hm_strerror(s));
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* The ids of a result's "tokens" array; NULL if absent. */
static int ids_from_tokens(const cJSON *res, uint32_t **ids, size_t *n)
{
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(res, "tokens"), *t;
    size_t k = 0, cnt;
    *ids = NULL;
    *n = 0;
    if (!cJSON_IsArray(toks)) return CLI_OK;
    cnt = (size_t)cJSON_GetArraySize(toks);
    *ids = malloc((cnt ? cnt : 1) * sizeof **ids);
    if (!*ids) return cli_fail(HM_E_NOMEM, "tokens");
    cJSON_ArrayForEach(t, toks)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 4294967295.0) {
            free(*ids);
            *ids = NULL;
            cli_err("result: token %zu has no valid id", k);
            return CLI_ERROR;
        }
        (*ids)[k++] = (uint32_t)id->valuedouble;
    }
    *n = k;
    return CLI_OK;
}

/* Tokenizes text with the result's tokenizer, checking the tokenizer's hash. */
/* A detect result's --eos (a decimal string, or null): -1 when absent. */
static long long result_eos(const cJSON *res)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "eos");
    char *end;
    long long v;
    if (!cJSON_IsString(e)) return -1;
    v = strtoll(e->valuestring, &end, 10);
    return (*end || v < 0 || v > 4294967295LL) ? -1 : v;
}

static int ids_from_text(const cJSON *res, const unsigned char *text, size_t len, uint32_t **ids,
                         size_t *n)
{
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(res, "tokenizer");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(res, "tokenizer_sha256");
    hm_tokenizer *tok = NULL;
    hm_tok_output out;
    unsigned char sha[32];
    char hex[65];
    int s;
    *ids = NULL;
    *n = 0;
    if (!cJSON_IsString(tn)) {
        /* `detect --ids`: the input is the list of ids itself */
        const cJSON *a, *argv = cJSON_GetObjectItemCaseSensitive(res, "argv");
        int ids_mode = 0;
        size_t at = 0;
        cJSON_ArrayForEach(a, argv) ids_mode |= cJSON_IsString(a) && strcmp(a->valuestring, "--ids") == 0;
        if (!ids_mode) return CLI_OK;
        s = cli_parse_ids(text, len, 0, ids, &at);
        if (s == HM_E_FORMAT) {
            cli_err("the first input is not a list of token ids (bad token at byte %zu)", at);
            return CLI_ERROR;
        }
        if (s != HM_OK) return cli_fail(s, "ids");
        *n = at;
        return CLI_OK;
    }
    if (cli_open_tokenizer(tn->valuestring, NULL, &tok) != CLI_OK) return CLI_ERROR;
    if (cJSON_IsString(th) && hm_tokenizer_sha256(tok, sha) == HM_OK) {
        sodium_bin2hex(hex, sizeof hex, sha, sizeof sha);
        if (strcmp(hex, th->valuestring) != 0) {
            cli_err("tokenizer %s: its file's SHA-256 %s differs from the recorded %s",
                    tn->valuestring, hex, th->valuestring);
            hm_tokenizer_free(tok);
            return CLI_ERROR;
        }
    }
    hm_tok_output_init(&out);
    /* detect --special: special tokens were recognized in the text */
    s = cli_encode_text(tok, NULL, text, len,
                        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "special"))
                            ? HM_TOK_SPECIAL
                            : 0u,
                        result_eos(res), &out);
    hm_tokenizer_free(tok);
    if (s != HM_OK) {
        hm_tok_output_clear(&out);
        return cli_fail(s, "tokenize");
    }
    free(out.offsets);
    *ids = out.ids;
    *n = out.len;
    return CLI_OK;
}

static int mkdir_p(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return CLI_OK;
        cli_err("%s: exists and is not a directory", dir);
        return CLI_ERROR;
    }
    if (mkdir(dir, 0755) != 0) {
        cli_err("%s: cannot create: %s", dir, strerror(errno));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int write_out(const char *dir, const char *name, const void *data, size_t len)
{
    char *p = join(dir, name);
    int s;
    if (!p) return cli_fail(HM_E_NOMEM, name);
    s = cli_write_file(p, data, len, 0644);
    if (s != HM_OK) {
        cli_err("%s: cannot write", p);
        free(p);
        return CLI_ERROR;
    }
    free(p);
    return CLI_OK;
}

/* ---- hallmark report (build) ---------------------------------------------- */

/* The per-token evidence of a one-key detect result that was printed
 * without --per-token, recomputed with the watermark key for report.html's
 * highlighting: a JSON object {"source", "test", "null_param", "tokens"}
 * as text (caller frees), or NULL (not possible; a note is printed when the
 * recomputation disagrees with the result). */
static char *token_evidence(const cJSON *res, const hm_key *key, const unsigned char *text,
                            size_t len, const uint32_t *prompt, size_t n_prompt)
{
    const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "scheme"));
    const char *tname = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "tokenizer"));
    const char *dedup = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "dedup"));
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(res, "params"), *p;
    const cJSON *eos = cJSON_GetObjectItemCaseSensitive(res, "eos");
    char pbuf[16][96], *out = NULL;
    const char *pp[16], *ns;
    size_t np = 0;
    hm_tokenizer *tok = NULL;
    hm_tok_output o;
    hm_detector *d = NULL;
    hm_detect_result r;
    hm_token_detail *det = NULL;
    cJSON *ev = NULL;
    hm_tok_output_init(&o);
    if (!scheme || !tname || cJSON_GetObjectItemCaseSensitive(res, "keys") ||
        cJSON_GetObjectItemCaseSensitive(res, "tokens"))
        return NULL;
    cJSON_ArrayForEach(p, params)
    {
        if (np == 16 || !p->string) break;
        if (cJSON_IsString(p)) snprintf(pbuf[np], sizeof pbuf[np], "%s=%s", p->string, p->valuestring);
        else if (cJSON_IsNumber(p)) snprintf(pbuf[np], sizeof pbuf[np], "%s=%.17g", p->string, p->valuedouble);
        else continue;
        pp[np] = pbuf[np];
        np++;
    }
    if (cli_open_tokenizer(tname, NULL, &tok) != CLI_OK ||
        cli_encode_text(tok, NULL, text, len,
                        HM_TOK_OFFSETS |
                            (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "special"))
                                 ? HM_TOK_SPECIAL
                                 : 0u),
                        result_eos(res), &o) != HM_OK ||
        hm_detector_new(&d, scheme, key, pp, np, 0, NULL) != HM_OK)
        goto done;
    if (dedup && hm_detector_set_dedup(d, hm_dedup_parse(dedup)) != HM_OK) goto done;
    if (cJSON_IsString(eos) && hm_detector_set_eos(d, strtoll(eos->valuestring, NULL, 10)) != HM_OK)
        goto done;
    det = calloc(o.len ? o.len : 1, sizeof *det);
    memset(&r, 0, sizeof r);
    if (!det || hm_detect(d, prompt, n_prompt, o.ids, o.len, &r, det) != HM_OK) goto done;
    ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "n_scored"));
    if (!ns || strtoull(ns, NULL, 10) != r.n_scored ||
        !(fabs(r.score - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "score"))) <=
          1e-9 * (1 + fabs(r.score)))) {
        cli_err("note: the key's per-token evidence does not reproduce the result's score, so "
                "report.html will not highlight the text");
        goto done;
    }
    ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "source",
                            "recomputed by `hallmark report` with the watermark key (the result "
                            "was printed without --per-token); its score and n equal the "
                            "result's");
    cJSON_AddStringToObject(ev, "test", r.test_name);
    cJSON_AddNumberToObject(ev, "null_param", r.null_param);
    cJSON_AddItemToObject(ev, "tokens", cli_tokens_json(det, &o, o.len));
    out = cJSON_PrintUnformatted(ev);
done:
    cJSON_Delete(ev);
    free(det);
    hm_detector_free(d);
    hm_tokenizer_free(tok);
    hm_tok_output_clear(&o);
    return out;
}

static int report_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"result", required_argument, 0, 'r'},    {"sign", required_argument, 0, 's'},
        {"passphrase-file", required_argument, 0, 'x'}, {"case-file", required_argument, 0, 'c'},
        {"input", required_argument, 0, 'i'},     {"out", required_argument, 0, 'o'},
        {"key", required_argument, 0, 'k'},       {"help", no_argument, 0, 'h'},
        {"prompt-file", required_argument, 0, 'P'}, {"force", no_argument, 0, 'F'},
        {0, 0, 0, 0}};
    const char *result = NULL, *sign = NULL, *pass = NULL, *casef = NULL, *outdir = NULL,
               *wkey = NULL, *promptf = NULL;
    int force = 0;
    unsigned char *pbuf = NULL;
    size_t plen = 0, n_pids = 0;
    uint32_t *pids = NULL;
    const char *inputs[MAX_INPUTS];
    unsigned char *rbuf = NULL, *cbuf = NULL, *ibuf[MAX_INPUTS] = {0};
    size_t rlen = 0, clen = 0, ilen[MAX_INPUTS] = {0}, n_in = 0, i, n_ids = 0, replen = 0,
           siglen = 0, htmllen = 0;
    hm_report_input rin[MAX_INPUTS];
    hm_key *signer = NULL, *wk = NULL;
    cJSON *res = NULL;
    uint32_t *ids = NULL;
    char *rep = NULL, *sig = NULL, *html = NULL, *evidence = NULL;
    const char *ids_source = "tokens";
    const char **cmdv = NULL;
    int c, rc = CLI_ERROR, s;
    hm_report_meta meta;
    optind = 1;
    cmdv = malloc(((size_t)argc + 1) * sizeof *cmdv);
    if (!cmdv) return cli_fail(HM_E_NOMEM, "report");
    cmdv[0] = "hallmark";
    for (c = 0; c < argc; c++) cmdv[c + 1] = argv[c]; /* before getopt permutes argv */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': result = optarg; break;
        case 's': sign = optarg; break;
        case 'x': pass = optarg; break;
        case 'c': casef = optarg; break;
        case 'o': outdir = optarg; break;
        case 'F': force = 1; break;
        case 'k': wkey = optarg; break;
        case 'P': promptf = optarg; break;
        case 'i':
            if (n_in == MAX_INPUTS - 1) {
                free(cmdv);
                return cli_usage_error("report", "at most %d --input files", MAX_INPUTS);
            }
            inputs[n_in++] = optarg;
            break;
        case 'h': usage(stdout); free(cmdv); return CLI_OK;
        default: free(cmdv); return cli_usage_error("report", "invalid option");
        }
    }
    if (optind < argc) {
        free(cmdv);
        return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
    }
    if (!result || !sign || !outdir) {
        free(cmdv);
        return cli_usage_error("report", "--result, --sign and --out are required");
    }
    if (read_or_fail(result, &rbuf, &rlen) != CLI_OK) goto done;
    res = cJSON_ParseWithLength((const char *)rbuf, rlen);
    if (!cJSON_IsObject(res)) {
        cli_err("%s: not a JSON result (expected the JSON object printed by `hallmark detect "
                "--json`)", result);
        goto done;
    }
    if (casef) {
        cJSON *cj;
        if (read_or_fail(casef, &cbuf, &clen) != CLI_OK) goto done;
        cj = cJSON_ParseWithLength((const char *)cbuf, clen);
        if (!cJSON_IsObject(cj)) {
            cli_err("%s: case metadata must be a JSON object", casef);
            cJSON_Delete(cj);
            goto done;
        }
        cJSON_Delete(cj);
    }
    for (i = 0; i < n_in; i++) {
        if (read_or_fail(inputs[i], &ibuf[i], &ilen[i]) != CLI_OK) goto done;
        rin[i].path = inputs[i];
        rin[i].role = "input";
        rin[i].data = ibuf[i];
        rin[i].len = ilen[i];
    }
    if (promptf) {
        if (read_or_fail(promptf, &pbuf, &plen) != CLI_OK) goto done;
        if (ids_from_text(res, pbuf, plen, &pids, &n_pids) != CLI_OK) goto done;
        if (!pids) {
            cli_err("%s: a prompt needs a result with a tokenizer (text input)", promptf);
            goto done;
        }
    }
    if (cli_load_key(sign, pass, &signer) != CLI_OK) goto done;
    if (hm_key_kind(signer) != HM_KEY_SIGNING) {
        cli_err("%s: not a signing key (make one with `hallmark key new-signing`)", sign);
        goto done;
    }
    if (wkey) {
        char kid[HM_KEY_ID_BUFSIZE];
        const cJSON *rk = cJSON_GetObjectItemCaseSensitive(res, "key_id");
        if (cli_load_key(wkey, pass, &wk) != CLI_OK) goto done;
        (void)hm_key_id(wk, kid);
        if (!cJSON_IsString(rk) || strcmp(rk->valuestring, kid) != 0) {
            cli_err("%s: key %s is not the key of the result (%s)", wkey, kid,
                    cJSON_IsString(rk) ? rk->valuestring : "none");
            goto done;
        }
    }
    /* the scored token ids: the result's own, checked against the text */
    if (ids_from_tokens(res, &ids, &n_ids) != CLI_OK) goto done;
    if (n_in > 0) {
        uint32_t *tids = NULL;
        size_t tn = 0;
        if (ids_from_text(res, ibuf[0], ilen[0], &tids, &tn) != CLI_OK) goto done;
        if (tids && ids) {
            if (tn != n_ids || memcmp(tids, ids, tn * sizeof *ids) != 0) {
                cli_err("%s: its tokens are not the tokens of the result %s", inputs[0], result);
                free(tids);
                goto done;
            }
            free(tids);
        } else if (tids) {
            ids = tids;
            n_ids = tn;
            ids_source = "input";
        }
    }
    if (ids) {
        const cJSON *nt = cJSON_GetObjectItemCaseSensitive(res, "n_tokens");
        if (cJSON_IsString(nt) && strtoull(nt->valuestring, NULL, 10) != n_ids) {
            cli_err("%s has %zu tokens but the result scored %s: give the scored text first "
                    "(with the same tokenizer, without a prompt)",
                    n_in ? inputs[0] : result, n_ids, nt->valuestring);
            goto done;
        }
    }
    memset(&meta, 0, sizeof meta);
    meta.struct_size = sizeof meta;
    meta.argv = cmdv;
    meta.argc = (size_t)argc + 1;
    meta.case_json = (const char *)cbuf;
    meta.case_len = clen;
    if (promptf) {
        rin[n_in].path = promptf;
        rin[n_in].role = "prompt";
        rin[n_in].data = pbuf;
        rin[n_in].len = plen;
    }
    meta.inputs = rin;
    meta.n_inputs = n_in + (promptf ? 1 : 0);
    meta.prompt = pids;
    meta.n_prompt = n_pids;
    meta.signer = signer;
    meta.watermark_key = wk;
    meta.ids = ids;
    meta.n_ids = n_ids;
    meta.ids_source = ids_source;
    if (wk && n_in > 0 && strcmp(ids_source, "input") == 0) {
        evidence = token_evidence(res, wk, ibuf[0], ilen[0], pids, n_pids);
        meta.token_evidence = evidence;
        meta.token_evidence_len = evidence ? strlen(evidence) : 0;
    }
    {
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (sde && *sde) meta.created = strtoull(sde, NULL, 10);
    }
    s = hm_report_build((const char *)rbuf, rlen, &meta, &rep, &replen);
    if (s != HM_OK) {
        cli_fail(s, "building the report");
        goto done;
    }
    s = hm_report_sign(signer, (const uint8_t *)rep, replen, &sig, &siglen);
    if (s != HM_OK) {
        cli_fail(s, "signing the report");
        goto done;
    }
    s = hm_report_html(rep, replen, n_in ? ibuf[0] : NULL, n_in ? ilen[0] : 0, &html, &htmllen);
    if (s != HM_OK) {
        cli_fail(s, "rendering report.html");
        goto done;
    }
    {
        /* never replace evidence by accident; with --force, also drop the
         * old report's timestamp files, which would not match the new one */
        static const char *const old[] = {"report.json", "report.tsq", "report.tsr"};
        struct stat st;
        char *pj = join(outdir, "report.json");
        int exists = pj && stat(pj, &st) == 0;
        free(pj);
        if (exists && !force) {
            cli_err("%s already holds a report (use --force to replace it)", outdir);
            goto done;
        }
        for (i = 0; exists && i < sizeof old / sizeof old[0]; i++) {
            char *pth = join(outdir, old[i]);
            if (pth) (void)unlink(pth);
            free(pth);
        }
    }
    if (mkdir_p(outdir) != CLI_OK) goto done;
    if (write_out(outdir, "report.json", rep, replen) != CLI_OK ||
        write_out(outdir, "report.json.sig", sig, siglen) != CLI_OK ||
        write_out(outdir, "report.html", html, htmllen) != CLI_OK)
        goto done;
    {
        char kid[HM_KEY_ID_BUFSIZE];
        (void)hm_key_id(signer, kid);
        cli_err("wrote %s/report.json, report.json.sig (signed by %s) and report.html", outdir,
                kid);
        if (!evidence && cJSON_GetObjectItemCaseSensitive(res, "scheme") &&
            cJSON_GetObjectItemCaseSensitive(res, "n_scored") &&
            !cJSON_GetObjectItemCaseSensitive(res, "tokens") &&
            !cJSON_GetObjectItemCaseSensitive(res, "type"))
            cli_err("note: the result has no per-token data, so report.html cannot highlight "
                    "the text token by token; run `hallmark detect --json --per-token`, or "
                    "give the watermark key with --key");
    }
    rc = CLI_OK;
done:
    free(cmdv);
    free(evidence);
    free(rbuf);
    free(cbuf);
    for (i = 0; i < n_in; i++) free(ibuf[i]);
    free(ids);
    free(pbuf);
    free(pids);
    hm_report_buffer_free(rep);
    hm_report_buffer_free(sig);
    hm_report_buffer_free(html);
    hm_key_free(signer);
    hm_key_free(wk);
    cJSON_Delete(res);
    return rc;
}

/* ---- hallmark report verify ------------------------------------------------ */

static int report_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pubkey", required_argument, 0, 'p'}, {"input", required_argument, 0, 'i'},
        {"key", required_argument, 0, 'k'},    {"tsr", required_argument, 0, 't'},
        {"ca-cert", required_argument, 0, 'C'}, {"passphrase-file", required_argument, 0, 'x'},
        {"vllm-key", required_argument, 0, 'V'}, {"sglang-key", required_argument, 0, 'G'},
        {"synthid-keys", required_argument, 0, 'S'}, {"param", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    struct cli_rerun_secrets sec;
    const char *params[MAX_KEYS];
    const char *dir = NULL, *pubf = NULL, *tsrf = NULL, *caf = NULL, *pass = NULL;
    const char *inputs[MAX_INPUTS], *keyf[MAX_KEYS], *vpath[MAX_INPUTS];
    size_t n_in = 0, n_keys = 0, i, replen = 0, siglen = 0, n_ids = 0, failures = 0, n_vpath = 0;
    unsigned char *rep = NULL, *sig = NULL, *text = NULL, *ptext = NULL;
    size_t text_len = 0, ptext_len = 0, n_pids = 0;
    uint32_t *pids = NULL;
    int have_prompt = 0;
    hm_key *pub = NULL, *keys[MAX_KEYS] = {0};
    cJSON *rj = NULL;
    uint32_t *ids = NULL;
    char *rp = NULL, *sp = NULL, *log = NULL;
    int c, rc = CLI_ERROR, s, have_text = 0;
    memset(&sec, 0, sizeof sec);
    sec.params = params;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': pubf = optarg; break;
        case 'V': sec.vllm_key = optarg; break;
        case 'G': sec.sglang_key = optarg; break;
        case 'S': sec.synthid_keys = optarg; break;
        case 'P':
            if (sec.n_params == MAX_KEYS || !strchr(optarg, '='))
                return cli_usage_error("report", "--param takes NAME=VALUE");
            params[sec.n_params++] = optarg;
            break;
        case 't': tsrf = optarg; break;
        case 'C': caf = optarg; break;
        case 'x': pass = optarg; break;
        case 'i':
            if (n_in == MAX_INPUTS) return cli_usage_error("report", "too many --input");
            inputs[n_in++] = optarg;
            break;
        case 'k':
            if (n_keys == MAX_KEYS) return cli_usage_error("report", "too many --key");
            keyf[n_keys++] = optarg;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("report", "invalid option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("report", "verify takes one directory");
    dir = argv[optind];
    if (!pubf) return cli_usage_error("report", "verify needs --pubkey PUB");
    rp = join(dir, "report.json");
    sp = join(dir, "report.json.sig");
    if (!rp || !sp) {
        cli_fail(HM_E_NOMEM, "verify");
        goto done;
    }
    if (read_or_fail(rp, &rep, &replen) != CLI_OK || read_or_fail(sp, &sig, &siglen) != CLI_OK)
        goto done;
    if (cli_load_key(pubf, pass, &pub) != CLI_OK) goto done;
    if (hm_key_kind(pub) != HM_KEY_PUBLIC && hm_key_kind(pub) != HM_KEY_SIGNING) {
        cli_err("%s: not a public key", pubf);
        goto done;
    }
    /* 1. the signature over the exact bytes */
    s = hm_report_verify_signature(pub, rep, replen, (const char *)sig, siglen);
    if (s == HM_E_FORMAT) {
        printf("signature: FAILED (%s is not a Hallmark signature file)\n", sp);
        failures++;
    } else if (s != HM_OK) {
        printf("signature: FAILED (report.json or its signature was changed, or another key "
               "signed it)\n");
        failures++;
    } else {
        char kid[HM_KEY_ID_BUFSIZE];
        (void)hm_key_id(pub, kid);
        printf("signature: ok (Ed25519, signer %s)\n", kid);
    }
    rj = cJSON_ParseWithLength((const char *)rep, replen);
    if (!cJSON_IsObject(rj)) {
        printf("report.json: FAILED (not JSON)\n");
        rc = CLI_NOT_DETECTED;
        goto done;
    }
    /* 2. every input's hash */
    {
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rj, "inputs"), *in;
        size_t k = 0;
        cJSON_ArrayForEach(in, ins)
        {
            const cJSON *pth = cJSON_GetObjectItemCaseSensitive(in, "path");
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(in, "sha256");
            const char *path = k < n_in ? inputs[k] : (cJSON_IsString(pth) ? pth->valuestring : "");
            unsigned char *b = NULL;
            if (n_vpath < MAX_INPUTS) vpath[n_vpath++] = path;
            size_t bl = 0;
            char hex[65];
            if (cli_read_file(path, &b, &bl) != HM_OK) {
                printf("input %zu (%s): FAILED (cannot read %s; give it with --input)\n", k + 1,
                       cJSON_IsString(pth) ? pth->valuestring : "?", path);
                failures++;
            } else if (hm_report_sha256_hex(b, bl, hex) != HM_OK || !cJSON_IsString(h) ||
                       strcmp(hex, h->valuestring) != 0) {
                printf("input %zu (%s): FAILED (SHA-256 %s, recorded %s)\n", k + 1, path, hex,
                       cJSON_IsString(h) ? h->valuestring : "none");
                failures++;
            } else {
                const cJSON *role = cJSON_GetObjectItemCaseSensitive(in, "role");
                printf("input %zu (%s): ok (SHA-256 %s)\n", k + 1, path, hex);
                if (cJSON_IsString(role) && strcmp(role->valuestring, "prompt") == 0 &&
                    !have_prompt) {
                    ptext = b;
                    ptext_len = bl;
                    have_prompt = 1;
                    b = NULL;
                } else if (k == 0) {
                    text = b;
                    text_len = bl;
                    have_text = 1;
                    b = NULL;
                }
            }
            free(b);
            k++;
        }
        if (n_in > k) {
            printf("inputs: FAILED (%zu --input files given, the report records %zu)\n", n_in, k);
            failures++;
        }
    }
    /* 3. report.html renders report.json */
    {
        char *hp = join(dir, "report.html"), *html = NULL;
        unsigned char *hb = NULL;
        size_t hl = 0, gl = 0;
        if (hp && cli_read_file(hp, &hb, &hl) == HM_OK) {
            const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rj, "inputs");
            int need_text = cJSON_GetArraySize(ins) > 0;
            if (need_text && !have_text) {
                printf("report.html: not checked (the scored text is not available)\n");
            } else if (hm_report_html((const char *)rep, replen, have_text ? text : NULL,
                                      have_text ? text_len : 0, &html, &gl) == HM_OK &&
                       gl == hl && memcmp(html, hb, hl) == 0) {
                printf("report.html: ok (renders report.json exactly)\n");
            } else {
                printf("report.html: FAILED (it is not the rendering of report.json)\n");
                failures++;
            }
        } else {
            printf("report.html: FAILED (missing)\n");
            failures++;
        }
        hm_report_buffer_free(html);
        free(hb);
        free(hp);
    }
    /* 4. the timestamp */
    {
        char *deftsr = join(dir, "report.tsr"), *tsq = join(dir, "report.tsq");
        const char *tp = tsrf ? tsrf : deftsr;
        unsigned char *tb = NULL, *qb = NULL, *cb = NULL;
        size_t tl = 0, ql = 0, cl = 0;
        struct stat st;
        int have_tsr = tp && stat(tp, &st) == 0;
        if (!have_tsr && (tsrf || caf)) {
            printf("timestamp: FAILED (no response %s)\n", tp ? tp : "");
            failures++;
        } else if (have_tsr && !caf) {
            printf("timestamp: not checked (a response is present: give --ca-cert)\n");
        } else if (have_tsr) {
            char gt[64];
            if (cli_read_file(tp, &tb, &tl) != HM_OK || cli_read_file(caf, &cb, &cl) != HM_OK) {
                printf("timestamp: FAILED (cannot read %s or %s)\n", tp, caf);
                failures++;
            } else {
                int hq = tsq && cli_read_file(tsq, &qb, &ql) == HM_OK;
                s = hm_report_ts_verify(tb, tl, hq ? qb : NULL, hq ? ql : 0, rep, replen, cb, cl,
                                        gt, sizeof gt);
                if (s == HM_OK) {
                    printf("timestamp: ok (RFC 3161, genTime %s%s)\n", gt,
                           hq ? ", nonce of report.tsq" : "");
                } else {
                    printf("timestamp: FAILED (%s)\n",
                           s == HM_E_FORMAT ? "not a timestamp response or certificate"
                                            : "does not verify for report.json and this CA");
                    failures++;
                }
            }
        }
        free(tb);
        free(qb);
        free(cb);
        free(deftsr);
        free(tsq);
    }
    /* 5. recompute: detect results from their token ids in the library, and
     * every result by rerunning its recorded command (cli/rerun.c) */
    {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(rj, "result");
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(rj, "token_ids");
        const char *rtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rj, "result_type"));
        const char *src = cJSON_IsObject(tid) ? cJSON_GetStringValue(
                                                    cJSON_GetObjectItemCaseSensitive(tid, "source"))
                                              : NULL;
        int is_detect = rtype && strcmp(rtype, "detect") == 0;
        int has_argv = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(res, "argv"));
        size_t n_diff = 0, checks = 0, fails_before = failures;
        for (i = 0; i < n_keys; i++)
            if (cli_load_key(keyf[i], pass, &keys[i]) != CLI_OK) goto done;
        /* each key given must be one the result names */
        for (i = 0; i < n_keys; i++) {
            char kid[HM_KEY_ID_BUFSIZE];
            const cJSON *ks = cJSON_GetObjectItemCaseSensitive(res, "keys"), *k;
            const char *rk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "key_id"));
            const char *mk =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "master_key_id"));
            int known = 0;
            (void)hm_key_id(keys[i], kid);
            known = (rk && strcmp(rk, kid) == 0) || (mk && strcmp(mk, kid) == 0);
            cJSON_ArrayForEach(k, ks)
            {
                const char *x = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "key_id"));
                known |= x && strcmp(x, kid) == 0;
            }
            if (!known) {
                printf("key %s: FAILED (its id %s is not a key id of this result%s%s)\n",
                       keyf[i], kid, rk || mk ? ", which names " : "", rk ? rk : mk ? mk : "");
                failures++;
            }
        }
        if (is_detect) {
            int bad_ids = 0;
            if (src && strcmp(src, "tokens") == 0) {
                if (ids_from_tokens(res, &ids, &n_ids) != CLI_OK) bad_ids = 1;
            } else if (src && have_text) {
                if (ids_from_text(res, text, text_len, &ids, &n_ids) != CLI_OK) bad_ids = 1;
            }
            if (!bad_ids && have_prompt &&
                ids_from_text(res, ptext, ptext_len, &pids, &n_pids) != CLI_OK)
                bad_ids = 1;
            if (bad_ids) {
                printf("recomputation: FAILED (the token ids cannot be recovered; see above)\n");
                failures++;
            } else if (!src) {
                printf("recomputation from token ids: not possible (no token ids recorded)\n");
                if (n_keys && !has_argv) failures++;
            } else if (!ids) {
                printf("recomputation: FAILED (the scored text is not available)\n");
                failures++;
            } else {
                size_t d = 0;
                s = hm_report_recompute((const char *)rep, replen, (const hm_key *const *)keys,
                                        n_keys, ids, n_ids, pids, n_pids, &log, &d);
                if (s != HM_OK) {
                    printf("recomputation: FAILED (%s)\n", hm_strerror(s));
                    failures++;
                } else {
                    char *line = log, *nl;
                    printf("recomputation from the token ids:\n");
                    while (line && *line) {
                        nl = strchr(line, '\n');
                        if (nl) *nl = 0;
                        printf("  %s\n", line);
                        if (!nl) break;
                        line = nl + 1;
                    }
                    n_diff += d;
                    checks++;
                }
            }
        }
        int secrets = n_keys || sec.vllm_key || sec.sglang_key || sec.synthid_keys ||
                      sec.n_params;
        if (has_argv) {
            size_t d = 0;
            int r;
            sec.keyf = keyf;
            sec.n_keys = n_keys;
            sec.pass = pass;
            printf("recomputation by rerunning the recorded command:\n");
            r = cli_report_rerun(rj, vpath, n_vpath, &sec, &d);
            if (r == CLI_OK) {
                n_diff += d;
                checks++;
            } else if (r == CLI_ERROR || secrets) {
                failures++;
            }
        } else if (secrets) {
            printf("recomputation by rerun: not possible (the result records no argv)\n");
            if (!is_detect) failures++;
        }
        if (n_diff) {
            printf("DIFFERENCES: %zu recomputed value%s from the report\n", n_diff,
                   n_diff == 1 ? " differs" : "s differ");
            failures++;
        } else if (secrets && checks && failures == fails_before) {
            printf("REPRODUCED\n");
        } else if (!secrets && checks) {
            printf("negative controls reproduced; give --key to rerun the tests\n");
        }
    }
    if (failures)
        printf("VERIFICATION FAILED: %zu check%s failed\n", failures, failures == 1 ? "" : "s");
    else
        printf("VERIFIED\n");
    rc = failures ? CLI_NOT_DETECTED : CLI_OK;
done:
    free(rp);
    free(sp);
    free(rep);
    free(sig);
    free(text);
    free(ptext);
    free(pids);
    free(ids);
    hm_report_buffer_free(log);
    hm_key_free(pub);
    for (i = 0; i < n_keys; i++) hm_key_free(keys[i]);
    cJSON_Delete(rj);
    return rc;
}

/* ---- hallmark report timestamp ----------------------------------------------- */

static int report_timestamp(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    char *rp = NULL, *def = NULL;
    unsigned char *rep = NULL;
    uint8_t *q = NULL;
    size_t rl = 0, ql = 0;
    int c, rc = CLI_ERROR, s;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("report", "invalid option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("report", "timestamp takes one directory");
    rp = join(argv[optind], "report.json");
    def = join(argv[optind], "report.tsq");
    if (!rp || !def) {
        cli_fail(HM_E_NOMEM, "timestamp");
        goto done;
    }
    if (read_or_fail(rp, &rep, &rl) != CLI_OK) goto done;
    s = hm_report_ts_query(rep, rl, &q, &ql);
    if (s != HM_OK) {
        cli_fail(s, "timestamp query");
        goto done;
    }
    if (cli_write_file(out ? out : def, q, ql, 0644) != HM_OK) {
        cli_err("%s: cannot write", out ? out : def);
        goto done;
    }
    cli_err("wrote the RFC 3161 query %s (SHA-256 of report.json); send it to a timestamp "
            "authority, e.g. curl -H 'Content-Type: application/timestamp-query' "
            "--data-binary @%s URL > %s/report.tsr",
            out ? out : def, out ? out : def, argv[optind]);
    rc = CLI_OK;
done:
    free(rp);
    free(def);
    free(rep);
    hm_report_buffer_free(q);
    return rc;
}

int cli_report(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) return report_verify(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "timestamp") == 0)
        return report_timestamp(argc - 1, argv + 1);
    return report_build(argc, argv);
}
