/*
 * Threat evaluation of one track snapshot against the protected zones (see lookout/threat.h).
 *
 * Straight-line prediction for everything that flies under power: a drone or an aircraft is
 * predicted along its current velocity, and the spread of that prediction comes from sigma
 * points over the track's position and velocity covariances (the tracker does not publish the
 * position/velocity cross-covariance, so the 6x6 covariance is taken block-diagonal, which
 * slightly overstates the spread). Ballistic tracks are integrated under gravity (and drag if
 * configured) with the same sigma points: an unscented transform gives the impact point's
 * mean and 2x2 covariance directly, without linearising the flight time.
 */
#include "lookout/threat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/geo.h"

/* ---- small geometry --------------------------------------------------------------------- */

static double sq(double x) { return x * x; }

/* Distance from p to segment ab, and the parameter s in [0,1] of the closest point. */
static double point_segment_distance(const double p[2], const double a[2], const double b[2],
                                     double *s_out)
{
    double abx = b[0] - a[0], aby = b[1] - a[1];
    double len2 = abx * abx + aby * aby;
    double s = len2 > 0 ? ((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / len2 : 0;
    if (s < 0) s = 0;
    if (s > 1) s = 1;
    if (s_out) *s_out = s;
    return hypot(a[0] + s * abx - p[0], a[1] + s * aby - p[1]);
}

/* ---- straight-line entry ------------------------------------------------------------------ */

#define MAX_CROSSINGS (2 * LO_ZONE_MAX_VERTICES + 4)

/* Times in (0, h) where the horizontal path p + v t crosses the footprint's edge. */
static int footprint_crossings(const lo_zone *z, const double p[2], const double v[2], double h,
                               double *times)
{
    int n = 0;
    if (z->shape == LO_ZONE_CIRCLE) {
        double dx = p[0] - z->center_enu[0], dy = p[1] - z->center_enu[1];
        double a = v[0] * v[0] + v[1] * v[1];
        double b = 2 * (dx * v[0] + dy * v[1]);
        double c = dx * dx + dy * dy - z->radius_m * z->radius_m;
        double disc = b * b - 4 * a * c;
        if (a <= 0 || disc < 0) return 0;
        double sd = sqrt(disc);
        double r[2] = {(-b - sd) / (2 * a), (-b + sd) / (2 * a)};
        for (int i = 0; i < 2; i++)
            if (r[i] > 0 && r[i] < h) times[n++] = r[i];
        return n;
    }
    int nv = z->n_vertices;
    for (int i = 0, j = nv - 1; i < nv; j = i++) {
        const double *a = z->vertex_enu[j], *b = z->vertex_enu[i];
        double ex = b[0] - a[0], ey = b[1] - a[1];
        double den = v[0] * ey - v[1] * ex; /* cross(v, e) */
        if (fabs(den) < 1e-12) continue;   /* parallel: touching along an edge is no crossing */
        double wx = a[0] - p[0], wy = a[1] - p[1];
        double t = (wx * ey - wy * ex) / den;
        double s = (wx * v[1] - wy * v[0]) / den;
        if (s >= 0 && s <= 1 && t > 0 && t < h && n < MAX_CROSSINGS) times[n++] = t;
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Earliest t in [0, h] at which p + v t is inside the volume (footprint and height band),
 * or -1. *footprint_first gets the earliest time inside the footprint alone (or -1). */
static double straight_entry(const lo_zone *z, const double p[3], const double v[3], double h,
                             double hv, double *footprint_first)
{
    /* Height band as an interval of t. The climb or descent rate is extrapolated for hv
     * seconds only, level flight after that: a powered target's vertical rate over minutes is
     * not in its state, and a 2 m/s error in it would put a cruising drone underground or above
     * the band long before it arrives. */
    double hl = hv < h ? hv : h;
    double ta = 0, tb = hl;
    if (fabs(v[2]) < 1e-9) {
        if (p[2] < z->alt_min_m || p[2] > z->alt_max_m) ta = 1, tb = 0;
    } else {
        double t1 = (z->alt_min_m - p[2]) / v[2], t2 = (z->alt_max_m - p[2]) / v[2];
        if (t1 > t2) { double x = t1; t1 = t2; t2 = x; }
        if (t1 > ta) ta = t1;
        if (t2 < tb) tb = t2;
    }
    if (ta <= tb && tb >= hl) tb = h; /* still in the band when the climb stops: stays in */

    double times[MAX_CROSSINGS + 2];
    int n = footprint_crossings(z, p, v, h, times);
    times[n++] = 0;
    times[n++] = h;
    qsort(times, (size_t)n, sizeof times[0], cmp_double);

    double first_fp = -1, entry = -1;
    for (int i = 0; i + 1 < n; i++) {
        double a = times[i], b = times[i + 1];
        if (b <= a) continue;
        double mid = 0.5 * (a + b);
        double xy[2] = {p[0] + v[0] * mid, p[1] + v[1] * mid};
        if (!lo_zone_contains_xy(z, xy)) continue;
        if (first_fp < 0) first_fp = a;
        /* Intersect [a, b] with the height band interval. */
        double lo = a > ta ? a : ta, hi = b < tb ? b : tb;
        if (lo <= hi && entry < 0) entry = lo;
    }
    if (footprint_first) *footprint_first = first_fp;
    return entry;
}

/* Closest approach of the horizontal path p + v t, t in [0, h], to the footprint. */
static void straight_cpa(const lo_zone *z, const double p[2], const double v[2], double h,
                         double *t_out, double *d_out)
{
    double q1[2] = {p[0] + v[0] * h, p[1] + v[1] * h};
    if (z->shape == LO_ZONE_CIRCLE) {
        double dx = p[0] - z->center_enu[0], dy = p[1] - z->center_enu[1];
        double vv = v[0] * v[0] + v[1] * v[1];
        double t = vv > 0 ? -(dx * v[0] + dy * v[1]) / vv : 0;
        if (t < 0) t = 0;
        if (t > h) t = h;
        double d = hypot(dx + v[0] * t, dy + v[1] * t) - z->radius_m;
        *t_out = t;
        *d_out = d > 0 ? d : 0;
        return;
    }
    /* Polygon: the segments do not cross (that case is handled by the caller), so the
     * closest pair involves an endpoint of one of them. */
    if (z->n_vertices < 2) {
        *t_out = 0;
        *d_out = HUGE_VAL;
        return;
    }
    double best = lo_zone_edge_distance(z, p), best_t = 0;
    if (best < 0) best = 0;
    double dend = lo_zone_edge_distance(z, q1);
    if (dend < best) best = dend > 0 ? dend : 0, best_t = h;
    int nv = z->n_vertices;
    for (int i = 0; i < nv && best > 0; i++) {
        double s;
        double d = point_segment_distance(z->vertex_enu[i], p, q1, &s);
        if (d < best) best = d, best_t = s * h;
    }
    *t_out = best_t;
    *d_out = best;
}

/* ---- sigma points ------------------------------------------------------------------------- */

#define UT_N 6
#define UT_POINTS (2 * UT_N + 1)
#define UT_LAMBDA 1.0 /* alpha = 1, kappa = 1: all weights positive */

/* Lower Cholesky factor of a 3x3 covariance; a non-positive pivot (a degenerate or zero
 * covariance) leaves that column zero instead of failing. */
static void cholesky3(const double a[9], double l[9])
{
    memset(l, 0, 9 * sizeof l[0]);
    for (int j = 0; j < 3; j++) {
        double d = a[j * 3 + j];
        for (int k = 0; k < j; k++) d -= l[j * 3 + k] * l[j * 3 + k];
        if (!(d > 1e-12)) continue;
        l[j * 3 + j] = sqrt(d);
        for (int i = j + 1; i < 3; i++) {
            double s = 0.5 * (a[i * 3 + j] + a[j * 3 + i]);
            for (int k = 0; k < j; k++) s -= l[i * 3 + k] * l[j * 3 + k];
            l[i * 3 + j] = s / l[j * 3 + j];
        }
    }
}

/* Sigma points over [pos; vel] and their weights. */
static void sigma_points(const lo_track *trk, double pts[UT_POINTS][6], double w[UT_POINTS])
{
    double lp[9], lv[9];
    cholesky3(trk->pos_cov, lp);
    cholesky3(trk->vel_cov, lv);
    double scale = sqrt(UT_N + UT_LAMBDA);
    for (int i = 0; i < UT_POINTS; i++) {
        for (int k = 0; k < 3; k++) {
            pts[i][k] = trk->pos[k];
            pts[i][3 + k] = trk->vel[k];
        }
        w[i] = i == 0 ? UT_LAMBDA / (UT_N + UT_LAMBDA) : 1.0 / (2 * (UT_N + UT_LAMBDA));
    }
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 3; k++) {
            pts[1 + c][k] += scale * lp[k * 3 + c];
            pts[4 + c][k] -= scale * lp[k * 3 + c];
            pts[7 + c][3 + k] += scale * lv[k * 3 + c];
            pts[10 + c][3 + k] -= scale * lv[k * 3 + c];
        }
}

/* ---- ballistic ---------------------------------------------------------------------------- */

static void ballistic_deriv(double k, const double s[6], double d[6])
{
    double speed = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
    for (int i = 0; i < 3; i++) {
        d[i] = s[3 + i];
        d[3 + i] = -k * speed * s[3 + i];
    }
    d[5] -= LO_G0;
}

static void rk4_step(double k, double s[6], double dt)
{
    double k1[6], k2[6], k3[6], k4[6], tmp[6];
    ballistic_deriv(k, s, k1);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * dt * k1[i];
    ballistic_deriv(k, tmp, k2);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * dt * k2[i];
    ballistic_deriv(k, tmp, k3);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + dt * k3[i];
    ballistic_deriv(k, tmp, k4);
    for (int i = 0; i < 6; i++) s[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

#define BALLISTIC_DT 0.02
#define BALLISTIC_MAX_S 600.0

/* Integrate forward (dir = +1) or backward (dir = -1) until the path comes down through
 * (forward) or back down to (backward) the terrain plane from above. */
static bool ballistic_ground(double k, double terrain, const double s0[6], int dir, double xy[2],
                             double *t_out)
{
    double s[6];
    memcpy(s, s0, sizeof s);
    double dt = dir * BALLISTIC_DT;
    for (double t = 0; t < BALLISTIC_MAX_S; t += BALLISTIC_DT) {
        double prev[6];
        memcpy(prev, s, sizeof s);
        rk4_step(k, s, dt);
        if (prev[2] > terrain && s[2] <= terrain) {
            double f = (prev[2] - terrain) / (prev[2] - s[2]);
            xy[0] = prev[0] + f * (s[0] - prev[0]);
            xy[1] = prev[1] + f * (s[1] - prev[1]);
            *t_out = t + f * BALLISTIC_DT;
            return true;
        }
    }
    return false;
}

/* Mean and covariance of the sigma points' ground points; false if any point failed. */
static bool ut_ground(const lo_threat_config *cfg, const lo_track *trk, int dir, double mean[2],
                      double cov[4], double *t_mean, double *t_sigma)
{
    double pts[UT_POINTS][6], w[UT_POINTS], xy[UT_POINTS][2], tt[UT_POINTS];
    sigma_points(trk, pts, w);
    for (int i = 0; i < UT_POINTS; i++)
        if (!ballistic_ground(cfg->drag_k_per_m, cfg->terrain_up_m, pts[i], dir, xy[i], &tt[i]))
            return false;
    mean[0] = mean[1] = *t_mean = 0;
    for (int i = 0; i < UT_POINTS; i++) {
        mean[0] += w[i] * xy[i][0];
        mean[1] += w[i] * xy[i][1];
        *t_mean += w[i] * tt[i];
    }
    double var_t = 0;
    memset(cov, 0, 4 * sizeof cov[0]);
    for (int i = 0; i < UT_POINTS; i++) {
        double dx = xy[i][0] - mean[0], dy = xy[i][1] - mean[1], dtt = tt[i] - *t_mean;
        cov[0] += w[i] * dx * dx;
        cov[1] += w[i] * dx * dy;
        cov[3] += w[i] * dy * dy;
        var_t += w[i] * dtt * dtt;
    }
    cov[2] = cov[1];
    *t_sigma = sqrt(var_t);
    return true;
}

bool lo_threat_predict_impact(const lo_threat_config *cfg, const lo_track *trk, lo_ballistic *out)
{
    memset(out, 0, sizeof *out);
    out->launch_enu[0] = out->launch_enu[1] = NAN;
    out->time_since_launch_s = NAN;
    if (!ut_ground(cfg, trk, +1, out->impact_enu, out->impact_cov, &out->time_to_impact_s,
                   &out->time_to_impact_sigma_s))
        return false;
    out->valid = true;
    return true;
}

void lo_threat_predict_launch(const lo_threat_config *cfg, const lo_track *trk, lo_ballistic *b)
{
    double sig;
    if (!ut_ground(cfg, trk, -1, b->launch_enu, b->launch_cov, &b->time_since_launch_s, &sig)) {
        /* The launch point is for reports only: its absence does not void the impact. */
        b->launch_enu[0] = b->launch_enu[1] = NAN;
        b->time_since_launch_s = NAN;
    }
}

bool lo_threat_predict_ballistic(const lo_threat_config *cfg, const lo_track *trk,
                                 lo_ballistic *out)
{
    if (!lo_threat_predict_impact(cfg, trk, out)) return false;
    lo_threat_predict_launch(cfg, trk, out);
    return true;
}

/* ---- classification input ---------------------------------------------------------------- */

bool lo_threat_is_ballistic(const lo_threat_config *cfg, const lo_track *trk)
{
    if (trk->class_prob[LO_CLASS_ROCKET] >= cfg->min_class_probability) return true;
    int m = cfg->ballistic_model_index;
    if (m >= 0 && m < trk->n_models && m < LO_MAX_MODELS &&
        trk->model_prob[m] >= cfg->ballistic_model_prob)
        return true;
    double speed = sqrt(sq(trk->vel[0]) + sq(trk->vel[1]) + sq(trk->vel[2]));
    return speed >= cfg->ballistic_min_speed_mps && cfg->ballistic_min_descent_acc > 0 &&
           trk->acc[2] <= -cfg->ballistic_min_descent_acc;
}

lo_class_group lo_threat_track_group(const lo_threat_config *cfg, const lo_track *trk,
                                     double *confidence)
{
    double sum[LO_GROUP_COUNT] = {0};
    for (int c = 0; c < LO_CLASS_COUNT; c++) sum[lo_class_group_of((lo_class)c)] += trk->class_prob[c];
    int best = LO_GROUP_UNKNOWN;
    for (int g = 1; g < LO_GROUP_COUNT; g++)
        if (sum[g] > sum[best]) best = g;
    if (lo_threat_is_ballistic(cfg, trk)) {
        /* A ballistic path is physics, not opinion: it outranks an unsure classifier. */
        double conf = sum[LO_GROUP_ROCKET];
        int m = cfg->ballistic_model_index;
        if (m >= 0 && m < trk->n_models && m < LO_MAX_MODELS && trk->model_prob[m] > conf)
            conf = trk->model_prob[m];
        if (confidence) *confidence = conf;
        return LO_GROUP_ROCKET;
    }
    if (sum[best] < cfg->min_class_probability) best = LO_GROUP_UNKNOWN;
    if (confidence) *confidence = sum[best];
    return (lo_class_group)best;
}

/* ---- per zone ----------------------------------------------------------------------------- */

/* P(impact inside the footprint) for a Gaussian impact point: a 9x9 grid over +-3 sigma in
 * the whitened frame, weighted by the normal density (good to ~1% for these purposes). */
static double impact_probability(const lo_zone *z, const double mean[2], const double cov[4])
{
    double l00 = 0, l10 = 0, l11 = 0;
    if (cov[0] > 1e-12) {
        l00 = sqrt(cov[0]);
        l10 = cov[2] / l00;
        double d = cov[3] - l10 * l10;
        l11 = d > 1e-12 ? sqrt(d) : 0;
    }
    double num = 0, den = 0;
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) {
            double u = -3 + 0.75 * i, v = -3 + 0.75 * j;
            double w = exp(-0.5 * (u * u + v * v));
            double xy[2] = {mean[0] + l00 * u, mean[1] + l10 * u + l11 * v};
            den += w;
            if (lo_zone_contains_xy(z, xy)) num += w;
        }
    return num / den;
}

void lo_threat_evaluate_zone(const lo_threat_config *cfg, const lo_track *trk,
                             lo_class_group group, const lo_zone *zone,
                             const lo_ballistic *ballistic, lo_zone_threat *out)
{
    memset(out, 0, sizeof *out);
    const double *p = trk->pos, *v = trk->vel;
    double h = cfg->horizon_s;

    out->inside_footprint = lo_zone_contains_xy(zone, p);
    out->edge_distance_m = lo_zone_edge_distance(zone, p);
    out->inside = out->inside_footprint && p[2] >= zone->alt_min_m && p[2] <= zone->alt_max_m;
    /* centre_enu: the circle's centre, or the polygon's area centroid (lo_site_load). */
    out->bearing_rad = lo_wrap_2pi(atan2(p[0] - zone->center_enu[0], p[1] - zone->center_enu[1]));

    /* Closest approach. */
    double fp_first;
    double hv = cfg->vertical_horizon_s;
    double entry = straight_entry(zone, p, v, h, hv, &fp_first);
    if (fp_first >= 0) {
        out->cpa_time_s = fp_first;
        out->cpa_distance_m = 0;
    } else {
        straight_cpa(zone, p, v, h, &out->cpa_time_s, &out->cpa_distance_m);
    }

    /* Time to entry and its spread over the sigma points. */
    out->time_to_entry_s = out->inside ? -1 : entry;
    out->time_to_entry_sigma_s = 0;
    if (!out->inside) {
        double pts[UT_POINTS][6], w[UT_POINTS];
        sigma_points(trk, pts, w);
        double wsum = 0, var = 0;
        for (int i = 0; i < UT_POINTS; i++) {
            double te = straight_entry(zone, pts[i], pts[i] + 3, h, hv, NULL);
            if (te < 0) continue;
            wsum += w[i];
            if (entry >= 0) var += w[i] * sq(te - entry);
        }
        out->entry_fraction = wsum;
        if (entry >= 0 && wsum > 0) out->time_to_entry_sigma_s = sqrt(var / wsum);
    }

    /* Worst case: straight at the zone at the class's top speed. */
    double vmax = (group >= 0 && group < LO_GROUP_COUNT) ? cfg->max_speed_mps[group] : 0;
    double dh = out->edge_distance_m > 0 ? out->edge_distance_m : 0;
    double dv = p[2] < zone->alt_min_m ? zone->alt_min_m - p[2]
              : p[2] > zone->alt_max_m ? p[2] - zone->alt_max_m : 0;
    out->height_outside_m = dv;
    /* Heading in, give or take the course corrections of a few degrees and the uncertainty
     * of the track's own heading (its velocity error across the track, over its speed). */
    double vh = hypot(v[0], v[1]), sigma_heading = 0;
    if (vh > 1) {
        double nx = -v[1] / vh, ny = v[0] / vh; /* across-track unit vector */
        const double *V = trk->vel_cov;
        double var_lat = nx * nx * V[0] + nx * ny * (V[1] + V[3]) + ny * ny * V[4];
        sigma_heading = sqrt(fmax(0, var_lat)) / vh;
    }
    double angle = fmin(cfg->approach_angle_rad + cfg->approach_sigmas * sigma_heading,
                        20 * LO_DEG2RAD);
    out->approach_tolerance_m = fmax(cfg->approach_min_m, tan(angle) * fmax(0, out->edge_distance_m));
    out->time_to_impact_s = -1;
    out->reach_time_s = vmax > 0 ? hypot(dh, dv) / vmax : -1;

    if (ballistic && ballistic->valid) {
        const double *c = ballistic->impact_cov;
        double tr = c[0] + c[3], det = c[0] * c[3] - c[1] * c[2];
        out->impact_sigma_m = sqrt(fmax(0, tr / 2 + sqrt(fmax(0, tr * tr / 4 - det))));
        out->time_to_impact_s = ballistic->time_to_impact_s;
        out->impact_probability = impact_probability(zone, ballistic->impact_enu,
                                                     ballistic->impact_cov);
        out->impact_in_zone = lo_zone_contains_xy(zone, ballistic->impact_enu) ||
                              out->impact_probability >= cfg->impact_min_probability;
    }
}
