/*
 * synth.h: a tiny synthetic scene for the tracker's tests and benchmarks (not the simulator).
 *
 * Targets fly straight, turn, accelerate or follow a ballistic arc in the ENU frame; one radar
 * at the origin (straight rays, flat earth) sees each with probability pd once a scan, with
 * Gaussian range/azimuth/elevation noise, and Poisson clutter falls uniformly over a square.
 * Plots carry polar and converted (ENU + covariance) measurements and the truth id. Header
 * only, static inline; deterministic for a given seed. Units SI, time seconds.
 */
#ifndef LOOKOUT_BENCH_SYNTH_H
#define LOOKOUT_BENCH_SYNTH_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/types.h"

typedef struct synth_rng {
    uint64_t s;
} synth_rng;

static inline double synth_uniform(synth_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (double)((r->s * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double synth_normal(synth_rng *r)
{
    double u1 = synth_uniform(r), u2 = synth_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline int synth_poisson(synth_rng *r, double mean)
{
    if (mean > 50) {
        int k = (int)lround(mean + sqrt(mean) * synth_normal(r));
        return k < 0 ? 0 : k;
    }
    double l = exp(-mean), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= synth_uniform(r);
    } while (p > l);
    return k - 1;
}

typedef enum synth_motion {
    SYNTH_STRAIGHT = 0,
    SYNTH_TURN,        /* turn_rate for [t_turn0, t_turn1), straight otherwise */
    SYNTH_BALLISTIC    /* gravity and quadratic drag k |v| v */
} synth_motion;

typedef struct synth_target {
    uint32_t id;
    synth_motion motion;
    double pos[3], vel[3];
    double turn_rate, t_turn0, t_turn1; /* rad/s, counter-clockwise */
    double drag_k;                      /* 1/m */
    double t_start, t_end;              /* alive in [t_start, t_end) */
    bool alive;
} synth_target;

typedef struct synth_radar {
    uint16_t sensor_id;
    double sigma_range_m, sigma_az_rad, sigma_el_rad;
    double pd;
    double scan_period_s;
    bool rotating;                      /* plot time = scan start + azimuth share of period */
    double clutter_per_scan;
    double clutter_half_width_m;        /* clutter over [-w, w]^2 */
    double clutter_max_height_m;
    double sigma_rv_mps;                /* > 0: plots carry radial velocity (Doppler radar) */
} synth_radar;

/* Advance one target by dt (small steps for the nonlinear ones). */
static inline void synth_step(synth_target *tg, double t, double dt)
{
    int n = tg->motion == SYNTH_STRAIGHT ? 1 : (int)ceil(dt / 0.01);
    if (n < 1) n = 1;
    double h = dt / n;
    for (int s = 0; s < n; s++) {
        double ts = t + s * h;
        double a[3] = {0, 0, 0};
        if (tg->motion == SYNTH_TURN && ts >= tg->t_turn0 && ts < tg->t_turn1) {
            a[0] = -tg->turn_rate * tg->vel[1];
            a[1] = tg->turn_rate * tg->vel[0];
        } else if (tg->motion == SYNTH_BALLISTIC) {
            double sp = sqrt(tg->vel[0] * tg->vel[0] + tg->vel[1] * tg->vel[1] + tg->vel[2] * tg->vel[2]);
            double rho = exp(-(tg->pos[2] > 0 ? tg->pos[2] : 0) / 8500.0);
            for (int i = 0; i < 3; i++) a[i] = -tg->drag_k * rho * sp * tg->vel[i];
            a[2] -= 9.80665;
        }
        for (int i = 0; i < 3; i++) {
            tg->pos[i] += h * tg->vel[i] + 0.5 * h * h * a[i];
            tg->vel[i] += h * a[i];
        }
        if (tg->motion == SYNTH_TURN && ts >= tg->t_turn0 && ts < tg->t_turn1) {
            /* Keep the speed exact through the turn (the Euler step grows it slightly). */
            double sp0 = sqrt(tg->vel[0] * tg->vel[0] + tg->vel[1] * tg->vel[1]);
            double sp1 = sqrt((tg->vel[0] - h * a[0]) * (tg->vel[0] - h * a[0]) +
                              (tg->vel[1] - h * a[1]) * (tg->vel[1] - h * a[1]));
            if (sp0 > 0) tg->vel[0] *= sp1 / sp0, tg->vel[1] *= sp1 / sp0;
        }
    }
}

/* Polar -> ENU for a radar at the origin and the converted-measurement covariance. */
static inline void synth_polar_to_enu(double r, double az, double el, double enu[3])
{
    enu[0] = r * cos(el) * sin(az);
    enu[1] = r * cos(el) * cos(az);
    enu[2] = r * sin(el);
}

static inline void synth_polar_cov(double r, double az, double el, double sr, double sa, double se,
                                   double cov[9])
{
    double J[9] = {cos(el) * sin(az), r * cos(el) * cos(az), -r * sin(el) * sin(az),
                   cos(el) * cos(az), -r * cos(el) * sin(az), -r * sin(el) * cos(az),
                   sin(el), 0.0, r * cos(el)};
    double v[3] = {sr * sr, sa * sa, se * se};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += J[i * 3 + k] * v[k] * J[j * 3 + k];
            cov[i * 3 + j] = s;
        }
}

/* A plot of position `pos` (noise drawn), time t. */
static inline void synth_make_plot(synth_rng *rng, const synth_radar *rd, const double pos[3],
                                   const double vel[3], double t, uint32_t truth_id, lo_plot *p)
{
    memset(p, 0, sizeof *p);
    double r = sqrt(pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2]);
    double az = atan2(pos[0], pos[1]);
    double el = asin(pos[2] / (r > 0 ? r : 1));
    r += rd->sigma_range_m * synth_normal(rng);
    az += rd->sigma_az_rad * synth_normal(rng);
    el += rd->sigma_el_rad * synth_normal(rng);
    p->t = t;
    p->sensor_id = rd->sensor_id;
    p->flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    p->range_m = r;
    p->azimuth_rad = az < 0 ? az + 6.283185307179586 : az;
    p->elevation_rad = el;
    synth_polar_to_enu(r, az, el, p->enu);
    synth_polar_cov(r, az, el, rd->sigma_range_m, rd->sigma_az_rad, rd->sigma_el_rad, p->enu_cov);
    p->truth_id = truth_id;
    if (rd->sigma_rv_mps > 0) {
        double rr = sqrt(pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2]);
        double rv = 0;
        for (int i = 0; i < 3; i++) rv += pos[i] / (rr > 0 ? rr : 1) * vel[i];
        p->flags |= LO_PLOT_RADIAL_VEL;
        p->radial_velocity_mps = rv + rd->sigma_rv_mps * synth_normal(rng);
    }
}

/* Time within a scan at which a rotating radar sees azimuth az. */
static inline double synth_look_time(const synth_radar *rd, double scan_t0, const double pos[3])
{
    if (!rd->rotating) return scan_t0;
    double az = atan2(pos[0], pos[1]);
    if (az < 0) az += 6.283185307179586;
    return scan_t0 + rd->scan_period_s * az / 6.283185307179586;
}

static inline int synth_cmp_plot_time(const void *a, const void *b)
{
    const lo_plot *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* One scan starting at scan_t0: move every target to its look time, detect, add clutter.
 * Writes at most max_plots plots (sorted by time) and returns their number. Targets are left
 * at scan_t0 + scan_period. */
static inline int synth_scan(synth_rng *rng, const synth_radar *rd, synth_target *tg, int n_targets,
                             double scan_t0, lo_plot *out, int max_plots)
{
    int n = 0;
    double t1 = scan_t0 + rd->scan_period_s;
    for (int i = 0; i < n_targets; i++) {
        synth_target *g = &tg[i];
        g->alive = scan_t0 >= g->t_start && scan_t0 < g->t_end;
        double tl = synth_look_time(rd, scan_t0, g->pos);
        if (tl > scan_t0) synth_step(g, scan_t0, tl - scan_t0);
        if (g->alive && n < max_plots && synth_uniform(rng) < rd->pd && g->pos[2] > 0)
            synth_make_plot(rng, rd, g->pos, g->vel, tl, g->id, &out[n++]);
        synth_step(g, tl, t1 - tl);
    }
    int nc = synth_poisson(rng, rd->clutter_per_scan);
    for (int c = 0; c < nc && n < max_plots; c++) {
        double w = rd->clutter_half_width_m;
        double pos[3] = {(2 * synth_uniform(rng) - 1) * w, (2 * synth_uniform(rng) - 1) * w,
                         10 + synth_uniform(rng) * rd->clutter_max_height_m};
        /* Clutter: ground clutter near zero Doppler, thermal noise anywhere in the span. */
        double still[3] = {0, 0, 0};
        double wander[3] = {40 * synth_normal(rng), 40 * synth_normal(rng), 0};
        synth_make_plot(rng, rd, pos, c % 2 ? still : wander, synth_look_time(rd, scan_t0, pos), 0,
                        &out[n++]);
    }
    if (rd->rotating) qsort(out, (size_t)n, sizeof *out, synth_cmp_plot_time);
    return n;
}

#endif
