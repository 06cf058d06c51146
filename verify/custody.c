/*
 * custody.c - the chain-of-custody log: one JSON line per action (time,
 * command, exit status, SHA-256 of the files involved), each carrying the
 * hash of the previous entry, so that editing, inserting, reordering or
 * deleting an entry anywhere but at the end breaks the chain.
 *
 * Line format (docs/formats.md): {"seq":"N","time":"...","command":[...],
 * "status":S,"files":[...],"prev":"<64 hex>","hash":"<64 hex>"} where hash
 * is SHA-256("hallmark-custody-v1\n" || the line's bytes up to, not
 * including, the `,"hash":` member).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hallmark/error.h"
#include "hallmark/report.h"
#include "report_internal.h"

#define DOMAIN "hallmark-custody-v1\n"
#define HASH_MEMBER ",\"hash\":\""
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static int entry_hash(const char *line, size_t n, char out[65])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t h[32];
    unsigned int ml = 0;
    int ok;
    if (!c) return HM_E_NOMEM;
    ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(c, DOMAIN, sizeof DOMAIN - 1) == 1 &&
         EVP_DigestUpdate(c, line, n) == 1 && EVP_DigestFinal_ex(c, h, &ml) == 1;
    EVP_MD_CTX_free(c);
    if (!ok) return HM_E_CRYPTO;
    sodium_bin2hex(out, 65, h, 32);
    return HM_OK;
}

/* SHA-256 of a file, streaming.  HM_E_IO when it cannot be read. */
static int file_sha256(const char *path, char out[65], unsigned long long *size)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *c;
    uint8_t buf[65536], h[32];
    unsigned int ml = 0;
    size_t got;
    int ok;
    struct stat st;
    *size = 0;
    if (!f) return HM_E_IO;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return HM_E_IO;
    }
    c = EVP_MD_CTX_new();
    if (!c) {
        fclose(f);
        return HM_E_NOMEM;
    }
    ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    while (ok && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        ok = EVP_DigestUpdate(c, buf, got) == 1;
        *size += got;
    }
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(c, h, &ml) == 1;
    EVP_MD_CTX_free(c);
    fclose(f);
    if (!ok) return HM_E_IO;
    sodium_bin2hex(out, 65, h, 32);
    return HM_OK;
}

/* Checks one line; on success writes its seq and hash. */
static int check_line(const char *line, size_t n, const char *prev, unsigned long long want_seq,
                      char hash[65])
{
    cJSON *o;
    const char *hm = NULL, *p;
    char calc[65];
    int s = HM_E_CORRUPT;
    /* the last `,"hash":"` member */
    size_t ml = sizeof HASH_MEMBER - 1;
    for (p = line; (size_t)(p - line) + ml <= n; p++)
        if (*p == ',' && memcmp(p, HASH_MEMBER, ml) == 0) hm = p;
    if (!hm) return HM_E_CORRUPT;
    o = cJSON_ParseWithLength(line, n);
    if (!cJSON_IsObject(o)) goto done;
    if (hm_report_int(o, "seq") != (long long)want_seq) goto done;
    if (!hm_report_str(o, "prev") || strcmp(hm_report_str(o, "prev"), prev) != 0) goto done;
    if (!hm_report_str(o, "hash") || strlen(hm_report_str(o, "hash")) != 64) goto done;
    /* the member must be the last one: `,"hash":"<64>"}` */
    if ((size_t)(hm - line) + strlen(HASH_MEMBER) + 64 + 2 != n) goto done;
    if (entry_hash(line, (size_t)(hm - line), calc) != HM_OK) goto done;
    if (strcmp(calc, hm_report_str(o, "hash")) != 0) goto done;
    memcpy(hash, calc, 65);
    s = HM_OK;
done:
    cJSON_Delete(o);
    return s;
}

/* Walks the log in buf; returns HM_OK or HM_E_CORRUPT with *bad set. */
static int walk(const char *buf, size_t len, uint64_t *n_entries, uint64_t *bad, char tip[65])
{
    size_t pos = 0;
    uint64_t seq = 0;
    char prev[65] = ZERO_HASH;
    *bad = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        char h[65];
        if (!nl || check_line(buf + pos, end - pos, prev, seq + 1, h) != HM_OK) {
            *bad = seq + 1;
            *n_entries = seq;
            memcpy(tip, prev, 65);
            return HM_E_CORRUPT;
        }
        memcpy(prev, h, 65);
        seq++;
        pos = end + 1;
    }
    *n_entries = seq;
    memcpy(tip, prev, 65);
    return HM_OK;
}

static int read_all(int fd, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1), *nb;
    ssize_t r;
    if (!b) return HM_E_NOMEM;
    for (;;) {
        if (n == cap) {
            nb = realloc(b, 2 * cap + 1);
            if (!nb) {
                free(b);
                return HM_E_NOMEM;
            }
            b = nb;
            cap *= 2;
        }
        r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(b);
            return HM_E_IO;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return HM_OK;
}

int hm_custody_append(const char *path, const char *const *argv, size_t argc, int status,
                      const char *const *files, size_t n_files, char hash_out[65])
{
    int fd, s;
    char *buf = NULL, *txt = NULL, tip[65], h[65], now[32], seqs[32];
    size_t len = 0, i, tl;
    uint64_t n = 0, bad = 0;
    cJSON *o = NULL, *a;
    struct hm_sbuf line = {0};
    if (!path || (argc && !argv) || (n_files && !files)) return HM_E_MISUSE;
    fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return HM_E_IO;
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return HM_E_IO;
    }
    s = read_all(fd, &buf, &len);
    if (s != HM_OK) goto done;
    s = walk(buf, len, &n, &bad, tip);
    if (s != HM_OK) goto done; /* never extend a broken chain */
    o = cJSON_CreateObject();
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)(n + 1));
    cJSON_AddStringToObject(o, "seq", seqs);
    hm_report_utc((uint64_t)time(NULL), now);
    cJSON_AddStringToObject(o, "time", now);
    a = cJSON_AddArrayToObject(o, "command");
    for (i = 0; i < argc; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(argv[i] ? argv[i] : ""));
    cJSON_AddNumberToObject(o, "status", status);
    a = cJSON_AddArrayToObject(o, "files");
    for (i = 0; i < n_files; i++) {
        cJSON *f = cJSON_CreateObject();
        char fh[65];
        unsigned long long sz = 0;
        cJSON_AddStringToObject(f, "path", files[i] ? files[i] : "");
        if (files[i] && file_sha256(files[i], fh, &sz) == HM_OK) {
            char szs[32];
            snprintf(szs, sizeof szs, "%llu", sz);
            cJSON_AddStringToObject(f, "bytes", szs);
            cJSON_AddStringToObject(f, "sha256", fh);
        } else {
            cJSON_AddBoolToObject(f, "missing", 1);
        }
        cJSON_AddItemToArray(a, f);
    }
    cJSON_AddStringToObject(o, "prev", tip);
    txt = cJSON_PrintUnformatted(o);
    if (!txt) {
        s = HM_E_NOMEM;
        goto done;
    }
    tl = strlen(txt);
    if (tl < 2 || txt[tl - 1] != '}') {
        s = HM_E_INTERNAL;
        goto done;
    }
    hm_sbuf_put(&line, txt, tl - 1);
    s = entry_hash(line.p ? line.p : "", line.len, h);
    if (s != HM_OK) goto done;
    hm_sbuf_printf(&line, HASH_MEMBER "%s\"}\n", h);
    if (line.oom) {
        s = HM_E_NOMEM;
        goto done;
    }
    {
        size_t off = 0;
        while (off < line.len) {
            ssize_t w = write(fd, line.p + off, line.len - off);
            if (w < 0) {
                if (errno == EINTR) continue;
                s = HM_E_IO;
                goto done;
            }
            off += (size_t)w;
        }
    }
    if (fsync(fd) != 0) {
        s = HM_E_IO;
        goto done;
    }
    if (hash_out) memcpy(hash_out, h, 65);
    s = HM_OK;
done:
    if (txt) cJSON_free(txt);
    cJSON_Delete(o);
    free(line.p);
    free(buf);
    (void)flock(fd, LOCK_UN);
    close(fd);
    return s;
}

int hm_custody_verify(const char *path, uint64_t *n_entries, uint64_t *bad_line, char tip[65])
{
    int fd, s;
    char *buf = NULL, t[65];
    size_t len = 0;
    uint64_t n = 0, bad = 0;
    if (!path) return HM_E_MISUSE;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return HM_E_IO;
    (void)flock(fd, LOCK_SH);
    s = read_all(fd, &buf, &len);
    (void)flock(fd, LOCK_UN);
    close(fd);
    if (s != HM_OK) return s;
    s = walk(buf, len, &n, &bad, t);
    free(buf);
    if (n_entries) *n_entries = n;
    if (bad_line) *bad_line = bad;
    if (tip) memcpy(tip, t, 65);
    return s;
}
