/*
 * multisite_testlib.h: the two-sites arrangement (scenarios/two-sites/) for the multi-site
 * tests: two edge nodes, one fusion node and one display on real NATS servers, driven by one
 * simulator over the region's sensors whose plots are routed to the edge of their sensor.
 * Header-only (static inline functions), included by tests/test_fusion*.c.
 *
 * Data time runs `speed` times faster than the wall clock; the loop calls a hook every
 * second of data time so a test can kill servers or nodes and look at pictures.
 */
#ifndef LOOKOUT_MULTISITE_TESTLIB_H
#define LOOKOUT_MULTISITE_TESTLIB_H

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/bus.h"
#include "lookout/fusion.h"
#include "lookout/journal.h"
#include "lookout/picture.h"
#include "lookout/roles.h"
#include "lookout/sim.h"
#include "nats/bus_testutil.h"

#define MS_MAX_TRUTH 64
#define MS_MAX_JOURNAL 512
#define MS_STEP_S 0.25      /* edges hand their plots to the bus this often (data time) */

/* What a node's local sink accepted: its SQLite journal, and a copy for quick looks. */
typedef struct ms_journal {
    lo_journal *db;          /* the node's SQLite alert journal: durable before publication */
    int n;
    lo_alert a[MS_MAX_JOURNAL];
    double last_t;           /* data time of the latest transition */
    int after_mark;          /* transitions since ms_world.mark_t */
    const double *mark_t;
    /* Optional: every track report of the node's pipeline (its picture), before the bus. */
    void (*on_track)(void *ctx, const lo_track *trk);
    void *track_ctx;
} ms_journal;

typedef struct ms_world {
    lo_site region, west, east;
    const char *urls[3];
    int n_urls;
    lo_bus *bus_west, *bus_east, *bus_fusion, *bus_display;
    lo_role *edge_west, *edge_east, *fusion;
    lo_display *display;
    lo_picture *pic;
    lo_regions regions;
    ms_journal j_west, j_east, j_fusion;
    double mark_t;
    double sim_start;
    /* Latest truth per id. */
    bool truth_live[MS_MAX_TRUTH];
    lo_truth truth[MS_MAX_TRUTH];
    /* Zones the display has shown an alert for. */
    bool display_saw_bridge, display_saw_west, display_saw_east;
    long plot_buffer;
    long replayed;           /* plots the last fusion start replayed from the stream */
    /* Plot messages the edges published that the fusion node will never receive (published
     * before it subscribed, or lost with a server): see ms_wait_fusion_caught_up. */
    uint64_t fusion_missed;
    bool fusion_missed_known;
    char dir[64];            /* journals */
} ms_world;

static inline int ms_on_alert(void *ctx, const lo_alert *a)
{
    ms_journal *j = ctx;
    if (j->db && lo_journal_append(j->db, a) != 0) return -1;
    if (j->n < MS_MAX_JOURNAL) j->a[j->n++] = *a;
    j->last_t = a->t;
    if (j->mark_t && *j->mark_t > 0 && a->t >= *j->mark_t) j->after_mark++;
    return 0;
}

static inline void ms_on_track(void *ctx, const lo_track *trk)
{
    ms_journal *j = ctx;
    if (j->on_track) j->on_track(j->track_ctx, trk);
}

static inline void ms_on_truth(void *ctx, const lo_truth *t)
{
    ms_world *w = ctx;
    if (t->truth_id < MS_MAX_TRUTH) {
        w->truth[t->truth_id] = *t;
        w->truth_live[t->truth_id] = true;
    }
}

static inline lo_bus *ms_bus(ms_world *w, const char *node, const char *site, lo_bus_role role)
{
    lo_bus_config c = test_bus_config(node, w->urls, w->n_urls);
    snprintf(c.site, sizeof c.site, "%s", site);
    c.role = role;
    c.alert_ack_timeout_s = 0.5;
    if (w->plot_buffer > 0) c.plot_buffer = w->plot_buffer;
    char err[256];
    lo_bus *b = lo_bus_open(&c, err, sizeof err);
    if (!b) print_error("bus %s: %s\n", node, err);
    return b;
}

/* replay_s > 0: the new node first reads the last replay_s wall seconds of the plots stream. */
static inline lo_role *ms_fusion_start(ms_world *w, double replay_s)
{
    /* The replay window ends now, before this node takes its time to connect (the test's
     * loop, and so the edges, wait meanwhile). */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    w->bus_fusion = ms_bus(w, "fusion-west", "two-sites", LO_BUS_ROLE_FUSION);
    if (!w->bus_fusion) return NULL;
    lo_role_options fo = {.role = LO_BUS_ROLE_FUSION, .sic = 100, .tod_near_t = w->sim_start,
                          .lag_s = 0.5}; /* edges hand plots over every 0.25 s */
    lo_pipeline_sinks fs = {.on_alert = ms_on_alert, .on_track = ms_on_track, .ctx = &w->j_fusion};
    w->fusion = lo_role_new(&w->region, w->bus_fusion, &fo, &fs, NULL);
    w->fusion_missed_known = false;
    /* "Back" means back on the bus: the checks count scans from here, however long a loaded
     * machine takes to connect (the test's loop, and so the edges, wait meanwhile). */
    if (!w->fusion || !lo_bus_wait_ready(w->bus_fusion, 20)) return NULL;
    if (replay_s > 0) w->replayed = lo_role_replay(w->fusion, now - replay_s, 5.0);
    return w->fusion;
}

static inline void ms_fusion_stop(ms_world *w)
{
    lo_bus_close(w->bus_fusion); /* first: no callback into the role after this */
    lo_role_free(w->fusion);
    w->bus_fusion = NULL;
    w->fusion = NULL;
}

/* Load the three sites, open four buses, make the roles. Returns false on failure. */
static inline bool ms_world_open(ms_world *w, lo_nats_cluster *c)
{
    w->n_urls = lo_nats_cluster_size(c);
    for (int i = 0; i < w->n_urls; i++) w->urls[i] = lo_nats_cluster_url(c, i);
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    if (lo_site_load(lo_test_source_path("scenarios/two-sites/region.yaml"), &w->region, &sink) ||
        lo_site_load(lo_test_source_path("scenarios/two-sites/edge-west.yaml"), &w->west, &sink) ||
        lo_site_load(lo_test_source_path("scenarios/two-sites/edge-east.yaml"), &w->east, &sink))
        return false;
    if (lo_regions_read(&w->region, &w->regions, &sink) != 0) return false;
    w->j_west.mark_t = w->j_east.mark_t = w->j_fusion.mark_t = &w->mark_t;
    snprintf(w->dir, sizeof w->dir, "/tmp/lookout-multisite-test-XXXXXX");
    if (!mkdtemp(w->dir)) return false;
    ms_journal *js[3] = {&w->j_west, &w->j_east, &w->j_fusion};
    const char *jn[3] = {"west", "east", "fusion"};
    for (int i = 0; i < 3; i++) {
        char path[128], err[256];
        snprintf(path, sizeof path, "%s/%s.sqlite", w->dir, jn[i]);
        js[i]->db = lo_journal_open(path, false, err, sizeof err);
        if (!js[i]->db) {
            print_error("%s\n", err);
            return false;
        }
    }

    lo_sim *probe = lo_sim_new(&w->region, NULL, &sink);
    if (!probe) return false;
    w->sim_start = lo_sim_start_time(probe);
    lo_sim_free(probe);

    w->bus_west = ms_bus(w, "edge-west", "edge-west", LO_BUS_ROLE_EDGE);
    w->bus_east = ms_bus(w, "edge-east", "edge-east", LO_BUS_ROLE_EDGE);
    w->bus_display = ms_bus(w, "display-1", "two-sites", LO_BUS_ROLE_DISPLAY);
    if (!w->bus_west || !w->bus_east || !w->bus_display) return false;
    lo_role_options eo = {.role = LO_BUS_ROLE_EDGE, .sic = 1};
    lo_pipeline_sinks ws = {.on_alert = ms_on_alert, .on_track = ms_on_track, .ctx = &w->j_west};
    lo_pipeline_sinks es = {.on_alert = ms_on_alert, .ctx = &w->j_east};
    w->edge_west = lo_role_new(&w->west, w->bus_west, &eo, &ws, NULL);
    eo.sic = 2;
    w->edge_east = lo_role_new(&w->east, w->bus_east, &eo, &es, NULL);
    if (!w->edge_west || !w->edge_east || !ms_fusion_start(w, 0)) return false;
    w->pic = lo_picture_new(NULL);
    if (!w->pic) return false;
    lo_picture_set_site(w->pic, &w->region);
    lo_display_options dopt = {.durable = "display-1", .regions = &w->regions,
                               .tod_near_t = w->sim_start};
    w->display = lo_display_new(&w->region, w->bus_display, w->pic, &dopt);
    if (!w->display) return false;
    /* Boot order does not matter to the nodes, but the test wants every subscription live
     * before the first plot so that the counts below are exact. */
    return lo_bus_wait_ready(w->bus_west, 30) && lo_bus_wait_ready(w->bus_east, 30) &&
           lo_bus_wait_ready(w->bus_fusion, 30) && lo_bus_wait_ready(w->bus_display, 30);
}

static inline void ms_world_close(ms_world *w)
{
    lo_bus *buses[] = {w->bus_west, w->bus_east, w->bus_fusion, w->bus_display};
    for (int i = 0; i < 4; i++) lo_bus_close(buses[i]);
    lo_role_free(w->edge_west);
    lo_role_free(w->edge_east);
    lo_role_free(w->fusion);
    lo_display_free(w->display);
    lo_picture_free(w->pic);
    lo_site_free(&w->region);
    lo_site_free(&w->west);
    lo_site_free(&w->east);
    lo_journal_close(w->j_west.db);
    lo_journal_close(w->j_east.db);
    lo_journal_close(w->j_fusion.db);
    if (w->dir[0]) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
        if (system(cmd) != 0) print_error("could not remove %s\n", w->dir);
    }
}

/* Is truth object id in both radars' coverage (with a margin)? */
static inline bool ms_in_overlap(const ms_world *w, uint32_t id)
{
    if (id >= MS_MAX_TRUTH || !w->truth_live[id]) return false;
    for (int s = 0; s < w->region.n_sensors; s++) {
        const double *p = w->truth[id].pos, *a = w->region.sensors[s].enu;
        if (hypot(p[0] - a[0], p[1] - a[1]) > w->region.sensors[s].max_range_m - 800) return false;
    }
    return true;
}

static inline bool ms_in_any_coverage(const ms_world *w, uint32_t id)
{
    if (id >= MS_MAX_TRUTH || !w->truth_live[id]) return false;
    for (int s = 0; s < w->region.n_sensors; s++) {
        const double *p = w->truth[id].pos, *a = w->region.sensors[s].enu;
        if (hypot(p[0] - a[0], p[1] - a[1]) < w->region.sensors[s].max_range_m - 800 &&
            hypot(p[0] - a[0], p[1] - a[1]) > 800)
            return true;
    }
    return false;
}

/* Confirmed (or coasting) tracks of a tracker whose last plot came from truth object id. */
static inline int ms_tracks_of(lo_role *r, uint32_t id)
{
    const lo_tracker *t = lo_pipeline_tracker(lo_role_pipeline(r));
    int n = 0;
    lo_track trk;
    for (size_t i = 0; i < lo_tracker_track_count(t); i++)
        if (lo_tracker_track_at(t, i, &trk) && trk.last_truth_id == id &&
            (trk.status == LO_TRACK_CONFIRMED || trk.status == LO_TRACK_COASTING))
            n++;
    return n;
}

static inline void ms_scan_display_alerts(ms_world *w)
{
    json_t *j = lo_picture_json(w->pic, LO_PIC_ALERTS);
    json_t *alerts = j ? json_object_get(j, "alerts") : NULL;
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) {
        const char *z = json_string_value(json_object_get(a, "zone"));
        if (!z) continue;
        if (!strcmp(z, "bridge")) w->display_saw_bridge = true;
        if (!strcmp(z, "west-compound")) w->display_saw_west = true;
        if (!strcmp(z, "east-compound")) w->display_saw_east = true;
    }
    json_decref(j);
}

/* Wait (at most max_s) until the fusion node has received every plot message the edges have
 * handed to NATS so far, so that a loaded machine, or a loop that runs behind its schedule
 * and catches up in a burst, does not make the fusion node's plots late: the tests check
 * tracking, not the scheduler. No wait while a node is disconnected (an outage is the test's
 * own subject then); messages that never come (published before the fusion node subscribed,
 * lost with a killed server) are noted once and not waited for again. */
static inline void ms_wait_fusion_caught_up(ms_world *w, double max_s)
{
    if (!w->fusion || !w->bus_fusion) return;
    double until = mono() + max_s;
    for (;;) {
        lo_bus_stats f, a, b;
        lo_bus_get_stats(w->bus_fusion, &f);
        lo_bus_get_stats(w->bus_west, &a);
        lo_bus_get_stats(w->bus_east, &b);
        if (!f.connected || !a.connected || !b.connected) {
            w->fusion_missed_known = false;
            return;
        }
        uint64_t published = a.plots_published + b.plots_published;
        uint64_t missing = published > f.plots_received ? published - f.plots_received : 0;
        if (!w->fusion_missed_known) {
            w->fusion_missed = missing;
            w->fusion_missed_known = true;
        }
        if (a.plots_buffered == 0 && b.plots_buffered == 0 && missing <= w->fusion_missed)
            return;
        if (mono() >= until) {
            w->fusion_missed = missing;
            return;
        }
        nap(0.001);
    }
}

typedef void (*ms_hook)(ms_world *w, double data_s, void *ctx);

/* Run the scenario: `speed` x real time, edges advanced every MS_STEP_S; hook(w, seconds
 * since start, ctx) once per data second, after the edges advanced and the fusion polled. */
static inline bool ms_run(ms_world *w, double speed, ms_hook hook, void *ctx)
{
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    lo_sim *sim = lo_sim_new(&w->region, NULL, &sink);
    if (!sim) return false;
    lo_sim_set_truth_callback(sim, ms_on_truth, w);
    uint16_t west_id = w->west.sensors[0].id;
    double t0 = lo_sim_start_time(sim), wall0 = mono(), next_step = t0 + MS_STEP_S, t = t0;
    lo_plot p;
    int more = 1;
    while (more) {
        more = lo_sim_next_plot(sim, &p);
        while (!more || p.t >= next_step) {
            double step_t = more ? next_step : t;
            lo_role_advance(w->edge_west, step_t);
            lo_role_advance(w->edge_east, step_t);
            double wait = wall0 + (step_t - t0) / speed - mono();
            if (wait > 0) nap(wait);
            ms_wait_fusion_caught_up(w, 1.0);
            if (w->fusion) lo_role_poll(w->fusion);
            ms_scan_display_alerts(w);
            double whole = round(step_t - t0);
            if (hook && fabs(step_t - t0 - whole) < 1e-6) hook(w, whole, ctx);
            if (!more) break;
            next_step += MS_STEP_S;
        }
        if (!more) break;
        t = p.t;
        lo_role_add_plot(p.sensor_id == west_id ? w->edge_west : w->edge_east, &p);
    }
    lo_role_finish(w->edge_west, t);
    lo_role_finish(w->edge_east, t);
    lo_sim_free(sim);
    return true;
}

/* Each transition in a node's SQLite journal is in the stream exactly once (node, alert_id,
 * transition, t), and the journal holds every transition the node accepted. */
typedef struct ms_rows {
    int n;
    lo_alert a[MS_MAX_JOURNAL];
} ms_rows;

static inline bool ms_row(void *ctx, int64_t seq, const lo_alert *a, const char *json)
{
    (void)seq;
    (void)json;
    ms_rows *r = ctx;
    if (r->n < MS_MAX_JOURNAL) r->a[r->n++] = *a;
    return true;
}

static inline void ms_check_stream_has(const stream_dump *d, const char *node, const ms_journal *j)
{
    ms_rows *rows = calloc(1, sizeof *rows);
    assert_non_null(rows);
    assert_true(lo_journal_list(j->db, -INFINITY, ms_row, rows) >= 0);
    assert_int_equal(rows->n, j->n);
    for (int i = 0; i < rows->n; i++) {
        const lo_alert *a = &rows->a[i];
        int found = 0;
        for (int k = 0; k < d->n; k++) {
            lo_alert b;
            char n2[LO_NAME_MAX];
            uint64_t seq;
            if (!lo_bus_alert_from_json(d->data[k], (size_t)d->len[k], &b, n2, sizeof n2, &seq))
                continue;
            found += !strcmp(n2, node) && b.alert_id == a->alert_id &&
                     b.transition == a->transition && fabs(b.t - a->t) < 1e-5;
        }
        if (found != 1)
            print_error("%s alert %llu %s at %.3f: %d times in the stream\n", node,
                        (unsigned long long)a->alert_id, lo_alert_transition_name(a->transition),
                        a->t, found);
        assert_int_equal(found, 1);
    }
    free(rows);
}

#endif
