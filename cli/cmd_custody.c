/*
 * cmd_custody.c - `hallmark custody verify FILE` (check a hash-chained
 * custody log) and cli_custody_append(), which records any command run
 * with the global option --custody-log FILE.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hallmark/report.h"

#define MAX_FILES 256

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark custody verify FILE\n"
"\n"
"Checks a custody log written by --custody-log FILE (a global option of every\n"
"command): every entry's hash, the chain of previous-entry hashes and the\n"
"numbering.  Prints the number of entries and the last hash (the tip: publish\n"
"or timestamp it, since dropping entries from the end is only visible against a\n"
"published tip).  Exit 0 intact, 1 broken chain, 2 error.\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds path (or, for a directory, its regular files, sorted) to files. */
static void add_path(const char *path, const char *log, char **files, size_t *n)
{
    struct stat st;
    if (*n >= MAX_FILES || stat(path, &st) != 0) return;
    if (strcmp(path, log) == 0) return;
    if (S_ISREG(st.st_mode)) {
        files[*n] = strdup(path);
        if (files[*n]) (*n)++;
    } else if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        size_t first = *n;
        if (!d) return;
        while ((e = readdir(d)) != NULL && *n < MAX_FILES) {
            size_t a = strlen(path), b = strlen(e->d_name);
            char *p;
            if (e->d_name[0] == '.') continue;
            p = malloc(a + b + 2);
            if (!p) break;
            memcpy(p, path, a);
            p[a] = '/';
            memcpy(p + a + 1, e->d_name, b + 1);
            if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && strcmp(p, log) != 0)
                files[(*n)++] = p;
            else
                free(p);
        }
        closedir(d);
        qsort(files + first, *n - first, sizeof *files, cmp_str);
    }
}

#define MAX_ARGS 512

int cli_custody_append(const char *log, int argc, char **argv, int status)
{
    char *files[MAX_FILES] = {0};
    size_t n = 0, i;
    int k, s;
    char hash[65];
    for (k = 1; k < argc; k++) {
        /* never hash a passphrase file (that would help guess the
         * passphrase) or an interop engine's key list */
        int secret_file = cli_option_is(argv[k], "passphrase-file") ||
                          cli_option_is(argv[k], "synthid-keys") ||
                          cli_option_is(argv[k], "vllm-key") || cli_option_is(argv[k], "sglang-key");
        if (secret_file && !strchr(argv[k], '=')) {
            k++; /* by meaning: any spelling getopt accepts, e.g. --passphrase */
            continue;
        }
        if (strncmp(argv[k], "--", 2) == 0) {
            const char *eq = strchr(argv[k], '=');
            if (eq && !secret_file) add_path(eq + 1, log, files, &n);
            continue;
        }
        add_path(argv[k], log, files, &n);
    }
    {
        /* interop engines' keys are recorded as <redacted>, as in results */
        static char red[MAX_ARGS][64];
        const char *args[MAX_ARGS] = {0};
        int m = argc < MAX_ARGS ? argc : MAX_ARGS;
        for (k = 0; k < m; k++)
            args[k] = cli_redact_arg(k ? argv[k - 1] : NULL, argv[k], red[k], sizeof red[k]);
        s = hm_custody_append(log, args, (size_t)m, status, (const char *const *)files, n, hash);
    }
    for (i = 0; i < n; i++) free(files[i]);
    if (s == HM_E_CORRUPT) {
        cli_err("custody log %s: the chain is broken; not appending (run 'hallmark custody "
                "verify %s')", log, log);
        return CLI_ERROR;
    }
    if (s != HM_OK) {
        cli_err("custody log %s: cannot append: %s", log, hm_strerror(s));
        return CLI_ERROR;
    }
    return CLI_OK;
}

int cli_custody(int argc, char **argv)
{
    uint64_t n = 0, bad = 0;
    char tip[65];
    int s;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc >= 3 && strcmp(argv[1], "verify") == 0 &&
        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc != 3 || strcmp(argv[1], "verify") != 0)
        return cli_usage_error("custody", "usage: hallmark custody verify FILE");
    s = hm_custody_verify(argv[2], &n, &bad, tip);
    if (s == HM_E_IO) {
        cli_err("%s: cannot read", argv[2]);
        return CLI_ERROR;
    }
    if (s == HM_E_CORRUPT) {
        printf("BROKEN: entry %llu of %s does not chain (bad hash, previous hash, numbering "
               "or format); %llu entries before it are intact\n",
               (unsigned long long)bad, argv[2], (unsigned long long)n);
        return CLI_NOT_DETECTED;
    }
    if (s != HM_OK) return cli_fail(s, argv[2]);
    printf("OK: %llu entries, chain intact; tip %s\n", (unsigned long long)n, tip);
    return CLI_OK;
}
