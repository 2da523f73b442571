/*
 * test_bus.c: the NATS bus against a real nats-server on 127.0.0.1 (one server, JetStream).
 *
 * Started per test on free ports with its store in a temporary directory, killed at the end.
 * Skips (77) when nats-server is not installed. Each check reads back through an independent
 * path: the subscriber of another bus, or the stream itself read by sequence with libnats.
 *   - plots, tracks, health and alerts from an edge bus reach a display bus;
 *   - NATS stopped for a few seconds: the edge keeps only the newest plots (the oldest are
 *     dropped and counted), every alert arrives exactly once after the restart, and the
 *     client reconnected by itself;
 *   - a durable alert consumer that restarts gets exactly what it had not acknowledged;
 *   - the alert spool: alerts queued by a process that ended before NATS came back are
 *     delivered by the next one, and a repeated message id is stored once.
 */
#include "testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/bus.h"
#include "nats/bus_testutil.h"

/* ---- a receiver that records what arrives (callbacks run on libnats threads) ------------ */

#define MAX_RX 4096

typedef struct receiver {
    pthread_mutex_t mu;
    int n_plots, n_tracks, n_health, n_alerts;
    char plot[MAX_RX][32];
    char plot_site[32], plot_sensor[32], track_node[32], health_node[32];
    uint64_t alert_ids[MAX_RX];
    uint64_t alert_seq[MAX_RX];
    char alert_node[32];
    int nak_first;            /* refuse the first delivery of this many alerts */
    int unparsed;             /* payloads that did not parse (asserted on the main thread) */
    int max_delivery;
} receiver;

static void rx_init(receiver *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static void on_plot(void *ctx, const lo_bus_msg *m)
{
    receiver *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (r->n_plots < MAX_RX) {
        size_t n = m->len < 31 ? m->len : 31;
        memcpy(r->plot[r->n_plots], m->data, n);
        r->plot[r->n_plots][n] = '\0';
    }
    r->n_plots++;
    snprintf(r->plot_site, sizeof r->plot_site, "%s", m->site ? m->site : "");
    snprintf(r->plot_sensor, sizeof r->plot_sensor, "%s", m->sensor ? m->sensor : "");
    pthread_mutex_unlock(&r->mu);
}

static void on_track(void *ctx, const lo_bus_msg *m)
{
    receiver *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->n_tracks++;
    snprintf(r->track_node, sizeof r->track_node, "%s", m->node ? m->node : "");
    pthread_mutex_unlock(&r->mu);
}

static void on_health(void *ctx, const lo_bus_msg *m)
{
    receiver *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->n_health++;
    snprintf(r->health_node, sizeof r->health_node, "%s", m->node ? m->node : "");
    pthread_mutex_unlock(&r->mu);
}

static bool on_alert(void *ctx, const lo_bus_alert_msg *m)
{
    receiver *r = ctx;
    pthread_mutex_lock(&r->mu);
    if ((int)m->delivery_count > r->max_delivery)
        r->max_delivery = (int)m->delivery_count;
    if (r->nak_first > 0 && m->delivery_count == 1) {
        r->nak_first--;
        pthread_mutex_unlock(&r->mu);
        return false; /* "could not journal it": must come again */
    }
    if (!m->parsed)
        r->unparsed++;
    if (r->n_alerts < MAX_RX) {
        r->alert_ids[r->n_alerts] = m->alert.alert_id;
        r->alert_seq[r->n_alerts] = m->seq;
    }
    r->n_alerts++;
    snprintf(r->alert_node, sizeof r->alert_node, "%s", m->node);
    pthread_mutex_unlock(&r->mu);
    return true;
}

static int rx_count(receiver *r, const int *field)
{
    pthread_mutex_lock(&r->mu);
    int n = *field;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Wait (bounded) until *field reaches want. */
static bool rx_wait(receiver *r, const int *field, int want, double timeout_s)
{
    double end = mono() + timeout_s;
    while (rx_count(r, field) < want && mono() < end)
        nap(0.01);
    return rx_count(r, field) >= want;
}

/* ---- per-test server --------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    lo_nats_cluster *nats;
    const char *url;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    if (!test_tmpdir(f->dir, sizeof f->dir))
        return -1;
    char sub[80];
    snprintf(sub, sizeof sub, "%s/nats", f->dir);
    f->nats = lo_nats_cluster_start(1, sub, err, sizeof err);
    if (!f->nats) {
        print_error("%s\n", err);
        return -1;
    }
    f->url = lo_nats_cluster_url(f->nats, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lo_nats_cluster_free(f->nats);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static lo_bus *open_bus(const lo_bus_config *c)
{
    char err[256];
    lo_bus *b = lo_bus_open(c, err, sizeof err);
    if (!b)
        print_error("%s\n", err);
    assert_non_null(b);
    return b;
}

/* lo_bus_wait_ready, saying why not when it fails. */
static bool ready(lo_bus *b, double timeout_s)
{
    if (lo_bus_wait_ready(b, timeout_s))
        return true;
    lo_bus_stats s;
    lo_bus_get_stats(b, &s);
    print_error("bus not ready: connected %d streams %d: %s\n", s.connected, s.streams_ready,
                s.last_error);
    return false;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_publish_subscribe(void **state)
{
    fixture *f = *state;
    lo_bus_config ce = test_bus_config("edge-1", &f->url, 1);
    lo_bus_config cd = test_bus_config("display-1", &f->url, 1);
    cd.role = LO_BUS_ROLE_DISPLAY;
    ce.health_interval_s = 0.1; /* the bus's own heartbeat */
    receiver rx;
    rx_init(&rx);
    lo_bus *display = open_bus(&cd);
    assert_int_equal(lo_bus_subscribe_plots(display, NULL, on_plot, &rx), 0);
    assert_int_equal(lo_bus_subscribe_tracks(display, "edge-1", on_track, &rx), 0);
    assert_int_equal(lo_bus_subscribe_health(display, on_health, &rx), 0);
    assert_int_equal(lo_bus_subscribe_alerts(display, "display-1", NULL, on_alert, &rx), 0);
    assert_true(ready(display, 10));
    lo_bus *edge = open_bus(&ce);
    assert_true(ready(edge, 10));
    /* Let the display's subscriptions reach the server before the edge publishes. */
    assert_true(lo_bus_flush(display, 5));
    assert_true(rx_wait(&rx, &rx.n_health, 1, 5));

    for (int i = 0; i < 200; i++) {
        char p[32];
        int n = snprintf(p, sizeof p, "cat048 #%d", i);
        assert_int_equal(lo_bus_publish_plot(edge, "radar 1", p, (size_t)n), 0);
    }
    for (int i = 0; i < 20; i++)
        assert_int_equal(lo_bus_publish_track(edge, "cat062", 6), 0);
    for (uint64_t i = 1; i <= 10; i++) {
        lo_alert a = test_alert(i, "residence", LO_ALERT_RAISED, 2000.0 + (double)i);
        assert_int_equal(lo_bus_publish_alert(edge, &a, i), 0);
    }
    assert_true(lo_bus_flush(edge, 10));
    assert_true(rx_wait(&rx, &rx.n_plots, 200, 10));
    assert_true(rx_wait(&rx, &rx.n_tracks, 20, 10));
    assert_true(rx_wait(&rx, &rx.n_alerts, 10, 10));
    nap(0.2); /* nothing more may come */

    pthread_mutex_lock(&rx.mu);
    assert_int_equal(rx.n_plots, 200);
    for (int i = 0; i < 200; i++) { /* core NATS keeps one publisher's order */
        char want[32];
        snprintf(want, sizeof want, "cat048 #%d", i);
        assert_string_equal(rx.plot[i], want);
    }
    assert_string_equal(rx.plot_site, "site-edge-1");
    assert_string_equal(rx.plot_sensor, "radar_1");
    assert_int_equal(rx.n_tracks, 20);
    assert_string_equal(rx.track_node, "edge-1");
    assert_true(rx.n_health >= 1);
    assert_int_equal(rx.n_alerts, 10);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rx.alert_ids[i], i + 1); /* in order */
        assert_int_equal(rx.alert_seq[i], i + 1);
    }
    assert_string_equal(rx.alert_node, "edge-1");
    assert_int_equal(rx.unparsed, 0);
    pthread_mutex_unlock(&rx.mu);

    lo_bus_stats s;
    lo_bus_get_stats(edge, &s);
    assert_true(s.connected && s.streams_ready);
    assert_int_equal(s.alert_replicas, 1); /* a single server: no replication possible */
    assert_int_equal(s.plots_published, 200);
    assert_int_equal(s.plots_dropped, 0);
    assert_int_equal(s.alerts_published, 10);
    assert_int_equal(s.alerts_pending, 0);
    lo_bus_get_stats(display, &s);
    assert_int_equal(s.plots_received, 200);
    assert_int_equal(s.alerts_acked, 10);

    /* The streams hold them too: plots for replay, alerts with their message ids. */
    stream_dump *d = stream_read(f->url, "LOOKOUT_PLOTS", "lookout.plots.site-edge-1.radar_1");
    assert_non_null(d);
    assert_int_equal(d->n, 200);
    stream_dump_free(d);
    /* Replay from the plots stream through the bus: the same 200, in order. */
    receiver replay;
    rx_init(&replay);
    assert_int_equal(lo_bus_replay_plots(display, "site-edge-1", 0, on_plot, &replay, 10), 200);
    assert_int_equal(replay.n_plots, 200);
    assert_string_equal(replay.plot[0], "cat048 #0");
    assert_string_equal(replay.plot[199], "cat048 #199");
    assert_string_equal(replay.plot_sensor, "radar_1");
    assert_int_equal(lo_bus_replay_plots(display, "no-such-site", 0, on_plot, &replay, 10), 0);
    /* By start time: an hour ago takes all of them, an hour ahead none. */
    double now = (double)time(NULL);
    assert_int_equal(lo_bus_replay_plots(display, NULL, now - 3600, on_plot, &replay, 10), 200);
    assert_int_equal(lo_bus_replay_plots(display, NULL, now + 3600, on_plot, &replay, 10), 0);
    d = stream_read(f->url, "LOOKOUT_ALERTS", "lookout.alerts.residence");
    assert_non_null(d);
    assert_int_equal(d->n, 10);
    assert_string_equal(d->msgid[0], "edge-1.1.1");
    assert_non_null(strstr(d->data[9], "\"alert_id\":10"));
    stream_dump_free(d);

    lo_bus_close(edge);
    lo_bus_close(display);
}

/* NATS goes away for a few seconds while the edge keeps working. */
static void test_outage_buffering(void **state)
{
    fixture *f = *state;
    lo_bus_config ce = test_bus_config("edge-2", &f->url, 1);
    ce.plot_buffer = 100;
    lo_bus *edge = open_bus(&ce);
    assert_true(ready(edge, 10));
    for (uint64_t i = 1; i <= 3; i++) {
        lo_alert a = test_alert(i, "residence", LO_ALERT_RAISED, 3000.0 + (double)i);
        lo_bus_publish_alert(edge, &a, i);
    }
    assert_true(lo_bus_flush(edge, 10));

    assert_int_equal(lo_nats_cluster_stop(f->nats, 0, true), 0);
    double end = mono() + 5;
    lo_bus_stats s;
    do {
        nap(0.02);
        lo_bus_get_stats(edge, &s);
    } while (s.connected && mono() < end);
    assert_false(s.connected);

    /* Three seconds without NATS: 500 plots and 8 alert transitions. */
    for (int i = 0; i < 500; i++) {
        char p[32];
        int n = snprintf(p, sizeof p, "%d", i);
        assert_int_equal(lo_bus_publish_plot(edge, "radar-1", p, (size_t)n), 0);
        if (i % 70 == 0) {
            uint64_t id = 4 + (uint64_t)(i / 70);
            lo_alert a = test_alert(id, i % 140 ? "district" : "residence", LO_ALERT_RAISED,
                                    3000.0 + (double)id);
            assert_int_equal(lo_bus_publish_alert(edge, &a, id), 0);
        }
        nap(0.006);
    }
    lo_bus_get_stats(edge, &s);
    assert_false(s.connected);
    assert_int_equal(s.plots_buffered, 100);
    assert_int_equal(s.plots_dropped, 400);
    assert_int_equal(s.alerts_pending, 8);

    assert_int_equal(lo_nats_cluster_restart(f->nats, 0), 0);
    assert_true(ready(edge, 15)); /* by itself: nobody told it */
    assert_true(lo_bus_flush(edge, 15));
    lo_bus_get_stats(edge, &s);
    assert_true(s.reconnects >= 1);
    assert_int_equal(s.alerts_pending, 0);
    assert_int_equal(s.alerts_published, 11);
    assert_int_equal(s.plots_dropped, 400);
    assert_int_equal(s.plots_published, 100);

    /* The plots stream got exactly the newest 100, in order: the oldest were dropped. */
    stream_dump *d = stream_read(f->url, "LOOKOUT_PLOTS", "lookout.plots.site-edge-2.");
    assert_non_null(d);
    assert_int_equal(d->n, 100);
    for (int i = 0; i < d->n; i++)
        assert_int_equal(atoi(d->data[i]), 400 + i);
    stream_dump_free(d);
    /* Every alert exactly once, in order. */
    d = stream_read(f->url, "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    assert_int_equal(d->n, 11);
    for (int i = 0; i < d->n; i++) {
        char want[32];
        snprintf(want, sizeof want, "edge-2.%d.%d", i + 1, i + 1);
        assert_string_equal(d->msgid[i], want);
    }
    stream_dump_free(d);
    lo_bus_close(edge);
}

static void test_durable_consumer_catch_up(void **state)
{
    fixture *f = *state;
    lo_bus_config ce = test_bus_config("edge-3", &f->url, 1);
    lo_bus_config cj = test_bus_config("journal", &f->url, 1);
    cj.role = LO_BUS_ROLE_DISPLAY;
    lo_bus *edge = open_bus(&ce);
    assert_true(ready(edge, 10));

    receiver rx1;
    rx_init(&rx1);
    rx1.nak_first = 2; /* the first two deliveries are refused and must come again */
    lo_bus *journal = open_bus(&cj);
    assert_int_equal(lo_bus_subscribe_alerts(journal, "journal", "residence", on_alert, &rx1), 0);
    for (uint64_t i = 1; i <= 5; i++) {
        lo_alert a = test_alert(i, "residence", LO_ALERT_RAISED, 4000.0 + (double)i);
        lo_bus_publish_alert(edge, &a, i);
    }
    lo_alert other = test_alert(99, "district", LO_ALERT_RAISED, 4000.0);
    lo_bus_publish_alert(edge, &other, 99); /* another zone: not for this consumer */
    assert_true(lo_bus_flush(edge, 10));
    assert_true(rx_wait(&rx1, &rx1.n_alerts, 5, 15));
    nap(0.3);
    assert_int_equal(rx_count(&rx1, &rx1.n_alerts), 5);
    assert_true(rx1.max_delivery >= 2);
    lo_bus_stats s;
    lo_bus_get_stats(journal, &s);
    assert_int_equal(s.alerts_nacked, 2);
    assert_int_equal(s.alerts_acked, 5);
    lo_bus_close(journal); /* the journal process stops */

    for (uint64_t i = 6; i <= 12; i++) {
        lo_alert a = test_alert(i, "residence", i % 2 ? LO_ALERT_CLEARED : LO_ALERT_UPDATED,
                                4000.0 + (double)i);
        lo_bus_publish_alert(edge, &a, i);
    }
    assert_true(lo_bus_flush(edge, 10));

    receiver rx2;
    rx_init(&rx2);
    journal = open_bus(&cj);
    assert_int_equal(lo_bus_subscribe_alerts(journal, "journal", "residence", on_alert, &rx2), 0);
    assert_true(rx_wait(&rx2, &rx2.n_alerts, 7, 15));
    nap(0.5);
    pthread_mutex_lock(&rx2.mu);
    assert_int_equal(rx2.n_alerts, 7); /* nothing lost, nothing acknowledged comes again */
    for (int i = 0; i < 7; i++)
        assert_int_equal(rx2.alert_ids[i], 6 + i);
    pthread_mutex_unlock(&rx2.mu);

    /* NATS restarts under a running consumer: it carries on by itself. */
    assert_int_equal(lo_nats_cluster_stop(f->nats, 0, false), 0);
    nap(0.5);
    assert_int_equal(lo_nats_cluster_restart(f->nats, 0), 0);
    for (uint64_t i = 13; i <= 15; i++) {
        lo_alert a = test_alert(i, "residence", LO_ALERT_RAISED, 4000.0 + (double)i);
        lo_bus_publish_alert(edge, &a, i);
    }
    assert_true(lo_bus_flush(edge, 15));
    assert_true(rx_wait(&rx2, &rx2.n_alerts, 10, 20));
    nap(0.3);
    pthread_mutex_lock(&rx2.mu);
    assert_int_equal(rx2.n_alerts, 10);
    assert_int_equal(rx2.alert_ids[9], 15);
    pthread_mutex_unlock(&rx2.mu);
    lo_bus_close(journal);
    lo_bus_close(edge);
}

static void test_spool_and_dedup(void **state)
{
    fixture *f = *state;
    char spool[128];
    snprintf(spool, sizeof spool, "%s/alerts.spool", f->dir);
    lo_bus_config ce = test_bus_config("edge-4", &f->url, 1);
    snprintf(ce.alert_spool, sizeof ce.alert_spool, "%s", spool);

    /* First: the same transition twice (a retry by the caller): stored once. */
    lo_bus *edge = open_bus(&ce);
    assert_true(ready(edge, 10));
    lo_alert a = test_alert(1, "residence", LO_ALERT_RAISED, 5000.0);
    lo_bus_publish_alert(edge, &a, 0); /* seq from the time: 5000000000 */
    lo_bus_publish_alert(edge, &a, 0);
    assert_true(lo_bus_flush(edge, 10));
    lo_bus_stats s;
    lo_bus_get_stats(edge, &s);
    assert_int_equal(s.alerts_published, 2);
    assert_int_equal(s.alerts_duplicates, 1);
    lo_bus_close(edge);

    /* NATS is down; a process queues three alerts and ends before it comes back. */
    assert_int_equal(lo_nats_cluster_stop(f->nats, 0, false), 0);
    edge = open_bus(&ce);
    for (uint64_t i = 2; i <= 4; i++) {
        lo_alert b = test_alert(i, "residence", LO_ALERT_RAISED, 5000.0 + (double)i);
        assert_int_equal(lo_bus_publish_alert(edge, &b, i), 0);
    }
    assert_false(lo_bus_flush(edge, 0.3));
    lo_bus_close(edge);

    /* NATS returns; the next process delivers them from the spool. */
    assert_int_equal(lo_nats_cluster_restart(f->nats, 0), 0);
    edge = open_bus(&ce);
    lo_bus_get_stats(edge, &s);
    assert_int_equal(s.alerts_pending, 3);
    assert_true(ready(edge, 15));
    assert_true(lo_bus_flush(edge, 15));
    lo_bus_get_stats(edge, &s);
    assert_int_equal(s.alerts_published, 3);
    lo_bus_close(edge);

    stream_dump *d = stream_read(f->url, "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    assert_int_equal(d->n, 4);
    assert_string_equal(d->msgid[0], "edge-4.1.5000000000");
    assert_string_equal(d->msgid[1], "edge-4.2.2");
    assert_string_equal(d->msgid[3], "edge-4.4.4");
    stream_dump_free(d);

    /* Everything acknowledged: the spool is empty, a further process re-sends nothing. */
    FILE *sp = fopen(spool, "r");
    assert_non_null(sp);
    assert_int_equal(fgetc(sp), EOF);
    fclose(sp);
    edge = open_bus(&ce);
    lo_bus_get_stats(edge, &s);
    assert_int_equal(s.alerts_pending, 0);
    lo_bus_close(edge);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        printf("SKIP: nats-server not installed (Debian package nats-server)\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_subscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_buffering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_consumer_catch_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_and_dedup, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
