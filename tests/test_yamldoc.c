/* The YAML tree and its typed getters: values, defaults, and errors with key path and line. */
#include <math.h>
#include <string.h>

#include "common/yamldoc.h"
#include "testutil.h"

static const char *doc_text =
    "site:\n"
    "  name: test\n"
    "  reference: [33.2985, 44.3950, 45]\n"
    "sensors:\n"
    "  - name: r1\n"
    "    scan_period_s: 1.0\n"
    "  - name: r2\n"
    "    scan_period_s: fast\n"
    "    max_range_nm: 8\n";

static void test_values_and_errors(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_ydoc *d = lo_ydoc_load_string(doc_text, strlen(doc_text), "site.yaml", &diags.sink);
    assert_non_null(d);
    lo_yctx c = {.doc = d, .sink = &diags.sink};
    const lo_ynode *root = lo_ydoc_root(d);
    const lo_ynode *site = lo_ymap_get(d, root, "site");
    double ref[3];
    assert_true(lo_yget_double_list(&c, site, "site", "reference", true, ref, 3));
    assert_near(ref[1], 44.395, 1e-12);

    const lo_ynode *sensors = lo_ymap_get(d, root, "sensors");
    assert_int_equal(lo_yseq_size(d, sensors), 2);
    double period = 4.0;
    assert_true(lo_yget_double(&c, lo_yseq_at(d, sensors, 0), "sensors[0]", "scan_period_s",
                               true, 0.01, 60, &period));
    assert_near(period, 1.0, 0);

    /* A non-number names the key path and the line it is on. */
    assert_false(lo_yget_double(&c, lo_yseq_at(d, sensors, 1), "sensors[1]", "scan_period_s",
                                true, 0.01, 60, &period));
    assert_non_null(strstr(diags.last, "site.yaml:8:"));
    assert_non_null(strstr(diags.last, "sensors[1].scan_period_s"));
    assert_non_null(strstr(diags.last, "'fast'"));

    /* A key with a unit we do not take is an unknown key, listing what is accepted. */
    static const char *const allowed[] = {"name", "scan_period_s", "max_range_m", NULL};
    assert_false(lo_ycheck_keys(&c, lo_yseq_at(d, sensors, 1), "sensors[1]", allowed));
    assert_non_null(strstr(diags.last, "sensors[1].max_range_nm"));
    assert_non_null(strstr(diags.last, ":9:"));
    assert_non_null(strstr(diags.last, "max_range_m"));

    /* Absent optional key keeps the default; absent required key is an error. */
    double dflt = 7;
    assert_true(lo_yget_double(&c, site, "site", "height_m", false, 0, 1e4, &dflt));
    assert_near(dflt, 7, 0);
    assert_false(lo_yget_double(&c, site, "site", "height_m", true, 0, 1e4, &dflt));
    assert_non_null(strstr(diags.last, "site.height_m: required key is missing"));
    assert_int_equal(c.errors, 3);
    lo_ydoc_free(d);
}

static void test_syntax_error_has_line(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_null(lo_ydoc_load_string(bad, strlen(bad), "bad.yaml", &diags.sink));
    assert_int_equal(diags.n, 1);
    assert_non_null(strstr(diags.last, "bad.yaml:"));
    assert_non_null(strstr(diags.last, "YAML syntax"));
}

/* A directory opens with fopen on Linux; libyaml then said only "input error" at 1:1. */
static void test_directory_is_refused_by_name(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    assert_null(lo_ydoc_load_file("/tmp", &diags.sink));
    assert_int_equal(diags.n, 1);
    assert_non_null(strstr(diags.last, "/tmp"));
    assert_non_null(strstr(diags.last, "Is a directory"));
    assert_null(strstr(diags.last, "input error"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_errors),
        cmocka_unit_test(test_syntax_error_has_line),
        cmocka_unit_test(test_directory_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
