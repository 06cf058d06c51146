/*
 * harness.c - the unit-test runner: runs every HM_TEST registered in the
 * binary (in file, then name order) and prints one TAP-style line per test.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

#define HM_MAX_TESTS 4096

struct hm_test_entry {
    const char *name;
    const char *file;
    hm_test_fn fn;
};

static struct hm_test_entry g_tests[HM_MAX_TESTS];
static size_t g_ntests;
static int g_failed_now;

void hm_test_register(const char *name, hm_test_fn fn, const char *file)
{
    if (g_ntests == HM_MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    g_tests[g_ntests].name = name;
    g_tests[g_ntests].file = file;
    g_tests[g_ntests].fn = fn;
    g_ntests++;
}

void hm_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    g_failed_now++;
    if (g_failed_now > 20) return; /* keep the log readable */
    printf("# %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

int hm_test_failed_now(void) { return g_failed_now; }

const char *hm_test_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("HM_TEST_DIR");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests", rel);
    return buf;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct hm_test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
    const char *filter = getenv("HM_TEST_FILTER");
    size_t i, passed = 0, failed = 0;
    if (argc > 1) filter = argv[1];
    qsort(g_tests, g_ntests, sizeof g_tests[0], cmp_entry);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < g_ntests; i++) {
        if (filter && !strstr(g_tests[i].name, filter) && !strstr(g_tests[i].file, filter))
            continue;
        g_failed_now = 0;
        g_tests[i].fn();
        if (g_failed_now) {
            printf("not ok - %s (%s)\n", g_tests[i].name, g_tests[i].file);
            failed++;
        } else {
            printf("ok - %s\n", g_tests[i].name);
            passed++;
        }
    }
    printf("# unit tests: %zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
