/*
 * cmd_scan.c - `hallmark scan`: stream a corpus (JSON lines or plain text,
 * optionally gzip), score every document on N threads, flag documents with
 * Benjamini-Hochberg, and test the whole corpus over its unique tuples.
 * With --shard i/n it writes a partial result for `hallmark merge`.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "scan_cli.h"

#define MAX_PARAMS 32
#define ROUND_LINES_PER_THREAD 512
#define ROUND_BYTES (8u << 20)

enum { FMT_AUTO, FMT_JSONL, FMT_TEXT };
enum { L_SCANNED, L_EMPTY, L_MALFORMED };

struct sopts {
    const char *key, *passfile, *scheme, *tokenizer, *field, *id_field, *out, *tmpdir;
    const char *master, *accounts; /* every account's derived key at once */
    unsigned long long epoch;
    const char *params[MAX_PARAMS];
    size_t np;
    int format, threads, json, special, no_canonical;
    unsigned partitions;
    double fdr, alpha;
    uint32_t shard, n_shards;
    size_t max_line;
};

/* One line of a round. */
struct line {
    size_t off, len;
    unsigned long long no;
    int kind;
    char *id;          /* JSON text of the id, or NULL */
    char err[120];
    unsigned long long n_scored, n_positions;
    char log10_p[32];  /* as printed (with accounts: Bonferroni-corrected over them) */
    size_t account;    /* with accounts: the most significant one */
    char account_log10_p[32]; /* its own log10 p, as printed */
};

struct worker {
    pthread_t th;
    const struct sopts *o;
    const hm_tokenizer *tok;
    hm_tok_scratch *scratch;
    hm_tok_output ids;
    hm_scanner **scanners; /* one per key (one key, or one per account) */
    size_t n_keys;
    struct cli_canon canon;
    const unsigned char *arena;
    struct line *lines;
    size_t first, last;
    int format;
    int status;
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark scan --key FILE --scheme S [--param k=v ...] --tokenizer T\n"
"                     [--field text] [--threads N] [--fdr Q] --out RESULTS.jsonl CORPUS\n"
"       hallmark scan --master FILE --accounts ACCOUNTS.txt [--epoch N] --scheme S ...\n"
"\n"
"Scores every document of a corpus for the watermark of a key.  CORPUS is JSON\n"
"lines or plain text with one document per line, optionally gzip-compressed\n"
"(recognized by its magic bytes); \"-\" reads standard input.\n"
"\n"
"  --key FILE           a Hallmark key; --passphrase-file F for encrypted keys.\n"
"                       A master key alone does not see text served under the\n"
"                       keys derived from it: use --master with --accounts\n"
"  --master FILE --accounts ACCOUNTS.txt [--epoch N]\n"
"                       every account's derived key (one name per line, as for\n"
"                       `hallmark trace`; at most 1000) in one pass: a document's\n"
"                       p-value is its most significant account's, times the\n"
"                       number of accounts (Bonferroni), then Benjamini-Hochberg\n"
"                       over documents; each record names that account.  The\n"
"                       corpus test is run per account, Holm-adjusted\n"
"  --scheme S           kgw, unigram, gumbel, ...; --param k=v (repeatable)\n"
"  --tokenizer T        cl100k_base (default), o200k_base, qwen3, ... or a path\n"
"  --format F           auto (default: JSON lines when the first non-empty line\n"
"                       starts with '{'), jsonl or text\n"
"  --field NAME         JSON field holding the text (default \"text\")\n"
"  --id-field NAME      JSON field copied to the output as \"id\" (default \"id\")\n"
"  --threads N          worker threads (default: all cores)\n"
"  --fdr Q              Benjamini-Hochberg false-discovery rate (default 0.01)\n"
"  --alpha A            significance level of the corpus-level test (default 1e-6)\n"
"  --out FILE           results: one JSON line per scanned document (line, id,\n"
"                       n_scored, log10_p, flag), then a summary line\n"
"  --shard i/n          scan only lines with (line - 1) mod n == i and write a\n"
"                       partial result (no flags) for `hallmark merge`\n"
"  --tmpdir DIR         spill directory (default $TMPDIR or /tmp)\n"
"  --partitions N       tuple-tape partitions (default 64)\n"
"  --max-line-bytes N   longer lines are reported malformed (default 64 MiB)\n"
"  --special            recognize special tokens in text\n"
"  --no-canonical       tokenize each document as given (default: its canonical\n"
"                       text, docs/canonical.md; the summary says what changed)\n"
"  --json               print the summary as JSON on standard output\n"
"\n"
"Malformed records are reported with their line number and skipped; the summary\n"
"accounts for every input line.  Exit status: 0 when some document is flagged\n"
"or the corpus test is significant at --alpha, 1 otherwise, 2 on errors.\n");
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    size_t i;
    for (i = w->first; i < w->last; i++) {
        struct line *L = &w->lines[i];
        const unsigned char *p = w->arena + L->off;
        size_t n = L->len, k, bad;
        const char *text;
        size_t tlen;
        cJSON *root = NULL;
        hm_detect_result res;
        int st;
        for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'); k++) {}
        if (k == n) {
            L->kind = L_EMPTY;
            continue;
        }
        if (w->format == FMT_JSONL) {
            cJSON *f, *idv;
            root = cJSON_ParseWithLength((const char *)p, n);
            if (!root || !cJSON_IsObject(root)) {
                L->kind = L_MALFORMED;
                snprintf(L->err, sizeof L->err, "not a JSON object");
                cJSON_Delete(root);
                continue;
            }
            f = cJSON_GetObjectItemCaseSensitive(root, w->o->field);
            if (!cJSON_IsString(f) || !f->valuestring) {
                L->kind = L_MALFORMED;
                snprintf(L->err, sizeof L->err, "no string field \"%.60s\"", w->o->field);
                cJSON_Delete(root);
                continue;
            }
            idv = cJSON_GetObjectItemCaseSensitive(root, w->o->id_field);
            if (idv && (cJSON_IsString(idv) || cJSON_IsNumber(idv)))
                L->id = cJSON_PrintUnformatted(idv);
            text = f->valuestring;
            tlen = strlen(text);
        } else {
            text = (const char *)p;
            tlen = n;
        }
        if (!cli_utf8_valid((const unsigned char *)text, tlen, &bad)) {
            L->kind = L_MALFORMED;
            snprintf(L->err, sizeof L->err, "invalid UTF-8 at byte %zu of the text", bad);
            free(L->id);
            L->id = NULL;
            cJSON_Delete(root);
            continue;
        }
        w->ids.len = 0;
        st = cli_canon_encode(&w->canon, w->tok, w->scratch, text, tlen,
                              w->o->special ? HM_TOK_SPECIAL : 0u, &w->ids);
        cJSON_Delete(root);
        {
            size_t a;
            double best = 1;
            memset(&res, 0, sizeof res);
            for (a = 0; a < w->n_keys && st == HM_OK; a++) {
                hm_detect_result ra;
                st = hm_scanner_doc(w->scanners[a], w->ids.ids, w->ids.len, &ra);
                if (st == HM_OK && (a == 0 || ra.log10_p < best)) {
                    best = ra.log10_p;
                    res = ra;
                    L->account = a;
                }
            }
        }
        if (st != HM_OK) {
            w->status = st;
            return NULL;
        }
        L->kind = L_SCANNED;
        L->n_scored = res.n_scored;
        L->n_positions = res.n_scored + res.n_duplicate;
        if (w->n_keys > 1) {
            /* Bonferroni over the accounts: min p x m is a valid p-value for
             * "some account's key marked this document" */
            double c = res.log10_p + log10((double)w->n_keys);
            snprintf(L->account_log10_p, sizeof L->account_log10_p, "%.10g",
                     res.log10_p == 0 ? 0.0 : res.log10_p);
            snprintf(L->log10_p, sizeof L->log10_p, "%.10g", c >= 0 ? 0.0 : c);
        } else {
            snprintf(L->log10_p, sizeof L->log10_p, "%.10g", res.log10_p == 0 ? 0.0 : res.log10_p);
        }
    }
    return NULL;
}

/* Everything the main loop keeps. */
struct scan_state {
    struct sopts *o;
    FILE *recs;          /* records: temp (single run) or the partial output */
    hm_bh *bh;
    hm_tape *tape;       /* = tapes[0] */
    hm_tape **tapes;     /* one per key */
    char **names_json;   /* with accounts: each account's name as a JSON string */
    struct scan_summary sum;
};

static int write_record(struct scan_state *S, const struct line *L)
{
    FILE *f = S->recs;
    fprintf(f, "{\"line\":\"%llu\"", L->no);
    if (L->id) fprintf(f, ",\"id\":%s", L->id);
    if (S->names_json) /* before log10_p: the flag pass reads the last value */
        fprintf(f, ",\"account\":%s,\"account_log10_p\":%s", S->names_json[L->account],
                L->account_log10_p);
    fprintf(f, ",\"n_scored\":\"%llu\",\"log10_p\":%s", L->n_scored, L->log10_p);
    if (S->o->n_shards) fputc('}', f);
    fputc('\n', f);
    return ferror(f) ? HM_E_IO : HM_OK;
}

static int emit_tuple(uint64_t group, uint64_t hash, double v0, double v1, void *user)
{
    unsigned char rec[16];
    (void)group;
    (void)v1;
    scan_put_u64(rec, hash);
    scan_put_u64(rec + 8, scan_double_bits(v0));
    return fwrite(rec, 1, sizeof rec, (FILE *)user) != sizeof rec;
}

/* The flag pass: temp records (line prefixes) -> final output with flags. */

int scan_flag_pass(FILE *in, FILE *out, double thr, unsigned long long *flagged)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    *flagged = 0;
    rewind(in);
    while ((n = getline(&line, &cap, in)) > 0) {
        char *colon;
        double v;
        int flag;
        if (line[n - 1] == '\n') line[--n] = 0;
        colon = strrchr(line, ':');
        v = colon ? strtod(colon + 1, NULL) : 0;
        flag = !isinf(thr) && v <= thr;
        if (flag) (*flagged)++;
        fprintf(out, "%s,\"flag\":%s}\n", line, flag ? "true" : "false");
    }
    free(line);
    return ferror(in) || ferror(out) ? HM_E_IO : HM_OK;
}

static int parse_args(int argc, char **argv, struct sopts *o, const char **input)
{
    static const struct option longopts[] = {
        {"key", required_argument, 0, 'k'},       {"passphrase-file", required_argument, 0, 'P'},
        {"scheme", required_argument, 0, 's'},    {"param", required_argument, 0, 'p'},
        {"tokenizer", required_argument, 0, 't'}, {"field", required_argument, 0, 'f'},
        {"id-field", required_argument, 0, 'I'},  {"threads", required_argument, 0, 'j'},
        {"fdr", required_argument, 0, 'q'},       {"alpha", required_argument, 0, 'A'},       {"out", required_argument, 0, 'o'},
        {"shard", required_argument, 0, 'S'},     {"tmpdir", required_argument, 0, 'T'},
        {"partitions", required_argument, 0, 'N'}, {"format", required_argument, 0, 'F'},
        {"max-line-bytes", required_argument, 0, 'M'}, {"special", no_argument, 0, 'x'},
        {"no-canonical", no_argument, 0, 'C'},
        {"json", no_argument, 0, 'J'},            {"help", no_argument, 0, 'h'},
        {"master", required_argument, 0, 'm'},    {"accounts", required_argument, 0, 'a'},
        {"epoch", required_argument, 0, 'e'},     {0, 0, 0, 0}};
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    o->tokenizer = "cl100k_base";
    o->field = "text";
    o->id_field = "id";
    o->fdr = 0.01;
    o->alpha = 1e-6;
    o->format = FMT_AUTO;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'C': o->no_canonical = 1; break;
        case 'P': o->passfile = optarg; break;
        case 's': o->scheme = optarg; break;
        case 'p':
            if (o->np == MAX_PARAMS) return cli_usage_error("scan", "too many --param");
            o->params[o->np++] = optarg;
            break;
        case 't': o->tokenizer = optarg; break;
        case 'f': o->field = optarg; break;
        case 'I': o->id_field = optarg; break;
        case 'j': {
            long v;
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 256)
                return cli_usage_error("scan", "--threads: expected 1..256, got '%s'", optarg);
            o->threads = (int)v;
            break;
        }
        case 'q':
            errno = 0;
            o->fdr = strtod(optarg, &end);
            if (errno || *end || !(o->fdr > 0) || o->fdr > 1)
                return cli_usage_error("scan", "--fdr: expected a number in (0, 1], got '%s'",
                                       optarg);
            break;
        case 'A':
            errno = 0;
            o->alpha = strtod(optarg, &end);
            if (errno || *end || !(o->alpha > 0) || o->alpha >= 1)
                return cli_usage_error("scan", "--alpha: expected a number in (0, 1), got '%s'",
                                       optarg);
            break;
        case 'o': o->out = optarg; break;
        case 'S':
            if (scan_parse_shard(optarg, &o->shard, &o->n_shards) != 0)
                return cli_usage_error("scan", "--shard: expected i/n with 0 <= i < n, got '%s'",
                                       optarg);
            break;
        case 'T': o->tmpdir = optarg; break;
        case 'N': {
            unsigned long v;
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 4096)
                return cli_usage_error("scan", "--partitions: expected 1..4096, got '%s'", optarg);
            o->partitions = (unsigned)v;
            break;
        }
        case 'F':
            if (strcmp(optarg, "auto") == 0) o->format = FMT_AUTO;
            else if (strcmp(optarg, "jsonl") == 0) o->format = FMT_JSONL;
            else if (strcmp(optarg, "text") == 0) o->format = FMT_TEXT;
            else return cli_usage_error("scan", "--format: expected auto, jsonl or text");
            break;
        case 'M': {
            unsigned long long v;
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno || *end || v < 16 || v > (1ull << 31))
                return cli_usage_error("scan", "--max-line-bytes: expected 16..2^31");
            o->max_line = (size_t)v;
            break;
        }
        case 'x': o->special = 1; break;
        case 'J': o->json = 1; break;
        case 'm': o->master = optarg; break;
        case 'a': o->accounts = optarg; break;
        case 'e':
            if (cli_parse_epoch("scan", optarg, &o->epoch) != CLI_OK) return CLI_ERROR;
            break;
        case 'h': usage(stdout); return -1;
        default:
            return cli_usage_error("scan", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (!o->key && !o->master)
        return cli_usage_error("scan", "--key (or --master with --accounts) is required");
    if (o->key && o->master) return cli_usage_error("scan", "give --key or --master, not both");
    if (!o->master != !o->accounts)
        return cli_usage_error("scan", "--master and --accounts go together");
    if (o->master && o->n_shards)
        return cli_usage_error("scan", "--shard does not combine with --accounts");
    if (!o->scheme) return cli_usage_error("scan", "--scheme is required");
    if (!o->out) return cli_usage_error("scan", "--out is required");
    if (optind != argc - 1) return cli_usage_error("scan", "expected one CORPUS argument");
    *input = argv[optind];
    if (o->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n < 1 ? 1 : n > 64 ? 64 : (int)n;
    }
    return 0;
}


/* --master/--accounts: the corpus test of every account (tapes 1..n-1;
 * tape 0 is finished by the caller into S->sum), Holm-adjusted over the
 * accounts.  *out: a JSON array of the accounts' corpus results; *best: the
 * index of the smallest adjusted p-value; *fired: accounts at alpha. */
static int corpus_accounts(struct scan_state *S, const struct cli_accounts *acc, cJSON **out,
                           size_t *best, size_t *fired)
{
    size_t n = acc->n, i;
    double *lp = calloc(n, sizeof *lp), *adj = calloc(n, sizeof *adj);
    size_t *work = calloc(n, sizeof *work);
    uint64_t *nt = calloc(n, sizeof *nt);
    hm_fixsum *sums = calloc(n, sizeof *sums);
    int rc = CLI_ERROR;
    *out = NULL;
    *best = 0;
    *fired = 0;
    if (!lp || !adj || !work || !nt || !sums) {
        cli_fail(HM_E_NOMEM, "scan");
        goto done;
    }
    for (i = 0; i < n; i++) {
        hm_detect_result r;
        if (i == 0) {
            nt[0] = S->sum.n_unique_tuples;
            sums[0] = S->sum.sum;
        } else {
            hm_tape_result tr;
            int st = hm_tape_finish(S->tapes[i], &tr, NULL, NULL);
            if (st != HM_OK) {
                cli_fail(st, "tuple tape");
                goto done;
            }
            nt[i] = tr.n_kept;
            sums[i] = tr.sum[0];
        }
        (void)hm_scan_test(S->sum.test, S->sum.null_param, S->sum.layers,
                           hm_fixsum_value(&sums[i]), nt[i], &r);
        lp[i] = nt[i] && r.ln_p <= 0 ? r.ln_p : 0.0;
    }
    if (hm_stats_holm_logp(lp, n, adj, work) != HM_OK) {
        cli_fail(HM_E_INTERNAL, "Holm");
        goto done;
    }
    *out = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON *a = cJSON_CreateObject();
        char p[64], k[32];
        int f = nt[i] > 0 && adj[i] <= log(S->o->alpha);
        cJSON_AddStringToObject(a, "account", hm_key_tenant(acc->keys[i]));
        (void)hm_key_id(acc->keys[i], k);
        cJSON_AddStringToObject(a, "key_id", k);
        scan_add_u64(a, "n_unique_tuples", nt[i]);
        cJSON_AddNumberToObject(a, "log10_p", lp[i] / log(10.0));
        (void)hm_stats_format_p(lp[i], p, sizeof p);
        cJSON_AddStringToObject(a, "p", p);
        cJSON_AddNumberToObject(a, "log10_p_holm", adj[i] / log(10.0));
        (void)hm_stats_format_p(adj[i], p, sizeof p);
        cJSON_AddStringToObject(a, "p_holm", p);
        cJSON_AddBoolToObject(a, "fired", f);
        cJSON_AddItemToArray(*out, a);
        *fired += (size_t)f;
        if (adj[i] < adj[*best]) *best = i;
    }
    /* the summary's "corpus" object shows the most significant account */
    S->sum.n_unique_tuples = nt[*best];
    S->sum.sum = sums[*best];
    rc = CLI_OK;
done:
    free(lp);
    free(adj);
    free(work);
    free(nt);
    free(sums);
    return rc;
}

/* Adds the accounts, the corrections and the named best account to a scan
 * summary (takes ownership of arr). */
static void add_accounts_summary(cJSON *sj, const struct cli_accounts *acc, cJSON *arr,
                                 size_t best, double alpha)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(sj, "corpus"), *b = cJSON_GetArrayItem(arr, (int)best);
    char corr[200];
    cJSON_AddStringToObject(sj, "master_key_id", acc->master_id);
    scan_add_u64(sj, "epoch", acc->epoch);
    scan_add_u64(sj, "n_accounts", acc->n);
    snprintf(corr, sizeof corr,
             "per document: the most significant of %zu accounts, Bonferroni (p x %zu), then "
             "Benjamini-Hochberg over documents",
             acc->n, acc->n);
    cJSON_AddStringToObject(sj, "document_correction", corr);
    snprintf(corr, sizeof corr, "corpus: Holm over %zu accounts (family-wise error at alpha)",
             acc->n);
    cJSON_AddStringToObject(sj, "corpus_correction", corr);
    if (c && b) {
        cJSON_AddStringToObject(c, "account",
                                cJSON_GetStringValue(cJSON_GetObjectItem(b, "account")));
        cJSON_AddNumberToObject(c, "log10_p_holm",
                                cJSON_GetNumberValue(cJSON_GetObjectItem(b, "log10_p_holm")));
        cJSON_ReplaceItemInObject(
            c, "detected",
            cJSON_CreateBool(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "log10_p_holm")) <=
                             log10(alpha)));
    }
    cJSON_AddItemToObject(sj, "accounts", arr);
}

static void print_accounts_text(const struct scan_state *S, const struct cli_accounts *acc,
                                const cJSON *sj, double fdr)
{
    const cJSON *arr = cJSON_GetObjectItem(sj, "accounts"), *a;
    size_t nf = 0;
    printf("%llu lines: %llu scanned, %llu empty, %llu malformed; %zu accounts of master %s "
           "(epoch %llu)\n",
           S->sum.lines, S->sum.scanned, S->sum.empty, S->sum.malformed, acc->n, acc->master_id,
           (unsigned long long)acc->epoch);
    printf("%llu flagged at FDR %g (%s; each record names its account)\n", S->sum.flagged, fdr,
           cJSON_GetStringValue(cJSON_GetObjectItem(sj, "document_correction")));
    printf("%s:\n", cJSON_GetStringValue(cJSON_GetObjectItem(sj, "corpus_correction")));
    cJSON_ArrayForEach(a, arr)
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(a, "fired"))) continue;
        nf++;
        printf("  FIRED %s: %s unique tuples, p = %s, Holm p = %s\n",
               cJSON_GetStringValue(cJSON_GetObjectItem(a, "account")),
               cJSON_GetStringValue(cJSON_GetObjectItem(a, "n_unique_tuples")),
               cJSON_GetStringValue(cJSON_GetObjectItem(a, "p")),
               cJSON_GetStringValue(cJSON_GetObjectItem(a, "p_holm")));
    }
    if (nf == 0) printf("  no account fired\n");
}

int cli_scan(int argc, char **argv)
{
    struct sopts o;
    const char *input = NULL;
    struct scan_state S;
    hm_key *key = NULL;
    hm_detector *det = NULL, **dets = NULL;
    struct cli_accounts acc;
    size_t nk = 1, a;
    hm_tokenizer *tok = NULL;
    struct worker *W = NULL;
    struct line *lines = NULL;
    unsigned char *arena = NULL;
    size_t arena_cap = 0, lines_cap, i;
    struct scan_reader rd;
    struct cli_progress prog;
    int rc = CLI_ERROR, st, bad = -1, t, format;
    char tmp_out[4096], tuples_path[4096], tmp_tuples[4096];
    FILE *final = NULL, *tuples = NULL;
    unsigned long long next_line_seen = 0;
    hm_tape_result tr;
    cJSON *acc_json = NULL;
    size_t acc_best = 0, acc_fired = 0;
    hm_canon *canon = NULL;
    struct cli_canon canon_total;

    memset(&canon_total, 0, sizeof canon_total);
    st = parse_args(argc, argv, &o, &input);
    if (st < 0) return CLI_OK;
    if (st > 0) return st;
    memset(&S, 0, sizeof S);
    memset(&rd, 0, sizeof rd);
    tmp_out[0] = tmp_tuples[0] = 0;
    S.o = &o;
    S.sum.fdr = o.fdr;
    S.sum.alpha = o.alpha;
    S.sum.bh_log10_threshold = -INFINITY;

    memset(&acc, 0, sizeof acc);
    if (o.master) {
        if (cli_accounts_load(o.master, o.passfile, o.accounts, o.epoch, &acc) != CLI_OK)
            return CLI_ERROR;
        nk = acc.n;
    } else {
        if (cli_load_key(o.key, o.passfile, &key) != CLI_OK) return CLI_ERROR;
        cli_note_master_alone(key, o.key, "scan");
    }
    if (cli_open_tokenizer(o.tokenizer, NULL, &tok) != CLI_OK) goto done;
    dets = calloc(nk, sizeof *dets);
    S.tapes = calloc(nk, sizeof *S.tapes);
    if (!dets || !S.tapes) {
        cli_fail(HM_E_NOMEM, "scan");
        goto done;
    }
    for (a = 0; a < nk; a++) {
        /* a corpus is many tokens: build the per-vocabulary tables once */
        st = hm_detector_new(&dets[a], o.scheme, o.master ? acc.keys[a] : key, o.params, o.np,
                             hm_tokenizer_vocab_size(tok), &bad);
        if (st != HM_OK) {
            cli_scheme_error(o.scheme, o.params, bad, st);
            goto done;
        }
    }
    det = dets[0];
    if (o.master) {
        S.names_json = calloc(nk, sizeof *S.names_json);
        if (!S.names_json) {
            cli_fail(HM_E_NOMEM, "scan");
            goto done;
        }
        for (a = 0; a < nk; a++) {
            cJSON *js = cJSON_CreateString(hm_key_tenant(acc.keys[a]));
            S.names_json[a] = js ? cJSON_PrintUnformatted(js) : NULL;
            cJSON_Delete(js);
            if (!S.names_json[a]) {
                cli_fail(HM_E_NOMEM, "scan");
                goto done;
            }
        }
        snprintf(S.sum.key_id, sizeof S.sum.key_id, "%s", acc.master_id);
    } else {
        (void)hm_key_id(key, S.sum.key_id);
        if (hm_key_kind(key) == HM_KEY_DERIVED)
            snprintf(S.sum.account, sizeof S.sum.account, "%s", hm_key_tenant(key));
    }
    (void)hm_detector_describe(det, S.sum.scheme_desc, sizeof S.sum.scheme_desc);
    (void)hm_detector_null(det, &S.sum.test, &S.sum.null_param);
    S.sum.layers = 1;
    snprintf(S.sum.tokenizer, sizeof S.sum.tokenizer, "%s", o.tokenizer);
    cli_tokenizer_sha256_hex(tok, S.sum.tokenizer_sha256);
    snprintf(S.sum.field, sizeof S.sum.field, "%s", o.field);
    if (scan_reader_open(&rd, input, o.max_line) != HM_OK) goto done;
    if (hm_bh_new(&S.bh, o.tmpdir, 0) != HM_OK) {
        cli_fail(HM_E_NOMEM, "scan");
        goto done;
    }
    for (a = 0; a < nk; a++) {
        /* one tape per account: fewer spill files each when there are many */
        unsigned parts = o.partitions ? o.partitions
                         : nk > 1     ? (nk >= 64 ? 1u : (unsigned)(64 / nk))
                                      : 0;
        if (hm_tape_new(&S.tapes[a], o.tmpdir, parts) != HM_OK) {
            cli_fail(HM_E_NOMEM, "scan");
            goto done;
        }
    }
    S.tape = S.tapes[0];
    if (o.n_shards) {
        S.recs = cli_create_beside(o.out, tmp_out, sizeof tmp_out);
    } else {
        S.recs = scan_tmpfile(o.tmpdir);
    }
    if (!S.recs) {
        cli_err("%s: cannot write (%s)", o.n_shards ? o.out : "temporary file", strerror(errno));
        goto done;
    }
    W = calloc((size_t)o.threads, sizeof *W);
    lines_cap = (size_t)o.threads * ROUND_LINES_PER_THREAD;
    lines = calloc(lines_cap, sizeof *lines);
    if (!W || !lines) {
        cli_fail(HM_E_NOMEM, "scan");
        goto done;
    }
    if (!o.no_canonical && (st = hm_canon_new(&canon)) != HM_OK) {
        cli_fail(st, "canonical text");
        goto done;
    }
    canon_total.enabled = !o.no_canonical;
    for (t = 0; t < o.threads; t++) {
        W[t].o = &o;
        W[t].tok = tok;
        (void)cli_canon_open(&W[t].canon, canon, !o.no_canonical);
        W[t].scanners = calloc(nk, sizeof *W[t].scanners);
        if (!W[t].scanners || hm_tok_scratch_new(&W[t].scratch) != HM_OK) {
            cli_fail(HM_E_NOMEM, "scan");
            goto done;
        }
        W[t].n_keys = nk;
        for (a = 0; a < nk; a++)
            if (hm_scanner_new(&W[t].scanners[a], dets[a]) != HM_OK) {
                cli_fail(HM_E_NOMEM, "scan");
                goto done;
            }
    }
    format = o.format;
    cli_progress_start(&prog, "scan");
    for (;;) {
        size_t nl = 0, used = 0;
        int r = 0, eof = 0;
        /* Read a round of lines into the arena. */
        while (nl < lines_cap && used < ROUND_BYTES) {
            const unsigned char *p;
            size_t len;
            int too_long;
            r = scan_reader_next(&rd, &p, &len, &too_long);
            if (r < 0) goto done;
            if (r == 0) {
                eof = 1;
                break;
            }
            S.sum.lines++;
            if (format == FMT_AUTO) {
                size_t k;
                for (k = 0; k < len && (p[k] == ' ' || p[k] == '\t'); k++) {}
                if (k < len) format = p[k] == '{' ? FMT_JSONL : FMT_TEXT;
                else if (too_long && rd.long_first >= 0)
                    format = rd.long_first == '{' ? FMT_JSONL : FMT_TEXT;
            }
            if (o.n_shards && (rd.line_no - 1) % o.n_shards != o.shard) continue;
            if (used + len + 1 > arena_cap) {
                size_t nc = arena_cap ? arena_cap : (1u << 20);
                unsigned char *na;
                while (nc < used + len + 1) nc *= 2;
                na = realloc(arena, nc);
                if (!na) {
                    cli_fail(HM_E_NOMEM, "scan");
                    goto done;
                }
                arena = na;
                arena_cap = nc;
            }
            memcpy(arena + used, p, len);
            memset(&lines[nl], 0, sizeof lines[nl]);
            lines[nl].off = used;
            lines[nl].len = len;
            lines[nl].no = rd.line_no;
            if (too_long) {
                lines[nl].kind = L_MALFORMED;
                snprintf(lines[nl].err, sizeof lines[nl].err, "line longer than --max-line-bytes");
            }
            used += len;
            nl++;
        }
        if (nl > 0) {
            int nt = o.threads;
            if ((size_t)nt > nl) nt = (int)nl;
            for (t = 0; t < nt; t++) {
                W[t].arena = arena;
                W[t].lines = lines;
                W[t].first = nl * (size_t)t / (size_t)nt;
                W[t].last = nl * (size_t)(t + 1) / (size_t)nt;
                W[t].format = format == FMT_AUTO ? FMT_TEXT : format;
                W[t].status = HM_OK;
            }
            /* Too-long lines are pre-marked malformed: workers skip them. */
            for (i = 0; i < nl; i++)
                if (lines[i].err[0]) lines[i].len = 0, lines[i].off = 0;
            if (nt == 1) {
                worker_run(&W[0]);
            } else {
                for (t = 0; t < nt; t++)
                    if (pthread_create(&W[t].th, NULL, worker_run, &W[t]) != 0) {
                        cli_err("cannot start a thread");
                        goto done;
                    }
                for (t = 0; t < nt; t++) pthread_join(W[t].th, NULL);
            }
            for (t = 0; t < nt; t++) {
                const hm_scan_tuple *tp;
                size_t n_tp, k;
                if (W[t].status != HM_OK) {
                    cli_fail(W[t].status, "scan");
                    goto done;
                }
                for (a = 0; a < nk; a++) {
                    tp = hm_scanner_tuples(W[t].scanners[a], &n_tp);
                    for (k = 0; k < n_tp; k++)
                        if (hm_tape_add(S.tapes[a], tp[k].tuple_hash, tp[k].tuple_hash, tp[k].value,
                                        0) != HM_OK) {
                            cli_err("cannot write the tuple tape in %s",
                                    o.tmpdir ? o.tmpdir : "$TMPDIR");
                            goto done;
                        }
                    hm_scanner_clear(W[t].scanners[a]);
                }
            }
            for (i = 0; i < nl; i++) {
                struct line *L = &lines[i];
                if (L->err[0] && L->kind != L_SCANNED) L->kind = L_MALFORMED;
                if (L->kind == L_EMPTY) {
                    S.sum.empty++;
                } else if (L->kind == L_MALFORMED) {
                    S.sum.malformed++;
                    cli_err("%s:%llu: malformed record skipped: %s", input, L->no, L->err);
                } else {
                    S.sum.scanned++;
                    S.sum.n_positions += L->n_positions;
                    if (write_record(&S, L) != HM_OK ||
                        hm_bh_add(S.bh, strtod(L->log10_p, NULL)) != HM_OK) {
                        cli_err("cannot write results (%s)", strerror(errno));
                        goto done;
                    }
                }
                free(L->id);
                L->id = NULL;
            }
            next_line_seen = rd.line_no;
            cli_progress_update(&prog, scan_reader_offset(&rd), rd.file_size,
                                S.sum.scanned + S.sum.empty + S.sum.malformed);
        }
        if (eof) break;
    }
    (void)next_line_seen;
    cli_progress_end(&prog);
    snprintf(S.sum.format, sizeof S.sum.format, "%s%s",
             format == FMT_JSONL ? "jsonl" : "text", rd.is_gzip ? "+gzip" : "");

    if (o.n_shards) {
        /* Partial: sorted unique tuples beside the records, then a summary. */
        cJSON *ps;
        char *txt, fix[64], shard[32];
        const char *base;
        snprintf(tuples_path, sizeof tuples_path, "%s.tuples", o.out);
        tuples = cli_create_beside(tuples_path, tmp_tuples, sizeof tmp_tuples);
        if (!tuples) {
            cli_err("%s: cannot write beside it (%s)", tuples_path, strerror(errno));
            goto done;
        }
        st = hm_tape_finish(S.tape, &tr, emit_tuple, tuples);
        if (st != HM_OK) {
            cli_fail(st, tuples_path);
            goto done;
        }
        if (cli_commit_beside(tuples, tmp_tuples, tuples_path) != HM_OK) {
            tuples = NULL;
            cli_fail(HM_E_IO, tuples_path);
            goto done;
        }
        tuples = NULL;
        ps = cJSON_CreateObject();
        cJSON_AddStringToObject(ps, "type", "scan-partial");
        snprintf(shard, sizeof shard, "%u/%u", o.shard, o.n_shards);
        cJSON_AddStringToObject(ps, "shard", shard);
        cJSON_AddStringToObject(ps, "scheme_desc", S.sum.scheme_desc);
        cJSON_AddStringToObject(ps, "key_id", S.sum.key_id);
        if (S.sum.account[0]) cJSON_AddStringToObject(ps, "account", S.sum.account);
        cJSON_AddStringToObject(ps, "tokenizer", S.sum.tokenizer);
        cJSON_AddStringToObject(ps, "tokenizer_sha256", S.sum.tokenizer_sha256);
        cJSON_AddStringToObject(ps, "field", S.sum.field);
        cJSON_AddStringToObject(ps, "format", S.sum.format);
        cJSON_AddNumberToObject(ps, "fdr", o.fdr);
        cJSON_AddNumberToObject(ps, "alpha", o.alpha);
        cJSON_AddNumberToObject(ps, "test", S.sum.test);
        cJSON_AddNumberToObject(ps, "null_param", S.sum.null_param);
        cJSON_AddNumberToObject(ps, "layers", S.sum.layers);
        scan_add_u64(ps, "lines", S.sum.lines);
        scan_add_u64(ps, "scanned", S.sum.scanned);
        scan_add_u64(ps, "empty", S.sum.empty);
        scan_add_u64(ps, "malformed", S.sum.malformed);
        scan_add_u64(ps, "n_positions", S.sum.n_positions);
        scan_add_u64(ps, "n_unique_tuples", tr.n_kept);
        scan_fixsum_str(&tr.sum[0], fix, sizeof fix);
        cJSON_AddStringToObject(ps, "sum", fix);
        base = strrchr(tuples_path, '/');
        cJSON_AddStringToObject(ps, "tuples_file", base ? base + 1 : tuples_path);
        txt = cJSON_PrintUnformatted(ps);
        cJSON_Delete(ps);
        if (!txt) goto done;
        fprintf(S.recs, "%s\n", txt);
        free(txt);
        if (cli_commit_beside(S.recs, tmp_out, o.out) != HM_OK) {
            S.recs = NULL;
            cli_err("%s: write error", o.out);
            goto done;
        }
        S.recs = NULL;
        if (!o.json)
            fprintf(stderr, "hallmark: shard %u/%u: %llu lines, %llu scanned, %llu empty, %llu malformed -> %s\n",
                    o.shard, o.n_shards, S.sum.lines, S.sum.scanned, S.sum.empty, S.sum.malformed, o.out);
        rc = CLI_OK;
        goto done;
    }

    {
        uint64_t nrej, m;
        cJSON *sj;
        char *txt;
        st = hm_bh_threshold(S.bh, o.fdr, &S.sum.bh_log10_threshold, &nrej, &m);
        if (st != HM_OK) {
            cli_fail(st, "Benjamini-Hochberg");
            goto done;
        }
        st = hm_tape_finish(S.tape, &tr, NULL, NULL);
        if (st != HM_OK) {
            cli_fail(st, "tuple tape");
            goto done;
        }
        S.sum.n_unique_tuples = tr.n_kept;
        S.sum.sum = tr.sum[0];
        if (o.master && corpus_accounts(&S, &acc, &acc_json, &acc_best, &acc_fired) != CLI_OK)
            goto done;
        final = cli_create_beside(o.out, tmp_out, sizeof tmp_out);
        if (!final) {
            cli_err("%s: cannot write beside it (%s)", o.out, strerror(errno));
            goto done;
        }
        if (scan_flag_pass(S.recs, final, S.sum.bh_log10_threshold, &S.sum.flagged) != HM_OK) {
            cli_err("%s: write error", tmp_out);
            goto done;
        }
        sj = scan_summary_json(&S.sum);
        if (acc_json) {
            add_accounts_summary(sj, &acc, acc_json, acc_best, o.alpha);
            acc_json = NULL; /* owned by sj */
        }
        txt = cJSON_PrintUnformatted(sj);
        fprintf(final, "%s\n", txt ? txt : "{}");
        free(txt);
        if (cli_commit_beside(final, tmp_out, o.out) != HM_OK) {
            final = NULL;
            cli_err("%s: write error (%s)", o.out, strerror(errno));
            cJSON_Delete(sj);
            goto done;
        }
        final = NULL;
        /* the canonical step's totals: printed, not in the records file
         * (shards merge to the same bytes as one process) */
        for (t = 0; t < o.threads; t++) cli_canon_merge(&canon_total, &W[t].canon);
        if (o.json)
            cJSON_AddItemToObject(sj, "canonical", cli_canon_json(&canon_total));
        else
            cli_canon_print(&canon_total);
        if (o.json) {
            cli_json_add_argv(sj);
            cli_print_json(sj, 0);
        } else {
            hm_detect_result r;
            char pstr[64];
            (void)hm_scan_test(S.sum.test, S.sum.null_param, S.sum.layers,
                               hm_fixsum_value(&S.sum.sum), S.sum.n_unique_tuples, &r);
            (void)hm_stats_format_p(r.ln_p, pstr, sizeof pstr);
            if (o.master) {
                print_accounts_text(&S, &acc, sj, o.fdr);
            } else {
                printf("%llu lines: %llu scanned, %llu empty, %llu malformed\n"
                       "%llu flagged at FDR %g (Benjamini-Hochberg)\n"
                       "corpus: %llu unique tuples, mean score %.4f, p = %s\n",
                       S.sum.lines, S.sum.scanned, S.sum.empty, S.sum.malformed, S.sum.flagged,
                       o.fdr, S.sum.n_unique_tuples, r.mean_score, pstr);
            }
        }
        if (o.master) {
            rc = (S.sum.flagged > 0 || acc_fired > 0) ? CLI_OK : CLI_NOT_DETECTED;
        } else {
            hm_detect_result r;
            (void)hm_scan_test(S.sum.test, S.sum.null_param, S.sum.layers,
                               hm_fixsum_value(&S.sum.sum), S.sum.n_unique_tuples, &r);
            rc = (S.sum.flagged > 0 || (S.sum.n_unique_tuples > 0 && r.log10_p <= log10(o.alpha)))
                     ? CLI_OK
                     : CLI_NOT_DETECTED;
        }
        cJSON_Delete(sj);
    }

done:
    if (final) fclose(final);
    if (tuples) fclose(tuples);
    if (S.recs) fclose(S.recs);
    if (tmp_out[0]) unlink(tmp_out); /* a failed run leaves no partial output */
    if (tmp_tuples[0]) unlink(tmp_tuples);
    if (W) {
        for (t = 0; t < o.threads; t++) {
            hm_tok_scratch_free(W[t].scratch);
            hm_tok_output_clear(&W[t].ids);
            if (W[t].scanners)
                for (a = 0; a < nk; a++) hm_scanner_free(W[t].scanners[a]);
            free(W[t].scanners);
            cli_canon_close(&W[t].canon);
        }
        free(W);
    }
    cJSON_Delete(acc_json);
    if (lines) {
        for (i = 0; i < lines_cap; i++) free(lines[i].id);
        free(lines);
    }
    free(arena);
    scan_reader_close(&rd);
    hm_bh_free(S.bh);
    if (S.tapes)
        for (a = 0; a < nk; a++) hm_tape_free(S.tapes[a]);
    free(S.tapes);
    if (S.names_json)
        for (a = 0; a < nk; a++) free(S.names_json[a]);
    free(S.names_json);
    hm_tokenizer_free(tok);
    if (dets)
        for (a = 0; a < nk; a++) hm_detector_free(dets[a]);
    free(dets);
    (void)det;
    cli_accounts_free(&acc);
    hm_key_free(key);
    hm_canon_free(canon);
    return rc;
}
