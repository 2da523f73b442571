/*
 * test_track_memory.c: the tracker's memory follows what it tracks now, not what it once
 * saw (helper trkperf): the clutter map forgets cells nobody fed for 20 memories, the seed
 * arrays give back the room of the first scans, and an IMM(CV,CT,CA) track costs under
 * 4 KB all in (the goal of issue 4) in a bench-like scene. Memory is the tracker's own
 * account (lo_tracker_stats.memory_bytes: the capacity of every array it holds).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../bench/synth.h"
#include "lookout/tracker.h"

static lo_plot plot_at(double t, double x, double y, double z, double sigma_h)
{
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.sensor_id = 1;
    p.flags = LO_PLOT_CARTESIAN | LO_PLOT_COVARIANCE;
    p.enu[0] = x, p.enu[1] = y, p.enu[2] = z;
    p.enu_cov[0] = p.enu_cov[4] = sigma_h * sigma_h;
    p.enu_cov[8] = 30.0 * 30.0;
    return p;
}

/* One false alarm per 5 km lattice point of a new row every second: no two plots within
 * reach of a pair (900 m/s for 1 s), every plot in a cell of its own. */
static size_t clutter_rows_memory(double map_time_s, int seconds, int per_row)
{
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.clutter_map = true;
    cfg.clutter_map_time_s = map_time_s;
    cfg.reorder_window_s = 0;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    assert_non_null(t);
    for (int s = 0; s < seconds; s++) {
        double ts = 1000.0 + s;
        for (int i = 0; i < per_row; i++) {
            lo_plot p = plot_at(ts, 5000.0 * i, 5000.0 * s, 300.0, 20.0);
            assert_int_equal(lo_tracker_add_plot(t, &p), 0);
        }
        lo_tracker_advance(t, ts + 0.5);
    }
    lo_tracker_stats st;
    lo_tracker_get_stats(t, &st);
    assert_int_equal(st.live_tracks, 0); /* the rows never pair */
    lo_tracker_free(t);
    return st.memory_bytes;
}

static void test_clutter_map_forgets_old_cells(void **state)
{
    (void)state;
    /* 200 s of 200 new cells a second: 40,000 cells seen. A 1 s memory forgets a cell after
     * 20 s (about 4,000 live cells); a 1,000 s memory keeps them all. */
    size_t forgetting = clutter_rows_memory(1.0, 200, 200);
    size_t keeping = clutter_rows_memory(1000.0, 200, 200);
    /* 40,000 cells of 40 bytes at load <= 3/4: at least 1.6 MB when kept. */
    assert_true(keeping > 1600000);
    assert_true(forgetting * 2 < keeping);
}

static void test_seed_arrays_shrink(void **state)
{
    (void)state;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.reorder_window_s = 0;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    assert_non_null(t);
    lo_tracker_stats st;
    /* A first look with 8,000 lone plots (all become seeds) ... */
    for (int i = 0; i < 8000; i++) {
        lo_plot p = plot_at(1000.0, 5000.0 * (i % 100), 5000.0 * (i / 100), 300.0, 20.0);
        assert_int_equal(lo_tracker_add_plot(t, &p), 0);
    }
    lo_tracker_advance(t, 1000.5);
    lo_tracker_get_stats(t, &st);
    size_t peak = st.memory_bytes;
    /* ... then 20 looks with 20 each, far from the first ones. */
    for (int s = 1; s <= 20; s++) {
        for (int i = 0; i < 20; i++) {
            lo_plot p = plot_at(1000.0 + s, -1e6 + 5000.0 * i, -1e6 + 5000.0 * s, 300.0, 20.0);
            assert_int_equal(lo_tracker_add_plot(t, &p), 0);
        }
        lo_tracker_advance(t, 1000.5 + s);
    }
    lo_tracker_get_stats(t, &st);
    /* The seeds (8,192 x 272 bytes) were most of the peak; the queue keeps its size. */
    assert_true(st.memory_bytes < peak - 1500000);
    lo_tracker_free(t);
}

static void test_imm_track_under_4kb(void **state)
{
    (void)state;
    /* bench_track's scene at 3,000 targets: one target per km^2, Pd 0.9, N/10 false alarms
     * a scan, IMM(CV,CT,CA) + JPDA, 15 scans. */
    const int n = 3000;
    lo_tracker_config cfg;
    lo_tracker_config_default(&cfg);
    cfg.reorder_window_s = 0;
    lo_tracker *t = lo_tracker_new(NULL, &cfg);
    assert_non_null(t);
    double half = 500.0 * sqrt((double)n);
    synth_rng rng = {42};
    double (*pos)[3] = malloc(sizeof *pos * n), (*vel)[2] = malloc(sizeof *vel * n);
    assert_non_null(pos);
    assert_non_null(vel);
    for (int i = 0; i < n; i++) {
        pos[i][0] = (2 * synth_uniform(&rng) - 1) * half;
        pos[i][1] = (2 * synth_uniform(&rng) - 1) * half;
        pos[i][2] = 50 + 1000 * synth_uniform(&rng);
        double sp = 10 + 50 * synth_uniform(&rng), hd = 6.283185307179586 * synth_uniform(&rng);
        vel[i][0] = sp * cos(hd), vel[i][1] = sp * sin(hd);
    }
    for (int s = 0; s < 15; s++) {
        double ts = 1000.0 + s;
        for (int i = 0; i < n; i++) {
            pos[i][0] += vel[i][0], pos[i][1] += vel[i][1];
            if (synth_uniform(&rng) >= 0.9) continue;
            lo_plot p = plot_at(ts, pos[i][0] + 20 * synth_normal(&rng), pos[i][1] + 20 * synth_normal(&rng),
                                pos[i][2], 20.0);
            lo_tracker_add_plot(t, &p);
        }
        int nc = synth_poisson(&rng, n / 10.0);
        for (int c = 0; c < nc; c++) {
            lo_plot p = plot_at(ts, (2 * synth_uniform(&rng) - 1) * half, (2 * synth_uniform(&rng) - 1) * half,
                                50 + 1000 * synth_uniform(&rng), 20.0);
            lo_tracker_add_plot(t, &p);
        }
        lo_tracker_advance(t, ts + 0.5);
    }
    lo_tracker_stats st;
    lo_tracker_get_stats(t, &st);
    assert_true(st.live_tracks >= (size_t)n); /* the targets and some tentative clutter */
    double per_track = (double)st.memory_bytes / (double)st.live_tracks;
    printf("IMM(3) + JPDA, %d targets: %zu live tracks, %.0f bytes a track all in\n", n,
           st.live_tracks, per_track);
    assert_true(per_track < 4096.0);
    free(pos);
    free(vel);
    lo_tracker_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clutter_map_forgets_old_cells),
        cmocka_unit_test(test_seed_arrays_shrink),
        cmocka_unit_test(test_imm_track_under_4kb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
