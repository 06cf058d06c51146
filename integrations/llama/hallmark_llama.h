/*
 * hallmark_llama.h - a llama.cpp sampler (struct llama_sampler) that
 * watermarks with any Hallmark scheme.
 *
 * Two modes:
 *
 *   HM_LLAMA_BIAS    the sampler's apply() biases the candidates' logits in
 *                    place (hm_session_apply_sparse on the
 *                    llama_token_data_array, whose layout is hm_cand's) and
 *                    leaves the choice to the samplers after it, e.g. dist.
 *                    Logit-bias schemes only (kgw, unigram).  Put it first
 *                    in the chain (bias over the whole vocabulary) or after
 *                    top-k (bias over the survivors: cheaper, same marked
 *                    choice among them).
 *   HM_LLAMA_SAMPLE  the sampler chooses the token itself
 *                    (hm_session_sample_sparse) and sets cur_p->selected:
 *                    it must be the LAST sampler of the chain, in place of
 *                    dist.  Any scheme (gumbel, synthid, vllm, sglang, and
 *                    kgw/unigram too, sampled exactly from the biased
 *                    distribution).  The samplers before it (temperature,
 *                    top-k, top-p, min-p, penalties, grammar) shape the
 *                    candidates; it then samples at temperature 1.
 *   HM_LLAMA_AUTO    BIAS for logit-bias schemes, SAMPLE for the others.
 *
 * In both modes accept() (called by the chain for the chosen token) feeds
 * hm_session_accept, so the session's context follows the generated text.
 * THE PROMPT: call hm_llama_sampler_seed() with the prompt's tokens at the
 * start of every request; the scheme's context rule (hallmark/embed.h)
 * decides whether they enter contexts (native schemes and sglang: yes;
 * vllm: no).  Do not pass the prompt through llama_sampler_accept: that
 * would make prompt tokens "generated" ones.
 *
 * Errors: apply() cannot return a status.  A failing Hallmark call leaves
 * the candidates untouched (BIAS) or selects the highest logit (SAMPLE),
 * and the first failure is kept: read it with hm_llama_sampler_status()
 * after generating (HM_OK when every step succeeded).
 *
 * Memory: the session and a token history (for clone) are allocated when
 * the sampler is created; a step allocates nothing (the history doubles in
 * the rare case a request outgrows HM_LLAMA_HISTORY tokens).
 *
 * Threads: one sampler per sequence, used by one thread at a time; the
 * embedder may be shared by all samplers and must outlive them.
 */
#ifndef HALLMARK_LLAMA_H
#define HALLMARK_LLAMA_H

#include <stddef.h>
#include <stdint.h>

#include <hallmark.h>
#include <llama.h>

#ifdef __cplusplus
extern "C" {
#endif

enum hm_llama_mode { HM_LLAMA_AUTO = 0, HM_LLAMA_BIAS = 1, HM_LLAMA_SAMPLE = 2 };

#define HM_LLAMA_HISTORY 4096

/* Creates the sampler for embedder `e` (borrowed: it must outlive the
 * sampler) in `mode`, with the sampling RNG seeded from `seed` (SAMPLE mode;
 * the watermark does not depend on it).  Add it to a chain with
 * llama_sampler_chain_add (the chain then owns it) or free it with
 * llama_sampler_free.  Returns NULL on failure with *status (if not NULL)
 * set: HM_E_MISUSE (NULL embedder, unknown mode, BIAS with a sampling
 * scheme), HM_E_NOMEM. */
struct llama_sampler *hm_llama_sampler_init(const hm_embedder *e, int mode, uint64_t seed,
                                            int *status);

/* Starts a request: forgets the context and history, then feeds the
 * prompt's n tokens as the scheme's context rule says.  Returns HM_OK,
 * HM_E_MISUSE (not a Hallmark sampler, NULL prompt with n > 0) or
 * HM_E_RANGE (a negative or out-of-vocabulary token). */
int hm_llama_sampler_seed(struct llama_sampler *smpl, const llama_token *prompt, size_t n);

/* The first error of any step since init / seed / reset (HM_OK if none). */
int hm_llama_sampler_status(const struct llama_sampler *smpl);

/* Steps taken since init / seed / reset and, in SAMPLE mode, how many of
 * them carried the watermark (BIAS mode cannot tell and reports 0).
 * Either pointer may be NULL. */
void hm_llama_sampler_counts(const struct llama_sampler *smpl, uint64_t *steps, uint64_t *marked);

/* 1 if smpl was made by hm_llama_sampler_init, else 0. */
int hm_llama_sampler_is_hallmark(const struct llama_sampler *smpl);

#ifdef __cplusplus
}
#endif

#endif /* HALLMARK_LLAMA_H */
