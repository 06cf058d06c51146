/*
 * recompute.c - `hallmark report verify --key`: recomputes a report's result
 * on the auditor's inputs, without trusting anything in the report.
 *
 * A report comes from the other side of a dispute (docs/evidence.md,
 * "Threat model").  Nothing read from it becomes a command, an option or a
 * path:
 *   - no process is spawned: the command that produced the result is
 *     called in this process (its entry point, e.g. cli_detect), with its
 *     standard output captured into a private temporary file;
 *   - its arguments are built here, from a fixed table per result type
 *     (`recipes`): fixed option names, and as values only typed fields of
 *     the result that pass a strict check (a short word of [A-Za-z0-9_.:+]
 *     that cannot start with '-', a finite number, a decimal integer, a
 *     built-in tokenizer name) - never a path, never an option name;
 *   - the files it reads are the auditor's: the --input files given to
 *     verify (matched to the report's inputs by SHA-256, already read as
 *     regular files under a size limit), the auditor's key files, the
 *     auditor's --tokenizer file; what it writes goes to a private
 *     directory made with mkdtemp and removed afterwards;
 *   - the recorded "argv" is never read.
 * The new result is compared with the recorded one in one linear walk
 * (objects in the same order are matched pairwise; a lookup only when the
 * orders differ); every value must match (strings and integers exactly,
 * numbers to a relative 1e-12); "argv" and wall-clock fields are skipped.
 * Each difference is printed by field name with both values, escaped and
 * length-capped.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 128
#define MAX_SHOWN 20
#define SHOW_CAP 80

/* ---- escaping and safe reads (shared with cmd_report.c) ------------------- */

/* Bidi controls and other invisible format characters that can reorder or
 * hide what a terminal shows: U+061C, U+200B-U+200F, U+202A-U+202E,
 * U+2060-U+2069, U+FEFF. */
static int invisible(uint32_t c)
{
    return c == 0x61C || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || (c >= 0x80 && c <= 0x9F);
}

/* Decodes one UTF-8 sequence at s[0..n): its length, or 0 if invalid. */
static size_t utf8_one(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t l, i;
    uint32_t c;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) l = 2, c = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) l = 3, c = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) l = 4, c = s[0] & 0x07u;
    else return 0;
    if (n < l) return 0;
    for (i = 1; i < l; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if ((l == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (l == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *cp = c;
    return l;
}

const char *cli_escape(const char *s, size_t max_in, char *buf, size_t cap)
{
    size_t i = 0, o = 0, n;
    if (!s) s = "(null)";
    n = strlen(s);
    if (cap < 8) {
        if (cap) buf[0] = 0;
        return buf;
    }
    while (i < n) {
        const unsigned char *u = (const unsigned char *)s + i;
        uint32_t cp = 0;
        size_t l = utf8_one(u, n - i, &cp);
        char tmp[16];
        size_t tl;
        if (i >= max_in) {
            if (o + 4 <= cap) memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        if (l == 0) {
            tl = (size_t)snprintf(tmp, sizeof tmp, "\\x%02X", u[0]);
            l = 1;
        } else if (cp < 0x20 || cp == 0x7F || cp == '\\' || invisible(cp)) {
            if (cp == '\n') tl = (size_t)snprintf(tmp, sizeof tmp, "\\n");
            else if (cp == '\\') tl = (size_t)snprintf(tmp, sizeof tmp, "\\\\");
            else if (cp < 0x100) tl = (size_t)snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned)cp);
            else tl = (size_t)snprintf(tmp, sizeof tmp, "\\u%04X", (unsigned)cp);
        } else {
            memcpy(tmp, u, l);
            tl = l;
        }
        if (o + tl + 4 > cap) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(buf + o, tmp, tl);
        o += tl;
        i += l;
    }
    buf[o] = 0;
    return buf;
}

int cli_read_regular(const char *path, unsigned long long max, unsigned char **out, size_t *len,
                     char *why, size_t why_cap)
{
    struct stat st;
    unsigned char *b;
    size_t got = 0;
    int fd;
    *out = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_cap, "cannot open: %s", strerror(errno));
        return CLI_ERROR;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_cap, "not a regular file (devices, FIFOs and directories are refused)");
        close(fd);
        return CLI_ERROR;
    }
    if ((unsigned long long)st.st_size > max) {
        snprintf(why, why_cap, "%lld bytes, over the limit of %llu (--max-bytes)",
                 (long long)st.st_size, max);
        close(fd);
        return CLI_ERROR;
    }
    b = malloc((size_t)st.st_size + 1);
    if (!b) {
        snprintf(why, why_cap, "out of memory");
        close(fd);
        return CLI_ERROR;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != (size_t)st.st_size) {
        snprintf(why, why_cap, "read error or the file changed while read");
        free(b);
        return CLI_ERROR;
    }
    b[got] = 0;
    *out = b;
    *len = got;
    return CLI_OK;
}

/* ---- the argument vector ----------------------------------------------------- */

struct args {
    char *v[MAX_ARGS + 1];
    size_t n;
    char *owned[MAX_ARGS];
    size_t n_owned;
    int bad;
};

static void push(struct args *A, const char *s)
{
    if (!s || A->n >= MAX_ARGS) {
        A->bad = 1;
        return;
    }
    A->v[A->n++] = (char *)s;
    A->v[A->n] = NULL;
}

static const char *own(struct args *A, char *s)
{
    if (!s || A->n_owned >= MAX_ARGS) {
        free(s);
        A->bad = 1;
        return NULL;
    }
    A->owned[A->n_owned++] = s;
    return s;
}

/* a "=" b, owned by A. */
static const char *own_kv(struct args *A, const char *a, const char *b)
{
    size_t l = strlen(a) + strlen(b) + 2;
    char *p = malloc(l);
    if (p) snprintf(p, l, "%s=%s", a, b);
    return own(A, p);
}

/* A value from a report allowed as an option's value: 1..64 characters of
 * [A-Za-z0-9_.:+-], not starting with '-' (so it can never read as an
 * option), with no '/' (so it can never be a path). */
static int safe_word(const char *s)
{
    size_t i, n = s ? strlen(s) : 0;
    if (n == 0 || n > 64 || s[0] == '-') return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

static int decimal(const char *s)
{
    size_t i, n = s ? strlen(s) : 0;
    if (n == 0 || n > 20) return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* The built-in tokenizer names (cli_open_tokenizer): a recorded name that is
 * not one of them is never opened (it could be a path). */
static int builtin_tokenizer(const char *s)
{
    static const char *const names[] = {"cl100k_base", "o200k_base", "r50k_base", "p50k_base",
                                        "qwen3",       "mistral",    "gpt2"};
    size_t i;
    for (i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) return 1;
    return 0;
}

/* ---- recipes: the typed fields of each result type and their options ------- */

enum kind {
    F_WORD,    /* a safe word: --opt VALUE */
    F_NUM,     /* a finite number: --opt %.17g */
    F_UINT,    /* a decimal integer (string or number): --opt N */
    F_BOOL,    /* true: --opt */
    F_PRESENT, /* the field is present: --opt */
    F_PARAMS,  /* an object: --param NAME=VALUE for each */
    F_TOKENIZER /* a built-in name or the auditor's --tokenizer; absent: "--ids" when opt set */
};

struct field {
    const char *name;
    const char *opt;
    enum kind kind;
};

enum inputs_rule {
    IN_FIRST,         /* the first input as the positional argument */
    IN_ALL,           /* every input, in the recorded order, positional */
    IN_TRACE,         /* first: positional; the accounts file: --accounts */
    IN_RESPONSES      /* the first input as --responses */
};

struct recipe {
    const char *type;      /* the result type (report.json "result_type") */
    const char *cmd[2];    /* the command and its subcommand */
    int (*run)(int, char **);
    const char *key_opt;   /* --key, --master, or NULL (no key) */
    enum inputs_rule inputs;
    const char *out_opt;   /* a results file to write into the private dir, or NULL */
    struct field fields[20];
};

static const struct recipe recipes[] = {
    {"detect", {"detect", NULL}, cli_detect, "--key", IN_FIRST, NULL,
     {{"scheme", "--scheme", F_WORD}, {"params", "--param", F_PARAMS},
      {"tokenizer", "--ids", F_TOKENIZER}, {"dedup", "--dedup", F_WORD},
      {"eos", "--eos", F_UINT}, {"special", "--special", F_BOOL}, {"alpha", "--alpha", F_NUM},
      {"span", "--localize", F_PRESENT}, {"tokens", "--per-token", F_PRESENT},
      {"allow_invalid_utf8", "--allow-invalid-utf8", F_BOOL}, {NULL, NULL, F_WORD}}},
    {"scan", {"scan", NULL}, cli_scan, "--key", IN_FIRST, "--out",
     {{"scheme", "--scheme", F_WORD}, {"params", "--param", F_PARAMS},
      {"tokenizer", NULL, F_TOKENIZER}, {"format", "--format", F_WORD},
      {"field", "--field", F_WORD}, {"id_field", "--id-field", F_WORD}, {"fdr", "--fdr", F_NUM},
      {"special", "--special", F_BOOL}, {NULL, NULL, F_WORD}}},
    {"radioactivity", {"radioactivity", NULL}, cli_radioactivity, "--key", IN_FIRST, NULL,
     {{"scheme", "--scheme", F_WORD}, {"params", "--param", F_PARAMS},
      {"tokenizer", NULL, F_TOKENIZER}, {"prompt_field", "--prompt-field", F_WORD},
      {"completion_field", "--completion-field", F_WORD}, {"alpha", "--alpha", F_NUM},
      {"special", "--special", F_BOOL}, {NULL, NULL, F_WORD}}},
    {"trace", {"trace", NULL}, cli_trace, "--master", IN_TRACE, NULL,
     {{"scheme", "--scheme", F_WORD}, {"params", "--param", F_PARAMS},
      {"epoch", "--epoch", F_UINT}, {"alpha", "--alpha", F_NUM}, {"dedup", "--dedup", F_WORD},
      {"tokenizer", NULL, F_TOKENIZER}, {"field", "--field", F_WORD},
      {"text_input", "--text", F_BOOL}, {"n_top", "--top", F_UINT}, {NULL, NULL, F_WORD}}},
    {"merge", {"merge", NULL}, cli_merge, NULL, IN_ALL, NULL, {{NULL, NULL, F_WORD}}},
    {"payload-decode", {"payload", "decode"}, cli_payload, "--key", IN_FIRST, NULL,
     {{"params", "--param", F_PARAMS}, {"tokenizer", "--ids", F_TOKENIZER},
      {"alpha", "--alpha", F_NUM}, {"expect_hex", "--expect", F_WORD}, {NULL, NULL, F_WORD}}},
    {"fingerprint-verify", {"fingerprint", "verify"}, cli_fingerprint, "--key", IN_RESPONSES, NULL,
     {{"count", "--count", F_UINT}, {"candidates", "--candidates", F_UINT},
      {"alpha", "--alpha", F_NUM}, {NULL, NULL, F_WORD}}},
};

static const struct recipe *recipe_of(const char *type, const cJSON *res)
{
    size_t i;
    if (cJSON_GetObjectItemCaseSensitive(res, "merged_parts")) type = "merge";
    for (i = 0; type && i < sizeof recipes / sizeof recipes[0]; i++)
        if (strcmp(recipes[i].type, type) == 0) return &recipes[i];
    return NULL;
}

/* ---- building the arguments ---------------------------------------------------- */

static void refuse(const char *field, const char *what)
{
    char e[100];
    printf("  recomputation: FAILED (the recorded field %s %s)\n",
           cli_escape(field, 40, e, sizeof e), what);
}

/* The value of a secret parameter (recorded as CLI_REDACTED): the
 * auditor's engine key or --param NAME=VALUE.  NULL when not given. */
static const char *secret_value(const struct cli_verify_secrets *sec, const char *scheme,
                                const char *name, struct args *A)
{
    size_t i, l = strlen(name);
    for (i = 0; i < sec->n_params; i++)
        if (strncmp(sec->params[i], name, l) == 0 && sec->params[i][l] == '=')
            return sec->params[i];
    if (strcmp(name, "key") == 0 && scheme && strcmp(scheme, "vllm") == 0 && sec->vllm_key)
        return own_kv(A, "key", sec->vllm_key);
    if (strcmp(name, "key") == 0 && scheme && strcmp(scheme, "sglang") == 0 && sec->sglang_key)
        return own_kv(A, "key", sec->sglang_key);
    if (strcmp(name, "keys") == 0 && sec->synthid_keys) {
        char buf[4096];
        if (cli_synthid_param(sec->synthid_keys, buf, sizeof buf) != CLI_OK) return NULL;
        return own(A, strdup(buf));
    }
    return NULL;
}

static int add_params(struct args *A, const cJSON *params, const char *scheme,
                      const struct cli_verify_secrets *sec)
{
    const cJSON *p;
    if (!params) return CLI_OK;
    if (!cJSON_IsObject(params)) {
        refuse("params", "is not an object");
        return CLI_ERROR;
    }
    cJSON_ArrayForEach(p, params)
    {
        char num[64];
        const char *v = NULL;
        if (!p->string || !safe_word(p->string)) {
            refuse("params", "has a parameter name that is not a plain word");
            return CLI_ERROR;
        }
        if (cJSON_IsString(p) && strcmp(p->valuestring, CLI_REDACTED) == 0) {
            const char *kv = secret_value(sec, scheme, p->string, A);
            if (!kv) return CLI_NOT_DETECTED;
            push(A, "--param");
            push(A, kv);
            continue;
        }
        if (cJSON_IsString(p) && safe_word(p->valuestring)) v = p->valuestring;
        else if (cJSON_IsNumber(p) && isfinite(p->valuedouble)) {
            snprintf(num, sizeof num, "%.17g", p->valuedouble);
            v = num;
        }
        if (!v) {
            refuse("params", "has a value that is not a plain word or a number");
            return CLI_ERROR;
        }
        push(A, "--param");
        push(A, own_kv(A, p->string, v));
    }
    return CLI_OK;
}

static int add_field(struct args *A, const struct field *f, const cJSON *v, const char *scheme,
                     const struct cli_verify_secrets *sec)
{
    char num[64];
    switch (f->kind) {
    case F_TOKENIZER:
        if (!v) {
            if (f->opt) push(A, f->opt); /* no tokenizer: the input was token ids */
            return CLI_OK;
        }
        if (!cJSON_IsString(v)) {
            refuse(f->name, "is not a string");
            return CLI_ERROR;
        }
        push(A, "--tokenizer");
        if (sec->tokenizer_file) push(A, sec->tokenizer_file);
        else if (builtin_tokenizer(v->valuestring)) push(A, v->valuestring);
        else {
            char e[100];
            printf("  recomputation: not possible (the result's tokenizer %s is not a built-in "
                   "one; give its file with --tokenizer FILE)\n",
                   cli_escape(v->valuestring, 60, e, sizeof e));
            return CLI_NOT_DETECTED;
        }
        return CLI_OK;
    case F_PRESENT:
        if (v) push(A, f->opt);
        return CLI_OK;
    default: break;
    }
    if (!v || cJSON_IsNull(v)) return CLI_OK;
    switch (f->kind) {
    case F_WORD:
        if (!cJSON_IsString(v) || !safe_word(v->valuestring)) {
            refuse(f->name, "is not a plain word");
            return CLI_ERROR;
        }
        push(A, f->opt);
        push(A, v->valuestring);
        return CLI_OK;
    case F_NUM:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            refuse(f->name, "is not a finite number");
            return CLI_ERROR;
        }
        snprintf(num, sizeof num, "%.17g", v->valuedouble);
        push(A, f->opt);
        push(A, own(A, strdup(num)));
        return CLI_OK;
    case F_UINT:
        if (cJSON_IsString(v) && decimal(v->valuestring)) {
            push(A, f->opt);
            push(A, v->valuestring);
        } else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9.0e15 &&
                   v->valuedouble == floor(v->valuedouble)) {
            snprintf(num, sizeof num, "%.0f", v->valuedouble);
            push(A, f->opt);
            push(A, own(A, strdup(num)));
        } else {
            refuse(f->name, "is not a non-negative integer");
            return CLI_ERROR;
        }
        return CLI_OK;
    case F_BOOL:
        if (!cJSON_IsBool(v)) {
            refuse(f->name, "is not true or false");
            return CLI_ERROR;
        }
        if (cJSON_IsTrue(v)) push(A, f->opt);
        return CLI_OK;
    case F_PARAMS: return add_params(A, v, scheme, sec);
    default: return CLI_ERROR;
    }
}

/* The number of keys the result was computed with. */
static size_t keys_used(const cJSON *res, const struct recipe *R)
{
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(res, "keys");
    if (!R->key_opt) return 0;
    if (cJSON_IsArray(ks)) return (size_t)cJSON_GetArraySize(ks);
    if (cJSON_GetObjectItemCaseSensitive(res, "key_id") ||
        cJSON_GetObjectItemCaseSensitive(res, "master_key_id"))
        return 1;
    return 0;
}

static int engine_scheme(const char *scheme)
{
    return scheme && (strcmp(scheme, "vllm") == 0 || strcmp(scheme, "sglang") == 0 ||
                      strcmp(scheme, "synthid") == 0);
}

/* ---- comparison ---------------------------------------------------------------- */

struct cmp {
    size_t n_diff, n_same;
};

static int skipped(const char *name)
{
    return name && (strcmp(name, "argv") == 0 || strcmp(name, "seconds") == 0 ||
                    strcmp(name, "elapsed_s") == 0);
}

static void differs(struct cmp *C, const char *path, const cJSON *old, const cJSON *new_)
{
    char *a = old ? cJSON_PrintUnformatted(old) : NULL;
    char *b = new_ ? cJSON_PrintUnformatted(new_) : NULL;
    char ep[200], ea[200], eb[200];
    if (C->n_diff < MAX_SHOWN)
        printf("  DIFFERS %s: recomputed %s, report %s\n", cli_escape(path, 120, ep, sizeof ep),
               cli_escape(b ? b : "(missing)", SHOW_CAP, eb, sizeof eb),
               cli_escape(a ? a : "(missing)", SHOW_CAP, ea, sizeof ea));
    else if (C->n_diff == MAX_SHOWN)
        printf("  ... (further differences not shown)\n");
    C->n_diff++;
    free(a);
    free(b);
}

static int by_name(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* The members of an object sorted by name (malloc'd), or NULL. */
static const cJSON **member_index(const cJSON *o, size_t *n)
{
    const cJSON *c, **v;
    size_t k = 0;
    for (c = o->child; c; c = c->next) k++;
    v = malloc((k ? k : 1) * sizeof *v);
    if (!v) return NULL;
    k = 0;
    for (c = o->child; c; c = c->next) v[k++] = c;
    qsort(v, k, sizeof *v, by_name);
    *n = k;
    return v;
}

static const cJSON *lookup(const cJSON **v, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(v[mid]->string ? v[mid]->string : "", name);
        if (r == 0) return v[mid];
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* path is a buffer of cap bytes holding the current path of length len. */
static void compare(struct cmp *C, char *path, size_t len, size_t cap, const cJSON *old,
                    const cJSON *new_)
{
    if (!new_ || (old->type & 0xFF) != (new_->type & 0xFF)) {
        differs(C, path, old, new_);
        return;
    }
    if (cJSON_IsObject(old)) {
        const cJSON *c, *cur = new_->child;
        const cJSON **index = NULL;
        size_t n_index = 0;
        for (c = old->child; c; c = c->next) {
            const cJSON *m = NULL;
            if (skipped(c->string)) continue;
            /* the same code writes the same order: match pairwise; when the
             * orders differ, look up in a sorted index of the new object's
             * members (built once), so the walk stays O(n log n) even for
             * a hand-reordered report */
            while (cur && skipped(cur->string)) cur = cur->next;
            if (cur && c->string && cur->string && strcmp(cur->string, c->string) == 0) {
                m = cur;
            } else if (c->string) {
                if (!index) index = member_index(new_, &n_index);
                m = index ? lookup(index, n_index, c->string)
                          : cJSON_GetObjectItemCaseSensitive(new_, c->string);
            }
            if (m) cur = m->next;
            snprintf(path + len, cap - len, ".%s", c->string ? c->string : "?");
            compare(C, path, strlen(path), cap, c, m);
            path[len] = 0;
        }
        free(index);
    } else if (cJSON_IsArray(old)) {
        const cJSON *a = old->child, *b = new_->child;
        size_t i = 0;
        for (; a && b; a = a->next, b = b->next, i++) {
            snprintf(path + len, cap - len, "[%zu]", i);
            compare(C, path, strlen(path), cap, a, b);
            path[len] = 0;
        }
        if (a || b) {
            char ep[200];
            if (C->n_diff < MAX_SHOWN)
                printf("  DIFFERS %s (length): recomputed %d, report %d\n",
                       cli_escape(path, 120, ep, sizeof ep), cJSON_GetArraySize(new_),
                       cJSON_GetArraySize(old));
            C->n_diff++;
        }
    } else if (cJSON_IsNumber(old)) {
        double a = old->valuedouble, b = new_->valuedouble;
        if (a == b || fabs(a - b) <= 1e-12 * fabs(a)) C->n_same++;
        else differs(C, path, old, new_);
    } else if (cJSON_IsString(old)) {
        if (strcmp(old->valuestring, new_->valuestring) == 0) C->n_same++;
        else differs(C, path, old, new_);
    } else if ((old->type & 0xFF) == (new_->type & 0xFF)) {
        C->n_same++; /* true, false, null */
    }
}

/* ---- running in this process ------------------------------------------------------ */

static int redirect(int fd, const char *path, int *saved)
{
    int f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) return -1;
    *saved = dup(fd);
    if (*saved < 0 || dup2(f, fd) < 0) {
        close(f);
        return -1;
    }
    close(f);
    return 0;
}

static void restore(int fd, int saved)
{
    if (saved >= 0) {
        (void)dup2(saved, fd);
        close(saved);
    }
}

static void remove_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        (void)unlink(p);
    }
    if (d) closedir(d);
    (void)rmdir(dir);
}

/* Runs R->run(argv) with stdout and stderr into files of dir; returns its
 * exit status, or -1. */
static int run_here(const struct recipe *R, struct args *A, const char *dir)
{
    char po[300], pe[300];
    int so = -1, se = -1, rc;
    snprintf(po, sizeof po, "%s/stdout", dir);
    snprintf(pe, sizeof pe, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    if (redirect(1, po, &so) != 0) return -1;
    if (redirect(2, pe, &se) != 0) {
        restore(1, so);
        return -1;
    }
    cli_set_invocation((int)A->n, A->v);
    rc = R->run((int)A->n, A->v);
    fflush(stdout);
    fflush(stderr);
    restore(1, so);
    restore(2, se);
    cli_set_invocation(0, NULL);
    return rc;
}

/* The inputs of a merge, by kind: a partial result (its last line has
 * "type" scan-partial or radioactivity-partial), the tuples side file of a
 * scan partial ("tuples_file", read by merge beside the partial), or
 * anything else (the merged results file).  A side file must itself be one
 * of the report's inputs given by the auditor (the same file, by device and
 * inode), so that no byte the report does not vouch for is read.  Returns
 * CLI_OK, or CLI_ERROR with a line printed; *scan is set when a partial is
 * a scan's. */
enum { IN_OTHER, IN_PARTIAL, IN_SIDE };
static int merge_inputs(const char *const *in_path, size_t n, unsigned char *kind, int *scan)
{
    size_t i, j;
    *scan = 0;
    for (i = 0; i < n; i++) {
        unsigned char *b = NULL;
        size_t l = 0;
        char why[160], side[4200], e[100];
        const char *last, *slash, *tf, *type;
        cJSON *o;
        struct stat a, c;
        int found = 0;
        if (kind[i] == IN_SIDE) continue;
        if (cli_read_regular(in_path[i], 1ULL << 36, &b, &l, why, sizeof why) != CLI_OK) continue;
        while (l > 0 && (b[l - 1] == '\n' || b[l - 1] == '\r')) b[--l] = 0;
        last = (const char *)b;
        for (j = l; j > 0; j--)
            if (b[j - 1] == '\n') {
                last = (const char *)b + j;
                break;
            }
        o = l && b[0] == '{' ? cJSON_Parse(last) : NULL;
        type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type"));
        tf = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "tuples_file"));
        if (type && (strcmp(type, "scan-partial") == 0 || strcmp(type, "radioactivity-partial") == 0))
            kind[i] = IN_PARTIAL;
        if (type && strcmp(type, "scan-partial") == 0) *scan = 1;
        if (kind[i] != IN_PARTIAL || !tf) {
            cJSON_Delete(o);
            free(b);
            continue;
        }
        slash = strrchr(in_path[i], '/');
        if (slash)
            snprintf(side, sizeof side, "%.*s/%s", (int)(slash - in_path[i]), in_path[i], tf);
        else
            snprintf(side, sizeof side, "%s", tf);
        if (!strchr(tf, '/') && lstat(side, &a) == 0 && S_ISREG(a.st_mode))
            for (j = 0; j < n && !found; j++)
                if (stat(in_path[j], &c) == 0 && c.st_dev == a.st_dev && c.st_ino == a.st_ino)
                    found = 1, kind[j] = IN_SIDE;
        if (!found)
            printf("  recomputation: not possible (the partial %s reads the side file %s, which "
                   "is not an input of the report given with --input)\n",
                   cli_escape(in_path[i], 80, why, sizeof why), cli_escape(tf, 80, e, sizeof e));
        cJSON_Delete(o);
        free(b);
        if (!found) return CLI_ERROR;
    }
    return CLI_OK;
}

static int file_sha(const char *path, char hex[65])
{
    unsigned char *b = NULL;
    size_t l = 0;
    char why[160];
    int ok = cli_read_regular(path, 1ULL << 40, &b, &l, why, sizeof why) == CLI_OK &&
             hm_report_sha256_hex(b, l, hex) == HM_OK;
    free(b);
    return ok;
}

int cli_recompute(const void *report_cjson, const char *const *in_path, size_t n_inputs,
                  const struct cli_verify_secrets *sec, size_t *n_diff)
{
    const cJSON *rep = report_cjson;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(rep, "result");
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(rep, "inputs");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rep, "result_type"));
    const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "scheme"));
    const struct recipe *R = recipe_of(type, res);
    struct args A;
    struct cmp C;
    char dir[128] = "", path[512], outp[300] = "";
    const char *tmpdir = getenv("TMPDIR");
    unsigned char *out = NULL, *err = NULL;
    size_t outl = 0, errl = 0, i, nk;
    cJSON *fresh = NULL;
    char why[160];
    int rc = CLI_ERROR, st, k, merged_out = 0;
    memset(&A, 0, sizeof A);
    memset(&C, 0, sizeof C);
    *n_diff = 0;
    if (!R) {
        char e[100];
        printf("  recomputation: not possible (no recipe for the result type %s)\n",
               cli_escape(type ? type : "(none)", 40, e, sizeof e));
        return CLI_ERROR;
    }
    /* which inputs: by role, in the recorded order, all given by the auditor */
    for (i = 0; i < n_inputs; i++)
        if (!in_path[i]) {
            printf("  recomputation: not possible (input %zu was not given with --input)\n", i + 1);
            return CLI_ERROR;
        }
    nk = keys_used(res, R);
    if (nk > sec->n_keys) {
        if (sec->n_keys == 0 && !engine_scheme(scheme)) return CLI_NOT_DETECTED;
        if (!engine_scheme(scheme)) {
            printf("  recomputation: not possible (the result used %zu keys; %zu given with "
                   "--key, in the recorded order)\n",
                   nk, sec->n_keys);
            return CLI_ERROR;
        }
    }
    push(&A, R->cmd[0]);
    if (R->cmd[1]) push(&A, R->cmd[1]);
    for (k = 0; R->fields[k].name; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, R->fields[k].name);
        int r = add_field(&A, &R->fields[k], v, scheme, sec);
        if (r != CLI_OK) {
            rc = r;
            goto done;
        }
    }
    if (engine_scheme(scheme)) {
        /* the engine's key: never recorded, always the auditor's */
        const char *opt = strcmp(scheme, "vllm") == 0     ? "--vllm-key"
                          : strcmp(scheme, "sglang") == 0 ? "--sglang-key"
                                                          : "--synthid-keys";
        const char *val = strcmp(scheme, "vllm") == 0     ? sec->vllm_key
                          : strcmp(scheme, "sglang") == 0 ? sec->sglang_key
                                                          : sec->synthid_keys;
        if (!val) {
            rc = CLI_NOT_DETECTED;
            goto done;
        }
        if (strcmp(R->type, "detect") != 0) {
            printf("  recomputation: not possible (an engine key with a %s result)\n", R->type);
            goto done;
        }
        push(&A, opt);
        push(&A, val);
    } else
        for (i = 0; i < nk; i++) {
            push(&A, R->key_opt);
            push(&A, sec->keyf[i]);
        }
    if (nk && sec->pass) {
        push(&A, "--passphrase-file");
        push(&A, sec->pass);
    }
    snprintf(dir, sizeof dir, "%s/hallmark-verify-XXXXXX",
             tmpdir && *tmpdir && strlen(tmpdir) < 64 && tmpdir[0] == '/' ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        printf("  recomputation: FAILED (cannot make a private directory: %s)\n", strerror(errno));
        dir[0] = 0;
        goto done;
    }
    snprintf(outp, sizeof outp, "%s/results", dir);
    if (R->out_opt) {
        push(&A, R->out_opt);
        push(&A, outp);
    }
    push(&A, "--json");
    {
        /* the inputs, by role */
        size_t first = n_inputs, prompt = n_inputs, second = n_inputs;
        for (i = 0; i < n_inputs; i++) {
            const char *role = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ins, (int)i), "role"));
            if (role && strcmp(role, "prompt") == 0) {
                if (prompt == n_inputs) prompt = i;
            } else if (first == n_inputs) {
                first = i;
            } else if (second == n_inputs) {
                second = i;
            }
        }
        if (n_inputs == 0 || first == n_inputs) {
            printf("  recomputation: not possible (the report records no input)\n");
            goto done;
        }
        if (prompt < n_inputs) {
            if (strcmp(R->type, "detect") != 0) {
                printf("  recomputation: not possible (a prompt input for a %s result)\n", R->type);
                goto done;
            }
            push(&A, "--prompt-file");
            push(&A, in_path[prompt]);
        }
        switch (R->inputs) {
        case IN_FIRST: push(&A, in_path[first]); break;
        case IN_RESPONSES:
            push(&A, "--responses");
            push(&A, in_path[first]);
            break;
        case IN_TRACE:
            if (second == n_inputs) {
                printf("  recomputation: not possible (a trace report records the suspect "
                       "documents and the accounts file as its first two inputs)\n");
                goto done;
            }
            push(&A, "--accounts");
            push(&A, in_path[second]);
            push(&A, in_path[first]);
            break;
        case IN_ALL:
        {
            /* partials only: merge reads each side file through its partial,
             * and writes the merged results file of a scan (compared below) */
            unsigned char kind[64] = {0};
            int scan = 0;
            if (n_inputs > sizeof kind) {
                printf("  recomputation: not possible (more than %zu inputs)\n", sizeof kind);
                goto done;
            }
            if (merge_inputs(in_path, n_inputs, kind, &scan) != CLI_OK) goto done;
            if (scan) {
                push(&A, "--out");
                push(&A, outp);
                merged_out = 1;
            }
            for (i = 0; i < n_inputs; i++)
                if (kind[i] == IN_PARTIAL) push(&A, in_path[i]);
            break;
        }
        }
    }
    if (A.bad) {
        printf("  recomputation: FAILED (too many arguments)\n");
        goto done;
    }
    st = run_here(R, &A, dir);
    snprintf(path, sizeof path, "%s/stderr", dir);
    (void)cli_read_regular(path, 1 << 20, &err, &errl, why, sizeof why);
    if (st != 0 && st != 1) {
        char e[400];
        printf("  recomputation: FAILED (the %s computation stopped with status %d: %s)\n",
               R->type, st, cli_escape(err ? (const char *)err : "", 300, e, sizeof e));
        goto done;
    }
    snprintf(path, sizeof path, "%s/stdout", dir);
    if (cli_read_regular(path, 1ULL << 34, &out, &outl, why, sizeof why) != CLI_OK ||
        !(fresh = cJSON_ParseWithLength((const char *)out, outl))) {
        printf("  recomputation: FAILED (no JSON result)\n");
        goto done;
    }
    if (!cJSON_IsObject(res)) {
        printf("  recomputation: FAILED (the report's result is not an object)\n");
        goto done;
    }
    snprintf(path, sizeof path, "result");
    compare(&C, path, strlen(path), sizeof path, res, fresh);
    if (R->out_opt || merged_out) {
        /* the results file: one of the report's inputs must be it, byte for byte */
        char hex[65];
        const cJSON *in;
        int found = 0, others = n_inputs > 1;
        if (file_sha(outp, hex)) {
            cJSON_ArrayForEach(in, ins)
            {
                const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "sha256"));
                if (h && strcmp(h, hex) == 0) found = 1;
            }
        }
        if (found) {
            printf("  ok results file: the recomputed results file is an input of the report, "
                   "byte for byte\n");
            C.n_same++;
        } else if (others) {
            printf("  DIFFERS results file: no input of the report equals the recomputed "
                   "results file (SHA-256 %s)\n",
                   hex);
            C.n_diff++;
        }
    }
    if (C.n_diff == 0)
        printf("  ok recomputation: all %zu recorded values reproduced\n", C.n_same);
    *n_diff = C.n_diff;
    rc = CLI_OK;
done:
    cJSON_Delete(fresh);
    free(out);
    free(err);
    if (dir[0]) remove_tmp(dir);
    for (i = 0; i < A.n_owned; i++) free(A.owned[i]);
    return rc;
}
