/*
 * ingest.c: a raw plot -> a plot in the system ENU frame with its covariance (see
 * lookout/ingest.h for the contract).
 */
#include "lookout/ingest.h"

#include <math.h>
#include <string.h>

#include "lookout/geo.h"

/* Below this cosine of the elevation a 2D plot's height is nearly its range (target almost
 * overhead): the horizontal derivatives are capped there instead of growing without bound. */
#define MIN_COS_EL_2D 0.05

/* cov_sys = M cov_local M^T with M = R_sys R_sensor^T: the sensor's ENU axes -> the system's. */
static void rotate_cov(const lo_enu_frame *sys, const lo_enu_frame *sensor, const double local[9],
                       double out[9])
{
    double m[9], mc[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m[3 * i + j] = sys->rot[3 * i] * sensor->rot[3 * j] +
                           sys->rot[3 * i + 1] * sensor->rot[3 * j + 1] +
                           sys->rot[3 * i + 2] * sensor->rot[3 * j + 2];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            mc[3 * i + j] = m[3 * i] * local[j] + m[3 * i + 1] * local[3 + j] +
                            m[3 * i + 2] * local[6 + j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = mc[3 * i] * m[3 * j] + mc[3 * i + 1] * m[3 * j + 1] +
                             mc[3 * i + 2] * m[3 * j + 2];
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            out[3 * i + j] = out[3 * j + i] = 0.5 * (out[3 * i + j] + out[3 * j + i]);
}

static bool all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* The plot's sigma when it carries one (non-zero), else the sensor's. */
static double pick_sigma(const lo_plot *p, double plot_sigma, double sensor_sigma)
{
    return (p->flags & LO_PLOT_SIGMAS) && plot_sigma > 0 ? plot_sigma : sensor_sigma;
}

static const char *check_plot(const lo_site *site, const lo_plot *p, const lo_sensor **sensor,
                              int *index)
{
    *index = lo_site_sensor_index(site, p->sensor_id);
    if (*index < 0)
        return "unknown sensor id (not in the site configuration)";
    *sensor = &site->sensors[*index];
    if (!isfinite(p->t))
        return "time is not a finite number";
    if (fabs(p->t) > LO_MAX_ABS_TIME_S)
        return "time is beyond the years 1653..2286 (milliseconds instead of seconds?)";
    if (!(p->flags & (LO_PLOT_POLAR | LO_PLOT_CARTESIAN)))
        return "no position: neither polar nor Cartesian";
    if (p->flags & LO_PLOT_POLAR) {
        if (!isfinite(p->range_m) || !isfinite(p->azimuth_rad))
            return "range or azimuth is not a finite number";
        if (p->range_m < 0)
            return "negative range";
        if (p->range_m > 2.0 * (*sensor)->max_range_m)
            return "range beyond twice the sensor's max_range_m (wrong sensor or unit?)";
        if (p->flags & LO_PLOT_ELEVATION) {
            if (!isfinite(p->elevation_rad))
                return "elevation is not a finite number";
            if (fabs(p->elevation_rad) > 0.5 * LO_PI)
                return "elevation outside [-90, 90] degrees";
        }
    } else {
        if (!all_finite(p->enu, 3))
            return "Cartesian position is not finite";
        /* The same plausibility bound as a polar plot's range: a position in kilometres or
         * feet, or in another frame, lands far outside the radar's reach (and a huge one
         * would overflow the tracker's spatial grid). */
        double d2 = 0;
        for (int i = 0; i < 3; i++)
            d2 += (p->enu[i] - (*sensor)->enu[i]) * (p->enu[i] - (*sensor)->enu[i]);
        if (sqrt(d2) > 2.0 * (*sensor)->max_range_m)
            return "Cartesian position beyond twice the sensor's max_range_m from the sensor "
                   "(wrong sensor, frame or unit?)";
    }
    if ((p->flags & LO_PLOT_COVARIANCE) && !(p->flags & LO_PLOT_POLAR)) {
        if (!all_finite(p->enu_cov, 9))
            return "covariance is not finite";
        if (p->enu_cov[0] < 0 || p->enu_cov[4] < 0 || p->enu_cov[8] < 0)
            return "covariance has a negative variance";
    }
    if ((p->flags & LO_PLOT_RADIAL_VEL) && !isfinite(p->radial_velocity_mps))
        return "radial velocity is not a finite number";
    /* The classifier averages the width: one absurd value would outweigh a minute of plots. */
    if ((p->flags & LO_PLOT_DOPPLER_SPREAD) &&
        !(p->doppler_spread_mps >= 0 && p->doppler_spread_mps <= LO_INGEST_MAX_DOPPLER_SPREAD_MPS))
        return "Doppler spread is not a number in [0, 1000] m/s";
    if ((p->flags & LO_PLOT_FLIGHT_LVL) && !isfinite(p->baro_altitude_m))
        return "flight level is not a finite number";
    if ((p->flags & LO_PLOT_SNR) && !isfinite(p->snr_db))
        return "SNR is not a finite number";
    if (p->flags & LO_PLOT_SIGMAS) {
        double s[4] = {p->sigma_range_m, p->sigma_azimuth_rad, p->sigma_elevation_rad,
                       p->sigma_radial_velocity_mps};
        if (!all_finite(s, 4))
            return "a per-plot sigma is not finite";
        for (int i = 0; i < 4; i++)
            if (s[i] < 0)
                return "a per-plot sigma is negative";
    }
    return NULL;
}

/*
 * A 2D plot: slant range and azimuth, height from elsewhere. On the model's sphere (radius
 * kR, k = 1 straight, 4/3 refracted) a target h above the antenna's level at slant range r is
 * seen at sin(el) = (h^2 + 2 kR h - r^2) / (2 r kR): the textbook height formula solved for
 * the elevation.
 */
static void convert_2d(const lo_site *site, const lo_sensor *s, const lo_enu_frame *sf,
                       lo_plot *p, double r, double az, double default_height_m)
{
    double target_h, sigma_up;
    if (p->flags & LO_PLOT_FLIGHT_LVL) {
        target_h = p->baro_altitude_m;
        sigma_up = LO_INGEST_BARO_SIGMA_UP_M;
    } else {
        target_h = site->reference.h + default_height_m;
        sigma_up = LO_INGEST_2D_SIGMA_UP_M;
    }
    double h = target_h - s->height_m;
    double k = site->propagation == LO_PROP_4_3_EARTH ? 4.0 / 3.0 : 1.0;
    double kr = k * sf->earth_radius_m;
    double sin_el = r > 0 ? (h * h + 2.0 * kr * h - r * r) / (2.0 * r * kr) : 0.0;
    if (sin_el > 1.0) sin_el = 1.0; /* the height is more than the range: straight up */
    if (sin_el < -1.0) sin_el = -1.0;
    double el = asin(sin_el);
    lo_polar_to_system_enu(&site->frame, sf, site->propagation, r, az, el, p->enu);

    /* Covariance with the height held as the third measured quantity: range error moves the
     * point horizontally only (by 1/cos el), height error moves it up and, at fixed slant
     * range, inward by tan el. */
    double sr = pick_sigma(p, p->sigma_range_m, s->sigma_range_m);
    double sa = pick_sigma(p, p->sigma_azimuth_rad, s->sigma_azimuth_rad);
    double ce = cos(el);
    if (ce < MIN_COS_EL_2D)
        ce = MIN_COS_EL_2D;
    double te = sin_el / ce;
    double g = r * ce;
    double saz = sin(az), caz = cos(az);
    double jac[9] = {
        saz / ce, g * caz,  -te * saz,
        caz / ce, -g * saz, -te * caz,
        0.0,      0.0,      1.0,
    };
    double var[3] = {sr * sr, sa * sa, sigma_up * sigma_up};
    double local[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            local[3 * i + j] = jac[3 * i] * var[0] * jac[3 * j] +
                               jac[3 * i + 1] * var[1] * jac[3 * j + 1] +
                               jac[3 * i + 2] * var[2] * jac[3 * j + 2];
    /* The height spread is large (hundreds of metres), so the first-order term above misses
     * most of what it does to the ground range: g = sqrt(r^2 - h^2) shrinks by dh^2 / 2g
     * whichever way h is wrong. About the plot's (nominal) position that is a mean square of
     * variance sigma^4 / 2g^2 plus bias^2 sigma^4 / 4g^2 along the line of sight.
     * Capped at r^2: the target is somewhere between the antenna and r. */
    double extra = 0.75 * sigma_up * sigma_up * sigma_up * sigma_up / (g * g);
    if (extra > r * r)
        extra = r * r;
    double radial[3] = {saz, caz, 0.0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            local[3 * i + j] += extra * radial[i] * radial[j];
    rotate_cov(&site->frame, sf, local, p->enu_cov);
}

int lo_ingest_plot(const lo_site *site, lo_plot *p, double default_height_m, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    const lo_sensor *s = NULL;
    int index = -1;
    const char *problem = check_plot(site, p, &s, &index);
    if (problem) {
        *why = problem;
        return -1;
    }
    const lo_enu_frame *sf = &site->sensor_frames[index];

    if (p->flags & LO_PLOT_POLAR) {
        /* Configured biases are known: remove them. */
        double r = p->range_m - s->bias_range_m;
        if (r < 0)
            r = 0;
        double az = lo_wrap_2pi(p->azimuth_rad - s->bias_azimuth_rad);
        if (p->flags & LO_PLOT_ELEVATION) {
            double el = p->elevation_rad;
            lo_polar_to_system_enu(&site->frame, sf, site->propagation, r, az, el, p->enu);
            lo_polar_covariance(&site->frame, sf, r, az, el,
                                pick_sigma(p, p->sigma_range_m, s->sigma_range_m),
                                pick_sigma(p, p->sigma_azimuth_rad, s->sigma_azimuth_rad),
                                pick_sigma(p, p->sigma_elevation_rad, s->sigma_elevation_rad),
                                p->enu_cov);
        } else {
            convert_2d(site, s, sf, p, r, az, default_height_m);
        }
    } else if (!(p->flags & LO_PLOT_COVARIANCE)) {
        /* Cartesian without a covariance: the sensor's polar accuracy where the plot is. A
         * plot at the antenna itself would give a degenerate covariance: 10 m floor. */
        double r, az, el;
        lo_system_enu_to_polar(&site->frame, sf, site->propagation, p->enu, &r, &az, &el);
        if (r < 10.0)
            r = 10.0;
        lo_polar_covariance(&site->frame, sf, r, az, el,
                            pick_sigma(p, p->sigma_range_m, s->sigma_range_m),
                            pick_sigma(p, p->sigma_azimuth_rad, s->sigma_azimuth_rad),
                            pick_sigma(p, p->sigma_elevation_rad, s->sigma_elevation_rad),
                            p->enu_cov);
    }
    if (!all_finite(p->enu, 3) || !all_finite(p->enu_cov, 9)) {
        *why = "conversion gave a non-finite position or covariance";
        return -1;
    }
    p->flags |= LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    return 0;
}
