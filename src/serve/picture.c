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
    double lat_sum;
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

void lo_picture_record_latency(lo_picture *pic, double seconds)
{
    if (!(seconds >= 0)) return; /* also refuses NaN */
    int b = 0;
    if (seconds > LAT_MIN_S) {
        b = (int)floor(log10(seconds / LAT_MIN_S) * LAT_PER_DECADE);
        if (b >= LAT_BUCKETS) b = LAT_BUCKETS - 1;
        if (b < 0) b = 0;
    }
    pthread_mutex_lock(&pic->lock);
    pic->lat_hist[b]++;
    pic->lat_count++;
    pic->lat_sum += seconds;
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

/* A real rounded to `decimals`, or null when not finite (JSON has no NaN). Printed with
 * JSON_REAL_PRECISION(15) the rounding survives as short text ("123.4"). */
static json_t *jreal(double v, int decimals)
{
    if (!isfinite(v)) return json_null();
    double scale = pow(10.0, decimals);
    return json_real(round(v * scale) / scale);
}

static void set(json_t *obj, const char *key, json_t *val)
{
    if (val) json_object_set_new(obj, key, val);
}

static json_t *jvec(const double *v, int n, int decimals)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, jreal(v[i], decimals));
    return a;
}

static double deg_bearing(double east, double north)
{
    double b = atan2(east, north) * LO_RAD2DEG;
    return b < 0 ? b + 360.0 : b;
}

/* lat/lon in degrees of an ENU point, when the site frame is known. */
static void set_latlon(const lo_picture *pic, json_t *obj, const double enu[3], bool with_alt)
{
    if (!pic->has_site) return;
    lo_geodetic g;
    lo_enu_to_geodetic(&pic->frame, enu, &g);
    set(obj, "lat_deg", jreal(g.lat * LO_RAD2DEG, 7));
    set(obj, "lon_deg", jreal(g.lon * LO_RAD2DEG, 7));
    if (with_alt) set(obj, "alt_m", jreal(g.h, 1));
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

static json_t *impact_json(const lo_picture *pic, const lo_alert *a)
{
    json_t *o = json_object();
    double enu[3] = {a->impact_enu[0], a->impact_enu[1], 0.0};
    set(o, "enu_m", jvec(enu, 2, 1));
    set_latlon(pic, o, enu, false);
    set(o, "cov_m2", jvec(a->impact_cov, 4, 1));
    double major, minor, orient;
    lo_picture_ellipse95(a->impact_cov, &major, &minor, &orient);
    json_t *ell = json_object();
    set(ell, "semi_major_m", jreal(major, 1));
    set(ell, "semi_minor_m", jreal(minor, 1));
    set(ell, "orientation_deg", jreal(orient * LO_RAD2DEG, 1));
    set(ell, "confidence", json_real(0.95));
    set(o, "ellipse95", ell);
    return o;
}

/* Time to entry as of the picture's clock: the alert's estimate aged by the time since. */
static double tte_now(const lo_picture *pic, const lo_alert *a)
{
    if (!(a->time_to_entry_s >= 0)) return -1;
    double left = a->time_to_entry_s - (pic->clock - a->t);
    return left < 0 ? 0 : left;
}

static json_t *alert_json(const lo_picture *pic, const lo_alert *a)
{
    json_t *o = json_object();
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)a->alert_id);
    set(o, "id", json_string(id)); /* a string: JavaScript numbers stop at 2^53 */
    set(o, "track_id", json_integer(a->track_id));
    set(o, "zone", json_string(a->zone_name));
    set(o, "zone_index", json_integer(a->zone_index));
    set(o, "level", json_string(lo_alert_level_name(a->level)));
    set(o, "transition", json_string(lo_alert_transition_name(a->transition)));
    set(o, "active", json_boolean(a->transition != LO_ALERT_CLEARED));
    set(o, "t_s", jreal(a->t, 3));
    set(o, "class", json_string(lo_class_name(a->cls)));
    set(o, "group", json_string(lo_class_group_name(lo_class_group_of(a->cls))));
    set(o, "class_conf", jreal(a->class_confidence, 3));
    set(o, "distance_m", jreal(a->distance_m, 1));
    if (a->time_to_entry_s >= 0) {
        set(o, "time_to_entry_s", jreal(a->time_to_entry_s, 1));
        set(o, "time_to_entry_sigma_s", jreal(a->time_to_entry_sigma_s, 1));
        set(o, "time_to_entry_now_s", jreal(tte_now(pic, a), 1));
    } else {
        set(o, "time_to_entry_s", json_null());
    }
    set(o, "reason", json_string(a->reason));
    if (a->has_impact) set(o, "impact", impact_json(pic, a));
    return o;
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

static json_t *track_json(const lo_picture *pic, const track_entry *e, const lo_alert *alert,
                          bool with_trail)
{
    const lo_track *tr = &e->tr;
    json_t *o = json_object();
    set(o, "id", json_integer(tr->id));
    set(o, "status", json_string(lo_track_status_name(tr->status)));
    double conf;
    lo_class c = best_class(tr, &conf);
    set(o, "class", json_string(lo_class_name(c)));
    set(o, "group", json_string(lo_class_group_name(lo_class_group_of(c))));
    set(o, "class_conf", jreal(conf, 3));
    json_t *probs = json_object();
    for (int k = 0; k < LO_CLASS_COUNT; k++)
        if (tr->class_prob[k] >= 0.0005) set(probs, lo_class_name((lo_class)k), jreal(tr->class_prob[k], 3));
    set(o, "class_prob", probs);
    set(o, "t_s", jreal(tr->t, 3));
    set(o, "age_s", jreal(tr->t - tr->t_first, 1));
    set(o, "enu_m", jvec(tr->pos, 3, 1));
    set_latlon(pic, o, tr->pos, true);
    set(o, "height_m", jreal(tr->pos[2], 1));
    set(o, "vel_mps", jvec(tr->vel, 3, 2));
    set(o, "speed_mps", jreal(hypot(tr->vel[0], tr->vel[1]), 1));
    set(o, "heading_deg", jreal(deg_bearing(tr->vel[0], tr->vel[1]), 1));
    set(o, "climb_mps", jreal(tr->vel[2], 1));
    set(o, "n_updates", json_integer(tr->n_updates));
    if (tr->last_flags & LO_PLOT_MODE_S) {
        char hex[8];
        snprintf(hex, sizeof hex, "%06X", tr->mode_s_address & 0xFFFFFFu);
        set(o, "mode_s", json_string(hex));
    }
    if (alert) {
        json_t *al = json_object();
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)alert->alert_id);
        set(al, "id", json_string(id));
        set(al, "level", json_string(lo_alert_level_name(alert->level)));
        set(al, "zone", json_string(alert->zone_name));
        if (alert->time_to_entry_s >= 0) set(al, "time_to_entry_now_s", jreal(tte_now(pic, alert), 1));
        set(o, "alert", al);
        if (alert->has_impact) set(o, "impact", impact_json(pic, alert));
    }
    if (with_trail) {
        json_t *trail = json_array();
        for (int i = 0; i < e->trail_len; i++) {
            const trail_point *p = &e->trail[(e->trail_head + i) % pic->trail_cap];
            json_t *pt = json_array();
            json_array_append_new(pt, jreal(p->e, 1));
            json_array_append_new(pt, jreal(p->n, 1));
            json_array_append_new(pt, jreal(p->u, 1));
            json_array_append_new(pt, jreal(p->t, 2));
            json_array_append_new(trail, pt);
        }
        set(o, "trail", trail);
    }
    return o;
}

static json_t *zone_json(const lo_picture *pic, const lo_zone *z)
{
    json_t *o = json_object();
    set(o, "name", json_string(z->name));
    set(o, "shape", json_string(z->shape == LO_ZONE_CIRCLE ? "circle" : "polygon"));
    set(o, "priority", json_integer(z->priority));
    set(o, "alt_min_m", jreal(z->alt_min_m, 1));
    set(o, "alt_max_m", jreal(z->alt_max_m, 1));
    if (z->shape == LO_ZONE_CIRCLE) {
        set(o, "center_enu_m", jvec(z->center_enu, 2, 1));
        set(o, "center_lat_deg", jreal(z->center_lat * LO_RAD2DEG, 7));
        set(o, "center_lon_deg", jreal(z->center_lon * LO_RAD2DEG, 7));
        set(o, "radius_m", jreal(z->radius_m, 1));
    } else {
        json_t *v = json_array();
        int n = z->n_vertices < LO_ZONE_MAX_VERTICES ? z->n_vertices : LO_ZONE_MAX_VERTICES;
        for (int i = 0; i < n; i++) json_array_append_new(v, jvec(z->vertex_enu[i], 2, 1));
        set(o, "vertices_enu_m", v);
    }
    (void)pic;
    return o;
}

static json_t *site_json(const lo_picture *pic)
{
    json_t *o = json_object();
    set(o, "name", json_string(pic->site_name));
    set(o, "lat_deg", jreal(pic->frame.origin.lat * LO_RAD2DEG, 7));
    set(o, "lon_deg", jreal(pic->frame.origin.lon * LO_RAD2DEG, 7));
    set(o, "h_m", jreal(pic->frame.origin.h, 1));
    json_t *sensors = json_array();
    for (int i = 0; i < pic->n_sensors; i++) {
        const sensor_info *s = &pic->sensors[i];
        json_t *so = json_object();
        set(so, "name", json_string(s->name));
        set(so, "id", json_integer(s->id));
        set(so, "enu_m", jvec(s->enu, 3, 1));
        set(so, "lat_deg", jreal(s->lat * LO_RAD2DEG, 7));
        set(so, "lon_deg", jreal(s->lon * LO_RAD2DEG, 7));
        set(so, "max_range_m", jreal(s->max_range_m, 0));
        json_array_append_new(sensors, so);
    }
    set(o, "sensors", sensors);
    return o;
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

json_t *lo_picture_json(lo_picture *pic, unsigned parts)
{
    json_t *root = json_object();
    if (!root) return NULL;
    pthread_mutex_lock(&pic->lock);
    if (parts & LO_PIC_STATUS) {
        char iso[48];
        iso_time(pic->clock, iso, sizeof iso);
        set(root, "clock_s", jreal(pic->clock, 3));
        set(root, "clock_utc", json_string(iso));
        set(root, "status", json_string(pic->status));
        set(root, "version", json_integer((json_int_t)pic->version));
        lo_picture_stats st;
        stats_locked(pic, &st);
        json_t *c = json_object();
        set(c, "tracks", json_integer((json_int_t)st.n_tracks));
        set(c, "tentative", json_integer((json_int_t)st.n_tracks_by_status[LO_TRACK_TENTATIVE]));
        set(c, "confirmed", json_integer((json_int_t)st.n_tracks_by_status[LO_TRACK_CONFIRMED]));
        set(c, "coasting", json_integer((json_int_t)st.n_tracks_by_status[LO_TRACK_COASTING]));
        set(c, "alarms", json_integer((json_int_t)st.n_alerts_by_level[LO_ALERT_ALARM]));
        set(c, "warnings", json_integer((json_int_t)st.n_alerts_by_level[LO_ALERT_WARNING]));
        set(c, "infos", json_integer((json_int_t)st.n_alerts_by_level[LO_ALERT_INFO]));
        set(c, "plots_in", json_integer((json_int_t)st.plots_in));
        set(c, "dropped", json_integer((json_int_t)st.dropped));
        set(root, "counts", c);
    }
    if (parts & LO_PIC_SITE) {
        if (pic->has_site) set(root, "site", site_json(pic));
        json_t *zones = json_array();
        for (int i = 0; i < pic->n_zones; i++) json_array_append_new(zones, zone_json(pic, &pic->zones[i]));
        set(root, "zones", zones);
    }
    if (parts & LO_PIC_TRACKS) {
        /* Each track's alert: one pass over the alerts, a binary search per alert. */
        const lo_alert **best = calloc(pic->n_tracks ? pic->n_tracks : 1, sizeof *best);
        if (best)
            for (size_t i = 0; i < pic->n_alerts; i++) {
                const lo_alert *a = &pic->alerts[i];
                if (a->transition == LO_ALERT_CLEARED) continue;
                long at = find_track(pic, a->track_id);
                if (at >= 0 && alert_beats(a, best[at])) best[at] = a;
            }
        json_t *tracks = json_array();
        for (size_t i = 0; i < pic->n_tracks; i++)
            json_array_append_new(tracks, track_json(pic, pic->tracks[i], best ? best[i] : NULL,
                                                     (parts & LO_PIC_TRAILS) != 0));
        free(best);
        set(root, "tracks", tracks);
    }
    if (parts & LO_PIC_ALERTS) {
        json_t *alerts = json_array();
        for (size_t i = 0; i < pic->n_alerts; i++)
            json_array_append_new(alerts, alert_json(pic, &pic->alerts[i]));
        set(root, "alerts", alerts);
    }
    pthread_mutex_unlock(&pic->lock);
    return root;
}

char *lo_picture_json_string(lo_picture *pic, unsigned parts)
{
    json_t *j = lo_picture_json(pic, parts);
    if (!j) return NULL;
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    return s;
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
    if (extra) fputs(extra, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
