/*
 * detectable.c: GOSPA over the truth objects the sensors detected recently (eval.h,
 * lo_eval_gospa_detectable; docs/eval.md, "Detectable objects").
 *
 * Works on what lo_eval_run left behind through the public accessors: truth samples sorted by
 * time, track reports sorted by track and time, plots sorted by truth_id and time, and the
 * max age the run used. The estimates at a truth time are chosen exactly as lo_eval_run
 * chooses them, so the two GOSPA figures differ only in the truth set.
 */
#include <stdlib.h>
#include <string.h>

#include "lookout/assign.h"
#include "lookout/eval.h"

#define STEP_EPS 1e-6 /* as eval.c: samples closer in time than this are one step */

/* The number of plots of object `id` in [t - window, t]. Plots sorted by (id, t). */
static size_t first_at_or_after(const lo_eval *e, size_t n_plots, uint32_t id, double t)
{
    size_t lo = 0, hi = n_plots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t pid;
        double pt;
        lo_eval_plot_at(e, mid, &pid, &pt);
        if (pid < id || (pid == id && pt < t)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int plots_in(const lo_eval *e, size_t n_plots, uint32_t id, double t, double window)
{
    size_t a = first_at_or_after(e, n_plots, id, t - window - STEP_EPS);
    size_t b = first_at_or_after(e, n_plots, id, t + 2 * STEP_EPS);
    return (int)(b - a);
}

static bool near_any(const double *x, const double *pts, int n, double c)
{
    for (int a = 0; a < n; a++) {
        double d2 = 0;
        for (int d = 0; d < 3; d++) d2 += (x[d] - pts[3 * a + d]) * (x[d] - pts[3 * a + d]);
        if (d2 < c * c) return true;
    }
    return false;
}

int lo_eval_gospa_detectable(const lo_eval *e, double window_s, int min_plots, lo_eval_detectable *out)
{
    memset(out, 0, sizeof *out);
    out->window_s = window_s;
    out->min_plots = min_plots;
    size_t n_plots = lo_eval_plot_count(e), n_truth, n_reports;
    const lo_truth *truth = lo_eval_truth_samples(e, &n_truth);
    const lo_eval_report *rep = lo_eval_track_reports(e, &n_reports);
    if (n_plots == 0 || !(window_s >= 0) || min_plots < 1) return -1;
    double max_age = lo_eval_get_summary(e)->max_age_s;
    const lo_gospa_params *gp = &lo_eval_get_options(e)->gospa;

    /* Tracks: [first, end) ranges of the reports, and a cursor each (truth times ascend). */
    size_t n_tracks = 0;
    for (size_t i = 0; i < n_reports; i++)
        if (i == 0 || rep[i].id != rep[i - 1].id) n_tracks++;
    size_t *first = malloc(sizeof(size_t) * (n_tracks + 1));
    size_t *end = malloc(sizeof(size_t) * (n_tracks + 1));
    size_t *cursor = malloc(sizeof(size_t) * (n_tracks + 1));
    double *truth_pos = malloc(sizeof(double) * 3 * (n_truth + 1));
    double *other_pos = malloc(sizeof(double) * 3 * (n_truth + 1)); /* the undetectable */
    double *est_pos = malloc(sizeof(double) * 3 * (n_tracks + 1));
    lo_assign_workspace *ws = lo_assign_workspace_new();
    int rc = -1;
    if (!first || !end || !cursor || !truth_pos || !other_pos || !est_pos || !ws) goto done;
    for (size_t i = 0, k = 0; i < n_reports; i++) {
        if (i > 0 && rep[i].id != rep[i - 1].id) k++;
        if (i == 0 || rep[i].id != rep[i - 1].id) first[k] = cursor[k] = i;
        end[k] = i + 1;
    }

    double g = 0, loc = 0, miss = 0, fal = 0, n_det = 0, n_miss = 0, n_false = 0;
    size_t i = 0;
    while (i < n_truth) {
        double t = truth[i].t;
        int n = 0, n_other = 0;
        for (; i < n_truth && truth[i].t - t <= STEP_EPS; i++) {
            if (plots_in(e, n_plots, truth[i].truth_id, t, window_s) >= min_plots)
                memcpy(truth_pos + 3 * n++, truth[i].pos, 3 * sizeof(double));
            else
                memcpy(other_pos + 3 * n_other++, truth[i].pos, 3 * sizeof(double));
        }

        int m = 0;
        for (size_t k = 0; k < n_tracks; k++) {
            /* Latest report at or before t (eval.c's latest_report, walked forward). */
            while (cursor[k] + 1 < end[k] && rep[cursor[k] + 1].t <= t + STEP_EPS) cursor[k]++;
            const lo_eval_report *r = &rep[cursor[k]];
            if (r->t > t + STEP_EPS) continue;
            double age = t - r->t;
            if (age > max_age + STEP_EPS) continue;
            if (r->status != LO_TRACK_CONFIRMED && r->status != LO_TRACK_COASTING) continue;
            if (age < 0) age = 0;
            for (int d = 0; d < 3; d++) est_pos[3 * m + d] = r->pos[d] + r->vel[d] * age;
            /* A track on a real object the plots do not name (a flock whose plots carry
             * other birds' ids) is neither a hit nor a false track here: left out when it is
             * within the cut-off of an undetectable object and of no detectable one. */
            if (near_any(est_pos + 3 * m, other_pos, n_other, gp->cutoff_m) &&
                !near_any(est_pos + 3 * m, truth_pos, n, gp->cutoff_m)) {
                out->left_out_per_step++;
                continue;
            }
            m++;
        }
        lo_gospa_result res;
        if (lo_gospa(gp, truth_pos, n, est_pos, m, 3, ws, &res, NULL)) goto done;
        g += res.gospa_m;
        loc += res.localisation_m;
        miss += res.missed_m;
        fal += res.false_m;
        n_det += n;
        n_miss += res.n_missed;
        n_false += res.n_false;
        out->n_steps++;
    }
    if (out->n_steps > 0) {
        /* Plain means of each part, as eval.c's summary. */
        double ns = out->n_steps;
        out->gospa_mean_m = g / ns;
        out->localisation_mean_m = loc / ns;
        out->missed_mean_m = miss / ns;
        out->false_mean_m = fal / ns;
        out->truth_per_step = n_det / ns;
        out->missed_per_step = n_miss / ns;
        out->false_per_step = n_false / ns;
        out->left_out_per_step /= ns;
    }
    rc = 0;
done:
    free(first);
    free(end);
    free(cursor);
    free(truth_pos);
    free(other_pos);
    free(est_pos);
    lo_assign_workspace_free(ws);
    return rc;
}
