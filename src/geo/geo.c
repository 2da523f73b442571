/*
 * geo.c: WGS-84 geodesy, local ENU frames, radar polar coordinates and the
 * converted-measurement covariance (see lookout/geo.h for the contract).
 *
 * Everything is double precision. The formulas are chosen for numerical stability at the
 * scales a surveillance radar sees (metres to a few hundred kilometres from an antenna a few
 * metres to kilometres above the ellipsoid): small differences of large numbers (earth radius
 * minus earth radius) are rewritten so that they are never formed directly.
 */
#include "lookout/geo.h"

#include <math.h>

/* Derived ellipsoid constants. */
#define WGS84_B (LO_WGS84_A * (1.0 - LO_WGS84_F))           /* semi-minor axis */
#define WGS84_E2 (LO_WGS84_F * (2.0 - LO_WGS84_F))           /* first eccentricity squared */
#define WGS84_EP2 (WGS84_E2 / (1.0 - WGS84_E2))               /* second eccentricity squared */

/* Effective earth radius factor of the standard atmosphere. */
#define K_4_3 (4.0 / 3.0)

/* ---- small 3x3 helpers (row-major) --------------------------------------------------------- */

static void mat3_vec(const double m[9], const double v[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
}

static void mat3t_vec(const double m[9], const double v[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = m[i] * v[0] + m[3 + i] * v[1] + m[6 + i] * v[2];
}

/* out = a * b^T */
static void mat3_mul_bt(const double a[9], const double b[9], double out[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = a[3 * i] * b[3 * j] + a[3 * i + 1] * b[3 * j + 1] +
                             a[3 * i + 2] * b[3 * j + 2];
}

/* out = a * b */
static void mat3_mul(const double a[9], const double b[9], double out[9])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

/* ---- angles -------------------------------------------------------------------------------- */

double lo_wrap_2pi(double a)
{
    const double two_pi = 2.0 * LO_PI;
    double w = fmod(a, two_pi);
    if (w < 0)
        w += two_pi;
    /* -tiny + 2pi rounds to exactly 2pi, which is outside [0, 2pi). */
    if (w >= two_pi)
        w = 0.0;
    return w;
}

double lo_wrap_pi(double a)
{
    double w = lo_wrap_2pi(a);
    if (w > LO_PI)
        w -= 2.0 * LO_PI;
    return w;
}

/* ---- geodetic <-> ECEF ------------------------------------------------------------------- */

void lo_geodetic_to_ecef(const lo_geodetic *g, double ecef[3])
{
    double sl = sin(g->lat), cl = cos(g->lat);
    double n = LO_WGS84_A / sqrt(1.0 - WGS84_E2 * sl * sl); /* prime vertical radius */
    ecef[0] = (n + g->h) * cl * cos(g->lon);
    ecef[1] = (n + g->h) * cl * sin(g->lon);
    ecef[2] = (n * (1.0 - WGS84_E2) + g->h) * sl;
}

/*
 * Bowring's method, iterated. One step from Bowring's parametric-latitude start is already
 * accurate to ~1e-10 rad near the surface; three steps make it exact to double precision for
 * any point from the earth's centre region out beyond geostationary orbit. The height formula
 * h = p cos(lat) + z sin(lat) - a sqrt(1 - e2 sin^2 lat) has no division by cos(lat), so it
 * stays exact at the poles.
 */
void lo_ecef_to_geodetic(const double ecef[3], lo_geodetic *g)
{
    const double a = LO_WGS84_A, b = WGS84_B;
    double x = ecef[0], y = ecef[1], z = ecef[2];
    double p = hypot(x, y);

    g->lon = (p > 0) ? atan2(y, x) : 0.0;
    if (p == 0 && z == 0) { /* the earth's centre: any latitude; say the equator */
        g->lat = 0;
        g->h = -a;
        return;
    }

    double beta = atan2(a * z, b * p); /* parametric latitude, first guess */
    double lat = 0;
    for (int i = 0; i < 3; i++) {
        double sb = sin(beta), cb = cos(beta);
        lat = atan2(z + WGS84_EP2 * b * sb * sb * sb, p - WGS84_E2 * a * cb * cb * cb);
        beta = atan2((1.0 - LO_WGS84_F) * sin(lat), cos(lat));
    }
    double sl = sin(lat), cl = cos(lat);
    g->lat = lat;
    g->h = p * cl + z * sl - a * sqrt(1.0 - WGS84_E2 * sl * sl);
}

/* ---- ENU frames ------------------------------------------------------------------------- */

void lo_enu_frame_init(lo_enu_frame *f, const lo_geodetic *origin)
{
    f->origin = *origin;
    lo_geodetic_to_ecef(origin, f->origin_ecef);
    double sl = sin(origin->lat), cl = cos(origin->lat);
    double so = sin(origin->lon), co = cos(origin->lon);
    /* Rows: east, north, up unit vectors expressed in ECEF. */
    f->rot[0] = -so;      f->rot[1] = co;       f->rot[2] = 0.0;
    f->rot[3] = -sl * co; f->rot[4] = -sl * so; f->rot[5] = cl;
    f->rot[6] = cl * co;  f->rot[7] = cl * so;  f->rot[8] = sl;

    /* Gaussian mean radius sqrt(M N): the radius of the sphere that best osculates the
     * ellipsoid at the origin in all directions. */
    double w2 = 1.0 - WGS84_E2 * sl * sl;
    double n = LO_WGS84_A / sqrt(w2);
    double m = LO_WGS84_A * (1.0 - WGS84_E2) / (w2 * sqrt(w2));
    f->earth_radius_m = sqrt(m * n);
}

void lo_ecef_to_enu(const lo_enu_frame *f, const double ecef[3], double enu[3])
{
    double d[3] = {ecef[0] - f->origin_ecef[0], ecef[1] - f->origin_ecef[1],
                   ecef[2] - f->origin_ecef[2]};
    mat3_vec(f->rot, d, enu);
}

void lo_enu_to_ecef(const lo_enu_frame *f, const double enu[3], double ecef[3])
{
    double d[3];
    mat3t_vec(f->rot, enu, d);
    for (int i = 0; i < 3; i++)
        ecef[i] = f->origin_ecef[i] + d[i];
}

void lo_geodetic_to_enu(const lo_enu_frame *f, const lo_geodetic *g, double enu[3])
{
    double ecef[3];
    lo_geodetic_to_ecef(g, ecef);
    lo_ecef_to_enu(f, ecef, enu);
}

void lo_enu_to_geodetic(const lo_enu_frame *f, const double enu[3], lo_geodetic *g)
{
    double ecef[3];
    lo_enu_to_ecef(f, enu, ecef);
    lo_ecef_to_geodetic(ecef, g);
}

void lo_enu_rotate_vector(const lo_enu_frame *from, const lo_enu_frame *to, const double v[3],
                          double out[3])
{
    double e[3];
    mat3t_vec(from->rot, v, e); /* to ECEF axes */
    mat3_vec(to->rot, e, out);
}

/* ---- polar <-> ENU ---------------------------------------------------------------------- */

/*
 * The effective-earth model. The antenna sits on a sphere of radius R (the frame's
 * earth_radius_m). Refraction is modelled by replacing R with kR and letting the ray travel
 * straight over that larger sphere. The textbook results on the effective sphere are
 *     height above the antenna's level   h  = sqrt(r^2 + (kR)^2 + 2 r kR sin el) - kR
 *     central angle                      ge = atan2(r cos el, kR + r sin el)
 * The arc length along the ground, kR ge, is what carries over to the true sphere, so the
 * target lies at central angle g = k ge and height h above the true sphere. With k = 1 this is
 * exactly spherical geometry, i.e. the straight-ray model.
 *
 * Cancellation-free forms: h = (r^2 + 2 r kR sin el) / (sqrt(...) + kR) and
 * (R + h) cos g - R = h cos g - 2 R sin^2(g / 2).
 */
static void curved_polar_to_enu(double k, double radius, double r, double az, double el,
                                double enu[3])
{
    double kr = k * radius;
    double se = sin(el), ce = cos(el);
    double num = r * r + 2.0 * r * kr * se;
    double h = num / (sqrt(r * r + kr * kr + 2.0 * r * kr * se) + kr);
    double ge = atan2(r * ce, kr + r * se);
    double g = k * ge;
    double sh = sin(0.5 * g);
    double horizontal = (radius + h) * sin(g);
    enu[0] = horizontal * sin(az);
    enu[1] = horizontal * cos(az);
    enu[2] = h * cos(g) - 2.0 * radius * sh * sh;
}

static void curved_enu_to_polar(double k, double radius, const double enu[3], double *range_m,
                                double *azimuth_rad, double *elevation_rad)
{
    double d = hypot(enu[0], enu[1]);
    double u = enu[2];
    double g = atan2(d, radius + u);
    double rho = hypot(d, radius + u);
    double h = (d * d + u * u + 2.0 * radius * u) / (rho + radius);
    double ge = g / k;
    double kr = k * radius;
    double sh = sin(0.5 * ge);
    double x = (kr + h) * sin(ge);
    double z = h * cos(ge) - 2.0 * kr * sh * sh;
    *range_m = hypot(x, z);
    *azimuth_rad = (d > 0) ? lo_wrap_2pi(atan2(enu[0], enu[1])) : 0.0;
    *elevation_rad = atan2(z, x);
}

void lo_polar_to_sensor_enu(const lo_enu_frame *sensor, lo_propagation prop, double range_m,
                            double azimuth_rad, double elevation_rad, double enu[3])
{
    if (prop == LO_PROP_4_3_EARTH) {
        curved_polar_to_enu(K_4_3, sensor->earth_radius_m, range_m, azimuth_rad, elevation_rad,
                            enu);
        return;
    }
    double ce = cos(elevation_rad);
    enu[0] = range_m * ce * sin(azimuth_rad);
    enu[1] = range_m * ce * cos(azimuth_rad);
    enu[2] = range_m * sin(elevation_rad);
}

void lo_sensor_enu_to_polar(const lo_enu_frame *sensor, lo_propagation prop, const double enu[3],
                            double *range_m, double *azimuth_rad, double *elevation_rad)
{
    if (prop == LO_PROP_4_3_EARTH) {
        curved_enu_to_polar(K_4_3, sensor->earth_radius_m, enu, range_m, azimuth_rad,
                            elevation_rad);
        return;
    }
    double d = hypot(enu[0], enu[1]);
    *range_m = hypot(d, enu[2]);
    *azimuth_rad = (d > 0) ? lo_wrap_2pi(atan2(enu[0], enu[1])) : 0.0;
    *elevation_rad = atan2(enu[2], d);
}

/* A point in `from`'s ENU frame -> the same point in `to`'s ENU frame. Going through the
 * difference of the two origins keeps the large ECEF coordinates out of the sum. */
void lo_enu_transform_point(const lo_enu_frame *from, const lo_enu_frame *to, const double in[3],
                            double out[3])
{
    double rel_ecef[3], offset[3];
    mat3t_vec(from->rot, in, rel_ecef);
    for (int i = 0; i < 3; i++)
        offset[i] = from->origin_ecef[i] - to->origin_ecef[i] + rel_ecef[i];
    mat3_vec(to->rot, offset, out);
}

void lo_polar_to_system_enu(const lo_enu_frame *sys, const lo_enu_frame *sensor, lo_propagation prop,
                            double range_m, double azimuth_rad, double elevation_rad, double enu[3])
{
    double local[3];
    lo_polar_to_sensor_enu(sensor, prop, range_m, azimuth_rad, elevation_rad, local);
    lo_enu_transform_point(sensor, sys, local, enu);
}

void lo_system_enu_to_polar(const lo_enu_frame *sys, const lo_enu_frame *sensor, lo_propagation prop,
                            const double enu[3], double *range_m, double *azimuth_rad,
                            double *elevation_rad)
{
    double local[3];
    lo_enu_transform_point(sys, sensor, enu, local);
    lo_sensor_enu_to_polar(sensor, prop, local, range_m, azimuth_rad, elevation_rad);
}

/* ---- converted-measurement covariance --------------------------------------------------- */

/*
 * First order: C_sensor = J diag(sr^2, sa^2, se^2) J^T with J the Jacobian of the spherical
 * polar -> ENU map at the measurement; then C_sys = M C_sensor M^T with M = R_sys R_sensor^T,
 * the rotation from the sensor's ENU axes to the system's. Refraction changes the position by
 * metres at tens of kilometres but the Jacobian by parts in 10^4, so the straight-ray Jacobian
 * serves both propagation models.
 */
void lo_polar_covariance(const lo_enu_frame *sys, const lo_enu_frame *sensor, double range_m,
                         double azimuth_rad, double elevation_rad, double sigma_range_m,
                         double sigma_azimuth_rad, double sigma_elevation_rad, double cov[9])
{
    double sa = sin(azimuth_rad), ca = cos(azimuth_rad);
    double se = sin(elevation_rad), ce = cos(elevation_rad);
    double r = range_m;
    double jac[9] = {
        ce * sa, r * ce * ca,  -r * se * sa,
        ce * ca, -r * ce * sa, -r * se * ca,
        se,      0.0,          r * ce,
    };
    double var[3] = {sigma_range_m * sigma_range_m, sigma_azimuth_rad * sigma_azimuth_rad,
                     sigma_elevation_rad * sigma_elevation_rad};
    /* J D: scale the columns. */
    double jd[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            jd[3 * i + j] = jac[3 * i + j] * var[j];
    double local[9];
    mat3_mul_bt(jd, jac, local);

    double m[9];
    mat3_mul_bt(sys->rot, sensor->rot, m); /* R_sys R_sensor^T */
    double mc[9];
    mat3_mul(m, local, mc);
    mat3_mul_bt(mc, m, cov);
    /* Exactly symmetric, whatever the rounding. */
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double s = 0.5 * (cov[3 * i + j] + cov[3 * j + i]);
            cov[3 * i + j] = cov[3 * j + i] = s;
        }
}

void lo_polar_to_sensor_enu_k(const lo_enu_frame *sensor, double k, double range_m,
                              double azimuth_rad, double elevation_rad, double enu[3])
{
    curved_polar_to_enu(k, sensor->earth_radius_m, range_m, azimuth_rad, elevation_rad, enu);
}

void lo_sensor_enu_to_polar_k(const lo_enu_frame *sensor, double k, const double enu[3],
                              double *range_m, double *azimuth_rad, double *elevation_rad)
{
    curved_enu_to_polar(k, sensor->earth_radius_m, enu, range_m, azimuth_rad, elevation_rad);
}
