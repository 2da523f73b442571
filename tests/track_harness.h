/*
 * track_harness.h: runs the tracker over a synthetic scene (bench/synth.h) and scores it,
 * for the tracker's accuracy tests. Header-only (static functions used by each test).
 *
 * Scores per scan (at the scan's start time, staring radar): GOSPA (c = cutoff, p = 2,
 * alpha = 2) between the truth positions and the confirmed tracks extrapolated to that time;
 * per track: purity from the truth ids of the plots it was updated with (reports).
 */
#ifndef LOOKOUT_TRACK_HARNESS_H
#define LOOKOUT_TRACK_HARNESS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/synth.h"
#include "lookout/assign.h"
#include "lookout/tracker.h"

#define H_MAX_TRACK_IDS 4096
#define H_MAX_TRUTH 64

typedef struct h_result {
    double mean_gospa, mean_loc, mean_missed, mean_false;
    int scans_scored;
    /* Per track id: updates per truth id (truth ids are small). */
    int updates[H_MAX_TRACK_IDS][H_MAX_TRUTH];
    /* The same before split_t - 20 s and from split_t on: a track whose dominant truth
     * differs between the two has swapped identity (set split_t to 10 s after a crossing). */
    double split_t;
    int updates_early[H_MAX_TRACK_IDS][H_MAX_TRUTH];
    int updates_late[H_MAX_TRACK_IDS][H_MAX_TRUTH];
    int identity_swaps;
    int n_reports;
    int confirmed_ids;            /* distinct confirmed track ids */
    double min_purity;            /* over tracks with >= 5 updates */
    int impure_tracks;
    uint32_t max_id;
    double model_prob_sum[LO_MAX_MODELS]; /* last report's model probabilities of track 1.. */
    double last_model_prob[H_MAX_TRACK_IDS][LO_MAX_MODELS];
} h_result;

static void h_on_report(void *ctx, const lo_track *tr)
{
    h_result *r = ctx;
    r->n_reports++;
    if (tr->id >= H_MAX_TRACK_IDS) return;
    if (tr->id > r->max_id) r->max_id = tr->id;
    if (tr->status == LO_TRACK_DELETED) return;
    /* Reports of an update carry status confirmed (or tentative); coasting ones repeat the
     * old plot. */
    if (tr->status != LO_TRACK_COASTING && tr->last_truth_id < H_MAX_TRUTH) {
        r->updates[tr->id][tr->last_truth_id]++;
        if (r->split_t > 0 && tr->t >= r->split_t) r->updates_late[tr->id][tr->last_truth_id]++;
        if (r->split_t > 0 && tr->t < r->split_t - 20) r->updates_early[tr->id][tr->last_truth_id]++;
    }
    for (int m = 0; m < LO_MAX_MODELS; m++) r->last_model_prob[tr->id][m] = tr->model_prob[m];
}

typedef struct h_est_ctx {
    double (*est)[3];
    int n;
    double t0;
} h_est_ctx;

/* Confirmed tracks extrapolated to the scan time. */
static void h_collect_estimate(void *ctx, const lo_track *tr)
{
    h_est_ctx *c = ctx;
    if (tr->status == LO_TRACK_TENTATIVE || c->n >= 4096) return;
    double dt = c->t0 - tr->t;
    for (int i = 0; i < 3; i++) c->est[c->n][i] = tr->pos[i] + tr->vel[i] * dt;
    c->n++;
}

/* GOSPA (p = 2, alpha = 2) between n truth positions and m estimates. */
static double h_gospa(const double (*x)[3], int n, const double (*y)[3], int m, double c,
                      double *loc, int *missed, int *false_)
{
    *loc = 0;
    *missed = n;
    *false_ = m;
    if (n == 0 || m == 0) return sqrt(0.5 * c * c * (n + m));
    double *cost = malloc(sizeof(double) * (size_t)n * (size_t)m);
    int *r2c = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double d2 = 0;
            for (int k = 0; k < 3; k++) d2 += (x[i][k] - y[j][k]) * (x[i][k] - y[j][k]);
            cost[i * m + j] = d2 < c * c ? d2 : c * c;
        }
    lo_assign_solve(NULL, cost, n, m, r2c, NULL);
    double total = 0;
    int assigned = 0;
    for (int i = 0; i < n; i++) {
        if (r2c[i] < 0) continue;
        double d2 = cost[i * m + r2c[i]];
        if (d2 < c * c) {
            total += d2;
            *loc += d2;
            assigned++;
        }
    }
    *missed = n - assigned;
    *false_ = m - assigned;
    total += 0.5 * c * c * (*missed + *false_);
    free(cost);
    free(r2c);
    return sqrt(total);
}

/* Run `scans` scans of a staring or rotating radar over the targets (copied) through a
 * tracker with config cfg. Scoring starts at scan `warmup`. */
static void h_run(const lo_tracker_config *cfg, const synth_radar *rd, const synth_target *targets,
                  int n_targets, int scans, int warmup, uint64_t seed, h_result *res)
{
    double split_t = res->split_t;
    memset(res, 0, sizeof *res);
    res->split_t = split_t;
    res->min_purity = 1.0;
    synth_target *tg = malloc(sizeof *tg * (size_t)(n_targets + 1));
    if (n_targets > 0) memcpy(tg, targets, sizeof *tg * (size_t)n_targets);
    synth_rng rng = {seed * 2654435761u + 1};
    /* The radar sits at the origin of the system frame. */
    lo_sensor sensor;
    memset(&sensor, 0, sizeof sensor);
    sensor.id = rd->sensor_id;
    sensor.scan_period_s = rd->scan_period_s;
    sensor.sigma_radial_velocity_mps = rd->sigma_rv_mps;
    sensor.measures_radial_velocity = rd->sigma_rv_mps > 0;
    lo_site site;
    memset(&site, 0, sizeof site);
    site.n_sensors = 1;
    site.sensors = &sensor;
    lo_tracker *t = lo_tracker_new(&site, cfg);
    lo_tracker_set_report(t, h_on_report, res);
    int max_plots = n_targets + (int)(rd->clutter_per_scan * 3) + 64;
    lo_plot *plots = malloc(sizeof *plots * (size_t)max_plots);
    double (*truth)[3] = malloc(sizeof *truth * (size_t)(n_targets + 1));
    double (*est)[3] = malloc(sizeof *est * 4096);
    double gsum = 0, lsum = 0, msum = 0, fsum = 0;
    for (int s = 0; s < scans; s++) {
        double t0 = 1000.0 + s * rd->scan_period_s;
        /* Truth at the scan start (before synth_scan moves the targets). */
        int nt = 0;
        for (int i = 0; i < n_targets; i++)
            if (t0 >= tg[i].t_start && t0 < tg[i].t_end && tg[i].pos[2] > 0)
                memcpy(truth[nt++], tg[i].pos, sizeof truth[0]);
        int np = synth_scan(&rng, rd, tg, n_targets, t0, plots, max_plots);
        for (int j = 0; j < np; j++) lo_tracker_add_plot(t, &plots[j]);
        lo_tracker_advance(t, t0 + rd->scan_period_s * 0.999 + cfg->reorder_window_s);
        if (s < warmup) continue;
        h_est_ctx ec = {est, 0, t0};
        lo_tracker_for_each(t, h_collect_estimate, &ec);
        int ne = ec.n;
        double loc;
        int missed, false_;
        double g = h_gospa((const double(*)[3])truth, nt, (const double(*)[3])est, ne, 200.0, &loc,
                           &missed, &false_);
        gsum += g;
        lsum += loc;
        msum += missed;
        fsum += false_;
        res->scans_scored++;
    }
    lo_tracker_finish(t);
    lo_tracker_free(t);
    if (res->scans_scored) {
        res->mean_gospa = gsum / res->scans_scored;
        res->mean_loc = lsum / res->scans_scored;
        res->mean_missed = msum / res->scans_scored;
        res->mean_false = fsum / res->scans_scored;
    }
    for (uint32_t id = 1; id <= res->max_id && id < H_MAX_TRACK_IDS; id++) {
        int total = 0, best = 0;
        for (int k = 0; k < H_MAX_TRUTH; k++) {
            total += res->updates[id][k];
            if (res->updates[id][k] > best) best = res->updates[id][k];
        }
        if (total > 0) res->confirmed_ids++;
        int late_total = 0, early_total = 0, early_k = 0, late_k = 0;
        for (int k = 0; k < H_MAX_TRUTH; k++) {
            late_total += res->updates_late[id][k];
            early_total += res->updates_early[id][k];
            if (res->updates_early[id][k] > res->updates_early[id][early_k]) early_k = k;
            if (res->updates_late[id][k] > res->updates_late[id][late_k]) late_k = k;
        }
        if (late_total >= 5 && early_total >= 5 && late_k != early_k) res->identity_swaps++;
        if (total >= 5) {
            double pur = (double)best / total;
            if (pur < res->min_purity) res->min_purity = pur;
            if (pur < 0.99) res->impure_tracks++;
        }
    }
    free(plots);
    free(truth);
    free(est);
    free(tg);
}

#endif
