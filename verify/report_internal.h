/*
 * report_internal.h - helpers shared by the evidence-report modules
 * (report.c, report_html.c, custody.c, timestamp.c).
 */
#ifndef HM_REPORT_INTERNAL_H
#define HM_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A growable NUL-terminated text buffer.  Errors are sticky (oom). */
struct hm_sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

void hm_sbuf_put(struct hm_sbuf *b, const char *s, size_t n);
void hm_sbuf_puts(struct hm_sbuf *b, const char *s);
void hm_sbuf_printf(struct hm_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* SHA-256 of data into 32 raw bytes.  Returns HM_OK or HM_E_CRYPTO. */
int hm_report_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* SHA-256 of token ids as u32 little-endian, in hex. */
int hm_report_ids_sha256(const uint32_t *ids, size_t n, char out[65]);

/* "YYYY-MM-DDThh:mm:ssZ" for unix seconds t. */
void hm_report_utc(uint64_t t, char out[32]);

/* A number member of o, or NaN. */
double hm_report_num(const cJSON *o, const char *name);
/* A string member of o, or NULL. */
const char *hm_report_str(const cJSON *o, const char *name);
/* "KEY_ID (account 'NAME')" when the result names the account of a derived
 * key (its "account" field), else "KEY_ID" ("?" when missing). */
void hm_report_key_name(const cJSON *r, char *buf, size_t cap);
/* An integer given as a JSON string (64-bit rule) or number; -1 if absent. */
long long hm_report_int(const cJSON *o, const char *name);

/* Adds ln_p, log10_p, p_text and p_words for ln_p to a test object. */
void hm_report_add_p(cJSON *t, double ln_p);

/* report_corpus.c: 1 when rtype is scan, radioactivity or trace. */
int hm_report_is_corpus_type(const char *rtype);
/* 1 when r is a result of such a type with the members its reading needs
 * (scan: corpus; radioactivity: main and control; trace: verdict). */
int hm_report_corpus_shape(const cJSON *r, const char *rtype);
/* Reads a scan / radioactivity / trace result: appends its tests and
 * corrections to `tests` and `corr`, and makes the conclusion and the
 * negative-controls objects (*conclusion, *controls; the caller owns them).
 * null_param is the scheme's null parameter (NaN when unknown).  Returns 1,
 * or 0 (another type: nothing done). */
int hm_report_interpret_corpus(const cJSON *r, const char *rtype, double null_param,
                               cJSON **conclusion, cJSON *tests, cJSON *corr, cJSON **controls);

#endif /* HM_REPORT_INTERNAL_H */
