/*
 * imm.c: interacting multiple models (Blom & Bar-Shalom 1988).
 *
 * Models of different dimension are mixed on their common part (position, velocity). A
 * model's own extra states (turn rate, acceleration, drag) keep its own estimate: for the
 * mixing, every other model is taken to agree with it there, uncorrelated. The mixed
 * covariance is then a convex combination of positive semi-definite matrices, so it stays
 * positive definite, and the cross terms between common and extra states are scaled by the
 * model's own mixing weight.
 */
/* Small fixed-size loops: -O3 unrolls and vectorises them (measured ~10% on bench_track). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include <math.h>
#include <string.h>

#include "lookout/linalg.h"
#include "track/track_internal.h"

void lo_imm_transition(int n, double sojourn_s, double dt, double *pi)
{
    double p_switch = (n > 1 && sojourn_s > 0) ? 1.0 - exp(-dt / sojourn_s) : 0.0;
    /* Never fully lock a model in, even for a long step: a model can always re-enter. */
    if (n > 1 && p_switch < 1e-4) p_switch = 1e-4;
    if (p_switch > 0.5) p_switch = 0.5;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            pi[i * n + j] = (i == j) ? 1.0 - p_switch : p_switch / (n - 1);
}

void lo_imm_predict(const lo_tracker_config *cfg, lo_kf *kf, double *mu, double dt)
{
    int nm = cfg->n_models;
    if (nm == 1) {
        lo_model_predict(cfg->models[0], cfg, &kf[0], dt);
        mu[0] = 1.0;
        return;
    }
    double pi[LO_MAX_MODELS * LO_MAX_MODELS], c[LO_MAX_MODELS], w[LO_MAX_MODELS][LO_MAX_MODELS];
    lo_imm_transition(nm, cfg->model_sojourn_s, dt, pi);
    for (int j = 0; j < nm; j++) {
        c[j] = 0;
        for (int i = 0; i < nm; i++) c[j] += pi[i * nm + j] * mu[i];
        for (int i = 0; i < nm; i++) w[i][j] = c[j] > 0 ? pi[i * nm + j] * mu[i] / c[j] : 0.0;
    }
    lo_kf mixed[LO_MAX_MODELS];
    for (int j = 0; j < nm; j++) {
        int nj = lo_model_dim(cfg->models[j]);
        lo_kf *out = &mixed[j];
        *out = kf[j];
        double mean[6] = {0};
        for (int i = 0; i < nm; i++)
            for (int a = 0; a < 6; a++) mean[a] += w[i][j] * kf[i].x[a];
        double Pc[36] = {0};
        for (int i = 0; i < nm; i++) {
            int ni = lo_model_dim(cfg->models[i]);
            double d[6];
            for (int a = 0; a < 6; a++) d[a] = kf[i].x[a] - mean[a];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                    Pc[a * 6 + b] += w[i][j] * (kf[i].P[a * ni + b] + d[a] * d[b]);
        }
        memcpy(out->x, mean, sizeof mean);
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) out->P[a * nj + b] = Pc[a * 6 + b];
        for (int a = 0; a < 6; a++)
            for (int b = 6; b < nj; b++) {
                out->P[a * nj + b] *= w[j][j];
                out->P[b * nj + a] *= w[j][j];
            }
    }
    for (int j = 0; j < nm; j++) {
        kf[j] = mixed[j];
        lo_model_predict(cfg->models[j], cfg, &kf[j], dt);
        mu[j] = c[j];
    }
}

void lo_imm_update_probs(int n, double *mu, const double *loglik)
{
    double best = -INFINITY;
    for (int i = 0; i < n; i++)
        if (loglik[i] > best) best = loglik[i];
    if (!isfinite(best)) return;
    double s = 0;
    for (int i = 0; i < n; i++) {
        mu[i] *= isfinite(loglik[i]) ? exp(loglik[i] - best) : 0.0;
        s += mu[i];
    }
    if (!(s > 0)) {
        for (int i = 0; i < n; i++) mu[i] = 1.0 / n;
        return;
    }
    /* A floor keeps every model able to come back after a long stretch without use. */
    double floor_p = 1e-6, s2 = 0;
    for (int i = 0; i < n; i++) {
        mu[i] = mu[i] / s;
        if (mu[i] < floor_p) mu[i] = floor_p;
        s2 += mu[i];
    }
    for (int i = 0; i < n; i++) mu[i] /= s2;
}

void lo_imm_combine(const lo_tracker_config *cfg, const lo_kf *kf, const double *mu,
                    double pv[6], double pv_cov[36])
{
    int nm = cfg->n_models;
    memset(pv, 0, 6 * sizeof(double));
    for (int m = 0; m < nm; m++)
        for (int a = 0; a < 6; a++) pv[a] += mu[m] * kf[m].x[a];
    if (!pv_cov) return;
    memset(pv_cov, 0, 36 * sizeof(double));
    for (int m = 0; m < nm; m++) {
        int n = lo_model_dim(cfg->models[m]);
        double d[6];
        for (int a = 0; a < 6; a++) d[a] = kf[m].x[a] - pv[a];
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) pv_cov[a * 6 + b] += mu[m] * (kf[m].P[a * n + b] + d[a] * d[b]);
    }
}
