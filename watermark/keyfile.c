/*
 * keyfile.c - the key-file format (version 1): writing keys to an
 * ASCII-armored text image and parsing it back, strictly.
 *
 * A file is a fixed sequence of "Name: value" lines between BEGIN and END
 * lines; which lines appear depends only on the kind and the protection.
 * Everything before the "Checksum:" line is covered by a BLAKE2b-256
 * checksum that is checked before any Argon2id work, and an encrypted
 * file's AEAD takes every byte before the "Secret:" line as associated
 * data.  Values have one canonical spelling each (lowercase hex of a fixed
 * length, decimal without leading zeros, one time format), so a single
 * changed byte anywhere is always detected.  The format is specified in
 * docs/formats.md ("Key files").
 */
#include "key_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"

#define FORMAT_VERSION "1"
static const char MAGIC_SECRET[] = "-----BEGIN HALLMARK KEY-----\n";
static const char END_SECRET[] = "-----END HALLMARK KEY-----\n";
static const char MAGIC_PUBLIC[] = "-----BEGIN HALLMARK PUBLIC KEY-----\n";
static const char END_PUBLIC[] = "-----END HALLMARK PUBLIC KEY-----\n";
static const char PROT_AEAD[] = "argon2id-xchacha20poly1305";
static const char PROT_NONE[] = "none";
static const char WARNING[] = "UNENCRYPTED - FOR TESTS ONLY";
static const char ALG_ED25519[] = "ed25519";


#define SALTBYTES crypto_pwhash_SALTBYTES
#define NONCEBYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAGBYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SUMBYTES 32
#define OUT_CAP 2048 /* every key file is well below this */

/* ---- writing --------------------------------------------------------- */

struct out {
    uint8_t *p;
    size_t len;
    int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->overflow || OUT_CAP - o->len < n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_str(struct out *o, const char *s) { put(o, s, strlen(s)); }

static void put_field(struct out *o, const char *name, const char *value, size_t vlen)
{
    put_str(o, name);
    put_str(o, ": ");
    put(o, value, vlen);
    put_str(o, "\n");
}

static void put_field_s(struct out *o, const char *name, const char *value)
{
    put_field(o, name, value, strlen(value));
}

static void put_field_u64(struct out *o, const char *name, unsigned long long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%llu", v);
    put_field(o, name, buf, (size_t)n);
}

static void put_field_hex(struct out *o, const char *name, const uint8_t *bin, size_t n)
{
    char hex[2 * 64 + 1];
    if (n > 64) {
        o->overflow = 1;
        return;
    }
    sodium_bin2hex(hex, sizeof hex, bin, n);
    put_field(o, name, hex, 2 * n);
    sodium_memzero(hex, sizeof hex);
}

/* The lines every file starts with, up to (not including) "Protection". */
static int put_head(struct out *o, const hm_key *key, int public_file)
{
    char id[HM_KEY_ID_BUFSIZE], when[HM_KEY_TIME_LEN + 1];
    int s = hm_key_id(key, id);
    if (s != HM_OK) return s;
    s = hm_key__format_time(key->created, when);
    if (s != HM_OK) return s;
    put_str(o, public_file ? MAGIC_PUBLIC : MAGIC_SECRET);
    put_field_s(o, "Version", FORMAT_VERSION);
    put_field_s(o, "Kind", hm_key_kind_name(public_file ? HM_KEY_PUBLIC : key->kind));
    put_field_s(o, "Key-Id", id);
    put_field_s(o, "Created", when);
    if (key->kind == HM_KEY_DERIVED) {
        put_field_s(o, "Parent-Id", key->parent_id);
        put_field(o, "Tenant", key->tenant, key->tenant_len);
        put_field_u64(o, "Epoch", (unsigned long long)key->epoch);
    }
    if (key->kind == HM_KEY_SIGNING || key->kind == HM_KEY_PUBLIC) {
        put_field_s(o, "Algorithm", ALG_ED25519);
        put_field_hex(o, "Public-Key", key->pk, sizeof key->pk);
    }
    return HM_OK;
}

/* Appends the checksum and END lines and hands the buffer out. */
static int finish(struct out *o, int public_file, uint8_t **out, size_t *outlen)
{
    uint8_t sum[SUMBYTES];
    crypto_generichash(sum, sizeof sum, o->p, o->len, NULL, 0);
    put_field_hex(o, "Checksum", sum, sizeof sum);
    put_str(o, public_file ? END_PUBLIC : END_SECRET);
    if (o->overflow) return HM_E_INTERNAL;
    *out = o->p;
    *outlen = o->len;
    o->p = NULL;
    return HM_OK;
}

static int out_start(struct out *o)
{
    o->p = malloc(OUT_CAP);
    o->len = 0;
    o->overflow = 0;
    return o->p ? HM_OK : HM_E_NOMEM;
}

static void out_abort(struct out *o)
{
    if (o->p) {
        sodium_memzero(o->p, OUT_CAP);
        free(o->p);
        o->p = NULL;
    }
}

void hm_key_buffer_free(uint8_t *buf, size_t len)
{
    if (!buf) return;
    sodium_memzero(buf, len);
    free(buf);
}

static int kdf_params(int level, unsigned long long *ops, size_t *mem)
{
    switch (level) {
    case HM_KDF_INTERACTIVE:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        return HM_OK;
    case HM_KDF_MODERATE:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        return HM_OK;
    case HM_KDF_SENSITIVE:
        *ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
        *mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
        return HM_OK;
    case HM_KDF_MIN:
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
        return HM_OK;
    default: return HM_E_MISUSE;
    }
}

/* Only the Argon2id settings that hallmark itself writes are accepted on
 * reading: the parameters sit in the file's header, which is authenticated
 * only after the KDF has run, so a tampered header could otherwise make
 * every open cost minutes and gigabytes.  The dearest preset (sensitive) is
 * the bound: 4 passes over 1 GiB. */
static int kdf_is_preset(uint64_t ops, uint64_t mem)
{
    int level;
    for (level = HM_KDF_INTERACTIVE; level <= HM_KDF_MIN; level++) {
        unsigned long long o;
        size_t m;
        if (kdf_params(level, &o, &m) == HM_OK && o == ops && (uint64_t)m == mem) return 1;
    }
    return 0;
}

static int secret_kind(const hm_key *key)
{
    return key && (key->kind == HM_KEY_MASTER || key->kind == HM_KEY_DERIVED ||
                   key->kind == HM_KEY_SIGNING);
}

int hm_key_save(const hm_key *key, const char *passphrase, size_t passlen, int kdf,
                uint8_t **out, size_t *outlen)
{
    struct out o;
    unsigned long long ops;
    size_t mem;
    uint8_t salt[SALTBYTES], nonce[NONCEBYTES], ct[HM_KEY_SECRET_BYTES + TAGBYTES];
    uint8_t *aead_key = NULL;
    int s;
    if (!out || !outlen) return HM_E_MISUSE;
    *out = NULL;
    *outlen = 0;
    if (!secret_kind(key) || !passphrase || passlen == 0) return HM_E_MISUSE;
    s = kdf_params(kdf, &ops, &mem);
    if (s != HM_OK) return s;
    s = out_start(&o);
    if (s != HM_OK) return s;
    s = put_head(&o, key, 0);
    if (s != HM_OK) goto done;
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    put_field_s(&o, "Protection", PROT_AEAD);
    put_field_u64(&o, "KDF-Opslimit", ops);
    put_field_u64(&o, "KDF-Memlimit", (unsigned long long)mem);
    put_field_hex(&o, "Salt", salt, sizeof salt);
    put_field_hex(&o, "Nonce", nonce, sizeof nonce);
    if (o.overflow) {
        s = HM_E_INTERNAL;
        goto done;
    }
    aead_key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    if (!aead_key) {
        s = HM_E_NOMEM;
        goto done;
    }
    if (crypto_pwhash(aead_key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase,
                      passlen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        s = HM_E_CRYPTO;
        goto done;
    }
    /* Associated data: every byte written so far (the whole header). */
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, key->secret, HM_KEY_SECRET_BYTES, o.p,
                                               o.len, NULL, nonce, aead_key);
    put_field_hex(&o, "Secret", ct, sizeof ct);
    s = finish(&o, 0, out, outlen);
done:
    if (aead_key) sodium_free(aead_key);
    out_abort(&o);
    return s;
}

int hm_key_save_insecure(const hm_key *key, uint8_t **out, size_t *outlen)
{
    struct out o;
    int s;
    if (!out || !outlen) return HM_E_MISUSE;
    *out = NULL;
    *outlen = 0;
    if (!secret_kind(key)) return HM_E_MISUSE;
    s = out_start(&o);
    if (s != HM_OK) return s;
    s = put_head(&o, key, 0);
    if (s == HM_OK) {
        put_field_s(&o, "Protection", PROT_NONE);
        put_field_s(&o, "Warning", WARNING);
        put_field_hex(&o, "Secret", key->secret, HM_KEY_SECRET_BYTES);
        s = finish(&o, 0, out, outlen);
    }
    out_abort(&o);
    return s;
}

int hm_key_save_public(const hm_key *key, uint8_t **out, size_t *outlen)
{
    struct out o;
    int s;
    if (!out || !outlen) return HM_E_MISUSE;
    *out = NULL;
    *outlen = 0;
    if (!key || (key->kind != HM_KEY_SIGNING && key->kind != HM_KEY_PUBLIC)) return HM_E_MISUSE;
    s = out_start(&o);
    if (s != HM_OK) return s;
    {
        /* Written as a public key, whatever `key` is. */
        hm_key pub;
        memset(&pub, 0, sizeof pub);
        pub.kind = HM_KEY_PUBLIC;
        pub.created = key->created;
        memcpy(pub.pk, key->pk, sizeof pub.pk);
        s = put_head(&o, &pub, 1);
    }
    if (s == HM_OK) s = finish(&o, 1, out, outlen);
    out_abort(&o);
    return s;
}

/* ---- parsing --------------------------------------------------------- */

struct span {
    const char *p;
    size_t n;
};

struct cursor {
    const uint8_t *buf;
    size_t len, pos;
};

struct parsed {
    int public_file, kind, encrypted;
    struct span key_id, created, parent_id, tenant, epoch, pk, ops, mem, salt, nonce, secret,
        sum;
    size_t ad_len;  /* bytes before the Secret line */
    size_t sum_len; /* bytes before the Checksum line */
};

/* Matches the literal `lit` at the cursor: HM_E_TRUNCATED if the input ends
 * inside it, HM_E_CORRUPT on a differing byte. */
static int expect_lit(struct cursor *c, const char *lit)
{
    size_t i, n = strlen(lit);
    for (i = 0; i < n; i++) {
        if (c->pos + i >= c->len) return HM_E_TRUNCATED;
        if (c->buf[c->pos + i] != (uint8_t)lit[i]) return HM_E_CORRUPT;
    }
    c->pos += n;
    return HM_OK;
}

/* Reads "Name: value\n"; the value is every byte up to the newline. */
static int field(struct cursor *c, const char *name, struct span *v)
{
    const uint8_t *nl;
    int s = expect_lit(c, name);
    if (s == HM_OK) s = expect_lit(c, ": ");
    if (s != HM_OK) return s;
    nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);
    if (!nl) return HM_E_TRUNCATED;
    v->p = (const char *)c->buf + c->pos;
    v->n = (size_t)(nl - (c->buf + c->pos));
    c->pos += v->n + 1;
    return HM_OK;
}

static int is_lit(const struct span *v, const char *lit)
{
    return v->n == strlen(lit) && memcmp(v->p, lit, v->n) == 0;
}

static int is_hex(const struct span *v, size_t bytes)
{
    size_t i;
    if (v->n != 2 * bytes) return 0;
    for (i = 0; i < v->n; i++) {
        char ch = v->p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return 0;
    }
    return 1;
}

/* Canonical decimal (no sign, no leading zero) that fits in 64 bits. */
static int parse_u64(const struct span *v, uint64_t *out)
{
    uint64_t x = 0;
    size_t i;
    if (v->n == 0 || v->n > 20 || (v->n > 1 && v->p[0] == '0')) return 0;
    for (i = 0; i < v->n; i++) {
        unsigned d;
        if (v->p[i] < '0' || v->p[i] > '9') return 0;
        d = (unsigned)(v->p[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return 0;
        x = x * 10 + d;
    }
    *out = x;
    return 1;
}

static void unhex(const struct span *v, uint8_t *out, size_t bytes)
{
    sodium_hex2bin(out, bytes, v->p, v->n, NULL, NULL, NULL);
}

/* Checked field: read it, then `ok` must hold, else the file is corrupt. */
#define FIELD(name, span, ok)                                                  \
    do {                                                                       \
        s = field(&c, name, span);                                             \
        if (s != HM_OK) return s;                                              \
        if (!(ok)) return HM_E_CORRUPT;                                        \
    } while (0)

/* Structure, syntax and checksum: everything but decryption. */
static int parse(const uint8_t *buf, size_t len, struct parsed *pf)
{
    struct cursor c = {buf, len, 0};
    struct span v;
    uint8_t sum[SUMBYTES], want[SUMBYTES];
    uint64_t u;
    int s;
    size_t n;
    memset(pf, 0, sizeof *pf);
    /* The BEGIN line decides whether this is a key file at all. */
    if (len >= sizeof MAGIC_SECRET - 1 && memcmp(buf, MAGIC_SECRET, sizeof MAGIC_SECRET - 1) == 0) {
        pf->public_file = 0;
    } else if (len >= sizeof MAGIC_PUBLIC - 1 &&
               memcmp(buf, MAGIC_PUBLIC, sizeof MAGIC_PUBLIC - 1) == 0) {
        pf->public_file = 1;
    } else {
        n = len;
        if ((n < sizeof MAGIC_SECRET - 1 && memcmp(buf, MAGIC_SECRET, n) == 0) ||
            (n < sizeof MAGIC_PUBLIC - 1 && memcmp(buf, MAGIC_PUBLIC, n) == 0))
            return HM_E_TRUNCATED;
        return HM_E_FORMAT;
    }
    c.pos = pf->public_file ? sizeof MAGIC_PUBLIC - 1 : sizeof MAGIC_SECRET - 1;
    /* Version next: a newer file must be named as such, not as damaged. */
    s = field(&c, "Version", &v);
    if (s != HM_OK) return s;
    if (!parse_u64(&v, &u)) return HM_E_CORRUPT;
    if (!is_lit(&v, FORMAT_VERSION)) return HM_E_VERSION;

    FIELD("Kind", &v, 1);
    if (pf->public_file) {
        if (!is_lit(&v, "public")) return HM_E_CORRUPT;
        pf->kind = HM_KEY_PUBLIC;
    } else if (is_lit(&v, "master")) {
        pf->kind = HM_KEY_MASTER;
    } else if (is_lit(&v, "derived")) {
        pf->kind = HM_KEY_DERIVED;
    } else if (is_lit(&v, "signing")) {
        pf->kind = HM_KEY_SIGNING;
    } else {
        return HM_E_CORRUPT;
    }
    FIELD("Key-Id", &pf->key_id, is_hex(&pf->key_id, HM_KEY_IDBYTES));
    FIELD("Created", &pf->created, pf->created.n == HM_KEY_TIME_LEN);
    if (pf->kind == HM_KEY_DERIVED) {
        FIELD("Parent-Id", &pf->parent_id, is_hex(&pf->parent_id, HM_KEY_IDBYTES));
        FIELD("Tenant", &pf->tenant,
              hm_key__tenant_check(pf->tenant.p, pf->tenant.n) == HM_OK);
        FIELD("Epoch", &pf->epoch, parse_u64(&pf->epoch, &u));
    }
    if (pf->kind == HM_KEY_SIGNING || pf->kind == HM_KEY_PUBLIC) {
        FIELD("Algorithm", &v, is_lit(&v, ALG_ED25519));
        FIELD("Public-Key", &pf->pk, is_hex(&pf->pk, HM_KEY_PUBLICKEYBYTES));
    }
    if (!pf->public_file) {
        FIELD("Protection", &v, is_lit(&v, PROT_AEAD) || is_lit(&v, PROT_NONE));
        pf->encrypted = is_lit(&v, PROT_AEAD);
        if (pf->encrypted) {
            FIELD("KDF-Opslimit", &pf->ops, parse_u64(&pf->ops, &u));
            FIELD("KDF-Memlimit", &pf->mem, parse_u64(&pf->mem, &u));
            FIELD("Salt", &pf->salt, is_hex(&pf->salt, SALTBYTES));
            FIELD("Nonce", &pf->nonce, is_hex(&pf->nonce, NONCEBYTES));
        } else {
            FIELD("Warning", &v, is_lit(&v, WARNING));
        }
        pf->ad_len = c.pos;
        FIELD("Secret", &pf->secret,
              is_hex(&pf->secret, HM_KEY_SECRET_BYTES + (pf->encrypted ? TAGBYTES : 0)));
    }
    pf->sum_len = c.pos;
    FIELD("Checksum", &pf->sum, is_hex(&pf->sum, SUMBYTES));
    s = expect_lit(&c, pf->public_file ? END_PUBLIC : END_SECRET);
    if (s != HM_OK) return s;
    if (c.pos != len) return HM_E_CORRUPT; /* trailing data */
    crypto_generichash(sum, sizeof sum, buf, pf->sum_len, NULL, 0);
    unhex(&pf->sum, want, sizeof want);
    if (crypto_verify_32(sum, want) != 0) return HM_E_CORRUPT;
    return HM_OK;
}

int hm_key_probe(const uint8_t *buf, size_t len, int *kind, int *encrypted)
{
    struct parsed pf;
    int s;
    if (!buf && len > 0) return HM_E_MISUSE;
    if (!buf) return HM_E_TRUNCATED;
    s = parse(buf, len, &pf);
    if (s != HM_OK) return s;
    if (kind) *kind = pf.kind;
    if (encrypted) *encrypted = pf.encrypted;
    return HM_OK;
}

/* Decrypts (or copies) the secret into k->secret. */
static int open_secret(const uint8_t *buf, const struct parsed *pf, const char *passphrase,
                       size_t passlen, hm_key *k)
{
    uint8_t salt[SALTBYTES], nonce[NONCEBYTES], ct[HM_KEY_SECRET_BYTES + TAGBYTES];
    uint8_t *aead_key;
    uint64_t ops, mem;
    int s = HM_OK;
    if (!pf->encrypted) {
        unhex(&pf->secret, k->secret, HM_KEY_SECRET_BYTES);
        return HM_OK;
    }
    if (!parse_u64(&pf->ops, &ops) || !parse_u64(&pf->mem, &mem)) return HM_E_CORRUPT;
    if (!kdf_is_preset(ops, mem)) return HM_E_LIMIT;
    if (!passphrase || passlen == 0) return HM_E_PASSPHRASE;
    unhex(&pf->salt, salt, sizeof salt);
    unhex(&pf->nonce, nonce, sizeof nonce);
    unhex(&pf->secret, ct, sizeof ct);
    aead_key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    if (!aead_key) return HM_E_NOMEM;
    if (crypto_pwhash(aead_key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase, passlen,
                      salt, (unsigned long long)ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        s = HM_E_CRYPTO;
    } else if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->secret, NULL, NULL, ct, sizeof ct,
                                                          buf, pf->ad_len, nonce,
                                                          aead_key) != 0) {
        /* The checksum held, so the file is as written: the passphrase is
         * wrong (or someone rewrote the header and its checksum). */
        s = HM_E_PASSPHRASE;
    }
    sodium_free(aead_key);
    return s;
}

int hm_key_load(const uint8_t *buf, size_t len, const char *passphrase, size_t passlen,
                hm_key **out)
{
    struct parsed pf;
    hm_key *k = NULL;
    uint64_t created;
    char id[HM_KEY_ID_BUFSIZE];
    uint8_t pk[HM_KEY_PUBLICKEYBYTES];
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!buf && len > 0) return HM_E_MISUSE;
    if (!buf) return HM_E_TRUNCATED;
    s = parse(buf, len, &pf);
    if (s != HM_OK) return s;
    if (hm_key__parse_time(pf.created.p, pf.created.n, &created) != HM_OK ||
        created > HM_KEY_CREATED_MAX)
        return HM_E_CORRUPT;
    s = hm_key__alloc(pf.kind, created, &k);
    if (s != HM_OK) return s;
    if (pf.kind == HM_KEY_DERIVED) {
        memcpy(k->parent_id, pf.parent_id.p, 2 * HM_KEY_IDBYTES);
        k->parent_id[2 * HM_KEY_IDBYTES] = 0;
        memcpy(k->tenant, pf.tenant.p, pf.tenant.n);
        k->tenant[pf.tenant.n] = 0;
        k->tenant_len = pf.tenant.n;
        if (!parse_u64(&pf.epoch, &k->epoch)) {
            s = HM_E_CORRUPT;
            goto fail;
        }
    }
    if (pf.kind == HM_KEY_PUBLIC) {
        unhex(&pf.pk, k->pk, sizeof k->pk);
    } else {
        s = open_secret(buf, &pf, passphrase, passlen, k);
        if (s != HM_OK) goto fail;
        if (pf.kind == HM_KEY_SIGNING) {
            s = hm_key__signing_fill(k);
            if (s != HM_OK) goto fail;
            unhex(&pf.pk, pk, sizeof pk);
            if (sodium_memcmp(pk, k->pk, sizeof pk) != 0) {
                s = HM_E_CORRUPT;
                goto fail;
            }
        }
    }
    /* The recorded id must be the key's own. */
    s = hm_key_id(k, id);
    if (s != HM_OK) goto fail;
    if (memcmp(id, pf.key_id.p, 2 * HM_KEY_IDBYTES) != 0) {
        s = HM_E_CORRUPT;
        goto fail;
    }
    *out = k;
    return HM_OK;
fail:
    hm_key_free(k);
    return s;
}
