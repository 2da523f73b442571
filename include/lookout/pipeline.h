/*
 * lookout/pipeline.h: the core stages wired together, the same way for every command.
 *
 * Owns one chain ingest -> tracker -> classifier -> threat engine for one site, and nothing
 * at the edges: the caller feeds plots (from the simulator, a file, a socket) and receives
 * classified track reports and alert transitions through callbacks, where it writes files,
 * journals alerts, sends CAT062 or updates the display. `lookout run`, `lookout demo` and
 * `lookout serve` differ only in their sources and sinks.
 *
 * Cadence: the tracker is driven by the plots' own timestamps. Classification and threat
 * evaluation run on the reports gathered since the last evaluation, every `cadence_s` of
 * data time (half a scan by default), so flocking and alert decisions see a whole batch.
 *
 * Units: SI (types.h). Time: UTC seconds as double, data time, never the wall clock.
 */
#ifndef LOOKOUT_PIPELINE_H
#define LOOKOUT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "lookout/classify.h"
#include "lookout/config.h"
#include "lookout/diag.h"
#include "lookout/threat.h"
#include "lookout/tracker.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lo_pipeline lo_pipeline;

typedef struct lo_pipeline_sinks {
    /* Every track report after classification (class_prob filled), DELETED ones included. */
    void (*on_track)(void *ctx, const lo_track *trk);
    /* Every alert transition in order. Return 0 once it is durable (journalled) and
     * published; non-zero means it was not: the threat engine stops this round and tries
     * again at the next evaluation. */
    int (*on_alert)(void *ctx, const lo_alert *alert);
    /* After each evaluation round (may be NULL): data time now. */
    void (*on_evaluated)(void *ctx, double t);
    void *ctx;
} lo_pipeline_sinks;

typedef struct lo_pipeline_options {
    double cadence_s;                   /* <= 0: half the shortest scan period */
    const lo_classifier_model *model;   /* NULL: the built-in classifier parameters
                                           (data/classifier-v5.json, with data/classifier-v4.json
                                           for tracks without a Doppler spread) */
    uint64_t first_alert_id;            /* 0: start at 1 (a restarted journal passes max+1) */
} lo_pipeline_options;

typedef struct lo_pipeline_stats {
    uint64_t plots_in;          /* handed to lo_pipeline_add_plot */
    uint64_t plots_refused;     /* refused by ingest or the tracker (reported through diag) */
    uint64_t track_reports;
    uint64_t alert_transitions;
    uint64_t evaluations;
    size_t live_tracks;
} lo_pipeline_stats;

/* Reads the `tracker:` and `alerts:` sections of the site's YAML (errors with key path and
 * line through diag). Returns NULL when the configuration is unusable. `site` must outlive
 * the pipeline. */
lo_pipeline *lo_pipeline_new(const lo_site *site, const lo_pipeline_options *opt,
                             const lo_pipeline_sinks *sinks, lo_diag_sink *diag);
void lo_pipeline_free(lo_pipeline *p);

/* One plot, in (roughly) time order. Converts it to the system frame first. Returns 0, or
 * -1 when it was refused (unknown sensor, NaN, too late): counted, reported, the run goes on. */
int lo_pipeline_add_plot(lo_pipeline *p, const lo_plot *plot);

/* Let data time reach `now`: tracks update and, every cadence, tracks are classified and
 * alerts evaluated. Returns 0, or what on_alert returned when an alert could not be made
 * durable (the caller decides whether to go on). */
int lo_pipeline_advance(lo_pipeline *p, double now);

/* End of input at data time `t`: process what is queued, evaluate, then delete every track
 * and clear every alert (each with its transition). */
int lo_pipeline_finish(lo_pipeline *p, double t);

void lo_pipeline_get_stats(const lo_pipeline *p, lo_pipeline_stats *out);
const lo_tracker *lo_pipeline_tracker(const lo_pipeline *p);
const lo_threat_engine *lo_pipeline_threat(const lo_pipeline *p);
const lo_threat_config *lo_pipeline_threat_config(const lo_pipeline *p);

/* The built-in classifier parameters (data/classifier-v5.json compiled in), and the model for
 * tracks whose plots carry no Doppler spread (data/classifier-v4.json: lo_classifier_set_fallback). */
int lo_pipeline_default_model(lo_classifier_model *m, lo_diag_sink *diag);
int lo_pipeline_default_fallback_model(lo_classifier_model *m, lo_diag_sink *diag);
/* The built-in default scenario (scenarios/green-zone.yaml compiled in). */
const char *lo_pipeline_default_scenario(size_t *len);

#ifdef __cplusplus
}
#endif
#endif
