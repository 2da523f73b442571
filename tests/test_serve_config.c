/* The `service:` section of the site file (lookout/service.h): inputs, outputs, system,
 * report interval; the sockets and allow-list derived from them; every error with its key
 * path and line, all in one pass. */
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/service.h"
#include "testutil.h"

static const char *const SITE =
    "site: {name: t, reference: {lat_deg: 33.3, lon_deg: 44.4, height_m: 45}}\n"
    "sensors:\n"
    "  - {name: north, sac: 1, sic: 1, kind: rotating, dimensions: 3, scan_period_s: 1.0,\n"
    "     sigma_range_m: 8, sigma_azimuth_deg: 0.4, sigma_elevation_deg: 0.6, max_range_m: 20000}\n"
    "  - {name: south, sac: 1, sic: 2, kind: rotating, dimensions: 2, scan_period_s: 4.0,\n"
    "     sigma_range_m: 30, sigma_azimuth_deg: 0.2, max_range_m: 60000}\n";

/* Load SITE + `service` text; returns the site (caller frees) and the result code. */
static int load(const char *service, lo_site *site, lo_service_config *cfg, lo_test_diags *d)
{
    size_t n = strlen(SITE) + strlen(service) + 1;
    char *text = malloc(n);
    snprintf(text, n, "%s%s", SITE, service);
    lo_test_diags_init(d, false);
    int rc = lo_site_load_string(text, "site.yaml", site, &d->sink);
    free(text);
    assert_int_equal(rc, 0);
    return lo_service_config_from_site(site, cfg, &d->sink);
}

static void test_full_section(void **state)
{
    (void)state;
    lo_site site;
    lo_service_config cfg;
    lo_test_diags d;
    int rc = load("service:\n"
                  "  http: {port: 0}\n"
                  "  inputs:\n"
                  "    - {sensor: north, listen: \"0.0.0.0:8600\", sources: [\"10.0.0.1\", \"10.0.0.2\"]}\n"
                  "    - {sensor: south, listen: \"8600\", sources: [\"10.0.0.3\"]}\n"
                  "    - {sensor: south, listen: \"8601\", group: 239.1.1.1, interface: 127.0.0.1,\n"
                  "       sources: [\"10.0.0.4\"]}\n"
                  "  outputs:\n"
                  "    cat062:\n"
                  "      - to: \"127.0.0.1:8700\"\n"
                  "      - {to: \"239.2.2.2:8701\"}\n"
                  "  system: {sac: 9, sic: 3}\n"
                  "  report_interval_s: 0.25\n",
                  &site, &cfg, &d);
    if (rc != 0) print_error("%s", d.all);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg.n_inputs, 3);
    assert_int_equal(cfg.inputs[0].sensor_index, 0);
    assert_int_equal(cfg.inputs[1].sensor_index, 1);
    assert_int_equal(cfg.inputs[0].listen.port, 8600);
    assert_string_equal(cfg.inputs[0].listen.bind_addr, "0.0.0.0");
    assert_string_equal(cfg.inputs[1].listen.bind_addr, "");
    assert_string_equal(cfg.inputs[2].listen.multicast_group, "239.1.1.1");
    assert_string_equal(cfg.inputs[2].listen.multicast_if, "127.0.0.1");
    assert_int_equal(cfg.inputs[0].n_sources, 2);
    assert_string_equal(cfg.inputs[0].sources[1], "10.0.0.2");
    assert_int_equal(cfg.n_cat062, 2);
    assert_string_equal(cfg.cat062_to[1], "239.2.2.2:8701");
    assert_int_equal(cfg.system_sac, 9);
    assert_int_equal(cfg.system_sic, 3);
    assert_true(cfg.report_interval_s == 0.25);

    /* "0.0.0.0:8600" and "8600" are different bind addresses: two sockets, plus the group. */
    lo_udp_listen l[LO_SERVICE_MAX_INPUTS];
    assert_int_equal(lo_service_listens(&cfg, l, LO_SERVICE_MAX_INPUTS), 3);
    lo_udp_allow a[16];
    int na = lo_service_allow_list(&cfg, &site, a, 16);
    assert_int_equal(na, 4);
    assert_int_equal(a[0].sac, 1);
    assert_int_equal(a[0].sic, 1);
    assert_string_equal(a[1].address, "10.0.0.2");
    assert_int_equal(a[2].sic, 2);
    assert_string_equal(a[3].address, "10.0.0.4");
    lo_site_free(&site);
}

static void test_shared_socket_and_defaults(void **state)
{
    (void)state;
    lo_site site;
    lo_service_config cfg;
    lo_test_diags d;
    assert_int_equal(load("service:\n  inputs:\n"
                          "    - {sensor: north, listen: \"8600\", sources: [\"10.0.0.1\"]}\n"
                          "    - {sensor: south, listen: \"8600\", sources: [\"10.0.0.1\"]}\n",
                          &site, &cfg, &d), 0);
    lo_udp_listen l[LO_SERVICE_MAX_INPUTS];
    assert_int_equal(lo_service_listens(&cfg, l, LO_SERVICE_MAX_INPUTS), 1);
    assert_int_equal(cfg.n_cat062, 0);
    assert_int_equal(cfg.system_sac, 0);
    assert_int_equal(cfg.system_sic, 1);
    assert_true(cfg.report_interval_s == 0);
    lo_site_free(&site);

    /* No section at all: an empty configuration, no error. */
    assert_int_equal(load("", &site, &cfg, &d), 0);
    assert_int_equal(cfg.n_inputs, 0);
    assert_int_equal(d.n, 0);
    lo_site_free(&site);
}

static void test_errors_named(void **state)
{
    (void)state;
    lo_site site;
    lo_service_config cfg;
    lo_test_diags d;
    int rc = load("service:\n"                                                   /* line 7 */
                  "  inputs:\n"                                                  /* 8 */
                  "    - {sensor: east, listen: \"8600\", sources: [\"10.0.0.1\"]}\n" /* 9 */
                  "    - {sensor: north, listen: \"host:99999\", sources: [\"x\"]}\n" /* 10 */
                  "    - {sensor: north, listen: \"8600\", group: 10.0.0.1}\n"   /* 11 */
                  "  outputs: {cat062: [{to: \"nowhere\"}], json: []}\n"         /* 12 */
                  "  system: {sac: 300}\n"                                       /* 13 */
                  "  report_interval_s: -1\n"                                    /* 14 */
                  "  colour: red\n",                                             /* 15 */
                  &site, &cfg, &d);
    assert_int_equal(rc, -1);
    const char *want[] = {
        "site.yaml:9:", "service.inputs[0]", "sensor 'east'",
        "site.yaml:10:", "listen: expected",
        "service.inputs[1].sources[0]",
        "service.inputs[2]", "multicast", "sources",
        "service.outputs.cat062[0]", "nowhere",
        "service.outputs", "json",
        "service.system", "sac",
        "report_interval_s",
        "colour",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(d.all, want[i])) {
            print_error("missing '%s' in:\n%s\n", want[i], d.all);
            fail();
        }
    assert_true(d.n >= 9);
    lo_site_free(&site);
}

static void test_hostport(void **state)
{
    (void)state;
    char a[64];
    uint16_t p;
    assert_int_equal(lo_service_parse_hostport("127.0.0.1:8600", a, sizeof a, &p, 0), 0);
    assert_string_equal(a, "127.0.0.1");
    assert_int_equal(p, 8600);
    assert_int_equal(lo_service_parse_hostport("8600", a, sizeof a, &p, 0), 0);
    assert_string_equal(a, "");
    assert_int_equal(lo_service_parse_hostport("0", a, sizeof a, &p, 0), -1);
    assert_int_equal(lo_service_parse_hostport("0", a, sizeof a, &p, 1), 0);
    assert_int_equal(lo_service_parse_hostport("h:", a, sizeof a, &p, 0), -1);
    assert_int_equal(lo_service_parse_hostport(":80", a, sizeof a, &p, 0), -1);
    assert_int_equal(lo_service_parse_hostport("h:65536", a, sizeof a, &p, 0), -1);
    assert_int_equal(lo_service_parse_hostport("h:8x", a, sizeof a, &p, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_section),
        cmocka_unit_test(test_shared_socket_and_defaults),
        cmocka_unit_test(test_errors_named),
        cmocka_unit_test(test_hostport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
