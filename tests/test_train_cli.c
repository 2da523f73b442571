/* `lookout train-classifier` end to end on files: synthetic training and held-out runs written
 * with the library's own track and truth writers (as `lookout track` and `lookout simulate`
 * would), a model fitted and written, read back, and scored; the same scoring for the
 * hand-set prior with --model; usage errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/classify.h"
#include "lookout/formats.h"
#include "lookout/geo.h"
#include "testutil.h"

static double gauss(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2 * log(u1)) * cos(2 * LO_PI * u2);
}
static double uniform(unsigned *seed, double a, double b)
{
    return a + (b - a) * rand_r(seed) / (double)RAND_MAX;
}

/* 30 tracks per class (fixed-wing, bird), 40 reports each at 1 s, all tracks at once so
 * reports interleave by time as a tracker writes them. */
static void write_run(const char *tracks_path, const char *truth_path, unsigned seed)
{
    enum { PER = 30, N = 2 * PER, K = 40 };
    lo_writer *tw = lo_track_writer_open(tracks_path, lo_format_from_path(tracks_path), NULL);
    lo_writer *uw = lo_truth_writer_open(truth_path, lo_format_from_path(truth_path));
    assert_non_null(tw);
    assert_non_null(uw);
    double x[N], y[N], up[N], speed[N], hdg[N], turn[N], rcs[N];
    for (int i = 0; i < N; i++) {
        bool bird = i % 2;
        x[i] = uniform(&seed, -5000, 5000), y[i] = uniform(&seed, -5000, 5000);
        up[i] = bird ? uniform(&seed, 20, 150) : uniform(&seed, 80, 300);
        speed[i] = bird ? uniform(&seed, 8, 16) : uniform(&seed, 28, 45);
        hdg[i] = uniform(&seed, 0, 2 * LO_PI), turn[i] = 0;
        rcs[i] = bird ? uniform(&seed, -30, -22) : uniform(&seed, -10, -4);
    }
    for (int k = 0; k < K; k++) {
        for (int i = 0; i < N; i++) {
            bool bird = i % 2;
            turn[i] = bird ? 0.8 * turn[i] + 0.12 * gauss(&seed) : 0.01 * gauss(&seed);
            hdg[i] += turn[i];
            double v = speed[i] * (bird ? 1 + 0.15 * gauss(&seed) : 1);
            double vx = v * sin(hdg[i]), vy = v * cos(hdg[i]);
            x[i] += vx, y[i] += vy;
            double t = 1795348800.0 + k + 0.01 * i;
            lo_truth tr = {.t = t, .truth_id = (uint32_t)i + 1,
                           .cls = bird ? LO_CLASS_BIRD : LO_CLASS_FIXED_WING,
                           .pos = {x[i], y[i], up[i]}, .vel = {vx, vy, 0}};
            assert_int_equal(lo_truth_write(uw, &tr), 0);
            lo_track r;
            memset(&r, 0, sizeof r);
            r.id = (uint32_t)i + 1000;
            r.status = k < 3 ? LO_TRACK_TENTATIVE : LO_TRACK_CONFIRMED;
            r.t = t;
            r.t_first = 1795348800.0;
            r.t_confirmed = k < 3 ? 0 : 1795348803.0 + 0.01 * i;
            r.pos[0] = x[i] + 10 * gauss(&seed), r.pos[1] = y[i] + 10 * gauss(&seed);
            r.pos[2] = up[i] + 10 * gauss(&seed);
            r.vel[0] = vx + gauss(&seed), r.vel[1] = vy + gauss(&seed), r.vel[2] = 0.7 * gauss(&seed);
            for (int d = 0; d < 3; d++) r.pos_cov[4 * d] = 100, r.vel_cov[4 * d] = 1;
            r.last_sensor_id = 0x0101;
            r.last_plot_t = t;
            r.last_flags = LO_PLOT_SNR;
            double R = sqrt(x[i] * x[i] + y[i] * y[i] + up[i] * up[i]);
            r.last_snr_db = 13 + (rcs[i] + 20) - 40 * log10(R / 15000) + (bird ? 4 : 1.5) * gauss(&seed);
            r.last_truth_id = (uint32_t)i + 1;
            r.n_updates = (uint32_t)k + 1;
            assert_int_equal(lo_track_write(tw, &r), 0);
        }
    }
    assert_int_equal(lo_writer_close(tw), 0);
    assert_int_equal(lo_writer_close(uw), 0);
}

static void test_train_and_score(void **state)
{
    (void)state;
    char dir[] = "/tmp/lookout-train-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trk[256], tru[256], etrk[256], etru[256], model[256], cmd[2048];
    snprintf(trk, sizeof trk, "%s/train-tracks.csv", dir);
    snprintf(tru, sizeof tru, "%s/train-truth.csv", dir);
    snprintf(etrk, sizeof etrk, "%s/eval-tracks.csv", dir);
    snprintf(etru, sizeof etru, "%s/eval-truth.csv", dir);
    snprintf(model, sizeof model, "%s/classifier-test.json", dir);
    char trk2[256], tru2[256];
    snprintf(trk2, sizeof trk2, "%s/train-tracks-2.jsonl", dir);
    snprintf(tru2, sizeof tru2, "%s/train-truth-2.jsonl", dir);
    write_run(trk, tru, 1);
    write_run(trk2, tru2, 3); /* a second training run: the same track and truth ids again */
    write_run(etrk, etru, 2);
    static char out[16384];

    snprintf(cmd, sizeof cmd,
             "%s train-classifier --tracks %s --truth %s --tracks %s --truth %s --site %s "
             "--out %s --eval-tracks %s --eval-truth %s --ages 5,10,30",
             LOOKOUT_BINARY, trk, tru, trk2, tru2,
             lo_test_source_path("tests/data/site-green-zone.yaml"), model, etrk, etru);
    int rc = lo_test_run(cmd, out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    /* Two runs of 60 tracks, three ages each: 360 samples (ids repeat across runs). */
    assert_non_null(strstr(out, "wrote "));
    assert_non_null(strstr(out, "360 samples from 4800 track reports"));
    assert_non_null(strstr(out, "age 10 s: 60 tracks"));
    /* Separable by construction: the pipeline must get (nearly) all of them at 10 s. */
    const char *a10 = strstr(out, "age 10 s: 60 tracks, class correct ");
    assert_non_null(a10);
    double pct = atof(a10 + strlen("age 10 s: 60 tracks, class correct "));
    assert_true(pct >= 95);

    /* The written file is a valid model with the two classes and the RCS feature (--site). */
    lo_classifier_model m;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    if (lo_classifier_model_load(model, &m, &d.sink)) fail_msg("%s", d.all);
    assert_string_equal(m.name, "classifier-test");
    assert_true(m.class_used[LO_CLASS_BIRD] && m.class_used[LO_CLASS_FIXED_WING]);
    assert_false(m.class_used[LO_CLASS_ROCKET]);
    assert_true(m.feature_used[LO_FEAT_RCS_DBSM_MEAN]);
    assert_true(m.mean[LO_CLASS_FIXED_WING][LO_FEAT_RCS_DBSM_MEAN] > m.mean[LO_CLASS_BIRD][LO_FEAT_RCS_DBSM_MEAN] + 10);
    assert_non_null(strstr(m.provenance, "lookout train-classifier"));

    /* Scoring an existing file (the hand-set prior) without training. */
    snprintf(cmd, sizeof cmd, "%s train-classifier --model %s --eval-tracks %s --eval-truth %s --site %s",
             LOOKOUT_BINARY, lo_test_source_path("data/classifier-v1.json"), etrk, etru,
             lo_test_source_path("tests/data/site-green-zone.yaml"));
    rc = lo_test_run(cmd, out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "model classifier-v1"));
    assert_non_null(strstr(out, "age 30 s: 60 tracks"));

    /* --dump-samples: one row per held-out sample (60 tracks at 3 ages; they end before a
     * periodic sample), with the features and the model's answer. */
    char dump[300];
    snprintf(dump, sizeof dump, "%s/samples.csv", dir);
    snprintf(cmd, sizeof cmd, "%s train-classifier --model %s --eval-tracks %s --eval-truth %s --site %s "
             "--dump-samples %s", LOOKOUT_BINARY, model, etrk, etru,
             lo_test_source_path("tests/data/site-green-zone.yaml"), dump);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 0);
    FILE *df = fopen(dump, "r");
    assert_non_null(df);
    static char line[8192];
    int rows = 0, right = 0;
    assert_non_null(fgets(line, sizeof line, df));
    assert_non_null(strstr(line, "run,truth_id,track_id,label,age_s,n_reports,speed_mean,"));
    assert_non_null(strstr(line, ",rcs_dbsm_median,"));
    assert_non_null(strstr(line, ",class,"));
    assert_non_null(strstr(line, ",p_bird,"));
    while (fgets(line, sizeof line, df)) {
        rows++;
        /* label is the 4th field, class follows the features */
        char label[32] = "", *c = line;
        for (int k = 0; k < 3 && c; k++) c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL;
        assert_non_null(c);
        sscanf(c, "%31[^,]", label);
        char want[40];
        snprintf(want, sizeof want, ",%s,", label);
        const char *cls = line;
        for (int k = 0; k < 6 + LO_FEAT_COUNT && cls; k++) cls = strchr(cls, ',') ? strchr(cls, ',') + 1 : NULL;
        assert_non_null(cls);
        right += strncmp(cls - 1, want, strlen(want)) == 0;
    }
    fclose(df);
    assert_int_equal(rows, 180);
    assert_true(right >= 170); /* separable by construction, as above */

    /* A logistic fit with the v4 options; without held-out runs the dump is of the training
     * samples. */
    char model2[300];
    snprintf(model2, sizeof model2, "%s/classifier-lr.json", dir);
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --tracks %s --truth %s --site %s "
             "--out %s --kind logistic --iterations 200 --age-weight 2 --prior-runs 1 --dump-samples %s",
             LOOKOUT_BINARY, trk, tru, trk2, tru2,
             lo_test_source_path("tests/data/site-green-zone.yaml"), model2, dump);
    rc = lo_test_run(cmd, out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    if (lo_classifier_model_load(model2, &m, &d.sink)) fail_msg("%s", d.all);
    assert_int_equal(m.kind, LO_CLASSIFIER_LOGISTIC);
    assert_non_null(strstr(m.provenance, "first runs only"));
    df = fopen(dump, "r");
    assert_non_null(df);
    rows = -1;
    while (fgets(line, sizeof line, df)) rows++;
    fclose(df);
    assert_int_equal(rows, 360);

    /* --exclude-feature: the same fit without the RCS, which the data carry (the model for
     * radars that do not measure a feature is fitted this way: classifier-v4 without the
     * Doppler spread). */
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --site %s --out %s "
             "--kind logistic --iterations 200 --exclude-feature rcs_dbsm_mean",
             LOOKOUT_BINARY, trk, tru, lo_test_source_path("tests/data/site-green-zone.yaml"), model2);
    rc = lo_test_run(cmd, out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 0);
    if (lo_classifier_model_load(model2, &m, &d.sink)) fail_msg("%s", d.all);
    assert_false(m.feature_used[LO_FEAT_RCS_DBSM_MEAN]);
    assert_true(m.feature_used[LO_FEAT_RCS_DBSM_MEDIAN]); /* only the one named */
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --out %s --exclude-feature rcs",
             LOOKOUT_BINARY, trk, tru, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "not a feature name"));

    /* Usage errors. */
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --out %s --age-weight 0",
             LOOKOUT_BINARY, trk, tru, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--age-weight"));
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --out %s --prior-runs 1.5",
             LOOKOUT_BINARY, trk, tru, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--prior-runs"));
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --out %s", LOOKOUT_BINARY, trk, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--truth"));
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s --truth %s --tracks %s --out %s",
             LOOKOUT_BINARY, trk, tru, trk2, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "one of each per run"));
    snprintf(cmd, sizeof cmd, "%s train-classifier --tracks %s/none.csv --truth %s --out %s",
             LOOKOUT_BINARY, dir, tru, model);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "none.csv"));
    snprintf(cmd, sizeof cmd, "%s train-classifier --model %s --eval-tracks %s --eval-truth %s --ages 10,5",
             LOOKOUT_BINARY, model, etrk, etru);
    assert_int_equal(lo_test_run(cmd, out, sizeof out), 2);

    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_and_score),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
