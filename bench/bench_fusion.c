/*
 * bench_fusion.c: plots per second through NATS from 10 simulated radar sites into one fusion
 * node, and the latency from a plot's publication to the regional track that used it.
 *
 *   bench_fusion [--sites N] [--targets T] [--seconds S] [--pace-seconds P]
 *
 * A region of N radars (3D, rotating, 1 s scans, 6.5 km range) on a grid 8 km apart, T birds
 * and drones wandering over it, simulated once into memory. One nats-server on 127.0.0.1.
 * Every site is an edge bus of its own (its own connection and thread) publishing its radar's
 * plots as CAT048 blocks on lookout.plots.<site>.<sensor>, as lo_role's edge does; the edges'
 * own pipelines are left out, so the figures are the transport's and the fusion node's.
 *  1. throughput: all S seconds of plots published as fast as the edges can (one block per
 *     sensor per 0.25 s of data), the fusion node (lo_role, bus subscription, decode, inbox,
 *     multi-radar pipeline) polling in a loop; measured from the first publish until the
 *     fusion pipeline has taken and processed every plot. Also the fusion pipeline alone on the same plots
 *     (no NATS, no decode) for comparison.
 *  2. latency at real time: P seconds paced at 1x, edges publishing every 0.1 s of data, the
 *     fusion node polling every 10 ms with lag_s = 0.2: wall time from the publish call to the
 *     fusion pipeline's first track report whose last plot it is (p50/p99). The tracker's
 *     reorder window (0.5 s of data), lag_s and the pipeline's report cadence (half a scan)
 *     are waits by design and are part of it.
 * Results: bench/RESULTS.md ("Multi-site fusion"). Not part of ctest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/asterix.h"
#include "lookout/bus.h"
#include "lookout/roles.h"
#include "lookout/sim.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap(double s)
{
    if (s <= 0) return;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- the region ------------------------------------------------------------------------------ */

static char *region_yaml(int n_sites, int n_targets, double seconds)
{
    size_t cap = 65536;
    char *y = malloc(cap);
    size_t o = 0;
    const double lat0 = 33.2985, lon0 = 44.3950;
    o += (size_t)snprintf(y + o, cap - o,
                          "site: {name: bench-region, reference: {lat_deg: %.4f, lon_deg: %.4f, "
                          "height_m: 45}, propagation: 4/3-earth}\nsensors:\n", lat0, lon0);
    int cols = (n_sites + 1) / 2;
    for (int i = 0; i < n_sites; i++) {
        double x = (i % cols) * 8000.0, yv = (i / cols) * 8000.0;
        double lat = lat0 + yv / 110574.0, lon = lon0 + x / (111320.0 * cos(lat0 * M_PI / 180));
        o += (size_t)snprintf(
            y + o, cap - o,
            "  - {name: radar-%d, sac: 2, sic: %d, kind: rotating, dimensions: 3, scan_period_s: 1.0,\n"
            "     north_azimuth_deg: %d, position: {lat_deg: %.6f, lon_deg: %.6f, height_m: 45},\n"
            "     sigma_range_m: 8, sigma_azimuth_deg: 0.4, sigma_elevation_deg: 0.6,\n"
            "     sigma_radial_velocity_mps: 0.5, min_range_m: 300, max_range_m: 6500,\n"
            "     min_elevation_deg: -2, max_elevation_deg: 60, reference_rcs_m2: 0.01,\n"
            "     reference_range_m: 8000, reference_snr_db: 13, pfa: 1.0e-6, range_cell_m: 30,\n"
            "     beamwidth_az_deg: 2.0, beamwidth_el_deg: 10, radial_velocity: true}\n",
            i, i + 1, (i * 37) % 360, lat, lon);
    }
    double cx = (cols - 1) * 4000.0, cy = n_sites > 1 ? 4000.0 : 0.0;
    o += (size_t)snprintf(y + o, cap - o,
                          "zones:\n  - {name: region-centre, priority: 1, circle: {bearing_deg: 0, "
                          "distance_m: 0, radius_m: 300}, altitude_m: [0, 1500]}\n"
                          "simulation: {start: 2026-11-22T10:00:00Z, duration_s: %.0f, seed: 11, "
                          "ground_height_m: 35}\ntargets:\n"
                          "  - {kind: bird, name: birds, count: %d, position: {x_m: %.0f, y_m: %.0f, "
                          "agl_m: 80}, spread_m: %.0f, home_radius_m: %.0f}\n"
                          "  - {kind: multirotor, name: drones, count: %d, position: {x_m: %.0f, "
                          "y_m: %.0f, agl_m: 100}, spread_m: %.0f, patrol_radius_m: 3000}\n"
                          "clutter: {thermal: true}\n",
                          seconds, n_targets * 2 / 3, cx, cy, cx + 6000, cx + 6000,
                          n_targets - n_targets * 2 / 3, cx, cy, cx + 6000);
    return y;
}

/* ---- latency bookkeeping: (sensor, plot time) -> publish wall time -------------------------- */

#define SLOTS (1u << 20)
typedef struct slot {
    uint16_t sensor;
    double t, published;
} slot;

typedef struct bench_state {
    slot *slots;
    double *lat;
    size_t n_lat, cap_lat;
    bool measure;
} bench_state;

/* Keyed on the time in CAT048's resolution (1/128 s): the fusion node's plot times are the
 * decoded ones. */
static size_t slot_of(uint16_t sensor, double t)
{
    uint64_t k = (uint64_t)llround(t * 128.0) * 0x9E3779B97F4A7C15ull ^ sensor;
    return (size_t)(k >> 30) & (SLOTS - 1);
}

static void on_track(void *ctx, const lo_track *trk)
{
    bench_state *b = ctx;
    if (!b->measure || trk->status == LO_TRACK_DELETED) return;
    slot *s = &b->slots[slot_of(trk->last_sensor_id, trk->last_plot_t)];
    if (s->published == 0 || s->sensor != trk->last_sensor_id ||
        llround(s->t * 128.0) != llround(trk->last_plot_t * 128.0))
        return;
    if (b->n_lat == b->cap_lat) {
        b->cap_lat = b->cap_lat ? b->cap_lat * 2 : 4096;
        b->lat = realloc(b->lat, b->cap_lat * sizeof *b->lat);
    }
    b->lat[b->n_lat++] = mono() - s->published;
    s->published = 0; /* first report only */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

/* ---- edges --------------------------------------------------------------------------------- */

typedef struct edges {
    int n;
    lo_bus **bus;
    lo_asterix_block *block;
    const lo_site *site;
} edges;

/* Pending plots of the current flush, stamped with the publish time when they go out. */
static lo_plot *pending;
static size_t n_pending, cap_pending;

static void edge_add(edges *e, const lo_plot *p, bench_state *b)
{
    int i = lo_site_sensor_index(e->site, p->sensor_id);
    if (i < 0) return;
    lo_cat048 rec;
    lo_cat048_from_plot(p, &e->site->sensors[i], &rec);
    uint8_t buf[256];
    size_t n = lo_cat048_encode(&rec, buf, sizeof buf);
    if (!lo_asterix_block_add(&e->block[i], buf, n)) {
        lo_bus_publish_plot(e->bus[i], e->site->sensors[i].name, e->block[i].data, e->block[i].len);
        lo_asterix_block_init(&e->block[i], 48);
        lo_asterix_block_add(&e->block[i], buf, n);
    }
    if (b) {
        if (n_pending == cap_pending) {
            cap_pending = cap_pending ? cap_pending * 2 : 4096;
            pending = realloc(pending, cap_pending * sizeof *pending);
        }
        pending[n_pending++] = *p;
    }
}

static void edges_flush(edges *e, bench_state *b)
{
    double now = mono();
    for (size_t k = 0; b && k < n_pending; k++) {
        /* Stamped before the publish calls: the figure includes the edges' own queueing. */
        slot *s = &b->slots[slot_of(pending[k].sensor_id, pending[k].t)];
        *s = (slot){.sensor = pending[k].sensor_id, .t = pending[k].t, .published = now};
    }
    n_pending = 0;
    for (int i = 0; i < e->n; i++) {
        if (!e->block[i].n_records) continue;
        lo_bus_publish_plot(e->bus[i], e->site->sensors[i].name, e->block[i].data, e->block[i].len);
        lo_asterix_block_init(&e->block[i], 48);
    }
}

static lo_bus *open_bus(const char *node, const char *url)
{
    lo_bus_config c;
    lo_bus_config_defaults(&c);
    snprintf(c.node, sizeof c.node, "%s", node);
    snprintf(c.site, sizeof c.site, "%s", node);
    snprintf(c.servers[0], sizeof c.servers[0], "%s", url);
    c.n_servers = 1;
    c.plot_buffer = 2000000;
    c.buffer_mb = 512;
    c.plot_window_s = 60;
    c.health_interval_s = 0;
    c.alert_dedup_window_s = 600;
    char err[256];
    lo_bus *b = lo_bus_open(&c, err, sizeof err);
    if (!b || !lo_bus_wait_ready(b, 20)) {
        fprintf(stderr, "bench_fusion: bus %s: %s\n", node, b ? "not ready" : err);
        exit(1);
    }
    return b;
}

/* The fusion pipeline alone on the same plots (no NATS, no CAT048), driven like the fusion
 * node: a batch every 0.25 s of data, advanced to the newest plot minus the lag. */
static void alone(const lo_site *site, const lo_plot *plots, size_t n_thr, double t0,
                  lo_diag_sink *sink, const char *what)
{
    bench_state none = {0};
    lo_pipeline_sinks ps = {.on_track = on_track, .ctx = &none};
    lo_pipeline *pipe = lo_pipeline_new(site, NULL, &ps, sink);
    double w0 = mono(), next_adv = t0 + 0.25;
    for (size_t i = 0; i < n_thr; i++) {
        if (plots[i].t >= next_adv) {
            lo_pipeline_advance(pipe, plots[i].t - 30.0);
            next_adv += 0.25;
        }
        lo_pipeline_add_plot(pipe, &plots[i]);
    }
    lo_pipeline_finish(pipe, plots[n_thr - 1].t);
    double alone_s = mono() - w0;
    lo_pipeline_stats pst;
    lo_pipeline_get_stats(pipe, &pst);
    lo_pipeline_free(pipe);
    printf("  fusion pipeline alone, %-14s %8.0f plots/s (%llu refused)\n", what,
           (double)n_thr / alone_s, (unsigned long long)pst.plots_refused);
}

int main(int argc, char **argv)
{
    int n_sites = 10, n_targets = 600;
    double seconds = 60, pace_seconds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sites")) n_sites = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--targets")) n_targets = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--pace-seconds")) pace_seconds = atof(argv[i + 1]);
        else {
            fprintf(stderr, "Usage: bench_fusion [--sites N] [--targets T] [--seconds S] "
                            "[--pace-seconds P]\n");
            return 2;
        }
    }
    if (n_sites < 1 || n_sites > 64) return 2;
    if (!lo_nats_server_path()) {
        fprintf(stderr, "bench_fusion: nats-server not installed\n");
        return 77;
    }
    char *yaml = region_yaml(n_sites, n_targets, fmax(seconds, pace_seconds));
    lo_site site;
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    if (lo_site_load_string(yaml, "bench-region.yaml", &site, &sink) != 0) return 1;
    lo_sim *sim = lo_sim_new(&site, NULL, &sink);
    if (!sim) return 1;
    size_t n = 0, cap = 1 << 16;
    lo_plot *plots = malloc(cap * sizeof *plots);
    lo_plot p;
    while (lo_sim_next_plot(sim, &p) == 1) {
        if (n == cap) plots = realloc(plots, (cap *= 2) * sizeof *plots);
        plots[n++] = p;
    }
    double t0 = lo_sim_start_time(sim);
    lo_sim_free(sim);
    size_t n_thr = 0;
    while (n_thr < n && plots[n_thr].t < t0 + seconds) n_thr++;
    printf("bench_fusion: %d sites, %d targets: %zu plots in %.0f s of data (%.0f plots/s of "
           "data)\n", n_sites, n_targets, n_thr, seconds, (double)n_thr / seconds);

    /* The same plots as the fusion node sees them: through CAT048 and back. */
    lo_plot *decoded = malloc(n_thr * sizeof *decoded);
    for (size_t i = 0; i < n_thr; i++) {
        int k = lo_site_sensor_index(&site, plots[i].sensor_id);
        lo_cat048 rec;
        lo_cat048_from_plot(&plots[i], &site.sensors[k], &rec);
        lo_cat048_to_plot(&rec, &site.sensors[k],
                          lo_tod_nearest(rec.tod * LO_ASTERIX_TOD_LSB, plots[i].t), &decoded[i]);
    }
    alone(&site, plots, n_thr, t0, &sink, "simulator plots:");
    alone(&site, decoded, n_thr, t0, &sink, "CAT048 plots:");

    char dir[] = "/tmp/lookout-bench-fusion-XXXXXX", err[256];
    if (!mkdtemp(dir)) return 1;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/nats", dir);
    lo_nats_cluster *nats = lo_nats_cluster_start(1, sub, err, sizeof err);
    if (!nats) {
        fprintf(stderr, "bench_fusion: %s\n", err);
        return 1;
    }
    const char *url = lo_nats_cluster_url(nats, 0);
    edges e = {.n = n_sites, .site = &site};
    e.bus = calloc((size_t)n_sites, sizeof *e.bus);
    e.block = calloc((size_t)n_sites, sizeof *e.block);
    for (int i = 0; i < n_sites; i++) {
        char node[32];
        snprintf(node, sizeof node, "site-%d", i);
        e.bus[i] = open_bus(node, url);
        lo_asterix_block_init(&e.block[i], 48);
    }

    /* 1. Throughput. */
    bench_state bs = {.slots = calloc(SLOTS, sizeof(slot))};
    lo_bus *fbus = open_bus("fusion", url);
    /* Published at tens of times real time, the sites' plots arrive seconds of data apart:
     * a lag of 30 s of data keeps them all in time. */
    lo_role_options fo = {.role = LO_BUS_ROLE_FUSION, .tod_near_t = t0, .lag_s = 30.0,
                          .inbox_max = 10000000};
    lo_pipeline_sinks fs = {.on_track = on_track, .ctx = &bs};
    lo_role *fusion = lo_role_new(&site, fbus, &fo, &fs, &sink);
    nap(0.5); /* the subscription is made on the bus thread */
    double w0 = mono();
    double next_flush = t0 + 0.25;
    for (size_t i = 0; i < n_thr; i++) {
        if (plots[i].t >= next_flush) {
            edges_flush(&e, NULL);
            next_flush += 0.25;
            lo_role_poll(fusion);
        }
        edge_add(&e, &plots[i], NULL);
    }
    edges_flush(&e, NULL);
    double published_s = mono() - w0;
    lo_role_stats st;
    double deadline = mono() + 60;
    do {
        lo_role_poll(fusion);
        lo_role_get_stats(fusion, &st);
        if (st.plots_local >= n_thr) break;
        nap(0.002);
    } while (mono() < deadline);
    /* Everything taken; the last lag_s of data is still queued in the tracker: process it. */
    lo_role_finish(fusion, plots[n_thr - 1].t);
    double thr_s = mono() - w0;
    printf("  through NATS into the fusion node:     %8.0f plots/s (%llu of %zu plots taken in "
           "%.2f s; edges published in %.2f s; refused %llu, inbox drops %llu)\n",
           (double)st.plots_local / thr_s, (unsigned long long)st.plots_local, n_thr, thr_s,
           published_s, (unsigned long long)st.plots_late,
           (unsigned long long)st.plots_inbox_dropped);
    lo_bus_close(fbus);
    lo_role_free(fusion);

    /* Again: the machine is shared, timings drift. */
    alone(&site, plots, n_thr, t0, &sink, "simulator plots:");
    alone(&site, decoded, n_thr, t0, &sink, "CAT048 plots:");
    free(decoded);

    /* 2. Latency at real time. */
    fbus = open_bus("fusion-paced", url);
    fo.lag_s = 0.2;
    bs.measure = true;
    fusion = lo_role_new(&site, fbus, &fo, &fs, &sink);
    nap(0.5);
    w0 = mono();
    next_flush = t0 + 0.1;
    double next_poll = w0;
    for (size_t i = 0; i < n && plots[i].t < t0 + pace_seconds; i++) {
        while (plots[i].t >= next_flush) {
            double due = w0 + (next_flush - t0);
            while (mono() < due) {
                if (mono() >= next_poll) {
                    lo_role_poll(fusion);
                    next_poll += 0.01;
                }
                nap(fmin(0.002, due - mono()));
            }
            edges_flush(&e, &bs);
            next_flush += 0.1;
        }
        edge_add(&e, &plots[i], &bs);
    }
    for (int k = 0; k < 100; k++) {
        lo_role_poll(fusion);
        nap(0.01);
    }
    lo_role_get_stats(fusion, &st);
    double p50 = quantile(bs.lat, bs.n_lat, 0.5), p99 = quantile(bs.lat, bs.n_lat, 0.99);
    printf("  paced at 1x for %.0f s: %zu plot-to-track samples; publish -> regional track "
           "p50 %.0f ms, p99 %.0f ms (max %.0f ms)\n",
           pace_seconds, bs.n_lat, p50 * 1e3, p99 * 1e3, quantile(bs.lat, bs.n_lat, 1.0) * 1e3);
    lo_bus_close(fbus);
    lo_role_free(fusion);
    for (int i = 0; i < n_sites; i++) lo_bus_close(e.bus[i]);
    lo_nats_cluster_free(nats);
    snprintf(sub, sizeof sub, "rm -rf %s", dir);
    if (system(sub) != 0) fprintf(stderr, "bench_fusion: could not remove %s\n", dir);
    lo_bus_library_cleanup();
    free(e.bus);
    free(e.block);
    free(bs.slots);
    free(bs.lat);
    free(plots);
    free(pending);
    free(yaml);
    lo_site_free(&site);
    return 0;
}
