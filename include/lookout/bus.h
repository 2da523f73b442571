/*
 * lookout/bus.h: the NATS transport between lookout nodes (many radar sites, one picture).
 *
 * Owns one connection to a NATS cluster (libnats) and a background thread that moves what the
 * service hands over onto the wire, plus the subscriptions the service asks for. Payloads are
 * opaque bytes produced elsewhere (ASTERIX CAT048 plots, CAT062 tracks) or alert transitions,
 * which this module serialises as JSON. Subjects, payloads, streams and the buffering rules are
 * in docs/nats.md.
 *
 * The one rule that shapes everything here: local warning never waits for the network. Every
 * publish call only copies into a queue and returns at once, whether or not NATS is reachable
 * (no call in this header blocks on the network except lo_bus_wait_ready, lo_bus_flush and
 * lo_bus_replay_plots, which say so). While NATS is down:
 *   - plots, tracks and health messages wait in bounded rings; when a ring is full the OLDEST
 *     message is dropped and counted (lo_bus_stats, /metrics);
 *   - alert transitions are never dropped: they wait in an unbounded FIFO (optionally mirrored
 *     to a spool file that a restarted process re-publishes) and go out in order after
 *     reconnection, each published to JetStream and acknowledged, with a message id
 *     (Nats-Msg-Id = node.alert_id.seq) so that retries are de-duplicated by the server.
 * The connection reconnects by itself, forever.
 *
 * Callbacks given to the subscribe calls run on libnats / bus threads, never the caller's:
 * they must be thread-safe with respect to the caller's own data.
 *
 * Time: alert times are UTC seconds since the epoch (double), as in types.h; durations in the
 * configuration are seconds (double), sizes are counts or megabytes as their names say.
 */
#ifndef LOOKOUT_BUS_H
#define LOOKOUT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lookout/diag.h"
#include "lookout/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lo_site;

/* ---- configuration: the `nats:` section of the site YAML (docs/nats.md) ---------------- */

typedef enum lo_bus_role {
    LO_BUS_ROLE_EDGE = 0, /* one radar site: publishes plots, tracks, local alerts */
    LO_BUS_ROLE_FUSION,   /* a region: subscribes to edge plots, publishes regional tracks/alerts */
    LO_BUS_ROLE_DISPLAY   /* subscribes only: display, API, journal */
} lo_bus_role;

const char *lo_bus_role_name(lo_bus_role r);

#define LO_BUS_MAX_SERVERS 16
#define LO_BUS_URL_MAX 200
#define LO_BUS_PATH_MAX 256

typedef struct lo_bus_config {
    bool present;                 /* the file had a nats: section */
    int n_servers;
    char servers[LO_BUS_MAX_SERVERS][LO_BUS_URL_MAX]; /* "nats://127.0.0.1:4222" */
    char node[LO_NAME_MAX];       /* this node's name: subject token, message ids */
    char site[LO_NAME_MAX];       /* plots subject token; default: the site's name */
    lo_bus_role role;

    long plot_buffer;             /* plots kept while NATS is down (oldest dropped first) */
    long track_buffer;            /* track messages kept likewise */
    double buffer_mb;             /* byte cap of each of those rings */
    double reconnect_wait_s;      /* pause between rounds of reconnect attempts */
    double connect_timeout_s;     /* one TCP connect attempt */
    double alert_ack_timeout_s;   /* wait for a JetStream ack before retrying */
    int alert_replicas;           /* wanted replicas of the alert stream (1 without a cluster) */
    double alert_max_age_s;       /* how long the alert stream keeps transitions */
    double alert_dedup_window_s;  /* server-side duplicate window for alert message ids */
    double plot_window_s;         /* plots stream replay window; 0: no plots stream */
    double plot_stream_mb;        /* plots stream byte cap */
    char alert_spool[LO_BUS_PATH_MAX]; /* file mirroring unacknowledged alerts; "" = none */
    double health_interval_s;     /* own heartbeat on lookout.health.<node>; 0 = none */
} lo_bus_config;

/* Defaults (docs/nats.md lists the same numbers). */
void lo_bus_config_defaults(lo_bus_config *c);
/* Read the `nats:` section of a loaded site (site->doc). Without one, *out holds the defaults
 * with present = false and 0 is returned. Returns -1 after reporting every bad key (key path
 * and line) through `sink`. The site name fills `site` unless the section names one. */
int lo_bus_config_read(const struct lo_site *site, lo_bus_config *out, lo_diag_sink *sink);

/* Make `name` a valid single NATS subject token in buf: characters other than letters,
 * digits, '-' and '_' become '_' (so "green zone" -> "green_zone"); an empty name is "_". */
const char *lo_bus_token(const char *name, char *buf, size_t len);

/* ---- the connection ----------------------------------------------------------------------- */

typedef struct lo_bus lo_bus;

/* Start the bus: validates the configuration, reloads the alert spool if there is one, and
 * starts the background thread that connects (and reconnects) in its own time. Never waits
 * for the network. Returns NULL with a reason in err when the configuration is unusable. */
lo_bus *lo_bus_open(const lo_bus_config *cfg, char *err, size_t errlen);
/* Stop the thread and close the connection. Unpublished alerts stay in the spool (if any);
 * call lo_bus_flush first to try to deliver them. */
void lo_bus_close(lo_bus *bus);
/* Release libnats' process-wide state (after every bus is closed; tests call it at exit so
 * leak checkers see a clean process). */
void lo_bus_library_cleanup(void);

/* Blocks up to timeout_s until connected with the JetStream streams in place. */
bool lo_bus_wait_ready(lo_bus *bus, double timeout_s);
/* Blocks up to timeout_s until every queued message has been handed to NATS and every alert
 * acknowledged by JetStream. Returns true when all went. */
bool lo_bus_flush(lo_bus *bus, double timeout_s);

/* ---- publishing (never blocks: copies and returns) ---------------------------------------- */

/* Plot bytes (ASTERIX CAT048) on lookout.plots.<site>.<sensor>. Returns 0, or -1 for bad
 * arguments (NULL, empty, over 1 MiB). */
int lo_bus_publish_plot(lo_bus *bus, const char *sensor, const void *data, size_t len);
/* System track bytes (CAT062) on lookout.tracks.<node>. */
int lo_bus_publish_track(lo_bus *bus, const void *data, size_t len);
/* A health document (JSON text) on lookout.health.<node>. */
int lo_bus_publish_health(lo_bus *bus, const char *json);
/* An alert transition, as JSON on lookout.alerts.<zone> into the LOOKOUT_ALERTS stream.
 * `seq` numbers the transitions of this node durably (the journal's row id suits); the
 * message id node.alert_id.seq must differ for different transitions and stay the same for a
 * retry. seq = 0 derives it from the transition time in microseconds. Returns 0 when queued
 * (the spool write, if any, included), -1 on bad arguments or when the spool cannot be
 * written (the alert is still queued in memory then). */
int lo_bus_publish_alert(lo_bus *bus, const lo_alert *alert, uint64_t seq);

/* ---- metrics --------------------------------------------------------------------------------- */

typedef struct lo_bus_stats {
    bool connected;
    bool streams_ready;
    uint64_t connects, disconnects, reconnects;
    uint64_t plots_queued, plots_published, plots_dropped;
    uint64_t tracks_queued, tracks_published, tracks_dropped;
    uint64_t health_published, health_dropped;
    size_t plots_buffered, tracks_buffered;
    uint64_t alerts_queued, alerts_published, alerts_duplicates, alert_publish_retries;
    size_t alerts_pending;
    uint64_t plots_received, tracks_received, health_received;
    uint64_t alerts_received, alerts_acked, alerts_nacked;
    int alert_replicas;           /* replicas of the alert stream as created, 0 before */
    char last_error[128];         /* the latest NATS error, for logs; "" when none */
} lo_bus_stats;

void lo_bus_get_stats(lo_bus *bus, lo_bus_stats *out);
/* The same as Prometheus text (lookout_bus_* metrics). Returns the length written, or the
 * length needed when it does not fit (snprintf style). */
int lo_bus_metrics_text(lo_bus *bus, char *buf, size_t len);

/* ---- subscribing --------------------------------------------------------------------------- */

/* One received message. Strings and data are valid only during the callback. */
typedef struct lo_bus_msg {
    const char *subject;
    const char *site, *sensor;    /* plots: tokens of the subject; otherwise NULL */
    const char *node;             /* tracks and health: the publishing node; otherwise NULL */
    const uint8_t *data;
    size_t len;
} lo_bus_msg;

typedef void (*lo_bus_msg_fn)(void *ctx, const lo_bus_msg *m);

/* Live plots of one site (NULL: all), tracks of one node (NULL: all), health of all nodes.
 * Core NATS: what arrives while this node is disconnected is not redelivered (plots can be
 * replayed from the plots stream). Return 0, or -1 on bad arguments. The subscription is made
 * as soon as the connection exists and survives reconnects. */
int lo_bus_subscribe_plots(lo_bus *bus, const char *site, lo_bus_msg_fn fn, void *ctx);
int lo_bus_subscribe_tracks(lo_bus *bus, const char *node, lo_bus_msg_fn fn, void *ctx);
int lo_bus_subscribe_health(lo_bus *bus, lo_bus_msg_fn fn, void *ctx);

/* Replay what the plots stream holds for one site (NULL: all) since a UTC time (0: all of
 * it), in stream order, calling fn on this thread; returns when the stored plots are
 * exhausted or timeout_s has passed. BLOCKS (a start-up or tool call: a fusion node that
 * restarts can rebuild from the last minutes). Returns the number replayed, or -1 when not
 * connected or the stream is missing. */
long lo_bus_replay_plots(lo_bus *bus, const char *site, double since_utc_s, lo_bus_msg_fn fn,
                         void *ctx, double timeout_s);

/* One alert transition from the stream. */
typedef struct lo_bus_alert_msg {
    const char *node;             /* publishing node */
    uint64_t seq;                 /* its transition seq (see lo_bus_publish_alert) */
    uint64_t stream_seq;          /* position in LOOKOUT_ALERTS */
    uint64_t delivery_count;      /* 1 the first time; more after a nak or lost ack */
    bool parsed;                  /* alert below is filled (the JSON matched the schema) */
    lo_alert alert;
    const char *json;             /* the payload as published */
    size_t json_len;
} lo_bus_alert_msg;

/* Return true once the transition is durably handled (journaled, shown): it is then
 * acknowledged and never delivered to this consumer again; false asks for redelivery. */
typedef bool (*lo_bus_alert_fn)(void *ctx, const lo_bus_alert_msg *m);

/* A durable JetStream consumer named `durable` on LOOKOUT_ALERTS (zone: one zone's subject,
 * NULL: all). A process that restarts with the same durable name resumes after the last
 * acknowledged transition: nothing is lost. Delivery is at least once, in stream order; a
 * caller that must not see a transition twice keys on (node, alert_id, seq). Callbacks run on
 * one bus-owned thread per consumer. Returns 0, or -1 on bad arguments. */
int lo_bus_subscribe_alerts(lo_bus *bus, const char *durable, const char *zone,
                            lo_bus_alert_fn fn, void *ctx);

/* ---- alert JSON (docs/nats.md, "Alert transitions") ------------------------------------------ */

/* Serialise one transition; the returned string is malloc'ed (NULL on allocation failure). */
char *lo_bus_alert_to_json(const lo_alert *a, const char *node, uint64_t seq);
/* Parse it back. Fields absent from the JSON are left zero. Returns false when the text is
 * not a JSON object with at least alert_id, track_id, zone, level, transition and t. */
bool lo_bus_alert_from_json(const char *json, size_t len, lo_alert *out, char *node,
                            size_t node_len, uint64_t *seq);

/* ---- local NATS servers (tests, benchmarks, `lookout demo`) ----------------------------------- */

typedef struct lo_nats_cluster lo_nats_cluster;

/* Path of the nats-server executable ($LOOKOUT_NATS_SERVER, then PATH, /usr/sbin,
 * /usr/local/sbin), or NULL when there is none. */
const char *lo_nats_server_path(void);
/* Start n (1..5) nats-server processes listening on 127.0.0.1 only, on free ports, with
 * JetStream, each with its own store directory under `dir` (created; removed by free). With
 * n > 1 they form one cluster with routes on loopback. Waits until every client port accepts
 * connections. Returns NULL with a reason in err on failure. The servers die with the
 * calling thread (PR_SET_PDEATHSIG): call this from the main thread, or one that outlives
 * the servers. */
lo_nats_cluster *lo_nats_cluster_start(int n, const char *dir, char *err, size_t errlen);
int lo_nats_cluster_size(const lo_nats_cluster *c);
const char *lo_nats_cluster_url(const lo_nats_cluster *c, int i); /* "nats://127.0.0.1:P" */
/* Stop server i (SIGKILL when hard, else SIGTERM), waiting up to 5 s for it to exit. */
int lo_nats_cluster_stop(lo_nats_cluster *c, int i, bool hard);
/* Start server i again on the same ports and store directory; waits for its client port. */
int lo_nats_cluster_restart(lo_nats_cluster *c, int i);
/* Stop every server (bounded time) and remove the directory tree. */
void lo_nats_cluster_free(lo_nats_cluster *c);

#ifdef __cplusplus
}
#endif
#endif /* LOOKOUT_BUS_H */
