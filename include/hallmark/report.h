/*
 * hallmark/report.h - evidence reports, their signatures, RFC 3161
 * timestamps and a hash-chained custody log.
 *
 * An evidence report is a canonical JSON document (report.json) built from
 * the JSON result of a test (`hallmark detect --json`, and the JSON of
 * scan / radioactivity / trace, recorded generically) plus metadata: the
 * tool and its build, the exact command, the SHA-256 of every input, the
 * scheme, parameters, PRF and tokenizer, the key id and (when the key is
 * given) its commitment, every test with its statistic, n, exact p-value
 * and assumptions, the multiple-testing corrections, the negative controls,
 * a UTC timestamp and the operator's case metadata.  The layout is fixed
 * (docs/formats.md, "Report files"), so the same inputs give the same bytes
 * apart from the timestamp; the signature covers those exact bytes.
 *
 * report.json.sig is a small JSON object: the algorithm ("ed25519"), the
 * signer's key id and public key, the SHA-256 of report.json and the
 * detached Ed25519 signature (hex), made through hm_key_sign().
 *
 * report.html is rendered from report.json and the scored text: one
 * self-contained page (no scripts, no network) for a non-expert reader.
 *
 * Ownership: every char / uint8_t buffer returned through `out` belongs to
 * the caller, who frees it with hm_report_buffer_free().  Inputs are never
 * retained.  Thread-safety: every call is reentrant; no call keeps state
 * between calls (the custody calls lock the log file while they write).
 * Secrets: a watermark key passed here is used to compute its commitment and
 * to rerun tests; it is never written anywhere.
 */
#ifndef HALLMARK_REPORT_H
#define HALLMARK_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_key hm_key;

/* The format string recorded in every report ("hallmark-report-v1"). */
#define HM_REPORT_FORMAT "hallmark-report-v1"
/* Negative controls computed by hm_report_build when token ids are given. */
#define HM_REPORT_CONTROLS 20U

/* One input file of a report: its name as given, its role ("input" for a
 * scored text, or any short word) and its bytes (hashed, not kept). */
typedef struct hm_report_input {
    const char *path;
    const char *role;
    const uint8_t *data;
    size_t len;
} hm_report_input;

/* Metadata for hm_report_build.  Zero it, set struct_size = sizeof, then
 * fill what you have; NULL / 0 fields are recorded as absent. */
typedef struct hm_report_meta {
    size_t struct_size;
    const char *const *argv;    /* the exact command, argv[0..argc) */
    size_t argc;
    const char *case_json;      /* the operator's case metadata (a JSON object) */
    size_t case_len;
    const hm_report_input *inputs;
    size_t n_inputs;
    const hm_key *signer;       /* signing or public key: its id is recorded (required) */
    const hm_key *watermark_key; /* optional: its commitment is recorded (it must
                                    have the result's key id) */
    const uint32_t *ids;        /* optional: the scored token ids (enables the
                                   negative controls of a detect result) */
    size_t n_ids;
    const uint32_t *prompt;     /* optional prompt ids (contexts only) */
    size_t n_prompt;
    const char *ids_source;     /* how the ids were obtained: "tokens" (the
                                   result's per-token ids) or "input" (the first
                                   input tokenized with the result's tokenizer) */
    uint64_t created;           /* unix seconds; 0 = now */
    const char *token_evidence; /* optional: a JSON object {"source", "test",
                                   "null_param", "tokens": [...]} of per-token
                                   evidence for report.html (recorded as
                                   report.json "token_evidence") */
    size_t token_evidence_len;
} hm_report_meta;

/* Computes SHA-256 of data[0..len) as 64 lowercase hex characters and a
 * NUL.  Returns HM_OK, HM_E_MISUSE, HM_E_CRYPTO.  Thread-safe.  Since 0.1.0. */
HM_API int hm_report_sha256_hex(const uint8_t *data, size_t len, char out[65]);

/* Builds report.json from `result` (`result_len` bytes of JSON printed by
 * a hallmark command with --json) and `meta`.  Detect results are
 * interpreted (tests, corrections, span; with meta->ids, HM_REPORT_CONTROLS
 * negative controls under public control keys); other result types are
 * recorded whole, with every object that carries a p-value listed as a
 * test.  On HM_OK *out is a NUL-terminated buffer of *outlen bytes.
 * Returns HM_OK, HM_E_MISUSE (NULL arguments, no signer), HM_E_FORMAT
 * (result or case metadata not a JSON object), HM_E_STATE (watermark key
 * whose id differs from the result's), HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_build(const char *result, size_t result_len,
                                          const hm_report_meta *meta, char **out,
                                          size_t *outlen);

/* Signs report bytes with a signing key: writes the signature file
 * (report.json.sig) into *out.  Returns HM_OK, HM_E_MISUSE (NULL, or not a
 * signing key), HM_E_CRYPTO, HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_sign(const hm_key *signer, const uint8_t *report, size_t len,
                                         char **out, size_t *outlen);

/* Checks a signature file against the report bytes and a public (or
 * signing) key.  Returns HM_OK (valid), HM_E_SIGNATURE (bad signature,
 * another signer, or a hash mismatch), HM_E_FORMAT (not a signature file),
 * HM_E_MISUSE.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_verify_signature(const hm_key *pub, const uint8_t *report,
                                                     size_t len, const char *sig,
                                                     size_t siglen);

/* Recomputes a report: the negative controls (no key needed) and, for each
 * watermark key given, every test of that key id (statistic, n exactly;
 * ln p to a relative 1e-12), from the same token ids (their SHA-256 must
 * match the report's).  Writes a human-readable log (one line per check,
 * "ok ..." / "DIFFERS ..." / "skipped ...") into *log and the number of
 * differences into *n_diff.  Returns HM_OK (the log says what matched),
 * HM_E_FORMAT (not a report), HM_E_MISUSE, HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_recompute(const char *report, size_t len,
                                              const hm_key *const *keys, size_t n_keys,
                                              const uint32_t *ids, size_t n_ids,
                                              const uint32_t *prompt, size_t n_prompt,
                                              char **log, size_t *n_diff);

/* Renders report.html from report.json and the scored text (may be NULL:
 * tokens are then shown as ids).  Deterministic: the same arguments give
 * the same bytes.  Returns HM_OK, HM_E_FORMAT (not a report), HM_E_MISUSE,
 * HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_html(const char *report, size_t len, const uint8_t *text,
                                         size_t text_len, char **out, size_t *outlen);

/* "about 1 in 10^30" style plain words for a p-value (NUL-terminated, at
 * most cap bytes).  Returns HM_OK, HM_E_MISUSE, HM_E_LIMIT (truncated).
 * Since 0.1.0. */
HM_API int hm_report_p_words(double ln_p, char *buf, size_t cap);

/* Frees a buffer returned by this header.  NULL does nothing. */
HM_API void hm_report_buffer_free(void *buf);

/* --- RFC 3161 timestamps (OpenSSL TS) --------------------------------- */

/* Makes a DER timestamp query for data[0..len): SHA-256 imprint, a random
 * 64-bit nonce, certReq true.  Returns HM_OK, HM_E_MISUSE, HM_E_CRYPTO,
 * HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_ts_query(const uint8_t *data, size_t len, uint8_t **out,
                                             size_t *outlen);

/* Verifies a DER timestamp response (or a bare token) for data[0..len)
 * against the PEM CA certificate(s) ca_pem: the TSA's signature and
 * certificate chain, the imprint of the data, and, when `query` is given,
 * the nonce and policy of that query.  Writes the token's genTime
 * ("YYYYMMDDhhmmssZ" as in the token) into gen_time (may be NULL).
 * Returns HM_OK, HM_E_SIGNATURE (does not verify), HM_E_FORMAT (not a
 * response), HM_E_MISUSE, HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_report_ts_verify(const uint8_t *tsr, size_t tsr_len,
                                              const uint8_t *query, size_t query_len,
                                              const uint8_t *data, size_t len,
                                              const uint8_t *ca_pem, size_t ca_len,
                                              char *gen_time, size_t cap);

/* --- custody log -------------------------------------------------------- */

/* Appends an entry to the custody log at `path` (created if missing):
 * sequence number, UTC time, the command argv[0..argc), its exit status,
 * the SHA-256 of each of files[0..n_files) as it is now (missing files are
 * recorded as missing), and the previous entry's hash; the entry's hash is
 * SHA-256 over "hallmark-custody-v1\n" and the entry's bytes before it
 * (docs/formats.md).  The file is locked while the entry is written.  The
 * new entry's hash goes into hash_out (may be NULL).  Returns HM_OK,
 * HM_E_MISUSE, HM_E_IO, HM_E_CORRUPT (the log's last line is not an entry),
 * HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_custody_append(const char *path, const char *const *argv,
                                            size_t argc, int status,
                                            const char *const *files, size_t n_files,
                                            char hash_out[65]);

/* Checks a custody log's chain: every line an entry, numbered 1, 2, ...,
 * each hash correct and each prev equal to the previous hash.  Writes the
 * number of entries, the first bad line (0 if none) and the last hash (the
 * tip, to publish or timestamp; may be NULL).  Removing entries from the
 * end cannot be seen without a published tip.  Returns HM_OK, HM_E_CORRUPT
 * (broken chain: *bad_line says where), HM_E_IO, HM_E_MISUSE, HM_E_NOMEM.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_custody_verify(const char *path, uint64_t *n_entries,
                                            uint64_t *bad_line, char tip[65]);

/* Appends a signed checkpoint to the custody log: an entry whose
 * "checkpoint" member holds the number of entries before it, the tip (the
 * hash of the last of them), the signer's Ed25519 public key and its
 * signature over "hallmark-custody-checkpoint-v1\n" N "\n" TIP "\n".  A
 * reader with the public key can then tell that no entry up to N was
 * edited, inserted, removed or reordered, even by someone who recomputed
 * the hash chain (docs/evidence.md).  signer must be an HM_KEY_SIGNING
 * key.  Writes N to *n_covered and the checkpoint entry's hash to hash_out
 * (either may be NULL).  Returns HM_OK, HM_E_MISUSE, HM_E_IO,
 * HM_E_CORRUPT (broken chain), HM_E_TRUNCATED (an incomplete last line:
 * hm_custody_repair first), HM_E_NOMEM.  Since 0.2.0. */
HM_API HM_WARN_UNUSED int hm_custody_checkpoint(const char *path, const hm_key *signer,
                                                uint64_t *n_covered, char hash_out[65]);

/* Repairs a custody log whose last line is incomplete (an append cut short
 * by a crash; a full disk no longer causes one, appends are all or
 * nothing): the incomplete bytes are moved to a new file
 * "PATH.damaged-YYYYMMDDTHHMMSSZ" (its name written to evidence_path, cap
 * bytes), and an entry ["custody", "repair"] is appended that records that
 * file's SHA-256 and the number of bytes removed (*n_removed, may be NULL).
 * A log whose chain is broken anywhere else is never changed
 * (HM_E_CORRUPT): that is evidence of tampering or damage to keep.
 * Returns HM_OK (also when there was nothing to repair: *n_removed 0),
 * HM_E_CORRUPT, HM_E_IO, HM_E_RANGE (cap too small), HM_E_MISUSE,
 * HM_E_NOMEM.  Since 0.2.0. */
HM_API HM_WARN_UNUSED int hm_custody_repair(const char *path, char *evidence_path, size_t cap,
                                            uint64_t *n_removed);

/* What hm_custody_audit found.  Since 0.2.0. */
typedef struct hm_custody_status {
    uint64_t n_entries;              /* entries whose chain is intact */
    uint64_t bad_line;               /* first line that does not chain; 0 if none */
    int incomplete_tail;             /* that line is an incomplete last line (repairable) */
    uint64_t n_checkpoints_valid;    /* checkpoints whose signature verified under pub */
    uint64_t n_checkpoints_unchecked; /* well-formed checkpoints, no pub given */
    uint64_t n_checkpoints_invalid;  /* bad signature, other key, or wrong count or tip */
    uint64_t attested;               /* entries covered by the last good checkpoint */
    char tip[65];                    /* hash of the last intact entry */
    char last_checkpoint_tip[65];    /* tip covered by the last good checkpoint */
} hm_custody_status;

/* hm_custody_verify plus the signed checkpoints: every checkpoint is
 * checked against pub (an HM_KEY_PUBLIC or HM_KEY_SIGNING key; NULL:
 * checkpoints are counted as unchecked).  Returns HM_OK, HM_E_CORRUPT
 * (broken chain: st says where), HM_E_SIGNATURE (a checkpoint does not
 * verify under pub), HM_E_IO, HM_E_MISUSE, HM_E_NOMEM.  Since 0.2.0. */
HM_API HM_WARN_UNUSED int hm_custody_audit(const char *path, const hm_key *pub,
                                           hm_custody_status *st);

HM_END_DECLS

#endif /* HALLMARK_REPORT_H */
