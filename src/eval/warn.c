/*
 * Warning figures (eval.h, "warning figures"): the classifier's confusion matrix at fixed
 * track ages, warning time per threat against the ideal, and false alarms per hour.
 *
 * It builds on a finished lo_eval: the truth samples, each object's first detectability
 * (t_detect) and each track's dominant truth object come from there, so the two agree on who
 * is who. What it keeps itself is small: per track the class it had at each age, and per alert
 * id the first time it reached alarm (and the predicted impact point then).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/config.h"
#include "lookout/eval.h"

const double lo_warn_ages_s[LO_WARN_N_AGES] = {5.0, 10.0, 30.0};

/* Per track: the predicted class at each age, once reached. */
typedef struct track_ages {
    uint32_t track_id;          /* 0: empty slot */
    uint8_t reached;            /* bit a: age a recorded */
    uint8_t cls[LO_WARN_N_AGES];
    float first_group_age[LO_GROUP_COUNT]; /* track age at which each group was first the
                                              argmax's group (NAN: never), confirmed reports */
} track_ages;

/* Per alert id: its zone and track, the first time it was at any level and at alarm. */
typedef struct alert_rec {
    uint64_t alert_id;
    uint32_t track_id;
    int zone_index;
    double t_first;
    double t_alarm;             /* NAN if never */
    bool has_impact;            /* the predicted impact point at t_alarm */
    double impact[2];
} alert_rec;

struct lo_warn_eval {
    track_ages *ages;           /* open addressing on track_id, power-of-two capacity */
    size_t ages_cap, ages_n;
    alert_rec *alerts;
    size_t alerts_n, alerts_cap;
    lo_warn_summary summary;
    lo_warn_threat *threats;
    int n_threats;
    lo_warn_false_alarm *false_alarms;
    int n_false_alarms;
    double *delays[LO_CLASS_COUNT]; /* per truth class, sorted: ages at the right group */
};

lo_warn_eval *lo_warn_eval_new(void) { return calloc(1, sizeof(lo_warn_eval)); }

void lo_warn_eval_free(lo_warn_eval *w)
{
    if (!w) return;
    free(w->ages);
    free(w->alerts);
    free(w->threats);
    free(w->false_alarms);
    for (int c = 0; c < LO_CLASS_COUNT; c++) free(w->delays[c]);
    free(w);
}

static size_t slot_of(const track_ages *t, size_t cap, uint32_t id)
{
    size_t h = (id * 2654435761u) & (cap - 1);
    while (t[h].track_id && t[h].track_id != id) h = (h + 1) & (cap - 1);
    return h;
}

static track_ages *ages_entry(lo_warn_eval *w, uint32_t id)
{
    if ((w->ages_n + 1) * 2 > w->ages_cap) {
        size_t cap = w->ages_cap ? w->ages_cap * 2 : 256;
        track_ages *t = calloc(cap, sizeof *t);
        if (!t) return NULL;
        for (size_t i = 0; i < w->ages_cap; i++)
            if (w->ages[i].track_id) t[slot_of(t, cap, w->ages[i].track_id)] = w->ages[i];
        free(w->ages);
        w->ages = t;
        w->ages_cap = cap;
    }
    track_ages *e = &w->ages[slot_of(w->ages, w->ages_cap, id)];
    if (!e->track_id) {
        e->track_id = id;
        for (int g = 0; g < LO_GROUP_COUNT; g++) e->first_group_age[g] = NAN;
        w->ages_n++;
    }
    return e;
}

static lo_class argmax_class(const double p[LO_CLASS_COUNT])
{
    lo_class best = LO_CLASS_UNKNOWN;
    double best_p = 0;
    for (int c = 1; c < LO_CLASS_COUNT; c++)
        if (p[c] > best_p) {
            best_p = p[c];
            best = (lo_class)c;
        }
    return best;
}

int lo_warn_eval_add_track(lo_warn_eval *w, const lo_track *k)
{
    if (!k->id || k->t_confirmed <= 0) return 0;
    if (k->status != LO_TRACK_CONFIRMED && k->status != LO_TRACK_COASTING) return 0;
    double age = k->t - k->t_confirmed;
    track_ages *e = ages_entry(w, k->id);
    if (!e) return -1;
    lo_class_group g = lo_class_group_of(argmax_class(k->class_prob));
    if (isnan(e->first_group_age[g])) e->first_group_age[g] = (float)(age > 0 ? age : 0);
    for (int a = 0; a < LO_WARN_N_AGES; a++)
        if (!(e->reached & (1u << a)) && age >= lo_warn_ages_s[a]) {
            e->reached |= (uint8_t)(1u << a);
            e->cls[a] = (uint8_t)argmax_class(k->class_prob);
        }
    return 0;
}

int lo_warn_eval_add_alert(lo_warn_eval *w, const lo_alert *a)
{
    alert_rec *r = NULL;
    /* Transitions of one alert usually come together: look back a little before appending. */
    for (size_t i = w->alerts_n, k = 0; i > 0 && k < 64; i--, k++)
        if (w->alerts[i - 1].alert_id == a->alert_id) {
            r = &w->alerts[i - 1];
            break;
        }
    if (!r) {
        for (size_t i = 0; i + 64 < w->alerts_n && !r; i++)
            if (w->alerts[i].alert_id == a->alert_id) r = &w->alerts[i];
    }
    if (!r) {
        if (w->alerts_n == w->alerts_cap) {
            size_t cap = w->alerts_cap ? w->alerts_cap * 2 : 64;
            alert_rec *n = realloc(w->alerts, cap * sizeof *n);
            if (!n) return -1;
            w->alerts = n;
            w->alerts_cap = cap;
        }
        r = &w->alerts[w->alerts_n++];
        *r = (alert_rec){.alert_id = a->alert_id, .track_id = a->track_id,
                         .zone_index = a->zone_index, .t_first = a->t, .t_alarm = NAN};
    }
    if (a->t < r->t_first) r->t_first = a->t;
    if (a->level == LO_ALERT_ALARM && a->transition != LO_ALERT_CLEARED &&
        (isnan(r->t_alarm) || a->t < r->t_alarm)) {
        r->t_alarm = a->t;
        r->has_impact = a->has_impact;
        r->impact[0] = a->impact_enu[0];
        r->impact[1] = a->impact_enu[1];
    }
    return 0;
}

/* ---- the run --------------------------------------------------------------------------- */

static int cmp_track_stats_id(const void *a, const void *b)
{
    const lo_eval_track_stats *x = a, *y = b;
    return (x->track_id > y->track_id) - (x->track_id < y->track_id);
}

static const lo_eval_track_stats *find_track(const lo_eval_track_stats *s, int n, uint32_t id)
{
    lo_eval_track_stats key = {.track_id = id};
    return bsearch(&key, s, (size_t)n, sizeof *s, cmp_track_stats_id);
}

static const lo_eval_truth_stats *find_truth(const lo_eval_truth_stats *s, int n, uint32_t id)
{
    for (int i = 0; i < n; i++) /* a few hundred objects at most: a scan is fine */
        if (s[i].truth_id == id) return &s[i];
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_truth_id_time(const void *a, const void *b)
{
    const lo_truth *x = *(const lo_truth *const *)a, *y = *(const lo_truth *const *)b;
    if (x->truth_id != y->truth_id) return (x->truth_id > y->truth_id) - (x->truth_id < y->truth_id);
    return (x->t > y->t) - (x->t < y->t);
}

/* Inside the zone for the evaluation: the footprint, and no higher than the band's top. The
 * band's floor is left out: below it is the ground (a frame offset: green-zone's 0 m is the
 * antenna, its ground is 10 m lower), and a drone diving onto the roof has arrived. */
static bool in_zone(const lo_zone *z, const double p[3])
{
    return p[2] <= z->alt_max_m && lo_zone_contains_xy(z, p);
}

/* Only drones and rockets threaten (what the alert rules alarm for); a bird, aircraft or car
 * crossing a zone is no threat, and an alarm for it is a false alarm. */
static bool threat_class(lo_class c)
{
    lo_class_group g = lo_class_group_of(c);
    return g == LO_GROUP_DRONE || g == LO_GROUP_ROCKET;
}

/* The time the straight segment a -> b first enters zone z (b inside, a not): bisection. */
static double entry_time(const lo_zone *z, const lo_truth *a, const lo_truth *b)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 20; i++) {
        double m = (lo + hi) / 2, p[3];
        for (int k = 0; k < 3; k++) p[k] = a->pos[k] + m * (b->pos[k] - a->pos[k]);
        if (in_zone(z, p)) hi = m;
        else lo = m;
    }
    return a->t + hi * (b->t - a->t);
}

static int add_threat(lo_warn_eval *w, size_t *cap, const lo_warn_threat *t)
{
    if ((size_t)w->n_threats == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        lo_warn_threat *n = realloc(w->threats, c * sizeof *n);
        if (!n) return -1;
        w->threats = n;
        *cap = c;
    }
    w->threats[w->n_threats++] = *t;
    return 0;
}

/* Threats from the truth paths: entries into zone volumes; for rockets, the impact point. */
static int find_threats(lo_warn_eval *w, const lo_eval *e, const lo_zone *zones, int n_zones)
{
    size_t n;
    const lo_truth *samples = lo_eval_truth_samples(e, &n);
    int n_truths;
    const lo_eval_truth_stats *truths = lo_eval_get_truths(e, &n_truths);
    const lo_truth **by_object = malloc((n ? n : 1) * sizeof *by_object);
    if (!by_object) return -1;
    for (size_t i = 0; i < n; i++) by_object[i] = &samples[i];
    qsort(by_object, n, sizeof *by_object, cmp_truth_id_time);
    size_t cap = 0;
    int rc = 0;
    for (size_t first = 0; first < n && rc == 0;) {
        size_t last = first;
        while (last + 1 < n && by_object[last + 1]->truth_id == by_object[first]->truth_id) last++;
        const lo_truth *end = by_object[last];
        const lo_eval_truth_stats *ts = find_truth(truths, n_truths, end->truth_id);
        for (int z = 0; z < n_zones && rc == 0 && threat_class(end->cls); z++) {
            lo_warn_threat t = {.truth_id = end->truth_id, .cls = end->cls, .zone_index = z,
                                .t_threat = NAN, .t_first_alert = NAN, .t_first_alarm = NAN,
                                .warning_s = NAN, .impact_error_m = NAN};
            if (end->cls == LO_CLASS_ROCKET) {
                /* Ballistic: what matters is where it comes down, its last sample. */
                if (!lo_zone_contains_xy(&zones[z], end->pos)) continue;
                t.by_impact = true;
                t.t_threat = end->t;
            } else {
                for (size_t i = first; i <= last; i++)
                    if (in_zone(&zones[z], by_object[i]->pos)) {
                        t.t_threat = i == first ? by_object[i]->t
                                                : entry_time(&zones[z], by_object[i - 1], by_object[i]);
                        break;
                    }
                if (isnan(t.t_threat)) continue;
            }
            t.t_detect = ts ? ts->t_detect : NAN;
            t.ideal_s = t.t_threat - t.t_detect; /* NAN when never detectable */
            rc = add_threat(w, &cap, &t);
        }
        first = last + 1;
    }
    free(by_object);
    return rc;
}

static lo_warn_threat *threat_of(lo_warn_eval *w, uint32_t truth_id, int zone)
{
    for (int i = 0; i < w->n_threats; i++)
        if (w->threats[i].truth_id == truth_id && w->threats[i].zone_index == zone)
            return &w->threats[i];
    return NULL;
}

static bool threatens_any(const lo_warn_eval *w, uint32_t truth_id)
{
    for (int i = 0; i < w->n_threats; i++)
        if (w->threats[i].truth_id == truth_id) return true;
    return false;
}

static int cmp_alert_time(const void *a, const void *b)
{
    const alert_rec *x = a, *y = b;
    if (x->t_first != y->t_first) return (x->t_first > y->t_first) - (x->t_first < y->t_first);
    return (x->alert_id > y->alert_id) - (x->alert_id < y->alert_id);
}

int lo_warn_eval_run(lo_warn_eval *w, const lo_eval *e, const lo_zone *zones, int n_zones)
{
    free(w->threats);
    free(w->false_alarms);
    w->threats = NULL;
    w->false_alarms = NULL;
    w->n_threats = w->n_false_alarms = 0;
    lo_warn_summary *s = &w->summary;
    memset(s, 0, sizeof *s);

    int n_tracks, n_truths;
    const lo_eval_track_stats *tracks_in = lo_eval_get_tracks(e, &n_tracks);
    const lo_eval_truth_stats *truths = lo_eval_get_truths(e, &n_truths);
    lo_eval_track_stats *tracks = malloc((n_tracks > 0 ? (size_t)n_tracks : 1) * sizeof *tracks);
    if (!tracks) return -1;
    if (n_tracks > 0) memcpy(tracks, tracks_in, (size_t)n_tracks * sizeof *tracks);
    qsort(tracks, (size_t)n_tracks, sizeof *tracks, cmp_track_stats_id);

    /* Confusion matrices. */
    for (size_t i = 0; i < w->ages_cap; i++) {
        const track_ages *a = &w->ages[i];
        if (!a->track_id) continue;
        const lo_eval_track_stats *ts = find_track(tracks, n_tracks, a->track_id);
        const lo_eval_truth_stats *tr =
            ts && ts->dominant_truth ? find_truth(truths, n_truths, ts->dominant_truth) : NULL;
        lo_class truth = tr ? tr->cls : LO_CLASS_CLUTTER;
        for (int k = 0; k < LO_WARN_N_AGES; k++)
            if (a->reached & (1u << k)) {
                s->confusion[k][truth][a->cls[k]]++;
                s->n_at_age[k]++;
            }
    }
    /* Time to the right group after confirmation, per truth class. */
    double **delays = w->delays;
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        free(delays[c]);
        delays[c] = NULL;
    }
    for (size_t i = 0; i < w->ages_cap; i++) {
        const track_ages *a = &w->ages[i];
        if (!a->track_id) continue;
        const lo_eval_track_stats *ts = find_track(tracks, n_tracks, a->track_id);
        const lo_eval_truth_stats *tr =
            ts && ts->dominant_truth ? find_truth(truths, n_truths, ts->dominant_truth) : NULL;
        lo_class truth = tr ? tr->cls : LO_CLASS_CLUTTER;
        lo_warn_class_delay *d = &s->delay[truth];
        double age = a->first_group_age[lo_class_group_of(truth)];
        if (!delays[truth]) delays[truth] = malloc(w->ages_n * sizeof(double));
        if (!delays[truth]) continue;
        d->n_tracks++;
        if (!isnan(age)) delays[truth][d->n_classified++] = age;
    }
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        lo_warn_class_delay *d = &s->delay[c];
        d->median_s = d->max_s = NAN;
        if (d->n_classified > 0) {
            qsort(delays[c], (size_t)d->n_classified, sizeof(double), cmp_double);
            d->median_s = delays[c][d->n_classified / 2];
            d->max_s = delays[c][d->n_classified - 1];
        }
    }

    for (int k = 0; k < LO_WARN_N_AGES; k++) {
        long right = 0, group_right = 0;
        for (int t = 0; t < LO_CLASS_COUNT; t++)
            for (int p = 0; p < LO_CLASS_COUNT; p++) {
                if (t == p) right += s->confusion[k][t][p];
                if (lo_class_group_of((lo_class)t) == lo_class_group_of((lo_class)p))
                    group_right += s->confusion[k][t][p];
            }
        s->class_correct[k] = s->n_at_age[k] ? (double)right / s->n_at_age[k] : NAN;
        s->group_correct[k] = s->n_at_age[k] ? (double)group_right / s->n_at_age[k] : NAN;
    }

    int rc = find_threats(w, e, zones, n_zones);
    if (rc) {
        free(tracks);
        return -1;
    }

    /* Alerts in time order, each attributed to its track's object. */
    if (w->alerts_n) qsort(w->alerts, w->alerts_n, sizeof *w->alerts, cmp_alert_time);
    s->n_alerts = (int)w->alerts_n;
    size_t fa_cap = 0;
    for (size_t i = 0; i < w->alerts_n; i++) {
        const alert_rec *r = &w->alerts[i];
        const lo_eval_track_stats *ts = find_track(tracks, n_tracks, r->track_id);
        uint32_t obj = ts ? ts->dominant_truth : 0;
        lo_warn_threat *t = obj ? threat_of(w, obj, r->zone_index) : NULL;
        if (t) {
            if (isnan(t->t_first_alert) || r->t_first < t->t_first_alert) t->t_first_alert = r->t_first;
            if (!isnan(r->t_alarm) && (isnan(t->t_first_alarm) || r->t_alarm < t->t_first_alarm)) {
                t->t_first_alarm = r->t_alarm;
                t->alarm_track_id = r->track_id;
                t->impact_error_m = NAN;
                if (t->by_impact && r->has_impact) {
                    size_t ns;
                    const lo_truth *smp = lo_eval_truth_samples(e, &ns);
                    const lo_truth *end = NULL; /* the object's last sample: its impact */
                    for (size_t j = 0; j < ns; j++)
                        if (smp[j].truth_id == obj && (!end || smp[j].t >= end->t)) end = &smp[j];
                    if (end)
                        t->impact_error_m = hypot(r->impact[0] - end->pos[0], r->impact[1] - end->pos[1]);
                }
            }
            continue;
        }
        if (isnan(r->t_alarm)) continue;
        if (obj && threatens_any(w, obj)) {
            s->off_zone_alarms++;
            continue;
        }
        if ((size_t)w->n_false_alarms == fa_cap) {
            size_t c = fa_cap ? fa_cap * 2 : 16;
            lo_warn_false_alarm *n = realloc(w->false_alarms, c * sizeof *n);
            if (!n) {
                free(tracks);
                return -1;
            }
            w->false_alarms = n;
            fa_cap = c;
        }
        const lo_eval_truth_stats *tr = obj ? find_truth(truths, n_truths, obj) : NULL;
        w->false_alarms[w->n_false_alarms++] = (lo_warn_false_alarm){
            .alert_id = r->alert_id, .track_id = r->track_id, .truth_id = obj,
            .truth_cls = tr ? tr->cls : LO_CLASS_CLUTTER, .zone_index = r->zone_index,
            .t = r->t_alarm};
    }
    free(tracks);

    s->n_threats = w->n_threats;
    s->warning_share_min = s->warning_share_mean = NAN;
    double share_sum = 0;
    int n_share = 0;
    for (int i = 0; i < w->n_threats; i++) {
        lo_warn_threat *t = &w->threats[i];
        if (isnan(t->t_first_alarm)) continue;
        s->n_threats_alarmed++;
        t->warning_s = t->t_threat - t->t_first_alarm;
        if (t->ideal_s > 0) {
            double share = t->warning_s / t->ideal_s;
            share_sum += share;
            if (n_share == 0 || share < s->warning_share_min) s->warning_share_min = share;
            n_share++;
        }
    }
    if (n_share) s->warning_share_mean = share_sum / n_share;
    s->false_alarms = w->n_false_alarms;
    s->duration_h = lo_eval_get_summary(e)->duration_h;
    s->false_alarms_per_hour = s->duration_h > 0 ? s->false_alarms / s->duration_h : NAN;
    return 0;
}

const lo_warn_summary *lo_warn_eval_get_summary(const lo_warn_eval *w) { return &w->summary; }

const lo_warn_threat *lo_warn_eval_get_threats(const lo_warn_eval *w, int *n)
{
    *n = w->n_threats;
    return w->threats;
}

const double *lo_warn_eval_get_class_delays(const lo_warn_eval *w, lo_class truth, int *n)
{
    *n = truth >= 0 && truth < LO_CLASS_COUNT && w->delays[truth] ? w->summary.delay[truth].n_classified : 0;
    return *n ? w->delays[truth] : NULL;
}

const lo_warn_false_alarm *lo_warn_eval_get_false_alarms(const lo_warn_eval *w, int *n)
{
    *n = w->n_false_alarms;
    return w->false_alarms;
}

/* ---- reports --------------------------------------------------------------------------- */

static const char *zone_name(const lo_zone *zones, int n_zones, int z, char *buf, size_t len)
{
    if (zones && z >= 0 && z < n_zones) return zones[z].name;
    snprintf(buf, len, "zone %d", z);
    return buf;
}

static void print_seconds(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, " %9.1f", v);
    else fprintf(f, " %9s", "-");
}

int lo_warn_eval_print_table(const lo_warn_eval *w, const lo_zone *zones, int n_zones, FILE *f)
{
    const lo_warn_summary *s = &w->summary;
    fprintf(f, "\nClassification (confirmed tracks; rows truth class, columns argmax class_prob)\n");
    for (int k = 0; k < LO_WARN_N_AGES; k++) {
        fprintf(f, "  at track age %.0f s: %ld tracks", lo_warn_ages_s[k], s->n_at_age[k]);
        if (s->n_at_age[k] == 0) {
            fprintf(f, "\n");
            continue;
        }
        fprintf(f, ", class right %.1f%%, group right %.1f%%\n", 100 * s->class_correct[k],
                100 * s->group_correct[k]);
        bool col_used[LO_CLASS_COUNT] = {false};
        for (int t = 0; t < LO_CLASS_COUNT; t++)
            for (int p = 0; p < LO_CLASS_COUNT; p++)
                if (s->confusion[k][t][p]) col_used[p] = col_used[t] = true;
        fprintf(f, "    %-15s", "truth \\ class");
        for (int p = 0; p < LO_CLASS_COUNT; p++)
            if (col_used[p]) fprintf(f, " %10.10s", lo_class_name((lo_class)p));
        fprintf(f, "   recall\n");
        for (int t = 0; t < LO_CLASS_COUNT; t++) {
            long row = 0;
            for (int p = 0; p < LO_CLASS_COUNT; p++) row += s->confusion[k][t][p];
            if (!row) continue;
            fprintf(f, "    %-15s", lo_class_name((lo_class)t));
            for (int p = 0; p < LO_CLASS_COUNT; p++)
                if (col_used[p]) fprintf(f, " %10ld", s->confusion[k][t][p]);
            fprintf(f, "   %5.1f%%\n", 100.0 * s->confusion[k][t][t] / row);
        }
    }
    fprintf(f, "  time from confirmation to the right class group (per truth class):\n");
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        const lo_warn_class_delay *d = &s->delay[c];
        if (!d->n_tracks) continue;
        fprintf(f, "    %-15s %5d of %5d tracks", lo_class_name((lo_class)c), d->n_classified,
                d->n_tracks);
        if (d->n_classified) fprintf(f, ", median %.1f s, max %.1f s", d->median_s, d->max_s);
        fprintf(f, "\n");
    }
    fprintf(f, "\nWarnings (%d alerts; %d threats: objects entering a zone or impacting in it)\n",
            s->n_alerts, s->n_threats);
    if (w->n_threats) {
        fprintf(f, "  %-8s %-14s %-12s %-7s %9s %9s %9s %9s %6s %9s\n", "object", "class", "zone",
                "kind", "threat_t", "alarm_at", "warning", "ideal", "share", "impact_e");
        for (int i = 0; i < w->n_threats; i++) {
            const lo_warn_threat *t = &w->threats[i];
            char buf[32];
            fprintf(f, "  %-8u %-14s %-12.12s %-7s", t->truth_id, lo_class_name(t->cls),
                    zone_name(zones, n_zones, t->zone_index, buf, sizeof buf),
                    t->by_impact ? "impact" : "entry");
            double t0 = isfinite(t->t_detect) ? t->t_detect : t->t_threat;
            print_seconds(f, t->t_threat - t0);
            print_seconds(f, t->t_first_alarm - t0);
            print_seconds(f, t->warning_s);
            print_seconds(f, t->ideal_s);
            if (isfinite(t->warning_s) && t->ideal_s > 0)
                fprintf(f, " %5.0f%%", 100 * t->warning_s / t->ideal_s);
            else
                fprintf(f, " %6s", "-");
            if (isfinite(t->impact_error_m)) fprintf(f, " %7.0f m\n", t->impact_error_m);
            else fprintf(f, " %9s\n", "-");
        }
        fprintf(f, "  (threat_t and alarm_at in seconds after the object became detectable)\n");
    }
    fprintf(f, "  threats alarmed        %d of %d\n", s->n_threats_alarmed, s->n_threats);
    if (isfinite(s->warning_share_mean))
        fprintf(f, "  warning / ideal        %.0f%% mean, %.0f%% worst\n",
                100 * s->warning_share_mean, 100 * s->warning_share_min);
    fprintf(f, "  false alarms           %d", s->false_alarms);
    if (isfinite(s->false_alarms_per_hour)) fprintf(f, " (%.1f per hour)", s->false_alarms_per_hour);
    fprintf(f, "; %d more alarms for threatening objects, for zones they do not threaten\n",
            s->off_zone_alarms);
    for (int i = 0; i < w->n_false_alarms; i++) {
        const lo_warn_false_alarm *a = &w->false_alarms[i];
        char buf[32];
        fprintf(f, "    alert %llu track %u (%s %u) %s\n", (unsigned long long)a->alert_id,
                a->track_id, lo_class_name(a->truth_cls), a->truth_id,
                zone_name(zones, n_zones, a->zone_index, buf, sizeof buf));
    }
    return ferror(f) ? -1 : 0;
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

int lo_warn_eval_write_json(const lo_warn_eval *w, const lo_zone *zones, int n_zones, FILE *f)
{
    const lo_warn_summary *s = &w->summary;
    json_t *root = json_object();
    json_t *conf = json_array();
    for (int k = 0; k < LO_WARN_N_AGES; k++) {
        json_t *age = json_object();
        json_object_set_new(age, "age_s", json_real(lo_warn_ages_s[k]));
        json_object_set_new(age, "tracks", json_integer(s->n_at_age[k]));
        json_object_set_new(age, "class_correct", num(s->class_correct[k]));
        json_object_set_new(age, "group_correct", num(s->group_correct[k]));
        json_t *m = json_object();
        for (int t = 0; t < LO_CLASS_COUNT; t++) {
            json_t *row = json_object();
            long n = 0;
            for (int p = 0; p < LO_CLASS_COUNT; p++)
                if (s->confusion[k][t][p]) {
                    json_object_set_new(row, lo_class_name((lo_class)p),
                                        json_integer(s->confusion[k][t][p]));
                    n += s->confusion[k][t][p];
                }
            if (n) json_object_set_new(m, lo_class_name((lo_class)t), row);
            else json_decref(row);
        }
        json_object_set_new(age, "matrix", m);
        json_array_append_new(conf, age);
    }
    json_object_set_new(root, "confusion", conf);
    json_t *delay = json_object();
    for (int c = 0; c < LO_CLASS_COUNT; c++) {
        const lo_warn_class_delay *d = &s->delay[c];
        if (!d->n_tracks) continue;
        json_t *o = json_object();
        json_object_set_new(o, "tracks", json_integer(d->n_tracks));
        json_object_set_new(o, "classified", json_integer(d->n_classified));
        json_object_set_new(o, "median_s", num(d->median_s));
        json_object_set_new(o, "max_s", num(d->max_s));
        json_t *ages = json_array();
        for (int i = 0; i < d->n_classified; i++) json_array_append_new(ages, json_real(w->delays[c][i]));
        json_object_set_new(o, "ages_s", ages);
        json_object_set_new(delay, lo_class_name((lo_class)c), o);
    }
    json_object_set_new(root, "time_to_class", delay);
    json_t *threats = json_array();
    for (int i = 0; i < w->n_threats; i++) {
        const lo_warn_threat *t = &w->threats[i];
        char buf[32];
        json_t *o = json_object();
        json_object_set_new(o, "truth_id", json_integer(t->truth_id));
        json_object_set_new(o, "class", json_string(lo_class_name(t->cls)));
        json_object_set_new(o, "zone", json_string(zone_name(zones, n_zones, t->zone_index, buf, sizeof buf)));
        json_object_set_new(o, "zone_index", json_integer(t->zone_index));
        json_object_set_new(o, "kind", json_string(t->by_impact ? "impact" : "entry"));
        json_object_set_new(o, "t_threat", num(t->t_threat));
        json_object_set_new(o, "t_detect", num(t->t_detect));
        json_object_set_new(o, "t_first_alert", num(t->t_first_alert));
        json_object_set_new(o, "t_first_alarm", num(t->t_first_alarm));
        json_object_set_new(o, "alarm_track_id", json_integer(t->alarm_track_id));
        json_object_set_new(o, "warning_s", num(t->warning_s));
        json_object_set_new(o, "ideal_s", num(t->ideal_s));
        json_object_set_new(o, "impact_error_m", num(t->impact_error_m));
        json_array_append_new(threats, o);
    }
    json_object_set_new(root, "threats", threats);
    json_t *fas = json_array();
    for (int i = 0; i < w->n_false_alarms; i++) {
        const lo_warn_false_alarm *a = &w->false_alarms[i];
        char buf[32];
        json_array_append_new(fas, json_pack("{s:I,s:I,s:I,s:s,s:s,s:f}", "alert_id",
                                             (json_int_t)a->alert_id, "track_id",
                                             (json_int_t)a->track_id, "truth_id",
                                             (json_int_t)a->truth_id, "truth_class",
                                             lo_class_name(a->truth_cls), "zone",
                                             zone_name(zones, n_zones, a->zone_index, buf, sizeof buf),
                                             "t", a->t));
    }
    json_object_set_new(root, "false_alarms", fas);
    json_t *sum = json_object();
    json_object_set_new(sum, "alerts", json_integer(s->n_alerts));
    json_object_set_new(sum, "threats", json_integer(s->n_threats));
    json_object_set_new(sum, "threats_alarmed", json_integer(s->n_threats_alarmed));
    json_object_set_new(sum, "warning_share_mean", num(s->warning_share_mean));
    json_object_set_new(sum, "warning_share_min", num(s->warning_share_min));
    json_object_set_new(sum, "false_alarms", json_integer(s->false_alarms));
    json_object_set_new(sum, "false_alarms_per_hour", num(s->false_alarms_per_hour));
    json_object_set_new(sum, "off_zone_alarms", json_integer(s->off_zone_alarms));
    json_object_set_new(root, "summary", sum);
    int rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    fputc('\n', f);
    return rc || ferror(f) ? -1 : 0;
}
