/* Real trajectories as targets (../shared/data/trajectories): the replayed truth follows the
 * file, moved to the anchor point; the rocket log keeps its apogee. Skips (exit 77) when
 * ../shared is absent. */
#include <sys/stat.h>

#include "sim_testlib.h"

static char yaml[1 << 16];

static const char *shared_dir(void)
{
    const char *env = getenv("LOOKOUT_SHARED_DIR");
    struct stat st;
    if (env && env[0] && stat(env, &st) == 0) return env;
    if (!lo_test_shared_path("data/trajectories")) return NULL;
    return LOOKOUT_SHARED_DIR;
}

/* Read timestamp / latitude / longitude / altitude columns of an ADS-B CSV by header name,
 * independently of the simulator's reader (plain strtok; the file has no quoted fields). */
typedef struct adsb_row { double t, lat, lon, alt_ft; } adsb_row;

static size_t read_adsb(const char *path, adsb_row *rows, size_t max)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    int col[4] = {-1, -1, -1, -1};
    const char *names[4] = {"timestamp", "latitude", "longitude", "altitude"};
    assert_non_null(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = 0;
    int i = 0;
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), i++)
        for (int k = 0; k < 4; k++)
            if (!strcmp(tok, names[k])) col[k] = i;
    size_t n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        double v[4] = {NAN, NAN, NAN, NAN};
        i = 0;
        char *p = line;
        for (;; i++) {
            char *comma = strchr(p, ',');
            if (comma) *comma = 0;
            for (int k = 0; k < 4; k++)
                if (col[k] == i && *p) v[k] = atof(p);
            if (!comma) break;
            p = comma + 1;
        }
        if (isnan(v[0]) || isnan(v[1]) || isnan(v[2]) || isnan(v[3])) continue;
        rows[n++] = (adsb_row){v[0] / 1000.0, v[1], v[2], v[3]};
    }
    fclose(f);
    return n;
}

static void test_adsb_helicopter_follows_file(void **state)
{
    (void)state;
    const char *shared = shared_dir();
    if (!shared) skip();
    char file[1024];
    snprintf(file, sizeof file, "%s/data/trajectories/adsb/ambulances_rega_sg.csv", shared);
    snprintf(yaml, sizeof yaml, "%s"
             "simulation: {duration_s: 400, seed: 2, truth_rate_s: 1, ground_height_m: 45}\n"
             "clutter: {thermal: false}\n"
             "targets:\n"
             "  - {kind: replay, class: helicopter, path: %s, position: {x_m: 1000, y_m: 2000, agl_m: 300}}\n",
             sim_test_site("rotating", 3, 1e-6, "4/3-earth"), file);
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    static adsb_row rows[4096];
    size_t n = read_adsb(file, rows, 4096);
    assert_true(n > 1000);
    /* The frame at the first sample, as the file's own local east/north. */
    lo_enu_frame local;
    lo_geodetic g0 = {rows[0].lat * LO_DEG2RAD, rows[0].lon * LO_DEG2RAD, 0};
    lo_enu_frame_init(&local, &g0);
    double R = r.site.frame.earth_radius_m;
    int checked = 0;
    for (size_t i = 0; i < n && rows[i].t - rows[0].t < 399; i++) {
        double ts = r.t0 + (rows[i].t - rows[0].t);
        const lo_truth *t = sim_truth_at(&r, 1, ts);
        if (!t || fabs(t->t - ts) > 1e-6) continue; /* truth is sampled every second */
        lo_geodetic g = {rows[i].lat * LO_DEG2RAD, rows[i].lon * LO_DEG2RAD, 0};
        double enu[3];
        lo_geodetic_to_enu(&local, &g, enu);
        double agl = t->pos[2] + (t->pos[0] * t->pos[0] + t->pos[1] * t->pos[1]) / (2 * R);
        assert_near(t->pos[0], 1000 + enu[0], 0.05);
        assert_near(t->pos[1], 2000 + enu[1], 0.05);
        assert_near(agl, 300 + (rows[i].alt_ft - rows[0].alt_ft) * LO_FT2M, 0.05);
        assert_int_equal(t->cls, LO_CLASS_HELICOPTER);
        checked++;
    }
    printf("%d truth samples checked against the file\n", checked);
    assert_true(checked > 250);
    /* And the radar saw it. */
    assert_true(r.n_plots > 300);
    sim_run_free(&r);
}

static void test_rocket_log_keeps_apogee(void **state)
{
    (void)state;
    const char *shared = shared_dir();
    if (!shared) skip();
    snprintf(yaml, sizeof yaml, "%s"
             "simulation: {duration_s: 200, seed: 2, truth_rate_s: 0.1, ground_height_m: 45}\n"
             "clutter: {thermal: false}\n"
             "targets:\n"
             "  - {kind: replay, class: rocket, start_s: 10,\n"
             "     path: %s/data/trajectories/rockets-euroc/camoes_flight_data.csv,\n"
             "     gnss_path: %s/data/trajectories/rockets-euroc/camoes_gnss_flight.csv,\n"
             "     position: {bearing_deg: 135, distance_m: 6000, agl_m: 0}}\n"
             "  - {kind: replay, class: fixed_wing,\n"
             "     path: %s/data/trajectories/uav-fixedwing-alfa/carbonZ_2018-07-18-15-53-31_1_engine_failure-mavros-global_position-global.csv,\n"
             "     position: {bearing_deg: 70, distance_m: 3000, agl_m: 30}}\n",
             sim_test_site("rotating", 3, 1e-6, "4/3-earth"), shared, shared, shared);
    sim_run r;
    assert_int_equal(sim_run_yaml(&r, yaml, NULL, NULL), 0);
    double R = r.site.frame.earth_radius_m, apogee = 0, t_apogee = 0, uav_first = 0, uav_last = 0;
    double uav_speed = 0;
    int uav_n = 0;
    for (size_t i = 0; i < r.n_truth; i++) {
        const lo_truth *t = &r.truth[i];
        double agl = t->pos[2] + (t->pos[0] * t->pos[0] + t->pos[1] * t->pos[1]) / (2 * R);
        if (t->truth_id == 1 && agl > apogee) {
            apogee = agl;
            t_apogee = t->t - r.t0;
        }
        if (t->truth_id == 2) {
            if (!uav_n) uav_first = t->t;
            uav_last = t->t;
            uav_speed += hypot(t->vel[0], t->vel[1]);
            uav_n++;
        }
    }
    printf("rocket apogee %.1f m at %.1f s; UAV replayed for %.1f s at %.1f m/s mean\n", apogee,
           t_apogee, uav_last - uav_first, uav_speed / uav_n);
    /* The log: apogee 3016 m AGL 23.8 s after the trigger (0.75 s of pre-trigger samples). */
    assert_near(apogee, 3016, 10);
    assert_near(t_apogee, 10 + 0.75 + 23.8, 0.5);
    /* The ALFA flight: 132 s at about 20 m/s. */
    assert_near(uav_last - uav_first, 132, 1.5);
    assert_near(uav_speed / uav_n, 20, 5);
    sim_run_free(&r);
}

int main(void)
{
    if (!shared_dir()) {
        printf("SKIP: test_sim_replay needs ../shared/data/trajectories\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adsb_helicopter_follows_file),
        cmocka_unit_test(test_rocket_log_keeps_apogee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
