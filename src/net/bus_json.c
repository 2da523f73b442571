/*
 * bus_json.c: alert transitions as JSON for the NATS bus, and subject tokens.
 *
 * The schema is documented in docs/nats.md ("Alert transitions"); both directions live here so
 * they cannot drift apart. Non-finite numbers (a time to entry that does not exist) are written
 * as null, never as nan, so any JSON reader takes the payload.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/bus.h"
#include "lookout/formats.h"

const char *lo_bus_role_name(lo_bus_role r)
{
    static const char *const names[] = {"edge", "fusion", "display"};
    return (r >= LO_BUS_ROLE_EDGE && r <= LO_BUS_ROLE_DISPLAY) ? names[r] : "unknown";
}

const char *lo_bus_token(const char *name, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    size_t n = 0;
    for (const char *p = name ? name : ""; *p && n + 1 < len; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        buf[n++] = ok ? ch : '_';
    }
    if (n == 0 && len > 1)
        buf[n++] = '_';
    buf[n] = '\0';
    return buf;
}

/* A real, or null when not finite (jansson refuses nan/inf). */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *vec(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

char *lo_bus_alert_to_json(const lo_alert *a, const char *node, uint64_t seq)
{
    char when[40];
    lo_format_time(a->t, when, sizeof when);
    json_t *o = json_object();
    json_object_set_new(o, "node", json_string(node ? node : ""));
    json_object_set_new(o, "alert_id", json_integer((json_int_t)a->alert_id));
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    json_object_set_new(o, "track_id", json_integer((json_int_t)a->track_id));
    json_object_set_new(o, "zone", json_string(a->zone_name));
    json_object_set_new(o, "zone_index", json_integer(a->zone_index));
    json_object_set_new(o, "level", json_string(lo_alert_level_name(a->level)));
    json_object_set_new(o, "transition", json_string(lo_alert_transition_name(a->transition)));
    json_object_set_new(o, "t", num(a->t));
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "class", json_string(lo_class_name(a->cls)));
    json_object_set_new(o, "class_confidence", num(a->class_confidence));
    json_object_set_new(o, "distance_m", num(a->distance_m));
    json_object_set_new(o, "time_to_entry_s", num(a->time_to_entry_s));
    json_object_set_new(o, "time_to_entry_sigma_s", num(a->time_to_entry_sigma_s));
    if (a->has_impact) {
        json_t *imp = json_object();
        json_object_set_new(imp, "enu_m", vec(a->impact_enu, 2));
        json_object_set_new(imp, "cov_m2", vec(a->impact_cov, 4));
        json_object_set_new(o, "impact", imp);
    } else {
        json_object_set_new(o, "impact", json_null());
    }
    json_object_set_new(o, "reason", json_string(a->reason));
    /* Enough of the track for a display that has no track feed from this node. */
    json_t *trk = json_object();
    json_object_set_new(trk, "status", json_string(lo_track_status_name(a->snapshot.status)));
    json_object_set_new(trk, "t", num(a->snapshot.t));
    json_object_set_new(trk, "pos_m", vec(a->snapshot.pos, 3));
    json_object_set_new(trk, "vel_mps", vec(a->snapshot.vel, 3));
    json_object_set_new(o, "track", trk);
    /* Compact output: no raw newline or tab, which the spool file relies on. 16 significant
     * digits keep microseconds of a UTC time and print 0.93 as 0.93. */
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(16));
    json_decref(o);
    return s;
}

static double get_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void get_vec(const json_t *o, const char *key, double *out, int n)
{
    const json_t *a = json_object_get(o, key);
    for (int i = 0; i < n; i++) {
        const json_t *v = json_is_array(a) ? json_array_get(a, (size_t)i) : NULL;
        out[i] = json_is_number(v) ? json_number_value(v) : NAN;
    }
}

static bool copy_str(const json_t *o, const char *key, char *buf, size_t len)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= len)
        return false;
    memcpy(buf, s, strlen(s) + 1);
    return true;
}

bool lo_bus_alert_from_json(const char *json, size_t len, lo_alert *out, char *node,
                            size_t node_len, uint64_t *seq)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loadb(json, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return false;
    }
    bool ok = true;
    const json_t *id = json_object_get(o, "alert_id"), *trk = json_object_get(o, "track_id");
    ok = ok && json_is_integer(id) && json_integer_value(id) >= 0;
    ok = ok && json_is_integer(trk) && json_integer_value(trk) >= 0;
    if (ok) {
        out->alert_id = (uint64_t)json_integer_value(id);
        out->track_id = (uint32_t)json_integer_value(trk);
    }
    ok = ok && copy_str(o, "zone", out->zone_name, sizeof out->zone_name);

    const char *level = json_string_value(json_object_get(o, "level"));
    const char *transition = json_string_value(json_object_get(o, "transition"));
    bool level_ok = false, transition_ok = false;
    for (int l = LO_ALERT_INFO; level && l <= LO_ALERT_ALARM; l++)
        if (strcmp(level, lo_alert_level_name((lo_alert_level)l)) == 0) {
            out->level = (lo_alert_level)l;
            level_ok = true;
        }
    for (int t = LO_ALERT_RAISED; transition && t <= LO_ALERT_CLEARED; t++)
        if (strcmp(transition, lo_alert_transition_name((lo_alert_transition)t)) == 0) {
            out->transition = (lo_alert_transition)t;
            transition_ok = true;
        }
    out->t = get_num(o, "t");
    ok = ok && level_ok && transition_ok && isfinite(out->t);

    if (node && node_len) {
        node[0] = '\0';
        copy_str(o, "node", node, node_len);
    }
    if (seq) {
        const json_t *s = json_object_get(o, "seq");
        *seq = json_is_integer(s) && json_integer_value(s) >= 0 ? (uint64_t)json_integer_value(s)
                                                                 : 0;
    }
    const json_t *zi = json_object_get(o, "zone_index");
    out->zone_index = json_is_integer(zi) ? (int)json_integer_value(zi) : -1;
    const char *cls = json_string_value(json_object_get(o, "class"));
    if (!cls || !lo_class_from_name(cls, &out->cls))
        out->cls = LO_CLASS_UNKNOWN;
    out->class_confidence = get_num(o, "class_confidence");
    out->distance_m = get_num(o, "distance_m");
    out->time_to_entry_s = get_num(o, "time_to_entry_s");
    out->time_to_entry_sigma_s = get_num(o, "time_to_entry_sigma_s");
    const json_t *imp = json_object_get(o, "impact");
    if (json_is_object(imp)) {
        out->has_impact = true;
        get_vec(imp, "enu_m", out->impact_enu, 2);
        get_vec(imp, "cov_m2", out->impact_cov, 4);
    }
    copy_str(o, "reason", out->reason, sizeof out->reason);
    const json_t *snap = json_object_get(o, "track");
    out->snapshot.id = out->track_id;
    if (json_is_object(snap)) {
        const char *st = json_string_value(json_object_get(snap, "status"));
        if (st)
            lo_track_status_from_name(st, &out->snapshot.status);
        out->snapshot.t = get_num(snap, "t");
        get_vec(snap, "pos_m", out->snapshot.pos, 3);
        get_vec(snap, "vel_mps", out->snapshot.vel, 3);
    }
    json_decref(o);
    return ok;
}
