/* Text formats (lookout/formats.h): round trips, free column order, and every kind of error
 * with its line, column and field. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookout/formats.h"
#include "lookout/geo.h"

static char *temp_path(const char *suffix)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "/tmp/lookout-fmt-XXXXXX%s", suffix);
    int fd = mkstemps(p, (int)strlen(suffix));
    assert_true(fd >= 0);
    close(fd);
    return p;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* ---- round trips ------------------------------------------------------------------------ */

static void sample_plots(lo_plot p[3])
{
    memset(p, 0, 3 * sizeof *p);
    p[0].t = 1795339380.25;
    p[0].sensor_id = 0x0102;
    p[0].flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_RADIAL_VEL | LO_PLOT_SNR |
                 LO_PLOT_SIGMAS | LO_PLOT_MODE_S | LO_PLOT_MODE_3A | LO_PLOT_FLIGHT_LVL |
                 LO_PLOT_DOPPLER_SPREAD;
    p[0].range_m = 48123.4567;
    p[0].azimuth_rad = 5.123456789;
    p[0].elevation_rad = 0.0123456;
    p[0].radial_velocity_mps = -12.345;
    p[0].doppler_spread_mps = 21.75;
    p[0].snr_db = 17.5;
    p[0].sigma_range_m = 15;
    p[0].sigma_azimuth_rad = 0.002;
    p[0].sigma_elevation_rad = 0.004;
    p[0].sigma_radial_velocity_mps = 0.5;
    p[0].mode_s_address = 0x4CA2D1;
    p[0].mode_3a = 07421;
    p[0].baro_altitude_m = 350 * 30.48;
    p[0].truth_id = 42;

    p[1].t = 1795339381.000001;
    p[1].sensor_id = 7;
    p[1].flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    p[1].enu[0] = -12345.6789;
    p[1].enu[1] = 98765.4321;
    p[1].enu[2] = 120.0005;
    p[1].enu_cov[0] = 25;
    p[1].enu_cov[4] = 36;
    p[1].enu_cov[8] = 100;

    p[2].t = 1795339382.5;
    p[2].sensor_id = 7;
    p[2].flags = LO_PLOT_POLAR; /* a 2D plot: no elevation */
    p[2].range_m = 0.0;
    p[2].azimuth_rad = 0.0;
}

static void assert_plot_equal(const lo_plot *a, const lo_plot *b)
{
    assert_near(a->t, b->t, 1e-6);
    assert_int_equal(a->sensor_id, b->sensor_id);
    assert_int_equal(a->flags, b->flags);
    assert_near(a->range_m, b->range_m, 1e-3);
    assert_near(a->azimuth_rad, b->azimuth_rad, 1e-9);
    assert_near(a->elevation_rad, b->elevation_rad, 1e-9);
    assert_near(a->radial_velocity_mps, b->radial_velocity_mps, 1e-3);
    assert_near(a->doppler_spread_mps, b->doppler_spread_mps, 1e-3);
    assert_near(a->snr_db, b->snr_db, 1e-3);
    for (int i = 0; i < 3; i++) assert_near(a->enu[i], b->enu[i], 1e-3);
    for (int i = 0; i < 9; i++) assert_near(a->enu_cov[i], b->enu_cov[i], 1e-3);
    assert_near(a->sigma_range_m, b->sigma_range_m, 1e-3);
    assert_near(a->sigma_azimuth_rad, b->sigma_azimuth_rad, 1e-9);
    assert_near(a->sigma_elevation_rad, b->sigma_elevation_rad, 1e-9);
    assert_near(a->sigma_radial_velocity_mps, b->sigma_radial_velocity_mps, 1e-3);
    assert_int_equal(a->mode_s_address, b->mode_s_address);
    assert_int_equal(a->mode_3a, b->mode_3a);
    assert_near(a->baro_altitude_m, b->baro_altitude_m, 1e-3);
    assert_int_equal(a->truth_id, b->truth_id);
}

static void plots_round_trip(lo_text_format fmt, const char *suffix)
{
    lo_plot in[3], out;
    sample_plots(in);
    const char *path = temp_path(suffix);
    lo_writer *w = lo_plot_writer_open(path, fmt);
    assert_non_null(w);
    for (int i = 0; i < 3; i++) assert_int_equal(lo_plot_write(w, &in[i]), 0);
    assert_int_equal(lo_writer_close(w), 0);

    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    assert_non_null(r);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lo_plot_reader_next(r, &out), 1);
        assert_plot_equal(&in[i], &out);
    }
    assert_int_equal(lo_plot_reader_next(r, &out), 0);
    lo_reader_close(r);
    if (d.n) print_error("%s", d.all);
    assert_int_equal(d.n, 0);
    unlink(path);
}

static void test_plots_round_trip_csv(void **state)
{
    (void)state;
    plots_round_trip(LO_FORMAT_CSV, ".csv");
}

/* A CSV of plots is a faithful copy: random doubles (not short decimals) come back to the
 * bit, angles written in degrees included (the tracker is sensitive at that level; a
 * simulated run in CSV and in CAT048 must be tracked identically, cli_asterix_track). */
static void test_plots_csv_exact_to_the_bit(void **state)
{
    (void)state;
    enum { N = 3000 };
    static lo_plot in[N];
    srand(6);
    for (int i = 0; i < N; i++) {
        lo_plot *p = &in[i];
        memset(p, 0, sizeof *p);
        double u = rand() / (RAND_MAX + 1.0), v = rand() / (RAND_MAX + 1.0);
        p->t = 1795339380.0 + i * 0.0123456789 + u * 1e-3;
        p->sensor_id = 3;
        p->flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION | LO_PLOT_RADIAL_VEL | LO_PLOT_SNR |
                   LO_PLOT_SIGMAS | LO_PLOT_FLIGHT_LVL | LO_PLOT_DOPPLER_SPREAD;
        p->range_m = 20000.0 * u + 1.0 / 3.0;
        p->azimuth_rad = 2.0 * LO_PI * v;
        p->elevation_rad = (u - 0.3) * 1.2;
        p->radial_velocity_mps = (v - 0.5) * 97.0;
        p->doppler_spread_mps = 0.4 + u * v * 40.0;
        p->snr_db = u * 41.3;
        p->sigma_range_m = 8.0 + u;
        p->sigma_azimuth_rad = 0.001 + v * 1e-3;
        p->sigma_elevation_rad = 0.002 + u * 1e-3;
        p->sigma_radial_velocity_mps = 0.5 + v;
        p->baro_altitude_m = (double)(i % 400) * 25.0 * LO_FT2M; /* Mode C 25 ft steps */
    }
    const char *path = temp_path(".csv");
    lo_writer *w = lo_plot_writer_open(path, LO_FORMAT_CSV);
    assert_non_null(w);
    for (int i = 0; i < N; i++) assert_int_equal(lo_plot_write(w, &in[i]), 0);
    assert_int_equal(lo_writer_close(w), 0);
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    assert_non_null(r);
    lo_plot out;
    for (int i = 0; i < N; i++) {
        assert_int_equal(lo_plot_reader_next(r, &out), 1);
        const lo_plot *p = &in[i];
        struct { const char *name; double a, b; bool angle; } f[] = {
            {"time", p->t, out.t, false},
            {"range_m", p->range_m, out.range_m, false},
            {"azimuth", p->azimuth_rad, out.azimuth_rad, true},
            {"elevation", p->elevation_rad, out.elevation_rad, true},
            {"radial_velocity", p->radial_velocity_mps, out.radial_velocity_mps, false},
            {"doppler_spread", p->doppler_spread_mps, out.doppler_spread_mps, false},
            {"snr", p->snr_db, out.snr_db, false},
            {"sigma_range", p->sigma_range_m, out.sigma_range_m, false},
            {"sigma_azimuth", p->sigma_azimuth_rad, out.sigma_azimuth_rad, true},
            {"sigma_elevation", p->sigma_elevation_rad, out.sigma_elevation_rad, true},
            {"sigma_radial_velocity", p->sigma_radial_velocity_mps, out.sigma_radial_velocity_mps, false},
            {"baro_altitude", p->baro_altitude_m, out.baro_altitude_m, false},
        };
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            if (f[k].a == f[k].b) continue;
            /* Angles go through long double; where it is no wider than double (not x86-64 or
             * arm64 Linux) they come back within an ulp (docs/formats.md). */
            if (f[k].angle && LDBL_MANT_DIG <= DBL_MANT_DIG &&
                fabs(f[k].a - f[k].b) <= 2.0 * fabs(nextafter(f[k].a, INFINITY) - f[k].a))
                continue;
            fail_msg("plot %d: %s %.17g comes back as %.17g", i, f[k].name, f[k].a, f[k].b);
        }
    }
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
    /* Short values stay short: a hand-made 12.5 m is not written as 12.500000000000002. */
    lo_plot simple = {.t = 1795339380.25, .sensor_id = 1, .flags = LO_PLOT_POLAR,
                      .range_m = 12.5, .azimuth_rad = 90.0 * LO_DEG2RAD};
    w = lo_plot_writer_open(path, LO_FORMAT_CSV);
    assert_int_equal(lo_plot_write(w, &simple), 0);
    assert_int_equal(lo_writer_close(w), 0);
    assert_non_null(strstr(slurp(path), "1795339380.25,1,12.5,90,"));
    unlink(path);
}

static void test_plots_round_trip_jsonl(void **state)
{
    (void)state;
    plots_round_trip(LO_FORMAT_JSONL, ".jsonl");
}

static void truth_round_trip(lo_text_format fmt, const char *suffix)
{
    lo_truth in[2] = {
        {.t = 1795339380.125, .truth_id = 1, .cls = LO_CLASS_MULTIROTOR,
         .pos = {1000.1234, -2000.5, 150}, .vel = {10.25, -3.5, 0.125}},
        {.t = 1795339381.125, .truth_id = 4000000000u, .cls = LO_CLASS_CLUTTER,
         .pos = {-99999.9999, 0, -5}, .vel = {0, 0, -300}},
    };
    const char *path = temp_path(suffix);
    lo_writer *w = lo_truth_writer_open(path, fmt);
    assert_non_null(w);
    for (int i = 0; i < 2; i++) assert_int_equal(lo_truth_write(w, &in[i]), 0);
    assert_int_equal(lo_writer_close(w), 0);
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_truth_reader_open(path, &d.sink);
    lo_truth out;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(lo_truth_reader_next(r, &out), 1);
        assert_near(out.t, in[i].t, 1e-6);
        assert_int_equal(out.truth_id, in[i].truth_id);
        assert_int_equal(out.cls, in[i].cls);
        for (int k = 0; k < 3; k++) {
            assert_near(out.pos[k], in[i].pos[k], 1e-3);
            assert_near(out.vel[k], in[i].vel[k], 1e-3);
        }
        assert_int_equal(lo_reader_line(r), fmt == LO_FORMAT_CSV ? i + 2 : i + 1);
    }
    assert_int_equal(lo_truth_reader_next(r, &out), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
    unlink(path);
}

static void test_truth_round_trip_csv(void **state)
{
    (void)state;
    truth_round_trip(LO_FORMAT_CSV, ".csv");
}

static void test_truth_round_trip_jsonl(void **state)
{
    (void)state;
    truth_round_trip(LO_FORMAT_JSONL, ".jsonl");
}

static void sample_track(lo_track *k)
{
    memset(k, 0, sizeof *k);
    k->id = 17;
    k->status = LO_TRACK_COASTING;
    k->t = 1795339390.5;
    k->t_first = 1795339380.25;
    k->t_confirmed = 1795339382.25;
    k->t_last_update = 1795339389.5;
    double pos[3] = {3210.9876, -45678.1234, 250.5}, vel[3] = {-22.5, 3.25, -1.5},
           acc[3] = {0.5, -0.25, 0};
    memcpy(k->pos, pos, sizeof pos);
    memcpy(k->vel, vel, sizeof vel);
    memcpy(k->acc, acc, sizeof acc);
    double pc[9] = {100, 5, -2, 5, 144, 3, -2, 3, 400};
    double vc[9] = {4, 0.1, 0, 0.1, 9, 0, 0, 0, 1};
    memcpy(k->pos_cov, pc, sizeof pc);
    memcpy(k->vel_cov, vc, sizeof vc);
    k->n_models = 3;
    k->model_prob[0] = 0.7;
    k->model_prob[1] = 0.2;
    k->model_prob[2] = 0.1;
    k->class_prob[LO_CLASS_MULTIROTOR] = 0.6;
    k->class_prob[LO_CLASS_BIRD] = 0.3;
    k->class_prob[LO_CLASS_CLUTTER] = 0.1;
    k->n_updates = 23;
    k->score = 31.25;
    k->last_sensor_id = 0x0102;
    k->last_plot_t = 1795339389.5;
    k->last_flags = LO_PLOT_MODE_S | LO_PLOT_MODE_3A | LO_PLOT_SNR | LO_PLOT_DOPPLER_SPREAD;
    k->mode_s_address = 0xABC123;
    k->mode_3a = 01200;
    k->last_snr_db = 12.5;
    k->last_doppler_spread_mps = 27.125;
    k->last_truth_id = 5;
}

static void tracks_round_trip(lo_text_format fmt, const char *suffix, bool with_geo)
{
    lo_track in, out;
    sample_track(&in);
    lo_enu_frame frame;
    lo_geodetic origin = {.lat = 52.0 * LO_DEG2RAD, .lon = 4.5 * LO_DEG2RAD, .h = 10.0};
    lo_enu_frame_init(&frame, &origin);
    const char *path = temp_path(suffix);
    lo_writer *w = lo_track_writer_open(path, fmt, with_geo ? &frame : NULL);
    assert_non_null(w);
    assert_int_equal(lo_track_write(w, &in), 0);
    lo_track tentative = {.id = 18, .status = LO_TRACK_TENTATIVE, .t = 1795339390.5};
    assert_int_equal(lo_track_write(w, &tentative), 0);
    assert_int_equal(lo_writer_close(w), 0);

    const char *text = slurp(path);
    assert_int_equal(strstr(text, "lat_deg") != NULL, with_geo);
    if (with_geo) {
        /* The latitude written is the geodetic conversion of the position. */
        lo_geodetic g;
        lo_enu_to_geodetic(&frame, in.pos, &g);
        char want[64];
        snprintf(want, sizeof want, "%.9f", g.lat * LO_RAD2DEG);
        want[strlen(want) - 2] = 0; /* trailing zeros may be dropped */
        assert_non_null(strstr(text, want));
    }

    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_track_reader_open(path, &d.sink);
    assert_int_equal(lo_track_reader_next(r, &out), 1);
    assert_int_equal(out.id, in.id);
    assert_int_equal(out.status, in.status);
    assert_near(out.t, in.t, 1e-6);
    assert_near(out.t_first, in.t_first, 1e-6);
    assert_near(out.t_confirmed, in.t_confirmed, 1e-6);
    assert_near(out.t_last_update, in.t_last_update, 1e-6);
    for (int i = 0; i < 3; i++) {
        assert_near(out.pos[i], in.pos[i], 1e-3);
        assert_near(out.vel[i], in.vel[i], 1e-3);
        assert_near(out.acc[i], in.acc[i], 1e-3);
    }
    for (int i = 0; i < 9; i++) {
        assert_near(out.pos_cov[i], in.pos_cov[i], 1e-6);
        assert_near(out.vel_cov[i], in.vel_cov[i], 1e-6);
    }
    assert_int_equal(out.n_models, 3);
    for (int i = 0; i < LO_MAX_MODELS; i++) assert_near(out.model_prob[i], in.model_prob[i], 1e-9);
    for (int i = 0; i < LO_CLASS_COUNT; i++) assert_near(out.class_prob[i], in.class_prob[i], 1e-9);
    assert_int_equal(out.n_updates, 23);
    assert_near(out.score, 31.25, 1e-9);
    assert_int_equal(out.last_sensor_id, 0x0102);
    assert_near(out.last_plot_t, in.last_plot_t, 1e-6);
    assert_int_equal(out.last_flags, in.last_flags);
    assert_int_equal(out.mode_s_address, 0xABC123);
    assert_int_equal(out.mode_3a, 01200);
    assert_near(out.last_snr_db, 12.5, 1e-3);
    assert_near(out.last_doppler_spread_mps, 27.125, 1e-3);
    assert_int_equal(out.last_truth_id, 5);

    assert_int_equal(lo_track_reader_next(r, &out), 1);
    assert_int_equal(out.id, 18);
    assert_int_equal(out.status, LO_TRACK_TENTATIVE);
    assert_near(out.t_confirmed, 0, 0);
    assert_int_equal(out.last_flags, 0);
    for (int i = 0; i < LO_CLASS_COUNT; i++) assert_near(out.class_prob[i], 0, 0);
    assert_int_equal(lo_track_reader_next(r, &out), 0);
    lo_reader_close(r);
    if (d.n) print_error("%s", d.all);
    assert_int_equal(d.n, 0);
    unlink(path);
}

static void test_tracks_round_trip_csv(void **state)
{
    (void)state;
    tracks_round_trip(LO_FORMAT_CSV, ".csv", false);
    tracks_round_trip(LO_FORMAT_CSV, ".csv", true);
}

static void test_tracks_round_trip_jsonl(void **state)
{
    (void)state;
    tracks_round_trip(LO_FORMAT_JSONL, ".jsonl", false);
    tracks_round_trip(LO_FORMAT_JSONL, ".jsonl", true);
}

/* Every class has its p_<name> column, spelled as lo_class_name spells it. */
static void test_track_header_names_every_class(void **state)
{
    (void)state;
    const char *path = temp_path(".csv");
    lo_writer *w = lo_track_writer_open(path, LO_FORMAT_CSV, NULL);
    assert_int_equal(lo_writer_close(w), 0);
    const char *text = slurp(path);
    for (int i = 0; i < LO_CLASS_COUNT; i++) {
        char name[64];
        snprintf(name, sizeof name, ",p_%s,", lo_class_name((lo_class)i));
        if (!strstr(text, name)) {
            print_error("header lacks %s: %s\n", name, text);
            fail();
        }
    }
    const char *first = "time,track_id,status,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps,ax_mps2,";
    assert_true(strncmp(text, first, strlen(first)) == 0);
    unlink(path);
}

/* ---- reading what people write ------------------------------------------------------------- */

static void test_column_order_free_and_iso_time(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "vz_mps,class,truth_id,x_m,time,y_m,vy_mps,z_m,vx_mps\n"
        "0.5,bird,3,100,2026-11-22T21:03:00.250Z,200,-1,300,2\n"
        "0,fixed_wing,4,1,1795900000,2,3,4,5\n");
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_truth_reader_open(path, &d.sink);
    lo_truth t;
    assert_int_equal(lo_truth_reader_next(r, &t), 1);
    assert_int_equal(t.truth_id, 3);
    assert_int_equal(t.cls, LO_CLASS_BIRD);
    assert_near(t.t, 1795381380.25, 1e-6); /* date -u -d 2026-11-22T21:03:00Z +%s */
    assert_near(t.pos[0], 100, 0);
    assert_near(t.pos[1], 200, 0);
    assert_near(t.pos[2], 300, 0);
    assert_near(t.vel[0], 2, 0);
    assert_near(t.vel[1], -1, 0);
    assert_near(t.vel[2], 0.5, 0);
    assert_int_equal(lo_truth_reader_next(r, &t), 1);
    assert_int_equal(t.cls, LO_CLASS_FIXED_WING);
    assert_near(t.t, 1795900000, 0);
    assert_int_equal(lo_truth_reader_next(r, &t), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
}

/* A writer may print a subnormal (a class probability of 2.8e-318): the reader must take it
 * back as the tiny number it is, while a value that overflows a double is still an error. */
static void test_subnormal_accepted_overflow_refused(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,truth_id,class,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps\n"
        "1,1,bird,2.854612489e-318,0,0,0,0,0\n"
        "2,1,bird,1e999,0,0,0,0,0\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_truth_reader_open(path, &d.sink);
    lo_truth t;
    assert_int_equal(lo_truth_reader_next(r, &t), 1);
    assert_true(t.pos[0] > 0 && t.pos[0] < 1e-300);
    assert_int_equal(lo_truth_reader_next(r, &t), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.last, ":3:4:"));
    assert_non_null(strstr(d.last, "x_m"));
}

static void test_crlf_and_bom(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "\xEF\xBB\xBFtime,sensor_id,range_m,azimuth_deg\r\n"
        "10,1,1000,90\r\n"
        "\r\n"
        "11,1,2000,-90\r\n");
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.range_m, 1000, 0);
    assert_near(p.azimuth_rad, LO_PI / 2, 1e-12);
    assert_int_equal(p.flags, LO_PLOT_POLAR);
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.azimuth_rad, 1.5 * LO_PI, 1e-12); /* -90 deg wraps to 270 */
    assert_int_equal(lo_reader_line(r), 4);
    assert_int_equal(lo_plot_reader_next(r, &p), 0);
    lo_reader_close(r);
    if (d.n) print_error("%s", d.all);
    assert_int_equal(d.n, 0);
}

static void test_bad_value_reports_line_column_field(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,sensor_id,range_m,azimuth_deg,elevation_deg\n"
        "10,1,1000,90,1\n"
        "11,1,abc,90,1\n"
        "12,1,1000,90,91\n"
        "13,70000,1000,90,1\n"
        "14,1,3000,45,2\n");
    /* Print-and-continue: the bad records are skipped, the good ones kept. */
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.t, 10, 0);
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.t, 14, 0);
    assert_int_equal(lo_reader_line(r), 6);
    assert_int_equal(lo_plot_reader_next(r, &p), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.sink.errors, 3);
    char want[512];
    snprintf(want, sizeof want, "%s:3:3: error: range_m: expected a finite number (got 'abc')", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:4:5: error: elevation_deg: expected degrees in [-90, 90]", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:5:2: error: sensor_id: expected an integer 0..65535", path);
    assert_non_null(strstr(d.all, want));

    /* Stop at the first: the reader returns -1 and reads no further. */
    lo_test_diags_init(&d, true);
    r = lo_plot_reader_open(path, &d.sink);
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_int_equal(lo_plot_reader_next(r, &p), -1);
    assert_int_equal(lo_plot_reader_next(r, &p), -1);
    lo_reader_close(r);
    assert_int_equal(d.n, 1);
}

/* Regression: a time of 1e17 s (or milliseconds since the epoch taken for seconds) was read
 * and `lookout track` then hung in the tracker's housekeeping, whose 0.1 s steps cannot
 * advance a double that large. Such times are refused at the edge with line, column, field. */
static void test_implausible_time_refused(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,sensor_id,range_m,azimuth_deg\n"
        "1e17,1,1000,90\n"
        "1795348800000,1,1000,90\n"
        "1795348800.5,1,1000,90\n"
        "-2e10,1,1000,90\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.t, 1795348800.5, 0);
    assert_int_equal(lo_plot_reader_next(r, &p), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 3);
    char want[512];
    snprintf(want, sizeof want, "%s:3:1: error: time: time beyond the years 1653..2286", path);
    assert_non_null(strstr(d.all, want));
    assert_non_null(strstr(d.all, "milliseconds"));
}

static void test_missing_required_column(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,truth_id,x_m,y_m,z_m,vx_mps,vz_mps\n"
        "1,1,0,0,0,0,0\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_truth_reader_open(path, &d.sink);
    lo_truth t;
    assert_int_equal(lo_truth_reader_next(r, &t), -1);
    lo_reader_close(r);
    assert_int_equal(d.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s:1: error: vy_mps: required column missing from the header", path);
    assert_non_null(strstr(d.all, want));

    /* Plots need one of the two position forms. */
    path = lo_test_temp_file(".csv", "time,sensor_id,x_m,y_m\n1,1,2,3\n");
    lo_test_diags_init(&d, false);
    r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), -1);
    lo_reader_close(r);
    assert_int_equal(d.sink.errors, 1);
    assert_non_null(strstr(d.all, "range_m and azimuth_deg"));
}

static void test_wrong_unit_column_is_named(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,sensor_id,range_km,azimuth_rad,x_m,y_m,z_m,colour\n"
        "1,1,3,0.5,10,20,30,red\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_int_equal(p.flags, LO_PLOT_CARTESIAN);
    lo_reader_close(r);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.sink.errors, 0);
    char want[512];
    snprintf(want, sizeof want, "%s:1:3: warning: range_km: unknown column, ignored: lookout reads 'range_m'", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:1:4: warning: azimuth_rad: unknown column, ignored: lookout reads 'azimuth_deg'", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:1:8: warning: colour: unknown column", path);
    assert_non_null(strstr(d.all, want));
}

static void test_truncated_last_line(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,truth_id,class,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps\n"
        "1,1,bird,0,0,0,0,0,0\n"
        "2,1,bird,1,1");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_truth_reader_open(path, &d.sink);
    lo_truth t;
    assert_int_equal(lo_truth_reader_next(r, &t), 1);
    assert_int_equal(lo_truth_reader_next(r, &t), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s:3:6: error: z_m: record has 5 fields, the header names 9", path);
    assert_non_null(strstr(d.all, want));

    /* A complete last line without its newline is fine. */
    path = lo_test_temp_file(".csv", "time,truth_id,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps\n"
                                     "2,1,1,1,1,0,0,0");
    lo_test_diags_init(&d, false);
    r = lo_truth_reader_open(path, &d.sink);
    assert_int_equal(lo_truth_reader_next(r, &t), 1);
    assert_near(t.pos[2], 1, 0);
    assert_int_equal(t.cls, LO_CLASS_UNKNOWN);
    assert_int_equal(lo_truth_reader_next(r, &t), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
}

/* A line of 3 MiB (a binary file given as text, a corrupt file) is refused with its line
 * number and skipped, in bounded memory; the records around it are kept. */
static void test_overlong_line_skipped(void **state)
{
    (void)state;
    for (int json = 0; json < 2; json++) {
        const char *path = temp_path(json ? ".jsonl" : ".csv");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        if (json) fputs("{\"time\": 1, \"sensor_id\": 1, \"range_m\": 100, \"azimuth_deg\": 10}\n", f);
        else fputs("time,sensor_id,range_m,azimuth_deg\n1,1,100,10\n", f);
        for (int i = 0; i < 3 << 20; i++) fputc(i % 7 ? 'x' : '"', f);
        fputc('\n', f);
        /* Exactly 1 MiB with its newline: accepted (here a comment-free blank-padded record). */
        if (json) {
            const char *rec = "{\"time\": 1.5, \"sensor_id\": 1, \"range_m\": 150, \"azimuth_deg\": 15}";
            fputs(rec, f);
            for (size_t i = strlen(rec) + 1; i < (1u << 20); i++) fputc(' ', f);
        } else {
            const char *rec = "1.5,1,150,15";
            fputs(rec, f);
            for (size_t i = strlen(rec) + 1; i < (1u << 20); i++) fputc(' ', f);
        }
        fputc('\n', f);
        if (json) fputs("{\"time\": 2, \"sensor_id\": 1, \"range_m\": 200, \"azimuth_deg\": 20}\n", f);
        else fputs("2,1,200,20\n", f);
        fclose(f);
        lo_test_diags d;
        lo_test_diags_init(&d, false);
        lo_reader *r = lo_plot_reader_open(path, &d.sink);
        assert_non_null(r);
        lo_plot p;
        assert_int_equal(lo_plot_reader_next(r, &p), 1);
        assert_near(p.range_m, 100, 0);
        int got = lo_plot_reader_next(r, &p);
        if (got != 1 || p.range_m != 150) fail_msg("the 1 MiB line was not read (%s): %s", json ? "jsonl" : "csv", d.all);
        assert_int_equal(lo_plot_reader_next(r, &p), 1);
        assert_near(p.range_m, 200, 0);
        assert_int_equal(lo_plot_reader_next(r, &p), 0);
        lo_reader_close(r);
        assert_int_equal(d.n, 1);
        char want[512];
        snprintf(want, sizeof want, "%s:%d: error: line longer than 1048576 bytes", path, json ? 2 : 3);
        if (!strstr(d.all, want)) fail_msg("expected '%s' in: %s", want, d.all);
        unlink(path);
    }
}

static void test_empty_file(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv", "");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_track_reader_open(path, &d.sink);
    lo_track k;
    assert_int_equal(lo_track_reader_next(r, &k), 0);
    lo_reader_close(r);
    assert_int_equal(d.sink.errors, 1);
    assert_non_null(strstr(d.all, "empty file: expected a header row"));

    /* A header alone is an empty but valid file. */
    path = lo_test_temp_file(".csv", "time,track_id,status,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps\n");
    lo_test_diags_init(&d, false);
    r = lo_track_reader_open(path, &d.sink);
    assert_int_equal(lo_track_reader_next(r, &k), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);

    /* An empty JSON lines file holds no records and no problem. */
    path = lo_test_temp_file(".jsonl", "\n\n");
    lo_test_diags_init(&d, false);
    r = lo_track_reader_open(path, &d.sink);
    assert_int_equal(lo_track_reader_next(r, &k), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
}

static void test_csv_quoting_errors(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,track_id,status,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps\n"
        "1,5,\"confirmed\",1,2,3,4,5,6\n"
        "2,5,conf\"irmed,1,2,3,4,5,6\n"
        "3,5,flying,1,2,3,4,5,6\n"
        "4,5,deleted,1,2,3,4,5,6\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_track_reader_open(path, &d.sink);
    lo_track k;
    assert_int_equal(lo_track_reader_next(r, &k), 1);
    assert_int_equal(k.status, LO_TRACK_CONFIRMED);
    assert_int_equal(lo_track_reader_next(r, &k), 1);
    assert_near(k.t, 4, 0);
    assert_int_equal(k.status, LO_TRACK_DELETED);
    assert_int_equal(lo_track_reader_next(r, &k), 0);
    lo_reader_close(r);
    assert_int_equal(d.sink.errors, 2);
    char want[512];
    snprintf(want, sizeof want, "%s:3: error: malformed CSV", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:4:3: error: status: expected tentative, confirmed, coasting or deleted (got 'flying')", path);
    assert_non_null(strstr(d.all, want));
}

static void test_jsonl_errors(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".jsonl",
        "{\"time\": 1, \"sensor_id\": 2, \"x_m\": 1, \"y_m\": 2, \"z_m\": 3, \"mode_s\": \"4ca2d1\"}\n"
        "{\"time\": 2, \"sensor_id\": 2, \"x_m\": 1, \"y_m\": 2,\n"
        "{\"time\": 3, \"x_m\": 1, \"y_m\": 2, \"z_m\": 3}\n"
        "{\"time\": 4, \"sensor_id\": 2, \"x_m\": 1, \"y_m\": 2, \"z_m\": 3, \"mode_3a\": \"7800\"}\n"
        "[1, 2]\n"
        "{\"time\": \"2026-11-22T00:00:00Z\", \"sensor_id\": 2, \"range_m\": 5, \"azimuth_deg\": 1,"
        " \"range_km\": 0.005, \"flight_level\": 100, \"mode_3a\": 1200}\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_int_equal(p.mode_s_address, 0x4CA2D1);
    assert_int_equal(p.flags, LO_PLOT_CARTESIAN | LO_PLOT_MODE_S);
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_int_equal(lo_reader_line(r), 6);
    assert_near(p.baro_altitude_m, 3048.0, 1e-9);
    assert_int_equal(p.mode_3a, 01200);
    assert_near(p.t, 1795305600.0, 0); /* date -u -d 2026-11-22T00:00:00Z +%s */
    assert_int_equal(lo_plot_reader_next(r, &p), 0);
    lo_reader_close(r);
    char want[512];
    snprintf(want, sizeof want, "%s:2:", path);
    assert_non_null(strstr(d.all, want));
    assert_non_null(strstr(d.all, "invalid JSON"));
    snprintf(want, sizeof want, "%s:3: error: sensor_id: required key missing", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:4: error: mode_3a: expected a Mode 3/A code as 4 octal digits", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:5: error: expected one JSON object per line", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:6: warning: range_km: unknown key, ignored: lookout reads 'range_m'", path);
    assert_non_null(strstr(d.all, want));
    assert_int_equal(d.sink.errors, 4);
}

static void test_partial_group_is_an_error(void **state)
{
    (void)state;
    const char *path = lo_test_temp_file(".csv",
        "time,sensor_id,x_m,y_m,z_m,sigma_x_m,sigma_y_m,sigma_z_m\n"
        "1,1,1,2,,,,\n"
        "2,1,1,2,3,4,,6\n"
        "3,1,1,2,3,4,5,6\n");
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    lo_reader *r = lo_plot_reader_open(path, &d.sink);
    lo_plot p;
    assert_int_equal(lo_plot_reader_next(r, &p), 1);
    assert_near(p.t, 3, 0);
    assert_near(p.enu_cov[4], 25, 0);
    assert_int_equal(lo_plot_reader_next(r, &p), 0);
    lo_reader_close(r);
    char want[512];
    snprintf(want, sizeof want, "%s:2:5: error: z_m: value is empty", path);
    assert_non_null(strstr(d.all, want));
    snprintf(want, sizeof want, "%s:3:7: error: sigma_y_m: value is empty", path);
    assert_non_null(strstr(d.all, want));
}

static void test_missing_file(void **state)
{
    (void)state;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_null(lo_truth_reader_open("/nonexistent/truth.csv", &d.sink));
    assert_non_null(strstr(d.all, "/nonexistent/truth.csv: error: cannot open"));
    /* A directory opens with fopen; it used to fail at the first read with "read error". */
    lo_test_diags_init(&d, false);
    assert_null(lo_plot_reader_open("/tmp", &d.sink));
    assert_non_null(strstr(d.all, "/tmp: error: cannot open: Is a directory"));
}

static void test_time_parsing(void **state)
{
    (void)state;
    double t;
    assert_true(lo_parse_time("1970-01-01T00:00:00Z", &t));
    assert_near(t, 0, 0);
    assert_true(lo_parse_time("2000-01-01T00:00:00Z", &t));
    assert_near(t, 946684800, 0);
    assert_true(lo_parse_time("2000-01-01 01:00:00.5+01:00", &t));
    assert_near(t, 946684800.5, 1e-9);
    assert_true(lo_parse_time("2000-01-01T00:00:00.125", &t));
    assert_near(t, 946684800.125, 1e-9);
    assert_true(lo_parse_time(" 12.5 ", &t));
    assert_near(t, 12.5, 0);
    assert_false(lo_parse_time("", &t));
    assert_false(lo_parse_time("yesterday", &t));
    assert_false(lo_parse_time("2000-13-01T00:00:00Z", &t));
    assert_false(lo_parse_time("2000-01-01T00:00:00Zjunk", &t));
    assert_false(lo_parse_time("nan", &t));

    char buf[32];
    lo_format_time(946684800.9996, buf, sizeof buf);
    assert_string_equal(buf, "2000-01-01T00:00:01.000Z");
    lo_format_time(1795381380.25, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-22T21:03:00.250Z");
    assert_true(lo_parse_time(buf, &t));
    assert_near(t, 1795381380.25, 1e-6);

    assert_int_equal(lo_format_from_path("a.jsonl"), LO_FORMAT_JSONL);
    assert_int_equal(lo_format_from_path("a.NDJSON"), LO_FORMAT_JSONL);
    assert_int_equal(lo_format_from_path("a.csv"), LO_FORMAT_CSV);
    assert_int_equal(lo_format_from_path("-"), LO_FORMAT_CSV);
}

/* A writer on an open stream, read back through stdin ("-"): the first '{' makes it JSON lines. */
static void test_stream_writer_and_stdin_reader(void **state)
{
    (void)state;
    const char *path = temp_path(".out");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    lo_writer *w = lo_writer_from_stream(f, LO_FORMAT_JSONL, LO_RECORD_TRUTH);
    assert_non_null(w);
    lo_truth t = {.t = 5, .truth_id = 9, .cls = LO_CLASS_ROCKET, .pos = {1, 2, 3}, .vel = {4, 5, 6}};
    assert_int_equal(lo_truth_write(w, &t), 0);
    assert_int_equal(lo_writer_close(w), 0);
    fclose(f);
    assert_null(lo_writer_from_stream(stdout, LO_FORMAT_CSV, 7));

    assert_non_null(freopen(path, "r", stdin));
    lo_test_diags d;
    lo_test_diags_init(&d, true);
    lo_reader *r = lo_truth_reader_open("-", &d.sink);
    lo_truth out;
    assert_int_equal(lo_truth_reader_next(r, &out), 1);
    assert_int_equal(out.truth_id, 9);
    assert_int_equal(out.cls, LO_CLASS_ROCKET);
    assert_near(out.vel[2], 6, 0);
    assert_int_equal(lo_truth_reader_next(r, &out), 0);
    lo_reader_close(r);
    assert_int_equal(d.n, 0);
    unlink(path);
}

/* A non-finite value is written as an empty cell / missing key, never as "nan", and the
 * reader then names it. */
static void test_writer_leaves_out_non_finite(void **state)
{
    (void)state;
    for (int form = 0; form < 2; form++) {
        const char *path = temp_path(form ? ".jsonl" : ".csv");
        lo_writer *w = lo_truth_writer_open(path, form ? LO_FORMAT_JSONL : LO_FORMAT_CSV);
        lo_truth t = {.t = 1, .truth_id = 2, .pos = {NAN, 0, 0}, .vel = {0, INFINITY, 0}};
        assert_int_equal(lo_truth_write(w, &t), 0);
        assert_int_equal(lo_writer_close(w), 0);
        const char *text = slurp(path);
        assert_null(strstr(text, "nan"));
        assert_null(strstr(text, "inf"));
        lo_test_diags d;
        lo_test_diags_init(&d, false);
        lo_reader *r = lo_truth_reader_open(path, &d.sink);
        lo_truth out;
        assert_int_equal(lo_truth_reader_next(r, &out), 0);
        lo_reader_close(r);
        assert_int_equal(d.sink.errors, 1);
        assert_non_null(strstr(d.all, form ? "x_m: required key missing" : "x_m: required value is empty"));
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plots_round_trip_csv),
        cmocka_unit_test(test_plots_round_trip_jsonl),
        cmocka_unit_test(test_plots_csv_exact_to_the_bit),
        cmocka_unit_test(test_truth_round_trip_csv),
        cmocka_unit_test(test_truth_round_trip_jsonl),
        cmocka_unit_test(test_tracks_round_trip_csv),
        cmocka_unit_test(test_tracks_round_trip_jsonl),
        cmocka_unit_test(test_track_header_names_every_class),
        cmocka_unit_test(test_column_order_free_and_iso_time),
        cmocka_unit_test(test_crlf_and_bom),
        cmocka_unit_test(test_subnormal_accepted_overflow_refused),
        cmocka_unit_test(test_bad_value_reports_line_column_field),
        cmocka_unit_test(test_implausible_time_refused),
        cmocka_unit_test(test_missing_required_column),
        cmocka_unit_test(test_wrong_unit_column_is_named),
        cmocka_unit_test(test_truncated_last_line),
        cmocka_unit_test(test_overlong_line_skipped),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_csv_quoting_errors),
        cmocka_unit_test(test_jsonl_errors),
        cmocka_unit_test(test_partial_group_is_an_error),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_time_parsing),
        cmocka_unit_test(test_stream_writer_and_stdin_reader),
        cmocka_unit_test(test_writer_leaves_out_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
