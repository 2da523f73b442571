/*
 * asterix_writers.c: plots -> a radar's CAT048/CAT034 datagrams, tracks -> CAT062 datagrams.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/recording.h"
#include "lookout/udp.h"

typedef struct sensor_out {
    lo_sensor s;
    lo_asterix_block blk;
    double first_t, last_t;
    long long last_eighth; /* index of the last 1/8 scan announced */
} sensor_out;

struct lo_asterix_plot_writer {
    lo_rec_writer *out;
    sensor_out *so;
    int n;
    double flush_s;
    long dropped;
    bool failed;
};

lo_asterix_plot_writer *lo_asterix_plot_writer_open(const char *path, lo_rec_format fmt,
                                                    uint16_t udp_port, const lo_sensor *sensors,
                                                    int n_sensors, double flush_s)
{
    lo_asterix_plot_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->out = lo_rec_writer_open(path, fmt, udp_port);
    w->so = calloc(n_sensors > 0 ? (size_t)n_sensors : 1, sizeof *w->so);
    if (!w->out || !w->so) {
        lo_rec_writer_close(w->out);
        free(w->so);
        free(w);
        return NULL;
    }
    w->n = n_sensors;
    w->flush_s = flush_s > 0 ? flush_s : 0.25;
    for (int i = 0; i < n_sensors; i++) {
        w->so[i].s = sensors[i];
        lo_asterix_block_init(&w->so[i].blk, 48);
        w->so[i].last_eighth = LLONG_MIN;
    }
    return w;
}

static void flush_sensor(lo_asterix_plot_writer *w, sensor_out *o)
{
    if (o->blk.n_records == 0) return;
    if (lo_rec_writer_write(w->out, o->last_t, o->blk.data, o->blk.len) < 0) w->failed = true;
    lo_asterix_block_init(&o->blk, 48);
}

static void service_message(lo_asterix_plot_writer *w, sensor_out *o, int type, double t, double az)
{
    lo_cat034 r;
    lo_cat034_make(&o->s, type, t, az, &r);
    uint8_t rec[64];
    size_t n = lo_cat034_encode(&r, rec, sizeof rec);
    lo_asterix_block b;
    lo_asterix_block_init(&b, 34);
    lo_asterix_block_add(&b, rec, n);
    if (lo_rec_writer_write(w->out, t, b.data, b.len) < 0) w->failed = true;
}

int lo_asterix_plot_writer_write(lo_asterix_plot_writer *w, const lo_plot *p)
{
    sensor_out *o = NULL;
    for (int i = 0; i < w->n; i++)
        if (w->so[i].s.id == p->sensor_id) { o = &w->so[i]; break; }
    if (!o) { w->dropped++; return 0; }
    /* Blocks of every sensor that waited long enough leave first, so datagrams stay in
     * time order across sensors. */
    for (int i = 0; i < w->n; i++)
        if (w->so[i].blk.n_records && p->t - w->so[i].first_t >= w->flush_s) flush_sensor(w, &w->so[i]);
    if (o->s.kind == LO_SENSOR_ROTATING && o->s.scan_period_s > 0) {
        long long eighth = (long long)floor(p->t / (o->s.scan_period_s / 8.0));
        if (o->last_eighth == LLONG_MIN) o->last_eighth = eighth - 1;
        /* Announce the scan boundaries passed since the last plot (at most one scan's worth). */
        if (eighth - o->last_eighth > 8) o->last_eighth = eighth - 8;
        for (long long k = o->last_eighth + 1; k <= eighth; k++) {
            flush_sensor(w, o);
            double t = (double)k * (o->s.scan_period_s / 8.0);
            double az = o->s.north_azimuth_rad + (double)(k % 8) * (LO_PI / 4.0);
            if (k % 8 == 0) service_message(w, o, LO_CAT034_NORTH_MARKER, t, 0.0);
            else service_message(w, o, LO_CAT034_SECTOR_CROSSING, t, az);
        }
        o->last_eighth = eighth;
    }
    lo_cat048 r;
    lo_cat048_from_plot(p, &o->s, &r);
    uint8_t rec[128];
    size_t n = lo_cat048_encode(&r, rec, sizeof rec);
    if (n == 0) { w->dropped++; return 0; }
    if (!lo_asterix_block_add(&o->blk, rec, n)) {
        flush_sensor(w, o);
        lo_asterix_block_add(&o->blk, rec, n);
    }
    if (o->blk.n_records == 1) o->first_t = p->t;
    o->last_t = p->t;
    return w->failed ? -1 : 0;
}

long lo_asterix_plot_writer_dropped(const lo_asterix_plot_writer *w) { return w->dropped; }

int lo_asterix_plot_writer_close(lo_asterix_plot_writer *w)
{
    if (!w) return -1;
    for (int i = 0; i < w->n; i++) flush_sensor(w, &w->so[i]);
    int rc = lo_rec_writer_close(w->out);
    if (w->failed) rc = -1;
    free(w->so);
    free(w);
    return rc;
}

/* ---- tracks ------------------------------------------------------------------------------ */

struct lo_asterix_track_writer {
    lo_rec_writer *out;
    lo_udp_sender *udp;
    lo_enu_frame sys;
    bool have_sys;
    uint8_t sac, sic;
    const lo_sensor *sensors;
    int n_sensors;
    uint32_t *seen;           /* sorted track ids that already had their first report */
    size_t n_seen, cap_seen;
    bool failed;
};

lo_asterix_track_writer *lo_asterix_track_writer_open(const char *path, lo_rec_format fmt,
                                                      uint16_t udp_port, struct lo_udp_sender *udp,
                                                      const lo_enu_frame *sys, uint8_t sac,
                                                      uint8_t sic, const lo_sensor *sensors,
                                                      int n_sensors)
{
    lo_asterix_track_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    if (path) {
        w->out = lo_rec_writer_open(path, fmt, udp_port);
        if (!w->out) { free(w); return NULL; }
    }
    w->udp = udp;
    if (sys) { w->sys = *sys; w->have_sys = true; }
    w->sac = sac;
    w->sic = sic;
    w->sensors = sensors;
    w->n_sensors = n_sensors;
    return w;
}

/* Returns true the first time an id is seen (and remembers it). */
static bool first_report(lo_asterix_track_writer *w, uint32_t id)
{
    size_t lo = 0, hi = w->n_seen;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->seen[mid] < id) lo = mid + 1; else hi = mid;
    }
    if (lo < w->n_seen && w->seen[lo] == id) return false;
    if (w->n_seen == w->cap_seen) {
        size_t nc = w->cap_seen ? w->cap_seen * 2 : 256;
        uint32_t *ns = realloc(w->seen, nc * sizeof *ns);
        if (!ns) return true;
        w->seen = ns;
        w->cap_seen = nc;
    }
    memmove(w->seen + lo + 1, w->seen + lo, (w->n_seen - lo) * sizeof *w->seen);
    w->seen[lo] = id;
    w->n_seen++;
    return true;
}

static void send_block(lo_asterix_track_writer *w, const lo_asterix_block *b, double t)
{
    if (b->n_records == 0) return;
    if (w->out && lo_rec_writer_write(w->out, t, b->data, b->len) < 0) w->failed = true;
    if (w->udp) lo_udp_sender_send(w->udp, b->data, b->len);
}

int lo_asterix_track_writer_write_batch(lo_asterix_track_writer *w, const lo_track *tracks, int n)
{
    lo_asterix_block b;
    lo_asterix_block_init(&b, 62);
    double t = 0;
    for (int i = 0; i < n; i++) {
        const lo_track *trk = &tracks[i];
        bool first = first_report(w, trk->id);
        bool last = trk->status == LO_TRACK_DELETED;
        lo_cat062 r;
        lo_cat062_from_track(trk, w->have_sys ? &w->sys : NULL, w->sac, w->sic, first, last,
                             w->sensors, w->n_sensors, &r);
        uint8_t rec[256];
        size_t len = lo_cat062_encode(&r, rec, sizeof rec);
        if (!lo_asterix_block_add(&b, rec, len)) {
            send_block(w, &b, t);
            lo_asterix_block_init(&b, 62);
            lo_asterix_block_add(&b, rec, len);
        }
        if (trk->t > t) t = trk->t;
    }
    send_block(w, &b, t);
    return w->failed ? -1 : 0;
}

int lo_asterix_track_writer_close(lo_asterix_track_writer *w)
{
    if (!w) return -1;
    int rc = w->out ? lo_rec_writer_close(w->out) : 0;
    if (w->failed) rc = -1;
    free(w->seen);
    free(w);
    return rc;
}
