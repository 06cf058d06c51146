/*
 * hallmark/canon.h - canonical text before tokenizing.
 *
 * The cheapest attacks on a text watermark change no word: they replace
 * spaces with U+00A0, insert zero-width characters or soft hyphens, swap
 * Latin letters for Cyrillic look-alikes, use fullwidth forms or double the
 * spaces.  Every one of them changes the token ids, and so erases the mark
 * for a detector that tokenizes the text as given (docs/robustness.md).
 *
 * hm_canon_text() undoes them, using ICU (docs/canonical.md):
 *   1. Unicode NFKC (compatibility forms: fullwidth letters, U+00A0 and the
 *      other compatibility spaces, ligatures);
 *   2. removal of default-ignorable code points and format characters
 *      (general category Cf: zero-width spaces and joiners, soft hyphens,
 *      bidi controls, tags, variation selectors);
 *   3. space folding: every white-space character other than a line break
 *      becomes U+0020 and runs of spaces become one space; line-break folding:
 *      CR LF, CR, NEL, VT, FF, U+2028 and U+2029 become LF and runs of more
 *      than two line breaks (spaces between them ignored) become two;
 *   4. look-alike folding, only in words whose script is mixed (a word is a
 *      maximal run of letters, marks and digits): a letter of a minority
 *      script whose uspoof confusable skeleton is a letter of the word's
 *      majority script is replaced by it (Cyrillic "а" in "pаper" becomes
 *      Latin "a").  A one-script word is folded only when it stands between
 *      two words of one other script and every one of its letters folds
 *      (a lone Cyrillic "а" amid English).  Text written in one non-Latin
 *      script is never folded.
 * Clean text is returned byte for byte: ASCII text without CR, tabs, other
 * control spaces, doubled spaces or runs of three line breaks is copied
 * (fast path) and `changed` is 0.  Invalid UTF-8 bytes are copied unchanged.
 *
 * Because canonical text can differ from honest text too (a model may emit
 * U+2026 or U+00A0), detectors test both the text as given and the canonical
 * text and correct for the two tests with hm_canon_combine_logp().
 *
 * Thread-safety: an hm_canon is immutable and may be shared by threads; an
 * hm_canon_output belongs to one thread.
 */
#ifndef HALLMARK_CANON_H
#define HALLMARK_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "tokenizer.h"

HM_BEGIN_DECLS

typedef struct hm_canon hm_canon;

/* What the canonical step changed, in code points (or runs). */
typedef struct hm_canon_counts {
    uint64_t removed_invisible;  /* default-ignorable / format characters removed */
    uint64_t normalized;         /* characters changed by NFKC (fullwidth, ligatures, ...) */
    uint64_t fullwidth;          /* of which fullwidth or halfwidth forms (U+FF00..U+FFEF) */
    uint64_t spaces_mapped;      /* non-ASCII or control spaces that became U+0020 */
    uint64_t spaces_collapsed;   /* spaces removed from runs of spaces */
    uint64_t line_breaks_folded; /* line breaks mapped to LF or removed from long runs */
    uint64_t lookalikes_folded;  /* look-alike letters folded to the word's script */
    uint64_t invalid_bytes;      /* invalid UTF-8 bytes (copied unchanged) */
} hm_canon_counts;

/* The canonical text and its map back to the input.  Initialize with
 * hm_canon_output_init; hm_canon_text overwrites it (growing the arrays);
 * hm_canon_output_clear frees them.  text[len] is a NUL.  For each canonical
 * byte i, the input bytes it came from are [src_start[i], src_end[i]). */
typedef struct hm_canon_output {
    char *text;
    size_t len;
    size_t *src_start;
    size_t *src_end;
    size_t cap;
    size_t input_len;
    int changed; /* 1 if text differs from the input */
    hm_canon_counts counts;
} hm_canon_output;

/* Adds the counts of b to a (e.g. a document's prompt and text, or a
 * corpus's documents).  Since 0.1.0. */
HM_API void hm_canon_counts_add(hm_canon_counts *a, const hm_canon_counts *b);

/* Creates a canonicalizer (opens ICU's NFKC instance and a spoof checker).
 * Returns HM_OK, HM_E_NOMEM or HM_E_UNSUPPORTED (ICU data missing).
 * Free with hm_canon_free.  Since 0.1.0. */
HM_API HM_WARN_UNUSED int hm_canon_new(hm_canon **out);
HM_API void hm_canon_free(hm_canon *c);

HM_API void hm_canon_output_init(hm_canon_output *out);
HM_API void hm_canon_output_clear(hm_canon_output *out);

/* Canonicalizes text[0..len) into *out.  Returns HM_OK, HM_E_MISUSE or
 * HM_E_NOMEM.  Since 0.1.0. */
HM_API int hm_canon_text(const hm_canon *c, const char *text, size_t len, hm_canon_output *out);

/* Maps canonical bytes [start, end) back to input bytes [*ostart, *oend).
 * HM_OK or HM_E_RANGE.  Since 0.1.0. */
HM_API int hm_canon_map(const hm_canon_output *out, size_t start, size_t end, size_t *ostart,
                        size_t *oend);

/* Rewrites the offsets of tokens encoded from out->text (HM_TOK_OFFSETS)
 * into byte offsets of the original input, for highlighting.  HM_OK,
 * HM_E_MISUSE or HM_E_RANGE.  Since 0.1.0. */
HM_API int hm_canon_map_tokens(const hm_canon_output *out, hm_tok_output *tokens);

/* One English sentence for the result: "removed 312 invisible characters;
 * folded 40 look-alike letters" or "no change".  Returns the length written
 * (truncated to cap - 1).  Since 0.1.0. */
HM_API size_t hm_canon_describe(const hm_canon_counts *counts, char *buf, size_t cap);

/* Which of the two tests gave the combined p-value. */
enum { HM_CANON_FIRED_GIVEN = 0, HM_CANON_FIRED_CANONICAL = 1 };

/* The one rule for combining the test of the text as given (ln_p_given) with
 * the test of the canonical text (ln_p_canonical): when the canonical step
 * changed the scored token ids (`differ`), ln(min(1, 2 min(p_given,
 * p_canonical))), Bonferroni over the two tests, valid under any dependence
 * between them; otherwise the two tests are one test and ln_p_given is
 * returned unchanged.  *fired (may be NULL) receives HM_CANON_FIRED_*.
 * Conditioning on `differ` is valid: it depends on the text only, never on
 * the key (docs/statistics.md).  Since 0.1.0. */
HM_API double hm_canon_combine_logp(double ln_p_given, double ln_p_canonical, int differ,
                                    int *fired);

HM_END_DECLS

#endif /* HALLMARK_CANON_H */
