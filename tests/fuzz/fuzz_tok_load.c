/* fuzz_tok_load.c - libFuzzer target: both tokenizer file loaders on
 * arbitrary bytes (the first byte picks tiktoken-as-cl100k_base, tiktoken by
 * sha256, or tokenizer.json), then, if loading succeeded, encode and decode
 * the input with the loaded tokenizer.  No crash, leak or UB. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hm_tokenizer *t = NULL;
    char err[256];
    unsigned mode;
    int rc;
    if (size < 1) return 0;
    mode = data[0] % 3;
    data++;
    size--;
    if (mode == 2 && (size == 0 || data[0] != '{')) return 0;
    rc = hm_tokenizer_load_memory(&t, data, size, mode == 0 ? "cl100k_base" : NULL, err,
                                  sizeof err);
    if (rc != HM_OK) {
        if (t || strlen(err) >= sizeof err) abort();
        return 0;
    }
    {
        hm_tok_output o;
        size_t need = 0;
        unsigned char *buf;
        uint32_t id = 0;
        hm_tok_output_init(&o);
        if (hm_tokenizer_encode(t, NULL, data, size < 4096 ? size : 4096,
                                HM_TOK_OFFSETS | HM_TOK_SPECIAL, &o) != HM_OK)
            abort();
        rc = hm_tokenizer_decode(t, o.ids, o.len, NULL, 0, &need);
        if (rc == HM_E_RANGE) {
            buf = malloc(need + 1);
            if (!buf || hm_tokenizer_decode(t, o.ids, o.len, buf, need, &need) != HM_OK) abort();
            free(buf);
        }
        (void)hm_tokenizer_special_id(t, "<|endoftext|>", &id);
        (void)hm_tokenizer_vocab_size(t);
        hm_tok_output_clear(&o);
    }
    hm_tokenizer_free(t);
    return 0;
}
