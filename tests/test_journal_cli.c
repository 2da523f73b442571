/* `lookout alerts` over a journal written through the library: text and JSON listings, and
 * --since as epoch seconds and as ISO 8601. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/journal.h"
#include "testutil.h"

static char db[256];

static void write_journal(void)
{
    snprintf(db, sizeof db, "/tmp/lookout-test-cli-%d.sqlite", (int)getpid());
    unlink(db);
    char err[512];
    lo_journal *j = lo_journal_open(db, false, err, sizeof err);
    assert_non_null(j);
    /* 2026-11-22T12:00:00Z = 1795348800. */
    static const struct { uint64_t id; double t; lo_alert_transition tr; lo_alert_level lv;
                          const char *zone, *reason; } rows[] = {
        {1, 1795348800.0, LO_ALERT_RAISED, LO_ALERT_WARNING, "district",
         "drone, 3.1 km E of district, 38 m/s, entry in 80 s"},
        {2, 1795348830.0, LO_ALERT_RAISED, LO_ALERT_ALARM, "compound",
         "rocket, impact in compound in 18 s (\xc2\xb1" "60 m), 310 m/s"},
        {1, 1795348860.0, LO_ALERT_CLEARED, LO_ALERT_WARNING, "district",
         "cleared (track deleted): drone, inside district, 12 m/s"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lo_alert a;
        memset(&a, 0, sizeof a);
        a.alert_id = rows[i].id;
        a.track_id = 100 + (uint32_t)rows[i].id;
        a.transition = rows[i].tr;
        a.level = rows[i].lv;
        a.t = rows[i].t;
        snprintf(a.zone_name, sizeof a.zone_name, "%s", rows[i].zone);
        snprintf(a.reason, sizeof a.reason, "%s", rows[i].reason);
        a.cls = rows[i].id == 2 ? LO_CLASS_ROCKET : LO_CLASS_MULTIROTOR;
        a.has_impact = rows[i].id == 2;
        a.impact_enu[0] = 12;
        a.snapshot.id = a.track_id;
        a.snapshot.pos[0] = 1000.5;
        assert_int_equal(lo_journal_append(j, &a), 0);
    }
    lo_journal_close(j);
}

static void test_listing(void **state)
{
    (void)state;
    write_journal();
    char cmd[1024], out[16384];

    snprintf(cmd, sizeof cmd, "%s alerts --db %s", LOOKOUT_BINARY, db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "2026-11-22T12:00:00.000Z"));
    assert_non_null(strstr(out, "drone, 3.1 km E of district, 38 m/s, entry in 80 s"));
    assert_non_null(strstr(out, "rocket, impact in compound in 18 s"));
    assert_non_null(strstr(out, "cleared"));
    assert_non_null(strstr(out, "3 alert transitions in"));
    /* Oldest first. */
    assert_true(strstr(out, "district, 38 m/s") < strstr(out, "impact in compound"));

    /* --since epoch seconds and ISO 8601 (with an offset) select the same rows. */
    snprintf(cmd, sizeof cmd, "%s alerts --db %s --since 1795348830", LOOKOUT_BINARY, db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    assert_null(strstr(out, "entry in 80 s"));
    assert_non_null(strstr(out, "impact in compound"));
    assert_non_null(strstr(out, "2 alert transitions"));
    snprintf(cmd, sizeof cmd, "%s alerts --db %s --since 2026-11-22T13:00:30+01:00",
             LOOKOUT_BINARY, db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "2 alert transitions"));
    snprintf(cmd, sizeof cmd, "%s alerts --db %s --since 2026-11-22T12:00:30.5Z", LOOKOUT_BINARY,
             db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "1 alert transition in"));
    snprintf(cmd, sizeof cmd, "%s alerts --db %s --since 2026-11-23", LOOKOUT_BINARY, db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "0 alert transitions"));

    /* JSON lines: each parses, carries the snapshot. */
    snprintf(cmd, sizeof cmd, "%s alerts --db %s --json 2>/dev/null", LOOKOUT_BINARY, db);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    int lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (!o) fail_msg("not JSON: %s (%s)", line, e.text);
        lines++;
        json_t *snap = json_object_get(o, "snapshot");
        assert_true(json_is_object(snap));
        assert_near(json_number_value(json_array_get(json_object_get(snap, "pos"), 0)), 1000.5,
                    1e-9);
        if (lines == 2) {
            assert_string_equal(json_string_value(json_object_get(o, "class")), "rocket");
            assert_string_equal(json_string_value(json_object_get(o, "level")), "alarm");
            assert_true(json_is_array(json_object_get(o, "impact_enu")));
        }
        json_decref(o);
    }
    assert_int_equal(lines, 3);
    unlink(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
