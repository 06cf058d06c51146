/*
 * scan_cli.h - helpers shared by `hallmark scan`, `hallmark radioactivity`
 * and `hallmark merge` (cli/scan_util.c): a line reader for plain or gzip
 * input, UTF-8 checks, shard parsing, tuple side files, and the summary
 * objects that single runs and merges both print (so that they agree byte
 * for byte).
 */
#ifndef HM_SCAN_CLI_H
#define HM_SCAN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hallmark.h"

/* ---- Reading lines from plain or gzip files ---- */

struct scan_reader {
    void *gz;            /* gzFile */
    unsigned char *buf;
    size_t cap, start, end;
    size_t max_line;
    int eof, is_gzip;
    unsigned long long file_size; /* 0 when unknown (stdin) */
    unsigned long long line_no;   /* of the line last returned (1-based) */
    int long_first;               /* too-long line: its first non-blank byte, or -1 */
};

/* Opens path ("-" = stdin); gzip is recognized by its magic bytes.
 * Returns HM_OK or HM_E_IO / HM_E_NOMEM (message printed). */
int scan_reader_open(struct scan_reader *r, const char *path, size_t max_line);
/* Next line without its "\n" (and a "\r" before it).  Returns 1 with a line,
 * 0 at the end, -1 on a read error (message printed).  *too_long is set
 * when the line exceeded max_line (its bytes are then skipped; *len = 0). */
int scan_reader_next(struct scan_reader *r, const unsigned char **line, size_t *len,
                     int *too_long);
/* Compressed bytes consumed so far (for progress). */
unsigned long long scan_reader_offset(struct scan_reader *r);
void scan_reader_close(struct scan_reader *r);

/* An unlinked temporary file in tmpdir (NULL: $TMPDIR or /tmp), "w+b". */
FILE *scan_tmpfile(const char *tmpdir);

/* The flag pass of a scan (cli/cmd_scan.c): reads record prefixes from in,
 * writes them with ",\"flag\":B}" to out (flag: log10_p <= thr). */
int scan_flag_pass(FILE *in, FILE *out, double thr, unsigned long long *flagged);

/* Parses "i/n" with 0 <= i < n <= 65536.  Returns 0 on success. */
int scan_parse_shard(const char *s, uint32_t *i, uint32_t *n);

/* Writes / reads a little-endian u64. */
void scan_put_u64(unsigned char *p, uint64_t v);
uint64_t scan_get_u64(const unsigned char *p);
/* Bit pattern of a double and back (storage only; never hashed). */
uint64_t scan_double_bits(double v);
double scan_bits_double(uint64_t b);

/* A fixed-point sum as "hi:lo" and back (0 on success). */
void scan_fixsum_str(const hm_fixsum *s, char *buf, size_t cap);
int scan_fixsum_parse(const char *str, hm_fixsum *s);

/* ---- The scan summary (single run and merge) ---- */

struct scan_summary {
    char scheme_desc[1024];
    char key_id[64];
    char account[260];   /* the tenant of a derived key, or "" */
    char tokenizer[256];
    char tokenizer_sha256[65]; /* "" when no tokenizer was used */
    char field[128];
    char format[16];
    double fdr, alpha;
    unsigned long long lines, scanned, empty, malformed, flagged;
    double bh_log10_threshold;
    unsigned long long n_positions, n_unique_tuples;
    hm_fixsum sum;
    int test;
    double null_param;
    unsigned layers;
};

/* The final summary object (cJSON *) of a scan: caller frees. */
void *scan_summary_json(const struct scan_summary *s);

/* The radioactivity result object (cJSON *) from merged stats. */
struct radio_meta {
    char scheme_desc[1024];
    char key_id[64];
    char account[260];   /* the tenant of a derived key, or "" */
    char tokenizer[256];
    char tokenizer_sha256[65]; /* "" when no tokenizer was used */
    int test;
    double null_param;
    double alpha;
    int filter;
    unsigned long long records, malformed, empty;
};
void *radio_result_json(const struct radio_meta *m, const hm_radio_stats *st, int *detected);
/* Prints the human-readable radioactivity report to stdout. */
void radio_print_text(const struct radio_meta *m, const hm_radio_stats *st);

/* Adds a 64-bit integer as a string. */
void scan_add_u64(void *cjson_obj, const char *name, unsigned long long v);

#endif /* HM_SCAN_CLI_H */
