/*
 * ids_text.c - reads token ids written as text: decimal integers separated
 * by blanks, one document per line (the plain output of `hallmark
 * tokenize`), for the sample model's trainer and evaluator.
 */
#include "ngram.h"

#include <stdlib.h>

/* Appends v to a growing array of `size`-byte items. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p;
    size_t nc;
    if (n < *cap) return HM_OK;
    nc = *cap ? *cap * 2 : 1024;
    p = realloc(*arr, nc * size);
    if (!p) return HM_E_NOMEM;
    *arr = p;
    *cap = nc;
    return HM_OK;
}

int slm_parse_ids(const char *text, size_t len, uint32_t limit, uint32_t **ids_out,
                  size_t *n_ids, size_t **starts_out, size_t *n_docs,
                  size_t *err_line)
{
    uint32_t *ids = NULL;
    size_t *starts = NULL;
    size_t nid = 0, cap_id = 0, nd = 0, cap_d = 0, i = 0, line = 1;
    int rc = HM_OK, line_open = 0;
    if (err_line) *err_line = 0;
    if (!ids_out || !n_ids || !starts_out || !n_docs || (!text && len)) return HM_E_MISUSE;
    *ids_out = NULL;
    *starts_out = NULL;
    *n_ids = *n_docs = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)text[i];
        if (!line_open) {
            rc = grow((void **)&starts, &cap_d, nd, sizeof *starts);
            if (rc != HM_OK) goto fail;
            starts[nd++] = nid;
            line_open = 1;
        }
        if (ch == '\n') {
            line++;
            line_open = 0;
            i++;
        } else if (ch == ' ' || ch == '\t' || ch == '\r') {
            i++;
        } else if (ch >= '0' && ch <= '9') {
            uint64_t v = 0;
            while (i < len && text[i] >= '0' && text[i] <= '9') {
                v = v * 10 + (uint64_t)(text[i] - '0');
                if (v > 0xffffffffull) break;
                i++;
            }
            if (v > 0xffffffffull || v >= limit) {
                rc = HM_E_RANGE;
                goto fail;
            }
            if (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
                text[i] != '\n') {
                rc = HM_E_FORMAT;
                goto fail;
            }
            if (nid >= ((size_t)1 << 31)) {
                rc = HM_E_LIMIT;
                goto fail;
            }
            rc = grow((void **)&ids, &cap_id, nid, sizeof *ids);
            if (rc != HM_OK) goto fail;
            ids[nid++] = (uint32_t)v;
        } else {
            rc = HM_E_FORMAT;
            goto fail;
        }
    }
    *ids_out = ids;
    *starts_out = starts;
    *n_ids = nid;
    *n_docs = nd;
    return HM_OK;
fail:
    if (err_line) *err_line = line;
    free(ids);
    free(starts);
    return rc;
}
