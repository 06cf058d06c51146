/*
 * cmd_radioactivity.c - `hallmark radioactivity`: was a suspect model
 * trained on text marked with our key?  Scores the suspect's completions
 * over globally unique (context, token) tuples, without contexts that
 * occur in the prompts, optionally only k-grams of a watermarked corpus,
 * beside a negative control under an unrelated key (docs/radioactivity.md).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scan_cli.h"

#define MAX_PARAMS 32

struct ropts {
    const char *key, *passfile, *scheme, *tokenizer, *prompt_field, *completion_field;
    const char *master, *accounts; /* every account's derived key at once */
    unsigned long long epoch;
    const char *filter, *filter_field, *out, *tmpdir;
    const char *params[MAX_PARAMS];
    size_t np;
    double alpha;
    int json, special, no_canonical;
    unsigned partitions;
    uint32_t shard, n_shards;
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark radioactivity --key FILE --scheme S [--param k=v ...]\n"
"       hallmark radioactivity --master FILE --accounts ACCOUNTS.txt [--epoch N] ...\n"
"                              [--tokenizer T] [--filter CORPUS] [--alpha A]\n"
"                              [--json] [--shard i/n --out PARTIAL] OUTPUTS.jsonl\n"
"\n"
"Tests whether a suspect model was trained on text watermarked with our key\n"
"(Sander et al., arXiv 2402.14904, closed-model setting).  OUTPUTS.jsonl holds\n"
"the suspect's answers, one JSON object per line with a prompt and a completion\n"
"(text, or arrays of token ids); gzip is accepted.  Tuples whose context\n"
"occurs in any prompt are dropped, and every distinct unit of the rest (the\n"
"random variable behind a score: the (context, token) tuple, or kgw selfhash's\n"
"(anchor, token) pair) is scored once over the whole input (a global\n"
"deduplication tape, in bounded memory) and enters the scheme's exact test.\n"
"The same pipeline under an unrelated control key (derived from ours, with its\n"
"own units) is reported beside it: its p-value should look uniform.  Schemes:\n"
"kgw, unigram, gumbel (an engine profile's key is a parameter: no control).\n"
"\n"
"  --key FILE            our key; --passphrase-file F for encrypted keys\n"
"  --master FILE --accounts ACCOUNTS.txt [--epoch N]\n"
"                        test the key derived for every account (one name per\n"
"                        line, as for `hallmark trace`; at most 1000) in one\n"
"                        pass over OUTPUTS; the accounts' p-values are\n"
"                        Holm-adjusted (family-wise error over the accounts)\n"
"  --scheme S            kgw, unigram or gumbel; --param k=v (repeatable)\n"
"  --tokenizer T         cl100k_base (default), ... or a path\n"
"  --prompt-field NAME   (default \"prompt\"); --completion-field NAME\n"
"                        (default \"completion\")\n"
"  --filter CORPUS       keep only (context, token) k-grams occurring in this\n"
"                        watermarked corpus (JSON lines with --filter-field,\n"
"                        default \"text\", or plain text lines; gzip accepted)\n"
"  --alpha A             significance level (default 1e-6)\n"
"  --shard i/n           keep only the units that fall in shard i of n and\n"
"                        write partial statistics (--out, default stdout) for\n"
"                        `hallmark merge`\n"
"  --tmpdir DIR, --partitions N   the tape's spill files (default $TMPDIR, 64)\n"
"  --json                print a JSON object (main and control results)\n"
"  --no-canonical        tokenize texts as given (default: their canonical text,\n"
"                        docs/canonical.md; the result says what changed)\n"
"\n"
"Exit status: 0 detected at --alpha (with --accounts: some account's Holm-\n"
"adjusted p-value), 1 not detected, 2 error.\n");
}

static int parse_args(int argc, char **argv, struct ropts *o, const char **input)
{
    static const struct option longopts[] = {
        {"key", required_argument, 0, 'k'},       {"passphrase-file", required_argument, 0, 'P'},
        {"scheme", required_argument, 0, 's'},    {"param", required_argument, 0, 'p'},
        {"tokenizer", required_argument, 0, 't'}, {"prompt-field", required_argument, 0, 'r'},
        {"completion-field", required_argument, 0, 'c'}, {"filter", required_argument, 0, 'f'},
        {"filter-field", required_argument, 0, 'F'}, {"alpha", required_argument, 0, 'a'},
        {"shard", required_argument, 0, 'S'},     {"out", required_argument, 0, 'o'},
        {"tmpdir", required_argument, 0, 'T'},    {"partitions", required_argument, 0, 'N'},
        {"special", no_argument, 0, 'x'},         {"json", no_argument, 0, 'J'},
        {"master", required_argument, 0, 'm'},    {"accounts", required_argument, 0, 'A'},
        {"epoch", required_argument, 0, 'e'},     {"no-canonical", no_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    o->tokenizer = "cl100k_base";
    o->prompt_field = "prompt";
    o->completion_field = "completion";
    o->filter_field = "text";
    o->alpha = 1e-6;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'P': o->passfile = optarg; break;
        case 's': o->scheme = optarg; break;
        case 'p':
            if (o->np == MAX_PARAMS) return cli_usage_error("radioactivity", "too many --param");
            o->params[o->np++] = optarg;
            break;
        case 't': o->tokenizer = optarg; break;
        case 'r': o->prompt_field = optarg; break;
        case 'c': o->completion_field = optarg; break;
        case 'f': o->filter = optarg; break;
        case 'F': o->filter_field = optarg; break;
        case 'a':
            errno = 0;
            o->alpha = strtod(optarg, &end);
            if (errno || *end || !(o->alpha > 0) || o->alpha >= 1)
                return cli_usage_error("radioactivity", "--alpha: expected a number in (0, 1)");
            break;
        case 'S':
            if (scan_parse_shard(optarg, &o->shard, &o->n_shards) != 0)
                return cli_usage_error("radioactivity",
                                       "--shard: expected i/n with 0 <= i < n, got '%s'", optarg);
            break;
        case 'o': o->out = optarg; break;
        case 'T': o->tmpdir = optarg; break;
        case 'N': {
            unsigned long v;
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 4096)
                return cli_usage_error("radioactivity", "--partitions: expected 1..4096");
            o->partitions = (unsigned)v;
            break;
        }
        case 'x': o->special = 1; break;
        case 'C': o->no_canonical = 1; break;
        case 'J': o->json = 1; break;
        case 'm': o->master = optarg; break;
        case 'A': o->accounts = optarg; break;
        case 'e':
            if (cli_parse_epoch("radioactivity", optarg, &o->epoch) != CLI_OK) return CLI_ERROR;
            break;
        case 'h': usage(stdout); return -1;
        default:
            return cli_usage_error("radioactivity", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (!o->key && !o->master)
        return cli_usage_error("radioactivity", "--key (or --master with --accounts) is required");
    if (o->key && o->master)
        return cli_usage_error("radioactivity", "give --key or --master, not both");
    if (!o->master != !o->accounts)
        return cli_usage_error("radioactivity", "--master and --accounts go together");
    if (o->master && o->n_shards)
        return cli_usage_error("radioactivity", "--shard does not combine with --accounts");
    if (!o->scheme) return cli_usage_error("radioactivity", "--scheme is required");
    if (optind != argc - 1) return cli_usage_error("radioactivity", "expected one OUTPUTS argument");
    *input = argv[optind];
    return 0;
}

/* A JSON string (tokenized) or array of ids -> out.  Returns NULL on
 * success, else a message. */
/* The tokenizer, opened on first use (inputs of token ids need none). */
struct lazy_tok {
    const char *name;
    hm_tokenizer *tok;
    int failed;
    struct cli_canon cc; /* the canonical text of every prompt, completion and filter record */
};

static const hm_tokenizer *need_tok(struct lazy_tok *lt)
{
    if (!lt->tok && !lt->failed && cli_open_tokenizer(lt->name, NULL, &lt->tok) != CLI_OK)
        lt->failed = 1;
    return lt->tok;
}

static const char *field_ids(const cJSON *v, struct lazy_tok *lt, hm_tok_scratch *scr,
                             int special, hm_tok_output *out)
{
    size_t bad;
    out->len = 0;
    if (cJSON_IsString(v) && v->valuestring) {
        size_t n = strlen(v->valuestring);
        if (!cli_utf8_valid((const unsigned char *)v->valuestring, n, &bad))
            return "invalid UTF-8";
        if (!need_tok(lt)) return NULL;
        if (cli_canon_encode(&lt->cc, lt->tok, scr, v->valuestring, n,
                             special ? HM_TOK_SPECIAL : 0u, out) != HM_OK)
            return "tokenizer failure";
        return NULL;
    }
    if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v), i;
        if (out->cap < (size_t)n) {
            uint32_t *ni = realloc(out->ids, (size_t)n * sizeof *ni);
            if (!ni) return "out of memory";
            out->ids = ni;
            out->cap = (size_t)n;
        }
        for (i = 0; i < n; i++) {
            const cJSON *e = cJSON_GetArrayItem(v, i);
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 4294967295.0 ||
                e->valuedouble != floor(e->valuedouble))
                return "token-id array holds something other than ids";
            out->ids[i] = (uint32_t)e->valuedouble;
        }
        out->len = (size_t)n;
        return NULL;
    }
    return "not a string or an array of token ids";
}

/* --master/--accounts: every account's result, Holm-adjusted over the
 * accounts (family-wise error at alpha under any dependence), the fired
 * ones named.  Returns the exit status. */
static int report_accounts(const struct ropts *o, struct radio_meta *meta,
                           const struct cli_accounts *acc, hm_radio *const *radios,
                           const hm_radio_stats *stats)
{
    size_t n = acc->n, i, nf = 0, best = 0;
    double *lp = calloc(n, sizeof *lp), *adj = calloc(n, sizeof *adj);
    size_t *work = calloc(n, sizeof *work);
    cJSON *out = NULL, *arr, *fired;
    int rc = CLI_ERROR;
    char corr[160];
    if (!lp || !adj || !work) {
        cli_fail(HM_E_NOMEM, "radioactivity");
        goto done;
    }
    for (i = 0; i < n; i++) {
        hm_detect_result r;
        (void)hm_scan_test(meta->test, meta->null_param, stats[i].layers,
                           hm_fixsum_value(&stats[i].sum_main), stats[i].n_kept, &r);
        lp[i] = stats[i].n_kept ? r.ln_p : 0.0;
        if (!(lp[i] <= 0)) lp[i] = 0;
    }
    if (hm_stats_holm_logp(lp, n, adj, work) != HM_OK) {
        cli_fail(HM_E_INTERNAL, "Holm");
        goto done;
    }
    snprintf(corr, sizeof corr, "Holm over %zu accounts (family-wise error at alpha)", n);
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "radioactivity-accounts");
    cJSON_AddStringToObject(out, "master_key_id", acc->master_id);
    scan_add_u64(out, "epoch", acc->epoch);
    scan_add_u64(out, "n_accounts", n);
    cJSON_AddStringToObject(out, "correction", corr);
    cJSON_AddNumberToObject(out, "alpha", o->alpha);
    arr = cJSON_AddArrayToObject(out, "accounts");
    fired = cJSON_AddArrayToObject(out, "fired");
    for (i = 0; i < n; i++) {
        int det = 0;
        cJSON *a;
        char ph[64];
        const char *name = hm_key_tenant(acc->keys[i]);
        (void)hm_key_id(acc->keys[i], meta->key_id);
        (void)hm_detector_describe(hm_radio_detector(radios[i], 0), meta->scheme_desc,
                                   sizeof meta->scheme_desc);
        a = radio_result_json(meta, &stats[i], &det);
        cJSON_AddStringToObject(a, "account", name);
        cJSON_AddNumberToObject(a, "log10_p_holm", adj[i] / log(10.0));
        (void)hm_stats_format_p(adj[i], ph, sizeof ph);
        cJSON_AddStringToObject(a, "p_holm", ph);
        det = stats[i].n_kept > 0 && adj[i] <= log(o->alpha);
        cJSON_ReplaceItemInObject(a, "detected", cJSON_CreateBool(det));
        cJSON_AddBoolToObject(a, "fired", det);
        if (det) {
            nf++;
            cJSON_AddItemToArray(fired, cJSON_CreateString(name));
        }
        if (adj[i] < adj[best]) best = i;
        cJSON_AddItemToArray(arr, a);
    }
    cJSON_AddStringToObject(out, "verdict", nf == 0 ? "none" : nf == 1 ? "one" : "several");
    cJSON_AddBoolToObject(out, "detected", nf > 0);
    if (o->out && cli_write_json_line(o->out, out) != HM_OK) {
        cli_err("%s: cannot write", o->out);
        goto done;
    }
    if (o->json) {
        cli_json_add_argv(out);
        cli_print_json(out, 0);
    } else {
        printf("radioactivity over %zu accounts of master %s (epoch %llu), %s\n", n,
               acc->master_id, (unsigned long long)acc->epoch, corr);
        for (i = 0; i < n; i++) {
            char p[64], ph[64];
            (void)hm_stats_format_p(lp[i], p, sizeof p);
            (void)hm_stats_format_p(adj[i], ph, sizeof ph);
            if (adj[i] <= log(o->alpha) || i == best)
                printf("  %-6s %s: %llu tuples tested, p = %s, Holm p = %s\n",
                       adj[i] <= log(o->alpha) ? "FIRED" : "best", hm_key_tenant(acc->keys[i]),
                       (unsigned long long)stats[i].n_kept, p, ph);
        }
        if (nf == 0)
            printf("  no account detected at alpha %g\n", o->alpha);
        else
            printf("  %zu account%s detected at alpha %g\n", nf, nf == 1 ? "" : "s", o->alpha);
    }
    rc = nf ? CLI_OK : CLI_NOT_DETECTED;
done:
    cJSON_Delete(out);
    free(lp);
    free(adj);
    free(work);
    return rc;
}

int cli_radioactivity(int argc, char **argv)
{
    struct ropts o;
    const char *input = NULL;
    hm_key *key = NULL;
    struct lazy_tok lt;
    hm_tok_scratch *scr = NULL;
    hm_radio *radio = NULL, **radios = NULL;
    hm_radio_options ropt;
    hm_radio_stats stats, *all_stats = NULL;
    struct radio_meta meta;
    struct cli_accounts acc;
    size_t nr = 1, ri;
    struct scan_reader rd;
    hm_tok_output pids, cids;
    int rc = CLI_ERROR, st, bad = -1;

    st = parse_args(argc, argv, &o, &input);
    if (st < 0) return CLI_OK;
    if (st > 0) return st;
    memset(&rd, 0, sizeof rd);
    memset(&meta, 0, sizeof meta);
    memset(&lt, 0, sizeof lt);
    hm_tok_output_init(&pids);
    hm_tok_output_init(&cids);
    memset(&acc, 0, sizeof acc);
    if (o.master) {
        if (cli_accounts_load(o.master, o.passfile, o.accounts, o.epoch, &acc) != CLI_OK)
            return CLI_ERROR;
        nr = acc.n;
    } else {
        if (cli_load_key(o.key, o.passfile, &key) != CLI_OK) return CLI_ERROR;
        cli_note_master_alone(key, o.key, "radioactivity");
    }
    memset(&ropt, 0, sizeof ropt);
    ropt.tmpdir = o.tmpdir;
    /* one tape per account: fewer spill files each when there are many */
    ropt.partitions = o.partitions ? o.partitions : nr > 1 ? (nr >= 64 ? 1u : (unsigned)(64 / nr)) : 0;
    ropt.shard = o.shard;
    ropt.n_shards = o.n_shards;
    radios = calloc(nr, sizeof *radios);
    all_stats = calloc(nr, sizeof *all_stats);
    if (!radios || !all_stats) {
        cli_fail(HM_E_NOMEM, "radioactivity");
        goto done;
    }
    for (ri = 0; ri < nr; ri++) {
        st = hm_radio_new(&radios[ri], o.scheme, o.master ? acc.keys[ri] : key, o.params, o.np,
                          &ropt, &bad);
        if (st != HM_OK) {
            if (st == HM_E_UNSUPPORTED && bad < 0)
                cli_err("--scheme %s: radioactivity supports kgw, unigram and gumbel (an engine "
                        "profile's key is a parameter, so no control key can be derived from it)",
                        o.scheme);
            else
                cli_scheme_error(o.scheme, o.params, bad, st);
            goto done;
        }
    }
    radio = radios[0];
    (void)hm_key_id(o.master ? acc.keys[0] : key, meta.key_id);
    if (key && hm_key_kind(key) == HM_KEY_DERIVED)
        snprintf(meta.account, sizeof meta.account, "%s", hm_key_tenant(key));
    (void)hm_detector_describe(hm_radio_detector(radio, 0), meta.scheme_desc,
                               sizeof meta.scheme_desc);
    (void)hm_detector_null(hm_radio_detector(radio, 0), &meta.test, &meta.null_param);
    snprintf(meta.tokenizer, sizeof meta.tokenizer, "%s", o.tokenizer);
    meta.alpha = o.alpha;
    meta.filter = o.filter != NULL;
    lt.name = o.tokenizer;
    if (cli_canon_open(&lt.cc, NULL, !o.no_canonical) != CLI_OK) goto done;
    if (hm_tok_scratch_new(&scr) != HM_OK) {
        cli_fail(HM_E_NOMEM, "radioactivity");
        goto done;
    }

    /* The filter corpus: every (context, token) k-gram it contains. */
    if (o.filter) {
        const unsigned char *p;
        size_t len;
        int too_long, r;
        unsigned long long n_docs = 0;
        if (scan_reader_open(&rd, o.filter, 0) != HM_OK) goto done;
        while ((r = scan_reader_next(&rd, &p, &len, &too_long)) > 0) {
            size_t k;
            const char *msg = NULL;
            for (k = 0; k < len && (p[k] == ' ' || p[k] == '\t'); k++) {}
            if (k == len || too_long) continue;
            if (p[k] == '{') {
                cJSON *root = cJSON_ParseWithLength((const char *)p, len);
                const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, o.filter_field) : NULL;
                msg = f ? field_ids(f, &lt, scr, o.special, &cids) : "no such field or not JSON";
                cJSON_Delete(root);
            } else {
                size_t bad_at;
                cids.len = 0;
                if (!cli_utf8_valid(p, len, &bad_at))
                    msg = "invalid UTF-8";
                else if (!need_tok(&lt))
                    goto done;
                else if (cli_canon_encode(&lt.cc, lt.tok, scr, (const char *)p, len, 0, &cids) != HM_OK)
                    msg = "tokenizer failure";
            }
            if (lt.failed) goto done;
            if (msg) {
                cli_err("%s:%llu: filter record skipped: %s", o.filter, rd.line_no, msg);
                continue;
            }
            for (ri = 0, st = HM_OK; ri < nr && st == HM_OK; ri++)
                st = hm_radio_add_filter(radios[ri], cids.ids, cids.len);
            if (st != HM_OK) {
                cli_fail(st, "filter");
                goto done;
            }
            n_docs++;
        }
        if (r < 0) goto done;
        scan_reader_close(&rd);
        if (n_docs == 0) {
            cli_err("%s: the filter corpus has no usable document", o.filter);
            goto done;
        }
    }

    /* The suspect's outputs. */
    {
        const unsigned char *p;
        size_t len;
        int too_long, r;
        if (scan_reader_open(&rd, input, 0) != HM_OK) goto done;
        while ((r = scan_reader_next(&rd, &p, &len, &too_long)) > 0) {
            size_t k;
            cJSON *root;
            const cJSON *pf, *cf;
            const char *msg = NULL;
            meta.records++;
            for (k = 0; k < len && (p[k] == ' ' || p[k] == '\t'); k++) {}
            if (k == len && !too_long) {
                meta.empty++;
                continue;
            }
            root = too_long ? NULL : cJSON_ParseWithLength((const char *)p, len);
            if (!root || !cJSON_IsObject(root)) {
                msg = too_long ? "line too long" : "not a JSON object";
            } else {
                pf = cJSON_GetObjectItemCaseSensitive(root, o.prompt_field);
                cf = cJSON_GetObjectItemCaseSensitive(root, o.completion_field);
                pids.len = 0;
                if (!cf)
                    msg = "no completion field";
                else if (pf && (msg = field_ids(pf, &lt, scr, o.special, &pids)) != NULL) {
                    /* message set */
                } else {
                    msg = field_ids(cf, &lt, scr, o.special, &cids);
                }
            }
            cJSON_Delete(root);
            if (lt.failed) goto done;
            if (msg) {
                meta.malformed++;
                cli_err("%s:%llu: malformed record skipped: %s", input, rd.line_no, msg);
                continue;
            }
            /* one pass over the input; each account's engine sees every record */
            for (ri = 0, st = HM_OK; ri < nr && st == HM_OK; ri++) {
                st = hm_radio_add_prompt(radios[ri], pids.ids, pids.len);
                if (st == HM_OK)
                    st = hm_radio_add_output(radios[ri], pids.ids, pids.len, cids.ids, cids.len);
            }
            if (st != HM_OK) {
                cli_fail(st, "radioactivity");
                goto done;
            }
        }
        if (r < 0) goto done;
    }
    for (ri = 0, st = HM_OK; ri < nr && st == HM_OK; ri++)
        st = hm_radio_finish(radios[ri], &all_stats[ri]);
    if (st != HM_OK) {
        cli_fail(st, "radioactivity tape");
        goto done;
    }
    stats = all_stats[0];
    if (o.master) {
        rc = report_accounts(&o, &meta, &acc, radios, all_stats);
        goto done;
    }

    cli_tokenizer_sha256_hex(lt.tok, meta.tokenizer_sha256); /* "" for token-id inputs */
    if (o.n_shards) {
        cJSON *ps = cJSON_CreateObject(), *s;
        char shard[32], fix[64];
        snprintf(shard, sizeof shard, "%u/%u", o.shard, o.n_shards);
        cJSON_AddStringToObject(ps, "type", "radioactivity-partial");
        cJSON_AddStringToObject(ps, "shard", shard);
        cJSON_AddStringToObject(ps, "scheme_desc", meta.scheme_desc);
        cJSON_AddStringToObject(ps, "key_id", meta.key_id);
        if (meta.account[0]) cJSON_AddStringToObject(ps, "account", meta.account);
        cJSON_AddStringToObject(ps, "tokenizer", meta.tokenizer);
        cJSON_AddStringToObject(ps, "tokenizer_sha256", meta.tokenizer_sha256);
        cJSON_AddNumberToObject(ps, "test", meta.test);
        cJSON_AddNumberToObject(ps, "null_param", meta.null_param);
        cJSON_AddNumberToObject(ps, "alpha", meta.alpha);
        cJSON_AddBoolToObject(ps, "filter", meta.filter);
        scan_add_u64(ps, "records", meta.records);
        scan_add_u64(ps, "empty", meta.empty);
        scan_add_u64(ps, "malformed", meta.malformed);
        s = cJSON_AddObjectToObject(ps, "stats");
        scan_add_u64(s, "n_outputs", stats.n_outputs);
        scan_add_u64(s, "n_positions", stats.n_positions);
        scan_add_u64(s, "n_unique", stats.n_unique);
        scan_add_u64(s, "n_excluded", stats.n_excluded);
        scan_add_u64(s, "n_filtered", stats.n_filtered);
        scan_add_u64(s, "n_kept", stats.n_kept);
        scan_add_u64(s, "n_kept_control", stats.n_kept_control);
        scan_fixsum_str(&stats.sum_main, fix, sizeof fix);
        cJSON_AddStringToObject(s, "sum_main", fix);
        scan_fixsum_str(&stats.sum_control, fix, sizeof fix);
        cJSON_AddStringToObject(s, "sum_control", fix);
        cJSON_AddNumberToObject(s, "layers", stats.layers);
        st = cli_write_json_line(o.out ? o.out : "-", ps);
        cJSON_Delete(ps);
        if (st != HM_OK) {
            cli_fail(st, o.out ? o.out : "stdout");
            goto done;
        }
        rc = CLI_OK;
        goto done;
    }
    {
        int detected = 0;
        cJSON *res = radio_result_json(&meta, &stats, &detected);
        if (o.out && cli_write_json_line(o.out, res) != HM_OK) cli_err("%s: cannot write", o.out);
        if (o.json)
            cJSON_AddItemToObject(res, "canonical", cli_canon_json(&lt.cc));
        else
            cli_canon_print(&lt.cc);
        if (o.json) {
            cli_json_add_argv(res);
            cli_print_json(res, 0);
        } else {
            radio_print_text(&meta, &stats);
        }
        cJSON_Delete(res);
        rc = detected ? CLI_OK : CLI_NOT_DETECTED;
    }

done:
    scan_reader_close(&rd);
    hm_tok_output_clear(&pids);
    hm_tok_output_clear(&cids);
    hm_tok_scratch_free(scr);
    if (radios)
        for (ri = 0; ri < nr; ri++) hm_radio_free(radios[ri]);
    free(radios);
    free(all_stats);
    cli_accounts_free(&acc);
    hm_tokenizer_free(lt.tok);
    cli_canon_close(&lt.cc);
    hm_key_free(key);
    return rc;
}
