/*
 * eos_text.c - `--eos ID` on text input.  An end-of-sequence token is
 * usually a special token ("<|endoftext|>"), which text is not tokenized
 * into unless --special is given: without this, --eos on text did nothing.
 * Here the EOS token's own text, at its first occurrence in the input,
 * becomes the EOS id (and only that one special token: the rest of the
 * text is tokenized as before), so the detector stops scoring there.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Appends one id with its byte range. */
static int push_id(hm_tok_output *out, uint32_t id, uint64_t start, uint64_t end, int offsets)
{
    if (out->len == out->cap || (offsets && !out->offsets)) {
        size_t nc = out->cap > out->len ? out->cap : (out->cap ? 2 * out->cap : 16);
        uint32_t *ni = realloc(out->ids, nc * sizeof *ni);
        if (!ni) return HM_E_NOMEM;
        out->ids = ni;
        if (offsets) {
            hm_tok_span *no = realloc(out->offsets, nc * sizeof *no);
            if (!no) return HM_E_NOMEM;
            out->offsets = no;
        }
        out->cap = nc;
    }
    out->ids[out->len] = id;
    if (offsets) {
        out->offsets[out->len].start = start;
        out->offsets[out->len].end = end;
    }
    out->len++;
    return HM_OK;
}

int cli_encode_text(const hm_tokenizer *tok, hm_tok_scratch *scratch, const unsigned char *text,
                    size_t len, unsigned flags, long long eos, hm_tok_output *out)
{
    const unsigned char *eb = NULL, *at = NULL;
    size_t elen = 0, i, before, off;
    int offsets = (flags & HM_TOK_OFFSETS) != 0, s;
    if (eos < 0 || eos > (long long)UINT32_MAX || (flags & HM_TOK_SPECIAL) ||
        hm_tokenizer_token_bytes(tok, (uint32_t)eos, &eb, &elen) != HM_OK || elen == 0)
        return hm_tokenizer_encode(tok, scratch, text, len, flags, out);
    {
        /* an ordinary token: the tokenizer produces it by itself */
        hm_tok_output t;
        hm_tok_output_init(&t);
        s = hm_tokenizer_encode(tok, scratch, eb, elen, 0, &t);
        if (s == HM_OK && t.len == 1 && t.ids[0] == (uint32_t)eos) s = -1;
        hm_tok_output_clear(&t);
        if (s != HM_OK) return s == -1 ? hm_tokenizer_encode(tok, scratch, text, len, flags, out) : s;
    }
    for (i = 0; i + elen <= len; i++)
        if (text[i] == eb[0] && memcmp(text + i, eb, elen) == 0) {
            at = text + i;
            break;
        }
    if (!at) return hm_tokenizer_encode(tok, scratch, text, len, flags, out);
    off = (size_t)(at - text);
    s = hm_tokenizer_encode(tok, scratch, text, off, flags, out);
    if (s == HM_OK) s = push_id(out, (uint32_t)eos, off, off + elen, offsets);
    before = out->len;
    if (s == HM_OK) s = hm_tokenizer_encode(tok, scratch, at + elen, len - off - elen, flags, out);
    if (s == HM_OK && offsets && out->offsets)
        for (i = before; i < out->len; i++) {
            out->offsets[i].start += off + elen;
            out->offsets[i].end += off + elen;
        }
    return s;
}
