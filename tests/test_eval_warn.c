/* Warning figures (eval.h, src/eval/warn.c) on a small hand-made case, every figure worked out
 * by hand below.
 *
 * One zone "home": a circle of 100 m around the origin, band 0-1000 m. 100 s of truth at 1 s:
 *   1 multirotor  x = 1005 - 10 t, y 0, up 50: crosses the edge x = 100 at t = 90.5;
 *                 first plot at t = 5 -> ideal warning 90.5 - 5 = 85.5 s
 *   2 bird        still at (2000, 0, 50): never a threat
 *   3 rocket      t = 10..40 from (2050, 0, 300) to its impact (50, 0, 0): inside home;
 *                 first plot t = 12 -> ideal 40 - 12 = 28 s
 * Tracks (each report carries its object's plot_truth_id, one plot per second):
 *   10 on the drone, t 6..100, confirmed at 8; class bird until t < 15, multirotor after:
 *      age 5 (t 13) bird, age 10 (t 18) multirotor, age 30 (t 38) multirotor
 *   20 on the bird, t 0..100, confirmed at 2, bird throughout
 *   30 on the rocket, t 12..40, confirmed at 14, rocket: ages 5 and 10; never 30 s old
 *   40 a false track (plot_truth_id 0), t 48..60, confirmed at 50, multirotor: ages 5, 10
 * Confusion (rows truth):  5 s: multirotor->bird, bird->bird, rocket->rocket, clutter->multirotor
 *                             (2 of 4 right, group 2 of 4)
 *                         10 s: multirotor->multirotor, bird, rocket, clutter->multirotor (3 of 4)
 *                         30 s: multirotor->multirotor, bird->bird (2 of 2)
 * Time to the right group: multirotor 7 s (t 15 - 8), bird 0, rocket 0, clutter never.
 * Alerts: 1 track 10 warning at 20, alarm at 30, cleared at 95: warning time 90.5 - 30 = 60.5 s
 *           (share 60.5 / 85.5 = 0.7076)
 *         2 track 30 alarm at 20, impact predicted at (80, 0): 20 s before impact, error 30 m
 *           (share 20 / 28 = 0.7143)
 *         3 track 20 (the bird) warning at 10, alarm at 12: false alarm
 *         4 track 40 info at 52 only: not an alarm, not counted
 *         5 track 40 alarm at 55: false alarm (no object)
 * False alarms: 2 over 100 s of truth = 72 per hour. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/eval.h"

static lo_zone home_zone(void)
{
    lo_zone z;
    memset(&z, 0, sizeof z);
    strcpy(z.name, "home");
    z.shape = LO_ZONE_CIRCLE;
    z.priority = 1;
    z.radius_m = 100;
    z.alt_min_m = 0;
    z.alt_max_m = 1000;
    return z;
}

static void add_truth(lo_eval *e, uint32_t id, lo_class cls, double t, double x, double up)
{
    lo_truth s = {.t = t, .truth_id = id, .cls = cls, .pos = {x, 0, up}};
    assert_int_equal(lo_eval_add_truth(e, &s), 0);
}

static void add_track(lo_eval *e, lo_warn_eval *w, uint32_t id, double t, double t_conf,
                      double x, uint32_t truth_id, lo_class cls)
{
    lo_track k;
    memset(&k, 0, sizeof k);
    k.id = id;
    k.t = t;
    k.t_first = t_conf - 2;
    k.t_confirmed = t >= t_conf ? t_conf : 0;
    k.status = t >= t_conf ? LO_TRACK_CONFIRMED : LO_TRACK_TENTATIVE;
    k.pos[0] = x;
    k.pos[2] = 50;
    k.last_plot_t = t;
    k.t_last_update = t;
    k.n_updates = (uint32_t)(t - k.t_first) + 1;
    k.last_truth_id = truth_id;
    /* argmax is cls, with some doubt spread over the rest */
    for (int c = 1; c < LO_CLASS_COUNT; c++) k.class_prob[c] = 0.02;
    k.class_prob[cls] = 0.8;
    assert_int_equal(lo_eval_add_track(e, &k), 0);
    assert_int_equal(lo_warn_eval_add_track(w, &k), 0);
}

static void add_alert(lo_warn_eval *w, uint64_t id, uint32_t track, double t, lo_alert_level level,
                      lo_alert_transition tr, const double *impact)
{
    lo_alert a;
    memset(&a, 0, sizeof a);
    a.alert_id = id;
    a.track_id = track;
    a.zone_index = 0;
    a.t = t;
    a.level = level;
    a.transition = tr;
    if (impact) {
        a.has_impact = true;
        a.impact_enu[0] = impact[0];
        a.impact_enu[1] = impact[1];
    }
    assert_int_equal(lo_warn_eval_add_alert(w, &a), 0);
}

static void build(lo_eval *e, lo_warn_eval *w)
{
    for (int t = 0; t <= 100; t++) {
        add_truth(e, 1, LO_CLASS_MULTIROTOR, t, 1005 - 10.0 * t, 50);
        add_truth(e, 2, LO_CLASS_BIRD, t, 2000, 50);
        if (t >= 10 && t <= 40) add_truth(e, 3, LO_CLASS_ROCKET, t, 2050 - 2000.0 * (t - 10) / 30, 300.0 * (40 - t) / 30);
    }
    lo_plot p = {.t = 5, .truth_id = 1};
    assert_int_equal(lo_eval_add_plot(e, &p), 0);
    p = (lo_plot){.t = 0, .truth_id = 2};
    assert_int_equal(lo_eval_add_plot(e, &p), 0);
    p = (lo_plot){.t = 12, .truth_id = 3};
    assert_int_equal(lo_eval_add_plot(e, &p), 0);

    for (int t = 6; t <= 100; t++)
        add_track(e, w, 10, t, 8, 1005 - 10.0 * t, 1, t < 15 ? LO_CLASS_BIRD : LO_CLASS_MULTIROTOR);
    for (int t = 0; t <= 100; t++) add_track(e, w, 20, t, 2, 2000, 2, LO_CLASS_BIRD);
    for (int t = 12; t <= 40; t++)
        add_track(e, w, 30, t, 14, 2050 - 2000.0 * (t - 10) / 30, 3, LO_CLASS_ROCKET);
    for (int t = 48; t <= 60; t++) add_track(e, w, 40, t, 50, -3000, 0, LO_CLASS_MULTIROTOR);

    const double impact[2] = {80, 0};
    /* Out of time order on purpose: the evaluation sorts them. */
    add_alert(w, 5, 40, 55, LO_ALERT_ALARM, LO_ALERT_RAISED, NULL);
    add_alert(w, 1, 10, 20, LO_ALERT_WARNING, LO_ALERT_RAISED, NULL);
    add_alert(w, 2, 30, 20, LO_ALERT_ALARM, LO_ALERT_RAISED, impact);
    add_alert(w, 1, 10, 30, LO_ALERT_ALARM, LO_ALERT_UPDATED, NULL);
    add_alert(w, 3, 20, 10, LO_ALERT_WARNING, LO_ALERT_RAISED, NULL);
    add_alert(w, 3, 20, 12, LO_ALERT_ALARM, LO_ALERT_UPDATED, NULL);
    add_alert(w, 4, 40, 52, LO_ALERT_INFO, LO_ALERT_RAISED, NULL);
    add_alert(w, 1, 10, 95, LO_ALERT_ALARM, LO_ALERT_CLEARED, NULL);
}

static void test_warn_by_hand(void **state)
{
    (void)state;
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    lo_eval *e = lo_eval_new(&opt);
    lo_warn_eval *w = lo_warn_eval_new();
    assert_non_null(e);
    assert_non_null(w);
    build(e, w);
    lo_zone zone = home_zone();
    assert_int_equal(lo_eval_run(e), 0);
    assert_int_equal(lo_warn_eval_run(w, e, &zone, 1), 0);
    const lo_warn_summary *s = lo_warn_eval_get_summary(w);

    /* Confusion matrices. */
    assert_int_equal(s->n_at_age[0], 4);
    assert_int_equal(s->confusion[0][LO_CLASS_MULTIROTOR][LO_CLASS_BIRD], 1);
    assert_int_equal(s->confusion[0][LO_CLASS_BIRD][LO_CLASS_BIRD], 1);
    assert_int_equal(s->confusion[0][LO_CLASS_ROCKET][LO_CLASS_ROCKET], 1);
    assert_int_equal(s->confusion[0][LO_CLASS_CLUTTER][LO_CLASS_MULTIROTOR], 1);
    assert_near(s->class_correct[0], 0.5, 1e-12);
    assert_near(s->group_correct[0], 0.5, 1e-12);
    assert_int_equal(s->n_at_age[1], 4);
    assert_int_equal(s->confusion[1][LO_CLASS_MULTIROTOR][LO_CLASS_MULTIROTOR], 1);
    assert_int_equal(s->confusion[1][LO_CLASS_CLUTTER][LO_CLASS_MULTIROTOR], 1);
    assert_near(s->class_correct[1], 0.75, 1e-12);
    assert_int_equal(s->n_at_age[2], 2);
    assert_int_equal(s->confusion[2][LO_CLASS_MULTIROTOR][LO_CLASS_MULTIROTOR], 1);
    assert_int_equal(s->confusion[2][LO_CLASS_BIRD][LO_CLASS_BIRD], 1);
    assert_near(s->class_correct[2], 1.0, 1e-12);

    /* Time to the right group after confirmation: the drone's track turned multirotor at
     * t 15, 7 s after confirmation; bird and rocket right at once; the false track never. */
    assert_int_equal(s->delay[LO_CLASS_MULTIROTOR].n_tracks, 1);
    assert_int_equal(s->delay[LO_CLASS_MULTIROTOR].n_classified, 1);
    assert_near(s->delay[LO_CLASS_MULTIROTOR].median_s, 7, 1e-6);
    assert_near(s->delay[LO_CLASS_ROCKET].max_s, 0, 1e-6);
    assert_near(s->delay[LO_CLASS_BIRD].median_s, 0, 1e-6);
    assert_int_equal(s->delay[LO_CLASS_CLUTTER].n_tracks, 1);
    assert_int_equal(s->delay[LO_CLASS_CLUTTER].n_classified, 0);
    assert_true(isnan(s->delay[LO_CLASS_CLUTTER].median_s));
    int nd;
    const double *ages = lo_warn_eval_get_class_delays(w, LO_CLASS_MULTIROTOR, &nd);
    assert_int_equal(nd, 1);
    assert_near(ages[0], 7, 1e-6);
    assert_null(lo_warn_eval_get_class_delays(w, LO_CLASS_CLUTTER, &nd));
    assert_int_equal(nd, 0);

    /* Threats: the drone's entry and the rocket's impact; the bird is none. */
    int n;
    const lo_warn_threat *th = lo_warn_eval_get_threats(w, &n);
    assert_int_equal(n, 2);
    assert_int_equal(s->n_threats, 2);
    assert_int_equal(s->n_threats_alarmed, 2);
    const lo_warn_threat *drone = th[0].truth_id == 1 ? &th[0] : &th[1];
    const lo_warn_threat *rocket = th[0].truth_id == 3 ? &th[0] : &th[1];
    assert_int_equal(drone->truth_id, 1);
    assert_false(drone->by_impact);
    assert_near(drone->t_threat, 90.5, 1e-4);
    assert_near(drone->t_detect, 5, 1e-12);
    assert_near(drone->t_first_alert, 20, 1e-12);
    assert_near(drone->t_first_alarm, 30, 1e-12);
    assert_int_equal(drone->alarm_track_id, 10);
    assert_near(drone->warning_s, 60.5, 1e-4);
    assert_near(drone->ideal_s, 85.5, 1e-4);
    assert_true(isnan(drone->impact_error_m));
    assert_int_equal(rocket->truth_id, 3);
    assert_true(rocket->by_impact);
    assert_near(rocket->t_threat, 40, 1e-12);
    assert_near(rocket->warning_s, 20, 1e-12);
    assert_near(rocket->ideal_s, 28, 1e-12);
    assert_near(rocket->impact_error_m, 30, 1e-9);
    assert_near(s->warning_share_min, 60.5 / 85.5, 1e-5);
    assert_near(s->warning_share_mean, (60.5 / 85.5 + 20.0 / 28) / 2, 1e-5);

    /* False alarms: the bird's and the false track's; the info alert is none. */
    assert_int_equal(s->n_alerts, 5);
    assert_int_equal(s->false_alarms, 2);
    assert_int_equal(s->off_zone_alarms, 0);
    int nf;
    const lo_warn_false_alarm *fa = lo_warn_eval_get_false_alarms(w, &nf);
    assert_int_equal(nf, 2);
    assert_int_equal(fa[0].alert_id, 3); /* in time order: 12 s, then 55 s */
    assert_int_equal(fa[0].truth_id, 2);
    assert_int_equal(fa[0].truth_cls, LO_CLASS_BIRD);
    assert_near(fa[0].t, 12, 1e-12);
    assert_int_equal(fa[1].alert_id, 5);
    assert_int_equal(fa[1].truth_id, 0);
    assert_int_equal(fa[1].truth_cls, LO_CLASS_CLUTTER);
    assert_near(s->duration_h, 100.0 / 3600, 1e-12);
    assert_near(s->false_alarms_per_hour, 72, 1e-9);

    /* The reports carry the same figures. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(lo_warn_eval_write_json(w, &zone, 1, f), 0);
    fclose(f);
    json_t *root = json_loads(buf, 0, NULL);
    assert_non_null(root);
    json_t *sum = json_object_get(root, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "false_alarms")), 2);
    json_t *age10 = json_array_get(json_object_get(root, "confusion"), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(age10, "matrix"), "clutter"), "multirotor")),
                     1);
    json_decref(root);
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(lo_warn_eval_print_table(w, &zone, 1, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "false alarms           2 (72.0 per hour)"));
    assert_non_null(strstr(buf, "at track age 10 s: 4 tracks, class right 75.0%"));
    free(buf);

    lo_warn_eval_free(w);
    lo_eval_free(e);
}

/* No alarm at all: the threats stay, with no warning time; nothing is a false alarm. */
static void test_warn_without_alerts(void **state)
{
    (void)state;
    lo_eval_options opt;
    lo_eval_options_default(&opt);
    lo_eval *e = lo_eval_new(&opt);
    lo_warn_eval *w = lo_warn_eval_new();
    lo_warn_eval *all = lo_warn_eval_new();
    build(e, all); /* the inputs, with alerts into a scratch evaluation */
    lo_zone zone = home_zone();
    assert_int_equal(lo_eval_run(e), 0);
    assert_int_equal(lo_warn_eval_run(w, e, &zone, 1), 0);
    const lo_warn_summary *s = lo_warn_eval_get_summary(w);
    assert_int_equal(s->n_threats, 2);
    assert_int_equal(s->n_threats_alarmed, 0);
    assert_int_equal(s->false_alarms, 0);
    assert_true(isnan(s->warning_share_mean));
    int n;
    const lo_warn_threat *th = lo_warn_eval_get_threats(w, &n);
    for (int i = 0; i < n; i++) assert_true(isnan(th[i].warning_s) && isfinite(th[i].ideal_s));
    assert_int_equal(s->n_at_age[0], 0); /* no track reports were given to w */
    lo_warn_eval_free(all);
    lo_warn_eval_free(w);
    lo_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warn_by_hand),
        cmocka_unit_test(test_warn_without_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
