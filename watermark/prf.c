/*
 * prf.c - the Hallmark keyed PRF "hm-prf-v1": BLAKE2b for the per-scheme
 * key, SipHash-2-4 (libsodium crypto_shorthash) for contexts and candidates.
 * The construction and its test vectors are specified in docs/prf.md.
 */
#include "prf.h"

#include <sodium.h>
#include <string.h>

#include "hallmark/error.h"

static void store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint64_t load64_le(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

int hm_prf_init(hm_prf *prf, const uint8_t secret[HM_PRF_SECRET_BYTES], uint32_t scheme)
{
    static const char label[] = "hallmark-prf-v1"; /* 15 bytes + the NUL = 16 */
    uint8_t msg[sizeof label + 4];
    uint8_t ks[32];
    if (sodium_init() < 0) return HM_E_CRYPTO;
    memcpy(msg, label, sizeof label);
    store32_le(msg + sizeof label, scheme);
    if (crypto_generichash(ks, sizeof ks, msg, sizeof msg, secret, HM_PRF_SECRET_BYTES) != 0)
        return HM_E_CRYPTO;
    memcpy(prf->ctx_key, ks, 16);
    memcpy(prf->aux_key, ks + 16, 16);
    prf->scheme = scheme;
    sodium_memzero(ks, sizeof ks);
    return HM_OK;
}

/* Contexts are short (a few tokens); longer ones are hashed in chunks of
 * this many tokens through an incremental encoding that equals the flat one. */
#define HM_PRF_CTX_STACK 64

void hm_prf_context(const hm_prf *prf, hm_prf_ctx *ctx, const uint32_t *tokens, size_t n)
{
    uint8_t buf[5 + 4 * HM_PRF_CTX_STACK];
    size_t i;
    if (n <= HM_PRF_CTX_STACK) {
        buf[0] = 'C';
        store32_le(buf + 1, (uint32_t)n);
        for (i = 0; i < n; i++) store32_le(buf + 5 + 4 * i, tokens[i]);
        crypto_shorthash_siphashx24(ctx->key, buf, 5 + 4 * n, prf->ctx_key);
    } else {
        /* Rare: very wide contexts.  Compress with BLAKE2b first, then hash
         * the digest; the 'L' tag keeps this domain apart from 'C'. */
        crypto_generichash_state st;
        uint8_t digest[32], tmp[4];
        crypto_generichash_init(&st, prf->ctx_key, 16, sizeof digest);
        buf[0] = 'L';
        store32_le(buf + 1, (uint32_t)n);
        crypto_generichash_update(&st, buf, 5);
        for (i = 0; i < n; i++) {
            store32_le(tmp, tokens[i]);
            crypto_generichash_update(&st, tmp, 4);
        }
        crypto_generichash_final(&st, digest, sizeof digest);
        crypto_shorthash_siphashx24(ctx->key, digest, sizeof digest, prf->ctx_key);
    }
}

void hm_prf_group_bytes(const hm_prf_ctx *ctx, uint32_t group, uint32_t stream, uint8_t out[8])
{
    uint8_t msg[9];
    store32_le(msg, group);
    store32_le(msg + 4, stream);
    msg[8] = 'G';
    crypto_shorthash_siphash24(out, msg, sizeof msg, ctx->key);
}

uint64_t hm_prf_value_with_top(const hm_prf_ctx *ctx, uint32_t candidate, uint32_t stream,
                               uint8_t top)
{
    uint8_t msg[8], h[8];
    store32_le(msg, candidate);
    store32_le(msg + 4, stream);
    crypto_shorthash_siphash24(h, msg, sizeof msg, ctx->key);
    return ((uint64_t)top << 56) | (load64_le(h) >> 8);
}

uint64_t hm_prf_value(const hm_prf_ctx *ctx, uint32_t candidate, uint32_t stream)
{
    uint8_t g[8];
    hm_prf_group_bytes(ctx, candidate >> 3, stream, g);
    return hm_prf_value_with_top(ctx, candidate, stream, g[candidate & 7]);
}

void hm_prf_wipe(hm_prf *prf) { sodium_memzero(prf, sizeof *prf); }
