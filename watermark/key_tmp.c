/* key_tmp.c - TEMPORARY stand-in until key management lands. */
#include "key_internal.h"
struct hm_key {
    uint8_t bytes[32];
};
const uint8_t *hm_key_secret(const hm_key *key) { return key->bytes; }
