/*
 * lookout/fusion.h: one regional picture from several fusion nodes (docs/multisite.md).
 *
 * Owns three things:
 *   - regions: the airspace split into regions that overlap, one fusion node each, read from
 *     the `regions:` section of a site YAML (polygons or circles, like zones);
 *   - the hand-over table: track reports of several nodes in -> one regional identity per
 *     object out. A node's local track that appears while another node already holds a track
 *     of the same object (in the overlap) is associated to it by track-to-track association
 *     (Mahalanobis distance on horizontal position and velocity with both covariances, gated,
 *     assignment by lo_assign_solve) and takes its regional id; the table maps
 *     (node, local track id) -> regional id. One node owns each regional track and only its
 *     reports are shown; ownership passes on when the owner's track leaves the owner's region
 *     or ends. Pure computation: no threads, no sockets;
 *   - the display role: a subscriber of tracks (CAT062) and alerts (durable consumer) that
 *     feeds a picture through the hand-over table (thread-safe; the bus calls it).
 *
 * Units: SI, positions in the caller's system ENU frame (m), velocities m/s.
 * Time: UTC seconds as double, data time of the reports.
 */
#ifndef LOOKOUT_FUSION_H
#define LOOKOUT_FUSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/bus.h"
#include "lookout/config.h"
#include "lookout/diag.h"
#include "lookout/picture.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- regions -------------------------------------------------------------------------------- */

#define LO_MAX_REGIONS 32

typedef struct lo_region {
    char name[LO_NAME_MAX];
    char node[LO_NAME_MAX];      /* the fusion node responsible (nats.node of that node) */
    lo_zone area;                /* footprint (circle or polygon; altitude band unused) */
} lo_region;

typedef struct lo_regions {
    int n;
    lo_region r[LO_MAX_REGIONS];
} lo_regions;

/* Read `regions:` from a loaded site (absent: n = 0, returns 0). Each entry:
 *   {name: west, node: fusion-west, polygon: [[lat_deg, lon_deg], ...]}
 *   {name: east, node: fusion-east, circle: {lat_deg: .., lon_deg: .., radius_m: ..}}
 * (circle also takes x_m/y_m, east/north of the reference). Errors name line and key path;
 * returns -1 after reporting all of them. */
int lo_regions_read(const lo_site *site, lo_regions *out, lo_diag_sink *sink);
/* Index of the region of `node`, or -1. */
int lo_regions_find_node(const lo_regions *rg, const char *node);
/* Is the horizontal point (system ENU) inside region i? */
bool lo_regions_contains(const lo_regions *rg, int i, const double xy[2]);

/* ---- hand-over: (node, local track id) -> regional id --------------------------------------- */

typedef struct lo_handover lo_handover;

typedef struct lo_handover_config {
    double gate_chi2;            /* Mahalanobis gate on (dx, dy, dvx, dvy): default 18.5
                                    (chi-square, 4 degrees of freedom, 0.999) */
    double pos_sigma_floor_m;    /* added to each side's position sigma (frame and timing
                                    differences between nodes, CAT062 rounding): default 30 */
    double vel_sigma_floor_mps;  /* likewise for velocity: default 3 */
    double q_accel;              /* acceleration spectral density to predict the regional track
                                    to a report's time, m^2/s^3: default 4 */
    double stale_s;              /* a member not reported for this long no longer holds its
                                    regional track (its node may be down): default 5 */
    bool confirmed_only;         /* tentative reports are ignored: default true */
} lo_handover_config;

void lo_handover_config_defaults(lo_handover_config *c);

/* `regions` (may be NULL: ownership then only passes when the owner's track ends or goes
 * stale) is copied. NULL when out of memory. */
lo_handover *lo_handover_new(const lo_handover_config *cfg, const lo_regions *regions);
void lo_handover_free(lo_handover *h);

/* A regional track report (id = the regional id), for the picture. */
typedef void (*lo_handover_fn)(void *ctx, const lo_track *regional);

/* One batch of track reports of `node` (e.g. one CAT062 datagram), in the caller's frame.
 * New local tracks are associated first (all together, one assignment), then each report is
 * mapped; reports of the owner of their regional track are passed to fn (with the regional id),
 * others are absorbed. A DELETED report removes its membership; the regional track ends (a
 * DELETED report through fn) when its last member goes. Returns the number passed to fn. */
size_t lo_handover_update(lo_handover *h, const char *node, const lo_track *reports, size_t n,
                          lo_handover_fn fn, void *ctx);
/* End the memberships of every node not heard of since `t - stale_s` (a fusion node that died
 * without deleting its tracks): their regional tracks pass to other members or end (fn). */
size_t lo_handover_expire(lo_handover *h, double t, lo_handover_fn fn, void *ctx);

/* The regional id of (node, local id), 0 when unknown. */
uint32_t lo_handover_lookup(const lo_handover *h, const char *node, uint32_t local_id);
/* An alert of `node`: track_id becomes the regional id (when known) and alert_id a number
 * unique across nodes (the same for every transition of one (node, alert_id)). */
void lo_handover_map_alert(lo_handover *h, const char *node, lo_alert *a);

typedef struct lo_handover_stats {
    uint64_t reports_in, reports_out, reports_absorbed, reports_ignored;
    uint64_t associations;       /* local tracks that joined an existing regional track */
    uint64_t new_regional;       /* regional ids created */
    uint64_t handovers;          /* ownership passed from one node to another */
    size_t regional_tracks;      /* live now */
    size_t members;              /* live (node, local id) pairs */
} lo_handover_stats;

void lo_handover_get_stats(const lo_handover *h, lo_handover_stats *out);

/* ---- the display role ------------------------------------------------------------------------ */

typedef struct lo_display lo_display;

typedef struct lo_display_options {
    const char *durable;         /* durable consumer name for alerts (default: the bus node) */
    const char *zone;            /* alerts of one zone only; NULL: all */
    lo_handover_config handover; /* zero: defaults */
    const lo_regions *regions;   /* may be NULL */
    double tod_near_t;           /* CAT062 time of day resolved near this before the first
                                    report (0: the wall clock), then near the last one */
} lo_display_options;

typedef struct lo_display_stats {
    uint64_t track_messages, track_records, alerts;
    uint64_t alerts_duplicate;   /* a transition seen before (at-least-once delivery) */
    lo_handover_stats handover;
} lo_display_stats;

/* Subscribe `bus` to every node's tracks and to the alert stream; reports and alerts go into
 * `pic` through the hand-over table. `site` gives the frame (and must outlive the display).
 * Close the bus before freeing the display. */
lo_display *lo_display_new(const lo_site *site, lo_bus *bus, lo_picture *pic,
                           const lo_display_options *opt);
void lo_display_free(lo_display *d);
void lo_display_get_stats(lo_display *d, lo_display_stats *out);
/* Its counters as Prometheus text (lookout_display_* metrics labelled {node="..."}),
 * snprintf style: returns the whole text's length, or -1. Thread-safe (the service's /metrics
 * calls it on an HTTP thread). docs/multisite.md lists the names. */
int lo_display_metrics_text(lo_display *d, const char *node, char *buf, size_t len);
/* The same handlers the subscriptions use (tests feed them directly). */
void lo_display_bus_tracks(void *display, const lo_bus_msg *m);
bool lo_display_bus_alert(void *display, const lo_bus_alert_msg *m);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_FUSION_H */
