/*
 * fuzz_report.c - libFuzzer target for the parsers `hallmark report verify`
 * runs on untrusted files: the signature-file check, the HTML renderer and
 * the recomputation over any report.json, and the RFC 3161 response parser.
 * Any input must give a status, never a crash, leak or hang.  Seeds:
 * tests/fuzz/seeds/fuzz_report/ (a report.json and its signature file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark.h"
#include "hallmark/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hm_key *pub = NULL, *wm = NULL;
    static const uint32_t ids[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const char text[] = "some text for the offsets";
    const hm_key *keys[1];
    char *out = NULL, gt[64];
    size_t n = 0, nd = 0;
    if (!pub) {
        uint8_t seed[32];
        hm_key *sk = NULL;
        if (hm_init() != HM_OK) abort();
        memset(seed, 0x5a, sizeof seed);
        if (hm_key_signing_from_seed(seed, 0, &sk) != HM_OK || hm_key_public(sk, &pub) != HM_OK)
            abort();
        hm_key_free(sk);
        memset(seed, 7, sizeof seed);
        if (hm_key_from_bytes(seed, 0, &wm) != HM_OK) abort();
    }
    (void)hm_report_verify_signature(pub, data, size, (const char *)data, size);
    if (hm_report_html((const char *)data, size, (const uint8_t *)text, sizeof text - 1, &out,
                       &n) == HM_OK)
        hm_report_buffer_free(out);
    out = NULL;
    keys[0] = wm;
    if (hm_report_recompute((const char *)data, size, keys, 1, ids, 8, NULL, 0, &out, &nd) ==
        HM_OK)
        hm_report_buffer_free(out);
    (void)hm_report_ts_verify(data, size, NULL, 0, data, size, data, size, gt, sizeof gt);
    return 0;
}
