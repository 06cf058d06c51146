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

/* The passphrase file's lines, read once per process (a second key in the
 * same command - or "-" - reads the cache), in sodium memory. */
static struct {
    char *path;   /* malloc'd copy of the file name */
    char *text;   /* sodium_malloc'd: the lines, each NUL-terminated */
    size_t len;   /* bytes of text */
    size_t lines;
} pass_cache;

static void pass_cache_clear(void)
{
    if (pass_cache.text) sodium_free(pass_cache.text); /* wipes */
    free(pass_cache.path);
    memset(&pass_cache, 0, sizeof pass_cache);
}

#define ENV_LABEL "$HALLMARK_PASSPHRASE"

int cli_passphrase_list(const char *file)
{
    const char *env = getenv("HALLMARK_PASSPHRASE");
    return file != NULL || (env && strchr(env, '\n'));
}

/* Reads FILE's passphrases (NULL: $HALLMARK_PASSPHRASE's), one per line
 * (line endings stripped; a final empty line after the last newline is
 * not a passphrase). */
static int pass_cache_load(const char *file)
{
    unsigned char *buf = NULL;
    size_t len = 0, i, start = 0, n = 0, w = 0;
    int s;
    static int registered;
    const char *label = file ? file : ENV_LABEL;
    if (pass_cache.path && strcmp(pass_cache.path, label) == 0) return HM_OK;
    pass_cache_clear();
    if (!registered) registered = atexit(pass_cache_clear) == 0; /* wiped at exit */
    if (file) {
        s = cli_read_file(file, &buf, &len);
        if (s != HM_OK) {
            cli_fail(s, file);
            return s;
        }
    } else {
        const char *env = getenv("HALLMARK_PASSPHRASE");
        len = env ? strlen(env) : 0;
        buf = malloc(len + 1);
        if (!buf) {
            cli_fail(HM_E_NOMEM, label);
            return HM_E_NOMEM;
        }
        if (len) memcpy(buf, env, len);
        buf[len] = 0;
    }
    file = label;
    pass_cache.text = sodium_malloc(len + 1);
    pass_cache.path = strdup(file);
    if (!pass_cache.text || !pass_cache.path) {
        sodium_memzero(buf, len);
        free(buf);
        pass_cache_clear();
        cli_fail(HM_E_NOMEM, file);
        return HM_E_NOMEM;
    }
    for (i = 0; i <= len; i++) {
        size_t e;
        if (i < len && buf[i] != '\n') continue;
        if (i == len && start == len && n > 0) break; /* nothing after the last newline */
        e = i;
        if (e > start && buf[e - 1] == '\r') e--;
        if (e - start >= PASS_CAP) {
            sodium_memzero(buf, len);
            free(buf);
            pass_cache_clear();
            cli_err("%s: line %zu: passphrase is too long (at most %d bytes)", file, n + 1,
                    PASS_CAP - 1);
            return HM_E_RANGE;
        }
        if (memchr(buf + start, 0, e - start)) {
            /* a NUL would cut the passphrase short (as cli_get_passphrase says) */
            sodium_memzero(buf, len);
            free(buf);
            pass_cache_clear();
            cli_err("%s: line %zu: the passphrase contains a NUL byte; a passphrase is one line "
                    "of text",
                    file, n + 1);
            return HM_E_RANGE;
        }
        memcpy(pass_cache.text + w, buf + start, e - start);
        w += e - start;
        pass_cache.text[w++] = 0;
        n++;
        start = i + 1;
    }
    pass_cache.len = w;
    pass_cache.lines = n;
    sodium_memzero(buf, len);
    free(buf);
    return HM_OK;
}

/* The k-th cached passphrase (k < pass_cache.lines). */
static const char *pass_cache_line(size_t k)
{
    const char *p = pass_cache.text;
    while (k--) p += strlen(p) + 1;
    return p;
}

int cli_load_key_pass(const char *path, const char *passphrase_file, struct hm_key **out,
                      char *used, size_t used_cap)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *pass = NULL;
    int s, enc = 0;
    *out = NULL;
    if (used && used_cap) used[0] = 0;
    s = cli_read_file(path, &buf, &len);
    if (s != HM_OK) return cli_fail(s, path);
    s = hm_key_probe(buf, len, NULL, &enc);
    if (s == HM_OK && enc && cli_passphrase_list(passphrase_file)) {
        /* every line of the file, in turn: keys with different passphrases
         * open in one command (docs/keys.md) */
        size_t k;
        if (pass_cache_load(passphrase_file) != HM_OK) {
            sodium_memzero(buf, len);
            free(buf);
            return CLI_ERROR;
        }
        s = HM_E_PASSPHRASE;
        for (k = 0; k < pass_cache.lines && s == HM_E_PASSPHRASE; k++) {
            const char *cand = pass_cache_line(k);
            s = hm_key_load(buf, len, cand, strlen(cand), out);
            if (s == HM_OK && used && used_cap > strlen(cand)) memcpy(used, cand, strlen(cand) + 1);
        }
        sodium_memzero(buf, len);
        free(buf);
        if (s == HM_E_PASSPHRASE && pass_cache.lines > 1) {
            cli_err("%s: wrong passphrase (none of the %zu lines of %s opens it)", path,
                    pass_cache.lines, passphrase_file ? passphrase_file : ENV_LABEL);
            return CLI_ERROR;
        }
        if (s != HM_OK) return cli_key_file_error(path, s);
        return CLI_OK;
    }
    if (s == HM_OK && enc) {
        pass = sodium_malloc(PASS_CAP);
        if (!pass)
            s = HM_E_NOMEM;
        else if (cli_get_passphrase(NULL, 0, pass, PASS_CAP) != HM_OK) {
            sodium_free(pass);
            sodium_memzero(buf, len);
            free(buf);
            return CLI_ERROR; /* cli_get_passphrase said why */
        }
    }
    if (s == HM_OK) s = hm_key_load(buf, len, enc ? pass : NULL, enc ? strlen(pass) : 0, out);
    if (s == HM_OK && enc && used && used_cap > strlen(pass)) memcpy(used, pass, strlen(pass) + 1);
    if (pass) sodium_free(pass); /* wipes */
    sodium_memzero(buf, len);
    free(buf);
    if (s != HM_OK) return cli_key_file_error(path, s);
    return CLI_OK;
}

int cli_load_key(const char *path, const char *passphrase_file, struct hm_key **out)
{
    return cli_load_key_pass(path, passphrase_file, out, NULL, 0);
}
