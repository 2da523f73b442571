/* The alert journal: round trip of every field, reopen and continue, --since filtering, schema
 * version, refusal of files that are not journals, and the track snapshot JSON. */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/journal.h"
#include "testutil.h"

static char db_path[256];

static void fresh_path(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/lookout-test-journal-%d.sqlite", (int)getpid());
    unlink(db_path);
    char p[300];
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static lo_alert sample_alert(uint64_t id, double t, lo_alert_transition tr)
{
    lo_alert a;
    memset(&a, 0, sizeof a);
    a.alert_id = id;
    a.track_id = 4000000000u;
    a.zone_index = 1;
    strcpy(a.zone_name, "residence");
    a.level = LO_ALERT_ALARM;
    a.transition = tr;
    a.t = t;
    a.cls = LO_CLASS_FIXED_WING;
    a.class_confidence = 0.87;
    a.distance_m = 2300;
    a.time_to_entry_s = 48.5;
    a.time_to_entry_sigma_s = 3.25;
    a.has_impact = true;
    a.impact_enu[0] = -12.5;
    a.impact_enu[1] = 330;
    a.impact_cov[0] = 3600;
    a.impact_cov[1] = a.impact_cov[2] = -120;
    a.impact_cov[3] = 900;
    a.has_launch = true;
    a.launch_enu[0] = 4950.5;
    a.launch_enu[1] = -4950;
    strcpy(a.reason, "drone, 2.3 km E of residence, 41 m/s, entry in 48 s");
    lo_track *s = &a.snapshot;
    s->id = a.track_id;
    s->status = LO_TRACK_COASTING;
    s->t = t;
    s->t_first = t - 30;
    s->t_confirmed = t - 27;
    s->t_last_update = t - 1;
    s->pos[0] = 2450.25, s->pos[1] = 10, s->pos[2] = 150;
    s->vel[0] = -41, s->vel[1] = 0.5, s->vel[2] = -0.25;
    s->acc[2] = -0.125;
    for (int i = 0; i < 9; i++) s->pos_cov[i] = s->vel_cov[i] = i * 0.5;
    s->n_models = 3;
    s->model_prob[0] = 0.7, s->model_prob[1] = 0.2, s->model_prob[2] = 0.1;
    s->class_prob[LO_CLASS_FIXED_WING] = 0.87;
    s->class_prob[LO_CLASS_BIRD] = 0.13;
    s->n_updates = 29;
    s->score = 41.5;
    s->last_sensor_id = 0x0102;
    s->last_snr_db = 17.25;
    s->last_flags = LO_PLOT_MODE_S | LO_PLOT_DOPPLER_SPREAD;
    s->mode_s_address = 0xABCDEF;
    s->last_doppler_spread_mps = 18.75;
    return a;
}

typedef struct rows {
    int n;
    lo_alert a[16];
    int64_t seq[16];
} rows;

static bool collect(void *ctx, int64_t seq, const lo_alert *a, const char *json)
{
    rows *r = ctx;
    assert_non_null(json);
    assert_true(json[0] == '{');
    if (r->n < 16) {
        r->seq[r->n] = seq;
        r->a[r->n++] = *a;
    }
    return true;
}

static void test_round_trip(void **state)
{
    (void)state;
    fresh_path();
    char err[512];
    lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(lo_journal_max_alert_id(j), 0);
    lo_alert a = sample_alert(7, 1763800000.125, LO_ALERT_RAISED);
    assert_int_equal(lo_journal_append(j, &a), 0);
    lo_alert b = sample_alert(7, 1763800010.5, LO_ALERT_UPDATED);
    b.has_impact = false;
    b.has_launch = false;
    b.time_to_entry_s = -1;
    assert_int_equal(lo_journal_append(j, &b), 0);
    lo_journal_close(j);

    /* Reopen read-only and read back. */
    j = lo_journal_open(db_path, true, err, sizeof err);
    assert_non_null(j);
    rows *r = calloc(1, sizeof *r);
    assert_int_equal(lo_journal_list(j, -INFINITY, collect, r), 2);
    assert_int_equal(r->n, 2);
    assert_true(r->seq[0] < r->seq[1]);
    const lo_alert *g = &r->a[0];
    assert_int_equal(g->alert_id, 7);
    assert_int_equal(g->track_id, 4000000000u);
    assert_int_equal(g->zone_index, 1);
    assert_string_equal(g->zone_name, "residence");
    assert_int_equal(g->level, LO_ALERT_ALARM);
    assert_int_equal(g->transition, LO_ALERT_RAISED);
    assert_near(g->t, a.t, 1e-6);
    assert_int_equal(g->cls, LO_CLASS_FIXED_WING);
    assert_near(g->class_confidence, 0.87, 1e-12);
    assert_near(g->distance_m, 2300, 0);
    assert_near(g->time_to_entry_s, 48.5, 0);
    assert_near(g->time_to_entry_sigma_s, 3.25, 0);
    assert_true(g->has_impact);
    assert_near(g->impact_enu[0], -12.5, 0);
    assert_near(g->impact_enu[1], 330, 0);
    assert_near(g->impact_cov[0], 3600, 0);
    assert_near(g->impact_cov[2], -120, 0);
    assert_near(g->impact_cov[3], 900, 0);
    assert_true(g->has_launch);
    assert_near(g->launch_enu[0], 4950.5, 0);
    assert_near(g->launch_enu[1], -4950, 0);
    assert_string_equal(g->reason, a.reason);
    /* The snapshot. */
    const lo_track *s = &g->snapshot;
    assert_int_equal(s->id, 4000000000u);
    assert_int_equal(s->status, LO_TRACK_COASTING);
    assert_near(s->t, a.t, 1e-6);
    assert_near(s->t_confirmed, a.t - 27, 1e-6);
    assert_near(s->pos[0], 2450.25, 1e-9);
    assert_near(s->vel[2], -0.25, 1e-12);
    assert_near(s->acc[2], -0.125, 1e-12);
    assert_near(s->pos_cov[8], 4.0, 1e-12);
    assert_near(s->vel_cov[3], 1.5, 1e-12);
    assert_int_equal(s->n_models, 3);
    assert_near(s->model_prob[1], 0.2, 1e-12);
    assert_near(s->class_prob[LO_CLASS_BIRD], 0.13, 1e-12);
    assert_int_equal(s->n_updates, 29);
    assert_int_equal(s->last_sensor_id, 0x0102);
    assert_true(s->last_flags & LO_PLOT_MODE_S);
    assert_int_equal(s->mode_s_address, 0xABCDEF);
    assert_true(s->last_flags & LO_PLOT_DOPPLER_SPREAD);
    assert_near(s->last_doppler_spread_mps, 18.75, 1e-12);
    /* The second row: no impact, no entry. */
    assert_int_equal(r->a[1].transition, LO_ALERT_UPDATED);
    assert_false(r->a[1].has_impact);
    assert_false(r->a[1].has_launch);
    assert_near(r->a[1].time_to_entry_s, -1, 0);
    /* A read-only journal refuses writes, naming the file. */
    assert_int_equal(lo_journal_append(j, &a), -1);
    assert_non_null(strstr(lo_journal_error(j), db_path));
    lo_journal_close(j);

    /* Reopen for writing: continues, max id known, --since filters. */
    j = lo_journal_open(db_path, false, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(lo_journal_max_alert_id(j), 7);
    lo_alert c = sample_alert(8, 1763800020, LO_ALERT_RAISED);
    assert_int_equal(lo_journal_append(j, &c), 0);
    assert_int_equal(lo_journal_max_alert_id(j), 8);
    memset(r, 0, sizeof *r);
    assert_int_equal(lo_journal_list(j, 1763800010.5, collect, r), 2);
    assert_int_equal(r->a[0].alert_id, 7);
    assert_int_equal(r->a[1].alert_id, 8);
    lo_journal_close(j);
    free(r);

    /* WAL mode and the schema version are what the header promises. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), LO_JOURNAL_SCHEMA_VERSION);
    sqlite3_finalize(st);
    /* A future version is refused. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(lo_journal_open(db_path, false, err, sizeof err));
    assert_non_null(strstr(err, db_path));
    assert_non_null(strstr(err, "99"));
    fresh_path();
}

static void test_refuses_other_files(void **state)
{
    (void)state;
    char err[512];
    /* Missing file, read-only: an error naming it. */
    assert_null(lo_journal_open("/nonexistent/dir/alerts.sqlite", true, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/alerts.sqlite"));
    /* A text file. */
    const char *txt = lo_test_temp_file(".sqlite", "this is not a database, it is a poem\n");
    assert_null(lo_journal_open(txt, false, err, sizeof err));
    assert_non_null(strstr(err, txt));
    /* Some other SQLite database. */
    fresh_path();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(lo_journal_open(db_path, false, err, sizeof err));
    assert_non_null(strstr(err, "not a lookout alert journal"));
    fresh_path();
}

static void test_snapshot_json(void **state)
{
    (void)state;
    lo_alert a = sample_alert(1, 1763800000.125, LO_ALERT_RAISED);
    char *json = lo_track_snapshot_json(&a.snapshot);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"fixed_wing\""));
    assert_non_null(strstr(json, "\"status\":\"coasting\""));
    lo_track back;
    assert_true(lo_track_snapshot_from_json(json, &back));
    assert_near(back.pos[0], a.snapshot.pos[0], 1e-9);
    free(json);
    assert_false(lo_track_snapshot_from_json("[1,2", &back));
    assert_false(lo_track_snapshot_from_json("42", &back));

    /* The alert as one JSON line. 1763800000.125 = 2025-11-22T08:26:40.125Z. */
    char *line = lo_alert_json(&a);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    json_error_t e;
    json_t *o = json_loads(line, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "time_utc")), "2025-11-22T08:26:40.125Z");
    assert_string_equal(json_string_value(json_object_get(o, "transition")), "raised");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "alarm");
    assert_string_equal(json_string_value(json_object_get(o, "class")), "fixed_wing");
    assert_int_equal(json_integer_value(json_object_get(o, "track_id")), 4000000000u);
    assert_near(json_number_value(json_array_get(json_object_get(o, "impact_cov"), 1)), -120, 0);
    assert_string_equal(json_string_value(json_object_get(o, "reason")), a.reason);
    json_t *snap = json_object_get(o, "snapshot");
    assert_near(json_number_value(json_array_get(json_object_get(snap, "pos"), 0)), 2450.25, 1e-9);
    json_decref(o);
    free(line);
}


/* The chain: journal first, then publish; a journal that cannot write publishes nothing and
 * makes the threat engine try again. */
typedef struct published {
    int n;
    const char *path;
    uint64_t ids[8];
} published;

static int publish(void *ctx, const lo_alert *a)
{
    published *p = ctx;
    /* At publication the alert is already in the journal file: check through a fresh handle. */
    char err[512];
    lo_journal *j = lo_journal_open(p->path, true, err, sizeof err);
    assert_non_null(j);
    assert_true(lo_journal_max_alert_id(j) >= a->alert_id);
    lo_journal_close(j);
    if (p->n < 8) p->ids[p->n++] = a->alert_id;
    return 0;
}

static void test_journal_then_publish(void **state)
{
    (void)state;
    fresh_path();
    char err[512];
    lo_journal *j = lo_journal_open(db_path, false, err, sizeof err);
    assert_non_null(j);
    published pub = {.path = db_path};
    lo_journal_chain chain = {.journal = j, .publish = publish, .publish_ctx = &pub};
    lo_alert a = sample_alert(5, 100, LO_ALERT_RAISED);
    assert_int_equal(lo_journal_then_publish(&chain, &a), 0);
    assert_int_equal(pub.n, 1);
    assert_int_equal(chain.written, 1);
    lo_journal_close(j);

    /* Read-only: the append fails, nothing is published. */
    j = lo_journal_open(db_path, true, err, sizeof err);
    chain.journal = j;
    a.alert_id = 6;
    assert_int_equal(lo_journal_then_publish(&chain, &a), -1);
    assert_int_equal(pub.n, 1);
    lo_journal_close(j);
    fresh_path();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refuses_other_files),
        cmocka_unit_test(test_snapshot_json),
        cmocka_unit_test(test_journal_then_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
