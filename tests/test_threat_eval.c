/* Threat evaluation against hand-computed cases: zone geometry, closest approach, time to
 * entry (and its spread), reach time, and ballistic impact/launch against the closed-form
 * no-drag parabola. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/geo.h"
#include "lookout/threat.h"
#include "testutil.h"

/* Zones with their derived ENU fields filled by hand (as lo_site_load would). */
static lo_zone circle_zone(double cx, double cy, double r)
{
    lo_zone z;
    memset(&z, 0, sizeof z);
    strcpy(z.name, "residence");
    z.shape = LO_ZONE_CIRCLE;
    z.priority = 1;
    z.center_enu[0] = cx;
    z.center_enu[1] = cy;
    z.radius_m = r;
    z.alt_min_m = 0;
    z.alt_max_m = 1500;
    return z;
}

static lo_zone square_zone(double half)
{
    lo_zone z;
    memset(&z, 0, sizeof z);
    strcpy(z.name, "square");
    z.shape = LO_ZONE_POLYGON;
    z.priority = 3;
    z.n_vertices = 4;
    double v[4][2] = {{-half, -half}, {half, -half}, {half, half}, {-half, half}};
    memcpy(z.vertex_enu, v, sizeof v);
    z.alt_min_m = 0;
    z.alt_max_m = 1500;
    return z;
}

static lo_track make_track(double x, double y, double up, double vx, double vy, double vz)
{
    lo_track t;
    memset(&t, 0, sizeof t);
    t.id = 7;
    t.status = LO_TRACK_CONFIRMED;
    t.pos[0] = x, t.pos[1] = y, t.pos[2] = up;
    t.vel[0] = vx, t.vel[1] = vy, t.vel[2] = vz;
    return t;
}

static lo_threat_config cfg(void)
{
    lo_threat_config c;
    lo_threat_config_default(&c);
    return c;
}

static void test_zone_geometry(void **state)
{
    (void)state;
    lo_zone c = circle_zone(100, 0, 150);
    assert_true(lo_zone_contains_xy(&c, (const double[2]){200, 100}));
    assert_false(lo_zone_contains_xy(&c, (const double[2]){300, 0}));
    assert_near(lo_zone_edge_distance(&c, (const double[2]){300, 0}), 50, 1e-9);
    assert_near(lo_zone_edge_distance(&c, (const double[2]){100, 0}), -150, 1e-9);

    lo_zone s = square_zone(100);
    assert_true(lo_zone_contains_xy(&s, (const double[2]){0, 0}));
    assert_true(lo_zone_contains_xy(&s, (const double[2]){99, -99}));
    assert_false(lo_zone_contains_xy(&s, (const double[2]){101, 0}));
    assert_near(lo_zone_edge_distance(&s, (const double[2]){0, 0}), -100, 1e-9);
    assert_near(lo_zone_edge_distance(&s, (const double[2]){130, 140}), 50, 1e-9);
    assert_near(lo_zone_edge_distance(&s, (const double[2]){0, 160}), 60, 1e-9);
}

static void test_circle_entry_and_cpa(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_zone z = circle_zone(0, 0, 150);
    lo_zone_threat zt;

    /* Head-on from 1 km east at 10 m/s: edge at x = 150, 85 s. */
    lo_track t = make_track(1000, 0, 100, -10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_false(zt.inside);
    assert_near(zt.edge_distance_m, 850, 1e-9);
    assert_near(zt.time_to_entry_s, 85, 1e-9);
    assert_near(zt.cpa_time_s, 85, 1e-9);
    assert_near(zt.cpa_distance_m, 0, 1e-9);
    assert_near(zt.bearing_rad, LO_PI / 2, 1e-9); /* the track is east of the zone */
    assert_near(zt.reach_time_s, 850.0 / 50.0, 1e-9); /* drone top speed 50 m/s */
    assert_near(zt.time_to_entry_sigma_s, 0, 1e-12); /* no covariance, no spread */

    /* Offset 100 m north: chord at y = 100, x = sqrt(150^2 - 100^2). */
    t = make_track(1000, 100, 100, -10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, (1000 - sqrt(150.0 * 150 - 100 * 100)) / 10, 1e-9);

    /* Offset 200 m north: a miss by 50 m, closest at t = 100 s. */
    t = make_track(1000, 200, 100, -10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_near(zt.cpa_time_s, 100, 1e-9);
    assert_near(zt.cpa_distance_m, 50, 1e-9);

    /* Moving away: closest now. */
    t = make_track(1000, 0, 100, 10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_near(zt.cpa_time_s, 0, 1e-9);
    assert_near(zt.cpa_distance_m, 850, 1e-9);

    /* Inside: no entry time. */
    t = make_track(10, 0, 100, 5, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_true(zt.inside);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_near(zt.edge_distance_m, -140, 1e-9);
}

static void test_height_band(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    c.vertical_horizon_s = 600; /* pure geometry first: vertical rate held all the way */
    lo_zone z = circle_zone(0, 0, 150); /* footprint crossed during [85, 115] s */
    lo_zone_threat zt;

    /* Descending from 2,000 m at 10 m/s: in the band from 50 s, in the footprint from 85 s. */
    lo_track t = make_track(1000, 0, 2000, -10, 0, -10);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 85, 1e-9);

    /* Descending from 1,600 m at 1 m/s: over the footprint first, below 1,500 m at 100 s. */
    t = make_track(1000, 0, 1600, -10, 0, -1);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 100, 1e-9);
    assert_near(zt.cpa_distance_m, 0, 1e-9); /* the horizontal path does cross */

    /* An airliner overflying at 3 km: crosses the footprint, never the volume. */
    t = make_track(1000, 0, 3000, -10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_AIRCRAFT, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_false(zt.inside);
    t.pos[0] = 0;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_AIRCRAFT, &z, NULL, &zt);
    assert_true(zt.inside_footprint);
    assert_false(zt.inside);
    assert_near(zt.height_outside_m, 1500, 1e-9);

    /* The default 30 s vertical horizon: a cruising drone whose estimated vertical rate is
     * -2 m/s (noise) would be underground before it arrives at 85 s; with the horizon it is
     * level at 100 - 60 = 40 m from 30 s on and enters. */
    c.vertical_horizon_s = 30;
    t = make_track(1000, 0, 100, -10, 0, -2);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 85, 1e-9);
    c.vertical_horizon_s = 600;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    /* Descending from 2,000 m at 10 m/s: level at 1,700 m after 30 s, above the band. */
    c.vertical_horizon_s = 30;
    t = make_track(1000, 0, 2000, -10, 0, -10);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    /* ... from 1,600 m: in the band at 10 s, entry when over the footprint. */
    t = make_track(1000, 0, 1600, -10, 0, -10);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 85, 1e-9);
}

static void test_polygon_entry_and_cpa(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_zone z = square_zone(100);
    lo_zone_threat zt;

    lo_track t = make_track(500, 50, 10, -20, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 20, 1e-9);
    assert_near(zt.cpa_distance_m, 0, 1e-9);

    /* Diagonal: y = x - 100 meets x = 100 at y = 0 after 40 s. */
    t = make_track(500, 400, 10, -10, -10, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 40, 1e-9);

    /* Passing 200 m north of the corner (100, 100): closest at x = 100, after 20 s. */
    t = make_track(500, 300, 10, -20, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_near(zt.cpa_distance_m, 200, 1e-9);
    assert_near(zt.cpa_time_s, 20, 1e-9);

    /* Concave zone (a U open to the north): a path down the notch never enters the
     * footprint until it reaches the bottom bar. */
    lo_zone u;
    memset(&u, 0, sizeof u);
    u.shape = LO_ZONE_POLYGON;
    u.n_vertices = 8;
    double v[8][2] = {{-300, -300}, {300, -300}, {300, 300}, {100, 300},
                      {100, -100},  {-100, -100}, {-100, 300}, {-300, 300}};
    memcpy(u.vertex_enu, v, sizeof v);
    u.alt_max_m = 1000;
    assert_false(lo_zone_contains_xy(&u, (const double[2]){0, 0}));
    t = make_track(0, 1000, 10, 0, -10, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &u, NULL, &zt);
    assert_near(zt.time_to_entry_s, 110, 1e-9);
    /* Across both arms from the west: enters at x = -300 after 70 s. */
    t = make_track(-1000, 100, 10, 10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &u, NULL, &zt);
    assert_near(zt.time_to_entry_s, 70, 1e-9);
}

static void test_entry_uncertainty(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_zone z = circle_zone(0, 0, 150);
    lo_zone_threat zt;

    /* Along-track position sigma 10 m at 10 m/s: entry-time sigma 1 s (linear, so the sigma
     * points give it exactly). */
    lo_track t = make_track(1000, 0, 100, -10, 0, 0);
    t.pos_cov[0] = 100;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, 85, 1e-9);
    assert_near(zt.time_to_entry_sigma_s, 1.0, 1e-9);
    assert_near(zt.entry_fraction, 1.0, 1e-12);

    /* Speed sigma 1 m/s: first order 850 / 10^2 * 1 = 8.5 s; the sigma points see the 1/v
     * curvature and give a little more. */
    t.pos_cov[0] = 0;
    t.vel_cov[0] = 1;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_true(zt.time_to_entry_sigma_s > 8.5 && zt.time_to_entry_sigma_s < 8.5 * 1.2);

    /* Cross-track spread on a grazing path: only part of the sigma points enter. */
    t = make_track(1000, 140, 100, -10, 0, 0);
    t.pos_cov[4] = 400; /* 20 m north sigma */
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_true(zt.time_to_entry_s > 0);
    assert_true(zt.entry_fraction > 0.5 && zt.entry_fraction < 1.0);
}

/* ---- ballistic ------------------------------------------------------------------------- */

static void test_ballistic_closed_form(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_ballistic b;

    /* At apogee 1,000 m up: falls for sqrt(2 h / g). */
    lo_track t = make_track(0, 0, 1000, 100, 50, 0);
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    double T = sqrt(2 * 1000 / LO_G0);
    assert_near(b.time_to_impact_s, T, 1e-3);
    assert_near(b.impact_enu[0], 100 * T, 0.05);
    assert_near(b.impact_enu[1], 50 * T, 0.05);

    /* Climbing: 500 m up, 200 m/s east, 100 m/s up. Impact and launch from the quadratic
     * 500 + 100 t - g t^2 / 2 = 0. */
    t = make_track(1000, -2000, 500, 200, 0, 100);
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    double disc = sqrt(100.0 * 100 + 2 * LO_G0 * 500);
    double t_imp = (100 + disc) / LO_G0, t_launch = (100 - disc) / LO_G0; /* < 0 */
    assert_near(b.time_to_impact_s, t_imp, 1e-3);
    assert_near(b.impact_enu[0], 1000 + 200 * t_imp, 0.05);
    assert_near(b.impact_enu[1], -2000, 1e-6);
    assert_near(b.time_since_launch_s, -t_launch, 1e-3);
    assert_near(b.launch_enu[0], 1000 + 200 * t_launch, 0.05);

    /* Terrain at 100 m: the quadratic with 400 m instead. */
    c.terrain_up_m = 100;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    t_imp = (100 + sqrt(100.0 * 100 + 2 * LO_G0 * 400)) / LO_G0;
    assert_near(b.time_to_impact_s, t_imp, 1e-3);

    /* Drag shortens the range. */
    c.terrain_up_m = 0;
    c.drag_k_per_m = 1e-4;
    lo_ballistic bd;
    assert_true(lo_threat_predict_ballistic(&c, &t, &bd));
    double range_nodrag = 200 * (100 + disc) / LO_G0;
    assert_true(bd.impact_enu[0] - 1000 < range_nodrag - 50);

    /* On the ground and still: no impact to predict. */
    c.drag_k_per_m = 0;
    t = make_track(0, 0, 0, 10, 0, 0);
    assert_false(lo_threat_predict_ballistic(&c, &t, &b));
    assert_false(b.valid);
}

static void test_ballistic_covariance(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_ballistic b;
    lo_track t = make_track(0, 0, 1000, 100, 0, 0);
    double T = sqrt(2 * 1000 / LO_G0);
    /* Position sigma 20 m east and velocity sigma 2 m/s east: impact east variance
     * 20^2 + (2 T)^2 (linear in both); north untouched; impact time unaffected. */
    t.pos_cov[0] = 400;
    t.vel_cov[0] = 4;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    assert_near(b.impact_cov[0], 400 + 4 * T * T, 0.5);
    assert_near(b.impact_cov[3], 0, 1e-6);
    assert_near(b.impact_cov[1], 0, 1e-6);
    assert_near(b.time_to_impact_sigma_s, 0, 1e-3);
    /* Height sigma 30 m: time sigma ~ 30 / (g T) to first order. */
    memset(t.pos_cov, 0, sizeof t.pos_cov);
    memset(t.vel_cov, 0, sizeof t.vel_cov);
    t.pos_cov[8] = 900;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    assert_near(b.time_to_impact_sigma_s, 30 / (LO_G0 * T), 0.02);
    assert_near(sqrt(b.impact_cov[0]), 100 * 30 / (LO_G0 * T), 2.5);
}

static void test_ballistic_impact_in_zone(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_zone z = circle_zone(0, 0, 400);
    strcpy(z.name, "compound");
    /* Apogee at 1,000 m, lands at 100 T east of -1,400 m: inside the compound. */
    double T = sqrt(2 * 1000 / LO_G0);
    lo_track t = make_track(-100 * T, 0, 1000, 100, 0, 0);
    t.pos_cov[0] = t.pos_cov[4] = 100;
    t.class_prob[LO_CLASS_ROCKET] = 0.9;
    assert_true(lo_threat_is_ballistic(&c, &t));
    double conf;
    assert_int_equal(lo_threat_track_group(&c, &t, &conf), LO_GROUP_ROCKET);
    lo_ballistic b;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    lo_zone_threat zt;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_ROCKET, &z, &b, &zt);
    assert_true(zt.impact_in_zone);
    assert_true(zt.impact_probability > 0.99);
    /* 600 m further east: outside. */
    t.pos[0] += 600;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_ROCKET, &z, &b, &zt);
    assert_false(zt.impact_in_zone);
    assert_true(zt.impact_probability < 0.01);
    /* Half in: impact on the edge with a wide ellipse. */
    t.pos[0] = 400 - 100 * T;
    t.pos_cov[0] = t.pos_cov[4] = 100 * 100;
    assert_true(lo_threat_predict_ballistic(&c, &t, &b));
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_ROCKET, &z, &b, &zt);
    assert_true(zt.impact_probability > 0.3 && zt.impact_probability < 0.7);
    assert_true(zt.impact_in_zone);
}

static void test_ballistic_detection(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_track t = make_track(0, 0, 1000, 200, 0, -50);
    assert_false(lo_threat_is_ballistic(&c, &t));
    t.acc[2] = -9.5; /* fast and falling at ~g: ballistic by kinematics */
    assert_true(lo_threat_is_ballistic(&c, &t));
    t.acc[2] = 0;
    c.ballistic_model_index = 2;
    t.n_models = 3;
    t.model_prob[2] = 0.8;
    assert_true(lo_threat_is_ballistic(&c, &t));
    /* A slow bird gliding down is not. */
    t = make_track(0, 0, 100, 10, 0, -2);
    t.class_prob[LO_CLASS_BIRD] = 0.9;
    double conf;
    assert_false(lo_threat_is_ballistic(&c, &t));
    assert_int_equal(lo_threat_track_group(&c, &t, &conf), LO_GROUP_BIRD);
    assert_near(conf, 0.9, 1e-12);
    /* Drone classes sum to the group. */
    t.class_prob[LO_CLASS_BIRD] = 0.3;
    t.class_prob[LO_CLASS_MULTIROTOR] = 0.35;
    t.class_prob[LO_CLASS_FIXED_WING] = 0.35;
    assert_int_equal(lo_threat_track_group(&c, &t, &conf), LO_GROUP_DRONE);
    assert_near(conf, 0.7, 1e-12);
    /* Unsure: unknown. */
    t.class_prob[LO_CLASS_MULTIROTOR] = 0.2;
    t.class_prob[LO_CLASS_FIXED_WING] = 0.2;
    assert_int_equal(lo_threat_track_group(&c, &t, &conf), LO_GROUP_UNKNOWN);
}


/* The impact ellipse is consistent: over draws of the true state from the track's own
 * covariance, the normalised impact error e' C^-1 e averages 2 (chi-square, 2 dof). A rocket
 * 7 km out from its target at launch, seen 4 s into a 25 s flight. */
static void test_ballistic_ellipse_consistency(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    double vh = 7000.0 / 25, vz0 = LO_G0 * 25 / 2, ts = 4;
    lo_track est = make_track(-vh * ts * 0.6, -vh * ts * 0.8, vz0 * ts - LO_G0 * ts * ts / 2,
                              vh * 0.6, vh * 0.8, vz0 - LO_G0 * ts);
    double sp = 20, sv = 4;
    est.pos_cov[0] = est.pos_cov[4] = est.pos_cov[8] = sp * sp;
    est.vel_cov[0] = est.vel_cov[4] = est.vel_cov[8] = sv * sv;
    lo_ballistic b;
    assert_true(lo_threat_predict_ballistic(&c, &est, &b));
    assert_near(b.time_to_impact_s, 25 - ts, 0.2);
    double det = b.impact_cov[0] * b.impact_cov[3] - b.impact_cov[1] * b.impact_cov[2];
    assert_true(det > 0);
    unsigned seed = 777;
    double nees = 0;
    int n = 400;
    for (int i = 0; i < n; i++) {
        lo_track truth = est;
        for (int k = 0; k < 3; k++) {
            double u1 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
            double u3 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0), u4 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
            truth.pos[k] += sp * sqrt(-2 * log(u1)) * cos(2 * LO_PI * u2);
            truth.vel[k] += sv * sqrt(-2 * log(u3)) * cos(2 * LO_PI * u4);
        }
        memset(truth.pos_cov, 0, sizeof truth.pos_cov);
        memset(truth.vel_cov, 0, sizeof truth.vel_cov);
        lo_ballistic tb;
        assert_true(lo_threat_predict_ballistic(&c, &truth, &tb));
        double ex = tb.impact_enu[0] - b.impact_enu[0], ey = tb.impact_enu[1] - b.impact_enu[1];
        nees += (b.impact_cov[3] * ex * ex - 2 * b.impact_cov[1] * ex * ey + b.impact_cov[0] * ey * ey) / det;
    }
    nees /= n;
    print_message("impact NEES %.3f over %d draws (2 expected)\n", nees, n);
    assert_true(nees > 1.7 && nees < 2.3);
}


/* Heading in, give or take: the approach tolerance grows with distance (5 degrees) and with the
 * track's own heading uncertainty (2 sigma of the across-track velocity error over speed). */
static void test_approach_tolerance(void **state)
{
    (void)state;
    lo_threat_config c = cfg();
    lo_zone z = circle_zone(0, 0, 150);
    lo_zone_threat zt;
    /* 10 km east, heading 8 degrees off the line to the centre at 40 m/s: misses by
     * 10,000 sin 8 - 150 = 1,242 m; the 5 degree tolerance at 9,850 m is 862 m. */
    double a = 8 * LO_DEG2RAD;
    lo_track t = make_track(10000, 0, 100, -40 * cos(a), 40 * sin(a), 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.time_to_entry_s, -1, 0);
    assert_near(zt.approach_tolerance_m, tan(5 * LO_DEG2RAD) * 9850, 1e-6);
    assert_near(zt.cpa_distance_m, 10000 * sin(a) - 150, 1e-6);
    assert_int_equal(lo_threat_rule_level(&c, LO_GROUP_DRONE, 0.9, 60, &z, &zt, false), -1);
    /* The same track with 2 m/s velocity sigma: heading sigma 2/40 rad, tolerance at
     * 5 deg + 2 x 2.86 deg = 10.7 deg: heading in, alarm. */
    t.vel_cov[0] = t.vel_cov[4] = 4;
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.approach_tolerance_m, tan(5 * LO_DEG2RAD + 2 * 2.0 / 40) * 9850, 1e-6);
    assert_int_equal(lo_threat_rule_level(&c, LO_GROUP_DRONE, 0.9, 60, &z, &zt, false), LO_ALERT_ALARM);
    /* Close in, the 100 m floor. */
    t = make_track(300, 260, 100, -10, 0, 0);
    lo_threat_evaluate_zone(&c, &t, LO_GROUP_DRONE, &z, NULL, &zt);
    assert_near(zt.approach_tolerance_m, 100, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_geometry),
        cmocka_unit_test(test_circle_entry_and_cpa),
        cmocka_unit_test(test_height_band),
        cmocka_unit_test(test_approach_tolerance),
        cmocka_unit_test(test_polygon_entry_and_cpa),
        cmocka_unit_test(test_entry_uncertainty),
        cmocka_unit_test(test_ballistic_closed_form),
        cmocka_unit_test(test_ballistic_covariance),
        cmocka_unit_test(test_ballistic_impact_in_zone),
        cmocka_unit_test(test_ballistic_detection),
        cmocka_unit_test(test_ballistic_ellipse_consistency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
