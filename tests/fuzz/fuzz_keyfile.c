/*
 * fuzz_keyfile.c - libFuzzer target for the key-file parser: any input must
 * give a status (never a crash, leak or hang), and whatever parses must
 * survive a save/load round trip unchanged.  Seeds: tests/fuzz/seeds/fuzz_keyfile/
 * (key files of every kind; the encrypted ones use HM_KDF_MIN and the
 * passphrase below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark.h"
#include "hallmark/key.h"
#include "key_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char pass[] = "fuzz";
    hm_key *k = NULL, *again = NULL;
    uint8_t *img = NULL;
    size_t n = 0;
    int kind = 0, enc = 0;
    (void)hm_key_probe(data, size, &kind, &enc);
    if (hm_key_load(data, size, pass, sizeof pass - 1, &k) != HM_OK) return 0;
    if (hm_key_kind(k) == HM_KEY_PUBLIC) {
        if (hm_key_save_public(k, &img, &n) != HM_OK) abort();
    } else if (hm_key_save_insecure(k, &img, &n) != HM_OK) {
        abort();
    }
    if (hm_key_load(img, n, NULL, 0, &again) != HM_OK) abort();
    if (hm_key_kind(k) != hm_key_kind(again) || hm_key_created(k) != hm_key_created(again)) abort();
    if (hm_key_secret(k) && memcmp(hm_key_secret(k), hm_key_secret(again), HM_KEY_SECRET_BYTES) != 0)
        abort();
    hm_key_buffer_free(img, n);
    hm_key_free(again);
    hm_key_free(k);
    return 0;
}
