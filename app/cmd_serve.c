/* lookout serve: the live service. One process, one thread for the pipeline, event driven
 * (epoll): radar plots in (ASTERIX CAT048/CAT034 over UDP from configured sensors, or the
 * scenario's simulator with --simulate) -> pipeline (ingest, tracker, classifier, threat) ->
 * alert journal (durable first) -> operator picture (display, /api, /metrics) and CAT062 over
 * UDP. The HTTP server runs on its own threads and only reads the picture.
 *
 * Time: the pipeline runs on data time, the plots' own UTC seconds. ASTERIX carries only the
 * time of day: each sensor's first plot is resolved nearest to its receive time, later ones
 * nearest to that sensor's previous plot (so a replayed recording keeps its own date). When
 * the feed falls silent, data time is carried on by the wall clock so tracks coast and end.
 *
 * Plot-to-track latency (recorded into the picture, /metrics): wall-clock seconds from a
 * plot's arrival (the kernel's receive time of its datagram, or the moment a simulated plot
 * was due) to the end of the reporting round after the tracker has processed it: its track
 * reports classified, threats evaluated (alerts journalled) and handed to the picture and
 * CAT062. The tracker processes plots in time order, so after each round the oldest
 * `plots_processed` plots (the tracker's own count) are the ones done. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "lookout/asterix.h"
#include "lookout/bus.h"
#include "lookout/fusion.h"
#include "lookout/formats.h"
#include "lookout/http.h"
#include "lookout/journal.h"
#include "lookout/journal_writer.h"
#include "lookout/picture.h"
#include "lookout/pipeline.h"
#include "lookout/recording.h"
#include "lookout/roles.h"
#include "lookout/service.h"
#include "lookout/sim.h"
#include "lookout/tracker.h"
#include "lookout/udp.h"

#define TICK_S 0.02          /* timer: simulator pacing, idle data time */
#define IDLE_HOLD_S 1.0      /* feed silent this long: carry data time on by the wall clock */
#define RESTART_JUMP_S 5.0   /* a sensor's time going back this far: the feed restarted */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout serve -c SITE.yaml [--bind ADDR] [--port N] [--token-file FILE]\n"
            "                     [--db FILE] [--simulate] [--speed X] [--quiet]\n\n"
            "Runs the live service: radar plots from the sensors listed under service.inputs\n"
            "of the site file (ASTERIX CAT048/CAT034 over UDP, only from the listed source\n"
            "addresses), or from the file's scenario with --simulate, through the tracker,\n"
            "classifier and threat evaluation; alerts are journalled, then shown on the\n"
            "display and printed here; system tracks go out as CAT062 to\n"
            "service.outputs.cat062. See docs/service.md.\n\n"
            "Options:\n"
            "  -c, --config FILE  site file (sensors, zones, service section)\n"
            "  --bind ADDR        address of the display and API (default 127.0.0.1, or\n"
            "                     service.http.bind)\n"
            "  --port N           its port (default 8080; 0 picks a free one)\n"
            "  --token-file FILE  access token (first line, >= 16 characters); required for a\n"
            "                     --bind other than loopback\n"
            "  --db FILE          alert journal (default lookout-alerts.sqlite); a restart\n"
            "                     shows its past alerts and continues their ids\n"
            "  --simulate         feed the pipeline from the file's scenario (simulator)\n"
            "  --speed X          with --simulate: X times real time (default 1)\n"
            "  --quiet            no alert lines on stdout\n"
            "  -h, --help         this text\n\n"
            "SIGINT/SIGTERM stop it cleanly (journal closed, server stopped).\n");
}

/* A plot waiting to be reported: its data time and when it arrived. */
typedef struct pending_plot {
    double t, recv_utc;
} pending_plot;

typedef struct serve_state {
    lo_diag_sink diag;            /* kept by the receiver, sender, pipeline: lives as long */
    lo_site site;
    lo_service_config cfg;
    lo_picture *pic;
    lo_journal *journal;
    lo_journal_chain chain;
    lo_journal_writer *jw;        /* the journal's own thread: appends never wait the loop */
    lo_pipeline *pipe;
    /* Many sites (docs/multisite.md): with a `nats:` section, the node's role. An edge or
     * fusion role owns the pipeline (s->pipe is its pipeline); a display has a display. */
    lo_bus_config nats;
    lo_bus *bus;
    lo_role *role;
    lo_display *display;
    /* /metrics of a node: the bus counters (thread-safe) and a snapshot of the role's, taken
     * on the loop's thread every tick (the role itself is not thread-safe). */
    pthread_mutex_t node_metrics_lock;
    lo_role_stats role_snapshot;
    bool have_role_snapshot;
    double reorder_s;
    lo_udp_receiver *rx;
    long rx_dropped_counted;
    lo_udp_sender *tx;
    lo_asterix_track_writer *cat062;
    bool quiet;
    /* Track reports of the current evaluation round. */
    lo_track *reports;
    size_t n_reports, cap_reports;
    /* Data time. */
    bool have_data;
    double data_t, data_t_mono;   /* newest plot time and the monotonic time it came */
    double advancing_to;          /* argument of the lo_pipeline_advance in progress */
    double *sensor_last_t;        /* per site sensor, NAN before its first plot */
    bool service_time_moved;      /* a CAT034 message moved data_t (poll_udp advances) */
    /* Plots handed to the pipeline and not yet processed by its tracker: a binary min-heap
     * on data time, as the tracker takes them; pend_done: the tracker's plots_processed
     * count already accounted for. */
    pending_plot *pend;
    size_t pend_n, pend_cap;
    uint64_t pend_done, pend_lost;
    /* Simulator source. */
    lo_sim *sim;
    double speed, sim_t0, sim_mono0;
    lo_plot sim_next;
    bool sim_has_next, sim_over;
    uint64_t plots_in;
    /* Where the loop's time goes (printed at the end): the slowest picture update, CAT062
     * batch and pipeline step, in seconds. */
    double max_picture_s, max_cat062_s, max_advance_s, max_journal_s, sum_journal_s;
} serve_state;

static double now_utc(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pending_push(serve_state *s, double t, double recv_utc)
{
    if (s->pend_n == s->pend_cap) {
        size_t cap = s->pend_cap ? s->pend_cap * 2 : 4096;
        pending_plot *b = realloc(s->pend, cap * sizeof *b);
        if (!b) {
            s->pend_lost++; /* out of memory: this plot's latency goes unmeasured */
            return;
        }
        s->pend = b;
        s->pend_cap = cap;
    }
    size_t i = s->pend_n++;
    while (i > 0 && s->pend[(i - 1) / 2].t > t) {
        s->pend[i] = s->pend[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->pend[i] = (pending_plot){t, recv_utc};
}

static pending_plot pending_pop(serve_state *s)
{
    pending_plot top = s->pend[0], last = s->pend[--s->pend_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->pend_n) break;
        if (c + 1 < s->pend_n && s->pend[c + 1].t < s->pend[c].t) c++;
        if (!(s->pend[c].t < last.t)) break;
        s->pend[i] = s->pend[c];
        i = c;
    }
    if (s->pend_n) s->pend[i] = last;
    return top;
}

/* A reporting round has just handed out every report the tracker made so far: the plots it
 * has processed since the last round (the oldest ones) are done; record their latency. */
static void pending_report(serve_state *s)
{
    lo_tracker_stats ts;
    lo_tracker_get_stats(lo_pipeline_tracker(s->pipe), &ts);
    double now = now_utc(), lat[256];
    size_t n = 0;
    while (s->pend_done < ts.plots_processed) {
        s->pend_done++;
        if (!s->pend_n) continue; /* plots that did not come through take_plot */
        pending_plot p = pending_pop(s);
        lat[n++] = now > p.recv_utc ? now - p.recv_utc : 0;
        if (n == sizeof lat / sizeof lat[0]) {
            lo_picture_record_latencies(s->pic, lat, n); /* one lock per 256 plots */
            n = 0;
        }
    }
    lo_picture_record_latencies(s->pic, lat, n);
}

/* ---- pipeline sinks ----------------------------------------------------------------------- */

static void on_track(void *ctx, const lo_track *trk)
{
    serve_state *s = ctx;
    if (s->n_reports == s->cap_reports) {
        size_t cap = s->cap_reports ? s->cap_reports * 2 : 1024;
        lo_track *b = realloc(s->reports, cap * sizeof *b);
        if (!b) return; /* the next report of this track carries it */
        s->reports = b;
        s->cap_reports = cap;
    }
    s->reports[s->n_reports++] = *trk;
}

static void flush_reports(serve_state *s)
{
    if (!s->n_reports) return;
    double t0 = lo_cli_monotonic_s();
    lo_picture_update_tracks(s->pic, s->reports, s->n_reports);
    double t1 = lo_cli_monotonic_s();
    if (s->cat062) lo_asterix_track_writer_write_batch(s->cat062, s->reports, (int)s->n_reports);
    double t2 = lo_cli_monotonic_s();
    if (t1 - t0 > s->max_picture_s) s->max_picture_s = t1 - t0;
    if (t2 - t1 > s->max_cat062_s) s->max_cat062_s = t2 - t1;
    s->n_reports = 0;
}

static void on_evaluated(void *ctx, double t)
{
    serve_state *s = ctx;
    flush_reports(s);
    lo_picture_set_clock(s->pic, t);
    pending_report(s);
}

/* Called by lo_journal_then_publish once the transition is durable. */
static int publish_alert(void *ctx, const lo_alert *a)
{
    serve_state *s = ctx;
    lo_picture_update_alerts(s->pic, a, 1);
    if (!s->quiet) {
        char when[40];
        lo_format_time(a->t, when, sizeof when);
        static const char *const tag[] = {"INFO", "WARNING", "ALARM"};
        printf("%s %-7s %-7s %-10s alert %-4" PRIu64 " track %-5u %s\n", when,
               tag[a->level], lo_alert_transition_name(a->transition), a->zone_name, a->alert_id,
               a->track_id, a->reason);
        fflush(stdout);
    }
    return 0;
}

static int on_alert(void *ctx, const lo_alert *a)
{
    serve_state *s = ctx;
    if (s->jw) return lo_journal_writer_submit(s->jw, a); /* durable, then published, there */
    double t0 = lo_cli_monotonic_s();
    int rc = lo_journal_then_publish(&s->chain, a);
    double dt = lo_cli_monotonic_s() - t0;
    s->sum_journal_s += dt;
    if (dt > s->max_journal_s) s->max_journal_s = dt;
    if (rc != 0)
        fprintf(stderr, "lookout serve: alert journal %s: %s (alert %" PRIu64
                " not published; retrying)\n", lo_journal_path(s->journal),
                lo_journal_error(s->journal), a->alert_id);
    return rc;
}

static lo_pipeline *new_pipeline(serve_state *s)
{
    if (s->jw) lo_journal_writer_drain(s->jw); /* the journal is ours while its thread idles */
    lo_pipeline_options po = {.cadence_s = s->cfg.report_interval_s,
                              .first_alert_id = lo_journal_max_alert_id(s->journal) + 1};
    lo_pipeline_sinks sinks = {.on_track = on_track, .on_alert = on_alert,
                               .on_evaluated = on_evaluated, .ctx = s};
    if (s->bus && s->nats.role != LO_BUS_ROLE_DISPLAY) {
        lo_role_options ro = {.role = s->nats.role, .pipeline = po};
        s->role = lo_role_new(&s->site, s->bus, &ro, &sinks, &s->diag);
        return s->role ? lo_role_pipeline(s->role) : NULL;
    }
    return lo_pipeline_new(&s->site, &po, &sinks, &s->diag);
}

static void finish_pipeline(serve_state *s)
{
    if (s->role) lo_role_finish(s->role, s->data_t);
    else lo_pipeline_finish(s->pipe, s->data_t);
}

/* A radar (or a replay in --loop) started its time again: the tracker cannot go back in
 * time, so end every track and alert as of the old time and start a fresh pipeline. */
static void restart_feed(serve_state *s, int sensor, double old_t, double new_t)
{
    /* A fusion role's subscription points at it: it is not replaced (late plots are refused). */
    if (s->role && s->nats.role == LO_BUS_ROLE_FUSION) return;
    fprintf(stderr, "lookout serve: %s: time went back %.0f s: the feed restarted; tracks and "
            "alerts of the old feed are ended\n", s->site.sensors[sensor].name, old_t - new_t);
    s->advancing_to = s->data_t + s->reorder_s;
    finish_pipeline(s);
    flush_reports(s);
    lo_role *old_role = s->role;
    lo_pipeline *fresh = new_pipeline(s);
    if (!fresh) { /* keep the old one: its late plots are refused and counted */
        s->role = old_role;
        return;
    }
    if (old_role) lo_role_free(old_role);
    else lo_pipeline_free(s->pipe);
    s->pipe = fresh;
    s->have_data = false;
    s->pend_n = 0;
    s->pend_done = 0;
    for (int i = 0; i < s->site.n_sensors; i++) s->sensor_last_t[i] = NAN;
}

static void advance(serve_state *s, double t)
{
    s->advancing_to = t;
    double t0 = lo_cli_monotonic_s();
    if (s->role) lo_role_advance(s->role, t);
    else lo_pipeline_advance(s->pipe, t);
    double dt = lo_cli_monotonic_s() - t0;
    if (dt > s->max_advance_s) s->max_advance_s = dt;
}

static void take_plot(serve_state *s, const lo_plot *plot, double recv_utc)
{
    s->plots_in++;
    int refused = s->role ? lo_role_add_plot(s->role, plot) : lo_pipeline_add_plot(s->pipe, plot);
    if (refused != 0) return; /* refused: reported, counted */
    pending_push(s, plot->t, recv_utc);
    if (!s->have_data || plot->t > s->data_t) {
        s->data_t = plot->t;
        s->have_data = true;
    }
    s->data_t_mono = lo_cli_monotonic_s();
}

/* ---- sources ------------------------------------------------------------------------------ */

static int sensor_by_sacsic(const lo_site *site, uint8_t sac, uint8_t sic)
{
    for (int i = 0; i < site->n_sensors; i++)
        if (site->sensors[i].sac == sac && site->sensors[i].sic == sic) return i;
    return -1;
}

/* A CAT034 north marker or sector crossing at time T says the radar's antenna has passed that
 * point: the plots before T have been sent. Data time may move on to T, so the tracker takes
 * the last plots of a sector now instead of when the next plots come (in a sparse feed, up to
 * a scan later). Only forward, only after that sensor's first plot, and at most two scans
 * past its last plot (a bad time of day cannot throw data time far ahead). */
static void on_service_message(serve_state *s, const lo_cat034 *r)
{
    if (s->sim || !(r->present & LO_FRN(LO_I034_030))) return;
    int si = sensor_by_sacsic(&s->site, r->sac, r->sic);
    if (si < 0 || isnan(s->sensor_last_t[si])) return;
    double t = lo_tod_nearest(r->tod * LO_ASTERIX_TOD_LSB, s->sensor_last_t[si]);
    double scan = s->site.sensors[si].scan_period_s > 0 ? s->site.sensors[si].scan_period_s : 1.0;
    if (!(t > s->data_t) || t > s->sensor_last_t[si] + 2 * scan) return;
    s->data_t = t;
    s->data_t_mono = lo_cli_monotonic_s();
    s->service_time_moved = true;
}

static void on_udp_record(void *ctx, const lo_asterix_record *rec, const lo_udp_from *from)
{
    serve_state *s = ctx;
    if (rec->cat == 34 && rec->c034) {
        on_service_message(s, rec->c034);
        return;
    }
    if (rec->cat != 48 || !rec->c048) return;
    const lo_cat048 *r = rec->c048;
    int si = sensor_by_sacsic(&s->site, r->sac, r->sic);
    if (si < 0 || !(r->present & LO_FRN(LO_I048_140))) {
        lo_picture_count_dropped(s->pic, 1);
        return;
    }
    double ref = isnan(s->sensor_last_t[si]) ? from->t_recv : s->sensor_last_t[si];
    double t = lo_tod_nearest(r->tod * LO_ASTERIX_TOD_LSB, ref);
    lo_plot plot;
    if (!lo_cat048_to_plot(r, &s->site.sensors[si], t, &plot)) {
        lo_picture_count_dropped(s->pic, 1);
        return;
    }
    if (!isnan(s->sensor_last_t[si]) && t < s->sensor_last_t[si] - RESTART_JUMP_S - s->reorder_s)
        restart_feed(s, si, s->sensor_last_t[si], t);
    s->sensor_last_t[si] = t;
    take_plot(s, &plot, from->t_recv);
}

static void poll_udp(serve_state *s)
{
    uint64_t before = s->plots_in;
    int rc;
    /* Drain what is queued (each call reads at most 1024 datagrams). */
    do {
        rc = lo_udp_receiver_poll(s->rx, 0, on_udp_record, s);
    } while (rc > 0);
    const lo_udp_rx_stats *st = lo_udp_receiver_stats(s->rx);
    long dropped = st->rejected_sender + st->rejected_records + st->malformed_datagrams +
                   st->truncated;
    if (dropped > s->rx_dropped_counted) {
        lo_picture_count_dropped(s->pic, (uint64_t)(dropped - s->rx_dropped_counted));
        s->rx_dropped_counted = dropped;
    }
    if (s->plots_in > before) lo_picture_count_plots(s->pic, s->plots_in - before);
    if (s->plots_in > before || s->service_time_moved) advance(s, s->data_t);
    s->service_time_moved = false;
}

/* Release the simulated plots that are due by now. */
static void poll_sim(serve_state *s)
{
    if (!s->sim || s->sim_over) return;
    double due = s->sim_t0 + (lo_cli_monotonic_s() - s->sim_mono0) * s->speed;
    uint64_t before = s->plots_in;
    double recv = now_utc();
    for (;;) {
        if (!s->sim_has_next) {
            if (lo_sim_next_plot(s->sim, &s->sim_next) != 1) {
                s->sim_over = true;
                break;
            }
            s->sim_has_next = true;
        }
        if (s->sim_next.t > due) break;
        take_plot(s, &s->sim_next, recv);
        s->sim_has_next = false;
    }
    if (s->plots_in > before) {
        lo_picture_count_plots(s->pic, s->plots_in - before);
        advance(s, s->data_t);
    }
    if (s->sim_over) {
        s->advancing_to = s->data_t + s->reorder_s;
        finish_pipeline(s);
        flush_reports(s);
        lo_picture_set_status(s->pic, "simulation ended");
        fprintf(stderr, "lookout serve: the simulated scenario has ended; still serving\n");
    }
}

/* No plot for a while: let data time go on with the wall clock so tracks coast and end. */
static void idle_advance(serve_state *s)
{
    if (!s->have_data || s->sim) return;
    double quiet = lo_cli_monotonic_s() - s->data_t_mono;
    if (quiet > IDLE_HOLD_S) advance(s, s->data_t + (quiet - IDLE_HOLD_S));
}

/* ---- node metrics (docs/multisite.md) ------------------------------------------------------ */

static void snapshot_role_stats(serve_state *s)
{
    if (!s->role) return;
    lo_role_stats st;
    lo_role_get_stats(s->role, &st);
    pthread_mutex_lock(&s->node_metrics_lock);
    s->role_snapshot = st;
    s->have_role_snapshot = true;
    pthread_mutex_unlock(&s->node_metrics_lock);
}

/* lo_http_metrics_fn, on an HTTP thread: lookout_bus_* and lookout_role_* (edge, fusion) or
 * lookout_display_* (display) after the service's own. */
static int node_metrics(void *ctx, char *buf, size_t len)
{
    serve_state *s = ctx;
    int n_bus = lo_bus_metrics_text(s->bus, buf, len);
    if (n_bus < 0) return -1;
    pthread_mutex_lock(&s->node_metrics_lock);
    lo_role_stats st = s->role_snapshot;
    bool have = s->have_role_snapshot;
    pthread_mutex_unlock(&s->node_metrics_lock);
    bool fits = buf && (size_t)n_bus < len;
    int n_more = 0;
    if (have)
        n_more = lo_role_metrics_text(&st, s->nats.role, s->nats.node,
                                      fits ? buf + n_bus : NULL, fits ? len - (size_t)n_bus : 0);
    else if (s->display)
        n_more = lo_display_metrics_text(s->display, s->nats.node, fits ? buf + n_bus : NULL,
                                         fits ? len - (size_t)n_bus : 0);
    return n_more < 0 ? -1 : n_bus + n_more;
}

/* ---- start and stop ----------------------------------------------------------------------- */

static int open_outputs(serve_state *s)
{
    if (s->cfg.n_cat062 == 0) return 0;
    const char *dest[LO_SERVICE_MAX_OUTPUTS];
    for (int i = 0; i < s->cfg.n_cat062; i++) dest[i] = s->cfg.cat062_to[i];
    s->tx = lo_udp_sender_open(dest, s->cfg.n_cat062, 1, NULL, &s->diag);
    if (!s->tx) return -1;
    s->cat062 = lo_asterix_track_writer_open(NULL, LO_REC_RAW, 0, s->tx, &s->site.frame,
                                             s->cfg.system_sac, s->cfg.system_sic,
                                             s->site.sensors, s->site.n_sensors);
    return s->cat062 ? 0 : -1;
}

static int open_inputs(serve_state *s)
{
    if (s->cfg.n_inputs == 0) return 0;
    lo_udp_listen listens[LO_SERVICE_MAX_INPUTS];
    lo_udp_allow allow[LO_SERVICE_MAX_INPUTS * LO_SERVICE_MAX_SOURCES];
    int nl = lo_service_listens(&s->cfg, listens, LO_SERVICE_MAX_INPUTS);
    int na = lo_service_allow_list(&s->cfg, &s->site, allow,
                                   LO_SERVICE_MAX_INPUTS * LO_SERVICE_MAX_SOURCES);
    s->rx = lo_udp_receiver_open(listens, nl, allow, na, false, 10, &s->diag);
    if (!s->rx) return -1;
    for (int i = 0; i < nl; i++)
        fprintf(stderr, "lookout serve: ASTERIX input udp %s:%u%s%s\n",
                listens[i].bind_addr[0] ? listens[i].bind_addr : "0.0.0.0",
                lo_udp_receiver_port(s->rx, i), listens[i].multicast_group[0] ? " group " : "",
                listens[i].multicast_group);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    enum { OPT_BIND = 256, OPT_PORT, OPT_TOKEN, OPT_DB, OPT_SIMULATE, OPT_SPEED, OPT_QUIET };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},  {"bind", required_argument, 0, OPT_BIND},
        {"port", required_argument, 0, OPT_PORT}, {"token-file", required_argument, 0, OPT_TOKEN},
        {"db", required_argument, 0, OPT_DB},   {"simulate", no_argument, 0, OPT_SIMULATE},
        {"speed", required_argument, 0, OPT_SPEED}, {"quiet", no_argument, 0, OPT_QUIET},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    const char *config = NULL, *bind = NULL, *token_file = NULL;
    const char *db = LO_JOURNAL_DEFAULT_PATH;
    int port = -1;
    bool simulate = false, speed_given = false;
    serve_state s = {.speed = 1, .diag = {.fn = lo_diag_print_and_continue, .ctx = stderr},
                     .node_metrics_lock = PTHREAD_MUTEX_INITIALIZER};
    double v;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case OPT_BIND: bind = optarg; break;
        case OPT_PORT:
            if (!lo_cli_number(optarg, 0, 65535, &v) || v != (int)v)
                return lo_usage_error("serve", "--port takes 0..65535, got '%s'", optarg);
            port = (int)v;
            break;
        case OPT_TOKEN: token_file = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_SIMULATE: simulate = true; break;
        case OPT_SPEED:
            if (!lo_cli_number(optarg, 0.01, 10000, &s.speed))
                return lo_usage_error("serve", "--speed takes a factor in [0.01, 10000], got '%s'",
                                      optarg);
            speed_given = true;
            break;
        case OPT_QUIET: s.quiet = true; break;
        case 'h': usage(stdout); return LO_EXIT_OK;
        case ':': return lo_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!config) return lo_usage_error("serve", "a site file is required (-c SITE.yaml)");
    if (speed_given && !simulate) return lo_usage_error("serve", "--speed needs --simulate");
    FILE *probe = fopen(config, "r");
    if (!probe) return lo_usage_error("serve", "cannot open site file '%s'", config);
    fclose(probe);

    lo_diag_sink diag = s.diag;
    if (lo_site_load(config, &s.site, &diag) != 0) return LO_EXIT_FAIL;
    if (lo_bus_config_read(&s.site, &s.nats, &diag) != 0) {
        lo_site_free(&s.site);
        return LO_EXIT_FAIL;
    }
    int rc = LO_EXIT_FAIL;
    lo_http_server *srv = NULL;
    int ep = -1, sfd = -1, tfd = -1;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);

    lo_http_site_config hs;
    if (lo_service_config_from_site(&s.site, &s.cfg, &diag) != 0 ||
        lo_http_config_from_site(&s.site, &hs, &diag) != 0) {
        rc = LO_EXIT_USAGE;
        goto out;
    }
    /* A fusion or display node gets its data from NATS. */
    bool from_bus = s.nats.present && s.nats.role != LO_BUS_ROLE_EDGE;
    if (!simulate && s.cfg.n_inputs == 0 && !from_bus) {
        rc = lo_usage_error("serve", "%s has no service.inputs: nothing to listen to (add "
                            "inputs, or use --simulate)", config);
        goto out;
    }
    if (bind) hs.cfg.bind_addr = bind;
    if (port >= 0) hs.cfg.port = port;
    if (token_file) {
        char err[256];
        if (lo_http_read_token_file(token_file, hs.token, sizeof hs.token, err, sizeof err) != 0) {
            rc = lo_usage_error("serve", "--token-file %s: %s", token_file, err);
            goto out;
        }
        hs.cfg.token = hs.token;
    }
    if (!lo_http_is_loopback(hs.cfg.bind_addr) && !(hs.cfg.token && hs.cfg.token[0])) {
        fprintf(stderr, "lookout serve: refusing to serve on %s without an access token: a "
                "non-loopback address needs --token-file FILE (or service.http.token_file)\n",
                hs.cfg.bind_addr);
        rc = LO_EXIT_USAGE;
        goto out;
    }

    lo_tracker_config tc;
    lo_tracker_config_default(&tc);
    if (lo_tracker_config_from_site(&s.site, &tc, &diag) != 0) goto out;
    s.reorder_s = tc.reorder_window_s;
    s.sensor_last_t = malloc(sizeof(double) * (size_t)(s.site.n_sensors ? s.site.n_sensors : 1));
    if (!s.sensor_last_t) goto out;
    for (int i = 0; i < s.site.n_sensors; i++) s.sensor_last_t[i] = NAN;

    char err[256] = "";
    s.journal = lo_journal_open(db, false, err, sizeof err);
    if (!s.journal) {
        fprintf(stderr, "lookout serve: cannot open alert journal %s: %s\n", db, err);
        goto out;
    }
    s.chain = (lo_journal_chain){.journal = s.journal, .publish = publish_alert, .publish_ctx = &s};
    s.pic = lo_picture_new(NULL);
    if (!s.pic) goto out;
    lo_picture_set_site(s.pic, &s.site);
    long past = lo_app_show_past_alerts(s.pic, s.journal);
    if (s.nats.present) {
        /* Never waits for NATS: the bus connects (and reconnects) in its own threads, which
         * must be born with SIGINT/SIGTERM blocked so that the signalfd below gets them. */
        sigprocmask(SIG_BLOCK, &mask, NULL);
        char berr[256];
        s.bus = lo_bus_open(&s.nats, berr, sizeof berr);
        if (!s.bus) {
            fprintf(stderr, "lookout serve: nats: %s\n", berr);
            goto out;
        }
        if (s.nats.role == LO_BUS_ROLE_DISPLAY) {
            static lo_regions regions; /* copied by the hand-over table; large for the stack */
            if (lo_regions_read(&s.site, &regions, &diag) != 0) goto out;
            lo_display_options dopt = {.durable = s.nats.node,
                                       .regions = regions.n ? &regions : NULL};
            s.display = lo_display_new(&s.site, s.bus, s.pic, &dopt);
            if (!s.display) goto out;
        }
        fprintf(stderr, "lookout serve: NATS node %s, role %s, %d server%s\n", s.nats.node,
                lo_bus_role_name(s.nats.role), s.nats.n_servers, s.nats.n_servers == 1 ? "" : "s");
    }

    s.pipe = new_pipeline(&s);
    if (!s.pipe) goto out;
    if (simulate) {
        s.sim = lo_sim_new(&s.site, NULL, &diag);
        if (!s.sim) goto out;
    }
    if (open_inputs(&s) != 0 || open_outputs(&s) != 0) goto out;

    char status[160];
    if (simulate)
        snprintf(status, sizeof status, "simulated %s, %gx", s.site.name, s.speed);
    else
        snprintf(status, sizeof status, "live: %d ASTERIX input%s", s.cfg.n_inputs,
                 s.cfg.n_inputs == 1 ? "" : "s");
    lo_picture_set_status(s.pic, status);

    /* Signals arrive through a signalfd, so the loop sees them like any other event. */
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The journal on its own thread, except under a NATS role: a role publishes an alert on
     * the bus as soon as on_alert accepts it, which must mean durable (roles.c). NULL: the
     * loop writes the journal itself. */
    if (!s.role) s.jw = lo_journal_writer_start(&s.chain);
    if (s.bus) {
        snapshot_role_stats(&s);
        hs.cfg.extra_metrics = node_metrics;
        hs.cfg.extra_metrics_ctx = &s;
    }
    srv = lo_http_start(&hs.cfg, s.pic, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "lookout serve: cannot serve the display: %s\n", err);
        goto out;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (ep < 0 || sfd < 0 || tfd < 0) {
        fprintf(stderr, "lookout serve: event loop: %s\n", strerror(errno));
        goto out;
    }
    struct itimerspec its = {.it_interval = {0, (long)(TICK_S * 1e9)},
                             .it_value = {0, (long)(TICK_S * 1e9)}};
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u32 = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    ev.data.u32 = 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    for (int i = 0; s.rx && lo_udp_receiver_fd(s.rx, i) >= 0; i++) {
        ev.data.u32 = 2;
        epoll_ctl(ep, EPOLL_CTL_ADD, lo_udp_receiver_fd(s.rx, i), &ev);
    }

    fprintf(stderr, "lookout serve: %s, %d sensor%s, %d zone%s; alert journal %s (%ld past "
            "transition%s)\n", s.site.name, s.site.n_sensors, s.site.n_sensors == 1 ? "" : "s",
            s.site.n_zones, s.site.n_zones == 1 ? "" : "s", db, past, past == 1 ? "" : "s");
    if (s.cat062)
        fprintf(stderr, "lookout serve: CAT062 to %d destination%s\n", s.cfg.n_cat062,
                s.cfg.n_cat062 == 1 ? "" : "s");
    fprintf(stderr, "lookout serve: display at %s\n", lo_http_url(srv));
    if (s.sim) {
        s.sim_t0 = lo_sim_start_time(s.sim);
        s.sim_mono0 = lo_cli_monotonic_s();
    }

    bool stop = false;
    while (!stop) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, 1000);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "lookout serve: epoll_wait: %s\n", strerror(errno));
            break;
        }
        bool udp_ready = false, tick = false;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u32 == 0) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) stop = true;
            } else if (evs[i].data.u32 == 1) {
                uint64_t expirations;
                if (read(tfd, &expirations, sizeof expirations) > 0) tick = true;
            } else {
                udp_ready = true;
            }
        }
        if (stop) break;
        if (udp_ready) poll_udp(&s);
        if (tick) {
            poll_sim(&s);
            idle_advance(&s);
            if (s.role && s.nats.role == LO_BUS_ROLE_FUSION) {
                long got = lo_role_poll(s.role); /* plots of the edge sites, from NATS */
                if (got > 0) lo_picture_count_plots(s.pic, (uint64_t)got);
            }
            snapshot_role_stats(&s);
        }
    }
    fprintf(stderr, "lookout serve: stopping\n");
    flush_reports(&s);
    if (s.jw) {
        lo_journal_writer_stats js;
        lo_journal_writer_drain(s.jw);
        lo_journal_writer_get_stats(s.jw, &js);
        lo_journal_writer_stop(s.jw); /* everything queued is written (and published) first */
        s.jw = NULL;
        s.max_journal_s = js.max_append_s;
        s.sum_journal_s = js.sum_append_s;
    }
    lo_picture_set_status(s.pic, "stopped");
    {
        lo_pipeline_stats ps;
        lo_pipeline_get_stats(s.pipe, &ps);
        lo_picture_stats pst;
        lo_picture_get_stats(s.pic, &pst);
        fprintf(stderr, "lookout serve: %" PRIu64 " plots (%" PRIu64 " refused), %" PRIu64
                " dropped packets/records, %" PRIu64 " alert transitions journalled; "
                "latency p50 %.1f ms, p99 %.1f ms\n", ps.plots_in, ps.plots_refused, pst.dropped,
                (uint64_t)s.chain.written, 1e3 * lo_picture_latency_quantile(s.pic, 0.5),
                1e3 * lo_picture_latency_quantile(s.pic, 0.99));
        fprintf(stderr, "lookout serve: slowest pipeline step %.1f ms; slowest picture update "
                "%.1f ms, CAT062 batch %.1f ms, journal write %.1f ms (%.1f s in all)\n",
                1e3 * s.max_advance_s, 1e3 * s.max_picture_s, 1e3 * s.max_cat062_s,
                1e3 * s.max_journal_s, s.sum_journal_s);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "lookout serve: CPU %.1f s user + %.1f s system (all threads), %ld "
                "involuntary context switches\n",
                ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6,
                ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6, ru.ru_nivcsw);
    }
    rc = LO_EXIT_OK;
out:
    lo_journal_writer_stop(s.jw);
    lo_http_stop(srv);
    if (ep >= 0) close(ep);
    if (sfd >= 0) close(sfd);
    if (tfd >= 0) close(tfd);
    lo_udp_receiver_close(s.rx);
    if (s.cat062) lo_asterix_track_writer_close(s.cat062);
    lo_udp_sender_close(s.tx);
    lo_sim_free(s.sim);
    lo_bus_close(s.bus); /* first: no bus callback into the role or display after this */
    lo_display_free(s.display);
    if (s.role) lo_role_free(s.role); /* frees its pipeline */
    else lo_pipeline_free(s.pipe);
    lo_journal_close(s.journal);
    lo_picture_free(s.pic);
    free(s.reports);
    free(s.pend);
    free(s.sensor_last_t);
    lo_site_free(&s.site);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    return rc;
}
