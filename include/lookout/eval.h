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
 * 440 of a lo_track, so long runs fit in memory). */
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

#ifdef __cplusplus
}
#endif
#endif
