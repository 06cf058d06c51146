/*
 * util.c - helpers shared by the CLI subcommands: messages, whole-file
 * reads and atomic writes, passphrase input, JSON printing and the TTY
 * progress bar.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("hallmark: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(int status, const char *what)
{
    /* An I/O failure with a system reason says the reason, as coreutils do
     * ("FILE: No such file or directory"), not a generic "input/output error". */
    if (status == HM_E_IO && errno != 0)
        cli_err("%s: %s", what, strerror(errno));
    else
        cli_err("%s: %s", what, hm_strerror(status));
    return CLI_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("hallmark: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'hallmark %s --help'.\n", cmd);
    return CLI_ERROR;
}

int cli_read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f;
    unsigned char *buf = NULL, *nbuf;
    size_t cap = 0, n = 0, got;
    int is_stdin = strcmp(path, "-") == 0;
    *out = NULL;
    *len = 0;
    errno = 0;
    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return HM_E_IO;
    for (;;) {
        if (cap - n < 65536) {
            size_t ncap = cap ? cap * 2 : 131072;
            nbuf = realloc(buf, ncap + 1);
            if (!nbuf) {
                free(buf);
                if (!is_stdin) fclose(f);
                return HM_E_NOMEM;
            }
            buf = nbuf;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        if (!is_stdin) fclose(f);
        return HM_E_IO;
    }
    if (!is_stdin) fclose(f);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return HM_OK;
}

int cli_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char *tmp;
    size_t plen;
    int fd;
    const unsigned char *p = data;
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) return HM_E_IO;
        return HM_OK;
    }
    plen = strlen(path);
    tmp = malloc(plen + 16);
    if (!tmp) return HM_E_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmpXXXXXX", 11);
    fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return HM_E_IO;
    }
    if (fchmod(fd, (mode_t)mode) != 0) goto fail;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        free(tmp);
        return HM_E_IO;
    }
    free(tmp);
    return HM_OK;
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    free(tmp);
    return HM_E_IO;
}

/* The terminal's settings while echo is off at a passphrase prompt: a
 * signal that ends the process (Ctrl-C, Ctrl-\\, hang-up, kill) restores
 * them first, so the shell is never left without echo. */
static struct termios tty_saved;
static volatile sig_atomic_t tty_saved_fd = -1;
static const int tty_signals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
#define N_TTY_SIGNALS (sizeof tty_signals / sizeof tty_signals[0])

static void tty_restore_and_reraise(int sig)
{
    struct sigaction dfl;
    if (tty_saved_fd >= 0) tcsetattr(tty_saved_fd, TCSAFLUSH, &tty_saved);
    (void)!write(STDERR_FILENO, "\n", 1);
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

static int read_tty_line(FILE *tty, const char *prompt, char *out, size_t cap)
{
    struct termios old, noecho;
    struct sigaction sa, prev[N_TTY_SIGNALS];
    int fd = fileno(tty), have_attr = tcgetattr(fd, &old) == 0;
    size_t n, i;
    fputs(prompt, stderr);
    fflush(stderr);
    if (have_attr) {
        tty_saved = old;
        tty_saved_fd = fd;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = tty_restore_and_reraise;
        sigemptyset(&sa.sa_mask);
        for (i = 0; i < N_TTY_SIGNALS; i++) sigaction(tty_signals[i], &sa, &prev[i]);
        noecho = old;
        noecho.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        tcsetattr(fd, TCSAFLUSH, &noecho);
    }
    if (!fgets(out, (int)cap, tty)) out[0] = 0;
    if (have_attr) {
        tcsetattr(fd, TCSAFLUSH, &old);
        tty_saved_fd = -1;
        for (i = 0; i < N_TTY_SIGNALS; i++) sigaction(tty_signals[i], &prev[i], NULL);
    }
    fputc('\n', stderr);
    n = strcspn(out, "\r\n");
    if (out[n] == 0 && n == cap - 1) return HM_E_RANGE;
    out[n] = 0;
    return HM_OK;
}

int cli_get_passphrase(const char *file, int confirm, char *out, size_t cap)
{
    const char *env = getenv("HALLMARK_PASSPHRASE");
    out[0] = 0;
    if (file) {
        unsigned char *buf;
        size_t len, n;
        int s = cli_read_file(file, &buf, &len);
        if (s != HM_OK) {
            cli_fail(s, file);
            return s;
        }
        for (n = 0; n < len && buf[n] != '\n' && buf[n] != '\r'; n++)
            if (buf[n] == 0) break;
        if (n < len && buf[n] == 0) {
            /* A NUL would silently cut the passphrase short (C strings end
             * there): refuse it rather than use a weaker passphrase. */
            sodium_memzero(buf, len);
            free(buf);
            cli_err("%s: the passphrase contains a NUL byte; a passphrase is one line of text",
                    file);
            return HM_E_RANGE;
        }
        if (n >= cap) {
            sodium_memzero(buf, len);
            free(buf);
            cli_err("%s: passphrase is too long (at most %zu bytes)", file, cap - 1);
            return HM_E_RANGE;
        }
        memcpy(out, buf, n);
        out[n] = 0;
        sodium_memzero(buf, len);
        free(buf);
    } else if (env) {
        size_t n = strlen(env);
        if (n >= cap) {
            cli_err("HALLMARK_PASSPHRASE is too long (at most %zu bytes)", cap - 1);
            return HM_E_RANGE;
        }
        memcpy(out, env, n + 1);
    } else {
        FILE *tty = fopen("/dev/tty", "r+");
        int s;
        if (!tty || !isatty(fileno(tty))) {
            if (tty) fclose(tty);
            cli_err("no passphrase: use --passphrase-file FILE, set HALLMARK_PASSPHRASE, "
                    "or run on a terminal");
            return HM_E_MISUSE;
        }
        s = read_tty_line(tty, "Passphrase: ", out, cap);
        if (s == HM_OK && confirm) {
            char *again = sodium_malloc(cap);
            if (!again) {
                fclose(tty);
                return HM_E_NOMEM;
            }
            s = read_tty_line(tty, "Passphrase again: ", again, cap);
            if (s == HM_OK && strcmp(out, again) != 0) {
                cli_err("the passphrases do not match");
                s = HM_E_RANGE;
            }
            sodium_free(again);
        }
        fclose(tty);
        if (s != HM_OK) {
            sodium_memzero(out, cap);
            return s;
        }
    }
    if (out[0] == 0) {
        cli_err("the passphrase is empty");
        return HM_E_RANGE;
    }
    return HM_OK;
}

int cli_parse_ids(const unsigned char *s, size_t n, int commas, uint32_t **out, size_t *count)
{
    size_t cap = 256, k = 0, i = 0;
    uint32_t *ids = malloc(cap * sizeof *ids);
#define SEP(c) (isspace(c) || (commas && (c) == ','))
    *out = NULL;
    if (!ids) return HM_E_NOMEM;
    while (i < n) {
        unsigned long long v = 0;
        size_t start;
        while (i < n && SEP(s[i])) i++;
        if (i >= n) break;
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && v <= 0xFFFFFFFFull) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start || v > 0xFFFFFFFFull || (i < n && !SEP(s[i]))) {
            free(ids);
            *count = start; /* byte offset of the bad token, for the message */
            return HM_E_FORMAT;
        }
        if (k == cap) {
            uint32_t *nids = realloc(ids, 2 * cap * sizeof *ids);
            if (!nids) {
                free(ids);
                return HM_E_NOMEM;
            }
            ids = nids;
            cap *= 2;
        }
        ids[k++] = (uint32_t)v;
    }
#undef SEP
    *out = ids;
    *count = k;
    return HM_OK;
}

int cli_subcommand(const char *cmd, int argc, char **argv, const struct cli_command *subs,
                   size_t n, void (*usage)(FILE *))
{
    char names[256] = "";
    size_t i, l = 0;
    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (i = 0; i < n; i++)
        if (strcmp(argv[1], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
    for (i = 0; i < n && l < sizeof names; i++)
        l += (size_t)snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "", subs[i].name);
    return cli_usage_error(cmd, "unknown subcommand '%s' (%s)", argv[1], names);
}

int cli_write_json_line(const char *path, const void *item)
{
    char *txt = cJSON_PrintUnformatted(item), *nl;
    size_t tl;
    int s;
    if (!txt) return HM_E_NOMEM;
    tl = strlen(txt);
    nl = realloc(txt, tl + 2);
    if (!nl) {
        free(txt);
        return HM_E_NOMEM;
    }
    nl[tl] = '\n';
    nl[tl + 1] = 0;
    s = cli_write_file(path, nl, tl + 1, 0644);
    free(nl);
    return s;
}

void cli_add_description(void *obj, const char *desc, int numbers)
{
    char buf[1024], *sp1, *sp2, *tok, *save = NULL;
    cJSON *params = cJSON_CreateObject();
    snprintf(buf, sizeof buf, "%s", desc);
    sp1 = strchr(buf, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1) *sp1 = 0;
    if (sp2) *sp2 = 0;
    cJSON_AddStringToObject(obj, "scheme", buf);
    cJSON_AddStringToObject(obj, "scheme_version", sp1 ? sp1 + 1 : "");
    for (tok = sp2 ? strtok_r(sp2 + 1, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end;
        double d;
        if (!eq) continue;
        *eq = 0;
        d = numbers ? strtod(eq + 1, &end) : 0;
        if (numbers && *end == 0 && end != eq + 1 && strlen(eq + 1) < 16)
            cJSON_AddNumberToObject(params, tok, d);
        else
            cJSON_AddStringToObject(params, tok, eq + 1);
    }
    cJSON_AddItemToObject(obj, "params", params);
}

static char **invocation; /* main()'s copy of the subcommand's argv */
static int invocation_argc;

void cli_set_invocation(int argc, char **argv)
{
    static char *copy[256];
    int i, n = argc < (int)(sizeof copy / sizeof copy[0]) - 1 ? argc : 0;
    /* a copy of the pointer array: getopt_long permutes the caller's */
    for (i = 0; i < n; i++) copy[i] = argv[i];
    copy[n] = NULL;
    invocation = n ? copy : NULL;
    invocation_argc = n;
}

/* Options whose value is a secret (interop engines' keys): recorded as
 * "<redacted>"; `report verify` takes them again from its own options. */
static int secret_option(const char *a)
{
    return strcmp(a, "--vllm-key") == 0 || strcmp(a, "--sglang-key") == 0;
}

int cli_secret_param(const char *kv)
{
    return strncmp(kv, "key=", 4) == 0 || strncmp(kv, "key_b=", 6) == 0 ||
           strncmp(kv, "keys=", 5) == 0;
}

const char *cli_redact_arg(const char *prev, const char *v, char *buf, size_t cap)
{
    const char *eq = strchr(v, '=');
    prev = prev ? prev : "";
    if (secret_option(prev) || (strcmp(prev, "--param") == 0 && cli_secret_param(v))) {
        /* the value after a secret option, or a secret --param */
        if (strcmp(prev, "--param") == 0 && eq && (size_t)(eq - v) < 32)
            snprintf(buf, cap, "%.*s=" CLI_REDACTED, (int)(eq - v), v);
        else
            snprintf(buf, cap, "%s", CLI_REDACTED);
        return buf;
    }
    if (strncmp(v, "--", 2) == 0 && eq && (size_t)(eq - v) < 32) {
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
        if (secret_option(name) || (strcmp(name, "--param") == 0 && cli_secret_param(eq + 1))) {
            const char *e2 = strchr(eq + 1, '=');
            if (strcmp(name, "--param") == 0 && e2 && (size_t)(e2 - v) < 48)
                snprintf(buf, cap, "%.*s=" CLI_REDACTED, (int)(e2 - v), v);
            else
                snprintf(buf, cap, "%s=" CLI_REDACTED, name);
            return buf;
        }
    }
    return v;
}

void cli_json_add_argv(void *obj)
{
    cJSON *a;
    int i;
    char buf[64];
    if (!obj || !invocation) return;
    a = cJSON_AddArrayToObject((cJSON *)obj, "argv");
    for (i = 0; a && i < invocation_argc; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(cli_redact_arg(
                                    i ? invocation[i - 1] : NULL, invocation[i], buf, sizeof buf)));
}

int cli_print_json(const void *item, int compact)
{
    char *s = compact ? cJSON_PrintUnformatted(item) : cJSON_Print(item);
    if (!s) return HM_E_NOMEM;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return fflush(stdout) == 0 ? HM_OK : HM_E_IO;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_start(struct cli_progress *p, const char *label)
{
    p->enabled = isatty(STDERR_FILENO) && !getenv("HALLMARK_NO_PROGRESS");
    p->start = cli_now();
    p->last_draw = 0;
    p->label = label;
}

void cli_progress_update(struct cli_progress *p, unsigned long long done,
                         unsigned long long total, unsigned long long items)
{
    double now, el, mbs, ips;
    if (!p->enabled) return;
    now = cli_now();
    if (now - p->last_draw < 0.2) return;
    p->last_draw = now;
    el = now - p->start;
    if (el <= 0) el = 1e-9;
    mbs = (double)done / el / 1e6;
    ips = (double)items / el;
    if (total > 0) {
        double frac = (double)done / (double)total;
        int width = 30, fill = (int)(frac * width), i;
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        fprintf(stderr, "\r%s [", p->label);
        for (i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
        fprintf(stderr, "] %3.0f%% %.0f docs/s %.1f MB/s ETA %02d:%02d ", frac * 100, ips, mbs,
                (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%s %llu docs %.0f docs/s %.1f MB/s ", p->label, items, ips, mbs);
    }
    fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
    if (!p->enabled) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* The length of the valid UTF-8 sequence starting at s (n bytes left), or
 * 0 when the bytes there are not valid UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], cp;
    size_t len, k;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

int cli_utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        size_t l;
        if (s[i] < 0x80) {
            /* ASCII runs, 8 bytes at a time (corpus scans validate every record) */
            i++;
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ULL) break;
                i += 8;
            }
            continue;
        }
        l = utf8_seq(s + i, n - i);
        if (!l) {
            if (bad) *bad = i;
            return 0;
        }
        i += l;
    }
    return 1;
}

char *cli_utf8_sanitize(const unsigned char *s, size_t n)
{
    char *out = malloc(3 * n + 1), *o = out;
    size_t i = 0;
    if (!out) return NULL;
    while (i < n) {
        size_t l = utf8_seq(s + i, n - i);
        if (l) {
            memcpy(o, s + i, l);
            o += l;
            i += l;
        } else { /* U+FFFD REPLACEMENT CHARACTER */
            *o++ = (char)0xEF;
            *o++ = (char)0xBF;
            *o++ = (char)0xBD;
            i++;
        }
    }
    *o = 0;
    return out;
}

int cli_scheme_error(const char *scheme, const char *const *params, int bad, int status)
{
    const char *doc = hm_scheme_params_doc(scheme);
    char rb[64]; /* an engine key's value is never echoed */
    if (!doc && (status == HM_E_NOTFOUND || bad < 0)) {
        cli_err("unknown scheme '%s' (valid: %s)", scheme, hm_scheme_list());
        return CLI_ERROR;
    }
    if (bad >= 0 && params) {
        const char *shown = cli_redact_arg("--param", params[bad], rb, sizeof rb);
        if (status == HM_E_NOTFOUND)
            cli_err("%s takes no parameter '%s'; valid: %s; and skip_repeated (0 or 1), "
                    "max_history (1 to 16777216)",
                    scheme, shown, doc);
        else if (status == HM_E_UNSUPPORTED)
            cli_err("parameter '%s' of %s is not supported here; valid: %s", shown, scheme, doc);
        else
            cli_err("parameter '%s' is not a valid value for %s; valid: %s", shown, scheme, doc);
        return CLI_ERROR;
    }
    return cli_fail(status, scheme);
}

FILE *cli_create_beside(const char *dest, char *tmp, size_t cap)
{
    int fd, n = snprintf(tmp, cap, "%s.tmpXXXXXX", dest);
    FILE *f;
    if (n < 0 || (size_t)n >= cap) {
        tmp[0] = 0;
        errno = ENAMETOOLONG;
        return NULL;
    }
    fd = mkstemp(tmp); /* O_CREAT|O_EXCL: never an existing name, never a link */
    if (fd < 0) {
        tmp[0] = 0;
        return NULL;
    }
    if (fchmod(fd, 0644) != 0 || !(f = fdopen(fd, "w+b"))) {
        close(fd);
        unlink(tmp);
        tmp[0] = 0;
        return NULL;
    }
    return f;
}

int cli_commit_beside(FILE *f, char *tmp, const char *dest)
{
    int ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, dest) == 0) {
        tmp[0] = 0;
        return HM_OK;
    }
    unlink(tmp);
    tmp[0] = 0;
    return HM_E_IO;
}
