/*
 * interop_cli.c - the serving engines' keys on the command line, shared by
 * `detect` and `generate`: a SynthID key file as a "keys=[...]" parameter,
 * and the public id that stands for an engine key in outputs (never the
 * key itself).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
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
        cli_err("%s: too long for a SynthID key file (1 to 64 integer keys in a JSON array)", file);
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* An engine key below 2^48 can be found from its public id by trying every
 * value (a 64-bit BLAKE2b id is no protection for a small key: vLLM key
 * 424242 falls in well under a second).  Says so once per process. */
static void warn_weak_engine_key(const char *scheme, const char *param)
{
    static int warned;
    const char *v;
    char *end;
    unsigned long long u;
    if (warned || (strcmp(scheme, "vllm") != 0 && strcmp(scheme, "sglang") != 0)) return;
    if (strncmp(param, "key=", 4) != 0) return;
    v = param + 4;
    errno = 0;
    u = strtoull(v, &end, strcmp(scheme, "sglang") == 0 && strncmp(v, "0x", 2) != 0 ? 16 : 0);
    if (errno != 0 || end == v || *end != 0) return;
    if (u >= (1ULL << 48)) return;
    warned = 1;
    cli_err("warning: the %s key is small (below 2^48): anyone can recover it from the public "
            "key id in this output by trying every value; serve with a random 64-bit key "
            "(docs/keys.md)",
            scheme);
}

void cli_interop_key_id(const char *scheme, const char *param, char out[40])
{
    unsigned char h[8];
    crypto_generichash_state st;
    size_t i;
    warn_weak_engine_key(scheme, param);
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)"hallmark-interop-key-id\0", 24);
    crypto_generichash_update(&st, (const unsigned char *)scheme, strlen(scheme) + 1);
    crypto_generichash_update(&st, (const unsigned char *)param, strlen(param));
    crypto_generichash_final(&st, h, sizeof h);
    i = (size_t)snprintf(out, 40, "%s:", scheme);
    sodium_bin2hex(out + i, 40 - i, h, sizeof h);
}
