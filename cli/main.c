/*
 * main.c - the `hallmark` command: global options and dispatch to the
 * subcommands in cli/cmd_*.c.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command commands[] = {
    {"key", cli_key, "create, inspect, derive and commit to keys"},
    {"tokenize", cli_tokenize, "turn text into token ids"},
    {"detokenize", cli_detokenize, "turn token ids back into text"},
    {"generate", cli_generate, "write watermarked text with the sample language model"},
    {"detect", cli_detect, "test a text, token ids or JSON lines for a watermark"},
    {"trace", cli_trace, "which account leaked a text: test every account's derived key"},
    {"fingerprint", cli_fingerprint, "secret Q/A fingerprints for fine-tuning, and their test"},
    {"payload", cli_payload, "decode the multi-bit payload (scheme mpac) of a text"},
    {"bench", cli_bench, "measure speed against side-by-side baselines"},
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

int main(int argc, char **argv)
{
    size_t i;
    const char *cmd;
    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("hallmark %s (library %s, build %s)\n", HM_VERSION_STRING,
               hm_version_string(), hm_build_id());
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        char help[] = "--help";
        char *args[3] = {argv[2], help, NULL};
        for (i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[2], commands[i].name) == 0) return commands[i].run(2, args);
        cli_err("unknown command '%s'", argv[2]);
        return CLI_ERROR;
    }
    if (hm_init() != HM_OK) return cli_fail(HM_E_CRYPTO, "initialization");
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    if (cmd[0] == '-')
        cli_err("unknown option '%s'", cmd);
    else
        cli_err("unknown command '%s'", cmd);
    fprintf(stderr, "Try 'hallmark --help'.\n");
    return CLI_ERROR;
}
