/*
 * accounts.c - account lists (one tenant name per line) and the derived
 * keys of every account, for the commands that test all accounts at once:
 * trace, scan and radioactivity with --master FILE --accounts FILE
 * (docs/trace.md).
 */
#include "cli.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

#include "hallmark/key.h"

int cli_account_lines(const char *path, int (*add)(void *user, const char *name, size_t len),
                      void *user)
{
    unsigned char *buf = NULL;
    size_t len = 0, pos = 0, count = 0;
    unsigned long long line = 0;
    int s = cli_read_file(path, &buf, &len);
    if (s != HM_OK) return cli_fail(s, path);
    while (pos < len) {
        const unsigned char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
        const char *a = (const char *)buf + pos;
        line++;
        pos = end + 1;
        if (l && a[l - 1] == '\r') l--;
        if (l == 0 || a[0] == '#') continue;
        s = add(user, a, l);
        if (s == HM_E_STATE) {
            /* the name is valid UTF-8 without control characters: it was
             * added once already */
            cli_err("%s:%llu: duplicate account '%.*s'", path, line, (int)(l > 200 ? 200 : l), a);
        } else if (s == HM_E_UTF8) {
            cli_err("%s:%llu: account name is not valid UTF-8 or holds a control character",
                    path, line);
        } else if (s == HM_E_RANGE) {
            cli_err("%s:%llu: account name longer than %zu bytes", path, line,
                    hm_key_tenant_maxbytes());
        } else if (s == HM_E_LIMIT) {
            cli_err("%s:%llu: more than %d accounts (use `hallmark trace` for longer lists)",
                    path, line, CLI_MAX_ACCOUNTS);
        } else if (s != HM_OK) {
            cli_fail(s, path);
        }
        if (s != HM_OK) {
            free(buf);
            return CLI_ERROR;
        }
        count++;
    }
    free(buf);
    if (count == 0) {
        cli_err("%s: no accounts", path);
        return CLI_ERROR;
    }
    return CLI_OK;
}

struct derive_ctx {
    struct cli_accounts *a;
    const hm_key *master;
    uint64_t epoch;
};

static int add_derived(void *user, const char *name, size_t len)
{
    struct derive_ctx *c = user;
    struct cli_accounts *a = c->a;
    hm_key *k = NULL;
    size_t i;
    int s;
    if (a->n == CLI_MAX_ACCOUNTS) return HM_E_LIMIT;
    s = hm_key_derive(c->master, name, len, c->epoch, &k);
    if (s != HM_OK) return s;
    for (i = 0; i < a->n; i++)
        if (strcmp(hm_key_tenant(a->keys[i]), hm_key_tenant(k)) == 0) {
            hm_key_free(k);
            return HM_E_STATE;
        }
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        hm_key **nk = realloc(a->keys, nc * sizeof *nk);
        if (!nk) {
            hm_key_free(k);
            return HM_E_NOMEM;
        }
        a->keys = nk;
        a->cap = nc;
    }
    a->keys[a->n++] = k;
    return HM_OK;
}

int cli_accounts_load(const char *master_path, const char *passfile, const char *accounts_path,
                      uint64_t epoch, struct cli_accounts *a)
{
    struct derive_ctx c;
    hm_key *master = NULL;
    int rc;
    memset(a, 0, sizeof *a);
    a->epoch = epoch;
    if (cli_load_key(master_path, passfile, &master) != CLI_OK) return CLI_ERROR;
    if (hm_key_kind(master) != HM_KEY_MASTER) {
        cli_err("%s: not a master key (each account's key is derived from the master)",
                master_path);
        hm_key_free(master);
        return CLI_ERROR;
    }
    if (hm_key_id(master, a->master_id) != HM_OK) snprintf(a->master_id, sizeof a->master_id, "?");
    c.a = a;
    c.master = master;
    c.epoch = epoch;
    rc = cli_account_lines(accounts_path, add_derived, &c);
    hm_key_free(master);
    if (rc != CLI_OK) cli_accounts_free(a);
    return rc;
}

void cli_accounts_free(struct cli_accounts *a)
{
    size_t i;
    for (i = 0; i < a->n; i++) hm_key_free(a->keys[i]);
    free(a->keys);
    memset(a, 0, sizeof *a);
}

void cli_note_master_alone(const struct hm_key *key, const char *path, const char *cmd)
{
    if (hm_key_kind(key) != HM_KEY_MASTER) return;
    cli_err("note: %s is a master key: text served under keys derived from it (hallmark key "
            "derive) carries the accounts' marks, not the master's, and is invisible to this "
            "test; to test every account: hallmark %s --master %s --accounts ACCOUNTS.txt",
            path, cmd, path);
}

int cli_parse_epoch(const char *cmd, const char *arg, unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-')
        return cli_usage_error(cmd, "--epoch needs a non-negative integer");
    return CLI_OK;
}
