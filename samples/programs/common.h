/*
 * common.h - small helpers shared by the sample model's programs
 * (train-lm, lm-eval): reading a whole file or stdin, and parsing numbers.
 * Header-only; every function is static.
 */
#ifndef SLM_PROGRAMS_COMMON_H
#define SLM_PROGRAMS_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads all of `path` ("-" = stdin) into a malloc'd buffer. 0 or -1. */
static int prog_read_all(const char *path, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf;
    if (!f) return -1;
    buf = malloc(cap);
    if (!buf) goto fail;
    for (;;) {
        size_t r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) goto fail;
            buf = nb;
            cap *= 2;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) goto fail;
    if (f != stdin) fclose(f);
    *out = buf;
    *len = n;
    return 0;
fail: {
    int e = errno;
    free(buf);
    if (f != stdin) fclose(f);
    errno = e;
    return -1;
}
}

/* Parses a decimal unsigned integer in [lo, hi]. 0 or -1. */
static int prog_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

#endif /* SLM_PROGRAMS_COMMON_H */
