/* A scenario through the whole pipeline in one process (runner.h). */
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lookout/formats.h"
#include "lookout/journal.h"
#include "lookout/pipeline.h"
#include "lookout/sim.h"

typedef struct run_state {
    const lo_run_options *o;
    const lo_site *site;
    lo_journal *journal;
    lo_writer *tracks, *truth, *plots;
    bool write_failed;
    /* Summary figures. */
    uint64_t alerts_by_level[3];
    uint64_t raised_by_group[LO_GROUP_COUNT];
    uint64_t confirmed_tracks;
    uint32_t *confirmed_seen;   /* track ids seen confirmed (small open-addressing set) */
    size_t seen_cap, seen_n;
} run_state;

int lo_run_load_site(const char *path, lo_site *site)
{
    lo_diag_sink sink = {.fn = lo_diag_print_and_continue, .ctx = stderr};
    if (path) return lo_site_load(path, site, &sink);
    size_t len;
    const char *text = lo_pipeline_default_scenario(&len);
    (void)len;
    return lo_site_load_string(text, "green-zone.yaml (built in)", site, &sink);
}

/* Count each track once when it is first seen confirmed. */
static void note_confirmed(run_state *s, uint32_t id)
{
    if (s->seen_n * 2 >= s->seen_cap) {
        size_t cap = s->seen_cap ? s->seen_cap * 2 : 1024;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t) return;
        for (size_t i = 0; i < s->seen_cap; i++)
            if (s->confirmed_seen[i]) {
                size_t h = (s->confirmed_seen[i] * 2654435761u) & (cap - 1);
                while (t[h]) h = (h + 1) & (cap - 1);
                t[h] = s->confirmed_seen[i];
            }
        free(s->confirmed_seen);
        s->confirmed_seen = t;
        s->seen_cap = cap;
    }
    size_t h = (id * 2654435761u) & (s->seen_cap - 1);
    while (s->confirmed_seen[h]) {
        if (s->confirmed_seen[h] == id) return;
        h = (h + 1) & (s->seen_cap - 1);
    }
    s->confirmed_seen[h] = id;
    s->seen_n++;
    s->confirmed_tracks++;
}

static void on_track(void *ctx, const lo_track *trk)
{
    run_state *s = ctx;
    if (trk->status == LO_TRACK_CONFIRMED && trk->id) note_confirmed(s, trk->id);
    if (s->tracks && lo_track_write(s->tracks, trk) != 0) s->write_failed = true;
    if (s->o->hooks.on_track) s->o->hooks.on_track(s->o->hooks.ctx, trk);
}

static void print_alert(const run_state *s, const lo_alert *a)
{
    if (s->o->json_alerts) {
        char *json = lo_alert_json(a);
        if (json) {
            printf("%s\n", json);
            free(json);
        }
    } else {
        char when[40];
        lo_format_time(a->t, when, sizeof when);
        static const char *const tag[] = {"INFO", "WARNING", "ALARM"};
        printf("%s %-7s %-7s %-10s alert %-4" PRIu64 " track %-5u %s\n", when + 11,
               tag[a->level], lo_alert_transition_name(a->transition), a->zone_name, a->alert_id,
               a->track_id, a->reason);
    }
    fflush(stdout);
}

/* Journal first; print and show only what is durable. */
static int on_alert(void *ctx, const lo_alert *a)
{
    run_state *s = ctx;
    if (s->journal && lo_journal_append(s->journal, a) != 0) {
        fprintf(stderr, "lookout %s: alert journal %s: %s (alert %" PRIu64 " not published; "
                "retrying)\n", s->o->cmd, lo_journal_path(s->journal),
                lo_journal_error(s->journal), a->alert_id);
        return -1;
    }
    if (a->level <= LO_ALERT_ALARM) s->alerts_by_level[a->level]++;
    if (a->transition == LO_ALERT_RAISED) s->raised_by_group[lo_class_group_of(a->cls)]++;
    if (!s->o->quiet) print_alert(s, a);
    if (s->o->hooks.on_alert) s->o->hooks.on_alert(s->o->hooks.ctx, a);
    return 0;
}

static void on_truth(void *ctx, const lo_truth *t)
{
    run_state *s = ctx;
    if (s->truth && lo_truth_write(s->truth, t) != 0) s->write_failed = true;
}

static lo_writer *open_output(const run_state *s, const char *path, enum lo_record_kind kind)
{
    if (!path) return NULL;
    lo_text_format fmt = lo_format_from_path(path);
    lo_writer *w = kind == LO_RECORD_PLOT    ? lo_plot_writer_open(path, fmt)
                   : kind == LO_RECORD_TRUTH ? lo_truth_writer_open(path, fmt)
                               : lo_track_writer_open(path, fmt, &s->site->frame);
    if (!w) fprintf(stderr, "lookout %s: cannot write %s: %s\n", s->o->cmd, path, strerror(errno));
    return w;
}

static void print_summary(const run_state *s, const lo_sim *sim, const lo_pipeline *p,
                          double wall_s)
{
    lo_sim_stats ss;
    lo_sim_get_stats(sim, &ss);
    lo_pipeline_stats ps;
    lo_pipeline_get_stats(p, &ps);
    double dur = lo_sim_end_time(sim) - lo_sim_start_time(sim);
    fprintf(stderr,
            "\nlookout %s: %.0f s of scenario in %.1f s\n"
            "  plots          %" PRIu64 " (%" PRIu64 " false alarms), %" PRIu64 " refused\n"
            "  tracks         %" PRIu64 " confirmed\n"
            "  alerts         %" PRIu64 " alarm, %" PRIu64 " warning, %" PRIu64
            " info transitions\n",
            s->o->cmd, dur, wall_s, ps.plots_in, ss.false_alarms, ps.plots_refused,
            s->confirmed_tracks, s->alerts_by_level[LO_ALERT_ALARM],
            s->alerts_by_level[LO_ALERT_WARNING], s->alerts_by_level[LO_ALERT_INFO]);
    fprintf(stderr, "  raised for     ");
    bool any = false;
    for (int g = 0; g < LO_GROUP_COUNT; g++)
        if (s->raised_by_group[g]) {
            fprintf(stderr, "%s%s %" PRIu64, any ? ", " : "", lo_class_group_name(g),
                    s->raised_by_group[g]);
            any = true;
        }
    fprintf(stderr, "%s\n", any ? "" : "nothing");
    if (s->journal) fprintf(stderr, "  journal        %s\n", lo_journal_path(s->journal));
}

int lo_run_scenario(const lo_run_options *o, const lo_site *site)
{
    run_state s = {.o = o, .site = site};
    int rc = LO_EXIT_FAIL;
    lo_sim *sim = NULL;
    lo_pipeline *p = NULL;
    lo_diag_sink diag = {.fn = lo_diag_print_and_continue, .ctx = stderr};

    char err[256] = "";
    s.journal = lo_journal_open(o->db_path, false, err, sizeof err);
    if (!s.journal) {
        /* err already starts with the journal's path */
        fprintf(stderr, "lookout %s: cannot open the alert journal: %s\n", o->cmd, err);
        return LO_EXIT_FAIL;
    }
    lo_sim_options so = {.has_seed = o->has_seed, .seed = o->seed, .duration_s = o->duration_s};
    sim = lo_sim_new(site, &so, &diag);
    if (!sim) goto out;
    lo_pipeline_options po = {.first_alert_id = lo_journal_max_alert_id(s.journal) + 1};
    lo_pipeline_sinks sinks = {.on_track = on_track, .on_alert = on_alert, .ctx = &s};
    p = lo_pipeline_new(site, &po, &sinks, &diag);
    if (!p) goto out;
    s.tracks = open_output(&s, o->tracks_out, LO_RECORD_TRACK);
    s.truth = open_output(&s, o->truth_out, LO_RECORD_TRUTH);
    s.plots = open_output(&s, o->plots_out, LO_RECORD_PLOT);
    if ((o->tracks_out && !s.tracks) || (o->truth_out && !s.truth) || (o->plots_out && !s.plots))
        goto out;
    lo_sim_set_truth_callback(sim, on_truth, &s);

    double wall0 = lo_cli_monotonic_s(), t0 = lo_sim_start_time(sim), t = t0;
    double next_progress = wall0 + 1.0;
    bool progress = lo_progress_wanted() && o->speed <= 0;
    uint64_t n = 0;
    lo_plot plot;
    while (!(o->stop && *o->stop) && lo_sim_next_plot(sim, &plot) == 1) {
        if (o->speed > 0) lo_cli_sleep_s(wall0 + (plot.t - t0) / o->speed - lo_cli_monotonic_s());
        if (s.plots && lo_plot_write(s.plots, &plot) != 0) s.write_failed = true;
        double before = o->hooks.on_latency ? lo_cli_monotonic_s() : 0;
        lo_pipeline_add_plot(p, &plot);
        lo_pipeline_advance(p, plot.t);
        if (o->hooks.on_latency) o->hooks.on_latency(o->hooks.ctx, lo_cli_monotonic_s() - before);
        t = plot.t;
        n++;
        if (o->hooks.on_clock && (n & 63) == 0) o->hooks.on_clock(o->hooks.ctx, t, n);
        if (progress && (n & 4095) == 0 && lo_cli_monotonic_s() > next_progress) {
            fprintf(stderr, "\r%s: %.0f / %.0f s of scenario, %" PRIu64 " plots", o->cmd, t - t0,
                    lo_sim_end_time(sim) - t0, n);
            next_progress = lo_cli_monotonic_s() + 1.0;
        }
    }
    if (progress) fprintf(stderr, "\r%60s\r", "");
    lo_pipeline_finish(p, t);
    if (o->hooks.on_clock) o->hooks.on_clock(o->hooks.ctx, t, n);
    print_summary(&s, sim, p, lo_cli_monotonic_s() - wall0);
    rc = s.write_failed ? LO_EXIT_FAIL : LO_EXIT_OK;
    if (s.write_failed) fprintf(stderr, "lookout %s: writing an output file failed\n", o->cmd);
out:;
    lo_writer *outputs[] = {s.tracks, s.truth, s.plots};
    for (size_t i = 0; i < 3; i++)
        if (outputs[i] && lo_writer_close(outputs[i]) != 0) rc = LO_EXIT_FAIL;
    lo_pipeline_free(p);
    lo_sim_free(sim);
    lo_journal_close(s.journal);
    free(s.confirmed_seen);
    return rc;
}
