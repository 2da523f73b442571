/*
 * The alert journal over SQLite (see lookout/journal.h; schema in docs/threat.md).
 *
 * One row per alert transition in table alert_transition. Each append is a single INSERT in
 * autocommit mode, so SQLite commits it as its own transaction; with journal_mode=WAL and
 * synchronous=FULL the commit fsyncs the WAL before sqlite3_step returns. That is what lets
 * the caller publish an alert as soon as lo_journal_append returns.
 */
#include "lookout/journal.h"

#include "lookout/formats.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct lo_journal {
    sqlite3 *db;
    sqlite3_stmt *insert;
    char *path;
    char error[512];
};

static void set_error(lo_journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(lo_journal *j, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(j->error, sizeof j->error, "%s: ", j->path);
    if (n < 0 || (size_t)n >= sizeof j->error) return;
    va_start(ap, fmt);
    vsnprintf(j->error + n, sizeof j->error - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *const schema_v1 =
    "CREATE TABLE IF NOT EXISTS alert_transition (\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  alert_id INTEGER NOT NULL,\n"
    "  track_id INTEGER NOT NULL,\n"
    "  zone_index INTEGER NOT NULL,\n"
    "  zone_name TEXT NOT NULL,\n"
    "  level TEXT NOT NULL CHECK (level IN ('info','warning','alarm')),\n"
    "  transition TEXT NOT NULL CHECK (transition IN ('raised','updated','cleared')),\n"
    "  t REAL NOT NULL,\n"
    "  class TEXT NOT NULL,\n"
    "  class_confidence REAL,\n"
    "  distance_m REAL,\n"
    "  time_to_entry_s REAL,\n"
    "  time_to_entry_sigma_s REAL,\n"
    "  impact_e_m REAL, impact_n_m REAL,\n"
    "  impact_cov_ee REAL, impact_cov_en REAL, impact_cov_nn REAL,\n"
    "  launch_e_m REAL, launch_n_m REAL,\n"
    "  reason TEXT NOT NULL,\n"
    "  snapshot TEXT NOT NULL,\n"
    "  written_utc REAL NOT NULL\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS alert_transition_t ON alert_transition(t);\n"
    "CREATE INDEX IF NOT EXISTS alert_transition_alert ON alert_transition(alert_id);\n";

static int exec(lo_journal *j, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_error(j, "%s", msg ? msg : sqlite3_errmsg(j->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int user_version(lo_journal *j, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        set_error(j, "%s", sqlite3_errmsg(j->db));
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        set_error(j, "%s", sqlite3_errmsg(j->db));
        sqlite3_finalize(st);
        return -1;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static bool has_table(lo_journal *j, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int setup_schema(lo_journal *j, bool read_only)
{
    int version;
    if (user_version(j, &version)) return -1;
    if (version > LO_JOURNAL_SCHEMA_VERSION) {
        set_error(j, "journal schema version %d is newer than this lookout understands (%d)",
                  version, LO_JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    if (version == LO_JOURNAL_SCHEMA_VERSION) {
        if (!has_table(j, "alert_transition")) {
            set_error(j, "not a lookout alert journal (no alert_transition table)");
            return -1;
        }
        return 0;
    }
    /* version 0: a new file, or some other database. */
    if (read_only) {
        set_error(j, "not a lookout alert journal (schema version 0)");
        return -1;
    }
    sqlite3_stmt *st;
    bool empty = true;
    if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) empty = sqlite3_column_int(st, 0) == 0;
        sqlite3_finalize(st);
    }
    if (!empty) {
        set_error(j, "not a lookout alert journal (an SQLite database with other tables)");
        return -1;
    }
    /* Schema and version in one transaction: a crash leaves either nothing or both. */
    char sql[2048];
    snprintf(sql, sizeof sql, "BEGIN;\n%sPRAGMA user_version = %d;\nCOMMIT;", schema_v1,
             LO_JOURNAL_SCHEMA_VERSION);
    if (exec(j, sql)) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

lo_journal *lo_journal_open(const char *path, bool read_only, char *err, size_t errlen)
{
    lo_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        if (err) snprintf(err, errlen, "%s: out of memory", path);
        free(j);
        return NULL;
    }
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK) {
        set_error(j, "cannot open: %s", j->db ? sqlite3_errmsg(j->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(j->db, 5000);
    /* Probe: a file that is not a database fails here with "file is not a database". */
    if (exec(j, "SELECT count(*) FROM sqlite_master")) goto fail;
    if (!read_only) {
        if (exec(j, "PRAGMA journal_mode=WAL")) goto fail;
        if (exec(j, "PRAGMA synchronous=FULL")) goto fail;
    }
    if (setup_schema(j, read_only)) goto fail;
    if (!read_only &&
        sqlite3_prepare_v2(
            j->db,
            "INSERT INTO alert_transition (alert_id, track_id, zone_index, zone_name, level, "
            "transition, t, class, class_confidence, distance_m, time_to_entry_s, "
            "time_to_entry_sigma_s, impact_e_m, impact_n_m, impact_cov_ee, impact_cov_en, "
            "impact_cov_nn, launch_e_m, launch_n_m, reason, snapshot, written_utc) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            -1, &j->insert, NULL) != SQLITE_OK) {
        set_error(j, "%s", sqlite3_errmsg(j->db));
        goto fail;
    }
    return j;
fail:
    if (err) snprintf(err, errlen, "%s", j->error);
    lo_journal_close(j);
    return NULL;
}

void lo_journal_close(lo_journal *j)
{
    if (!j) return;
    sqlite3_finalize(j->insert);
    sqlite3_close(j->db);
    free(j->path);
    free(j);
}

const char *lo_journal_error(const lo_journal *j) { return j->error; }
const char *lo_journal_path(const lo_journal *j) { return j->path; }

/* ---- snapshot JSON -------------------------------------------------------------------------- */

static json_t *array_of(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_real(isfinite(v[i]) ? v[i] : 0));
    return a;
}

char *lo_track_snapshot_json(const lo_track *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "status", json_string(lo_track_status_name(t->status)));
    json_object_set_new(o, "t", json_real(t->t));
    json_object_set_new(o, "t_first", json_real(t->t_first));
    json_object_set_new(o, "t_confirmed", json_real(t->t_confirmed));
    json_object_set_new(o, "t_last_update", json_real(t->t_last_update));
    json_object_set_new(o, "pos", array_of(t->pos, 3));
    json_object_set_new(o, "vel", array_of(t->vel, 3));
    json_object_set_new(o, "acc", array_of(t->acc, 3));
    json_object_set_new(o, "pos_cov", array_of(t->pos_cov, 9));
    json_object_set_new(o, "vel_cov", array_of(t->vel_cov, 9));
    int nm = t->n_models < 0 ? 0 : t->n_models > LO_MAX_MODELS ? LO_MAX_MODELS : t->n_models;
    json_object_set_new(o, "model_prob", array_of(t->model_prob, nm));
    json_t *cp = json_object();
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        json_object_set_new(cp, lo_class_name((lo_class)c), json_real(t->class_prob[c]));
    json_object_set_new(o, "class_prob", cp);
    json_object_set_new(o, "n_updates", json_integer(t->n_updates));
    json_object_set_new(o, "score", json_real(isfinite(t->score) ? t->score : 0));
    json_object_set_new(o, "last_sensor_id", json_integer(t->last_sensor_id));
    json_object_set_new(o, "last_snr_db", json_real(t->last_snr_db));
    if (t->last_flags & LO_PLOT_MODE_S) json_object_set_new(o, "mode_s", json_integer(t->mode_s_address));
    if (t->last_flags & LO_PLOT_MODE_3A) json_object_set_new(o, "mode_3a", json_integer(t->mode_3a));
    /* Whether its last plot showed rotors or propellers: why it was called a drone. */
    if (t->last_flags & LO_PLOT_DOPPLER_SPREAD)
        json_object_set_new(o, "doppler_spread_mps", json_real(t->last_doppler_spread_mps));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static json_t *snapshot_object(const lo_track *t)
{
    char *s = lo_track_snapshot_json(t);
    json_error_t e;
    json_t *o = s ? json_loads(s, 0, &e) : NULL;
    free(s);
    return o ? o : json_null();
}

char *lo_alert_json(const lo_alert *a)
{
    char when[48];
    lo_format_time(a->t, when, sizeof when);
    json_t *o = json_object();
    json_object_set_new(o, "alert_id", json_integer((json_int_t)a->alert_id));
    json_object_set_new(o, "transition", json_string(lo_alert_transition_name(a->transition)));
    json_object_set_new(o, "level", json_string(lo_alert_level_name(a->level)));
    json_object_set_new(o, "t", json_real(a->t));
    json_object_set_new(o, "time_utc", json_string(when));
    json_object_set_new(o, "track_id", json_integer(a->track_id));
    json_object_set_new(o, "zone_index", json_integer(a->zone_index));
    json_object_set_new(o, "zone", json_string(a->zone_name));
    json_object_set_new(o, "class", json_string(lo_class_name(a->cls)));
    json_object_set_new(o, "class_confidence", json_real(a->class_confidence));
    json_object_set_new(o, "distance_m", json_real(a->distance_m));
    json_object_set_new(o, "time_to_entry_s", json_real(a->time_to_entry_s));
    json_object_set_new(o, "time_to_entry_sigma_s", json_real(a->time_to_entry_sigma_s));
    if (a->has_impact) {
        json_object_set_new(o, "impact_enu", json_pack("[f,f]", a->impact_enu[0], a->impact_enu[1]));
        json_object_set_new(o, "impact_cov", json_pack("[f,f,f,f]", a->impact_cov[0],
                                                       a->impact_cov[1], a->impact_cov[2],
                                                       a->impact_cov[3]));
    }
    if (a->has_launch)
        json_object_set_new(o, "launch_enu", json_pack("[f,f]", a->launch_enu[0], a->launch_enu[1]));
    json_object_set_new(o, "reason", json_string(a->reason));
    json_object_set_new(o, "snapshot", snapshot_object(&a->snapshot));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return line;
}

static void read_array(json_t *o, const char *key, double *out, int n)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a)) return;
    for (int i = 0; i < n && i < (int)json_array_size(a); i++)
        out[i] = json_number_value(json_array_get(a, (size_t)i));
}

bool lo_track_snapshot_from_json(const char *json, lo_track *out)
{
    memset(out, 0, sizeof *out);
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    if (!json_is_object(o)) {
        json_decref(o);
        return false;
    }
    out->id = (uint32_t)json_integer_value(json_object_get(o, "id"));
    const char *st = json_string_value(json_object_get(o, "status"));
    if (st) lo_track_status_from_name(st, &out->status);
    out->t = json_number_value(json_object_get(o, "t"));
    out->t_first = json_number_value(json_object_get(o, "t_first"));
    out->t_confirmed = json_number_value(json_object_get(o, "t_confirmed"));
    out->t_last_update = json_number_value(json_object_get(o, "t_last_update"));
    read_array(o, "pos", out->pos, 3);
    read_array(o, "vel", out->vel, 3);
    read_array(o, "acc", out->acc, 3);
    read_array(o, "pos_cov", out->pos_cov, 9);
    read_array(o, "vel_cov", out->vel_cov, 9);
    json_t *mp = json_object_get(o, "model_prob");
    out->n_models = json_is_array(mp) ? (int)json_array_size(mp) : 0;
    if (out->n_models > LO_MAX_MODELS) out->n_models = LO_MAX_MODELS;
    read_array(o, "model_prob", out->model_prob, out->n_models);
    json_t *cp = json_object_get(o, "class_prob");
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        out->class_prob[c] = json_number_value(json_object_get(cp, lo_class_name((lo_class)c)));
    out->n_updates = (uint32_t)json_integer_value(json_object_get(o, "n_updates"));
    out->score = json_number_value(json_object_get(o, "score"));
    out->last_sensor_id = (uint16_t)json_integer_value(json_object_get(o, "last_sensor_id"));
    out->last_snr_db = json_number_value(json_object_get(o, "last_snr_db"));
    json_t *ms = json_object_get(o, "mode_s");
    if (ms) {
        out->last_flags |= LO_PLOT_MODE_S;
        out->mode_s_address = (uint32_t)json_integer_value(ms);
    }
    json_t *m3 = json_object_get(o, "mode_3a");
    if (m3) {
        out->last_flags |= LO_PLOT_MODE_3A;
        out->mode_3a = (uint16_t)json_integer_value(m3);
    }
    json_t *ds = json_object_get(o, "doppler_spread_mps");
    if (json_is_number(ds)) {
        out->last_flags |= LO_PLOT_DOPPLER_SPREAD;
        out->last_doppler_spread_mps = json_number_value(ds);
    }
    json_decref(o);
    return true;
}

/* ---- append and list ------------------------------------------------------------------------- */

static void bind_double_or_null(sqlite3_stmt *st, int i, bool present, double v)
{
    if (present && isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int lo_journal_append(lo_journal *j, const lo_alert *a)
{
    if (!j->insert) {
        set_error(j, "journal opened read-only");
        return -1;
    }
    char *snap = lo_track_snapshot_json(&a->snapshot);
    if (!snap) {
        set_error(j, "cannot encode the track snapshot");
        return -1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sqlite3_stmt *st = j->insert;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a->alert_id);
    sqlite3_bind_int64(st, 2, a->track_id);
    sqlite3_bind_int(st, 3, a->zone_index);
    sqlite3_bind_text(st, 4, a->zone_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, lo_alert_level_name(a->level), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, lo_alert_transition_name(a->transition), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, a->t);
    sqlite3_bind_text(st, 8, lo_class_name(a->cls), -1, SQLITE_STATIC);
    bind_double_or_null(st, 9, true, a->class_confidence);
    bind_double_or_null(st, 10, true, a->distance_m);
    bind_double_or_null(st, 11, true, a->time_to_entry_s);
    bind_double_or_null(st, 12, true, a->time_to_entry_sigma_s);
    bind_double_or_null(st, 13, a->has_impact, a->impact_enu[0]);
    bind_double_or_null(st, 14, a->has_impact, a->impact_enu[1]);
    bind_double_or_null(st, 15, a->has_impact, a->impact_cov[0]);
    bind_double_or_null(st, 16, a->has_impact, a->impact_cov[1]);
    bind_double_or_null(st, 17, a->has_impact, a->impact_cov[3]);
    bind_double_or_null(st, 18, a->has_launch, a->launch_enu[0]);
    bind_double_or_null(st, 19, a->has_launch, a->launch_enu[1]);
    sqlite3_bind_text(st, 20, a->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 21, snap, -1, free);
    sqlite3_bind_double(st, 22, (double)now.tv_sec + now.tv_nsec * 1e-9);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        set_error(j, "cannot write alert %llu: %s", (unsigned long long)a->alert_id,
                  sqlite3_errmsg(j->db));
        return -1;
    }
    return 0;
}

int lo_journal_then_publish(void *chain, const lo_alert *a)
{
    lo_journal_chain *c = chain;
    if (lo_journal_append(c->journal, a) != 0) return -1;
    c->written++;
    return c->publish ? c->publish(c->publish_ctx, a) : 0;
}

uint64_t lo_journal_max_alert_id(lo_journal *j)
{
    sqlite3_stmt *st;
    uint64_t id = 0;
    if (sqlite3_prepare_v2(j->db, "SELECT max(alert_id) FROM alert_transition", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) id = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static bool enum_from_name(const char *s, const char *(*name)(int), int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (s && strcmp(s, name(i)) == 0) {
            *out = i;
            return true;
        }
    return false;
}

static const char *level_name_int(int i) { return lo_alert_level_name((lo_alert_level)i); }
static const char *transition_name_int(int i)
{
    return lo_alert_transition_name((lo_alert_transition)i);
}

static double column_double(sqlite3_stmt *st, int i, double if_null)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? if_null : sqlite3_column_double(st, i);
}

long lo_journal_list(lo_journal *j, double since_t, lo_journal_row_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            j->db,
            "SELECT seq, alert_id, track_id, zone_index, zone_name, level, transition, t, class, "
            "class_confidence, distance_m, time_to_entry_s, time_to_entry_sigma_s, impact_e_m, "
            "impact_n_m, impact_cov_ee, impact_cov_en, impact_cov_nn, launch_e_m, launch_n_m, "
            "reason, snapshot "
            "FROM alert_transition WHERE t >= ? ORDER BY seq",
            -1, &st, NULL) != SQLITE_OK) {
        set_error(j, "%s", sqlite3_errmsg(j->db));
        return -1;
    }
    sqlite3_bind_double(st, 1, isfinite(since_t) ? since_t : -1e300);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        lo_alert a;
        memset(&a, 0, sizeof a);
        int64_t seq = sqlite3_column_int64(st, 0);
        a.alert_id = (uint64_t)sqlite3_column_int64(st, 1);
        a.track_id = (uint32_t)sqlite3_column_int64(st, 2);
        a.zone_index = sqlite3_column_int(st, 3);
        snprintf(a.zone_name, sizeof a.zone_name, "%s",
                 (const char *)sqlite3_column_text(st, 4));
        int v = 0;
        enum_from_name((const char *)sqlite3_column_text(st, 5), level_name_int, 3, &v);
        a.level = (lo_alert_level)v;
        v = 0;
        enum_from_name((const char *)sqlite3_column_text(st, 6), transition_name_int, 3, &v);
        a.transition = (lo_alert_transition)v;
        a.t = sqlite3_column_double(st, 7);
        lo_class c = LO_CLASS_UNKNOWN;
        lo_class_from_name((const char *)sqlite3_column_text(st, 8), &c);
        a.cls = c;
        a.class_confidence = column_double(st, 9, 0);
        a.distance_m = column_double(st, 10, 0);
        a.time_to_entry_s = column_double(st, 11, -1);
        a.time_to_entry_sigma_s = column_double(st, 12, 0);
        a.has_impact = sqlite3_column_type(st, 13) != SQLITE_NULL;
        a.impact_enu[0] = column_double(st, 13, 0);
        a.impact_enu[1] = column_double(st, 14, 0);
        a.impact_cov[0] = column_double(st, 15, 0);
        a.impact_cov[1] = a.impact_cov[2] = column_double(st, 16, 0);
        a.impact_cov[3] = column_double(st, 17, 0);
        a.has_launch = sqlite3_column_type(st, 18) != SQLITE_NULL;
        a.launch_enu[0] = column_double(st, 18, 0);
        a.launch_enu[1] = column_double(st, 19, 0);
        snprintf(a.reason, sizeof a.reason, "%s", (const char *)sqlite3_column_text(st, 20));
        const char *snap = (const char *)sqlite3_column_text(st, 21);
        if (snap) lo_track_snapshot_from_json(snap, &a.snapshot);
        n++;
        if (fn && !fn(ctx, seq, &a, snap ? snap : "{}")) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_error(j, "%s", sqlite3_errmsg(j->db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return n;
}
