/*
 * prf.h - the Hallmark keyed PRF, version "hm-prf-v1" (private header).
 *
 * One domain-separated cryptographic PRF serves every Hallmark-native scheme,
 * on the embedding side and the detection side alike.  Inputs: the 32-byte
 * key, a scheme id, the context tokens, a candidate token and a stream
 * (tournament layer, payload symbol, ...).  Output: 64 bits.
 *
 *   K_s  = BLAKE2b-256(key = secret, msg = "hallmark-prf-v1" 0x00 || LE32(scheme))
 *   S    = SipHash-2-4-128(key = K_s[0..16],
 *                          msg = "C" || LE32(n) || LE32(ctx[0]) .. LE32(ctx[n-1]))
 *   hi   = SipHash-2-4-64(key = S, msg = LE32(t >> 3) || LE32(stream) || "G")
 *   lo   = SipHash-2-4-64(key = S, msg = LE32(t) || LE32(stream))
 *   out  = (byte (t & 7) of LE64(hi)) << 56  |  (lo >> 8)
 *
 * so the top byte of a candidate's output comes from a hash shared by 8
 * consecutive ids.  That lets a sampler bound every candidate's value from
 * V/8 hashes and finish only the few candidates that can still matter (see
 * docs/prf.md), while detection pays three SipHash calls per scored token.
 * Uniform doubles take the top 52 bits: u = ((out >> 12) + 0.5) / 2^52,
 * exactly representable (as is 1 - u), so u is never 0 or 1.  Integers are little-endian everywhere; the results are
 * identical on every platform.
 *
 * hm_prf and hm_prf_ctx hold no pointers: copy them with memcpy, wipe them
 * with hm_prf_wipe.  Both are read-only after initialization, so one may be
 * shared by threads.
 */
#ifndef HM_PRF_H
#define HM_PRF_H

#include <stddef.h>
#include <stdint.h>

#define HM_PRF_VERSION "hm-prf-v1"
#define HM_PRF_SECRET_BYTES 32

/* Scheme ids: part of the PRF input, so schemes never share values. */
enum hm_prf_scheme {
    HM_PRF_SCHEME_KGW = 1,
    HM_PRF_SCHEME_UNIGRAM = 2,
    HM_PRF_SCHEME_GUMBEL = 3,
    HM_PRF_SCHEME_PAYLOAD = 4,
    HM_PRF_SCHEME_FINGERPRINT = 5,
    HM_PRF_SCHEME_SELFTEST = 0x7fffffff
};

/* Per (key, scheme) state. */
typedef struct hm_prf {
    uint8_t ctx_key[16]; /* K_s[0..16]: keys the context hash */
    uint8_t aux_key[16]; /* K_s[16..32]: reserved for scheme-level hashes */
    uint32_t scheme;
} hm_prf;

/* Per context state: computed once per context, then used per candidate. */
typedef struct hm_prf_ctx {
    uint8_t key[16];
} hm_prf_ctx;

/* Derives the per-scheme state from a 32-byte secret.  Returns 0 (HM_OK) or
 * HM_E_CRYPTO. */
int hm_prf_init(hm_prf *prf, const uint8_t secret[HM_PRF_SECRET_BYTES], uint32_t scheme);

/* Hashes a context of `n` tokens (oldest first; n may be 0). */
void hm_prf_context(const hm_prf *prf, hm_prf_ctx *ctx, const uint32_t *tokens, size_t n);

/* The full 64-bit output for one candidate. */
uint64_t hm_prf_value(const hm_prf_ctx *ctx, uint32_t candidate, uint32_t stream);

/* The top bytes of candidates 8*group .. 8*group+7, in byte i for candidate
 * 8*group+i (i.e. out[i] == hm_prf_value(ctx, 8*group+i, stream) >> 56). */
void hm_prf_group_bytes(const hm_prf_ctx *ctx, uint32_t group, uint32_t stream, uint8_t out[8]);

/* Completes a candidate whose top byte is already known (from
 * hm_prf_group_bytes): returns the same value hm_prf_value would. */
uint64_t hm_prf_value_with_top(const hm_prf_ctx *ctx, uint32_t candidate, uint32_t stream,
                               uint8_t top);

/* Maps a 64-bit output to a uniform double in (0, 1) using its top 52 bits:
 * the midpoint (k + 1/2) / 2^52 of the k-th of 2^52 equal cells.  Every
 * such value and its complement 1 - u are exact doubles, so u is never 0 or
 * 1 and -log(1 - u) is finite.  (The earlier ((out >> 11) + 0.5) / 2^53
 * cannot be represented above 1/2: it rounded, and the top cell to 1.0.) */
static inline double hm_prf_unit(uint64_t v)
{
    return ((double)(v >> 12) + 0.5) * (1.0 / 4503599627370496.0);
}

/* Wipes key material. */
void hm_prf_wipe(hm_prf *prf);

#endif /* HM_PRF_H */
