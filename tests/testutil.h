/*
 * testutil.h: helpers shared by the cmocka tests.
 *
 * cmocka's headers need stdarg/stddef/setjmp first; include this instead of <cmocka.h>.
 * LOOKOUT_SHARED_DIR points at ../shared (real recordings); tests that need it call
 * lo_test_shared_path() and skip with exit code 77 when it is absent.
 */
#ifndef LOOKOUT_TESTUTIL_H
#define LOOKOUT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>

#include "lookout/diag.h"

#define LO_TEST_SKIP 77

/* Full path of `rel` under ../shared, or NULL (after printing why) when shared/ is absent. */
const char *lo_test_shared_path(const char *rel);
/* Full path of `rel` under the source tree (scenarios/, tests/data/). */
const char *lo_test_source_path(const char *rel);
/* Write `text` to a fresh temporary file and return its path (freed at exit). */
const char *lo_test_temp_file(const char *suffix, const char *text);

/* A diagnostics sink that records messages for assertions. */
typedef struct lo_test_diags {
    lo_diag_sink sink;
    int n;
    char last[768];
    char all[8192];
    bool stop;          /* make the reader stop at the first diagnostic */
} lo_test_diags;
void lo_test_diags_init(lo_test_diags *d, bool stop_on_first);

/* Run `cmd` with /bin/sh, capture stdout+stderr into out (truncated), return exit status. */
int lo_test_run(const char *cmd, char *out, size_t len);

#define assert_near(a, b, tol)                                                              \
    do {                                                                                    \
        double a_ = (a), b_ = (b), t_ = (tol);                                              \
        if (!(fabs(a_ - b_) <= t_)) {                                                       \
            print_error("%s = %.12g, expected %.12g within %g\n", #a, a_, b_, t_);          \
            fail();                                                                         \
        }                                                                                   \
    } while (0)

#endif
