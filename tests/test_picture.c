/* Tests of the operator picture (src/serve/picture.c): track store and trails, alerts and
 * their ageing, JSON content (geodetic conversion, impact ellipse), metrics and latency
 * quantiles, and concurrent writers/readers. */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/geo.h"
#include "lookout/picture.h"

#define T0 1795381200.0 /* 2026-11-22T21:00:00Z */

static lo_track make_track(uint32_t id, double t, double e, double n, double u)
{
    lo_track tr;
    memset(&tr, 0, sizeof tr);
    tr.id = id;
    tr.status = LO_TRACK_CONFIRMED;
    tr.t = t;
    tr.t_first = T0;
    tr.pos[0] = e;
    tr.pos[1] = n;
    tr.pos[2] = u;
    tr.vel[0] = 10.0; /* east */
    tr.class_prob[LO_CLASS_FIXED_WING] = 0.7;
    tr.class_prob[LO_CLASS_BIRD] = 0.2;
    tr.class_prob[LO_CLASS_UNKNOWN] = 0.1;
    return tr;
}

static json_t *find_track(json_t *root, json_int_t id)
{
    json_t *tracks = json_object_get(root, "tracks");
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t) if (json_integer_value(json_object_get(t, "id")) == id) return t;
    return NULL;
}

static void test_tracks_trail_and_delete(void **state)
{
    (void)state;
    lo_picture_config cfg;
    lo_picture_config_defaults(&cfg);
    cfg.trail_s = 10.0;
    cfg.trail_min_step_s = 1.0;
    lo_picture *pic = lo_picture_new(&cfg);
    assert_non_null(pic);

    /* 30 scans of 3 tracks, ids given out of order on the first scan. */
    for (int k = 0; k < 30; k++) {
        lo_track batch[3] = {make_track(7, T0 + k, 10.0 * k, 0, 100), make_track(3, T0 + k, 0, 5.0 * k, 50),
                             make_track(12, T0 + k, -1, -1, 10)};
        batch[0].last_flags |= LO_PLOT_DOPPLER_SPREAD; /* its last plot showed rotor blades */
        batch[0].last_doppler_spread_mps = 24.5;
        batch[0].doppler_spread_mean_mps = 19.5; /* the classifier's mean over its plots */
        lo_picture_update_tracks(pic, batch, 3);
    }
    lo_picture_stats st;
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_tracks, 3);
    assert_int_equal(st.tracks_created, 3);
    assert_near(st.clock, T0 + 29, 1e-9);

    json_t *root = lo_picture_json(pic, LO_PIC_TRACKS | LO_PIC_TRAILS);
    json_t *tracks = json_object_get(root, "tracks");
    assert_int_equal(json_array_size(tracks), 3);
    /* Sorted by id. */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tracks, 0), "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tracks, 2), "id")), 12);
    json_t *t7 = find_track(root, 7);
    assert_non_null(t7);
    /* Trail: points within the last 10 s at 1 s steps, oldest first, newest = the report. */
    json_t *trail = json_object_get(t7, "trail");
    assert_int_equal(json_array_size(trail), 11);
    assert_near(json_real_value(json_array_get(json_array_get(trail, 0), 0)), 190.0, 1e-3);
    assert_near(json_real_value(json_array_get(json_array_get(trail, 10), 0)), 290.0, 1e-3);
    assert_near(json_real_value(json_array_get(json_array_get(trail, 10), 3)), T0 + 29, 1e-3);
    assert_string_equal(json_string_value(json_object_get(t7, "class")), "fixed_wing");
    assert_string_equal(json_string_value(json_object_get(t7, "group")), "drone");
    assert_near(json_real_value(json_object_get(json_object_get(t7, "class_prob"), "bird")), 0.2, 1e-9);
    assert_near(json_real_value(json_object_get(t7, "speed_mps")), 10.0, 1e-9);
    assert_near(json_real_value(json_object_get(t7, "heading_deg")), 90.0, 1e-9);
    assert_near(json_real_value(json_object_get(t7, "doppler_spread_mps")), 24.5, 1e-9);
    assert_near(json_real_value(json_object_get(t7, "doppler_spread_mean_mps")), 19.5, 1e-9);
    assert_null(json_object_get(find_track(root, 3), "doppler_spread_mean_mps"));
    assert_null(json_object_get(find_track(root, 3), "doppler_spread_mps"));
    /* No site yet: no lat/lon. */
    assert_null(json_object_get(t7, "lat_deg"));
    json_decref(root);

    /* An older report does not move a track back. */
    lo_track old = make_track(7, T0 + 5, -999, -999, 0);
    lo_picture_update_tracks(pic, &old, 1);
    root = lo_picture_json(pic, LO_PIC_TRACKS);
    assert_near(json_real_value(json_array_get(json_object_get(find_track(root, 7), "enu_m"), 0)), 290.0, 1e-6);
    assert_null(json_object_get(find_track(root, 7), "trail"));
    json_decref(root);

    /* Deletion removes the track; deleting an unknown id is harmless. */
    lo_track del = make_track(7, T0 + 30, 0, 0, 0);
    del.status = LO_TRACK_DELETED;
    lo_track del_unknown = make_track(99, T0 + 30, 0, 0, 0);
    del_unknown.status = LO_TRACK_DELETED;
    lo_track dels[2] = {del, del_unknown};
    lo_picture_update_tracks(pic, dels, 2);
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_tracks, 2);
    root = lo_picture_json(pic, LO_PIC_TRACKS);
    assert_null(find_track(root, 7));
    assert_non_null(find_track(root, 3));
    json_decref(root);
    lo_picture_free(pic);
}

static lo_alert make_alert(uint64_t id, uint32_t track, lo_alert_level level, lo_alert_transition tr, double t,
                           double tte)
{
    lo_alert a;
    memset(&a, 0, sizeof a);
    a.alert_id = id;
    a.track_id = track;
    snprintf(a.zone_name, sizeof a.zone_name, "residence");
    a.level = level;
    a.transition = tr;
    a.t = t;
    a.cls = LO_CLASS_FIXED_WING;
    a.class_confidence = 0.8;
    a.time_to_entry_s = tte;
    snprintf(a.reason, sizeof a.reason, "drone, 2.0 km E of residence, 40 m/s, entry in %.0f s", tte);
    return a;
}

static void test_alerts_latest_join_and_ageing(void **state)
{
    (void)state;
    lo_picture *pic = lo_picture_new(NULL); /* cleared alerts kept 30 s */
    lo_track tr = make_track(5, T0, 2000, 0, 150);
    lo_picture_update_tracks(pic, &tr, 1);

    lo_alert a[3] = {make_alert(1, 5, LO_ALERT_WARNING, LO_ALERT_RAISED, T0, 80),
                     make_alert(1, 5, LO_ALERT_ALARM, LO_ALERT_UPDATED, T0 + 2, 50),
                     make_alert(2, 6, LO_ALERT_INFO, LO_ALERT_RAISED, T0, -1)};
    lo_picture_update_alerts(pic, a, 3);
    lo_picture_stats st;
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_alerts, 2);
    assert_int_equal(st.n_alerts_by_level[LO_ALERT_ALARM], 1);
    assert_int_equal(st.n_alerts_by_level[LO_ALERT_INFO], 1);
    assert_int_equal(st.alerts_raised, 2);

    /* The clock moves 10 s: the countdown has aged by 10 s - 2 s = 8 s. */
    lo_picture_set_clock(pic, T0 + 10);
    json_t *root = lo_picture_json(pic, LO_PIC_ALERTS | LO_PIC_TRACKS);
    json_t *alerts = json_object_get(root, "alerts");
    assert_int_equal(json_array_size(alerts), 2);
    json_t *a1 = json_array_get(alerts, 0);
    assert_string_equal(json_string_value(json_object_get(a1, "id")), "1");
    assert_string_equal(json_string_value(json_object_get(a1, "level")), "alarm");
    assert_near(json_real_value(json_object_get(a1, "time_to_entry_s")), 50, 1e-9);
    assert_near(json_real_value(json_object_get(a1, "time_to_entry_now_s")), 42, 1e-9);
    assert_true(json_is_null(json_object_get(json_array_get(alerts, 1), "time_to_entry_s")));
    /* The track carries its alert. */
    json_t *t5 = find_track(root, 5);
    json_t *ta = json_object_get(t5, "alert");
    assert_non_null(ta);
    assert_string_equal(json_string_value(json_object_get(ta, "zone")), "residence");
    assert_near(json_real_value(json_object_get(ta, "time_to_entry_now_s")), 42, 1e-9);
    json_decref(root);

    /* Cleared: still shown for 30 s of data time, then gone. Alert 2's track never existed:
     * it goes too once it is 30 s old. */
    lo_alert c = make_alert(1, 5, LO_ALERT_ALARM, LO_ALERT_CLEARED, T0 + 20, -1);
    lo_picture_update_alerts(pic, &c, 1);
    lo_picture_set_clock(pic, T0 + 25);
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_alerts, 2);
    assert_int_equal(st.n_alerts_by_level[LO_ALERT_ALARM], 0);
    root = lo_picture_json(pic, LO_PIC_TRACKS);
    assert_null(json_object_get(find_track(root, 5), "alert"));
    json_decref(root);
    lo_picture_set_clock(pic, T0 + 40);
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_alerts, 1); /* alert 2 (no track, 40 s old) gone; 1 cleared 20 s ago */
    lo_picture_set_clock(pic, T0 + 51);
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.n_alerts, 0);
    /* The clock never goes back. */
    lo_picture_set_clock(pic, T0);
    lo_picture_get_stats(pic, &st);
    assert_near(st.clock, T0 + 51, 1e-9);
    lo_picture_free(pic);
}

static void test_site_geodetic_and_impact(void **state)
{
    (void)state;
    lo_site site;
    memset(&site, 0, sizeof site);
    snprintf(site.name, sizeof site.name, "green-zone");
    site.reference = (lo_geodetic){33.2985 * LO_DEG2RAD, 44.3950 * LO_DEG2RAD, 35.0};
    lo_enu_frame_init(&site.frame, &site.reference);
    lo_zone zone;
    memset(&zone, 0, sizeof zone);
    snprintf(zone.name, sizeof zone.name, "compound");
    zone.shape = LO_ZONE_CIRCLE;
    zone.radius_m = 400;
    zone.priority = 1;
    zone.alt_max_m = 1500;
    site.zones = &zone;
    site.n_zones = 1;
    lo_picture *pic = lo_picture_new(NULL);
    lo_picture_set_site(pic, &site);

    lo_track tr = make_track(9, T0, 3000, 4000, 500);
    tr.class_prob[LO_CLASS_FIXED_WING] = 0;
    tr.class_prob[LO_CLASS_ROCKET] = 0.9;
    lo_picture_update_tracks(pic, &tr, 1);
    lo_alert a = make_alert(44, 9, LO_ALERT_ALARM, LO_ALERT_RAISED, T0, 20);
    a.has_impact = true;
    a.impact_enu[0] = 100;
    a.impact_enu[1] = -50;
    double cov[4] = {400, 0, 0, 100}; /* sigma 20 m east, 10 m north */
    memcpy(a.impact_cov, cov, sizeof cov);
    lo_picture_update_alerts(pic, &a, 1);

    json_t *root = lo_picture_json(pic, LO_PIC_ALL);
    json_t *t9 = find_track(root, 9);
    assert_string_equal(json_string_value(json_object_get(t9, "group")), "rocket");
    /* lat/lon back through the frame give the ENU position again (to the JSON's 1e-7 deg). */
    lo_geodetic g = {json_real_value(json_object_get(t9, "lat_deg")) * LO_DEG2RAD,
                     json_real_value(json_object_get(t9, "lon_deg")) * LO_DEG2RAD,
                     json_real_value(json_object_get(t9, "alt_m"))};
    double enu[3];
    lo_geodetic_to_enu(&site.frame, &g, enu);
    assert_near(enu[0], 3000, 0.05);
    assert_near(enu[1], 4000, 0.05);
    assert_near(enu[2], 500, 0.1);
    /* 3 km east and 4 km north of 33.2985 N 44.395 E: north-east of it. */
    assert_true(g.lat * LO_RAD2DEG > 33.2985 && g.lon * LO_RAD2DEG > 44.395);

    json_t *impact = json_object_get(t9, "impact");
    assert_non_null(impact);
    json_t *ell = json_object_get(impact, "ellipse95");
    assert_near(json_real_value(json_object_get(ell, "semi_major_m")), sqrt(5.991464547 * 400), 0.06);
    assert_near(json_real_value(json_object_get(ell, "semi_minor_m")), sqrt(5.991464547 * 100), 0.06);
    assert_near(json_real_value(json_object_get(ell, "orientation_deg")), 90.0, 1e-6);

    json_t *zones = json_object_get(root, "zones");
    assert_int_equal(json_array_size(zones), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(zones, 0), "name")), "compound");
    assert_near(json_real_value(json_object_get(json_object_get(root, "site"), "lat_deg")), 33.2985, 1e-9);
    assert_string_equal(json_string_value(json_object_get(root, "clock_utc")), "2026-11-22T21:00:00.0Z");
    json_decref(root);

    /* Serialised text is compact and has no NaN. */
    char *s = lo_picture_json_string(pic, LO_PIC_ALL);
    assert_non_null(s);
    assert_null(strstr(s, "nan"));
    json_error_t err;
    json_t *back = json_loads(s, 0, &err);
    assert_non_null(back);
    json_decref(back);
    free(s);
    lo_picture_free(pic);
}

/* The hand-written JSON text: escaping, invalid UTF-8, non-finite and extreme numbers,
 * rounding of negatives; jansson must read it back to the same values. */
static void test_json_text_edge_cases(void **state)
{
    (void)state;
    lo_picture *pic = lo_picture_new(NULL);
    lo_picture_set_status(pic, "feed \"udp\"\\ \t tab \x01 ctrl, bad \xff\xfe utf8, ok \xc3\xa9");
    lo_track tr = make_track(4000000000u, T0, -0.04, -1234567.891, 1e20);
    tr.vel[0] = NAN;
    tr.vel[1] = INFINITY;
    tr.t_first = T0 - 0.25; /* exact in binary */
    lo_picture_update_tracks(pic, &tr, 1);
    lo_alert a = make_alert(UINT64_MAX, 4000000000u, LO_ALERT_ALARM, LO_ALERT_RAISED, T0, 12.345);
    snprintf(a.zone_name, sizeof a.zone_name, "zone \"A\"");
    lo_picture_update_alerts(pic, &a, 1);

    size_t len = 0;
    char *text = lo_picture_json_text(pic, LO_PIC_ALL, "full", &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_non_null(strstr(text, "{\"type\":\"full\","));
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    if (!root) print_error("%s at %d: %.80s\n", err.text, err.position, text + (err.position > 20 ? err.position - 20 : 0));
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "status")),
                        "feed \"udp\"\\ \t tab \x01 ctrl, bad ?? utf8, ok \xc3\xa9");
    json_t *t = json_array_get(json_object_get(root, "tracks"), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "id")), 4000000000LL);
    json_t *enu = json_object_get(t, "enu_m");
    assert_true(json_is_real(json_array_get(enu, 0)));
    assert_near(json_real_value(json_array_get(enu, 0)), 0.0, 0);          /* -0.04 -> 0.0 */
    assert_near(json_real_value(json_array_get(enu, 1)), -1234567.9, 1e-6);
    assert_near(json_real_value(json_array_get(enu, 2)), 1e20, 1e5);
    assert_true(json_is_null(json_array_get(json_object_get(t, "vel_mps"), 0)));
    assert_true(json_is_null(json_array_get(json_object_get(t, "vel_mps"), 1)));
    assert_true(json_is_null(json_object_get(t, "speed_mps")));
    assert_near(json_real_value(json_object_get(t, "age_s")), 0.3, 1e-9); /* half rounds away from 0 */
    json_t *al = json_array_get(json_object_get(root, "alerts"), 0);
    assert_string_equal(json_string_value(json_object_get(al, "id")), "18446744073709551615");
    assert_string_equal(json_string_value(json_object_get(al, "zone")), "zone \"A\"");
    assert_near(json_real_value(json_object_get(al, "time_to_entry_s")), 12.3, 1e-9);
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "alert"), "zone")), "zone \"A\"");
    json_decref(root);
    free(text);
    lo_picture_free(pic);
}

static void test_ellipse_orientation(void **state)
{
    (void)state;
    double major, minor, orient;
    /* Elongated north-south. */
    lo_picture_ellipse95((double[4]){25, 0, 0, 100}, &major, &minor, &orient);
    assert_near(orient * LO_RAD2DEG, 0.0, 1e-9);
    assert_near(major, sqrt(5.991464547 * 100), 1e-6);
    /* Along the north-east diagonal: equal variances and a positive east-north covariance. */
    lo_picture_ellipse95((double[4]){50, 40, 40, 50}, &major, &minor, &orient);
    assert_near(orient * LO_RAD2DEG, 45.0, 1e-9);
    assert_near(major, sqrt(5.991464547 * 90), 1e-6);
    assert_near(minor, sqrt(5.991464547 * 10), 1e-6);
    /* North-west diagonal. */
    lo_picture_ellipse95((double[4]){50, -40, -40, 50}, &major, &minor, &orient);
    assert_near(orient * LO_RAD2DEG, 135.0, 1e-9);
}

static void test_metrics_and_latency(void **state)
{
    (void)state;
    lo_picture *pic = lo_picture_new(NULL);
    assert_near(lo_picture_latency_quantile(pic, 0.5), 0.0, 0);
    /* 1..1000 ms uniformly: p50 = 500 ms, p90 = 900 ms, p99 = 990 ms, within a bucket (6%). */
    /* The first half one by one, the second as one batch (a NaN in it ignored). */
    for (int i = 1; i <= 500; i++) lo_picture_record_latency(pic, i * 1e-3);
    lo_picture_record_latency(pic, NAN); /* ignored */
    double batch[501];
    for (int i = 0; i < 500; i++) batch[i] = (1000 - i) * 1e-3;
    batch[500] = NAN;
    lo_picture_record_latencies(pic, batch, 501);
    lo_picture_stats lst;
    lo_picture_get_stats(pic, &lst);
    assert_int_equal(lst.latency_count, 1000);
    assert_true(lst.latency_max_s == 1.0);
    assert_near(lo_picture_latency_quantile(pic, 0.5), 0.5, 0.5 * 0.06);
    assert_near(lo_picture_latency_quantile(pic, 0.9), 0.9, 0.9 * 0.06);
    assert_near(lo_picture_latency_quantile(pic, 0.99), 0.99, 0.99 * 0.06);
    lo_picture_count_plots(pic, 1234);
    lo_picture_count_dropped(pic, 5);
    lo_track tr = make_track(1, T0, 0, 0, 0);
    tr.status = LO_TRACK_TENTATIVE;
    lo_picture_update_tracks(pic, &tr, 1);

    char *text = lo_picture_metrics_text(pic, "extra_metric 1\n");
    assert_non_null(text);
    assert_non_null(strstr(text, "\nlookout_plots_in_total 1234\n"));
    assert_non_null(strstr(text, "\nlookout_dropped_packets_total 5\n"));
    assert_non_null(strstr(text, "\nlookout_tracks{status=\"tentative\"} 1\n"));
    assert_non_null(strstr(text, "\nlookout_tracks{status=\"confirmed\"} 0\n"));
    assert_non_null(strstr(text, "# TYPE lookout_plot_to_track_latency_seconds summary\n"));
    assert_non_null(strstr(text, "lookout_plot_to_track_latency_seconds_count 1000\n"));
    const char *q = strstr(text, "lookout_plot_to_track_latency_seconds{quantile=\"0.99\"} ");
    assert_non_null(q);
    assert_near(strtod(q + strlen("lookout_plot_to_track_latency_seconds{quantile=\"0.99\"} "), NULL), 0.99, 0.06);
    assert_non_null(strstr(text, "\nlookout_plot_to_track_latency_max_seconds 1\n"));
    assert_non_null(strstr(text, "extra_metric 1\n"));
    /* Every non-comment line is "name{labels} value". */
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end;
        strtod(sp + 1, &end);
        assert_true(*end == 0);
    }
    free(text);
    lo_picture_free(pic);
}

/* Writers and readers on separate threads: the snapshot stays consistent (every track's trail
 * ends at its current position) and nothing crashes under ASan. */
typedef struct {
    lo_picture *pic;
    int scans;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    for (int k = 0; k < w->scans; k++) {
        lo_track batch[50];
        for (int i = 0; i < 50; i++) batch[i] = make_track((uint32_t)(i + 1), T0 + k, k * 3.0 + i, i, 0);
        if (k % 7 == 6) batch[k % 50].status = LO_TRACK_DELETED;
        lo_picture_update_tracks(w->pic, batch, 50);
        lo_alert a = make_alert((uint64_t)(k % 5 + 1), (uint32_t)(k % 50 + 1), LO_ALERT_WARNING, LO_ALERT_UPDATED,
                                T0 + k, 30);
        lo_picture_update_alerts(w->pic, &a, 1);
        lo_picture_record_latency(w->pic, 1e-3);
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    lo_picture *pic = lo_picture_new(NULL);
    writer_arg w = {pic, 400};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer, &w), 0);
    int snapshots = 0;
    for (int r = 0; r < 100; r++) {
        json_t *root = lo_picture_json(pic, LO_PIC_ALL);
        json_t *tracks = json_object_get(root, "tracks");
        size_t i;
        json_t *t;
        json_array_foreach(tracks, i, t)
        {
            json_t *trail = json_object_get(t, "trail");
            json_t *last = json_array_get(trail, json_array_size(trail) - 1);
            assert_near(json_real_value(json_array_get(last, 0)),
                        json_real_value(json_array_get(json_object_get(t, "enu_m"), 0)), 1e-3);
        }
        char *m = lo_picture_metrics_text(pic, NULL);
        assert_non_null(m);
        free(m);
        json_decref(root);
        snapshots++;
    }
    pthread_join(th, NULL);
    assert_int_equal(snapshots, 100);
    lo_picture_stats st;
    lo_picture_get_stats(pic, &st);
    assert_int_equal(st.latency_count, 400);
    assert_near(st.clock, T0 + 399, 1e-9);
    lo_picture_free(pic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracks_trail_and_delete),
        cmocka_unit_test(test_alerts_latest_join_and_ageing),
        cmocka_unit_test(test_site_geodetic_and_impact),
        cmocka_unit_test(test_json_text_edge_cases),
        cmocka_unit_test(test_ellipse_orientation),
        cmocka_unit_test(test_metrics_and_latency),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
