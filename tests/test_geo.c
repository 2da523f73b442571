/* Geodesy and frames: reference values, round trips below 1 mm out to 50 km, the 4/3-earth
 * model against the textbook height formula, and the converted covariance against Monte Carlo. */
#include <math.h>
#include <string.h>

#include "lookout/geo.h"
#include "testutil.h"

#define MM 1e-3

/* Deterministic random numbers (xorshift64*), independent of libc. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static double uniform(double lo, double hi) { return lo + (hi - lo) * urand(); }
static double gauss(void)
{
    double u1 = urand(), u2 = urand();
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * LO_PI * u2);
}

static lo_geodetic geo_deg(double lat_deg, double lon_deg, double h)
{
    lo_geodetic g = {lat_deg * LO_DEG2RAD, lon_deg * LO_DEG2RAD, h};
    return g;
}

static double dist3(const double a[3], const double b[3])
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                (a[2] - b[2]) * (a[2] - b[2]));
}

/* Reference ECEF coordinates computed independently with mpmath at 40 significant digits from
 * the closed-form WGS-84 formula (a = 6378137, 1/f = 298.257223563). */
static void test_ecef_reference_values(void **state)
{
    (void)state;
    static const struct { double lat, lon, h, x, y, z; } ref[] = {
        {33.2985, 44.3950, 45, 3813044.5766927711, 3733357.3312422439, 3481701.0906734429},
        {-33.8688, 151.2093, 58, -4646093.4772883025, 2553229.5358170715, -3534404.7109103692},
        {51.4778, -0.0015, 47, 3980610.4827331466, -104.21213876845007, 4966861.293238086},
        {89.9999, -120, 1000, -5.5855716425794792, -9.6744938742636074, 6357752.3142354308},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        lo_geodetic g = geo_deg(ref[i].lat, ref[i].lon, ref[i].h);
        double e[3];
        lo_geodetic_to_ecef(&g, e);
        assert_near(e[0], ref[i].x, 1e-6);
        assert_near(e[1], ref[i].y, 1e-6);
        assert_near(e[2], ref[i].z, 1e-6);
        lo_geodetic back;
        lo_ecef_to_geodetic(e, &back);
        assert_near(back.lat, g.lat, 1e-12);
        assert_near(back.lon, g.lon, 1e-12);
        assert_near(back.h, g.h, 1e-6);
    }
}

/* Cases a reader can check by hand: the equator, the poles, the centre-line axes. */
static void test_ecef_equator_and_poles(void **state)
{
    (void)state;
    const double a = LO_WGS84_A, b = LO_WGS84_A * (1 - LO_WGS84_F);
    double e[3];
    lo_geodetic g = geo_deg(0, 0, 0);
    lo_geodetic_to_ecef(&g, e);
    assert_near(e[0], a, 1e-9);
    assert_near(e[1], 0, 1e-9);
    assert_near(e[2], 0, 1e-9);

    g = geo_deg(0, 90, 100);
    lo_geodetic_to_ecef(&g, e);
    assert_near(e[0], 0, 1e-6);
    assert_near(e[1], a + 100, 1e-6);

    g = geo_deg(90, 0, 0);
    lo_geodetic_to_ecef(&g, e);
    assert_near(e[2], b, 1e-6);
    assert_near(b, 6356752.314245, 1e-6); /* the published WGS-84 semi-minor axis */

    /* Back from the poles: p = 0 exactly. */
    double north[3] = {0, 0, b + 250};
    lo_geodetic back;
    lo_ecef_to_geodetic(north, &back);
    assert_near(back.lat, LO_PI / 2, 1e-15);
    assert_near(back.h, 250, 1e-6);
    double south[3] = {0, 0, -(b - 30)};
    lo_ecef_to_geodetic(south, &back);
    assert_near(back.lat, -LO_PI / 2, 1e-15);
    assert_near(back.h, -30, 1e-6);

    /* The centre of the earth does not crash or give NaN. */
    double centre[3] = {0, 0, 0};
    lo_ecef_to_geodetic(centre, &back);
    assert_true(isfinite(back.lat) && isfinite(back.h));
    assert_near(back.h, -a, 1e-6);

    /* The equator, below and above the surface. */
    double eq[3] = {0, -(a - 500), 0};
    lo_ecef_to_geodetic(eq, &back);
    assert_near(back.lat, 0, 1e-15);
    assert_near(back.lon, -LO_PI / 2, 1e-15);
    assert_near(back.h, -500, 1e-6);
}

static void test_geodetic_ecef_round_trip(void **state)
{
    (void)state;
    double worst = 0;
    for (int i = 0; i < 200000; i++) {
        lo_geodetic g = {uniform(-LO_PI / 2, LO_PI / 2), uniform(-LO_PI, LO_PI),
                         uniform(-1000, 100000)};
        if (i % 10 == 0) /* also near the poles */
            g.lat = (i % 20 ? 1 : -1) * (LO_PI / 2 - uniform(0, 1e-4));
        double e[3], e2[3];
        lo_geodetic_to_ecef(&g, e);
        lo_geodetic back;
        lo_ecef_to_geodetic(e, &back);
        lo_geodetic_to_ecef(&back, e2);
        double d = dist3(e, e2);
        if (d > worst)
            worst = d;
        assert_near(back.h, g.h, 1e-4);
        assert_near(back.lat * LO_WGS84_A, g.lat * LO_WGS84_A, 1e-4);
    }
    assert_true(worst < 1e-4);
}

/* A point 1 km north along the meridian: ENU (0, 1000, -1000^2/(2M)) to well below 1 mm,
 * with M the meridian radius of curvature. */
static void test_enu_one_km_north(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    double e2 = LO_WGS84_F * (2 - LO_WGS84_F), s = sin(o.lat);
    double m = LO_WGS84_A * (1 - e2) / pow(1 - e2 * s * s, 1.5);
    lo_geodetic p = o;
    p.lat += 1000.0 / m;
    double enu[3];
    lo_geodetic_to_enu(&f, &p, enu);
    /* At height h the arc is (M + h) / M longer, and M grows northward (dM/dlat) by
     * 3 M e2 sin cos / (1 - e2 sin^2): half of that times dlat^2 adds 0.7 mm. */
    double dlat = 1000.0 / m;
    double dm = 3 * m * e2 * s * cos(o.lat) / (1 - e2 * s * s);
    assert_near(enu[0], 0, 1e-9);
    assert_near(enu[1], 1000.0 * (m + o.h) / m + 0.5 * dm * dlat * dlat, 0.05 * MM);
    assert_near(enu[2], -(m + o.h) * dlat * dlat / 2, 0.05 * MM);

    /* Same height, east by a small longitude step: points east and drops below the plane. */
    p = o;
    p.lon += 1e-4;
    lo_geodetic_to_enu(&f, &p, enu);
    assert_true(enu[0] > 0);
    assert_true(enu[2] < 0);
    /* A parallel curves north of the east axis by d^2 tan(lat) / 2N (15 mm at 534 m). */
    double nrad = LO_WGS84_A / sqrt(1 - e2 * s * s), d = nrad * cos(o.lat) * 1e-4;
    assert_near(enu[1], d * d * tan(o.lat) / (2 * nrad), 0.1 * MM);

    /* The origin maps to zero and the frame's rows are orthonormal. */
    lo_geodetic_to_enu(&f, &o, enu);
    assert_near(dist3(enu, (double[3]){0, 0, 0}), 0, 1e-9);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = 0;
            for (int k = 0; k < 3; k++)
                dot += f.rot[3 * i + k] * f.rot[3 * j + k];
            assert_near(dot, i == j ? 1.0 : 0.0, 1e-15);
        }
    /* Gaussian mean radius lies between the meridian and prime-vertical radii. */
    assert_true(f.earth_radius_m > m && f.earth_radius_m < nrad);
}

static void test_enu_geodetic_round_trip(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    for (int i = 0; i < 100000; i++) {
        double enu[3] = {uniform(-50000, 50000), uniform(-50000, 50000), uniform(-200, 15000)};
        lo_geodetic g;
        lo_enu_to_geodetic(&f, enu, &g);
        double back[3];
        lo_geodetic_to_enu(&f, &g, back);
        assert_true(dist3(enu, back) < MM);
    }
}

static void check_polar_round_trip(lo_propagation prop)
{
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    for (int i = 0; i < 100000; i++) {
        double r = uniform(10, 50000), az = uniform(0, 2 * LO_PI),
               el = uniform(-2, 85) * LO_DEG2RAD;
        double enu[3];
        lo_polar_to_sensor_enu(&f, prop, r, az, el, enu);
        double r2, az2, el2;
        lo_sensor_enu_to_polar(&f, prop, enu, &r2, &az2, &el2);
        assert_near(r2, r, MM);
        assert_true(fabs(lo_wrap_pi(az2 - az)) * r < MM);
        assert_true(fabs(el2 - el) * r < MM);
        assert_true(az2 >= 0 && az2 < 2 * LO_PI);
        /* And ENU -> polar -> ENU. */
        double enu2[3];
        lo_polar_to_sensor_enu(&f, prop, r2, az2, el2, enu2);
        assert_true(dist3(enu, enu2) < MM);
    }
}

static void test_polar_round_trip_straight(void **state)
{
    (void)state;
    check_polar_round_trip(LO_PROP_STRAIGHT);
}

static void test_polar_round_trip_4_3_earth(void **state)
{
    (void)state;
    check_polar_round_trip(LO_PROP_4_3_EARTH);
}

/* Straight ray: plain spherical coordinates, checked by hand at a few points. */
static void test_polar_straight_values(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    double enu[3];
    lo_polar_to_sensor_enu(&f, LO_PROP_STRAIGHT, 1000, 90 * LO_DEG2RAD, 0, enu);
    assert_near(enu[0], 1000, 1e-9);
    assert_near(enu[1], 0, 1e-9);
    assert_near(enu[2], 0, 1e-9);
    lo_polar_to_sensor_enu(&f, LO_PROP_STRAIGHT, 2000, 0, 30 * LO_DEG2RAD, enu);
    assert_near(enu[0], 0, 1e-9);
    assert_near(enu[1], 2000 * sqrt(3) / 2, 1e-9);
    assert_near(enu[2], 1000, 1e-9);
    double r, az, el;
    double sw[3] = {-300, -400, 0};
    lo_sensor_enu_to_polar(&f, LO_PROP_STRAIGHT, sw, &r, &az, &el);
    assert_near(r, 500, 1e-9);
    assert_near(az, (180 + atan2(3, 4) * LO_RAD2DEG) * LO_DEG2RAD, 1e-12);
    assert_near(el, 0, 1e-12);
}

/* With k = 1 the curved-earth formula is exactly spherical geometry, i.e. the straight ray. */
static void test_curved_k1_is_straight(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    for (int i = 0; i < 20000; i++) {
        double r = uniform(10, 50000), az = uniform(0, 2 * LO_PI),
               el = uniform(-5, 89) * LO_DEG2RAD;
        double a[3], b[3];
        lo_polar_to_sensor_enu_k(&f, 1.0, r, az, el, a);
        lo_polar_to_sensor_enu(&f, LO_PROP_STRAIGHT, r, az, el, b);
        assert_true(dist3(a, b) < 1e-6);
        double r2, az2, el2;
        lo_sensor_enu_to_polar_k(&f, 1.0, b, &r2, &az2, &el2);
        assert_near(r2, r, 1e-6);
        assert_near(el2 * r, el * r, 1e-6);
    }
    /* And k = 4/3 through the _k entry point is the LO_PROP_4_3_EARTH model. */
    double a[3], b[3];
    lo_polar_to_sensor_enu_k(&f, 4.0 / 3.0, 20000, 1.0, 0.02, a);
    lo_polar_to_sensor_enu(&f, LO_PROP_4_3_EARTH, 20000, 1.0, 0.02, b);
    assert_true(dist3(a, b) < 1e-9);
}

/*
 * The 4/3-earth model against the textbook: a target seen at slant range r and apparent
 * elevation el is at height h = sqrt(r^2 + (kR)^2 + 2 r kR sin el) - kR above the antenna's
 * level (Skolnik, Radar Handbook, ch. 26 / Doerry, "Earth curvature and atmospheric
 * refraction effects on radar signal propagation"). Height above the curved ground exceeds the
 * flat-earth r sin el (the earth falls away by ~ r^2 / 2kR), but the ray bends down, so it is
 * LOWER than where a straight ray at the same elevation would be (k = 1).
 */
static void test_4_3_earth_height(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame f;
    lo_enu_frame_init(&f, &o);
    const double R = f.earth_radius_m, k = 4.0 / 3.0;
    static const double cases[][2] = {{20000, 1.0}, {15000, 0.0}, {50000, 3.0}, {8000, -1.0},
                                      {30000, 10.0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double r = cases[i][0], el = cases[i][1] * LO_DEG2RAD;
        double enu43[3], enu1[3];
        lo_polar_to_sensor_enu(&f, LO_PROP_4_3_EARTH, r, 0.7, el, enu43);
        lo_polar_to_sensor_enu(&f, LO_PROP_STRAIGHT, r, 0.7, el, enu1);

        /* Height above the local sphere of radius R through the antenna. */
        double d43 = hypot(enu43[0], enu43[1]);
        double h43 = hypot(d43, R + enu43[2]) - R;
        double d1 = hypot(enu1[0], enu1[1]);
        double h1 = hypot(d1, R + enu1[2]) - R;

        double textbook43 = sqrt(r * r + k * k * R * R + 2 * r * k * R * sin(el)) - k * R;
        double textbook1 = sqrt(r * r + R * R + 2 * r * R * sin(el)) - R;
        assert_near(h43, textbook43, MM);
        assert_near(h1, textbook1, MM);

        /* Sign and magnitude: above flat earth by ~ r^2 cos^2 el / (2kR), below the straight ray
         * by ~ r^2 cos^2 el / 2R * (1 - 1/k). */
        double flat = r * sin(el);
        double c2 = cos(el) * cos(el);
        assert_true(h43 > flat);
        assert_near(h43 - flat, r * r * c2 / (2 * k * R), 0.02 * r * r / (2 * k * R) + 0.01);
        assert_true(h43 < h1);
        assert_near(h1 - h43, r * r * c2 / (2 * R) * (1 - 1 / k), 0.02 * r * r / (2 * R) + 0.01);

        /* In the antenna's tangent frame the refracted target is below the straight ray: at
         * 20 km, 1 deg that is 20000^2 / (2 R) / 4 = 7.8 m. */
        assert_true(enu43[2] < enu1[2]);
        /* Horizontal distances agree to the order of r sin(el) / R (a few metres at 50 km). */
        assert_near(d43, d1, 1.2 * (1 - 1 / k) * r * fabs(sin(el)) * r / R + 0.1);
    }
    double enu43[3], enu1[3];
    lo_polar_to_sensor_enu(&f, LO_PROP_4_3_EARTH, 20000, 0, 1 * LO_DEG2RAD, enu43);
    lo_polar_to_sensor_enu(&f, LO_PROP_STRAIGHT, 20000, 0, 1 * LO_DEG2RAD, enu1);
    assert_near(enu1[2] - enu43[2], 20000.0 * 20000.0 / (2 * R) / 4, 0.1);
}

/* A sensor 5 km from the system reference: polar -> system ENU -> polar, both models, and
 * agreement with the explicit geodetic path. */
static void test_system_sensor_frames(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &o);
    double sensor_enu[3] = {3000, 4000, 12}; /* 5 km NE, 12 m higher */
    lo_geodetic sg;
    lo_enu_to_geodetic(&sys, sensor_enu, &sg);
    lo_enu_frame sen;
    lo_enu_frame_init(&sen, &sg);

    /* The sensor's own origin lands at its system position. */
    double at[3];
    lo_polar_to_system_enu(&sys, &sen, LO_PROP_STRAIGHT, 0, 0, 0, at);
    assert_true(dist3(at, sensor_enu) < 1e-6);

    for (int m = 0; m < 2; m++) {
        lo_propagation prop = m ? LO_PROP_4_3_EARTH : LO_PROP_STRAIGHT;
        for (int i = 0; i < 50000; i++) {
            double r = uniform(50, 50000), az = uniform(0, 2 * LO_PI),
                   el = uniform(-2, 60) * LO_DEG2RAD;
            double enu[3];
            lo_polar_to_system_enu(&sys, &sen, prop, r, az, el, enu);
            double r2, az2, el2;
            lo_system_enu_to_polar(&sys, &sen, prop, enu, &r2, &az2, &el2);
            assert_near(r2, r, MM);
            assert_true(fabs(lo_wrap_pi(az2 - az)) * r < MM);
            assert_true(fabs(el2 - el) * r < MM);

            if (i % 100 == 0) { /* the long way round, through geodetic coordinates */
                double local[3], ecef[3], via[3];
                lo_polar_to_sensor_enu(&sen, prop, r, az, el, local);
                lo_enu_to_ecef(&sen, local, ecef);
                lo_ecef_to_enu(&sys, ecef, via);
                assert_true(dist3(via, enu) < MM);
            }
        }
    }

    /* Due north of the sensor, 1 km, level: in the system frame north of the sensor by 1 km
     * (the frames' axes differ by meridian convergence: ~ 3 km * sin(lat) / R rad). */
    double enu[3];
    lo_polar_to_system_enu(&sys, &sen, LO_PROP_STRAIGHT, 1000, 0, 0, enu);
    assert_near(enu[1] - sensor_enu[1], 1000, 0.01);
    assert_near(enu[0] - sensor_enu[0], 0, 0.5);
}

static void test_rotate_vector(void **state)
{
    (void)state;
    lo_geodetic a = geo_deg(33.2985, 44.3950, 45), b = geo_deg(33.35, 44.45, 100);
    lo_enu_frame fa, fb;
    lo_enu_frame_init(&fa, &a);
    lo_enu_frame_init(&fb, &b);
    double v[3] = {10, -20, 5}, w[3], back[3];
    lo_enu_rotate_vector(&fa, &fa, v, w);
    assert_true(dist3(v, w) < 1e-12);
    lo_enu_rotate_vector(&fa, &fb, v, w);
    assert_near(sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), sqrt(525.0), 1e-12);
    assert_true(dist3(v, w) > 1e-3); /* the frames really differ */
    lo_enu_rotate_vector(&fb, &fa, w, back);
    assert_true(dist3(v, back) < 1e-12);
    /* A vector equals the difference of two transformed points. */
    double p0[3] = {100, 200, 30}, p1[3] = {110, 180, 35}, q0[3], q1[3];
    lo_enu_transform_point(&fa, &fb, p0, q0);
    lo_enu_transform_point(&fa, &fb, p1, q1);
    double dq[3] = {q1[0] - q0[0], q1[1] - q0[1], q1[2] - q0[2]};
    lo_enu_rotate_vector(&fa, &fb, v, w);
    assert_true(dist3(dq, w) < 1e-6);
}

/* Monte Carlo: perturb polar measurements with Gaussian noise, convert each exactly, and
 * compare the sample covariance with the first-order converted covariance. */
static void check_covariance(const lo_enu_frame *sys, const lo_enu_frame *sen, double r,
                             double az, double el, double sr, double sa, double se)
{
    double cov[9];
    lo_polar_covariance(sys, sen, r, az, el, sr, sa, se, cov);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            assert_near(cov[3 * i + j], cov[3 * j + i], 0);

    enum { N = 100000 };
    double mean[3] = {0, 0, 0}, sxx[9] = {0};
    double center[3];
    lo_polar_to_system_enu(sys, sen, LO_PROP_STRAIGHT, r, az, el, center);
    for (int n = 0; n < N; n++) {
        double p[3];
        lo_polar_to_system_enu(sys, sen, LO_PROP_STRAIGHT, r + sr * gauss(), az + sa * gauss(),
                               el + se * gauss(), p);
        double d[3] = {p[0] - center[0], p[1] - center[1], p[2] - center[2]};
        for (int i = 0; i < 3; i++) {
            mean[i] += d[i];
            for (int j = 0; j < 3; j++)
                sxx[3 * i + j] += d[i] * d[j];
        }
    }
    for (int i = 0; i < 3; i++)
        mean[i] /= N;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double sample = sxx[3 * i + j] / N - mean[i] * mean[j];
            double scale = sqrt(cov[3 * i + i] * cov[3 * j + j]);
            /* 4 % of the scale: sampling error ~ sqrt(2/N) = 0.45 %, plus the small curvature
             * of the map (sigma_az * r is 70 m at 10 km). */
            assert_near(sample, cov[3 * i + j], 0.04 * scale);
        }
}

static void test_covariance_monte_carlo(void **state)
{
    (void)state;
    lo_geodetic o = geo_deg(33.2985, 44.3950, 45);
    lo_enu_frame sys;
    lo_enu_frame_init(&sys, &o);
    double sensor_enu[3] = {-3000, 4000, 5};
    lo_geodetic sg;
    lo_enu_to_geodetic(&sys, sensor_enu, &sg);
    lo_enu_frame sen;
    lo_enu_frame_init(&sen, &sg);

    check_covariance(&sys, &sen, 10000, 1.0, 0.05, 8, 0.4 * LO_DEG2RAD, 0.6 * LO_DEG2RAD);
    check_covariance(&sys, &sen, 3000, 4.0, 0.4, 20, 1.0 * LO_DEG2RAD, 2.0 * LO_DEG2RAD);
    check_covariance(&sys, &sys, 20000, 5.5, 0.01, 8, 0.2 * LO_DEG2RAD, 1.0 * LO_DEG2RAD);
    /* (First order stops holding when r * sigma_el^2 approaches sigma_range: a 2D plot's
     * several-degree elevation spread is not handled by this function; see ingest.c.) */

    /* A sensor 400 km east: meridian convergence turns its axes ~2.4 degrees from the
     * system's, which the rotation must carry (without it the cross term is off by ~10 %). */
    double far_enu[3] = {400000, 0, -12500};
    lo_geodetic fg;
    lo_enu_to_geodetic(&sys, far_enu, &fg);
    lo_enu_frame far;
    lo_enu_frame_init(&far, &fg);
    check_covariance(&sys, &far, 10000, 0.3, 0.05, 5, 1.0 * LO_DEG2RAD, 0.3 * LO_DEG2RAD);
    double c_far[9], c_local[9];
    lo_polar_covariance(&sys, &far, 10000, 0.3, 0.05, 5, 1.0 * LO_DEG2RAD, 0.3 * LO_DEG2RAD, c_far);
    lo_polar_covariance(&far, &far, 10000, 0.3, 0.05, 5, 1.0 * LO_DEG2RAD, 0.3 * LO_DEG2RAD,
                        c_local);
    assert_true(fabs(c_far[1] - c_local[1]) > 0.05 * sqrt(c_local[0] * c_local[4]));
    /* A rotation keeps the trace. */
    assert_near(c_far[0] + c_far[4] + c_far[8], c_local[0] + c_local[4] + c_local[8],
                1e-9 * (c_local[0] + c_local[4] + c_local[8]));

    /* Hand check at the sensor itself: looking north, level, the covariance is
     * diag((r sa)^2, sr^2, (r se)^2) in its own axes. */
    double cov[9];
    lo_polar_covariance(&sen, &sen, 1000, 0, 0, 10, 0.01, 0.02, cov);
    assert_near(cov[0], 100.0, 1e-9);
    assert_near(cov[4], 100.0, 1e-9);
    assert_near(cov[8], 400.0, 1e-9);
    assert_near(cov[1], 0, 1e-9);
    assert_near(cov[2], 0, 1e-9);
    assert_near(cov[5], 0, 1e-9);
}

static void test_wrap(void **state)
{
    (void)state;
    assert_near(lo_wrap_2pi(0), 0, 0);
    assert_near(lo_wrap_2pi(2 * LO_PI), 0, 1e-15);
    assert_near(lo_wrap_2pi(-LO_PI / 2), 1.5 * LO_PI, 1e-15);
    assert_near(lo_wrap_2pi(7 * LO_PI), LO_PI, 1e-12);
    double tiny = lo_wrap_2pi(-1e-20);
    assert_true(tiny >= 0 && tiny < 2 * LO_PI);
    assert_near(lo_wrap_pi(LO_PI), LO_PI, 1e-15);
    assert_near(lo_wrap_pi(-LO_PI), LO_PI, 1e-15);
    assert_near(lo_wrap_pi(1.5 * LO_PI), -0.5 * LO_PI, 1e-15);
    assert_near(lo_wrap_pi(-0.25), -0.25, 1e-15);
    for (int i = 0; i < 10000; i++) {
        double a = uniform(-100, 100);
        double w = lo_wrap_2pi(a), p = lo_wrap_pi(a);
        assert_true(w >= 0 && w < 2 * LO_PI);
        assert_true(p > -LO_PI && p <= LO_PI);
        assert_near(sin(w), sin(a), 1e-12);
        assert_near(cos(p), cos(a), 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecef_reference_values),
        cmocka_unit_test(test_ecef_equator_and_poles),
        cmocka_unit_test(test_geodetic_ecef_round_trip),
        cmocka_unit_test(test_enu_one_km_north),
        cmocka_unit_test(test_enu_geodetic_round_trip),
        cmocka_unit_test(test_polar_round_trip_straight),
        cmocka_unit_test(test_polar_round_trip_4_3_earth),
        cmocka_unit_test(test_polar_straight_values),
        cmocka_unit_test(test_curved_k1_is_straight),
        cmocka_unit_test(test_4_3_earth_height),
        cmocka_unit_test(test_system_sensor_frames),
        cmocka_unit_test(test_rotate_vector),
        cmocka_unit_test(test_covariance_monte_carlo),
        cmocka_unit_test(test_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
