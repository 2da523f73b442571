/* GOSPA over the detectable objects (lookout/eval.h, lo_eval_gospa_detectable), on a scene
 * worked out by hand:
 *   A at (0,0,0): a plot every second; a track on it 10 m off.
 *   B at (1000,0,0): never detected (a flock bird whose plots name another); a track 20 m off:
 *     near an undetectable object only, so left out.
 *   C at (2000,0,0): plots (0.2 s before the step) at steps 0..4 only, no track: missed while
 *     detectable (the last plot, at 3.8 s, is within 2 s of steps up to 5).
 *   a track at (5000,0,0): near nothing, false.
 * Steps t = 0..9 (10), p = 2, c = 100: steps 0..5: 10^2 + 5000 (C missed) + 5000 (false)
 * = 10100; steps 6..9: 100 + 5000 = 5100. Mean GOSPA (6 sqrt(10100) + 4 sqrt(5100)) / 10. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "lookout/eval.h"

static void add_track(lo_eval *e, uint32_t id, double x, double t)
{
    lo_track k;
    memset(&k, 0, sizeof k);
    k.id = id;
    k.status = LO_TRACK_CONFIRMED;
    k.t = t;
    k.t_first = 0;
    k.pos[0] = x;
    assert_int_equal(lo_eval_add_track(e, &k), 0);
}

static lo_eval *scene(void)
{
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    opt.max_age_s = 1.5;
    lo_eval *e = lo_eval_new(&opt);
    assert_non_null(e);
    for (int s = 0; s < 10; s++) {
        double t = s;
        const double xs[3] = {0, 1000, 2000};
        for (int o = 0; o < 3; o++) {
            lo_truth tr = {.t = t, .truth_id = (uint32_t)(o + 1), .cls = LO_CLASS_BIRD};
            tr.pos[0] = xs[o];
            assert_int_equal(lo_eval_add_truth(e, &tr), 0);
        }
        lo_plot p;
        memset(&p, 0, sizeof p);
        p.t = t - 0.2;
        p.truth_id = 1;
        assert_int_equal(lo_eval_add_plot(e, &p), 0);
        if (s <= 4) {
            p.truth_id = 3;
            assert_int_equal(lo_eval_add_plot(e, &p), 0);
        }
        add_track(e, 10, 10, t);
        add_track(e, 11, 1020, t);
        add_track(e, 12, 5000, t);
    }
    assert_int_equal(lo_eval_run(e), 0);
    return e;
}

static void test_detectable_by_hand(void **state)
{
    (void)state;
    lo_eval *e = scene();
    lo_eval_detectable d;
    assert_int_equal(lo_eval_gospa_detectable(e, 2.0, 1, &d), 0);
    assert_int_equal(d.n_steps, 10);
    double want = (6 * sqrt(10100.0) + 4 * sqrt(5100.0)) / 10;
    assert_true(fabs(d.gospa_mean_m - want) < 1e-6);
    assert_true(fabs(d.truth_per_step - 1.6) < 1e-9);
    assert_true(fabs(d.missed_per_step - 0.6) < 1e-9);
    assert_true(fabs(d.false_per_step - 1.0) < 1e-9);
    assert_true(fabs(d.left_out_per_step - 1.0) < 1e-9);
    /* The plain GOSPA counts B's track as a hit and C as missed at every step: always
     * 100 + 400 + 5000 + 5000. */
    assert_true(fabs(lo_eval_get_summary(e)->gospa_mean_m - sqrt(10500.0)) < 1e-6);
    lo_eval_free(e);
}

/* Two plots in [t - 2, t] (those of steps t - 1 and t): A from step 1 on, C at steps 1..4.
 * Step 0: nothing detectable; A's and B's tracks are near undetectable objects only, left
 * out; the false one stays: 5000. Steps 1..4: 100 + 5000 + 5000; 5..9: 100 + 5000. */
static void test_detectable_min_plots(void **state)
{
    (void)state;
    lo_eval *e = scene();
    lo_eval_detectable d;
    assert_int_equal(lo_eval_gospa_detectable(e, 2.0, 2, &d), 0);
    double want = (sqrt(5000.0) + 4 * sqrt(10100.0) + 5 * sqrt(5100.0)) / 10;
    assert_true(fabs(d.gospa_mean_m - want) < 1e-6);
    assert_true(fabs(d.truth_per_step - (0 + 4 * 2 + 5 * 1) / 10.0) < 1e-9);
    assert_true(fabs(d.left_out_per_step - (2 + 9 * 1) / 10.0) < 1e-9);
    assert_int_equal(lo_eval_gospa_detectable(e, 2.0, 0, &d), -1);
    lo_eval_free(e);
}

static void test_detectable_needs_plots(void **state)
{
    (void)state;
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    lo_eval *e = lo_eval_new(&opt);
    lo_truth tr = {.t = 0, .truth_id = 1, .cls = LO_CLASS_BIRD};
    assert_int_equal(lo_eval_add_truth(e, &tr), 0);
    assert_int_equal(lo_eval_run(e), 0);
    lo_eval_detectable d;
    assert_int_equal(lo_eval_gospa_detectable(e, 2.0, 1, &d), -1);
    lo_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detectable_by_hand),
        cmocka_unit_test(test_detectable_min_plots),
        cmocka_unit_test(test_detectable_needs_plots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
