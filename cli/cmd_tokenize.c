/*
 * cmd_tokenize.c - `hallmark tokenize`, `hallmark detokenize` and
 * `hallmark bench tokenize`: text to token ids and back with the exact
 * tokenizers of include/hallmark/tokenizer.h, plus the encode-throughput
 * benchmark against native Rust tiktoken and Rust HF tokenizers.
 *
 * Tokenizer names are resolved here (the library takes paths only): in
 * $HALLMARK_TOKENIZERS, then <dir of the executable>/../samples/tokenizers,
 * then <dir of the executable>/../share/hallmark/tokenizers (an installed CLI,
 * whatever PREFIX it was built with), then HM_DATADIR/tokenizers.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hallmark/tokenizer.h"

#ifndef HM_DATADIR
#define HM_DATADIR "/usr/local/share/hallmark"
#endif

struct tok_name {
    const char *name;
    const char *file;
};

static const struct tok_name tok_names[] = {
    {"cl100k_base", "cl100k_base.tiktoken"}, {"o200k_base", "o200k_base.tiktoken"},
    {"r50k_base", "r50k_base.tiktoken"},     {"p50k_base", "p50k_base.tiktoken"},
    {"qwen3", "qwen3.tokenizer.json"},       {"mistral", "mistral.tokenizer.json"},
    {"gpt2", "gpt2.tokenizer.json"},
};
#define N_TOK_NAMES (sizeof tok_names / sizeof tok_names[0])

/* The first existing <dir of /proc/self/exe>/[../]*REL (REL starts with
 * "../"; up to two more levels, for nested build directories such as
 * build/asan) into out; 0 if none. */
static int exe_relative(const char *rel, char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    int up;
    if (n <= 0) return 0;
    exe[n] = 0;
    slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = 0;
    for (up = 0; up < 3; up++) {
        static const char *const ups[3] = {"", "../", "../../"};
        if (snprintf(out, cap, "%s/%s%s", exe, ups[up], rel) >= (int)cap) return 0;
        if (access(out, F_OK) == 0) return 1;
    }
    return 0;
}

static int file_exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* Resolves NAME|PATH to a file path; returns 0 and prints a message if the
 * name is unknown or its file is missing. */
static int resolve_tokenizer(const char *arg, char *path, size_t cap, const char **encoding)
{
    size_t i;
    const char *file = NULL;
    char dir[PATH_MAX];
    const char *env;
    *encoding = NULL;
    for (i = 0; i < N_TOK_NAMES; i++)
        if (strcmp(arg, tok_names[i].name) == 0) file = tok_names[i].file;
    if (!file) {
        if (strchr(arg, '/') || file_exists(arg)) {
            snprintf(path, cap, "%s", arg);
            return 1;
        }
        cli_err("unknown tokenizer '%s' (names: cl100k_base, o200k_base, r50k_base, "
                "p50k_base, qwen3, mistral, gpt2; or a path to a .tiktoken or "
                "tokenizer.json file)",
                arg);
        return 0;
    }
    if (strstr(file, ".tiktoken")) *encoding = arg;
    env = getenv("HALLMARK_TOKENIZERS");
    if (env && *env) {
        snprintf(path, cap, "%s/%s", env, file);
        if (file_exists(path)) return 1;
    }
    if (exe_relative("../samples/tokenizers/manifest.json", dir, sizeof dir)) {
        dir[strlen(dir) - strlen("/manifest.json")] = 0;
        snprintf(path, cap, "%s/%s", dir, file);
        if (file_exists(path)) return 1;
    }
    /* An installed CLI finds its data beside it (PREFIX/bin/hallmark and
     * PREFIX/share/hallmark), whatever PREFIX the build was made with. */
    if (exe_relative("../share/hallmark/tokenizers", dir, sizeof dir)) {
        snprintf(path, cap, "%s/%s", dir, file);
        if (file_exists(path)) return 1;
    }
    snprintf(path, cap, "%s/tokenizers/%s", HM_DATADIR, file);
    if (file_exists(path)) return 1;
    cli_err("tokenizer '%s': %s not found in $HALLMARK_TOKENIZERS, next to the executable "
            "(../samples/tokenizers) or in %s/tokenizers; run 'make deps' to fetch it",
            arg, file, HM_DATADIR);
    return 0;
}

int cli_open_tokenizer(const char *arg, const char *encoding_opt, hm_tokenizer **tok)
{
    char path[PATH_MAX + 64], err[256];
    const char *encoding;
    int rc;
    if (!resolve_tokenizer(arg, path, sizeof path, &encoding)) return CLI_ERROR;
    if (encoding_opt) encoding = encoding_opt;
    rc = hm_tokenizer_load(tok, path, encoding, err, sizeof err);
    if (rc) {
        cli_err("cannot load tokenizer %s: %s", path, err[0] ? err : hm_strerror(rc));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static void tokenize_usage(FILE *out)
{
    fprintf(out,
            "Usage: hallmark tokenize --tokenizer NAME|PATH [--offsets] [--json] [--special]\n"
            "                         [--encoding NAME] [FILE|-]\n\n"
            "Turns text (FILE, or standard input) into token ids.\n\n"
            "  --tokenizer NAME|PATH  cl100k_base, o200k_base, r50k_base, p50k_base, qwen3,\n"
            "                         mistral, gpt2, or a .tiktoken / tokenizer.json file\n"
            "  --encoding NAME        the split regex and specials of a .tiktoken file given\n"
            "                         by path (default: recognized by its sha256)\n"
            "  --offsets              also give each token's byte range [start, end) in FILE\n"
            "  --json                 print {\"ids\": [...]} (plus \"offsets\": [[s, e], ...])\n"
            "  --special              recognize special tokens such as <|endoftext|> in the\n"
            "                         text (default: encode them as ordinary text)\n\n"
            "Without --json: ids separated by spaces on one line; with --offsets, one\n"
            "\"id start end\" line per token.  Exit status 0 ok, 2 error.\n");
}

int cli_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {{"tokenizer", required_argument, NULL, 't'},
                                         {"encoding", required_argument, NULL, 'e'},
                                         {"offsets", no_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"special", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *tname = NULL, *encoding = NULL, *input = "-";
    int offsets = 0, json = 0, special = 0, c, rc;
    hm_tokenizer *tok = NULL;
    hm_tok_output out;
    unsigned char *text = NULL;
    size_t len = 0, i;
    unsigned flags;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': tname = optarg; break;
        case 'e': encoding = optarg; break;
        case 'o': offsets = 1; break;
        case 'j': json = 1; break;
        case 's': special = 1; break;
        case 'h': tokenize_usage(stdout); return CLI_OK;
        default: return cli_usage_error("tokenize", "invalid option");
        }
    }
    if (!tname) return cli_usage_error("tokenize", "--tokenizer is required");
    if (argc - optind > 1) return cli_usage_error("tokenize", "at most one input file");
    if (optind < argc) input = argv[optind];
    if (cli_open_tokenizer(tname, encoding, &tok) != CLI_OK) return CLI_ERROR;
    rc = cli_read_file(input, &text, &len);
    if (rc) {
        hm_tokenizer_free(tok);
        return cli_fail(rc, input);
    }
    hm_tok_output_init(&out);
    flags = (special ? HM_TOK_SPECIAL : 0u) | (offsets ? HM_TOK_OFFSETS : 0u);
    rc = hm_tokenizer_encode(tok, NULL, text, len, flags, &out);
    free(text);
    if (rc) {
        hm_tokenizer_free(tok);
        hm_tok_output_clear(&out);
        return cli_fail(rc, "tokenize");
    }
    if (json) {
        cJSON *root = cJSON_CreateObject(), *ids = cJSON_CreateArray(), *offs = NULL;
        int ok = root && ids;
        if (ok) cJSON_AddItemToObject(root, "ids", ids);
        for (i = 0; ok && i < out.len; i++) {
            cJSON *v = cJSON_CreateNumber((double)out.ids[i]);
            ok = v != NULL;
            if (ok) cJSON_AddItemToArray(ids, v);
        }
        if (ok && offsets) {
            offs = cJSON_CreateArray();
            ok = offs != NULL;
            if (ok) cJSON_AddItemToObject(root, "offsets", offs);
            for (i = 0; ok && i < out.len; i++) {
                double se[2];
                cJSON *pair;
                se[0] = (double)out.offsets[i].start;
                se[1] = (double)out.offsets[i].end;
                pair = cJSON_CreateDoubleArray(se, 2);
                ok = pair != NULL;
                if (ok) cJSON_AddItemToArray(offs, pair);
            }
        }
        if (ok) cli_print_json(root, 1);
        cJSON_Delete(root);
        if (!ok) {
            hm_tokenizer_free(tok);
            hm_tok_output_clear(&out);
            return cli_fail(HM_E_NOMEM, "tokenize");
        }
    } else if (offsets) {
        for (i = 0; i < out.len; i++)
            printf("%u %llu %llu\n", out.ids[i], (unsigned long long)out.offsets[i].start,
                   (unsigned long long)out.offsets[i].end);
    } else {
        for (i = 0; i < out.len; i++) printf(i ? " %u" : "%u", out.ids[i]);
        putchar('\n');
    }
    hm_tokenizer_free(tok);
    hm_tok_output_clear(&out);
    if (fflush(stdout) != 0) return cli_fail(HM_E_IO, "stdout");
    return CLI_OK;
}

static void detokenize_usage(FILE *out)
{
    fprintf(out,
            "Usage: hallmark detokenize --tokenizer NAME|PATH [--encoding NAME] [--lines]\n"
            "                           [FILE|-]\n\n"
            "Turns token ids back into text (written to standard output as raw bytes).\n"
            "The input is either `hallmark tokenize --json` output ({\"ids\": [...]}) or\n"
            "ids separated by spaces, commas or newlines: one sequence in all.\n\n"
            "  --lines   each input line is its own sequence (ids, or {\"ids\": [...]});\n"
            "            prints one JSON line {\"line\", \"text\", \"valid_utf8\"} per\n"
            "            input line (invalid UTF-8 as U+FFFD); a bad line is named and\n"
            "            the rest are still decoded (exit 2 if any was bad)\n\n"
            "Exit status 0 ok, 2 error.\n");
}

/* Parses ids from JSON {"ids": [...]} or a plain list. */
static int parse_ids(const unsigned char *text, size_t len, uint32_t **ids, size_t *n)
{
    size_t i = 0, cap = 0;
    *ids = NULL;
    *n = 0;
    while (i < len && isspace(text[i])) i++;
    if (i < len && (text[i] == '{' || text[i] == '[')) {
        cJSON *root = cJSON_ParseWithLength((const char *)text, len), *arr, *it;
        if (!root) {
            cli_err("detokenize: malformed JSON input");
            return 0;
        }
        arr = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "ids");
        if (!cJSON_IsArray(arr)) {
            cli_err("detokenize: JSON input has no \"ids\" array");
            cJSON_Delete(root);
            return 0;
        }
        cap = (size_t)cJSON_GetArraySize(arr) + 1;
        *ids = malloc(cap * sizeof **ids);
        if (!*ids) {
            cJSON_Delete(root);
            cli_err("detokenize: out of memory");
            return 0;
        }
        cJSON_ArrayForEach(it, arr)
        {
            double v = cJSON_IsString(it) ? strtod(it->valuestring, NULL) : it->valuedouble;
            if ((!cJSON_IsNumber(it) && !cJSON_IsString(it)) || v < 0 || v > 4294967295.0 ||
                v != (double)(uint32_t)v) {
                cli_err("detokenize: id #%zu is not a non-negative integer", *n);
                cJSON_Delete(root);
                free(*ids);
                *ids = NULL;
                return 0;
            }
            (*ids)[(*n)++] = (uint32_t)v;
        }
        cJSON_Delete(root);
        return 1;
    }
    {
        size_t at = 0;
        int st = cli_parse_ids(text, len, 1, ids, &at);
        if (st == HM_E_FORMAT) {
            cli_err("detokenize: invalid id at byte %zu (want integers separated by spaces, "
                    "commas or newlines, or {\"ids\": [...]})",
                    at);
            return 0;
        }
        if (st != HM_OK) {
            cli_err("detokenize: out of memory");
            return 0;
        }
        *n = at;
    }
    return 1;
}

#define CLI_IO_FAILED 3 /* decode_emit: the output could not be written */

/* Decodes ids and writes the bytes (lineno 0), or one JSON line {"line",
 * "text", "valid_utf8"} (lineno > 0).  CLI_OK, CLI_ERROR (said why), or
 * CLI_IO_FAILED. */
static int decode_emit(hm_tokenizer *tok, const uint32_t *ids, size_t n, size_t lineno)
{
    unsigned char *buf = NULL;
    size_t need = 0;
    int rc = hm_tokenizer_decode(tok, ids, n, NULL, 0, &need);
    if (rc == HM_E_RANGE || (rc == HM_OK && lineno)) {
        buf = malloc(need + 1);
        rc = buf ? hm_tokenizer_decode(tok, ids, n, buf, need, &need) : HM_E_NOMEM;
    }
    if (rc == HM_E_NOTFOUND) {
        size_t i;
        for (i = 0; i < n; i++) {
            const unsigned char *b;
            size_t bl;
            if (hm_tokenizer_token_bytes(tok, ids[i], &b, &bl) != HM_OK) break;
        }
        if (lineno)
            cli_err("detokenize: line %zu: id %u (#%zu) is not in the vocabulary of %s (size %u)",
                    lineno, i < n ? ids[i] : 0, i, hm_tokenizer_name(tok),
                    hm_tokenizer_vocab_size(tok));
        else
            cli_err("detokenize: id %u (#%zu) is not in the vocabulary of %s (size %u)",
                    i < n ? ids[i] : 0, i, hm_tokenizer_name(tok), hm_tokenizer_vocab_size(tok));
        rc = CLI_ERROR;
    } else if (rc) {
        rc = cli_fail(rc, "detokenize");
    } else if (!lineno) {
        if (need && fwrite(buf, 1, need, stdout) != need) rc = CLI_IO_FAILED;
        else rc = fflush(stdout) == 0 ? CLI_OK : CLI_IO_FAILED;
        if (rc == CLI_IO_FAILED) cli_fail(HM_E_IO, "stdout");
    } else {
        cJSON *o = cJSON_CreateObject();
        int valid = cli_utf8_valid(buf, need, NULL);
        char *safe = valid ? NULL : cli_utf8_sanitize(buf, need);
        buf[need] = 0;
        rc = CLI_ERROR;
        if (o && (valid || safe)) {
            cJSON_AddNumberToObject(o, "line", (double)lineno);
            cJSON_AddStringToObject(o, "text", valid ? (const char *)buf : safe);
            cJSON_AddBoolToObject(o, "valid_utf8", valid);
            rc = cli_print_json(o, 1) == HM_OK ? CLI_OK : CLI_IO_FAILED;
        }
        free(safe);
        cJSON_Delete(o);
    }
    free(buf);
    return rc;
}

int cli_detokenize(int argc, char **argv)
{
    static const struct option opts[] = {{"tokenizer", required_argument, NULL, 't'},
                                         {"encoding", required_argument, NULL, 'e'},
                                         {"lines", no_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *tname = NULL, *encoding = NULL, *input = "-";
    hm_tokenizer *tok = NULL;
    unsigned char *text = NULL;
    uint32_t *ids = NULL;
    size_t len = 0, n = 0;
    int c, rc, lines = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': tname = optarg; break;
        case 'e': encoding = optarg; break;
        case 'l': lines = 1; break;
        case 'h': detokenize_usage(stdout); return CLI_OK;
        default: return cli_usage_error("detokenize", "invalid option");
        }
    }
    if (!tname) return cli_usage_error("detokenize", "--tokenizer is required");
    if (argc - optind > 1) return cli_usage_error("detokenize", "at most one input file");
    if (optind < argc) input = argv[optind];
    rc = cli_read_file(input, &text, &len);
    if (rc) return cli_fail(rc, input);
    if (cli_open_tokenizer(tname, encoding, &tok) != CLI_OK) {
        free(text);
        return CLI_ERROR;
    }
    if (!lines) {
        rc = parse_ids(text, len, &ids, &n) ? decode_emit(tok, ids, n, 0) : CLI_ERROR;
        free(ids);
    } else {
        /* One sequence per line; one JSON line per sequence (a text may
         * hold newlines); a bad line is named and counted, the rest go on. */
        size_t at = 0, lineno = 0, bad = 0;
        rc = CLI_OK;
        while (at < len) {
            const unsigned char *nl = memchr(text + at, '\n', len - at);
            size_t ll = nl ? (size_t)(nl - (text + at)) : len - at;
            lineno++;
            ids = NULL;
            n = 0;
            if (parse_ids(text + at, ll, &ids, &n)) {
                int r = decode_emit(tok, ids, n, lineno);
                if (r == CLI_IO_FAILED) rc = CLI_ERROR;
                else if (r != CLI_OK) bad++;
            } else {
                cli_err("detokenize: line %zu skipped", lineno);
                bad++;
            }
            free(ids);
            at += ll + (nl ? 1 : 0);
            if (rc != CLI_OK) break;
        }
        if (rc == CLI_OK && bad) {
            cli_err("detokenize: %zu of %zu lines could not be decoded", bad, lineno);
            rc = CLI_ERROR;
        }
    }
    free(text);
    hm_tokenizer_free(tok);
    return rc;
}

/* ---- bench ------------------------------------------------------------- */

static void bench_usage(FILE *out)
{
    fprintf(out,
            "Usage: hallmark bench tokenize [--corpus FILE] [--repeat N] [--no-baseline]\n\n"
            "Single-thread encode throughput (MB/s) of cl100k_base, o200k_base and qwen3 on a\n"
            "fixed public-domain corpus (default: the King James Bible printed by Debian's\n"
            "`bible`), side by side with native Rust tiktoken (tiktoken-rs-node) and Rust HF\n"
            "tokenizers (@anush008/tokenizers), run with node from tests/oracle.  Prints the\n"
            "ratios and whether the ids are identical.\n");
}

static uint32_t ids_hash(const uint32_t *ids, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ ids[i]) * 16777619u;
    return h;
}

struct bench_row {
    const char *name;
    double mbps, load_ms;
    uint32_t hash;
    size_t count;
    int ok;
};

static int read_kjv(unsigned char **text, size_t *len)
{
    FILE *p = popen("bible -f \"Gen1:1-Rev22:21\" </dev/null 2>/dev/null", "r");
    size_t cap = 0, n = 0, got;
    unsigned char *buf = NULL;
    if (!p) return 0;
    for (;;) {
        if (cap - n < 65536) {
            size_t ncap = cap ? cap * 2 : (1u << 22);
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) break;
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, p);
        n += got;
        if (got == 0) break;
    }
    if (pclose(p) != 0 || n < 1000000) {
        free(buf);
        return 0;
    }
    *text = buf;
    *len = n;
    return 1;
}

int cli_bench_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {{"corpus", required_argument, NULL, 'c'},
                                         {"repeat", required_argument, NULL, 'r'},
                                         {"no-baseline", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct bench_row rows[3] = {{"cl100k_base", 0, 0, 0, 0, 0},
                                {"o200k_base", 0, 0, 0, 0, 0},
                                {"qwen3", 0, 0, 0, 0, 0}};
    const char *corpus = NULL;
    char corpus_tmp[] = "/tmp/hallmark-bench-XXXXXX";
    unsigned char *text = NULL;
    size_t len = 0, k;
    long repeat = 3;
    int baseline = 1, c, rc, tmpfd = -1, status = CLI_OK;
    hm_tok_scratch *scratch = NULL;
    hm_tok_output out;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': corpus = optarg; break;
        case 'r':
            repeat = strtol(optarg, NULL, 10);
            if (repeat < 1 || repeat > 100)
                return cli_usage_error("bench tokenize", "--repeat must be 1..100");
            break;
        case 'n': baseline = 0; break;
        case 'h': bench_usage(stdout); return CLI_OK;
        default: return cli_usage_error("bench tokenize", "invalid option");
        }
    }
    if (corpus) {
        rc = cli_read_file(corpus, &text, &len);
        if (rc) return cli_fail(rc, corpus);
    } else {
        if (!read_kjv(&text, &len)) {
            cli_err("bench tokenize: cannot run `bible` (Debian package bible-kjv); "
                    "give --corpus FILE");
            return CLI_ERROR;
        }
        tmpfd = mkstemp(corpus_tmp);
        if (tmpfd < 0 || write(tmpfd, text, len) != (ssize_t)len) {
            cli_err("bench tokenize: cannot write %s", corpus_tmp);
            free(text);
            if (tmpfd >= 0) close(tmpfd);
            unlink(corpus_tmp);
            return CLI_ERROR;
        }
        close(tmpfd);
        corpus = corpus_tmp;
    }
    printf("corpus: %s (%.2f MB), best of %ld runs, one thread\n",
           tmpfd >= 0 ? "KJV Bible (bible -f Gen1:1-Rev22:21)" : corpus, (double)len / 1e6,
           repeat);
    if (hm_tok_scratch_new(&scratch) != HM_OK) {
        free(text);
        return cli_fail(HM_E_NOMEM, "bench");
    }
    hm_tok_output_init(&out);
    for (k = 0; k < 3; k++) {
        hm_tokenizer *tok = NULL;
        double t0 = cli_now(), best = 1e30;
        long r;
        if (cli_open_tokenizer(rows[k].name, NULL, &tok) != CLI_OK) {
            status = CLI_ERROR;
            continue;
        }
        rows[k].load_ms = (cli_now() - t0) * 1e3;
        for (r = 0; r < repeat; r++) {
            double t1;
            out.len = 0;
            t1 = cli_now();
            rc = hm_tokenizer_encode(tok, scratch, text, len, 0, &out);
            t1 = cli_now() - t1;
            if (rc) break;
            if (t1 < best) best = t1;
        }
        if (rc) {
            cli_fail(rc, "bench encode");
            status = CLI_ERROR;
        } else {
            rows[k].ok = 1;
            rows[k].mbps = (double)len / 1e6 / best;
            rows[k].count = out.len;
            rows[k].hash = ids_hash(out.ids, out.len);
            printf("hallmark      %-12s %8.2f MB/s  %9zu tokens  load %7.1f ms\n", rows[k].name,
                   rows[k].mbps, rows[k].count, rows[k].load_ms);
        }
        hm_tokenizer_free(tok);
    }
    hm_tok_output_clear(&out);
    hm_tok_scratch_free(scratch);
    free(text);
    fflush(stdout);
    if (baseline) {
        char script[PATH_MAX], cmd[2 * PATH_MAX + 64], line[512];
        const char *odir = getenv("HALLMARK_ORACLE_DIR");
        FILE *p;
        if (odir && *odir)
            snprintf(script, sizeof script, "%s/bench.js", odir);
        else if (!exe_relative("../tests/oracle/bench.js", script, sizeof script))
            script[0] = 0;
        if (!script[0] || !file_exists(script)) {
            cli_err("bench tokenize: baseline script tests/oracle/bench.js not found");
            status = CLI_ERROR;
        } else {
            snprintf(cmd, sizeof cmd, "node '%s' '%s' %ld", script, corpus, repeat);
            p = popen(cmd, "r");
            if (!p) {
                cli_err("bench tokenize: cannot run node");
                status = CLI_ERROR;
            } else {
                int seen = 0;
                while (fgets(line, sizeof line, p)) {
                    char eng[64], name[64];
                    double mbps;
                    unsigned hash;
                    size_t count;
                    if (sscanf(line, "%63s %63s %lf %u %zu", eng, name, &mbps, &hash, &count) !=
                        5)
                        continue;
                    for (k = 0; k < 3; k++) {
                        if (strcmp(rows[k].name, name) != 0 || !rows[k].ok) continue;
                        seen++;
                        printf("%-13s %-12s %8.2f MB/s  %9zu tokens  ratio %.2fx  ids %s\n",
                               eng, name, mbps, count, rows[k].mbps / mbps,
                               hash == rows[k].hash && count == rows[k].count ? "identical"
                                                                              : "DIFFER");
                        if (hash != rows[k].hash || count != rows[k].count)
                            status = CLI_ERROR;
                    }
                }
                if (pclose(p) != 0 || seen == 0) {
                    cli_err("bench tokenize: the node baselines failed (run 'make deps')");
                    status = CLI_ERROR;
                }
            }
        }
    }
    if (tmpfd >= 0) unlink(corpus_tmp);
    return status;
}
