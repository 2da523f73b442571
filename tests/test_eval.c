/* Evaluation (lookout/eval.h): GOSPA against hand computations, and the batch figures on the
 * small truth/track pair in tests/data (worked out by hand below). */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"
#include "lookout/eval.h"
#include "lookout/formats.h"

static lo_gospa_params params(double c, double p, double alpha)
{
    return (lo_gospa_params){.cutoff_m = c, .order_p = p, .alpha = alpha};
}

static void test_gospa_both_empty(void **state)
{
    (void)state;
    lo_gospa_params gp = params(100, 2, 2);
    lo_gospa_result r;
    assert_int_equal(lo_gospa(&gp, NULL, 0, NULL, 0, 3, NULL, &r, NULL), 0);
    assert_near(r.gospa_m, 0, 0);
    assert_near(r.localisation_m, 0, 0);
    assert_int_equal(r.n_missed + r.n_false + r.n_assigned, 0);
}

/* No truth, three estimates: each is false, c^p/2 = 5000 each: sqrt(15000) = 122.4744871. */
static void test_gospa_empty_truth(void **state)
{
    (void)state;
    lo_gospa_params gp = params(100, 2, 2);
    double est[] = {0, 0, 0, 10, 0, 0, 5000, 0, 0};
    lo_gospa_result r;
    assert_int_equal(lo_gospa(&gp, NULL, 0, est, 3, 3, NULL, &r, NULL), 0);
    assert_near(r.gospa_m, 122.4744871, 1e-6);
    assert_near(r.false_m, 122.4744871, 1e-6);
    assert_near(r.missed_m, 0, 0);
    assert_int_equal(r.n_false, 3);
    assert_int_equal(r.n_missed, 0);
}

/* Two truth points, no estimates: 2 x 5000 = 10000, GOSPA 100. */
static void test_gospa_empty_estimates(void **state)
{
    (void)state;
    lo_gospa_params gp = params(100, 2, 2);
    double truth[] = {1, 2, 3, 4, 5, 6};
    lo_gospa_result r;
    int t2e[2] = {7, 7};
    assert_int_equal(lo_gospa(&gp, truth, 2, NULL, 0, 3, NULL, &r, t2e), 0);
    assert_near(r.gospa_m, 100, 1e-9);
    assert_near(r.missed_m, 100, 1e-9);
    assert_int_equal(r.n_missed, 2);
    assert_int_equal(t2e[0], -1);
    assert_int_equal(t2e[1], -1);
    /* alpha = 1 doubles the cardinality penalty: 2 x 10000, GOSPA 141.42. */
    gp.alpha = 1;
    assert_int_equal(lo_gospa(&gp, truth, 2, NULL, 0, 3, NULL, &r, NULL), 0);
    assert_near(r.gospa_m, sqrt(20000.0), 1e-9);
}

/* Two truth, two estimates, every distance beyond c = 100: each pair costs c^2 = 10000 (one
 * missed + one false, 5000 each): sqrt(20000) = 141.4213562; 2 missed, 2 false, no pair. */
static void test_gospa_all_beyond_cutoff(void **state)
{
    (void)state;
    lo_gospa_params gp = params(100, 2, 2);
    double truth[] = {0, 0, 0, 1000, 0, 0};
    double est[] = {0, 300, 0, 1000, -101, 0};
    lo_gospa_result r;
    int t2e[2];
    assert_int_equal(lo_gospa(&gp, truth, 2, est, 2, 3, NULL, &r, t2e), 0);
    assert_near(r.gospa_m, 141.4213562, 1e-6);
    assert_near(r.missed_m, 100, 1e-9);
    assert_near(r.false_m, 100, 1e-9);
    assert_near(r.localisation_m, 0, 0);
    assert_int_equal(r.n_assigned, 0);
    assert_int_equal(r.n_missed, 2);
    assert_int_equal(r.n_false, 2);
    assert_int_equal(t2e[0], -1);
    assert_int_equal(t2e[1], -1);
}

/* 2 truth x 3 estimates, c = 100, p = 2, alpha = 2, on a line (y = z = 0 unless given):
 *   x1 = (0,0)   x2 = (10,0)
 *   y1 = (6,0)   y2 = (17,0)   y3 = (0,500)
 * distances: x1-y1 6, x1-y2 17, x1-y3 500 (capped to 100); x2-y1 4, x2-y2 7, x2-y3 500.1.
 * Greedy nearest pair would take x2-y1 (4) then x1-y2 (17): 16 + 289 = 305.
 * The optimum is x1-y1 + x2-y2: 36 + 49 = 85. y3 is false: c^2/2 = 5000.
 * GOSPA^2 = 85 + 5000 = 5085 -> GOSPA = 71.3091859; localisation sqrt(85) = 9.2195445,
 * false sqrt(5000) = 70.7106781, missed 0.
 * With p = 1: 6 + 7 + 100/2 = 63. */
static void test_gospa_2x3_by_hand(void **state)
{
    (void)state;
    lo_gospa_params gp = params(100, 2, 2);
    double truth[] = {0, 0, 10, 0};
    double est[] = {6, 0, 17, 0, 0, 500};
    lo_gospa_result r;
    int t2e[2];
    assert_int_equal(lo_gospa(&gp, truth, 2, est, 3, 2, NULL, &r, t2e), 0);
    assert_near(r.gospa_m, 71.3091859, 1e-6);
    assert_near(r.localisation_m, 9.2195445, 1e-6);
    assert_near(r.false_m, 70.7106781, 1e-6);
    assert_near(r.missed_m, 0, 0);
    assert_int_equal(t2e[0], 0);
    assert_int_equal(t2e[1], 1);
    assert_int_equal(r.n_assigned, 2);
    assert_int_equal(r.n_false, 1);
    assert_int_equal(r.n_missed, 0);
    /* The parts add up in the p-th power. */
    assert_near(pow(r.gospa_m, 2), pow(r.localisation_m, 2) + pow(r.false_m, 2) + pow(r.missed_m, 2), 1e-6);

    gp.order_p = 1;
    assert_int_equal(lo_gospa(&gp, truth, 2, est, 3, 2, NULL, &r, t2e), 0);
    assert_near(r.gospa_m, 63, 1e-9);
}

static void test_gospa_refuses_bad_parameters(void **state)
{
    (void)state;
    lo_gospa_result r;
    double pt[] = {0, 0, 0};
    lo_gospa_params gp = params(0, 2, 2);
    assert_int_equal(lo_gospa(&gp, pt, 1, pt, 1, 3, NULL, &r, NULL), -1);
    gp = params(100, 0.5, 2);
    assert_int_equal(lo_gospa(&gp, pt, 1, pt, 1, 3, NULL, &r, NULL), -1);
    gp = params(100, 2, 3);
    assert_int_equal(lo_gospa(&gp, pt, 1, pt, 1, 3, NULL, &r, NULL), -1);
    gp = params(100, 2, 2);
    assert_int_equal(lo_gospa(&gp, pt, 1, pt, 1, 4, NULL, &r, NULL), -1);
    double bad[] = {NAN, 0, 0};
    assert_int_equal(lo_gospa(&gp, pt, 1, bad, 1, 3, NULL, &r, NULL), -1);
}

/* The component decomposition inside lo_gospa against the plain definition: one dense
 * capped matrix over all points, on random clustered scenes of up to 60 x 60 points. */
static void test_gospa_matches_dense_definition(void **state)
{
    (void)state;
    unsigned seed = 7;
    double truth[60 * 3], est[60 * 3], cost[60 * 60];
    int r2c[60];
    for (int trial = 0; trial < 400; trial++) {
        int n = rand_r(&seed) % 61, m = rand_r(&seed) % 61, dim = 1 + rand_r(&seed) % 3;
        double spread = (double[]){50, 300, 3000}[rand_r(&seed) % 3];
        lo_gospa_params gp = params(100, 1 + rand_r(&seed) % 3, (double[]){2, 1, 0.5}[rand_r(&seed) % 3]);
        for (int i = 0; i < n * dim; i++) truth[i] = (double)rand_r(&seed) / RAND_MAX * spread;
        for (int j = 0; j < m * dim; j++) {
            /* Half the estimates near a truth point, the rest anywhere. */
            int near = n > 0 && rand_r(&seed) % 2;
            double base = near ? truth[(rand_r(&seed) % n) * dim + j % dim] : 0.0;
            est[j] = near ? base + ((double)rand_r(&seed) / RAND_MAX - 0.5) * 150.0
                          : (double)rand_r(&seed) / RAND_MAX * spread;
        }
        double want_p = pow(gp.cutoff_m, gp.order_p) / gp.alpha * abs(n - m);
        if (n > 0 && m > 0) {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++) {
                    double d2 = 0;
                    for (int k = 0; k < dim; k++) d2 += pow(truth[i * dim + k] - est[j * dim + k], 2);
                    cost[i * m + j] = pow(fmin(sqrt(d2), gp.cutoff_m), gp.order_p);
                }
            want_p += lo_assign_solve(NULL, cost, n, m, r2c, NULL);
        }
        lo_gospa_result r;
        assert_int_equal(lo_gospa(&gp, truth, n, est, m, dim, NULL, &r, NULL), 0);
        double want = pow(want_p, 1.0 / gp.order_p);
        if (fabs(r.gospa_m - want) > 1e-7 * (1 + want)) {
            print_error("trial %d: %dx%d dim %d p %g alpha %g: GOSPA %.9f, dense %.9f\n", trial, n, m,
                        dim, gp.order_p, gp.alpha, r.gospa_m, want);
            fail();
        }
        assert_near(pow(r.gospa_m, gp.order_p),
                    pow(r.localisation_m, gp.order_p) + pow(r.missed_m, gp.order_p) + pow(r.false_m, gp.order_p),
                    1e-6 * (1 + want_p));
        assert_int_equal(r.n_missed - r.n_false, n - m);
    }
}

static lo_eval *load(const char *truth_rel, const char *tracks_rel, double max_age)
{
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    opt.max_age_s = max_age;
    lo_eval *e = lo_eval_new(&opt);
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    if (truth_rel) {
        lo_reader *r = lo_truth_reader_open(lo_test_source_path(truth_rel), &d.sink);
        assert_non_null(r);
        lo_truth t;
        while (lo_truth_reader_next(r, &t) == 1) assert_int_equal(lo_eval_add_truth(e, &t), 0);
        lo_reader_close(r);
    }
    lo_reader *r = lo_track_reader_open(lo_test_source_path(tracks_rel), &d.sink);
    assert_non_null(r);
    lo_track k;
    while (lo_track_reader_next(r, &k) == 1) assert_int_equal(lo_eval_add_track(e, &k), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
    assert_int_equal(lo_eval_run(e), 0);
    return e;
}

/* tests/data/eval_truth.csv and eval_tracks.csv, c = 100, p = 2, alpha = 2, max age 2 s:
 * truth 1 moves (10t, 0, 100) at 10 m/s east from t = 1000; truth 2 stands at (1000, 0, 100).
 * t=1000: track 7's latest report (999.5) is tentative -> no estimate; track 11 (1000,0,150):
 *         50 m from truth 2. Pair 2-11: 2500; truth 1 missed: 5000. GOSPA sqrt(7500) = 86.6025404
 * t=1001: track 7 (1000.5 + 0.5 s at 10 m/s) = (13,4,100): 5 m from truth 1 -> 25;
 *         track 8 (1000,6,108): 10 m from truth 2 -> 100; track 10 (0,500,100) false -> 5000;
 *         track 11 is deleted. GOSPA sqrt(5125) = 71.5891053
 * t=1002: track 7 (23,4,100) 5 m; track 8 report 1.5 s old (<= 2 s) 10 m; track 10 false:
 *         GOSPA sqrt(5125) = 71.5891053.      Mean (86.6025404 + 2 x 71.5891053) / 3 = 76.5935837
 * Track figures: purity from plot_truth_id: track 7 updates 1,1,2 -> 2/3; 8 -> 1; 11 (one
 * update, repeated in its deleted report) -> 1; track 10 has no labels: GOSPA pairing, an
 * estimate at 2 steps, matched at none -> 0. Mean over the 4 confirmed tracks 0.6666667.
 * Continuity: truth 1 had track 7; truth 2 had 11 then 8: 1.5 tracks per object, 1 swap.
 * Latency: truth 1 detected 1000 (first sample), track 7 confirmed 1000.5 -> 0.5 s; truth 2:
 * track 11 has no t_confirmed, seen confirmed at 1000 -> 0 s. Mean 0.25 s, max 0.5 s.
 * False tracks: 10 -> 1 in 2 s = 1800 per hour.
 * Position errors of the 5 pairs: 50, 5, 10, 5, 10 m -> sqrt(2750 / 5) = 23.4520788 m.
 * Velocity errors: track 11's (3,4,0) against 0 -> 5 m/s once, others 0: sqrt(25 / 5) = 2.2360680. */
static void test_eval_small_scenario(void **state)
{
    (void)state;
    lo_eval *e = load("tests/data/eval_truth.csv", "tests/data/eval_tracks.csv", 2.0);
    int n;
    const lo_eval_step *steps = lo_eval_get_steps(e, &n);
    assert_int_equal(n, 3);
    assert_near(steps[0].t, 1000, 0);
    assert_near(steps[0].gospa.gospa_m, 86.6025404, 1e-6);
    assert_int_equal(steps[0].gospa.n_missed, 1);
    assert_int_equal(steps[0].gospa.n_false, 0);
    assert_near(steps[1].gospa.gospa_m, 71.5891053, 1e-6);
    assert_int_equal(steps[1].gospa.n_estimates, 3);
    assert_near(steps[2].gospa.gospa_m, 71.5891053, 1e-6);

    const lo_eval_summary *s = lo_eval_get_summary(e);
    assert_near(s->gospa_mean_m, 76.5935837, 1e-6);
    assert_int_equal(s->n_truth_objects, 2);
    assert_int_equal(s->n_tracks, 5);
    assert_int_equal(s->n_confirmed_tracks, 4);
    assert_near(s->purity_mean, 2.0 / 3.0, 1e-9);
    assert_near(s->tracks_per_truth, 1.5, 1e-12);
    assert_int_equal(s->identity_swaps, 1);
    assert_int_equal(s->n_tracked, 2);
    assert_near(s->latency_mean_s, 0.25, 1e-9);
    assert_near(s->latency_max_s, 0.5, 1e-9);
    assert_int_equal(s->false_tracks, 1);
    assert_near(s->false_tracks_per_hour, 1800, 1e-6);
    assert_near(s->pos_rms_m, 23.4520788, 1e-6);
    assert_near(s->vel_rms_mps, 2.2360680, 1e-6);
    assert_int_equal(s->n_error_samples, 5);

    const lo_eval_track_stats *tracks = lo_eval_get_tracks(e, &n);
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) {
        if (tracks[i].track_id == 7) {
            assert_near(tracks[i].purity, 2.0 / 3.0, 1e-9);
            assert_int_equal(tracks[i].dominant_truth, 1);
            assert_true(tracks[i].purity_from_plots);
        }
        if (tracks[i].track_id == 9) assert_false(tracks[i].confirmed);
        if (tracks[i].track_id == 10) {
            assert_true(tracks[i].false_track);
            assert_int_equal(tracks[i].n_steps, 2);
            assert_false(tracks[i].purity_from_plots);
        }
    }
    lo_eval_free(e);
}

/* The automatic maximum age is twice the median report interval: gaps 1, 1 (track 7) and 0.9
 * (track 11) -> 2 s, the same result. With --max-age 1, track 8 (1.5 s old at t=1002) drops
 * out: truth 2 and track 10 are paired beyond the cut-off (10000) + 25 for track 7:
 * sqrt(10025) = 100.1249220; mean (86.6025404 + 71.5891053 + 100.1249220) / 3 = 86.1055226. */
static void test_eval_max_age(void **state)
{
    (void)state;
    lo_eval *e = load("tests/data/eval_truth.csv", "tests/data/eval_tracks.csv", 0.0);
    assert_near(lo_eval_get_summary(e)->max_age_s, 2.0, 1e-12);
    assert_near(lo_eval_get_summary(e)->gospa_mean_m, 76.5935837, 1e-6);
    lo_eval_free(e);
    e = load("tests/data/eval_truth.csv", "tests/data/eval_tracks.csv", 1.0);
    int n;
    const lo_eval_step *steps = lo_eval_get_steps(e, &n);
    assert_near(steps[2].gospa.gospa_m, 100.1249220, 1e-6);
    assert_near(lo_eval_get_summary(e)->gospa_mean_m, 86.1055226, 1e-6);
    lo_eval_free(e);
}

/* Without truth: Mode S purity from the addresses of each track's plots. Track 1 carries one
 * address over 3 updates; track 2 carries A, A, B (mixed) -> 2/3; track 3 has none. */
static void test_eval_mode_s_without_truth(void **state)
{
    (void)state;
    lo_eval *e = lo_eval_new(NULL);
    struct { uint32_t id; double t; uint32_t addr; } rows[] = {
        {1, 10, 0xAAAAAA}, {1, 11, 0xAAAAAA}, {1, 12, 0xAAAAAA},
        {2, 10, 0x111111}, {2, 11, 0x111111}, {2, 12, 0x222222},
        {3, 10, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lo_track k = {.id = rows[i].id, .t = rows[i].t, .status = LO_TRACK_CONFIRMED,
                      .last_plot_t = rows[i].t};
        if (rows[i].addr) {
            k.last_flags = LO_PLOT_MODE_S;
            k.mode_s_address = rows[i].addr;
        }
        assert_int_equal(lo_eval_add_track(e, &k), 0);
    }
    assert_int_equal(lo_eval_run(e), 0);
    const lo_eval_summary *s = lo_eval_get_summary(e);
    assert_int_equal(s->n_steps, 0);
    assert_int_equal(s->mode_s_tracks, 2);
    assert_int_equal(s->mode_s_mixed, 1);
    assert_near(s->mode_s_purity_mean, (1.0 + 2.0 / 3.0) / 2.0, 1e-9);
    assert_int_equal(s->false_tracks, 0);
    assert_true(isnan(s->purity_mean));
    lo_eval_free(e);
}

/* Plots give the time of first detection: truth 1's first plot at 999 makes its latency 1.5 s. */
static void test_eval_latency_from_plots(void **state)
{
    (void)state;
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    opt.max_age_s = 2;
    lo_eval *e = lo_eval_new(&opt);
    lo_truth t = {.t = 1000, .truth_id = 1, .pos = {0, 0, 0}};
    assert_int_equal(lo_eval_add_truth(e, &t), 0);
    t.t = 1001;
    assert_int_equal(lo_eval_add_truth(e, &t), 0);
    lo_plot p = {.t = 999.5, .truth_id = 1};
    assert_int_equal(lo_eval_add_plot(e, &p), 0);
    p.t = 999.0;
    assert_int_equal(lo_eval_add_plot(e, &p), 0);
    lo_track k = {.id = 4, .t = 1000.5, .status = LO_TRACK_CONFIRMED, .t_confirmed = 1000.5};
    assert_int_equal(lo_eval_add_track(e, &k), 0);
    assert_int_equal(lo_eval_run(e), 0);
    int n;
    const lo_eval_truth_stats *o = lo_eval_get_truths(e, &n);
    assert_int_equal(n, 1);
    assert_near(o[0].t_detect, 999.0, 0);
    assert_near(o[0].latency_s, 1.5, 1e-12);
    assert_int_equal(o[0].n_samples, 2);
    assert_int_equal(o[0].n_matched, 1);
    /* One step with a missed object (sqrt(5000)), one with a perfect match (0). */
    assert_near(lo_eval_get_summary(e)->gospa_mean_m, sqrt(5000.0) / 2, 1e-9);
    lo_eval_free(e);
}

static bool east_of(void *ctx, const double enu[3])
{
    return enu[0] > *(const double *)ctx;
}

/* Coverage decides first detection without plots. Coverage x > 5 m: truth 1 (x = 0, 10, 20)
 * becomes detectable at 1001, after track 7's confirmation at 1000.5: latency 0 (never
 * negative); truth 2 (x = 1000) at 1000: 0. Coverage x > 500 m: truth 1 never detectable, so
 * no latency for it; only truth 2 counts. */
static void test_eval_coverage(void **state)
{
    (void)state;
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    opt.max_age_s = 2;
    for (int pass = 0; pass < 2; pass++) {
        double limit = pass == 0 ? 5.0 : 500.0;
        lo_eval *e = lo_eval_new(&opt);
        lo_eval_set_coverage(e, east_of, &limit);
        lo_test_diags d;
        lo_test_diags_init(&d, true);
        lo_reader *r = lo_truth_reader_open(lo_test_source_path("tests/data/eval_truth.csv"), &d.sink);
        lo_truth t;
        while (lo_truth_reader_next(r, &t) == 1) assert_int_equal(lo_eval_add_truth(e, &t), 0);
        lo_reader_close(r);
        r = lo_track_reader_open(lo_test_source_path("tests/data/eval_tracks.csv"), &d.sink);
        lo_track k;
        while (lo_track_reader_next(r, &k) == 1) assert_int_equal(lo_eval_add_track(e, &k), 0);
        lo_reader_close(r);
        assert_int_equal(lo_eval_run(e), 0);
        int n;
        const lo_eval_truth_stats *o = lo_eval_get_truths(e, &n);
        assert_int_equal(n, 2);
        const lo_eval_summary *s = lo_eval_get_summary(e);
        if (pass == 0) {
            assert_near(o[0].t_detect, 1001, 0);
            assert_near(o[0].latency_s, 0, 0);
            assert_near(o[1].t_detect, 1000, 0);
            assert_int_equal(s->n_tracked, 2);
            assert_near(s->latency_mean_s, 0, 0);
        } else {
            assert_true(isnan(o[0].t_detect));
            assert_true(isnan(o[0].latency_s));
            assert_int_equal(s->n_tracked, 1);
        }
        assert_near(s->gospa_mean_m, 76.5935837, 1e-6); /* coverage does not touch GOSPA */
        lo_eval_free(e);
    }
}

/* The JSON report parses, carries the figures, and writes a figure that does not exist
 * (no truth: no GOSPA) as null; the table and the SVG are written without error. */
static void test_reports(void **state)
{
    (void)state;
    lo_eval *e = load("tests/data/eval_truth.csv", "tests/data/eval_tracks.csv", 2.0);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(lo_eval_write_json(e, f), 0);
    rewind(f);
    json_error_t err;
    json_t *root = json_loadf(f, 0, &err);
    fclose(f);
    assert_non_null(root);
    json_t *summary = json_object_get(root, "summary");
    assert_near(json_real_value(json_object_get(summary, "gospa_mean_m")), 76.5935837, 1e-6);
    assert_int_equal(json_integer_value(json_object_get(summary, "false_tracks")), 1);
    assert_int_equal(json_array_size(json_object_get(root, "steps")), 3);
    assert_int_equal(json_array_size(json_object_get(root, "tracks")), 5);
    json_t *step0 = json_array_get(json_object_get(root, "steps"), 0);
    assert_int_equal(json_integer_value(json_object_get(step0, "n_missed")), 1);
    json_decref(root);

    f = tmpfile();
    assert_int_equal(lo_eval_print_table(e, f), 0);
    assert_int_equal(lo_eval_write_svg(e, f), 0);
    assert_true(ftell(f) > 1000);
    fclose(f);
    lo_eval_free(e);

    e = load(NULL, "tests/data/eval_tracks.csv", 2.0);
    f = tmpfile();
    assert_int_equal(lo_eval_write_json(e, f), 0);
    rewind(f);
    root = json_loadf(f, 0, &err);
    fclose(f);
    assert_non_null(root);
    assert_true(json_is_null(json_object_get(json_object_get(root, "summary"), "gospa_mean_m")));
    json_decref(root);
    lo_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gospa_both_empty),
        cmocka_unit_test(test_gospa_empty_truth),
        cmocka_unit_test(test_gospa_empty_estimates),
        cmocka_unit_test(test_gospa_all_beyond_cutoff),
        cmocka_unit_test(test_gospa_2x3_by_hand),
        cmocka_unit_test(test_gospa_refuses_bad_parameters),
        cmocka_unit_test(test_gospa_matches_dense_definition),
        cmocka_unit_test(test_eval_small_scenario),
        cmocka_unit_test(test_eval_max_age),
        cmocka_unit_test(test_eval_mode_s_without_truth),
        cmocka_unit_test(test_eval_latency_from_plots),
        cmocka_unit_test(test_eval_coverage),
        cmocka_unit_test(test_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
