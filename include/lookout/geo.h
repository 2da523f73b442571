/*
 * lookout/geo.h: geodesy and coordinate frames.
 *
 * Owns the conversions between WGS-84 geodetic coordinates, ECEF, the local east/north/up
 * (ENU) tangent frame around the system reference point, and a radar's polar measurements
 * (range, azimuth, elevation) from its own antenna. Also the converted-measurement covariance
 * that turns a polar plot's accuracy into a Cartesian covariance.
 *
 * Units: metres, radians. Latitude/longitude geodetic WGS-84; heights above the ellipsoid.
 * Azimuth clockwise from true north at the antenna, elevation above the antenna's local
 * horizontal (the ellipsoid normal). No time here.
 *
 * Propagation models for polar <-> ENU:
 *   LO_PROP_STRAIGHT  straight ray: the geometry is exact (earth curvature is in the ENU <->
 *                     ECEF step); elevation is the true elevation of the line of sight.
 *   LO_PROP_4_3_EARTH standard atmospheric refraction by the effective-earth-radius model
 *                     (k = 4/3): measured elevation is the apparent one, the ray bends down.
 */
#ifndef LOOKOUT_GEO_H
#define LOOKOUT_GEO_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LO_WGS84_A 6378137.0                 /* semi-major axis, m */
#define LO_WGS84_F (1.0 / 298.257223563)     /* flattening */
#define LO_PI 3.14159265358979323846
#define LO_DEG2RAD (LO_PI / 180.0)
#define LO_RAD2DEG (180.0 / LO_PI)
#define LO_FT2M 0.3048
#define LO_KT2MPS (1852.0 / 3600.0)
#define LO_NM2M 1852.0
#define LO_G0 9.80665                        /* standard gravity, m/s^2 */

typedef struct lo_geodetic {
    double lat;   /* radians */
    double lon;   /* radians */
    double h;     /* metres above the ellipsoid */
} lo_geodetic;

/* A local tangent frame: ENU axes at an origin. Build once with lo_enu_frame_init. */
typedef struct lo_enu_frame {
    lo_geodetic origin;
    double origin_ecef[3];
    double rot[9];          /* ECEF -> ENU rotation, row-major; ENU -> ECEF is its transpose */
    double earth_radius_m;  /* Gaussian mean radius of curvature at the origin */
} lo_enu_frame;

typedef enum lo_propagation { LO_PROP_STRAIGHT = 0, LO_PROP_4_3_EARTH } lo_propagation;

void lo_geodetic_to_ecef(const lo_geodetic *g, double ecef[3]);
void lo_ecef_to_geodetic(const double ecef[3], lo_geodetic *g);   /* exact to < 1 mm */

void lo_enu_frame_init(lo_enu_frame *f, const lo_geodetic *origin);
void lo_ecef_to_enu(const lo_enu_frame *f, const double ecef[3], double enu[3]);
void lo_enu_to_ecef(const lo_enu_frame *f, const double enu[3], double ecef[3]);
void lo_geodetic_to_enu(const lo_enu_frame *f, const lo_geodetic *g, double enu[3]);
void lo_enu_to_geodetic(const lo_enu_frame *f, const double enu[3], lo_geodetic *g);

/* Polar measurement from a sensor whose local frame is `sensor` -> position in `sensor`'s own
 * ENU frame, and back. With LO_PROP_STRAIGHT these are plain spherical coordinates. */
void lo_polar_to_sensor_enu(const lo_enu_frame *sensor, lo_propagation prop, double range_m,
                            double azimuth_rad, double elevation_rad, double enu[3]);
void lo_sensor_enu_to_polar(const lo_enu_frame *sensor, lo_propagation prop, const double enu[3],
                            double *range_m, double *azimuth_rad, double *elevation_rad);

/* The same with an explicit effective-earth-radius factor k (the ray travels straight over
 * a sphere of radius k * sensor->earth_radius_m; the ground arc carries over to the true
 * sphere). k = 1 is plain spherical geometry (= LO_PROP_STRAIGHT up to rounding), k = 4/3 is
 * LO_PROP_4_3_EARTH. */
void lo_polar_to_sensor_enu_k(const lo_enu_frame *sensor, double k, double range_m,
                              double azimuth_rad, double elevation_rad, double enu[3]);
void lo_sensor_enu_to_polar_k(const lo_enu_frame *sensor, double k, const double enu[3],
                              double *range_m, double *azimuth_rad, double *elevation_rad);

/* Polar measurement from `sensor` -> position in the system frame `sys`, and back. */
void lo_polar_to_system_enu(const lo_enu_frame *sys, const lo_enu_frame *sensor, lo_propagation prop,
                            double range_m, double azimuth_rad, double elevation_rad, double enu[3]);
void lo_system_enu_to_polar(const lo_enu_frame *sys, const lo_enu_frame *sensor, lo_propagation prop,
                            const double enu[3], double *range_m, double *azimuth_rad,
                            double *elevation_rad);

/* Converted-measurement covariance: the 3x3 covariance (row-major, m^2) in the system frame of
 * a polar measurement with the given 1-sigma errors, by first-order propagation through the
 * polar -> ENU Jacobian, rotated from the sensor's frame into the system frame. `sigma_el` of
 * a 2D plot is the spread of possible elevations (e.g. the beam's vertical coverage).
 * First order holds while r * sigma_el^2 and r * sigma_az^2 stay well below sigma_range (a
 * few degrees at tens of km breaks it: ingest.c treats 2D plots separately). The straight-ray
 * Jacobian serves both propagation models (refraction changes it by parts in 10^4). */
void lo_polar_covariance(const lo_enu_frame *sys, const lo_enu_frame *sensor, double range_m,
                         double azimuth_rad, double elevation_rad, double sigma_range_m,
                         double sigma_azimuth_rad, double sigma_elevation_rad, double cov[9]);

/* A point (not a vector) given in `from`'s ENU frame -> the same point in `to`'s. */
void lo_enu_transform_point(const lo_enu_frame *from, const lo_enu_frame *to, const double in[3],
                            double out[3]);

/* Rotate a vector (not a point) from `from`'s ENU axes to `to`'s ENU axes. */
void lo_enu_rotate_vector(const lo_enu_frame *from, const lo_enu_frame *to, const double v[3],
                          double out[3]);

/* Wrap an angle into [0, 2pi) and into (-pi, pi]. */
double lo_wrap_2pi(double a);
double lo_wrap_pi(double a);

#ifdef __cplusplus
}
#endif
#endif
