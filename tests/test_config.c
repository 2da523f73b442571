/* Site configuration: the green-zone fixture, defaults, every kind of error (each naming its
 * key path and line, all reported in one pass), and zone geometry checked by hand. */
#include <math.h>
#include <string.h>

#include "common/yamldoc.h"
#include "lookout/config.h"
#include "testutil.h"

static void test_green_zone_fixture(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    int rc = lo_site_load(lo_test_source_path("tests/data/site-green-zone.yaml"), &site,
                          &diags.sink);
    if (rc != 0)
        print_error("%s", diags.all);
    assert_int_equal(rc, 0);
    assert_int_equal(diags.n, 0);
    assert_string_equal(site.name, "green-zone");
    assert_near(site.reference.lat * LO_RAD2DEG, 33.2985, 1e-12);
    assert_near(site.reference.lon * LO_RAD2DEG, 44.3950, 1e-12);
    assert_near(site.reference.h, 45, 0);
    assert_int_equal(site.propagation, LO_PROP_4_3_EARTH);
    assert_near(site.frame.origin.lat, site.reference.lat, 0);

    assert_int_equal(site.n_sensors, 1);
    const lo_sensor *s = &site.sensors[0];
    assert_string_equal(s->name, "compound-radar");
    assert_int_equal(s->id, 0x0101);
    assert_int_equal(s->sac, 1);
    assert_int_equal(s->sic, 1);
    assert_int_equal(s->kind, LO_SENSOR_ROTATING);
    assert_true(s->has_elevation);
    assert_true(s->measures_radial_velocity);
    assert_near(s->scan_period_s, 1.0, 0);
    assert_near(s->sigma_range_m, 8, 0);
    assert_near(s->sigma_azimuth_rad, 0.4 * LO_DEG2RAD, 1e-15);
    assert_near(s->sigma_elevation_rad, 0.6 * LO_DEG2RAD, 1e-15);
    assert_near(s->sigma_radial_velocity_mps, 0.5, 0);
    assert_near(s->min_range_m, 300, 0);
    assert_near(s->max_range_m, 20000, 0);
    assert_near(s->min_elevation_rad, -2 * LO_DEG2RAD, 1e-15);
    assert_near(s->max_elevation_rad, 60 * LO_DEG2RAD, 1e-15);
    assert_near(s->ref_rcs_m2, 0.01, 0);
    assert_near(s->ref_range_m, 15000, 0);
    assert_near(s->ref_snr_db, 13, 0);
    assert_near(s->pfa, 1e-6, 0);
    assert_near(s->range_cell_m, 30, 0);
    assert_near(s->beamwidth_az_rad, 2 * LO_DEG2RAD, 1e-15);
    assert_near(s->beamwidth_el_rad, 10 * LO_DEG2RAD, 1e-15);
    /* The radar is the reference point: its system position is the origin. */
    for (int i = 0; i < 3; i++)
        assert_near(s->enu[i], 0, 1e-6);
    assert_near(site.sensor_frames[0].origin.h, 45, 1e-9);
    assert_int_equal(lo_site_sensor_index(&site, 0x0101), 0);
    assert_int_equal(lo_site_sensor_index(&site, 0x0102), -1);

    assert_int_equal(site.n_zones, 3);
    const lo_zone *compound = &site.zones[0], *residence = &site.zones[1],
                  *district = &site.zones[2];
    assert_string_equal(compound->name, "compound");
    assert_int_equal(compound->shape, LO_ZONE_CIRCLE);
    assert_near(compound->radius_m, 400, 0);
    assert_near(compound->center_enu[0], 0, 1e-9);
    assert_int_equal(compound->priority, 1);
    /* Residence: 1 km on bearing 060 = (1000 sin 60, 1000 cos 60). */
    assert_string_equal(residence->name, "residence");
    assert_near(residence->center_enu[0], 866.0254037844, 1e-6);
    assert_near(residence->center_enu[1], 500.0, 1e-6);
    assert_near(residence->radius_m, 150, 0);
    assert_near(residence->alt_min_m, 0, 0);
    assert_near(residence->alt_max_m, 1500, 0);
    /* Its lat/lon centre maps back onto the same ENU point. */
    lo_geodetic g = {residence->center_lat, residence->center_lon, site.reference.h};
    double enu[3];
    lo_geodetic_to_enu(&site.frame, &g, enu);
    assert_near(enu[0], 866.0254037844, 1e-3);
    assert_near(enu[1], 500.0, 1e-3);

    assert_string_equal(district->name, "district");
    assert_int_equal(district->shape, LO_ZONE_POLYGON);
    assert_int_equal(district->priority, 3);
    assert_int_equal(district->n_vertices, 4);
    /* Vertices were written as -1.2 .. +1.8 km east, -1.8 .. +2.2 km north, rounded to 1e-5
     * degree (about 1 m). */
    assert_near(district->vertex_enu[0][0], -1200, 1.0);
    assert_near(district->vertex_enu[0][1], -1800, 1.0);
    assert_near(district->vertex_enu[2][0], 1800, 1.0);
    assert_near(district->vertex_enu[2][1], 2200, 1.0);
    /* Both circles lie inside the district. */
    assert_true(lo_zone_contains_xy(district, compound->center_enu));
    assert_true(lo_zone_contains_xy(district, residence->center_enu));
    assert_near(lo_zone_edge_distance(district, (double[2]){0, 0}), -1200, 1.0);

    /* The whole document stays available for sections other modules read. */
    const lo_ynode *root = lo_ydoc_root(site.doc);
    assert_non_null(lo_ymap_get(site.doc, root, "zones"));
    assert_non_null(site.path);
    lo_site_free(&site);
    assert_null(site.sensors);
    lo_site_free(&site); /* twice is harmless */
}

static const char *minimal =
    "site:\n"
    "  reference: {lat_deg: 33.2985, lon_deg: 44.3950, height_m: 45}\n"
    "sensors:\n"
    "  - name: r1\n"
    "    sac: 2\n"
    "    sic: 7\n"
    "  - name: r2\n"
    "    sac: 2\n"
    "    sic: 8\n"
    "    dimensions: 2\n"
    "    kind: staring\n"
    "    max_range_km: 12.5\n"
    "    position: {lat_deg: 33.3, lon_deg: 44.45}\n"
    "zones:\n"
    "  - name: z\n"
    "    circle: {lat_deg: 33.30, lon_deg: 44.40, radius_m: 200}\n"
    "targets: [anything, the simulator reads this]\n"
    "tracker: {anything: 1}\n";

static void test_defaults(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    int rc = lo_site_load_string(minimal, "min.yaml", &site, &diags.sink);
    if (rc != 0)
        print_error("%s", diags.all);
    assert_int_equal(rc, 0);
    assert_string_equal(site.name, "site");
    assert_int_equal(site.propagation, LO_PROP_4_3_EARTH);
    assert_int_equal(site.n_sensors, 2);
    const lo_sensor *a = &site.sensors[0], *b = &site.sensors[1];
    assert_int_equal(a->id, (2 << 8) | 7);
    assert_int_equal(a->kind, LO_SENSOR_ROTATING);
    assert_true(a->has_elevation);
    assert_near(a->scan_period_s, 1.0, 0);
    assert_near(a->sigma_range_m, 10, 0);
    assert_near(a->sigma_azimuth_rad, 0.5 * LO_DEG2RAD, 1e-15);
    assert_near(a->max_range_m, 20000, 0);
    assert_near(a->pfa, 1e-6, 0);
    assert_false(a->measures_radial_velocity);
    /* No position: at the reference point. */
    assert_near(a->lat, site.reference.lat, 0);
    assert_near(a->height_m, 45, 0);
    /* max_range_km converts; a position without height takes the reference height. */
    assert_int_equal(b->kind, LO_SENSOR_STARING);
    assert_false(b->has_elevation);
    assert_near(b->max_range_m, 12500, 1e-9);
    assert_near(b->height_m, 45, 0);
    assert_near(b->lon * LO_RAD2DEG, 44.45, 1e-12);
    /* Its system position and frame. */
    lo_geodetic g = {b->lat, b->lon, b->height_m};
    double enu[3];
    lo_geodetic_to_enu(&site.frame, &g, enu);
    for (int i = 0; i < 3; i++)
        assert_near(b->enu[i], enu[i], 1e-9);
    assert_true(b->enu[0] > 5000 && b->enu[0] < 5200); /* 0.055 deg east at 33.3 N: ~5.1 km */
    assert_near(site.sensor_frames[1].origin.lon, b->lon, 0);
    assert_int_equal(lo_site_sensor_index(&site, (2 << 8) | 8), 1);

    assert_int_equal(site.n_zones, 1);
    assert_int_equal(site.zones[0].priority, 1);
    assert_near(site.zones[0].alt_min_m, 0, 0);
    assert_near(site.zones[0].alt_max_m, 1500, 0);
    /* 0.0015 deg north of the reference: about 166 m. */
    assert_near(site.zones[0].center_enu[1], 166.4, 0.5);
    lo_site_free(&site);

    /* propagation: straight. */
    const char *straight = "site:\n  propagation: straight\n  reference: [10, 20, 5]\n";
    assert_int_equal(lo_site_load_string(straight, "s.yaml", &site, &diags.sink), 0);
    assert_int_equal(site.propagation, LO_PROP_STRAIGHT);
    assert_near(site.reference.h, 5, 0);
    assert_int_equal(site.n_sensors, 0);
    assert_int_equal(site.n_zones, 0);
    lo_site_free(&site);
}

/* Does the diagnostics text hold one line that has all of these parts? */
static bool has_diag(const lo_test_diags *d, const char *a, const char *b, const char *c)
{
    const char *line = d->all;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, a) && (!b || strstr(buf, b)) && (!c || strstr(buf, c)))
            return true;
        if (!end)
            break;
        line = end + 1;
    }
    return false;
}

#define ASSERT_DIAG(d, a, b, c)                                                              \
    do {                                                                                     \
        if (!has_diag(d, a, b, c)) {                                                         \
            printf("no diagnostic with '%s' '%s' '%s' in:\n%s", a, b ? b : "",                \
                   c ? c : "", (d)->all);                                                    \
            fail();                                                                          \
        }                                                                                    \
    } while (0)

static const char *bad =
    "site:\n"                                                     /* 1 */
    "  name: bad\n"                                               /* 2 */
    "  reference: {lat_deg: 33.3, lon_deg: 44.4, height_m: 45}\n" /* 3 */
    "  propagation: curved\n"                                     /* 4 */
    "sensors:\n"                                                  /* 5 */
    "  - name: r1\n"                                              /* 6 */
    "    sac: 1\n"                                                /* 7 */
    "    sic: 1\n"                                                /* 8 */
    "    scan_period_s: fast\n"                                   /* 9 */
    "    max_range_nm: 8\n"                                       /* 10 */
    "    pfa: 0\n"                                                /* 11 */
    "    position: {lat_deg: 95, lon_deg: 44.4}\n"                /* 12 */
    "  - name: r2\n"                                              /* 13 */
    "    sic: 2\n"                                                /* 14 */
    "    min_range_m: 5000\n"                                     /* 15 */
    "    max_range_m: 4000\n"                                     /* 16 */
    "    scan_period_s: 0\n"                                      /* 17 */
    "  - name: r3\n"                                              /* 18 */
    "    sac: 1\n"                                                /* 19 */
    "    sic: 1\n"                                                /* 20 */
    "    radial_velocity: maybe\n"                                /* 21 */
    "    sigma_azimuth_deg: [1, 2]\n"                             /* 22 */
    "  - name: r3\n"                                              /* 23 */
    "    sac: 1\n"                                                /* 24 */
    "    sic: 9\n"                                                /* 25 */
    "    min_elevation_deg: 10\n"                                 /* 26 */
    "    max_elevation_deg: 5\n"                                  /* 27 */
    "zones:\n"                                                    /* 28 */
    "  - name: a\n"                                               /* 29 */
    "    circle: {radius_m: -5}\n"                                /* 30 */
    "  - name: b\n"                                               /* 31 */
    "    polygon: [[33.3, 44.4], [33.31, 44.41]]\n"               /* 32 */
    "  - name: c\n"                                               /* 33 */
    "    polygon: [[33.30, 44.40], [33.31, 44.41], [33.30, 44.41], [33.31, 44.40]]\n" /* 34 */
    "  - name: d\n"                                               /* 35 */
    "    polygon: [[33.30, 44.40], [33.31, 44.41], [33.32, 44.42]]\n" /* 36 */
    "  - name: e\n"                                               /* 37 */
    "    circle: {lat_deg: 33.3, bearing_deg: 10, radius_m: 5}\n" /* 38 */
    "  - name: f\n"                                               /* 39 */
    "    altitude_m: [1500, 0]\n"                                 /* 40 */
    "    circle: {radius_m: 100}\n"                               /* 41 */
    "  - name: f\n"                                               /* 42 */
    "    priority: 0\n"                                           /* 43 */
    "    circle: {radius_m: 100}\n"                               /* 44 */
    "  - name: g\n"                                               /* 45 */
    "  - name: h\n"                                               /* 46 */
    "    circle: {radius_m: 100}\n"                               /* 47 */
    "    polygon: [[33.30, 44.40], [33.31, 44.41], [33.30, 44.41]]\n" /* 48 */
    "trackr: {}\n";                                               /* 49 */

static void test_all_errors_reported(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load_string(bad, "bad.yaml", &site, &diags.sink), -1);
    /* Refused as a whole, and nothing left allocated. */
    assert_null(site.sensors);
    assert_null(site.zones);
    assert_null(site.doc);

    ASSERT_DIAG(&diags, "bad.yaml:4:", "site.propagation", "curved");
    ASSERT_DIAG(&diags, "bad.yaml:9:", "sensors[0].scan_period_s", "'fast'");
    ASSERT_DIAG(&diags, "bad.yaml:10:", "sensors[0].max_range_nm", "max_range_km");
    ASSERT_DIAG(&diags, "bad.yaml:11:", "sensors[0].pfa", "between 0 and 1");
    ASSERT_DIAG(&diags, "bad.yaml:12:", "sensors[0].position.lat_deg", "[-90, 90]");
    ASSERT_DIAG(&diags, "bad.yaml:13:", "sensors[1].sac", "required key is missing");
    ASSERT_DIAG(&diags, "bad.yaml:16:", "sensors[1].max_range_m", "must exceed");
    ASSERT_DIAG(&diags, "bad.yaml:17:", "sensors[1].scan_period_s", "[0.01, 3600]");
    ASSERT_DIAG(&diags, "bad.yaml:21:", "sensors[2].radial_velocity", "maybe");
    ASSERT_DIAG(&diags, "bad.yaml:22:", "sensors[2].sigma_azimuth_deg", "number");
    ASSERT_DIAG(&diags, "bad.yaml:27:", "sensors[3].max_elevation_deg", "must exceed");
    ASSERT_DIAG(&diags, "bad.yaml:30:", "zones[0].circle.radius_m", "positive");
    ASSERT_DIAG(&diags, "bad.yaml:32:", "zones[1].polygon", "at least 3");
    ASSERT_DIAG(&diags, "bad.yaml:34:", "zones[2].polygon", "cross");
    ASSERT_DIAG(&diags, "bad.yaml:36:", "zones[3].polygon", "no area");
    ASSERT_DIAG(&diags, "bad.yaml:38:", "zones[4].circle", "not both");
    ASSERT_DIAG(&diags, "bad.yaml:40:", "zones[5].altitude_m", "lower bound");
    ASSERT_DIAG(&diags, "bad.yaml:43:", "zones[6].priority", "[1, 9]");
    ASSERT_DIAG(&diags, "bad.yaml:45:", "zones[7]", "circle or polygon");
    ASSERT_DIAG(&diags, "bad.yaml:48:", "zones[8]", "not both");
    ASSERT_DIAG(&diags, "bad.yaml:49:", "trackr", "tracker");
    /* (Duplicate ids and names are compared among sensors without other errors only: see
     * test_duplicates.) */
    assert_true(diags.n >= 21);
}

/* Regression (review): positive but absurdly small resolution keys were accepted, and the
 * simulator then hung (1e9 scans in a second) or took gigabytes (1e9 range cells or beams). */
static void test_resolution_lower_bounds(void **state)
{
    (void)state;
    static const struct { const char *kv, *path, *range; } cases[] = {
        {"scan_period_s: 1e-9", "sensors[0].scan_period_s", "[0.01, 3600]"},
        {"range_cell_m: 1e-9", "sensors[0].range_cell_m", "[0.1, 10000]"},
        {"beamwidth_az_deg: 1e-9", "sensors[0].beamwidth_az_deg", "[0.01, 360]"},
        {"beamwidth_el_deg: 0.001", "sensors[0].beamwidth_el_deg", "[0.01, 180]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "site: {name: t, reference: {lat_deg: 33, lon_deg: 44}}\n"
                 "sensors:\n"
                 "  - name: r\n"
                 "    sac: 1\n"
                 "    sic: 1\n"
                 "    %s\n", cases[i].kv);
        lo_test_diags diags;
        lo_test_diags_init(&diags, false);
        lo_site site;
        assert_int_equal(lo_site_load_string(yaml, "res.yaml", &site, &diags.sink), -1);
        assert_int_equal(diags.n, 1);
        ASSERT_DIAG(&diags, "res.yaml:6:", cases[i].path, cases[i].range);
    }
    /* The bounds themselves load. */
    const char *ok = "site: {name: t, reference: {lat_deg: 33, lon_deg: 44}}\n"
                     "sensors:\n"
                     "  - {name: r, sac: 1, sic: 1, scan_period_s: 0.01, range_cell_m: 0.1,\n"
                     "     beamwidth_az_deg: 0.01, beamwidth_el_deg: 0.01}\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load_string(ok, "ok.yaml", &site, &diags.sink), 0);
    assert_near(site.sensors[0].scan_period_s, 0.01, 0);
    assert_near(site.sensors[0].range_cell_m, 0.1, 0);
    lo_site_free(&site);
}

/* A Doppler-spread radar must be a Doppler radar: refused with the key's place, and loaded
 * when both are set. */
static void test_doppler_spread_needs_doppler(void **state)
{
    (void)state;
    const char *no_doppler = "site: {name: t, reference: {lat_deg: 33, lon_deg: 44}}\n"
                             "sensors:\n"
                             "  - name: r\n"
                             "    sac: 1\n"
                             "    sic: 1\n"
                             "    doppler_spread: true\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load_string(no_doppler, "ds.yaml", &site, &diags.sink), -1);
    assert_int_equal(diags.n, 1);
    ASSERT_DIAG(&diags, "ds.yaml:6:", "sensors[0].doppler_spread", "radial_velocity: true");
    const char *ok = "site: {name: t, reference: {lat_deg: 33, lon_deg: 44}}\n"
                     "sensors:\n"
                     "  - {name: r, sac: 1, sic: 1, radial_velocity: true, doppler_spread: true}\n";
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string(ok, "ok.yaml", &site, &diags.sink), 0);
    assert_true(site.sensors[0].measures_doppler_spread);
    lo_site_free(&site);
}

static void test_duplicates(void **state)
{
    (void)state;
    const char *dup = "site:\n"
                      "  reference: {lat_deg: 33.3, lon_deg: 44.4}\n"
                      "sensors:\n"
                      "  - {name: a, sac: 1, sic: 1}\n"
                      "  - {name: b, sac: 1, sic: 1}\n"
                      "  - {name: a, sac: 1, sic: 2}\n"
                      "zones:\n"
                      "  - {name: z, circle: {radius_m: 10}}\n"
                      "  - {name: z, circle: {radius_m: 20}}\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load_string(dup, "dup.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "dup.yaml:5:", "sensors[1]", "id 257");
    ASSERT_DIAG(&diags, "dup.yaml:6:", "sensors[2]", "name 'a'");
    ASSERT_DIAG(&diags, "dup.yaml:9:", "zones[1]", "zone name 'z'");
    assert_int_equal(diags.n, 3);

    /* Empty names are refused too. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site: {reference: [1, 2]}\n"
                                         "sensors: [{name: '', sac: 1, sic: 1}]\n"
                                         "zones: [{name: '', circle: {radius_m: 5}}]\n",
                                         "empty.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "empty.yaml:2:", "sensors[0].name", "empty");
    ASSERT_DIAG(&diags, "empty.yaml:3:", "zones[0].name", "empty");
}

static void test_structure_errors(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_site site;

    /* Bad YAML syntax: line and column from the parser. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site:\n  name: [a, b\n  x: 1\n", "syn.yaml", &site,
                                         &diags.sink), -1);
    assert_int_equal(diags.n, 1);
    assert_non_null(strstr(diags.last, "syn.yaml:"));
    assert_non_null(strstr(diags.last, "YAML syntax"));

    /* Missing required section / keys. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("zones: []\n", "nosite.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "nosite.yaml:1:", "site", "required key is missing");
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site: {name: x}\n", "noref.yaml", &site, &diags.sink),
                     -1);
    ASSERT_DIAG(&diags, "noref.yaml:1:", "site.reference", "required");
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site:\n  reference: {lat_deg: 1}\n", "nolon.yaml",
                                         &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "nolon.yaml:2:", "site.reference.lon_deg", "required");

    /* Wrong shapes. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("- a\n- b\n", "list.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "list.yaml:1:", "mapping", NULL);
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site:\n  reference: [1, 2]\nsensors: {a: 1}\n",
                                         "shape.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "shape.yaml:3:", "sensors", "a list");
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("", "empty.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "empty.yaml", "empty", NULL);

    /* Unknown key in a nested mapping, and max_range given twice. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site:\n  reference: {lat_deg: 1, lon_deg: 2, alt_ft: 3}\n",
                                         "unk.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "unk.yaml:2:", "site.reference.alt_ft", "height_m");
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site:\n  reference: [1, 2]\nsensors:\n"
                                         "  - {name: a, sac: 1, sic: 1, max_range_m: 5000,\n"
                                         "     max_range_km: 5}\n",
                                         "both.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "both.yaml:5:", "sensors[0].max_range_km", "not both");

    /* A file that is not there. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load("/nonexistent/site.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "/nonexistent/site.yaml", "cannot open", NULL);
}

/* A polygon repeating its first vertex at the end is closed, not degenerate. */
static void test_closed_polygon_ring(void **state)
{
    (void)state;
    const char *ring = "site:\n  reference: [33.3, 44.4]\nzones:\n"
                       "  - name: ring\n"
                       "    polygon: [[33.30, 44.40], [33.30, 44.41], [33.31, 44.41], "
                       "[33.30, 44.40]]\n";
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load_string(ring, "ring.yaml", &site, &diags.sink), 0);
    assert_int_equal(site.zones[0].n_vertices, 3);
    assert_near(site.zones[0].vertex_enu[0][0], 0, 1e-6);
    assert_near(site.zones[0].vertex_enu[0][1], 0, 1e-6);
    /* Centre: the triangle's centroid, the mean of its vertices. */
    const lo_zone *z = &site.zones[0];
    assert_near(z->center_enu[0], (z->vertex_enu[0][0] + z->vertex_enu[1][0] + z->vertex_enu[2][0]) / 3,
                1e-6);
    assert_near(z->center_enu[1], (z->vertex_enu[0][1] + z->vertex_enu[1][1] + z->vertex_enu[2][1]) / 3,
                1e-6);
    assert_true(lo_zone_contains_xy(z, z->center_enu));
    lo_site_free(&site);

    /* More vertices than a zone holds. */
    char big[8192];
    size_t used = (size_t)snprintf(big, sizeof big, "site: {reference: [33.3, 44.4]}\n"
                                                    "zones:\n  - name: many\n    polygon:\n");
    for (int i = 0; i < LO_ZONE_MAX_VERTICES + 1; i++) {
        double a = 2 * LO_PI * i / (LO_ZONE_MAX_VERTICES + 1);
        used += (size_t)snprintf(big + used, sizeof big - used, "      - [%.6f, %.6f]\n",
                                 33.3 + 0.01 * sin(a), 44.4 + 0.01 * cos(a));
    }
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string(big, "big.yaml", &site, &diags.sink), -1);
    ASSERT_DIAG(&diags, "big.yaml:", "zones[0].polygon", "more than 64");

    /* Empty sections; the short position list checked like the long form. */
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site: {reference: [33.3, 44.4]}\nsensors:\nzones: ~\n",
                                         "nulls.yaml", &site, &diags.sink), 0);
    assert_int_equal(site.n_sensors, 0);
    lo_site_free(&site);
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site: {reference: [33.3, 190]}\n", "lon.yaml", &site,
                                         &diags.sink), -1);
    ASSERT_DIAG(&diags, "lon.yaml:1:", "site.reference", "longitude 190");
    lo_test_diags_init(&diags, false);
    assert_int_equal(lo_site_load_string("site: {reference: [33.3]}\n", "one.yaml", &site,
                                         &diags.sink), -1);
    ASSERT_DIAG(&diags, "one.yaml:1:", "site.reference", "[lat_deg, lon_deg]");
}

static lo_zone make_polygon(int n, const double (*v)[2])
{
    lo_zone z;
    memset(&z, 0, sizeof z);
    z.shape = LO_ZONE_POLYGON;
    z.n_vertices = n;
    for (int i = 0; i < n; i++) {
        z.vertex_enu[i][0] = v[i][0];
        z.vertex_enu[i][1] = v[i][1];
    }
    z.alt_min_m = 0;
    z.alt_max_m = 100;
    return z;
}

static void test_zone_geometry(void **state)
{
    (void)state;
    lo_zone circle;
    memset(&circle, 0, sizeof circle);
    circle.shape = LO_ZONE_CIRCLE;
    circle.center_enu[0] = 100;
    circle.center_enu[1] = -50;
    circle.radius_m = 30;
    assert_true(lo_zone_contains_xy(&circle, (double[2]){100, -50}));
    assert_near(lo_zone_edge_distance(&circle, (double[2]){100, -50}), -30, 1e-12);
    assert_near(lo_zone_edge_distance(&circle, (double[2]){100, -30}), -10, 1e-12);
    /* (130, -10): 3-4-5 triangle scaled by 10 from the centre: 50 - 30 = 20 outside. */
    assert_false(lo_zone_contains_xy(&circle, (double[2]){130, -10}));
    assert_near(lo_zone_edge_distance(&circle, (double[2]){130, -10}), 20, 1e-12);

    /* Square 0..100: inside, outside beside an edge, outside past a corner. */
    static const double sq[4][2] = {{0, 0}, {100, 0}, {100, 100}, {0, 100}};
    lo_zone square = make_polygon(4, sq);
    assert_true(lo_zone_contains_xy(&square, (double[2]){50, 50}));
    assert_near(lo_zone_edge_distance(&square, (double[2]){50, 50}), -50, 1e-12);
    assert_near(lo_zone_edge_distance(&square, (double[2]){10, 70}), -10, 1e-12);
    assert_false(lo_zone_contains_xy(&square, (double[2]){150, 50}));
    assert_near(lo_zone_edge_distance(&square, (double[2]){150, 50}), 50, 1e-12);
    assert_near(lo_zone_edge_distance(&square, (double[2]){130, 140}), 50, 1e-12);
    assert_near(lo_zone_edge_distance(&square, (double[2]){-3, -4}), 5, 1e-12);

    /* Concave L (clockwise order works too): the notch at (75, 75) is outside. */
    static const double ell[6][2] = {{0, 0}, {0, 100}, {50, 100}, {50, 50}, {100, 50}, {100, 0}};
    lo_zone l = make_polygon(6, ell);
    assert_true(lo_zone_contains_xy(&l, (double[2]){25, 75}));
    assert_true(lo_zone_contains_xy(&l, (double[2]){75, 25}));
    assert_false(lo_zone_contains_xy(&l, (double[2]){75, 75}));
    assert_near(lo_zone_edge_distance(&l, (double[2]){75, 75}), 25, 1e-12);
    assert_near(lo_zone_edge_distance(&l, (double[2]){60, 60}), 10, 1e-12);
    /* Beside the L's corner (100, 50) and inside near its reflex corner (50, 50). */
    assert_near(lo_zone_edge_distance(&l, (double[2]){110, 60}), 10 * sqrt(2), 1e-12);
    assert_near(lo_zone_edge_distance(&l, (double[2]){45, 45}), -5 * sqrt(2), 1e-12);

    /* Altitude band. */
    assert_true(lo_zone_contains_enu(&square, (double[3]){50, 50, 0}));
    assert_true(lo_zone_contains_enu(&square, (double[3]){50, 50, 100}));
    assert_false(lo_zone_contains_enu(&square, (double[3]){50, 50, 100.5}));
    assert_false(lo_zone_contains_enu(&square, (double[3]){50, 50, -1}));
    assert_false(lo_zone_contains_enu(&square, (double[3]){150, 50, 50}));

    /* Sign agrees with containment on a grid. */
    for (int x = -20; x <= 120; x += 7)
        for (int y = -20; y <= 120; y += 7) {
            double p[2] = {x + 0.5, y + 0.25};
            assert_true(lo_zone_contains_xy(&l, p) == (lo_zone_edge_distance(&l, p) < 0));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_green_zone_fixture),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_resolution_lower_bounds),
        cmocka_unit_test(test_doppler_spread_needs_doppler),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_closed_polygon_ring),
        cmocka_unit_test(test_zone_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
