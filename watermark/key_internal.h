/*
 * key_internal.h - private access to key material, for the PRF and the
 * schemes inside libhallmark.  Never installed; never include it from cli/.
 */
#ifndef HM_KEY_INTERNAL_H
#define HM_KEY_INTERNAL_H

#include <stdint.h>

#include "hallmark/key.h"

#define HM_KEY_SECRET_BYTES 32

/* The key's 32 secret bytes (owned by `key`; valid while it lives).
 * Works for master and derived watermark keys (kind HM_KEY_MASTER or
 * HM_KEY_DERIVED); returns NULL for signing keys. */
const uint8_t *hm_key_secret(const hm_key *key);

#endif /* HM_KEY_INTERNAL_H */
