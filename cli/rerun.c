/*
 * rerun.c - `hallmark report verify --key`: reruns the command a report's
 * result came from and compares the new result with the recorded one.
 *
 * Every result that `report` accepts (detect, scan, radioactivity, trace,
 * merge) records its own invocation as "argv" (cli_json_add_argv).  The
 * rerun takes that argv and substitutes only what must change on the
 * verifier's machine: the key files (--key / --master, in the recorded
 * order, from verify's --key), the passphrase file, the output and spill
 * paths (a private temporary directory), and every file argument that is one
 * of the report's inputs (by its recorded path; the verifier's copy, whose
 * SHA-256 report verify has just checked).  An argument that names some
 * other existing file is refused: the rerun would read bytes that the report
 * does not vouch for.  The child is this same executable (/proc/self/exe),
 * so the statistics come from the build that verifies.
 *
 * Comparison: every value of the recorded result (recursively) must be in
 * the new one, strings and integers exactly, floating-point numbers to a
 * relative 1e-12; "argv" and wall-clock fields are not compared.  When the
 * command wrote a results file (--out) that is itself an input of the
 * report, the new file must equal it byte for byte.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 250
#define MAX_SHOWN 20

struct rerun {
    const cJSON *inputs;        /* the report's "inputs" array */
    const char *const *in_path; /* the verifier's path of input k */
    size_t n_inputs;
    char tmp[64];     /* private temporary directory */
    char *args[MAX_ARGS + 2];
    unsigned char hide[MAX_ARGS + 2]; /* args[i] holds a secret: never printed */
    size_t n_args;
    char *owned[MAX_ARGS]; /* strings allocated for args */
    size_t n_owned;
    const char *out_recorded; /* --out as recorded, and its replacement */
    char *out_new;
    char *outp, *errp; /* the child's stdout and stderr */
    size_t n_diff, n_same;
};

/* Strips a leading "./" so that "./a.txt" and "a.txt" name the same input. */
static const char *plain(const char *p)
{
    while (p[0] == '.' && p[1] == '/') p += 2;
    return p;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The index of the report input recorded as `arg`, or -1: the same path, or
 * else the same file name when exactly one input has it. */
static long input_index(const struct rerun *R, const char *arg)
{
    long by_base = -1;
    size_t k, n_base = 0;
    for (k = 0; k < R->n_inputs; k++) {
        const char *p = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(R->inputs, (int)k), "path"));
        if (!p) continue;
        if (strcmp(plain(p), plain(arg)) == 0) return (long)k;
        if (strcmp(base(p), base(arg)) == 0) {
            by_base = (long)k;
            n_base++;
        }
    }
    return n_base == 1 ? by_base : -1;
}

static int push(struct rerun *R, const char *s)
{
    if (!s || R->n_args >= MAX_ARGS) return CLI_ERROR;
    R->args[R->n_args++] = (char *)s;
    R->args[R->n_args] = NULL;
    return CLI_OK;
}

static char *own(struct rerun *R, char *s)
{
    if (!s || R->n_owned >= MAX_ARGS) {
        free(s);
        return NULL;
    }
    R->owned[R->n_owned++] = s;
    return s;
}

static char *tmp_path(struct rerun *R, const char *name)
{
    size_t n = strlen(R->tmp) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", R->tmp, name);
    return own(R, p);
}

static int is_regular_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Options whose value the rerun replaces. */
enum subst { SUB_NONE, SUB_KEY, SUB_PASS, SUB_OUT, SUB_TMPDIR, SUB_DROP, SUB_SECRET, SUB_PARAM };

static enum subst subst_of(const char *name)
{
    if (strcmp(name, "--key") == 0 || strcmp(name, "--master") == 0) return SUB_KEY;
    if (strcmp(name, "--vllm-key") == 0 || strcmp(name, "--sglang-key") == 0 ||
        strcmp(name, "--synthid-keys") == 0)
        return SUB_SECRET;
    if (strcmp(name, "--param") == 0) return SUB_PARAM;
    if (strcmp(name, "--passphrase-file") == 0) return SUB_PASS;
    if (strcmp(name, "--out") == 0) return SUB_OUT;
    if (strcmp(name, "--tmpdir") == 0) return SUB_TMPDIR;
    if (strcmp(name, "--custody-log") == 0) return SUB_DROP;
    return SUB_NONE;
}

/* getopt_long accepts unique abbreviations: "--ou X" would write where
 * "--out X" is redirected.  An abbreviation of an option the rerun replaces
 * is therefore refused.  Returns 1 when `a` ("--name" or "--name=v") is one. */
static int abbreviates_replaced(const char *a)
{
    static const char *const names[] = {"out", "tmpdir", "custody-log", "key", "master",
                                        "passphrase-file", "vllm-key", "sglang-key",
                                        "synthid-keys", "param"};
    size_t i, l;
    if (strncmp(a, "--", 2) != 0) return 0;
    a += 2;
    l = strchr(a, '=') ? (size_t)(strchr(a, '=') - a) : strlen(a);
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (l > 0 && l < strlen(names[i]) && strncmp(a, names[i], l) == 0) return 1;
    return 0;
}

/* The commands whose results a report can rerun (none of them writes
 * anywhere but --out and --tmpdir, which the rerun redirects). */
static int rerunnable(const char *cmd)
{
    return strcmp(cmd, "detect") == 0 || strcmp(cmd, "scan") == 0 ||
           strcmp(cmd, "radioactivity") == 0 || strcmp(cmd, "trace") == 0 ||
           strcmp(cmd, "merge") == 0;
}

/* The verifier's value for a secret option, or NULL. */
static const char *secret_value(const struct cli_rerun_secrets *sec, const char *name)
{
    if (strcmp(name, "--vllm-key") == 0) return sec->vllm_key;
    if (strcmp(name, "--sglang-key") == 0) return sec->sglang_key;
    return sec->synthid_keys;
}

/* The verifier's --param for a redacted "name=<redacted>", or NULL. */
static const char *secret_param(const struct cli_rerun_secrets *sec, const char *kv)
{
    size_t i, l = (size_t)(strchr(kv, '=') - kv) + 1;
    for (i = 0; i < sec->n_params; i++)
        if (strncmp(sec->params[i], kv, l) == 0) return sec->params[i];
    return NULL;
}

/* Builds the new argument vector.  Prints what it refuses and returns
 * CLI_ERROR then, or CLI_NOT_DETECTED when a secret is missing. */
static int build_args(struct rerun *R, const cJSON *argv, const struct cli_rerun_secrets *sec,
                      const char **stdin_path)
{
    const char *const *keyf = sec->keyf, *pass = sec->pass;
    size_t n_keys = sec->n_keys;
    int n = cJSON_GetArraySize(argv), i, have_json = 0, had_key = 0, had_pass = 0;
    size_t next_key = 0;
    *stdin_path = NULL;
    if (push(R, "hallmark") != CLI_OK) return CLI_ERROR;
    for (i = 0; i < n; i++) {
        const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(argv, i)), *val = NULL;
        char name[64];
        enum subst sub = SUB_NONE;
        int joined = 0;
        if (!a) {
            printf("  rerun: FAILED (the recorded argv is not a list of strings)\n");
            return CLI_ERROR;
        }
        if (i == 0) { /* the subcommand */
            if (!rerunnable(a)) {
                printf("  rerun: FAILED (the recorded command '%.40s' is not one whose result "
                       "a report reruns)\n",
                       a);
                return CLI_ERROR;
            }
            if (push(R, a) != CLI_OK) return CLI_ERROR;
            continue;
        }
        if (abbreviates_replaced(a)) {
            printf("  rerun: FAILED (the recorded option %.40s abbreviates one that the rerun "
                   "must replace; write options in full)\n",
                   a);
            return CLI_ERROR;
        }
        if (strncmp(a, "--", 2) == 0 && strchr(a, '=')) {
            size_t l = (size_t)(strchr(a, '=') - a);
            if (l < sizeof name) {
                memcpy(name, a, l);
                name[l] = 0;
                sub = subst_of(name);
                val = a + l + 1;
                joined = 1;
            }
        } else if (strncmp(a, "--", 2) == 0) {
            sub = subst_of(a);
            if (sub != SUB_NONE && i + 1 < n) val = cJSON_GetStringValue(cJSON_GetArrayItem(argv, ++i));
            snprintf(name, sizeof name, "%s", a);
        }
        if (strcmp(a, "--json") == 0) have_json = 1;
        if (sub != SUB_NONE && !val) {
            printf("  rerun: FAILED (the recorded option %s has no value)\n", a);
            return CLI_ERROR;
        }
        switch (sub) {
        case SUB_KEY:
            had_key = 1;
            if (next_key >= n_keys) {
                if (n_keys == 0) return CLI_NOT_DETECTED;
                printf("  rerun: not possible (the command used more keys than the %zu given "
                       "with --key; give them in the recorded order)\n",
                       n_keys);
                return CLI_ERROR;
            }
            val = keyf[next_key++];
            break;
        case SUB_SECRET:
            val = secret_value(sec, name);
            if (!val) return CLI_NOT_DETECTED;
            R->hide[R->n_args + (joined ? 0 : 1)] = 1;
            break;
        case SUB_PARAM:
            if (strchr(val, '=') && strcmp(strchr(val, '=') + 1, CLI_REDACTED) == 0) {
                val = secret_param(sec, val);
                if (!val) return CLI_NOT_DETECTED;
                R->hide[R->n_args + (joined ? 0 : 1)] = 1;
            }
            break;
        case SUB_PASS:
            had_pass = 1;
            if (!pass) continue; /* $HALLMARK_PASSPHRASE or the prompt, as for verify */
            val = pass;
            break;
        case SUB_OUT: {
            long k = input_index(R, val);
            R->out_recorded = k >= 0 ? R->in_path[k] : NULL;
            R->out_new = tmp_path(R, "out");
            val = R->out_new;
            break;
        }
        case SUB_TMPDIR: val = R->tmp; break;
        case SUB_DROP: continue;
        case SUB_NONE: break;
        }
        if (sub != SUB_NONE) {
            if (!val) return CLI_ERROR;
            if (joined) {
                size_t l = strlen(name) + strlen(val) + 2;
                char *j = own(R, malloc(l));
                if (!j) return CLI_ERROR;
                snprintf(j, l, "%s=%s", name, val);
                if (push(R, j) != CLI_OK) return CLI_ERROR;
            } else if (push(R, own(R, strdup(name))) != CLI_OK ||
                       push(R, own(R, strdup(val))) != CLI_OK) {
                return CLI_ERROR;
            }
            continue;
        }
        if (strcmp(a, "-") == 0) {
            /* standard input: the first input of the report */
            if (R->n_inputs == 0) {
                printf("  rerun: not possible (the command read standard input, and the report "
                       "records no input)\n");
                return CLI_ERROR;
            }
            *stdin_path = R->in_path[0];
        } else if (a[0] != '-') {
            long k = input_index(R, a);
            if (k >= 0) {
                a = R->in_path[k];
            } else if (is_regular_file(a)) {
                printf("  rerun: FAILED (the command reads %s, which is not an input of the "
                       "report, so its bytes are not vouched for; give it with --input when "
                       "writing the report)\n",
                       a);
                return CLI_ERROR;
            }
        }
        if (push(R, a) != CLI_OK) return CLI_ERROR;
    }
    if (had_key && pass && !had_pass &&
        (push(R, "--passphrase-file") != CLI_OK || push(R, pass) != CLI_OK))
        return CLI_ERROR;
    if (!have_json && push(R, "--json") != CLI_OK) return CLI_ERROR;
    return CLI_OK;
}

/* Fields that change from run to run. */
static int ignored(const char *name)
{
    return name && (strcmp(name, "argv") == 0 || strcmp(name, "seconds") == 0);
}

static void differs(struct rerun *R, const char *path, const cJSON *old, const cJSON *new_)
{
    char *a = old ? cJSON_PrintUnformatted(old) : NULL;
    char *b = new_ ? cJSON_PrintUnformatted(new_) : NULL;
    if (R->n_diff < MAX_SHOWN)
        printf("  DIFFERS %s: rerun %.80s, report %.80s\n", path, b ? b : "(missing)",
               a ? a : "(missing)");
    else if (R->n_diff == MAX_SHOWN)
        printf("  ... (further differences not shown)\n");
    R->n_diff++;
    free(a);
    free(b);
}

static void compare(struct rerun *R, const char *path, const cJSON *old, const cJSON *new_)
{
    char sub[512];
    if (!new_ || (old->type & 0xFF) != (new_->type & 0xFF)) {
        differs(R, path, old, new_);
        return;
    }
    if (cJSON_IsObject(old)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, old)
        {
            if (ignored(c->string)) continue;
            snprintf(sub, sizeof sub, "%s.%s", path, c->string ? c->string : "?");
            compare(R, sub, c, cJSON_GetObjectItemCaseSensitive(new_, c->string));
        }
    } else if (cJSON_IsArray(old)) {
        int i, n = cJSON_GetArraySize(old);
        if (n != cJSON_GetArraySize(new_)) {
            snprintf(sub, sizeof sub, "%s (length)", path);
            if (R->n_diff < MAX_SHOWN)
                printf("  DIFFERS %s: rerun %d, report %d\n", sub, cJSON_GetArraySize(new_), n);
            R->n_diff++;
            return;
        }
        for (i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            compare(R, sub, cJSON_GetArrayItem(old, i), cJSON_GetArrayItem(new_, i));
        }
    } else if (cJSON_IsNumber(old)) {
        double a = old->valuedouble, b = new_->valuedouble;
        if (a == b || fabs(a - b) <= 1e-12 * fabs(a)) R->n_same++;
        else differs(R, path, old, new_);
    } else if (cJSON_IsString(old)) {
        if (strcmp(old->valuestring, new_->valuestring) == 0) R->n_same++;
        else differs(R, path, old, new_);
    } else {
        R->n_same++; /* true, false, null: same type */
    }
}

/* Runs the child with stdout/stderr into files of R->tmp.  Returns its exit
 * status, or -1. */
static int run_child(struct rerun *R, const char *stdin_path)
{
    char *outp = tmp_path(R, "stdout"), *errp = tmp_path(R, "stderr");
    pid_t pid;
    int st = 0;
    if (!outp || !errp) return -1;
    R->outp = outp;
    R->errp = errp;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 || dup2(fi, 0) < 0)
            _exit(127);
        execv("/proc/self/exe", R->args);
        execvp("hallmark", R->args);
        _exit(127);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void show_args(const struct rerun *R)
{
    size_t i;
    printf("  rerun:");
    for (i = 0; i < R->n_args; i++) printf(" %s", R->hide[i] ? CLI_REDACTED : R->args[i]);
    printf("\n");
}

static int same_file(const char *a, const char *b)
{
    unsigned char *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    int same = cli_read_file(a, &x, &xl) == HM_OK && cli_read_file(b, &y, &yl) == HM_OK &&
               xl == yl && memcmp(x, y, xl) == 0;
    free(x);
    free(y);
    return same;
}

/* Removes the temporary directory and whatever the child left in it. */
static void remove_tmp(struct rerun *R)
{
    DIR *d = opendir(R->tmp);
    struct dirent *e;
    char p[384];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", R->tmp, e->d_name);
        (void)unlink(p);
    }
    if (d) closedir(d);
    (void)rmdir(R->tmp);
}

int cli_report_rerun(const void *report_json, const char *const *input_paths, size_t n_inputs,
                     const struct cli_rerun_secrets *sec, size_t *n_diff)
{
    const cJSON *rep = report_json;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(rep, "result");
    const cJSON *argv = cJSON_GetObjectItemCaseSensitive(res, "argv");
    struct rerun R;
    const char *stdin_path = NULL, *tmpdir = getenv("TMPDIR");
    unsigned char *out = NULL, *err = NULL;
    size_t outl = 0, errl = 0, i;
    cJSON *fresh = NULL;
    int status, rc = CLI_ERROR;
    memset(&R, 0, sizeof R);
    *n_diff = 0;
    if (!cJSON_IsArray(argv) || cJSON_GetArraySize(argv) < 1) {
        printf("  rerun: not possible (the result records no argv: it was printed by an older "
               "hallmark)\n");
        return CLI_ERROR;
    }
    R.inputs = cJSON_GetObjectItemCaseSensitive(rep, "inputs");
    R.in_path = input_paths;
    R.n_inputs = n_inputs;
    snprintf(R.tmp, sizeof R.tmp, "%s/hallmark-rerun-XXXXXX",
             tmpdir && *tmpdir && strlen(tmpdir) < 32 ? tmpdir : "/tmp");
    if (!mkdtemp(R.tmp)) {
        printf("  rerun: FAILED (cannot make a temporary directory: %s)\n", strerror(errno));
        return CLI_ERROR;
    }
    rc = build_args(&R, argv, sec, &stdin_path);
    if (rc == CLI_NOT_DETECTED) {
        printf("  rerun: not run: the command used a secret; give its key files with --key "
               "(in the recorded order), and an interop engine's key with --vllm-key, "
               "--sglang-key, --synthid-keys or --param NAME=VALUE\n");
        goto done;
    }
    if (rc != CLI_OK) goto done;
    rc = CLI_ERROR;
    show_args(&R);
    status = run_child(&R, stdin_path);
    if (R.errp) (void)cli_read_file(R.errp, &err, &errl);
    if (status != 0 && status != 1) {
        printf("  rerun: FAILED (exit status %d: %.*s)\n", status,
               (int)(errl > 300 ? 300 : errl), err ? (const char *)err : "");
        goto done;
    }
    if (!R.outp || cli_read_file(R.outp, &out, &outl) != HM_OK ||
        !(fresh = cJSON_ParseWithLength((const char *)out, outl))) {
        printf("  rerun: FAILED (its output is not JSON)\n");
        goto done;
    }
    compare(&R, "result", res, fresh);
    if (R.out_recorded && R.out_new) {
        if (same_file(R.out_recorded, R.out_new)) {
            printf("  ok results file: the rerun wrote %s byte for byte\n", R.out_recorded);
            R.n_same++;
        } else {
            printf("  DIFFERS results file: the rerun's output differs from %s\n",
                   R.out_recorded);
            R.n_diff++;
        }
    }
    if (R.n_diff == 0)
        printf("  ok rerun: all %zu recorded values reproduced (exit status %d)\n", R.n_same,
               status);
    *n_diff = R.n_diff;
    rc = CLI_OK;
done:
    cJSON_Delete(fresh);
    free(out);
    free(err);
    remove_tmp(&R);
    for (i = 0; i < R.n_owned; i++) free(R.owned[i]);
    return rc;
}
