/*
 * cmd_tokenize.c - `hallmark tokenize`, `hallmark detokenize` and
 * `hallmark bench tokenize`.  (Placeholder until the tokenizer lands.)
 */
#include "cli.h"

static int not_yet(const char *what)
{
    cli_err("%s: not available in this build yet", what);
    return CLI_ERROR;
}

int cli_tokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("tokenize");
}

int cli_detokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("detokenize");
}

int cli_bench_tokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("bench tokenize");
}
