/*
 * fuzz_canon.c - libFuzzer target for the canonical text (hallmark/canon.h):
 * any input gives HM_OK, every output byte maps to an input range inside the
 * input with start <= end and non-decreasing starts, and valid UTF-8 stays
 * valid UTF-8.  Seeds: tests/fuzz/seeds/fuzz_canon/ (scrubbed text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i], v, k, len;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07;
        else return 0;
        if (i + len > n) return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            v = (v << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
            (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
            return 0;
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hm_canon *c;
    hm_canon_output o;
    size_t i;
    if (!c && hm_canon_new(&c) != HM_OK) abort();
    hm_canon_output_init(&o);
    if (hm_canon_text(c, (const char *)data, size, &o) != HM_OK) abort();
    for (i = 0; i < o.len; i++) {
        if (o.src_start[i] > o.src_end[i] || o.src_end[i] > size) abort();
        if (i && o.src_start[i] < o.src_start[i - 1]) abort();
    }
    if (o.text[o.len] != 0) abort();
    if (valid_utf8(data, size) && !valid_utf8((const uint8_t *)o.text, o.len)) abort();
    if (!o.changed && (o.len != size || memcmp(o.text, data, size))) abort();
    hm_canon_output_clear(&o);
    return 0;
}
