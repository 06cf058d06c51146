/* test_canon.c - canonical text (hallmark/canon.h): each scrub is undone,
 * clean text is untouched, legitimate non-Latin text is not folded, the
 * byte map points back into the input, and the two-test combination. */
#include "harness.h"
#include "hallmark.h"

#include <math.h>
#include <stdlib.h>

static hm_canon *C;

static const char *canon(const char *in, hm_canon_output *o)
{
    if (!C && hm_canon_new(&C) != HM_OK) return NULL;
    if (hm_canon_text(C, in, strlen(in), o) != HM_OK) return NULL;
    return o->text;
}

#define CHECK_CANON(in, want)                                                  \
    do {                                                                       \
        hm_canon_output o_;                                                    \
        const char *got_;                                                      \
        hm_canon_output_init(&o_);                                             \
        got_ = canon(in, &o_);                                                 \
        CHECK(got_ != NULL);                                                   \
        if (got_) CHECK_STR(got_, want);                                       \
        hm_canon_output_clear(&o_);                                            \
    } while (0)

HM_TEST(canon_clean_ascii_unchanged)
{
    hm_canon_output o;
    const char *t = "In the beginning God created the heaven and the earth.\nAnd the earth was";
    hm_canon_output_init(&o);
    REQUIRE(canon(t, &o) != NULL);
    CHECK_STR(o.text, t);
    CHECK_EQ_INT(o.changed, 0);
    CHECK_EQ_INT(o.src_start[5], 5);
    CHECK_EQ_INT(o.src_end[5], 6);
    REQUIRE(canon("", &o) != NULL);
    CHECK_EQ_INT(o.len, 0);
    CHECK_EQ_INT(o.changed, 0);
    hm_canon_output_clear(&o);
}

HM_TEST(canon_undoes_scrubs)
{
    CHECK_CANON("the\xc2\xa0" "earth\xc2\xa0was", "the earth was");          /* NBSP */
    CHECK_CANON("t\xe2\x80\x8bhe ea\xc2\xad" "rth", "the earth");             /* ZWSP, SHY */
    CHECK_CANON("\xef\xbb\xbfthe e\xe2\x80\x8d" "arth\xe2\x81\xa0", "the earth"); /* BOM, ZWJ, WJ */
    CHECK_CANON("the  earth\t\twas", "the earth was");                        /* doubled spaces, tabs */
    CHECK_CANON("a\r\nb\rc\n\n\n\nd", "a\nb\nc\n\nd");                         /* line breaks */
    CHECK_CANON("\xef\xbd\x94he \xef\xbc\xa5" "arth", "the Earth");           /* fullwidth */
    CHECK_CANON("the\xe2\x80\x89" "earth\xe3\x80\x80was", "the earth was");   /* thin, ideographic */
    /* Cyrillic look-alikes in Latin words, also a lone one-letter word */
    CHECK_CANON("th\xd0\xb5 \xd0\xb5" "arth \xd0\xb0nd \xd0\xb0 " "c\xd0\xbe" "w \xd0\x90" "braham",
                "the earth and a cow Abraham");
    CHECK_CANON("\xd0\xbe" "f the", "of the"); /* a tie: the next word decides */
}

HM_TEST(canon_keeps_legitimate_text)
{
    /* Russian, Greek and mixed-language text with no mixed-script word */
    CHECK_CANON("\xd0\xb0 \xd0\xbe\xd0\xbd \xd1\x81\xd0\xba\xd0\xb0\xd0\xb7\xd0\xb0\xd0\xbb",
                "\xd0\xb0 \xd0\xbe\xd0\xbd \xd1\x81\xd0\xba\xd0\xb0\xd0\xb7\xd0\xb0\xd0\xbb");
    CHECK_CANON("\xce\xbf \xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82", "\xce\xbf \xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82");
    CHECK_CANON("caf\xc3\xa9 na\xc3\xafve", "caf\xc3\xa9 na\xc3\xafve");
    CHECK_CANON("the word \xd0\xb4\xd0\xb0 means yes", "the word \xd0\xb4\xd0\xb0 means yes");
    CHECK_CANON("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}

HM_TEST(canon_map_and_counts)
{
    hm_canon_output o;
    size_t a, b;
    char d[256];
    /* "x" U+00A0 "y" ZWSP "z" */
    const char *t = "x\xc2\xa0y\xe2\x80\x8bz";
    hm_canon_output_init(&o);
    REQUIRE(canon(t, &o) != NULL);
    CHECK_STR(o.text, "x yz");
    CHECK_EQ_INT(o.changed, 1);
    CHECK_OK(hm_canon_map(&o, 1, 2, &a, &b)); /* the space */
    CHECK_EQ_INT(a, 1);
    CHECK_EQ_INT(b, 3);
    CHECK_OK(hm_canon_map(&o, 3, 4, &a, &b)); /* z */
    CHECK_EQ_INT(a, 7);
    CHECK_EQ_INT(b, 8);
    CHECK_EQ_INT(o.counts.removed_invisible, 1);
    CHECK_EQ_INT(o.counts.spaces_mapped, 1);
    hm_canon_describe(&o.counts, d, sizeof d);
    CHECK_STR(d, "removed 1 invisible (zero-width or format) character; replaced 1 non-ASCII or "
                 "control space with a space");
    CHECK(hm_canon_map(&o, 3, 9, &a, &b) == HM_E_RANGE);
    /* invalid UTF-8 is copied */
    REQUIRE(hm_canon_text(C, "a\xff" "b", 3, &o) == HM_OK);
    CHECK_EQ_INT(o.len, 3);
    CHECK_EQ_INT(o.counts.invalid_bytes, 1);
    CHECK_EQ_INT(o.changed, 0);
    hm_canon_output_clear(&o);
}

HM_TEST(canon_combine_rule)
{
    int fired = -1;
    double l = hm_canon_combine_logp(log(1e-3), log(1e-9), 1, &fired);
    CHECK(fabs(l - log(2e-9)) < 1e-12);
    CHECK_EQ_INT(fired, HM_CANON_FIRED_CANONICAL);
    l = hm_canon_combine_logp(log(1e-3), log(1e-9), 0, &fired);
    CHECK(fabs(l - log(1e-3)) < 1e-12);
    CHECK_EQ_INT(fired, HM_CANON_FIRED_GIVEN);
    l = hm_canon_combine_logp(log(0.7), log(0.9), 1, &fired);
    CHECK(l == 0.0);
    hm_canon_free(C);
    C = NULL;
}

HM_TEST(detect_combine_span_rule)
{
    hm_span sp;
    int fired = -1;
    double l;
    memset(&sp, 0, sizeof sp);
    sp.n_scored = 100;
    sp.n_windows = 50;
    sp.ln_p = log(1e-12);
    l = hm_detect_combine_span_logp(log(1e-3), &sp, 1, &fired);
    CHECK(fabs(l - log(2e-12)) < 1e-9);
    CHECK_EQ_INT(fired, HM_DEFAULT_FIRED_SPAN);
    l = hm_detect_combine_span_logp(log(1e-3), &sp, 4, &fired); /* x4 keys */
    CHECK(fabs(l - log(8e-12)) < 1e-9);
    l = hm_detect_combine_span_logp(log(1e-20), &sp, 1, &fired);
    CHECK(fabs(l - log(2e-20)) < 1e-9);
    CHECK_EQ_INT(fired, HM_DEFAULT_FIRED_WHOLE);
    sp.n_windows = 1; /* one window: the span is the whole document */
    l = hm_detect_combine_span_logp(log(1e-3), &sp, 1, &fired);
    CHECK(fabs(l - log(1e-3)) < 1e-12);
    l = hm_detect_combine_span_logp(log(0.4), NULL, 1, &fired);
    CHECK(fabs(l - log(0.4)) < 1e-12);
}

HM_TEST(detect_text_given_and_canonical)
{
    char path[1024];
    hm_tokenizer *tok = NULL;
    hm_canon *c = NULL;
    hm_key *key = NULL;
    hm_detector *d = NULL;
    hm_text_result r, r2;
    uint8_t secret[32];
    const char *clean = "He answered and said unto them, Go ye into the village over against you.";
    const char *nb = "He\xc2\xa0" "answered\xc2\xa0" "and said unto them, Go ye into the village.";
    snprintf(path, sizeof path, "%s", hm_test_path("../samples/tokenizers/cl100k_base.tiktoken"));
    if (hm_tokenizer_load(&tok, path, NULL, NULL, 0) != HM_OK) {
        printf("# cl100k_base not fetched (make deps): skipped\n");
        return;
    }
    memset(secret, 7, sizeof secret);
    REQUIRE(hm_key_from_bytes(secret, 0, &key) == HM_OK);
    REQUIRE(hm_detector_new(&d, "kgw", key, NULL, 0, 0, NULL) == HM_OK);
    REQUIRE(hm_canon_new(&c) == HM_OK);
    CHECK_OK(hm_detect_text(d, tok, c, 0, 0, NULL, 0, clean, strlen(clean), &r));
    CHECK_EQ_INT(r.canonical_tested, 0);
    CHECK_EQ_INT(r.text_changed, 0);
    CHECK(r.ln_p == r.given.ln_p);
    CHECK(r.ln_p <= 0);
    CHECK_OK(hm_detect_text(d, tok, c, 0, HM_TEXT_WHOLE_ONLY, NULL, 0, clean, strlen(clean), &r2));
    CHECK(r2.ln_p == r2.given.whole.ln_p);
    CHECK_OK(hm_detect_text(d, tok, c, 0, 0, NULL, 0, nb, strlen(nb), &r));
    CHECK_EQ_INT(r.canonical_tested, 1);
    CHECK_EQ_INT(r.counts.spaces_mapped, 2);
    CHECK(r.ln_p >= (r.given.ln_p < r.canonical.ln_p ? r.given.ln_p : r.canonical.ln_p));
    CHECK_OK(hm_detect_text(d, tok, NULL, 0, 0, NULL, 0, nb, strlen(nb), &r2));
    CHECK_EQ_INT(r2.canonical_tested, 0);
    CHECK(hm_detect_text(NULL, tok, c, 0, 0, NULL, 0, nb, 3, &r) == HM_E_MISUSE);
    hm_detector_free(d);
    hm_key_free(key);
    hm_canon_free(c);
    hm_tokenizer_free(tok);
}
