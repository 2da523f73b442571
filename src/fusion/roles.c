/*
 * roles.c: edge and fusion nodes, the adapters between the NATS bus and the pipeline
 * (roles.h, docs/multisite.md).
 *
 * The pipeline never sees the bus: its sinks land here, where the caller's own sinks are
 * called first and the bus gets copies afterwards. Every bus call copies into the bus' queues
 * and returns, so an edge warns exactly as fast with NATS down as with it up.
 */
#include "lookout/roles.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/asterix.h"

#define LATENCY_SLOTS 65536u   /* recent plots remembered for the latency figure */
#define LATENCY_BUCKETS 96     /* log-spaced, 1 us .. ~100 s */

typedef struct inbox_plot {
    lo_plot plot;
    double arrival;            /* wall clock (monotonic) when decoded */
} inbox_plot;

typedef struct latency_slot {
    uint16_t sensor_id;
    bool used;
    double t, arrival;
} latency_slot;

struct lo_role {
    lo_role_options opt;
    const lo_site *site;
    lo_bus *bus;
    lo_pipeline *pipe;
    lo_pipeline_sinks local;
    lo_diag_sink *diag;

    /* Edge: one CAT048 block per sensor, handed to the bus at each advance. */
    lo_asterix_block *plot_blocks;
    /* CAT062 records of this advance, and the ids of the tracks published so far (TSB on the
     * first report; a deletion is published only for a track that was). */
    lo_asterix_block track_block;
    uint32_t *published;       /* open-addressing set, 0 = empty */
    size_t pub_cap, pub_n;

    /* Fusion inbox: filled on the bus thread, drained by lo_role_poll. */
    pthread_mutex_t mu;
    inbox_plot *inbox;         /* live entries are [inbox_head, inbox_n) */
    size_t inbox_head, inbox_n, inbox_cap;
    double last_resolved_t;    /* time-of-day resolution reference */
    uint64_t received, undecodable, inbox_dropped;

    double clock;              /* newest plot time taken */
    lo_role_stats st;

    latency_slot *lat_slots;
    uint64_t lat_hist[LATENCY_BUCKETS];
    uint64_t lat_n;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- published-track set ------------------------------------------------------------------ */

static size_t pub_slot(const lo_role *r, uint32_t id)
{
    size_t h = (id * 2654435761u) & (r->pub_cap - 1);
    while (r->published[h] && r->published[h] != id) h = (h + 1) & (r->pub_cap - 1);
    return h;
}

static bool pub_has(const lo_role *r, uint32_t id)
{
    return r->pub_cap && r->published[pub_slot(r, id)] == id;
}

/* Ids are never reused in a run, so deleted ones are simply left in (a few bytes each). */
static void pub_add(lo_role *r, uint32_t id)
{
    if ((r->pub_n + 1) * 2 > r->pub_cap) {
        size_t cap = r->pub_cap ? r->pub_cap * 2 : 1024;
        uint32_t *old = r->published;
        size_t old_cap = r->pub_cap;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t) return;
        r->published = t;
        r->pub_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i]) r->published[pub_slot(r, old[i])] = old[i];
        free(old);
    }
    size_t h = pub_slot(r, id);
    if (!r->published[h]) {
        r->published[h] = id;
        r->pub_n++;
    }
}

/* ---- latency ------------------------------------------------------------------------------- */

static size_t lat_index(uint16_t sensor_id, double t)
{
    uint64_t k = (uint64_t)llround(t * 1024.0) * 0x9E3779B97F4A7C15ull ^ sensor_id;
    return (size_t)(k >> 40) & (LATENCY_SLOTS - 1);
}

static void lat_note_plot(lo_role *r, const lo_plot *p, double arrival)
{
    if (!r->lat_slots) return;
    latency_slot *s = &r->lat_slots[lat_index(p->sensor_id, p->t)];
    *s = (latency_slot){.sensor_id = p->sensor_id, .used = false, .t = p->t, .arrival = arrival};
}

static void lat_note_track(lo_role *r, const lo_track *trk)
{
    if (!r->lat_slots || trk->status == LO_TRACK_DELETED) return;
    latency_slot *s = &r->lat_slots[lat_index(trk->last_sensor_id, trk->last_plot_t)];
    if (s->used || s->arrival == 0 || s->sensor_id != trk->last_sensor_id ||
        fabs(s->t - trk->last_plot_t) > 1e-6)
        return;
    s->used = true;
    double d = mono_now() - s->arrival;
    int b = d <= 1e-6 ? 0 : (int)floor(log10(d / 1e-6) * 12.0);
    if (b >= LATENCY_BUCKETS) b = LATENCY_BUCKETS - 1;
    if (b < 0) b = 0;
    r->lat_hist[b]++;
    r->lat_n++;
}

static double lat_quantile(const lo_role *r, double q)
{
    if (!r->lat_n) return 0;
    uint64_t want = (uint64_t)ceil(q * (double)r->lat_n), acc = 0;
    for (int b = 0; b < LATENCY_BUCKETS; b++) {
        acc += r->lat_hist[b];
        if (acc >= want && acc) return 1e-6 * pow(10.0, (b + 0.5) / 12.0);
    }
    return 1e-6 * pow(10.0, LATENCY_BUCKETS / 12.0);
}

/* ---- publishing ---------------------------------------------------------------------------- */

static void flush_tracks(lo_role *r)
{
    if (r->track_block.n_records && r->bus &&
        lo_bus_publish_track(r->bus, r->track_block.data, r->track_block.len) == 0)
        r->st.tracks_published += (uint64_t)r->track_block.n_records;
    lo_asterix_block_init(&r->track_block, 62);
}

static void publish_track(lo_role *r, const lo_track *trk)
{
    bool deleted = trk->status == LO_TRACK_DELETED;
    bool wanted = trk->status == LO_TRACK_CONFIRMED || trk->status == LO_TRACK_COASTING ||
                  (trk->status == LO_TRACK_TENTATIVE && r->opt.publish_tentative);
    bool known = pub_has(r, trk->id);
    if (deleted ? !known : !wanted) return;
    lo_cat062 rec;
    lo_cat062_from_track(trk, &r->site->frame, r->opt.sac, r->opt.sic, !known, deleted,
                         r->site->sensors, r->site->n_sensors, &rec);
    uint8_t buf[512];
    size_t n = lo_cat062_encode(&rec, buf, sizeof buf);
    if (!n) return;
    if (!lo_asterix_block_add(&r->track_block, buf, n)) {
        flush_tracks(r);
        lo_asterix_block_add(&r->track_block, buf, n);
    }
    if (!known) pub_add(r, trk->id);
}

static void sink_track(void *ctx, const lo_track *trk)
{
    lo_role *r = ctx;
    if (r->local.on_track) r->local.on_track(r->local.ctx, trk);
    if (r->opt.role == LO_BUS_ROLE_FUSION) lat_note_track(r, trk);
    if (r->bus) publish_track(r, trk);
}

/* Durable locally first (the caller's journal); the bus only ever gets what was accepted. */
static int sink_alert(void *ctx, const lo_alert *a)
{
    lo_role *r = ctx;
    if (r->local.on_alert) {
        int rc = r->local.on_alert(r->local.ctx, a);
        if (rc != 0) return rc;
    }
    r->st.alerts_local++;
    /* The message id node.alert_id.seq must differ between transitions: the time in
     * microseconds alone does not (a track deleted at the time of an update is cleared at
     * that same time), so the kind of transition goes in its two low bits. */
    uint64_t seq = (uint64_t)llround(a->t * 1e6) * 4u + (uint64_t)a->transition;
    if (r->bus && lo_bus_publish_alert(r->bus, a, seq) == 0) r->st.alerts_published++;
    return 0;
}

static void sink_evaluated(void *ctx, double t)
{
    lo_role *r = ctx;
    flush_tracks(r);
    if (r->local.on_evaluated) r->local.on_evaluated(r->local.ctx, t);
}

static void flush_plots(lo_role *r)
{
    if (!r->plot_blocks) return;
    for (int i = 0; i < r->site->n_sensors; i++) {
        lo_asterix_block *b = &r->plot_blocks[i];
        if (!b->n_records) continue;
        if (lo_bus_publish_plot(r->bus, r->site->sensors[i].name, b->data, b->len) == 0)
            r->st.plots_published += (uint64_t)b->n_records;
        lo_asterix_block_init(b, 48);
    }
}

/* ---- fusion inbox (bus thread) -------------------------------------------------------------- */

static const lo_sensor *sensor_by_sac_sic(const lo_site *site, uint8_t sac, uint8_t sic)
{
    for (int i = 0; i < site->n_sensors; i++)
        if (site->sensors[i].sac == sac && site->sensors[i].sic == sic) return &site->sensors[i];
    return NULL;
}

typedef struct decode_ctx {
    lo_role *r;
    double arrival;
} decode_ctx;

static void inbox_push(lo_role *r, const lo_plot *p, double arrival)
{
    long max = r->opt.inbox_max > 0 ? r->opt.inbox_max : 200000;
    if ((long)(r->inbox_n - r->inbox_head) >= max) {
        /* Full: the oldest plot goes (a fusion node that fell behind catches up on new data).
         * The head moves; the array is compacted only when half of it is dead. */
        r->inbox_head++;
        r->inbox_dropped++;
        if (r->inbox_head * 2 >= r->inbox_n) {
            memmove(r->inbox, r->inbox + r->inbox_head,
                    (r->inbox_n - r->inbox_head) * sizeof *r->inbox);
            r->inbox_n -= r->inbox_head;
            r->inbox_head = 0;
        }
    }
    if (r->inbox_n == r->inbox_cap) {
        size_t cap = r->inbox_cap ? r->inbox_cap * 2 : 4096;
        inbox_plot *t = realloc(r->inbox, cap * sizeof *t);
        if (!t) {
            r->inbox_dropped++;
            return;
        }
        r->inbox = t;
        r->inbox_cap = cap;
    }
    r->inbox[r->inbox_n++] = (inbox_plot){.plot = *p, .arrival = arrival};
}

/* Called with r->mu held. */
static void on_record(void *ctx, const lo_asterix_record *rec)
{
    decode_ctx *d = ctx;
    lo_role *r = d->r;
    if (rec->cat != 48 || !rec->c048) return;
    const lo_cat048 *c = rec->c048;
    const lo_sensor *s = sensor_by_sac_sic(r->site, c->sac, c->sic);
    double near = r->last_resolved_t > 0 ? r->last_resolved_t
                  : r->opt.tod_near_t > 0 ? r->opt.tod_near_t
                                          : wall_now();
    double t = lo_tod_nearest(c->tod * LO_ASTERIX_TOD_LSB, near);
    lo_plot p;
    if (!s || !lo_cat048_to_plot(c, s, t, &p)) {
        r->undecodable++;
        return;
    }
    if (t > r->last_resolved_t) r->last_resolved_t = t;
    r->received++;
    inbox_push(r, &p, d->arrival);
}

void lo_role_bus_plots(void *role, const lo_bus_msg *m)
{
    lo_role *r = role;
    decode_ctx d = {.r = r, .arrival = mono_now()};
    lo_asterix_stats *st = calloc(1, sizeof *st);
    if (!st) return;
    pthread_mutex_lock(&r->mu);
    lo_asterix_decode(m->data, m->len, m->subject, 0, on_record, &d, st, r->diag);
    r->undecodable += (uint64_t)st->malformed; /* reported through diag with the offset */
    pthread_mutex_unlock(&r->mu);
    free(st);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

lo_role *lo_role_new(const lo_site *site, lo_bus *bus, const lo_role_options *opt,
                     const lo_pipeline_sinks *local, lo_diag_sink *diag)
{
    if (!site || !opt || (opt->role != LO_BUS_ROLE_EDGE && opt->role != LO_BUS_ROLE_FUSION))
        return NULL;
    lo_role *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->opt = *opt;
    if (!r->opt.sac && !r->opt.sic) r->opt.sic = 1;
    if (r->opt.lag_s <= 0) r->opt.lag_s = 1.0;
    r->site = site;
    r->bus = bus;
    r->diag = diag;
    if (local) r->local = *local;
    pthread_mutex_init(&r->mu, NULL);
    lo_asterix_block_init(&r->track_block, 62);
    lo_pipeline_sinks sinks = {.on_track = sink_track, .on_alert = sink_alert,
                               .on_evaluated = sink_evaluated, .ctx = r};
    r->pipe = lo_pipeline_new(site, &opt->pipeline, &sinks, diag);
    if (!r->pipe) goto fail;
    if (opt->role == LO_BUS_ROLE_EDGE && bus) {
        r->plot_blocks = calloc((size_t)(site->n_sensors > 0 ? site->n_sensors : 1),
                                sizeof *r->plot_blocks);
        if (!r->plot_blocks) goto fail;
        for (int i = 0; i < site->n_sensors; i++) lo_asterix_block_init(&r->plot_blocks[i], 48);
    }
    if (opt->role == LO_BUS_ROLE_FUSION) {
        r->lat_slots = calloc(LATENCY_SLOTS, sizeof *r->lat_slots);
        if (!r->lat_slots) goto fail;
        if (bus && lo_bus_subscribe_plots(bus, opt->plot_site, lo_role_bus_plots, r) != 0)
            goto fail;
    }
    return r;
fail:
    lo_role_free(r);
    return NULL;
}

void lo_role_free(lo_role *r)
{
    if (!r) return;
    lo_pipeline_free(r->pipe);
    pthread_mutex_destroy(&r->mu);
    free(r->plot_blocks);
    free(r->published);
    free(r->inbox);
    free(r->lat_slots);
    free(r);
}

/* ---- the owner's calls --------------------------------------------------------------------- */

int lo_role_add_plot(lo_role *r, const lo_plot *plot)
{
    int rc = lo_pipeline_add_plot(r->pipe, plot);
    r->st.plots_local++;
    if (plot->t > r->clock) r->clock = plot->t;
    if (r->plot_blocks) {
        int i = lo_site_sensor_index(r->site, plot->sensor_id);
        if (i >= 0) {
            lo_cat048 rec;
            lo_cat048_from_plot(plot, &r->site->sensors[i], &rec);
            uint8_t buf[256];
            size_t n = lo_cat048_encode(&rec, buf, sizeof buf);
            lo_asterix_block *b = &r->plot_blocks[i];
            if (n && !lo_asterix_block_add(b, buf, n)) {
                flush_plots(r);
                lo_asterix_block_add(b, buf, n);
            }
        }
    }
    return rc;
}

int lo_role_advance(lo_role *r, double now)
{
    flush_plots(r);
    int rc = lo_pipeline_advance(r->pipe, now);
    flush_tracks(r);
    return rc;
}

static int by_time(const void *a, const void *b)
{
    const inbox_plot *x = a, *y = b;
    if (x->plot.t != y->plot.t) return x->plot.t < y->plot.t ? -1 : 1;
    if (x->plot.sensor_id != y->plot.sensor_id)
        return (int)x->plot.sensor_id - (int)y->plot.sensor_id;
    if (x->plot.azimuth_rad != y->plot.azimuth_rad)
        return x->plot.azimuth_rad < y->plot.azimuth_rad ? -1 : 1;
    if (x->plot.range_m != y->plot.range_m) return x->plot.range_m < y->plot.range_m ? -1 : 1;
    return 0;
}

/* The same plot twice (once live, once replayed from the stream) sorts next to itself. */
static bool same_plot(const lo_plot *a, const lo_plot *b)
{
    return a->t == b->t && a->sensor_id == b->sensor_id && a->azimuth_rad == b->azimuth_rad &&
           a->range_m == b->range_m;
}

long lo_role_replay(lo_role *r, double since_utc_s, double timeout_s)
{
    if (!r->bus || r->opt.role != LO_BUS_ROLE_FUSION) return -1;
    return lo_bus_replay_plots(r->bus, r->opt.plot_site, since_utc_s, lo_role_bus_plots, r,
                               timeout_s);
}

long lo_role_poll(lo_role *r)
{
    pthread_mutex_lock(&r->mu);
    inbox_plot *all = r->inbox, *batch = r->inbox + r->inbox_head;
    size_t n = r->inbox_n - r->inbox_head;
    r->inbox = NULL;
    r->inbox_head = r->inbox_n = r->inbox_cap = 0;
    pthread_mutex_unlock(&r->mu);
    if (n) {
        qsort(batch, n, sizeof *batch, by_time);
        lo_pipeline_stats before;
        lo_pipeline_get_stats(r->pipe, &before);
        for (size_t i = 0; i < n; i++) {
            if (i && same_plot(&batch[i].plot, &batch[i - 1].plot)) {
                r->st.plots_duplicate++;
                continue;
            }
            lat_note_plot(r, &batch[i].plot, batch[i].arrival);
            lo_pipeline_add_plot(r->pipe, &batch[i].plot);
            if (batch[i].plot.t > r->clock) r->clock = batch[i].plot.t;
        }
        lo_pipeline_stats after;
        lo_pipeline_get_stats(r->pipe, &after);
        r->st.plots_late += after.plots_refused - before.plots_refused;
        r->st.plots_local += n;
    }
    free(all);
    if (r->clock > 0) lo_pipeline_advance(r->pipe, r->clock - r->opt.lag_s);
    flush_tracks(r);
    return (long)n;
}

int lo_role_finish(lo_role *r, double t)
{
    if (r->opt.role == LO_BUS_ROLE_FUSION) lo_role_poll(r);
    flush_plots(r);
    int rc = lo_pipeline_finish(r->pipe, t);
    flush_tracks(r);
    return rc;
}

void lo_role_get_stats(lo_role *r, lo_role_stats *out)
{
    *out = r->st;
    pthread_mutex_lock(&r->mu);
    out->plots_received = r->received;
    out->plots_undecodable = r->undecodable;
    out->plots_inbox_dropped = r->inbox_dropped;
    out->inbox = r->inbox_n - r->inbox_head;
    pthread_mutex_unlock(&r->mu);
    out->latency_samples = r->lat_n;
    out->latency_p50_s = lat_quantile(r, 0.5);
    out->latency_p99_s = lat_quantile(r, 0.99);
}

int lo_role_metrics_text(const lo_role_stats *st, lo_bus_role role, const char *node, char *buf,
                         size_t len)
{
    struct {
        const char *name, *type, *help;
        double v;
        bool fusion_only;
    } m[] = {
        {"plots_local_total", "counter", "plots handed to this node's pipeline",
         (double)st->plots_local, false},
        {"plot_blocks_published_total", "counter", "CAT048 data blocks handed to the bus",
         (double)st->plots_published, false},
        {"tracks_published_total", "counter", "CAT062 track records handed to the bus",
         (double)st->tracks_published, false},
        {"alerts_local_total", "counter", "alert transitions the local journal accepted",
         (double)st->alerts_local, false},
        {"alerts_published_total", "counter", "alert transitions handed to the bus",
         (double)st->alerts_published, false},
        {"plots_received_total", "counter", "CAT048 plot records decoded from the bus",
         (double)st->plots_received, true},
        {"plots_undecodable_total", "counter",
         "plot records without a position or of an unknown radar, and malformed blocks",
         (double)st->plots_undecodable, true},
        {"plots_inbox_dropped_total", "counter", "plots dropped from a full inbox (oldest first)",
         (double)st->plots_inbox_dropped, true},
        {"plots_duplicate_total", "counter", "plots received twice (live and replayed)",
         (double)st->plots_duplicate, true},
        {"plots_late_total", "counter", "plots refused by the pipeline as older than its time",
         (double)st->plots_late, true},
        {"inbox", "gauge", "plots waiting in the inbox", (double)st->inbox, true},
    };
    size_t off = 0;
    int total = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (m[i].fusion_only && role != LO_BUS_ROLE_FUSION) continue;
        int n = snprintf(buf ? buf + off : NULL, buf && off < len ? len - off : 0,
                         "# HELP lookout_role_%s %s\n# TYPE lookout_role_%s %s\n"
                         "lookout_role_%s{node=\"%s\"} %.17g\n",
                         m[i].name, m[i].help, m[i].name, m[i].type, m[i].name, node, m[i].v);
        if (n < 0) return -1;
        total += n;
        off = off + (size_t)n < len ? off + (size_t)n : len;
    }
    if (role == LO_BUS_ROLE_FUSION) {
        int n = snprintf(buf ? buf + off : NULL, buf && off < len ? len - off : 0,
                         "# HELP lookout_role_plot_to_track_latency_seconds Wall time from a "
                         "plot's arrival from the bus to the track report that used it.\n"
                         "# TYPE lookout_role_plot_to_track_latency_seconds summary\n"
                         "lookout_role_plot_to_track_latency_seconds{node=\"%s\",quantile=\"0.5\"}"
                         " %.9g\n"
                         "lookout_role_plot_to_track_latency_seconds{node=\"%s\",quantile=\"0.99\"}"
                         " %.9g\n"
                         "lookout_role_plot_to_track_latency_seconds_count{node=\"%s\"} %llu\n",
                         node, st->latency_p50_s, node, st->latency_p99_s, node,
                         (unsigned long long)st->latency_samples);
        if (n < 0) return -1;
        total += n;
    }
    return total;
}

lo_pipeline *lo_role_pipeline(lo_role *r) { return r->pipe; }

double lo_role_clock(const lo_role *r) { return r->clock; }
