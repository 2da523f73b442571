/* What classifier-v4 added (classify.h): the soaring features (signed and absolute vertical
 * rate, sustained one-way turning, their slowly fading peaks), the median RCS, the subclass
 * row that lets a linear model give one class two regions, the vertical-rate gate, the file
 * round trip of both, and the committed data/classifier-v4.json. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify_testutil.h"
#include "lookout/classify.h"

static lo_sensor test_sensor(void) { return classify_test_sensor(); }

static lo_track report(double t, double x, double y, double up, double vx, double vy, double vz)
{
    return classify_test_report(7, t, x, y, up, vx, vy, vz);
}

/* A thermal (radius 50 m at 10 m/s, clockwise, climbing 2 m/s) for 60 s, then a straight
 * glide sinking 1.2 m/s for 90 s. */
static void test_soaring_features(void **state)
{
    (void)state;
    lo_feature_params p;
    lo_feature_params_default(&p);
    lo_track_features f;
    lo_track_features_init(&f, 7);
    double x[LO_FEAT_COUNT], alt = 300, t = 1000, a = 0;
    for (int k = 0; k < 60; k++, t += 1) {
        a = -0.2 * k; /* clockwise: the heading turns right, the signed mean is negative */
        lo_track r = report(t, 50 * cos(a), 50 * sin(a), alt, 10 * sin(a), -10 * cos(a), 2);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
        alt += 2;
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_VRATE_MEAN], 2, 1e-9);
    assert_near(x[LO_FEAT_VRATE_MEAN_ABS], 2, 1e-9);
    assert_near(x[LO_FEAT_TURN_RATE_MEAN_ABS], 0.2, 1e-9); /* one way, all the time */
    assert_near(x[LO_FEAT_TURN_RATE_RMS], 0.2, 1e-9);
    assert_near(x[LO_FEAT_CLIMB_PEAK], 2, 1e-9);
    assert_near(x[LO_FEAT_CIRCLING_PEAK], 0.2, 1e-9);

    /* Glide: heading fixed, sinking. */
    double px = 50 * cos(a), py = 50 * sin(a);
    for (int k = 0; k < 90; k++, t += 1) {
        px += 13, alt -= 1.2;
        lo_track r = report(t, px, py, alt, 13, 0, -1.2);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    lo_track_features_values(&f, x);
    /* The running means (tau 20 s) have forgotten the thermal: the weight of the last 90 s
     * is 1 - exp(-90/20) = 0.989. */
    assert_near(x[LO_FEAT_VRATE_MEAN], -1.2, 0.05);
    assert_near(x[LO_FEAT_VRATE_MEAN_ABS], 1.2, 0.05);
    assert_true(x[LO_FEAT_TURN_RATE_MEAN_ABS] < 0.01);
    /* ... the peaks have not: they fade over LO_FEAT_PEAK_TAU_S (the first glide step still
     * turned, from the circle's tangent to east, so the turning peak is a little older). */
    assert_near(x[LO_FEAT_CLIMB_PEAK], 2 * exp(-90 / LO_FEAT_PEAK_TAU_S), 0.02);
    assert_true(x[LO_FEAT_CIRCLING_PEAK] > 0.2 * exp(-91 / LO_FEAT_PEAK_TAU_S) - 0.01);
    assert_true(x[LO_FEAT_CIRCLING_PEAK] < 0.2);

    /* A young track has no peaks yet: the first noisy reports are no memory. */
    lo_track_features_init(&f, 8);
    for (int k = 0; k < 4; k++) {
        lo_track r = report(3000 + k, 20 * k, 0, 100, 20, 0, 15);
        lo_track_features_update(&f, &p, &r, NULL, NULL);
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_VRATE_MEAN], 15, 1e-9);
    assert_near(x[LO_FEAT_CLIMB_PEAK], 0, 0);
}

/* The median RCS ignores one merged or split plot 20 dB off; the mean does not. */
static void test_rcs_median(void **state)
{
    (void)state;
    lo_feature_params p;
    lo_feature_params_default(&p);
    lo_sensor s = test_sensor();
    lo_track_features f;
    lo_track_features_init(&f, 7);
    double x[LO_FEAT_COUNT];
    for (int k = 0; k < 20; k++) {
        lo_track r = report(1000 + k, 15000, 0, 0, 0, 0, 0);
        r.last_flags = LO_PLOT_SNR;
        r.last_snr_db = k == 17 ? 33 : 13; /* -20 dBsm at the reference range; one at 0 dBsm */
        lo_track_features_update(&f, &p, &r, &s, NULL);
    }
    lo_track_features_values(&f, x);
    assert_near(x[LO_FEAT_RCS_DBSM_MEDIAN], -20, 1e-9);
    assert_true(x[LO_FEAT_RCS_DBSM_MEAN] > -19);
    /* Unknown without SNR. */
    lo_track_features_init(&f, 9);
    lo_track r = report(1000, 15000, 0, 0, 0, 0, 0);
    lo_track_features_update(&f, &p, &r, &s, NULL);
    lo_track_features_values(&f, x);
    assert_true(isnan(x[LO_FEAT_RCS_DBSM_MEDIAN]));
}

/* Birds at -28 and at -14 dBsm, drones at -20 between them, one feature: a linear model over
 * one row per class cannot give "bird" both ends; with the large birds in a row of their own
 * it can. */
enum { N_SUB = 3000 };
static double sub_x[N_SUB][LO_FEAT_COUNT];
static lo_class sub_y[N_SUB];
static bool sub_flag[N_SUB];

static void make_sub_data(void)
{
    uint64_t st = 11;
    for (int i = 0; i < N_SUB; i++) {
        for (int f = 0; f < LO_FEAT_COUNT; f++) sub_x[i][f] = NAN;
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double u = ((double)(st >> 11) + 0.5) / 9007199254740992.0 - 0.5; /* -0.5..0.5 */
        int kind = i % 3; /* small bird, drone, large bird */
        double centre = kind == 0 ? -28 : kind == 1 ? -20 : -12;
        sub_x[i][LO_FEAT_RCS_DBSM_MEDIAN] = centre + 4 * u;
        sub_y[i] = kind == 1 ? LO_CLASS_MULTIROTOR : LO_CLASS_BIRD;
        sub_flag[i] = kind == 2;
    }
}

static int right_of(const lo_classifier_model *m, int kind)
{
    int right = 0;
    for (int i = kind; i < N_SUB; i += 3) {
        double p[LO_CLASS_COUNT];
        lo_classifier_predict(m, sub_x[i], 10, p);
        lo_class want = kind == 1 ? LO_CLASS_MULTIROTOR : LO_CLASS_BIRD;
        lo_class other = kind == 1 ? LO_CLASS_BIRD : LO_CLASS_MULTIROTOR;
        right += p[want] > p[other];
    }
    return right;
}

static void test_subclass_fit_and_file(void **state)
{
    (void)state;
    make_sub_data();
    const char *names[LO_CLASS_COUNT] = {0};
    names[LO_CLASS_BIRD] = "large_bird";
    lo_classifier_model one, two, back;
    assert_int_equal(lo_classifier_fit_logistic_sub((const double (*)[LO_FEAT_COUNT])sub_x, sub_y,
                                                    NULL, NULL, NULL, N_SUB, true, NULL, 1e-4,
                                                    800, &one), 0);
    assert_int_equal(lo_classifier_fit_logistic_sub((const double (*)[LO_FEAT_COUNT])sub_x, sub_y,
                                                    sub_flag, names, NULL, N_SUB, true, NULL, 1e-4,
                                                    800, &two), 0);
    assert_false(one.has_sub[LO_CLASS_BIRD]);
    assert_true(two.has_sub[LO_CLASS_BIRD]);
    assert_string_equal(two.sub_name[LO_CLASS_BIRD], "large_bird");
    int n = N_SUB / 3;
    /* One row: some group of the three is mostly wrong. */
    int worst = right_of(&one, 0);
    for (int k = 1; k < 3; k++)
        if (right_of(&one, k) < worst) worst = right_of(&one, k);
    assert_true(worst < n * 6 / 10);
    /* Two rows: every group mostly right. */
    for (int k = 0; k < 3; k++) assert_true(right_of(&two, k) > n * 9 / 10);

    /* Round trip keeps the subclass and the gates. */
    two.max_vrate_mps[LO_CLASS_MULTIROTOR] = 45;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(lo_classifier_model_write(&two, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"subclass\""));
    assert_non_null(strstr(buf, "\"max_vertical_rate_mps\""));
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_parse(buf, "sub.json", &back, &d.sink)) fail_msg("%s", d.all);
    assert_true(back.has_sub[LO_CLASS_BIRD]);
    assert_near(back.max_vrate_mps[LO_CLASS_MULTIROTOR], 45, 1e-9);
    for (int i = 0; i < 60; i++) {
        double p[LO_CLASS_COUNT], q[LO_CLASS_COUNT];
        lo_classifier_predict(&two, sub_x[i], 10, p);
        lo_classifier_predict(&back, sub_x[i], 10, q);
        for (int c = 0; c < LO_CLASS_COUNT; c++) assert_near(p[c], q[c], 1e-5);
    }
    /* A broken subclass is refused with its JSON path. */
    char *w = strstr(buf, "\"subclass\"");
    char *b = strstr(w, "\"bias\"");
    assert_non_null(b);
    memcpy(b, "\"bais\"", 6);
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_classifier_model_parse(buf, "sub.json", &back, &d.sink), -1);
    assert_non_null(strstr(d.all, "classes.bird.subclass"));
    free(buf);
}

/* The vertical-rate gate: a class whose limit the track's sustained vertical rate exceeds is
 * out, as with the speed gate; when that would leave none, nothing is gated. */
static void test_vertical_rate_gate(void **state)
{
    (void)state;
    make_sub_data();
    lo_classifier_model m;
    assert_int_equal(lo_classifier_fit_logistic((const double (*)[LO_FEAT_COUNT])sub_x, sub_y,
                                                N_SUB, true, NULL, 1e-4, 200, &m), 0);
    /* The fit puts the default limits in. */
    assert_near(m.max_vrate_mps[LO_CLASS_BIRD], lo_class_default_max_vrate(LO_CLASS_BIRD), 0);
    assert_near(lo_class_default_max_vrate(LO_CLASS_ROCKET), 0, 0);
    assert_true(lo_class_default_max_vrate(LO_CLASS_AIRLINER) < lo_class_default_max_vrate(LO_CLASS_BIRD));
    double x[LO_FEAT_COUNT], p[LO_CLASS_COUNT];
    memcpy(x, sub_x[0], sizeof x); /* a small bird */
    x[LO_FEAT_VRATE_MEAN] = -30;
    m.max_vrate_mps[LO_CLASS_BIRD] = 25;
    lo_classifier_predict(&m, x, 10, p);
    assert_near(p[LO_CLASS_BIRD], 0, 0);
    assert_near(p[LO_CLASS_MULTIROTOR], 1, 1e-12);
    /* Both out: the gate steps back. */
    m.max_vrate_mps[LO_CLASS_MULTIROTOR] = 25;
    lo_classifier_predict(&m, x, 10, p);
    assert_true(p[LO_CLASS_BIRD] > p[LO_CLASS_MULTIROTOR]);
    /* Unknown vertical rate: no gate. */
    x[LO_FEAT_VRATE_MEAN] = NAN;
    m.max_vrate_mps[LO_CLASS_MULTIROTOR] = 0;
    lo_classifier_predict(&m, x, 10, p);
    assert_true(p[LO_CLASS_BIRD] > 0.5);
}

/* The committed model (scripts/train-classifier.sh) loads, says where it came from, and
 * carries the physics the fit must find. */
static void test_trained_model_v4(void **state)
{
    (void)state;
    lo_classifier_model m;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_load(lo_test_source_path("data/classifier-v4.json"), &m, &d.sink))
        fail_msg("classifier-v4.json: %s", d.all);
    assert_string_equal(m.name, "classifier-v4");
    assert_int_equal(m.kind, LO_CLASSIFIER_LOGISTIC);
    assert_non_null(strstr(m.provenance, "scripts/train-classifier.sh"));
    assert_non_null(strstr(m.provenance, "classifier-training"));
    assert_true(m.has_sub[LO_CLASS_BIRD]);
    assert_string_equal(m.sub_name[LO_CLASS_BIRD], "large_bird");
    assert_near(m.max_vrate_mps[LO_CLASS_AIRLINER], lo_class_default_max_vrate(LO_CLASS_AIRLINER), 0);
    static const lo_feature want_f[] = {LO_FEAT_VRATE_MEAN, LO_FEAT_TURN_RATE_MEAN_ABS,
                                        LO_FEAT_RCS_DBSM_MEDIAN, LO_FEAT_VRATE_MEAN_ABS,
                                        LO_FEAT_CLIMB_PEAK, LO_FEAT_CIRCLING_PEAK};
    for (size_t i = 0; i < sizeof want_f / sizeof want_f[0]; i++) assert_true(m.feature_used[want_f[i]]);
    /* A helicopter is brighter than a fixed-wing drone, which is brighter than a small bird. */
    double rcs[LO_CLASS_COUNT];
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        rcs[c] = m.weight[c][LO_FEAT_RCS_DBSM_MEAN] + m.weight[c][LO_FEAT_RCS_DBSM_MEDIAN];
    assert_true(rcs[LO_CLASS_HELICOPTER] > rcs[LO_CLASS_FIXED_WING]);
    assert_true(rcs[LO_CLASS_FIXED_WING] > rcs[LO_CLASS_BIRD]);
    assert_true(rcs[LO_CLASS_MULTIROTOR] > rcs[LO_CLASS_BIRD]);
    /* Two reports of a 280 m/s target climbing at 45 m/s: a rocket, not an airliner (the
     * vertical-rate gate, where the evidence ramp still holds everything near the prior). */
    double x[LO_FEAT_COUNT], p[LO_CLASS_COUNT];
    for (int f = 0; f < LO_FEAT_COUNT; f++) x[f] = NAN;
    x[LO_FEAT_SPEED_MEAN] = 280;
    x[LO_FEAT_VRATE_MEAN] = 45;
    x[LO_FEAT_VRATE_MEAN_ABS] = 45;
    x[LO_FEAT_ALTITUDE_MEAN] = 900;
    lo_classifier_predict(&m, x, 2, p);
    assert_near(p[LO_CLASS_AIRLINER], 0, 0);
    int best = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (p[c] > p[best]) best = c;
    assert_int_equal(best, LO_CLASS_ROCKET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soaring_features),
        cmocka_unit_test(test_rcs_median),
        cmocka_unit_test(test_subclass_fit_and_file),
        cmocka_unit_test(test_vertical_rate_gate),
        cmocka_unit_test(test_trained_model_v4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
