/*
 * lookout/roles.h: the roles a lookout node plays on the NATS bus (docs/multisite.md).
 *
 * Owns the adapters between the bus (bus.h: sockets, threads, queues) and the core pipeline
 * (pipeline.h: ingest -> tracker -> classifier -> threat), so that neither knows the other:
 *
 *   edge    one radar site. Its plots go through its own pipeline exactly as when it runs
 *           alone; the local sinks (journal, display) are called first, and only then are the
 *           plots (CAT048), its system tracks (CAT062) and its alert transitions handed to the
 *           bus. Every bus call copies and returns: local warning never waits for the network.
 *   fusion  one region. Receives the plots of several edge sites from the bus (CAT048 bytes,
 *           decoded on the bus thread into a bounded inbox), and on the owner's thread runs a
 *           plot-level multi-radar pipeline over the union of their coverage (a site file that
 *           lists every sensor of the region and the regional zones). Publishes its regional
 *           tracks and alert transitions like an edge.
 *   display subscribes only (see fusion.h: lo_display).
 *
 * Threads: lo_role_* calls are made from one owner thread. The fusion inbox is filled by the
 * bus thread and drained by lo_role_poll on the owner's thread.
 *
 * Units: SI (types.h). Time: UTC seconds as double, data time (the plots' own times); only the
 * latency figures are wall-clock durations.
 */
#ifndef LOOKOUT_ROLES_H
#define LOOKOUT_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/bus.h"
#include "lookout/config.h"
#include "lookout/diag.h"
#include "lookout/pipeline.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lo_role lo_role;

typedef struct lo_role_options {
    lo_bus_role role;              /* LO_BUS_ROLE_EDGE or LO_BUS_ROLE_FUSION */
    lo_pipeline_options pipeline;  /* passed to lo_pipeline_new */
    uint8_t sac, sic;              /* I062/010 of this node's system tracks (default 0/1) */
    bool publish_tentative;        /* also publish tentative tracks (default: confirmed and
                                      coasting ones, and the deletion of any published one) */
    /* fusion only: */
    const char *plot_site;         /* subscribe to this edge site's plots; NULL: every site */
    long inbox_max;                /* plots waiting for lo_role_poll; the oldest are dropped
                                      beyond it (0: 200000) */
    double lag_s;                  /* the pipeline runs this far behind the newest plot so that
                                      the slower edges' plots are still in time (0: 1 s) */
    double tod_near_t;             /* CAT048 carries only the time of day: it is resolved
                                      nearest to the last plot's time, or before the first plot
                                      to this (UTC s; 0: the wall clock) */
} lo_role_options;

typedef struct lo_role_stats {
    uint64_t plots_local;          /* plots handed to this node's pipeline */
    uint64_t plots_published;      /* edge: plot data blocks handed to the bus */
    uint64_t tracks_published;     /* CAT062 records handed to the bus */
    uint64_t alerts_published;     /* alert transitions handed to the bus */
    uint64_t alerts_local;         /* alert transitions the local sinks accepted */
    /* fusion: */
    uint64_t plots_received;       /* CAT048 records decoded from the bus */
    uint64_t plots_undecodable;    /* records without a position or of an unknown radar, and
                                      malformed blocks (reported through diag) */
    uint64_t plots_inbox_dropped;  /* dropped from a full inbox (oldest first) */
    uint64_t plots_duplicate;      /* the same plot again (live and replayed): dropped */
    uint64_t plots_late;           /* refused by the pipeline (older than its time) */
    size_t inbox;                  /* plots waiting now */
    double latency_p50_s, latency_p99_s; /* wall time from a plot's arrival in the inbox to
                                             the track report that used it */
    uint64_t latency_samples;
} lo_role_stats;

/* A node of this role over `site` (which must outlive it). `bus` may be NULL: the node then
 * works alone (an edge warns exactly the same). `local` are the caller's own sinks (journal,
 * picture): called first; an alert is published only once local->on_alert accepted it.
 * A fusion role subscribes to the plots at once. NULL when the configuration is unusable. */
lo_role *lo_role_new(const lo_site *site, lo_bus *bus, const lo_role_options *opt,
                     const lo_pipeline_sinks *local, lo_diag_sink *diag);
/* Unsubscribing is not possible with libnats core subscriptions held by the bus: close the bus
 * first (lo_bus_close) when the role had one, then free the role. */
void lo_role_free(lo_role *r);

/* Edge: one local plot: into the pipeline, then queued as CAT048 for the bus. Fusion: a plot
 * fed directly (tests, replay). Returns what lo_pipeline_add_plot returned. */
int lo_role_add_plot(lo_role *r, const lo_plot *plot);
/* Let data time reach `now`: hands the plots gathered since the last call to the bus (one
 * data block per sensor), advances the pipeline (its tracks and alerts are published as they
 * come). Returns what lo_pipeline_advance returned. */
int lo_role_advance(lo_role *r, double now);
/* Fusion: take every plot the bus delivered, in time order, into the pipeline and advance
 * it to the newest plot's time minus lag_s. Returns the number of plots taken. */
long lo_role_poll(lo_role *r);
/* Fusion, at start: replay what the plots stream holds since `since_utc_s` (wall-clock UTC
 * of publication) into the inbox, so that the picture is rebuilt from the last seconds
 * instead of the next ones. BLOCKS up to timeout_s (lo_bus_replay_plots). Plots that also
 * arrive live are taken once. Returns the number replayed, -1 without a bus. */
long lo_role_replay(lo_role *r, double since_utc_s, double timeout_s);
/* End of input at data time t (lo_pipeline_finish), publishing the final transitions. */
int lo_role_finish(lo_role *r, double t);

void lo_role_get_stats(lo_role *r, lo_role_stats *out);
/* A stats snapshot as Prometheus text (lookout_role_* metrics, labelled {node="..."}; the
 * fusion-only ones for a fusion role), snprintf style: returns the whole text's length, or -1.
 * Works on a copy, so any thread may call it (the service renders its /metrics on HTTP
 * threads from a snapshot the owner's thread takes). docs/multisite.md lists the names. */
int lo_role_metrics_text(const lo_role_stats *st, lo_bus_role role, const char *node, char *buf,
                         size_t len);
lo_pipeline *lo_role_pipeline(lo_role *r);
/* Newest plot time taken so far (data time), 0 before any. */
double lo_role_clock(const lo_role *r);

/* Fusion: handle one plots message as the bus subscription does (exposed for tests and the
 * replay of the plots stream: lo_bus_replay_plots(bus, site, since, lo_role_bus_plots, role)). */
void lo_role_bus_plots(void *role, const lo_bus_msg *m);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_ROLES_H */
