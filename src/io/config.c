/*
 * config.c: the site configuration file (see lookout/config.h and docs/config.md).
 *
 * Reading goes section by section and never stops at the first problem: every bad key is
 * reported through the sink with its key path and line, and only at the end does a file with
 * errors get refused as a whole. Defaults live in one place (sensor_defaults, zone defaults
 * below) and docs/config.md lists the same numbers.
 */
#include "lookout/config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc.h"

#define PATH_MAX_LEN 256

static const char *const top_keys[] = {
    "site",       "sensors", "zones",  "targets", "clutter", "simulation", "tracker",
    "classifier", "alerts",  "service", "outputs", "nats",    "regions", NULL,
};
static const char *const site_keys[] = {"name", "reference", "propagation", NULL};
static const char *const position_keys[] = {"lat_deg", "lon_deg", "height_m", NULL};
static const char *const propagation_names[] = {"straight", "4/3-earth", NULL};
static const char *const sensor_kind_names[] = {"rotating", "staring", NULL};
static const char *const sensor_keys[] = {
    "name",                      "sac",               "sic",
    "kind",                      "dimensions",        "position",
    "scan_period_s",             "north_azimuth_deg", "sigma_range_m",
    "sigma_azimuth_deg",         "sigma_elevation_deg", "sigma_radial_velocity_mps",
    "bias_range_m",              "bias_azimuth_deg",  "min_range_m",
    "max_range_m",               "max_range_km",      "min_elevation_deg",
    "max_elevation_deg",         "reference_rcs_m2",  "reference_range_m",
    "reference_snr_db",          "pfa",               "range_cell_m",
    "beamwidth_az_deg",          "beamwidth_el_deg",  "radial_velocity",
    "doppler_spread",            NULL,
};
static const char *const zone_keys[] = {"name", "priority", "circle", "polygon", "altitude_m",
                                        NULL};
static const char *const circle_keys[] = {"bearing_deg", "distance_m", "lat_deg", "lon_deg",
                                          "radius_m", NULL};

/* Defaults of every optional sensor key, in SI. docs/config.md lists the same values. */
static lo_sensor sensor_defaults(void)
{
    lo_sensor s = {
        .kind = LO_SENSOR_ROTATING,
        .has_elevation = true,
        .scan_period_s = 1.0,
        .north_azimuth_rad = 0.0,
        .sigma_range_m = 10.0,
        .sigma_azimuth_rad = 0.5 * LO_DEG2RAD,
        .sigma_elevation_rad = 1.0 * LO_DEG2RAD,
        .sigma_radial_velocity_mps = 1.0,
        .min_range_m = 100.0,
        .max_range_m = 20000.0,
        .min_elevation_rad = -2.0 * LO_DEG2RAD,
        .max_elevation_rad = 60.0 * LO_DEG2RAD,
        .ref_rcs_m2 = 0.01,
        .ref_range_m = 15000.0,
        .ref_snr_db = 13.0,
        .pfa = 1e-6,
        .range_cell_m = 30.0,
        .beamwidth_az_rad = 2.0 * LO_DEG2RAD,
        .beamwidth_el_rad = 10.0 * LO_DEG2RAD,
        .measures_radial_velocity = false,
    };
    return s;
}

#define ZONE_DEFAULT_PRIORITY 1
#define ZONE_DEFAULT_ALT_MIN_M 0.0
#define ZONE_DEFAULT_ALT_MAX_M 1500.0

/* ---- small reading helpers ------------------------------------------------------------- */

/* The part of a key before its unit suffix: "max_range" for "max_range_nm". */
static size_t key_stem_len(const char *key)
{
    const char *u = strrchr(key, '_');
    return u ? (size_t)(u - key) : strlen(key);
}

/* Append "sep item" to a list in buf; returns the new length. */
static size_t append_item(char *buf, size_t len, size_t used, const char *sep, const char *item)
{
    if (used >= len)
        return used;
    int w = snprintf(buf + used, len - used, "%s%s", used ? sep : "", item);
    return w > 0 ? used + (size_t)w : used;
}

/*
 * Like lo_ycheck_keys (an unknown key is an error listing the accepted keys), but a key whose
 * stem matches accepted keys, i.e. a unit we do not take such as max_range_nm, first names
 * those: a sensor's full key list is longer than one diagnostic line holds.
 */
static bool check_keys(lo_yctx *c, const lo_ynode *map, const char *path,
                       const char *const *allowed)
{
    bool ok = true;
    size_t n = lo_ymap_size(c->doc, map);
    for (size_t i = 0; i < n; i++) {
        const char *k = lo_ymap_key_at(c->doc, map, i);
        bool known = false;
        for (const char *const *a = allowed; k && *a && !known; a++)
            known = strcmp(*a, k) == 0;
        if (known)
            continue;
        ok = false;
        char same[128] = "", all[512] = "";
        size_t n_same = 0, n_all = 0;
        size_t stem = k ? key_stem_len(k) : 0;
        for (const char *const *a = allowed; *a; a++) {
            n_all = append_item(all, sizeof all, n_all, ", ", *a);
            if (stem > 0 && key_stem_len(*a) == stem && strncmp(*a, k, stem) == 0)
                n_same = append_item(same, sizeof same, n_same, " or ", *a);
        }
        char kp[PATH_MAX_LEN];
        lo_ypath_key(kp, sizeof kp, path, k ? k : "?");
        if (n_same)
            lo_yerror(c, lo_ymap_value_at(c->doc, map, i), kp,
                      "unknown key: did you mean %s? (accepted: %s)", same, all);
        else
            lo_yerror(c, lo_ymap_value_at(c->doc, map, i), kp,
                      "unknown key (expected one of: %s)", all);
    }
    return ok;
}

static bool expect_kind(lo_yctx *c, const lo_ynode *n, const char *path, lo_ykind kind)
{
    if (lo_ynode_kind(c->doc, n) == kind)
        return true;
    static const char *const what[] = {"nothing", "a single value", "a list", "a mapping"};
    lo_yerror(c, n, path, "expected %s, got %s", what[kind], what[lo_ynode_kind(c->doc, n)]);
    return false;
}

/* `sensors:` with nothing after it: YAML's null, taken as an empty list. */
static bool is_empty_value(lo_yctx *c, const lo_ynode *n)
{
    const char *v = lo_ynode_scalar(c->doc, n);
    return v && (v[0] == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

/* Names label outputs and alerts: an empty one would be invisible. */
static void require_nonempty(lo_yctx *c, const lo_ynode *map, const char *path, const char *name)
{
    if (name[0])
        return;
    char kp[PATH_MAX_LEN];
    lo_yerror(c, lo_ymap_get(c->doc, map, "name"), lo_ypath_key(kp, sizeof kp, path, "name"),
              "must not be empty");
}

/* An angle key in degrees -> radians, inside [min_deg, max_deg]. */
static bool get_deg(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                    bool required, double min_deg, double max_deg, double *out_rad)
{
    double deg = *out_rad * LO_RAD2DEG;
    if (!lo_yget_double(c, map, path, key, required, min_deg, max_deg, &deg))
        return false;
    *out_rad = deg * LO_DEG2RAD;
    return true;
}

/* A strictly positive number up to max. The getter's bounds are inclusive, so zero is checked
 * here to give a message that says "positive". */
static bool get_positive(lo_yctx *c, const lo_ynode *map, const char *path, const char *key,
                         double max, double *out)
{
    const lo_ynode *n = lo_ymap_get(c->doc, map, key);
    double v = *out;
    if (!lo_yget_double(c, map, path, key, false, -HUGE_VAL, max, &v))
        return false;
    if (n && !(v > 0)) {
        char kp[PATH_MAX_LEN];
        lo_yerror(c, n, lo_ypath_key(kp, sizeof kp, path, key), "must be positive, got %g", v);
        return false;
    }
    *out = v;
    return true;
}

/* {lat_deg, lon_deg, height_m} (height optional, default `default_h`), or [lat, lon, h]. */
static bool get_position(lo_yctx *c, const lo_ynode *n, const char *path, double default_h,
                         lo_geodetic *out)
{
    double lat = 0, lon = 0, h = default_h;
    if (lo_ynode_kind(c->doc, n) == LO_Y_SEQUENCE) {
        size_t len = lo_yseq_size(c->doc, n);
        if (len != 2 && len != 3) {
            lo_yerror(c, n, path, "expected [lat_deg, lon_deg] or [lat_deg, lon_deg, height_m]");
            return false;
        }
        double v[3] = {0, 0, default_h};
        for (size_t i = 0; i < len; i++) {
            char ip[PATH_MAX_LEN];
            lo_ypath_index(ip, sizeof ip, path, i);
            const lo_ynode *item = lo_yseq_at(c->doc, n, i);
            const char *s = lo_ynode_scalar(c->doc, item);
            if (!s || !lo_yparse_double(s, &v[i])) {
                lo_yerror(c, item, ip, "expected a number, got '%s'", s ? s : "(a list or mapping)");
                return false;
            }
        }
        lat = v[0], lon = v[1], h = v[2];
        bool ok = true;
        if (lat < -90 || lat > 90) {
            lo_yerror(c, lo_yseq_at(c->doc, n, 0), path, "latitude %g is outside [-90, 90]", lat);
            ok = false;
        }
        if (lon < -180 || lon > 180) {
            lo_yerror(c, lo_yseq_at(c->doc, n, 1), path, "longitude %g is outside [-180, 180]",
                      lon);
            ok = false;
        }
        if (h < -1000 || h > 100000) {
            lo_yerror(c, lo_yseq_at(c->doc, n, 2), path, "height %g m is outside [-1000, 100000]",
                      h);
            ok = false;
        }
        if (!ok)
            return false;
    } else {
        if (!expect_kind(c, n, path, LO_Y_MAPPING))
            return false;
        bool ok = check_keys(c, n, path, position_keys);
        ok &= lo_yget_double(c, n, path, "lat_deg", true, -90, 90, &lat);
        ok &= lo_yget_double(c, n, path, "lon_deg", true, -180, 180, &lon);
        ok &= lo_yget_double(c, n, path, "height_m", false, -1000, 100000, &h);
        if (!ok)
            return false;
    }
    out->lat = lat * LO_DEG2RAD;
    out->lon = lon * LO_DEG2RAD;
    out->h = h;
    return true;
}

/* ---- site ------------------------------------------------------------------------------- */

static bool read_site(lo_yctx *c, const lo_ynode *root, lo_site *site)
{
    const lo_ynode *n = lo_ymap_get(c->doc, root, "site");
    if (!n) {
        lo_yerror(c, root, "site", "required key is missing");
        return false;
    }
    if (!expect_kind(c, n, "site", LO_Y_MAPPING))
        return false;
    check_keys(c, n, "site", site_keys);
    snprintf(site->name, sizeof site->name, "site");
    lo_yget_string(c, n, "site", "name", false, site->name, sizeof site->name);
    int prop = LO_PROP_4_3_EARTH;
    if (lo_yget_enum(c, n, "site", "propagation", false, propagation_names, &prop))
        site->propagation = prop == 0 ? LO_PROP_STRAIGHT : LO_PROP_4_3_EARTH;

    const lo_ynode *ref = lo_ymap_get(c->doc, n, "reference");
    if (!ref) {
        lo_yerror(c, n, "site.reference", "required key is missing");
        return false;
    }
    if (!get_position(c, ref, "site.reference", 0.0, &site->reference))
        return false;
    lo_enu_frame_init(&site->frame, &site->reference);
    return true;
}

/* ---- sensors ---------------------------------------------------------------------------- */

static bool read_sensor(lo_yctx *c, const lo_ynode *n, const char *path, const lo_site *site,
                        lo_sensor *s)
{
    int errors_before = c->errors;
    if (!expect_kind(c, n, path, LO_Y_MAPPING))
        return false;
    check_keys(c, n, path, sensor_keys);
    *s = sensor_defaults();

    if (lo_yget_string(c, n, path, "name", true, s->name, sizeof s->name))
        require_nonempty(c, n, path, s->name);
    long sac = 0, sic = 0, dims = 3;
    lo_yget_int(c, n, path, "sac", true, 0, 255, &sac);
    lo_yget_int(c, n, path, "sic", true, 0, 255, &sic);
    s->sac = (uint8_t)sac;
    s->sic = (uint8_t)sic;
    s->id = (uint16_t)((sac << 8) | sic);
    int kind = LO_SENSOR_ROTATING;
    if (lo_yget_enum(c, n, path, "kind", false, sensor_kind_names, &kind))
        s->kind = kind == 0 ? LO_SENSOR_ROTATING : LO_SENSOR_STARING;
    if (lo_yget_int(c, n, path, "dimensions", false, 2, 3, &dims))
        s->has_elevation = dims == 3;

    lo_geodetic pos = site->reference;
    const lo_ynode *pn = lo_ymap_get(c->doc, n, "position");
    if (pn) {
        char pp[PATH_MAX_LEN];
        get_position(c, pn, lo_ypath_key(pp, sizeof pp, path, "position"), site->reference.h,
                     &pos);
    }
    s->lat = pos.lat;
    s->lon = pos.lon;
    s->height_m = pos.h;

    /* Lower bounds on the resolution keys: a scan period of 1e-9 s or a range cell or beam of
     * 1e-9 is accepted by "positive" but asks the simulator for 1e9 scans or beam positions
     * (it hung, or took gigabytes). The bounds are far beyond any real radar's. */
    lo_yget_double(c, n, path, "scan_period_s", false, 0.01, 3600, &s->scan_period_s);
    get_deg(c, n, path, "north_azimuth_deg", false, -360, 360, &s->north_azimuth_rad);
    s->north_azimuth_rad = lo_wrap_2pi(s->north_azimuth_rad);

    get_positive(c, n, path, "sigma_range_m", 10000, &s->sigma_range_m);
    double sig_az = s->sigma_azimuth_rad * LO_RAD2DEG, sig_el = s->sigma_elevation_rad * LO_RAD2DEG;
    if (get_positive(c, n, path, "sigma_azimuth_deg", 45, &sig_az))
        s->sigma_azimuth_rad = sig_az * LO_DEG2RAD;
    if (get_positive(c, n, path, "sigma_elevation_deg", 45, &sig_el))
        s->sigma_elevation_rad = sig_el * LO_DEG2RAD;
    get_positive(c, n, path, "sigma_radial_velocity_mps", 1000, &s->sigma_radial_velocity_mps);
    lo_yget_double(c, n, path, "bias_range_m", false, -10000, 10000, &s->bias_range_m);
    get_deg(c, n, path, "bias_azimuth_deg", false, -180, 180, &s->bias_azimuth_rad);

    /* Range: metres, or kilometres for the maximum; both at once is ambiguous. */
    lo_yget_double(c, n, path, "min_range_m", false, 0, 1e7, &s->min_range_m);
    const lo_ynode *max_m = lo_ymap_get(c->doc, n, "max_range_m");
    const lo_ynode *max_km = lo_ymap_get(c->doc, n, "max_range_km");
    const lo_ynode *max_node = max_m ? max_m : max_km;
    if (max_m && max_km) {
        char kp[PATH_MAX_LEN];
        lo_yerror(c, max_km, lo_ypath_key(kp, sizeof kp, path, "max_range_km"),
                  "give max_range_m or max_range_km, not both");
    } else if (max_m) {
        get_positive(c, n, path, "max_range_m", 1e7, &s->max_range_m);
    } else if (max_km) {
        double km = s->max_range_m / 1000.0;
        if (get_positive(c, n, path, "max_range_km", 1e4, &km))
            s->max_range_m = km * 1000.0;
    }
    if (s->min_range_m >= s->max_range_m) {
        char kp[PATH_MAX_LEN];
        lo_yerror(c, max_node ? max_node : lo_ymap_get(c->doc, n, "min_range_m"),
                  lo_ypath_key(kp, sizeof kp, path, max_km && !max_m ? "max_range_km" : "max_range_m"),
                  "maximum range %g m must exceed min_range_m %g m", s->max_range_m, s->min_range_m);
    }

    bool el_ok = get_deg(c, n, path, "min_elevation_deg", false, -90, 90, &s->min_elevation_rad);
    el_ok &= get_deg(c, n, path, "max_elevation_deg", false, -90, 90, &s->max_elevation_rad);
    if (el_ok && s->min_elevation_rad >= s->max_elevation_rad) {
        char kp[PATH_MAX_LEN];
        const lo_ynode *at = lo_ymap_get(c->doc, n, "max_elevation_deg");
        lo_yerror(c, at ? at : lo_ymap_get(c->doc, n, "min_elevation_deg"),
                  lo_ypath_key(kp, sizeof kp, path, "max_elevation_deg"),
                  "maximum elevation %g deg must exceed min_elevation_deg %g deg",
                  s->max_elevation_rad * LO_RAD2DEG, s->min_elevation_rad * LO_RAD2DEG);
    }

    get_positive(c, n, path, "reference_rcs_m2", 1e6, &s->ref_rcs_m2);
    get_positive(c, n, path, "reference_range_m", 1e7, &s->ref_range_m);
    lo_yget_double(c, n, path, "reference_snr_db", false, -50, 150, &s->ref_snr_db);
    const lo_ynode *pfa_node = lo_ymap_get(c->doc, n, "pfa");
    double pfa = s->pfa;
    if (lo_yget_double(c, n, path, "pfa", false, 0, 1, &pfa)) {
        if (pfa_node && !(pfa > 0 && pfa < 1)) {
            char kp[PATH_MAX_LEN];
            lo_yerror(c, pfa_node, lo_ypath_key(kp, sizeof kp, path, "pfa"),
                      "false-alarm probability %g must be strictly between 0 and 1", pfa);
        } else {
            s->pfa = pfa;
        }
    }
    lo_yget_double(c, n, path, "range_cell_m", false, 0.1, 10000, &s->range_cell_m);
    double bw_az = s->beamwidth_az_rad * LO_RAD2DEG, bw_el = s->beamwidth_el_rad * LO_RAD2DEG;
    if (lo_yget_double(c, n, path, "beamwidth_az_deg", false, 0.01, 360, &bw_az))
        s->beamwidth_az_rad = bw_az * LO_DEG2RAD;
    if (lo_yget_double(c, n, path, "beamwidth_el_deg", false, 0.01, 180, &bw_el))
        s->beamwidth_el_rad = bw_el * LO_DEG2RAD;
    lo_yget_bool(c, n, path, "radial_velocity", false, &s->measures_radial_velocity);
    lo_yget_bool(c, n, path, "doppler_spread", false, &s->measures_doppler_spread);
    if (s->measures_doppler_spread && !s->measures_radial_velocity) {
        char kp[256];
        lo_yerror(c, lo_ymap_get(c->doc, n, "doppler_spread"), lo_ypath_key(kp, sizeof kp, path, "doppler_spread"),
                  "a Doppler spread needs a Doppler radar: set radial_velocity: true as well");
    }

    lo_geodetic_to_enu(&site->frame, &pos, s->enu);
    return c->errors == errors_before;
}

static void read_sensors(lo_yctx *c, const lo_ynode *root, lo_site *site)
{
    const lo_ynode *seq = lo_ymap_get(c->doc, root, "sensors");
    if (!seq || is_empty_value(c, seq))
        return;
    if (!expect_kind(c, seq, "sensors", LO_Y_SEQUENCE))
        return;
    size_t n = lo_yseq_size(c->doc, seq);
    if (n == 0)
        return;
    if (n > 65536) {
        lo_yerror(c, seq, "sensors", "too many sensors (%zu)", n);
        return;
    }
    site->sensors = calloc(n, sizeof *site->sensors);
    site->sensor_frames = calloc(n, sizeof *site->sensor_frames);
    if (!site->sensors || !site->sensor_frames) {
        lo_yerror(c, seq, "sensors", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX_LEN];
        lo_ypath_index(path, sizeof path, "sensors", i);
        const lo_ynode *item = lo_yseq_at(c->doc, seq, i);
        lo_sensor *s = &site->sensors[site->n_sensors];
        if (!read_sensor(c, item, path, site, s))
            continue; /* reported; the rest are still checked */
        for (int j = 0; j < site->n_sensors; j++) {
            if (site->sensors[j].id == s->id)
                lo_yerror(c, item, path,
                          "sensor id %u (sac %u, sic %u) is already used by sensor '%s'",
                          (unsigned)s->id, (unsigned)s->sac, (unsigned)s->sic,
                          site->sensors[j].name);
            if (strcmp(site->sensors[j].name, s->name) == 0)
                lo_yerror(c, item, path, "sensor name '%s' is already used", s->name);
        }
        lo_geodetic pos = {s->lat, s->lon, s->height_m};
        lo_enu_frame_init(&site->sensor_frames[site->n_sensors], &pos);
        site->n_sensors++;
    }
}

/* ---- zones ------------------------------------------------------------------------------ */

/* Twice the signed area of a polygon (counter-clockwise positive). */
static double polygon_area2(int n, const double (*v)[2])
{
    double a = 0;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        a += v[i][0] * v[j][1] - v[j][0] * v[i][1];
    }
    return a;
}

static double cross3(const double a[2], const double b[2], const double c[2])
{
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

static bool on_segment(const double a[2], const double b[2], const double p[2])
{
    return fmin(a[0], b[0]) <= p[0] && p[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= p[1] &&
           p[1] <= fmax(a[1], b[1]);
}

/* Do closed segments ab and cd share a point? */
static bool segments_intersect(const double a[2], const double b[2], const double c[2],
                               const double d[2])
{
    double d1 = cross3(c, d, a), d2 = cross3(c, d, b), d3 = cross3(a, b, c), d4 = cross3(a, b, d);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return true;
    if (d1 == 0 && on_segment(c, d, a)) return true;
    if (d2 == 0 && on_segment(c, d, b)) return true;
    if (d3 == 0 && on_segment(a, b, c)) return true;
    if (d4 == 0 && on_segment(a, b, d)) return true;
    return false;
}

static bool read_polygon(lo_yctx *c, const lo_ynode *pn, const char *path, const lo_site *site,
                         lo_zone *z)
{
    if (!expect_kind(c, pn, path, LO_Y_SEQUENCE))
        return false;
    size_t n = lo_yseq_size(c->doc, pn);
    bool ok = true;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char ip[PATH_MAX_LEN];
        lo_ypath_index(ip, sizeof ip, path, i);
        const lo_ynode *item = lo_yseq_at(c->doc, pn, i);
        if (lo_ynode_kind(c->doc, item) != LO_Y_SEQUENCE || lo_yseq_size(c->doc, item) != 2) {
            lo_yerror(c, item, ip, "expected a vertex [lat_deg, lon_deg]");
            ok = false;
            continue;
        }
        double v[2];
        bool vok = true;
        for (size_t k = 0; k < 2; k++) {
            char kp[PATH_MAX_LEN + 8];
            snprintf(kp, sizeof kp, "%s[%zu]", ip, k);
            const lo_ynode *num = lo_yseq_at(c->doc, item, k);
            const char *s = lo_ynode_scalar(c->doc, num);
            double lim = k == 0 ? 90 : 180;
            if (!s || !lo_yparse_double(s, &v[k])) {
                lo_yerror(c, num, kp, "expected a number, got '%s'", s ? s : "(a list or mapping)");
                vok = false;
            } else if (v[k] < -lim || v[k] > lim) {
                lo_yerror(c, num, kp, "%s %g is outside [%g, %g]", k == 0 ? "latitude" : "longitude",
                          v[k], -lim, lim);
                vok = false;
            }
        }
        if (!vok) {
            ok = false;
            continue;
        }
        if (count >= LO_ZONE_MAX_VERTICES) {
            lo_yerror(c, item, path, "more than %d vertices", LO_ZONE_MAX_VERTICES);
            return false;
        }
        z->vertex_lat[count] = v[0] * LO_DEG2RAD;
        z->vertex_lon[count] = v[1] * LO_DEG2RAD;
        count++;
    }
    if (!ok)
        return false;
    /* GIS files often repeat the first vertex at the end to close the ring: accept that. */
    if (count > 3 && z->vertex_lat[count - 1] == z->vertex_lat[0] &&
        z->vertex_lon[count - 1] == z->vertex_lon[0])
        count--;
    if (count < 3) {
        lo_yerror(c, pn, path, "a polygon needs at least 3 vertices, got %d", count);
        return false;
    }
    z->n_vertices = count;
    for (int i = 0; i < count; i++) {
        lo_geodetic g = {z->vertex_lat[i], z->vertex_lon[i], site->reference.h};
        double enu[3];
        lo_geodetic_to_enu(&site->frame, &g, enu);
        z->vertex_enu[i][0] = enu[0];
        z->vertex_enu[i][1] = enu[1];
    }
    /* Degenerate shapes: repeated vertices, zero area, crossing edges. */
    for (int i = 0; i < count; i++) {
        int j = (i + 1) % count;
        if (hypot(z->vertex_enu[i][0] - z->vertex_enu[j][0],
                  z->vertex_enu[i][1] - z->vertex_enu[j][1]) < 0.01) {
            char ip[PATH_MAX_LEN];
            lo_yerror(c, lo_yseq_at(c->doc, pn, (size_t)j), lo_ypath_index(ip, sizeof ip, path, (size_t)j),
                      "vertex repeats the one before it");
            return false;
        }
    }
    for (int i = 0; i < count; i++) {
        for (int j = i + 1; j < count; j++) {
            /* Adjacent edges share a vertex by construction; skip those pairs. */
            if (j == i + 1 || (i == 0 && j == count - 1))
                continue;
            if (segments_intersect(z->vertex_enu[i], z->vertex_enu[(i + 1) % count],
                                   z->vertex_enu[j], z->vertex_enu[(j + 1) % count])) {
                lo_yerror(c, pn, path, "polygon edges %d-%d and %d-%d cross", i, (i + 1) % count,
                          j, (j + 1) % count);
                return false;
            }
        }
    }
    /* No area: vertices on one line, up to the decimetre by which a line of constant lat/lon
     * slope bends in the plane (three such points 3 km apart: area / perimeter^2 = 5e-6).
     * Relative to the perimeter, so a 10 km strip must be wider than 0.4 m. */
    double perimeter = 0;
    for (int i = 0; i < count; i++)
        perimeter += hypot(z->vertex_enu[(i + 1) % count][0] - z->vertex_enu[i][0],
                           z->vertex_enu[(i + 1) % count][1] - z->vertex_enu[i][1]);
    double area = 0.5 * fabs(polygon_area2(count, (const double(*)[2])z->vertex_enu));
    if (area < 1e-5 * perimeter * perimeter) {
        lo_yerror(c, pn, path, "polygon has no area (its vertices lie on one line)");
        return false;
    }
    /* The area centroid as the zone's centre, for "2 km E of district" and the display. */
    double a2 = polygon_area2(count, (const double(*)[2])z->vertex_enu), cx = 0, cy = 0;
    for (int i = 0; i < count; i++) {
        const double *p = z->vertex_enu[i], *q = z->vertex_enu[(i + 1) % count];
        double w = p[0] * q[1] - q[0] * p[1];
        cx += (p[0] + q[0]) * w;
        cy += (p[1] + q[1]) * w;
    }
    z->center_enu[0] = cx / (3.0 * a2);
    z->center_enu[1] = cy / (3.0 * a2);
    lo_geodetic cg;
    lo_enu_to_geodetic(&site->frame, (double[3]){z->center_enu[0], z->center_enu[1], 0.0}, &cg);
    z->center_lat = cg.lat;
    z->center_lon = cg.lon;
    return true;
}

static bool read_circle(lo_yctx *c, const lo_ynode *cn, const char *path, const lo_site *site,
                        lo_zone *z)
{
    if (!expect_kind(c, cn, path, LO_Y_MAPPING))
        return false;
    bool ok = check_keys(c, cn, path, circle_keys);
    bool relative = lo_ymap_get(c->doc, cn, "bearing_deg") || lo_ymap_get(c->doc, cn, "distance_m");
    bool absolute = lo_ymap_get(c->doc, cn, "lat_deg") || lo_ymap_get(c->doc, cn, "lon_deg");
    if (relative && absolute) {
        lo_yerror(c, cn, path, "give either bearing_deg + distance_m (from the reference point) "
                               "or lat_deg + lon_deg, not both");
        return false;
    }
    double radius = 0;
    const lo_ynode *rn = lo_ymap_get(c->doc, cn, "radius_m");
    if (!rn) {
        char kp[PATH_MAX_LEN];
        lo_yerror(c, cn, lo_ypath_key(kp, sizeof kp, path, "radius_m"), "required key is missing");
        ok = false;
    } else {
        ok &= get_positive(c, cn, path, "radius_m", 1e6, &radius);
    }
    z->shape = LO_ZONE_CIRCLE;
    z->radius_m = radius;
    if (absolute) {
        double lat = 0, lon = 0;
        ok &= lo_yget_double(c, cn, path, "lat_deg", true, -90, 90, &lat);
        ok &= lo_yget_double(c, cn, path, "lon_deg", true, -180, 180, &lon);
        if (!ok)
            return false;
        lo_geodetic g = {lat * LO_DEG2RAD, lon * LO_DEG2RAD, site->reference.h};
        double enu[3];
        lo_geodetic_to_enu(&site->frame, &g, enu);
        z->center_lat = g.lat;
        z->center_lon = g.lon;
        z->center_enu[0] = enu[0];
        z->center_enu[1] = enu[1];
    } else {
        /* Relative to the reference point; both default to 0: a circle around it. */
        double bearing = 0, distance = 0;
        ok &= lo_yget_double(c, cn, path, "bearing_deg", false, -360, 360, &bearing);
        ok &= lo_yget_double(c, cn, path, "distance_m", false, 0, 1e6, &distance);
        if (!ok)
            return false;
        double enu[3] = {distance * sin(bearing * LO_DEG2RAD), distance * cos(bearing * LO_DEG2RAD),
                         0.0};
        lo_geodetic g;
        lo_enu_to_geodetic(&site->frame, enu, &g);
        z->center_lat = g.lat;
        z->center_lon = g.lon;
        z->center_enu[0] = enu[0];
        z->center_enu[1] = enu[1];
    }
    return ok;
}

static bool read_zone(lo_yctx *c, const lo_ynode *n, const char *path, const lo_site *site,
                      lo_zone *z)
{
    int errors_before = c->errors;
    if (!expect_kind(c, n, path, LO_Y_MAPPING))
        return false;
    check_keys(c, n, path, zone_keys);
    memset(z, 0, sizeof *z);
    if (lo_yget_string(c, n, path, "name", true, z->name, sizeof z->name))
        require_nonempty(c, n, path, z->name);
    long priority = ZONE_DEFAULT_PRIORITY;
    lo_yget_int(c, n, path, "priority", false, 1, 9, &priority);
    z->priority = (int)priority;

    double band[2] = {ZONE_DEFAULT_ALT_MIN_M, ZONE_DEFAULT_ALT_MAX_M};
    if (lo_yget_double_list(c, n, path, "altitude_m", false, band, 2) && band[0] >= band[1]) {
        char kp[PATH_MAX_LEN];
        lo_yerror(c, lo_ymap_get(c->doc, n, "altitude_m"),
                  lo_ypath_key(kp, sizeof kp, path, "altitude_m"),
                  "altitude band [%g, %g] m: the lower bound must be below the upper", band[0],
                  band[1]);
    }
    z->alt_min_m = band[0];
    z->alt_max_m = band[1];

    const lo_ynode *cn = lo_ymap_get(c->doc, n, "circle");
    const lo_ynode *pn = lo_ymap_get(c->doc, n, "polygon");
    char kp[PATH_MAX_LEN];
    if (cn && pn) {
        lo_yerror(c, pn, path, "a zone is a circle or a polygon, not both");
    } else if (cn) {
        read_circle(c, cn, lo_ypath_key(kp, sizeof kp, path, "circle"), site, z);
    } else if (pn) {
        z->shape = LO_ZONE_POLYGON;
        read_polygon(c, pn, lo_ypath_key(kp, sizeof kp, path, "polygon"), site, z);
    } else {
        lo_yerror(c, n, path, "a zone needs a shape: circle or polygon");
    }
    return c->errors == errors_before;
}

static void read_zones(lo_yctx *c, const lo_ynode *root, lo_site *site)
{
    const lo_ynode *seq = lo_ymap_get(c->doc, root, "zones");
    if (!seq || is_empty_value(c, seq))
        return;
    if (!expect_kind(c, seq, "zones", LO_Y_SEQUENCE))
        return;
    size_t n = lo_yseq_size(c->doc, seq);
    if (n == 0)
        return;
    if (n > 65536) {
        lo_yerror(c, seq, "zones", "too many zones (%zu)", n);
        return;
    }
    site->zones = calloc(n, sizeof *site->zones);
    if (!site->zones) {
        lo_yerror(c, seq, "zones", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX_LEN];
        lo_ypath_index(path, sizeof path, "zones", i);
        const lo_ynode *item = lo_yseq_at(c->doc, seq, i);
        lo_zone *z = &site->zones[site->n_zones];
        if (!read_zone(c, item, path, site, z))
            continue;
        for (int j = 0; j < site->n_zones; j++)
            if (strcmp(site->zones[j].name, z->name) == 0)
                lo_yerror(c, item, path, "zone name '%s' is already used", z->name);
        site->n_zones++;
    }
}

/* ---- loading ---------------------------------------------------------------------------- */

static int load_doc(lo_ydoc *doc, const char *source, lo_site *site, lo_diag_sink *sink)
{
    memset(site, 0, sizeof *site);
    site->propagation = LO_PROP_4_3_EARTH;
    if (!doc)
        return -1; /* the syntax error is already reported */
    site->doc = doc;
    site->path = strdup(source);
    lo_yctx c = {.doc = doc, .sink = sink};
    const lo_ynode *root = lo_ydoc_root(doc);
    if (!root) {
        lo_yerror(&c, NULL, NULL, "empty file: a site needs at least 'site' with a 'reference'");
    } else if (expect_kind(&c, root, "", LO_Y_MAPPING)) {
        check_keys(&c, root, "", top_keys);
        /* Sensors and zones are placed relative to the reference point, so they are read
         * only when it is valid (their own errors would otherwise be noise). */
        if (read_site(&c, root, site)) {
            read_sensors(&c, root, site);
            read_zones(&c, root, site);
        }
    }
    if (c.errors > 0 || !site->path) {
        lo_site_free(site);
        return -1;
    }
    return 0;
}

int lo_site_load(const char *path, lo_site *site, lo_diag_sink *sink)
{
    return load_doc(lo_ydoc_load_file(path, sink), path, site, sink);
}

int lo_site_load_string(const char *yaml, const char *source_name, lo_site *site,
                        lo_diag_sink *sink)
{
    const char *name = source_name ? source_name : "<string>";
    return load_doc(lo_ydoc_load_string(yaml, strlen(yaml), name, sink), name, site, sink);
}

void lo_site_free(lo_site *site)
{
    if (!site)
        return;
    free(site->path);
    free(site->sensors);
    free(site->sensor_frames);
    free(site->zones);
    lo_ydoc_free(site->doc);
    memset(site, 0, sizeof *site);
}

/* ---- lookups and zone geometry ---------------------------------------------------------- */

int lo_site_sensor_index(const lo_site *site, uint16_t sensor_id)
{
    for (int i = 0; i < site->n_sensors; i++)
        if (site->sensors[i].id == sensor_id)
            return i;
    return -1;
}

/* Even-odd rule; points exactly on an edge may fall either way, which is why callers wanting
 * a boundary decision use the signed distance. */
static bool polygon_contains(const lo_zone *z, const double p[2])
{
    bool inside = false;
    int n = z->n_vertices;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        const double *a = z->vertex_enu[i], *b = z->vertex_enu[j];
        if ((a[1] > p[1]) != (b[1] > p[1])) {
            double x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if (p[0] < x)
                inside = !inside;
        }
    }
    return inside;
}

static double segment_distance(const double a[2], const double b[2], const double p[2])
{
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0.0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

bool lo_zone_contains_xy(const lo_zone *z, const double xy[2])
{
    if (z->shape == LO_ZONE_CIRCLE)
        return hypot(xy[0] - z->center_enu[0], xy[1] - z->center_enu[1]) <= z->radius_m;
    if (z->n_vertices < 3)
        return false;
    return polygon_contains(z, xy);
}

double lo_zone_edge_distance(const lo_zone *z, const double xy[2])
{
    if (z->shape == LO_ZONE_CIRCLE)
        return hypot(xy[0] - z->center_enu[0], xy[1] - z->center_enu[1]) - z->radius_m;
    if (z->n_vertices < 2)
        return HUGE_VAL;
    double best = HUGE_VAL;
    for (int i = 0; i < z->n_vertices; i++) {
        double d = segment_distance(z->vertex_enu[i], z->vertex_enu[(i + 1) % z->n_vertices], xy);
        if (d < best)
            best = d;
    }
    return polygon_contains(z, xy) ? -best : best;
}

bool lo_zone_contains_enu(const lo_zone *z, const double enu[3])
{
    return enu[2] >= z->alt_min_m && enu[2] <= z->alt_max_m && lo_zone_contains_xy(z, enu);
}
