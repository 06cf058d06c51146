/*
 * interop_cli.c - the serving engines' keys on the command line, shared by
 * `detect` and `generate`: a SynthID key file as a "keys=[...]" parameter,
 * and the public id that stands for an engine key in outputs (never the
 * key itself).
 */
#include "cli.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int cli_synthid_param(const char *file, char *out, size_t cap)
{
    unsigned char *buf;
    size_t len, i, j = 0;
    int s = cli_read_file(file, &buf, &len);
    if (s != HM_OK) return cli_fail(s, file);
    j = (size_t)snprintf(out, cap, "keys=");
    for (i = 0; i < len && j + 1 < cap; i++)
        if (!isspace(buf[i])) out[j++] = (char)buf[i];
    out[j] = 0;
    sodium_memzero(buf, len);
    free(buf);
    if (i < len) {
        cli_err("%s: too many SynthID keys", file);
        return CLI_ERROR;
    }
    return CLI_OK;
}

void cli_interop_key_id(const char *scheme, const char *param, char out[40])
{
    unsigned char h[8];
    crypto_generichash_state st;
    size_t i;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)"hallmark-interop-key-id\0", 24);
    crypto_generichash_update(&st, (const unsigned char *)scheme, strlen(scheme) + 1);
    crypto_generichash_update(&st, (const unsigned char *)param, strlen(param));
    crypto_generichash_final(&st, h, sizeof h);
    i = (size_t)snprintf(out, 40, "%s:", scheme);
    sodium_bin2hex(out + i, 40 - i, h, sizeof h);
}
