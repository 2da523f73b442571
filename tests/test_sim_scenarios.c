/* Scenario files: ballistic targets land where their launch parameters say (closed form without
 * drag, an independent integration with drag), bad scenario files are refused with the key
 * path and line, and every shipped scenario runs. */
#include <dirent.h>
#include <sys/stat.h>

#include "sim_testlib.h"

static char yaml[1 << 16];

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Flat height above ground of a truth position (the scenario's ground is at the reference). */
static double flat_agl(const sim_run *r, const lo_truth *t, double ground_minus_ref)
{
    double R = r->site.frame.earth_radius_m;
    return t->pos[2] - ground_minus_ref + (t->pos[0] * t->pos[0] + t->pos[1] * t->pos[1]) / (2 * R);
}

static void test_mortar_without_drag_closed_form(void **state)
{
    (void)state;
    /* 200 m/s at 50 degrees elevation toward azimuth 30, no drag, from level ground. */
    snprintf(yaml, sizeof yaml, "%s%s",
             sim_test_site("rotating", 3, 1e-6, "4/3-earth"),
             "simulation: {duration_s: 60, seed: 1, truth_rate_s: 0.05, ground_height_m: 45}\n"
             "clutter: {thermal: false}\n"
             "targets:\n"
             "  - {kind: mortar, drag_per_m: 0, speed_mps: 200, elevation_deg: 50, azimuth_deg: 30,\n"
             "     position: {x_m: 1000, y_m: 2000, agl_m: 0}}\n");
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    const double v = 200, el = 50 * LO_DEG2RAD, az = 30 * LO_DEG2RAD;
    const double flight = 2 * v * sin(el) / LO_G0, range = v * v * sin(2 * el) / LO_G0;
    double last_t = 0;
    for (size_t i = 0; i < r.n_truth; i++) {
        const lo_truth *t = &r.truth[i];
        double s = t->t - r.t0;
        assert_true(s < flight + 1e-6);
        double x = 1000 + v * cos(el) * sin(az) * s, y = 2000 + v * cos(el) * cos(az) * s;
        double a = v * sin(el) * s - 0.5 * LO_G0 * s * s;
        assert_near(t->pos[0], x, 0.01);
        assert_near(t->pos[1], y, 0.01);
        assert_near(flat_agl(&r, t, 0), a, 0.01);
        assert_int_equal(t->cls, LO_CLASS_ROCKET);
        last_t = s;
    }
    /* The last sample is within one truth period of the impact, and the object then ends. */
    assert_true(last_t > flight - 0.05 - 1e-9);
    const lo_truth *last = &r.truth[r.n_truth - 1];
    double ground_range = hypot(last->pos[0] - 1000, last->pos[1] - 2000);
    assert_near(ground_range, range * last_t / flight, 0.01);
    sim_run_free(&r);
}

static void test_rocket_with_drag_lands_on_impact_point(void **state)
{
    (void)state;
    /* Launch 7 km south-east, impact point (100, -50), 25 s flight, drag k = 3e-5 1/m. */
    snprintf(yaml, sizeof yaml, "%s%s",
             sim_test_site("rotating", 3, 1e-6, "4/3-earth"),
             "simulation: {duration_s: 40, seed: 1, truth_rate_s: 0.1, ground_height_m: 45}\n"
             "clutter: {thermal: false}\n"
             "targets:\n"
             "  - {kind: rocket, drag_per_m: 3.0e-5, flight_time_s: 25,\n"
             "     position: {bearing_deg: 135, distance_m: 7000, agl_m: 0}, impact: {x_m: 100, y_m: -50, agl_m: 0}}\n");
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    assert_true(r.n_truth > 200);
    /* Independent check: integrate a = -g up - k |v| v from the first truth sample (the launch)
     * with small Euler steps, in flat coordinates, until it comes down. */
    const lo_truth *t0 = &r.truth[0];
    assert_near(t0->t, r.t0, 1e-9);
    double R = r.site.frame.earth_radius_m, k = 3.0e-5;
    double p[3] = {t0->pos[0], t0->pos[1], flat_agl(&r, t0, 0)};
    double v[3] = {t0->vel[0], t0->vel[1], t0->vel[2] + (p[0] * t0->vel[0] + p[1] * t0->vel[1]) / R};
    assert_near(p[0], 7000 * sin(135 * LO_DEG2RAD), 1e-6);
    assert_near(p[2], 0, 1e-6);
    double dt = 1e-4, t = 0;
    size_t next = 1;
    double max_dev = 0;
    while (p[2] >= 0 || v[2] > 0) {
        double sp = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        double acc[3] = {-k * sp * v[0], -k * sp * v[1], -LO_G0 - k * sp * v[2]};
        for (int i = 0; i < 3; i++) {
            v[i] += acc[i] * dt;
            p[i] += v[i] * dt;
        }
        t += dt;
        /* Compare with the simulator's truth at its sample times along the way. */
        if (next < r.n_truth && t >= r.truth[next].t - r.t0) {
            const lo_truth *s = &r.truth[next++];
            double d = hypot(hypot(s->pos[0] - p[0], s->pos[1] - p[1]), flat_agl(&r, s, 0) - p[2]);
            if (d > max_dev) max_dev = d;
        }
    }
    printf("independent integration: lands at (%.2f, %.2f) after %.3f s; truth deviates by <= %.3f m\n",
           p[0], p[1], t, max_dev);
    assert_near(p[0], 100, 1.0);
    assert_near(p[1], -50, 1.0);
    assert_near(t, 25, 0.01);
    assert_true(max_dev < 1.0);
    sim_run_free(&r);
}

/* A scenario fragment that must be refused, the key path and the line the error names. */
typedef struct bad_case {
    const char *targets;
    const char *path;
    int line;       /* line within `targets` (1-based) */
} bad_case;

static void test_bad_scenarios_name_key_and_line(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"targets:\n  - {kind: bird, position: {bearing_deg: 10, distance_m: 500}}\n"
         "  - {kind: bird, speed_mps: fast, position: {bearing_deg: 10, distance_m: 500}}\n",
         "targets[1].speed_mps", 3},
        {"targets:\n  - {kind: submarine, position: {x_m: 0, y_m: 0}}\n", "targets[0].kind", 2},
        {"targets:\n  - kind: bird\n    sped_mps: 10\n    position: {x_m: 0, y_m: 0}\n", "targets[0].sped_mps", 3},
        {"targets:\n  - {kind: multirotor, speed_mps: 5}\n", "targets[0].position", 2},
        {"targets:\n  - kind: fixed_wing\n    position: {x_m: 0, y_m: 0}\n    target: {zone: palace}\n",
         "targets[0].target.zone", 4},
        {"targets:\n  - {kind: rocket, position: {x_m: 0, y_m: 0}}\n", "targets[0]", 2},
        {"targets:\n  - {kind: bird, speed_mps: [20, 10], position: {x_m: 0, y_m: 0}}\n", "targets[0].speed_mps", 2},
        {"targets:\n  - {kind: bird, position: {x_m: 0, bearing_deg: 4, distance_m: 1}}\n", "targets[0].position", 2},
        {"targets:\n  - {kind: ground_vehicle, road: [{x_m: 0, y_m: 0}]}\n", "targets[0].road", 2},
        {"clutter:\n  ground:\n    - {position: {x_m: 0, y_m: 0}, radius_m: -5}\n", "clutter.ground[0].radius_m", 3},
        {"clutter:\n  hail: true\n", "clutter.hail", 2},
        {"targets:\n  - {kind: replay, class: helicopter, path: /nonexistent/track.csv, position: {x_m: 0, y_m: 0}}\n",
         "targets[0].path", 2},
    };
    const char *site = sim_test_site("rotating", 3, 1e-6, "4/3-earth");
    int site_lines = count_lines(site);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(yaml, sizeof yaml, "%ssimulation: {duration_s: 10}\n%s", site, cases[i].targets);
        lo_test_diags d;
        lo_test_diags_init(&d, false);
        sim_run r;
        assert_int_equal(sim_run_yaml(&r, yaml, NULL, &d), -1);
        printf("case %zu: %s", i, d.all);
        assert_non_null(strstr(d.all, cases[i].path));
        if (i == sizeof cases / sizeof cases[0] - 1) assert_non_null(strstr(d.all, "/nonexistent/track.csv"));
        if (cases[i].line > 0) {
            char where[64];
            snprintf(where, sizeof where, "scenario.yaml:%d:", site_lines + 1 + cases[i].line);
            assert_non_null(strstr(d.all, where));
        }
        sim_run_free(&r);
    }
    /* simulation.start that is not a time. */
    snprintf(yaml, sizeof yaml, "%ssimulation:\n  duration_s: 10\n  start: yesterday\n", site);
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, &d), -1);
    char where[64];
    snprintf(where, sizeof where, "scenario.yaml:%d:", site_lines + 3);
    assert_non_null(strstr(d.all, where));
    assert_non_null(strstr(d.all, "simulation.start"));
    sim_run_free(&r);

    /* Regression (review): start: 1e300 hung the simulation (its time steps cannot advance
     * a double that large), 1e17 silently simulated nothing, and "T-1:00:00" passed as an
     * hour. Each is refused, naming the key and line. */
    static const char *const bad_starts[] = {"1e300", "1e17", "-5", "2021-11-07T-1:00:00Z",
                                             "2021-11-07T01:-5:00Z", "1900-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad_starts / sizeof bad_starts[0]; i++) {
        snprintf(yaml, sizeof yaml, "%ssimulation:\n  duration_s: 10\n  start: \"%s\"\n", site,
                 bad_starts[i]);
        lo_test_diags_init(&d, false);
        assert_int_equal(sim_run_yaml(&r, yaml, NULL, &d), -1);
        assert_non_null(strstr(d.all, where));
        assert_non_null(strstr(d.all, "simulation.start"));
        assert_non_null(strstr(d.all, bad_starts[i]));
        sim_run_free(&r);
    }
    /* The bounds themselves are fine. */
    snprintf(yaml, sizeof yaml, "%ssimulation:\n  duration_s: 2\n  start: 1795348800.5\n", site);
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    assert_near(r.t0, 1795348800.5, 0);
    sim_run_free(&r);
    /* The same time syntax as the CSV time column: an offset is applied. */
    snprintf(yaml, sizeof yaml, "%ssimulation:\n  duration_s: 2\n  start: 2021-11-07T03:00:00+02:00\n", site);
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    assert_near(r.t0, 1636246800.0, 0);
    sim_run_free(&r);
}

/* The green-zone scenario does what ../shared/reference/green-zone.md says. */
static void test_green_zone_actors(void **state)
{
    (void)state;
    lo_test_diags diags;
    lo_test_diags_init(&diags, false);
    lo_site site;
    assert_int_equal(lo_site_load(lo_test_source_path("scenarios/green-zone.yaml"), &site, &diags.sink), 0);
    lo_sim *sim = lo_sim_new(&site, NULL, &diags.sink);
    assert_non_null(sim);
    sim_run r;
    memset(&r, 0, sizeof r);
    lo_sim_set_truth_callback(sim, sim_run_on_truth, &r);
    lo_plot p;
    while (lo_sim_next_plot(sim, &p) == 1) {
    }
    double t0 = lo_sim_start_time(sim), R = site.frame.earth_radius_m, ground = 35 - 45;
    const lo_zone *residence = NULL, *compound = NULL;
    for (int z = 0; z < site.n_zones; z++) {
        if (!strcmp(site.zones[z].name, "residence")) residence = &site.zones[z];
        if (!strcmp(site.zones[z].name, "compound")) compound = &site.zones[z];
    }
    assert_non_null(residence);
    assert_non_null(compound);
    assert_int_equal(lo_sim_end_time(sim) - t0, 600);
    /* Per object: first and last sample, extremes of distance and height. */
    enum { MAXID = 128 };
    static double first_t[MAXID], last_xy[MAXID][2], min_d[MAXID], max_d[MAXID], min_agl[MAXID], max_agl[MAXID];
    double drone_pigeon = 1e9;
    for (int i = 0; i < MAXID; i++) {
        first_t[i] = -1;
        min_d[i] = min_agl[i] = 1e9;
        max_d[i] = max_agl[i] = -1e9;
    }
    uint32_t fw2 = 0;
    for (uint32_t id = 1; id < MAXID; id++) {
        const char *name;
        if (lo_sim_truth_info(sim, id, NULL, &name) && !strcmp(name, "drone-fw-2")) fw2 = id;
    }
    assert_true(fw2 > 0);
    for (size_t i = 0; i < r.n_truth; i++) {
        const lo_truth *t = &r.truth[i];
        assert_true(t->truth_id < MAXID);
        uint32_t id = t->truth_id;
        double d = hypot(t->pos[0], t->pos[1]);
        double agl = t->pos[2] - ground + d * d / (2 * R);
        if (first_t[id] < 0) first_t[id] = t->t - t0;
        last_xy[id][0] = t->pos[0];
        last_xy[id][1] = t->pos[1];
        if (d < min_d[id]) min_d[id] = d;
        if (d > max_d[id]) max_d[id] = d;
        if (agl < min_agl[id]) min_agl[id] = agl;
        if (agl > max_agl[id]) max_agl[id] = agl;
        if (id == fw2) /* the pigeons are truth ids 1-40 at the same instant */
            for (size_t j = i >= 200 ? i - 200 : 0; j < r.n_truth && j < i + 200; j++)
                if (r.truth[j].t == t->t && r.truth[j].truth_id >= 1 && r.truth[j].truth_id <= 40) {
                    double dd = sqrt(pow(r.truth[j].pos[0] - t->pos[0], 2) + pow(r.truth[j].pos[1] - t->pos[1], 2) +
                                     pow(r.truth[j].pos[2] - t->pos[2], 2));
                    if (dd < drone_pigeon) drone_pigeon = dd;
                }
    }
    int drones = 0, rockets = 0;
    for (uint32_t id = 1; id < MAXID; id++) {
        lo_class c;
        const char *name;
        if (!lo_sim_truth_info(sim, id, &c, &name)) continue;
        if (!strcmp(name, "pigeons")) {
            assert_true(min_d[id] > 1300 && max_d[id] < 2700); /* over the river 2 km south */
        } else if (c == LO_CLASS_FIXED_WING || c == LO_CLASS_MULTIROTOR) {
            drones++;
            assert_near(first_t[id], 120, 1e-6); /* launched at t = 120 s */
            assert_true(max_d[id] > 12000);      /* 12-14 km east of the residence */
            assert_true(max_agl[id] <= 200.5);
            if (c == LO_CLASS_FIXED_WING) {    /* arrive and dive into the residence */
                double ex = last_xy[id][0] - residence->center_enu[0], ey = last_xy[id][1] - residence->center_enu[1];
                assert_true(hypot(ex, ey) < residence->radius_m);
                assert_true(min_agl[id] < 30);
            }
        } else if (c == LO_CLASS_ROCKET) {
            rockets++;
            assert_true(first_t[id] >= 200 && first_t[id] <= 204);
            assert_true(max_d[id] > 6800 && max_d[id] < 7200);
            assert_true(hypot(last_xy[id][0] - compound->center_enu[0], last_xy[id][1] - compound->center_enu[1]) <
                        compound->radius_m);
        } else if (c == LO_CLASS_AIRLINER) {
            assert_true(min_d[id] > 8000 && min_d[id] < 10000);
        } else if (c == LO_CLASS_HELICOPTER) {
            assert_true(min_d[id] > 3000 && max_d[id] < 5000);
            assert_near(min_agl[id], 300, 15);
            assert_near(max_agl[id], 300, 15);
        } else if (c == LO_CLASS_GROUND_VEHICLE) {
            assert_near(max_agl[id], 0, 0.5);
        }
    }
    printf("drone-fw-2 passes %.0f m from the nearest pigeon\n", drone_pigeon);
    assert_int_equal(drones, 3);
    assert_int_equal(rockets, 2);
    assert_true(drone_pigeon < 300);
    free(r.truth);
    lo_sim_free(sim);
    lo_site_free(&site);
}

/* Every kind and every clutter source in one small scenario, then a few thousand one-character
 * mutations of it: each is refused with diagnostics or runs, never crashes (ASan build). */
static const char *all_kinds =
    "simulation: {duration_s: 3, seed: 4, step_s: 0.5, ground_height_m: 35, start: 2021-11-07T01:00:00Z}\n"
    "targets:\n"
    "  - {kind: multirotor, count: 2, spread_m: 100, position: {bearing_deg: 10, distance_m: 3000, agl_m: 100}, patrol_radius_m: 300, hover_s: [1, 3], stop_rate_per_min: 2}\n"
    "  - {kind: fixed_wing, position: {x_m: 5000, y_m: 0, agl_m: 150}, target: {zone: residence}, dive_distance_m: 900}\n"
    "  - {kind: bird, position: {lat_deg: 33.30, lon_deg: 44.40, agl_m: 50}, wingbeat_hz: [4, 8]}\n"
    "  - {kind: bird_flock, count: 8, position: {zone: residence, bearing_deg: 90, distance_m: 500}, split_rate_per_min: 30}\n"
    "  - {kind: soaring_bird, position: {x_m: -2000, y_m: 1000}, agl_m: [100, 300]}\n"
    "  - {kind: mortar, position: {x_m: 1000, y_m: 1000}, azimuth_deg: 45, elevation_deg: 60, speed_mps: 150}\n"
    "  - {kind: airliner, position: {x_m: 9000, y_m: 9000, height_m: 2000}, waypoints: [{x_m: -9000, y_m: -9000, z_m: 500}], mode_s_address: \"abc123\"}\n"
    "  - {kind: helicopter, position: {bearing_deg: 200, distance_m: 3000, agl_m: 200}, loop: true, waypoints: [{bearing_deg: 250, distance_m: 3000, agl_m: 200}, {bearing_deg: 200, distance_m: 3000, agl_m: 200}]}\n"
    "  - {kind: ground_vehicle, road: [{x_m: 0, y_m: -1000}, {x_m: 500, y_m: -1500}, {x_m: 900, y_m: -1500}]}\n"
    "clutter:\n"
    "  thermal: true\n"
    "  split_probability: 0.1\n"
    "  ground: [{position: {x_m: 500, y_m: 500}, radius_m: 200}]\n"
    "  rain: [{position: {x_m: -5000, y_m: 0}, drift_speed_mps: 5, drift_heading_deg: 45}]\n"
    "  wind_turbines: [{name: t1, position: {x_m: 4000, y_m: 4000, agl_m: 90}}]\n";

static void test_mutated_scenarios_do_not_crash(void **state)
{
    (void)state;
    const char *site = sim_test_site("rotating", 3, 1e-6, "4/3-earth");
    snprintf(yaml, sizeof yaml, "%s%s", site, all_kinds);
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    assert_int_equal(r.stats.targets, 17);
    assert_true(r.n_plots > 20);
    sim_run_free(&r);

    static const char repl[] = ",:{}[]-x9 \n\"";
    size_t site_len = strlen(site), len = strlen(all_kinds);
    static char mutated[1 << 16];
    int loaded = 0, refused = 0;
    uint64_t x = 12345;
    for (int k = 0; k < 1500; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t pos = (size_t)(x >> 33) % len;
        char c = repl[(x >> 20) % (sizeof repl - 1)];
        memcpy(mutated, site, site_len);
        memcpy(mutated + site_len, all_kinds, len + 1);
        mutated[site_len + pos] = c;
        lo_test_diags d;
        lo_test_diags_init(&d, false);
        lo_site s;
        if (lo_site_load_string(mutated, "mutant.yaml", &s, &d.sink) != 0) {
            refused++;
            continue;
        }
        lo_sim *sim = lo_sim_new(&s, NULL, &d.sink);
        if (sim) {
            lo_plot p;
            int n = 0;
            while (lo_sim_next_plot(sim, &p) == 1 && n < 100000) n++;
            lo_sim_free(sim);
            loaded++;
        } else {
            assert_true(d.n > 0); /* refused, and said why */
            refused++;
        }
        lo_site_free(&s);
    }
    printf("mutants: %d ran, %d refused with a diagnostic\n", loaded, refused);
    assert_true(loaded > 50 && refused > 100);
}

/* Point the scenarios' $SHARED at ../shared when the caller has not. */
static bool shared_available(void)
{
    const char *env = getenv("LOOKOUT_SHARED_DIR");
    struct stat st;
    if (env && env[0]) return stat(env, &st) == 0;
    if (stat(LOOKOUT_SHARED_DIR, &st) != 0) return false;
    setenv("LOOKOUT_SHARED_DIR", LOOKOUT_SHARED_DIR, 1);
    return true;
}

static void test_every_shipped_scenario_runs(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", lo_test_source_path("scenarios"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int ran = 0;
    bool shared = shared_available();
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        if (!shared && strstr(e->d_name, "real-trajectories")) {
            printf("SKIP %s: ../shared (the real recordings) is not here\n", e->d_name);
            continue;
        }
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sim_run r;
        memset(&r, 0, sizeof r);
        lo_test_diags diags;
        lo_test_diags_init(&diags, false);
        assert_int_equal(lo_site_load(path, &r.site, &diags.sink), 0);
        /* Short runs keep the test quick; the big ones shorter still. */
        lo_sim_options o = {.duration_s = strstr(e->d_name, "10000") ? 4 : 40};
        lo_sim *sim = lo_sim_new(&r.site, &o, &diags.sink);
        if (!sim) printf("%s: %s", e->d_name, diags.all);
        assert_non_null(sim);
        lo_plot p;
        size_t n = 0, with_truth = 0;
        double last = -1;
        lo_sim_stats st;
        while (lo_sim_next_plot(sim, &p) == 1) {
            assert_true(p.t >= last);
            last = p.t;
            n++;
            if (p.truth_id) {
                lo_class c;
                assert_true(lo_sim_truth_info(sim, p.truth_id, &c, NULL));
                with_truth++;
            }
        }
        lo_sim_get_stats(sim, &st);
        printf("%-24s %6zu plots (%zu from targets), %u objects\n", e->d_name, n, with_truth, st.targets);
        assert_true(with_truth > 0);
        assert_int_equal(st.plots, n);
        lo_sim_free(sim);
        lo_site_free(&r.site);
        ran++;
    }
    closedir(d);
    assert_true(ran >= 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mortar_without_drag_closed_form),
        cmocka_unit_test(test_rocket_with_drag_lands_on_impact_point),
        cmocka_unit_test(test_bad_scenarios_name_key_and_line),
        cmocka_unit_test(test_green_zone_actors),
        cmocka_unit_test(test_every_shipped_scenario_runs),
        cmocka_unit_test(test_mutated_scenarios_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
