/*
 * keyload.c - loading key files for the commands that use keys (detect,
 * generate, scan, ...): the passphrase is asked for only when the file is
 * encrypted, every failure gets a message naming the problem, and the
 * file's bytes and the passphrase are wiped after use.
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/key.h"

#define PASS_CAP 1024

int cli_key_file_error(const char *path, int status)
{
    switch (status) {
    case HM_E_FORMAT: cli_err("%s: not a Hallmark key file", path); break;
    case HM_E_TRUNCATED: cli_err("%s: key file is truncated", path); break;
    case HM_E_VERSION:
        cli_err("%s: unsupported key file version (this build reads version 1)", path);
        break;
    case HM_E_CORRUPT:
        cli_err("%s: key file is corrupt: it was modified or damaged (integrity check failed)",
                path);
        break;
    case HM_E_PASSPHRASE: cli_err("%s: wrong passphrase", path); break;
    case HM_E_LIMIT:
        cli_err("%s: key file asks for Argon2id parameters that hallmark never writes (valid: "
                "the presets min, interactive, moderate and sensitive); it was altered or not "
                "made by hallmark",
                path);
        break;
    case HM_E_CRYPTO: cli_err("%s: Argon2id failed (not enough memory?)", path); break;
    default: cli_fail(status, path); break;
    }
    return CLI_ERROR;
}

int cli_load_key(const char *path, const char *passphrase_file, struct hm_key **out)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *pass = NULL;
    int s, enc = 0;
    *out = NULL;
    s = cli_read_file(path, &buf, &len);
    if (s != HM_OK) return cli_fail(s, path);
    s = hm_key_probe(buf, len, NULL, &enc);
    if (s == HM_OK && enc) {
        pass = sodium_malloc(PASS_CAP);
        if (!pass)
            s = HM_E_NOMEM;
        else if (cli_get_passphrase(passphrase_file, 0, pass, PASS_CAP) != HM_OK) {
            sodium_free(pass);
            sodium_memzero(buf, len);
            free(buf);
            return CLI_ERROR; /* cli_get_passphrase said why */
        }
    }
    if (s == HM_OK) s = hm_key_load(buf, len, enc ? pass : NULL, enc ? strlen(pass) : 0, out);
    if (pass) sodium_free(pass); /* wipes */
    sodium_memzero(buf, len);
    free(buf);
    if (s != HM_OK) return cli_key_file_error(path, s);
    return CLI_OK;
}
