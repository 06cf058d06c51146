/*
 * key_internal.h - private access to key material, for the PRF and the
 * schemes inside libhallmark, and the layout of hm_key shared by key.c
 * (keys, ids, derivation, signing) and keyfile.c (the key-file format).
 * Never installed; never include it from cli/.
 */
#ifndef HM_KEY_INTERNAL_H
#define HM_KEY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hallmark/key.h"

#define HM_KEY_SECRET_BYTES 32

/* Latest creation time a key may carry: 9999-12-31T23:59:59Z. */
#define HM_KEY_CREATED_MAX 253402300799ULL

/* Length of "YYYY-MM-DDTHH:MM:SSZ". */
#define HM_KEY_TIME_LEN 20

/* The whole object lives in sodium_malloc'd (guarded, locked) memory and is
 * wiped by sodium_free. */
struct hm_key {
    int kind;                  /* hm_key_kind */
    uint64_t created;          /* unix seconds */
    uint64_t epoch;            /* derived keys */
    size_t tenant_len;         /* derived keys: bytes in tenant */
    char parent_id[HM_KEY_ID_BUFSIZE];         /* derived keys */
    char tenant[HM_KEY_TENANT_MAXBYTES + 1];   /* derived keys, NUL-terminated */
    uint8_t secret[HM_KEY_SECRET_BYTES]; /* watermark secret, or Ed25519 seed */
    uint8_t pk[HM_KEY_PUBLICKEYBYTES];   /* signing and public keys */
    uint8_t sk[64];                      /* signing keys: libsodium's secret key */
};

/* The key's 32 secret bytes (owned by `key`; valid while it lives).
 * Works for master and derived watermark keys (kind HM_KEY_MASTER or
 * HM_KEY_DERIVED); returns NULL for signing keys. */
const uint8_t *hm_key_secret(const hm_key *key);

/* A zeroed key of `kind` created at `created`, in guarded memory.
 * Returns HM_OK, HM_E_NOMEM, HM_E_CRYPTO (library init), HM_E_RANGE. */
int hm_key__alloc(int kind, uint64_t created, hm_key **out);

/* Fills pk/sk of a signing key from key->secret (the seed). */
int hm_key__signing_fill(hm_key *key);

/* HM_OK if `tenant` (len bytes) is a valid tenant id; HM_E_RANGE (empty or
 * too long) or HM_E_UTF8 (invalid UTF-8 or a control character). */
int hm_key__tenant_check(const char *tenant, size_t len);

/* Formats unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (HM_KEY_TIME_LEN chars and
 * a NUL).  Returns HM_OK or HM_E_RANGE. */
int hm_key__format_time(uint64_t t, char out[HM_KEY_TIME_LEN + 1]);

/* Parses exactly that canonical form.  Returns HM_OK or HM_E_FORMAT. */
int hm_key__parse_time(const char *s, size_t len, uint64_t *out);

/* Current time in unix seconds. */
uint64_t hm_key__now(void);

#endif /* HM_KEY_INTERNAL_H */
