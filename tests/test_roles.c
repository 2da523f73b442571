/*
 * test_roles.c: the edge and fusion roles (roles.h) without a NATS server.
 *
 *  - an edge warns exactly as the bare pipeline does, with no bus and with a bus whose server
 *    is unreachable (the bus then keeps the newest plots in its ring and drops the oldest);
 *  - a fusion node fed the CAT048 bytes of two radars (as the bus would hand them over)
 *    tracks every object of scenarios/two-sites once, with plot times resolved from the time
 *    of day; records of an unknown radar are counted, a full inbox drops its oldest plots.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/asterix.h"
#include "lookout/bus.h"
#include "lookout/roles.h"
#include "lookout/sim.h"

typedef struct alert_log {
    int n;
    lo_alert a[512];
    uint64_t tracks;
} alert_log;

static int log_alert(void *ctx, const lo_alert *a)
{
    alert_log *l = ctx;
    if (l->n < 512) l->a[l->n++] = *a;
    return 0;
}

static void log_track(void *ctx, const lo_track *t)
{
    (void)t;
    ((alert_log *)ctx)->tracks++;
}

static lo_site load_region(void)
{
    lo_site site;
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    assert_int_equal(lo_site_load(lo_test_source_path("scenarios/two-sites/region.yaml"), &site,
                                  &sink), 0);
    return site;
}

/* Run the scenario through a bare pipeline (role NULL) or through an edge role. */
static void run_scenario(const lo_site *site, lo_role *role, lo_pipeline *bare)
{
    lo_sim *sim = lo_sim_new(site, NULL, NULL);
    assert_non_null(sim);
    lo_plot p;
    double t = 0;
    while (lo_sim_next_plot(sim, &p) == 1) {
        t = p.t;
        if (role) {
            lo_role_add_plot(role, &p);
            lo_role_advance(role, p.t);
        } else {
            lo_pipeline_add_plot(bare, &p);
            lo_pipeline_advance(bare, p.t);
        }
    }
    if (role) lo_role_finish(role, t);
    else lo_pipeline_finish(bare, t);
    lo_sim_free(sim);
}

static void assert_same_alerts(const alert_log *a, const alert_log *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->tracks, b->tracks);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->a[i].alert_id, b->a[i].alert_id);
        assert_int_equal(a->a[i].transition, b->a[i].transition);
        assert_int_equal(a->a[i].level, b->a[i].level);
        assert_true(a->a[i].t == b->a[i].t);
    }
}

static void test_edge_warns_like_the_pipeline(void **state)
{
    (void)state;
    lo_site site = load_region();
    alert_log ref = {0}, alone = {0}, cut_off = {0};
    lo_pipeline_sinks rs = {.on_track = log_track, .on_alert = log_alert, .ctx = &ref};
    lo_pipeline *p = lo_pipeline_new(&site, NULL, &rs, NULL);
    assert_non_null(p);
    run_scenario(&site, NULL, p);
    lo_pipeline_free(p);
    assert_true(ref.n > 0);

    lo_role_options eo = {.role = LO_BUS_ROLE_EDGE};
    lo_pipeline_sinks as = {.on_track = log_track, .on_alert = log_alert, .ctx = &alone};
    lo_role *edge = lo_role_new(&site, NULL, &eo, &as, NULL);
    assert_non_null(edge);
    run_scenario(&site, edge, NULL);
    lo_role_stats st;
    lo_role_get_stats(edge, &st);
    assert_int_equal(st.plots_published, 0);
    assert_int_equal(st.alerts_local, (uint64_t)alone.n);
    lo_role_free(edge);
    assert_same_alerts(&ref, &alone);

    /* A bus whose only server does not exist: the edge warns the same; the bus ring keeps the
     * newest 50 plot blocks and counts the rest as dropped; alerts wait, never dropped. */
    lo_bus_config bc;
    lo_bus_config_defaults(&bc);
    bc.n_servers = 1;
    snprintf(bc.servers[0], sizeof bc.servers[0], "nats://127.0.0.1:1");
    snprintf(bc.node, sizeof bc.node, "edge-x");
    snprintf(bc.site, sizeof bc.site, "edge-x");
    bc.plot_buffer = 50;
    bc.health_interval_s = 0;
    bc.connect_timeout_s = 0.1;
    bc.reconnect_wait_s = 0.1;
    char err[256];
    lo_bus *bus = lo_bus_open(&bc, err, sizeof err);
    assert_non_null(bus);
    lo_pipeline_sinks cs = {.on_track = log_track, .on_alert = log_alert, .ctx = &cut_off};
    edge = lo_role_new(&site, bus, &eo, &cs, NULL);
    assert_non_null(edge);
    run_scenario(&site, edge, NULL);
    lo_role_get_stats(edge, &st);
    lo_bus_stats bs;
    lo_bus_get_stats(bus, &bs);
    print_message("cut-off edge: %llu plots handed over, bus dropped %llu, kept %zu; %llu alerts "
                  "pending\n", (unsigned long long)st.plots_published,
                  (unsigned long long)bs.plots_dropped, bs.plots_buffered,
                  (unsigned long long)bs.alerts_pending);
    assert_same_alerts(&ref, &cut_off);
    assert_false(bs.connected);
    assert_int_equal(bs.plots_buffered, 50);
    assert_int_equal(bs.plots_queued, bs.plots_dropped + 50);
    assert_true(st.plots_published >= 700); /* every plot, in blocks of one or more */
    assert_int_equal(bs.alerts_pending, (size_t)cut_off.n);
    assert_int_equal(st.alerts_published, (uint64_t)cut_off.n);
    char text[8192];
    assert_true(lo_bus_metrics_text(bus, text, sizeof text) > 0);
    assert_non_null(strstr(text, "lookout_bus_plots_dropped_total"));
    lo_bus_close(bus);
    lo_role_free(edge);
    lo_site_free(&site);
}

/* Encode a plot as the edge does and hand it to the fusion role as the bus would. */
static void deliver(lo_role *fusion, const lo_site *site, const lo_plot *p, uint8_t sac_override)
{
    int i = lo_site_sensor_index(site, p->sensor_id);
    assert_true(i >= 0);
    lo_cat048 rec;
    lo_cat048_from_plot(p, &site->sensors[i], &rec);
    if (sac_override) rec.sac = sac_override;
    uint8_t buf[256];
    size_t n = lo_cat048_encode(&rec, buf, sizeof buf);
    lo_asterix_block b;
    lo_asterix_block_init(&b, 48);
    assert_true(lo_asterix_block_add(&b, buf, n));
    lo_bus_msg m = {.subject = "lookout.plots.two-sites.x", .site = "two-sites",
                    .sensor = site->sensors[i].name, .data = b.data, .len = b.len};
    lo_role_bus_plots(fusion, &m);
}

typedef struct fusion_log {
    double max_time_error;
    const lo_site *site;
    uint32_t confirmed_truth[64];  /* confirmed track reports per truth id */
    uint32_t ids_per_truth[64];
    uint32_t last_id[64];
} fusion_log;

static void fusion_track(void *ctx, const lo_track *t)
{
    fusion_log *l = ctx;
    if (t->status != LO_TRACK_CONFIRMED || t->last_truth_id >= 64) return;
    l->confirmed_truth[t->last_truth_id]++;
    if (l->last_id[t->last_truth_id] != t->id) {
        l->last_id[t->last_truth_id] = t->id;
        l->ids_per_truth[t->last_truth_id]++;
    }
}

static void test_fusion_from_cat048(void **state)
{
    (void)state;
    lo_site site = load_region();
    lo_sim *sim = lo_sim_new(&site, NULL, NULL);
    assert_non_null(sim);
    fusion_log log = {.site = &site};
    lo_role_options fo = {.role = LO_BUS_ROLE_FUSION, .tod_near_t = lo_sim_start_time(sim)};
    lo_pipeline_sinks fs = {.on_track = fusion_track, .ctx = &log};
    lo_role *fusion = lo_role_new(&site, NULL, &fo, &fs, NULL);
    assert_non_null(fusion);
    lo_plot p;
    uint64_t n = 0;
    double next_poll = lo_sim_start_time(sim) + 0.25, t = 0;
    while (lo_sim_next_plot(sim, &p) == 1) {
        deliver(fusion, &site, &p, 0);
        n++;
        t = p.t;
        if (p.t >= next_poll) {
            lo_role_poll(fusion);
            next_poll += 0.25;
        }
    }
    /* One record from a radar the region does not know, and a truncated block. */
    deliver(fusion, &site, &p, 99);
    static const uint8_t broken[] = {48, 0, 40, 0xfd, 0xf7};
    lo_bus_msg bad = {.subject = "lookout.plots.two-sites.x", .data = broken, .len = sizeof broken};
    lo_role_bus_plots(fusion, &bad); /* reported (stderr: the role has no sink of its own) */
    lo_role_finish(fusion, t + 2);
    lo_role_stats st;
    lo_role_get_stats(fusion, &st);
    print_message("fusion: %llu plots received, %llu undecodable, %llu late, %llu latency "
                  "samples\n", (unsigned long long)st.plots_received,
                  (unsigned long long)st.plots_undecodable, (unsigned long long)st.plots_late,
                  (unsigned long long)st.latency_samples);
    assert_int_equal(st.plots_received, n);
    assert_int_equal(st.plots_undecodable, 2);
    assert_int_equal(st.plots_late, 0);
    assert_true(st.latency_samples > 100);
    /* Every one of the five objects was tracked, and by one track id (no breaks, no twins). */
    for (uint32_t id = 1; id <= 5; id++) {
        print_message("truth %u: %u confirmed reports, %u track ids\n", id,
                      log.confirmed_truth[id], log.ids_per_truth[id]);
        assert_true(log.confirmed_truth[id] > 20);
        assert_int_equal(log.ids_per_truth[id], 1);
    }
    lo_role_free(fusion);
    lo_sim_free(sim);
    lo_site_free(&site);
}

static void test_fusion_inbox_bound(void **state)
{
    (void)state;
    lo_site site = load_region();
    lo_role_options fo = {.role = LO_BUS_ROLE_FUSION, .inbox_max = 10,
                          .tod_near_t = 1795341600.0};
    lo_role *fusion = lo_role_new(&site, NULL, &fo, NULL, NULL);
    assert_non_null(fusion);
    lo_plot p;
    memset(&p, 0, sizeof p);
    p.sensor_id = site.sensors[0].id;
    p.flags = LO_PLOT_POLAR | LO_PLOT_ELEVATION;
    p.elevation_rad = 0.02;
    for (int i = 0; i < 25; i++) {
        p.t = 1795341600.0 + i;
        p.range_m = 1000 + 10 * i;
        p.azimuth_rad = 0.1 * i;
        deliver(fusion, &site, &p, 0);
    }
    lo_role_stats st;
    lo_role_get_stats(fusion, &st);
    assert_int_equal(st.plots_received, 25);
    assert_int_equal(st.inbox, 10);
    assert_int_equal(st.plots_inbox_dropped, 15);
    /* The newest ten stayed: the poll takes them, its clock is the last plot's time. */
    assert_int_equal(lo_role_poll(fusion), 10);
    assert_near(lo_role_clock(fusion), 1795341624.0, 1.0 / 128);
    /* The same plot twice (live and replayed) is taken once. */
    deliver(fusion, &site, &p, 0);
    p.t += 1;
    deliver(fusion, &site, &p, 0);
    deliver(fusion, &site, &p, 0);
    assert_int_equal(lo_role_poll(fusion), 3);
    lo_role_get_stats(fusion, &st);
    assert_int_equal(st.plots_duplicate, 1);

    /* The same counters as /metrics text (serve appends it): names, label, values; the
     * length is snprintf's, and a short buffer is cut, never overrun. */
    char text[8192];
    int n = lo_role_metrics_text(&st, LO_BUS_ROLE_FUSION, "fusion-x", text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_int_equal(lo_role_metrics_text(&st, LO_BUS_ROLE_FUSION, "fusion-x", NULL, 0), n);
    assert_non_null(strstr(text, "# TYPE lookout_role_plots_inbox_dropped_total counter\n"
                                 "lookout_role_plots_inbox_dropped_total{node=\"fusion-x\"} 15\n"));
    assert_non_null(strstr(text, "lookout_role_plots_received_total{node=\"fusion-x\"} 28\n"));
    assert_non_null(strstr(text, "lookout_role_plots_duplicate_total{node=\"fusion-x\"} 1\n"));
    assert_non_null(strstr(text, "lookout_role_inbox{node=\"fusion-x\"} 0\n"));
    char small[64];
    memset(small, 'x', sizeof small);
    assert_int_equal(lo_role_metrics_text(&st, LO_BUS_ROLE_FUSION, "fusion-x", small, 40), n);
    assert_int_equal(small[39], '\0');
    assert_int_equal(small[40], 'x');
    /* An edge has no fusion counters. */
    n = lo_role_metrics_text(&st, LO_BUS_ROLE_EDGE, "edge-x", text, sizeof text);
    assert_true(n > 0);
    assert_non_null(strstr(text, "lookout_role_alerts_published_total{node=\"edge-x\"} 0\n"));
    assert_null(strstr(text, "plots_received"));
    lo_role_free(fusion);
    lo_site_free(&site);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_warns_like_the_pipeline),
        cmocka_unit_test(test_fusion_from_cat048),
        cmocka_unit_test(test_fusion_inbox_bound),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
