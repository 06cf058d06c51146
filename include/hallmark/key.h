/*
 * hallmark/key.h - watermark keys and signing keys.
 *
 * A key is an opaque, immutable hm_key of one of four kinds:
 *
 *   HM_KEY_MASTER   32 random secret bytes: the owner's watermark key.
 *   HM_KEY_DERIVED  32 secret bytes derived from a master key for one
 *                   (tenant, epoch) pair; a full watermark key, usable
 *                   wherever a master key is.  It records its derivation
 *                   path: the master's key id, the tenant and the epoch.
 *   HM_KEY_SIGNING  an Ed25519 key pair (for signing evidence reports).
 *   HM_KEY_PUBLIC   an Ed25519 public key alone (for verifying them).
 *
 * Every key has a short public key id (16 lowercase hex characters) and a
 * commitment (BLAKE2b-256 over a domain-separated encoding of the key) that
 * an owner can publish before any dispute; neither reveals the key.  The
 * exact encodings are in docs/formats.md ("Key files").
 *
 * Key files are produced in memory by hm_key_save() (encrypted under a
 * passphrase with Argon2id + XChaCha20-Poly1305), hm_key_save_insecure()
 * (unencrypted, for tests and demos, and marked so in the file) and
 * hm_key_save_public() (an Ed25519 public key), and parsed back by
 * hm_key_load().  The parser is strict: a single changed byte anywhere in a
 * file, a truncation or trailing data is always reported.
 *
 * Ownership: hm_key_* constructors return a new key through `out`; free it
 * with hm_key_free(), which wipes its secret bytes (hm_key_free(NULL) does
 * nothing).  Key material lives in guarded memory (sodium_malloc).  Buffers
 * returned by the hm_key_save* calls belong to the caller, who releases them
 * with hm_key_buffer_free() (which wipes them first).
 *
 * Threads: a key never changes after it is made, so any number of threads
 * may use one key through the const calls at once.  Every call is
 * reentrant.
 *
 * Status codes of the file calls: HM_E_FORMAT (not a Hallmark key file),
 * HM_E_TRUNCATED (the file ends early), HM_E_VERSION (a format version this
 * build does not know), HM_E_CORRUPT (the file was modified or damaged),
 * HM_E_PASSPHRASE (wrong passphrase; the file is intact), HM_E_LIMIT (the
 * file asks for Argon2id parameters beyond the documented bounds).
 */
#ifndef HALLMARK_KEY_H
#define HALLMARK_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

/* Sizes.  Each has a run-time twin below, for bindings. */
#define HM_KEY_BYTES 32U             /* secret bytes of a watermark key */
#define HM_KEY_COMMITMENTBYTES 32U   /* BLAKE2b-256 commitment */
#define HM_KEY_IDBYTES 8U            /* raw key id (shown as 16 hex characters) */
#define HM_KEY_ID_BUFSIZE 17U        /* hex key id plus its NUL */
#define HM_KEY_PUBLICKEYBYTES 32U    /* Ed25519 public key */
#define HM_KEY_SIGNATUREBYTES 64U    /* Ed25519 detached signature */
#define HM_KEY_TENANT_MAXBYTES 255U  /* longest tenant id, in bytes of UTF-8 */

typedef struct hm_key hm_key;

/* Key kinds (the value of hm_key_kind()). */
enum hm_key_kind {
    HM_KEY_MASTER = 1,
    HM_KEY_DERIVED = 2,
    HM_KEY_SIGNING = 3,
    HM_KEY_PUBLIC = 4
};

/* Argon2id strength for hm_key_save().  INTERACTIVE, MODERATE and
 * SENSITIVE are libsodium's crypto_pwhash_{OPS,MEM}LIMIT_* presets (2 passes
 * over 64 MiB, 3 over 256 MiB, 4 over 1 GiB).  HM_KDF_MIN (1 pass over
 * 8 KiB) gives no real protection: it exists to keep tests fast.
 * HM_KDF_DEFAULT is MODERATE (see docs/keys.md for why). */
typedef enum hm_kdf_level {
    HM_KDF_INTERACTIVE = 1,
    HM_KDF_MODERATE = 2,
    HM_KDF_SENSITIVE = 3,
    HM_KDF_MIN = 4
} hm_kdf_level;
#define HM_KDF_DEFAULT HM_KDF_MODERATE

/* Run-time twins of the size macros.  Thread-safe.  Since 0.1.0. */
HM_API size_t hm_key_bytes(void);
HM_API size_t hm_key_commitmentbytes(void);
HM_API size_t hm_key_idbytes(void);
HM_API size_t hm_key_id_bufsize(void);
HM_API size_t hm_key_publickeybytes(void);
HM_API size_t hm_key_signaturebytes(void);
HM_API size_t hm_key_tenant_maxbytes(void);

/* --- making and freeing keys ------------------------------------------ */

/* Generates a new master key: HM_KEY_BYTES bytes from libsodium's CSPRNG,
 * created now.  `out` receives a new key (free with hm_key_free).
 * Returns HM_OK, HM_E_MISUSE (out is NULL), HM_E_NOMEM, HM_E_CRYPTO.
 * Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_generate(hm_key **out);

/* Makes a master key from HM_KEY_BYTES caller bytes, with creation time
 * `created` (unix seconds).  For tests, test vectors and interoperability
 * only: a real key must come from hm_key_generate().  The bytes are copied;
 * the caller wipes its own copy.  Returns HM_OK, HM_E_MISUSE, HM_E_NOMEM,
 * HM_E_RANGE (created beyond 9999-12-31).  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_from_bytes(const uint8_t bytes[HM_KEY_BYTES], uint64_t created,
                                            hm_key **out);

/* Generates a new Ed25519 signing key pair, created now.  Returns HM_OK,
 * HM_E_MISUSE, HM_E_NOMEM, HM_E_CRYPTO.  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_generate_signing(hm_key **out);

/* Makes a signing key from a 32-byte Ed25519 seed (tests and interop only),
 * created at `created`.  Returns as hm_key_from_bytes.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_signing_from_seed(const uint8_t seed[HM_KEY_BYTES],
                                                   uint64_t created, hm_key **out);

/* Makes an HM_KEY_PUBLIC key from a signing key (or copies a public key):
 * same key id and creation time.  Returns HM_OK, HM_E_MISUSE (NULL, or a
 * watermark key), HM_E_NOMEM.  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_public(const hm_key *key, hm_key **out);

/* Frees a key after wiping its secret bytes.  NULL does nothing.
 * Since 0.1.0. */
HM_API void hm_key_free(hm_key *key);

/* --- properties ------------------------------------------------------- */

/* The key's kind (an enum hm_key_kind value), or 0 for NULL.  Since 0.1.0. */
HM_API int hm_key_kind(const hm_key *key);

/* A static lowercase name of a kind: "master", "derived", "signing",
 * "public", or "unknown".  Since 0.1.0. */
HM_API const char *hm_key_kind_name(int kind);

/* Creation time in unix seconds (0 for NULL).  Since 0.1.0. */
HM_API uint64_t hm_key_created(const hm_key *key);

/* Writes the key's public id (16 lowercase hex characters and a NUL) into
 * `out`.  Master and derived keys: from their secret bytes; signing and
 * public keys: from the Ed25519 public key, so a signing key and its .pub
 * file share one id.  Never reveals the key.  Returns HM_OK or HM_E_MISUSE.
 * Thread-safe.  Since 0.1.0. */
HM_API int hm_key_id(const hm_key *key, char out[HM_KEY_ID_BUFSIZE]);

/* Writes the key's commitment, BLAKE2b-256 over
 * "hallmark-key-commitment-v1" || 0x00 || class byte || key bytes (class 1:
 * the 32 secret bytes of a master or derived key; class 2: the Ed25519
 * public key of a signing or public key).  Publishing it reveals nothing;
 * revealing the key later proves it was fixed.  Returns HM_OK or
 * HM_E_MISUSE.  Thread-safe.  Since 0.1.0. */
HM_API int hm_key_commitment(const hm_key *key, uint8_t out[HM_KEY_COMMITMENTBYTES]);

/* A derived key's tenant id (NUL-terminated UTF-8, owned by the key), or
 * NULL for other kinds.  Since 0.1.0. */
HM_API const char *hm_key_tenant(const hm_key *key);

/* A derived key's epoch (0 for other kinds).  Since 0.1.0. */
HM_API uint64_t hm_key_epoch(const hm_key *key);

/* Writes a derived key's parent (master) key id into `out`.  Returns HM_OK,
 * HM_E_MISUSE (NULL), HM_E_STATE (not a derived key).  Since 0.1.0. */
HM_API int hm_key_parent_id(const hm_key *key, char out[HM_KEY_ID_BUFSIZE]);

/* --- derivation ------------------------------------------------------- */

/* Derives the watermark key of (tenant, epoch) from a master key:
 *   BLAKE2b-256(key = master secret, message = "hallmark-derive-v1" || 0x00
 *               || u32le(len(tenant)) || tenant || u64le(epoch)).
 * Injective in (tenant, epoch).  `tenant` is 1..HM_KEY_TENANT_MAXBYTES
 * bytes of valid UTF-8 without control characters (U+0000-U+001F, U+007F);
 * `tenant_len` its length.  The new key (kind HM_KEY_DERIVED, created now)
 * records its path.  Returns HM_OK, HM_E_MISUSE (NULL arguments, or
 * `master` not a master key), HM_E_UTF8 (tenant not valid UTF-8 or holds a
 * control character), HM_E_RANGE (tenant empty or too long), HM_E_NOMEM.
 * Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_derive(const hm_key *master, const char *tenant,
                                        size_t tenant_len, uint64_t epoch, hm_key **out);

/* Checks that `derived` is the key its recorded path gives under `master`
 * (constant-time compare).  Returns HM_OK when it is, HM_E_SIGNATURE when
 * it is not (another master, or altered key bytes), HM_E_MISUSE (NULL, or
 * wrong kinds).  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_verify_derived(const hm_key *master, const hm_key *derived);

/* --- signing (Ed25519) ------------------------------------------------- */

/* Signs `msg` (`len` bytes) with a signing key: a detached 64-byte Ed25519
 * signature into `sig`.  Returns HM_OK, HM_E_MISUSE (NULL, or not a signing
 * key), HM_E_CRYPTO.  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_sign(const hm_key *key, const uint8_t *msg, size_t len,
                                      uint8_t sig[HM_KEY_SIGNATUREBYTES]);

/* Verifies a detached signature with a signing or public key.  Returns
 * HM_OK (valid), HM_E_SIGNATURE (invalid), HM_E_MISUSE.  Thread-safe.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_verify(const hm_key *key, const uint8_t *msg, size_t len,
                                        const uint8_t sig[HM_KEY_SIGNATUREBYTES]);

/* Copies the Ed25519 public key of a signing or public key into `out`.
 * Returns HM_OK or HM_E_MISUSE.  Since 0.1.0. */
HM_API int hm_key_public_bytes(const hm_key *key, uint8_t out[HM_KEY_PUBLICKEYBYTES]);

/* --- key files (in memory; the caller does the I/O) -------------------- */

/* Serializes a master, derived or signing key as a key file encrypted
 * under `passphrase` (`passlen` bytes, at least 1): Argon2id with the
 * strength `kdf` (an hm_kdf_level) and a random salt, then
 * XChaCha20-Poly1305 with a random nonce and the file's header as
 * associated data.  On HM_OK `*out` is a new buffer of `*outlen` bytes
 * (release with hm_key_buffer_free).  Returns HM_OK, HM_E_MISUSE (NULL
 * arguments, empty passphrase, public key, unknown kdf), HM_E_NOMEM,
 * HM_E_CRYPTO (Argon2id could not get its memory).  Thread-safe.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_save(const hm_key *key, const char *passphrase, size_t passlen,
                                      int kdf, uint8_t **out, size_t *outlen);

/* Serializes a master, derived or signing key UNENCRYPTED, for tests and
 * demos: the file says "UNENCRYPTED - FOR TESTS ONLY".  Same returns and
 * ownership as hm_key_save.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_save_insecure(const hm_key *key, uint8_t **out, size_t *outlen);

/* Serializes the Ed25519 public key of a signing or public key as a public
 * key file (the PREFIX.pub of `hallmark key new-signing`).  Same returns
 * and ownership as hm_key_save.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_save_public(const hm_key *key, uint8_t **out, size_t *outlen);

/* Wipes and frees a buffer from the hm_key_save* calls.  NULL does nothing.
 * Since 0.1.0. */
HM_API void hm_key_buffer_free(uint8_t *buf, size_t len);

/* Checks a key file's structure and checksum without decrypting it, and
 * tells its kind (an enum hm_key_kind value) and whether it is encrypted (needs a
 * passphrase).  Either output pointer may be NULL.  Cheap (no Argon2id).
 * Returns HM_OK, HM_E_MISUSE, HM_E_FORMAT, HM_E_TRUNCATED, HM_E_VERSION,
 * HM_E_CORRUPT.  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_probe(const uint8_t *buf, size_t len, int *kind, int *encrypted);

/* Parses a key file image (any of the three formats above).  `passphrase`
 * (`passlen` bytes) is needed for an encrypted file and ignored otherwise
 * (it may be NULL then).  The structure and the whole-file checksum are
 * checked before any Argon2id work.  On HM_OK `*out` is a new key.
 * Returns HM_OK, HM_E_MISUSE, HM_E_NOMEM, HM_E_FORMAT, HM_E_TRUNCATED,
 * HM_E_VERSION, HM_E_CORRUPT, HM_E_PASSPHRASE (wrong or missing
 * passphrase), HM_E_LIMIT (stored Argon2id parameters out of bounds),
 * HM_E_CRYPTO (Argon2id could not get its memory).  Thread-safe.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_key_load(const uint8_t *buf, size_t len, const char *passphrase,
                                      size_t passlen, hm_key **out);

HM_END_DECLS

#endif /* HALLMARK_KEY_H */
