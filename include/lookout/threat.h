/*
 * lookout/threat.h: threat evaluation and alerts (sense and warn only).
 *
 * Owns two things:
 *  1. Evaluation, pure functions of one track snapshot: for each protected zone whether the
 *     track is inside it (footprint and height band), the closest point of approach of its
 *     predicted path, the time to entry with a 1-sigma uncertainty (sigma points over the
 *     track's position and velocity covariances), and the earliest time the track could reach
 *     the zone at the top speed of its class. For ballistic tracks: the predicted impact point
 *     and time with a 2x2 error ellipse, and the back-propagated launch point, for reports
 *     only. The path comes from a batch least-squares fit (position, velocity, drag) over the
 *     track's own plots when the caller feeds plots (lo_threat_add_plot; the engine keeps a
 *     bounded ring of recent plots and, per ballistic track, a bounded plot history), else
 *     from the tracker's state (gravity, plus drag when configured; unscented transform).
 *  2. The alert engine (lo_threat_engine): turns the evaluations of every scan into alert
 *     transitions (raised / updated / cleared) with levels from a rule table, hysteresis, one
 *     alert per (track, zone), and a one-line reason. It hands each transition to a callback;
 *     it knows nothing of files, sockets or databases (the journal is a sink the caller wires).
 *
 * Nothing here steers, cues, intercepts or engages anything: the output is information for
 * the people in the protected zones.
 *
 * Units: SI (m, s, m/s, m/s^2), positions in the system ENU frame (types.h). The terrain is
 * the horizontal plane up = terrain_up_m of the system frame (0 by default: the reference
 * point's ellipsoid height; set it in the site YAML `alerts:` section).
 * Time: UTC seconds as double; "time to ..." values are seconds from the track's time t.
 */
#ifndef LOOKOUT_THREAT_H
#define LOOKOUT_THREAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lo_ydoc;

/* ---- parameters ------------------------------------------------------------------------- */

/* One row of the alert rule table. A (track, zone) pair gets the highest level of every rule
 * that matches: the track's class group is `group`, the zone's priority number is at most
 * `max_priority` (1 = highest priority), and the track is inside the zone or its threat time
 * is at most `max_time_s`. The threat time is the time to entry; without an exact entry, the
 * time of closest approach when the path passes within the approach tolerance; for a
 * ballistic track (group rocket) the time to impact, when the impact counts for the zone.
 * With `use_reach` the time compared is instead the worst-case time to reach the zone at the
 * class's top speed (a drone may turn towards the zone at any time). */
typedef struct lo_alert_rule {
    lo_class_group group;
    int max_priority;
    lo_alert_level level;
    double max_time_s;
    bool use_reach;
    double min_probability; /* the group's probability must be at least this (0: any believed
                               group); the classifier's doubt keeps a bird that looks a bit
                               like a drone at warning instead of alarm */
} lo_alert_rule;

#define LO_ALERT_MAX_RULES 32

typedef struct lo_threat_config {
    /* Evaluation. */
    double horizon_s;            /* how far ahead entry is predicted (straight line) */
    double vertical_horizon_s;   /* climb/descent extrapolated this long, level after */
    double terrain_up_m;         /* ground plane for impact and launch points */
    double drag_k_per_m;         /* ballistic drag: a = -k |v| v (0: gravity only) */
    int ballistic_model_index;   /* index into lo_track.model_prob of the tracker's ballistic
                                    model, -1 when the tracker has none */
    double ballistic_model_prob; /* that model's probability that makes a track ballistic */
    double ballistic_min_speed_mps;  /* kinematic test: speed at least this and ... */
    double ballistic_min_descent_acc; /* ... acc[2] at most -this (m/s^2, e.g. 0.5 g) */
    double impact_min_probability; /* impact counts for a zone when P(impact in zone) >= this
                                      or the mean impact point is inside */
    double max_speed_mps[LO_GROUP_COUNT]; /* top speed by class group, for reach times */
    double approach_min_m;       /* a straight path passing within max(this, ... */
    double approach_angle_rad;   /* ... tan(this + approach_sigmas * heading sigma) *
                                    distance) of a zone is heading in: course corrections
                                    of a few degrees far out, and the track's own heading
                                    error, must not hide it (angle at most 20 degrees;
                                    relaxed x1.5 while alerted; the closest approach must
                                    also halve the distance) */
    double approach_sigmas;

    /* Classification input. */
    double min_class_probability; /* a group is believed when its summed class_prob >= this;
                                     otherwise the track counts as group unknown */

    /* Alerts. */
    int n_rules;
    lo_alert_rule rules[LO_ALERT_MAX_RULES];
    double hold_s;               /* a lower level (or clear) must persist this long */
    double margin_m;             /* while alerted, "inside" extends this far past the edge */
    double margin_time_frac;     /* ... and rule times stretch by this fraction */
    double update_period_s;      /* an active alert is re-published at least this often */
    double ballistic_update_period_s; /* ... a rocket's (its impact point is news every scan) */
    double stale_s;              /* alerts of a track not reported for this long are cleared */
    double alarm_class_hold_s;   /* a drone (or other non-rocket) alarm needs its class group
                                    held this long: one flicker of "drone" on a bird is not
                                    an alarm (rockets are exempt: physics, and seconds count) */

    /* Ballistic trajectory fit (docs/threat.md, "The ballistic fit"). */
    bool ballistic_fit;          /* fit the track's own plots (batch least squares) instead of
                                    trusting the tracker's state; needs lo_threat_add_plot */
    int ballistic_fit_min_plots; /* the fit is used from this many plots on */
    double scale_height_m;       /* air density exp(-(up - terrain)/H); 0: constant density */
    double drag_prior_k_per_m;   /* prior on the fitted drag coefficient (at ground density) */
    double drag_prior_sigma_per_m;
    double impact_alarm_max_sigma_m; /* a rocket alarm waits until the impact ellipse's 1-sigma
                                        major semi-axis is at most this ... */
    double impact_alarm_deadline_s;  /* ... or the time to impact is down to this with at
                                        least impact_alarm_min_plots plots in the fit ... */
    int impact_alarm_min_plots;
    double impact_alarm_last_s;      /* ... or down to this whatever the prediction (a
                                        warning goes out meanwhile) */
} lo_threat_config;

/* Defaults (documented in docs/threat.md): the rule table for drones, rockets and unknown
 * tracks; birds, aircraft, ground vehicles and clutter raise nothing. */
void lo_threat_config_default(lo_threat_config *cfg);

/* Read the `alerts:` section of a site YAML document over `cfg` (keys absent keep their
 * values). Every error is reported with key path and line. Returns 0, or -1 on any error.
 * No section: returns 0 and leaves cfg alone. */
int lo_threat_config_from_yaml(const struct lo_ydoc *doc, lo_threat_config *cfg,
                               lo_diag_sink *sink);

/* ---- evaluation ------------------------------------------------------------------------- */

/* The track against one zone. */
typedef struct lo_zone_threat {
    bool inside;                /* footprint and height band now */
    bool inside_footprint;
    double edge_distance_m;     /* signed horizontal distance to the footprint edge, < 0 inside */
    double height_outside_m;    /* vertical distance outside the height band, 0 within it */
    double bearing_rad;         /* from the zone's centre_enu (circle centre, polygon area
                                   centroid) to the track, clockwise from north */
    double cpa_time_s;          /* closest approach of the straight-line path within the
                                   horizon: time from now ... */
    double cpa_distance_m;      /* ... and horizontal distance to the footprint (0 if the
                                   path crosses it) */
    double time_to_entry_s;     /* predicted entry into the volume, -1 when none within the
                                   horizon (and when already inside) */
    double time_to_entry_sigma_s; /* 1 sigma over the sigma points that also enter */
    double entry_fraction;      /* share (by UT weight) of sigma points that enter */
    double approach_tolerance_m; /* a path passing this close counts as heading in:
                                   max(approach_min_m, tan(approach_angle + approach_sigmas *
                                   heading sigma) * distance) */
    double reach_time_s;        /* distance to the volume / top speed of the class group */
    double impact_sigma_m;      /* ballistic: 1-sigma major semi-axis of the impact ellipse */
    int impact_plots;           /* ballistic: plots in the fit behind it, 0 when the tracker's
                                   state made it; -1 when no plots are fed (the tracker's
                                   ellipse is then all there is) */
    double time_to_impact_s;    /* ballistic: predicted time to impact, -1 when none */
    bool impact_in_zone;        /* ballistic: impact counts for this zone */
    double impact_probability;  /* ballistic: P(impact inside the footprint) */
} lo_zone_threat;

/* Ballistic prediction. */
typedef struct lo_ballistic {
    bool valid;
    double time_to_impact_s;    /* from the track's time, mean over sigma points */
    double time_to_impact_sigma_s;
    double impact_enu[2];       /* mean horizontal impact point */
    double impact_cov[4];       /* 2x2, m^2, row-major */
    double launch_enu[2];       /* back-propagated launch point (reports only) */
    double launch_cov[4];
    double time_since_launch_s;
    bool fitted;                /* from the batch fit over the track's plots (else from the
                                   tracker's state) */
    int n_plots;                /* plots in that fit */
    double drag_k_per_m;        /* drag coefficient used (fitted, or the configured one) */
    double drag_k_sigma_per_m;  /* its 1-sigma (0 when not fitted) */
} lo_ballistic;

/* ---- ballistic trajectory fit ---------------------------------------------------------------
 * Batch least squares (Levenberg-Marquardt) of a ballistic path to every plot of a track:
 * state at t_ref = position (3), velocity (3) and drag coefficient k, dynamics
 * a = g + drag, drag = -k rho(up)/rho(terrain) |v| v, rho falling exponentially with height.
 * Measurements: converted plot positions with their 3x3 covariance, and radial velocity
 * (positive receding from the sensor) where the plot has it; a Gaussian prior on k. */

#define LO_BALLISTIC_FIT_MAX 128  /* plots one fit uses at most */

typedef struct lo_ballistic_meas {
    double t;                   /* plot time, UTC seconds */
    uint16_t sensor_id;
    double enu[3];              /* converted position, system frame */
    double enu_cov[9];          /* its covariance, m^2 */
    bool has_radial_velocity;
    double radial_velocity_mps; /* positive receding */
    double radial_velocity_sigma_mps;
    double sensor_enu[3];       /* the antenna, for the line of sight */
    double snr_db;
} lo_ballistic_meas;

typedef struct lo_ballistic_model {
    double terrain_up_m;
    double scale_height_m;      /* 0: constant density */
    double drag_prior_k_per_m, drag_prior_sigma_per_m;
} lo_ballistic_model;

typedef struct lo_ballistic_fit {
    bool valid;
    double t_ref;               /* epoch of the state: the latest plot's time */
    double state[7];            /* e, n, u (m), ve, vn, vu (m/s), k (1/m) */
    double cov[49];             /* its covariance */
    int n_meas;
    int iterations;
    double chi2;                /* whitened residual sum of squares at the solution */
    int dof;                    /* residuals minus parameters */
} lo_ballistic_fit;

/* Fit the path to meas[0..n) (any order, at most LO_BALLISTIC_FIT_MAX used: the latest).
 * `guess` (state at t_ref, may be NULL: then from the plots) starts the iteration.
 * Returns 0, or -1 when there are too few plots or the fit does not converge. */
int lo_ballistic_fit_solve(const lo_ballistic_model *m, const lo_ballistic_meas *meas, size_t n,
                           const double guess[7], lo_ballistic_fit *out);

/* Squared Mahalanobis distance of one plot from the path `state` (epoch t_state) on the
 * plot's own covariance: position, plus radial velocity with `rv_slack_mps` added to its
 * sigma in quadrature. */
double lo_ballistic_meas_distance(const lo_ballistic_model *m, const double state[7],
                                  double t_state, const lo_ballistic_meas *z, double rv_slack_mps);

/* Propagate a fitted state dt seconds (either sign): out = position and velocity. */
void lo_ballistic_propagate(const lo_ballistic_model *m, const double state[7], double dt,
                            double out[6]);

/* Impact and launch points from a fit (unscented transform over its 7x7 covariance); time to
 * impact and since launch counted from `t_now`. Returns false when no impact is found. */
bool lo_ballistic_fit_predict(const lo_ballistic_model *m, const lo_ballistic_fit *fit,
                              double t_now, lo_ballistic *out);

/* The class group the engine believes (summed class_prob >= min_class_probability; a track
 * judged ballistic counts as rocket even before the classifier says so). */
lo_class_group lo_threat_track_group(const lo_threat_config *cfg, const lo_track *trk,
                                     double *confidence);
bool lo_threat_is_ballistic(const lo_threat_config *cfg, const lo_track *trk);

/* Predict impact and launch points. Returns false (and valid = false) if no impact is found
 * within 600 s (e.g. a climbing track under thrust, or a track already on the ground). */
bool lo_threat_predict_ballistic(const lo_threat_config *cfg, const lo_track *trk,
                                 lo_ballistic *out);
/* The same in two halves: the impact alone (launch left NaN), and the launch point added to an
 * impact already predicted. The alert engine asks for the launch (reports only, and a second
 * integration per sigma point) only when it publishes an alert. */
bool lo_threat_predict_impact(const lo_threat_config *cfg, const lo_track *trk, lo_ballistic *out);
void lo_threat_predict_launch(const lo_threat_config *cfg, const lo_track *trk, lo_ballistic *b);

/* Evaluate one track against one zone; `ballistic` may be NULL (not ballistic). */
void lo_threat_evaluate_zone(const lo_threat_config *cfg, const lo_track *trk,
                             lo_class_group group, const lo_zone *zone,
                             const lo_ballistic *ballistic, lo_zone_threat *out);

/* The level the rule table gives (-1 for none) for a track of `group` believed with
 * `confidence` (lo_threat_track_group) for `class_age_s` seconds without a break. Alarm rules
 * other than rocket ones need class_age_s >= alarm_class_hold_s. `relax` applies the
 * hysteresis margins (and drops that hold: the alarm is already out). */
int lo_threat_rule_level(const lo_threat_config *cfg, lo_class_group group, double confidence,
                         double class_age_s, const lo_zone *zone, const lo_zone_threat *zt,
                         bool relax);

/* ---- the alert engine --------------------------------------------------------------------- */

typedef struct lo_threat_engine lo_threat_engine;

/* Called for every transition, in order. Return 0 to go on; non-zero stops the update and
 * lo_threat_update returns that value (e.g. the journal could not write: nothing published). */
typedef int (*lo_alert_fn)(void *ctx, const lo_alert *alert);

/* Zones are copied. Returns NULL on allocation failure. */
lo_threat_engine *lo_threat_engine_new(const lo_threat_config *cfg, const lo_zone *zones,
                                       int n_zones);
void lo_threat_engine_free(lo_threat_engine *e);

/* The radars (ids and antenna positions, for the radial velocity of their plots). Copied. */
int lo_threat_engine_set_sensors(lo_threat_engine *e, const lo_sensor *sensors, int n_sensors);

/* Every plot the tracker is given, converted (lo_plot.enu / enu_cov filled), so that the
 * ballistic fit can use the plots behind a track (found by the report's last_sensor_id,
 * last_plot_t and last_snr_db, and before the track was first reported, by searching near its
 * fitted path). Kept in a ring of the latest plots. */
void lo_threat_add_plot(lo_threat_engine *e, const lo_plot *plot);

/* First alert id handed out (e.g. one past the journal's largest after a restart). */
void lo_threat_engine_set_next_alert_id(lo_threat_engine *e, uint64_t next_id);

/* One scan: the tracker's reports at time t (tentative ones are ignored; DELETED ones clear
 * their alerts). Tracks with active alerts that are absent for stale_s are cleared too.
 * Returns 0, or what the callback returned. */
int lo_threat_update(lo_threat_engine *e, double t, const lo_track *tracks, size_t n_tracks,
                     lo_alert_fn fn, void *ctx);

/* Clear every active alert (end of a run). */
int lo_threat_clear_all(lo_threat_engine *e, double t, lo_alert_fn fn, void *ctx);

/* Active alerts now (for a display): copies up to `max` into out, returns how many exist. */
size_t lo_threat_active(const lo_threat_engine *e, lo_alert *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
