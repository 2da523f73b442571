/*
 * test_fusion_handover.c: one regional identity from two fusion nodes' pictures (fusion.h).
 *
 * Two simulated fusion nodes, west and east, whose regions overlap by 4 km (the regions of
 * scenarios/two-sites/region.yaml), report noisy tracks with their own local ids, as their
 * CAT062 would carry them. Objects cross from one region into the other, one stays in the
 * overlap next to a crossing one, and the east node restarts and reuses its ids.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/asterix.h"
#include "lookout/fusion.h"
#include "lookout/picture.h"

#define N_OBJ 3
#define STEPS 300

/* Deterministic noise (xorshift), so the test is the same on every run. */
static uint64_t rng_state = 88172645463325252ull;
static double gauss(void)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        u += (double)(rng_state >> 11) / 9007199254740992.0;
    }
    return u - 6.0;
}

typedef struct object {
    double x0, y0, vx, vy;
} object;

/* Object o at time k: where it is. */
static void where(const object *o, double t, double pos[2])
{
    pos[0] = o->x0 + o->vx * t;
    pos[1] = o->y0 + o->vy * t;
}

static lo_track report(uint32_t local_id, double t, const object *o, lo_track_status st)
{
    lo_track r;
    memset(&r, 0, sizeof r);
    r.id = local_id;
    r.status = st;
    r.t = 1795341600.0 + t;
    double p[2];
    where(o, t, p);
    r.pos[0] = p[0] + 20 * gauss();
    r.pos[1] = p[1] + 20 * gauss();
    r.pos[2] = 150;
    r.vel[0] = o->vx + 2 * gauss();
    r.vel[1] = o->vy + 2 * gauss();
    r.pos_cov[0] = r.pos_cov[4] = 25 * 25;
    r.pos_cov[8] = 50 * 50;
    r.vel_cov[0] = r.vel_cov[4] = 3 * 3;
    r.vel_cov[8] = 4;
    return r;
}

static lo_regions two_regions(void)
{
    lo_regions rg;
    memset(&rg, 0, sizeof rg);
    rg.n = 2;
    const char *names[2] = {"west", "east"}, *nodes[2] = {"fusion-west", "fusion-east"};
    for (int i = 0; i < 2; i++) {
        snprintf(rg.r[i].name, sizeof rg.r[i].name, "%s", names[i]);
        snprintf(rg.r[i].node, sizeof rg.r[i].node, "%s", nodes[i]);
        rg.r[i].area.shape = LO_ZONE_CIRCLE;
        rg.r[i].area.center_enu[0] = i ? 3000 : -3000;
        rg.r[i].area.radius_m = 5000;
    }
    return rg;
}

/* What came out of the table. */
typedef struct out_log {
    int n;
    uint32_t last_id;
    int per_step[STEPS + 10][8]; /* reports per (step, regional id) */
    int deleted[64];
    double last_x[64];
} out_log;

static void on_regional(void *ctx, const lo_track *t)
{
    out_log *o = ctx;
    o->n++;
    o->last_id = t->id;
    int step = (int)lround(t->t - 1795341600.0);
    if (t->id < 64 && t->status == LO_TRACK_DELETED) o->deleted[t->id]++;
    if (t->id < 64) o->last_x[t->id] = t->pos[0];
    if (step >= 0 && step < STEPS + 10 && t->id < 8 && t->status != LO_TRACK_DELETED)
        o->per_step[step][t->id]++;
}

/* Node coverage: a node holds tracks within its sensors' reach (a little beyond its region). */
static bool west_sees(const double p[2]) { return p[0] < 2500; }
static bool east_sees(const double p[2]) { return p[0] > -2500; }

static void test_crossing_keeps_one_identity(void **state)
{
    (void)state;
    lo_regions rg = two_regions();
    lo_handover *h = lo_handover_new(NULL, &rg);
    assert_non_null(h);
    /* A crosses west -> east, B east -> west, C loiters in the overlap 600 m from A's path. */
    object obj[N_OBJ] = {{-6000, 1000, 40, 0}, {6000, -1500, -40, 0}, {-300, 1600, 0.5, 0}};
    /* Local ids: the west node numbers 1, 2, 3...; the east node 101, 102... */
    uint32_t west_id[N_OBJ] = {0}, east_id[N_OBJ] = {0};
    uint32_t next_west = 1, next_east = 101;
    out_log log;
    memset(&log, 0, sizeof log);
    uint32_t regional_of[N_OBJ] = {0};
    bool id_changed = false;

    for (int k = 0; k < STEPS; k++) {
        double t = k;
        lo_track wr[N_OBJ], er[N_OBJ];
        size_t nw = 0, ne = 0;
        for (int i = 0; i < N_OBJ; i++) {
            double p[2];
            where(&obj[i], t, p);
            if (west_sees(p)) {
                if (!west_id[i]) west_id[i] = next_west++;
                wr[nw++] = report(west_id[i], t, &obj[i], LO_TRACK_CONFIRMED);
            } else if (west_id[i]) {
                wr[nw++] = report(west_id[i], t, &obj[i], LO_TRACK_DELETED);
                west_id[i] = 0;
            }
            if (east_sees(p)) {
                if (!east_id[i]) east_id[i] = next_east++;
                er[ne++] = report(east_id[i], t + 0.4, &obj[i], LO_TRACK_CONFIRMED);
            } else if (east_id[i]) {
                er[ne++] = report(east_id[i], t + 0.4, &obj[i], LO_TRACK_DELETED);
                east_id[i] = 0;
            }
        }
        /* Alternate which node speaks first. */
        if (k % 2) {
            lo_handover_update(h, "fusion-west", wr, nw, on_regional, &log);
            lo_handover_update(h, "fusion-east", er, ne, on_regional, &log);
        } else {
            lo_handover_update(h, "fusion-east", er, ne, on_regional, &log);
            lo_handover_update(h, "fusion-west", wr, nw, on_regional, &log);
        }
        for (int i = 0; i < N_OBJ; i++) {
            uint32_t r = west_id[i] ? lo_handover_lookup(h, "fusion-west", west_id[i])
                                    : lo_handover_lookup(h, "fusion-east", east_id[i]);
            if (west_id[i] && east_id[i])
                assert_int_equal(lo_handover_lookup(h, "fusion-west", west_id[i]),
                                 lo_handover_lookup(h, "fusion-east", east_id[i]));
            if (!regional_of[i]) regional_of[i] = r;
            else if (r != regional_of[i]) id_changed = true;
        }
    }
    /* Each object kept one regional id from the first report to the last, all different. */
    assert_false(id_changed);
    assert_true(regional_of[0] && regional_of[1] && regional_of[2]);
    assert_true(regional_of[0] != regional_of[1] && regional_of[0] != regional_of[2] &&
                regional_of[1] != regional_of[2]);
    /* One report per object per node cycle: exactly one of the two nodes' reports goes on. */
    for (int k = 1; k < STEPS; k++)
        for (int i = 0; i < N_OBJ; i++) {
            int n = log.per_step[k][regional_of[i]];
            if (n != 1) print_error("step %d object %d: %d reports\n", k, i, n);
            assert_int_equal(n, 1);
        }
    lo_handover_stats st;
    lo_handover_get_stats(h, &st);
    print_message("associations %llu, handovers %llu, regional ids %llu, absorbed %llu\n",
                  (unsigned long long)st.associations, (unsigned long long)st.handovers,
                  (unsigned long long)st.new_regional, (unsigned long long)st.reports_absorbed);
    /* A and B entered the other node's coverage (associated) and left their first region
     * (handed over); C is seen by both throughout. */
    assert_int_equal(st.new_regional, 3);
    assert_int_equal(st.associations, 3);
    assert_true(st.handovers >= 2);
    /* The node that lost A deleted its track; the regional track did not end. */
    assert_int_equal(log.deleted[regional_of[0]], 0);
    assert_int_equal(log.deleted[regional_of[1]], 0);
    lo_handover_free(h);
}

static void test_restart_and_alerts(void **state)
{
    (void)state;
    lo_regions rg = two_regions();
    lo_handover *h = lo_handover_new(NULL, &rg);
    out_log log;
    memset(&log, 0, sizeof log);
    object a = {-1000, 0, 20, 0}, far = {4000, 3000, 0, -10};
    for (int k = 0; k < 10; k++) {
        lo_track w = report(1, k, &a, LO_TRACK_CONFIRMED), e = report(7, k + 0.3, &a, LO_TRACK_CONFIRMED);
        lo_handover_update(h, "fusion-west", &w, 1, on_regional, &log);
        lo_handover_update(h, "fusion-east", &e, 1, on_regional, &log);
    }
    uint32_t ra = lo_handover_lookup(h, "fusion-west", 1);
    assert_true(ra != 0);
    assert_int_equal(lo_handover_lookup(h, "fusion-east", 7), ra);

    /* Alerts: track ids become regional, alert ids stay apart across nodes and stable. */
    lo_alert aw = {.alert_id = 1, .track_id = 1}, ae = {.alert_id = 1, .track_id = 7};
    lo_alert aw2 = aw;
    lo_handover_map_alert(h, "fusion-west", &aw);
    lo_handover_map_alert(h, "fusion-east", &ae);
    lo_handover_map_alert(h, "fusion-west", &aw2);
    assert_int_equal(aw.track_id, ra);
    assert_int_equal(ae.track_id, ra);
    assert_true(aw.alert_id != ae.alert_id);
    assert_int_equal(aw.alert_id, aw2.alert_id);

    /* The east node restarts: its id 7 is now a different object 5 km away. */
    lo_track e2 = report(7, 10.3, &far, LO_TRACK_CONFIRMED);
    lo_handover_update(h, "fusion-east", &e2, 1, on_regional, &log);
    uint32_t rfar = lo_handover_lookup(h, "fusion-east", 7);
    assert_true(rfar != 0 && rfar != ra);
    assert_int_equal(lo_handover_lookup(h, "fusion-west", 1), ra);

    /* The west node goes silent: after stale_s its memberships end; A's regional track ends
     * (its east member left), the far one stays. */
    size_t before = (size_t)log.n;
    lo_track e3 = report(7, 20.3, &far, LO_TRACK_CONFIRMED);
    lo_handover_update(h, "fusion-east", &e3, 1, on_regional, &log);
    lo_handover_expire(h, 20.3 + 1795341600.0, on_regional, &log);
    assert_true((size_t)log.n > before);
    assert_int_equal(log.deleted[ra], 1);
    assert_int_equal(log.deleted[rfar], 0);
    lo_handover_free(h);
}

static void test_regions_yaml(void **state)
{
    (void)state;
    lo_site site;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_site_load(lo_test_source_path("scenarios/two-sites/region.yaml"), &site,
                                  &d.sink), 0);
    lo_regions rg;
    assert_int_equal(lo_regions_read(&site, &rg, &d.sink), 0);
    assert_int_equal(rg.n, 2);
    assert_string_equal(rg.r[1].node, "fusion-east");
    assert_int_equal(lo_regions_find_node(&rg, "fusion-east"), 1);
    double mid[2] = {0, 0}, west[2] = {-7000, 0};
    assert_true(lo_regions_contains(&rg, 0, mid) && lo_regions_contains(&rg, 1, mid));
    assert_true(lo_regions_contains(&rg, 0, west) && !lo_regions_contains(&rg, 1, west));
    lo_site_free(&site);

    const char *bad =
        "site: {name: r, reference: {lat_deg: 33.3, lon_deg: 44.4}}\n"
        "regions:\n"
        "  - {name: a, node: n1, polygon: [[33.3, 44.3], [33.4, 44.3], [33.4, 44.4]]}\n"
        "  - {name: b, node: n2, circle: {x_m: 0, y_m: 0, radius_km: 5}}\n"
        "  - {name: c, polygon: [[33.3, 44.3], [33.4, 44.3]]}\n";
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_site_load_string(bad, "bad.yaml", &site, &d.sink), 0);
    assert_int_equal(lo_regions_read(&site, &rg, &d.sink), -1);
    print_message("%s", d.all);
    assert_non_null(strstr(d.all, "bad.yaml:4"));
    assert_non_null(strstr(d.all, "regions[1].circle"));
    assert_non_null(strstr(d.all, "radius_km"));
    assert_non_null(strstr(d.all, "bad.yaml:5"));
    assert_non_null(strstr(d.all, "regions[2]"));
    assert_int_equal(rg.n, 1);
    assert_true(rg.r[0].area.shape == LO_ZONE_POLYGON && rg.r[0].area.n_vertices == 3);
    lo_site_free(&site);
}

/* The display role without a bus: CAT062 datagrams of two nodes and alert transitions (one
 * delivered twice) into one picture. */
static void send_tracks(lo_display *d, const lo_site *site, const char *node, const lo_track *t,
                        size_t n)
{
    lo_asterix_block b;
    lo_asterix_block_init(&b, 62);
    for (size_t i = 0; i < n; i++) {
        lo_cat062 rec;
        lo_cat062_from_track(&t[i], &site->frame, 1, 1, false, t[i].status == LO_TRACK_DELETED,
                             NULL, 0, &rec);
        uint8_t buf[512];
        size_t len = lo_cat062_encode(&rec, buf, sizeof buf);
        assert_true(len > 0 && lo_asterix_block_add(&b, buf, len));
    }
    lo_bus_msg m = {.subject = "lookout.tracks.x", .node = node, .data = b.data, .len = b.len};
    lo_display_bus_tracks(d, &m);
}

static void test_display_direct(void **state)
{
    (void)state;
    lo_site site;
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    assert_int_equal(lo_site_load(lo_test_source_path("scenarios/two-sites/region.yaml"), &site,
                                  &sink), 0);
    lo_regions rg;
    assert_int_equal(lo_regions_read(&site, &rg, &sink), 0);
    lo_picture *pic = lo_picture_new(NULL);
    lo_display_options opt = {.regions = &rg, .tod_near_t = 1795341600.0};
    lo_display *d = lo_display_new(&site, NULL, pic, &opt);
    assert_non_null(d);
    /* One object seen by both nodes (ids 4 and 9), one only by the east node (id 5). */
    object a = {-500, 500, 10, 0}, b = {4000, -1000, 0, 10};
    for (int k = 0; k < 10; k++) {
        lo_track w = report(4, k, &a, LO_TRACK_CONFIRMED);
        lo_track e[2] = {report(9, k + 0.5, &a, LO_TRACK_CONFIRMED),
                         report(5, k + 0.5, &b, LO_TRACK_CONFIRMED)};
        send_tracks(d, &site, "fusion-west", &w, 1);
        send_tracks(d, &site, "fusion-east", e, 2);
    }
    lo_picture_stats ps;
    lo_picture_get_stats(pic, &ps);
    assert_int_equal(ps.n_tracks, 2);
    /* Times came through CAT062's time of day: the picture's clock is the last report's. */
    assert_near(ps.clock, 1795341609.5, 1.0 / 128);
    lo_display_stats ds;
    lo_display_get_stats(d, &ds);
    assert_int_equal(ds.track_records, 30);
    assert_int_equal(ds.handover.regional_tracks, 2);
    assert_int_equal(ds.handover.associations, 1);

    /* Alerts: node-local ids become regional; a redelivered transition is shown once. */
    lo_alert al;
    memset(&al, 0, sizeof al);
    al.alert_id = 1;
    al.track_id = 9;
    snprintf(al.zone_name, sizeof al.zone_name, "bridge");
    al.level = LO_ALERT_ALARM;
    al.t = 1795341609.5;
    lo_bus_alert_msg m = {.node = "fusion-east", .seq = 77, .parsed = true, .alert = al};
    assert_true(lo_display_bus_alert(d, &m));
    assert_true(lo_display_bus_alert(d, &m));
    lo_display_get_stats(d, &ds);
    assert_int_equal(ds.alerts, 1);
    assert_int_equal(ds.alerts_duplicate, 1);
    json_t *j = lo_picture_json(pic, LO_PIC_ALERTS | LO_PIC_TRACKS);
    json_t *alerts = json_object_get(j, "alerts"), *tracks = json_object_get(j, "tracks");
    assert_int_equal(json_array_size(alerts), 1);
    /* The alert names the regional track the picture shows for object a (the west node's
     * track 4 and the east node's track 9 are one regional track). */
    json_int_t tid = json_integer_value(json_object_get(json_array_get(alerts, 0), "track_id"));
    bool shown = false;
    for (size_t i = 0; i < json_array_size(tracks); i++) {
        json_t *t = json_array_get(tracks, i);
        if (json_integer_value(json_object_get(t, "id")) != tid) continue;
        shown = true;
        /* Object a is near x = -400 .. 0 m, object b at x = 4000 m. */
        json_t *e = json_array_get(json_object_get(t, "enu_m"), 0);
        assert_true(json_is_number(e) && json_number_value(e) < 1000);
    }
    assert_true(shown);
    json_decref(j);
    /* The same counters as /metrics text (a serve display appends it). */
    char text[4096], want[160];
    int n = lo_display_metrics_text(d, "display-x", text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_int_equal(lo_display_metrics_text(d, "display-x", NULL, 0), n);
    assert_non_null(strstr(text, "lookout_display_alerts_total{node=\"display-x\"} 1\n"));
    assert_non_null(strstr(text, "lookout_display_alerts_duplicate_total{node=\"display-x\"} 1\n"));
    snprintf(want, sizeof want, "lookout_display_track_records_total{node=\"display-x\"} %llu\n",
             (unsigned long long)ds.track_records);
    assert_true(ds.track_records > 0);
    assert_non_null(strstr(text, want));
    lo_display_free(d);
    lo_picture_free(pic);
    lo_site_free(&site);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crossing_keeps_one_identity),
        cmocka_unit_test(test_restart_and_alerts),
        cmocka_unit_test(test_regions_yaml),
        cmocka_unit_test(test_display_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
