/* test_core.c - version macros, the VERSION file and status strings agree. */
#include "harness.h"
#include "hallmark.h"

#include <stdlib.h>

HM_TEST(version_matches_VERSION_file)
{
    char buf[64] = {0};
    FILE *f = fopen(hm_test_path("../VERSION"), "r");
    REQUIRE(f != NULL);
    REQUIRE(fgets(buf, sizeof buf, f) != NULL);
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    CHECK_STR(buf, HM_VERSION_STRING);
    CHECK_STR(hm_version_string(), HM_VERSION_STRING);
    CHECK_EQ_INT(hm_version_number(), HM_VERSION_NUMBER);
    CHECK(HM_VERSION_AT_LEAST(0, 1, 0));
    CHECK(!HM_VERSION_AT_LEAST(99, 0, 0));
}

HM_TEST(strerror_covers_every_code)
{
    int s;
    CHECK_STR(hm_strerror(HM_OK), "success");
    for (s = 1; s <= HM_E_LIMIT; s++)
        CHECK(strcmp(hm_strerror(s), "unknown error") != 0);
    CHECK_STR(hm_strerror(-1), "unknown error");
    CHECK_STR(hm_strerror(9999), "unknown error");
}

HM_TEST(init_is_idempotent)
{
    CHECK_OK(hm_init());
    CHECK_OK(hm_init());
}
