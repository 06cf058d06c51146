/*
 * scheme.h - the private interface every watermark scheme implements
 * (one file per scheme in watermark/schemes/, holding both its sampling rule
 * and its per-token score, so embedding and detection cannot drift apart).
 *
 * A scheme instance ("state") is a fixed-size blob of HM_SCHEME_STATE_BYTES
 * built by init() from a secret and "k=v" parameters; a scheme that needs
 * per-vocabulary tables allocates them in init() and releases them in
 * destroy().  After init the state is read-only and may be shared by
 * threads.  Per-step work
 * receives the context (the last ctx_width tokens, oldest first) and caller
 * scratch, and never allocates.
 */
#ifndef HM_SCHEME_H
#define HM_SCHEME_H

#include <stddef.h>
#include <stdint.h>

#include "prf.h"
#include "sampler.h"

#define HM_SCHEME_STATE_BYTES 8192
#define HM_SCHEME_MAX_CTX 64
#define HM_SCHEME_MAX_LAYERS 64

/* How a scheme embeds. */
enum hm_scheme_kind {
    HM_KIND_LOGIT_BIAS = 1, /* apply() biases logits; sample() is an exact shortcut */
    HM_KIND_SAMPLING = 2    /* sample() picks the token; apply() is unavailable */
};

/* Which exact test aggregates the per-token scores. */
enum hm_scheme_test {
    HM_TEST_BINOMIAL = 1, /* score in {0,1}; count ~ Binomial(n, gamma) under H0 */
    HM_TEST_GAMMA = 2,    /* score s = -ln(1-u); sum ~ Gamma(n, 1) under H0 */
    HM_TEST_GAMMA_WEIGHTED = 3, /* s = (1-a) sA + a sB; sum/var ~ Gamma(n/var, 1) */
    HM_TEST_GVALUES = 4   /* per-layer bits; count ~ Binomial(m n, 1/2) under H0 */
};

/* How contexts are formed at the start of a sequence. */
enum hm_ctx_rule {
    HM_CTX_FULL = 0,    /* positions with fewer than ctx_width previous tokens are
                           neither marked nor scored (Hallmark-native rule) */
    HM_CTX_PAD = 1,     /* missing tokens are padded (vLLM: -1 pads) */
    HM_CTX_PARTIAL = 2  /* use what exists; an empty context is not marked (SGLang) */
};

/* One token's detection values. */
typedef struct hm_token_score {
    double value;      /* green: 0/1; gumbel-like: s = -ln(1-u); g-values: count of 1s */
    double u;          /* the uniform (gumbel-like schemes), else NaN */
    double weight;     /* g-values: weighted sum of bits; else equal to value */
    uint64_t gbits;    /* g-values: bit l = g of layer l */
    uint32_t layers;   /* g-values: number of layers m; else 1 */
    int green;         /* binomial schemes: 1 if green */
} hm_token_score;

/* The rules around a scheme: which tokens form contexts, which positions
 * carry the mark during generation, and which are scored.  Native schemes
 * take the defaults (hm_scheme_default_rules); interop profiles state their
 * engine's rules. */
typedef struct hm_scheme_rules {
    int ctx_rule_embed;      /* enum hm_ctx_rule during generation */
    int ctx_rule_detect;     /* ... during detection */
    int partial_needs_prompt; /* HM_CTX_PARTIAL applies only when a prompt is given;
                                 without one, detection needs full contexts (SGLang) */
    int prompt_in_ctx;       /* prompt tokens enter contexts */
    uint32_t pad_token;      /* HM_CTX_PAD filler: 0xFFFFFFFF (-1, vLLM) or 0 (SynthID) */
    int skip_repeated;       /* generation: leave a repeated context unmarked */
    int skip_records_all;    /* 1: every position's context enters the history;
                                0: only marked positions' contexts do */
    uint32_t max_history;    /* generation history bound (FIFO) */
    uint32_t max_marked;     /* generation: stop marking after this many marked
                                positions (0 = no cap; SGLang 4096) */
    int dedup;               /* detection default (enum hm_dedup) */
    uint32_t detect_history; /* context dedup over only the last N contexts, every
                                position recorded (SynthID 1024); 0 = unbounded */
    uint32_t detect_max_contexts; /* stop scoring after N distinct contexts (0 = no cap) */
} hm_scheme_rules;

typedef struct hm_scheme_ops {
    const char *name;    /* "kgw" */
    const char *version; /* scheme/format version, e.g. "kgw-v1" */
    const char *prf_version; /* NULL = HM_PRF_VERSION; interop: the engine's PRF */
    int kind;            /* enum hm_scheme_kind */
    int test;            /* enum hm_scheme_test */
    int needs_secret;    /* 1: takes a Hallmark key; 0: key comes in params */

    /* Parses params ("k=v" strings; unknown keys -> HM_E_NOTFOUND with the
     * offending index in *bad) and derives key material.  `st` is
     * HM_SCHEME_STATE_BYTES of zeroed memory. */
    int (*init)(void *st, const uint8_t *secret, const char *const *params, size_t n_params,
                uint32_t vocab, size_t *bad);
    /* Releases what init() allocated and wipes key material (may be NULL:
     * then the embedder just wipes the blob). */
    void (*destroy)(void *st);
    /* Number of previous tokens forming a context, and the rule at the start. */
    size_t (*ctx_width)(const void *st);
    int (*ctx_rule)(const void *st);
    /* Whether prompt tokens enter the context (1: yes, Hallmark and SGLang;
     * 0: vLLM, whose contexts use generated tokens only). */
    int (*prompt_in_context)(const void *st);
    /* The scheme's parameters, their ranges or choices and defaults, in
     * words (for messages; hm_scheme_params_doc()). */
    const char *params_doc;
    /* Writes the canonical parameters as "k=v,k=v" into buf (for reports). */
    void (*describe)(const void *st, char *buf, size_t cap);

    /* Embedding.  ctx holds nctx tokens, oldest first: nctx == ctx_width except
     * under HM_CTX_PARTIAL.  NULL when unsupported. */
    int (*apply)(const void *st, const uint32_t *ctx, size_t nctx, float *logits, size_t vocab);
    int (*apply_sparse)(const void *st, const uint32_t *ctx, size_t nctx, hm_cand *cands,
                        size_t n);
    /* Picks a token from a prepared candidate set (temperature and filters
     * already applied by the sampler).  rng is the session's sampling RNG. */
    int (*sample)(const void *st, const uint32_t *ctx, size_t nctx, hm_candset *cs, hm_rng *rng,
                  uint32_t *token);

    /* Detection: the per-token score of `token` after `ctx`. */
    void (*score)(const void *st, const uint32_t *ctx, size_t nctx, uint32_t token,
                  hm_token_score *out);
    /* Parameters of the null distribution: gamma for binomial; alpha for the
     * weighted gamma; layer count for g-values. */
    double (*null_param)(const void *st);

    /* Optional: bytes of per-session scratch the scheme's sample() needs
     * (available as cs->scratch); NULL = none. */
    size_t (*scratch_size)(const void *st, uint32_t vocab);
    /* Optional: the engine's rules (NULL: defaults from the fields above). */
    void (*rules)(const void *st, hm_scheme_rules *r);
    /* Optional: the key identifying a context for repeated-context skipping
     * and deduplication (NULL: hm_context_hash).  Engines that compare their
     * own context hashes (SGLang's 32-bit murmur, SynthID's h_ctx) return
     * those, so collisions behave as in the engine. */
    uint64_t (*ctx_key)(const void *st, const uint32_t *ctx, size_t nctx);

    /* Optional: the key of the random variable that score() reads for
     * (ctx, token), used by tuple deduplication (NULL: the (context key,
     * token) tuple).  Two positions with the same score key always get the
     * same score, so only one of them may enter an exact test: for kgw
     * selfhash this is (min-hash token m, token), not the whole window. */
    uint64_t (*score_key)(const void *st, const uint32_t *ctx, size_t nctx, uint32_t token);

    /* Optional (g-value schemes): the per-position null distribution of the
     * score for this key set.  Adds to counts[0..layers] the values of
     * score() at `samples` independent uniformly random n-gram hashes drawn
     * from a generator fixed by the key set (so the result is reproducible),
     * and returns the number of layers.  The detector turns the counts into
     * its null (verify/detect.c). */
    uint32_t (*null_sample)(const void *st, uint64_t samples, uint64_t *counts);
    /* Optional: the Monte Carlo size the detector passes to null_sample
     * (0 = the library default). */
    uint64_t (*null_samples)(const void *st);

    /* Detection defaults: the dedup policy (enum hm_dedup) and whether the
     * engine's own rule is used instead of Hallmark's. */
    int default_dedup;
    /* Generation: default for skip_repeated and the history bound. */
    int default_skip_repeated;
    uint32_t default_max_history;
} hm_scheme_ops;

/* The registry. Returns NULL for an unknown name. */
const hm_scheme_ops *hm_scheme_find(const char *name);
/* Comma-separated list of scheme names, for messages. */
const char *hm_scheme_names(void);

/* Parameter parsing helpers for scheme init(): each returns 1 when `param`
 * is "name=value" for this name and stores the value, 0 when the name
 * differs, and -1 (HM_E_RANGE) when the value is malformed or outside
 * [lo, hi]. */
int hm_param_double(const char *param, const char *name, double lo, double hi, double *out);
int hm_param_u64(const char *param, const char *name, uint64_t lo, uint64_t hi, uint64_t *out);
int hm_param_str(const char *param, const char *name, char *out, size_t cap);

#endif /* HM_SCHEME_H */
