/*
 * harness.h - the unit-test harness.
 *
 * A test is a function declared with HM_TEST(name) in any tests/test_*.c file;
 * it registers itself at start-up, so adding a test needs no central list.
 * CHECK* macros record a failure and carry on; REQUIRE* record it and return
 * from the test.  The runner prints one TAP-style line per test
 * ("ok - name" / "not ok - name") and diagnostics as "# ..." lines;
 * tests/run.sh counts them and prints the closing "N passed, N failed".
 *
 * Set HM_TEST_FILTER=substring to run a subset.  HM_TEST_DIR is the source
 * tree's tests/ directory (for vectors); hm_test_path() joins onto it.
 */
#ifndef HM_TEST_HARNESS_H
#define HM_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*hm_test_fn)(void);

void hm_test_register(const char *name, hm_test_fn fn, const char *file);
void hm_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hm_test_failed_now(void);
/* Joins `rel` onto the tests/ directory; static buffer, valid until next call. */
const char *hm_test_path(const char *rel);

#define HM_TEST(name)                                                          \
    static void name(void);                                                    \
    __attribute__((constructor)) static void name##_register(void)             \
    {                                                                          \
        hm_test_register(#name, name, __FILE__);                               \
    }                                                                          \
    static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) hm_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);     \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            hm_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);            \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long hm_a_ = (long long)(a), hm_b_ = (long long)(b);              \
        if (hm_a_ != hm_b_)                                                    \
            hm_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, \
                         hm_a_, hm_b_);                                        \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                     \
    do {                                                                       \
        unsigned long long hm_a_ = (unsigned long long)(a),                    \
                           hm_b_ = (unsigned long long)(b);                    \
        if (hm_a_ != hm_b_)                                                    \
            hm_test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, \
                         hm_a_, hm_b_);                                        \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *hm_a_ = (a), *hm_b_ = (b);                                 \
        if (!hm_a_ || !hm_b_ || strcmp(hm_a_, hm_b_) != 0)                     \
            hm_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, \
                         #b, hm_a_ ? hm_a_ : "(null)",                         \
                         hm_b_ ? hm_b_ : "(null)");                            \
    } while (0)

/* |a - b| <= rtol * |b| (or both equal, including infinities). */
#define CHECK_REL(a, b, rtol)                                                  \
    do {                                                                       \
        double hm_a_ = (double)(a), hm_b_ = (double)(b);                       \
        if (!(hm_a_ == hm_b_ ||                                                \
              fabs(hm_a_ - hm_b_) <= (rtol) * fabs(hm_b_)))                    \
            hm_test_fail(__FILE__, __LINE__,                                   \
                         "%s ~ %s: %.17g vs %.17g (rtol %g)", #a, #b, hm_a_,   \
                         hm_b_, (double)(rtol));                               \
    } while (0)

#define CHECK_OK(expr)                                                         \
    do {                                                                       \
        int hm_s_ = (expr);                                                    \
        if (hm_s_ != 0)                                                        \
            hm_test_fail(__FILE__, __LINE__, "%s returned %d", #expr, hm_s_);  \
    } while (0)

#define REQUIRE_OK(expr)                                                       \
    do {                                                                       \
        int hm_s_ = (expr);                                                    \
        if (hm_s_ != 0) {                                                      \
            hm_test_fail(__FILE__, __LINE__, "%s returned %d", #expr, hm_s_);  \
            return;                                                            \
        }                                                                      \
    } while (0)

#endif /* HM_TEST_HARNESS_H */
