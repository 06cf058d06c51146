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
#include "hallmark/key.h"
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

/* A new entry (without "prev" and "hash"): seq, time, command, status and
 * the files' hashes.  NULL when out of memory. */
static cJSON *entry_new(uint64_t seq, const char *const *argv, size_t argc, int status,
                        const char *const *files, size_t n_files)
{
    cJSON *o = cJSON_CreateObject(), *a;
    char now[32], seqs[32];
    size_t i;
    if (!o) return NULL;
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
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
    return o;
}

/* Chains entry o after tip and appends it to fd (locked, O_APPEND), whose
 * intact content is old_len bytes.  All or nothing: when the write or the
 * sync fails (a full disk, a quota), the file is cut back to old_len, so a
 * failed append never breaks the log. */
static int entry_write(int fd, size_t old_len, cJSON *o, const char *tip, char hash_out[65])
{
    char *txt = NULL, h[65];
    size_t tl, off = 0;
    struct hm_sbuf line = {0};
    int s;
    cJSON_AddStringToObject(o, "prev", tip);
    txt = cJSON_PrintUnformatted(o);
    if (!txt) return HM_E_NOMEM;
    tl = strlen(txt);
    if (tl < 2 || txt[tl - 1] != '}') {
        cJSON_free(txt);
        return HM_E_INTERNAL;
    }
    hm_sbuf_put(&line, txt, tl - 1);
    cJSON_free(txt);
    s = entry_hash(line.p ? line.p : "", line.len, h);
    if (s != HM_OK) goto done;
    hm_sbuf_printf(&line, HASH_MEMBER "%s\"}\n", h);
    if (line.oom) {
        s = HM_E_NOMEM;
        goto done;
    }
    while (off < line.len) {
        ssize_t w = write(fd, line.p + off, line.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (off < line.len || fsync(fd) != 0) {
        int e = errno;
        if (ftruncate(fd, (off_t)old_len) == 0) (void)fsync(fd);
        errno = e;
        s = HM_E_IO;
        goto done;
    }
    if (hash_out) memcpy(hash_out, h, 65);
    s = HM_OK;
done:
    free(line.p);
    return s;
}

/* Opens and locks the log and reads it.  HM_OK with the chain intact;
 * HM_E_TRUNCATED when every line is intact but the last one, which ends
 * without a newline (an append cut short by a crash); HM_E_CORRUPT when
 * a complete line does not chain.  *fdp is open and locked on return
 * whenever it is >= 0. */
static int open_locked(const char *path, int *fdp, char **buf, size_t *len, uint64_t *n,
                       uint64_t *good_len, char tip[65])
{
    uint64_t bad = 0;
    int s, fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    *fdp = -1;
    *buf = NULL;
    if (fd < 0) return HM_E_IO;
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return HM_E_IO;
    }
    *fdp = fd;
    s = read_all(fd, buf, len);
    if (s != HM_OK) return s;
    s = walk(*buf, *len, n, &bad, tip);
    *good_len = *len;
    if (s == HM_E_CORRUPT) {
        /* where the intact entries end */
        size_t pos = 0;
        uint64_t k;
        for (k = 0; k < *n; k++) pos = (size_t)((char *)memchr(*buf + pos, '\n', *len - pos) - *buf) + 1;
        *good_len = pos;
        if (!memchr(*buf + pos, '\n', *len - pos)) s = HM_E_TRUNCATED;
    }
    return s;
}

static void close_locked(int fd)
{
    if (fd < 0) return;
    (void)flock(fd, LOCK_UN);
    close(fd);
}

int hm_custody_append(const char *path, const char *const *argv, size_t argc, int status,
                      const char *const *files, size_t n_files, char hash_out[65])
{
    int fd, s;
    char *buf = NULL, tip[65];
    size_t len = 0;
    uint64_t n = 0, good = 0;
    cJSON *o = NULL;
    if (!path || (argc && !argv) || (n_files && !files)) return HM_E_MISUSE;
    s = open_locked(path, &fd, &buf, &len, &n, &good, tip);
    if (s != HM_OK) goto done; /* never extend a broken chain */
    o = entry_new(n + 1, argv, argc, status, files, n_files);
    s = o ? entry_write(fd, len, o, tip, hash_out) : HM_E_NOMEM;
done:
    cJSON_Delete(o);
    free(buf);
    close_locked(fd);
    return s;
}

/* The bytes a checkpoint signs: the domain, the number of entries it
 * covers and the tip (the hash of the last of them). */
static size_t checkpoint_message(uint8_t *out, size_t cap, uint64_t entries, const char *tip)
{
    int n = snprintf((char *)out, cap, "hallmark-custody-checkpoint-v1\n%llu\n%s\n",
                     (unsigned long long)entries, tip);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int hm_custody_checkpoint(const char *path, const hm_key *signer, uint64_t *n_covered,
                          char hash_out[65])
{
    static const char *const cmd[] = {"custody", "checkpoint"};
    int fd, s;
    char *buf = NULL, tip[65], hex[2 * 64 + 1], ns[32];
    size_t len = 0, ml;
    uint64_t n = 0, good = 0;
    uint8_t msg[160], sig[64], pk[32];
    cJSON *o = NULL, *c;
    if (!path || !signer) return HM_E_MISUSE;
    if (hm_key_kind(signer) != HM_KEY_SIGNING) return HM_E_MISUSE;
    s = open_locked(path, &fd, &buf, &len, &n, &good, tip);
    if (s != HM_OK) goto done;
    ml = checkpoint_message(msg, sizeof msg, n, tip);
    s = ml ? hm_key_sign(signer, msg, ml, sig) : HM_E_INTERNAL;
    if (s == HM_OK) s = hm_key_public_bytes(signer, pk);
    if (s != HM_OK) goto done;
    o = entry_new(n + 1, cmd, 2, 0, NULL, 0);
    if (!o) {
        s = HM_E_NOMEM;
        goto done;
    }
    c = cJSON_AddObjectToObject(o, "checkpoint");
    snprintf(ns, sizeof ns, "%llu", (unsigned long long)n);
    cJSON_AddStringToObject(c, "entries", ns);
    cJSON_AddStringToObject(c, "tip", tip);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    cJSON_AddStringToObject(c, "public_key", hex);
    sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
    cJSON_AddStringToObject(c, "signature", hex);
    s = entry_write(fd, len, o, tip, hash_out);
    if (s == HM_OK && n_covered) *n_covered = n;
done:
    cJSON_Delete(o);
    free(buf);
    close_locked(fd);
    return s;
}

int hm_custody_repair(const char *path, char *evidence_path, size_t cap, uint64_t *n_removed)
{
    static const char *const cmd[] = {"custody", "repair"};
    int fd, s, efd = -1;
    char *buf = NULL, tip[65], now[32], stamp[32], hash[65];
    size_t len = 0, k, j = 0;
    uint64_t n = 0, good = 0;
    cJSON *o = NULL, *r;
    const char *files[1];
    if (!path || !evidence_path || cap == 0) return HM_E_MISUSE;
    evidence_path[0] = 0;
    if (n_removed) *n_removed = 0;
    s = open_locked(path, &fd, &buf, &len, &n, &good, tip);
    if (s == HM_OK) goto done; /* intact: nothing to repair */
    if (s != HM_E_TRUNCATED) goto done; /* a broken chain is evidence: never "repaired" */
    /* Keep the cut-short line as evidence, beside the log, never overwriting. */
    hm_report_utc((uint64_t)time(NULL), now);
    for (k = 0; now[k] && j + 1 < sizeof stamp; k++)
        if (now[k] != '-' && now[k] != ':') stamp[j++] = now[k];
    stamp[j] = 0;
    if (snprintf(evidence_path, cap, "%s.damaged-%s", path, stamp) >= (int)cap) {
        s = HM_E_RANGE;
        goto done;
    }
    efd = open(evidence_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (efd < 0) {
        s = HM_E_IO;
        goto done;
    }
    {
        size_t off = good;
        while (off < len) {
            ssize_t w = write(efd, buf + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
        if (off < len || fsync(efd) != 0 || close(efd) != 0) {
            efd = -1;
            unlink(evidence_path);
            s = HM_E_IO;
            goto done;
        }
        efd = -1;
    }
    entry_hash(buf + good, len - good, hash); /* informative: the removed bytes */
    if (ftruncate(fd, (off_t)good) != 0 || fsync(fd) != 0) {
        s = HM_E_IO;
        goto done;
    }
    files[0] = evidence_path;
    o = entry_new(n + 1, cmd, 2, 0, files, 1);
    if (!o) {
        s = HM_E_NOMEM;
        goto done;
    }
    r = cJSON_AddObjectToObject(o, "repair");
    {
        char nb[32];
        snprintf(nb, sizeof nb, "%llu", (unsigned long long)(len - good));
        cJSON_AddStringToObject(r, "removed_bytes", nb);
        cJSON_AddStringToObject(r, "reason", "the last line was incomplete (an append cut short)");
    }
    s = entry_write(fd, good, o, tip, NULL);
    if (s == HM_OK && n_removed) *n_removed = len - good;
done:
    if (efd >= 0) close(efd);
    cJSON_Delete(o);
    free(buf);
    close_locked(fd);
    return s;
}

/* Checks the checkpoint member of entry `line` (the entry's seq is
 * n_before + 1) against pub: 1 valid, 0 invalid, -1 not a checkpoint. */
static int check_checkpoint(const char *line, size_t n, uint64_t n_before, const char *tip,
                            const hm_key *pub, int *checked)
{
    cJSON *o = cJSON_ParseWithLength(line, n), *c;
    uint8_t msg[160], sig[64], pk[32], want[32];
    size_t ml, bl;
    int r = -1;
    const char *e, *t, *k, *g;
    *checked = 0;
    if (!o) return -1;
    c = cJSON_GetObjectItemCaseSensitive(o, "checkpoint");
    if (!c) goto done;
    r = 0;
    e = hm_report_str(c, "entries");
    t = hm_report_str(c, "tip");
    k = hm_report_str(c, "public_key");
    g = hm_report_str(c, "signature");
    if (!e || !t || !k || !g) goto done;
    if (strtoull(e, NULL, 10) != n_before || strcmp(t, tip) != 0) goto done;
    if (sodium_hex2bin(pk, sizeof pk, k, strlen(k), NULL, &bl, NULL) != 0 || bl != sizeof pk)
        goto done;
    if (sodium_hex2bin(sig, sizeof sig, g, strlen(g), NULL, &bl, NULL) != 0 || bl != sizeof sig)
        goto done;
    if (!pub) {
        r = 1; /* well formed; the signature is not checked without a key */
        goto done;
    }
    *checked = 1;
    if (hm_key_public_bytes(pub, want) != HM_OK || sodium_memcmp(want, pk, sizeof pk) != 0)
        goto done;
    ml = checkpoint_message(msg, sizeof msg, n_before, tip);
    if (ml && hm_key_verify(pub, msg, ml, sig) == HM_OK) r = 1;
done:
    cJSON_Delete(o);
    return r;
}

int hm_custody_audit(const char *path, const hm_key *pub, hm_custody_status *st)
{
    int fd, s;
    char *buf = NULL, prev[65] = ZERO_HASH;
    size_t len = 0, pos = 0;
    uint64_t seq = 0, bad = 0;
    if (!path || !st) return HM_E_MISUSE;
    memset(st, 0, sizeof *st);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return HM_E_IO;
    (void)flock(fd, LOCK_SH);
    s = read_all(fd, &buf, &len);
    (void)flock(fd, LOCK_UN);
    close(fd);
    if (s != HM_OK) return s;
    s = walk(buf, len, &st->n_entries, &bad, st->tip);
    st->bad_line = bad;
    if (s == HM_E_CORRUPT) {
        size_t p = 0;
        uint64_t k;
        for (k = 0; k < st->n_entries; k++) p = (size_t)((char *)memchr(buf + p, '\n', len - p) - buf) + 1;
        st->incomplete_tail = memchr(buf + p, '\n', len - p) == NULL;
    }
    memcpy(st->last_checkpoint_tip, ZERO_HASH, 65);
    while (seq < st->n_entries) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = (size_t)(nl - buf);
        int checked = 0, r = check_checkpoint(buf + pos, end - pos, seq, prev, pub, &checked);
        if (r == 1) {
            if (checked) st->n_checkpoints_valid++;
            else st->n_checkpoints_unchecked++;
            st->attested = seq;
            memcpy(st->last_checkpoint_tip, prev, 65);
        } else if (r == 0) {
            st->n_checkpoints_invalid++;
        }
        /* the next prev is this entry's hash: the last 64 hex before `"}` */
        memcpy(prev, buf + end - 66, 64);
        prev[64] = 0;
        seq++;
        pos = end + 1;
    }
    free(buf);
    if (s == HM_OK && st->n_checkpoints_invalid) s = HM_E_SIGNATURE;
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
