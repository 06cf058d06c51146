/*
 * core.c - library-wide basics: version queries, status strings, and
 * one-time initialization of libsodium.
 */
#include "hallmark.h"

#include <sodium.h>

#ifndef HM_BUILD_ID
#define HM_BUILD_ID "unknown"
#endif

const char *hm_version_string(void) { return HM_VERSION_STRING; }

int hm_version_number(void) { return HM_VERSION_NUMBER; }

const char *hm_build_id(void) { return HM_BUILD_ID; }

const char *hm_strerror(int status)
{
    switch (status) {
    case HM_OK: return "success";
    case HM_E_MISUSE: return "invalid argument or call sequence";
    case HM_E_NOMEM: return "out of memory";
    case HM_E_IO: return "input/output error";
    case HM_E_FORMAT: return "malformed input";
    case HM_E_TRUNCATED: return "input is truncated";
    case HM_E_VERSION: return "unsupported format version";
    case HM_E_CORRUPT: return "integrity check failed: the data was modified or damaged";
    case HM_E_PASSPHRASE: return "wrong passphrase";
    case HM_E_CRYPTO: return "cryptographic operation failed";
    case HM_E_UNSUPPORTED: return "unsupported feature or component";
    case HM_E_RANGE: return "value out of range";
    case HM_E_UTF8: return "invalid UTF-8";
    case HM_E_NOTFOUND: return "not found";
    case HM_E_SIGNATURE: return "signature does not verify";
    case HM_E_STATE: return "object is in the wrong state for this call";
    case HM_E_INTERNAL: return "internal error";
    case HM_E_LIMIT: return "input exceeds a size limit";
    default: return "unknown error";
    }
}

int hm_init(void)
{
    /* sodium_init() is idempotent and thread-safe: 0 = initialized now,
     * 1 = already initialized, -1 = failure. */
    return sodium_init() < 0 ? HM_E_CRYPTO : HM_OK;
}
