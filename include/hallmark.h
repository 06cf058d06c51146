/*
 * hallmark.h - the umbrella header of libhallmark.
 *
 * Include this one file to get the whole public API.  Each sub-header under
 * hallmark/ documents its calls: purpose, ownership, errors, thread-safety
 * and the version each call arrived in.
 *
 * Conventions that hold everywhere:
 *  - Names are hm_<object>_<verb>.  Calls return hm_status (0 = HM_OK).
 *  - Objects are opaque.  hm_X_new() pairs with hm_X_free(); hm_X_free(NULL)
 *    does nothing.  A call that takes ownership of an argument says so.
 *  - No global mutable state: distinct objects may be used from distinct
 *    threads freely; a single object is thread-safe only where its header
 *    says so.
 *  - Secret key material is wiped with sodium_memzero when freed and is
 *    never printed, logged or written unencrypted unless the caller asks
 *    for an explicitly insecure format.
 *  - 64-bit integers appear in JSON output as strings.
 */
#ifndef HALLMARK_H
#define HALLMARK_H

#include "hallmark/export.h"
#include "hallmark/version.h"
#include "hallmark/error.h"
#include "hallmark/key.h"
#include "hallmark/stats.h"
#include "hallmark/tokenizer.h"
#include "hallmark/canon.h"
#include "hallmark/detect_text.h"
#include "hallmark/embed.h"
#include "hallmark/detect.h"
#include "hallmark/scan.h"
#include "hallmark/radioactivity.h"
#include "hallmark/report.h"
#include "hallmark/result.h"
#include "hallmark/trace.h"
#include "hallmark/payload.h"
#include "hallmark/fingerprint.h"

#endif /* HALLMARK_H */
