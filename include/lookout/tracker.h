/*
 * lookout/tracker.h: the multi-target tracker (plots in, track reports out).
 *
 * Owns the tracks: their filters (IMM of CV / CT / CA / ballistic models on the system ENU
 * frame), the input queue that puts plots from any number of radars into time order, gating
 * with a spatial grid, association (GNN or JPDA), and track management (two-point initiation,
 * SPRT confirmation, coasting, deletion, duplicate merging, clutter map). See docs/tracker.md
 * for the design and every setting.
 *
 * The tracker knows nothing of files or sockets: a caller feeds it plots with
 * lo_tracker_add_plot (any order within the reorder window), drives it with
 * lo_tracker_advance(now) and receives lo_track reports through a callback. The tracker is
 * driven only by the plots' timestamps, never by the wall clock, so a replay is repeatable.
 * It uses lo_plot.enu / enu_cov (filled by lo_ingest_plot) as converted measurements, the
 * polar part only for the radial velocity, and reads lo_plot.truth_id only to copy it into
 * lo_track.last_truth_id for evaluation.
 *
 * Model order: lo_track.model_prob[i] and lo_tracker_config.models[i] follow the fixed order
 * CV, CT, CA, BALLISTIC, skipping the models not configured (with models: [cv, ct, ca]:
 * model_prob[0] = CV, [1] = CT, [2] = CA). lo_tracker_config.models is always kept sorted.
 *
 * Units: SI (m, s, rad, m/s) inside; YAML keys name their unit by suffix. Time: UTC seconds
 * as double. Not thread-safe: one tracker per thread.
 */
#ifndef LOOKOUT_TRACKER_H
#define LOOKOUT_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/config.h"
#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lo_motion_model {
    LO_MODEL_CV = 0,        /* constant velocity (white-noise acceleration), 6 states */
    LO_MODEL_CT,            /* horizontal coordinated turn, turn rate estimated, 7 states */
    LO_MODEL_CA,            /* constant acceleration (Wiener acceleration), 9 states */
    LO_MODEL_BALLISTIC,     /* gravity + quadratic drag, drag coefficient estimated, 7 states */
    LO_MODEL_COUNT
} lo_motion_model;

const char *lo_motion_model_name(lo_motion_model m);   /* "cv", "ct", "ca", "ballistic" */

typedef enum lo_association { LO_ASSOC_GNN = 0, LO_ASSOC_JPDA } lo_association;

/* Speed limit of one target class for two-point initiation. */
typedef struct lo_init_class {
    char name[LO_NAME_MAX];   /* free text ("drone", "aircraft", "ballistic") */
    double max_speed_mps;
    bool ballistic;           /* a pair this fast only fits a ballistic object: start the
                                 ballistic model with high probability */
} lo_init_class;

#define LO_TRACKER_MAX_INIT_CLASSES 8

typedef struct lo_tracker_config {
    lo_association association;   /* gnn | jpda (default jpda) */
    int n_models;                 /* 1..LO_MAX_MODELS */
    lo_motion_model models[LO_MAX_MODELS];  /* sorted, see the model order above */

    /* Process noise. */
    double q_cv;                  /* acceleration spectral density of CV, m^2/s^3 */
    double q_ct;                  /* of CT on position/velocity, m^2/s^3 */
    double q_turn_rate;           /* turn-rate random walk, rad^2/s^3 */
    double q_ca;                  /* jerk spectral density of CA, m^2/s^5 */
    double q_ballistic;           /* acceleration density of the ballistic model, m^2/s^3 */
    double q_drag;                /* drag-coefficient random walk, (1/m)^2/s */
    double model_sojourn_s;       /* IMM: mean time in one model before a switch */

    /* Detection and clutter. */
    double pd;                    /* detection probability per look */
    double gate_probability;      /* chi-square gate on the 3-D innovation, e.g. 0.9997 */
    double clutter_density;       /* floor of false alarms per m^2 per look (horizontal) */
    double clutter_height_m;      /* vertical extent over which false alarms spread */
    bool clutter_map;             /* learn the per-cell false-alarm density */
    double clutter_map_cell_m;
    double clutter_map_time_s;    /* memory of the clutter map */
    double clutter_radial_span_mps; /* false alarms' radial velocities spread over this span */

    /* Initiation and confirmation (SPRT on the log-likelihood ratio). */
    int n_init_classes;
    lo_init_class init_classes[LO_TRACKER_MAX_INIT_CLASSES];
    double init_max_gap_s;        /* a lone plot waits this long for its second plot */
    double false_confirm_prob;    /* SPRT alpha: probability of confirming a false track */
    double true_delete_prob;      /* SPRT beta: probability of dropping a true track */
    int confirm_m, confirm_n;     /* also confirm on M plots in the last N looks (0: off) */
    bool confirm_clutter_scaled;  /* raise the confirmation threshold by log(learned clutter
                                     density / clutter_density) where the map exceeds the
                                     floor (default true) */
    double delete_score_drop;     /* confirmed: delete when the score falls this far below
                                     its maximum */
    double max_coast_s;           /* confirmed: delete after this long without a plot */
    double merge_distance_sigma;  /* merge two tracks closer than this (Mahalanobis, pos+vel) */

    /* Input. */
    double reorder_window_s;      /* plots may arrive this late and still be sorted in */
    double batch_window_s;        /* plots of one sensor within this span are one batch */
    double grid_cell_m;           /* gating grid cell size (horizontal) */
    int jpda_max_hypotheses;      /* exact JPDA up to this many joint events, else cheap JPDA */
    bool jpda_star;               /* JPDA*: drop joint events that are a worse ordering of
                                     another (no coalescence of close tracks); default false:
                                     mixed on the shipped scenarios, docs/tracker.md) */
    double default_height_m;      /* for 2D plots (passed to ingest by callers) */
    bool report_tentative;        /* also report tentative tracks */
} lo_tracker_config;

/* Defaults: IMM of CV+CT+CA, JPDA, Pd 0.9 (see docs/tracker.md for every value). */
void lo_tracker_config_default(lo_tracker_config *cfg);

/* Read the `tracker:` section of a site or scenario YAML into cfg (keeps defaults for absent
 * keys). Unknown keys and bad values are reported through the document's sink with key path
 * and line. Returns 0, or -1 after reporting errors. A document without the section is fine. */
int lo_tracker_config_from_site(const lo_site *site, lo_tracker_config *cfg, lo_diag_sink *sink);

typedef struct lo_tracker lo_tracker;

/* A report: one snapshot of one track after an update, a status change, or its deletion
 * (status LO_TRACK_DELETED, sent once). The pointer is valid during the call only, and the
 * callback must not call back into the tracker. */
typedef void (*lo_track_report_fn)(void *ctx, const lo_track *track);

/* `site` (sensors, their positions and accuracy) must outlive the tracker; it may be NULL
 * when every plot carries its own covariance and no radial velocity is to be used.
 * Returns NULL when out of memory or the configuration is invalid. */
lo_tracker *lo_tracker_new(const lo_site *site, const lo_tracker_config *cfg);
void lo_tracker_free(lo_tracker *t);
void lo_tracker_set_report(lo_tracker *t, lo_track_report_fn fn, void *ctx);

/* The tracker's own sanity bounds on a plot, for callers that skip lo_ingest_plot: a time
 * beyond LO_MAX_ABS_TIME_S (types.h: past it the housekeeping clock cannot step), or a
 * position over 10,000 km from the system reference (no radar reaches that far in a local
 * frame; the spatial grid's cell indexes would overflow long before a double does). */
#define LO_TRACKER_MAX_ABS_POSITION_M 1e7

/* Queue one plot (copied). It needs LO_PLOT_CARTESIAN and LO_PLOT_COVARIANCE (see
 * lo_ingest_plot), finite values, positive variances and time and position within the
 * bounds above. Returns 0, or -1 when it is refused: not usable (stats.refused_plots), or
 * older than the last processed time (stats.late_plots; late plots are dropped, not
 * retrodicted: see docs/tracker.md). */
int lo_tracker_add_plot(lo_tracker *t, const lo_plot *p);

/* Process every queued plot with time <= now - reorder_window_s, then coast/delete tracks up
 * to that time. Call it as time passes (e.g. after each plot, or every 100 ms). */
void lo_tracker_advance(lo_tracker *t, double now);

/* Process everything queued (end of input). Tracks stay alive. */
void lo_tracker_flush(lo_tracker *t);

/* Delete every track (each gets its final LO_TRACK_DELETED report). */
void lo_tracker_finish(lo_tracker *t);

/* Live tracks, in no particular order: snapshots at their last update time.
 * lo_tracker_for_each visits every one in O(tracks); lo_tracker_track_at(i) is O(i). */
size_t lo_tracker_track_count(const lo_tracker *t);
void lo_tracker_for_each(const lo_tracker *t, lo_track_report_fn fn, void *ctx);
bool lo_tracker_track_at(const lo_tracker *t, size_t i, lo_track *out);

typedef struct lo_tracker_stats {
    uint64_t plots_in;        /* accepted by lo_tracker_add_plot */
    uint64_t plots_processed;
    uint64_t late_plots;      /* older than the last processed time: dropped */
    uint64_t refused_plots;   /* not usable (no ENU or covariance, NaN, out of bounds) */
    uint64_t batches;
    uint64_t tracks_created;  /* every track ever, tentative ones included */
    uint64_t tracks_confirmed;
    uint64_t tracks_merged;
    uint64_t jpda_exact_clusters, jpda_approx_clusters;
    size_t live_tracks;
    size_t peak_tracks;
    size_t memory_bytes;      /* heap held by the tracker now */
} lo_tracker_stats;

void lo_tracker_get_stats(const lo_tracker *t, lo_tracker_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_TRACKER_H */
