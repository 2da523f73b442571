/*
 * lookout/picture.h: the operator picture, the live state the display and the API show.
 *
 * Owns an in-memory, thread-safe store that the pipeline writes and the HTTP server reads:
 *   - the latest report of every live track (by track id), with a bounded history trail;
 *     a track leaves the picture on its LO_TRACK_DELETED report;
 *   - the alerts: the latest transition per alert_id; cleared alerts stay a short while so
 *     the operator sees them end, then go;
 *   - the site (reference point, ENU frame, sensors, zones), copied from an lo_site;
 *   - a feed/scenario status line and the data clock;
 *   - counters for /metrics: plots in, dropped packets, alerts, and a plot-to-track latency
 *     histogram (p50/p90/p99).
 * Every function takes the picture's mutex; writers and readers may run on any thread.
 * Readers get JSON text (valid JSON, checked with jansson in the tests) or Prometheus text,
 * never pointers into the store.
 *
 * Units: SI inside (m, s, rad, m/s). The JSON is an edge: its keys name their unit
 * (_m, _s, _mps, _deg), angles there are degrees, headings clockwise from true north.
 *
 * Time: the picture's clock is data time: UTC seconds (double) of the plots being processed,
 * set by the pipeline (lo_picture_set_clock or implicitly by the newest track report), never
 * the wall clock. Trails and the lingering of cleared alerts are measured in data time, so a
 * replay at any speed looks the same. Latencies are wall-clock durations the caller measured.
 */
#ifndef LOOKOUT_PICTURE_H
#define LOOKOUT_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lookout/config.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lo_picture lo_picture;

typedef struct lo_picture_config {
    double trail_s;           /* history kept per track, data seconds (default 60) */
    double trail_min_step_s;  /* a trail point at most this often (default 1) */
    double cleared_keep_s;    /* a cleared alert stays this long, data seconds (default 30) */
} lo_picture_config;

/* Fill `cfg` with the defaults above. */
void lo_picture_config_defaults(lo_picture_config *cfg);

/* A new empty picture; `cfg` NULL means defaults. Returns NULL when out of memory. */
lo_picture *lo_picture_new(const lo_picture_config *cfg);
void lo_picture_free(lo_picture *pic);

/* ---- writers (the pipeline) ---------------------------------------------------------------- */

/* Copy what the display needs from the site: name, reference point and frame, sensor names
 * and positions, zones. The picture keeps no pointer into `site`. */
void lo_picture_set_site(lo_picture *pic, const lo_site *site);

/* Free text for the operator: "scenario green-zone, 10x" or "udp 0.0.0.0:8600: 812 plots/s". */
void lo_picture_set_status(lo_picture *pic, const char *status);

/* Advance the data clock (UTC seconds). It never goes back: an older time is ignored. */
void lo_picture_set_clock(lo_picture *pic, double t);

/* Track reports, as the tracker (and classifier) emit them. A report for an unknown id adds
 * the track, a later one replaces it and extends its trail, LO_TRACK_DELETED removes it.
 * Also advances the clock to the newest report's t. One call takes the lock once. */
void lo_picture_update_tracks(lo_picture *pic, const lo_track *tracks, size_t n);

/* Alert transitions, as threat evaluation emits them: the latest per alert_id is kept; a
 * LO_ALERT_CLEARED one is dropped cleared_keep_s after its t. */
void lo_picture_update_alerts(lo_picture *pic, const lo_alert *alerts, size_t n);

/* Counters. Plots received from the sources; packets/datagrams dropped (malformed, from an
 * unconfigured source, or lost to a full queue). */
void lo_picture_count_plots(lo_picture *pic, uint64_t n);
void lo_picture_count_dropped(lo_picture *pic, uint64_t n);
/* One plot-to-track latency sample: wall-clock seconds from the plot's arrival to the track
 * report it produced. */
void lo_picture_record_latency(lo_picture *pic, double seconds);
/* The same for n samples under one lock (the pipeline records a reporting round at once). */
void lo_picture_record_latencies(lo_picture *pic, const double *seconds, size_t n);

/* ---- readers (the HTTP server, tests, benchmarks) ------------------------------------------ */

typedef struct lo_picture_stats {
    double clock;             /* data time, UTC s; 0 before any */
    uint64_t version;         /* bumped on every change; equal versions mean equal content */
    size_t n_tracks;          /* live tracks */
    size_t n_tracks_by_status[4]; /* indexed by lo_track_status (DELETED stays 0) */
    size_t n_alerts;          /* kept alerts, cleared ones included */
    size_t n_alerts_by_level[3];  /* active (not cleared), by lo_alert_level */
    uint64_t plots_in;
    uint64_t dropped;
    uint64_t tracks_created;  /* distinct track ids seen so far */
    uint64_t alerts_raised;   /* LO_ALERT_RAISED transitions seen so far */
    uint64_t latency_count;
    double latency_sum_s;
    double latency_max_s;     /* the longest sample so far */
} lo_picture_stats;

void lo_picture_get_stats(lo_picture *pic, lo_picture_stats *out);

/* Latency quantile q in [0, 1] in seconds, estimated from a log-spaced histogram (about 6%
 * relative resolution); 0 when no sample yet. */
double lo_picture_latency_quantile(lo_picture *pic, double q);

/* What a JSON snapshot contains. */
enum lo_picture_parts {
    LO_PIC_TRACKS = 1u << 0,  /* "tracks": [...] */
    LO_PIC_TRAILS = 1u << 1,  /* each track with its "trail" (needs LO_PIC_TRACKS) */
    LO_PIC_ALERTS = 1u << 2,  /* "alerts": [...] */
    LO_PIC_SITE   = 1u << 3,  /* "site": {...}, "zones": [...] */
    LO_PIC_STATUS = 1u << 4,  /* "clock_s", "status", "version", "counts" */
    LO_PIC_ALL    = 0x1f
};

/* The requested parts as compact JSON text, malloc'ed (caller frees), NULL when out of memory;
 * `type` (may be NULL) adds "type": type first; `len` (may be NULL) receives the length.
 * The picture is copied under the lock and formatted after it is released, so writers wait
 * only for a memcpy. Track objects: id, status, class (most likely fine class or "unknown"),
 * group, class_conf, class_prob {name: p}, t_s, age_s, enu_m [e,n,u], lat_deg, lon_deg,
 * alt_m (ellipsoid), height_m (ENU up), vel_mps, speed_mps, heading_deg, climb_mps,
 * n_updates, and when an alert names the track: alert {id, level, zone, time_to_entry_now_s}
 * and impact {enu_m, lat_deg, lon_deg, cov_m2, ellipse95}. docs/display.md lists every key. */
char *lo_picture_json_text(lo_picture *pic, unsigned parts, const char *type, size_t *len);

/* The same without type and length. */
char *lo_picture_json_string(lo_picture *pic, unsigned parts);

/* The same parsed into a jansson object (caller json_decref's it); NULL on failure. */
json_t *lo_picture_json(lo_picture *pic, unsigned parts);

/* Prometheus text exposition (format 0.0.4) of the counters, malloc'ed; NULL on failure.
 * `extra` (may be NULL) is appended verbatim: the server adds its own lines. */
char *lo_picture_metrics_text(lo_picture *pic, const char *extra);

/* The 95% horizontal error ellipse of a 2x2 covariance (row-major, m^2): semi-axes in m and
 * the major axis' direction in radians clockwise from north. Exposed for tests. */
void lo_picture_ellipse95(const double cov[4], double *semi_major_m, double *semi_minor_m,
                          double *orientation_rad);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_PICTURE_H */
