/* The logistic-regression classifier (classify.h, LO_CLASSIFIER_LOGISTIC): fitting on data
 * with a known answer, class balance, determinism, the parameter file round trip and its
 * errors, and the committed data/classifier-v3.json. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/classify.h"

/* Deterministic normal draws (Box-Muller on a 64-bit LCG). */
static uint64_t rng_state;
static double uniform01(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(double mu, double sd)
{
    return mu + sd * sqrt(-2 * log(uniform01())) * cos(2 * M_PI * uniform01());
}

/* Birds (RCS -25 dBsm) outnumber drones (-16 dBsm) 20 to 1; spread 3 dB each; a second
 * feature is noise for both, a third is unknown (NaN) in a third of the samples. */
static size_t make_data(double (*x)[LO_FEAT_COUNT], lo_class *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool drone = i % 21 == 0;
        for (int f = 0; f < LO_FEAT_COUNT; f++) x[i][f] = NAN;
        x[i][LO_FEAT_RCS_DBSM_MEAN] = normal(drone ? -16 : -25, 3);
        x[i][LO_FEAT_SPEED_MEAN] = normal(12, 4);
        x[i][LO_FEAT_ALTITUDE_MEAN] = i % 3 == 0 ? NAN : normal(drone ? 150 : 60, 40);
        y[i] = drone ? LO_CLASS_MULTIROTOR : LO_CLASS_BIRD;
    }
    return n;
}

static lo_class argmax(const double p[LO_CLASS_COUNT])
{
    int b = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (p[c] > p[b]) b = c;
    return (lo_class)b;
}

static void test_logistic_fit(void **state)
{
    (void)state;
    enum { N = 4200 };
    static double x[N][LO_FEAT_COUNT];
    static lo_class y[N];
    rng_state = 42;
    make_data(x, y, N);
    lo_classifier_model uni, freq, again;
    assert_int_equal(lo_classifier_fit_logistic((const double (*)[LO_FEAT_COUNT])x, y, N, true,
                                                NULL, 1e-3, 300, &uni), 0);
    assert_int_equal(uni.kind, LO_CLASSIFIER_LOGISTIC);
    assert_true(uni.class_used[LO_CLASS_BIRD] && uni.class_used[LO_CLASS_MULTIROTOR]);
    assert_false(uni.class_used[LO_CLASS_ROCKET]);
    assert_near(uni.prior[LO_CLASS_BIRD], 0.5, 1e-12);
    /* The RCS feature carries the answer: brighter means drone. */
    assert_true(uni.weight[LO_CLASS_MULTIROTOR][LO_FEAT_RCS_DBSM_MEAN] >
                uni.weight[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN] + 1);
    assert_true(fabs(uni.weight[LO_CLASS_MULTIROTOR][LO_FEAT_SPEED_MEAN] -
                     uni.weight[LO_CLASS_BIRD][LO_FEAT_SPEED_MEAN]) < 0.3);
    assert_false(uni.feature_used[LO_FEAT_TURN_RATE_RMS]); /* never known: left out */

    /* Same data, same parameters. */
    assert_int_equal(lo_classifier_fit_logistic((const double (*)[LO_FEAT_COUNT])x, y, N, true,
                                                NULL, 1e-3, 300, &again), 0);
    assert_memory_equal(uni.weight, again.weight, sizeof uni.weight);

    /* Fresh samples: class-balanced training with equal priors finds most drones (the two
     * Gaussians 9 dB apart with 3 dB spread cross at 1.5 sigma: ~93% each way, the altitude
     * helps a little); frequency priors trade drones found for birds kept. */
    assert_int_equal(lo_classifier_fit_logistic((const double (*)[LO_FEAT_COUNT])x, y, N, false,
                                                NULL, 1e-3, 300, &freq), 0);
    assert_near(freq.prior[LO_CLASS_BIRD], 20.0 / 21, 1e-3);
    rng_state = 7;
    make_data(x, y, N);
    long drones = 0, drones_uni = 0, drones_freq = 0, birds = 0, birds_uni = 0, birds_freq = 0;
    for (size_t i = 0; i < N; i++) {
        double pu[LO_CLASS_COUNT], pf[LO_CLASS_COUNT];
        lo_classifier_predict(&uni, x[i], 10, pu);
        lo_classifier_predict(&freq, x[i], 10, pf);
        double sum = 0;
        for (int c = 0; c < LO_CLASS_COUNT; c++) sum += pu[c];
        assert_near(sum, 1, 1e-9);
        if (y[i] == LO_CLASS_MULTIROTOR) {
            drones++;
            drones_uni += argmax(pu) == LO_CLASS_MULTIROTOR;
            drones_freq += argmax(pf) == LO_CLASS_MULTIROTOR;
        } else {
            birds++;
            birds_uni += argmax(pu) == LO_CLASS_BIRD;
            birds_freq += argmax(pf) == LO_CLASS_BIRD;
        }
    }
    assert_true(drones_uni >= 0.88 * drones);
    assert_true(birds_uni >= 0.88 * birds);
    assert_true(drones_freq < drones_uni);
    assert_true(birds_freq > birds_uni);
    assert_true(birds_freq >= 0.98 * birds);

    /* A young track (evidence ramp) stays near the prior. */
    double p0[LO_CLASS_COUNT];
    lo_classifier_predict(&freq, x[0], 0, p0);
    assert_near(p0[LO_CLASS_BIRD], freq.prior[LO_CLASS_BIRD], 1e-9);
}

static void test_logistic_file_round_trip(void **state)
{
    (void)state;
    enum { N = 2100 };
    static double x[N][LO_FEAT_COUNT];
    static lo_class y[N];
    rng_state = 3;
    make_data(x, y, N);
    lo_classifier_model m, back;
    bool log_scale[LO_FEAT_COUNT] = {false};
    log_scale[LO_FEAT_SPEED_MEAN] = true;
    assert_int_equal(lo_classifier_fit_logistic((const double (*)[LO_FEAT_COUNT])x, y, N, false,
                                                log_scale, 1e-3, 100, &m), 0);
    snprintf(m.name, sizeof m.name, "lr-test");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(lo_classifier_model_write(&m, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"logistic_regression\""));
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_parse(buf, "lr.json", &back, &d.sink)) fail_msg("%s", d.all);
    assert_int_equal(back.kind, LO_CLASSIFIER_LOGISTIC);
    assert_true(back.log_scale[LO_FEAT_SPEED_MEAN]);
    for (size_t i = 0; i < 50; i++) {
        double p[LO_CLASS_COUNT], q[LO_CLASS_COUNT];
        lo_classifier_predict(&m, x[i], 10, p);
        lo_classifier_predict(&back, x[i], 10, q);
        for (int c = 0; c < LO_CLASS_COUNT; c++) assert_near(p[c], q[c], 1e-5);
    }
    /* Errors name the JSON path. */
    char *cut = strstr(buf, "\"center\"");
    assert_non_null(cut);
    memcpy(cut, "\"centre\"", 8);
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_classifier_model_parse(buf, "lr.json", &back, &d.sink), -1);
    assert_non_null(strstr(d.all, "center"));
    free(buf);
    lo_test_diags_init(&d, false);
    const char *no_bias = "{\"format\": \"lookout-classifier\", \"version\": 1, \"kind\": "
                          "\"logistic_regression\", \"features\": [\"speed_mean\"], \"center\": [0],"
                          " \"scale\": [1], \"classes\": {\"bird\": {\"weights\": [1], \"bias\": 0},"
                          " \"multirotor\": {\"weights\": [1]}}}";
    assert_int_equal(lo_classifier_model_parse(no_bias, "lr.json", &back, &d.sink), -1);
    assert_non_null(strstr(d.all, "classes.multirotor.bias"));
}

/* The committed model (scripts/train-classifier.sh) loads, says where it came from, and
 * carries the physics the fit must find. */
static void test_trained_model_v3(void **state)
{
    (void)state;
    lo_classifier_model m;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_load(lo_test_source_path("data/classifier-v3.json"), &m, &d.sink))
        fail_msg("classifier-v3.json: %s", d.all);
    assert_string_equal(m.name, "classifier-v3");
    assert_int_equal(m.kind, LO_CLASSIFIER_LOGISTIC);
    assert_non_null(strstr(m.provenance, "scripts/train-classifier.sh"));
    assert_non_null(strstr(m.provenance, "validation"));
    static const lo_class want[] = {LO_CLASS_MULTIROTOR, LO_CLASS_FIXED_WING, LO_CLASS_BIRD,
                                    LO_CLASS_ROCKET, LO_CLASS_HELICOPTER, LO_CLASS_GROUND_VEHICLE};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_true(m.class_used[want[i]]);
    /* Drones are brighter than birds; rockets fall (negative vertical acceleration weighs for
     * them); fixed-wing drones fly faster than birds. */
    assert_true(m.weight[LO_CLASS_MULTIROTOR][LO_FEAT_RCS_DBSM_MEAN] >
                m.weight[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN]);
    assert_true(m.weight[LO_CLASS_FIXED_WING][LO_FEAT_RCS_DBSM_MEAN] >
                m.weight[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN]);
    assert_true(m.weight[LO_CLASS_ROCKET][LO_FEAT_VERTICAL_ACC_MEAN] <
                m.weight[LO_CLASS_BIRD][LO_FEAT_VERTICAL_ACC_MEAN]);
    double speed_fw = m.weight[LO_CLASS_FIXED_WING][LO_FEAT_SPEED_MEAN] +
                      m.weight[LO_CLASS_FIXED_WING][LO_FEAT_NET_SPEED_MEAN];
    double speed_bird = m.weight[LO_CLASS_BIRD][LO_FEAT_SPEED_MEAN] +
                        m.weight[LO_CLASS_BIRD][LO_FEAT_NET_SPEED_MEAN];
    assert_true(speed_fw > speed_bird);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_fit),
        cmocka_unit_test(test_logistic_file_round_trip),
        cmocka_unit_test(test_trained_model_v3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
