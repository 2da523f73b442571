/* IMM at tracker level: the model probabilities switch on a manoeuvre and back, and the
 * IMM tracker beats a single constant-velocity filter with GNN by at least 20% in mean GOSPA
 * on manoeuvring targets (synthetic scene; the shipped scenarios come with the simulator). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "track_harness.h"

typedef struct probs_log {
    int n;
    double t[400], mu[400][LO_MAX_MODELS];
} probs_log;

static void log_probs(void *ctx, const lo_track *tr)
{
    probs_log *l = ctx;
    if (tr->status != LO_TRACK_CONFIRMED || l->n >= 400) return;
    l->t[l->n] = tr->t;
    memcpy(l->mu[l->n], tr->model_prob, sizeof l->mu[0]);
    l->n++;
}

static double mean_prob(const probs_log *l, double t0, double t1, int m)
{
    double s = 0;
    int n = 0;
    for (int i = 0; i < l->n; i++)
        if (l->t[i] >= t0 && l->t[i] < t1) s += l->mu[i][m], n++;
    return n ? s / n : -1;
}

static void test_model_probabilities_switch(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg); /* CV, CT, CA */
    synth_radar rd = {1, 5, 0.1 * LO_DEG2RAD, 0.2 * LO_DEG2RAD, 1.0, 1.0, false, 0, 5000, 500, 0};
    synth_target tg;
    memset(&tg, 0, sizeof tg);
    tg.id = 1;
    tg.motion = SYNTH_TURN;
    tg.pos[0] = -1500, tg.pos[1] = 3000, tg.pos[2] = 300;
    tg.vel[0] = 40;
    tg.turn_rate = 8 * LO_DEG2RAD;
    tg.t_turn0 = 40, tg.t_turn1 = 70;
    tg.t_end = 1e9;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    probs_log *l = calloc(1, sizeof *l);
    lo_tracker_set_report(t, log_probs, l);
    synth_rng rng = {7};
    lo_plot plots[8];
    for (int s = 0; s < 110; s++) {
        int np = synth_scan(&rng, &rd, &tg, 1, s, plots, 8);
        for (int j = 0; j < np; j++) lo_tracker_add_plot(t, &plots[j]);
        lo_tracker_advance(t, s + 1 + cfg.reorder_window_s);
    }
    lo_tracker_free(t);
    double cv_before = mean_prob(l, 15, 40, 0);
    double turn_during = mean_prob(l, 45, 70, 1) + mean_prob(l, 45, 70, 2);
    double cv_after = mean_prob(l, 85, 110, 0);
    printf("P(CV) before the turn %.2f, P(CT)+P(CA) in the turn %.2f, P(CV) after %.2f\n",
           cv_before, turn_during, cv_after);
    assert_true(cv_before > 0.5);
    assert_true(turn_during > 0.6);
    assert_true(cv_after > 0.5);
    free(l);
}

/* Eight targets that turn hard (4 to 12 deg/s) for long stretches, in light clutter. */
static int manoeuvring_scene(synth_target *tg)
{
    memset(tg, 0, sizeof *tg * 8);
    for (int i = 0; i < 8; i++) {
        tg[i].id = (uint32_t)(i + 1);
        tg[i].motion = SYNTH_TURN;
        double a = i * LO_PI / 4;
        tg[i].pos[0] = 4000 * cos(a), tg[i].pos[1] = 4000 * sin(a) + 500, tg[i].pos[2] = 200 + 50 * i;
        double sp = 20 + 5 * i;
        tg[i].vel[0] = -sp * sin(a), tg[i].vel[1] = sp * cos(a);
        tg[i].turn_rate = (i % 2 ? -1 : 1) * (4 + i) * LO_DEG2RAD;
        tg[i].t_turn0 = 1000 + 20 + 3 * i;
        tg[i].t_turn1 = tg[i].t_turn0 + 40;
        tg[i].t_end = 1e9;
    }
    return 8;
}

static void test_imm_beats_cv_gnn(void **state)
{
    (void)state;
    synth_radar rd = {1, 10, 0.3 * LO_DEG2RAD, 0.5 * LO_DEG2RAD, 0.9, 1.0, false, 20, 6000, 1000, 0};
    synth_target tg[8];
    int n = manoeuvring_scene(tg);
    lo_tracker_config imm, cv;
    lo_tracker_config_default(&imm);
    lo_tracker_config_default(&cv);
    cv.association = LO_ASSOC_GNN;
    cv.n_models = 1;
    cv.models[0] = LO_MODEL_CV;
    static h_result ri, rc;
    double gi = 0, gc = 0;
    for (int seed = 1; seed <= 3; seed++) {
        h_run(&imm, &rd, tg, n, 90, 10, (uint64_t)seed, &ri);
        h_run(&cv, &rd, tg, n, 90, 10, (uint64_t)seed, &rc);
        printf("seed %d: IMM+JPDA GOSPA %.1f (missed %.2f false %.2f)  CV+GNN %.1f (missed %.2f false %.2f)\n",
               seed, ri.mean_gospa, ri.mean_missed, ri.mean_false, rc.mean_gospa, rc.mean_missed,
               rc.mean_false);
        gi += ri.mean_gospa / 3;
        gc += rc.mean_gospa / 3;
    }
    printf("mean GOSPA: IMM %.1f, CV %.1f: %.0f%% better\n", gi, gc, 100 * (1 - gi / gc));
    assert_true(gi <= 0.8 * gc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_probabilities_switch),
        cmocka_unit_test(test_imm_beats_cv_gnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
