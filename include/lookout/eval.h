/*
 * lookout/eval.h: scoring tracks against truth (see docs/eval.md and
 * ../shared/reference/evaluation.md).
 *
 * Owns two things:
 *  - lo_gospa(): the GOSPA metric of one time step (truth set X against estimate set Y) with
 *    its localisation / missed / false parts, solved with lo_assign_solve;
 *  - lo_eval: a batch evaluation that collects truth samples, track reports (and optionally
 *    plots), aligns the tracks to every distinct truth time, and computes GOSPA per step and
 *    the track-level figures (purity, continuity, latency to confirmation, false tracks per
 *    hour, position/velocity RMS, Mode S purity).
 * It reads only the public track reports (lo_track), never the tracker's insides.
 *
 * Units: metres, m/s, seconds. Time: UTC seconds since the epoch, as double.
 */
#ifndef LOOKOUT_EVAL_H
#define LOOKOUT_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- GOSPA of one time step ----------------------------------------------------------------
 * For n truth points and m estimates, cut-off c, order p, alpha:
 *   GOSPA^p = min over assignments of  sum_{assigned} min(d, c)^p + (c^p / alpha) |n - m|
 * Parts, in metres, such that GOSPA^p = localisation^p + missed^p + false^p:
 *   localisation^p = sum of d^p over assigned pairs closer than c;
 *   a pair at c or beyond counts as one missed and one false object, c^p/2 each (exact for
 *   alpha = 2, the GOSPA of Rahmathullah et al. 2017, where it is the same as leaving both
 *   unassigned); each unassigned truth point adds c^p/alpha to missed^p, each unassigned
 *   estimate c^p/alpha to false^p. */
typedef struct lo_gospa_params {
    double cutoff_m; /* c > 0, default 100 */
    double order_p;  /* p >= 1, default 2 */
    double alpha;    /* 0 < alpha <= 2, default 2 */
} lo_gospa_params;

typedef struct lo_gospa_result {
    double gospa_m;
    double localisation_m, missed_m, false_m;
    int n_truth, n_estimates;
    int n_assigned;       /* pairs closer than the cut-off */
    int n_missed, n_false; /* truth points / estimates not in such a pair */
} lo_gospa_result;

struct lo_assign_workspace;

void lo_gospa_params_default(lo_gospa_params *p);

/* truth: n x dim positions, est: m x dim (row-major, dim 1..3). truth_to_est (may be NULL, n
 * entries) receives the estimate each truth point is paired with closer than c, or -1.
 * ws may be NULL. Returns 0, or -1 on invalid arguments or out of memory. */
int lo_gospa(const lo_gospa_params *params, const double *truth, int n, const double *est, int m,
             int dim, struct lo_assign_workspace *ws, lo_gospa_result *out, int *truth_to_est);

/* ---- batch evaluation --------------------------------------------------------------------- */

typedef struct lo_eval_options {
    lo_gospa_params gospa;
    double max_age_s; /* oldest track report still used at a truth time; 0: automatic, twice
                         the median interval between a track's reports (at least 1 s) */
} lo_eval_options;

void lo_eval_options_default(lo_eval_options *o);

/* One truth time. */
typedef struct lo_eval_step {
    double t;
    lo_gospa_result gospa;
} lo_eval_step;

/* Per truth object. */
typedef struct lo_eval_truth_stats {
    uint32_t truth_id;
    lo_class cls;
    double t_first, t_last;   /* its truth samples */
    double t_detect;          /* first plot with its truth_id; without plots its first sample
                                 in coverage (lo_eval_set_coverage), else t_first; NAN if it
                                 was never in coverage */
    double t_tracked;         /* first confirmation of a track matched to it; NAN if never */
    double latency_s;         /* t_tracked - t_detect, >= 0; NAN if never tracked */
    int n_samples, n_matched; /* truth times, and those with a track within the cut-off */
    int n_tracks;             /* distinct tracks matched to it (continuity; 1 is ideal) */
    int n_swaps;              /* times its matched track changed to another */
} lo_eval_truth_stats;

/* Per track. */
typedef struct lo_eval_track_stats {
    uint32_t track_id;
    int n_reports;
    bool confirmed;           /* ever confirmed or coasting */
    int n_steps;              /* truth times at which it counted as an estimate */
    int n_matched;            /* ... and was paired with truth within the cut-off */
    uint32_t dominant_truth;  /* 0 when none */
    double purity;            /* share of its updates from dominant_truth; NAN if unknown */
    bool purity_from_plots;   /* from plot_truth_id (true) or from the GOSPA pairing */
    bool false_track;         /* confirmed, an estimate at some step, never matched */
    int n_mode_s;             /* distinct Mode S addresses among its plots */
    double mode_s_purity;     /* share of its Mode S updates with the dominant address; NAN if none */
} lo_eval_track_stats;

typedef struct lo_eval_summary {
    int n_steps, n_truth_objects, n_tracks, n_confirmed_tracks;
    double duration_h;        /* truth time span */
    double gospa_mean_m, localisation_mean_m, missed_mean_m, false_mean_m;
    double missed_per_step, false_per_step; /* mean counts */
    double purity_mean;       /* over confirmed tracks with a purity; NAN if none */
    double tracks_per_truth;  /* mean over objects matched at least once; NAN if none */
    int identity_swaps;
    int n_tracked;            /* truth objects with a latency */
    double latency_mean_s, latency_max_s;
    int false_tracks;
    double false_tracks_per_hour; /* NAN when the duration is 0 */
    long n_error_samples;
    double pos_rms_m, vel_rms_mps; /* over matched pairs; NAN if none */
    int mode_s_tracks, mode_s_mixed; /* tracks with Mode S plots, and those with several */
    double mode_s_purity_mean;
    double max_age_s;         /* the one used */
} lo_eval_summary;

typedef struct lo_eval lo_eval;

lo_eval *lo_eval_new(const lo_eval_options *opt);
void lo_eval_free(lo_eval *e);
/* Collect inputs, in any order. Return 0, or -1 when out of memory. */
int lo_eval_add_truth(lo_eval *e, const lo_truth *t);
int lo_eval_add_track(lo_eval *e, const lo_track *k);
int lo_eval_add_plot(lo_eval *e, const lo_plot *p); /* only its time and truth_id are kept */

/* Radar coverage, for the first-detection time of objects without plots: when set, an
 * object counts as detectable from its first truth sample for which in_coverage() is true
 * (an object never in coverage gets no latency). Without it, from its first sample. */
typedef bool (*lo_eval_coverage_fn)(void *ctx, const double enu[3]);
void lo_eval_set_coverage(lo_eval *e, lo_eval_coverage_fn in_coverage, void *ctx);

/* Runs the evaluation. Returns 0, or -1 when out of memory. The arrays below stay valid until
 * the next run or free. Without truth, only the Mode S figures are filled. */
int lo_eval_run(lo_eval *e);
const lo_eval_summary *lo_eval_get_summary(const lo_eval *e);
const lo_eval_step *lo_eval_get_steps(const lo_eval *e, int *n);
const lo_eval_truth_stats *lo_eval_get_truths(const lo_eval *e, int *n);
const lo_eval_track_stats *lo_eval_get_tracks(const lo_eval *e, int *n);

/* A track report as the evaluation keeps it: only what it uses (96 bytes instead of the
 * 456 of a lo_track, so long runs fit in memory). */
typedef struct lo_eval_report {
    double t, t_confirmed, last_plot_t;
    double pos[3], vel[3];
    uint32_t id, n_updates, last_truth_id, mode_s_address, last_flags;
    lo_track_status status;
} lo_eval_report;

/* Inputs as collected (sorted by the run: truth by time, reports by track and time). */
const lo_truth *lo_eval_truth_samples(const lo_eval *e, size_t *n);
const lo_eval_report *lo_eval_track_reports(const lo_eval *e, size_t *n);

/* ---- reports (src/eval/report.c) -----------------------------------------------------------
 * A readable table, JSON (one object: options, summary, steps, truth objects, tracks; NaN as
 * null), and an SVG picture: truth and track paths in the horizontal plane (km) above GOSPA
 * over time. Each returns 0, or -1 on a write error. */
int lo_eval_print_table(const lo_eval *e, FILE *f);
int lo_eval_write_json(const lo_eval *e, FILE *f);
int lo_eval_write_svg(const lo_eval *e, FILE *f);
const lo_eval_options *lo_eval_get_options(const lo_eval *e);


/* ---- GOSPA over the detectable objects (src/eval/detectable.c) ------------------------------
 * A tracker can only be scored on what its sensors saw: an object the radar never resolves
 * (one bird of a flock whose plots carry another bird's truth_id, a drone below the horizon)
 * adds c^p/alpha to the missed part of every tracker alike. This GOSPA counts, at each truth
 * time t, only the truth samples whose truth_id has at least min_plots plots in
 * [t - window_s, t] (needs the plots, lo_eval_add_plot; `lookout eval --detectable-only`
 * uses 1 plot in 2 s, i.e. the last scan or two of a 1 s radar); the estimates are those of the plain GOSPA (every confirmed or
 * coasting track, same max age and extrapolation), except that a track within the cut-off of
 * an undetectable object and of no detectable one is left out: it follows something real
 * that the plots do not name (it is neither a hit nor a false track); a track far from every
 * object is a false estimate as usual. Call after lo_eval_run. Returns 0, or -1 when out of memory or there
 * were no plots. */
typedef struct lo_eval_detectable {
    double window_s;
    int min_plots;
    int n_steps;              /* truth times (all of them, also those with nothing detectable) */
    double gospa_mean_m, localisation_mean_m, missed_mean_m, false_mean_m;
    double truth_per_step;    /* mean number of detectable objects per step */
    double missed_per_step, false_per_step;
    double left_out_per_step; /* tracks left out: near an undetectable object only */
} lo_eval_detectable;

int lo_eval_gospa_detectable(const lo_eval *e, double window_s, int min_plots, lo_eval_detectable *out);
/* The plots as collected (only truth_id and time; sorted by truth_id then time by the run). */
size_t lo_eval_plot_count(const lo_eval *e);
void lo_eval_plot_at(const lo_eval *e, size_t i, uint32_t *truth_id, double *t);

/* ---- warning figures (src/eval/warn.c) ------------------------------------------------------
 * What the people in the zones got from the classifier and the alerts, scored against truth
 * (../shared/reference/evaluation.md, "Warning figures"; docs/eval.md):
 *  - a confusion matrix of confirmed tracks against truth classes at track ages 5, 10, 30 s
 *    (age = report time - t_confirmed; the first report at or past each age; predicted class =
 *    argmax class_prob; truth = the track's dominant truth object from lo_eval, i.e. the
 *    plot_truth_id majority or else the GOSPA pairing; a track with none is clutter);
 *  - the threats: each (object, zone) where a drone's truth path enters the zone (footprint,
 *    below the band's top; the floor is ground), or where a rocket's impact point (its last
 *    truth sample) lies in the footprint. Other classes never threaten: their alarms are false. For each: the warning time achieved,
 *    threat time (entry or impact) - first alarm for that zone by a track of that object, and
 *    the ideal, threat time - the object's first detectability (lo_eval's t_detect);
 *  - false alarms: alerts that reached level alarm for a track whose object threatens no zone
 *    (or that follows no object), per hour of truth time.
 * Fed with the same track reports as lo_eval and the alert transitions (journal or JSON lines);
 * computed after lo_eval_run. Units: m, s; time UTC seconds. */

#define LO_WARN_N_AGES 3
extern const double lo_warn_ages_s[LO_WARN_N_AGES]; /* 5, 10, 30 */

typedef struct lo_warn_threat {
    uint32_t truth_id;
    lo_class cls;             /* the object's truth class */
    int zone_index;
    bool by_impact;           /* the impact point lies in the zone (else: the path enters it) */
    double t_threat;          /* entry or impact time */
    double t_detect;          /* first detectable (lo_eval); NAN if never */
    double t_first_alert;     /* first alert of any level for this zone by its tracks; NAN */
    double t_first_alarm;     /* first alarm for this zone by its tracks; NAN if none */
    uint32_t alarm_track_id;  /* the track of that alarm, 0 if none */
    double warning_s;         /* t_threat - t_first_alarm; NAN without an alarm */
    double ideal_s;           /* t_threat - t_detect; NAN when never detectable */
    double impact_error_m;    /* by_impact: horizontal distance of the alarm's predicted impact
                                 point from the true one at the first alarm; NAN if none */
} lo_warn_threat;

typedef struct lo_warn_false_alarm {
    uint64_t alert_id;
    uint32_t track_id, truth_id; /* truth 0: the track follows no object */
    lo_class truth_cls;          /* LO_CLASS_CLUTTER when truth_id is 0 */
    int zone_index;
    double t;                    /* when it reached alarm */
} lo_warn_false_alarm;

/* Per truth class: confirmed tracks, how many had their truth's class group as the argmax
 * at some confirmed report, and the track age (s since confirmation) when that first happened. */
typedef struct lo_warn_class_delay {
    int n_tracks, n_classified;
    double median_s, max_s;   /* NAN when none classified */
} lo_warn_class_delay;

typedef struct lo_warn_summary {
    /* confusion[a][truth][predicted]: confirmed tracks that reached age lo_warn_ages_s[a]. */
    long confusion[LO_WARN_N_AGES][LO_CLASS_COUNT][LO_CLASS_COUNT];
    long n_at_age[LO_WARN_N_AGES];
    double class_correct[LO_WARN_N_AGES];  /* share on the diagonal; NAN without tracks */
    double group_correct[LO_WARN_N_AGES];  /* share whose predicted group is the truth's */
    lo_warn_class_delay delay[LO_CLASS_COUNT]; /* time to the right group, per truth class */
    int n_alerts;             /* distinct alert ids seen */
    int n_threats, n_threats_alarmed;
    double warning_share_min, warning_share_mean; /* warning_s / ideal_s over alarmed threats
                                                     with an ideal > 0; NAN if none */
    int false_alarms;         /* alert ids in lo_warn_false_alarm */
    int off_zone_alarms;      /* alarms for a threatening object, but a zone it does not threaten */
    double duration_h;
    double false_alarms_per_hour; /* NAN when the duration is 0 */
} lo_warn_summary;

typedef struct lo_warn_eval lo_warn_eval;

lo_warn_eval *lo_warn_eval_new(void);
void lo_warn_eval_free(lo_warn_eval *w);
/* Every track report (class_prob as the classifier left it). Returns 0, or -1 out of memory. */
int lo_warn_eval_add_track(lo_warn_eval *w, const lo_track *k);
/* Every alert transition, in any order (the snapshot is not used). 0, or -1 out of memory. */
int lo_warn_eval_add_alert(lo_warn_eval *w, const lo_alert *a);
/* After lo_eval_run(e) on the same inputs; zones as in the site (system frame). 0 or -1. */
int lo_warn_eval_run(lo_warn_eval *w, const lo_eval *e, const lo_zone *zones, int n_zones);
const lo_warn_summary *lo_warn_eval_get_summary(const lo_warn_eval *w);
const lo_warn_threat *lo_warn_eval_get_threats(const lo_warn_eval *w, int *n);
const lo_warn_false_alarm *lo_warn_eval_get_false_alarms(const lo_warn_eval *w, int *n);
/* The ages at which the tracks of one truth class first had the right group, ascending. */
const double *lo_warn_eval_get_class_delays(const lo_warn_eval *w, lo_class truth, int *n);
/* The table section and a JSON object {"confusion": ..., "threats": ..., ...} (NaN as null).
 * zones (may be NULL) give the names. Each returns 0, or -1 on a write error. */
int lo_warn_eval_print_table(const lo_warn_eval *w, const lo_zone *zones, int n_zones, FILE *f);
int lo_warn_eval_write_json(const lo_warn_eval *w, const lo_zone *zones, int n_zones, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
