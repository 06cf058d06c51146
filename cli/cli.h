/*
 * cli.h - shared declarations of the `hallmark` command-line tool.
 *
 * The CLI is a client of libhallmark's public API only (it is compiled with
 * -Iinclude and nothing else from the library's source tree).  Conventions,
 * after jq and curl: data on stdout, messages on stderr prefixed with
 * "hallmark: "; `--help` on stdout with status 0; misuse on stderr with
 * status 2; exit status 0 = success or "detected", 1 = "not detected",
 * 2 = error.  64-bit integers in JSON are strings.
 */
#ifndef HM_CLI_H
#define HM_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "hallmark.h"

enum cli_exit {
    CLI_OK = 0,           /* success, or "detected" */
    CLI_NOT_DETECTED = 1, /* the test ran and did not detect */
    CLI_ERROR = 2         /* error or misuse */
};

/* One subcommand: `run` gets argv with argv[0] = the subcommand name. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Subcommands (one file each: cli/cmd_<name>.c). */
int cli_key(int argc, char **argv);
int cli_tokenize(int argc, char **argv);
int cli_detokenize(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_detect(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_scan(int argc, char **argv);
int cli_radioactivity(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_custody(int argc, char **argv);

/* Appends the command argv[0..argc) and its exit status to the custody log
 * `log` (hash-chained; see hallmark/report.h), with the SHA-256 of every
 * argument that names an existing file (and of the files in an argument
 * that names a directory), never of a --passphrase-file.  Prints a message
 * and returns CLI_ERROR on failure.  (cli/cmd_custody.c) */
int cli_custody_append(const char *log, int argc, char **argv, int status);
int cli_trace(int argc, char **argv);
int cli_fingerprint(int argc, char **argv);
int cli_payload(int argc, char **argv);
int cli_attack(int argc, char **argv);

/* `hallmark bench <what>` targets, defined beside the feature they measure. */
int cli_bench_tokenize(int argc, char **argv);
int cli_bench_embed(int argc, char **argv);
int cli_bench_payload(int argc, char **argv);

/* Opens a tokenizer by name (cl100k_base, o200k_base, r50k_base, p50k_base,
 * qwen3, mistral, gpt2) or path; encoding (may be NULL) names the split
 * regex of a .tiktoken file given by path.  Prints a message and returns
 * CLI_ERROR on failure.  (cli/cmd_tokenize.c) */
struct hm_tokenizer;
int cli_open_tokenizer(const char *arg, const char *encoding, struct hm_tokenizer **tok);

/* Loads a key file, asking for the passphrase (--passphrase-file FILE,
 * $HALLMARK_PASSPHRASE or the TTY) only when the file is encrypted.  Prints
 * a message naming the problem and returns CLI_ERROR on failure.
 * (cli/keyload.c) */
struct hm_key;
int cli_load_key(const char *path, const char *passphrase_file, struct hm_key **out);
/* The same; a --passphrase-file may hold several passphrases, one per line,
 * each tried in turn (keys with different passphrases open in one command;
 * the file is read once per process, so "-" works for several keys).  The
 * passphrase that opened an encrypted key is copied to `used` (capacity
 * used_cap, NULL: not wanted; "" for an unencrypted key). */
int cli_load_key_pass(const char *path, const char *passphrase_file, struct hm_key **out,
                      char *used, size_t used_cap);
/* 1 when a list of passphrases is given: a --passphrase-file, or a
 * $HALLMARK_PASSPHRASE holding several lines. */
int cli_passphrase_list(const char *file);
/* Account lists (cli/accounts.c): one tenant name per line, blank lines
 * and '#' comments skipped.  cli_account_lines calls add(user, name, len)
 * for each; add returns HM_OK, HM_E_STATE (duplicate), HM_E_UTF8,
 * HM_E_RANGE (too long), HM_E_LIMIT (too many) or another status, and the
 * message names the file and line.  CLI_ERROR when the list is empty. */
#define CLI_MAX_ACCOUNTS 1000
int cli_account_lines(const char *path, int (*add)(void *user, const char *name, size_t len),
                      void *user);
/* The derived key of every account of a list under a master key. */
struct cli_accounts {
    size_t n, cap;
    struct hm_key **keys; /* keys[i]: account hm_key_tenant(keys[i]) */
    uint64_t epoch;
    char master_id[32];
};
int cli_accounts_load(const char *master_path, const char *passfile, const char *accounts_path,
                      uint64_t epoch, struct cli_accounts *a);
void cli_accounts_free(struct cli_accounts *a);
/* --epoch N of a command (cmd names it in the message): CLI_OK, or
 * CLI_ERROR after a usage message. */
int cli_parse_epoch(const char *cmd, const char *arg, unsigned long long *out);
/* When `key` is a master key: a note on stderr that text served under its
 * derived keys is invisible to it, with the --master/--accounts form. */
void cli_note_master_alone(const struct hm_key *key, const char *path, const char *cmd);
/* Prints the message for a key-file status (see hm_key_load); returns CLI_ERROR. */
int cli_key_file_error(const char *path, int status);

/* Messages on stderr, prefixed "hallmark: " and ended with a newline. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "hallmark: WHAT: <hm_strerror(status)>" and returns CLI_ERROR. */
int cli_fail(int status, const char *what);
/* Prints "hallmark: MESSAGE\nTry 'hallmark CMD --help'." and returns CLI_ERROR. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file ("-" = stdin) into a NUL-terminated malloc'd buffer.
 * Returns HM_OK, HM_E_IO (message printed by caller) or HM_E_NOMEM. */
int cli_read_file(const char *path, unsigned char **out, size_t *len);

/* Writes `len` bytes to `path` atomically (temp file + rename) with the
 * given permission bits; "-" writes to stdout.  Returns HM_OK or HM_E_IO. */
int cli_write_file(const char *path, const void *data, size_t len, unsigned mode);

/* Reads a passphrase: from `file` if non-NULL (first line, newline
 * stripped), else from $HALLMARK_PASSPHRASE, else from a no-echo prompt on
 * the controlling TTY (asked twice when `confirm`).  The result is written
 * NUL-terminated into `out` (capacity `cap`); wipe it with sodium_memzero
 * (hm_wipe) after use.  Returns HM_OK, HM_E_IO, HM_E_MISUSE (no source) or
 * HM_E_RANGE (too long / empty / mismatch), with a message printed. */
int cli_get_passphrase(const char *file, int confirm, char *out, size_t cap);

/* The SHA-256 of a tokenizer's file as hex (recorded as "tokenizer_sha256"
 * by every text-based result); "" when tok is NULL. */
void cli_tokenizer_sha256_hex(const hm_tokenizer *tok, char out[65]);

/* Prints a cJSON item (as void* to keep cJSON out of this header) to
 * stdout, pretty unless `compact`, followed by a newline. */
int cli_print_json(const void *cjson_item, int compact);

/* Adds "scheme", "scheme_version" and a "params" object to a cJSON object
 * from a description "kgw kgw-v1 gamma=0.25,delta=2": parameter values as
 * numbers where they read as short numbers (`numbers`, detect's JSON) or
 * all as strings (scan's and radioactivity's, as they have always been). */
void cli_add_description(void *cjson_obj, const char *desc, int numbers);
/* One JSON type per field (docs/formats.md, "Field types"): a parameter
 * value as a number when it is a plain finite decimal number, else a
 * string; a p-value `name` as a number while it is a normal double (else
 * null: log10_p is authoritative), with `name`_text its printed form;
 * cli_json_add_pvalue adds PREFIXlog10_p, PREFIXp and PREFIXp_text. */
void cli_json_add_param(void *cjson_obj, const char *name, const char *value);
void cli_json_p(void *cjson_obj, const char *name, double ln_p);
void cli_json_add_pvalue(void *cjson_obj, const char *prefix, double ln_p);
/* Writes a cJSON item as one line (atomically, mode 0644) to path. */
int cli_write_json_line(const char *path, const void *cjson_item);

/* Runs the subcommand argv[1] of `cmd` from subs[0..n): usage(stderr) and
 * CLI_ERROR without one, usage(stdout) for --help, misuse naming the choices
 * for an unknown one. */
int cli_subcommand(const char *cmd, int argc, char **argv, const struct cli_command *subs,
                   size_t n, void (*usage)(FILE *));

/* Parses token ids separated by white space (and commas when `commas`).
 * HM_OK: *out (malloc'd; the caller frees) holds *count ids.  HM_E_FORMAT:
 * *count is the byte offset of the first bad token.  HM_E_NOMEM. */
int cli_parse_ids(const unsigned char *s, size_t n, int commas, uint32_t **out, size_t *count);

/* The invocation: main() records the subcommand's argv (argv[0] = the
 * subcommand name, without --custody-log) before any getopt permutes it.
 * cli_json_add_argv() adds it to a result object as "argv" (an array of
 * strings), so that `hallmark report verify --key` can rerun the command
 * (docs/evidence.md, "Recomputation"). */
void cli_set_invocation(int argc, char **argv);
void cli_json_add_argv(void *cjson_object);
/* The format of every result printed with --json (with its "argv", by
 * cli_json_add_argv): docs/result.schema.json, docs/formats.md. */
#define CLI_RESULT_FORMAT HM_RESULT_FORMAT
/* Secret values are recorded as CLI_REDACTED: --vllm-key, --sglang-key and
 * the scheme parameters key=, key_b=, keys= (cli_secret_param). */
#define CLI_REDACTED "<redacted>"
/* 1 when arg ("--NAME" or "--NAME=VALUE") is an option that getopt_long
 * reads as --name: the full name or any prefix of it (redaction by meaning). */
int cli_option_is(const char *arg, const char *name);
int cli_secret_param(const char *name_eq_value);

/* An output written beside its destination and renamed over it only when
 * complete, so an interrupted or failed run leaves no partial file and a
 * planted link at the temporary name is never followed: creates
 * "DEST.tmpXXXXXX" with mkstemp (O_EXCL) in DEST's directory, its name in
 * tmp (cap bytes); NULL with errno on failure.  cli_commit_beside flushes,
 * syncs and closes f and renames tmp to dest (HM_OK), or removes tmp
 * (HM_E_IO); either way tmp[0] becomes 0.  A caller that gives up closes f
 * and unlinks tmp when tmp[0] != 0. */
FILE *cli_create_beside(const char *dest, char *tmp, size_t cap);
int cli_commit_beside(FILE *f, char *tmp, const char *dest);

/* cli/interop_cli.c: a SynthID key file (a JSON array) as the parameter
 * "keys=[...]" in out (CLI_OK, or CLI_ERROR with a message); and the public
 * id of an engine key parameter: "SCHEME:" + 16 hex of BLAKE2b-64. */
int cli_synthid_param(const char *file, char *out, size_t cap);
/* The message for a scheme or parameter that hm_embedder_new or
 * hm_detector_new refused with status (bad: the index of the parameter, or
 * -1), naming what is valid; returns CLI_ERROR. */
int cli_scheme_error(const char *scheme, const char *const *params, int bad, int status);
/* Room for an engine key parameter: "keys=" and up to 64 SynthID keys of
 * 20 digits and a sign each, with separators (docs/interop.md: 1-64 keys). */
#define CLI_INTEROP_PARAM_MAX 2048

/* cli/evidence.c: the "tokens" array (a cJSON array, caller frees) of n
 * scored tokens: det[i] with offsets from t (when t->offsets is set). */
void *cli_tokens_json(const hm_token_detail *det, const hm_tok_output *t, size_t n);
void cli_interop_key_id(const char *scheme, const char *param, char out[40]);
/* arg itself, or its redacted form written into buf (prev: the argument
 * before it, or NULL). */
const char *cli_redact_arg(const char *prev, const char *arg, char *buf, size_t cap);

/* report verify (cli/recompute.c).  The auditor's secrets and files: */
struct cli_verify_secrets {
    const char *const *keyf; /* Hallmark key files, for --key / --master in order */
    size_t n_keys;
    const char *pass;        /* --passphrase-file, or NULL */
    const char *vllm_key, *sglang_key, *synthid_keys; /* interop secrets, or NULL */
    const char *const *params; /* "name=value" for redacted parameter values */
    size_t n_params;
    const char *tokenizer_file; /* the auditor's tokenizer file, or NULL */
};
/* Recomputes the result of a report (a cJSON object) in this process, from
 * typed fields of the result only, on the auditor's files in_path[k] for
 * recorded input k (matched by SHA-256 and read by the caller), with the
 * auditor's secrets; prints one line per finding (escaped) and sets
 * *n_diff.  Spawns no process, opens no path named by the report, parses
 * no option from it (docs/evidence.md).  Returns CLI_OK when it ran
 * (compare *n_diff), CLI_NOT_DETECTED when a secret was not given (nothing
 * ran), CLI_ERROR when it could not run (the line printed says why). */
int cli_recompute(const void *report_cjson, const char *const *in_path, size_t n_inputs,
                  const struct cli_verify_secrets *sec, size_t *n_diff);
/* s as printable text for a terminal: control characters, backslashes,
 * C1 controls, bidi and other invisible format characters and invalid
 * UTF-8 as \xNN / \uNNNN escapes; at most max_in input bytes, then "...";
 * written into buf (cap >= 8).  Returns buf. */
const char *cli_escape(const char *s, size_t max_in, char *buf, size_t cap);
/* Reads a regular file (refusing devices, FIFOs, sockets, directories)
 * of at most max bytes, NUL-terminated.  On failure writes the reason
 * into why and returns CLI_ERROR. */
int cli_read_regular(const char *path, unsigned long long max, unsigned char **out, size_t *len,
                     char *why, size_t why_cap);

/* cli/canon_cli.c: the canonical-text step (hallmark/canon.h) of scan,
 * radioactivity, trace and payload decode, which test the canonical text
 * only (detect tests both, cli/cmd_detect.c).  open: `shared` is borrowed
 * (threads share one hm_canon; each needs its own struct cli_canon), NULL
 * opens one; enabled 0 (--no-canonical) makes encode plain tokenizing.
 * encode appends ids (offsets mapped to the input with HM_TOK_OFFSETS) and
 * totals the changes; returns an hm_status. */
struct cli_canon {
    int enabled;
    const hm_canon *canon;
    hm_canon *own;
    hm_canon_output out;
    hm_canon_counts total;
    unsigned long long docs, docs_changed;
};
int cli_canon_open(struct cli_canon *cc, const hm_canon *shared, int enabled);
void cli_canon_close(struct cli_canon *cc);
void cli_canon_merge(struct cli_canon *into, const struct cli_canon *from);
int cli_canon_encode(struct cli_canon *cc, const hm_tokenizer *tok, hm_tok_scratch *sc,
                     const char *text, size_t len, unsigned flags, hm_tok_output *out);
/* cJSON objects (caller frees): the counts of one document, and a command's
 * totals ({"enabled": false} when off). */
void *cli_canon_counts_json(const hm_canon_counts *n, int changed);
void *cli_canon_json(const struct cli_canon *cc);
/* One line on stderr when something changed. */
void cli_canon_print(const struct cli_canon *cc);

/* A progress bar on stderr, shown only when stderr is a TTY. */
struct cli_progress {
    int enabled;
    double start;
    double last_draw;
    const char *label;
};
void cli_progress_start(struct cli_progress *p, const char *label);
/* done/total in bytes (total 0 = unknown); items = documents so far. */
void cli_progress_update(struct cli_progress *p, unsigned long long done,
                         unsigned long long total, unsigned long long items);
void cli_progress_end(struct cli_progress *p);

/* hm_tokenizer_encode, except that with eos >= 0 and without HM_TOK_SPECIAL
 * the first occurrence of the EOS token's text becomes the EOS id (when it
 * is a special token the text would not otherwise produce); cli/eos_text.c.
 * eos < 0: plain encode. */
int cli_encode_text(const hm_tokenizer *tok, hm_tok_scratch *scratch, const unsigned char *text,
                    size_t len, unsigned flags, long long eos, hm_tok_output *out);

/* 1 if s[0..n) is valid UTF-8, else 0 with the offset of the first bad
 * byte in *bad (may be NULL). */
int cli_utf8_valid(const unsigned char *s, size_t n, size_t *bad);
/* A NUL-terminated copy of s[0..n) with each invalid byte replaced by
 * U+FFFD (for JSON strings); malloc'd, NULL when out of memory. */
char *cli_utf8_sanitize(const unsigned char *s, size_t n);

/* Seconds on a monotonic clock. */
double cli_now(void);

#endif /* HM_CLI_H */
