/*
 * test_fusion_nats.c: many radar sites on NATS (issue 8), with real nats-server processes on
 * 127.0.0.1: a three-server cluster, two edge nodes with overlapping simulated radars
 * (scenarios/two-sites), one fusion node doing plot-level tracking over both, one display.
 *
 *  - the fusion picture holds one track per truth object in the overlap; the display, which
 *    gets the tracks of both edges and of the fusion node, shows one track per object (the
 *    hand-over table) and the regional (bridge) and local (compound) alerts;
 *  - one NATS server is killed (SIGKILL) mid-run: every alert transition in a node's SQLite
 *    journal is in the LOOKOUT_ALERTS stream exactly once;
 *  - the fusion node is killed: the edges keep warning; it comes back and its picture holds a
 *    track of every object in coverage within 5 scans.
 *
 * Skips (77) without nats-server. About 20 s (the scenario runs at 10x real time).
 */
#include "testutil.h"

#include "multisite_testlib.h"

#define SPEED 10.0

typedef struct fixture {
    char dir[64];
    lo_nats_cluster *nats;
    ms_world w;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char sub[80], err[256];
    if (!f || !test_tmpdir(f->dir, sizeof f->dir)) return -1;
    snprintf(sub, sizeof sub, "%s/nats", f->dir);
    f->nats = lo_nats_cluster_start(3, sub, err, sizeof err);
    if (!f->nats) {
        print_error("%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ms_world_close(&f->w);
    lo_nats_cluster_free(f->nats);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* ---- one track per object, alerts everywhere, a server lost ---------------------------------- */

typedef struct overlap_check {
    lo_nats_cluster *nats;
    int checks, exact, objects_seen;
    int display_checks, display_exact;
    int killed;
} overlap_check;

static void overlap_hook(ms_world *w, double s, void *ctx)
{
    overlap_check *c = ctx;
    if (s == 30 && c->killed < 0) {
        c->killed = 0;
        assert_int_equal(lo_nats_cluster_stop(c->nats, 0, true), 0);
    }
    if (s == 50 && c->killed == 0) {
        assert_int_equal(lo_nats_cluster_restart(c->nats, 0), 0);
        c->killed = 1;
    }
    /* The display's picture: tracks of both edges and the fusion node, one per object. */
    if (s >= 20 && (int)s % 10 == 0) {
        lo_picture_stats ps;
        lo_picture_get_stats(w->pic, &ps);
        int objects = 0;
        for (uint32_t id = 1; id < MS_MAX_TRUTH; id++) objects += w->truth_live[id];
        print_message("t+%.0f s: display shows %zu tracks (%zu confirmed), %d objects\n", s,
                      ps.n_tracks, ps.n_tracks_by_status[LO_TRACK_CONFIRMED], objects);
        c->display_checks++;
        c->display_exact += ps.n_tracks == (size_t)objects;
    }
    /* From the 15th second on, every 5 s: objects both radars see. */
    if (s < 15 || (int)s % 5) return;
    for (uint32_t id = 1; id < MS_MAX_TRUTH; id++) {
        if (!ms_in_overlap(w, id)) continue;
        int n = ms_tracks_of(w->fusion, id);
        c->checks++;
        c->exact += n == 1;
        if (n != 1) print_message("t+%.0f s: truth %u in the overlap has %d fusion tracks\n", s, id, n);
    }
}

static void test_two_edges_one_fusion(void **state)
{
    fixture *f = *state;
    ms_world *w = &f->w;
    assert_true(ms_world_open(w, f->nats));
    overlap_check c = {.nats = f->nats, .killed = -1};
    assert_true(ms_run(w, SPEED, overlap_hook, &c));
    assert_int_equal(c.killed, 1);

    /* One fusion track per object both radars see, at (nearly) every check. */
    print_message("overlap checks: %d of %d exact\n", c.exact, c.checks);
    assert_true(c.checks >= 10);
    assert_true(c.exact * 10 >= c.checks * 9);

    /* The display merged the tracks of three nodes into one per object (hand-over table). */
    print_message("display: %d of %d checks one track per object\n", c.display_exact,
                  c.display_checks);
    assert_true(c.display_checks >= 6 && c.display_exact >= c.display_checks - 1);
    /* Plots of both edges reached the fusion node. */
    lo_role_stats fs;
    lo_role_get_stats(w->fusion, &fs);
    lo_role_stats ws, es;
    lo_role_get_stats(w->edge_west, &ws);
    lo_role_get_stats(w->edge_east, &es);
    print_message("plots: west %llu east %llu published, fusion received %llu (late %llu)\n",
                  (unsigned long long)ws.plots_published, (unsigned long long)es.plots_published,
                  (unsigned long long)fs.plots_received, (unsigned long long)fs.plots_late);
    assert_true(ws.plots_published > 300 && es.plots_published > 300);
    assert_true(fs.plots_received * 100 >= (ws.plots_published + es.plots_published) * 95);

    /* Local alerts at both edges, regional ones at the fusion node, all shown by the display. */
    assert_true(w->j_west.n > 0 && w->j_east.n > 0 && w->j_fusion.n > 0);
    for (int i = 0; i < w->j_fusion.n; i++) assert_string_equal(w->j_fusion.a[i].zone_name, "bridge");
    assert_true(lo_bus_flush(w->bus_west, 20) && lo_bus_flush(w->bus_east, 20) &&
                lo_bus_flush(w->bus_fusion, 20));
    double until = mono() + 10;
    while (mono() < until && !(w->display_saw_bridge && w->display_saw_west && w->display_saw_east)) {
        nap(0.1);
        ms_scan_display_alerts(w);
    }
    assert_true(w->display_saw_bridge);
    assert_true(w->display_saw_west);
    assert_true(w->display_saw_east);
    lo_display_stats ds;
    lo_display_get_stats(w->display, &ds);
    assert_true(ds.track_records > 0);

    /* The server killed for 20 s lost nothing: the stream holds every journalled transition once. */
    stream_dump *d = stream_read(lo_nats_cluster_url(f->nats, 1), "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    print_message("journals: west %d, east %d, fusion %d; stream %d\n", w->j_west.n, w->j_east.n,
                  w->j_fusion.n, d->n);
    ms_check_stream_has(d, "edge-west", &w->j_west);
    ms_check_stream_has(d, "edge-east", &w->j_east);
    ms_check_stream_has(d, "fusion-west", &w->j_fusion);
    assert_int_equal(d->n, w->j_west.n + w->j_east.n + w->j_fusion.n);
    stream_dump_free(d);
}

/* ---- the fusion node dies and comes back --------------------------------------------------- */

#define KILL_AT 35
#define BACK_AT 45

typedef struct restart_check {
    double replay_s;
    long replayed;
    int missing_after_replay, objects_replay;
    int west_before, east_before;
    bool recovered_checked;
    int missing_after_5_scans;
    int objects;
} restart_check;

#define KILL2_AT 60
#define BACK2_AT 66

static int objects_without_track(ms_world *w, int *objects)
{
    int missing = 0;
    for (uint32_t id = 1; id < MS_MAX_TRUTH; id++) {
        if (!ms_in_any_coverage(w, id)) continue;
        (*objects)++;
        if (ms_tracks_of(w->fusion, id) < 1) missing++;
    }
    return missing;
}

static void restart_hook(ms_world *w, double s, void *ctx)
{
    restart_check *c = ctx;
    /* Second round: killed again, and this time it replays the last 6 s of data (0.6 s of
     * wall time at 10x, i.e. from the moment it died) from the plots stream when it starts:
     * its picture is back at once. */
    if (s == KILL2_AT) ms_fusion_stop(w);
    if (s == BACK2_AT) {
        assert_non_null(ms_fusion_start(w, 6.0 / SPEED));
        c->replayed = w->replayed;
        int objects = 0;
        lo_role_poll(w->fusion);
        c->missing_after_replay = objects_without_track(w, &objects);
        c->objects_replay = objects;
    }
    if (s == KILL_AT) {
        ms_fusion_stop(w);
        w->mark_t = w->sim_start + s;
    }
    if (s == BACK_AT) assert_non_null(ms_fusion_start(w, c->replay_s));
    if (s > BACK_AT && s <= BACK_AT + 8) {
        lo_role_stats st;
        lo_role_get_stats(w->fusion, &st);
        print_message("t+%.0f: fusion plots %llu received, %llu late, tracks %zu\n", s,
                      (unsigned long long)st.plots_received, (unsigned long long)st.plots_late,
                      lo_tracker_track_count(lo_pipeline_tracker(lo_role_pipeline(w->fusion))));
    }
    if (s == BACK_AT + 5 && !c->recovered_checked) {
        /* Five scans after the restart: a confirmed track of every object in coverage. */
        c->recovered_checked = true;
        for (uint32_t id = 1; id < MS_MAX_TRUTH; id++) {
            if (!ms_in_any_coverage(w, id)) continue;
            c->objects++;
            if (ms_tracks_of(w->fusion, id) < 1) {
                print_message("truth %u has no fusion track 5 scans after the restart\n", id);
                c->missing_after_5_scans++;
            }
        }
    }
}

static void test_fusion_node_restart(void **state)
{
    fixture *f = *state;
    ms_world *w = &f->w;
    assert_true(ms_world_open(w, f->nats));
    restart_check c = {0};
    assert_true(ms_run(w, SPEED, restart_hook, &c));
    assert_true(c.recovered_checked);
    print_message("after the restart: %d objects in coverage, %d without a track\n", c.objects,
                  c.missing_after_5_scans);
    assert_true(c.objects >= 3);
    assert_int_equal(c.missing_after_5_scans, 0);
    print_message("second restart: %ld plots replayed, %d objects in coverage, %d without a "
                  "track at once\n", c.replayed, c.objects_replay, c.missing_after_replay);
    assert_true(c.replayed > 15);
    assert_true(c.objects_replay >= 3);
    assert_int_equal(c.missing_after_replay, 0);
    /* The edges kept warning while the fusion node was away. */
    print_message("edge transitions after the fusion node died: west %d east %d\n",
                  w->j_west.after_mark, w->j_east.after_mark);
    assert_true(w->j_west.after_mark + w->j_east.after_mark > 0);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        fprintf(stderr, "test_fusion_nats: nats-server not installed; skipping\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_edges_one_fusion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fusion_node_restart, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
