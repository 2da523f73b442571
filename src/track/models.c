/*
 * models.c: motion models (predictor) and measurement updates (updater).
 *
 * Every model shares the first six states (ENU position, velocity) so that the IMM can mix
 * them; see track_internal.h for the layout. Process noise is the continuous white-noise
 * kind (Bar-Shalom, Li, Kirubarajan, "Estimation with Applications to Tracking and
 * Navigation", ch. 6), integrated exactly for the linear models.
 */
/* Small fixed-size loops: -O3 unrolls and vectorises them (measured ~10% on bench_track). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include <math.h>
#include <string.h>

#include "lookout/geo.h"
#include "lookout/linalg.h"
#include "track/track_internal.h"

#define LN_2PI 1.8378770664093453
#define AIR_SCALE_HEIGHT_M 8500.0 /* density falls as exp(-h / H) */

int lo_model_dim(lo_motion_model m)
{
    switch (m) {
    case LO_MODEL_CV: return 6;
    case LO_MODEL_CT: return 7;
    case LO_MODEL_CA: return 9;
    case LO_MODEL_BALLISTIC: return 7;
    default: return 6;
    }
}

/* Add white-noise-acceleration process noise of density q to the pos/vel part of P (n x n). */
static void add_q_cv(double *P, int n, double q, double dt)
{
    double a = q * dt * dt * dt / 3.0, b = q * dt * dt / 2.0, c = q * dt;
    for (int i = 0; i < 3; i++) {
        P[i * n + i] += a;
        P[i * n + i + 3] += b;
        P[(i + 3) * n + i] += b;
        P[(i + 3) * n + i + 3] += c;
    }
}

/* P = F P F' for the kinematic transition of `blocks` 3-blocks (2: CV, 3: CA):
 * F = I + dt S + dt^2/2 S^2 with S shifting block k+1 into block k. Done as row then column
 * operations in place: O(n^2) instead of the O(n^3) of dense products. */
static void propagate_kinematic(double *P, int blocks, double dt)
{
    const int n = 3 * blocks;
    const double h = 0.5 * dt * dt;
    for (int j = 0; j < n; j++) { /* rows: P := F P, block 0 first (it reads the old 1, 2) */
        for (int i = 0; i < 3; i++) {
            double v = P[i * n + j] + dt * P[(i + 3) * n + j];
            if (blocks == 3) v += h * P[(i + 6) * n + j];
            P[i * n + j] = v;
            if (blocks == 3) P[(i + 3) * n + j] += dt * P[(i + 6) * n + j];
        }
    }
    for (int r = 0; r < n; r++) { /* columns: P := P F' */
        double *row = &P[r * n];
        for (int i = 0; i < 3; i++) {
            double v = row[i] + dt * row[i + 3];
            if (blocks == 3) v += h * row[i + 6];
            row[i] = v;
            if (blocks == 3) row[i + 3] += dt * row[i + 6];
        }
    }
}

/* CV: the hot path of a single-model tracker. */
static void predict_cv(lo_kf *kf, double q, double dt)
{
    for (int i = 0; i < 3; i++) kf->x[i] += dt * kf->x[i + 3];
    propagate_kinematic(kf->P, 2, dt);
    add_q_cv(kf->P, 6, q, dt);
}

/* P = F P F' for a sparse F (n x n): F (F P)' with products that skip F's zeros (P is
 * symmetric, so (F P)' = P F'). */
static void propagate_cov(double *P, const double *F, int n)
{
    double FP[LO_KF_MAX * LO_KF_MAX], PFt[LO_KF_MAX * LO_KF_MAX];
    lo_mat_mul(F, P, FP, n, n, n);
    lo_mat_transpose(FP, PFt, n, n);
    lo_mat_mul(F, PFt, P, n, n, n);
}

static void predict_ca(lo_kf *kf, double q, double dt)
{
    const int n = 9;
    double *x = kf->x;
    for (int i = 0; i < 3; i++) {
        x[i] += dt * x[i + 3] + 0.5 * dt * dt * x[i + 6];
        x[i + 3] += dt * x[i + 6];
    }
    propagate_kinematic(kf->P, 3, dt);
    /* White-noise jerk (Wiener-process acceleration). */
    double d2 = dt * dt, d3 = d2 * dt, d4 = d3 * dt, d5 = d4 * dt;
    const double q3[3][3] = {{d5 / 20, d4 / 8, d3 / 6}, {d4 / 8, d3 / 3, d2 / 2}, {d3 / 6, d2 / 2, dt}};
    for (int axis = 0; axis < 3; axis++)
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) kf->P[(axis + 3 * r) * n + axis + 3 * c] += q * q3[r][c];
}

/* Coordinated turn in the horizontal plane, constant velocity vertically. */
static void predict_ct(lo_kf *kf, double q, double q_w, double dt)
{
    const int n = 7;
    double *x = kf->x;
    double w = x[6], vx = x[3], vy = x[4];
    double wt = w * dt, s = sin(wt), c = cos(wt);
    double a, b, da, db; /* a = sin(wT)/w, b = (1-cos(wT))/w and their w-derivatives */
    if (fabs(w) < 1e-6) {
        a = dt - w * w * dt * dt * dt / 6.0;
        b = 0.5 * w * dt * dt;
        da = -w * dt * dt * dt / 3.0;
        db = 0.5 * dt * dt;
    } else {
        a = s / w;
        b = (1.0 - c) / w;
        da = (dt * c * w - s) / (w * w);
        db = (dt * s * w - (1.0 - c)) / (w * w);
    }
    double F[49];
    lo_mat_identity(F, n);
    F[0 * n + 3] = a;
    F[0 * n + 4] = -b;
    F[0 * n + 6] = da * vx - db * vy;
    F[1 * n + 3] = b;
    F[1 * n + 4] = a;
    F[1 * n + 6] = db * vx + da * vy;
    F[2 * n + 5] = dt;
    F[3 * n + 3] = c;
    F[3 * n + 4] = -s;
    F[3 * n + 6] = -dt * s * vx - dt * c * vy;
    F[4 * n + 3] = s;
    F[4 * n + 4] = c;
    F[4 * n + 6] = dt * c * vx - dt * s * vy;
    x[0] += a * vx - b * vy;
    x[1] += b * vx + a * vy;
    x[2] += dt * x[5];
    x[3] = c * vx - s * vy;
    x[4] = s * vx + c * vy;
    propagate_cov(kf->P, F, n);
    add_q_cv(kf->P, n, q, dt);
    kf->P[6 * n + 6] += q_w * dt;
}

static double air_density_ratio(double h)
{
    if (h < 0) h = 0;
    return exp(-h / AIR_SCALE_HEIGHT_M);
}

/* Continuous-time ballistic dynamics: derivative of the state and its Jacobian A. */
static void ballistic_deriv(const double *x, double *dx, double *A)
{
    const int n = 7;
    double k = x[6] > 0 ? x[6] : 0.0;
    double v[3] = {x[3], x[4], x[5]};
    double speed = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    double rho = air_density_ratio(x[2]);
    for (int i = 0; i < 3; i++) {
        dx[i] = v[i];
        dx[i + 3] = -k * rho * speed * v[i];
    }
    dx[5] -= LO_G0;
    dx[6] = 0.0;
    if (!A) return;
    memset(A, 0, sizeof(double) * 49);
    for (int i = 0; i < 3; i++) A[i * n + i + 3] = 1.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double d = (i == j ? speed : 0.0) + (speed > 0 ? v[i] * v[j] / speed : 0.0);
            A[(i + 3) * n + j + 3] = -k * rho * d;
        }
        A[(i + 3) * n + 6] = -rho * speed * v[i];
        A[(i + 3) * n + 2] = x[2] > 0 ? k * rho / AIR_SCALE_HEIGHT_M * speed * v[i] : 0.0;
    }
}

/* Ballistic: Heun (2nd-order Runge-Kutta) steps of at most 0.25 s for the mean; the
 * covariance goes through the product of second-order transition matrices I + hA + h^2A^2/2. */
static void predict_ballistic(lo_kf *kf, double q, double q_k, double dt)
{
    const int n = 7;
    int steps = (int)ceil(dt / 0.25);
    if (steps < 1) steps = 1;
    double h = dt / steps;
    double F[49], A[49], A2[49], Fs[49], tmp[49];
    lo_mat_identity(F, n);
    double *x = kf->x;
    for (int s = 0; s < steps; s++) {
        double d1[7], d2[7], xp[7];
        ballistic_deriv(x, d1, A);
        for (int i = 0; i < n; i++) xp[i] = x[i] + h * d1[i];
        ballistic_deriv(xp, d2, NULL);
        for (int i = 0; i < n; i++) x[i] += 0.5 * h * (d1[i] + d2[i]);
        lo_mat_mul(A, A, A2, n, n, n);
        lo_mat_identity(Fs, n);
        for (int i = 0; i < 49; i++) Fs[i] += h * A[i] + 0.5 * h * h * A2[i];
        lo_mat_mul(Fs, F, tmp, n, n, n);
        memcpy(F, tmp, sizeof F);
    }
    if (x[6] < 0) x[6] = 0;
    propagate_cov(kf->P, F, n);
    add_q_cv(kf->P, n, q, dt);
    kf->P[6 * n + 6] += q_k * dt;
}

void lo_model_predict(lo_motion_model m, const lo_tracker_config *cfg, lo_kf *kf, double dt)
{
    if (!(dt > 0)) return;
    switch (m) {
    case LO_MODEL_CV: predict_cv(kf, cfg->q_cv, dt); break;
    case LO_MODEL_CT: predict_ct(kf, cfg->q_ct, cfg->q_turn_rate, dt); break;
    case LO_MODEL_CA: predict_ca(kf, cfg->q_ca, dt); break;
    case LO_MODEL_BALLISTIC: predict_ballistic(kf, cfg->q_ballistic, cfg->q_drag, dt); break;
    default: break;
    }
    lo_mat_symmetrize(kf->P, lo_model_dim(m));
}

void lo_model_accel(lo_motion_model m, const lo_kf *kf, double acc[3])
{
    const double *x = kf->x;
    acc[0] = acc[1] = acc[2] = 0.0;
    switch (m) {
    case LO_MODEL_CT:
        acc[0] = -x[6] * x[4];
        acc[1] = x[6] * x[3];
        break;
    case LO_MODEL_CA:
        acc[0] = x[6], acc[1] = x[7], acc[2] = x[8];
        break;
    case LO_MODEL_BALLISTIC: {
        double d[7];
        ballistic_deriv(x, d, NULL);
        acc[0] = d[3], acc[1] = d[4], acc[2] = d[5];
        break;
    }
    default: break;
    }
}

/* Initial spread of the model-specific states. */
#define INIT_TURN_RATE_SIGMA 0.15   /* rad/s: drones turn faster than standard rate */
#define INIT_ACCEL_SIGMA 10.0       /* m/s^2 */
#define INIT_DRAG 1e-4              /* 1/m: a 107-122 mm rocket is 0.5-1.5e-4 */
#define INIT_DRAG_SIGMA 1e-4

void lo_model_init(lo_motion_model m, lo_kf *kf, const double pv[6], const double pv_cov[36])
{
    int n = lo_model_dim(m);
    memset(kf, 0, sizeof *kf);
    memcpy(kf->x, pv, 6 * sizeof(double));
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) kf->P[i * n + j] = pv_cov[i * 6 + j];
    switch (m) {
    case LO_MODEL_CT: kf->P[6 * n + 6] = INIT_TURN_RATE_SIGMA * INIT_TURN_RATE_SIGMA; break;
    case LO_MODEL_CA:
        for (int i = 6; i < 9; i++) kf->P[i * n + i] = INIT_ACCEL_SIGMA * INIT_ACCEL_SIGMA;
        break;
    case LO_MODEL_BALLISTIC:
        kf->x[6] = INIT_DRAG;
        kf->P[6 * n + 6] = INIT_DRAG_SIGMA * INIT_DRAG_SIGMA;
        break;
    default: break;
    }
}

double lo_kf_innovation(const lo_kf *kf, int n, const double z[3], const double R[9],
                        double y[3], double S[9], double *loglik)
{
    for (int i = 0; i < 3; i++) {
        y[i] = z[i] - kf->x[i];
        for (int j = 0; j < 3; j++) S[i * 3 + j] = kf->P[i * n + j] + R[i * 3 + j];
    }
    double Si[9];
    double det = lo_sym3_inverse(S, Si);
    if (!(det > 0)) {
        if (loglik) *loglik = -INFINITY;
        return INFINITY;
    }
    double d2 = lo_sym3_quad(Si, y);
    if (loglik) *loglik = -0.5 * (d2 + log(det) + 3.0 * LN_2PI);
    return d2;
}

double lo_kf_update_pos(lo_kf *kf, int n, const double z[3], const double R[9], double *loglik)
{
    double y[3], S[9], Si[9];
    double d2 = lo_kf_innovation(kf, n, z, R, y, S, loglik);
    if (!isfinite(d2) || !(lo_sym3_inverse(S, Si) > 0)) return INFINITY;
    /* K = P[:, 0:3] S^-1 (n x 3); x += K y; P -= K P[0:3, :]. */
    double K[LO_KF_MAX * 3], PH[LO_KF_MAX * 3], HP[3 * LO_KF_MAX];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 3; j++) PH[i * 3 + j] = kf->P[i * n + j];
    lo_mat_mul(PH, Si, K, n, 3, 3);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < n; j++) HP[i * n + j] = kf->P[i * n + j];
    for (int i = 0; i < n; i++) {
        kf->x[i] += K[i * 3] * y[0] + K[i * 3 + 1] * y[1] + K[i * 3 + 2] * y[2];
        for (int j = 0; j < n; j++)
            kf->P[i * n + j] -=
                K[i * 3] * HP[j] + K[i * 3 + 1] * HP[n + j] + K[i * 3 + 2] * HP[2 * n + j];
    }
    lo_mat_symmetrize(kf->P, n);
    return d2;
}

void lo_kf_update_pda(lo_kf *kf, int n, int m, const double (*z)[3], const double (*R)[9],
                      double beta0, const double *beta)
{
    if (m == 0 || beta0 >= 1.0) return;
    if (m == 1) {
        /* One measurement, closed form of the same mixture: with K the gain and y the
         * innovation, x += b K y and P -= b K H P - b0 b (K y)(K y)'. */
        double b = beta[0], y[3], S[9], Si[9];
        if (!isfinite(lo_kf_innovation(kf, n, z[0], R[0], y, S, NULL)) || !(lo_sym3_inverse(S, Si) > 0))
            return;
        double K[LO_KF_MAX * 3], PH[LO_KF_MAX * 3], Ky[LO_KF_MAX];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++) PH[i * 3 + j] = kf->P[i * n + j];
        lo_mat_mul(PH, Si, K, n, 3, 3);
        for (int i = 0; i < n; i++) Ky[i] = K[i * 3] * y[0] + K[i * 3 + 1] * y[1] + K[i * 3 + 2] * y[2];
        double bb = beta0 * b;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double khp = K[i * 3] * PH[j * 3] + K[i * 3 + 1] * PH[j * 3 + 1] + K[i * 3 + 2] * PH[j * 3 + 2];
                kf->P[i * n + j] += -b * khp + bb * Ky[i] * Ky[j];
            }
        for (int i = 0; i < n; i++) kf->x[i] += b * Ky[i];
        lo_mat_symmetrize(kf->P, n);
        return;
    }
    /* Mixture of "no measurement" (weight beta0) and "measurement j" (beta[j]), moment
     * matched: mean = sum w_k x_k, cov = sum w_k (P_k + (x_k - mean)(x_k - mean)'). */
    lo_kf upd[8];
    lo_kf *parts = upd;
    if (m > 8) m = 8; /* callers keep only the 8 most likely measurements */
    double mean[LO_KF_MAX] = {0};
    double wsum = beta0;
    for (int i = 0; i < n; i++) mean[i] = beta0 * kf->x[i];
    for (int j = 0; j < m; j++) {
        parts[j] = *kf;
        if (!isfinite(lo_kf_update_pos(&parts[j], n, z[j], R[j], NULL))) {
            parts[j] = *kf;
        }
        wsum += beta[j];
        for (int i = 0; i < n; i++) mean[i] += beta[j] * parts[j].x[i];
    }
    if (!(wsum > 0)) return;
    for (int i = 0; i < n; i++) mean[i] /= wsum;
    double P[LO_KF_MAX * LO_KF_MAX];
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            double d0a = kf->x[a] - mean[a], d0b = kf->x[b] - mean[b];
            P[a * n + b] = beta0 * (kf->P[a * n + b] + d0a * d0b);
        }
    for (int j = 0; j < m; j++) {
        if (beta[j] <= 0) continue;
        for (int a = 0; a < n; a++) {
            double da = parts[j].x[a] - mean[a];
            for (int b = 0; b < n; b++)
                P[a * n + b] += beta[j] * (parts[j].P[a * n + b] + da * (parts[j].x[b] - mean[b]));
        }
    }
    for (int i = 0; i < n * n; i++) kf->P[i] = P[i] / wsum;
    memcpy(kf->x, mean, sizeof(double) * (size_t)n);
    lo_mat_symmetrize(kf->P, n);
}

bool lo_kf_update_radial(lo_kf *kf, int n, const double sensor_enu[3], double radial_mps,
                         double sigma_mps)
{
    double r[3], v[3] = {kf->x[3], kf->x[4], kf->x[5]};
    for (int i = 0; i < 3; i++) r[i] = kf->x[i] - sensor_enu[i];
    double rn = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (rn < 1.0 || !(sigma_mps > 0)) return false;
    double u[3] = {r[0] / rn, r[1] / rn, r[2] / rn};
    double h = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    double H[LO_KF_MAX] = {0};
    for (int i = 0; i < 3; i++) {
        H[i] = (v[i] - h * u[i]) / rn;
        H[i + 3] = u[i];
    }
    double PHt[LO_KF_MAX];
    lo_mat_vec(kf->P, H, PHt, n, n);
    double S = sigma_mps * sigma_mps;
    for (int i = 0; i < n; i++) S += H[i] * PHt[i];
    double innov = radial_mps - h;
    if (!(S > 0) || innov * innov > 16.0 * S) return false;
    for (int i = 0; i < n; i++) kf->x[i] += PHt[i] / S * innov;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) kf->P[i * n + j] -= PHt[i] * PHt[j] / S;
    lo_mat_symmetrize(kf->P, n);
    return true;
}

const char *lo_motion_model_name(lo_motion_model m)
{
    static const char *const names[LO_MODEL_COUNT] = {"cv", "ct", "ca", "ballistic"};
    return (m >= 0 && m < LO_MODEL_COUNT) ? names[m] : "unknown";
}
