/* Tracker behaviour: crossing targets under GNN and JPDA (no identity swap, purity), track
 * confirmation and deletion, stable ids, out-of-order and late plots, several radars, 2D
 * plots, duplicate merging, false tracks in clutter, and the YAML settings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/yamldoc.h"
#include "testutil.h"
#include "track_harness.h"

/* ---- crossing ------------------------------------------------------------------------ */

/* Two targets crossing at `angle_deg` at the same height 60 s into the run (30 m/s each), and a
 * second pair crossing at 90 degrees, plus light clutter. */
static int crossing_scene(synth_target *tg, double angle_deg)
{
    memset(tg, 0, sizeof *tg * 4);
    const double ang[4] = {angle_deg / 2, -angle_deg / 2, 225, 135}; /* headings from east */
    const double cx[2] = {-1000, 2500}, cy[2] = {4000, 5000};
    for (int i = 0; i < 4; i++) {
        tg[i].id = (uint32_t)(i + 1);
        double a = ang[i] * LO_DEG2RAD, sp = 30;
        tg[i].vel[0] = sp * cos(a), tg[i].vel[1] = sp * sin(a);
        int k = i / 2;
        tg[i].pos[0] = cx[k] - 60 * tg[i].vel[0];
        tg[i].pos[1] = cy[k] - 60 * tg[i].vel[1];
        tg[i].pos[2] = 300;
        tg[i].t_end = 1e9;
    }
    return 4;
}

/* No identity swap at any angle: each track follows the same target after the crossing as
 * over its whole life, and one track per target. Purity at least `min_purity`: at a narrow
 * angle the two plots are indistinguishable for a scan or two at the crossing itself. */
static void check_crossing(lo_association assoc, double angle_deg, double min_purity, double sigma_rv)
{
    synth_radar rd = {1, 10, 0.3 * LO_DEG2RAD, 0.5 * LO_DEG2RAD, 0.95, 1.0, false, 10, 6000, 1000, sigma_rv};
    synth_target tg[4];
    int n = crossing_scene(tg, angle_deg);
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.association = assoc;
    static h_result r;
    for (int seed = 1; seed <= 5; seed++) {
        r.split_t = 1000 + 70;
        h_run(&cfg, &rd, tg, n, 150, 10, (uint64_t)seed, &r);
        printf("%s %2.0f deg %s seed %d: %d confirmed ids, %d identity swaps, min purity %.3f, "
               "GOSPA %.1f, missed %.2f, false %.2f\n",
               assoc == LO_ASSOC_GNN ? "GNN " : "JPDA", angle_deg, sigma_rv > 0 ? "Doppler" : "no Doppler", seed, r.confirmed_ids,
               r.identity_swaps, r.min_purity, r.mean_gospa, r.mean_missed, r.mean_false);
        assert_int_equal(r.identity_swaps, 0);
        assert_true(r.min_purity >= min_purity);
        assert_int_equal(r.confirmed_ids, 4);
    }
}

static void test_crossing_gnn(void **state)
{
    (void)state;
    check_crossing(LO_ASSOC_GNN, 40, 0.99, 0.5);
    check_crossing(LO_ASSOC_GNN, 60, 0.97, 0);
    check_crossing(LO_ASSOC_GNN, 40, 0.97, 0);
}

static void test_crossing_jpda(void **state)
{
    (void)state;
    check_crossing(LO_ASSOC_JPDA, 40, 0.99, 0.5);
    check_crossing(LO_ASSOC_JPDA, 60, 0.97, 0);
    check_crossing(LO_ASSOC_JPDA, 40, 0.97, 0);
}

/* ---- targets in trail (two-point initiation with Doppler) ------------------------------ */

/* Two rockets on one path 300 m apart, inbound at 300 m/s: the second is where the first was
 * a scan earlier, so the slowest two-point pair joins the first's plot to the second's next
 * one, a "target" standing still. The plots' Doppler (-300 m/s) refuses that pair, and both
 * targets are confirmed by their own plots within 5 scans (green-zone.yaml's rockets were
 * never tracked in 2 of 5 seeds before the check). */
static void test_trail_initiation_uses_doppler(void **state)
{
    (void)state;
    synth_radar rd = {1, 8, 0.4 * LO_DEG2RAD, 0.6 * LO_DEG2RAD, 1.0, 1.0, false, 0, 6000, 1000, 0.5};
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    for (int seed = 1; seed <= 5; seed++) {
        synth_target tg[2];
        memset(tg, 0, sizeof tg);
        double az = 135 * LO_DEG2RAD;
        for (int i = 0; i < 2; i++) {
            double r0 = 7000 + 300 * i;
            tg[i].id = (uint32_t)(i + 1);
            tg[i].pos[0] = r0 * sin(az), tg[i].pos[1] = r0 * cos(az), tg[i].pos[2] = 500;
            tg[i].vel[0] = -300 * sin(az), tg[i].vel[1] = -300 * cos(az);
            tg[i].t_end = 1e9;
        }
        static h_result r;
        r.split_t = 1e9;
        h_run(&cfg, &rd, tg, 2, 5, 0, (uint64_t)seed, &r);
        int mixed = 0;
        for (uint32_t id = 1; id <= r.max_id && id < H_MAX_TRACK_IDS; id++) {
            int kinds = 0;
            for (int k = 0; k < H_MAX_TRUTH; k++) kinds += r.updates[id][k] > 0;
            mixed += kinds > 1;
        }
        printf("trail seed %d: %d confirmed ids, %d mixing both targets\n", seed, r.confirmed_ids, mixed);
        assert_int_equal(r.confirmed_ids, 2);
        assert_int_equal(mixed, 0);
    }
}

/* ---- confirmation, deletion, ids ------------------------------------------------------ */

typedef struct report_log {
    int n;
    lo_track r[2048];
} report_log;

static void log_report(void *ctx, const lo_track *tr)
{
    report_log *l = ctx;
    if (l->n < 2048) l->r[l->n++] = *tr;
}

static lo_plot cart_plot(double t, double x, double y, double z, double sigma, uint16_t sensor,
                         uint32_t truth)
{
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.sensor_id = sensor;
    p.flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    p.enu[0] = x, p.enu[1] = y, p.enu[2] = z;
    p.enu_cov[0] = p.enu_cov[4] = p.enu_cov[8] = sigma * sigma;
    p.truth_id = truth;
    return p;
}

static void test_confirm_then_delete(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.association = LO_ASSOC_GNN;
    cfg.reorder_window_s = 0;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    report_log *l = calloc(1, sizeof *l);
    lo_tracker_set_report(t, log_report, l);
    /* A target at 20 m/s seen every second for 10 s, then gone. */
    int confirmed_at = -1;
    for (int k = 0; k < 10; k++) {
        lo_plot p = cart_plot(k, 1000 + 20 * k, 2000, 300, 10, 1, 7);
        if (k % 2) { /* every other plot carries a Doppler spread (rotor blades) */
            p.flags |= LO_PLOT_DOPPLER_SPREAD;
            p.doppler_spread_mps = 20.0 + k;
        }
        assert_int_equal(lo_tracker_add_plot(t, &p), 0);
        lo_tracker_advance(t, k);
        if (confirmed_at < 0 && l->n > 0) confirmed_at = k;
    }
    /* Seed at 0, pair at 1 (tentative), confirmed by SPRT once the score passes
     * log((1 - beta) / alpha) = 9.1: two more plots. */
    printf("confirmed at scan %d\n", confirmed_at);
    assert_true(confirmed_at >= 2 && confirmed_at <= 4);
    assert_int_equal(l->r[0].status, LO_TRACK_CONFIRMED);
    uint32_t id = l->r[0].id;
    for (int i = 0; i < l->n; i++) {
        assert_int_equal(l->r[i].id, id);           /* one stable id */
        assert_int_equal(l->r[i].last_truth_id, 7); /* copied for evaluation */
        /* The report carries its last plot's Doppler spread, and only when that plot had one. */
        int k = (int)lround(l->r[i].last_plot_t);
        if (k % 2) {
            assert_true(l->r[i].last_flags & LO_PLOT_DOPPLER_SPREAD);
            assert_near(l->r[i].last_doppler_spread_mps, 20.0 + k, 1e-5);
        } else {
            assert_false(l->r[i].last_flags & LO_PLOT_DOPPLER_SPREAD);
            assert_true(isnan(l->r[i].last_doppler_spread_mps));
        }
    }
    assert_near(l->r[l->n - 1].vel[0], 20, 2);
    /* Silence: it coasts, then is deleted once, at most max_coast_s after its last plot. */
    int before = l->n;
    for (int k = 10; k < 30; k++) lo_tracker_advance(t, k);
    int coasting = 0, deleted = 0;
    double t_deleted = 0;
    for (int i = before; i < l->n; i++) {
        coasting += l->r[i].status == LO_TRACK_COASTING;
        if (l->r[i].status == LO_TRACK_DELETED) deleted++, t_deleted = l->r[i].t;
    }
    assert_int_equal(coasting, 1);
    assert_int_equal(deleted, 1);
    assert_true(t_deleted > 9 && t_deleted <= 9 + cfg.max_coast_s + 0.2);
    assert_int_equal(lo_tracker_track_count(t), 0);
    /* A new target later gets a new id: ids are never reused. */
    for (int k = 40; k < 46; k++) {
        lo_plot p = cart_plot(k, 1000 + 20 * (k - 40), 2000, 300, 10, 1, 8);
        lo_tracker_add_plot(t, &p);
        lo_tracker_advance(t, k);
    }
    assert_true(l->r[l->n - 1].id > id);
    lo_tracker_finish(t);
    assert_int_equal(l->r[l->n - 1].status, LO_TRACK_DELETED);
    lo_tracker_free(t);
    free(l);
}

/* Plots that never line up (a fresh random spot every scan) never make a confirmed track. */
static void test_clutter_does_not_confirm(void **state)
{
    (void)state;
    synth_radar rd = {1, 10, 0.3 * LO_DEG2RAD, 0.5 * LO_DEG2RAD, 0.9, 1.0, false, 150, 6000, 1000, 0};
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    static h_result r;
    h_run(&cfg, &rd, NULL, 0, 300, 0, 3, &r);
    /* 150 false alarms a scan over 144 km^2 (about 1 per km^2 per look: heavy) for 5 minutes;
     * measured 2 (docs/tracker.md), 0 in 10 minutes at 30 a scan. */
    printf("clutter only, 300 scans x 150 false alarms: %d confirmed false tracks\n",
           r.confirmed_ids);
    assert_true(r.confirmed_ids <= 4);
}

/* Latency: how many of 20 noisy runs of one target with detections in the scans of `mask`
 * (bit s = scan s, 5 scans) have a confirmed track by the end of scan 5. */
static int confirmed_runs(const lo_tracker_config *cfg, unsigned mask)
{
    synth_radar rd = {1, 8, 0.4 * LO_DEG2RAD, 0.6 * LO_DEG2RAD, 1, 1, false, 0, 1, 1, 0};
    int ok = 0;
    for (int seed = 1; seed <= 20; seed++) {
        lo_tracker *t = lo_tracker_new(NULL, cfg);
        report_log *l = calloc(1, sizeof *l);
        lo_tracker_set_report(t, log_report, l);
        synth_rng rng = {(uint64_t)(seed * 77 + (int)mask)};
        /* A tracker that has been running: its clutter map started two minutes ago (one
         * far-away plot), so the target meets the map as it is in operation. */
        lo_plot old = cart_plot(880, -20000, -20000, 100, 20, 1, 0);
        lo_tracker_add_plot(t, &old);
        lo_tracker_advance(t, 881);
        for (int s = 0; s < 5; s++) {
            double pos[3] = {3000 + 15 * s, 2000, 200}, vel[3] = {15, 0, 0};
            if (mask >> s & 1) {
                lo_plot p;
                synth_make_plot(&rng, &rd, pos, vel, 1000 + s, 1, &p);
                lo_tracker_add_plot(t, &p);
            }
            lo_tracker_advance(t, 1000 + s + cfg->reorder_window_s + cfg->batch_window_s + 0.01);
        }
        bool confirmed = false;
        for (int i = 0; i < l->n; i++) confirmed |= l->r[i].status == LO_TRACK_CONFIRMED;
        ok += confirmed;
        lo_tracker_free(t);
        free(l);
    }
    return ok;
}

/* SPRT (default): three plots in a row confirm at the third; gaps cost (a miss lowers the
 * score by log(1/(1 - Pd))). The optional M-of-N rule (3 of 5, with the score above 3)
 * confirms every 3-in-5 pattern by the fifth scan, at the price of more false tracks
 * (docs/tracker.md has both figures). */
static void test_confirmation_latency(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    int in_a_row = confirmed_runs(&cfg, 0x07) + confirmed_runs(&cfg, 0x0e) + confirmed_runs(&cfg, 0x1c);
    int all_sprt = 0, all_mn = 0;
    for (unsigned mask = 0; mask < 32; mask++)
        if (__builtin_popcount(mask) == 3) all_sprt += confirmed_runs(&cfg, mask);
    cfg.confirm_m = 3, cfg.confirm_n = 5;
    for (unsigned mask = 0; mask < 32; mask++)
        if (__builtin_popcount(mask) == 3) all_mn += confirmed_runs(&cfg, mask);
    printf("confirmed within 5 scans: SPRT 3 in a row %d/60, SPRT any 3 of 5 %d/200, "
           "M-of-N 3/5 any 3 of 5 %d/200\n", in_a_row, all_sprt, all_mn);
    assert_true(in_a_row >= 42);
    assert_true(all_mn >= 160);
    assert_true(all_mn > all_sprt);
}

/* ---- time order ------------------------------------------------------------------------ */

static void run_order(bool shuffled, report_log *l, lo_tracker_stats *st)
{
    synth_radar rd = {1, 10, 0.3 * LO_DEG2RAD, 0.5 * LO_DEG2RAD, 0.9, 1.0, true, 20, 6000, 1000, 0};
    synth_target tg[4];
    crossing_scene(tg, 60);
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.reorder_window_s = 0.5;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    lo_tracker_set_report(t, log_report, l);
    synth_rng rng = {42}, shuffle = {43};
    lo_plot plots[64];
    for (int s = 0; s < 40; s++) {
        int np = synth_scan(&rng, &rd, tg, 4, s, plots, 64);
        if (shuffled) /* swap neighbours up to 0.4 s apart: late, but within the window */
            for (int j = 0; j + 1 < np; j++)
                if (plots[j + 1].t - plots[j].t < 0.4 && synth_uniform(&shuffle) < 0.5) {
                    lo_plot tmp = plots[j];
                    plots[j] = plots[j + 1];
                    plots[j + 1] = tmp;
                    j++;
                }
        for (int j = 0; j < np; j++) {
            lo_tracker_add_plot(t, &plots[j]);
            lo_tracker_advance(t, plots[j].t); /* a live feed: advance on every plot */
        }
    }
    lo_tracker_flush(t);
    lo_tracker_get_stats(t, st);
    lo_tracker_free(t);
}

static void test_out_of_order_within_window(void **state)
{
    (void)state;
    report_log *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    lo_tracker_stats sa, sb;
    run_order(false, a, &sa);
    run_order(true, b, &sb);
    assert_int_equal(sb.late_plots, 0);
    assert_true(a->n > 50);
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->r[i].id, b->r[i].id);
        assert_near(a->r[i].pos[0], b->r[i].pos[0], 1e-9);
        assert_near(a->r[i].pos[1], b->r[i].pos[1], 1e-9);
    }
    free(a);
    free(b);
}

static void test_late_plot_dropped(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.reorder_window_s = 0.5;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    lo_plot p = cart_plot(100.0, 0, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &p), 0);
    lo_tracker_advance(t, 101.0); /* processed up to 100.5 */
    lo_plot old = cart_plot(100.4, 0, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &old), -1);
    lo_plot ok = cart_plot(100.6, 0, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &ok), 0);
    lo_plot bad = cart_plot(101.0, NAN, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &bad), -1);
    lo_plot nocov = cart_plot(101.0, 0, 1000, 100, 10, 1, 0);
    nocov.flags = LO_PLOT_CARTESIAN;
    assert_int_equal(lo_tracker_add_plot(t, &nocov), -1);
    /* Out of the tracker's bounds, for callers that bypass ingest: a time in microseconds
     * taken for seconds, and a position in the wrong unit or frame. Just inside is kept. */
    lo_plot far_time = cart_plot(1.6e15, 0, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &far_time), -1);
    lo_plot far_pos = cart_plot(101.0, 2e7, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &far_pos), -1);
    lo_plot huge_pos = cart_plot(101.0, 0, -1e300, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &huge_pos), -1);
    lo_plot edge_pos = cart_plot(101.0, 0.99e7, 1000, 100, 10, 1, 0);
    assert_int_equal(lo_tracker_add_plot(t, &edge_pos), 0);
    lo_tracker_advance(t, 200.0); /* the far plot must not disturb the grid or the clock */
    lo_tracker_stats st;
    lo_tracker_get_stats(t, &st);
    assert_int_equal(st.late_plots, 1);
    assert_int_equal(st.refused_plots, 5);
    assert_int_equal(st.plots_in, 3);
    assert_int_equal(st.plots_processed, 3);
    lo_tracker_free(t);
}

/* ---- several radars, 2D plots, duplicates ----------------------------------------------- */

/* Two radars (different accuracy, half a scan apart) on three targets: one track each, fed
 * by both sensors, more accurate than with the worse radar alone. */
static void test_two_radars(void **state)
{
    (void)state;
    lo_sensor sensors[2];
    memset(sensors, 0, sizeof sensors);
    sensors[0].id = 1, sensors[0].scan_period_s = 1.0;
    sensors[1].id = 2, sensors[1].scan_period_s = 1.0;
    lo_site site;
    memset(&site, 0, sizeof site);
    site.n_sensors = 2;
    site.sensors = sensors;
    synth_radar r1 = {1, 15, 0.5 * LO_DEG2RAD, 0.8 * LO_DEG2RAD, 0.9, 1.0, false, 5, 6000, 1000, 0};
    synth_radar r2 = {2, 5, 0.2 * LO_DEG2RAD, 0.3 * LO_DEG2RAD, 0.9, 1.0, false, 5, 6000, 1000, 0};
    synth_target tg[4];
    crossing_scene(tg, 60);
    for (int both = 0; both < 2; both++) {
        lo_tracker_config cfg;
        lo_tracker_config_default(&cfg);
        lo_tracker *t = lo_tracker_new(&site, &cfg);
        report_log *l = calloc(1, sizeof *l);
        lo_tracker_set_report(t, log_report, l);
        synth_target a[3], b[3];
        memcpy(a, tg, sizeof a);
        memcpy(b, tg, sizeof b);
        synth_rng rng = {77};
        lo_plot plots[64];
        double err2 = 0;
        int nerr = 0;
        for (int s = 0; s < 60; s++) {
            int np = synth_scan(&rng, &r1, a, 3, s, plots, 64);
            for (int j = 0; j < np; j++) lo_tracker_add_plot(t, &plots[j]);
            if (both) {
                /* Radar 2 looks half a scan later. */
                for (int i = 0; i < 3; i++) synth_step(&b[i], s, 0.5);
                np = synth_scan(&rng, &r2, b, 3, s + 0.5, plots, 64);
                for (int i = 0; i < 3; i++) synth_step(&b[i], s + 1.5, -0.5);
                for (int j = 0; j < np; j++) lo_tracker_add_plot(t, &plots[j]);
            }
            lo_tracker_advance(t, s + 1.0 + cfg.reorder_window_s - 0.01);
            if (s < 20) continue;
            for (size_t k = 0; k < lo_tracker_track_count(t); k++) {
                lo_track tr;
                lo_tracker_track_at(t, k, &tr);
                if (tr.status == LO_TRACK_TENTATIVE) continue;
                /* Compare with the nearest truth at the track's time (targets are at s+1). */
                double best = INFINITY;
                for (int i = 0; i < 3; i++) {
                    double d2 = 0;
                    for (int c = 0; c < 3; c++) {
                        double truth = a[i].pos[c] - a[i].vel[c] * (s + 1 - tr.t);
                        d2 += (tr.pos[c] - truth) * (tr.pos[c] - truth);
                    }
                    if (d2 < best) best = d2;
                }
                err2 += best;
                nerr++;
            }
        }
        int ids[16], n_ids = 0, sensor_seen[3] = {0};
        for (int i = 0; i < l->n; i++) {
            bool known = false;
            for (int k = 0; k < n_ids; k++) known |= ids[k] == (int)l->r[i].id;
            if (!known && n_ids < 16) ids[n_ids++] = (int)l->r[i].id;
            if (l->r[i].last_sensor_id <= 2) sensor_seen[l->r[i].last_sensor_id]++;
        }
        printf("%s: %d track ids, position RMS %.1f m, updates by sensor 1: %d, sensor 2: %d\n",
               both ? "two radars" : "radar 1 alone", n_ids, sqrt(err2 / nerr), sensor_seen[1],
               sensor_seen[2]);
        assert_int_equal(n_ids, 3);
        if (both) {
            assert_true(sensor_seen[1] > 50 && sensor_seen[2] > 50);
            static double rms_alone;
            (void)rms_alone;
        }
        static double rms[2];
        rms[both] = sqrt(err2 / nerr);
        if (both) assert_true(rms[1] < 0.8 * rms[0]);
        lo_tracker_free(t);
        free(l);
    }
}

/* A 2D radar: no elevation, the height a guess with a large variance. Tracks still form and
 * follow the horizontal motion. */
static void test_2d_plots(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    report_log *l = calloc(1, sizeof *l);
    lo_tracker_set_report(t, log_report, l);
    synth_rng rng = {3};
    for (int k = 0; k < 30; k++) {
        lo_plot p = cart_plot(k, 3000 + 25 * k + 15 * synth_normal(&rng), 1000 - 10 * k + 15 * synth_normal(&rng),
                              100, 15, 1, 1);
        p.enu_cov[8] = 500.0 * 500.0; /* height unknown */
        lo_tracker_add_plot(t, &p);
        lo_tracker_advance(t, k);
    }
    lo_tracker_free(t);
    assert_true(l->n > 10);
    const lo_track *last = &l->r[l->n - 1];
    assert_near(last->vel[0], 25, 4);
    assert_near(last->vel[1], -10, 4);
    assert_true(fabs(last->vel[2]) < 20);
    free(l);
}

/* Split returns: each scan the target gives two plots a few metres apart, so two tracks
 * start on it; the merge keeps one (the older id). */
static void test_duplicates_merge(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.association = LO_ASSOC_GNN;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    synth_rng rng = {11};
    for (int k = 0; k < 30; k++) {
        double x = 2000 + 30 * k, y = 1000;
        lo_plot a = cart_plot(k, x + 5 * synth_normal(&rng), y + 5 * synth_normal(&rng), 200, 10, 1, 1);
        lo_plot b = cart_plot(k + 0.001, x + 15 + 5 * synth_normal(&rng), y + 5 * synth_normal(&rng), 200, 10, 1, 1);
        lo_tracker_add_plot(t, &a);
        lo_tracker_add_plot(t, &b);
        lo_tracker_advance(t, k + 1);
    }
    lo_tracker_stats st;
    lo_tracker_get_stats(t, &st);
    int confirmed = 0;
    for (size_t k = 0; k < lo_tracker_track_count(t); k++) {
        lo_track tr;
        lo_tracker_track_at(t, k, &tr);
        if (tr.status != LO_TRACK_TENTATIVE) {
            confirmed++;
            assert_int_equal(tr.id, 1);
        }
    }
    printf("split returns: %llu tracks created, %llu merged, %d confirmed at the end\n",
           (unsigned long long)st.tracks_created, (unsigned long long)st.tracks_merged, confirmed);
    assert_true(st.tracks_merged >= 1);
    assert_int_equal(confirmed, 1);
    lo_tracker_free(t);
}

/* ---- ground clutter: the confirmation threshold scaled by the learned density ----------- */

typedef struct patch_log {
    bool confirmed[4096];
    int n_confirmed;
    double target_confirmed_t; /* first report of a confirmed track on truth id 1 */
} patch_log;

static void patch_report(void *ctx, const lo_track *tr)
{
    patch_log *l = ctx;
    if (tr->status != LO_TRACK_CONFIRMED && tr->status != LO_TRACK_COASTING) return;
    if (tr->last_truth_id == 1 && l->target_confirmed_t == 0) l->target_confirmed_t = tr->t;
    if (tr->last_truth_id == 0 && tr->id < 4096 && !l->confirmed[tr->id]) l->confirmed[tr->id] = true, l->n_confirmed++;
}

/* A ground-clutter patch like green-zone.yaml's (3 plots a scan, zero Doppler, on a disc of
 * 300 m radius 1.2 km out) for 20 minutes, a Doppler radar, and a drone flying through the
 * patch towards the radar after 10 minutes. Returns the false tracks confirmed; *latency_s:
 * the drone's first plot to its confirmed track. */
static int patch_run(bool scaled, uint64_t seed, double *latency_s)
{
    synth_radar rd = {1, 8, 0.4 * LO_DEG2RAD, 0.6 * LO_DEG2RAD, 0.9, 1.0, false, 0, 1, 1, 0.5};
    lo_sensor sensor;
    memset(&sensor, 0, sizeof sensor);
    sensor.id = 1, sensor.scan_period_s = 1.0;
    sensor.sigma_radial_velocity_mps = 0.5, sensor.measures_radial_velocity = true;
    lo_site site;
    memset(&site, 0, sizeof site);
    site.n_sensors = 1, site.sensors = &sensor;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.confirm_clutter_scaled = scaled;
    lo_tracker *t = lo_tracker_new(&site, &cfg);
    patch_log *l = calloc(1, sizeof *l);
    lo_tracker_set_report(t, patch_report, l);
    synth_rng rng = {seed};
    const double cx = -600, cy = 1040;
    double first_plot = 0;
    for (int s = 0; s < 1200; s++) {
        double t0 = 1000.0 + s;
        int n = synth_poisson(&rng, 3.0);
        for (int c = 0; c < n; c++) {
            double r = 300 * sqrt(synth_uniform(&rng)), a = 2 * LO_PI * synth_uniform(&rng);
            double pos[3] = {cx + r * cos(a), cy + r * sin(a), 0.5};
            /* Ground clutter's Doppler spreads about 1.2 m/s around zero (green-zone's patch). */
            double rn = sqrt(pos[0] * pos[0] + pos[1] * pos[1]), v = 1.1 * synth_normal(&rng);
            double vel[3] = {v * pos[0] / rn, v * pos[1] / rn, 0};
            lo_plot p;
            synth_make_plot(&rng, &rd, pos, vel, t0 + 0.1 + 0.001 * c, 0, &p);
            lo_tracker_add_plot(t, &p);
        }
        if (s >= 600 && s < 700 && synth_uniform(&rng) < rd.pd) {
            /* 20 m/s along the line of sight, 60 m up: Doppler -20 m/s. */
            double k = 1.0 - 20.0 * (s - 600) / 2000.0;
            double pos[3] = {2 * cx * k, 2 * cy * k, 60};
            double rn = sqrt(4 * cx * cx + 4 * cy * cy), vel[3] = {-20 * 2 * cx / rn, -20 * 2 * cy / rn, 0};
            lo_plot p;
            synth_make_plot(&rng, &rd, pos, vel, t0 + 0.2, 1, &p);
            if (first_plot == 0) first_plot = p.t;
            lo_tracker_add_plot(t, &p);
        }
        lo_tracker_advance(t, t0 + 1.0 + cfg.reorder_window_s);
    }
    lo_tracker_finish(t);
    lo_tracker_free(t);
    int n = l->n_confirmed;
    *latency_s = l->target_confirmed_t > 0 ? l->target_confirmed_t - first_plot : INFINITY;
    free(l);
    return n;
}

static void test_clutter_patch_confirmation(void **state)
{
    (void)state;
    int plain = 0, scaled = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        double lat_plain, lat_scaled;
        int fp = patch_run(false, seed, &lat_plain), fs = patch_run(true, seed, &lat_scaled);
        printf("clutter patch seed %d, 20 min: false tracks %d plain, %d scaled; drone through it "
               "confirmed after %.1f s / %.1f s\n", (int)seed, fp, fs, lat_plain, lat_scaled);
        plain += fp, scaled += fs;
        /* The drone's Doppler is far from the patch's: not slowed (3 plots, 2 s at Pd 1). */
        assert_true(lat_scaled <= lat_plain + 1e-9);
        assert_true(lat_scaled <= 4.0);
    }
    assert_true(scaled < plain);
}

/* ---- settings ---------------------------------------------------------------------------- */

static void test_config_from_yaml(void **state)
{
    (void)state;
    static const char *yaml = "site:\n  name: x\n"
                              "tracker:\n"
                              "  association: gnn\n"
                              "  models: [ballistic, cv]\n"
                              "  pd: 0.8\n"
                              "  clutter_density_per_km2: 2.5\n"
                              "  confirm_m_of_n: [3, 5]\n"
                              "  init_classes:\n"
                              "    - {name: drone, max_speed_mps: 50}\n"
                              "    - {name: rocket, max_speed_mps: 800, ballistic: true}\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    memset(&site, 0, sizeof site);
    site.doc = lo_ydoc_load_string(yaml, strlen(yaml), "site.yaml", &diags.sink);
    assert_non_null(site.doc);
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    assert_int_equal(lo_tracker_config_from_site(&site, &cfg, &diags.sink), 0);
    assert_int_equal(cfg.association, LO_ASSOC_GNN);
    assert_int_equal(cfg.n_models, 2);
    assert_int_equal(cfg.models[0], LO_MODEL_CV); /* fixed order, whatever the file says */
    assert_int_equal(cfg.models[1], LO_MODEL_BALLISTIC);
    assert_near(cfg.pd, 0.8, 0);
    assert_near(cfg.clutter_density, 2.5e-6, 1e-18);
    assert_int_equal(cfg.confirm_m, 3);
    assert_int_equal(cfg.confirm_n, 5);
    assert_int_equal(cfg.n_init_classes, 2);
    assert_true(cfg.init_classes[1].ballistic);
    assert_near(cfg.init_classes[1].max_speed_mps, 800, 0);
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    assert_non_null(t);
    lo_tracker_free(t);
    lo_ydoc_free(site.doc);

    static const char *bad = "tracker:\n  association: nearest\n  models: [cv, kalman]\n"
                             "  gate_probability_pct: 99\n  confirm_m_of_n: [5, 3]\n";
    lo_test_diags_init(&diags, false);
    site.doc = lo_ydoc_load_string(bad, strlen(bad), "bad.yaml", &diags.sink);
    lo_tracker_config_default(&cfg);
    assert_int_equal(lo_tracker_config_from_site(&site, &cfg, &diags.sink), -1);
    assert_non_null(strstr(diags.all, "tracker.association"));
    assert_non_null(strstr(diags.all, "tracker.models[1]"));
    assert_non_null(strstr(diags.all, "tracker.gate_probability_pct"));
    assert_non_null(strstr(diags.all, "tracker.confirm_m_of_n"));
    assert_non_null(strstr(diags.all, "bad.yaml:2"));
    lo_ydoc_free(site.doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crossing_gnn),
        cmocka_unit_test(test_crossing_jpda),
        cmocka_unit_test(test_trail_initiation_uses_doppler),
        cmocka_unit_test(test_confirm_then_delete),
        cmocka_unit_test(test_clutter_does_not_confirm),
        cmocka_unit_test(test_confirmation_latency),
        cmocka_unit_test(test_out_of_order_within_window),
        cmocka_unit_test(test_late_plot_dropped),
        cmocka_unit_test(test_two_radars),
        cmocka_unit_test(test_2d_plots),
        cmocka_unit_test(test_duplicates_merge),
        cmocka_unit_test(test_clutter_patch_confirmation),
        cmocka_unit_test(test_config_from_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
