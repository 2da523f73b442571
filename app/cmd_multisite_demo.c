/* lookout multisite-demo: many radar sites on NATS on one machine (docs/multisite.md).
 *
 * Starts a local nats-server cluster on 127.0.0.1, then N edge nodes (one simulated radar
 * each, in a row 8 km apart, each guarding its own compound), one fusion node tracking over
 * all of them (a regional zone in every overlap) and one display node serving the live
 * picture, all in this process but talking only through NATS. The region is built in: N
 * radars, a raider for every compound, a drone over every bridge, a fixed-wing crossing all
 * of them. Alerts print on the terminal with the node that raised them. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lookout/bus.h"
#include "lookout/fusion.h"
#include "lookout/http.h"
#include "lookout/picture.h"
#include "lookout/roles.h"
#include "lookout/sim.h"

#define MAX_SITES 16
#define SPACING_M 8000.0


static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout multisite-demo [--sites N] [--speed X] [--duration S] [--servers K]\n"
            "                              [--bind ADDR] [--port N] [--linger]\n\n"
            "Runs N edge nodes (one simulated radar each, 8 km apart), a fusion node tracking\n"
            "over all of them and a display node against a local NATS cluster on this machine\n"
            "(nats-server must be installed), serves the display's picture, and prints every\n"
            "alert with the node that raised it.\n\n"
            "Options:\n"
            "  --sites N      radar sites, 2..%d (default 3)\n"
            "  --speed X      X times real time (default 1)\n"
            "  --duration S   scenario seconds (default 180)\n"
            "  --servers K    nats-server processes in the cluster, 1..5 (default 3)\n"
            "  --bind ADDR    address of the display (default 127.0.0.1)\n"
            "  --port N       port of the display (default 8080; 0 picks a free one)\n"
            "  --linger       keep serving the display after the scenario ends, until Ctrl-C\n"
            "  -h, --help     this text\n",
            MAX_SITES);
}

/* The built-in region: radars in a row along x, local zones first (one per site), then the
 * regional ones (one per overlap), so that each node's zones are a contiguous slice. */
static char *region_yaml(int n, double duration_s)
{
    size_t cap = 32768 + (size_t)n * 4096, o = 0;
    char *y = malloc(cap);
    if (!y) return NULL;
    const double lat0 = 33.2985, lon0 = 44.3950;
    double m_per_deg_lon = 111320.0 * cos(lat0 * LO_DEG2RAD);
    o += (size_t)snprintf(y + o, cap - o,
                          "site: {name: multisite-demo, reference: {lat_deg: %.4f, lon_deg: %.4f, "
                          "height_m: 45}, propagation: 4/3-earth}\nsensors:\n", lat0, lon0);
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(
            y + o, cap - o,
            "  - {name: radar-%d, sac: 3, sic: %d, kind: rotating, dimensions: 3, "
            "scan_period_s: 1.0, north_azimuth_deg: %d,\n"
            "     position: {lat_deg: %.6f, lon_deg: %.6f, height_m: 45},\n"
            "     sigma_range_m: 8, sigma_azimuth_deg: 0.4, sigma_elevation_deg: 0.6,\n"
            "     sigma_radial_velocity_mps: 0.5, min_range_m: 300, max_range_m: 6500,\n"
            "     min_elevation_deg: -2, max_elevation_deg: 60, reference_rcs_m2: 0.01,\n"
            "     reference_range_m: 8000, reference_snr_db: 13, pfa: 1.0e-6, range_cell_m: 30,\n"
            "     beamwidth_az_deg: 2.0, beamwidth_el_deg: 10, radial_velocity: true,\n"
            "     doppler_spread: true}\n",
            i + 1, i + 1, (i * 53) % 360, lat0, lon0 + i * SPACING_M / m_per_deg_lon);
    o += (size_t)snprintf(y + o, cap - o, "zones:\n");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(y + o, cap - o,
                              "  - {name: compound-%d, priority: 1, circle: {lat_deg: %.6f, "
                              "lon_deg: %.6f, radius_m: 300}, altitude_m: [0, 1500]}\n",
                              i + 1, lat0 - 2500.0 / 110574.0,
                              lon0 + i * SPACING_M / m_per_deg_lon);
    for (int i = 0; i + 1 < n; i++)
        o += (size_t)snprintf(y + o, cap - o,
                              "  - {name: bridge-%d-%d, priority: 1, circle: {lat_deg: %.6f, "
                              "lon_deg: %.6f, radius_m: 300}, altitude_m: [0, 1500]}\n",
                              i + 1, i + 2, lat0,
                              lon0 + (i + 0.5) * SPACING_M / m_per_deg_lon);
    o += (size_t)snprintf(y + o, cap - o,
                          "simulation: {start: 2026-11-22T10:00:00Z, duration_s: %.0f, seed: 5, "
                          "ground_height_m: 35}\ntargets:\n", duration_s);
    for (int i = 0; i < n; i++) {
        double x = i * SPACING_M;
        o += (size_t)snprintf(y + o, cap - o,
                              "  - {kind: multirotor, name: raider-%d, start_s: %d, speed_mps: 15, "
                              "course_noise_deg: 0, position: {x_m: %.0f, y_m: 1500, agl_m: 100}, "
                              "waypoints: [{x_m: %.0f, y_m: -2500, agl_m: 100}]}\n",
                              i + 1, 10 + 15 * i, x + 2500, x);
        o += (size_t)snprintf(y + o, cap - o,
                              "  - {kind: bird_flock, name: pigeons-%d, count: 12, position: "
                              "{x_m: %.0f, y_m: 2500, agl_m: 60}, flock_radius_m: 40, "
                              "home_radius_m: 400}\n", i + 1, x - 1500);
    }
    for (int i = 0; i + 1 < n; i++)
        o += (size_t)snprintf(y + o, cap - o,
                              "  - {kind: multirotor, name: bridge-drone-%d, start_s: %d, "
                              "speed_mps: 12, course_noise_deg: 0, position: {x_m: %.0f, "
                              "y_m: 3000, agl_m: 120}, waypoints: [{x_m: %.0f, y_m: -3000, "
                              "agl_m: 120}]}\n",
                              i + 1, 20 + 10 * i, (i + 0.5) * SPACING_M + 400,
                              (i + 0.5) * SPACING_M - 400);
    o += (size_t)snprintf(y + o, cap - o,
                          "  - {kind: fixed_wing, name: crosser, speed_mps: 40, course_noise_deg: 0, "
                          "position: {x_m: -3000, y_m: 4000, agl_m: 250}, waypoints: "
                          "[{x_m: %.0f, y_m: 4000, agl_m: 250}]}\nclutter: {thermal: true}\n",
                          (n - 1) * SPACING_M + 3000);
    return y;
}

typedef struct node_out {
    const char *name;
    uint64_t alerts;
} node_out;

static int print_alert(void *ctx, const lo_alert *a)
{
    node_out *n = ctx;
    n->alerts++;
    if (a->level < LO_ALERT_WARNING && a->transition != LO_ALERT_CLEARED) return 0;
    static const char *const tag[] = {"INFO", "WARNING", "ALARM"};
    printf("[%-9s] %-7s %-7s %-12s track %-4u %s\n", n->name, tag[a->level],
           lo_alert_transition_name(a->transition), a->zone_name, a->track_id, a->reason);
    fflush(stdout);
    return 0;
}

static lo_bus *open_bus(const lo_nats_cluster *c, const char *node, lo_bus_role role)
{
    lo_bus_config cfg;
    lo_bus_config_defaults(&cfg);
    for (int i = 0; i < lo_nats_cluster_size(c); i++)
        snprintf(cfg.servers[cfg.n_servers++], sizeof cfg.servers[0], "%s",
                 lo_nats_cluster_url(c, i));
    snprintf(cfg.node, sizeof cfg.node, "%s", node);
    snprintf(cfg.site, sizeof cfg.site, "%s", node);
    cfg.role = role;
    cfg.plot_window_s = 120;
    cfg.plot_stream_mb = 64;
    char err[256];
    lo_bus *b = lo_bus_open(&cfg, err, sizeof err);
    if (!b) fprintf(stderr, "lookout multisite-demo: bus %s: %s\n", node, err);
    return b;
}

int cmd_multisite_demo(int argc, char **argv)
{
    enum { OPT_SITES = 256, OPT_SPEED, OPT_DURATION, OPT_SERVERS, OPT_BIND, OPT_PORT, OPT_LINGER };
    static const struct option opts[] = {
        {"sites", required_argument, 0, OPT_SITES},
        {"speed", required_argument, 0, OPT_SPEED},
        {"duration", required_argument, 0, OPT_DURATION},
        {"servers", required_argument, 0, OPT_SERVERS},
        {"bind", required_argument, 0, OPT_BIND},
        {"port", required_argument, 0, OPT_PORT},
        {"linger", no_argument, 0, OPT_LINGER},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cmd = "multisite-demo";
    double sites = 3, speed = 1, duration = 180, servers = 3, v;
    bool linger = false;
    lo_http_config http;
    lo_http_config_defaults(&http);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SITES:
            if (!lo_cli_number(optarg, 2, MAX_SITES, &sites) || sites != (int)sites)
                return lo_usage_error(cmd, "--sites takes 2..%d, got '%s'", MAX_SITES, optarg);
            break;
        case OPT_SPEED:
            if (!lo_cli_number(optarg, 0.01, 1000, &speed))
                return lo_usage_error(cmd, "--speed takes a factor in [0.01, 1000], got '%s'", optarg);
            break;
        case OPT_DURATION:
            if (!lo_cli_number(optarg, 1, 1e6, &duration))
                return lo_usage_error(cmd, "--duration takes seconds >= 1, got '%s'", optarg);
            break;
        case OPT_SERVERS:
            if (!lo_cli_number(optarg, 1, 5, &servers) || servers != (int)servers)
                return lo_usage_error(cmd, "--servers takes 1..5, got '%s'", optarg);
            break;
        case OPT_BIND: http.bind_addr = optarg; break;
        case OPT_PORT:
            if (!lo_cli_number(optarg, 0, 65535, &v) || v != (int)v)
                return lo_usage_error(cmd, "--port takes 0..65535, got '%s'", optarg);
            http.port = (int)v;
            break;
        case OPT_LINGER: linger = true; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!lo_nats_server_path()) {
        fprintf(stderr, "lookout %s: nats-server is not installed (Debian: apt install "
                        "nats-server)\n", cmd);
        return LO_EXIT_FAIL;
    }
    int n = (int)sites;
    int rc = LO_EXIT_FAIL;
    char *yaml = region_yaml(n, duration);
    lo_site region;
    memset(&region, 0, sizeof region);
    lo_diag_sink diag = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    if (!yaml || lo_site_load_string(yaml, "multisite-demo (built in)", &region, &diag) != 0) {
        free(yaml);
        return LO_EXIT_FAIL;
    }
    /* Each edge's site is a view of the region: its one sensor and its own compound. The
     * fusion node's: every sensor and the regional zones. (Views share the region's memory.) */
    lo_site edge_site[MAX_SITES], fusion_site = region;
    for (int i = 0; i < n; i++) {
        edge_site[i] = region;
        snprintf(edge_site[i].name, sizeof edge_site[i].name, "edge-%d", i + 1);
        edge_site[i].sensors = region.sensors + i;
        edge_site[i].sensor_frames = region.sensor_frames + i;
        edge_site[i].n_sensors = 1;
        edge_site[i].zones = region.zones + i;
        edge_site[i].n_zones = 1;
    }
    fusion_site.zones = region.zones + n;
    fusion_site.n_zones = n - 1;

    char dir[] = "/tmp/lookout-multisite-XXXXXX", sub[64], err[256];
    lo_nats_cluster *nats = NULL;
    lo_bus *bus[MAX_SITES + 2] = {0};
    lo_role *edge[MAX_SITES] = {0}, *fusion = NULL;
    node_out out[MAX_SITES + 1];
    char names[MAX_SITES][16];
    lo_display *display = NULL;
    lo_picture *pic = NULL;
    lo_http_server *srv = NULL;
    lo_sim *sim = NULL;
    if (!mkdtemp(dir)) {
        fprintf(stderr, "lookout %s: cannot make a temporary directory\n", cmd);
        goto done;
    }
    snprintf(sub, sizeof sub, "%s/nats", dir);
    fprintf(stderr, "lookout %s: starting %d nats-server process(es) on 127.0.0.1 ...\n", cmd,
            (int)servers);
    nats = lo_nats_cluster_start((int)servers, sub, err, sizeof err);
    if (!nats) {
        fprintf(stderr, "lookout %s: %s\n", cmd, err);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "edge-%d", i + 1);
        out[i] = (node_out){.name = names[i]};
        if (!(bus[i] = open_bus(nats, names[i], LO_BUS_ROLE_EDGE))) goto done;
        lo_role_options eo = {.role = LO_BUS_ROLE_EDGE, .sac = 3, .sic = (uint8_t)(i + 1)};
        lo_pipeline_sinks s = {.on_alert = print_alert, .ctx = &out[i]};
        if (!(edge[i] = lo_role_new(&edge_site[i], bus[i], &eo, &s, &diag))) goto done;
    }
    out[n] = (node_out){.name = "fusion"};
    if (!(bus[n] = open_bus(nats, "fusion", LO_BUS_ROLE_FUSION)) ||
        !(bus[n + 1] = open_bus(nats, "display", LO_BUS_ROLE_DISPLAY)))
        goto done;
    sim = lo_sim_new(&region, NULL, &diag);
    if (!sim) goto done;
    double t0 = lo_sim_start_time(sim);
    lo_role_options fo = {.role = LO_BUS_ROLE_FUSION, .sac = 3, .sic = 100, .tod_near_t = t0,
                          .lag_s = 0.5};
    lo_pipeline_sinks fs = {.on_alert = print_alert, .ctx = &out[n]};
    if (!(fusion = lo_role_new(&fusion_site, bus[n], &fo, &fs, &diag))) goto done;
    if (!(pic = lo_picture_new(NULL))) goto done;
    lo_picture_set_site(pic, &region);
    lo_display_options dopt = {.durable = "multisite-demo-display", .tod_near_t = t0};
    if (!(display = lo_display_new(&region, bus[n + 1], pic, &dopt))) goto done;
    if (!(srv = lo_http_start(&http, pic, err, sizeof err))) {
        fprintf(stderr, "lookout %s: cannot serve the display: %s\n", cmd, err);
        goto done;
    }
    for (int i = 0; i < n + 2; i++)
        if (!lo_bus_wait_ready(bus[i], 30)) {
            fprintf(stderr, "lookout %s: NATS did not come up\n", cmd);
            goto done;
        }
    volatile sig_atomic_t *stop = lo_cli_catch_stop_signals();
    char status[160];
    snprintf(status, sizeof status, "multisite demo: %d edges, 1 fusion node, NATS x%d", n,
             (int)servers);
    lo_picture_set_status(pic, status);
    fprintf(stderr, "lookout %s: NATS at %s (and %d more)\n", cmd, lo_nats_cluster_url(nats, 0),
            (int)servers - 1);
    fprintf(stderr, "lookout %s: %d edge nodes, fusion node, display at %s; %gx real time; "
                    "Ctrl-C stops\n\n", cmd, n, lo_http_url(srv), speed);

    double wall0 = lo_cli_monotonic_s(), next_step = t0 + 0.1, t = t0;
    lo_plot p;
    int more = 1;
    while (more && !*stop) {
        more = lo_sim_next_plot(sim, &p);
        while (!*stop && (!more || p.t >= next_step)) {
            for (int i = 0; i < n; i++) lo_role_advance(edge[i], next_step);
            lo_cli_sleep_s(wall0 + (next_step - t0) / speed - lo_cli_monotonic_s());
            lo_role_poll(fusion);
            lo_picture_set_clock(pic, next_step);
            if (!more) break;
            next_step += 0.1;
        }
        if (!more) break;
        t = p.t;
        for (int i = 0; i < n; i++)
            if (region.sensors[i].id == p.sensor_id) lo_role_add_plot(edge[i], &p);
    }
    for (int i = 0; i < n; i++) lo_role_finish(edge[i], t);
    lo_cli_sleep_s(1.0);
    lo_role_finish(fusion, t);
    for (int i = 0; i < n + 2; i++) lo_bus_flush(bus[i], 5);

    /* Let the display's durable consumer fetch the last transitions (bounded). */
    uint64_t raised = 0;
    for (int i = 0; i <= n; i++) {
        lo_role_stats st;
        lo_role_get_stats(i < n ? edge[i] : fusion, &st);
        raised += st.alerts_published;
    }
    lo_display_stats ds;
    double give_up = lo_cli_monotonic_s() + 5.0;
    do {
        lo_display_get_stats(display, &ds);
        if (ds.alerts >= raised) break;
        lo_cli_sleep_s(0.05);
    } while (lo_cli_monotonic_s() < give_up);
    fprintf(stderr, "\nlookout %s: %.0f s of scenario\n", cmd, t - t0);
    for (int i = 0; i <= n; i++) {
        lo_role_stats st;
        lo_role_get_stats(i < n ? edge[i] : fusion, &st);
        lo_bus_stats bst;
        lo_bus_get_stats(bus[i], &bst);
        fprintf(stderr, "  %-8s %6" PRIu64 " plots, %4" PRIu64 " alert transitions; bus: %" PRIu64
                        " plot blocks out, %" PRIu64 " in, %" PRIu64 " dropped\n",
                out[i].name, st.plots_local, out[i].alerts, bst.plots_published,
                bst.plots_received, bst.plots_dropped);
    }
    fprintf(stderr, "  display  %" PRIu64 " track records, %" PRIu64 " alert transitions, %zu "
                    "regional tracks now\n", ds.track_records, ds.alerts,
            ds.handover.regional_tracks);
    lo_picture_set_status(pic, *stop ? "stopped" : "scenario ended");
    if (linger && !*stop) {
        fprintf(stderr, "lookout %s: the display stays at %s until Ctrl-C\n", cmd, lo_http_url(srv));
        while (!*stop) lo_cli_sleep_s(0.2);
    }
    rc = LO_EXIT_OK;
done:
    lo_http_stop(srv);
    for (int i = 0; i < n + 2; i++) lo_bus_close(bus[i]);
    for (int i = 0; i < n; i++) lo_role_free(edge[i]);
    lo_role_free(fusion);
    lo_display_free(display);
    lo_picture_free(pic);
    lo_sim_free(sim);
    lo_nats_cluster_free(nats); /* removes dir/nats */
    rmdir(dir);
    lo_site_free(&region);
    free(yaml);
    return rc;
}
