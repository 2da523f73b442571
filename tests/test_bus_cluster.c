/*
 * test_bus_cluster.c: alerts over a three-server JetStream cluster on loopback (replicas 3)
 * survive the loss of a server: the stream ends up with every transition exactly once, in
 * order, and a durable consumer on another node sees every one of them.
 *
 * The server killed (SIGKILL, mid-run) is the alert stream's leader, the one that orders and
 * acknowledges writes, so the edge's publishes in flight at that moment time out and are
 * retried with the same message id while the two others elect a new leader. Skips (77) when
 * nats-server is not installed. Takes about ten seconds.
 *
 * Also: a node given a single seed server learns the others from the cluster (INFO
 * connect_urls) and fails over to one of them by itself when its server stops.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/bus.h"
#include "nats/bus_testutil.h"

#define N_ALERTS 40
#define KILL_AFTER 15

typedef struct seen {
    pthread_mutex_t mu;
    int deliveries;
    bool got[N_ALERTS + 1];
} seen;

static bool on_alert(void *ctx, const lo_bus_alert_msg *m)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->deliveries++;
    if (m->parsed && m->alert.alert_id >= 1 && m->alert.alert_id <= N_ALERTS)
        s->got[m->alert.alert_id] = true;
    pthread_mutex_unlock(&s->mu);
    return true;
}

static int count_seen(seen *s)
{
    pthread_mutex_lock(&s->mu);
    int n = 0;
    for (int i = 1; i <= N_ALERTS; i++)
        n += s->got[i];
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Index of the server leading `stream` ("n2" -> 1), or -1. */
static int stream_leader(const lo_nats_cluster *c, const char *stream)
{
    int leader = -1;
    for (int i = 0; i < lo_nats_cluster_size(c) && leader < 0; i++) {
        natsConnection *nc = NULL;
        jsCtx *js = NULL;
        jsStreamInfo *si = NULL;
        if (natsConnection_ConnectTo(&nc, lo_nats_cluster_url(c, i)) == NATS_OK &&
            natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
            js_GetStreamInfo(&si, js, stream, NULL, NULL) == NATS_OK && si->Cluster &&
            si->Cluster->Leader && si->Cluster->Leader[0] == 'n')
            leader = atoi(si->Cluster->Leader + 1) - 1;
        jsStreamInfo_Destroy(si);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
    }
    return leader;
}

static void test_cluster_server_loss(void **state)
{
    nats_cluster_fixture *f = *state;
    lo_nats_cluster *c = f->nats;
    char err[256];
    const char *urls[3] = {lo_nats_cluster_url(c, 0), lo_nats_cluster_url(c, 1),
                           lo_nats_cluster_url(c, 2)};

    lo_bus_config ce = test_bus_config("edge-a", urls, 3);
    ce.alert_ack_timeout_s = 0.5;
    lo_bus *edge = lo_bus_open(&ce, err, sizeof err);
    assert_non_null(edge);
    /* The cluster elects its JetStream meta leader first: allow it some seconds. */
    bool is_ready = lo_bus_wait_ready(edge, 30);
    lo_bus_stats s;
    lo_bus_get_stats(edge, &s);
    if (!is_ready)
        print_error("edge not ready: %s\n", s.last_error);
    assert_true(is_ready);
    assert_int_equal(s.alert_replicas, 3);

    seen rx = {.deliveries = 0};
    pthread_mutex_init(&rx.mu, NULL);
    lo_bus_config cd = test_bus_config("display-a", urls, 3);
    cd.role = LO_BUS_ROLE_DISPLAY;
    lo_bus *display = lo_bus_open(&cd, err, sizeof err);
    assert_non_null(display);
    assert_int_equal(lo_bus_subscribe_alerts(display, "display-a", NULL, on_alert, &rx), 0);

    int killed = -1;
    for (uint64_t i = 1; i <= N_ALERTS; i++) {
        lo_alert a = test_alert(i, i % 3 ? "residence" : "district", LO_ALERT_RAISED,
                                6000.0 + (double)i);
        assert_int_equal(lo_bus_publish_alert(edge, &a, i), 0);
        if (i == KILL_AFTER) {
            killed = stream_leader(c, "LOOKOUT_ALERTS");
            assert_true(killed >= 0 && killed < 3);
            assert_int_equal(lo_nats_cluster_stop(c, killed, true), 0);
        }
        nap(0.02);
    }
    bool flushed = lo_bus_flush(edge, 60);
    lo_bus_get_stats(edge, &s);
    if (!flushed)
        print_error("alerts pending %zu: %s\n", s.alerts_pending, s.last_error);
    assert_true(flushed);
    assert_int_equal(s.alerts_pending, 0);
    assert_int_equal(s.alerts_published, N_ALERTS);

    /* The stream, read through a surviving server: each transition once, in order. */
    const char *survivor = lo_nats_cluster_url(c, (killed + 1) % 3);
    stream_dump *d = stream_read(survivor, "LOOKOUT_ALERTS", "lookout.alerts.");
    assert_non_null(d);
    assert_int_equal(d->n, N_ALERTS);
    for (int i = 0; i < d->n; i++) {
        char want[32];
        snprintf(want, sizeof want, "edge-a.%d.%d", i + 1, i + 1);
        assert_string_equal(d->msgid[i], want);
    }
    stream_dump_free(d);

    /* The display's durable consumer got every one (at least once). */
    double end = mono() + 30;
    while (count_seen(&rx) < N_ALERTS && mono() < end)
        nap(0.05);
    assert_int_equal(count_seen(&rx), N_ALERTS);

    /* The lost server comes back and catches up with the replicas it missed. */
    assert_int_equal(lo_nats_cluster_restart(c, killed), 0);
    end = mono() + 20;
    int n_back = 0;
    while (mono() < end) {
        d = stream_read(lo_nats_cluster_url(c, killed), "LOOKOUT_ALERTS", "lookout.alerts.");
        n_back = d ? d->n : 0;
        if (d)
            stream_dump_free(d);
        if (n_back == N_ALERTS)
            break;
        nap(0.2);
    }
    assert_int_equal(n_back, N_ALERTS);

    lo_bus_close(display);
    lo_bus_close(edge);
}

static atomic_int plots_seen;

static void count_plot(void *ctx, const lo_bus_msg *m)
{
    (void)ctx;
    if (m->sensor && strcmp(m->sensor, "radar-b") == 0)
        atomic_fetch_add(&plots_seen, 1);
}

/* A node given one seed server learns the others from the cluster and moves to one of them
 * by itself when its server stops. */
static void test_cluster_discovered_failover(void **state)
{
    nats_cluster_fixture *f = *state;
    lo_nats_cluster *c = f->nats;
    char err[256];
    const char *seed0 = lo_nats_cluster_url(c, 0), *seed1 = lo_nats_cluster_url(c, 1);
    lo_bus_config cx = test_bus_config("edge-b", &seed0, 1);
    lo_bus_config cy = test_bus_config("fusion-b", &seed1, 1);
    cy.role = LO_BUS_ROLE_FUSION;
    lo_bus *edge = lo_bus_open(&cx, err, sizeof err);
    lo_bus *fusion = lo_bus_open(&cy, err, sizeof err);
    assert_non_null(edge);
    assert_non_null(fusion);
    atomic_store(&plots_seen, 0);
    assert_int_equal(lo_bus_subscribe_plots(fusion, "site-edge-b", count_plot, NULL), 0);
    assert_true(lo_bus_wait_ready(edge, 30));
    assert_true(lo_bus_wait_ready(fusion, 30));
    assert_true(lo_bus_flush(fusion, 10));

    assert_int_equal(lo_nats_cluster_stop(c, 0, false), 0);
    lo_bus_stats s;
    double end = mono() + 20;
    do {
        nap(0.05);
        lo_bus_get_stats(edge, &s);
    } while (!(s.reconnects >= 1 && s.connected) && mono() < end);
    assert_true(s.reconnects >= 1);
    assert_true(s.connected);

    for (int i = 0; i < 50; i++)
        assert_int_equal(lo_bus_publish_plot(edge, "radar-b", "plot", 4), 0);
    assert_true(lo_bus_flush(edge, 10));
    end = mono() + 10;
    while (atomic_load(&plots_seen) < 50 && mono() < end)
        nap(0.02);
    assert_int_equal(atomic_load(&plots_seen), 50);
    lo_bus_close(fusion);
    lo_bus_close(edge);
}

int main(void)
{
    if (!lo_nats_server_path()) {
        printf("SKIP: nats-server not installed (Debian package nats-server)\n");
        return LO_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cluster_server_loss, nats_cluster3_setup, nats_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_cluster_discovered_failover, nats_cluster3_setup, nats_cluster_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
