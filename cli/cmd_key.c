/*
 * cmd_key.c - `hallmark key ...`: create, inspect, commit to, derive and
 * check keys (new, new-signing, info, commit, derive, verify-derived,
 * pubkey).  A thin layer over hallmark/key.h: this file reads and writes
 * the files, asks for passphrases and prints; the library does the rest.
 * No command ever prints a secret key.
 */
#include "cli.h"
#include "hallmark/key.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PASS_CAP 1024

/* Options shared by the subcommands. */
struct key_opts {
    const char *out;
    const char *passfile;
    const char *tenant;
    const char *master;
    const char *epoch_str;
    const char *out_passfile; /* derive: the derived key's own passphrase */
    int kdf;
    int insecure;
    int force;
    int json;
    int compact;
};

/* A passphrase asked for at most once per command. */
struct pass {
    char *buf; /* sodium_malloc'd, PASS_CAP bytes */
    int have;
    const char *file;
};

static int pass_init(struct pass *p, const char *file)
{
    p->have = 0;
    p->file = file;
    p->buf = sodium_malloc(PASS_CAP);
    if (!p->buf) return HM_E_NOMEM;
    memset(p->buf, 0, PASS_CAP);
    return HM_OK;
}

static void pass_done(struct pass *p)
{
    if (p->buf) sodium_free(p->buf); /* wipes */
    p->buf = NULL;
}

static int pass_get(struct pass *p, int confirm)
{
    int s;
    if (p->have) return HM_OK;
    s = cli_get_passphrase(p->file, confirm, p->buf, PASS_CAP);
    if (s != HM_OK) return s;
    p->have = 1;
    return HM_OK;
}

static void wipe_free(unsigned char *buf, size_t len)
{
    if (!buf) return;
    sodium_memzero(buf, len);
    free(buf);
}

/* Reads and parses a key file, asking for the passphrase only when the
 * file is encrypted.  *encrypted (may be NULL) tells which it was. */
static int load_key(const char *path, struct pass *p, hm_key **out, int *encrypted)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int s, enc = 0;
    *out = NULL;
    s = cli_read_file(path, &buf, &len);
    if (s != HM_OK) {
        cli_fail(s, path);
        return CLI_ERROR;
    }
    s = hm_key_probe(buf, len, NULL, &enc);
    if (s == HM_OK && enc && cli_passphrase_list(p->file)) {
        /* a passphrase file may hold several passphrases, one per line: each
         * is tried (cli/keyload.c); the one that opened the first encrypted
         * key is the one `derive` writes with, unless --out-passphrase-file */
        char *used = sodium_malloc(PASS_CAP);
        int rc;
        wipe_free(buf, len);
        if (!used) return cli_fail(HM_E_NOMEM, path);
        rc = cli_load_key_pass(path, p->file, out, used, PASS_CAP);
        if (rc == CLI_OK && !p->have) {
            memcpy(p->buf, used, strlen(used) + 1);
            p->have = 1;
        }
        sodium_free(used);
        if (rc == CLI_OK && encrypted) *encrypted = 1;
        return rc;
    }
    if (s == HM_OK && enc) {
        s = pass_get(p, 0);
        if (s != HM_OK) {
            wipe_free(buf, len);
            return CLI_ERROR; /* cli_get_passphrase said why */
        }
    }
    if (s == HM_OK) s = hm_key_load(buf, len, enc ? p->buf : NULL, enc ? strlen(p->buf) : 0, out);
    wipe_free(buf, len);
    if (s != HM_OK) return cli_key_file_error(path, s);
    if (encrypted) *encrypted = enc;
    return CLI_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0;
}

static int refuse_overwrite(const char *path, int force)
{
    if (!force && file_exists(path)) {
        cli_err("%s already exists (use --force to overwrite it)", path);
        return 1;
    }
    return 0;
}

/* Serializes `key` (encrypted unless o->insecure) and writes it mode 0600. */
static int write_key(const hm_key *key, const struct key_opts *o, struct pass *p,
                     const char *path)
{
    uint8_t *img = NULL;
    size_t n = 0;
    int s;
    if (o->insecure) {
        s = hm_key_save_insecure(key, &img, &n);
    } else {
        s = pass_get(p, 1);
        if (s != HM_OK) return CLI_ERROR;
        s = hm_key_save(key, p->buf, strlen(p->buf), o->kdf, &img, &n);
    }
    if (s != HM_OK) return cli_fail(s, "writing the key");
    s = cli_write_file(path, img, n, 0600);
    hm_key_buffer_free(img, n);
    if (s != HM_OK) return cli_fail(s, path);
    if (o->insecure)
        cli_err("warning: %s is UNENCRYPTED - for tests and demos only", path);
    return CLI_OK;
}

static int parse_kdf(const char *s)
{
    if (strcmp(s, "interactive") == 0) return HM_KDF_INTERACTIVE;
    if (strcmp(s, "moderate") == 0) return HM_KDF_MODERATE;
    if (strcmp(s, "sensitive") == 0) return HM_KDF_SENSITIVE;
    return 0;
}

static int parse_u64_arg(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ') return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0) return 0;
    *out = (uint64_t)v;
    return 1;
}

static void iso_time(uint64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%llu", (unsigned long long)t);
}

enum {
    OPT_OUT = 1000,
    OPT_PASSFILE,
    OPT_KDF,
    OPT_INSECURE,
    OPT_FORCE,
    OPT_JSON,
    OPT_COMPACT,
    OPT_TENANT,
    OPT_EPOCH,
    OPT_MASTER,
    OPT_OUT_PASSFILE,
    OPT_HELP
};

static const struct option long_opts[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"kdf", required_argument, NULL, OPT_KDF},
    {"insecure-no-passphrase", no_argument, NULL, OPT_INSECURE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"json", no_argument, NULL, OPT_JSON},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"tenant", required_argument, NULL, OPT_TENANT},
    {"epoch", required_argument, NULL, OPT_EPOCH},
    {"master", required_argument, NULL, OPT_MASTER},
    {"out-passphrase-file", required_argument, NULL, OPT_OUT_PASSFILE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Which options each subcommand takes (a string of OPT_ codes - 1000). */
struct sub {
    const char *name;
    int (*run)(const struct key_opts *o, int npos, char **pos);
    const char *allowed; /* letters: o p k i f j c t e m */
    int min_pos, max_pos;
    const char *usage;
};

static int opt_letter(int code)
{
    switch (code) {
    case OPT_OUT: return 'o';
    case OPT_PASSFILE: return 'p';
    case OPT_OUT_PASSFILE: return 'w';
    case OPT_KDF: return 'k';
    case OPT_INSECURE: return 'i';
    case OPT_FORCE: return 'f';
    case OPT_JSON: return 'j';
    case OPT_COMPACT: return 'c';
    case OPT_TENANT: return 't';
    case OPT_EPOCH: return 'e';
    case OPT_MASTER: return 'm';
    default: return 0;
    }
}

/* --- JSON description of a key (info --json, commit) ------------------- */

static cJSON *describe(const hm_key *key, int with_commitment)
{
    cJSON *j = cJSON_CreateObject();
    char id[HM_KEY_ID_BUFSIZE], hex[2 * 64 + 1], when[32], num[24];
    uint8_t c[HM_KEY_COMMITMENTBYTES], pk[HM_KEY_PUBLICKEYBYTES];
    if (!j) return NULL;
    if (hm_key_id(key, id) != HM_OK || hm_key_commitment(key, c) != HM_OK) {
        cJSON_Delete(j);
        return NULL;
    }
    if (with_commitment) {
        cJSON_AddStringToObject(j, "type", "hallmark-key-commitment");
        cJSON_AddNumberToObject(j, "version", 1);
    }
    cJSON_AddStringToObject(j, "key_id", id);
    cJSON_AddStringToObject(j, "kind", hm_key_kind_name(hm_key_kind(key)));
    iso_time(hm_key_created(key), when);
    cJSON_AddStringToObject(j, "created", when);
    snprintf(num, sizeof num, "%llu", (unsigned long long)hm_key_created(key));
    cJSON_AddStringToObject(j, "created_unix", num);
    cJSON_AddStringToObject(j, "algorithm", "blake2b-256");
    cJSON_AddStringToObject(j, "domain", "hallmark-key-commitment-v1");
    sodium_bin2hex(hex, sizeof hex, c, sizeof c);
    cJSON_AddStringToObject(j, "commitment", hex);
    if (hm_key_kind(key) == HM_KEY_DERIVED) {
        if (hm_key_parent_id(key, id) == HM_OK) cJSON_AddStringToObject(j, "parent_id", id);
        cJSON_AddStringToObject(j, "tenant", hm_key_tenant(key));
        snprintf(num, sizeof num, "%llu", (unsigned long long)hm_key_epoch(key));
        cJSON_AddStringToObject(j, "epoch", num);
    }
    if (hm_key_public_bytes(key, pk) == HM_OK) {
        cJSON_AddStringToObject(j, "signature_algorithm", "ed25519");
        sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
        cJSON_AddStringToObject(j, "public_key", hex);
    }
    return j;
}

/* --- subcommands --------------------------------------------------------- */

static int print_new(const hm_key *key, const char *what, const char *path)
{
    char id[HM_KEY_ID_BUFSIZE];
    if (hm_key_id(key, id) != HM_OK) return cli_fail(HM_E_INTERNAL, "key id");
    printf("%s\n", id);
    cli_err("wrote %s key %s to %s", what, id, path);
    return CLI_OK;
}

static int run_new(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *key = NULL;
    int rc, s;
    (void)npos;
    (void)pos;
    if (refuse_overwrite(o->out, o->force)) return CLI_ERROR;
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "new");
    s = hm_key_generate(&key);
    if (s != HM_OK) {
        pass_done(&p);
        return cli_fail(s, "generating a key");
    }
    rc = write_key(key, o, &p, o->out);
    if (rc == CLI_OK) rc = print_new(key, "master", o->out);
    hm_key_free(key);
    pass_done(&p);
    return rc;
}

static int run_new_signing(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *key = NULL;
    uint8_t *img = NULL;
    size_t n = 0, plen = strlen(o->out);
    char *pub;
    int rc, s;
    (void)npos;
    (void)pos;
    if (strcmp(o->out, "-") == 0)
        return cli_usage_error("key new-signing", "--out must name a file prefix, not '-'");
    pub = malloc(plen + 5);
    if (!pub) return cli_fail(HM_E_NOMEM, "new-signing");
    memcpy(pub, o->out, plen);
    memcpy(pub + plen, ".pub", 5);
    if (refuse_overwrite(o->out, o->force) || refuse_overwrite(pub, o->force)) {
        free(pub);
        return CLI_ERROR;
    }
    if (pass_init(&p, o->passfile) != HM_OK) {
        free(pub);
        return cli_fail(HM_E_NOMEM, "new-signing");
    }
    s = hm_key_generate_signing(&key);
    if (s != HM_OK) {
        rc = cli_fail(s, "generating a signing key");
        goto done;
    }
    rc = write_key(key, o, &p, o->out);
    if (rc != CLI_OK) goto done;
    s = hm_key_save_public(key, &img, &n);
    if (s == HM_OK) s = cli_write_file(pub, img, n, 0644);
    hm_key_buffer_free(img, n);
    if (s != HM_OK) {
        rc = cli_fail(s, pub);
        goto done;
    }
    rc = print_new(key, "signing", o->out);
    cli_err("wrote its public key to %s", pub);
done:
    hm_key_free(key);
    pass_done(&p);
    free(pub);
    return rc;
}

static int run_info(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *key = NULL;
    int rc, enc = 0;
    (void)npos;
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "info");
    rc = load_key(pos[0], &p, &key, &enc);
    pass_done(&p);
    if (rc != CLI_OK) return rc;
    if (o->json) {
        cJSON *j = describe(key, 0);
        if (j) {
            cJSON_AddStringToObject(j, "protection",
                                    hm_key_kind(key) == HM_KEY_PUBLIC ? "public"
                                    : enc ? "argon2id-xchacha20poly1305"
                                          : "none");
            rc = cli_print_json(j, o->compact) == HM_OK ? CLI_OK : CLI_ERROR;
            cJSON_Delete(j);
        } else {
            rc = cli_fail(HM_E_NOMEM, "info");
        }
    } else {
        char id[HM_KEY_ID_BUFSIZE], hex[2 * 64 + 1], when[32];
        uint8_t c[HM_KEY_COMMITMENTBYTES], pk[HM_KEY_PUBLICKEYBYTES];
        int kind = hm_key_kind(key);
        if (hm_key_id(key, id) != HM_OK || hm_key_commitment(key, c) != HM_OK) {
            hm_key_free(key);
            return cli_fail(HM_E_INTERNAL, "info");
        }
        iso_time(hm_key_created(key), when);
        printf("key id:      %s\n", id);
        printf("kind:        %s\n", hm_key_kind_name(kind));
        printf("created:     %s\n", when);
        sodium_bin2hex(hex, sizeof hex, c, sizeof c);
        printf("commitment:  %s\n", hex);
        if (kind == HM_KEY_DERIVED) {
            if (hm_key_parent_id(key, id) == HM_OK) printf("parent id:   %s\n", id);
            printf("tenant:      %s\n", hm_key_tenant(key));
            printf("epoch:       %llu\n", (unsigned long long)hm_key_epoch(key));
        }
        if (hm_key_public_bytes(key, pk) == HM_OK) {
            sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
            printf("public key:  %s (ed25519)\n", hex);
        }
        if (kind == HM_KEY_PUBLIC)
            printf("protection:  none needed (public key)\n");
        else if (enc)
            printf("protection:  passphrase (argon2id + xchacha20-poly1305)\n");
        else
            printf("protection:  UNENCRYPTED - FOR TESTS ONLY\n");
        rc = fflush(stdout) == 0 ? CLI_OK : CLI_ERROR;
    }
    hm_key_free(key);
    return rc;
}

static int run_commit(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *key = NULL;
    cJSON *j;
    int rc;
    (void)npos;
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "commit");
    rc = load_key(pos[0], &p, &key, NULL);
    pass_done(&p);
    if (rc != CLI_OK) return rc;
    j = describe(key, 1);
    hm_key_free(key);
    if (!j) return cli_fail(HM_E_NOMEM, "commit");
    rc = cli_print_json(j, o->compact) == HM_OK ? CLI_OK : CLI_ERROR;
    cJSON_Delete(j);
    return rc;
}

static int run_derive(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *master = NULL, *d = NULL;
    uint64_t epoch = 0;
    int rc, s;
    char id[HM_KEY_ID_BUFSIZE];
    (void)npos;
    if (!o->tenant) return cli_usage_error("key derive", "derive needs --tenant ID");
    if (o->out_passfile && o->insecure)
        return cli_usage_error("key derive",
                               "--out-passphrase-file and --insecure-no-passphrase exclude each other");
    if (o->epoch_str && !parse_u64_arg(o->epoch_str, &epoch))
        return cli_usage_error("key derive", "--epoch must be an integer from 0 to 2^64-1, not '%s'",
                               o->epoch_str);
    if (refuse_overwrite(o->out, o->force)) return CLI_ERROR;
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "derive");
    rc = load_key(pos[0], &p, &master, NULL);
    if (rc != CLI_OK) goto done;
    if (hm_key_kind(master) != HM_KEY_MASTER) {
        cli_err("%s: is a %s key; derive from a master key", pos[0],
                hm_key_kind_name(hm_key_kind(master)));
        rc = CLI_ERROR;
        goto done;
    }
    s = hm_key_derive(master, o->tenant, strlen(o->tenant), epoch, &d);
    if (s == HM_E_UTF8) {
        cli_err("--tenant: not valid UTF-8, or holds a control character");
        rc = CLI_ERROR;
        goto done;
    }
    if (s == HM_E_RANGE) {
        cli_err("--tenant: must be 1 to %zu bytes long", hm_key_tenant_maxbytes());
        rc = CLI_ERROR;
        goto done;
    }
    if (s != HM_OK) {
        rc = cli_fail(s, "derive");
        goto done;
    }
    if (o->out_passfile && !o->insecure) {
        struct pass po;
        if (pass_init(&po, o->out_passfile) != HM_OK) {
            rc = cli_fail(HM_E_NOMEM, "derive");
            goto done;
        }
        rc = write_key(d, o, &po, o->out);
        pass_done(&po);
    } else {
        rc = write_key(d, o, &p, o->out);
    }
    if (rc == CLI_OK && hm_key_id(d, id) == HM_OK) {
        char mid[HM_KEY_ID_BUFSIZE];
        printf("%s\n", id);
        if (hm_key_parent_id(d, mid) == HM_OK)
            cli_err("wrote derived key %s (master %s, tenant '%s', epoch %llu) to %s", id, mid,
                    o->tenant, (unsigned long long)epoch, o->out);
    }
done:
    hm_key_free(d);
    hm_key_free(master);
    pass_done(&p);
    return rc;
}

static int run_verify_derived(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *master = NULL, *d = NULL;
    const char *mpath, *dpath;
    char mid[HM_KEY_ID_BUFSIZE], did[HM_KEY_ID_BUFSIZE], rec[HM_KEY_ID_BUFSIZE];
    int rc, s;
    if (o->master) {
        if (npos != 1)
            return cli_usage_error("key verify-derived", "give one DERIVED file with --master");
        mpath = o->master;
        dpath = pos[0];
    } else {
        if (npos != 2)
            return cli_usage_error("key verify-derived", "give MASTER and DERIVED (or --master)");
        mpath = pos[0];
        dpath = pos[1];
    }
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "verify-derived");
    rc = load_key(mpath, &p, &master, NULL);
    if (rc == CLI_OK) rc = load_key(dpath, &p, &d, NULL);
    pass_done(&p);
    if (rc != CLI_OK) goto done;
    if (hm_key_kind(master) != HM_KEY_MASTER) {
        cli_err("%s: is a %s key, not a master key", mpath, hm_key_kind_name(hm_key_kind(master)));
        rc = CLI_ERROR;
        goto done;
    }
    if (hm_key_kind(d) != HM_KEY_DERIVED) {
        cli_err("%s: is a %s key, not a derived key", dpath, hm_key_kind_name(hm_key_kind(d)));
        rc = CLI_ERROR;
        goto done;
    }
    if (hm_key_id(master, mid) != HM_OK || hm_key_id(d, did) != HM_OK ||
        hm_key_parent_id(d, rec) != HM_OK) {
        rc = cli_fail(HM_E_INTERNAL, "verify-derived");
        goto done;
    }
    s = hm_key_verify_derived(master, d);
    if (s == HM_OK) {
        printf("ok: %s derives from master %s (tenant '%s', epoch %llu)\n", did, mid,
               hm_key_tenant(d), (unsigned long long)hm_key_epoch(d));
        rc = CLI_OK;
    } else if (s == HM_E_SIGNATURE) {
        if (strcmp(rec, mid) != 0)
            printf("mismatch: %s records master %s, not %s\n", did, rec, mid);
        else
            printf("mismatch: %s does not derive from master %s (tenant '%s', epoch %llu)\n", did,
                   mid, hm_key_tenant(d), (unsigned long long)hm_key_epoch(d));
        rc = CLI_NOT_DETECTED;
    } else {
        rc = cli_fail(s, "verify-derived");
    }
done:
    hm_key_free(d);
    hm_key_free(master);
    return rc;
}

static int run_pubkey(const struct key_opts *o, int npos, char **pos)
{
    struct pass p;
    hm_key *key = NULL;
    uint8_t *img = NULL;
    size_t n = 0;
    int rc, s;
    (void)npos;
    if (refuse_overwrite(o->out, o->force)) return CLI_ERROR;
    if (pass_init(&p, o->passfile) != HM_OK) return cli_fail(HM_E_NOMEM, "pubkey");
    rc = load_key(pos[0], &p, &key, NULL);
    pass_done(&p);
    if (rc != CLI_OK) return rc;
    if (hm_key_kind(key) != HM_KEY_SIGNING && hm_key_kind(key) != HM_KEY_PUBLIC) {
        cli_err("%s: is a %s key; only signing keys have a public key", pos[0],
                hm_key_kind_name(hm_key_kind(key)));
        hm_key_free(key);
        return CLI_ERROR;
    }
    s = hm_key_save_public(key, &img, &n);
    hm_key_free(key);
    if (s == HM_OK) s = cli_write_file(o->out, img, n, 0644);
    hm_key_buffer_free(img, n);
    if (s != HM_OK) return cli_fail(s, o->out);
    return CLI_OK;
}

static const struct sub subs[] = {
    {"new", run_new, "opkif", 0, 0,
     "Usage: hallmark key new --out FILE [--kdf LEVEL] [--passphrase-file FILE]\n"
     "                        [--insecure-no-passphrase] [--force]\n"
     "Creates a master key (32 random bytes) encrypted under a passphrase and\n"
     "prints its key id.\n"},
    {"new-signing", run_new_signing, "opkif", 0, 0,
     "Usage: hallmark key new-signing --out PREFIX [--kdf LEVEL] [--passphrase-file FILE]\n"
     "                                [--insecure-no-passphrase] [--force]\n"
     "Creates an Ed25519 signing key: the secret key (encrypted) in PREFIX and\n"
     "the public key in PREFIX.pub.  Prints the key id.\n"},
    {"info", run_info, "pjc", 1, 1,
     "Usage: hallmark key info FILE [--json [--compact]] [--passphrase-file FILE]\n"
     "Prints a key's id, kind, creation time and commitment (and derivation path\n"
     "or public key).  Never prints the secret key.\n"},
    {"commit", run_commit, "pc", 1, 1,
     "Usage: hallmark key commit FILE [--compact] [--passphrase-file FILE]\n"
     "Prints a commitment record (JSON) to publish before any dispute.\n"},
    {"derive", run_derive, "opkiftew", 1, 1,
     "Usage: hallmark key derive MASTER --tenant ID [--epoch N] --out FILE\n"
     "                           [--kdf LEVEL] [--passphrase-file FILE]\n"
     "                           [--out-passphrase-file FILE]\n"
     "                           [--insecure-no-passphrase] [--force]\n"
     "Derives the watermark key of one tenant (and epoch, default 0) from a\n"
     "master key.  The output is encrypted under its own passphrase with\n"
     "--out-passphrase-file (so a serving host never needs the master's), else\n"
     "with the same passphrase as the master (or a new one if the master is\n"
     "unencrypted).  Prints its key id.\n"},
    {"verify-derived", run_verify_derived, "pm", 1, 2,
     "Usage: hallmark key verify-derived --master MASTER DERIVED\n"
     "       hallmark key verify-derived MASTER DERIVED\n"
     "Checks that DERIVED is the key its recorded path gives under MASTER.\n"
     "Exit status 0 = it is, 1 = it is not, 2 = error.  Both files are opened\n"
     "with the same passphrase.\n"},
    {"pubkey", run_pubkey, "opf", 1, 1,
     "Usage: hallmark key pubkey SIGNING-KEY [--out FILE] [--passphrase-file FILE] [--force]\n"
     "Writes the public key file of a signing key (to stdout by default).\n"},
};

#define N_SUBS (sizeof subs / sizeof subs[0])

/* The options of the key subcommands, by their letter in `allowed`. */
static const struct {
    char letter;
    const char *text;
} OPTION_HELP[] = {
    {'o', "  --out FILE                 where to write (new files are mode 0600)\n"},
    {'p', "  --passphrase-file FILE     read the passphrase from FILE's first line;\n"
          "                             else $HALLMARK_PASSPHRASE; else a prompt on the TTY\n"},
    {'k', "  --kdf LEVEL                Argon2id strength: interactive, moderate (default)\n"
          "                             or sensitive\n"},
    {'i', "  --insecure-no-passphrase   write the key UNENCRYPTED (tests and demos only)\n"},
    {'f', "  --force                    overwrite an existing file\n"},
    {'t', "  --tenant ID                the tenant (account) the key is derived for\n"},
    {'e', "  --epoch N                  the derivation epoch (default 0)\n"},
    {'m', "  --master FILE              the master key\n"},
    {'w', "  --out-passphrase-file FILE the passphrase of the written key (first line)\n"},
    {'j', "  --json                     JSON output\n"},
    {'c', "  --compact                  JSON on one line\n"},
};

static void sub_help(const struct sub *sub)
{
    size_t i;
    fputs(sub->usage, stdout);
    fputs("\nOptions:\n", stdout);
    for (i = 0; i < sizeof OPTION_HELP / sizeof OPTION_HELP[0]; i++)
        if (strchr(sub->allowed, OPTION_HELP[i].letter)) fputs(OPTION_HELP[i].text, stdout);
    fputs("Exit status: 0 success, 1 verify-derived mismatch, 2 error.\n", stdout);
}

static void key_usage(FILE *out)
{
    size_t i;
    fprintf(out, "Usage: hallmark key SUBCOMMAND [ARGS...]\n\n"
                 "Create, inspect, derive and commit to keys.  Subcommands:\n");
    for (i = 0; i < N_SUBS; i++) fprintf(out, "  %s\n", subs[i].name);
    fprintf(out, "\nRun 'hallmark key SUBCOMMAND --help' for details; docs/keys.md is the guide.\n");
}

int cli_key(int argc, char **argv)
{
    const struct sub *sub = NULL;
    struct key_opts o;
    char cmd[64];
    size_t i;
    int c;
    if (argc < 2) {
        key_usage(stderr);
        return CLI_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        key_usage(stdout);
        return CLI_OK;
    }
    for (i = 0; i < N_SUBS; i++)
        if (strcmp(argv[1], subs[i].name) == 0) sub = &subs[i];
    if (!sub) return cli_usage_error("key", "unknown key subcommand '%s'", argv[1]);
    snprintf(cmd, sizeof cmd, "key %s", sub->name);
    memset(&o, 0, sizeof o);
    o.kdf = HM_KDF_DEFAULT;
    argc--;
    argv++;
    optind = 1;
    opterr = 0;
    for (;;) {
        int letter, li = -1;
        c = getopt_long(argc, argv, "", long_opts, &li);
        if (c == -1) break;
        if (c == OPT_HELP) {
            sub_help(sub);
            return CLI_OK;
        }
        if (c == '?') {
            if (optopt)
                return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
        letter = opt_letter(c);
        if (!letter || !strchr(sub->allowed, letter))
            return cli_usage_error(cmd, "option '--%s' does not apply to '%s'",
                                   li >= 0 ? long_opts[li].name : "?", cmd);
        switch (c) {
        case OPT_OUT: o.out = optarg; break;
        case OPT_PASSFILE: o.passfile = optarg; break;
        case OPT_KDF:
            o.kdf = parse_kdf(optarg);
            if (!o.kdf)
                return cli_usage_error(cmd, "--kdf must be interactive, moderate or sensitive");
            break;
        case OPT_INSECURE: o.insecure = 1; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_JSON: o.json = 1; break;
        case OPT_COMPACT: o.compact = 1; break;
        case OPT_TENANT: o.tenant = optarg; break;
        case OPT_EPOCH: o.epoch_str = optarg; break;
        case OPT_MASTER: o.master = optarg; break;
        case OPT_OUT_PASSFILE: o.out_passfile = optarg; break;
        default: break;
        }
    }
    {
        int npos = argc - optind;
        char **pos = argv + optind;
        int min = sub->min_pos;
        if (o.master) min = 1;
        if (npos < min || npos > sub->max_pos) {
            if (npos < min) return cli_usage_error(cmd, "missing FILE argument");
            return cli_usage_error(cmd, "unexpected argument '%s'", pos[sub->max_pos]);
        }
        if (strchr(sub->allowed, 'o') && !o.out) {
            if (strcmp(sub->name, "pubkey") == 0)
                o.out = "-";
            else
                return cli_usage_error(cmd, "%s needs --out", cmd);
        }
        return sub->run(&o, npos, pos);
    }
}
