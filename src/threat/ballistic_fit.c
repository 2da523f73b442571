/*
 * Ballistic trajectory fit: batch least squares over every plot of a track (see
 * lookout/threat.h and docs/threat.md, "The ballistic fit").
 *
 * Why not the tracker's state: a recursive filter a few scans after initiation still carries
 * the velocity error of its first plots (10-25 m/s on the green-zone rockets), and 1 m/s of
 * climb-rate error moves the impact ~57 m along track with 20 s to go. A ballistic path has
 * seven unknowns (position, velocity at one epoch, drag coefficient) and every plot of the
 * track constrains the same seven, so a batch fit over all of them is the best estimate the
 * data allow; the radial velocity of a Doppler radar pins the along-range speed besides.
 *
 * Dynamics: a = g + drag, drag = -k rho(up)/rho(terrain) |v| v, g = 9.80665 m/s^2 down, the
 * density falling exponentially with the scale height (flat earth: 5-20 km flights).
 * Solver: Levenberg-Marquardt on whitened residuals (Cholesky of each plot's covariance), a
 * Jacobian by forward differences of the RK4 propagation, the parameters scaled so that 1 unit
 * is 1 m, 1 m/s and 1e-5 /m. Covariance: (J^T J)^-1 at the solution, inflated by the reduced
 * chi-square when that exceeds 1.
 *
 * For warning and reports only: nothing here steers, cues or engages anything.
 */
#include "lookout/threat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/geo.h"
#include "lookout/linalg.h"

#define NPAR 7
#define FIT_STEP_S 0.05     /* RK4 step of the fit's propagation */
#define GROUND_STEP_S 0.05  /* ... and of the search for the ground crossing */
#define MAX_FLIGHT_S 600.0
#define MAX_ITER 20

static const double par_scale[NPAR] = {1, 1, 1, 1, 1, 1, 1e-5};
static const double fd_step[NPAR] = {0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.01}; /* scaled units */

static void deriv(const lo_ballistic_model *m, double k, const double s[6], double d[6])
{
    double speed = sqrt(s[3] * s[3] + s[4] * s[4] + s[5] * s[5]);
    double rho = 1;
    if (m->scale_height_m > 0) {
        double x = -(s[2] - m->terrain_up_m) / m->scale_height_m;
        rho = exp(x < 5 ? x : 5);
    }
    double c = k * rho * speed;
    d[0] = s[3];
    d[1] = s[4];
    d[2] = s[5];
    d[3] = -c * s[3];
    d[4] = -c * s[4];
    d[5] = -LO_G0 - c * s[5];
}

static void rk4(const lo_ballistic_model *m, double k, double s[6], double h)
{
    double k1[6], k2[6], k3[6], k4[6], tmp[6];
    deriv(m, k, s, k1);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k1[i];
    deriv(m, k, tmp, k2);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + 0.5 * h * k2[i];
    deriv(m, k, tmp, k3);
    for (int i = 0; i < 6; i++) tmp[i] = s[i] + h * k3[i];
    deriv(m, k, tmp, k4);
    for (int i = 0; i < 6; i++) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

static void advance(const lo_ballistic_model *m, double k, double s[6], double dt)
{
    if (dt == 0) return;
    int n = (int)ceil(fabs(dt) / FIT_STEP_S);
    double h = dt / n;
    for (int i = 0; i < n; i++) rk4(m, k, s, h);
}

void lo_ballistic_propagate(const lo_ballistic_model *m, const double state[7], double dt,
                            double out[6])
{
    memcpy(out, state, 6 * sizeof out[0]);
    advance(m, fmax(0, state[6]), out, dt);
}

/* ---- the fit ----------------------------------------------------------------------------- */

typedef struct fit_work {
    const lo_ballistic_meas *meas[LO_BALLISTIC_FIT_MAX]; /* latest first */
    double linv[LO_BALLISTIC_FIT_MAX][9];  /* inverse Cholesky factor of each plot's covariance */
    int n, n_res;
    double t_ref;
    double r[LO_BALLISTIC_FIT_MAX * 4 + 1];
    double rp[LO_BALLISTIC_FIT_MAX * 4 + 1];
    double jac[(LO_BALLISTIC_FIT_MAX * 4 + 1) * NPAR];
} fit_work;

static int cmp_meas_desc(const void *a, const void *b)
{
    const lo_ballistic_meas *x = *(const lo_ballistic_meas *const *)a;
    const lo_ballistic_meas *y = *(const lo_ballistic_meas *const *)b;
    return (x->t < y->t) - (x->t > y->t);
}

/* L^-1 for a 3x3 SPD matrix (lower triangular); a degenerate covariance gets a 1 m floor. */
static void inverse_cholesky3(const double cov[9], double linv[9])
{
    double a[9], l[9];
    memcpy(a, cov, sizeof a);
    for (int i = 0; i < 3; i++) a[i * 4] = fmax(a[i * 4], 1.0);
    if (lo_chol(a, l, 3) != 0) {
        memset(l, 0, sizeof l);
        for (int i = 0; i < 3; i++) l[i * 4] = sqrt(fmax(cov[i * 4], 1.0));
    }
    memset(linv, 0, 9 * sizeof linv[0]);
    for (int c = 0; c < 3; c++) {
        double e[3] = {0};
        e[c] = 1;
        for (int i = 0; i < 3; i++) {
            double s = e[i];
            for (int k = 0; k < i; k++) s -= l[i * 3 + k] * linv[k * 3 + c];
            linv[i * 3 + c] = s / l[i * 4];
        }
    }
}

/* Whitened residuals (measured - predicted) for parameters u (scaled); returns the cost. */
static double residuals(const lo_ballistic_model *m, fit_work *w, const double u[NPAR], double *r)
{
    double x[NPAR];
    for (int i = 0; i < NPAR; i++) x[i] = u[i] * par_scale[i];
    double k = fmax(0, x[6]);
    double s[6];
    memcpy(s, x, sizeof s);
    double t = w->t_ref;
    int j = 0;
    for (int i = 0; i < w->n; i++) {
        const lo_ballistic_meas *z = w->meas[i];
        advance(m, k, s, z->t - t);
        t = z->t;
        double d[3] = {z->enu[0] - s[0], z->enu[1] - s[1], z->enu[2] - s[2]};
        const double *L = w->linv[i];
        for (int a = 0; a < 3; a++) r[j++] = L[a * 3] * d[0] + L[a * 3 + 1] * d[1] + L[a * 3 + 2] * d[2];
        if (z->has_radial_velocity && z->radial_velocity_sigma_mps > 0) {
            double los[3] = {s[0] - z->sensor_enu[0], s[1] - z->sensor_enu[1], s[2] - z->sensor_enu[2]};
            double rn = sqrt(los[0] * los[0] + los[1] * los[1] + los[2] * los[2]);
            double pred = rn > 1 ? (los[0] * s[3] + los[1] * s[4] + los[2] * s[5]) / rn : 0;
            r[j++] = (z->radial_velocity_mps - pred) / z->radial_velocity_sigma_mps;
        }
    }
    r[j++] = m->drag_prior_sigma_per_m > 0
                 ? (m->drag_prior_k_per_m - x[6]) / m->drag_prior_sigma_per_m
                 : 0;
    double cost = 0;
    for (int i = 0; i < j; i++) cost += r[i] * r[i];
    return cost;
}

static void jacobian(const lo_ballistic_model *m, fit_work *w, const double u[NPAR])
{
    for (int p = 0; p < NPAR; p++) {
        double up[NPAR];
        memcpy(up, u, sizeof up);
        up[p] += fd_step[p];
        residuals(m, w, up, w->rp);
        for (int i = 0; i < w->n_res; i++) w->jac[i * NPAR + p] = (w->rp[i] - w->r[i]) / fd_step[p];
    }
}

/* J^T J and J^T r. */
static void normal_equations(const fit_work *w, double jtj[NPAR * NPAR], double jtr[NPAR])
{
    memset(jtj, 0, NPAR * NPAR * sizeof jtj[0]);
    memset(jtr, 0, NPAR * sizeof jtr[0]);
    for (int i = 0; i < w->n_res; i++) {
        const double *row = &w->jac[i * NPAR];
        for (int a = 0; a < NPAR; a++) {
            jtr[a] += row[a] * w->r[i];
            for (int b = 0; b <= a; b++) jtj[a * NPAR + b] += row[a] * row[b];
        }
    }
    for (int a = 0; a < NPAR; a++)
        for (int b = a + 1; b < NPAR; b++) jtj[a * NPAR + b] = jtj[b * NPAR + a];
}

static int fit_once(const lo_ballistic_model *m, const lo_ballistic_meas *meas, size_t n,
                    const double guess[7], lo_ballistic_fit *out, const bool *drop);

int lo_ballistic_fit_solve(const lo_ballistic_model *m, const lo_ballistic_meas *meas, size_t n,
                           const double guess[7], lo_ballistic_fit *out)
{
    if (fit_once(m, meas, n, guess, out, NULL) != 0) return -1;
    if (!(out->dof > 0 && out->chi2 / out->dof > 2)) return 0;
    /* A poor fit: a plot or two that are not this object's (a neighbour's, a merged return)?
     * Drop the plot farthest from the fitted path (beyond 3 sigma) and fit again, while that
     * helps, at most a quarter of the plots. */
    bool *drop = calloc(n, sizeof *drop);
    if (!drop) return 0;
    size_t n_drop = 0;
    while (out->chi2 / out->dof > 2 && 4 * (n_drop + 1) <= n) {
        double worst = 9.0;
        size_t wi = n;
        for (size_t i = 0; i < n; i++) {
            if (drop[i]) continue;
            double d2 = lo_ballistic_meas_distance(m, out->state, out->t_ref, &meas[i], 0);
            if (d2 > worst) {
                worst = d2;
                wi = i;
            }
        }
        if (wi == n) break;
        drop[wi] = true;
        lo_ballistic_fit next;
        if (fit_once(m, meas, n, out->state, &next, drop) != 0 ||
            !(next.dof > 0 && next.chi2 / next.dof < out->chi2 / out->dof))
            break;
        *out = next;
        n_drop++;
    }
    free(drop);
    return 0;
}

static int fit_once(const lo_ballistic_model *m, const lo_ballistic_meas *meas, size_t n,
                    const double guess[7], lo_ballistic_fit *out, const bool *drop)
{
    memset(out, 0, sizeof *out);
    if (n < 3) return -1;
    fit_work *w = malloc(sizeof *w);
    if (!w) return -1;
    const lo_ballistic_meas *all[LO_BALLISTIC_FIT_MAX];
    /* The latest LO_BALLISTIC_FIT_MAX: sort pointers to every plot, newest first. */
    const lo_ballistic_meas **ptr = malloc(n * sizeof *ptr);
    if (!ptr) {
        free(w);
        return -1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop || !drop[i]) ptr[kept++] = &meas[i];
    n = kept;
    if (n < 3) {
        free(ptr);
        free(w);
        return -1;
    }
    qsort(ptr, n, sizeof *ptr, cmp_meas_desc);
    w->n = n < LO_BALLISTIC_FIT_MAX ? (int)n : LO_BALLISTIC_FIT_MAX;
    memcpy(all, ptr, (size_t)w->n * sizeof *ptr);
    free(ptr);
    w->n_res = 1;
    for (int i = 0; i < w->n; i++) {
        w->meas[i] = all[i];
        inverse_cholesky3(all[i]->enu_cov, w->linv[i]);
        w->n_res += all[i]->has_radial_velocity && all[i]->radial_velocity_sigma_mps > 0 ? 4 : 3;
    }
    w->t_ref = all[0]->t;
    if (w->n_res - 1 < NPAR) {
        free(w);
        return -1;
    }

    /* Start: the guess, or a chord through the first and last plot. */
    double x0[NPAR];
    if (guess) {
        memcpy(x0, guess, sizeof x0);
    } else {
        const lo_ballistic_meas *a = all[w->n - 1], *b = all[0];
        double dt = b->t - a->t;
        if (!(dt > 0)) {
            free(w);
            return -1;
        }
        for (int i = 0; i < 3; i++) {
            x0[i] = b->enu[i];
            x0[3 + i] = (b->enu[i] - a->enu[i]) / dt;
        }
        x0[5] -= 0.5 * LO_G0 * dt; /* the chord's slope is the velocity half-way */
        x0[6] = m->drag_prior_k_per_m;
    }
    double u[NPAR];
    for (int i = 0; i < NPAR; i++) u[i] = x0[i] / par_scale[i];

    double cost = residuals(m, w, u, w->r), lambda = 1e-3;
    int it;
    for (it = 0; it < MAX_ITER; it++) {
        jacobian(m, w, u);
        double jtj[NPAR * NPAR], jtr[NPAR];
        normal_equations(w, jtj, jtr);
        bool improved = false;
        double step_max = 0;
        while (lambda < 1e10) {
            double a[NPAR * NPAR], l[NPAR * NPAR], delta[NPAR];
            memcpy(a, jtj, sizeof a);
            for (int d = 0; d < NPAR; d++) a[d * NPAR + d] += lambda * fmax(jtj[d * NPAR + d], 1e-9);
            if (lo_chol(a, l, NPAR) != 0) {
                lambda *= 10;
                continue;
            }
            /* r = z - h(u), J = dr/du: the Gauss-Newton step solves (J^T J) du = -J^T r. */
            for (int d = 0; d < NPAR; d++) delta[d] = -jtr[d];
            lo_chol_solve(l, delta, delta, NPAR);
            double un[NPAR];
            step_max = 0;
            for (int d = 0; d < NPAR; d++) {
                un[d] = u[d] + delta[d];
                step_max = fmax(step_max, fabs(delta[d]));
            }
            if (un[6] < 0) un[6] = 0; /* no negative drag */
            double c = residuals(m, w, un, w->rp);
            if (c < cost) {
                memcpy(u, un, sizeof u);
                double rel = (cost - c) / fmax(cost, 1e-12);
                cost = c;
                memcpy(w->r, w->rp, (size_t)w->n_res * sizeof w->r[0]);
                lambda = fmax(lambda / 10, 1e-7);
                improved = true;
                if (rel < 1e-9) step_max = 0;
                break;
            }
            lambda *= 10;
        }
        if (!improved || step_max < 1e-4) break;
    }

    /* Covariance at the solution. */
    jacobian(m, w, u);
    double jtj[NPAR * NPAR], jtr[NPAR], cu[NPAR * NPAR];
    normal_equations(w, jtj, jtr);
    int rc = lo_spd_inverse(jtj, cu, NPAR);
    if (rc == 0) {
        out->n_meas = w->n;
        out->t_ref = w->t_ref;
        out->iterations = it + 1;
        out->chi2 = cost;
        out->dof = w->n_res - NPAR;
        double inflate = out->dof > 0 && cost / out->dof > 1 ? cost / out->dof : 1;
        for (int a = 0; a < NPAR; a++) {
            out->state[a] = u[a] * par_scale[a];
            for (int b = 0; b < NPAR; b++)
                out->cov[a * NPAR + b] = cu[a * NPAR + b] * par_scale[a] * par_scale[b] * inflate;
        }
        out->valid = true;
    }
    free(w);
    return rc == 0 ? 0 : -1;
}

double lo_ballistic_meas_distance(const lo_ballistic_model *m, const double state[7],
                                  double t_state, const lo_ballistic_meas *z, double rv_slack_mps)
{
    double s6[6], d[3], ci[9];
    lo_ballistic_propagate(m, state, z->t - t_state, s6);
    for (int a = 0; a < 3; a++) d[a] = z->enu[a] - s6[a];
    double d2 = lo_sym3_inverse(z->enu_cov, ci) > 0 ? lo_sym3_quad(ci, d) : 0;
    if (z->has_radial_velocity && z->radial_velocity_sigma_mps > 0) {
        double los[3], rn = 0;
        for (int a = 0; a < 3; a++) los[a] = s6[a] - z->sensor_enu[a], rn += los[a] * los[a];
        rn = sqrt(rn);
        if (rn > 1) {
            double pred = (los[0] * s6[3] + los[1] * s6[4] + los[2] * s6[5]) / rn;
            double var = z->radial_velocity_sigma_mps * z->radial_velocity_sigma_mps +
                         rv_slack_mps * rv_slack_mps;
            d2 += (z->radial_velocity_mps - pred) * (z->radial_velocity_mps - pred) / var;
        }
    }
    return d2;
}

/* ---- impact and launch ------------------------------------------------------------------- */

/* From a state (7) integrate forward (dir +1) or backward (-1) until the path comes down
 * through the terrain plane from above; xy and the time taken. */
static bool ground_crossing(const lo_ballistic_model *m, const double x[7], int dir, double xy[2],
                            double *t_out)
{
    double s[6];
    memcpy(s, x, sizeof s);
    double k = fmax(0, x[6]), h = dir * GROUND_STEP_S;
    for (double t = 0; t < MAX_FLIGHT_S; t += GROUND_STEP_S) {
        double prev[6];
        memcpy(prev, s, sizeof s);
        rk4(m, k, s, h);
        if (prev[2] > m->terrain_up_m && s[2] <= m->terrain_up_m) {
            double f = (prev[2] - m->terrain_up_m) / (prev[2] - s[2]);
            xy[0] = prev[0] + f * (s[0] - prev[0]);
            xy[1] = prev[1] + f * (s[1] - prev[1]);
            *t_out = t + f * GROUND_STEP_S;
            return true;
        }
    }
    return false;
}

#define UT_N (2 * NPAR + 1)

/* Unscented transform (alpha 1, kappa 1: w0 = 1/8, wi = 1/16) of the ground crossing. */
static bool ut_crossing(const lo_ballistic_model *m, const lo_ballistic_fit *fit, int dir,
                        double mean[2], double cov[4], double *t_mean, double *t_sigma)
{
    double l[NPAR * NPAR];
    double c[NPAR * NPAR];
    memcpy(c, fit->cov, sizeof c);
    if (lo_chol(c, l, NPAR) != 0) {
        /* Not numerically SPD: keep the diagonal. */
        memset(l, 0, sizeof l);
        for (int i = 0; i < NPAR; i++) l[i * NPAR + i] = sqrt(fmax(0, fit->cov[i * NPAR + i]));
    }
    double scale = sqrt(NPAR + 1.0);
    double w0 = 1.0 / (NPAR + 1), wi = 0.5 / (NPAR + 1);
    double xy[UT_N][2], tt[UT_N];
    for (int p = 0; p < UT_N; p++) {
        double x[NPAR];
        memcpy(x, fit->state, sizeof x);
        if (p > 0) {
            int col = (p - 1) % NPAR;
            double sign = p <= NPAR ? 1 : -1;
            for (int r = 0; r < NPAR; r++) x[r] += sign * scale * l[r * NPAR + col];
        }
        if (!ground_crossing(m, x, dir, xy[p], &tt[p])) return false;
    }
    mean[0] = mean[1] = *t_mean = 0;
    for (int p = 0; p < UT_N; p++) {
        double wp = p ? wi : w0;
        mean[0] += wp * xy[p][0];
        mean[1] += wp * xy[p][1];
        *t_mean += wp * tt[p];
    }
    double vt = 0;
    memset(cov, 0, 4 * sizeof cov[0]);
    for (int p = 0; p < UT_N; p++) {
        double wp = p ? wi : w0;
        double dx = xy[p][0] - mean[0], dy = xy[p][1] - mean[1], dtt = tt[p] - *t_mean;
        cov[0] += wp * dx * dx;
        cov[1] += wp * dx * dy;
        cov[3] += wp * dy * dy;
        vt += wp * dtt * dtt;
    }
    cov[2] = cov[1];
    *t_sigma = sqrt(vt);
    return true;
}

bool lo_ballistic_fit_predict(const lo_ballistic_model *m, const lo_ballistic_fit *fit,
                              double t_now, lo_ballistic *out)
{
    memset(out, 0, sizeof *out);
    if (!fit->valid) return false;
    double since_ref = t_now - fit->t_ref;
    if (!ut_crossing(m, fit, +1, out->impact_enu, out->impact_cov, &out->time_to_impact_s,
                     &out->time_to_impact_sigma_s))
        return false;
    out->time_to_impact_s -= since_ref;
    double sig;
    if (ut_crossing(m, fit, -1, out->launch_enu, out->launch_cov, &out->time_since_launch_s,
                    &sig)) {
        out->time_since_launch_s += since_ref;
    } else {
        /* For reports only: its absence does not void the impact. */
        out->launch_enu[0] = out->launch_enu[1] = NAN;
        out->time_since_launch_s = NAN;
    }
    out->valid = true;
    out->fitted = true;
    out->n_plots = fit->n_meas;
    out->drag_k_per_m = fit->state[6];
    out->drag_k_sigma_per_m = sqrt(fmax(0, fit->cov[48]));
    return true;
}
