/*
 * test_fusion_outage30.c: NATS stopped entirely for 30 s under the two-sites arrangement
 * (two edges, a fusion node, a display; scenarios/two-sites at 2x real time).
 *
 * While the whole three-server cluster is down the edges keep warning for their own zones,
 * their buses drop the oldest plots beyond a ring of 50 blocks (counted, in the metrics
 * text) and never an alert; when
 * the servers are back the edges reconnect by themselves, every journalled transition reaches
 * the alert stream exactly once, and the fusion node receives plots again.
 *
 * ctest label `long` (about 50 s). Skips (77) without nats-server.
 */
#include "testutil.h"

#include "multisite_testlib.h"

#define SPEED 2.0
#define DOWN_AT 10  /* data seconds: 5 s of wall time in */
#define UP_AT 70    /* 60 data seconds = 30 s of wall time later */

typedef struct outage {
    lo_nats_cluster *nats;
    bool down, up;
    uint64_t fusion_plots_at_up, fusion_plots_at_down;
    uint64_t west_dropped_during;
} outage;

static void outage_hook(ms_world *w, double s, void *ctx)
{
    outage *o = ctx;
    lo_role_stats fs;
    if (s == DOWN_AT) {
        for (int i = 0; i < lo_nats_cluster_size(o->nats); i++)
            assert_int_equal(lo_nats_cluster_stop(o->nats, i, true), 0);
        o->down = true;
        w->mark_t = w->sim_start + s;
        lo_role_get_stats(w->fusion, &fs);
        o->fusion_plots_at_down = fs.plots_received;
    }
    if (s == UP_AT) {
        lo_bus_stats bs;
        lo_bus_get_stats(w->bus_west, &bs);
        o->west_dropped_during = bs.plots_dropped;
        /* Before the restart: the edges' rings flow out as soon as the first server is up. */
        lo_role_get_stats(w->fusion, &fs);
        o->fusion_plots_at_up = fs.plots_received;
        for (int i = 0; i < lo_nats_cluster_size(o->nats); i++)
            assert_int_equal(lo_nats_cluster_restart(o->nats, i), 0);
        o->up = true;
    }
}

static void test_outage_30s(void **state)
{
    (void)state;
    char dir[64], sub[80], err[256];
    assert_non_null(test_tmpdir(dir, sizeof dir));
    snprintf(sub, sizeof sub, "%s/nats", dir);
    lo_nats_cluster *nats = lo_nats_cluster_start(3, sub, err, sizeof err);
    if (!nats) print_error("%s\n", err);
    assert_non_null(nats);
    ms_world w;
    memset(&w, 0, sizeof w);
    w.plot_buffer = 50;
    assert_true(ms_world_open(&w, nats));
    outage o = {.nats = nats};
    assert_true(ms_run(&w, SPEED, outage_hook, &o));
    assert_true(o.down && o.up);

    /* Edges kept warning during the outage. */
    print_message("transitions during or after the outage: west %d, east %d\n",
                  w.j_west.after_mark, w.j_east.after_mark);
    assert_true(w.j_west.after_mark > 0 && w.j_east.after_mark > 0);
    /* The fusion node got nothing while NATS was down (plots are not buffered for it). */
    assert_true(o.fusion_plots_at_up - o.fusion_plots_at_down < 50);
    /* Drops counted, in the metrics too. */
    print_message("west edge dropped %llu plots during the outage\n",
                  (unsigned long long)o.west_dropped_during);
    assert_true(o.west_dropped_during > 20);
    char text[8192];
    assert_true(lo_bus_metrics_text(w.bus_west, text, sizeof text) > 0);
    const char *line = strstr(text, "lookout_bus_plots_dropped_total{node=\"edge-west\"} ");
    assert_non_null(line);
    assert_true(atol(line + strlen("lookout_bus_plots_dropped_total{node=\"edge-west\"} ")) > 20);

    /* Reconnected by themselves; nothing journalled is missing from the stream. */
    assert_true(lo_bus_flush(w.bus_west, 30) && lo_bus_flush(w.bus_east, 30) &&
                lo_bus_flush(w.bus_fusion, 30));
    lo_bus_stats bs;
    lo_bus_get_stats(w.bus_west, &bs);
    assert_true(bs.connected && bs.reconnects >= 1);
    /* Every plot block was either sent or counted as dropped: none lost silently. */
    assert_int_equal(bs.plots_queued, bs.plots_published + bs.plots_dropped);
    assert_int_equal(bs.alerts_pending, 0);
    lo_role_stats fs;
    lo_role_get_stats(w.fusion, &fs);
    print_message("fusion received %llu plots after NATS came back\n",
                  (unsigned long long)(fs.plots_received - o.fusion_plots_at_up));
    assert_true(fs.plots_received - o.fusion_plots_at_up > 50);
    stream_dump *d = stream_read(lo_nats_cluster_url(nats, 0), "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    ms_check_stream_has(d, "edge-west", &w.j_west);
    ms_check_stream_has(d, "edge-east", &w.j_east);
    ms_check_stream_has(d, "fusion-west", &w.j_fusion);
    assert_int_equal(d->n, w.j_west.n + w.j_east.n + w.j_fusion.n);
    stream_dump_free(d);

    ms_world_close(&w);
    lo_nats_cluster_free(nats);
    snprintf(sub, sizeof sub, "rm -rf %s", dir);
    assert_int_equal(system(sub), 0);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        fprintf(stderr, "test_fusion_outage30: nats-server not installed; skipping\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_outage_30s)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
