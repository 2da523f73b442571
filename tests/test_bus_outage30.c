/*
 * test_bus_outage30.c: the long fault: the whole NATS cluster (three servers,
 * replicas 3) is stopped for 30 s while an edge node keeps producing plots at 200 per second
 * and an alert transition every two seconds. Labelled "long" in ctest (about 45 s; exclude with
 * `ctest -LE long`). Checked:
 *   - publishing never waited: every call returned while no server existed (a blocking call
 *     would hang the test);
 *   - the plot ring kept the newest `plot_buffer` plots; the rest were dropped oldest first and
 *     /metrics text shows the count;
 *   - after the cluster comes back the edge reconnected by itself, and the alert stream holds
 *     every transition exactly once, in order.
 * Skips (77) when nats-server is not installed.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "lookout/bus.h"
#include "nats/bus_testutil.h"

#define OUTAGE_S 30.0
#define PLOT_RATE 200
#define PLOT_BUFFER 1000

static void test_cluster_down_30s(void **state)
{
    nats_cluster_fixture *f = *state;
    lo_nats_cluster *c = f->nats;
    char err[256];
    const char *urls[3] = {lo_nats_cluster_url(c, 0), lo_nats_cluster_url(c, 1),
                           lo_nats_cluster_url(c, 2)};
    lo_bus_config ce = test_bus_config("edge-long", urls, 3);
    ce.plot_buffer = PLOT_BUFFER;
    ce.reconnect_wait_s = 0.5;
    lo_bus *edge = lo_bus_open(&ce, err, sizeof err);
    assert_non_null(edge);
    assert_true(lo_bus_wait_ready(edge, 30));

    uint64_t alert_id = 0;
    lo_alert a = test_alert(++alert_id, "residence", LO_ALERT_RAISED, 7000.0);
    lo_bus_publish_alert(edge, &a, alert_id);
    assert_true(lo_bus_flush(edge, 20));

    for (int i = 0; i < 3; i++)
        assert_int_equal(lo_nats_cluster_stop(c, i, true), 0);
    /* Until the edge has noticed, a plot may still be handed to the dying connection. */
    lo_bus_stats s;
    double until = mono() + 10;
    do {
        nap(0.05);
        lo_bus_get_stats(edge, &s);
    } while (s.connected && mono() < until);
    assert_false(s.connected);
    nap(0.2);

    /* The edge goes on: plots every 5 ms, a transition every 2 s. */
    int n_plots = 0;
    double start = mono(), next_alert = start + 2.0;
    while (mono() - start < OUTAGE_S) {
        char p[32];
        int n = snprintf(p, sizeof p, "%d", n_plots++);
        assert_int_equal(lo_bus_publish_plot(edge, "radar-1", p, (size_t)n), 0);
        if (mono() >= next_alert) {
            alert_id++;
            a = test_alert(alert_id, alert_id % 2 ? "residence" : "district",
                           LO_ALERT_UPDATED, 7000.0 + (double)alert_id);
            assert_int_equal(lo_bus_publish_alert(edge, &a, alert_id), 0);
            next_alert += 2.0;
        }
        nap(1.0 / PLOT_RATE);
    }
    lo_bus_get_stats(edge, &s);
    assert_false(s.connected);
    assert_int_equal(s.plots_buffered, PLOT_BUFFER);
    assert_int_equal(s.plots_dropped, (uint64_t)(n_plots - PLOT_BUFFER));
    assert_int_equal(s.alerts_pending, alert_id - 1);
    char text[4096], want[128];
    lo_bus_metrics_text(edge, text, sizeof text);
    snprintf(want, sizeof want, "lookout_bus_plots_dropped_total{node=\"edge-long\"} %d\n",
             n_plots - PLOT_BUFFER);
    assert_non_null(strstr(text, want));
    print_message("outage: %d plots, %d dropped, %d alerts waiting\n", n_plots,
                  n_plots - PLOT_BUFFER, (int)(alert_id - 1));

    for (int i = 0; i < 3; i++)
        assert_int_equal(lo_nats_cluster_restart(c, i), 0);
    assert_true(lo_bus_wait_ready(edge, 60));
    assert_true(lo_bus_flush(edge, 60));
    lo_bus_get_stats(edge, &s);
    assert_true(s.reconnects >= 1);
    assert_int_equal(s.alerts_pending, 0);
    assert_int_equal(s.plots_published, PLOT_BUFFER);

    stream_dump *d = stream_read(urls[0], "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    assert_int_equal(d->n, (int)alert_id);
    for (int i = 0; i < d->n; i++) {
        snprintf(want, sizeof want, "edge-long.%d.%d", i + 1, i + 1);
        assert_string_equal(d->msgid[i], want);
    }
    stream_dump_free(d);

    lo_bus_close(edge);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        printf("SKIP: nats-server not installed (Debian package nats-server)\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cluster_down_30s, nats_cluster3_setup, nats_cluster_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
