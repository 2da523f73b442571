/* The ballistic fit (batch least squares over a track's plots) on synthetic noisy
 * trajectories: a rocket like green-zone's (7 km south-east, 25 s flight, quadratic drag) seen
 * by a 3D Doppler radar at the origin with green-zone's accuracies (range 8 m, azimuth 0.4 deg,
 * elevation 0.6 deg, radial velocity 0.5 m/s). Checks the fitted state and drag against the
 * truth and the fit's own covariance, the impact point, robustness to a bad plot, refusal of a
 * path that is not ballistic, the engine finding a track's plots (including the ones from
 * before its first report), and the alarm rule's trade between accuracy and time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/geo.h"
#include "lookout/threat.h"
#include "testutil.h"

#define SIG_R 8.0
#define SIG_AZ (0.4 * LO_DEG2RAD)
#define SIG_EL (0.6 * LO_DEG2RAD)
#define SIG_RV 0.5
#define K_TRUE 2.5e-5

/* ---- a small deterministic random source -------------------------------------------------- */

static uint64_t rng_state;
static double uniform01(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(uniform01())) * cos(2 * LO_PI * uniform01());
}

/* ---- truth: an independent RK4 of gravity + constant-density drag -------------------------- */

static void truth_deriv(const double s[6], double d[6])
{
    double sp = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
    for (int i = 0; i < 3; i++) d[i] = s[3 + i], d[3 + i] = -K_TRUE * sp * s[3 + i];
    d[5] -= LO_G0;
}
static void truth_step(double s[6], double h)
{
    double k1[6], k2[6], k3[6], k4[6], tmp[6];
    truth_deriv(s, k1);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k1[i];
    truth_deriv(tmp, k2);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k2[i];
    truth_deriv(tmp, k3);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + h * k3[i];
    truth_deriv(tmp, k4);
    for (int i = 0; i < 6; i++) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}
/* State at time t after launch (t >= 0), 1 ms steps. */
static void truth_at(double t, double s[6])
{
    double s0[6] = {4950, -4950, 0, -215, 215, 125};
    memcpy(s, s0, sizeof s0);
    int n = (int)ceil(t / 0.001);
    for (int i = 0; i < n; i++) truth_step(s, t / n);
}
/* Impact (up = 0) point and time after launch. */
static double truth_impact(double xy[2])
{
    double s[6];
    truth_at(0, s);
    double t = 0;
    for (;;) {
        double prev[6];
        memcpy(prev, s, sizeof s);
        truth_step(s, 0.001);
        t += 0.001;
        if (prev[2] > 0 && s[2] <= 0) {
            double f = prev[2] / (prev[2] - s[2]);
            xy[0] = prev[0] + f * (s[0] - prev[0]);
            xy[1] = prev[1] + f * (s[1] - prev[1]);
            return t - 0.001 + f * 0.001;
        }
    }
}

/* One radar plot of the truth at time t: polar noise, converted, with its covariance. */
static lo_ballistic_meas plot_at(double t)
{
    double s[6];
    truth_at(t, s);
    double r = sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
    double az = atan2(s[0], s[1]), el = asin(s[2] / r);
    double rv = (s[0] * s[3] + s[1] * s[4] + s[2] * s[5]) / r;
    double mr = r + SIG_R * gauss(), maz = az + SIG_AZ * gauss(), mel = el + SIG_EL * gauss();
    lo_ballistic_meas m;
    memset(&m, 0, sizeof m);
    m.t = 1e9 + t;
    m.sensor_id = 257;
    m.enu[0] = mr * cos(mel) * sin(maz);
    m.enu[1] = mr * cos(mel) * cos(maz);
    m.enu[2] = mr * sin(mel);
    /* J diag(sr^2, saz^2, sel^2) J^T at the measurement. */
    double J[3][3] = {{cos(mel) * sin(maz), mr * cos(mel) * cos(maz), -mr * sin(mel) * sin(maz)},
                      {cos(mel) * cos(maz), -mr * cos(mel) * sin(maz), -mr * sin(mel) * cos(maz)},
                      {sin(mel), 0, mr * cos(mel)}};
    double v[3] = {SIG_R * SIG_R, SIG_AZ * SIG_AZ, SIG_EL * SIG_EL};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double c = 0;
            for (int k = 0; k < 3; k++) c += J[a][k] * v[k] * J[b][k];
            m.enu_cov[a * 3 + b] = c;
        }
    m.has_radial_velocity = true;
    m.radial_velocity_mps = rv + SIG_RV * gauss();
    m.radial_velocity_sigma_mps = SIG_RV;
    m.snr_db = 30;
    return m;
}

static lo_ballistic_model model(void)
{
    /* Constant density, like the truth; the prior on k is the engine's default. */
    return (lo_ballistic_model){0, 0, 5e-5, 5e-5};
}

/* Plots at t0, t0 + 1, ... (n of them). */
static void make_plots(lo_ballistic_meas *m, int n, double t0)
{
    for (int i = 0; i < n; i++) m[i] = plot_at(t0 + i);
}

/* Squared Mahalanobis distance of the fit's position/velocity (and k) from the truth. */
static double nees(const lo_ballistic_fit *f, int dim)
{
    double s[6];
    truth_at(f->t_ref - 1e9, s);
    double err[7], cov[49], inv[49];
    for (int i = 0; i < 6; i++) err[i] = f->state[i] - s[i];
    err[6] = f->state[6] - K_TRUE;
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < dim; b++) cov[a * dim + b] = f->cov[a * 7 + b];
    /* Plain Gauss-Jordan (dim <= 7). */
    double aug[7][14];
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < 2 * dim; b++) aug[a][b] = b < dim ? cov[a * dim + b] : (b - dim == a);
    for (int c = 0; c < dim; c++) {
        int p = c;
        for (int r = c + 1; r < dim; r++)
            if (fabs(aug[r][c]) > fabs(aug[p][c])) p = r;
        for (int b = 0; b < 2 * dim; b++) {
            double tmp = aug[c][b];
            aug[c][b] = aug[p][b];
            aug[p][b] = tmp;
        }
        double piv = aug[c][c];
        for (int b = 0; b < 2 * dim; b++) aug[c][b] /= piv;
        for (int r = 0; r < dim; r++) {
            if (r == c) continue;
            double f2 = aug[r][c];
            for (int b = 0; b < 2 * dim; b++) aug[r][b] -= f2 * aug[c][b];
        }
    }
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < dim; b++) inv[a * dim + b] = aug[a][dim + b];
    double q = 0;
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < dim; b++) q += err[a] * inv[a * dim + b] * err[b];
    return q;
}

static double major_sigma(const double c[4])
{
    double tr = c[0] + c[3], det = c[0] * c[3] - c[1] * c[2];
    return sqrt(tr / 2 + sqrt(fmax(0, tr * tr / 4 - det)));
}

/* ---- the fit itself ------------------------------------------------------------------------ */

static void test_fit_recovers_path_and_drag(void **state)
{
    (void)state;
    rng_state = 12345;
    lo_ballistic_model m = model();
    double impact[2];
    double t_impact = truth_impact(impact);
    assert_true(t_impact > 23 && t_impact < 27); /* the scenario is what it says */

    /* Twenty plots (1.5 s to 20.5 s after launch) from no guess at all. */
    lo_ballistic_meas plots[20];
    make_plots(plots, 20, 1.5);
    lo_ballistic_fit fit;
    assert_int_equal(lo_ballistic_fit_solve(&m, plots, 20, NULL, &fit), 0);
    assert_true(fit.valid);
    assert_int_equal(fit.n_meas, 20);
    assert_near(fit.t_ref, 1e9 + 20.5, 1e-9);
    assert_true(fit.chi2 / fit.dof < 2);
    double s[6];
    truth_at(20.5, s);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(fit.state[i] - s[i]) < 3.5 * sqrt(fit.cov[i * 8]) + 1);
        assert_true(fabs(fit.state[3 + i] - s[3 + i]) < 3.5 * sqrt(fit.cov[(3 + i) * 8]) + 0.1);
    }
    /* Drag estimated: within 3.5 sigma of the truth, and that sigma small against k. */
    double sk = sqrt(fit.cov[48]);
    assert_true(sk < 0.25 * K_TRUE);
    assert_true(fabs(fit.state[6] - K_TRUE) < 3.5 * sk);

    /* Impact 4-5 s ahead: within tens of metres, and inside its own ellipse. */
    lo_ballistic pred;
    assert_true(lo_ballistic_fit_predict(&m, &fit, fit.t_ref, &pred));
    assert_true(pred.fitted);
    assert_int_equal(pred.n_plots, 20);
    double err = hypot(pred.impact_enu[0] - impact[0], pred.impact_enu[1] - impact[1]);
    assert_true(err < 60);
    assert_true(err < 3.5 * major_sigma(pred.impact_cov) + 5);
    assert_near(pred.time_to_impact_s, t_impact - 20.5, 0.3);
    /* The launch point (for reports only) comes back near the true one (4950, -4950). */
    assert_true(hypot(pred.launch_enu[0] - 4950, pred.launch_enu[1] + 4950) < 150);
    assert_near(pred.time_since_launch_s, 20.5, 0.6);
}

/* Over many noise draws the fit's covariance describes its errors: mean NEES of the 7-state
 * near 7, and the impact error inside the ellipse as often as a Gaussian would have it. */
static void test_fit_is_consistent(void **state)
{
    (void)state;
    rng_state = 777;
    lo_ballistic_model m = model();
    double impact[2];
    truth_impact(impact);
    const int runs = 60;
    double sum = 0;
    int inside2 = 0;
    for (int r = 0; r < runs; r++) {
        lo_ballistic_meas plots[9];
        make_plots(plots, 9, 1.5); /* nine plots: the first seconds of a flight */
        lo_ballistic_fit fit;
        assert_int_equal(lo_ballistic_fit_solve(&m, plots, 9, NULL, &fit), 0);
        sum += nees(&fit, 7);
        lo_ballistic pred;
        assert_true(lo_ballistic_fit_predict(&m, &fit, fit.t_ref, &pred));
        double d[2] = {impact[0] - pred.impact_enu[0], impact[1] - pred.impact_enu[1]};
        const double *c = pred.impact_cov;
        double det = c[0] * c[3] - c[1] * c[2];
        double q = (c[3] * d[0] * d[0] - 2 * c[1] * d[0] * d[1] + c[0] * d[1] * d[1]) / det;
        if (q <= 6.18) inside2++; /* 2-D, 95.4% */
    }
    double mean = sum / runs;
    print_message("mean NEES %.2f (7 expected), impact inside the 2-sigma ellipse %d of %d\n",
                  mean, inside2, runs);
    assert_true(mean > 4.5 && mean < 10.5);
    assert_true(inside2 >= (int)(0.85 * runs));
}

/* A plot of someone else (400 m off, its Doppler 15 m/s off) does not drag the fit away. */
static void test_fit_drops_a_bad_plot(void **state)
{
    (void)state;
    rng_state = 99;
    lo_ballistic_model m = model();
    double impact[2];
    truth_impact(impact);
    lo_ballistic_meas plots[14];
    make_plots(plots, 14, 1.5);
    lo_ballistic_fit clean;
    assert_int_equal(lo_ballistic_fit_solve(&m, plots, 14, NULL, &clean), 0);
    plots[9].enu[2] += 400;
    plots[9].radial_velocity_mps += 15;
    lo_ballistic_fit fit;
    assert_int_equal(lo_ballistic_fit_solve(&m, plots, 14, NULL, &fit), 0);
    assert_int_equal(fit.n_meas, 13);
    assert_true(fit.chi2 / fit.dof < 2);
    for (int i = 0; i < 7; i++) assert_near(fit.state[i], clean.state[i], 4 * sqrt(clean.cov[i * 8]));
    /* ... and the distance that judged it. */
    assert_true(lo_ballistic_meas_distance(&m, fit.state, fit.t_ref, &plots[9], 0) > 100);
    assert_true(lo_ballistic_meas_distance(&m, fit.state, fit.t_ref, &plots[8], 0) < 20);
}

/* An aircraft in level flight is not ballistic: no drag can hold it up against gravity. */
static void test_fit_refuses_level_flight(void **state)
{
    (void)state;
    rng_state = 5;
    lo_ballistic_model m = model();
    lo_ballistic_meas plots[20];
    for (int i = 0; i < 20; i++) {
        memset(&plots[i], 0, sizeof plots[i]);
        plots[i].t = 1e9 + i;
        plots[i].enu[0] = -5000 + 200.0 * i + 20 * gauss();
        plots[i].enu[1] = 3000 + 20 * gauss();
        plots[i].enu[2] = 1500 + 20 * gauss();
        for (int a = 0; a < 3; a++) plots[i].enu_cov[a * 4] = 400;
    }
    lo_ballistic_fit fit;
    /* The engine takes a path only below a reduced chi-square of 4. */
    if (lo_ballistic_fit_solve(&m, plots, 20, NULL, &fit) == 0) {
        print_message("level flight: chi2/dof %.1f\n", fit.chi2 / fit.dof);
        assert_true(fit.chi2 / fit.dof > 4);
    }
    /* Too few plots: refused. */
    assert_int_equal(lo_ballistic_fit_solve(&m, plots, 2, NULL, &fit), -1);
}

/* ---- the engine: plots in, a wrong tracker state, the impact from the plots ------------------ */

typedef struct alert_log {
    lo_alert a[256];
    int n;
} alert_log;

static int log_alert(void *ctx, const lo_alert *a)
{
    alert_log *l = ctx;
    if (l->n < 256) l->a[l->n++] = *a;
    return 0;
}

static lo_plot to_plot(const lo_ballistic_meas *m)
{
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = m->t;
    p.sensor_id = m->sensor_id;
    p.flags = LO_PLOT_RADIAL_VEL | LO_PLOT_SNR;
    memcpy(p.enu, m->enu, sizeof p.enu);
    memcpy(p.enu_cov, m->enu_cov, sizeof p.enu_cov);
    p.radial_velocity_mps = m->radial_velocity_mps;
    p.sigma_radial_velocity_mps = m->radial_velocity_sigma_mps;
    p.snr_db = m->snr_db;
    return p;
}

/* The report a tracker would make after the plot at time `t`: its state off by `dv` m/s in
 * climb rate (the early IMM state this fit replaces), called rocket. */
static lo_track report(double t, const lo_ballistic_meas *plot, int n_updates, double dv)
{
    lo_track k;
    memset(&k, 0, sizeof k);
    double s[6];
    truth_at(t, s);
    k.id = 42;
    k.status = LO_TRACK_CONFIRMED;
    k.t = 1e9 + t;
    k.t_first = 1e9 + 1.5;
    k.t_confirmed = 1e9 + 6.5;
    k.t_last_update = k.last_plot_t = plot->t;
    k.last_sensor_id = plot->sensor_id;
    k.last_snr_db = plot->snr_db;
    k.n_updates = (uint32_t)n_updates;
    memcpy(k.pos, s, sizeof k.pos);
    memcpy(k.vel, s + 3, sizeof k.vel);
    k.vel[2] += dv;
    for (int a = 0; a < 3; a++) k.pos_cov[a * 4] = 50 * 50, k.vel_cov[a * 4] = 20 * 20;
    k.class_prob[LO_CLASS_ROCKET] = 0.9;
    return k;
}

static lo_zone compound(void)
{
    lo_zone z;
    memset(&z, 0, sizeof z);
    strcpy(z.name, "compound");
    z.shape = LO_ZONE_CIRCLE;
    z.priority = 1;
    z.radius_m = 400;
    z.alt_min_m = 0;
    z.alt_max_m = 1500;
    return z;
}

/* Runs the flight through an engine; returns the first alarm (NULL when none). */
static const lo_alert *fly(lo_threat_engine *e, alert_log *log, bool feed_plots, double dv)
{
    rng_state = 2024;
    const lo_alert *alarm = NULL;
    for (int i = 0; i < 22; i++) {
        double t = 1.5 + i;
        lo_ballistic_meas m = plot_at(t);
        lo_plot p = to_plot(&m);
        if (feed_plots) lo_threat_add_plot(e, &p);
        if (t < 6.5) continue; /* tentative until the sixth plot: not reported */
        lo_track k = report(t, &m, i + 1, dv);
        assert_int_equal(lo_threat_update(e, 1e9 + t + 0.2, &k, 1, log_alert, log), 0);
        for (int j = 0; j < log->n && !alarm; j++)
            if (log->a[j].level == LO_ALERT_ALARM) alarm = &log->a[j];
    }
    return alarm;
}

static void test_engine_fits_the_plots(void **state)
{
    (void)state;
    double impact[2];
    double t_impact = truth_impact(impact);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    cfg.scale_height_m = 0; /* the truth's constant density */
    lo_zone z = compound();
    lo_sensor radar;
    memset(&radar, 0, sizeof radar);
    radar.id = 257;

    /* With the plots: a warning from the first report (the fit found the five plots from
     * before it), the alarm once the impact time is down to impact_alarm_deadline_s (18 s),
     * the impact point from the plots, not from the 20 m/s climb-rate error. */
    lo_threat_engine *e = lo_threat_engine_new(&cfg, &z, 1);
    assert_int_equal(lo_threat_engine_set_sensors(e, &radar, 1), 0);
    alert_log *log = calloc(1, sizeof *log);
    const lo_alert *alarm = fly(e, log, true, 20);
    assert_true(log->n > 0);
    assert_int_equal(log->a[0].transition, LO_ALERT_RAISED);
    assert_int_equal(log->a[0].level, LO_ALERT_WARNING);
    assert_true(log->a[0].has_impact && log->a[0].has_launch);
    assert_non_null(alarm);
    double warning = (1e9 + t_impact) - alarm->t;
    double err = hypot(alarm->impact_enu[0] - impact[0], alarm->impact_enu[1] - impact[1]);
    print_message("with plots: alarm %.1f s before impact, impact error %.0f m (+-%.0f m)\n",
                  warning, err, major_sigma(alarm->impact_cov));
    assert_true(warning >= 15 && warning <= 19);
    assert_true(err < 3 * major_sigma(alarm->impact_cov));
    /* Later alerts converge: the last one before impact within 60 m. */
    const lo_alert *last = &log->a[log->n - 1];
    assert_true(hypot(last->impact_enu[0] - impact[0], last->impact_enu[1] - impact[1]) < 60);
    lo_threat_engine_free(e);

    /* Without plots the same reports give the tracker's error, far larger. */
    lo_threat_engine *e2 = lo_threat_engine_new(&cfg, &z, 1);
    alert_log *log2 = calloc(1, sizeof *log2);
    const lo_alert *alarm2 = fly(e2, log2, false, 20);
    assert_non_null(alarm2);
    double err2 = hypot(alarm2->impact_enu[0] - impact[0], alarm2->impact_enu[1] - impact[1]);
    print_message("tracker state only: impact error %.0f m at the first alarm\n", err2);
    assert_true(err2 > 2 * err && err2 > 400);
    free(log);
    free(log2);
    lo_threat_engine_free(e2);
}

/* The tracker loses the rocket and starts a new track: the new track's first report finds the
 * plots of the old one (back along the fitted path, beyond its own first plot), so its fit
 * rests on them at once: an alarm at its first report, 13.7 s before impact, which with its own
 * two plots it could not have (no fit, and not yet the last 12 s). */
static void test_engine_stitches_a_restarted_track(void **state)
{
    (void)state;
    double impact[2];
    double t_impact = truth_impact(impact);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    cfg.scale_height_m = 0;
    lo_zone z = compound();
    lo_sensor radar;
    memset(&radar, 0, sizeof radar);
    radar.id = 257;
    for (int stitch = 1; stitch >= 0; stitch--) {
        lo_threat_engine *e = lo_threat_engine_new(&cfg, &z, 1);
        assert_int_equal(lo_threat_engine_set_sensors(e, &radar, 1), 0);
        alert_log *log = calloc(1, sizeof *log);
        rng_state = 31;
        for (int i = 0; i < 11; i++) {
            double t = 1.5 + i;
            lo_ballistic_meas m = plot_at(t);
            lo_plot p = to_plot(&m);
            /* Without the old plots in the ring the new track has only its own. */
            if (stitch || t >= 10.5) lo_threat_add_plot(e, &p);
            lo_track k = report(t, &m, i + 1, 20);
            if (t >= 11.5) { /* the new track, first plot at 10.5, confirmed at 11.5 */
                k.id = 43;
                k.t_first = 1e9 + 10.5;
                k.n_updates = (uint32_t)(i - 8);
            } else if (t > 7.5 || t < 6.5) {
                continue; /* the old track: reported at 6.5 and 7.5, then lost; 8.5-10.5 unseen */
            }
            assert_int_equal(lo_threat_update(e, 1e9 + t + 0.2, &k, 1, log_alert, log), 0);
        }
        const lo_alert *first43 = NULL;
        for (int j = 0; j < log->n && !first43; j++)
            if (log->a[j].track_id == 43) first43 = &log->a[j];
        assert_non_null(first43);
        assert_near(first43->t, 1e9 + 11.7, 1e-6);
        print_message("%s: track 43's first alert %s, %.1f s before impact, error %.0f m\n",
                      stitch ? "with the old plots" : "without", lo_alert_level_name(first43->level),
                      1e9 + t_impact - first43->t,
                      hypot(first43->impact_enu[0] - impact[0], first43->impact_enu[1] - impact[1]));
        assert_int_equal(first43->level, stitch ? LO_ALERT_ALARM : LO_ALERT_WARNING);
        free(log);
        lo_threat_engine_free(e);
    }
}

/* ---- the alarm rule ------------------------------------------------------------------------ */

static void test_alarm_waits_for_accuracy_or_time(void **state)
{
    (void)state;
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    lo_zone z = compound();
    lo_zone_threat zt;
    memset(&zt, 0, sizeof zt);
    zt.impact_in_zone = true;
    zt.edge_distance_m = 5000;
    /* Fitted on 9 plots, +-300 m, 22 s to go: warning only. */
    zt.impact_plots = 9;
    zt.impact_sigma_m = 300;
    zt.time_to_impact_s = 22;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_WARNING);
    /* ... the ellipse down to 80 m: alarm at once. */
    zt.impact_sigma_m = 80;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_ALARM);
    /* ... or time down to the deadline with enough plots: alarm with what there is. */
    zt.impact_sigma_m = 300;
    zt.time_to_impact_s = 17.9;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_ALARM);
    /* Too few plots in the fit (or none: the tracker's state): wait until the last 12 s. */
    zt.impact_plots = 4;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_WARNING);
    zt.impact_plots = 0;
    zt.impact_sigma_m = 20; /* the tracker's ellipse is not taken for the fit's */
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_WARNING);
    zt.time_to_impact_s = 11.5;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_ALARM);
    /* No plots fed at all: the tracker's ellipse is all there is and counts. */
    zt.impact_plots = -1;
    zt.impact_sigma_m = 80;
    zt.time_to_impact_s = 30;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false),
                     LO_ALERT_ALARM);
    /* Once raised, the alarm holds (relaxed) however the ellipse breathes. */
    zt.impact_plots = 9;
    zt.impact_sigma_m = 500;
    zt.time_to_impact_s = 25;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, true),
                     LO_ALERT_ALARM);
    /* Not in the zone: nothing. */
    zt.impact_in_zone = false;
    assert_int_equal(lo_threat_rule_level(&cfg, LO_GROUP_ROCKET, 0.9, 0, &z, &zt, false), -1);
}

/* The fit's and the alarm rule's settings in the site YAML, and their errors. */
static void test_yaml_keys(void **state)
{
    (void)state;
    static const char *good =
        "alerts:\n"
        "  ballistic_fit: false\n"
        "  ballistic_fit_min_plots: 8\n"
        "  scale_height_m: 0\n"
        "  drag_prior_k_per_m: 3.0e-5\n"
        "  drag_prior_sigma_per_m: 1.0e-5\n"
        "  impact_alarm_max_sigma_m: 150\n"
        "  impact_alarm_deadline_s: 20\n"
        "  impact_alarm_min_plots: 9\n"
        "  impact_alarm_last_s: 10\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_ydoc *d = lo_ydoc_load_string(good, strlen(good), "site.yaml", &diags.sink);
    assert_non_null(d);
    lo_threat_config cfg;
    lo_threat_config_default(&cfg);
    assert_true(cfg.ballistic_fit);
    assert_int_equal(lo_threat_config_from_yaml(d, &cfg, &diags.sink), 0);
    assert_false(cfg.ballistic_fit);
    assert_int_equal(cfg.ballistic_fit_min_plots, 8);
    assert_near(cfg.scale_height_m, 0, 0);
    assert_near(cfg.drag_prior_k_per_m, 3e-5, 1e-12);
    assert_near(cfg.drag_prior_sigma_per_m, 1e-5, 1e-12);
    assert_near(cfg.impact_alarm_max_sigma_m, 150, 0);
    assert_near(cfg.impact_alarm_deadline_s, 20, 0);
    assert_int_equal(cfg.impact_alarm_min_plots, 9);
    assert_near(cfg.impact_alarm_last_s, 10, 0);
    lo_ydoc_free(d);

    static const char *bad = "alerts:\n"
                             "  ballistic_fit_min_plots: 2\n"
                             "  impact_alarm_deadline_s: -1\n";
    lo_test_diags_init(&diags, false);
    d = lo_ydoc_load_string(bad, strlen(bad), "bad.yaml", &diags.sink);
    assert_non_null(d);
    lo_threat_config_default(&cfg);
    assert_int_equal(lo_threat_config_from_yaml(d, &cfg, &diags.sink), -1);
    assert_non_null(strstr(diags.all, "bad.yaml:2:"));
    assert_non_null(strstr(diags.all, "alerts.ballistic_fit_min_plots"));
    assert_non_null(strstr(diags.all, "alerts.impact_alarm_deadline_s"));
    lo_ydoc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_recovers_path_and_drag),
        cmocka_unit_test(test_fit_is_consistent),
        cmocka_unit_test(test_fit_drops_a_bad_plot),
        cmocka_unit_test(test_fit_refuses_level_flight),
        cmocka_unit_test(test_engine_fits_the_plots),
        cmocka_unit_test(test_engine_stitches_a_restarted_track),
        cmocka_unit_test(test_alarm_waits_for_accuracy_or_time),
        cmocka_unit_test(test_yaml_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
