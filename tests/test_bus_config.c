/*
 * test_bus_config.c: the parts of the NATS bus that need no server: the `nats:` YAML section,
 * subject tokens, the alert JSON both ways, and the bounded plot ring while no server is
 * reachable (oldest dropped, counted; alerts kept; the caller never blocks).
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "lookout/bus.h"
#include "lookout/config.h"
#include "nats/bus_testutil.h"

#define SITE_HEAD                                                                             \
    "site:\n  name: green zone\n  reference: {lat_deg: 33.3, lon_deg: 44.4}\n"

static void load_site(const char *yaml, lo_site *site)
{
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    int rc = lo_site_load_string(yaml, "site.yaml", site, &d.sink);
    if (rc != 0)
        print_error("%s\n", d.all);
    assert_int_equal(rc, 0);
}

static void test_config_full(void **state)
{
    (void)state;
    lo_site site;
    load_site(SITE_HEAD "nats:\n"
                        "  servers: [nats://127.0.0.1:4222, nats://127.0.0.1:4223]\n"
                        "  node: edge-north\n"
                        "  role: fusion\n"
                        "  plot_buffer: 500\n"
                        "  track_buffer: 50\n"
                        "  buffer_mb: 2\n"
                        "  reconnect_wait_s: 0.25\n"
                        "  alert_replicas: 1\n"
                        "  plot_window_s: 120\n"
                        "  alert_spool: /tmp/spool.txt\n",
              &site);
    lo_bus_config c;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_bus_config_read(&site, &c, &d.sink), 0);
    assert_true(c.present);
    assert_int_equal(c.n_servers, 2);
    assert_string_equal(c.servers[1], "nats://127.0.0.1:4223");
    assert_string_equal(c.node, "edge-north");
    assert_string_equal(c.site, "green_zone"); /* from site.name, made a subject token */
    assert_int_equal(c.role, LO_BUS_ROLE_FUSION);
    assert_int_equal(c.plot_buffer, 500);
    assert_int_equal(c.track_buffer, 50);
    assert_near(c.buffer_mb, 2.0, 0);
    assert_near(c.reconnect_wait_s, 0.25, 0);
    assert_int_equal(c.alert_replicas, 1);
    assert_near(c.plot_window_s, 120, 0);
    assert_string_equal(c.alert_spool, "/tmp/spool.txt");
    assert_near(c.connect_timeout_s, 2.0, 0); /* untouched default */
    lo_site_free(&site);
}

static void test_config_absent(void **state)
{
    (void)state;
    lo_site site;
    load_site(SITE_HEAD, &site);
    lo_bus_config c;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_bus_config_read(&site, &c, &d.sink), 0);
    assert_false(c.present);
    assert_int_equal(c.n_servers, 0);
    assert_int_equal(c.plot_buffer, 10000);
    lo_site_free(&site);
}

static void test_config_errors(void **state)
{
    (void)state;
    lo_site site;
    load_site(SITE_HEAD "nats:\n"
                        "  servers: [nats://127.0.0.1:4222, 127.0.0.1:4223]\n"
                        "  role: relay\n"
                        "  plot_buffer: 0\n"
                        "  reconnect_wait_ms: 100\n",
              &site);
    lo_bus_config c;
    lo_test_diags d;
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_bus_config_read(&site, &c, &d.sink), -1);
    /* Every problem, each with its line and key path. */
    assert_non_null(strstr(d.all, "site.yaml:5:"));
    assert_non_null(strstr(d.all, "nats.servers[1]"));
    assert_non_null(strstr(d.all, "nats.role"));
    assert_non_null(strstr(d.all, "nats.plot_buffer"));
    assert_non_null(strstr(d.all, "reconnect_wait_ms"));
    assert_true(d.n >= 4);
    lo_site_free(&site);

    load_site(SITE_HEAD "nats:\n  node: x\n", &site);
    lo_test_diags_init(&d, false);
    assert_int_equal(lo_bus_config_read(&site, &c, &d.sink), -1);
    assert_non_null(strstr(d.all, "nats.servers"));
    lo_site_free(&site);
}

static void test_token(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(lo_bus_token("green zone", buf, sizeof buf), "green_zone");
    assert_string_equal(lo_bus_token("a.b*c>d", buf, sizeof buf), "a_b_c_d");
    assert_string_equal(lo_bus_token("", buf, sizeof buf), "_");
    assert_string_equal(lo_bus_token("radar-1_ok", buf, sizeof buf), "radar-1_ok");
    assert_string_equal(lo_bus_token("0123456789abcdefghij", buf, sizeof buf),
                        "0123456789abcde"); /* truncated to the buffer */
}

static void test_alert_json_roundtrip(void **state)
{
    (void)state;
    lo_alert a = test_alert(42, "residence", LO_ALERT_UPDATED, 1795000000.125);
    a.time_to_entry_sigma_s = NAN; /* must become null, never nan */
    a.has_impact = true;
    a.impact_enu[0] = 500;
    a.impact_enu[1] = -250;
    a.impact_cov[0] = 400;
    a.impact_cov[3] = 900;
    a.cls = LO_CLASS_ROCKET;
    char *json = lo_bus_alert_to_json(&a, "edge-1", 7);
    assert_non_null(json);
    assert_null(strchr(json, '\n'));
    assert_null(strstr(json, "nan"));
    assert_non_null(strstr(json, "\"time_to_entry_sigma_s\":null"));
    assert_non_null(strstr(json, "\"transition\":\"updated\""));
    assert_non_null(strstr(json, "\"level\":\"alarm\""));
    assert_non_null(strstr(json, "\"class\":\"rocket\""));

    lo_alert b;
    char node[32];
    uint64_t seq = 0;
    assert_true(lo_bus_alert_from_json(json, strlen(json), &b, node, sizeof node, &seq));
    assert_string_equal(node, "edge-1");
    assert_int_equal(seq, 7);
    assert_int_equal(b.alert_id, 42);
    assert_int_equal(b.track_id, 142);
    assert_string_equal(b.zone_name, "residence");
    assert_int_equal(b.level, LO_ALERT_ALARM);
    assert_int_equal(b.transition, LO_ALERT_UPDATED);
    assert_near(b.t, 1795000000.125, 1e-6);
    assert_int_equal(b.cls, LO_CLASS_ROCKET);
    assert_near(b.distance_m, 1200.5, 1e-9);
    assert_near(b.time_to_entry_s, 48.0, 1e-9);
    assert_true(isnan(b.time_to_entry_sigma_s));
    assert_true(b.has_impact);
    assert_near(b.impact_enu[1], -250, 1e-9);
    assert_near(b.impact_cov[3], 900, 1e-9);
    assert_string_equal(b.reason, a.reason);
    assert_near(b.snapshot.vel[0], -20.0, 1e-9);
    free(json);

    /* Not an alert: refused. */
    const char *bad[] = {"[1,2]", "{\"alert_id\":1}", "not json",
                         ("{\"alert_id\":1,\"track_id\":2,\"zone\":\"z\",\"level\":\"loud\","
                          "\"transition\":\"raised\",\"t\":1}")};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(lo_bus_alert_from_json(bad[i], strlen(bad[i]), &b, NULL, 0, NULL));
}

/* No server listens: publishing never blocks, the plot ring keeps the newest, alerts wait. */
static void test_offline_buffering(void **state)
{
    (void)state;
    /* Port 1 on loopback: nothing listens there (and connecting needs no privilege). */
    const char *url = "nats://127.0.0.1:1";
    lo_bus_config c = test_bus_config("edge-off", &url, 1);
    c.plot_buffer = 100;
    c.track_buffer = 10;
    char err[256];
    lo_bus *bus = lo_bus_open(&c, err, sizeof err);
    assert_non_null(bus);
    /* Nothing listens, so a publish that waited for the connection would never return. */
    for (int i = 0; i < 1000; i++) {
        char payload[16];
        int n = snprintf(payload, sizeof payload, "plot %d", i);
        assert_int_equal(lo_bus_publish_plot(bus, "radar-1", payload, (size_t)n), 0);
    }
    for (int i = 0; i < 25; i++)
        assert_int_equal(lo_bus_publish_track(bus, "trk", 3), 0);
    for (uint64_t i = 1; i <= 5; i++) {
        lo_alert a = test_alert(i, "residence", LO_ALERT_RAISED, 1000.0 + (double)i);
        assert_int_equal(lo_bus_publish_alert(bus, &a, i), 0);
    }
    nap(0.3);
    lo_bus_stats s;
    lo_bus_get_stats(bus, &s);
    assert_false(s.connected);
    assert_int_equal(s.plots_queued, 1000);
    assert_int_equal(s.plots_dropped, 900);
    assert_int_equal(s.plots_buffered, 100);
    assert_int_equal(s.plots_published, 0);
    assert_int_equal(s.tracks_dropped, 15);
    assert_int_equal(s.alerts_pending, 5);
    assert_false(lo_bus_flush(bus, 0.2));
    assert_false(lo_bus_wait_ready(bus, 0.1));

    char text[4096];
    int n = lo_bus_metrics_text(bus, text, sizeof text);
    assert_true(n > 0 && (size_t)n < sizeof text);
    assert_non_null(strstr(text, "lookout_bus_plots_dropped_total{node=\"edge-off\"} 900\n"));
    assert_non_null(strstr(text, "lookout_bus_alerts_pending{node=\"edge-off\"} 5\n"));
    assert_non_null(strstr(text, "# TYPE lookout_bus_connected gauge\n"));
    /* Too small a buffer: the needed length, snprintf style. */
    assert_int_equal(lo_bus_metrics_text(bus, text, 10), n);

    assert_int_equal(lo_bus_publish_plot(bus, "radar-1", "", 0), -1);
    assert_int_equal(lo_bus_publish_plot(bus, NULL, "x", 1), -1);
    lo_bus_close(bus);

    lo_bus_config none = test_bus_config("x", &url, 0);
    assert_null(lo_bus_open(&none, err, sizeof err));
    assert_non_null(strstr(err, "no server"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_full),
        cmocka_unit_test(test_config_absent),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_alert_json_roundtrip),
        cmocka_unit_test(test_offline_buffering),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lo_bus_library_cleanup();
    return rc;
}
