/* The filters one by one: NEES consistency of CV on a linear case, the coordinated-turn
 * prediction against the exact circle, the ballistic model predicting a ballistic arc (and
 * estimating the drag), the radial-velocity update, and IMM mixing keeping covariances
 * positive definite. */
#include <math.h>
#include <string.h>

#include "../bench/synth.h"
#include "lookout/linalg.h"
#include "testutil.h"
#include "track/track_internal.h"

static void config(lo_tracker_config *cfg)
{
    lo_tracker_config_default(cfg);
}

/* Linear CV truth with exactly the filter's process noise and Cartesian measurement noise:
 * the normalised estimation error squared, averaged over Monte Carlo runs, must lie inside
 * the two-sided 95% chi-square interval (6 dof) at most steps, and its grand mean near 6. */
static void test_cv_nees_consistent(void **state)
{
    (void)state;
    enum { RUNS = 50, STEPS = 100 };
    lo_tracker_config cfg;
    config(&cfg);
    cfg.q_cv = 2.0;
    const double dt = 1.0, sigma = 20.0;
    /* Discrete process noise of CV over dt and its Cholesky factor, to draw truth noise. */
    lo_kf zero;
    memset(&zero, 0, sizeof zero);
    lo_model_predict(LO_MODEL_CV, &cfg, &zero, dt);
    double Lq[36];
    assert_int_equal(lo_chol(zero.P, Lq, 6), 0);
    double nees_step[STEPS] = {0};
    synth_rng rng = {12345};
    for (int run = 0; run < RUNS; run++) {
        double x[6] = {1000, 2000, 300, 30, -10, 0};
        lo_kf kf;
        double pv[6], P0[36] = {0};
        for (int i = 0; i < 6; i++) {
            double sd = i < 3 ? sigma : 10.0;
            pv[i] = x[i] + sd * synth_normal(&rng);
            P0[i * 6 + i] = sd * sd;
        }
        lo_model_init(LO_MODEL_CV, &kf, pv, P0);
        const double R[9] = {sigma * sigma, 0, 0, 0, sigma * sigma, 0, 0, 0, sigma * sigma};
        for (int k = 0; k < STEPS; k++) {
            /* truth */
            double w[6], e[6];
            for (int i = 0; i < 6; i++) w[i] = synth_normal(&rng);
            lo_mat_vec(Lq, w, e, 6, 6);
            for (int i = 0; i < 3; i++) x[i] += dt * x[i + 3];
            for (int i = 0; i < 6; i++) x[i] += e[i];
            double z[3];
            for (int i = 0; i < 3; i++) z[i] = x[i] + sigma * synth_normal(&rng);
            lo_model_predict(LO_MODEL_CV, &cfg, &kf, dt);
            double ll;
            assert_true(isfinite(lo_kf_update_pos(&kf, 6, z, R, &ll)));
            double err[6], L[36];
            for (int i = 0; i < 6; i++) err[i] = x[i] - kf.x[i];
            assert_int_equal(lo_chol(kf.P, L, 6), 0);
            nees_step[k] += lo_chol_mahalanobis(L, err, 6) / RUNS;
        }
    }
    /* 95% interval of the mean of 50 chi-square(6) draws: chi2(300) bounds / 50. */
    const double lo = 252.9 / RUNS, hi = 350.9 / RUNS;
    int inside = 0;
    double grand = 0;
    for (int k = 0; k < STEPS; k++) {
        inside += nees_step[k] >= lo && nees_step[k] <= hi;
        grand += nees_step[k] / STEPS;
    }
    printf("CV NEES: grand mean %.2f (6 expected), %d/%d steps inside [%.2f, %.2f]\n", grand,
           inside, STEPS, lo, hi);
    assert_true(inside >= 88);
    assert_near(grand, 6.0, 0.4);
}

/* Coordinated turn: 90 degrees at a known rate lands on the exact circle. */
static void test_ct_prediction_follows_circle(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    config(&cfg);
    lo_kf kf;
    double pv[6] = {0, 0, 100, 50, 0, 0}, P[36] = {0};
    for (int i = 0; i < 6; i++) P[i * 6 + i] = 1;
    lo_model_init(LO_MODEL_CT, &kf, pv, P);
    double w = LO_PI / 2 / 10.0; /* 90 degrees in 10 s, counter-clockwise */
    kf.x[6] = w;
    for (int i = 0; i < 10; i++) lo_model_predict(LO_MODEL_CT, &cfg, &kf, 1.0);
    double radius = 50 / w;
    /* Starting east-bound at the origin, turning left: centre (0, radius). */
    assert_near(kf.x[0], radius, 1e-6);
    assert_near(kf.x[1], radius, 1e-6);
    assert_near(kf.x[3], 0, 1e-9);
    assert_near(kf.x[4], 50, 1e-9);
    double L[49];
    assert_int_equal(lo_chol(kf.P, L, 7), 0);
    /* Zero turn rate is a straight line (the w -> 0 limit). */
    lo_model_init(LO_MODEL_CT, &kf, pv, P);
    lo_model_predict(LO_MODEL_CT, &cfg, &kf, 4.0);
    assert_near(kf.x[0], 200, 1e-9);
    assert_near(kf.x[1], 0, 1e-9);
}

/* A rocket-like arc with drag, measured every second for 12 s: the ballistic model then
 * predicts 8 s ahead far better than CV, and its drag estimate approaches the truth. */
static void test_ballistic_predicts_arc(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    config(&cfg);
    synth_target tg;
    memset(&tg, 0, sizeof tg);
    tg.motion = SYNTH_BALLISTIC;
    tg.pos[0] = 8000, tg.pos[1] = 2000, tg.pos[2] = 500;
    tg.vel[0] = -350, tg.vel[1] = 0, tg.vel[2] = 250;
    tg.drag_k = 8e-5;
    synth_rng rng = {99};
    const double sigma = 15.0;
    const double R[9] = {sigma * sigma, 0, 0, 0, sigma * sigma, 0, 0, 0, sigma * sigma};
    lo_kf bal, cv;
    double pv[6], P[36] = {0};
    for (int i = 0; i < 3; i++) {
        pv[i] = tg.pos[i] + sigma * synth_normal(&rng);
        pv[i + 3] = tg.vel[i] + 20 * synth_normal(&rng);
        P[i * 6 + i] = sigma * sigma;
        P[(i + 3) * 6 + i + 3] = 400;
    }
    lo_model_init(LO_MODEL_BALLISTIC, &bal, pv, P);
    lo_model_init(LO_MODEL_CV, &cv, pv, P);
    double t = 0;
    for (int k = 0; k < 12; k++) {
        synth_step(&tg, t, 1.0);
        t += 1.0;
        double z[3];
        for (int i = 0; i < 3; i++) z[i] = tg.pos[i] + sigma * synth_normal(&rng);
        lo_model_predict(LO_MODEL_BALLISTIC, &cfg, &bal, 1.0);
        lo_model_predict(LO_MODEL_CV, &cfg, &cv, 1.0);
        lo_kf_update_pos(&bal, 7, z, R, NULL);
        lo_kf_update_pos(&cv, 6, z, R, NULL);
    }
    synth_step(&tg, t, 8.0);
    lo_model_predict(LO_MODEL_BALLISTIC, &cfg, &bal, 8.0);
    lo_model_predict(LO_MODEL_CV, &cfg, &cv, 8.0);
    double eb = 0, ec = 0;
    for (int i = 0; i < 3; i++) {
        eb += (bal.x[i] - tg.pos[i]) * (bal.x[i] - tg.pos[i]);
        ec += (cv.x[i] - tg.pos[i]) * (cv.x[i] - tg.pos[i]);
    }
    eb = sqrt(eb), ec = sqrt(ec);
    printf("8 s prediction error: ballistic %.1f m, CV %.1f m; drag %.2e (true %.2e)\n", eb, ec,
           bal.x[6], tg.drag_k);
    assert_true(eb < 100.0);
    assert_true(eb < 0.2 * ec);
    assert_true(bal.x[6] > 0.3 * tg.drag_k && bal.x[6] < 3.0 * tg.drag_k);
}

/* Radial velocity sharpens the velocity along the line of sight; a wild value is refused. */
static void test_radial_velocity_update(void **state)
{
    (void)state;
    lo_kf kf;
    double pv[6] = {0, 5000, 200, 0, 0, 0}, P[36] = {0};
    for (int i = 0; i < 3; i++) P[i * 6 + i] = 100, P[(i + 3) * 6 + i + 3] = 400;
    lo_model_init(LO_MODEL_CV, &kf, pv, P);
    const double sensor[3] = {0, 0, 0};
    /* The target recedes north at 15 m/s: radial velocity ~ +15. */
    assert_true(lo_kf_update_radial(&kf, 6, sensor, 15.0, 0.5));
    assert_near(kf.x[4], 15.0 * 5000 / sqrt(5000.0 * 5000 + 200 * 200), 0.5);
    assert_true(kf.P[4 * 6 + 4] < 1.0);
    assert_near(kf.P[3 * 6 + 3], 400, 1e-6); /* cross-range velocity: no information */
    assert_false(lo_kf_update_radial(&kf, 6, sensor, 300.0, 0.5));
}

/* PDA update: the one-plot closed form and the general mixture both equal the moment-matched
 * mixture of "no plot" and "plot j" computed here from plain Kalman updates. */
static void mixture(const lo_kf *prior, int n, int m, const double (*z)[3], const double (*R)[9],
                    double beta0, const double *beta, lo_kf *out)
{
    lo_kf parts[4];
    double w[5] = {beta0}, mean[9] = {0};
    for (int j = 0; j < m; j++) {
        parts[j] = *prior;
        lo_kf_update_pos(&parts[j], n, z[j], R[j], NULL);
        w[j + 1] = beta[j];
    }
    for (int k = 0; k <= m; k++)
        for (int i = 0; i < n; i++) mean[i] += w[k] * (k ? parts[k - 1].x[i] : prior->x[i]);
    *out = *prior;
    for (int a = 0; a < n; a++) {
        out->x[a] = mean[a];
        for (int b = 0; b < n; b++) {
            double v = 0;
            for (int k = 0; k <= m; k++) {
                const lo_kf *q = k ? &parts[k - 1] : prior;
                v += w[k] * (q->P[a * n + b] + (q->x[a] - mean[a]) * (q->x[b] - mean[b]));
            }
            out->P[a * n + b] = v;
        }
    }
}

static void test_pda_update_is_the_mixture(void **state)
{
    (void)state;
    lo_kf prior;
    double pv[6] = {100, 200, 50, 10, -5, 1}, P[36] = {0};
    for (int i = 0; i < 6; i++) P[i * 6 + i] = i < 3 ? 400 : 25;
    P[0 * 6 + 3] = P[3 * 6 + 0] = 60;
    lo_model_init(LO_MODEL_CA, &prior, pv, P);
    const double z[2][3] = {{130, 190, 55}, {80, 230, 40}};
    const double R[2][9] = {{100, 10, 0, 10, 150, 0, 0, 0, 300}, {200, 0, 0, 0, 200, 0, 0, 0, 200}};
    for (int m = 1; m <= 2; m++) {
        const double beta[2] = {0.6, 0.25};
        double beta0 = m == 1 ? 0.4 : 0.15;
        lo_kf got = prior, want;
        lo_kf_update_pda(&got, 9, m, z, R, beta0, beta);
        mixture(&prior, 9, m, z, R, beta0, beta, &want);
        for (int i = 0; i < 9; i++) assert_near(got.x[i], want.x[i], 1e-9);
        for (int i = 0; i < 81; i++) assert_near(got.P[i], want.P[i], 1e-7);
    }
    /* Certain association: the plain Kalman update. */
    lo_kf a = prior, b = prior;
    const double one[1] = {1.0};
    lo_kf_update_pda(&a, 9, 1, z, R, 0.0, one);
    lo_kf_update_pos(&b, 9, z[0], R[0], NULL);
    for (int i = 0; i < 81; i++) assert_near(a.P[i], b.P[i], 1e-9);
}

/* IMM mixing of models of different sizes keeps every covariance positive definite and the
 * probabilities summing to one. */
static void test_imm_mixing_keeps_spd(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.n_models = 4;
    cfg.models[0] = LO_MODEL_CV, cfg.models[1] = LO_MODEL_CT, cfg.models[2] = LO_MODEL_CA;
    cfg.models[3] = LO_MODEL_BALLISTIC;
    lo_kf kf[4];
    double pv[6] = {100, 200, 300, 40, -20, 5}, P[36] = {0};
    for (int i = 0; i < 6; i++) P[i * 6 + i] = i < 3 ? 100 : 25;
    for (int m = 0; m < 4; m++) lo_model_init(cfg.models[m], &kf[m], pv, P);
    kf[1].x[3] += 10; /* models disagree */
    kf[2].x[0] -= 30;
    double mu[4] = {0.7, 0.1, 0.1, 0.1};
    synth_rng rng = {5};
    for (int step = 0; step < 30; step++) {
        lo_imm_predict(&cfg, kf, mu, 1.0);
        double s = 0;
        for (int m = 0; m < 4; m++) {
            int n = lo_model_dim(cfg.models[m]);
            double L[81];
            assert_int_equal(lo_chol(kf[m].P, L, n), 0);
            s += mu[m];
        }
        assert_near(s, 1.0, 1e-12);
        double z[3] = {kf[0].x[0] + 10 * synth_normal(&rng), kf[0].x[1], kf[0].x[2]};
        const double R[9] = {100, 0, 0, 0, 100, 0, 0, 0, 100};
        double ll[4];
        for (int m = 0; m < 4; m++) lo_kf_update_pos(&kf[m], lo_model_dim(cfg.models[m]), z, R, &ll[m]);
        lo_imm_update_probs(4, mu, ll);
    }
    double pvc[6], cov[36], L[36];
    lo_imm_combine(&cfg, kf, mu, pvc, cov);
    assert_int_equal(lo_chol(cov, L, 6), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_nees_consistent),
        cmocka_unit_test(test_ct_prediction_follows_circle),
        cmocka_unit_test(test_ballistic_predicts_arc),
        cmocka_unit_test(test_radial_velocity_update),
        cmocka_unit_test(test_pda_update_is_the_mixture),
        cmocka_unit_test(test_imm_mixing_keeps_spd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
