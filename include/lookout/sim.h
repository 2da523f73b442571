/*
 * lookout/sim.h: the scenario simulator, a plot source like a radar.
 *
 * Owns a running simulation: the targets of a scenario file (its `simulation`, `targets` and
 * `clutter` sections, read from the site document, see docs/simulator.md), their randomised
 * kinematics and radar cross-sections, and one radar model per configured sensor (rotating or
 * staring, 2D or 3D, SNR from the radar equation, Swerling detection, noise, resolution cells,
 * coverage and earth-curvature masking, thermal false alarms and clutter).
 *
 * Streaming: plots are pulled one at a time in time order (lo_sim_next_plot); the simulator
 * holds at most one scan's plots per sensor, so memory does not grow with the run's length.
 * Truth samples go to a callback as the targets advance (each active target once per truth
 * period), in time order. It never calls the tracker.
 *
 * Deterministic: the same scenario, seed and options give the same plots and truth, bit for
 * bit, on the same build.
 *
 * Units: SI and radians (types.h). Time: UTC seconds since the Unix epoch, as double.
 */
#ifndef LOOKOUT_SIM_H
#define LOOKOUT_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lo_site;
typedef struct lo_sim lo_sim;

typedef struct lo_sim_options {
    bool has_seed;
    uint64_t seed;           /* overrides simulation.seed when has_seed */
    double duration_s;       /* > 0 overrides simulation.duration_s */
    double truth_rate_s;     /* > 0 overrides simulation.truth_rate_s */
} lo_sim_options;

#define LO_SIM_RANGE_BANDS 8     /* 5 km bands: 0-5, 5-10, ..., 35 km and beyond */
#define LO_SIM_RANGE_BAND_M 5000.0

/* Counters for the run so far. */
typedef struct lo_sim_stats {
    uint64_t plots;                     /* plots delivered */
    uint64_t detections[LO_CLASS_COUNT];/* target plots by the class of their main target */
    uint64_t false_alarms;              /* plots with truth_id 0, all sources */
    uint64_t thermal, ground_clutter, rain, turbine;
    uint64_t split;                     /* extra plots from split returns (counted in
                                           detections: they come from a target) */
    uint64_t looks;                     /* returns inside coverage, one per resolution cell
                                           (targets and wind turbines), before detection */
    uint64_t missed;                    /* returns below the detection threshold */
    uint64_t merged;                    /* target looks merged into a stronger one's cell */
    uint64_t masked;                    /* target looks hidden by the horizon, the blind zone
                                           or the elevation limits */
    uint64_t cell_looks_by_range[LO_SIM_RANGE_BANDS]; /* target returns (after merging) */
    uint64_t detected_by_range[LO_SIM_RANGE_BANDS];   /* of which detected */
    uint64_t truth_samples;
    uint32_t targets;                   /* truth objects in the scenario */
    uint64_t seed;                      /* the seed in use */
} lo_sim_stats;

typedef void (*lo_sim_truth_fn)(void *ctx, const lo_truth *truth);

/* Build a simulation of the scenario whose site (sensors, reference, propagation) is `site`,
 * reading the scenario sections from site->doc. Errors name the key path and line; NULL when
 * the scenario is unusable. `opt` may be NULL. The site must outlive the simulation. */
lo_sim *lo_sim_new(const struct lo_site *site, const lo_sim_options *opt, lo_diag_sink *sink);
void lo_sim_free(lo_sim *sim);

/* Truth samples go to fn(ctx, sample) as the simulation advances (set before the first
 * lo_sim_next_plot). */
void lo_sim_set_truth_callback(lo_sim *sim, lo_sim_truth_fn fn, void *ctx);

/* The next plot in time order (ties in sensor, then azimuth order). Returns 1 with a plot,
 * 0 when the run is over; once over, the remaining truth samples have been delivered. */
int lo_sim_next_plot(lo_sim *sim, lo_plot *out);

double lo_sim_start_time(const lo_sim *sim);
double lo_sim_end_time(const lo_sim *sim);
void lo_sim_get_stats(const lo_sim *sim, lo_sim_stats *out);

/* Class and name of a truth object (for summaries); false for an unknown id. */
bool lo_sim_truth_info(const lo_sim *sim, uint32_t truth_id, lo_class *cls, const char **name);

#ifdef __cplusplus
}
#endif
#endif
