/*
 * Per-track feature accumulation (see lookout/classify.h).
 *
 * Every statistic is an exponentially weighted mean: at each report all weights decay by
 * exp(-dt / tau) and the new sample enters with weight 1. The mean is then sum(w x) / sum(w),
 * kept incrementally as m += (x - m) / W. Second moments give standard deviations. This needs
 * no per-track history except the short ring of positions for straightness.
 */
#include "lookout/classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/geo.h"

static const char *const feature_names[LO_FEAT_COUNT] = {
    [LO_FEAT_SPEED_MEAN] = "speed_mean",
    [LO_FEAT_SPEED_STD] = "speed_std",
    [LO_FEAT_ALTITUDE_MEAN] = "altitude_mean",
    [LO_FEAT_VRATE_ABS_MEAN] = "vertical_rate_abs_mean",
    [LO_FEAT_VERTICAL_ACC_MEAN] = "vertical_acc_mean",
    [LO_FEAT_TURN_RATE_RMS] = "turn_rate_rms",
    [LO_FEAT_MANOEUVRE_ACC_RMS] = "manoeuvre_acc_rms",
    [LO_FEAT_STRAIGHTNESS] = "straightness",
    [LO_FEAT_HOVER_FRACTION] = "hover_fraction",
    [LO_FEAT_BALLISTIC_PROB] = "ballistic_model_prob",
    [LO_FEAT_RCS_DBSM_MEAN] = "rcs_dbsm_mean",
    [LO_FEAT_RCS_DB_STD] = "rcs_db_std",
    [LO_FEAT_RADIAL_VEL_SPREAD] = "radial_vel_spread",
    [LO_FEAT_FLOCK_NEIGHBOURS] = "flock_neighbours",
    [LO_FEAT_MANOEUVRE_MODEL_PROB] = "manoeuvre_model_prob",
    [LO_FEAT_NET_SPEED_MEAN] = "net_speed_mean",
    [LO_FEAT_NET_SPEED_STD] = "net_speed_std",
    [LO_FEAT_NET_HOVER_FRACTION] = "net_hover_fraction",
    [LO_FEAT_VRATE_MEAN] = "vertical_rate_mean",
    [LO_FEAT_TURN_RATE_MEAN_ABS] = "turn_rate_mean_abs",
    [LO_FEAT_RCS_DBSM_MEDIAN] = "rcs_dbsm_median",
    [LO_FEAT_VRATE_MEAN_ABS] = "vertical_rate_mean_abs",
    [LO_FEAT_CLIMB_PEAK] = "climb_peak",
    [LO_FEAT_CIRCLING_PEAK] = "circling_peak",
};

const char *lo_feature_name(lo_feature f)
{
    return (f >= 0 && f < LO_FEAT_COUNT) ? feature_names[f] : "unknown";
}

bool lo_feature_from_name(const char *name, lo_feature *out)
{
    for (int i = 0; i < LO_FEAT_COUNT; i++)
        if (name && strcmp(name, feature_names[i]) == 0) {
            *out = (lo_feature)i;
            return true;
        }
    return false;
}

void lo_feature_params_default(lo_feature_params *p)
{
    p->tau_s = 20;
    p->hover_speed_mps = 2;
    p->straightness_window_s = 30;
    p->ballistic_model_index = -1;
    p->cv_model_index = -1;
}

void lo_track_features_init(lo_track_features *f, uint32_t track_id)
{
    memset(f, 0, sizeof *f);
    f->track_id = track_id;
    f->last_plot_t = NAN;
}

double lo_rcs_dbsm_from_snr(const lo_sensor *s, double snr_db, double range_m)
{
    if (!(s->ref_rcs_m2 > 0) || !(s->ref_range_m > 0) || !(range_m > 0)) return NAN;
    return 10 * log10(s->ref_rcs_m2) + (snr_db - s->ref_snr_db) +
           40 * log10(range_m / s->ref_range_m);
}

static void ew_add(double *weight, double *mean, double x)
{
    *weight += 1;
    *mean += (x - *mean) / *weight;
}

static double wrap_pi(double a)
{
    a = fmod(a + LO_PI, 2 * LO_PI);
    if (a < 0) a += 2 * LO_PI;
    return a - LO_PI;
}

#define NET_WINDOW_S 5.0

/* Speed from displacement: newest position against the oldest one within NET_WINDOW_S (at
 * least 3 s back), NaN when the history is too short. */
static double net_speed(const lo_track_features *f)
{
    if (f->hist_n < 2) return NAN;
    int newest = (f->hist_head + LO_FEAT_HISTORY - 1) % LO_FEAT_HISTORY, oldest = -1;
    for (int k = 1; k < f->hist_n; k++) {
        int i = (newest - k + LO_FEAT_HISTORY) % LO_FEAT_HISTORY;
        if (f->hist_t[newest] - f->hist_t[i] > NET_WINDOW_S + 0.5) break;
        oldest = i;
    }
    if (oldest < 0) return NAN;
    double dt = f->hist_t[newest] - f->hist_t[oldest];
    if (dt < 3) return NAN;
    return hypot(f->hist_pos[newest][0] - f->hist_pos[oldest][0],
                 f->hist_pos[newest][1] - f->hist_pos[oldest][1]) / dt;
}

void lo_track_features_update(lo_track_features *f, const lo_feature_params *p,
                              const lo_track *trk, const lo_sensor *sensor,
                              const lo_classify_extra *extra)
{
    bool first = f->n_reports == 0 && f->ew_weight == 0;
    double dt = first ? 0 : trk->t - f->t_last;
    if (!first && !(dt > 1e-6)) return; /* same or older report: nothing new */

    double decay = first ? 1 : exp(-dt / p->tau_s);
    f->ew_weight *= decay;
    f->diff_weight *= decay;
    f->turn_weight *= decay;
    f->ball_weight *= decay;
    f->cv_weight *= decay;
    f->net_weight *= decay;
    f->rcs_weight *= decay;
    f->rv_weight *= decay;
    f->flock_weight *= decay;
    double peak_decay = first ? 1 : exp(-dt / LO_FEAT_PEAK_TAU_S);
    f->climb_peak *= peak_decay;
    f->circling_peak *= peak_decay;

    const double *v = trk->vel;
    double speed = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    double hspeed = hypot(v[0], v[1]);
    /* All moments of a group share one weight: update the weight once, means after. */
    f->ew_weight += 1;
    f->m_speed += (speed - f->m_speed) / f->ew_weight;
    f->m_speed2 += (speed * speed - f->m_speed2) / f->ew_weight;
    f->m_alt += (trk->pos[2] - f->m_alt) / f->ew_weight;
    f->m_vrate_abs += (fabs(v[2]) - f->m_vrate_abs) / f->ew_weight;
    f->m_vrate += (v[2] - f->m_vrate) / f->ew_weight;
    f->m_hover += ((speed < p->hover_speed_mps ? 1.0 : 0.0) - f->m_hover) / f->ew_weight;

    if (!first) {
        double dvx = v[0] - f->last_vel[0], dvy = v[1] - f->last_vel[1];
        double dvz = v[2] - f->last_vel[2];
        f->diff_weight += 1;
        f->m_vacc += (dvz / dt - f->m_vacc) / f->diff_weight;
        f->m_acc2 += ((dvx * dvx + dvy * dvy) / (dt * dt) - f->m_acc2) / f->diff_weight;
        double last_h = hypot(f->last_vel[0], f->last_vel[1]);
        if (hspeed > p->hover_speed_mps && last_h > p->hover_speed_mps) {
            double dh = wrap_pi(atan2(v[0], v[1]) - atan2(f->last_vel[0], f->last_vel[1]));
            f->turn_weight += 1;
            f->m_turn2 += ((dh / dt) * (dh / dt) - f->m_turn2) / f->turn_weight;
            f->m_turn += (dh / dt - f->m_turn) / f->turn_weight;
        }
        f->n_reports++;
    }

    int bm = p->ballistic_model_index;
    if (bm >= 0 && bm < trk->n_models && bm < LO_MAX_MODELS)
        ew_add(&f->ball_weight, &f->m_ball, trk->model_prob[bm]);
    int cm = p->cv_model_index;
    if (cm >= 0 && cm < trk->n_models && cm < LO_MAX_MODELS)
        ew_add(&f->cv_weight, &f->m_noncv, 1 - trk->model_prob[cm]);

    if (f->ew_weight >= LO_FEAT_PEAK_MIN_WEIGHT && f->m_vrate > f->climb_peak)
        f->climb_peak = f->m_vrate;
    if (f->turn_weight >= LO_FEAT_PEAK_MIN_WEIGHT && fabs(f->m_turn) > f->circling_peak)
        f->circling_peak = fabs(f->m_turn);

    /* RCS: once per new plot, when the plot had an SNR and we know its radar. */
    bool new_plot = trk->last_plot_t > 0 && trk->last_plot_t != f->last_plot_t;
    bool has_snr = (trk->last_flags & LO_PLOT_SNR) || trk->last_snr_db != 0;
    if (sensor && new_plot && has_snr) {
        double dx = trk->pos[0] - sensor->enu[0], dy = trk->pos[1] - sensor->enu[1];
        double dz = trk->pos[2] - sensor->enu[2];
        double rcs = lo_rcs_dbsm_from_snr(sensor, trk->last_snr_db, sqrt(dx * dx + dy * dy + dz * dz));
        if (isfinite(rcs)) {
            f->rcs_weight += 1;
            f->m_rcs += (rcs - f->m_rcs) / f->rcs_weight;
            f->m_rcs2 += (rcs * rcs - f->m_rcs2) / f->rcs_weight;
            f->n_snr++;
            f->rcs_ring[f->rcs_ring_head] = rcs;
            f->rcs_ring_head = (f->rcs_ring_head + 1) % LO_FEAT_RCS_RING;
            if (f->rcs_ring_n < LO_FEAT_RCS_RING) f->rcs_ring_n++;
        }
    }
    /* Micro-Doppler: once per new plot, when the radar measured its Doppler spread. */
    if (new_plot && (trk->last_flags & LO_PLOT_DOPPLER_SPREAD) && isfinite(trk->last_doppler_spread_mps))
        ew_add(&f->rv_weight, &f->m_rv, trk->last_doppler_spread_mps);
    if (new_plot) f->last_plot_t = trk->last_plot_t;

    if (extra && extra->flock_neighbours >= 0)
        ew_add(&f->flock_weight, &f->m_flock, extra->flock_neighbours);

    /* Position ring for straightness. */
    f->hist_t[f->hist_head] = trk->t;
    f->hist_pos[f->hist_head][0] = trk->pos[0];
    f->hist_pos[f->hist_head][1] = trk->pos[1];
    f->hist_head = (f->hist_head + 1) % LO_FEAT_HISTORY;
    if (f->hist_n < LO_FEAT_HISTORY) f->hist_n++;

    double ns = net_speed(f);
    if (isfinite(ns)) {
        f->net_weight += 1;
        f->m_net += (ns - f->m_net) / f->net_weight;
        f->m_net2 += (ns * ns - f->m_net2) / f->net_weight;
        f->m_nethover += ((ns < p->hover_speed_mps ? 1.0 : 0.0) - f->m_nethover) / f->net_weight;
    }

    f->window_s = p->straightness_window_s;
    f->t_last = trk->t;
    memcpy(f->last_vel, v, sizeof f->last_vel);
}

static double straightness(const lo_track_features *f, double window_s)
{
    if (f->hist_n < 3) return NAN;
    int newest = (f->hist_head + LO_FEAT_HISTORY - 1) % LO_FEAT_HISTORY;
    double path = 0;
    int i = newest, oldest = newest;
    for (int k = 1; k < f->hist_n; k++) {
        int prev = (i + LO_FEAT_HISTORY - 1) % LO_FEAT_HISTORY;
        if (f->hist_t[newest] - f->hist_t[prev] > window_s) break;
        path += hypot(f->hist_pos[i][0] - f->hist_pos[prev][0],
                      f->hist_pos[i][1] - f->hist_pos[prev][1]);
        i = prev;
        oldest = prev;
    }
    /* Below a few metres of travel the ratio is position noise, not behaviour. */
    if (path < 5) return NAN;
    double net = hypot(f->hist_pos[newest][0] - f->hist_pos[oldest][0],
                       f->hist_pos[newest][1] - f->hist_pos[oldest][1]);
    return net / path;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the RCS ring (mean of the middle two when even). */
static double rcs_median(const lo_track_features *f)
{
    if (f->rcs_ring_n == 0) return NAN;
    double v[LO_FEAT_RCS_RING];
    memcpy(v, f->rcs_ring, (size_t)f->rcs_ring_n * sizeof v[0]);
    qsort(v, (size_t)f->rcs_ring_n, sizeof v[0], cmp_double);
    int n = f->rcs_ring_n;
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void lo_track_features_values(const lo_track_features *f, double out[LO_FEAT_COUNT])
{
    for (int i = 0; i < LO_FEAT_COUNT; i++) out[i] = NAN;
    if (f->ew_weight > 0) {
        out[LO_FEAT_SPEED_MEAN] = f->m_speed;
        out[LO_FEAT_SPEED_STD] = sqrt(fmax(0, f->m_speed2 - f->m_speed * f->m_speed));
        out[LO_FEAT_ALTITUDE_MEAN] = f->m_alt;
        out[LO_FEAT_VRATE_ABS_MEAN] = f->m_vrate_abs;
        out[LO_FEAT_HOVER_FRACTION] = f->m_hover;
        out[LO_FEAT_VRATE_MEAN] = f->m_vrate;
        out[LO_FEAT_VRATE_MEAN_ABS] = fabs(f->m_vrate);
        out[LO_FEAT_CLIMB_PEAK] = f->climb_peak;
    }
    if (f->diff_weight > 0) {
        out[LO_FEAT_VERTICAL_ACC_MEAN] = f->m_vacc;
        out[LO_FEAT_MANOEUVRE_ACC_RMS] = sqrt(f->m_acc2);
    }
    if (f->turn_weight > 0) {
        out[LO_FEAT_TURN_RATE_RMS] = sqrt(f->m_turn2);
        out[LO_FEAT_TURN_RATE_MEAN_ABS] = fabs(f->m_turn);
        out[LO_FEAT_CIRCLING_PEAK] = f->circling_peak;
    }
    out[LO_FEAT_STRAIGHTNESS] = straightness(f, f->window_s > 0 ? f->window_s : 30);
    if (f->ball_weight > 0) out[LO_FEAT_BALLISTIC_PROB] = f->m_ball;
    if (f->cv_weight > 0) out[LO_FEAT_MANOEUVRE_MODEL_PROB] = f->m_noncv;
    if (f->net_weight > 0) {
        out[LO_FEAT_NET_SPEED_MEAN] = f->m_net;
        out[LO_FEAT_NET_SPEED_STD] = sqrt(fmax(0, f->m_net2 - f->m_net * f->m_net));
        out[LO_FEAT_NET_HOVER_FRACTION] = f->m_nethover;
    }
    if (f->rcs_weight > 0) {
        out[LO_FEAT_RCS_DBSM_MEAN] = f->m_rcs;
        /* One sample has no spread to speak of. */
        if (f->n_snr >= 2) out[LO_FEAT_RCS_DB_STD] = sqrt(fmax(0, f->m_rcs2 - f->m_rcs * f->m_rcs));
        out[LO_FEAT_RCS_DBSM_MEDIAN] = rcs_median(f);
    }
    /* A width no plot has renewed for about three time constants no longer speaks for the
     * track (it moved to a radar that does not measure it): unknown, so the fallback model
     * judges it (lo_classifier_set_fallback). */
    if (f->rv_weight >= LO_FEAT_STALE_WEIGHT) out[LO_FEAT_RADIAL_VEL_SPREAD] = f->m_rv;
    if (f->flock_weight > 0) out[LO_FEAT_FLOCK_NEIGHBOURS] = f->m_flock;
}

/* ---- flocking ------------------------------------------------------------------------------ */

typedef struct sweep_item {
    double east;
    size_t index;
} sweep_item;

static int by_east(const void *a, const void *b)
{
    double x = ((const sweep_item *)a)->east, y = ((const sweep_item *)b)->east;
    return (x > y) - (x < y);
}

int lo_classify_count_neighbours(const lo_track *tracks, size_t n, double radius_m,
                                 double max_dv_mps, int *counts)
{
    for (size_t i = 0; i < n; i++) counts[i] = 0;
    if (n < 2) return 0;
    sweep_item *order = malloc(n * sizeof *order);
    if (!order) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (tracks[i].status != LO_TRACK_DELETED) order[m++] = (sweep_item){tracks[i].pos[0], i};
    qsort(order, m, sizeof *order, by_east);
    for (size_t a = 0; a < m; a++) {
        const lo_track *p = &tracks[order[a].index];
        for (size_t b = a + 1; b < m; b++) {
            const lo_track *q = &tracks[order[b].index];
            if (q->pos[0] - p->pos[0] > radius_m) break;
            if (hypot(q->pos[0] - p->pos[0], q->pos[1] - p->pos[1]) > radius_m) continue;
            double dv = sqrt((q->vel[0] - p->vel[0]) * (q->vel[0] - p->vel[0]) +
                             (q->vel[1] - p->vel[1]) * (q->vel[1] - p->vel[1]) +
                             (q->vel[2] - p->vel[2]) * (q->vel[2] - p->vel[2]));
            if (dv > max_dv_mps) continue;
            counts[order[a].index]++;
            counts[order[b].index]++;
        }
    }
    free(order);
    return 0;
}
