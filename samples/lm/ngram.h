/*
 * ngram.h - the sample language model: a token-level n-gram model with
 * interpolated modified Kneser-Ney smoothing, and a plain sampler.
 *
 * This is a sample, not part of libhallmark: it stands in for a customer's
 * LLM in the demo, the benchmarks and the tests.  It gives full-vocabulary
 * next-token log-probabilities over token ids 0..V-1 (e.g. cl100k_base,
 * V = 100,277), trains in seconds on a few million token ids, and stores
 * itself in a small versioned binary file (docs/sample-model.md).
 *
 * Conventions (those of libhallmark, with the prefix slm_):
 *  - Calls that can fail return an hm_status code (include/hallmark/error.h):
 *    HM_OK = 0 on success.  No global error state.
 *  - Objects are opaque; slm_X_new / slm_train / slm_load pair with
 *    slm_X_free / slm_free, and freeing NULL does nothing.
 *  - A trained or loaded model is immutable: every query on one model may
 *    run from any number of threads at once.  A sampler holds scratch space
 *    and an RNG is a state: use one per thread.
 *  - No query allocates memory: scratch is allocated when an object is
 *    created, or passed in by the caller.
 *
 * Documents and the end-of-text token.  Training input is a list of
 * documents of token ids.  Each document is modelled as
 *     EOS d[0] d[1] ... d[m-1] EOS
 * where the first EOS marks the start of the document (it is context only,
 * never predicted) and the last one is predicted like any token, so a model
 * learns where documents end.  An EOS id inside the input also separates
 * documents.  To ask for the start of a document, put EOS as the first
 * context token; an empty context gives the unigram distribution.
 *
 * All calls: Since 0.1.0.
 */
#ifndef SLM_NGRAM_H
#define SLM_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "hallmark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cl100k_base: vocabulary size including the special tokens, and the id of
 * <|endoftext|>. */
#define SLM_CL100K_VOCAB 100277u
#define SLM_CL100K_EOS 100257u
/* Highest supported order, and the default for token models. */
#define SLM_MAX_ORDER 6u
#define SLM_DEFAULT_ORDER 4u
/* Model file format version written by slm_save (docs/sample-model.md). */
#define SLM_FILE_VERSION 1u

typedef struct slm_model slm_model;

/* ---- training --------------------------------------------------------- */

/* Trains an interpolated modified Kneser-Ney model (Chen & Goodman 1998).
 *
 * ids, n_ids:  the training token ids, each < vocab_size.
 * doc_starts:  NULL (the whole input is one document, split at EOS ids), or
 *              n_docs offsets into ids, non-decreasing and <= n_ids: document
 *              i is ids[doc_starts[i] .. doc_starts[i+1]) (the last one runs
 *              to n_ids; tokens before doc_starts[0], if any, form a document
 *              too).  Empty documents are skipped.
 * order:       1..SLM_MAX_ORDER.
 * vocab_size:  V >= 2; every id in 0..V-1 gets a probability.
 * eos_id:      the end-of-text id (< V), e.g. SLM_CL100K_EOS.
 * out:         receives the new model; free it with slm_free.
 *
 * Peak memory is about 20 bytes per training token per order.
 * Returns HM_OK; HM_E_MISUSE (NULL pointers, bad order/V/eos, offsets out of
 * order); HM_E_RANGE (an id >= V); HM_E_LIMIT (2^31 or more tokens
 * plus documents);
 * HM_E_NOMEM.  On error *out is NULL.  Thread-safe (no shared state). */
int slm_train(const uint32_t *ids, size_t n_ids, const size_t *doc_starts,
              size_t n_docs, unsigned order, uint32_t vocab_size,
              uint32_t eos_id, slm_model **out);

/* ---- files ------------------------------------------------------------ */

/* Writes the model to `path` (created or replaced, via a temporary file and
 * rename).  Returns HM_OK, HM_E_MISUSE or HM_E_IO (errno set). */
int slm_save(const slm_model *model, const char *path);

/* The serialized model: a pointer to the exact bytes slm_save writes, owned
 * by the model (valid until slm_free).  Returns HM_OK, HM_E_MISUSE, or
 * HM_E_UNSUPPORTED on big-endian hosts (which keep the tables in host order
 * after loading; slm_save fails the same way there). */
int slm_file_image(const slm_model *model, const unsigned char **data,
                   size_t *len);

/* Loads a model file written by slm_save.  Checks the magic, the version,
 * the BLAKE2b-256 checksum over the whole file and the structure of every
 * table before use.  Returns HM_OK; HM_E_IO (cannot open/read, errno set);
 * HM_E_FORMAT (not a model file, or inconsistent tables); HM_E_VERSION;
 * HM_E_TRUNCATED; HM_E_CORRUPT (checksum mismatch); HM_E_NOMEM; HM_E_MISUSE.
 * On error *out is NULL. */
int slm_load(const char *path, slm_model **out);

/* The same from a memory image (copied; the caller keeps `data`). */
int slm_load_buffer(const unsigned char *data, size_t len, slm_model **out);

/* Frees a model.  NULL does nothing. */
void slm_free(slm_model *model);

/* ---- properties ------------------------------------------------------- */

unsigned slm_order(const slm_model *model);
uint32_t slm_vocab_size(const slm_model *model);
uint32_t slm_eos(const slm_model *model);
/* Number of distinct n-grams stored for order n (1..order), 0 otherwise. */
size_t slm_ngram_count(const slm_model *model, unsigned n);
/* The discount D_n,k for order n (1..order) and count class k (1, 2 or 3 =
 * "3 or more"); 0 for arguments out of range. */
double slm_discount(const slm_model *model, unsigned n, unsigned k);
/* The BLAKE2b-256 checksum of the model file (its trailer): an identifier
 * for the model, safe to print.  Returns HM_OK or HM_E_MISUSE. */
int slm_model_id(const slm_model *model, unsigned char id[32]);

/* ---- queries (read-only, thread-safe, no allocation) ------------------ */

/* Full-vocabulary next-token distribution.  Writes V natural-log
 * probabilities (normalized: their exponentials sum to 1 up to float
 * rounding; every value finite) into logits_out[0..V-1], given the context
 * (only its last order-1 tokens matter; n_context may be 0).  Cost: one
 * pass over V plus the stored continuations of the context.
 * Returns HM_OK, HM_E_MISUSE (NULL pointers) or HM_E_RANGE (a context id
 * >= V; logits_out is then unspecified). */
int slm_logits(const slm_model *model, const uint32_t *context,
               size_t n_context, float *logits_out);

/* The natural-log probability of one next token (double precision), in
 * O(order^2 log) time.  Returns HM_OK, HM_E_MISUSE or HM_E_RANGE. */
int slm_logprob(const slm_model *model, const uint32_t *context,
                size_t n_context, uint32_t token, double *logprob_out);

/* The k most probable next tokens, most probable first (ties: lower id
 * first), with their natural-log probabilities: exactly the top of
 * slm_logits, without the pass over V.  Writes min(k, V) entries and
 * stores that number in *n_out.  Returns HM_OK, HM_E_MISUSE or HM_E_RANGE. */
int slm_topk(const slm_model *model, const uint32_t *context,
             size_t n_context, size_t k, uint32_t *ids_out,
             float *logprobs_out, size_t *n_out);

/* ---- plain sampling ---------------------------------------------------- */

/* A small seeded generator (xoshiro256**, seeded through splitmix64): fast,
 * reproducible on every platform, and explicitly NOT cryptographic.  The
 * plain sampler is the unwatermarked control, so it needs repeatability,
 * not secrecy.  The state is plain data: copy it to fork a stream. */
typedef struct slm_rng {
    uint64_t s[4];
} slm_rng;

/* Seeds `rng` from a 64-bit seed.  Same seed, same stream. */
void slm_rng_seed(slm_rng *rng, uint64_t seed);
/* Next 64 random bits. */
uint64_t slm_rng_next(slm_rng *rng);
/* A uniform double in [0, 1) with 53 random bits. */
double slm_rng_uniform(slm_rng *rng);

/* Sampling parameters.  Set struct_size = sizeof(slm_sampler_params), or
 * start from slm_sampler_params_default().  The steps run in this order
 * (as in vLLM): temperature, min-p, top-k, top-p, then one inverse-CDF draw. */
typedef struct slm_sampler_params {
    size_t struct_size;
    float temperature; /* > 0 divides the logits; 0 = greedy (argmax, lowest id) */
    uint32_t top_k;    /* keep the k most probable; 0 = off */
    float top_p;       /* keep the smallest most-probable set with mass >= top_p; 1 = off */
    float min_p;       /* drop tokens with p < min_p * p_max; 0 = off */
} slm_sampler_params;

/* temperature 1, top_k 0, top_p 1, min_p 0: plain ancestral sampling. */
slm_sampler_params slm_sampler_params_default(void);

typedef struct slm_sampler slm_sampler;

/* Creates a sampler for vocabularies of up to `vocab_size` tokens, with its
 * scratch space (12 bytes per token).  Returns HM_OK, HM_E_MISUSE,
 * HM_E_RANGE (a parameter out of range: temperature < 0 or not finite,
 * top_p not in (0,1], min_p not in [0,1]) or HM_E_NOMEM. */
int slm_sampler_new(const slm_sampler_params *params, uint32_t vocab_size,
                    slm_sampler **out);
void slm_sampler_free(slm_sampler *sampler);

/* Draws one token from `logits` (n = the vocabulary size the sampler was
 * made for, or less; natural-log scale, unnormalized is fine; -inf = never;
 * NaN counts as -inf) using one draw from `rng`.  Allocation-free; not
 * thread-safe on one sampler.  Returns HM_OK, HM_E_MISUSE, or HM_E_RANGE
 * (every logit is -inf or NaN). */
int slm_sample(slm_sampler *sampler, const float *logits, uint32_t n,
               slm_rng *rng, uint32_t *token_out);

/* Convenience: generates up to max_new tokens after `prompt` with the model
 * and the sampler, stopping after EOS (which is written).  `out` receives
 * the new tokens; `logits_scratch` must hold V floats.  Returns the status
 * and stores the number generated in *n_out. */
int slm_generate(const slm_model *model, slm_sampler *sampler, slm_rng *rng,
                 const uint32_t *prompt, size_t n_prompt, size_t max_new,
                 float *logits_scratch, uint32_t *out, size_t *n_out);

/* ---- token-id text ----------------------------------------------------- */

/* Parses token ids written as decimal integers separated by spaces or tabs,
 * one document per line (the plain output of `hallmark tokenize`); empty
 * lines are empty documents.  text need not be NUL-terminated.
 * On success *ids (n_ids entries) and *doc_starts (n_docs entries, one per
 * line) are malloc'd: free() both.  Returns HM_OK; HM_E_FORMAT (a character
 * that is not a digit or blank; *err_line = 1-based line); HM_E_RANGE (an
 * id >= limit, or above 2^32-1); HM_E_LIMIT (over 2^31 ids); HM_E_NOMEM;
 * HM_E_MISUSE.  err_line may be NULL. */
int slm_parse_ids(const char *text, size_t len, uint32_t limit, uint32_t **ids,
                  size_t *n_ids, size_t **doc_starts, size_t *n_docs,
                  size_t *err_line);

#ifdef __cplusplus
}
#endif

#endif /* SLM_NGRAM_H */
