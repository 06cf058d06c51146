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
/* An integer given as a JSON string (64-bit rule) or number; -1 if absent. */
long long hm_report_int(const cJSON *o, const char *name);

#endif /* HM_REPORT_INTERNAL_H */
