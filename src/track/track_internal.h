/*
 * track_internal.h: the tracker's components, in Stone Soup's split but as plain C functions
 * on caller-owned arrays (no allocation on the hot path):
 *
 *   predictor     lo_model_predict      motion models CV / CT / CA / ballistic (models.c)
 *   updater       lo_kf_update_pos      converted-measurement position update (models.c)
 *                 lo_kf_update_radial   radial-velocity EKF update (models.c)
 *   IMM           lo_imm_*              mixing, model probabilities, combined estimate (imm.c)
 *   hypothesiser  tracker.c             grid gating + Mahalanobis chi-square gate
 *   associator    lo_jpda_probabilities (jpda.c) and GNN via lo_assign_solve (tracker.c)
 *   initiator     tracker.c             two-point initiation with per-class speed limits
 *   deleter       tracker.c             SPRT score, coasting, score drop, merging
 *
 * State layout of every model: x[0..2] ENU position (m), x[3..5] ENU velocity (m/s), then the
 * model's own states: CT x[6] turn rate (rad/s, counter-clockwise positive, horizontal);
 * CA x[6..8] acceleration (m/s^2); ballistic x[6] drag parameter k (1/m): drag acceleration
 * = -k * rho(h)/rho0 * |v| v. Covariances are dense n x n with stride n.
 * Internal to liblookout; tests include it to check the components one by one.
 */
#ifndef LOOKOUT_TRACK_INTERNAL_H
#define LOOKOUT_TRACK_INTERNAL_H

#include "lookout/tracker.h"

#define LO_KF_MAX 9

typedef struct lo_kf {
    double x[LO_KF_MAX];
    double P[LO_KF_MAX * LO_KF_MAX];
} lo_kf;

int lo_model_dim(lo_motion_model m);

/* Predict x, P of model m forward by dt seconds (dt may be 0; negative dt is refused and
 * leaves the state unchanged). */
void lo_model_predict(lo_motion_model m, const lo_tracker_config *cfg, lo_kf *kf, double dt);

/* The model's acceleration estimate at its state (CV: 0; CT: turn; ballistic: gravity+drag). */
void lo_model_accel(lo_motion_model m, const lo_kf *kf, double acc[3]);

/* Initialise model m from a position/velocity estimate (6x6 covariance, stride 6). */
void lo_model_init(lo_motion_model m, lo_kf *kf, const double pv[6], const double pv_cov[36]);

/* Innovation of a position measurement z (covariance R) against a state of dimension n:
 * y = z - p, S = P_pp + R. Returns the squared Mahalanobis distance y' S^-1 y and the
 * log-likelihood log N(y; 0, S) through *loglik; returns INFINITY when S is not SPD. */
double lo_kf_innovation(const lo_kf *kf, int n, const double z[3], const double R[9],
                        double y[3], double S[9], double *loglik);

/* Kalman update with a position measurement. Returns the same as lo_kf_innovation. */
double lo_kf_update_pos(lo_kf *kf, int n, const double z[3], const double R[9], double *loglik);

/* Probabilistic data association update: beta0 = probability that none of the `m`
 * measurements is the target's; beta[j] that z[j] is. Moment-matches the mixture of the
 * per-measurement updates (each measurement keeps its own covariance R[j]). At most 8
 * measurements are used: callers pass the most likely ones. */
void lo_kf_update_pda(lo_kf *kf, int n, int m, const double (*z)[3], const double (*R)[9],
                      double beta0, const double *beta);

/* Radial-velocity EKF update (positive receding from `sensor_enu`). Skipped (returns false)
 * when the innovation exceeds 4 sigma (an ambiguous or aliased Doppler). */
bool lo_kf_update_radial(lo_kf *kf, int n, const double sensor_enu[3], double radial_mps,
                         double sigma_mps);

/* ---- IMM (imm.c) ----------------------------------------------------------------------- */

/* Markov switching matrix for a step of dt seconds (row i -> column j), n x n. */
void lo_imm_transition(int n, double sojourn_s, double dt, double *pi);

/* Mixing step then prediction of every model by dt. `mu` (n) are the model probabilities;
 * on return they are the predicted ones. */
void lo_imm_predict(const lo_tracker_config *cfg, lo_kf *kf, double *mu, double dt);

/* Model-probability update from each model's log-likelihood. */
void lo_imm_update_probs(int n, double *mu, const double *loglik);

/* Combined (moment-matched) position/velocity estimate over the models: pv (6), cov (6x6). */
void lo_imm_combine(const lo_tracker_config *cfg, const lo_kf *kf, const double *mu,
                    double pv[6], double pv_cov[36]);

/* ---- JPDA (jpda.c) ------------------------------------------------------------------------ */

/* Association probabilities for one cluster of nt tracks and np plots. g[t*np + j] is the
 * likelihood ratio Pd * N(y_tj; 0, S_tj) / clutter density, 0 when plot j is outside track t's
 * gate; miss[t] is the weight of "track t not detected" (1 - Pd * Pg). On return
 * beta[t*(np+1)] is track t's miss probability and beta[t*(np+1) + 1 + j] that of plot j.
 * Exact enumeration of the joint events when there are at most max_hypotheses of them (and
 * nt <= 32, np <= 64), otherwise Fitzgerald's cheap JPDA. Returns 0 exact, 1 approximate. */
int lo_jpda_probabilities(int nt, int np, const double *g, const double *miss, double *beta,
                          long max_hypotheses);

/* The same with JPDA*'s pruning in the exact enumeration (jpda.c): of the events that give
 * the same plots to the same tracks in another order, only the likeliest counts, so two
 * close tracks are not pulled together. The cheap approximation is unchanged. */
int lo_jpda_star_probabilities(int nt, int np, const double *g, const double *miss, double *beta,
                               long max_hypotheses);

#endif
