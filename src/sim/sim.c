/* The simulation engine: steps the targets on the kinematic grid, runs each sensor's scans
 * (beam crossing times, coverage, horizon, resolution cells, detection, noise, false alarms and
 * clutter), and hands plots out in time order, one scan per sensor in memory at a time.
 * The model is described in docs/simulator.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/geo.h"
#include "lookout/sim.h"
#include "sim/sim_internal.h"

/* More thermal false alarms than this per scan, or more clutter plots from all patches, is a
 * configuration mistake (lo_sim_new). */
#define SIM_MAX_FALSE_ALARMS_PER_SCAN 100000

/* What made a buffered plot: a target (its class, 0 .. LO_CLASS_COUNT - 1) or a clutter source.
 * Kept beside the plot so that counting needs no lookup into the targets. */
enum plot_source { SRC_THERMAL = 100, SRC_GROUND, SRC_RAIN, SRC_TURBINE, SRC_SPLIT = 128 };

/* One return in the current scan before detection; targets in one resolution cell merge. */
typedef struct cand {
    uint64_t key;
    double t, snr, best_snr;
    double sum_r, sum_az, sum_el, sum_vr, sum_vr2; /* SNR-weighted sums */
    uint32_t truth_id;
    int target;                            /* index of the strongest contributor */
} cand;

typedef struct hash_slot {
    uint64_t key;
    uint32_t stamp;
    int32_t index;
} hash_slot;

typedef struct order_key {
    double t, az;
    uint32_t index;
} order_key;

typedef struct sensor_rt {
    const lo_sensor *s;
    const lo_enu_frame *frame;
    double M[9], c[3];         /* system ENU -> this sensor's ENU (an exact affine map) */
    uint64_t scan;
    double t_next;
    double omega;              /* rad/s of a rotating beam */
    double threshold;          /* on noise-normalised power */
    double snr_k;              /* SNR = snr_k * rcs / R^4 */
    double fa_mean;            /* thermal false alarms per scan */
    double horizon_m;          /* radar horizon of the antenna over smooth ground */
    double two_k_r;            /* 2 k R for the target's horizon term */
    double max_r2;
    /* the current scan's plots */
    lo_plot *plots;
    uint8_t *source;
    order_key *order;
    size_t n, cap, head;
} sensor_rt;

struct lo_sim {
    const lo_site *site;
    sim_scenario sc;
    sim_world world;
    lo_rng rng;                /* radar and clutter draws */
    lo_rng md_rng;             /* Doppler-spread measurement noise: a stream of its own, so a
                                  radar measuring it sees the same plots as one that does not */
    double t0, t_end, step, truth_rate;
    uint64_t n_steps, n_truth;
    double tw, next_truth_t;
    int n_sensors;
    sensor_rt *sr;
    cand *cands;
    size_t n_cands, cap_cands;
    hash_slot *hash;
    size_t hash_mask;
    uint32_t stamp;
    order_key *sort_tmp;       /* scratch of the scan sort */
    uint32_t *sort_count;
    size_t cap_sort;
    uint32_t *id_to_target;    /* truth_id -> target index */
    uint32_t max_id;
    lo_sim_truth_fn truth_fn;
    void *truth_ctx;
    bool finished;
    lo_sim_stats stats;
};

/* ---- geometry ---------------------------------------------------------------------------- */

static void sensor_affine(const lo_enu_frame *sys, const lo_enu_frame *sen, double M[9], double c[3])
{
    /* enu_s = R_s (R_sys^T enu + o_sys - o_s) */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double acc = 0;
            for (int k = 0; k < 3; k++) acc += sen->rot[3 * i + k] * sys->rot[3 * j + k];
            M[3 * i + j] = acc;
        }
        double acc = 0;
        for (int k = 0; k < 3; k++) acc += sen->rot[3 * i + k] * (sys->origin_ecef[k] - sen->origin_ecef[k]);
        c[i] = acc;
    }
}

static void to_sensor(const lo_sim *sim, const sensor_rt *sr, const double p[3], const double v[3],
                      double e[3], double ve[3])
{
    double enu[3], venu[3];
    sim_flat_to_enu(&sim->world, p, v, enu, venu);
    const double *M = sr->M;
    for (int i = 0; i < 3; i++) {
        e[i] = M[3 * i] * enu[0] + M[3 * i + 1] * enu[1] + M[3 * i + 2] * enu[2] + sr->c[i];
        ve[i] = M[3 * i] * venu[0] + M[3 * i + 1] * venu[1] + M[3 * i + 2] * venu[2];
    }
}

double sim_sensor_false_alarm_mean(const lo_sensor *s)
{
    double nr = ceil((s->max_range_m - s->min_range_m) / s->range_cell_m);
    double na = ceil(2 * LO_PI / s->beamwidth_az_rad);
    double ne = 1;
    if (s->has_elevation && s->beamwidth_el_rad > 0)
        ne = fmax(1, ceil((s->max_elevation_rad - s->min_elevation_rad) / s->beamwidth_el_rad));
    return s->pfa * nr * na * ne;
}

/* ---- truth ---------------------------------------------------------------------------------- */

static void emit_truth_until(lo_sim *sim, double limit)
{
    while (sim->next_truth_t < limit - 1e-9 && sim->next_truth_t < sim->t_end - 1e-9) {
        double tt = sim->next_truth_t;
        for (int i = 0; i < sim->world.n_targets; i++) {
            const sim_target *tg = &sim->world.targets[i];
            if (!tg->truth_id || tt < tg->t_start - 1e-9 || tt >= tg->t_end) continue;
            double p[3], v[3];
            lo_truth tr = {.t = tt, .truth_id = tg->truth_id, .cls = tg->cls};
            sim_target_at(tg, tt, p, v);
            /* Impacts are found when the model steps past them: a sample extrapolated below
             * the ground is after the end. */
            if (p[2] < -0.5) continue;
            sim_flat_to_enu(&sim->world, p, v, tr.pos, tr.vel);
            sim->stats.truth_samples++;
            if (sim->truth_fn) sim->truth_fn(sim->truth_ctx, &tr);
        }
        sim->n_truth++;
        sim->next_truth_t = sim->t0 + (double)sim->n_truth * sim->truth_rate;
    }
}

static void advance_world(lo_sim *sim, double t)
{
    while (sim->tw + sim->step <= t + 1e-9) {
        emit_truth_until(sim, sim->tw + sim->step);
        sim_world_step(&sim->world, sim->tw, sim->step);
        sim->n_steps++;
        sim->tw = sim->t0 + (double)sim->n_steps * sim->step;
    }
}

/* ---- one scan ----------------------------------------------------------------------------- */

static lo_plot *new_plot(sensor_rt *sr, uint8_t source)
{
    if (sr->n == sr->cap) {
        size_t cap = sr->cap ? 2 * sr->cap : 256;
        lo_plot *np = realloc(sr->plots, cap * sizeof *np);
        if (!np) return NULL;
        sr->plots = np;
        uint8_t *ns = realloc(sr->source, cap);
        if (!ns) return NULL;
        sr->source = ns;
        order_key *no = realloc(sr->order, cap * sizeof *no);
        if (!no) return NULL;
        sr->order = no;
        sr->cap = cap;
    }
    lo_plot *p = &sr->plots[sr->n];
    memset(p, 0, sizeof *p);
    p->sensor_id = sr->s->id;
    sr->source[sr->n] = source;
    sr->n++;
    return p;
}

static cand *add_cand(lo_sim *sim, uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & sim->hash_mask;
    for (;;) {
        hash_slot *slot = &sim->hash[h];
        if (slot->stamp != sim->stamp) {
            if (sim->n_cands == sim->cap_cands) return NULL; /* cannot happen: sized to targets */
            slot->stamp = sim->stamp;
            slot->key = key;
            slot->index = (int32_t)sim->n_cands;
            cand *c = &sim->cands[sim->n_cands++];
            memset(c, 0, sizeof *c);
            c->key = key;
            return c;
        }
        if (slot->key == key) return &sim->cands[slot->index];
        h = (h + 1) & sim->hash_mask;
    }
}

static double beam_time(const sensor_rt *sr, double ts, double az)
{
    if (sr->s->kind != LO_SENSOR_ROTATING) return ts;
    return ts + sim_wrap_2pi(az - sr->s->north_azimuth_rad) / sr->omega;
}

/* `spread` is the return's true Doppler RMS width (m/s); a radar that measures it reports it
 * widened by its own resolution (taken as its radial-velocity sigma) with a 15% log-normal
 * estimation error. */
static void fill_polar(lo_sim *sim, const sensor_rt *sr, lo_plot *p, double r, double az,
                       double el, double vr, double snr_meas, double spread)
{
    const lo_sensor *s = sr->s;
    p->flags = LO_PLOT_POLAR | LO_PLOT_SNR | LO_PLOT_SIGMAS;
    double f = lo_radar_sigma_factor(snr_meas, sim->sc.sigma_knee_snr);
    p->sigma_range_m = s->sigma_range_m * f;
    p->sigma_azimuth_rad = s->sigma_azimuth_rad * f;
    p->range_m = r;
    p->azimuth_rad = sim_wrap_2pi(az);
    if (s->has_elevation) {
        p->flags |= LO_PLOT_ELEVATION;
        p->sigma_elevation_rad = s->sigma_elevation_rad * f;
        p->elevation_rad = el;
    }
    if (s->measures_radial_velocity) {
        p->flags |= LO_PLOT_RADIAL_VEL;
        p->sigma_radial_velocity_mps = s->sigma_radial_velocity_mps * f;
        p->radial_velocity_mps = vr;
        if (s->measures_doppler_spread) {
            double floor = s->sigma_radial_velocity_mps;
            p->flags |= LO_PLOT_DOPPLER_SPREAD;
            p->doppler_spread_mps = sqrt(spread * spread + floor * floor) *
                                    exp(0.15 * lo_rng_normal(&sim->md_rng));
        }
    }
    p->snr_db = 10 * log10(snr_meas);
}

/* Clutter that is not a target: thermal noise, ground patches and rain. Each is a detection
 * already (its power is drawn above the threshold), placed at random in its region. */
static void clutter_plot(lo_sim *sim, sensor_rt *sr, double ts, uint8_t source, double x, double y,
                         double a, double vx, double vy, double snr_mean, double doppler_sigma)
{
    double p[3] = {x, y, a}, v[3] = {vx, vy, 0}, e[3], ve[3], r, az, el;
    to_sensor(sim, sr, p, v, e, ve);
    lo_sensor_enu_to_polar(sr->frame, sim->site->propagation, e, &r, &az, &el);
    const lo_sensor *s = sr->s;
    if (r < s->min_range_m || r > s->max_range_m) return;
    if (el < s->min_elevation_rad || el > s->max_elevation_rad) return;
    double vr = (e[0] * ve[0] + e[1] * ve[1] + e[2] * ve[2]) / r + doppler_sigma * lo_rng_normal(&sim->rng);
    lo_plot *pl = new_plot(sr, source);
    if (!pl) return;
    double snr = sr->threshold - 1 + snr_mean * lo_rng_exponential(&sim->rng);
    fill_polar(sim, sr, pl, r + s->sigma_range_m * lo_rng_normal(&sim->rng),
               az + s->sigma_azimuth_rad * lo_rng_normal(&sim->rng),
               el + s->sigma_elevation_rad * lo_rng_normal(&sim->rng), vr, snr, doppler_sigma);
    pl->t = beam_time(sr, ts, az);
}

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->az != y->az) return x->az < y->az ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Put the scan's plots in time order: a bucket sort on time (plots spread evenly over the
 * scan), then insertion sort inside each bucket. O(n), where qsort was a tenth of the run.
 * A staring radar's plots share one time: they are bucketed by azimuth, their next key. */
static void sort_scan(lo_sim *sim, sensor_rt *sr, double ts, double T)
{
    size_t n = sr->n;
    /* An empty scan has nothing to order, and before the first non-empty one the sort
     * buffers do not exist yet (memset of a NULL count array). */
    if (n == 0) return;
    if (n > sim->cap_sort) {
        size_t cap = n + n / 2;
        order_key *nt = realloc(sim->sort_tmp, cap * sizeof *nt);
        uint32_t *nc = realloc(sim->sort_count, (cap / 4 + 2) * sizeof *nc);
        if (nt) sim->sort_tmp = nt;
        if (nc) sim->sort_count = nc;
        if (!nt || !nc) { /* out of memory: fall back to qsort */
            for (size_t k = 0; k < n; k++)
                sr->order[k] = (order_key){sr->plots[k].t, sr->plots[k].azimuth_rad, (uint32_t)k};
            qsort(sr->order, n, sizeof *sr->order, cmp_order);
            return;
        }
        sim->cap_sort = cap;
    }
    size_t nb = n / 4 + 1;
    uint32_t *count = sim->sort_count;
    order_key *tmp = sim->sort_tmp;
    memset(count, 0, (nb + 1) * sizeof *count);
    const bool by_time = sr->s->kind == LO_SENSOR_ROTATING;
    double scale = by_time ? (double)nb / T : (double)nb / (2 * LO_PI);
    for (size_t k = 0; k < n; k++) {
        double t = sr->plots[k].t;
        tmp[k] = (order_key){t, sr->plots[k].azimuth_rad, (uint32_t)k};
        double f = (by_time ? t - ts : tmp[k].az) * scale;
        size_t b = f <= 0 ? 0 : (f >= (double)nb ? nb - 1 : (size_t)f);
        count[b + 1]++;
    }
    for (size_t b = 0; b < nb; b++) count[b + 1] += count[b];
    for (size_t k = 0; k < n; k++) {
        double f = (by_time ? tmp[k].t - ts : tmp[k].az) * scale;
        size_t b = f <= 0 ? 0 : (f >= (double)nb ? nb - 1 : (size_t)f);
        sr->order[count[b]++] = tmp[k];
    }
    /* count[b] is now the end of bucket b; insertion-sort each bucket. */
    size_t begin = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t end = count[b];
        for (size_t i = begin + 1; i < end; i++) {
            order_key key = sr->order[i];
            size_t j = i;
            while (j > begin && cmp_order(&sr->order[j - 1], &key) > 0) {
                sr->order[j] = sr->order[j - 1];
                j--;
            }
            sr->order[j] = key;
        }
        begin = end;
    }
}

static void gen_scan(lo_sim *sim, sensor_rt *sr)
{
    const lo_sensor *s = sr->s;
    const double ts = sr->t_next, T = s->scan_period_s;
    const bool rot = s->kind == LO_SENSOR_ROTATING;
    advance_world(sim, ts);
    sr->n = sr->head = 0;
    sim->n_cands = 0;
    sim->stamp++;
    const double inv_rc = 1.0 / s->range_cell_m, inv_baz = 1.0 / s->beamwidth_az_rad;
    const double inv_bel = s->has_elevation && s->beamwidth_el_rad > 0 ? 1.0 / s->beamwidth_el_rad : 0;

    for (int i = 0; i < sim->world.n_targets; i++) {
        const sim_target *tg = &sim->world.targets[i];
        if (tg->t_end <= ts || tg->t_start >= ts + T) continue;
        double p[3], v[3], e[3], ve[3];
        double tc = ts;
        sim_target_at(tg, ts, p, v);
        to_sensor(sim, sr, p, v, e, ve);
        double rho2 = e[0] * e[0] + e[1] * e[1];
        if (rho2 + e[2] * e[2] > sr->max_r2) continue;
        if (rot) {
            /* When does the beam cross it? Beam: north + omega tau; target: az0 + azdot tau. */
            double az0 = sim_fast_atan2(e[0], e[1]);
            double azdot = rho2 > 1e-6 ? (e[1] * ve[0] - e[0] * ve[1]) / rho2 : 0;
            double tau = sim_wrap_2pi(az0 - s->north_azimuth_rad) / (sr->omega - azdot);
            if (!(tau >= 0 && tau < T)) continue; /* crosses in the next scan */
            tc = ts + tau;
            sim_target_at(tg, tc, p, v);
            to_sensor(sim, sr, p, v, e, ve);
            rho2 = e[0] * e[0] + e[1] * e[1];
        }
        if (tc < tg->t_start || tc >= tg->t_end) continue;
        /* Smooth-earth horizon with the k-factor of the propagation model. */
        double agl = p[2];
        if (agl < -0.5 || sqrt(rho2) > sr->horizon_m + sqrt(sr->two_k_r * fmax(agl, 0))) {
            sim->stats.masked++;
            continue;
        }
        double r, az, el;
        lo_sensor_enu_to_polar(sr->frame, sim->site->propagation, e, &r, &az, &el);
        if (r > s->max_range_m) continue;
        if (r < s->min_range_m || el < s->min_elevation_rad || el > s->max_elevation_rad) {
            sim->stats.masked++;
            continue;
        }
        double rcs = tg->rcs_m2;
        if (tg->wingbeat_hz > 0)
            /* Time from the scenario start keeps the argument small (fast and accurate). */
            rcs *= 1 + tg->wingbeat_depth * sin(2 * LO_PI * tg->wingbeat_hz * (tc - sim->t0) + tg->wingbeat_phase);
        double r2 = r * r, snr = sr->snr_k * rcs / (r2 * r2);
        double vr = (e[0] * ve[0] + e[1] * ve[1] + e[2] * ve[2]) / r;
        if (tg->doppler_spread_mps > 0)
            vr = lo_rng_range(&sim->rng, -tg->doppler_spread_mps, tg->doppler_spread_mps);
        uint64_t rc = (uint64_t)(r * inv_rc), ac = (uint64_t)(sim_wrap_2pi(az) * inv_baz);
        uint64_t ec = inv_bel > 0 ? (uint64_t)((el + LO_PI / 2) * inv_bel) : 0;
        uint64_t key = (rc << 40) ^ (ac << 20) ^ ec;
        cand *c = add_cand(sim, key);
        if (!c) continue;
        if (c->snr > 0) sim->stats.merged++;
        else sim->stats.looks++;
        c->snr += snr;
        c->sum_r += snr * r;
        c->sum_az += snr * az;
        c->sum_el += snr * el;
        c->sum_vr += snr * vr;
        c->sum_vr2 += snr * vr * vr;
        if (snr > c->best_snr) {
            c->best_snr = snr;
            c->t = tc;
            c->truth_id = tg->truth_id;
            c->target = i;
        }
    }

    /* Detection and measurement of each resolution cell's return, in a fixed order. */
    for (size_t k = 0; k < sim->n_cands; k++) {
        const cand *c = &sim->cands[k];
        const sim_target *tg = &sim->world.targets[c->target];
        double power = lo_radar_look(&sim->rng, tg->swerling, c->snr);
        int band = (int)(c->sum_r / c->snr / LO_SIM_RANGE_BAND_M);
        if (band >= LO_SIM_RANGE_BANDS) band = LO_SIM_RANGE_BANDS - 1;
        if (tg->truth_id) sim->stats.cell_looks_by_range[band]++;
        if (power <= sr->threshold) {
            sim->stats.missed++;
            continue;
        }
        if (tg->truth_id) sim->stats.detected_by_range[band]++;
        double meas = power - 1; /* the SNR estimate a radar would report */
        double f = lo_radar_sigma_factor(meas, sim->sc.sigma_knee_snr);
        double r = c->sum_r / c->snr, az = c->sum_az / c->snr, el = c->sum_el / c->snr;
        double vr = c->sum_vr / c->snr;
        /* Doppler width, for a radar that measures it: the merged returns' spread of radial
         * velocities (a flock in one cell), the strongest one's body modulation, and its
         * blades where they show. */
        double spread = 0;
        if (s->measures_doppler_spread) {
            double spread2 = fmax(0.0, c->sum_vr2 / c->snr - vr * vr) + tg->md_body_mps * tg->md_body_mps;
            if (tg->md_catch > 0 && 10 * log10(meas) + tg->md_blade_db >= SIM_MD_VISIBLE_DB &&
                lo_rng_uniform(&sim->md_rng) < tg->md_catch)
                spread2 += tg->md_blade_mps * tg->md_blade_mps;
            spread = sqrt(spread2);
        }
        lo_plot *p = new_plot(sr, tg->truth_id ? (uint8_t)tg->cls : SRC_TURBINE);
        if (!p) break;
        double mr = r + s->bias_range_m + s->sigma_range_m * f * lo_rng_normal(&sim->rng);
        double maz = az + s->bias_azimuth_rad + s->sigma_azimuth_rad * f * lo_rng_normal(&sim->rng);
        double mel = el + s->sigma_elevation_rad * f * lo_rng_normal(&sim->rng);
        double mvr = vr + s->sigma_radial_velocity_mps * f * lo_rng_normal(&sim->rng);
        fill_polar(sim, sr, p, mr, maz, mel, mvr, meas, spread);
        p->t = c->t;
        p->truth_id = c->truth_id;
        if (tg->ssr_flags) {
            /* A cooperative target answers the co-mounted secondary radar: its codes and its
             * pressure altitude (taken as the height above the ground plus the ground's height,
             * to 25 ft like Mode C). */
            if (tg->ssr_flags & 1) {
                p->flags |= LO_PLOT_MODE_S;
                p->mode_s_address = tg->mode_s;
            }
            if (tg->ssr_flags & 2) {
                p->flags |= LO_PLOT_MODE_3A;
                p->mode_3a = tg->mode_3a;
            }
            double pt[3], vt[3];
            sim_target_at(tg, c->t, pt, vt);
            double alt_ft = (pt[2] + sim->sc.ground_height_m) / LO_FT2M;
            p->flags |= LO_PLOT_FLIGHT_LVL;
            p->baro_altitude_m = 25.0 * floor(alt_ft / 25.0 + 0.5) * LO_FT2M;
        }
        if (sim->sc.split_probability > 0 && meas >= 100 && tg->truth_id &&
            lo_rng_uniform(&sim->rng) < sim->sc.split_probability) {
            /* A split return: the same echo reported again one range cell further out,
             * a little off in azimuth and 3-10 dB weaker. */
            lo_plot copy = *p;
            lo_plot *q = new_plot(sr, (uint8_t)(SRC_SPLIT | tg->cls));
            if (q) {
                *q = copy;
                q->range_m += s->range_cell_m * lo_rng_range(&sim->rng, 1.0, 1.5);
                q->azimuth_rad = sim_wrap_2pi(q->azimuth_rad + 0.25 * s->beamwidth_az_rad * lo_rng_normal(&sim->rng));
                q->snr_db -= lo_rng_range(&sim->rng, 3, 10);
            }
        }
    }

    /* Thermal false alarms: Poisson with mean pfa x cells, uniform over the cells. */
    if (sim->sc.thermal) {
        uint32_t n = lo_rng_poisson(&sim->rng, sr->fa_mean);
        for (uint32_t k = 0; k < n; k++) {
            double r = lo_rng_range(&sim->rng, s->min_range_m, s->max_range_m);
            double az = lo_rng_range(&sim->rng, 0, 2 * LO_PI);
            double el = lo_rng_range(&sim->rng, s->min_elevation_rad, s->max_elevation_rad);
            lo_plot *p = new_plot(sr, SRC_THERMAL);
            if (!p) break;
            double snr = sr->threshold - 1 + lo_rng_exponential(&sim->rng);
            /* A noise peak fills one Doppler bin: as narrow as the radar resolves. */
            fill_polar(sim, sr, p, r, az, el, lo_rng_range(&sim->rng, -50, 50), snr, 0.0);
            p->t = beam_time(sr, ts, az);
        }
    }
    for (int g = 0; g < sim->sc.n_ground + sim->sc.n_rain; g++) {
        bool rain = g >= sim->sc.n_ground;
        const sim_clutter_patch *cp = rain ? &sim->sc.rain[g - sim->sc.n_ground] : &sim->sc.ground[g];
        uint32_t n = lo_rng_poisson(&sim->rng, cp->plots_per_scan);
        double dt = ts - sim->t0;
        double cx = cp->center.x + cp->drift_east_mps * dt, cy = cp->center.y + cp->drift_north_mps * dt;
        double snr_mean = pow(10, cp->snr_db / 10);
        for (uint32_t k = 0; k < n; k++) {
            double rr = cp->radius_m * sqrt(lo_rng_uniform(&sim->rng));
            double th = lo_rng_range(&sim->rng, 0, 2 * LO_PI);
            double a = lo_rng_range(&sim->rng, 0, cp->height_m);
            clutter_plot(sim, sr, ts, rain ? SRC_RAIN : SRC_GROUND, cx + rr * sin(th), cy + rr * cos(th), a,
                         cp->drift_east_mps, cp->drift_north_mps, snr_mean, cp->doppler_sigma_mps);
        }
    }

    sort_scan(sim, sr, ts, T);
    sr->scan++;
    sr->t_next = sim->t0 + (double)sr->scan * T;
}

/* ---- public API ------------------------------------------------------------------------------ */

lo_sim *lo_sim_new(const lo_site *site, const lo_sim_options *opt, lo_diag_sink *sink)
{
    lo_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return NULL;
    sim->site = site;
    if (sim_scenario_parse(site, &sim->sc, sink) != 0) goto fail;
    if (opt && opt->has_seed) sim->sc.seed = opt->seed;
    if (opt && opt->duration_s > 0) sim->sc.duration_s = opt->duration_s;
    if (opt && opt->truth_rate_s > 0) sim->sc.truth_rate_s = opt->truth_rate_s;
    sim->t0 = sim->sc.start_t;
    sim->t_end = sim->t0 + sim->sc.duration_s;
    sim->step = sim->sc.step_s;
    sim->tw = sim->t0;
    sim->truth_rate = sim->sc.truth_rate_s > 0 ? sim->sc.truth_rate_s
                      : site->n_sensors > 0   ? site->sensors[0].scan_period_s
                                              : 1.0;
    sim->next_truth_t = sim->t0;
    lo_rng_seed(&sim->rng, sim->sc.seed, 1);
    lo_rng_seed(&sim->md_rng, sim->sc.seed, 2);

    sim->world.earth_radius_m = site->frame.earth_radius_m > 0 ? site->frame.earth_radius_m : 6371000.0;
    sim->world.ground_minus_ref_m = sim->sc.ground_height_m - site->reference.h;
    if (sim_world_build(&sim->world, &sim->sc, sim->t0, sink, site->path ? site->path : "<scenario>") != 0)
        goto fail;
    for (int i = 0; i < sim->world.n_targets; i++)
        if (sim->world.targets[i].truth_id > sim->max_id) sim->max_id = sim->world.targets[i].truth_id;
    sim->id_to_target = calloc((size_t)sim->max_id + 1, sizeof *sim->id_to_target);
    if (!sim->id_to_target) goto fail;
    for (int i = 0; i < sim->world.n_targets; i++)
        sim->id_to_target[sim->world.targets[i].truth_id] = (uint32_t)i;
    sim->stats.targets = sim->max_id;
    sim->stats.seed = sim->sc.seed;

    sim->cap_cands = (size_t)sim->world.n_targets + 1;
    sim->cands = malloc(sim->cap_cands * sizeof *sim->cands);
    size_t hs = 64;
    while (hs < 2 * sim->cap_cands) hs *= 2;
    sim->hash = calloc(hs, sizeof *sim->hash);
    sim->hash_mask = hs - 1;
    if (!sim->cands || !sim->hash) goto fail;

    /* Clutter patches each add their plots_per_scan (up to 10^4) to every scan of every
     * sensor; a few hundred patches would flood the run like a pfa near 1 does. */
    double clutter_per_scan = 0;
    for (int g = 0; g < sim->sc.n_ground; g++) clutter_per_scan += sim->sc.ground[g].plots_per_scan;
    for (int g = 0; g < sim->sc.n_rain; g++) clutter_per_scan += sim->sc.rain[g].plots_per_scan;
    if (clutter_per_scan > SIM_MAX_FALSE_ALARMS_PER_SCAN) {
        const lo_ynode *at = site->doc ? lo_ymap_get(site->doc, lo_ydoc_root(site->doc), "clutter") : NULL;
        lo_diag_report(sink, LO_DIAG_ERROR, site->path ? site->path : "<scenario>",
                       at ? lo_ynode_line(site->doc, at) : 0, at ? lo_ynode_column(site->doc, at) : 0,
                       -1, "clutter", "the ground and rain patches ask for %.3g plots per scan in all "
                       "(at most %g simulated): lower their plots_per_scan",
                       clutter_per_scan, (double)SIM_MAX_FALSE_ALARMS_PER_SCAN);
        goto fail;
    }

    sim->n_sensors = site->n_sensors;
    sim->sr = calloc((size_t)(site->n_sensors ? site->n_sensors : 1), sizeof *sim->sr);
    if (!sim->sr) goto fail;
    double k = site->propagation == LO_PROP_4_3_EARTH ? 4.0 / 3.0 : 1.0;
    for (int i = 0; i < site->n_sensors; i++) {
        sensor_rt *sr = &sim->sr[i];
        sr->s = &site->sensors[i];
        sr->frame = &site->sensor_frames[i];
        sensor_affine(&site->frame, sr->frame, sr->M, sr->c);
        sr->t_next = sim->t0;
        sr->omega = 2 * LO_PI / sr->s->scan_period_s;
        sr->threshold = lo_radar_threshold(sr->s->pfa);
        sr->snr_k = lo_radar_snr(sr->s, 1.0, 1.0);
        sr->fa_mean = sim_sensor_false_alarm_mean(sr->s);
        if (sim->sc.thermal && sr->fa_mean > SIM_MAX_FALSE_ALARMS_PER_SCAN) {
            /* pfa 0.999 over 10^5 cells asks for 10^5 plots every scan: the run would crawl
             * and hold them all in memory. Say which sensor and why instead. */
            char field[80];
            snprintf(field, sizeof field, "sensors[%d].pfa", i);
            /* A loaded site has no refused sensors, so sensors[i] is the file's i-th entry. */
            const lo_ynode *entry = NULL, *at = NULL;
            if (site->doc) {
                entry = lo_yseq_at(site->doc, lo_ymap_get(site->doc, lo_ydoc_root(site->doc), "sensors"),
                                   (size_t)i);
                at = lo_ymap_get(site->doc, entry, "pfa");
                if (!at) at = entry;
            }
            lo_diag_report(sink, LO_DIAG_ERROR, site->path ? site->path : "<scenario>",
                           site->doc ? lo_ynode_line(site->doc, at) : 0,
                           site->doc ? lo_ynode_column(site->doc, at) : 0, -1, field,
                           "sensor '%s': pfa %g over its %.3g resolution cells gives %.3g thermal "
                           "false alarms per scan (at most %g simulated): lower pfa, or turn "
                           "clutter.thermal off",
                           sr->s->name, sr->s->pfa, sr->fa_mean / sr->s->pfa, sr->fa_mean,
                           (double)SIM_MAX_FALSE_ALARMS_PER_SCAN);
            goto fail;
        }
        sr->two_k_r = 2 * k * sim->world.earth_radius_m;
        double ha = fmax(1.0, sr->s->height_m - sim->sc.ground_height_m);
        sr->horizon_m = sqrt(sr->two_k_r * ha);
        double mr = sr->s->max_range_m * 1.01 + 100;
        sr->max_r2 = mr * mr;
    }
    return sim;
fail:
    lo_sim_free(sim);
    return NULL;
}

void lo_sim_free(lo_sim *sim)
{
    if (!sim) return;
    for (int i = 0; i < sim->n_sensors && sim->sr; i++) {
        free(sim->sr[i].plots);
        free(sim->sr[i].source);
        free(sim->sr[i].order);
    }
    free(sim->sr);
    free(sim->cands);
    free(sim->hash);
    free(sim->sort_tmp);
    free(sim->sort_count);
    free(sim->id_to_target);
    sim_world_free(&sim->world);
    sim_scenario_free(&sim->sc);
    free(sim);
}

void lo_sim_set_truth_callback(lo_sim *sim, lo_sim_truth_fn fn, void *ctx)
{
    sim->truth_fn = fn;
    sim->truth_ctx = ctx;
}

int lo_sim_next_plot(lo_sim *sim, lo_plot *out)
{
    if (sim->finished) return 0;
    for (;;) {
        int best = -1, next_scan = -1;
        double best_t = INFINITY, next_t = INFINITY;
        for (int i = 0; i < sim->n_sensors; i++) {
            sensor_rt *sr = &sim->sr[i];
            if (sr->head < sr->n) {
                double t = sr->order[sr->head].t;
                if (t < best_t) {
                    best_t = t;
                    best = i;
                }
            }
            if (sr->t_next < sim->t_end - 1e-9 && sr->t_next < next_t) {
                next_t = sr->t_next;
                next_scan = i;
            }
        }
        if (best >= 0 && best_t <= next_t) {
            sensor_rt *sr = &sim->sr[best];
            uint32_t idx = sr->order[sr->head++].index;
            /* Plots sit in target order and leave in time order: fetch the next one early. */
            if (sr->head < sr->n) __builtin_prefetch(&sr->plots[sr->order[sr->head].index]);
            if (best_t >= sim->t_end) continue; /* the last scan ran past the end */
            *out = sr->plots[idx];
            sim->stats.plots++;
            switch (sr->source[idx]) {
            case SRC_THERMAL: sim->stats.thermal++; sim->stats.false_alarms++; break;
            case SRC_GROUND: sim->stats.ground_clutter++; sim->stats.false_alarms++; break;
            case SRC_RAIN: sim->stats.rain++; sim->stats.false_alarms++; break;
            case SRC_TURBINE: sim->stats.turbine++; sim->stats.false_alarms++; break;
            default:
                if (sr->source[idx] & SRC_SPLIT) sim->stats.split++;
                sim->stats.detections[sr->source[idx] & ~SRC_SPLIT]++;
                break;
            }
            return 1;
        }
        if (next_scan < 0) {
            advance_world(sim, sim->t_end);
            emit_truth_until(sim, sim->t_end);
            sim->finished = true;
            return 0;
        }
        gen_scan(sim, &sim->sr[next_scan]);
    }
}

double lo_sim_start_time(const lo_sim *sim) { return sim->t0; }
double lo_sim_end_time(const lo_sim *sim) { return sim->t_end; }
void lo_sim_get_stats(const lo_sim *sim, lo_sim_stats *out) { *out = sim->stats; }

bool lo_sim_truth_info(const lo_sim *sim, uint32_t truth_id, lo_class *cls, const char **name)
{
    if (truth_id == 0 || truth_id > sim->max_id) return false;
    const sim_target *tg = &sim->world.targets[sim->id_to_target[truth_id]];
    if (cls) *cls = tg->cls;
    if (name) *name = sim_target_name(&sim->world, (int)sim->id_to_target[truth_id]);
    return true;
}
