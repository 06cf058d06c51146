/*
 * hallmark/detect_text.h - the default test of a text, in one call.
 *
 * A text is tested twice over, and every test is accounted for
 * (docs/statistics.md, "The default test of a document"):
 *   - the whole-document test (hm_detect) and the most significant span
 *     (hm_detect_localize, already corrected for every window it tried) are
 *     combined by hm_detect_combine_span_logp: Bonferroni over the two, so
 *     that a marked passage pasted into a longer human document is found by
 *     default (docs/robustness.md);
 *   - the text as given and its canonical text (hallmark/canon.h) are
 *     combined by hm_canon_combine_logp when the canonical step changes the
 *     token ids.
 * hm_detect_text is the library form of `hallmark detect` for one key; report
 * recomputation uses it so that the two agree.
 */
#ifndef HALLMARK_DETECT_TEXT_H
#define HALLMARK_DETECT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "canon.h"
#include "detect.h"
#include "export.h"
#include "tokenizer.h"

HM_BEGIN_DECLS

/* Which of the whole-document test and the span gave the default p. */
enum { HM_DEFAULT_FIRED_WHOLE = 0, HM_DEFAULT_FIRED_SPAN = 1 };

/* The one rule for the default test: ln(min(1, 2 min(p_whole, n_keys p_span)))
 * where p_span = exp(span->ln_p) is the span's p corrected for its windows
 * and n_keys (>= 1) the number of keys the best key was chosen from (the span
 * is computed for the best key only; Bonferroni over keys).  When the span
 * search tried at most one window (span NULL, span->n_scored == 0 or
 * span->n_windows <= 1) that window is the whole document and ln_p_whole is
 * returned unchanged.  *fired (may be NULL) receives HM_DEFAULT_FIRED_*.
 * Since 0.1.0. */
HM_API double hm_detect_combine_span_logp(double ln_p_whole, const hm_span *span, double n_keys,
                                          int *fired);

/* One version of the text (as given, or canonical). */
typedef struct hm_text_test {
    hm_detect_result whole; /* the whole-document test */
    hm_span span;           /* the most significant span (token indices of this version) */
    double ln_p;            /* whole and span combined (hm_detect_combine_span_logp) */
    int fired;              /* HM_DEFAULT_FIRED_* */
    size_t n_tokens;        /* tokens of this version */
} hm_text_test;

typedef struct hm_text_result {
    size_t struct_size;
    hm_text_test given;       /* the text as given */
    hm_text_test canonical;   /* the canonical text; valid when canonical_tested */
    int canonical_tested;     /* the canonical step changed the token ids: two tests */
    int text_changed;         /* the canonical text differs from the text */
    int fired;                /* HM_CANON_FIRED_* */
    double ln_p;              /* the reported p-value: everything combined */
    hm_canon_counts counts;   /* what the canonical step changed (text and prompt) */
} hm_text_result;

#define HM_TEXT_WHOLE_ONLY 1u /* no span search: the whole-document test only */

/* Tests text[0..len) (after prompt[0..prompt_len), which may be NULL/0:
 * it only feeds contexts) for d's watermark: tokenizes with tok
 * (tok_flags: HM_TOK_SPECIAL or 0), runs the default test above on the text
 * as given and, when canon is not NULL and changes the ids, on the canonical
 * text, and fills *res.  Returns HM_OK, HM_E_MISUSE or HM_E_NOMEM (or a
 * tokenizer error).  Thread-safe for concurrent calls with distinct results.
 * Since 0.1.0. */
HM_API int hm_detect_text(const hm_detector *d, const hm_tokenizer *tok, const hm_canon *canon,
                          unsigned tok_flags, unsigned flags, const char *prompt,
                          size_t prompt_len, const char *text, size_t len, hm_text_result *res);

HM_END_DECLS

#endif /* HALLMARK_DETECT_TEXT_H */
