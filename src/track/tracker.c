/*
 * tracker.c: the multi-target tracker (see tracker.h and docs/tracker.md).
 *
 * Flow of one plot: lo_tracker_add_plot puts it in a time-ordered heap; lo_tracker_advance
 * pops the plots older than the reorder window and groups consecutive plots of one sensor
 * within batch_window_s into a batch. A batch is processed in one pass:
 *
 *   1. hypothesiser: each plot looks up the track grid (tracks are inserted in every cell
 *      their gate can reach until the grid is rebuilt); each candidate track is predicted
 *      (IMM mixing + model prediction) to the batch time and the chi-square gate is applied
 *      to the 3-D innovation of the converted measurement.
 *   2. associator: tracks and plots linked by gated pairs form clusters (union-find); each
 *      cluster is solved by GNN (lo_assign_solve with a miss column per track) or JPDA.
 *   3. updater: Kalman / PDA updates, IMM model probabilities, radial velocity, SPRT score.
 *   4. initiator: plots no track took pair with lone plots (seeds) from earlier scans under
 *      per-class speed limits; a pair starts a tentative track; the rest become seeds.
 *   5. clutter map: plots no confirmed track took raise their cell's false-alarm rate.
 *
 * Housekeeping (misses, coasting, deletion, merging) runs as data time passes.
 * Tracks live in slots of contiguous arrays (header + models), reused through a free list;
 * track ids are a counter and never reused.
 */
/* Small fixed-size loops: -O3 unrolls and vectorises them (measured ~10% on bench_track). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "lookout/tracker.h"

#include <math.h>
#include <stdio.h> /* stdio, time: the LO_TRACK_DEBUG per-batch timing only */
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"
#include "lookout/linalg.h"
#include "track/grid.h"
#include "track/track_internal.h"

#define GRID_INTERVAL_S 0.5       /* track grid rebuilt this often (data time) */
#define HOUSEKEEPING_INTERVAL_S 0.1
#define MERGE_INTERVAL_S 1.0
#define MERGE_CHECKS 5            /* close at this many consecutive checks: a duplicate, not
                                     a crossing */
#define DEFAULT_REVISIT_S 1.0
#define ACCEL_SLACK_MPS2 30.0     /* manoeuvre allowance of the coarse grid radius */
#define MAX_PDA_PLOTS 8
#define DOPPLER_MANOEUVRE_MPS 5.0
#define INIT_CLIMB_SIGMA_MPS 20.0
#define CMAP_DOPPLER_MIN_SIGMA_MPS 0.5 /* least Doppler spread of a cell's clutter */
#ifndef CMAP_WARMUP_MIN_SHARE
#define CMAP_WARMUP_MIN_SHARE 0.25 /* the warm-up correction is at most 4 times */
#endif
#define CONFIRM_MIN_FREE_PLOTS 3.0 /* confirm_threshold: plots a cell must have learned, */
#define CONFIRM_STATIONARY_MPS 2.0 /* and the most Doppler mean and spread of its clutter */
#ifndef CMAP_TENTATIVE_WEIGHT
#define CMAP_TENTATIVE_WEIGHT 1.0
#endif
#ifndef MN_MIN_SCORE
#define MN_MIN_SCORE 3.0
#endif
#define LN_2PI 1.8378770664093453

typedef struct trk {
    uint32_t id;                  /* 0: free slot */
    lo_track_status status;
    bool reported;
    uint32_t n_updates;
    double t;                     /* time of the model states */
    double t_first, t_confirmed, t_last_update, t_expect;
    double revisit_s;
    double score, score_max;
    uint32_t looks;               /* last expected looks, newest in bit 0: 1 plot, 0 miss */
    double pv[6], pv_cov[36];     /* combined estimate at t */
    double mu[LO_MAX_MODELS];
    /* The last associated plot. */
    uint16_t last_sensor_id;
    uint16_t mode_3a;
    uint32_t last_flags, mode_s_address, last_truth_id;
    double last_plot_t, last_snr_db;
    float last_doppler_spread;    /* with LO_PLOT_DOPPLER_SPREAD in last_flags */
    /* Per-batch scratch. */
    uint32_t merge_partner;       /* id of a track found close at the last merge checks */
    int merge_hits;               /* consecutive checks it was close */
    uint32_t merge_seen;          /* merge check serial at which a partner was seen */
    uint32_t merge_last;          /* serial of the last check that found merge_partner close */
    uint32_t seen_serial;         /* dedupe of grid hits per plot */
    uint32_t batch_serial;        /* candidate in the current batch when equal */
    int32_t cand_head;            /* first candidate pair */
    int32_t node;                 /* union-find node index in this batch */
    bool updated;
} trk;

/* What the gating pass reads for every grid hit, one cache line per track: the horizontal
 * state at time t and the terms of the gate reach (see gate_reach). */
typedef struct trk_hot {
    double x, y, vx, vy, t;
    float tr_pos, tr_cross, tr_vel; /* horizontal traces of P_pp, |P_pv|, P_vv */
    uint32_t id;                    /* 0: free slot */
    uint32_t seen;                  /* dedupe of grid hits per plot */
    uint8_t n_updates;              /* trk.n_updates, at most 255: merge checks read it */
} trk_hot;

typedef struct cand_pair {
    int32_t slot, plot;
    int32_t next;                 /* next pair of the same track */
    double loglik;                /* combined log N(y; 0, S) */
    bool gated;
} cand_pair;

/* A seed (a plot no track took, waiting for a second one) is split in two arrays: what the
 * initiation's grid look-ups test for every seed in reach (one cache line), and the plot
 * itself, read only for the few pairs that pass those tests. */
typedef struct seed {
    double enu[3], t;             /* the plot's */
    double revisit_s;
    double cov_bound;             /* sum of |enu_cov|: bounds the plot's variance along any line */
    uint32_t seen;                /* dedupe of grid hits per plot query */
    bool alive;
} seed;

/* 40 bytes: the averages need no more than float precision, and the time of the last
 * update is kept as seconds since the map's start (float: 0.06 s resolution after ten days,
 * against a memory of a minute); the map covers the whole area the radars see, so its cells
 * outnumber the tracks. */
typedef struct cmap_cell {
    int64_t key;
    float t;                      /* last update, seconds since cmap_t0 */
    float rate;                   /* false alarms per second in the cell (EWMA) */
    float z_sum, z2_sum;          /* the same weights times their height, height^2, */
    float zvar_sum;               /* and their vertical measurement variance */
    float rv_rate;                /* the weights of those with a radial velocity, */
    float rv_sum, rv2_sum;        /* times it and its square (ground clutter: near 0) */
} cmap_cell;

typedef struct heap_item {
    double t;
    uint64_t seq;
    int32_t plot;                 /* index into the plot pool */
    uint16_t sensor_id;
} heap_item;

struct lo_tracker {
    lo_tracker_config cfg;
    const lo_site *site;
    lo_track_report_fn report;
    void *report_ctx;

    double gate_d2;               /* chi-square(3) quantile of gate_probability */
    double log_confirm, log_delete;
    double ln_miss;               /* log(1 - Pd) */
    double vmax;                  /* fastest initiation class */
    double q_reach;               /* process-noise term of gate_reach: 2 q_max / 3 */

    /* Tracks: slot arrays. */
    trk *trk;
    trk_hot *hot;                 /* cap */
    double *kfmem;                /* cap * kf_stride: each model's x then its P triangle */
    int kf_stride;                /* doubles per slot: every model's x and P triangle */
    int32_t cap, n_slots;         /* slots in use: [0, n_slots) */
    int32_t *free_slots;
    int32_t n_free;
    double *due;                  /* per slot: next time housekeeping has work on it */
    size_t live;
    uint32_t next_id;

    /* Input queue. */
    heap_item *heap;              /* plots that arrived out of time order */
    size_t heap_n, heap_cap;      /* heap_cap: also the pool's and the fifo's size */
    heap_item *fifo;              /* plots that arrived in time order: [fifo_head, fifo_end) */
    size_t fifo_head, fifo_end;
    lo_plot *pool;                /* queued plots; free entries listed in pool_free */
    int32_t *pool_free;
    int32_t pool_n_free, pool_cap;
    uint64_t seq;
    double done_t;                /* everything up to here has been processed */
    double hk_next;               /* next housekeeping time (a multiple of its interval) */
    long hk_count;

    /* Batch scratch. */
    lo_plot **bp;                 /* the batch's plots, in the queue's pool until it is done */
    int32_t n_bp, cap_bp;
    double *bp_lambda;            /* clutter density per m^3 per plot */
    uint8_t *bp_used;             /* 0 free, 1 tentative track, 2 confirmed track */
    cand_pair *pairs, *pairs_tmp;
    int32_t n_pairs, cap_pairs, cap_pairs_tmp;
    int32_t *cand_tracks;
    int32_t n_cand, cap_cand;
    int32_t *uf;                  /* union-find parents: plots then candidate tracks */
    int32_t cap_uf;
    int32_t *assoc_i;             /* cluster bookkeeping of associate() */
    int32_t cap_assoc_i;
    uint32_t batch_serial, seen_serial, merge_serial;

    /* Spatial indexes. */
    lo_grid track_grid;
    double grid_t0;               /* grid valid for [grid_t0, grid_t0 + GRID_INTERVAL_S) */
    bool grid_valid;
    lo_grid seed_grid;
    lo_grid merge_grid;
    seed *seeds;
    lo_plot *seed_plots;          /* cap_seeds, parallel to seeds */
    int32_t n_seeds, cap_seeds;
    int32_t stale_seeds;

    /* Clutter map. */
    cmap_cell *cmap;
    uint32_t cmap_mask, cmap_n;
    double cmap_t0;               /* time of the map's first plot */

    lo_assign_workspace *assign_ws;
    double *scratch;              /* cost matrices, JPDA tables */
    size_t cap_scratch;
    int32_t *iscratch;
    size_t cap_iscratch;

    lo_tracker_stats stats;
};

/* ---------------------------------------------------------------------------------------- */
/* small helpers                                                                             */

static bool grow(void **p, size_t elem, int32_t *cap, int32_t need)
{
    if (need <= *cap) return true;
    int32_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, elem * (size_t)c);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static double *scratch_d(lo_tracker *t, size_t n)
{
    if (n > t->cap_scratch) {
        size_t c = t->cap_scratch ? t->cap_scratch : 1024;
        while (c < n) c *= 2;
        double *q = realloc(t->scratch, c * sizeof *q);
        if (!q) return NULL;
        t->scratch = q;
        t->cap_scratch = c;
    }
    return t->scratch;
}

static int32_t *scratch_i(lo_tracker *t, size_t n)
{
    if (n > t->cap_iscratch) {
        size_t c = t->cap_iscratch ? t->cap_iscratch : 1024;
        while (c < n) c *= 2;
        int32_t *q = realloc(t->iscratch, c * sizeof *q);
        if (!q) return NULL;
        t->iscratch = q;
        t->cap_iscratch = c;
    }
    return t->iscratch;
}

/* Chi-square quantile with 3 degrees of freedom (Wilson-Hilferty, then two Newton steps on
 * the exact CDF: P(chi2_3 <= x) = erf(sqrt(x/2)) - sqrt(2x/pi) exp(-x/2)). */
static double chi2_3_quantile(double p)
{
    double z;
    { /* normal quantile by bisection on erfc: fine, done once */
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; i++) {
            double mid = 0.5 * (lo + hi);
            if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid;
            else hi = mid;
        }
        z = 0.5 * (lo + hi);
    }
    double k = 3.0, h = 2.0 / (9.0 * k);
    double x = k * pow(1.0 - h + z * sqrt(h), 3.0);
    for (int i = 0; i < 20 && x > 0; i++) {
        double cdf = erf(sqrt(x / 2)) - sqrt(2 * x / LO_PI) * exp(-x / 2);
        double pdf = sqrt(x) * exp(-x / 2) / sqrt(2 * LO_PI);
        if (!(pdf > 0)) break;
        x -= (cdf - p) / pdf;
    }
    return x;
}

static const lo_sensor *find_sensor(const lo_tracker *t, uint16_t id, int *index)
{
    if (!t->site) return NULL;
    for (int i = 0; i < t->site->n_sensors; i++)
        if (t->site->sensors[i].id == id) {
            if (index) *index = i;
            return &t->site->sensors[i];
        }
    return NULL;
}

static double sensor_revisit(const lo_tracker *t, uint16_t id)
{
    const lo_sensor *s = find_sensor(t, id, NULL);
    return (s && s->scan_period_s > 0) ? s->scan_period_s : DEFAULT_REVISIT_S;
}

/* The model states are stored packed: x, then the upper triangle of P row by row (every
 * filter step leaves P exactly symmetric: lo_mat_symmetrize), n + n(n+1)/2 doubles per
 * model: 216 bytes for CV instead of 720, 928 for IMM(CV,CT,CA) instead of 2,160. They are
 * unpacked into lo_kf work copies around each filter step. */
/* With n a constant (the switches below), the compiler unrolls these into plain moves. */
static inline __attribute__((always_inline)) void unpack_sym(double *P, const double *src, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) P[i * n + j] = P[j * n + i] = *src++;
}

static inline __attribute__((always_inline)) void pack_sym(double *dst, const double *P, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) *dst++ = P[i * n + j];
}

static void load_kf(const lo_tracker *t, int32_t slot, lo_kf *kf)
{
    const double *src = t->kfmem + (size_t)slot * (size_t)t->kf_stride;
    for (int m = 0; m < t->cfg.n_models; m++) {
        int n = lo_model_dim(t->cfg.models[m]);
        memcpy(kf[m].x, src, sizeof(double) * (size_t)n);
        src += n;
        switch (n) {
        case 6: unpack_sym(kf[m].P, src, 6); break;
        case 7: unpack_sym(kf[m].P, src, 7); break;
        case 9: unpack_sym(kf[m].P, src, 9); break;
        default: unpack_sym(kf[m].P, src, n); break;
        }
        src += n * (n + 1) / 2;
    }
}

/* The states x only (P left unset). */
static void load_kf_states(const lo_tracker *t, int32_t slot, lo_kf *kf)
{
    const double *src = t->kfmem + (size_t)slot * (size_t)t->kf_stride;
    for (int m = 0; m < t->cfg.n_models; m++) {
        int n = lo_model_dim(t->cfg.models[m]);
        memcpy(kf[m].x, src, sizeof(double) * (size_t)n);
        src += n + n * (n + 1) / 2;
    }
}

static void store_kf(lo_tracker *t, int32_t slot, const lo_kf *kf)
{
    double *dst = t->kfmem + (size_t)slot * (size_t)t->kf_stride;
    for (int m = 0; m < t->cfg.n_models; m++) {
        int n = lo_model_dim(t->cfg.models[m]);
        memcpy(dst, kf[m].x, sizeof(double) * (size_t)n);
        dst += n;
        switch (n) {
        case 6: pack_sym(dst, kf[m].P, 6); break;
        case 7: pack_sym(dst, kf[m].P, 7); break;
        case 9: pack_sym(dst, kf[m].P, 9); break;
        default: pack_sym(dst, kf[m].P, n); break;
        }
        dst += n * (n + 1) / 2;
    }
}


/* ---------------------------------------------------------------------------------------- */
/* clutter map                                                                               */

static inline int64_t cmap_key(const lo_tracker *t, const double *enu)
{
    double c = t->cfg.clutter_map_cell_m;
    int64_t cx = (int64_t)floor(enu[0] / c), cy = (int64_t)floor(enu[1] / c);
    return (int64_t)(((uint64_t)cx << 32) ^ ((uint64_t)cy & 0xffffffffu));
}

static cmap_cell *cmap_find(lo_tracker *t, int64_t key, bool create)
{
    if (!t->cmap) {
        if (!create) return NULL;
        t->cmap_mask = 1023;
        t->cmap = calloc(t->cmap_mask + 1, sizeof *t->cmap);
        if (!t->cmap) return NULL;
        for (uint32_t i = 0; i <= t->cmap_mask; i++) t->cmap[i].key = INT64_MIN;
    }
    if (create && (uint64_t)(t->cmap_n + 1) * 4 > (uint64_t)(t->cmap_mask + 1) * 3) { /* load 3/4 */
        uint32_t size = (t->cmap_mask + 1) * 2;
        cmap_cell *n = malloc(size * sizeof *n);
        if (!n) return NULL;
        for (uint32_t i = 0; i < size; i++) n[i].key = INT64_MIN;
        for (uint32_t i = 0; i <= t->cmap_mask; i++) {
            if (t->cmap[i].key == INT64_MIN) continue;
            uint32_t b = (uint32_t)(((uint64_t)t->cmap[i].key * 0x9E3779B97F4A7C15ull) >> 32) & (size - 1);
            while (n[b].key != INT64_MIN) b = (b + 1) & (size - 1);
            n[b] = t->cmap[i];
        }
        free(t->cmap);
        t->cmap = n;
        t->cmap_mask = size - 1;
    }
    uint32_t b = (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & t->cmap_mask;
    while (t->cmap[b].key != INT64_MIN && t->cmap[b].key != key) b = (b + 1) & t->cmap_mask;
    if (t->cmap[b].key == INT64_MIN) {
        if (!create) return NULL;
        t->cmap[b].key = key;
        t->cmap[b].rate = 0;
        t->cmap[b].z_sum = t->cmap[b].z2_sum = t->cmap[b].zvar_sum = 0;
        t->cmap[b].rv_rate = t->cmap[b].rv_sum = t->cmap[b].rv2_sum = 0;
        t->cmap[b].t = 0;
        t->cmap_n++;
    }
    return &t->cmap[b];
}

/* A cell nobody has fed for this many memories (clutter_map_time_s) weighs e^-20 of its
 * last rate, nothing next to the configured floor: such cells are dropped when the table
 * would otherwise grow, so the map holds the clutter of the last while, not every cell
 * that ever had a plot. */
#define CMAP_FORGET_MEMORIES 20.0

/* Called at time `now` when one more cell would fill the table past 3/4: rehash without
 * the forgotten cells, into the same size when that leaves it at most half full, else
 * into twice the size (then cmap_find has room). */
static void cmap_forget(lo_tracker *t, double now)
{
    double forget_before = now - t->cmap_t0 - CMAP_FORGET_MEMORIES * t->cfg.clutter_map_time_s;
    uint32_t live = 0, old_size = t->cmap_mask + 1;
    for (uint32_t i = 0; i < old_size; i++)
        live += t->cmap[i].key != INT64_MIN && !((double)t->cmap[i].t < forget_before);
    if (live == t->cmap_n) return; /* nothing to forget: cmap_find doubles the table */
    uint32_t size = (uint64_t)(live + 1) * 2 > old_size ? old_size * 2 : old_size;
    cmap_cell *n = malloc(size * sizeof *n);
    if (!n) return;
    for (uint32_t i = 0; i < size; i++) n[i].key = INT64_MIN;
    for (uint32_t i = 0; i < old_size; i++) {
        if (t->cmap[i].key == INT64_MIN || (double)t->cmap[i].t < forget_before) continue;
        uint32_t b = (uint32_t)(((uint64_t)t->cmap[i].key * 0x9E3779B97F4A7C15ull) >> 32) & (size - 1);
        while (n[b].key != INT64_MIN) b = (b + 1) & (size - 1);
        n[b] = t->cmap[i];
    }
    free(t->cmap);
    t->cmap = n;
    t->cmap_mask = size - 1;
    t->cmap_n = live;
}

/* Prefetch the map's home bucket of `enu` (no effect on results: the plots of a batch look
 * the map up in an order that misses the caches once it outgrows them). */
static inline __attribute__((always_inline)) void cmap_prefetch(const lo_tracker *t, const double *enu)
{
    if (!t->cmap) return;
    uint64_t key = (uint64_t)cmap_key(t, enu);
    const char *c = (const char *)&t->cmap[(uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->cmap_mask];
    /* The home bucket and the next ones a linear probe reads (a miss probes ~3 at load 0.6). */
    __builtin_prefetch(c);
    __builtin_prefetch(c + 64);
    __builtin_prefetch(c + 128);
}

/* Prefetch a plot's fields that gating and updates read (time, enu, enu_cov). */
static inline __attribute__((always_inline)) void plot_prefetch(const lo_plot *p)
{
    __builtin_prefetch(&p->t);
    __builtin_prefetch(&p->enu[0]);
    __builtin_prefetch(&p->enu_cov[8]);
}

/* Prefetch a track slot's state that gate_track and the updates read and write. */
static inline __attribute__((always_inline)) void slot_prefetch(const lo_tracker *t, int32_t slot)
{
    const char *k = (const char *)&t->trk[slot];
    for (size_t off = 0; off < sizeof(trk); off += 64) __builtin_prefetch(k + off, 1);
    const char *kf = (const char *)(t->kfmem + (size_t)slot * (size_t)t->kf_stride);
    for (size_t off = 0; off < sizeof(double) * (size_t)t->kf_stride; off += 64) __builtin_prefetch(kf + off, 1);
}

/* False alarms per m^2 per look near `enu` for a sensor revisiting every `revisit_s`; with
 * `lambda3` also per m^3: the learned density spread over the cell's learned height spread
 * (ground clutter sits in a thin layer, thermal noise fills the whole clutter_height_m). */
static double clutter_doppler_factor(const lo_tracker *t, const cmap_cell *c, const lo_plot *p,
                                     double learned_share);

static double clutter_density2(lo_tracker *t, const double *enu, double time, double revisit_s,
                               double *lambda3, const lo_plot *doppler_plot)
{
    double lambda = t->cfg.clutter_density;
    if (lambda3) *lambda3 = lambda / t->cfg.clutter_height_m;
    if (!t->cfg.clutter_map) return lambda;
    cmap_cell *c = cmap_find(t, cmap_key(t, enu), false);
    if (!c) return lambda;
    double tau = t->cfg.clutter_map_time_s;
    double rate = c->rate * exp(-(time - t->cmap_t0 - c->t) / tau);
    /* The average starts at zero when the map starts: divide by the share of a full memory
     * that has elapsed, so that a clutter patch counts from its first scans instead of
     * confirming false tracks for the first minute. */
    /* At most 4 times: a target's own first plot in an empty map is not a clutter patch. */
    double elapsed = time - t->cmap_t0;
    double share = 1.0 - exp(-elapsed / tau);
    rate /= share > CMAP_WARMUP_MIN_SHARE ? share : CMAP_WARMUP_MIN_SHARE;
    double cell_area = t->cfg.clutter_map_cell_m * t->cfg.clutter_map_cell_m;
    double learned = rate * revisit_s / cell_area;
    if (lambda3 && c->rate > 0) {
        double mean = (double)c->z_sum / c->rate, var = (double)c->z2_sum / c->rate - mean * mean;
        /* Height spread of a Gaussian layer: the spread of the plots' heights plus their own
         * vertical error (large for 2D plots, whose height is a guess), at most the
         * configured extent. */
        double h = sqrt(2.0 * LO_PI * ((var > 0 ? var : 0) + (double)c->zvar_sum / c->rate + 10.0 * 10.0));
        if (h > t->cfg.clutter_height_m) h = t->cfg.clutter_height_m;
        double floor3 = *lambda3, learned3 = learned / h;
        if (learned3 > *lambda3) *lambda3 = learned3;
        if (doppler_plot) *lambda3 *= clutter_doppler_factor(t, c, doppler_plot, learned3 / (learned3 + floor3));
    }
    return learned > lambda ? learned : lambda;
}

/* The association's Doppler term (radial_likelihood) takes false alarms' radial velocities as
 * uniform over clutter_radial_span_mps. Ground clutter is not: it sits at zero Doppler, and a
 * zero-Doppler plot there is 10 to 100 times likelier clutter than that assumes, which let
 * tracks on a clutter patch confirm (green-zone.yaml: 5 to 13 false tracks in 10 minutes over
 * five seeds). So the map also learns each cell's Doppler mean and spread, and the density of
 * false alarms at a plot with a Doppler is scaled by the learned share of the clutter (a
 * Gaussian of the cell's Doppler) over the uniform: a moving target crossing the patch sees
 * less clutter than the plain map says, a zero-Doppler plot on the patch much more. Returns
 * the factor; 1 when the plot or the cell has no Doppler. */
static double clutter_doppler_factor(const lo_tracker *t, const cmap_cell *c, const lo_plot *p,
                                     double learned_share)
{
    if (!(p->flags & LO_PLOT_RADIAL_VEL) || !(c->rv_rate > 0) || !(c->rate > 0)) return 1.0;
    const lo_sensor *s = find_sensor(t, p->sensor_id, NULL);
    double sigma = p->sigma_radial_velocity_mps > 0 ? p->sigma_radial_velocity_mps
                                                    : (s ? s->sigma_radial_velocity_mps : 0);
    if (!(sigma > 0)) return 1.0; /* radial_likelihood ignores such a Doppler too */
    double mean = (double)c->rv_sum / c->rv_rate;
    double var = (double)c->rv2_sum / c->rv_rate - mean * mean;
    var = (var > 0 ? var : 0) + sigma * sigma + CMAP_DOPPLER_MIN_SIGMA_MPS * CMAP_DOPPLER_MIN_SIGMA_MPS;
    double share = learned_share * (double)c->rv_rate / c->rate;
    double dv = p->radial_velocity_mps - mean;
    double dens = exp(-0.5 * dv * dv / var) / sqrt(2.0 * LO_PI * var);
    return share * dens * t->cfg.clutter_radial_span_mps + (1.0 - share);
}

static void clutter_map_add(lo_tracker *t, const lo_plot *p, double w, double w_doppler)
{
    const double *enu = p->enu;
    double zvar = p->enu_cov[8], time = p->t;
    if (!t->cfg.clutter_map) return;
    if (isnan(t->cmap_t0)) t->cmap_t0 = time;
    if (t->cmap && (uint64_t)(t->cmap_n + 1) * 4 > (uint64_t)(t->cmap_mask + 1) * 3) cmap_forget(t, time);
    cmap_cell *c = cmap_find(t, cmap_key(t, enu), true);
    if (!c) return;
    double tau = t->cfg.clutter_map_time_s;
    double dt = time - t->cmap_t0 - c->t;
    double decay = dt > 0 ? exp(-dt / tau) : 1.0;
    c->rate = (float)(c->rate * decay + w / tau);
    c->z_sum = (float)(c->z_sum * decay + w * enu[2] / tau);
    c->z2_sum = (float)(c->z2_sum * decay + w * enu[2] * enu[2] / tau);
    c->zvar_sum = (float)(c->zvar_sum * decay + w * zvar / tau);
    double wr = (p->flags & LO_PLOT_RADIAL_VEL) ? w_doppler : 0.0, rv = wr > 0 ? p->radial_velocity_mps : 0.0;
    c->rv_rate = (float)(c->rv_rate * decay + wr / tau);
    c->rv_sum = (float)(c->rv_sum * decay + wr * rv / tau);
    c->rv2_sum = (float)(c->rv2_sum * decay + wr * rv * rv / tau);
    if (dt > 0) c->t = (float)(time - t->cmap_t0);
}

/* ---------------------------------------------------------------------------------------- */
/* configuration and lifetime                                                                */

void lo_tracker_config_default(lo_tracker_config *c)
{
    memset(c, 0, sizeof *c);
    c->association = LO_ASSOC_JPDA;
    c->n_models = 3;
    c->models[0] = LO_MODEL_CV;
    c->models[1] = LO_MODEL_CT;
    c->models[2] = LO_MODEL_CA;
    c->q_cv = 1.0;
    c->q_ct = 0.5;
    c->q_turn_rate = 0.01;
    c->q_ca = 1.0;
    c->q_ballistic = 0.5;
    c->q_drag = 1e-10;
    c->model_sojourn_s = 30.0;
    c->pd = 0.9;
    c->gate_probability = 0.9997;
    c->clutter_density = 1e-6;
    c->clutter_height_m = 1000.0;
    c->clutter_map = true;
    c->clutter_map_cell_m = 250.0;
    c->clutter_map_time_s = 60.0;
    c->clutter_radial_span_mps = 200.0;
    static const lo_init_class classes[] = {
        {"drone", 60.0, false},
        {"bird", 35.0, false},
        {"aircraft", 300.0, false},
        {"ballistic", 900.0, true},
    };
    c->n_init_classes = (int)(sizeof classes / sizeof classes[0]);
    memcpy(c->init_classes, classes, sizeof classes);
    c->init_max_gap_s = 3.5;
    c->false_confirm_prob = 1e-3;
    c->true_delete_prob = 0.1;
    c->delete_score_drop = 8.0;
    c->max_coast_s = 6.0;
    c->merge_distance_sigma = 3.0;
    c->reorder_window_s = 0.5;
    c->batch_window_s = 0.1;
    c->grid_cell_m = 1000.0;
    c->jpda_max_hypotheses = 2000;
    c->jpda_star = false;
    c->confirm_clutter_scaled = true;
    c->default_height_m = 100.0;
    c->report_tentative = false;
}

static int cmp_model(const void *a, const void *b)
{
    return *(const lo_motion_model *)a - *(const lo_motion_model *)b;
}

lo_tracker *lo_tracker_new(const lo_site *site, const lo_tracker_config *cfg)
{
    lo_tracker_config c;
    if (cfg) c = *cfg;
    else lo_tracker_config_default(&c);
    if (c.n_models < 1 || c.n_models > LO_MAX_MODELS) return NULL;
    qsort(c.models, (size_t)c.n_models, sizeof c.models[0], cmp_model);
    for (int i = 0; i < c.n_models; i++) {
        if (c.models[i] < 0 || c.models[i] >= LO_MODEL_COUNT) return NULL;
        if (i && c.models[i] == c.models[i - 1]) return NULL;
    }
    if (!(c.pd > 0 && c.pd < 1) || !(c.gate_probability > 0.5 && c.gate_probability < 1) ||
        !(c.clutter_density > 0) || !(c.clutter_height_m > 0) || c.n_init_classes < 1 ||
        !(c.false_confirm_prob > 0 && c.false_confirm_prob < 0.5) ||
        !(c.true_delete_prob > 0 && c.true_delete_prob < 0.5) || !(c.grid_cell_m > 0) ||
        !(c.clutter_map_cell_m > 0) || !(c.clutter_map_time_s > 0) || c.reorder_window_s < 0 ||
        c.batch_window_s < 0)
        return NULL;

    lo_tracker *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = c;
    t->site = site;
    t->gate_d2 = chi2_3_quantile(c.gate_probability);
    t->log_confirm = log((1.0 - c.true_delete_prob) / c.false_confirm_prob);
    t->log_delete = log(c.true_delete_prob / (1.0 - c.false_confirm_prob));
    t->ln_miss = log(1.0 - c.pd);
    t->q_reach = 2.0 * (c.q_cv > c.q_ct ? c.q_cv : c.q_ct) / 3.0;
    for (int i = 0; i < c.n_init_classes; i++)
        if (c.init_classes[i].max_speed_mps > t->vmax) t->vmax = c.init_classes[i].max_speed_mps;
    for (int m = 0; m < c.n_models; m++) {
        int n = lo_model_dim(c.models[m]);
        t->kf_stride += n + n * (n + 1) / 2; /* x, upper triangle of P: see load_kf */
    }
    t->next_id = 1;
    t->done_t = -INFINITY;
    t->hk_next = NAN;
    t->cmap_t0 = NAN;
    lo_grid_init(&t->track_grid, c.grid_cell_m);
    double seed_cell = t->vmax * c.init_max_gap_s * 0.5;
    if (seed_cell < c.grid_cell_m) seed_cell = c.grid_cell_m;
    lo_grid_init(&t->seed_grid, seed_cell);
    lo_grid_init(&t->merge_grid, 200.0);
    t->assign_ws = lo_assign_workspace_new();
    if (!t->assign_ws) {
        free(t);
        return NULL;
    }
    return t;
}

void lo_tracker_free(lo_tracker *t)
{
    if (!t) return;
    free(t->trk);
    free(t->hot);
    free(t->kfmem);
    free(t->free_slots);
    free(t->due);
    free(t->heap);
    free(t->fifo);
    free(t->pool);
    free(t->pool_free);
    free(t->bp);
    free(t->bp_lambda);
    free(t->bp_used);
    free(t->pairs);
    free(t->pairs_tmp);
    free(t->cand_tracks);
    free(t->uf);
    free(t->assoc_i);
    lo_grid_free(&t->track_grid);
    lo_grid_free(&t->seed_grid);
    lo_grid_free(&t->merge_grid);
    free(t->seeds);
    free(t->seed_plots);
    free(t->cmap);
    lo_assign_workspace_free(t->assign_ws);
    free(t->scratch);
    free(t->iscratch);
    free(t);
}

void lo_tracker_set_report(lo_tracker *t, lo_track_report_fn fn, void *ctx)
{
    t->report = fn;
    t->report_ctx = ctx;
}

/* ---------------------------------------------------------------------------------------- */
/* track slots and reports                                                                   */

static void refresh_combined(lo_tracker *t, int32_t slot, const lo_kf *kf)
{
    trk *k = &t->trk[slot];
    if (t->cfg.n_models == 1 && lo_model_dim(t->cfg.models[0]) == 6) {
        /* One 6-state model: the combination is the model itself (its probability is 1). */
        memcpy(k->pv, kf[0].x, sizeof k->pv);
        memcpy(k->pv_cov, kf[0].P, sizeof k->pv_cov);
    } else {
        lo_imm_combine(&t->cfg, kf, k->mu, k->pv, k->pv_cov);
    }
    trk_hot *h = &t->hot[slot];
    h->n_updates = k->n_updates < 255 ? (uint8_t)k->n_updates : 255;
    const double *P = k->pv_cov;
    h->x = k->pv[0], h->y = k->pv[1], h->vx = k->pv[3], h->vy = k->pv[4], h->t = k->t;
    h->tr_pos = (float)(P[0] + P[7]);
    h->tr_cross = (float)fabs(P[0 * 6 + 3] + P[1 * 6 + 4]);
    h->tr_vel = (float)(P[3 * 6 + 3] + P[4 * 6 + 4]);
    h->id = k->id;
}

static void fill_snapshot(const lo_tracker *t, int32_t slot, lo_track *out)
{
    const trk *k = &t->trk[slot];
    memset(out, 0, sizeof *out);
    out->id = k->id;
    out->status = k->status;
    out->t = k->t;
    out->t_first = k->t_first;
    out->t_confirmed = k->t_confirmed;
    out->t_last_update = k->t_last_update;
    for (int i = 0; i < 3; i++) {
        out->pos[i] = k->pv[i];
        out->vel[i] = k->pv[i + 3];
        for (int j = 0; j < 3; j++) {
            out->pos_cov[i * 3 + j] = k->pv_cov[i * 6 + j];
            out->vel_cov[i * 3 + j] = k->pv_cov[(i + 3) * 6 + j + 3];
        }
    }
    lo_kf kf[LO_MAX_MODELS];
    load_kf_states(t, slot, kf); /* lo_model_accel reads the states only */
    for (int m = 0; m < t->cfg.n_models; m++) {
        double a[3];
        lo_model_accel(t->cfg.models[m], &kf[m], a);
        for (int i = 0; i < 3; i++) out->acc[i] += k->mu[m] * a[i];
    }
    out->n_models = t->cfg.n_models > 1 ? t->cfg.n_models : 0;
    for (int m = 0; m < t->cfg.n_models && t->cfg.n_models > 1; m++) out->model_prob[m] = k->mu[m];
    out->n_updates = k->n_updates;
    out->score = k->score;
    out->last_sensor_id = k->last_sensor_id;
    out->last_plot_t = k->last_plot_t;
    out->last_flags = k->last_flags;
    out->mode_s_address = k->mode_s_address;
    out->mode_3a = k->mode_3a;
    out->last_snr_db = k->last_snr_db;
    out->last_doppler_spread_mps = (k->last_flags & LO_PLOT_DOPPLER_SPREAD) ? k->last_doppler_spread : NAN;
    out->last_truth_id = k->last_truth_id;
}

static bool reportable(const lo_tracker *t, const trk *k)
{
    return k->status != LO_TRACK_TENTATIVE || t->cfg.report_tentative;
}

static void emit(lo_tracker *t, int32_t slot)
{
    trk *k = &t->trk[slot];
    if (!t->report || !reportable(t, k)) return;
    lo_track snap;
    fill_snapshot(t, slot, &snap);
    k->reported = true;
    t->report(t->report_ctx, &snap);
}

static int32_t alloc_slot(lo_tracker *t)
{
    if (t->n_free) return t->free_slots[--t->n_free];
    if (t->n_slots == t->cap) {
        /* Grow by half, then by a quarter from 4,096 slots: the slots are most of the
         * memory, and doubling would leave up to half of them unused (a quarter at most
         * this way, an eighth on average; each growth copies the arrays once). */
        int32_t cap = t->cap ? t->cap + (t->cap >= 4096 ? t->cap / 4 : t->cap / 2) : 256;
        trk *nt = realloc(t->trk, sizeof *nt * (size_t)cap);
        if (!nt) return -1;
        t->trk = nt;
        trk_hot *nh = realloc(t->hot, sizeof *nh * (size_t)cap);
        if (!nh) return -1;
        t->hot = nh;
        double *nk = realloc(t->kfmem, sizeof *nk * (size_t)cap * (size_t)t->kf_stride);
        if (!nk) return -1;
        t->kfmem = nk;
        int32_t *nf = realloc(t->free_slots, sizeof *nf * (size_t)cap);
        if (!nf) return -1;
        t->free_slots = nf;
        double *nd = realloc(t->due, sizeof *nd * (size_t)cap);
        if (!nd) return -1;
        t->due = nd;
        t->cap = cap;
    }
    return t->n_slots++;
}

static void delete_track(lo_tracker *t, int32_t slot, double now)
{
    trk *k = &t->trk[slot];
    if (!k->id) return;
    if (k->reported && t->report) {
        lo_track snap;
        fill_snapshot(t, slot, &snap);
        snap.status = LO_TRACK_DELETED;
        snap.t = now > k->t ? now : k->t;
        t->report(t->report_ctx, &snap);
    }
    k->id = 0;
    t->hot[slot].id = 0;
    t->due[slot] = INFINITY;
    t->free_slots[t->n_free++] = slot;
    t->live--;
}

/* Coarse reach of a track's gate after dt seconds: a radius that contains the horizontal
 * projection of its gate ellipse (trace >= largest eigenvalue), without the plot's error. */
static double gate_reach(const lo_tracker *t, const trk_hot *h, double dt)
{
    if (dt < 0) dt = 0;
    double tr = h->tr_pos + 2.0 * dt * h->tr_cross + dt * dt * h->tr_vel + t->q_reach * dt * dt * dt;
    return sqrt(t->gate_d2 * tr) + 0.5 * ACCEL_SLACK_MPS2 * dt * dt + 1.0;
}

/* Reads only the hot mirror (x, y, vx, vy, t are the track's pv[0,1,3,4] and t). */
static bool grid_insert_track(lo_tracker *t, int32_t slot)
{
    const trk_hot *h = &t->hot[slot];
    double t0 = t->grid_t0, t1 = t->grid_t0 + GRID_INTERVAL_S;
    if (h->t > t0) t0 = h->t;
    double tm = 0.5 * (t0 + t1);
    double dtm = tm - h->t;
    double cx = h->x + h->vx * dtm, cy = h->y + h->vy * dtm;
    double speed_h = sqrt(h->vx * h->vx + h->vy * h->vy);
    double r = speed_h * 0.5 * (t1 - t0) + gate_reach(t, h, t1 - h->t);
    return lo_grid_insert(&t->track_grid, slot, cx, cy, r);
}

static void rebuild_track_grid(lo_tracker *t, double now)
{
    lo_grid_clear(&t->track_grid);
    t->grid_t0 = now;
    t->grid_valid = true;
    for (int32_t s = 0; s < t->n_slots; s++) {
        if (s + 8 < t->n_slots) { /* the grid cell of a track 8 ahead (no effect on results) */
            const trk_hot *h = &t->hot[s + 8];
            if (h->id) lo_grid_prefetch(&t->track_grid, h->x, h->y);
        }
        if (t->hot[s].id) grid_insert_track(t, s);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* input queue                                                                               */

static bool heap_less(const heap_item *a, const heap_item *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(lo_tracker *t, heap_item it)
{
    size_t i = t->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(&it, &t->heap[parent])) break;
        t->heap[i] = t->heap[parent];
        i = parent;
    }
    t->heap[i] = it;
}

static int32_t heap_pop(lo_tracker *t)
{
    int32_t idx = t->heap[0].plot;
    heap_item last = t->heap[--t->heap_n];
    size_t i = 0, n = t->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= n) break;
        if (r < n && heap_less(&t->heap[r], &t->heap[l])) m = r;
        if (!heap_less(&t->heap[m], &last)) break;
        t->heap[i] = t->heap[m];
        i = m;
    }
    if (n) t->heap[i] = last;
    return idx;
}

/* The input queue is two sorted sequences: radars deliver their plots in time order, and
 * those go to a FIFO in O(1); only a plot older than the FIFO's newest goes to the heap
 * (O(log n), and at 10,000 plots a scan its sifts miss the caches). The earliest plot is
 * the earlier of the two heads, in the same (time, arrival) order as one heap. */
static size_t queue_len(const lo_tracker *t)
{
    return t->heap_n + (t->fifo_end - t->fifo_head);
}

static const heap_item *queue_top(const lo_tracker *t)
{
    if (t->fifo_head == t->fifo_end) return t->heap_n ? &t->heap[0] : NULL;
    if (t->heap_n && heap_less(&t->heap[0], &t->fifo[t->fifo_head])) return &t->heap[0];
    return &t->fifo[t->fifo_head];
}

static void queue_push(lo_tracker *t, int32_t idx)
{
    heap_item it = {t->pool[idx].t, t->seq++, idx, t->pool[idx].sensor_id};
    if (t->fifo_head != t->fifo_end && heap_less(&it, &t->fifo[t->fifo_end - 1])) {
        heap_push(t, it);
        return;
    }
    if (t->fifo_end == t->heap_cap) { /* room: fewer than heap_cap plots are queued */
        memmove(t->fifo, t->fifo + t->fifo_head, (t->fifo_end - t->fifo_head) * sizeof *t->fifo);
        t->fifo_end -= t->fifo_head;
        t->fifo_head = 0;
    }
    t->fifo[t->fifo_end++] = it;
}

/* The earliest plot; its pool entry stays taken until the caller releases it. */
static lo_plot *queue_pop(lo_tracker *t)
{
    const heap_item *top = queue_top(t);
    int32_t idx;
    if (t->heap_n && top == t->heap) idx = heap_pop(t);
    else {
        idx = top->plot;
        if (++t->fifo_head == t->fifo_end) t->fifo_head = t->fifo_end = 0;
    }
    return &t->pool[idx];
}



int lo_tracker_add_plot(lo_tracker *t, const lo_plot *p)
{
    const uint32_t need = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    bool ok = (p->flags & need) == need && fabs(p->t) <= LO_MAX_ABS_TIME_S;
    for (int i = 0; i < 3 && ok; i++) ok = fabs(p->enu[i]) <= LO_TRACKER_MAX_ABS_POSITION_M;
    for (int i = 0; i < 9 && ok; i++) ok = isfinite(p->enu_cov[i]);
    if (ok) ok = p->enu_cov[0] > 0 && p->enu_cov[4] > 0 && p->enu_cov[8] > 0;
    if (!ok) {
        t->stats.refused_plots++;
        return -1;
    }
    if (p->t < t->done_t) {
        t->stats.late_plots++;
        return -1;
    }
    if (queue_len(t) == t->heap_cap) {
        size_t cap = t->heap_cap ? t->heap_cap * 2 : 1024;
        heap_item *h = realloc(t->heap, cap * sizeof *h);
        if (h) t->heap = h;
        heap_item *f = h ? realloc(t->fifo, cap * sizeof *f) : NULL;
        if (f) t->fifo = f;
        lo_plot *pool = f ? realloc(t->pool, cap * sizeof *pool) : NULL;
        int32_t *pf = pool ? realloc(t->pool_free, cap * sizeof *pf) : NULL;
        if (pool) t->pool = pool;
        if (!h || !f || !pool || !pf) {
            t->stats.refused_plots++;
            return -1;
        }
        t->pool_free = pf;
        /* The new pool entries are free. */
        for (size_t i = cap; i > t->heap_cap; i--) t->pool_free[t->pool_n_free++] = (int32_t)(i - 1);
        t->heap_cap = cap;
    }
    int32_t idx = t->pool_free[--t->pool_n_free];
    t->pool[idx] = *p;
    queue_push(t, idx);
    t->stats.plots_in++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* gating                                                                                    */

typedef struct gate_ctx {
    lo_tracker *t;
    int32_t plot;
    double plot_reach;            /* the plot's own share of the gate radius */
} gate_ctx;

static void visit_track_candidate(void *vctx, int32_t slot)
{
    gate_ctx *g = vctx;
    lo_tracker *t = g->t;
    trk_hot *h = &t->hot[slot];
    if (!h->id || h->seen == t->seen_serial) return;
    h->seen = t->seen_serial;
    /* Cheap horizontal check before any filter work. */
    const lo_plot *p = t->bp[g->plot];
    double dt = p->t - h->t;
    double dx = p->enu[0] - (h->x + h->vx * dt), dy = p->enu[1] - (h->y + h->vy * dt);
    double r = gate_reach(t, h, dt) + g->plot_reach;
    if (dx * dx + dy * dy > r * r) return;
    if (!grow((void **)&t->pairs, sizeof *t->pairs, &t->cap_pairs, t->n_pairs + 1)) return;
    cand_pair *cp = &t->pairs[t->n_pairs++];
    cp->slot = slot;
    cp->plot = g->plot;
    cp->gated = false;
    cp->loglik = -INFINITY;
}

/* Sort the candidate pairs by track slot (insertion sort when few, else radix sort on 11-bit
 * digits up to the highest slot in use) and chain each
 * track's pairs, so that the filter work that follows walks the track arrays in memory
 * order instead of jumping around them plot by plot. */
static bool group_pairs_by_track(lo_tracker *t)
{
    int32_t n = t->n_pairs;
    if (!grow((void **)&t->pairs_tmp, sizeof *t->pairs_tmp, &t->cap_pairs_tmp, n)) return false;
    cand_pair *a = t->pairs, *b = t->pairs_tmp;
    if (n < 64) {
        for (int32_t i = 1; i < n; i++) {
            cand_pair x = a[i];
            int32_t j = i - 1;
            while (j >= 0 && a[j].slot > x.slot) a[j + 1] = a[j], j--;
            a[j + 1] = x;
        }
    } else {
        for (int shift = 0; shift < 31 && ((uint32_t)t->n_slots >> shift); shift += 11) {
            int32_t count[2049];
            memset(count, 0, sizeof count);
            for (int32_t i = 0; i < n; i++) count[((uint32_t)a[i].slot >> shift & 0x7ff) + 1]++;
            for (int i = 0; i < 2048; i++) count[i + 1] += count[i];
            for (int32_t i = 0; i < n; i++) b[count[(uint32_t)a[i].slot >> shift & 0x7ff]++] = a[i];
            cand_pair *tmp = a;
            a = b;
            b = tmp;
        }
    }
    if (a != t->pairs) {
        /* Swap the buffers rather than copy. */
        cand_pair *tmp = t->pairs;
        int32_t cap = t->cap_pairs;
        t->pairs = t->pairs_tmp;
        t->cap_pairs = t->cap_pairs_tmp;
        t->pairs_tmp = tmp;
        t->cap_pairs_tmp = cap;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t slot = t->pairs[i].slot;
        bool last = i + 1 == n || t->pairs[i + 1].slot != slot;
        t->pairs[i].next = last ? -1 : i + 1;
        if (i == 0 || t->pairs[i - 1].slot != slot) {
            if (!grow((void **)&t->cand_tracks, sizeof *t->cand_tracks, &t->cap_cand, t->n_cand + 1))
                return false;
            trk *k = &t->trk[slot];
            k->batch_serial = t->batch_serial;
            k->cand_head = i;
            k->updated = false;
            t->cand_tracks[t->n_cand++] = slot;
        }
    }
    return true;
}

/* Radial velocity in the association: the pair's likelihood gains the Doppler innovation's
 * density over the clutter's (uniform over clutter_radial_span_mps), and a Doppler too far
 * off rejects the pair. Returns false when rejected. */
static bool radial_likelihood(const lo_tracker *t, const trk *k, const lo_plot *p, double *ll)
{
    if (!(p->flags & LO_PLOT_RADIAL_VEL)) return true;
    const lo_sensor *s = find_sensor(t, p->sensor_id, NULL);
    if (!s) return true;
    double sigma = p->sigma_radial_velocity_mps > 0 ? p->sigma_radial_velocity_mps
                                                    : s->sigma_radial_velocity_mps;
    if (!(sigma > 0)) return true;
    double r[3], rn = 0;
    for (int i = 0; i < 3; i++) r[i] = k->pv[i] - s->enu[i], rn += r[i] * r[i];
    rn = sqrt(rn);
    if (rn < 1.0) return true;
    double u[3] = {r[0] / rn, r[1] / rn, r[2] / rn};
    double h = u[0] * k->pv[3] + u[1] * k->pv[4] + u[2] * k->pv[5];
    double H[6], PH[6], S = sigma * sigma;
    for (int i = 0; i < 3; i++) H[i] = (k->pv[i + 3] - h * u[i]) / rn, H[i + 3] = u[i];
    for (int i = 0; i < 6; i++) {
        PH[i] = 0;
        for (int j = 0; j < 6; j++) PH[i] += k->pv_cov[i * 6 + j] * H[j];
        S += H[i] * PH[i];
    }
    double innov = p->radial_velocity_mps - h;
    /* A manoeuvre changes the Doppler faster than the filter's velocity spread admits (a
     * take-off or a turn: 10 m/s from one scan to the next), so the association allows a
     * manoeuvre spread on top; beyond 5 of those sigmas the pair is rejected. */
    S += DOPPLER_MANOEUVRE_MPS * DOPPLER_MANOEUVRE_MPS;
    if (innov * innov > 25.0 * S) return false;
    *ll += -0.5 * (innov * innov / S + log(S) + LN_2PI) + log(t->cfg.clutter_radial_span_mps);
    return true;
}

/* Predict a candidate track to the batch time and apply the chi-square gate to its pairs. */
static void gate_track(lo_tracker *t, int32_t slot, double t_ref)
{
    trk *k = &t->trk[slot];
    if (t_ref > k->t) {
        lo_kf kf[LO_MAX_MODELS];
        load_kf(t, slot, kf);
        lo_imm_predict(&t->cfg, kf, k->mu, t_ref - k->t);
        store_kf(t, slot, kf);
        k->t = t_ref;
        refresh_combined(t, slot, kf);
    }
    for (int32_t pi = k->cand_head; pi >= 0; pi = t->pairs[pi].next) {
        cand_pair *cp = &t->pairs[pi];
        const lo_plot *p = t->bp[cp->plot];
        /* Plots of one batch are within batch_window_s: shift the measurement along the
         * track's velocity to the common time instead of predicting per plot. */
        double dt = p->t - k->t, z[3];
        for (int i = 0; i < 3; i++) z[i] = p->enu[i] - k->pv[i + 3] * dt;
        double y[3], S[9], ll;
        /* Gate on the combined (moment-matched) prediction. */
        for (int i = 0; i < 3; i++) {
            y[i] = z[i] - k->pv[i];
            for (int j = 0; j < 3; j++) S[i * 3 + j] = k->pv_cov[i * 6 + j] + p->enu_cov[i * 3 + j];
        }
        double Si[9];
        double det = lo_sym3_inverse(S, Si);
        if (!(det > 0)) continue;
        double d2 = lo_sym3_quad(Si, y);
        if (d2 > t->gate_d2) continue;
        ll = -0.5 * (d2 + log(det) + 3.0 * LN_2PI);
        if (!radial_likelihood(t, k, p, &ll)) continue;
        cp->gated = true;
        cp->loglik = ll;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* updates                                                                                   */

static void set_due(lo_tracker *t, const trk *k)
{
    double coast_end = k->t_last_update + t->cfg.max_coast_s;
    t->due[k - t->trk] = k->t_expect < coast_end ? k->t_expect : coast_end;
}

/* The track was updated with (a mixture including) plot p: its look counts as a hit. */
static void note_hit(lo_tracker *t, trk *k, const lo_plot *p)
{
    k->n_updates++;
    t->hot[k - t->trk].n_updates = k->n_updates < 255 ? (uint8_t)k->n_updates : 255;
    k->t_last_update = p->t;
    k->revisit_s = sensor_revisit(t, p->sensor_id);
    k->t_expect = k->t_last_update + 1.5 * k->revisit_s;
    set_due(t, k);
}

/* The plot reported as the track's own (its sensor, time, codes, SNR, Doppler spread). */
static void note_plot_identity(trk *k, const lo_plot *p)
{
    k->last_sensor_id = p->sensor_id;
    k->last_plot_t = p->t;
    k->last_flags = p->flags & (LO_PLOT_MODE_S | LO_PLOT_MODE_3A | LO_PLOT_DOPPLER_SPREAD);
    k->mode_s_address = p->mode_s_address;
    k->mode_3a = p->mode_3a;
    k->last_snr_db = p->snr_db;
    k->last_doppler_spread = (p->flags & LO_PLOT_DOPPLER_SPREAD) ? (float)p->doppler_spread_mps : 0.0f;
    k->last_truth_id = p->truth_id; /* for evaluation only: never used to decide anything */
}

static void note_plot(lo_tracker *t, trk *k, const lo_plot *p)
{
    note_hit(t, k, p);
    note_plot_identity(k, p);
}

static void radial_update(lo_tracker *t, lo_kf *kf, const lo_plot *p)
{
    if (!(p->flags & LO_PLOT_RADIAL_VEL)) return;
    const lo_sensor *s = find_sensor(t, p->sensor_id, NULL);
    if (!s) return;
    double sigma = p->sigma_radial_velocity_mps > 0 ? p->sigma_radial_velocity_mps
                                                    : s->sigma_radial_velocity_mps;
    if (!(sigma > 0)) return;
    for (int m = 0; m < t->cfg.n_models; m++)
        lo_kf_update_radial(&kf[m], lo_model_dim(t->cfg.models[m]), s->enu, p->radial_velocity_mps,
                            sigma);
}

/* The optional M-of-N rule: M plots in the last N expected looks (the plots themselves
 * passed the chi-square gate of the track). Off when confirm_m is 0. */
static bool m_of_n_passed(const lo_tracker *t, const trk *k)
{
    if (t->cfg.confirm_m <= 0) return false;
    uint32_t window = k->looks & ((t->cfg.confirm_n >= 32) ? 0xffffffffu : ((1u << t->cfg.confirm_n) - 1u));
    return __builtin_popcount(window) >= t->cfg.confirm_m && k->score >= MN_MIN_SCORE;
}

/* The confirmation threshold of a tentative track where it is now. The SPRT's alpha bounds
 * the chance that one false track confirms, so the false tracks confirmed grow with the
 * number started, i.e. with the density of false alarms. Where the clutter map has learned
 * a density above the configured floor (green-zone.yaml's ground-clutter patch: about 10
 * times), alpha is divided by that ratio: the threshold rises by log(ratio), and the false
 * tracks confirmed per km^2 stay about what alpha gives over the floor.
 * Three things keep real targets from being slowed: only the part of the cell's clutter
 * learned from plots no track took counts (the Doppler-learning part of the map, so this
 * needs a radar that measures Doppler: a new target's own tentative plots fill the rest),
 * and at least CONFIRM_MIN_FREE_PLOTS of them (a target's own first plot is no patch); only
 * stationary clutter counts (Doppler mean and spread within CONFIRM_STATIONARY_MPS); and a
 * plot whose Doppler is more than 3 sigma from the cell's clutter Doppler (a target crossing
 * a ground-clutter patch) keeps the plain threshold. Off with `confirm_clutter_scaled:
 * false`. */
static double confirm_threshold(lo_tracker *t, const trk *k, const lo_plot *p)
{
    if (!t->cfg.confirm_clutter_scaled || !t->cfg.clutter_map) return t->log_confirm;
    /* The densest of the track's cell and its 8 neighbours: a false track gathers its plots
     * around its seed, and a patch's edge cells, partly outside it, understate it. */
    double tau = t->cfg.clutter_map_time_s, elapsed = k->t - t->cmap_t0, cm = t->cfg.clutter_map_cell_m;
    double revisit = k->revisit_s > 0 ? k->revisit_s : 1.0;
    double share = 1.0 - exp(-elapsed / tau), min_share = CONFIRM_MIN_FREE_PLOTS * revisit / tau;
    const cmap_cell *c = NULL;
    double best_rate = 0;
    for (int dx = -1; dx <= 1; dx++)
        for (int dy = -1; dy <= 1; dy++) {
            double at[2] = {k->pv[0] + dx * cm, k->pv[1] + dy * cm};
            const cmap_cell *cc = cmap_find(t, cmap_key(t, at), false);
            if (!cc || !(cc->rv_rate > 0)) continue;
            double rate = cc->rv_rate * exp(-(elapsed - cc->t) / tau);
            /* Fewer than a few plots learned (a target's own first plot) is no patch yet. */
            if (rate * tau < CONFIRM_MIN_FREE_PLOTS) continue;
            rate /= share > min_share ? share : min_share;
            if (rate > best_rate) best_rate = rate, c = cc;
        }
    if (!c) return t->log_confirm;
    double ratio = best_rate * revisit / (cm * cm) / t->cfg.clutter_density;
    if (!(ratio > 1.0)) return t->log_confirm;
    /* A plot whose Doppler is far from the cell's clutter is no clutter of this cell. */
    if (p && (p->flags & LO_PLOT_RADIAL_VEL)) {
        const lo_sensor *sen = find_sensor(t, p->sensor_id, NULL);
        double sigma = p->sigma_radial_velocity_mps > 0 ? p->sigma_radial_velocity_mps
                                                        : (sen ? sen->sigma_radial_velocity_mps : 0);
        double mean = (double)c->rv_sum / c->rv_rate, var = (double)c->rv2_sum / c->rv_rate - mean * mean;
        var = (var > 0 ? var : 0) + sigma * sigma + CMAP_DOPPLER_MIN_SIGMA_MPS * CMAP_DOPPLER_MIN_SIGMA_MPS;
        double dv = p->radial_velocity_mps - mean;
        if (dv * dv > 9.0 * var) return t->log_confirm;
        /* Only stationary clutter (ground, buildings): a cell whose free plots move is a
         * flock or a swarm the radar does not resolve, objects to be tracked, not slowed
         * (with it too, green-zone's detectable GOSPA was 1.5% worse). */
        if (fabs(mean) > CONFIRM_STATIONARY_MPS || var > CONFIRM_STATIONARY_MPS * CONFIRM_STATIONARY_MPS)
            return t->log_confirm;
    }
    return t->log_confirm + log(ratio);
}

static void after_update(lo_tracker *t, int32_t slot, const lo_kf *kf, double dscore, const lo_plot *p)
{
    trk *k = &t->trk[slot];
    store_kf(t, slot, kf);
    refresh_combined(t, slot, kf);
    k->score += dscore;
    if (k->score > k->score_max) k->score_max = k->score;
    k->looks = k->looks << 1 | 1u;
    if (k->status == LO_TRACK_TENTATIVE &&
        ((k->score >= t->log_confirm && k->score >= confirm_threshold(t, k, p)) || m_of_n_passed(t, k))) {
        k->status = LO_TRACK_CONFIRMED;
        k->t_confirmed = k->t;
        t->stats.tracks_confirmed++;
    } else if (k->status == LO_TRACK_COASTING) {
        k->status = LO_TRACK_CONFIRMED;
    }
    k->updated = true;
}

/* One track, one plot (GNN, or JPDA with a single dominant plot). */
static void update_single(lo_tracker *t, int32_t slot, int32_t plot, double loglik)
{
    trk *k = &t->trk[slot];
    const lo_plot *p = t->bp[plot];
    lo_kf kf[LO_MAX_MODELS];
    load_kf(t, slot, kf);
    double dt = p->t - k->t, z[3];
    for (int i = 0; i < 3; i++) z[i] = p->enu[i] - k->pv[i + 3] * dt;
    double ll[LO_MAX_MODELS];
    for (int m = 0; m < t->cfg.n_models; m++)
        lo_kf_update_pos(&kf[m], lo_model_dim(t->cfg.models[m]), z, p->enu_cov, &ll[m]);
    if (t->cfg.n_models > 1) lo_imm_update_probs(t->cfg.n_models, k->mu, ll);
    radial_update(t, kf, p);
    note_plot(t, k, p);
    double dscore = log(t->cfg.pd) + loglik - log(t->bp_lambda[plot]);
    after_update(t, slot, kf, dscore, p);
}

/* JPDA update of one track with its association probabilities over `np` cluster plots. */
/* JPDA update of track `slot` (row `self` of its cluster). plot_owner[j]: the row of the
 * cluster's likeliest owner of plot j; the plot reported as the track's own is the likeliest
 * of those it owns (none: the update still counts as a hit, but the report keeps its last
 * plot): a plot that is far likelier another track's, shared here only because this
 * track's own target was missed, is not reported as this one's. */
static void update_pda(lo_tracker *t, int32_t slot, int self, int np, const int32_t *plots,
                       const double *beta, const double *g, const int32_t *plot_owner)
{
    trk *k = &t->trk[slot];
    double beta0 = beta[0];
    /* Keep the most likely plots (MAX_PDA_PLOTS), re-normalising onto the miss. */
    int idx[MAX_PDA_PLOTS], m = 0;
    for (int j = 0; j < np; j++) {
        if (beta[1 + j] < 1e-4) continue;
        if (m < MAX_PDA_PLOTS) idx[m++] = j;
        else {
            int worst = 0;
            for (int q = 1; q < m; q++)
                if (beta[1 + idx[q]] < beta[1 + idx[worst]]) worst = q;
            if (beta[1 + j] > beta[1 + idx[worst]]) idx[worst] = j;
        }
    }
    if (m == 0) return;
    lo_kf kf[LO_MAX_MODELS];
    load_kf(t, slot, kf);
    double z[MAX_PDA_PLOTS][3], R[MAX_PDA_PLOTS][9], b[MAX_PDA_PLOTS];
    double bsum = 0, gsum = 0;
    int best = 0, own = -1;
    for (int q = 0; q < m; q++) {
        const lo_plot *p = t->bp[plots[idx[q]]];
        double dt = p->t - k->t;
        for (int i = 0; i < 3; i++) z[q][i] = p->enu[i] - k->pv[i + 3] * dt;
        memcpy(R[q], p->enu_cov, sizeof R[q]);
        b[q] = beta[1 + idx[q]];
        bsum += b[q];
        gsum += g[idx[q]];
        if (b[q] > b[best]) best = q;
        if (plot_owner[idx[q]] == self && (own < 0 || b[q] > b[own])) own = q;
    }
    beta0 = 1.0 - bsum;
    if (beta0 < 0) beta0 = 0;
    /* Model likelihoods of this scan's data: miss weight + sum of Pd N_m(y_j) / lambda_j. */
    if (t->cfg.n_models > 1) {
        double ll[LO_MAX_MODELS];
        double miss = 1.0 - t->cfg.pd;
        for (int mm = 0; mm < t->cfg.n_models; mm++) {
            int n = lo_model_dim(t->cfg.models[mm]);
            double s = miss;
            for (int q = 0; q < m; q++) {
                double y[3], S[9], l;
                lo_kf_innovation(&kf[mm], n, z[q], R[q], y, S, &l);
                s += t->cfg.pd * exp(l) / t->bp_lambda[plots[idx[q]]];
            }
            ll[mm] = log(s);
        }
        lo_imm_update_probs(t->cfg.n_models, k->mu, ll);
    }
    for (int mm = 0; mm < t->cfg.n_models; mm++)
        lo_kf_update_pda(&kf[mm], lo_model_dim(t->cfg.models[mm]), m, (const double(*)[3])z,
                         (const double(*)[9])R, beta0, b);
    const lo_plot *bp = t->bp[plots[idx[best]]];
    if (b[best] >= 0.5) radial_update(t, kf, bp);
    if (bsum >= 0.5) {
        note_hit(t, k, bp);
        if (own >= 0) note_plot_identity(k, t->bp[plots[idx[own]]]);
        after_update(t, slot, kf, log(1.0 - t->cfg.pd + gsum), bp);
    } else {
        store_kf(t, slot, kf);
        refresh_combined(t, slot, kf);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* association                                                                               */

static int32_t uf_find(int32_t *uf, int32_t a)
{
    while (uf[a] != a) {
        uf[a] = uf[uf[a]];
        a = uf[a];
    }
    return a;
}

static double pair_g(const lo_tracker *t, const cand_pair *cp)
{
    return t->cfg.pd * exp(cp->loglik) / t->bp_lambda[cp->plot];
}

static void mark_used(lo_tracker *t, int32_t plot, const trk *k)
{
    uint8_t v = k->status == LO_TRACK_TENTATIVE ? 1 : 2;
    if (t->bp_used[plot] < v) t->bp_used[plot] = v;
}

/* Solve one cluster: tracks[0..nt), plots[0..np) (batch indices), local index of each plot
 * in plot_local. */
static void solve_cluster(lo_tracker *t, int nt, const int32_t *tracks, int np,
                          const int32_t *plots, const int32_t *plot_local)
{
    double miss = 1.0 - t->cfg.pd * t->cfg.gate_probability;
    if (nt == 1 && np == 1 && t->cfg.association == LO_ASSOC_GNN) {
        /* The common case in sparse scenes: no solver needed. */
        trk *k = &t->trk[tracks[0]];
        for (int32_t pi = k->cand_head; pi >= 0; pi = t->pairs[pi].next) {
            cand_pair *cp = &t->pairs[pi];
            if (!cp->gated) continue;
            if (pair_g(t, cp) > miss) {
                update_single(t, tracks[0], cp->plot, cp->loglik);
                mark_used(t, cp->plot, k);
            }
            return;
        }
        return;
    }
    size_t ng = (size_t)nt * (size_t)np;
    if (t->cfg.association == LO_ASSOC_GNN) {
        int cols = np + nt;
        double *cost = scratch_d(t, (size_t)nt * (size_t)cols + ng);
        int32_t *row_to_col = scratch_i(t, (size_t)(nt + cols));
        if (!cost || !row_to_col) return;
        double *loglik = cost + (size_t)nt * (size_t)cols;
        for (size_t i = 0; i < (size_t)nt * (size_t)cols; i++) cost[i] = LO_ASSIGN_FORBIDDEN;
        for (int r = 0; r < nt; r++) {
            trk *k = &t->trk[tracks[r]];
            for (int32_t pi = k->cand_head; pi >= 0; pi = t->pairs[pi].next) {
                cand_pair *cp = &t->pairs[pi];
                if (!cp->gated) continue;
                int c = plot_local[cp->plot];
                cost[r * cols + c] = -log(pair_g(t, cp));
                loglik[r * np + c] = cp->loglik;
            }
            cost[r * cols + np + r] = -log(miss);
        }
        int *r2c = (int *)row_to_col;
        if (isnan(lo_assign_solve(t->assign_ws, cost, nt, cols, r2c, NULL))) return;
        for (int r = 0; r < nt; r++) {
            int c = r2c[r];
            if (c < 0 || c >= np) continue;
            update_single(t, tracks[r], plots[c], loglik[r * np + c]);
            mark_used(t, plots[c], &t->trk[tracks[r]]);
        }
        return;
    }
    /* JPDA */
    double *g = scratch_d(t, ng + (size_t)nt + (size_t)nt * (size_t)(np + 1));
    if (!g) return;
    double *missw = g + ng;
    double *beta = missw + nt;
    memset(g, 0, ng * sizeof *g);
    for (int r = 0; r < nt; r++) {
        trk *k = &t->trk[tracks[r]];
        missw[r] = miss;
        for (int32_t pi = k->cand_head; pi >= 0; pi = t->pairs[pi].next) {
            cand_pair *cp = &t->pairs[pi];
            if (cp->gated) g[r * np + plot_local[cp->plot]] = pair_g(t, cp);
        }
    }
    if ((t->cfg.jpda_star ? lo_jpda_star_probabilities : lo_jpda_probabilities)(nt, np, g, missw, beta,
                                                                                 t->cfg.jpda_max_hypotheses))
        t->stats.jpda_approx_clusters++;
    else
        t->stats.jpda_exact_clusters++;
    /* Each plot's likeliest owner. */
    int32_t *owner = scratch_i(t, (size_t)np);
    if (!owner) return;
    for (int c = 0; c < np; c++) {
        double best = 0;
        owner[c] = -1;
        for (int r = 0; r < nt; r++) {
            double b = beta[r * (np + 1) + 1 + c];
            if (b > best) best = b, owner[c] = r;
        }
    }
    for (int r = 0; r < nt; r++) update_pda(t, tracks[r], r, np, plots, &beta[r * (np + 1)], &g[r * np], owner);
    /* A plot is taken when the tracks claim it with total probability >= 0.5 (after the
     * updates: a track confirmed by this scan keeps its plot out of the clutter map). */
    for (int c = 0; c < np; c++) {
        double s = 0;
        for (int r = 0; r < nt; r++) s += beta[r * (np + 1) + 1 + c];
        if (s >= 0.5 && owner[c] >= 0) mark_used(t, plots[c], &t->trk[tracks[owner[c]]]);
    }
}

static void associate(lo_tracker *t)
{
    int32_t np = t->n_bp, nc = t->n_cand, nn = np + nc;
    if (!grow((void **)&t->uf, sizeof *t->uf, &t->cap_uf, nn)) return;
    for (int32_t i = 0; i < nn; i++) t->uf[i] = i;
    for (int32_t c = 0; c < nc; c++) {
        trk *k = &t->trk[t->cand_tracks[c]];
        k->node = np + c;
        for (int32_t pi = k->cand_head; pi >= 0; pi = t->pairs[pi].next) {
            if (!t->pairs[pi].gated) continue;
            int32_t a = uf_find(t->uf, np + c), b = uf_find(t->uf, t->pairs[pi].plot);
            if (a != b) t->uf[a] = b;
        }
    }
    /* Group by root: counting sort of the candidate tracks and plots with a gated pair. Own
     * buffer: solve_cluster uses the shared scratch. */
    if (!grow((void **)&t->assoc_i, sizeof *t->assoc_i, &t->cap_assoc_i, 9 * nn + 2)) return;
    int32_t *cluster_of_root = t->assoc_i, *order = cluster_of_root + nn,
            *plot_local = order + nn, *members = plot_local + nn, *base = members + nn,
            *fill_t = base + nn, *fill_p = fill_t + nn, *tstart = fill_p + nn,
            *pstart = tstart + nn + 1;
    for (int32_t i = 0; i < nn; i++) cluster_of_root[i] = -1;
    int32_t ncl = 0;
    /* Only tracks with a gated pair (and, through union-find, their plots) form clusters. */
    for (int32_t c = 0; c < nc; c++) {
        trk *k = &t->trk[t->cand_tracks[c]];
        bool any = false;
        for (int32_t pi = k->cand_head; pi >= 0 && !any; pi = t->pairs[pi].next) any = t->pairs[pi].gated;
        if (!any) continue;
        int32_t r = uf_find(t->uf, np + c);
        if (cluster_of_root[r] < 0) cluster_of_root[r] = ncl++;
    }
    if (ncl == 0) return;
    memset(tstart, 0, sizeof(int32_t) * (size_t)(ncl + 1));
    memset(pstart, 0, sizeof(int32_t) * (size_t)(ncl + 1));
    for (int32_t i = 0; i < nn; i++) {
        int32_t cl = cluster_of_root[uf_find(t->uf, i)];
        order[i] = cl;
        if (cl < 0) continue;
        if (i < np) pstart[cl + 1]++;
        else tstart[cl + 1]++;
    }
    /* members: for each cluster, its tracks then its plots. */
    int32_t off = 0;
    for (int32_t cl = 0; cl < ncl; cl++) {
        base[cl] = off;
        off += tstart[cl + 1] + pstart[cl + 1];
        fill_t[cl] = fill_p[cl] = 0;
    }
    for (int32_t i = np; i < nn; i++) {
        int32_t cl = order[i];
        if (cl >= 0) members[base[cl] + fill_t[cl]++] = t->cand_tracks[i - np];
    }
    for (int32_t i = 0; i < np; i++) {
        int32_t cl = order[i];
        if (cl < 0) continue;
        plot_local[i] = fill_p[cl];
        members[base[cl] + tstart[cl + 1] + fill_p[cl]++] = i;
    }
    for (int32_t cl = 0; cl < ncl; cl++) {
        int32_t ntk = tstart[cl + 1], npl = pstart[cl + 1];
        if (cl + 4 < ncl) { /* clusters are mostly one track and one plot, in no spatial order */
            int32_t ahead = cl + 4, b = base[ahead], nta = tstart[ahead + 1];
            if (nta > 0) slot_prefetch(t, members[b]);
            if (pstart[ahead + 1] > 0) plot_prefetch(t->bp[members[b + nta]]);
        }
        if (ntk == 0 || npl == 0) continue;
        solve_cluster(t, ntk, &members[base[cl]], npl, &members[base[cl] + ntk], plot_local);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* initiation                                                                                */

typedef struct seed_pair {
    int32_t seed, plot;
    double speed;
} seed_pair;

typedef struct seed_ctx {
    lo_tracker *t;
    int32_t plot;
    double plot_cov_bound;        /* sum of |enu_cov| of the plot */
    seed_pair *pairs;
    int32_t n, cap;
    bool oom;
} seed_ctx;

/* Does the pair's velocity (d over dt, covariance cov_sum / dt^2) agree with the Doppler of
 * plot `q`? Radial velocity is the one component of the velocity a single plot measures: two
 * targets in trail, the second where the first was a scan earlier, pair into a slow
 * "target" whose radial speed is far from what both plots measure (green-zone.yaml's two
 * rockets 300 m apart). The test allows the pair's own error along the line of sight, the
 * Doppler's, and DOPPLER_MANOEUVRE_MPS of speed change; beyond 5 sigma the pair is refused. */
static bool pair_doppler_fits(const lo_tracker *t, const lo_plot *q, const double d[3],
                              const double cov_sum[9], double dt)
{
    if (!(q->flags & LO_PLOT_RADIAL_VEL)) return true;
    const lo_sensor *s = find_sensor(t, q->sensor_id, NULL);
    if (!s) return true;
    double sigma = q->sigma_radial_velocity_mps > 0 ? q->sigma_radial_velocity_mps : s->sigma_radial_velocity_mps;
    if (!(sigma > 0)) return true;
    double u[3], rn = 0;
    for (int i = 0; i < 3; i++) u[i] = q->enu[i] - s->enu[i], rn += u[i] * u[i];
    rn = sqrt(rn);
    if (rn < 1.0) return true;
    double h = 0, var = 0;
    for (int i = 0; i < 3; i++) {
        u[i] /= rn;
        h += u[i] * d[i] / dt;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) var += u[i] * u[j] * cov_sum[i * 3 + j];
    double S = var / (dt * dt) + sigma * sigma + DOPPLER_MANOEUVRE_MPS * DOPPLER_MANOEUVRE_MPS;
    double innov = q->radial_velocity_mps - h;
    return innov * innov <= 25.0 * S;
}

static void visit_seed(void *vctx, int32_t si)
{
    seed_ctx *c = vctx;
    lo_tracker *t = c->t;
    seed *s = &t->seeds[si];
    const lo_plot *p = t->bp[c->plot];
    if (!s->alive || s->seen == t->seen_serial) return;
    s->seen = t->seen_serial;
    double dt = p->t - s->t;
    /* Two plots of one look (split returns, overlapping sensors) give no velocity. */
    double min_gap = 0.5 * s->revisit_s;
    if (dt < min_gap || dt > t->cfg.init_max_gap_s) return;
    double d[3], dist2 = 0;
    for (int i = 0; i < 3; i++) d[i] = p->enu[i] - s->enu[i], dist2 += d[i] * d[i];
    double dist = sqrt(dist2);
    double reach = t->vmax * dt;
    if (dist > reach) {
        double ex = dist - reach;
        /* The variance along the line below is at most the sum of the two covariances'
         * absolute entries: far beyond that, reject without reading the seed's plot (the
         * margin covers rounding; the exact test decides everything closer). */
        if (ex * ex > 9.0 * 1.01 * (c->plot_cov_bound + s->cov_bound)) return;
        const lo_plot *sp = &t->seed_plots[si];
        /* Allow for the measurement errors along the line between the plots. */
        double var = 0;
        if (dist > 0)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    var += d[i] * d[j] * (p->enu_cov[i * 3 + j] + sp->enu_cov[i * 3 + j]);
        var /= dist2 > 0 ? dist2 : 1;
        if (ex * ex > 9.0 * var) return;
    }
    const lo_plot *sp = &t->seed_plots[si];
    double cov_sum[9];
    for (int i = 0; i < 9; i++) cov_sum[i] = p->enu_cov[i] + sp->enu_cov[i];
    if (!pair_doppler_fits(t, p, d, cov_sum, dt) || !pair_doppler_fits(t, sp, d, cov_sum, dt)) return;
    if (c->n == c->cap) {
        int32_t cap = c->cap ? c->cap * 2 : 64;
        seed_pair *q = realloc(c->pairs, sizeof *q * (size_t)cap);
        if (!q) {
            c->oom = true;
            return;
        }
        c->pairs = q;
        c->cap = cap;
    }
    c->pairs[c->n++] = (seed_pair){si, c->plot, dist / dt};
}

static int cmp_seed_pair(const void *a, const void *b)
{
    const seed_pair *x = a, *y = b;
    return (x->speed > y->speed) - (x->speed < y->speed);
}

/* Start a tentative track from seed plot p1 and plot p2 (two-point differencing). */
static void start_track(lo_tracker *t, const lo_plot *p1, const lo_plot *p2, double lambda2)
{
    int32_t slot = alloc_slot(t);
    if (slot < 0) return;
    trk *k = &t->trk[slot];
    memset(k, 0, sizeof *k);
    double dt = p2->t - p1->t;
    double pv[6], P[36] = {0};
    for (int i = 0; i < 3; i++) {
        pv[i] = p2->enu[i];
        pv[i + 3] = (p2->enu[i] - p1->enu[i]) / dt;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            P[i * 6 + j] = p2->enu_cov[i * 3 + j];
            P[i * 6 + j + 3] = P[(j + 3) * 6 + i] = p2->enu_cov[i * 3 + j] / dt;
            P[(i + 3) * 6 + j + 3] = (p1->enu_cov[i * 3 + j] + p2->enu_cov[i * 3 + j]) / (dt * dt);
        }
    /* A 2D radar's plots say nothing of the climb rate: cap the velocity variance at the
     * fastest class instead of the huge value differencing gives. */
    double vcap = t->vmax * t->vmax;
    for (int i = 3; i < 6; i++)
        if (P[i * 6 + i] > vcap) {
            for (int j = 0; j < 6; j++) P[i * 6 + j] = P[j * 6 + i] = 0;
            P[i * 6 + i] = vcap;
            pv[i] = 0;
        }
    /* Per-class speed limits: the slowest class this pair fits, allowing 3 sigma of the two
     * plots' errors along the line between them, sets the initiation gate (its area enters
     * the score), and a pair only a ballistic object fits starts the ballistic model as the
     * likely one. */
    double d[3], dist2 = 0, var_along = 0;
    for (int i = 0; i < 3; i++) d[i] = p2->enu[i] - p1->enu[i], dist2 += d[i] * d[i];
    for (int i = 0; i < 3 && dist2 > 0; i++)
        for (int j = 0; j < 3; j++) var_along += d[i] * d[j] * (p1->enu_cov[i * 3 + j] + p2->enu_cov[i * 3 + j]);
    if (dist2 > 0) var_along /= dist2;
    double slack = sqrt(dist2) - 3.0 * sqrt(var_along);
    double vclass = t->vmax;
    bool only_ballistic = true;
    for (int c = 0; c < t->cfg.n_init_classes; c++) {
        const lo_init_class *ic = &t->cfg.init_classes[c];
        if (slack <= ic->max_speed_mps * dt) {
            if (ic->max_speed_mps < vclass) vclass = ic->max_speed_mps;
            if (!ic->ballistic) only_ballistic = false;
        }
    }
    if (!only_ballistic) {
        /* Two plots 1 s apart at 10 km give a climb rate good to +-130 m/s (0.6 degrees of
         * elevation error); aircraft, drones and birds climb at a few m/s. A pseudo-
         * measurement "climb 0 +- INIT_CLIMB_SIGMA" keeps that noise out of the new track
         * (ballistic-only pairs keep theirs: rockets do climb that fast). */
        double S = P[5 * 6 + 5] + INIT_CLIMB_SIGMA_MPS * INIT_CLIMB_SIGMA_MPS, K[6];
        for (int i = 0; i < 6; i++) K[i] = P[i * 6 + 5] / S;
        double innov = 0.0 - pv[5], row5[6];
        for (int j = 0; j < 6; j++) row5[j] = P[5 * 6 + j];
        for (int i = 0; i < 6; i++) {
            pv[i] += K[i] * innov;
            for (int j = 0; j < 6; j++) P[i * 6 + j] -= K[i] * row5[j];
        }
        lo_mat_symmetrize(P, 6);
        /* The same for the horizontal velocity: across the line of sight two plots 1 s apart
         * at 13 km give it to +-130 m/s (0.4 degrees of azimuth), far more than the class
         * the pair fits can fly. A prior 0 +- vclass/sqrt(2) per axis (the class's speed
         * limit as a scale, not a bound) keeps the new track's prediction within reach of
         * its third plot; along the line of sight the plots' range accuracy dominates. */
        double prior_var = 0.5 * vclass * vclass;
        for (int axis = 3; axis <= 4; axis++) {
            double Sa = P[axis * 6 + axis] + prior_var, Ka[6], rowa[6];
            for (int i = 0; i < 6; i++) Ka[i] = P[i * 6 + axis] / Sa;
            double innova = 0.0 - pv[axis];
            for (int j = 0; j < 6; j++) rowa[j] = P[axis * 6 + j];
            for (int i = 0; i < 6; i++) {
                pv[i] += Ka[i] * innova;
                for (int j = 0; j < 6; j++) P[i * 6 + j] -= Ka[i] * rowa[j];
            }
        }
        lo_mat_symmetrize(P, 6);
    }
    lo_kf kf[LO_MAX_MODELS];
    int nm = t->cfg.n_models, ballistic_idx = -1;
    for (int m = 0; m < nm; m++) {
        lo_model_init(t->cfg.models[m], &kf[m], pv, P);
        if (t->cfg.models[m] == LO_MODEL_BALLISTIC) ballistic_idx = m;
    }
    for (int m = 0; m < nm; m++) k->mu[m] = 1.0 / nm;
    if (ballistic_idx >= 0 && nm > 1) {
        double pb = only_ballistic ? 0.97 : 0.02;
        for (int m = 0; m < nm; m++) k->mu[m] = (m == ballistic_idx) ? pb : (1.0 - pb) / (nm - 1);
    }
    k->id = t->next_id++;
    k->status = LO_TRACK_TENTATIVE;
    k->t = p2->t;
    k->t_first = p1->t;
    k->n_updates = 1;
    /* The seed's look, the looks missed between the two plots, then the pair's. */
    int gap_looks = (int)lround(dt / sensor_revisit(t, p2->sensor_id)) - 1;
    k->looks = gap_looks >= 31 ? 0 : (gap_looks > 0 ? 1u << gap_looks : 1u);
    k->looks = k->looks << 1 | 1u;
    note_plot(t, k, p2);
    /* The second plot falls in the class's reach widened by the plots' horizontal spread. */
    double r = vclass * dt + sqrt(p1->enu_cov[0] + p1->enu_cov[4] + p2->enu_cov[0] + p2->enu_cov[4]);
    k->score = log(t->cfg.pd / (lambda2 * LO_PI * r * r + 1e-300));
    if (k->score > t->log_confirm - 1e-9) k->score = t->log_confirm - 1e-9; /* needs a 3rd plot */
    k->score_max = k->score;
    k->batch_serial = 0;
    k->seen_serial = 0;
    t->hot[slot].seen = 0;
    store_kf(t, slot, kf);
    refresh_combined(t, slot, kf);
    k->updated = true;
    t->live++;
    t->stats.tracks_created++;
    if (t->live > t->stats.peak_tracks) t->stats.peak_tracks = t->live;
    if (t->grid_valid) grid_insert_track(t, slot);
    emit(t, slot);
    k->updated = false;
}

static void add_seed(lo_tracker *t, const lo_plot *p)
{
    int32_t si = -1;
    if (t->stale_seeds > 0 && t->stale_seeds * 2 > t->n_seeds) {
        /* Compact: drop the dead seeds and rebuild their grid. */
        int32_t w = 0;
        for (int32_t i = 0; i < t->n_seeds; i++)
            if (t->seeds[i].alive) {
                if (w != i) t->seeds[w] = t->seeds[i], t->seed_plots[w] = t->seed_plots[i];
                w++;
            }
        t->n_seeds = w;
        t->stale_seeds = 0;
        /* The first scans make every plot a seed; later far fewer wait: give the memory
         * back once the seeds fill under an eighth of it (a quarter after halving twice). */
        if (t->cap_seeds > 1024 && (int64_t)t->n_seeds * 8 < t->cap_seeds) {
            int32_t cap = t->cap_seeds / 4;
            seed *ns = realloc(t->seeds, sizeof *ns * (size_t)cap);
            if (ns) { /* a failed shrink keeps the old, larger block: still big enough */
                t->seeds = ns;
                lo_plot *np = realloc(t->seed_plots, sizeof *np * (size_t)cap);
                if (np) t->seed_plots = np;
                t->cap_seeds = cap;
            }
        }
        lo_grid_clear(&t->seed_grid);
        for (int32_t i = 0; i < t->n_seeds; i++)
            lo_grid_insert(&t->seed_grid, i, t->seeds[i].enu[0], t->seeds[i].enu[1], 0);
    }
    if (t->n_seeds + 1 > t->cap_seeds) {
        int32_t cap = t->cap_seeds;
        if (!grow((void **)&t->seeds, sizeof *t->seeds, &cap, t->n_seeds + 1)) return;
        lo_plot *sp = realloc(t->seed_plots, sizeof *sp * (size_t)cap);
        if (!sp) return; /* seeds keeps its larger size; cap_seeds still bounds both */
        t->seed_plots = sp;
        t->cap_seeds = cap;
    }
    si = t->n_seeds++;
    seed *s = &t->seeds[si];
    s->alive = true;
    s->seen = 0;
    memcpy(s->enu, p->enu, sizeof s->enu);
    s->t = p->t;
    s->revisit_s = sensor_revisit(t, p->sensor_id);
    s->cov_bound = 0;
    for (int i = 0; i < 9; i++) s->cov_bound += fabs(p->enu_cov[i]);
    t->seed_plots[si] = *p;
    lo_grid_insert(&t->seed_grid, si, p->enu[0], p->enu[1], 0);
}

static void expire_seeds(lo_tracker *t, double now)
{
    for (int32_t i = 0; i < t->n_seeds; i++)
        if (t->seeds[i].alive && now - t->seeds[i].t > t->cfg.init_max_gap_s) {
            t->seeds[i].alive = false;
            t->stale_seeds++;
        }
}

static void initiate(lo_tracker *t)
{
    seed_ctx c = {.t = t};
    for (int32_t j = 0; j < t->n_bp; j++) {
        if (t->bp_used[j]) continue;
        const lo_plot *p = t->bp[j];
        c.plot = j;
        c.plot_cov_bound = 0;
        for (int i = 0; i < 9; i++) c.plot_cov_bound += fabs(p->enu_cov[i]);
        t->seen_serial++;
        double r = t->vmax * t->cfg.init_max_gap_s + 3.0 * sqrt(p->enu_cov[0] + p->enu_cov[4]) + 300.0;
        lo_grid_query(&t->seed_grid, p->enu[0], p->enu[1], r, visit_seed, &c);
    }
    if (c.n > 1) qsort(c.pairs, (size_t)c.n, sizeof *c.pairs, cmp_seed_pair);
    for (int32_t k = 0; k < c.n; k++) {
        seed *s = &t->seeds[c.pairs[k].seed];
        int32_t j = c.pairs[k].plot;
        if (!s->alive || t->bp_used[j]) continue;
        const lo_plot *p = t->bp[j];
        double lambda2 = clutter_density2(t, p->enu, p->t, sensor_revisit(t, p->sensor_id), NULL, NULL);
        start_track(t, &t->seed_plots[c.pairs[k].seed], p, lambda2);
        s->alive = false;
        t->stale_seeds++;
        t->bp_used[j] = 1;
    }
    free(c.pairs);
    for (int32_t j = 0; j < t->n_bp; j++)
        if (!t->bp_used[j]) add_seed(t, t->bp[j]);
}

/* ---------------------------------------------------------------------------------------- */
/* housekeeping                                                                              */

static void merge_duplicates(lo_tracker *t, double now);

static void housekeeping(lo_tracker *t, double now)
{
    for (int32_t s = 0; s < t->n_slots; s++) {
        if (!(now > t->due[s])) continue; /* free slots are due at infinity */
        trk *k = &t->trk[s];
        if (!k->id) continue;
        bool changed = false;
        if (now > k->t_expect) {
            double n_missed = floor((now - k->t_expect) / k->revisit_s) + 1.0;
            k->score += n_missed * t->ln_miss;
            k->looks = n_missed >= 32 ? 0 : k->looks << (int)n_missed;
            k->t_expect += n_missed * k->revisit_s;
            if (k->status == LO_TRACK_CONFIRMED) {
                k->status = LO_TRACK_COASTING;
                changed = true;
            }
        }
        bool del;
        if (k->status == LO_TRACK_TENTATIVE)
            del = k->score < t->log_delete || now - k->t_last_update > t->cfg.max_coast_s;
        else
            del = k->score < k->score_max - t->cfg.delete_score_drop ||
                  now - k->t_last_update > t->cfg.max_coast_s;
        if (del) delete_track(t, s, now);
        else {
            set_due(t, k);
            if (changed) emit(t, s);
        }
    }
    expire_seeds(t, now);
    if (++t->hk_count % (long)lround(MERGE_INTERVAL_S / HOUSEKEEPING_INTERVAL_S) == 0)
        merge_duplicates(t, now);
}

/* Housekeeping runs at fixed times (multiples of its interval) interleaved with the batches
 * by time alone, so the result does not depend on how often the caller advances. Runs every
 * due time up to `limit` (strictly before it when `strict`). */
static void housekeeping_until(lo_tracker *t, double limit, bool strict)
{
    if (!isfinite(limit)) return;
    if (isnan(t->hk_next)) t->hk_next = ceil(limit / HOUSEKEEPING_INTERVAL_S) * HOUSEKEEPING_INTERVAL_S;
    while (strict ? t->hk_next < limit : t->hk_next <= limit) {
        if (t->live == 0 && t->n_seeds == t->stale_seeds) {
            /* Nothing to age: skip ahead over the idle stretch. */
            double skip = floor(limit / HOUSEKEEPING_INTERVAL_S) * HOUSEKEEPING_INTERVAL_S;
            if (skip > t->hk_next) {
                t->hk_count += (long)lround((skip - t->hk_next) / HOUSEKEEPING_INTERVAL_S);
                t->hk_next = skip;
            }
            if (strict ? !(t->hk_next < limit) : !(t->hk_next <= limit)) break;
        }
        housekeeping(t, t->hk_next);
        t->hk_next = (double)(lround(t->hk_next / HOUSEKEEPING_INTERVAL_S) + 1) * HOUSEKEEPING_INTERVAL_S;
    }
}

typedef struct merge_ctx {
    lo_tracker *t;
    int32_t slot;
    double now;
} merge_ctx;

static bool track_ranks_above(const trk *a, const trk *b)
{
    bool ca = a->status != LO_TRACK_TENTATIVE, cb = b->status != LO_TRACK_TENTATIVE;
    if (ca != cb) return ca;
    return a->id < b->id; /* the older track keeps its id */
}

/* Did tracks a and b each take a plot of their own from the same configured radar in its
 * last scan? Then the radar resolved two objects there. (A target whose returns split into
 * two plots in every scan would keep two tracks too; the split returns of real radars, and
 * of the simulator, come now and then, and a duplicate that takes no plot of its own is
 * still merged. Tracks fed by plots without a configured sensor are left to the distance
 * test.) */
static bool own_plots_last_scan(const lo_tracker *t, const trk *a, const trk *b, double now)
{
    double revisit = a->revisit_s > b->revisit_s ? a->revisit_s : b->revisit_s;
    if (!(revisit > 0) || a->last_sensor_id != b->last_sensor_id) return false;
    if (!find_sensor(t, a->last_sensor_id, NULL)) return false;
    if (a->last_plot_t < now - 1.5 * revisit || b->last_plot_t < now - 1.5 * revisit) return false;
    return a->last_plot_t != b->last_plot_t && fabs(a->last_plot_t - b->last_plot_t) < 0.5 * revisit;
}

static void visit_merge(void *vctx, int32_t other)
{
    merge_ctx *c = vctx;
    lo_tracker *t = c->t;
    if (other <= c->slot) return; /* each pair once */
    const trk_hot *ha = &t->hot[c->slot], *hb = &t->hot[other];
    if (!ha->id || !hb->id) return;
    /* Horizontal prefilter on the hot data before touching the full tracks. */
    double lim = t->cfg.merge_distance_sigma;
    double dvx = ha->vx - hb->vx, dvy = ha->vy - hb->vy;
    if (dvx * dvx + dvy * dvy > lim * lim * (ha->tr_vel + hb->tr_vel)) return;
    double dx = (ha->x + ha->vx * (c->now - ha->t)) - (hb->x + hb->vx * (c->now - hb->t));
    double dy = (ha->y + ha->vy * (c->now - ha->t)) - (hb->y + hb->vy * (c->now - hb->t));
    if (dx * dx + dy * dy > lim * lim * (ha->tr_pos + hb->tr_pos)) return;
    trk *a = &t->trk[c->slot], *b = &t->trk[other];
    double d[6], S[36], L[36];
    double dta = c->now - a->t, dtb = c->now - b->t;
    for (int i = 0; i < 3; i++) {
        d[i] = (a->pv[i] + a->pv[i + 3] * dta) - (b->pv[i] + b->pv[i + 3] * dtb);
        d[i + 3] = a->pv[i + 3] - b->pv[i + 3];
    }
    /* Each coordinate alone must be within the limit. */
    for (int i = 0; i < 6; i++)
        if (d[i] * d[i] > lim * lim * (a->pv_cov[i * 7] + b->pv_cov[i * 7])) return;
    for (int i = 0; i < 36; i++) S[i] = a->pv_cov[i] + b->pv_cov[i];
    if (lo_chol(S, L, 6) != 0) return;
    double d2 = lo_chol_mahalanobis(L, d, 6);
    if (d2 > lim * lim) return;
    /* Crossing targets are close for a moment; duplicates stay together. The lower id keeps
     * the count of consecutive close checks with its partner. */
    trk *keeper = a->id < b->id ? a : b, *other_trk = a->id < b->id ? b : a;
    if (keeper->merge_seen == t->merge_serial) return; /* counted this check already */
    keeper->merge_seen = t->merge_serial;
    /* Two tracks that each took a plot of their own in the last scan follow two targets
     * (crossing.yaml's multirotors 40 m apart in formation, within one sigma of each other,
     * were merged into one track again and again): not duplicates, the count restarts. */
    if (own_plots_last_scan(t, a, b, c->now)) {
        keeper->merge_hits = 0;
        return;
    }
    if (keeper->merge_partner == other_trk->id && keeper->merge_hits > 0 &&
        keeper->merge_last == t->merge_serial - 1)
        keeper->merge_hits++;
    else
        keeper->merge_partner = other_trk->id, keeper->merge_hits = 1;
    keeper->merge_last = t->merge_serial;
    if (keeper->merge_hits < MERGE_CHECKS) return;
    int32_t loser = track_ranks_above(a, b) ? other : c->slot;
    t->stats.tracks_merged++;
    delete_track(t, loser, c->now);
}

static void merge_duplicates(lo_tracker *t, double now)
{
    if (t->live < 2) return;
    t->merge_serial++;
    lo_grid_clear(&t->merge_grid);
    /* Both passes read the compact mirror (hot: x, y, vx, vy, t are the track's pv and t),
     * not the tracks themselves: at 10,000 tracks that is 64 bytes a track instead of three
     * cache lines. */
    for (int32_t s = 0; s < t->n_slots; s++) {
        const trk_hot *h = &t->hot[s];
        if (!h->id || h->n_updates < 3) continue;
        double dt = now - h->t;
        /* Inserted with its own reach and queried with the other's: together they cover the test. */
        double r = t->cfg.merge_distance_sigma * sqrt(2.0 * h->tr_pos) + 1.0;
        lo_grid_insert(&t->merge_grid, s, h->x + h->vx * dt, h->y + h->vy * dt, r);
    }
    for (int32_t s = 0; s < t->n_slots; s++) {
        const trk_hot *h = &t->hot[s];
        if (!h->id || h->n_updates < 3) continue;
        merge_ctx c = {t, s, now};
        double dt = now - h->t;
        /* A partner must be within merge_distance_sigma of the summed position spread. */
        double r = t->cfg.merge_distance_sigma * sqrt(2.0 * h->tr_pos) + 1.0;
        lo_grid_query(&t->merge_grid, h->x + h->vx * dt, h->y + h->vy * dt, r, visit_merge, &c);
    }
    t->grid_valid = false; /* slots were freed: rebuild the track grid before the next batch */
}

/* ---------------------------------------------------------------------------------------- */
/* batches                                                                                   */

static void process_batch(lo_tracker *t)
{
    int32_t np = t->n_bp;
    if (np == 0) return;
    t->stats.batches++;
    t->stats.plots_processed += (uint64_t)np;
    double t_ref = t->bp[0]->t;
    double t_end = t->bp[np - 1]->t;
    if (!t->grid_valid || t_ref >= t->grid_t0 + GRID_INTERVAL_S || t_ref < t->grid_t0)
        rebuild_track_grid(t, t_ref);
    t->batch_serial++;
    t->n_pairs = 0;
    t->n_cand = 0;
    for (int32_t j = 0; j < np; j++) {
        /* Two-stage prefetch: a plot 16 ahead, then the map and grid cells of one 8 ahead. */
        if (j + 16 < np) plot_prefetch(t->bp[j + 16]);
        if (j + 8 < np) {
            const lo_plot *q = t->bp[j + 8];
            cmap_prefetch(t, q->enu);
            lo_grid_prefetch(&t->track_grid, q->enu[0], q->enu[1]);
        }
        const lo_plot *p = t->bp[j];
        clutter_density2(t, p->enu, p->t, sensor_revisit(t, p->sensor_id), &t->bp_lambda[j], p);
        t->bp_used[j] = 0;
        t->seen_serial++;
        double r = sqrt(t->gate_d2 * (p->enu_cov[0] + p->enu_cov[4]));
        gate_ctx g = {t, j, r};
        lo_grid_query(&t->track_grid, p->enu[0], p->enu[1], r, visit_track_candidate, &g);
    }
    if (!group_pairs_by_track(t)) t->n_pairs = t->n_cand = 0;
#ifdef LO_TRACK_DEBUG
    struct timespec q0, q1, q2, q3, q4;
    clock_gettime(CLOCK_MONOTONIC, &q0);
#endif
    /* Prefetch the tracks 4 ahead and the plots of the next pairs (pairs are in track order):
     * the plots of a batch reach the tracks in no spatial order. */
    int32_t pair_pf = 0;
    for (int32_t c = 0; c < t->n_cand; c++) {
        if (c + 4 < t->n_cand) slot_prefetch(t, t->cand_tracks[c + 4]);
        int32_t head = t->trk[t->cand_tracks[c]].cand_head;
        if (pair_pf < head) pair_pf = head;
        for (; pair_pf < head + 12 && pair_pf < t->n_pairs; pair_pf++)
            plot_prefetch(t->bp[t->pairs[pair_pf].plot]);
        gate_track(t, t->cand_tracks[c], t_ref);
    }
#ifdef LO_TRACK_DEBUG
    clock_gettime(CLOCK_MONOTONIC, &q1);
#endif
    associate(t);
#ifdef LO_TRACK_DEBUG
    clock_gettime(CLOCK_MONOTONIC, &q2);
#endif
    initiate(t);
#ifdef LO_TRACK_DEBUG
    clock_gettime(CLOCK_MONOTONIC, &q3);
#endif
    for (int32_t j = 0; j < np; j++)
        if (t->bp_used[j] < 2)
            /* A tentative track's plots count as clutter (most tentative tracks are), but
             * not in the cell's Doppler: a new target's own first plots would otherwise
             * make its Doppler look like the cell's clutter and hold back its confirmation. */
            clutter_map_add(t, t->bp[j], t->bp_used[j] ? CMAP_TENTATIVE_WEIGHT : 1.0, t->bp_used[j] ? 0.0 : 1.0);
#ifdef LO_TRACK_DEBUG
    clock_gettime(CLOCK_MONOTONIC, &q4);
#define MS(a, b) ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) * 1e-6)
    fprintf(stderr, "batch t=%.2f plots %d pairs %d cand %d live %zu seeds %d grid nodes %d: "
            "gate %.2f assoc %.2f init %.2f cmap %.2f ms\n", t_ref, np, t->n_pairs, t->n_cand,
            t->live, t->n_seeds, t->track_grid.n_nodes, MS(q0, q1), MS(q1, q2), MS(q2, q3), MS(q3, q4));
#endif
    /* Reports of the tracks this batch touched (new tracks included). */
    for (int32_t c = 0; c < t->n_cand; c++) {
        int32_t s = t->cand_tracks[c];
        if (t->trk[s].id && t->trk[s].updated) emit(t, s);
        t->trk[s].updated = false;
    }
    (void)t_end;
}

/* Process the queued plots up to `horizon`. A batch (plots of one sensor within
 * batch_window_s of its first) is processed only once the horizon has passed its end, so
 * batches do not depend on when the caller advances; at the end of input (horizon infinite)
 * everything goes. */
static void run_until(lo_tracker *t, double horizon)
{
    const heap_item *top;
    while ((top = queue_top(t)) && top->t <= horizon) {
        uint16_t sensor = top->sensor_id;
        double t0 = top->t;
        if (isfinite(horizon) && horizon < t0 + t->cfg.batch_window_s) break;
        housekeeping_until(t, t0, true);
        t->n_bp = 0;
        while ((top = queue_top(t)) && top->sensor_id == sensor &&
               top->t - t0 <= t->cfg.batch_window_s) {
            if (!grow((void **)&t->bp, sizeof *t->bp, &t->cap_bp, t->n_bp + 1)) return;
            t->bp[t->n_bp++] = queue_pop(t);
        }
        int32_t cap = t->cap_bp;
        double *l = realloc(t->bp_lambda, sizeof *l * (size_t)cap);
        if (!l) return;
        t->bp_lambda = l;
        uint8_t *u = realloc(t->bp_used, (size_t)cap);
        if (!u) return;
        t->bp_used = u;
        process_batch(t);
        if (t->bp[t->n_bp - 1]->t > t->done_t) t->done_t = t->bp[t->n_bp - 1]->t;
        for (int32_t j = 0; j < t->n_bp; j++) t->pool_free[t->pool_n_free++] = (int32_t)(t->bp[j] - t->pool);
        t->n_bp = 0;
    }
}

void lo_tracker_advance(lo_tracker *t, double now)
{
    double horizon = now - t->cfg.reorder_window_s;
    run_until(t, horizon);
    /* Plots up to here are final except a batch still open; later plots are late. */
    double settled = horizon;
    const heap_item *top = queue_top(t);
    if (top && top->t < settled) settled = top->t;
    if (settled > t->done_t) t->done_t = settled;
    housekeeping_until(t, settled, top != NULL);
}

void lo_tracker_flush(lo_tracker *t)
{
    run_until(t, INFINITY);
    if (isfinite(t->done_t)) housekeeping_until(t, t->done_t, false);
}

void lo_tracker_finish(lo_tracker *t)
{
    lo_tracker_flush(t);
    double now = isfinite(t->done_t) ? t->done_t : 0;
    for (int32_t s = 0; s < t->n_slots; s++)
        if (t->trk[s].id) delete_track(t, s, now);
}

size_t lo_tracker_track_count(const lo_tracker *t)
{
    return t->live;
}

void lo_tracker_for_each(const lo_tracker *t, lo_track_report_fn fn, void *ctx)
{
    for (int32_t s = 0; s < t->n_slots; s++) {
        if (!t->trk[s].id) continue;
        lo_track snap;
        fill_snapshot(t, s, &snap);
        fn(ctx, &snap);
    }
}

bool lo_tracker_track_at(const lo_tracker *t, size_t i, lo_track *out)
{
    for (int32_t s = 0; s < t->n_slots; s++) {
        if (!t->trk[s].id) continue;
        if (i == 0) {
            fill_snapshot(t, s, out);
            return true;
        }
        i--;
    }
    return false;
}

void lo_tracker_get_stats(const lo_tracker *t, lo_tracker_stats *out)
{
    *out = t->stats;
    out->live_tracks = t->live;
    size_t m = sizeof *t;
    m += (size_t)t->cap * (sizeof(trk) + sizeof(int32_t) + sizeof(double) * (1 + (size_t)t->kf_stride));
    m += t->heap_cap * (2 * sizeof(heap_item) + sizeof(lo_plot) + sizeof(int32_t));
    m += (size_t)t->cap_bp * (sizeof(lo_plot *) + sizeof(double) + 1);
    m += (size_t)(t->cap_pairs + t->cap_pairs_tmp) * sizeof(cand_pair) +
         (size_t)t->cap_cand * sizeof(int32_t) + (size_t)t->cap * sizeof(trk_hot);
    m += (size_t)(t->cap_uf + t->cap_assoc_i) * sizeof(int32_t);
    m += lo_grid_memory(&t->track_grid) + lo_grid_memory(&t->seed_grid) +
         lo_grid_memory(&t->merge_grid);
    m += (size_t)t->cap_seeds * (sizeof(seed) + sizeof(lo_plot));
    m += t->cmap ? (size_t)(t->cmap_mask + 1) * sizeof(cmap_cell) : 0;
    m += t->cap_scratch * sizeof(double) + t->cap_iscratch * sizeof(int32_t);
    out->memory_bytes = m;
}
