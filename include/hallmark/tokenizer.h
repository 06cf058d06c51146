/*
 * hallmark/tokenizer.h - exact byte-pair-encoding tokenizers.
 *
 * Detection starts from text, so the verifier must turn text into exactly the
 * token ids the serving model produced.  This module loads
 *
 *   - tiktoken rank files (`*.tiktoken`: "base64(token) rank" per line) for
 *     the encodings cl100k_base, o200k_base, r50k_base and p50k_base, whose
 *     split regex and special tokens are built in and chosen by name;
 *   - Hugging Face `tokenizer.json` files with a BPE model: byte-level BPE
 *     (GPT-2; Qwen2/Qwen3: NFC normalizer, Split regex, ByteLevel) and
 *     SentencePiece-style BPE with byte fallback (Mistral-7B-v0.1: Prepend
 *     and Replace "\u2581" normalizers).  Any other component is refused with
 *     HM_E_UNSUPPORTED and a message naming it.
 *
 * A loaded hm_tokenizer is immutable: any number of threads may encode and
 * decode with it at once.  Encoding uses an optional per-thread scratch
 * object (hm_tok_scratch) so that the hot path allocates nothing beyond
 * growing the caller-visible output arrays.  The library reads no
 * environment variables and has no global state; name-to-file resolution is
 * the CLI's business.
 *
 * Invalid UTF-8: text is split into maximal valid UTF-8 runs and maximal
 * invalid-byte runs.  Valid runs are tokenized normally; each invalid run is
 * one piece whose raw bytes are byte-pair encoded without the split regex
 * (tiktoken, byte-level BPE) or mapped to <0xXX> byte-fallback tokens
 * (SentencePiece BPE).  So every input byte is encoded and
 * decode(encode(x)) == x for every x (SentencePiece: see hm_tokenizer_decode).
 *
 * Offsets are byte offsets [start, end) into the ORIGINAL input of the call.
 * A token that covers only part of a UTF-8 character has offsets covering
 * exactly its bytes.  Where a normalizer changed the bytes (NFC, the
 * SentencePiece "\u2581" rules), a token inside a changed span gets the whole
 * original span it came from; an inserted prefix "\u2581" is an empty span at
 * the segment start.
 */
#ifndef HALLMARK_TOKENIZER_H
#define HALLMARK_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

HM_BEGIN_DECLS

/* A loaded tokenizer: immutable, shareable across threads. */
typedef struct hm_tokenizer hm_tokenizer;
/* Per-thread working memory for hm_tokenizer_encode (not shareable). */
typedef struct hm_tok_scratch hm_tok_scratch;

/* A token's byte range [start, end) in the original input. */
typedef struct hm_tok_span {
    uint64_t start;
    uint64_t end;
} hm_tok_span;

/* Caller-visible output of hm_tokenizer_encode.  Zero-initialize it (or call
 * hm_tok_output_init); encode APPENDS to it, growing the arrays with
 * realloc as needed; set `len = 0` to reuse it; hm_tok_output_clear frees
 * the arrays.  `offsets` is filled only with HM_TOK_OFFSETS (then it has
 * `len` entries parallel to `ids`). */
typedef struct hm_tok_output {
    uint32_t *ids;
    hm_tok_span *offsets;
    size_t len;
    size_t cap;
} hm_tok_output;

/* Encode flags. */
#define HM_TOK_SPECIAL 1u /* recognize special tokens in the input text */
#define HM_TOK_OFFSETS 2u /* fill out->offsets */

/* Loads a tokenizer from the file at `path`.  The format is detected from
 * the content: a JSON object is a Hugging Face tokenizer.json, anything else
 * is read as a tiktoken rank file.  For a rank file, `encoding` names the
 * built-in split regex and special tokens ("cl100k_base", "o200k_base",
 * "r50k_base", "p50k_base"); NULL identifies the encoding by the file's
 * SHA-256 (the published files) and fails with HM_E_NOTFOUND for any other
 * file.  For tokenizer.json, `encoding` is only a display name (NULL: the
 * file's base name).  On failure, if `err` is non-NULL a NUL-terminated
 * English message (naming e.g. the unsupported component or the bad line) is
 * written into err[0..errcap).
 * Returns HM_OK, HM_E_MISUSE, HM_E_IO, HM_E_NOMEM, HM_E_FORMAT,
 * HM_E_UNSUPPORTED, HM_E_NOTFOUND or HM_E_LIMIT (file over 1 GiB).
 * Ownership: *out is the caller's; free it with hm_tokenizer_free.
 * Thread-safety: safe to call concurrently.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_load(hm_tokenizer **out, const char *path,
                                            const char *encoding, char *err, size_t errcap);

/* As hm_tokenizer_load, from `len` bytes in memory (copied as needed; the
 * caller keeps `data`).  `encoding` as above (also the display name).
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_load_memory(hm_tokenizer **out, const void *data,
                                                   size_t len, const char *encoding,
                                                   char *err, size_t errcap);

/* Frees a tokenizer.  NULL is a no-op.  The caller must make sure no other
 * thread still uses it.  Since 0.1.0. */
HM_API void hm_tokenizer_free(hm_tokenizer *tok);

/* Allocates per-thread scratch for `tok` (valid for any tokenizer, sized on
 * demand).  Returns HM_OK, HM_E_MISUSE or HM_E_NOMEM.  Free with
 * hm_tok_scratch_free.  Not thread-safe to share; one per thread.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tok_scratch_new(hm_tok_scratch **out);
/* Frees scratch; NULL is a no-op.  Not while another call uses it.
 * Since 0.1.0. */
HM_API void hm_tok_scratch_free(hm_tok_scratch *s);

/* Initializes (zeroes) / frees the arrays of an output object; the struct
 * itself is the caller's.  hm_tok_output_clear(NULL) is a no-op.  No return
 * value.  Not thread-safe on the same object.  Since 0.1.0. */
HM_API void hm_tok_output_init(hm_tok_output *out);
HM_API void hm_tok_output_clear(hm_tok_output *out);

/* Encodes `len` bytes of `text` (any bytes; see the UTF-8 rule above) and
 * appends the ids (and offsets with HM_TOK_OFFSETS) to `out`.  `flags` is a
 * combination of HM_TOK_*.  Without HM_TOK_SPECIAL, special tokens in the
 * text are encoded as ordinary text (tiktoken's encode_ordinary); with it,
 * they become their ids.  Hugging Face added tokens that are not marked
 * special (e.g. Qwen3's <think>) are always recognized, as Hugging Face does.
 * No BOS/EOS is added.  `scratch` may be NULL (a temporary one is then
 * allocated for this call).  Offsets are relative to `text`.  To encode a
 * stream in chunks exactly, cut it just before an ASCII letter that follows
 * a "\n" that follows a non-whitespace byte (a pre-split boundary for every
 * supported encoding except SentencePiece BPE, which has no pre-splitting).
 * Returns HM_OK, HM_E_MISUSE, HM_E_NOMEM, HM_E_LIMIT (text of 4 GiB or
 * more; over 1 GiB for tokenizer.json files with a normalizer) or
 * HM_E_INTERNAL (regex engine failure).  On error `out->len` is unchanged.
 * Thread-safety: `tok` may be shared; `scratch` and `out` must not be.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_encode(const hm_tokenizer *tok, hm_tok_scratch *scratch,
                                              const void *text, size_t len, unsigned flags,
                                              hm_tok_output *out);

/* Decodes `n` ids to bytes into buf[0..cap).  *out_len receives the number of
 * bytes the full result needs; if that exceeds `cap` (buf may be NULL with
 * cap 0) nothing useful is written and HM_E_RANGE is returned: call again
 * with a larger buffer.  For SentencePiece BPE the decoder drops one leading
 * space of the result (the one the "\u2581" prefix rule added), as Hugging
 * Face's decoder does.  Returns HM_OK, HM_E_MISUSE, HM_E_RANGE or
 * HM_E_NOTFOUND (an id outside the vocabulary).  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_decode(const hm_tokenizer *tok, const uint32_t *ids,
                                              size_t n, unsigned char *buf, size_t cap,
                                              size_t *out_len);

/* The bytes of token `id` (pointer into the tokenizer, valid until it is
 * freed).  Byte-fallback tokens give their byte; "\u2581" is given as a
 * space.  Returns HM_OK, HM_E_MISUSE or HM_E_NOTFOUND.  Thread-safe.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_token_bytes(const hm_tokenizer *tok, uint32_t id,
                                                   const unsigned char **bytes, size_t *len);

/* One more than the largest token id (specials included; ids below it may
 * be unused, e.g. cl100k_base 100261..100275).  0 for NULL.  Thread-safe.
 * Since 0.1.0. */
HM_API uint32_t hm_tokenizer_vocab_size(const hm_tokenizer *tok);

/* The id of the special (or added) token whose text is `name`, e.g.
 * "<|endoftext|>" or "</s>" (the EOS lookup).  Returns HM_OK, HM_E_MISUSE
 * or HM_E_NOTFOUND.  Thread-safe.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_special_id(const hm_tokenizer *tok, const char *name,
                                                  uint32_t *id);

/* The tokenizer's display name ("cl100k_base", the name given at load, or
 * the file's base name).  Never NULL ("" for NULL); owned by the tokenizer.
 * Thread-safe.  Since 0.1.0. */
HM_API const char *hm_tokenizer_name(const hm_tokenizer *tok);

/* Copies the SHA-256 of the bytes the tokenizer was loaded from (reports
 * record it) into out.  Returns HM_OK or HM_E_MISUSE.  Thread-safe.
 * Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_tokenizer_sha256(const hm_tokenizer *tok, unsigned char out[32]);

/* A static short name of the format: "tiktoken", "hf-bpe-bytelevel" or
 * "hf-bpe-sentencepiece" ("" for NULL).  Thread-safe.  Since 0.1.0. */
HM_API const char *hm_tokenizer_kind(const hm_tokenizer *tok);

HM_END_DECLS

#endif /* HALLMARK_TOKENIZER_H */
