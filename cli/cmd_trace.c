/*
 * cmd_trace.c - `hallmark trace`: which account leaked a text.  Tests the
 * derived key of every account in a list over a suspect JSON-lines file,
 * Holm-corrects over the accounts and says whether exactly one account or
 * several fired.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hallmark/detect.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "hallmark/tokenizer.h"
#include "hallmark/trace.h"

#define MAX_PARAMS 32

struct topts {
    const char *master, *accounts, *scheme, *tokenizer, *passfile, *field, *input;
    const char *params[MAX_PARAMS];
    size_t np;
    unsigned long long epoch;
    double alpha;
    unsigned threads;
    int json, dedup, text, top, no_canonical;
    char tokenizer_sha256[65]; /* "" when no text was tokenized */
};

/* The suspect documents as one id array. */
struct docs {
    uint32_t *ids;
    size_t n, cap;
    size_t *lens;
    size_t nd, capd;
    unsigned long long lines, empty, malformed; /* every input line, accounted */
    struct cli_canon canon; /* texts are tokenized from their canonical text */
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark trace --master FILE --accounts ACCOUNTS.txt [--scheme S]\n"
"                      [--param k=v ...] [--epoch N] [--alpha A] [--json] SUSPECT.jsonl\n"
"\n"
"Which account leaked it: tests the key derived for every account (as\n"
"'hallmark key derive --tenant ACCOUNT --epoch N' derives it) over the suspect\n"
"documents, with exact per-account p-values Holm-adjusted over the accounts,\n"
"and says whether exactly one account fired or several did.\n"
"Exit status: 0 some account fired at --alpha, 1 none fired, 2 error.\n"
"\n"
"  --master FILE       the master key the account keys were derived from\n"
"  --passphrase-file F passphrase of an encrypted key file (or $HALLMARK_PASSPHRASE)\n"
"  --accounts FILE     one account name per line (blank lines and lines\n"
"                      starting with '#' are ignored)\n"
"  --epoch N           the derivation epoch (default 0)\n"
"  --scheme S          kgw (default), unigram, gumbel\n"
"  --param k=v         scheme parameter as used for generation; repeatable\n"
"  --dedup P           tuple (default), context or none\n"
"  --alpha A           family-wise level over the accounts (default 1e-6)\n"
"  --threads N         worker threads (default 2)\n"
"Input (SUSPECT.jsonl, or - for standard input):\n"
"  one JSON object per line; --field NAME (default \"text\") holds the text, or\n"
"  an array of token ids.  The documents are scored together: contexts never\n"
"  cross documents, and each (context, token) pair counts once overall.\n"
"  --text              the input is one plain-text document instead\n"
"  --tokenizer T       cl100k_base (default), o200k_base, ... or a path\n"
"Output:\n"
"  --top N             also list the N most significant accounts (default 5)\n"
"  --json              one JSON object (verdict, fired, top, n_scored, ...)\n"
"  --no-canonical      tokenize texts as given (default: their canonical text,\n"
"                      docs/canonical.md; the result says what changed)\n");
}

static int docs_add(struct docs *d, const uint32_t *ids, size_t n)
{
    if (d->nd == d->capd) {
        size_t nc = d->capd ? 2 * d->capd : 16;
        size_t *l = realloc(d->lens, nc * sizeof *l);
        if (!l) return HM_E_NOMEM;
        d->lens = l;
        d->capd = nc;
    }
    if (d->n + n > d->cap) {
        size_t nc = d->cap ? d->cap : 1024;
        uint32_t *x;
        while (nc < d->n + n) nc *= 2;
        x = realloc(d->ids, nc * sizeof *x);
        if (!x) return HM_E_NOMEM;
        d->ids = x;
        d->cap = nc;
    }
    if (n) memcpy(d->ids + d->n, ids, n * sizeof *ids);
    d->n += n;
    d->lens[d->nd++] = n;
    return HM_OK;
}

/* The tokenizer, opened on first use (id arrays need none). */
struct lazy_tok {
    const char *name;
    hm_tokenizer *tok;
    hm_tok_scratch *sc;
};

static int add_text(struct docs *d, struct lazy_tok *lt, hm_tok_output *o, const char *text,
                    size_t len, const char *what)
{
    int s;
    if (!lt->tok) {
        if (cli_open_tokenizer(lt->name, NULL, &lt->tok) != CLI_OK) return CLI_ERROR;
        if (hm_tok_scratch_new(&lt->sc) != HM_OK) return cli_fail(HM_E_NOMEM, "tokenizer");
    }
    o->len = 0;
    s = cli_canon_encode(&d->canon, lt->tok, lt->sc, text, len, 0, o);
    if (s != HM_OK) return cli_fail(s, what);
    s = docs_add(d, o->ids, o->len);
    if (s != HM_OK) return cli_fail(s, what);
    return CLI_OK;
}

/* Reads SUSPECT.jsonl: each line an object whose field is a string or an
 * array of non-negative integer ids.  A malformed record is named and
 * skipped (and counted); only a failure to read stops. */
static int read_jsonl(const struct topts *o, const unsigned char *buf, size_t len,
                      struct lazy_tok *lt, struct docs *d)
{
    size_t pos = 0;
    unsigned long long line = 0;
    hm_tok_output out;
    int rc = CLI_OK;
    hm_tok_output_init(&out);
    while (pos < len && rc == CLI_OK) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
        cJSON *j, *f;
        char what[96];
        line++;
        snprintf(what, sizeof what, "%s: line %llu", o->input, line);
        d->lines = line;
        if (l == 0 || (l == 1 && buf[pos] == '\r')) {
            pos = end + 1;
            d->empty++;
            continue;
        }
        j = cJSON_ParseWithLength((const char *)buf + pos, l);
        pos = end + 1;
        f = j ? cJSON_GetObjectItem(j, o->field) : NULL;
        if (!j || !cJSON_IsObject(j)) {
            cli_err("%s: malformed JSON (expected one object per line): skipped", what);
            d->malformed++;
        } else if (cJSON_IsString(f)) {
            if (!cli_utf8_valid((const unsigned char *)f->valuestring, strlen(f->valuestring), NULL)) {
                cli_err("%s: \"%s\" is not valid UTF-8: skipped", what, o->field);
                d->malformed++;
            } else {
                rc = add_text(d, lt, &out, f->valuestring, strlen(f->valuestring), what);
            }
        } else if (cJSON_IsArray(f)) {
            int n = cJSON_GetArraySize(f), i = 0;
            uint32_t *ids = malloc(((size_t)n + 1) * sizeof *ids);
            cJSON *e;
            if (!ids) rc = cli_fail(HM_E_NOMEM, what);
            cJSON_ArrayForEach(e, f)
            {
                if (rc != CLI_OK) break;
                if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 4294967295.0 ||
                    e->valuedouble != floor(e->valuedouble)) {
                    cli_err("%s: \"%s\" holds something other than token ids (item %d): "
                            "skipped",
                            what, o->field, i);
                    i = -1;
                    break;
                }
                ids[i++] = (uint32_t)e->valuedouble;
            }
            if (i < 0)
                d->malformed++;
            else if (rc == CLI_OK && docs_add(d, ids, (size_t)i) != HM_OK)
                rc = cli_fail(HM_E_NOMEM, what);
            free(ids);
        } else {
            cli_err("%s: no field \"%s\" holding text or token ids: skipped", what, o->field);
            d->malformed++;
        }
        cJSON_Delete(j);
    }
    hm_tok_output_clear(&out);
    return rc;
}

static int add_account(void *user, const char *name, size_t len)
{
    return hm_trace_add_account(user, name, len);
}

/* Reads the account list into the tracer.  Messages name the line. */
static int read_accounts(const char *path, hm_trace *t)
{
    return cli_account_lines(path, add_account, t);
}

static cJSON *account_json(const hm_trace_account *r)
{
    cJSON *a = cJSON_CreateObject();
    char n[32];
    cJSON_AddStringToObject(a, "account", r->account);
    snprintf(n, sizeof n, "%llu", (unsigned long long)r->n_scored);
    cJSON_AddStringToObject(a, "n_scored", n); /* this account's decisions (selfhash: key-dependent) */
    cJSON_AddNumberToObject(a, "score", r->score);
    cli_json_p(a, "p", r->ln_p);
    cJSON_AddNumberToObject(a, "log10_p", hm_stats_log10_p(r->ln_p));
    cli_json_p(a, "p_holm", r->ln_p_holm);
    cJSON_AddNumberToObject(a, "log10_p_holm", hm_stats_log10_p(r->ln_p_holm));
    cJSON_AddBoolToObject(a, "fired", r->fired);
    return a;
}

static void add_u64(cJSON *o, const char *name, unsigned long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", v);
    cJSON_AddStringToObject(o, name, b);
}

static int cmp_lnp(const void *x, const void *y)
{
    const hm_trace_account *a = x, *b = y;
    return (a->ln_p > b->ln_p) - (a->ln_p < b->ln_p);
}

#define TRACE_DEDUP_OFF_WARNING                                                               \
    "deduplication is off: repeated (context, token) pairs are counted again, so on "         \
    "repetitive text these p-values are too small (not valid p-values); do not use them as "  \
    "evidence"

static int report(const struct topts *o, hm_trace *t, const struct docs *d, int verdict,
                  const char *key_id, double secs)
{
    size_t n = hm_trace_count(t), i, nf = 0, ntop;
    hm_trace_account *all = malloc(n * sizeof *all);
    static const char *vname[] = {"none", "one", "several"};
    if (!all) return cli_fail(HM_E_NOMEM, "trace");
    if (hm_trace_dedup(t) == HM_DEDUP_NONE) cli_err("warning: %s", TRACE_DEDUP_OFF_WARNING);
    for (i = 0; i < n; i++) {
        if (hm_trace_result(t, i, &all[i]) != HM_OK) {
            free(all);
            return cli_fail(HM_E_INTERNAL, "trace");
        }
        nf += (size_t)all[i].fired;
    }
    qsort(all, n, sizeof *all, cmp_lnp);
    ntop = (size_t)o->top < n ? (size_t)o->top : n;
    if (o->json) {
        cJSON *j = cJSON_CreateObject(), *fired = cJSON_CreateArray(), *top = cJSON_CreateArray();
        cJSON *pj = cJSON_CreateObject();
        size_t k;
        cJSON_AddStringToObject(j, "type", "trace");
        cJSON_AddStringToObject(j, "scheme", o->scheme);
        /* the parameters given (the scheme's defaults for the others) */
        for (k = 0; k < o->np; k++) {
            const char *eq = strchr(o->params[k], '=');
            char name[64];
            if (!eq || (size_t)(eq - o->params[k]) >= sizeof name) continue;
            snprintf(name, sizeof name, "%.*s", (int)(eq - o->params[k]), o->params[k]);
            cli_json_add_param(pj, name, eq + 1);
        }
        cJSON_AddItemToObject(j, "params", pj);
        cJSON_AddStringToObject(j, "master_key_id", key_id);
        /* how the input was read (what `report verify` needs to recompute) */
        if (o->tokenizer_sha256[0]) {
            cJSON_AddStringToObject(j, "tokenizer", o->tokenizer);
            cJSON_AddStringToObject(j, "tokenizer_sha256", o->tokenizer_sha256);
        }
        cJSON_AddBoolToObject(j, "text_input", o->text != 0);
        if (!o->text) cJSON_AddStringToObject(j, "field", o->field);
        add_u64(j, "n_top", (unsigned long long)o->top);
        add_u64(j, "epoch", o->epoch);
        add_u64(j, "n_accounts", n);
        add_u64(j, "n_documents", d->nd);
        add_u64(j, "lines", d->lines);
        add_u64(j, "empty", d->empty);
        add_u64(j, "malformed", d->malformed);
        add_u64(j, "n_tokens", hm_trace_n_tokens(t));
        add_u64(j, "n_scored", hm_trace_n_scored(t));
        cJSON_AddStringToObject(j, "test", hm_trace_test_name(t));
        cJSON_AddStringToObject(j, "dedup", hm_dedup_name(hm_trace_dedup(t)));
        if (hm_trace_dedup(t) == HM_DEDUP_NONE)
            cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "warnings"),
                                 cJSON_CreateString(TRACE_DEDUP_OFF_WARNING));
        cJSON_AddStringToObject(j, "correction", "holm");
        cJSON_AddNumberToObject(j, "alpha", o->alpha);
        cJSON_AddStringToObject(j, "verdict", vname[verdict]);
        cJSON_AddBoolToObject(j, "exactly_one", verdict == HM_TRACE_ONE);
        add_u64(j, "n_fired", nf);
        for (i = 0; i < n && all[i].fired; i++) cJSON_AddItemToArray(fired, account_json(&all[i]));
        for (i = 0; i < ntop; i++) cJSON_AddItemToArray(top, account_json(&all[i]));
        cJSON_AddItemToObject(j, "fired", fired);
        cJSON_AddItemToObject(j, "top", top);
        cJSON_AddItemToObject(j, "canonical", cli_canon_json(&d->canon));
        cJSON_AddNumberToObject(j, "seconds", secs);
        cli_json_add_argv(j);
        cli_print_json(j, 0);
        cJSON_Delete(j);
    } else {
        cli_canon_print(&d->canon);
        printf("trace: %zu accounts, %zu documents, %llu tokens, %llu scored (%s, dedup %s), "
               "alpha %g (Holm over accounts)\n",
               n, d->nd, (unsigned long long)hm_trace_n_tokens(t),
               (unsigned long long)hm_trace_n_scored(t), o->scheme,
               hm_dedup_name(hm_trace_dedup(t)), o->alpha);
        if (d->malformed || d->empty)
            printf("input: %llu lines, %zu documents, %llu empty, %llu malformed (skipped)\n",
                   d->lines, d->nd, d->empty, d->malformed);
        if (verdict == HM_TRACE_ONE)
            printf("verdict: exactly one account fired\n");
        else if (verdict == HM_TRACE_SEVERAL)
            printf("verdict: %zu accounts fired (several)\n", nf);
        else
            printf("verdict: no account fired\n");
        for (i = 0; i < n && (all[i].fired || i < ntop); i++) {
            char p[64], ph[64];
            hm_stats_format_p(all[i].ln_p, p, sizeof p);
            hm_stats_format_p(all[i].ln_p_holm, ph, sizeof ph);
            printf("  %s %-24s p = %-12s Holm p = %-12s score %.6g\n",
                   all[i].fired ? "FIRED" : "     ", all[i].account, p, ph, all[i].score);
        }
    }
    free(all);
    return nf ? CLI_OK : CLI_NOT_DETECTED;
}

int cli_trace(int argc, char **argv)
{
    static const struct option lo[] = {
        {"master", required_argument, 0, 'm'},   {"accounts", required_argument, 0, 'a'},
        {"scheme", required_argument, 0, 's'},   {"param", required_argument, 0, 'p'},
        {"epoch", required_argument, 0, 'e'},    {"alpha", required_argument, 0, 'A'},
        {"threads", required_argument, 0, 'T'},  {"dedup", required_argument, 0, 'd'},
        {"tokenizer", required_argument, 0, 't'}, {"field", required_argument, 0, 'f'},
        {"text", no_argument, 0, 'x'},           {"top", required_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},           {"passphrase-file", required_argument, 0, 'P'},
        {"no-canonical", no_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    struct topts o;
    struct docs d;
    hm_key *master = NULL;
    hm_trace *t = NULL;
    struct lazy_tok lt = {NULL, NULL, NULL};
    unsigned char *buf = NULL;
    size_t len = 0;
    char key_id[64] = "";
    int c, rc = CLI_ERROR, s, bad = -1, verdict = 0;
    double t0;
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    o.scheme = "kgw";
    o.tokenizer = "cl100k_base";
    o.field = "text";
    o.alpha = 1e-6;
    o.threads = 2;
    o.top = 5;
    o.dedup = HM_DEDUP_DEFAULT;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': o.master = optarg; break;
        case 'a': o.accounts = optarg; break;
        case 's': o.scheme = optarg; break;
        case 'p':
            if (o.np == MAX_PARAMS) return cli_usage_error("trace", "too many --param");
            o.params[o.np++] = optarg;
            break;
        case 'e':
            if (cli_parse_epoch("trace", optarg, &o.epoch) != CLI_OK) return CLI_ERROR;
            break;
        case 'A':
            errno = 0;
            o.alpha = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o.alpha > 0 && o.alpha < 1))
                return cli_usage_error("trace", "--alpha needs a number in (0, 1)");
            break;
        case 'T': {
            long v;
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > 64)
                return cli_usage_error("trace", "--threads needs an integer in 1..64");
            o.threads = (unsigned)v;
            break;
        }
        case 'n': {
            long v;
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 0 || v > 1000000)
                return cli_usage_error("trace", "--top needs an integer in 0..1000000");
            o.top = (int)v;
            break;
        }
        case 'd':
            o.dedup = hm_dedup_parse(optarg);
            if (o.dedup < 0) return cli_usage_error("trace", "--dedup: tuple, context or none");
            break;
        case 't': o.tokenizer = optarg; break;
        case 'f': o.field = optarg; break;
        case 'x': o.text = 1; break;
        case 'j': o.json = 1; break;
        case 'C': o.no_canonical = 1; break;
        case 'P': o.passfile = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        case ':': return cli_usage_error("trace", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("trace", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!o.master) return cli_usage_error("trace", "--master FILE is required");
    if (!o.accounts) return cli_usage_error("trace", "--accounts FILE is required");
    if (optind != argc - 1) return cli_usage_error("trace", "give one SUSPECT.jsonl file (or -)");
    o.input = argv[optind];
    if (cli_load_key(o.master, o.passfile, &master) != CLI_OK) return CLI_ERROR;
    if (hm_key_kind(master) != HM_KEY_MASTER) {
        cli_err("%s: not a master key (trace derives each account's key from the master)",
                o.master);
        goto out;
    }
    hm_key_id(master, key_id);
    s = hm_trace_new(&t, master, o.epoch, o.scheme, o.params, o.np, &bad);
    if (s == HM_E_NOTFOUND && bad >= 0) {
        cli_err("unknown parameter '%s' for scheme %s", o.params[bad], o.scheme);
        goto out;
    }
    if (s == HM_E_NOTFOUND) {
        cli_err("unknown scheme '%s' (trace supports kgw, unigram, gumbel)", o.scheme);
        goto out;
    }
    if (s == HM_E_RANGE) {
        cli_err("bad parameter value for scheme %s", o.scheme);
        goto out;
    }
    if (s == HM_E_UNSUPPORTED) {
        cli_err("scheme '%s' is not keyed by Hallmark keys: trace cannot use it", o.scheme);
        goto out;
    }
    if (s != HM_OK) {
        cli_fail(s, "trace");
        goto out;
    }
    if (hm_trace_set_threads(t, o.threads) != HM_OK || hm_trace_set_dedup(t, o.dedup) != HM_OK) {
        cli_fail(HM_E_RANGE, "trace");
        goto out;
    }
    if (read_accounts(o.accounts, t) != CLI_OK) goto out;
    s = cli_read_file(o.input, &buf, &len);
    if (s != HM_OK) {
        cli_fail(s, o.input);
        goto out;
    }
    lt.name = o.tokenizer;
    if (cli_canon_open(&d.canon, NULL, !o.no_canonical) != CLI_OK) goto out;
    if (o.text) {
        hm_tok_output to;
        int r;
        hm_tok_output_init(&to);
        r = add_text(&d, &lt, &to, (const char *)buf, len, o.input);
        hm_tok_output_clear(&to);
        if (r != CLI_OK) goto out;
    } else if (read_jsonl(&o, buf, len, &lt, &d) != CLI_OK) {
        goto out;
    }
    if (d.nd == 0) {
        cli_err("%s: no documents", o.input);
        goto out;
    }
    t0 = cli_now();
    s = hm_trace_run(t, d.ids, d.lens, d.nd, o.alpha, &verdict);
    if (s != HM_OK) {
        cli_fail(s, "trace");
        goto out;
    }
    cli_tokenizer_sha256_hex(lt.tok, o.tokenizer_sha256);
    rc = report(&o, t, &d, verdict, key_id, cli_now() - t0);
out:
    free(buf);
    free(d.ids);
    free(d.lens);
    cli_canon_close(&d.canon);
    hm_tok_scratch_free(lt.sc);
    hm_tokenizer_free(lt.tok);
    hm_trace_free(t);
    hm_key_free(master);
    return rc;
}
