/*
 * key.c - watermark and signing keys: generation, public ids, commitments,
 * per-tenant derivation and Ed25519 signatures.  The key-file format lives
 * in keyfile.c.  Every encoding hashed here is specified in docs/formats.md
 * ("Key files"); integers are hashed little-endian.
 */
#include "key_internal.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "hallmark/error.h"

/* Domain-separation strings (each hashed with its terminating NUL). */
static const char ID_DOMAIN[] = "hallmark-key-id-v1";
static const char COMMIT_DOMAIN[] = "hallmark-key-commitment-v1";
static const char DERIVE_DOMAIN[] = "hallmark-derive-v1";

/* Class bytes: what the hashed key bytes are. */
enum { CLASS_WATERMARK = 1, CLASS_ED25519_PUBLIC = 2 };

size_t hm_key_bytes(void) { return HM_KEY_BYTES; }
size_t hm_key_commitmentbytes(void) { return HM_KEY_COMMITMENTBYTES; }
size_t hm_key_idbytes(void) { return HM_KEY_IDBYTES; }
size_t hm_key_id_bufsize(void) { return HM_KEY_ID_BUFSIZE; }
size_t hm_key_publickeybytes(void) { return HM_KEY_PUBLICKEYBYTES; }
size_t hm_key_signaturebytes(void) { return HM_KEY_SIGNATUREBYTES; }
size_t hm_key_tenant_maxbytes(void) { return HM_KEY_TENANT_MAXBYTES; }

uint64_t hm_key__now(void)
{
    time_t t = time(NULL);
    return t < 0 ? 0 : (uint64_t)t;
}

int hm_key__alloc(int kind, uint64_t created, hm_key **out)
{
    hm_key *k;
    *out = NULL;
    if (hm_init() != HM_OK) return HM_E_CRYPTO;
    if (created > HM_KEY_CREATED_MAX) return HM_E_RANGE;
    k = sodium_malloc(sizeof *k);
    if (!k) return HM_E_NOMEM;
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->created = created;
    *out = k;
    return HM_OK;
}

void hm_key_free(hm_key *key)
{
    if (key) sodium_free(key); /* sodium_free wipes before unmapping */
}

int hm_key__signing_fill(hm_key *key)
{
    if (crypto_sign_seed_keypair(key->pk, key->sk, key->secret) != 0) return HM_E_CRYPTO;
    return HM_OK;
}

static int is_watermark(const hm_key *key)
{
    return key && (key->kind == HM_KEY_MASTER || key->kind == HM_KEY_DERIVED);
}

static int is_ed25519(const hm_key *key)
{
    return key && (key->kind == HM_KEY_SIGNING || key->kind == HM_KEY_PUBLIC);
}

const uint8_t *hm_key_secret(const hm_key *key)
{
    return is_watermark(key) ? key->secret : NULL;
}

int hm_key_generate(hm_key **out)
{
    hm_key *k;
    int s;
    if (!out) return HM_E_MISUSE;
    s = hm_key__alloc(HM_KEY_MASTER, hm_key__now(), &k);
    if (s != HM_OK) return s;
    randombytes_buf(k->secret, sizeof k->secret);
    *out = k;
    return HM_OK;
}

int hm_key_from_bytes(const uint8_t bytes[HM_KEY_BYTES], uint64_t created, hm_key **out)
{
    hm_key *k;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!bytes) return HM_E_MISUSE;
    s = hm_key__alloc(HM_KEY_MASTER, created, &k);
    if (s != HM_OK) return s;
    memcpy(k->secret, bytes, HM_KEY_BYTES);
    *out = k;
    return HM_OK;
}

int hm_key_signing_from_seed(const uint8_t seed[HM_KEY_BYTES], uint64_t created, hm_key **out)
{
    hm_key *k;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!seed) return HM_E_MISUSE;
    s = hm_key__alloc(HM_KEY_SIGNING, created, &k);
    if (s != HM_OK) return s;
    memcpy(k->secret, seed, HM_KEY_BYTES);
    s = hm_key__signing_fill(k);
    if (s != HM_OK) {
        hm_key_free(k);
        return s;
    }
    *out = k;
    return HM_OK;
}

int hm_key_generate_signing(hm_key **out)
{
    uint8_t seed[HM_KEY_BYTES];
    int s;
    if (!out) return HM_E_MISUSE;
    if (hm_init() != HM_OK) return HM_E_CRYPTO;
    randombytes_buf(seed, sizeof seed);
    s = hm_key_signing_from_seed(seed, hm_key__now(), out);
    sodium_memzero(seed, sizeof seed);
    return s;
}

int hm_key_public(const hm_key *key, hm_key **out)
{
    hm_key *k;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!is_ed25519(key)) return HM_E_MISUSE;
    s = hm_key__alloc(HM_KEY_PUBLIC, key->created, &k);
    if (s != HM_OK) return s;
    memcpy(k->pk, key->pk, sizeof k->pk);
    *out = k;
    return HM_OK;
}

int hm_key_kind(const hm_key *key) { return key ? key->kind : 0; }

const char *hm_key_kind_name(int kind)
{
    switch (kind) {
    case HM_KEY_MASTER: return "master";
    case HM_KEY_DERIVED: return "derived";
    case HM_KEY_SIGNING: return "signing";
    case HM_KEY_PUBLIC: return "public";
    default: return "unknown";
    }
}

uint64_t hm_key_created(const hm_key *key) { return key ? key->created : 0; }

const char *hm_key_tenant(const hm_key *key)
{
    return key && key->kind == HM_KEY_DERIVED ? key->tenant : NULL;
}

uint64_t hm_key_epoch(const hm_key *key)
{
    return key && key->kind == HM_KEY_DERIVED ? key->epoch : 0;
}

int hm_key_parent_id(const hm_key *key, char out[HM_KEY_ID_BUFSIZE])
{
    if (!key || !out) return HM_E_MISUSE;
    if (key->kind != HM_KEY_DERIVED) return HM_E_STATE;
    memcpy(out, key->parent_id, HM_KEY_ID_BUFSIZE);
    return HM_OK;
}

/* BLAKE2b-256(domain || 0x00 || class || the key's bytes). */
static int domain_hash(const hm_key *key, const char *domain, size_t domain_size,
                       uint8_t out[32])
{
    crypto_generichash_state st;
    uint8_t cls;
    const uint8_t *bytes;
    if (is_watermark(key)) {
        cls = CLASS_WATERMARK;
        bytes = key->secret;
    } else if (is_ed25519(key)) {
        cls = CLASS_ED25519_PUBLIC;
        bytes = key->pk;
    } else {
        return HM_E_MISUSE;
    }
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)domain, domain_size); /* includes NUL */
    crypto_generichash_update(&st, &cls, 1);
    crypto_generichash_update(&st, bytes, 32);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
    return HM_OK;
}

int hm_key_id(const hm_key *key, char out[HM_KEY_ID_BUFSIZE])
{
    uint8_t h[32];
    int s;
    if (!key || !out) return HM_E_MISUSE;
    s = domain_hash(key, ID_DOMAIN, sizeof ID_DOMAIN, h);
    if (s != HM_OK) return s;
    sodium_bin2hex(out, HM_KEY_ID_BUFSIZE, h, HM_KEY_IDBYTES);
    return HM_OK;
}

int hm_key_commitment(const hm_key *key, uint8_t out[HM_KEY_COMMITMENTBYTES])
{
    if (!key || !out) return HM_E_MISUSE;
    return domain_hash(key, COMMIT_DOMAIN, sizeof COMMIT_DOMAIN, out);
}

int hm_key__tenant_check(const char *tenant, size_t len)
{
    const unsigned char *p = (const unsigned char *)tenant;
    size_t i = 0;
    if (len == 0 || len > HM_KEY_TENANT_MAXBYTES) return HM_E_RANGE;
    while (i < len) {
        unsigned c = p[i], need, cp, k;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return HM_E_UTF8;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return HM_E_UTF8;
        }
        if (len - i <= need) return HM_E_UTF8;
        for (k = 1; k <= need; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xc0) != 0x80) return HM_E_UTF8;
            cp = (cp << 6) | (cc & 0x3f);
        }
        /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return HM_E_UTF8;
        i += need + 1;
    }
    return HM_OK;
}

/* The derived secret of (tenant, epoch) under master secret `m`. */
static void derive_secret(const uint8_t m[HM_KEY_SECRET_BYTES], const char *tenant,
                          size_t tenant_len, uint64_t epoch, uint8_t out[HM_KEY_SECRET_BYTES])
{
    crypto_generichash_state st;
    uint8_t le[8];
    unsigned i;
    crypto_generichash_init(&st, m, HM_KEY_SECRET_BYTES, HM_KEY_SECRET_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)DERIVE_DOMAIN, sizeof DERIVE_DOMAIN);
    for (i = 0; i < 4; i++) le[i] = (uint8_t)((uint64_t)tenant_len >> (8 * i));
    crypto_generichash_update(&st, le, 4);
    crypto_generichash_update(&st, (const uint8_t *)tenant, tenant_len);
    for (i = 0; i < 8; i++) le[i] = (uint8_t)(epoch >> (8 * i));
    crypto_generichash_update(&st, le, 8);
    crypto_generichash_final(&st, out, HM_KEY_SECRET_BYTES);
    sodium_memzero(&st, sizeof st);
}

int hm_key_derive(const hm_key *master, const char *tenant, size_t tenant_len, uint64_t epoch,
                  hm_key **out)
{
    hm_key *k;
    int s;
    if (!out) return HM_E_MISUSE;
    *out = NULL;
    if (!master || !tenant || master->kind != HM_KEY_MASTER) return HM_E_MISUSE;
    s = hm_key__tenant_check(tenant, tenant_len);
    if (s != HM_OK) return s;
    s = hm_key__alloc(HM_KEY_DERIVED, hm_key__now(), &k);
    if (s != HM_OK) return s;
    derive_secret(master->secret, tenant, tenant_len, epoch, k->secret);
    memcpy(k->tenant, tenant, tenant_len);
    k->tenant[tenant_len] = 0;
    k->tenant_len = tenant_len;
    k->epoch = epoch;
    s = hm_key_id(master, k->parent_id);
    if (s != HM_OK) {
        hm_key_free(k);
        return s;
    }
    *out = k;
    return HM_OK;
}

int hm_key_verify_derived(const hm_key *master, const hm_key *derived)
{
    uint8_t expect[HM_KEY_SECRET_BYTES];
    char mid[HM_KEY_ID_BUFSIZE];
    int same;
    if (!master || !derived || master->kind != HM_KEY_MASTER || derived->kind != HM_KEY_DERIVED)
        return HM_E_MISUSE;
    if (hm_key_id(master, mid) != HM_OK) return HM_E_INTERNAL;
    derive_secret(master->secret, derived->tenant, derived->tenant_len, derived->epoch, expect);
    same = sodium_memcmp(expect, derived->secret, sizeof expect) == 0;
    sodium_memzero(expect, sizeof expect);
    if (!same || strcmp(mid, derived->parent_id) != 0) return HM_E_SIGNATURE;
    return HM_OK;
}

int hm_key_sign(const hm_key *key, const uint8_t *msg, size_t len,
                uint8_t sig[HM_KEY_SIGNATUREBYTES])
{
    if (!key || key->kind != HM_KEY_SIGNING || !sig || (!msg && len > 0)) return HM_E_MISUSE;
    if (crypto_sign_detached(sig, NULL, msg, len, key->sk) != 0) return HM_E_CRYPTO;
    return HM_OK;
}

int hm_key_verify(const hm_key *key, const uint8_t *msg, size_t len,
                  const uint8_t sig[HM_KEY_SIGNATUREBYTES])
{
    if (!is_ed25519(key) || !sig || (!msg && len > 0)) return HM_E_MISUSE;
    if (crypto_sign_verify_detached(sig, msg, len, key->pk) != 0) return HM_E_SIGNATURE;
    return HM_OK;
}

int hm_key_public_bytes(const hm_key *key, uint8_t out[HM_KEY_PUBLICKEYBYTES])
{
    if (!is_ed25519(key) || !out) return HM_E_MISUSE;
    memcpy(out, key->pk, HM_KEY_PUBLICKEYBYTES);
    return HM_OK;
}

int hm_key__format_time(uint64_t t, char out[HM_KEY_TIME_LEN + 1])
{
    struct tm tm;
    time_t tt;
    if (t > HM_KEY_CREATED_MAX) return HM_E_RANGE;
    tt = (time_t)t;
    if (!gmtime_r(&tt, &tm)) return HM_E_RANGE;
    if (strftime(out, HM_KEY_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != HM_KEY_TIME_LEN)
        return HM_E_RANGE;
    return HM_OK;
}

/* Reads `n` decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int hm_key__parse_time(const char *s, size_t len, uint64_t *out)
{
    struct tm tm;
    time_t t;
    char again[HM_KEY_TIME_LEN + 1];
    int y, mo, d, h, mi, se;
    if (len != HM_KEY_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return HM_E_FORMAT;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    se = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || se < 0 || se > 59)
        return HM_E_FORMAT;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    t = timegm(&tm);
    if (t < 0) return HM_E_FORMAT;
    /* Canonical only: 2026-02-30 would normalize to another date. */
    if (hm_key__format_time((uint64_t)t, again) != HM_OK || memcmp(again, s, HM_KEY_TIME_LEN) != 0)
        return HM_E_FORMAT;
    *out = (uint64_t)t;
    return HM_OK;
}
