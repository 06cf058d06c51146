/*
 * interop.h - private header: bit-exact primitives for third-party text
 * watermarks, so that auditors can detect (and, given the engine's processed
 * logits, reproduce) them from token ids and the key.
 *
 *   vLLM      "philox4x32-10-v1" Gumbel-max (gumbel, dual_key_gumbel)   vllm.c
 *   SGLang    Aaronson-Gumbel over MurmurHash3_x86_32                   sglang.c
 *   SynthID   google-deepmind/synthid-text@addb4a1 tournament sampling  synthid.c
 *
 * Design rules shared by every function here:
 *   - pure functions over plain arrays; nothing allocates, nothing keeps
 *     global state; every buffer (hash tables, histories) is caller-provided,
 *     sized with the *_SCRATCH / *_slots() helpers, so per-token cost has no
 *     heap traffic;
 *   - calls that can fail return an hm_status (HM_OK, HM_E_MISUSE for bad
 *     arguments, HM_E_RANGE / HM_E_FORMAT for bad values, HM_E_LIMIT for a
 *     too-small scratch buffer);
 *   - thread-safe: no shared state; distinct calls may run concurrently as
 *     long as they do not share output or scratch buffers;
 *   - keys are secrets: nothing here prints them; callers wipe them with
 *     sodium_memzero when done.
 * The rules, formulas and sources (path@commit) are documented in
 * docs/interop.md.  All functions: Since 0.1.0.
 */
#ifndef HM_SCHEMES_INTEROP_H
#define HM_SCHEMES_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "hallmark/error.h"

/* ======================================================================
 * Key parsing (for the CLI: --vllm-key, --sglang-key, --synthid-keys)
 * ====================================================================== */

/* Parses a vLLM key: a decimal integer 0 <= key < 2^64 (digits only, no
 * sign, no spaces; leading zeros allowed).  `s` is NUL-terminated.
 * Returns HM_OK, HM_E_MISUSE (NULL), HM_E_FORMAT (not digits / empty) or
 * HM_E_RANGE (>= 2^64). */
int hm_vllm_parse_key(const char *s, uint64_t *key);

/* Parses an SGLang key: 1-16 hexadecimal digits, optional "0x"/"0X" prefix,
 * read as an unsigned 64-bit integer (SGLang's parse_watermark_key).
 * Returns HM_OK, HM_E_MISUSE, HM_E_FORMAT (empty, "0x" alone, a sign, a
 * non-hex character) or HM_E_RANGE (more than 16 digits). */
int hm_sglang_parse_key(const char *s, uint64_t *key);

/* Largest number of SynthID layer keys accepted (SGLang's limit). */
#define HM_SYNTHID_MAX_KEYS 64

/* Parses SynthID layer keys from JSON text `json` (`len` bytes, need not be
 * NUL-terminated): an array of 1..`cap` signed 64-bit integers, each either
 * a JSON number without fraction/exponent or a JSON string holding such an
 * integer, e.g. [1, "-9223372036854775808", 9007199254740993].  Digits are
 * read exactly, also beyond 2^53.  The JSON itself is
 * validated with cJSON.  On success writes the keys to keys[0..*n-1].
 * Returns HM_OK, HM_E_MISUSE, HM_E_FORMAT (not JSON, not an array, an
 * element that is not an integer), HM_E_RANGE (an integer outside int64)
 * or HM_E_LIMIT (empty array or more than `cap` keys). */
int hm_synthid_parse_keys_json(const char *json, size_t len, int64_t *keys,
                               size_t cap, size_t *n);

/* ======================================================================
 * Batched PRF kernels for the dense samplers (philox_simd.c, sglang.c).
 * HM_SIMD_IMPL_AUTO picks the fastest version the CPU runs, once per call
 * (AVX-512F, else AVX2, else portable C); the others force one, for tests
 * and benchmarks.  Every version gives the same bytes, bounds and tokens.
 * ====================================================================== */

enum {
    HM_SIMD_IMPL_AUTO = -1,
    HM_SIMD_IMPL_SCALAR = 0,
    HM_SIMD_IMPL_AVX2 = 1,
    HM_SIMD_IMPL_AVX512 = 2
};

/* 1 if implementation `impl` runs on this machine (AUTO and SCALAR: always). */
int hm_simd_impl_available(int impl);

/* ======================================================================
 * vLLM: PRF philox4x32-10-v1, Gumbel-max sampling, dedup, detector
 * ====================================================================== */

#define HM_VLLM_PRF_VERSION "philox4x32-10-v1"

/* Largest context width the detector accepts (vLLM warns above 16). */
#define HM_VLLM_MAX_WIDTH 64

/* Philox4x32 constants (Random123): round multipliers and key increments. */
#define HM_PHILOX_M0 0xD2511F53u
#define HM_PHILOX_M1 0xCD9E8D57u
#define HM_PHILOX_W0 0x9E3779B9u
#define HM_PHILOX_W1 0xBB67AE85u

/* The Random123 Philox4x32 block function with 10 rounds. */
void hm_vllm_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                           uint32_t out[4]);

/* Absorbs a context of width W (ctx[0..W-1], oldest first; pads are -1;
 * each id is taken modulo 2^32) into the 128-bit state used by the token
 * PRF.  W >= 1.  Returns HM_OK or HM_E_MISUSE. */
int hm_vllm_context_state(uint64_t key, const int64_t *ctx, size_t W,
                          uint32_t state[4]);

/* The four PRF words for token ids 4g..4g+3 under context `state`
 * (one Philox call).  `stream` is vLLM's stream argument (0 for Gumbel). */
void hm_vllm_words4(uint64_t key, const uint32_t state[4], uint32_t g,
                    uint64_t stream, uint32_t out[4]);

/* The Philox key of the token PRF under context `state` and `stream`:
 * hm_vllm_words4 runs Philox on {g, state[0], state[1], state[2]} with it. */
void hm_vllm_token_key(uint64_t key, const uint32_t state[4], uint64_t stream,
                       uint32_t k[2]);

/* The PRF word of token id `token` (stream 0). */
uint32_t hm_vllm_word(uint64_t key, const uint32_t state[4], uint32_t token);

/* 24-bit uniform: m = word >> 8; u = (float)((m + 1) / (2^24 + 1)). */
float hm_vllm_uniform(uint32_t word);

/* dual_key_gumbel key derivation: the first 8 bytes, big-endian, of
 * SHA-256(label || u64be(key)) with label "key_a" (which = 0) or "key_b"
 * (which = 1).  Returns HM_OK, HM_E_MISUSE or HM_E_CRYPTO. */
int hm_vllm_derive_key(uint64_t key, int which, uint64_t *out);

/* Gumbel-max sampling exactly as vLLM (CPU reference, fp32):
 * tok = argmax_v (l_v/T - ln(-ln u_v)); NaN counts as -inf; ties go to the
 * lowest id.  `logits` are the engine's processed logits (after penalties,
 * bias, grammar, top-k/top-p masking); `temperature` > 0 (1 = no scaling).
 * Dense form over ids 0..V-1.  If every score is -inf/NaN, *token = 0 (as
 * torch.argmax) and HM_E_RANGE is returned.  Returns HM_OK, HM_E_MISUSE or HM_E_RANGE. */
int hm_vllm_gumbel_sample(const float *logits, size_t V, float temperature,
                          uint64_t key, const uint32_t state[4],
                          int64_t *token);

/* Bounds of the fp32 Gumbel noise -ln(-ln u) for each value of a word's
 * top byte (padded by 1e-3), for exact pruning. */
typedef struct hm_vllm_gumbel_bounds {
    float lo[256], hi[256];
} hm_vllm_gumbel_bounds;
void hm_vllm_gumbel_bounds_init(hm_vllm_gumbel_bounds *b);

/* The same token as hm_vllm_gumbel_sample, bit for bit, without the two
 * logarithms for most candidates: pass 1 bounds every candidate's score
 * from its word's top byte, pass 2 computes the exact fp32 score only of
 * the candidates whose upper bound reaches the best lower bound.  scratch
 * holds V bytes. */
int hm_vllm_gumbel_sample_pruned(const float *logits, size_t V, float temperature,
                                 uint64_t key, const uint32_t state[4],
                                 const hm_vllm_gumbel_bounds *b, uint8_t *scratch,
                                 int64_t *token);

/* The top bytes of the stream-0 words of groups g0 .. g0+n-1 (token ids
 * 4*g0 .. 4*(g0+n)-1; g wraps modulo 2^32): out[4i+j] = w >> 24 with
 * w = hm_vllm_words4(key, state, g0 + i, 0)[j].  out holds 4n bytes.
 * Returns HM_OK, HM_E_MISUSE or HM_E_UNSUPPORTED (impl not available). */
int hm_vllm_top_bytes(int impl, uint64_t key, const uint32_t state[4], uint32_t g0,
                      size_t n, uint8_t *out);

/* Pass 1 of hm_vllm_gumbel_sample_pruned.  With l = logits[v] * (1/T):
 * scratch[v] = the top byte of candidate v's word for every v whose group
 * of 4 has a live candidate (l > -inf); other entries get some value.
 * *best_lo = the largest l + b->lo[scratch[v]] - |l| * 1e-6f over live v
 * (NaN terms ignored), or -inf; *pos_inf = 1 if some l is +inf (whose
 * bound is NaN).  Returns HM_OK, HM_E_MISUSE or HM_E_UNSUPPORTED. */
int hm_vllm_gumbel_pass1(int impl, const float *logits, size_t V, float inv_t,
                         uint64_t key, const uint32_t state[4],
                         const hm_vllm_gumbel_bounds *b, uint8_t *scratch,
                         float *best_lo, int *pos_inf);

/* Pass 2 filter: from candidate *pos on, appends to ids[] (capacity cap >=
 * 1) every v in id order that is live and whose upper bound
 * l + b->hi[scratch[v]] + |l| * 1e-6f is not below best_lo, stopping at V
 * or before ids[] could overflow; *pos is where to resume.  Returns the
 * number appended. */
size_t hm_vllm_gumbel_pass2(int impl, const float *logits, size_t V, float inv_t,
                            const hm_vllm_gumbel_bounds *b, const uint8_t *scratch,
                            float best_lo, size_t *pos, uint32_t *ids, size_t cap);

/* Sparse form: candidates ids[0..n-1] (any order, distinct, >= 0) with
 * their logits.  Same rule; ties go to the lowest id. */
int hm_vllm_gumbel_sample_sparse(const int64_t *ids, const float *logits,
                                 size_t n, float temperature, uint64_t key,
                                 const uint32_t state[4], int64_t *token);

/* The same token and status as hm_vllm_gumbel_sample_sparse, bit for bit,
 * with the two logarithms only for the candidates whose bound (as in the
 * dense pruned sampler) reaches the best lower bound.  scratch holds n
 * bytes. */
int hm_vllm_gumbel_sample_sparse_pruned(const int64_t *ids, const float *logits,
                                        size_t n, float temperature, uint64_t key,
                                        const uint32_t state[4],
                                        const hm_vllm_gumbel_bounds *b,
                                        uint8_t *scratch, int64_t *token);

/* Generation context: the last W *generated* tokens, left-padded with -1
 * (prompt tokens never enter a context).  Writes ctx[0..W-1]. */
void hm_vllm_generation_context(const int64_t *generated, size_t n_generated,
                                size_t W, int64_t *ctx);

typedef enum hm_vllm_dedup {
    HM_VLLM_DEDUP_NONE = 0,
    HM_VLLM_DEDUP_SINGLE_TURN = 1, /* history = generated tokens */
    HM_VLLM_DEDUP_ALL = 2          /* history = prompt + generated; the first
                                      W generated positions are unmarked */
} hm_vllm_dedup;

/* Parses "none" | "single_turn" | "all".  HM_OK or HM_E_FORMAT. */
int hm_vllm_parse_dedup(const char *s, hm_vllm_dedup *mode);

/* vLLM's generation-side repeated-context mask for the next position:
 * *skip = 1 when the position is sampled with the ordinary RNG (unmarked).
 * `ctx` is the current context (hm_vllm_generation_context).  max_history
 * 0 = unbounded (vLLM's null).  *partial = 1 when the skip comes from the
 * partial-context rule of mode `all` (may be NULL).  Allocation-free,
 * O(history * W). */
int hm_vllm_generation_skip(hm_vllm_dedup mode, const int64_t *prompt,
                            size_t n_prompt, const int64_t *generated,
                            size_t n_generated, const int64_t *ctx, size_t W,
                            size_t max_history, int *skip, int *partial);

/* Per-token detection score s = -log1p(-u) (double) of `token` after the
 * context absorbed in `state`. */
double hm_vllm_token_score(uint64_t key, const uint32_t state[4],
                           int64_t token);

/* Detector parameters. */
typedef struct hm_vllm_detect_params {
    uint64_t key;       /* the deployment key (derived keys are computed) */
    size_t width;       /* 1 <= W <= HM_VLLM_MAX_WIDTH */
    int dual_key;       /* 0 = gumbel, 1 = dual_key_gumbel */
    double alpha;       /* dual key: weight of key B, 0 <= alpha <= 1 */
    int dedup;          /* 1 = score only the first occurrence of a context */
} hm_vllm_detect_params;

typedef struct hm_vllm_detect_result {
    double score;       /* S = sum of s over scored tokens */
    size_t n;           /* number of scored tokens */
    double variance;    /* dual key: (1-a)^2 + a^2 (1 for gumbel) */
    double shape;       /* Gamma shape for the p-value: n / variance */
    double scaled;      /* S / variance: p = Q(shape, scaled) */
} hm_vllm_detect_result;

/* Scratch slots (uint32_t) needed to detect n tokens with dedup. */
size_t hm_vllm_detect_slots(size_t n);

/* vLLM's detector recipe over completion tokens tokens[0..n-1]: contexts
 * are the previous W completion tokens padded with -1; with dedup only the
 * first occurrence of each exact context tuple is scored.  `scratch` holds
 * `slots` uint32_t (>= hm_vllm_detect_slots(n); may be NULL when dedup is
 * off).  p-value: P[Gamma(shape,1) >= scaled] (see docs/interop.md).
 * Returns HM_OK, HM_E_MISUSE, HM_E_RANGE (bad W/alpha), HM_E_LIMIT
 * (scratch too small) or HM_E_CRYPTO (key derivation). */
int hm_vllm_detect(const hm_vllm_detect_params *params, const int64_t *tokens,
                   size_t n, uint32_t *scratch, size_t slots,
                   hm_vllm_detect_result *result);

/* ======================================================================
 * SGLang: MurmurHash3-keyed Aaronson-Gumbel
 * ====================================================================== */

#define HM_SGLANG_MAX_CONTEXT 64   /* context_window 1..64 */
#define HM_SGLANG_MAX_MARKED 4096  /* marked-context cap per request */

/* MurmurHash3_x86_32 with seed 0 over 32-bit words (4 bytes each, as a
 * little-endian byte stream), then h ^= 4*n and fmix32. */
uint32_t hm_sglang_murmur3_words(const uint32_t *words, size_t n);

/* ctx_hash = mm(ctx[0..L-1]) with ids taken modulo 2^32 (L may be 0). */
uint32_t hm_sglang_context_hash(const uint32_t *ctx, size_t L);

/* H(t) = mm(key_lo, key_hi, ctx_hash, t). */
uint32_t hm_sglang_token_hash(uint64_t key, uint32_t ctx_hash, uint32_t token);

/* Dual-key coin mm(a_lo, a_hi, b_lo, b_hi, ctx_hash). */
uint32_t hm_sglang_coin(uint64_t key_a, uint64_t key_b, uint32_t ctx_hash);

/* Threshold floor(P * 2^32) for mixing probability 0 < P < 1.
 * Returns HM_OK or HM_E_RANGE. */
int hm_sglang_mixing_threshold(double p, uint32_t *threshold);

/* u = (H + 0.5) / 2^32 in double (detector side). */
double hm_sglang_uniform(uint32_t h);

/* ln u in fp32 exactly as the sampler: ln(((float)H + 0.5f) / 2^32) when
 * H < 2^31, else log1p(-((float)(2^32-1-H) + 0.5f) / 2^32). */
float hm_sglang_log_uniform_f32(uint32_t h);

/* The sampling rule over renormalised probabilities probs[0..V-1]:
 * argmax over p > 0 of ln(u_v)/p_v in fp32, ties to the lowest id.
 * `key` is the key in force at this position (see hm_sglang_key_for).
 * Returns HM_OK, HM_E_MISUSE or HM_E_RANGE (no p > 0). */
int hm_sglang_sample(const float *probs, size_t V, uint64_t key,
                     uint32_t ctx_hash, int64_t *token);

/* Bounds of the fp32 ln u of each value of a hash's top byte (padded by
 * 1e-5 relative), for exact pruning. */
typedef struct hm_sglang_bounds {
    float lo[256], hi[256];
} hm_sglang_bounds;
void hm_sglang_bounds_init(hm_sglang_bounds *b);

/* The same token and status as hm_sglang_sample, bit for bit, with one
 * logarithm for few candidates: pass 1 hashes every candidate (batched,
 * see HM_SIMD_IMPL_*) and bounds its score by b->lo[H >> 24] / p, pass 2
 * computes the exact score only where b->hi[H >> 24] / p reaches the best
 * lower bound.  scratch holds V bytes. */
int hm_sglang_sample_pruned(const float *probs, size_t V, uint64_t key,
                            uint32_t ctx_hash, const hm_sglang_bounds *b,
                            uint8_t *scratch, int64_t *token);

/* Pass 1: scratch[v] = hm_sglang_token_hash(key, ctx_hash, v) >> 24 for
 * every v < V; *best_lo = the largest b->lo[scratch[v]] / probs[v] over
 * probs[v] > 0, or -inf.  Returns HM_OK, HM_E_MISUSE or HM_E_UNSUPPORTED. */
int hm_sglang_pass1(int impl, const float *probs, size_t V, uint64_t key,
                    uint32_t ctx_hash, const hm_sglang_bounds *b, uint8_t *scratch,
                    float *best_lo);

/* Pass 2 filter, resumable as hm_vllm_gumbel_pass2: the v from *pos on with
 * probs[v] > 0 and b->hi[scratch[v]] / probs[v] not below best_lo. */
size_t hm_sglang_pass2(int impl, const float *probs, size_t V,
                       const hm_sglang_bounds *b, const uint8_t *scratch,
                       float best_lo, size_t *pos, uint32_t *ids, size_t cap);

/* Sparse form over candidates ids[0..n-1] (distinct). */
int hm_sglang_sample_sparse(const uint32_t *ids, const float *probs, size_t n,
                            uint64_t key, uint32_t ctx_hash, int64_t *token);

/* Key in force: key A unless dual (has_b) and coin >= threshold. */
uint64_t hm_sglang_key_for(uint64_t key_a, int has_b, uint64_t key_b,
                           uint32_t threshold, uint32_t ctx_hash);

/* Per-token detection score s = -log1p(-u), u = (H(t) + 0.5) / 2^32. */
double hm_sglang_token_score(uint64_t key, uint32_t ctx_hash, uint32_t token);

/* Generation context: the last min(h, n_prompt + n_generated) tokens of
 * prompt + generated, written to ctx (length in *L, 0 = unmarked). */
void hm_sglang_generation_context(const uint32_t *prompt, size_t n_prompt,
                                  const uint32_t *generated,
                                  size_t n_generated, size_t h, uint32_t *ctx,
                                  size_t *L);

/* The marked-context set of one request: 32-bit context hashes of contexts
 * already marked, capped at `cap` <= 4096 entries.  Fixed size, no heap. */
typedef struct hm_sglang_marked {
    uint32_t slots[2 * HM_SGLANG_MAX_MARKED]; /* open addressing, 0 = empty */
    uint8_t used[2 * HM_SGLANG_MAX_MARKED];
    size_t count;
    size_t cap;
} hm_sglang_marked;

/* Resets the set with capacity cap (1..4096; SGLang: min(4096, pool)). */
int hm_sglang_marked_init(hm_sglang_marked *m, size_t cap);

/* Decides whether the next position is marked: not when L == 0, top_k == 1
 * (top_k <= 0 means "no top-k limit", as SGLang maps -1 to the whole
 * vocabulary, and counts as > 1), the hash is already
 * in the set, or the set is full.  When marked, records the hash.
 * *marked = 1/0.  Returns HM_OK or HM_E_MISUSE. */
int hm_sglang_mark_position(hm_sglang_marked *m, size_t L, uint32_t ctx_hash,
                            long top_k, int *marked);

typedef struct hm_sglang_detect_params {
    uint64_t key_a;
    int has_b;            /* dual key */
    uint64_t key_b;
    double mixing;        /* P, 0 < P < 1 (used when has_b) */
    size_t h;             /* context_window 1..64 */
    size_t max_contexts;  /* 1..4096 */
} hm_sglang_detect_params;

typedef struct hm_sglang_stats {
    size_t n;             /* number of contexts scored */
    double score;         /* S */
    double z;             /* (S - n)/sqrt(n), 0 when n = 0 */
} hm_sglang_stats;

typedef struct hm_sglang_detect_result {
    hm_sglang_stats combined;    /* partitions merged (dual) or key A */
    hm_sglang_stats key_a_all;
    hm_sglang_stats key_b_all;   /* dual only */
    hm_sglang_stats key_a_part;  /* dual only: positions whose coin picks A */
    hm_sglang_stats key_b_part;
    int prefix_limit_reached;
    size_t tokens_examined;
    size_t repeated_contexts;
    size_t skipped_initial;
} hm_sglang_detect_result;

/* Scratch slots (uint32_t) for hm_sglang_detect. */
size_t hm_sglang_detect_slots(size_t max_contexts);

/* SGLang's WatermarkDetector.detect_tokens: tokens = prompt[-h:] + ids;
 * without prompt ids the first h tokens are skipped; each exact context
 * tuple is scored once (s = -log1p(-u)); stops after max_contexts
 * distinct contexts.  Sums use a compensated (Neumaier) sum like fsum.
 * Returns HM_OK, HM_E_MISUSE, HM_E_RANGE or HM_E_LIMIT. */
int hm_sglang_detect(const hm_sglang_detect_params *params,
                     const uint32_t *prompt, size_t n_prompt,
                     const uint32_t *ids, size_t n, uint32_t *scratch,
                     size_t slots, hm_sglang_detect_result *result);

/* ======================================================================
 * SynthID-Text (google-deepmind reference, table-free hashing)
 * ====================================================================== */

#define HM_SYNTHID_HISTORY 1024 /* default context_history_size */

/* accumulate(h, x) = (h + x) * 6364136223846793005 + 1 with int64
 * wrap-around. */
int64_t hm_synthid_accumulate(int64_t h, int64_t x);

/* Arithmetic (sign-extending) right shift, portable. */
int64_t hm_synthid_asr(int64_t x, unsigned s);

/* hash_iv = int.from_bytes(SHA-256(keys as int64 little-endian), "big")
 * mod (2^63 - 1).  Returns HM_OK, HM_E_MISUSE or HM_E_CRYPTO. */
int hm_synthid_hash_iv(const int64_t *keys, size_t m, int64_t *iv);

/* h_ctx = accumulate(iv, ctx[0..n-1]). */
int64_t hm_synthid_context_hash(int64_t iv, const int64_t *ctx, size_t n);

/* Generation context of the reference's stateful logits processor: its
 * state starts as ngram_len-1 zeros and each call appends the previously
 * generated token, so the context is the last ngram_len-1 *generated*
 * tokens left-padded with 0 (the prompt never enters it).  Writes
 * ctx[0..ngram_len-2]. */
void hm_synthid_generation_context(const int64_t *generated,
                                   size_t n_generated, size_t ngram_len,
                                   int64_t *ctx);

/* g-value of (h_ctx, token) at one layer key: k = accumulate(accumulate(
 * h_ctx, token), key); 12 times k = accumulate(k, 1) >> 5 (arithmetic);
 * g = (k >> 30) mod 2. */
int hm_synthid_g(int64_t h_ctx, int64_t token, int64_t layer_key);

/* g-values of one candidate for all m layers: g[l] in {0,1}. */
void hm_synthid_gvalues(int64_t h_ctx, int64_t token, const int64_t *keys,
                        size_t m, uint8_t *g);

/* Context-repetition history: the last `size` context hashes, initialised
 * to zeros as in the reference (so a context hash of exactly 0 counts as
 * repeated).  `buf` holds `size` int64_t, caller-owned. */
typedef struct hm_synthid_history {
    int64_t *buf;
    size_t size;
    size_t next;
} hm_synthid_history;

int hm_synthid_history_init(hm_synthid_history *hist, int64_t *buf,
                            size_t size);

/* Returns 1 if h_ctx is among the remembered hashes, 0 if not; then
 * remembers it (dropping the oldest). */
int hm_synthid_history_check_push(hm_synthid_history *hist, int64_t h_ctx);

/* Tournament update over k top-k candidates and m layers (double
 * precision): p = softmax(scores); for each layer l, with
 * G = sum_v g[v*m+l] p[v]:
 *   num_leaves == 2:  p_v <- p_v (1 + g - G)
 *   num_leaves >= 3:  p_v <- p_v ((1-(1-G)^k)/G if g=1 and p_v>0,
 *                                 else (1-G)^(k-1))
 * out[v] = ln p_v, non-finite -> -1e12.  g is row-major [k][m].
 * Returns HM_OK, HM_E_MISUSE or HM_E_RANGE (num_leaves < 2, k = 0). */
int hm_synthid_update_scores(const double *scores, size_t k,
                             const uint8_t *g, size_t m, unsigned num_leaves,
                             double *out);

/* Top-k of logits/T (descending; ties to the lower id), as the
 * reference's scores/temperature then topk.  Writes idx[0..k-1] and
 * val[0..k-1] (fp32 values).  O(V k).  HM_OK, HM_E_MISUSE, HM_E_RANGE. */
int hm_synthid_topk(const float *logits, size_t V, float temperature,
                    size_t k, int64_t *idx, float *val);

/* One watermarked generation step of the reference's watermarked_call:
 * top-k of logits/T (idx[0..k-1], val[0..k-1]), g-values of each candidate
 * under context hash h_ctx (g[k*m] scratch), the tournament update into
 * out[0..k-1] (log-probabilities over the top-k), then the repetition
 * check: when h_ctx is among the remembered context hashes, out is the
 * plain top-k scores (unwatermarked) and *repeated = 1.  h_ctx is then
 * remembered.  The caller samples from softmax(out) and maps back through
 * idx.  Returns HM_OK, HM_E_MISUSE or HM_E_RANGE. */
int hm_synthid_apply(const float *logits, size_t V, float temperature,
                     size_t k, const int64_t *keys, size_t m,
                     unsigned num_leaves, int64_t h_ctx,
                     hm_synthid_history *hist, int64_t *idx, float *val,
                     uint8_t *g, double *out, int *repeated);

/* Detection over tokens[0..n-1] with ngram_len (2..17): per n-gram
 * (n - ngram_len + 1 of them) g-values for every layer, the context
 * repetition mask (history of `hist`, re-initialised here) and the EOS mask
 * (eos < 0: none; else n-grams whose last token is at or after the first
 * EOS are masked).  Outputs the unmasked g count, trials = m * unmasked
 * n-grams, the mean and weighted-mean scores (weights linspace(10,1,m)
 * rescaled to sum m; NaN when nothing is unmasked).  Returns HM_OK,
 * HM_E_MISUSE or HM_E_RANGE. */
typedef struct hm_synthid_detect_result {
    uint64_t g_count;     /* sum of unmasked g over all layers */
    uint64_t trials;      /* m * unmasked n-grams */
    size_t unmasked;      /* unmasked n-grams */
    double mean;          /* g_count / trials */
    double weighted_mean;
} hm_synthid_detect_result;

int hm_synthid_detect(int64_t iv, const int64_t *keys, size_t m,
                      size_t ngram_len, const int64_t *tokens, size_t n,
                      int64_t eos, hm_synthid_history *hist,
                      hm_synthid_detect_result *result);

/* Expected mean g of a watermarked token under a uniform distribution with
 * 2 leaves: 1/2 + 1/4 (1 - 1/V). */
double hm_synthid_expected_mean(size_t V);

#endif /* HM_SCHEMES_INTEROP_H */
