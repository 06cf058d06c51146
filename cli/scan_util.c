/*
 * scan_util.c - helpers shared by `hallmark scan`, `radioactivity` and
 * `merge`: gzip-or-plain line reader, UTF-8 check, shard parsing, binary
 * encodings, and the summary objects printed by single runs and merges.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "scan_cli.h"

int scan_reader_open(struct scan_reader *r, const char *path, size_t max_line)
{
    int fd;
    unsigned char magic[2];
    FILE *f;
    memset(r, 0, sizeof *r);
    r->max_line = max_line ? max_line : ((size_t)64 << 20);
    if (strcmp(path, "-") == 0) {
        fd = dup(STDIN_FILENO);
    } else {
        struct stat sb;
        fd = -1;
        f = fopen(path, "rb");
        if (f) {
            if (fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) r->is_gzip = 1;
            if (fstat(fileno(f), &sb) == 0) r->file_size = (unsigned long long)sb.st_size;
            fclose(f);
            fd = open(path, O_RDONLY);
        }
    }
    if (fd < 0) {
        cli_err("%s: cannot open (%s)", path, strerror(errno));
        return HM_E_IO;
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        close(fd);
        return HM_E_NOMEM;
    }
    gzbuffer(r->gz, 1u << 17);
    r->cap = 1u << 20;
    r->buf = malloc(r->cap);
    if (!r->buf) return HM_E_NOMEM;
    return HM_OK;
}

/* Reads more bytes after r->end, compacting or growing the buffer. */
static int fill(struct scan_reader *r)
{
    int got;
    size_t room;
    if (r->start > 0 && r->start == r->end) r->start = r->end = 0;
    if (r->end == r->cap) {
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        } else {
            size_t nc = r->cap * 2;
            unsigned char *nb = realloc(r->buf, nc);
            if (!nb) return -1;
            r->buf = nb;
            r->cap = nc;
        }
    }
    room = r->cap - r->end;
    if (room > (1u << 30)) room = 1u << 30;
    got = gzread(r->gz, r->buf + r->end, (unsigned)room);
    if (got < 0) {
        int errnum;
        const char *m = gzerror(r->gz, &errnum);
        cli_err("read error: %s", m ? m : "unknown");
        return -1;
    }
    if (got == 0) {
        int errnum = 0;
        (void)gzerror(r->gz, &errnum);
        if (errnum != Z_OK && errnum != Z_BUF_ERROR) {
            cli_err("read error: %s", gzerror(r->gz, &errnum));
            return -1;
        }
        if (r->is_gzip && errnum == Z_BUF_ERROR) {
            cli_err("truncated gzip input");
            return -1;
        }
        r->eof = 1;
    }
    r->end += (size_t)got;
    return 0;
}

/* Remembers the first non-blank byte of a line about to be dropped. */
static void note_first(struct scan_reader *r, const unsigned char *p, size_t n)
{
    size_t k;
    if (r->long_first >= 0) return;
    for (k = 0; k < n && (p[k] == ' ' || p[k] == '\t'); k++) {}
    if (k < n) r->long_first = p[k];
}

int scan_reader_next(struct scan_reader *r, const unsigned char **line, size_t *len,
                     int *too_long)
{
    size_t scan_from = r->start;
    *too_long = 0;
    r->long_first = -1;
    for (;;) {
        unsigned char *nl = NULL;
        if (scan_from < r->end) nl = memchr(r->buf + scan_from, '\n', r->end - scan_from);
        if (nl) {
            size_t l = (size_t)(nl - (r->buf + r->start));
            *line = r->buf + r->start;
            r->start += l + 1;
            if (l > r->max_line) {
                note_first(r, *line, l);
                *too_long = 1;
            }
            if (*too_long) {
                *len = 0;
            } else {
                if (l > 0 && (*line)[l - 1] == '\r') l--;
                *len = l;
            }
            r->line_no++;
            return 1;
        }
        if (r->eof) {
            if (r->start == r->end && !*too_long) return 0;
            if (r->end - r->start > r->max_line) {
                note_first(r, r->buf + r->start, r->end - r->start);
                *too_long = 1;
            }
            *line = r->buf + r->start;
            *len = *too_long ? 0 : r->end - r->start;
            if (*len > 0 && (*line)[*len - 1] == '\r') (*len)--;
            r->start = r->end;
            r->line_no++;
            return 1;
        }
        if (r->end - r->start > r->max_line) {
            note_first(r, r->buf + r->start, r->end - r->start);
            *too_long = 1;
            r->start = r->end; /* drop what we have of this line */
        }
        {
            size_t off = r->end - r->start; /* already searched */
            if (fill(r) != 0) return -1;
            scan_from = r->start + off;
        }
    }
}

unsigned long long scan_reader_offset(struct scan_reader *r)
{
    long long o = r->gz ? (long long)gzoffset(r->gz) : 0;
    return o > 0 ? (unsigned long long)o : 0;
}

void scan_reader_close(struct scan_reader *r)
{
    if (r->gz) gzclose(r->gz);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int scan_parse_shard(const char *s, uint32_t *i, uint32_t *n)
{
    char *end;
    unsigned long a, b;
    errno = 0;
    if (!s || !(*s >= '0' && *s <= '9')) return -1;
    a = strtoul(s, &end, 10);
    if (errno || *end != '/' || !(end[1] >= '0' && end[1] <= '9')) return -1;
    b = strtoul(end + 1, &end, 10);
    if (errno || *end || b == 0 || b > 65536 || a >= b) return -1;
    *i = (uint32_t)a;
    *n = (uint32_t)b;
    return 0;
}

void scan_put_u64(unsigned char *p, uint64_t v)
{
    int k;
    for (k = 0; k < 8; k++) p[k] = (unsigned char)(v >> (8 * k));
}

uint64_t scan_get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int k;
    for (k = 7; k >= 0; k--) v = (v << 8) | p[k];
    return v;
}

uint64_t scan_double_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

double scan_bits_double(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

void scan_fixsum_str(const hm_fixsum *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu:%llu", (unsigned long long)s->hi, (unsigned long long)s->lo);
}

int scan_fixsum_parse(const char *str, hm_fixsum *s)
{
    char *end;
    unsigned long long hi, lo;
    if (!str || !(*str >= '0' && *str <= '9')) return -1;
    errno = 0;
    hi = strtoull(str, &end, 10);
    if (errno || *end != ':' || !(end[1] >= '0' && end[1] <= '9')) return -1;
    lo = strtoull(end + 1, &end, 10);
    if (errno || *end) return -1;
    s->hi = hi;
    s->lo = lo;
    return 0;
}

void scan_add_u64(void *obj, const char *name, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    cJSON_AddStringToObject(obj, name, buf);
}

static void add_p(cJSON *o, double ln_p)
{
    char pstr[64];
    cJSON_AddNumberToObject(o, "log10_p", ln_p / log(10.0));
    (void)hm_stats_format_p(ln_p, pstr, sizeof pstr);
    cJSON_AddStringToObject(o, "p", pstr);
}

void *scan_summary_json(const struct scan_summary *s)
{
    cJSON *o = cJSON_CreateObject(), *c;
    hm_detect_result r;
    cJSON_AddBoolToObject(o, "summary", 1);
    cJSON_AddStringToObject(o, "type", "scan");
    cli_add_description(o, s->scheme_desc, 0);
    cJSON_AddStringToObject(o, "key_id", s->key_id);
    cJSON_AddStringToObject(o, "tokenizer", s->tokenizer);
    cJSON_AddStringToObject(o, "format", s->format);
    cJSON_AddStringToObject(o, "field", s->field);
    scan_add_u64(o, "lines", s->lines);
    scan_add_u64(o, "scanned", s->scanned);
    scan_add_u64(o, "empty", s->empty);
    scan_add_u64(o, "malformed", s->malformed);
    cJSON_AddNumberToObject(o, "fdr", s->fdr);
    scan_add_u64(o, "flagged", s->flagged);
    if (isinf(s->bh_log10_threshold))
        cJSON_AddNullToObject(o, "bh_log10_threshold");
    else
        cJSON_AddNumberToObject(o, "bh_log10_threshold", s->bh_log10_threshold);
    c = cJSON_AddObjectToObject(o, "corpus");
    (void)hm_scan_test(s->test, s->null_param, s->layers, hm_fixsum_value(&s->sum),
                       s->n_unique_tuples, &r);
    cJSON_AddStringToObject(c, "test", r.test_name);
    scan_add_u64(c, "n_positions", s->n_positions);
    scan_add_u64(c, "n_unique_tuples", s->n_unique_tuples);
    cJSON_AddNumberToObject(c, "score", r.score);
    cJSON_AddNumberToObject(c, "mean_score", r.mean_score);
    add_p(c, r.ln_p);
    cJSON_AddNumberToObject(c, "alpha", s->alpha);
    cJSON_AddBoolToObject(c, "detected", s->n_unique_tuples > 0 && r.log10_p <= log10(s->alpha));
    return o;
}

void *radio_result_json(const struct radio_meta *m, const hm_radio_stats *st, int *detected)
{
    cJSON *o = cJSON_CreateObject(), *a, *b;
    hm_detect_result rm, rc;
    double sm = hm_fixsum_value(&st->sum_main), sc = hm_fixsum_value(&st->sum_control);
    (void)hm_scan_test(m->test, m->null_param, st->layers, sm, st->n_kept, &rm);
    (void)hm_scan_test(m->test, m->null_param, st->layers, sc, st->n_kept_control, &rc);
    cJSON_AddStringToObject(o, "type", "radioactivity");
    cli_add_description(o, m->scheme_desc, 0);
    cJSON_AddStringToObject(o, "key_id", m->key_id);
    cJSON_AddStringToObject(o, "tokenizer", m->tokenizer);
    cJSON_AddStringToObject(o, "test", rm.test_name);
    scan_add_u64(o, "records", m->records);
    scan_add_u64(o, "empty", m->empty);
    scan_add_u64(o, "malformed", m->malformed);
    scan_add_u64(o, "n_outputs", st->n_outputs);
    scan_add_u64(o, "n_positions", st->n_positions);
    scan_add_u64(o, "n_unique_tuples", st->n_unique);
    scan_add_u64(o, "n_excluded_prompt", st->n_excluded);
    cJSON_AddBoolToObject(o, "filter", m->filter);
    scan_add_u64(o, "n_filtered", st->n_filtered);
    scan_add_u64(o, "n_tested", st->n_kept);
    a = cJSON_AddObjectToObject(o, "main");
    cJSON_AddStringToObject(a, "test", rm.test_name);
    scan_add_u64(a, "n_scored", st->n_kept);
    cJSON_AddNumberToObject(a, "score", rm.score);
    cJSON_AddNumberToObject(a, "mean_score", rm.mean_score);
    cJSON_AddNumberToObject(a, "z", rm.z);
    add_p(a, rm.ln_p);
    b = cJSON_AddObjectToObject(o, "control");
    cJSON_AddStringToObject(b, "key", "derived: BLAKE2b(key, \"hallmark radioactivity control v1\")");
    cJSON_AddStringToObject(b, "test", rc.test_name);
    scan_add_u64(b, "n_scored", st->n_kept_control);
    cJSON_AddNumberToObject(b, "score", rc.score);
    cJSON_AddNumberToObject(b, "mean_score", rc.mean_score);
    cJSON_AddNumberToObject(b, "z", rc.z);
    add_p(b, rc.ln_p);
    cJSON_AddNumberToObject(o, "alpha", m->alpha);
    *detected = st->n_kept > 0 && rm.log10_p <= log10(m->alpha);
    cJSON_AddBoolToObject(o, "detected", *detected);
    return o;
}

void radio_print_text(const struct radio_meta *m, const hm_radio_stats *st)
{
    hm_detect_result rm, rc;
    char pm[64], pc[64];
    (void)hm_scan_test(m->test, m->null_param, st->layers, hm_fixsum_value(&st->sum_main),
                       st->n_kept, &rm);
    (void)hm_scan_test(m->test, m->null_param, st->layers, hm_fixsum_value(&st->sum_control),
                       st->n_kept_control, &rc);
    (void)hm_stats_format_p(rm.ln_p, pm, sizeof pm);
    (void)hm_stats_format_p(rc.ln_p, pc, sizeof pc);
    printf("radioactivity: %s over %llu unique tuples (%llu outputs, %llu positions;\n"
           "  %llu excluded: context in a prompt; %llu filtered out)\n",
           rm.test_name, (unsigned long long)st->n_kept, (unsigned long long)st->n_outputs,
           (unsigned long long)st->n_positions, (unsigned long long)st->n_excluded,
           (unsigned long long)st->n_filtered);
    printf("  our key:     mean score %.4f  p = %s\n", rm.mean_score, pm);
    printf("  control key: mean score %.4f  p = %s", rc.mean_score, pc);
    if (st->n_kept_control != st->n_kept)
        printf("  (%llu units under the control key)", (unsigned long long)st->n_kept_control);
    printf("\n");
    printf("  %s at alpha %g\n",
           st->n_kept > 0 && rm.log10_p <= log10(m->alpha) ? "RADIOACTIVE: detected"
                                                            : "not detected",
           m->alpha);
}

FILE *scan_tmpfile(const char *tmpdir)
{
    char path[4096];
    const char *dir = tmpdir;
    int fd, n;
    FILE *f;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    n = snprintf(path, sizeof path, "%s/hallmark-scan-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof path) return NULL;
    fd = mkstemp(path);
    if (fd < 0) return NULL;
    unlink(path);
    f = fdopen(fd, "w+b");
    if (!f) close(fd);
    return f;
}
