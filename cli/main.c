/*
 * main.c - the `hallmark` command: global options and dispatch to the
 * subcommands in cli/cmd_*.c.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static const struct cli_command commands[] = {
    {"key", cli_key, "create, inspect, derive and commit to keys"},
    {"tokenize", cli_tokenize, "turn text into token ids"},
    {"detokenize", cli_detokenize, "turn token ids back into text"},
    {"generate", cli_generate, "write watermarked text with the sample language model"},
    {"detect", cli_detect, "test a text, token ids or JSON lines for a watermark"},
    {"scan", cli_scan, "score every document of a corpus; FDR flags and a corpus test"},
    {"radioactivity", cli_radioactivity, "test whether a model was trained on our marked text"},
    {"merge", cli_merge, "merge partial results of sharded scans and radioactivity runs"},
    {"trace", cli_trace, "which account leaked a text: test every account's derived key"},
    {"fingerprint", cli_fingerprint, "secret Q/A fingerprints for fine-tuning, and their test"},
    {"payload", cli_payload, "decode the multi-bit payload (scheme mpac) of a text"},
    {"bench", cli_bench, "measure speed against side-by-side baselines"},
    {"report", cli_report, "write, sign, timestamp and verify evidence reports"},
    {"custody", cli_custody, "check a hash-chained custody log"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    size_t i;
    fprintf(out,
            "Usage: hallmark [--version] [--help] COMMAND [ARGS...]\n"
            "\n"
            "Watermark and fingerprint language-model output, and test text,\n"
            "corpora and models for the mark with exact p-values.\n"
            "\n"
            "Commands:\n");
    for (i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'hallmark COMMAND --help' for a command's options.\n"
            "Exit status: 0 success or detected, 1 not detected, 2 error.\n");
}

/* Every write error is an error: data that did not reach stdout (a full
 * disk, a closed pipe's reader, /dev/full) turns any exit status into 2. */
static int finish(int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        cli_err("writing the output failed: %s", errno ? strerror(errno) : "write error");
        return CLI_ERROR;
    }
    return rc;
}

/* Commands load secret keys: no core dump of this process may carry them
 * (a dump would hold the key and the per-scheme PRF subkeys in clear), and
 * no other process of the same user may attach to it.  Best effort: where
 * the system refuses, the process still runs. */
static void protect_process(void)
{
    struct rlimit nocore = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &nocore);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
    size_t i;
    const char *cmd;
    /* --custody-log FILE (anywhere): strip it, run, then log the action */
    const char *custody_log = NULL;
    static char **orig_argv, **stripped; /* static: still reachable at exit */
    int orig_argc = argc;
    protect_process();
    for (i = 1; i < (size_t)argc; i++)
        if (strcmp(argv[i], "--custody-log") == 0 || strncmp(argv[i], "--custody-log=", 14) == 0)
            break;
    orig_argv = argv;
    if (i < (size_t)argc) {
        int j, k = 0;
        stripped = calloc((size_t)argc + 1, sizeof *stripped);
        orig_argv = calloc((size_t)argc + 1, sizeof *orig_argv);
        if (!stripped || !orig_argv) return cli_fail(HM_E_NOMEM, "--custody-log");
        for (j = 0; j < argc; j++) orig_argv[j] = argv[j];
        for (j = 0; j < argc; j++) {
            if (j > 0 && strcmp(argv[j], "--custody-log") == 0 && j + 1 < argc) {
                custody_log = argv[++j];
                continue;
            }
            if (j > 0 && strncmp(argv[j], "--custody-log=", 14) == 0) {
                custody_log = argv[j] + 14;
                continue;
            }
            stripped[k++] = argv[j];
        }
        if (!custody_log || !*custody_log) {
            cli_err("--custody-log needs a FILE");
            return CLI_ERROR;
        }
        argc = k;
        argv = stripped;
    }
    if (custody_log && argc >= 2) {
        for (i = 0; i < N_COMMANDS; i++) {
            if (strcmp(argv[1], commands[i].name) == 0) {
                int rc;
                if (hm_init() != HM_OK) return cli_fail(HM_E_CRYPTO, "initialization");
                cli_set_invocation(argc - 1, argv + 1);
                rc = finish(commands[i].run(argc - 1, argv + 1));
                if (cli_custody_append(custody_log, orig_argc, orig_argv, rc) != CLI_OK &&
                    rc == CLI_OK)
                    rc = CLI_ERROR;
                free(stripped);
                free(orig_argv);
                return rc;
            }
        }
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return finish(CLI_OK);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("hallmark %s (library %s, build %s)\n", HM_VERSION_STRING,
               hm_version_string(), hm_build_id());
        return finish(CLI_OK);
    }
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        char help[] = "--help";
        char *args[3] = {argv[2], help, NULL};
        for (i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[2], commands[i].name) == 0) return finish(commands[i].run(2, args));
        cli_err("unknown command '%s'", argv[2]);
        return CLI_ERROR;
    }
    if (hm_init() != HM_OK) return cli_fail(HM_E_CRYPTO, "initialization");
    for (i = 0; i < N_COMMANDS; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            cli_set_invocation(argc - 1, argv + 1);
            return finish(commands[i].run(argc - 1, argv + 1));
        }
    }
    if (cmd[0] == '-')
        cli_err("unknown option '%s'", cmd);
    else
        cli_err("unknown command '%s'", cmd);
    fprintf(stderr, "Try 'hallmark --help'.\n");
    return CLI_ERROR;
}
