/*
 * hallmark/embed.h - watermark embedding inside a serving loop.
 *
 * An hm_embedder is created once per (key, scheme, parameters, vocabulary
 * size) and is immutable afterwards: share it between threads freely.  Each
 * request gets its own hm_session, which holds the context (recent tokens)
 * and all scratch space, allocated when the session is created.  A step is
 *
 *     hm_session_apply(s, logits, V);            // logit-bias schemes (kgw, unigram)
 *       ... the engine samples token t itself ...
 *   or
 *     hm_session_sample(s, logits, V, &params, &t); // any scheme
 *
 * followed by hm_session_accept(s, t).  No step allocates memory.  The
 * `_sparse` variants take (id, logit) candidate arrays such as llama.cpp's
 * llama_token_data_array after its top-k/top-p samplers.
 *
 * THE CONTEXT RULE (the detection side applies the same rule): the context
 * of a position is the ctx_width tokens before it in the sequence
 *     prompt tokens given to hm_session_seed()  ++  accepted tokens,
 * oldest first.  Hallmark-native schemes leave a position unmarked (plain
 * sampling, logits untouched) while fewer than ctx_width tokens precede it;
 * so with no prompt the first ctx_width tokens are unmarked, and detection
 * without the prompt skips them too.  Interop profiles follow their engine:
 * vllm never puts prompt tokens into a context (pads with -1), sglang uses
 * prompt + generated tokens and leaves an empty context unmarked.  With
 * the parameter skip_repeated=1 (any scheme), a position whose context
 * already occurred in this session is left unmarked as well.
 *
 * Thread-safety: an embedder may be used by many threads; a session by one
 * thread at a time.  Sessions are independent of each other.
 */
#ifndef HALLMARK_EMBED_H
#define HALLMARK_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

HM_BEGIN_DECLS

typedef struct hm_key hm_key;
typedef struct hm_embedder hm_embedder;
typedef struct hm_session hm_session;

/* One candidate: token id, logit, probability (ignored on input).  The
 * layout matches llama.cpp's llama_token_data. */
typedef struct hm_cand {
    int32_t id;
    float logit;
    float p;
} hm_cand;

/* Sampling parameters, applied in this order: temperature, top-k, top-p,
 * min-p.  Initialize with hm_sampling_default() and change what you need;
 * struct_size lets the struct grow without breaking callers. */
typedef struct hm_sampling {
    size_t struct_size; /* sizeof(hm_sampling) */
    float temperature;  /* > 0; 0 means greedy (argmax, left unmarked) */
    int32_t top_k;      /* 0 = off */
    float top_p;        /* 1 = off; (0, 1] */
    float min_p;        /* 0 = off; [0, 1) */
    uint64_t seed;      /* unused here; see hm_session_set_seed */
} hm_sampling;

/* Returns temperature 1, every filter off.  Since 0.1.0. */
HM_API hm_sampling hm_sampling_default(void);

/* Creates an embedder for `scheme` ("kgw", "unigram", "gumbel", "synthid",
 * "vllm", "sglang") keyed by `key` (NULL for the interop profiles, whose
 * keys are parameters: vllm "key=42", sglang "key=0x0123...", synthid
 * "keys=[...]"), with parameters as "name=value" strings (see
 * docs/schemes.md for each scheme's names and defaults) and the model's
 * vocabulary size.  On success *out owns a new embedder; free it with
 * hm_embedder_free.  The key is not retained (its material is copied and
 * wiped on free).
 * Errors: HM_E_MISUSE (NULL arguments, vocab 0, missing key),
 * HM_E_NOTFOUND (unknown scheme or parameter name: *bad_param, if not NULL,
 * receives the index of the offending parameter, else -1), HM_E_RANGE (bad
 * parameter value), HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_embedder_new(hm_embedder **out, const char *scheme,
                                          const hm_key *key, const char *const *params,
                                          size_t n_params, uint32_t vocab, int *bad_param);

/* The names of every scheme, comma-separated ("kgw, unigram, ..."), for
 * messages.  A static string.  Since 0.2.0. */
HM_API const char *hm_scheme_list(void);

/* The parameters that `scheme` takes, in words, with their ranges or
 * choices and defaults (e.g. "gamma (a number in (0, 1); default 0.25),
 * ..."), for messages that say what is valid; every scheme also takes the
 * generation parameters skip_repeated (0 or 1) and max_history.  A static
 * string, or NULL for an unknown scheme.  Since 0.2.0. */
HM_API const char *hm_scheme_params_doc(const char *scheme);

/* Frees an embedder (wiping its key material).  NULL is a no-op.  All its
 * sessions must have been freed first.  Since 0.1.0. */
HM_API void hm_embedder_free(hm_embedder *e);

/* The scheme's canonical name, version ("kgw-v1") and parameters
 * ("gamma=0.25,delta=2,seeding=selfhash,h=4,..."), written into buf.
 * Returns HM_OK or HM_E_RANGE if buf is too small.  Since 0.1.0. */
HM_API int hm_embedder_describe(const hm_embedder *e, char *buf, size_t cap);

/* 1 if the scheme biases logits (hm_session_apply works), else 0. */
HM_API int hm_embedder_is_logit_bias(const hm_embedder *e);

/* The number of previous tokens that form a context. */
HM_API size_t hm_embedder_context_width(const hm_embedder *e);

/* Creates a session with its scratch space (O(vocab) memory).  The
 * session's sampling RNG is seeded from the OS; see hm_session_set_seed.
 * Errors: HM_E_MISUSE, HM_E_NOMEM.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_session_new(const hm_embedder *e, hm_session **out);

/* Frees a session.  NULL is a no-op.  Since 0.1.0. */
HM_API void hm_session_free(hm_session *s);

/* Forgets the context and the repeated-context history. */
HM_API void hm_session_reset(hm_session *s);

/* Seeds the sampling RNG for reproducible runs (tests, benchmarks, demo).
 * The watermark itself does not depend on it. */
HM_API void hm_session_set_seed(hm_session *s, uint64_t seed);

/* Feeds prompt tokens: they enter the context as the scheme's rule says
 * (see THE CONTEXT RULE above).  Call after new/reset, before any step.
 * Returns HM_OK or HM_E_MISUSE. */
HM_API int hm_session_seed(hm_session *s, const uint32_t *prompt, size_t n);

/* Biases dense logits in place (kgw, unigram).  Positions left unmarked
 * by the context rule leave the logits untouched.  Returns HM_OK,
 * HM_E_MISUSE (vocab mismatch) or HM_E_UNSUPPORTED (a sampling scheme). */
HM_API int hm_session_apply(hm_session *s, float *logits, size_t vocab);

/* The same on a candidate array: ids must be < vocab; order is irrelevant. */
HM_API int hm_session_apply_sparse(hm_session *s, hm_cand *cands, size_t n);

/* Chooses the next token from dense logits after temperature, top-k, top-p
 * and min-p (params may be NULL for defaults).  Does not accept it: call
 * hm_session_accept.  For logit-bias schemes this samples exactly from the
 * biased distribution without biasing every logit.  *marked, if not NULL,
 * says whether the position carried the watermark.
 * Errors: HM_E_MISUSE, HM_E_RANGE (bad parameters or no finite logit). */
HM_API int hm_session_sample(hm_session *s, const float *logits, size_t vocab,
                             const hm_sampling *params, uint32_t *token, int *marked);

/* The same on a candidate array (n <= vocab). */
HM_API int hm_session_sample_sparse(hm_session *s, const hm_cand *cands, size_t n,
                                    const hm_sampling *params, uint32_t *token, int *marked);

/* Appends the chosen token to the context.  Returns HM_OK or HM_E_RANGE
 * (token >= vocab). */
HM_API int hm_session_accept(hm_session *s, uint32_t token);

/* Steps many sessions at once: for each i, samples from logits + i*vocab
 * with sessions[i] and accepts the token into tokens[i].  Sessions must be
 * distinct.  Returns the first error, having stepped the sessions before it.
 * Since 0.1.0. */
HM_API int hm_session_sample_batch(hm_session *const *sessions, size_t n_sessions,
                                   const float *logits, size_t vocab,
                                   const hm_sampling *params, uint32_t *tokens);

HM_END_DECLS

#endif /* HALLMARK_EMBED_H */
