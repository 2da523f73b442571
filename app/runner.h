/*
 * runner.h: a scenario through the whole pipeline in one process, shared by `lookout run`
 * (batch, as fast as possible) and `lookout demo` (paced, with the live display).
 *
 * simulator -> pipeline (ingest, tracker, classifier, threat) -> alert journal (SQLite,
 * durable before anything is printed or shown) -> terminal, optional files, and hooks for
 * the display. Time: data time is the scenario's UTC seconds; pacing alone reads the clock.
 */
#ifndef LOOKOUT_APP_RUNNER_H
#define LOOKOUT_APP_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "lookout/config.h"
#include "lookout/types.h"

typedef struct lo_run_hooks {
    void (*on_track)(void *ctx, const lo_track *trk);
    void (*on_alert)(void *ctx, const lo_alert *a);      /* after it is journalled */
    void (*on_clock)(void *ctx, double t, uint64_t plots_so_far);
    void (*on_latency)(void *ctx, double seconds);       /* wall time to process one plot */
    void *ctx;
} lo_run_hooks;

typedef struct lo_run_options {
    const char *scenario_path;  /* NULL: the built-in green-zone scenario */
    bool has_seed;
    uint64_t seed;
    double duration_s;          /* > 0 overrides the scenario's */
    double speed;               /* 0: as fast as possible; X: X times real time */
    const char *db_path;        /* alert journal */
    const char *tracks_out;     /* optional tracks file (CSV or *.jsonl) */
    const char *truth_out;      /* optional truth file */
    const char *plots_out;      /* optional plots file */
    bool quiet;                 /* no alert lines on stdout */
    bool json_alerts;           /* alert lines as JSON */
    const char *cmd;            /* for messages: "run", "demo" */
    lo_run_hooks hooks;
    volatile sig_atomic_t *stop; /* set by a signal handler to end early */
} lo_run_options;

/* Load the scenario into `site` (the built-in one when path is NULL). Returns 0, or -1 after
 * reporting every error to stderr. */
int lo_run_load_site(const char *path, lo_site *site);

/* Run it. Returns an exit code (LO_EXIT_*). Prints a summary on stderr at the end. */
int lo_run_scenario(const lo_run_options *o, const lo_site *site);

#endif
