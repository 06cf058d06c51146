/*
 * hallmark/version.h - library version, checked at compile time and at run time.
 *
 * HM_VERSION_* describe the headers you compiled against; hm_version_string()
 * and hm_version_number() describe the library you linked.  Compare the two to
 * catch a header/library mismatch (as with SQLITE_VERSION_NUMBER).  The single
 * source of truth is the VERSION file at the top of the source tree; a test
 * checks that these macros agree with it.
 *
 * The library version is not the version of any file format or of the PRF:
 * those carry their own version strings (see docs/formats.md and docs/prf.md).
 */
#ifndef HALLMARK_VERSION_H
#define HALLMARK_VERSION_H

#include "export.h"

#define HM_VERSION_MAJOR 0
#define HM_VERSION_MINOR 1
#define HM_VERSION_PATCH 0
#define HM_VERSION_STRING "0.1.0"
/* 0xMMmmpp, e.g. 0x000100 for 0.1.0; comparable with < and >. */
#define HM_VERSION_NUMBER ((HM_VERSION_MAJOR << 16) | (HM_VERSION_MINOR << 8) | HM_VERSION_PATCH)
#define HM_VERSION_AT_LEAST(x, y, z) (HM_VERSION_NUMBER >= (((x) << 16) | ((y) << 8) | (z)))

HM_BEGIN_DECLS

/* The linked library's version, e.g. "0.1.0".  Static storage; never free.
 * Thread-safe.  Since 0.1.0. */
HM_API const char *hm_version_string(void);

/* The linked library's HM_VERSION_NUMBER.  Thread-safe.  Since 0.1.0. */
HM_API int hm_version_number(void);

/* A build identifier: the git commit the library was built from (or
 * "unknown"), recorded in evidence reports.  Static storage.  Since 0.1.0. */
HM_API const char *hm_build_id(void);

HM_END_DECLS

#endif /* HALLMARK_VERSION_H */
