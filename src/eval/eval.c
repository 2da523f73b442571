/*
 * Batch evaluation of track reports against truth (see lookout/eval.h, docs/eval.md).
 *
 * Time alignment: the evaluation runs at every distinct truth time t. A track counts as an
 * estimate at t when its latest report at or before t is confirmed or coasting (not
 * tentative, not deleted) and at most max_age old; its position is extrapolated to t with the
 * report's velocity. Truth and estimates are paired by GOSPA's optimal assignment; a pair
 * closer than the cut-off is a "match", and every track-level figure that needs to know which
 * object a track follows uses those matches (except purity, which prefers the plots' own
 * truth labels when the track reports carry them).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"
#include "lookout/eval.h"

#define TIME_EPS 1e-6 /* truth samples closer in time than this are one step */

typedef struct id_count {
    uint32_t id;
    int count;
} id_count;

/* A tiny multiset of ids: the few objects a track met, the few tracks an object had. */
typedef struct id_counts {
    id_count *items;
    int n, cap;
} id_counts;

static int id_counts_add(id_counts *s, uint32_t id, int k)
{
    for (int i = 0; i < s->n; i++)
        if (s->items[i].id == id) {
            s->items[i].count += k;
            return 0;
        }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 4;
        id_count *grown = realloc(s->items, sizeof(id_count) * (size_t)cap);
        if (!grown) return -1;
        s->items = grown;
        s->cap = cap;
    }
    s->items[s->n++] = (id_count){id, k};
    return 0;
}

/* The id with the largest count, ignoring id 0 unless `allow_zero`; its count in *count. */
static uint32_t id_counts_dominant(const id_counts *s, bool allow_zero, int *count, int *total)
{
    uint32_t best = 0;
    int best_count = 0, sum = 0;
    for (int i = 0; i < s->n; i++) {
        sum += s->items[i].count;
        if (!allow_zero && s->items[i].id == 0) continue;
        if (s->items[i].count > best_count ||
            (s->items[i].count == best_count && s->items[i].id < best)) {
            best = s->items[i].id;
            best_count = s->items[i].count;
        }
    }
    *count = best_count;
    if (total) *total = sum;
    return best;
}

typedef struct track_range {
    size_t first, n;      /* into the sorted reports */
    id_counts matched;    /* truth id -> steps matched (GOSPA) */
    uint32_t last_truth;  /* for continuity bookkeeping of objects */
} track_range;

typedef struct truth_state {
    id_counts tracks;     /* track id -> steps matched */
    uint32_t last_track;  /* 0 = none yet */
} truth_state;

typedef struct id_time {
    uint32_t id;
    double t;
} id_time;

struct lo_eval {
    lo_eval_options opt;
    lo_truth *truth;
    size_t n_truth, cap_truth;
    lo_eval_report *reports;
    size_t n_reports, cap_reports;
    id_time *plots;
    size_t n_plots, cap_plots;

    lo_eval_coverage_fn in_coverage;
    void *coverage_ctx;

    lo_eval_summary summary;
    lo_eval_step *steps;
    int n_steps;
    lo_eval_truth_stats *truths;
    int n_truths;
    lo_eval_track_stats *tracks;
    int n_tracks;
};

void lo_eval_options_default(lo_eval_options *o)
{
    memset(o, 0, sizeof *o);
    lo_gospa_params_default(&o->gospa);
    o->max_age_s = 0.0;
}

lo_eval *lo_eval_new(const lo_eval_options *opt)
{
    lo_eval *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (opt)
        e->opt = *opt;
    else
        lo_eval_options_default(&e->opt);
    return e;
}

static void clear_results(lo_eval *e)
{
    free(e->steps);
    free(e->truths);
    free(e->tracks);
    e->steps = NULL;
    e->truths = NULL;
    e->tracks = NULL;
    e->n_steps = e->n_truths = e->n_tracks = 0;
    memset(&e->summary, 0, sizeof e->summary);
}

void lo_eval_free(lo_eval *e)
{
    if (!e) return;
    clear_results(e);
    free(e->truth);
    free(e->reports);
    free(e->plots);
    free(e);
}

static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t want = *cap ? 2 * *cap : 256;
    void *grown = realloc(*items, want * size);
    if (!grown) return -1;
    *items = grown;
    *cap = want;
    return 0;
}

int lo_eval_add_truth(lo_eval *e, const lo_truth *t)
{
    if (grow((void **)&e->truth, &e->cap_truth, e->n_truth, sizeof *t)) return -1;
    e->truth[e->n_truth++] = *t;
    return 0;
}

int lo_eval_add_track(lo_eval *e, const lo_track *k)
{
    if (grow((void **)&e->reports, &e->cap_reports, e->n_reports, sizeof *e->reports)) return -1;
    lo_eval_report *r = &e->reports[e->n_reports++];
    r->t = k->t;
    r->t_confirmed = k->t_confirmed;
    r->last_plot_t = k->last_plot_t;
    memcpy(r->pos, k->pos, sizeof r->pos);
    memcpy(r->vel, k->vel, sizeof r->vel);
    r->id = k->id;
    r->n_updates = k->n_updates;
    r->last_truth_id = k->last_truth_id;
    r->mode_s_address = k->mode_s_address;
    r->last_flags = k->last_flags;
    r->status = k->status;
    return 0;
}

int lo_eval_add_plot(lo_eval *e, const lo_plot *p)
{
    if (p->truth_id == 0) return 0;
    if (grow((void **)&e->plots, &e->cap_plots, e->n_plots, sizeof(id_time))) return -1;
    e->plots[e->n_plots++] = (id_time){p->truth_id, p->t};
    return 0;
}

void lo_eval_set_coverage(lo_eval *e, lo_eval_coverage_fn in_coverage, void *ctx)
{
    e->in_coverage = in_coverage;
    e->coverage_ctx = ctx;
}

static int cmp_truth(const void *a, const void *b)
{
    const lo_truth *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->truth_id > y->truth_id) - (x->truth_id < y->truth_id);
}

static int cmp_report(const void *a, const void *b)
{
    const lo_eval_report *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    /* A deleted report at the same time as another comes last: it is the final word. */
    return (x->status == LO_TRACK_DELETED) - (y->status == LO_TRACK_DELETED);
}

static int cmp_id_time(const void *a, const void *b)
{
    const id_time *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_truth_stats(const void *a, const void *b)
{
    const lo_eval_truth_stats *x = a, *y = b;
    return (x->truth_id > y->truth_id) - (x->truth_id < y->truth_id);
}

static int find_truth_stats(lo_eval_truth_stats *s, int n, uint32_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (s[mid].truth_id == id) return mid;
        if (s[mid].truth_id < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* Twice the median interval between consecutive reports of a track, at least 1 s. */
static double automatic_max_age(const lo_eval *e, const track_range *ranges, int n_ranges)
{
    size_t n = 0;
    double *gaps = malloc(sizeof(double) * (e->n_reports + 1));
    if (!gaps) return 5.0;
    for (int k = 0; k < n_ranges; k++)
        for (size_t i = 1; i < ranges[k].n; i++) {
            double dt = e->reports[ranges[k].first + i].t - e->reports[ranges[k].first + i - 1].t;
            if (dt > TIME_EPS) gaps[n++] = dt;
        }
    double age = 5.0; /* no track has two reports: a typical scan period, generously */
    if (n > 0) {
        qsort(gaps, n, sizeof(double), cmp_double);
        age = 2.0 * gaps[n / 2];
    }
    free(gaps);
    return age < 1.0 ? 1.0 : age;
}

/* Index of the last report of a track at or before t, or -1. */
static long latest_report(const lo_eval *e, const track_range *r, double t)
{
    long lo = 0, hi = (long)r->n - 1, found = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (e->reports[r->first + (size_t)mid].t <= t + TIME_EPS) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found < 0 ? -1 : (long)r->first + found;
}

/* Purity and Mode S figures from the track's own reports (the plots it was updated with). */
static int track_plot_figures(const lo_eval *e, const track_range *r, lo_eval_track_stats *s)
{
    id_counts by_truth = {0}, by_address = {0};
    bool any_truth_label = false;
    int rc = 0;
    for (size_t i = 0; i < r->n; i++) {
        const lo_eval_report *k = &e->reports[r->first + i];
        if (k->status == LO_TRACK_CONFIRMED || k->status == LO_TRACK_COASTING ||
            (k->status == LO_TRACK_DELETED && k->t_confirmed > 0))
            s->confirmed = true;
        /* One update per distinct associated plot: reports repeat it while coasting. */
        if (i > 0) {
            const lo_eval_report *prev = &e->reports[r->first + i - 1];
            if (k->last_plot_t != 0 && k->last_plot_t == prev->last_plot_t) continue;
            if (k->last_plot_t == 0 && k->n_updates != 0 && k->n_updates == prev->n_updates) continue;
        }
        if (k->last_truth_id) any_truth_label = true;
        rc |= id_counts_add(&by_truth, k->last_truth_id, 1);
        if (k->last_flags & LO_PLOT_MODE_S) rc |= id_counts_add(&by_address, k->mode_s_address, 1);
    }
    s->purity = NAN;
    if (any_truth_label) {
        int count, total;
        s->dominant_truth = id_counts_dominant(&by_truth, false, &count, &total);
        s->purity = total > 0 ? (double)count / total : NAN;
        s->purity_from_plots = true;
    }
    s->n_mode_s = by_address.n;
    s->mode_s_purity = NAN;
    if (by_address.n > 0) {
        int count, total;
        id_counts_dominant(&by_address, true, &count, &total);
        s->mode_s_purity = (double)count / total;
    }
    free(by_truth.items);
    free(by_address.items);
    return rc;
}

int lo_eval_run(lo_eval *e)
{
    clear_results(e);
    lo_eval_summary *sum = &e->summary;
    const lo_gospa_params *gp = &e->opt.gospa;
    int rc = -1;

    if (e->n_truth) qsort(e->truth, e->n_truth, sizeof *e->truth, cmp_truth);
    if (e->n_reports) qsort(e->reports, e->n_reports, sizeof *e->reports, cmp_report);
    if (e->n_plots) qsort(e->plots, e->n_plots, sizeof *e->plots, cmp_id_time);

    /* Tracks: one range of reports each. */
    track_range *ranges = NULL;
    truth_state *tstate = NULL;
    int n_ranges = 0;
    double *truth_pos = NULL, *est_pos = NULL;
    int *est_track = NULL, *truth_to_est = NULL;
    long *est_report = NULL;
    lo_assign_workspace *ws = lo_assign_workspace_new();
    if (!ws) goto done;

    for (size_t i = 0; i < e->n_reports; i++)
        if (i == 0 || e->reports[i].id != e->reports[i - 1].id) n_ranges++;
    ranges = calloc((size_t)n_ranges + 1, sizeof *ranges);
    e->tracks = calloc((size_t)n_ranges + 1, sizeof *e->tracks);
    if (!ranges || !e->tracks) goto done;
    for (size_t i = 0, k = 0; i < e->n_reports; i++) {
        if (i > 0 && e->reports[i].id != e->reports[i - 1].id) k++;
        if (ranges[k].n == 0) ranges[k].first = i;
        ranges[k].n++;
    }
    e->n_tracks = n_ranges;
    for (int k = 0; k < n_ranges; k++) {
        lo_eval_track_stats *s = &e->tracks[k];
        s->track_id = e->reports[ranges[k].first].id;
        s->n_reports = (int)ranges[k].n;
        if (track_plot_figures(e, &ranges[k], s)) goto done;
    }
    double max_age = e->opt.max_age_s > 0 ? e->opt.max_age_s : automatic_max_age(e, ranges, n_ranges);
    sum->max_age_s = max_age;

    /* Truth objects, sorted by id. */
    e->truths = calloc(e->n_truth + 1, sizeof *e->truths);
    tstate = calloc(e->n_truth + 1, sizeof *tstate);
    if (!e->truths || !tstate) goto done;
    for (size_t i = 0; i < e->n_truth; i++) {
        e->truths[i].truth_id = e->truth[i].truth_id;
        e->truths[i].t_first = e->truth[i].t; /* ascending: the first sample of each id */
    }
    qsort(e->truths, e->n_truth, sizeof *e->truths, cmp_truth_stats);
    int n_objects = 0;
    for (size_t i = 0; i < e->n_truth; i++)
        if (i == 0 || e->truths[i].truth_id != e->truths[n_objects - 1].truth_id)
            e->truths[n_objects++] = (lo_eval_truth_stats){.truth_id = e->truths[i].truth_id,
                                                           .t_first = INFINITY,
                                                           .t_last = -INFINITY};
    e->n_truths = n_objects;
    for (size_t i = 0; i < e->n_truth; i++) {
        lo_eval_truth_stats *o = &e->truths[find_truth_stats(e->truths, n_objects, e->truth[i].truth_id)];
        if (e->truth[i].t < o->t_first) o->t_first = e->truth[i].t;
        if (e->truth[i].t > o->t_last) o->t_last = e->truth[i].t;
        o->cls = e->truth[i].cls;
        o->t_tracked = NAN;
        o->latency_s = NAN;
    }
    /* First detection: first plot of the object, else its first sample in coverage (truth
     * is sorted by time, so the first hit per object is the earliest), else first sample. */
    for (int o = 0; o < n_objects; o++) e->truths[o].t_detect = e->in_coverage ? NAN : e->truths[o].t_first;
    if (e->in_coverage)
        for (size_t i = 0; i < e->n_truth; i++) {
            lo_eval_truth_stats *obj = &e->truths[find_truth_stats(e->truths, n_objects, e->truth[i].truth_id)];
            if (isnan(obj->t_detect) && e->in_coverage(e->coverage_ctx, e->truth[i].pos))
                obj->t_detect = e->truth[i].t;
        }
    for (size_t i = 0; i < e->n_plots; i++) {
        int o = find_truth_stats(e->truths, n_objects, e->plots[i].id);
        if (o >= 0 && (i == 0 || e->plots[i - 1].id != e->plots[i].id))
            e->truths[o].t_detect = e->plots[i].t; /* sorted: the first plot of that object */
    }

    /* Steps. */
    int n_steps = 0;
    for (size_t i = 0; i < e->n_truth; i++)
        if (i == 0 || e->truth[i].t - e->truth[i - 1].t > TIME_EPS) n_steps++;
    e->steps = calloc((size_t)n_steps + 1, sizeof *e->steps);
    truth_pos = malloc(sizeof(double) * 3 * (e->n_truth + 1));
    truth_to_est = malloc(sizeof(int) * (e->n_truth + 1));
    est_pos = malloc(sizeof(double) * 3 * ((size_t)n_ranges + 1));
    est_track = malloc(sizeof(int) * ((size_t)n_ranges + 1));
    est_report = malloc(sizeof(long) * ((size_t)n_ranges + 1));
    if (!e->steps || !truth_pos || !truth_to_est || !est_pos || !est_track || !est_report) goto done;

    double sq_pos = 0.0, sq_vel = 0.0;
    long n_err = 0;
    size_t i = 0;
    while (i < e->n_truth) {
        /* The samples of this step. */
        size_t first = i;
        double t = e->truth[i].t;
        while (i < e->n_truth && e->truth[i].t - t <= TIME_EPS) i++;
        int n = (int)(i - first);
        for (int a = 0; a < n; a++) memcpy(truth_pos + 3 * a, e->truth[first + (size_t)a].pos, 3 * sizeof(double));

        /* The estimates: confirmed/coasting tracks reported recently, moved to t. */
        int m = 0;
        for (int k = 0; k < n_ranges; k++) {
            long r = latest_report(e, &ranges[k], t);
            if (r < 0) continue;
            const lo_eval_report *rep = &e->reports[r];
            double age = t - rep->t;
            if (age > max_age + TIME_EPS) continue;
            if (rep->status != LO_TRACK_CONFIRMED && rep->status != LO_TRACK_COASTING) continue;
            if (age < 0) age = 0;
            for (int d = 0; d < 3; d++) est_pos[3 * m + d] = rep->pos[d] + rep->vel[d] * age;
            est_track[m] = k;
            est_report[m] = r;
            e->tracks[k].n_steps++;
            m++;
        }

        lo_eval_step *step = &e->steps[e->n_steps++];
        step->t = t;
        if (lo_gospa(gp, truth_pos, n, est_pos, m, 3, ws, &step->gospa, truth_to_est)) goto done;

        for (int a = 0; a < n; a++) {
            const lo_truth *tr = &e->truth[first + (size_t)a];
            int o = find_truth_stats(e->truths, n_objects, tr->truth_id);
            lo_eval_truth_stats *obj = &e->truths[o];
            obj->n_samples++;
            int j = truth_to_est[a];
            if (j < 0) continue;
            int k = est_track[j];
            const lo_eval_report *rep = &e->reports[est_report[j]];
            lo_eval_track_stats *ts = &e->tracks[k];
            ts->n_matched++;
            obj->n_matched++;
            if (id_counts_add(&ranges[k].matched, tr->truth_id, 1)) goto done;
            if (id_counts_add(&tstate[o].tracks, ts->track_id, 1)) goto done;
            if (tstate[o].last_track && tstate[o].last_track != ts->track_id) obj->n_swaps++;
            tstate[o].last_track = ts->track_id;

            /* Confirmation of a track on this object: the track's own confirmation time,
             * unless it was confirmed before the object existed (it took over another
             * object's track): then the first time it is seen on this one. */
            double confirmed = rep->t_confirmed > 0 ? rep->t_confirmed : t;
            if (confirmed < obj->t_first - TIME_EPS) confirmed = t;
            if (isnan(obj->t_tracked) || confirmed < obj->t_tracked) obj->t_tracked = confirmed;

            for (int d = 0; d < 3; d++) {
                double ep = est_pos[3 * j + d] - tr->pos[d];
                double ev = rep->vel[d] - tr->vel[d];
                sq_pos += ep * ep;
                sq_vel += ev * ev;
            }
            n_err++;
        }
    }

    /* Per object. */
    int n_tracked = 0, swaps = 0, n_continuity = 0;
    double latency_sum = 0.0, latency_max = 0.0, tracks_sum = 0.0;
    for (int o = 0; o < n_objects; o++) {
        lo_eval_truth_stats *obj = &e->truths[o];
        obj->n_tracks = tstate[o].tracks.n;
        swaps += obj->n_swaps;
        if (obj->n_tracks > 0) {
            tracks_sum += obj->n_tracks;
            n_continuity++;
        }
        if (!isnan(obj->t_tracked) && !isnan(obj->t_detect)) {
            obj->latency_s = fmax(0.0, obj->t_tracked - obj->t_detect);
            latency_sum += obj->latency_s;
            if (obj->latency_s > latency_max) latency_max = obj->latency_s;
            n_tracked++;
        }
    }

    /* Per track. */
    int n_confirmed = 0, n_purity = 0, false_tracks = 0, mode_s_tracks = 0, mode_s_mixed = 0;
    double purity_sum = 0.0, mode_s_purity_sum = 0.0;
    for (int k = 0; k < n_ranges; k++) {
        lo_eval_track_stats *ts = &e->tracks[k];
        if (!ts->purity_from_plots) {
            int count;
            ts->dominant_truth = id_counts_dominant(&ranges[k].matched, false, &count, NULL);
            ts->purity = ts->n_steps > 0 && e->n_truth > 0 ? (double)count / ts->n_steps : NAN;
        }
        if (ts->n_mode_s > 0) {
            mode_s_tracks++;
            if (ts->n_mode_s > 1) mode_s_mixed++;
            mode_s_purity_sum += ts->mode_s_purity;
        }
        if (!ts->confirmed) continue;
        n_confirmed++;
        if (!isnan(ts->purity)) {
            purity_sum += ts->purity;
            n_purity++;
        }
        if (e->n_truth > 0 && ts->n_steps > 0 && ts->n_matched == 0) {
            ts->false_track = true;
            false_tracks++;
        }
    }

    /* Summary. */
    sum->n_steps = e->n_steps;
    sum->n_truth_objects = n_objects;
    sum->n_tracks = n_ranges;
    sum->n_confirmed_tracks = n_confirmed;
    sum->duration_h = e->n_truth ? (e->truth[e->n_truth - 1].t - e->truth[0].t) / 3600.0 : 0.0;
    double g = 0, l = 0, mi = 0, fa = 0, nm = 0, nf = 0;
    for (int s = 0; s < e->n_steps; s++) {
        const lo_gospa_result *r = &e->steps[s].gospa;
        g += r->gospa_m;
        l += r->localisation_m;
        mi += r->missed_m;
        fa += r->false_m;
        nm += r->n_missed;
        nf += r->n_false;
    }
    double ns = e->n_steps > 0 ? e->n_steps : NAN;
    sum->gospa_mean_m = g / ns;
    sum->localisation_mean_m = l / ns;
    sum->missed_mean_m = mi / ns;
    sum->false_mean_m = fa / ns;
    sum->missed_per_step = nm / ns;
    sum->false_per_step = nf / ns;
    sum->purity_mean = n_purity ? purity_sum / n_purity : NAN;
    sum->tracks_per_truth = n_continuity ? tracks_sum / n_continuity : NAN;
    sum->identity_swaps = swaps;
    sum->n_tracked = n_tracked;
    sum->latency_mean_s = n_tracked ? latency_sum / n_tracked : NAN;
    sum->latency_max_s = n_tracked ? latency_max : NAN;
    sum->false_tracks = false_tracks;
    sum->false_tracks_per_hour = sum->duration_h > 0 ? false_tracks / sum->duration_h : NAN;
    sum->n_error_samples = n_err;
    sum->pos_rms_m = n_err ? sqrt(sq_pos / (double)n_err) : NAN;
    sum->vel_rms_mps = n_err ? sqrt(sq_vel / (double)n_err) : NAN;
    sum->mode_s_tracks = mode_s_tracks;
    sum->mode_s_mixed = mode_s_mixed;
    sum->mode_s_purity_mean = mode_s_tracks ? mode_s_purity_sum / mode_s_tracks : NAN;
    rc = 0;
done:
    if (ranges)
        for (int k = 0; k < n_ranges; k++) free(ranges[k].matched.items);
    if (tstate)
        for (int o = 0; o < e->n_truths; o++) free(tstate[o].tracks.items);
    free(ranges);
    free(tstate);
    free(truth_pos);
    free(est_pos);
    free(est_track);
    free(truth_to_est);
    free(est_report);
    lo_assign_workspace_free(ws);
    return rc;
}

const lo_eval_summary *lo_eval_get_summary(const lo_eval *e) { return &e->summary; }

const lo_eval_options *lo_eval_get_options(const lo_eval *e) { return &e->opt; }

const lo_eval_step *lo_eval_get_steps(const lo_eval *e, int *n)
{
    *n = e->n_steps;
    return e->steps;
}

const lo_eval_truth_stats *lo_eval_get_truths(const lo_eval *e, int *n)
{
    *n = e->n_truths;
    return e->truths;
}

const lo_eval_track_stats *lo_eval_get_tracks(const lo_eval *e, int *n)
{
    *n = e->n_tracks;
    return e->tracks;
}

const lo_truth *lo_eval_truth_samples(const lo_eval *e, size_t *n)
{
    *n = e->n_truth;
    return e->truth;
}

const lo_eval_report *lo_eval_track_reports(const lo_eval *e, size_t *n)
{
    *n = e->n_reports;
    return e->reports;
}

size_t lo_eval_plot_count(const lo_eval *e)
{
    return e->n_plots;
}

void lo_eval_plot_at(const lo_eval *e, size_t i, uint32_t *truth_id, double *t)
{
    *truth_id = e->plots[i].id;
    *t = e->plots[i].t;
}
