/*
 * testutil.h - helpers shared by the unit tests (see testutil.c).
 */
#ifndef HM_TESTUTIL_H
#define HM_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Zipf-shaped logits (-s ln rank), randomly permuted by `seed`. */
void hm_test_zipf_logits(float *lg, size_t V, uint64_t seed, double s);

/* Generates n tokens with `scheme` keyed by secret (NULL for interop
 * profiles, whose keys are params), or plainly when scheme is NULL, from
 * Zipf logits that depend on the previous token.  Returns a status. */
int hm_test_generate(const char *scheme, const uint8_t *secret, const char *const *params,
                     size_t np, size_t V, size_t n, uint64_t seed, uint32_t *out);



/* A reader for the line-based vector files under tests/vectors/. */
typedef struct hm_vfile {
    char *buf;
    char *cur;
} hm_vfile;

/* Opens tests/<rel> (via hm_test_path).  Returns 0 or -1. */
int hm_vfile_open(hm_vfile *f, const char *rel);
/* The next non-comment, non-empty line (NUL-terminated in place) or NULL. */
char *hm_vfile_line(hm_vfile *f);
void hm_vfile_close(hm_vfile *f);
/* Splits `line` in place into whitespace-separated fields; returns the count. */
size_t hm_split(char *line, char **fields, size_t max);

/* Reads the whole file at path into a malloc'd buffer with a NUL after
 * its *len bytes; NULL when it cannot be read. */
unsigned char *hm_test_slurp(const char *path, size_t *len);

#endif /* HM_TESTUTIL_H */
