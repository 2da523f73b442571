/* Classifier: feature extraction on synthetic track reports with known answers, the radar
 * equation, the parameter file (hand-set prior v1) and its errors, fitting and the JSON round
 * trip, and the per-track runtime. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify_testutil.h"
#include "lookout/classify.h"
#include "lookout/geo.h"
#include "testutil.h"

static lo_sensor test_sensor(void) { return classify_test_sensor(); }

static lo_track report(double t, double x, double y, double up, double vx, double vy, double vz)
{
    return classify_test_report(3, t, x, y, up, vx, vy, vz);
}

static void test_radar_equation(void **state)
{
    (void)state;
    lo_sensor s = test_sensor();
    /* The reference point itself. */
    assert_near(lo_rcs_dbsm_from_snr(&s, 13, 15000), -20, 1e-9);
    /* Half the range: 12.04 dB more SNR for the same RCS. */
    assert_near(lo_rcs_dbsm_from_snr(&s, 13 + 40 * log10(2.0), 7500), -20, 1e-9);
    /* 10 dB more SNR at the same range: ten times the RCS. */
    assert_near(lo_rcs_dbsm_from_snr(&s, 23, 15000), -10, 1e-9);
    assert_true(isnan(lo_rcs_dbsm_from_snr(&s, 13, 0)));
}

static void test_features_straight_and_circling(void **state)
{
    (void)state;
    lo_feature_params p;
    lo_feature_params_default(&p);
    lo_track_features f;
    double x[LO_FEAT_COUNT];

    /* Straight and level at 35 m/s north-east, 200 m up. */
    lo_track_features_init(&f, 3);
    double v = 35 / sqrt(2.0);
    lo_track_features_init(&f, 3);
    for (int k = 0; k < 40; k++) {
        lo_track r = report(1000 + k, v * k, v * k, 200, v, v, 0);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    lo_track_features_values(&f, x);
    assert_int_equal(f.n_reports, 39);
    assert_near(x[LO_FEAT_SPEED_MEAN], 35, 1e-9);
    assert_near(x[LO_FEAT_SPEED_STD], 0, 1e-5);
    assert_near(x[LO_FEAT_ALTITUDE_MEAN], 200, 1e-9);
    assert_near(x[LO_FEAT_TURN_RATE_RMS], 0, 1e-9);
    assert_near(x[LO_FEAT_MANOEUVRE_ACC_RMS], 0, 1e-9);
    assert_near(x[LO_FEAT_STRAIGHTNESS], 1, 1e-9);
    assert_near(x[LO_FEAT_HOVER_FRACTION], 0, 0);
    assert_near(x[LO_FEAT_NET_SPEED_MEAN], 35, 1e-9); /* displacement over 5 s */
    assert_near(x[LO_FEAT_NET_SPEED_STD], 0, 1e-5);
    assert_near(x[LO_FEAT_NET_HOVER_FRACTION], 0, 0);
    assert_true(isnan(x[LO_FEAT_RCS_DBSM_MEAN])); /* no sensor, no SNR */
    assert_true(isnan(x[LO_FEAT_FLOCK_NEIGHBOURS]));

    /* Circling in a thermal: radius 50 m at 10 m/s, turn rate 0.2 rad/s, centripetal
     * acceleration 2 m/s^2 (the velocity-difference estimate at 1 s steps: 2 sin(0.1)/1 * 10). */
    lo_track_features_init(&f, 4);
    for (int k = 0; k < 60; k++) {
        double a = 0.2 * k;
        lo_track r = report(2000 + k, 50 * cos(a), 50 * sin(a), 400, -10 * sin(a), 10 * cos(a), 0);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_TURN_RATE_RMS], 0.2, 1e-9);
    assert_near(x[LO_FEAT_MANOEUVRE_ACC_RMS], 20 * sin(0.1), 1e-9);
    assert_true(x[LO_FEAT_STRAIGHTNESS] < 0.3);
    assert_near(x[LO_FEAT_SPEED_MEAN], 10, 1e-9);
}

static void test_features_hover_ballistic_rcs_extras(void **state)
{
    (void)state;
    lo_feature_params p;
    lo_feature_params_default(&p);
    lo_sensor s = test_sensor();
    lo_track_features f;
    double x[LO_FEAT_COUNT];

    /* Hovering 7.5 km north of the radar with SNR alternating 25.04 +- 2 dB: RCS -20 dBsm
     * fluctuating by 2 dB; the caller counts no neighbours; the plots' Doppler spread (rotor
     * blades) is 2 m/s for the first 10, then 4 m/s. */
    lo_track_features_init(&f, 5);
    lo_classify_extra ex = {.flock_neighbours = 0};
    for (int k = 0; k < 30; k++) {
        lo_track r = report(3000 + k, 0, 7500, 0, 0.1, 0, 0);
        r.last_flags = LO_PLOT_SNR | LO_PLOT_DOPPLER_SPREAD;
        r.last_snr_db = 13 + 40 * log10(2.0) + (k % 2 ? 2 : -2);
        r.last_doppler_spread_mps = k < 10 ? 2.0 : 4.0;
        lo_track_features_update(&f, &p, &r, &s, &ex);
        /* A coasting report without a new plot adds no RCS or spread sample. */
        r.t += 0.5;
        r.last_doppler_spread_mps = 100.0;
        lo_track_features_update(&f, &p, &r, &s, &ex);
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_HOVER_FRACTION], 1, 0);
    assert_true(isnan(x[LO_FEAT_STRAIGHTNESS]));
    assert_near(x[LO_FEAT_NET_SPEED_MEAN], 0, 1e-12);
    assert_near(x[LO_FEAT_NET_HOVER_FRACTION], 1, 0);
    assert_int_equal(f.n_snr, 30);
    assert_near(x[LO_FEAT_RCS_DBSM_MEAN], -20, 0.2);
    assert_near(x[LO_FEAT_RCS_DB_STD], 2, 0.05);
    /* The plots' spreads, exponentially weighted by their age at the last report (3029.5 s);
     * the coasting reports' 100 m/s count for nothing. */
    double sw = 0, swx = 0;
    for (int k = 0; k < 30; k++) {
        double w = exp(-(29.5 - k) / p.tau_s);
        sw += w;
        swx += w * (k < 10 ? 2.0 : 4.0);
    }
    assert_near(x[LO_FEAT_RADIAL_VEL_SPREAD], swx / sw, 1e-9);
    assert_near(x[LO_FEAT_FLOCK_NEIGHBOURS], 0, 0);

    /* Ballistic: the vertical velocity falls by g every second; the tracker's ballistic model
     * (index 2) is sure of it. */
    p.ballistic_model_index = 2;
    p.cv_model_index = 0;
    lo_track_features_init(&f, 6);
    for (int k = 0; k < 20; k++) {
        lo_track r = report(4000 + k, 250.0 * k, 0, 1500, 250, 0, 100 - LO_G0 * k);
        r.n_models = 3;
        r.model_prob[0] = 0.04;
        r.model_prob[2] = 0.9;
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_VERTICAL_ACC_MEAN], -LO_G0, 1e-9);
    assert_near(x[LO_FEAT_BALLISTIC_PROB], 0.9, 1e-12);
    assert_near(x[LO_FEAT_MANOEUVRE_MODEL_PROB], 0.96, 1e-12);
}



/* Tracker noise at long range: a hovering multirotor whose velocity estimate jitters by 5 m/s
 * hovers by the instantaneous speed almost never, by displacement all the time. */
static void test_features_net_speed_under_noise(void **state)
{
    (void)state;
    lo_feature_params p;
    lo_feature_params_default(&p);
    lo_track_features f;
    lo_track_features_init(&f, 9);
    unsigned seed = 5;
    for (int k = 0; k < 40; k++) {
        double n1 = (rand_r(&seed) / (double)RAND_MAX - 0.5) * 17; /* +-8.5 m/s: sigma ~5 */
        double n2 = (rand_r(&seed) / (double)RAND_MAX - 0.5) * 17;
        double e1 = (rand_r(&seed) / (double)RAND_MAX - 0.5) * 4;  /* +-2 m position noise */
        lo_track r = report(8000 + k, 5000 + e1, 3000 - e1, 80, n1, n2, 0);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    double x[LO_FEAT_COUNT];
    lo_track_features_values(&f, x);
    assert_true(x[LO_FEAT_HOVER_FRACTION] < 0.2);
    assert_true(x[LO_FEAT_NET_HOVER_FRACTION] > 0.95);
    assert_true(x[LO_FEAT_NET_SPEED_MEAN] < 1);
}

static void test_flock_neighbours(void **state)
{
    (void)state;
    /* Five pigeons flying together (within 60 m, same velocity give or take 1 m/s), a drone
     * passing through them at 40 m/s, a sixth pigeon 500 m away, a deleted track among them. */
    lo_track t[8];
    memset(t, 0, sizeof t);
    for (int i = 0; i < 5; i++) {
        t[i].id = (uint32_t)i + 1;
        t[i].pos[0] = 1000 + 12.0 * i, t[i].pos[1] = -2000 + 7.0 * i, t[i].pos[2] = 60;
        t[i].vel[0] = 10 + 0.2 * i, t[i].vel[1] = 5;
    }
    t[5].id = 6, t[5].pos[0] = 1020, t[5].pos[1] = -1990, t[5].vel[0] = -40; /* the drone */
    t[6].id = 7, t[6].pos[0] = 1500, t[6].pos[1] = -2000, t[6].vel[0] = 10, t[6].vel[1] = 5;
    t[7] = t[0];
    t[7].id = 8;
    t[7].status = LO_TRACK_DELETED;
    int counts[8];
    assert_int_equal(lo_classify_count_neighbours(t, 8, 150, 4, counts), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(counts[i], 4);
    assert_int_equal(counts[5], 0);
    assert_int_equal(counts[6], 0);
    assert_int_equal(counts[7], 0);
    /* A tighter radius splits the line of five: ends have one neighbour, the middle two. */
    assert_int_equal(lo_classify_count_neighbours(t, 8, 15, 4, counts), 0);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[2], 2);
    assert_int_equal(counts[4], 1);
}

static lo_classifier_model load_model(const char *file)
{
    lo_classifier_model m;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    char path[64];
    snprintf(path, sizeof path, "data/%s", file);
    int rc = lo_classifier_model_load(lo_test_source_path(path), &m, &d.sink);
    if (rc) fail_msg("%s: %s", file, d.all);
    return m;
}

static lo_classifier_model load_v1(void) { return load_model("classifier-v1.json"); }

static int argmax(const double *p)
{
    int b = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (p[c] > p[b]) b = c;
    return b;
}

static void test_prior_model_v1(void **state)
{
    (void)state;
    lo_classifier_model m = load_v1();
    assert_int_equal(m.version, 1);
    assert_non_null(strstr(m.provenance, "HAND-SET PRIOR, NOT TRAINED"));
    for (int c = 1; c < LO_CLASS_COUNT; c++) assert_true(m.class_used[c]);

    /* A young track (no reports) stays at the prior. */
    double x[LO_FEAT_COUNT], p[LO_CLASS_COUNT];
    for (int f = 0; f < LO_FEAT_COUNT; f++) x[f] = m.mean[LO_CLASS_BIRD][f];
    lo_classifier_predict(&m, x, 0, p);
    assert_near(p[LO_CLASS_UNKNOWN], 0, 0);
    assert_near(p[LO_CLASS_BIRD], 1.0 / 9, 1e-9);
    /* Each class's own prototype is classified as that class once evidence is full. */
    for (int c = 1; c < LO_CLASS_COUNT; c++) {
        for (int f = 0; f < LO_FEAT_COUNT; f++) x[f] = m.mean[c][f];
        lo_classifier_predict(&m, x, 100, p);
        double sum = 0;
        for (int k = 0; k < LO_CLASS_COUNT; k++) sum += p[k];
        assert_near(sum, 1, 1e-9);
        if (argmax(p) != c) fail_msg("prototype of %s classified %s", lo_class_name((lo_class)c),
                                     lo_class_name((lo_class)argmax(p)));
    }
    /* Missing features are skipped, not counted as zero: a rocket known only by speed,
     * vertical acceleration and straightness. */
    for (int f = 0; f < LO_FEAT_COUNT; f++) x[f] = NAN;
    x[LO_FEAT_SPEED_MEAN] = 300;
    x[LO_FEAT_VERTICAL_ACC_MEAN] = -9.5;
    x[LO_FEAT_STRAIGHTNESS] = 0.99;
    lo_classifier_predict(&m, x, 100, p);
    assert_int_equal(argmax(p), LO_CLASS_ROCKET);
    assert_true(p[LO_CLASS_ROCKET] > 0.9);
}


/* The trained parameter file in the repo loads, says where it came from, and knows the classes
 * the simulated training data had. */
static void test_trained_model_v2(void **state)
{
    (void)state;
    lo_classifier_model m;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_load(lo_test_source_path("data/classifier-v2.json"), &m, &d.sink))
        fail_msg("classifier-v2.json: %s", d.all);
    assert_string_equal(m.name, "classifier-v2");
    assert_non_null(strstr(m.provenance, "lookout train-classifier"));
    assert_non_null(strstr(m.provenance, "held out"));
    static const lo_class want[] = {LO_CLASS_MULTIROTOR, LO_CLASS_FIXED_WING, LO_CLASS_BIRD,
                                    LO_CLASS_ROCKET, LO_CLASS_HELICOPTER, LO_CLASS_GROUND_VEHICLE};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_true(m.class_used[want[i]]);
    assert_true(m.log_scale[LO_FEAT_TURN_RATE_RMS]);
    /* Physics the fit must have found: rockets fall at about g, drones are brighter than birds. */
    assert_near(m.mean[LO_CLASS_ROCKET][LO_FEAT_VERTICAL_ACC_MEAN], -LO_G0, 3);
    assert_true(m.mean[LO_CLASS_FIXED_WING][LO_FEAT_RCS_DBSM_MEAN] >
                m.mean[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN] + 8);
    assert_true(m.mean[LO_CLASS_MULTIROTOR][LO_FEAT_RCS_DBSM_MEAN] >
                m.mean[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN] + 4);
}

static void test_model_file_errors(void **state)
{
    (void)state;
    lo_classifier_model m;
    lo_test_diags d;
    static const struct { const char *json, *want; } cases[] = {
        {"{\"format\": \"lookout-classifier\",\n \"version\": 1,\n \"kind\": ", "m.json:3:"},
        {"{\"format\": \"other\"}", "format"},
        {"{\"format\": \"lookout-classifier\", \"version\": 2}", "version"},
        {"{\"format\": \"lookout-classifier\", \"version\": 1, \"kind\": \"gaussian_naive_bayes\","
         " \"features\": [\"speed_mean\", \"wingspan\"], \"classes\": {}}", "features[1]"},
        {"{\"format\": \"lookout-classifier\", \"version\": 1, \"kind\": \"gaussian_naive_bayes\","
         " \"features\": [\"speed_mean\"], \"classes\": {\"bird\": {\"mean\": [1], \"std\": [1]},"
         " \"dragon\": {\"mean\": [1], \"std\": [1]}}}", "classes.dragon"},
        {"{\"format\": \"lookout-classifier\", \"version\": 1, \"kind\": \"gaussian_naive_bayes\","
         " \"features\": [\"speed_mean\"], \"classes\": {\"bird\": {\"mean\": [1], \"std\": [0]},"
         " \"rocket\": {\"mean\": [1], \"std\": [1]}}}", "classes.bird.std"},
        {"{\"format\": \"lookout-classifier\", \"version\": 1, \"kind\": \"gaussian_naive_bayes\","
         " \"features\": [\"speed_mean\"], \"classes\": {\"bird\": {\"mean\": [1, 2], \"std\": [1]},"
         " \"rocket\": {\"mean\": [1], \"std\": [1]}}}", "classes.bird.mean"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lo_test_diags_init(&d, false);
        assert_int_equal(lo_classifier_model_parse(cases[i].json, "m.json", &m, &d.sink), -1);
        if (!strstr(d.all, cases[i].want) || !strstr(d.all, "m.json"))
            fail_msg("case %zu: '%s' not in: %s", i, cases[i].want, d.all);
    }
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_classifier_model_load("/nonexistent/model.json", &m, &d.sink), -1);
    assert_non_null(strstr(d.all, "/nonexistent/model.json"));
}

static double gauss(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2 * log(u1)) * cos(2 * LO_PI * u2);
}

static void test_fit_and_round_trip(void **state)
{
    (void)state;
    enum { N = 4000 };
    double (*x)[LO_FEAT_COUNT] = calloc(N, sizeof *x);
    lo_class *y = calloc(N, sizeof *y);
    unsigned seed = 12345;
    /* Birds: speed 13 +- 4; drones: speed 35 +- 8; RCS known only for drones. */
    for (int i = 0; i < N; i++) {
        for (int f = 0; f < LO_FEAT_COUNT; f++) x[i][f] = NAN;
        bool bird = i % 4 == 0;
        y[i] = bird ? LO_CLASS_BIRD : LO_CLASS_FIXED_WING;
        x[i][LO_FEAT_SPEED_MEAN] = bird ? 13 + 4 * gauss(&seed) : 35 + 8 * gauss(&seed);
        x[i][LO_FEAT_ALTITUDE_MEAN] = 100 + 10 * gauss(&seed);
        if (!bird) x[i][LO_FEAT_RCS_DBSM_MEAN] = -7 + 5 * gauss(&seed);
    }
    lo_classifier_model m;
    assert_int_equal(lo_classifier_fit((const double (*)[LO_FEAT_COUNT])x, y, N, NULL, false, NULL, &m), 0);
    assert_true(m.class_used[LO_CLASS_BIRD] && m.class_used[LO_CLASS_FIXED_WING]);
    assert_false(m.class_used[LO_CLASS_ROCKET]);
    assert_near(m.prior[LO_CLASS_BIRD], 0.25, 1e-9);
    assert_near(m.mean[LO_CLASS_BIRD][LO_FEAT_SPEED_MEAN], 13, 0.4);
    assert_near(m.std[LO_CLASS_BIRD][LO_FEAT_SPEED_MEAN], 4, 0.3);
    assert_near(m.mean[LO_CLASS_FIXED_WING][LO_FEAT_SPEED_MEAN], 35, 0.5);
    assert_near(m.std[LO_CLASS_FIXED_WING][LO_FEAT_RCS_DBSM_MEAN], 5, 0.3);
    assert_true(m.feature_used[LO_FEAT_RCS_DBSM_MEAN]);
    assert_false(m.feature_used[LO_FEAT_TURN_RATE_RMS]);
    /* Birds never had RCS: uninformative for them (wide). */
    assert_true(m.std[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN] > 20);

    /* Write and read back. */
    snprintf(m.name, sizeof m.name, "test-fit");
    snprintf(m.provenance, sizeof m.provenance, "unit test");
    char path[] = "/tmp/lookout-test-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(lo_classifier_model_write(&m, f), 0);
    fclose(f);
    lo_classifier_model back;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_load(path, &back, &d.sink)) fail_msg("%s", d.all);
    unlink(path);
    assert_string_equal(back.name, "test-fit");
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        assert_int_equal(back.class_used[c], m.class_used[c]);
        if (!m.class_used[c]) continue;
        assert_near(back.prior[c], m.prior[c], 1e-5);
        for (int k = 0; k < LO_FEAT_COUNT; k++)
            if (m.feature_used[k]) assert_near(back.mean[c][k], m.mean[c][k], 1e-4 * fabs(m.mean[c][k]) + 1e-6);
    }
    /* And it separates the two on held-out draws. */
    int right = 0;
    for (int i = 0; i < 1000; i++) {
        double v[LO_FEAT_COUNT], p[LO_CLASS_COUNT];
        for (int k = 0; k < LO_FEAT_COUNT; k++) v[k] = NAN;
        bool bird = i % 2;
        v[LO_FEAT_SPEED_MEAN] = bird ? 13 + 4 * gauss(&seed) : 35 + 8 * gauss(&seed);
        lo_classifier_predict(&back, v, 1, p);
        right += argmax(p) == (bird ? LO_CLASS_BIRD : LO_CLASS_FIXED_WING);
    }
    assert_true(right > 900);
    free(x);
    free(y);
}


/* Goal of issue 5: rockets classified within 3 scans of confirmation. Reports from
 * confirmation on, 1 s scans, exact kinematics (the hand-set prior, no tracker noise): "rocket"
 * by the third report at the latest (it is at the second: the first carries no evidence). */
static void test_rocket_within_three_scans(void **state)
{
    (void)state;
    lo_classifier_model m = load_v1();
    lo_sensor s = test_sensor();
    lo_classifier *c = lo_classifier_new(&m, NULL, &s, 1);
    double vx = 200, vy = -200, vz = 110;
    int rocket_at = -1;
    for (int k = 0; k < 6; k++) {
        double t = 3 + k; /* seconds since launch */
        lo_track r = report(7000 + k, 4950 - 200 * t, -4950 + 200 * t, vz * t - 0.5 * LO_G0 * t * t,
                            vx, vy, vz - LO_G0 * t);
        r.id = 77;
        r.last_flags = LO_PLOT_SNR;
        double R = sqrt(r.pos[0] * r.pos[0] + r.pos[1] * r.pos[1] + r.pos[2] * r.pos[2]);
        r.last_snr_db = 13 + (-16 + 20) - 40 * log10(R / 15000);
        lo_classifier_update(c, &r, NULL);
        print_message("report %d: rocket %.2f (%s)\n", k + 1, r.class_prob[LO_CLASS_ROCKET],
                      lo_class_name((lo_class)argmax(r.class_prob)));
        if (rocket_at < 0 && argmax(r.class_prob) == LO_CLASS_ROCKET && r.class_prob[LO_CLASS_ROCKET] > 0.5)
            rocket_at = k + 1;
    }
    assert_true(rocket_at > 0 && rocket_at <= 3);
    lo_classifier_free(c);
}

/* The fallback model (lo_classifier_set_fallback) with the committed pair the pipeline builds
 * in: v5 uses the Doppler spread, v4 does not. A hovering multirotor 4 km out whose first 20
 * plots carry no spread is judged by v4 exactly; once its plots carry the rotors' 25 m/s, by
 * v5 exactly; and v5 alone, without the spread, loses it to "bird" where the pair does not. */
static void test_fallback_without_doppler_spread(void **state)
{
    (void)state;
    lo_classifier_model v5 = load_model("classifier-v5.json"), v4 = load_model("classifier-v4.json");
    assert_true(v5.feature_used[LO_FEAT_RADIAL_VEL_SPREAD]);
    assert_false(v4.feature_used[LO_FEAT_RADIAL_VEL_SPREAD]);
    lo_sensor s = test_sensor();
    lo_classifier *pair = lo_classifier_new(&v5, NULL, &s, 1);
    lo_classifier *only5 = lo_classifier_new(&v5, NULL, &s, 1);
    lo_classifier *only4 = lo_classifier_new(&v4, NULL, &s, 1);
    assert_true(pair && only5 && only4);
    lo_classifier_set_fallback(pair, &v4);
    lo_classify_extra alone = {.flock_neighbours = 0};
    for (int k = 0; k < 40; k++) {
        /* Hovering, drifting 1 m/s, 120 m up, -15 dBsm with a little fluctuation. */
        lo_track r = report(6000 + k, 4000 + k, 0, 120, 1, 0, 0);
        r.id = 21;
        r.last_flags = LO_PLOT_SNR;
        r.last_snr_db = 13 + (-15 + 20) - 40 * log10(hypot(4000 + k, 120) / 15000) + (k % 3 - 1);
        if (k >= 20) {
            r.last_flags |= LO_PLOT_DOPPLER_SPREAD;
            r.last_doppler_spread_mps = 25.0;
        }
        lo_track a = r, b = r, c = r;
        lo_classifier_update(pair, &a, &alone);
        lo_classifier_update(only5, &b, &alone);
        lo_classifier_update(only4, &c, &alone);
        const lo_track *same = k < 20 ? &c : &b;
        for (int j = 0; j < LO_CLASS_COUNT; j++)
            if (a.class_prob[j] != same->class_prob[j])
                fail_msg("report %d: %s %.17g, expected %.17g (%s)", k, lo_class_name((lo_class)j),
                         a.class_prob[j], same->class_prob[j], k < 20 ? "v4" : "v5");
        if (k == 19) {
            print_message("without spread at 20 reports: pair/v4 %s %.2f, v5 alone %s %.2f\n",
                          lo_class_name((lo_class)argmax(a.class_prob)), a.class_prob[argmax(a.class_prob)],
                          lo_class_name((lo_class)argmax(b.class_prob)), b.class_prob[argmax(b.class_prob)]);
            assert_true(a.class_prob[LO_CLASS_MULTIROTOR] > b.class_prob[LO_CLASS_MULTIROTOR]);
        }
        if (k == 39) assert_int_equal(argmax(a.class_prob), LO_CLASS_MULTIROTOR);
    }
    lo_classifier_free(pair);
    lo_classifier_free(only5);
    lo_classifier_free(only4);
}

static void test_runtime(void **state)
{
    (void)state;
    lo_classifier_model m = load_v1();
    lo_sensor s = test_sensor();
    lo_classifier *c = lo_classifier_new(&m, NULL, &s, 1);
    assert_non_null(c);
    /* A fixed-wing drone: 38 m/s straight, 150 m up, 0.2 m^2 at 8 km; and a pigeon: 12 m/s,
     * wandering, 0.005 m^2 at 3 km, with 5 neighbours. */
    double rcs_fw = 10 * log10(0.2), rcs_bird = 10 * log10(0.005);
    lo_classify_extra flock = {.flock_neighbours = 5};
    lo_classify_extra alone = {.flock_neighbours = 0};
    for (int k = 0; k < 40; k++) {
        double t = 5000 + k;
        lo_track d = report(t, 8000 - 38.0 * k, 0, 150, -38, 0, 0);
        d.id = 10;
        d.last_flags = LO_PLOT_SNR;
        double r = hypot(8000 - 38.0 * k, 150); /* slant range from the antenna at 0 */
        d.last_snr_db = 13 + (rcs_fw + 20) - 40 * log10(r / 15000);
        lo_classifier_update(c, &d, &alone);
        double hdg = 0.6 * sin(0.5 * k);
        lo_track b = report(t, 3000 + 40 * sin(0.3 * k), -2000 + 12.0 * k, 60, 12 * sin(hdg),
                            12 * cos(hdg), 0.5 * sin(k));
        b.id = 11;
        b.last_flags = LO_PLOT_SNR;
        double rb = sqrt(b.pos[0] * b.pos[0] + b.pos[1] * b.pos[1] + b.pos[2] * b.pos[2]);
        b.last_snr_db = 13 + (rcs_bird + 20) - 40 * log10(rb / 15000) + (k % 2 ? 3 : -3);
        lo_classifier_update(c, &b, &flock);
        if (k == 39) {
            assert_int_equal(argmax(d.class_prob), LO_CLASS_FIXED_WING);
            assert_int_equal(argmax(b.class_prob), LO_CLASS_BIRD);
            assert_true(d.class_prob[LO_CLASS_FIXED_WING] > 0.5);
        }
    }
    const lo_track_features *f = lo_classifier_features(c, 10);
    assert_non_null(f);
    double x[LO_FEAT_COUNT];
    lo_track_features_values(f, x);
    assert_near(x[LO_FEAT_RCS_DBSM_MEAN], rcs_fw, 1e-6);
    /* Deletion frees the state. */
    lo_track del = report(6000, 0, 0, 150, -38, 0, 0);
    del.id = 10;
    del.status = LO_TRACK_DELETED;
    lo_classifier_update(c, &del, NULL);
    assert_null(lo_classifier_features(c, 10));
    assert_non_null(lo_classifier_features(c, 11));
    lo_classifier_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radar_equation),
        cmocka_unit_test(test_features_straight_and_circling),
        cmocka_unit_test(test_features_hover_ballistic_rcs_extras),
        cmocka_unit_test(test_features_net_speed_under_noise),
        cmocka_unit_test(test_flock_neighbours),
        cmocka_unit_test(test_prior_model_v1),
        cmocka_unit_test(test_trained_model_v2),
        cmocka_unit_test(test_model_file_errors),
        cmocka_unit_test(test_fit_and_round_trip),
        cmocka_unit_test(test_rocket_within_three_scans),
        cmocka_unit_test(test_runtime),
        cmocka_unit_test(test_fallback_without_doppler_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
