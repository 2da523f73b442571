/* The scenario sections of a site file: `simulation`, `targets` and `clutter` (docs/simulator.md).
 * Read from the site's YAML document with the typed getters, so every error names its key path
 * and line. Numbers that the model randomises may be given as one value or as [min, max]. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookout/config.h"
#include "lookout/formats.h"
#include "lookout/geo.h"
#include "sim/sim_internal.h"

typedef struct parse_ctx {
    lo_yctx y;
    const lo_site *site;
    double ground_m;   /* ground above the ellipsoid */
} parse_ctx;

/* A number or a [min, max] pair; absent keeps out[] (the default). */
static bool get_range(parse_ctx *p, const lo_ynode *map, const char *path, const char *key,
                      double min, double max, double out[2])
{
    const lo_ydoc *d = p->y.doc;
    const lo_ynode *n = lo_ymap_get(d, map, key);
    if (!n) return true;
    char kp[256];
    lo_ypath_key(kp, sizeof kp, path, key);
    if (lo_ynode_kind(d, n) == LO_Y_SCALAR) {
        double v = out[0];
        if (!lo_yget_double(&p->y, map, path, key, true, min, max, &v)) return false;
        out[0] = out[1] = v;
        return true;
    }
    double v[2];
    if (!lo_yget_double_list(&p->y, map, path, key, true, v, 2)) return false;
    if (v[0] > v[1] || v[0] < min || v[1] > max) {
        lo_yerror(&p->y, n, kp, "expected [min, max] with %g <= min <= max <= %g", min, max);
        return false;
    }
    out[0] = v[0];
    out[1] = v[1];
    return true;
}

/* Start times must lie in 1970..2286: the simulation steps time in fractions of a second, which
 * a double far beyond that cannot resolve (start: 1e300 hung the run; 1e17 silently simulated
 * nothing). */
#define SIM_MAX_START_S 1e10

/* simulation.start: the same epoch seconds or ISO 8601 as the CSV time column (lo_parse_time),
 * within 1970..2286. */
static bool parse_time(const char *s, double *out)
{
    return lo_parse_time(s, out) && *out >= 0 && *out <= SIM_MAX_START_S;
}

static const char *const point_keys[] = {"zone",  "bearing_deg", "distance_m", "x_m",
                                         "y_m",   "lat_deg",     "lon_deg",    "agl_m",
                                         "z_m",   "height_m",    NULL};

/* A point: horizontally a zone centre, and/or bearing+distance or x/y from it (or from the
 * reference), or lat/lon; vertically agl_m (above the ground), z_m (system ENU up) or
 * height_m (above the WGS-84 ellipsoid). */
static bool parse_point(parse_ctx *p, const lo_ynode *n, const char *path, sim_point *out)
{
    const lo_ydoc *d = p->y.doc;
    int e0 = p->y.errors;
    if (!n || lo_ynode_kind(d, n) != LO_Y_MAPPING) {
        lo_yerror(&p->y, n, path, "expected a position mapping, e.g. {bearing_deg: 90, distance_m: 2000, agl_m: 100}");
        return false;
    }
    lo_ycheck_keys(&p->y, n, path, point_keys);
    double x = 0, y = 0;
    char zone[LO_NAME_MAX] = "";
    lo_yget_string(&p->y, n, path, "zone", false, zone, sizeof zone);
    if (zone[0]) {
        int found = -1;
        for (int i = 0; i < p->site->n_zones; i++)
            if (!strcmp(p->site->zones[i].name, zone)) found = i;
        if (found < 0) {
            char kp[256];
            lo_yerror(&p->y, lo_ymap_get(d, n, "zone"), lo_ypath_key(kp, sizeof kp, path, "zone"),
                      "no zone named '%s' in zones:", zone);
        } else {
            const lo_zone *z = &p->site->zones[found];
            if (z->shape == LO_ZONE_CIRCLE) {
                x = z->center_enu[0];
                y = z->center_enu[1];
            } else if (z->n_vertices > 0) {
                for (int v = 0; v < z->n_vertices; v++) {
                    x += z->vertex_enu[v][0] / z->n_vertices;
                    y += z->vertex_enu[v][1] / z->n_vertices;
                }
            }
        }
    }
    bool has_b = lo_ymap_get(d, n, "bearing_deg") || lo_ymap_get(d, n, "distance_m");
    bool has_xy = lo_ymap_get(d, n, "x_m") || lo_ymap_get(d, n, "y_m");
    bool has_ll = lo_ymap_get(d, n, "lat_deg") || lo_ymap_get(d, n, "lon_deg");
    if (has_b + has_xy + has_ll > 1 || (has_ll && zone[0]))
        lo_yerror(&p->y, n, path, "give one of bearing_deg/distance_m, x_m/y_m or lat_deg/lon_deg");
    if (has_b) {
        double b = 0, r = 0;
        lo_yget_double(&p->y, n, path, "bearing_deg", true, -360, 360, &b);
        lo_yget_double(&p->y, n, path, "distance_m", true, 0, 1e6, &r);
        x += r * sin(b * LO_DEG2RAD);
        y += r * cos(b * LO_DEG2RAD);
    } else if (has_xy) {
        double dx = 0, dy = 0;
        lo_yget_double(&p->y, n, path, "x_m", true, -1e6, 1e6, &dx);
        lo_yget_double(&p->y, n, path, "y_m", true, -1e6, 1e6, &dy);
        x += dx;
        y += dy;
    } else if (has_ll) {
        double lat = 0, lon = 0;
        lo_yget_double(&p->y, n, path, "lat_deg", true, -90, 90, &lat);
        lo_yget_double(&p->y, n, path, "lon_deg", true, -180, 180, &lon);
        lo_geodetic g = {lat * LO_DEG2RAD, lon * LO_DEG2RAD, p->site->reference.h};
        double enu[3];
        lo_geodetic_to_enu(&p->site->frame, &g, enu);
        x = enu[0];
        y = enu[1];
    }
    int nv = !!lo_ymap_get(d, n, "agl_m") + !!lo_ymap_get(d, n, "z_m") + !!lo_ymap_get(d, n, "height_m");
    if (nv > 1) lo_yerror(&p->y, n, path, "give one of agl_m, z_m or height_m");
    double a = 0, v = 0;
    if (lo_ymap_get(d, n, "agl_m")) {
        lo_yget_double(&p->y, n, path, "agl_m", true, -100, 20000, &a);
    } else if (lo_ymap_get(d, n, "z_m")) {
        lo_yget_double(&p->y, n, path, "z_m", true, -1000, 20000, &v);
        a = v + p->site->reference.h - p->ground_m + (x * x + y * y) / (2 * p->site->frame.earth_radius_m);
    } else if (lo_ymap_get(d, n, "height_m")) {
        lo_yget_double(&p->y, n, path, "height_m", true, -1000, 20000, &v);
        a = v - p->ground_m;
    }
    out->x = x;
    out->y = y;
    out->a = a;
    return p->y.errors == e0;
}

static bool parse_point_list(parse_ctx *p, const lo_ynode *map, const char *path, const char *key,
                             sim_point *pts, int *n, int min_n)
{
    const lo_ydoc *d = p->y.doc;
    const lo_ynode *seq = lo_ymap_get(d, map, key);
    char kp[256], ip[280];
    lo_ypath_key(kp, sizeof kp, path, key);
    if (!seq) {
        if (min_n > 0) lo_yerror(&p->y, map, kp, "required key is missing");
        return min_n == 0;
    }
    if (lo_ynode_kind(d, seq) != LO_Y_SEQUENCE) {
        lo_yerror(&p->y, seq, kp, "expected a list of positions");
        return false;
    }
    size_t len = lo_yseq_size(d, seq);
    if ((int)len < min_n || len > SIM_MAX_WAYPOINTS) {
        lo_yerror(&p->y, seq, kp, "expected %d to %d positions, got %zu", min_n, SIM_MAX_WAYPOINTS, len);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < len; i++)
        ok &= parse_point(p, lo_yseq_at(d, seq, i), lo_ypath_index(ip, sizeof ip, kp, i), &pts[i]);
    *n = (int)len;
    return ok;
}

/* Defaults by kind, from ../shared/reference/targets-and-radar.md. */
static void spec_defaults(sim_target_spec *s)
{
    s->count = 1;
    s->swerling = 1;
    s->course_noise_deg = 3;
    s->home_radius_m = 1500;
    s->flock_radius_m = 40;
    s->split_rate_per_min = 0.5;
    s->dive_distance_m[0] = 800;
    s->dive_distance_m[1] = 1500;
    s->agl_m[0] = 30;
    s->agl_m[1] = 150;
    s->replay_to_s = 0;
#define R2(field, lo, hi) (s->field[0] = (lo), s->field[1] = (hi))
    switch (s->kind) {
    case SIM_MULTIROTOR: R2(speed_mps, 8, 15); R2(rcs_m2, 0.01, 0.1); break;
    case SIM_FIXED_WING: R2(speed_mps, 25, 40); R2(rcs_m2, 0.05, 0.5); break;
    case SIM_BIRD: R2(speed_mps, 8, 15); R2(rcs_m2, 0.001, 0.01); R2(wingbeat_hz, 4, 8); break;
    case SIM_BIRD_FLOCK:
        R2(speed_mps, 9, 14); R2(rcs_m2, 0.001, 0.01); R2(wingbeat_hz, 4, 8);
        s->count = 20; s->home_radius_m = 800; s->max_turn_rate_deg_s = 15;
        break;
    case SIM_SOARING_BIRD: R2(speed_mps, 8, 15); R2(rcs_m2, 0.01, 0.05); R2(agl_m, 150, 800); R2(wingbeat_hz, 2, 3); break;
    case SIM_ROCKET: R2(rcs_m2, 0.01, 0.05); R2(elevation_deg, 30, 45); R2(speed_mps, 300, 700); s->drag_per_m = 2e-5; s->swerling = 0; break;
    case SIM_MORTAR: R2(rcs_m2, 0.005, 0.02); R2(elevation_deg, 60, 80); R2(speed_mps, 70, 320); s->drag_per_m = 6e-5; s->swerling = 0; break;
    case SIM_AIRLINER: R2(speed_mps, 75, 90); R2(rcs_m2, 10, 100); s->course_noise_deg = 0.5; break;
    case SIM_HELICOPTER: R2(speed_mps, 30, 50); R2(rcs_m2, 3, 10); s->course_noise_deg = 2; break;
    case SIM_GROUND_VEHICLE: R2(speed_mps, 8, 15); R2(rcs_m2, 1, 10); break;
    case SIM_REPLAY: R2(rcs_m2, 0.1, 1); break;
    case SIM_WIND_TURBINE: R2(rcs_m2, 100, 1000); s->tip_speed_mps = 70; break;
    default: break;
    }
#undef R2
}

static lo_class replay_default_rcs(lo_class c, double rcs[2])
{
    static const double tab[LO_CLASS_COUNT][2] = {
        [LO_CLASS_UNKNOWN] = {0.1, 1},        [LO_CLASS_MULTIROTOR] = {0.01, 0.1},
        [LO_CLASS_FIXED_WING] = {0.05, 0.5},  [LO_CLASS_BIRD] = {0.001, 0.01},
        [LO_CLASS_AIRLINER] = {10, 100},      [LO_CLASS_HELICOPTER] = {3, 10},
        [LO_CLASS_LIGHT_AIRCRAFT] = {1, 5},   [LO_CLASS_ROCKET] = {0.01, 0.05},
        [LO_CLASS_GROUND_VEHICLE] = {1, 10},  [LO_CLASS_CLUTTER] = {0.1, 1},
    };
    rcs[0] = tab[c][0];
    rcs[1] = tab[c][1];
    return c;
}

/* out = a + "/" + b, truncated to len (a path that long fails later at open, with its name). */
static void join_path(char *out, size_t len, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > len) {
        out[0] = 0;
        return;
    }
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
}

static void resolve_path(const lo_site *site, const char *in, char *out, size_t len)
{
    /* "$SHARED/..." is the shared data folder: $LOOKOUT_SHARED_DIR, else ../shared beside the
     * repository the scenario sits in (scenarios/../../shared), else beside the source tree. */
    char dir[1024] = ".";
    if (site->path) {
        snprintf(dir, sizeof dir, "%s", site->path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
    }
    if (!strncmp(in, "$SHARED/", 8)) {
        const char *env = getenv("LOOKOUT_SHARED_DIR");
        char cand[1200];
        if (env && env[0]) {
            join_path(out, len, env, in + 8);
            return;
        }
        snprintf(cand, sizeof cand, "%s/../../shared", dir);
        if (access(cand, F_OK) == 0) {
            join_path(out, len, cand, in + 8);
            return;
        }
#ifdef LOOKOUT_SOURCE_DIR
        join_path(out, len, LOOKOUT_SOURCE_DIR "/../shared", in + 8);
#else
        join_path(out, len, cand, in + 8);
#endif
        return;
    }
    if (in[0] == '/') snprintf(out, len, "%s", in);
    else join_path(out, len, dir, in);
}

static const char *const common_keys[] = {"kind", "name", "count", "spread_m", "start_s", "end_s",
                                          "rcs_m2", "swerling", "position", "heading_deg", "speed_mps",
                                          "mode_s_address", "mode_3a"};
static const char *const guided_keys[] = {"waypoints", "loop", "patrol_radius_m", "hover_s", "target", "target_spread_m",
                                          "dive_distance_m", "course_noise_deg", "max_turn_rate_deg_s",
                                          "stop_rate_per_min"};
static const char *const bird_keys[] = {"agl_m", "home_radius_m", "wingbeat_hz", "wander_deg_s",
                                        "flock_radius_m", "split_rate_per_min"};
static const char *const ballistic_keys[] = {"impact", "impact_spread_m", "flight_time_s",
                                             "elevation_deg", "azimuth_deg", "drag_per_m"};
static const char *const road_keys[] = {"road"};
static const char *const replay_keys[] = {"path", "gnss_path", "class", "icao24", "from_s", "to_s"};
static const char *const turbine_keys[] = {"tip_speed_mps"};

#define NKEYS(a) (sizeof(a) / sizeof(a[0]))

static void allowed_for(sim_kind k, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < NKEYS(common_keys); i++) out[n++] = common_keys[i];
#define ADD(arr) for (size_t i = 0; i < NKEYS(arr); i++) out[n++] = arr[i]
    switch (k) {
    case SIM_MULTIROTOR: case SIM_FIXED_WING: case SIM_AIRLINER: case SIM_HELICOPTER: ADD(guided_keys); break;
    case SIM_BIRD: case SIM_BIRD_FLOCK: case SIM_SOARING_BIRD: ADD(bird_keys); break;
    case SIM_ROCKET: case SIM_MORTAR: ADD(ballistic_keys); break;
    case SIM_GROUND_VEHICLE: ADD(road_keys); break;
    case SIM_REPLAY: ADD(replay_keys); break;
    case SIM_WIND_TURBINE: ADD(turbine_keys); break;
    default: break;
    }
#undef ADD
    out[n] = NULL;
}

static bool parse_target(parse_ctx *p, const lo_ynode *n, const char *path, sim_target_spec *s,
                         bool turbine)
{
    const lo_ydoc *d = p->y.doc;
    int e0 = p->y.errors;
    if (lo_ynode_kind(d, n) != LO_Y_MAPPING) {
        lo_yerror(&p->y, n, path, "expected a mapping with at least 'kind' and 'position'");
        return false;
    }
    memset(s, 0, sizeof *s);
    int kind = SIM_WIND_TURBINE;
    if (!turbine) {
        static const char *const kinds[] = {"multirotor", "fixed_wing", "bird", "bird_flock",
                                            "soaring_bird", "rocket", "mortar", "airliner",
                                            "helicopter", "ground_vehicle", "replay", NULL};
        if (!lo_yget_enum(&p->y, n, path, "kind", true, kinds, &kind)) return false;
    }
    s->kind = (sim_kind)kind;
    spec_defaults(s);
    snprintf(s->key_path, sizeof s->key_path, "%s", path);
    s->line = lo_ynode_line(d, n);
    const char *allowed[64];
    allowed_for(s->kind, allowed);
    if (turbine) allowed[0] = "name"; /* no 'kind' under clutter.wind_turbines */
    lo_ycheck_keys(&p->y, n, path, allowed);
    snprintf(s->name, sizeof s->name, "%s", sim_kind_names[kind]);
    lo_yget_string(&p->y, n, path, "name", false, s->name, sizeof s->name);
    long count = s->count;
    lo_yget_int(&p->y, n, path, "count", false, 1, 1000000, &count);
    s->count = (int)count;
    lo_yget_double(&p->y, n, path, "spread_m", false, 0, 1e5, &s->spread_m);
    get_range(p, n, path, "start_s", 0, 1e7, s->start_s);
    lo_yget_double(&p->y, n, path, "end_s", false, 0, 1e7, &s->end_s);
    if (s->kind == SIM_REPLAY) {
        char cls[32] = "";
        if (lo_yget_string(&p->y, n, path, "class", true, cls, sizeof cls)) {
            if (!lo_class_from_name(cls, &s->cls)) {
                char kp[256];
                lo_yerror(&p->y, lo_ymap_get(d, n, "class"), lo_ypath_key(kp, sizeof kp, path, "class"),
                          "unknown class '%s'", cls);
            } else {
                replay_default_rcs(s->cls, s->rcs_m2);
            }
        }
    }
    get_range(p, n, path, "rcs_m2", 1e-6, 1e5, s->rcs_m2);
    long sw = s->swerling;
    lo_yget_int(&p->y, n, path, "swerling", false, 0, 1, &sw);
    s->swerling = (int)sw;
    char kp[256];
    const lo_ynode *pos = lo_ymap_get(d, n, "position");
    if (!pos && s->kind != SIM_GROUND_VEHICLE)
        lo_yerror(&p->y, n, lo_ypath_key(kp, sizeof kp, path, "position"), "required key is missing");
    else if (pos)
        parse_point(p, pos, lo_ypath_key(kp, sizeof kp, path, "position"), &s->position);
    if (lo_ymap_get(d, n, "heading_deg")) {
        s->has_heading = true;
        get_range(p, n, path, "heading_deg", -360, 360, s->heading_deg);
    }
    get_range(p, n, path, "speed_mps", 0, 3000, s->speed_mps);
    get_range(p, n, path, "agl_m", 0, 20000, s->agl_m);
    get_range(p, n, path, "hover_s", 0, 1e5, s->hover_s);
    lo_yget_bool(&p->y, n, path, "loop", false, &s->loop);
    lo_yget_double(&p->y, n, path, "patrol_radius_m", false, 0, 1e5, &s->patrol_radius_m);
    lo_yget_double(&p->y, n, path, "course_noise_deg", false, 0, 90, &s->course_noise_deg);
    lo_yget_double(&p->y, n, path, "max_turn_rate_deg_s", false, 0.1, 360, &s->max_turn_rate_deg_s);
    lo_yget_double(&p->y, n, path, "wander_deg_s", false, 0, 360, &s->max_turn_rate_deg_s);
    lo_yget_double(&p->y, n, path, "stop_rate_per_min", false, 0, 60, &s->stop_rate_per_min);
    lo_yget_double(&p->y, n, path, "home_radius_m", false, 0, 1e5, &s->home_radius_m);
    get_range(p, n, path, "wingbeat_hz", 0, 30, s->wingbeat_hz);
    lo_yget_double(&p->y, n, path, "flock_radius_m", false, 1, 1e4, &s->flock_radius_m);
    lo_yget_double(&p->y, n, path, "split_rate_per_min", false, 0, 60, &s->split_rate_per_min);
    get_range(p, n, path, "dive_distance_m", 0, 1e5, s->dive_distance_m);
    lo_yget_double(&p->y, n, path, "tip_speed_mps", false, 0, 200, &s->tip_speed_mps);
    if (s->kind != SIM_GROUND_VEHICLE)
        parse_point_list(p, n, path, "waypoints", s->waypoints, &s->n_waypoints, 0);
    const lo_ynode *aim = lo_ymap_get(d, n, s->kind == SIM_ROCKET || s->kind == SIM_MORTAR ? "impact" : "target");
    if (aim) {
        bool ball = s->kind == SIM_ROCKET || s->kind == SIM_MORTAR;
        parse_point(p, aim, lo_ypath_key(kp, sizeof kp, path, ball ? "impact" : "target"),
                    ball ? &s->impact : &s->aim);
        if (ball) s->has_impact = true;
        else s->has_aim = true;
    }
    lo_yget_double(&p->y, n, path, "target_spread_m", false, 0, 1e4, &s->aim_jitter_m);
    lo_yget_double(&p->y, n, path, "impact_spread_m", false, 0, 1e4, &s->aim_jitter_m);
    if (s->kind == SIM_ROCKET || s->kind == SIM_MORTAR) {
        bool has_t = lo_ymap_get(d, n, "flight_time_s") != NULL;
        get_range(p, n, path, "flight_time_s", 0.5, 300, s->flight_time_s);
        get_range(p, n, path, "elevation_deg", 1, 89, s->elevation_deg);
        lo_yget_double(&p->y, n, path, "azimuth_deg", false, -360, 360, &s->azimuth_deg);
        lo_yget_double(&p->y, n, path, "drag_per_m", false, 0, 0.1, &s->drag_per_m);
        if (!has_t) s->flight_time_s[0] = s->flight_time_s[1] = 0;
        if (!s->has_impact && !lo_ymap_get(d, n, "azimuth_deg"))
            lo_yerror(&p->y, n, path, "a %s needs 'impact' (a position), or 'azimuth_deg' with "
                      "speed_mps and elevation_deg", sim_kind_names[kind]);
    }
    if (s->kind == SIM_GROUND_VEHICLE) {
        parse_point_list(p, n, path, "road", s->waypoints, &s->n_waypoints, 2);
        if (!pos && s->n_waypoints > 0) s->position = s->waypoints[0];
    }
    /* Secondary radar codes: "4b43ac" (hex, 24 bits) and "7000" (octal, 4 digits). */
    char code[16] = "";
    if (lo_yget_string(&p->y, n, path, "mode_s_address", false, code, sizeof code) && code[0]) {
        char *end;
        unsigned long v = strtoul(code, &end, 16);
        if (*end || v > 0xFFFFFF || strlen(code) > 6)
            lo_yerror(&p->y, lo_ymap_get(d, n, "mode_s_address"), lo_ypath_key(kp, sizeof kp, path, "mode_s_address"),
                      "expected a 24-bit address in hex such as \"4b43ac\", got '%s'", code);
        s->has_mode_s = true;
        s->mode_s = (uint32_t)v;
    }
    code[0] = 0;
    if (lo_yget_string(&p->y, n, path, "mode_3a", false, code, sizeof code) && code[0]) {
        char *end;
        unsigned long v = strtoul(code, &end, 8);
        if (*end || strlen(code) != 4)
            lo_yerror(&p->y, lo_ymap_get(d, n, "mode_3a"), lo_ypath_key(kp, sizeof kp, path, "mode_3a"),
                      "expected a Mode 3/A code of four octal digits such as \"7000\", got '%s'", code);
        s->has_mode_3a = true;
        s->mode_3a = (uint16_t)v;
    }
    if (s->kind == SIM_REPLAY) {
        char file[900] = "", gnss[900] = "";
        if (lo_yget_string(&p->y, n, path, "path", true, file, sizeof file))
            resolve_path(p->site, file, s->replay_path, sizeof s->replay_path);
        if (lo_yget_string(&p->y, n, path, "gnss_path", false, gnss, sizeof gnss) && gnss[0])
            resolve_path(p->site, gnss, s->replay_gnss_path, sizeof s->replay_gnss_path);
        lo_yget_string(&p->y, n, path, "icao24", false, s->replay_icao24, sizeof s->replay_icao24);
        lo_yget_double(&p->y, n, path, "from_s", false, 0, 1e7, &s->replay_from_s);
        lo_yget_double(&p->y, n, path, "to_s", false, 0, 1e7, &s->replay_to_s);
    }
    return p->y.errors == e0;
}

static const char *const patch_keys[] = {"position", "radius_m", "plots_per_scan", "snr_db",
                                         "height_m", "doppler_sigma_mps", "drift_speed_mps",
                                         "drift_heading_deg", NULL};

static bool parse_patches(parse_ctx *p, const lo_ynode *clutter, const char *key, bool rain,
                          sim_clutter_patch **out, int *n_out)
{
    const lo_ydoc *d = p->y.doc;
    const lo_ynode *seq = lo_ymap_get(d, clutter, key);
    char kp[128], ip[160], pp[200];
    lo_ypath_key(kp, sizeof kp, "clutter", key);
    if (!seq) return true;
    if (lo_ynode_kind(d, seq) != LO_Y_SEQUENCE) {
        lo_yerror(&p->y, seq, kp, "expected a list");
        return false;
    }
    size_t len = lo_yseq_size(d, seq);
    *out = calloc(len ? len : 1, sizeof **out);
    if (!*out) return false;
    *n_out = (int)len;
    for (size_t i = 0; i < len; i++) {
        const lo_ynode *n = lo_yseq_at(d, seq, i);
        lo_ypath_index(ip, sizeof ip, kp, i);
        sim_clutter_patch *c = &(*out)[i];
        *c = (sim_clutter_patch){.radius_m = 300, .plots_per_scan = 2, .snr_db = 15,
                                 .height_m = rain ? 2000 : 20, .doppler_sigma_mps = rain ? 1.5 : 0.3};
        if (lo_ynode_kind(d, n) != LO_Y_MAPPING) {
            lo_yerror(&p->y, n, ip, "expected a mapping");
            continue;
        }
        lo_ycheck_keys(&p->y, n, ip, patch_keys);
        parse_point(p, lo_ymap_get(d, n, "position"), lo_ypath_key(pp, sizeof pp, ip, "position"), &c->center);
        lo_yget_double(&p->y, n, ip, "radius_m", false, 1, 1e5, &c->radius_m);
        lo_yget_double(&p->y, n, ip, "plots_per_scan", false, 0, 1e4, &c->plots_per_scan);
        lo_yget_double(&p->y, n, ip, "snr_db", false, -10, 80, &c->snr_db);
        lo_yget_double(&p->y, n, ip, "height_m", false, 0, 2e4, &c->height_m);
        lo_yget_double(&p->y, n, ip, "doppler_sigma_mps", false, 0, 100, &c->doppler_sigma_mps);
        double sp = 0, hd = 0;
        lo_yget_double(&p->y, n, ip, "drift_speed_mps", false, 0, 100, &sp);
        lo_yget_double(&p->y, n, ip, "drift_heading_deg", false, -360, 360, &hd);
        c->drift_east_mps = sp * sin(hd * LO_DEG2RAD);
        c->drift_north_mps = sp * cos(hd * LO_DEG2RAD);
    }
    return true;
}

static bool add_spec(sim_scenario *sc, int *cap, sim_target_spec **slot)
{
    if (sc->n_specs == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        sim_target_spec *ns = realloc(sc->specs, (size_t)nc * sizeof *ns);
        if (!ns) return false;
        sc->specs = ns;
        *cap = nc;
    }
    *slot = &sc->specs[sc->n_specs++];
    return true;
}

int sim_scenario_parse(const lo_site *site, sim_scenario *sc, lo_diag_sink *sink)
{
    memset(sc, 0, sizeof *sc);
    parse_ctx p = {.y = {.doc = site->doc, .sink = sink}, .site = site};
    const lo_ydoc *d = site->doc;
    const lo_ynode *root = d ? lo_ydoc_root(d) : NULL;
    if (!root) {
        lo_diag_report(sink, LO_DIAG_ERROR, site->path ? site->path : "<scenario>", 0, 0, -1, NULL,
                       "empty scenario");
        return -1;
    }
    sc->start_t = 1636246800.0; /* 2021-11-07T01:00:00Z, the night of the green-zone reports */
    sc->duration_s = 600;
    sc->seed = 1;
    sc->step_s = 0.25;
    sc->ground_height_m = site->reference.h;
    sc->sigma_knee_snr = 100; /* 20 dB */
    sc->thermal = true;

    const lo_ynode *sim = lo_ymap_get(d, root, "simulation");
    if (sim) {
        static const char *const keys[] = {"start", "duration_s", "seed", "step_s", "truth_rate_s",
                                           "ground_height_m", "sigma_knee_snr_db", NULL};
        lo_ycheck_keys(&p.y, sim, "simulation", keys);
        const lo_ynode *st = lo_ymap_get(d, sim, "start");
        if (st) {
            const char *txt = lo_ynode_scalar(d, st);
            if (!txt || !parse_time(txt, &sc->start_t))
                lo_yerror(&p.y, st, "simulation.start", "expected an ISO 8601 time such as "
                          "2021-11-07T01:00:00Z or epoch seconds, in 1970..2286, got '%s'", txt ? txt : "(not a scalar)");
        }
        lo_yget_double(&p.y, sim, "simulation", "duration_s", false, 0.001, 1e7, &sc->duration_s);
        long seed = 1;
        if (lo_yget_int(&p.y, sim, "simulation", "seed", false, 0, 0x7fffffffffffffffL, &seed))
            sc->seed = (uint64_t)seed;
        lo_yget_double(&p.y, sim, "simulation", "step_s", false, 0.01, 2.0, &sc->step_s);
        lo_yget_double(&p.y, sim, "simulation", "truth_rate_s", false, 0.01, 3600, &sc->truth_rate_s);
        lo_yget_double(&p.y, sim, "simulation", "ground_height_m", false, -500, 9000, &sc->ground_height_m);
        double knee_db = 20;
        if (lo_yget_double(&p.y, sim, "simulation", "sigma_knee_snr_db", false, 0, 60, &knee_db))
            sc->sigma_knee_snr = pow(10, knee_db / 10);
    }
    p.ground_m = sc->ground_height_m;

    int cap = 0;
    const lo_ynode *targets = lo_ymap_get(d, root, "targets");
    if (targets) {
        if (lo_ynode_kind(d, targets) != LO_Y_SEQUENCE) {
            lo_yerror(&p.y, targets, "targets", "expected a list of targets");
        } else {
            size_t n = lo_yseq_size(d, targets);
            for (size_t i = 0; i < n; i++) {
                char ip[64];
                sim_target_spec *s;
                if (!add_spec(sc, &cap, &s)) return -1;
                if (!parse_target(&p, lo_yseq_at(d, targets, i), lo_ypath_index(ip, sizeof ip, "targets", i), s, false))
                    sc->n_specs--;
            }
        }
    }
    const lo_ynode *clutter = lo_ymap_get(d, root, "clutter");
    if (clutter) {
        static const char *const keys[] = {"thermal", "split_probability", "ground", "rain",
                                           "wind_turbines", NULL};
        if (lo_ynode_kind(d, clutter) != LO_Y_MAPPING) {
            lo_yerror(&p.y, clutter, "clutter", "expected a mapping");
        } else {
            lo_ycheck_keys(&p.y, clutter, "clutter", keys);
            lo_yget_bool(&p.y, clutter, "clutter", "thermal", false, &sc->thermal);
            lo_yget_double(&p.y, clutter, "clutter", "split_probability", false, 0, 1,
                           &sc->split_probability);
            parse_patches(&p, clutter, "ground", false, &sc->ground, &sc->n_ground);
            parse_patches(&p, clutter, "rain", true, &sc->rain, &sc->n_rain);
            const lo_ynode *wt = lo_ymap_get(d, clutter, "wind_turbines");
            if (wt && lo_ynode_kind(d, wt) != LO_Y_SEQUENCE) {
                lo_yerror(&p.y, wt, "clutter.wind_turbines", "expected a list");
            } else if (wt) {
                for (size_t i = 0; i < lo_yseq_size(d, wt); i++) {
                    char ip[80];
                    sim_target_spec *s;
                    if (!add_spec(sc, &cap, &s)) return -1;
                    if (!parse_target(&p, lo_yseq_at(d, wt, i),
                                      lo_ypath_index(ip, sizeof ip, "clutter.wind_turbines", i), s, true))
                        sc->n_specs--;
                }
            }
        }
    }
    return p.y.errors ? -1 : 0;
}

void sim_scenario_free(sim_scenario *sc)
{
    free(sc->specs);
    free(sc->ground);
    free(sc->rain);
    memset(sc, 0, sizeof *sc);
}
