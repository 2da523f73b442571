/*
 * picture.c: the operator picture (see lookout/picture.h for the contract).
 *
 * Layout. Tracks live in an array of pointers kept sorted by track id: the tracker hands out
 * increasing ids, so a new track is almost always an append, a lookup is a binary search, and
 * a deletion is one memmove of pointers. Each track owns a ring buffer of trail points sized
 * for trail_s / trail_min_step_s. Alerts are kept the same way, sorted by alert_id.
 *
 * One mutex guards everything. Writers hold it for one batch; readers hold it while they build
 * a JSON tree, so a snapshot is always consistent (a track and its alert from the same moment).
 */
#include "lookout/picture.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookout/geo.h"

/* Latency histogram: log-spaced buckets from 1 us to 100 s, 40 per decade (6% wide). */
#define LAT_MIN_S 1e-6
#define LAT_PER_DECADE 40
#define LAT_DECADES 8
#define LAT_BUCKETS (LAT_PER_DECADE * LAT_DECADES)

/* Upper bound of trail points per track, whatever the configuration says. */
#define TRAIL_MAX_POINTS 1024

/* 2-D chi-square 95% quantile: the 95% ellipse is sqrt(5.991) sigma along each axis. */
#define CHI2_2D_95 5.991464547107979

typedef struct trail_point {
    double t;
    float e, n, u;   /* float: 2 mm resolution at 20 km, half the memory */
} trail_point;

typedef struct track_entry {
    lo_track tr;
    trail_point *trail;  /* ring of trail_cap points */
    int trail_head;      /* index of the oldest point */
    int trail_len;
} track_entry;

typedef struct sensor_info {
    char name[LO_NAME_MAX];
    uint16_t id;
    double enu[3];
    double lat, lon;
    double max_range_m;
} sensor_info;

struct lo_picture {
    pthread_mutex_t lock;
    lo_picture_config cfg;
    int trail_cap;

    track_entry **tracks;  /* sorted by tr.id */
    size_t n_tracks, cap_tracks;

    lo_alert *alerts;      /* sorted by alert_id */
    size_t n_alerts, cap_alerts;

    bool has_site;
    char site_name[64];
    lo_enu_frame frame;
    sensor_info *sensors;
    int n_sensors;
    lo_zone *zones;
    int n_zones;

    char status[256];
    double clock;
    uint64_t version;

    uint64_t plots_in, dropped, tracks_created, alerts_raised;
    uint64_t lat_count;
    double lat_sum, lat_max;
    uint64_t lat_hist[LAT_BUCKETS];
};

/* ---- lifecycle ---------------------------------------------------------------------------- */

void lo_picture_config_defaults(lo_picture_config *cfg)
{
    cfg->trail_s = 60.0;
    cfg->trail_min_step_s = 1.0;
    cfg->cleared_keep_s = 30.0;
}

lo_picture *lo_picture_new(const lo_picture_config *cfg)
{
    lo_picture *pic = calloc(1, sizeof *pic);
    if (!pic) return NULL;
    if (cfg)
        pic->cfg = *cfg;
    else
        lo_picture_config_defaults(&pic->cfg);
    if (!(pic->cfg.trail_s >= 0)) pic->cfg.trail_s = 0;
    if (!(pic->cfg.trail_min_step_s > 0)) pic->cfg.trail_min_step_s = 1.0;
    if (!(pic->cfg.cleared_keep_s >= 0)) pic->cfg.cleared_keep_s = 0;
    double want = ceil(pic->cfg.trail_s / pic->cfg.trail_min_step_s) + 2;
    pic->trail_cap = want > TRAIL_MAX_POINTS ? TRAIL_MAX_POINTS : (int)want;
    pthread_mutex_init(&pic->lock, NULL);
    return pic;
}

static void free_entry(track_entry *e)
{
    if (!e) return;
    free(e->trail);
    free(e);
}

void lo_picture_free(lo_picture *pic)
{
    if (!pic) return;
    for (size_t i = 0; i < pic->n_tracks; i++) free_entry(pic->tracks[i]);
    free(pic->tracks);
    free(pic->alerts);
    free(pic->sensors);
    free(pic->zones);
    pthread_mutex_destroy(&pic->lock);
    free(pic);
}

/* ---- writers ------------------------------------------------------------------------------ */

void lo_picture_set_site(lo_picture *pic, const lo_site *site)
{
    sensor_info *sensors = NULL;
    lo_zone *zones = NULL;
    if (site->n_sensors > 0) sensors = calloc((size_t)site->n_sensors, sizeof *sensors);
    if (site->n_zones > 0) zones = malloc((size_t)site->n_zones * sizeof *zones);
    if ((site->n_sensors > 0 && !sensors) || (site->n_zones > 0 && !zones)) {
        free(sensors);
        free(zones);
        return;
    }
    for (int i = 0; i < site->n_sensors; i++) {
        const lo_sensor *s = &site->sensors[i];
        snprintf(sensors[i].name, sizeof sensors[i].name, "%s", s->name);
        sensors[i].id = s->id;
        memcpy(sensors[i].enu, s->enu, sizeof s->enu);
        sensors[i].lat = s->lat;
        sensors[i].lon = s->lon;
        sensors[i].max_range_m = s->max_range_m;
    }
    if (site->n_zones > 0) memcpy(zones, site->zones, (size_t)site->n_zones * sizeof *zones);

    pthread_mutex_lock(&pic->lock);
    free(pic->sensors);
    free(pic->zones);
    pic->sensors = sensors;
    pic->n_sensors = site->n_sensors;
    pic->zones = zones;
    pic->n_zones = site->n_zones;
    snprintf(pic->site_name, sizeof pic->site_name, "%s", site->name);
    pic->frame = site->frame;
    pic->has_site = true;
    pic->version++;
    pthread_mutex_unlock(&pic->lock);
}

void lo_picture_set_status(lo_picture *pic, const char *status)
{
    pthread_mutex_lock(&pic->lock);
    snprintf(pic->status, sizeof pic->status, "%s", status ? status : "");
    pic->version++;
    pthread_mutex_unlock(&pic->lock);
}

/* Binary search; returns the index of `id` or, negated minus one, where it would go. */
static long find_track(const lo_picture *pic, uint32_t id)
{
    size_t lo = 0, hi = pic->n_tracks;
    /* Fast path: new ids are the largest so far. */
    if (hi > 0 && pic->tracks[hi - 1]->tr.id < id) return -(long)hi - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t m = pic->tracks[mid]->tr.id;
        if (m == id) return (long)mid;
        if (m < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static long find_alert(const lo_picture *pic, uint64_t id)
{
    size_t lo = 0, hi = pic->n_alerts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t m = pic->alerts[mid].alert_id;
        if (m == id) return (long)mid;
        if (m < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

/* Drop what has aged out at the current clock: cleared alerts after cleared_keep_s, and alerts
 * whose track has gone without a clearing transition (a safety net: threat evaluation should
 * clear them) after the same time. */
static void prune_alerts(lo_picture *pic)
{
    size_t w = 0;
    for (size_t r = 0; r < pic->n_alerts; r++) {
        const lo_alert *a = &pic->alerts[r];
        bool old = pic->clock - a->t > pic->cfg.cleared_keep_s;
        bool drop = old && (a->transition == LO_ALERT_CLEARED || find_track(pic, a->track_id) < 0);
        if (!drop) pic->alerts[w++] = *a;
    }
    if (w != pic->n_alerts) pic->version++;
    pic->n_alerts = w;
}

static void advance_clock_locked(lo_picture *pic, double t)
{
    if (isfinite(t) && t > pic->clock) {
        pic->clock = t;
        pic->version++;
        prune_alerts(pic);
    }
}

void lo_picture_set_clock(lo_picture *pic, double t)
{
    pthread_mutex_lock(&pic->lock);
    advance_clock_locked(pic, t);
    pthread_mutex_unlock(&pic->lock);
}

static void trail_append(const lo_picture *pic, track_entry *e)
{
    if (!e->trail || pic->trail_cap <= 0) return;
    const lo_track *tr = &e->tr;
    /* Forget points older than the trail length. */
    while (e->trail_len > 0 && tr->t - e->trail[e->trail_head].t > pic->cfg.trail_s) {
        e->trail_head = (e->trail_head + 1) % pic->trail_cap;
        e->trail_len--;
    }
    if (e->trail_len > 0) {
        int last = (e->trail_head + e->trail_len - 1) % pic->trail_cap;
        if (tr->t - e->trail[last].t < pic->cfg.trail_min_step_s) return;
    }
    if (e->trail_len == pic->trail_cap) { /* full: overwrite the oldest */
        e->trail_head = (e->trail_head + 1) % pic->trail_cap;
        e->trail_len--;
    }
    int slot = (e->trail_head + e->trail_len) % pic->trail_cap;
    e->trail[slot] = (trail_point){tr->t, (float)tr->pos[0], (float)tr->pos[1], (float)tr->pos[2]};
    e->trail_len++;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p) return false;
    *arr = p;
    *cap = n;
    return true;
}

static void update_track_locked(lo_picture *pic, const lo_track *tr)
{
    long at = find_track(pic, tr->id);
    if (tr->status == LO_TRACK_DELETED) {
        if (at >= 0) {
            free_entry(pic->tracks[at]);
            memmove(&pic->tracks[at], &pic->tracks[at + 1],
                    (pic->n_tracks - (size_t)at - 1) * sizeof *pic->tracks);
            pic->n_tracks--;
        }
        return;
    }
    track_entry *e;
    if (at >= 0) {
        e = pic->tracks[at];
        /* An out-of-order older report must not move the track back in time. */
        if (tr->t < e->tr.t) return;
    } else {
        if (!grow((void **)&pic->tracks, &pic->cap_tracks, pic->n_tracks + 1, sizeof *pic->tracks))
            return;
        e = calloc(1, sizeof *e);
        if (!e) return;
        if (pic->trail_cap > 0) e->trail = malloc((size_t)pic->trail_cap * sizeof *e->trail);
        size_t pos = (size_t)(-at - 1);
        memmove(&pic->tracks[pos + 1], &pic->tracks[pos], (pic->n_tracks - pos) * sizeof *pic->tracks);
        pic->tracks[pos] = e;
        pic->n_tracks++;
        pic->tracks_created++;
    }
    e->tr = *tr;
    trail_append(pic, e);
}

void lo_picture_update_tracks(lo_picture *pic, const lo_track *tracks, size_t n)
{
    if (n == 0) return;
    pthread_mutex_lock(&pic->lock);
    double newest = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        update_track_locked(pic, &tracks[i]);
        if (tracks[i].t > newest) newest = tracks[i].t;
    }
    pic->version++;
    advance_clock_locked(pic, newest);
    pthread_mutex_unlock(&pic->lock);
}

void lo_picture_update_alerts(lo_picture *pic, const lo_alert *alerts, size_t n)
{
    if (n == 0) return;
    pthread_mutex_lock(&pic->lock);
    for (size_t i = 0; i < n; i++) {
        const lo_alert *a = &alerts[i];
        if (a->transition == LO_ALERT_RAISED) pic->alerts_raised++;
        long at = find_alert(pic, a->alert_id);
        if (at >= 0) {
            if (a->t >= pic->alerts[at].t) pic->alerts[at] = *a;
            continue;
        }
        if (!grow((void **)&pic->alerts, &pic->cap_alerts, pic->n_alerts + 1, sizeof *pic->alerts))
            continue;
        size_t pos = (size_t)(-at - 1);
        memmove(&pic->alerts[pos + 1], &pic->alerts[pos], (pic->n_alerts - pos) * sizeof *pic->alerts);
        pic->alerts[pos] = *a;
        pic->n_alerts++;
    }
    pic->version++;
    pthread_mutex_unlock(&pic->lock);
}

void lo_picture_count_plots(lo_picture *pic, uint64_t n)
{
    pthread_mutex_lock(&pic->lock);
    pic->plots_in += n;
    pthread_mutex_unlock(&pic->lock);
}

void lo_picture_count_dropped(lo_picture *pic, uint64_t n)
{
    pthread_mutex_lock(&pic->lock);
    pic->dropped += n;
    pthread_mutex_unlock(&pic->lock);
}

static int latency_bucket(double seconds)
{
    int b = 0;
    if (seconds > LAT_MIN_S) {
        b = (int)floor(log10(seconds / LAT_MIN_S) * LAT_PER_DECADE);
        if (b >= LAT_BUCKETS) b = LAT_BUCKETS - 1;
        if (b < 0) b = 0;
    }
    return b;
}

static void record_latency_locked(lo_picture *pic, double seconds)
{
    if (!(seconds >= 0)) return; /* also refuses NaN */
    pic->lat_hist[latency_bucket(seconds)]++;
    pic->lat_count++;
    pic->lat_sum += seconds;
    if (seconds > pic->lat_max) pic->lat_max = seconds;
}

void lo_picture_record_latency(lo_picture *pic, double seconds)
{
    pthread_mutex_lock(&pic->lock);
    record_latency_locked(pic, seconds);
    pthread_mutex_unlock(&pic->lock);
}

void lo_picture_record_latencies(lo_picture *pic, const double *seconds, size_t n)
{
    if (n == 0) return;
    pthread_mutex_lock(&pic->lock);
    for (size_t i = 0; i < n; i++) record_latency_locked(pic, seconds[i]);
    pthread_mutex_unlock(&pic->lock);
}

/* ---- readers ------------------------------------------------------------------------------ */

static void stats_locked(const lo_picture *pic, lo_picture_stats *out)
{
    memset(out, 0, sizeof *out);
    out->clock = pic->clock;
    out->version = pic->version;
    out->n_tracks = pic->n_tracks;
    for (size_t i = 0; i < pic->n_tracks; i++) {
        lo_track_status s = pic->tracks[i]->tr.status;
        if (s >= LO_TRACK_TENTATIVE && s <= LO_TRACK_DELETED) out->n_tracks_by_status[s]++;
    }
    out->n_alerts = pic->n_alerts;
    for (size_t i = 0; i < pic->n_alerts; i++) {
        const lo_alert *a = &pic->alerts[i];
        if (a->transition != LO_ALERT_CLEARED && a->level >= LO_ALERT_INFO && a->level <= LO_ALERT_ALARM)
            out->n_alerts_by_level[a->level]++;
    }
    out->plots_in = pic->plots_in;
    out->dropped = pic->dropped;
    out->tracks_created = pic->tracks_created;
    out->alerts_raised = pic->alerts_raised;
    out->latency_count = pic->lat_count;
    out->latency_sum_s = pic->lat_sum;
    out->latency_max_s = pic->lat_max;
}

void lo_picture_get_stats(lo_picture *pic, lo_picture_stats *out)
{
    pthread_mutex_lock(&pic->lock);
    stats_locked(pic, out);
    pthread_mutex_unlock(&pic->lock);
}

static double quantile_locked(const lo_picture *pic, double q)
{
    if (pic->lat_count == 0) return 0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    /* The sample of rank ceil(q * n) (1-based), at least the first. */
    double rank = ceil(q * (double)pic->lat_count);
    if (rank < 1) rank = 1;
    uint64_t cum = 0;
    for (int b = 0; b < LAT_BUCKETS; b++) {
        cum += pic->lat_hist[b];
        if ((double)cum >= rank) /* geometric middle of the bucket */
            return LAT_MIN_S * pow(10.0, (b + 0.5) / LAT_PER_DECADE);
    }
    return LAT_MIN_S * pow(10.0, (double)LAT_DECADES);
}

double lo_picture_latency_quantile(lo_picture *pic, double q)
{
    pthread_mutex_lock(&pic->lock);
    double v = quantile_locked(pic, q);
    pthread_mutex_unlock(&pic->lock);
    return v;
}

void lo_picture_ellipse95(const double cov[4], double *semi_major_m, double *semi_minor_m,
                          double *orientation_rad)
{
    /* cov = [[ee, en], [ne, nn]] in the east/north plane. */
    double a = cov[0], b = 0.5 * (cov[1] + cov[2]), c = cov[3];
    double mean = 0.5 * (a + c);
    double r = hypot(0.5 * (a - c), b);
    double l1 = mean + r, l2 = mean - r;
    if (l2 < 0) l2 = 0; /* a covariance slightly off positive definite */
    if (l1 < 0) l1 = 0;
    *semi_major_m = sqrt(CHI2_2D_95 * l1);
    *semi_minor_m = sqrt(CHI2_2D_95 * l2);
    /* Major axis angle from east, counter-clockwise; turn into a bearing from north. */
    double from_east = 0.5 * atan2(2.0 * b, a - c);
    double bearing = LO_PI / 2.0 - from_east;
    /* An axis, not a direction: fold into [0, pi). */
    bearing = fmod(bearing, LO_PI);
    if (bearing < 0) bearing += LO_PI;
    *orientation_rad = bearing;
}

/* ---- JSON --------------------------------------------------------------------------------- */

/* A snapshot is copied under the lock (plain memcpy, a few ms at 10,000 tracks) and turned
 * into text after the lock is released, so the pipeline never waits for serialisation.
 * The text is written directly with fixed decimals per field: printf("%.17g") for a quarter
 * of a million numbers per message took longer than everything else together. Tests and
 * lo_picture_json read the text back with jansson, which checks it is valid JSON. */

typedef struct snap_track {
    lo_track tr;
    long alert;          /* index into snapshot.alerts of the track's alert, or -1 */
    size_t trail_start;  /* into snapshot.trail */
    int trail_len;
} snap_track;

typedef struct snapshot {
    unsigned parts;
    double clock;
    char status[256];
    lo_picture_stats st;
    bool has_site;
    char site_name[64];
    lo_enu_frame frame;
    sensor_info *sensors;
    int n_sensors;
    lo_zone *zones;
    int n_zones;
    snap_track *tracks;
    size_t n_tracks;
    trail_point *trail;
    lo_alert *alerts;
    size_t n_alerts;
} snapshot;

static void snapshot_free(snapshot *s)
{
    free(s->sensors);
    free(s->zones);
    free(s->tracks);
    free(s->trail);
    free(s->alerts);
}

/* The alert the display should show with a track: the most severe active one, then the
 * soonest entry; an alert with an impact prediction wins a tie. */
static bool alert_beats(const lo_alert *a, const lo_alert *b)
{
    if (!b) return true;
    if (a->level != b->level) return a->level > b->level;
    double ta = a->time_to_entry_s >= 0 ? a->time_to_entry_s : INFINITY;
    double tb = b->time_to_entry_s >= 0 ? b->time_to_entry_s : INFINITY;
    if (ta != tb) return ta < tb;
    return a->has_impact && !b->has_impact;
}

static void *dup_mem(const void *p, size_t n)
{
    if (n == 0) return NULL;
    void *q = malloc(n);
    if (q) memcpy(q, p, n);
    return q;
}

/* Track and trail buffers allocated, and written once so their pages exist, before the lock
 * is taken: at 10,000 tracks that is some 6 MB of fresh pages, whose page faults would
 * otherwise happen while the pipeline waits for the lock. snapshot_take takes them over when
 * they are large enough (else allocates its own); the caller frees what is left. */
typedef struct snap_buffers {
    snap_track *tracks;
    size_t cap_tracks;
    trail_point *trail;
    size_t cap_trail;
} snap_buffers;

static void snap_buffers_prepare(lo_picture *pic, unsigned parts, snap_buffers *b)
{
    memset(b, 0, sizeof *b);
    if (!(parts & LO_PIC_TRACKS)) return;
    size_t n_tracks, n_points = 0;
    pthread_mutex_lock(&pic->lock);
    n_tracks = pic->n_tracks;
    if (parts & LO_PIC_TRAILS)
        for (size_t i = 0; i < pic->n_tracks; i++) n_points += (size_t)pic->tracks[i]->trail_len;
    pthread_mutex_unlock(&pic->lock);
    /* Room for what the pipeline may add meanwhile. */
    b->cap_tracks = n_tracks + n_tracks / 8 + 64;
    b->tracks = malloc(b->cap_tracks * sizeof *b->tracks);
    if (b->tracks) memset(b->tracks, 0, b->cap_tracks * sizeof *b->tracks);
    else b->cap_tracks = 0;
    if (parts & LO_PIC_TRAILS) {
        b->cap_trail = n_points + n_points / 8 + 64 * (size_t)pic->trail_cap;
        b->trail = malloc(b->cap_trail * sizeof *b->trail);
        if (b->trail) memset(b->trail, 0, b->cap_trail * sizeof *b->trail);
        else b->cap_trail = 0;
    }
}

/* Returns false when out of memory. Called with the lock held. */
static bool snapshot_take(const lo_picture *pic, unsigned parts, snapshot *s, snap_buffers *pre)
{
    memset(s, 0, sizeof *s);
    s->parts = parts;
    s->clock = pic->clock;
    memcpy(s->status, pic->status, sizeof s->status);
    stats_locked(pic, &s->st);
    s->has_site = pic->has_site;
    memcpy(s->site_name, pic->site_name, sizeof s->site_name);
    s->frame = pic->frame;
    if (parts & LO_PIC_SITE) {
        s->sensors = dup_mem(pic->sensors, (size_t)pic->n_sensors * sizeof *pic->sensors);
        s->zones = dup_mem(pic->zones, (size_t)pic->n_zones * sizeof *pic->zones);
        if ((pic->n_sensors && !s->sensors) || (pic->n_zones && !s->zones)) return false;
        s->n_sensors = pic->n_sensors;
        s->n_zones = pic->n_zones;
    }
    if (parts & (LO_PIC_ALERTS | LO_PIC_TRACKS)) {
        s->alerts = dup_mem(pic->alerts, pic->n_alerts * sizeof *pic->alerts);
        if (pic->n_alerts && !s->alerts) return false;
        s->n_alerts = pic->n_alerts;
    }
    if (parts & LO_PIC_TRACKS) {
        if (pre && pre->tracks && pic->n_tracks <= pre->cap_tracks) {
            s->tracks = pre->tracks;
            pre->tracks = NULL;
        } else {
            s->tracks = malloc((pic->n_tracks ? pic->n_tracks : 1) * sizeof *s->tracks);
        }
        if (!s->tracks) return false;
        size_t n_points = 0;
        if (parts & LO_PIC_TRAILS) {
            for (size_t i = 0; i < pic->n_tracks; i++) n_points += (size_t)pic->tracks[i]->trail_len;
            if (pre && pre->trail && n_points <= pre->cap_trail) {
                s->trail = pre->trail;
                pre->trail = NULL;
            } else {
                s->trail = malloc((n_points ? n_points : 1) * sizeof *s->trail);
            }
            if (!s->trail) return false;
        }
        size_t at = 0;
        for (size_t i = 0; i < pic->n_tracks; i++) {
            const track_entry *e = pic->tracks[i];
            snap_track *st = &s->tracks[i];
            st->tr = e->tr;
            st->alert = -1;
            st->trail_start = at;
            st->trail_len = 0;
            if (parts & LO_PIC_TRAILS) {
                for (int k = 0; k < e->trail_len; k++) s->trail[at++] = e->trail[(e->trail_head + k) % pic->trail_cap];
                st->trail_len = e->trail_len;
            }
        }
        s->n_tracks = pic->n_tracks;
        /* Each track's alert: one pass over the alerts, a binary search per alert. */
        for (size_t i = 0; i < pic->n_alerts; i++) {
            const lo_alert *a = &pic->alerts[i];
            if (a->transition == LO_ALERT_CLEARED) continue;
            long t = find_track(pic, a->track_id);
            if (t >= 0 && alert_beats(a, s->tracks[t].alert >= 0 ? &pic->alerts[s->tracks[t].alert] : NULL))
                s->tracks[t].alert = (long)i;
        }
    }
    return true;
}

/* ---- a small JSON text writer ---- */

typedef struct jw {
    char *buf;
    size_t len, cap;
    bool failed;
} jw;

static bool jw_reserve(jw *w, size_t more)
{
    if (w->failed) return false;
    if (w->len + more + 1 <= w->cap) return true;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + more + 1) cap *= 2;
    char *p = realloc(w->buf, cap);
    if (!p) {
        w->failed = true;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

static void jw_raw(jw *w, const char *s, size_t n)
{
    if (!jw_reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = 0;
}

#define JW_LIT(w, s) jw_raw((w), (s), sizeof(s) - 1)

static void jw_char(jw *w, char c) { jw_raw(w, &c, 1); }

static void jw_uint(jw *w, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (!jw_reserve(w, (size_t)n)) return;
    while (n) w->buf[w->len++] = tmp[--n];
    w->buf[w->len] = 0;
}

static void jw_int(jw *w, long long v)
{
    if (v < 0) {
        jw_char(w, '-');
        jw_uint(w, (unsigned long long)(-(v + 1)) + 1);
    } else {
        jw_uint(w, (unsigned long long)v);
    }
}

static const double pow10_table[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* A real with at most `dec` decimals, trailing zeros dropped but at least one decimal kept
 * ("12.0", "0.25") so JSON readers see a real; null when not finite. */
static void jw_real(jw *w, double v, int dec)
{
    if (!isfinite(v)) {
        JW_LIT(w, "null");
        return;
    }
    double scaled = fabs(v) * pow10_table[dec];
    if (scaled >= 9e15) { /* beyond exact integers in a double: let printf do it */
        char tmp[40];
        int n = snprintf(tmp, sizeof tmp, "%.17g", v);
        jw_raw(w, tmp, (size_t)n);
        return;
    }
    unsigned long long q = (unsigned long long)llround(scaled);
    unsigned long long p = (unsigned long long)pow10_table[dec];
    if (v < 0 && q != 0) jw_char(w, '-');
    jw_uint(w, q / p);
    jw_char(w, '.');
    if (dec == 0) {
        jw_char(w, '0');
        return;
    }
    char frac[10];
    unsigned long long f = q % p;
    for (int i = dec - 1; i >= 0; i--) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    int keep = dec;
    while (keep > 1 && frac[keep - 1] == '0') keep--;
    jw_raw(w, frac, (size_t)keep);
}

/* A string, escaped; bytes that are not valid UTF-8 become '?' so the output always parses. */
static void jw_str(jw *w, const char *s)
{
    jw_char(w, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jw_raw(w, esc, 2);
            p++;
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            jw_raw(w, esc, 6);
            p++;
        } else if (c < 0x80) {
            jw_char(w, (char)c);
            p++;
        } else {
            int n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            bool ok = n > 0 && !(c == 0xC0 || c == 0xC1) && c <= 0xF4;
            for (int i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80;
            if (ok) {
                jw_raw(w, (const char *)p, (size_t)n);
                p += n;
            } else {
                jw_char(w, '?');
                p++;
            }
        }
    }
    jw_char(w, '"');
}

/* "key": -- `first` says whether a comma goes before. */
static void jw_key(jw *w, const char *key, bool *first)
{
    if (!*first) jw_char(w, ',');
    *first = false;
    jw_str(w, key);
    jw_char(w, ':');
}

static void kv_real(jw *w, bool *first, const char *key, double v, int dec)
{
    jw_key(w, key, first);
    jw_real(w, v, dec);
}

static void kv_int(jw *w, bool *first, const char *key, long long v)
{
    jw_key(w, key, first);
    jw_int(w, v);
}

static void kv_str(jw *w, bool *first, const char *key, const char *v)
{
    jw_key(w, key, first);
    jw_str(w, v);
}

static void kv_vec(jw *w, bool *first, const char *key, const double *v, int n, int dec)
{
    jw_key(w, key, first);
    jw_char(w, '[');
    for (int i = 0; i < n; i++) {
        if (i) jw_char(w, ',');
        jw_real(w, v[i], dec);
    }
    jw_char(w, ']');
}

/* ---- the picture as JSON text ---- */

static double deg_bearing(double east, double north)
{
    double b = atan2(east, north) * LO_RAD2DEG;
    return b < 0 ? b + 360.0 : b;
}

/* lat/lon in degrees of an ENU point, when the site frame is known. */
static void kv_latlon(jw *w, bool *first, const snapshot *s, const double enu[3], bool with_alt)
{
    if (!s->has_site) return;
    lo_geodetic g;
    lo_enu_to_geodetic(&s->frame, enu, &g);
    kv_real(w, first, "lat_deg", g.lat * LO_RAD2DEG, 7);
    kv_real(w, first, "lon_deg", g.lon * LO_RAD2DEG, 7);
    if (with_alt) kv_real(w, first, "alt_m", g.h, 1);
}

static lo_class best_class(const lo_track *tr, double *prob)
{
    int best = LO_CLASS_UNKNOWN;
    double p = 0;
    for (int c = 0; c < LO_CLASS_COUNT; c++)
        if (tr->class_prob[c] > p) {
            p = tr->class_prob[c];
            best = c;
        }
    *prob = p;
    return (lo_class)best;
}

static void write_alert_id(jw *w, bool *first, uint64_t id)
{
    /* A string: JavaScript numbers stop at 2^53. */
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)id);
    kv_str(w, first, "id", tmp);
}

static void write_impact(jw *w, const snapshot *s, const lo_alert *a)
{
    bool first = true;
    double enu[3] = {a->impact_enu[0], a->impact_enu[1], 0.0};
    jw_char(w, '{');
    kv_vec(w, &first, "enu_m", enu, 2, 1);
    kv_latlon(w, &first, s, enu, false);
    kv_vec(w, &first, "cov_m2", a->impact_cov, 4, 1);
    double major, minor, orient;
    lo_picture_ellipse95(a->impact_cov, &major, &minor, &orient);
    jw_key(w, "ellipse95", &first);
    bool f2 = true;
    jw_char(w, '{');
    kv_real(w, &f2, "semi_major_m", major, 1);
    kv_real(w, &f2, "semi_minor_m", minor, 1);
    kv_real(w, &f2, "orientation_deg", orient * LO_RAD2DEG, 1);
    kv_real(w, &f2, "confidence", 0.95, 2);
    jw_char(w, '}');
    jw_char(w, '}');
}

/* Time to entry as of the snapshot's clock: the alert's estimate aged by the time since. */
static double tte_now(const snapshot *s, const lo_alert *a)
{
    if (!(a->time_to_entry_s >= 0)) return -1;
    double left = a->time_to_entry_s - (s->clock - a->t);
    return left < 0 ? 0 : left;
}

static void write_alert(jw *w, const snapshot *s, const lo_alert *a)
{
    bool first = true;
    jw_char(w, '{');
    write_alert_id(w, &first, a->alert_id);
    kv_int(w, &first, "track_id", a->track_id);
    kv_str(w, &first, "zone", a->zone_name);
    kv_int(w, &first, "zone_index", a->zone_index);
    kv_str(w, &first, "level", lo_alert_level_name(a->level));
    kv_str(w, &first, "transition", lo_alert_transition_name(a->transition));
    jw_key(w, "active", &first);
    if (a->transition != LO_ALERT_CLEARED)
        JW_LIT(w, "true");
    else
        JW_LIT(w, "false");
    kv_real(w, &first, "t_s", a->t, 3);
    kv_str(w, &first, "class", lo_class_name(a->cls));
    kv_str(w, &first, "group", lo_class_group_name(lo_class_group_of(a->cls)));
    kv_real(w, &first, "class_conf", a->class_confidence, 3);
    kv_real(w, &first, "distance_m", a->distance_m, 1);
    if (a->time_to_entry_s >= 0) {
        kv_real(w, &first, "time_to_entry_s", a->time_to_entry_s, 1);
        kv_real(w, &first, "time_to_entry_sigma_s", a->time_to_entry_sigma_s, 1);
        kv_real(w, &first, "time_to_entry_now_s", tte_now(s, a), 1);
    } else {
        jw_key(w, "time_to_entry_s", &first);
        JW_LIT(w, "null");
    }
    kv_str(w, &first, "reason", a->reason);
    if (a->has_impact) {
        jw_key(w, "impact", &first);
        write_impact(w, s, a);
    }
    jw_char(w, '}');
}

static void write_track(jw *w, const snapshot *s, const snap_track *st)
{
    const lo_track *tr = &st->tr;
    bool first = true;
    jw_char(w, '{');
    kv_int(w, &first, "id", tr->id);
    kv_str(w, &first, "status", lo_track_status_name(tr->status));
    double conf;
    lo_class c = best_class(tr, &conf);
    kv_str(w, &first, "class", lo_class_name(c));
    kv_str(w, &first, "group", lo_class_group_name(lo_class_group_of(c)));
    kv_real(w, &first, "class_conf", conf, 3);
    jw_key(w, "class_prob", &first);
    jw_char(w, '{');
    bool fp = true;
    for (int k = 0; k < LO_CLASS_COUNT; k++)
        if (tr->class_prob[k] >= 0.0005) kv_real(w, &fp, lo_class_name((lo_class)k), tr->class_prob[k], 3);
    jw_char(w, '}');
    kv_real(w, &first, "t_s", tr->t, 3);
    kv_real(w, &first, "age_s", tr->t - tr->t_first, 1);
    kv_vec(w, &first, "enu_m", tr->pos, 3, 1);
    kv_latlon(w, &first, s, tr->pos, true);
    kv_real(w, &first, "height_m", tr->pos[2], 1);
    kv_vec(w, &first, "vel_mps", tr->vel, 3, 2);
    kv_real(w, &first, "speed_mps", hypot(tr->vel[0], tr->vel[1]), 1);
    kv_real(w, &first, "heading_deg", deg_bearing(tr->vel[0], tr->vel[1]), 1);
    kv_real(w, &first, "climb_mps", tr->vel[2], 1);
    kv_int(w, &first, "n_updates", tr->n_updates);
    if (tr->last_flags & LO_PLOT_MODE_S) {
        char hex[8];
        snprintf(hex, sizeof hex, "%06X", tr->mode_s_address & 0xFFFFFFu);
        kv_str(w, &first, "mode_s", hex);
    }
    if (tr->last_flags & LO_PLOT_DOPPLER_SPREAD)
        kv_real(w, &first, "doppler_spread_mps", tr->last_doppler_spread_mps, 1);
    if (tr->doppler_spread_mean_mps > 0)
        kv_real(w, &first, "doppler_spread_mean_mps", tr->doppler_spread_mean_mps, 1);
    if (st->alert >= 0) {
        const lo_alert *a = &s->alerts[st->alert];
        jw_key(w, "alert", &first);
        bool fa = true;
        jw_char(w, '{');
        write_alert_id(w, &fa, a->alert_id);
        kv_str(w, &fa, "level", lo_alert_level_name(a->level));
        kv_str(w, &fa, "zone", a->zone_name);
        if (a->time_to_entry_s >= 0) kv_real(w, &fa, "time_to_entry_now_s", tte_now(s, a), 1);
        jw_char(w, '}');
        if (a->has_impact) {
            jw_key(w, "impact", &first);
            write_impact(w, s, a);
        }
    }
    if (s->parts & LO_PIC_TRAILS) {
        jw_key(w, "trail", &first);
        jw_char(w, '[');
        for (int i = 0; i < st->trail_len; i++) {
            const trail_point *p = &s->trail[st->trail_start + (size_t)i];
            if (i) jw_char(w, ',');
            jw_char(w, '[');
            jw_real(w, p->e, 1);
            jw_char(w, ',');
            jw_real(w, p->n, 1);
            jw_char(w, ',');
            jw_real(w, p->u, 1);
            jw_char(w, ',');
            jw_real(w, p->t, 2);
            jw_char(w, ']');
        }
        jw_char(w, ']');
    }
    jw_char(w, '}');
}

static void write_zone(jw *w, const lo_zone *z)
{
    bool first = true;
    jw_char(w, '{');
    kv_str(w, &first, "name", z->name);
    kv_str(w, &first, "shape", z->shape == LO_ZONE_CIRCLE ? "circle" : "polygon");
    kv_int(w, &first, "priority", z->priority);
    kv_real(w, &first, "alt_min_m", z->alt_min_m, 1);
    kv_real(w, &first, "alt_max_m", z->alt_max_m, 1);
    kv_vec(w, &first, "center_enu_m", z->center_enu, 2, 1);
    kv_real(w, &first, "center_lat_deg", z->center_lat * LO_RAD2DEG, 7);
    kv_real(w, &first, "center_lon_deg", z->center_lon * LO_RAD2DEG, 7);
    if (z->shape == LO_ZONE_CIRCLE) {
        kv_real(w, &first, "radius_m", z->radius_m, 1);
    } else {
        int n = z->n_vertices < LO_ZONE_MAX_VERTICES ? z->n_vertices : LO_ZONE_MAX_VERTICES;
        jw_key(w, "vertices_enu_m", &first);
        jw_char(w, '[');
        for (int i = 0; i < n; i++) {
            if (i) jw_char(w, ',');
            jw_char(w, '[');
            jw_real(w, z->vertex_enu[i][0], 1);
            jw_char(w, ',');
            jw_real(w, z->vertex_enu[i][1], 1);
            jw_char(w, ']');
        }
        jw_char(w, ']');
    }
    jw_char(w, '}');
}

static void write_site(jw *w, const snapshot *s)
{
    bool first = true;
    jw_char(w, '{');
    kv_str(w, &first, "name", s->site_name);
    kv_real(w, &first, "lat_deg", s->frame.origin.lat * LO_RAD2DEG, 7);
    kv_real(w, &first, "lon_deg", s->frame.origin.lon * LO_RAD2DEG, 7);
    kv_real(w, &first, "h_m", s->frame.origin.h, 1);
    jw_key(w, "sensors", &first);
    jw_char(w, '[');
    for (int i = 0; i < s->n_sensors; i++) {
        const sensor_info *si = &s->sensors[i];
        bool fs = true;
        if (i) jw_char(w, ',');
        jw_char(w, '{');
        kv_str(w, &fs, "name", si->name);
        kv_int(w, &fs, "id", si->id);
        kv_vec(w, &fs, "enu_m", si->enu, 3, 1);
        kv_real(w, &fs, "lat_deg", si->lat * LO_RAD2DEG, 7);
        kv_real(w, &fs, "lon_deg", si->lon * LO_RAD2DEG, 7);
        kv_real(w, &fs, "max_range_m", si->max_range_m, 0);
        jw_char(w, '}');
    }
    jw_char(w, ']');
    jw_char(w, '}');
}

static void iso_time(double t, char *buf, size_t len)
{
    if (!(t > 0)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    time_t secs = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%01dZ", base, (int)floor((t - floor(t)) * 10.0));
}

static void write_snapshot(jw *w, const snapshot *s, const char *type)
{
    bool first = true;
    jw_char(w, '{');
    if (type) kv_str(w, &first, "type", type);
    if (s->parts & LO_PIC_STATUS) {
        char iso[48];
        iso_time(s->clock, iso, sizeof iso);
        kv_real(w, &first, "clock_s", s->clock, 3);
        kv_str(w, &first, "clock_utc", iso);
        kv_str(w, &first, "status", s->status);
        kv_int(w, &first, "version", (long long)s->st.version);
        jw_key(w, "counts", &first);
        bool fc = true;
        jw_char(w, '{');
        kv_int(w, &fc, "tracks", (long long)s->st.n_tracks);
        kv_int(w, &fc, "tentative", (long long)s->st.n_tracks_by_status[LO_TRACK_TENTATIVE]);
        kv_int(w, &fc, "confirmed", (long long)s->st.n_tracks_by_status[LO_TRACK_CONFIRMED]);
        kv_int(w, &fc, "coasting", (long long)s->st.n_tracks_by_status[LO_TRACK_COASTING]);
        kv_int(w, &fc, "alarms", (long long)s->st.n_alerts_by_level[LO_ALERT_ALARM]);
        kv_int(w, &fc, "warnings", (long long)s->st.n_alerts_by_level[LO_ALERT_WARNING]);
        kv_int(w, &fc, "infos", (long long)s->st.n_alerts_by_level[LO_ALERT_INFO]);
        kv_int(w, &fc, "plots_in", (long long)s->st.plots_in);
        kv_int(w, &fc, "dropped", (long long)s->st.dropped);
        jw_char(w, '}');
    }
    if (s->parts & LO_PIC_SITE) {
        if (s->has_site) {
            jw_key(w, "site", &first);
            write_site(w, s);
        }
        jw_key(w, "zones", &first);
        jw_char(w, '[');
        for (int i = 0; i < s->n_zones; i++) {
            if (i) jw_char(w, ',');
            write_zone(w, &s->zones[i]);
        }
        jw_char(w, ']');
    }
    if (s->parts & LO_PIC_TRACKS) {
        jw_key(w, "tracks", &first);
        jw_char(w, '[');
        for (size_t i = 0; i < s->n_tracks; i++) {
            if (i) jw_char(w, ',');
            write_track(w, s, &s->tracks[i]);
        }
        jw_char(w, ']');
    }
    if (s->parts & LO_PIC_ALERTS) {
        jw_key(w, "alerts", &first);
        jw_char(w, '[');
        for (size_t i = 0; i < s->n_alerts; i++) {
            if (i) jw_char(w, ',');
            write_alert(w, s, &s->alerts[i]);
        }
        jw_char(w, ']');
    }
    jw_char(w, '}');
}

char *lo_picture_json_text(lo_picture *pic, unsigned parts, const char *type, size_t *len)
{
    snapshot s;
    snap_buffers pre;
    snap_buffers_prepare(pic, parts, &pre);
    pthread_mutex_lock(&pic->lock);
    bool ok = snapshot_take(pic, parts, &s, &pre);
    pthread_mutex_unlock(&pic->lock);
    free(pre.tracks); /* what snapshot_take did not take over */
    free(pre.trail);
    jw w = {0};
    if (ok) write_snapshot(&w, &s, type);
    snapshot_free(&s);
    if (!ok || w.failed) {
        free(w.buf);
        return NULL;
    }
    if (len) *len = w.len;
    return w.buf;
}

char *lo_picture_json_string(lo_picture *pic, unsigned parts)
{
    return lo_picture_json_text(pic, parts, NULL, NULL);
}

json_t *lo_picture_json(lo_picture *pic, unsigned parts)
{
    char *text = lo_picture_json_text(pic, parts, NULL, NULL);
    if (!text) return NULL;
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    free(text);
    return j;
}


/* ---- Prometheus --------------------------------------------------------------------------- */

char *lo_picture_metrics_text(lo_picture *pic, const char *extra)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;

    pthread_mutex_lock(&pic->lock);
    lo_picture_stats st;
    stats_locked(pic, &st);
    double q50 = quantile_locked(pic, 0.50), q90 = quantile_locked(pic, 0.90),
           q99 = quantile_locked(pic, 0.99);
    pthread_mutex_unlock(&pic->lock);

    fprintf(f, "# HELP lookout_plots_in_total Plots received from all sources.\n"
               "# TYPE lookout_plots_in_total counter\n"
               "lookout_plots_in_total %llu\n",
            (unsigned long long)st.plots_in);
    fprintf(f, "# HELP lookout_dropped_packets_total Packets or datagrams dropped (malformed, unknown source, full queue).\n"
               "# TYPE lookout_dropped_packets_total counter\n"
               "lookout_dropped_packets_total %llu\n",
            (unsigned long long)st.dropped);
    fprintf(f, "# HELP lookout_tracks Live tracks by status.\n# TYPE lookout_tracks gauge\n");
    for (int s = LO_TRACK_TENTATIVE; s < LO_TRACK_DELETED; s++)
        fprintf(f, "lookout_tracks{status=\"%s\"} %zu\n", lo_track_status_name((lo_track_status)s),
                st.n_tracks_by_status[s]);
    fprintf(f, "# HELP lookout_tracks_created_total Distinct tracks seen.\n"
               "# TYPE lookout_tracks_created_total counter\n"
               "lookout_tracks_created_total %llu\n",
            (unsigned long long)st.tracks_created);
    fprintf(f, "# HELP lookout_alerts_active Active alerts by level.\n# TYPE lookout_alerts_active gauge\n");
    for (int l = LO_ALERT_INFO; l <= LO_ALERT_ALARM; l++)
        fprintf(f, "lookout_alerts_active{level=\"%s\"} %zu\n", lo_alert_level_name((lo_alert_level)l),
                st.n_alerts_by_level[l]);
    fprintf(f, "# HELP lookout_alerts_raised_total Alerts raised.\n"
               "# TYPE lookout_alerts_raised_total counter\n"
               "lookout_alerts_raised_total %llu\n",
            (unsigned long long)st.alerts_raised);
    fprintf(f, "# HELP lookout_data_time_seconds Data (scenario or feed) clock, UTC seconds.\n"
               "# TYPE lookout_data_time_seconds gauge\n"
               "lookout_data_time_seconds %.3f\n",
            st.clock);
    fprintf(f, "# HELP lookout_plot_to_track_latency_seconds Wall time from a plot's arrival to its track report.\n"
               "# TYPE lookout_plot_to_track_latency_seconds summary\n"
               "lookout_plot_to_track_latency_seconds{quantile=\"0.5\"} %.9g\n"
               "lookout_plot_to_track_latency_seconds{quantile=\"0.9\"} %.9g\n"
               "lookout_plot_to_track_latency_seconds{quantile=\"0.99\"} %.9g\n"
               "lookout_plot_to_track_latency_seconds_sum %.9g\n"
               "lookout_plot_to_track_latency_seconds_count %llu\n",
            q50, q90, q99, st.latency_sum_s, (unsigned long long)st.latency_count);
    fprintf(f, "# HELP lookout_plot_to_track_latency_max_seconds Longest plot-to-track latency so far.\n"
               "# TYPE lookout_plot_to_track_latency_max_seconds gauge\n"
               "lookout_plot_to_track_latency_max_seconds %.9g\n",
            st.latency_max_s);
    if (extra) fputs(extra, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
