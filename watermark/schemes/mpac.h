/*
 * mpac.h - private access to the multi-bit payload scheme "mpac" (for the
 * decoder in verify/payload.c and the tests).  See mpac.c and
 * docs/payload.md.
 */
#ifndef HM_MPAC_H
#define HM_MPAC_H

#include <stddef.h>
#include <stdint.h>

#define HM_MPAC_COLOURS 4      /* r = 2^2 colour lists: one 2-bit symbol per position */
#define HM_MPAC_K 7            /* constraint length of the convolutional code */
#define HM_MPAC_TAIL (HM_MPAC_K - 1)
#define HM_MPAC_MAX_BITS 64   /* payload + check bits (the code's information bits) */
#define HM_MPAC_MAX_CHECK 32
#define HM_MPAC_DEFAULT_CHECK 24
#define HM_MPAC_MAX_POS (HM_MPAC_MAX_BITS + HM_MPAC_TAIL)

/* The message position (0 .. positions-1) and the colour (0..3) of token
 * t after a context, under the scheme state `st` (an "mpac" state). */
void hm_mpac_locate(const void *st, const uint32_t *ctx, size_t nctx, uint32_t t, uint32_t *pos,
                    uint32_t *colour);

/* Payload bits B, check bits C and message positions L = B + C + 6 of a
 * state. */
uint32_t hm_mpac_bits(const void *st);
uint32_t hm_mpac_check_bits(const void *st);
uint32_t hm_mpac_positions(const void *st);

/* The keyed check of a payload: the top C bits of the PRF (scheme
 * payload, a 5-word context (payload lo, hi, B, C, "tag!"), stream 2);
 * 0 when C = 0. */
uint64_t hm_mpac_tag(const void *st, uint64_t payload);
/* The code's information word: payload | tag << B (B + C bits). */
uint64_t hm_mpac_info_word(const void *st, uint64_t payload);

/* The codeword of an information word `payload` (`bits` bits, LSB first,
 * then 6 zero tail bits)
 * under the rate-1/2 K = 7 convolutional code (generators 171, 133 octal):
 * out[j] = 2-bit symbol of position j, for j < B + 6. */
void hm_mpac_encode(uint64_t payload, uint32_t bits, uint8_t *out);

/* Maximum-likelihood (Viterbi) decoding of `bits` information bits from
 * per-position colour counts counts[j][c] (j < bits + 6): returns the word whose
 * codeword maximizes sum_j counts[j][symbol_j], and that sum in *metric. */
uint64_t hm_mpac_viterbi(const uint64_t (*counts)[HM_MPAC_COLOURS], uint32_t bits,
                         uint64_t *metric);

#endif /* HM_MPAC_H */
