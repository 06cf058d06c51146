/*
 * cmd_custody.c - `hallmark custody verify|checkpoint|repair FILE` (check,
 * sign and repair a hash-chained custody log) and cli_custody_append(), which records any command run
 * with the global option --custody-log FILE.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hallmark/key.h"
#include "hallmark/report.h"

#define MAX_FILES 256

static void usage(FILE *out)
{
    fprintf(out,
"Usage: hallmark custody verify FILE [--pubkey SIGNER.pub]\n"
"       hallmark custody checkpoint FILE --sign SIGNING_KEY [--passphrase-file F]\n"
"       hallmark custody repair FILE\n"
"\n"
"A custody log is written by --custody-log FILE (a global option of every\n"
"command): one hash-chained JSON line per action.\n"
"\n"
"  verify      checks every entry's hash, the chain and the numbering, and with\n"
"              --pubkey every signed checkpoint.  Prints the entries, the tip (the\n"
"              last hash) and how many entries a valid checkpoint covers.  Anyone\n"
"              who can write the file can rewrite the chain; a checkpoint signed\n"
"              by the operator's key cannot be rewritten without that key.\n"
"              Entries after the last checkpoint, and dropping them, are visible\n"
"              only against a tip published or timestamped elsewhere.\n"
"  checkpoint  appends a checkpoint signed with SIGNING_KEY ('key new-signing')\n"
"              over the number of entries and the tip.\n"
"  repair      after a crash cut an append short (the last line incomplete):\n"
"              moves that line to FILE.damaged-TIME, kept as evidence, and\n"
"              appends a repair entry with its SHA-256.  A chain broken anywhere\n"
"              else is never changed.\n"
"\n"
"Exit status: 0 intact (verify) or done, 1 broken chain, bad checkpoint or\n"
"incomplete last line (verify), 2 error.  See docs/evidence.md.\n");
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

/* The message when a log cannot be extended (doing: "appending", ...):
 * an incomplete last line (HM_E_TRUNCATED) or a broken chain
 * (HM_E_CORRUPT).  Returns CLI_ERROR. */
static int chain_refused(const char *log, int status, const char *doing)
{
    if (status == HM_E_TRUNCATED)
        cli_err("custody log %s: its last line is incomplete (an append was cut short); not "
                "%s: run 'hallmark custody repair %s', which keeps that line as evidence",
                log, doing, log);
    else
        cli_err("custody log %s: the chain is broken; not %s (run 'hallmark custody verify %s')",
                log, doing, log);
    return CLI_ERROR;
}

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
    if (s == HM_E_TRUNCATED || s == HM_E_CORRUPT) return chain_refused(log, s, "appending");
    if (s != HM_OK) {
        cli_err("custody log %s: cannot append: %s", log, hm_strerror(s));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int custody_verify(const char *log, const char *pubf)
{
    hm_custody_status st;
    hm_key *pub = NULL;
    int s, rc = CLI_OK;
    if (pubf && cli_load_key(pubf, NULL, &pub) != CLI_OK) return CLI_ERROR;
    s = hm_custody_audit(log, pub, &st);
    hm_key_free(pub);
    if (s == HM_E_IO) {
        cli_err("%s: cannot read", log);
        return CLI_ERROR;
    }
    if (s != HM_OK && s != HM_E_CORRUPT && s != HM_E_SIGNATURE) return cli_fail(s, log);
    if (s == HM_E_CORRUPT && st.incomplete_tail) {
        printf("INCOMPLETE: the last line of %s (entry %llu) is incomplete: an append was cut "
               "short (a crash); the %llu entries before it are intact.  'hallmark custody "
               "repair' keeps the line as evidence and lets the log go on.\n",
               log, (unsigned long long)st.bad_line, (unsigned long long)st.n_entries);
        rc = CLI_NOT_DETECTED;
    } else if (s == HM_E_CORRUPT) {
        printf("BROKEN: entry %llu of %s does not chain (bad hash, previous hash, numbering "
               "or format); %llu entries before it are intact\n",
               (unsigned long long)st.bad_line, log, (unsigned long long)st.n_entries);
        rc = CLI_NOT_DETECTED;
    } else {
        printf("OK: %llu entries, chain intact; tip %s\n", (unsigned long long)st.n_entries,
               st.tip);
    }
    if (st.n_checkpoints_invalid) {
        printf("BAD CHECKPOINT: %llu signed checkpoint%s did not verify under %s (a rewritten "
               "log, another signer, or a checkpoint that does not match the chain)\n",
               (unsigned long long)st.n_checkpoints_invalid,
               st.n_checkpoints_invalid == 1 ? "" : "s",
               pubf ? pubf : "any key (its count or tip does not match the chain)");
        rc = CLI_NOT_DETECTED;
    }
    if (st.n_checkpoints_valid)
        printf("signed: %llu checkpoint%s verified; the last covers entries 1..%llu (tip %s); "
               "%llu entr%s after it %s not yet covered\n",
               (unsigned long long)st.n_checkpoints_valid,
               st.n_checkpoints_valid == 1 ? "" : "s", (unsigned long long)st.attested,
               st.last_checkpoint_tip, (unsigned long long)(st.n_entries - st.attested),
               st.n_entries - st.attested == 1 ? "y" : "ies",
               st.n_entries - st.attested == 1 ? "is" : "are");
    else if (st.n_checkpoints_unchecked)
        printf("not checked: %llu signed checkpoint%s (give --pubkey SIGNER.pub to check them)\n",
               (unsigned long long)st.n_checkpoints_unchecked,
               st.n_checkpoints_unchecked == 1 ? "" : "s");
    else if (pubf && rc == CLI_OK)
        printf("no signed checkpoint: nothing in this log is attested by %s\n", pubf);
    return rc;
}

static int custody_checkpoint(const char *log, const char *signf, const char *passf)
{
    hm_key *signer = NULL;
    uint64_t n = 0;
    char h[65];
    int s;
    if (cli_load_key(signf, passf, &signer) != CLI_OK) return CLI_ERROR;
    if (hm_key_kind(signer) != HM_KEY_SIGNING) {
        hm_key_free(signer);
        cli_err("%s: not a signing key (make one with 'hallmark key new-signing')", signf);
        return CLI_ERROR;
    }
    s = hm_custody_checkpoint(log, signer, &n, h);
    hm_key_free(signer);
    if (s == HM_E_TRUNCATED || s == HM_E_CORRUPT) return chain_refused(log, s, "signing it");
    if (s != HM_OK) return cli_fail(s, log);
    printf("checkpoint: entries 1..%llu signed; checkpoint entry %s\n", (unsigned long long)n, h);
    return CLI_OK;
}

static int custody_repair(const char *log)
{
    char ev[4096];
    uint64_t removed = 0;
    int s = hm_custody_repair(log, ev, sizeof ev, &removed);
    if (s == HM_E_CORRUPT) {
        cli_err("custody log %s: the chain is broken before its last line; a broken chain is "
                "evidence and is not repaired (see 'hallmark custody verify %s')",
                log, log);
        return CLI_ERROR;
    }
    if (s != HM_OK) return cli_fail(s, log);
    if (removed == 0)
        printf("nothing to repair: %s is intact\n", log);
    else
        printf("repaired: %llu incomplete bytes moved to %s; a repair entry records its "
               "SHA-256\n",
               (unsigned long long)removed, ev);
    return CLI_OK;
}

int cli_custody(int argc, char **argv)
{
    static const struct option opts[] = {{"pubkey", required_argument, 0, 'k'},
                                         {"sign", required_argument, 0, 's'},
                                         {"passphrase-file", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *sub, *pubf = NULL, *signf = NULL, *passf = NULL;
    int c;
    if (argc < 2) return cli_usage_error("custody", "a subcommand is required (verify, checkpoint, repair)");
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "checkpoint") != 0 && strcmp(sub, "repair") != 0)
        return cli_usage_error("custody", "unknown subcommand '%s' (valid: verify, checkpoint, "
                                          "repair)", sub);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': pubf = optarg; break;
        case 's': signf = optarg; break;
        case 'p': passf = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return cli_usage_error("custody", "invalid option");
        }
    }
    if (argc - 1 - optind != 1) return cli_usage_error("custody", "custody %s takes one FILE", sub);
    if (strcmp(sub, "verify") == 0) {
        if (signf) return cli_usage_error("custody", "--sign goes with 'custody checkpoint'");
        return custody_verify(argv[1 + optind], pubf);
    }
    if (strcmp(sub, "checkpoint") == 0) {
        if (!signf) return cli_usage_error("custody", "custody checkpoint needs --sign SIGNING_KEY");
        return custody_checkpoint(argv[1 + optind], signf, passf);
    }
    if (pubf || signf) return cli_usage_error("custody", "custody repair takes no key");
    return custody_repair(argv[1 + optind]);
}
