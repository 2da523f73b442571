/* Ingest: polar plots -> system ENU with the converted covariance, 2D plots at a height,
 * Cartesian plots given a covariance, biases removed, and bad plots refused with a reason. */
#include <math.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/ingest.h"
#include "testutil.h"

static const char *site_yaml =
    "site:\n"
    "  name: t\n"
    "  reference: {lat_deg: 33.2985, lon_deg: 44.3950, height_m: 45}\n"
    "sensors:\n"
    "  - name: here\n"
    "    sac: 1\n"
    "    sic: 1\n"
    "    sigma_range_m: 8\n"
    "    sigma_azimuth_deg: 0.4\n"
    "    sigma_elevation_deg: 0.6\n"
    "    max_range_m: 20000\n"
    "  - name: away\n"               /* ~5 km north-east, 2D, with known biases */
    "    sac: 1\n"
    "    sic: 2\n"
    "    dimensions: 2\n"
    "    position: {lat_deg: 33.3305, lon_deg: 44.4330, height_m: 60}\n"
    "    sigma_range_m: 20\n"
    "    sigma_azimuth_deg: 0.5\n"
    "    bias_range_m: 15\n"
    "    bias_azimuth_deg: 0.3\n"
    "    max_range_km: 40\n";

static lo_site site;

static int setup(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    if (lo_site_load_string(site_yaml, "ingest.yaml", &site, &diags.sink) != 0) {
        printf("%s", diags.all);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lo_site_free(&site);
    return 0;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
    double u1 = urand(), u2 = urand();
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * LO_PI * u2);
}

static lo_plot polar_plot(uint16_t sensor, double r, double az_deg, double el_deg, bool has_el)
{
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = 1700000000.25;
    p.sensor_id = sensor;
    p.flags = LO_PLOT_POLAR | (has_el ? LO_PLOT_ELEVATION : 0);
    p.range_m = r;
    p.azimuth_rad = az_deg * LO_DEG2RAD;
    p.elevation_rad = el_deg * LO_DEG2RAD;
    return p;
}

static void test_polar_3d(void **state)
{
    (void)state;
    lo_plot p = polar_plot(0x0101, 12000, 75, 1.5, true);
    const char *why = "unset";
    assert_int_equal(lo_ingest_plot(&site, &p, 300, &why), 0);
    assert_null(why);
    assert_true(p.flags & LO_PLOT_CARTESIAN);
    assert_true(p.flags & LO_PLOT_COVARIANCE);
    double enu[3], cov[9];
    lo_polar_to_system_enu(&site.frame, &site.sensor_frames[0], LO_PROP_4_3_EARTH, 12000,
                           75 * LO_DEG2RAD, 1.5 * LO_DEG2RAD, enu);
    for (int i = 0; i < 3; i++)
        assert_near(p.enu[i], enu[i], 1e-9);
    /* Roughly where one expects: east-north-east, 12 km, a few hundred metres up. */
    assert_near(hypot(p.enu[0], p.enu[1]), 12000, 5);
    /* Refraction: above the ground by more than r sin(el) (the earth falls away), but below
     * the straight line of sight in the tangent frame. */
    lo_geodetic g;
    lo_enu_to_geodetic(&site.frame, p.enu, &g);
    assert_true(g.h - 45 > 12000 * sin(1.5 * LO_DEG2RAD));
    assert_true(p.enu[2] < 12000 * sin(1.5 * LO_DEG2RAD));
    lo_polar_covariance(&site.frame, &site.sensor_frames[0], 12000, 75 * LO_DEG2RAD,
                        1.5 * LO_DEG2RAD, 8, 0.4 * LO_DEG2RAD, 0.6 * LO_DEG2RAD, cov);
    for (int i = 0; i < 9; i++)
        assert_near(p.enu_cov[i], cov[i], 1e-9 * fabs(cov[i]) + 1e-12);
    /* Cross-range sigma = r * sigma_az = 83.8 m dominates the horizontal. */
    assert_near(sqrt(p.enu_cov[0] + p.enu_cov[4] - 8 * 8 - pow(12000 * 0.6 * LO_DEG2RAD * sin(1.5 * LO_DEG2RAD), 2)),
                12000 * 0.4 * LO_DEG2RAD * cos(1.5 * LO_DEG2RAD), 0.5);
    /* The plot's own polar fields are left as measured. */
    assert_near(p.range_m, 12000, 0);

    /* Per-plot sigmas replace the sensor's; zero means "the sensor's". */
    lo_plot q = polar_plot(0x0101, 12000, 75, 1.5, true);
    q.flags |= LO_PLOT_SIGMAS;
    q.sigma_range_m = 30;
    q.sigma_azimuth_rad = 0;
    q.sigma_elevation_rad = 0.2 * LO_DEG2RAD;
    assert_int_equal(lo_ingest_plot(&site, &q, 300, &why), 0);
    lo_polar_covariance(&site.frame, &site.sensor_frames[0], 12000, 75 * LO_DEG2RAD,
                        1.5 * LO_DEG2RAD, 30, 0.4 * LO_DEG2RAD, 0.2 * LO_DEG2RAD, cov);
    for (int i = 0; i < 9; i++)
        assert_near(q.enu_cov[i], cov[i], 1e-9 * fabs(cov[i]) + 1e-12);
}

/* A 2D radar with known biases, 5 km from the reference: the bias is removed, the plot sits
 * at the requested height, and its slant range and azimuth from the antenna are kept. */
static void test_polar_2d_default_height(void **state)
{
    (void)state;
    const lo_sensor *s = &site.sensors[1];
    const lo_enu_frame *sf = &site.sensor_frames[1];
    assert_true(hypot(s->enu[0], s->enu[1]) > 4000);
    double r_true = 15000, az_true = 200 * LO_DEG2RAD;
    lo_plot p = polar_plot(0x0102, r_true + 15, 200.3, 0, false);
    const char *why = NULL;
    assert_int_equal(lo_ingest_plot(&site, &p, 300, &why), 0);

    double r, az, el;
    lo_system_enu_to_polar(&site.frame, sf, LO_PROP_4_3_EARTH, p.enu, &r, &az, &el);
    assert_near(r, r_true, 1e-3);
    assert_near(az, az_true, 1e-9);
    /* Height: 300 m above the reference's level (45 m), along the curved earth. */
    lo_geodetic g;
    lo_enu_to_geodetic(&site.frame, p.enu, &g);
    assert_near(g.h, 345, 1.0);
    /* The system frame's up is lower than that by the earth's drop, d^2 / 2R (~ 10 m). */
    double d = hypot(p.enu[0], p.enu[1]);
    assert_near(p.enu[2], 300 - d * d / (2 * site.frame.earth_radius_m), 1.0);

    /* Large vertical variance, horizontal dominated by r * sigma_az across the beam. */
    assert_near(sqrt(p.enu_cov[8]), LO_INGEST_2D_SIGMA_UP_M, 5);
    double cross[2] = {cos(az_true), -sin(az_true)}; /* horizontal unit vector across the beam */
    double var_cross = cross[0] * cross[0] * p.enu_cov[0] + 2 * cross[0] * cross[1] * p.enu_cov[1] +
                       cross[1] * cross[1] * p.enu_cov[4];
    assert_near(sqrt(var_cross), r_true * 0.5 * LO_DEG2RAD, 1.0);

    /* With a flight level: at the baro altitude, with the smaller vertical sigma. */
    lo_plot b = polar_plot(0x0102, r_true + 15, 200.3, 0, false);
    b.flags |= LO_PLOT_FLIGHT_LVL;
    b.baro_altitude_m = 1200;
    assert_int_equal(lo_ingest_plot(&site, &b, 300, &why), 0);
    lo_enu_to_geodetic(&site.frame, b.enu, &g);
    assert_near(g.h, 1200, 1.0);
    assert_near(sqrt(b.enu_cov[8]), LO_INGEST_BARO_SIGMA_UP_M, 1);
    lo_system_enu_to_polar(&site.frame, sf, LO_PROP_4_3_EARTH, b.enu, &r, &az, &el);
    assert_near(r, r_true, 1e-3);

    /* A height above the slant range (overhead, impossible): straight up, still finite. */
    lo_plot up = polar_plot(0x0102, 500, 10, 0, false);
    assert_int_equal(lo_ingest_plot(&site, &up, 3000, &why), 0);
    lo_system_enu_to_polar(&site.frame, sf, LO_PROP_4_3_EARTH, up.enu, &r, &az, &el);
    assert_near(el, LO_PI / 2, 1e-6);
}

/* The 2D covariance against Monte Carlo: the height really is uncertain by sigma_up, so
 * ingesting noisy range/azimuth with the height drawn from that spread must scatter the way
 * the covariance says. */
static void test_polar_2d_covariance_monte_carlo(void **state)
{
    (void)state;
    const double r0 = 15000, az0 = 120 * LO_DEG2RAD, h0 = 400;
    lo_plot nominal = polar_plot(0x0102, r0 + 15, 120.3, 0, false);
    const char *why;
    assert_int_equal(lo_ingest_plot(&site, &nominal, h0, &why), 0);

    enum { N = 40000 };
    double mean[3] = {0}, sxx[9] = {0};
    for (int n = 0; n < N; n++) {
        lo_plot p = polar_plot(0x0102, r0 + 15 + 20 * gauss(), 0, 0, false);
        p.azimuth_rad = az0 + 0.3 * LO_DEG2RAD + 0.5 * LO_DEG2RAD * gauss();
        assert_int_equal(lo_ingest_plot(&site, &p, h0 + LO_INGEST_2D_SIGMA_UP_M * gauss(), &why), 0);
        double dv[3] = {p.enu[0] - nominal.enu[0], p.enu[1] - nominal.enu[1],
                        p.enu[2] - nominal.enu[2]};
        for (int i = 0; i < 3; i++) {
            mean[i] += dv[i] / N;
            for (int j = 0; j < 3; j++)
                sxx[3 * i + j] += dv[i] * dv[j] / N;
        }
    }
    /* Compare the second moments about the nominal point (the point is where the plot is
     * placed; a tracker sees the spread around it). */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double scale = sqrt(nominal.enu_cov[3 * i + i] * nominal.enu_cov[3 * j + j]);
            assert_near(sxx[3 * i + j], nominal.enu_cov[3 * i + j], 0.05 * scale);
        }
}

static void test_known_bias_removed(void **state)
{
    (void)state;
    /* Measured = true + bias: a 3D conversion of the true values equals the plot's. */
    lo_plot p = polar_plot(0x0102, 8015, 45.3, 0, false);
    lo_plot q = polar_plot(0x0102, 8000, 45.0, 0, false);
    lo_site unbiased = site;
    lo_sensor sensors[2];
    memcpy(sensors, site.sensors, sizeof sensors);
    sensors[1].bias_range_m = 0;
    sensors[1].bias_azimuth_rad = 0;
    unbiased.sensors = sensors;
    const char *why;
    assert_int_equal(lo_ingest_plot(&site, &p, 200, &why), 0);
    assert_int_equal(lo_ingest_plot(&unbiased, &q, 200, &why), 0);
    for (int i = 0; i < 3; i++)
        assert_near(p.enu[i], q.enu[i], 1e-6);
}

static void test_cartesian(void **state)
{
    (void)state;
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = 10;
    p.sensor_id = 0x0101;
    p.flags = LO_PLOT_CARTESIAN;
    p.enu[0] = 3000;
    p.enu[1] = -4000;
    p.enu[2] = 250;
    const char *why;
    assert_int_equal(lo_ingest_plot(&site, &p, 300, &why), 0);
    assert_true(p.flags & LO_PLOT_COVARIANCE);
    assert_near(p.enu[0], 3000, 0);
    double r, az, el, cov[9];
    lo_system_enu_to_polar(&site.frame, &site.sensor_frames[0], LO_PROP_4_3_EARTH, p.enu, &r, &az,
                           &el);
    lo_polar_covariance(&site.frame, &site.sensor_frames[0], r, az, el, 8, 0.4 * LO_DEG2RAD,
                        0.6 * LO_DEG2RAD, cov);
    for (int i = 0; i < 9; i++)
        assert_near(p.enu_cov[i], cov[i], 1e-9 * fabs(cov[i]) + 1e-12);
    /* Hand check: 5 km out, cross-range sigma 5000 * 0.4 deg = 34.9 m. */
    double cross[2] = {4.0 / 5, 3.0 / 5};
    double var_cross = cross[0] * cross[0] * p.enu_cov[0] + 2 * cross[0] * cross[1] * p.enu_cov[1] +
                       cross[1] * cross[1] * p.enu_cov[4];
    assert_near(sqrt(var_cross), r * cos(el) * 0.4 * LO_DEG2RAD, 0.05);

    /* A covariance that came with the plot is kept as it is. */
    lo_plot c = p;
    c.flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    for (int i = 0; i < 9; i++)
        c.enu_cov[i] = i % 4 == 0 ? 25.0 : 0.0;
    assert_int_equal(lo_ingest_plot(&site, &c, 300, &why), 0);
    assert_near(c.enu_cov[0], 25, 0);
    assert_near(c.enu_cov[1], 0, 0);
    assert_near(c.enu[2], 250, 0);
}

static void expect_refused(lo_plot p, const char *reason_part)
{
    lo_plot before = p;
    const char *why = NULL;
    assert_int_equal(lo_ingest_plot(&site, &p, 300, &why), -1);
    assert_non_null(why);
    if (!strstr(why, reason_part)) {
        printf("reason '%s' lacks '%s'\n", why, reason_part);
        fail();
    }
    assert_memory_equal(&p, &before, sizeof p); /* a refused plot is left untouched */
}

static void test_refused(void **state)
{
    (void)state;
    lo_plot p = polar_plot(0x0303, 1000, 10, 1, true);
    expect_refused(p, "unknown sensor");
    p = polar_plot(0x0101, NAN, 10, 1, true);
    expect_refused(p, "range");
    p = polar_plot(0x0101, 1000, INFINITY, 1, true);
    expect_refused(p, "azimuth");
    p = polar_plot(0x0101, 1000, 10, NAN, true);
    expect_refused(p, "elevation");
    p = polar_plot(0x0101, 1000, 10, 95, true);
    expect_refused(p, "elevation");
    p = polar_plot(0x0101, -5, 10, 1, true);
    expect_refused(p, "negative range");
    p = polar_plot(0x0101, 45000, 10, 1, true);
    expect_refused(p, "max_range");
    p = polar_plot(0x0101, 1000, 10, 1, true);
    p.t = NAN;
    expect_refused(p, "time");
    /* Milliseconds since the epoch, or a time so large that a double cannot step through it
     * (`lookout track` hung on t = 1e17 in the tracker's housekeeping). */
    p.t = 1795348800000.0;
    expect_refused(p, "milliseconds");
    p.t = -1e17;
    expect_refused(p, "time");
    p.t = 1;
    p.flags = 0;
    expect_refused(p, "no position");
    p = polar_plot(0x0101, 1000, 10, 1, true);
    p.flags |= LO_PLOT_SIGMAS;
    p.sigma_range_m = -1;
    expect_refused(p, "negative");
    p = polar_plot(0x0101, 1000, 10, 1, true);
    p.flags |= LO_PLOT_RADIAL_VEL;
    p.radial_velocity_mps = NAN;
    expect_refused(p, "radial velocity");
    /* A Doppler spread that is no echo's (the classifier averages it). */
    p = polar_plot(0x0101, 1000, 10, 1, true);
    p.flags |= LO_PLOT_RADIAL_VEL | LO_PLOT_DOPPLER_SPREAD;
    p.doppler_spread_mps = NAN;
    expect_refused(p, "Doppler spread");
    p.doppler_spread_mps = -0.5;
    expect_refused(p, "Doppler spread");
    p.doppler_spread_mps = 1e6;
    expect_refused(p, "Doppler spread");
    p.doppler_spread_mps = 40.0;
    assert_int_equal(lo_ingest_plot(&site, &p, 300, NULL), 0);
    p = polar_plot(0x0102, 1000, 10, 0, false);
    p.flags |= LO_PLOT_FLIGHT_LVL;
    p.baro_altitude_m = NAN;
    expect_refused(p, "flight level");
    memset(&p, 0, sizeof p);
    p.sensor_id = 0x0101;
    p.flags = LO_PLOT_CARTESIAN;
    p.enu[1] = NAN;
    expect_refused(p, "Cartesian");
    p.enu[1] = 0;
    p.flags |= LO_PLOT_COVARIANCE;
    p.enu_cov[4] = INFINITY;
    expect_refused(p, "covariance");
    p.enu_cov[4] = -1;
    expect_refused(p, "negative variance");
    /* A Cartesian position far beyond the radar's reach: kilometres taken for metres, or a
     * huge value that would overflow the tracker's grid cell index (found reviewing ingest:
     * `lookout track` took x_m = 1e25). 20 km max range: 40 km from the antenna is the limit. */
    memset(&p, 0, sizeof p);
    p.sensor_id = 0x0101;
    p.flags = LO_PLOT_CARTESIAN;
    p.enu[0] = 1e25;
    expect_refused(p, "max_range");
    p.enu[0] = 41000;
    expect_refused(p, "max_range");
    p.enu[0] = 39000;
    const char *why;
    assert_int_equal(lo_ingest_plot(&site, &p, 300, &why), 0);

    /* A NULL `why` is allowed. */
    p = polar_plot(0x0303, 1000, 10, 1, true);
    assert_int_equal(lo_ingest_plot(&site, &p, 300, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polar_3d),
        cmocka_unit_test(test_polar_2d_default_height),
        cmocka_unit_test(test_polar_2d_covariance_monte_carlo),
        cmocka_unit_test(test_known_bias_removed),
        cmocka_unit_test(test_cartesian),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
