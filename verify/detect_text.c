/*
 * detect_text.c - the default test of a text (hallmark/detect_text.h): the
 * whole-document test and the most significant span under a Bonferroni
 * correction, on the text as given and on its canonical text.
 */
#include "hallmark/detect_text.h"
#include "hallmark/error.h"
#include "hallmark/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double hm_detect_combine_span_logp(double ln_p_whole, const hm_span *span, double n_keys,
                                   int *fired)
{
    double ls;
    if (fired) *fired = HM_DEFAULT_FIRED_WHOLE;
    if (!span || span->n_scored == 0 || span->n_windows <= 1 || isnan(span->ln_p))
        return ln_p_whole;
    if (!(n_keys >= 1)) n_keys = 1;
    ls = span->ln_p + log(n_keys);
    if (ls > 0) ls = 0;
    if (ls < ln_p_whole) {
        if (fired) *fired = HM_DEFAULT_FIRED_SPAN;
        return hm_stats_bonferroni_logp(ls, 2.0);
    }
    return hm_stats_bonferroni_logp(ln_p_whole, 2.0);
}

static int test_ids(const hm_detector *d, const uint32_t *prompt, size_t n_prompt,
                    const uint32_t *ids, size_t n, unsigned flags, hm_text_test *t)
{
    hm_token_detail *det = NULL;
    int s;
    memset(t, 0, sizeof *t);
    t->n_tokens = n;
    if (!(flags & HM_TEXT_WHOLE_ONLY)) {
        det = calloc(n ? n : 1, sizeof *det);
        if (!det) return HM_E_NOMEM;
    }
    s = hm_detect(d, prompt, n_prompt, ids, n, &t->whole, det);
    if (s == HM_OK && det) s = hm_detect_localize(d, det, n, &t->span);
    free(det);
    if (s != HM_OK) return s;
    t->ln_p = hm_detect_combine_span_logp(t->whole.ln_p, det ? &t->span : NULL, 1.0, &t->fired);
    return HM_OK;
}

static int same(const hm_tok_output *a, const hm_tok_output *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->ids, b->ids, a->len * sizeof *a->ids));
}

int hm_detect_text(const hm_detector *d, const hm_tokenizer *tok, const hm_canon *canon,
                   unsigned tok_flags, unsigned flags, const char *prompt, size_t prompt_len,
                   const char *text, size_t len, hm_text_result *res)
{
    hm_tok_output g, gp, c, cp;
    hm_canon_output ct, cpt;
    int s;
    tok_flags &= HM_TOK_SPECIAL;
    if (!d || !tok || !res || (len && !text) || (prompt_len && !prompt)) return HM_E_MISUSE;
    memset(res, 0, sizeof *res);
    res->struct_size = sizeof *res;
    hm_tok_output_init(&g);
    hm_tok_output_init(&gp);
    hm_tok_output_init(&c);
    hm_tok_output_init(&cp);
    hm_canon_output_init(&ct);
    hm_canon_output_init(&cpt);
    s = hm_tokenizer_encode(tok, NULL, text, len, tok_flags, &g);
    if (s == HM_OK && prompt) s = hm_tokenizer_encode(tok, NULL, prompt, prompt_len, tok_flags, &gp);
    if (s == HM_OK) s = test_ids(d, prompt ? gp.ids : NULL, gp.len, g.ids, g.len, flags, &res->given);
    res->ln_p = res->given.ln_p;
    if (s == HM_OK && canon) {
        s = hm_canon_text(canon, text, len, &ct);
        if (s == HM_OK && prompt) s = hm_canon_text(canon, prompt, prompt_len, &cpt);
        if (s == HM_OK) {
            res->counts = ct.counts;
            if (prompt) hm_canon_counts_add(&res->counts, &cpt.counts);
            res->text_changed = ct.changed || cpt.changed;
        }
        if (s == HM_OK && res->text_changed) {
            s = hm_tokenizer_encode(tok, NULL, ct.text, ct.len, tok_flags, &c);
            if (s == HM_OK && prompt)
                s = hm_tokenizer_encode(tok, NULL, cpt.text, cpt.len, tok_flags, &cp);
            if (s == HM_OK && (!same(&g, &c) || (prompt && !same(&gp, &cp)))) {
                res->canonical_tested = 1;
                s = test_ids(d, prompt ? cp.ids : NULL, cp.len, c.ids, c.len, flags, &res->canonical);
                if (s == HM_OK)
                    res->ln_p = hm_canon_combine_logp(res->given.ln_p, res->canonical.ln_p, 1,
                                                      &res->fired);
            }
        }
    }
    hm_tok_output_clear(&g);
    hm_tok_output_clear(&gp);
    hm_tok_output_clear(&c);
    hm_tok_output_clear(&cp);
    hm_canon_output_clear(&ct);
    hm_canon_output_clear(&cpt);
    return s;
}
