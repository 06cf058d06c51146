/* fuzz_tok_encode.c - libFuzzer target: encode arbitrary bytes with every
 * pinned tokenizer (the first input byte picks the tokenizer and the flags).
 * Checks: no crash, leak or UB; offsets are monotone and inside the input;
 * decode(encode(x)) == x (all but Qwen3, whose NFC may change x); for
 * cl100k_base, o200k_base and Qwen3 the hand-written splitter gives the
 * same ids as the PCRE2 regex (on text whose code points have the same classes in the
 * Unicode versions of PCRE2 and libutf8proc).  Vocabularies are read from
 * $HM_FUZZ_TOKENIZERS or samples/tokenizers (run from the source tree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
#include "tokenizer/tok_internal.h"

#define N_TOK 7
static hm_tokenizer *toks[N_TOK];
static hm_tokenizer *regex_toks[3]; /* cl100k, o200k, qwen3 on PCRE2 */
static hm_tok_scratch *scratch;
static const char *const files[N_TOK] = {"cl100k_base.tiktoken", "o200k_base.tiktoken",
                                         "r50k_base.tiktoken",   "p50k_base.tiktoken",
                                         "qwen3.tokenizer.json", "mistral.tokenizer.json",
                                         "gpt2.tokenizer.json"};

static hm_tokenizer *load(const char *dir, const char *file)
{
    char path[4096], err[256];
    hm_tokenizer *t = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (hm_tokenizer_load(&t, path, NULL, err, sizeof err) != HM_OK) {
        fprintf(stderr, "fuzz_tok_encode: %s: %s (run make deps)\n", path, err);
        abort();
    }
    return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("HM_FUZZ_TOKENIZERS");
    int k;
    (void)argc;
    (void)argv;
    if (!dir) dir = "samples/tokenizers";
    for (k = 0; k < N_TOK; k++) toks[k] = load(dir, files[k]);
    regex_toks[0] = load(dir, files[0]);
    regex_toks[1] = load(dir, files[1]);
    regex_toks[2] = load(dir, files[4]);
    regex_toks[0]->fast = TOK_FAST_NONE; /* the PCRE2 path */
    regex_toks[1]->fast = TOK_FAST_NONE;
    regex_toks[2]->fast = TOK_FAST_NONE;
    if (hm_tok_scratch_new(&scratch) != HM_OK) abort();
    return 0;
}

/* Code points whose classes agree between PCRE2 10.42 and utf8proc 2.8. */
static int stable_text(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] >= 0xF0) return 0; /* astral planes: skip the cross-check */
        if (p[i] == 0xE0 && i + 2 < n && ((p[i + 1] == 0xB3 && p[i + 2] == 0xB3) ||
                                          (p[i + 1] == 0xBB && p[i + 2] == 0x8E)))
            return 0; /* U+0CF3, U+0ECE: new in Unicode 15 */
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hm_tok_output o, o2;
    unsigned sel, flags;
    const hm_tokenizer *t;
    size_t i, need = 0;
    uint64_t pos = 0;
    unsigned char *buf;
    if (size < 1) return 0;
    sel = data[0] % N_TOK;
    flags = HM_TOK_OFFSETS | ((data[0] & 0x80) ? HM_TOK_SPECIAL : 0u);
    t = toks[sel];
    data++;
    size--;
    hm_tok_output_init(&o);
    if (hm_tokenizer_encode(t, scratch, data, size, flags, &o) != HM_OK) abort();
    for (i = 0; i < o.len; i++) {
        if (o.offsets[i].start > o.offsets[i].end || o.offsets[i].end > size ||
            o.offsets[i].end < pos)
            abort();
        pos = o.offsets[i].end;
    }
    if (sel != 4 && !(flags & HM_TOK_SPECIAL)) {
        int rc = hm_tokenizer_decode(t, o.ids, o.len, NULL, 0, &need);
        if (rc != HM_OK && rc != HM_E_RANGE) abort();
        buf = malloc(need + 1);
        if (!buf) abort();
        if (hm_tokenizer_decode(t, o.ids, o.len, buf, need, &need) != HM_OK) abort();
        if (need != size || (size && memcmp(buf, data, size) != 0)) abort();
        free(buf);
    }
    if ((sel < 2 || sel == 4) && stable_text(data, size)) {
        hm_tok_output_init(&o2);
        if (hm_tokenizer_encode(regex_toks[sel == 4 ? 2 : sel], scratch, data, size,
                                flags & ~HM_TOK_OFFSETS,
                                &o2) != HM_OK)
            abort();
        if (o2.len != o.len || (o.len && memcmp(o2.ids, o.ids, o.len * sizeof *o.ids) != 0))
            abort();
        hm_tok_output_clear(&o2);
    }
    hm_tok_output_clear(&o);
    return 0;
}
