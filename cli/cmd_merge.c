/*
 * cmd_merge.c - `hallmark merge`: combine the partial results of sharded
 * `hallmark scan --shard` or `hallmark radioactivity --shard` runs into
 * exactly the single-process result (formats: docs/scale-out.md).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "scan_cli.h"

#define MAX_PARTS 4096

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark merge [--out FILE] [--json] [--tmpdir DIR] PARTIAL...\n"
"\n"
"Merges partial results by their \"type\":\n"
"  scan-partial           from `hallmark scan --shard i/n --out PARTIAL` (with\n"
"                         PARTIAL.tuples beside it): writes --out (required)\n"
"                         exactly as a single `hallmark scan` would, with the\n"
"                         Benjamini-Hochberg flags and the corpus test\n"
"  radioactivity-partial  from `hallmark radioactivity --shard i/n`: prints\n"
"                         the radioactivity result (and writes it to --out)\n"
"Every shard 0..n-1 must be present exactly once.  Exit status as the\n"
"single-process command: 0 detected, 1 not detected, 2 error.\n");
}

/* The last line of a file (malloc'd), or NULL. */
static char *last_line(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    ssize_t n;
    if (!f) return NULL;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = 0;
        if (line[0]) {
            free(last);
            last = strdup(line);
        }
    }
    free(line);
    fclose(f);
    return last;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static unsigned long long ju64(const cJSON *o, const char *name, int *ok)
{
    const char *s = jstr(o, name);
    char *end;
    unsigned long long v;
    if (!s || !(*s >= '0' && *s <= '9')) {
        *ok = 0;
        return 0;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end) *ok = 0;
    return v;
}

static double jnum(const cJSON *o, const char *name, int *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v)) {
        *ok = 0;
        return 0;
    }
    return v->valuedouble;
}

/* Checks that the partials' shard fields cover 0..n-1 exactly once and that
 * the fields that must agree do.  Prints a message and returns -1 if not. */
static int check_shards(cJSON **ps, int k, char *const *paths)
{
    unsigned char *seen;
    uint32_t n0 = 0;
    int i;
    static const char *same[] = {"scheme_desc", "key_id", "tokenizer"};
    for (i = 0; i < k; i++) {
        uint32_t si, sn;
        size_t f;
        if (scan_parse_shard(jstr(ps[i], "shard"), &si, &sn) != 0) {
            cli_err("%s: bad or missing \"shard\"", paths[i]);
            return -1;
        }
        if (i == 0) n0 = sn;
        if (sn != n0) {
            cli_err("%s: shard count %u differs from %u", paths[i], sn, n0);
            return -1;
        }
        for (f = 0; f < sizeof same / sizeof same[0]; f++) {
            const char *a = jstr(ps[0], same[f]), *b = jstr(ps[i], same[f]);
            if (!a || !b || strcmp(a, b) != 0) {
                cli_err("%s: \"%s\" differs from %s's", paths[i], same[f], paths[0]);
                return -1;
            }
        }
    }
    seen = calloc(n0 ? n0 : 1, 1);
    if (!seen) return -1;
    for (i = 0; i < k; i++) {
        uint32_t si, sn;
        (void)scan_parse_shard(jstr(ps[i], "shard"), &si, &sn);
        if (seen[si]) {
            cli_err("%s: shard %u/%u given twice", paths[i], si, sn);
            free(seen);
            return -1;
        }
        seen[si] = 1;
    }
    if ((uint32_t)k != n0) {
        /* Name the shards that are missing, so the failed job can be rerun. */
        char list[256];
        size_t len = 0;
        uint32_t s, n_missing = 0;
        list[0] = 0;
        for (s = 0; s < n0; s++) {
            if (seen[s]) continue;
            n_missing++;
            if (len < sizeof list - 32)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%u/%u",
                                        n_missing > 1 ? ", " : "", s, n0);
            else if (len < sizeof list - 1) {
                len += (size_t)snprintf(list + len, sizeof list - len, ", ...");
                len = sizeof list; /* full */
            }
        }
        cli_err("expected %u partials (shards 0..%u), got %d: missing shard%s %s", n0, n0 - 1, k,
                n_missing == 1 ? "" : "s", list);
        free(seen);
        return -1;
    }
    free(seen);
    return 0;
}

static int merge_radio(cJSON **ps, int k, char *const *paths, const char *out, int json)
{
    hm_radio_stats total;
    struct radio_meta meta;
    int i, ok = 1, detected = 0;
    cJSON *res;
    memset(&total, 0, sizeof total);
    memset(&meta, 0, sizeof meta);
    snprintf(meta.scheme_desc, sizeof meta.scheme_desc, "%s", jstr(ps[0], "scheme_desc"));
    snprintf(meta.key_id, sizeof meta.key_id, "%s", jstr(ps[0], "key_id"));
    snprintf(meta.tokenizer, sizeof meta.tokenizer, "%s", jstr(ps[0], "tokenizer"));
    meta.test = (int)jnum(ps[0], "test", &ok);
    meta.null_param = jnum(ps[0], "null_param", &ok);
    meta.alpha = jnum(ps[0], "alpha", &ok);
    meta.filter = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ps[0], "filter"));
    meta.records = ju64(ps[0], "records", &ok);
    meta.empty = ju64(ps[0], "empty", &ok);
    meta.malformed = ju64(ps[0], "malformed", &ok);
    for (i = 0; i < k && ok; i++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(ps[i], "stats");
        hm_radio_stats st;
        memset(&st, 0, sizeof st);
        if (!cJSON_IsObject(s)) {
            ok = 0;
            break;
        }
        st.n_outputs = ju64(s, "n_outputs", &ok);
        st.n_positions = ju64(s, "n_positions", &ok);
        st.n_unique = ju64(s, "n_unique", &ok);
        st.n_excluded = ju64(s, "n_excluded", &ok);
        st.n_filtered = ju64(s, "n_filtered", &ok);
        st.n_kept = ju64(s, "n_kept", &ok);
        st.n_kept_control = ju64(s, "n_kept_control", &ok);
        st.layers = (uint32_t)jnum(s, "layers", &ok);
        if (scan_fixsum_parse(jstr(s, "sum_main"), &st.sum_main) != 0 ||
            scan_fixsum_parse(jstr(s, "sum_control"), &st.sum_control) != 0)
            ok = 0;
        if (ju64(ps[i], "records", &ok) != meta.records) {
            cli_err("%s: the shards did not read the same input", paths[i]);
            return CLI_ERROR;
        }
        hm_radio_stats_merge(&total, &st);
    }
    if (!ok) {
        cli_err("%s: malformed radioactivity partial", paths[i < k ? i : 0]);
        return CLI_ERROR;
    }
    res = radio_result_json(&meta, &total, &detected);
    if (out && cli_write_json_line(out, res) != HM_OK) cli_err("%s: cannot write", out);
    if (json) {
        cli_json_add_argv(res);
        cli_print_json(res, 0);
    } else {
        radio_print_text(&meta, &total);
    }
    cJSON_Delete(res);
    return detected ? CLI_OK : CLI_NOT_DETECTED;
}

/* One partial's record stream. */
struct rstream {
    FILE *f;
    char *line;
    size_t cap;
    unsigned long long no;
    int live;
};

static int rs_next(struct rstream *s)
{
    ssize_t n = getline(&s->line, &s->cap, s->f);
    if (n <= 0) {
        s->live = 0;
        return 0;
    }
    if (s->line[n - 1] == '\n') s->line[--n] = 0;
    if (strncmp(s->line, "{\"line\":\"", 9) != 0) { /* the summary line */
        s->live = 0;
        return 0;
    }
    s->no = strtoull(s->line + 9, NULL, 10);
    s->live = 1;
    return 1;
}

/* A sorted tuple side file. */
struct tstream {
    FILE *f;
    uint64_t hash;
    double v;
    int live;
};

static int ts_next(struct tstream *t)
{
    unsigned char rec[16];
    if (fread(rec, 1, sizeof rec, t->f) != sizeof rec) {
        t->live = 0;
        return 0;
    }
    t->hash = scan_get_u64(rec);
    t->v = scan_bits_double(scan_get_u64(rec + 8));
    t->live = 1;
    return 1;
}

static int merge_scan(cJSON **ps, int k, char *const *paths, const char *out, const char *tmpdir,
                      int json)
{
    struct scan_summary S;
    struct rstream *rs = NULL;
    struct tstream *ts = NULL;
    FILE *recs = NULL, *final = NULL;
    hm_bh *bh = NULL;
    int i, ok = 1, rc = CLI_ERROR;
    char tmp_out[4096];
    uint64_t nrej, m, last_hash = 0;
    int have_last = 0;
    cJSON *sj = NULL;
    memset(&S, 0, sizeof S);
    tmp_out[0] = 0;
    if (!out) return cli_usage_error("merge", "--out is required for scan partials");
    snprintf(S.scheme_desc, sizeof S.scheme_desc, "%s", jstr(ps[0], "scheme_desc"));
    snprintf(S.key_id, sizeof S.key_id, "%s", jstr(ps[0], "key_id"));
    snprintf(S.tokenizer, sizeof S.tokenizer, "%s", jstr(ps[0], "tokenizer"));
    snprintf(S.field, sizeof S.field, "%s", jstr(ps[0], "field") ? jstr(ps[0], "field") : "");
    snprintf(S.format, sizeof S.format, "%s", jstr(ps[0], "format") ? jstr(ps[0], "format") : "");
    S.fdr = jnum(ps[0], "fdr", &ok);
    S.alpha = jnum(ps[0], "alpha", &ok);
    S.test = (int)jnum(ps[0], "test", &ok);
    S.null_param = jnum(ps[0], "null_param", &ok);
    S.layers = (unsigned)jnum(ps[0], "layers", &ok);
    S.lines = ju64(ps[0], "lines", &ok);
    for (i = 0; i < k && ok; i++) {
        if (ju64(ps[i], "lines", &ok) != S.lines || jnum(ps[i], "fdr", &ok) != S.fdr) {
            cli_err("%s: \"lines\" or \"fdr\" differs between partials", paths[i]);
            return CLI_ERROR;
        }
        S.scanned += ju64(ps[i], "scanned", &ok);
        S.empty += ju64(ps[i], "empty", &ok);
        S.malformed += ju64(ps[i], "malformed", &ok);
        S.n_positions += ju64(ps[i], "n_positions", &ok);
    }
    if (!ok) {
        cli_err("malformed scan partial");
        return CLI_ERROR;
    }
    rs = calloc((size_t)k, sizeof *rs);
    ts = calloc((size_t)k, sizeof *ts);
    if (!rs || !ts || hm_bh_new(&bh, tmpdir, 0) != HM_OK) {
        cli_fail(HM_E_NOMEM, "merge");
        goto done;
    }
    recs = scan_tmpfile(tmpdir);
    if (!recs) {
        cli_err("cannot create a temporary file (%s)", strerror(errno));
        goto done;
    }
    /* Records: k-way merge by line number (each partial is in line order). */
    for (i = 0; i < k; i++) {
        rs[i].f = fopen(paths[i], "rb");
        if (!rs[i].f) {
            cli_err("%s: cannot open (%s)", paths[i], strerror(errno));
            goto done;
        }
        rs_next(&rs[i]);
    }
    for (;;) {
        int b = -1;
        size_t len;
        char *colon;
        for (i = 0; i < k; i++)
            if (rs[i].live && (b < 0 || rs[i].no < rs[b].no)) b = i;
        if (b < 0) break;
        len = strlen(rs[b].line);
        if (len < 2 || rs[b].line[len - 1] != '}') {
            cli_err("%s: malformed record line", paths[b]);
            goto done;
        }
        rs[b].line[len - 1] = 0; /* back to the prefix */
        fprintf(recs, "%s\n", rs[b].line);
        colon = strrchr(rs[b].line, ':');
        if (hm_bh_add(bh, colon ? strtod(colon + 1, NULL) : 0) != HM_OK) {
            cli_err("merge: cannot spill p-values");
            goto done;
        }
        rs_next(&rs[b]);
    }
    if (hm_bh_threshold(bh, S.fdr, &S.bh_log10_threshold, &nrej, &m) != HM_OK) {
        cli_err("merge: Benjamini-Hochberg failed");
        goto done;
    }
    if (m != S.scanned) {
        cli_err("merge: the partials hold %llu records but report %llu scanned",
                (unsigned long long)m, S.scanned);
        goto done;
    }
    /* Tuples: k-way merge of the sorted side files, deduplicated. */
    for (i = 0; i < k; i++) {
        char path[4096];
        const char *tf = jstr(ps[i], "tuples_file");
        const char *slash = strrchr(paths[i], '/');
        if (!tf || strchr(tf, '/')) {
            cli_err("%s: bad \"tuples_file\"", paths[i]);
            goto done;
        }
        if (slash)
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - paths[i]), paths[i], tf);
        else
            snprintf(path, sizeof path, "%s", tf);
        ts[i].f = fopen(path, "rb");
        if (!ts[i].f) {
            cli_err("%s: cannot open (%s)", path, strerror(errno));
            goto done;
        }
        ts_next(&ts[i]);
    }
    for (;;) {
        int b = -1;
        for (i = 0; i < k; i++)
            if (ts[i].live && (b < 0 || ts[i].hash < ts[b].hash)) b = i;
        if (b < 0) break;
        if (!have_last || ts[b].hash != last_hash) {
            S.n_unique_tuples++;
            hm_fixsum_add(&S.sum, ts[b].v);
            last_hash = ts[b].hash;
            have_last = 1;
        } else if (ts[b].hash < last_hash) {
            cli_err("%s: tuple file not sorted", paths[b]);
            goto done;
        }
        ts_next(&ts[b]);
    }
    final = cli_create_beside(out, tmp_out, sizeof tmp_out);
    if (!final) {
        cli_err("%s: cannot write beside it (%s)", out, strerror(errno));
        goto done;
    }
    if (scan_flag_pass(recs, final, S.bh_log10_threshold, &S.flagged) != HM_OK) {
        cli_err("%s: write error", tmp_out);
        goto done;
    }
    sj = scan_summary_json(&S);
    {
        char *txt = cJSON_PrintUnformatted(sj);
        fprintf(final, "%s\n", txt ? txt : "{}");
        free(txt);
    }
    if (cli_commit_beside(final, tmp_out, out) != HM_OK) {
        final = NULL;
        cli_err("%s: write error (%s)", out, strerror(errno));
        goto done;
    }
    final = NULL;
    if (json) {
        cli_json_add_argv(sj);
        cli_print_json(sj, 0);
    } else {
        hm_detect_result r;
        char pstr[64];
        (void)hm_scan_test(S.test, S.null_param, S.layers, hm_fixsum_value(&S.sum),
                           S.n_unique_tuples, &r);
        (void)hm_stats_format_p(r.ln_p, pstr, sizeof pstr);
        printf("%llu lines: %llu scanned, %llu empty, %llu malformed (%d shards)\n"
               "%llu flagged at FDR %g (Benjamini-Hochberg)\n"
               "corpus: %llu unique tuples, mean score %.4f, p = %s\n",
               S.lines, S.scanned, S.empty, S.malformed, k, S.flagged, S.fdr, S.n_unique_tuples,
               r.mean_score, pstr);
    }
    {
        hm_detect_result r;
        (void)hm_scan_test(S.test, S.null_param, S.layers, hm_fixsum_value(&S.sum),
                           S.n_unique_tuples, &r);
        rc = (S.flagged > 0 || (S.n_unique_tuples > 0 && r.log10_p <= log10(S.alpha)))
                 ? CLI_OK
                 : CLI_NOT_DETECTED;
    }
done:
    cJSON_Delete(sj);
    if (final) fclose(final);
    if (tmp_out[0]) unlink(tmp_out);
    if (recs) fclose(recs);
    for (i = 0; rs && i < k; i++) {
        if (rs[i].f) fclose(rs[i].f);
        free(rs[i].line);
    }
    for (i = 0; ts && i < k; i++)
        if (ts[i].f) fclose(ts[i].f);
    free(rs);
    free(ts);
    hm_bh_free(bh);
    return rc;
}

int cli_merge(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, 0, 'o'},
                                             {"tmpdir", required_argument, 0, 'T'},
                                             {"json", no_argument, 0, 'J'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *out = NULL, *tmpdir = NULL, *type = NULL;
    int c, json = 0, k, i, rc = CLI_ERROR;
    cJSON **ps;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'T': tmpdir = optarg; break;
        case 'J': json = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("merge", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    k = argc - optind;
    if (k < 1) return cli_usage_error("merge", "expected at least one PARTIAL");
    if (k > MAX_PARTS) return cli_usage_error("merge", "too many partials (at most %d)", MAX_PARTS);
    ps = calloc((size_t)k, sizeof *ps);
    if (!ps) return cli_fail(HM_E_NOMEM, "merge");
    for (i = 0; i < k; i++) {
        const char *path = argv[optind + i];
        char *ll = last_line(path);
        const char *t;
        if (!ll) {
            cli_err("%s: cannot read or empty", path);
            goto done;
        }
        ps[i] = cJSON_Parse(ll);
        free(ll);
        t = ps[i] ? jstr(ps[i], "type") : NULL;
        if (!t || (strcmp(t, "scan-partial") != 0 && strcmp(t, "radioactivity-partial") != 0)) {
            cli_err("%s: not a partial result (no \"type\": scan-partial or radioactivity-partial)",
                    path);
            goto done;
        }
        if (!type) type = t;
        if (strcmp(type, t) != 0) {
            cli_err("%s: type %s differs from %s", path, t, type);
            goto done;
        }
    }
    if (check_shards(ps, k, argv + optind) != 0) goto done;
    if (strcmp(type, "scan-partial") == 0)
        rc = merge_scan(ps, k, argv + optind, out, tmpdir, json);
    else
        rc = merge_radio(ps, k, argv + optind, out, json);
done:
    for (i = 0; i < k; i++) cJSON_Delete(ps[i]);
    free(ps);
    return rc;
}
