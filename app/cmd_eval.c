/* lookout eval: score track reports against truth (GOSPA and track figures; docs/eval.md). */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "lookout/config.h"
#include "lookout/eval.h"
#include "lookout/formats.h"
#include "lookout/journal.h"

#include <jansson.h>

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lookout eval --tracks TRACKS [--truth TRUTH] [OPTIONS]\n"
            "Scores track reports against ground truth: GOSPA per truth time (localisation,\n"
            "missed and false parts) and its mean, track purity, continuity (tracks per object,\n"
            "identity swaps), latency to confirmation, false tracks per hour, position and\n"
            "velocity RMS. Without --truth, only Mode S purity (tracks mixing addresses).\n"
            "With --truth also the warning figures: confusion matrix of the tracks' classes at\n"
            "ages 5, 10, 30 s; with --site and --alerts, warning time per threat against the\n"
            "ideal, and false alarms per hour (docs/eval.md).\n"
            "Files are CSV or JSON lines (docs/formats.md); '-' reads stdin.\n\n"
            "Options:\n"
            "  --truth FILE      truth samples (time, truth_id, class, x_m .. vz_mps)\n"
            "  --tracks FILE     track reports (time, track_id, status, x_m .. vz_mps, ...)\n"
            "  --plots FILE      plots with truth_id: first detection time of each object\n"
            "  --site FILE       site YAML: without --plots, an object counts as detectable\n"
            "                    from its first truth sample inside a sensor's coverage;\n"
            "                    its protected zones give the threats (warning figures)\n"
            "  --alerts FILE     alert transitions: the journal (lookout-alerts.sqlite) or\n"
            "                    JSON lines (lookout run --json): warning times, false alarms\n"
            "  --cutoff M        GOSPA cut-off distance c in metres (default 100)\n"
            "  --order P         GOSPA order p >= 1 (default 2)\n"
            "  --alpha A         GOSPA alpha in (0, 2] (default 2)\n"
            "  --max-age S       oldest track report used at a truth time, seconds\n"
            "                    (default: twice the median interval between reports)\n"
            "  --detectable-only also score GOSPA over the objects the radar detects: those\n"
            "                    with --detectable-plots N (default 1) plots in the last\n"
            "                    --detectable-window S seconds (default 2); needs --plots;\n"
            "                    printed after the table, or as \"detectable\" in --json\n"
            "  --json            print the results as JSON instead of a table\n"
            "  --plot FILE.svg   draw truth and tracks (plan view) and GOSPA over time\n"
            "  -h, --help        this text\n");
}

/* Inside some sensor's range and elevation coverage (config.h: min/max range, elevation). */
static bool in_site_coverage(void *ctx, const double enu[3])
{
    const lo_site *site = ctx;
    for (int i = 0; i < site->n_sensors; i++) {
        const lo_sensor *s = &site->sensors[i];
        double range, azimuth, elevation;
        lo_system_enu_to_polar(&site->frame, &site->sensor_frames[i], site->propagation, enu,
                               &range, &azimuth, &elevation);
        if (range < s->min_range_m || range > s->max_range_m) continue;
        if (s->max_elevation_rad > s->min_elevation_rad &&
            (elevation < s->min_elevation_rad || elevation > s->max_elevation_rad))
            continue;
        return true;
    }
    return false;
}

/* The detectable-object GOSPA (eval.h, lo_eval_gospa_detectable) after the table. */
static void print_detectable(const lo_eval_detectable *d, FILE *f)
{
    fprintf(f,
            "\nGOSPA over detectable objects (%d plot(s) in the last %.1f s): mean %.2f m "
            "(localisation %.2f, missed %.2f, false %.2f); %.1f detectable objects, "
            "%.2f missed, %.2f false, %.2f tracks left out per step\n",
            d->min_plots, d->window_s, d->gospa_mean_m, d->localisation_mean_m, d->missed_mean_m, d->false_mean_m,
            d->truth_per_step, d->missed_per_step, d->false_per_step, d->left_out_per_step);
}

/* The "detectable" member of --json. */
static json_t *detectable_json(const lo_eval_detectable *d)
{
    return json_pack("{s:i, s:f, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "min_plots", d->min_plots,
                     "window_s", d->window_s, "n_steps", d->n_steps, "gospa_mean_m", d->gospa_mean_m,
                     "localisation_mean_m", d->localisation_mean_m, "missed_mean_m", d->missed_mean_m,
                     "false_mean_m", d->false_mean_m, "truth_per_step", d->truth_per_step,
                     "missed_per_step", d->missed_per_step, "false_per_step", d->false_per_step,
                     "left_out_per_step", d->left_out_per_step);
}

/* "read 1200000 track reports" on a terminal, every 100,000 records. */
static void progress(const char *what, long n)
{
    if (n % 100000 == 0 && lo_progress_wanted())
        fprintf(stderr, "\rlookout eval: read %ld %s   ", n, what);
}

static bool readable(const char *path)
{
    return strcmp(path, "-") == 0 || access(path, R_OK) == 0;
}

/* ---- alert transitions: the journal or JSON lines ------------------------------------------ */

static bool add_journal_row(void *ctx, int64_t seq, const lo_alert *a, const char *snapshot)
{
    (void)seq;
    (void)snapshot;
    return lo_warn_eval_add_alert(ctx, a) == 0;
}

static bool is_sqlite(const char *path)
{
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0;
}

/* One JSON line as `lookout run --json` / `lookout alerts --json` print them; only the fields
 * the warning figures use. Returns false (and says why) for a line that is not one. */
static bool alert_from_json_line(const char *line, const char *path, long lineno, lo_alert *a)
{
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    const char *why = NULL;
    memset(a, 0, sizeof *a);
    if (!json_is_object(o)) why = o ? "not a JSON object" : err.text;
    json_t *id = json_object_get(o, "alert_id"), *track = json_object_get(o, "track_id"),
           *zone = json_object_get(o, "zone_index"), *t = json_object_get(o, "t");
    const char *level = json_string_value(json_object_get(o, "level"));
    const char *tr = json_string_value(json_object_get(o, "transition"));
    if (!why && (!json_is_integer(id) || !json_is_integer(track) || !json_is_integer(zone) ||
                 !json_is_number(t) || !level || !tr))
        why = "needs alert_id, track_id, zone_index, t, level and transition";
    if (!why) {
        a->alert_id = (uint64_t)json_integer_value(id);
        a->track_id = (uint32_t)json_integer_value(track);
        a->zone_index = (int)json_integer_value(zone);
        a->t = json_number_value(t);
        if (strcmp(level, "alarm") == 0) a->level = LO_ALERT_ALARM;
        else if (strcmp(level, "warning") == 0) a->level = LO_ALERT_WARNING;
        else if (strcmp(level, "info") == 0) a->level = LO_ALERT_INFO;
        else why = "level: expected info, warning or alarm";
        if (strcmp(tr, "raised") == 0) a->transition = LO_ALERT_RAISED;
        else if (strcmp(tr, "updated") == 0) a->transition = LO_ALERT_UPDATED;
        else if (strcmp(tr, "cleared") == 0) a->transition = LO_ALERT_CLEARED;
        else why = "transition: expected raised, updated or cleared";
        json_t *imp = json_object_get(o, "impact_enu");
        if (json_is_array(imp) && json_array_size(imp) == 2) {
            a->has_impact = true;
            a->impact_enu[0] = json_number_value(json_array_get(imp, 0));
            a->impact_enu[1] = json_number_value(json_array_get(imp, 1));
        }
    }
    json_decref(o);
    if (why) fprintf(stderr, "%s:%ld: error: alert: %s; line skipped\n", path, lineno, why);
    return !why;
}

/* Returns an exit status. */
static int read_alerts(const char *path, lo_warn_eval *w)
{
    if (is_sqlite(path)) {
        char err[256] = "";
        lo_journal *j = lo_journal_open(path, true, err, sizeof err);
        if (!j) {
            fprintf(stderr, "lookout eval: cannot read the alert journal %s: %s\n", path, err);
            return LO_EXIT_FAIL;
        }
        long n = lo_journal_list(j, -INFINITY, add_journal_row, w);
        lo_journal_close(j);
        return n < 0 ? LO_EXIT_FAIL : LO_EXIT_OK;
    }
    FILE *f = fopen(path, "r");
    if (!f) return LO_EXIT_FAIL;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int status = LO_EXIT_OK;
    lo_alert a;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0) continue;
        if (alert_from_json_line(line, path, lineno, &a) && lo_warn_eval_add_alert(w, &a)) {
            status = LO_EXIT_FAIL;
            break;
        }
    }
    free(line);
    fclose(f);
    return status;
}

/* The evaluation's JSON object with the warning figures added under "warnings". */
static int write_json_with_warnings(const lo_eval *e, const lo_warn_eval *w, const lo_zone *zones,
                                    int n_zones, const lo_eval_detectable *d)
{
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    FILE *fa = open_memstream(&a, &na), *fb = w ? open_memstream(&b, &nb) : NULL;
    int rc = !fa || (w && !fb);
    if (!rc) rc = lo_eval_write_json(e, fa) || (w && lo_warn_eval_write_json(w, zones, n_zones, fb));
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    json_t *root = rc ? NULL : json_loads(a, 0, NULL), *warn = (rc || !w) ? NULL : json_loads(b, 0, NULL);
    json_t *det = (rc || !d) ? NULL : detectable_json(d);
    free(a);
    free(b);
    if (!json_is_object(root) || (w && !warn) || (d && !det)) rc = -1;
    else {
        if (warn) json_object_set(root, "warnings", warn);
        if (det) json_object_set(root, "detectable", det);
        rc = json_dumpf(root, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
    }
    json_decref(root);
    json_decref(warn);
    json_decref(det);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    enum { OPT_TRUTH = 1000, OPT_TRACKS, OPT_PLOTS, OPT_SITE, OPT_CUTOFF, OPT_ORDER, OPT_ALPHA, OPT_MAX_AGE,
           OPT_JSON, OPT_PLOT, OPT_ALERTS, OPT_DETECTABLE, OPT_DETECTABLE_WINDOW, OPT_DETECTABLE_PLOTS };
    static const struct option longopts[] = {
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"tracks", required_argument, NULL, OPT_TRACKS},
        {"plots", required_argument, NULL, OPT_PLOTS},
        {"site", required_argument, NULL, OPT_SITE},
        {"cutoff", required_argument, NULL, OPT_CUTOFF},
        {"order", required_argument, NULL, OPT_ORDER},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"max-age", required_argument, NULL, OPT_MAX_AGE},
        {"json", no_argument, NULL, OPT_JSON},
        {"detectable-only", no_argument, NULL, OPT_DETECTABLE},
        {"detectable-window", required_argument, NULL, OPT_DETECTABLE_WINDOW},
        {"detectable-plots", required_argument, NULL, OPT_DETECTABLE_PLOTS},
        {"plot", required_argument, NULL, OPT_PLOT},
        {"alerts", required_argument, NULL, OPT_ALERTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *truth_path = NULL, *tracks_path = NULL, *plots_path = NULL, *svg_path = NULL,
               *site_path = NULL, *alerts_path = NULL;
    bool json = false, detectable = false;
    double detectable_window_s = 2.0, detectable_plots = 1;
    lo_eval_options opt;
    lo_eval_options_default(&opt);

    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': usage(stdout); return LO_EXIT_OK;
        case OPT_TRUTH: truth_path = optarg; break;
        case OPT_TRACKS: tracks_path = optarg; break;
        case OPT_PLOTS: plots_path = optarg; break;
        case OPT_PLOT: svg_path = optarg; break;
        case OPT_SITE: site_path = optarg; break;
        case OPT_ALERTS: alerts_path = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_DETECTABLE: detectable = true; break;
        case OPT_DETECTABLE_WINDOW:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &detectable_window_s))
                return lo_usage_error("eval", "--detectable-window needs seconds > 0, not '%s'", optarg);
            detectable = true;
            break;
        case OPT_DETECTABLE_PLOTS:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &detectable_plots) || detectable_plots != floor(detectable_plots) ||
                detectable_plots > 1000)
                return lo_usage_error("eval", "--detectable-plots needs a whole number >= 1, not '%s'", optarg);
            detectable = true;
            break;
        case OPT_CUTOFF:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &opt.gospa.cutoff_m))
                return lo_usage_error("eval", "--cutoff needs a distance in metres > 0, not '%s'", optarg);
            break;
        case OPT_ORDER:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &opt.gospa.order_p) || opt.gospa.order_p < 1)
                return lo_usage_error("eval", "--order needs a number >= 1, not '%s'", optarg);
            break;
        case OPT_ALPHA:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &opt.gospa.alpha) || opt.gospa.alpha > 2)
                return lo_usage_error("eval", "--alpha needs a number in (0, 2], not '%s'", optarg);
            break;
        case OPT_MAX_AGE:
            if (!lo_cli_number(optarg, DBL_TRUE_MIN, HUGE_VAL, &opt.max_age_s))
                return lo_usage_error("eval", "--max-age needs seconds > 0, not '%s'", optarg);
            break;
        case ':': return lo_usage_error("eval", "option '%s' needs a value", argv[optind - 1]);
        default: return lo_usage_error("eval", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return lo_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (!tracks_path) return lo_usage_error("eval", "--tracks FILE is required");
    if (detectable && (!plots_path || !truth_path))
        return lo_usage_error("eval", "--detectable-only needs --truth and --plots");
    const char *inputs[] = {truth_path, tracks_path, plots_path};
    int n_stdin = 0;
    for (int i = 0; i < 3; i++) {
        if (!inputs[i]) continue;
        if (!readable(inputs[i]))
            return lo_usage_error("eval", "cannot read '%s': %s", inputs[i], strerror(errno));
        n_stdin += strcmp(inputs[i], "-") == 0;
    }
    if (n_stdin > 1) return lo_usage_error("eval", "only one input can be '-' (stdin)");
    if (site_path && access(site_path, R_OK) != 0)
        return lo_usage_error("eval", "cannot read '%s': %s", site_path, strerror(errno));
    if (alerts_path && access(alerts_path, R_OK) != 0)
        return lo_usage_error("eval", "cannot read '%s': %s", alerts_path, strerror(errno));
    if (alerts_path && !truth_path)
        return lo_usage_error("eval", "--alerts needs --truth (warning figures are scored against truth)");

    lo_diag_sink sink = {0}; /* print each problem on stderr, skip the record, go on */
    lo_site site;
    bool have_site = false;
    if (site_path) {
        if (lo_site_load(site_path, &site, &sink) != 0) {
            fprintf(stderr, "lookout eval: cannot use the site file '%s' (see above)\n", site_path);
            return LO_EXIT_FAIL;
        }
        have_site = true;
    }
    lo_eval *e = lo_eval_new(&opt);
    if (!e) {
        if (have_site) lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    if (have_site) lo_eval_set_coverage(e, in_site_coverage, &site);
    lo_warn_eval *w = truth_path ? lo_warn_eval_new() : NULL;
    int status = truth_path && !w ? LO_EXIT_FAIL : LO_EXIT_OK;
    long n_read = 0;

    if (truth_path) {
        lo_reader *r = lo_truth_reader_open(truth_path, &sink);
        n_read = 0;
        lo_truth t;
        int got = 0;
        while (r && (got = lo_truth_reader_next(r, &t)) == 1)
            if (lo_eval_add_truth(e, &t)) got = -1;
            else progress("truth samples", ++n_read);
        lo_reader_close(r);
        if (!r || got < 0) status = LO_EXIT_FAIL;
    }
    if (status == LO_EXIT_OK) {
        lo_reader *r = lo_track_reader_open(tracks_path, &sink);
        n_read = 0;
        lo_track k;
        int got = 0;
        while (r && (got = lo_track_reader_next(r, &k)) == 1)
            if (lo_eval_add_track(e, &k) || (w && lo_warn_eval_add_track(w, &k))) got = -1;
            else progress("track reports", ++n_read);
        lo_reader_close(r);
        if (!r || got < 0) status = LO_EXIT_FAIL;
    }
    if (status == LO_EXIT_OK && plots_path) {
        lo_reader *r = lo_plot_reader_open(plots_path, &sink);
        n_read = 0;
        lo_plot p;
        int got = 0;
        while (r && (got = lo_plot_reader_next(r, &p)) == 1)
            if (lo_eval_add_plot(e, &p)) got = -1;
            else progress("plots", ++n_read);
        lo_reader_close(r);
        if (!r || got < 0) status = LO_EXIT_FAIL;
    }
    if (status == LO_EXIT_OK && alerts_path) status = read_alerts(alerts_path, w);
    if (status != LO_EXIT_OK) {
        fprintf(stderr, "lookout eval: cannot read the input (see the messages above)\n");
        lo_warn_eval_free(w);
        lo_eval_free(e);
        if (have_site) lo_site_free(&site);
        return status;
    }
    if (lo_progress_wanted()) fprintf(stderr, "\rlookout eval: scoring...%40s", "");
    int run_rc = lo_eval_run(e);
    const lo_zone *zones = have_site ? site.zones : NULL;
    int n_zones = have_site ? site.n_zones : 0;
    if (!run_rc && w) run_rc = lo_warn_eval_run(w, e, zones, n_zones);
    if (lo_progress_wanted()) fprintf(stderr, "\r%64s\r", ""); /* clear the progress line */
    if (run_rc) {
        fprintf(stderr, "lookout eval: out of memory\n");
        lo_warn_eval_free(w);
        lo_eval_free(e);
        if (have_site) lo_site_free(&site);
        return LO_EXIT_FAIL;
    }
    if (sink.errors > 0)
        fprintf(stderr, "lookout eval: %ld bad record(s) skipped (see above)\n", sink.errors);

    int rc;
    lo_eval_detectable d;
    bool have_d = false;
    if (detectable) {
        have_d = lo_eval_gospa_detectable(e, detectable_window_s, (int)detectable_plots, &d) == 0;
        if (!have_d) fprintf(stderr, "lookout eval: no plots to tell detectable objects by, or out of memory\n");
    }
    if (detectable && !have_d)
        rc = -1;
    else if (json)
        rc = (w || have_d) ? write_json_with_warnings(e, w, zones, n_zones, have_d ? &d : NULL)
                           : lo_eval_write_json(e, stdout);
    else {
        rc = lo_eval_print_table(e, stdout) || (w && lo_warn_eval_print_table(w, zones, n_zones, stdout));
        if (!rc && have_d) print_detectable(&d, stdout);
    }
    if (rc) status = LO_EXIT_FAIL;
    if (svg_path) {
        FILE *f = fopen(svg_path, "w");
        if (!f || lo_eval_write_svg(e, f) || fclose(f)) {
            fprintf(stderr, "lookout eval: cannot write '%s': %s\n", svg_path, strerror(errno));
            status = LO_EXIT_FAIL;
        }
    }
    lo_warn_eval_free(w);
    lo_eval_free(e);
    if (have_site) lo_site_free(&site);
    return status;
}
