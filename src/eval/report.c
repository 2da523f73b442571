/*
 * Evaluation reports: a table for people, JSON for machines (jansson), and an SVG picture
 * written by hand (plain SVG 1.1 text, nothing a browser needs a script for).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lookout/eval.h"
#include "lookout/formats.h"

/* ---- table ---------------------------------------------------------------------------------- */

/* "12.34" or "-" for a figure that does not exist (NaN). */
static const char *fig(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", decimals, v);
    return buf;
}

#define STEP_ROWS_MAX 60 /* beyond this the per-step table is left to --json */

int lo_eval_print_table(const lo_eval *e, FILE *f)
{
    const lo_eval_summary *s = lo_eval_get_summary(e);
    const lo_eval_options *o = lo_eval_get_options(e);
    char a[32], b[32], c[32], d[32];
    fprintf(f, "lookout eval: %d truth times over %.1f s, %d truth objects, %d tracks (%d confirmed)\n\n",
            s->n_steps, s->duration_h * 3600.0, s->n_truth_objects, s->n_tracks,
            s->n_confirmed_tracks);
    if (s->n_steps > 0) {
        fprintf(f, "GOSPA (cut-off %g m, order %g, alpha %g; track reports up to %g s old, "
                   "extrapolated to each truth time)\n",
                o->gospa.cutoff_m, o->gospa.order_p, o->gospa.alpha, s->max_age_s);
        fprintf(f, "  mean                 %10s m\n", fig(a, sizeof a, s->gospa_mean_m, 2));
        fprintf(f, "  localisation part    %10s m   (mean per step)\n",
                fig(a, sizeof a, s->localisation_mean_m, 2));
        fprintf(f, "  missed part          %10s m   %s missed objects per step\n",
                fig(a, sizeof a, s->missed_mean_m, 2), fig(b, sizeof b, s->missed_per_step, 2));
        fprintf(f, "  false part           %10s m   %s false tracks per step\n\n",
                fig(a, sizeof a, s->false_mean_m, 2), fig(b, sizeof b, s->false_per_step, 2));
        fprintf(f, "Track figures\n");
        fprintf(f, "  purity               %10s     (mean over confirmed tracks)\n",
                fig(a, sizeof a, s->purity_mean, 3));
        fprintf(f, "  continuity           %10s     tracks per truth object, %d identity swaps\n",
                fig(a, sizeof a, s->tracks_per_truth, 2), s->identity_swaps);
        fprintf(f, "  latency to confirm   %10s s   mean, %s s max (%d of %d objects tracked)\n",
                fig(a, sizeof a, s->latency_mean_s, 2), fig(b, sizeof b, s->latency_max_s, 2),
                s->n_tracked, s->n_truth_objects);
        fprintf(f, "  false tracks         %10d     (%s per hour)\n", s->false_tracks,
                fig(a, sizeof a, s->false_tracks_per_hour, 1));
        fprintf(f, "  position RMS         %10s m   (%ld matched samples)\n",
                fig(a, sizeof a, s->pos_rms_m, 2), s->n_error_samples);
        fprintf(f, "  velocity RMS         %10s m/s\n", fig(a, sizeof a, s->vel_rms_mps, 2));
    } else {
        fprintf(f, "No truth: GOSPA and the truth-based figures are not computed.\n");
    }
    fprintf(f, "  Mode S               %10d     tracks with Mode S plots, %d mixing addresses, "
               "purity %s\n\n",
            s->mode_s_tracks, s->mode_s_mixed, fig(a, sizeof a, s->mode_s_purity_mean, 3));

    int n;
    const lo_eval_step *steps = lo_eval_get_steps(e, &n);
    if (n > 0 && n <= STEP_ROWS_MAX) {
        fprintf(f, "Per time step (m)\n  %-24s %9s %9s %9s %9s %6s %6s\n", "time", "GOSPA",
                "localis.", "missed", "false", "truth", "tracks");
        for (int i = 0; i < n; i++) {
            char t[40];
            lo_format_time(steps[i].t, t, sizeof t);
            const lo_gospa_result *g = &steps[i].gospa;
            fprintf(f, "  %-24s %9.2f %9.2f %9.2f %9.2f %6d %6d\n", t, g->gospa_m, g->localisation_m,
                    g->missed_m, g->false_m, g->n_truth, g->n_estimates);
        }
        fprintf(f, "\n");
    } else if (n > STEP_ROWS_MAX) {
        fprintf(f, "(%d time steps: --json lists each)\n\n", n);
    }

    const lo_eval_truth_stats *objs = lo_eval_get_truths(e, &n);
    if (n > 0) {
        fprintf(f, "Truth objects\n  %10s %-15s %8s %8s %7s %6s %10s\n", "truth_id", "class", "samples",
                "matched", "tracks", "swaps", "latency_s");
        for (int i = 0; i < n; i++)
            fprintf(f, "  %10u %-15s %8d %8d %7d %6d %10s\n", objs[i].truth_id,
                    lo_class_name(objs[i].cls), objs[i].n_samples, objs[i].n_matched,
                    objs[i].n_tracks, objs[i].n_swaps, fig(a, sizeof a, objs[i].latency_s, 2));
        fprintf(f, "\n");
    }
    const lo_eval_track_stats *tracks = lo_eval_get_tracks(e, &n);
    if (n > 0) {
        fprintf(f, "Tracks\n  %10s %8s %9s %6s %8s %9s %7s %-8s %7s %6s\n", "track_id", "reports",
                "confirmed", "steps", "matched", "dominant", "purity", "(from)", "mode_s", "false");
        for (int i = 0; i < n; i++) {
            const lo_eval_track_stats *k = &tracks[i];
            snprintf(c, sizeof c, "%u", k->dominant_truth);
            fprintf(f, "  %10u %8d %9s %6d %8d %9s %7s %-8s %7s %6s\n", k->track_id, k->n_reports,
                    k->confirmed ? "yes" : "no", k->n_steps, k->n_matched,
                    k->dominant_truth ? c : "-", fig(a, sizeof a, k->purity, 3),
                    isnan(k->purity) ? "" : k->purity_from_plots ? "plots" : "gospa",
                    k->n_mode_s ? fig(d, sizeof d, k->mode_s_purity, 3) : "-",
                    k->false_track ? "FALSE" : "");
        }
    }
    return ferror(f) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int lo_eval_write_json(const lo_eval *e, FILE *f)
{
    const lo_eval_summary *s = lo_eval_get_summary(e);
    const lo_eval_options *o = lo_eval_get_options(e);
    json_t *root = json_object();
    json_object_set_new(root, "options",
                        json_pack("{s:o,s:o,s:o,s:o}", "cutoff_m", num(o->gospa.cutoff_m), "order_p",
                                  num(o->gospa.order_p), "alpha", num(o->gospa.alpha), "max_age_s",
                                  num(s->max_age_s)));
    json_t *sj = json_object();
    json_object_set_new(sj, "n_steps", json_integer(s->n_steps));
    json_object_set_new(sj, "n_truth_objects", json_integer(s->n_truth_objects));
    json_object_set_new(sj, "n_tracks", json_integer(s->n_tracks));
    json_object_set_new(sj, "n_confirmed_tracks", json_integer(s->n_confirmed_tracks));
    json_object_set_new(sj, "duration_s", num(s->duration_h * 3600.0));
    json_object_set_new(sj, "gospa_mean_m", num(s->gospa_mean_m));
    json_object_set_new(sj, "localisation_mean_m", num(s->localisation_mean_m));
    json_object_set_new(sj, "missed_mean_m", num(s->missed_mean_m));
    json_object_set_new(sj, "false_mean_m", num(s->false_mean_m));
    json_object_set_new(sj, "missed_per_step", num(s->missed_per_step));
    json_object_set_new(sj, "false_per_step", num(s->false_per_step));
    json_object_set_new(sj, "purity_mean", num(s->purity_mean));
    json_object_set_new(sj, "tracks_per_truth", num(s->tracks_per_truth));
    json_object_set_new(sj, "identity_swaps", json_integer(s->identity_swaps));
    json_object_set_new(sj, "n_tracked", json_integer(s->n_tracked));
    json_object_set_new(sj, "latency_mean_s", num(s->latency_mean_s));
    json_object_set_new(sj, "latency_max_s", num(s->latency_max_s));
    json_object_set_new(sj, "false_tracks", json_integer(s->false_tracks));
    json_object_set_new(sj, "false_tracks_per_hour", num(s->false_tracks_per_hour));
    json_object_set_new(sj, "n_error_samples", json_integer(s->n_error_samples));
    json_object_set_new(sj, "pos_rms_m", num(s->pos_rms_m));
    json_object_set_new(sj, "vel_rms_mps", num(s->vel_rms_mps));
    json_object_set_new(sj, "mode_s_tracks", json_integer(s->mode_s_tracks));
    json_object_set_new(sj, "mode_s_mixed", json_integer(s->mode_s_mixed));
    json_object_set_new(sj, "mode_s_purity_mean", num(s->mode_s_purity_mean));
    json_object_set_new(root, "summary", sj);

    int n;
    const lo_eval_step *steps = lo_eval_get_steps(e, &n);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const lo_gospa_result *g = &steps[i].gospa;
        json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:i,s:i}", "t", num(steps[i].t),
                                             "gospa_m", num(g->gospa_m), "localisation_m",
                                             num(g->localisation_m), "missed_m", num(g->missed_m),
                                             "false_m", num(g->false_m), "n_truth", g->n_truth,
                                             "n_tracks", g->n_estimates, "n_missed", g->n_missed,
                                             "n_false", g->n_false));
    }
    json_object_set_new(root, "steps", arr);

    const lo_eval_truth_stats *objs = lo_eval_get_truths(e, &n);
    arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:i,s:i}",
                                             "truth_id", (json_int_t)objs[i].truth_id, "class",
                                             lo_class_name(objs[i].cls), "t_first", num(objs[i].t_first),
                                             "t_last", num(objs[i].t_last), "t_detect",
                                             num(objs[i].t_detect), "t_tracked", num(objs[i].t_tracked),
                                             "latency_s", num(objs[i].latency_s), "samples",
                                             objs[i].n_samples, "matched", objs[i].n_matched,
                                             "tracks", objs[i].n_tracks, "swaps", objs[i].n_swaps));
    json_object_set_new(root, "truth", arr);

    const lo_eval_track_stats *tracks = lo_eval_get_tracks(e, &n);
    arr = json_array();
    for (int i = 0; i < n; i++) {
        const lo_eval_track_stats *k = &tracks[i];
        json_array_append_new(
            arr, json_pack("{s:I,s:i,s:b,s:i,s:i,s:I,s:o,s:s,s:b,s:i,s:o}", "track_id",
                           (json_int_t)k->track_id, "reports", k->n_reports, "confirmed", k->confirmed,
                           "steps", k->n_steps, "matched", k->n_matched, "dominant_truth",
                           (json_int_t)k->dominant_truth, "purity", num(k->purity), "purity_from",
                           isnan(k->purity) ? "none" : k->purity_from_plots ? "plots" : "gospa",
                           "false_track", k->false_track, "mode_s_addresses", k->n_mode_s,
                           "mode_s_purity", num(k->mode_s_purity)));
    }
    json_object_set_new(root, "tracks", arr);

    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0 ? 0 : -1;
    fputc('\n', f);
    json_decref(root);
    return rc || ferror(f) ? -1 : 0;
}

/* ---- SVG ------------------------------------------------------------------------------------- */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f"};
#define N_PALETTE (sizeof palette / sizeof palette[0])
#define LEGEND_TRACKS_MAX 16

/* A round tick step (1, 2 or 5 x 10^k) giving about `want` ticks over `range`. */
static double tick_step(double range, int want)
{
    if (!(range > 0)) return 1.0;
    double raw = range / want, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

typedef struct frame {
    double x0, y0, w, h;       /* pixel box */
    double xmin, xmax, ymin, ymax; /* data box */
} frame;

static double px(const frame *fr, double x) { return fr->x0 + (x - fr->xmin) / (fr->xmax - fr->xmin) * fr->w; }
static double py(const frame *fr, double y) { return fr->y0 + fr->h - (y - fr->ymin) / (fr->ymax - fr->ymin) * fr->h; }

static void axes(FILE *f, const frame *fr, const char *xlabel, const char *ylabel)
{
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='white' stroke='#333'/>\n",
            fr->x0, fr->y0, fr->w, fr->h);
    double sx = tick_step(fr->xmax - fr->xmin, 8), sy = tick_step(fr->ymax - fr->ymin, 6);
    for (double x = ceil(fr->xmin / sx) * sx; x <= fr->xmax + 1e-9 * sx; x += sx) {
        double X = px(fr, x);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", X, fr->y0, X,
                fr->y0 + fr->h);
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%g</text>\n", X,
                fr->y0 + fr->h + 14, fabs(x) < 1e-9 * sx ? 0.0 : x);
    }
    for (double y = ceil(fr->ymin / sy) * sy; y <= fr->ymax + 1e-9 * sy; y += sy) {
        double Y = py(fr, y);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", fr->x0, Y,
                fr->x0 + fr->w, Y);
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%g</text>\n", fr->x0 - 4,
                Y + 4, fabs(y) < 1e-9 * sy ? 0.0 : y);
    }
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>%s</text>\n",
            fr->x0 + fr->w / 2, fr->y0 + fr->h + 32, xlabel);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle' "
               "transform='rotate(-90 %.1f %.1f)'>%s</text>\n",
            fr->x0 - 45, fr->y0 + fr->h / 2, fr->x0 - 45, fr->y0 + fr->h / 2, ylabel);
}

/* Paths are thinned to about PATH_POINTS_MAX points each, so an hour-long run stays a
 * picture a browser opens quickly. */
#define PATH_POINTS_MAX 1500
#define TRUTH_LABELS_MAX 30

static size_t path_stride(size_t n)
{
    return n > PATH_POINTS_MAX ? (n + PATH_POINTS_MAX - 1) / PATH_POINTS_MAX : 1;
}

static int cmp_truth_by_object(const void *a, const void *b)
{
    const lo_truth *x = a, *y = b;
    if (x->truth_id != y->truth_id) return x->truth_id < y->truth_id ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static bool drawn_status(lo_track_status s)
{
    return s == LO_TRACK_CONFIRMED || s == LO_TRACK_COASTING;
}

int lo_eval_write_svg(const lo_eval *e, FILE *f)
{
    const double W = 960, plan_h = 600, gospa_h = 220;
    const double H = 40 + plan_h + 70 + gospa_h + 60;
    size_t n_truth, n_rep;
    const lo_truth *truth = lo_eval_truth_samples(e, &n_truth);
    const lo_eval_report *rep = lo_eval_track_reports(e, &n_rep);
    const lo_eval_summary *s = lo_eval_get_summary(e);

    /* Data bounds of everything drawn, in km, with equal scales on both axes. */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < n_truth; i++) {
        xmin = fmin(xmin, truth[i].pos[0]);
        xmax = fmax(xmax, truth[i].pos[0]);
        ymin = fmin(ymin, truth[i].pos[1]);
        ymax = fmax(ymax, truth[i].pos[1]);
    }
    for (size_t i = 0; i < n_rep; i++)
        if (drawn_status(rep[i].status)) {
            xmin = fmin(xmin, rep[i].pos[0]);
            xmax = fmax(xmax, rep[i].pos[0]);
            ymin = fmin(ymin, rep[i].pos[1]);
            ymax = fmax(ymax, rep[i].pos[1]);
        }
    if (!(xmin <= xmax)) xmin = -1000, xmax = 1000, ymin = -1000, ymax = 1000;
    frame plan = {.x0 = 70, .y0 = 40, .w = W - 70 - 190, .h = plan_h};
    double cx = (xmin + xmax) / 2000.0, cy = (ymin + ymax) / 2000.0;
    double span = fmax((xmax - xmin) / 1000.0 / plan.w, (ymax - ymin) / 1000.0 / plan.h) * 1.1;
    if (!(span > 0)) span = 0.01; /* km per pixel */
    plan.xmin = cx - span * plan.w / 2;
    plan.xmax = cx + span * plan.w / 2;
    plan.ymin = cy - span * plan.h / 2;
    plan.ymax = cy + span * plan.h / 2;

    fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n"
               "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' viewBox='0 0 %.0f %.0f' "
               "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='#f8f8f8'/>\n",
            W, H, W, H);
    fprintf(f, "<text x='%.1f' y='24' font-size='16'>lookout eval: truth and tracks (east/north, km)"
               "</text>\n", plan.x0);
    axes(f, &plan, "east (km)", "north (km)");
    fprintf(f, "<g>\n");

    int n_objects;
    lo_eval_get_truths(e, &n_objects);
    /* Truth: one grey path per object. The samples are sorted by time; a copy sorted by
     * object keeps this linear in the number of samples. */
    lo_truth *by_object = n_truth ? malloc(n_truth * sizeof *by_object) : NULL;
    if (n_truth && !by_object) return -1;
    if (n_truth) {
        memcpy(by_object, truth, n_truth * sizeof *by_object);
        qsort(by_object, n_truth, sizeof *by_object, cmp_truth_by_object);
    }
    for (size_t i = 0; i < n_truth;) {
        size_t j = i;
        while (j < n_truth && by_object[j].truth_id == by_object[i].truth_id) j++;
        size_t stride = path_stride(j - i);
        fprintf(f, "<polyline fill='none' stroke='#999' stroke-width='5' stroke-opacity='0.5' "
                   "stroke-linejoin='round' points='");
        for (size_t k = i; k < j; k += stride)
            fprintf(f, "%.1f,%.1f ", px(&plan, by_object[k].pos[0] / 1000.0),
                    py(&plan, by_object[k].pos[1] / 1000.0));
        double lx = px(&plan, by_object[j - 1].pos[0] / 1000.0);
        double ly = py(&plan, by_object[j - 1].pos[1] / 1000.0);
        fprintf(f, "%.1f,%.1f'/>\n", lx, ly);
        if (n_objects <= TRUTH_LABELS_MAX) /* beyond that the labels hide the picture */
            fprintf(f, "<text x='%.1f' y='%.1f' font-size='10' fill='#666'>truth %u</text>\n",
                    lx + 4, ly - 4, by_object[i].truth_id);
        i = j;
    }
    free(by_object);
    /* Tracks: confirmed/coasting reports, one colour each (reports are sorted by id, time). */
    int n_tracks = 0;
    for (size_t i = 0; i < n_rep;) {
        size_t j = i;
        while (j < n_rep && rep[j].id == rep[i].id) j++;
        size_t drawn = 0;
        for (size_t k = i; k < j; k++) drawn += drawn_status(rep[k].status);
        if (drawn > 0) {
            size_t stride = path_stride(drawn), seen = 0;
            const char *colour = palette[n_tracks % N_PALETTE];
            fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", colour);
            double lx = 0, ly = 0;
            for (size_t k = i; k < j; k++)
                if (drawn_status(rep[k].status)) {
                    lx = px(&plan, rep[k].pos[0] / 1000.0);
                    ly = py(&plan, rep[k].pos[1] / 1000.0);
                    if (seen++ % stride == 0 || seen == drawn) fprintf(f, "%.1f,%.1f ", lx, ly);
                }
            fprintf(f, "'/>\n<circle cx='%.1f' cy='%.1f' r='2.5' fill='%s'/>\n", lx, ly, colour);
            if (n_tracks < LEGEND_TRACKS_MAX) {
                double ly2 = plan.y0 + 40 + 18 * n_tracks;
                fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                           "<text x='%.1f' y='%.1f' font-size='12'>track %u</text>\n",
                        plan.x0 + plan.w + 15, ly2, plan.x0 + plan.w + 45, ly2, colour,
                        plan.x0 + plan.w + 52, ly2 + 4, rep[i].id);
            }
            n_tracks++;
        }
        i = j;
    }
    fprintf(f, "</g>\n");
    double lx = plan.x0 + plan.w + 15;
    fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#999' stroke-width='5' "
               "stroke-opacity='0.5'/><text x='%.1f' y='%.1f' font-size='12'>truth</text>\n",
            lx, plan.y0 + 18, lx + 30, plan.y0 + 18, lx + 37, plan.y0 + 22);
    if (n_tracks > LEGEND_TRACKS_MAX)
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='12'>+%d more tracks</text>\n", lx,
                plan.y0 + 44 + 18 * LEGEND_TRACKS_MAX, n_tracks - LEGEND_TRACKS_MAX);

    /* GOSPA over time. */
    int n_steps;
    const lo_eval_step *steps = lo_eval_get_steps(e, &n_steps);
    frame g = {.x0 = 70, .y0 = 40 + plan_h + 70, .w = W - 70 - 190, .h = gospa_h};
    double t0 = n_steps ? steps[0].t : 0, gmax = 1;
    for (int i = 0; i < n_steps; i++) gmax = fmax(gmax, steps[i].gospa.gospa_m);
    g.xmin = 0;
    g.xmax = n_steps > 1 ? steps[n_steps - 1].t - t0 : 1;
    g.ymin = 0;
    g.ymax = gmax * 1.1;
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='14'>GOSPA per truth time (mean %.2f m)</text>\n",
            g.x0, g.y0 - 10, s->gospa_mean_m);
    axes(f, &g, "time since the first truth sample (s)", "m");
    const char *series_colour[2] = {"#000", "#1f77b4"};
    const char *series_name[2] = {"GOSPA", "localisation part"};
    for (int series = 0; series < 2 && n_steps > 0; series++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5'%s points='",
                series_colour[series], series ? " stroke-dasharray='4 3'" : "");
        size_t stride = path_stride((size_t)n_steps);
        for (int i = 0; i < n_steps; i += (int)stride) {
            double v = 0; /* the largest of the steps thinned into this point: peaks stay */
            for (int k = i; k < n_steps && k < i + (int)stride; k++)
                v = fmax(v, series ? steps[k].gospa.localisation_m : steps[k].gospa.gospa_m);
            fprintf(f, "%.1f,%.1f ", px(&g, steps[i].t - t0), py(&g, v));
        }
        fprintf(f, "'/>\n");
    }
    for (int series = 0; series < 2; series++) {
        double y = g.y0 + 18 + 18 * series;
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='2'%s/>"
                   "<text x='%.1f' y='%.1f' font-size='12'>%s</text>\n",
                lx, y, lx + 30, y, series_colour[series], series ? " stroke-dasharray='4 3'" : "",
                lx + 37, y + 4, series_name[series]);
    }
    fprintf(f, "</svg>\n");
    return ferror(f) ? -1 : 0;
}
