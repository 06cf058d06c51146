/*
 * scan_internal.h - private helpers shared by scan.c and radioactivity.c.
 */
#ifndef HM_SCAN_INTERNAL_H
#define HM_SCAN_INTERNAL_H

#include <stdio.h>

/* An anonymous temporary file in tmpdir (NULL: $TMPDIR or /tmp), already
 * unlinked, opened "w+b".  NULL on failure. */
FILE *hm_scan_tmpfile(const char *tmpdir);

#endif /* HM_SCAN_INTERNAL_H */
