/*
 * hallmark/error.h - status codes.
 *
 * Every call that can fail returns an hm_status: HM_OK (0) on success, or one
 * of the codes below.  There is no global or thread-local error state: the
 * returned code is the whole story, and hm_strerror() turns it into a short
 * English sentence.  Codes are stable across versions; new ones are only
 * ever appended.
 */
#ifndef HALLMARK_ERROR_H
#define HALLMARK_ERROR_H

#include "export.h"

HM_BEGIN_DECLS

typedef enum hm_status {
    HM_OK = 0,            /* success */
    HM_E_MISUSE = 1,      /* invalid argument or call sequence (a bug in the caller) */
    HM_E_NOMEM = 2,       /* memory allocation failed */
    HM_E_IO = 3,          /* a file could not be opened, read or written (errno has details) */
    HM_E_FORMAT = 4,      /* malformed input: not the expected file format or syntax */
    HM_E_TRUNCATED = 5,   /* input ended early: a truncated file or record */
    HM_E_VERSION = 6,     /* unknown or unsupported format version */
    HM_E_CORRUPT = 7,     /* integrity check failed: the data was modified or damaged */
    HM_E_PASSPHRASE = 8,  /* wrong passphrase (the file itself is intact) */
    HM_E_CRYPTO = 9,      /* a cryptographic primitive failed (e.g. out of memory in Argon2id) */
    HM_E_UNSUPPORTED = 10,/* a feature, component or parameter this build does not support */
    HM_E_RANGE = 11,      /* a value is out of its allowed range */
    HM_E_UTF8 = 12,       /* invalid UTF-8 where valid UTF-8 is required */
    HM_E_NOTFOUND = 13,   /* a named item (tokenizer, scheme, parameter, file) does not exist */
    HM_E_SIGNATURE = 14,  /* a signature did not verify */
    HM_E_STATE = 15,      /* the object is in the wrong state for this call */
    HM_E_INTERNAL = 16,   /* an internal invariant failed (please report it) */
    HM_E_LIMIT = 17       /* input exceeds a documented size limit */
} hm_status;

/* A static English description of `status`, without a trailing period, e.g.
 * "wrong passphrase".  Unknown codes give "unknown error".  Never NULL, never
 * free it.  Thread-safe.  Since 0.1.0. */
HM_API const char *hm_strerror(int status);

/* Initializes the library (and libsodium).  Idempotent and thread-safe; every
 * constructor calls it, so calling it yourself is optional.  Returns HM_OK or
 * HM_E_CRYPTO if libsodium cannot initialize.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_init(void);

HM_END_DECLS

#endif /* HALLMARK_ERROR_H */
