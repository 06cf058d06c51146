/*
 * cmd_key.c - `hallmark key ...`.  (Placeholder until key management lands.)
 */
#include "cli.h"

#include <string.h>

int cli_key(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: hallmark key SUBCOMMAND\n");
        return CLI_OK;
    }
    cli_err("key: not available in this build yet");
    return CLI_ERROR;
}
