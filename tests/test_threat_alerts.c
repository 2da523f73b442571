/* The alert engine with scripted track sequences: levels by rule, one alert per (track, zone),
 * raise/update/clear lifecycle, hysteresis at a zone boundary, no alerts for birds and
 * aircraft, deletion and loss clear, a failing sink publishes nothing, and the `alerts:` YAML
 * section with its errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/geo.h"
#include "lookout/threat.h"
#include "testutil.h"

#define MAX_LOG 4096

typedef struct alert_log {
    int n;
    lo_alert a[MAX_LOG];
    int fail_next; /* make the sink fail this many times */
} alert_log;

static int log_alert(void *ctx, const lo_alert *a)
{
    alert_log *log = ctx;
    if (log->fail_next > 0) {
        log->fail_next--;
        return 42;
    }
    if (log->n < MAX_LOG) log->a[log->n++] = *a;
    return 0;
}

static int count(const alert_log *log, int zone, int transition)
{
    int n = 0;
    for (int i = 0; i < log->n; i++)
        if ((zone < 0 || log->a[i].zone_index == zone) &&
            (transition < 0 || (int)log->a[i].transition == transition))
            n++;
    return n;
}

/* residence (circle r 150 at the origin, priority 1) and district (4 x 4 km square,
 * priority 3). */
static void make_zones(lo_zone z[2])
{
    memset(z, 0, 2 * sizeof z[0]);
    strcpy(z[0].name, "residence");
    z[0].shape = LO_ZONE_CIRCLE;
    z[0].priority = 1;
    z[0].radius_m = 150;
    z[0].alt_max_m = 1500;
    strcpy(z[1].name, "district");
    z[1].shape = LO_ZONE_POLYGON;
    z[1].priority = 3;
    z[1].n_vertices = 4;
    double v[4][2] = {{-2000, -2000}, {2000, -2000}, {2000, 2000}, {-2000, 2000}};
    memcpy(z[1].vertex_enu, v, sizeof v);
    z[1].alt_max_m = 1500;
}

static lo_track track_at(uint32_t id, lo_class cls, double t, double x, double y, double up,
                         double vx, double vy)
{
    lo_track trk;
    memset(&trk, 0, sizeof trk);
    trk.id = id;
    trk.status = LO_TRACK_CONFIRMED;
    trk.t = t;
    trk.pos[0] = x, trk.pos[1] = y, trk.pos[2] = up;
    trk.vel[0] = vx, trk.vel[1] = vy;
    trk.pos_cov[0] = trk.pos_cov[4] = trk.pos_cov[8] = 25;
    trk.vel_cov[0] = trk.vel_cov[4] = trk.vel_cov[8] = 1;
    if (cls != LO_CLASS_UNKNOWN) trk.class_prob[cls] = 0.9;
    return trk;
}

static lo_threat_engine *engine(void)
{
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    lo_zone z[2];
    make_zones(z);
    return lo_threat_engine_new(&cfg, z, 2);
}

static void test_drone_approach(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    /* A drone 9.15 km east heading west at 40 m/s: reaches the district edge (2 km) after
     * 179 s and the residence edge after 225 s; inside the residence at the end. Scans every
     * second. */
    double t0 = 1e9;
    for (int k = 0; k <= 230; k++) {
        double t = t0 + k;
        lo_track trk = track_at(5, LO_CLASS_FIXED_WING, t, 9150 - 40.0 * k, 0, 150, -40, 0);
        /* From a minute on its plots show a propeller (the classifier's mean width). */
        if (k >= 60) trk.doppler_spread_mean_mps = 12.4;
        assert_int_equal(lo_threat_update(e, t, &trk, 1, log_alert, log), 0);
    }
    /* One alert per (track, zone): one raise each, never cleared while the threat lasts. */
    assert_int_equal(count(log, 0, LO_ALERT_RAISED), 1);
    assert_int_equal(count(log, 1, LO_ALERT_RAISED), 1);
    assert_int_equal(count(log, -1, LO_ALERT_CLEARED), 0);
    uint64_t id0 = 0, id1 = 0;
    for (int i = 0; i < log->n; i++) {
        const lo_alert *a = &log->a[i];
        uint64_t *id = a->zone_index == 0 ? &id0 : &id1;
        if (!*id) *id = a->alert_id;
        assert_true(*id == a->alert_id);
        assert_int_equal(a->track_id, 5);
        assert_int_equal(a->snapshot.id, 5);
    }
    assert_true(id0 != id1);

    /* The residence alert: raised at once as a warning (entry in 225 s), an alarm once the
     * class has held for alarm_class_hold_s (5 s). */
    const lo_alert *first = NULL, *first_alarm = NULL;
    for (int i = 0; i < log->n; i++) {
        if (log->a[i].zone_index != 0) continue;
        if (!first) first = &log->a[i];
        if (!first_alarm && log->a[i].level == LO_ALERT_ALARM) first_alarm = &log->a[i];
    }
    assert_non_null(first);
    assert_int_equal(first->transition, LO_ALERT_RAISED);
    assert_int_equal(first->level, LO_ALERT_WARNING);
    assert_near(first->t, t0, 0);
    assert_non_null(first_alarm);
    assert_int_equal(first_alarm->transition, LO_ALERT_UPDATED);
    assert_near(first_alarm->t, t0 + 5, 0);
    assert_near(first->time_to_entry_s, 9000 / 40.0, 1e-6);
    assert_near(first->distance_m, 9000, 1e-6);
    assert_int_equal(first->cls, LO_CLASS_FIXED_WING);
    assert_string_equal(first->reason, "drone, 9.0 km E of residence, 40 m/s, entry in 225 s");
    /* Once the blades show, the reason says why it is a drone. */
    const lo_alert *blades = NULL;
    for (int i = 0; i < log->n && !blades; i++)
        if (log->a[i].zone_index == 0 && log->a[i].t >= t0 + 60) blades = &log->a[i];
    assert_non_null(blades);
    if (strncmp(blades->reason, "drone (blade flash 12 m/s), ", 28) != 0)
        fail_msg("reason after 60 s: '%s'", blades->reason);

    /* The district alert: a warning (priority 3). */
    for (int i = 0; i < log->n; i++)
        if (log->a[i].zone_index == 1) assert_int_equal(log->a[i].level, LO_ALERT_WARNING);

    /* Updates every 10 s count down; inside at the end. */
    int updates0 = count(log, 0, LO_ALERT_UPDATED);
    assert_true(updates0 >= 22 && updates0 <= 25);
    const lo_alert *last = NULL;
    for (int i = 0; i < log->n; i++)
        if (log->a[i].zone_index == 0) last = &log->a[i];
    assert_non_null(strstr(last->reason, "inside residence"));

    /* Deleting the track clears both alerts at once. */
    lo_track del = track_at(5, LO_CLASS_FIXED_WING, t0 + 231, 0, 0, 150, -40, 0);
    del.status = LO_TRACK_DELETED;
    int before = log->n;
    assert_int_equal(lo_threat_update(e, t0 + 231, &del, 1, log_alert, log), 0);
    assert_int_equal(log->n, before + 2);
    assert_int_equal(count(log, -1, LO_ALERT_CLEARED), 2);
    assert_non_null(strstr(log->a[log->n - 1].reason, "cleared (track deleted)"));
    lo_alert active[4];
    assert_int_equal(lo_threat_active(e, active, 4), 0);
    free(log);
    lo_threat_engine_free(e);
}

/* A multirotor hovering to and fro across the residence edge (-130..+130 m). The raw rule
 * level flips between alarm (inside or close) and info (outside, could reach it); the alert
 * must stay one steady alarm. */
static void test_no_flapping_at_boundary(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    lo_zone z[2];
    make_zones(z);
    double t0 = 2e9;
    int raw_changes = 0, raw_prev = -2;
    for (int k = 0; k < 200; k++) {
        double t = t0 + k;
        /* Edge at x = 150; beyond 100 m (the approach tolerance) outside, the raw level
         * drops to info. */
        double x = 150 + 130 * sin(k * 0.7);
        lo_track trk = track_at(9, LO_CLASS_MULTIROTOR, t, x, 0, 80, 0, 0);
        lo_zone_threat zt;
        lo_threat_evaluate_zone(&cfg, &trk, LO_GROUP_DRONE, &z[0], NULL, &zt);
        int raw = lo_threat_rule_level(&cfg, LO_GROUP_DRONE, 0.9, 60, &z[0], &zt, false);
        if (raw != raw_prev) raw_changes++;
        raw_prev = raw;
        assert_int_equal(lo_threat_update(e, t, &trk, 1, log_alert, log), 0);
    }
    assert_true(raw_changes > 20); /* the scenario does flap without hysteresis */
    assert_int_equal(count(log, 0, LO_ALERT_RAISED), 1);
    assert_int_equal(count(log, 0, LO_ALERT_CLEARED), 0);
    int first_alarm = -1;
    for (int i = 0; i < log->n; i++) {
        if (log->a[i].zone_index != 0) continue;
        if (log->a[i].level == LO_ALERT_ALARM && first_alarm < 0) first_alarm = i;
        /* Once an alarm, always an alarm while it hovers there. */
        if (first_alarm >= 0) assert_int_equal(log->a[i].level, LO_ALERT_ALARM);
    }
    assert_true(first_alarm >= 0);
    /* Only the periodic updates: ~200 s / 10 s, plus at most one escalation. */
    assert_true(count(log, 0, LO_ALERT_UPDATED) <= 21);

    /* It flies off east at 20 m/s: the alarm steps down (after the hold time) and later
     * clears; a level never goes down before hold_s after the drone left the margin. */
    double t_left = -1;
    for (int k = 0; k < 400; k++) {
        double t = t0 + 200 + k;
        double x = 200 + 20.0 * k;
        /* Leaves the relaxed "close" condition: a still or receding track is close while its
         * distance d satisfies d <= 0.5 d + margin, i.e. d <= 2 margin. */
        if (t_left < 0 && x - 150 > 2 * cfg.margin_m) t_left = t;
        lo_track trk = track_at(9, LO_CLASS_MULTIROTOR, t, x, 0, 80, 20, 0);
        assert_int_equal(lo_threat_update(e, t, &trk, 1, log_alert, log), 0);
    }
    double t_down = -1, t_clear = -1;
    for (int i = 0; i < log->n; i++) {
        const lo_alert *a = &log->a[i];
        if (a->zone_index != 0) continue;
        if (t_down < 0 && a->level < LO_ALERT_ALARM && a->transition == LO_ALERT_UPDATED)
            t_down = a->t;
        if (a->transition == LO_ALERT_CLEARED) t_clear = a->t;
    }
    assert_true(t_down >= t_left + cfg.hold_s);
    assert_true(t_clear > t_down);
    assert_int_equal(count(log, 0, LO_ALERT_CLEARED), 1);
    free(log);
    lo_threat_engine_free(e);
}

static void test_no_alerts_for_birds_and_aircraft(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    double t0 = 3e9;
    for (int k = 0; k < 200; k++) {
        double t = t0 + k;
        lo_track tr[4] = {
            /* A pigeon flying straight through the residence. */
            track_at(1, LO_CLASS_BIRD, t, 1000 - 10.0 * k, 0, 50, -10, 0),
            /* An airliner overflying at 3 km. */
            track_at(2, LO_CLASS_AIRLINER, t, 20000 - 150.0 * k, 0, 3000, -150, 0),
            /* A helicopter crossing the district at 300 m. */
            track_at(3, LO_CLASS_HELICOPTER, t, -3000 + 40.0 * k, 500, 300, 40, 0),
            /* A car on a bridge inside the district. */
            track_at(4, LO_CLASS_GROUND_VEHICLE, t, 800, -1500 + 12.0 * k, 0, 0, 12),
        };
        assert_int_equal(lo_threat_update(e, t, tr, 4, log_alert, log), 0);
    }
    assert_int_equal(log->n, 0);
    free(log);
    lo_threat_engine_free(e);
}

static void test_unknown_class_never_alarms(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    double t0 = 4e9;
    for (int k = 0; k < 100; k++) {
        double t = t0 + k;
        lo_track trk = track_at(11, LO_CLASS_UNKNOWN, t, 1500 - 15.0 * k, 0, 100, -15, 0);
        assert_int_equal(lo_threat_update(e, t, &trk, 1, log_alert, log), 0);
    }
    assert_true(count(log, 0, LO_ALERT_RAISED) == 1);
    for (int i = 0; i < log->n; i++) assert_true(log->a[i].level <= LO_ALERT_WARNING);
    /* Classified a drone later: escalates to alarm as soon as the class has held for 5 s,
     * same alert. */
    int before = log->n;
    double escalated_at = -1;
    for (int k = 100; k <= 106; k++) {
        lo_track trk = track_at(11, LO_CLASS_MULTIROTOR, t0 + k, 1500 - 15.0 * k, 0, 100, -15, 0);
        assert_int_equal(lo_threat_update(e, t0 + k, &trk, 1, log_alert, log), 0);
    }
    for (int i = before; i < log->n; i++)
        if (log->a[i].zone_index == 0 && log->a[i].transition == LO_ALERT_UPDATED &&
            log->a[i].level == LO_ALERT_ALARM && escalated_at < 0)
            escalated_at = log->a[i].t;
    assert_near(escalated_at, t0 + 105, 0);
    assert_int_equal(count(log, 0, LO_ALERT_RAISED), 1);
    free(log);
    lo_threat_engine_free(e);
}

static void test_rocket_alarm(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    /* At its apogee of 1,000 m, 130 m/s east, placed to come down on the residence centre
     * after T = sqrt(2 h / g) = 14.3 s. */
    double T = sqrt(2 * 1000 / LO_G0);
    lo_track trk = track_at(21, LO_CLASS_ROCKET, 5e9, -130 * T, 0, 1000, 130, 0);
    assert_int_equal(lo_threat_update(e, 5e9, &trk, 1, log_alert, log), 0);
    assert_int_equal(count(log, 0, LO_ALERT_RAISED), 1);
    const lo_alert *a = NULL;
    for (int i = 0; i < log->n; i++)
        if (log->a[i].zone_index == 0) a = &log->a[i];
    assert_non_null(a);
    assert_int_equal(a->level, LO_ALERT_ALARM);
    assert_true(a->has_impact);
    assert_near(a->impact_enu[0], 0, 1);
    assert_near(a->time_to_entry_s, T, 0.05);
    assert_int_equal(a->cls, LO_CLASS_ROCKET);
    char want[64];
    snprintf(want, sizeof want, "rocket, impact in residence in %.0f s", T);
    assert_non_null(strstr(a->reason, want));
    /* Falling: the impact prediction is re-published every scan (ballistic_update_period_s),
     * counting down. */
    int before = log->n;
    for (int k = 1; k <= 5; k++) {
        lo_track f = track_at(21, LO_CLASS_ROCKET, 5e9 + k, -130 * T + 130 * k, 0,
                              1000 - 0.5 * LO_G0 * k * k, 130, 0);
        f.vel[2] = -LO_G0 * k;
        assert_int_equal(lo_threat_update(e, 5e9 + k, &f, 1, log_alert, log), 0);
    }
    int updates = 0;
    double last_tti = T + 1;
    for (int i = before; i < log->n; i++) {
        if (log->a[i].zone_index != 0) continue;
        assert_int_equal(log->a[i].transition, LO_ALERT_UPDATED);
        assert_true(log->a[i].time_to_entry_s < last_tti);
        last_tti = log->a[i].time_to_entry_s;
        assert_near(log->a[i].impact_enu[0], 0, 2);
        updates++;
    }
    assert_int_equal(updates, 5);
    assert_near(last_tti, T - 5, 0.1);
    free(log);
    lo_threat_engine_free(e);
}

static void test_stale_and_failing_sink(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    lo_threat_engine_set_next_alert_id(e, 1000);
    alert_log *log = calloc(1, sizeof *log);
    double t0 = 6e9;
    lo_track trk = track_at(31, LO_CLASS_MULTIROTOR, t0, 100, 0, 50, 0, 0);
    /* The sink fails: nothing is published, the update reports it, and the same alert id is
     * used when it works again. */
    log->fail_next = 1;
    assert_int_equal(lo_threat_update(e, t0, &trk, 1, log_alert, log), 42);
    assert_int_equal(log->n, 0);
    lo_alert active[4];
    assert_int_equal(lo_threat_active(e, active, 4), 0);
    assert_int_equal(lo_threat_update(e, t0 + 1, &trk, 1, log_alert, log), 0);
    assert_true(log->n >= 1);
    assert_int_equal(log->a[0].alert_id, 1000);
    assert_int_equal(log->a[0].transition, LO_ALERT_RAISED);
    /* Not reported again: cleared as lost after stale_s (30 s). */
    int before = log->n;
    lo_track other = track_at(32, LO_CLASS_BIRD, t0 + 20, 5000, 0, 50, 0, 0);
    assert_int_equal(lo_threat_update(e, t0 + 20, &other, 1, log_alert, log), 0);
    assert_int_equal(log->n, before);
    assert_int_equal(lo_threat_update(e, t0 + 31, &other, 1, log_alert, log), 0);
    assert_int_equal(count(log, -1, LO_ALERT_CLEARED), 2); /* residence and district */
    assert_non_null(strstr(log->a[log->n - 1].reason, "track lost"));
    /* Tentative tracks raise nothing. */
    trk.status = LO_TRACK_TENTATIVE;
    before = log->n;
    assert_int_equal(lo_threat_update(e, t0 + 40, &trk, 1, log_alert, log), 0);
    assert_int_equal(log->n, before);
    free(log);
    lo_threat_engine_free(e);
}


/* The classifier's doubt: a drone at 0.6 gets a warning, at 0.9 (above the alarm's 0.85) an
 * alarm at once; wavering to 0.8 keeps the alarm (margin 0.1), a drop to 0.7 steps down after
 * the hold time. */
static void test_confidence_gates_alarm(void **state)
{
    (void)state;
    lo_threat_engine *e = engine();
    alert_log *log = calloc(1, sizeof *log);
    double t0 = 7e9;
    static const struct { double from, to, p; } phases[] = {
        {0, 20, 0.6}, {20, 40, 0.9}, {40, 60, 0.8}, {60, 90, 0.7}};
    for (int k = 0; k < 90; k++) {
        double p = 0;
        for (int i = 0; i < 4; i++)
            if (k >= phases[i].from && k < phases[i].to) p = phases[i].p;
        lo_track trk = track_at(41, LO_CLASS_UNKNOWN, t0 + k, 6000 - 20.0 * k, 0, 100, -20, 0);
        trk.class_prob[LO_CLASS_FIXED_WING] = p;
        trk.class_prob[LO_CLASS_BIRD] = 1 - p;
        assert_int_equal(lo_threat_update(e, t0 + k, &trk, 1, log_alert, log), 0);
    }
    int level_at[90];
    for (int k = 0; k < 90; k++) level_at[k] = -1;
    int cur = -1;
    for (int k = 0, i = 0; k < 90; k++) {
        for (; i < log->n && log->a[i].t <= t0 + k; i++)
            if (log->a[i].zone_index == 0) cur = (int)log->a[i].level;
        level_at[k] = cur;
    }
    assert_int_equal(count(log, 0, LO_ALERT_RAISED), 1);
    assert_int_equal(level_at[0], LO_ALERT_WARNING);
    assert_int_equal(level_at[19], LO_ALERT_WARNING);
    assert_int_equal(level_at[20], LO_ALERT_ALARM); /* at once */
    assert_int_equal(level_at[59], LO_ALERT_ALARM); /* 0.8 is within the margin */
    assert_int_equal(level_at[69], LO_ALERT_ALARM); /* 0.7: held for hold_s (10 s) ... */
    assert_int_equal(level_at[75], LO_ALERT_WARNING); /* ... then down */
    free(log);
    lo_threat_engine_free(e);
}

static void test_yaml_config(void **state)
{
    (void)state;
    static const char *good =
        "site: {name: x}\n"
        "alerts:\n"
        "  hold_s: 4\n"
        "  terrain_up_m: -12.5\n"
        "  ballistic_model_index: 2\n"
        "  max_speed_mps: {drone: 45}\n"
        "  rules:\n"
        "    - {group: drone, max_priority: 1, level: alarm, max_time_s: 200, min_probability: 0.8}\n"
        "    - {group: unknown, level: info, max_time_s: 60, use_reach: true}\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_ydoc *d = lo_ydoc_load_string(good, strlen(good), "site.yaml", &diags.sink);
    assert_non_null(d);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    assert_int_equal(lo_threat_config_from_yaml(d, &cfg, &diags.sink), 0);
    assert_near(cfg.hold_s, 4, 0);
    assert_near(cfg.terrain_up_m, -12.5, 0);
    assert_int_equal(cfg.ballistic_model_index, 2);
    assert_near(cfg.max_speed_mps[LO_GROUP_DRONE], 45, 0);
    assert_near(cfg.max_speed_mps[LO_GROUP_BIRD], 20, 0); /* default kept */
    assert_int_equal(cfg.n_rules, 2);
    assert_int_equal(cfg.rules[0].group, LO_GROUP_DRONE);
    assert_int_equal(cfg.rules[0].max_priority, 1);
    assert_int_equal(cfg.rules[0].level, LO_ALERT_ALARM);
    assert_near(cfg.rules[0].max_time_s, 200, 0);
    assert_near(cfg.rules[0].min_probability, 0.8, 0);
    assert_near(cfg.rules[1].min_probability, 0, 0);
    assert_int_equal(cfg.rules[1].group, LO_GROUP_UNKNOWN);
    assert_int_equal(cfg.rules[1].max_priority, 9);
    assert_true(cfg.rules[1].use_reach);
    lo_ydoc_free(d);

    static const char *bad =
        "alerts:\n"
        "  hold_min: 4\n"
        "  rules:\n"
        "    - {group: drone, level: alarm, max_time_s: 200}\n"
        "    - {group: dragon, level: alarm, max_time_s: 200}\n"
        "    - {group: drone, level: panic, max_time_s: -3}\n";
    lo_test_diags_init(&diags, false);
    d = lo_ydoc_load_string(bad, strlen(bad), "bad.yaml", &diags.sink);
    assert_non_null(d);
    lo_threat_config_default(&cfg);
    int n_default = cfg.n_rules;
    assert_int_equal(lo_threat_config_from_yaml(d, &cfg, &diags.sink), -1);
    assert_non_null(strstr(diags.all, "bad.yaml:2:"));
    assert_non_null(strstr(diags.all, "alerts.hold_min"));
    assert_non_null(strstr(diags.all, "bad.yaml:5:"));
    assert_non_null(strstr(diags.all, "alerts.rules[1].group"));
    assert_non_null(strstr(diags.all, "alerts.rules[2].level"));
    assert_non_null(strstr(diags.all, "alerts.rules[2].max_time_s"));
    assert_int_equal(cfg.n_rules, n_default); /* a broken table does not half-replace */
    lo_ydoc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drone_approach),
        cmocka_unit_test(test_no_flapping_at_boundary),
        cmocka_unit_test(test_no_alerts_for_birds_and_aircraft),
        cmocka_unit_test(test_unknown_class_never_alarms),
        cmocka_unit_test(test_rocket_alarm),
        cmocka_unit_test(test_stale_and_failing_sink),
        cmocka_unit_test(test_confidence_gates_alarm),
        cmocka_unit_test(test_yaml_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
