/*
 * lookout/classify.h: target classification from track behaviour.
 *
 * Owns (1) the per-track feature accumulator: fed every report of a track, it keeps running
 * statistics of its kinematics, its radar cross-section estimated from SNR and range through
 * the radar equation, and what the caller knows of its neighbours; (2) the model runtime: a
 * model over those features (Gaussian naive Bayes, or multinomial logistic regression with
 * physical speed and vertical-rate gates; the built-in one is data/classifier-v4.json,
 * docs/classification.md) whose parameters come from a versioned JSON file, filling
 * lo_track.class_prob; (3) fitting such a model from labelled feature vectors and writing it
 * back as JSON (what `lookout train-classifier` runs on simulated, tracked data).
 *
 * Knows nothing of files except the model's own JSON (read and written here, like a format).
 * Units: SI inside (m, s, m/s, rad/s, m/s^2); RCS in dBsm (10 log10 m^2), its fluctuation in
 * dB. Time: UTC seconds as double (the track reports' t).
 */
#ifndef LOOKOUT_CLASSIFY_H
#define LOOKOUT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The features, in a fixed order (names in lo_feature_name are what model files use). A
 * feature that is not known for a track (no SNR, no Doppler) is NaN and the model skips it. */
typedef enum lo_feature {
    LO_FEAT_SPEED_MEAN = 0,    /* 3D speed, m/s */
    LO_FEAT_SPEED_STD,         /* its variation, m/s */
    LO_FEAT_ALTITUDE_MEAN,     /* up in the system frame, m */
    LO_FEAT_VRATE_ABS_MEAN,    /* |vertical rate|, m/s */
    LO_FEAT_VERTICAL_ACC_MEAN, /* mean vertical acceleration, m/s^2 (about -g when ballistic) */
    LO_FEAT_TURN_RATE_RMS,     /* horizontal heading change rate, rad/s (while moving) */
    LO_FEAT_MANOEUVRE_ACC_RMS, /* horizontal acceleration, m/s^2 */
    LO_FEAT_STRAIGHTNESS,      /* net displacement / path length over the last ~30 s, 0..1 */
    LO_FEAT_HOVER_FRACTION,    /* share of reports below the hover speed */
    LO_FEAT_BALLISTIC_PROB,    /* the tracker's ballistic IMM model probability (mean) */
    LO_FEAT_RCS_DBSM_MEAN,     /* RCS from SNR and range via the radar equation */
    LO_FEAT_RCS_DB_STD,        /* its scan-to-scan fluctuation */
    LO_FEAT_RADIAL_VEL_SPREAD, /* Doppler spread of the track's plots (micro-Doppler), m/s:
                                  mean over its plots that carry one */
    LO_FEAT_FLOCK_NEIGHBOURS,  /* neighbours moving with it, counted by the caller */
    LO_FEAT_MANOEUVRE_MODEL_PROB, /* the IMM's belief it is not flying straight: 1 - P(CV) */
    /* From displacement over ~5 s instead of the instantaneous velocity, whose noise at long
     * range swamps a small target's behaviour: */
    LO_FEAT_NET_SPEED_MEAN,    /* m/s */
    LO_FEAT_NET_SPEED_STD,     /* m/s: stop-and-go */
    LO_FEAT_NET_HOVER_FRACTION,/* share of reports that moved less than the hover speed */
    /* Added with classifier-v4 (a model file names the features it uses, so older files still
     * load): what tells a soaring raptor from a drone of the same size and speed, and a
     * helicopter from a fixed-wing drone. */
    LO_FEAT_VRATE_MEAN,        /* signed vertical rate, m/s: a glide sinks ~1 m/s, a thermal
                                  climbs 1-3 m/s, a drone holds its height */
    LO_FEAT_TURN_RATE_MEAN_ABS,/* |mean signed turn rate|, rad/s: sustained circling one way
                                  (a thermal) where a wandering bird's turns cancel */
    LO_FEAT_RCS_DBSM_MEDIAN,   /* median RCS of the last LO_FEAT_RCS_RING plots, dBsm: robust
                                  to fluctuation, merged plots and split returns */
    LO_FEAT_VRATE_MEAN_ABS,    /* |vertical_rate_mean|, m/s: sustained climb or sink either way
                                  (a linear model cannot fold the signed one) */
    /* Memories of soaring, kept for minutes (peaks that fade with LO_FEAT_PEAK_TAU_S), taken
     * once the running means have LO_FEAT_PEAK_MIN_WEIGHT reports behind them: a raptor
     * gliding straight at a drone's speed and size circled and climbed in a thermal a few
     * minutes ago; a drone did not. */
    LO_FEAT_CLIMB_PEAK,        /* peak sustained climb (vertical_rate_mean > 0), m/s */
    LO_FEAT_CIRCLING_PEAK,     /* peak sustained one-way turning (turn_rate_mean_abs), rad/s */
    LO_FEAT_COUNT
} lo_feature;

const char *lo_feature_name(lo_feature f);
bool lo_feature_from_name(const char *name, lo_feature *out);

/* What the caller knows besides the track report (the Doppler spread comes with the report
 * itself: lo_track.last_doppler_spread_mps). Negative for "not known". */
typedef struct lo_classify_extra {
    int flock_neighbours;         /* < 0 if not counted */
} lo_classify_extra;

/* Running statistics of one track. Exponentially weighted with time constant tau_s (older
 * behaviour fades), so the features describe what the track has been doing lately. */
#define LO_FEAT_HISTORY 32
#define LO_FEAT_RCS_RING 15
#define LO_FEAT_PEAK_TAU_S 300.0
#define LO_FEAT_PEAK_MIN_WEIGHT 8.0
#define LO_FEAT_STALE_WEIGHT 0.05  /* below this weight a mean of plot values is unknown */
typedef struct lo_track_features {
    uint32_t track_id;
    int n_reports;               /* reports with a time step so far */
    int n_snr;                   /* reports with an RCS estimate */
    double t_last, last_plot_t;
    double last_vel[3];
    /* Each group of moments has its own total weight (decayed together): a weighted mean. */
    double ew_weight;            /* speed, altitude, vertical rate, hover */
    double m_speed, m_speed2, m_alt, m_vrate_abs, m_hover;
    double diff_weight;          /* from velocity differences between reports */
    double m_vacc, m_acc2;
    double turn_weight;          /* heading changes while moving */
    double m_turn2, m_turn;
    double m_vrate;              /* signed vertical rate (ew_weight group) */
    double climb_peak, circling_peak; /* LO_FEAT_CLIMB_PEAK, LO_FEAT_CIRCLING_PEAK */
    double ball_weight, m_ball;
    double cv_weight, m_noncv;
    double net_weight, m_net, m_net2, m_nethover;
    double rcs_weight, m_rcs, m_rcs2;
    int rcs_ring_n, rcs_ring_head; /* the last plots' RCS, for the median */
    double rcs_ring[LO_FEAT_RCS_RING];
    double rv_weight, m_rv;
    double flock_weight, m_flock;
    double window_s;             /* straightness window (from the parameters) */
    int hist_n, hist_head;       /* ring of recent positions for straightness */
    double hist_t[LO_FEAT_HISTORY];
    double hist_pos[LO_FEAT_HISTORY][2];
} lo_track_features;

typedef struct lo_feature_params {
    double tau_s;                /* time constant of the running statistics */
    double hover_speed_mps;      /* below this a report counts as hovering */
    double straightness_window_s;
    int ballistic_model_index;   /* lo_track.model_prob index of the ballistic model, -1 none */
    int cv_model_index;          /* ... of the constant-velocity model, -1 none */
} lo_feature_params;

void lo_feature_params_default(lo_feature_params *p);
void lo_track_features_init(lo_track_features *f, uint32_t track_id);
/* Add one report. `sensor` is the radar of the track's last plot (for the radar equation),
 * NULL if unknown; `extra` may be NULL. */
void lo_track_features_update(lo_track_features *f, const lo_feature_params *p,
                              const lo_track *trk, const lo_sensor *sensor,
                              const lo_classify_extra *extra);
/* Current feature vector (NaN where unknown). */
void lo_track_features_values(const lo_track_features *f, double out[LO_FEAT_COUNT]);

/* RCS (dBsm) from one plot's SNR through the radar equation with the sensor's reference
 * point: rcs = ref_rcs * snr/ref_snr * (R/ref_range)^4. */
double lo_rcs_dbsm_from_snr(const lo_sensor *s, double snr_db, double range_m);

/* Flocking, for lo_classify_extra.flock_neighbours: for each of the n track reports of one
 * scan, how many others (tentative ones included, deleted ones not) are within radius_m
 * horizontally and 3D-move within max_dv_mps of its velocity. counts[i] for tracks[i].
 * Sort-and-sweep along east: O(n log n + pairs within radius). Returns -1 on allocation
 * failure (counts then all 0). Typical: 150 m, 4 m/s. */
int lo_classify_count_neighbours(const lo_track *tracks, size_t n, double radius_m,
                                 double max_dv_mps, int *counts);

/* ---- the model --------------------------------------------------------------------------- */

/* Two kinds of model share the file format, the features and the runtime:
 *  - naive Bayes: per class and feature a Gaussian (mean, std), features independent;
 *  - multinomial logistic regression: per class a weight per standardised feature and a bias,
 *    trained with class-balanced weights (so every class counts, however rare), the class
 *    priors added back at prediction: logit_c = log prior_c + w (bias_c + weight_c . z) / T,
 *    z = (scaled x - center) / scale, an unknown feature's z = 0 (its training mean). It weighs
 *    correlated features jointly instead of counting them twice. */
typedef enum lo_classifier_kind {
    LO_CLASSIFIER_NAIVE_BAYES = 0,
    LO_CLASSIFIER_LOGISTIC
} lo_classifier_kind;

typedef struct lo_classifier_model {
    int version;                       /* of the parameter file format (1) */
    lo_classifier_kind kind;
    char name[64];                     /* e.g. "classifier-v1" */
    char provenance[512];              /* how the parameters were obtained */
    double temperature;                /* log-likelihoods are divided by this: the features
                                          are not independent, naive Bayes over-counts */
    double evidence_reports;           /* evidence weight ramps up over this many reports */
    bool class_used[LO_CLASS_COUNT];
    double prior[LO_CLASS_COUNT];
    bool feature_used[LO_FEAT_COUNT];
    bool log_scale[LO_FEAT_COUNT];     /* modelled as log(x + 0.01): heavy-tailed rates */
    double mean[LO_CLASS_COUNT][LO_FEAT_COUNT]; /* in the modelled scale */
    double std[LO_CLASS_COUNT][LO_FEAT_COUNT];
    /* logistic regression */
    double center[LO_FEAT_COUNT], scale[LO_FEAT_COUNT];
    double weight[LO_CLASS_COUNT][LO_FEAT_COUNT];
    double bias[LO_CLASS_COUNT];
    /* logistic regression: a class may have a second row (a subclass, e.g. the large soaring
     * birds within "bird", whose behaviour is unlike the small birds'): the class's evidence
     * is then the mean of the two rows' exp(w a), so a linear model can give one class two
     * regions of feature space. Trained as a class of its own (class-balanced). */
    bool has_sub[LO_CLASS_COUNT];
    char sub_name[LO_CLASS_COUNT][32];
    double sub_weight[LO_CLASS_COUNT][LO_FEAT_COUNT];
    double sub_bias[LO_CLASS_COUNT];
    /* Physical speed limits: a class whose limit the track's mean speed exceeds gets
     * probability 0, however young the track (0: no limit). A 300 m/s track is no bird even
     * at its first report, when the evidence ramp still holds everything near the prior. */
    double max_speed_mps[LO_CLASS_COUNT];
    /* The same for the track's sustained vertical rate (|vertical_rate_mean|, m/s; 0: no
     * limit): an airliner does not climb at 45 m/s, whatever a two-report track's speed says,
     * where a rocket's first reports do. */
    double max_vrate_mps[LO_CLASS_COUNT];
} lo_classifier_model;

/* The limits lo_classifier_fit* put in a model: the top speed of the class in
 * ../shared/reference/targets-and-radar.md times 2 plus 20 m/s for a young track's velocity
 * noise and swaps (bird, multirotor 60, fixed-wing 120, vehicle 90, helicopter and light
 * aircraft 180, airliner 520 m/s; rocket and clutter none). */
double lo_class_default_max_speed(lo_class c);
/* The vertical-rate limits lo_classifier_fit* put in a model: airliner 25, helicopter 30,
 * the other classes but rocket and clutter 45 m/s. Well above what the classes do (climbs of
 * 3-15 m/s) because a young track's vertical rate is noisy (up to 40 m/s measured for birds
 * at long range), well below a rocket's or a mortar's climb (60-300 m/s). */
double lo_class_default_max_vrate(lo_class c);

/* The features that lo_trainer_fit models on a log scale: positive, heavy-tailed rates whose
 * spread grows with their size (speed variation, vertical rate, turn rate, manoeuvre). */
bool lo_feature_default_log_scale(lo_feature f);

/* Parse / load a parameter file. Errors (with file, line where known, and the JSON path as
 * field) go to `sink`; returns 0 or -1. */
int lo_classifier_model_parse(const char *json_text, const char *source_name,
                              lo_classifier_model *m, lo_diag_sink *sink);
int lo_classifier_model_load(const char *path, lo_classifier_model *m, lo_diag_sink *sink);
/* Write as JSON (the same format). Returns 0 or -1. */
int lo_classifier_model_write(const lo_classifier_model *m, FILE *out);

/* Class probabilities for a feature vector; `n_reports` scales the evidence (a young track
 * stays close to the prior). prob[LO_CLASS_UNKNOWN] is 0; the rest sum to 1. */
void lo_classifier_predict(const lo_classifier_model *m, const double x[LO_FEAT_COUNT],
                           int n_reports, double prob[LO_CLASS_COUNT]);

/* Fit from n labelled vectors (NaN features skipped per class). Classes without samples stay
 * unused; every std is at least std_floor[f] (or 1e-3 when std_floor is NULL; in log units for
 * log-scaled features). Priors are the class frequencies unless uniform_prior. log_scale (NULL:
 * none) picks the features modelled as log(x + 0.01). Returns 0, or -1 if no class has two
 * samples. */
int lo_classifier_fit(const double (*x)[LO_FEAT_COUNT], const lo_class *labels, size_t n,
                      const double *std_floor, bool uniform_prior, const bool *log_scale,
                      lo_classifier_model *m);

/* Fit a multinomial logistic regression (kind LO_CLASSIFIER_LOGISTIC) on n labelled vectors:
 * class-balanced cross-entropy plus l2/2 |weights|^2, full-batch Adam for `iterations` steps
 * from zero (deterministic). Priors as lo_classifier_fit. Returns 0, or -1 if fewer than two
 * classes have two samples or out of memory. */
int lo_classifier_fit_logistic(const double (*x)[LO_FEAT_COUNT], const lo_class *labels, size_t n,
                               bool uniform_prior, const bool *log_scale, double l2,
                               int iterations, lo_classifier_model *m);
/* The same with subclasses: sub[i] true puts sample i in its class's second row (named
 * sub_names[class]); a subclass with fewer than two samples is folded back into its class.
 * sub NULL: none. weight[i] (NULL: all 1) scales sample i within its row; the rows stay
 * balanced (each row's weights sum to the same). */
int lo_classifier_fit_logistic_sub(const double (*x)[LO_FEAT_COUNT], const lo_class *labels,
                                   const bool *sub, const char *const *sub_names,
                                   const double *weight, size_t n,
                                   bool uniform_prior, const bool *log_scale, double l2,
                                   int iterations, lo_classifier_model *m);

/* Bird samples whose median RCS is at least this (dBsm, 0.006 m^2) form the subclass
 * "large_bird" when lo_trainer_fit_logistic trains: raptors, storks, gulls and merged flock
 * echoes, which overlap the drones in size and whose soaring, not flapping, flight sets them
 * apart, where the small birds are told by their size alone. */
#define LO_LARGE_BIRD_RCS_DBSM (-22.0)

/* ---- training: labelled samples from a stream of track reports --------------------------- */

/* Feed every track report of a run with the truth class of the object behind it (what the
 * caller found through last_truth_id and the truth file); the trainer keeps per-track
 * features and takes a labelled sample when a confirmed track's age (t - t_confirmed) first
 * reaches each of ages_s[] (the evaluation ages, e.g. 5, 10, 30 s) and then every every_s
 * seconds (0: no more). Reports labelled LO_CLASS_UNKNOWN feed features but give no sample. */
typedef struct lo_trainer lo_trainer;

typedef struct lo_train_sample {
    double x[LO_FEAT_COUNT];
    lo_class label;
    int n_reports;
    int age_index;      /* index into ages_s, or -1 for the periodic ones */
    uint32_t track_id;
    uint32_t truth_id;  /* the object behind the track's plot at sampling (last_truth_id) */
} lo_train_sample;

lo_trainer *lo_trainer_new(const lo_feature_params *p, const lo_sensor *sensors, int n_sensors,
                           const double *ages_s, int n_ages, double every_s);
void lo_trainer_free(lo_trainer *t);
void lo_trainer_add(lo_trainer *t, const lo_track *trk, lo_class truth,
                    const lo_classify_extra *extra);
/* A new run starts (another file, another seed): track ids may repeat, so forget the per-track
 * state; the samples stay. */
void lo_trainer_new_run(lo_trainer *t);
const lo_train_sample *lo_trainer_samples(const lo_trainer *t, size_t *n);
/* Fit a model on all samples (std floors per feature built in), temperature and evidence ramp
 * as given. Returns 0, or -1 with too few samples. */
int lo_trainer_fit(const lo_trainer *t, bool uniform_prior, double temperature,
                   double evidence_reports, lo_classifier_model *m);
/* The same, a logistic regression (lo_classifier_fit_logistic). */
/* Weight of the samples taken at the ages (ages_s) against the periodic ones (1): above 1
 * the fit cares more for young tracks, the ages the evaluation counts. Default 1. */
void lo_trainer_set_age_weight(lo_trainer *t, double weight);
/* Leave feature f out of every sample (as unknown), so the model fitted does not use it: the
 * model for radars that do not measure it (lo_classifier_set_fallback). Call before adding. */
void lo_trainer_exclude(lo_trainer *t, lo_feature f);
int lo_trainer_fit_logistic(const lo_trainer *t, bool uniform_prior, double temperature,
                            double evidence_reports, double l2, int iterations,
                            lo_classifier_model *m);
/* Confusion matrix of model m on the samples taken at ages_s[age_index] (rows: truth class,
 * columns: most probable class). Returns the number of samples counted. */
long lo_trainer_confusion(const lo_trainer *t, const lo_classifier_model *m, int age_index,
                          long cm[LO_CLASS_COUNT][LO_CLASS_COUNT]);

/* ---- the runtime: a model plus per-track accumulators ------------------------------------ */

typedef struct lo_classifier lo_classifier;

/* The sensors are copied (for the radar equation by last_sensor_id). */
lo_classifier *lo_classifier_new(const lo_classifier_model *m, const lo_feature_params *p,
                                 const lo_sensor *sensors, int n_sensors);
void lo_classifier_free(lo_classifier *c);
/* A second model for the tracks that lack a feature the main one uses and this one does not
 * (copied). A model trained where every radar measured the Doppler spread leans on it, and
 * counting it at its training mean where a radar does not measure it loses the multirotors
 * (docs/classification.md): such a track is judged by a model trained without it instead,
 * report by report, so a track that gains the feature moves to the main model. */
void lo_classifier_set_fallback(lo_classifier *c, const lo_classifier_model *m);
/* Feed one report and fill trk->class_prob and trk->doppler_spread_mean_mps. A DELETED report
 * frees the track's state. */
void lo_classifier_update(lo_classifier *c, lo_track *trk, const lo_classify_extra *extra);
/* The accumulator of a track (NULL if unknown), e.g. for training tools. */
const lo_track_features *lo_classifier_features(const lo_classifier *c, uint32_t track_id);

#ifdef __cplusplus
}
#endif
#endif
